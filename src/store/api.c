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

/* cairn_update over cairn_update_v2: its callback takes the context
 * second. */
typedef struct {
    cairn_update_fn fn;
    void *arg;
} update_v1;

static int update_v1_call(void *ctx, const cairn_value *cur, const void **val, size_t *len)
{
    update_v1 *u = ctx;
    return u->fn(cur, u->arg, val, len);
}

CAIRN_API int cairn_update(cairn_store *s, const char *key, cairn_update_fn fn, void *arg,
                           const cairn_put_opts *opt)
{
    if (!fn) /* as cairn_update_v2, which would see a non-NULL trampoline */
        return cairn_update_v2(s, key, NULL, NULL, opt);
    update_v1 u = {fn, arg};
    return cairn_update_v2(s, key, update_v1_call, &u, opt);
}
