/*
 * open.c — opening and closing a store: the options, the backend found by
 * URL scheme through the registry (src/backend/registry.c), the model cache.
 */
#include "store/front.h"
#include "backend/registry.h"

#include <stdlib.h>
#include <string.h>

cairn__mcache *cairn__store_mcache(cairn_store *s)
{
    return s->mc;
}

/* ------------------------------------------------------------------ */
/* Open / close                                                        */
/* ------------------------------------------------------------------ */

CAIRN_API int cairn_store_open(const char *url, const cairn_options *opt,
                               cairn_store **out)
{
    const cairn_backend_methods *m;
    const char *loc;
    char shown[256]; /* the URL as messages show it: no password */
    cairn__err_clear();
    if (!out)
        return cairn__err(CAIRN_EINVAL, "open: out is NULL");
    int rc = cairn__backend_lookup(url, &m, &loc, shown, sizeof shown);
    if (rc)
        return rc;
    cairn_options o;
    if ((rc = CAIRN__OPTS_READ(&o, opt, "options")))
        return cairn__err_prefix(rc, "open %.200s", shown);
    if ((unsigned)o.durability > CAIRN_DURABILITY_FULL)
        return cairn__err(CAIRN_EINVAL, "open %.200s: unknown durability %d", shown,
                          (int)o.durability);
    if (o.busy_timeout_ms < 0)
        return cairn__err(CAIRN_EINVAL, "open %.200s: negative busy_timeout_ms", shown);
    if (o.busy_timeout_ms == 0)
        o.busy_timeout_ms = 10000;
    if (o.default_ttl_ms < 0)
        o.default_ttl_ms = 0;
    if ((rc = cairn__zip_level_check(o.compress_level)))
        return cairn__err_prefix(rc, "open %.200s", shown);
    if (o.compress_threshold == 0)
        o.compress_threshold = CAIRN__ZIP_MIN;

    cairn_store *s = calloc(1, sizeof *s);
    if (!s)
        return cairn__err(CAIRN_ENOMEM, "open %.200s: out of memory", shown);
    s->m = m;
    s->opt = o;
    if ((rc = cairn__mcache_new(&s->mc))) {
        free(s);
        return cairn__err_prefix(rc, "open %.200s", shown);
    }
    rc = cairn__backend_open_at(m, loc, &s->opt, shown, &s->be);
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
