/*
 * basic.c — conformance: put/get round trips with their metadata, empty,
 * binary and 10 MiB values, evil keys, invalid and reserved keys.
 */
#include "conf.h"

static void put_get_metadata(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *s = fx->s;
    const char *v1 = "{\"n\":1}";
    int64_t before = cairn_now_ms();
    assert_ok(cf_put(s, "runs/1", v1, CAIRN_FAIL_IF_EXISTS));
    int64_t after = cairn_now_ms();

    cairn_value *v = NULL;
    assert_ok(cairn_get(s, "runs/1", &v));
    size_t len;
    assert_string_equal(cairn_value_data(v, &len), v1);
    assert_int_equal(len, strlen(v1));
    assert_string_equal(cairn_value_key(v), "runs/1");
    const cairn_meta *m = cairn_value_meta(v);
    assert_int_equal(m->version, 1);
    assert_int_equal(m->format, CAIRN_FORMAT_JSON);
    assert_true(m->created_ms >= before && m->created_ms <= after);
    assert_int_equal(m->updated_ms, m->created_ms);
    assert_int_equal(m->expires_ms, 0);
    assert_int_equal(m->size, strlen(v1));
    assert_int_equal(m->checksum, cairn__hash(v1, strlen(v1)));
    assert_string_equal(m->compression, "none");
    assert_string_equal(m->model, "");
    cairn_meta first = *m;
    cairn_value_free(v);

    /* the key is normalised on the way in and out */
    assert_ok(cairn_get(s, "//runs///1/", &v));
    assert_string_equal(cairn_value_key(v), "runs/1");
    cairn_value_free(v);
    assert_ok(cairn_exists(s, "/runs/1"));

    /* every write bumps the version, keeps created, moves updated */
    const char *vals[] = {"[1]", "\"two\"", "3", "{\"n\":4,\"deep\":{\"x\":[null]}}"};
    uint64_t ver = 1;
    int64_t last_update = first.updated_ms;
    /* a model that takes any value, in its second version */
    assert_ok(cairn_model_register(s, "ns/thing", "true", 4, 0, NULL));
    assert_ok(cairn_model_register(s, "ns/thing", "{}", 2, CAIRN_MODEL_NEW_VERSION, NULL));
    for (size_t i = 0; i < 4; i++) {
        tr_sleep_ms(3); /* so that updated_ms can move */
        cairn_put_opts o = {.behavior = CAIRN_OVERWRITE, .model = "ns/thing@2"};
        assert_ok(cairn_put(s, "runs/1", vals[i], strlen(vals[i]), &o));
        assert_ok(cairn_get(s, "runs/1", &v));
        m = cairn_value_meta(v);
        assert_int_equal(m->version, ++ver);
        assert_int_equal(m->created_ms, first.created_ms);
        assert_true(m->updated_ms > last_update);
        last_update = m->updated_ms;
        assert_int_equal(m->size, strlen(vals[i]));
        assert_int_equal(m->checksum, cairn__hash(vals[i], strlen(vals[i])));
        assert_string_equal(m->model, "ns/thing@2");
        assert_string_equal(cairn_value_data(v, NULL), vals[i]);
        cairn_value_free(v);
    }
    /* format is kept per record */
    cairn_put_opts t = {.behavior = CAIRN_OVERWRITE, .format = CAIRN_FORMAT_TEXT};
    assert_ok(cairn_put(s, "runs/1", "not json", 8, &t));
    cairn_meta mm = cf_meta(s, "runs/1");
    assert_int_equal(mm.format, CAIRN_FORMAT_TEXT);
    assert_int_equal(mm.version, ver + 1);
    /* delete, then the key is gone and starts again */
    assert_ok(cairn_delete(s, "runs/1"));
    v = NULL;
    assert_rc(cairn_get(s, "runs/1", &v), CAIRN_ENOTFOUND);
    assert_null(v);
    assert_rc(cairn_exists(s, "runs/1"), CAIRN_ENOTFOUND);
    assert_rc(cairn_delete(s, "runs/1"), CAIRN_ENOTFOUND);
    assert_ok(cf_put(s, "runs/1", "1", CAIRN_FAIL_IF_EXISTS));
    assert_int_equal(cf_meta(s, "runs/1").format, CAIRN_FORMAT_JSON);
    /* the message of a failure names the key */
    assert_rc(cairn_get(s, "no/such/key", &v), CAIRN_ENOTFOUND);
    assert_errmsg_has("no/such/key");
}

