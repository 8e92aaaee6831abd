/*
 * cairn/table.h — the table cache: rows of a database table fetched by id,
 * cached as Parquet part files that DuckDB and Polars open, returned as
 * typed columns. Included by cairn/cairn.h; compiles alone; see
 * docs/table-cache.md.
 *
 * This part of the header is the columnar result (cairn_frame) that every
 * table call returns and the Parquet reader and writer share.
 */
#ifndef CAIRN_TABLE_H
#define CAIRN_TABLE_H

#include "cairn/common.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The type of a column. Values are stored as in Apache Arrow: one array of
 * nrows fixed-size values, or offsets into one byte array for strings. */
typedef enum cairn_col_type {
    CAIRN_COL_INT64 = 1,  /* int64_t                               */
    CAIRN_COL_DOUBLE = 2, /* double                                */
    CAIRN_COL_BOOL = 3,   /* uint8_t, 0 or 1                       */
    CAIRN_COL_STRING = 4  /* UTF-8, offsets[nrows + 1] into str    */
} cairn_col_type;

/*
 * One column of a frame.
 *   name:  NUL-terminated, as the caller asked for it ("metadata.city").
 *   valid: nrows bytes, 1 where row i holds a value, 0 where it is null;
 *          NULL when no row is null.
 *   i64 / f64 / b: nrows values for INT64 / DOUBLE / BOOL (the value of a
 *          null row is 0). For STRING: offsets has nrows + 1 entries, row i
 *          is str[offsets[i] .. offsets[i + 1]) (not NUL-terminated; a null
 *          row is empty).
 * Every pointer is owned by the frame that holds the column.
 */
typedef struct cairn_column {
    char *name;
    cairn_col_type type;
    uint8_t *valid;
    int64_t *i64;
    double *f64;
    uint8_t *b;
    int64_t *offsets;
    char *str;
} cairn_column;

/*
 * A columnar result: ncols columns of nrows rows each. For cairn table
 * calls cols[0] is "id" (INT64, never null), rows in ascending id order.
 */
typedef struct cairn_frame {
    size_t nrows;
    size_t ncols;
    cairn_column *cols;
} cairn_frame;

/*
 * cairn_frame_free — release a frame and everything it owns.
 * f [in]: owned, from a cairn table call; NULL is fine.
 * Thread safety: a frame belongs to one thread at a time.
 */
CAIRN_API void cairn_frame_free(cairn_frame *f);

/*
 * cairn_frame_column — the column named name, or NULL when there is none.
 * f, name [in]: borrowed. The result is borrowed from f.
 */
CAIRN_API const cairn_column *cairn_frame_column(const cairn_frame *f, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_TABLE_H */
