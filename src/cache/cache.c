/*
 * cache.c — the memory tier: a sharded hash table of ref-counted entries
 * with CLOCK eviction, TTLs, entry and byte limits (include/cairn/cache.h).
 * A hit holds its shard's lock for reading only; entries outlive their
 * removal while a caller holds them, so values are handed out uncopied.
 *
 * Each shard's table is open-addressed (linear probing, at most three
 * quarters full: a smaller table stays in cache better) and keeps every
 * entry's hash beside its pointer: a lookup reads the slots' cache line and
 * touches only the entry whose hash matches, so a miss usually reads no
 * entry at all and a hit exactly one. With tens of
 * thousands of entries spread over the heap, each entry touched is a cache
 * and TLB miss, which is what a hit costs (docs/performance.md).
 */
#include "cache/cache_internal.h"
#include "cache/arena.h"
#include "base/opts.h"

#include <pthread.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define STRIPES 16
#define SHARDS_DEFAULT 64u
#define SHARDS_MAX 1024u
#define BYTES_DEFAULT (64ull << 20)

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#define SUB(p, v) __atomic_sub_fetch((p), (v), __ATOMIC_RELAXED)

struct cairn_cache_entry {
    struct cairn_cache_entry *prev, *next; /* CLOCK queue, oldest first */
    uint64_t hash;
    int64_t expires; /* monotonic ms; 0: never */
    uint64_t charge;
    size_t vlen;
    uint32_t klen;
    uint32_t refs; /* atomic; the cache holds one while the entry is linked */
    uint8_t used;  /* atomic: read since the clock last passed */
    void *home;    /* where its memory came from (cairn__arena_alloc) */
    _Alignas(16) char data[]; /* key, padding to 8, value, NUL */
};
typedef struct cairn_cache_entry entry;

typedef struct {
    uint64_t hash;
    entry *e; /* NULL: empty */
} slot;

#define TAB_MIN 16

typedef struct {
    pthread_rwlock_t lock;
    uint64_t hits, misses; /* atomic */
    slot *tab;
    size_t mask; /* slots - 1; n <= 3 (mask + 1) / 4 once it could grow */
    size_t n;
    entry *head, *tail;
    uint64_t stamps[STRIPES]; /* atomic loads; stores under the write lock */
} __attribute__((aligned(64))) shard;

/* Caches at least this large keep their entries in an arena (arena.h). */
#define ARENA_MIN_BYTES (16ull << 20)

struct cairn_cache {
    shard *sh;
    cairn__arena *arena; /* NULL: entries from malloc */
    unsigned mask; /* shards - 1 */
    uint64_t max_entries, max_bytes;
    int64_t default_ttl;
    /* atomic */
    uint64_t entries, bytes, evictions, expirations, sets;
};

/* The coarse clock (a few ms of resolution) costs a few ns where the
 * precise one costs tens, on every hit of an entry with a TTL. */
static int64_t mono_ms(void)
{
    struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t cairn__cache_hash(const void *key, size_t klen)
{
    return XXH3_64bits(key, klen);
}

static shard *shard_of(cairn_cache *c, uint64_t h)
{
    return &c->sh[(h >> 48) & c->mask];
}

static unsigned stripe_of(uint64_t h)
{
    return (unsigned)(h >> 32) & (STRIPES - 1);
}

static size_t val_off(size_t klen)
{
    return (klen + 7) & ~(size_t)7;
}

static const char *entry_key(const entry *e)
{
    return e->data;
}

static char *entry_val(entry *e)
{
    return e->data + val_off(e->klen);
}

/* expires is written under the read lock by a renewal: read atomically. */
static bool is_expired(const entry *e, int64_t now)
{
    int64_t exp = LOAD(&e->expires);
    return exp && exp <= now;
}

static size_t entry_size(size_t klen, size_t vlen)
{
    return sizeof(entry) + val_off(klen) + vlen + 1;
}

/* e may be NULL. */
static void entry_free(entry *e)
{
    if (e)
        cairn__arena_free(e->home, e, entry_size(e->klen, e->vlen));
}

static void entry_release(entry *e)
{
    if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
        entry_free(e);
}

/* ---- under the shard's lock ---- */

static entry *lookup(shard *s, const void *key, size_t klen, uint64_t h)
{
    for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
        const slot *t = &s->tab[i];
        if (!t->e)
            return NULL;
        if (t->hash == h && t->e->klen == klen && memcmp(entry_key(t->e), key, klen) == 0)
            return t->e;
    }
}

