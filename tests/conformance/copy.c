/*
 * copy.c — migration: cairn_put_record(s) keeps a record's metadata, and
 * cairn_copy() moves records from the backend under test to every backend
 * kind there is (mem, file, sqlite, lmdb built in; Redis and PostgreSQL
 * when CAIRN_TEST_REDIS_URL / CAIRN_TEST_POSTGRES_URL name a server and the
 * backend is built), resumably and in constant memory.
 */
#include "conf.h"

#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
/* ASan's allocator, which replaces malloc's statistics (its header is not
 * installed everywhere: declared here). */
size_t __sanitizer_get_current_allocated_bytes(void);
#define HEAP_IN_USE() __sanitizer_get_current_allocated_bytes()
#else
#include <malloc.h>
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}
#define HEAP_IN_USE() heap_in_use()
#endif

/* ---- destinations: one store of every kind available ---- */

typedef struct {
    const char *kind;
    char url[PATH_MAX + 64];
    char dir[PATH_MAX]; /* temp dir to remove, "" for none */
} dest;

/* Fill d (up to max) with a fresh store URL of each kind; returns how many. */
static size_t dests(dest *d, size_t max)
{
    static const char *const local[] = {"mem", "file", "sqlite", "lmdb"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof local / sizeof *local && n < max; i++) {
        dest *x = &d[n];
        memset(x, 0, sizeof *x);
        x->kind = local[i];
        if (strcmp(x->kind, "mem") != 0 && tr_mkdtemp(x->kind, x->dir, sizeof x->dir))
            fail_msg("mkdtemp failed");
        if (!strcmp(x->kind, "mem"))
            snprintf(x->url, sizeof x->url, "mem:");
        else if (!strcmp(x->kind, "sqlite"))
            snprintf(x->url, sizeof x->url, "sqlite:%s/db.sqlite", x->dir);
        else
            snprintf(x->url, sizeof x->url, "%s:%s/store", x->kind, x->dir);
        n++;
    }
    static const struct {
        const char *kind, *env;
    } remote[] = {{"redis", "CAIRN_TEST_REDIS_URL"}, {"postgres", "CAIRN_TEST_POSTGRES_URL"}};
    for (size_t i = 0; i < sizeof remote / sizeof *remote && n < max; i++) {
        const char *u = getenv(remote[i].env);
        if (!u || !*u)
            continue;
        dest *x = &d[n];
        memset(x, 0, sizeof *x);
        x->kind = remote[i].kind;
        snprintf(x->url, sizeof x->url, "%s", u);
        n++;
    }
    return n;
}

/* Open a destination; CAIRN_EUNSUPPORTED (not built in) returns NULL. */
static cairn_store *dest_open(const dest *d)
{
    cairn_store *s = NULL;
    int rc = cairn_store_open(d->url, NULL, &s);
    if (rc == CAIRN_EUNSUPPORTED) {
        print_message("  (%s: not built in, left out)\n", d->kind);
        return NULL;
    }
    if (rc)
        fail_msg("open %s: %s: %s", d->url, cairn_strerror(rc), cairn_errmsg());
    return s;
}

static void dest_done(dest *d, cairn_store *s, const char *prefix)
{
    if (s && !d->dir[0] && strcmp(d->kind, "mem") != 0)
        (void)cairn_delete_prefix(s, prefix, NULL); /* a shared server */
    cairn_store_close(s);
    if (d->dir[0])
        tr_rm_rf(d->dir);
}

/* ---- helpers ---- */

/* A prefix no other run uses: remote servers are shared. */
static void unique_prefix(char *buf, size_t cap)
{
    snprintf(buf, cap, "copytest-%ld-%lld", (long)getpid(), (long long)cairn_now_ms());
}

static int put_with(cairn_store *s, const char *key, const void *val, size_t len,
                    cairn_format f, int64_t ttl, const char *model)
{
    cairn_put_opts o = {.behavior = CAIRN_OVERWRITE, .format = f, .ttl_ms = ttl,
                        .model = model};
    return cairn_put(s, key, val, len, &o);
}

/* Every live record under prefix in a equals the one in b: value, format,
 * model, version, times, expiry, checksum. Returns how many. */
