/*
 * test_key.c — every rule of cairn_key_normalize(): slash normalisation, the
 * rejected forms (each with a message that says why) and the length limits.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

/* Normalise key and expect want (NULL: expect CAIRN_EKEY whose message
 * contains why). */
static void expect_norm(const char *key, const char *want, const char *why)
{
    char buf[CAIRN_KEY_MAX + 1];
    size_t len = 12345;
    int rc = cairn_key_normalize(key, buf, &len);
    if (want) {
        if (rc != CAIRN_OK)
            fail_msg("key \"%s\": got %s (%s), expected OK", key, cairn_strerror(rc),
                     cairn_errmsg());
        assert_string_equal(buf, want);
        assert_int_equal(len, strlen(want));
    } else {
        if (rc != CAIRN_EKEY)
            fail_msg("key \"%s\" (%zu bytes): got %s, expected EKEY", key, strlen(key),
                     cairn_strerror(rc));
        if (why && !strstr(cairn_errmsg(), why))
            fail_msg("key \"%s\": message \"%s\" does not say \"%s\"", key,
                     cairn_errmsg(), why);
        assert_int_equal(len, 12345); /* out-parameters untouched on error */
    }
}

static void key_slashes(void **state)
{
    (void)state;
    expect_norm("a", "a", NULL);
    expect_norm("a/b", "a/b", NULL);
    expect_norm("/a/b", "a/b", NULL);
    expect_norm("a/b/", "a/b", NULL);
    expect_norm("//a///b////", "a/b", NULL);
    expect_norm("a//b//c", "a/b/c", NULL);
    expect_norm("/x/", "x", NULL);
    /* len may be NULL */
    char buf[CAIRN_KEY_MAX + 1];
    assert_ok(cairn_key_normalize("p//q", buf, NULL));
    assert_string_equal(buf, "p/q");
    /* the internal and public entry points agree */
    size_t len;
    assert_ok(cairn__key_norm("//r/s", buf, &len));
    assert_string_equal(buf, "r/s");
    assert_int_equal(len, 3);
}

/* Keys already in normal form take a word-at-a-time path: repeated
 * slashes and refused bytes at every place within and across its 8-byte
 * words still go the careful way. */
static void key_word_boundaries(void **state)
{
    (void)state;
    expect_norm("runs/r42/items/0004711", "runs/r42/items/0004711", NULL);
    for (size_t at = 1; at < 20; at++) {
        char key[32], want[32];
        memset(key, 'k', sizeof key);
        key[24] = '\0';
        key[at] = '/';
        key[at + 1] = '/'; /* "//" at every offset */
        memcpy(want, key, at + 1);
        memcpy(want + at + 1, key + at + 2, 24 - at - 1);
        expect_norm(key, want, NULL);
        key[at + 1] = 'k';
        expect_norm(key, key, NULL);
        key[at + 1] = '.'; /* a dot: a careful look, still fine */
        expect_norm(key, key, NULL);
        key[at + 1] = '\x7f';
        expect_norm(key, NULL, "control byte 0x7F");
        key[at + 1] = '\\';
        expect_norm(key, NULL, "backslash");
        key[at + 1] = '\x1f';
        expect_norm(key, NULL, "control byte 0x1F");
        key[at + 1] = '\xc3'; /* a lone UTF-8 lead byte */
        expect_norm(key, NULL, "UTF-8");
    }
    char big[CAIRN_SEGMENT_MAX + 2];
    memset(big, 'b', sizeof big);
    big[CAIRN_SEGMENT_MAX] = '\0';
    expect_norm(big, big, NULL);
    big[CAIRN_SEGMENT_MAX] = 'b';
    big[CAIRN_SEGMENT_MAX + 1] = '\0';
    expect_norm(big, NULL, "segment 1 is 241 bytes");
}

static void key_empty(void **state)
{
    (void)state;
    expect_norm("", NULL, "empty");
    expect_norm("/", NULL, "empty");
    expect_norm("////", NULL, "empty");
}

static void key_dot_segments(void **state)
{
    (void)state;
    expect_norm(".", NULL, "'.'");
    expect_norm("..", NULL, "'..'");
    expect_norm("a/./b", NULL, "'.'");
    expect_norm("a/../b", NULL, "'..'");
    expect_norm("a/..", NULL, "'..'");
    expect_norm("./a", NULL, "'.'");
    expect_norm("a/.", NULL, "'.'");
    expect_norm("//..//", NULL, "'..'");
    /* dots that are not whole segments are fine */
    expect_norm(".a", ".a", NULL);
    expect_norm("a.", "a.", NULL);
    expect_norm("...", "...", NULL);
    expect_norm("..a/b..", "..a/b..", NULL);
    expect_norm("a/.hidden/x.rec", "a/.hidden/x.rec", NULL);
}