/* Empty slot i, moving later entries of its run back (linear probing's
 * deletion: no tombstones, so lookups stay short). */
static void slot_clear(shard *s, size_t i)
{
    size_t j = i;
    for (;;) {
        s->tab[i].e = NULL;
        for (;;) {
            j = (j + 1) & s->mask;
            if (!s->tab[j].e)
                return;
            size_t home = s->tab[j].hash & s->mask;
            /* it stays when its home lies cyclically in (i, j] */
            if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
                continue;
            break;
        }
        s->tab[i] = s->tab[j];
        i = j;
    }
}

static void queue_del(shard *s, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        s->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->tail = e->prev;
    e->prev = e->next = NULL;
}

static void queue_add(shard *s, entry *e)
{
    e->next = NULL;
    e->prev = s->tail;
    if (s->tail)
        s->tail->next = e;
    else
        s->head = e;
    s->tail = e;
}

/* Take e out of the table and the queue; drop the cache's reference. */
static void unlink_entry(cairn_cache *c, shard *s, entry *e)
{
    size_t i = e->hash & s->mask;
    while (s->tab[i].e != e)
        i = (i + 1) & s->mask;
    slot_clear(s, i);
    queue_del(s, e);
    s->n--;
    SUB(&c->entries, 1);
    SUB(&c->bytes, e->charge);
    entry_release(e);
}

static void put_slot(slot *tab, size_t mask, uint64_t h, entry *e)
{
    size_t i = h & mask;
    while (tab[i].e)
        i = (i + 1) & mask;
    tab[i] = (slot){h, e};
}

/* Double the table. False when out of memory (the table is unchanged). */
static bool grow(shard *s)
{
    size_t nb = (s->mask + 1) * 2;
    slot *t = calloc(nb, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i <= s->mask; i++)
        if (s->tab[i].e)
            put_slot(t, nb - 1, s->tab[i].hash, s->tab[i].e);
    free(s->tab);
    s->tab = t;
    s->mask = nb - 1;
    return true;
}

/* Link e into table and queue. False when the table is full and cannot
 * grow (out of memory): e is then not linked. A table keeps one empty slot
 * at least, so that every probe ends. */
static bool link_entry(cairn_cache *c, shard *s, entry *e)
{
    if (4 * (s->n + 1) > 3 * (s->mask + 1) && !grow(s) && s->n + 2 > s->mask + 1)
        return false;
    put_slot(s->tab, s->mask, e->hash, e);
    queue_add(s, e);
    s->n++;
    ADD(&c->entries, 1);
    ADD(&c->bytes, e->charge);
    return true;
}

static bool over_limits(cairn_cache *c)
{
    return (c->max_entries && LOAD(&c->entries) > c->max_entries) ||
           LOAD(&c->bytes) > c->max_bytes;
}

/* CLOCK: evict from s until the cache is within its limits or s holds
 * nothing but keep. Expired entries go first when the hand reaches them. */
static void evict_from(cairn_cache *c, shard *s, entry *keep)
{
    size_t steps = 2 * s->n + 2;
    int64_t now = 0;
    while (over_limits(c) && s->head && steps--) {
        entry *v = s->head;
        if (v == keep) {
            if (s->n == 1)
                break;
            queue_del(s, v);
            queue_add(s, v);
            continue;
        }
        if (LOAD(&v->expires)) {
            if (!now)
                now = mono_ms();
            if (is_expired(v, now)) {
                unlink_entry(c, s, v);
                ADD(&c->expirations, 1);
                continue;
            }
        }
        if (LOAD(&v->used)) {
            __atomic_store_n(&v->used, 0, __ATOMIC_RELAXED);
            queue_del(s, v);
            queue_add(s, v);
            continue;
        }
        unlink_entry(c, s, v);
        ADD(&c->evictions, 1);
    }
}

