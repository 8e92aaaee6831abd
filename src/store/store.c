/*
 * store.c — the front API. Every write is one backend update() whose
 * callbacks (below) decide the set behaviour, TTL, version and metadata
 * while the backend holds its lock, so all behaviours are atomic on every
 * backend. Reads decode and verify the record; listing streams in batches.
 */
#include "backend/backends.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/key.h"
#include "base/url.h"
#include "codec/codec.h"
#include "record/hint.h"
#include "record/record.h"
#include "record/zip.h"
#include "store/models.h"
#include "store/sys.h"
#include "cache/cache_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cairn_store {
    const cairn_backend_methods *m;
    void *be;
    cairn_options opt;
    uint64_t n_put, n_skip, n_get, n_miss, n_del; /* atomic counters */
    cairn__mcache *mc; /* compiled model schemas (src/model/registry.c) */
};

cairn__mcache *cairn__store_mcache(cairn_store *s)
{
    return s->mc;
}

struct cairn_value {
    cairn_meta meta;
    char model[CAIRN_MODEL_MAX + 1];
    char *key;
    size_t len;
    char *data; /* len bytes + NUL */
    size_t cap; /* bytes of this allocation */
    char *ext;  /* data when it was decompressed: its own allocation */
    cairn_cache_entry *pin; /* data lives in this memory-tier entry, held */
};

#define COUNT(s, f) __atomic_add_fetch(&(s)->f, 1, __ATOMIC_RELAXED)

/* ------------------------------------------------------------------ */
/* Backend registry                                                    */
/* ------------------------------------------------------------------ */

#define USER_BACKENDS_MAX 16
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const cairn_backend_methods *user_backends[USER_BACKENDS_MAX];

static const cairn_backend_methods *const builtin_backends[] = {
    &cairn__backend_mem,
#ifdef CAIRN_HAVE_FILE
    &cairn__backend_file,
#endif
#ifdef CAIRN_HAVE_SQLITE
    &cairn__backend_sqlite,
#endif
#ifdef CAIRN_HAVE_LMDB
    &cairn__backend_lmdb,
#endif
#ifdef CAIRN_HAVE_POSTGRES
    &cairn__backend_postgres,
#endif
#ifdef CAIRN_HAVE_REDIS
    &cairn__backend_redis,
#endif
    &cairn__backend_tiered, /* src/cache/tiered.c: memory over another backend */
    NULL};

/* Schemes we know of but that may not be built into this library. */
static const char *const known_schemes[] = {"mem", "file", "sqlite", "lmdb", "redis",
                                            "rediss", "postgres", "postgresql", "tiered", NULL};

CAIRN_API int cairn_backend_register(const cairn_backend_methods *m)
{
    if (!m || !m->name || !*m->name || strlen(m->name) > CAIRN__SCHEME_MAX)
        return cairn__err(CAIRN_EINVAL, "backend: name missing or too long");
    if (m->version < 1 || m->version > CAIRN_BACKEND_VERSION)
        return cairn__err(CAIRN_EINVAL, "backend %s: version %d not supported (max %d)",
                          m->name, m->version, CAIRN_BACKEND_VERSION);
    if (!m->open || !m->close || !m->get || !m->update || !m->scan)
        return cairn__err(CAIRN_EINVAL, "backend %s: a required slot is NULL", m->name);
    for (const char *p = m->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' ||
              *p == '.' || *p == '-'))
            return cairn__err(CAIRN_EINVAL, "backend %s: scheme must be lower case",
                              m->name);
    pthread_mutex_lock(&reg_lock);
    int slot = -1;
    for (int i = 0; i < USER_BACKENDS_MAX; i++) {
        if (user_backends[i] && strcmp(user_backends[i]->name, m->name) == 0) {
            slot = i;
            break;
        }
        if (!user_backends[i] && slot < 0)
            slot = i;
    }
    if (slot >= 0)
        user_backends[slot] = m;
    pthread_mutex_unlock(&reg_lock);
    if (slot < 0)
        return cairn__err(CAIRN_ENOMEM, "backend %s: too many registered backends",
                          m->name);
    return CAIRN_OK;
}

static const cairn_backend_methods *find_backend(const char *scheme)
{
    const cairn_backend_methods *m = NULL;
    pthread_mutex_lock(&reg_lock);
    for (int i = 0; i < USER_BACKENDS_MAX && !m; i++)
        if (user_backends[i] && strcmp(user_backends[i]->name, scheme) == 0)
            m = user_backends[i];
    pthread_mutex_unlock(&reg_lock);
    for (int i = 0; !m && builtin_backends[i]; i++)
        if (strcmp(builtin_backends[i]->name, scheme) == 0)
            m = builtin_backends[i];
    return m;
}

/* ------------------------------------------------------------------ */
/* Open / close                                                        */
/* ------------------------------------------------------------------ */

CAIRN_API int cairn_store_open(const char *url, const cairn_options *opt,
                               cairn_store **out)
{
    char scheme[CAIRN__SCHEME_MAX + 1];
    const char *loc;
    char shown[256]; /* the URL as messages show it: no password */
    cairn__err_clear();
    if (!out)
        return cairn__err(CAIRN_EINVAL, "open: out is NULL");
    int rc = cairn__url_split(url, scheme, &loc);
    if (rc)
        return rc;
    cairn_url_redact(url, shown, sizeof shown);
    if (!strcmp(scheme, "postgresql"))
        strcpy(scheme, "postgres");
    const cairn_backend_methods *m = find_backend(scheme);
    if (!m) {
        for (int i = 0; known_schemes[i]; i++)
            if (!strcmp(known_schemes[i], scheme))
                return cairn__err(CAIRN_EUNSUPPORTED,
                                  "open %.200s: the %s backend is not built into this libcairn",
                                  shown, scheme);
        return cairn__err(CAIRN_EURL,
                          "open %.200s: unknown scheme '%s' (known: mem, file, sqlite, lmdb, "
                          "redis, postgres, tiered)",
                          shown, scheme);
    }
    cairn_options o = {0};
    if (opt)
        o = *opt;
    if ((unsigned)o.durability > CAIRN_DURABILITY_FULL)
        return cairn__err(CAIRN_EINVAL, "open %.200s: unknown durability %d", shown,
                          (int)o.durability);
    if (o.busy_timeout_ms < 0)
        return cairn__err(CAIRN_EINVAL, "open %.200s: negative busy_timeout_ms", shown);
    if (o.busy_timeout_ms == 0)
        o.busy_timeout_ms = 10000;
    if (o.default_ttl_ms < 0)
        o.default_ttl_ms = 0;
    if ((rc = cairn__zip_level_check(o.compress_level)))
        return cairn__err_prefix(rc, "open %.200s", shown);
    if (o.compress_threshold == 0)
        o.compress_threshold = CAIRN__ZIP_MIN;

    cairn_store *s = calloc(1, sizeof *s);
    if (!s)
        return cairn__err(CAIRN_ENOMEM, "open %.200s: out of memory", shown);
    s->m = m;
    s->opt = o;
    if ((rc = cairn__mcache_new(&s->mc))) {
        free(s);
        return cairn__err_prefix(rc, "open %.200s", shown);
    }
    rc = m->open(loc, &s->opt, &s->be);
    if (rc) {
        cairn__mcache_free(s->mc);
        free(s);
        if (rc > 0)
            rc = CAIRN_EIO;
        return cairn__err_prefix(rc, "open %.200s", shown);
    }
    *out = s;
    return CAIRN_OK;
}

CAIRN_API void cairn_store_close(cairn_store *s)
{
    if (!s)
        return;
    s->m->close(s->be);
    cairn__mcache_free(s->mc);
    free(s);
}

/* For src/cache/tiered.c: a store's backend, and a store over a backend
 * handle opened elsewhere. */
void *cairn__store_be(cairn_store *s, const cairn_backend_methods **m, cairn_options *o)
{
    *m = s->m;
    if (o)
        *o = s->opt;
    return s->be;
}

bool cairn__store_batches(cairn_store *s)
{
    if (s->m == &cairn__backend_tiered)
        return cairn__tiered_batches(s->be);
    return s->m->version >= 2 && s->m->get_many != NULL;
}

int cairn__store_new(const cairn_backend_methods *m, void *be, const cairn_options *o,
                     cairn_store **out)
{
    cairn_store *s = calloc(1, sizeof *s);
    if (!s)
        return cairn__err(CAIRN_ENOMEM, "out of memory");
    s->m = m;
    s->be = be;
    s->opt = *o;
    int rc = cairn__mcache_new(&s->mc);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return CAIRN_OK;
}

