/*
 * test_errmsg.c — messages that quote user input are safe to print: no
 * control byte, no line break, no invalid UTF-8 reaches a terminal or a log
 * line through cairn_errmsg().
 */
#include "unit.h"
#include "all.h"

#include <stdio.h>

/* True when every byte of s is printable ASCII or part of valid UTF-8
 * that is not a C1 control. */
static bool printable(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = cairn__utf8_seq(p + i, n - i);
        if (!k || p[i] < 0x20 || p[i] == 0x7F || (k == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0))
            return false;
        i += k;
    }
    return true;
}

static void errmsg_escapes_control_bytes(void **state)
{
    (void)state;
    cairn__err(CAIRN_EKEY, "put %s: bad", "a\x1b[31mred\nnext\tcol\rret\x7f\x01");
    const char *m = cairn_errmsg();
    assert_true(printable(m));
    assert_string_equal(m, "put a\\x1B[31mred\\nnext\\tcol\\rret\\x7F\\x01: bad");

    /* invalid UTF-8 and C1 controls (U+009B is a CSI on some terminals) */
    cairn__err(CAIRN_EKEY, "key %s", "ok\xC3\xA9 \xFF \xC2\x9B \xE2\x82");
    m = cairn_errmsg();
    assert_true(printable(m));
    assert_string_equal(m, "key ok\xC3\xA9 \\xFF \\xC2\\x9B \\xE2\\x82");

    /* the prefix path too, and a plain message stays byte for byte */
    cairn__err(CAIRN_ENOTFOUND, "not found");
    cairn__err_prefix(CAIRN_ENOTFOUND, "get %s", "x\ny");
    assert_string_equal(cairn_errmsg(), "get x\\ny: not found");
    cairn__err(CAIRN_ENOTFOUND, "get runs/1/caf\xC3\xA9: not found");
    assert_string_equal(cairn_errmsg(), "get runs/1/caf\xC3\xA9: not found");
}

/* Through the public API: a key with an escape sequence is refused, and
 * its message shows the bytes escaped. */
static void errmsg_key_through_api(void **state)
{
    (void)state;
    cairn_store *s = NULL;
    assert_int_equal(cairn_store_open("mem:", NULL, &s), CAIRN_OK);
    assert_int_equal(cairn_put(s, "a\x1b[2Jb", "1", 1, NULL), CAIRN_EKEY);
    assert_true(printable(cairn_errmsg()));
    assert_non_null(strstr(cairn_errmsg(), "a\\x1B[2Jb"));
    cairn_store_close(s);
}

/* A message longer than the buffer, full of bytes to escape, ends cleanly
 * (no partial escape, still NUL-terminated and printable). */
static void errmsg_escape_truncates(void **state)
{
    (void)state;
    static char big[6000];
    memset(big, '\n', sizeof big - 1);
    cairn__err(CAIRN_EINVAL, "%s", big);
    const char *m = cairn_errmsg();
    assert_true(printable(m));
    size_t n = strlen(m);
    assert_true(n > 4000 && n < 4096);
    assert_true(n % 2 == 0); /* whole "\n" pairs only */
}

const tr_case unit_errmsg_cases[] = {
    TR_CASE(errmsg_escapes_control_bytes, TR_NONE, 0),
    TR_CASE(errmsg_key_through_api, TR_NONE, 0),
    TR_CASE(errmsg_escape_truncates, TR_NONE, 0),
};
const size_t unit_errmsg_ncases = sizeof unit_errmsg_cases / sizeof *unit_errmsg_cases;
