/*
 * listing.c — conformance: list by whole segments, bytewise order, range
 * bounds and limits, count, iterators over more keys than one batch with
 * writes in between, iterator metadata, delete by prefix, reserved keys;
 * raw (string) prefixes: list, count, delete, and the reserved keys.
 */
#include "conf.h"

static void put_keys(cairn_store *s, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++) {
        int rc = cf_put(s, keys[i], "1", CAIRN_FAIL_IF_EXISTS);
        if (rc)
            fail_msg("put %s: %s", keys[i], cairn_errmsg());
    }
}

static void expect_list(cairn_store *s, const char *prefix, const char *const *want)
{
    size_t n = 0, count;
    while (want[n])
        n++;
    char *got = cf_list(s, prefix, &count);
    cf_expect_keys(got, want);
    free(got);
    uint64_t c = 0;
    assert_ok(cairn_count(s, prefix, &c));
    if (c != n)
        fail_msg("count(%s) = %llu, list gave %zu", prefix ? prefix : "NULL",
                 (unsigned long long)c, n);
}

/* expect_list() of a raw prefix: cairn_list_raw() and cairn_count_raw(). */
static void expect_raw(cairn_store *s, const char *prefix, const char *const *want)
{
    size_t n = 0, count;
    while (want[n])
        n++;
    cairn_iter *it;
    assert_ok(cairn_list_raw(s, prefix, &it));
    char *got = cf_drain(it, &count);
    cf_expect_keys(got, want);
    free(got);
    uint64_t c = 0;
    assert_ok(cairn_count_raw(s, prefix, &c));
    if (c != n)
        fail_msg("count_raw(%s) = %llu, list_raw gave %zu", prefix ? prefix : "NULL",
                 (unsigned long long)c, n);
}

static void list_whole_segments(void **state)
{
    cairn_store *s = FX(state)->s;
    put_keys(s, (const char *const[]){"teams", "teams/eng", "teams/eng/alice",
                                      "teams/ops", "teams2/x", "teams-x", "teams.x",
                                      "teams!", "teamsx", "team", "team/s", "teams0",
                                      "teams/eng2", "teams/en", NULL});
    const char *const teams[] = {"teams", "teams/en", "teams/eng", "teams/eng/alice",
                                 "teams/eng2", "teams/ops", NULL};
    expect_list(s, "teams", teams);
    expect_list(s, "teams/", teams);   /* normalised */
    expect_list(s, "//teams//", teams);
    expect_list(s, "teams/eng", (const char *const[]){"teams/eng", "teams/eng/alice", NULL});
    expect_list(s, "teams/en", (const char *const[]){"teams/en", NULL});
    expect_list(s, "teams/eng/alice", (const char *const[]){"teams/eng/alice", NULL});
    expect_list(s, "team", (const char *const[]){"team", "team/s", NULL});
    expect_list(s, "teams2", (const char *const[]){"teams2/x", NULL});
    expect_list(s, "teams-x", (const char *const[]){"teams-x", NULL});
    expect_list(s, "nothing", (const char *const[]){NULL});
    expect_list(s, "teams/eng/alice/deeper", (const char *const[]){NULL});
    expect_list(s, "tea", (const char *const[]){NULL}); /* not a segment */
    /* a parent that is not a key itself */
    put_keys(s, (const char *const[]){"p/q/r", NULL});
    expect_list(s, "p", (const char *const[]){"p/q/r", NULL});
    expect_list(s, "p/q", (const char *const[]){"p/q/r", NULL});
    /* NULL, "" and "/" list everything */
    size_t all;
    free(cf_list(s, NULL, &all));
    assert_int_equal(all, 15);
    free(cf_list(s, "", &all));
    assert_int_equal(all, 15);
    free(cf_list(s, "/", &all));
    assert_int_equal(all, 15);
}

