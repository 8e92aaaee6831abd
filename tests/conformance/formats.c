/*
 * formats.c — conformance: every format round-trips through the backend
 * byte for byte with its format in the metadata, and a value that is not
 * valid for its format is refused with CAIRN_EFORMAT, nothing written.
 */
#include "conf.h"

#include <stdint.h>

/* Put must refuse val as format f with EFORMAT and leave key as it was
 * (absent, or holding `keep`). */
static void expect_refused(cairn_store *s, const char *key, const void *val, size_t len,
                           cairn_format f, const char *keep)
{
    cairn_put_opts o = {.behavior = CAIRN_OVERWRITE, .format = f};
    assert_rc(cairn_put(s, key, val, len, &o), CAIRN_EFORMAT);
    if (!*cairn_errmsg())
        fail_msg("no message for a refused %s value", cairn_format_name(f));
    if (keep)
        cf_expect_str(s, key, keep);
    else
        assert_rc(cairn_exists(s, key), CAIRN_ENOTFOUND);
}

static void roundtrip(cairn_store *s, const char *key, const void *val, size_t len,
                      cairn_format f)
{
    cairn_put_opts o = {.format = f};
    assert_ok(cairn_put(s, key, val, len, &o));
    cf_expect_value(s, key, val, len);
    cairn_meta m = cf_meta(s, key);
    assert_int_equal(m.format, f);
    assert_int_equal(m.size, len);
}

static void formats_bytes_all_values(void **state)
{
    cairn_store *s = FX(state)->s;
    unsigned char all[512];
    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (unsigned char)(i < 256 ? i : 255 - (i - 256)); /* NULs, 0xff, ... */
    roundtrip(s, "b/all", all, sizeof all, CAIRN_FORMAT_BYTES);
    roundtrip(s, "b/nul", "\0\0\0", 3, CAIRN_FORMAT_BYTES);
    roundtrip(s, "b/empty", "", 0, CAIRN_FORMAT_BYTES);
    /* The same bytes are not text, nor msgpack. */
    expect_refused(s, "b/as-text", all, sizeof all, CAIRN_FORMAT_TEXT, NULL);
    expect_refused(s, "b/as-msgpack", all, sizeof all, CAIRN_FORMAT_MSGPACK, NULL);
    expect_refused(s, "b/as-npy", all, sizeof all, CAIRN_FORMAT_NPY, NULL);
}

static void formats_text_utf8(void **state)
{
    cairn_store *s = FX(state)->s;
    const char *t = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87\nline";
    roundtrip(s, "t/multi", t, strlen(t), CAIRN_FORMAT_TEXT);
    roundtrip(s, "t/nul", "a\0b", 3, CAIRN_FORMAT_TEXT); /* NUL is valid UTF-8 */
    cairn_put_opts o = {.format = CAIRN_FORMAT_TEXT};
    assert_ok(cairn_put(s, "t/keep", "old", 3, &o));
    static const char *const bad[] = {
        "\xc0\xaf",         /* overlong */
        "\xed\xa0\x80",     /* surrogate */
        "ab\xe2\x82",       /* truncated */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\x80",             /* lone continuation */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_refused(s, "t/bad", bad[i], strlen(bad[i]), CAIRN_FORMAT_TEXT, NULL);
        expect_refused(s, "t/keep", bad[i], strlen(bad[i]), CAIRN_FORMAT_TEXT, "old");
    }
}

/* {"a":[1,-2,1.5,nil,true],"s":"é","bin":b"\0\1","ext":ext(5,"xy"),
 *  "big":2^64-1} */
