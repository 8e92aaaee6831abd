/*
 * ttl.c — conformance: per-record and default TTLs. An expired record is
 * absent everywhere (get, exists, list, range, count, set behaviours) and
 * purge removes it. TTLs are short and sleeps generous: no case asserts a
 * duration, only what is visible after the deadline has surely passed.
 */
#include "conf.h"

#define SHORT_TTL 50
#define WAIT_MS 250 /* well past SHORT_TTL */

static void put_ttl(cairn_store *s, const char *key, const char *val, int64_t ttl,
                    cairn_behavior b)
{
    cairn_put_opts o = {.behavior = b, .ttl_ms = ttl};
    assert_ok(cairn_put(s, key, val, strlen(val), &o));
}

static bool listed(cairn_store *s, const char *prefix, const char *key)
{
    char *all = cf_list(s, prefix, NULL);
    bool found = false;
    for (char *p = all; p && *p;) {
        char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l == strlen(key) && !memcmp(p, key, l))
            found = true;
        p = nl ? nl + 1 : NULL;
    }
    free(all);
    return found;
}

static void ttl_expiry_everywhere(void **state)
{
    cairn_store *s = FX(state)->s;
    put_ttl(s, "t/short", "1", SHORT_TTL, CAIRN_FAIL_IF_EXISTS);
    put_ttl(s, "t/long", "2", 3600 * 1000, CAIRN_FAIL_IF_EXISTS);
    put_ttl(s, "t/never", "3", -1, CAIRN_FAIL_IF_EXISTS);
    put_ttl(s, "t/default", "4", 0, CAIRN_FAIL_IF_EXISTS); /* no store default */
    /* (t/short is never read before its deadline: on a loaded machine it
     * may already be gone) */
    cairn_meta m = cf_meta(s, "t/long");
    assert_int_equal(m.expires_ms, m.updated_ms + 3600 * 1000);
    assert_int_equal(cf_meta(s, "t/never").expires_ms, 0);
    assert_int_equal(cf_meta(s, "t/default").expires_ms, 0);

    tr_sleep_ms(WAIT_MS);
    cairn_value *v = NULL;
    assert_rc(cairn_get(s, "t/short", &v), CAIRN_ENOTFOUND);
    assert_null(v);
    assert_rc(cairn_exists(s, "t/short"), CAIRN_ENOTFOUND);
    assert_false(listed(s, NULL, "t/short"));
    assert_false(listed(s, "t", "t/short"));
    assert_false(listed(s, "t/short", "t/short"));
    assert_true(listed(s, "t", "t/long"));
    cairn_iter *it;
    assert_ok(cairn_range(s, "t/", "t0", 0, &it));
    char *keys = cf_drain(it, NULL);
    cf_expect_keys(keys, (const char *const[]){"t/default", "t/long", "t/never", NULL});
    free(keys);
    /* a limit counts live keys only */
    assert_ok(cairn_range(s, "t/", NULL, 3, &it));
    keys = cf_drain(it, NULL);
    cf_expect_keys(keys, (const char *const[]){"t/default", "t/long", "t/never", NULL});
    free(keys);
    uint64_t n = 0;
    assert_ok(cairn_count(s, "t", &n));
    assert_int_equal(n, 3);
    assert_ok(cairn_count(s, NULL, &n));
    assert_int_equal(n, 3);
    cairn_stats st;
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.keys, 3);
    assert_int_equal(st.expired, 1);
    const char *k = "t/short";
    cairn_value *out[1] = {NULL};
    assert_ok(cairn_get_many(s, &k, 1, out));
    assert_null(out[0]);
    /* delete of an expired record: not found (but it goes) */
    assert_rc(cairn_delete(s, "t/short"), CAIRN_ENOTFOUND);
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.expired, 0);
}

static void ttl_and_set_behaviours(void **state)
{
    cairn_store *s = FX(state)->s;
    const char *keys[] = {"fail", "skip", "diff", "cas", "over", "upd"};
    for (size_t i = 0; i < 6; i++)
        put_ttl(s, keys[i], "\"old\"", SHORT_TTL, CAIRN_FAIL_IF_EXISTS);
    tr_sleep_ms(WAIT_MS);
    /* over an expired record every behaviour acts as on an absent key */
    assert_ok(cf_put(s, "fail", "\"new\"", CAIRN_FAIL_IF_EXISTS));
    assert_rc(cf_put(s, "skip", "\"new\"", CAIRN_SKIP_IF_EXISTS), CAIRN_OK);
    assert_ok(cf_put(s, "diff", "\"new\"", CAIRN_FAIL_IF_DIFFERENT));
    assert_ok(cf_put(s, "over", "\"new\"", CAIRN_OVERWRITE));
    cairn_put_opts cas = {.if_version = 1};
    assert_rc(cairn_put(s, "cas", "\"new\"", 5, &cas), CAIRN_ENOTFOUND);
    for (size_t i = 0; i < 6; i++) {
        if (!strcmp(keys[i], "cas") || !strcmp(keys[i], "upd"))
            continue;
        cf_expect_str(s, keys[i], "\"new\"");
        cairn_meta m = cf_meta(s, keys[i]);
        assert_int_equal(m.expires_ms, 0); /* the new record has no TTL */
        /* a new life: created anew, the version number goes on */
        assert_int_equal(m.created_ms, m.updated_ms);
        assert_int_equal(m.version, 2);
    }
    assert_rc(cairn_exists(s, "cas"), CAIRN_ENOTFOUND);
    /* the new records stay */
    uint64_t n;
    assert_ok(cairn_count(s, NULL, &n));
    assert_int_equal(n, 4);
}

