/*
 * redis.c — the Redis backend (hiredis): one string per record, a sorted set
 * as the ordered key index, WATCH/MULTI/EXEC for atomic updates.
 *
 * Layout under the URL's prefix P (docs/backends.md, "redis", says the same):
 *   P "r:" KEY   the record (header line + value); PEXPIREAT at its expiry,
 *                so Redis itself drops expired values
 *   P "i"        sorted set of every KEY, all scores 0: ZRANGEBYLEX walks
 *                it in bytewise order without touching the rest of the keyspace
 *   P "g"        hash KEY -> header of the last record written with an expiry
 *                ("ghost"): when Redis has dropped the value, the ghost keeps
 *                the version number going and lets stats and purge see the
 *                expired key, as on the embedded backends; purge removes it
 *   P "m"        marker "cairn 1": the store exists (must_exist)
 * Invariant: KEY is in P"i" exactly when P"r:"KEY or the ghost exists; a
 * member with neither (value expired and ghost gone) is removed lazily by
 * scans, with a script that re-checks both.
 *
 * update() reads under WATCH, runs the core's callbacks here in the client,
 * then writes in MULTI/EXEC; an aborted EXEC (another writer touched a
 * watched key) retries until busy_timeout_ms. Connections come from a small
 * pool shared by the handle's threads; a fork() child never touches the
 * parent's sockets (an atfork handler drops them in the child).
 */
#include "../store/internal.h"
#include "../store/url.h"
#include "parse.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define POOL_DEFAULT 8
#define POOL_MAX 64
#define SCAN_BATCH 256
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000
#define PREFIX_MAX 256
#define DEFAULT_PREFIX "cairn:"

/* Conditional index cleanup: drop KEY from the index only when neither its
 * record nor its ghost exists (a concurrent put may have just made one). */
static const char lazy_zrem_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 "
    "then return redis.call('ZREM', KEYS[3], ARGV[1]) end return 0";

typedef struct rd {
    cairn__hlink link; /* in handles: every open handle of the process (fork) */
    char *host;
    int port, db;
    char *user, *password; /* NULL when none; never printed */
    char label[300];       /* "redis HOST:PORT/DB prefix P": for messages */
    char *prefix;
    size_t plen;
    int connect_timeout_ms, timeout_ms, pool_max;
    int64_t busy_ms;
    /* the pool */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    redisContext **idle;
    int nidle, nopen;
    redisContext **all; /* every open context (idle or lent), pool_max slots */
    int64_t retry_at;   /* after a failed connect: none before this (ms) */
    int backoff_ms;
    /* index and ghost key names */
    char *k_index, *k_ghost, *k_marker;
} rd;

/* A context lent to one call. fresh: connected for this call (a broken
 * pooled one is retried once on a fresh one before the call fails). */
typedef struct {
    redisContext *c;
    bool fresh;
} conn;

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

static int ctx_err(const rd *h, const redisContext *c, int saved_errno, const char *what)
{
    int st = ctx_status(c, saved_errno);
    return cairn_backend_error(st, "%s: %s: %s", h->label, what,
                               st == CAIRN_EBUSY ? "timed out"
                               : c && c->errstr[0] ? c->errstr
                                                   : "connection lost");
}

static int reply_err(const rd *h, const redisReply *r, const char *what)
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

static int64_t mono_ms(void)
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

static void sleep_ms(int ms)
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
        return ctx_err(h, c, errno, what);
    int rc = r->type == REDIS_REPLY_ERROR ? reply_err(h, r, what) : CAIRN_OK;
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
        rc = ctx_err(h, c, errno, "set timeout");
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
static int acquire(rd *h, conn *out)
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
    int64_t now = mono_ms();
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
            h->retry_at = mono_ms() + h->backoff_ms;
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
static void release(rd *h, conn *cn, bool broken)
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
static int read_replies(rd *h, redisContext *c, redisReply **r, size_t n, const char *what)
{
    memset(r, 0, n * sizeof *r);
    for (size_t i = 0; i < n; i++) {
        void *p = NULL;
        if (redisGetReply(c, &p) != REDIS_OK) {
            int e = errno;
            for (size_t j = 0; j < i; j++)
                freeReplyObject(r[j]);
            memset(r, 0, n * sizeof *r);
            return ctx_err(h, c, e, what);
        }
        r[i] = p;
    }
    return CAIRN_OK;
}

static void free_replies(redisReply **r, size_t n)
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
typedef struct {
    const char **argv;
    size_t *lens;
    int n, cap;
} args;

static int args_push(args *a, const char *p, size_t len)
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

static void args_free(args *a)
{
    free(a->argv);
    free(a->lens);
    memset(a, 0, sizeof *a);
}

/* P "r:" KEY, malloc'd. */
static char *rec_name(const rd *h, const char *key, size_t klen, size_t *len)
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

/* ---- ghosts ---- */

/* From a ghost header, a whole record that is expired (whatever the clocks
 * say) and holds an empty value: the core sees an expired record with its
 * version, which is what a ghost stands for. Returns its length, 0 when the
 * ghost does not decode (then the caller passes the ghost as it is, and the
 * core reports it corrupt). buf: CAIRN__HEAD_MAX bytes. */
