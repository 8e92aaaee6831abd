/*
 * test_cache.c — the memory tier (src/cache/cache.c): order of eviction,
 * TTLs, limits, counters, held entries, threads; and the tiered store's
 * URL, wrap and memory-only calls over mem:. The *_threads cases are the
 * ones scripts/test.sh runs under ThreadSanitizer.
 */
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static cairn_cache *mk(uint64_t entries, uint64_t bytes, int64_t ttl, unsigned shards)
{
    cairn_cache_options o = {.struct_size = sizeof o, .max_entries = entries, .max_bytes = bytes,
                             .default_ttl_ms = ttl, .shards = shards};
    cairn_cache *c = NULL;
    assert_ok(cairn_cache_new(&o, &c));
    return c;
}

static int set(cairn_cache *c, const char *k, const char *v, int64_t ttl)
{
    return cairn_cache_set(c, k, strlen(k), v, strlen(v), ttl);
}

/* Is k there (a get: sets its recently-used bit when it is)? */
static bool has(cairn_cache *c, const char *k)
{
    cairn_cache_entry *e = NULL;
    int rc = cairn_cache_get(c, k, strlen(k), &e);
    assert_true(rc == CAIRN_OK || rc == CAIRN_ENOTFOUND);
    assert_true((rc == CAIRN_OK) == (e != NULL));
    cairn_cache_entry_release(e);
    return rc == CAIRN_OK;
}

static void expect(cairn_cache *c, const char *k, const char *v)
{
    cairn_cache_entry *e = NULL;
    assert_ok(cairn_cache_get(c, k, strlen(k), &e));
    size_t len;
    const char *d = cairn_cache_entry_data(e, &len);
    assert_int_equal(len, strlen(v));
    assert_memory_equal(d, v, len);
    assert_int_equal(d[len], '\0');
    cairn_cache_entry_release(e);
}

static void cache_basic(void **state)
{
    (void)state;
    cairn_cache *c = mk(0, 0, 0, 0);
    cairn_cache_entry *e = (cairn_cache_entry *)&e;
    assert_rc(cairn_cache_get(c, "a", 1, &e), CAIRN_ENOTFOUND);
    assert_null(e);
    assert_ok(set(c, "a", "one", 0));
    expect(c, "a", "one");
    assert_ok(set(c, "a", "uno", 0)); /* replaces */
    expect(c, "a", "uno");
    assert_ok(cairn_cache_set(c, "", 0, NULL, 0, 0)); /* empty key and value */
    expect(c, "", "");
    /* keys are bytes: NUL inside, prefixes distinct */
    assert_ok(cairn_cache_set(c, "x\0y", 3, "1", 1, 0));
    assert_rc(cairn_cache_get(c, "x", 1, &e), CAIRN_ENOTFOUND);
    assert_ok(cairn_cache_delete(c, "a", 1));
    assert_rc(cairn_cache_delete(c, "a", 1), CAIRN_ENOTFOUND);
    assert_rc(cairn_cache_get(c, "a", 1, &e), CAIRN_ENOTFOUND);
    /* bad arguments */
    assert_rc(cairn_cache_set(c, NULL, 1, "v", 1, 0), CAIRN_EINVAL);
    assert_rc(cairn_cache_set(c, "k", 1, NULL, 1, 0), CAIRN_EINVAL);
    static char big[CAIRN_CACHE_KEY_MAX + 1];
    assert_rc(cairn_cache_set(c, big, sizeof big, "v", 1, 0), CAIRN_EINVAL);
    assert_rc(cairn_cache_get(c, "k", 1, NULL), CAIRN_EINVAL);
    assert_rc(cairn_cache_new(NULL, NULL), CAIRN_EINVAL);
    cairn_cache_options bad = {.shards = 4096};
    cairn_cache *d = NULL;
    assert_rc(cairn_cache_new(&bad, &d), CAIRN_EINVAL);
    cairn_cache_free(c);
    cairn_cache_free(NULL);
    cairn_cache_entry_release(NULL);
}

/* A held entry keeps its bytes through replace, delete, clear and free. */
static void cache_held_entry(void **state)
{
    (void)state;
    cairn_cache *c = mk(0, 0, 0, 1);
    assert_ok(set(c, "k", "old", 0));
    cairn_cache_entry *e = NULL;
    assert_ok(cairn_cache_get(c, "k", 1, &e));
    assert_ok(set(c, "k", "new value", 0));
    expect(c, "k", "new value");
    assert_ok(cairn_cache_delete(c, "k", 1));
    cairn_cache_clear(c);
    cairn_cache_free(c);
    size_t len;
    assert_memory_equal(cairn_cache_entry_data(e, &len), "old", 4);
    assert_int_equal(len, 3);
    cairn_cache_entry_release(e); /* ASan: freed here, once */
}

