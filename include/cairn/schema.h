/*
 * cairn/schema.h — JSON Schema (draft 2020-12) compiled once, validated
 * fast. Included by cairn/cairn.h; compiles alone; needs no store. The store's models (cairn.h,
 * "Models") are built on it.
 *
 * A schema is compiled from its JSON text into a form that validates
 * without re-reading the schema; validation reports every failure (up to a
 * limit) with the JSON Pointer of the failing value and the rule, as
 * "/members/1/age: expected integer, got string".
 *
 * Thread safety: a compiled schema is immutable; many threads may validate
 * with one schema at once. cairn_verrors are owned by the caller.
 */
#ifndef CAIRN_SCHEMA_H
#define CAIRN_SCHEMA_H

#include "cairn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of cairn_schema_opts.flags. */
#define CAIRN_SCHEMA_FORMAT_ASSERT 0x1u /* "format" fails values that do not
                                           match (date-time, date, time,
                                           uuid, email, ...); without it
                                           "format" is an annotation only,
                                           as draft 2020-12 says by default */

/*
 * Loads a schema document that a $ref names by an absolute URI other than
 * the schema's own (e.g. "http://localhost:1234/integer.json").
 * ctx [in]: loader_ctx. uri [in]: borrowed for the call. json [out]: a copy
 * of its JSON text allocated with malloc() (the one buffer that goes the
 * other way: the library takes it and releases it with free()). len [out]:
 * its length. Returns CAIRN_OK, or CAIRN_ENOTFOUND if unknown.
 */
typedef int (*cairn_schema_loader)(void *ctx, const char *uri, char **json, size_t *len);

/* Options of cairn_schema_compile. Zero-initialised means defaults. */
typedef struct {
    size_t struct_size;         /* 0 or sizeof(cairn_schema_opts): common.h */
    unsigned flags;             /* CAIRN_SCHEMA_* */
    cairn_schema_loader loader; /* NULL: a $ref to another document fails
                                   to compile (CAIRN_EUNSUPPORTED) */
    void *loader_ctx;
    unsigned max_errors;        /* errors kept per validation; 0: 100 */
    unsigned reserved;          /* 0. It fills what would be tail padding,
                                   so a field a later release adds here is
                                   seen: non-zero is CAIRN_EUNSUPPORTED */
} cairn_schema_opts;

/*
 * cairn_schema_compile — compile a schema from its JSON text.
 *
 * json [in]: borrowed, len bytes (need not be NUL-terminated); an object or
 * a boolean. opt [in]: borrowed, may be NULL (defaults). out [out]: owned,
 * the schema, released with cairn_schema_free().
 * Errors: CAIRN_EFORMAT (not JSON, or nested deeper than 512),
 * CAIRN_EINVAL (not a valid schema: a keyword with a value of the wrong
 * type, a bad regular expression, a $ref that points nowhere or to a
 * document the loader cannot give; the message names the schema location,
 * e.g. "schema /properties/a/pattern: bad regular expression ..."),
 * CAIRN_EUNSUPPORTED (a remote $ref without a loader), CAIRN_ENOMEM.
 * Thread-safe.
 */
CAIRN_API int cairn_schema_compile(const void *json, size_t len, const cairn_schema_opts *opt,
                         cairn_schema **out);

/* Free a compiled schema. sc [in]: owned until this call; NULL is fine. */
CAIRN_API void cairn_schema_free(cairn_schema *sc);

/*
 * cairn_schema_validate — validate one JSON document.
 *
 * sc [in]. doc [in]: borrowed, len bytes of JSON. errs [out]: may be NULL;
 * on CAIRN_EVALIDATION receives the list of errors, owned, released with
 * cairn_verrors_free(); else NULL.
 * Returns CAIRN_OK when valid, CAIRN_EVALIDATION when not (cairn_errmsg()
 * then holds the first error as "PATH: RULE", the document's path shown as
 * "/"), CAIRN_EFORMAT when doc is not JSON (or nested deeper than 512),
 * CAIRN_EINVAL (NULL sc), CAIRN_ENOMEM. A schema that loops ($ref to itself
 * without moving into the value) makes every document invalid, with the
 * error "schema evaluation deeper than 2048 (a $ref loop?)". Thread-safe.
 * docs/schema.md lists the keywords, formats and limits.
 */
CAIRN_API int cairn_schema_validate(const cairn_schema *sc, const void *doc, size_t len,
                          cairn_verrors **errs);

/*
 * cairn_schema_fill_defaults — the document with every missing property
 * that has a "default" in the schema filled in (recursively, through
 * properties, items, prefixItems, $ref and allOf, and into the defaults it
 * inserts; not through anyOf/oneOf, where the branch is not known). Present
 * values are never changed; numbers keep their text.
 *
 * sc [in]. doc [in]: borrowed, len bytes. out [out]: owned, a
 * NUL-terminated buffer released with cairn_free(). out_len [out]: its
 * length. The input is not validated first. Errors: CAIRN_EFORMAT,
 * CAIRN_EINVAL (defaults inserted inside inserted defaults more than 16
 * deep, more than 100000 of them, or a result nested deeper than 512: a
 * schema whose default refers to itself), CAIRN_ENOMEM. Thread-safe.
 */
CAIRN_API int cairn_schema_fill_defaults(const cairn_schema *sc, const void *doc, size_t len,
                               char **out, size_t *out_len);

/* Number of errors in the list. e [in]: may be NULL (0). */
CAIRN_API size_t cairn_verrors_count(const cairn_verrors *e);
/* JSON Pointer of the failing value of error i ("" is the document); NULL
 * when i is out of range. e [in]. i [in]. The string is a view into e,
 * valid until cairn_verrors_free(e). */
CAIRN_API const char *cairn_verrors_path(const cairn_verrors *e, size_t i);
/* The rule that failed, as a phrase: "expected integer, got string",
 * "required property 'age' is missing", "does not match pattern '^a'";
 * NULL when i is out of range. e [in]. i [in]. A view into e. */
CAIRN_API const char *cairn_verrors_rule(const cairn_verrors *e, size_t i);
/* True when more errors were found than were kept (max_errors). e [in]. */
CAIRN_API int cairn_verrors_truncated(const cairn_verrors *e);
/* Free the list. e [in]: owned until this call; NULL is fine. */
CAIRN_API void cairn_verrors_free(cairn_verrors *e);

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_SCHEMA_H */
