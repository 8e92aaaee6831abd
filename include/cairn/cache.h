/*
 * cairn/cache.h — the memory tier: an in-process cache of byte values by
 * key (cairn_cache), and the tiered store that puts one in front of any
 * backend (cairn_tiered_wrap, the "tiered:" URL scheme). See docs/cache.md.
 *
 * The cache is split into shards, each a hash table under its own
 * read-write lock, so threads reading different keys rarely meet. A hit
 * takes its shard's lock for reading and writes only three words: the
 * entry's reference count, its "recently used" bit (only when it was clear)
 * and the shard's hit counter.
 *
 * Eviction is CLOCK (second chance), per shard: entries queue in insertion
 * order; the oldest is evicted unless it was read since it last came up,
 * in which case it goes to the back of the queue with its bit cleared.
 * That approximates LRU: an entry read since the last sweep outlives every
 * unread one of the same shard. Limits (entries, bytes) hold for the whole
 * cache; an insert makes room from its own shard first, then from the
 * others. Single-threaded, the limits are exact; with threads inserting at
 * once the cache may exceed them by one entry per such thread, briefly.
 */
#ifndef CAIRN_CACHE_H
#define CAIRN_CACHE_H

#include "cairn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes an entry is charged beyond its key and value (its bookkeeping),
 * counted against max_bytes and in cairn_cache_stats.bytes. */
#define CAIRN_CACHE_ENTRY_OVERHEAD 64u

/* Largest key, in bytes. */
#define CAIRN_CACHE_KEY_MAX 65535u

/* Options of cairn_cache_new(). Zero-initialised means defaults. */
struct cairn_cache_options {
    size_t struct_size;     /* 0 or sizeof(cairn_cache_options): common.h */
    uint64_t max_entries;   /* 0: no limit on the number of entries */
    uint64_t max_bytes;     /* 0: 64 MiB. Charge per entry: key + value +
                               CAIRN_CACHE_ENTRY_OVERHEAD */
    int64_t default_ttl_ms; /* TTL of a set that gives ttl_ms 0; <= 0: never
                               expires */
    unsigned shards;        /* 0: 64; rounded up to a power of two, at most
                               1024. 1 gives one exact CLOCK order */
    unsigned reserved;      /* 0. It fills what would be tail padding, so
                               a field a later release adds here is seen:
                               non-zero is CAIRN_EUNSUPPORTED (common.h) */
};

/* Counters since cairn_cache_new() (clear does not reset them). */
struct cairn_cache_stats {
    uint64_t hits;        /* gets that found a live entry */
    uint64_t misses;      /* gets that did not (expired ones included) */
    uint64_t evictions;   /* entries removed to make room */
    uint64_t expirations; /* entries removed because their TTL ran out */
    uint64_t sets;        /* entries stored */
    uint64_t entries;     /* entries held now */
    uint64_t bytes;       /* their charge now (see CAIRN_CACHE_ENTRY_OVERHEAD) */
    uint64_t max_entries; /* the limits in force (0: none) */
    uint64_t max_bytes;
    double hit_rate;      /* hits / (hits + misses); 0 before the first get */
};

/*
 * cairn_cache_new — make an empty cache. opt [in]: borrowed, may be NULL
 * (defaults). out [out]: owned, the cache, released with cairn_cache_free().
 * Errors: CAIRN_EINVAL (NULL out), CAIRN_ENOMEM. Thread-safe.
 */
CAIRN_API int cairn_cache_new(const cairn_cache_options *opt, cairn_cache **out);

/* cairn_cache_free — free the cache and every entry not held by a caller
 * (held entries are freed at their release). c [in]: owned until this
 * call; NULL is fine. No other thread may use the cache during or after
 * the call. */
CAIRN_API void cairn_cache_free(cairn_cache *c);

