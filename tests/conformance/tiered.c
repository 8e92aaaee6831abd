/*
 * tiered.c — what only the tiered store promises (TR_TIERED: run on the
 * tiered: backends only): memory and backend agree after deletes, expiry
 * and purges; the memory-only calls; tier counters; two handles on one
 * store and what each sees; entries whose TTL ran out renewed only while
 * nothing was written.
 */
#include "conf.h"

#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static bool in_memory(cairn_store *s, const char *key)
{
    cairn_value *v = NULL;
    int rc = cairn_tier_get(s, key, &v);
    if (rc != CAIRN_OK && rc != CAIRN_ENOTFOUND)
        fail_msg("tier_get %s: %s: %s", key, cairn_strerror(rc), cairn_errmsg());
    cairn_value_free(v);
    return rc == CAIRN_OK;
}

/* Writes go through to memory; reads fill it; deletes of every kind leave
 * neither tier with the record. */
static void tiered_write_through_and_deletes(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(cf_put(s, "a/1", "1", CAIRN_FAIL_IF_EXISTS));
    assert_true(in_memory(s, "a/1"));
    assert_ok(cf_put(s, "a/1", "2", CAIRN_OVERWRITE));
    cairn_value *v = NULL;
    assert_ok(cairn_tier_get(s, "a/1", &v));
    assert_string_equal(cairn_value_data(v, NULL), "2");
    assert_int_equal(cairn_value_meta(v)->version, 2);
    cairn_value_free(v);
    assert_ok(cairn_incr(s, "a/1", 5, NULL));
    cf_expect_str(s, "a/1", "7");
    assert_ok(cairn_tier_get(s, "a/1", &v));
    assert_string_equal(cairn_value_data(v, NULL), "7");
    cairn_value_free(v);
    /* a skipped put changes nothing in memory either */
    assert_rc(cf_put(s, "a/1", "9", CAIRN_SKIP_IF_EXISTS), CAIRN_SKIPPED);
    cf_expect_str(s, "a/1", "7");

    assert_ok(cairn_delete(s, "a/1"));
    assert_false(in_memory(s, "a/1"));
    assert_rc(cairn_get(s, "a/1", &v), CAIRN_ENOTFOUND);

    cairn_put_item items[3] = {{"b/1", "1", 1, 0}, {"b/2", "2", 1, 0}, {"c", "3", 1, 0}};
    assert_ok(cairn_put_many(s, items, 3, NULL));
    assert_true(in_memory(s, "b/1") && in_memory(s, "b/2") && in_memory(s, "c"));
    uint64_t n = 0;
    assert_ok(cairn_delete_prefix(s, "b", &n));
    assert_int_equal(n, 2);
    assert_false(in_memory(s, "b/1"));
    assert_false(in_memory(s, "b/2"));
    assert_rc(cairn_get(s, "b/2", &v), CAIRN_ENOTFOUND);
    const char *keys[1] = {"c"};
    assert_ok(cairn_delete_many(s, keys, 1, &n));
    assert_int_equal(n, 1);
    assert_false(in_memory(s, "c"));
    assert_rc(cairn_exists(s, "c"), CAIRN_ENOTFOUND);

    /* get_many: hits and misses together, and fills the misses */
    assert_ok(cf_put(s, "m/1", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "m/2", "2", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cairn_tier_evict(s, "m/2"));
    const char *mk[3] = {"m/1", "m/none", "m/2"};
    cairn_value *out[3];
    assert_ok(cairn_get_many(s, mk, 3, out));
    assert_string_equal(cairn_value_data(out[0], NULL), "1");
    assert_null(out[1]);
    assert_string_equal(cairn_value_data(out[2], NULL), "2");
    for (int i = 0; i < 3; i++)
        cairn_value_free(out[i]);
    assert_true(in_memory(s, "m/2"));
}

/* A record in memory is never returned past its own expiry; purge empties
 * both tiers of it. */
static void tiered_expiry_and_purge(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_put_opts o = {.ttl_ms = 150};
    assert_ok(cairn_put(s, "t/short", "1", 1, &o));
    assert_ok(cf_put(s, "t/long", "2", CAIRN_FAIL_IF_EXISTS));
    assert_true(in_memory(s, "t/short"));
    sleep_ms(250);
    cairn_value *v = NULL;
    assert_rc(cairn_get(s, "t/short", &v), CAIRN_ENOTFOUND);
    assert_rc(cairn_tier_get(s, "t/short", &v), CAIRN_ENOTFOUND);
    assert_rc(cairn_exists(s, "t/short"), CAIRN_ENOTFOUND);
    /* an expired record is absent for set behaviours too */
    assert_ok(cf_put(s, "t/short", "3", CAIRN_FAIL_IF_EXISTS));
    cf_expect_str(s, "t/short", "3");
    o.ttl_ms = 100;
    assert_ok(cairn_put(s, "t/gone", "4", 1, &o));
    sleep_ms(200);
    cairn_cache_stats before, after;
    assert_ok(cairn_tier_stats_get(s, &before));
    uint64_t n = 0;
    assert_ok(cairn_purge_expired(s, &n));
    assert_int_equal(n, 1);
    assert_ok(cairn_tier_stats_get(s, &after));
    assert_int_equal(after.entries + 1, before.entries);
    assert_rc(cairn_tier_get(s, "t/gone", &v), CAIRN_ENOTFOUND);
    cf_expect_str(s, "t/long", "2");
    cf_expect_str(s, "t/short", "3");
}

/* Counters of both tiers: cairn_stats_get for the backend, cairn_tier_stats
 * for memory. */
static void tiered_stats(void **state)
{
    cairn_store *s = FX(state)->s;
    for (int i = 0; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "s/%d", i);
        assert_ok(cf_put(s, k, "{\"x\":1}", CAIRN_FAIL_IF_EXISTS));
    }
    assert_ok(cairn_tier_clear(s));
    cairn_cache_stats t0, t1;
    assert_ok(cairn_tier_stats_get(s, &t0));
    assert_int_equal(t0.entries, 0);
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < 10; i++) {
            char k[16];
            snprintf(k, sizeof k, "s/%d", i);
            cf_expect_str(s, k, "{\"x\":1}");
        }
    assert_ok(cairn_tier_stats_get(s, &t1));
    assert_int_equal(t1.misses - t0.misses, 10); /* the first round */
    assert_int_equal(t1.hits - t0.hits, 20);
    assert_int_equal(t1.entries, 10);
    assert_true(t1.bytes > 10 * (7 + CAIRN_CACHE_ENTRY_OVERHEAD));
    assert_true(t1.hit_rate > 0.0 && t1.hit_rate <= 1.0);
    cairn_stats st;
    assert_ok(cairn_store_stats_get(s, &st));
    assert_string_equal(st.backend, "tiered");
    assert_int_equal(st.keys, 10);
    assert_int_equal(st.gets, 30);
}

