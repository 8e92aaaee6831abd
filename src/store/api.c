/*
 * api.c — the small functions of the public API's conventions
 * (cairn/common.h): version, status names, cairn_free, option structs read
 * by their size, and the names kept for one release after a rename.
 */
#include "api.h"
#include "internal.h"
#include "cairn/cairn.h"

#include <stdlib.h>
#include <string.h>

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

int cairn__opts_read(void *dst, size_t dst_size, size_t size0, const void *src,
                     const char *what)
{
    memset(dst, 0, dst_size);
    if (src) {
        size_t n;
        memcpy(&n, src, sizeof n); /* struct_size, the first field */
        if (n == 0)
            n = size0;
        if (n < sizeof n)
            return cairn__err(CAIRN_EINVAL, "%s: struct_size %zu is smaller than the field itself",
                              what, n);
        if (n > dst_size) {
            const unsigned char *extra = (const unsigned char *)src + dst_size;
            for (size_t i = 0; i < n - dst_size; i++)
                if (extra[i])
                    return cairn__err(CAIRN_EUNSUPPORTED,
                                      "%s: a field this libcairn %s does not know (struct of "
                                      "%zu bytes, %zu known)",
                                      what, CAIRN_VERSION_STRING, n, dst_size);
            n = dst_size;
        }
        memcpy(dst, src, n);
    }
    memcpy(dst, &dst_size, sizeof dst_size);
    return CAIRN_OK;
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
