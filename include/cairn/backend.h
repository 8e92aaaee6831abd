/*
 * cairn/backend.h — the backend vtable. Built-in backends (mem, file, sqlite,
 * lmdb) implement it, and so can users: fill a cairn_backend_methods and pass
 * it to cairn_backend_register(); stores whose URL starts with its scheme
 * then use it. See examples/custom_backend.c.
 *
 * A backend stores opaque records (bytes) under keys (bytes) and keeps them
 * sorted bytewise. It never sees formats, schemas or TTLs: the core encodes
 * metadata into the record and decides every behaviour inside the
 * callbacks below, which the backend runs while holding its write lock or
 * transaction. That is what makes every set behaviour atomic on every
 * backend: a backend only has to make update() atomic.
 *
 * Keys passed to a backend are normalised and valid (see cairn_key_normalize);
 * they are NUL-terminated and klen excludes the NUL.
 */
#ifndef CAIRN_BACKEND_H
#define CAIRN_BACKEND_H

#include "cairn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAIRN_BACKEND_VERSION 3

/* What an update callback asks the backend to do with the key. */
enum {
    CAIRN_BACKEND_KEEP = 0,   /* leave the key as it is */
    CAIRN_BACKEND_WRITE = 1,  /* store *rec (rec_len bytes) under the key */
    CAIRN_BACKEND_DELETE = 2  /* remove the key (no-op if absent) */
};

/*
 * Called by update() with the key's current record (rec NULL when absent).
 * Returns one of CAIRN_BACKEND_KEEP/WRITE/DELETE, or a negative cairn status
 * to abort: the backend then abandons the whole update (every op of it) and
 * returns that status. For WRITE, *out and *out_len point to memory owned by the
 * core, valid until update() returns.
 */
typedef int (*cairn_backend_update_fn)(void *ctx, const void *rec,
                                       size_t rec_len, const void **out,
                                       size_t *out_len);

/* One operation of update(). */
typedef struct {
    const char *key;
    size_t klen;
    cairn_backend_update_fn fn;
    void *ctx;
} cairn_backend_op;

/* Called by get() with the record; rec is borrowed for the call only.
 * Returns a cairn status that get() returns. */
typedef int (*cairn_backend_read_fn)(void *ctx, const void *rec,
                                     size_t rec_len);

/* Called by scan() for each key in order. rec is borrowed for the call; when
 * scan() was called with want_value 0 it may hold only a prefix of the
 * record that is at least min(rec size, CAIRN_RECORD_HEAD_MAX) bytes.
 * Returns 0 to go on, 1 to stop (scan returns CAIRN_OK), <0 to abort (scan
 * returns it). */
typedef int (*cairn_backend_scan_fn)(void *ctx, const char *key, size_t klen,
                                     const void *rec, size_t rec_len);

#define CAIRN_RECORD_HEAD_MAX 1024

/* Called by get_many() for the i-th key when it is present; rec is borrowed
 * for the call only. Returns 0 to go on, or a negative cairn status that
 * get_many() stops with and returns. */
typedef int (*cairn_backend_read_many_fn)(void *ctx, size_t i, const void *rec,
                                          size_t rec_len);

