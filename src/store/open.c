/*
 * open.c — opening and closing a store: the options, the backend found by
 * URL scheme through the registry (src/backend/registry.c), the model cache.
 */
#include "store/front.h"
#include "backend/registry.h"
#include "base/url.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

cairn__mcache *cairn__store_mcache(cairn_store *s)
{
    return s->mc;
}

/* ------------------------------------------------------------------ */
/* Open / close                                                        */
/* ------------------------------------------------------------------ */

/* The value of a URL's ?default_ttl=DURATION (v[0..n), still
 * percent-encoded) into *ms. */
static int url_default_ttl(const char *v, size_t n, const char *shown, int64_t *ms)
{
    bool bad = false;
    char *text = cairn__pct_decode(v, n, &bad);
    if (!text)
        return bad ? cairn__err(CAIRN_EURL, "open %.200s: default_ttl: bad %% escape", shown)
                   : cairn__err(CAIRN_ENOMEM, "open %.200s: out of memory", shown);
    int rc = cairn_duration_parse(text, ms);
    free(text);
    return rc ? cairn__err_prefix(CAIRN_EURL, "open %.200s: default_ttl", shown) : CAIRN_OK;
}

CAIRN_API int cairn_store_open(const char *url, const cairn_options *opt,
                               cairn_store **out)
{
    const cairn_backend_methods *m;
    const char *loc;
    char shown[256]; /* the URL as messages show it: no password */
    cairn__err_clear();
    if (!out)
        return cairn__err(CAIRN_EINVAL, "open: out is NULL");
    if (!url)
        return cairn__err(CAIRN_EURL, "empty store URL");
    /* ?default_ttl= is the store's, whatever the backend: taken out of the
     * URL before the backend sees it */
    char *bare = malloc(strlen(url) + 1);
    if (!bare)
        return cairn__err(CAIRN_ENOMEM, "open: out of memory");
    const char *ttl;
    size_t ttl_len;
    cairn__url_take_param(url, "default_ttl", bare, &ttl, &ttl_len);
    cairn_options o;
    int rc = cairn__backend_lookup(bare, &m, &loc, shown, sizeof shown);
    /* Messages show the URL as given, redacted: a password holding a '?'
     * must not show through the URL without its parameter. */
    cairn_url_redact(url, shown, sizeof shown);
    if (rc == CAIRN_OK && (rc = CAIRN__OPTS_READ(&o, opt, "options")))
        cairn__err_prefix(rc, "open %.200s", shown);
    /* The URL's value is checked even where the options' wins. */
    int64_t url_ttl = 0;
    if (rc == CAIRN_OK && ttl && (rc = url_default_ttl(ttl, ttl_len, shown, &url_ttl)) == 0 &&
        o.default_ttl_ms == 0)
        o.default_ttl_ms = url_ttl;
    if (rc == CAIRN_OK && (unsigned)o.durability > CAIRN_DURABILITY_FULL)
        rc = cairn__err(CAIRN_EINVAL, "open %.200s: unknown durability %d", shown,
                        (int)o.durability);
    if (rc == CAIRN_OK && o.busy_timeout_ms < 0)
        rc = cairn__err(CAIRN_EINVAL, "open %.200s: negative busy_timeout_ms", shown);
    if (rc == CAIRN_OK && (rc = cairn__zip_level_check(o.compress_level)))
        cairn__err_prefix(rc, "open %.200s", shown);
    if (rc) {
        free(bare);
        return rc;
    }
    if (o.busy_timeout_ms == 0)
        o.busy_timeout_ms = 10000;
    if (o.default_ttl_ms < 0)
        o.default_ttl_ms = 0;
    if (o.compress_threshold == 0)
        o.compress_threshold = CAIRN__ZIP_MIN;

    cairn_store *s = calloc(1, sizeof *s);
    if (!s) {
        free(bare);
        return cairn__err(CAIRN_ENOMEM, "open %.200s: out of memory", shown);
    }
    s->m = m;
    s->opt = o;
    if ((rc = cairn__mcache_new(&s->mc))) {
        free(s);
        free(bare);
        return cairn__err_prefix(rc, "open %.200s", shown);
    }
    rc = cairn__backend_open_at(m, loc, &s->opt, shown, &s->be);
    free(bare);
    if (rc) {
        cairn__mcache_free(s->mc);
        free(s);
        return rc;
    }
    *out = s;
    return CAIRN_OK;
}

CAIRN_API void cairn_store_close(cairn_store *s)
{
    if (!s)
        return;
    s->m->close(s->be);
    cairn_store_close(s->inner);
    cairn__mcache_free(s->mc);
    free(s);
}

/* A store over a backend handle opened elsewhere (cairn_tiered_wrap). */
int cairn__store_new(const cairn_backend_methods *m, void *be, const cairn_options *o,
                     cairn_store **out)
{
    cairn_store *s = calloc(1, sizeof *s);
    if (!s)
        return cairn__err(CAIRN_ENOMEM, "out of memory");
    s->m = m;
    s->be = be;
    s->opt = *o;
    int rc = cairn__mcache_new(&s->mc);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return CAIRN_OK;
}

CAIRN_API const char *cairn_store_backend(const cairn_store *s)
{
    return s ? s->m->name : "";
}
