/*
 * misc.c — conformance: reopening, two handles, stats, corrupt records
 * detected, and bad input of every kind answered with a status, never a
 * crash and never a half-write.
 */
#include "conf.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef CAIRN_HAVE_SQLITE
#include <sqlite3.h>
#endif

/* must_exist: a store that is not there is not created; one that is there
 * opens as usual. The fixture's URL names a store that exists; the same
 * name under another parent does not. */
static void open_must_exist(void **state)
{
    cf_fx *fx = FX(state);
    cairn_options o = {.must_exist = 1};
    cairn_store *t = NULL;
    assert_ok(cf_put(fx->s, "k", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cairn_store_open(fx->url, &o, &t));
    cf_expect_str(t, "k", "1");
    cairn_store_close(t);

#ifdef CAIRN_HAVE_REDIS
    if (!strcmp(cf_be->name, "redis")) {
        /* a server has no directories: another prefix on the same server
         * is another store, and must_exist does not create its marker */
        char url[sizeof fx->url + 16];
        snprintf(url, sizeof url, "%snothere:", fx->url);
        t = NULL;
        assert_rc(cairn_store_open(url, &o, &t), CAIRN_ENOTFOUND);
        assert_null(t);
        assert_errmsg_has("no store");
        const char *pre = strstr(url, "prefix=") + 7;
        assert_int_equal(cf_redis_cmd(url, "EXISTS %sm", pre), 0);
        assert_int_equal(cf_redis_cmd(url, "EXISTS %sm", strstr(fx->url, "prefix=") + 7), 1);
        return;
    }
#endif
    char missing[sizeof fx->url + 16], url[sizeof fx->url + 64];
    if (!strcmp(cf_be->name, "postgres")) {
        /* a server store: the same database, a table that is not there */
        snprintf(url, sizeof url, "%s_nothere", fx->url);
        t = NULL;
        assert_rc(cairn_store_open(url, &o, &t), CAIRN_ENOTFOUND);
        assert_null(t);
        assert_errmsg_has("no store");
        /* nothing was created: a second look still finds no table */
        assert_rc(cairn_store_open(url, &o, &t), CAIRN_ENOTFOUND);
        assert_null(t);
        return;
    }
    snprintf(missing, sizeof missing, "%s/nothere", fx->dir);
    const char *colon = strchr(fx->url, ':');
    const char *base = strrchr(colon, '/');
    snprintf(url, sizeof url, "%.*s%s%s", (int)(colon + 1 - fx->url), fx->url, missing, base);
    t = NULL;
    assert_rc(cairn_store_open(url, &o, &t), CAIRN_ENOTFOUND);
    assert_null(t);
    assert_errmsg_has("no cairn store at");
    struct stat st;
    assert_int_equal(stat(missing, &st), -1); /* nothing was created */
}

/* Names in dir, "." and ".." aside, joined by ' ' in readdir order. */
static void dir_names(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t o = 0;
    out[0] = '\0';
    for (struct dirent *de; (de = readdir(d)) != NULL;)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s ", de->d_name);
    closedir(d);
}

/* must_exist on a folder or file that is there but holds no store (an
 * empty folder, an LMDB folder given to file:, an SQLite database of
 * another program): CAIRN_ENOTFOUND, "no cairn store at PATH", and nothing
 * made in it (the CLI's reads open so). */
static void open_must_exist_no_store(void **state)
{
    cf_fx *fx = FX(state);
    const char *be = cf_base();
    bool file = !strcmp(be, "file"), lmdb = !strcmp(be, "lmdb"), sqlite = !strcmp(be, "sqlite");
    if (!file && !lmdb && !sqlite)
        tr_skip("a folder or file that holds no store is an embedded backend's matter");
    cairn_options o = {.must_exist = 1};
    char path[PATH_MAX + 32], url[PATH_MAX + 64], names[512], p2[PATH_MAX + 64];
    cairn_store *t = NULL;
    struct stat st;
    if (file || lmdb) {
        /* an empty folder, and one holding a file of its own */
        snprintf(path, sizeof path, "%s/empty", fx->dir);
        assert_int_equal(mkdir(path, 0777), 0);
        snprintf(url, sizeof url, "%s:%s", cf_be->name, path);
        for (int round = 0; round < 2; round++) {
            assert_rc(cairn_store_open(url, &o, &t), CAIRN_ENOTFOUND);
            assert_null(t);
            assert_errmsg_has("no cairn store at");
            assert_errmsg_has(path);
            dir_names(path, names, sizeof names);
            assert_string_equal(names, round ? "README " : "");
            snprintf(p2, sizeof p2, "%s/README", path);
            int fd = open(p2, O_WRONLY | O_CREAT, 0666);
            assert_true(fd >= 0);
            close(fd);
        }
    }
#ifdef CAIRN_HAVE_LMDB
    if (file) {
        /* an LMDB store given without lmdb: */
        snprintf(path, sizeof path, "%s/lm", fx->dir);
        snprintf(url, sizeof url, "lmdb:%s", path);
        assert_ok(cairn_store_open(url, NULL, &t));
        assert_ok(cf_put(t, "k", "1", CAIRN_FAIL_IF_EXISTS));
        cairn_store_close(t);
        t = NULL;
        snprintf(url, sizeof url, "%s:%s", cf_be->name, path);
        assert_rc(cairn_store_open(url, &o, &t), CAIRN_ENOTFOUND);
        assert_errmsg_has("no cairn store at");
        assert_errmsg_has("lmdb:");
        snprintf(p2, sizeof p2, "%s/.cairn", path);
        assert_int_equal(stat(p2, &st), -1);
    }
#endif
#ifdef CAIRN_HAVE_SQLITE
    if (sqlite) {
        /* an SQLite database with no cairn table */
        snprintf(path, sizeof path, "%s/other.db", fx->dir);
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
        assert_int_equal(stat(path, &st), 0);
        off_t size = st.st_size;
        snprintf(url, sizeof url, "%s:%s", cf_be->name, path);
        assert_rc(cairn_store_open(url, &o, &t), CAIRN_ENOTFOUND);
        assert_null(t);
        assert_errmsg_has("no cairn store at");
        dir_names(fx->dir, names, sizeof names);
        assert_null(strstr(names, "other.db-")); /* no -wal, no -shm */
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, size);
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        sqlite3_stmt *q = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &q,
                                            NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(q), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(q, 0), 0);
        sqlite3_finalize(q);
        sqlite3_close(db);
    }
