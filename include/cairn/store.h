/*
 * cairn/store.h — the store API of libcairn: opening a store, keys, records,
 * listing, batches, moving records, models. Included by cairn/cairn.h.
 *
 * The conventions of every public header are in cairn/common.h (status
 * codes, [in]/[out] and ownership, release verbs, callbacks, option
 * structs). Here besides:
 *  - The get functions set their value to NULL on every failure.
 *  - Keys are UTF-8 C strings; see cairn_key_normalize() for the rules.
 *  - A cairn_store handle is thread-safe: many threads may share one handle.
 *    Iterators and values are not: use one from one thread at a time.
 *  - Many processes may open the same store (all persistent backends).
 */
#ifndef CAIRN_STORE_H
#define CAIRN_STORE_H

#include "cairn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits that hold on every backend. */
#define CAIRN_KEY_MAX 1024              /* bytes in a normalised key */
#define CAIRN_SEGMENT_MAX 240           /* bytes in one key segment (fits a file name) */
#define CAIRN_VALUE_MAX (1024u * 1024u * 1024u) /* bytes in one value (1 GiB) */
#define CAIRN_MODEL_MAX 200             /* bytes in a model reference */
#define CAIRN_USER_META_MAX 65536       /* bytes of user metadata (cairn_put_opts) */

/* ------------------------------------------------------------------ */
/* Opening a store                                                     */
/* ------------------------------------------------------------------ */

/* How hard a write tries to survive a crash. */
typedef enum {
    /* Default. Every acknowledged write survives a kill -9 of the process
     * at any instant; the last writes may be lost on power loss. */
    CAIRN_DURABILITY_NORMAL = 0,
    /* Nothing is flushed: may lose anything not yet written back. */
    CAIRN_DURABILITY_NONE = 1,
    /* fsync on every commit: acknowledged writes survive power loss. */
    CAIRN_DURABILITY_FULL = 2
} cairn_durability;

/* Options for cairn_store_open(). Zero-initialised means defaults. */
struct cairn_options {
    size_t struct_size;      /* 0 or sizeof(cairn_options): see common.h */
    cairn_durability durability;
    int64_t default_ttl_ms;  /* TTL of puts that give none; <0: never expire;
                                0: the URL's ?default_ttl=, else never */
    int64_t busy_timeout_ms; /* wait for locks this long; 0: 10000 ms */
    uint64_t map_size;       /* lmdb: map size in bytes; 0: 64 GiB */
    int must_exist;          /* non-zero: open only a store that is there and
                                create nothing (what read-only tools want);
                                a path that holds no store fails with
                                CAIRN_ENOTFOUND, "no cairn store at PATH":
                                file: a folder without .cairn/ (an empty
                                one, an LMDB folder); sqlite: a missing
                                file, or a database with no table at all;
                                lmdb: a folder without data.mdb. A store
                                file of 0 bytes is CAIRN_ECORRUPT either
                                way (truncated). 0 (the default): create
                                the store when it is missing */
    /* Compression (docs/blobs.md). Values of at least compress_threshold
     * bytes are stored zstd-compressed when that saves at least 1/32 of
     * their size; smaller or incompressible ones are stored as they are.
     * Transparent to readers: get returns the value as it was put, and
     * records of either kind are read whatever these options say. A
     * per-handle choice (not kept in the store): a handle that does not
     * compress still reads compressed records.
     * 0: 4096 (4 KiB); negative: never compress. */
    int64_t compress_threshold;
    int compress_level;      /* zstd level, 0: 3; 1..19 (22) trade speed for
                                size, negative levels are faster still;
                                outside zstd's range: CAIRN_EINVAL */
    int reserved;            /* 0. It fills what would be tail padding, so
                                a field a later release adds here is seen:
                                non-zero is CAIRN_EUNSUPPORTED (common.h) */
};

/*
 * cairn_store_open — open (creating if needed) the store named by url.
 *
 *   mem:             in-process, gone at close (mem:NAME is the same)
 *   file:DIR         one file per record under DIR; a bare path means this
 *   sqlite:PATH      one SQLite database file (WAL mode)
 *   lmdb:DIR         an LMDB environment in DIR
 *   postgres://[user[:password]@]host[:port]/db[?table=name&connect_timeout=s]
 *                    one table (default cairn_records) in a PostgreSQL
 *                    database; also postgresql://. The password may come
 *                    from $PGPASSWORD or ~/.pgpass instead.
 *   redis://[[user]:password@]host[:port][/db][?prefix=P&connect_timeout_ms=N
 *                    &timeout_ms=N&pool=N]   a Redis server (docs/backends.md);
 *                    the password may come from $REDISCLI_AUTH or
 *                    $CAIRN_REDIS_PASSWORD instead; it is never shown in a
 *                    message
 *   tiered:URL       a memory tier over the store at URL
 *
 * Every URL also takes ?default_ttl=DURATION (or &default_ttl= after the
 * backend's own parameters): the TTL of puts that give none, read by
 * cairn_duration_parse() ("300" is seconds; "30s", "1h30m", ...) and taken
 * out before the backend sees the URL. opt->default_ttl_ms, when not 0,
 * wins over it.
 *
 * url [in]: borrowed. opt [in]: borrowed, may be NULL (defaults).
 * out [out]: owned, the handle; close it with cairn_store_close().
 * Errors: CAIRN_ENOTFOUND (opt->must_exist and no store there; never for
 * a store folder that cannot be made, which is CAIRN_EIO),
 * CAIRN_EURL (unknown scheme, named in the message; empty path; a bad
 * default_ttl, quoted),
 * CAIRN_EUNSUPPORTED (backend not built in), CAIRN_EIO, CAIRN_EBUSY,
 * CAIRN_ECORRUPT (not a cairn store), CAIRN_EINVAL (bad options),
 * CAIRN_ENOMEM. Thread-safe.
 */
CAIRN_API int cairn_store_open(const char *url, const cairn_options *opt,
                               cairn_store **out);

