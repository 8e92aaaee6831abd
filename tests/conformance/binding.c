/*
 * binding.c — conformance: a record names the key it was written under, so
 * another key's record placed under a key's name (a copied file, a moved
 * row) reads as CAIRN_ECORRUPT through every read; records of the older,
 * unbound header stay readable and cairn_upgrade() binds them (issue 15).
 */
#include "conf.h"

#define VAL_A "{\"who\":\"a\"}"
#define VAL_B "{\"who\":\"b\"}"

/* The call failed as corrupt, naming key and the reason. */
static void expect_misplaced(int rc, const char *key)
{
    assert_rc(rc, CAIRN_ECORRUPT);
    assert_errmsg_has(key);
    assert_errmsg_has("belongs to another key");
}

/* a's record bytes under b's name: every read of b refuses it, a reads on,
 * and only a write that needs no old record (overwrite, delete) goes on. */
static void misplaced_record(void **state)
{
    cf_fx *fx = FX(state);
    cf_reopen_tap(fx);
    cairn_store *s = fx->s;
    assert_ok(cf_put(s, "runs/a", VAL_A, CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "runs/b", VAL_B, CAIRN_FAIL_IF_EXISTS));
    size_t n;
    char *rec = cf_raw_get("runs/a", &n);
    cf_raw_put("runs/b", rec, n);
    free(rec);

    cairn_value *v = NULL;
    expect_misplaced(cairn_get(s, "runs/b", &v), "runs/b");
    assert_null(v);
    cf_expect_str(s, "runs/a", VAL_A);
    expect_misplaced(cairn_exists(s, "runs/b"), "runs/b");

    const char *keys[] = {"runs/a", "runs/b"};
    cairn_value *vals[2] = {NULL, NULL};
    expect_misplaced(cairn_get_many(s, keys, 2, vals), "runs/b");
    assert_null(vals[0]);
    assert_null(vals[1]);

    /* Listing names the key; its metadata (ls --json) is refused. */
    cairn_iter *it;
    const char *k;
    cairn_meta m;
    assert_ok(cairn_list(s, "runs", &it));
    assert_ok(cairn_iter_next(it, &k, NULL));
    assert_string_equal(k, "runs/a");
    assert_ok(cairn_iter_meta(it, &m));
    assert_ok(cairn_iter_next(it, &k, NULL));
    assert_string_equal(k, "runs/b");
    expect_misplaced(cairn_iter_meta(it, &m), "runs/b");
    cairn_iter_free(it);

    /* A copy stops at it rather than carry a's value to b. */
    cairn_store *to = NULL;
    assert_ok(cairn_store_open("mem:", NULL, &to));
    cairn_copy_stats st;
    expect_misplaced(cairn_copy(s, to, NULL, &st), "runs/b");
    assert_rc(cairn_exists(to, "runs/b"), CAIRN_ENOTFOUND);
    cairn_store_close(to);

    /* Writes that read the old record refuse; nothing is written. */
    expect_misplaced(cf_put(s, "runs/b", VAL_B, CAIRN_FAIL_IF_DIFFERENT), "runs/b");
    expect_misplaced(cf_put(s, "runs/b", VAL_B, CAIRN_FAIL_IF_EXISTS), "runs/b");
    int64_t after = 0;
    assert_rc(cairn_incr(s, "runs/b", 1, &after), CAIRN_ECORRUPT);
    expect_misplaced(cairn_get(s, "runs/b", &v), "runs/b");
    /* An overwrite repairs it. */
    assert_ok(cf_put(s, "runs/b", VAL_B, CAIRN_OVERWRITE));
    cf_expect_str(s, "runs/b", VAL_B);
    cf_expect_str(s, "runs/a", VAL_A);
}

/* An old (header version 1) record with every part of the metadata set:
 * model, user metadata, expiry (in an hour, or already past). */
static char *old_record(const char *val, int64_t exp, size_t *n)
{
    const char *um = "{\"src\":\"old\"}";
    size_t len = strlen(val), ul = strlen(um);
    cairn_meta m = {.version = 5, .format = CAIRN_FORMAT_JSON, .created_ms = 1700000000000,
                    .updated_ms = 1700000000500, .expires_ms = exp, .size = len,
                    .checksum = cairn__hash(val, len), .compression = "none",
                    .stored_size = len, .user_meta_len = ul, .model = "ns/thing@1"};
    char *rec = malloc(CAIRN__HEAD_MAX + ul + len);
    assert_non_null(rec);
    size_t h = cairn__rec_head(rec, &m, cairn__hash(um, ul), NULL);
    memcpy(rec + h, um, ul);
    memcpy(rec + h + ul, val, len);
    *n = h + ul + len;
    return rec;
}

