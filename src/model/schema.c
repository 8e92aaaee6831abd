/*
 * schema.c — JSON Schema draft 2020-12: compile a schema (jdom tree) into
 * keyword fields with pre-parsed values, compiled regexes and resolved
 * $refs; validate documents over the same tree; fill defaults.
 *
 * Compilation has two passes. The first walks every subschema, works out
 * its base URI ($id), and registers resources and anchors; the second
 * compiles from the root, queueing each $ref / $dynamicRef and resolving
 * the queue afterwards (so a long chain of refs never deepens the C stack).
 * Validation carries a dynamic scope (for $dynamicRef), a path (for error
 * pointers) and, only when the schema has unevaluated*, sets of evaluated
 * members/items.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "cairn/cairn.h"

#include "../store/internal.h"
#include "../store/api.h"
#include "format.h"
#include "jdom.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- errors ---- */

struct cairn_verrors {
    size_t n, cap;
    int truncated;
    struct verr {
        char *path, *rule;
    } *e;
};

CAIRN_API size_t cairn_verrors_count(const cairn_verrors *e)
{
    return e ? e->n : 0;
}

CAIRN_API const char *cairn_verrors_path(const cairn_verrors *e, size_t i)
{
    return e && i < e->n ? e->e[i].path : NULL;
}

CAIRN_API const char *cairn_verrors_rule(const cairn_verrors *e, size_t i)
{
    return e && i < e->n ? e->e[i].rule : NULL;
}

CAIRN_API int cairn_verrors_truncated(const cairn_verrors *e)
{
    return e ? e->truncated : 0;
}

CAIRN_API void cairn_verrors_free(cairn_verrors *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++) {
        free(e->e[i].path);
        free(e->e[i].rule);
    }
    free(e->e);
    free(e);
}

/* ---- URIs (RFC 3986 reference resolution, enough for $id and $ref) ---- */

typedef struct {
    const char *s;
    size_t n;
} span;

typedef struct {
    span scheme, auth, path, query, frag;
    bool has_scheme, has_auth, has_query, has_frag;
} uri_parts;

static void uri_split(const char *s, uri_parts *u)
{
    memset(u, 0, sizeof *u);
    size_t n = strlen(s), i = 0;
    while (i < n && !strchr(":/?#", s[i]))
        i++;
    if (i < n && i > 0 && s[i] == ':') {
        u->has_scheme = true;
        u->scheme = (span){s, i};
        s += i + 1;
        n -= i + 1;
    }
    if (n >= 2 && s[0] == '/' && s[1] == '/') {
        i = 2;
        while (i < n && !strchr("/?#", s[i]))
            i++;
        u->has_auth = true;
        u->auth = (span){s + 2, i - 2};
        s += i;
        n -= i;
    }
    i = 0;
    while (i < n && s[i] != '?' && s[i] != '#')
        i++;
    u->path = (span){s, i};
    s += i;
    n -= i;
    if (n && s[0] == '?') {
        i = 1;
        while (i < n && s[i] != '#')
            i++;
        u->has_query = true;
        u->query = (span){s + 1, i - 1};
        s += i;
        n -= i;
    }
    if (n && s[0] == '#') {
        u->has_frag = true;
        u->frag = (span){s + 1, n - 1};
    }
}

/* Remove "." and ".." segments of path (in place in a buffer of len n). */
static size_t remove_dots(char *p, size_t n)
{
    char *out = p;
    size_t o = 0, i = 0;
    while (i < n) {
        if (n - i >= 3 && !memcmp(p + i, "../", 3)) {
            i += 3;
        } else if (n - i >= 2 && !memcmp(p + i, "./", 2)) {
            i += 2;
        } else if (n - i >= 3 && !memcmp(p + i, "/./", 3)) {
            i += 2;
        } else if (n - i == 2 && !memcmp(p + i, "/.", 2)) {
            p[++i] = '/';
        } else if ((n - i >= 4 && !memcmp(p + i, "/../", 4)) ||
                   (n - i == 3 && !memcmp(p + i, "/..", 3))) {
            if (n - i == 3) {
                i += 2;
                p[i] = '/';
            } else {
                i += 3;
            }
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if ((n - i == 1 && p[i] == '.') || (n - i == 2 && !memcmp(p + i, "..", 2))) {
            i = n;
        } else {
            size_t j = i + (p[i] == '/' ? 1 : 0);
            while (j < n && p[j] != '/')
                j++;
            memmove(out + o, p + i, j - i);
            o += j - i;
            i = j;
        }
    }
    return o;
}

/* The absolute form of ref against base (both NUL-terminated), in a. */
static char *uri_resolve(jd_arena *a, const char *base, const char *ref)
{
    uri_parts b, r;
    uri_split(base, &b);
    uri_split(ref, &r);
    size_t cap = strlen(base) + strlen(ref) + 8;
    char *out = jd_alloc(a, cap), *path = jd_alloc(a, cap);
    if (!out || !path)
        return NULL;
    span scheme, auth, query;
    bool has_auth, has_query;
    size_t pl = 0;
    if (r.has_scheme) {
        scheme = r.scheme;
        auth = r.auth;
        has_auth = r.has_auth;
        memcpy(path, r.path.s, r.path.n);
        pl = remove_dots(path, r.path.n);
        query = r.query;
        has_query = r.has_query;
    } else {
        scheme = b.scheme;
        if (r.has_auth) {
            auth = r.auth;
            has_auth = true;
            memcpy(path, r.path.s, r.path.n);
            pl = remove_dots(path, r.path.n);
            query = r.query;
            has_query = r.has_query;
        } else {
            auth = b.auth;
            has_auth = b.has_auth;
            if (r.path.n == 0) {
                memcpy(path, b.path.s, b.path.n);
                pl = b.path.n;
                query = r.has_query ? r.query : b.query;
                has_query = r.has_query || b.has_query;
            } else {
                if (r.path.s[0] == '/') {
                    memcpy(path, r.path.s, r.path.n);
                    pl = r.path.n;
                } else {
                    if (b.has_auth && b.path.n == 0) {
                        path[pl++] = '/';
                    } else {
                        size_t k = b.path.n;
                        while (k > 0 && b.path.s[k - 1] != '/')
                            k--;
                        memcpy(path, b.path.s, k);
                        pl = k;
                    }
                    memcpy(path + pl, r.path.s, r.path.n);
                    pl += r.path.n;
                }
                pl = remove_dots(path, pl);
                query = r.query;
                has_query = r.has_query;
            }
        }
    }
    size_t o = 0;
    if (scheme.n) {
        memcpy(out, scheme.s, scheme.n);
        o = scheme.n;
        out[o++] = ':';
    }
    if (has_auth) {
        out[o++] = '/';
        out[o++] = '/';
        memcpy(out + o, auth.s, auth.n);
        o += auth.n;
    }
    memcpy(out + o, path, pl);
    o += pl;
    if (has_query) {
        out[o++] = '?';
        memcpy(out + o, query.s, query.n);
        o += query.n;
    }
    if (r.has_frag && r.frag.n) {
        out[o++] = '#';
        memcpy(out + o, r.frag.s, r.frag.n);
        o += r.frag.n;
    }
    out[o] = '\0';
    return out;
}

/* ---- compiler state ---- */

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

static int cerr(comp *c, int code, const char *fmt, ...) CAIRN__FMT(3, 4);
static int cerr(comp *c, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cairn__err(code, "schema %s: %s", c->wlen ? c->where : "/", msg);
}

/* Append "/seg" (escaped) to the location; returns the old length. */
static size_t where_push(comp *c, const char *seg, size_t n)
{
    size_t old = c->wlen;
    if (c->wlen + 2 >= sizeof c->where)
        return old;
    c->where[c->wlen++] = '/';
    for (size_t i = 0; i < n && c->wlen + 3 < sizeof c->where; i++) {
        if (seg[i] == '~' || seg[i] == '/') {
            c->where[c->wlen++] = '~';
            c->where[c->wlen++] = seg[i] == '~' ? '0' : '1';
        } else {
            c->where[c->wlen++] = seg[i];
        }
    }
    c->where[c->wlen] = '\0';
    return old;
}

static size_t where_push_idx(comp *c, size_t i)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%zu", i);
    return where_push(c, b, (size_t)n);
}

static void where_pop(comp *c, size_t old)
{
    c->wlen = old;
    c->where[old] = '\0';
}

static int reg_uri(comp *c, const char *uri, jd_node *node)
{
    for (uri_ent *e = c->uris; e; e = e->next)
        if (!strcmp(e->uri, uri))
            return CAIRN_OK; /* the first one registered wins */
    uri_ent *e = jd_alloc(c->a, sizeof *e);
    if (!e)
        return CAIRN_ENOMEM;
    e->uri = uri;
    e->node = node;
    e->next = c->uris;
    c->uris = e;
    return CAIRN_OK;
}

static jd_node *find_uri(comp *c, const char *uri)
{
    for (uri_ent *e = c->uris; e; e = e->next)
        if (!strcmp(e->uri, uri))
            return e->node;
    return NULL;
}

static bool key_is(const jd_node *m, const char *lit)
{
    size_t n = strlen(lit);
    return m->klen == n && memcmp(m->key, lit, n) == 0;
}

/* A NUL-terminated copy of a string node. */
static char *str0(comp *c, const jd_node *v)
{
    return jd_strndup(c->a, v->u.s, v->n);
}

static int oom(void)
{
    return cairn__err(CAIRN_ENOMEM, "out of memory compiling a schema");
}

/* ---- pass 1: base URIs, resources, anchors ---- */

static int walk(comp *c, jd_node *n, const char *base, res *r);