/*
 * cairn_url_redact — url with its secrets replaced by "***", for messages
 * and logs: the password of scheme://user:password@host (a lone secret@ for
 * redis://), and every password=... parameter. When an '@' follows the end
 * of the authority (a password with a raw '/', '?' or '#', which the store
 * refuses or misreads), everything from the password to the last '@' is
 * hidden. A URL wrapped by another ("tiered:redis://...") is redacted as if
 * it stood alone, behind its "tiered:". url [in]: borrowed, may be
 * NULL ("(null)"). buf [out]: cap bytes, receives the NUL-terminated text,
 * truncated to fit. cap [in]. Returns buf. Thread-safe.
 */
CAIRN_API const char *cairn_url_redact(const char *url, char *buf, size_t cap);

/* cairn_store_close — close the handle and free it. s [in]: owned by the
 * caller until this call; NULL is fine. No other thread may use the handle
 * during or after the call; free the handle's iterators first (values stay
 * valid: they own their bytes). */
CAIRN_API void cairn_store_close(cairn_store *s);


/* cairn_store_backend — the backend's scheme name ("file", "lmdb", ...).
 * s [in]. Returns a static string. Thread-safe. */
CAIRN_API const char *cairn_store_backend(const cairn_store *s);

/* What a store's backend does well, for clients that adapt to it (the
 * async executor, bindings): a set of CAIRN_CAP_ bits. */
#define CAIRN_CAP_BATCH 1u /* reads many keys in one round trip (get_many), so
                              cairn_get_many/put_many of n keys cost about one
                              call, not n (redis, and tiered: over redis) */

/* cairn_store_caps — [in] s: an open store (NULL gives 0). Returns its
 * CAIRN_CAP_ bits. Thread-safe. */
CAIRN_API unsigned cairn_store_caps(const cairn_store *s);

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

/*
 * cairn_key_normalize — check a key and write its normal form.
 *
 * Keys are UTF-8 paths of segments joined by '/'. Leading, trailing and
 * repeated slashes are removed. The normal form is 1..CAIRN_KEY_MAX bytes,
 * each segment at most CAIRN_SEGMENT_MAX. Rejected: an empty key, "." or
 * ".." segments, NUL or other control bytes (0x00-0x1F, 0x7F), backslash,
 * invalid UTF-8 (overlong forms and surrogates included).
 *
 * key [in]: borrowed. buf [out]: at least CAIRN_KEY_MAX + 1 bytes;
 * receives the NUL-terminated normal form. len [out]: may be NULL; its
 * length.
 * Errors: CAIRN_EKEY with a message saying why; CAIRN_EINVAL for NULL
 * arguments. Thread-safe. Keys under "_cairn/" pass here but are refused by
 * writes through the public API (reserved for the library's own records).
 */
CAIRN_API int cairn_key_normalize(const char *key, char *buf, size_t *len);

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/* The format of a value. The library checks a value against its format
 * on put: JSON must be valid JSON (RFC 8259), text valid UTF-8, msgpack
 * exactly one well-formed MessagePack object, npy a NumPy .npy file of a
 * numeric dtype (see cairn/formats.h and docs/formats.md). No format ever
 * executes code on load. */
typedef enum {
    CAIRN_FORMAT_JSON = 0, /* default */
    CAIRN_FORMAT_TEXT = 1,
    CAIRN_FORMAT_BYTES = 2,
    CAIRN_FORMAT_MSGPACK = 3,
    CAIRN_FORMAT_NPY = 4
} cairn_format;

/* Name of a format ("json", "text", "bytes", "msgpack", "npy"). f [in].
 * Returns a static string ("unknown" for a value outside the enum). */
CAIRN_API const char *cairn_format_name(cairn_format f);
/* Parse a format name. name [in]: borrowed. out [out]: the format.
 * CAIRN_EINVAL for an unknown name. */
CAIRN_API int cairn_format_parse(const char *name, cairn_format *out);

/* What happens when the key already holds a (live) record. */
typedef enum {
    CAIRN_FAIL_IF_EXISTS = 0,    /* default: CAIRN_EEXISTS */
    CAIRN_SKIP_IF_EXISTS = 1,    /* never overwrite: return CAIRN_SKIPPED */
    CAIRN_FAIL_IF_DIFFERENT = 2, /* equal value: no write, CAIRN_OK;
                                    different: CAIRN_EDIFFERENT. JSON equality
                                    is semantic (key order, white space and
                                    1 vs 1.0 do not matter); msgpack
                                    compares as the JSON it converts to
                                    (map order and integer widths do not
                                    matter; bin and ext: by bytes); npy,
                                    text and bytes by bytes. The model is
                                    compared too: the same value under
                                    another model (or none) is different. */
    CAIRN_OVERWRITE = 3
} cairn_behavior;

/* Options for a put. Zero-initialised means defaults. */
struct cairn_put_opts {
    size_t struct_size;  /* 0 or sizeof(cairn_put_opts): see common.h */
    cairn_behavior behavior;
    int64_t ttl_ms;      /* 0: the store default; <0: never expires */
    cairn_format format; /* default JSON */
    const char *model;   /* model reference ("name", "ns/name", "ns/name@2"):
                            the value (JSON only) is validated against it
                            and the resolved "ns/name@version" kept in the
                            metadata; NULL: none. See "Models" below. */
    int fill_defaults;   /* with model: store the value with the schema's
                            defaults filled in (cairn_schema_fill_defaults),
                            validated after filling; without: CAIRN_EINVAL */
    uint64_t if_version; /* non-zero: compare-and-set; write only if the
                            current version equals it (behavior ignored) */
    const char *user_meta; /* user metadata kept with the value: a JSON
                            object of at most CAIRN_USER_META_MAX bytes
                            (NUL-terminated), returned in cairn_meta; else
                            CAIRN_EINVAL and nothing written. NULL: none
                            for a put; for cairn_update, NULL keeps the
                            record's current user metadata and a given one
                            replaces it ("{}" to clear). Not compared by
                            CAIRN_FAIL_IF_DIFFERENT (the value is). */
};

/* Metadata of a record. Strings are borrowed from the value or iterator
 * that returned the struct. */