/* The stored record of key is bound to it (header version 2). */
static void expect_bound(const char *key, bool bound)
{
    size_t n;
    char *rec = cf_raw_get(key, &n);
    cairn__rec r;
    assert_ok(cairn__rec_decode(rec, n, true, &r));
    if (r.bound != bound)
        fail_msg("%s: %s, expected %s", key, r.bound ? "bound" : "unbound",
                 bound ? "bound" : "unbound");
    if (bound)
        assert_int_equal(r.key_sum, cairn__hash(key, strlen(key)));
    free(rec);
}

static void expect_same_meta(cairn_store *s, const char *key, const cairn_meta *want)
{
    cairn_meta got = cf_meta(s, key);
    assert_int_equal(got.version, want->version);
    assert_int_equal(got.created_ms, want->created_ms);
    assert_int_equal(got.updated_ms, want->updated_ms);
    assert_int_equal(got.expires_ms, want->expires_ms);
    assert_int_equal(got.checksum, want->checksum);
}

/* Records of the unbound header read as before; cairn_upgrade() binds the
 * live ones in place (nothing else changes), only under its prefix, the
 * library's own records too; a second run has nothing to do; and a bound
 * record moved afterwards is caught. */
static void upgrade_binds_old_records(void **state)
{
    cf_fx *fx = FX(state);
    cf_reopen_tap(fx);
    cairn_store *s = fx->s;
    int64_t hour = cairn_now_ms() + 3600000;
    size_t n, en;
    char *rec = old_record("[1,2]", hour, &n);
    char *gone = old_record("[0]", 1000, &en); /* expired long ago */
    static const char *const olds[] = {"p/a", "p/b", "q/a", "_cairn/test/old"};
    for (size_t i = 0; i < 4; i++)
        cf_raw_put(olds[i], rec, n);
    cf_raw_put("p/expired", gone, en);
    assert_ok(cf_put(s, "p/new", VAL_A, CAIRN_FAIL_IF_EXISTS));
    free(gone);

    /* Readable as they are, under any key: the old header names none. */
    cf_expect_str(s, "p/a", "[1,2]");
    cf_expect_str(s, "q/a", "[1,2]");
    cairn_meta before = cf_meta(s, "p/a");
    expect_bound("p/a", false);

    uint64_t done = 99;
    assert_ok(cairn_upgrade(s, "p", &done));
    assert_int_equal(done, 2); /* p/a, p/b: not the expired one, not p/new */
    expect_bound("p/a", true);
    expect_bound("p/b", true);
    expect_bound("q/a", false);
    assert_ok(cairn_upgrade(s, NULL, &done));
    assert_int_equal(done, 2); /* q/a and the library's own */
    expect_bound("q/a", true);
    expect_bound("_cairn/test/old", true);
    assert_ok(cairn_upgrade(s, NULL, &done));
    assert_int_equal(done, 0);

    /* Value, version, times, expiry, model and user metadata kept. */
    for (size_t i = 0; i < 3; i++) {
        cf_expect_str(s, olds[i], "[1,2]");
        expect_same_meta(s, olds[i], &before);
        cairn_value *v = NULL;
        assert_ok(cairn_get(s, olds[i], &v));
        assert_string_equal(cairn_value_meta(v)->model, "ns/thing@1");
        assert_string_equal(cairn_value_meta(v)->user_meta, "{\"src\":\"old\"}");
        cairn_value_free(v);
    }
    assert_rc(cairn_exists(s, "p/expired"), CAIRN_ENOTFOUND);
    cf_expect_str(s, "p/new", VAL_A);

    /* Bound now: a's record under b's name is caught. */
    free(rec);
    rec = cf_raw_get("p/a", &n);
    cf_raw_put("p/b", rec, n);
    free(rec);
    cairn_value *v = NULL;
    expect_misplaced(cairn_get(s, "p/b", &v), "p/b");
    cf_expect_str(s, "p/a", "[1,2]");
}

const tr_case cf_binding_cases[] = {
    TR_CASE(misplaced_record, TR_NONE, 0),
    TR_CASE(upgrade_binds_old_records, TR_NONE, 0),
};
const size_t cf_binding_ncases = CF_NCASES(cf_binding_cases);