/* Keywords whose value is a map of names to schemas. */
static bool map_keyword(const jd_node *m)
{
    return key_is(m, "properties") || key_is(m, "patternProperties") || key_is(m, "$defs") ||
           key_is(m, "definitions") || key_is(m, "dependentSchemas");
}

/* Keywords whose value is data, never a schema. */
static bool data_keyword(const jd_node *m)
{
    return key_is(m, "enum") || key_is(m, "const") || key_is(m, "default") ||
           key_is(m, "examples") || key_is(m, "required") || key_is(m, "dependentRequired") ||
           key_is(m, "$vocabulary");
}

static res *new_res(comp *c, const char *uri, jd_node *root)
{
    res *r = jd_alloc(c->a, sizeof *r);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    r->uri = uri;
    r->root = root;
    r->next = c->resources;
    c->resources = r;
    return r;
}

static int walk(comp *c, jd_node *n, const char *base, res *r)
{
    if (n->type != JD_OBJ && n->type != JD_TRUE && n->type != JD_FALSE)
        return CAIRN_OK;
    if (n->aux)
        return CAIRN_OK; /* reached twice (a remote registered before) */
    sinfo *si = jd_alloc(c->a, sizeof *si);
    if (!si)
        return oom();
    si->c = NULL;
    n->aux = si;
    if (n->type == JD_OBJ) {
        const jd_node *id = JD_GET(n, "$id");
        if (id && id->type == JD_STR) {
            char *ids = str0(c, id), *hash;
            if (!ids)
                return oom();
            if ((hash = strchr(ids, '#')) != NULL)
                *hash = '\0';
            const char *abs = uri_resolve(c->a, base, ids);
            if (!abs)
                return oom();
            base = abs;
            if (!(r = new_res(c, abs, n)) || reg_uri(c, abs, n))
                return oom();
        }
        const jd_node *an = JD_GET(n, "$anchor");
        const jd_node *dan = JD_GET(n, "$dynamicAnchor");
        for (int k = 0; k < 2; k++) {
            const jd_node *v = k ? dan : an;
            if (!v || v->type != JD_STR)
                continue;
            size_t bl = strlen(base);
            char *u = jd_alloc(c->a, bl + v->n + 2);
            if (!u)
                return oom();
            memcpy(u, base, bl);
            u[bl] = '#';
            memcpy(u + bl + 1, v->u.s, v->n);
            u[bl + 1 + v->n] = '\0';
            if (reg_uri(c, u, n))
                return oom();
            if (k) {
                if (r->ndyn == r->capdyn) {
                    size_t cap = r->capdyn ? r->capdyn * 2 : 4;
                    struct dyn_anchor *d = jd_alloc(c->a, cap * sizeof *d);
                    if (!d)
                        return oom();
                    if (r->ndyn)
                        memcpy(d, r->dyn, r->ndyn * sizeof *d);
                    r->dyn = d;
                    r->capdyn = cap;
                }
                r->dyn[r->ndyn].name = u + bl + 1;
                r->dyn[r->ndyn].node = n;
                r->dyn[r->ndyn].s = NULL;
                r->ndyn++;
            }
        }
    }
    si->base = base;
    si->res = r;
    if (n->type != JD_OBJ)
        return CAIRN_OK;
    for (uint32_t i = 0; i < n->n; i++) {
        jd_node *m = &n->u.kids[i];
        int rc = CAIRN_OK;
        if (data_keyword(m))
            continue;
        if (map_keyword(m) && m->type == JD_OBJ) {
            for (uint32_t k = 0; k < m->n && !rc; k++)
                rc = walk(c, &m->u.kids[k], base, r);
        } else if (m->type == JD_ARR) {
            for (uint32_t k = 0; k < m->n && !rc; k++)
                rc = walk(c, &m->u.kids[k], base, r);
        } else {
            rc = walk(c, m, base, r);
        }
        if (rc)
            return rc;
    }
    return CAIRN_OK;
}

/* Register a whole document whose URI is uri. */
static int add_document(comp *c, jd_node *root, const char *uri)
{
    res *r = NULL;
    if (!root->aux) {
        if (!(r = new_res(c, uri, root)) || reg_uri(c, uri, root))
            return oom();
    }
    return walk(c, root, uri, r);
}

/* ---- pass 2: compile ---- */

static int compile(comp *c, jd_node *n, csch **out);

static int queue(comp *c, csch **slot, const char *uri, const char *kw, const char *dyn,
                 csch *owner, jd_node *node)
{
    pending *p = jd_alloc(c->a, sizeof *p);
    if (!p)
        return oom();
    p->slot = slot;
    p->uri = uri;
    p->kw = kw;
    p->where = jd_strndup(c->a, c->where, c->wlen);
    p->dyn = dyn;
    p->owner = owner;
    p->node = node;
    p->next = c->todo;
    c->todo = p;
    return p->where ? CAIRN_OK : oom();
}

static int sub(comp *c, const jd_node *m, csch **out)
{
    size_t old = where_push(c, m->key, m->klen);
    int rc;
    if (m->type != JD_OBJ && m->type != JD_TRUE && m->type != JD_FALSE)
        rc = cerr(c, CAIRN_EINVAL, "must be a schema (an object or a boolean)");
    else
        rc = compile(c, (jd_node *)m, out);
    where_pop(c, old);
    return rc;
}

static int sub_array(comp *c, const jd_node *m, csch ***out, uint32_t *n, bool nonempty)
{
    size_t old = where_push(c, m->key, m->klen);
    int rc = CAIRN_OK;
    if (m->type != JD_ARR || (nonempty && m->n == 0)) {
        rc = cerr(c, CAIRN_EINVAL, "must be a %sarray of schemas", nonempty ? "non-empty " : "");
    } else {
        *out = jd_alloc(c->a, (m->n ? m->n : 1) * sizeof **out);
        *n = m->n;
        if (!*out)
            rc = oom();
        for (uint32_t i = 0; i < m->n && !rc; i++) {
            size_t o2 = where_push_idx(c, i);
            const jd_node *k = &m->u.kids[i];
            if (k->type != JD_OBJ && k->type != JD_TRUE && k->type != JD_FALSE)
                rc = cerr(c, CAIRN_EINVAL, "must be a schema (an object or a boolean)");
            else
                rc = compile(c, (jd_node *)k, &(*out)[i]);
            where_pop(c, o2);
        }
    }
    where_pop(c, old);
    return rc;
}

static int kw_err(comp *c, const jd_node *m, const char *what)
{
    size_t old = where_push(c, m->key, m->klen);
    int rc = cerr(c, CAIRN_EINVAL, "must be %s", what);
    where_pop(c, old);
    return rc;
}

static int limit(comp *c, csch *s, const jd_node *m, int which)
{
    if (m->type != JD_NUM || !m->integral || m->d < 0)
        return kw_err(c, m, "a non-negative integer");
    s->limits |= 1u << which;
    s->lim[which] = m->is_int ? (uint64_t)m->i : UINT64_MAX;
    return CAIRN_OK;
}

/* ECMA-262 spells Unicode general categories long (\p{Letter},
 * \p{General_Category=Letter}, \p{gc=Lu}) and scripts as \p{Script=Greek};
 * PCRE2 wants \p{L}, \p{Lu}, \p{Greek}. */
static const char *const gc_names[][2] = {
    {"Letter", "L"}, {"Cased_Letter", "L&"}, {"Uppercase_Letter", "Lu"},
    {"Lowercase_Letter", "Ll"}, {"Titlecase_Letter", "Lt"}, {"Modifier_Letter", "Lm"},
    {"Other_Letter", "Lo"}, {"Mark", "M"}, {"Nonspacing_Mark", "Mn"}, {"Spacing_Mark", "Mc"},
    {"Enclosing_Mark", "Me"}, {"Number", "N"}, {"Decimal_Number", "Nd"}, {"digit", "Nd"},
    {"Letter_Number", "Nl"}, {"Other_Number", "No"}, {"Punctuation", "P"},
    {"punct", "P"}, {"Connector_Punctuation", "Pc"}, {"Dash_Punctuation", "Pd"},
    {"Open_Punctuation", "Ps"}, {"Close_Punctuation", "Pe"}, {"Initial_Punctuation", "Pi"},
    {"Final_Punctuation", "Pf"}, {"Other_Punctuation", "Po"}, {"Symbol", "S"},
    {"Math_Symbol", "Sm"}, {"Currency_Symbol", "Sc"}, {"Modifier_Symbol", "Sk"},
    {"Other_Symbol", "So"}, {"Separator", "Z"}, {"Space_Separator", "Zs"},
    {"Line_Separator", "Zl"}, {"Paragraph_Separator", "Zp"}, {"Other", "C"},
    {"Control", "Cc"}, {"cntrl", "Cc"}, {"Format", "Cf"}, {"Surrogate", "Cs"},
    {"Private_Use", "Co"}, {"Unassigned", "Cn"},
};

/* Copy pattern src (n bytes) to a NUL-terminated PCRE2 pattern in a. */
/* ECMA-262's \s: Unicode white space and line terminators, where PCRE2's
 * (without UCP) is ASCII only. Written with \uXXXX (PCRE2_ALT_BSUX). */
#define ECMA_SPACE                                                                        \
    "\\t\\n\\x0b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"

