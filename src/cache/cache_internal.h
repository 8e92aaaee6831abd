/*
 * cache_internal.h — what src/backend/tiered.c needs from cache.c beyond
 * the public API: hashing once per key, and writes that cannot leave memory
 * older than the backend when threads race (stamps).
 *
 * A stamp is a counter per stripe of keys, bumped under the shard's lock by
 * every write-through. A reader takes the stamp before it asks the backend
 * and fills memory only if no write of the stripe happened meanwhile; a
 * writer takes it before its backend transaction and, afterwards, stores
 * its record only if no other write of the stripe came in between (else it
 * removes the entry, and the next read fetches the winner).
 */
#ifndef CAIRN_CACHE_INTERNAL_H
#define CAIRN_CACHE_INTERNAL_H

/* Layer 1 (cache/): for layers above 1 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 1 && !defined(CAIRN_IN_CACHE)) || CAIRN_LAYER == 4
#error "cache/cache_internal.h: included from a layer that may not use it"
#endif

#include "base/error.h"
#include "cairn/cairn.h"
#include "cairn/cache.h"

#include <stdbool.h>
#include <stdint.h>

/* Hold a cache entry once more (released by cairn_cache_entry_release). */
void cairn__cache_entry_hold(cairn_cache_entry *e);
uint64_t cairn__cache_hash(const void *key, size_t klen);
uint64_t cairn__cache_stamp(cairn_cache *c, uint64_t hash);
int cairn__cache_get_h(cairn_cache *c, const void *key, size_t klen, uint64_t hash,
                       cairn_cache_entry **out);
/* May an expired entry live on? Called with no lock of the cache held, on
 * the entry held for the call; true: it lives another default TTL (the
 * cache's, from now) and the get is a hit, unless the key was written
 * meanwhile. */
typedef bool (*cairn__cache_renew_fn)(void *ctx, const cairn_cache_entry *e);
/* cairn__cache_get_h, asking renew (may be NULL) about an expired entry. */
int cairn__cache_get_r(cairn_cache *c, const void *key, size_t klen, uint64_t hash,
                       cairn_cache_entry **out, cairn__cache_renew_fn renew, void *ctx);
/* Called on an entry's own copy of its value before any reader can see
 * it (so it may finish building what readers will share). */
typedef void (*cairn__cache_init_fn)(void *val, size_t len);
/* Store unless the stripe's stamp moved since stamp (then nothing). */
int cairn__cache_fill(cairn_cache *c, const void *key, size_t klen, uint64_t hash,
                      const void *val, size_t len, int64_t ttl_ms, uint64_t stamp,
                      cairn__cache_init_fn init);
/* After a backend write: store val (or, val NULL, remove) if the stamp has
 * not moved, else remove; bump the stamp either way. Returns CAIRN_OK when
 * a live entry was there before, else CAIRN_ENOTFOUND. */
int cairn__cache_write(cairn_cache *c, const void *key, size_t klen, uint64_t hash,
                       const void *val, size_t len, int64_t ttl_ms, uint64_t stamp,
                       cairn__cache_init_fn init);
/* Remove every entry for which fn(ctx, value, len) is true. Returns how
 * many. */
uint64_t cairn__cache_remove_if(cairn_cache *c, bool (*fn)(void *ctx, const void *val,
                                                           size_t len),
                                void *ctx);

#endif