/* ---- public API ---- */

CAIRN_API int cairn_cache_new(const cairn_cache_options *opt, cairn_cache **out)
{
    if (!out)
        return cairn__err(CAIRN_EINVAL, "cache_new: out is NULL");
    cairn_cache_options o;
    int orc = CAIRN__OPTS_READ(&o, opt, "cache options");
    if (orc)
        return cairn__err_prefix(orc, "cache_new");
    unsigned n = o.shards ? o.shards : SHARDS_DEFAULT;
    if (n > SHARDS_MAX)
        return cairn__err(CAIRN_EINVAL, "cache_new: %u shards (at most %u)", n, SHARDS_MAX);
    unsigned p = 1;
    while (p < n)
        p *= 2;
    cairn_cache *c = calloc(1, sizeof *c);
    shard *sh = c ? aligned_alloc(64, p * sizeof *sh) : NULL;
    if (!sh) {
        free(c);
        return cairn__err(CAIRN_ENOMEM, "cache_new: out of memory");
    }
    memset(sh, 0, p * sizeof *sh);
    for (unsigned i = 0; i < p; i++) {
        sh[i].mask = TAB_MIN - 1;
        if (!(sh[i].tab = calloc(TAB_MIN, sizeof *sh[i].tab))) {
            for (unsigned j = 0; j < i; j++) {
                pthread_rwlock_destroy(&sh[j].lock);
                free(sh[j].tab);
            }
            free(sh);
            free(c);
            return cairn__err(CAIRN_ENOMEM, "cache_new: out of memory");
        }
        pthread_rwlock_init(&sh[i].lock, NULL);
    }
    c->sh = sh;
    c->mask = p - 1;
    c->max_entries = o.max_entries;
    c->max_bytes = o.max_bytes ? o.max_bytes : BYTES_DEFAULT;
    if (c->max_bytes >= ARENA_MIN_BYTES)
        c->arena = cairn__arena_new(); /* NULL: malloc serves every entry */
    c->default_ttl = o.default_ttl_ms > 0 ? o.default_ttl_ms : 0;
    *out = c;
    return CAIRN_OK;
}

CAIRN_API void cairn_cache_free(cairn_cache *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i <= c->mask; i++) {
        shard *s = &c->sh[i];
        while (s->head)
            unlink_entry(c, s, s->head);
        free(s->tab);
        pthread_rwlock_destroy(&s->lock);
    }
    free(c->sh);
    cairn__arena_close(c->arena); /* held entries keep it until released */
    free(c);
}

uint64_t cairn__cache_stamp(cairn_cache *c, uint64_t hash)
{
    return __atomic_load_n(&shard_of(c, hash)->stamps[stripe_of(hash)], __ATOMIC_ACQUIRE);
}

/* Look key up under the read lock. On a hit the entry is held for the
 * caller. An expired entry is a miss, then removed under the write lock,
 * unless renew (not NULL) says it is still good: it then lives another
 * default TTL and is a hit. renew runs with no lock held (it may ask the
 * backend), on the entry held; the renewal counts only if the entry is
 * still the key's when the lock is taken again. */