/* CLOCK with one shard: an entry read since the hand last passed survives
 * the eviction that takes the oldest unread one. */
static void cache_lru_order(void **state)
{
    (void)state;
    cairn_cache *c = mk(3, 0, 0, 1);
    assert_ok(set(c, "a", "1", 0));
    assert_ok(set(c, "b", "2", 0));
    assert_ok(set(c, "c", "3", 0));
    assert_true(has(c, "a")); /* a was read: b is now the oldest unread */
    assert_ok(set(c, "d", "4", 0));
    cairn_cache_stats st;
    cairn_cache_stats_get(c, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.evictions, 1);
    assert_false(has(c, "b"));
    /* a's bit was spent saving it: next goes c (oldest unread), then a... */
    assert_ok(set(c, "e", "5", 0));
    assert_false(has(c, "c"));
    /* ...unless read again */
    assert_true(has(c, "a"));
    assert_ok(set(c, "f", "6", 0));
    assert_false(has(c, "d"));
    assert_true(has(c, "a"));
    assert_true(has(c, "e"));
    assert_true(has(c, "f"));
    cairn_cache_stats_get(c, &st);
    assert_int_equal(st.evictions, 3);
    assert_int_equal(st.entries, 3);
    cairn_cache_free(c);
}

static void cache_ttl(void **state)
{
    (void)state;
    cairn_cache *c = mk(0, 0, 400, 0); /* default TTL 400 ms */
    assert_ok(set(c, "default", "x", 0));
    assert_ok(set(c, "short", "x", 100));
    assert_ok(set(c, "never", "x", -1));
    assert_ok(set(c, "long", "x", 60000));
    assert_true(has(c, "short"));
    sleep_ms(150);
    assert_false(has(c, "short"));
    assert_true(has(c, "default"));
    sleep_ms(300);
    assert_false(has(c, "default"));
    assert_true(has(c, "never"));
    assert_true(has(c, "long"));
    cairn_cache_stats st;
    cairn_cache_stats_get(c, &st);
    assert_int_equal(st.expirations, 2);
    assert_int_equal(st.entries, 2);
    /* setting again restarts the clock; delete of an expired one: absent */
    assert_ok(set(c, "short", "y", 20));
    sleep_ms(30);
    assert_rc(cairn_cache_delete(c, "short", 5), CAIRN_ENOTFOUND);
    cairn_cache_stats_get(c, &st);
    assert_int_equal(st.expirations, 3);
    cairn_cache_free(c);
}

static void cache_byte_limit(void **state)
{
    (void)state;
    char v[101];
    memset(v, 'v', 100);
    v[100] = '\0';
    uint64_t charge = 2 + 100 + CAIRN_CACHE_ENTRY_OVERHEAD; /* key "kN" */
    cairn_cache *c = mk(0, 3 * charge, 0, 4);
    for (int i = 0; i < 10; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%d", i);
        assert_ok(set(c, k, v, 0));
        cairn_cache_stats st;
        cairn_cache_stats_get(c, &st);
        assert_true(st.bytes <= 3 * charge);
        assert_int_equal(st.bytes, st.entries * charge);
        assert_int_equal(st.entries, i < 3 ? i + 1 : 3);
    }
    assert_true(has(c, "k9")); /* the newest is never the one evicted */
    /* an entry larger than the whole limit: refused, nothing evicted */
    char big[4 * 200];
    memset(big, 'b', sizeof big);
    assert_rc(cairn_cache_set(c, "big", 3, big, sizeof big, 0), CAIRN_EFULL);
    cairn_cache_stats st;
    cairn_cache_stats_get(c, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.max_bytes, 3 * charge);
    /* replacing an entry by a bigger one stays within the limit */
    assert_ok(cairn_cache_set(c, "k9", 2, big, 2 * charge - 2 - CAIRN_CACHE_ENTRY_OVERHEAD, 0));
    cairn_cache_stats_get(c, &st);
    assert_true(st.bytes <= 3 * charge);
    assert_true(has(c, "k9"));
    cairn_cache_free(c);
}

