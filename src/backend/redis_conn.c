/*
 * redis_conn.c — the redis backend's connections: connect (AUTH, SELECT),
 * a pool per handle with a backoff while the server is unreachable, one
 * command with one retry on a stale connection, streamed replies, and the
 * atfork handlers that keep a child off its parent's sockets.
 */
#include "backend/redis_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

static cairn__hlist handles = CAIRN__HLIST_INIT;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* ---- fork safety ---- */

/* Before fork: hold every handle's pool lock, so the child gets them in a
 * known state. After: release in the parent; in the child, forget every
 * connection (closing our copy of the fd leaves the parent's socket alone). */
static void fork_prepare(void)
{
    pthread_mutex_lock(&handles.mu);
    for (cairn__hlink *k = handles.head; k; k = k->next)
        pthread_mutex_lock(&((rd *)k->owner)->lock);
}

static void fork_parent(void)
{
    for (cairn__hlink *k = handles.head; k; k = k->next)
        pthread_mutex_unlock(&((rd *)k->owner)->lock);
    pthread_mutex_unlock(&handles.mu);
}

static void fork_child(void)
{
    for (cairn__hlink *k = handles.head; k; k = k->next) {
        rd *h = k->owner;
        for (int i = 0; i < h->pool_max; i++)
            if (h->all[i]) {
                redisFree(h->all[i]);
                h->all[i] = NULL;
            }
        h->nidle = h->nopen = 0;
        h->retry_at = 0;
        h->backoff_ms = 0;
        pthread_mutex_unlock(&h->lock);
        pthread_cond_destroy(&h->cond);
        pthread_cond_init(&h->cond, NULL);
    }
    pthread_mutex_unlock(&handles.mu);
}

static void init_once(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void cairn__rd_handle_add(rd *h)
{
    pthread_once(&g_once, init_once);
    cairn__hlist_add(&handles, &h->link, h);
}

void cairn__rd_handle_del(rd *h)
{
    cairn__hlist_del(&handles, &h->link);
}

/* ---- errors ---- */

/* The status of a failed context: a timeout is EBUSY, the rest ECONN. */
static int ctx_status(const redisContext *c, int saved_errno)
{
    if (c && c->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))
        return CAIRN_EBUSY;
    if (c && c->err == REDIS_ERR_OOM)
        return CAIRN_ENOMEM;
    return CAIRN_ECONN;
}

int cairn__rd_ctx_err(const rd *h, const redisContext *c, int saved_errno, const char *what)
{
    int st = ctx_status(c, saved_errno);
    return cairn_backend_error(st, "%s: %s: %s", h->label, what,
                               st == CAIRN_EBUSY ? "timed out"
                               : c && c->errstr[0] ? c->errstr
                                                   : "connection lost");
}

int cairn__rd_reply_err(const rd *h, const redisReply *r, const char *what)
{
    if (!r)
        return cairn_backend_error(CAIRN_ECONN, "%s: %s: no reply", h->label, what);
    if (r->type == REDIS_REPLY_ERROR) {
        int st = CAIRN_EIO;
        if (!strncmp(r->str, "WRONGTYPE", 9))
            st = CAIRN_ECORRUPT;
        else if (!strncmp(r->str, "OOM", 3))
            st = CAIRN_EFULL;
        else if (!strncmp(r->str, "LOADING", 7) || !strncmp(r->str, "BUSY", 4) ||
                 !strncmp(r->str, "TRYAGAIN", 8))
            st = CAIRN_EBUSY;
        else if (!strncmp(r->str, "NOAUTH", 6) || !strncmp(r->str, "WRONGPASS", 9) ||
                 !strncmp(r->str, "READONLY", 8) || !strncmp(r->str, "MASTERDOWN", 10))
            st = CAIRN_ECONN;
        return cairn_backend_error(st, "%s: %s: %.*s", h->label, what,
                                   (int)(r->len < 300 ? r->len : 300), r->str);
    }
    return cairn_backend_error(CAIRN_EIO, "%s: %s: unexpected reply type %d", h->label, what,
                               r->type);
}

/* ---- time ---- */

int64_t cairn__rd_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval tv_ms(int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return tv;
}

void cairn__rd_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* ---- connections ---- */

/* Run one command on c (setup: AUTH, SELECT); 0 or a status. */
static int setup_cmd(const rd *h, redisContext *c, int argc, const char **argv,
                     const char *what)
{
    size_t lens[3];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = redisCommandArgv(c, argc, argv, lens);
    if (!r)
        return cairn__rd_ctx_err(h, c, errno, what);
    int rc = r->type == REDIS_REPLY_ERROR ? cairn__rd_reply_err(h, r, what) : CAIRN_OK;
    freeReplyObject(r);
    return rc;
}

