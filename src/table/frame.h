/*
 * table/frame.h — building a cairn_frame column by column (src/table/frame.c),
 * shared by the table cache and the Parquet reader.
 */
#ifndef CAIRN_TABLE_FRAME_H
#define CAIRN_TABLE_FRAME_H

/* Layer 4 (table/): for table/ only (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || !defined(CAIRN_IN_TABLE)
#error "table/frame.h: included from a layer that may not use it"
#endif

#include "cairn/table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A column being built: values are appended one row at a time. */
typedef struct {
    cairn_column col; /* the arrays, grown as rows are appended */
    size_t n;         /* rows appended */
    size_t cap;       /* rows allocated */
    size_t str_len;   /* bytes used in col.str */
    size_t str_cap;   /* bytes allocated for col.str */
    bool any_null;
} cairn__colbuf;

/* Start a column called name (copied) of the given type. CAIRN_ENOMEM. */
int cairn__colbuf_init(cairn__colbuf *c, const char *name, cairn_col_type type);

/* Append one row. The appender must match the column's type (a string of
 * len bytes to a STRING column). CAIRN_OK or CAIRN_ENOMEM. */
int cairn__colbuf_i64(cairn__colbuf *c, int64_t v);
int cairn__colbuf_f64(cairn__colbuf *c, double v);
int cairn__colbuf_bool(cairn__colbuf *c, bool v);
int cairn__colbuf_str(cairn__colbuf *c, const char *s, size_t len);
int cairn__colbuf_null(cairn__colbuf *c);

/* Release a column that was not handed to a frame. */
void cairn__colbuf_free(cairn__colbuf *c);

/*
 * Make a frame of ncols columns of n rows each from cols (every one must
 * hold n rows), taking their arrays (each cols[i] is left empty).
 * [out] *out: owned, freed with cairn_frame_free(). CAIRN_EINVAL when the
 * row counts differ, CAIRN_ENOMEM.
 */
int cairn__frame_make(cairn__colbuf *cols, size_t ncols, size_t n, cairn_frame **out);

/* Release the arrays of one column (not the struct). */
void cairn__column_clear(cairn_column *c);

#endif
