/*
 * value.c — cairn_value: the value bytes and metadata a read hands out, and
 * the blocks each thread keeps for the next value and the next encoded record.
 */
#include "store/front.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

/* Each thread keeps its last freed small value block for the next get: a
 * get-use-free loop then never reaches malloc. */
#define VALUE_CACHE_MAX (64 * 1024)
static _Thread_local cairn_value *tls_spare;
static _Thread_local char *tls_buf; /* see cairn__buf_take() */
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
cairn_value *cairn__value_new(const char *key, size_t klen, const cairn__rec *r, char *ext)
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

/* One-key writes encode into a buffer the thread keeps (a put then makes
 * no allocation); a nested use on the same thread gets its own. */
#define ENCODE_CACHE_MAX (1024 * 1024)

void cairn__buf_take(wctx *c)
{
    if (!tls_busy) {
        tls_busy = true;
        c->buf = tls_buf;
        c->cap = tls_cap;
        c->tls = true;
    }
}

void cairn__buf_give(wctx *c)
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