static void cache_counters(void **state)
{
    (void)state;
    cairn_cache *c = mk(2, 0, 0, 1);
    cairn_cache_stats st;
    cairn_cache_stats_get(c, &st);
    assert_int_equal(st.hits + st.misses, 0);
    assert_true(st.hit_rate == 0.0);
    assert_ok(set(c, "a", "1", 0));
    assert_ok(set(c, "b", "2", 0));
    assert_true(has(c, "a"));
    assert_true(has(c, "a"));
    assert_true(has(c, "b"));
    assert_false(has(c, "zz"));
    assert_ok(set(c, "c", "3", 0)); /* evicts one */
    cairn_cache_stats_get(c, &st);
    assert_int_equal(st.hits, 3);
    assert_int_equal(st.misses, 1);
    assert_true(st.hit_rate > 0.749 && st.hit_rate < 0.751);
    assert_int_equal(st.sets, 3);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.max_entries, 2);
    assert_int_equal(st.bytes, 2 * (2 + CAIRN_CACHE_ENTRY_OVERHEAD));
    cairn_cache_clear(c);
    cairn_cache_stats_get(c, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
    assert_int_equal(st.hits, 3); /* kept */
    cairn_cache_free(c);
}

static void cache_many(void **state)
{
    (void)state;
    cairn_cache *c = mk(0, 0, 0, 0);
    cairn_cache_item items[3] = {
        {"a", 1, "x", 1, 0}, {"b", 1, "yy", 2, -1}, {"c", 1, "zzz", 3, 0}};
    assert_ok(cairn_cache_set_many(c, items, 3));
    const void *keys[4] = {"a", "nope", "c", "b"};
    size_t klens[4] = {1, 4, 1, 1};
    cairn_cache_entry *out[4];
    size_t hits = 0;
    assert_ok(cairn_cache_get_many(c, keys, klens, 4, out, &hits));
    assert_int_equal(hits, 3);
    assert_null(out[1]);
    size_t len;
    assert_memory_equal(cairn_cache_entry_data(out[2], &len), "zzz", 3);
    assert_int_equal(len, 3);
    assert_memory_equal(cairn_cache_entry_data(out[3], &len), "yy", 2);
    for (int i = 0; i < 4; i++)
        cairn_cache_entry_release(out[i]);
    /* an item that fails stops the batch with its index named */
    cairn_cache_item bad[2] = {{"d", 1, "1", 1, 0}, {NULL, 1, "1", 1, 0}};
    assert_rc(cairn_cache_set_many(c, bad, 2), CAIRN_EINVAL);
    assert_non_null(strstr(cairn_errmsg(), "item 1"));
    assert_true(has(c, "d"));
    assert_rc(cairn_cache_get_many(c, NULL, klens, 1, out, NULL), CAIRN_EINVAL);
    cairn_cache_free(c);
}

/* The table under churn: one shard grown to thousands of entries, then
 * random sets, deletes and gets checked against a model after each (an
 * entry lost or found after its delete by the table's probing shows). */
static void cache_table_churn(void **state)
{
    (void)state;
    enum { KEYS = 6000, OPS = 300000 };
    cairn_cache *c = mk(0, 1ull << 30, 0, 1);
    static int ver[KEYS]; /* 0: absent, else the value's number */
    memset(ver, 0, sizeof ver);
    uint64_t x = 12345;
    char k[32], v[32];
    size_t live = 0;
    for (int op = 0; op < OPS; op++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int i = (int)((x >> 33) % KEYS), what = (int)((x >> 20) % 8);
        snprintf(k, sizeof k, "k/%d", i);
        if (what < 4) { /* set */
            snprintf(v, sizeof v, "v%d", op);
            assert_ok(set(c, k, v, 0));
            live += ver[i] == 0;
            ver[i] = op + 1;
        } else if (what < 6) { /* delete */
            assert_rc(cairn_cache_delete(c, k, strlen(k)),
                      ver[i] ? CAIRN_OK : CAIRN_ENOTFOUND);
            live -= ver[i] != 0;
            ver[i] = 0;
        } else if (ver[i]) {
            snprintf(v, sizeof v, "v%d", ver[i] - 1);
            expect(c, k, v);
        } else {
            assert_false(has(c, k));
        }
    }
    cairn_cache_stats st;
    cairn_cache_stats_get(c, &st);
    assert_int_equal(st.entries, live);
    for (int i = 0; i < KEYS; i++) {
        snprintf(k, sizeof k, "k/%d", i);
        assert_true(has(c, k) == (ver[i] != 0));
    }
    cairn_cache_free(c);
}

/* ---- the arena of large caches (src/cache/arena.c) ---- */

typedef struct {
    void *p, *home;
    size_t size;
    unsigned char tag;
} arena_obj;

static void arena_take(cairn__arena *a, arena_obj *o, size_t size, unsigned char tag)
{
    o->size = size;
    o->tag = tag;
    o->p = cairn__arena_alloc(a, size, &o->home);
    assert_non_null(o->p);
    memset(o->p, tag, size);
}

static void arena_give(arena_obj *o)
{
    const unsigned char *b = o->p;
    for (size_t i = 0; i < o->size; i += 61)
        if (b[i] != o->tag)
            fail_msg("an arena object of %zu bytes was overwritten at %zu", o->size, i);
    cairn__arena_free(o->home, o->p, o->size);
    o->p = NULL;
}