CAIRN_API const char *cairn_store_backend(const cairn_store *s)
{
    return s ? s->m->name : "";
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

/* Each thread keeps its last freed small value block for the next get: a
 * get-use-free loop then never reaches malloc. */
#define VALUE_CACHE_MAX (64 * 1024)
static _Thread_local cairn_value *tls_spare;
static _Thread_local char *tls_buf; /* see buf_take() */
static _Thread_local size_t tls_cap;
static _Thread_local bool tls_busy, tls_registered;
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

/* At thread exit, free what the thread kept. */
static void tls_free(void *unused)
{
    (void)unused;
    free(tls_spare);
    tls_spare = NULL;
    free(tls_buf);
    tls_buf = NULL;
    tls_cap = 0;
}

static void tls_key_init(void)
{
    (void)pthread_key_create(&tls_key, tls_free);
}

/* Make sure tls_free() runs when this thread exits. */
static void tls_register(void)
{
    if (!tls_registered) {
        pthread_once(&tls_once, tls_key_init);
        (void)pthread_setspecific(tls_key, &tls_registered);
        tls_registered = true;
    }
}

/* A value for r: its bytes copied from r->value, or ext (size + 1 bytes,
 * NUL-terminated: a decompressed value) taken over as they are. ext is
 * freed on failure too. */
static cairn_value *value_new(const char *key, size_t klen, const cairn__rec *r, char *ext)
{
    size_t len = (size_t)r->meta.size;
    size_t ul = r->umeta_len;
    /* + 15: a value kept here starts 16-byte aligned, so that an npy
     * value's elements can be read in place (cairn_value_array); ext comes
     * from malloc, aligned as well. */
    /* A record from the memory tier is not copied: the value points into
     * its held entry, unless it is an npy value that would not be 16-byte
     * aligned there. */
    bool pin = !ext && cairn__rec_known.pin && r == cairn__rec_known.r &&
               (r->meta.format != CAIRN_FORMAT_NPY || ((uintptr_t)r->value & 15) == 0);
    size_t need = sizeof(cairn_value) + klen + 1 + (ul ? ul + 1 : 0) +
                  (ext || pin ? 0 : 15 + len + 1);
    cairn_value *v = tls_spare;
    if (v && v->cap >= need) {
        tls_spare = NULL;
    } else {
        if (!(v = malloc(need))) {
            free(ext);
            cairn__err(CAIRN_ENOMEM, "out of memory (%zu bytes)", len);
            return NULL;
        }
        v->cap = need;
    }
    v->meta = r->meta;
    memcpy(v->model, r->model, strnlen(r->model, CAIRN_MODEL_MAX) + 1);
    v->meta.model = v->model;
    v->key = (char *)(v + 1);
    memcpy(v->key, key, klen);
    v->key[klen] = '\0';
    char *p = v->key + klen + 1;
    v->meta.user_meta = NULL;
    if (ul) {
        memcpy(p, r->umeta, ul);
        p[ul] = '\0';
        v->meta.user_meta = p;
        p += ul + 1;
    }
    v->ext = ext;
    v->pin = NULL;
    if (pin) {
        /* From the memory tier: point at its bytes instead of copying. */
        cairn__cache_entry_hold(cairn__rec_known.pin);
        v->pin = cairn__rec_known.pin;
        v->data = (char *)(uintptr_t)r->value;
    } else if (ext) {
        v->data = ext;
    } else {
        v->data = (char *)(((uintptr_t)p + 15) & ~(uintptr_t)15);
        if (len)
            memcpy(v->data, r->value, len);
        v->data[len] = '\0';
    }
    v->len = len;
    return v;
}

CAIRN_API const void *cairn_value_data(const cairn_value *v, size_t *len)
{
    if (len)
        *len = v ? v->len : 0;
    return v ? v->data : NULL;
}

CAIRN_API const cairn_meta *cairn_value_meta(const cairn_value *v)
{
    return v ? &v->meta : NULL;
}

CAIRN_API const char *cairn_value_key(const cairn_value *v)
{
    return v ? v->key : NULL;
}

CAIRN_API void cairn_value_free(cairn_value *v)
{
    if (v) {
        free(v->ext);
        v->ext = NULL;
        if (v->pin)
            cairn_cache_entry_release(v->pin);
        v->pin = NULL;
    }
    if (v && v->cap <= VALUE_CACHE_MAX) {
        tls_register();
        cairn_value *old = tls_spare;
        tls_spare = v;
        v = old;
    }
    free(v);
}

/* ------------------------------------------------------------------ */
/* Argument checks                                                     */
/* ------------------------------------------------------------------ */

static int check_store(cairn_store *s, const char *what)
{
    cairn__err_clear();
    if (!s)
        return cairn__err(CAIRN_EINVAL, "%s: store is NULL", what);
    return CAIRN_OK;
}

/* Normalise key into buf; writes refuse the reserved namespace. */
static int norm_key(const char *what, const char *key, char *buf, size_t *len,
                    bool write)
{
    int rc = cairn__key_norm(key, buf, len);
    if (rc)
        return cairn__err_prefix(rc, "%s %s", what, key ? key : "(null)");
    if (write && cairn__key_reserved(buf, *len))
        return cairn__err(CAIRN_EKEY, "%s %s: invalid key: '_cairn/' is reserved for "
                                      "the library's own records",
                          what, buf);
    return CAIRN_OK;
}

/* Check val for its format. validated: a model's validator will parse it
 * next (it accepts exactly what cairn__json_check does), so the JSON check
 * is left to it: one pass, not two. */
static int check_value(const cairn_put_opts *o, const void *val, size_t len, bool validated)
{
    if (!val && len)
        return cairn__err(CAIRN_EINVAL, "value is NULL with length %zu", len);
    if (len > CAIRN_VALUE_MAX)
        return cairn__err(CAIRN_EINVAL, "value is %zu bytes (max %u)", len,
                          CAIRN_VALUE_MAX);
    switch (o->format) {
    case CAIRN_FORMAT_JSON:
        if (validated)
            return CAIRN_OK;
        return cairn__json_check(val, len);
    case CAIRN_FORMAT_TEXT: {
        size_t bad;
        if (!cairn__utf8_valid(val, len, &bad))
            return cairn__err(CAIRN_EFORMAT, "text is not valid UTF-8 at byte %zu", bad);
        return CAIRN_OK;
    }
    case CAIRN_FORMAT_BYTES:
        return CAIRN_OK;
    case CAIRN_FORMAT_MSGPACK:
        return cairn__msgpack_check(val, len);
    case CAIRN_FORMAT_NPY: {
        cairn_array a;
        return cairn_npy_parse(val, len, &a);
    }
    }
    return CAIRN_OK;
}

static int check_opts(const cairn_put_opts *o)
{
    if ((unsigned)o->behavior > CAIRN_OVERWRITE)
        return cairn__err(CAIRN_EINVAL, "unknown behavior %d", (int)o->behavior);
    if ((unsigned)o->format > CAIRN_FORMAT_NPY)
        return cairn__err(CAIRN_EINVAL, "unknown format %d", (int)o->format);
    if (o->model && !cairn__model_ref_valid(o->model))
        return cairn__err(CAIRN_EINVAL,
                          "bad model reference '%s' (1..%d bytes of A-Z a-z 0-9 _ . @ # / -)",
                          o->model, CAIRN_MODEL_MAX);
    if (o->model && o->format != CAIRN_FORMAT_JSON)
        return cairn__err(CAIRN_EINVAL, "a model needs the json format, not %s",
                          cairn_format_name(o->format));
    if (o->fill_defaults && !o->model)
        return cairn__err(CAIRN_EINVAL, "fill_defaults needs a model");
    return CAIRN_OK;
}

/* User metadata: a JSON object of at most CAIRN_USER_META_MAX bytes. */
static int check_umeta(const char *um, size_t ul)
{
    if (ul > CAIRN_USER_META_MAX)
        return cairn__err(CAIRN_EINVAL, "user metadata is %zu bytes (max %d)", ul,
                          CAIRN_USER_META_MAX);
    if (cairn__json_check(um, ul) != CAIRN_OK)
        return cairn__err_prefix(CAIRN_EINVAL, "user metadata is not JSON");
    size_t i = 0;
    while (i < ul && strchr(" \t\r\n", um[i]))
        i++;
    if (i == ul || um[i] != '{')
        return cairn__err(CAIRN_EINVAL, "user metadata is not a JSON object");
    return CAIRN_OK;
}

/* ------------------------------------------------------------------ */
/* Writes: one callback for put, update, incr and delete               */
/* ------------------------------------------------------------------ */

typedef enum { OP_PUT, OP_UPDATE, OP_DELETE, OP_PURGE } op_kind;

typedef struct {
    cairn_store *s;
    op_kind kind;
    const char *key;
    size_t klen;
    const void *val;
    size_t len;
    cairn_put_opts o;
    bool keep_ttl;      /* keep the old record's expiry (incr) */
    const cairn_meta *rec; /* put_record: the times, expiry and version to
                              keep instead of stamping them now */
    int64_t now;
    int status;         /* CAIRN_OK / CAIRN_SKIPPED / ENOTFOUND for deletes */
    char *buf;          /* encoded new record */
    size_t cap;
    cairn_update_fn ufn;
    void *uarg;
    bool tls; /* buf is the thread's cached buffer */
    cairn__model *model; /* update with a model: validates the new value */
    char *filled;        /* update with fill_defaults: the filled value */
    const cairn__iov *iov; /* a put of a value in pieces (cairn_put_array):
                              niov pieces of len bytes in all; val is NULL */
    size_t niov;
    const char *um;      /* user metadata to write (checked), um_set */
    size_t ul;
    bool um_set;         /* false: none (put) or the old record's (update) */
    char *otmp;          /* the old record's value, decompressed */
} wctx;

/* The user metadata of c's options, checked and set to be written; none
 * given: nothing to do (an update then keeps the record's). */
static int take_umeta(wctx *c)
{
    if (!c->o.user_meta)
        return CAIRN_OK;
    size_t ul = strlen(c->o.user_meta);
    int rc = check_umeta(c->o.user_meta, ul);
    if (rc)
        return rc;
    c->um = c->o.user_meta;
    c->ul = ul;
    c->um_set = true;
    return CAIRN_OK;
}

static int model_validate(const cairn__model *m, bool fill, const void **val, size_t *len,
                          char **filled);

static int encode(wctx *c, const cairn__rec *old, bool have_old, const cairn__iov *iov,
                  size_t niov, const void **out, size_t *olen)
{
    size_t len = 0;
    for (size_t i = 0; i < niov; i++)
        len += iov[i].len;
    cairn_meta m = {0};
    m.version = have_old ? old->meta.version + 1 : 1;
    m.format = c->o.format;
    /* An expired old record is absent: only its version number carries
     * over (so compare-and-set never sees a version twice). */
    bool live = have_old && !cairn__expired(old->meta.expires_ms, c->now);
    m.created_ms = live ? old->meta.created_ms : c->now;
    m.updated_ms = c->now;
    int64_t ttl = c->o.ttl_ms ? c->o.ttl_ms : c->s->opt.default_ttl_ms;
    if (c->keep_ttl && live)
        m.expires_ms = old->meta.expires_ms;
    else
        m.expires_ms = ttl > 0 ? c->now + ttl : 0;
    if (c->rec) {
        /* A record brought from elsewhere keeps its own history; its
         * version only ever moves this key's version forward. */
        if (c->rec->version > m.version)
            m.version = c->rec->version;
        m.created_ms = c->rec->created_ms ? c->rec->created_ms : c->now;
        m.updated_ms = c->rec->updated_ms ? c->rec->updated_ms : c->now;
        m.expires_ms = c->rec->expires_ms;
    }
    m.size = len;
    m.checksum = cairn__hash_iov(iov, niov);
    m.model = c->o.model;
    /* User metadata: this write's, else an update keeps the record's. */
    const char *um = NULL;
    size_t ul = 0;
    if (c->um_set) {
        um = c->um;
        ul = c->ul;
    } else if (c->kind == OP_UPDATE && live) {
        um = old->umeta;
        ul = old->umeta_len;
    }
    m.user_meta_len = ul;
    /* The body goes after room for the longest header; the header is then
     * written just before it, so neither is moved. */
    int rc = cairn__grow(&c->buf, &c->cap, CAIRN__HEAD_MAX + ul + len);
    if (rc)
        return rc;
    char *body = c->buf + CAIRN__HEAD_MAX;
    if (ul)
        memcpy(body, um, ul);
    char *vdst = body + ul;
    m.compression = "none";
    m.stored_size = len;
    int64_t min = c->s->opt.compress_threshold;
    if (min > 0 && (uint64_t)len >= (uint64_t)min) {
        /* Kept compressed only when that saves 1/32 of the value or more:
         * below that, reads would pay decompression for nothing. The
         * compressor reads the pieces as they are. */
        size_t zl = 0;
        rc = cairn__zip(iov, niov, c->s->opt.compress_level, vdst, len - len / 32 - 1, &zl);
        if (rc < 0)
            return rc;
        if (rc == CAIRN_OK) {
            m.compression = "zstd";
            m.stored_size = zl;
        }
    }
    if (m.stored_size == len) {
        /* The pieces are copied once, straight into the record. */
        char *p = vdst;
        for (size_t i = 0; i < niov; i++)
            if (iov[i].len) {
                memcpy(p, iov[i].base, iov[i].len);
                p += iov[i].len;
            }
    }
    char head[CAIRN__HEAD_MAX];
    size_t h = cairn__rec_head_u(head, &m, ul ? cairn__hash(um, ul) : 0);
    memcpy(body - h, head, h);
    *out = body - h;
    *olen = h + ul + (size_t)m.stored_size;
    return CAIRN_BACKEND_WRITE;
}

static bool values_equal(const wctx *c, const cairn__rec *old)
{
    if (old->meta.format != c->o.format)
        return false;
    /* The same value under another model (or none) is a different record. */
    if (strcmp(old->model, c->o.model ? c->o.model : "") != 0)
        return false;
    /* c->val may be NULL when c->len is 0: memcmp must not see it. */
    bool same_bytes = old->meta.size == c->len;
    if (!c->niov) {
        same_bytes = same_bytes && (c->len == 0 || memcmp(old->value, c->val, c->len) == 0);
    } else { /* a value in pieces: compared piece by piece */
        size_t off = 0;
        for (size_t i = 0; i < c->niov && same_bytes; i++) {
            same_bytes = c->iov[i].len == 0 ||
                         memcmp(old->value + off, c->iov[i].base, c->iov[i].len) == 0;
            off += c->iov[i].len;
        }
    }
    if (same_bytes || (c->o.format != CAIRN_FORMAT_JSON && c->o.format != CAIRN_FORMAT_MSGPACK))
        return same_bytes;
    /* Semantic comparison. jansson refuses a few documents our check
     * accepts (lone surrogate escapes, numbers beyond double): those
     * compare by bytes, which already said no. msgpack compares as the JSON
     * it converts to (map order and integer widths do not matter); a value
     * with no JSON form (bin, ext) compares by bytes. */
    bool eq = false;
    if (c->o.format == CAIRN_FORMAT_MSGPACK) {
        void *a = NULL, *b = NULL;
        size_t al = 0, bl = 0;
        if (cairn_convert(old->value, (size_t)old->meta.size, CAIRN_FORMAT_MSGPACK,
                          CAIRN_FORMAT_JSON, &a, &al) == CAIRN_OK &&
            cairn_convert(c->val, c->len, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, &b,
                          &bl) == CAIRN_OK &&
            cairn__json_equal(a, al, b, bl, &eq) != CAIRN_OK)
            eq = false;
        free(a);
        free(b);
        return eq;
    }
    if (cairn__json_equal(old->value, old->meta.size, c->val, c->len, &eq))
        return false;
    return eq;
}

static int write_decide(wctx *c, const void *rec, size_t rlen, const void **out,
                        size_t *olen);

static int write_cb(void *ctx, const void *rec, size_t rlen, const void **out,
                    size_t *olen)
{
    wctx *c = ctx;
    int rc = write_decide(c, rec, rlen, out, olen);
    /* The new record is encoded (into c->buf): the old value's
     * decompressed copy is not needed any more. */
    free(c->otmp);
    c->otmp = NULL;
    return rc;
}

static int write_decide(wctx *c, const void *rec, size_t rlen, const void **out,
                        size_t *olen)
{
    cairn__rec old;
    bool decoded = false, live = false;
    /* Reading the value (and so verifying it) is only needed by some ops. */
    bool need_value = c->kind == OP_UPDATE ||
                      (c->kind == OP_PUT && !c->o.if_version &&
                       c->o.behavior == CAIRN_FAIL_IF_DIFFERENT);
    c->status = CAIRN_OK;
    if (rec) {
        int rc = cairn__rec_decode(rec, rlen, need_value, &old);
        if (rc == CAIRN_OK && need_value)
            rc = cairn__rec_load(&old, &c->otmp);
        if (rc == CAIRN_OK) {
            decoded = true;
            live = !cairn__expired(old.meta.expires_ms, c->now);
        } else if (c->kind == OP_DELETE || c->kind == OP_PURGE ||
                   (c->kind == OP_PUT && c->o.behavior == CAIRN_OVERWRITE &&
                    !c->o.if_version)) {
            live = c->kind == OP_DELETE; /* a corrupt record is still a record */
        } else {
            return rc;
        }
    }

    switch (c->kind) {
    case OP_DELETE:
        c->status = live ? CAIRN_OK : CAIRN_ENOTFOUND;
        return rec ? CAIRN_BACKEND_DELETE : CAIRN_BACKEND_KEEP;
    case OP_PURGE:
        if (rec && decoded && !live)
            return CAIRN_BACKEND_DELETE;
        c->status = CAIRN_ENOTFOUND;
        return CAIRN_BACKEND_KEEP;
    case OP_UPDATE: {
        cairn_value *cur = NULL;
        if (live && !(cur = value_new(c->key, c->klen, &old, NULL)))
            return CAIRN_ENOMEM;
        const void *nv = NULL;
        size_t nl = 0;
        int rc = c->ufn(cur, c->uarg, &nv, &nl);
        cairn_value_free(cur);
        if (rc == CAIRN_SKIPPED) {
            c->status = CAIRN_SKIPPED;
            return CAIRN_BACKEND_KEEP;
        }
        if (rc < 0)
            return rc;
        if (rc != CAIRN_OK)
            return cairn__err(CAIRN_EINVAL, "update function returned %d", rc);
        if ((rc = check_value(&c->o, nv, nl, c->model != NULL)))
            return rc;
        if (c->model) {
            free(c->filled); /* a backend that retries calls us again */
            c->filled = NULL;
            if ((rc = model_validate(c->model, c->o.fill_defaults, &nv, &nl, &c->filled)))
                return rc;
        }
        cairn__iov one = {nv, nl};
        return encode(c, &old, decoded, &one, 1, out, olen);
    }
    case OP_PUT:
        break;
    }

    if (c->o.if_version) {
        if (!live)
            return cairn__err(CAIRN_ENOTFOUND, "compare-and-set on an absent key");
        if (old.meta.version != c->o.if_version)
            return cairn__err(CAIRN_ECONFLICT, "version is %llu, expected %llu",
                              (unsigned long long)old.meta.version,
                              (unsigned long long)c->o.if_version);
    } else if (live) {
        switch (c->o.behavior) {
        case CAIRN_FAIL_IF_EXISTS:
            return cairn__err(CAIRN_EEXISTS, "already exists (version %llu)",
                              (unsigned long long)old.meta.version);
        case CAIRN_SKIP_IF_EXISTS:
            c->status = CAIRN_SKIPPED;
            return CAIRN_BACKEND_KEEP;
        case CAIRN_FAIL_IF_DIFFERENT:
            if (values_equal(c, &old)) {
                if (c->rec) /* its metadata was not written: say so */
                    c->status = CAIRN_SKIPPED;
                return CAIRN_BACKEND_KEEP;
            }
            if (strcmp(old.model, c->o.model ? c->o.model : ""))
                return cairn__err(CAIRN_EDIFFERENT,
                                  "a record under another model exists (version %llu, "
                                  "model '%s', this put's '%s')",
                                  (unsigned long long)old.meta.version, old.model,
                                  c->o.model ? c->o.model : "");
            return cairn__err(CAIRN_EDIFFERENT,
                              "a different value exists (version %llu)",
                              (unsigned long long)old.meta.version);
        case CAIRN_OVERWRITE:
            break;
        }
    }
    cairn__iov one = {c->val, c->len};
    if (c->niov)
        return encode(c, &old, decoded, c->iov, c->niov, out, olen);
    return encode(c, &old, decoded, &one, 1, out, olen);
}

/* One-key writes encode into a buffer the thread keeps (a put then makes
 * no allocation); a nested use on the same thread gets its own. */
#define ENCODE_CACHE_MAX (1024 * 1024)

static void buf_take(wctx *c)
{
    if (!tls_busy) {
        tls_busy = true;
        c->buf = tls_buf;
        c->cap = tls_cap;
        c->tls = true;
    }
}

/* Resolve the model of a write through the handle's cache; a model that
 * is not registered is the caller's mistake about the model (EMODEL), not a
 * missing key. mref receives the resolved reference. */
static int model_hold(cairn_store *s, const char *ref, char *mref, cairn__model **m)
{
    int rc = cairn__model_get(s, ref, m);
    if (rc == CAIRN_ENOTFOUND)
        return cairn__err(CAIRN_EMODEL, "model '%s' is not registered", ref);
    if (rc == CAIRN_OK)
        snprintf(mref, CAIRN_MODEL_MAX + 1, "%s", cairn__model_ref(*m));
    return rc;
}

/* Validate *val against m (filled with defaults first when fill). *filled:
 * the filled copy that *val then points to, freed by the caller. */
static int model_validate(const cairn__model *m, bool fill, const void **val, size_t *len,
                          char **filled)
{
    size_t fl = 0;
    int rc = cairn__model_apply(m, *val, *len, fill, filled, &fl);
    if (rc == CAIRN_EVALIDATION)
        return cairn__err_prefix(rc, "model %s", cairn__model_ref(m));
    if (rc == CAIRN_OK && *filled) {
        *val = *filled;
        *len = fl;
    }
    return rc;
}

/* A put with a model: resolve, validate, and point o->model at mref. */
static int model_check(cairn_store *s, cairn_put_opts *o, char *mref, const void **val,
                       size_t *len, char **filled)
{
    cairn__model *m = NULL;
    int rc = model_hold(s, o->model, mref, &m);
    if (rc)
        return rc;
    rc = model_validate(m, o->fill_defaults, val, len, filled);
    if (rc == CAIRN_OK)
        o->model = mref;
    cairn__model_release(m);
    return rc;
}

static void buf_give(wctx *c)
{
    if (!c->tls) {
        free(c->buf);
        return;
    }
    if (c->cap > ENCODE_CACHE_MAX) {
        free(c->buf);
        c->buf = NULL;
        c->cap = 0;
    }
    if (c->buf)
        tls_register();
    tls_buf = c->buf;
    tls_cap = c->cap;
    tls_busy = false;
}

static int run_ops(cairn_store *s, const cairn_backend_op *ops, size_t n)
{
    int rc = s->m->update(s->be, ops, n);
    return rc > 0 ? CAIRN_EIO : rc;
}

static void wctx_init(wctx *c, cairn_store *s, op_kind kind, const char *key,
                      size_t klen, const cairn_put_opts *o)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->kind = kind;
    c->key = key;
    c->klen = klen;
    if (o)
        c->o = *o;
    c->now = cairn_now_ms();
}