static void empty_and_binary_values(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_put_opts text = {.format = CAIRN_FORMAT_TEXT};
    cairn_put_opts bytes = {.format = CAIRN_FORMAT_BYTES};
    assert_ok(cairn_put(s, "empty/text", "", 0, &text));
    assert_ok(cairn_put(s, "empty/bytes", NULL, 0, &bytes));
    cf_expect_value(s, "empty/text", "", 0);
    cf_expect_value(s, "empty/bytes", "", 0);
    assert_int_equal(cf_meta(s, "empty/text").format, CAIRN_FORMAT_TEXT);
    assert_int_equal(cf_meta(s, "empty/bytes").format, CAIRN_FORMAT_BYTES);
    assert_int_equal(cf_meta(s, "empty/bytes").checksum, cairn__hash("", 0));
    /* an empty JSON value is not JSON */
    assert_rc(cairn_put(s, "empty/json", "", 0, NULL), CAIRN_EFORMAT);
    assert_rc(cairn_exists(s, "empty/json"), CAIRN_ENOTFOUND);

    /* every byte value, NULs included, and things that look like headers */
    unsigned char bin[1024];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 7 + (i >> 8));
    bin[0] = 0;
    bin[1] = '\n';
    bin[sizeof bin - 1] = 0;
    assert_ok(cairn_put(s, "bin/all", bin, sizeof bin, &bytes));
    cf_expect_value(s, "bin/all", bin, sizeof bin);
    const char fake[] = "{\"cairn\":1,\"ver\":99}\n\0\0tail";
    assert_ok(cairn_put(s, "bin/fake-header", fake, sizeof fake, &bytes));
    cf_expect_value(s, "bin/fake-header", fake, sizeof fake);
    /* text with a NUL is valid UTF-8 */
    assert_ok(cairn_put(s, "bin/text-nul", "a\0b", 3, &text));
    cf_expect_value(s, "bin/text-nul", "a\0b", 3);
    /* text must be UTF-8 */
    assert_rc(cairn_put(s, "bin/bad-text", "\xC3\x28", 2, &text), CAIRN_EFORMAT);
    assert_rc(cairn_exists(s, "bin/bad-text"), CAIRN_ENOTFOUND);
    /* one byte values of every kind */
    assert_ok(cairn_put(s, "one/json", "0", 1, NULL));
    assert_ok(cairn_put(s, "one/bytes", "\xFF", 1, &bytes));
    cf_expect_value(s, "one/json", "0", 1);
    cf_expect_value(s, "one/bytes", "\xFF", 1);
}

static void big_value(void **state)
{
    cairn_store *s = FX(state)->s;
    size_t n = 10u << 20;
    unsigned char *big = malloc(n);
    assert_non_null(big);
    uint64_t r = 42;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = tr_rand(&r);
        memcpy(big + i, &x, 8);
    }
    cairn_put_opts bytes = {.format = CAIRN_FORMAT_BYTES};
    assert_ok(cairn_put(s, "big/10MiB", big, n, &bytes));
    cf_expect_value(s, "big/10MiB", big, n);
    assert_int_equal(cf_meta(s, "big/10MiB").checksum, cairn__hash(big, n));
    /* a big JSON document too: one long string */
    big[0] = '"';
    for (size_t i = 1; i < n - 1; i++)
        big[i] = (unsigned char)('a' + i % 26);
    big[n - 1] = '"';
    assert_ok(cairn_put(s, "big/json", big, n, NULL));
    cf_expect_value(s, "big/json", big, n);
    /* overwrite a big value with a small one and back */
    bytes.behavior = CAIRN_OVERWRITE;
    assert_ok(cairn_put(s, "big/10MiB", "x", 1, &bytes));
    cf_expect_value(s, "big/10MiB", "x", 1);
    assert_ok(cairn_put(s, "big/10MiB", big, n, &bytes));
    cf_expect_value(s, "big/10MiB", big, n);
    /* listing reads past big values */
    size_t count;
    char *keys = cf_list(s, "big", &count);
    assert_int_equal(count, 2);
    free(keys);
    free(big);
}