static const unsigned char mp[] = {
    0x85, 0xa1, 'a', 0x95, 0x01, 0xfe, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0xc3,
    0xa1, 's', 0xa2, 0xc3, 0xa9,
    0xa3, 'b', 'i', 'n', 0xc4, 0x02, 0x00, 0x01,
    0xa3, 'e', 'x', 't', 0xd5, 0x05, 'x', 'y',
    0xa3, 'b', 'i', 'g', 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static void formats_msgpack_roundtrip(void **state)
{
    cairn_store *s = FX(state)->s;
    roundtrip(s, "m/map", mp, sizeof mp, CAIRN_FORMAT_MSGPACK);
    roundtrip(s, "m/nil", "\xc0", 1, CAIRN_FORMAT_MSGPACK);
    roundtrip(s, "m/nul", "\x00", 1, CAIRN_FORMAT_MSGPACK); /* the integer 0 */

    /* JSON -> msgpack -> store -> JSON. */
    const char *json = "{\"n\":[1,-2,18446744073709551615,-9223372036854775808,2.5,1.0,"
                       "18374686479671623680],"
                       "\"s\":\"\\u00e9\\n\",\"e\":\"\",\"o\":{},\"z\":null,\"t\":true}";
    void *m;
    size_t ml;
    assert_ok(cairn_convert(json, strlen(json), CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, &m,
                            &ml));
    roundtrip(s, "m/conv", m, ml, CAIRN_FORMAT_MSGPACK);
    cairn_free(m);
    cairn_value *v;
    assert_ok(cairn_get(s, "m/conv", &v));
    void *j;
    size_t jl;
    assert_ok(cairn_value_convert(v, CAIRN_FORMAT_JSON, &j, &jl));
    const char *want = "{\"n\":[1,-2,18446744073709551615,-9223372036854775808,2.5,1.0,"
                       "18374686479671623680],"
                       "\"s\":\"\xc3\xa9\\n\",\"e\":\"\",\"o\":{},\"z\":null,\"t\":true}";
    assert_int_equal(jl, strlen(want));
    assert_memory_equal(j, want, jl);
    cairn_free(j);
    cairn_value_free(v);

    /* bin and ext have no JSON form: a clear refusal, not a guess. */
    assert_ok(cairn_get(s, "m/map", &v));
    assert_rc(cairn_value_convert(v, CAIRN_FORMAT_JSON, &j, &jl), CAIRN_EFORMAT);
    cairn_value_free(v);
}

/* FAIL_IF_DIFFERENT on msgpack compares what the values say: map order and
 * integer widths do not matter; a value with bin compares by bytes. */
static void formats_msgpack_different(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_put_opts o = {.format = CAIRN_FORMAT_MSGPACK};
    /* {"a":1,"b":[2]} */
    static const char ab[] = "\x82\xa1" "a" "\x01\xa1" "b" "\x91\x02";
    assert_ok(cairn_put(s, "md/1", ab, sizeof ab - 1, &o));
    o.behavior = CAIRN_FAIL_IF_DIFFERENT;
    /* the same map, keys the other way round, 1 as an int8 and 2 as a uint16 */
    static const char ba[] = "\x82\xa1" "b" "\x91\xcd\x00\x02\xa1" "a" "\xd0\x01";
    assert_ok(cairn_put(s, "md/1", ba, sizeof ba - 1, &o));
    /* {"a":1,"b":[3]}: different */
    static const char ab3[] = "\x82\xa1" "a" "\x01\xa1" "b" "\x91\x03";
    assert_rc(cairn_put(s, "md/1", ab3, sizeof ab3 - 1, &o), CAIRN_EDIFFERENT);
    /* the stored bytes are the first ones, written once */
    cf_expect_value(s, "md/1", ab, sizeof ab - 1);
    assert_int_equal(cf_meta(s, "md/1").version, 1);
    /* bin: bytes decide */
    static const char bin[] = "\xc4\x02xy";
    o.behavior = CAIRN_FAIL_IF_EXISTS;
    assert_ok(cairn_put(s, "md/bin", bin, sizeof bin - 1, &o));
    o.behavior = CAIRN_FAIL_IF_DIFFERENT;
    assert_ok(cairn_put(s, "md/bin", bin, sizeof bin - 1, &o));
    assert_rc(cairn_put(s, "md/bin", "\xc4\x02xz", 4, &o), CAIRN_EDIFFERENT);
}

static void formats_msgpack_refused(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_put_opts o = {.format = CAIRN_FORMAT_MSGPACK};
    assert_ok(cairn_put(s, "m/keep", "\xa3old", 4, &o));
    static const struct {
        const char *v;
        size_t n;
    } bad[] = {
        {"", 0},                    /* no object */
        {"\x01\x02", 2},            /* two objects */
        {"\xc1", 1},                /* never used */
        {"\xa5" "abc", 4},          /* short string */
        {"\xcb\x00\x00", 3},        /* short float */
        {"\x92\x01", 2},            /* array missing an element */
        {"\xdd\xff\xff\xff\xff", 5}, /* 4 billion elements claimed */
        {"\xdf\xff\xff\xff\xff\x01", 6},
        {"\xc6\xff\xff\xff\xff", 5}, /* bin claims 4 GiB */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_refused(s, "m/bad", bad[i].v, bad[i].n, CAIRN_FORMAT_MSGPACK, NULL);
        expect_refused(s, "m/keep", bad[i].v, bad[i].n, CAIRN_FORMAT_MSGPACK, "\xa3old");
    }
    /* Nesting: CAIRN_MSGPACK_DEPTH_MAX arrays are fine, one more is not. */
    unsigned char deep[CAIRN_MSGPACK_DEPTH_MAX + 2];
    memset(deep, 0x91, sizeof deep);
    deep[CAIRN_MSGPACK_DEPTH_MAX] = 0xc0;
    roundtrip(s, "m/deep", deep, CAIRN_MSGPACK_DEPTH_MAX + 1, CAIRN_FORMAT_MSGPACK);
    deep[CAIRN_MSGPACK_DEPTH_MAX] = 0x91;
    deep[CAIRN_MSGPACK_DEPTH_MAX + 1] = 0xc0;
    expect_refused(s, "m/deeper", deep, sizeof deep, CAIRN_FORMAT_MSGPACK, NULL);
}

static void expect_array(cairn_store *s, const char *key, const cairn_array *a)
{
    cairn_value *v;
    assert_ok(cairn_get(s, key, &v));
    assert_int_equal(cairn_value_meta(v)->format, CAIRN_FORMAT_NPY);
    size_t len;
    const unsigned char *d = cairn_value_data(v, &len);
    assert_true(len >= 10 && !memcmp(d, "\x93NUMPY\x01\x00", 8));
    cairn_array b;
    assert_ok(cairn_value_array(v, &b));
    assert_int_equal(b.dtype, a->dtype);
    assert_int_equal(b.big_endian, cairn_dtype_size(a->dtype) > 1 ? a->big_endian : 0);
    assert_int_equal(!!b.fortran_order, !!a->fortran_order);
    assert_int_equal(b.ndim, a->ndim);
    for (unsigned i = 0; i < a->ndim; i++)
        assert_int_equal(b.shape[i], a->shape[i]);
    assert_int_equal(b.nbytes, a->nbytes);
    if (a->nbytes)
        assert_memory_equal(b.data, a->data, a->nbytes);
    /* A view into the value, aligned for in-place reads. */
    assert_true((const unsigned char *)b.data >= d &&
                (const unsigned char *)b.data + b.nbytes == d + len);
    assert_int_equal((uintptr_t)b.data % 16, 0);
    cairn_value_free(v);
}

static void formats_npy_arrays(void **state)
{
    cairn_store *s = FX(state)->s;
    double f8[12];
    for (int i = 0; i < 12; i++)
        f8[i] = i * 0.5 - 1;
    int32_t i4[6] = {-1, 2, INT32_MIN, INT32_MAX, 0, 7};
    unsigned char u1[4] = {0, 1, 254, 255};
    uint16_t f2[3] = {0x3c00, 0xc000, 0x7bff};
    float c8[4] = {1, 2, -3, 4.5f};
    const cairn_array arrays[] = {
        {CAIRN_DT_F64, 0, 0, 2, {3, 4}, f8, sizeof f8},
        {CAIRN_DT_F64, 0, 1, 2, {4, 3}, f8, sizeof f8},        /* Fortran order */
        {CAIRN_DT_F64, 1, 0, 3, {2, 3, 2}, f8, sizeof f8},     /* big-endian, 3-d */
        {CAIRN_DT_I32, 0, 0, 1, {6}, i4, sizeof i4},
        {CAIRN_DT_I32, 0, 0, 0, {0}, i4, 4},                   /* 0-d */
        {CAIRN_DT_U8, 0, 0, 1, {4}, u1, sizeof u1},
        {CAIRN_DT_BOOL, 0, 0, 2, {2, 2}, "\x00\x01\x01\x00", 4},
        {CAIRN_DT_F16, 0, 0, 1, {3}, f2, sizeof f2},
        {CAIRN_DT_C64, 0, 0, 1, {2}, c8, sizeof c8},
        {CAIRN_DT_I64, 0, 0, 2, {0, 5}, NULL, 0},              /* empty */
    };
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) {
        char key[32];
        snprintf(key, sizeof key, "a/%zu", i);
        assert_ok(cairn_put_array(s, key, &arrays[i], NULL));
        expect_array(s, key, &arrays[i]);
        /* The stored bytes are a .npy file: put back as a value, equal. */
        cairn_value *v;
        assert_ok(cairn_get(s, key, &v));
        size_t len;
        const void *d = cairn_value_data(v, &len);
        snprintf(key, sizeof key, "a/copy%zu", i);
        roundtrip(s, key, d, len, CAIRN_FORMAT_NPY);
        cairn_value_free(v);
        expect_array(s, key, &arrays[i]);
    }
    /* Set behaviours compare the whole value. */
    cairn_put_opts same = {.behavior = CAIRN_FAIL_IF_DIFFERENT};
    assert_ok(cairn_put_array(s, "a/0", &arrays[0], &same));
    assert_rc(cairn_put_array(s, "a/0", &arrays[1], &same), CAIRN_EDIFFERENT);
    double f8b[12];
    memcpy(f8b, f8, sizeof f8b);
    f8b[11] = 99; /* the same header, one element different */
    cairn_array changed = arrays[0];
    changed.data = f8b;
    assert_rc(cairn_put_array(s, "a/0", &changed, &same), CAIRN_EDIFFERENT);
    assert_rc(cairn_put_array(s, "a/0", &arrays[1], NULL), CAIRN_EEXISTS);
    cairn_put_opts skip = {.behavior = CAIRN_SKIP_IF_EXISTS};
    assert_rc(cairn_put_array(s, "a/0", &arrays[1], &skip), CAIRN_SKIPPED);
    expect_array(s, "a/0", &arrays[0]);
    cairn_put_opts over = {.behavior = CAIRN_OVERWRITE};
    assert_ok(cairn_put_array(s, "a/0", &arrays[1], &over));
    expect_array(s, "a/0", &arrays[1]);
    assert_int_equal(cf_meta(s, "a/0").version, 2);
    /* A value that is not npy has no array view. */
    assert_ok(cairn_put(s, "a/json", "1", 1, NULL));
    cairn_value *v;
    assert_ok(cairn_get(s, "a/json", &v));
    cairn_array b;
    assert_rc(cairn_value_array(v, &b), CAIRN_EFORMAT);
    cairn_value_free(v);
}