static char *ecma_to_pcre(jd_arena *a, const char *src, size_t n, size_t *outn)
{
    /* "\s" (2 bytes) becomes at most sizeof ECMA_SPACE + 2 bytes. */
    char *o = jd_alloc(a, n * (sizeof ECMA_SPACE / 2 + 2) + 1), *w = o;
    bool in_class = false;
    if (!o)
        return NULL;
    for (size_t i = 0; i < n;) {
        if (src[i] == '\\' && i + 1 < n &&
            (src[i + 1] == 's' || (src[i + 1] == 'S' && !in_class))) {
            /* \S inside a class has no short form: it keeps PCRE2's meaning. */
            const char *open = in_class ? "" : src[i + 1] == 's' ? "[" : "[^";
            size_t ol = strlen(open);
            memcpy(w, open, ol);
            w += ol;
            memcpy(w, ECMA_SPACE, sizeof ECMA_SPACE - 1);
            w += sizeof ECMA_SPACE - 1;
            if (!in_class)
                *w++ = ']';
            i += 2;
            continue;
        }
        if (src[i] == '[' && !in_class) {
            /* As PCRE2 reads it: a ']' first (after an optional '^') is
             * literal. */
            in_class = true;
            *w++ = src[i++];
            if (i < n && src[i] == '^')
                *w++ = src[i++];
            if (i < n && src[i] == ']')
                *w++ = src[i++];
            continue;
        }
        if (src[i] == ']' && in_class)
            in_class = false;
        if (src[i] == '\\' && i + 2 < n && (src[i + 1] == 'p' || src[i + 1] == 'P') &&
            src[i + 2] == '{') {
            const char *name = src + i + 3, *end = memchr(name, '}', n - (i + 3));
            if (end) {
                size_t nl = (size_t)(end - name);
                const char *eq = memchr(name, '=', nl);
                if (eq) { /* General_Category=X, gc=X, Script=X, sc=X, ... */
                    nl -= (size_t)(eq + 1 - name);
                    name = eq + 1;
                }
                const char *to = NULL;
                for (size_t k = 0; k < sizeof gc_names / sizeof *gc_names && !to; k++)
                    if (strlen(gc_names[k][0]) == nl && !memcmp(gc_names[k][0], name, nl))
                        to = gc_names[k][1];
                *w++ = '\\';
                *w++ = src[i + 1];
                *w++ = '{';
                size_t tl = to ? strlen(to) : nl;
                memcpy(w, to ? to : name, tl);
                w += tl;
                *w++ = '}';
                i = (size_t)(end + 1 - src);
                continue;
            }
        }
        if (src[i] == '\\' && i + 1 < n) {
            *w++ = src[i++];
        }
        *w++ = src[i++];
    }
    *w = '\0';
    *outn = (size_t)(w - o);
    return o;
}

static int regex(comp *c, const jd_node *src, pcre2_code **out)
{
    int err;
    PCRE2_SIZE off;
    /* ECMA-262-ish: "$" only at the very end; \uXXXX escapes; a reference
     * to a group that did not take part matches the empty string; ECMA's \s
     * and long property names (ecma_to_pcre). */
    size_t pn;
    char *pat = ecma_to_pcre(c->a, src->u.s, src->n, &pn);
    if (!pat)
        return oom();
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, pn,
                                   PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX |
                                       PCRE2_MATCH_UNSET_BACKREF, &err,
                                   &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return cerr(c, CAIRN_EINVAL, "bad regular expression '%.*s' at offset %zu: %s",
                    (int)(src->n > 200 ? 200 : src->n), src->u.s, (size_t)off, (char *)msg);
    }
    cairn_schema *sc = c->sc;
    if (sc->nregex == sc->capregex) {
        size_t cap = sc->capregex ? sc->capregex * 2 : 8;
        pcre2_code **r = realloc(sc->regexes, cap * sizeof *r);
        if (!r) {
            pcre2_code_free(re);
            return oom();
        }
        sc->regexes = r;
        sc->capregex = cap;
    }
    sc->regexes[sc->nregex++] = re;
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* best effort: interpreted otherwise */
    *out = re;
    return CAIRN_OK;
}

static int type_bit(const jd_node *t)
{
    static const struct {
        const char *n;
        int bit;
    } names[] = {{"null", T_NULL},  {"boolean", T_BOOL}, {"object", T_OBJ}, {"array", T_ARR},
                 {"number", T_NUM}, {"string", T_STR},   {"integer", T_INT}};
    if (t->type != JD_STR)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i].n) == t->n && !memcmp(names[i].n, t->u.s, t->n))
            return names[i].bit;
    return 0;
}

/* The keywords of the validation vocabulary (ignored when a metaschema
 * leaves that vocabulary out). */
static bool validation_keyword(const jd_node *m)
{
    static const char *const kws[] = {
        "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
        "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
        "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties",
        "required", "dependentRequired"};
    for (size_t i = 0; i < sizeof kws / sizeof *kws; i++)
        if (key_is(m, kws[i]))
            return true;
    return false;
}

static int ref_keyword(comp *c, csch *s, const jd_node *m, const char *base, bool dynamic)
{
    if (m->type != JD_STR)
        return kw_err(c, m, "a URI reference (a string)");
    char *ref = str0(c, m);
    const char *abs = ref ? uri_resolve(c->a, base, ref) : NULL;
    if (!abs)
        return oom();
    size_t old = where_push(c, m->key, m->klen);
    const char *frag = strchr(ref, '#');
    int rc = queue(c, dynamic ? &s->dynref : &s->ref, abs, dynamic ? "$dynamicRef" : "$ref",
                   dynamic && frag && frag[1] && frag[1] != '/' ? frag + 1 : NULL, s, NULL);
    where_pop(c, old);
    return rc;
}

