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

/* A meta of format f (JSON when 0) with val's checksum and model. */
static cairn_meta meta_of(const char *val, cairn_format f, const char *model)
{
    return (cairn_meta){.format = f, .checksum = cairn_checksum(val, strlen(val)),
                        .model = model};
}

/* Register schema as exactly ref ("ns/name@N") in s. */
static void register_at(cairn_store *s, const char *ref, const char *schema)
{
    int rc = cairn_model_register(s, ref, schema, strlen(schema), CAIRN_MODEL_AT_VERSION,
                                  NULL);
    if (rc != CAIRN_OK && rc != CAIRN_SKIPPED)
        fail_msg("register %s: %s: %s", ref, cairn_status_name(rc), cairn_errmsg());
}

#define THING_SCHEMA "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"}}}"

/* ---- cases ---- */

/* put_record keeps what it is given and follows the write rules. */
static void put_record_keeps_metadata(void **state)
{
    cairn_store *s = FX(state)->s;
    int64_t now = cairn_now_ms();
    register_at(s, "ns/thing@2", THING_SCHEMA);
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
    cairn_meta one = meta_of("1", CAIRN_FORMAT_JSON, NULL);
    assert_rc(cairn_put_record(s, "r/a", "1", 1, &one, CAIRN_SKIP_IF_EXISTS), CAIRN_SKIPPED);
    /* (An equal value under another model is different: models.c.) */
    cairn_meta eq = meta_of("{\"a\":1.5}", CAIRN_FORMAT_JSON, "ns/thing@2");
    assert_rc(cairn_put_record(s, "r/a", "{\"a\":1.5}", 9, &eq, CAIRN_FAIL_IF_DIFFERENT),
              CAIRN_SKIPPED);
    cairn_meta two = meta_of("2", CAIRN_FORMAT_JSON, NULL);
    assert_rc(cairn_put_record(s, "r/a", "2", 1, &two, CAIRN_FAIL_IF_DIFFERENT),
              CAIRN_EDIFFERENT);
    assert_int_equal(cf_meta(s, "r/a").version, 7);

    /* Overwrite: the version only moves forward. */
    cairn_meta old = meta_of("t", CAIRN_FORMAT_TEXT, NULL);
    old.version = 2;
    assert_ok(cairn_put_record(s, "r/a", "t", 1, &old, CAIRN_OVERWRITE));
    got = cf_meta(s, "r/a");
    assert_int_equal(got.version, 8);
    assert_int_equal(got.format, CAIRN_FORMAT_TEXT);
    assert_int_equal(got.expires_ms, 0);
    assert_true(got.created_ms >= now && got.updated_ms >= now); /* 0: now */
    cairn_meta newer = meta_of("3", CAIRN_FORMAT_JSON, NULL);
    newer.version = 20;
    assert_ok(cairn_put_record(s, "r/a", "3", 1, &newer, CAIRN_OVERWRITE));
    assert_int_equal(cf_meta(s, "r/a").version, 20);

    /* Refused, nothing written. */
    cairn_meta bad = m;
    bad.checksum ^= 1;
    assert_rc(cairn_put_record(s, "r/b", v, len, &bad, CAIRN_OVERWRITE), CAIRN_ECORRUPT);
    assert_errmsg_has("checksum");
    /* An all-zero checksum is checked too (it used to switch the check off). */
    bad = m;
    bad.checksum = 0;
    assert_rc(cairn_put_record(s, "r/b", v, len, &bad, CAIRN_OVERWRITE), CAIRN_ECORRUPT);
    assert_errmsg_has("checksum 0000000000000000 does not match");
    bad = m;
    bad.updated_ms = bad.created_ms - 1;
    assert_rc(cairn_put_record(s, "r/b", v, len, &bad, CAIRN_OVERWRITE), CAIRN_EINVAL);
    bad = m;
    bad.format = CAIRN_FORMAT_JSON;
    bad.checksum = cairn_checksum("{", 1);
    bad.model = NULL;
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

/* A record under a model is validated against this store's registry, as a
 * put with that model is: an unknown model or version is CAIRN_EMODEL, an
 * invalid value CAIRN_EVALIDATION with its errors; nothing written. */
static void put_record_validates_model(void **state)
{
    cairn_store *s = FX(state)->s;
    register_at(s, "ns/thing@2", THING_SCHEMA);
    const char *bad = "{\"a\":\"x\"}", *good = "{\"a\":5}";
    cairn_meta m = meta_of(bad, CAIRN_FORMAT_JSON, "ns/thing@2");
    assert_rc(cairn_put_record(s, "v/a", bad, strlen(bad), &m, CAIRN_OVERWRITE),
              CAIRN_EVALIDATION);
    assert_errmsg_has("v/a");
    const cairn_verrors *e = cairn_validation_errors();
    assert_non_null(e);
    assert_string_equal(cairn_verrors_path(e, 0), "/a");
    assert_rc(cairn_exists(s, "v/a"), CAIRN_ENOTFOUND);
    /* In a batch: the batch fails on that item, nothing is written. */
    cairn_meta g = meta_of(good, CAIRN_FORMAT_JSON, "ns/thing@2");
    cairn_record_item it[2] = {{"v/good", good, strlen(good), &g, 0},
                               {"v/a", bad, strlen(bad), &m, 0}};
    assert_rc(cairn_put_records(s, it, 2, CAIRN_OVERWRITE), CAIRN_EVALIDATION);
    assert_int_equal(it[1].status, CAIRN_EVALIDATION);
    assert_rc(cairn_exists(s, "v/good"), CAIRN_ENOTFOUND);
    /* A model, or a version of it, that this store does not have. */
    const char *unknown[] = {"ns/nope@1", "ns/thing@9", "nope"};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        cairn_meta u = meta_of(good, CAIRN_FORMAT_JSON, unknown[i]);
        assert_rc(cairn_put_record(s, "v/u", good, strlen(good), &u, CAIRN_OVERWRITE),
                  CAIRN_EMODEL);
        assert_errmsg_has(unknown[i]);
    }
    assert_rc(cairn_exists(s, "v/u"), CAIRN_ENOTFOUND);
    /* Valid: written under the resolved reference. */
    cairn_meta n = meta_of(good, CAIRN_FORMAT_JSON, "thing");
    assert_ok(cairn_put_record(s, "v/good", good, strlen(good), &n, CAIRN_OVERWRITE));
    cairn_value *v;
    assert_ok(cairn_get_model(s, "v/good", "ns/thing@2", CAIRN_GET_REVALIDATE, &v));
    assert_string_equal(cairn_value_meta(v)->model, "ns/thing@2");
    cairn_value_free(v);
}

