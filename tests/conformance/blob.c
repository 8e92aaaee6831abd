/*
 * blob.c — compression and blob metadata on every backend: values at or
 * above the threshold come back as they went in, incompressible ones are
 * stored raw, user metadata is checked, kept and carried, and a damaged
 * compressed record is "corrupt", never wrong data.
 */
#define _GNU_SOURCE /* memmem */
#include "conf.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* n bytes of a repetitive but not constant text (compresses well). */
static char *compressible(size_t n)
{
    char *b = malloc(n + 1);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = "abcdefghijklmnopqrstuvwxyz0123456789 "[(i * 7 + i / 64) % 37];
    b[n] = '\0';
    return b;
}

/* n bytes that zstd cannot shrink (xorshift). */
static char *random_bytes(size_t n, uint64_t seed)
{
    char *b = malloc(n + 1);
    assert_non_null(b);
    uint64_t x = seed | 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b[i] = (char)(x >> 32);
    }
    return b;
}

/* The user metadata of key (a static copy), NULL when none. */
static const char *umeta_of(cairn_store *s, const char *key)
{
    static char buf[CAIRN_USER_META_MAX + 1];
    cairn_value *v = NULL;
    int rc = cairn_get(s, key, &v);
    if (rc)
        fail_msg("get %s: %s: %s", key, cairn_strerror(rc), cairn_errmsg());
    const cairn_meta *m = cairn_value_meta(v);
    const char *r = NULL;
    if (m->user_meta) {
        assert_int_equal(strlen(m->user_meta), m->user_meta_len);
        memcpy(buf, m->user_meta, m->user_meta_len + 1);
        r = buf;
    }
    cairn_value_free(v);
    return r;
}

static void expect_bytes(cairn_store *s, const char *key, const void *want, size_t len,
                         const char *zip)
{
    cairn_value *v = NULL;
    assert_ok(cairn_get(s, key, &v));
    size_t got;
    const char *d = cairn_value_data(v, &got);
    assert_int_equal(got, len);
    assert_memory_equal(d, want, len);
    assert_int_equal(d[len], '\0');
    const cairn_meta *m = cairn_value_meta(v);
    assert_int_equal(m->size, len);
    assert_string_equal(m->compression, zip);
    if (!strcmp(zip, "zstd"))
        assert_true(m->stored_size < len);
    else
        assert_int_equal(m->stored_size, len);
    assert_int_equal(m->checksum, cairn__hash(want, len));
    cairn_value_free(v);
}

static void compress_at_threshold(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *s = fx->s;
    cairn_put_opts o = {.format = CAIRN_FORMAT_TEXT};
    char *big = compressible(64 * 1024);
    assert_ok(cairn_put(s, "z/64k", big, 64 * 1024, &o));
    assert_ok(cairn_put(s, "z/4096", big, 4096, &o)); /* the default threshold */
    assert_ok(cairn_put(s, "z/4095", big, 4095, &o));
    assert_ok(cairn_put(s, "z/100", big, 100, &o));
    expect_bytes(s, "z/64k", big, 64 * 1024, "zstd");
    expect_bytes(s, "z/4096", big, 4096, "zstd");
    expect_bytes(s, "z/4095", big, 4095, "none");
    expect_bytes(s, "z/100", big, 100, "none");
    /* get_many, exists and listing see the same values and metadata. */
    const char *keys[3] = {"z/64k", "z/100", "z/absent"};
    cairn_value *vs[3];
    assert_ok(cairn_get_many(s, keys, 3, vs));
    size_t l;
    assert_memory_equal(cairn_value_data(vs[0], &l), big, 64 * 1024);
    assert_int_equal(l, 64 * 1024);
    assert_string_equal(cairn_value_meta(vs[0])->compression, "zstd");
    assert_memory_equal(cairn_value_data(vs[1], &l), big, 100);
    assert_null(vs[2]);
    for (int i = 0; i < 3; i++)
        cairn_value_free(vs[i]);
    assert_ok(cairn_exists(s, "z/64k"));
    cairn_stats st;
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.value_bytes, 64 * 1024 + 4096 + 4095 + 100);

    /* Overwrite a compressed value with a small one and back. */
    assert_ok(cairn_put(s, "z/64k", "small", 5, &(cairn_put_opts){.behavior = CAIRN_OVERWRITE,
                                                                   .format = CAIRN_FORMAT_TEXT}));
    expect_bytes(s, "z/64k", "small", 5, "none");
    free(big);
}