typedef struct cairn_backend_methods {
    /* CAIRN_BACKEND_VERSION the backend was written against. Slots are only
     * ever appended; the core checks the version before calling a newer one. */
    int version;
    /* URL scheme without the colon, e.g. "mem". Static. */
    const char *name;

    /* Open the store at location (the URL without "scheme:"; may be "").
     * opt is never NULL. On success set *self. Must not be NULL. Errors as
     * cairn_store_open(); set the detail with cairn_backend_error(). */
    int (*open)(const char *location, const cairn_options *opt,
                void **self);
    /* Release everything. Must not be NULL. */
    void (*close)(void *self);

    /* Look key up; call fn(ctx, rec, len) if present and return its status;
     * return CAIRN_ENOTFOUND without calling fn if absent. Must not be NULL.
     * Safe to call from many threads at once. */
    int (*get)(void *self, const char *key, size_t klen,
               cairn_backend_read_fn fn, void *ctx);

    /* Apply n ops atomically, in order, as one transaction: for each op
     * read its key's current record, call op.fn, and act on its answer. A
     * later op sees the effect of an earlier one. Everything happens under
     * a lock that excludes every other writer in this and other processes,
     * or optimistically: the backend detects that another writer changed
     * a key it read and runs the callbacks again (so they may be called
     * more than once); on a negative answer or an error nothing is changed. Durability as
     * the store's options say. Must not be NULL. Thread-safe. */
    int (*update)(void *self, const cairn_backend_op *ops, size_t n);

    /* Call fn for each key k with lo <= k (lo < k if lo_excl) and k < hi
     * (hi NULL: no upper bound; lo NULL: from the first), in bytewise order
     * (memcmp, shorter first on a tie). want_value 0 lets the backend pass
     * only a prefix of each record (see cairn_backend_scan_fn). Must not be
     * NULL. Thread-safe; may run concurrently with writers and need not be
     * a snapshot, but must never yield a key twice or out of order. */
    int (*scan)(void *self, const char *lo, size_t lolen, int lo_excl,
                const char *hi, size_t hilen, int want_value,
                cairn_backend_scan_fn fn, void *ctx);

    /* ---- version 2 ---- */

    /* Remove every record that expires at or before now (ms since the
     * epoch; the expiry is the record header's, 0 never expires), every
     * key included (_cairn/ too), and set *n to how many. For a backend
     * that indexes expiry itself (postgres keeps it in a column). Each
     * removal must be atomic against update(): a record rewritten with a
     * later expiry meanwhile stays. May be NULL: cairn_purge_expired()
     * then scans and deletes through update(). Thread-safe. */
    int (*purge_expired)(void *self, int64_t now, uint64_t *n);
    /* Look n keys up at once (one round trip where the backend talks to a
     * server): call fn(ctx, i, rec, len) for each key i that is present, in
     * any order, at most once per key; absent keys are not reported. Need
     * not be a snapshot across keys. May be NULL: the core then calls get()
     * per key. Thread-safe. */
    int (*get_many)(void *self, const char *const *keys, const size_t *klens, size_t n,
                    cairn_backend_read_many_fn fn, void *ctx);

    /* ---- version 3 ---- */

    /* Set *gen to the store's generation: a number that changes whenever a
     * write commits to the store, through any handle of any process, and
     * never returns to an earlier value while the store exists. A get()
     * begun after this call must see at least what the generation stands
     * for (LMDB: the snapshot id a read transaction begun now sees, not
     * the last id written to the meta page, which a committing writer
     * updates before new readers see the commit). Must be cheap (no I/O,
     * no round trip): the
     * memory tier calls it when an entry's TTL runs out, and keeps the
     * entry for another TTL without reading the record again when the
     * generation is the one read before the record was. May be NULL: such
     * entries are then always read again. Thread-safe. */
    int (*generation)(void *self, uint64_t *gen);
} cairn_backend_methods;

/*
 * cairn_backend_register — make a backend available to cairn_store_open()
 * under m->name. m [in]: borrowed for the life of the process (it must
 * stay valid). Registering a name that is taken (built-in or not) replaces
 * it.
 * Errors: CAIRN_EINVAL (NULL slot, bad name, version newer than this
 * library), CAIRN_ENOMEM. Thread-safe.
 */
CAIRN_API int cairn_backend_register(const cairn_backend_methods *m);

/*
 * cairn_backend_error — for backend authors: record a status and a detail
 * message (printf format) for the calling thread, as cairn_errmsg() shows
 * it. status [in]. fmt [in]: borrowed, with its arguments. Returns status,
 * so a backend can write
 *     return cairn_backend_error(CAIRN_EIO, "open %s: %s", path, strerror(e));
 */
CAIRN_API int cairn_backend_error(int status, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Unix time in milliseconds, as the core stamps records. Thread-safe. */
CAIRN_API int64_t cairn_now_ms(void);

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_BACKEND_H */