struct cairn_meta {
    uint64_t version;     /* grows by one on every write of the key */
    cairn_format format;
    int64_t created_ms;   /* Unix time in ms of the first write */
    int64_t updated_ms;   /* Unix time in ms of the last write */
    int64_t expires_ms;   /* Unix time in ms; 0: never expires */
    uint64_t size;        /* value bytes */
    uint64_t checksum;    /* XXH3-64 of the value bytes (uncompressed),
                             verified on read after decompression */
    const char *compression; /* "none" or "zstd" (static strings) */
    const char *model;    /* "" when none */
    uint64_t stored_size; /* value bytes as stored (after compression);
                             size when stored raw */
    const char *user_meta; /* user metadata, a JSON object (NUL-terminated),
                              NULL when none. cairn_iter_meta() reads
                              headers only: NULL there, user_meta_len says
                              whether there is some */
    size_t user_meta_len; /* its bytes; 0 when none */
};

/*
 * cairn_put — store val (len bytes) under key.
 *
 * s [in]: the store. key [in]: borrowed, normalised as
 * cairn_key_normalize(). val [in]: borrowed, len bytes; may be NULL when
 * len is 0. len [in]. opt [in]: borrowed, may be NULL (defaults).
 * Returns CAIRN_OK when written (or, for FAIL_IF_DIFFERENT, when an equal
 * value was already there), CAIRN_SKIPPED for SKIP_IF_EXISTS on a live key.
 * Errors: CAIRN_EEXISTS, CAIRN_EDIFFERENT, CAIRN_ECONFLICT (if_version did not
 * match), CAIRN_ENOTFOUND (if_version on an absent key), CAIRN_EKEY,
 * CAIRN_EFORMAT (value not valid for its format), CAIRN_EINVAL (also a model
 * with a format other than JSON, fill_defaults without a model, user_meta
 * that is not a JSON object or is over CAIRN_USER_META_MAX bytes),
 * CAIRN_EMODEL (opt->model is not registered, or ambiguous),
 * CAIRN_EVALIDATION (the value does not match opt->model: the errors are in
 * cairn_validation_errors()), CAIRN_ECORRUPT (existing record unreadable and
 * behaviour needs it), CAIRN_EIO, CAIRN_EBUSY, CAIRN_EFULL. On error nothing
 * is written. Atomic across threads and processes. Thread-safe.
 */
CAIRN_API int cairn_put(cairn_store *s, const char *key, const void *val,
                        size_t len, const cairn_put_opts *opt);

/*
 * cairn_get — read the live record under key.
 * s [in]. key [in]: borrowed. out [out]: owned, a value released with
 *   cairn_value_free(); set to NULL on every failure, so freeing it after
 *   an error is safe.
 * A compressed value is decompressed (memory grows with the real output,
 * never from a size field alone) and the checksum is verified on the
 * uncompressed bytes; the user metadata is verified against its own
 * checksum. Errors: CAIRN_ENOTFOUND (absent or expired), CAIRN_EKEY,
 * CAIRN_ECORRUPT (checksum or header mismatch, a damaged compressed value
 * or user metadata: never other data), CAIRN_EIO, CAIRN_ENOMEM.
 * Thread-safe.
 */
CAIRN_API int cairn_get(cairn_store *s, const char *key, cairn_value **out);

/* The value bytes. v [in]. len [out]: may be NULL; the byte count. Returns
 * a view into v (followed by a NUL byte not counted in len, so text and
 * JSON can be used as C strings), valid until cairn_value_free(v). */
CAIRN_API const void *cairn_value_data(const cairn_value *v, size_t *len);
/* The metadata. v [in]. Returns a view into v. */
CAIRN_API const cairn_meta *cairn_value_meta(const cairn_value *v);
/* The key the value was read from. v [in]. Returns a view into v. */
CAIRN_API const char *cairn_value_key(const cairn_value *v);
/* Free a value. v [in]: owned by the caller until this call; NULL is fine. */
CAIRN_API void cairn_value_free(cairn_value *v);

/* cairn_exists — CAIRN_OK when a live record is under key, else
 * CAIRN_ENOTFOUND; other errors as cairn_get(). s [in]. key [in]: borrowed.
 * Thread-safe. */
CAIRN_API int cairn_exists(cairn_store *s, const char *key);

/* cairn_delete — remove the record under key. CAIRN_ENOTFOUND when there
 * is no live record (an expired one is removed all the same). s [in].
 * key [in]: borrowed. Thread-safe. */
CAIRN_API int cairn_delete(cairn_store *s, const char *key);

/*
 * cairn_delete_prefix — remove every record under prefix (whole segments:
 * "teams" removes "teams" and "teams/x", never "teams2"). s [in].
 * prefix [in]: borrowed, never "everything": NULL is CAIRN_EINVAL and ""
 * (or "/") an empty key, CAIRN_EKEY, so that an empty variable cannot
 * empty a store; cairn_clear() does that.
 * n [out]: may be NULL; the number of live records removed. Each record is removed
 * atomically; the whole is not one transaction. Errors: CAIRN_EINVAL,
 * CAIRN_EKEY (a bad or reserved prefix), the backend's. Thread-safe.
 */
CAIRN_API int cairn_delete_prefix(cairn_store *s, const char *prefix,
                                  uint64_t *n);

/*
 * cairn_clear — remove every record of the store (seed 004's clear()), but
 * the library's own under "_cairn/": the model registry stays, so records
 * put afterwards can still name their models. s [in]. n [out]: may be
 * NULL; the number of live records removed (expired ones go too, uncounted).
 * Each record is removed atomically; the whole is not one transaction: a
 * failure may leave part removed, and records written meanwhile may stay.
 * Errors: CAIRN_EINVAL (s NULL), the backend's. Thread-safe.
 */
CAIRN_API int cairn_clear(cairn_store *s, uint64_t *n);