static size_t ghost_record(const char *g, size_t glen, char *buf, int64_t now)
{
    cairn__rec r;
    if (cairn__rec_decode(g, glen, false, &r) != CAIRN_OK)
        return 0;
    cairn_meta m = r.meta;
    m.model = r.model;
    if (m.expires_ms <= 0 || m.expires_ms > now)
        m.expires_ms = now > 1 ? now : 1;
    m.size = 0;
    m.checksum = cairn__hash("", 0);
    m.compression = "none"; /* an empty body: no frame, no user metadata */
    m.stored_size = 0;
    m.user_meta_len = 0;
    return cairn__rec_head(buf, &m);
}

/* ---- streamed replies ----
 *
 * get_many's MGET reply goes through hiredis's own reader with reply
 * functions of ours: each bulk string reaches the core's callback as a
 * pointer into the reader's buffer, with no reply object, no copy and no
 * malloc per element (the default functions build and copy both). The
 * functions return a marker pointer, never an object to free. */
typedef struct {
    cairn_backend_read_many_fn fn;
    void *ctx;
    size_t base, m; /* reply element i is key base + i; m elements expected */
    int rc;         /* the first status a callback returned */
    size_t delivered;
    int top;        /* the reply's type: REDIS_REPLY_ARRAY when well formed */
    long long elements;
    bool odd;       /* an element of a type MGET never sends */
    char err[200];  /* an error reply's text */
} stream;

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
static int command_once(rd *h, int argc, const char **argv, const size_t *lens,
                        const char *what, stream *st, redisReply **out)
{
    int rc;
    for (int attempt = 0;; attempt++) {
        conn cn = {0};
        if ((rc = acquire(h, &cn)))
            return rc;
        if (roundtrip(cn.c, argc, argv, lens, st, out) == 0) {
            release(h, &cn, false);
            return CAIRN_OK;
        }
        int e = errno;
        bool retry = !cn.fresh && attempt == 0 && !(st && st->delivered);
        rc = ctx_err(h, cn.c, e, what);
        release(h, &cn, true);
        if (!retry)
            return rc;
    }
}

/* ---- get ---- */

static int rd_get(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                  void *ctx)
{
    rd *h = self;
    size_t nlen;
    char *name = rec_name(h, key, klen, &nlen);
    if (!name)
        return cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
    const char *argv[2] = {"GET", name};
    size_t lens[2] = {3, nlen};
    redisReply *r = NULL;
    int rc = command_once(h, 2, argv, lens, "get", NULL, &r);
    if (rc == CAIRN_OK) {
        if (r->type == REDIS_REPLY_NIL)
            rc = CAIRN_ENOTFOUND;
        else if (r->type == REDIS_REPLY_STRING)
            rc = fn(ctx, r->str, r->len);
        else
            rc = reply_err(h, r, "get");
        freeReplyObject(r);
    }
    free(name);
    return rc;
}

/* ---- get_many: MGET, in chunks, the replies streamed ---- */

#define MGET_CHUNK 1000

static int rd_get_many(void *self, const char *const *keys, const size_t *klens, size_t n,
                       cairn_backend_read_many_fn fn, void *ctx)
{
    rd *h = self;
    args a = {0};
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += h->plen + 2 + klens[i];
    char *names = malloc(total ? total : 1); /* every P "r:" KEY, end to end */
    int rc = names ? CAIRN_OK : cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
    char *np = names;
    for (size_t base = 0; base < n && !rc; base += MGET_CHUNK) {
        size_t m = n - base < MGET_CHUNK ? n - base : MGET_CHUNK;
        a.n = 0;
        rc = args_push(&a, "MGET", 4);
        for (size_t i = 0; i < m && !rc; i++) {
            size_t kl = klens[base + i];
            memcpy(np, h->prefix, h->plen);
            memcpy(np + h->plen, "r:", 2);
            memcpy(np + h->plen + 2, keys[base + i], kl);
            rc = args_push(&a, np, h->plen + 2 + kl);
            np += h->plen + 2 + kl;
        }
        if (rc)
            break;
        stream st = {.fn = fn, .ctx = ctx, .base = base, .m = m};
        if ((rc = command_once(h, a.n, a.argv, a.lens, "get_many", &st, NULL)))
            break;
        if (st.rc)
            rc = st.rc;
        else if (st.top == REDIS_REPLY_ERROR) {
            redisReply er = {.type = REDIS_REPLY_ERROR, .str = st.err, .len = strlen(st.err)};
            rc = reply_err(h, &er, "get_many");
        } else if (st.top != REDIS_REPLY_ARRAY || st.odd || st.elements != (long long)m)
            rc = cairn_backend_error(CAIRN_EIO, "%s: get_many: unexpected reply to MGET",
                                     h->label);
    }
    free(names);
    args_free(&a);
    return rc;
}

/* ---- update ---- */

typedef struct {
    char *name;     /* P "r:" KEY */
    size_t nlen;
    int dup_of;     /* index of the previous op on the same key, or -1 */
    /* state after this op */
    int action;     /* KEEP / WRITE / DELETE */
    const void *rec;
    size_t len;
    bool had_data, had_ghost; /* as read under WATCH */
    bool last;      /* the last op on its key: its state is written */
} opstate;

/* For finding repeated keys in one update: keys sorted with their op index. */
typedef struct {
    const char *key;
    size_t klen, idx;
} keyref;

static int cmp_keyref(const void *a, const void *b)
{
    const keyref *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    return x->idx < y->idx ? -1 : 1;
}