#endif
}

/* Error messages keep their reason however long the key (1024 bytes). */
/* cairn_store_caps: CAIRN_CAP_BATCH exactly where many keys are read in
 * one round trip, which among the built-in backends is redis (and a tier
 * over it answers for it); NULL has no capability. */
static void store_caps(void **state)
{
    cf_fx *fx = FX(state);
    assert_int_equal(cairn_store_caps(NULL), 0);
    unsigned want = !strcmp(cf_base(), "redis") ? CAIRN_CAP_BATCH : 0;
    assert_int_equal(cairn_store_caps(fx->s), want);
}

static void long_key_messages(void **state)
{
    cairn_store *s = FX(state)->s;
    char k[CAIRN_KEY_MAX + 1];
    memset(k, 'm', CAIRN_KEY_MAX);
    for (size_t i = 200; i < CAIRN_KEY_MAX; i += 201)
        k[i] = '/';
    k[CAIRN_KEY_MAX] = '\0';
    assert_rc(cairn_delete(s, k), CAIRN_ENOTFOUND);
    assert_errmsg_has("not found");
    assert_ok(cairn_put(s, k, "1", 1, NULL));
    assert_rc(cairn_put(s, k, "1", 1, NULL), CAIRN_EEXISTS);
    assert_errmsg_has("already exists");
    char url[400];
    memset(url, 'u', sizeof url - 1);
    memcpy(url, "nope:", 5);
    url[sizeof url - 1] = '\0';
    cairn_store *t = NULL;
    assert_rc(cairn_store_open(url, NULL, &t), CAIRN_EURL);
    assert_errmsg_has("unknown scheme 'nope'");
}