/* Keys chosen to break naive backends: file names, escapes, length limits,
 * collisions between a key and the files a backend keeps next to it. */
static char **evil_keys(size_t *n)
{
    static const char *const fixed[] = {
        "h\xC3\xA9llo/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E/\xF0\x9F\x98\x80",
        "\xF4\x8F\xBF\xBF",
        "with space/a b",
        " leading space",
        "trailing space ",
        "percent/100%",
        "percent/%2F",
        "percent/%25",
        "percent/%",
        "percent/%2E",
        ".x",
        ".x/.y",
        "..a",
        "...",
        ".cairn",
        ".cairn/locks",
        "a.rec",
        "a.rec.rec",
        "b.rec/c.rec",
        ".rec",
        "x.tmp",
        ".t0123456789abcdef.tmp",
        "a",
        "a/b",
        "a/b/c",
        "Case",
        "case",
        "quote/\"'`",
        "glob/*?[]",
        "shell/$(x);|&<>",
        "colon:x/y:z",
        "tilde~/~",
        "hash#/q?x=1",
        "comma,semi;eq=",
        "db.sqlite",
        "data.mdb",
        "lock.mdb",
        "-",
        "!",
        "_cairnx",
        "_cairn-not-reserved/x",
        "x/_cairn",
    };
    size_t nf = sizeof fixed / sizeof *fixed;
    char **k = calloc(nf + 10, sizeof *k);
    assert_non_null(k);
    size_t i = 0;
    for (; i < nf; i++)
        k[i] = strdup(fixed[i]);
    /* Longest segments (CAIRN_SEGMENT_MAX): plain, all '%', ends in .rec,
     * all dots, starts with a dot and ends in .rec */
    char seg[CAIRN_SEGMENT_MAX + 1];
    memset(seg, 's', CAIRN_SEGMENT_MAX);
    seg[CAIRN_SEGMENT_MAX] = '\0';
    k[i] = malloc(300);
    snprintf(k[i++], 300, "seg/%s", seg);
    memset(seg, '%', CAIRN_SEGMENT_MAX);
    k[i] = malloc(300);
    snprintf(k[i++], 300, "pct/%s", seg);
    memset(seg, 'r', CAIRN_SEGMENT_MAX);
    memcpy(seg + CAIRN_SEGMENT_MAX - 4, ".rec", 4);
    k[i] = malloc(300);
    snprintf(k[i++], 300, "%s", seg);
    seg[0] = '.';
    k[i] = malloc(300);
    snprintf(k[i++], 300, "dotrec/%s", seg);
    memset(seg, '.', CAIRN_SEGMENT_MAX);
    k[i] = malloc(300);
    snprintf(k[i++], 300, "dots/%s", seg);
    /* 1024 bytes: 5 segments (240+240+240+240+60) and 4 slashes */
    k[i] = malloc(CAIRN_KEY_MAX + 1);
    memset(k[i], 'L', CAIRN_KEY_MAX);
    k[i][240] = k[i][481] = k[i][722] = k[i][963] = '/';
    k[i++][CAIRN_KEY_MAX] = '\0';
    /* 1024 bytes of 4-byte characters and slashes */
    k[i] = malloc(CAIRN_KEY_MAX + 1);
    size_t p = 0, in_seg = 0;
    while (p + 5 <= CAIRN_KEY_MAX) {
        memcpy(k[i] + p, "\xF0\x9F\x98\x80", 4);
        p += 4;
        if ((in_seg += 4) == 240) { /* 60 characters per segment */
            k[i][p++] = '/';
            in_seg = 0;
        }
    }
    while (p < CAIRN_KEY_MAX)
        k[i][p++] = 'z';
    k[i++][p] = '\0';
    for (size_t j = 0; j < i; j++)
        assert_non_null(k[j]);
    *n = i;
    return k;
}

static int cmp_keys(const void *a, const void *b)
{
    return cf_keycmp(*(char *const *)a, *(char *const *)b);
}