/*
 * cairn_delete_prefix_raw — remove every record whose key starts with the
 * bytes of prefix (a raw prefix: "item:" removes "item:1" and "item:2/x";
 * "a/b" removes "a/b", "a/b/c" and "a/bc"). The prefix is taken as it is
 * (not normalised: "a/" does not remove "a"). The library's own records
 * ("_cairn/...") are never removed, even by a prefix that reaches them
 * ("_"). s [in]. prefix [in]: borrowed. n [out]: may be NULL, as
 * cairn_delete_prefix(). Errors: CAIRN_EINVAL for NULL, "" (never
 * "everything") or a prefix longer than CAIRN_KEY_MAX; CAIRN_EKEY for a
 * prefix in the library's namespace ("_cairn", "_cairn/..."); others as
 * cairn_delete_prefix(). Not one transaction. Thread-safe.
 */
CAIRN_API int cairn_delete_prefix_raw(cairn_store *s, const char *prefix, uint64_t *n);

/*
 * The function of cairn_update_v2(). ctx [in]: the caller's, as given.
 * cur [in]: the current live value (a view, valid during the call), NULL
 * when absent or expired. val, len [out]: the new value, in memory that is
 * the callback's own (e.g. reached through ctx) and stays valid until
 * cairn_update_v2() returns. Returns CAIRN_OK after setting them,
 * CAIRN_SKIPPED to leave the record as it is, or a negative code to abort.
 */
typedef int (*cairn_update_cb)(void *ctx, const cairn_value *cur, const void **val,
                               size_t *len);

/*
 * cairn_update_v2 — atomic read-modify-write of one key.
 *
 * fn is called with the current live value while the key is locked against
 * every other writer, in this and other processes; an abort code it
 * returns is what cairn_update_v2 returns. fn must not call into the same
 * store. Backends that retry on conflict may call fn more than once: fn
 * must have no side effect beyond producing the value.
 * s [in]. key [in]: borrowed. fn [in]: the callback, not NULL. ctx [in]:
 * borrowed until the call returns, passed to fn. opt [in]: borrowed, may be
 * NULL: format, ttl, model and user_meta of the new value (behavior and
 * if_version are ignored; user_meta NULL keeps the record's); with a model
 * the value fn produces is validated (and filled with defaults when asked)
 * while the key is locked. Returns CAIRN_OK, CAIRN_SKIPPED or an error as
 * cairn_put(). Thread-safe.
 */
CAIRN_API int cairn_update_v2(cairn_store *s, const char *key, cairn_update_cb fn, void *ctx,
                              const cairn_put_opts *opt);

/* Deprecated: the callback of cairn_update(), its context second. */
typedef int (*cairn_update_fn)(const cairn_value *cur, void *arg,
                               const void **val, size_t *len);
/* Deprecated (until the release after 0.1.0): cairn_update_v2(), whose
 * callback takes its context first. Same behaviour otherwise. */
CAIRN_API int cairn_update(cairn_store *s, const char *key, cairn_update_fn fn,
                           void *arg, const cairn_put_opts *opt)
    CAIRN_DEPRECATED("cairn_update_v2");

/*
 * cairn_incr — atomically add by to the JSON integer under key (absent: 0)
 * and store the result. s [in]. key [in]: borrowed. by [in].
 * out [out]: may be NULL; the new value.
 * Errors: CAIRN_EFORMAT (the value is not a JSON integer),
 * CAIRN_EINVAL (overflow), others as cairn_put(). The record keeps its TTL.
 */
CAIRN_API int cairn_incr(cairn_store *s, const char *key, int64_t by,
                         int64_t *out);

/* ------------------------------------------------------------------ */
/* Listing                                                             */
/* ------------------------------------------------------------------ */

/*
 * cairn_list — iterate over the live keys under prefix, sorted bytewise.
 * prefix matches whole segments: "teams" yields "teams" and "teams/eng",
 * never "teams2/x". NULL or "" lists every key except the library's own
 * ("_cairn/..."). The iterator streams: memory does not grow with the
 * number of keys. Writes made during iteration may or may not be seen;
 * keys are never repeated or yielded out of order.
 * s [in]. prefix [in]: borrowed, may be NULL. out [out]: owned, an
 * iterator released with cairn_iter_free(). Thread-safe.
 */
CAIRN_API int cairn_list(cairn_store *s, const char *prefix, cairn_iter **out);

/*
 * cairn_list_raw — as cairn_list(), over the live keys that start with the
 * bytes of prefix (a raw string prefix, where cairn_list() matches whole
 * segments): "item:" yields "item:1" and "item:22"; "teams" yields
 * "teams", "teams/eng" and "teams2/x"; "teams/" yields "teams/eng" but not
 * "teams". The prefix is not normalised, and need not be a valid key.
 * NULL or "" yields every key. The library's own keys ("_cairn/...") are
 * never yielded, whatever the prefix ("_", "_cairn/": none of them).
 * s [in]. prefix [in]: borrowed, may be NULL. out [out]: owned, released
 * with cairn_iter_free(). Errors: CAIRN_EINVAL (out NULL, prefix longer
 * than CAIRN_KEY_MAX). Thread-safe.
 */
CAIRN_API int cairn_list_raw(cairn_store *s, const char *prefix, cairn_iter **out);

/*
 * cairn_range — iterate over live keys k with start <= k < end, bytewise;
 * start NULL: from the first key; end NULL: to the last; limit 0: no limit,
 * otherwise at most limit keys (the first ones in order). s [in].
 * start, end [in]: borrowed, may be NULL. limit [in]. out [out]: owned,
 * released with cairn_iter_free(). Thread-safe.
 */
CAIRN_API int cairn_range(cairn_store *s, const char *start, const char *end,
                          uint64_t limit, cairn_iter **out);

/*
 * cairn_iter_next — advance. it [in]. key [out]: a view into it,
 * NUL-terminated, valid until the next call on it. key_len [out]: may be
 * NULL. Returns CAIRN_OK, CAIRN_DONE at the end, or an error (the iterator
 * is then finished).
 */
CAIRN_API int cairn_iter_next(cairn_iter *it, const char **key,
                              size_t *key_len);
/* cairn_iter_meta — metadata of the current key (after a CAIRN_OK from
 * cairn_iter_next). it [in]. meta [out]: the caller's struct; its strings
 * are views into it, valid until the next call on it. */
