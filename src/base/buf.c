/*
 * buf.c — growing buffers.
 */
#include "base/buf.h"
#include "base/error.h"

#include <stdlib.h>
#include <string.h>

int cairn__grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return CAIRN_OK;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    char *b = realloc(*buf, c);
    if (!b)
        return cairn__err(CAIRN_ENOMEM, "out of memory (%zu bytes)", c);
    *buf = b;
    *cap = c;
    return CAIRN_OK;
}

int cairn__buf_put(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n + 1 > *cap && cairn__grow(buf, cap, *len + n + 1) != CAIRN_OK)
        return CAIRN_ENOMEM;
    if (n)
        memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
    return CAIRN_OK;
}
