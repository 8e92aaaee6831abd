/*
 * schema_compile.c — the second compile pass: each subschema (a jdom node)
 * becomes a csch whose fields hold the keywords' pre-parsed values, through
 * one table of keywords (name, compile function, validation stage). $ref
 * and $dynamicRef are queued and resolved after the walk.
 */
#include "schema/schema_int.h"

#include "base/opts.h"

#include "schema/format.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>


int cairn__sch_err(comp *c, int code, const char *fmt, ...)
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
        rc = cairn__sch_err(c, CAIRN_EINVAL, "must be a schema (an object or a boolean)");
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
        rc = cairn__sch_err(c, CAIRN_EINVAL, "must be a %sarray of schemas",
                            nonempty ? "non-empty " : "");
    } else {
        *out = jd_alloc(c->a, (m->n ? m->n : 1) * sizeof **out);
        *n = m->n;
        if (!*out)
            rc = oom();
        for (uint32_t i = 0; i < m->n && !rc; i++) {
            size_t o2 = where_push_idx(c, i);
            const jd_node *k = &m->u.kids[i];
            if (k->type != JD_OBJ && k->type != JD_TRUE && k->type != JD_FALSE)
                rc = cairn__sch_err(c, CAIRN_EINVAL,
                                    "must be a schema (an object or a boolean)");
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
    int rc = cairn__sch_err(c, CAIRN_EINVAL, "must be %s", what);
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

static int ref_keyword(comp *c, csch *s, const jd_node *m, const char *base, bool dynamic)
{
    if (m->type != JD_STR)
        return kw_err(c, m, "a URI reference (a string)");
    char *ref = str0(c, m);
    const char *abs = ref ? cairn__sch_uri_resolve(c->a, base, ref) : NULL;
    if (!abs)
        return oom();
    size_t old = where_push(c, m->key, m->klen);
    const char *frag = strchr(ref, '#');
    int rc = queue(c, dynamic ? &s->dynref : &s->ref, abs, dynamic ? "$dynamicRef" : "$ref",
                   dynamic && frag && frag[1] && frag[1] != '/' ? frag + 1 : NULL, s, NULL);
    where_pop(c, old);
    return rc;
}

/* ---- the keywords ---- */

/* Each compiles one keyword m of the object schema into s. */
typedef int kw_fn(comp *c, csch *s, const jd_node *m, const sinfo *si);

static int kw_type(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    int rc = CAIRN_OK;
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
    return rc;
}

/* properties and patternProperties */
static int kw_properties(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    bool pat = m->key[0] == 'p' && m->klen > 10;
    if (m->type != JD_OBJ)
        return kw_err(c, m, "an object of schemas");
    int rc = CAIRN_OK;
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
            rc = cairn__sch_regex(c, &name, &s->patterns[k].re);
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
    return rc;
}

/* The keywords whose value is one schema, by the field that holds it. */
#define KW_SUB(name, field)                                                               \
    static int kw_##name(comp *c, csch *s, const jd_node *m, const sinfo *si)             \
    {                                                                                     \
        (void)si;                                                                         \
        return sub(c, m, &s->field);                                                      \
    }
KW_SUB(additional, addl)
KW_SUB(items, items)
KW_SUB(contains, contains)
KW_SUB(propnames, propnames)
KW_SUB(not, not_)
KW_SUB(if, if_)
KW_SUB(then, then_)
KW_SUB(else, else_)
#undef KW_SUB

static int kw_uneval_props(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    int rc = sub(c, m, &s->uneval_p);
    s->has_uneval = 1;
    c->sc->annotations = true;
    return rc;
}

static int kw_uneval_items(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    int rc = sub(c, m, &s->uneval_i);
    s->has_uneval = 1;
    c->sc->annotations = true;
    return rc;
}

/* The keywords whose value is a non-empty array of schemas. */
#define KW_SUBS(name, field, count)                                                       \
    static int kw_##name(comp *c, csch *s, const jd_node *m, const sinfo *si)             \
    {                                                                                     \
        (void)si;                                                                         \
        return sub_array(c, m, &s->field, &s->count, true);                               \
    }
KW_SUBS(prefix, prefix, nprefix)
KW_SUBS(allof, allof, nallof)
KW_SUBS(anyof, anyof, nanyof)
KW_SUBS(oneof, oneof, noneof)
#undef KW_SUBS

/* $defs and definitions: compiled now so that a bad definition is reported
 * even when nothing refers to it ("definitions" is Pydantic v1's name, and
 * only its schema-like members are compiled). */
static int kw_defs(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)s;
    (void)si;
    if (m->type != JD_OBJ)
        return m->key[0] == '$' ? kw_err(c, m, "an object of schemas") : CAIRN_OK;
    int rc = CAIRN_OK;
    size_t old = where_push(c, m->key, m->klen);
    for (uint32_t k = 0; k < m->n && !rc; k++) {
        csch *unused;
        const jd_node *d = &m->u.kids[k];
        if (m->key[0] == '$' || d->type == JD_OBJ || d->type == JD_TRUE || d->type == JD_FALSE)
            rc = sub(c, d, &unused);
    }
    where_pop(c, old);
    return rc;
}

/* dependentSchemas and dependentRequired */
static int kw_dependent(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    bool req = m->key[9] == 'R';
    if (m->type != JD_OBJ)
        return kw_err(c, m, "an object");
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
    int rc = CAIRN_OK;
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
    return rc;
}

static int kw_required(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    bool ok = m->type == JD_ARR;
    for (uint32_t k = 0; ok && k < m->n; k++)
        ok = m->u.kids[k].type == JD_STR;
    if (!ok)
        return kw_err(c, m, "an array of strings");
    s->required = jd_alloc(c->a, (m->n ? m->n : 1) * sizeof *s->required);
    if (!s->required)
        return oom();
    for (uint32_t k = 0; k < m->n; k++)
        s->required[k] = &m->u.kids[k];
    s->nrequired = m->n;
    return CAIRN_OK;
}

static int kw_enum(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    s->enumv = m;
    return m->type != JD_ARR ? kw_err(c, m, "an array") : CAIRN_OK;
}

static int kw_const(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)c;
    (void)si;
    s->constv = m;
    return CAIRN_OK;
}