/* A corrupt record (written raw through the tap backend, so through the
 * tier as well) is reported as corrupt, from memory as from the backend. */
static void tiered_corrupt_behind(void **state)
{
    cf_fx *fx = FX(state);
    cf_reopen_tap(fx);
    assert_ok(cf_put(fx->s, "k", "\"v\"", CAIRN_FAIL_IF_EXISTS));
    size_t n;
    char *rec = cf_make_record("\"v\"", 3, CAIRN_FORMAT_JSON, &n);
    rec[n - 2] ^= 1; /* the value no longer matches its checksum */
    cf_raw_put("k", rec, n);
    free(rec);
    cairn_value *v = NULL;
    assert_rc(cairn_get(fx->s, "k", &v), CAIRN_ECORRUPT);
    assert_null(v);
}

/* Two handles on one persistent store: each has its own memory, so one
 * sees the other's writes when its entry's TTL runs out (or at once after
 * evicting it), as two processes do. */
static void tiered_two_handles(void **state)
{
    cf_fx *fx = FX(state);
    char url[sizeof fx->url + 64];
    cairn_store *a = fx->s, *b = NULL, *c = NULL;
    snprintf(url, sizeof url, "%s?cache_ttl_ms=600000", fx->url);
    assert_ok(cairn_store_open(url, NULL, &b));
    snprintf(url, sizeof url, "%s?cache_ttl_ms=100", fx->url);
    assert_ok(cairn_store_open(url, NULL, &c));
    assert_ok(cf_put(a, "k", "1", CAIRN_FAIL_IF_EXISTS));
    cf_expect_str(b, "k", "1"); /* now in b's memory */
    cf_expect_str(c, "k", "1");
    assert_ok(cf_put(a, "k", "2", CAIRN_OVERWRITE));
    cf_expect_str(a, "k", "2");
    cf_expect_str(b, "k", "1"); /* the documented limit: b's entry is 10 min */
    sleep_ms(200);
    cf_expect_str(c, "k", "2"); /* c's entry ran out: read again */
    assert_ok(cairn_tier_evict(b, "k"));
    cf_expect_str(b, "k", "2");
    /* writes through any handle go to the backend: atomic set behaviours
     * hold across handles whatever their memory holds */
    assert_rc(cf_put(b, "k", "3", CAIRN_FAIL_IF_EXISTS), CAIRN_EEXISTS);
    assert_ok(cairn_delete(a, "k"));
    assert_ok(cf_put(b, "k", "4", CAIRN_FAIL_IF_EXISTS)); /* b saw the delete */
    assert_rc(cf_put(c, "k", "5", CAIRN_FAIL_IF_EXISTS), CAIRN_EEXISTS);
    int64_t x = 0;
    assert_ok(cf_put(a, "n", "0", CAIRN_FAIL_IF_EXISTS));
    for (int i = 0; i < 10; i++) {
        assert_ok(cairn_incr(a, "n", 1, NULL));
        assert_ok(cairn_incr(b, "n", 1, &x));
    }
    assert_int_equal(x, 20); /* increments read the backend, not memory */
    cf_expect_str(b, "n", "20");
    cairn_store_close(b);
    cairn_store_close(c);
}

