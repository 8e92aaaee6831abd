/*
 * redis_bench.c — libcairn on redis:// against redis-benchmark, in one run,
 * on the same server: N 1 KiB documents (bench/workload.h) put one by one,
 * got one by one in a shuffled order, then got 100 keys per cairn_get_many
 * call; redis-benchmark does SET/GET with 1 KiB values on one connection
 * (-c 1), then GET pipelined 100 deep (-P 100), once on its one hot key
 * and once over N keys (-r N), as cairn's 100 are different records (the
 * server's cost per key is ~10x higher for keys spread over memory than
 * for one key in cache; docs/performance.md). Prints one line of
 * name=value fields with the ratios; never asserts a time.
 *
 *   bench_redis URL [--n N]    URL: redis://[:pw@]host:port[/db] (a fresh
 *                              prefix is added; its keys are removed after)
 */
#include "cairn/cairn.h"
#include "workload.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#define MANY 100
#define PASSES 5 /* get_many and the MGETs read every key this many times */

static void die(const char *what)
{
    fprintf(stderr, "bench_redis: %s: %s\n", what, cairn_errmsg());
    exit(1);
}

/* host, port, db, password of a redis:// URL (no escapes). */
typedef struct {
    char host[256], pw[256];
    int port, db;
} target;

static void parse_target(const char *url, target *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->host, sizeof t->host, "127.0.0.1");
    t->port = 6379;
    const char *p = url + strlen("redis://");
    const char *end = p + strcspn(p, "/?");
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        snprintf(t->pw, sizeof t->pw, "%.*s", (int)(at - pw), pw);
        p = at + 1;
    }
    size_t hl = strcspn(p, ":/?");
    if (hl)
        snprintf(t->host, sizeof t->host, "%.*s", (int)hl, p);
    p += hl;
    if (*p == ':')
        t->port = atoi(p + 1);
    p += strcspn(p, "/?");
    if (*p == '/')
        t->db = atoi(p + 1);
}

/* requests per second of one test in redis-benchmark's --csv output */
static double rb_run(const target *t, const char *args, const char *test)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "redis-benchmark -h %s -p %d --dbnum %d %s%s%s --csv %s 2>/dev/null",
             t->host, t->port, t->db, t->pw[0] ? "-a '" : "", t->pw, t->pw[0] ? "'" : "", args);
    FILE *f = popen(cmd, "r");
    if (!f) {
        perror("bench_redis: popen redis-benchmark");
        exit(1);
    }
    char line[512], want[64];
    double rps = 0;
    snprintf(want, sizeof want, "\"%s\",\"", test);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, want, strlen(want)))
            rps = atof(line + strlen(want));
    if (pclose(f) != 0 || rps <= 0) {
        fprintf(stderr, "bench_redis: redis-benchmark %s gave no %s figure (is redis-tools "
                        "installed?)\n", args, test);
        exit(1);
    }
    return rps;
}

static redisContext *connect_target(const target *t)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(t->host, t->port, tv);
    if (!c || c->err) {
        fprintf(stderr, "bench_redis: cannot connect to %s:%d\n", t->host, t->port);
        exit(1);
    }
    redisReply *r;
    if (t->pw[0] && (r = redisCommand(c, "AUTH %s", t->pw)))
        freeReplyObject(r);
    if ((r = redisCommand(c, "SELECT %d", t->db)))
        freeReplyObject(r);
    return c;
}

/* The MGET of the (at most MANY) keys from k on, as the backend names
 * them: argv/lens, MANY + 1 slots. Returns how many keys. */
static size_t mget_args(const char *prefix, char (*keys)[BENCH_KEY_LEN], uint64_t n,
                        uint64_t k, const char **argv, size_t *lens)
{
    static char names[MANY][BENCH_KEY_LEN + 80];
    size_t m = n - k < MANY ? (size_t)(n - k) : MANY;
    argv[0] = "MGET";
    lens[0] = 4;
    for (size_t j = 0; j < m; j++) {
        int l = snprintf(names[j], sizeof names[j], "%sr:%s", prefix, keys[k + j]);
        argv[j + 1] = names[j];
        lens[j + 1] = (size_t)l;
    }
    return m;
}

/* RESP bytes of a bulk-string reply of len bytes */
static size_t bulk_bytes(size_t len)
{
    char hd[32];
    return (size_t)snprintf(hd, sizeof hd, "$%zu\r\n", len) + len + 2;
}

/* The ceiling of any client: the same MGETs written to the socket and
 * their replies read as bytes (reply_bytes[b] per call, as counted by
 * raw_mget), nothing parsed. Keys per second. */