static void key_control_bytes(void **state)
{
    (void)state;
    for (int c = 1; c < 0x20; c++) {
        char key[8], why[32];
        snprintf(key, sizeof key, "a/b%cc", c);
        snprintf(why, sizeof why, "0x%02X", c);
        expect_norm(key, NULL, why);
        expect_norm(key, NULL, "control");
        snprintf(key, sizeof key, "%c", c);
        expect_norm(key, NULL, "control");
    }
    expect_norm("a\x7F", NULL, "0x7F");
    expect_norm("\x7F/b", NULL, "control");
    /* 0x7F inside a segment after valid multibyte text */
    expect_norm("\xC3\xA9\x7F", NULL, "control");
    /* the message says which segment */
    expect_norm("ok/ok/x\ty", NULL, "segment 3");
}

static void key_backslash(void **state)
{
    (void)state;
    expect_norm("a\\b", NULL, "backslash");
    expect_norm("\\", NULL, "backslash");
    expect_norm("a/b\\", NULL, "backslash");
    expect_norm("dir\\..\\x", NULL, "backslash");
}

static void key_utf8_valid(void **state)
{
    (void)state;
    static const char *const good[] = {
        "\xC2\x80",             /* U+0080 */
        "\xDF\xBF",             /* U+07FF */
        "\xE0\xA0\x80",         /* U+0800 */
        "\xED\x9F\xBF",         /* U+D7FF, just below the surrogates */
        "\xEE\x80\x80",         /* U+E000, just above */
        "\xEF\xBF\xBF",         /* U+FFFF */
        "\xF0\x90\x80\x80",     /* U+10000 */
        "\xF4\x8F\xBF\xBF",     /* U+10FFFF */
        "h\xC3\xA9llo/\xE6\x97\xA5\xE6\x9C\xAC/\xF0\x9F\x98\x80", /* héllo/日本/😀 */
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        expect_norm(good[i], good[i], NULL);
}

static void key_utf8_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\x80",                 /* lone continuation byte */
        "a\xBF",                /* lone continuation byte */
        "\xC0\x80",             /* overlong NUL */
        "\xC0\xAF",             /* overlong '/' */
        "\xC1\xBF",             /* overlong 2-byte */
        "\xE0\x80\x80",         /* overlong 3-byte */
        "\xE0\x9F\xBF",         /* overlong 3-byte (U+07FF) */
        "\xE0\x80\xAF",         /* overlong '/' in 3 bytes */
        "\xF0\x80\x80\x80",     /* overlong 4-byte */
        "\xF0\x8F\xBF\xBF",     /* overlong 4-byte (U+FFFF) */
        "\xED\xA0\x80",         /* surrogate U+D800 */
        "\xED\xBF\xBF",         /* surrogate U+DFFF */
        "\xED\xA0\xBD\xED\xB8\x80", /* a surrogate pair written as CESU-8 */
        "\xF4\x90\x80\x80",     /* U+110000 */
        "\xF5\x80\x80\x80",     /* lead byte above F4 */
        "\xF8\x88\x80\x80\x80", /* 5-byte form */
        "\xFE",
        "\xFF",
        "\xC3",                 /* truncated at the end */
        "\xE2\x82",             /* truncated at the end */
        "\xF0\x9F\x98",         /* truncated at the end */
        "\xC3/x",               /* truncated by a slash */
        ("\xC3" "a"),           /* lead byte followed by ASCII */
        "\xE2\x28\xA1",         /* bad second byte */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_norm(bad[i], NULL, "UTF-8");
        char key[64];
        snprintf(key, sizeof key, "ok/pre%s", bad[i]);
        expect_norm(key, NULL, "segment 2");
    }
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void key_length_limit(void **state)
{
    (void)state;
    /* 1024 bytes exactly: segments of 240, 240, 240, 240 and 60 with 4 slashes */
    char key[CAIRN_KEY_MAX + 64];
    char *a = repeat('a', 240), *b = repeat('b', 240), *c = repeat('c', 240),
         *d = repeat('d', 240), *e = repeat('z', 60);
    snprintf(key, sizeof key, "%s/%s/%s/%s/%s", a, b, c, d, e);
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
    assert_int_equal(strlen(key), CAIRN_KEY_MAX);
    expect_norm(key, key, NULL);
    /* one more byte is too long, and the message says so */
    char longer[CAIRN_KEY_MAX + 64];
    snprintf(longer, sizeof longer, "%sz", key);
    expect_norm(longer, NULL, "longer than 1024");
    /* the limit is on the normal form: extra slashes do not count */
    char *slashed = malloc(4000);
    assert_non_null(slashed);
    snprintf(slashed, 4000, "////%.*s////%.*s/%.*s/%.*s//%s////", 240, key, 240,
             key + 241, 240, key + 482, 240, key + 723, key + 964);
    expect_norm(slashed, key, NULL);
    free(slashed);
    /* a long key of short segments */
    char *many = malloc(2 * CAIRN_KEY_MAX + 2);
    assert_non_null(many);
    for (size_t i = 0; i < CAIRN_KEY_MAX / 2; i++)
        memcpy(many + 2 * i, "x/", 2);
    many[CAIRN_KEY_MAX - 1] = 'y';
    many[CAIRN_KEY_MAX] = '\0';
    expect_norm(many, many, NULL); /* 1024 bytes, 512 segments */
    memcpy(many + CAIRN_KEY_MAX - 1, "y/w", 4);
    expect_norm(many, NULL, "longer");
    free(many);
}

