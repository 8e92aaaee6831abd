/*
 * arena.c — 2 MiB blocks of equal slots for a large memory tier's entries,
 * advised as transparent huge pages (see arena.h for why).
 *
 * Sizes are grouped in classes of 64 bytes. A class takes its entries from
 * blocks only while it holds at least ON_BYTES of entries (counting those
 * malloc holds), and goes back to malloc below OFF_BYTES: a cache of small
 * or varied entries never maps a block it would leave mostly empty. Within
 * a class, slots freed are reused first; a block left empty is unmapped
 * unless it is the class's last one while the class is on. So the memory
 * mapped is at most the live entries, rounded up to their slots, plus one
 * partly used block per class that holds megabytes of entries.
 *
 * One mutex per arena guards it all (classes, blocks, counts): it is taken
 * on each entry's allocation and release, never on a hit. The arena counts
 * a reference for the cache and one per entry it tracks, so it outlives the
 * cache while entries are held.
 */
#include "cache/arena.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define BLOCK (2u << 20)
#define GRAIN 64u
#define MIN_SIZE 512u
#define MAX_SIZE (16u << 10)
#define NCLS (MAX_SIZE / GRAIN + 1)
#define ON_BYTES (4u << 20)
#define OFF_BYTES (1u << 20)

typedef struct blk {
    cairn__arena *a;
    struct blk *prev, *next; /* the class's blocks with a free slot: those
                                with live < nslots */
    char *base;
    void *free;              /* freed slots, each holding the next */
    uint32_t slot, nslots, bump, live;
    uint16_t cls;
} blk;

typedef struct {
    size_t live;  /* bytes of the class's tracked entries, in slots */
    blk *partial; /* blocks with a free slot */
    bool on;      /* new entries come from blocks */
} klass;

struct cairn__arena {
    pthread_mutex_t mu;
    size_t refs; /* the cache's, and one per tracked entry */
    size_t nblocks;
    bool closed;
    klass k[NCLS];
};

cairn__arena *cairn__arena_new(void)
{
    cairn__arena *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    pthread_mutex_init(&a->mu, NULL);
    a->refs = 1;
    return a;
}

static void destroy(cairn__arena *a)
{
    pthread_mutex_destroy(&a->mu);
    free(a);
}

/* 2 MiB at a 2 MiB boundary, so that the kernel can back it with one huge
 * page; NULL when the system has no room. */
static char *map_block(void)
{
    size_t len = 2 * (size_t)BLOCK;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uintptr_t at = ((uintptr_t)p + BLOCK - 1) & ~(uintptr_t)(BLOCK - 1);
    size_t head = at - (uintptr_t)p, tail = len - head - BLOCK;
    if (head)
        munmap(p, head);
    if (tail)
        munmap((char *)at + BLOCK, tail);
#ifdef MADV_HUGEPAGE
    (void)madvise((void *)at, BLOCK, MADV_HUGEPAGE); /* advice: may be refused */
#endif
    return (char *)at;
}

static void list_add(klass *k, blk *b)
{
    b->prev = NULL;
    b->next = k->partial;
    if (k->partial)
        k->partial->prev = b;
    k->partial = b;
}

static void list_del(klass *k, blk *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        k->partial = b->next;
    if (b->next)
        b->next->prev = b->prev;
    b->prev = b->next = NULL;
}

static blk *blk_new(cairn__arena *a, unsigned cls)
{
    blk *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (!(b->base = map_block())) {
        free(b);
        return NULL;
    }
    POISON(b->base, BLOCK); /* slots are unpoisoned as they are handed out */
    b->a = a;
    b->cls = (uint16_t)cls;
    b->slot = cls * GRAIN;
    b->nslots = BLOCK / b->slot;
    a->nblocks++;
    return b;
}

static void blk_unmap(cairn__arena *a, blk *b)
{
    UNPOISON(b->base, BLOCK);
    munmap(b->base, BLOCK);
    a->nblocks--;
    free(b);
}

