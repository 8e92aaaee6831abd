/*
 * redis_int.h — what the files of the redis backend share (src/backend/
 * redis.c: the vtable; redis_conn.c: connections, the pool, fork;
 * redis_open.c: the URL, open and close). Private to them.
 */
#ifndef CAIRN_REDIS_INT_H
#define CAIRN_REDIS_INT_H

#include "backend/backends.h"
#include "base/error.h"
#include "base/hash.h"
#include "base/hlist.h"
#include "record/record.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One open store: its server, its key names and its connection pool. */
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

/* ---- redis_conn.c ---- */

/* Put h in the list the atfork handlers walk (registering them once);
 * take it out. */
void cairn__rd_handle_add(rd *h);
void cairn__rd_handle_del(rd *h);

/* Set the message for a failed context (a timeout is EBUSY, the rest
 * ECONN) or an error reply; return its status. */
int cairn__rd_ctx_err(const rd *h, const redisContext *c, int saved_errno, const char *what);
int cairn__rd_reply_err(const rd *h, const redisReply *r, const char *what);

int64_t cairn__rd_mono_ms(void);
void cairn__rd_sleep_ms(int ms);

/* Take a connection: an idle one, else a new one (at most pool_max open),
 * else wait for one. While the server is unreachable, calls fail at once
 * until the backoff delay has passed, then one of them tries again. */
int cairn__rd_acquire(rd *h, conn *out);
/* Give a connection back; a broken one (or one left in an unknown state)
 * is closed instead. */
void cairn__rd_release(rd *h, conn *cn, bool broken);
/* Read n pipelined replies into r[] (NULL-filled first). 0, or a status
 * with every reply freed. */
int cairn__rd_read_replies(rd *h, redisContext *c, redisReply **r, size_t n, const char *what);
void cairn__rd_free_replies(redisReply **r, size_t n);


/* A growing argument list for one command: pointers and lengths, with
 * owned bytes kept in one arena per command batch. */
typedef struct {
    const char **argv;
    size_t *lens;
    int n, cap;
} args;

int cairn__rd_args_push(args *a, const char *p, size_t len);
void cairn__rd_args_free(args *a);
/* P "r:" KEY, malloc'd. */
char *cairn__rd_rec_name(const rd *h, const char *key, size_t klen, size_t *len);

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

/* Run one command on a pooled connection; a pooled connection found dead
 * (the server restarted, an idle timeout) is replaced once, unless part of
 * a streamed reply was already delivered. Only for commands that change
 * nothing. The reply goes to *out (caller frees) or through st. */
int cairn__rd_command_once(rd *h, int argc, const char **argv, const size_t *lens,
                           const char *what, stream *st, redisReply **out);

/* ---- redis_open.c ---- */

int cairn__rd_open(const char *location, const struct cairn_options *opt, void **self);
void cairn__rd_close(void *self);

#endif