/* cairn_model_register with CAIRN_MODEL_AT_VERSION: exactly that version,
 * equal again is a skip, different is a conflict. */
static void model_register_at_version(void **state)
{
    cairn_store *s = FX(state)->s;
    const char *sc = "{\"type\":\"object\"}", *other = "{\"type\":\"array\"}";
    char res[CAIRN_MODEL_MAX + 1];
    assert_ok(cairn_model_register(s, "at/m@3", sc, strlen(sc), CAIRN_MODEL_AT_VERSION, res));
    assert_string_equal(res, "at/m@3");
    assert_ok(cairn_model_resolve(s, "at/m", res));
    assert_string_equal(res, "at/m@3"); /* alone: the newest */
    const char *spaced = " { \"type\" : \"object\" } ";
    assert_rc(cairn_model_register(s, "at/m@3", spaced, strlen(spaced), CAIRN_MODEL_AT_VERSION,
                                   NULL),
              CAIRN_SKIPPED);
    assert_rc(cairn_model_register(s, "at/m@3", other, strlen(other), CAIRN_MODEL_AT_VERSION,
                                   NULL),
              CAIRN_EDIFFERENT);
    assert_errmsg_has("at/m@3");
    assert_ok(cairn_model_register(s, "at/m@1", other, strlen(other), CAIRN_MODEL_AT_VERSION,
                                   NULL));
    assert_rc(cairn_model_register(s, "at/m", sc, strlen(sc), CAIRN_MODEL_AT_VERSION, NULL),
              CAIRN_EINVAL);
    assert_rc(cairn_model_register(s, "at/m@4", sc, strlen(sc),
                                   CAIRN_MODEL_AT_VERSION | CAIRN_MODEL_NEW_VERSION, NULL),
              CAIRN_EINVAL);
    /* The next plain registration of a new schema follows the newest. */
    assert_ok(cairn_model_register(s, "at/m", "{}", 2, CAIRN_MODEL_NEW_VERSION, res));
    assert_string_equal(res, "at/m@4");
}

