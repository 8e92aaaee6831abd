/*
 * arena.h — where a large memory tier keeps its entries: 2 MiB blocks of
 * equal slots, mapped on their own and advised as transparent huge pages
 * (src/cache/arena.c, docs/cache.md "Memory").
 *
 * A hit of a cache of tens of MiB touches an entry that is neither in the
 * CPU caches nor, with 4 KiB pages, in the TLB; on a virtual machine the
 * page walk costs as much as the memory access. Entries in huge pages
 * make that walk rare. Only size classes that hold several MiB of entries
 * use blocks (small or varied caches stay with malloc), and a block that
 * empties is unmapped, so the memory held stays close to what the entries
 * need.
 *
 * Thread-safe. An arena outlives its cache while entries from it are held
 * (entries outlive the cache, see cairn_cache_entry_release()).
 */
#ifndef CAIRN_CACHE_ARENA_H
#define CAIRN_CACHE_ARENA_H

/* Layer 1 (cache/): for layers above 1 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 1 && !defined(CAIRN_IN_CACHE)) || CAIRN_LAYER == 4
#error "cache/arena.h: included from a layer that may not use it"
#endif

#include <stddef.h>

typedef struct cairn__arena cairn__arena;

/* A new arena; NULL when out of memory (the cache then uses malloc). */
cairn__arena *cairn__arena_new(void);
/* The cache is done with a: blocks are unmapped as their last entries go,
 * the arena with the last of them. */
void cairn__arena_close(cairn__arena *a);
/* size bytes (16-byte aligned) for an entry, from a block or from malloc;
 * NULL when out of memory. *home receives what cairn__arena_free needs to
 * give them back: the block, a token by which the arena counted malloc's
 * memory in its size class, or NULL (a NULL a, or a size the arena never
 * serves: plain malloc). */
void *cairn__arena_alloc(cairn__arena *a, size_t size, void **home);
/* Give back p (size bytes, as allocated) with the home that came with it. */
void cairn__arena_free(void *home, void *p, size_t size);
/* Blocks mapped now (for the tests). */
size_t cairn__arena_blocks(cairn__arena *a);

#endif
