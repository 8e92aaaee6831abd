/*
 * key.c — fuzz key normalisation: cairn_key_normalize must never crash, and
 * its answer must match an independent reading of the key rules.
 */
#include "common.h"

#include "all.h"

#include <string.h>

/* Oracle: is s[0..n) a valid UTF-8 scalar sequence? Decodes code points
 * rather than matching byte patterns, so it shares no logic with the library. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            k = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            k = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k;
    }
    return 1;
}

/* Oracle: the normal form of key per DESIGN.md, or -1 when it is invalid. */
static long expect_norm(const char *key, char *out)
{
    size_t n = 0;
    const char *p = key;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t sl = (size_t)(p - seg);
        if ((sl == 1 && seg[0] == '.') || (sl == 2 && !memcmp(seg, "..", 2)))
            return -1;
        if (sl > CAIRN_SEGMENT_MAX)
            return -1;
        for (size_t i = 0; i < sl; i++) {
            unsigned char c = (unsigned char)seg[i];
            if (c < 0x20 || c == 0x7F || c == '\\')
                return -1;
        }
        if (!utf8_ok((const unsigned char *)seg, sl))
            return -1;
        if (n + (n ? 1 : 0) + sl > CAIRN_KEY_MAX)
            return -1;
        if (n)
            out[n++] = '/';
        memcpy(out + n, seg, sl);
        n += sl;
    }
    if (n == 0)
        return -1;
    out[n] = '\0';
    return (long)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *key = fuzz_cstr(data, size);
    char buf[CAIRN_KEY_MAX + 1], again[CAIRN_KEY_MAX + 1], want[CAIRN_KEY_MAX + 1];
    size_t len = 0, len2 = 0;

    int rc = cairn_key_normalize(key, buf, &len);
    long wl = expect_norm(key, want);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EKEY, "status %d", rc);
    if (rc == CAIRN_OK) {
        FUZZ_CHECK(len >= 1 && len <= CAIRN_KEY_MAX, "length %zu", len);
        FUZZ_CHECK(strlen(buf) == len, "length %zu but strlen %zu", len, strlen(buf));
        FUZZ_CHECK(buf[0] != '/' && buf[len - 1] != '/', "slash at an end: %s", buf);
        FUZZ_CHECK(!strstr(buf, "//"), "repeated slash: %s", buf);
        /* The normal form is a fixed point. */
        FUZZ_CHECK(cairn__key_norm(buf, again, &len2) == CAIRN_OK, "%s", cairn_errmsg());
        FUZZ_CHECK(len2 == len && !memcmp(buf, again, len), "not idempotent: %s", buf);
        FUZZ_CHECK(wl == (long)len && !memcmp(want, buf, len),
                   "library accepted a key the rules reject, or normalised it "
                   "differently: '%s'", buf);
    } else {
        FUZZ_CHECK(cairn_errmsg()[0] != '\0', "rejected without a message");
        FUZZ_CHECK(wl < 0, "library rejected a valid key (%s): '%s'", cairn_errmsg(),
                   want);
    }
    /* The length out-parameter is optional. */
    FUZZ_CHECK(cairn_key_normalize(key, again, NULL) == rc, "NULL len changed the answer");
    free(key);
    return 0;
}