static int connect_one(rd *h, redisContext **out)
{
    redisContext *c = redisConnectWithTimeout(h->host, h->port, tv_ms(h->connect_timeout_ms));
    if (!c)
        return cairn_backend_error(CAIRN_ENOMEM, "%s: connect: out of memory", h->label);
    int rc = CAIRN_OK;
    if (c->err) {
        rc = cairn_backend_error(CAIRN_ECONN, "%s: connect: %s", h->label, c->errstr);
        goto fail;
    }
    if (redisSetTimeout(c, tv_ms(h->timeout_ms)) != REDIS_OK) {
        rc = cairn__rd_ctx_err(h, c, errno, "set timeout");
        goto fail;
    }
    (void)redisEnableKeepAlive(c);
    if (h->password) {
        const char *argv[3] = {"AUTH", h->user ? h->user : h->password, h->password};
        /* The password is never part of a message: errors say "auth". */
        if ((rc = setup_cmd(h, c, h->user ? 3 : 2, argv, "auth")))
            goto fail;
    }
    {
        /* Named for CLIENT LIST: which process holds a connection. */
        char name[40];
        snprintf(name, sizeof name, "cairn-%ld", (long)getpid());
        const char *argv[3] = {"CLIENT", "SETNAME", name};
        if ((rc = setup_cmd(h, c, 3, argv, "client setname")))
            goto fail;
    }
    if (h->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", h->db);
        const char *argv[2] = {"SELECT", db};
        if ((rc = setup_cmd(h, c, 2, argv, "select database")))
            goto fail;
    }
    *out = c;
    return CAIRN_OK;
fail:
    redisFree(c);
    return rc;
}

static void pool_forget(rd *h, redisContext *c)
{
    for (int i = 0; i < h->pool_max; i++)
        if (h->all[i] == c) {
            h->all[i] = NULL;
            break;
        }
}

/* Take a connection: an idle one, else a new one (at most pool_max open),
 * else wait for one. While the server is unreachable, calls fail at once
 * until the backoff delay has passed, then one of them tries again. */
