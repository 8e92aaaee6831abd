/*
 * tiered.h — the "tiered:" backend (tiered.c): a cairn_cache of records in
 * front of another backend. What the store layer needs beyond its vtable
 * (the public tier calls of cairn/cache.h work on a tier's handle), and the
 * URL split that fuzz/tiered_url.c checks.
 */
#ifndef CAIRN_BACKEND_TIERED_H
#define CAIRN_BACKEND_TIERED_H

/* Layer 2 (backend/): for layers above 2 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 2 && !defined(CAIRN_IN_BACKEND)) || CAIRN_LAYER == 4
#error "backend/tiered.h: included from a layer that may not use it"
#endif

#include "cairn/cairn.h"

#include <stdbool.h>
#include <stddef.h>

extern const cairn_backend_methods cairn__backend_tiered;

/* A tier: the handle of a cairn__backend_tiered backend. */
typedef struct cairn__tiered cairn__tiered;

/* The tier that the handle be of m is, or NULL when m is not tiered. */
cairn__tiered *cairn__tiered_of(const cairn_backend_methods *m, void *be);

/* The backend t wraps: its handle; *m receives its methods. */
void *cairn__tiered_inner(const cairn__tiered *t, const cairn_backend_methods **m);

/* A tier with the cache co in front of the open handle be of m (a
 * cairn__backend_tiered handle: closed by its close). owned: the tier
 * closes be when it closes; else be stays the caller's and must outlive
 * the tier. NULL on failure, with the detail set. */
cairn__tiered *cairn__tiered_wrap_backend(const cairn_backend_methods *m, void *be,
                                          bool owned, const cairn_cache_options *co);

/* Read key from memory only, as the backend get slot does (self: a tier):
 * CAIRN_ENOTFOUND when memory does not hold it. */
int cairn__tiered_get_mem(void *self, const char *key, size_t klen,
                          cairn_backend_read_fn fn, void *ctx);

/* Drop the normalised key from memory, as a write does (a read in flight
 * does not put back what it fetched before). CAIRN_OK, or
 * CAIRN_ENOTFOUND when memory did not hold it (no detail set). */
int cairn__tiered_evict(cairn__tiered *t, const char *key, size_t klen);

/* The tier's cache (for its stats and cairn_cache_clear). */
cairn_cache *cairn__tiered_cache(cairn__tiered *t);

/* The tiered: URL: the defaults of its options, and the split of a
 * location (the URL after "tiered:") into the inner URL (written to inner,
 * strlen(loc) + 1 bytes) and the cache_ parameters (into co, which holds
 * the defaults first). CAIRN_OK or CAIRN_EURL. */
void cairn__tiered_defaults(cairn_cache_options *co);
int cairn__tiered_split(const char *loc, char *inner, cairn_cache_options *co);

#endif
