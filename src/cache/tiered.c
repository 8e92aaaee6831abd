/*
 * tiered.c — the "tiered:" backend: a cairn_cache of records in front of
 * another backend, behind the same vtable, so the core (formats, models,
 * TTLs, checksums) runs unchanged above it and records are cached exactly
 * as the inner backend stores them.
 */
#include "cache_internal.h"
#include "../store/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TTL_DEFAULT 1000 /* ms; see docs/cache.md: bounds staleness across processes */
#define MB_DEFAULT 64
#define SWEEP_BATCH 256

typedef struct {
    cairn_store *inner; /* owned */
    const cairn_backend_methods *m;
    void *be;
    cairn_cache *cache;
    /* the backend's generation; NULL when it has none or entries never
     * expire (no TTL: nothing to renew): see renew() */
    int (*gen)(void *be, uint64_t *gen);
} tiered;

static tiered *tiered_new(cairn_store *inner, const cairn_cache_options *co)
{
    tiered *t = calloc(1, sizeof *t);
    if (!t) {
        cairn__err(CAIRN_ENOMEM, "tiered: out of memory");
        return NULL;
    }
    if (cairn_cache_new(co, &t->cache)) {
        free(t);
        return NULL;
    }
    t->inner = inner;
    t->be = cairn__store_be(inner, &t->m, NULL);
    t->gen = t->m->version >= 3 && co->default_ttl_ms > 0 ? t->m->generation : NULL;
    return t;
}

void cairn__tiered_defaults(cairn_cache_options *co)
{
    memset(co, 0, sizeof *co);
    co->max_bytes = (uint64_t)MB_DEFAULT << 20;
    co->default_ttl_ms = TTL_DEFAULT;
}

/* Parse one cache_ parameter into co. CAIRN_EURL naming it when bad. */
static int tier_param(const char *name, size_t nlen, const char *val, size_t vlen,
                      cairn_cache_options *co)
{
    char v[32];
    if (vlen == 0 || vlen >= sizeof v)
        goto bad;
    memcpy(v, val, vlen);
    v[vlen] = '\0';
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (*end || errno)
        goto bad;
#define IS(s) (nlen == sizeof(s) - 1 && memcmp(name, s, nlen) == 0)
    if (IS("cache_mb")) {
        if (n < 1 || n > 1048576)
            goto bad;
        co->max_bytes = (uint64_t)n << 20;
    } else if (IS("cache_entries")) {
        if (n < 0)
            goto bad;
        co->max_entries = (uint64_t)n;
    } else if (IS("cache_ttl_ms")) {
        if (n == 0 || n < -1)
            goto bad;
        co->default_ttl_ms = n; /* -1: never */
    } else if (IS("cache_shards")) {
        if (n < 1 || n > 1024)
            goto bad;
        co->shards = (unsigned)n;
    } else {
        return cairn__err(CAIRN_EURL,
                          "tiered: unknown parameter '%.*s' (known: cache_mb, cache_entries, "
                          "cache_ttl_ms, cache_shards)",
                          (int)nlen, name);
    }
#undef IS
    return CAIRN_OK;
bad:
    return cairn__err(CAIRN_EURL,
                      "tiered: bad value '%.*s' for %.*s (cache_mb: 1..1048576, "
                      "cache_entries: 0 or more, cache_ttl_ms: a positive number of ms or "
                      "-1 for never, cache_shards: 1..1024)",
                      (int)(vlen > 40 ? 40 : vlen), val, (int)nlen, name);
}

/* Split loc into the inner URL (written to inner, same size as loc + 1)
 * and the tier's parameters (into co). */
int cairn__tiered_split(const char *loc, char *inner, cairn_cache_options *co)
{
    const char *q = strchr(loc, '?');
    size_t base = q ? (size_t)(q - loc) : strlen(loc);
    memcpy(inner, loc, base);
    size_t o = base;
    bool first = true;
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        size_t nlen = eq ? (size_t)(eq - p) : plen;
        if (nlen >= 6 && memcmp(p, "cache_", 6) == 0) {
            int rc = tier_param(p, nlen, eq ? eq + 1 : "", eq ? plen - nlen - 1 : 0, co);
            if (rc)
                return rc;
        } else if (plen) {
            inner[o++] = first ? '?' : '&';
            memcpy(inner + o, p, plen);
            o += plen;
            first = false;
        }
        p = amp ? amp + 1 : NULL;
    }
    inner[o] = '\0';
    return CAIRN_OK;
}