int cairn__cache_get_r(cairn_cache *c, const void *key, size_t klen, uint64_t h,
                       cairn_cache_entry **out, cairn__cache_renew_fn renew, void *ctx)
{
    shard *s = shard_of(c, h);
    bool expired = false;
    entry *ask = NULL; /* expired, held, for renew */
    pthread_rwlock_rdlock(&s->lock);
    entry *e = lookup(s, key, klen, h);
    if (e) {
        if (is_expired(e, mono_ms())) {
            expired = true;
            if (renew && c->default_ttl > 0) {
                __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
                ask = e;
            }
            e = NULL;
        } else {
            __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
            /* Write the bit only when it is clear: a hot entry's line is
             * then only read by hits. */
            if (!LOAD(&e->used))
                __atomic_store_n(&e->used, 1, __ATOMIC_RELAXED);
        }
    }
    pthread_rwlock_unlock(&s->lock);
    if (ask) {
        if (renew(ctx, ask)) {
            /* A renewal races only other renewals and readers (writers
             * hold the lock exclusively): each stores a later expiry. */
            pthread_rwlock_rdlock(&s->lock);
            if (lookup(s, key, klen, h) == ask) {
                __atomic_store_n(&ask->expires, mono_ms() + c->default_ttl, __ATOMIC_RELAXED);
                e = ask; /* the caller's reference */
                expired = false;
            }
            pthread_rwlock_unlock(&s->lock);
        }
        if (!e)
            entry_release(ask);
    }
    if (e) {
        ADD(&s->hits, 1);
        *out = e;
        return CAIRN_OK;
    }
    ADD(&s->misses, 1);
    *out = NULL;
    if (expired) {
        pthread_rwlock_wrlock(&s->lock);
        if ((e = lookup(s, key, klen, h)) && is_expired(e, mono_ms())) {
            unlink_entry(c, s, e);
            ADD(&c->expirations, 1);
        }
        pthread_rwlock_unlock(&s->lock);
    }
    return CAIRN_ENOTFOUND;
}

int cairn__cache_get_h(cairn_cache *c, const void *key, size_t klen, uint64_t h,
                       cairn_cache_entry **out)
{
    return cairn__cache_get_r(c, key, klen, h, out, NULL, NULL);
}

CAIRN_API int cairn_cache_get(cairn_cache *c, const void *key, size_t klen,
                              cairn_cache_entry **out)
{
    if (out)
        *out = NULL;
    if (!c || !out || (!key && klen))
        return cairn__err(CAIRN_EINVAL, "cache_get: NULL argument");
    return cairn__cache_get_h(c, key, klen, cairn__cache_hash(key, klen), out);
}

CAIRN_API const void *cairn_cache_entry_data(const cairn_cache_entry *e, size_t *len)
{
    if (len)
        *len = e ? e->vlen : 0;
    return e ? e->data + val_off(e->klen) : NULL;
}

void cairn__cache_entry_hold(cairn_cache_entry *e)
{
    __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
}

CAIRN_API void cairn_cache_entry_release(cairn_cache_entry *e)
{
    if (e)
        entry_release(e);
}

typedef enum { SET_ALWAYS, SET_FILL, SET_WRITE } set_mode;