static void list_bytewise_order(void **state)
{
    cairn_store *s = FX(state)->s;
    /* in bytewise order; several sort differently by locale, by UTF-16,
     * by path component or case-insensitively */
    const char *const sorted[] = {
        "!",
        "-",
        ".dot",
        "0",
        "A",
        "Z",
        "_",
        "a",
        "a b",
        "a!",
        "a-b",
        "a.b",
        "a/b",
        "a/b/c",
        "a/b-c",
        "a/b.c",
        "a/b/c/d",
        "a0",
        "aa",
        "a~",
        "a\xC2\x80",             /* U+0080 */
        "a\xC3\xA9",             /* é */
        "a\xE2\x82\xAC",         /* € */
        "a\xEF\xBF\xBF",         /* U+FFFF */
        "a\xF0\x9F\x98\x80",     /* 😀 (sorts after U+FFFF bytewise, before in UTF-16) */
        "b",
        "~",
        "\xC3\xA9",
        "\xF4\x8F\xBF\xBF",
        NULL,
    };
    /* fix the expectation: sort with strcmp (a/b/c and a/b-c disagree with
     * a path-wise order, which is the point) */
    size_t n = 0;
    while (sorted[n])
        n++;
    const char **want = calloc(n + 1, sizeof *want);
    assert_non_null(want);
    memcpy(want, sorted, n * sizeof *want);
    for (size_t i = 1; i < n; i++) /* insertion sort, n is small */
        for (size_t j = i; j > 0 && strcmp(want[j - 1], want[j]) > 0; j--) {
            const char *t = want[j];
            want[j] = want[j - 1];
            want[j - 1] = t;
        }
    /* insert in a scrambled order */
    for (size_t i = 0; i < n; i++)
        assert_ok(cf_put(s, sorted[(i * 7) % n], "1", CAIRN_FAIL_IF_EXISTS));
    expect_list(s, NULL, want);
    cairn_iter *it;
    assert_ok(cairn_range(s, NULL, NULL, 0, &it));
    char *got = cf_drain(it, NULL);
    cf_expect_keys(got, want);
    free(got);
    expect_list(s, "a", (const char *const[]){"a", "a/b", "a/b-c", "a/b.c", "a/b/c",
                                             "a/b/c/d", NULL});
    expect_list(s, "a/b", (const char *const[]){"a/b", "a/b/c", "a/b/c/d", NULL});
    free(want);
}

static void range_bounds_and_limit(void **state)
{
    cairn_store *s = FX(state)->s;
    char key[16];
    for (int i = 9; i >= 0; i--) {
        snprintf(key, sizeof key, "k%02d", i);
        assert_ok(cf_put(s, key, "1", CAIRN_FAIL_IF_EXISTS));
    }
    put_keys(s, (const char *const[]){"j", "k", "k0", "k05/x", "l", NULL});
    struct {
        const char *start, *end;
        uint64_t limit;
        const char *const want[16];
    } cases[] = {
        {"k03", "k07", 0, {"k03", "k04", "k05", "k05/x", "k06", NULL}},
        {"k03", "k07", 2, {"k03", "k04", NULL}},
        {"k03", "k07", 100, {"k03", "k04", "k05", "k05/x", "k06", NULL}},
        {"k035", "k05/x", 0, {"k04", "k05", NULL}},   /* absent start; end exclusive */
        {"k05", "k05", 0, {NULL}},                    /* empty */
        {"k07", "k03", 0, {NULL}},                    /* start after end */
        {"k08", NULL, 0, {"k08", "k09", "l", NULL}},
        {NULL, "k0", 0, {"j", "k", NULL}},
        {NULL, "k0", 1, {"j", NULL}},
        {NULL, NULL, 3, {"j", "k", "k0", NULL}},
        {"", "k", 0, {"j", NULL}},
        {"l", NULL, 0, {"l", NULL}},
        {"m", NULL, 0, {NULL}},
        {"k09", "k09\x01", 0, {"k09", NULL}},
        {"k05", "k05/y", 0, {"k05", "k05/x", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cairn_iter *it = NULL;
        assert_ok(cairn_range(s, cases[i].start, cases[i].end, cases[i].limit, &it));
        char *got = cf_drain(it, NULL);
        cf_expect_keys(got, cases[i].want);
        free(got);
    }
    /* a limit applied after sorting, across batches */
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "z/%03d", 299 - i);
        assert_ok(cf_put(s, key, "1", CAIRN_FAIL_IF_EXISTS));
    }
    cairn_iter *it;
    assert_ok(cairn_range(s, "z/", NULL, 260, &it));
    size_t n;
    char *got = cf_drain(it, &n);
    assert_int_equal(n, 260);
    assert_memory_equal(got, "z/000\nz/001", 11);
    assert_string_equal(got + strlen(got) - 5, "z/259");
    free(got);
    assert_rc(cairn_range(s, NULL, NULL, 0, NULL), CAIRN_EINVAL);
}