CAIRN_API int cairn_iter_meta(cairn_iter *it, cairn_meta *meta);
/* Free an iterator. it [in]: owned until this call; NULL is fine. */
CAIRN_API void cairn_iter_free(cairn_iter *it);

/* cairn_count — number of live keys under prefix (as cairn_list()).
 * s [in]. prefix [in]: borrowed, may be NULL. out [out]. Thread-safe. */
CAIRN_API int cairn_count(cairn_store *s, const char *prefix, uint64_t *out);
/* cairn_count_raw — number of live keys that start with the bytes of prefix
 * (as cairn_list_raw(): the library's own never counted). s [in].
 * prefix [in]: borrowed, may be NULL. out [out]. Thread-safe. */
CAIRN_API int cairn_count_raw(cairn_store *s, const char *prefix, uint64_t *out);

/* ------------------------------------------------------------------ */
/* Batches                                                             */
/* ------------------------------------------------------------------ */

/* One item of cairn_put_many(). status is written per item: CAIRN_OK,
 * CAIRN_SKIPPED, or the error that failed the batch. */
typedef struct {
    const char *key;
    const void *val;
    size_t len;
    int status;
} cairn_put_item;

/*
 * cairn_put_many — put n items with one set of options in one transaction:
 * either every item is applied (or skipped, per behaviour) or none is.
 * The same key may not appear twice (CAIRN_EINVAL). Returns CAIRN_OK or the
 * first item's error. On the file backend the batch is atomic against
 * other writers, but a crash in the middle may leave a prefix of it applied.
 * s [in]. items [in,out]: borrowed, n of them; keys and values are read,
 * each status written. opt [in]: borrowed, may be NULL. Thread-safe.
 */
CAIRN_API int cairn_put_many(cairn_store *s, cairn_put_item *items, size_t n,
                             const cairn_put_opts *opt);

/*
 * cairn_get_many — read n keys. s [in]. keys [in]: borrowed, n strings.
 * out [out]: n slots receiving owned values (NULL for an absent key), each
 * released with cairn_value_free(). Returns CAIRN_OK when every key was
 * read or absent; on an error every slot is NULL. Thread-safe.
 */
CAIRN_API int cairn_get_many(cairn_store *s, const char *const *keys, size_t n,
                             cairn_value **out);

/* cairn_delete_many — delete n keys in one transaction. s [in]. keys [in]:
 * borrowed, n strings. n_deleted [out]: may be NULL; how many live records
 * were removed. Absent keys are not errors. Thread-safe. */
CAIRN_API int cairn_delete_many(cairn_store *s, const char *const *keys,
                                size_t n, uint64_t *n_deleted);

/* ------------------------------------------------------------------ */
/* Records with their metadata: migration between stores               */
/* ------------------------------------------------------------------ */

/*
 * cairn_put_record — store val (len bytes) under key with the metadata of a
 * record that already exists elsewhere (another store, a dump), instead of
 * stamping it now as cairn_put() does. It takes the same write path as
 * cairn_put(), so behaviours are atomic in the same way.
 *
 * s [in]. key [in]: borrowed. val [in]: borrowed, len bytes. len [in].
 * meta [in]: borrowed. behavior [in].
 * From meta these fields are kept:
 *   format      checked against val as cairn_put() does (CAIRN_EFORMAT)
 *   model       "" or NULL: none. Else the reference is resolved in this
 *               store's registry and the value validated against it, as
 *               cairn_put_opts.model does: CAIRN_EMODEL when the model (or
 *               that version of it) is not registered here, CAIRN_EVALIDATION
 *               when the value does not match (the errors in
 *               cairn_validation_errors()). The resolved "ns/name@version"
 *               is kept. Register the models first (cairn_copy() carries
 *               them; see CAIRN_MODEL_AT_VERSION).
 *   created_ms, updated_ms
 *               kept; 0 means now. updated_ms < created_ms is CAIRN_EINVAL
 *   expires_ms  kept as an instant (0: never), so the remaining TTL is what
 *               it was at the source. A record already expired is not
 *               written: CAIRN_SKIPPED.
 *   version     the record keeps its version when the key is new here; when
 *               it replaces a record (CAIRN_OVERWRITE, or an expired one)
 *               it gets max(version, the old version + 1), so versions never
 *               go back and compare-and-set never sees one twice. 0 counts
 *               as 1.
 *   checksum    must be the XXH3-64 of val (cairn_checksum()), whatever
 *               its value, 0 included, else CAIRN_ECORRUPT (the value was
 *               damaged on the way). A caller that has no checksum computes
 *               it with cairn_checksum().
 *   user_meta   kept (user_meta_len bytes, or up to its NUL when
 *               user_meta_len is 0); checked as cairn_put_opts.user_meta
 *               (CAIRN_EINVAL). NULL: none.
 *   size, compression, stored_size: ignored (len is the size; this
 *               store compresses by its own threshold).
 * behavior: as cairn_put_opts.behavior, except that for
 * CAIRN_FAIL_IF_DIFFERENT an equal value already there returns
 * CAIRN_SKIPPED (its metadata was not written).
 * Returns CAIRN_OK (written) or CAIRN_SKIPPED. Errors: as cairn_put();
 * CAIRN_EKEY also for keys under "_cairn/". Nothing is written on error.
 * Thread-safe.
 */
CAIRN_API int cairn_put_record(cairn_store *s, const char *key, const void *val,
                               size_t len, const cairn_meta *meta,
                               cairn_behavior behavior);

/*
 * cairn_checksum — the checksum a record keeps of its value (XXH3-64 of the
 * len bytes at val), as cairn_meta.checksum holds it and
 * cairn_put_record() checks it. val [in]: borrowed; may be NULL when len
 * is 0 (NULL with a non-zero len gives 0). Thread-safe, pure.
 */
CAIRN_API uint64_t cairn_checksum(const void *val, size_t len);

