/*
 * internal.h — what the parts of libcairn share and users never see:
 * error detail, the record encoding, JSON and UTF-8 checks, built-in backends.
 */
#ifndef CAIRN_INTERNAL_H
#define CAIRN_INTERNAL_H

#include "cairn/cairn.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CAIRN__FMT(a, b) __attribute__((format(printf, a, b)))

/* ---- errors (src/store/error.c) ---- */

/* Record status and a printf detail for this thread; returns status. */
int cairn__err(int status, const char *fmt, ...) CAIRN__FMT(2, 3);
int cairn__verr(int status, const char *fmt, va_list ap) CAIRN__FMT(2, 0);
/* Prefix this thread's detail with "what: " (e.g. "put runs/1"). */
int cairn__err_prefix(int status, const char *fmt, ...) CAIRN__FMT(2, 3);
/* Map an errno to a cairn status (ENOSPC -> EFULL, ENOMEM -> ENOMEM, ...). */
int cairn__errno_status(int e);
void cairn__err_clear(void);
/* Keep errs (owned from now on) as this thread's cairn_validation_errors();
 * freed at the next cairn__err_clear() (the start of the next call) or at
 * thread exit. */
void cairn__verrs_keep(cairn_verrors *errs);

/* ---- UTF-8 and JSON (src/store/json.c) ---- */

