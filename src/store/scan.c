/*
 * scan.c — whole-store scans: count, stats, purge, delete by prefix,
 * upgrade.
 */
#include "store/front.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Whole-store scans: count, stats, purge, delete by prefix            */
/* ------------------------------------------------------------------ */

typedef struct {
    cairn_iter *it; /* for the filters */
    uint64_t live, expired, bytes;
} tally;

static int tally_cb(void *ctx, const char *key, size_t klen, const void *rec,
                    size_t rlen)
{
    tally *t = ctx;
    if (!cairn__iter_wants(t->it, key, klen))
        return 0;
    cairn__rec r;
    if (cairn__rec_decode(rec, rlen, false, &r) == CAIRN_OK) {
        if (cairn__expired(r.meta.expires_ms, t->it->now)) {
            t->expired++;
            return 0;
        }
        t->bytes += r.meta.size;
    }
    t->live++;
    return 0;
}

static int tally_scan(cairn_store *s, const char *prefix, bool raw, tally *t)
{
    cairn_iter *it;
    int rc = cairn__list_iter(s, "list", prefix, raw, &it);
    if (rc)
        return rc;
    t->it = it;
    rc = s->m->scan(s->be, it->lo, it->lolen, 0, it->hi, it->hilen, 0, tally_cb, t);
    cairn_iter_free(it);
    return rc > 0 ? CAIRN_EIO : rc;
}

static int count(cairn_store *s, const char *what, const char *prefix, bool raw,
                 uint64_t *out)
{
    tally t = {0};
    int rc;
    if ((rc = check_store(s, what)))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "%s: out is NULL", what);
    if ((rc = tally_scan(s, prefix, raw, &t)))
        return cairn__err_prefix(rc, "%s", what);
    *out = t.live;
    return CAIRN_OK;
}

CAIRN_API int cairn_count(cairn_store *s, const char *prefix, uint64_t *out)
{
    return count(s, "count", prefix, false, out);
}

CAIRN_API int cairn_count_raw(cairn_store *s, const char *prefix, uint64_t *out)
{
    return count(s, "count_raw", prefix, true, out);
}

CAIRN_API int cairn_store_stats_get(cairn_store *s, cairn_stats *out)
{
    tally t = {0};
    int rc;
    if ((rc = check_store(s, "stats")))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "stats: out is NULL");
    if ((rc = tally_scan(s, NULL, false, &t)))
        return cairn__err_prefix(rc, "stats");
    memset(out, 0, sizeof *out);
    out->backend = s->m->name;
    out->keys = t.live;
    out->value_bytes = t.bytes;
    out->expired = t.expired;
    out->puts = __atomic_load_n(&s->n_put, __ATOMIC_RELAXED);
    out->skips = __atomic_load_n(&s->n_skip, __ATOMIC_RELAXED);
    out->gets = __atomic_load_n(&s->n_get, __ATOMIC_RELAXED);
    out->get_misses = __atomic_load_n(&s->n_miss, __ATOMIC_RELAXED);
    out->deletes = __atomic_load_n(&s->n_del, __ATOMIC_RELAXED);
    return CAIRN_OK;
}

/* Collect up to ITER_BATCH keys (with the iterator's filters), then run an
 * op of kind on each, one transaction per batch, until the scan is done. */
typedef struct {
    cairn_iter *it;
    op_kind kind; /* OP_DELETE: every key; OP_PURGE: expired records;
                     OP_UPGRADE: live records of an older header version */
    char *keys[ITER_BATCH];
    size_t lens[ITER_BATCH];
    size_t n;
} collect;

static int collect_cb(void *ctx, const char *key, size_t klen, const void *rec,
                      size_t rlen)
{
    collect *c = ctx;
    if (!cairn__iter_wants(c->it, key, klen))
        return 0;
    if (c->kind != OP_DELETE) {
        cairn__rec r;
        if (cairn__rec_decode(rec, rlen, false, &r) != CAIRN_OK)
            return 0;
        bool expired = cairn__expired(r.meta.expires_ms, c->it->now);
        if (c->kind == OP_PURGE ? !expired : expired || r.bound)
            return 0;
    }
    if (!(c->keys[c->n] = malloc(klen + 1)))
        return cairn__err(CAIRN_ENOMEM, "out of memory");
    memcpy(c->keys[c->n], key, klen);
    c->keys[c->n][klen] = '\0';
    c->lens[c->n++] = klen;
    return c->n == ITER_BATCH ? 1 : 0;
}