static int compile_object(comp *c, jd_node *n, csch *s, const sinfo *si)
{
    int rc = CAIRN_OK;
    for (uint32_t i = 0; i < n->n && !rc; i++) {
        const jd_node *m = &n->u.kids[i];
        if (c->no_validation && validation_keyword(m))
            continue;
        if (key_is(m, "type")) {
            if (m->type == JD_ARR) {
                for (uint32_t k = 0; k < m->n && !rc; k++) {
                    int b = type_bit(&m->u.kids[k]);
                    if (!b)
                        rc = kw_err(c, m, "a type name or an array of type names");
                    s->types |= (uint8_t)b;
                }
            } else {
                int b = type_bit(m);
                if (!b)
                    rc = kw_err(c, m, "a type name or an array of type names");
                s->types = (uint8_t)b;
            }
        } else if (key_is(m, "properties") || key_is(m, "patternProperties")) {
            bool pat = m->key[0] == 'p' && m->klen > 10;
            if (m->type != JD_OBJ) {
                rc = kw_err(c, m, "an object of schemas");
                break;
            }
            size_t old = where_push(c, m->key, m->klen);
            if (pat) {
                s->patterns = jd_alloc(c->a, (m->n ? m->n : 1) * sizeof *s->patterns);
                s->npatterns = m->n;
                if (!s->patterns)
                    rc = oom();
            } else {
                s->props = jd_alloc(c->a, (m->n ? m->n : 1) * sizeof *s->props);
                s->nprops = m->n;
                if (!s->props)
                    rc = oom();
            }
            for (uint32_t k = 0; k < m->n && !rc; k++) {
                const jd_node *p = &m->u.kids[k];
                if (pat) {
                    jd_node name = {.type = JD_STR, .n = p->klen, .u.s = p->key};
                    size_t o2 = where_push(c, p->key, p->klen);
                    rc = regex(c, &name, &s->patterns[k].re);
                    where_pop(c, o2);
                    s->patterns[k].src = p->key;
                    if (!rc)
                        rc = sub(c, p, &s->patterns[k].s);
                } else {
                    s->props[k].name = p->key;
                    s->props[k].len = p->klen;
                    rc = sub(c, p, &s->props[k].s);
                }
            }
            where_pop(c, old);
        } else if (key_is(m, "additionalProperties")) {
            rc = sub(c, m, &s->addl);
        } else if (key_is(m, "items")) {
            rc = sub(c, m, &s->items);
        } else if (key_is(m, "prefixItems")) {
            rc = sub_array(c, m, &s->prefix, &s->nprefix, true);
        } else if (key_is(m, "contains")) {
            rc = sub(c, m, &s->contains);
        } else if (key_is(m, "propertyNames")) {
            rc = sub(c, m, &s->propnames);
        } else if (key_is(m, "unevaluatedProperties")) {
            rc = sub(c, m, &s->uneval_p);
            s->has_uneval = 1;
            c->sc->annotations = true;
        } else if (key_is(m, "unevaluatedItems")) {
            rc = sub(c, m, &s->uneval_i);
            s->has_uneval = 1;
            c->sc->annotations = true;
        } else if (key_is(m, "not")) {
            rc = sub(c, m, &s->not_);
        } else if (key_is(m, "if")) {
            rc = sub(c, m, &s->if_);
        } else if (key_is(m, "then")) {
            rc = sub(c, m, &s->then_);
        } else if (key_is(m, "else")) {
            rc = sub(c, m, &s->else_);
        } else if (key_is(m, "allOf")) {
            rc = sub_array(c, m, &s->allof, &s->nallof, true);
        } else if (key_is(m, "anyOf")) {
            rc = sub_array(c, m, &s->anyof, &s->nanyof, true);
        } else if (key_is(m, "oneOf")) {
            rc = sub_array(c, m, &s->oneof, &s->noneof, true);
        } else if (key_is(m, "$defs") || key_is(m, "definitions")) {
            /* Compiled now so that a bad definition is reported even when
             * nothing refers to it ("definitions" is Pydantic v1's name). */
            if (m->type != JD_OBJ) {
                if (m->key[0] == '$')
                    rc = kw_err(c, m, "an object of schemas");
                continue;
            }
            size_t old = where_push(c, m->key, m->klen);
            for (uint32_t k = 0; k < m->n && !rc; k++) {
                csch *unused;
                const jd_node *d = &m->u.kids[k];
                if (m->key[0] == '$' || d->type == JD_OBJ || d->type == JD_TRUE ||
                    d->type == JD_FALSE)
                    rc = sub(c, d, &unused);
            }
            where_pop(c, old);
        } else if (key_is(m, "dependentSchemas") || key_is(m, "dependentRequired")) {
            bool req = m->key[9] == 'R';
            if (m->type != JD_OBJ) {
                rc = kw_err(c, m, "an object");
                break;
            }
            cdep *d = jd_alloc(c->a, (m->n ? m->n : 1) * sizeof *d);
            if (!d)
                return oom();
            memset(d, 0, (m->n ? m->n : 1) * sizeof *d);
            if (req) {
                s->depreq = d;
                s->ndepreq = m->n;
            } else {
                s->depsch = d;
                s->ndepsch = m->n;
            }
            size_t old = where_push(c, m->key, m->klen);
            for (uint32_t k = 0; k < m->n && !rc; k++) {
                const jd_node *p = &m->u.kids[k];
                d[k].name = p->key;
                d[k].len = p->klen;
                if (!req) {
                    rc = sub(c, p, &d[k].s);
                    continue;
                }
                bool ok = p->type == JD_ARR;
                for (uint32_t j = 0; ok && j < p->n; j++)
                    ok = p->u.kids[j].type == JD_STR;
                if (!ok)
                    rc = kw_err(c, p, "an array of strings");
                d[k].names = p;
            }
            where_pop(c, old);
        } else if (key_is(m, "required")) {
            bool ok = m->type == JD_ARR;
            for (uint32_t k = 0; ok && k < m->n; k++)
                ok = m->u.kids[k].type == JD_STR;
            if (!ok) {
                rc = kw_err(c, m, "an array of strings");
                break;
            }
            s->required = jd_alloc(c->a, (m->n ? m->n : 1) * sizeof *s->required);
            if (!s->required)
                return oom();
            for (uint32_t k = 0; k < m->n; k++)
                s->required[k] = &m->u.kids[k];
            s->nrequired = m->n;
        } else if (key_is(m, "enum")) {
            if (m->type != JD_ARR)
                rc = kw_err(c, m, "an array");
            s->enumv = m;
        } else if (key_is(m, "const")) {
            s->constv = m;
        } else if (key_is(m, "default")) {
            s->dflt = m;
        } else if (key_is(m, "minimum") || key_is(m, "maximum") ||
                   key_is(m, "exclusiveMinimum") || key_is(m, "exclusiveMaximum") ||
                   key_is(m, "multipleOf")) {
            if (m->type != JD_NUM) {
                rc = kw_err(c, m, "a number");
                break;
            }
            if (key_is(m, "minimum"))
                s->minimum = m;
            else if (key_is(m, "maximum"))
                s->maximum = m;
            else if (key_is(m, "exclusiveMinimum"))
                s->exmin = m;
            else if (key_is(m, "exclusiveMaximum"))
                s->exmax = m;
            else if (m->d > 0 && isfinite(m->d))
                s->multiple_of = m;
            else
                rc = kw_err(c, m, "a number above 0");
        } else if (key_is(m, "minLength")) {
            rc = limit(c, s, m, L_MINLEN);
        } else if (key_is(m, "maxLength")) {
            rc = limit(c, s, m, L_MAXLEN);
        } else if (key_is(m, "minItems")) {
            rc = limit(c, s, m, L_MINITEMS);
        } else if (key_is(m, "maxItems")) {
            rc = limit(c, s, m, L_MAXITEMS);
        } else if (key_is(m, "minProperties")) {
            rc = limit(c, s, m, L_MINPROPS);
        } else if (key_is(m, "maxProperties")) {
            rc = limit(c, s, m, L_MAXPROPS);
        } else if (key_is(m, "minContains")) {
            rc = limit(c, s, m, L_MINCONT);
        } else if (key_is(m, "maxContains")) {
            rc = limit(c, s, m, L_MAXCONT);
        } else if (key_is(m, "uniqueItems")) {
            if (m->type != JD_TRUE && m->type != JD_FALSE)
                rc = kw_err(c, m, "a boolean");
            s->unique = m->type == JD_TRUE;
        } else if (key_is(m, "pattern")) {
            if (m->type != JD_STR) {
                rc = kw_err(c, m, "a string");
                break;
            }
            size_t old = where_push(c, m->key, m->klen);
            rc = regex(c, m, &s->pattern);
            where_pop(c, old);
            s->pattern_src = m->u.s;
            if (!rc && !(s->pattern_src = str0(c, m)))
                rc = oom();
        } else if (key_is(m, "format")) {
            if (m->type != JD_STR)
                rc = kw_err(c, m, "a string");
            else if (c->sc->flags & CAIRN_SCHEMA_FORMAT_ASSERT)
                s->format = (uint8_t)cairn__format_id(m->u.s, m->n);
        } else if (key_is(m, "$ref")) {
            rc = ref_keyword(c, s, m, si->base, false);
        } else if (key_is(m, "$dynamicRef")) {
            rc = ref_keyword(c, s, m, si->base, true);
        } else if (key_is(m, "$id") || key_is(m, "$anchor") || key_is(m, "$dynamicAnchor") ||
                   key_is(m, "$schema") || key_is(m, "$comment")) {
            if (m->type != JD_STR)
                rc = kw_err(c, m, "a string");
        }
        /* Anything else is an annotation or unknown: ignored. */
    }
    return rc;
}

static int compile(comp *c, jd_node *n, csch **out)
{
    sinfo *si = n->aux;
    if (!si)
        return cerr(c, CAIRN_EINVAL, "internal: a subschema was not registered");
    if (si->c) {
        *out = si->c;
        return CAIRN_OK;
    }
    csch *s = jd_alloc(c->a, sizeof *s);
    if (!s)
        return oom();
    memset(s, 0, sizeof *s);
    si->c = s;
    *out = s;
    s->res = si->res;
    if (n->type == JD_TRUE || n->type == JD_FALSE) {
        s->boolean = n->type == JD_TRUE ? 1 : 2;
        return CAIRN_OK;
    }
    /* A resource root brings its dynamic anchors into the dynamic scope:
     * compile them too (queued). */
    if (si->res && si->res->root == n)
        for (size_t k = 0; k < si->res->ndyn; k++)
            if (queue(c, &si->res->dyn[k].s, NULL, NULL, NULL, s, si->res->dyn[k].node))
                return oom();
    return compile_object(c, n, s, si);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)(ch | 0x20);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Percent-decode a URI fragment in place. */