/* Queue the commands that write op's final state (*ncmds counts them). */
static int queue_writes(rd *h, redisContext *c, const cairn_backend_op *op, opstate *st,
                        int *ncmds)
{
    int rc = CAIRN_OK;
    if (st->action == CAIRN_BACKEND_WRITE) {
        cairn__rec r;
        int64_t exp = 0;
        size_t head = 0;
        if (cairn__rec_decode(st->rec, st->len, false, &r) == CAIRN_OK) {
            exp = r.meta.expires_ms;
            head = r.head_len;
        }
        if (exp > 0) {
            char at[24];
            int al = snprintf(at, sizeof at, "%lld", (long long)exp);
            const char *argv[5] = {"SET", st->name, st->rec, "PXAT", at};
            size_t lens[5] = {3, st->nlen, st->len, 4, (size_t)al};
            rc |= redisAppendCommandArgv(c, 5, argv, lens);
            const char *gv[4] = {"HSET", h->k_ghost, op->key, st->rec};
            size_t gl[4] = {4, strlen(h->k_ghost), op->klen, head};
            rc |= redisAppendCommandArgv(c, 4, gv, gl);
            *ncmds += 2;
        } else {
            const char *argv[3] = {"SET", st->name, st->rec};
            size_t lens[3] = {3, st->nlen, st->len};
            rc |= redisAppendCommandArgv(c, 3, argv, lens);
            (*ncmds)++;
            if (st->had_ghost) {
                const char *gv[3] = {"HDEL", h->k_ghost, op->key};
                size_t gl[3] = {4, strlen(h->k_ghost), op->klen};
                rc |= redisAppendCommandArgv(c, 3, gv, gl);
                (*ncmds)++;
            }
        }
        if (!st->had_data) {
            const char *zv[4] = {"ZADD", h->k_index, "0", op->key};
            size_t zl[4] = {4, strlen(h->k_index), 1, op->klen};
            rc |= redisAppendCommandArgv(c, 4, zv, zl);
            (*ncmds)++;
        }
    } else if (st->action == CAIRN_BACKEND_DELETE) {
        const char *dv[2] = {"DEL", st->name};
        size_t dl[2] = {3, st->nlen};
        const char *gv[3] = {"HDEL", h->k_ghost, op->key};
        size_t gl[3] = {4, strlen(h->k_ghost), op->klen};
        const char *zv[3] = {"ZREM", h->k_index, op->key};
        size_t zl[3] = {4, strlen(h->k_index), op->klen};
        rc |= redisAppendCommandArgv(c, 2, dv, dl);
        rc |= redisAppendCommandArgv(c, 3, gv, gl);
        rc |= redisAppendCommandArgv(c, 3, zv, zl);
        *ncmds += 3;
    }
    return rc == REDIS_OK ? CAIRN_OK : cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
}

typedef struct {
    rd *h;
    const cairn_backend_op *ops;
    size_t n;
    opstate *st;
    char (*ghosts)[CAIRN__HEAD_MAX]; /* synthesized ghost records, per op */
} upd;

/* One optimistic attempt. Returns CAIRN_OK (done), 1 (EXEC aborted: try
 * again), or a status; *retry_conn tells that a pooled connection broke
 * before anything was sent that could have changed data. */
