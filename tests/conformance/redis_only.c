/*
 * redis_only.c — conformance cases for what only the redis backend
 * promises (TR_REDIS: registered for redis alone): native expiry and the
 * index kept clean, prefixes isolating stores, passwords never shown,
 * reconnecting after lost connections, fork() children, URL errors,
 * get_many's streamed replies.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef CAIRN_HAVE_REDIS

/* The fixture's prefix (its URL ends with "prefix=P"). */
static const char *prefix_of(const char *url)
{
    const char *p = strstr(url, "prefix=");
    assert_non_null(p);
    return p + 7;
}

static void put_ttl(cairn_store *s, const char *key, int64_t ttl)
{
    cairn_put_opts o = {.ttl_ms = ttl, .behavior = CAIRN_OVERWRITE};
    assert_ok(cairn_put(s, key, "1", 1, &o));
}

/* Redis expires the values itself; the index and the ghosts stay correct,
 * and purge cleans both. */
static void redis_native_expiry_and_index(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *s = fx->s;
    const char *u = fx->url, *p = prefix_of(u);
    put_ttl(s, "e/short", 100);
    put_ttl(s, "e/keep", -1);
    put_ttl(s, "e/long", 3600 * 1000);
    long long t = cf_redis_cmd(u, "PTTL %sr:e/short", p);
    if (t <= 0 || t > 100)
        fail_msg("PTTL of e/short is %lld, expected 1..100 (native expiry)", t);
    assert_int_equal(cf_redis_cmd(u, "PTTL %sr:e/keep", p), -1);
    assert_true(cf_redis_cmd(u, "PTTL %sr:e/long", p) > 3500 * 1000);
    assert_int_equal(cf_redis_cmd(u, "HEXISTS %sg e/short", p), 1);
    assert_int_equal(cf_redis_cmd(u, "HEXISTS %sg e/keep", p), 0);
    assert_int_equal(cf_redis_cmd(u, "ZCARD %si", p), 3);

    tr_sleep_ms(300);
    assert_int_equal(cf_redis_cmd(u, "EXISTS %sr:e/short", p), 0); /* Redis dropped it */
    char *keys = cf_list(s, "e", NULL);
    cf_expect_keys(keys, (const char *const[]){"e/keep", "e/long", NULL});
    free(keys);
    cairn_stats st;
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.keys, 2);
    assert_int_equal(st.expired, 1); /* seen through its ghost until purged */
    const char *gm[3] = {"e/short", "e/keep", "e/none"}; /* one MGET */
    cairn_value *gv[3];
    assert_ok(cairn_get_many(s, gm, 3, gv));
    assert_null(gv[0]);
    assert_non_null(gv[1]);
    assert_null(gv[2]);
    cairn_value_free(gv[1]);
    /* the version goes on after the value expired */
    assert_ok(cf_put(s, "e/short", "2", CAIRN_FAIL_IF_EXISTS));
    assert_int_equal(cf_meta(s, "e/short").version, 2);
    assert_int_equal(cf_redis_cmd(u, "HEXISTS %sg e/short", p), 0); /* no TTL now */

    /* purge removes expired keys from the index and their ghosts */
    put_ttl(s, "e/gone1", 50);
    put_ttl(s, "e/gone2", 50);
    tr_sleep_ms(250);
    uint64_t n = 0;
    assert_ok(cairn_purge_expired(s, &n));
    assert_int_equal(n, 2);
    assert_int_equal(cf_redis_cmd(u, "ZCARD %si", p), 3); /* keep, long, short */
    assert_int_equal(cf_redis_cmd(u, "HLEN %sg", p), 1);  /* e/long's */

    /* a member whose value and ghost are both gone (say, removed by hand)
     * is skipped by listings and dropped from the index */
    put_ttl(s, "e/lost", 50);
    tr_sleep_ms(250);
    assert_int_equal(cf_redis_cmd(u, "HDEL %sg e/lost", p), 1);
    keys = cf_list(s, NULL, NULL);
    cf_expect_keys(keys, (const char *const[]){"e/keep", "e/long", "e/short", NULL});
    free(keys);
    char *score = cf_redis_str(u, "ZSCORE %si e/lost", p);
    if (score)
        fail_msg("e/lost is still in the index (score %s)", score);
}

