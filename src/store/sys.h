/*
 * store/sys.h — the library's own records under "_cairn/" (src/store/sys.c).
 */
#ifndef CAIRN_STORE_SYS_H
#define CAIRN_STORE_SYS_H

/* Layer 3 (store/): for the store layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 3 && !defined(CAIRN_IN_STORE)) || CAIRN_LAYER == 4
#error "store/sys.h: included from a layer that may not use it"
#endif

#include "cairn/cairn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the library's own records (src/store/sys.c) ----
 *
 * The public write API refuses keys under "_cairn/"; the model registry
 * (and later processes, scenarios) write there through these. Reads go
 * through the public API, which allows reserved keys. */
typedef enum {
    CAIRN__SYS_CREATE, /* write val as a JSON record; CAIRN_EEXISTS if live */
    CAIRN__SYS_DELETE, /* remove; status CAIRN_ENOTFOUND when absent */
    CAIRN__SYS_BUMP    /* add one to the JSON integer (a counter) */
} cairn__sys_kind;

typedef struct {
    const char *key; /* normalised, under "_cairn/" */
    cairn__sys_kind kind;
    const void *val; /* CREATE only */
    size_t len;
    int status;      /* out: CAIRN_OK or CAIRN_ENOTFOUND (DELETE) */
} cairn__sys_op;

/* Apply n ops as one backend transaction: all or nothing. */
int cairn__sys_write(cairn_store *s, cairn__sys_op *ops, size_t n);
/* The version of the record under key (header only; one backend get);
 * 0 when absent. */
int cairn__sys_version(cairn_store *s, const char *key, uint64_t *version);

#endif
