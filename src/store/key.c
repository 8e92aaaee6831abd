/*
 * key.c — key rules: normalise slashes, then reject what DESIGN.md forbids,
 * with a message that says which segment and why.
 */
#include "internal.h"

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

int cairn__key_norm(const char *key, char *buf, size_t *len)
{
    if (!key || !buf)
        return cairn__err(CAIRN_EINVAL, "key is NULL");
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