static void key_segment_limit(void **state)
{
    (void)state;
    char *s240 = repeat('s', 240), *s241 = repeat('s', 241);
    expect_norm(s240, s240, NULL);
    expect_norm(s241, NULL, "segment 1 is 241 bytes");
    char key[600];
    snprintf(key, sizeof key, "a/%s/b", s240);
    expect_norm(key, key, NULL);
    snprintf(key, sizeof key, "a/%s/b", s241);
    expect_norm(key, NULL, "segment 2 is 241 bytes (max 240)");
    /* 240 bytes of multibyte characters: 80 x 3 bytes */
    char mb[300] = "";
    for (int i = 0; i < 80; i++)
        strcat(mb, "\xE2\x82\xAC"); /* € */
    assert_int_equal(strlen(mb), 240);
    expect_norm(mb, mb, NULL);
    strcat(mb, "x");
    expect_norm(mb, NULL, "241 bytes");
    free(s240);
    free(s241);
}

static void key_null_args(void **state)
{
    (void)state;
    char buf[CAIRN_KEY_MAX + 1];
    assert_rc(cairn_key_normalize(NULL, buf, NULL), CAIRN_EINVAL);
    assert_rc(cairn_key_normalize("a", NULL, NULL), CAIRN_EINVAL);
}

static void key_reserved(void **state)
{
    (void)state;
    assert_true(cairn__key_reserved("_cairn", 6));
    assert_true(cairn__key_reserved("_cairn/x", 8));
    assert_true(cairn__key_reserved("_cairn/registry/a/b", 19));
    assert_false(cairn__key_reserved("_cairnx", 7));
    assert_false(cairn__key_reserved("_cairn-x/y", 10));
    assert_false(cairn__key_reserved("x/_cairn", 8));
    assert_false(cairn__key_reserved("_cair", 5));
    assert_false(cairn__key_reserved("_CAIRN/x", 8));
    /* normalisation itself accepts them (writes refuse them later) */
    expect_norm("//_cairn//x", "_cairn/x", NULL);
}

const tr_case unit_key_cases[] = {
    TR_CASE(key_slashes, TR_NONE, 0),
    TR_CASE(key_word_boundaries, TR_NONE, 0),
    TR_CASE(key_empty, TR_NONE, 0),
    TR_CASE(key_dot_segments, TR_NONE, 0),
    TR_CASE(key_control_bytes, TR_NONE, 0),
    TR_CASE(key_backslash, TR_NONE, 0),
    TR_CASE(key_utf8_valid, TR_NONE, 0),
    TR_CASE(key_utf8_invalid, TR_NONE, 0),
    TR_CASE(key_length_limit, TR_NONE, 0),
    TR_CASE(key_segment_limit, TR_NONE, 0),
    TR_CASE(key_null_args, TR_NONE, 0),
    TR_CASE(key_reserved, TR_NONE, 0),
};
const size_t unit_key_ncases = UNIT_NCASES(unit_key_cases);