/* A class uses blocks once it holds megabytes of objects, gives its empty
 * blocks back, and malloc serves it again when it shrinks; sizes outside
 * the served range are never counted; objects outlive the arena's close. */
static void arena_classes(void **state)
{
    (void)state;
    enum { N = 12000 };
    static arena_obj o[N];
    cairn__arena *a = cairn__arena_new();
    assert_non_null(a);
    arena_obj small, large;
    arena_take(a, &small, 100, 1); /* too small: malloc's alone, not counted */
    assert_null(small.home);
    arena_take(a, &large, 1u << 20, 2); /* too large */
    assert_null(large.home);
    arena_give(&small);
    arena_give(&large);
    size_t from_blocks = 0;
    for (int i = 0; i < N; i++) {
        arena_take(a, &o[i], 1000, (unsigned char)i);
        bool blk = o[i].home && !((uintptr_t)o[i].home & 1);
        if (i < 1000)
            assert_false(blk); /* under 4 MiB of the class: malloc */
        from_blocks += blk;
    }
    assert_true(from_blocks > N / 2);
    size_t nb = cairn__arena_blocks(a);
    assert_true(nb >= 2 && nb <= (from_blocks * 1024 + (2u << 20) - 1) / (2u << 20) + 1);
    /* free every other one from a block and refill as many: the freed
     * slots are reused, no new block */
    int given = 0;
    for (int i = N / 2; i < N; i += 2) {
        assert_true(o[i].home && !((uintptr_t)o[i].home & 1));
        arena_give(&o[i]);
        given++;
    }
    for (int i = N / 2; i < N; i += 2) {
        arena_take(a, &o[i], 1000, (unsigned char)(i + 7));
        assert_true(o[i].home && !((uintptr_t)o[i].home & 1));
    }
    assert_true(given > 0);
    assert_int_equal(cairn__arena_blocks(a), nb);
    /* empty the blocks while malloc's objects keep the class on: it keeps
     * one empty block; shrink it further: that one goes too */
    int first_blk = -1;
    for (int i = 0; i < N && first_blk < 0; i++)
        if (o[i].home && !((uintptr_t)o[i].home & 1))
            first_blk = i;
    assert_true(first_blk >= 1024);
    for (int i = first_blk; i < N; i++)
        arena_give(&o[i]);
    assert_int_equal(cairn__arena_blocks(a), 1);
    for (int i = 0; i < first_blk; i++)
        arena_give(&o[i]);
    assert_int_equal(cairn__arena_blocks(a), 0);
    /* objects outlive the close */
    for (int i = 0; i < N; i++)
        arena_take(a, &o[i], 3000 + (size_t)(i % 7) * 64, (unsigned char)i);
    assert_true(cairn__arena_blocks(a) > 0);
    cairn__arena_close(a);
    for (int i = 0; i < N; i++)
        arena_give(&o[i]); /* the last one frees the arena (LSan checks) */
}

/* Entries of a large cache held across cairn_cache_free: still readable. */
static void cache_arena_entries(void **state)
{
    (void)state;
    cairn_cache *c = mk(0, 64ull << 20, 0, 4);
    char k[32], v[1100];
    enum { N = 10000, HELD = 50 };
    cairn_cache_entry *held[HELD];
    for (int i = 0; i < N; i++) {
        int kl = snprintf(k, sizeof k, "k/%d", i);
        memset(v, 'a' + i % 26, sizeof v);
        assert_ok(cairn_cache_set(c, k, (size_t)kl, v, sizeof v, 0));
    }
    for (int i = 0; i < HELD; i++) {
        int kl = snprintf(k, sizeof k, "k/%d", i * 97);
        assert_ok(cairn_cache_get(c, k, (size_t)kl, &held[i]));
    }
    /* overwrite and delete a few thousand: slots are freed and reused */
    for (int i = 0; i < N; i += 3) {
        int kl = snprintf(k, sizeof k, "k/%d", i);
        memset(v, 'A' + i % 26, sizeof v);
        if (i % 2)
            assert_ok(cairn_cache_delete(c, k, (size_t)kl));
        else
            assert_ok(cairn_cache_set(c, k, (size_t)kl, v, 700, 0));
    }
    cairn_cache_free(c);
    for (int i = 0; i < HELD; i++) {
        size_t len;
        const unsigned char *d = cairn_cache_entry_data(held[i], &len);
        assert_int_equal(len, sizeof v);
        for (size_t j = 0; j < len; j++)
            assert_int_equal(d[j], 'a' + (i * 97) % 26);
        cairn_cache_entry_release(held[i]);
    }
}