static void iterate_many_with_writes(void **state)
{
    cairn_store *s = FX(state)->s;
    char key[32];
    enum { N = 600 }; /* more than two batches of 256 */
    cairn_put_item items[N];
    char keys[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "it/%04d", 2 * i); /* even numbers */
        items[i] = (cairn_put_item){keys[i], "1", 1, 0};
    }
    assert_ok(cairn_put_many(s, items, N, NULL));
    uint64_t c;
    assert_ok(cairn_count(s, "it", &c));
    assert_int_equal(c, N);

    cairn_iter *it;
    assert_ok(cairn_list(s, "it", &it));
    /* a second iterator interleaved with the first */
    cairn_iter *it2;
    assert_ok(cairn_list(s, "it", &it2));
    const char *k;
    size_t kl;
    assert_ok(cairn_iter_next(it2, &k, &kl)); /* loads its first batch */
    assert_string_equal(k, "it/0000");
    char prev[32] = "";
    bool seen[2 * N + 2] = {false};
    int n = 0, rc;
    while ((rc = cairn_iter_next(it, &k, &kl)) == CAIRN_OK) {
        if (prev[0] && strcmp(prev, k) >= 0)
            fail_msg("iterator yielded %s after %s", k, prev);
        snprintf(prev, sizeof prev, "%s", k);
        int num = atoi(k + 3);
        assert_true(num >= 0 && num < 2 * N + 2);
        assert_false(seen[num]);
        seen[num] = true;
        n++;
        if (n == 300) { /* in the second batch: write behind and ahead */
            assert_ok(cf_put(s, "it/0001", "1", CAIRN_FAIL_IF_EXISTS));
            assert_ok(cf_put(s, "it/0599", "1", CAIRN_FAIL_IF_EXISTS)); /* just behind */
            assert_ok(cf_put(s, "it/0601", "1", CAIRN_FAIL_IF_EXISTS)); /* just ahead */
            assert_ok(cf_put(s, "it/1199", "1", CAIRN_FAIL_IF_EXISTS));
            assert_ok(cf_put(s, "it/0900", "2", CAIRN_OVERWRITE));
            assert_ok(cairn_delete(s, "it/1000"));
            for (int j = 0; j < 5; j++) /* the other iterator moves on */
                assert_ok(cairn_iter_next(it2, &k, &kl));
            assert_string_equal(k, "it/0010");
        }
        if (n == 520) /* in the third batch */
            assert_ok(cf_put(s, "it/1201", "1", CAIRN_FAIL_IF_EXISTS));
    }
    assert_rc(rc, CAIRN_DONE);
    cairn_iter_free(it);
    /* every key that was there all along was seen once */
    for (int i = 0; i < N; i++)
        if (2 * i != 1000 && !seen[2 * i])
            fail_msg("it/%04d was never yielded", 2 * i);
    assert_false(seen[599]); /* behind the cursor when written */
    /* the other iterator still works after the writes, and sees them */
    char *rest = cf_drain(it2, NULL);
    assert_non_null(strstr(rest, "it/0601"));
    assert_non_null(strstr(rest, "it/1201"));
    assert_null(strstr(rest, "it/1000"));
    free(rest);
    assert_ok(cairn_count(s, "it", &c));
    assert_int_equal(c, N + 4 - 1 + 1);
    /* freeing a half-used iterator is fine */
    assert_ok(cairn_list(s, "it", &it));
    assert_ok(cairn_iter_next(it, &k, NULL));
    cairn_iter_free(it);
    cairn_iter_free(NULL);
    snprintf(key, sizeof key, "%s", "done");
    (void)key;
}

