/*
 * batch.c — conformance: put_many is all-or-nothing with per-item statuses,
 * duplicate keys are refused, get_many and delete_many handle absent keys.
 */
#include "conf.h"

static void expect_absent(cairn_store *s, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cairn_exists(s, keys[i]) != CAIRN_ENOTFOUND)
            fail_msg("%s was written by a batch that failed", keys[i]);
}

static void put_many_atomic(void **state)
{
    cairn_store *s = FX(state)->s;
    /* all good: all written */
    cairn_put_item ok[3] = {{"b/1", "1", 1, 99}, {"b/2", "[2]", 3, 99}, {"b/3", "\"3\"", 3, 99}};
    assert_ok(cairn_put_many(s, ok, 3, NULL));
    for (int i = 0; i < 3; i++)
        assert_int_equal(ok[i].status, CAIRN_OK);
    cf_expect_str(s, "b/2", "[2]");

    /* one invalid value: nothing written */
    const char *fresh[] = {"c/1", "c/2", "c/3"};
    cairn_put_item badval[3] = {{"c/1", "1", 1, 0}, {"c/2", "{oops", 5, 0}, {"c/3", "3", 1, 0}};
    assert_rc(cairn_put_many(s, badval, 3, NULL), CAIRN_EFORMAT);
    assert_int_equal(badval[1].status, CAIRN_EFORMAT);
    expect_absent(s, fresh, 3);
    /* one invalid key: nothing written */
    cairn_put_item badkey[3] = {{"c/1", "1", 1, 0}, {"c/2", "2", 1, 0}, {"c/../x", "3", 1, 0}};
    assert_rc(cairn_put_many(s, badkey, 3, NULL), CAIRN_EKEY);
    expect_absent(s, fresh, 3);
    /* one existing key under FAIL_IF_EXISTS (the last item): nothing written */
    cairn_put_item exist[3] = {{"c/1", "1", 1, 0}, {"c/2", "2", 1, 0}, {"b/3", "9", 1, 0}};
    assert_rc(cairn_put_many(s, exist, 3, NULL), CAIRN_EEXISTS);
    expect_absent(s, fresh, 2);
    cf_expect_str(s, "b/3", "\"3\"");
    for (int i = 0; i < 3; i++)
        assert_true(exist[i].status < 0); /* every item says the batch failed */
    assert_int_equal(exist[2].status, CAIRN_EEXISTS);
    /* FAIL_IF_DIFFERENT with one different value: nothing written */
    cairn_put_opts fd = {.behavior = CAIRN_FAIL_IF_DIFFERENT};
    cairn_put_item diff[3] = {{"c/1", "1", 1, 0}, {"b/1", " 1.0 ", 5, 0}, {"b/2", "[3]", 3, 0}};
    assert_rc(cairn_put_many(s, diff, 3, &fd), CAIRN_EDIFFERENT);
    expect_absent(s, fresh, 1);
    cf_expect_str(s, "b/2", "[2]");
    /* CAS in a batch: one stale version fails the batch */
    cairn_put_opts cas = {.if_version = 1};
    cairn_put_item c[2] = {{"b/1", "10", 2, 0}, {"b/2", "20", 2, 0}};
    assert_ok(cf_put(s, "b/2", "[2]", CAIRN_OVERWRITE)); /* b/2 is now version 2 */
    assert_rc(cairn_put_many(s, c, 2, &cas), CAIRN_ECONFLICT);
    cf_expect_str(s, "b/1", "1");

    /* SKIP_IF_EXISTS: per-item statuses */
    cairn_put_opts skip = {.behavior = CAIRN_SKIP_IF_EXISTS};
    cairn_put_item sk[4] = {{"b/1", "100", 3, 0}, {"c/1", "1", 1, 0}, {"b/3", "300", 3, 0},
                            {"c/2", "2", 1, 0}};
    assert_ok(cairn_put_many(s, sk, 4, &skip));
    assert_int_equal(sk[0].status, CAIRN_SKIPPED);
    assert_int_equal(sk[1].status, CAIRN_OK);
    assert_int_equal(sk[2].status, CAIRN_SKIPPED);
    assert_int_equal(sk[3].status, CAIRN_OK);
    cf_expect_str(s, "b/1", "1");
    cf_expect_str(s, "c/1", "1");
    /* OVERWRITE: everything, versions bumped */
    cairn_put_opts ow = {.behavior = CAIRN_OVERWRITE};
    cairn_put_item o[2] = {{"b/1", "11", 2, 0}, {"new", "0", 1, 0}};
    assert_ok(cairn_put_many(s, o, 2, &ow));
    assert_int_equal(cf_meta(s, "b/1").version, 2);
    assert_int_equal(cf_meta(s, "new").version, 1);

    /* the same key twice (also after normalisation): EINVAL, nothing written */
    cairn_put_item dup[3] = {{"d/1", "1", 1, 0}, {"d/2", "2", 1, 0}, {"d/1", "3", 1, 0}};
    assert_rc(cairn_put_many(s, dup, 3, &ow), CAIRN_EINVAL);
    assert_errmsg_has("d/1");
    cairn_put_item dup2[2] = {{"d//x/", "1", 1, 0}, {"/d/x", "2", 1, 0}};
    assert_rc(cairn_put_many(s, dup2, 2, &ow), CAIRN_EINVAL);
    const char *d[] = {"d/1", "d/2", "d/x"};
    expect_absent(s, d, 3);

    /* empty batch and NULL */
    assert_ok(cairn_put_many(s, NULL, 0, NULL));
    assert_rc(cairn_put_many(s, NULL, 2, NULL), CAIRN_EINVAL);
    assert_rc(cairn_put_many(NULL, ok, 3, NULL), CAIRN_EINVAL);

    /* a big batch */
    enum { N = 1000 };
    static cairn_put_item big[N];
    static char keys[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "big/%04d", i);
        big[i] = (cairn_put_item){keys[i], keys[i] + 4, 4, 0};
    }
    cairn_put_opts text = {.format = CAIRN_FORMAT_TEXT};
    assert_ok(cairn_put_many(s, big, N, &text));
    uint64_t n;
    assert_ok(cairn_count(s, "big", &n));
    assert_int_equal(n, N);
    cf_expect_str(s, "big/0999", "0999");
}