static int update_once(upd *u, conn *cn, bool *retry_conn)
{
    rd *h = u->h;
    redisContext *c = cn->c;
    size_t n = u->n;
    *retry_conn = false;
    int rc;

    /* 1. WATCH the record keys; read records and ghosts; one round trip. */
    args w = {0}, g = {0};
    rc = args_push(&w, "WATCH", 5);
    for (size_t i = 0; i < n && !rc; i++)
        rc = args_push(&w, u->st[i].name, u->st[i].nlen);
    if (!rc)
        rc = args_push(&g, "MGET", 4);
    for (size_t i = 0; i < n && !rc; i++)
        rc = args_push(&g, u->st[i].name, u->st[i].nlen);
    if (rc) {
        args_free(&w);
        args_free(&g);
        return rc;
    }
    int arc = redisAppendCommandArgv(c, w.n, w.argv, w.lens);
    arc |= redisAppendCommandArgv(c, g.n, g.argv, g.lens);
    /* HMGET P"g" k1..kn reuses the MGET list with keys instead of names. */
    g.n = 0;
    rc = args_push(&g, "HMGET", 5);
    if (!rc)
        rc = args_push(&g, h->k_ghost, strlen(h->k_ghost));
    for (size_t i = 0; i < n && !rc; i++)
        rc = args_push(&g, u->ops[i].key, u->ops[i].klen);
    if (!rc)
        arc |= redisAppendCommandArgv(c, g.n, g.argv, g.lens);
    args_free(&w);
    args_free(&g);
    if (rc)
        return rc;
    if (arc != REDIS_OK)
        return cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
    redisReply *rr[3];
    if ((rc = read_replies(h, c, rr, 3, "watch and read"))) {
        *retry_conn = !cn->fresh;
        return rc;
    }
    if (rr[0]->type != REDIS_REPLY_STATUS || rr[1]->type != REDIS_REPLY_ARRAY ||
        rr[1]->elements != n || rr[2]->type != REDIS_REPLY_ARRAY || rr[2]->elements != n) {
        const redisReply *bad = rr[0]->type != REDIS_REPLY_STATUS ? rr[0]
                                : rr[1]->type != REDIS_REPLY_ARRAY ? rr[1]
                                                                   : rr[2];
        rc = reply_err(h, bad, "watch and read");
        free_replies(rr, 3);
        return rc;
    }

    /* 2. The core's callbacks decide, in order; a later op on the same key
     * sees the state the earlier one left. */
    int64_t now = cairn_now_ms();
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        opstate *st = &u->st[i];
        const redisReply *d = rr[1]->element[i], *gh = rr[2]->element[i];
        const void *cur = NULL;
        size_t clen = 0;
        if (st->dup_of >= 0) {
            const opstate *p = &u->st[st->dup_of];
            st->had_data = p->had_data;
            st->had_ghost = p->had_ghost;
            if (p->action == CAIRN_BACKEND_WRITE) {
                cur = p->rec;
                clen = p->len;
            } else if (p->action == CAIRN_BACKEND_KEEP) {
                /* what the previous op saw */
                cur = p->rec;
                clen = p->len;
            }
        } else {
            st->had_data = d->type == REDIS_REPLY_STRING;
            st->had_ghost = gh->type == REDIS_REPLY_STRING;
            if (st->had_data) {
                cur = d->str;
                clen = d->len;
            } else if (st->had_ghost) {
                size_t gl = ghost_record(gh->str, gh->len, u->ghosts[i], now);
                cur = gl ? u->ghosts[i] : gh->str;
                clen = gl ? gl : gh->len;
            }
        }
        const void *out = NULL;
        size_t olen = 0;
        int a = u->ops[i].fn(u->ops[i].ctx, cur, clen, &out, &olen);
        if (a < 0) {
            free_replies(rr, 3);
            return a;
        }
        st->action = a;
        if (a == CAIRN_BACKEND_WRITE) {
            st->rec = out && olen ? out : "";
            st->len = olen;
            any = true;
        } else if (a == CAIRN_BACKEND_DELETE) {
            st->rec = NULL;
            st->len = 0;
            any = any || cur != NULL;
            if (!cur)
                st->action = CAIRN_BACKEND_KEEP;
        } else if (a == CAIRN_BACKEND_KEEP) {
            /* stays as read; a later duplicate sees it (copied pointers stay
             * valid: the replies live until this attempt ends) */
            st->rec = cur;
            st->len = clen;
            st->action = CAIRN_BACKEND_KEEP;
        } else {
            free_replies(rr, 3);
            return cairn_backend_error(CAIRN_EINVAL, "%s: update callback answered %d",
                                       h->label, a);
        }
        if (st->dup_of >= 0 && st->action == CAIRN_BACKEND_KEEP &&
            u->st[st->dup_of].action != CAIRN_BACKEND_KEEP) {
            /* keeping the state an earlier op made: that state is written */
            st->action = u->st[st->dup_of].action;
        }
    }

    if (!any) {
        free_replies(rr, 3);
        /* Nothing to write: the reads were consistent when made. */
        redisReply *r = redisCommand(c, "UNWATCH");
        if (!r)
            return ctx_err(h, c, errno, "unwatch");
        freeReplyObject(r);
        return CAIRN_OK;
    }

    /* 3. MULTI, the writes of each key's final state, EXEC: one round trip. */
    int ncmds = 0;
    rc = CAIRN_OK;
    arc = redisAppendCommand(c, "MULTI");
    for (size_t i = 0; i < n && !rc; i++)
        if (u->st[i].last)
            rc = queue_writes(h, c, &u->ops[i], &u->st[i], &ncmds);
    arc |= redisAppendCommand(c, "EXEC");
    free_replies(rr, 3); /* after queueing: KEEP states may point into them */
    if (rc)
        return rc;
    if (arc != REDIS_OK)
        return cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
    size_t nr = (size_t)ncmds + 2;
    redisReply **xr = calloc(nr, sizeof *xr);
    if (!xr)
        return cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
    /* From here a lost connection leaves the outcome unknown: the call
     * fails with ECONN (never a silent success), and is not retried. */
    if ((rc = read_replies(h, c, xr, nr, "write (outcome unknown)"))) {
        free(xr);
        return rc;
    }
    const redisReply *ex = xr[nr - 1];
    if (ex->type == REDIS_REPLY_NIL) {
        rc = 1; /* a watched key changed: again */
    } else if (ex->type != REDIS_REPLY_ARRAY) {
        /* EXECABORT: a command was refused when queued */
        const redisReply *bad = ex;
        for (size_t i = 1; i + 1 < nr; i++)
            if (xr[i]->type == REDIS_REPLY_ERROR) {
                bad = xr[i];
                break;
            }
        rc = reply_err(h, bad, "write");
    } else {
        rc = CAIRN_OK;
        for (size_t i = 0; i < ex->elements; i++)
            if (ex->element[i]->type == REDIS_REPLY_ERROR) {
                rc = reply_err(h, ex->element[i], "write");
                break;
            }
    }
    free_replies(xr, nr);
    free(xr);
    return rc;
}

