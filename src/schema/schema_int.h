/*
 * schema_int.h — the compiled form of a JSON Schema, shared by the parts of
 * the schema module (schema_uri.c, schema_compile.c, schema_regex.c,
 * schema_validate.c, schema_defaults.c) and by nothing else.
 *
 * Compilation has two passes. The first (schema_uri.c) walks every
 * subschema, works out its base URI ($id), and registers resources and
 * anchors; the second (schema_compile.c) compiles from the root through one
 * keyword table, queueing each $ref / $dynamicRef and resolving the queue
 * afterwards (so a long chain of refs never deepens the C stack).
 * Validation (schema_validate.c) runs, per compiled subschema, the stages
 * its keywords asked for, in a fixed order.
 */
#ifndef CAIRN_SCHEMA_SCHEMA_INT_H
#define CAIRN_SCHEMA_SCHEMA_INT_H

/* Layer 1 (schema/): for layers above 1 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 1 && !defined(CAIRN_IN_SCHEMA)) || CAIRN_LAYER == 4
#error "schema/schema_int.h: included from a layer that may not use it"
#endif

#define PCRE2_CODE_UNIT_WIDTH 8
#include "cairn/cairn.h"

#include "base/buf.h"
#include "base/error.h"
#include "base/jdom.h"
#include "base/json.h"

#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define EVAL_DEPTH_MAX 2048 /* nested evaluations (a $ref loop ends here) */
#define DYN_SCOPE_MAX 256   /* distinct resources in one dynamic scope */
#define REMOTE_MAX 64       /* documents a loader may add */
#define MATCH_LIMIT 1000000 /* backtracking steps of one regex match (PCRE2's
                               default is 10 000 000: a hostile pattern such
                               as ^(a+)+$ would take seconds) */
#define MAX_ERRORS_DEFAULT 100
#define DRAFT_2020_12 "https://json-schema.org/draft/2020-12/schema"
#define VOCAB_VALIDATION "https://json-schema.org/draft/2020-12/vocab/validation"

/* ---- compiled form ---- */

typedef struct csch csch;

/* A schema resource (a document root or a subschema with $id). */
typedef struct res {
    const char *uri;
    jd_node *root;
    struct dyn_anchor {
        const char *name;
        jd_node *node;
        csch *s;
    } *dyn;
    size_t ndyn, capdyn;
    struct res *next;
} res;

typedef struct {
    const char *name; /* NUL-terminated */
    uint32_t len;
    csch *s;
} cprop;

typedef struct {
    pcre2_code *re;
    const char *src;
    csch *s;
} cpattern;

typedef struct {
    const char *name;
    uint32_t len;
    const jd_node *names; /* dependentRequired: array of strings */
    csch *s;              /* dependentSchemas */
} cdep;

enum {
    T_NULL = 1, T_BOOL = 2, T_OBJ = 4, T_ARR = 8, T_NUM = 16, T_STR = 32, T_INT = 64
};

/* Presence of the counted limits. */
enum {
    L_MINLEN, L_MAXLEN, L_MINITEMS, L_MAXITEMS, L_MINPROPS, L_MAXPROPS, L_MINCONT, L_MAXCONT,
    L_N
};

struct csch {
    uint8_t boolean; /* 0: an object schema; 1: true; 2: false */
    uint8_t types;   /* T_*; 0: no "type" */
    uint8_t unique;
    uint8_t has_uneval; /* unevaluatedProperties / unevaluatedItems here */
    uint8_t format;
    uint16_t stages;   /* bit ST_*: the validation stages this schema runs */
    unsigned limits;   /* bit L_*: the limit is present */
    uint64_t lim[L_N];
    const jd_node *minimum, *maximum, *exmin, *exmax, *multiple_of;
    const jd_node *constv, *enumv, *dflt;
    pcre2_code *pattern;
    const char *pattern_src;
    cprop *props;
    uint32_t nprops, npatterns, nprefix, nallof, nanyof, noneof, nrequired, ndepreq, ndepsch;
    cpattern *patterns;
    csch *addl, *items, *contains, *propnames, *uneval_p, *uneval_i;
    csch *not_, *if_, *then_, *else_, *ref, *dynref;
    const char *dyn_name; /* $dynamicRef whose target has a $dynamicAnchor of this name */
    csch **prefix, **allof, **anyof, **oneof;
    const jd_node **required;
    cdep *depreq, *depsch;
    res *res; /* the resource this schema is in */
};

/* Per subschema of the tree (jd_node.aux), from the first pass. */
typedef struct {
    const char *base;
    res *res;
    csch *c;
} sinfo;

/* A registered URI: a resource ("http://x/y.json") or an anchor ("...#name"). */
typedef struct uri_ent {
    const char *uri;
    jd_node *node;
    struct uri_ent *next;
} uri_ent;

