/*
 * url.c — fuzz store URLs: cairn__url_split's contract, cairn_url_redact's,
 * the server URL parser's (cairn__url_parse: its parts, and the password
 * it reads never shown by cairn_url_redact nor in its messages, nor the
 * password a raw '/' cut short; alone or behind a wrapping scheme), then
 * cairn_store_open on URLs that can create nothing on disk (mem: and
 * unknown schemes; ?default_ttl= read by the store whatever the scheme).
 */
#include "common.h"

#include "all.h"

#include <string.h>
#include <stdbool.h>
#include <strings.h>

/* Schemes that reach a disk or a server, and those that wrap another URL
 * (tiered:): never opened from fuzz input. */
static const char *const reaching[] = {"file", "sqlite", "lmdb", "redis", "rediss",
                                       "postgres", "postgresql", NULL};

static int is_reaching(const char *scheme)
{
    for (int i = 0; reaching[i]; i++)
        if (!strcmp(reaching[i], scheme))
            return 1;
    return cairn__url_wraps(scheme, strlen(scheme));
}

static void try_open(const char *url, const char *scheme)
{
    cairn_store *s = NULL;
    int rc = cairn_store_open(url, NULL, &s);
    if (strcmp(scheme, "mem") != 0) {
        /* Unknown scheme: a clear error naming it, never a store. */
        FUZZ_CHECK(rc == CAIRN_EURL, "unknown scheme '%s' gave %d", scheme, rc);
        FUZZ_CHECK(s == NULL, "a store was returned on error");
        FUZZ_CHECK(strstr(cairn_errmsg(), "unknown scheme") != NULL, "message: %s",
                   cairn_errmsg());
        return;
    }
    if (rc == CAIRN_EURL && strstr(url, "default_ttl=")) { /* a bad ?default_ttl= */
        FUZZ_CHECK(s == NULL && strstr(cairn_errmsg(), "default_ttl"), "message: %s",
                   cairn_errmsg());
        return;
    }
    FUZZ_CHECK(rc == CAIRN_OK, "mem store: %s", cairn_errmsg());
    FUZZ_CHECK(!strcmp(cairn_store_backend(s), "mem"), "backend %s",
               cairn_store_backend(s));
    /* The store works: one write, one read. */
    FUZZ_CHECK(cairn_put(s, "k", "1", 1, NULL) == CAIRN_OK, "%s", cairn_errmsg());
    FUZZ_CHECK(cairn_exists(s, "k") == CAIRN_OK, "%s", cairn_errmsg());
    cairn_store_close(s);
}

/* Wrappers put in front of a URL: a wrapping scheme, in any case, nested. */
static const char *const wrappers[] = {"tiered:", "TIERED:tiered:"};
#define NWRAPPERS (sizeof wrappers / sizeof *wrappers)

/* cairn_url_redact(prefix url) into a new string that is never truncated.
 * The caller frees it. */
static char *redact_with(const char *prefix, const char *url)
{
    size_t n = strlen(prefix) + strlen(url);
    char *w = malloc(n + 1), *r = malloc(4 * n + 16);
    if (!w || !r)
        abort();
    snprintf(w, n + 1, "%s%s", prefix, url);
    cairn_url_redact(w, r, 4 * n + 16);
    free(w);
    return r;
}

/* cairn_url_redact: stays in its buffer, always terminates, and redacting
 * a redacted URL changes nothing more. Behind a wrapping scheme a URL is
 * redacted as it is alone ("tiered://" excepted: there "//" starts an
 * authority). */
static void check_redact(const char *url, size_t n)
{
    char small[8], big[4096], again[4096];
    const char *r = cairn_url_redact(url, small, sizeof small);
    FUZZ_CHECK(r == small && strlen(small) < sizeof small, "small buffer overrun");
    cairn_url_redact(url, big, sizeof big);
    FUZZ_CHECK(strlen(big) < sizeof big, "big buffer overrun");
    if (n < 1000) { /* not truncated: "***" at most triples a byte */
        cairn_url_redact(big, again, sizeof again);
        FUZZ_CHECK(!strcmp(big, again), "redact not idempotent: '%s' -> '%s'", big, again);
        for (size_t i = 0; i < NWRAPPERS && strncmp(url, "//", 2); i++) {
            char *w = redact_with(wrappers[i], url);
            size_t wl = strlen(wrappers[i]);
            FUZZ_CHECK(!strncmp(w, wrappers[i], wl) && !strcmp(w + wl, big),
                       "'%s%s' redacted as '%s', alone as '%s'", wrappers[i], url, w, big);
            free(w);
        }
    }
}

