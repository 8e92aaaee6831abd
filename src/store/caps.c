/*
 * caps.c — what a store's backend does well (cairn_store_caps).
 */
#include "backend/registry.h"
#include "store/front.h"

CAIRN_API unsigned cairn_store_caps(const cairn_store *s)
{
    unsigned caps = 0;
    /* Many keys in one round trip: a backend with get_many, which the
     * built-in ones have only where a server is asked; through a tiered
     * store, its inner one. */
    if (s && cairn__backend_batches(s->m, s->be))
        caps |= CAIRN_CAP_BATCH;
    return caps;
}