static void compress_options(void **state)
{
    cf_fx *fx = FX(state);
    char *big = compressible(32 * 1024);
    cairn_put_opts o = {.format = CAIRN_FORMAT_BYTES, .behavior = CAIRN_OVERWRITE};

    cairn_options off = {.compress_threshold = -1};
    cf_reopen(fx, &off);
    assert_ok(cairn_put(fx->s, "o/off", big, 32 * 1024, &o));
    expect_bytes(fx->s, "o/off", big, 32 * 1024, "none");

    cairn_options low = {.compress_threshold = 200, .compress_level = 19};
    cf_reopen(fx, &low);
    assert_ok(cairn_put(fx->s, "o/low", big, 300, &o));
    expect_bytes(fx->s, "o/low", big, 300, "zstd");
    assert_ok(cairn_put(fx->s, "o/below", big, 199, &o));
    expect_bytes(fx->s, "o/below", big, 199, "none");
    if (cf_be->persistent) /* written without compression, read with it on */
        expect_bytes(fx->s, "o/off", big, 32 * 1024, "none");

    cairn_options fast = {.compress_level = -5};
    cf_reopen(fx, &fast);
    assert_ok(cairn_put(fx->s, "o/fast", big, 32 * 1024, &o));
    expect_bytes(fx->s, "o/fast", big, 32 * 1024, "zstd");
    if (cf_be->persistent)
        expect_bytes(fx->s, "o/low", big, 300, "zstd");

    /* A level zstd does not have: refused at open. */
    cairn_store *bad = NULL;
    cairn_options wrong = {.compress_level = 99};
    assert_rc(cairn_store_open(fx->url, &wrong, &bad), CAIRN_EINVAL);
    assert_errmsg_has("compression level 99");
    assert_null(bad);
    free(big);
}

static void incompressible_stored_raw(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_put_opts o = {.format = CAIRN_FORMAT_BYTES};
    char *noise = random_bytes(64 * 1024, 42);
    assert_ok(cairn_put(s, "r/noise", noise, 64 * 1024, &o));
    expect_bytes(s, "r/noise", noise, 64 * 1024, "none");
    /* Half noise, half text: compressed only if it saves space, and
     * either way read back exactly. */
    char *mix = compressible(64 * 1024);
    memcpy(mix, noise, 32 * 1024);
    assert_ok(cairn_put(s, "r/mix", mix, 64 * 1024, &o));
    expect_bytes(s, "r/mix", mix, 64 * 1024, "zstd");
    free(noise);
    free(mix);
}

static void compressed_behaviours(void **state)
{
    cairn_store *s = FX(state)->s;
    char *big = compressible(20000);
    /* A JSON string value, so FAIL_IF_DIFFERENT compares it semantically. */
    big[0] = '"';
    big[19999] = '"';
    cairn_put_opts o = {.behavior = CAIRN_FAIL_IF_DIFFERENT};
    assert_ok(cairn_put(s, "b/json", big, 20000, &o));
    assert_ok(cairn_put(s, "b/json", big, 20000, &o)); /* equal: no write */
    assert_int_equal(cf_meta(s, "b/json").version, 1);
    char was = big[100];
    big[100] = was == 'a' ? 'b' : 'a';
    assert_rc(cairn_put(s, "b/json", big, 20000, &o), CAIRN_EDIFFERENT);
    big[100] = was;
    /* Compare-and-set and skip read only the header. */
    assert_rc(cairn_put(s, "b/json", "1", 1, &(cairn_put_opts){.if_version = 7}),
              CAIRN_ECONFLICT);
    assert_rc(cairn_put(s, "b/json", "1", 1, &(cairn_put_opts){.behavior = CAIRN_SKIP_IF_EXISTS}),
              CAIRN_SKIPPED);
    expect_bytes(s, "b/json", big, 20000, "zstd");
    free(big);
}

/* update's function sees the value decompressed. */
static int append_x(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    char **out = arg;
    size_t n = 0;
    /* cur may be NULL in a first call (lmdb asks as if the key were absent
     * before it looks): the backend then calls again with the record. */
    const char *d = cur ? cairn_value_data(cur, &n) : "";
    free(*out); /* a backend that retries calls us again */
    *out = malloc(n + 1);
    assert_non_null(*out);
    if (n)
        memcpy(*out, d, n);
    (*out)[n] = 'x';
    *val = *out;
    *len = n + 1;
    return CAIRN_OK;
}

