/*
 * record/hint.h — what the memory tier tells the read path about a record it already
 * decoded and verified (src/record/hint.c).
 */
#ifndef CAIRN_RECORD_HINT_H
#define CAIRN_RECORD_HINT_H

/* Layer 1 (record/): for layers above 1 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 1 && !defined(CAIRN_IN_RECORD)) || CAIRN_LAYER == 4
#error "record/hint.h: included from a layer that may not use it"
#endif

#include "cairn/cairn.h"
#include "cairn/cache.h"
#include "record/record.h"

/* The memory tier (src/backend/tiered.c) keeps records it decoded, and
 * whose checksum it verified, when they entered memory. While it hands
 * such a record to a read callback it sets this to the record's bytes and
 * their decoding (which points into memory the tier holds for the call),
 * and the store's read path uses that instead of decoding and hashing again
 * (only for exactly that rec pointer). */
typedef struct {
    const void *rec;
    const cairn__rec *r;
    /* Non-NULL: the value bytes (r->value, followed by a NUL) live in this
     * held entry; a cairn_value may point at them and hold the entry
     * instead of copying them. */
    cairn_cache_entry *pin;
} cairn__rec_hint;
extern _Thread_local cairn__rec_hint cairn__rec_known;

#endif