static void ttl_incr_and_update(void **state)
{
    cairn_store *s = FX(state)->s;
    /* incr keeps a live record's TTL */
    put_ttl(s, "live", "10", 3600 * 1000, CAIRN_FAIL_IF_EXISTS);
    cairn_meta before = cf_meta(s, "live");
    int64_t v;
    assert_ok(cairn_incr(s, "live", 1, &v));
    assert_int_equal(v, 11);
    assert_int_equal(cf_meta(s, "live").expires_ms, before.expires_ms);
    /* incr over an expired record starts from zero, and the result is live */
    put_ttl(s, "dead", "10", SHORT_TTL, CAIRN_FAIL_IF_EXISTS);
    tr_sleep_ms(WAIT_MS);
    assert_ok(cairn_incr(s, "dead", 1, &v));
    assert_int_equal(v, 1);
    cf_expect_str(s, "dead", "1");
    assert_ok(cairn_incr(s, "dead", 1, &v));
    assert_int_equal(v, 2);
    /* update sees an expired record as absent */
    put_ttl(s, "u", "10", SHORT_TTL, CAIRN_FAIL_IF_EXISTS);
    tr_sleep_ms(WAIT_MS);
    assert_ok(cairn_incr(s, "u", 5, &v));
    assert_int_equal(v, 5);
    cf_expect_str(s, "u", "5");
}

static void ttl_store_default(void **state)
{
    cf_fx *fx = FX(state);
    /* the default lands in the metadata (a long one, to read it back) */
    cairn_options opt = {.default_ttl_ms = 3600 * 1000};
    cf_reopen(fx, &opt);
    put_ttl(fx->s, "meta", "1", 0, CAIRN_FAIL_IF_EXISTS);
    cairn_meta m = cf_meta(fx->s, "meta");
    assert_int_equal(m.expires_ms, m.updated_ms + 3600 * 1000);
    /* and a short one expires */
    opt.default_ttl_ms = SHORT_TTL;
    cf_reopen(fx, &opt);
    cairn_store *s = fx->s;
    put_ttl(s, "d/default", "1", 0, CAIRN_FAIL_IF_EXISTS);
    put_ttl(s, "d/never", "2", -1, CAIRN_FAIL_IF_EXISTS);
    put_ttl(s, "d/long", "3", 3600 * 1000, CAIRN_FAIL_IF_EXISTS);
    assert_ok(cairn_put(s, "d/null-opts", "4", 1, NULL));
    int64_t v;
    assert_ok(cairn_incr(s, "d/counter", 1, &v)); /* new record: the default */
    cairn_put_item items[2] = {{"d/many1", "1", 1, 0}, {"d/many2", "2", 1, 0}};
    assert_ok(cairn_put_many(s, items, 2, NULL));
    assert_int_equal(cf_meta(s, "d/never").expires_ms, 0);
    tr_sleep_ms(WAIT_MS);
    char *keys = cf_list(s, "d", NULL);
    cf_expect_keys(keys, (const char *const[]){"d/long", "d/never", NULL});
    free(keys);
    assert_rc(cairn_exists(s, "d/default"), CAIRN_ENOTFOUND);
    assert_rc(cairn_exists(s, "d/null-opts"), CAIRN_ENOTFOUND);
    assert_rc(cairn_exists(s, "d/counter"), CAIRN_ENOTFOUND);
    assert_rc(cairn_exists(s, "d/many1"), CAIRN_ENOTFOUND);
    /* a negative default means never */
    opt.default_ttl_ms = -5;
    cf_reopen(fx, &opt);
    assert_ok(cairn_put(fx->s, "n", "1", 1, NULL));
    assert_int_equal(cf_meta(fx->s, "n").expires_ms, 0);
}

