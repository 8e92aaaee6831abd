/*
 * front.h — what the pieces of the front API (the .c files of src/store/)
 * share: the store handle, values, the write context that every write runs
 * through, the iterator, and the checks and helpers more than one piece
 * calls. Private to src/store/.
 */
#ifndef CAIRN_STORE_FRONT_H
#define CAIRN_STORE_FRONT_H

/* Layer 3 (store/): for store/ only (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 3 && !defined(CAIRN_IN_STORE)) || CAIRN_LAYER == 4
#error "store/front.h: included from a layer that may not use it"
#endif

#include "base/buf.h"
#include "base/error.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/key.h"
#include "base/opts.h"
#include "cache/cache_internal.h"
#include "record/hint.h"
#include "record/record.h"
#include "record/zip.h"
#include "store/models.h"
#include "store/sys.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cairn_store {
    const cairn_backend_methods *m;
    void *be;
    cairn_options opt;
    uint64_t n_put, n_skip, n_get, n_miss, n_del; /* atomic counters */
    cairn__mcache *mc; /* compiled model schemas (src/store/models.c) */
    cairn_store *inner; /* cairn_tiered_wrap: the wrapped store, closed with this one */
};

struct cairn_value {
    cairn_meta meta;
    char model[CAIRN_MODEL_MAX + 1];
    char *key;
    size_t len;
    char *data; /* len bytes + NUL */
    size_t cap; /* bytes of this allocation */
    char *ext;  /* data when it was decompressed: its own allocation */
    cairn_cache_entry *pin; /* data lives in this memory-tier entry, held */
};

#define COUNT(s, f) __atomic_add_fetch(&(s)->f, 1, __ATOMIC_RELAXED)

/* ---- open.c ---- */

/* A store over a backend handle opened elsewhere (m's, owned from now on). */
int cairn__store_new(const cairn_backend_methods *m, void *be, const cairn_options *o,
                     cairn_store **out);

/* ---- checks.c: argument checks ---- */

static inline int check_store(cairn_store *s, const char *what)
{
    cairn__err_clear();
    if (!s)
        return cairn__err(CAIRN_EINVAL, "%s: store is NULL", what);
    return CAIRN_OK;
}

/* Normalise key into buf (CAIRN_KEY_MAX + 1 bytes); writes refuse the
 * reserved namespace. The detail names what and the key. */
int cairn__check_key(const char *what, const char *key, char *buf, size_t *len, bool write);

/* CAIRN_EKEY naming what and key (len bytes, a key or a raw prefix) when
 * it lies in the library's namespace "_cairn"; else CAIRN_OK. */
int cairn__check_unreserved(const char *what, const char *key, size_t len);
/* Check val for its format (validated: a model's validator parses it next). */
int cairn__check_value(const cairn_put_opts *o, const void *val, size_t len, bool validated);
int cairn__check_opts(const cairn_put_opts *o);
/* User metadata: a JSON object of at most CAIRN_USER_META_MAX bytes. */
int cairn__check_umeta(const char *um, size_t ul);

/* ---- write.c: one callback for put, update, incr and delete ---- */

/* OP_UPGRADE: rewrite a live record of an older header version with the
 * current header (bound to its key), nothing else changed (cairn_upgrade). */
typedef enum { OP_PUT, OP_UPDATE, OP_DELETE, OP_PURGE, OP_UPGRADE } op_kind;

typedef struct {
    cairn_store *s;
    op_kind kind;
    const char *key;
    size_t klen;
    const void *val;
    size_t len;
    cairn_put_opts o;
    bool keep_ttl;      /* keep the old record's expiry (incr) */
    const cairn_meta *rec; /* put_record: the times, expiry and version to
                              keep instead of stamping them now */
    int64_t now;
    int status;         /* CAIRN_OK / CAIRN_SKIPPED / ENOTFOUND for deletes
                           (and for upgrades that found nothing to do) */
    char *buf;          /* encoded new record */
    size_t cap;
    cairn_update_cb ufn; /* update, incr: called as ufn(uarg, cur, ...) */
    void *uarg;
    bool tls; /* buf is the thread's cached buffer */
    cairn__model *model; /* update with a model: validates the new value */
    char *filled;        /* update with fill_defaults: the filled value */
    const cairn__iov *iov; /* a put of a value in pieces (cairn_put_array):
                              niov pieces of len bytes in all; val is NULL */
    size_t niov;
    const char *um;      /* user metadata to write (checked), um_set */
    size_t ul;
    bool um_set;         /* false: none (put) or the old record's (update) */
    char *otmp;          /* the old record's value, decompressed */
} wctx;

