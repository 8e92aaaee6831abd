/*
 * url.c — split a store URL into scheme and location (a string with no
 * scheme is a path for the file backend), and hide a URL's password.
 */
#include "url.h"

#include <string.h>

static bool scheme_char(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return !first && ((c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-');
}

int cairn__url_split(const char *url, char scheme[CAIRN__SCHEME_MAX + 1],
                     const char **location)
{
    if (!url || !*url)
        return cairn__err(CAIRN_EURL, "empty store URL");
    const char *colon = strchr(url, ':');
    size_t n = colon ? (size_t)(colon - url) : 0;
    bool has_scheme = colon && n >= 2 && n <= CAIRN__SCHEME_MAX;
    for (size_t i = 0; has_scheme && i < n; i++)
        has_scheme = scheme_char(url[i], i == 0);
    if (!has_scheme) {
        strcpy(scheme, "file");
        *location = url;
        return CAIRN_OK;
    }
    for (size_t i = 0; i < n; i++) {
        char c = url[i];
        scheme[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    scheme[n] = '\0';
    const char *loc = colon + 1;
    /* file:///tmp/x, sqlite:///tmp/x.db: the authority is empty, drop "//". */
    if (loc[0] == '/' && loc[1] == '/' &&
        (!strcmp(scheme, "file") || !strcmp(scheme, "sqlite") || !strcmp(scheme, "lmdb") ||
         !strcmp(scheme, "mem")))
        loc += 2;
    *location = loc;
    return CAIRN_OK;
}

/* Append p[0..n) to buf (cap bytes) at *o, keeping room for the NUL. */
static void put(char *buf, size_t cap, size_t *o, const char *p, size_t n)
{
    size_t room = cap - 1 - *o;
    if (n > room)
        n = room;
    memcpy(buf + *o, p, n);
    *o += n;
}

CAIRN_API const char *cairn_url_redact(const char *url, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return "";
    size_t o = 0;
    buf[0] = '\0';
    if (!url)
        return buf;
    const char *auth = strstr(url, "://");
    const char *p = url;
    if (auth) {
        auth += 3;
        size_t alen = strcspn(auth, "/?#");
        const char *at = NULL;
        for (size_t i = 0; i < alen; i++)
            if (auth[i] == '@')
                at = auth + i;
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon) {
            put(buf, cap, &o, url, (size_t)(colon + 1 - url));
            put(buf, cap, &o, "***", 3);
            p = at;
        }
    }
    /* ...?password=secret&... */
    while (*p) {
        const char *q = strstr(p, "password=");
        if (!q || (q != url && q[-1] != '?' && q[-1] != '&')) {
            size_t n = q ? (size_t)(q - p) + 9 : strlen(p);
            put(buf, cap, &o, p, n);
            p += n;
            continue;
        }
        put(buf, cap, &o, p, (size_t)(q + 9 - p));
        put(buf, cap, &o, "***", 3);
        p = q + 9 + strcspn(q + 9, "&#");
    }
    buf[o] = '\0';
    return buf;
}