static void iterator_metadata(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_put_opts text = {.format = CAIRN_FORMAT_TEXT, .ttl_ms = 3600 * 1000};
    cairn_put_opts bytes = {.format = CAIRN_FORMAT_BYTES};
    cairn_put_opts model = {.model = "ns/m@1"};
    assert_ok(cairn_model_register(s, "ns/m", "{\"type\":\"object\"}", 17, 0, NULL));
    assert_ok(cairn_put(s, "m/d", "{\"d\":4}", 7, &model));
    assert_ok(cairn_put(s, "m/a", "{\"a\":1}", 7, NULL));
    assert_ok(cairn_put(s, "m/b", "text value", 10, &text));
    char big[5000];
    memset(big, 'x', sizeof big);
    assert_ok(cairn_put(s, "m/c", big, sizeof big, &bytes));
    assert_ok(cf_put(s, "m/a", "[2]", CAIRN_OVERWRITE));
    cairn_iter *it;
    assert_ok(cairn_list(s, "m", &it));
    cairn_meta m;
    assert_rc(cairn_iter_meta(it, &m), CAIRN_EINVAL); /* no current key yet */
    const char *k;
    int n = 0;
    while (cairn_iter_next(it, &k, NULL) == CAIRN_OK) {
        n++;
        assert_ok(cairn_iter_meta(it, &m));
        cairn_value *v;
        assert_ok(cairn_get(s, k, &v));
        const cairn_meta *g = cairn_value_meta(v);
        assert_int_equal(m.version, g->version);
        assert_int_equal(m.format, g->format);
        assert_int_equal(m.created_ms, g->created_ms);
        assert_int_equal(m.updated_ms, g->updated_ms);
        assert_int_equal(m.expires_ms, g->expires_ms);
        assert_int_equal(m.size, g->size);
        assert_int_equal(m.checksum, g->checksum);
        assert_string_equal(m.model, g->model);
        /* m/c (5000 equal bytes) is stored compressed, the others not. */
        assert_string_equal(m.compression, strcmp(k, "m/c") ? "none" : "zstd");
        assert_string_equal(m.compression, g->compression);
        assert_int_equal(m.stored_size, g->stored_size);
        assert_null(m.user_meta);
        cairn_value_free(v);
    }
    assert_int_equal(n, 4);
    cairn_iter_free(it);
    assert_ok(cairn_range(s, "m/c", NULL, 0, &it));
    assert_ok(cairn_iter_next(it, &k, NULL));
    assert_ok(cairn_iter_meta(it, &m));
    assert_int_equal(m.size, sizeof big);
    assert_string_equal(m.model, "");
    assert_int_equal(m.format, CAIRN_FORMAT_BYTES);
    assert_ok(cairn_iter_next(it, &k, NULL));
    assert_ok(cairn_iter_meta(it, &m));
    assert_string_equal(k, "m/d");
    assert_string_equal(m.model, "ns/m@1");
    cairn_iter_free(it);
    assert_rc(cairn_iter_meta(NULL, &m), CAIRN_EINVAL);
}