static size_t expect_same(cairn_store *a, cairn_store *b, const char *prefix)
{
    cairn_iter *it;
    const char *key;
    size_t n = 0;
    assert_ok(cairn_list(a, prefix, &it));
    int rc;
    while ((rc = cairn_iter_next(it, &key, NULL)) == CAIRN_OK) {
        cairn_value *va = NULL, *vb = NULL;
        assert_ok(cairn_get(a, key, &va));
        rc = cairn_get(b, key, &vb);
        if (rc)
            fail_msg("%s missing at the destination: %s", key, cairn_errmsg());
        size_t la, lb;
        const void *da = cairn_value_data(va, &la), *db = cairn_value_data(vb, &lb);
        if (la != lb || memcmp(da, db, la))
            fail_msg("%s: value differs", key);
        const cairn_meta *ma = cairn_value_meta(va), *mb = cairn_value_meta(vb);
        if (ma->format != mb->format || ma->version != mb->version ||
            ma->created_ms != mb->created_ms || ma->updated_ms != mb->updated_ms ||
            ma->expires_ms != mb->expires_ms || ma->checksum != mb->checksum ||
            strcmp(ma->model, mb->model))
            fail_msg("%s: metadata differs: version %llu/%llu created %lld/%lld updated "
                     "%lld/%lld expires %lld/%lld model '%s'/'%s' format %d/%d",
                     key, (unsigned long long)ma->version, (unsigned long long)mb->version,
                     (long long)ma->created_ms, (long long)mb->created_ms,
                     (long long)ma->updated_ms, (long long)mb->updated_ms,
                     (long long)ma->expires_ms, (long long)mb->expires_ms, ma->model,
                     mb->model, (int)ma->format, (int)mb->format);
        cairn_value_free(va);
        cairn_value_free(vb);
        n++;
    }
    assert_rc(rc, CAIRN_DONE);
    cairn_iter_free(it);
    return n;
}

/* ---- cases ---- */

/* put_record keeps what it is given and follows the write rules. */
static void put_record_keeps_metadata(void **state)
{
    cairn_store *s = FX(state)->s;
    int64_t now = cairn_now_ms();
    const char *v = "{\"a\": 1.50}";
    size_t len = strlen(v);
    cairn_meta m = {.version = 7, .format = CAIRN_FORMAT_JSON,
                    .created_ms = now - 86400000, .updated_ms = now - 3600000,
                    .expires_ms = now + 3600000, .checksum = cairn__hash(v, len),
                    .model = "ns/thing@2"};
    assert_ok(cairn_put_record(s, "r/a", v, len, &m, CAIRN_FAIL_IF_EXISTS));
    cairn_meta got = cf_meta(s, "r/a");
    assert_int_equal(got.version, 7);
    assert_int_equal(got.created_ms, m.created_ms);
    assert_int_equal(got.updated_ms, m.updated_ms);
    assert_int_equal(got.expires_ms, m.expires_ms);
    assert_int_equal(got.checksum, m.checksum);
    cf_expect_value(s, "r/a", v, len);

    /* Behaviours as put: exists, skip, different (equal: skipped). */
    assert_rc(cairn_put_record(s, "r/a", v, len, &m, CAIRN_FAIL_IF_EXISTS), CAIRN_EEXISTS);
    assert_rc(cairn_put_record(s, "r/a", "1", 1, &(cairn_meta){0}, CAIRN_SKIP_IF_EXISTS),
              CAIRN_SKIPPED);
    /* (An equal value under another model is different: models.c.) */
    assert_rc(cairn_put_record(s, "r/a", "{\"a\":1.5}", 9,
                               &(cairn_meta){.model = "ns/thing@2"}, CAIRN_FAIL_IF_DIFFERENT),
              CAIRN_SKIPPED);
    assert_rc(cairn_put_record(s, "r/a", "2", 1, &(cairn_meta){0}, CAIRN_FAIL_IF_DIFFERENT),
              CAIRN_EDIFFERENT);
    assert_int_equal(cf_meta(s, "r/a").version, 7);

    /* Overwrite: the version only moves forward. */
    cairn_meta old = {.version = 2, .format = CAIRN_FORMAT_TEXT};
    assert_ok(cairn_put_record(s, "r/a", "t", 1, &old, CAIRN_OVERWRITE));
    got = cf_meta(s, "r/a");
    assert_int_equal(got.version, 8);
    assert_int_equal(got.format, CAIRN_FORMAT_TEXT);
    assert_int_equal(got.expires_ms, 0);
    assert_true(got.created_ms >= now && got.updated_ms >= now); /* 0: now */
    cairn_meta newer = {.version = 20};
    assert_ok(cairn_put_record(s, "r/a", "3", 1, &newer, CAIRN_OVERWRITE));
    assert_int_equal(cf_meta(s, "r/a").version, 20);

    /* Refused, nothing written. */
    cairn_meta bad = m;
    bad.checksum ^= 1;
    assert_rc(cairn_put_record(s, "r/b", v, len, &bad, CAIRN_OVERWRITE), CAIRN_ECORRUPT);
    assert_errmsg_has("checksum");
    bad = m;
    bad.updated_ms = bad.created_ms - 1;
    assert_rc(cairn_put_record(s, "r/b", v, len, &bad, CAIRN_OVERWRITE), CAIRN_EINVAL);
    bad = m;
    bad.format = CAIRN_FORMAT_JSON;
    bad.checksum = 0;
    assert_rc(cairn_put_record(s, "r/b", "{", 1, &bad, CAIRN_OVERWRITE), CAIRN_EFORMAT);
    assert_rc(cairn_put_record(s, "_cairn/x", v, len, &m, CAIRN_OVERWRITE), CAIRN_EKEY);
    assert_rc(cairn_put_record(s, "r/b", v, len, NULL, CAIRN_OVERWRITE), CAIRN_EINVAL);
    bad = m;
    bad.model = "not a model!";
    assert_rc(cairn_put_record(s, "r/b", v, len, &bad, CAIRN_OVERWRITE), CAIRN_EINVAL);
    /* Already expired: not written. */
    bad = m;
    bad.expires_ms = now - 1;
    assert_rc(cairn_put_record(s, "r/b", v, len, &bad, CAIRN_OVERWRITE), CAIRN_SKIPPED);
    assert_rc(cairn_exists(s, "r/b"), CAIRN_ENOTFOUND);
}