/* An array above the compression threshold: compressed from its pieces
 * (the npy header and the caller's elements), read back as a view, compared
 * by set behaviours against the decompressed record. */
static void formats_npy_compressed(void **state)
{
    cairn_store *s = FX(state)->s;
    enum { N = 8192 }; /* 64 KiB of f8 */
    static double e[N];
    for (int i = 0; i < N; i++)
        e[i] = (double)(i % 16);
    cairn_array a = {CAIRN_DT_F64, 0, 0, 2, {N / 8, 8}, e, sizeof e};
    assert_ok(cairn_put_array(s, "z/a", &a, NULL));
    cairn_value *v;
    assert_ok(cairn_get(s, "z/a", &v));
    assert_string_equal(cairn_value_meta(v)->compression, "zstd");
    assert_true(cairn_value_meta(v)->stored_size < cairn_value_meta(v)->size / 4);
    cairn_value_free(v);
    expect_array(s, "z/a", &a);
    cairn_put_opts same = {.behavior = CAIRN_FAIL_IF_DIFFERENT};
    assert_ok(cairn_put_array(s, "z/a", &a, &same));
    e[N - 1] = -1;
    assert_rc(cairn_put_array(s, "z/a", &a, &same), CAIRN_EDIFFERENT);
    e[N - 1] = 15;
    expect_array(s, "z/a", &a);
    assert_int_equal(cf_meta(s, "z/a").version, 1);
}

