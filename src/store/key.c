/*
 * key.c — key rules: normalise slashes, then reject what DESIGN.md forbids,
 * with a message that says which segment and why.
 */
#include "internal.h"

#include <string.h>

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
        const unsigned char *seg = p;
        unsigned high = 0; /* any byte >= 0x80: UTF-8 to check */
        while (*p && *p != '/') {
            unsigned c = *p;
            high |= c;
            if (c < 0x20 || c == 0x7F)
                return cairn__err(CAIRN_EKEY,
                                  "invalid key: control byte 0x%02X in segment %zu",
                                  c, nseg + 1);
            if (c == '\\')
                return cairn__err(CAIRN_EKEY,
                                  "invalid key: backslash in segment %zu", nseg + 1);
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
        size_t need = n + (n ? 1 : 0) + sl;
        if (need > CAIRN_KEY_MAX)
            return cairn__err(CAIRN_EKEY, "invalid key: longer than %d bytes",
                              CAIRN_KEY_MAX);
        if (n)
            buf[n++] = '/';
        memcpy(buf + n, seg, sl);
        n += sl;
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