#define A_THREADS 4
#define A_ITERS 30000

static atomic_size_t arena_from_blocks;

static void *arena_worker(void *p)
{
    cairn__arena *a = p;
    enum { LIVE = 2048 };
    arena_obj *o = calloc(LIVE, sizeof *o);
    uint64_t x = (uint64_t)(uintptr_t)&o;
    for (int it = 0; it < A_ITERS; it++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        arena_obj *s = &o[(x >> 33) % LIVE];
        if (s->p) {
            arena_give(s);
            continue;
        }
        /* mostly one class, busy enough (about 4 MiB per thread) for
         * blocks; some of two other sizes, which stay with malloc */
        size_t size = (x >> 20) % 8 ? 4000 : 600 + (size_t)((x >> 24) % 2) * 9000;
        arena_take(a, s, size, (unsigned char)(x >> 40));
        if (s->home && !((uintptr_t)s->home & 1))
            atomic_fetch_add(&arena_from_blocks, 1);
    }
    for (int i = 0; i < LIVE; i++)
        if (o[i].p)
            arena_give(&o[i]);
    free(o);
    return NULL;
}

/* Threads allocating and freeing from one arena (under TSan in make test). */
static void arena_threads(void **state)
{
    (void)state;
    cairn__arena *a = cairn__arena_new();
    assert_non_null(a);
    pthread_t t[A_THREADS];
    for (int i = 0; i < A_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, arena_worker, a), 0);
    for (int i = 0; i < A_THREADS; i++)
        pthread_join(t[i], NULL);
    assert_true(atomic_load(&arena_from_blocks) > A_ITERS / 4);
    assert_int_equal(cairn__arena_blocks(a), 0);
    cairn__arena_close(a);
}

/* ---- threads (run under TSan by scripts/test.sh) ---- */

#define T_THREADS 4
#define T_KEYS 64
#define T_ITERS 20000

typedef struct {
    cairn_cache *c;
    int id;
    unsigned bad;
} t_arg;

/* Every value is "key=<key>;n=<number>": a reader checks the key part, so
 * a torn or mixed-up entry is seen. */
static void *cache_worker(void *p)
{
    t_arg *a = p;
    uint64_t x = UINT64_C(0x9E3779B97F4A7C15) * (unsigned)(a->id + 1);
    for (int i = 0; i < T_ITERS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        char k[16], v[64];
        int kl = snprintf(k, sizeof k, "k%u", (unsigned)(x % T_KEYS));
        unsigned op = (unsigned)(x >> 32) % 16;
        if (op < 11) {
            cairn_cache_entry *e = NULL;
            if (cairn_cache_get(a->c, k, (size_t)kl, &e) == CAIRN_OK) {
                size_t len;
                const char *d = cairn_cache_entry_data(e, &len);
                if (len < (size_t)kl + 5 || memcmp(d, "key=", 4) != 0 ||
                    memcmp(d + 4, k, (size_t)kl) != 0 || d[4 + kl] != ';')
                    a->bad++;
                cairn_cache_entry_release(e);
            }
        } else if (op < 14) {
            int vl = snprintf(v, sizeof v, "key=%s;n=%d", k, i);
            if (cairn_cache_set(a->c, k, (size_t)kl, v, (size_t)vl, op == 13 ? 1 : 0))
                a->bad++;
        } else if (op == 14) {
            (void)cairn_cache_delete(a->c, k, (size_t)kl);
        } else if (i % 1000 == 0) {
            cairn_cache_clear(a->c);
        } else {
            cairn_cache_stats st;
            cairn_cache_stats_get(a->c, &st);
        }
    }
    return NULL;
}

static void cache_threads(void **state)
{
    (void)state;
    cairn_cache *c = mk(40, 0, 0, 4); /* fewer slots than keys: evictions too */
    pthread_t tid[T_THREADS];
    t_arg a[T_THREADS];
    for (int i = 0; i < T_THREADS; i++) {
        a[i] = (t_arg){c, i, 0};
        assert_int_equal(pthread_create(&tid[i], NULL, cache_worker, &a[i]), 0);
    }
    for (int i = 0; i < T_THREADS; i++) {
        pthread_join(tid[i], NULL);
        assert_int_equal(a[i].bad, 0);
    }
    cairn_cache_stats st;
    cairn_cache_stats_get(c, &st);
    assert_true(st.entries <= 40);
    assert_true(st.evictions > 0);
    assert_true(st.hits > 0);
    /* the counters add up to what the table holds (gets remove the
     * expired entries they find, so count after them) */
    uint64_t n = 0;
    for (int i = 0; i < T_KEYS; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        n += has(c, k);
    }
    cairn_cache_stats_get(c, &st);
    assert_int_equal(n, st.entries);
    cairn_cache_free(c);
}

