/*
 * test_json.c — the JSON syntax check used on every put (valid and invalid
 * documents, depth limit, numbers, escapes, UTF-8 in strings) and the
 * semantic equality behind FAIL_IF_DIFFERENT.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

static void expect_json(const char *doc, size_t n, bool valid)
{
    int rc = cairn__json_check(doc, n);
    if (valid && rc != CAIRN_OK)
        fail_msg("JSON %.*s: rejected (%s), expected valid", (int)n, doc, cairn_errmsg());
    if (!valid) {
        if (rc != CAIRN_EFORMAT)
            fail_msg("JSON %.*s: got %s, expected EFORMAT", (int)n, doc,
                     cairn_strerror(rc));
        /* the message names the place */
        if (!strstr(cairn_errmsg(), "byte"))
            fail_msg("JSON %.*s: message \"%s\" names no byte offset", (int)n, doc,
                     cairn_errmsg());
    }
}

#define VALID(s) expect_json(s, sizeof(s) - 1, true)
#define INVALID(s) expect_json(s, sizeof(s) - 1, false)

static void json_valid_documents(void **state)
{
    (void)state;
    VALID("{}");
    VALID("[]");
    VALID("true");
    VALID("false");
    VALID("null");
    VALID("\"\"");
    VALID("\"text\"");
    VALID(" \t\r\n{ \"a\" : [ 1 , 2 , { \"b\" : null } ] , \"c\":\"d\" } \n");
    VALID("[[], {}, [[{}]], {\"\": {\"\": []}}]");
    VALID("{\"a\":1,\"a\":2}"); /* duplicate names are legal JSON */
}

static void json_numbers(void **state)
{
    (void)state;
    VALID("0");
    VALID("-0");
    VALID("7");
    VALID("-12");
    VALID("1.5");
    VALID("-0.25");
    VALID("1e10");
    VALID("1E10");
    VALID("1e+2");
    VALID("1e-2");
    VALID("-1.0E-5");
    VALID("0.0e0");
    VALID("123456789012345678901234567890"); /* big: still JSON */
    VALID("9223372036854775807");
    VALID("-9223372036854775808");
    VALID("[1,-1,0.5,2e3]");
    INVALID("01");
    INVALID("-01");
    INVALID("00");
    INVALID("1.");
    INVALID(".5");
    INVALID("-");
    INVALID("-a");
    INVALID("+1");
    INVALID("1e");
    INVALID("1e+");
    INVALID("1E-");
    INVALID("1.e5");
    INVALID("0x10");
    INVALID("NaN");
    INVALID("Infinity");
    INVALID("-Infinity");
    INVALID("1 2");
    INVALID("[1.]");
    INVALID("[- 1]");
}

