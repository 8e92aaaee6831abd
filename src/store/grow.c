/*
 * grow.c — the growing buffer the front API's pieces share (moves to the
 * base layer).
 */
#include "front.h"

#include <stdlib.h>

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