/* A batch fails as a whole and names the item at fault. */
static void put_records_names_the_bad_item(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_meta m = {.format = CAIRN_FORMAT_JSON};
    cairn_meta t = {.format = CAIRN_FORMAT_TEXT};
    assert_ok(cairn_put(s, "b/3", "1", 1, NULL));
    cairn_record_item it[4] = {{"b/1", "1", 1, &m, -99},
                               {"b/2", "\"x\"", 3, &m, -99},
                               {"b/3", "2", 1, &m, -99},
                               {"b/4", "t", 1, &t, -99}};
    /* b/3 exists: FAIL_IF_EXISTS fails on it, inside the transaction. */
    assert_rc(cairn_put_records(s, it, 4, CAIRN_FAIL_IF_EXISTS), CAIRN_EEXISTS);
    assert_errmsg_has("b/3");
    assert_int_equal(it[0].status, CAIRN_OK);
    assert_int_equal(it[1].status, CAIRN_OK);
    assert_int_equal(it[2].status, CAIRN_EEXISTS);
    assert_int_equal(it[3].status, CAIRN_OK);
    assert_rc(cairn_exists(s, "b/1"), CAIRN_ENOTFOUND);
    assert_rc(cairn_exists(s, "b/4"), CAIRN_ENOTFOUND);
    /* An invalid value is found before the transaction. */
    it[1].val = "{";
    it[1].len = 1;
    assert_rc(cairn_put_records(s, it, 4, CAIRN_SKIP_IF_EXISTS), CAIRN_EFORMAT);
    assert_int_equal(it[1].status, CAIRN_EFORMAT);
    assert_int_equal(it[0].status, CAIRN_OK);
    assert_rc(cairn_exists(s, "b/1"), CAIRN_ENOTFOUND);
    it[1].val = "\"x\"";
    it[1].len = 3;
    assert_ok(cairn_put_records(s, it, 4, CAIRN_SKIP_IF_EXISTS));
    assert_int_equal(it[2].status, CAIRN_SKIPPED);
    assert_int_equal(it[3].status, CAIRN_OK);
    cf_expect_str(s, "b/3", "1");
    cf_expect_str(s, "b/4", "t");
    /* The same key twice. */
    it[1].key = "b//1/";
    assert_rc(cairn_put_records(s, it, 2, CAIRN_OVERWRITE), CAIRN_EINVAL);
    assert_errmsg_has("twice");
}

/* The records of every format, model and expiry, copied from the backend
 * under test to each kind of store; a second copy skips everything. */
