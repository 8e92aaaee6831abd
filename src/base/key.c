/*
 * key.c — key rules: normalise slashes, then reject what DESIGN.md forbids,
 * with a message that says which segment and why.
 */
#include "base/key.h"
#include "base/error.h"
#include "base/json.h"

#include <string.h>

/* Bytes a key can hold as they are: everything but NUL, the control bytes,
 * DEL, '/', '\\', '.' (a segment of dots is refused) and non-ASCII (UTF-8
 * to check). The copy loop below runs over these; any other byte takes the
 * careful path. */
static const unsigned char plain_byte[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),                                                 /* 0x00-0x1F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0,                 /* ' '..'/' */
    R16(1), R16(1),                                                 /* 0x30-0x4F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,                 /* 'P'..'_' */
    R16(1),                                                         /* 0x60-0x6F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,                 /* 'p'..DEL */
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), /* 0x80-0xFF */
#undef R16
};

/* High bit set in each byte of w that the fast path cannot take as it is:
 * a control byte, DEL, non-ASCII, '\\' or '.'. '/' is allowed (the caller
 * checks where the slashes are). The borrows and carries of the usual bit
 * tricks only start at such a byte, so a word without one gives 0. */
static inline uint64_t odd8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    return (w | (w - ones * 0x20) | (w + ones * 0x01) | ((w ^ (ones * '\\')) - ones) |
            ((w ^ (ones * '.')) - ones)) & high;
}

/* High bit set in each byte of w equal to '/', none elsewhere (exact: the
 * caller only uses it on words odd8() passed, so no borrow runs). */
static inline uint64_t slash8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t x = w ^ (ones * '/'); /* zero bytes where '/' was */
    return ~(((x & ~high) + ~high) | x) & high;
}

/* Most keys are already in normal form and plain ASCII ("runs/r42/items/7"):
 * no leading, trailing or repeated slash, no byte the rules look at, no
 * segment longer than the limit (guaranteed when the key is no longer than
 * it). Such a key is copied as it is; 0 means take the careful path. */
static size_t key_fast(const char *key, char *buf)
{
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    (void)key;
    (void)buf;
    return 0; /* the word tricks below read bytes in little-endian order */
#endif
    size_t n = strnlen(key, CAIRN_SEGMENT_MAX + 1);
    if (n == 0 || n > CAIRN_SEGMENT_MAX || key[0] == '/' || key[n - 1] == '/')
        return 0;
    size_t i = 0;
    uint64_t carry = 0; /* the previous word's last byte was '/' */
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        if (odd8(w))
            return 0;
        uint64_t sl = slash8(w);
        if ((sl & ((sl << 8) | carry)) != 0) /* "//" inside, or across words */
            return 0;
        carry = sl >> 56 ? 0x80 : 0;
        memcpy(buf + i, &w, 8);
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == '/') {
            if (carry)
                return 0;
            carry = 0x80;
        } else if (!plain_byte[c]) {
            return 0;
        } else {
            carry = 0;
        }
        buf[i] = (char)c;
    }
    buf[n] = '\0';
    return n;
}

int cairn__key_norm(const char *key, char *buf, size_t *len)
{
    if (!key || !buf)
        return cairn__err(CAIRN_EINVAL, "key is NULL");
    size_t fast = key_fast(key, buf);
    if (fast) {
        if (len)
            *len = fast;
        return CAIRN_OK;
    }
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)key;
    size_t nseg = 0;

    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        /* Copy the segment as it is checked. Past CAIRN_KEY_MAX bytes the
         * copy stops (buf holds no more) but the checks go on, so that a
         * bad segment is named before the length. */
        if (n && n < CAIRN_KEY_MAX)
            buf[n] = '/';
        n += n ? 1 : 0;
        const unsigned char *seg = p;
        unsigned high = 0; /* any byte >= 0x80: UTF-8 to check */
        for (;;) {
            unsigned c = *p;
            if (!plain_byte[c]) {
                if (c == 0 || c == '/')
                    break;
                if (c < 0x20 || c == 0x7F)
                    return cairn__err(CAIRN_EKEY,
                                      "invalid key: control byte 0x%02X in segment %zu", c,
                                      nseg + 1);
                if (c == '\\')
                    return cairn__err(CAIRN_EKEY,
                                      "invalid key: backslash in segment %zu", nseg + 1);
                high |= c; /* '.' or non-ASCII */
            }
            if (n < CAIRN_KEY_MAX)
                buf[n] = (char)c;
            n++;
            p++;
        }
        size_t sl = (size_t)(p - seg);
        if ((sl == 1 && seg[0] == '.') || (sl == 2 && seg[0] == '.' && seg[1] == '.'))
            return cairn__err(CAIRN_EKEY, "invalid key: '%.*s' segment not allowed",
                              (int)sl, (const char *)seg);
        if (sl > CAIRN_SEGMENT_MAX)
            return cairn__err(CAIRN_EKEY,
                              "invalid key: segment %zu is %zu bytes (max %d)",
                              nseg + 1, sl, CAIRN_SEGMENT_MAX);
        size_t bad;
        if ((high & 0x80) && !cairn__utf8_valid(seg, sl, &bad))
            return cairn__err(CAIRN_EKEY,
                              "invalid key: invalid UTF-8 at byte %zu of segment %zu",
                              bad, nseg + 1);
        if (n > CAIRN_KEY_MAX)
            return cairn__err(CAIRN_EKEY, "invalid key: longer than %d bytes",
                              CAIRN_KEY_MAX);
        nseg++;
    }
    if (n == 0)
        return cairn__err(CAIRN_EKEY, "invalid key: empty");
    buf[n] = '\0';
    if (len)
        *len = n;
    return CAIRN_OK;
}

CAIRN_API int cairn_key_normalize(const char *key, char *buf, size_t *len)
{
    return cairn__key_norm(key, buf, len);
}

bool cairn__key_reserved(const char *key, size_t len)
{
    return len >= 6 && memcmp(key, "_cairn", 6) == 0 && (len == 6 || key[6] == '/');
}
