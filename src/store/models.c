/*
 * registry.c — models: named JSON Schemas kept in the store (one record per
 * version under _cairn/models/<ns>/<name>/<version>), resolved by name, and
 * compiled once per handle; a registry generation counter tells a handle's
 * cache when any process registered or removed a model.
 */
#include "store/models.h"
#include "base/error.h"
#include "base/jdom.h"
#include "base/json.h"
#include "store/sys.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG_PREFIX "_cairn/models"
#define REG_GEN "_cairn/model-gen" /* its record version is the generation */
#define DEFAULT_NS "default"
#define PART_MAX 64     /* bytes of a namespace or a name */
#define VER_DIGITS 10   /* versions are zero-padded so keys sort by version */
#define VER_MAX 4294967295u
#define CACHE_MAX 64    /* refs cached per handle; a full cache starts over */
#define MAX_ATTEMPTS 1000 /* lost registration races before giving up */

/* ------------------------------------------------------------------ */
/* References                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
    char ns[PART_MAX + 1];
    char name[PART_MAX + 1];
    unsigned version; /* 0: none given (the newest) */
    bool has_ns;
} mref;

static bool part_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

/* Copy a namespace or name of n bytes into out, checking it. */
static int part_copy(const char *ref, const char *what, const char *p, size_t n, char *out)
{
    if (n == 0 || n > PART_MAX)
        return cairn__err(CAIRN_EINVAL, "bad model reference '%s': the %s must be 1..%d bytes",
                          ref, what, PART_MAX);
    for (size_t i = 0; i < n; i++)
        if (!part_char(p[i]))
            return cairn__err(CAIRN_EINVAL,
                              "bad model reference '%s': the %s may only hold "
                              "A-Z a-z 0-9 _ . -",
                              ref, what);
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
        return cairn__err(CAIRN_EINVAL, "bad model reference '%s': the %s cannot be '%.*s'",
                          ref, what, (int)n, p);
    memcpy(out, p, n);
    out[n] = '\0';
    return CAIRN_OK;
}

/* Parse "[ns/]name[@version]". */
static int ref_parse(const char *ref, mref *r)
{
    memset(r, 0, sizeof *r);
    if (!ref)
        return cairn__err(CAIRN_EINVAL, "model reference is NULL");
    const char *at = strchr(ref, '@');
    const char *end = at ? at : ref + strlen(ref);
    const char *slash = memchr(ref, '/', (size_t)(end - ref));
    int rc;
    if (slash) {
        if ((rc = part_copy(ref, "namespace", ref, (size_t)(slash - ref), r->ns)))
            return rc;
        r->has_ns = true;
    } else {
        strcpy(r->ns, DEFAULT_NS);
    }
    const char *name = slash ? slash + 1 : ref;
    if ((rc = part_copy(ref, "name", name, (size_t)(end - name), r->name)))
        return rc;
    if (at) {
        uint64_t v = 0;
        const char *p = at + 1;
        if (!*p)
            return cairn__err(CAIRN_EINVAL, "bad model reference '%s': no version after '@'",
                              ref);
        for (; *p; p++) {
            if (*p < '0' || *p > '9' || v > VER_MAX)
                return cairn__err(CAIRN_EINVAL,
                                  "bad model reference '%s': the version must be a number "
                                  "from 1 to %u",
                                  ref, VER_MAX);
            v = v * 10 + (uint64_t)(*p - '0');
        }
        if (v == 0 || v > VER_MAX)
            return cairn__err(CAIRN_EINVAL,
                              "bad model reference '%s': the version must be a number from "
                              "1 to %u",
                              ref, VER_MAX);
        r->version = (unsigned)v;
    }
    return CAIRN_OK;
}

static void ref_format(const mref *r, unsigned version, char out[CAIRN_MODEL_MAX + 1])
{
    snprintf(out, CAIRN_MODEL_MAX + 1, "%s/%s@%u", r->ns, r->name, version);
}

static void reg_key(const char *ns, const char *name, unsigned version,
                    char out[CAIRN_KEY_MAX + 1])
{
    snprintf(out, CAIRN_KEY_MAX + 1, REG_PREFIX "/%s/%s/%0*u", ns, name, VER_DIGITS, version);
}