/* ---- the tiered store over mem: ---- */

static char echo_loc[256];

static int echo_open(const char *loc, const struct cairn_options *opt, void **self)
{
    snprintf(echo_loc, sizeof echo_loc, "%s", loc);
    return cairn__backend_mem.open(loc, opt, self);
}

static void tiered_urls(void **state)
{
    (void)state;
    cairn_store *s = NULL;
    static const struct {
        const char *url, *msg;
        int rc;
    } bad[] = {
        {"tiered:", "needs the URL of a backend", CAIRN_EURL},
        {"tiered:?cache_mb=2", "needs the URL of a backend", CAIRN_EURL},
        {"tiered:tiered:mem:", "cannot wrap", CAIRN_EURL},
        {"tiered:mem:?cache_mb=0", "cache_mb", CAIRN_EURL},
        {"tiered:mem:?cache_mb=abc", "'abc'", CAIRN_EURL},
        {"tiered:mem:?cache_mb=", "cache_mb", CAIRN_EURL},
        {"tiered:mem:?cache_ttl_ms=0", "cache_ttl_ms", CAIRN_EURL},
        {"tiered:mem:?cache_ttl_ms=-5", "cache_ttl_ms", CAIRN_EURL},
        {"tiered:mem:?cache_shards=2000", "cache_shards", CAIRN_EURL},
        {"tiered:mem:?cache_entries=-1", "cache_entries", CAIRN_EURL},
        {"tiered:mem:?cache_bogus=1", "unknown parameter 'cache_bogus'", CAIRN_EURL},
        {"tiered:nosuch:x", "nosuch", CAIRN_EURL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = cairn_store_open(bad[i].url, NULL, &s);
        if (rc != bad[i].rc || !strstr(cairn_errmsg(), bad[i].msg))
            fail_msg("open %s: %s: '%s' (expected %s naming '%s')", bad[i].url,
                     cairn_strerror(rc), cairn_errmsg(), cairn_strerror(bad[i].rc), bad[i].msg);
        assert_null(s);
    }
    assert_ok(cairn_store_open(
        "tiered:mem:?cache_mb=1&cache_entries=10&cache_ttl_ms=-1&cache_shards=4", NULL, &s));
    assert_string_equal(cairn_store_backend(s), "tiered");
    cairn_cache_stats st;
    assert_ok(cairn_tier_stats_get(s, &st));
    assert_int_equal(st.max_bytes, 1u << 20);
    assert_int_equal(st.max_entries, 10);
    cairn_store_close(s);
    /* the inner URL keeps its own parameters, in order; ours are taken out */
    static cairn_backend_methods echo;
    echo = cairn__backend_mem;
    echo.name = "echo";
    echo.open = echo_open;
    assert_ok(cairn_backend_register(&echo));
    assert_ok(cairn_store_open("tiered:echo:loc?a=1&cache_mb=2&b=x%20y&cache_ttl_ms=5", NULL,
                               &s));
    assert_string_equal(echo_loc, "loc?a=1&b=x%20y");
    assert_ok(cairn_tier_stats_get(s, &st));
    assert_int_equal(st.max_bytes, 2u << 20);
    cairn_store_close(s);
    assert_ok(cairn_store_open("tiered:echo:plain?cache_mb=3", NULL, &s));
    assert_string_equal(echo_loc, "plain");
    cairn_store_close(s);
}

static void tiered_wrap_and_tier_calls(void **state)
{
    (void)state;
    cairn_store *m = NULL, *t = NULL, *t2 = NULL;
    assert_ok(cairn_store_open("mem:", NULL, &m));
    assert_ok(cairn_put(m, "before", "1", 1, NULL));
    cairn_cache_stats st;
    cairn_value *v = (cairn_value *)&v;
    /* not tiered: the tier calls say so */
    assert_rc(cairn_tier_get(m, "before", &v), CAIRN_EUNSUPPORTED);
    assert_null(v);
    assert_rc(cairn_tier_evict(m, "before"), CAIRN_EUNSUPPORTED);
    assert_rc(cairn_tier_clear(m), CAIRN_EUNSUPPORTED);
    assert_rc(cairn_tier_stats_get(m, &st), CAIRN_EUNSUPPORTED);
    assert_non_null(strstr(cairn_errmsg(), "not tiered"));
    assert_rc(cairn_tier_stats_get(NULL, &st), CAIRN_EINVAL);
    assert_rc(cairn_tiered_wrap(NULL, NULL, &t), CAIRN_EINVAL);

    cairn_cache_options co = {.max_entries = 100, .default_ttl_ms = -1};
    assert_ok(cairn_tiered_wrap(m, &co, &t)); /* t owns m now */
    assert_rc(cairn_tiered_wrap(t, NULL, &t2), CAIRN_EINVAL);
    assert_string_equal(cairn_store_backend(t), "tiered");
    /* a record written before the wrap: not in memory until read */
    assert_rc(cairn_tier_get(t, "before", &v), CAIRN_ENOTFOUND);
    assert_ok(cairn_get(t, "before", &v));
    cairn_value_free(v);
    assert_ok(cairn_tier_get(t, "before", &v));
    assert_memory_equal(cairn_value_data(v, NULL), "1", 2);
    cairn_value_free(v);
    /* writes go through to memory */
    assert_ok(cairn_put(t, "k", "[1,2]", 5, NULL));
    assert_ok(cairn_tier_get(t, "/k/", &v)); /* keys normalised as everywhere */
    assert_memory_equal(cairn_value_data(v, NULL), "[1,2]", 6);
    assert_int_equal(cairn_value_meta(v)->version, 1);
    cairn_value_free(v);
    assert_ok(cairn_tier_evict(t, "k"));
    assert_rc(cairn_tier_evict(t, "k"), CAIRN_ENOTFOUND);
    assert_rc(cairn_tier_evict(t, "bad//..//key"), CAIRN_EKEY);
    assert_rc(cairn_tier_get(t, "k", &v), CAIRN_ENOTFOUND);
    assert_ok(cairn_exists(t, "k")); /* still in the backend */
    assert_ok(cairn_tier_clear(t));
    assert_rc(cairn_tier_get(t, "before", &v), CAIRN_ENOTFOUND);
    assert_ok(cairn_tier_stats_get(t, &st));
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.max_entries, 100);
    /* hits: tier_get before, tier_get /k/; misses: tier_get before, the
     * get that filled it, tier_get k, exists k (which filled it again),
     * tier_get before after the clear */
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 5);
    cairn_store_close(t); /* closes m too (ASan: no leak) */
}