static double socket_mget(const target *t, const char *prefix, char (*keys)[BENCH_KEY_LEN],
                          uint64_t n, const size_t *reply_bytes)
{
    redisContext *c = connect_target(t);
    const char *argv[MANY + 1];
    size_t lens[MANY + 1];
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    if (!buf)
        exit(1);
    double t0 = bench_now();
    for (uint64_t k = 0, b = 0, pass = 0; pass < PASSES; k += MANY, b++) {
        if (k >= n) {
            k = b = 0;
            if (++pass == PASSES)
                break;
        }
        size_t m = mget_args(prefix, keys, n, k, argv, lens);
        char *cmd = NULL;
        long long cl = redisFormatCommandArgv(&cmd, (int)m + 1, argv, lens);
        if (cl < 0 || write(c->fd, cmd, (size_t)cl) != (ssize_t)cl) {
            fprintf(stderr, "bench_redis: socket MGET: write failed\n");
            exit(1);
        }
        redisFreeCommand(cmd);
        for (size_t have = 0; have < reply_bytes[b];) {
            ssize_t got = read(c->fd, buf, cap);
            if (got <= 0) {
                fprintf(stderr, "bench_redis: socket MGET: read failed\n");
                exit(1);
            }
            have += (size_t)got;
        }
    }
    double dt = bench_now() - t0;
    free(buf);
    redisFree(c);
    return (double)n * PASSES / dt;
}

/* The ceiling of the client library: hiredis MGET of the same records,
 * MANY per call, nothing decoded or copied out. Keys per second; the
 * bytes of each reply go to reply_bytes[call]. */
static double raw_mget(const target *t, const char *prefix, char (*keys)[BENCH_KEY_LEN],
                       uint64_t n, size_t *reply_bytes)
{
    redisContext *c = connect_target(t);
    const char *argv[MANY + 1];
    size_t lens[MANY + 1];
    uint64_t got = 0;
    double t0 = bench_now();
    for (uint64_t k = 0, pass = 0; pass < PASSES; k += MANY) {
        if (k >= n) {
            k = 0;
            if (++pass == PASSES)
                break;
        }
        size_t m = mget_args(prefix, keys, n, k, argv, lens);
        redisReply *r = redisCommandArgv(c, (int)m + 1, argv, lens);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "bench_redis: raw MGET failed\n");
            exit(1);
        }
        char hd[32];
        size_t bytes = (size_t)snprintf(hd, sizeof hd, "*%zu\r\n", r->elements);
        for (size_t j = 0; j < r->elements; j++) {
            got += r->element[j]->type == REDIS_REPLY_STRING;
            bytes += r->element[j]->type == REDIS_REPLY_STRING ? bulk_bytes(r->element[j]->len)
                                                                : 5; /* "$-1\r\n" */
        }
        reply_bytes[k / MANY] = bytes;
        freeReplyObject(r);
    }
    double dt = bench_now() - t0;
    redisFree(c);
    if (got != n * PASSES) {
        fprintf(stderr, "bench_redis: raw MGET found %llu of %llu\n", (unsigned long long)got,
                (unsigned long long)n);
        exit(1);
    }
    return (double)n * PASSES / dt;
}