/* ------------------------------------------------------------------ */
/* Walking the registry                                                */
/* ------------------------------------------------------------------ */

/* Called per registered version, in key order; non-zero stops the walk. */
typedef int (*walk_fn)(void *ctx, const char *ns, const char *name, unsigned version);

/* Split a registry key into its parts; false for a key that is not one. */
static bool key_parse(const char *key, char *ns, char *name, unsigned *version)
{
    const size_t pl = sizeof REG_PREFIX; /* the prefix and its '/' */
    if (strncmp(key, REG_PREFIX "/", pl) != 0)
        return false;
    const char *p = key + pl, *s1 = strchr(p, '/');
    if (!s1 || (size_t)(s1 - p) > PART_MAX)
        return false;
    const char *s2 = strchr(s1 + 1, '/');
    if (!s2 || (size_t)(s2 - s1 - 1) > PART_MAX || strlen(s2 + 1) != VER_DIGITS)
        return false;
    uint64_t v = 0;
    for (const char *d = s2 + 1; *d; d++) {
        if (*d < '0' || *d > '9')
            return false;
        v = v * 10 + (uint64_t)(*d - '0');
    }
    if (v == 0 || v > VER_MAX)
        return false;
    memcpy(ns, p, (size_t)(s1 - p));
    ns[s1 - p] = '\0';
    memcpy(name, s1 + 1, (size_t)(s2 - s1 - 1));
    name[s2 - s1 - 1] = '\0';
    *version = (unsigned)v;
    return true;
}

/* Walk every version under ns/name (ns NULL: the whole registry). */
static int reg_walk(cairn_store *s, const char *ns, const char *name, walk_fn fn, void *ctx)
{
    char prefix[CAIRN_KEY_MAX + 1];
    if (ns)
        snprintf(prefix, sizeof prefix, REG_PREFIX "/%s/%s", ns, name);
    else
        snprintf(prefix, sizeof prefix, REG_PREFIX);
    cairn_iter *it;
    int rc = cairn_list(s, prefix, &it);
    if (rc)
        return rc;
    const char *key;
    while ((rc = cairn_iter_next(it, &key, NULL)) == CAIRN_OK) {
        char kns[PART_MAX + 1], kname[PART_MAX + 1];
        unsigned v;
        if (key_parse(key, kns, kname, &v) && (rc = fn(ctx, kns, kname, v)) != 0)
            break;
    }
    cairn_iter_free(it);
    return rc == CAIRN_DONE ? CAIRN_OK : rc;
}

static int newest_cb(void *ctx, const char *ns, const char *name, unsigned version)
{
    (void)ns;
    (void)name;
    unsigned *v = ctx;
    if (version > *v)
        *v = version;
    return 0;
}

/* The newest version of ns/name; 0 when it has none. */
static int newest_version(cairn_store *s, const char *ns, const char *name, unsigned *v)
{
    *v = 0;
    return reg_walk(s, ns, name, newest_cb, v);
}

/* The namespaces that hold a name: count, and a list for messages. */
typedef struct {
    const char *name;
    char first[PART_MAX + 1], last[PART_MAX + 1];
    unsigned count;
    char list[512];
} ns_find;

static int ns_find_cb(void *ctx, const char *ns, const char *name, unsigned version)
{
    (void)version;
    ns_find *f = ctx;
    if (strcmp(name, f->name) != 0 || (f->count && strcmp(ns, f->last) == 0))
        return 0;
    if (f->count++ == 0)
        snprintf(f->first, sizeof f->first, "%s", ns);
    snprintf(f->last, sizeof f->last, "%s", ns);
    size_t l = strlen(f->list);
    snprintf(f->list + l, sizeof f->list - l, "%s%s/%s", l ? ", " : "", ns, name);
    return 0;
}

/* Fill r->ns and r->version (when 0) for ref as the header describes:
 * the default namespace if it has the name, else the only one that does. */