static int t_open(const char *location, const struct cairn_options *opt, void **self)
{
    if (!*location)
        return cairn_backend_error(CAIRN_EURL, "tiered: needs the URL of a backend after "
                                               "'tiered:' (e.g. tiered:lmdb:DIR)");
    char *inner = malloc(strlen(location) + 1);
    if (!inner)
        return cairn_backend_error(CAIRN_ENOMEM, "tiered: out of memory");
    cairn_cache_options co;
    cairn__tiered_defaults(&co);
    int rc = cairn__tiered_split(location, inner, &co);
    if (rc == CAIRN_OK && (!*inner || *inner == '?'))
        rc = cairn__err(CAIRN_EURL, "tiered: needs the URL of a backend after 'tiered:'");
    if (rc == CAIRN_OK && strncmp(inner, "tiered:", 7) == 0)
        rc = cairn__err(CAIRN_EURL, "tiered: cannot wrap another tiered: store");
    cairn_store *s = NULL;
    if (rc == CAIRN_OK)
        rc = cairn_store_open(inner, opt, &s);
    free(inner);
    if (rc)
        return rc;
    tiered *t = tiered_new(s, &co);
    if (!t) {
        cairn_store_close(s);
        return CAIRN_ENOMEM;
    }
    *self = t;
    return CAIRN_OK;
}

bool cairn__tiered_batches(void *be)
{
    return cairn__store_batches(((tiered *)be)->inner);
}

static void t_close(void *self)
{
    tiered *t = self;
    cairn_cache_free(t->cache);
    cairn_store_close(t->inner);
    free(t);
}

/* ---- what memory holds ----
 *
 * Each cache value is a head, then the record as the backend stores it.
 * The head is filled on the entry's own copy before readers can see it:
 * when the record decodes, its value matches its checksum and lies inside
 * the record, the head keeps the decoding (pointing into the entry), and a
 * hit hands it to the core (cairn__rec_known), which then neither decodes
 * nor hashes again. Otherwise (a corrupt record) the core decodes and
 * reports it as from the backend.
 */
typedef struct {
    uint64_t known;
    uint64_t gen; /* gen_now() before rec was read (0: none) */
    cairn__rec r;
} head;
#define PREFIX ((sizeof(head) + 15) & ~(size_t)15)

static void head_init(void *val, size_t len)
{
    head *hd = val;
    const char *rec = (const char *)val + PREFIX;
    size_t rlen = len - PREFIX;
    /* Only a plain value that ends the record (so the entry's NUL follows
     * it) is handed out in place. */
    hd->known = cairn__rec_decode(rec, rlen, true, &hd->r) == CAIRN_OK && hd->r.value &&
                hd->r.meta.compression && strcmp(hd->r.meta.compression, "none") == 0 &&
                hd->r.value >= rec && hd->r.value + hd->r.meta.size == rec + rlen;
}

/* The backend's generation now, plus one; 0 when there is none (which a
 * generation of UINT64_MAX becomes too: such an entry is just never
 * renewed). */
static uint64_t gen_now(tiered *t)
{
    uint64_t g;
    if (t->gen && t->gen(t->be, &g) == CAIRN_OK)
        return g + 1;
    cairn__err_clear();
    return 0;
}

/* An entry whose TTL ran out lives on if no write committed to the store
 * since its record was read: the generation read before the read is the
 * generation now. Records kept by a write are never renewed (our own
 * commit moved the generation past what we could have read before it). */
static bool renew(void *ctx, const cairn_cache_entry *e)
{
    tiered *t = ctx;
    const head *hd = cairn_cache_entry_data(e, NULL);
    return hd->gen && gen_now(t) == hd->gen;
}

/* Keep rec in memory: fill (stamp checked) or write (stamp bumped). gen:
 * gen_now() before rec was read (0: never renew). */
static void keep(tiered *t, const char *key, size_t klen, uint64_t h, const void *rec,
                 size_t len, uint64_t stamp, bool write, uint64_t gen)
{
    char stack[PREFIX + 4096];
    char *buf = len <= sizeof stack - PREFIX ? stack : malloc(PREFIX + len);
    if (!buf) {
        /* no room to copy: forget the key rather than keep an old record */
        cairn__cache_write(t->cache, key, klen, h, NULL, 0, 0, stamp, NULL);
        return;
    }
    memset(buf, 0, PREFIX);
    ((head *)(void *)buf)->gen = gen;
    memcpy(buf + PREFIX, rec, len);
    if (write)
        cairn__cache_write(t->cache, key, klen, h, buf, PREFIX + len, 0, stamp, head_init);
    else
        cairn__cache_fill(t->cache, key, klen, h, buf, PREFIX + len, 0, stamp, head_init);
    cairn__err_clear(); /* a corrupt record is kept as it is, silently */
    if (buf != stack)
        free(buf);
}

