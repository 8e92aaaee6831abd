/*
 * behaviour.c — conformance: every set behaviour, compare-and-set, the
 * atomic update callback and the integer increment, on one handle. (The
 * same behaviours under concurrency are in concurrency.c.)
 */
#include "conf.h"

static void fail_if_exists(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(cf_put(s, "k", "1", CAIRN_FAIL_IF_EXISTS));
    assert_rc(cf_put(s, "k", "2", CAIRN_FAIL_IF_EXISTS), CAIRN_EEXISTS);
    assert_errmsg_has("k");
    assert_rc(cf_put(s, "k", "1", CAIRN_FAIL_IF_EXISTS), CAIRN_EEXISTS); /* same value */
    assert_rc(cairn_put(s, "k", "3", 1, NULL), CAIRN_EEXISTS); /* the default */
    cf_expect_str(s, "k", "1");
    assert_int_equal(cf_meta(s, "k").version, 1);
    /* a parent or child key is another key */
    assert_ok(cf_put(s, "k/child", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "parent/k", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "parent", "1", CAIRN_FAIL_IF_EXISTS));
    /* after a delete the key is free again */
    assert_ok(cairn_delete(s, "k"));
    assert_ok(cf_put(s, "k", "4", CAIRN_FAIL_IF_EXISTS));
    cf_expect_str(s, "k", "4");
}

static void skip_if_exists(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_rc(cf_put(s, "k", "{\"first\":true}", CAIRN_SKIP_IF_EXISTS), CAIRN_OK);
    cairn_meta m1 = cf_meta(s, "k");
    for (int i = 0; i < 3; i++)
        assert_rc(cf_put(s, "k", "{\"second\":true}", CAIRN_SKIP_IF_EXISTS),
                  CAIRN_SKIPPED);
    cf_expect_str(s, "k", "{\"first\":true}");
    cairn_meta m2 = cf_meta(s, "k");
    assert_int_equal(m2.version, m1.version);
    assert_int_equal(m2.updated_ms, m1.updated_ms);
    /* a skip is not an error: its status is positive */
    assert_true(CAIRN_SKIPPED > 0);
    /* an invalid value is refused before the key is looked at */
    assert_rc(cf_put(s, "k", "{bad", CAIRN_SKIP_IF_EXISTS), CAIRN_EFORMAT);
    cairn_stats st;
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.skips, 3);
}