/* One item of cairn_put_records(). meta is borrowed for the call. status is
 * written per item: CAIRN_OK or CAIRN_SKIPPED when the batch succeeded. When
 * it failed (nothing written), the item that caused it holds the error and
 * the others hold CAIRN_OK (they were fine but not written); an error no
 * item caused (CAIRN_EIO, CAIRN_EBUSY, ...) is held by every item. */
typedef struct {
    const char *key;
    const void *val;
    size_t len;
    const cairn_meta *meta;
    int status;
} cairn_record_item;

/*
 * cairn_put_records — cairn_put_record() for n items in one transaction:
 * every item is applied (or skipped) or none is. The same key may not
 * appear twice (CAIRN_EINVAL). Returns CAIRN_OK or the error of the first
 * failing item (whose status holds it; cairn_errmsg() names its key).
 * File backend: as cairn_put_many(), a crash may leave a prefix applied.
 * s [in]. items [in,out]: borrowed, n of them; each status written.
 * behavior [in]. Thread-safe.
 */
CAIRN_API int cairn_put_records(cairn_store *s, cairn_record_item *items, size_t n,
                                cairn_behavior behavior);

/* Counts of a copy so far (cairn_copy()). */
typedef struct {
    uint64_t seen;    /* live records read from the source (damaged ones too) */
    uint64_t copied;  /* records written to the destination */
    uint64_t skipped; /* already at the destination (SKIP_IF_EXISTS), or equal
                         there (FAIL_IF_DIFFERENT): left as they are */
    uint64_t expired; /* expired (or removed) at the source before being copied */
    uint64_t bytes;   /* value bytes written */
    uint64_t corrupt; /* damaged at the source (CAIRN_ECORRUPT) and left out
                         (cairn_copy_opts.skip_corrupt) */
} cairn_copy_stats;

/* Options of cairn_copy(). Zero-initialised means defaults. */
typedef struct {
    size_t struct_size;   /* 0 or sizeof(cairn_copy_opts): see common.h */
    /* What a key that already holds a live record at the destination gets.
     * The default, CAIRN_FAIL_IF_EXISTS, is cairn_put()'s; a copy that can
     * be resumed after an interruption uses CAIRN_SKIP_IF_EXISTS (what
     * `cairn copy` does): keys already there are left alone, even when
     * their value differs. CAIRN_FAIL_IF_DIFFERENT resumes too but stops
     * at the first key whose value differs (CAIRN_EDIFFERENT). */
    cairn_behavior behavior;
    const char *prefix;   /* copy the keys under prefix (whole segments, as
                             cairn_list()); NULL or "": every key except the
                             library's own ("_cairn/...", so registered
                             models are not copied) */
    size_t batch;         /* records per destination transaction; 0: 256 */
    size_t batch_bytes;   /* value bytes per transaction (a batch ends when
                             it holds this much); 0: 4 MiB */
    /* Called after each batch is written, with progress_ctx and the counts
     * so far (a view, valid during the call); may be NULL. A non-zero
     * return stops the copy, which returns it. */
    int (*progress)(void *ctx, const cairn_copy_stats *st);
    void *progress_ctx;
    /* A record the source reports damaged (CAIRN_ECORRUPT: a checksum or
     * header that does not match, a wrong size, a broken zstd frame).
     * 0 (default): the copy stops at the first one with that error, naming
     * its key, after writing every record before it (so a copy with
     * CAIRN_SKIP_IF_EXISTS, run again once it is repaired or removed,
     * goes on from there). Non-zero: each one is passed to on_corrupt,
     * counted in cairn_copy_stats.corrupt and left out, the copy goes on,
     * and when it has left any out it ends with CAIRN_ECORRUPT (after
     * copying everything else). Other errors (I/O, connection) stop the
     * copy either way. */
    int skip_corrupt;
    /* With skip_corrupt: called for each damaged record, with
     * on_corrupt_ctx, its key (a view, valid during the call), its status
     * (CAIRN_ECORRUPT) and what is wrong (cairn_errmsg() of its read:
     * "get KEY: corrupt record: ..."); on the thread running the copy. May
     * be NULL. A non-zero return stops the copy (the records before it are
     * written), which returns it. */
    int (*on_corrupt)(void *ctx, const char *key, int status, const char *message);
    void *on_corrupt_ctx;
    /* Non-zero: carry every model registered at the source, not only the
     * versions the copied records reference (see cairn_copy()). */
    int all_models;
    /* Non-zero: prefix is a raw string prefix, as cairn_list_raw() (keys
     * that start with its bytes; never the library's own). */
    int raw_prefix;
    int reserved[2]; /* must be 0 */
} cairn_copy_opts;

/*
 * cairn_copy — copy the live records of from into to, with their metadata
 * (cairn_put_record(): format, model, created and updated times, expiry
 * instant, version). Streams: the source is listed in key order and read
 * and written one batch at a time, so memory holds one batch, whatever the
 * number of records. Records that expire before they are read are not
 * copied. User metadata is carried too; compression is the destination's
 * own choice (its threshold), the value read back is the same. Each batch
 * is one transaction at the destination; a copy that
 * stops half-way (error, kill) leaves whole batches behind, and running it
 * again with CAIRN_SKIP_IF_EXISTS completes it without rewriting them.
 *
 * Models: before any record is written, every model version the records
 * to copy reference (a first pass over their keys' headers at the source),
 * or every registered one with all_models, is registered at the
 * destination as the same version with the same schema
 * (cairn_model_register() with CAIRN_MODEL_AT_VERSION), so the records
 * validate there (cairn_put_record() validates) and get --revalidate and
 * put with a model work after the move. A version the destination already
 * has with an equal schema is left alone; with a different schema the copy
 * stops before any record with CAIRN_EDIFFERENT naming the model. A record
 * whose model the source does not have registered (removed since) stops it
 * with CAIRN_EMODEL naming the key.
 *
 * from, to [in]: open stores (they may be of any backends; the same store
 * gives nothing but skips or conflicts). opt [in]: borrowed, may be NULL
 * (defaults). stats [out]: may be NULL; written on failure too (how far
 * the copy got).
 * Errors: those of cairn_list(), cairn_get_many() at the source,
 * cairn_put_records() at the destination (CAIRN_EEXISTS or
 * CAIRN_EDIFFERENT for a key already there, per behavior), those of
 * carrying the models (above), CAIRN_EINVAL,
 * CAIRN_ECORRUPT for a damaged record at the source (see skip_corrupt:
 * without it the copy stops there, with it the copy completes and then
 * returns it, stats->corrupt saying how many were left out; it completed
 * when stats->seen == copied + skipped + expired + corrupt, else it stopped
 * at a damaged record elsewhere, e.g. one already at the destination), or the
 * progress or on_corrupt callback's non-zero return. Thread-safe in the sense of
 * the stores' handles; the copy itself is not one transaction.
 */