/* Two prefixes on one server are two stores. */
static void redis_prefix_isolation(void **state)
{
    cf_fx *fx = FX(state);
    char url[sizeof fx->url + 16];
    snprintf(url, sizeof url, "%sother:", fx->url);
    cairn_store *b = NULL;
    assert_ok(cairn_store_open(url, NULL, &b));
    assert_ok(cf_put(fx->s, "k/1", "\"a\"", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(b, "k/1", "\"b\"", CAIRN_FAIL_IF_EXISTS)); /* not "exists" */
    assert_ok(cf_put(b, "k/2", "\"b\"", CAIRN_FAIL_IF_EXISTS));
    cf_expect_str(fx->s, "k/1", "\"a\"");
    cf_expect_str(b, "k/1", "\"b\"");
    size_t n;
    free(cf_list(fx->s, NULL, &n));
    assert_int_equal(n, 1);
    uint64_t d;
    assert_ok(cairn_delete_prefix(b, "k", &d));
    assert_int_equal(d, 2);
    cf_expect_str(fx->s, "k/1", "\"a\"");
    cairn_store_close(b);
    cf_redis_drop(url);
}

/* Every connection this process holds to the server, killed. */
static int kill_my_connections(const char *url)
{
    char *list = cf_redis_str(url, "CLIENT LIST");
    assert_non_null(list);
    char me[40];
    snprintf(me, sizeof me, " name=cairn-%ld ", (long)getpid());
    int killed = 0;
    for (char *line = list; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strstr(line, me)) {
            long long id = atoll(line + 3); /* "id=N ..." */
            if (cf_redis_cmd(url, "CLIENT KILL ID %lld", id) == 1)
                killed++;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(list);
    return killed;
}

/* Lost connections: reads and writes on a handle go on afterwards (a pooled
 * connection found dead before anything was sent is replaced and the call
 * goes through). */
static void redis_reconnect_after_kill(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *s = fx->s;
    assert_ok(cf_put(s, "c/1", "1", CAIRN_FAIL_IF_EXISTS));
    for (int round = 0; round < 3; round++) {
        int killed = kill_my_connections(fx->url);
        if (killed < 1)
            fail_msg("round %d: no connection of this process to kill", round);
        cf_expect_str(s, "c/1", "1");
        killed = kill_my_connections(fx->url);
        assert_true(killed >= 1);
        int64_t v;
        assert_ok(cairn_incr(s, "c/n", 1, &v));
        assert_int_equal(v, round + 1);
        assert_true(kill_my_connections(fx->url) >= 1);
        size_t n;
        free(cf_list(s, "c", &n));
        assert_int_equal(n, 2);
    }
}

/* get_many streams MGET replies through hiredis's reader: more keys than
 * one MGET takes (1000), missing keys among them, a corrupt record in the
 * middle (an error, and the connection stays in step for the next call),
 * and a connection killed between calls. */
static void redis_get_many_stream(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *s = fx->s;
    enum { N = 1200 };
    static char names[N][24];
    static const char *keys[N];
    static cairn_value *vals[N];
    cairn_put_opts o = {.behavior = CAIRN_OVERWRITE};
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "gm/%05d", i);
        keys[i] = names[i];
        if (i % 7 == 3)
            continue; /* missing */
        char doc[64];
        int len = snprintf(doc, sizeof doc, "{\"i\":%d}", i);
        assert_ok(cairn_put(s, keys[i], doc, (size_t)len, &o));
    }
    for (int round = 0; round < 2; round++) {
        assert_ok(cairn_get_many(s, keys, N, vals));
        for (int i = 0; i < N; i++) {
            if (i % 7 == 3) {
                assert_null(vals[i]);
                continue;
            }
            assert_non_null(vals[i]);
            char doc[64];
            int len = snprintf(doc, sizeof doc, "{\"i\":%d}", i);
            size_t got;
            const char *d = cairn_value_data(vals[i], &got);
            assert_int_equal(got, (size_t)len);
            assert_memory_equal(d, doc, got);
            cairn_value_free(vals[i]);
        }
        assert_true(kill_my_connections(fx->url) >= 1);
    }
    /* a corrupt record past the first MGET: the call fails and names it */
    char *bad = cf_redis_str(fx->url, "SET %sr:gm/01100 garbage", prefix_of(fx->url));
    free(bad);
    assert_int_equal(cairn_get_many(s, keys, N, vals), CAIRN_ECORRUPT);
    assert_non_null(strstr(cairn_errmsg(), "gm/01100"));
    for (int i = 0; i < N; i++)
        assert_null(vals[i]);
    /* the same connection reads on: the rest of that reply was consumed */
    assert_ok(cairn_get_many(s, keys, 1000, vals));
    for (int i = 0; i < 1000; i++) {
        assert_true((vals[i] == NULL) == (i % 7 == 3));
        cairn_value_free(vals[i]);
    }
    cf_expect_str(s, "gm/00001", "{\"i\":1}");
}

