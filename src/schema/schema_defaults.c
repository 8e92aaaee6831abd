/*
 * schema_defaults.c — cairn_schema_fill_defaults: a copy of a document with
 * the "default" of every missing property filled in, following properties,
 * items, prefixItems, $ref and allOf (as Pydantic fills a model's fields).
 */
#include "schema/schema_int.h"

#include <stdlib.h>

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