static int rd_update(void *self, const cairn_backend_op *ops, size_t n)
{
    rd *h = self;
    if (n == 0)
        return CAIRN_OK;
    upd u = {h, ops, n, calloc(n, sizeof(opstate)), malloc(n * CAIRN__HEAD_MAX)};
    keyref *order = malloc(n * sizeof *order);
    int rc = CAIRN_OK;
    if (!u.st || !u.ghosts || !order) {
        rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        u.st[i].dup_of = -1;
        u.st[i].last = true;
        if (!(u.st[i].name = rec_name(h, ops[i].key, ops[i].klen, &u.st[i].nlen))) {
            rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
            goto out;
        }
        order[i] = (keyref){ops[i].key, ops[i].klen, i};
    }
    /* Repeated keys (the core never sends them; a user backend caller may):
     * each op sees the previous one's result, the last one is written. */
    if (n > 1) {
        qsort(order, n, sizeof *order, cmp_keyref);
        for (size_t j = 1; j < n; j++) {
            const keyref *a = &order[j - 1], *b = &order[j];
            if (a->klen == b->klen && !memcmp(a->key, b->key, a->klen)) {
                u.st[b->idx].dup_of = (int)a->idx;
                u.st[a->idx].last = false;
            }
        }
    }
    int64_t deadline = mono_ms() + h->busy_ms;
    unsigned seed = 0; /* set at the first conflict */
    for (int attempt = 0, conn_retry = 0;; attempt++) {
        conn cn = {0};
        if ((rc = acquire(h, &cn)))
            break;
        bool retry_conn;
        rc = update_once(&u, &cn, &retry_conn);
        release(h, &cn, rc != CAIRN_OK && rc != 1 && cn.c->err != 0);
        if (rc < 0 && retry_conn && conn_retry++ == 0)
            continue; /* a pooled connection gone stale before any write */
        if (rc != 1)
            break;
        if (mono_ms() >= deadline) {
            rc = cairn_backend_error(CAIRN_EBUSY,
                                     "%s: busy: other writers kept changing %.*s for %lld ms "
                                     "(%d attempts)",
                                     h->label, (int)ops[0].klen, ops[0].key,
                                     (long long)h->busy_ms, attempt + 1);
            break;
        }
        /* Back off a little, more after each conflict, so writers spread. */
        if (!seed)
            seed = ((unsigned)getpid() * 2654435761u) ^ (unsigned)mono_ms() ^ 1u;
        unsigned cap = attempt < 6 ? 1u << attempt : 64u;
        sleep_ms((int)((unsigned)rand_r(&seed) % cap));
    }
out:
    if (u.st)
        for (size_t i = 0; i < n; i++)
            free(u.st[i].name);
    free(u.st);
    free(u.ghosts);
    free(order);
    return rc;
}

/* ---- scan ---- */