/* Run the checked put c (one key) and count it: CAIRN_OK, CAIRN_SKIPPED
 * or the error, named with the key. */
static int put_run(cairn_store *s, wctx *c)
{
    cairn_backend_op op = {c->key, c->klen, write_cb, c};
    buf_take(c);
    int rc = run_ops(s, &op, 1);
    buf_give(c);
    if (rc)
        return cairn__err_prefix(rc, "put %s", c->key);
    COUNT(s, n_put);
    if (c->status == CAIRN_SKIPPED)
        COUNT(s, n_skip);
    return c->status;
}

CAIRN_API int cairn_put(cairn_store *s, const char *key, const void *val, size_t len,
                        const cairn_put_opts *opt)
{
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    int rc;
    if ((rc = check_store(s, "put")) || (rc = norm_key("put", key, k, &klen, true)))
        return rc;
    wctx c;
    wctx_init(&c, s, OP_PUT, k, klen, opt);
    c.val = val;
    c.len = len;
    if ((rc = check_opts(&c.o)) || (rc = check_value(&c.o, val, len, c.o.model != NULL)) ||
        (rc = take_umeta(&c)))
        return cairn__err_prefix(rc, "put %s", k);
    char mref[CAIRN_MODEL_MAX + 1];
    char *filled = NULL;
    if (c.o.model && (rc = model_check(s, &c.o, mref, &c.val, &c.len, &filled)))
        return cairn__err_prefix(rc, "put %s", k);
    rc = put_run(s, &c);
    free(filled);
    return rc;
}