struct cairn_schema {
    jd_arena arena; /* every tree, string and compiled node */
    csch *root;
    unsigned flags, max_errors;
    bool annotations; /* some schema has unevaluated*: track evaluated sets */
    pcre2_code **regexes;
    pcre2_match_context *mctx; /* the match limits; read-only once compiled */
    size_t nregex, capregex;
};

struct cairn_verrors {
    size_t n, cap;
    int truncated;
    struct verr {
        char *path, *rule;
    } *e;
};

/* The validation stages, in the order they run on a value (errors are
 * reported in this order; unevaluated* come last as they must). Each
 * keyword of the compile table names the stage that checks it; a compiled
 * schema keeps the set of stages its keywords need (csch.stages). */
enum {
    ST_TYPE,     /* type */
    ST_CONST,    /* const */
    ST_ENUM,     /* enum */
    ST_OBJECT,   /* properties, required, ... on objects */
    ST_ARRAY,    /* items, contains, ... on arrays */
    ST_SCALAR,   /* numbers and strings: minimum, pattern, format, ... */
    ST_REF,      /* $ref */
    ST_DYNREF,   /* $dynamicRef */
    ST_ALLOF,    /* allOf */
    ST_ANYOF,    /* anyOf */
    ST_ONEOF,    /* oneOf */
    ST_NOT,      /* not */
    ST_IF,       /* if / then / else */
    ST_UNEVAL_P, /* unevaluatedProperties */
    ST_UNEVAL_I, /* unevaluatedItems */
    ST_N,
    ST_NONE = ST_N /* a keyword that validates nothing itself ($defs, $id, ...) */
};

/* ---- compiler state (schema_compile.c, schema_uri.c, schema_regex.c) ---- */

typedef struct pending {
    csch **slot;
    const char *uri;   /* absolute, maybe with a fragment */
    const char *kw;    /* "$ref", "$dynamicRef" */
    const char *where; /* schema location of the keyword, for messages */
    const char *dyn;   /* $dynamicRef: the fragment (an anchor name) */
    csch *owner;
    jd_node *node;     /* or a node to compile (a dynamic anchor's target) */
    struct pending *next;
} pending;

typedef struct {
    cairn_schema *sc;
    jd_arena *a;
    const cairn_schema_opts *opt;
    uri_ent *uris;
    res *resources;
    pending *todo;
    int nremote;
    bool no_validation; /* the metaschema leaves out the validation vocabulary */
    char where[1024];   /* JSON Pointer of the keyword being compiled */
    size_t wlen;
} comp;

static inline bool key_is(const jd_node *m, const char *lit)
{
    size_t n = strlen(lit);
    return m->klen == n && memcmp(m->key, lit, n) == 0;
}

/* A NUL-terminated copy of a string node. */
static inline char *str0(comp *c, const jd_node *v)
{
    return jd_strndup(c->a, v->u.s, v->n);
}

static inline int oom(void)
{
    return cairn__err(CAIRN_ENOMEM, "out of memory compiling a schema");
}

/* schema_compile.c: an error at the keyword being compiled ("schema
 * /properties/a/type: must be ..."); the location as a JSON Pointer. */
int cairn__sch_err(comp *c, int code, const char *fmt, ...) CAIRN__FMT(3, 4);

/* schema_uri.c: RFC 3986 reference resolution, the first pass, $ref targets. */
char *cairn__sch_uri_resolve(jd_arena *a, const char *base, const char *ref);
/* Register a whole document whose URI is uri (pass 1 over it). */
int cairn__sch_add_document(comp *c, jd_node *root, const char *uri);
/* The node a queued $ref / $dynamicRef points at (loading a remote document
 * through the loader when needed). */
int cairn__sch_resolve(comp *c, const pending *p, jd_node **out);
/* A $schema naming another metaschema: does it leave out the validation
 * vocabulary (sets c->no_validation)? */
int cairn__sch_read_vocabulary(comp *c, const jd_node *root);

/* schema_regex.c: ECMA-262 patterns on PCRE2. */
int cairn__sch_regex_init(cairn_schema *sc);
void cairn__sch_regex_free(cairn_schema *sc);
/* Compile the pattern of string node src (kept by sc, freed with it). */
int cairn__sch_regex(comp *c, const jd_node *src, pcre2_code **out);
/* 1 match, 0 no match, -1 the match could not finish (the match limit),
 * -2 out of memory. *md is created on first use; free it with
 * cairn__sch_match_data_free. */
int cairn__sch_re_match(const cairn_schema *sc, pcre2_match_data **md, pcre2_code *re,
                        const char *s, size_t n);
void cairn__sch_match_data_free(pcre2_match_data *md);

#endif
