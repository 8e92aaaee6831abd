/*
 * calls.c — the async form of each store call: a run function that makes
 * the sync call on a worker with the job's arguments, and the public
 * function that copies those arguments into the job and submits it.
 * Built only on the public API of cairn.h (see job.h for adding a form).
 */
#include "async/job.h"
#include "base/error.h"
#include "base/opts.h"

#include <stdlib.h>
#include <string.h>

/* The start of every public form: the checks of cairn__job_new, then f. */
#define JOB(run_fn, store)                                                    \
    int rc_ = CAIRN_OK, ok = 1;                                               \
    cairn_future *f = cairn__job_new(ex, store, run_fn, cb, arg, fut, &rc_);  \
    if (!f)                                                                   \
        return rc_

/* An argument the sync call would refuse before touching the store. */
static int bad_arg(cairn_future **fut, const char *call, const char *what)
{
    if (fut)
        *fut = NULL;
    cairn__err_clear();
    return cairn__err(CAIRN_EINVAL, "async %s: %s", call, what);
}

/* Copy opt (read by its struct_size, with its model and user_meta strings)
 * into the job; NULL stays NULL. Returns an error of cairn__opts_read. */
static int keep_put_opts(cairn_future *f, const cairn_put_opts *opt, int *ok)
{
    if (!opt)
        return CAIRN_OK;
    int rc = CAIRN__OPTS_READ(&f->popt_copy, opt, "put options");
    if (rc)
        return rc;
    f->popt_copy.model = cairn__job_strdup(f, f->popt_copy.model, ok);
    f->popt_copy.user_meta = cairn__job_strdup(f, f->popt_copy.user_meta, ok);
    f->popt = &f->popt_copy;
    return CAIRN_OK;
}

static void keep_meta(cairn_future *f, cairn_meta *dst, const cairn_meta *src, int *ok)
{
    *dst = *src;
    dst->model = cairn__job_strdup(f, src->model, ok);
    dst->compression = cairn__job_strdup(f, src->compression, ok);
    if (src->user_meta) { /* user_meta_len bytes, or up to its NUL */
        size_t ul = src->user_meta_len ? src->user_meta_len : strlen(src->user_meta);
        char *um = cairn__job_dup(f, src->user_meta, ul, ok); /* NUL added */
        if (um) {
            dst->user_meta = um;
            dst->user_meta_len = ul;
        }
    }
}

/* A copy of n keys (the array and the strings); NULL keys stay NULL, so
 * the sync call reports them. */
static const char **keep_keys(cairn_future *f, const char *const *keys, size_t n, int *ok)
{
    const char **k = cairn__job_dup(f, keys, n * sizeof *keys, ok);
    for (size_t i = 0; k && i < n; i++)
        k[i] = cairn__job_strdup(f, keys[i], ok);
    return k;
}

/* ---- put, get, exists, delete ---- */

static int run_put(cairn_future *f)
{
    return cairn_put(f->s, f->key, f->val, f->len, f->popt);
}

/* ---- batches ----
 *
 * On a store that reads many keys in one round trip (CAIRN_CAP_BATCH:
 * Redis), a worker runs the gets queued together as one cairn_get_many and
 * the puts queued together (with the same options) as one cairn_put_many:
 * one round trip, or one transaction, for many calls. Each call's result is
 * the one its own run would give: a key the batch did not find, every get
 * of a failed batch, and the puts of a batch refused before it wrote
 * anything run again on their own, so statuses and messages are each
 * call's; a batch that failed where a write may have happened gives its
 * error to each of its puts (see decided_before_write). */