static int resolve(cairn_store *s, const char *ref, mref *r)
{
    int rc = ref_parse(ref, r);
    if (rc)
        return rc;
    unsigned newest = 0;
    if ((rc = newest_version(s, r->ns, r->name, &newest)))
        return rc;
    if (!newest && !r->has_ns) {
        ns_find f = {.name = r->name};
        if ((rc = reg_walk(s, NULL, NULL, ns_find_cb, &f)))
            return rc;
        if (f.count > 1)
            return cairn__err(CAIRN_EMODEL,
                              "model '%s' is ambiguous: %u namespaces have it (%s); "
                              "name one",
                              ref, f.count, f.list);
        if (f.count == 1) {
            snprintf(r->ns, sizeof r->ns, "%s", f.first);
            if ((rc = newest_version(s, r->ns, r->name, &newest)))
                return rc;
        }
    }
    if (!newest)
        return cairn__err(CAIRN_ENOTFOUND, "model '%s' is not registered", ref);
    if (r->version) {
        char key[CAIRN_KEY_MAX + 1];
        reg_key(r->ns, r->name, r->version, key);
        rc = cairn_exists(s, key);
        if (rc == CAIRN_ENOTFOUND)
            return cairn__err(CAIRN_ENOTFOUND, "model %s/%s has no version %u (newest: %u)",
                              r->ns, r->name, r->version, newest);
        if (rc)
            return rc;
    } else {
        r->version = newest;
    }
    return CAIRN_OK;
}