static void update_compressed(void **state)
{
    cairn_store *s = FX(state)->s;
    char *big = compressible(10000);
    cairn_put_opts t = {.format = CAIRN_FORMAT_TEXT, .user_meta = "{\"src\":\"a\"}"};
    assert_ok(cairn_put(s, "u/k", big, 10000, &t));
    char *nv = NULL;
    cairn_put_opts keep = {.format = CAIRN_FORMAT_TEXT};
    assert_ok(cairn_update_v2(s, "u/k", append_x, &nv, &keep));
    big = realloc(big, 10001);
    big[10000] = 'x';
    expect_bytes(s, "u/k", big, 10001, "zstd");
    /* NULL user_meta in an update keeps the record's ... */
    assert_string_equal(umeta_of(s, "u/k"), "{\"src\":\"a\"}");
    /* ... a given one replaces it, "{}" clears it to an empty object. */
    cairn_put_opts repl = {.format = CAIRN_FORMAT_TEXT, .user_meta = "{\"src\":\"b\"}"};
    assert_ok(cairn_update_v2(s, "u/k", append_x, &nv, &repl));
    cairn_meta m = cf_meta(s, "u/k");
    assert_string_equal(umeta_of(s, "u/k"), "{\"src\":\"b\"}");
    assert_int_equal(m.user_meta_len, 11);
    assert_int_equal(m.size, 10002);
    free(nv);
    /* incr keeps it too. */
    cairn_put_opts j = {.user_meta = "{\"unit\":\"runs\"}"};
    assert_ok(cairn_put(s, "u/n", "41", 2, &j));
    int64_t r;
    assert_ok(cairn_incr(s, "u/n", 1, &r));
    assert_int_equal(r, 42);
    assert_string_equal(umeta_of(s, "u/n"), "{\"unit\":\"runs\"}");
    /* A put (OVERWRITE) replaces the whole record: no user_meta, none. */
    assert_ok(cf_put(s, "u/n", "1", CAIRN_OVERWRITE));
    assert_null(umeta_of(s, "u/n"));
    assert_int_equal(cf_meta(s, "u/n").user_meta_len, 0);
    free(big);
}

static void user_meta_round_trip(void **state)
{
    cairn_store *s = FX(state)->s;
    const char *um = "{\"source\":\"x\",\"rows\":12, \"tags\":[\"a\",\"b\"]}";
    cairn_put_opts o = {.user_meta = um, .ttl_ms = 3600 * 1000};
    int64_t before = cairn_now_ms();
    assert_ok(cairn_put(s, "m/a", "{\"v\":1}", 7, &o));
    char *big = compressible(8192);
    cairn_put_opts ob = {.user_meta = um, .format = CAIRN_FORMAT_BYTES};
    assert_ok(cairn_put(s, "m/big", big, 8192, &ob));

    cairn_value *v;
    assert_ok(cairn_get(s, "m/a", &v));
    const cairn_meta *m = cairn_value_meta(v);
    assert_string_equal(m->user_meta, um);
    assert_int_equal(m->user_meta_len, strlen(um));
    assert_int_equal(m->size, 7);
    assert_int_equal(m->stored_size, 7);
    assert_string_equal(m->compression, "none");
    assert_int_equal(m->format, CAIRN_FORMAT_JSON);
    assert_int_equal(m->version, 1);
    assert_true(m->created_ms >= before && m->updated_ms == m->created_ms);
    assert_true(m->expires_ms >= before + 3600 * 1000);
    assert_int_equal(m->checksum, cairn__hash("{\"v\":1}", 7));
    size_t len;
    assert_string_equal(cairn_value_data(v, &len), "{\"v\":1}");
    cairn_value_free(v);
    assert_ok(cairn_get(s, "m/big", &v));
    assert_string_equal(cairn_value_meta(v)->user_meta, um);
    assert_string_equal(cairn_value_meta(v)->compression, "zstd");
    assert_memory_equal(cairn_value_data(v, &len), big, 8192);
    cairn_value_free(v);

    /* Listing reads headers only: no user_meta, but its length. */
    cairn_iter *it;
    assert_ok(cairn_list(s, "m", &it));
    const char *k;
    int n = 0;
    while (cairn_iter_next(it, &k, NULL) == CAIRN_OK) {
        cairn_meta im;
        assert_ok(cairn_iter_meta(it, &im));
        assert_null(im.user_meta);
        assert_int_equal(im.user_meta_len, strlen(um));
        n++;
    }
    assert_int_equal(n, 2);
    cairn_iter_free(it);

    /* put_many carries it too; no user_meta: NULL. */
    cairn_put_item items[2] = {{"m/p1", "1", 1, 0}, {"m/p2", "2", 1, 0}};
    cairn_put_opts pm = {.user_meta = "{\"batch\":1}"};
    assert_ok(cairn_put_many(s, items, 2, &pm));
    assert_string_equal(umeta_of(s, "m/p2"), "{\"batch\":1}");
    assert_ok(cf_put(s, "m/none", "1", CAIRN_FAIL_IF_EXISTS));
    assert_null(umeta_of(s, "m/none"));
    /* Exactly the limit is fine. */
    char *max = malloc(CAIRN_USER_META_MAX + 1);
    assert_non_null(max);
    memset(max, ' ', CAIRN_USER_META_MAX);
    memcpy(max, "{\"a\":\"", 6);
    memset(max + 6, 'q', CAIRN_USER_META_MAX - 8);
    memcpy(max + CAIRN_USER_META_MAX - 2, "\"}", 2);
    max[CAIRN_USER_META_MAX] = '\0';
    cairn_put_opts omax = {.user_meta = max};
    assert_ok(cairn_put(s, "m/max", "1", 1, &omax));
    assert_int_equal(cf_meta(s, "m/max").user_meta_len, CAIRN_USER_META_MAX);
    assert_string_equal(umeta_of(s, "m/max"), max);
    free(max);
    free(big);
}

