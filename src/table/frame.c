/*
 * frame.c — cairn_frame, the columnar result of the table cache, and the
 * column builder that the cache and the Parquet reader fill it with.
 */
#include "table/frame.h"

#include "base/error.h"

#include <stdlib.h>
#include <string.h>

int cairn__colbuf_init(cairn__colbuf *c, const char *name, cairn_col_type type)
{
    memset(c, 0, sizeof *c);
    c->col.type = type;
    c->col.name = strdup(name);
    if (!c->col.name)
        return cairn__err(CAIRN_ENOMEM, "out of memory");
    if (type == CAIRN_COL_STRING) {
        c->col.offsets = calloc(1, sizeof *c->col.offsets);
        if (!c->col.offsets) {
            cairn__colbuf_free(c);
            return cairn__err(CAIRN_ENOMEM, "out of memory");
        }
    }
    return CAIRN_OK;
}

/* Room for one more row in every array of c. */
static int reserve(cairn__colbuf *c)
{
    if (c->n < c->cap)
        return CAIRN_OK;
    size_t cap = c->cap ? c->cap * 2 : 64;
    cairn_column *k = &c->col;
    void *p;
    switch (k->type) {
    case CAIRN_COL_INT64:
        p = realloc(k->i64, cap * sizeof *k->i64);
        if (p)
            k->i64 = p;
        break;
    case CAIRN_COL_DOUBLE:
        p = realloc(k->f64, cap * sizeof *k->f64);
        if (p)
            k->f64 = p;
        break;
    case CAIRN_COL_BOOL:
        p = realloc(k->b, cap);
        if (p)
            k->b = p;
        break;
    case CAIRN_COL_STRING:
    default:
        p = realloc(k->offsets, (cap + 1) * sizeof *k->offsets);
        if (p)
            k->offsets = p;
        break;
    }
    if (!p)
        return cairn__err(CAIRN_ENOMEM, "out of memory");
    uint8_t *v = realloc(k->valid, cap);
    if (!v)
        return cairn__err(CAIRN_ENOMEM, "out of memory");
    k->valid = v;
    c->cap = cap;
    return CAIRN_OK;
}

/* Row c->n is about to hold a value (valid) or a null. */
static int row(cairn__colbuf *c, bool valid)
{
    int rc = reserve(c);
    if (rc != CAIRN_OK)
        return rc;
    c->col.valid[c->n] = valid;
    if (!valid)
        c->any_null = true;
    return CAIRN_OK;
}

int cairn__colbuf_i64(cairn__colbuf *c, int64_t v)
{
    int rc = row(c, true);
    if (rc == CAIRN_OK)
        c->col.i64[c->n++] = v;
    return rc;
}

int cairn__colbuf_f64(cairn__colbuf *c, double v)
{
    int rc = row(c, true);
    if (rc == CAIRN_OK)
        c->col.f64[c->n++] = v;
    return rc;
}

int cairn__colbuf_bool(cairn__colbuf *c, bool v)
{
    int rc = row(c, true);
    if (rc == CAIRN_OK)
        c->col.b[c->n++] = v;
    return rc;
}

int cairn__colbuf_str(cairn__colbuf *c, const char *s, size_t len)
{
    int rc = row(c, true);
    if (rc != CAIRN_OK)
        return rc;
    if (c->str_len + len + 1 > c->str_cap) {
        size_t cap = c->str_cap ? c->str_cap : 256;
        while (cap < c->str_len + len + 1)
            cap *= 2;
        char *p = realloc(c->col.str, cap);
        if (!p)
            return cairn__err(CAIRN_ENOMEM, "out of memory");
        c->col.str = p;
        c->str_cap = cap;
    }
    if (len)
        memcpy(c->col.str + c->str_len, s, len);
    c->str_len += len;
    c->col.offsets[++c->n] = (int64_t)c->str_len;
    return CAIRN_OK;
}

int cairn__colbuf_null(cairn__colbuf *c)
{
    int rc = row(c, false);
    if (rc != CAIRN_OK)
        return rc;
    switch (c->col.type) {
    case CAIRN_COL_INT64:
        c->col.i64[c->n] = 0;
        break;
    case CAIRN_COL_DOUBLE:
        c->col.f64[c->n] = 0;
        break;
    case CAIRN_COL_BOOL:
        c->col.b[c->n] = 0;
        break;
    case CAIRN_COL_STRING:
    default:
        c->col.offsets[c->n + 1] = (int64_t)c->str_len;
        break;
    }
    c->n++;
    return CAIRN_OK;
}

void cairn__column_clear(cairn_column *c)
{
    free(c->name);
    free(c->valid);
    free(c->i64);
    free(c->f64);
    free(c->b);
    free(c->offsets);
    free(c->str);
    memset(c, 0, sizeof *c);
}

void cairn__colbuf_free(cairn__colbuf *c)
{
    cairn__column_clear(&c->col);
    memset(c, 0, sizeof *c);
}

int cairn__frame_make(cairn__colbuf *cols, size_t ncols, size_t n, cairn_frame **out)
{
    *out = NULL;
    for (size_t i = 0; i < ncols; i++)
        if (cols[i].n != n)
            return cairn__err(CAIRN_EINVAL, "column '%s' has %zu rows, not %zu",
                               cols[i].col.name, cols[i].n, n);
    cairn_frame *f = calloc(1, sizeof *f);
    cairn_column *c = ncols ? calloc(ncols, sizeof *c) : NULL;
    if (!f || (ncols && !c)) {
        free(f);
        free(c);
        return cairn__err(CAIRN_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < ncols; i++) {
        c[i] = cols[i].col;
        if (!cols[i].any_null) { /* the documented form: no nulls, no mask */
            free(c[i].valid);
            c[i].valid = NULL;
        }
        memset(&cols[i], 0, sizeof cols[i]);
    }
    f->nrows = n;
    f->ncols = ncols;
    f->cols = c;
    *out = f;
    return CAIRN_OK;
}

void cairn_frame_free(cairn_frame *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->ncols; i++)
        cairn__column_clear(&f->cols[i]);
    free(f->cols);
    free(f);
}

const cairn_column *cairn_frame_column(const cairn_frame *f, const char *name)
{
    if (!f || !name)
        return NULL;
    for (size_t i = 0; i < f->ncols; i++)
        if (strcmp(f->cols[i].name, name) == 0)
            return &f->cols[i];
    return NULL;
}
