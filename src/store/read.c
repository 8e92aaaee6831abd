/*
 * read.c — reads: get, exists, get_many. Records are decoded and verified;
 * a record the memory tier hands over decoded (cairn__rec_known) is not
 * decoded again.
 */
#include "store/front.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Reads                                                               */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *key;
    size_t klen;
    cairn_value *v; /* NULL when expired */
    bool head_only;
} rctx;

static int read_cb(void *ctx, const void *rec, size_t len)
{
    rctx *c = ctx;
    cairn__rec dec;
    /* A record from the memory tier comes decoded and verified (see
     * cairn__rec_known): read it in place, no copy of its decoding. */
    const cairn__rec *r = rec == cairn__rec_known.rec ? cairn__rec_known.r : NULL;
    bool known = r != NULL;
    /* The record is usually cold (a B-tree leaf, a page just read): ask for
     * all its cache lines at once instead of one by one as decoding and
     * copying reach them. */
    if (!c->head_only && !known) {
        size_t pf = len < 8192 ? len : 8192;
        for (size_t off = 0; off < pf; off += 64)
            __builtin_prefetch((const char *)rec + off);
    }
    int rc;
    if (!known) {
        if ((rc = cairn__rec_decode(rec, len, false, &dec)))
            return rc;
        r = &dec;
    }
    /* A record placed under another key's name is not this key's value. */
    if ((rc = cairn__rec_check_key(r, c->key, c->klen)))
        return rc;
    /* The clock is read only for records that can expire. */
    if (r->meta.expires_ms && cairn__expired(r->meta.expires_ms, cairn_now_ms()))
        return CAIRN_ENOTFOUND;
    if (c->head_only)
        return CAIRN_OK;
    /* Copy first, then verify the copy: the copy streams the value in from
     * the backend's (often cold) memory faster than hashing does, and the
     * hash then runs on warm cache lines. */
    if (!known && (rc = cairn__rec_check_size(r, len)))
        return rc;
    if (r->zstd) {
        /* Decompressed (and checked against the checksum) into a buffer
         * of its own, which the value takes over. */
        cairn__rec z = *r;
        char *plain;
        if ((rc = cairn__rec_load(&z, &plain)))
            return rc;
        return (c->v = cairn__value_new(c->key, c->klen, &z, plain)) ? CAIRN_OK : CAIRN_ENOMEM;
    }
    if (!(c->v = cairn__value_new(c->key, c->klen, r, NULL)))
        return CAIRN_ENOMEM;
    if (!known && (rc = cairn__rec_check_sum(r, c->v->data))) {
        cairn_value_free(c->v);
        c->v = NULL;
        return rc;
    }
    return CAIRN_OK;
}

typedef int (*get_fn)(void *be, const char *k, size_t kl, cairn_backend_read_fn fn, void *ctx);

/* Read the normalised key k through get (the backend's, unless a caller
 * reads another way), counting gets and misses when count is set. */
static int get_one(cairn_store *s, get_fn get, bool count, const char *k, size_t klen,
                   bool head_only, cairn_value **out)
{
    rctx c = {k, klen, NULL, head_only};
    int rc = get(s->be, k, klen, read_cb, &c);
    if (rc > 0)
        rc = CAIRN_EIO;
    if (count)
        COUNT(s, n_get);
    if (rc == CAIRN_ENOTFOUND) {
        if (count)
            COUNT(s, n_miss);
        return cairn__err(CAIRN_ENOTFOUND, "not found");
    }
    if (rc)
        return rc;
    if (out)
        *out = c.v;
    return CAIRN_OK;
}

/* cairn_get, named what, through get; count as get_one. */
static int get_key(cairn_store *s, const char *what, const char *key, get_fn get, bool count,
                   cairn_value **out)
{
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    int rc;
    if (out)
        *out = NULL; /* on every failure too */
    if ((rc = check_store(s, what)) || (rc = cairn__check_key(what, key, k, &klen, false)))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "%s %s: out is NULL", what, k);
    if ((rc = get_one(s, get, count, k, klen, false, out)))
        return cairn__err_prefix(rc, "%s %s", what, k);
    return CAIRN_OK;
}