static void drop_prefix(const target *t, const char *prefix)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(t->host, t->port, tv);
    if (!c || c->err)
        return;
    redisReply *r;
    if (t->pw[0] && (r = redisCommand(c, "AUTH %s", t->pw)))
        freeReplyObject(r);
    if ((r = redisCommand(c, "SELECT %d", t->db)))
        freeReplyObject(r);
    char cursor[32] = "0";
    do {
        r = redisCommand(c, "SCAN %s MATCH %s* COUNT 1000", cursor, prefix);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
            break;
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            redisReply *d = redisCommand(c, "UNLINK %b", r->element[1]->element[i]->str,
                                         r->element[1]->element[i]->len);
            if (d)
                freeReplyObject(d);
        }
        freeReplyObject(r);
        r = NULL;
    } while (strcmp(cursor, "0"));
    if (r)
        freeReplyObject(r);
    if ((r = redisCommand(c, "DEL key:__rand_int__")))
        freeReplyObject(r);
    redisFree(c);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strncmp(argv[1], "redis://", 8)) {
        fprintf(stderr, "usage: bench_redis redis://[:pw@]host:port[/db] [--n N]\n");
        return 2;
    }
    uint64_t n = 20000;
    if (argc == 4 && !strcmp(argv[2], "--n") && !(n = bench_parse_n(argv[3]))) {
        fprintf(stderr, "bench_redis: bad --n\n");
        return 2;
    }
    target t;
    parse_target(argv[1], &t);
    char prefix[64], url[1200];
    snprintf(prefix, sizeof prefix, "bench%ld:", (long)getpid());
    /* our own prefix, in place of any the URL has */
    snprintf(url, sizeof url, "%.*s?prefix=%s", (int)strcspn(argv[1], "?"), argv[1], prefix);

    cairn_store *s = NULL;
    if (cairn_store_open(url, NULL, &s))
        die("open");
    char key[BENCH_KEY_LEN], doc[BENCH_DOC_LEN + 1];
    double t0 = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        bench_key(key, i);
        size_t len = bench_doc(doc, i);
        if (cairn_put(s, key, doc, len, NULL) != CAIRN_OK)
            die("put");
    }
    double put_s = bench_now() - t0;

    uint32_t *order = malloc(n * sizeof *order);
    char (*keys)[BENCH_KEY_LEN] = malloc(n * sizeof *keys);
    if (!order || !keys)
        return 1;
    bench_shuffle(order, (uint32_t)n, BENCH_SEED_DEFAULT);
    for (uint64_t k = 0; k < n; k++)
        bench_key(keys[k], order[k]);
    t0 = bench_now();
    for (uint64_t k = 0; k < n; k++) {
        cairn_value *v = NULL;
        if (cairn_get(s, keys[k], &v) != CAIRN_OK)
            die("get");
        size_t len;
        const char *d = cairn_value_data(v, &len);
        if (len != BENCH_DOC_LEN || memcmp(d + 7, keys[k], strlen(keys[k])) != 0) {
            fprintf(stderr, "bench_redis: get %s: not the document written\n", keys[k]);
            return 1;
        }
        cairn_value_free(v);
    }
    double get_s = bench_now() - t0;

    const char *batch[MANY];
    cairn_value *vals[MANY];
    uint64_t got = 0;
    t0 = bench_now();
    for (uint64_t k = 0, pass = 0; pass < PASSES; k += MANY) {
        if (k >= n) {
            k = 0;
            if (++pass == PASSES)
                break;
        }
        size_t m = n - k < MANY ? (size_t)(n - k) : MANY;
        for (size_t j = 0; j < m; j++)
            batch[j] = keys[k + j];
        if (cairn_get_many(s, batch, m, vals) != CAIRN_OK)
            die("get_many");
        for (size_t j = 0; j < m; j++) {
            size_t len = 0;
            if (vals[j] && (cairn_value_data(vals[j], &len), len == BENCH_DOC_LEN))
                got++;
            cairn_value_free(vals[j]);
        }
    }
    double many_s = bench_now() - t0;
    size_t *reply_bytes = malloc((n / MANY + 1) * sizeof *reply_bytes);
    if (!reply_bytes)
        return 1;
    double hr_mget = raw_mget(&t, prefix, keys, n, reply_bytes);
    double sock_mget = socket_mget(&t, prefix, keys, n, reply_bytes);
    free(reply_bytes);
    cairn_store_close(s);
    if (got != n * PASSES) {
        fprintf(stderr, "bench_redis: get_many found %llu of %llu keys\n",
                (unsigned long long)got, (unsigned long long)n);
        return 1;
    }

    char args[128];
    snprintf(args, sizeof args, "-c 1 -d %d -n %llu -t set", BENCH_DOC_LEN,
             (unsigned long long)n);
    double rb_set = rb_run(&t, args, "SET");
    snprintf(args, sizeof args, "-c 1 -d %d -n %llu -t get", BENCH_DOC_LEN,
             (unsigned long long)n);
    double rb_get = rb_run(&t, args, "GET");
    snprintf(args, sizeof args, "-c 1 -P %d -d %d -n %llu -t get", MANY, BENCH_DOC_LEN,
             (unsigned long long)(n * 10));
    double rb_get_p = rb_run(&t, args, "GET");
    /* The same pipelined GETs over N keys, as ours are N different
     * records: -r fills key:000000000000.. at random (5N pipelined SETs
     * leave < 1% of them missing), then reads them at random. */
    snprintf(args, sizeof args, "-c 1 -P %d -d %d -r %llu -n %llu -t set", MANY, BENCH_DOC_LEN,
             (unsigned long long)n, (unsigned long long)(n * 5));
    rb_run(&t, args, "SET");
    snprintf(args, sizeof args, "-c 1 -P %d -d %d -r %llu -n %llu -t get", MANY, BENCH_DOC_LEN,
             (unsigned long long)n, (unsigned long long)(n * 10));
    double rb_get_pr = rb_run(&t, args, "GET");
    drop_prefix(&t, prefix);
    drop_prefix(&t, "key:[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]");

    double cp = (double)n / put_s, cg = (double)n / get_s, cm = (double)n * PASSES / many_s;
    printf("backend=redis n=%llu cairn_put_ops_s=%.0f redis_set_ops_s=%.0f put_ratio=%.2f "
           "cairn_get_ops_s=%.0f redis_get_ops_s=%.0f get_ratio=%.2f "
           "cairn_get_many%d_keys_s=%.0f redis_get_p%d_keys_s=%.0f get_many_ratio=%.2f "
           "redis_get_p%d_r%llu_keys_s=%.0f get_many_ratio_spread=%.2f "
           "hiredis_mget%d_keys_s=%.0f get_many_vs_hiredis=%.2f "
           "socket_mget%d_keys_s=%.0f socket_mget_ratio=%.2f\n",
           (unsigned long long)n, cp, rb_set, cp / rb_set, cg, rb_get, cg / rb_get, MANY, cm,
           MANY, rb_get_p, cm / rb_get_p, MANY, (unsigned long long)n, rb_get_pr,
           cm / rb_get_pr, MANY, hr_mget, cm / hr_mget, MANY, sock_mget,
           sock_mget / rb_get_p);
    free(order);
    free(keys);
    return 0;
}