static void evil_keys_roundtrip(void **state)
{
    cf_fx *fx = FX(state);
    size_t n;
    char **keys = evil_keys(&n);
    char nk[CAIRN_KEY_MAX + 1];
    /* Put every key; the ones a backend refuses are collected (so the rest
     * of the case still runs on the others) and fail the case at the end. */
    char refused[8192] = "";
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (cairn_key_normalize(keys[i], nk, NULL))
            fail_msg("evil key %zu is not a valid key: %s", i, cairn_errmsg());
        /* the value names its key, so a mix-up shows */
        char val[CAIRN_KEY_MAX + 16];
        snprintf(val, sizeof val, "value of %s", keys[i]);
        cairn_put_opts o = {.format = CAIRN_FORMAT_TEXT};
        int rc = cairn_put(fx->s, keys[i], val, strlen(val), &o);
        if (rc) {
            size_t l = strlen(refused), ml = strlen(cairn_errmsg());
            snprintf(refused + l, sizeof refused - l,
                     "  put of evil key (%zu bytes) \"%.40s...\": %s: ...%s\n",
                     strlen(keys[i]), keys[i], cairn_strerror(rc),
                     cairn_errmsg() + (ml > 150 ? ml - 150 : 0));
            free(keys[i]);
            continue;
        }
        keys[kept++] = keys[i];
    }
    n = kept;
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < n; i++) {
            char val[CAIRN_KEY_MAX + 16];
            snprintf(val, sizeof val, "value of %s", keys[i]);
            cf_expect_str(fx->s, keys[i], val);
            assert_ok(cairn_exists(fx->s, keys[i]));
        }
        /* list("") yields exactly these keys, sorted bytewise */
        qsort(keys, n, sizeof *keys, cmp_keys);
        size_t count;
        char *got = cf_list(fx->s, "", &count);
        char **want = calloc(n + 1, sizeof *want);
        assert_non_null(want);
        memcpy(want, keys, n * sizeof *keys);
        cf_expect_keys(got, (const char *const *)want);
        free(want);
        free(got);
        uint64_t c = 0;
        assert_ok(cairn_count(fx->s, NULL, &c));
        assert_int_equal(c, n);
        /* "a" is both a leaf and a parent */
        got = cf_list(fx->s, "a", &count);
        cf_expect_keys(got, (const char *const[]){"a", "a/b", "a/b/c", NULL});
        free(got);
        got = cf_list(fx->s, "a/b", &count);
        cf_expect_keys(got, (const char *const[]){"a/b", "a/b/c", NULL});
        free(got);
        got = cf_list(fx->s, "percent", &count);
        assert_int_equal(count, 5);
        free(got);
        got = cf_list(fx->s, ".x", &count);
        cf_expect_keys(got, (const char *const[]){".x", ".x/.y", NULL});
        free(got);
        if (!cf_be->persistent)
            break;
        cf_reopen(fx, NULL); /* the same again from disk */
    }
    /* deleting the parent leaves the children, and the other way round */
    assert_ok(cairn_delete(fx->s, "a"));
    assert_rc(cairn_exists(fx->s, "a"), CAIRN_ENOTFOUND);
    assert_ok(cairn_exists(fx->s, "a/b"));
    assert_ok(cairn_exists(fx->s, "a/b/c"));
    assert_ok(cairn_delete(fx->s, "a/b/c"));
    assert_ok(cairn_exists(fx->s, "a/b"));
    char *got = cf_list(fx->s, "a", NULL);
    cf_expect_keys(got, (const char *const[]){"a/b", NULL});
    free(got);
    assert_ok(cf_put(fx->s, "a/b/c", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cairn_delete(fx->s, "a/b"));
    got = cf_list(fx->s, "a", NULL);
    cf_expect_keys(got, (const char *const[]){"a/b/c", NULL});
    free(got);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    if (refused[0])
        fail_msg("valid keys refused by the %s backend:\n%s", cf_be->name, refused);
}