static void ttl_purge(void **state)
{
    cairn_store *s = FX(state)->s;
    char key[32];
    for (int i = 0; i < 300; i++) { /* more than one purge batch */
        snprintf(key, sizeof key, "p/%03d", i);
        put_ttl(s, key, "1", i % 3 ? SHORT_TTL : -1, CAIRN_FAIL_IF_EXISTS);
    }
    put_ttl(s, "q", "1", SHORT_TTL, CAIRN_FAIL_IF_EXISTS);
    tr_sleep_ms(WAIT_MS);
    cairn_stats st;
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.keys, 100);
    assert_int_equal(st.expired, 201);
    uint64_t n = 0;
    assert_ok(cairn_purge_expired(s, &n));
    assert_int_equal(n, 201);
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.keys, 100);
    assert_int_equal(st.expired, 0);
    assert_ok(cairn_purge_expired(s, &n));
    assert_int_equal(n, 0);
    assert_ok(cairn_purge_expired(s, NULL));
    uint64_t c;
    assert_ok(cairn_count(s, "p", &c));
    assert_int_equal(c, 100);
    assert_ok(cairn_exists(s, "p/000"));
    assert_rc(cairn_exists(s, "p/001"), CAIRN_ENOTFOUND);
}

/* fx's URL with "default_ttl=TTL" added to its query. */
static cairn_store *open_with_default_ttl(const cf_fx *fx, const char *ttl,
                                          const cairn_options *opt, int *rc)
{
    char url[sizeof fx->url + 64];
    snprintf(url, sizeof url, "%s%cdefault_ttl=%s", fx->url, strchr(fx->url, '?') ? '&' : '?',
             ttl);
    cairn_store *s = NULL;
    *rc = cairn_store_open(url, opt, &s);
    return s;
}

/* ?default_ttl=DURATION in any backend's URL is the store default: the
 * backend sees its URL without it (the same records), puts that give no TTL
 * get it, cairn_options.default_ttl_ms (when set) wins, and a bad one is
 * CAIRN_EURL naming it. */
static void ttl_url_default(void **state)
{
    cf_fx *fx = FX(state);
    int rc;
    cairn_store *s = open_with_default_ttl(fx, "1h", NULL, &rc);
    if (rc)
        fail_msg("open %s with default_ttl=1h: %s", fx->url, cairn_errmsg());
    put_ttl(s, "u/meta", "1", 0, CAIRN_FAIL_IF_EXISTS);
    cairn_meta m = cf_meta(s, "u/meta");
    assert_int_equal(m.expires_ms, m.updated_ms + 3600 * 1000);
    if (cf_be->persistent) /* the same store as fx's URL */
        assert_ok(cairn_exists(fx->s, "u/meta"));
    cairn_store_close(s);
    /* an explicit option wins: -1 is never */
    cairn_options never = {.default_ttl_ms = -1};
    s = open_with_default_ttl(fx, "1h", &never, &rc);
    assert_ok(rc);
    assert_ok(cairn_put(s, "u/option", "4", 1, NULL));
    assert_int_equal(cf_meta(s, "u/option").expires_ms, 0);
    cairn_store_close(s);

    s = open_with_default_ttl(fx, "50ms", NULL, &rc);
    assert_ok(rc);
    put_ttl(s, "v/default", "1", 0, CAIRN_FAIL_IF_EXISTS);
    assert_ok(cairn_put(s, "v/null-opts", "2", 1, NULL));
    put_ttl(s, "v/never", "3", -1, CAIRN_FAIL_IF_EXISTS);
    tr_sleep_ms(WAIT_MS);
    char *keys = cf_list(s, "v", NULL);
    cf_expect_keys(keys, (const char *const[]){"v/never", NULL});
    free(keys);
    cairn_store_close(s);

    s = open_with_default_ttl(fx, "5x", NULL, &rc);
    assert_rc(rc, CAIRN_EURL);
    assert_null(s);
    if (!strstr(cairn_errmsg(), "default_ttl") || !strstr(cairn_errmsg(), "'5x'"))
        fail_msg("bad default_ttl: message '%s'", cairn_errmsg());
    /* refused even where the option would win (it was thrown away unread) */
    s = open_with_default_ttl(fx, "5x", &never, &rc);
    assert_rc(rc, CAIRN_EURL);
    assert_null(s);
}

const tr_case cf_ttl_cases[] = {
    TR_CASE(ttl_expiry_everywhere, TR_NONE, 0),
    TR_CASE(ttl_and_set_behaviours, TR_NONE, 0),
    TR_CASE(ttl_incr_and_update, TR_NONE, 0),
    TR_CASE(ttl_store_default, TR_NONE, 0),
    TR_CASE(ttl_url_default, TR_NONE, 0),
    TR_CASE(ttl_purge, TR_NONE, 0),
};
const size_t cf_ttl_ncases = CF_NCASES(cf_ttl_cases);