/* Hand a held entry's record to fn, then let go of it. */
static int serve(cairn_cache_entry *e, cairn_backend_read_fn fn, void *ctx)
{
    size_t len;
    const char *d = cairn_cache_entry_data(e, &len);
    const head *hd = (const head *)(const void *)d;
    const char *rec = d + PREFIX;
    cairn__rec_hint was = cairn__rec_known;
    if (hd->known)
        cairn__rec_known = (cairn__rec_hint){rec, &hd->r, e};
    int rc = fn(ctx, rec, len - PREFIX);
    cairn__rec_known = was;
    cairn_cache_entry_release(e);
    return rc;
}

/* ---- reads ---- */

/* The library's own records ("_cairn/...": the model registry and its
 * generation counter) are read by every handle to see what other processes
 * registered: they never stay in memory. */
static bool bypass(const char *key, size_t klen)
{
    return klen >= 6 && key[0] == '_' && cairn__key_reserved(key, klen);
}


typedef struct {
    tiered *t;
    const char *key;
    size_t klen;
    uint64_t hash, stamp;
    cairn_backend_read_fn fn;
    void *ctx;
    uint64_t gen;
} fill_ctx;

/* A record from the backend: hand it on, and keep it when the core took it
 * (so expired and corrupt records are not kept). */
static int fill_cb(void *ctx, const void *rec, size_t len)
{
    fill_ctx *f = ctx;
    int rc = f->fn(f->ctx, rec, len);
    if (rc == CAIRN_OK && !bypass(f->key, f->klen))
        keep(f->t, f->key, f->klen, f->hash, rec, len, f->stamp, false, f->gen);
    return rc;
}

static int t_get(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                 void *ctx)
{
    tiered *t = self;
    if (bypass(key, klen))
        return t->m->get(t->be, key, klen, fn, ctx);
    uint64_t h = cairn__cache_hash(key, klen);
    cairn_cache_entry *e;
    if (cairn__cache_get_r(t->cache, key, klen, h, &e, renew, t) == CAIRN_OK)
        return serve(e, fn, ctx);
    fill_ctx f = {t, key, klen, h, cairn__cache_stamp(t->cache, h), fn, ctx, gen_now(t)};
    return t->m->get(t->be, key, klen, fill_cb, &f);
}

/* Memory only: cairn_tier_get(). */
static int t_get_mem(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                     void *ctx)
{
    tiered *t = self;
    cairn_cache_entry *e;
    int rc = cairn__cache_get_h(t->cache, key, klen, cairn__cache_hash(key, klen), &e);
    return rc ? rc : serve(e, fn, ctx);
}

typedef struct {
    tiered *t;
    const char *const *keys;
    const size_t *klens;
    const size_t *idx; /* inner's j is our idx[j] */
    const uint64_t *hash, *stamp;
    cairn_backend_read_many_fn fn;
    void *ctx;
    uint64_t gen;
} many_fill;

static int many_fill_cb(void *ctx, size_t j, const void *rec, size_t len)
{
    many_fill *f = ctx;
    size_t i = f->idx[j];
    int rc = f->fn(f->ctx, i, rec, len);
    if (rc == CAIRN_OK && !bypass(f->keys[i], f->klens[i]))
        keep(f->t, f->keys[i], f->klens[i], f->hash[i], rec, len, f->stamp[i], false, f->gen);
    return rc;
}

typedef struct {
    cairn_backend_read_many_fn fn;
    void *ctx;
    size_t i;
} one_ctx;

static int one_cb(void *ctx, const void *rec, size_t len)
{
    one_ctx *o = ctx;
    return o->fn(o->ctx, o->i, rec, len);
}