/* Threads writing and reading the same keys through one tiered handle:
 * afterwards memory never holds a record older than the backend's. */
typedef struct {
    cairn_store *s;
    int id;
    unsigned bad;
} tt_arg;

#define TT_KEYS 16
#define TT_ITERS 3000

static void *tiered_worker(void *p)
{
    tt_arg *a = p;
    char k[16], v[32];
    cairn_put_opts o = {.behavior = CAIRN_OVERWRITE};
    for (int i = 0; i < TT_ITERS; i++) {
        unsigned r = (unsigned)(i * 7919 + a->id * 104729);
        snprintf(k, sizeof k, "k%u", r % TT_KEYS);
        cairn_value *val = NULL;
        int rc = CAIRN_OK;
        switch (r % 7) {
        case 0:
        case 1:
            snprintf(v, sizeof v, "%d", a->id * 100000 + i);
            rc = cairn_put(a->s, k, v, strlen(v), &o);
            break;
        case 2:
            rc = cairn_delete(a->s, k);
            rc = rc == CAIRN_ENOTFOUND ? CAIRN_OK : rc;
            break;
        case 3:
            rc = cairn_incr(a->s, k, 1, NULL);
            rc = rc == CAIRN_EFORMAT ? CAIRN_OK : rc;
            break;
        default:
            rc = cairn_get(a->s, k, &val);
            rc = rc == CAIRN_ENOTFOUND ? CAIRN_OK : rc;
            cairn_value_free(val);
        }
        if (rc)
            a->bad++;
    }
    return NULL;
}

