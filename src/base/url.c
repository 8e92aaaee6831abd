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

/* Schemes whose location is a path: "scheme://" there is an empty
 * authority, dropped by the split, and the rest stays as written. */
static bool path_scheme(const char *s, size_t n)
{
    static const char *const paths[] = {"file", "sqlite", "lmdb", "mem", NULL};
    for (int i = 0; paths[i]; i++)
        if (strlen(paths[i]) == n && !strncasecmp(s, paths[i], n))
            return true;
    return false;
}

/* Schemes whose location is a whole store URL ("tiered:redis://..."): the
 * one list of them, so that every wrapping scheme has its inner URL's
 * secrets hidden. */
static const char *const wrapping_schemes[] = {"tiered", NULL};

bool cairn__url_wraps(const char *scheme, size_t n)
{
    for (int i = 0; wrapping_schemes[i]; i++)
        if (strlen(wrapping_schemes[i]) == n && !strncasecmp(scheme, wrapping_schemes[i], n))
            return true;
    return false;
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
    if (loc[0] == '/' && loc[1] == '/' && path_scheme(scheme, n))
        loc += 2;
    *location = loc;
    return CAIRN_OK;
}

/* The authority of a server URL, as RFC 3986 splits it (the parser and
 * cairn_url_redact share this, so what one reads as the password is what
 * the other hides). */
typedef struct {
    const char *end;   /* the first '/', '?', '#' or NUL: the authority ends */
    const char *at;    /* the last '@' before end, or NULL */
    const char *colon; /* the first ':' before at, or NULL */
    const char *host;  /* after at (or the start) */
} authority;

static void split_authority(const char *a, authority *r)
{
    r->end = a + strcspn(a, "/?#");
    r->at = NULL;
    for (const char *q = a; q < r->end; q++)
        if (*q == '@')
            r->at = q;
    r->colon = r->at ? memchr(a, ':', (size_t)(r->at - a)) : NULL;
    r->host = r->at ? r->at + 1 : a;
}

