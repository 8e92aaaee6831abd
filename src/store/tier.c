/*
 * tier.c — the public tier calls (cairn/cache.h) on a store whose backend
 * is a tier (src/backend/tiered.c); cairn_tiered_wrap puts one in front of a
 * store's backend.
 */
#include "store/front.h"
#include "backend/tiered.h"

/* ------------------------------------------------------------------ */
/* The memory tier (tiered stores; cairn/cache.h)                      */
/* ------------------------------------------------------------------ */

static int tier_of(cairn_store *s, const char *what, cairn__tiered **t)
{
    cairn__err_clear();
    if (!s)
        return cairn__err(CAIRN_EINVAL, "%s: store is NULL", what);
    if (!(*t = cairn__tiered_of(s->m, s->be)))
        return cairn__err(CAIRN_EUNSUPPORTED, "%s: the store is not tiered (backend %s)",
                          what, s->m->name);
    return CAIRN_OK;
}

/* The tier refers to inner's backend without owning it; the new store
 * owns inner and closes it after the tier. */
CAIRN_API int cairn_tiered_wrap(cairn_store *inner, const cairn_cache_options *opt,
                                cairn_store **out)
{
    cairn__err_clear();
    if (!inner || !out)
        return cairn__err(CAIRN_EINVAL, "tiered_wrap: inner or out is NULL");
    if (cairn__tiered_of(inner->m, inner->be))
        return cairn__err(CAIRN_EINVAL, "tiered_wrap: the store is tiered already");
    cairn_cache_options co;
    int orc = CAIRN__OPTS_READ(&co, opt, "cache options");
    if (orc)
        return cairn__err_prefix(orc, "tiered_wrap");
    if (!opt)
        cairn__tiered_defaults(&co);
    cairn__tiered *t = cairn__tiered_wrap_backend(inner->m, inner->be, false, &co);
    if (!t)
        return cairn__err_prefix(CAIRN_ENOMEM, "tiered_wrap");
    int rc = cairn__store_new(&cairn__backend_tiered, t, &inner->opt, out);
    if (rc) {
        cairn__backend_tiered.close(t); /* inner stays the caller's */
        return rc;
    }
    (*out)->inner = inner;
    return CAIRN_OK;
}

CAIRN_API int cairn_tier_get(cairn_store *s, const char *key, cairn_value **out)
{
    cairn__tiered *t;
    if (out)
        *out = NULL;
    int rc = tier_of(s, "tier_get", &t);
    return rc ? rc : cairn__store_get_via(s, "tier_get", key, cairn__tiered_get_mem, out);
}

CAIRN_API int cairn_tier_evict(cairn_store *s, const char *key)
{
    cairn__tiered *t;
    int rc = tier_of(s, "tier_evict", &t);
    if (rc)
        return rc;
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    if ((rc = cairn__key_norm(key, k, &klen)))
        return cairn__err_prefix(rc, "tier_evict %s", key ? key : "(null)");
    if (cairn__tiered_evict(t, k, klen))
        return cairn__err(CAIRN_ENOTFOUND, "tier_evict %s: not in memory", k);
    return CAIRN_OK;
}

CAIRN_API int cairn_tier_clear(cairn_store *s)
{
    cairn__tiered *t;
    int rc = tier_of(s, "tier_clear", &t);
    if (rc == CAIRN_OK)
        cairn_cache_clear(cairn__tiered_cache(t));
    return rc;
}

CAIRN_API int cairn_tier_stats_get(cairn_store *s, cairn_cache_stats *out)
{
    cairn__tiered *t;
    int rc = tier_of(s, "tier_stats", &t);
    if (rc)
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "tier_stats: out is NULL");
    cairn_cache_stats_get(cairn__tiered_cache(t), out);
    return CAIRN_OK;
}