/* put_array keeps user metadata like cairn_put, compressed or not; the
 * async forms copy it at submit (the caller's buffer is freed at once). */
static void user_meta_arrays_and_async(void **state)
{
    cairn_store *s = FX(state)->s;
    static double e[8192];
    for (int i = 0; i < 8192; i++)
        e[i] = i % 4;
    for (int big = 0; big < 2; big++) {
        cairn_array a = {.dtype = CAIRN_DT_F64, .ndim = 1, .shape = {big ? 8192 : 4},
                         .data = e, .nbytes = (big ? 8192 : 4) * sizeof *e};
        cairn_put_opts o = {.user_meta = "{\"cam\":2}"};
        const char *key = big ? "um/arr-big" : "um/arr";
        assert_ok(cairn_put_array(s, key, &a, &o));
        cairn_value *v;
        assert_ok(cairn_get(s, key, &v));
        const cairn_meta *m = cairn_value_meta(v);
        assert_string_equal(m->compression, big ? "zstd" : "none");
        assert_non_null(m->user_meta);
        assert_string_equal(m->user_meta, "{\"cam\":2}");
        cairn_array b;
        assert_ok(cairn_value_array(v, &b));
        assert_memory_equal(b.data, e, a.nbytes);
        cairn_value_free(v);
    }
    cairn_executor *ex = NULL;
    cairn_executor_opts eo = {.threads = 2};
    assert_ok(cairn_executor_new(&eo, &ex));
    char *um = strdup("{\"from\":\"async\"}");
    assert_non_null(um);
    cairn_put_opts o = {.user_meta = um};
    cairn_future *f = NULL;
    assert_ok(cairn_async_put(ex, s, "um/async", "1", 1, &o, NULL, NULL, &f));
    memset(um, 'x', strlen(um)); /* the job holds its own copy */
    free(um);
    assert_ok(cairn_future_wait(f, 60000));
    assert_int_equal(cairn_future_status(f), CAIRN_OK);
    cairn_future_release(f);
    char *rm_um = strdup("{\"rec\":1}");
    cairn_meta rm = {.format = CAIRN_FORMAT_JSON, .user_meta = rm_um,
                     .checksum = cairn_checksum("2", 1)};
    assert_ok(cairn_async_put_record(ex, s, "um/async-rec", "2", 1, &rm, CAIRN_OVERWRITE,
                                     NULL, NULL, &f));
    free(rm_um);
    assert_ok(cairn_future_wait(f, 60000));
    assert_int_equal(cairn_future_status(f), CAIRN_OK);
    cairn_future_release(f);
    cairn_executor_free(ex);
    cairn_value *v;
    assert_ok(cairn_get(s, "um/async", &v));
    assert_string_equal(cairn_value_meta(v)->user_meta, "{\"from\":\"async\"}");
    cairn_value_free(v);
    assert_ok(cairn_get(s, "um/async-rec", &v));
    assert_string_equal(cairn_value_meta(v)->user_meta, "{\"rec\":1}");
    cairn_value_free(v);
}