/* A slot of block b (which has one free), unpoisoned. */
static void *slot_take(klass *k, blk *b)
{
    void *p;
    if (b->free) {
        p = b->free;
        UNPOISON(p, b->slot);
        b->free = *(void **)p;
    } else {
        p = b->base + (size_t)b->bump++ * b->slot;
        UNPOISON(p, b->slot);
    }
    if (++b->live == b->nslots)
        list_del(k, b);
    return p;
}

/* Unmap the empty blocks of k but keep (may be NULL). */
static void drop_empty(cairn__arena *a, klass *k, const blk *keep)
{
    for (blk *b = k->partial, *nb; b; b = nb) {
        nb = b->next;
        if (b->live == 0 && b != keep) {
            list_del(k, b);
            blk_unmap(a, b);
        }
    }
}

/* Drop a reference (a->mu held, released here); the last frees a. */
static void unref_unlock(cairn__arena *a)
{
    bool dead = --a->refs == 0;
    pthread_mutex_unlock(&a->mu);
    if (dead)
        destroy(a);
}

void *cairn__arena_alloc(cairn__arena *a, size_t size, void **home)
{
    *home = NULL;
    if (!a || size < MIN_SIZE || size > MAX_SIZE)
        return malloc(size);
    unsigned cls = (unsigned)((size + GRAIN - 1) / GRAIN);
    klass *k = &a->k[cls];
    blk *b = NULL;
    pthread_mutex_lock(&a->mu);
    a->refs++;
    k->live += (size_t)cls * GRAIN;
    if (!k->on && k->live >= ON_BYTES)
        k->on = true;
    if (k->on && !(b = k->partial) && (b = blk_new(a, cls)))
        list_add(k, b);
    if (b) {
        void *p = slot_take(k, b);
        *home = b;
        pthread_mutex_unlock(&a->mu);
        return p;
    }
    pthread_mutex_unlock(&a->mu);
    /* malloc's, counted in the class: the token is the arena, tagged */
    void *p = malloc(size);
    if (p) {
        *home = (void *)((uintptr_t)a | 1);
        return p;
    }
    pthread_mutex_lock(&a->mu);
    k->live -= (size_t)cls * GRAIN;
    unref_unlock(a);
    return NULL;
}

void cairn__arena_free(void *home, void *p, size_t size)
{
    if (!home) {
        free(p);
        return;
    }
    bool tagged = (uintptr_t)home & 1;
    blk *b = tagged ? NULL : home;
    cairn__arena *a = tagged ? (cairn__arena *)((uintptr_t)home & ~(uintptr_t)1) : b->a;
    unsigned cls = (unsigned)((size + GRAIN - 1) / GRAIN);
    klass *k = &a->k[cls];
    if (tagged)
        free(p); /* malloc's: only counted here */
    pthread_mutex_lock(&a->mu);
    k->live -= (size_t)cls * GRAIN;
    if (k->on && k->live < OFF_BYTES) {
        /* back to malloc: no new entry will come to the empty blocks the
         * class kept (blocks still in use go as they empty, below) */
        k->on = false;
        drop_empty(a, k, b);
    }
    if (b) {
        if (b->live == b->nslots) /* it was full: it has a free slot now */
            list_add(k, b);
        *(void **)p = b->free;
        b->free = p;
        POISON(p, b->slot);
        /* an empty block goes, unless the class would be left without one */
        if (--b->live == 0 && (a->closed || !k->on || k->partial != b || b->next)) {
            list_del(k, b);
            blk_unmap(a, b);
        }
    }
    unref_unlock(a);
}

void cairn__arena_close(cairn__arena *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    a->closed = true;
    for (unsigned c = 0; c < NCLS; c++)
        drop_empty(a, &a->k[c], NULL);
    unref_unlock(a);
}

size_t cairn__arena_blocks(cairn__arena *a)
{
    if (!a)
        return 0;
    pthread_mutex_lock(&a->mu);
    size_t n = a->nblocks;
    pthread_mutex_unlock(&a->mu);
    return n;
}