/* A batch fails as a whole and names the item at fault. */
static void put_records_names_the_bad_item(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_meta m1 = meta_of("1", CAIRN_FORMAT_JSON, NULL);
    cairn_meta m2 = meta_of("\"x\"", CAIRN_FORMAT_JSON, NULL);
    cairn_meta m3 = meta_of("2", CAIRN_FORMAT_JSON, NULL);
    cairn_meta t = meta_of("t", CAIRN_FORMAT_TEXT, NULL);
    assert_ok(cairn_put(s, "b/3", "1", 1, NULL));
    cairn_record_item it[4] = {{"b/1", "1", 1, &m1, -99},
                               {"b/2", "\"x\"", 3, &m2, -99},
                               {"b/3", "2", 1, &m3, -99},
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
    cairn_meta brace = meta_of("{", CAIRN_FORMAT_JSON, NULL);
    it[1].val = "{";
    it[1].len = 1;
    it[1].meta = &brace;
    assert_rc(cairn_put_records(s, it, 4, CAIRN_SKIP_IF_EXISTS), CAIRN_EFORMAT);
    assert_int_equal(it[1].status, CAIRN_EFORMAT);
    assert_int_equal(it[0].status, CAIRN_OK);
    assert_rc(cairn_exists(s, "b/1"), CAIRN_ENOTFOUND);
    it[1].val = "\"x\"";
    it[1].len = 3;
    it[1].meta = &m2;
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
    /* A record under a model version registered alone (the copy carries
     * it to the destination, before the records). */
    char mref[96];
    snprintf(mref, sizeof mref, "%s/m@3", prefix);
    register_at(src, mref, THING_SCHEMA);
    cairn_meta mm = meta_of("{\"n\":1}", CAIRN_FORMAT_JSON, mref);
    assert_ok(cairn_put_record(src, K("model"), "{\"n\":1}", 7, &mm, CAIRN_OVERWRITE));
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
        /* The model came along: revalidation and puts under it work. */
        cairn_value *v;
        snprintf(key, sizeof key, "%s/model", prefix);
        assert_ok(cairn_get_model(dst, key, NULL, CAIRN_GET_REVALIDATE, &v));
        cairn_value_free(v);
        snprintf(key, sizeof key, "%s/put-model", prefix);
        cairn_put_opts po = {.model = mref};
        assert_ok(cairn_put(dst, key, "{\"a\":2}", 7, &po));
        assert_ok(cairn_delete(dst, key));
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

/* What cairn_copy carries of the registry: the versions the copied
 * records reference (only those), every model with all_models, and a
 * version the destination has with another schema stops the copy before
 * any record is written. */
static void copy_carries_models(void **state)
{
    cairn_store *src = FX(state)->s;
    char prefix[64], a[96], b[96], unused[96], key[128];
    unique_prefix(prefix, sizeof prefix);
    snprintf(a, sizeof a, "%s/a@1", prefix);
    snprintf(b, sizeof b, "%s/b@2", prefix);
    snprintf(unused, sizeof unused, "%s/unused@1", prefix);
    register_at(src, a, "{\"type\":\"object\",\"required\":[\"x\"]}");
    register_at(src, b, THING_SCHEMA);
    register_at(src, unused, "{}");
    cairn_put_opts oa = {.model = a}, ob = {.model = b};
    snprintf(key, sizeof key, "%s/r/a", prefix);
    assert_ok(cairn_put(src, key, "{\"x\":1}", 7, &oa));
    snprintf(key, sizeof key, "%s/r/b", prefix);
    assert_ok(cairn_put(src, key, "{\"a\":1}", 7, &ob));

    cairn_store *dst;
    char res[CAIRN_MODEL_MAX + 1];
    cairn_copy_opts o = {.struct_size = sizeof o, .prefix = prefix};
    cairn_copy_stats st;
    assert_ok(cairn_store_open("mem:", NULL, &dst));
    assert_ok(cairn_copy(src, dst, &o, &st));
    assert_int_equal(st.copied, 2);
    assert_ok(cairn_model_resolve(dst, a, res));
    assert_ok(cairn_model_resolve(dst, b, res));
    assert_rc(cairn_model_resolve(dst, unused, res), CAIRN_ENOTFOUND);
    snprintf(key, sizeof key, "%s/r/a", prefix);
    cairn_value *v;
    assert_ok(cairn_get_model(dst, key, a, CAIRN_GET_REVALIDATE, &v));
    cairn_value_free(v);
    /* all_models: the one no record uses too. */
    o.all_models = 1;
    o.behavior = CAIRN_SKIP_IF_EXISTS;
    assert_ok(cairn_copy(src, dst, &o, &st));
    assert_int_equal(st.skipped, 2);
    assert_ok(cairn_model_resolve(dst, unused, res));
    cairn_store_close(dst);

    /* A conflict: the destination has b@2 with another schema. */
    assert_ok(cairn_store_open("mem:", NULL, &dst));
    register_at(dst, b, "{\"type\":\"array\"}");
    o.all_models = 0;
    assert_rc(cairn_copy(src, dst, &o, &st), CAIRN_EDIFFERENT);
    assert_errmsg_has(b);
    assert_int_equal(st.copied, 0);
    uint64_t n;
    assert_ok(cairn_count(dst, NULL, &n));
    assert_int_equal(n, 0);
    cairn_store_close(dst);
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

/* What cairn_copy_opts.on_corrupt was told; a non-zero stop is returned. */
typedef struct {
    unsigned calls;
    char key[64];
    int status;
    bool named; /* the message names the key and the damage */
    int stop;
} corrupt_log;

static int log_corrupt(void *ctx, const char *key, int status, const char *msg)
{
    corrupt_log *l = ctx;
    l->calls++;
    snprintf(l->key, sizeof l->key, "%s", key);
    l->status = status;
    l->named = msg && strstr(msg, key) && strstr(msg, "corrupt record");
    return l->stop;
}

/* Copy the fixture's store into a new mem: store; returns the status, the
 * counts in *st and the records there in *there. */
static int copy_out(cairn_store *src, cairn_copy_opts *o, cairn_copy_stats *st,
                    uint64_t *there)
{
    cairn_store *dst = NULL;
    assert_ok(cairn_store_open("mem:", NULL, &dst));
    int rc = cairn_copy(src, dst, o, st);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", cairn_errmsg());
    assert_ok(cairn_count(dst, NULL, there));
    cairn_store_close(dst);
    cairn__err(rc, "%s", msg); /* the copy's message, for the caller */
    return rc;
}

/* One of N records damaged at the source (a flipped value byte, then a
 * flipped header byte): the copy used to lose the batch around it. Without
 * skip_corrupt it stops there with CAIRN_ECORRUPT naming the key, every
 * record before it copied; with it, the N-1 others are copied, the damaged
 * one is counted and passed to on_corrupt, and the copy ends with
 * CAIRN_ECORRUPT (issue 15). */
static void copy_corrupt_record(void **state)
{
    cf_fx *fx = FX(state);
    enum { N = 8 };
    static const struct {
        const char *key;
        int before;  /* records before it */
        bool header; /* damage the header (else the value) */
    } rounds[] = {{"c/5", 5, false}, {"c/2", 2, true}};
    size_t n;
    char *good = cf_make_record("{\"ok\":1}", 8, CAIRN_FORMAT_JSON, &n);
    for (size_t r = 0; r < sizeof rounds / sizeof *rounds; r++) {
        cf_reopen_tap(fx);
        char key[32];
        for (int i = 0; i < N; i++) {
            snprintf(key, sizeof key, "c/%d", i);
            cf_raw_put(key, good, n);
        }
        char *bad = malloc(n);
        assert_non_null(bad);
        memcpy(bad, good, n);
        if (rounds[r].header) /* a digit of "hh", the header's checksum */
            bad[(size_t)((char *)memchr(bad, '\n', n) - bad) - 3] ^= 1;
        else
            bad[n - 2] ^= 1;
        cf_raw_put(rounds[r].key, bad, n);
        free(bad);
        if (cf_be->persistent) /* read through the backend's own calls (get_many) */
            cf_reopen(fx, NULL);

        /* batch 4: the damaged record is inside a batch, after others */
        cairn_copy_opts o = {.struct_size = sizeof o, .batch = 4};
        cairn_copy_stats st;
        uint64_t there;
        assert_rc(copy_out(fx->s, &o, &st, &there), CAIRN_ECORRUPT);
        assert_errmsg_has(rounds[r].key);
        assert_errmsg_has("corrupt record");
        assert_int_equal(st.copied, rounds[r].before);
        assert_int_equal(st.corrupt, 0);
        assert_int_equal(there, rounds[r].before);

        corrupt_log log = {0};
        o.skip_corrupt = 1;
        o.on_corrupt = log_corrupt;
        o.on_corrupt_ctx = &log;
        assert_rc(copy_out(fx->s, &o, &st, &there), CAIRN_ECORRUPT);
        assert_errmsg_has("1 corrupt record");
        assert_int_equal(st.copied, N - 1);
        assert_int_equal(st.corrupt, 1);
        assert_int_equal(there, N - 1);
        assert_int_equal(log.calls, 1);
        assert_string_equal(log.key, rounds[r].key);
        assert_int_equal(log.status, CAIRN_ECORRUPT);
        assert_true(log.named);

        /* no callback: the same; a callback's non-zero return stops it */
        o.on_corrupt = NULL;
        assert_rc(copy_out(fx->s, &o, &st, &there), CAIRN_ECORRUPT);
        assert_int_equal(there, N - 1);
        o.on_corrupt = log_corrupt;
        log.stop = 42;
        assert_rc(copy_out(fx->s, &o, &st, &there), 42);
        assert_int_equal(st.copied, rounds[r].before);
        assert_int_equal(there, rounds[r].before);
    }
    free(good);
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
    /* struct_size 0 is this layout (0.1.0 is not released yet): raw_prefix
     * is read */
    assert_ok(cairn_store_open("mem:", NULL, &dst));
    o.struct_size = 0;
    assert_ok(cairn_copy(src, dst, &o, &st));
    assert_int_equal(st.copied, 2);
    cairn_store_close(dst);
}

const tr_case cf_copy_cases[] = {
    TR_CASE(put_record_keeps_metadata, TR_NONE, 0),
    TR_CASE(put_records_names_the_bad_item, TR_NONE, 0),
    TR_CASE(put_record_validates_model, TR_NONE, 0),
    TR_CASE(model_register_at_version, TR_NONE, 0),
    TR_CASE(copy_carries_models, TR_NONE, 0),
    TR_CASE(copy_to_every_backend, TR_NONE, 0),
    TR_CASE(copy_resumes, TR_NONE, 0),
    TR_CASE(copy_corrupt_record, TR_NONE, 0),
    TR_CASE(copy_raw_prefix, TR_NONE, 0),
    TR_CASE(copy_in_constant_memory, TR_HEAVY, 300),
};
const size_t cf_copy_ncases = CF_NCASES(cf_copy_cases);