static void user_meta_refused(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(cf_put(s, "bad/kept", "{\"v\":1}", CAIRN_FAIL_IF_EXISTS));
    const char *bad[] = {"[1,2]", "\"text\"", "42", "null", "", "   ", "{\"a\":", "{'a':1}",
                         "{\"a\":1} x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cairn_put_opts o = {.user_meta = bad[i], .behavior = CAIRN_OVERWRITE};
        assert_rc(cairn_put(s, "bad/new", "1", 1, &o), CAIRN_EINVAL);
        assert_errmsg_has("user metadata");
        assert_errmsg_has("bad/new");
        assert_rc(cairn_put(s, "bad/kept", "2", 1, &o), CAIRN_EINVAL);
        cairn_put_item it = {"bad/many", "1", 1, 0};
        assert_rc(cairn_put_many(s, &it, 1, &o), CAIRN_EINVAL);
        cairn_meta rm = {.format = CAIRN_FORMAT_JSON, .user_meta = bad[i],
                         .checksum = cairn_checksum("1", 1)};
        assert_rc(cairn_put_record(s, "bad/rec", "1", 1, &rm, CAIRN_OVERWRITE),
                  CAIRN_EINVAL);
        double e[2] = {1, 2};
        cairn_array a = {.dtype = CAIRN_DT_F64, .ndim = 1, .shape = {2}, .data = e,
                         .nbytes = sizeof e};
        assert_rc(cairn_put_array(s, "bad/arr", &a, &o), CAIRN_EINVAL);
        assert_errmsg_has("user metadata");
    }
    /* One byte over the limit. */
    size_t n = CAIRN_USER_META_MAX + 1;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'q', n);
    memcpy(big, "{\"a\":\"", 6);
    memcpy(big + n - 2, "\"}", 2);
    big[n] = '\0';
    cairn_put_opts o = {.user_meta = big};
    assert_rc(cairn_put(s, "bad/new", "1", 1, &o), CAIRN_EINVAL);
    assert_errmsg_has("65537 bytes");
    free(big);
    /* Nothing was written. */
    assert_rc(cairn_exists(s, "bad/new"), CAIRN_ENOTFOUND);
    assert_rc(cairn_exists(s, "bad/many"), CAIRN_ENOTFOUND);
    assert_rc(cairn_exists(s, "bad/rec"), CAIRN_ENOTFOUND);
    assert_rc(cairn_exists(s, "bad/arr"), CAIRN_ENOTFOUND);
    cf_expect_str(s, "bad/kept", "{\"v\":1}");
    assert_int_equal(cf_meta(s, "bad/kept").version, 1);
}

/* Every field a copy carries, to a mem store and back to this backend. */
static void copy_carries_everything(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *s = fx->s;
    char *big = compressible(50000);
    assert_ok(cairn_model_register(s, "ns/m", "{\"type\":\"object\"}", 17, 0, NULL));
    cairn_put_opts o1 = {.user_meta = "{\"k\":\"one\"}", .ttl_ms = 7200 * 1000,
                         .model = "ns/m"};
    cairn_put_opts o2 = {.user_meta = "{\"k\":\"two\"}", .format = CAIRN_FORMAT_TEXT};
    assert_ok(cairn_put(s, "c/json", "{\"a\":1}", 7, &o1));
    assert_ok(cf_put(s, "c/json", "{\"a\":2}", CAIRN_OVERWRITE)); /* version 2, no meta */
    assert_ok(cairn_put(s, "c/json", "{\"a\":3}", 7,
                        &(cairn_put_opts){.behavior = CAIRN_OVERWRITE, .model = "ns/m",
                                          .ttl_ms = 7200 * 1000,
                                          .user_meta = "{\"k\":\"one\"}"}));
    assert_ok(cairn_put(s, "c/big", big, 50000, &o2));
    assert_ok(cf_put(s, "c/plain", "[]", CAIRN_FAIL_IF_EXISTS));

    cairn_store *mem;
    assert_ok(cairn_store_open("mem:", NULL, &mem));
    cairn_copy_stats st;
    assert_ok(cairn_copy(s, mem, &(cairn_copy_opts){.prefix = "c"}, &st));
    assert_int_equal(st.copied, 3);
    /* and back into a fresh key range of the backend under test */
    cairn_store *back = NULL;
    cairn_options nozip = {.compress_threshold = -1};
    assert_ok(cairn_store_open("mem:", &nozip, &back));
    assert_ok(cairn_copy(mem, back, NULL, &st));

    const char *keys[] = {"c/json", "c/big", "c/plain"};
    cairn_store *dst[] = {mem, back};
    for (size_t d = 0; d < 2; d++)
        for (size_t i = 0; i < 3; i++) {
            cairn_value *a, *b;
            assert_ok(cairn_get(s, keys[i], &a));
            assert_ok(cairn_get(dst[d], keys[i], &b));
            const cairn_meta *ma = cairn_value_meta(a), *mb = cairn_value_meta(b);
            size_t la, lb;
            const void *da = cairn_value_data(a, &la), *db = cairn_value_data(b, &lb);
            assert_int_equal(la, lb);
            assert_memory_equal(da, db, la);
            assert_int_equal(ma->version, mb->version);
            assert_int_equal(ma->format, mb->format);
            assert_int_equal(ma->created_ms, mb->created_ms);
            assert_int_equal(ma->updated_ms, mb->updated_ms);
            assert_int_equal(ma->expires_ms, mb->expires_ms);
            assert_int_equal(ma->size, mb->size);
            assert_int_equal(ma->checksum, mb->checksum);
            assert_string_equal(ma->model, mb->model);
            if (ma->user_meta)
                assert_string_equal(ma->user_meta, mb->user_meta);
            else
                assert_null(mb->user_meta);
            /* Compression is each store's own: the destination without
             * it stores the big value raw. */
            if (i == 1)
                assert_string_equal(mb->compression, d == 0 ? "zstd" : "none");
            cairn_value_free(a);
            cairn_value_free(b);
        }
    assert_string_equal(umeta_of(mem, "c/json"), "{\"k\":\"one\"}");
    assert_int_equal(cf_meta(mem, "c/json").version, 3);
    assert_string_equal(umeta_of(mem, "c/big"), "{\"k\":\"two\"}");
    /* Into the backend under test, from a store that compressed. */
    assert_ok(cairn_delete_prefix(s, "c", NULL));
    assert_ok(cairn_copy(mem, s, NULL, &st));
    assert_int_equal(st.copied, 3);
    assert_string_equal(umeta_of(s, "c/big"), "{\"k\":\"two\"}");
    expect_bytes(s, "c/big", big, 50000, "zstd");
    cairn_store_close(mem);
    cairn_store_close(back);
    free(big);
}

