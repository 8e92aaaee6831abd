/*
 * cairn/common.h — what every public header of libcairn shares: the export
 * macro, the version, the status codes, the forward declarations of the
 * library's objects, and the conventions every function follows. Each
 * public header includes it and compiles alone, in C99 and C++11
 * (tests/headers checks this).
 *
 * Conventions (docs/api.md, "Conventions", says the same in prose):
 *
 *  - Status. Functions return an int: CAIRN_OK (0), a positive informational
 *    code (CAIRN_SKIPPED, CAIRN_DONE) or a negative error (CAIRN_E*).
 *    cairn_strerror() says what a code means, cairn_status_name() gives its
 *    name, cairn_errmsg() this thread's detail of its last failure.
 *  - Parameters. Each function's comment marks every parameter [in], [out]
 *    or [in,out] and says who owns it:
 *      borrowed  the callee reads it during the call only (or, where said,
 *                until the call completes); the caller keeps ownership;
 *      owned     the caller receives it and releases it with the verb named;
 *      static    owned by the library, valid for the life of the process;
 *      view      points into another object and lives as long as it.
 *    Out-parameters are written only on success, unless the function says
 *    otherwise. "may be NULL" is said wherever NULL is accepted.
 *  - Release verbs, one per kind of object:
 *      _close    a handle on a store, from _open (cairn_store_close);
 *      _free     an object the library allocated for the caller (a value,
 *                an iterator, errors, a compiled schema, a cache, an
 *                executor), from _new, _compile or a getter;
 *      _release  a reference to a shared, reference-counted object (a held
 *                cache entry, a future);
 *      cairn_free()  every plain buffer (void *, char *) the library hands
 *                out (cairn_convert(), cairn_schema_fill_defaults(), ...).
 *    Every release function accepts NULL.
 *  - Callbacks. The context pointer is the argument right after the
 *    callback (fn, ctx) in a call, the field right after it (fn, fn_ctx)
 *    in a struct, and the FIRST parameter of the callback itself:
 *    int (*fn)(void *ctx, ...).
 *  - Option structs (cairn_options, cairn_put_opts, cairn_copy_opts,
 *    cairn_cache_options, cairn_schema_opts, cairn_executor_opts) start
 *    with `size_t struct_size`, so they can grow without breaking callers:
 *      0                 the layout of release 0.1.0 (what a
 *                        zero-initialised struct gives: every default);
 *      sizeof(the struct) the layout of the header the caller compiled
 *                        against (set it when using a field added later);
 *    the library reads only the bytes struct_size covers (fields beyond
 *    them take their defaults), and refuses with CAIRN_EUNSUPPORTED a
 *    struct larger than it knows whose extra bytes are not all zero (a
 *    field this library does not have). Zero-initialised means defaults.
 *    A struct that would end in padding ends in a field `reserved`
 *    instead, which must be 0: a later release may put a field there, and
 *    this library refuses it (CAIRN_EUNSUPPORTED) rather than ignore it.
 *  - Thread safety is stated per function; a cairn_store handle is
 *    thread-safe, values and iterators belong to one thread at a time.
 *  - Deprecated names (CAIRN_DEPRECATED) keep working for one release and
 *    then go; CHANGELOG.md lists them with their replacements. Define
 *    CAIRN_NO_DEPRECATION_WARNINGS to silence the compiler's warnings.
 */
#ifndef CAIRN_COMMON_H
#define CAIRN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the library's exported symbols (the library is built with
 * -fvisibility=hidden and CAIRN_BUILDING defined). */
#if defined(CAIRN_BUILDING) && defined(__GNUC__)
#define CAIRN_API __attribute__((visibility("default")))
#else
#define CAIRN_API
#endif

/* Marks a name kept for one release after its replacement came. */
#if defined(__GNUC__) && !defined(CAIRN_NO_DEPRECATION_WARNINGS) && !defined(CAIRN_BUILDING)
#define CAIRN_DEPRECATED(replacement) __attribute__((deprecated("use " replacement)))
#else
#define CAIRN_DEPRECATED(replacement)
#endif

/* The version of these headers; cairn_version() gives the library's.
 * Kept equal to the CMake project version (the build checks it). */
#define CAIRN_VERSION_MAJOR 0
#define CAIRN_VERSION_MINOR 1
#define CAIRN_VERSION_PATCH 0
#define CAIRN_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, for #if comparisons. */
#define CAIRN_VERSION_NUMBER \
    (CAIRN_VERSION_MAJOR * 10000 + CAIRN_VERSION_MINOR * 100 + CAIRN_VERSION_PATCH)

/*
 * Status codes. One table generates the enum, cairn_strerror() and
 * cairn_status_name(), so they never fall out of step. Codes are stable:
 * never renumber, only append.
 */