CAIRN_API int cairn_get(cairn_store *s, const char *key, cairn_value **out)
{
    return get_key(s, "get", key, s ? s->m->get : NULL, true, out);
}

/* cairn_get through another get than the backend's (cairn_tier_get reads
 * memory only); not counted. */
int cairn__store_get_via(cairn_store *s, const char *what, const char *key, get_fn get,
                         cairn_value **out)
{
    return get_key(s, what, key, get, false, out);
}

CAIRN_API int cairn_exists(cairn_store *s, const char *key)
{
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    int rc;
    if ((rc = check_store(s, "exists")) ||
        (rc = cairn__check_key("exists", key, k, &klen, false)))
        return rc;
    if ((rc = get_one(s, s->m->get, true, k, klen, true, NULL)))
        return cairn__err_prefix(rc, "exists %s", k);
    return CAIRN_OK;
}

/* get_many through the backend's own get_many (version 2): every key
 * normalised first, then one backend call. */
typedef struct {
    char (*keys)[CAIRN_KEY_MAX + 1];
    size_t *lens;
    cairn_value **out;
    size_t bad; /* the key a failure is about */
} many_ctx;

static int many_cb(void *ctx, size_t i, const void *rec, size_t len)
{
    many_ctx *m = ctx;
    rctx c = {m->keys[i], m->lens[i], NULL, false};
    int rc = read_cb(&c, rec, len);
    if (rc == CAIRN_ENOTFOUND) /* expired */
        return CAIRN_OK;
    if (rc) {
        m->bad = i;
        return rc < 0 ? rc : CAIRN_EIO;
    }
    cairn_value_free(m->out[i]); /* a backend that repeats a key */
    m->out[i] = c.v;
    return CAIRN_OK;
}

static int get_many_batched(cairn_store *s, const char *const *keys, size_t n,
                            cairn_value **out)
{
    many_ctx m = {malloc(n * sizeof *m.keys), malloc(n * sizeof *m.lens), out, n};
    const char **kp = malloc(n * sizeof *kp);
    int rc = CAIRN_OK;
    if (!m.keys || !m.lens || !kp) {
        rc = cairn__err(CAIRN_ENOMEM, "get_many: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = cairn__check_key("get_many", keys[i], m.keys[i], &m.lens[i], false)))
            goto out;
        kp[i] = m.keys[i];
    }
    rc = s->m->get_many(s->be, kp, m.lens, n, many_cb, &m);
    if (rc > 0)
        rc = CAIRN_EIO;
    for (size_t i = 0; i < n; i++) {
        COUNT(s, n_get);
        if (!out[i])
            COUNT(s, n_miss);
    }
    if (rc && m.bad < n)
        cairn__err_prefix(rc, "get_many %s", m.keys[m.bad]);
    else if (rc)
        cairn__err_prefix(rc, "get_many");
out:
    free(m.keys);
    free(m.lens);
    free(kp);
    return rc;
}

CAIRN_API int cairn_get_many(cairn_store *s, const char *const *keys, size_t n,
                             cairn_value **out)
{
    int rc;
    if ((rc = check_store(s, "get_many")))
        return rc;
    if ((!keys || !out) && n)
        return cairn__err(CAIRN_EINVAL, "get_many: keys or out is NULL");
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    if (n > 1 && s->m->version >= 2 && s->m->get_many) {
        if ((rc = get_many_batched(s, keys, n, out)))
            goto fail;
        cairn__err_clear();
        return CAIRN_OK;
    }
    for (size_t i = 0; i < n; i++) {
        char k[CAIRN_KEY_MAX + 1];
        size_t klen;
        if ((rc = cairn__check_key("get_many", keys[i], k, &klen, false)))
            goto fail;
        rc = get_one(s, s->m->get, true, k, klen, false, &out[i]);
        if (rc == CAIRN_ENOTFOUND)
            continue;
        if (rc) {
            cairn__err_prefix(rc, "get_many %s", k);
            goto fail;
        }
    }
    cairn__err_clear();
    return CAIRN_OK;
fail:
    for (size_t i = 0; i < n; i++) {
        cairn_value_free(out[i]);
        out[i] = NULL;
    }
    return rc;
}