CAIRN_API int cairn_copy(cairn_store *from, cairn_store *to, const cairn_copy_opts *opt,
                         cairn_copy_stats *stats);

/* ------------------------------------------------------------------ */
/* Maintenance and statistics                                          */
/* ------------------------------------------------------------------ */

/* cairn_purge_expired — physically remove expired records. s [in].
 * n [out]: may be NULL; how many. Expired records are already invisible;
 * this reclaims their space. Thread-safe. */
CAIRN_API int cairn_purge_expired(cairn_store *s, uint64_t *n);

/*
 * cairn_upgrade — rewrite the records of an older record format in the
 * current one, in place. Today: records written before the key binding
 * (header version 1) get a header that names their key, so that such a
 * record copied under another key's name reads as CAIRN_ECORRUPT like any
 * newer one. Only the header changes: value, version number, created and
 * updated times, expiry, model and user metadata stay as they were.
 * Expired and corrupt records are left alone (a get reports the latter).
 * Each record is rewritten atomically against concurrent writers; the
 * whole is not one transaction, and running it again after an interruption
 * finishes the job (records already current are not written again).
 * Records of the older format stay readable without it.
 *
 * s [in]. prefix [in]: borrowed; NULL or "" is every key, the library's
 * own records (_cairn/) included; else whole segments as cairn_list().
 * n [out]: may be NULL; the number of records rewritten.
 * Errors: CAIRN_EKEY for a bad prefix, those of the backend (CAIRN_EIO,
 * CAIRN_EBUSY, ...). Thread-safe.
 */
CAIRN_API int cairn_upgrade(cairn_store *s, const char *prefix, uint64_t *n);

/* The counts of cairn_store_stats_get(). */
struct cairn_stats {
    const char *backend;  /* scheme name, static */
    uint64_t keys;        /* live keys (the library's own excluded) */
    uint64_t value_bytes; /* sum of their value sizes */
    uint64_t expired;     /* expired records not yet purged */
    /* Counters of this handle since it was opened. */
    uint64_t puts, skips, gets, get_misses, deletes;
};

/* cairn_store_stats_get — the store's counts; counts keys by a scan
 * (O(keys)). s [in]. out [out]: the caller's struct. CAIRN_EINVAL for a
 * NULL argument. Thread-safe. Every stats getter has this shape:
 * int cairn_<object>_stats_get(object, *out). */
CAIRN_API int cairn_store_stats_get(cairn_store *s, cairn_stats *out);
/* Deprecated (until the release after 0.1.0): cairn_store_stats_get(). */
CAIRN_API int cairn_stats_get(cairn_store *s, cairn_stats *out)
    CAIRN_DEPRECATED("cairn_store_stats_get");


/* ------------------------------------------------------------------ */
/* Models: named JSON Schemas kept in the store (see docs/models.md)   */
/* ------------------------------------------------------------------ */

/*
 * A model is (namespace, name, version) with a JSON Schema (schema.h). It is
 * written "ns/name@version"; "ns/" may be left out (see resolution below)
 * and so may "@version" (the newest). Namespaces and names are 1..64 bytes
 * of A-Z a-z 0-9 _ . -; versions count from 1. The registry lives in the
 * store under "_cairn/models/", so every process and the CLI see the same
 * models; a compiled schema is cached in the handle.
 *
 * Resolution of a reference without a namespace: the "default" namespace
 * if it has the name, else the only namespace that has it; when several
 * do, CAIRN_EMODEL with the candidates in the message.
 *
 * A put with cairn_put_opts.model validates the value first (CAIRN_EVALIDATION,
 * nothing written, the errors in cairn_validation_errors()) and records the
 * resolved reference "ns/name@version" in the record's metadata. A model
 * that is not registered (or an ambiguous name) fails the put with
 * CAIRN_EMODEL. cairn_update() and cairn_put_many() validate the same way.
 *
 * The registry: one record per version under
 * "_cairn/models/<ns>/<name>/<version zero-padded to 10 digits>" holding the
 * schema as registered, and "_cairn/model-gen", a generation counter bumped
 * in the same transaction as every registration and removal. A handle's
 * cache of compiled schemas (up to 64 references) is checked against the
 * generation on every use (one backend read), so a model registered or
 * removed by any process is seen by the next call. Schemas are compiled
 * with CAIRN_SCHEMA_FORMAT_ASSERT: "format" is validated.
 * Version numbers come from the versions present: after removing the
 * newest version (or all), the next registration reuses its number.
 */

#define CAIRN_MODEL_NEW_VERSION 0x1u /* cairn_model_register: a different
                                        schema under a taken name becomes
                                        its next version */
#define CAIRN_MODEL_AT_VERSION 0x2u  /* cairn_model_register: ref names its
                                        version ("ns/name@N"), and the
                                        schema is registered as exactly
                                        that version (carrying a model
                                        between stores) */