/* Copy url into buf with every secret replaced by "***": the password of
 * "scheme://user:password@host" (for redis:// and rediss://, a lone
 * "secret@" too, since redis-cli reads it as the password), and the value
 * of every "password=" parameter (URI query or libpq key=value form). A
 * wrapping scheme ("tiered:") keeps its "scheme:" and the URL it wraps is
 * redacted as if it stood alone. */
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
    /* "tiered:INNER": INNER is a store URL of its own. ("tiered://" is
     * not: its "//" starts an authority, redacted as any other.) */
    for (;;) {
        size_t n = strcspn(url, ":");
        if (!url[n] || !cairn__url_wraps(url, n) || !strncmp(url + n + 1, "//", 2))
            break;
        for (size_t i = 0; i <= n; i++)
            PUTC(url[i]);
        url += n + 1;
    }
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
        authority a;
        split_authority(hs, &a);
        /* An '@' after the authority: the password probably holds a raw
         * '/', '?' or '#', which ended the authority early, and what the
         * parser reads as host, port or path (or refuses) is a piece of
         * it. Hide up to the last '@' then, so that no piece shows; this
         * covers the parser's password, which ends before it. The user
         * stays visible only when its ':' is inside the authority (and the
         * parser's password is not a lone redis secret): anything else
         * before the last '@' may be the password, or a query holding a
         * password= parameter. Paths stay. */
        const char *last = strrchr(a.end, '@');
        bool hide_all = false;
        const char *resume = NULL; /* where the text after the hidden part starts */
        if (last && !path_scheme(url, (size_t)(auth - url))) {
            const char *c = memchr(hs, ':', (size_t)(last - hs));
            bool lone = redis && a.at && !a.colon;
            a.colon = !lone && c && c < a.end ? c : NULL;
            hide_all = !a.colon;
            a.at = resume = last;
            a.end = last + 1 + strcspn(last + 1, "/?#");
            /* a password= parameter in there hides its whole value, which
             * in a query ends at '&' only, maybe after that '@': then all
             * of it, the user too (the '@' gone, a second redaction would
             * read the user as the authority and hide its parameters) */
            for (const char *q = hs; q < last; q++)
                if (!strncasecmp(q, "password=", 9) && (q[-1] == '?' || q[-1] == '&') &&
                    q + 9 + strcspn(q + 9, "&") > resume)
                    resume = q + 9 + strcspn(q + 9, "&");
            if (resume > last) {
                a.colon = NULL;
                hide_all = true;
                if (resume > a.end)
                    a.end = resume;
            }
        }
        auth_end = a.end;
        for (; p < hs; p++)
            PUTC(*p);
        if (a.at) {
            if (a.colon) {
                for (; p <= a.colon; p++)
                    PUTC(*p);
                PUTS("***");
            } else if ((redis || hide_all) && a.at > hs) {
                PUTS("***");
            } else {
                for (; p < a.at; p++)
                    PUTC(*p);
            }
            p = resume ? resume : a.at;
        }
    }
    while (*p) {
        if (!strncasecmp(p, "password=", 9) &&
            (p == url || p[-1] == '?' || p[-1] == '&' || p[-1] == ' ' || p[-1] == '\t')) {
            PUTS("password=***");
            p += 9;
            /* Hiding never crosses the end of the authority, so that what
             * stays visible (and so a second redaction) reads the same. */
            bool in_auth = auth_end && p <= auth_end;
            const char *end = in_auth ? auth_end : p + strlen(p);
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
            /* To the next separator: also what follows a malformed quote.
             * In a URL's query only '&' ends a value (a server backend
             * takes a raw space or '#' into the password); in libpq's
             * key=value form white space does. */
            const char *stops = scheme && !in_auth ? "&" : "& \t#";
            while (p < end && !strchr(stops, *p))
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

/* ---- server URLs ---- */

void cairn__url_free(cairn__url *u)
{
    if (!u)
        return;
    if (u->password) { /* do not leave the secret in freed memory */
        volatile char *v = u->password;
        while (*v)
            *v++ = 0;
    }
    free(u->user);
    free(u->password);
    free(u->host);
    free(u->path);
    const char *who = u->who;
    memset(u, 0, sizeof *u);
    u->who = who;
}

/* Decode p[0..n) into *out; on failure a message naming what (never the
 * text itself: it may be a piece of the password). */
static int decode_part(const cairn__url *u, const char *p, size_t n, const char *what,
                       char **out)
{
    bool bad;
    if (!(*out = cairn__pct_decode(p, n, &bad)))
        return bad ? cairn__err(CAIRN_EURL, "%s: bad %%-escape in the URL's %s (%%XX with two "
                                            "hex digits, not %%00)",
                                u->who, what)
                   : cairn__err(CAIRN_ENOMEM, "%s: out of memory", u->who);
    return CAIRN_OK;
}

/* The port p[0..n): 1..65535, digits only (leading zeros allowed). */
static int parse_port(const char *p, size_t n)
{
    long v = 0;
    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v >= 1 && v <= 65535 ? (int)v : -1;
}

static const char at_hint[] = " (an '@' follows: a '/', '?' or '#' in a password must be "
                              "percent-encoded as %2F, %3F, %23)";

int cairn__url_parse(const char *who, const char *text, cairn__url *u)
{
    memset(u, 0, sizeof *u);
    u->who = who;
    const char *p = text;
    if (!p)
        return cairn__err(CAIRN_EURL, "%s: no URL", who);
    if (strncmp(p, "//", 2) != 0) {
        /* scheme "://": the scheme as cairn__url_split reads it */
        size_t n = strcspn(p, ":");
        bool ok = n >= 1 && n <= CAIRN__SCHEME_MAX && !strncmp(p + n, "://", 3);
        for (size_t i = 0; ok && i < n; i++)
            ok = scheme_char(p[i], i == 0);
        if (!ok)
            return cairn__err(CAIRN_EURL, "%s: expected a URL %s://[user[:password]@]host"
                                          "[:port][/path][?name=value&...]",
                              who, who);
        for (size_t i = 0; i < n; i++)
            u->scheme[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] - 'A' + 'a') : p[i];
        u->scheme[n] = '\0';
        p += n + 1;
    }
    p += 2;
    authority a;
    split_authority(p, &a);
    u->at_after = strchr(a.end, '@') != NULL;
    int rc;
    if (a.at) {
        /* both or neither: a user without a password must mean no ':' */
        const char *ue = a.colon ? a.colon : a.at;
        char *user = NULL;
        if ((rc = decode_part(u, p, (size_t)(ue - p), "user information", &user)) ||
            (a.colon && (rc = decode_part(u, a.colon + 1, (size_t)(a.at - a.colon - 1),
                                          "user information", &u->password)))) {
            free(user);
            goto fail;
        }
        u->user = user;
    }
    /* host [":" port], the host maybe "[IPv6]" */
    const char *hs = a.host, *he, *port = NULL;
    if (hs < a.end && *hs == '[') {
        const char *rb = memchr(hs, ']', (size_t)(a.end - hs));
        if (!rb) {
            rc = cairn__err(CAIRN_EURL, "%s: unclosed '[' in the URL's host (an IPv6 address "
                                        "is written [::1])",
                            who);
            goto fail;
        }
        if (rb == hs + 1) {
            rc = cairn__err(CAIRN_EURL, "%s: empty IPv6 address '[]' in the URL's host", who);
            goto fail;
        }
        if (rb + 1 < a.end) {
            if (rb[1] != ':') {
                rc = cairn__err(CAIRN_EURL, "%s: junk after ']' in the URL's host (expected "
                                            "':' and a port)",
                                who);
                goto fail;
            }
            port = rb + 2;
        }
        u->ipv6 = true;
        hs++;
        he = rb;
    } else {
        const char *colon = memchr(hs, ':', (size_t)(a.end - hs));
        he = colon ? colon : a.end;
        if (colon)
            port = colon + 1;
    }
    if ((rc = decode_part(u, hs, (size_t)(he - hs), "host", &u->host)))
        goto fail;
    if (port && port < a.end) { /* "host:" is no port (RFC 3986) */
        size_t n = (size_t)(a.end - port);
        if ((u->port = parse_port(port, n)) < 0) {
            u->port = 0;
            rc = u->at_after
                     ? cairn__err(CAIRN_EURL, "%s: bad port (a number from 1 to 65535)%s", who,
                                  at_hint)
                     : cairn__err(CAIRN_EURL, "%s: bad port '%.*s' (a number from 1 to 65535)",
                                  who, (int)(n > 20 ? 20 : n), port);
            goto fail;
        }
    }
    p = a.end;
    if (*p == '/') {
        size_t n = strcspn(p + 1, "?#");
        if ((rc = decode_part(u, p + 1, n, "path", &u->path)))
            goto fail;
        p += 1 + n;
    }
    if (*p == '?') {
        u->query = p + 1;
        u->query_len = strcspn(p + 1, "#");
        p += 1 + u->query_len;
    }
    if (*p == '#')
        u->fragment = p + 1;
    return CAIRN_OK;
fail:
    /* what was read stays (cairn__url_free frees it) */
    return rc;
}

int cairn__url_param_next(const cairn__url *u, size_t *pos, cairn__url_param *p)
{
    while (u->query && *pos < u->query_len) {
        const char *s = u->query + *pos;
        size_t left = u->query_len - *pos;
        const char *amp = memchr(s, '&', left);
        size_t n = amp ? (size_t)(amp - s) : left;
        *pos += n + (amp ? 1 : 0);
        if (n == 0)
            continue; /* "a=1&&b=2", a trailing '&' */
        const char *eq = memchr(s, '=', n);
        if (!eq) {
            if (u->at_after)
                return cairn__err(CAIRN_EURL, "%s: a URL parameter has no value (name=value)%s",
                                  u->who, at_hint);
            return cairn__err(CAIRN_EURL,
                              "%s: URL parameter '%.*s' has no value (name=value)", u->who,
                              (int)(n > 40 ? 40 : n), s);
        }
        p->name = s;
        p->name_len = (size_t)(eq - s);
        p->value = eq + 1;
        p->value_len = n - p->name_len - 1;
        return 1;
    }
    return 0;
}

bool cairn__url_param_is(const cairn__url_param *p, const char *name)
{
    size_t n = strlen(name);
    return p->name_len == n && !memcmp(p->name, name, n);
}

int cairn__url_param_value(const cairn__url *u, const cairn__url_param *p, char **out)
{
    bool bad;
    if ((*out = cairn__pct_decode(p->value, p->value_len, &bad)))
        return CAIRN_OK;
    if (!bad)
        return cairn__err(CAIRN_ENOMEM, "%s: out of memory", u->who);
    return cairn__err(CAIRN_EURL,
                      "%s: bad %%-escape in URL parameter '%.*s' (%%XX with two hex digits, "
                      "not %%00)",
                      u->who, (int)(p->name_len > 40 ? 40 : p->name_len), p->name);
}

void cairn__url_take_param(const char *url, const char *name, char *out, const char **value,
                           size_t *vlen)
{
    const char *q = strchr(url, '?');
    size_t base = q ? (size_t)(q - url) : strlen(url), nl = strlen(name), o = base;
    memcpy(out, url, base);
    *value = NULL;
    *vlen = 0;
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        if (plen > nl && p[nl] == '=' && !memcmp(p, name, nl)) {
            *value = p + nl + 1; /* the last one given wins */
            *vlen = plen - nl - 1;
        } else if (plen) {
            out[o] = o == base ? '?' : '&';
            o++;
            memcpy(out + o, p, plen);
            o += plen;
        }
        p = amp ? amp + 1 : NULL;
    }
    out[o] = '\0';
}
