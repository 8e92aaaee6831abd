/*
 * test_codec.c — the conversion rules of cairn_convert (docs/formats.md),
 * the npy writer's header, and the record's format names.
 */
#include "unit.h"

#include "codec/codec.h"

#include <stdio.h>
#include <stdlib.h>

/* Convert and compare with want (wl bytes); rc must be CAIRN_OK. */
static void conv(const void *in, size_t len, cairn_format from, cairn_format to,
                 const void *want, size_t wl)
{
    void *out;
    size_t ol;
    int rc = cairn_convert(in, len, from, to, &out, &ol);
    if (rc != CAIRN_OK)
        fail_msg("convert %.*s: %s", (int)len, (const char *)in, cairn_errmsg());
    if (ol != wl || memcmp(out, want, wl)) {
        fprintf(stderr, "got %zu bytes:", ol);
        for (size_t i = 0; i < ol; i++)
            fprintf(stderr, " %02x", ((unsigned char *)out)[i]);
        fprintf(stderr, "\n");
        fail_msg("convert %.*s: unexpected output", (int)len, (const char *)in);
    }
    assert_int_equal(((char *)out)[ol], '\0');
    cairn_free(out);
}
#define J2M(j, m) conv(j, strlen(j), CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, m, sizeof(m) - 1)
#define M2J(m, j) conv(m, sizeof(m) - 1, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, j, strlen(j))

static void refused(const void *in, size_t len, cairn_format from, cairn_format to,
                    const char *needle)
{
    void *out = (void *)1;
    size_t ol;
    assert_rc(cairn_convert(in, len, from, to, &out, &ol), CAIRN_EFORMAT);
    assert_ptr_equal(out, (void *)1); /* untouched */
    if (!strstr(cairn_errmsg(), needle))
        fail_msg("message '%s' lacks '%s'", cairn_errmsg(), needle);
}