/* A fork() child uses the inherited handle on connections of its own; the
 * parent's pooled connections stay in step. */
static void redis_fork_child(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *s = fx->s;
    assert_ok(cf_put(s, "f/parent", "1", CAIRN_FAIL_IF_EXISTS));
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            cairn_value *v = NULL;
            int bad = 0;
            for (int j = 0; j < 50 && !bad; j++) {
                bad |= cairn_get(s, "f/parent", &v) != CAIRN_OK;
                if (!bad)
                    bad |= cairn_value_meta(v)->size != 1;
                cairn_value_free(v);
                v = NULL;
                int64_t n;
                bad |= cairn_incr(s, "f/child", 1, &n) != CAIRN_OK;
            }
            _exit(bad ? 1 : 0);
        }
        /* the parent works at the same time on its own connections */
        for (int j = 0; j < 50; j++)
            cf_expect_str(s, "f/parent", "1");
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    char want[8];
    snprintf(want, sizeof want, "%d", 150);
    cf_expect_str(s, "f/child", want);
}

/* Passwords never appear in messages, whether from the URL or from
 * $REDISCLI_AUTH / $CAIRN_REDIS_PASSWORD, on success or failure. */
static void expect_no_secret(const char *secret)
{
    const char *m = cairn_errmsg();
    if (strstr(m, secret))
        fail_msg("the password shows in the message: %s", m);
}

