/*
 * put_record.c — records brought with their metadata (copy, import): times,
 * expiry and version kept instead of stamped now.
 */
#include "store/front.h"

#include <stdio.h>
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
    /* Every checksum is checked, 0 too: a value never brings "no checksum"
     * (a caller without one computes it with cairn_checksum()). */
    uint64_t sum = cairn_checksum(val, len);
    if ((val || !len) && sum != m->checksum)
        return cairn__err(CAIRN_ECORRUPT,
                          "checksum %016llx does not match the value (%016llx)",
                          (unsigned long long)m->checksum, (unsigned long long)sum);
    return CAIRN_OK;
}

CAIRN_API uint64_t cairn_checksum(const void *val, size_t len)
{
    return val || !len ? cairn__hash(val, len) : 0;
}

/* The model of a record: resolved in this store's registry (not registered:
 * CAIRN_EMODEL), the value validated against it, o->model pointed at the
 * resolved reference in mref. *held keeps the last model resolved, so a
 * batch of records under one model resolves it once; the caller releases
 * it. */
static int record_model(cairn_store *s, cairn_put_opts *o, const void *val, size_t len,
                        char *mref, cairn__model **held, const char **held_ref)
{
    if (!*held || strcmp(*held_ref, o->model)) {
        cairn__model_release(*held);
        *held = NULL;
        int rc = cairn__model_hold(s, o->model, mref, held);
        if (rc)
            return rc;
        *held_ref = o->model;
    } else {
        snprintf(mref, CAIRN_MODEL_MAX + 1, "%s", cairn__model_ref(*held));
    }
    const void *v = val;
    char *filled = NULL;
    int rc = cairn__model_validate(*held, false, &v, &len, &filled);
    free(filled); /* none without fill */
    if (rc == CAIRN_OK)
        o->model = mref;
    return rc;
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
    /* Keys and resolved model references go into one arena each: one
     * allocation per batch. */
    char *arena = malloc(n ? n * (CAIRN_KEY_MAX + 1) : 1);
    char *mrefs = malloc(n ? n * (CAIRN_MODEL_MAX + 1) : 1);
    cairn__model *held = NULL;
    const char *held_ref = NULL;
    wctx *cs = calloc(n ? n : 1, sizeof *cs);
    const char **sorted = calloc(n ? n : 1, sizeof *sorted);
    size_t *idx = calloc(n ? n : 1, sizeof *idx); /* cs[j] is items[idx[j]] */
    size_t m = 0, i;
    if (!arena || !mrefs || !cs || !sorted || !idx) {
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
        const char *um = md ? md->user_meta : NULL;
        size_t ul = um ? (md->user_meta_len ? md->user_meta_len : strlen(um)) : 0;
        if ((rc = check_meta(md, items[i].val, items[i].len)) || (rc = cairn__check_opts(&o)) ||
            (rc = cairn__check_value(&o, items[i].val, items[i].len, o.model != NULL)) ||
            (um && (rc = cairn__check_umeta(um, ul)))) {
            rc = cairn__err_prefix(rc, "put_record %s", k);
            goto bad_item;
        }
        if (md->expires_ms && cairn__expired(md->expires_ms, now)) {
            items[i].status = CAIRN_SKIPPED; /* already gone at the source */
            continue;
        }
        /* A record under a model is validated against this store's
         * registry, as a put with that model would be. */
        if (o.model && (rc = record_model(s, &o, items[i].val, items[i].len,
                                          mrefs + i * (CAIRN_MODEL_MAX + 1), &held,
                                          &held_ref))) {
            rc = cairn__err_prefix(rc, "put_record %s", k);
            goto bad_item;
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
    cairn__model_release(held);
    for (i = 0; i < m; i++)
        free(cs[i].buf);
    free(idx);
    free(sorted);
    free(cs);
    free(arena);
    free(mrefs);
    return rc;
}

CAIRN_API int cairn_put_record(cairn_store *s, const char *key, const void *val,
                               size_t len, const cairn_meta *meta, cairn_behavior behavior)
{
    cairn_record_item it = {key, val, len, meta, 0};
    int rc = cairn_put_records(s, &it, 1, behavior);
    return rc ? rc : it.status;
}
