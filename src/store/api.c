/*
 * api.c — the small functions of the public API's conventions
 * (cairn/common.h): version, status names, cairn_free, and the names kept
 * for one release after a rename.
 */
#include "cairn/cairn.h"

#include <stdlib.h>

CAIRN_API const char *cairn_status_name(int status)
{
    switch (status) {
#define CAIRN__NAME(name, code, text) \
    case code:                        \
        return "CAIRN_" #name;
        CAIRN_STATUS_MAP(CAIRN__NAME)
#undef CAIRN__NAME
    default:
        return "CAIRN_UNKNOWN";
    }
}

CAIRN_API const char *cairn_version(void)
{
    return CAIRN_VERSION_STRING;
}

CAIRN_API int cairn_version_number(void)
{
    return CAIRN_VERSION_NUMBER;
}

/* Every buffer the library hands out comes from malloc(). */
CAIRN_API void cairn_free(void *p)
{
    free(p);
}

/* ---- the names kept for one release (cairn/common.h, CHANGELOG.md) ---- */

CAIRN_API int cairn_stats_get(cairn_store *s, cairn_stats *out)
{
    return cairn_store_stats_get(s, out);
}

CAIRN_API int cairn_tier_stats(cairn_store *s, cairn_cache_stats *out)
{
    return cairn_tier_stats_get(s, out);
}

/* cairn_update_v2 over cairn_update: the callback's context moved first. */
typedef struct {
    cairn_update_cb fn;
    void *ctx;
} update_v2;

static int update_v2_call(const cairn_value *cur, void *arg, const void **val, size_t *len)
{
    update_v2 *u = arg;
    return u->fn(u->ctx, cur, val, len);
}

CAIRN_API int cairn_update_v2(cairn_store *s, const char *key, cairn_update_cb fn, void *ctx,
                              const cairn_put_opts *opt)
{
    if (!fn) /* as cairn_update, which would see a non-NULL trampoline */
        return cairn_update(s, key, NULL, NULL, opt);
    update_v2 u = {fn, ctx};
    return cairn_update(s, key, update_v2_call, &u, opt);
}
