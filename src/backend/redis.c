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
 *
 * This file: the vtable (get, get_many, update, scan). redis_conn.c:
 * connections, the pool, fork; redis_open.c: the URL, open and close.
 */
#include "backend/redis_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCAN_BATCH 256

/* The longest string a Redis server takes in one command: proto-max-bulk-len,
 * 512 MB by default. A longer record would be sent whole and then the
 * server would drop the connection, leaving the write's outcome unknown;
 * it is refused before anything of it is sent. */
#define BULK_MAX ((size_t)512 * 1024 * 1024)

/* Conditional index cleanup: drop KEY from the index only when neither its
 * record nor its ghost exists (a concurrent put may have just made one). */
static const char lazy_zrem_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 "
    "then return redis.call('ZREM', KEYS[3], ARGV[1]) end return 0";

/* ---- ghosts ---- */

/* From a ghost header, a whole record that is expired (whatever the clocks
 * say) and holds an empty value: the core sees an expired record with its
 * version, which is what a ghost stands for. Returns its length, 0 when the
 * ghost does not decode (then the caller passes the ghost as it is, and the
 * core reports it corrupt, as it does a ghost bound to another key than
 * key). buf: CAIRN__HEAD_MAX bytes. */
static size_t ghost_record(const char *g, size_t glen, const char *key, size_t klen, char *buf,
                           int64_t now)
{
    cairn__rec r;
    if (cairn__rec_decode_key(g, glen, false, key, klen, &r) != CAIRN_OK) {
        cairn__err_clear();
        return 0;
    }
    cairn_meta m = r.meta;
    m.model = r.model;
    if (m.expires_ms <= 0 || m.expires_ms > now)
        m.expires_ms = now > 1 ? now : 1;
    m.size = 0;
    m.checksum = cairn__hash("", 0);
    m.compression = "none"; /* an empty body: no frame, no user metadata */
    m.stored_size = 0;
    m.user_meta_len = 0;
    return cairn__rec_head(buf, &m, 0, r.bound ? &r.key_sum : NULL);
}

/* ---- get ---- */

