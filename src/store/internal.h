/*
 * internal.h — what the parts of libcairn share and users never see:
 * error detail, the record encoding, JSON and UTF-8 checks, built-in backends.
 */
#ifndef CAIRN_INTERNAL_H
#define CAIRN_INTERNAL_H

#include "cairn/cairn.h"

#include <stdarg.h>
#include <stdbool.h>

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

/* ---- UTF-8 and JSON (src/store/json.c) ---- */

/* True when p[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
 * On false, *bad (may be NULL) receives the offset of the first bad byte. */
bool cairn__utf8_valid(const void *p, size_t n, size_t *bad);

/* Check that p[0..n) is one JSON text (RFC 8259), without building a tree.
 * Returns CAIRN_OK or CAIRN_EFORMAT with a detail naming the byte offset. */
int cairn__json_check(const void *p, size_t n);

/* Semantic JSON equality: object key order and white space ignored,
 * numbers compared by value. *eq receives the answer. Returns CAIRN_OK or
 * CAIRN_EFORMAT when either side is not JSON. */
int cairn__json_equal(const void *a, size_t alen, const void *b, size_t blen,
                      bool *eq);

/* ---- keys (src/store/key.c) ---- */

/* Normalise key into buf (CAIRN_KEY_MAX + 1 bytes); CAIRN_EKEY with detail. */
int cairn__key_norm(const char *key, char *buf, size_t *len);
/* True when key (normalised) is reserved for the library ("_cairn" or under). */
bool cairn__key_reserved(const char *key, size_t len);

/* ---- records (src/store/record.c) ----
 *
 * A record is one header line of JSON, a newline, then the value bytes:
 *   {"cairn":1,"ver":3,"fmt":"json","ctime":..,"mtime":..,"exp":0,
 *    "size":1024,"zip":"none","xxh3":"0123456789abcdef","model":"",
 *    "hh":"89abcdef"}\n<value>
 * so a file-backend record of a JSON value reads with cat, and jq reads it
 * as two documents (the header, then the value). Fields are in this fixed
 * order and the decoder accepts nothing else. xxh3 is the XXH3-64 of the
 * value; hh the low 32 bits of the XXH3-64 of the header up to ',"hh"'.
 */
typedef struct {
    cairn_meta meta;
    const char *value;  /* into the record */
    size_t head_len;    /* bytes of the header line, newline included */
    char model[CAIRN_MODEL_MAX + 1];
} cairn__rec;

/* Largest header the encoder writes (model reference included). */
#define CAIRN__HEAD_MAX 512

/* Write the header for meta (meta->size and meta->checksum already set)
 * into buf (CAIRN__HEAD_MAX bytes). Returns its length. */
size_t cairn__rec_head(char *buf, const cairn_meta *meta);

/* Decode a record. With verify, the value must be whole and its checksum
 * must match; without, only the header is read (rec may be a prefix).
 * Returns CAIRN_OK or CAIRN_ECORRUPT with a detail. The result points into
 * rec. */
int cairn__rec_decode(const void *rec, size_t len, bool verify, cairn__rec *out);

/* After a header-only decode of a record of rec_len bytes: does the value
 * have the size the header says? CAIRN_OK or CAIRN_ECORRUPT. */
int cairn__rec_check_size(const cairn__rec *r, size_t rec_len);
/* Does value (meta.size bytes, e.g. a copy) match the header's checksum? */
int cairn__rec_check_sum(const cairn__rec *r, const void *value);

/* XXH3-64 of the value bytes. */
uint64_t cairn__hash(const void *p, size_t n);

/* True when a record that expires at exp (0: never) is expired at now. */
static inline bool cairn__expired(int64_t exp, int64_t now)
{
    return exp > 0 && exp <= now;
}

/* Model references: 1..CAIRN_MODEL_MAX bytes of [A-Za-z0-9_.@#/-]. */
bool cairn__model_ref_valid(const char *m);

/* ---- backends ---- */

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
#ifdef CAIRN_HAVE_REDIS
extern const cairn_backend_methods cairn__backend_redis;
#endif

/* Grow a buffer to hold at least need bytes (doubling). CAIRN_ENOMEM. */
int cairn__grow(char **buf, size_t *cap, size_t need);

#endif /* CAIRN_INTERNAL_H */