static void redis_secrets_hidden(void **state)
{
    cf_fx *fx = FX(state);
    const char *pw = "Zq7-top-secret";
    cairn_store *t = NULL;
    /* unreachable server */
    assert_rc(cairn_store_open("redis://:Zq7-top-secret@127.0.0.1:1/0", NULL, &t),
              CAIRN_ECONN);
    expect_no_secret(pw);
    assert_errmsg_has("127.0.0.1:1");
    assert_errmsg_has(":***@");

    /* a user with a password on the test server (ACL: others are unaffected) */
    char user[32], url[sizeof fx->url + 128];
    snprintf(user, sizeof user, "cfu%ld", (long)getpid());
    char *ok = cf_redis_str(fx->url, "ACL SETUSER %s on >%s ~* &* +@all", user, pw);
    assert_non_null(ok);
    assert_string_equal(ok, "OK");
    free(ok);
    const char *hostpart = strstr(fx->url, "//") + 2;
    snprintf(url, sizeof url, "redis://%s:%s@%s", user, pw, hostpart);
    assert_ok(cairn_store_open(url, NULL, &t));
    assert_ok(cf_put(t, "s/1", "1", CAIRN_FAIL_IF_EXISTS));
    assert_rc(cf_put(t, "s/1", "2", CAIRN_FAIL_IF_EXISTS), CAIRN_EEXISTS);
    expect_no_secret(pw);
    cairn_store_close(t);
    t = NULL;
    /* wrong password */
    snprintf(url, sizeof url, "redis://%s:Zq7-wrong-pw@%s", user, hostpart);
    int rc = cairn_store_open(url, NULL, &t);
    assert_true(rc < 0);
    assert_null(t);
    expect_no_secret("Zq7-wrong-pw");
    assert_errmsg_has("auth");
    /* from the environment: the URL names the user only */
    snprintf(url, sizeof url, "redis://%s:@%s", user, hostpart);
    setenv("REDISCLI_AUTH", pw, 1);
    assert_ok(cairn_store_open(url, NULL, &t));
    cf_expect_str(t, "s/1", "1");
    cairn_store_close(t);
    t = NULL;
    unsetenv("REDISCLI_AUTH");
    setenv("CAIRN_REDIS_PASSWORD", "Zq7-wrong-env", 1);
    assert_true(cairn_store_open(url, NULL, &t) < 0);
    expect_no_secret("Zq7-wrong-env");
    unsetenv("CAIRN_REDIS_PASSWORD");
    /* under tiered: (issue 15.1): unreachable, and a wrong password */
    assert_rc(cairn_store_open("tiered:redis://:Zq7-top-secret@127.0.0.1:1/0", NULL, &t),
              CAIRN_ECONN);
    expect_no_secret(pw);
    assert_errmsg_has("open tiered:redis://:***@127.0.0.1:1/0");
    snprintf(url, sizeof url, "tiered:redis://%s:Zq7-wrong-pw@%s", user, hostpart);
    assert_true(cairn_store_open(url, NULL, &t) < 0);
    assert_null(t);
    expect_no_secret("Zq7-wrong-pw");
    ok = cf_redis_str(fx->url, "ACL DELUSER %s", user);
    free(ok);
}

/* ---- a proxy that loses a reply ----
 *
 * Forwards 127.0.0.1:port to the server; once armed, the first client
 * write holding an EXEC is forwarded, and then the connection is closed
 * without the reply: the transaction ran, the client cannot know it. */

typedef struct {
    int lfd, port;
    struct sockaddr_in up;
    atomic_int armed, fired, stop;
    pthread_t t;
} lossy;

typedef struct {
    lossy *x;
    int c;
} lossy_conn;

static bool has_exec(const char *b, size_t n)
{
    for (size_t i = 0; i + 6 <= n; i++)
        if (memcmp(b + i, "EXEC\r\n", 6) == 0)
            return true;
    return false;
}

static void *lossy_pump(void *p)
{
    lossy_conn *lc = p;
    lossy *x = lc->x;
    int c = lc->c, u = socket(AF_INET, SOCK_STREAM, 0);
    free(lc);
    if (u < 0 || connect(u, (struct sockaddr *)&x->up, sizeof x->up) != 0)
        goto out;
    char buf[65536];
    for (;;) {
        struct pollfd pf[2] = {{c, POLLIN, 0}, {u, POLLIN, 0}};
        if (poll(pf, 2, 200) < 0 || atomic_load(&x->stop))
            break;
        if (pf[0].revents) {
            ssize_t n = read(c, buf, sizeof buf);
            if (n <= 0 || write(u, buf, (size_t)n) != n)
                break;
            if (atomic_load(&x->armed) && has_exec(buf, (size_t)n) &&
                !atomic_exchange(&x->fired, 1)) {
                tr_sleep_ms(100); /* the server runs it */
                break;
            }
        }
        if (pf[1].revents) {
            ssize_t n = read(u, buf, sizeof buf);
            if (n <= 0 || write(c, buf, (size_t)n) != n)
                break;
        }
    }
out:
    if (u >= 0)
        close(u);
    close(c);
    return NULL;
}

static void *lossy_accept(void *p)
{
    lossy *x = p;
    while (!atomic_load(&x->stop)) {
        struct pollfd pf = {x->lfd, POLLIN, 0};
        if (poll(&pf, 1, 100) != 1)
            continue;
        int c = accept(x->lfd, NULL, NULL);
        lossy_conn *lc = c >= 0 ? malloc(sizeof *lc) : NULL;
        pthread_t t;
        if (!lc) {
            if (c >= 0)
                close(c);
            continue;
        }
        *lc = (lossy_conn){x, c};
        if (pthread_create(&t, NULL, lossy_pump, lc) != 0) {
            close(c);
            free(lc);
            continue;
        }
        pthread_detach(t);
    }
    return NULL;
}