int cairn__rd_acquire(rd *h, conn *out)
{
    pthread_mutex_lock(&h->lock);
    for (;;) {
        if (h->nidle) {
            out->c = h->idle[--h->nidle];
            out->fresh = false;
            pthread_mutex_unlock(&h->lock);
            return CAIRN_OK;
        }
        if (h->nopen < h->pool_max)
            break;
        pthread_cond_wait(&h->cond, &h->lock);
    }
    int64_t now = cairn__rd_mono_ms();
    if (h->retry_at && now < h->retry_at) {
        int64_t wait = h->retry_at - now;
        pthread_mutex_unlock(&h->lock);
        return cairn_backend_error(CAIRN_ECONN,
                                   "%s: server unreachable; next attempt in %lld ms", h->label,
                                   (long long)wait);
    }
    h->nopen++;
    pthread_mutex_unlock(&h->lock);

    redisContext *c = NULL;
    int rc = connect_one(h, &c);

    pthread_mutex_lock(&h->lock);
    if (rc) {
        h->nopen--;
        if (rc == CAIRN_ECONN || rc == CAIRN_EBUSY) {
            h->backoff_ms = h->backoff_ms ? h->backoff_ms * 2 : BACKOFF_MIN_MS;
            if (h->backoff_ms > BACKOFF_MAX_MS)
                h->backoff_ms = BACKOFF_MAX_MS;
            h->retry_at = cairn__rd_mono_ms() + h->backoff_ms;
        }
        pthread_cond_signal(&h->cond);
    } else {
        h->retry_at = 0;
        h->backoff_ms = 0;
        for (int i = 0; i < h->pool_max; i++)
            if (!h->all[i]) {
                h->all[i] = c;
                break;
            }
        out->c = c;
        out->fresh = true;
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

/* Give a connection back; a broken one (or one left in an unknown state)
 * is closed instead. */
void cairn__rd_release(rd *h, conn *cn, bool broken)
{
    if (!cn->c)
        return;
    pthread_mutex_lock(&h->lock);
    if (broken || cn->c->err) {
        pool_forget(h, cn->c);
        redisFree(cn->c);
        h->nopen--;
    } else {
        h->idle[h->nidle++] = cn->c;
    }
    cn->c = NULL;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

/* Read n pipelined replies into r[] (NULL-filled first). 0, or a status
 * with every reply freed. */
int cairn__rd_read_replies(rd *h, redisContext *c, redisReply **r, size_t n, const char *what)
{
    memset(r, 0, n * sizeof *r);
    for (size_t i = 0; i < n; i++) {
        void *p = NULL;
        if (redisGetReply(c, &p) != REDIS_OK) {
            int e = errno;
            for (size_t j = 0; j < i; j++)
                freeReplyObject(r[j]);
            memset(r, 0, n * sizeof *r);
            return cairn__rd_ctx_err(h, c, e, what);
        }
        r[i] = p;
    }
    return CAIRN_OK;
}

void cairn__rd_free_replies(redisReply **r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r[i]) {
            freeReplyObject(r[i]);
            r[i] = NULL;
        }
}

/* ---- key names ---- */

/* A growing argument list for one command: pointers and lengths, with
 * owned bytes kept in one arena per command batch. */

int cairn__rd_args_push(args *a, const char *p, size_t len)
{
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 16;
        const char **v = realloc(a->argv, (size_t)cap * sizeof *v);
        if (!v)
            return cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
        a->argv = v;
        size_t *l = realloc(a->lens, (size_t)cap * sizeof *l);
        if (!l)
            return cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
        a->lens = l;
        a->cap = cap;
    }
    a->argv[a->n] = p;
    a->lens[a->n++] = len;
    return CAIRN_OK;
}

void cairn__rd_args_free(args *a)
{
    free(a->argv);
    free(a->lens);
    memset(a, 0, sizeof *a);
}

/* P "r:" KEY, malloc'd. */
char *cairn__rd_rec_name(const rd *h, const char *key, size_t klen, size_t *len)
{
    char *s = malloc(h->plen + 2 + klen + 1);
    if (!s)
        return NULL;
    memcpy(s, h->prefix, h->plen);
    memcpy(s + h->plen, "r:", 2);
    memcpy(s + h->plen + 2, key, klen);
    s[h->plen + 2 + klen] = '\0';
    *len = h->plen + 2 + klen;
    return s;
}

/* ---- streamed replies ----
 *
 * get_many's MGET reply goes through hiredis's own reader with reply
 * functions of ours: each bulk string reaches the core's callback as a
 * pointer into the reader's buffer, with no reply object, no copy and no
 * malloc per element (the default functions build and copy both). The
 * functions return a marker pointer, never an object to free. */

static char stream_marker;

static void *st_string(const redisReadTask *t, char *str, size_t len)
{
    stream *st = t->privdata;
    if (!t->parent) { /* the whole reply: an error or a status */
        st->top = t->type;
        snprintf(st->err, sizeof st->err, "%.*s", (int)(len < 199 ? len : 199), str);
    } else if (t->type != REDIS_REPLY_STRING || t->parent->parent || (size_t)t->idx >= st->m) {
        st->odd = true;
    } else if (!st->rc) {
        st->delivered++;
        st->rc = st->fn(st->ctx, st->base + (size_t)t->idx, len ? str : "", len);
    }
    return &stream_marker;
}

static void *st_array(const redisReadTask *t, int elements)
{
    stream *st = t->privdata;
    if (!t->parent) {
        st->top = REDIS_REPLY_ARRAY;
        st->elements = elements;
    } else {
        st->odd = true;
    }
    return &stream_marker;
}

static void *st_integer(const redisReadTask *t, long long v)
{
    stream *st = t->privdata;
    (void)v;
    if (!t->parent)
        st->top = REDIS_REPLY_INTEGER;
    else
        st->odd = true;
    return &stream_marker;
}

static void *st_nil(const redisReadTask *t)
{
    stream *st = t->privdata;
    if (!t->parent) /* a nil element is a missing key; a nil reply is odd */
        st->top = REDIS_REPLY_NIL;
    return &stream_marker;
}

static void st_free(void *obj)
{
    (void)obj; /* markers only */
}

static redisReplyObjectFunctions stream_fns = {st_string, st_array, st_integer, st_nil,
                                               st_free};

/* Send one command and read its reply: into *out, or, with st, through
 * the stream functions (then *out is untouched). 0, or a status with the
 * connection to be dropped. */
static int roundtrip(redisContext *c, int argc, const char **argv, const size_t *lens,
                     stream *st, redisReply **out)
{
    if (!st) {
        *out = redisCommandArgv(c, argc, argv, lens);
        return *out ? 0 : -1;
    }
    if (redisAppendCommandArgv(c, argc, argv, lens) != REDIS_OK)
        return -1;
    redisReplyObjectFunctions *fns = c->reader->fn;
    void *priv = c->reader->privdata;
    c->reader->fn = &stream_fns;
    c->reader->privdata = st;
    void *reply = NULL;
    if (redisGetReply(c, &reply) != REDIS_OK)
        return -1; /* the context is freed with the stream functions still
                    * in place: they free nothing, as is right for markers */
    c->reader->fn = fns;
    c->reader->privdata = priv;
    return 0;
}

/* Run one command on a pooled connection; a pooled connection found dead
 * (the server restarted, an idle timeout) is replaced once, unless part of
 * a streamed reply was already delivered. Only for commands that change
 * nothing. The reply goes to *out (caller frees) or through st. */
int cairn__rd_command_once(rd *h, int argc, const char **argv, const size_t *lens,
                        const char *what, stream *st, redisReply **out)
{
    int rc;
    for (int attempt = 0;; attempt++) {
        conn cn = {0};
        if ((rc = cairn__rd_acquire(h, &cn)))
            return rc;
        if (roundtrip(cn.c, argc, argv, lens, st, out) == 0) {
            cairn__rd_release(h, &cn, false);
            return CAIRN_OK;
        }
        int e = errno;
        bool retry = !cn.fresh && attempt == 0 && !(st && st->delivered);
        rc = cairn__rd_ctx_err(h, cn.c, e, what);
        cairn__rd_release(h, &cn, true);
        if (!retry)
            return rc;
    }
}