/* A compressed record built by hand: the frame of val, user metadata um
 * (NULL: none); flip (when >= 0) is a byte offset into the body to damage. */
static char *zrecord(const void *val, size_t len, const char *um, size_t *n)
{
    int64_t now = cairn_now_ms();
    size_t ul = um ? strlen(um) : 0;
    char *z = malloc(len + 64);
    assert_non_null(z);
    size_t zl;
    cairn__iov pc = {val, len};
    assert_ok(cairn__zip(&pc, 1, 3, z, len + 64, &zl));
    assert_true(zl < len);
    cairn_meta m = {.version = 1, .format = CAIRN_FORMAT_BYTES, .created_ms = now,
                    .updated_ms = now, .size = len, .checksum = cairn__hash(val, len),
                    .compression = "zstd", .stored_size = zl, .user_meta_len = ul};
    char *rec = malloc(CAIRN__HEAD_MAX + ul + zl);
    assert_non_null(rec);
    /* bound to no key (header version 1): stored under several names */
    size_t h = cairn__rec_head(rec, &m, ul ? cairn__hash(um, ul) : 0, NULL);
    if (ul)
        memcpy(rec + h, um, ul);
    memcpy(rec + h + ul, z, zl);
    free(z);
    *n = h + ul + zl;
    return rec;
}

static void head_len_of(const char *rec, size_t n, size_t *h)
{
    cairn__rec r;
    assert_ok(cairn__rec_decode(rec, n, true, &r));
    *h = r.head_len;
}