static void json_strings_and_escapes(void **state)
{
    (void)state;
    VALID("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
    VALID("\"\\u0000\"");
    VALID("\"\\u00e9\\u00E9\"");
    VALID("\"\\ud83d\\ude00\"");
    VALID("\"h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\""); /* raw UTF-8 */
    VALID("\"\xF4\x8F\xBF\xBF\"");
    VALID("{\"\xC3\xA9\":\"\xE2\x82\xAC\"}");
    INVALID("\"abc");
    INVALID("\"abc\\\"");
    INVALID("\"\\x\"");
    INVALID("\"\\a\"");
    INVALID("\"\\'\"");
    INVALID("\"\\u12\"");
    INVALID("\"\\u12G4\"");
    INVALID("\"\\U0041\"");
    INVALID("\"tab\there\"");    /* raw control characters */
    INVALID("\"line\nbreak\"");
    INVALID("\"\x01\"");
    INVALID("'single'");
    /* invalid UTF-8 inside strings */
    INVALID("\"\xC0\x80\"");
    INVALID("\"\xE0\x80\x80\"");
    INVALID("\"\xED\xA0\x80\"");     /* surrogate */
    INVALID("\"\xF4\x90\x80\x80\""); /* above U+10FFFF */
    INVALID("\"\x80\"");
    INVALID("\"\xC3\"");             /* truncated before the quote */
    INVALID("\"\xFF\"");
    /* a NUL byte inside a string (length-counted input) */
    expect_json("\"a\0b\"", 5, false);
}

static void json_invalid_documents(void **state)
{
    (void)state;
    INVALID("");
    INVALID(" ");
    INVALID("\n\t");
    INVALID("[");
    INVALID("]");
    INVALID("{");
    INVALID("}");
    INVALID("[1,]");
    INVALID("[,1]");
    INVALID("[1 2]");
    INVALID("[1]]");
    INVALID("{\"a\":1,}");
    INVALID("{\"a\":1}}");
    INVALID("{\"a\"}");
    INVALID("{\"a\":}");
    INVALID("{\"a\" 1}");
    INVALID("{a:1}");
    INVALID("{'a':1}");
    INVALID("{1:1}");
    INVALID("{\"a\":1 \"b\":2}");
    INVALID("tru");
    INVALID("nul");
    INVALID("True");
    INVALID("nulll");
    INVALID("undefined");
    INVALID("// comment\n1");
    INVALID("/* c */ 1");
    INVALID("{} []");
    INVALID("\"a\" \"b\"");
    INVALID("\xC3\xA9"); /* UTF-8 outside a string */
    INVALID("[1]\x0B");  /* vertical tab is not JSON white space */
    INVALID("\xC2\xA0[1]"); /* nor is NO-BREAK SPACE */
    expect_json("[1]\0", 4, false); /* trailing NUL byte */
    expect_json("\0", 1, false);
    /* length-counted: a valid prefix is not the document */
    expect_json("[1,2]", 3, false);
    expect_json("[1,2]xyz", 5, true);
}

static char *nested(int depth, char open, char close)
{
    char *s = malloc((size_t)depth * 2 + 1);
    assert_non_null(s);
    memset(s, open, (size_t)depth);
    memset(s + depth, close, (size_t)depth);
    s[2 * depth] = '\0';
    return s;
}

static void json_depth_limit(void **state)
{
    (void)state;
    char *ok = nested(512, '[', ']');
    char *deep = nested(513, '[', ']');
    assert_ok(cairn__json_check(ok, strlen(ok)));
    assert_rc(cairn__json_check(deep, strlen(deep)), CAIRN_EFORMAT);
    assert_errmsg_has("deeper");
    free(ok);
    free(deep);

    /* objects count too: {"a":{"a":...}} */
    size_t n = 513;
    char *obj = malloc(n * 6 + 2);
    assert_non_null(obj);
    size_t p = 0;
    for (size_t i = 0; i < n; i++)
        p += (size_t)sprintf(obj + p, "{\"a\":");
    obj[p++] = '1';
    for (size_t i = 0; i < n; i++)
        obj[p++] = '}';
    assert_rc(cairn__json_check(obj, p), CAIRN_EFORMAT);
    /* 512 levels of objects are fine */
    assert_ok(cairn__json_check(obj + 5, p - 6));
    free(obj);

    /* a very deep document must neither crash nor pass */
    char *huge = nested(100000, '[', ']');
    assert_rc(cairn__json_check(huge, strlen(huge)), CAIRN_EFORMAT);
    /* unbalanced deep input */
    assert_rc(cairn__json_check(huge, 100000), CAIRN_EFORMAT);
    free(huge);
}

static void expect_equal(const char *a, const char *b, bool want)
{
    bool eq = !want;
    int rc = cairn__json_equal(a, strlen(a), b, strlen(b), &eq);
    if (rc != CAIRN_OK)
        fail_msg("json_equal(%s, %s): %s", a, b, cairn_errmsg());
    if (eq != want)
        fail_msg("json_equal(%s, %s) = %d, expected %d", a, b, eq, want);
    /* symmetric */
    eq = !want;
    assert_ok(cairn__json_equal(b, strlen(b), a, strlen(a), &eq));
    assert_int_equal(eq, want);
}

static void json_semantic_equality(void **state)
{
    (void)state;
    expect_equal("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", true);
    expect_equal("{\"a\":1,\"b\":2}", " {\n  \"a\" : 1,\n  \"b\" : 2\n}\n", true);
    expect_equal("{\"x\":{\"p\":[1,2],\"q\":true}}", "{\"x\":{\"q\":true,\"p\":[1,2]}}",
                 true);
    expect_equal("1", "1.0", true);
    expect_equal("[1]", "[1.0]", true);
    expect_equal("100", "1e2", true);
    expect_equal("0.5", "5e-1", true);
    expect_equal("\"\xC3\xA9\"", "\"\\u00e9\"", true); /* escapes are semantic */
    expect_equal("\"\\/\"", "\"/\"", true);
    expect_equal("null", "null", true);
    expect_equal("[]", "[ ]", true);
    expect_equal("{}", "{ }", true);

    expect_equal("1", "2", false);
    expect_equal("1", "\"1\"", false);
    expect_equal("1", "1.5", false);
    expect_equal("[1,2]", "[2,1]", false); /* arrays keep their order */
    expect_equal("[1,2]", "[1,2,3]", false);
    expect_equal("{\"a\":1}", "{\"a\":1,\"b\":2}", false);
    expect_equal("{\"a\":1}", "{\"A\":1}", false);
    expect_equal("{\"a\":null}", "{}", false);
    expect_equal("null", "false", false);
    expect_equal("true", "false", false);
    expect_equal("0", "false", false);
    expect_equal("\"\"", "null", false);
    expect_equal("{}", "[]", false);
    expect_equal("\"a\"", "\"a \"", false);
    /* integers beyond 2^53 are compared exactly */
    expect_equal("9007199254740993", "9007199254740992", false);
    expect_equal("9223372036854775807", "9223372036854775807", true);

    bool eq;
    assert_rc(cairn__json_equal("{", 1, "{}", 2, &eq), CAIRN_EFORMAT);
    assert_rc(cairn__json_equal("{}", 2, "nope", 4, &eq), CAIRN_EFORMAT);
}

static void utf8_validator(void **state)
{
    (void)state;
    size_t bad = 99;
    assert_true(cairn__utf8_valid("", 0, &bad));
    assert_true(cairn__utf8_valid("plain ascii text, long enough for 8-byte steps", 46,
                                  NULL));
    assert_true(cairn__utf8_valid("a\0b", 3, NULL)); /* NUL is valid UTF-8 */
    assert_false(cairn__utf8_valid("abcdefgh\xC3(", 10, &bad));
    assert_int_equal(bad, 8);
    assert_false(cairn__utf8_valid("abcdefghijklmnop\xED\xA0\x80", 19, &bad));
    assert_int_equal(bad, 16);
    assert_false(cairn__utf8_valid("\xE2\x82\xAC\xE2\x82", 5, &bad));
    assert_int_equal(bad, 3);
}

const tr_case unit_json_cases[] = {
    TR_CASE(json_valid_documents, TR_NONE, 0),
    TR_CASE(json_numbers, TR_NONE, 0),
    TR_CASE(json_strings_and_escapes, TR_NONE, 0),
    TR_CASE(json_invalid_documents, TR_NONE, 0),
    TR_CASE(json_depth_limit, TR_NONE, 0),
    TR_CASE(json_semantic_equality, TR_NONE, 0),
    TR_CASE(utf8_validator, TR_NONE, 0),
};
const size_t unit_json_ncases = UNIT_NCASES(unit_json_cases);
