/*
 * schema_uri.c — URIs of a JSON Schema: RFC 3986 reference resolution, the
 * first compile pass (base URIs from $id, resources, $anchor and
 * $dynamicAnchor), and finding what a $ref points at (JSON Pointer
 * fragments, anchors, remote documents through the caller's loader).
 */
#include "schema/schema_int.h"

#include <stdlib.h>

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
char *cairn__sch_uri_resolve(jd_arena *a, const char *base, const char *ref)
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
            const char *abs = cairn__sch_uri_resolve(c->a, base, ids);
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
int cairn__sch_add_document(comp *c, jd_node *root, const char *uri)
{
    res *r = NULL;
    if (!root->aux) {
        if (!(r = new_res(c, uri, root)) || reg_uri(c, uri, root))
            return oom();
    }
    return walk(c, root, uri, r);
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
        return cairn__sch_err(c, CAIRN_EUNSUPPORTED,
                              "$ref to another document '%s' and no loader", doc_uri);
    if (++c->nremote > REMOTE_MAX)
        return cairn__sch_err(c, CAIRN_EINVAL, "more than %d remote documents", REMOTE_MAX);
    char *json = NULL;
    size_t len = 0;
    int rc = c->opt->loader(c->opt->loader_ctx, doc_uri, &json, &len);
    if (rc != CAIRN_OK || !json) {
        free(json);
        return cairn__sch_err(c, rc == CAIRN_ENOMEM ? CAIRN_ENOMEM : CAIRN_EINVAL,
                              "cannot load '%s' (%s)", doc_uri,
                              cairn_strerror(rc ? rc : CAIRN_ENOTFOUND));
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
        return rc == CAIRN_EFORMAT ? cairn__sch_err(c, CAIRN_EINVAL, "'%s' is not JSON: %s",
                                                    doc_uri, cairn_errmsg())
                                   : rc;
    if (root->type != JD_OBJ && root->type != JD_TRUE && root->type != JD_FALSE)
        return cairn__sch_err(c, CAIRN_EINVAL, "'%s' is not a schema", doc_uri);
    if ((rc = cairn__sch_add_document(c, root, doc_uri)))
        return rc;
    *out = root;
    return CAIRN_OK;
}

/* Resolve a queued reference to its target node. */
int cairn__sch_resolve(comp *c, const pending *p, jd_node **out)
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
            return cairn__sch_err(c, CAIRN_EINVAL, "%s '%s' points nowhere", p->kw, p->uri);
        if (t->type != JD_OBJ && t->type != JD_TRUE && t->type != JD_FALSE)
            return cairn__sch_err(c, CAIRN_EINVAL, "%s '%s' points at a %s, not a schema",
                                  p->kw, p->uri, jd_type_name(t));
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
        return cairn__sch_err(c, CAIRN_EINVAL, "%s '%s': no such anchor", p->kw, p->uri);
    *out = t;
    return CAIRN_OK;
}

/* A $schema naming a metaschema other than draft 2020-12's: read its
 * $vocabulary (through the loader) to see whether validation keywords apply. */
int cairn__sch_read_vocabulary(comp *c, const jd_node *root)
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