static void damaged_compressed_records(void **state)
{
    cf_fx *fx = FX(state);
    cf_reopen_tap(fx);
    cairn_store *s = fx->s;
    char *val = compressible(30000);
    const char *um = "{\"who\":\"me\"}";
    size_t n, h;
    char *rec = zrecord(val, 30000, um, &n);
    head_len_of(rec, n, &h);
    cf_raw_put("good", rec, n);
    expect_bytes(s, "good", val, 30000, "zstd");
    assert_string_equal(umeta_of(s, "good"), um);

    /* A flipped byte at every place in the body: user metadata, frame
     * header, compressed blocks, the end of the frame. Never data. */
    size_t ul = strlen(um);
    size_t spots[] = {0, ul - 1, ul, ul + 4, ul + 10, (n - h) / 2, n - h - 3, n - h - 1};
    for (size_t i = 0; i < sizeof spots / sizeof *spots; i++) {
        for (unsigned bit = 0; bit < 8; bit += 3) {
            rec[h + spots[i]] ^= (char)(1u << bit);
            cf_raw_put("flipped", rec, n);
            rec[h + spots[i]] ^= (char)(1u << bit);
            cairn_value *v = NULL;
            int rc = cairn_get(s, "flipped", &v);
            if (rc == CAIRN_OK) {
                /* zstd may not notice a change in an unused bit: then the
                 * value must be exactly the one encoded. */
                size_t l;
                const char *d = cairn_value_data(v, &l);
                assert_int_equal(l, 30000);
                assert_memory_equal(d, val, 30000);
                cairn_value_free(v);
                continue;
            }
            assert_rc(rc, CAIRN_ECORRUPT);
            assert_errmsg_has("corrupt record");
            assert_errmsg_has("flipped");
            assert_null(v);
            /* a write that needs the old value refuses; nothing written */
            assert_rc(cairn_put(s, "flipped", val, 30000,
                                &(cairn_put_opts){.behavior = CAIRN_FAIL_IF_DIFFERENT,
                                                  .format = CAIRN_FORMAT_BYTES}),
                      CAIRN_ECORRUPT);
        }
    }
    /* Truncated frame, one byte too many, and a frame that holds another
     * size than the header says. */
    cf_raw_put("short", rec, n - 1);
    char *longer = malloc(n + 1);
    assert_non_null(longer);
    memcpy(longer, rec, n);
    longer[n] = 0;
    cf_raw_put("long", longer, n + 1);
    free(longer);
    size_t n2, h2;
    char *other = zrecord(val, 20000, NULL, &n2); /* frame of 20000 bytes */
    head_len_of(other, n2, &h2);
    char *mixed = malloc(h + ul + n2 - h2);
    assert_non_null(mixed);
    /* rec's header says 30000 and a body of ul + zsize bytes; put the
     * 20000-byte frame in a record whose header says its size is 30000. */
    int64_t now = cairn_now_ms();
    cairn_meta m = {.version = 1, .format = CAIRN_FORMAT_BYTES, .created_ms = now,
                    .updated_ms = now, .size = 30000, .checksum = cairn__hash(val, 30000),
                    .compression = "zstd", .stored_size = n2 - h2};
    size_t hm = cairn__rec_head(mixed, &m, 0, NULL);
    memcpy(mixed + hm, other + h2, n2 - h2);
    cf_raw_put("resized", mixed, hm + n2 - h2);
    const char *bad[] = {"short", "long", "resized"};
    for (size_t i = 0; i < 3; i++) {
        cairn_value *v = NULL;
        assert_rc(cairn_get(s, bad[i], &v), CAIRN_ECORRUPT);
        assert_errmsg_has(bad[i]);
        assert_null(v);
    }
    /* Records of the old kind (no zsize, no umeta) still read. */
    size_t on;
    char *old = cf_make_record(val, 30000, CAIRN_FORMAT_BYTES, &on);
    cf_raw_put("old", old, on);
    expect_bytes(s, "old", val, 30000, "none");
    assert_null(umeta_of(s, "old"));
    free(old);
    free(mixed);
    free(other);
    free(rec);
    free(val);
}

/* Find the file of the file backend that holds key's record (the only
 * regular file under dir whose name ends with the key's last segment). */
static bool find_file(const char *dir, const char *leaf, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st))
            continue;
        if (S_ISDIR(st.st_mode))
            found = find_file(p, leaf, out, cap);
        else if (S_ISREG(st.st_mode) && strstr(e->d_name, leaf)) {
            snprintf(out, cap, "%s", p);
            found = true;
        }
    }
    closedir(d);
    return found;
}

/* The file and lmdb backends: damage the bytes of the record where they
 * lie on disk (the record file; LMDB's data.mdb, which the open handle
 * maps), byte by byte through the user metadata and the compressed value. */
static void flip_on_disk(void **state)
{
    cf_fx *fx = FX(state);
    bool file = !strcmp(cf_be->name, "file"), lmdb = !strcmp(cf_be->name, "lmdb");
    if (!file && !lmdb)
        tr_skip("the bytes on disk are reached on file and lmdb (sqlite: cli_test.sh)");
    cairn_store *s = fx->s;
    char *val = compressible(40000);
    const char *um = "{\"on\":\"disk\",\"marker\":\"q7Zr\"}";
    cairn_put_opts o = {.format = CAIRN_FORMAT_TEXT, .user_meta = um};
    assert_ok(cairn_put(s, "disk/zleaf", val, 40000, &o));
    char path[PATH_MAX + 16];
    if (file)
        assert_true(find_file(fx->dir, "zleaf", path, sizeof path));
    else
        snprintf(path, sizeof path, "%s/data.mdb", strchr(fx->url, ':') + 1);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    size_t n = (size_t)st.st_size;
    char *img = malloc(n);
    assert_non_null(img);
    assert_int_equal(pread(fd, img, n, 0), (ssize_t)n);
    /* The body starts with the user metadata; the header is the line
     * before it. */
    const char *b = memmem(img, n, um, strlen(um));
    assert_non_null(b);
    const char *hs = b - 1;
    while (hs > img && hs[-1] != '\n' && memcmp(hs, "{\"cairn\":2", 10) != 0)
        hs--;
    assert_memory_equal(hs, "{\"cairn\":2", 10);
    cairn__rec r;
    assert_ok(cairn__rec_decode(hs, (size_t)(img + n - hs), false, &r));
    assert_true(r.zstd); /* compressed on disk */
    size_t from = (size_t)(b - img), to = from + r.umeta_len + r.stored_len;
    unsigned corrupt = 0, same = 0;
    for (size_t off = from; off < to; off += (to - from) / 61 + 1) {
        char c = (char)(img[off] ^ 0x10);
        assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
        cairn_value *v = NULL;
        int rc = cairn_get(s, "disk/zleaf", &v);
        if (rc == CAIRN_OK) {
            size_t l;
            assert_memory_equal(cairn_value_data(v, &l), val, 40000);
            assert_int_equal(l, 40000);
            same++;
        } else {
            assert_rc(rc, CAIRN_ECORRUPT);
            assert_errmsg_has("disk/zleaf");
            assert_errmsg_has("corrupt record");
            corrupt++;
        }
        cairn_value_free(v);
        assert_int_equal(pwrite(fd, img + off, 1, (off_t)off), 1);
    }
    print_message("  %s: %u flips reported corrupt, %u read back the right value\n",
                  cf_be->name, corrupt, same);
    assert_true(corrupt > 0);
    expect_bytes(s, "disk/zleaf", val, 40000, "zstd");
    assert_string_equal(umeta_of(s, "disk/zleaf"), um);
    close(fd);
    free(img);
    free(val);
}