static void pct_decode(char *s)
{
    char *o = s;
    for (; *s; s++) {
        int h, l;
        if (s[0] == '%' && (h = hexval(s[1])) >= 0 && (l = hexval(s[2])) >= 0) {
            *o++ = (char)(h << 4 | l);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

/* Follow JSON Pointer ptr (decoded) from node; NULL when it leads nowhere.
 * *base receives the base URI in force at the target. */
static jd_node *follow_pointer(jd_node *n, char *ptr, const char **base)
{
    while (*ptr) {
        if (*ptr != '/')
            return NULL;
        ptr++;
        char *end = strchr(ptr, '/');
        size_t len = end ? (size_t)(end - ptr) : strlen(ptr);
        /* ~1 -> /, ~0 -> ~ (in place) */
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
            if (ptr[i] == '~' && i + 1 < len && (ptr[i + 1] == '0' || ptr[i + 1] == '1')) {
                ptr[o++] = ptr[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                ptr[o++] = ptr[i];
            }
        }
        if (n->type == JD_OBJ) {
            n = (jd_node *)jd_get(n, ptr, o);
        } else if (n->type == JD_ARR) {
            char *e;
            if (!o || (o > 1 && ptr[0] == '0'))
                return NULL;
            ptr[o] = '\0';
            unsigned long idx = strtoul(ptr, &e, 10);
            if (*e || idx >= n->n)
                return NULL;
            n = &n->u.kids[idx];
        } else {
            return NULL;
        }
        if (!n)
            return NULL;
        if (n->aux)
            *base = ((sinfo *)n->aux)->base;
        ptr += len;
        if (end)
            *ptr = '/';
    }
    return n;
}

/* Load the document at uri (no fragment) through the loader. */
static int load_remote(comp *c, const char *doc_uri, jd_node **out)
{
    if (!c->opt || !c->opt->loader)
        return cerr(c, CAIRN_EUNSUPPORTED, "$ref to another document '%s' and no loader",
                    doc_uri);
    if (++c->nremote > REMOTE_MAX)
        return cerr(c, CAIRN_EINVAL, "more than %d remote documents", REMOTE_MAX);
    char *json = NULL;
    size_t len = 0;
    int rc = c->opt->loader(c->opt->loader_ctx, doc_uri, &json, &len);
    if (rc != CAIRN_OK || !json) {
        free(json);
        return cerr(c, rc == CAIRN_ENOMEM ? CAIRN_ENOMEM : CAIRN_EINVAL,
                    "cannot load '%s' (%s)", doc_uri, cairn_strerror(rc ? rc : CAIRN_ENOTFOUND));
    }
    char *copy = jd_alloc(c->a, len + 1);
    if (!copy) {
        free(json);
        return oom();
    }
    memcpy(copy, json, len);
    free(json);
    jd_node *root;
    rc = jd_parse(c->a, copy, len, &root);
    if (rc)
        return rc == CAIRN_EFORMAT ? cerr(c, CAIRN_EINVAL, "'%s' is not JSON: %s", doc_uri,
                                          cairn_errmsg())
                                   : rc;
    if (root->type != JD_OBJ && root->type != JD_TRUE && root->type != JD_FALSE)
        return cerr(c, CAIRN_EINVAL, "'%s' is not a schema", doc_uri);
    if ((rc = add_document(c, root, doc_uri)))
        return rc;
    *out = root;
    return CAIRN_OK;
}

/* Resolve a queued reference to its target node. */
static int resolve(comp *c, const pending *p, jd_node **out)
{
    char *uri = jd_strndup(c->a, p->uri, strlen(p->uri));
    if (!uri)
        return oom();
    char *hash = strchr(uri, '#');
    char *frag = hash ? hash + 1 : NULL;
    if (hash)
        *hash = '\0';
    jd_node *doc = find_uri(c, uri);
    int rc;
    if (!doc && (rc = load_remote(c, uri, &doc)))
        return rc;
    if (!frag || !*frag) {
        *out = doc;
        return CAIRN_OK;
    }
    pct_decode(frag);
    if (frag[0] == '/') {
        const char *base = ((sinfo *)doc->aux)->base;
        jd_node *t = follow_pointer(doc, frag, &base);
        if (!t)
            return cerr(c, CAIRN_EINVAL, "%s '%s' points nowhere", p->kw, p->uri);
        if (t->type != JD_OBJ && t->type != JD_TRUE && t->type != JD_FALSE)
            return cerr(c, CAIRN_EINVAL, "%s '%s' points at a %s, not a schema", p->kw,
                        p->uri, jd_type_name(t));
        if (!t->aux) { /* under a keyword the first pass did not know */
            if ((rc = walk(c, t, base, ((sinfo *)doc->aux)->res)))
                return rc;
        }
        *out = t;
        return CAIRN_OK;
    }
    *hash = '#';
    jd_node *t = find_uri(c, uri);
    if (!t)
        return cerr(c, CAIRN_EINVAL, "%s '%s': no such anchor", p->kw, p->uri);
    *out = t;
    return CAIRN_OK;
}

static int run_queue(comp *c)
{
    while (c->todo) {
        pending *p = c->todo;
        c->todo = p->next;
        memcpy(c->where, p->where, strlen(p->where) + 1);
        c->wlen = strlen(p->where);
        jd_node *t = p->node;
        int rc;
        if (!t && (rc = resolve(c, p, &t)))
            return rc;
        if ((rc = compile(c, t, p->slot)))
            return rc;
        /* $dynamicRef is dynamic only when its static target carries a
         * $dynamicAnchor of the same name (the "bookend"). */
        if (p->dyn && t->type == JD_OBJ) {
            const jd_node *da = JD_GET(t, "$dynamicAnchor");
            if (da && da->type == JD_STR && strlen(p->dyn) == da->n &&
                !memcmp(p->dyn, da->u.s, da->n))
                p->owner->dyn_name = p->dyn;
        }
    }
    return CAIRN_OK;
}

/* A $schema naming a metaschema other than draft 2020-12's: read its
 * $vocabulary (through the loader) to see whether validation keywords apply. */
static int read_vocabulary(comp *c, const jd_node *root)
{
    const jd_node *ms = root->type == JD_OBJ ? JD_GET(root, "$schema") : NULL;
    if (!ms || ms->type != JD_STR || !c->opt || !c->opt->loader)
        return CAIRN_OK;
    char *u = str0(c, ms);
    if (!u)
        return oom();
    char *hash = strchr(u, '#');
    if (hash)
        *hash = '\0';
    /* The drafts' own metaschemas are not fetched (no network, and their
     * vocabularies are the default ones). */
    if (!strcmp(u, DRAFT_2020_12) || !strncmp(u, "http://json-schema.org/", 23) ||
        !strncmp(u, "https://json-schema.org/", 24))
        return CAIRN_OK;
    jd_node *doc = find_uri(c, u);
    int rc;
    if (!doc && (rc = load_remote(c, u, &doc))) {
        /* A metaschema the loader does not have: all vocabularies apply. */
        if (rc == CAIRN_ENOMEM)
            return rc;
        cairn__err_clear();
        return CAIRN_OK;
    }
    const jd_node *voc = JD_GET(doc, "$vocabulary");
    if (voc && voc->type == JD_OBJ && !JD_GET(voc, VOCAB_VALIDATION))
        c->no_validation = true;
    return CAIRN_OK;
}

CAIRN_API void cairn_schema_free(cairn_schema *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->nregex; i++)
        pcre2_code_free(sc->regexes[i]);
    pcre2_match_context_free(sc->mctx);
    free(sc->regexes);
    jd_arena_free(&sc->arena);
    free(sc);
}

CAIRN_API int cairn_schema_compile(const void *json, size_t len, const cairn_schema_opts *opt,
                                   cairn_schema **out)
{
    if (!out || (!json && len))
        return cairn__err(CAIRN_EINVAL, "cairn_schema_compile: NULL argument");
    *out = NULL;
    cairn_schema_opts o_;
    int orc = CAIRN__OPTS_READ(&o_, opt, "schema options");
    if (orc)
        return cairn__err_prefix(orc, "cairn_schema_compile");
    opt = opt ? &o_ : NULL;
    cairn_schema *sc = calloc(1, sizeof *sc);
    if (!sc)
        return oom();
    jd_arena_init(&sc->arena, NULL, 0);
    sc->flags = opt ? opt->flags : 0;
    sc->max_errors = opt && opt->max_errors ? opt->max_errors : MAX_ERRORS_DEFAULT;
    if (!(sc->mctx = pcre2_match_context_create(NULL))) {
        free(sc);
        return oom();
    }
    pcre2_set_match_limit(sc->mctx, MATCH_LIMIT);
    comp c = {.sc = sc, .a = &sc->arena, .opt = opt};
    c.where[0] = '\0';

    /* The text is copied: the tree points into it. */
    char *copy = jd_alloc(&sc->arena, len + 1);
    jd_node *root = NULL;
    int rc = copy ? CAIRN_OK : oom();
    if (!rc) {
        if (len)
            memcpy(copy, json, len);
        rc = jd_parse(&sc->arena, copy, len, &root);
        if (rc == CAIRN_EFORMAT)
            cairn__err_prefix(rc, "schema");
    }
    if (!rc && root->type != JD_OBJ && root->type != JD_TRUE && root->type != JD_FALSE)
        rc = cerr(&c, CAIRN_EINVAL, "a schema is an object or a boolean, not %s",
                  jd_type_name(root));
    if (!rc)
        rc = add_document(&c, root, "cairn:schema");
    if (!rc)
        rc = read_vocabulary(&c, root);
    if (!rc)
        rc = compile(&c, root, &sc->root);
    if (!rc)
        rc = run_queue(&c);
    if (rc) {
        cairn_schema_free(sc);
        return rc;
    }
    *out = sc;
    return CAIRN_OK;
}

/* ---- validation ---- */

typedef struct {
    const jd_node *m; /* an object member (its key), or NULL: an array index */
    uint32_t idx;
} seg;

typedef struct {
    const cairn_schema *sc;
    jd_arena *scratch;
    cairn_verrors *errs;
    unsigned nerr;
    bool truncated, stop, oom;
    bool broken; /* the evaluation depth limit was hit */
    int quiet; /* > 0: inside anyOf/oneOf/not/if/contains: record nothing */
    int depth;
    seg path[JD_DEPTH_MAX + 2];
    int plen;
    const res *dyn[DYN_SCOPE_MAX];
    int ndyn;
    pcre2_match_data *md;
} vctx;

static size_t path_string(const vctx *v, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < v->plen && o + 16 < cap; i++) {
        buf[o++] = '/';
        if (!v->path[i].m) {
            o += (size_t)snprintf(buf + o, cap - o, "%u", v->path[i].idx);
            continue;
        }
        const jd_node *m = v->path[i].m;
        for (uint32_t k = 0; k < m->klen && o + 3 < cap; k++) {
            char ch = m->key[k];
            if (ch == '~' || ch == '/') {
                buf[o++] = '~';
                buf[o++] = ch == '~' ? '0' : '1';
            } else {
                buf[o++] = ch;
            }
        }
        buf[o] = '\0';
    }
    return o;
}

static void fail(vctx *v, const char *fmt, ...) CAIRN__FMT(2, 3);
static void fail(vctx *v, const char *fmt, ...)
{
    if (v->quiet || v->stop)
        return;
    if (v->nerr >= v->sc->max_errors) {
        v->truncated = true;
        v->stop = true;
        return;
    }
    if (!v->errs) {
        v->errs = calloc(1, sizeof *v->errs);
        if (!v->errs) {
            v->oom = v->stop = true;
            return;
        }
    }
    cairn_verrors *e = v->errs;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        struct verr *n = realloc(e->e, cap * sizeof *n);
        if (!n) {
            v->oom = v->stop = true;
            return;
        }
        e->e = n;
        e->cap = cap;
    }
    char path[4096], rule[1024];
    size_t pl = path_string(v, path, sizeof path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rule, sizeof rule, fmt, ap);
    va_end(ap);
    char *p = malloc(pl + 1), *r = strdup(rule);
    if (!p || !r) {
        free(p);
        free(r);
        v->oom = v->stop = true;
        return;
    }
    memcpy(p, path, pl + 1);
    e->e[e->n].path = p;
    e->e[e->n].rule = r;
    e->n++;
    v->nerr++;
}

/* How much of a string/number to quote in a message. */
#define SHOWN(n) (int)((n) > 64 ? 64 : (n))

static int type_of(const jd_node *x)
{
    switch (x->type) {
    case JD_NULL: return T_NULL;
    case JD_TRUE:
    case JD_FALSE: return T_BOOL;
    case JD_NUM: return x->integral ? T_NUM | T_INT : T_NUM;
    case JD_STR: return T_STR;
    case JD_ARR: return T_ARR;
    default: return T_OBJ;
    }
}

