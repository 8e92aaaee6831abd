/*
 * batch.c — batches: many keys in one backend transaction (put_many,
 * delete_many).
 */
#include "store/front.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Batches                                                             */
/* ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cairn__keys_unique(const char *what, const char **keys, size_t n)
{
    qsort(keys, n, sizeof *keys, cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            return cairn__err(CAIRN_EINVAL, "%s: key %s appears twice in the batch", what,
                              keys[i]);
    return CAIRN_OK;
}

/* Normalise n keys, each into an allocation of its own (keys_out[i],
 * lens_out[i]); refuse duplicates. */
static int norm_keys(const char *what, const char *const *keys, size_t n, bool write,
                     char ***keys_out, size_t **lens_out)
{
    char **ks = calloc(n ? n : 1, sizeof *ks);
    size_t *ls = calloc(n ? n : 1, sizeof *ls);
    const char **sorted = calloc(n ? n : 1, sizeof *sorted);
    int rc = CAIRN_OK;
    if (!ks || !ls || !sorted) {
        rc = cairn__err(CAIRN_ENOMEM, "%s: out of memory", what);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char k[CAIRN_KEY_MAX + 1];
        if ((rc = cairn__check_key(what, keys[i], k, &ls[i], write)))
            goto out;
        if (!(ks[i] = malloc(ls[i] + 1))) {
            rc = cairn__err(CAIRN_ENOMEM, "%s: out of memory", what);
            goto out;
        }
        memcpy(ks[i], k, ls[i] + 1);
        sorted[i] = ks[i];
    }
    rc = cairn__keys_unique(what, sorted, n);
out:
    free(sorted);
    if (rc) {
        for (size_t i = 0; ks && i < n; i++)
            free(ks[i]);
        free(ks);
        free(ls);
        return rc;
    }
    *keys_out = ks;
    *lens_out = ls;
    return CAIRN_OK;
}

static void free_keys(char **ks, size_t *ls, size_t n)
{
    for (size_t i = 0; ks && i < n; i++)
        free(ks[i]);
    free(ks);
    free(ls);
}

/* Run n write contexts as one backend update (cb: cairn__write_cb or a wrapper). */
int cairn__run_batch_cb(cairn_store *s, wctx *cs, size_t n, cairn_backend_update_fn cb)
{
    cairn_backend_op *ops = malloc((n ? n : 1) * sizeof *ops);
    if (!ops)
        return cairn__err(CAIRN_ENOMEM, "batch: out of memory");
    for (size_t i = 0; i < n; i++)
        ops[i] = (cairn_backend_op){cs[i].key, cs[i].klen, cb, &cs[i]};
    int rc = n ? cairn__run_ops(s, ops, n) : CAIRN_OK;
    free(ops);
    return rc;
}

int cairn__run_batch(cairn_store *s, wctx *cs, size_t n)
{
    return cairn__run_batch_cb(s, cs, n, cairn__write_cb);
}

CAIRN_API int cairn_put_many(cairn_store *s, cairn_put_item *items, size_t n,
                             const cairn_put_opts *opt)
{
    int rc;
    if ((rc = check_store(s, "put_many")))
        return rc;
    if (!items && n)
        return cairn__err(CAIRN_EINVAL, "put_many: items is NULL");
    cairn_put_opts o_;
    if ((rc = CAIRN__OPTS_READ(&o_, opt, "put options")))
        return cairn__err_prefix(rc, "put_many");
    opt = opt ? &o_ : NULL;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return cairn__err(CAIRN_ENOMEM, "put_many: out of memory");
    for (size_t i = 0; i < n; i++)
        keys[i] = items[i].key;
    char **ks = NULL;
    size_t *ls = NULL;
    rc = norm_keys("put_many", keys, n, true, &ks, &ls);
    free(keys);
    if (rc)
        return rc;
    wctx *cs = calloc(n ? n : 1, sizeof *cs);
    if (!cs) {
        free_keys(ks, ls, n);
        return cairn__err(CAIRN_ENOMEM, "put_many: out of memory");
    }
    size_t i;
    /* One model for the batch, resolved once. */
    char mref[CAIRN_MODEL_MAX + 1];
    cairn__model *model = NULL;
    if (opt && opt->model && (rc = cairn__check_opts(opt)) == CAIRN_OK &&
        (rc = cairn__model_hold(s, opt->model, mref, &model)) != CAIRN_OK) {
        rc = cairn__err_prefix(rc, "put_many");
        for (i = 0; i < n; i++)
            items[i].status = rc;
        goto out;
    }
    for (i = 0; i < n; i++) {
        cairn__wctx_init(&cs[i], s, OP_PUT, ks[i], ls[i], opt);
        cs[i].val = items[i].val;
        cs[i].len = items[i].len;
        items[i].status = CAIRN_OK;
        if (model)
            cs[i].o.model = mref;
        if ((rc = cairn__check_opts(&cs[i].o)) ||
            (rc = cairn__check_value(&cs[i].o, items[i].val, items[i].len, model != NULL)) ||
            (rc = cairn__take_umeta(&cs[i])) ||
            (model && (rc = cairn__model_validate(model, cs[i].o.fill_defaults, &cs[i].val,
                                                  &cs[i].len, &cs[i].filled)))) {
            items[i].status = rc;
            rc = cairn__err_prefix(rc, "put_many %s", ks[i]);
            goto out;
        }
    }
    rc = cairn__run_batch(s, cs, n);
    for (i = 0; i < n; i++) {
        if (rc == CAIRN_OK) {
            items[i].status = cs[i].status;
            COUNT(s, n_put);
            if (cs[i].status == CAIRN_SKIPPED)
                COUNT(s, n_skip);
        } else {
            items[i].status = rc;
        }
    }
    if (rc)
        rc = cairn__err_prefix(rc, "put_many");
out:
    cairn__model_release(model);
    for (i = 0; i < n; i++) {
        free(cs[i].buf);
        free(cs[i].filled);
    }
    free(cs);
    free_keys(ks, ls, n);
    return rc;
}

CAIRN_API int cairn_delete_many(cairn_store *s, const char *const *keys, size_t n,
                                uint64_t *n_deleted)
{
    int rc;
    if ((rc = check_store(s, "delete_many")))
        return rc;
    if (!keys && n)
        return cairn__err(CAIRN_EINVAL, "delete_many: keys is NULL");
    char **ks = NULL;
    size_t *ls = NULL;
    if ((rc = norm_keys("delete_many", keys, n, true, &ks, &ls)))
        return rc;
    wctx *cs = calloc(n ? n : 1, sizeof *cs);
    if (!cs) {
        free_keys(ks, ls, n);
        return cairn__err(CAIRN_ENOMEM, "delete_many: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        cairn__wctx_init(&cs[i], s, OP_DELETE, ks[i], ls[i], NULL);
    rc = cairn__run_batch(s, cs, n);
    uint64_t d = 0;
    for (size_t i = 0; i < n && !rc; i++)
        d += cs[i].status == CAIRN_OK;
    free(cs);
    free_keys(ks, ls, n);
    if (rc)
        return cairn__err_prefix(rc, "delete_many");
    __atomic_add_fetch(&s->n_del, d, __ATOMIC_RELAXED);
    if (n_deleted)
        *n_deleted = d;
    return CAIRN_OK;
}
