/*
 * put_record.c — records brought with their metadata (copy, import): times,
 * expiry and version kept instead of stamped now.
 */
#include "store/front.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Records with their metadata (put_record)                            */
/* ------------------------------------------------------------------ */

/* cairn__write_cb, remembering whether this item is the one that failed: a batch
 * fails as a whole and the caller wants to name the culprit. */
static int record_cb(void *ctx, const void *rec, size_t rlen, const void **out,
                     size_t *olen)
{
    wctx *c = ctx;
    int rc = cairn__write_cb(ctx, rec, rlen, out, olen);
    c->status = rc < 0 ? rc : c->status;
    return rc;
}

static int check_meta(const cairn_meta *m, const void *val, size_t len)
{
    if (!m)
        return cairn__err(CAIRN_EINVAL, "meta is NULL");
    if (m->created_ms < 0 || m->updated_ms < 0 || m->expires_ms < 0)
        return cairn__err(CAIRN_EINVAL, "negative time in the metadata");
    if (m->created_ms && m->updated_ms && m->updated_ms < m->created_ms)
        return cairn__err(CAIRN_EINVAL, "updated_ms %lld is before created_ms %lld",
                          (long long)m->updated_ms, (long long)m->created_ms);
    if (m->checksum && (val || !len) && cairn__hash(val, len) != m->checksum)
        return cairn__err(CAIRN_ECORRUPT,
                          "checksum %016llx does not match the value (%016llx)",
                          (unsigned long long)m->checksum,
                          (unsigned long long)cairn__hash(val, len));
    return CAIRN_OK;
}

CAIRN_API int cairn_put_records(cairn_store *s, cairn_record_item *items, size_t n,
                                cairn_behavior behavior)
{
    int rc;
    if ((rc = check_store(s, "put_records")))
        return rc;
    if (!items && n)
        return cairn__err(CAIRN_EINVAL, "put_records: items is NULL");
    if ((unsigned)behavior > CAIRN_OVERWRITE)
        return cairn__err(CAIRN_EINVAL, "put_records: unknown behavior %d", (int)behavior);
    /* Keys are normalised into one arena: one allocation per batch. */
    char *arena = malloc(n ? n * (CAIRN_KEY_MAX + 1) : 1);
    wctx *cs = calloc(n ? n : 1, sizeof *cs);
    const char **sorted = calloc(n ? n : 1, sizeof *sorted);
    size_t *idx = calloc(n ? n : 1, sizeof *idx); /* cs[j] is items[idx[j]] */
    size_t m = 0, i;
    if (!arena || !cs || !sorted || !idx) {
        rc = cairn__err(CAIRN_ENOMEM, "put_records: out of memory");
        goto out;
    }
    int64_t now = cairn_now_ms();
    for (i = 0; i < n; i++)
        items[i].status = CAIRN_OK;
    for (i = 0; i < n; i++) {
        char *k = arena + i * (CAIRN_KEY_MAX + 1);
        size_t klen;
        const cairn_meta *md = items[i].meta;
        if ((rc = cairn__check_key("put_record", items[i].key, k, &klen, true)))
            goto bad_item;
        sorted[i] = k;
        cairn_put_opts o = {.behavior = behavior};
        if (md) {
            o.format = md->format;
            o.model = md->model && *md->model ? md->model : NULL;
        }
        /* The record keeps its model reference but is not validated here
         * (the model may not exist in this store). */
        const char *um = md ? md->user_meta : NULL;
        size_t ul = um ? (md->user_meta_len ? md->user_meta_len : strlen(um)) : 0;
        if ((rc = check_meta(md, items[i].val, items[i].len)) || (rc = cairn__check_opts(&o)) ||
            (rc = cairn__check_value(&o, items[i].val, items[i].len, false)) ||
            (um && (rc = cairn__check_umeta(um, ul)))) {
            rc = cairn__err_prefix(rc, "put_record %s", k);
            goto bad_item;
        }
        if (md->expires_ms && cairn__expired(md->expires_ms, now)) {
            items[i].status = CAIRN_SKIPPED; /* already gone at the source */
            continue;
        }
        cairn__wctx_init(&cs[m], s, OP_PUT, k, klen, &o);
        cs[m].now = now;
        cs[m].val = items[i].val;
        cs[m].len = items[i].len;
        cs[m].rec = md;
        cs[m].um = um;
        cs[m].ul = ul;
        cs[m].um_set = um != NULL;
        idx[m++] = i;
        continue;
    bad_item:
        items[i].status = rc;
        goto out;
    }
    if ((rc = cairn__keys_unique("put_records", sorted, n))) {
        for (i = 0; i < n; i++)
            items[i].status = rc;
        goto out;
    }
    rc = m ? cairn__run_batch_cb(s, cs, m, record_cb) : CAIRN_OK;
    if (rc) {
        /* The item whose cairn__write_cb failed holds the error and is named; the
         * others keep 0. An error no item caused (I/O) goes to every item. */
        size_t j;
        for (j = 0; j < m && cs[j].status >= 0; j++)
            ;
        if (j < m) {
            items[idx[j]].status = cs[j].status;
            rc = cairn__err_prefix(cs[j].status, "put_record %s", cs[j].key);
        } else {
            for (i = 0; i < n; i++)
                items[i].status = rc;
        }
        goto out;
    }
    for (size_t j = 0; j < m; j++) {
        items[idx[j]].status = cs[j].status;
        COUNT(s, n_put);
        if (cs[j].status == CAIRN_SKIPPED)
            COUNT(s, n_skip);
    }
out:
    for (i = 0; i < m; i++)
        free(cs[i].buf);
    free(idx);
    free(sorted);
    free(cs);
    free(arena);
    return rc;
}

CAIRN_API int cairn_put_record(cairn_store *s, const char *key, const void *val,
                               size_t len, const cairn_meta *meta, cairn_behavior behavior)
{
    cairn_record_item it = {key, val, len, meta, 0};
    int rc = cairn_put_records(s, &it, 1, behavior);
    return rc ? rc : it.status;
}