static void batch_get(cairn_future **fs, size_t n)
{
    const char *keys[CAIRN__BATCH_MAX] = {0};
    cairn_value *vals[CAIRN__BATCH_MAX];
    for (size_t i = 0; i < n; i++)
        keys[i] = fs[i]->key;
    int rc = cairn_get_many(fs[0]->s, keys, n, vals);
    for (size_t i = 0; i < n; i++) {
        if (rc == CAIRN_OK && vals[i]) {
            fs[i]->values = &fs[i]->value1;
            fs[i]->nvalues = 1;
            fs[i]->value1 = vals[i];
            fs[i]->status = CAIRN_OK;
        } else {
            cairn__job_run(fs[i]);
        }
    }
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Puts batch when their options are the same (compare-and-set and model
 * puts are never batchable: see cairn_async_put). */
static int put_with(const cairn_future *a, const cairn_future *b)
{
    const cairn_put_opts *x = a->popt, *y = b->popt;
    if (!x || !y)
        return !x && !y;
    return x->behavior == y->behavior && x->ttl_ms == y->ttl_ms && x->format == y->format &&
           x->fill_defaults == y->fill_defaults && same_str(x->user_meta, y->user_meta);
}

/* Errors the core decides from the batch's own contents, inside the
 * update and before anything is written: the puts may run again one by one
 * to find whose it is. Any other error (the connection, I/O, a full store,
 * a timeout) may have struck with the write sent and its outcome unknown:
 * running the puts again could write them twice, so every put of the batch
 * gets that error, as one put alone would. */
static bool decided_before_write(int rc)
{
    switch (rc) {
    case CAIRN_EEXISTS:
    case CAIRN_EDIFFERENT:
    case CAIRN_ECONFLICT:
    case CAIRN_EKEY:
    case CAIRN_EINVAL:
    case CAIRN_EFORMAT:
    case CAIRN_EVALIDATION:
    case CAIRN_EMODEL:
    case CAIRN_ECORRUPT:
        return true;
    default:
        return false;
    }
}

static void batch_put(cairn_future **fs, size_t n)
{
    cairn_put_item it[CAIRN__BATCH_MAX];
    for (size_t i = 0; i < n; i++)
        it[i] = (cairn_put_item){fs[i]->key, fs[i]->val, fs[i]->len, 0};
    int rc = cairn_put_many(fs[0]->s, it, n, fs[0]->popt);
    bool rerun = rc < 0 && decided_before_write(rc);
    for (size_t i = 0; i < n; i++) {
        if (rc >= 0)
            fs[i]->status = it[i].status;
        else if (rerun)
            cairn__job_run(fs[i]);
        else
            cairn__job_done(fs[i], rc); /* the batch's message, for each */
    }
}

int cairn_async_put(cairn_executor *ex, cairn_store *s, const char *key, const void *val,
                    size_t len, const cairn_put_opts *opt, CAIRN__ASYNC_TAIL)
{
    if (!key)
        return bad_arg(fut, "put", "key is NULL");
    if (!val && len)
        return bad_arg(fut, "put", "val is NULL with a non-zero len");
    JOB(run_put, s);
    f->key = cairn__job_strdup(f, key, &ok);
    f->val = cairn__job_dup(f, val ? val : "", len, &ok);
    f->len = len;
    if ((rc_ = keep_put_opts(f, opt, &ok)))
        return cairn__job_abandon(f, rc_, fut);
    if ((cairn_store_caps(s) & CAIRN_CAP_BATCH) &&
        (!f->popt || (!f->popt->model && !f->popt->if_version))) {
        f->batch = batch_put;
        f->batch_with = put_with;
    }
    return cairn__job_submit(f, ok, fut);
}

static int run_put_array(cairn_future *f)
{
    return cairn_put_array(f->s, f->key, &f->array, f->popt);
}

int cairn_async_put_array(cairn_executor *ex, cairn_store *s, const char *key,
                          const cairn_array *a, const cairn_put_opts *opt, CAIRN__ASYNC_TAIL)
{
    if (!key)
        return bad_arg(fut, "put_array", "key is NULL");
    if (!a)
        return bad_arg(fut, "put_array", "a is NULL");
    if (!a->data && a->nbytes)
        return bad_arg(fut, "put_array", "a->data is NULL with a non-zero nbytes");
    JOB(run_put_array, s);
    f->key = cairn__job_strdup(f, key, &ok);
    f->val = cairn__job_dup(f, a->data ? a->data : "", a->nbytes, &ok);
    f->array = *a;
    f->array.data = f->val;
    if ((rc_ = keep_put_opts(f, opt, &ok)))
        return cairn__job_abandon(f, rc_, fut);
    return cairn__job_submit(f, ok, fut);
}

static int run_get(cairn_future *f)
{
    f->values = &f->value1;
    f->nvalues = 1;
    return cairn_get(f->s, f->key, &f->value1);
}

int cairn_async_get(cairn_executor *ex, cairn_store *s, const char *key, CAIRN__ASYNC_TAIL)
{
    if (!key)
        return bad_arg(fut, "get", "key is NULL");
    JOB(run_get, s);
    f->key = cairn__job_strdup(f, key, &ok);
    if ((cairn_store_caps(s) & CAIRN_CAP_BATCH))
        f->batch = batch_get;
    return cairn__job_submit(f, ok, fut);
}

static int run_get_model(cairn_future *f)
{
    f->values = &f->value1;
    f->nvalues = 1;
    return cairn_get_model(f->s, f->key, f->ref, f->flags, &f->value1);
}

int cairn_async_get_model(cairn_executor *ex, cairn_store *s, const char *key,
                          const char *ref, unsigned flags, CAIRN__ASYNC_TAIL)
{
    if (!key)
        return bad_arg(fut, "get_model", "key is NULL");
    JOB(run_get_model, s);
    f->key = cairn__job_strdup(f, key, &ok);
    f->ref = cairn__job_strdup(f, ref, &ok);
    f->flags = flags;
    return cairn__job_submit(f, ok, fut);
}

static int run_exists(cairn_future *f)
{
    return cairn_exists(f->s, f->key);
}

int cairn_async_exists(cairn_executor *ex, cairn_store *s, const char *key, CAIRN__ASYNC_TAIL)
{
    if (!key)
        return bad_arg(fut, "exists", "key is NULL");
    JOB(run_exists, s);
    f->key = cairn__job_strdup(f, key, &ok);
    return cairn__job_submit(f, ok, fut);
}

static int run_delete(cairn_future *f)
{
    return cairn_delete(f->s, f->key);
}

int cairn_async_delete(cairn_executor *ex, cairn_store *s, const char *key, CAIRN__ASYNC_TAIL)
{
    if (!key)
        return bad_arg(fut, "delete", "key is NULL");
    JOB(run_delete, s);
    f->key = cairn__job_strdup(f, key, &ok);
    return cairn__job_submit(f, ok, fut);
}

/* f->flags of the prefix calls: PREFIX_RAW for their _raw form. */
#define PREFIX_RAW 1u

static int run_delete_prefix(cairn_future *f)
{
    return (f->flags & PREFIX_RAW ? cairn_delete_prefix_raw
                                  : cairn_delete_prefix)(f->s, f->key, &f->u64);
}

/* A job of run over prefix (copied); flags: PREFIX_RAW or 0. */
static int prefix_job(cairn_executor *ex, cairn_store *s, int (*run)(cairn_future *),
                      const char *prefix, uint64_t u64_arg, unsigned flags, CAIRN__ASYNC_TAIL)
{
    JOB(run, s);
    f->key = cairn__job_strdup(f, prefix, &ok);
    f->u64_arg = u64_arg;
    f->flags = flags;
    return cairn__job_submit(f, ok, fut);
}

int cairn_async_delete_prefix(cairn_executor *ex, cairn_store *s, const char *prefix,
                              CAIRN__ASYNC_TAIL)
{
    return prefix_job(ex, s, run_delete_prefix, prefix, 0, 0, cb, arg, fut);
}

int cairn_async_delete_prefix_raw(cairn_executor *ex, cairn_store *s, const char *prefix,
                                  CAIRN__ASYNC_TAIL)
{
    return prefix_job(ex, s, run_delete_prefix, prefix, 0, PREFIX_RAW, cb, arg, fut);
}

/* ---- update, incr ---- */

static int run_update(cairn_future *f)
{
    if (f->fn_v2)
        return cairn_update_v2(f->s, f->key, f->fn_v2, f->fn_arg, f->popt);
    return cairn_update(f->s, f->key, f->fn, f->fn_arg, f->popt);
}

int cairn_async_update_v2(cairn_executor *ex, cairn_store *s, const char *key, cairn_update_cb fn,
                          void *fn_ctx, const cairn_put_opts *opt, CAIRN__ASYNC_TAIL)
{
    if (!key || !fn)
        return bad_arg(fut, "update", key ? "fn is NULL" : "key is NULL");
    JOB(run_update, s);
    f->key = cairn__job_strdup(f, key, &ok);
    f->fn_v2 = fn;
    f->fn_arg = fn_ctx;
    if ((rc_ = keep_put_opts(f, opt, &ok)))
        return cairn__job_abandon(f, rc_, fut);
    return cairn__job_submit(f, ok, fut);
}

int cairn_async_update(cairn_executor *ex, cairn_store *s, const char *key, cairn_update_fn fn,
                       void *fn_arg, const cairn_put_opts *opt, CAIRN__ASYNC_TAIL)
{
    if (!key || !fn)
        return bad_arg(fut, "update", key ? "fn is NULL" : "key is NULL");
    JOB(run_update, s);
    f->key = cairn__job_strdup(f, key, &ok);
    f->fn = fn;
    f->fn_arg = fn_arg;
    if ((rc_ = keep_put_opts(f, opt, &ok)))
        return cairn__job_abandon(f, rc_, fut);
    return cairn__job_submit(f, ok, fut);
}

static int run_incr(cairn_future *f)
{
    return cairn_incr(f->s, f->key, f->i64_arg, &f->i64);
}

int cairn_async_incr(cairn_executor *ex, cairn_store *s, const char *key, int64_t by,
                     CAIRN__ASYNC_TAIL)
{
    if (!key)
        return bad_arg(fut, "incr", "key is NULL");
    JOB(run_incr, s);
    f->key = cairn__job_strdup(f, key, &ok);
    f->i64_arg = by;
    return cairn__job_submit(f, ok, fut);
}

/* ---- count, list, range ---- */

static int run_count(cairn_future *f)
{
    return (f->flags & PREFIX_RAW ? cairn_count_raw : cairn_count)(f->s, f->key, &f->u64);
}

int cairn_async_count(cairn_executor *ex, cairn_store *s, const char *prefix,
                      CAIRN__ASYNC_TAIL)
{
    return prefix_job(ex, s, run_count, prefix, 0, 0, cb, arg, fut);
}

int cairn_async_count_raw(cairn_executor *ex, cairn_store *s, const char *prefix,
                          CAIRN__ASYNC_TAIL)
{
    return prefix_job(ex, s, run_count, prefix, 0, PREFIX_RAW, cb, arg, fut);
}

/* Walk it into the job's keys, at most limit (0: all); frees it. */
static int collect(cairn_future *f, cairn_iter *it, uint64_t limit)
{
    const char *k;
    size_t kl;
    int rc;
    while ((!limit || f->nkeys < limit) && (rc = cairn_iter_next(it, &k, &kl)) == CAIRN_OK) {
        rc = cairn__job_add_key(f, k, kl);
        if (rc)
            break;
    }
    if (limit && f->nkeys >= limit)
        rc = CAIRN_DONE;
    cairn_iter_free(it);
    return rc == CAIRN_DONE ? CAIRN_OK : rc;
}

static int run_list(cairn_future *f)
{
    cairn_iter *it;
    int rc = (f->flags & PREFIX_RAW ? cairn_list_raw : cairn_list)(f->s, f->key, &it);
    return rc ? rc : collect(f, it, f->u64_arg);
}

int cairn_async_list(cairn_executor *ex, cairn_store *s, const char *prefix, uint64_t limit,
                     CAIRN__ASYNC_TAIL)
{
    return prefix_job(ex, s, run_list, prefix, limit, 0, cb, arg, fut);
}

int cairn_async_list_raw(cairn_executor *ex, cairn_store *s, const char *prefix,
                         uint64_t limit, CAIRN__ASYNC_TAIL)
{
    return prefix_job(ex, s, run_list, prefix, limit, PREFIX_RAW, cb, arg, fut);
}

static int run_range(cairn_future *f)
{
    cairn_iter *it;
    int rc = cairn_range(f->s, f->key, f->key2, f->u64_arg, &it);
    return rc ? rc : collect(f, it, 0);
}

int cairn_async_range(cairn_executor *ex, cairn_store *s, const char *start, const char *end,
                      uint64_t limit, CAIRN__ASYNC_TAIL)
{
    JOB(run_range, s);
    f->key = cairn__job_strdup(f, start, &ok);
    f->key2 = cairn__job_strdup(f, end, &ok);
    f->u64_arg = limit;
    return cairn__job_submit(f, ok, fut);
}

/* ---- batches ---- */

static int run_put_many(cairn_future *f)
{
    return cairn_put_many(f->s, f->items, f->n, f->popt);
}

int cairn_async_put_many(cairn_executor *ex, cairn_store *s, const cairn_put_item *items,
                         size_t n, const cairn_put_opts *opt, CAIRN__ASYNC_TAIL)
{
    if (!items && n)
        return bad_arg(fut, "put_many", "items is NULL");
    JOB(run_put_many, s);
    f->items = cairn__job_dup(f, n ? (const void *)items : "", n * sizeof *items, &ok);
    for (size_t i = 0; ok && i < n; i++) {
        f->items[i].key = cairn__job_strdup(f, items[i].key, &ok);
        if (items[i].val)
            f->items[i].val = cairn__job_dup(f, items[i].val, items[i].len, &ok);
    }
    f->n = n;
    if ((rc_ = keep_put_opts(f, opt, &ok)))
        return cairn__job_abandon(f, rc_, fut);
    return cairn__job_submit(f, ok, fut);
}

static int run_get_many(cairn_future *f)
{
    if (f->n) {
        f->values = calloc(f->n, sizeof *f->values);
        if (!f->values)
            return cairn__err(CAIRN_ENOMEM, "async get_many: out of memory for %zu values",
                              f->n);
    }
    f->nvalues = f->n;
    return cairn_get_many(f->s, f->keys, f->n, f->values);
}

int cairn_async_get_many(cairn_executor *ex, cairn_store *s, const char *const *keys,
                         size_t n, CAIRN__ASYNC_TAIL)
{
    if (!keys && n)
        return bad_arg(fut, "get_many", "keys is NULL");
    JOB(run_get_many, s);
    f->keys = keep_keys(f, keys, n, &ok);
    f->n = n;
    return cairn__job_submit(f, ok, fut);
}

static int run_delete_many(cairn_future *f)
{
    return cairn_delete_many(f->s, f->keys, f->n, &f->u64);
}

int cairn_async_delete_many(cairn_executor *ex, cairn_store *s, const char *const *keys,
                            size_t n, CAIRN__ASYNC_TAIL)
{
    if (!keys && n)
        return bad_arg(fut, "delete_many", "keys is NULL");
    JOB(run_delete_many, s);
    f->keys = keep_keys(f, keys, n, &ok);
    f->n = n;
    return cairn__job_submit(f, ok, fut);
}

/* ---- records with their metadata, copy ---- */

static int run_put_record(cairn_future *f)
{
    return cairn_put_record(f->s, f->key, f->val, f->len, &f->meta, f->behavior);
}

int cairn_async_put_record(cairn_executor *ex, cairn_store *s, const char *key,
                           const void *val, size_t len, const cairn_meta *meta,
                           cairn_behavior behavior, CAIRN__ASYNC_TAIL)
{
    if (!key || !meta)
        return bad_arg(fut, "put_record", key ? "meta is NULL" : "key is NULL");
    if (!val && len)
        return bad_arg(fut, "put_record", "val is NULL with a non-zero len");
    JOB(run_put_record, s);
    f->key = cairn__job_strdup(f, key, &ok);
    f->val = cairn__job_dup(f, val ? val : "", len, &ok);
    f->len = len;
    keep_meta(f, &f->meta, meta, &ok);
    f->behavior = behavior;
    return cairn__job_submit(f, ok, fut);
}

static int run_put_records(cairn_future *f)
{
    return cairn_put_records(f->s, f->ritems, f->n, f->behavior);
}

int cairn_async_put_records(cairn_executor *ex, cairn_store *s, const cairn_record_item *items,
                            size_t n, cairn_behavior behavior, CAIRN__ASYNC_TAIL)
{
    if (!items && n)
        return bad_arg(fut, "put_records", "items is NULL");
    JOB(run_put_records, s);
    f->ritems = cairn__job_dup(f, n ? (const void *)items : "", n * sizeof *items, &ok);
    cairn_meta *metas = cairn__job_alloc(f, n * sizeof *metas, &ok);
    for (size_t i = 0; ok && i < n; i++) {
        f->ritems[i].key = cairn__job_strdup(f, items[i].key, &ok);
        if (items[i].val)
            f->ritems[i].val = cairn__job_dup(f, items[i].val, items[i].len, &ok);
        if (items[i].meta) {
            keep_meta(f, &metas[i], items[i].meta, &ok);
            f->ritems[i].meta = &metas[i];
        }
    }
    f->n = n;
    f->behavior = behavior;
    return cairn__job_submit(f, ok, fut);
}

static int run_copy(cairn_future *f)
{
    f->has_cstats = 1;
    return cairn_copy(f->s, f->s2, f->copt, &f->cstats);
}

int cairn_async_copy(cairn_executor *ex, cairn_store *from, cairn_store *to,
                     const cairn_copy_opts *opt, CAIRN__ASYNC_TAIL)
{
    if (!to)
        return bad_arg(fut, "copy", "the destination store is NULL");
    JOB(run_copy, from);
    f->s2 = to;
    if (opt) {
        if ((rc_ = CAIRN__OPTS_READ(&f->copt_copy, opt, "copy options")))
            return cairn__job_abandon(f, rc_, fut);
        f->copt_copy.prefix = cairn__job_strdup(f, f->copt_copy.prefix, &ok);
        f->copt = &f->copt_copy;
    }
    return cairn__job_submit(f, ok, fut);
}

/* ---- maintenance, statistics ---- */

static int run_purge_expired(cairn_future *f)
{
    return cairn_purge_expired(f->s, &f->u64);
}

int cairn_async_purge_expired(cairn_executor *ex, cairn_store *s, CAIRN__ASYNC_TAIL)
{
    JOB(run_purge_expired, s);
    return cairn__job_submit(f, ok, fut);
}

static int run_stats(cairn_future *f)
{
    int rc = cairn_store_stats_get(f->s, &f->stats);
    f->has_stats = rc == CAIRN_OK;
    return rc;
}

int cairn_async_stats(cairn_executor *ex, cairn_store *s, CAIRN__ASYNC_TAIL)
{
    JOB(run_stats, s);
    return cairn__job_submit(f, ok, fut);
}

/* ---- models ---- */

static int run_model_register(cairn_future *f)
{
    return cairn_model_register(f->s, f->ref, f->val, f->len, f->flags, f->str);
}

int cairn_async_model_register(cairn_executor *ex, cairn_store *s, const char *ref,
                               const void *schema, size_t len, unsigned flags,
                               CAIRN__ASYNC_TAIL)
{
    if (!ref || (!schema && len))
        return bad_arg(fut, "model_register", ref ? "schema is NULL" : "ref is NULL");
    JOB(run_model_register, s);
    f->ref = cairn__job_strdup(f, ref, &ok);
    f->val = cairn__job_dup(f, schema ? schema : "", len, &ok);
    f->len = len;
    f->flags = flags;
    return cairn__job_submit(f, ok, fut);
}

static int run_model_resolve(cairn_future *f)
{
    return cairn_model_resolve(f->s, f->ref, f->str);
}

int cairn_async_model_resolve(cairn_executor *ex, cairn_store *s, const char *ref,
                              CAIRN__ASYNC_TAIL)
{
    if (!ref)
        return bad_arg(fut, "model_resolve", "ref is NULL");
    JOB(run_model_resolve, s);
    f->ref = cairn__job_strdup(f, ref, &ok);
    return cairn__job_submit(f, ok, fut);
}

static int run_model_schema(cairn_future *f)
{
    f->values = &f->value1;
    f->nvalues = 1;
    return cairn_model_schema(f->s, f->ref, &f->value1);
}

int cairn_async_model_schema(cairn_executor *ex, cairn_store *s, const char *ref,
                             CAIRN__ASYNC_TAIL)
{
    if (!ref)
        return bad_arg(fut, "model_schema", "ref is NULL");
    JOB(run_model_schema, s);
    f->ref = cairn__job_strdup(f, ref, &ok);
    return cairn__job_submit(f, ok, fut);
}

static int add_model_ref(void *ctx, const char *ns, const char *name, unsigned version,
                         const char *ref)
{
    (void)ns, (void)name, (void)version;
    return cairn__job_add_key(ctx, ref, strlen(ref));
}

static int run_model_list(cairn_future *f)
{
    return cairn_model_list(f->s, add_model_ref, f);
}

int cairn_async_model_list(cairn_executor *ex, cairn_store *s, CAIRN__ASYNC_TAIL)
{
    JOB(run_model_list, s);
    return cairn__job_submit(f, ok, fut);
}

static int run_model_remove(cairn_future *f)
{
    return cairn_model_remove(f->s, f->ref, &f->u64);
}

int cairn_async_model_remove(cairn_executor *ex, cairn_store *s, const char *ref,
                             CAIRN__ASYNC_TAIL)
{
    if (!ref)
        return bad_arg(fut, "model_remove", "ref is NULL");
    JOB(run_model_remove, s);
    f->ref = cairn__job_strdup(f, ref, &ok);
    return cairn__job_submit(f, ok, fut);
}

static int run_validate(cairn_future *f)
{
    return cairn_validate(f->s, f->ref, f->val, f->len, &f->verrs);
}

int cairn_async_validate(cairn_executor *ex, cairn_store *s, const char *ref, const void *doc,
                         size_t len, CAIRN__ASYNC_TAIL)
{
    if (!ref || (!doc && len))
        return bad_arg(fut, "validate", ref ? "doc is NULL" : "ref is NULL");
    JOB(run_validate, s);
    f->ref = cairn__job_strdup(f, ref, &ok);
    f->val = cairn__job_dup(f, doc ? doc : "", len, &ok);
    f->len = len;
    return cairn__job_submit(f, ok, fut);
}