static int rd_scan(void *self, const char *lo, size_t lolen, int lo_excl, const char *hi,
                   size_t hilen, int want_value, cairn_backend_scan_fn fn, void *ctx)
{
    rd *h = self;
    char *lob = NULL, *hib = NULL;
    size_t lobl = 1, hibl = 1;
    int rc = CAIRN_OK;
    /* ZRANGEBYLEX bounds: "[x" inclusive, "(x" exclusive, "-" / "+". */
    if (!(lob = malloc(lolen + 2)) || !(hib = malloc(hilen + 2))) {
        free(lob);
        return cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
    }
    if (lo) {
        lob[0] = lo_excl ? '(' : '[';
        memcpy(lob + 1, lo, lolen);
        lobl = lolen + 1;
    } else {
        lob[0] = '-';
    }
    if (hi) {
        hib[0] = '(';
        memcpy(hib + 1, hi, hilen);
        hibl = hilen + 1;
    } else {
        hib[0] = '+';
    }
    char batch[12];
    snprintf(batch, sizeof batch, "%d", SCAN_BATCH);
    char ghost[CAIRN__HEAD_MAX];
    args a = {0};
    redisReply *keys = NULL, **vr = NULL;
    bool *gone = NULL; /* per batch member: GETRANGE's "" meant no key */
    conn cn = {0};
    bool done = false;
    for (int stale_retry = 0; !done;) {
        if (!cn.c && (rc = acquire(h, &cn)))
            break;
        redisContext *c = cn.c;
        const char *zv[7] = {"ZRANGEBYLEX", h->k_index, lob, hib, "LIMIT", "0", batch};
        size_t zl[7] = {11, strlen(h->k_index), lobl, hibl, 5, 1, strlen(batch)};
        keys = redisCommandArgv(c, 7, zv, zl);
        if (!keys) {
            int e = errno;
            bool retry = !cn.fresh && stale_retry++ == 0;
            rc = ctx_err(h, c, e, "scan");
            release(h, &cn, true);
            if (retry)
                continue;
            break;
        }
        if (keys->type != REDIS_REPLY_ARRAY) {
            rc = reply_err(h, keys, "scan");
            break;
        }
        size_t nk = keys->elements;
        if (nk == 0)
            break;
        /* Records (or their first CAIRN_RECORD_HEAD_MAX bytes) and ghosts
         * of the batch: one pipeline. */
        int arc = REDIS_OK;
        char headmax[12];
        snprintf(headmax, sizeof headmax, "%d", CAIRN_RECORD_HEAD_MAX - 1);
        for (size_t i = 0; i < nk && !rc; i++) {
            const redisReply *k = keys->element[i];
            size_t nl;
            char *name = rec_name(h, k->str, k->len, &nl);
            if (!name) {
                rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
                break;
            }
            const char *gv[4] = {want_value ? "GET" : "GETRANGE", name, "0", headmax};
            size_t gl[4] = {want_value ? 3u : 8u, nl, 1, strlen(headmax)};
            arc |= redisAppendCommandArgv(c, want_value ? 2 : 4, gv, gl);
            free(name);
        }
        a.n = 0;
        if (!rc)
            rc = args_push(&a, "HMGET", 5);
        if (!rc)
            rc = args_push(&a, h->k_ghost, strlen(h->k_ghost));
        for (size_t i = 0; i < nk && !rc; i++)
            rc = args_push(&a, keys->element[i]->str, keys->element[i]->len);
        if (rc) {
            release(h, &cn, true); /* commands half queued */
            break;
        }
        arc |= redisAppendCommandArgv(c, a.n, a.argv, a.lens);
        if (arc != REDIS_OK) {
            rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
            release(h, &cn, true);
            break;
        }
        if (!(vr = calloc(nk + 1, sizeof *vr)) || !(gone = calloc(nk, 1))) {
            rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
            release(h, &cn, true);
            break;
        }
        if ((rc = read_replies(h, c, vr, nk + 1, "scan"))) {
            release(h, &cn, true);
            break;
        }
        const redisReply *gh = vr[nk];
        if (gh->type != REDIS_REPLY_ARRAY || gh->elements != nk) {
            rc = reply_err(h, gh, "scan");
            break;
        }
        /* GETRANGE answers "" both for a missing key and an empty record:
         * ask EXISTS about those (rare: expired, just deleted, or empty). */
        size_t nempty = 0;
        for (size_t i = 0; i < nk; i++)
            if (vr[i]->type == REDIS_REPLY_STRING && vr[i]->len == 0) {
                size_t nl;
                char *name = rec_name(h, keys->element[i]->str, keys->element[i]->len, &nl);
                if (!name) {
                    rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
                    break;
                }
                const char *ev[2] = {"EXISTS", name};
                size_t el[2] = {6, nl};
                arc |= redisAppendCommandArgv(c, 2, ev, el);
                free(name);
                nempty++;
            }
        if (!rc && nempty) {
            redisReply **er = calloc(nempty, sizeof *er);
            if (!er || arc != REDIS_OK) {
                free(er);
                rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
            } else if ((rc = read_replies(h, c, er, nempty, "scan"))) {
                free(er);
                release(h, &cn, true);
                break;
            } else {
                for (size_t i = 0, j = 0; i < nk; i++)
                    if (vr[i]->type == REDIS_REPLY_STRING && vr[i]->len == 0) {
                        gone[i] = er[j]->type == REDIS_REPLY_INTEGER && er[j]->integer == 0;
                        j++;
                    }
                free_replies(er, nempty);
                free(er);
            }
        }
        if (rc) {
            release(h, &cn, true);
            break;
        }
        int64_t now = cairn_now_ms();
        size_t lazy = 0;
        for (size_t i = 0; i < nk && !rc && !done; i++) {
            const redisReply *k = keys->element[i], *v = vr[i], *g = gh->element[i];
            if (v->type == REDIS_REPLY_STRING && !gone[i]) {
                rc = fn(ctx, k->str, k->len, v->len ? v->str : "", v->len);
            } else if (v->type == REDIS_REPLY_NIL || v->type == REDIS_REPLY_STRING) {
                /* value gone (expired, or deleted since ZRANGEBYLEX) */
                if (g->type == REDIS_REPLY_STRING) {
                    size_t gl = ghost_record(g->str, g->len, ghost, now);
                    rc = gl ? fn(ctx, k->str, k->len, ghost, gl)
                            : fn(ctx, k->str, k->len, g->str, g->len);
                } else {
                    const char *lv[7] = {"EVAL", lazy_zrem_lua, "3", NULL, h->k_ghost,
                                         h->k_index, k->str};
                    size_t nl;
                    char *name = rec_name(h, k->str, k->len, &nl);
                    if (!name) {
                        rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
                        break;
                    }
                    lv[3] = name;
                    size_t ll[7] = {4, sizeof lazy_zrem_lua - 1, 1, nl, strlen(h->k_ghost),
                                    strlen(h->k_index), k->len};
                    if (redisAppendCommandArgv(c, 7, lv, ll) == REDIS_OK)
                        lazy++;
                    free(name);
                }
            } else {
                rc = reply_err(h, v, "scan");
            }
            if (rc == 1) {
                rc = CAIRN_OK;
                done = true;
            }
        }
        /* Collect the lazy cleanups' replies (their outcome is advisory). */
        for (size_t i = 0; i < lazy; i++) {
            void *p = NULL;
            if (redisGetReply(c, &p) != REDIS_OK) {
                release(h, &cn, true);
                break;
            }
            freeReplyObject(p);
        }
        if (!rc && !done && nk == SCAN_BATCH) {
            /* Resume after the last member of this batch. */
            const redisReply *last = keys->element[nk - 1];
            char *nb = realloc(lob, last->len + 2);
            if (!nb) {
                rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
            } else {
                lob = nb;
                lob[0] = '(';
                memcpy(lob + 1, last->str, last->len);
                lobl = last->len + 1;
            }
        } else {
            done = true;
        }
        free_replies(vr, nk + 1);
        free(vr);
        vr = NULL;
        free(gone);
        gone = NULL;
        freeReplyObject(keys);
        keys = NULL;
    }
    if (vr) {
        free_replies(vr, keys->elements + 1);
        free(vr);
    }
    if (keys)
        freeReplyObject(keys);
    free(gone);
    release(h, &cn, false);
    args_free(&a);
    free(lob);
    free(hib);
    return rc;
}

/* ---- URL ---- */

