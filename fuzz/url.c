/*
 * url.c — fuzz store URLs: cairn__url_split's contract, cairn_url_redact's,
 * then cairn_store_open on URLs that can create nothing on disk (mem: and
 * unknown schemes).
 */
#include "common.h"

#include "all.h"

#include <string.h>
#include <strings.h>

/* Schemes that reach a disk or a server (tiered: wraps one): never opened
 * from fuzz input. */
static const char *const reaching[] = {"file", "sqlite", "lmdb", "redis", "rediss", "tiered",
                                       "postgres", "postgresql", NULL};

static int is_reaching(const char *scheme)
{
    for (int i = 0; reaching[i]; i++)
        if (!strcmp(reaching[i], scheme))
            return 1;
    return 0;
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
    FUZZ_CHECK(rc == CAIRN_OK, "mem store: %s", cairn_errmsg());
    FUZZ_CHECK(!strcmp(cairn_store_backend(s), "mem"), "backend %s",
               cairn_store_backend(s));
    /* The store works: one write, one read. */
    FUZZ_CHECK(cairn_put(s, "k", "1", 1, NULL) == CAIRN_OK, "%s", cairn_errmsg());
    FUZZ_CHECK(cairn_exists(s, "k") == CAIRN_OK, "%s", cairn_errmsg());
    cairn_store_close(s);
}

/* cairn_url_redact: stays in its buffer, always terminates, and redacting
 * a redacted URL changes nothing more. */
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
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = fuzz_cstr(data, size);
    size_t n = strlen(url);
    check_redact(url, n);
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