static void type_names(int types, char *buf, size_t cap)
{
    /* Most specific first and null last: "expected integer or null". */
    static const struct {
        int bit;
        const char *name;
    } order[] = {{T_INT, "integer"}, {T_NUM, "number"}, {T_STR, "string"},
                 {T_BOOL, "boolean"}, {T_OBJ, "object"}, {T_ARR, "array"},
                 {T_NULL, "null"}};
    if (types & T_NUM)
        types &= ~T_INT; /* every integer is a number */
    size_t o = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < sizeof order / sizeof *order && o < cap; k++)
        if (types & order[k].bit)
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", o ? " or " : "", order[k].name);
}

/* Compare two numbers: <0, 0, >0. */
static int numcmp(const jd_node *a, const jd_node *b)
{
    if (a->is_int && b->is_int)
        return (a->i > b->i) - (a->i < b->i);
    return (a->d > b->d) - (a->d < b->d);
}

static bool multiple(const jd_node *x, const jd_node *m)
{
    if (x->is_int && m->is_int)
        return x->i % m->i == 0;
    if (!isfinite(x->d))
        return false;
    double q = x->d / m->d;
    if (!isfinite(q))
        return false;
    return fabs(q - nearbyint(q)) <= 1e-9 * (fabs(q) > 1 ? fabs(q) : 1);
}

/* Code points of valid UTF-8: the bytes that are not continuation bytes
 * (10xxxxxx), counted eight at a time. */