static void tiered_threads(void **state)
{
    (void)state;
    cairn_store *s = NULL;
    assert_ok(cairn_store_open("tiered:mem:?cache_ttl_ms=-1&cache_shards=1", NULL, &s));
    pthread_t tid[4];
    tt_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (tt_arg){s, i, 0};
        assert_int_equal(pthread_create(&tid[i], NULL, tiered_worker, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
        assert_int_equal(a[i].bad, 0);
    }
    /* What memory holds equals what the backend holds. */
    for (int i = 0; i < TT_KEYS; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        cairn_value *mem = NULL, *be = NULL;
        int rm = cairn_tier_get(s, k, &mem);
        assert_true(rm == CAIRN_OK || rm == CAIRN_ENOTFOUND);
        assert_rc(cairn_tier_evict(s, k), rm);
        int rb = cairn_get(s, k, &be);
        assert_true(rb == CAIRN_OK || rb == CAIRN_ENOTFOUND);
        if (rm == CAIRN_OK) {
            if (rb != CAIRN_OK)
                fail_msg("%s: in memory (version %llu) but not in the backend", k,
                         (unsigned long long)cairn_value_meta(mem)->version);
            assert_int_equal(cairn_value_meta(mem)->version, cairn_value_meta(be)->version);
            assert_string_equal(cairn_value_data(mem, NULL), cairn_value_data(be, NULL));
        }
        cairn_value_free(mem);
        cairn_value_free(be);
    }
    cairn_store_close(s);
}

/* ---- renewal under threads (TSan in make test) ---- */

static cairn_store *rn_t, *rn_w;
static atomic_int rn_stop;

static void *rn_reader(void *arg)
{
    (void)arg;
    char k[32];
    for (int n = 0; !atomic_load(&rn_stop); n++) {
        snprintf(k, sizeof k, "k/%d", n % 50);
        cairn_value *v = NULL;
        if (cairn_get(rn_t, k, &v) == CAIRN_OK)
            cairn_value_free(v);
    }
    return NULL;
}

static void *rn_writer(void *arg)
{
    cairn_store *s = arg;
    char k[32], v[32];
    cairn_put_opts o = {0};
    o.behavior = CAIRN_OVERWRITE;
    for (int i = 0; i < 300; i++) {
        snprintf(k, sizeof k, "k/%d", i % 50);
        int n = snprintf(v, sizeof v, "%d", i + (s == rn_t ? 100000 : 0));
        if (cairn_put(s, k, v, (size_t)n, &o) != CAIRN_OK)
            return (void *)1;
        tr_sleep_ms(1);
    }
    return NULL;
}

/* tiered:lmdb with a 1 ms TTL: readers renew entries (asking LMDB for its
 * generation with no cache lock held) while two writers, one through the
 * tier and one around it, keep moving the generation; afterwards every key
 * reads through the tier as it does in LMDB. */
static void tiered_renew_threads(void **state)
{
    (void)state;
    char dir[256], url[320];
    assert_int_equal(tr_mkdtemp("renew", dir, sizeof dir), 0);
    snprintf(url, sizeof url, "tiered:lmdb:%s?cache_ttl_ms=1", dir);
    assert_ok(cairn_store_open(url, NULL, &rn_t));
    snprintf(url, sizeof url, "lmdb:%s", dir);
    assert_ok(cairn_store_open(url, NULL, &rn_w));
    atomic_store(&rn_stop, 0);
    pthread_t r[3], w[2];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&r[i], NULL, rn_reader, NULL), 0);
    assert_int_equal(pthread_create(&w[0], NULL, rn_writer, rn_w), 0);
    assert_int_equal(pthread_create(&w[1], NULL, rn_writer, rn_t), 0);
    void *bad[2];
    pthread_join(w[0], &bad[0]);
    pthread_join(w[1], &bad[1]);
    atomic_store(&rn_stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(r[i], NULL);
    assert_null(bad[0]);
    assert_null(bad[1]);
    tr_sleep_ms(5); /* every entry's TTL ran out */
    for (int i = 0; i < 50; i++) {
        char k[32];
        snprintf(k, sizeof k, "k/%d", i);
        cairn_value *a = NULL, *b = NULL;
        assert_ok(cairn_get(rn_t, k, &a));
        assert_ok(cairn_get(rn_w, k, &b));
        assert_string_equal(cairn_value_data(a, NULL), cairn_value_data(b, NULL));
        cairn_value_free(a);
        cairn_value_free(b);
    }
    cairn_store_close(rn_t);
    cairn_store_close(rn_w);
    tr_rm_rf(dir);
}

const tr_case unit_cache_cases[] = {
    TR_CASE(cache_basic, TR_NONE, 0),
    TR_CASE(cache_held_entry, TR_NONE, 0),
    TR_CASE(cache_lru_order, TR_NONE, 0),
    TR_CASE(cache_ttl, TR_NONE, 0),
    TR_CASE(cache_byte_limit, TR_NONE, 0),
    TR_CASE(cache_counters, TR_NONE, 0),
    TR_CASE(cache_many, TR_NONE, 0),
    TR_CASE(cache_table_churn, TR_NONE, 0),
    TR_CASE(arena_classes, TR_NONE, 0),
    TR_CASE(cache_arena_entries, TR_NONE, 0),
    TR_CASE(arena_threads, TR_NONE, 120),
    TR_CASE(cache_threads, TR_NONE, 120),
    TR_CASE(tiered_urls, TR_NONE, 0),
    TR_CASE(tiered_wrap_and_tier_calls, TR_NONE, 0),
    TR_CASE(tiered_threads, TR_NONE, 120),
    TR_CASE(tiered_renew_threads, TR_NONE, 120),
};
const size_t unit_cache_ncases = UNIT_NCASES(unit_cache_cases);