/* The schema record of a resolved model. */
static int schema_get(cairn_store *s, const mref *r, cairn_value **out)
{
    char key[CAIRN_KEY_MAX + 1];
    reg_key(r->ns, r->name, r->version, key);
    int rc = cairn_get(s, key, out);
    if (rc == CAIRN_ENOTFOUND) /* removed since it was resolved */
        return cairn__err(CAIRN_ENOTFOUND, "model %s/%s@%u is not registered", r->ns,
                          r->name, r->version);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Compiled models and the handle's cache                              */
/* ------------------------------------------------------------------ */

struct cairn__model {
    unsigned refs; /* atomic: the cache's hold and the callers' */
    cairn_schema *sc;
    char ref[CAIRN_MODEL_MAX + 1];
};

typedef struct {
    char *given; /* the reference as callers wrote it */
    cairn__model *m;
} cache_entry;

struct cairn__mcache {
    pthread_mutex_t lock;
    uint64_t gen; /* registry generation the entries were resolved at */
    size_t n;
    cache_entry e[CACHE_MAX];
};

static const cairn_schema_opts compile_opts = {.flags = CAIRN_SCHEMA_FORMAT_ASSERT};

int cairn__mcache_new(cairn__mcache **out)
{
    cairn__mcache *mc = calloc(1, sizeof *mc);
    if (!mc)
        return cairn__err(CAIRN_ENOMEM, "out of memory");
    pthread_mutex_init(&mc->lock, NULL);
    *out = mc;
    return CAIRN_OK;
}

void cairn__model_release(cairn__model *m)
{
    if (m && __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        cairn_schema_free(m->sc);
        free(m);
    }
}

/* Drop every entry; the caller holds the lock. */
static void cache_flush(cairn__mcache *mc)
{
    for (size_t i = 0; i < mc->n; i++) {
        free(mc->e[i].given);
        cairn__model_release(mc->e[i].m);
    }
    mc->n = 0;
}

void cairn__mcache_free(cairn__mcache *mc)
{
    if (!mc)
        return;
    cache_flush(mc);
    pthread_mutex_destroy(&mc->lock);
    free(mc);
}

const char *cairn__model_ref(const cairn__model *m)
{
    return m->ref;
}

/* Resolve and compile ref, bypassing the cache. */
static int model_load(cairn_store *s, const char *ref, cairn__model **out)
{
    mref r;
    int rc = resolve(s, ref, &r);
    if (rc)
        return rc;
    cairn_value *v;
    if ((rc = schema_get(s, &r, &v)))
        return rc;
    cairn__model *m = calloc(1, sizeof *m);
    if (!m) {
        cairn_value_free(v);
        return cairn__err(CAIRN_ENOMEM, "out of memory");
    }
    size_t len;
    const void *json = cairn_value_data(v, &len);
    rc = cairn_schema_compile(json, len, &compile_opts, &m->sc);
    cairn_value_free(v);
    if (rc) {
        free(m);
        return cairn__err_prefix(rc, "model %s/%s@%u: stored schema", r.ns, r.name,
                                 r.version);
    }
    ref_format(&r, r.version, m->ref);
    m->refs = 1;
    *out = m;
    return CAIRN_OK;
}

int cairn__model_get(cairn_store *s, const char *ref, cairn__model **out)
{
    cairn__mcache *mc = cairn__store_mcache(s);
    uint64_t gen;
    /* The generation is read before anything is resolved: an entry is never
     * labelled with a generation older than what it saw. */
    int rc = cairn__sys_version(s, REG_GEN, &gen);
    if (rc)
        return rc;
    pthread_mutex_lock(&mc->lock);
    if (mc->gen != gen) {
        cache_flush(mc);
        mc->gen = gen;
    }
    for (size_t i = 0; i < mc->n; i++)
        if (strcmp(mc->e[i].given, ref) == 0) {
            cairn__model *m = mc->e[i].m;
            __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
            pthread_mutex_unlock(&mc->lock);
            *out = m;
            return CAIRN_OK;
        }
    pthread_mutex_unlock(&mc->lock);

    cairn__model *m = NULL;
    if ((rc = model_load(s, ref, &m)))
        return rc;
    char *given = strdup(ref);
    pthread_mutex_lock(&mc->lock);
    /* Cache it only if no newer generation was seen meanwhile. */
    if (given && mc->gen == gen) {
        if (mc->n == CACHE_MAX)
            cache_flush(mc);
        mc->e[mc->n].given = given;
        mc->e[mc->n].m = m;
        mc->n++;
        given = NULL;
        __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&mc->lock);
    free(given);
    *out = m;
    return CAIRN_OK;
}

/* "first error (and N more)" into this thread's message. */
static int verrs_message(const cairn_verrors *e)
{
    size_t n = cairn_verrors_count(e);
    const char *path = n ? cairn_verrors_path(e, 0) : "";
    if (n > 1)
        return cairn__err(CAIRN_EVALIDATION, "%s: %s (and %zu more error%s)",
                          *path ? path : "/", cairn_verrors_rule(e, 0), n - 1,
                          n > 2 ? "s" : "");
    if (n == 1)
        return cairn__err(CAIRN_EVALIDATION, "%s: %s", *path ? path : "/",
                          cairn_verrors_rule(e, 0));
    return cairn__err(CAIRN_EVALIDATION, "validation failed");
}

/* Validate; on CAIRN_EVALIDATION give the errors to *errs, or keep them
 * for cairn_validation_errors() when errs is NULL. */
static int validate(const cairn__model *m, const void *doc, size_t len, cairn_verrors **errs)
{
    cairn_verrors *e = NULL;
    int rc = cairn_schema_validate(m->sc, doc, len, &e);
    if (rc == CAIRN_EVALIDATION) {
        verrs_message(e);
        if (errs)
            *errs = e;
        else
            cairn__verrs_keep(e);
        return rc;
    }
    cairn_verrors_free(e);
    return rc;
}

int cairn__model_apply(const cairn__model *m, const void *val, size_t len, bool fill,
                       char **filled, size_t *filled_len)
{
    *filled = NULL;
    char *f = NULL;
    size_t fl = 0;
    int rc;
    if (fill) {
        if ((rc = cairn_schema_fill_defaults(m->sc, val, len, &f, &fl)))
            return rc;
        val = f;
        len = fl;
    }
    if ((rc = validate(m, val, len, NULL))) {
        free(f);
        return rc;
    }
    *filled = f;
    *filled_len = fl;
    return CAIRN_OK;
}

/* ------------------------------------------------------------------ */
/* The public API                                                      */
/* ------------------------------------------------------------------ */

static int check_store(cairn_store *s, const char *what, const char *ref)
{
    cairn__err_clear();
    if (!s)
        return cairn__err(CAIRN_EINVAL, "%s: store is NULL", what);
    if (!ref)
        return cairn__err(CAIRN_EINVAL, "%s: model reference is NULL", what);
    return CAIRN_OK;
}

/* Are two schemas the same JSON? Equality on the validator's tree, which
 * reads every number (integers exactly within 64 bits, others as doubles);
 * when they differ, where receives a phrase naming the first difference by
 * its JSON Pointer, or saying it cannot be told (jansson, which finds it,
 * refuses integers beyond 64 bits). */
static int schemas_equal(const void *a, size_t alen, const void *b, size_t blen, bool *eq,
                         char *where, size_t cap)
{
    jd_arena ar;
    jd_node *x = NULL, *y = NULL;
    jd_arena_init(&ar, NULL, 0);
    int rc = jd_parse(&ar, a, alen, &x);
    if (rc == CAIRN_OK)
        rc = jd_parse(&ar, b, blen, &y);
    if (rc == CAIRN_OK)
        *eq = jd_equal(x, y);
    jd_arena_free(&ar);
    where[0] = '\0';
    if (rc != CAIRN_OK || *eq)
        return rc;
    char ptr[200];
    bool same;
    if (cairn__json_diff(a, alen, b, blen, &same, ptr, sizeof ptr) != CAIRN_OK)
        snprintf(where, cap, "where cannot be told: it holds an integer beyond 64 bits");
    else if (!*ptr)
        snprintf(where, cap, "first difference at the top level");
    else
        snprintf(where, cap, "first difference at '%s'", ptr);
    return CAIRN_OK;
}

/* Compare schema with what version r->version of r holds: *eq, and where
 * they differ. CAIRN_ENOTFOUND when that version is not there. */
static int schema_compare(cairn_store *s, const mref *r, const void *schema, size_t len,
                          bool *eq, char *where, size_t cap)
{
    cairn_value *v;
    int rc = schema_get(s, r, &v);
    if (rc)
        return rc;
    size_t olen;
    const void *old = cairn_value_data(v, &olen);
    rc = schemas_equal(old, olen, schema, len, eq, where, cap);
    cairn_value_free(v);
    if (rc)
        return cairn__err_prefix(rc, "model register %s/%s: stored schema", r->ns, r->name);
    return CAIRN_OK;
}

/* Write version r->version of r (a new registry key) and bump the
 * generation: CAIRN_EEXISTS when another writer took it first. */
static int version_create(cairn_store *s, const mref *r, const void *schema, size_t len)
{
    char key[CAIRN_KEY_MAX + 1];
    reg_key(r->ns, r->name, r->version, key);
    cairn__sys_op ops[2] = {{key, CAIRN__SYS_CREATE, schema, len, 0},
                            {REG_GEN, CAIRN__SYS_BUMP, NULL, 0, 0}};
    return cairn__sys_write(s, ops, 2);
}

/* CAIRN_MODEL_AT_VERSION: r names its version; write it, or find it equal
 * (CAIRN_SKIPPED) or different (CAIRN_EDIFFERENT). */
static int register_at(cairn_store *s, const mref *r, const void *schema, size_t len)
{
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        bool eq = false;
        char where[256];
        int rc = schema_compare(s, r, schema, len, &eq, where, sizeof where);
        if (rc == CAIRN_OK && eq)
            return CAIRN_SKIPPED;
        if (rc == CAIRN_OK)
            return cairn__err(CAIRN_EDIFFERENT,
                              "model register %s/%s@%u: this store has a different schema "
                              "as that version (%s)",
                              r->ns, r->name, r->version, where);
        if (rc != CAIRN_ENOTFOUND)
            return cairn__err_prefix(rc, "model register %s/%s@%u", r->ns, r->name,
                                     r->version);
        rc = version_create(s, r, schema, len);
        if (rc == CAIRN_EEXISTS) /* another writer took it: compare again */
            continue;
        if (rc)
            return cairn__err_prefix(rc, "model register %s/%s@%u", r->ns, r->name,
                                     r->version);
        return CAIRN_OK;
    }
    return cairn__err(CAIRN_EBUSY, "model register %s/%s@%u: lost %d races to other writers",
                      r->ns, r->name, r->version, MAX_ATTEMPTS);
}