static void invalid_keys_rejected(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(cf_put(s, "good", "1", CAIRN_FAIL_IF_EXISTS));
    char long_key[CAIRN_KEY_MAX + 2], long_seg[CAIRN_SEGMENT_MAX + 2];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    for (size_t i = 100; i < CAIRN_KEY_MAX; i += 100)
        long_key[i] = '/';
    memset(long_seg, 'g', sizeof long_seg - 1);
    long_seg[sizeof long_seg - 1] = '\0';
    const char *const bad[] = {
        "", "/", "//", ".", "..", "a/./b", "a/../b", "..", "a/..", "tab\there",
        "nl\n", "del\x7F", "esc\x1B[0m", "back\\slash", "\xC0\x80", "\xED\xA0\x80",
        "\xF4\x90\x80\x80", "\xFF", "trunc\xE2\x82", long_key, long_seg,
    };
    cairn_put_opts ow = {.behavior = CAIRN_OVERWRITE};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cairn_value *v = NULL;
        int rc = cairn_put(s, bad[i], "1", 1, &ow);
        if (rc != CAIRN_EKEY)
            fail_msg("put of bad key %zu \"%.40s\": %s, expected EKEY", i, bad[i],
                     cairn_strerror(rc));
        assert_true(strlen(cairn_errmsg()) > 0);
        assert_rc(cairn_get(s, bad[i], &v), CAIRN_EKEY);
        assert_null(v);
        assert_rc(cairn_exists(s, bad[i]), CAIRN_EKEY);
        assert_rc(cairn_delete(s, bad[i]), CAIRN_EKEY);
        assert_rc(cairn_incr(s, bad[i], 1, NULL), CAIRN_EKEY);
        cairn_iter *it = NULL;
        if (bad[i][0] && strspn(bad[i], "/") != strlen(bad[i])) /* "" lists all */
            assert_rc(cairn_list(s, bad[i], &it), CAIRN_EKEY);
        assert_null(it);
        uint64_t n = 99;
        assert_rc(cairn_delete_prefix(s, bad[i], &n), CAIRN_EKEY);
        assert_int_equal(n, 99);
    }
    /* the message says why */
    assert_rc(cf_put(s, "a/../b", "1", CAIRN_OVERWRITE), CAIRN_EKEY);
    assert_errmsg_has("'..'");
    assert_rc(cf_put(s, "back\\slash", "1", CAIRN_OVERWRITE), CAIRN_EKEY);
    assert_errmsg_has("backslash");
    assert_rc(cf_put(s, "", "1", CAIRN_OVERWRITE), CAIRN_EKEY);
    assert_errmsg_has("empty");
    /* the store is unchanged */
    size_t count;
    char *keys = cf_list(s, NULL, &count);
    cf_expect_keys(keys, (const char *const[]){"good", NULL});
    free(keys);
    assert_int_equal(cf_meta(s, "good").version, 1);
}

static void reserved_keys_refused(void **state)
{
    cairn_store *s = FX(state)->s;
    const char *const reserved[] = {"_cairn", "_cairn/x", "/_cairn//registry/a/",
                                    "_cairn/processes/p1"};
    cairn_put_opts ow = {.behavior = CAIRN_OVERWRITE};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
        const char *k = reserved[i];
        assert_rc(cairn_put(s, k, "1", 1, &ow), CAIRN_EKEY);
        assert_errmsg_has("reserved");
        assert_rc(cairn_incr(s, k, 1, NULL), CAIRN_EKEY);
        assert_rc(cairn_delete(s, k), CAIRN_EKEY);
        cairn_put_item it = {k, "1", 1, 0};
        assert_rc(cairn_put_many(s, &it, 1, &ow), CAIRN_EKEY);
        assert_rc(cairn_delete_many(s, &k, 1, NULL), CAIRN_EKEY);
        assert_rc(cairn_delete_prefix(s, k, NULL), CAIRN_EKEY);
        /* reads are allowed and find nothing */
        cairn_value *v = NULL;
        assert_rc(cairn_get(s, k, &v), CAIRN_ENOTFOUND);
    }
    uint64_t n = 1;
    assert_ok(cairn_count(s, "_cairn", &n));
    assert_int_equal(n, 0);
    /* near misses are ordinary keys */
    assert_ok(cf_put(s, "_cairnx/y", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "x/_cairn/y", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "_CAIRN/y", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cairn_count(s, NULL, &n));
    assert_int_equal(n, 3);
}

const tr_case cf_basic_cases[] = {
    TR_CASE(put_get_metadata, TR_NONE, 0),
    TR_CASE(empty_and_binary_values, TR_NONE, 0),
    TR_CASE(big_value, TR_NONE, 120),
    TR_CASE(evil_keys_roundtrip, TR_NONE, 0),
    TR_CASE(invalid_keys_rejected, TR_AGNOSTIC, 0),
    TR_CASE(reserved_keys_refused, TR_NONE, 0),
};
const size_t cf_basic_ncases = CF_NCASES(cf_basic_cases);
