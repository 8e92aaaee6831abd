/*
 * redis_open.c — the redis backend's handles: what a redis:// URL means
 * (read by the one URL parser, src/store/url.c), open (connect and find or
 * make the store's marker) and close.
 */
#include "backend/redis_int.h"
#include "backend/parse.h"
#include "base/url.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_DEFAULT 8
#define POOL_MAX 64
#define PREFIX_MAX 256
#define DEFAULT_PREFIX "cairn:"

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
    int rc = cairn__rd_acquire(h, &cn);
    if (rc)
        return rc;
    const char *argv[5] = {"SET", h->k_marker, "cairn 1", "NX", "GET"};
    size_t lens[5] = {3, strlen(h->k_marker), 7, 2, 3};
    redisReply *r = must_exist ? redisCommandArgv(cn.c, 2, (const char *[]){"GET", h->k_marker},
                                                  (size_t[]){3, strlen(h->k_marker)})
                               : redisCommandArgv(cn.c, 5, argv, lens);
    if (!r) {
        rc = cairn__rd_ctx_err(h, cn.c, errno, "open");
        cairn__rd_release(h, &cn, true);
        return rc;
    }
    cairn__rd_release(h, &cn, false);
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
        rc = cairn__rd_reply_err(h, r, "open");
    }
    freeReplyObject(r);
    return rc;
}

int cairn__rd_open(const char *location, const struct cairn_options *opt, void **self)
{
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
    cairn__rd_handle_add(h);
    *self = h;
    return CAIRN_OK;
fail:
    rd_free(h);
    return rc;
}

void cairn__rd_close(void *self)
{
    rd *h = self;
    if (!h)
        return;
    cairn__rd_handle_del(h);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
    rd_free(h);
}