/* The redacted URL shows no secret, alone nor wrapped. */
static void check_hidden(const char *s, const char *why)
{
    char *r = redact_with("", s);
    FUZZ_CHECK(fuzz_secrets(r) == 0, "the password (%s) shows in '%s' (from '%s')", why, r, s);
    free(r);
    for (size_t i = 0; i < NWRAPPERS; i++) {
        r = redact_with(wrappers[i], s);
        FUZZ_CHECK(fuzz_secrets(r) == 0, "the password (%s) shows in '%s' (from '%s%s')", why,
                   r, wrappers[i], s);
        free(r);
    }
}

/* The password as a user may have meant it, whatever the parser makes of
 * it: in a "scheme://" URL (not of a path scheme), from the first ':' after
 * "//" to the last '@' (a raw '/', '?' or '#' in a password ends the
 * authority, and the parser then refuses the URL or reads the rest as
 * host, port or path); for redis, without a ':', all before the last '@'.
 * When the secret occurs once and lies in there, no redaction shows it. */
static void check_meant(const char *s)
{
    static const char *const paths[] = {"file", "sqlite", "lmdb", "mem", NULL};
    const char *auth = strstr(s, "://");
    if (!auth || auth == s || auth != strchr(s, ':'))
        return;
    size_t sl = (size_t)(auth - s);
    for (size_t i = 0; i < sl; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (i > 0 && ((s[i] >= '0' && s[i] <= '9') || strchr("+.-", s[i])))))
            return;
    for (int i = 0; paths[i]; i++)
        if (strlen(paths[i]) == sl && !strncasecmp(s, paths[i], sl))
            return;
    const char *hs = auth + 3, *last = strrchr(hs, '@');
    const char *sec = strstr(s, FUZZ_SECRET);
    if (!last || !sec || fuzz_secrets(s) != 1)
        return;
    const char *colon = memchr(hs, ':', (size_t)(last - hs));
    const char *from = colon ? colon + 1 : sl >= 5 && !strncasecmp(s, "redis", 5) ? hs : NULL;
    if (from && sec >= from && sec + strlen(FUZZ_SECRET) <= last)
        check_hidden(s, "up to the last '@'");
}

static bool within(const char *p, size_t n, const char *s, size_t sn)
{
    return p >= s && p + n <= s + sn;
}

/* cairn__url_parse on the input with every 0x01 byte a secret: a status
 * from the small set, parts that hold together, the same parts twice, and,
 * when the secret occurs once (escapes decoded) and is in the password,
 * neither the redacted URL nor a message shows it, even spelled in
 * escapes. */