/*
 * cairn_cache_set — store a copy of val (len bytes) under key (klen bytes,
 * any bytes, at most CAIRN_CACHE_KEY_MAX), replacing an entry there.
 * c [in]. key [in]: borrowed, klen bytes. val [in]: borrowed, len bytes
 * (copied). ttl_ms [in]: > 0 the entry expires that many ms from now (the coarse
 * monotonic clock: a few ms of resolution);
 * 0 the cache's default; < 0 never. Evicts entries as needed.
 * Errors: CAIRN_EINVAL (NULL key or val with a non-zero length, key too
 * long), CAIRN_EFULL (the entry alone is larger than max_bytes: nothing
 * stored, nothing evicted), CAIRN_ENOMEM. Thread-safe.
 */
CAIRN_API int cairn_cache_set(cairn_cache *c, const void *key, size_t klen, const void *val,
                              size_t len, int64_t ttl_ms);

/*
 * cairn_cache_get — find the live entry under key. c [in]. key [in]:
 * borrowed, klen bytes. out [out]: a reference to the entry, held for the
 * caller: its bytes stay valid and unchanged (even if the key is set again,
 * deleted or evicted meanwhile) until cairn_cache_entry_release(). No copy
 * is made.
 * Returns CAIRN_OK or CAIRN_ENOTFOUND (absent or expired; *out NULL).
 * Errors: CAIRN_EINVAL (NULL arguments). Thread-safe.
 */
CAIRN_API int cairn_cache_get(cairn_cache *c, const void *key, size_t klen,
                              cairn_cache_entry **out);

/* The value bytes of a held entry. e [in]. len [out]: may be NULL. Returns
 * a view into e, valid until its release (8-byte aligned; followed by a
 * NUL byte not counted in len). */
CAIRN_API const void *cairn_cache_entry_data(const cairn_cache_entry *e, size_t *len);

/* Let go of an entry from cairn_cache_get(). e [in]: the caller's
 * reference, given up; NULL is fine. Thread-safe (an entry may be released
 * on another thread than the one that got it). */
CAIRN_API void cairn_cache_entry_release(cairn_cache_entry *e);

/* cairn_cache_delete — remove the entry under key. c [in]. key [in]:
 * borrowed, klen bytes. CAIRN_OK, or CAIRN_ENOTFOUND when there was none
 * (or only an expired one). Thread-safe. */
CAIRN_API int cairn_cache_delete(cairn_cache *c, const void *key, size_t klen);

/*
 * cairn_cache_get_many — cairn_cache_get() for n keys. c [in]. keys,
 * klens [in]: borrowed, n each. out [out]: n slots; out[i] receives a
 * reference to the held entry of keys[i] or NULL; release every non-NULL
 * one. hits [out]: may be NULL; how many were found.
 * Errors: CAIRN_EINVAL (NULL arrays with n > 0). Thread-safe.
 */
CAIRN_API int cairn_cache_get_many(cairn_cache *c, const void *const *keys,
                                   const size_t *klens, size_t n, cairn_cache_entry **out,
                                   size_t *hits);

/* One item of cairn_cache_set_many(). */
typedef struct {
    const void *key;
    size_t klen;
    const void *val;
    size_t len;
    int64_t ttl_ms; /* as cairn_cache_set() */
} cairn_cache_item;

/*
 * cairn_cache_set_many — cairn_cache_set() for each item, in order. Not one
 * transaction: on an error the earlier items stay stored. Returns CAIRN_OK
 * or the first item's error (the later items are not stored). c [in].
 * items [in]: borrowed, n of them (copied). Thread-safe.
 */
CAIRN_API int cairn_cache_set_many(cairn_cache *c, const cairn_cache_item *items, size_t n);

/* cairn_cache_clear — remove every entry (counters are kept). c [in]: may
 * be NULL (nothing happens). Thread-safe. */
CAIRN_API void cairn_cache_clear(cairn_cache *c);

/* cairn_cache_stats_get — the counters now. c [in]. out [out]: the
 * caller's struct. CAIRN_OK, or CAIRN_EINVAL for a NULL argument (0.1.0
 * returned void: callers that ignore the result are unchanged).
 * Thread-safe; each counter is read atomically, the set of them is not one
 * snapshot. */
CAIRN_API int cairn_cache_stats_get(cairn_cache *c, cairn_cache_stats *out);

/* ------------------------------------------------------------------ */
/* The tiered store: memory in front of a backend                      */
/* ------------------------------------------------------------------ */