static void formats_npy_refused(void **state)
{
    cairn_store *s = FX(state)->s;
    /* Well-formed files but for one thing each. */
    static const char *const heads[] = {
        "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",      /* pickle */
        "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }",     /* strings */
        "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<M8[s]', 'fortran_order': False, 'shape': (1,), }",
        "{'descr': '|f8', 'fortran_order': False, 'shape': (1,), }",     /* no order */
        "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }",
        "{'descr': '<f8', 'shape': (1,), }",                              /* missing */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1), }",      /* not a tuple */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",     /* data short */
        "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
        "__import__('os').system('true')",
    };
    char buf[256];
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
        size_t hl = strlen(heads[i]);
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (char)(hl + 1);
        buf[9] = 0;
        memcpy(buf + 10, heads[i], hl);
        buf[10 + hl] = '\n';
        memset(buf + 11 + hl, 0, 8); /* one f8 of data */
        expect_refused(s, "n/bad", buf, 19 + hl, CAIRN_FORMAT_NPY, NULL);
    }
    /* The same frame with a good header is accepted (the frame is right). */
    const char *good = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }";
    size_t hl = strlen(good);
    buf[8] = (char)(hl + 1);
    memcpy(buf + 10, good, hl);
    buf[10 + hl] = '\n';
    memset(buf + 11 + hl, 0, 8);
    roundtrip(s, "n/good", buf, 19 + hl, CAIRN_FORMAT_NPY);
    expect_refused(s, "n/bad", buf, 18 + hl, CAIRN_FORMAT_NPY, NULL);   /* data short */
    expect_refused(s, "n/bad", buf, 5, CAIRN_FORMAT_NPY, NULL);         /* truncated */
    buf[6] = 4;                                                          /* version 4.0 */
    expect_refused(s, "n/bad", buf, 19 + hl, CAIRN_FORMAT_NPY, NULL);
    buf[6] = 1;
    buf[0] = 'X';                                                        /* magic */
    expect_refused(s, "n/bad", buf, 19 + hl, CAIRN_FORMAT_NPY, NULL);

    /* Bad array descriptions: CAIRN_EINVAL, nothing written. */
    double d[4] = {0};
    const cairn_array bad[] = {
        {(cairn_dtype)99, 0, 0, 1, {4}, d, sizeof d},
        {CAIRN_DT_F64, 0, 0, 1, {3}, d, sizeof d},                 /* nbytes */
        {CAIRN_DT_F64, 0, 0, CAIRN_ARRAY_NDIM_MAX + 1, {4}, d, sizeof d},
        {CAIRN_DT_F64, 0, 0, 1, {4}, NULL, sizeof d},
        {CAIRN_DT_U8, 0, 0, 2, {UINT64_MAX, 2}, d, 0},             /* overflow */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_rc(cairn_put_array(s, "n/arr", &bad[i], NULL), CAIRN_EINVAL);
        assert_rc(cairn_exists(s, "n/arr"), CAIRN_ENOTFOUND);
    }
    assert_rc(cairn_put_array(s, "n/arr", NULL, NULL), CAIRN_EINVAL);
    cairn_put_opts model = {.model = "Person"};
    const cairn_array ok = {CAIRN_DT_F64, 0, 0, 1, {4}, d, sizeof d};
    assert_rc(cairn_put_array(s, "n/arr", &ok, &model), CAIRN_EINVAL);
    assert_rc(cairn_exists(s, "n/arr"), CAIRN_ENOTFOUND);
}

