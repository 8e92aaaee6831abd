/*
 * write.c — writes: every write is one backend update() whose callback
 * (cairn__write_cb) decides the set behaviour, TTL, version and metadata
 * while the backend holds its lock, so all behaviours are atomic on every
 * backend.
 */
#include "store/front.h"
#include "codec/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Writes: one callback for put, update, incr and delete               */
/* ------------------------------------------------------------------ */

/* The user metadata of c's options, checked and set to be written; none
 * given: nothing to do (an update then keeps the record's). */
int cairn__take_umeta(wctx *c)
{
    if (!c->o.user_meta)
        return CAIRN_OK;
    size_t ul = strlen(c->o.user_meta);
    int rc = cairn__check_umeta(c->o.user_meta, ul);
    if (rc)
        return rc;
    c->um = c->o.user_meta;
    c->ul = ul;
    c->um_set = true;
    return CAIRN_OK;
}

/* The header of c's record, bound to c's key (header version 2), into buf
 * (CAIRN__HEAD_MAX bytes); usum: the user metadata's XXH3-64. */
static size_t bound_head(const wctx *c, char *buf, const cairn_meta *m, uint64_t usum)
{
    uint64_t ks = cairn__hash(c->key, c->klen);
    return cairn__rec_head(buf, m, usum, &ks);
}

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
    size_t h = bound_head(c, head, &m, ul ? cairn__hash(um, ul) : 0);
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

/* OP_UPGRADE of the live record r (NULL: none, or corrupt): a whole record
 * with an unbound (version 1) header gets a header bound to its key; its
 * version, times, expiry, model, user metadata and stored value stay as
 * they are. Anything else (absent, expired, corrupt, already bound) is left
 * alone with status ENOTFOUND, so running an upgrade again does nothing. */
static int upgrade(wctx *c, const cairn__rec *r, const void *rec, size_t rlen,
                   const void **out, size_t *olen)
{
    c->status = CAIRN_ENOTFOUND;
    if (!r || r->bound || cairn__rec_check_size(r, rlen)) {
        cairn__err_clear(); /* a corrupt record is for a get to report */
        return CAIRN_BACKEND_KEEP;
    }
    size_t body = rlen - r->head_len;
    int rc = cairn__grow(&c->buf, &c->cap, CAIRN__HEAD_MAX + body);
    if (rc)
        return rc;
    size_t h = bound_head(c, c->buf, &r->meta, r->umeta_sum);
    memcpy(c->buf + h, (const char *)rec + r->head_len, body);
    *out = c->buf;
    *olen = h + body;
    c->status = CAIRN_OK;
    return CAIRN_BACKEND_WRITE;
}