static void delete_by_prefix(void **state)
{
    cairn_store *s = FX(state)->s;
    put_keys(s, (const char *const[]){"teams", "teams/eng", "teams/eng/alice", "teams2",
                                      "teams2/x", "teams-x", "teams.x", "team", NULL});
    char key[32];
    for (int i = 0; i < 300; i++) { /* more than one sweep batch */
        snprintf(key, sizeof key, "teams/bulk/%03d", i);
        assert_ok(cf_put(s, key, "1", CAIRN_FAIL_IF_EXISTS));
    }
    uint64_t n = 0;
    assert_ok(cairn_delete_prefix(s, "teams", &n));
    assert_int_equal(n, 303);
    expect_list(s, NULL, (const char *const[]){"team", "teams-x", "teams.x", "teams2",
                                               "teams2/x", NULL});
    assert_ok(cairn_delete_prefix(s, "teams", &n));
    assert_int_equal(n, 0);
    assert_ok(cairn_delete_prefix(s, "teams2/x", &n)); /* a leaf */
    assert_int_equal(n, 1);
    assert_ok(cairn_exists(s, "teams2"));
    assert_ok(cairn_delete_prefix(s, "/team/", NULL));
    expect_list(s, NULL, (const char *const[]){"teams-x", "teams.x", "teams2", NULL});
    /* the freed keys can be written again */
    assert_ok(cf_put(s, "teams/eng", "2", CAIRN_FAIL_IF_EXISTS));
    cf_expect_str(s, "teams/eng", "2");
    assert_rc(cairn_delete_prefix(s, NULL, &n), CAIRN_EINVAL);
    assert_rc(cairn_delete_prefix(s, "", &n), CAIRN_EKEY); /* never "everything" */
}

/* cairn_clear removes every user record (expired ones too) and keeps the
 * library's own: the model registry. */
static void clear_all(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(cairn_model_register(s, "ns/any", "{}", 2, 0, NULL));
    put_keys(s, (const char *const[]){"a", "a/b", "z/y/x", "~", NULL});
    cairn_put_opts brief = {.ttl_ms = 1};
    assert_ok(cairn_put(s, "gone", "1", 1, &brief));
    char key[32];
    for (int i = 0; i < 300; i++) { /* more than one sweep batch */
        snprintf(key, sizeof key, "bulk/%03d", i);
        assert_ok(cf_put(s, key, "1", CAIRN_FAIL_IF_EXISTS));
    }
    tr_sleep_ms(20);
    uint64_t n = 0, count = 9;
    assert_ok(cairn_clear(s, &n));
    assert_int_equal(n, 304);
    assert_ok(cairn_count(s, NULL, &count));
    assert_int_equal(count, 0);
    cairn_stats st;
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.expired, 0);
    char ref[CAIRN_MODEL_MAX + 1];
    assert_ok(cairn_model_resolve(s, "ns/any", ref)); /* the registry stays */
    assert_ok(cairn_clear(s, &n)); /* an empty store */
    assert_int_equal(n, 0);
    assert_ok(cairn_clear(s, NULL));
    assert_ok(cf_put(s, "a", "2", CAIRN_FAIL_IF_EXISTS));
    cf_expect_str(s, "a", "2");
    assert_rc(cairn_clear(NULL, &n), CAIRN_EINVAL);
}

static void reserved_keys_hidden(void **state)
{
    cf_fx *fx = FX(state);
    cf_reopen_tap(fx);
    cairn_store *s = fx->s;
    const char *const raw[] = {"_cairn", "_cairn/processes/p", "_cairn/registry/ns/m", NULL};
    for (size_t i = 0; i < 3; i++) {
        size_t n;
        char *rec = cf_make_record("{}", 2, CAIRN_FORMAT_JSON, &n);
        cf_raw_put(raw[i], rec, n);
        free(rec);
    }
    put_keys(s, (const char *const[]){"_cairnx", "a", "_b", "z", NULL});
    const char *const visible[] = {"_b", "_cairnx", "a", "z", NULL};
    expect_list(s, NULL, visible);
    expect_list(s, "", visible);
    cairn_iter *it;
    assert_ok(cairn_range(s, NULL, NULL, 0, &it));
    char *got = cf_drain(it, NULL);
    cf_expect_keys(got, visible);
    free(got);
    cairn_stats st;
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.keys, 4);
    /* asked for by name, the library's own keys are there */
    expect_list(s, "_cairn", raw);
    expect_list(s, "_cairn/registry", (const char *const[]){"_cairn/registry/ns/m", NULL});
    assert_ok(cairn_exists(s, "_cairn/registry/ns/m"));
    cf_expect_str(s, "_cairn/processes/p", "{}");
    assert_ok(cairn_range(s, "_cairn", "_cairn0", 0, &it));
    got = cf_drain(it, NULL);
    cf_expect_keys(got, raw);
    free(got);
    /* deleting everything a user can see leaves them */
    uint64_t n;
    const char *const del[] = {"_b", "_cairnx", "a", "z"};
    assert_ok(cairn_delete_many(s, del, 4, &n));
    assert_int_equal(n, 4);
    expect_list(s, "_cairn", raw);
}

