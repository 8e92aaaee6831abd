/*
 * opts.c — option structs read by the size the caller says (base/opts.h).
 */
#include "base/opts.h"

#include "base/error.h"
#include "cairn/cairn.h"

#include <string.h>

/* No option struct ends in padding, where a later field would hide from
 * the check of known: each ends in a field, `reserved` where it had
 * padding. */
#define ENDS_AT(T, last) (offsetof(T, last) + sizeof(((T *)0)->last))
_Static_assert(sizeof(cairn_options) == ENDS_AT(cairn_options, reserved), "padding");
_Static_assert(sizeof(cairn_put_opts) == ENDS_AT(cairn_put_opts, user_meta), "padding");
_Static_assert(sizeof(cairn_copy_opts) == ENDS_AT(cairn_copy_opts, reserved), "padding");
_Static_assert(sizeof(cairn_cache_options) == ENDS_AT(cairn_cache_options, reserved),
               "padding");
_Static_assert(sizeof(cairn_schema_opts) == ENDS_AT(cairn_schema_opts, reserved), "padding");
_Static_assert(sizeof(cairn_executor_opts) == ENDS_AT(cairn_executor_opts, shutdown),
               "padding");

int cairn__opts_read(void *dst, size_t dst_size, size_t size0, size_t known, const void *src,
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
        const unsigned char *b = src;
        for (size_t i = known; i < n; i++)
            if (b[i])
                return cairn__err(CAIRN_EUNSUPPORTED,
                                  "%s: a field this libcairn %s does not know (struct of %zu "
                                  "bytes, %zu known; non-zero at byte %zu)",
                                  what, CAIRN_VERSION_STRING, n, known, i);
        memcpy(dst, src, n < dst_size ? n : dst_size);
    }
    memcpy(dst, &dst_size, sizeof dst_size);
    return CAIRN_OK;
}
