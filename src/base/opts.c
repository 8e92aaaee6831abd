/*
 * opts.c — option structs read by the size the caller says (base/opts.h).
 */
#include "base/opts.h"

#include "base/error.h"
#include "cairn/cairn.h"

#include <string.h>

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