/* A raw prefix matches the bytes of the key, not whole segments. */
static void list_raw_prefix(void **state)
{
    cairn_store *s = FX(state)->s;
    put_keys(s, (const char *const[]){"item:1", "item:22", "item:1/x", "item", "items",
                                      "itemx", "a", "a/b", "a/b/c", "a/bc", NULL});
    const char *const items[] = {"item:1", "item:1/x", "item:22", NULL};
    expect_raw(s, "item:", items);
    expect_list(s, "item:", (const char *const[]){NULL}); /* no such segment */
    expect_raw(s, "item:1", (const char *const[]){"item:1", "item:1/x", NULL});
    expect_raw(s, "a/b", (const char *const[]){"a/b", "a/b/c", "a/bc", NULL});
    expect_list(s, "a/b", (const char *const[]){"a/b", "a/b/c", NULL});
    /* "a" is a segment match of "a/" (normalised to "a"), not a raw one */
    expect_raw(s, "a/", (const char *const[]){"a/b", "a/b/c", "a/bc", NULL});
    expect_list(s, "a/", (const char *const[]){"a", "a/b", "a/b/c", "a/bc", NULL});
    expect_raw(s, "//a", (const char *const[]){NULL}); /* not normalised */
    expect_raw(s, "item:3", (const char *const[]){NULL});
    expect_raw(s, "\xff", (const char *const[]){NULL}); /* no upper bound */
    expect_raw(s, "a\xff", (const char *const[]){NULL});
    size_t all;
    free(cf_list(s, NULL, &all));
    assert_int_equal(all, 10);
    uint64_t c;
    assert_ok(cairn_count_raw(s, "", &c));
    assert_int_equal(c, 10);
    assert_ok(cairn_count_raw(s, NULL, &c));
    assert_int_equal(c, 10);
    /* more than one batch of the iterator, keys after them left out */
    char key[32];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "bulk:%03d", i);
        assert_ok(cf_put(s, key, "1", CAIRN_FAIL_IF_EXISTS));
    }
    put_keys(s, (const char *const[]){"bulk", "bulk/x", "bulkz", NULL});
    cairn_iter *it;
    assert_ok(cairn_list_raw(s, "bulk:", &it));
    size_t n = 0;
    free(cf_drain(it, &n));
    assert_int_equal(n, 300);
    assert_ok(cairn_count_raw(s, "bulk:", &c));
    assert_int_equal(c, 300);
    char big[CAIRN_KEY_MAX + 2];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_rc(cairn_list_raw(s, big, &it), CAIRN_EINVAL);
    assert_rc(cairn_count_raw(s, big, &c), CAIRN_EINVAL);
    assert_rc(cairn_list_raw(s, "a", NULL), CAIRN_EINVAL);
}