static void fail_if_different(void **state)
{
    cairn_store *s = FX(state)->s;
    const char *a = "{\"name\":\"eng\",\"size\":3,\"tags\":[\"x\",\"y\"],\"x\":{\"p\":1,\"q\":null}}";
    assert_ok(cf_put(s, "team", a, CAIRN_FAIL_IF_DIFFERENT)); /* absent: written */
    /* equal JSON: other key order and white space, 3 vs 3.0: OK, no write */
    const char *same[] = {
        a,
        "{ \"x\" : {\"q\":null, \"p\":1}, \"tags\":[\"x\",\"y\"], \"size\":3.0, \"name\":\"eng\" }",
        "\n{\n  \"size\": 3,\n  \"name\": \"\\u0065ng\",\n  \"tags\": [\"x\", \"y\"],\n"
        "  \"x\": {\"p\": 1e0, \"q\": null}\n}\n",
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        assert_rc(cf_put(s, "team", same[i], CAIRN_FAIL_IF_DIFFERENT), CAIRN_OK);
    cairn_meta m = cf_meta(s, "team");
    assert_int_equal(m.version, 1);
    cf_expect_str(s, "team", a); /* the stored bytes are the first ones */
    /* different: error, nothing written */
    const char *different[] = {
        "{\"name\":\"eng\",\"size\":4,\"tags\":[\"x\",\"y\"],\"x\":{\"p\":1,\"q\":null}}",
        "{\"name\":\"eng\",\"size\":3,\"tags\":[\"y\",\"x\"],\"x\":{\"p\":1,\"q\":null}}",
        "{\"name\":\"eng\",\"size\":3,\"tags\":[\"x\",\"y\"],\"x\":{\"p\":1}}",
        "{\"name\":\"eng\",\"size\":3,\"tags\":[\"x\",\"y\"],\"x\":{\"p\":1,\"q\":null},\"z\":0}",
        "{\"name\":\"Eng\",\"size\":3,\"tags\":[\"x\",\"y\"],\"x\":{\"p\":1,\"q\":null}}",
        "[]",
        "null",
    };
    for (size_t i = 0; i < sizeof different / sizeof *different; i++) {
        assert_rc(cf_put(s, "team", different[i], CAIRN_FAIL_IF_DIFFERENT),
                  CAIRN_EDIFFERENT);
        assert_errmsg_has("team");
    }
    cf_expect_str(s, "team", a);
    assert_int_equal(cf_meta(s, "team").version, 1);

    /* valid JSON that jansson refuses: the same bytes are equal */
    const char *odd[] = {"\"\\ud800\"", "1e400", "[99999999999999999999]",
                         "{\"\\u0000\":1}"};
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        char k[16];
        snprintf(k, sizeof k, "odd/%zu", i);
        assert_ok(cf_put(s, k, odd[i], CAIRN_FAIL_IF_DIFFERENT));
        assert_rc(cf_put(s, k, odd[i], CAIRN_FAIL_IF_DIFFERENT), CAIRN_OK);
        assert_int_equal(cf_meta(s, k).version, 1);
    }

    /* text and bytes compare byte for byte */
    cairn_put_opts t = {.behavior = CAIRN_FAIL_IF_DIFFERENT, .format = CAIRN_FORMAT_TEXT};
    assert_ok(cairn_put(s, "txt", "a b", 3, &t));
    assert_ok(cairn_put(s, "txt", "a b", 3, &t));
    assert_rc(cairn_put(s, "txt", "a  b", 4, &t), CAIRN_EDIFFERENT);
    assert_rc(cairn_put(s, "txt", "a b\n", 4, &t), CAIRN_EDIFFERENT);
    cairn_put_opts b = {.behavior = CAIRN_FAIL_IF_DIFFERENT, .format = CAIRN_FORMAT_BYTES};
    assert_ok(cairn_put(s, "bin", "\0\1", 2, &b));
    assert_ok(cairn_put(s, "bin", "\0\1", 2, &b));
    assert_rc(cairn_put(s, "bin", "\0\2", 2, &b), CAIRN_EDIFFERENT);
    assert_rc(cairn_put(s, "bin", "\0", 1, &b), CAIRN_EDIFFERENT);
    assert_ok(cairn_put(s, "empty", "", 0, &b));
    assert_ok(cairn_put(s, "empty", NULL, 0, &b));
    /* the same bytes in another format are different */
    assert_rc(cairn_put(s, "txt", "a b", 3, &b), CAIRN_EDIFFERENT);
    cairn_put_opts j = {.behavior = CAIRN_FAIL_IF_DIFFERENT, .format = CAIRN_FORMAT_TEXT};
    assert_ok(cf_put(s, "num", "12", CAIRN_OVERWRITE));
    assert_rc(cairn_put(s, "num", "12", 2, &j), CAIRN_EDIFFERENT);
    assert_int_equal(cf_meta(s, "txt").version, 1);
    assert_int_equal(cf_meta(s, "bin").version, 1);
}

static void overwrite(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(cf_put(s, "k", "1", CAIRN_OVERWRITE)); /* absent: written */
    for (int i = 2; i <= 20; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        assert_ok(cf_put(s, "k", v, CAIRN_OVERWRITE));
        cf_expect_str(s, "k", v);
        assert_int_equal(cf_meta(s, "k").version, (uint64_t)i);
    }
    /* same value: still a write */
    assert_ok(cf_put(s, "k", "20", CAIRN_OVERWRITE));
    assert_int_equal(cf_meta(s, "k").version, 21);
    /* bad behaviour values are refused */
    cairn_put_opts o = {.behavior = (cairn_behavior)7};
    assert_rc(cairn_put(s, "k", "1", 1, &o), CAIRN_EINVAL);
    o.behavior = (cairn_behavior)-1;
    assert_rc(cairn_put(s, "k", "1", 1, &o), CAIRN_EINVAL);
    cf_expect_str(s, "k", "20");
}

