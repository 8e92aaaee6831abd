/*
 * caps.c — what a store's backend does well (cairn_store_caps).
 */
#include "store/sys.h"

CAIRN_API unsigned cairn_store_caps(const cairn_store *s)
{
    unsigned caps = 0;
    if (s && cairn__store_batches((cairn_store *)s))
        caps |= CAIRN_CAP_BATCH;
    return caps;
}