static void check_parse(const uint8_t *data, size_t size)
{
    char *s = fuzz_with_secret(data, size);
    size_t n = strlen(s);
    bool one = fuzz_secrets(s) == 1;
    check_meant(s);
    cairn__url u, v;
    int rc = cairn__url_parse("fuzz", s, &u);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EURL || rc == CAIRN_ENOMEM, "status %d", rc);
    FUZZ_CHECK(cairn__url_parse("fuzz", s, &v) == rc, "second parse differs");
    if (rc) {
        FUZZ_CHECK(!strncmp(cairn_errmsg(), "fuzz: ", 6), "message '%s'", cairn_errmsg());
        /* the user information is read first: on a later failure it is
         * there, and the message must not show it */
        if (one && u.password && strstr(u.password, FUZZ_SECRET))
            FUZZ_CHECK(!strstr(cairn_errmsg(), FUZZ_SECRET), "the password in '%s'",
                       cairn_errmsg());
        cairn__url_free(&u);
        cairn__url_free(&v);
        free(s);
        return;
    }
    FUZZ_CHECK(u.host && v.host && !strcmp(u.host, v.host), "hosts differ");
    FUZZ_CHECK(!strcmp(u.scheme, v.scheme) && u.port == v.port && u.ipv6 == v.ipv6 &&
                   u.query == v.query && u.query_len == v.query_len &&
                   u.fragment == v.fragment && u.at_after == v.at_after,
               "parts differ");
    FUZZ_CHECK((!u.user && !v.user) || (u.user && v.user && !strcmp(u.user, v.user)),
               "users differ");
    FUZZ_CHECK((!u.password && !v.password) ||
                   (u.password && v.password && !strcmp(u.password, v.password)),
               "passwords differ");
    FUZZ_CHECK((!u.path && !v.path) || (u.path && v.path && !strcmp(u.path, v.path)),
               "paths differ");
    cairn__url_free(&v);
    FUZZ_CHECK(!u.password || u.user, "a password without a user part");
    FUZZ_CHECK(u.port >= 0 && u.port <= 65535, "port %d", u.port);
    FUZZ_CHECK(!u.ipv6 || strchr(s, '['), "IPv6 without brackets");
    FUZZ_CHECK(!u.query || within(u.query, u.query_len, s, n), "query outside the URL");
    FUZZ_CHECK(!u.query || !memchr(u.query, '#', u.query_len), "'#' in the query");
    FUZZ_CHECK(!u.fragment || within(u.fragment, strlen(u.fragment), s, n),
               "fragment outside the URL");
    /* every parameter lies in the query, has a name=value form */
    cairn__url_param q;
    size_t pos = 0;
    int more;
    while ((more = cairn__url_param_next(&u, &pos, &q)) == 1) {
        FUZZ_CHECK(within(q.name, q.name_len, u.query, u.query_len) &&
                       within(q.value, q.value_len, u.query, u.query_len) &&
                       q.name + q.name_len + 1 == q.value && q.name[q.name_len] == '=',
                   "parameter outside the query");
        FUZZ_CHECK(!memchr(q.name, '&', q.name_len) && !memchr(q.value, '&', q.value_len),
                   "'&' in a parameter");
        char *val = NULL;
        int vr = cairn__url_param_value(&u, &q, &val);
        FUZZ_CHECK(vr == CAIRN_OK || vr == CAIRN_EURL || vr == CAIRN_ENOMEM, "value %d", vr);
        FUZZ_CHECK(!vr == !!val, "value and status disagree");
        free(val);
    }
    FUZZ_CHECK(more == 0 || more == CAIRN_EURL, "param_next gave %d", more);
    if (one && u.password && strstr(u.password, FUZZ_SECRET)) {
        if (more)
            FUZZ_CHECK(!strstr(cairn_errmsg(), FUZZ_SECRET), "the password in '%s'",
                       cairn_errmsg());
        if (u.scheme[0]) /* a URL cairn_url_redact reads as one */
            check_hidden(s, "parsed");
    }
    cairn__url_free(&u);
    FUZZ_CHECK(!u.host && !u.password, "parts left after free");
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = fuzz_cstr(data, size);
    size_t n = strlen(url);
    check_redact(url, n);
    check_parse(data, size);
    char scheme[CAIRN__SCHEME_MAX + 1];
    const char *loc = NULL;

    int rc = cairn__url_split(url, scheme, &loc);
    if (n == 0) {
        FUZZ_CHECK(rc == CAIRN_EURL, "empty URL gave %d", rc);
        free(url);
        return 0;
    }
    FUZZ_CHECK(rc == CAIRN_OK, "split failed: %s", cairn_errmsg());
    FUZZ_CHECK(loc >= url && loc <= url + n, "location outside the URL");
    size_t sl = strlen(scheme);
    FUZZ_CHECK(sl >= 2 && sl <= CAIRN__SCHEME_MAX, "scheme length %zu", sl);
    for (size_t i = 0; i < sl; i++)
        FUZZ_CHECK((scheme[i] >= 'a' && scheme[i] <= 'z') ||
                       (i > 0 && ((scheme[i] >= '0' && scheme[i] <= '9') ||
                                  strchr("+.-", scheme[i]))),
                   "bad scheme character in '%s'", scheme);
    if (loc == url) {
        /* No scheme: the whole URL is a path for the file backend. */
        FUZZ_CHECK(!strcmp(scheme, "file"), "path without scheme gave '%s'", scheme);
    } else {
        /* scheme ':' [//] location, the scheme spelled in any case. */
        FUZZ_CHECK(url[sl] == ':' && strncasecmp(url, scheme, sl) == 0,
                   "scheme '%s' is not the URL's prefix", scheme);
        FUZZ_CHECK(loc == url + sl + 1 || loc == url + sl + 3, "location offset %td",
                   loc - url);
        /* The split is deterministic. */
        char scheme2[CAIRN__SCHEME_MAX + 1];
        const char *loc2 = NULL;
        FUZZ_CHECK(cairn__url_split(url, scheme2, &loc2) == CAIRN_OK && loc2 == loc &&
                       !strcmp(scheme, scheme2),
                   "second split differs");
        if (!is_reaching(scheme))
            try_open(url, scheme);
    }
    free(url);
    return 0;
}