static int sweep(cairn_store *s, const char *prefix, bool raw, op_kind kind, uint64_t *n_out)
{
    cairn_iter *it;
    int rc = cairn__list_iter(s, "list", prefix, raw, &it);
    if (rc)
        return rc;
    if (kind != OP_DELETE)
        it->hide_reserved = false; /* the library's own records too */
    collect c = {.it = it, .kind = kind};
    uint64_t total = 0;
    for (;;) {
        c.n = 0;
        rc = s->m->scan(s->be, it->lo, it->lolen, it->lo_excl, it->hi, it->hilen, 0,
                        collect_cb, &c);
        if (rc > 0)
            rc = CAIRN_EIO;
        if (rc == CAIRN_OK && c.n) {
            wctx cs[ITER_BATCH];
            for (size_t i = 0; i < c.n; i++)
                cairn__wctx_init(&cs[i], s, kind, c.keys[i], c.lens[i], NULL);
            rc = cairn__run_batch(s, cs, c.n);
            for (size_t i = 0; i < c.n && !rc; i++)
                total += cs[i].status == CAIRN_OK;
            for (size_t i = 0; i < c.n; i++)
                free(cs[i].buf); /* an upgrade's new records */
            /* Resume after the last key seen. */
            int grc = cairn__grow(&it->lo, &it->lo_cap, c.lens[c.n - 1] + 1);
            if (grc == CAIRN_OK) {
                memcpy(it->lo, c.keys[c.n - 1], c.lens[c.n - 1] + 1);
                it->lolen = c.lens[c.n - 1];
                it->lo_excl = true;
            } else if (!rc) {
                rc = grc;
            }
        }
        size_t got = c.n;
        for (size_t i = 0; i < c.n; i++)
            free(c.keys[i]);
        if (rc || got < ITER_BATCH)
            break;
    }
    cairn_iter_free(it);
    if (n_out)
        *n_out = total;
    return rc;
}

/* Remove the keys under prefix (NULL: every key but the library's own),
 * counting them in the store's deletes and in *n (may be NULL). */
static int remove_swept(cairn_store *s, const char *what, const char *prefix, bool raw,
                        uint64_t *n)
{
    uint64_t d = 0;
    int rc = sweep(s, prefix, raw, OP_DELETE, &d);
    if (rc)
        return prefix ? cairn__err_prefix(rc, "%s %s", what, prefix)
                      : cairn__err_prefix(rc, "%s", what);
    __atomic_add_fetch(&s->n_del, d, __ATOMIC_RELAXED);
    if (n)
        *n = d;
    return CAIRN_OK;
}

/* Both forms refuse what a slip of the hand would make "everything" (NULL,
 * an empty prefix) and the library's own namespace; a raw prefix that
 * merely reaches into it ("_", "_cai") never removes the library's keys,
 * which every raw listing hides. */
static int delete_prefix(cairn_store *s, const char *what, const char *prefix, bool raw,
                         uint64_t *n)
{
    int rc;
    if ((rc = check_store(s, what)))
        return rc;
    if (!prefix)
        return cairn__err(CAIRN_EINVAL, "%s: prefix is NULL", what);
    char k[CAIRN_KEY_MAX + 1];
    size_t klen = strlen(prefix);
    if (!raw) {
        if ((rc = cairn__check_key(what, prefix, k, &klen, true)))
            return rc;
        prefix = k;
    } else if (!klen) {
        return cairn__err(CAIRN_EINVAL, "%s: the prefix is empty (it would remove every key)",
                          what);
    } else if ((rc = cairn__check_unreserved(what, prefix, klen))) {
        return rc;
    }
    return remove_swept(s, what, prefix, raw, n);
}

CAIRN_API int cairn_delete_prefix(cairn_store *s, const char *prefix, uint64_t *n)
{
    return delete_prefix(s, "delete_prefix", prefix, false, n);
}

CAIRN_API int cairn_delete_prefix_raw(cairn_store *s, const char *prefix, uint64_t *n)
{
    return delete_prefix(s, "delete_prefix_raw", prefix, true, n);
}

CAIRN_API int cairn_clear(cairn_store *s, uint64_t *n)
{
    int rc;
    if ((rc = check_store(s, "clear")))
        return rc;
    return remove_swept(s, "clear", NULL, false, n); /* NULL: all but _cairn/ */
}

CAIRN_API int cairn_purge_expired(cairn_store *s, uint64_t *n)
{
    int rc;
    if ((rc = check_store(s, "purge")))
        return rc;
    uint64_t d = 0;
    if (s->m->version >= 2 && s->m->purge_expired) {
        rc = s->m->purge_expired(s->be, cairn_now_ms(), &d);
        if (rc > 0)
            rc = CAIRN_EIO;
    } else {
        rc = sweep(s, NULL, false, OP_PURGE, &d);
    }
    if (rc)
        return cairn__err_prefix(rc, "purge");
    if (n)
        *n = d;
    return CAIRN_OK;
}

CAIRN_API int cairn_upgrade(cairn_store *s, const char *prefix, uint64_t *n)
{
    int rc;
    if ((rc = check_store(s, "upgrade")))
        return rc;
    uint64_t d = 0;
    if ((rc = sweep(s, prefix, false, OP_UPGRADE, &d)))
        return cairn__err_prefix(rc, "upgrade");
    if (n)
        *n = d;
    return CAIRN_OK;
}