CAIRN_API int cairn_model_register(cairn_store *s, const char *ref, const void *schema,
                                   size_t len, unsigned flags, char *resolved)
{
    int rc;
    mref r;
    if ((rc = check_store(s, "model register", ref)))
        return rc;
    if ((rc = ref_parse(ref, &r)))
        return cairn__err_prefix(rc, "model register");
    const unsigned known = CAIRN_MODEL_NEW_VERSION | CAIRN_MODEL_AT_VERSION;
    if (flags & ~known)
        return cairn__err(CAIRN_EINVAL, "model register %s: unknown flags 0x%x", ref,
                          flags & ~known);
    if (flags == known)
        return cairn__err(CAIRN_EINVAL, "model register %s: CAIRN_MODEL_NEW_VERSION and "
                                        "CAIRN_MODEL_AT_VERSION together",
                          ref);
    bool at = flags & CAIRN_MODEL_AT_VERSION;
    if (r.version && !at)
        return cairn__err(CAIRN_EINVAL,
                          "model register %s: a reference to register takes no version "
                          "(versions are numbered by the registry; see "
                          "CAIRN_MODEL_NEW_VERSION)",
                          ref);
    if (!r.version && at)
        return cairn__err(CAIRN_EINVAL,
                          "model register %s: CAIRN_MODEL_AT_VERSION needs a reference "
                          "with its version (ns/name@N)",
                          ref);
    if (!schema && len)
        return cairn__err(CAIRN_EINVAL, "model register %s: schema is NULL", ref);
    if ((rc = cairn__json_check(schema, len)))
        return cairn__err_prefix(rc, "model register %s: schema", ref);
    cairn_schema *sc;
    if ((rc = cairn_schema_compile(schema, len, &compile_opts, &sc))) {
        if (rc != CAIRN_ENOMEM)
            rc = CAIRN_EINVAL;
        return cairn__err_prefix(rc, "model register %s/%s: the schema does not compile",
                                 r.ns, r.name);
    }
    cairn_schema_free(sc);
    if (at) {
        if ((rc = register_at(s, &r, schema, len)) >= 0 && resolved)
            ref_format(&r, r.version, resolved);
        return rc;
    }

    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        unsigned newest;
        if ((rc = newest_version(s, r.ns, r.name, &newest)))
            return cairn__err_prefix(rc, "model register %s/%s", r.ns, r.name);
        if (newest) {
            bool eq = false;
            char where[256];
            r.version = newest;
            rc = schema_compare(s, &r, schema, len, &eq, where, sizeof where);
            if (rc == CAIRN_ENOTFOUND)
                continue; /* removed meanwhile: look again */
            if (rc)
                return cairn__err_prefix(rc, "model register %s/%s", r.ns, r.name);
            if (eq) {
                if (resolved)
                    ref_format(&r, newest, resolved);
                return CAIRN_SKIPPED;
            }
            if (!(flags & CAIRN_MODEL_NEW_VERSION))
                return cairn__err(CAIRN_EDIFFERENT,
                                  "model register %s/%s: version %u has a different schema "
                                  "(%s); register it as a new version (%s/%s@%u) or under "
                                  "another name",
                                  r.ns, r.name, newest, where, r.ns, r.name, newest + 1);
            if (newest == VER_MAX)
                return cairn__err(CAIRN_EFULL, "model register %s/%s: no version left",
                                  r.ns, r.name);
        }
        unsigned target = newest + 1;
        r.version = target;
        rc = version_create(s, &r, schema, len);
        if (rc == CAIRN_EEXISTS) /* another writer took that version: look again */
            continue;
        if (rc)
            return cairn__err_prefix(rc, "model register %s/%s", r.ns, r.name);
        if (resolved)
            ref_format(&r, target, resolved);
        return CAIRN_OK;
    }
    return cairn__err(CAIRN_EBUSY, "model register %s/%s: lost %d races to other writers",
                      r.ns, r.name, MAX_ATTEMPTS);
}