static int t_get_many(void *self, const char *const *keys, const size_t *klens, size_t n,
                      cairn_backend_read_many_fn fn, void *ctx)
{
    tiered *t = self;
    uint64_t *hash = malloc((n ? n : 1) * 2 * sizeof *hash);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    const char **mk = malloc((n ? n : 1) * sizeof *mk);
    size_t *ml = malloc((n ? n : 1) * sizeof *ml);
    int rc = CAIRN_OK;
    if (!hash || !idx || !mk || !ml) {
        rc = cairn_backend_error(CAIRN_ENOMEM, "tiered: out of memory");
        goto out;
    }
    uint64_t *stamp = hash + n;
    size_t miss = 0;
    for (size_t i = 0; i < n && rc == CAIRN_OK; i++) {
        hash[i] = cairn__cache_hash(keys[i], klens[i]);
        cairn_cache_entry *e;
        if (cairn__cache_get_r(t->cache, keys[i], klens[i], hash[i], &e, renew, t) ==
            CAIRN_OK) {
            one_ctx o = {fn, ctx, i};
            rc = serve(e, one_cb, &o);
        } else {
            stamp[i] = cairn__cache_stamp(t->cache, hash[i]);
            mk[miss] = keys[i];
            ml[miss] = klens[i];
            idx[miss++] = i;
        }
    }
    if (rc || miss == 0)
        goto out;
    many_fill f = {t, keys, klens, idx, hash, stamp, fn, ctx, gen_now(t)};
    if (t->m->version >= 2 && t->m->get_many) {
        rc = t->m->get_many(t->be, mk, ml, miss, many_fill_cb, &f);
    } else {
        for (size_t j = 0; j < miss && rc == CAIRN_OK; j++) {
            size_t i = idx[j];
            one_ctx o = {fn, ctx, i};
            fill_ctx fc = {t, keys[i], klens[i], hash[i], stamp[i], one_cb, &o, f.gen};
            rc = t->m->get(t->be, keys[i], klens[i], fill_cb, &fc);
            if (rc == CAIRN_ENOTFOUND)
                rc = CAIRN_OK;
        }
    }
out:
    free(hash);
    free(idx);
    free(mk);
    free(ml);
    return rc;
}

/* ---- writes ---- */

typedef struct {
    const cairn_backend_op *op;
    int action;
    const void *out;
    size_t olen;
} capture;

/* The core's callback, remembering its last answer: what the backend
 * committed if the update succeeds. */
static int capture_cb(void *ctx, const void *rec, size_t rlen, const void **out,
                      size_t *olen)
{
    capture *c = ctx;
    int a = c->op->fn(c->op->ctx, rec, rlen, out, olen);
    c->action = a;
    if (a == CAIRN_BACKEND_WRITE) {
        c->out = *out;
        c->olen = *olen;
    }
    return a;
}

#define STACK_OPS 8

static int t_update(void *self, const cairn_backend_op *ops, size_t n)
{
    tiered *t = self;
    capture cs_stack[STACK_OPS];
    cairn_backend_op os_stack[STACK_OPS] = {{0}};
    uint64_t hs_stack[2 * STACK_OPS];
    capture *cs = cs_stack;
    cairn_backend_op *os = os_stack;
    uint64_t *hs = hs_stack;
    if (n > STACK_OPS) {
        cs = malloc(n * sizeof *cs);
        os = malloc(n * sizeof *os);
        hs = malloc(2 * n * sizeof *hs);
        if (!cs || !os || !hs) {
            if (cs != cs_stack)
                free(cs);
            if (os != os_stack)
                free(os);
            if (hs != hs_stack)
                free(hs);
            return cairn_backend_error(CAIRN_ENOMEM, "tiered: out of memory");
        }
    }
    uint64_t *stamp = hs + n;
    for (size_t i = 0; i < n; i++) {
        hs[i] = cairn__cache_hash(ops[i].key, ops[i].klen);
        stamp[i] = cairn__cache_stamp(t->cache, hs[i]);
        cs[i] = (capture){&ops[i], CAIRN_BACKEND_KEEP, NULL, 0};
        os[i] = (cairn_backend_op){ops[i].key, ops[i].klen, capture_cb, &cs[i]};
    }
    int rc = t->m->update(t->be, os, n);
    for (size_t i = 0; i < n; i++) {
        if ((rc == CAIRN_OK && cs[i].action == CAIRN_BACKEND_KEEP) ||
            bypass(ops[i].key, ops[i].klen))
            continue;
        /* A failed update may have applied part of a batch on some
         * backends: then memory forgets every key of it. */
        if (rc == CAIRN_OK && cs[i].action == CAIRN_BACKEND_WRITE)
            keep(t, ops[i].key, ops[i].klen, hs[i], cs[i].out ? cs[i].out : "", cs[i].olen,
                 stamp[i], true, 0);
        else
            cairn__cache_write(t->cache, ops[i].key, ops[i].klen, hs[i], NULL, 0, 0, stamp[i],
                               NULL);
    }
    if (n > STACK_OPS) {
        free(cs);
        free(os);
        free(hs);
    }
    return rc;
}