static void copy_to_every_backend(void **state)
{
    cairn_store *src = FX(state)->s;
    char prefix[64], key[128];
    unique_prefix(prefix, sizeof prefix);
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    size_t live = 0;
#define K(name) (snprintf(key, sizeof key, "%s/%s", prefix, name), key)
    assert_ok(put_with(src, K("json"), "{\"b\": [1.50, 2e3] }", 19, CAIRN_FORMAT_JSON, 0, NULL));
    assert_ok(put_with(src, K("pretty"), "{\n  \"a\": 1\n}\n", 13, CAIRN_FORMAT_JSON, 0, NULL));
    assert_ok(put_with(src, K("text"), "h\xc3\xa9llo\nworld", 13, CAIRN_FORMAT_TEXT, 0, NULL));
    assert_ok(put_with(src, K("bytes"), bytes, sizeof bytes, CAIRN_FORMAT_BYTES, 0, NULL));
    assert_ok(put_with(src, K("empty"), "", 0, CAIRN_FORMAT_BYTES, 0, NULL));
    /* A model reference the source does not register (put_record keeps it
     * as it is; a put would validate against the registry). */
    assert_ok(cairn_put_record(src, K("model"), "{\"n\":1}", 7,
                               &(cairn_meta){.format = CAIRN_FORMAT_JSON, .model = "ns/m@3"},
                               CAIRN_OVERWRITE));
    assert_ok(put_with(src, K("ttl"), "1", 1, CAIRN_FORMAT_JSON, 3600000, NULL));
    assert_ok(put_with(src, K("deep/er/key"), "2", 1, CAIRN_FORMAT_JSON, 0, NULL));
    for (int i = 0; i < 3; i++) /* version 3 */
        assert_ok(put_with(src, K("v3"), "3", 1, CAIRN_FORMAT_JSON, 0, NULL));
    live = 9;
    assert_ok(put_with(src, K("gone"), "0", 1, CAIRN_FORMAT_JSON, 1, NULL));
    assert_ok(cairn_put(src, "outside", "0", 1, NULL)); /* not under the prefix */
    tr_sleep_ms(20);
#undef K

    dest d[8];
    size_t nd = dests(d, 8);
    for (size_t i = 0; i < nd; i++) {
        cairn_store *dst = dest_open(&d[i]);
        if (!dst) {
            dest_done(&d[i], NULL, prefix);
            continue;
        }
        cairn_copy_opts o = {.behavior = CAIRN_SKIP_IF_EXISTS, .prefix = prefix,
                             .batch = 4};
        cairn_copy_stats st;
        assert_ok(cairn_copy(src, dst, &o, &st));
        print_message("  %s -> %s: %llu copied\n", cf_be->name, d[i].kind,
                      (unsigned long long)st.copied);
        assert_int_equal(st.copied, live);
        assert_int_equal(st.skipped, 0);
        assert_int_equal(expect_same(src, dst, prefix), live);
        /* Both ways: the destination holds exactly those records. */
        assert_int_equal(expect_same(dst, src, prefix), live);
        assert_rc(cairn_exists(dst, "outside"), CAIRN_ENOTFOUND);
        /* Remaining TTL: the expiry instant is the source's (expect_same
         * compared it); here it is still about an hour away. */
        snprintf(key, sizeof key, "%s/ttl", prefix);
        int64_t left = cf_meta(dst, key).expires_ms - cairn_now_ms();
        assert_true(left > 3500000 && left <= 3600000);
        /* Again: all skipped, nothing rewritten (versions unchanged). */
        assert_ok(cairn_copy(src, dst, &o, &st));
        assert_int_equal(st.copied, 0);
        assert_int_equal(st.skipped, live);
        assert_int_equal(expect_same(src, dst, prefix), live);
        dest_done(&d[i], dst, prefix);
    }
}

typedef struct {
    uint64_t stop_after; /* stop once this many are copied */
    uint64_t early;      /* heap_early: the peak until this many are copied */
    size_t heap0, heap_peak, heap_early;
} watch;

static int watch_cb(void *ctx, const cairn_copy_stats *st)
{
    watch *w = ctx;
    size_t h = HEAP_IN_USE();
    if (h > w->heap_peak)
        w->heap_peak = h;
    if (st->copied <= w->early)
        w->heap_early = w->heap_peak;
    if (w->stop_after && st->copied >= w->stop_after)
        return 42;
    return 0;
}