/* Start a proxy to the server of url (redis://HOST:PORT/...). */
static void lossy_start(lossy *x, const char *url)
{
    memset(x, 0, sizeof *x);
    const char *h = strstr(url, "//");
    assert_non_null(h);
    const char *colon = strchr(h + 2, ':');
    assert_non_null(colon);
    x->up.sin_family = AF_INET;
    x->up.sin_port = htons((uint16_t)atoi(colon + 1));
    x->up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    x->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(x->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(x->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(x->lfd, 16), 0);
    assert_int_equal(getsockname(x->lfd, (struct sockaddr *)&a, &al), 0);
    x->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&x->t, NULL, lossy_accept, x), 0);
}

static void lossy_stop(lossy *x)
{
    atomic_store(&x->stop, 1);
    pthread_join(x->t, NULL);
    close(x->lfd);
    tr_sleep_ms(250); /* the pumps see stop and close */
}

/* Async puts run as one put_many (calls run together): when the reply to
 * its EXEC is lost, the write may have happened, so every put reports the
 * lost connection, as a put alone would, and none is written twice (a
 * second run would make version 2, or EEXISTS). */
static void redis_batch_outcome_unknown(void **state)
{
    cf_fx *fx = FX(state);
    lossy x;
    lossy_start(&x, fx->url);
    char url[sizeof fx->url + 16];
    const char *path = strchr(strstr(fx->url, "//") + 2, '/');
    assert_non_null(path);
    snprintf(url, sizeof url, "redis://127.0.0.1:%d%s", x.port, path);
    cairn_store *p = NULL;
    assert_ok(cairn_store_open(url, NULL, &p));
    enum { N = 8 };
    cairn_executor_opts eo = {0};
    eo.threads = 1;
    cairn_executor *ex = NULL;
    assert_ok(cairn_executor_new(&eo, &ex));
    /* hold the one worker (on the direct handle) while the puts queue up */
    cairn_future *g = cf_gate_hold(ex, fx->s), *f[N];
    cairn_put_opts ow = {0};
    ow.behavior = CAIRN_OVERWRITE;
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "lost/%d", i);
        assert_ok(cairn_async_put(ex, p, key, "1", 1, &ow, NULL, NULL, &f[i]));
    }
    atomic_store(&x.armed, 1);
    cf_gate_open(g);
    assert_ok(cairn_executor_wait_idle(ex, -1));
    assert_int_equal(atomic_load(&x.fired), 1);
    assert_true(cairn__executor_batched(ex) >= N);
    for (int i = 0; i < N; i++) {
        int st = cairn_future_status(f[i]);
        if (st != CAIRN_ECONN)
            fail_msg("put %d: status %d (%s), expected CAIRN_ECONN: %s", i, st,
                     cairn_strerror(st), cairn_future_errmsg(f[i]));
        assert_non_null(strstr(cairn_future_errmsg(f[i]), "outcome unknown"));
        cairn_future_release(f[i]);
        /* the server ran the transaction once */
        snprintf(key, sizeof key, "lost/%d", i);
        cairn_value *v = NULL;
        assert_ok(cairn_get(fx->s, key, &v));
        assert_int_equal(cairn_value_meta(v)->version, 1);
        cairn_value_free(v);
    }
    cairn_executor_free(ex);
    /* the handle reconnects */
    assert_ok(cairn_put(p, "lost/after", "2", 1, NULL));
    cf_expect_str(fx->s, "lost/after", "2");
    cairn_store_close(p);
    lossy_stop(&x);
}