#define CAIRN_STATUS_MAP(X)                                                   \
    X(OK,           0, "success")                                             \
    X(SKIPPED,      1, "skipped: the key already exists")                     \
    X(DONE,         2, "no more items")                                       \
    X(ENOTFOUND,   -1, "not found")                                           \
    X(EEXISTS,     -2, "already exists")                                      \
    X(EDIFFERENT,  -3, "a different value already exists")                    \
    X(ECONFLICT,   -4, "version conflict")                                    \
    X(EKEY,        -5, "invalid key")                                         \
    X(EINVAL,      -6, "invalid argument")                                    \
    X(EURL,        -7, "invalid store URL")                                   \
    X(EFORMAT,     -8, "value does not match its format")                     \
    X(EVALIDATION, -9, "validation failed")                                   \
    X(EMODEL,     -10, "wrong model")                                         \
    X(ECORRUPT,   -11, "corrupt record")                                      \
    X(EIO,        -12, "I/O error")                                           \
    X(ECONN,      -13, "connection failed")                                   \
    X(EBUSY,      -14, "busy or timed out")                                   \
    X(EUNSUPPORTED, -15, "unsupported")                                       \
    X(ENOMEM,     -16, "out of memory")                                       \
    X(EFULL,      -17, "store is full")                                       \
    X(ECANCELED,  -18, "cancelled")

typedef enum {
#define CAIRN__ENUM(name, code, text) CAIRN_##name = code,
    CAIRN_STATUS_MAP(CAIRN__ENUM)
#undef CAIRN__ENUM
    CAIRN__STATUS_LAST = -19
} cairn_status;

/* The library's objects, opaque unless a header defines them. */
typedef struct cairn_store cairn_store;             /* store.h; thread-safe */
typedef struct cairn_value cairn_value;             /* store.h; bytes + metadata */
typedef struct cairn_iter cairn_iter;               /* store.h; streaming list/range */
typedef struct cairn_options cairn_options;         /* store.h; cairn_store_open() */
typedef struct cairn_put_opts cairn_put_opts;       /* store.h; a put */
typedef struct cairn_meta cairn_meta;               /* store.h; a record's metadata */
typedef struct cairn_stats cairn_stats;             /* store.h; a store's counts */
typedef struct cairn_schema cairn_schema;           /* schema.h; compiled, immutable */
typedef struct cairn_verrors cairn_verrors;         /* schema.h; validation errors */
typedef struct cairn_array cairn_array;             /* formats.h; an n-d array */
typedef struct cairn_cache cairn_cache;             /* cache.h; thread-safe */
typedef struct cairn_cache_entry cairn_cache_entry; /* cache.h; a held value */
typedef struct cairn_cache_options cairn_cache_options; /* cache.h */
typedef struct cairn_cache_stats cairn_cache_stats; /* cache.h */
typedef struct cairn_executor cairn_executor;       /* async.h; thread-safe */
typedef struct cairn_future cairn_future;           /* async.h; one async call */

/*
 * cairn_strerror — what a status code means, in English ("not found").
 * status: [in]. Returns a static string; "unknown status" for a code not
 * in the table. Thread-safe.
 */
CAIRN_API const char *cairn_strerror(int status);

/*
 * cairn_status_name — the name of a status code as the C enum spells it,
 * prefix included: "CAIRN_OK", "CAIRN_ENOTFOUND", ... (for bindings and
 * logs: a name that never changes, where cairn_strerror()'s text may).
 * status: [in]. Returns a static string, never NULL; "CAIRN_UNKNOWN" for a
 * code not in the table. Thread-safe.
 */
CAIRN_API const char *cairn_status_name(int status);

/*
 * cairn_errmsg — the detail of the calling thread's last failed call, e.g.
 * "put runs/1: already exists (version 3)". Returns a per-thread string
 * owned by the library, valid until the next cairn call on this thread;
 * never NULL ("" when there is none).
 */
CAIRN_API const char *cairn_errmsg(void);

/*
 * cairn_version — the version of the library linked, "MAJOR.MINOR.PATCH"
 * (the headers' own is CAIRN_VERSION_STRING). Returns a static string.
 * Thread-safe.
 */
CAIRN_API const char *cairn_version(void);

/* cairn_version_number — the library's CAIRN_VERSION_NUMBER. Thread-safe. */
CAIRN_API int cairn_version_number(void);

/*
 * cairn_duration_parse — read a duration as the CLI's --ttl and a store
 * URL's ?default_ttl= take it: a bare integer is seconds ("300"); else one
 * or more <integer><unit> with unit ms, s, m, h or d, summed ("500ms",
 * "30s", "5m", "2h", "1d", "1h30m"). No sign, no spaces, no fractions.
 * text [in]: borrowed, NUL-terminated. ms [out]: the total in
 * milliseconds, always > 0; untouched on failure.
 * Errors: CAIRN_EINVAL (NULL, empty, negative, zero, a number without a
 * unit after a unit ("1h30"), an unknown unit, more than INT64_MAX ms),
 * with a message that quotes the text and says what is wrong.
 * Thread-safe.
 */
CAIRN_API int cairn_duration_parse(const char *text, int64_t *ms);

/*
 * cairn_free — release a buffer the library handed out (the void * or
 * char * out-parameters of cairn_convert(), cairn_value_convert(),
 * cairn_schema_fill_defaults(), ...). p: [in], owned by the caller until
 * this call; NULL is fine. Use it, not free(): the library may allocate
 * with another allocator than the application's. Objects have their own
 * release verbs (cairn_value_free(), ...): never pass one here.
 * Thread-safe.
 */
CAIRN_API void cairn_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_COMMON_H */