/* Interrupted half-way, then run again: complete, nothing written twice;
 * a different value already at the destination is kept (skip) or stops the
 * copy (different). */
static void copy_resumes(void **state)
{
    cairn_store *src = FX(state)->s;
    char key[64];
    enum { N = 1000 };
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k/%04d", i);
        assert_ok(cairn_put(src, key, "1", 1, NULL));
    }
    /* The destination: another store of the source's kind when that is a
     * local one; mem: for a server's (one server, one store). */
    dest d[1];
    dests(d, 1); /* mem: */
    if (!strcmp(cf_be->name, "file") || !strcmp(cf_be->name, "sqlite") ||
        !strcmp(cf_be->name, "lmdb")) {
        d[0].kind = cf_be->name;
        assert_int_equal(tr_mkdtemp(cf_be->name, d[0].dir, sizeof d[0].dir), 0);
        if (!strcmp(cf_be->name, "sqlite"))
            snprintf(d[0].url, sizeof d[0].url, "sqlite:%s/db.sqlite", d[0].dir);
        else
            snprintf(d[0].url, sizeof d[0].url, "%s:%s/store", cf_be->name, d[0].dir);
    }
    cairn_store *dst = dest_open(&d[0]);
    assert_non_null(dst);
    watch w = {.stop_after = 300};
    cairn_copy_opts o = {.behavior = CAIRN_SKIP_IF_EXISTS, .batch = 100,
                         .progress = watch_cb, .progress_ctx = &w};
    cairn_copy_stats st;
    assert_rc(cairn_copy(src, dst, &o, &st), 42);
    assert_int_equal(st.copied, 300);
    uint64_t n;
    assert_ok(cairn_count(dst, NULL, &n));
    assert_int_equal(n, 300);
    /* A key not yet copied gets a different value at the destination. */
    assert_ok(cairn_put(dst, "k/0500", "\"mine\"", 6, NULL));
    /* FAIL_IF_DIFFERENT: equal ones are skipped, the different one stops it. */
    o.progress = NULL;
    o.behavior = CAIRN_FAIL_IF_DIFFERENT;
    assert_rc(cairn_copy(src, dst, &o, &st), CAIRN_EDIFFERENT);
    assert_errmsg_has("k/0500");
    assert_int_equal(st.copied, 200);  /* k/0300..k/0499 */
    assert_int_equal(st.skipped, 300); /* k/0000..k/0299, equal */
    /* SKIP: completes, keeps "mine". */
    o.behavior = CAIRN_SKIP_IF_EXISTS;
    assert_ok(cairn_copy(src, dst, &o, &st));
    assert_int_equal(st.copied, N - 501);
    assert_int_equal(st.skipped, 501);
    cf_expect_str(dst, "k/0500", "\"mine\"");
    assert_ok(cairn_count(dst, NULL, &n));
    assert_int_equal(n, N);
    /* Every other record as at the source, version 1: none written twice. */
    for (int i = 0; i < N; i++) {
        if (i == 500)
            continue;
        snprintf(key, sizeof key, "k/%04d", i);
        cairn_meta a = cf_meta(src, key), b = cf_meta(dst, key);
        assert_int_equal(b.version, 1);
        assert_int_equal(a.updated_ms, b.updated_ms);
    }
    dest_done(&d[0], dst, "k");
}

/* 200,000 records copied with the heap never holding more than a few
 * batches: far less than the data (200,000 x 200 bytes = 40 MB). */