/* Threads sharing a handle put, overwrite and read compressed values of
 * their own and of the others (each thread has its own zstd contexts,
 * freed at its exit): every read is one of the values written, whole. */
#define ZT_THREADS 4
#define ZT_LEN 12000

static void zt_value(char *b, int writer, int round)
{
    for (int i = 0; i < ZT_LEN; i++)
        b[i] = "abcdefgh"[(i / 13 + writer + round) % 8];
    snprintf(b, 32, "w%d r%04d", writer, round);
}

static void *zt_main(void *p)
{
    cf_thread *t = p;
    char *val = malloc(ZT_LEN), *want = malloc(ZT_LEN), key[32];
    if (!val || !want) {
        cf_thread_note(t, "malloc", CAIRN_ENOMEM);
        free(val);
        free(want);
        return NULL;
    }
    cairn_put_opts o = {.format = CAIRN_FORMAT_BYTES, .behavior = CAIRN_OVERWRITE,
                        .user_meta = "{\"t\":1}"};
    for (int round = 0; round < 60; round++) {
        zt_value(val, t->id, round);
        snprintf(key, sizeof key, "zt/%d", t->id);
        cf_thread_note(t, "put", cairn_put(t->s, key, val, ZT_LEN, &o));
        int other = (t->id + round) % ZT_THREADS;
        snprintf(key, sizeof key, "zt/%d", other);
        cairn_value *v = NULL;
        int rc = cairn_get(t->s, key, &v);
        if (rc == CAIRN_ENOTFOUND)
            continue;
        if (rc == CAIRN_OK) {
            size_t l;
            const char *d = cairn_value_data(v, &l);
            int w = -1, r = -1;
            if (l != ZT_LEN || sscanf(d, "w%d r%d", &w, &r) != 2 || w != other)
                rc = CAIRN_ECORRUPT;
            else {
                zt_value(want, w, r);
                if (memcmp(d, want, ZT_LEN) ||
                    strcmp(cairn_value_meta(v)->compression, "zstd") ||
                    !cairn_value_meta(v)->user_meta)
                    rc = CAIRN_ECORRUPT;
            }
            cairn_value_free(v);
        }
        cf_thread_note(t, "get", rc);
    }
    free(val);
    free(want);
    return NULL;
}

static void threads_on_compressed_values(void **state)
{
    void *(*const fns[])(void *) = {zt_main};
    cf_threads_run(FX(state)->s, ZT_THREADS, fns, 1);
}

const tr_case cf_blob_cases[] = {
    TR_CASE(threads_on_compressed_values, TR_NONE, 0),
    TR_CASE(compress_at_threshold, TR_NONE, 0),
    TR_CASE(user_meta_arrays_and_async, TR_NONE, 0),
    TR_CASE(compress_options, TR_NONE, 0),
    TR_CASE(incompressible_stored_raw, TR_NONE, 0),
    TR_CASE(compressed_behaviours, TR_NONE, 0),
    TR_CASE(update_compressed, TR_NONE, 0),
    TR_CASE(user_meta_round_trip, TR_NONE, 0),
    TR_CASE(user_meta_refused, TR_AGNOSTIC, 0),
    TR_CASE(copy_carries_everything, TR_NONE, 0),
    TR_CASE(damaged_compressed_records, TR_NONE, 0),
    TR_CASE(flip_on_disk, TR_NONE, 0),
};
const size_t cf_blob_ncases = CF_NCASES(cf_blob_cases);