static void reopen_persists(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *s = fx->s;
    assert_ok(cf_put(s, "r/json", "{\"a\":1}", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "r/json", "{\"a\":2}", CAIRN_OVERWRITE));
    cairn_put_opts bytes = {.format = CAIRN_FORMAT_BYTES, .ttl_ms = 3600 * 1000};
    assert_ok(cairn_put(s, "r/bytes", "\0\1\2", 3, &bytes));
    cairn_put_opts model = {.model = "ns/x"};
    assert_ok(cairn_model_register(s, "ns/x", "{\"type\":\"array\"}", 16, 0, NULL));
    assert_ok(cairn_put(s, "r/model", "[1]", 3, &model));
    assert_ok(cf_put(s, "r/gone", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cairn_delete(s, "r/gone"));
    int64_t v;
    for (int i = 0; i < 10; i++)
        assert_ok(cairn_incr(s, "r/counter", 1, &v));
    cairn_meta mj = cf_meta(s, "r/json"), mb = cf_meta(s, "r/bytes");

    for (int round = 0; round < 3; round++) {
        cf_reopen(fx, NULL);
        s = fx->s;
        cf_expect_str(s, "r/json", "{\"a\":2}");
        cf_expect_value(s, "r/bytes", "\0\1\2", 3);
        cairn_meta m = cf_meta(s, "r/json");
        assert_int_equal(m.version, mj.version);
        assert_int_equal(m.created_ms, mj.created_ms);
        assert_int_equal(m.updated_ms, mj.updated_ms);
        assert_int_equal(m.checksum, mj.checksum);
        m = cf_meta(s, "r/bytes");
        assert_int_equal(m.expires_ms, mb.expires_ms);
        assert_int_equal(m.format, CAIRN_FORMAT_BYTES);
        /* the model, and the registry, persist */
        cairn_value *val;
        assert_ok(cairn_get(s, "r/model", &val));
        assert_string_equal(cairn_value_meta(val)->model, "ns/x@1");
        cairn_value_free(val);
        char ref[CAIRN_MODEL_MAX + 1];
        assert_ok(cairn_model_resolve(s, "x", ref));
        assert_string_equal(ref, "ns/x@1");
        assert_rc(cairn_exists(s, "r/gone"), CAIRN_ENOTFOUND);
        assert_ok(cairn_incr(s, "r/counter", 1, &v));
        assert_int_equal(v, 11 + round);
        assert_int_equal(cf_meta(s, "r/counter").version, (uint64_t)(11 + round));
        /* the version goes on growing */
        assert_ok(cf_put(s, "r/json", "{\"a\":2}", CAIRN_OVERWRITE));
        mj = cf_meta(s, "r/json");
        assert_int_equal(mj.version, 3 + (uint64_t)round);
        size_t n;
        free(cf_list(s, "r", &n));
        assert_int_equal(n, 4);
    }
    /* other options on reopen */
    cairn_options opt = {.durability = CAIRN_DURABILITY_FULL};
    cf_reopen(fx, &opt);
    assert_ok(cf_put(fx->s, "r/full", "1", CAIRN_FAIL_IF_EXISTS));
    opt.durability = CAIRN_DURABILITY_NONE;
    cf_reopen(fx, &opt);
    cf_expect_str(fx->s, "r/full", "1");
    assert_ok(cf_put(fx->s, "r/none", "1", CAIRN_FAIL_IF_EXISTS));
    cf_reopen(fx, NULL);
    cf_expect_str(fx->s, "r/none", "1");
    assert_string_equal(cairn_store_backend(fx->s), cf_scheme());
}

static void two_handles_one_store(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *b = NULL;
    assert_ok(cairn_store_open(fx->url, NULL, &b));
    assert_ok(cf_put(fx->s, "x", "1", CAIRN_FAIL_IF_EXISTS));
    cf_expect_str(b, "x", "1");                                /* seen by the other */
    assert_rc(cf_put(b, "x", "2", CAIRN_FAIL_IF_EXISTS), CAIRN_EEXISTS);
    assert_ok(cf_put(b, "y", "2", CAIRN_FAIL_IF_EXISTS));
    cf_expect_str(fx->s, "y", "2");
    int64_t v;
    for (int i = 0; i < 50; i++) {
        assert_ok(cairn_incr(i % 2 ? b : fx->s, "c", 1, &v));
    }
    assert_int_equal(v, 50);
    cairn_store_close(b); /* closing one leaves the other working */
    cf_expect_str(fx->s, "y", "2");
    assert_ok(cf_put(fx->s, "z", "3", CAIRN_FAIL_IF_EXISTS));
}

static void stats_counters(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_stats st;
    assert_ok(cairn_store_stats_get(s, &st));
    assert_string_equal(st.backend, cf_scheme());
    assert_int_equal(st.keys, 0);
    assert_int_equal(st.value_bytes, 0);
    assert_ok(cf_put(s, "a", "12345", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "b", "[1,2]", CAIRN_FAIL_IF_EXISTS));
    assert_rc(cf_put(s, "b", "[1,2]", CAIRN_SKIP_IF_EXISTS), CAIRN_SKIPPED);
    assert_rc(cf_put(s, "b", "1", CAIRN_FAIL_IF_EXISTS), CAIRN_EEXISTS);
    cairn_value *v;
    assert_ok(cairn_get(s, "a", &v));
    cairn_value_free(v);
    /* A failed get leaves out NULL, whatever it held: callers free it. */
    v = (cairn_value *)&st;
    assert_rc(cairn_get(s, "nope", &v), CAIRN_ENOTFOUND);
    assert_null(v);
    v = (cairn_value *)&st;
    assert_rc(cairn_get(s, "a/../b", &v), CAIRN_EKEY);
    assert_null(v);
    cairn_value_free(v);
    assert_ok(cf_put(s, "c", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cairn_delete(s, "c"));
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.keys, 2);
    assert_int_equal(st.value_bytes, 10);
    assert_int_equal(st.expired, 0);
    assert_int_equal(st.puts, 4); /* the failed put is not counted */
    assert_int_equal(st.skips, 1);
    assert_int_equal(st.gets, 2);
    assert_int_equal(st.get_misses, 1);
    assert_int_equal(st.deletes, 1);
    assert_rc(cairn_store_stats_get(s, NULL), CAIRN_EINVAL);
    assert_rc(cairn_store_stats_get(NULL, &st), CAIRN_EINVAL);
}

static void corrupt_records_detected(void **state)
{
    cf_fx *fx = FX(state);
    cf_reopen_tap(fx);
    cairn_store *s = fx->s;
    size_t n;
    char *rec = cf_make_record("{\"ok\":true}", 11, CAIRN_FORMAT_JSON, &n);
    cf_raw_put("good", rec, n);
    rec[n - 3] ^= 1; /* a flipped bit in the value */
    cf_raw_put("flipped", rec, n);
    cf_raw_put("truncated", rec, n - 4);
    cf_raw_put("garbage", "hello world", 11);
    cf_raw_put("empty", "", 0);
    free(rec);

    cf_expect_str(s, "good", "{\"ok\":true}");
    const char *bad[] = {"flipped", "truncated", "garbage", "empty"};
    for (size_t i = 0; i < 4; i++) {
        cairn_value *v = NULL;
        assert_rc(cairn_get(s, bad[i], &v), CAIRN_ECORRUPT);
        assert_null(v);
        assert_errmsg_has(bad[i]);
        /* behaviours that need the old value say so; nothing is written */
        assert_rc(cairn_incr(s, bad[i], 1, NULL), CAIRN_ECORRUPT);
        cairn_value *many[2] = {NULL, NULL};
        const char *keys[2] = {"good", bad[i]};
        assert_rc(cairn_get_many(s, keys, 2, many), CAIRN_ECORRUPT);
        assert_null(many[0]);
    }
    assert_rc(cf_put(s, "flipped", "{\"ok\":true}", CAIRN_FAIL_IF_DIFFERENT),
              CAIRN_ECORRUPT);
    /* listing still works and shows the keys */
    size_t count;
    char *keys = cf_list(s, NULL, &count);
    cf_expect_keys(keys, (const char *const[]){"empty", "flipped", "garbage", "good",
                                               "truncated", NULL});
    free(keys);
    cairn_iter *it;
    assert_ok(cairn_list(s, "garbage", &it));
    const char *k;
    assert_ok(cairn_iter_next(it, &k, NULL));
    cairn_meta m;
    assert_rc(cairn_iter_meta(it, &m), CAIRN_ECORRUPT);
    cairn_iter_free(it);
    /* overwrite repairs, delete removes */
    assert_ok(cf_put(s, "flipped", "1", CAIRN_OVERWRITE));
    cf_expect_str(s, "flipped", "1");
    assert_ok(cairn_delete(s, "garbage"));
    assert_rc(cairn_exists(s, "garbage"), CAIRN_ENOTFOUND);
    uint64_t d;
    assert_ok(cairn_delete_prefix(s, "truncated", &d));
    assert_int_equal(d, 1);
    assert_ok(cairn_purge_expired(s, NULL)); /* must not choke on "empty" */
}

static void null_arguments(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_value *v = NULL;
    cairn_iter *it = NULL;
    uint64_t n;
    char buf[CAIRN_KEY_MAX + 1];
    assert_rc(cairn_store_open("mem:", NULL, NULL), CAIRN_EINVAL);
    assert_rc(cairn_put(NULL, "k", "1", 1, NULL), CAIRN_EINVAL);
    assert_rc(cairn_put(s, NULL, "1", 1, NULL), CAIRN_EINVAL);
    assert_rc(cairn_put(s, "k", NULL, 1, NULL), CAIRN_EINVAL);
    assert_rc(cairn_get(NULL, "k", &v), CAIRN_EINVAL);
    assert_rc(cairn_get(s, NULL, &v), CAIRN_EINVAL);
    assert_rc(cairn_get(s, "k", NULL), CAIRN_EINVAL);
    assert_rc(cairn_exists(NULL, "k"), CAIRN_EINVAL);
    assert_rc(cairn_exists(s, NULL), CAIRN_EINVAL);
    assert_rc(cairn_delete(NULL, "k"), CAIRN_EINVAL);
    assert_rc(cairn_delete(s, NULL), CAIRN_EINVAL);
    assert_rc(cairn_delete_prefix(NULL, "k", &n), CAIRN_EINVAL);
    assert_rc(cairn_update_v2(NULL, "k", NULL, NULL, NULL), CAIRN_EINVAL);
    assert_rc(cairn_update_v2(s, NULL, NULL, NULL, NULL), CAIRN_EINVAL);
    assert_rc(cairn_incr(NULL, "k", 1, NULL), CAIRN_EINVAL);
    assert_rc(cairn_incr(s, NULL, 1, NULL), CAIRN_EINVAL);
    assert_rc(cairn_list(NULL, "k", &it), CAIRN_EINVAL);
    assert_rc(cairn_list(s, "k", NULL), CAIRN_EINVAL);
    assert_rc(cairn_range(NULL, NULL, NULL, 0, &it), CAIRN_EINVAL);
    assert_rc(cairn_count(NULL, NULL, &n), CAIRN_EINVAL);
    assert_rc(cairn_count(s, NULL, NULL), CAIRN_EINVAL);
    assert_rc(cairn_iter_next(NULL, NULL, NULL), CAIRN_EINVAL);
    assert_rc(cairn_put_many(NULL, NULL, 0, NULL), CAIRN_EINVAL);
    assert_rc(cairn_get_many(NULL, NULL, 0, NULL), CAIRN_EINVAL);
    assert_rc(cairn_get_many(s, NULL, 1, &v), CAIRN_EINVAL);
    const char *k1 = "k";
    assert_rc(cairn_get_many(s, &k1, 1, NULL), CAIRN_EINVAL);
    const char *knull = NULL;
    cairn_value *slot = NULL;
    assert_rc(cairn_get_many(s, &knull, 1, &slot), CAIRN_EINVAL);
    assert_rc(cairn_delete_many(NULL, NULL, 0, NULL), CAIRN_EINVAL);
    assert_rc(cairn_delete_many(s, NULL, 1, NULL), CAIRN_EINVAL);
    assert_rc(cairn_delete_many(s, &knull, 1, NULL), CAIRN_EINVAL);
    cairn_put_item inull = {NULL, "1", 1, 0};
    assert_rc(cairn_put_many(s, &inull, 1, NULL), CAIRN_EINVAL);
    cairn_put_item vnull = {"k", NULL, 1, 0};
    assert_rc(cairn_put_many(s, &vnull, 1, NULL), CAIRN_EINVAL);
    assert_rc(cairn_purge_expired(NULL, &n), CAIRN_EINVAL);
    assert_rc(cairn_key_normalize(NULL, buf, NULL), CAIRN_EINVAL);
    /* the free functions and accessors take NULL */
    cairn_store_close(NULL);
    cairn_value_free(NULL);
    cairn_iter_free(NULL);
    assert_null(cairn_value_data(NULL, NULL));
    assert_null(cairn_value_meta(NULL));
    assert_string_equal(cairn_store_backend(NULL), "");
    /* nothing was written by any of it */
    assert_ok(cairn_count(s, NULL, &n));
    assert_int_equal(n, 0);
}

static void invalid_values(void **state)
{
    cairn_store *s = FX(state)->s;
    const char *bad_json[] = {"", "{", "[1,]", "{'a':1}", "NaN", "01", "\"\\x\"",
                              "1 2", "{\"a\":1}x", "\"\xC3\x28\""};
    for (size_t i = 0; i < sizeof bad_json / sizeof *bad_json; i++) {
        assert_rc(cairn_put(s, "j", bad_json[i], strlen(bad_json[i]), NULL), CAIRN_EFORMAT);
        assert_errmsg_has("j");
    }
    cairn_put_opts o = {.format = (cairn_format)9};
    assert_rc(cairn_put(s, "j", "1", 1, &o), CAIRN_EINVAL);
    o = (cairn_put_opts){.model = "bad model!"};
    assert_rc(cairn_put(s, "j", "1", 1, &o), CAIRN_EINVAL);
    o = (cairn_put_opts){.model = ""};
    assert_rc(cairn_put(s, "j", "1", 1, &o), CAIRN_EINVAL);
    o = (cairn_put_opts){.format = CAIRN_FORMAT_TEXT};
    assert_rc(cairn_put(s, "j", "\xFF", 1, &o), CAIRN_EFORMAT);
    /* a value above the limit is refused before anything is read */
    static const char one = '1';
    o = (cairn_put_opts){.format = CAIRN_FORMAT_BYTES};
    assert_rc(cairn_put(s, "j", &one, (size_t)CAIRN_VALUE_MAX + 1, &o), CAIRN_EINVAL);
    /* nothing was written, and the same key takes a good value */
    assert_rc(cairn_exists(s, "j"), CAIRN_ENOTFOUND);
    assert_ok(cf_put(s, "j", "1", CAIRN_FAIL_IF_EXISTS));
    /* bad options at open */
    cairn_store *t = NULL;
    cairn_options opt = {.durability = (cairn_durability)5};
    assert_rc(cairn_store_open(FX(state)->url, &opt, &t), CAIRN_EINVAL);
    opt = (cairn_options){.busy_timeout_ms = -1};
    assert_rc(cairn_store_open(FX(state)->url, &opt, &t), CAIRN_EINVAL);
    assert_null(t);
}

static void bad_urls(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *t = NULL;
    assert_rc(cairn_store_open("nosuch:whatever", NULL, &t), CAIRN_EURL);
    assert_errmsg_has("nosuch");
    assert_rc(cairn_store_open("Bogus-Scheme://x", NULL, &t), CAIRN_EURL);
    assert_errmsg_has("bogus-scheme");
    assert_rc(cairn_store_open("", NULL, &t), CAIRN_EURL);
    int rc = cairn_store_open(NULL, NULL, &t);
    if (rc != CAIRN_EURL && rc != CAIRN_EINVAL)
        fail_msg("open(NULL): %s", cairn_strerror(rc));
#ifndef CAIRN_HAVE_REDIS
    assert_rc(cairn_store_open("redis://127.0.0.1:1/0", NULL, &t), CAIRN_EUNSUPPORTED);
    assert_errmsg_has("redis");
#endif
#ifndef CAIRN_HAVE_POSTGRES
    assert_rc(cairn_store_open("postgres://u@127.0.0.1:1/db", NULL, &t),
              CAIRN_EUNSUPPORTED);
    assert_errmsg_has("postgres");
#endif
    assert_null(t);
    if (!strcmp(cf_base(), "mem"))
        return;
    /* the backend under test: empty location, a path under a regular file */
    char url[3 * PATH_MAX];
    snprintf(url, sizeof url, "%s:", cf_be->name);
    assert_rc(cairn_store_open(url, NULL, &t), CAIRN_EURL);
    assert_true(strlen(cairn_errmsg()) > 0);
    char file[PATH_MAX + 128];
    snprintf(file, sizeof file, "%s/regular-file", fx->dir);
    int fd = open(file, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not a store\n", 12), 12);
    close(fd);
    snprintf(url, sizeof url, "%s:%s/sub/store", cf_be->name, file);
    rc = cairn_store_open(url, NULL, &t);
    if (rc >= 0)
        fail_msg("open %s under a regular file: %s", url, cairn_strerror(rc));
    assert_true(strlen(cairn_errmsg()) > 0);
    /* a file that is not a store of this backend */
    char junk[PATH_MAX + 64];
    snprintf(junk, sizeof junk, "%s/junk", fx->dir);
    if (!strcmp(cf_base(), "lmdb")) {
        assert_int_equal(mkdir(junk, 0755), 0);
        snprintf(file, sizeof file, "%s/data.mdb", junk);
    } else {
        snprintf(file, sizeof file, "%s", junk);
    }
    fd = open(file, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    char garbage[8192];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char)(i * 31 + 7);
    assert_int_equal(write(fd, garbage, sizeof garbage), (ssize_t)sizeof garbage);
    close(fd);
    snprintf(url, sizeof url, "%s:%s", cf_be->name, junk);
    rc = cairn_store_open(url, NULL, &t);
    if (rc >= 0) {
        /* a backend may accept it only if it then works */
        assert_non_null(t);
        cairn_store_close(t);
        t = NULL;
        if (strcmp(cf_be->name, "file") != 0)
            fail_msg("open %s (garbage) succeeded", url);
    }
    assert_null(t);
}

const tr_case cf_misc_cases[] = {
    TR_CASE(long_key_messages, TR_NONE, 0),
    TR_CASE(store_caps, TR_NONE, 0),
    TR_CASE(reopen_persists, TR_PERSISTENT, 0),
    TR_CASE(open_must_exist, TR_PERSISTENT, 0),
    TR_CASE(open_must_exist_no_store, TR_PERSISTENT, 0),
    TR_CASE(two_handles_one_store, TR_PERSISTENT, 0),
    TR_CASE(stats_counters, TR_NONE, 0),
    TR_CASE(corrupt_records_detected, TR_NONE, 0),
    TR_CASE(null_arguments, TR_AGNOSTIC, 0),
    TR_CASE(invalid_values, TR_AGNOSTIC, 0),
    TR_CASE(bad_urls, TR_NONE, 0),
};
const size_t cf_misc_ncases = CF_NCASES(cf_misc_cases);