/*
 * cairn_model_register — register schema (len bytes of JSON) as ref.
 *
 * s [in]. ref [in]: borrowed; "name", "ns/name" (namespace "default" when
 * left out); no version, except with CAIRN_MODEL_AT_VERSION, where
 * "[ns/]name@N" is required. schema [in]: borrowed, len bytes. flags [in]:
 * CAIRN_MODEL_NEW_VERSION or CAIRN_MODEL_AT_VERSION (not both).
 * resolved [out]: may be NULL; receives "ns/name@version" (at least
 * CAIRN_MODEL_MAX + 1 bytes).
 * Returns CAIRN_OK when registered, CAIRN_SKIPPED when the same schema
 * (semantically equal JSON) is already the newest version (a no-op;
 * resolved names that version).
 * Errors: CAIRN_EDIFFERENT (a different schema is registered under ref and
 * flags lacks CAIRN_MODEL_NEW_VERSION; the message names the first
 * difference as a JSON Pointer into the schemas), CAIRN_EINVAL (bad ref,
 * a ref with a version, unknown flags, or the schema does not compile: the
 * message says why), CAIRN_EFORMAT (schema not JSON), CAIRN_EFULL (no
 * version number left), CAIRN_EBUSY (lost 1000 races in a row), backend
 * errors. Atomic across processes: of many registering the same schema one
 * gets CAIRN_OK and the others CAIRN_SKIPPED; with CAIRN_MODEL_NEW_VERSION
 * different schemas all get versions of their own.
 * With CAIRN_MODEL_AT_VERSION: CAIRN_OK when version N was written (other
 * versions are not needed: a store may hold version 3 alone), CAIRN_SKIPPED
 * when version N holds an equal schema, CAIRN_EDIFFERENT when it holds a
 * different one (the message names the first difference). Thread-safe.
 */
CAIRN_API int cairn_model_register(cairn_store *s, const char *ref, const void *schema,
                                   size_t len, unsigned flags, char *resolved);

/*
 * cairn_model_resolve — the full reference "ns/name@version" of ref.
 * s [in]. ref [in]: borrowed. out [out]: at least CAIRN_MODEL_MAX + 1
 * bytes; receives the NUL-terminated reference.
 * Errors: CAIRN_ENOTFOUND (no such model), CAIRN_EMODEL (ambiguous: the
 * message lists the candidates), CAIRN_EINVAL (bad ref). Thread-safe.
 */
CAIRN_API int cairn_model_resolve(cairn_store *s, const char *ref, char *out);

/*
 * cairn_model_schema — the schema JSON of a model. s [in]. ref [in]: borrowed.
 * out [out]: owned, a value (cairn_value_data() is the schema; the meta's
 * version is the registry record's), released with cairn_value_free().
 * Errors: as cairn_model_resolve. Thread-safe.
 */
CAIRN_API int cairn_model_schema(cairn_store *s, const char *ref, cairn_value **out);

/*
 * cairn_model_list — every model version in registry key order (namespace,
 * then name bytewise with its '/', then version): fn is called once per
 * version with its full reference (strings borrowed for the call); a
 * non-zero return from fn stops the walk and is returned. s [in].
 * fn [in]: not NULL. ctx [in]: borrowed until the call returns, fn's first
 * argument.
 * Errors: CAIRN_EINVAL (NULL s or fn), backend errors. Thread-safe.
 */
CAIRN_API int cairn_model_list(cairn_store *s,
                               int (*fn)(void *ctx, const char *ns, const char *name,
                                         unsigned version, const char *ref),
                               void *ctx);

/*
 * cairn_model_remove — remove a model: with "@version" that version only,
 * else every version (one transaction). ref resolves as for
 * cairn_model_resolve. Records stored under it keep their metadata.
 * s [in]. ref [in]: borrowed. n_removed [out]: may be NULL.
 * Errors: as cairn_model_resolve. Thread-safe.
 */
CAIRN_API int cairn_model_remove(cairn_store *s, const char *ref, uint64_t *n_removed);

/*
 * cairn_validate — validate doc (len bytes of JSON) against a model without
 * storing it. s [in]. ref [in]: borrowed. doc [in]: borrowed, len bytes.
 * errs [out]: may be NULL; on CAIRN_EVALIDATION receives the errors, owned,
 * released with cairn_verrors_free(); when NULL they are kept for
 * cairn_validation_errors(). Errors: as cairn_model_resolve,
 * CAIRN_EVALIDATION, CAIRN_EFORMAT. Thread-safe.
 */
CAIRN_API int cairn_validate(cairn_store *s, const char *ref, const void *doc, size_t len,
                             cairn_verrors **errs);

/*
 * cairn_validation_errors — the errors of this thread's last put, update,
 * put_many, revalidating get or cairn_validate (errs NULL) that failed
 * with CAIRN_EVALIDATION; owned by the library, valid until this thread's next call
 * into the library (the cairn_verrors_* accessors and cairn_errmsg() do not
 * count). NULL when the last call did not fail that way.
 */
CAIRN_API const cairn_verrors *cairn_validation_errors(void);

/* Flags of cairn_get_model. */
#define CAIRN_GET_REVALIDATE 0x1u /* validate the value against the model's
                                     schema as registered now (schema
                                     drift): CAIRN_EVALIDATION if it fails */

/*
 * cairn_get_model — cairn_get, and check the record was stored under model
 * s [in]. key [in]: borrowed. flags [in]: CAIRN_GET_*. out [out]: owned,
 * released with cairn_value_free(). ref [in]: borrowed;
 * "name" or "ns/name" accepts any version of that model, "ns/name@2"
 * only version 2. A ref without a namespace takes it from the registry as
 * resolution does ("default" when no namespace has the name any more). ref
 * NULL: no model check. With CAIRN_GET_REVALIDATE the value is validated
 * against ref as it resolves now (the newest version unless "@N"), or, for
 * a NULL ref, against the newest version of the record's own model.
 * Errors: as cairn_get, CAIRN_EMODEL (stored under another model, or under
 * none: the message names both; revalidation of a record under no model;
 * an ambiguous ref), CAIRN_EINVAL (bad ref or flags), CAIRN_EVALIDATION
 * (with CAIRN_GET_REVALIDATE; errors in cairn_validation_errors()),
 * CAIRN_ENOTFOUND (also: the model to revalidate against is not
 * registered). out is NULL on every failure. Thread-safe.
 */
CAIRN_API int cairn_get_model(cairn_store *s, const char *key, const char *ref,
                              unsigned flags, cairn_value **out);

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_STORE_H */