/* The one way in: store (val non-NULL) or remove (val NULL, SET_WRITE). */
static int store(cairn_cache *c, const void *key, size_t klen, uint64_t h, const void *val,
                 size_t len, int64_t ttl_ms, set_mode mode, uint64_t stamp,
                 cairn__cache_init_fn init)
{
    uint64_t charge = (uint64_t)klen + len + CAIRN_CACHE_ENTRY_OVERHEAD;
    entry *e = NULL;
    int rc = CAIRN_OK;
    if (val || mode != SET_WRITE) {
        if (charge > c->max_bytes) {
            /* The tier's own fills and writes leave no message behind. */
            rc = mode != SET_ALWAYS
                     ? CAIRN_EFULL
                     : cairn__err(CAIRN_EFULL,
                                  "cache: an entry of %llu bytes exceeds the limit of %llu "
                                  "bytes",
                                  (unsigned long long)charge,
                                  (unsigned long long)c->max_bytes);
            if (mode != SET_WRITE)
                return rc;
        } else {
            void *home;
            if ((e = cairn__arena_alloc(c->arena, entry_size(klen, len), &home))) {
                e->home = home;
            } else {
                rc = mode != SET_ALWAYS ? CAIRN_ENOMEM
                                        : cairn__err(CAIRN_ENOMEM, "cache: out of memory");
                if (mode != SET_WRITE)
                    return rc;
            }
        }
    }
    if (e) {
        e->hash = h;
        int64_t ttl = ttl_ms ? ttl_ms : c->default_ttl;
        e->expires = ttl > 0 ? mono_ms() + ttl : 0;
        e->charge = charge;
        e->vlen = len;
        e->klen = (uint32_t)klen;
        e->refs = 1;
        e->used = 0;
        e->prev = e->next = NULL;
        if (klen)
            memcpy(e->data, key, klen);
        if (len)
            memcpy(entry_val(e), val, len);
        entry_val(e)[len] = '\0';
        if (init)
            init(entry_val(e), len);
    }
    shard *s = shard_of(c, h);
    unsigned st = stripe_of(h);
    pthread_rwlock_wrlock(&s->lock);
    uint64_t cur = s->stamps[st];
    if (mode == SET_FILL && cur != stamp) {
        pthread_rwlock_unlock(&s->lock);
        entry_free(e);
        return CAIRN_OK; /* a write came in between: what we read may be old */
    }
    entry *old = lookup(s, key, klen, h);
    bool had = old && !is_expired(old, mono_ms());
    if (old)
        unlink_entry(c, s, old);
    if (mode == SET_WRITE) {
        __atomic_store_n(&s->stamps[st], cur + 1, __ATOMIC_RELEASE);
        if (cur != stamp) { /* another write raced ours: let a read decide */
            entry_free(e);
            e = NULL;
        }
    }
    if (e && !link_entry(c, s, e)) {
        entry_free(e);
        e = NULL;
        if (mode == SET_ALWAYS)
            rc = cairn__err(CAIRN_ENOMEM, "cache: out of memory");
        else if (mode == SET_FILL)
            rc = CAIRN_ENOMEM;
    }
    if (e) {
        ADD(&c->sets, 1);
        evict_from(c, s, e);
    }
    pthread_rwlock_unlock(&s->lock);
    /* Still over: take from the other shards, one lock at a time. */
    for (unsigned i = 1; e && i <= c->mask && over_limits(c); i++) {
        shard *o = &c->sh[(((h >> 48) & c->mask) + i) & c->mask];
        pthread_rwlock_wrlock(&o->lock);
        evict_from(c, o, NULL);
        pthread_rwlock_unlock(&o->lock);
    }
    if (mode == SET_WRITE)
        return had ? CAIRN_OK : CAIRN_ENOTFOUND;
    return rc;
}

CAIRN_API int cairn_cache_set(cairn_cache *c, const void *key, size_t klen, const void *val,
                              size_t len, int64_t ttl_ms)
{
    if (!c || (!key && klen) || (!val && len))
        return cairn__err(CAIRN_EINVAL, "cache_set: NULL argument");
    if (klen > CAIRN_CACHE_KEY_MAX)
        return cairn__err(CAIRN_EINVAL, "cache_set: key of %zu bytes (at most %u)", klen,
                          CAIRN_CACHE_KEY_MAX);
    return store(c, key, klen, cairn__cache_hash(key, klen), val ? val : "", len, ttl_ms,
                 SET_ALWAYS, 0, NULL);
}

int cairn__cache_fill(cairn_cache *c, const void *key, size_t klen, uint64_t hash,
                      const void *val, size_t len, int64_t ttl_ms, uint64_t stamp,
                      cairn__cache_init_fn init)
{
    return store(c, key, klen, hash, val ? val : "", len, ttl_ms, SET_FILL, stamp, init);
}

int cairn__cache_write(cairn_cache *c, const void *key, size_t klen, uint64_t hash,
                       const void *val, size_t len, int64_t ttl_ms, uint64_t stamp,
                       cairn__cache_init_fn init)
{
    return store(c, key, klen, hash, val, len, ttl_ms, SET_WRITE, stamp, init);
}