static void compare_and_set(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_put_opts o = {.if_version = 1};
    /* absent key */
    assert_rc(cairn_put(s, "cas", "1", 1, &o), CAIRN_ENOTFOUND);
    assert_rc(cairn_exists(s, "cas"), CAIRN_ENOTFOUND);
    assert_ok(cf_put(s, "cas", "1", CAIRN_FAIL_IF_EXISTS));
    /* match: written, whatever the behaviour says */
    o.behavior = CAIRN_FAIL_IF_EXISTS;
    assert_ok(cairn_put(s, "cas", "2", 1, &o));
    cf_expect_str(s, "cas", "2");
    assert_int_equal(cf_meta(s, "cas").version, 2);
    /* stale version: conflict, nothing written */
    assert_rc(cairn_put(s, "cas", "3", 1, &o), CAIRN_ECONFLICT);
    assert_errmsg_has("cas");
    o.if_version = 99;
    assert_rc(cairn_put(s, "cas", "3", 1, &o), CAIRN_ECONFLICT);
    cf_expect_str(s, "cas", "2");
    o.if_version = 2;
    o.behavior = CAIRN_SKIP_IF_EXISTS; /* ignored with if_version */
    assert_rc(cairn_put(s, "cas", "3", 1, &o), CAIRN_OK);
    cf_expect_str(s, "cas", "3");
    /* CAS across a delete: the key is absent */
    assert_ok(cairn_delete(s, "cas"));
    o.if_version = 3;
    assert_rc(cairn_put(s, "cas", "4", 1, &o), CAIRN_ENOTFOUND);
}

/* ---- cairn_update ---- */

typedef struct {
    int calls;
    bool saw_absent;
    char cur[64];
    const char *write;   /* value to write, or NULL */
    int ret;             /* what to return */
} upd;

static int upd_fn(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    upd *u = arg;
    u->calls++;
    u->saw_absent = cur == NULL;
    u->cur[0] = '\0';
    if (cur)
        snprintf(u->cur, sizeof u->cur, "%s", (const char *)cairn_value_data(cur, NULL));
    if (u->write) {
        *val = u->write;
        *len = strlen(u->write);
    }
    return u->ret;
}

static void update_callback(void **state)
{
    cairn_store *s = FX(state)->s;
    /* absent: fn sees NULL and writes */
    upd u = {.write = "{\"n\":1}", .ret = CAIRN_OK};
    assert_ok(cairn_update_v2(s, "u", upd_fn, &u, NULL));
    assert_true(u.calls >= 1);
    assert_true(u.saw_absent);
    cf_expect_str(s, "u", "{\"n\":1}");
    assert_int_equal(cf_meta(s, "u").version, 1);
    /* present: fn sees the current value */
    u = (upd){.write = "{\"n\":2}", .ret = CAIRN_OK};
    assert_ok(cairn_update_v2(s, "u", upd_fn, &u, NULL));
    assert_false(u.saw_absent);
    assert_string_equal(u.cur, "{\"n\":1}");
    cf_expect_str(s, "u", "{\"n\":2}");
    assert_int_equal(cf_meta(s, "u").version, 2);
    /* skip: nothing written */
    u = (upd){.ret = CAIRN_SKIPPED};
    assert_rc(cairn_update_v2(s, "u", upd_fn, &u, NULL), CAIRN_SKIPPED);
    assert_int_equal(cf_meta(s, "u").version, 2);
    u = (upd){.ret = CAIRN_SKIPPED};
    assert_rc(cairn_update_v2(s, "absent", upd_fn, &u, NULL), CAIRN_SKIPPED);
    assert_rc(cairn_exists(s, "absent"), CAIRN_ENOTFOUND);
    /* abort with an error: returned as it is, store unchanged */
    u = (upd){.write = "{\"n\":3}", .ret = CAIRN_EVALIDATION};
    assert_rc(cairn_update_v2(s, "u", upd_fn, &u, NULL), CAIRN_EVALIDATION);
    cf_expect_str(s, "u", "{\"n\":2}");
    assert_int_equal(cf_meta(s, "u").version, 2);
    u = (upd){.ret = CAIRN_ECONFLICT};
    assert_rc(cairn_update_v2(s, "absent", upd_fn, &u, NULL), CAIRN_ECONFLICT);
    assert_rc(cairn_exists(s, "absent"), CAIRN_ENOTFOUND);
    /* a value that does not match the format: EFORMAT, nothing written */
    u = (upd){.write = "{not json", .ret = CAIRN_OK};
    assert_rc(cairn_update_v2(s, "u", upd_fn, &u, NULL), CAIRN_EFORMAT);
    cf_expect_str(s, "u", "{\"n\":2}");
    /* the options give the format of the new value */
    cairn_put_opts t = {.format = CAIRN_FORMAT_TEXT};
    u = (upd){.write = "{not json", .ret = CAIRN_OK};
    assert_ok(cairn_update_v2(s, "u", upd_fn, &u, &t));
    cf_expect_str(s, "u", "{not json");
    assert_int_equal(cf_meta(s, "u").format, CAIRN_FORMAT_TEXT);
    /* an unknown positive answer is refused */
    u = (upd){.write = "1", .ret = 42};
    assert_rc(cairn_update_v2(s, "u", upd_fn, &u, NULL), CAIRN_EINVAL);
    cf_expect_str(s, "u", "{not json");
    assert_rc(cairn_update_v2(s, "u", NULL, NULL, NULL), CAIRN_EINVAL);
}