static void delete_by_raw_prefix(void **state)
{
    cairn_store *s = FX(state)->s;
    put_keys(s, (const char *const[]){"item:1", "item:2/x", "item", "items", "a", "a/b",
                                      "a/b/c", "a/bc", NULL});
    char key[32];
    for (int i = 0; i < 300; i++) { /* more than one sweep batch */
        snprintf(key, sizeof key, "item:bulk/%03d", i);
        assert_ok(cf_put(s, key, "1", CAIRN_FAIL_IF_EXISTS));
    }
    uint64_t n = 0;
    assert_ok(cairn_delete_prefix_raw(s, "item:", &n));
    assert_int_equal(n, 302);
    expect_list(s, NULL, (const char *const[]){"a", "a/b", "a/b/c", "a/bc", "item", "items",
                                               NULL});
    assert_ok(cairn_delete_prefix_raw(s, "item:", &n));
    assert_int_equal(n, 0);
    assert_ok(cairn_delete_prefix_raw(s, "a/", &n)); /* not "a" itself */
    assert_int_equal(n, 3);
    expect_list(s, NULL, (const char *const[]){"a", "item", "items", NULL});
    assert_ok(cairn_delete_prefix_raw(s, "ite", NULL));
    expect_list(s, NULL, (const char *const[]){"a", NULL});
    assert_ok(cf_put(s, "item:1", "2", CAIRN_FAIL_IF_EXISTS)); /* writable again */
    cf_expect_str(s, "item:1", "2");
    /* never "everything" */
    assert_rc(cairn_delete_prefix_raw(s, NULL, &n), CAIRN_EINVAL);
    assert_rc(cairn_delete_prefix_raw(s, "", &n), CAIRN_EINVAL);
    expect_list(s, NULL, (const char *const[]){"a", "item:1", NULL});
}

/* No raw prefix lists, counts or deletes the library's own records. */
static void raw_prefix_hides_reserved(void **state)
{
    cf_fx *fx = FX(state);
    cf_reopen_tap(fx);
    cairn_store *s = fx->s;
    const char *const raw[] = {"_cairn", "_cairn/processes/p", "_cairn/registry/ns/m", NULL};
    for (size_t i = 0; i < 3; i++) {
        size_t n;
        char *rec = cf_make_record("{}", 2, CAIRN_FORMAT_JSON, &n);
        cf_raw_put(raw[i], rec, n);
        free(rec);
    }
    put_keys(s, (const char *const[]){"_cairnx", "_b", "a", NULL});
    expect_raw(s, "", (const char *const[]){"_b", "_cairnx", "a", NULL});
    expect_raw(s, NULL, (const char *const[]){"_b", "_cairnx", "a", NULL});
    expect_raw(s, "_", (const char *const[]){"_b", "_cairnx", NULL});
    expect_raw(s, "_cairn", (const char *const[]){"_cairnx", NULL});
    expect_raw(s, "_cairn/", (const char *const[]){NULL});
    uint64_t n = 0;
    assert_rc(cairn_delete_prefix_raw(s, "_cairn", &n), CAIRN_EKEY);
    assert_rc(cairn_delete_prefix_raw(s, "_cairn/", &n), CAIRN_EKEY);
    assert_rc(cairn_delete_prefix_raw(s, "_cairn/registry", &n), CAIRN_EKEY);
    expect_list(s, "_cairn", raw);
    assert_ok(cairn_delete_prefix_raw(s, "_", &n));
    assert_int_equal(n, 2);
    assert_ok(cairn_delete_prefix_raw(s, "_cai", &n));
    assert_int_equal(n, 0);
    expect_list(s, NULL, (const char *const[]){"a", NULL});
    expect_list(s, "_cairn", raw); /* all still there */
}

const tr_case cf_listing_cases[] = {
    TR_CASE(list_whole_segments, TR_NONE, 0),
    TR_CASE(list_bytewise_order, TR_NONE, 0),
    TR_CASE(range_bounds_and_limit, TR_NONE, 0),
    TR_CASE(iterate_many_with_writes, TR_NONE, 0),
    TR_CASE(iterator_metadata, TR_NONE, 0),
    TR_CASE(delete_by_prefix, TR_NONE, 0),
    TR_CASE(clear_all, TR_NONE, 0),
    TR_CASE(reserved_keys_hidden, TR_NONE, 0),
    TR_CASE(list_raw_prefix, TR_NONE, 0),
    TR_CASE(delete_by_raw_prefix, TR_NONE, 0),
    TR_CASE(raw_prefix_hides_reserved, TR_NONE, 0),
};
const size_t cf_listing_ncases = CF_NCASES(cf_listing_cases);