static void redis_url_errors(void **state)
{
    (void)state;
    cairn_store *t = NULL;
    assert_rc(cairn_store_open("redis:", NULL, &t), CAIRN_EURL);
    assert_rc(cairn_store_open("redis:/tmp/x", NULL, &t), CAIRN_EURL);
    assert_errmsg_has("redis://");
    assert_rc(cairn_store_open("redis://127.0.0.1:99999/0", NULL, &t), CAIRN_EURL);
    assert_errmsg_has("bad port");
    assert_rc(cairn_store_open("redis://127.0.0.1:6379/x", NULL, &t), CAIRN_EURL);
    assert_errmsg_has("database");
    assert_rc(cairn_store_open("redis://127.0.0.1/0?colour=red", NULL, &t), CAIRN_EURL);
    assert_errmsg_has("'colour'");
    assert_rc(cairn_store_open("redis://127.0.0.1/0?pool=0", NULL, &t), CAIRN_EURL);
    assert_errmsg_has("pool");
    assert_rc(cairn_store_open("redis://127.0.0.1/0?password=Zq7-x", NULL, &t), CAIRN_EURL);
    expect_no_secret("Zq7-x");
    assert_rc(cairn_store_open("redis://:%zz@127.0.0.1/0", NULL, &t), CAIRN_EURL);
    assert_null(t);
}

/* A record over Redis's limit on a bulk string (proto-max-bulk-len, 512 MB
 * by default) is refused before anything of it is sent: the server would
 * drop the connection once the whole record had crossed it, leaving the
 * outcome unknown (issue 15.4). The record is a mapping no one may read
 * (PROT_NONE): the refusal goes by its length alone, and nothing of 512 MB
 * is allocated. */
static void redis_record_over_bulk_limit(void **state)
{
    cf_fx *fx = FX(state);
    assert_ok(cf_put(fx->s, "big/old", "1", CAIRN_FAIL_IF_EXISTS));
    cf_reopen_tap(fx);
    size_t n = (size_t)512 * 1024 * 1024 + 1;
    void *rec = mmap(NULL, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(rec != MAP_FAILED);
    assert_rc(cf_raw_update("big/old", rec, n), CAIRN_EINVAL);
    assert_errmsg_has("536870913 bytes");
    assert_errmsg_has("512 MB");
    assert_rc(cf_raw_update("big/new", rec, n), CAIRN_EINVAL);
    munmap(rec, n);
    /* nothing written, and the handle's connections still work */
    cf_expect_str(fx->s, "big/old", "1");
    assert_rc(cairn_exists(fx->s, "big/new"), CAIRN_ENOTFOUND);
    assert_ok(cf_put(fx->s, "big/new", "2", CAIRN_FAIL_IF_EXISTS));
    cf_expect_str(fx->s, "big/new", "2");
}

#else /* the cases are registered for the redis backend only */
static void redis_not_built(void **state)
{
    (void)state;
    fail_msg("the redis backend is not built in");
}
#define redis_native_expiry_and_index redis_not_built
#define redis_prefix_isolation redis_not_built
#define redis_reconnect_after_kill redis_not_built
#define redis_fork_child redis_not_built
#define redis_get_many_stream redis_not_built
#define redis_secrets_hidden redis_not_built
#define redis_url_errors redis_not_built
#define redis_batch_outcome_unknown redis_not_built
#define redis_record_over_bulk_limit redis_not_built
#endif

const tr_case cf_redis_cases[] = {
    TR_CASE(redis_native_expiry_and_index, TR_REDIS, 0),
    TR_CASE(redis_prefix_isolation, TR_REDIS, 0),
    TR_CASE(redis_reconnect_after_kill, TR_REDIS, 0),
    TR_CASE(redis_fork_child, TR_REDIS, 0),
    TR_CASE(redis_get_many_stream, TR_REDIS, 0),
    TR_CASE(redis_secrets_hidden, TR_REDIS, 0),
    TR_CASE(redis_url_errors, TR_REDIS, 0),
    TR_CASE(redis_batch_outcome_unknown, TR_REDIS, 0),
    TR_CASE(redis_record_over_bulk_limit, TR_REDIS, 0),
};
const size_t cf_redis_ncases = CF_NCASES(cf_redis_cases);