void cairn__wctx_init(wctx *c, cairn_store *s, op_kind kind, const char *key, size_t klen,
                      const cairn_put_opts *o);
/* The backend update callback of every write (ctx: its wctx). */
int cairn__write_cb(void *ctx, const void *rec, size_t rlen, const void **out, size_t *olen);
/* Run ops as one backend update (a backend's positive code: CAIRN_EIO). */
int cairn__run_ops(cairn_store *s, const cairn_backend_op *ops, size_t n);
/* The user metadata of c's options, checked and set to be written. */
int cairn__take_umeta(wctx *c);
/* Resolve the model ref of a write (not registered: CAIRN_EMODEL); mref
 * (CAIRN_MODEL_MAX + 1 bytes) receives the resolved reference. */
int cairn__model_hold(cairn_store *s, const char *ref, char *mref, cairn__model **m);
/* Validate *val against m (filled with defaults first when fill); *filled:
 * the filled copy *val then points to, freed by the caller. */
int cairn__model_validate(const cairn__model *m, bool fill, const void **val, size_t *len,
                          char **filled);

/* incr: the update function that adds by to a JSON integer. */
typedef struct {
    int64_t by, result;
    char buf[32];
} cairn__incr_arg;

int cairn__incr_fn(void *arg, const cairn_value *cur, const void **val, size_t *len);

/* ---- value.c ---- */

/* A value for the record r of key: its bytes copied from r->value, or ext
 * (taken over; freed on failure too). NULL when out of memory. */
cairn_value *cairn__value_new(const char *key, size_t klen, const cairn__rec *r, char *ext);
/* The encode buffer of one-key writes: the thread's own while c holds it. */
void cairn__buf_take(wctx *c);
void cairn__buf_give(wctx *c);

/* ---- batch.c ---- */

/* Sort keys[0..n) (normalised, NUL-terminated) in place and refuse a
 * key given twice: CAIRN_EINVAL "WHAT: key K appears twice in the batch". */
int cairn__keys_unique(const char *what, const char **keys, size_t n);
/* Run n write contexts as one backend update (cb: cairn__write_cb or a
 * wrapper). */
int cairn__run_batch_cb(cairn_store *s, wctx *cs, size_t n, cairn_backend_update_fn cb);
int cairn__run_batch(cairn_store *s, wctx *cs, size_t n);

/* ---- read.c ---- */

/* cairn_get through another get than the backend's (cairn_tier_get reads
 * memory only); what names the call in details. */
int cairn__store_get_via(cairn_store *s, const char *what, const char *key,
                         int (*get)(void *be, const char *k, size_t kl,
                                    cairn_backend_read_fn fn, void *ctx),
                         cairn_value **out);

/* ---- iter.c: listing ---- */

#define ITER_BATCH 256

typedef struct {
    size_t koff, klen, hoff, hlen;
} iter_item;

struct cairn_iter {
    cairn_store *s;
    char *lo, *hi, *prefix; /* owned; hi NULL: no bound; prefix NULL: none */
    size_t lolen, lo_cap, hilen, plen;
    bool lo_excl, hide_reserved, done;
    char *next; /* last key seen by the running scan */
    size_t next_len, next_cap;
    bool have_next;
    uint64_t limit, yielded;
    int64_t now;
    char *arena;
    size_t arena_len, arena_cap;
    iter_item items[ITER_BATCH];
    size_t n, pos;
    int err;
    cairn__rec cur; /* metadata of the current key, for cairn_iter_meta */
};

/* An iterator over the keys under prefix: whole segments, or (raw) the
 * keys that start with its bytes; what names the call in details. */
int cairn__list_iter(cairn_store *s, const char *what, const char *prefix, bool raw,
                     cairn_iter **out);
/* Does key pass the iterator's filters (prefix by segment, reserved)? */
bool cairn__iter_wants(const cairn_iter *it, const char *key, size_t klen);

#endif