static int t_scan(void *self, const char *lo, size_t lolen, int lo_excl, const char *hi,
                  size_t hilen, int want_value, cairn_backend_scan_fn fn, void *ctx)
{
    tiered *t = self;
    return t->m->scan(t->be, lo, lolen, lo_excl, hi, hilen, want_value, fn, ctx);
}

/* ---- purge ---- */

static bool rec_expired(void *ctx, const void *rec, size_t len)
{
    cairn__rec r;
    bool x = cairn__rec_decode(rec, len, false, &r) == CAIRN_OK &&
             cairn__expired(r.meta.expires_ms, *(const int64_t *)ctx);
    cairn__err_clear();
    return x;
}

/* The same for what memory holds (the prefix first). */
static bool mem_expired(void *ctx, const void *val, size_t len)
{
    return len >= PREFIX && rec_expired(ctx, (const char *)val + PREFIX, len - PREFIX);
}

typedef struct {
    int64_t now;
    char *keys[SWEEP_BATCH];
    size_t lens[SWEEP_BATCH];
    size_t n;
} sweep;

typedef struct {
    const sweep *w;
    bool del; /* the last answer (a backend may ask again) */
} sweep_op;

static int sweep_scan_cb(void *ctx, const char *key, size_t klen, const void *rec,
                         size_t len)
{
    sweep *w = ctx;
    if (!rec_expired(&w->now, rec, len))
        return 0;
    if (!(w->keys[w->n] = malloc(klen + 1)))
        return cairn_backend_error(CAIRN_ENOMEM, "tiered: out of memory");
    memcpy(w->keys[w->n], key, klen);
    w->keys[w->n][klen] = '\0';
    w->lens[w->n++] = klen;
    return w->n == SWEEP_BATCH ? 1 : 0;
}

/* Delete the record if it is still expired (under the backend's lock). */
static int sweep_del_cb(void *ctx, const void *rec, size_t len, const void **out,
                        size_t *olen)
{
    (void)out;
    (void)olen;
    sweep_op *o = ctx;
    int64_t now = o->w->now;
    o->del = rec && rec_expired(&now, rec, len);
    return o->del ? CAIRN_BACKEND_DELETE : CAIRN_BACKEND_KEEP;
}

static int t_update(void *self, const cairn_backend_op *ops, size_t n);

/* What the core does when a backend has no purge_expired, but through our
 * update so memory follows. */
static int own_sweep(tiered *t, int64_t now, uint64_t *removed)
{
    sweep *w = calloc(1, sizeof *w);
    sweep_op *so = calloc(SWEEP_BATCH, sizeof *so);
    cairn_backend_op *ops = calloc(SWEEP_BATCH, sizeof *ops);
    int rc = CAIRN_OK;
    if (!w || !so || !ops) {
        free(w);
        free(so);
        free(ops);
        return cairn_backend_error(CAIRN_ENOMEM, "tiered: out of memory");
    }
    w->now = now;
    char *lo = NULL;
    size_t lolen = 0;
    for (;;) {
        w->n = 0;
        rc = t->m->scan(t->be, lo, lolen, lo != NULL, NULL, 0, 0, sweep_scan_cb, w);
        if (rc == CAIRN_OK && w->n) {
            for (size_t i = 0; i < w->n; i++) {
                so[i] = (sweep_op){w, false};
                ops[i] = (cairn_backend_op){w->keys[i], w->lens[i], sweep_del_cb, &so[i]};
            }
            rc = t_update(t, ops, w->n);
            for (size_t i = 0; i < w->n && rc == CAIRN_OK; i++)
                *removed += so[i].del;
        }
        free(lo);
        lo = NULL;
        size_t got = w->n;
        if (got) {
            lo = w->keys[got - 1];
            lolen = w->lens[got - 1];
        }
        for (size_t i = 0; i + 1 < got; i++)
            free(w->keys[i]);
        if (rc || got < SWEEP_BATCH)
            break;
    }
    free(lo);
    free(w);
    free(so);
    free(ops);
    return rc;
}