int cairn__write_cb(void *ctx, const void *rec, size_t rlen, const void **out,
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
        int rc = cairn__rec_decode_key(rec, rlen, need_value, c->key, c->klen, &old);
        if (rc == CAIRN_OK && need_value)
            rc = cairn__rec_load(&old, &c->otmp);
        if (rc == CAIRN_OK) {
            decoded = true;
            live = !cairn__expired(old.meta.expires_ms, c->now);
        } else if (c->kind == OP_DELETE || c->kind == OP_PURGE || c->kind == OP_UPGRADE ||
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
    case OP_UPGRADE:
        return upgrade(c, decoded && live ? &old : NULL, rec, rlen, out, olen);
    case OP_UPDATE: {
        cairn_value *cur = NULL;
        if (live && !(cur = cairn__value_new(c->key, c->klen, &old, NULL)))
            return CAIRN_ENOMEM;
        const void *nv = NULL;
        size_t nl = 0;
        int rc = c->ufn(c->uarg, cur, &nv, &nl);
        cairn_value_free(cur);
        if (rc == CAIRN_SKIPPED) {
            c->status = CAIRN_SKIPPED;
            return CAIRN_BACKEND_KEEP;
        }
        if (rc < 0)
            return rc;
        if (rc != CAIRN_OK)
            return cairn__err(CAIRN_EINVAL, "update function returned %d", rc);
        if ((rc = cairn__check_value(&c->o, nv, nl, c->model != NULL)))
            return rc;
        if (c->model) {
            free(c->filled); /* a backend that retries calls us again */
            c->filled = NULL;
            if ((rc = cairn__model_validate(c->model, c->o.fill_defaults, &nv, &nl,
                                            &c->filled)))
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

/* Resolve the model of a write through the handle's cache; a model that
 * is not registered is the caller's mistake about the model (EMODEL), not a
 * missing key. mref receives the resolved reference. */
int cairn__model_hold(cairn_store *s, const char *ref, char *mref, cairn__model **m)
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
int cairn__model_validate(const cairn__model *m, bool fill, const void **val, size_t *len,
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
    int rc = cairn__model_hold(s, o->model, mref, &m);
    if (rc)
        return rc;
    rc = cairn__model_validate(m, o->fill_defaults, val, len, filled);
    if (rc == CAIRN_OK)
        o->model = mref;
    cairn__model_release(m);
    return rc;
}

int cairn__run_ops(cairn_store *s, const cairn_backend_op *ops, size_t n)
{
    int rc = s->m->update(s->be, ops, n);
    return rc > 0 ? CAIRN_EIO : rc;
}

void cairn__wctx_init(wctx *c, cairn_store *s, op_kind kind, const char *key,
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

/* The start of a one-key write: the store, the key (normalised into k,
 * CAIRN_KEY_MAX + 1 bytes) and the caller's options (opt may be NULL),
 * then c made ready. Errors are named with op and the key. */
static int write_begin(wctx *c, cairn_store *s, op_kind kind, const char *op,
                       const char *key, char *k, const cairn_put_opts *opt)
{
    size_t klen;
    int rc;
    if ((rc = check_store(s, op)) || (rc = cairn__check_key(op, key, k, &klen, true)))
        return rc;
    cairn_put_opts o;
    if (opt && (rc = CAIRN__OPTS_READ(&o, opt, "put options")))
        return cairn__err_prefix(rc, "%s %s", op, k);
    cairn__wctx_init(c, s, kind, k, klen, opt ? &o : NULL);
    return CAIRN_OK;
}

/* Run the checked write c (one key) on the backend, the thread's encode
 * buffer lent for the call; an error is named with op and the key. */
static int write_run(cairn_store *s, wctx *c, const char *op)
{
    cairn_backend_op bop = {c->key, c->klen, cairn__write_cb, c};
    cairn__buf_take(c);
    int rc = cairn__run_ops(s, &bop, 1);
    cairn__buf_give(c);
    return rc ? cairn__err_prefix(rc, "%s %s", op, c->key) : CAIRN_OK;
}

/* Run the checked put c and count it: CAIRN_OK, CAIRN_SKIPPED or the
 * error, named with the key. */
static int put_run(cairn_store *s, wctx *c)
{
    int rc = write_run(s, c, "put");
    if (rc)
        return rc;
    COUNT(s, n_put);
    if (c->status == CAIRN_SKIPPED)
        COUNT(s, n_skip);
    return c->status;
}

CAIRN_API int cairn_put(cairn_store *s, const char *key, const void *val, size_t len,
                        const cairn_put_opts *opt)
{
    char k[CAIRN_KEY_MAX + 1];
    wctx c;
    int rc = write_begin(&c, s, OP_PUT, "put", key, k, opt);
    if (rc)
        return rc;
    c.val = val;
    c.len = len;
    if ((rc = cairn__check_opts(&c.o)) ||
        (rc = cairn__check_value(&c.o, val, len, c.o.model != NULL)) ||
        (rc = cairn__take_umeta(&c)))
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
    wctx c;
    int rc = write_begin(&c, s, OP_PUT, "put", key, k, opt);
    if (rc)
        return rc;
    if ((rc = cairn__npy_array_check(a)))
        return cairn__err_prefix(rc, "put %s", k);
    char head[CAIRN__NPY_HEAD_MAX];
    cairn__iov iov[2] = {{head, cairn__npy_head(a, head)}, {a->data, a->nbytes}};
    c.o.format = CAIRN_FORMAT_NPY;
    c.iov = iov;
    c.niov = 2;
    c.len = iov[0].len + iov[1].len;
    if ((rc = cairn__check_opts(&c.o)) || (rc = cairn__take_umeta(&c)))
        return cairn__err_prefix(rc, "put %s", k);
    return put_run(s, &c);
}

CAIRN_API int cairn_update_v2(cairn_store *s, const char *key, cairn_update_cb fn, void *ctx,
                              const cairn_put_opts *opt)
{
    char k[CAIRN_KEY_MAX + 1];
    wctx c;
    int rc = write_begin(&c, s, OP_UPDATE, "update", key, k, opt);
    if (rc)
        return rc;
    if (!fn)
        return cairn__err(CAIRN_EINVAL, "update %s: fn is NULL", k);
    c.ufn = fn;
    c.uarg = ctx;
    if ((rc = cairn__check_opts(&c.o)) || (rc = cairn__take_umeta(&c)))
        return cairn__err_prefix(rc, "update %s", k);
    char mref[CAIRN_MODEL_MAX + 1];
    if (c.o.model) {
        if ((rc = cairn__model_hold(s, c.o.model, mref, &c.model)))
            return cairn__err_prefix(rc, "update %s", k);
        c.o.model = mref;
    }
    rc = write_run(s, &c, "update");
    cairn__model_release(c.model);
    free(c.filled);
    if (rc)
        return rc;
    COUNT(s, n_put);
    return c.status;
}

int cairn__incr_fn(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    cairn__incr_arg *a = arg;
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
    wctx c;
    int rc = write_begin(&c, s, OP_UPDATE, "incr", key, k, NULL);
    if (rc)
        return rc;
    cairn__incr_arg a = {by, 0, {0}};
    c.ufn = cairn__incr_fn;
    c.uarg = &a;
    c.keep_ttl = true;
    if ((rc = write_run(s, &c, "incr")))
        return rc;
    COUNT(s, n_put);
    if (out)
        *out = a.result;
    return CAIRN_OK;
}

CAIRN_API int cairn_delete(cairn_store *s, const char *key)
{
    char k[CAIRN_KEY_MAX + 1];
    wctx c;
    int rc = write_begin(&c, s, OP_DELETE, "delete", key, k, NULL);
    if (rc)
        return rc;
    if ((rc = write_run(s, &c, "delete")))
        return rc;
    if (c.status == CAIRN_ENOTFOUND)
        return cairn__err(CAIRN_ENOTFOUND, "delete %s: not found", k);
    COUNT(s, n_del);
    return CAIRN_OK;
}
