/*
 * async.c — the async forms (cairn/async.h) on the backend under test: every
 * call through a future gives what the sync call gives, callbacks through
 * the fd, the calls' own errors in their futures, and concurrent updates.
 */
#include "conf.h"

#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static cairn_executor *ex_new(unsigned threads)
{
    cairn_executor_opts o = {0};
    o.threads = threads;
    cairn_executor *ex = NULL;
    assert_ok(cairn_executor_new(&o, &ex));
    return ex;
}

/* Wait for f and check its status; returns f (still owned by the caller). */
static cairn_future *settle(cairn_future *f, int want)
{
    assert_non_null(f);
    assert_ok(cairn_future_wait(f, 60000));
    int st = cairn_future_status(f);
    if (st != want)
        fail_msg("async call: status %d (%s), expected %d (%s): %s", st, cairn_strerror(st),
                 want, cairn_strerror(want), cairn_future_errmsg(f));
    return f;
}

#define AWAIT(call, want)                                                     \
    do {                                                                      \
        f = NULL;                                                             \
        assert_ok(call);                                                      \
        settle(f, want);                                                      \
    } while (0)

static void future_value_is(cairn_future *f, size_t i, const char *want)
{
    cairn_value *v = cairn_future_take_value(f, i);
    if (!want) {
        assert_null(v);
        return;
    }
    assert_non_null(v);
    size_t n = 0;
    const char *d = cairn_value_data(v, &n);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(d, want, n);
    cairn_value_free(v);
}

static int append_x(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    char *buf = arg;
    size_t n = 0;
    const char *d = cur ? cairn_value_data(cur, &n) : "\"\"";
    if (!cur)
        n = 2;
    /* "abc" -> "abcx" */
    memcpy(buf, d, n - 1);
    memcpy(buf + n - 1, "x\"", 2);
    *val = buf;
    *len = n + 1;
    return CAIRN_OK;
}

