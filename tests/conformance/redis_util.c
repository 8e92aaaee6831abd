/*
 * redis_util.c — direct access to the test Redis server, beside the
 * library: drop a case's keys afterwards, and run commands a case needs to
 * reach around the backend (e.g. to see what Redis itself holds).
 */
#include "conf.h"

#ifdef CAIRN_HAVE_REDIS
#include <hiredis/hiredis.h>

/* Host, port, db and prefix of "redis://host:port/db?...prefix=P..." (the
 * fixture's own URLs: no password, no escapes). */
static redisContext *connect_url(const char *url, char *prefix, size_t cap)
{
    char host[256] = "127.0.0.1";
    int port = 6379, db = 0;
    const char *p = strstr(url, "//");
    p = p ? p + 2 : url;
    const char *at = strchr(p, '@');
    if (at && at < p + strcspn(p, "/?"))
        p = at + 1;
    size_t hl = strcspn(p, ":/?");
    if (hl && hl < sizeof host) {
        memcpy(host, p, hl);
        host[hl] = '\0';
    }
    p += hl;
    if (*p == ':')
        port = atoi(p + 1);
    p += strcspn(p, "/?");
    if (*p == '/')
        db = atoi(p + 1);
    const char *pp = strstr(url, "prefix=");
    if (prefix) {
        size_t n = pp ? strcspn(pp + 7, "&#") : 0;
        if (n >= cap)
            n = cap - 1;
        memcpy(prefix, pp ? pp + 7 : "", n);
        prefix[n] = '\0';
    }
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    if (db) {
        redisReply *r = redisCommand(c, "SELECT %d", db);
        if (r)
            freeReplyObject(r);
    }
    return c;
}

void cf_redis_drop(const char *url)
{
    char prefix[512];
    redisContext *c = connect_url(url, prefix, sizeof prefix);
    if (!c || !prefix[0]) {
        if (c)
            redisFree(c);
        return;
    }
    /* The fixture's prefixes hold no glob characters. */
    char match[600];
    snprintf(match, sizeof match, "%s*", prefix);
    char cursor[32] = "0";
    do {
        redisReply *r = redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor, match);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r)
                freeReplyObject(r);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        const redisReply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            redisReply *d = redisCommand(c, "UNLINK %b", keys->element[i]->str,
                                         keys->element[i]->len);
            if (d)
                freeReplyObject(d);
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    redisFree(c);
}

/* Run a command on a connection of its own; fails the case when the
 * server cannot be reached. The caller frees the reply. */
static redisReply *run_cmd(const char *url, const char *fmt, va_list ap)
{
    redisContext *c = connect_url(url, NULL, 0);
    if (!c)
        fail_msg("redis: cannot connect for %s", url);
    redisReply *r = redisvCommand(c, fmt, ap);
    if (!r)
        fail_msg("redis: %s: %s", fmt, c->errstr);
    redisFree(c);
    return r;
}

long long cf_redis_cmd(const char *url, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = run_cmd(url, fmt, ap);
    va_end(ap);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return v;
}

char *cf_redis_str(const char *url, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = run_cmd(url, fmt, ap);
    va_end(ap);
    char *s = NULL;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
        r->type == REDIS_REPLY_ERROR) {
        s = malloc(r->len + 1);
        assert_non_null(s);
        memcpy(s, r->str, r->len);
        s[r->len] = '\0';
    }
    freeReplyObject(r);
    return s;
}
#endif
