/*
 * schema_validate.c — validate a document (parsed into a jdom tree on the
 * stack) against a compiled schema: each subschema runs the stages its
 * keywords need, carrying a dynamic scope (for $dynamicRef), a path (for
 * error pointers) and, only when the schema has unevaluated*, sets of
 * evaluated members/items. Also the validation error list of the API.
 */
#include "schema/schema_int.h"

#include "schema/format.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- errors ---- */

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
    int rc = cairn__sch_re_match(v->sc, &v->md, re, s, n);
    if (rc == -2) {
        v->oom = v->stop = true;
        return -1;
    }
    return rc;
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

/* ---- the stages (csch.stages says which a schema runs, ST_* the order) ---- */

static bool st_type(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    (void)loc;
    if (s->types && !(s->types & type_of(x))) {
        char want[96];
        type_names(s->types, want, sizeof want);
        fail(v, "expected %s, got %s", want, jd_type_name(x));
        return false;
    }
    return true;
}

static bool st_const(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    (void)loc;
    if (s->constv && !jd_equal(s->constv, x)) {
        fail(v, "value does not equal the const value");
        return false;
    }
    return true;
}

static bool st_enum(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    (void)loc;
    if (!s->enumv)
        return true;
    bool found = false;
    for (uint32_t i = 0; i < s->enumv->n && !found; i++)
        found = jd_equal(&s->enumv->u.kids[i], x);
    if (!found)
        fail(v, "value is not one of the %u enum values", s->enumv->n);
    return found;
}

static bool st_object(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    return x->type != JD_OBJ || val_object(v, s, x, loc);
}

static bool st_array(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    return x->type != JD_ARR || val_array(v, s, x, loc);
}

static bool st_scalar(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    (void)loc;
    return x->type == JD_OBJ || x->type == JD_ARR || val_scalar(v, s, x);
}

static bool st_ref(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    return !s->ref || val(v, s->ref, x, loc);
}

static bool st_dynref(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    return !s->dynref || val(v, dyn_target(v, s), x, loc);
}

static bool st_allof(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    bool ok = true;
    for (uint32_t i = 0; i < s->nallof; i++)
        if (!val(v, s->allof[i], x, loc))
            FAILED();
out:
    return ok;
}

static bool st_anyof(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    bool any = false;
    for (uint32_t i = 0; i < s->nanyof && !(any && !loc); i++) {
        bits *t = loc ? bits_new(v, x->n) : NULL;
        if (val_quiet(v, s->anyof[i], x, t)) {
            any = true;
            if (t)
                bits_or(loc, t, x->n);
        }
    }
    if (!any && s->nanyof) {
        no_branch(v, s->anyof, s->nanyof, x, "anyOf");
        return false;
    }
    return true;
}

static bool st_oneof(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    if (!s->noneof)
        return true;
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
        return false;
    }
    if (good > 1) {
        fail(v, "valid against more than one schema of oneOf (%u and %u)", first, second);
        return false;
    }
    return true;
}

static bool st_not(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    (void)loc;
    if (s->not_ && val_quiet(v, s->not_, x, NULL)) {
        fail(v, "must not be valid against the schema of not");
        return false;
    }
    return true;
}

static bool st_if(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    if (!s->if_)
        return true;
    bits *t = loc ? bits_new(v, x->n) : NULL;
    if (val_quiet(v, s->if_, x, t)) {
        if (t)
            bits_or(loc, t, x->n);
        return !s->then_ || val(v, s->then_, x, loc);
    }
    return !s->else_ || val(v, s->else_, x, loc);
}

/* What the keywords before left unevaluated. */
static bool st_uneval_p(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    bool ok = true;
    if (!s->uneval_p || x->type != JD_OBJ || !loc)
        return true;
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
out:
    return ok;
}

static bool st_uneval_i(vctx *v, const csch *s, const jd_node *x, bits *loc)
{
    bool ok = true;
    if (!s->uneval_i || x->type != JD_ARR || !loc)
        return true;
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
out:
    return ok;
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
    /* The stages the schema's keywords need, lowest ST_* first (a switch,
     * not a table of pointers: the stages are inlined here). */
    for (unsigned st = s->stages; st; st &= st - 1) {
        bool good = true;
        switch (__builtin_ctz(st)) {
        case ST_TYPE: good = st_type(v, s, x, loc); break;
        case ST_CONST: good = st_const(v, s, x, loc); break;
        case ST_ENUM: good = st_enum(v, s, x, loc); break;
        case ST_OBJECT: good = st_object(v, s, x, loc); break;
        case ST_ARRAY: good = st_array(v, s, x, loc); break;
        case ST_SCALAR: good = st_scalar(v, s, x, loc); break;
        case ST_REF: good = st_ref(v, s, x, loc); break;
        case ST_DYNREF: good = st_dynref(v, s, x, loc); break;
        case ST_ALLOF: good = st_allof(v, s, x, loc); break;
        case ST_ANYOF: good = st_anyof(v, s, x, loc); break;
        case ST_ONEOF: good = st_oneof(v, s, x, loc); break;
        case ST_NOT: good = st_not(v, s, x, loc); break;
        case ST_IF: good = st_if(v, s, x, loc); break;
        case ST_UNEVAL_P: good = st_uneval_p(v, s, x, loc); break;
        case ST_UNEVAL_I: good = st_uneval_i(v, s, x, loc); break;
        default: break;
        }
        if (!good)
            FAILED();
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
        cairn__sch_match_data_free(v->md);
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