static int kw_default(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)c;
    (void)si;
    s->dflt = m;
    return CAIRN_OK;
}

/* minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf */
static int kw_bound(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    if (m->type != JD_NUM)
        return kw_err(c, m, "a number");
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
        return kw_err(c, m, "a number above 0");
    return CAIRN_OK;
}

/* The counted limits, by their L_* bit. */
#define KW_LIMIT(name, which)                                                             \
    static int kw_##name(comp *c, csch *s, const jd_node *m, const sinfo *si)             \
    {                                                                                     \
        (void)si;                                                                         \
        return limit(c, s, m, which);                                                     \
    }
KW_LIMIT(minlen, L_MINLEN)
KW_LIMIT(maxlen, L_MAXLEN)
KW_LIMIT(minitems, L_MINITEMS)
KW_LIMIT(maxitems, L_MAXITEMS)
KW_LIMIT(minprops, L_MINPROPS)
KW_LIMIT(maxprops, L_MAXPROPS)
KW_LIMIT(mincont, L_MINCONT)
KW_LIMIT(maxcont, L_MAXCONT)
#undef KW_LIMIT

static int kw_unique(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    s->unique = m->type == JD_TRUE;
    if (m->type != JD_TRUE && m->type != JD_FALSE)
        return kw_err(c, m, "a boolean");
    return CAIRN_OK;
}

static int kw_pattern(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    if (m->type != JD_STR)
        return kw_err(c, m, "a string");
    size_t old = where_push(c, m->key, m->klen);
    int rc = cairn__sch_regex(c, m, &s->pattern);
    where_pop(c, old);
    s->pattern_src = m->u.s;
    if (!rc && !(s->pattern_src = str0(c, m)))
        rc = oom();
    return rc;
}

static int kw_format(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)si;
    if (m->type != JD_STR)
        return kw_err(c, m, "a string");
    if (c->sc->flags & CAIRN_SCHEMA_FORMAT_ASSERT)
        s->format = (uint8_t)cairn__format_id(m->u.s, m->n);
    return CAIRN_OK;
}

static int kw_ref(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    return ref_keyword(c, s, m, si->base, false);
}

static int kw_dynref(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    return ref_keyword(c, s, m, si->base, true);
}

/* $id, $anchor, $dynamicAnchor (read by the first pass), $schema, $comment */
static int kw_string(comp *c, csch *s, const jd_node *m, const sinfo *si)
{
    (void)s;
    (void)si;
    return m->type != JD_STR ? kw_err(c, m, "a string") : CAIRN_OK;
}

/* Every keyword cairn compiles: its compile function, the validation stage
 * that checks it (schema_validate.c runs the stages in ST_* order, so the
 * order of this table does not matter), and whether it belongs to the
 * validation vocabulary (left out when the metaschema leaves that out).
 * Anything else is an annotation or unknown: ignored. */
