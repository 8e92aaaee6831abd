/*
 * record/record.h — the record encoding every backend stores (src/record/record.c).
 */
#ifndef CAIRN_RECORD_RECORD_H
#define CAIRN_RECORD_RECORD_H

/* Layer 1 (record/): for layers above 1 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 1 && !defined(CAIRN_IN_RECORD)) || CAIRN_LAYER == 4
#error "record/record.h: included from a layer that may not use it"
#endif

#include "base/buf.h"
#include "cairn/cairn.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- records (src/store/record.c) ----
 *
 * A record is one header line of JSON, a newline, then the user metadata
 * (if any) and the value bytes as stored:
 *   {"cairn":2,"ver":3,"fmt":"json","ctime":..,"mtime":..,"exp":0,
 *    "size":1024,"zip":"none","xxh3":"0123456789abcdef","model":"",
 *    "kxxh3":"fedcba9876543210","hh":"89abcdef"}\n<value>
 * so a file-backend record of a JSON value reads with cat, and jq reads it
 * as two documents (the header, then the value). Fields are in this fixed
 * order and the decoder accepts nothing else. xxh3 is the XXH3-64 of the
 * value (uncompressed); kxxh3 the XXH3-64 of the (normalised) key the record
 * was written under, which binds the record to its key: a record copied
 * under another key's name reads as corrupt (issue 15). hh is the low 32
 * bits of the XXH3-64 of the header up to ',"hh"'. Two optional parts
 * (issue 5), absent from older records:
 *   "zip":"zstd","zsize":M     the value is one zstd frame of M bytes
 *                              (1 <= M < size) that holds size bytes
 *   ,"umeta":U,"uxxh3":"..."   after "model": U bytes of user metadata
 *                              (a JSON object) come first in the body,
 *                              with their own XXH3-64
 * The body is then <user metadata><value as stored>.
 *
 * Header version 1 ({"cairn":1,...), written before issue 15, is the same
 * without "kxxh3": such a record is bound to no key, and stays readable
 * under any key until cairn_upgrade() rewrites its header (docs/formats.md).
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
    bool bound;         /* header version 2: key_sum binds it to its key */
    uint64_t key_sum;   /* XXH3-64 of the key it was written under */
    /* Last: a read touches only its first bytes (usually one, "" ), so the
     * fields above share the first cache lines of a decoded record that the
     * memory tier keeps with each entry. */
    char model[CAIRN_MODEL_MAX + 1];
} cairn__rec;

/* Largest header the encoder writes (model reference included). */
#define CAIRN__HEAD_MAX 640

/* Write the header for meta (meta->size, checksum, compression and
 * stored_size, user_meta_len already set) into buf (CAIRN__HEAD_MAX bytes),
 * bound to the key whose XXH3-64 (cairn__hash of the normalised key) is
 * *key_sum: a version 2 header. key_sum NULL writes an unbound version 1
 * header, as before issue 15 (tests, and a redis ghost of such a record).
 * umeta_sum: XXH3-64 of the user metadata (ignored when there is none).
 * Returns its length. */
size_t cairn__rec_head(char *buf, const cairn_meta *meta, uint64_t umeta_sum,
                       const uint64_t *key_sum);

/* Decode a record. With verify, the body must be whole, the user
 * metadata must match its checksum, and a value stored raw its checksum;
 * a compressed value is checked by cairn__rec_load(). Without verify only
 * the header is read (rec may be a prefix). Returns CAIRN_OK or
 * CAIRN_ECORRUPT with a detail. The result points into rec. */
int cairn__rec_decode(const void *rec, size_t len, bool verify, cairn__rec *out);

/* Is the decoded record r key's (klen bytes, normalised)? CAIRN_OK when
 * it is bound to key or to no key (header version 1); else CAIRN_ECORRUPT
 * "corrupt record: the record at KEY belongs to another key". */
int cairn__rec_check_key(const cairn__rec *r, const char *key, size_t klen);

/* cairn__rec_decode(), then cairn__rec_check_key(): the record as read
 * under key, where another key's record is as corrupt as a damaged one. */
int cairn__rec_decode_key(const void *rec, size_t len, bool verify, const char *key,
                          size_t klen, cairn__rec *out);

/* After a header-only decode of a record of rec_len bytes: does the body
 * have the size the header says, and does the user metadata match its
 * checksum? CAIRN_OK or CAIRN_ECORRUPT. */
int cairn__rec_check_size(const cairn__rec *r, size_t rec_len);
/* Decompress a zstd value (after cairn__rec_check_size) into *tmp
 * (malloc'd, NUL-terminated; the caller frees it) and verify the checksum
 * over the result; r->value then points at it. A raw value: nothing to do,
 * *tmp is NULL. CAIRN_OK, CAIRN_ECORRUPT, CAIRN_ENOMEM. */
int cairn__rec_load(cairn__rec *r, char **tmp);


/* Does value (meta.size bytes, e.g. a copy) match the header's checksum? */
int cairn__rec_check_sum(const cairn__rec *r, const void *value);


/* True when a record that expires at exp (0: never) is expired at now. */
static inline bool cairn__expired(int64_t exp, int64_t now)
{
    return exp > 0 && exp <= now;
}

/* Model references: 1..CAIRN_MODEL_MAX bytes of [A-Za-z0-9_.@#/-]. */
bool cairn__model_ref_valid(const char *m);

#endif