static void async_every_call(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_executor *ex = ex_new(2);
    cairn_future *f;
    uint64_t n;

    /* put, get, get_model, exists */
    cairn_put_opts po = {0};
    char key[32] = "a/1";
    char val[16] = "{\"n\":1}";
    assert_ok(cairn_async_put(ex, s, key, val, strlen(val), &po, NULL, NULL, &f));
    memset(key, 'z', 8); /* the call copied its arguments */
    memset(val, 'z', 8);
    settle(f, CAIRN_OK);
    cairn_future_release(f);
    AWAIT(cairn_async_get(ex, s, "a/1", NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_value_count(f), 1);
    future_value_is(f, 0, "{\"n\":1}");
    cairn_future_release(f);
    AWAIT(cairn_async_get_model(ex, s, "a/1", NULL, 0, NULL, NULL, &f), CAIRN_OK);
    future_value_is(f, 0, "{\"n\":1}");
    cairn_future_release(f);
    AWAIT(cairn_async_exists(ex, s, "a/1", NULL, NULL, &f), CAIRN_OK);
    cairn_future_release(f);
    AWAIT(cairn_async_exists(ex, s, "a/2", NULL, NULL, &f), CAIRN_ENOTFOUND);
    cairn_future_release(f);
    po.behavior = CAIRN_SKIP_IF_EXISTS;
    AWAIT(cairn_async_put(ex, s, "a/1", "2", 1, &po, NULL, NULL, &f), CAIRN_SKIPPED);
    cairn_future_release(f);

    /* incr, update (fn on a worker) */
    AWAIT(cairn_async_incr(ex, s, "a/c", 5, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_i64(f), 5);
    cairn_future_release(f);
    AWAIT(cairn_async_incr(ex, s, "a/c", -2, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_i64(f), 3);
    cairn_future_release(f);
    char ubuf[64];
    AWAIT(cairn_async_update_v2(ex, s, "a/u", append_x, ubuf, NULL, NULL, NULL, &f), CAIRN_OK);
    cairn_future_release(f);
    AWAIT(cairn_async_update_v2(ex, s, "a/u", append_x, ubuf, NULL, NULL, NULL, &f), CAIRN_OK);
    cairn_future_release(f);
    cf_expect_str(s, "a/u", "\"xx\"");

    /* batches */
    cairn_put_item items[3] = {{"b/1", "1", 1, 99}, {"b/2", "2", 1, 99}, {"b/3", "3", 1, 99}};
    AWAIT(cairn_async_put_many(ex, s, items, 3, NULL, NULL, NULL, &f), CAIRN_OK);
    for (size_t i = 0; i < 3; i++)
        assert_rc(cairn_future_item_status(f, i), CAIRN_OK);
    assert_rc(cairn_future_item_status(f, 3), CAIRN_EINVAL);
    assert_int_equal(items[0].status, 99); /* the caller's items are not written */
    cairn_future_release(f);
    const char *gk[4] = {"b/1", "b/none", "b/3", "a/1"};
    AWAIT(cairn_async_get_many(ex, s, gk, 4, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_value_count(f), 4);
    future_value_is(f, 0, "1");
    future_value_is(f, 1, NULL);
    /* slot 2 left for the future to free */
    future_value_is(f, 3, "{\"n\":1}");
    cairn_future_release(f);

    /* count, list, range */
    AWAIT(cairn_async_count(ex, s, "b", NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_u64(f), 3);
    cairn_future_release(f);
    AWAIT(cairn_async_list(ex, s, "b", 0, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_key_count(f), 3);
    size_t kl = 0;
    assert_string_equal(cairn_future_key(f, 0, &kl), "b/1");
    assert_int_equal(kl, 3);
    assert_string_equal(cairn_future_key(f, 2, NULL), "b/3");
    assert_null(cairn_future_key(f, 3, NULL));
    cairn_future_release(f);
    AWAIT(cairn_async_list(ex, s, NULL, 2, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_key_count(f), 2);
    assert_string_equal(cairn_future_key(f, 0, NULL), "a/1");
    cairn_future_release(f);
    AWAIT(cairn_async_range(ex, s, "a/u", "b/3", 0, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_key_count(f), 3);
    assert_string_equal(cairn_future_key(f, 0, NULL), "a/u");
    assert_string_equal(cairn_future_key(f, 2, NULL), "b/2");
    cairn_future_release(f);
    AWAIT(cairn_async_range(ex, s, NULL, NULL, 1, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_key_count(f), 1);
    cairn_future_release(f);
    /* raw prefixes: "b/" as bytes, not "b" as a segment */
    AWAIT(cairn_async_count_raw(ex, s, "b/", NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_u64(f), 3);
    cairn_future_release(f);
    AWAIT(cairn_async_list_raw(ex, s, "b/", 2, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_key_count(f), 2);
    assert_string_equal(cairn_future_key(f, 1, NULL), "b/2");
    cairn_future_release(f);
    AWAIT(cairn_async_list_raw(ex, s, "b/3x", 0, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_key_count(f), 0);
    cairn_future_release(f);

    /* delete, delete_many, delete_prefix */
    AWAIT(cairn_async_delete(ex, s, "b/1", NULL, NULL, &f), CAIRN_OK);
    cairn_future_release(f);
    AWAIT(cairn_async_delete(ex, s, "b/1", NULL, NULL, &f), CAIRN_ENOTFOUND);
    cairn_future_release(f);
    const char *dk[2] = {"b/2", "b/none"};
    AWAIT(cairn_async_delete_many(ex, s, dk, 2, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_u64(f), 1);
    cairn_future_release(f);
    AWAIT(cairn_async_delete_prefix_raw(ex, s, "", NULL, NULL, &f), CAIRN_EINVAL);
    cairn_future_release(f);
    AWAIT(cairn_async_delete_prefix_raw(ex, s, "b/", NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_u64(f), 1);
    cairn_future_release(f);
    assert_ok(cf_put(s, "b/3", "3", CAIRN_FAIL_IF_EXISTS));
    AWAIT(cairn_async_delete_prefix(ex, s, "b", NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_u64(f), 1);
    cairn_future_release(f);
    assert_ok(cairn_count(s, "b", &n));
    assert_int_equal(n, 0);

    /* put_record(s) keep the metadata given */
    cairn_meta m = {0};
    m.version = 7;
    m.format = CAIRN_FORMAT_TEXT;
    m.created_ms = 1000;
    m.updated_ms = 2000;
    m.checksum = cairn_checksum("hello", 5);
    AWAIT(cairn_async_put_record(ex, s, "r/1", "hello", 5, &m, CAIRN_FAIL_IF_EXISTS, NULL,
                                 NULL, &f),
          CAIRN_OK);
    cairn_future_release(f);
    cairn_meta got = cf_meta(s, "r/1");
    assert_int_equal(got.version, 7);
    assert_int_equal(got.created_ms, 1000);
    assert_int_equal(got.format, CAIRN_FORMAT_TEXT);
    cairn_record_item ri[2] = {{"r/2", "\"x\"", 3, NULL, 0}, {"r/1", "\"y\"", 3, NULL, 0}};
    cairn_meta m2 = {.checksum = cairn_checksum("\"x\"", 3)};
    cairn_meta m3 = {.checksum = cairn_checksum("\"y\"", 3)};
    ri[0].meta = &m2;
    ri[1].meta = &m3;
    AWAIT(cairn_async_put_records(ex, s, ri, 2, CAIRN_SKIP_IF_EXISTS, NULL, NULL, &f),
          CAIRN_OK);
    assert_rc(cairn_future_item_status(f, 0), CAIRN_OK);
    assert_rc(cairn_future_item_status(f, 1), CAIRN_SKIPPED);
    cairn_future_release(f);

    /* purge_expired, stats */
    AWAIT(cairn_async_purge_expired(ex, s, NULL, NULL, &f), CAIRN_OK);
    cairn_future_release(f);
    AWAIT(cairn_async_stats(ex, s, NULL, NULL, &f), CAIRN_OK);
    const cairn_stats *st = cairn_future_stats(f);
    assert_non_null(st);
    assert_string_equal(st->backend, cf_scheme());
    assert_ok(cairn_count(s, NULL, &n));
    assert_int_equal(st->keys, n);
    assert_null(cairn_future_copy_stats(f));
    cairn_future_release(f);

    /* models */
    const char *schema = "{\"type\":\"object\",\"required\":[\"n\"],"
                         "\"properties\":{\"n\":{\"type\":\"integer\"}}}";
    AWAIT(cairn_async_model_register(ex, s, "shop/item", schema, strlen(schema), 0, NULL, NULL,
                                     &f),
          CAIRN_OK);
    assert_string_equal(cairn_future_str(f), "shop/item@1");
    cairn_future_release(f);
    AWAIT(cairn_async_model_resolve(ex, s, "item", NULL, NULL, &f), CAIRN_OK);
    assert_string_equal(cairn_future_str(f), "shop/item@1");
    cairn_future_release(f);
    AWAIT(cairn_async_model_schema(ex, s, "shop/item", NULL, NULL, &f), CAIRN_OK);
    future_value_is(f, 0, schema);
    cairn_future_release(f);
    AWAIT(cairn_async_model_list(ex, s, NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_key_count(f), 1);
    assert_string_equal(cairn_future_key(f, 0, NULL), "shop/item@1");
    cairn_future_release(f);
    AWAIT(cairn_async_validate(ex, s, "shop/item", "{\"n\":\"x\"}", 9, NULL, NULL, &f),
          CAIRN_EVALIDATION);
    cairn_verrors *ve = cairn_future_take_verrors(f);
    assert_non_null(ve);
    assert_true(cairn_verrors_count(ve) >= 1);
    assert_string_equal(cairn_verrors_path(ve, 0), "/n");
    cairn_verrors_free(ve);
    cairn_future_release(f);
    cairn_put_opts mo = {0};
    mo.model = "shop/item";
    AWAIT(cairn_async_put(ex, s, "m/1", "{\"n\":2}", 7, &mo, NULL, NULL, &f), CAIRN_OK);
    cairn_future_release(f);
    AWAIT(cairn_async_put(ex, s, "m/2", "{\"n\":\"2\"}", 9, &mo, NULL, NULL, &f),
          CAIRN_EVALIDATION);
    assert_non_null(strstr(cairn_future_errmsg(f), "/n"));
    cairn_future_release(f);
    AWAIT(cairn_async_get_model(ex, s, "m/1", "shop/item", 0, NULL, NULL, &f), CAIRN_OK);
    future_value_is(f, 0, "{\"n\":2}");
    cairn_future_release(f);

    /* copy into a mem: store */
    cairn_store *dst = NULL;
    assert_ok(cairn_store_open("mem:", NULL, &dst));
    cairn_copy_opts co = {0};
    co.prefix = "r";
    AWAIT(cairn_async_copy(ex, s, dst, &co, NULL, NULL, &f), CAIRN_OK);
    const cairn_copy_stats *cs = cairn_future_copy_stats(f);
    assert_non_null(cs);
    assert_int_equal(cs->copied, 2);
    cairn_future_release(f);
    assert_ok(cairn_count(dst, NULL, &n));
    assert_int_equal(n, 2);
    assert_int_equal(cf_meta(dst, "r/1").version, 7);

    /* put_array: the elements are copied at submit (the buffer is reused
     * before the call runs), read back through cairn_value_array */
    double elems[6] = {1.5, -2, 3, 4, 5, 6.25};
    cairn_array arr = {.dtype = CAIRN_DT_F64, .ndim = 2, .shape = {2, 3}, .data = elems,
                       .nbytes = sizeof elems};
    assert_ok(cairn_async_put_array(ex, s, "arr/1", &arr, NULL, NULL, NULL, &f));
    elems[0] = 99;
    settle(f, CAIRN_OK);
    cairn_future_release(f);
    {
        cairn_value *av = NULL;
        cairn_array back;
        assert_ok(cairn_get(s, "arr/1", &av));
        assert_ok(cairn_value_array(av, &back));
        assert_int_equal(back.ndim, 2);
        assert_int_equal(back.shape[1], 3);
        assert_int_equal(back.nbytes, sizeof elems);
        double first;
        memcpy(&first, back.data, sizeof first);
        assert_true(first == 1.5);
        cairn_value_free(av);
    }
    AWAIT(cairn_async_put_array(ex, s, "arr/2", &(cairn_array){.dtype = CAIRN_DT_F64,
                                .ndim = 1, .shape = {3}, .data = elems, .nbytes = 8},
                                NULL, NULL, NULL, &f),
          CAIRN_EINVAL);
    cairn_future_release(f);

    AWAIT(cairn_async_model_remove(ex, s, "shop/item", NULL, NULL, &f), CAIRN_OK);
    assert_int_equal(cairn_future_u64(f), 1);
    cairn_future_release(f);

    cairn_executor_free(ex);
    cairn_store_close(dst);
}

/* Callbacks through the fd: many puts, then gets that check each value. */
typedef struct {
    int done;
    int bad;
    char want[32];
} get_check;

static void put_done(cairn_future *f, void *arg)
{
    int *n = arg;
    if (cairn_future_status(f) == CAIRN_OK)
        (*n)++;
}

static void get_done(cairn_future *f, void *arg)
{
    get_check *g = arg;
    cairn_value *v = cairn_future_take_value(f, 0);
    size_t n = 0;
    const char *d = v ? cairn_value_data(v, &n) : NULL;
    if (cairn_future_status(f) != CAIRN_OK || !d || n != strlen(g->want) ||
        memcmp(d, g->want, n))
        g->bad++;
    cairn_value_free(v);
    g->done++;
}

static void pump(cairn_executor *ex, const int *count, int want)
{
    while (*count < want) {
        struct pollfd p = {cairn_executor_fd(ex), POLLIN, 0};
        int r = poll(&p, 1, 60000);
        assert_int_equal(r, 1);
        cairn_executor_dispatch(ex, 0);
    }
}

enum { CB_N = 300 };

static void async_callbacks_fd(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_executor *ex = ex_new(2);
    int puts = 0;
    for (int i = 0; i < CB_N; i++) {
        char k[32], v[32];
        snprintf(k, sizeof k, "cb/%04d", i);
        snprintf(v, sizeof v, "%d", i * 7);
        assert_ok(cairn_async_put(ex, s, k, v, strlen(v), NULL, put_done, &puts, NULL));
    }
    pump(ex, &puts, CB_N);
    get_check *g = calloc(CB_N, sizeof *g);
    assert_non_null(g);
    int total = 0;
    for (int i = 0; i < CB_N; i++) {
        char k[32];
        snprintf(k, sizeof k, "cb/%04d", i);
        snprintf(g[i].want, sizeof g[i].want, "%d", i * 7);
        assert_ok(cairn_async_get(ex, s, k, get_done, &g[i], NULL));
    }
    while (total < CB_N) {
        struct pollfd p = {cairn_executor_fd(ex), POLLIN, 0};
        assert_int_equal(poll(&p, 1, 60000), 1);
        total += cairn_executor_dispatch(ex, 0);
    }
    for (int i = 0; i < CB_N; i++) {
        assert_int_equal(g[i].done, 1);
        assert_int_equal(g[i].bad, 0);
    }
    free(g);
    uint64_t n = 0;
    assert_ok(cairn_count(s, "cb", &n));
    assert_int_equal(n, CB_N);
    cairn_executor_free(ex);
}

/* The call's own failure is a completed call: its callback runs with the
 * status, the future has the worker's message. */
static void note_status(cairn_future *f, void *arg)
{
    *(int *)arg = cairn_future_status(f);
}

static void async_call_errors(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_executor *ex = ex_new(2);
    cairn_future *f;
    assert_ok(cf_put(s, "e/1", "1", CAIRN_FAIL_IF_EXISTS));
    int seen_st = 12345;
    AWAIT(cairn_async_put(ex, s, "e/1", "2", 1, NULL, note_status, &seen_st, &f),
          CAIRN_EEXISTS);
    assert_non_null(strstr(cairn_future_errmsg(f), "e/1"));
    cairn_future_release(f);
    assert_ok(cairn_executor_wait_idle(ex, -1));
    assert_int_equal(cairn_executor_dispatch(ex, 0), 1);
    assert_int_equal(seen_st, CAIRN_EEXISTS);
    cf_expect_str(s, "e/1", "1");

    AWAIT(cairn_async_put(ex, s, "bad//..//key", "1", 1, NULL, NULL, NULL, &f), CAIRN_EKEY);
    assert_true(strlen(cairn_future_errmsg(f)) > 0);
    cairn_future_release(f);
    AWAIT(cairn_async_put(ex, s, "e/2", "{not json", 9, NULL, NULL, NULL, &f), CAIRN_EFORMAT);
    cairn_future_release(f);
    AWAIT(cairn_async_incr(ex, s, "e/s", 1, NULL, NULL, &f), CAIRN_OK);
    cairn_future_release(f);
    cairn_put_opts ow = {0};
    ow.behavior = CAIRN_OVERWRITE;
    AWAIT(cairn_async_put(ex, s, "e/s", "\"text\"", 6, &ow, NULL, NULL, &f), CAIRN_OK);
    cairn_future_release(f);
    AWAIT(cairn_async_incr(ex, s, "e/s", 1, NULL, NULL, &f), CAIRN_EFORMAT);
    assert_int_equal(cairn_future_i64(f), 0);
    cairn_future_release(f);
    AWAIT(cairn_async_model_resolve(ex, s, "nope", NULL, NULL, &f), CAIRN_ENOTFOUND);
    assert_string_equal(cairn_future_str(f), "");
    cairn_future_release(f);
    cairn_put_opts cas = {0};
    cas.if_version = 99;
    AWAIT(cairn_async_put(ex, s, "e/1", "3", 1, &cas, NULL, NULL, &f), CAIRN_ECONFLICT);
    cairn_future_release(f);
    cairn_executor_free(ex);
}

/* Concurrent async increments and a compare-and-set race lose nothing. */
static void async_concurrent_updates(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_executor *ex = ex_new(4);
    enum { N = 400 };
    cairn_future **fs = calloc(N, sizeof *fs);
    assert_non_null(fs);
    for (int i = 0; i < N; i++)
        assert_ok(cairn_async_incr(ex, s, "cc/n", 1, NULL, NULL, &fs[i]));
    int64_t max = 0;
    for (int i = 0; i < N; i++) {
        settle(fs[i], CAIRN_OK);
        if (cairn_future_i64(fs[i]) > max)
            max = cairn_future_i64(fs[i]);
        cairn_future_release(fs[i]);
    }
    assert_int_equal(max, N);
    int64_t v = 0;
    assert_ok(cairn_incr(s, "cc/n", 0, &v));
    assert_int_equal(v, N);

    /* N puts with FAIL_IF_EXISTS on one key: exactly one wins */
    for (int i = 0; i < N; i++)
        assert_ok(cairn_async_put(ex, s, "cc/once", "1", 1, NULL, NULL, NULL, &fs[i]));
    int wins = 0;
    for (int i = 0; i < N; i++) {
        assert_ok(cairn_future_wait(fs[i], 60000));
        int st = cairn_future_status(fs[i]);
        if (st == CAIRN_OK)
            wins++;
        else
            assert_rc(st, CAIRN_EEXISTS);
        cairn_future_release(fs[i]);
    }
    assert_int_equal(wins, 1);
    free(fs);
    cairn_executor_free(ex);
}

/* ---- calls run together (Redis: get_many, put_many) ---- */

static void count_cb(cairn_future *f, void *arg)
{
    (void)f;
    atomic_fetch_add((atomic_int *)arg, 1);
}

static void expect_status(cairn_future *f, int want, const char *in_msg)
{
    settle(f, want);
    if (in_msg && !strstr(cairn_future_errmsg(f), in_msg))
        fail_msg("status %d: message '%s' does not name '%s'", want, cairn_future_errmsg(f),
                 in_msg);
    cairn_future_release(f);
}

/* Many gets and puts queued at once: where the store reads many keys in one
 * round trip they run in batches; each call still gets exactly its own
 * result, status and message, also when a batch holds a failing call (an
 * existing key, a repeated key, a bad key, an absent key). */
static void async_batches(void **state)
{
    cairn_store *s = FX(state)->s;
    enum { N = 150, BAD = 120, EXISTS = 70, DUP = 100 };
    cairn_future *p[N], *q[N], *r[N];
    char key[64], val[16];
    assert_ok(cf_put(s, "b/exists", "0", CAIRN_FAIL_IF_EXISTS));
    for (int mode = 0; mode < 2; mode++) {
        cairn_executor_opts o = {0};
        o.threads = 1;
        o.callbacks_on_workers = mode;
        cairn_executor *ex = NULL;
        assert_ok(cairn_executor_new(&o, &ex));
        const char *pre = mode ? "c" : "b";
        atomic_int calls = 0;
        cairn_future *g = cf_gate_hold(ex, s);
        for (int i = 0; i < N; i++) {
            if (i == EXISTS)
                snprintf(key, sizeof key, "b/exists");
            else if (i == DUP)
                snprintf(key, sizeof key, "%s/p/%d", pre, DUP - 1);
            else if (i == BAD)
                snprintf(key, sizeof key, "bad//..//key");
            else
                snprintf(key, sizeof key, "%s/p/%d", pre, i);
            int n = snprintf(val, sizeof val, "%d", i);
            assert_ok(cairn_async_put(ex, s, key, val, (size_t)n, NULL, count_cb, &calls, &p[i]));
        }
        for (int i = 0; i < N; i++) {
            if (i == BAD)
                snprintf(key, sizeof key, "bad//..//key");
            else if (i % 10 == 3)
                snprintf(key, sizeof key, "%s/absent/%d", pre, i);
            else
                snprintf(key, sizeof key, "%s/p/%d", pre, i);
            assert_ok(cairn_async_get(ex, s, key, count_cb, &calls, &q[i]));
        }
        /* puts that skip existing keys, options of their own */
        cairn_put_opts sk = {0};
        sk.behavior = CAIRN_SKIP_IF_EXISTS;
        for (int i = 0; i < N; i++) {
            snprintf(key, sizeof key, "%s/%s/%d", pre, i % 2 ? "p" : "q", i);
            assert_ok(cairn_async_put(ex, s, key, "7", 1, &sk, count_cb, &calls, &r[i]));
        }
        cf_gate_open(g);
        for (int i = 0; i < N; i++) {
            snprintf(key, sizeof key, "%s/p/%d", pre, DUP - 1);
            if (i == EXISTS)
                expect_status(p[i], CAIRN_EEXISTS, "b/exists");
            else if (i == DUP)
                expect_status(p[i], CAIRN_EEXISTS, key);
            else if (i == BAD)
                expect_status(p[i], CAIRN_EKEY, NULL);
            else
                expect_status(p[i], CAIRN_OK, NULL);
        }
        for (int i = 0; i < N; i++) {
            /* p/EXISTS and p/DUP were never written (their puts went to
             * other keys) */
            bool absent = i % 10 == 3 || i == EXISTS || i == DUP;
            settle(q[i], i == BAD ? CAIRN_EKEY : absent ? CAIRN_ENOTFOUND : CAIRN_OK);
            if (i % 10 == 3) {
                snprintf(key, sizeof key, "%s/absent/%d", pre, i);
                assert_non_null(strstr(cairn_future_errmsg(q[i]), key));
                future_value_is(q[i], 0, NULL);
            } else if (!absent && i != BAD) {
                snprintf(val, sizeof val, "%d", i);
                future_value_is(q[i], 0, val);
            }
            cairn_future_release(q[i]);
        }
        for (int i = 0; i < N; i++) {
            /* odd: p/i exists unless its put failed (EXISTS, DUP, BAD are
             * even or the key was not written) */
            bool exists = i % 2 && i != EXISTS && i != BAD && i != DUP;
            expect_status(r[i], exists ? CAIRN_SKIPPED : CAIRN_OK, NULL);
        }
        assert_ok(cairn_executor_wait_idle(ex, -1));
        if (!mode)
            assert_int_equal(cairn_executor_dispatch(ex, 0), 3 * N);
        assert_int_equal(atomic_load(&calls), 3 * N);
        /* Redis: the calls did run in batches (each kind queued N deep
         * behind the held worker); elsewhere one by one */
        size_t batched = cairn__executor_batched(ex);
        if (cairn_store_caps(s) & CAIRN_CAP_BATCH)
            assert_true(batched >= 2 * N);
        else
            assert_int_equal(batched, 0);
        cairn_executor_free(ex);
        /* what the sync calls read back */
        for (int i = 0; i < N; i += 7) {
            snprintf(key, sizeof key, "%s/%s/%d", pre, i % 2 ? "p" : "q", i);
            if (i % 2 == 0)
                cf_expect_str(s, key, "7");
            else if (i != EXISTS && i != BAD && i != DUP) {
                snprintf(val, sizeof val, "%d", i);
                cf_expect_str(s, key, val);
            }
        }
        cf_expect_str(s, "b/exists", "0");
    }
}

/* Puts of different options queued side by side never share a batch (one
 * put_many has one set of options): each keeps its behaviour and TTL. */
static void async_batches_keep_options(void **state)
{
    cairn_store *s = FX(state)->s;
    enum { N = 40 };
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "o/%d", i);
        assert_ok(cf_put(s, key, "0", CAIRN_FAIL_IF_EXISTS));
    }
    cairn_executor_opts eo = {0};
    eo.threads = 1;
    cairn_executor *ex = NULL;
    assert_ok(cairn_executor_new(&eo, &ex));
    cairn_put_opts skip = {0}, fail = {0}, keep = {0}, ttl = {0};
    skip.behavior = CAIRN_SKIP_IF_EXISTS;
    fail.behavior = CAIRN_FAIL_IF_EXISTS;
    keep.behavior = ttl.behavior = CAIRN_OVERWRITE;
    ttl.ttl_ms = 3600 * 1000;
    cairn_future *g = cf_gate_hold(ex, s), *p[N], *q[N];
    for (int i = 0; i < N; i++) { /* existing keys, a skipping put first */
        snprintf(key, sizeof key, "o/%d", i);
        assert_ok(cairn_async_put(ex, s, key, "1", 1, i % 2 ? &fail : &skip, NULL, NULL, &p[i]));
    }
    for (int i = 0; i < N; i++) { /* new keys, with and without a TTL */
        snprintf(key, sizeof key, "t/%d", i);
        assert_ok(cairn_async_put(ex, s, key, "1", 1, i % 2 ? &ttl : &keep, NULL, NULL, &q[i]));
    }
    cf_gate_open(g);
    for (int i = 0; i < N; i++) {
        settle(p[i], i % 2 ? CAIRN_EEXISTS : CAIRN_SKIPPED);
        cairn_future_release(p[i]);
        settle(q[i], CAIRN_OK);
        cairn_future_release(q[i]);
        snprintf(key, sizeof key, "o/%d", i);
        cf_expect_str(s, key, "0");
        snprintf(key, sizeof key, "t/%d", i);
        cairn_value *v = NULL;
        assert_ok(cairn_get(s, key, &v));
        if ((cairn_value_meta(v)->expires_ms != 0) != (i % 2 == 1))
            fail_msg("%s: expires_ms %lld, the put %s a TTL", key,
                     (long long)cairn_value_meta(v)->expires_ms, i % 2 ? "had" : "had no");
        cairn_value_free(v);
    }
    cairn_executor_free(ex);
}

const tr_case cf_async_cases[] = {
    TR_CASE(async_every_call, TR_NONE, 0),
    TR_CASE(async_callbacks_fd, TR_AGNOSTIC, 0),
    TR_CASE(async_call_errors, TR_AGNOSTIC, 0),
    TR_CASE(async_concurrent_updates, TR_NONE, 0),
    TR_CASE(async_batches, TR_NONE, 0),
    TR_CASE(async_batches_keep_options, TR_NONE, 0),
};
const size_t cf_async_ncases = CF_NCASES(cf_async_cases);