static void copy_in_constant_memory(void **state)
{
    cf_fx *fx = FX(state);
    if (!strcmp(cf_scheme(), "tiered"))
        tr_skip("a tiered source keeps what the copy reads, up to its cache_mb (64 MiB), "
                "by design: the measure here is of the copy, not the tier");
    if (!strcmp(cf_be->name, "file"))
        tr_skip("filling the source makes 200,000 files: minutes, not seconds "
                "(the copy code is the same for every source backend)");
    cairn_options fast = {.durability = CAIRN_DURABILITY_NONE};
    cf_reopen(fx, &fast);
    enum { N = 200000, CHUNK = 1000, VLEN = 200 };
    char val[VLEN + 1];
    memset(val, 'x', VLEN);
    val[0] = '"';
    val[VLEN - 1] = '"';
    val[VLEN] = '\0';
    char(*keys)[32] = malloc(CHUNK * sizeof *keys);
    cairn_put_item *items = calloc(CHUNK, sizeof *items);
    assert_non_null(keys);
    assert_non_null(items);
    for (int base = 0; base < N; base += CHUNK) {
        for (int i = 0; i < CHUNK; i++) {
            snprintf(keys[i], sizeof keys[i], "m/%07d", base + i);
            items[i] = (cairn_put_item){keys[i], val, VLEN, 0};
        }
        assert_ok(cairn_put_many(fx->s, items, CHUNK, NULL));
    }
    free(keys);
    free(items);

    char dir[PATH_MAX], url[PATH_MAX + 32];
    assert_int_equal(tr_mkdtemp("copymem", dir, sizeof dir), 0);
#if defined(CAIRN_HAVE_SQLITE)
    snprintf(url, sizeof url, "sqlite:%s/db.sqlite", dir);
#elif defined(CAIRN_HAVE_LMDB)
    snprintf(url, sizeof url, "lmdb:%s/store", dir);
#else
    snprintf(url, sizeof url, "file:%s/store", dir);
#endif
    cairn_store *dst;
    assert_ok(cairn_store_open(url, &fast, &dst));
    watch w = {.heap0 = HEAP_IN_USE(), .early = N / 10};
    w.heap_peak = w.heap0;
    cairn_copy_opts o = {.behavior = CAIRN_SKIP_IF_EXISTS, .progress = watch_cb,
                         .progress_ctx = &w};
    cairn_copy_stats st;
    assert_ok(cairn_copy(fx->s, dst, &o, &st));
    assert_int_equal(st.copied, N);
    size_t grew = w.heap_peak - w.heap0, late = w.heap_peak - w.heap_early;
    print_message("  heap in use grew by at most %zu KiB while copying %d records "
                  "(%d MB of values); %zu KiB of it after the first %d\n",
                  grew / 1024, N, N * VLEN / 1000000, late / 1024, N / 10);
    /* Bounded, and flat: the last 90% of the records add (almost) nothing. */
    assert_true(grew < 16u * 1024u * 1024u);
    assert_true(late < 1024u * 1024u);
    uint64_t n;
    assert_ok(cairn_count(dst, NULL, &n));
    assert_int_equal(n, N);
    cairn_store_close(dst);
    tr_rm_rf(dir);
}

/* raw_prefix: the keys that start with the prefix's bytes. */
static void copy_raw_prefix(void **state)
{
    cairn_store *src = FX(state)->s;
    const char *const keys[] = {"rp:1", "rp:2/x", "rp", "rpx"};
    for (size_t i = 0; i < 4; i++)
        assert_ok(cairn_put(src, keys[i], "1", 1, NULL));
    cairn_store *dst;
    assert_ok(cairn_store_open("mem:", NULL, &dst));
    cairn_copy_opts o = {.struct_size = sizeof o, .prefix = "rp:", .raw_prefix = 1};
    cairn_copy_stats st;
    assert_ok(cairn_copy(src, dst, &o, &st));
    assert_int_equal(st.copied, 2);
    cairn_iter *it;
    assert_ok(cairn_list(dst, NULL, &it));
    char *got = cf_drain(it, NULL);
    cf_expect_keys(got, (const char *const[]){"rp:1", "rp:2/x", NULL});
    free(got);
    cairn_store_close(dst);
    /* struct_size 0 is the 0.1.0 layout: raw_prefix is not read, and "rp:"
     * is a segment no key has */
    assert_ok(cairn_store_open("mem:", NULL, &dst));
    o.struct_size = 0;
    assert_ok(cairn_copy(src, dst, &o, &st));
    assert_int_equal(st.copied, 0);
    cairn_store_close(dst);
}

const tr_case cf_copy_cases[] = {
    TR_CASE(put_record_keeps_metadata, TR_NONE, 0),
    TR_CASE(put_records_names_the_bad_item, TR_NONE, 0),
    TR_CASE(copy_to_every_backend, TR_NONE, 0),
    TR_CASE(copy_resumes, TR_NONE, 0),
    TR_CASE(copy_raw_prefix, TR_NONE, 0),
    TR_CASE(copy_in_constant_memory, TR_HEAVY, 300),
};
const size_t cf_copy_ncases = CF_NCASES(cf_copy_cases);