/* A batch with one value wrong for its format writes nothing. */
static void formats_batch_refused(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_put_item items[3] = {
        {.key = "x/1", .val = "\x01", .len = 1},
        {.key = "x/2", .val = "\xc1", .len = 1},
        {.key = "x/3", .val = "t", .len = 1},
    };
    cairn_put_opts mp_opts = {.format = CAIRN_FORMAT_MSGPACK};
    int rc = cairn_put_many(s, items, 3, &mp_opts);
    assert_rc(rc, CAIRN_EFORMAT);
    uint64_t n = 1;
    assert_ok(cairn_count(s, "x", &n));
    assert_int_equal(n, 0);
}

const tr_case cf_formats_cases[] = {
    TR_CASE(formats_bytes_all_values, TR_NONE, 0),
    TR_CASE(formats_text_utf8, TR_AGNOSTIC, 0),
    TR_CASE(formats_msgpack_roundtrip, TR_AGNOSTIC, 0),
    TR_CASE(formats_msgpack_different, TR_AGNOSTIC, 0),
    TR_CASE(formats_msgpack_refused, TR_AGNOSTIC, 0),
    TR_CASE(formats_npy_arrays, TR_NONE, 0),
    TR_CASE(formats_npy_compressed, TR_NONE, 0),
    TR_CASE(formats_npy_refused, TR_AGNOSTIC, 0),
    TR_CASE(formats_batch_refused, TR_AGNOSTIC, 0),
};
const size_t cf_formats_ncases = CF_NCASES(cf_formats_cases);