static void convert_json_to_msgpack(void **state)
{
    (void)state;
    J2M("null", "\xc0");
    J2M("[true,false]", "\x92\xc3\xc2");
    J2M("0", "\x00");
    J2M("-1", "\xff");
    J2M("-33", "\xd0\xdf");
    J2M("200", "\xcc\xc8");
    J2M("65536", "\xce\x00\x01\x00\x00");
    J2M("9223372036854775807", "\xcf\x7f\xff\xff\xff\xff\xff\xff\xff");
    J2M("-9223372036854775808", "\xd3\x80\x00\x00\x00\x00\x00\x00\x00");
    J2M("18446744073709551615", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff");
    J2M("1.0", "\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00"); /* stays a float */
    J2M("2e0", "\xcb\x40\x00\x00\x00\x00\x00\x00\x00");
    J2M("{\"a\":\"\\u00e9\",\"a\":[]}", "\x82\xa1" "a" "\xa2\xc3\xa9\xa1" "a" "\x90");
    refused("18446744073709551616", 20, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK,
            "does not fit in 64 bits");
    refused("-9223372036854775809", 20, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK,
            "does not fit in 64 bits");
    refused("1e400", 5, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, "out of range");
    refused("\"\\ud800\"", 8, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, "lone surrogate");
    refused("{\"\\udc00\":1}", 12, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, "lone surrogate");
    refused("[1,]", 4, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, "invalid JSON");
    char deep[80];
    memset(deep, '[', 33);
    memset(deep + 33, ']', 33);
    conv(deep + 1, 64, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK,
         "\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91"
         "\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x90",
         32);
    refused(deep, 66, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, "nesting deeper than 32");
}

static void convert_msgpack_to_json(void **state)
{
    (void)state;
    M2J("\xc0", "null");
    M2J("\xcf\xff\xff\xff\xff\xff\xff\xff\xff", "18446744073709551615");
    M2J("\xd3\x80\x00\x00\x00\x00\x00\x00\x00", "-9223372036854775808");
    M2J("\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a", "0.1");
    M2J("\xcb\x40\x00\x00\x00\x00\x00\x00\x00", "2.0");
    M2J("\xca\x3d\xcc\xcc\xcd", "0.10000000149011612"); /* float 32 widened */
    M2J("\xa0", "\"\"");
    M2J("\xa3\x22\x0a\x01", "\"\\\"\\n\\u0001\"");
    M2J("\x81\xa1k\x90", "{\"k\":[]}");
    refused("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 9, CAIRN_FORMAT_MSGPACK,
            CAIRN_FORMAT_JSON, "NaN");
    refused("\xca\x7f\x80\x00\x00", 5, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, "infinity");
    refused("\x81\x01\x02", 3, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, "not a string");
    refused("\xc4\x01\x00", 3, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, "binary");
    refused("\xd4\x05\x00", 3, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, "extension type 5");
    refused("\xa1\xff", 2, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, "UTF-8");
    refused("\x01\x01", 2, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, "after the object");
    /* Unsupported pairs and arguments. */
    void *out;
    size_t ol;
    assert_rc(cairn_convert("1", 1, CAIRN_FORMAT_JSON, CAIRN_FORMAT_NPY, &out, &ol),
              CAIRN_EINVAL);
    assert_rc(cairn_convert("1", 1, CAIRN_FORMAT_TEXT, CAIRN_FORMAT_JSON, &out, &ol),
              CAIRN_EINVAL);
    assert_rc(cairn_convert("1", 1, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, NULL, &ol),
              CAIRN_EINVAL);
    /* Same format: checked and copied. */
    conv("[1]", 3, CAIRN_FORMAT_JSON, CAIRN_FORMAT_JSON, "[1]", 3);
    refused("[1", 2, CAIRN_FORMAT_JSON, CAIRN_FORMAT_JSON, "");
}

static void npy_header_as_numpy_writes(void **state)
{
    (void)state;
    char h[CAIRN__NPY_HEAD_MAX];
    cairn_array a = {CAIRN_DT_F64, 0, 0, 2, {3, 4}, NULL, 0};
    size_t n = cairn__npy_head(&a, h);
    const char *want = "\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, "
                       "'shape': (3, 4), }";
    assert_int_equal(n, 128);
    assert_memory_equal(h, want, strlen(want));
    assert_int_equal(h[n - 1], '\n');
    cairn_array b = {CAIRN_DT_U8, 1, 1, 1, {7}, NULL, 0};
    n = cairn__npy_head(&b, h);
    assert_int_equal(n, 128);
    assert_non_null(strstr(h + 10, "'descr': '|u1', 'fortran_order': True, 'shape': (7,), }"));
    cairn_array c = {CAIRN_DT_C128, 1, 0, 0, {0}, NULL, 0};
    n = cairn__npy_head(&c, h);
    assert_non_null(strstr(h + 10, "'descr': '>c16', 'fortran_order': False, 'shape': (), }"));
    assert_string_equal(cairn_format_name(CAIRN_FORMAT_MSGPACK), "msgpack");
    assert_string_equal(cairn_format_name(CAIRN_FORMAT_NPY), "npy");
    cairn_format f;
    assert_ok(cairn_format_parse("npy", &f));
    assert_int_equal(f, CAIRN_FORMAT_NPY);
    assert_ok(cairn_format_parse("msgpack", &f));
    assert_int_equal(f, CAIRN_FORMAT_MSGPACK);
    assert_int_equal(cairn_dtype_size(CAIRN_DT_C128), 16);
    assert_string_equal(cairn_dtype_name(CAIRN_DT_BOOL), "b1");
}

const tr_case unit_codec_cases[] = {
    TR_CASE(convert_json_to_msgpack, TR_NONE, 0),
    TR_CASE(convert_msgpack_to_json, TR_NONE, 0),
    TR_CASE(npy_header_as_numpy_writes, TR_NONE, 0),
};
const size_t unit_codec_ncases = UNIT_NCASES(unit_codec_cases);