CAIRN_API int cairn_cache_delete(cairn_cache *c, const void *key, size_t klen)
{
    if (!c || (!key && klen))
        return cairn__err(CAIRN_EINVAL, "cache_delete: NULL argument");
    uint64_t h = cairn__cache_hash(key, klen);
    shard *s = shard_of(c, h);
    pthread_rwlock_wrlock(&s->lock);
    entry *e = lookup(s, key, klen, h);
    bool live = e && !is_expired(e, mono_ms());
    if (e)
        unlink_entry(c, s, e);
    if (e && !live)
        ADD(&c->expirations, 1);
    pthread_rwlock_unlock(&s->lock);
    return live ? CAIRN_OK : CAIRN_ENOTFOUND;
}

CAIRN_API int cairn_cache_get_many(cairn_cache *c, const void *const *keys,
                                   const size_t *klens, size_t n, cairn_cache_entry **out,
                                   size_t *hits)
{
    if (!c || ((!keys || !klens || !out) && n))
        return cairn__err(CAIRN_EINVAL, "cache_get_many: NULL argument");
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = NULL;
        if (!keys[i] && klens[i])
            continue;
        if (cairn__cache_get_h(c, keys[i], klens[i], cairn__cache_hash(keys[i], klens[i]),
                               &out[i]) == CAIRN_OK)
            got++;
    }
    if (hits)
        *hits = got;
    return CAIRN_OK;
}

CAIRN_API int cairn_cache_set_many(cairn_cache *c, const cairn_cache_item *items, size_t n)
{
    if (!c || (!items && n))
        return cairn__err(CAIRN_EINVAL, "cache_set_many: NULL argument");
    for (size_t i = 0; i < n; i++) {
        int rc = cairn_cache_set(c, items[i].key, items[i].klen, items[i].val, items[i].len,
                                 items[i].ttl_ms);
        if (rc)
            return cairn__err_prefix(rc, "cache_set_many: item %zu", i);
    }
    return CAIRN_OK;
}

uint64_t cairn__cache_remove_if(cairn_cache *c, bool (*fn)(void *ctx, const void *val,
                                                           size_t len),
                                void *ctx)
{
    uint64_t n = 0;
    for (unsigned i = 0; i <= c->mask; i++) {
        shard *s = &c->sh[i];
        pthread_rwlock_wrlock(&s->lock);
        for (entry *e = s->head, *nx; e; e = nx) {
            nx = e->next;
            if (!fn || fn(ctx, entry_val(e), e->vlen)) {
                unlink_entry(c, s, e);
                n++;
            }
        }
        pthread_rwlock_unlock(&s->lock);
    }
    return n;
}

CAIRN_API void cairn_cache_clear(cairn_cache *c)
{
    if (c)
        (void)cairn__cache_remove_if(c, NULL, NULL);
}

CAIRN_API int cairn_cache_stats_get(cairn_cache *c, cairn_cache_stats *out)
{
    if (!out)
        return cairn__err(CAIRN_EINVAL, "cache_stats_get: out is NULL");
    memset(out, 0, sizeof *out);
    if (!c)
        return cairn__err(CAIRN_EINVAL, "cache_stats_get: the cache is NULL");
    for (unsigned i = 0; i <= c->mask; i++) {
        out->hits += LOAD(&c->sh[i].hits);
        out->misses += LOAD(&c->sh[i].misses);
    }
    out->evictions = LOAD(&c->evictions);
    out->expirations = LOAD(&c->expirations);
    out->sets = LOAD(&c->sets);
    out->entries = LOAD(&c->entries);
    out->bytes = LOAD(&c->bytes);
    out->max_entries = c->max_entries;
    out->max_bytes = c->max_bytes;
    uint64_t q = out->hits + out->misses;
    out->hit_rate = q ? (double)out->hits / (double)q : 0.0;
    return CAIRN_OK;
}