static int rd_get(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                  void *ctx)
{
    rd *h = self;
    size_t nlen;
    char *name = cairn__rd_rec_name(h, key, klen, &nlen);
    if (!name)
        return cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
    const char *argv[2] = {"GET", name};
    size_t lens[2] = {3, nlen};
    redisReply *r = NULL;
    int rc = cairn__rd_command_once(h, 2, argv, lens, "get", NULL, &r);
    if (rc == CAIRN_OK) {
        if (r->type == REDIS_REPLY_NIL)
            rc = CAIRN_ENOTFOUND;
        else if (r->type == REDIS_REPLY_STRING)
            rc = fn(ctx, r->str, r->len);
        else
            rc = cairn__rd_reply_err(h, r, "get");
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
        rc = cairn__rd_args_push(&a, "MGET", 4);
        for (size_t i = 0; i < m && !rc; i++) {
            size_t kl = klens[base + i];
            memcpy(np, h->prefix, h->plen);
            memcpy(np + h->plen, "r:", 2);
            memcpy(np + h->plen + 2, keys[base + i], kl);
            rc = cairn__rd_args_push(&a, np, h->plen + 2 + kl);
            np += h->plen + 2 + kl;
        }
        if (rc)
            break;
        stream st = {.fn = fn, .ctx = ctx, .base = base, .m = m};
        if ((rc = cairn__rd_command_once(h, a.n, a.argv, a.lens, "get_many", &st, NULL)))
            break;
        if (st.rc)
            rc = st.rc;
        else if (st.top == REDIS_REPLY_ERROR) {
            redisReply er = {.type = REDIS_REPLY_ERROR, .str = st.err, .len = strlen(st.err)};
            rc = cairn__rd_reply_err(h, &er, "get_many");
        } else if (st.top != REDIS_REPLY_ARRAY || st.odd || st.elements != (long long)m)
            rc = cairn_backend_error(CAIRN_EIO, "%s: get_many: unexpected reply to MGET",
                                     h->label);
    }
    free(names);
    cairn__rd_args_free(&a);
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
    rc = cairn__rd_args_push(&w, "WATCH", 5);
    for (size_t i = 0; i < n && !rc; i++)
        rc = cairn__rd_args_push(&w, u->st[i].name, u->st[i].nlen);
    if (!rc)
        rc = cairn__rd_args_push(&g, "MGET", 4);
    for (size_t i = 0; i < n && !rc; i++)
        rc = cairn__rd_args_push(&g, u->st[i].name, u->st[i].nlen);
    if (rc) {
        cairn__rd_args_free(&w);
        cairn__rd_args_free(&g);
        return rc;
    }
    int arc = redisAppendCommandArgv(c, w.n, w.argv, w.lens);
    arc |= redisAppendCommandArgv(c, g.n, g.argv, g.lens);
    /* HMGET P"g" k1..kn reuses the MGET list with keys instead of names. */
    g.n = 0;
    rc = cairn__rd_args_push(&g, "HMGET", 5);
    if (!rc)
        rc = cairn__rd_args_push(&g, h->k_ghost, strlen(h->k_ghost));
    for (size_t i = 0; i < n && !rc; i++)
        rc = cairn__rd_args_push(&g, u->ops[i].key, u->ops[i].klen);
    if (!rc)
        arc |= redisAppendCommandArgv(c, g.n, g.argv, g.lens);
    cairn__rd_args_free(&w);
    cairn__rd_args_free(&g);
    if (rc)
        return rc;
    if (arc != REDIS_OK)
        return cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
    redisReply *rr[3];
    if ((rc = cairn__rd_read_replies(h, c, rr, 3, "watch and read"))) {
        *retry_conn = !cn->fresh;
        return rc;
    }
    if (rr[0]->type != REDIS_REPLY_STATUS || rr[1]->type != REDIS_REPLY_ARRAY ||
        rr[1]->elements != n || rr[2]->type != REDIS_REPLY_ARRAY || rr[2]->elements != n) {
        const redisReply *bad = rr[0]->type != REDIS_REPLY_STATUS ? rr[0]
                                : rr[1]->type != REDIS_REPLY_ARRAY ? rr[1]
                                                                   : rr[2];
        rc = cairn__rd_reply_err(h, bad, "watch and read");
        cairn__rd_free_replies(rr, 3);
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
                size_t gl = ghost_record(gh->str, gh->len, u->ops[i].key, u->ops[i].klen,
                                          u->ghosts[i], now);
                cur = gl ? u->ghosts[i] : gh->str;
                clen = gl ? gl : gh->len;
            }
        }
        const void *out = NULL;
        size_t olen = 0;
        int a = u->ops[i].fn(u->ops[i].ctx, cur, clen, &out, &olen);
        if (a < 0) {
            cairn__rd_free_replies(rr, 3);
            return a;
        }
        st->action = a;
        if (a == CAIRN_BACKEND_WRITE && olen > BULK_MAX) {
            cairn__rd_free_replies(rr, 3);
            return cairn_backend_error(
                CAIRN_EINVAL,
                "%s: the record of '%.*s' is %zu bytes (header + value), over Redis's "
                "limit of %zu bytes per string (512 MB, proto-max-bulk-len's default)",
                h->label, (int)(u->ops[i].klen > 200 ? 200 : u->ops[i].klen), u->ops[i].key,
                olen, BULK_MAX);
        }
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
            cairn__rd_free_replies(rr, 3);
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
        cairn__rd_free_replies(rr, 3);
        /* Nothing to write: the reads were consistent when made. */
        redisReply *r = redisCommand(c, "UNWATCH");
        if (!r)
            return cairn__rd_ctx_err(h, c, errno, "unwatch");
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
    cairn__rd_free_replies(rr, 3); /* after queueing: KEEP states may point into them */
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
    if ((rc = cairn__rd_read_replies(h, c, xr, nr, "write (outcome unknown)"))) {
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
        rc = cairn__rd_reply_err(h, bad, "write");
    } else {
        rc = CAIRN_OK;
        for (size_t i = 0; i < ex->elements; i++)
            if (ex->element[i]->type == REDIS_REPLY_ERROR) {
                rc = cairn__rd_reply_err(h, ex->element[i], "write");
                break;
            }
    }
    cairn__rd_free_replies(xr, nr);
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
        if (!(u.st[i].name = cairn__rd_rec_name(h, ops[i].key, ops[i].klen, &u.st[i].nlen))) {
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
    int64_t deadline = cairn__rd_mono_ms() + h->busy_ms;
    unsigned seed = 0; /* set at the first conflict */
    for (int attempt = 0, conn_retry = 0;; attempt++) {
        conn cn = {0};
        if ((rc = cairn__rd_acquire(h, &cn)))
            break;
        bool retry_conn;
        rc = update_once(&u, &cn, &retry_conn);
        cairn__rd_release(h, &cn, rc != CAIRN_OK && rc != 1 && cn.c->err != 0);
        if (rc < 0 && retry_conn && conn_retry++ == 0)
            continue; /* a pooled connection gone stale before any write */
        if (rc != 1)
            break;
        if (cairn__rd_mono_ms() >= deadline) {
            rc = cairn_backend_error(CAIRN_EBUSY,
                                     "%s: busy: other writers kept changing %.*s for %lld ms "
                                     "(%d attempts)",
                                     h->label, (int)ops[0].klen, ops[0].key,
                                     (long long)h->busy_ms, attempt + 1);
            break;
        }
        /* Back off a little, more after each conflict, so writers spread. */
        if (!seed)
            seed = ((unsigned)getpid() * 2654435761u) ^ (unsigned)cairn__rd_mono_ms() ^ 1u;
        unsigned cap = attempt < 6 ? 1u << attempt : 64u;
        cairn__rd_sleep_ms((int)((unsigned)rand_r(&seed) % cap));
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
        if (!cn.c && (rc = cairn__rd_acquire(h, &cn)))
            break;
        redisContext *c = cn.c;
        const char *zv[7] = {"ZRANGEBYLEX", h->k_index, lob, hib, "LIMIT", "0", batch};
        size_t zl[7] = {11, strlen(h->k_index), lobl, hibl, 5, 1, strlen(batch)};
        keys = redisCommandArgv(c, 7, zv, zl);
        if (!keys) {
            int e = errno;
            bool retry = !cn.fresh && stale_retry++ == 0;
            rc = cairn__rd_ctx_err(h, c, e, "scan");
            cairn__rd_release(h, &cn, true);
            if (retry)
                continue;
            break;
        }
        if (keys->type != REDIS_REPLY_ARRAY) {
            rc = cairn__rd_reply_err(h, keys, "scan");
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
            char *name = cairn__rd_rec_name(h, k->str, k->len, &nl);
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
            rc = cairn__rd_args_push(&a, "HMGET", 5);
        if (!rc)
            rc = cairn__rd_args_push(&a, h->k_ghost, strlen(h->k_ghost));
        for (size_t i = 0; i < nk && !rc; i++)
            rc = cairn__rd_args_push(&a, keys->element[i]->str, keys->element[i]->len);
        if (rc) {
            cairn__rd_release(h, &cn, true); /* commands half queued */
            break;
        }
        arc |= redisAppendCommandArgv(c, a.n, a.argv, a.lens);
        if (arc != REDIS_OK) {
            rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
            cairn__rd_release(h, &cn, true);
            break;
        }
        if (!(vr = calloc(nk + 1, sizeof *vr)) || !(gone = calloc(nk, 1))) {
            rc = cairn_backend_error(CAIRN_ENOMEM, "redis: out of memory");
            cairn__rd_release(h, &cn, true);
            break;
        }
        if ((rc = cairn__rd_read_replies(h, c, vr, nk + 1, "scan"))) {
            cairn__rd_release(h, &cn, true);
            break;
        }
        const redisReply *gh = vr[nk];
        if (gh->type != REDIS_REPLY_ARRAY || gh->elements != nk) {
            rc = cairn__rd_reply_err(h, gh, "scan");
            break;
        }
        /* GETRANGE answers "" both for a missing key and an empty record:
         * ask EXISTS about those (rare: expired, just deleted, or empty). */
        size_t nempty = 0;
        for (size_t i = 0; i < nk; i++)
            if (vr[i]->type == REDIS_REPLY_STRING && vr[i]->len == 0) {
                size_t nl;
                char *name =
                    cairn__rd_rec_name(h, keys->element[i]->str, keys->element[i]->len, &nl);
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
            } else if ((rc = cairn__rd_read_replies(h, c, er, nempty, "scan"))) {
                free(er);
                cairn__rd_release(h, &cn, true);
                break;
            } else {
                for (size_t i = 0, j = 0; i < nk; i++)
                    if (vr[i]->type == REDIS_REPLY_STRING && vr[i]->len == 0) {
                        gone[i] = er[j]->type == REDIS_REPLY_INTEGER && er[j]->integer == 0;
                        j++;
                    }
                cairn__rd_free_replies(er, nempty);
                free(er);
            }
        }
        if (rc) {
            cairn__rd_release(h, &cn, true);
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
                    size_t gl = ghost_record(g->str, g->len, k->str, k->len, ghost, now);
                    rc = gl ? fn(ctx, k->str, k->len, ghost, gl)
                            : fn(ctx, k->str, k->len, g->str, g->len);
                } else {
                    const char *lv[7] = {"EVAL", lazy_zrem_lua, "3", NULL, h->k_ghost,
                                         h->k_index, k->str};
                    size_t nl;
                    char *name = cairn__rd_rec_name(h, k->str, k->len, &nl);
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
                rc = cairn__rd_reply_err(h, v, "scan");
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
                cairn__rd_release(h, &cn, true);
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
        cairn__rd_free_replies(vr, nk + 1);
        free(vr);
        vr = NULL;
        free(gone);
        gone = NULL;
        freeReplyObject(keys);
        keys = NULL;
    }
    if (vr) {
        cairn__rd_free_replies(vr, keys->elements + 1);
        free(vr);
    }
    if (keys)
        freeReplyObject(keys);
    free(gone);
    cairn__rd_release(h, &cn, false);
    cairn__rd_args_free(&a);
    free(lob);
    free(hib);
    return rc;
}

const cairn_backend_methods cairn__backend_redis = {
    .version = CAIRN_BACKEND_VERSION,
    .name = "redis",
    .open = cairn__rd_open,
    .close = cairn__rd_close,
    .get = rd_get,
    .update = rd_update,
    .scan = rd_scan,
    .get_many = rd_get_many,
};