static int parse_int(const char *p, size_t n, long lo, long hi, long *out)
{
    if (n == 0 || n > 10)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* location: "//[[user]:password@]host[:port][/db][?k=v&...]", read by the
 * one URL parser (src/store/url.c); here what its parts mean to redis. The
 * messages quote the host and parameters, never the user information. */
static int parse_url(rd *h, const char *loc)
{
    if (strncmp(loc, "//", 2) != 0)
        return cairn_backend_error(CAIRN_EURL,
                                   "redis: the URL must look like "
                                   "redis://[:password@]host[:port][/db][?prefix=P]");
    cairn__url u;
    int rc = cairn__url_parse("redis", loc, &u);
    /* The user information first, on failure too: the fuzz hook
     * (cairn__redis_parse_location) checks no message shows it. */
    if (u.user && !u.password) {
        /* redis://secret@host: a lone user part is the password, as
         * redis-cli -u reads it */
        if (*u.user) {
            h->password = u.user;
            u.user = NULL;
        }
    } else {
        /* "user:@host": no password here, the environment may give one */
        if (u.user && *u.user) {
            h->user = u.user;
            u.user = NULL;
        }
        if (u.password && *u.password) {
            h->password = u.password;
            u.password = NULL;
        }
    }
    if (rc)
        goto out;
    if (*u.host) {
        h->host = u.host;
        u.host = NULL;
    } else if (!(h->host = strdup("127.0.0.1"))) {
        rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
        goto out;
    }
    h->port = u.port ? u.port : 6379;
    if (u.path) {
        size_t n = strlen(u.path);
        long v = 0;
        if (n && parse_int(u.path, n, 0, 1000000, &v)) {
            rc = u.at_after ? cairn_backend_error(CAIRN_EURL,
                                                  "redis: bad database number (a number from "
                                                  "0 to 1000000 after the host)")
                            : cairn_backend_error(CAIRN_EURL,
                                                  "redis: bad database number '%.*s' (0 to "
                                                  "1000000)",
                                                  (int)(n > 20 ? 20 : n), u.path);
            goto out;
        }
        h->db = (int)v;
    }
    /* a #fragment means nothing to redis: ignored */
    cairn__url_param q;
    for (size_t pos = 0; (rc = cairn__url_param_next(&u, &pos, &q)) == 1;) {
        const char *v = q.value;
        size_t vl = q.value_len;
        long num;
        if (cairn__url_param_is(&q, "prefix")) {
            free(h->prefix);
            h->prefix = NULL;
            if ((rc = cairn__url_param_value(&u, &q, &h->prefix)))
                goto out;
            if (strlen(h->prefix) > PREFIX_MAX) {
                rc = cairn_backend_error(CAIRN_EURL, "redis: prefix longer than %d bytes",
                                         PREFIX_MAX);
                goto out;
            }
        } else if (cairn__url_param_is(&q, "connect_timeout_ms") ||
                   cairn__url_param_is(&q, "timeout_ms") || cairn__url_param_is(&q, "pool")) {
            bool pool = cairn__url_param_is(&q, "pool");
            long lo = 1, hi = pool ? POOL_MAX : 86400000;
            if (parse_int(v, vl, lo, hi, &num)) {
                rc = cairn_backend_error(CAIRN_EURL,
                                         "redis: %.*s must be a number from %ld to %ld",
                                         (int)q.name_len, q.name, lo, hi);
                goto out;
            }
            if (pool)
                h->pool_max = (int)num;
            else if (cairn__url_param_is(&q, "timeout_ms"))
                h->timeout_ms = (int)num;
            else
                h->connect_timeout_ms = (int)num;
        } else if (cairn__url_param_is(&q, "password")) {
            rc = cairn_backend_error(CAIRN_EURL,
                                     "redis: put the password before the host "
                                     "(redis://:PASSWORD@host) or in $REDISCLI_AUTH");
            goto out;
        } else {
            rc = u.at_after ? cairn_backend_error(CAIRN_EURL,
                                                  "redis: unknown URL parameter (known: "
                                                  "prefix, connect_timeout_ms, timeout_ms, "
                                                  "pool; an '@' follows the host: is there a "
                                                  "raw '/', '?' or '#' in the password?)")
                            : cairn_backend_error(CAIRN_EURL,
                                                  "redis: unknown parameter '%.*s' (known: "
                                                  "prefix, connect_timeout_ms, timeout_ms, "
                                                  "pool)",
                                                  (int)(q.name_len > 40 ? 40 : q.name_len),
                                                  q.name);
            goto out;
        }
    }
out:
    cairn__url_free(&u);
    return rc;
}

static void rd_free(rd *h);

/* A handle with the defaults, before its URL is parsed; NULL when out of
 * memory (the message is set). */
static rd *rd_new(void)
{
    rd *h = calloc(1, sizeof *h);
    if (!h) {
        cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
        return NULL;
    }
    h->connect_timeout_ms = 5000;
    h->timeout_ms = 30000;
    h->pool_max = POOL_DEFAULT;
    return h;
}

/* The URL, the default prefix and the label messages use (no password). */
static int parse_location(rd *h, const char *location)
{
    int rc = parse_url(h, location);
    if (rc)
        return rc;
    if (!h->prefix && !(h->prefix = strdup(DEFAULT_PREFIX)))
        return cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
    h->plen = strlen(h->prefix);
    snprintf(h->label, sizeof h->label, "redis %s%.100s%s:%d/%d prefix '%.100s'",
             strchr(h->host, ':') ? "[" : "", h->host, strchr(h->host, ':') ? "]" : "",
             h->port, h->db, h->prefix);
    return CAIRN_OK;
}

int cairn__redis_parse_location(const char *location, char **password, char *label,
                                 size_t labelsz)
{
    *password = NULL;
    if (labelsz)
        label[0] = '\0';
    rd *h = rd_new();
    if (!h)
        return CAIRN_ENOMEM;
    int rc = parse_location(h, location);
    if (h->password && !(*password = strdup(h->password)) && !rc)
        rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
    if (!rc && labelsz)
        snprintf(label, labelsz, "%s", h->label);
    rd_free(h);
    return rc;
}

/* ---- open / close ---- */

static void rd_free(rd *h)
{
    if (!h)
        return;
    for (int i = 0; h->all && i < h->pool_max; i++)
        if (h->all[i])
            redisFree(h->all[i]);
    free(h->all);
    free(h->idle);
    free(h->host);
    free(h->user);
    if (h->password) {
        /* do not leave the secret in freed memory */
        volatile char *v = h->password;
        while (*v)
            *v++ = 0;
        free(h->password);
    }
    free(h->prefix);
    free(h->k_index);
    free(h->k_ghost);
    free(h->k_marker);
    free(h);
}

static char *key_name(const rd *h, const char *suffix)
{
    size_t sl = strlen(suffix);
    char *s = malloc(h->plen + sl + 1);
    if (s) {
        memcpy(s, h->prefix, h->plen);
        memcpy(s + h->plen, suffix, sl + 1);
    }
    return s;
}

/* The marker says the store exists; created unless must_exist. */
static int check_marker(rd *h, bool must_exist)
{
    conn cn = {0};
    int rc = acquire(h, &cn);
    if (rc)
        return rc;
    const char *argv[5] = {"SET", h->k_marker, "cairn 1", "NX", "GET"};
    size_t lens[5] = {3, strlen(h->k_marker), 7, 2, 3};
    redisReply *r = must_exist ? redisCommandArgv(cn.c, 2, (const char *[]){"GET", h->k_marker},
                                                  (size_t[]){3, strlen(h->k_marker)})
                               : redisCommandArgv(cn.c, 5, argv, lens);
    if (!r) {
        rc = ctx_err(h, cn.c, errno, "open");
        release(h, &cn, true);
        return rc;
    }
    release(h, &cn, false);
    if (r->type == REDIS_REPLY_NIL) {
        rc = must_exist ? cairn_backend_error(CAIRN_ENOTFOUND,
                                              "%s: no store at this prefix (no marker %s)",
                                              h->label, h->k_marker)
                        : CAIRN_OK;
    } else if (r->type == REDIS_REPLY_STRING) {
        rc = r->len == 7 && !memcmp(r->str, "cairn 1", 7)
                 ? CAIRN_OK
                 : cairn_backend_error(CAIRN_ECORRUPT,
                                       "%s: %s holds something else than a cairn marker",
                                       h->label, h->k_marker);
    } else if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "WRONGTYPE", 9)) {
        rc = cairn_backend_error(CAIRN_ECORRUPT, "%s: %s is not a cairn store marker",
                                 h->label, h->k_marker);
    } else {
        rc = reply_err(h, r, "open");
    }
    freeReplyObject(r);
    return rc;
}