static int t_purge(void *self, int64_t now, uint64_t *n)
{
    tiered *t = self;
    uint64_t removed = 0;
    int rc = t->m->version >= 2 && t->m->purge_expired
                 ? t->m->purge_expired(t->be, now, &removed)
                 : own_sweep(t, now, &removed);
    /* Expired records are never served from memory (the core checks every
     * record's expiry); dropping them frees the room. */
    (void)cairn__cache_remove_if(t->cache, mem_expired, &now);
    if (rc == CAIRN_OK)
        *n = removed;
    return rc;
}

const cairn_backend_methods cairn__backend_tiered = {
    .version = CAIRN_BACKEND_VERSION,
    .name = "tiered",
    .open = t_open,
    .close = t_close,
    .get = t_get,
    .update = t_update,
    .scan = t_scan,
    .purge_expired = t_purge,
    .get_many = t_get_many,
};

/* ---- the public tier API ---- */

static int tier_of(cairn_store *s, const char *what, tiered **t)
{
    cairn__err_clear();
    if (!s)
        return cairn__err(CAIRN_EINVAL, "%s: store is NULL", what);
    const cairn_backend_methods *m;
    void *be = cairn__store_be(s, &m, NULL);
    if (m != &cairn__backend_tiered)
        return cairn__err(CAIRN_EUNSUPPORTED, "%s: the store is not tiered (backend %s)",
                          what, m->name);
    *t = be;
    return CAIRN_OK;
}

CAIRN_API int cairn_tiered_wrap(cairn_store *inner, const cairn_cache_options *opt,
                                cairn_store **out)
{
    cairn__err_clear();
    if (!inner || !out)
        return cairn__err(CAIRN_EINVAL, "tiered_wrap: inner or out is NULL");
    const cairn_backend_methods *m;
    cairn_options o;
    (void)cairn__store_be(inner, &m, &o);
    if (m == &cairn__backend_tiered)
        return cairn__err(CAIRN_EINVAL, "tiered_wrap: the store is tiered already");
    cairn_cache_options co;
    int orc = CAIRN__OPTS_READ(&co, opt, "cache options");
    if (orc)
        return cairn__err_prefix(orc, "tiered_wrap");
    if (!opt)
        cairn__tiered_defaults(&co);
    tiered *t = tiered_new(inner, &co);
    if (!t)
        return cairn__err_prefix(CAIRN_ENOMEM, "tiered_wrap");
    int rc = cairn__store_new(&cairn__backend_tiered, t, &o, out);
    if (rc) {
        t->inner = NULL; /* stays the caller's */
        cairn_cache_free(t->cache);
        free(t);
    }
    return rc;
}

CAIRN_API int cairn_tier_get(cairn_store *s, const char *key, cairn_value **out)
{
    tiered *t;
    if (out)
        *out = NULL;
    int rc = tier_of(s, "tier_get", &t);
    return rc ? rc : cairn__store_get_via(s, "tier_get", key, t_get_mem, out);
}

CAIRN_API int cairn_tier_evict(cairn_store *s, const char *key)
{
    tiered *t;
    int rc = tier_of(s, "tier_evict", &t);
    if (rc)
        return rc;
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    if ((rc = cairn__key_norm(key, k, &klen)))
        return cairn__err_prefix(rc, "tier_evict %s", key ? key : "(null)");
    /* As a write does (the stamp moves), so a read in flight does not put
     * back what it fetched before the eviction. */
    if (cairn__cache_write(t->cache, k, klen, cairn__cache_hash(k, klen), NULL, 0, 0, 0, NULL))
        return cairn__err(CAIRN_ENOTFOUND, "tier_evict %s: not in memory", k);
    return CAIRN_OK;
}

CAIRN_API int cairn_tier_clear(cairn_store *s)
{
    tiered *t;
    int rc = tier_of(s, "tier_clear", &t);
    if (rc == CAIRN_OK)
        cairn_cache_clear(t->cache);
    return rc;
}

CAIRN_API int cairn_tier_stats_get(cairn_store *s, cairn_cache_stats *out)
{
    tiered *t;
    int rc = tier_of(s, "tier_stats", &t);
    if (rc)
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "tier_stats: out is NULL");
    cairn_cache_stats_get(t->cache, out);
    return CAIRN_OK;
}