/* An array goes in as two pieces, the .npy header built here and the
 * caller's elements, which encode() copies once into the record. */
CAIRN_API int cairn_put_array(cairn_store *s, const char *key, const cairn_array *a,
                              const cairn_put_opts *opt)
{
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    int rc;
    if ((rc = check_store(s, "put")) || (rc = norm_key("put", key, k, &klen, true)))
        return rc;
    if ((rc = cairn__npy_array_check(a)))
        return cairn__err_prefix(rc, "put %s", k);
    char head[CAIRN__NPY_HEAD_MAX];
    cairn__iov iov[2] = {{head, cairn__npy_head(a, head)}, {a->data, a->nbytes}};
    wctx c;
    wctx_init(&c, s, OP_PUT, k, klen, opt);
    c.o.format = CAIRN_FORMAT_NPY;
    c.iov = iov;
    c.niov = 2;
    c.len = iov[0].len + iov[1].len;
    if ((rc = check_opts(&c.o)) || (rc = take_umeta(&c)))
        return cairn__err_prefix(rc, "put %s", k);
    return put_run(s, &c);
}

CAIRN_API int cairn_update(cairn_store *s, const char *key, cairn_update_fn fn,
                           void *arg, const cairn_put_opts *opt)
{
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    int rc;
    if ((rc = check_store(s, "update")) || (rc = norm_key("update", key, k, &klen, true)))
        return rc;
    if (!fn)
        return cairn__err(CAIRN_EINVAL, "update %s: fn is NULL", k);
    wctx c;
    wctx_init(&c, s, OP_UPDATE, k, klen, opt);
    c.ufn = fn;
    c.uarg = arg;
    if ((rc = check_opts(&c.o)) || (rc = take_umeta(&c)))
        return cairn__err_prefix(rc, "update %s", k);
    char mref[CAIRN_MODEL_MAX + 1];
    if (c.o.model) {
        if ((rc = model_hold(s, c.o.model, mref, &c.model)))
            return cairn__err_prefix(rc, "update %s", k);
        c.o.model = mref;
    }
    cairn_backend_op op = {k, klen, write_cb, &c};
    buf_take(&c);
    rc = run_ops(s, &op, 1);
    buf_give(&c);
    cairn__model_release(c.model);
    free(c.filled);
    if (rc)
        return cairn__err_prefix(rc, "update %s", k);
    COUNT(s, n_put);
    return c.status;
}

typedef struct {
    int64_t by, result;
    char buf[32];
} incr_arg;