CAIRN_API int cairn_model_resolve(cairn_store *s, const char *ref, char *out)
{
    int rc;
    mref r;
    if ((rc = check_store(s, "model resolve", ref)))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "model resolve: out is NULL");
    if ((rc = resolve(s, ref, &r)))
        return cairn__err_prefix(rc, "model resolve");
    ref_format(&r, r.version, out);
    return CAIRN_OK;
}

CAIRN_API int cairn_model_schema(cairn_store *s, const char *ref, cairn_value **out)
{
    int rc;
    mref r;
    if (out)
        *out = NULL;
    if ((rc = check_store(s, "model schema", ref)))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "model schema: out is NULL");
    if ((rc = resolve(s, ref, &r)) || (rc = schema_get(s, &r, out)))
        return cairn__err_prefix(rc, "model schema");
    return CAIRN_OK;
}

typedef struct {
    int (*fn)(void *ctx, const char *ns, const char *name, unsigned version,
              const char *ref);
    void *ctx;
} list_ctx;

static int list_cb(void *ctx, const char *ns, const char *name, unsigned version)
{
    list_ctx *l = ctx;
    char ref[CAIRN_MODEL_MAX + 1];
    snprintf(ref, sizeof ref, "%s/%s@%u", ns, name, version);
    return l->fn(l->ctx, ns, name, version, ref);
}