static size_t code_points(const char *s, size_t n)
{
    size_t k = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        /* A continuation byte has bit 7 set and bit 6 clear. */
        uint64_t cont = w & ~(w << 1) & 0x8080808080808080ull;
        /* One per continuation byte, summed by the multiply (no popcnt
         * instruction needed). */
        k += 8 - (size_t)(((cont >> 7) * 0x0101010101010101ull) >> 56);
    }
    for (; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* 1 match, 0 no match, -1 the match could not finish (the match limit,
 * or out of memory). */
static int re_match(vctx *v, pcre2_code *re, const char *s, size_t n)
{
    if (!v->md && !(v->md = pcre2_match_data_create(1, NULL))) {
        v->oom = v->stop = true;
        return -1;
    }
    int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, v->md, v->sc->mctx);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

typedef uint64_t bits;

static bits *bits_new(vctx *v, size_t n)
{
    size_t w = (n + 63) / 64;
    bits *b = jd_alloc(v->scratch, (w ? w : 1) * sizeof *b);
    if (!b) {
        v->oom = v->stop = true;
        return NULL;
    }
    memset(b, 0, (w ? w : 1) * sizeof *b);
    return b;
}

#define BIT_SET(b, i) ((b)[(i) / 64] |= 1ull << ((i) % 64))
#define BIT_GET(b, i) (((b)[(i) / 64] >> ((i) % 64)) & 1u)

static void bits_or(bits *dst, const bits *src, size_t n)
{
    for (size_t i = 0; i < (n + 63) / 64; i++)
        dst[i] |= src[i];
}

static bool val(vctx *v, const csch *s, const jd_node *x, bits *ev);

static bool value_fits(const csch *s, const jd_node *x)
{
    if (s->constv && !jd_equal(s->constv, x))
        return false;
    if (s->enumv && s->enumv->n == 1 && !jd_equal(&s->enumv->u.kids[0], x))
        return false;
    return true;
}

/* Does a quick look rule this branch out? Its type, its const, and for
 * objects a property fixed by const or a one-value enum that the value
 * holds otherwise (the tag of a Pydantic discriminated union), all through
 * $ref chains. */
static bool type_fits(const csch *s, const jd_node *x)
{
    for (int hops = 0; s && hops < 16; hops++, s = s->ref) {
        if (s->boolean == 2)
            return false;
        if (s->types && !(s->types & type_of(x)))
            return false;
        if (!value_fits(s, x))
            return false;
        for (uint32_t p = 0; x->type == JD_OBJ && p < s->nprops; p++) {
            const csch *ps = s->props[p].s;
            const jd_node *m = jd_get(x, s->props[p].name, s->props[p].len);
            if (m && ps && !ps->boolean && !value_fits(ps, m))
                return false;
        }
    }
    return true;
}

/* The types a branch allows ("type" through its $ref chain), 0 if any. */
static int branch_types(const csch *s)
{
    for (int hops = 0; s && hops < 16; hops++, s = s->ref)
        if (s->types)
            return s->types;
    return 0;
}

/* No branch of an anyOf / oneOf holds: say why as precisely as can be.
 * When exactly one branch fits the value (type_fits), its own errors; when
 * every branch names types and none is the value's, "expected A or B";
 * else one summary. */
static void no_branch(vctx *v, csch *const *br, uint32_t n, const jd_node *x, const char *kw)
{
    if (v->quiet)
        return; /* nothing would be recorded */
    uint32_t fits = 0, which = 0;
    int types = 0;
    bool typed = true;
    for (uint32_t i = 0; i < n; i++) {
        if (type_fits(br[i], x))
            fits++, which = i;
        int t = branch_types(br[i]);
        typed = typed && t;
        types |= t;
    }
    if (fits == 1) {
        val(v, br[which], x, NULL);
    } else if (fits == 0 && typed && !(types & type_of(x))) {
        char want[96];
        type_names(types, want, sizeof want);
        fail(v, "expected %s, got %s", want, jd_type_name(x));
    } else {
        fail(v, "not valid against any schema of %s", kw);
    }
}

static bool val_quiet(vctx *v, const csch *s, const jd_node *x, bits *ev)
{
    v->quiet++;
    bool ok = val(v, s, x, ev);
    v->quiet--;
    return ok;
}

#define FAILED()                                                                           \
    do {                                                                                   \
        ok = false;                                                                        \
        if (v->quiet || v->stop)                                                           \
            goto out;                                                                      \
    } while (0)

static bool val_object(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    bool ok = true;
    uint32_t n = x->n;
    if ((s->limits & 1u << L_MINPROPS) && n < s->lim[L_MINPROPS]) {
        fail(v, "object has %u properties, fewer than minProperties %llu", n,
             (unsigned long long)s->lim[L_MINPROPS]);
        FAILED();
    }
    if ((s->limits & 1u << L_MAXPROPS) && n > s->lim[L_MAXPROPS]) {
        fail(v, "object has %u properties, more than maxProperties %llu", n,
             (unsigned long long)s->lim[L_MAXPROPS]);
        FAILED();
    }
    for (uint32_t r = 0; r < s->nrequired; r++) {
        const jd_node *name = s->required[r];
        if (!jd_get(x, name->u.s, name->n)) {
            fail(v, "required property '%.*s' is missing", SHOWN(name->n), name->u.s);
            FAILED();
        }
    }
    for (uint32_t d = 0; d < s->ndepreq; d++) {
        const cdep *dp = &s->depreq[d];
        if (!jd_get(x, dp->name, dp->len))
            continue;
        for (uint32_t k = 0; k < dp->names->n; k++) {
            const jd_node *name = &dp->names->u.kids[k];
            if (!jd_get(x, name->u.s, name->n)) {
                fail(v, "property '%.*s' is required when '%.*s' is present",
                     SHOWN(name->n), name->u.s, SHOWN(dp->len), dp->name);
                FAILED();
            }
        }
    }
    for (uint32_t d = 0; d < s->ndepsch; d++) {
        const cdep *dp = &s->depsch[d];
        if (jd_get(x, dp->name, dp->len) && !val(v, dp->s, x, loc))
            FAILED();
    }
    bool members = s->nprops || s->npatterns || s->addl || s->propnames;
    for (uint32_t k = 0; members && k < n; k++) {
        const jd_node *m = &x->u.kids[k];
        bool matched = false;
        v->path[v->plen++] = (seg){m, 0};
        if (s->propnames) {
            jd_node name = {.type = JD_STR, .n = m->klen, .u.s = m->key};
            if (!val_quiet(v, s->propnames, &name, NULL)) {
                fail(v, "property name '%.*s' is not valid against propertyNames",
                     SHOWN(m->klen), m->key);
                v->plen--;
                FAILED();
                v->plen++;
            }
        }
        for (uint32_t p = 0; p < s->nprops; p++) {
            const cprop *cp = &s->props[p];
            if (cp->len == m->klen && !memcmp(cp->name, m->key, m->klen)) {
                matched = true;
                if (!val(v, cp->s, m, NULL)) {
                    v->plen--;
                    FAILED();
                    v->plen++;
                }
                break;
            }
        }
        for (uint32_t p = 0; p < s->npatterns; p++) {
            int r = re_match(v, s->patterns[p].re, m->key, m->klen);
            if (r == 1) {
                matched = true;
                if (!val(v, s->patterns[p].s, m, NULL)) {
                    v->plen--;
                    FAILED();
                    v->plen++;
                }
            }
        }
        if (!matched && s->addl) {
            matched = true;
            if (s->addl->boolean == 2) {
                fail(v, "additional property '%.*s' is not allowed", SHOWN(m->klen), m->key);
                v->plen--;
                FAILED();
                v->plen++;
            } else if (!val(v, s->addl, m, NULL)) {
                v->plen--;
                FAILED();
                v->plen++;
            }
        }
        v->plen--;
        if (matched && loc)
            BIT_SET(loc, k);
    }
out:
    return ok;
}

static bool val_array(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    bool ok = true;
    uint32_t n = x->n;
    if ((s->limits & 1u << L_MINITEMS) && n < s->lim[L_MINITEMS]) {
        fail(v, "array has %u items, fewer than minItems %llu", n,
             (unsigned long long)s->lim[L_MINITEMS]);
        FAILED();
    }
    if ((s->limits & 1u << L_MAXITEMS) && n > s->lim[L_MAXITEMS]) {
        fail(v, "array has %u items, more than maxItems %llu", n,
             (unsigned long long)s->lim[L_MAXITEMS]);
        FAILED();
    }
    if (s->unique) {
        for (uint32_t i = 1; i < n; i++)
            for (uint32_t j = 0; j < i; j++)
                if (jd_equal(&x->u.kids[i], &x->u.kids[j])) {
                    fail(v, "items %u and %u are equal (uniqueItems)", j, i);
                    FAILED();
                    i = n;
                    break;
                }
    }
    for (uint32_t i = 0; i < n && (i < s->nprefix || s->items); i++) {
        const csch *is = i < s->nprefix ? s->prefix[i] : s->items;
        v->path[v->plen++] = (seg){NULL, i};
        bool good = val(v, is, &x->u.kids[i], NULL);
        v->plen--;
        if (loc)
            BIT_SET(loc, i);
        if (!good)
            FAILED();
    }
    if (s->contains) {
        uint64_t matches = 0;
        for (uint32_t i = 0; i < n; i++)
            if (val_quiet(v, s->contains, &x->u.kids[i], NULL)) {
                matches++;
                if (loc)
                    BIT_SET(loc, i);
            }
        uint64_t min = s->limits & 1u << L_MINCONT ? s->lim[L_MINCONT] : 1;
        if (matches < min) {
            if (min == 1)
                fail(v, "no item matches the contains schema");
            else
                fail(v, "%llu items match the contains schema, fewer than minContains %llu",
                     (unsigned long long)matches, (unsigned long long)min);
            FAILED();
        }
        if ((s->limits & 1u << L_MAXCONT) && matches > s->lim[L_MAXCONT]) {
            fail(v, "%llu items match the contains schema, more than maxContains %llu",
                 (unsigned long long)matches, (unsigned long long)s->lim[L_MAXCONT]);
            FAILED();
        }
    }
out:
    return ok;
}

static bool val_scalar(vctx *v, const csch *s, const jd_node *x)
{
    bool ok = true;
    if (x->type == JD_NUM) {
        if (s->minimum && numcmp(x, s->minimum) < 0) {
            fail(v, "value %.*s is below the minimum %.*s", SHOWN(x->n), x->u.s,
                 SHOWN(s->minimum->n), s->minimum->u.s);
            FAILED();
        }
        if (s->maximum && numcmp(x, s->maximum) > 0) {
            fail(v, "value %.*s is above the maximum %.*s", SHOWN(x->n), x->u.s,
                 SHOWN(s->maximum->n), s->maximum->u.s);
            FAILED();
        }
        if (s->exmin && numcmp(x, s->exmin) <= 0) {
            fail(v, "value %.*s is not above the exclusive minimum %.*s", SHOWN(x->n), x->u.s,
                 SHOWN(s->exmin->n), s->exmin->u.s);
            FAILED();
        }
        if (s->exmax && numcmp(x, s->exmax) >= 0) {
            fail(v, "value %.*s is not below the exclusive maximum %.*s", SHOWN(x->n), x->u.s,
                 SHOWN(s->exmax->n), s->exmax->u.s);
            FAILED();
        }
        if (s->multiple_of && !multiple(x, s->multiple_of)) {
            fail(v, "value %.*s is not a multiple of %.*s", SHOWN(x->n), x->u.s,
                 SHOWN(s->multiple_of->n), s->multiple_of->u.s);
            FAILED();
        }
    } else if (x->type == JD_STR) {
        if (s->limits & (1u << L_MINLEN | 1u << L_MAXLEN)) {
            size_t cp = code_points(x->u.s, x->n);
            if ((s->limits & 1u << L_MINLEN) && cp < s->lim[L_MINLEN]) {
                fail(v, "string of %zu characters is shorter than minLength %llu", cp,
                     (unsigned long long)s->lim[L_MINLEN]);
                FAILED();
            }
            if ((s->limits & 1u << L_MAXLEN) && cp > s->lim[L_MAXLEN]) {
                fail(v, "string of %zu characters is longer than maxLength %llu", cp,
                     (unsigned long long)s->lim[L_MAXLEN]);
                FAILED();
            }
        }
        if (s->pattern) {
            int r = x->bad_utf8 ? -1 : re_match(v, s->pattern, x->u.s, x->n);
            if (r == 0) {
                fail(v, "does not match pattern '%s'", s->pattern_src);
                FAILED();
            } else if (r < 0) {
                fail(v, "cannot match pattern '%s' (%s)", s->pattern_src,
                     x->bad_utf8 ? "the string holds a lone surrogate"
                                 : "the regex backtracking limit was reached");
                FAILED();
            }
        }
        if (s->format && (x->bad_utf8 || !cairn__format_check(s->format, x->u.s, x->n))) {
            fail(v, "is not a valid %s", cairn__format_name(s->format));
            FAILED();
        }
    }
out:
    return ok;
}

/* The schema $dynamicRef leads to in the current dynamic scope. */
static const csch *dyn_target(const vctx *v, const csch *s)
{
    if (!s->dyn_name)
        return s->dynref;
    for (int i = 0; i < v->ndyn; i++) {
        const res *r = v->dyn[i];
        for (size_t k = 0; k < r->ndyn; k++)
            if (!strcmp(r->dyn[k].name, s->dyn_name) && r->dyn[k].s)
                return r->dyn[k].s;
    }
    return s->dynref;
}

static bool val(vctx *v, const csch *s, const jd_node *x, bits *ev)
{
    if (s->boolean == 1)
        return true;
    if (s->boolean == 2) {
        fail(v, "no value is allowed here (false schema)");
        return false;
    }
    if (v->depth >= EVAL_DEPTH_MAX) {
        /* Reported even inside anyOf/not, and the document is then invalid
         * whatever the branches around say: the result would be arbitrary. */
        int quiet = v->quiet;
        v->quiet = 0;
        if (!v->broken)
            fail(v, "schema evaluation deeper than %d (a $ref loop?)", EVAL_DEPTH_MAX);
        v->quiet = quiet;
        v->broken = v->stop = true;
        return false;
    }
    v->depth++;
    bool pushed = false;
    if (s->res && (v->ndyn == 0 || v->dyn[v->ndyn - 1] != s->res) && v->ndyn < DYN_SCOPE_MAX) {
        v->dyn[v->ndyn++] = s->res;
        pushed = true;
    }
    bool ok = true;
    bool container = x->type == JD_OBJ || x->type == JD_ARR;
    bits *loc = NULL;
    if (container && (ev || s->has_uneval) && !(loc = bits_new(v, x->n)))
        FAILED();

    if (s->types && !(s->types & type_of(x))) {
        char want[96];
        type_names(s->types, want, sizeof want);
        fail(v, "expected %s, got %s", want, jd_type_name(x));
        FAILED();
    }
    if (s->constv && !jd_equal(s->constv, x)) {
        fail(v, "value does not equal the const value");
        FAILED();
    }
    if (s->enumv) {
        bool found = false;
        for (uint32_t i = 0; i < s->enumv->n && !found; i++)
            found = jd_equal(&s->enumv->u.kids[i], x);
        if (!found) {
            fail(v, "value is not one of the %u enum values", s->enumv->n);
            FAILED();
        }
    }
    if (x->type == JD_OBJ) {
        if (!val_object(v, s, x, loc))
            FAILED();
    } else if (x->type == JD_ARR) {
        if (!val_array(v, s, x, loc))
            FAILED();
    } else if (!val_scalar(v, s, x)) {
        FAILED();
    }
    if (s->ref && !val(v, s->ref, x, loc))
        FAILED();
    if (s->dynref && !val(v, dyn_target(v, s), x, loc))
        FAILED();
    for (uint32_t i = 0; i < s->nallof; i++)
        if (!val(v, s->allof[i], x, loc))
            FAILED();
    if (s->nanyof) {
        bool any = false;
        for (uint32_t i = 0; i < s->nanyof && !(any && !loc); i++) {
            bits *t = loc ? bits_new(v, x->n) : NULL;
            if (val_quiet(v, s->anyof[i], x, t)) {
                any = true;
                if (t)
                    bits_or(loc, t, x->n);
            }
        }
        if (!any) {
            no_branch(v, s->anyof, s->nanyof, x, "anyOf");
            FAILED();
        }
    }
    if (s->noneof) {
        uint32_t good = 0, first = 0, second = 0;
        for (uint32_t i = 0; i < s->noneof && good < 2; i++) {
            bits *t = loc ? bits_new(v, x->n) : NULL;
            if (val_quiet(v, s->oneof[i], x, t)) {
                if (good++)
                    second = i;
                else
                    first = i;
                if (t)
                    bits_or(loc, t, x->n);
            }
        }
        if (good == 0) {
            no_branch(v, s->oneof, s->noneof, x, "oneOf");
            FAILED();
        } else if (good > 1) {
            fail(v, "valid against more than one schema of oneOf (%u and %u)", first, second);
            FAILED();
        }
    }
    if (s->not_ && val_quiet(v, s->not_, x, NULL)) {
        fail(v, "must not be valid against the schema of not");
        FAILED();
    }
    if (s->if_) {
        bits *t = loc ? bits_new(v, x->n) : NULL;
        if (val_quiet(v, s->if_, x, t)) {
            if (t)
                bits_or(loc, t, x->n);
            if (s->then_ && !val(v, s->then_, x, loc))
                FAILED();
        } else if (s->else_ && !val(v, s->else_, x, loc)) {
            FAILED();
        }
    }
    /* Last: what the keywords above left unevaluated. */
    if (s->uneval_p && x->type == JD_OBJ && loc) {
        for (uint32_t k = 0; k < x->n; k++) {
            if (BIT_GET(loc, k))
                continue;
            const jd_node *m = &x->u.kids[k];
            v->path[v->plen++] = (seg){m, 0};
            bool good = true;
            if (s->uneval_p->boolean == 2) {
                fail(v, "unevaluated property '%.*s' is not allowed", SHOWN(m->klen), m->key);
                good = false;
            } else {
                good = val(v, s->uneval_p, m, NULL);
            }
            v->plen--;
            BIT_SET(loc, k);
            if (!good)
                FAILED();
        }
    }
    if (s->uneval_i && x->type == JD_ARR && loc) {
        for (uint32_t k = 0; k < x->n; k++) {
            if (BIT_GET(loc, k))
                continue;
            v->path[v->plen++] = (seg){NULL, k};
            bool good = val(v, s->uneval_i, &x->u.kids[k], NULL);
            v->plen--;
            BIT_SET(loc, k);
            if (!good)
                FAILED();
        }
    }
out:
    if (ok && ev && loc)
        bits_or(ev, loc, x->n);
    if (pushed)
        v->ndyn--;
    v->depth--;
    return ok;
}

CAIRN_API int cairn_schema_validate(const cairn_schema *sc, const void *doc, size_t len,
                                    cairn_verrors **errs)
{
    if (errs)
        *errs = NULL;
    if (!sc || (!doc && len))
        return cairn__err(CAIRN_EINVAL, "cairn_schema_validate: NULL argument");
    /* A 1 KiB document's tree fits in this buffer: no malloc at all. */
    _Alignas(8) char first[8192];
    jd_arena a;
    jd_arena_init(&a, first, sizeof first);
    jd_node *root;
    int rc = jd_parse(&a, doc, len, &root);
    if (rc) {
        jd_arena_free(&a);
        return rc;
    }
    vctx *v = malloc(sizeof *v);
    if (!v) {
        jd_arena_free(&a);
        return oom();
    }
    v->sc = sc;
    v->scratch = &a;
    v->errs = NULL;
    v->nerr = 0;
    v->truncated = v->stop = v->oom = v->broken = false;
    v->quiet = v->depth = v->plen = v->ndyn = 0;
    v->md = NULL;
    bool ok = val(v, sc->root, root, NULL) && !v->broken;
    if (v->md)
        pcre2_match_data_free(v->md);
    jd_arena_free(&a);
    cairn_verrors *e = v->errs;
    bool was_oom = v->oom;
    if (e)
        e->truncated = v->truncated;
    free(v);
    if (was_oom) {
        cairn_verrors_free(e);
        return oom();
    }
    if (ok) {
        cairn_verrors_free(e);
        return CAIRN_OK;
    }
    if (!e || !e->n) { /* cannot happen: a failure always records one */
        cairn_verrors_free(e);
        return cairn__err(CAIRN_EVALIDATION, "/: not valid");
    }
    rc = cairn__err(CAIRN_EVALIDATION, "%s: %s", e->e[0].path[0] ? e->e[0].path : "/",
                    e->e[0].rule);
    if (errs)
        *errs = e;
    else
        cairn_verrors_free(e);
    return rc;
}

/* ---- defaults ---- */

#define FILL_DEPTH_MAX 64 /* $ref / allOf hops while looking for properties */

/* The default of a property schema: its own, or one found through $ref / allOf. */
static const jd_node *find_default(const csch *s, int depth)
{
    if (!s || s->boolean || depth > FILL_DEPTH_MAX)
        return NULL;
    if (s->dflt)
        return s->dflt;
    const jd_node *d = find_default(s->ref, depth + 1);
    for (uint32_t i = 0; !d && i < s->nallof; i++)
        d = find_default(s->allof[i], depth + 1);
    return d;
}

#define FILL_NEST_MAX 16      /* defaults inserted inside inserted defaults */
#define FILL_INSERT_MAX 100000 /* defaults inserted in all */

typedef struct {
    jd_arena *a;
    int budget;    /* insertions left */
    bool too_deep; /* FILL_NEST_MAX or FILL_INSERT_MAX reached */
} filler;

static jd_node *fill(filler *f, const csch *s, const jd_node *x, int depth, int nest);

/* Nesting of a value (0 for a scalar). */
static int nesting(const jd_node *x)
{
    int d = 0;
    if (x->type == JD_OBJ || x->type == JD_ARR)
        for (uint32_t i = 0; i < x->n; i++) {
            int k = nesting(&x->u.kids[i]);
            d = k > d ? k : d;
        }
    return x->type == JD_OBJ || x->type == JD_ARR ? d + 1 : 0;
}

/* The schema for property key (klen) of objects under s, via $ref/allOf. */
static const csch *prop_schema(const csch *s, const char *key, size_t klen, int depth)
{
    if (!s || s->boolean || depth > FILL_DEPTH_MAX)
        return NULL;
    for (uint32_t p = 0; p < s->nprops; p++)
        if (s->props[p].len == klen && !memcmp(s->props[p].name, key, klen))
            return s->props[p].s;
    const csch *r = prop_schema(s->ref, key, klen, depth + 1);
    for (uint32_t i = 0; !r && i < s->nallof; i++)
        r = prop_schema(s->allof[i], key, klen, depth + 1);
    return r;
}

/* Add the missing defaulted properties of s (and its $ref / allOf) to the
 * member list. */
static bool add_defaults(filler *f, const csch *s, jd_node **kids, uint32_t *n, uint32_t *cap,
                         int depth, int nest)
{
    if (!s || s->boolean || depth > FILL_DEPTH_MAX)
        return true;
    for (uint32_t p = 0; p < s->nprops; p++) {
        const cprop *cp = &s->props[p];
        bool have = false;
        for (uint32_t k = 0; k < *n && !have; k++)
            have = (*kids)[k].klen == cp->len && !memcmp((*kids)[k].key, cp->name, cp->len);
        const jd_node *d = have ? NULL : find_default(cp->s, 0);
        if (!d)
            continue;
        /* A default that brings its own defaults again (a model whose
         * default refers to itself) would never end. */
        if (nest >= FILL_NEST_MAX || --f->budget < 0) {
            f->too_deep = true;
            return false;
        }
        if (*n == *cap) {
            uint32_t nc = *cap ? *cap * 2 : 4;
            jd_node *nk = jd_alloc(f->a, nc * sizeof *nk);
            if (!nk)
                return false;
            if (*n)
                memcpy(nk, *kids, *n * sizeof *nk);
            *kids = nk;
            *cap = nc;
        }
        jd_node *filled = fill(f, cp->s, d, depth + 1, nest + 1);
        if (!filled)
            return false;
        (*kids)[*n] = *filled;
        (*kids)[*n].key = cp->name;
        (*kids)[*n].klen = cp->len;
        (*n)++;
    }
    if (!add_defaults(f, s->ref, kids, n, cap, depth + 1, nest))
        return false;
    for (uint32_t i = 0; i < s->nallof; i++)
        if (!add_defaults(f, s->allof[i], kids, n, cap, depth + 1, nest))
            return false;
    return true;
}

/* A copy of x with defaults filled in (x itself when nothing changes below). */
static jd_node *fill(filler *f, const csch *s, const jd_node *x, int depth, int nest)
{
    jd_node *out = jd_alloc(f->a, sizeof *out);
    if (!out)
        return NULL;
    *out = *x;
    if (!s || s->boolean || depth > JD_DEPTH_MAX || (x->type != JD_OBJ && x->type != JD_ARR))
        return out;
    uint32_t n = x->n, cap = x->n;
    jd_node *kids = n ? jd_alloc(f->a, n * sizeof *kids) : NULL;
    if (n && !kids)
        return NULL;
    for (uint32_t k = 0; k < n; k++) {
        const jd_node *c = &x->u.kids[k];
        const csch *cs;
        if (x->type == JD_OBJ) {
            cs = prop_schema(s, c->key, c->klen, 0);
        } else {
            const csch *t = s;
            for (int hop = 0; t && !t->boolean && !t->items && !t->nprefix && hop < 16; hop++)
                t = t->ref;
            cs = !t || t->boolean ? NULL : k < t->nprefix ? t->prefix[k] : t->items;
        }
        jd_node *fc = fill(f, cs, c, depth + 1, nest);
        if (!fc)
            return NULL;
        kids[k] = *fc;
        kids[k].key = c->key;
        kids[k].klen = c->klen;
    }
    if (x->type == JD_OBJ && !add_defaults(f, s, &kids, &n, &cap, 0, nest))
        return NULL;
    out->u.kids = kids;
    out->n = n;
    return out;
}

CAIRN_API int cairn_schema_fill_defaults(const cairn_schema *sc, const void *doc, size_t len,
                                         char **out, size_t *out_len)
{
    if (out)
        *out = NULL;
    if (!sc || !out || (!doc && len))
        return cairn__err(CAIRN_EINVAL, "cairn_schema_fill_defaults: NULL argument");
    jd_arena a;
    jd_arena_init(&a, NULL, 0);
    jd_node *root;
    int rc = jd_parse(&a, doc, len, &root);
    if (rc) {
        jd_arena_free(&a);
        return rc;
    }
    filler f = {&a, FILL_INSERT_MAX, false};
    jd_node *filled = fill(&f, sc->root, root, 0, 0);
    if (f.too_deep || (filled && nesting(filled) > JD_DEPTH_MAX)) {
        jd_arena_free(&a);
        return cairn__err(CAIRN_EINVAL, "defaults nest too deep (more than %d defaults inside "
                                        "defaults, %d in all, or %d levels): a default that "
                                        "refers to itself?",
                          FILL_NEST_MAX, FILL_INSERT_MAX, JD_DEPTH_MAX);
    }
    char *buf = NULL;
    size_t bl = 0, cap = 0;
    if (!filled || jd_write(filled, &buf, &bl, &cap) != CAIRN_OK) {
        free(buf);
        jd_arena_free(&a);
        return oom();
    }
    jd_arena_free(&a);
    *out = buf;
    if (out_len)
        *out_len = bl;
    return CAIRN_OK;
}