static void renew_writer(cairn_store *s, int open_rc, int id, void *arg)
{
    (void)open_rc;
    (void)id;
    if (!s || cf_put(s, (const char *)arg, "2", CAIRN_OVERWRITE) != CAIRN_OK)
        _exit(3);
}

/* Read k through t and say whether memory answered (a hit) or the
 * backend did (a miss). */
static bool read_hit(cairn_store *t, const char *k, const char *want)
{
    cairn_cache_stats a, b;
    assert_ok(cairn_tier_stats_get(t, &a));
    cf_expect_str(t, k, want);
    assert_ok(cairn_tier_stats_get(t, &b));
    assert_int_equal(b.hits + b.misses, a.hits + a.misses + 1);
    return b.hits == a.hits + 1;
}

/* An entry whose TTL ran out: kept without reading the record again when
 * the backend says nothing was written since it was read (LMDB), read
 * again after any write by any process (and then with its new value). */
static void tiered_ttl_renewal(void **state)
{
    cf_fx *fx = FX(state);
    char url[sizeof fx->url + 32];
    snprintf(url, sizeof url, "%s?cache_ttl_ms=50", fx->url);
    cairn_store *t = NULL;
    assert_ok(cairn_store_open(url, NULL, &t));
    bool has_gen = strcmp(cf_base(), "lmdb") == 0;
    assert_ok(cf_put(fx->s, "k", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(fx->s, "other", "1", CAIRN_FAIL_IF_EXISTS));
    assert_false(read_hit(t, "k", "1")); /* fills memory */
    assert_true(read_hit(t, "k", "1"));
    sleep_ms(80);
    assert_true(read_hit(t, "k", "1") == has_gen); /* nothing written: renewed */
    sleep_ms(80);
    assert_true(read_hit(t, "k", "1") == has_gen); /* and again */
    /* another process writes another key: k is read again */
    cf_fork_workers(fx, 1, renew_writer, "other", "write other");
    sleep_ms(80);
    assert_false(read_hit(t, "k", "1"));
    /* another process writes k: once the TTL ran out, its value */
    cf_fork_workers(fx, 1, renew_writer, "k", "write k");
    sleep_ms(80);
    assert_false(read_hit(t, "k", "2"));
    assert_true(read_hit(t, "k", "2"));
    /* a write through this handle is never renewed: our own commit moved
     * the generation */
    assert_ok(cf_put(t, "k", "3", CAIRN_OVERWRITE));
    assert_true(read_hit(t, "k", "3"));
    sleep_ms(80);
    assert_false(read_hit(t, "k", "3"));
    cairn_store_close(t);
}

const tr_case cf_tiered_cases[] = {
    TR_CASE(tiered_write_through_and_deletes, TR_TIERED, 0),
    TR_CASE(tiered_expiry_and_purge, TR_TIERED, 0),
    TR_CASE(tiered_stats, TR_TIERED, 0),
    TR_CASE(tiered_corrupt_behind, TR_TIERED, 0),
    TR_CASE(tiered_two_handles, TR_TIERED | TR_PERSISTENT, 0),
    TR_CASE(tiered_ttl_renewal, TR_TIERED | TR_PERSISTENT, 0),
};
const size_t cf_tiered_ncases = CF_NCASES(cf_tiered_cases);