CAIRN_API int cairn_model_list(cairn_store *s,
                               int (*fn)(void *ctx, const char *ns, const char *name,
                                         unsigned version, const char *ref),
                               void *ctx)
{
    cairn__err_clear();
    if (!s || !fn)
        return cairn__err(CAIRN_EINVAL, "model list: store or fn is NULL");
    list_ctx l = {fn, ctx};
    int rc = reg_walk(s, NULL, NULL, list_cb, &l);
    if (rc < 0)
        return cairn__err_prefix(rc, "model list");
    return rc;
}

/* The keys of every version of one model. */
typedef struct {
    char (*keys)[CAIRN_KEY_MAX + 1];
    size_t n, cap;
} key_list;

static int collect_cb(void *ctx, const char *ns, const char *name, unsigned version)
{
    key_list *k = ctx;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 8;
        void *p = realloc(k->keys, cap * sizeof *k->keys);
        if (!p)
            return cairn__err(CAIRN_ENOMEM, "out of memory");
        k->keys = p;
        k->cap = cap;
    }
    reg_key(ns, name, version, k->keys[k->n++]);
    return 0;
}

CAIRN_API int cairn_model_remove(cairn_store *s, const char *ref, uint64_t *n_removed)
{
    int rc;
    mref r;
    if ((rc = check_store(s, "model remove", ref)))
        return rc;
    if ((rc = ref_parse(ref, &r)))
        return cairn__err_prefix(rc, "model remove");
    bool one = r.version != 0;
    if ((rc = resolve(s, ref, &r)))
        return cairn__err_prefix(rc, "model remove");
    key_list k = {0};
    if (one)
        rc = collect_cb(&k, r.ns, r.name, r.version);
    else
        rc = reg_walk(s, r.ns, r.name, collect_cb, &k);
    cairn__sys_op *ops = NULL;
    if (rc == CAIRN_OK && !(ops = calloc(k.n + 1, sizeof *ops)))
        rc = cairn__err(CAIRN_ENOMEM, "out of memory");
    uint64_t removed = 0;
    if (rc == CAIRN_OK) {
        for (size_t i = 0; i < k.n; i++)
            ops[i] = (cairn__sys_op){k.keys[i], CAIRN__SYS_DELETE, NULL, 0, 0};
        ops[k.n] = (cairn__sys_op){REG_GEN, CAIRN__SYS_BUMP, NULL, 0, 0};
        rc = cairn__sys_write(s, ops, k.n + 1);
        for (size_t i = 0; rc == CAIRN_OK && i < k.n; i++)
            removed += ops[i].status == CAIRN_OK;
    }
    free(ops);
    free(k.keys);
    if (rc)
        return cairn__err_prefix(rc, "model remove %s/%s", r.ns, r.name);
    if (removed == 0) /* every version went between our look and the write */
        return cairn__err(CAIRN_ENOTFOUND, "model remove %s: not registered", ref);
    if (n_removed)
        *n_removed = removed;
    return CAIRN_OK;
}

CAIRN_API int cairn_validate(cairn_store *s, const char *ref, const void *doc, size_t len,
                             cairn_verrors **errs)
{
    int rc;
    if (errs)
        *errs = NULL;
    if ((rc = check_store(s, "validate", ref)))
        return rc;
    if (!doc && len)
        return cairn__err(CAIRN_EINVAL, "validate %s: doc is NULL", ref);
    cairn__model *m = NULL;
    if ((rc = cairn__model_get(s, ref, &m)))
        return cairn__err_prefix(rc, "validate");
    rc = validate(m, doc, len, errs);
    if (rc)
        cairn__err_prefix(rc, "validate %s", m->ref);
    cairn__model_release(m);
    return rc;
}