static void incr(void **state)
{
    cairn_store *s = FX(state)->s;
    int64_t v = 0;
    assert_ok(cairn_incr(s, "c", 5, &v)); /* absent: by */
    assert_int_equal(v, 5);
    cf_expect_str(s, "c", "5");
    assert_ok(cairn_incr(s, "c", -7, &v));
    assert_int_equal(v, -2);
    cf_expect_str(s, "c", "-2");
    assert_ok(cairn_incr(s, "c", 0, NULL));
    assert_int_equal(cf_meta(s, "c").version, 3);
    assert_int_equal(cf_meta(s, "c").format, CAIRN_FORMAT_JSON);
    /* an integer written by hand, with white space */
    assert_ok(cf_put(s, "d", " 41\n", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cairn_incr(s, "d", 1, &v));
    assert_int_equal(v, 42);
    /* not an integer: EFORMAT, unchanged */
    const char *bad[] = {"1.5", "\"1\"", "{}", "[1]", "true", "null", "1e3", "-"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char key[16];
        snprintf(key, sizeof key, "bad%zu", i);
        cairn_put_opts o = {.format = strcmp(bad[i], "-") ? CAIRN_FORMAT_JSON
                                                          : CAIRN_FORMAT_TEXT};
        assert_ok(cairn_put(s, key, bad[i], strlen(bad[i]), &o));
        v = 12345;
        assert_rc(cairn_incr(s, key, 1, &v), CAIRN_EFORMAT);
        assert_int_equal(v, 12345);
        cf_expect_str(s, key, bad[i]);
        assert_int_equal(cf_meta(s, key).version, 1);
    }
    /* overflow: EINVAL, unchanged */
    assert_ok(cf_put(s, "max", "9223372036854775807", CAIRN_FAIL_IF_EXISTS));
    assert_rc(cairn_incr(s, "max", 1, &v), CAIRN_EINVAL);
    cf_expect_str(s, "max", "9223372036854775807");
    assert_ok(cairn_incr(s, "max", -1, &v));
    assert_int_equal(v, INT64_MAX - 1);
    assert_ok(cf_put(s, "min", "-9223372036854775808", CAIRN_FAIL_IF_EXISTS));
    assert_rc(cairn_incr(s, "min", -1, &v), CAIRN_EINVAL);
    assert_ok(cairn_incr(s, "min", 0, &v));
    assert_int_equal(v, INT64_MIN);
    assert_ok(cairn_incr(s, "fresh", INT64_MIN, &v));
    assert_int_equal(v, INT64_MIN);
    cf_expect_str(s, "fresh", "-9223372036854775808");
    /* beyond int64 in the store: not a 64-bit integer */
    assert_ok(cf_put(s, "huge", "99999999999999999999", CAIRN_FAIL_IF_EXISTS));
    assert_rc(cairn_incr(s, "huge", 1, &v), CAIRN_EFORMAT);
    /* many increments */
    for (int i = 0; i < 100; i++)
        assert_ok(cairn_incr(s, "many", 1, NULL));
    assert_ok(cairn_incr(s, "many", 0, &v));
    assert_int_equal(v, 100);
}

const tr_case cf_behaviour_cases[] = {
    TR_CASE(fail_if_exists, TR_NONE, 0),
    TR_CASE(skip_if_exists, TR_NONE, 0),
    TR_CASE(fail_if_different, TR_NONE, 0),
    TR_CASE(overwrite, TR_NONE, 0),
    TR_CASE(compare_and_set, TR_NONE, 0),
    TR_CASE(update_callback, TR_NONE, 0),
    TR_CASE(incr, TR_NONE, 0),
};
const size_t cf_behaviour_ncases = CF_NCASES(cf_behaviour_cases);