static int incr_fn(const cairn_value *cur, void *arg, const void **val, size_t *len)
{
    incr_arg *a = arg;
    int64_t n = 0;
    if (cur) {
        const char *p = cur->data, *e = cur->data + cur->len;
        while (p < e && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
            p++;
        bool neg = p < e && *p == '-';
        if (neg)
            p++;
        if (p == e || *p < '0' || *p > '9')
            return cairn__err(CAIRN_EFORMAT, "value is not a JSON integer");
        uint64_t u = 0;
        for (; p < e && *p >= '0' && *p <= '9'; p++) {
            if (u > (UINT64_MAX - 9) / 10)
                return cairn__err(CAIRN_EFORMAT, "value is not a 64-bit integer");
            u = u * 10 + (uint64_t)(*p - '0');
        }
        while (p < e && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
            p++;
        if (p != e || (!neg && u > INT64_MAX) || (neg && u > (uint64_t)INT64_MAX + 1))
            return cairn__err(CAIRN_EFORMAT, "value is not a 64-bit JSON integer");
        n = neg ? (int64_t)(0 - u) : (int64_t)u;
    }
    if (__builtin_add_overflow(n, a->by, &a->result))
        return cairn__err(CAIRN_EINVAL, "increment overflows a 64-bit integer");
    int w = snprintf(a->buf, sizeof a->buf, "%lld", (long long)a->result);
    *val = a->buf;
    *len = (size_t)w;
    return CAIRN_OK;
}

CAIRN_API int cairn_incr(cairn_store *s, const char *key, int64_t by, int64_t *out)
{
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    int rc;
    if ((rc = check_store(s, "incr")) || (rc = norm_key("incr", key, k, &klen, true)))
        return rc;
    incr_arg a = {by, 0, {0}};
    wctx c;
    wctx_init(&c, s, OP_UPDATE, k, klen, NULL);
    c.ufn = incr_fn;
    c.uarg = &a;
    c.keep_ttl = true;
    cairn_backend_op op = {k, klen, write_cb, &c};
    buf_take(&c);
    rc = run_ops(s, &op, 1);
    buf_give(&c);
    if (rc)
        return cairn__err_prefix(rc, "incr %s", k);
    COUNT(s, n_put);
    if (out)
        *out = a.result;
    return CAIRN_OK;
}

CAIRN_API int cairn_delete(cairn_store *s, const char *key)
{
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    int rc;
    if ((rc = check_store(s, "delete")) || (rc = norm_key("delete", key, k, &klen, true)))
        return rc;
    wctx c;
    wctx_init(&c, s, OP_DELETE, k, klen, NULL);
    cairn_backend_op op = {k, klen, write_cb, &c};
    rc = run_ops(s, &op, 1);
    if (rc)
        return cairn__err_prefix(rc, "delete %s", k);
    if (c.status == CAIRN_ENOTFOUND)
        return cairn__err(CAIRN_ENOTFOUND, "delete %s: not found", k);
    COUNT(s, n_del);
    return CAIRN_OK;
}

/* ------------------------------------------------------------------ */
/* The library's own records                                           */
/* ------------------------------------------------------------------ */

static int run_batch(cairn_store *s, wctx *cs, size_t n);

int cairn__sys_write(cairn_store *s, cairn__sys_op *ops, size_t n)
{
    if (n == 0)
        return CAIRN_OK;
    wctx *cs = calloc(n, sizeof *cs);
    incr_arg *ia = calloc(n, sizeof *ia);
    int rc = CAIRN_OK;
    if (!cs || !ia) {
        rc = cairn__err(CAIRN_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        size_t klen = strlen(ops[i].key);
        switch (ops[i].kind) {
        case CAIRN__SYS_CREATE:
            wctx_init(&cs[i], s, OP_PUT, ops[i].key, klen, NULL);
            cs[i].val = ops[i].val;
            cs[i].len = ops[i].len;
            break;
        case CAIRN__SYS_DELETE:
            wctx_init(&cs[i], s, OP_DELETE, ops[i].key, klen, NULL);
            break;
        case CAIRN__SYS_BUMP:
            wctx_init(&cs[i], s, OP_UPDATE, ops[i].key, klen, NULL);
            ia[i].by = 1;
            cs[i].ufn = incr_fn;
            cs[i].uarg = &ia[i];
            break;
        }
    }
    rc = run_batch(s, cs, n);
    for (size_t i = 0; i < n && !rc; i++)
        ops[i].status = cs[i].status;
out:
    for (size_t i = 0; cs && i < n; i++)
        free(cs[i].buf);
    free(cs);
    free(ia);
    return rc;
}

static int version_cb(void *ctx, const void *rec, size_t len)
{
    cairn__rec r;
    int rc = cairn__rec_decode(rec, len, false, &r);
    if (rc == CAIRN_OK)
        *(uint64_t *)ctx = r.meta.version;
    return rc;
}

int cairn__sys_version(cairn_store *s, const char *key, uint64_t *version)
{
    uint64_t v = 0;
    int rc = s->m->get(s->be, key, strlen(key), version_cb, &v);
    if (rc > 0)
        rc = CAIRN_EIO;
    if (rc && rc != CAIRN_ENOTFOUND)
        return rc;
    *version = v;
    return CAIRN_OK;
}

/* ------------------------------------------------------------------ */
/* Batches                                                             */
/* ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Normalise n keys into one allocation; refuse duplicates. keys_out[i]
 * points into *arena. */
static int norm_keys(const char *what, const char *const *keys, size_t n, bool write,
                     char ***keys_out, size_t **lens_out)
{
    char **ks = calloc(n ? n : 1, sizeof *ks);
    size_t *ls = calloc(n ? n : 1, sizeof *ls);
    char **sorted = calloc(n ? n : 1, sizeof *sorted);
    int rc = CAIRN_OK;
    if (!ks || !ls || !sorted) {
        rc = cairn__err(CAIRN_ENOMEM, "%s: out of memory", what);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char k[CAIRN_KEY_MAX + 1];
        if ((rc = norm_key(what, keys[i], k, &ls[i], write)))
            goto out;
        if (!(ks[i] = malloc(ls[i] + 1))) {
            rc = cairn__err(CAIRN_ENOMEM, "%s: out of memory", what);
            goto out;
        }
        memcpy(ks[i], k, ls[i] + 1);
        sorted[i] = ks[i];
    }
    qsort(sorted, n, sizeof *sorted, cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0) {
            rc = cairn__err(CAIRN_EINVAL, "%s: key %s appears twice in the batch", what,
                            sorted[i]);
            goto out;
        }
out:
    free(sorted);
    if (rc) {
        for (size_t i = 0; ks && i < n; i++)
            free(ks[i]);
        free(ks);
        free(ls);
        return rc;
    }
    *keys_out = ks;
    *lens_out = ls;
    return CAIRN_OK;
}

static void free_keys(char **ks, size_t *ls, size_t n)
{
    for (size_t i = 0; ks && i < n; i++)
        free(ks[i]);
    free(ks);
    free(ls);
}

/* Run n write contexts as one backend update (cb: write_cb or a wrapper). */
static int run_batch_cb(cairn_store *s, wctx *cs, size_t n, cairn_backend_update_fn cb)
{
    cairn_backend_op *ops = malloc((n ? n : 1) * sizeof *ops);
    if (!ops)
        return cairn__err(CAIRN_ENOMEM, "batch: out of memory");
    for (size_t i = 0; i < n; i++)
        ops[i] = (cairn_backend_op){cs[i].key, cs[i].klen, cb, &cs[i]};
    int rc = n ? run_ops(s, ops, n) : CAIRN_OK;
    free(ops);
    return rc;
}

static int run_batch(cairn_store *s, wctx *cs, size_t n)
{
    return run_batch_cb(s, cs, n, write_cb);
}

CAIRN_API int cairn_put_many(cairn_store *s, cairn_put_item *items, size_t n,
                             const cairn_put_opts *opt)
{
    int rc;
    if ((rc = check_store(s, "put_many")))
        return rc;
    if (!items && n)
        return cairn__err(CAIRN_EINVAL, "put_many: items is NULL");
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return cairn__err(CAIRN_ENOMEM, "put_many: out of memory");
    for (size_t i = 0; i < n; i++)
        keys[i] = items[i].key;
    char **ks = NULL;
    size_t *ls = NULL;
    rc = norm_keys("put_many", keys, n, true, &ks, &ls);
    free(keys);
    if (rc)
        return rc;
    wctx *cs = calloc(n ? n : 1, sizeof *cs);
    if (!cs) {
        free_keys(ks, ls, n);
        return cairn__err(CAIRN_ENOMEM, "put_many: out of memory");
    }
    size_t i;
    /* One model for the batch, resolved once. */
    char mref[CAIRN_MODEL_MAX + 1];
    cairn__model *model = NULL;
    if (opt && opt->model && (rc = check_opts(opt)) == CAIRN_OK &&
        (rc = model_hold(s, opt->model, mref, &model)) != CAIRN_OK) {
        rc = cairn__err_prefix(rc, "put_many");
        for (i = 0; i < n; i++)
            items[i].status = rc;
        goto out;
    }
    for (i = 0; i < n; i++) {
        wctx_init(&cs[i], s, OP_PUT, ks[i], ls[i], opt);
        cs[i].val = items[i].val;
        cs[i].len = items[i].len;
        items[i].status = CAIRN_OK;
        if (model)
            cs[i].o.model = mref;
        if ((rc = check_opts(&cs[i].o)) || (rc = check_value(&cs[i].o, items[i].val,
                                                             items[i].len, model != NULL)) ||
            (rc = take_umeta(&cs[i])) ||
            (model && (rc = model_validate(model, cs[i].o.fill_defaults, &cs[i].val,
                                           &cs[i].len, &cs[i].filled)))) {
            items[i].status = rc;
            rc = cairn__err_prefix(rc, "put_many %s", ks[i]);
            goto out;
        }
    }
    rc = run_batch(s, cs, n);
    for (i = 0; i < n; i++) {
        if (rc == CAIRN_OK) {
            items[i].status = cs[i].status;
            COUNT(s, n_put);
            if (cs[i].status == CAIRN_SKIPPED)
                COUNT(s, n_skip);
        } else {
            items[i].status = rc;
        }
    }
    if (rc)
        rc = cairn__err_prefix(rc, "put_many");
out:
    cairn__model_release(model);
    for (i = 0; i < n; i++) {
        free(cs[i].buf);
        free(cs[i].filled);
    }
    free(cs);
    free_keys(ks, ls, n);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Records with their metadata (put_record)                            */
/* ------------------------------------------------------------------ */

/* write_cb, remembering whether this item is the one that failed: a batch
 * fails as a whole and the caller wants to name the culprit. */
static int record_cb(void *ctx, const void *rec, size_t rlen, const void **out,
                     size_t *olen)
{
    wctx *c = ctx;
    int rc = write_cb(ctx, rec, rlen, out, olen);
    c->status = rc < 0 ? rc : c->status;
    return rc;
}

static int check_meta(const cairn_meta *m, const void *val, size_t len)
{
    if (!m)
        return cairn__err(CAIRN_EINVAL, "meta is NULL");
    if (m->created_ms < 0 || m->updated_ms < 0 || m->expires_ms < 0)
        return cairn__err(CAIRN_EINVAL, "negative time in the metadata");
    if (m->created_ms && m->updated_ms && m->updated_ms < m->created_ms)
        return cairn__err(CAIRN_EINVAL, "updated_ms %lld is before created_ms %lld",
                          (long long)m->updated_ms, (long long)m->created_ms);
    if (m->checksum && (val || !len) && cairn__hash(val, len) != m->checksum)
        return cairn__err(CAIRN_ECORRUPT,
                          "checksum %016llx does not match the value (%016llx)",
                          (unsigned long long)m->checksum,
                          (unsigned long long)cairn__hash(val, len));
    return CAIRN_OK;
}

CAIRN_API int cairn_put_records(cairn_store *s, cairn_record_item *items, size_t n,
                                cairn_behavior behavior)
{
    int rc;
    if ((rc = check_store(s, "put_records")))
        return rc;
    if (!items && n)
        return cairn__err(CAIRN_EINVAL, "put_records: items is NULL");
    if ((unsigned)behavior > CAIRN_OVERWRITE)
        return cairn__err(CAIRN_EINVAL, "put_records: unknown behavior %d", (int)behavior);
    /* Keys are normalised into one arena: one allocation per batch. */
    char *arena = malloc(n ? n * (CAIRN_KEY_MAX + 1) : 1);
    wctx *cs = calloc(n ? n : 1, sizeof *cs);
    const char **sorted = calloc(n ? n : 1, sizeof *sorted);
    size_t *idx = calloc(n ? n : 1, sizeof *idx); /* cs[j] is items[idx[j]] */
    size_t m = 0, i;
    if (!arena || !cs || !sorted || !idx) {
        rc = cairn__err(CAIRN_ENOMEM, "put_records: out of memory");
        goto out;
    }
    int64_t now = cairn_now_ms();
    for (i = 0; i < n; i++)
        items[i].status = CAIRN_OK;
    for (i = 0; i < n; i++) {
        char *k = arena + i * (CAIRN_KEY_MAX + 1);
        size_t klen;
        const cairn_meta *md = items[i].meta;
        if ((rc = norm_key("put_record", items[i].key, k, &klen, true)))
            goto bad_item;
        sorted[i] = k;
        cairn_put_opts o = {.behavior = behavior};
        if (md) {
            o.format = md->format;
            o.model = md->model && *md->model ? md->model : NULL;
        }
        /* The record keeps its model reference but is not validated here
         * (the model may not exist in this store). */
        const char *um = md ? md->user_meta : NULL;
        size_t ul = um ? (md->user_meta_len ? md->user_meta_len : strlen(um)) : 0;
        if ((rc = check_meta(md, items[i].val, items[i].len)) || (rc = check_opts(&o)) ||
            (rc = check_value(&o, items[i].val, items[i].len, false)) ||
            (um && (rc = check_umeta(um, ul)))) {
            rc = cairn__err_prefix(rc, "put_record %s", k);
            goto bad_item;
        }
        if (md->expires_ms && cairn__expired(md->expires_ms, now)) {
            items[i].status = CAIRN_SKIPPED; /* already gone at the source */
            continue;
        }
        wctx_init(&cs[m], s, OP_PUT, k, klen, &o);
        cs[m].now = now;
        cs[m].val = items[i].val;
        cs[m].len = items[i].len;
        cs[m].rec = md;
        cs[m].um = um;
        cs[m].ul = ul;
        cs[m].um_set = um != NULL;
        idx[m++] = i;
        continue;
    bad_item:
        items[i].status = rc;
        goto out;
    }
    qsort(sorted, n, sizeof *sorted, cmp_str);
    for (i = 1; i < n; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0) {
            rc = cairn__err(CAIRN_EINVAL, "put_records: key %s appears twice in the batch",
                            sorted[i]);
            for (i = 0; i < n; i++)
                items[i].status = rc;
            goto out;
        }
    rc = m ? run_batch_cb(s, cs, m, record_cb) : CAIRN_OK;
    if (rc) {
        /* The item whose write_cb failed holds the error and is named; the
         * others keep 0. An error no item caused (I/O) goes to every item. */
        size_t j;
        for (j = 0; j < m && cs[j].status >= 0; j++)
            ;
        if (j < m) {
            items[idx[j]].status = cs[j].status;
            rc = cairn__err_prefix(cs[j].status, "put_record %s", cs[j].key);
        } else {
            for (i = 0; i < n; i++)
                items[i].status = rc;
        }
        goto out;
    }
    for (size_t j = 0; j < m; j++) {
        items[idx[j]].status = cs[j].status;
        COUNT(s, n_put);
        if (cs[j].status == CAIRN_SKIPPED)
            COUNT(s, n_skip);
    }
out:
    for (i = 0; i < m; i++)
        free(cs[i].buf);
    free(idx);
    free(sorted);
    free(cs);
    free(arena);
    return rc;
}

CAIRN_API int cairn_put_record(cairn_store *s, const char *key, const void *val,
                               size_t len, const cairn_meta *meta, cairn_behavior behavior)
{
    cairn_record_item it = {key, val, len, meta, 0};
    int rc = cairn_put_records(s, &it, 1, behavior);
    return rc ? rc : it.status;
}

CAIRN_API int cairn_delete_many(cairn_store *s, const char *const *keys, size_t n,
                                uint64_t *n_deleted)
{
    int rc;
    if ((rc = check_store(s, "delete_many")))
        return rc;
    if (!keys && n)
        return cairn__err(CAIRN_EINVAL, "delete_many: keys is NULL");
    char **ks = NULL;
    size_t *ls = NULL;
    if ((rc = norm_keys("delete_many", keys, n, true, &ks, &ls)))
        return rc;
    wctx *cs = calloc(n ? n : 1, sizeof *cs);
    if (!cs) {
        free_keys(ks, ls, n);
        return cairn__err(CAIRN_ENOMEM, "delete_many: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        wctx_init(&cs[i], s, OP_DELETE, ks[i], ls[i], NULL);
    rc = run_batch(s, cs, n);
    uint64_t d = 0;
    for (size_t i = 0; i < n && !rc; i++)
        d += cs[i].status == CAIRN_OK;
    free(cs);
    free_keys(ks, ls, n);
    if (rc)
        return cairn__err_prefix(rc, "delete_many");
    __atomic_add_fetch(&s->n_del, d, __ATOMIC_RELAXED);
    if (n_deleted)
        *n_deleted = d;
    return CAIRN_OK;
}

/* ------------------------------------------------------------------ */
/* Reads                                                               */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *key;
    size_t klen;
    cairn_value *v; /* NULL when expired */
    bool head_only;
} rctx;


static int read_cb(void *ctx, const void *rec, size_t len)
{
    rctx *c = ctx;
    cairn__rec dec;
    /* A record from the memory tier comes decoded and verified (see
     * cairn__rec_known): read it in place, no copy of its decoding. */
    const cairn__rec *r = rec == cairn__rec_known.rec ? cairn__rec_known.r : NULL;
    bool known = r != NULL;
    /* The record is usually cold (a B-tree leaf, a page just read): ask for
     * all its cache lines at once instead of one by one as decoding and
     * copying reach them. */
    if (!c->head_only && !known) {
        size_t pf = len < 8192 ? len : 8192;
        for (size_t off = 0; off < pf; off += 64)
            __builtin_prefetch((const char *)rec + off);
    }
    int rc;
    if (!known) {
        if ((rc = cairn__rec_decode(rec, len, false, &dec)))
            return rc;
        r = &dec;
    }
    /* The clock is read only for records that can expire. */
    if (r->meta.expires_ms && cairn__expired(r->meta.expires_ms, cairn_now_ms()))
        return CAIRN_ENOTFOUND;
    if (c->head_only)
        return CAIRN_OK;
    /* Copy first, then verify the copy: the copy streams the value in from
     * the backend's (often cold) memory faster than hashing does, and the
     * hash then runs on warm cache lines. */
    if (!known && (rc = cairn__rec_check_size(r, len)))
        return rc;
    if (r->zstd) {
        /* Decompressed (and checked against the checksum) into a buffer
         * of its own, which the value takes over. */
        cairn__rec z = *r;
        char *plain;
        if ((rc = cairn__rec_load(&z, &plain)))
            return rc;
        return (c->v = value_new(c->key, c->klen, &z, plain)) ? CAIRN_OK : CAIRN_ENOMEM;
    }
    if (!(c->v = value_new(c->key, c->klen, r, NULL)))
        return CAIRN_ENOMEM;
    if (!known && (rc = cairn__rec_check_sum(r, c->v->data))) {
        cairn_value_free(c->v);
        c->v = NULL;
        return rc;
    }
    return CAIRN_OK;
}

static int get_one(cairn_store *s, const char *k, size_t klen, bool head_only,
                   cairn_value **out)
{
    rctx c = {k, klen, NULL, head_only};
    int rc = s->m->get(s->be, k, klen, read_cb, &c);
    if (rc > 0)
        rc = CAIRN_EIO;
    COUNT(s, n_get);
    if (rc == CAIRN_ENOTFOUND) {
        COUNT(s, n_miss);
        return cairn__err(CAIRN_ENOTFOUND, "not found");
    }
    if (rc)
        return rc;
    if (out)
        *out = c.v;
    return CAIRN_OK;
}

CAIRN_API int cairn_get(cairn_store *s, const char *key, cairn_value **out)
{
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    int rc;
    if (out)
        *out = NULL; /* on every failure too */
    if ((rc = check_store(s, "get")) || (rc = norm_key("get", key, k, &klen, false)))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "get %s: out is NULL", k);
    if ((rc = get_one(s, k, klen, false, out)))
        return cairn__err_prefix(rc, "get %s", k);
    return CAIRN_OK;
}

/* cairn_get through another get than the backend's (cairn_tier_get reads
 * memory only). */
int cairn__store_get_via(cairn_store *s, const char *what, const char *key,
                         int (*get)(void *be, const char *k, size_t kl,
                                    cairn_backend_read_fn fn, void *ctx),
                         cairn_value **out)
{
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    int rc;
    if (out)
        *out = NULL;
    if ((rc = check_store(s, what)) || (rc = norm_key(what, key, k, &klen, false)))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "%s %s: out is NULL", what, k);
    rctx c = {k, klen, NULL, false};
    rc = get(s->be, k, klen, read_cb, &c);
    if (rc > 0)
        rc = CAIRN_EIO;
    if (rc == CAIRN_ENOTFOUND)
        return cairn__err(CAIRN_ENOTFOUND, "%s %s: not found", what, k);
    if (rc)
        return cairn__err_prefix(rc, "%s %s", what, k);
    *out = c.v;
    return CAIRN_OK;
}

CAIRN_API int cairn_exists(cairn_store *s, const char *key)
{
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    int rc;
    if ((rc = check_store(s, "exists")) || (rc = norm_key("exists", key, k, &klen, false)))
        return rc;
    if ((rc = get_one(s, k, klen, true, NULL)))
        return cairn__err_prefix(rc, "exists %s", k);
    return CAIRN_OK;
}

/* get_many through the backend's own get_many (version 2): every key
 * normalised first, then one backend call. */
typedef struct {
    char (*keys)[CAIRN_KEY_MAX + 1];
    size_t *lens;
    cairn_value **out;
    size_t bad; /* the key a failure is about */
} many_ctx;

static int many_cb(void *ctx, size_t i, const void *rec, size_t len)
{
    many_ctx *m = ctx;
    rctx c = {m->keys[i], m->lens[i], NULL, false};
    int rc = read_cb(&c, rec, len);
    if (rc == CAIRN_ENOTFOUND) /* expired */
        return CAIRN_OK;
    if (rc) {
        m->bad = i;
        return rc < 0 ? rc : CAIRN_EIO;
    }
    cairn_value_free(m->out[i]); /* a backend that repeats a key */
    m->out[i] = c.v;
    return CAIRN_OK;
}

static int get_many_batched(cairn_store *s, const char *const *keys, size_t n,
                            cairn_value **out)
{
    many_ctx m = {malloc(n * sizeof *m.keys), malloc(n * sizeof *m.lens), out, n};
    const char **kp = malloc(n * sizeof *kp);
    int rc = CAIRN_OK;
    if (!m.keys || !m.lens || !kp) {
        rc = cairn__err(CAIRN_ENOMEM, "get_many: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = norm_key("get_many", keys[i], m.keys[i], &m.lens[i], false)))
            goto out;
        kp[i] = m.keys[i];
    }
    rc = s->m->get_many(s->be, kp, m.lens, n, many_cb, &m);
    if (rc > 0)
        rc = CAIRN_EIO;
    for (size_t i = 0; i < n; i++) {
        COUNT(s, n_get);
        if (!out[i])
            COUNT(s, n_miss);
    }
    if (rc && m.bad < n)
        cairn__err_prefix(rc, "get_many %s", m.keys[m.bad]);
    else if (rc)
        cairn__err_prefix(rc, "get_many");
out:
    free(m.keys);
    free(m.lens);
    free(kp);
    return rc;
}

CAIRN_API int cairn_get_many(cairn_store *s, const char *const *keys, size_t n,
                             cairn_value **out)
{
    int rc;
    if ((rc = check_store(s, "get_many")))
        return rc;
    if ((!keys || !out) && n)
        return cairn__err(CAIRN_EINVAL, "get_many: keys or out is NULL");
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    if (n > 1 && s->m->version >= 2 && s->m->get_many) {
        if ((rc = get_many_batched(s, keys, n, out)))
            goto fail;
        cairn__err_clear();
        return CAIRN_OK;
    }
    for (size_t i = 0; i < n; i++) {
        char k[CAIRN_KEY_MAX + 1];
        size_t klen;
        if ((rc = norm_key("get_many", keys[i], k, &klen, false)))
            goto fail;
        rc = get_one(s, k, klen, false, &out[i]);
        if (rc == CAIRN_ENOTFOUND)
            continue;
        if (rc) {
            cairn__err_prefix(rc, "get_many %s", k);
            goto fail;
        }
    }
    cairn__err_clear();
    return CAIRN_OK;
fail:
    for (size_t i = 0; i < n; i++) {
        cairn_value_free(out[i]);
        out[i] = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Listing                                                             */
/* ------------------------------------------------------------------ */

#define ITER_BATCH 256

typedef struct {
    size_t koff, klen, hoff, hlen;
} iter_item;

struct cairn_iter {
    cairn_store *s;
    char *lo, *hi, *prefix; /* owned; hi NULL: no bound; prefix NULL: none */
    size_t lolen, lo_cap, hilen, plen;
    bool lo_excl, hide_reserved, done;
    char *next; /* last key seen by the running scan */
    size_t next_len, next_cap;
    bool have_next;
    uint64_t limit, yielded;
    int64_t now;
    char *arena;
    size_t arena_len, arena_cap;
    iter_item items[ITER_BATCH];
    size_t n, pos;
    int err;
    cairn__rec cur; /* metadata of the current key, for cairn_iter_meta */
};

/* Does key pass the iterator's filters (prefix by segment, reserved)? */
static bool iter_wants(const cairn_iter *it, const char *key, size_t klen)
{
    if (it->prefix && !(klen == it->plen || key[it->plen] == '/'))
        return false;
    if (it->hide_reserved && cairn__key_reserved(key, klen))
        return false;
    return true;
}

static int iter_fill_cb(void *ctx, const char *key, size_t klen, const void *rec,
                        size_t rlen)
{
    cairn_iter *it = ctx;
    int rc;
    if (!iter_wants(it, key, klen))
        goto resume;
    cairn__rec r;
    size_t hlen = rlen < CAIRN_RECORD_HEAD_MAX ? rlen : CAIRN_RECORD_HEAD_MAX;
    if (cairn__rec_decode(rec, rlen, false, &r) == CAIRN_OK) {
        if (cairn__expired(r.meta.expires_ms, it->now))
            goto resume;
        hlen = r.head_len;
    }
    if ((rc = cairn__grow(&it->arena, &it->arena_cap, it->arena_len + klen + 1 + hlen)))
        return rc;
    iter_item *item = &it->items[it->n++];
    item->koff = it->arena_len;
    item->klen = klen;
    memcpy(it->arena + it->arena_len, key, klen);
    it->arena[it->arena_len + klen] = '\0';
    item->hoff = it->arena_len + klen + 1;
    item->hlen = hlen;
    memcpy(it->arena + item->hoff, rec, hlen);
    it->arena_len += klen + 1 + hlen;
resume:
    /* The next batch starts after this key, also after keys the filters
     * skipped. Kept apart from lo, which the backend may still be reading. */
    if ((rc = cairn__grow(&it->next, &it->next_cap, klen + 1)))
        return rc;
    memcpy(it->next, key, klen);
    it->next[klen] = '\0';
    it->next_len = klen;
    it->have_next = true;
    return it->n == ITER_BATCH ? 1 : 0;
}

static int iter_fill(cairn_iter *it)
{
    it->n = it->pos = 0;
    it->arena_len = 0;
    it->have_next = false;
    int rc = it->s->m->scan(it->s->be, it->lo, it->lolen, it->lo_excl, it->hi,
                            it->hilen, 0, iter_fill_cb, it);
    if (rc > 0)
        rc = CAIRN_EIO;
    if (rc)
        return rc;
    if (it->have_next) {
        char *t = it->lo;
        size_t tc = it->lo_cap;
        it->lo = it->next;
        it->lo_cap = it->next_cap;
        it->lolen = it->next_len;
        it->lo_excl = true;
        it->next = t;
        it->next_cap = tc;
    }
    if (it->n < ITER_BATCH)
        it->done = true; /* the scan ran to the end */
    return CAIRN_OK;
}

/* An iterator over [lo, hi) (NULL: unbounded) keeping whole-segment
 * matches of prefix (NULL: all). The bounds are copied. */
static int iter_new(cairn_store *s, const char *lo, size_t lolen, const char *hi,
                    size_t hilen, const char *prefix, size_t plen, uint64_t limit,
                    bool hide_reserved, cairn_iter **out)
{
    cairn_iter *it = calloc(1, sizeof *it);
    if (!it)
        return cairn__err(CAIRN_ENOMEM, "list: out of memory");
    it->s = s;
    it->limit = limit;
    it->hide_reserved = hide_reserved;
    it->now = cairn_now_ms();
    it->lolen = lolen;
    it->lo_cap = lo ? lolen + 1 : 0;
    it->hilen = hilen;
    it->plen = plen;
    if ((lo && !(it->lo = strndup(lo, lolen))) || (hi && !(it->hi = strndup(hi, hilen))) ||
        (prefix && !(it->prefix = strndup(prefix, plen)))) {
        cairn_iter_free(it);
        return cairn__err(CAIRN_ENOMEM, "list: out of memory");
    }
    *out = it;
    return CAIRN_OK;
}

CAIRN_API int cairn_list(cairn_store *s, const char *prefix, cairn_iter **out)
{
    int rc;
    if ((rc = check_store(s, "list")))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "list: out is NULL");
    bool all = !prefix;
    if (prefix) {
        /* "", "/" and the like list everything. */
        const char *p = prefix;
        while (*p == '/')
            p++;
        all = !*p;
    }
    if (all)
        return iter_new(s, NULL, 0, NULL, 0, NULL, 0, 0, true, out);
    char k[CAIRN_KEY_MAX + 2];
    size_t klen;
    if ((rc = norm_key("list", prefix, k, &klen, false)))
        return rc;
    /* Keys equal to k or under "k/": scan [k, k"0") ('0' follows '/'),
     * then keep whole-segment matches. */
    char hi[CAIRN_KEY_MAX + 2];
    memcpy(hi, k, klen);
    hi[klen] = '0';
    return iter_new(s, k, klen, hi, klen + 1, k, klen, 0, !cairn__key_reserved(k, klen),
                    out);
}

CAIRN_API int cairn_range(cairn_store *s, const char *start, const char *end,
                          uint64_t limit, cairn_iter **out)
{
    int rc;
    if ((rc = check_store(s, "range")))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "range: out is NULL");
    size_t sl = start ? strlen(start) : 0, el = end ? strlen(end) : 0;
    if (sl > CAIRN_KEY_MAX + 1 || el > CAIRN_KEY_MAX + 1)
        return cairn__err(CAIRN_EINVAL, "range: bound longer than %d bytes", CAIRN_KEY_MAX);
    bool hide = !(start && strncmp(start, "_cairn", 6) == 0);
    return iter_new(s, start, sl, end, el, NULL, 0, limit, hide, out);
}

CAIRN_API int cairn_iter_next(cairn_iter *it, const char **key, size_t *key_len)
{
    if (!it)
        return cairn__err(CAIRN_EINVAL, "iter_next: iterator is NULL");
    if (it->err)
        return it->err;
    if (it->limit && it->yielded >= it->limit)
        return CAIRN_DONE;
    if (it->pos >= it->n) {
        if (it->done)
            return CAIRN_DONE;
        int rc = iter_fill(it);
        if (rc) {
            it->err = rc;
            return cairn__err_prefix(rc, "list");
        }
        if (it->n == 0)
            return CAIRN_DONE;
    }
    it->pos++;
    it->yielded++;
    iter_item *item = &it->items[it->pos - 1];
    if (key)
        *key = it->arena + item->koff;
    if (key_len)
        *key_len = item->klen;
    return CAIRN_OK;
}

CAIRN_API int cairn_iter_meta(cairn_iter *it, cairn_meta *meta)
{
    if (!it || !meta || it->pos == 0)
        return cairn__err(CAIRN_EINVAL, "iter_meta: no current key");
    iter_item *item = &it->items[it->pos - 1];
    int rc = cairn__rec_decode(it->arena + item->hoff, item->hlen, false, &it->cur);
    if (rc)
        return cairn__err_prefix(rc, "list %s", it->arena + item->koff);
    *meta = it->cur.meta;
    return CAIRN_OK;
}

CAIRN_API void cairn_iter_free(cairn_iter *it)
{
    if (!it)
        return;
    free(it->lo);
    free(it->next);
    free(it->hi);
    free(it->prefix);
    free(it->arena);
    free(it);
}

/* ------------------------------------------------------------------ */
/* Whole-store scans: count, stats, purge, delete by prefix            */
/* ------------------------------------------------------------------ */

typedef struct {
    cairn_iter *it; /* for the filters */
    uint64_t live, expired, bytes;
} tally;

static int tally_cb(void *ctx, const char *key, size_t klen, const void *rec,
                    size_t rlen)
{
    tally *t = ctx;
    if (!iter_wants(t->it, key, klen))
        return 0;
    cairn__rec r;
    if (cairn__rec_decode(rec, rlen, false, &r) == CAIRN_OK) {
        if (cairn__expired(r.meta.expires_ms, t->it->now)) {
            t->expired++;
            return 0;
        }
        t->bytes += r.meta.size;
    }
    t->live++;
    return 0;
}

static int tally_scan(cairn_store *s, const char *prefix, tally *t)
{
    cairn_iter *it;
    int rc = cairn_list(s, prefix, &it);
    if (rc)
        return rc;
    t->it = it;
    rc = s->m->scan(s->be, it->lo, it->lolen, 0, it->hi, it->hilen, 0, tally_cb, t);
    cairn_iter_free(it);
    return rc > 0 ? CAIRN_EIO : rc;
}

CAIRN_API int cairn_count(cairn_store *s, const char *prefix, uint64_t *out)
{
    tally t = {0};
    int rc;
    if ((rc = check_store(s, "count")))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "count: out is NULL");
    if ((rc = tally_scan(s, prefix, &t)))
        return cairn__err_prefix(rc, "count");
    *out = t.live;
    return CAIRN_OK;
}

CAIRN_API int cairn_stats_get(cairn_store *s, cairn_stats *out)
{
    tally t = {0};
    int rc;
    if ((rc = check_store(s, "stats")))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "stats: out is NULL");
    if ((rc = tally_scan(s, NULL, &t)))
        return cairn__err_prefix(rc, "stats");
    memset(out, 0, sizeof *out);
    out->backend = s->m->name;
    out->keys = t.live;
    out->value_bytes = t.bytes;
    out->expired = t.expired;
    out->puts = __atomic_load_n(&s->n_put, __ATOMIC_RELAXED);
    out->skips = __atomic_load_n(&s->n_skip, __ATOMIC_RELAXED);
    out->gets = __atomic_load_n(&s->n_get, __ATOMIC_RELAXED);
    out->get_misses = __atomic_load_n(&s->n_miss, __ATOMIC_RELAXED);
    out->deletes = __atomic_load_n(&s->n_del, __ATOMIC_RELAXED);
    return CAIRN_OK;
}

/* Collect up to ITER_BATCH keys (with the iterator's filters), then run an
 * op of kind on each, one transaction per batch, until the scan is done. */
typedef struct {
    cairn_iter *it;
    bool expired_only;
    char *keys[ITER_BATCH];
    size_t lens[ITER_BATCH];
    size_t n;
} collect;

static int collect_cb(void *ctx, const char *key, size_t klen, const void *rec,
                      size_t rlen)
{
    collect *c = ctx;
    if (!iter_wants(c->it, key, klen))
        return 0;
    if (c->expired_only) {
        cairn__rec r;
        if (cairn__rec_decode(rec, rlen, false, &r) != CAIRN_OK ||
            !cairn__expired(r.meta.expires_ms, c->it->now))
            return 0;
    }
    if (!(c->keys[c->n] = malloc(klen + 1)))
        return cairn__err(CAIRN_ENOMEM, "out of memory");
    memcpy(c->keys[c->n], key, klen);
    c->keys[c->n][klen] = '\0';
    c->lens[c->n++] = klen;
    return c->n == ITER_BATCH ? 1 : 0;
}

static int sweep(cairn_store *s, const char *prefix, op_kind kind, uint64_t *n_out)
{
    cairn_iter *it;
    int rc = cairn_list(s, prefix, &it);
    if (rc)
        return rc;
    if (kind == OP_PURGE)
        it->hide_reserved = false;
    collect c = {.it = it, .expired_only = kind == OP_PURGE};
    uint64_t total = 0;
    for (;;) {
        c.n = 0;
        rc = s->m->scan(s->be, it->lo, it->lolen, it->lo_excl, it->hi, it->hilen, 0,
                        collect_cb, &c);
        if (rc > 0)
            rc = CAIRN_EIO;
        if (rc == CAIRN_OK && c.n) {
            wctx cs[ITER_BATCH];
            for (size_t i = 0; i < c.n; i++)
                wctx_init(&cs[i], s, kind, c.keys[i], c.lens[i], NULL);
            rc = run_batch(s, cs, c.n);
            for (size_t i = 0; i < c.n && !rc; i++)
                total += cs[i].status == CAIRN_OK;
            /* Resume after the last key seen. */
            int grc = cairn__grow(&it->lo, &it->lo_cap, c.lens[c.n - 1] + 1);
            if (grc == CAIRN_OK) {
                memcpy(it->lo, c.keys[c.n - 1], c.lens[c.n - 1] + 1);
                it->lolen = c.lens[c.n - 1];
                it->lo_excl = true;
            } else if (!rc) {
                rc = grc;
            }
        }
        size_t got = c.n;
        for (size_t i = 0; i < c.n; i++)
            free(c.keys[i]);
        if (rc || got < ITER_BATCH)
            break;
    }
    cairn_iter_free(it);
    if (n_out)
        *n_out = total;
    return rc;
}

CAIRN_API int cairn_delete_prefix(cairn_store *s, const char *prefix, uint64_t *n)
{
    int rc;
    if ((rc = check_store(s, "delete_prefix")))
        return rc;
    if (!prefix)
        return cairn__err(CAIRN_EINVAL, "delete_prefix: prefix is NULL");
    char k[CAIRN_KEY_MAX + 1];
    size_t klen;
    if ((rc = norm_key("delete_prefix", prefix, k, &klen, true)))
        return rc;
    uint64_t d = 0;
    if ((rc = sweep(s, k, OP_DELETE, &d)))
        return cairn__err_prefix(rc, "delete_prefix %s", k);
    __atomic_add_fetch(&s->n_del, d, __ATOMIC_RELAXED);
    if (n)
        *n = d;
    return CAIRN_OK;
}

CAIRN_API int cairn_purge_expired(cairn_store *s, uint64_t *n)
{
    int rc;
    if ((rc = check_store(s, "purge")))
        return rc;
    uint64_t d = 0;
    if (s->m->version >= 2 && s->m->purge_expired) {
        rc = s->m->purge_expired(s->be, cairn_now_ms(), &d);
        if (rc > 0)
            rc = CAIRN_EIO;
    } else {
        rc = sweep(s, NULL, OP_PURGE, &d);
    }
    if (rc)
        return cairn__err_prefix(rc, "purge");
    if (n)
        *n = d;
    return CAIRN_OK;
}