/* Does the stored model reference (ns/name@version) match want? */
static bool model_matches(const char *stored, const mref *want)
{
    size_t nl = strlen(want->ns), ml = strlen(want->name);
    if (strncmp(stored, want->ns, nl) != 0 || stored[nl] != '/' ||
        strncmp(stored + nl + 1, want->name, ml) != 0 || stored[nl + 1 + ml] != '@')
        return false;
    if (!want->version)
        return true;
    char v[16];
    snprintf(v, sizeof v, "%u", want->version);
    return strcmp(stored + nl + 1 + ml + 1, v) == 0;
}

/* The model ref names: a namespace is taken from the registry when the ref
 * has none (the one it resolves to; "default" when it is not registered). */
static int expected_model(cairn_store *s, const char *ref, mref *want)
{
    int rc = ref_parse(ref, want);
    if (rc || want->has_ns)
        return rc;
    cairn__model *m = NULL;
    rc = cairn__model_get(s, want->name, &m);
    if (rc == CAIRN_ENOTFOUND)
        return CAIRN_OK;
    if (rc)
        return rc;
    size_t nl = (size_t)(strchr(m->ref, '/') - m->ref);
    memcpy(want->ns, m->ref, nl);
    want->ns[nl] = '\0';
    cairn__model_release(m);
    return CAIRN_OK;
}

CAIRN_API int cairn_get_model(cairn_store *s, const char *key, const char *ref,
                              unsigned flags, cairn_value **out)
{
    int rc;
    cairn_value *v = NULL;
    if (out)
        *out = NULL;
    cairn__err_clear();
    if (!s || !out)
        return cairn__err(CAIRN_EINVAL, "get: store or out is NULL");
    if (flags & ~CAIRN_GET_REVALIDATE)
        return cairn__err(CAIRN_EINVAL, "get %s: unknown flags 0x%x", key ? key : "(null)",
                          flags & ~CAIRN_GET_REVALIDATE);
    if ((rc = cairn_get(s, key, &v)))
        return rc;
    const char *k = cairn_value_key(v);
    const char *stored = cairn_value_meta(v)->model;
    mref want;
    if (ref) {
        if ((rc = expected_model(s, ref, &want))) {
            rc = cairn__err_prefix(rc, "get %s", k);
            goto fail;
        }
        if (!model_matches(stored, &want)) {
            char w[CAIRN_MODEL_MAX + 1];
            if (want.version)
                ref_format(&want, want.version, w);
            else
                snprintf(w, sizeof w, "%s/%s", want.ns, want.name);
            if (*stored)
                rc = cairn__err(CAIRN_EMODEL,
                                "get %s: wrong model: stored under model %s, expected %s", k,
                                stored, w);
            else
                rc = cairn__err(CAIRN_EMODEL,
                                "get %s: wrong model: stored under no model, expected %s", k,
                                w);
            goto fail;
        }
    }
    if (flags & CAIRN_GET_REVALIDATE) {
        char now[CAIRN_MODEL_MAX + 1];
        if (ref) {
            snprintf(now, sizeof now, "%s", ref);
        } else if (*stored) {
            /* the record's own model, newest version */
            snprintf(now, sizeof now, "%s", stored);
            char *at = strrchr(now, '@');
            if (at)
                *at = '\0';
        } else {
            rc = cairn__err(CAIRN_EMODEL,
                            "get %s: cannot revalidate: the record was stored under no model",
                            k);
            goto fail;
        }
        cairn__model *m = NULL;
        if ((rc = cairn__model_get(s, now, &m))) {
            rc = cairn__err_prefix(rc, "get %s: revalidate", k);
            goto fail;
        }
        size_t len;
        const void *data = cairn_value_data(v, &len);
        rc = validate(m, data, len, NULL);
        if (rc)
            cairn__err_prefix(rc, "get %s: no longer valid for model %s (stored under %s)",
                              k, m->ref, *stored ? stored : "none");
        cairn__model_release(m);
        if (rc)
            goto fail;
    }
    *out = v;
    return CAIRN_OK;
fail:
    cairn_value_free(v);
    return rc;
}