static int rd_open(const char *location, const struct cairn_options *opt, void **self)
{
    pthread_once(&g_once, init_once);
    if (!location || !*location)
        return cairn_backend_error(CAIRN_EURL, "redis: needs a server: "
                                               "redis://[:password@]host[:port][/db]");
    rd *h = rd_new();
    if (!h)
        return CAIRN_ENOMEM;
    int rc = parse_location(h, location);
    if (rc)
        goto fail;
    if (!h->password) {
        const char *env = getenv("REDISCLI_AUTH");
        if (!env || !*env)
            env = getenv("CAIRN_REDIS_PASSWORD");
        if (env && *env && !(h->password = strdup(env))) {
            rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
            goto fail;
        }
    }
    h->busy_ms = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000;
    h->idle = calloc((size_t)h->pool_max, sizeof *h->idle);
    h->all = calloc((size_t)h->pool_max, sizeof *h->all);
    h->k_index = key_name(h, "i");
    h->k_ghost = key_name(h, "g");
    h->k_marker = key_name(h, "m");
    if (!h->idle || !h->all || !h->k_index || !h->k_ghost || !h->k_marker) {
        rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
        goto fail;
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    /* Connect now: a wrong host or password fails the open, not a later call. */
    if ((rc = check_marker(h, opt->must_exist != 0))) {
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->cond);
        goto fail;
    }
    cairn__hlist_add(&handles, &h->link, h);
    *self = h;
    return CAIRN_OK;
fail:
    rd_free(h);
    return rc;
}

static void rd_close(void *self)
{
    rd *h = self;
    if (!h)
        return;
    cairn__hlist_del(&handles, &h->link);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
    rd_free(h);
}

const cairn_backend_methods cairn__backend_redis = {
    .version = CAIRN_BACKEND_VERSION,
    .name = "redis",
    .open = rd_open,
    .close = rd_close,
    .get = rd_get,
    .update = rd_update,
    .scan = rd_scan,
    .get_many = rd_get_many,
};