/*
 * A tiered store keeps the records its backend stores (bytes as the backend
 * has them: header and value) in a cairn_cache. Open one by URL:
 *
 *   tiered:INNER-URL     e.g. tiered:lmdb:/data/store?cache_mb=256
 *
 * Query parameters whose names start with "cache_" belong to the tier and
 * are taken out; the others stay with the inner URL (no backend uses a
 * name starting with "cache_"):
 *   cache_mb=N        byte limit in MiB, 1..1048576 (default 64)
 *   cache_entries=N   entry limit, 0 none (default 0)
 *   cache_ttl_ms=N    how long an entry may serve reads before the backend
 *                     is asked again: N > 0 ms, or -1 never (default 1000)
 *   cache_shards=N    1..1024 (default 64)
 * A bad value or an unknown cache_ name fails the open with CAIRN_EURL
 * naming it. tiered: cannot wrap tiered:.
 *
 * Reads look in memory first, then ask the backend and keep what it
 * returned. Writes (put, update, incr, delete and every batch) run in the
 * backend as usual, then put the new record in memory (or remove it);
 * concurrent writes of this process never leave memory older than the
 * backend. Expired records are never returned: their expiry is in the
 * record and checked on every read, from memory or not. Listing, count
 * and range go to the backend.
 *
 * Another process writing the same backend is not seen by this process's
 * memory until the entry's cache_ttl_ms runs out (default 1 s). See
 * docs/cache.md.
 */

/*
 * cairn_tiered_wrap — put a memory tier in front of an open store.
 * inner [in]: owned by the caller; on success ownership passes to the
 * tiered store (closing the tiered store closes inner; do not use or close
 * inner yourself afterwards). On failure inner stays yours, unchanged.
 * opt [in]: borrowed, the tier's cache, may be NULL for the tiered: URL
 * defaults (64 MiB, TTL 1000 ms). out [out]: owned, the store, closed with
 * cairn_store_close().
 * Errors: CAIRN_EINVAL (NULL inner or out, inner already tiered),
 * CAIRN_ENOMEM. Thread-safe.
 */
CAIRN_API int cairn_tiered_wrap(cairn_store *inner, const cairn_cache_options *opt,
                                cairn_store **out);

/*
 * cairn_tier_get — read key from memory only. s [in]. key [in]: borrowed.
 * out [out]: owned, released with cairn_value_free().
 * CAIRN_OK with *out as cairn_get() gives it, or CAIRN_ENOTFOUND when it is not in memory (the
 * backend is not asked) or its record expired. *out is NULL on failure.
 * Errors: CAIRN_EUNSUPPORTED (s is not tiered), CAIRN_EKEY, CAIRN_ECORRUPT,
 * CAIRN_ENOMEM. Thread-safe.
 */
CAIRN_API int cairn_tier_get(cairn_store *s, const char *key, cairn_value **out);

/* cairn_tier_evict — drop key from memory only (the backend keeps it).
 * s [in]. key [in]: borrowed. CAIRN_OK, or CAIRN_ENOTFOUND when it was not
 * in memory; CAIRN_EKEY, CAIRN_EUNSUPPORTED. Thread-safe. */
CAIRN_API int cairn_tier_evict(cairn_store *s, const char *key);

/* cairn_tier_clear — empty the memory tier (the backend keeps every
 * record). s [in]. CAIRN_EUNSUPPORTED when s is not tiered. Thread-safe. */
CAIRN_API int cairn_tier_clear(cairn_store *s);

/* cairn_tier_stats_get — the memory tier's counters
 * (cairn_store_stats_get() has the backend's). s [in]. out [out]: the
 * caller's struct. CAIRN_EUNSUPPORTED when s is not tiered, CAIRN_EINVAL
 * for a NULL argument. Thread-safe. */
CAIRN_API int cairn_tier_stats_get(cairn_store *s, cairn_cache_stats *out);
/* Deprecated (until the release after 0.1.0): cairn_tier_stats_get(). */
CAIRN_API int cairn_tier_stats(cairn_store *s, cairn_cache_stats *out)
    CAIRN_DEPRECATED("cairn_tier_stats_get");

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_CACHE_H */