static void get_many_and_delete_many(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(cf_put(s, "g/1", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "g/3", "3", CAIRN_FAIL_IF_EXISTS));
    const char *keys[] = {"g/1", "g/2", "g/3", "g/1", "nope/x"};
    cairn_value *out[5];
    for (int i = 0; i < 5; i++)
        out[i] = (cairn_value *)&out; /* garbage the call must overwrite */
    assert_ok(cairn_get_many(s, keys, 5, out));
    assert_non_null(out[0]);
    assert_null(out[1]);
    assert_non_null(out[2]);
    assert_non_null(out[3]); /* repeated keys are fine for reads */
    assert_null(out[4]);
    assert_string_equal(cairn_value_data(out[0], NULL), "1");
    assert_string_equal(cairn_value_key(out[2]), "g/3");
    assert_string_equal(cairn_value_data(out[2], NULL), "3");
    for (int i = 0; i < 5; i++)
        cairn_value_free(out[i]);
    /* an invalid key fails the call and every slot is NULL */
    const char *bad[] = {"g/1", "bad\\key"};
    cairn_value *bo[2] = {NULL, NULL};
    assert_rc(cairn_get_many(s, bad, 2, bo), CAIRN_EKEY);
    assert_null(bo[0]);
    assert_null(bo[1]);
    assert_ok(cairn_get_many(s, NULL, 0, NULL));

    /* delete_many: absent keys are not errors */
    assert_ok(cf_put(s, "g/4", "4", CAIRN_FAIL_IF_EXISTS));
    const char *del[] = {"g/1", "g/2", "g/4"};
    uint64_t n = 99;
    assert_ok(cairn_delete_many(s, del, 3, &n));
    assert_int_equal(n, 2);
    assert_rc(cairn_exists(s, "g/1"), CAIRN_ENOTFOUND);
    assert_rc(cairn_exists(s, "g/4"), CAIRN_ENOTFOUND);
    assert_ok(cairn_exists(s, "g/3"));
    assert_ok(cairn_delete_many(s, del, 3, &n));
    assert_int_equal(n, 0);
    /* an invalid key: nothing deleted */
    const char *mixed[] = {"g/3", ".."};
    assert_rc(cairn_delete_many(s, mixed, 2, &n), CAIRN_EKEY);
    assert_ok(cairn_exists(s, "g/3"));
    const char *twice[] = {"g/3", "g//3"};
    assert_rc(cairn_delete_many(s, twice, 2, &n), CAIRN_EINVAL);
    assert_ok(cairn_exists(s, "g/3"));
    assert_ok(cairn_delete_many(s, NULL, 0, NULL));
}

const tr_case cf_batch_cases[] = {
    TR_CASE(put_many_atomic, TR_NONE, 0),
    TR_CASE(get_many_and_delete_many, TR_NONE, 0),
};
const size_t cf_batch_ncases = CF_NCASES(cf_batch_cases);
