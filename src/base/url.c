/*
 * url.c — split a store URL into scheme and location (a string with no
 * scheme is a path for the file backend), and hide a URL's password.
 */
#include "base/url.h"
#include "base/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Copy url into buf with every secret replaced by "***": the password of
 * "scheme://user:password@host" (for redis:// and rediss://, a lone
 * "secret@" too, since redis-cli reads it as the password), and the value
 * of every "password=" parameter (URI query or libpq key=value form). */
CAIRN_API const char *cairn_url_redact(const char *url, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return "";
    if (!url) {
        snprintf(buf, cap, "(null)");
        return buf;
    }
    size_t o = 0;
#define PUTC(ch)                                                              \
    do {                                                                      \
        if (o + 1 < cap)                                                      \
            buf[o++] = (ch);                                                  \
    } while (0)
#define PUTS(s)                                                               \
    do {                                                                      \
        for (const char *s_ = (s); *s_; s_++)                                 \
            PUTC(*s_);                                                        \
    } while (0)
    const char *p = url;
    const char *auth = strstr(url, "://");
    const char *colon = strchr(url, ':');
    /* An authority only after a real scheme ("x://" at the start): a colon
     * inside some other text (or a hidden value) never starts one. */
    bool scheme = auth && auth == colon && auth > url;
    for (const char *q = url; scheme && q < auth; q++)
        scheme = scheme_char(*q, q == url);
    const char *auth_end = NULL; /* end of the authority: hiding stops there */
    if (scheme) {
        bool redis = (size_t)(auth - url) >= 5 && !strncasecmp(url, "redis", 5);
        const char *hs = auth + 3;
        const char *he = hs + strcspn(hs, "/?#");
        auth_end = he;
        const char *at = NULL;
        for (const char *q = hs; q < he; q++)
            if (*q == '@')
                at = q;
        for (; p < hs; p++)
            PUTC(*p);
        if (at) {
            const char *uc = memchr(hs, ':', (size_t)(at - hs));
            if (uc) {
                for (; p <= uc; p++)
                    PUTC(*p);
                PUTS("***");
            } else if (redis && at > hs) {
                PUTS("***");
            } else {
                for (; p < at; p++)
                    PUTC(*p);
            }
            p = at;
        }
    }
    while (*p) {
        if (!strncasecmp(p, "password=", 9) &&
            (p == url || p[-1] == '?' || p[-1] == '&' || p[-1] == ' ' || p[-1] == '\t')) {
            PUTS("password=***");
            p += 9;
            /* Hiding never crosses the end of the authority, so that what
             * stays visible (and so a second redaction) reads the same. */
            const char *end = auth_end && p <= auth_end ? auth_end : p + strlen(p);
            if (p < end && *p == '\'') { /* libpq quoting: 'it\'s' */
                for (p++; p < end; p++) {
                    if (*p == '\\' && p + 1 < end) {
                        p++;
                    } else if (*p == '\'') {
                        p++;
                        break;
                    }
                }
            }
            /* to the next separator: also what follows a malformed quote */
            while (p < end && !strchr("& \t#", *p))
                p++;
            continue;
        }
        PUTC(*p);
        p++;
    }
#undef PUTC
#undef PUTS
    buf[o] = '\0';
    return buf;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *cairn__pct_decode(const char *p, size_t n, bool *bad)
{
    char *s = malloc(n + 1), *q = s;
    *bad = false;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%') {
            int a = i + 2 < n ? hexval(p[i + 1]) : -1;
            int b = i + 2 < n ? hexval(p[i + 2]) : -1;
            if (a < 0 || b < 0 || (a == 0 && b == 0)) {
                free(s);
                *bad = true;
                return NULL;
            }
            *q++ = (char)(a * 16 + b);
            i += 2;
        } else {
            *q++ = p[i];
        }
    }
    *q = '\0';
    return s;
}