/* Shared by json.c and the JSON tree of src/model/jdom.c. */
/* Length of the UTF-8 sequence at p (n bytes left), or 0 if invalid. */
static inline size_t cairn__utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0; /* continuation byte or overlong 2-byte lead */
    if (c < 0xE0) {
        if (n < 2 || (p[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && p[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && p[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* True when none of the eight bytes in w needs a look: no control byte,
 * quote, backslash or non-ASCII byte (the usual bit tricks). */
static inline bool cairn__plain8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    /* A byte below 0x20, or equal to '"' or '\\' (x ^ c == 0), borrows and
     * sets its high bit; borrows only start at such a byte. */
    return ((w | (w - ones * 0x20) | ((w ^ (ones * '"')) - ones) |
             ((w ^ (ones * '\\')) - ones)) & high) == 0;
}

#ifdef __SSE2__
/* Skip the plain bytes at the front of p[0..16): returns how many there
 * are (16 when all are). One signed compare catches both the control bytes
 * (below 0x20) and the non-ASCII ones (negative as signed bytes). */
static inline unsigned cairn__plain16(const unsigned char *p)
{
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i stop = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
        _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    unsigned bits = (unsigned)_mm_movemask_epi8(stop);
    return bits ? (unsigned)__builtin_ctz(bits) : 16u;
}
#endif


/* True when p[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
 * On false, *bad (may be NULL) receives the offset of the first bad byte. */
bool cairn__utf8_valid(const void *p, size_t n, size_t *bad);

/* Scan the JSON string whose opening quote is at *pp, up to end: on true
 * *pp is just past the closing quote and *esc tells whether the string has
 * escapes; on false *pp is at the offending byte and *why says what is
 * wrong. The put path's check and the validate path's tree (src/model)
 * both scan strings with this. */
static inline bool cairn__json_string(const unsigned char **pp, const unsigned char *end,
                                      bool *esc, const char **why)
{
    const unsigned char *p = *pp + 1;
    while (p < end) {
#ifdef __SSE2__
        /* Plain ASCII runs go sixteen bytes at a time (about 3x fewer
         * instructions than the eight-byte loop below for long strings). */
        while (end - p >= 16) {
            unsigned k = cairn__plain16(p);
            p += k;
            if (k < 16)
                break;
        }
#endif
        /* Eight at a time where SSE2 is not there, and for the tail. */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (!cairn__plain8(w))
                break;
            p += 8;
        }
        if (p >= end)
            break;
        unsigned c = *p;
        if (c == '"') {
            *pp = p + 1;
            return true;
        }
        if (c == '\\') {
            if (end - p < 2)
                break;
            c = p[1];
            *esc = true;
            if (c == 'u') {
                bool hex = end - p >= 6;
                for (int i = 2; hex && i < 6; i++) {
                    unsigned h = p[i] | 0x20u;
                    hex = (p[i] >= '0' && p[i] <= '9') || (h >= 'a' && h <= 'f');
                }
                if (!hex) {
                    *pp = p;
                    *why = "bad \\u escape";
                    return false;
                }
                p += 6;
            } else if (c && strchr("\"\\/bfnrt", (int)c)) {
                p += 2;
            } else {
                *pp = p;
                *why = "bad escape";
                return false;
            }
        } else if (c < 0x20) {
            *pp = p;
            *why = "control character in string";
            return false;
        } else if (c < 0x80) {
            p++;
        } else {
            size_t k = cairn__utf8_seq(p, (size_t)(end - p));
            if (!k) {
                *pp = p;
                *why = "invalid UTF-8 in string";
                return false;
            }
            p += k;
        }
    }
    *pp = p;
    *why = "unterminated string";
    return false;
}


/* Check that p[0..n) is one JSON text (RFC 8259), without building a tree.
 * Returns CAIRN_OK or CAIRN_EFORMAT with a detail naming the byte offset. */
int cairn__json_check(const void *p, size_t n);

/* Semantic JSON equality: object key order and white space ignored,
 * numbers compared by value. *eq receives the answer. Returns CAIRN_OK or
 * CAIRN_EFORMAT when either side is not JSON. */
int cairn__json_equal(const void *a, size_t alen, const void *b, size_t blen,
                      bool *eq);
/* The same; when they differ and path is not NULL, path (cap bytes)
 * receives the JSON Pointer of the first difference ("" is the root). */
int cairn__json_diff(const void *a, size_t alen, const void *b, size_t blen,
                     bool *eq, char *path, size_t cap);

/* ---- keys (src/store/key.c) ---- */

/* Normalise key into buf (CAIRN_KEY_MAX + 1 bytes); CAIRN_EKEY with detail. */
int cairn__key_norm(const char *key, char *buf, size_t *len);
/* True when key (normalised) is reserved for the library ("_cairn" or under). */
bool cairn__key_reserved(const char *key, size_t len);

/* ---- records (src/store/record.c) ----
 *
 * A record is one header line of JSON, a newline, then the user metadata
 * (if any) and the value bytes as stored:
 *   {"cairn":1,"ver":3,"fmt":"json","ctime":..,"mtime":..,"exp":0,
 *    "size":1024,"zip":"none","xxh3":"0123456789abcdef","model":"",
 *    "hh":"89abcdef"}\n<value>
 * so a file-backend record of a JSON value reads with cat, and jq reads it
 * as two documents (the header, then the value). Fields are in this fixed
 * order and the decoder accepts nothing else. xxh3 is the XXH3-64 of the
 * value (uncompressed); hh the low 32 bits of the XXH3-64 of the header up
 * to ',"hh"'. Two optional parts (issue 5), absent from older records:
 *   "zip":"zstd","zsize":M     the value is one zstd frame of M bytes
 *                              (1 <= M < size) that holds size bytes
 *   ,"umeta":U,"uxxh3":"..."   after "model": U bytes of user metadata
 *                              (a JSON object) come first in the body,
 *                              with their own XXH3-64
 * The body is then <user metadata><value as stored>.
 */
typedef struct {
    cairn_meta meta;    /* meta.user_meta is NULL: see umeta */
    const char *value;  /* the value: into the record when stored raw; a
                           decompressed copy after cairn__rec_load() */
    size_t head_len;    /* bytes of the header line, newline included */
    const char *umeta;  /* user metadata, umeta_len bytes, into the record */
    size_t umeta_len;
    uint64_t umeta_sum; /* its XXH3-64 as the header says */
    const char *stored; /* the value as stored, stored_len bytes */
    size_t stored_len;
    bool zstd;          /* stored is a zstd frame not yet loaded */
    /* Last: a read touches only its first bytes (usually one, "" ), so the
     * fields above share the first cache lines of a decoded record that the
     * memory tier keeps with each entry. */
    char model[CAIRN_MODEL_MAX + 1];
} cairn__rec;

/* Largest header the encoder writes (model reference included). */
#define CAIRN__HEAD_MAX 640

/* Write the header for meta (meta->size, checksum, compression and
 * stored_size, user_meta_len already set) into buf (CAIRN__HEAD_MAX bytes).
 * umeta_sum: XXH3-64 of the user metadata (ignored when there is none).
 * Returns its length. cairn__rec_head() is the same with umeta_sum 0. */
size_t cairn__rec_head_u(char *buf, const cairn_meta *meta, uint64_t umeta_sum);
size_t cairn__rec_head(char *buf, const cairn_meta *meta);

/* Decode a record. With verify, the body must be whole, the user
 * metadata must match its checksum, and a value stored raw its checksum;
 * a compressed value is checked by cairn__rec_load(). Without verify only
 * the header is read (rec may be a prefix). Returns CAIRN_OK or
 * CAIRN_ECORRUPT with a detail. The result points into rec. */
int cairn__rec_decode(const void *rec, size_t len, bool verify, cairn__rec *out);

/* After a header-only decode of a record of rec_len bytes: does the body
 * have the size the header says, and does the user metadata match its
 * checksum? CAIRN_OK or CAIRN_ECORRUPT. */
int cairn__rec_check_size(const cairn__rec *r, size_t rec_len);
/* Decompress a zstd value (after cairn__rec_check_size) into *tmp
 * (malloc'd, NUL-terminated; the caller frees it) and verify the checksum
 * over the result; r->value then points at it. A raw value: nothing to do,
 * *tmp is NULL. CAIRN_OK, CAIRN_ECORRUPT, CAIRN_ENOMEM. */
int cairn__rec_load(cairn__rec *r, char **tmp);

/* A value handed over in pieces (an npy header and the caller's elements),
 * concatenated only when the record is encoded (and compressed from the
 * pieces). */
typedef struct {
    const void *base;
    size_t len;
} cairn__iov;

/* ---- compression (src/store/zip.c) ---- */

#define CAIRN__ZIP_MIN 4096 /* default threshold (cairn_options) */
#define CAIRN__ZIP_LEVEL 3  /* default zstd level */

/* Compress the n pieces (one value) into one zstd frame at dst (cap bytes)
 * at level (0: CAIRN__ZIP_LEVEL). CAIRN_OK with *zlen set, CAIRN_SKIPPED
 * when the frame does not fit in cap (not worth it: store raw), or an
 * error. Thread-safe (a context per thread). */
int cairn__zip(const cairn__iov *pieces, size_t n, int level, void *dst, size_t cap,
               size_t *zlen);
/* Decompress the frame src (srclen bytes) that must hold exactly size
 * bytes into *out (malloc'd, size + 1 bytes, NUL-terminated). Memory grows
 * with the output the frame really produces, never from size alone.
 * CAIRN_OK, CAIRN_ECORRUPT, CAIRN_ENOMEM. */
int cairn__unzip(const void *src, size_t srclen, size_t size, char **out);
/* CAIRN_OK or CAIRN_EINVAL for a level zstd does not have (0 is fine). */
int cairn__zip_level_check(int level);
/* Does value (meta.size bytes, e.g. a copy) match the header's checksum? */
int cairn__rec_check_sum(const cairn__rec *r, const void *value);

/* The memory tier (src/cache/tiered.c) keeps records it decoded, and
 * whose checksum it verified, when they entered memory. While it hands
 * such a record to a read callback it sets this to the record's bytes and
 * their decoding (which points into memory the tier holds for the call),
 * and store.c's read path uses that instead of decoding and hashing again
 * (only for exactly that rec pointer). */
typedef struct {
    const void *rec;
    const cairn__rec *r;
    /* Non-NULL: the value bytes (r->value, followed by a NUL) live in this
     * held entry; a cairn_value may point at them and hold the entry
     * instead of copying them. */
    cairn_cache_entry *pin;
} cairn__rec_hint;
/* Hold a cache entry once more (released by cairn_cache_entry_release). */
void cairn__cache_entry_hold(cairn_cache_entry *e);
extern _Thread_local cairn__rec_hint cairn__rec_known;

/* XXH3-64 of the value bytes. */
uint64_t cairn__hash(const void *p, size_t n);

/* XXH3-64 of the concatenation of the n pieces (= cairn__hash of it). */
uint64_t cairn__hash_iov(const cairn__iov *v, size_t n);

/* True when a record that expires at exp (0: never) is expired at now. */
static inline bool cairn__expired(int64_t exp, int64_t now)
{
    return exp > 0 && exp <= now;
}

/* Model references: 1..CAIRN_MODEL_MAX bytes of [A-Za-z0-9_.@#/-]. */
bool cairn__model_ref_valid(const char *m);

/* ---- backends ---- */

/* Does s read many keys in one round trip (a backend with get_many, which
 * the built-in ones have only where a server is asked; through a tiered
 * store, its inner one)? The async executor then runs queued gets and
 * puts of s together (src/async/calls.c). */
bool cairn__store_batches(cairn_store *s);
/* The same for a tiered store's backend handle. */
bool cairn__tiered_batches(void *be);
/* How many calls ex ran as part of a batch of two or more (for tests). */
struct cairn_executor;
size_t cairn__executor_batched(struct cairn_executor *ex);

extern const cairn_backend_methods cairn__backend_mem;
#ifdef CAIRN_HAVE_FILE
extern const cairn_backend_methods cairn__backend_file;
#endif
#ifdef CAIRN_HAVE_SQLITE
extern const cairn_backend_methods cairn__backend_sqlite;
#endif
#ifdef CAIRN_HAVE_LMDB
extern const cairn_backend_methods cairn__backend_lmdb;
#endif
#ifdef CAIRN_HAVE_POSTGRES
extern const cairn_backend_methods cairn__backend_postgres;
#endif

/* A backend's open handles in this process, for its pthread_atfork
 * handlers (sqlite, postgres): each handle embeds a cairn__hlink; the list
 * has its own mutex, which a prepare handler may hold across fork(). */
typedef struct cairn__hlink {
    struct cairn__hlink *prev, *next;
    void *owner; /* the handle */
} cairn__hlink;

typedef struct {
    pthread_mutex_t mu;
    cairn__hlink *head;
} cairn__hlist;

#define CAIRN__HLIST_INIT {PTHREAD_MUTEX_INITIALIZER, NULL}

static inline void cairn__hlist_add(cairn__hlist *l, cairn__hlink *k, void *owner)
{
    pthread_mutex_lock(&l->mu);
    k->owner = owner;
    k->prev = NULL;
    k->next = l->head;
    if (l->head)
        l->head->prev = k;
    l->head = k;
    pthread_mutex_unlock(&l->mu);
}

static inline void cairn__hlist_del(cairn__hlist *l, cairn__hlink *k)
{
    pthread_mutex_lock(&l->mu);
    if (k->prev)
        k->prev->next = k->next;
    else if (l->head == k)
        l->head = k->next;
    if (k->next)
        k->next->prev = k->prev;
    pthread_mutex_unlock(&l->mu);
}

/* ---- the library's own records (src/store/store.c) ----
 *
 * The public write API refuses keys under "_cairn/"; the model registry
 * (and later processes, scenarios) write there through these. Reads go
 * through the public API, which allows reserved keys. */
typedef enum {
    CAIRN__SYS_CREATE, /* write val as a JSON record; CAIRN_EEXISTS if live */
    CAIRN__SYS_DELETE, /* remove; status CAIRN_ENOTFOUND when absent */
    CAIRN__SYS_BUMP    /* add one to the JSON integer (a counter) */
} cairn__sys_kind;

typedef struct {
    const char *key; /* normalised, under "_cairn/" */
    cairn__sys_kind kind;
    const void *val; /* CREATE only */
    size_t len;
    int status;      /* out: CAIRN_OK or CAIRN_ENOTFOUND (DELETE) */
} cairn__sys_op;

/* Apply n ops as one backend transaction: all or nothing. */
int cairn__sys_write(cairn_store *s, cairn__sys_op *ops, size_t n);
/* The version of the record under key (header only; one backend get);
 * 0 when absent. */
int cairn__sys_version(cairn_store *s, const char *key, uint64_t *version);

/* ---- models (src/model/registry.c) ---- */

typedef struct cairn__mcache cairn__mcache; /* compiled schemas of a handle */
typedef struct cairn__model cairn__model;   /* one resolved, compiled model */

/* The cache of a new handle / its release at close. */
int cairn__mcache_new(cairn__mcache **out);
void cairn__mcache_free(cairn__mcache *mc);
/* The handle's cache (set at open). */
cairn__mcache *cairn__store_mcache(cairn_store *s);

/* Resolve ref through the handle's cache (one registry-generation read
 * when it is warm). *out is held until cairn__model_release(). Errors:
 * CAIRN_ENOTFOUND, CAIRN_EMODEL (ambiguous), CAIRN_EINVAL (bad ref). */
int cairn__model_get(cairn_store *s, const char *ref, cairn__model **out);
void cairn__model_release(cairn__model *m);
/* "ns/name@version" of a resolved model. */
const char *cairn__model_ref(const cairn__model *m);
/* Validate val against m, after filling its defaults when fill. *filled
 * receives the filled copy (malloc'd; the caller frees) or NULL. On
 * CAIRN_EVALIDATION the errors are kept for cairn_validation_errors(). */
int cairn__model_apply(const cairn__model *m, const void *val, size_t len, bool fill,
                       char **filled, size_t *filled_len);
#ifdef CAIRN_HAVE_REDIS
extern const cairn_backend_methods cairn__backend_redis;
#endif

/* Grow a buffer to hold at least need bytes (doubling). CAIRN_ENOMEM. */
int cairn__grow(char **buf, size_t *cap, size_t need);

#endif /* CAIRN_INTERNAL_H */