static const struct keyword {
    const char *name;
    kw_fn *compile;
    uint8_t stage; /* ST_*, or ST_NONE */
    bool validation;
} keywords[] = {
    {"type", kw_type, ST_TYPE, true},
    {"enum", kw_enum, ST_ENUM, true},
    {"const", kw_const, ST_CONST, true},
    {"multipleOf", kw_bound, ST_SCALAR, true},
    {"maximum", kw_bound, ST_SCALAR, true},
    {"exclusiveMaximum", kw_bound, ST_SCALAR, true},
    {"minimum", kw_bound, ST_SCALAR, true},
    {"exclusiveMinimum", kw_bound, ST_SCALAR, true},
    {"maxLength", kw_maxlen, ST_SCALAR, true},
    {"minLength", kw_minlen, ST_SCALAR, true},
    {"pattern", kw_pattern, ST_SCALAR, true},
    {"maxItems", kw_maxitems, ST_ARRAY, true},
    {"minItems", kw_minitems, ST_ARRAY, true},
    {"uniqueItems", kw_unique, ST_ARRAY, true},
    {"maxContains", kw_maxcont, ST_ARRAY, true},
    {"minContains", kw_mincont, ST_ARRAY, true},
    {"maxProperties", kw_maxprops, ST_OBJECT, true},
    {"minProperties", kw_minprops, ST_OBJECT, true},
    {"required", kw_required, ST_OBJECT, true},
    {"dependentRequired", kw_dependent, ST_OBJECT, true},
    {"properties", kw_properties, ST_OBJECT, false},
    {"patternProperties", kw_properties, ST_OBJECT, false},
    {"additionalProperties", kw_additional, ST_OBJECT, false},
    {"propertyNames", kw_propnames, ST_OBJECT, false},
    {"dependentSchemas", kw_dependent, ST_OBJECT, false},
    {"prefixItems", kw_prefix, ST_ARRAY, false},
    {"items", kw_items, ST_ARRAY, false},
    {"contains", kw_contains, ST_ARRAY, false},
    {"unevaluatedProperties", kw_uneval_props, ST_UNEVAL_P, false},
    {"unevaluatedItems", kw_uneval_items, ST_UNEVAL_I, false},
    {"allOf", kw_allof, ST_ALLOF, false},
    {"anyOf", kw_anyof, ST_ANYOF, false},
    {"oneOf", kw_oneof, ST_ONEOF, false},
    {"not", kw_not, ST_NOT, false},
    {"if", kw_if, ST_IF, false},
    {"then", kw_then, ST_IF, false},
    {"else", kw_else, ST_IF, false},
    {"$ref", kw_ref, ST_REF, false},
    {"$dynamicRef", kw_dynref, ST_DYNREF, false},
    {"format", kw_format, ST_SCALAR, false},
    {"default", kw_default, ST_NONE, false},
    {"$defs", kw_defs, ST_NONE, false},
    {"definitions", kw_defs, ST_NONE, false},
    {"$id", kw_string, ST_NONE, false},
    {"$anchor", kw_string, ST_NONE, false},
    {"$dynamicAnchor", kw_string, ST_NONE, false},
    {"$schema", kw_string, ST_NONE, false},
    {"$comment", kw_string, ST_NONE, false},
};

static const struct keyword *find_keyword(const jd_node *m)
{
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (key_is(m, keywords[i].name))
            return &keywords[i];
    return NULL;
}

static int compile_object(comp *c, jd_node *n, csch *s, const sinfo *si)
{
    int rc = CAIRN_OK;
    for (uint32_t i = 0; i < n->n && !rc; i++) {
        const jd_node *m = &n->u.kids[i];
        const struct keyword *kw = find_keyword(m);
        if (!kw || (c->no_validation && kw->validation))
            continue;
        rc = kw->compile(c, s, m, si);
        if (kw->stage != ST_NONE)
            s->stages |= (uint16_t)(1u << kw->stage);
    }
    return rc;
}

static int compile(comp *c, jd_node *n, csch **out)
{
    sinfo *si = n->aux;
    if (!si)
        return cairn__sch_err(c, CAIRN_EINVAL, "internal: a subschema was not registered");
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

static int run_queue(comp *c)
{
    while (c->todo) {
        pending *p = c->todo;
        c->todo = p->next;
        memcpy(c->where, p->where, strlen(p->where) + 1);
        c->wlen = strlen(p->where);
        jd_node *t = p->node;
        int rc;
        if (!t && (rc = cairn__sch_resolve(c, p, &t)))
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

CAIRN_API void cairn_schema_free(cairn_schema *sc)
{
    if (!sc)
        return;
    cairn__sch_regex_free(sc);
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
    if (cairn__sch_regex_init(sc)) {
        free(sc);
        return oom();
    }
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
        rc = cairn__sch_err(&c, CAIRN_EINVAL, "a schema is an object or a boolean, not %s",
                  jd_type_name(root));
    if (!rc)
        rc = cairn__sch_add_document(&c, root, "cairn:schema");
    if (!rc)
        rc = cairn__sch_read_vocabulary(&c, root);
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
