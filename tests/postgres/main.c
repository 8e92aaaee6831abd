/*
 * main.c — tests of the postgres backend beyond the conformance suite: what
 * only a server backend has (restarts, reconnects, the table layout, other
 * clients of the database, passwords). They need the server scripts/servers.sh
 * starts (CAIRN_TEST_POSTGRES_URL, CAIRN_TEST_PG_CTL, CAIRN_TEST_PG_DATA);
 * without it every case fails.
 *   cairn_pg_tests [CASE...] [--cli PATH]
 */
#include "../common/runner.h"
#include "all.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *cli_path; /* the cairn binary, for the CLI checks */

/* ---- fixture: a fresh table per case ---- */

typedef struct {
    char url[2048];      /* the store: the server's URL + ?table=... */
    char table[64];
    char password[256];  /* from the URL, to look for in messages */
    PGconn *db;          /* a plain libpq connection, to look at the table */
} fx_t;

static const char *need_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("%s is not set: run the tests through `make test` (scripts/test.sh starts "
                 "PostgreSQL)",
                 name);
    return v;
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    const char *base = getenv("CAIRN_TEST_POSTGRES_URL");
    if (!base || !*base) {
        print_error("CAIRN_TEST_POSTGRES_URL is not set: run the tests through `make test` "
                    "(scripts/test.sh starts PostgreSQL)\n");
        free(fx);
        return -1;
    }
    snprintf(fx->table, sizeof fx->table, "pgt_%ld_%lld", (long)getpid(),
             (long long)cairn_now_ms() % 1000000);
    snprintf(fx->url, sizeof fx->url, "%s%stable=%s", base, strchr(base, '?') ? "&" : "?",
             fx->table);
    /* postgres://user:password@host... */
    const char *auth = strstr(base, "://");
    const char *at = auth ? strchr(auth + 3, '@') : NULL;
    const char *colon = at ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
    if (colon)
        snprintf(fx->password, sizeof fx->password, "%.*s", (int)(at - colon - 1), colon + 1);
    /* libpq takes the same URI (without our table parameter). */
    fx->db = PQconnectdb(base);
    PQsetNoticeProcessor(fx->db, quiet, NULL);
    if (PQstatus(fx->db) != CONNECTION_OK) {
        print_error("libpq connect: %s\n", PQerrorMessage(fx->db));
        PQfinish(fx->db);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static void sql(fx_t *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sql(fx_t *fx, const char *fmt, ...)
{
    char q[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    PGresult *r = PQexec(fx->db, q);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", q, PQresultErrorMessage(r));
    PQclear(r);
}

/* The first column of the first row of a query, as text (static buffer). */
static const char *sql_value(fx_t *fx, const char *q)
{
    static char out[256];
    PGresult *r = PQexec(fx->db, q);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
        fail_msg("%s: %s", q, PQresultErrorMessage(r));
    snprintf(out, sizeof out, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    if (!fx)
        return 0;
    if (PQstatus(fx->db) != CONNECTION_OK)
        PQreset(fx->db);
    char q[128];
    snprintf(q, sizeof q, "DROP TABLE IF EXISTS \"%s\"", fx->table);
    PQclear(PQexec(fx->db, q));
    PQfinish(fx->db);
    free(fx);
    return 0;
}

static void assert_no_password(const fx_t *fx, const char *text, const char *where)
{
    if (fx->password[0] && strstr(text, fx->password))
        fail_msg("%s shows the password: %s", where, text);
}

/* pg_ctl restart -m fast, as the cluster's owner. */
static void restart_server(void)
{
    const char *ctl = need_env("CAIRN_TEST_PG_CTL");
    const char *data = need_env("CAIRN_TEST_PG_DATA");
    char cmd[3 * 4096];
    snprintf(cmd, sizeof cmd, "%s'%s' -D '%s' -m fast -w -t 60 -l '%s/../restart.log' "
                              "restart >/dev/null",
             getuid() == 0 ? "runuser -u postgres -- " : "", ctl, data, data);
    int st = system(cmd);
    if (st != 0)
        fail_msg("%s: status 0x%x", cmd, st);
}

/* ---- cases ---- */

/* The layout the docs promise: bytea keys in bytewise order (UTF-8 beyond
 * ASCII sorts after it, as memcmp says, whatever the database's collation),
 * the expiry column set from the record, and get filtering on it. */
static void table_layout(void **state)
{
    fx_t *fx = *state;
    cairn_store *s;
    assert_ok(cairn_store_open(fx->url, NULL, &s));
    const char *keys[] = {"b", "B", "a/z", "\xc3\xa9", "a", "~", "a/\xe2\x82\xac"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_ok(cairn_put(s, keys[i], "1", 1, NULL));
    cairn_iter *it;
    assert_ok(cairn_list(s, NULL, &it));
    const char *want[] = {"B", "a", "a/z", "a/\xe2\x82\xac", "b", "~", "\xc3\xa9"};
    const char *k;
    size_t n = 0;
    while (cairn_iter_next(it, &k, NULL) == CAIRN_OK) {
        assert_true(n < 7);
        assert_string_equal(k, want[n]);
        n++;
    }
    cairn_iter_free(it);
    assert_int_equal(n, 7);

    cairn_put_opts ttl = {.ttl_ms = 60000};
    int64_t t0 = cairn_now_ms();
    assert_ok(cairn_put(s, "ttl/k", "2", 1, &ttl));
    char q[256];
    snprintf(q, sizeof q, "SELECT exp FROM \"%s\" WHERE k = 'ttl/k'::bytea", fx->table);
    long long exp = atoll(sql_value(fx, q));
    assert_true(exp >= t0 + 60000 && exp <= cairn_now_ms() + 60000);
    snprintf(q, sizeof q, "SELECT exp FROM \"%s\" WHERE k = 'a'::bytea", fx->table);
    assert_int_equal(atoll(sql_value(fx, q)), 0);
    /* get filters on exp in the server: pretend the record expired */
    sql(fx, "UPDATE \"%s\" SET exp = 1 WHERE k = 'ttl/k'::bytea", fx->table);
    cairn_value *v = NULL;
    assert_rc(cairn_get(s, "ttl/k", &v), CAIRN_ENOTFOUND);
    cairn_store_close(s);
}

/* cairn_purge_expired is one DELETE on the partial expiry index (the
 * backend's purge_expired slot): it removes exactly the expired rows, the
 * library's own included, and leaves a record rewritten with a later
 * expiry. */
static void purge_in_server(void **state)
{
    fx_t *fx = *state;
    cairn_store *s;
    assert_ok(cairn_store_open(fx->url, NULL, &s));
    cairn_put_opts brief = {.ttl_ms = 50};
    for (int i = 0; i < 5; i++) {
        char k[32];
        snprintf(k, sizeof k, "short/%d", i);
        assert_ok(cairn_put(s, k, "1", 1, &brief));
    }
    assert_ok(cairn_put(s, "keep/forever", "1", 1, NULL));
    cairn_put_opts later = {.ttl_ms = 600000};
    assert_ok(cairn_put(s, "keep/later", "1", 1, &later));
    /* an expired _cairn/ row written by SQL with an empty record: only a
     * purge in the server (by exp) removes it, the core's scan-and-delete
     * would need to decode it, so the count below tells which one ran */
    sql(fx, "INSERT INTO \"%s\" (k, exp, v) VALUES ('_cairn/x'::bytea, 1, ''::bytea)",
        fx->table);
    tr_sleep_ms(200);
    /* short/0 is rewritten with a long TTL before the purge: it stays */
    cairn_put_opts ow = {.behavior = CAIRN_OVERWRITE, .ttl_ms = 600000};
    assert_ok(cairn_put(s, "short/0", "2", 1, &ow));
    uint64_t n = 0;
    assert_ok(cairn_purge_expired(s, &n));
    assert_int_equal(n, 5); /* short/1..4 and _cairn/x */
    char q[256];
    snprintf(q, sizeof q, "SELECT count(*) FROM \"%s\"", fx->table);
    assert_string_equal(sql_value(fx, q), "3");
    snprintf(q, sizeof q,
             "SELECT count(*) FROM pg_indexes WHERE tablename = '%s' AND indexname = '%s_exp'",
             fx->table, fx->table);
    assert_string_equal(sql_value(fx, q), "1");
    cairn_value *v = NULL;
    assert_ok(cairn_get(s, "short/0", &v));
    cairn_value_free(v);
    assert_ok(cairn_purge_expired(s, &n));
    assert_int_equal(n, 0);
    cairn_store_close(s);
}

/* fork(): a child that uses (and closes) its parent's handle gets its own
 * connections, and the parent's session goes on untouched: had the child
 * closed the inherited connections the usual way, libpq would have ended
 * the parent's session on the shared socket. Threads made the parent's
 * pool hold several connections at fork time. */
typedef struct {
    cairn_store *s;
    int bad;
} thr;

static void *gets(void *arg)
{
    thr *t = arg;
    for (int i = 0; i < 30; i++) {
        cairn_value *v = NULL;
        if (cairn_get(t->s, "k", &v) != CAIRN_OK)
            t->bad++;
        cairn_value_free(v);
    }
    return NULL;
}

/* 4 threads each get "k" 30 times on s at once (so the pool has several
 * connections); every get must succeed. */
static void gets_in_threads(cairn_store *s)
{
    thr t[4] = {{s, 0}, {s, 0}, {s, 0}, {s, 0}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, gets, &t[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        if (t[i].bad)
            fail_msg("thread %d: %d of 30 gets failed", i, t[i].bad);
}

static void fork_shares_no_connection(void **state)
{
    fx_t *fx = *state;
    cairn_store *s;
    assert_ok(cairn_store_open(fx->url, NULL, &s));
    assert_ok(cairn_put(s, "k", "1", 1, NULL));
    gets_in_threads(s);
    for (int round = 0; round < 3; round++) {
        fflush(stdout);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            tr_child_defaults();
            char key[32];
            snprintf(key, sizeof key, "child/%d", round);
            int rc = cairn_put(s, key, "2", 1, NULL);
            cairn_value *v = NULL;
            if (rc == CAIRN_OK)
                rc = cairn_get(s, "k", &v);
            cairn_value_free(v);
            if (rc)
                fprintf(stderr, "child: %s\n", cairn_errmsg());
            if (round < 2)
                cairn_store_close(s); /* round 2: exit with it open */
            _exit(rc ? 1 : 0);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        gets_in_threads(s); /* every pooled connection of the parent works */
        char key[32];
        snprintf(key, sizeof key, "child/%d", round);
        cairn_value *v = NULL;
        assert_ok(cairn_get(s, key, &v));
        cairn_value_free(v);
    }
    cairn_store_close(s);
}

/* A table that is not a cairn store is refused, not written to. */
static void foreign_table(void **state)
{
    fx_t *fx = *state;
    sql(fx, "CREATE TABLE \"%s\" (id int PRIMARY KEY, name text)", fx->table);
    sql(fx, "INSERT INTO \"%s\" VALUES (1, 'theirs')", fx->table);
    cairn_store *s = NULL;
    assert_rc(cairn_store_open(fx->url, NULL, &s), CAIRN_ECORRUPT);
    assert_errmsg_has("not a cairn store");
    assert_null(s);
    char q[128];
    snprintf(q, sizeof q, "SELECT name FROM \"%s\"", fx->table);
    assert_string_equal(sql_value(fx, q), "theirs");
}

/* Two stores (tables) in one database are independent, and another
 * process racing to create the same table is harmless. */
static void tables_are_stores(void **state)
{
    fx_t *fx = *state;
    char other[2200];
    snprintf(other, sizeof other, "%s_b", fx->url);
    cairn_store *a, *b;
    assert_ok(cairn_store_open(fx->url, NULL, &a));
    assert_ok(cairn_store_open(other, NULL, &b));
    assert_ok(cairn_put(a, "k", "1", 1, NULL));
    assert_ok(cairn_put(b, "k", "2", 1, NULL));
    uint64_t n = 0;
    assert_ok(cairn_count(a, NULL, &n));
    assert_int_equal(n, 1);
    cairn_store_close(a);
    cairn_store_close(b);
    sql(fx, "DROP TABLE \"%s_b\"", fx->table);

    /* 8 processes create one new table at once */
    char race[2200];
    snprintf(race, sizeof race, "%s_race", fx->url);
    pid_t pid[8];
    for (int i = 0; i < 8; i++) {
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            tr_child_defaults();
            cairn_store *c;
            int rc = cairn_store_open(race, NULL, &c);
            if (rc == CAIRN_OK) {
                rc = cairn_incr(c, "n", 1, NULL);
                cairn_store_close(c);
            }
            if (rc)
                fprintf(stderr, "racer %d: %s\n", i, cairn_errmsg());
            _exit(rc ? 1 : 0);
        }
    }
    for (int i = 0; i < 8; i++) {
        int st;
        assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    cairn_store *c;
    assert_ok(cairn_store_open(race, NULL, &c));
    int64_t v = 0;
    assert_ok(cairn_incr(c, "n", 0, &v));
    assert_int_equal(v, 8);
    cairn_store_close(c);
    sql(fx, "DROP TABLE \"%s_race\"", fx->table);
}

/* URLs: bad ones are refused with a reason; postgresql:// is the same. */
static void urls(void **state)
{
    fx_t *fx = *state;
    cairn_store *s = NULL;
    char url[2300];
    snprintf(url, sizeof url, "%s_x&table=bad-name", fx->url);
    assert_rc(cairn_store_open(url, NULL, &s), CAIRN_EURL);
    assert_errmsg_has("not an identifier");
    assert_no_password(fx, cairn_errmsg(), "error message");
    snprintf(url, sizeof url, "%s&frobnicate=1", fx->url);
    assert_rc(cairn_store_open(url, NULL, &s), CAIRN_EURL);
    assert_errmsg_has("unknown URL parameter 'frobnicate'");
    assert_rc(cairn_store_open("postgres:/tmp/x", NULL, &s), CAIRN_EURL);
    assert_rc(cairn_store_open("postgres://u@127.0.0.1:notaport/db", NULL, &s), CAIRN_EURL);
    assert_errmsg_has("port");
    assert_rc(cairn_store_open("postgres://u@127.0.0.1/db?table=%00x", NULL, &s), CAIRN_EURL);
    /* nothing listens on port 1 */
    assert_rc(cairn_store_open("postgres://u:hunter2pw@127.0.0.1:1/db?connect_timeout=2",
                               NULL, &s),
              CAIRN_ECONN);
    assert_errmsg_has("127.0.0.1");
    /* one line: libpq's "...refused\n\tIs the server running..." joined */
    if (strpbrk(cairn_errmsg(), "\n\t") || strstr(cairn_errmsg(), "\\n") ||
        strstr(cairn_errmsg(), "\\t"))
        fail_msg("message spans lines: %s", cairn_errmsg());
    if (strstr(cairn_errmsg(), "hunter2pw"))
        fail_msg("message shows the password: %s", cairn_errmsg());
    assert_null(s);
    snprintf(url, sizeof url, "postgresql%s", strchr(fx->url, ':'));
    assert_ok(cairn_store_open(url, NULL, &s));
    assert_string_equal(cairn_store_backend(s), "postgres");
    cairn_store_close(s);
}

/* The password never shows: not in open errors (wrong password), not in
 * errors of a store whose table went away, not in `cairn stats` or the
 * CLI's errors. */
static void password_never_shown(void **state)
{
    fx_t *fx = *state;
    assert_true(fx->password[0] != '\0'); /* servers.sh gives the role one */
    cairn_store *s = NULL;
    char url[2 * 2300 + 32], wrong[2300];
    /* a wrong password: same length, first character changed */
    snprintf(wrong, sizeof wrong, "%s", fx->url);
    char *p = strstr(wrong, fx->password);
    assert_non_null(p);
    *p = *p == 'z' ? 'y' : 'z';
    char wrong_pw[256];
    snprintf(wrong_pw, sizeof wrong_pw, "%.*s", (int)strlen(fx->password), p);
    assert_rc(cairn_store_open(wrong, NULL, &s), CAIRN_ECONN);
    assert_errmsg_has("password authentication failed");
    assert_errmsg_has(":***@");
    if (strstr(cairn_errmsg(), wrong_pw))
        fail_msg("message shows the (wrong) password: %s", cairn_errmsg());
    /* the password in a query parameter */
    snprintf(url, sizeof url, "%s&password=%s", wrong, wrong_pw);
    assert_rc(cairn_store_open(url, NULL, &s), CAIRN_ECONN);
    if (strstr(cairn_errmsg(), wrong_pw))
        fail_msg("message shows the password parameter: %s", cairn_errmsg());

    /* errors of an open store */
    assert_ok(cairn_store_open(fx->url, NULL, &s));
    assert_ok(cairn_put(s, "k", "1", 1, NULL));
    sql(fx, "DROP TABLE \"%s\"", fx->table);
    cairn_value *v = NULL;
    int rc = cairn_get(s, "k", &v);
    assert_true(rc < 0);
    assert_errmsg_has("does not exist");
    assert_no_password(fx, cairn_errmsg(), "get error");
    assert_true(cairn_put(s, "k", "1", 1, NULL) < 0);
    assert_no_password(fx, cairn_errmsg(), "put error");
    cairn_store_close(s);

    /* the CLI: stats prints the store's URL, errors print messages */
    if (!cli_path)
        fail_msg("--cli PATH not given");
    assert_ok(cairn_store_open(fx->url, NULL, &s));
    assert_ok(cairn_put(s, "k", "1", 1, NULL));
    cairn_store_close(s);
    const char *cmds[] = {"stats", "get k", "get nothere", "put k 2"};
    for (size_t i = 0; i < 4; i++) {
        char cmd[3 * 2300];
        snprintf(cmd, sizeof cmd, "'%s' --store '%s' %s 2>&1", cli_path,
                 i == 3 ? wrong : fx->url, cmds[i]);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        char out[8192];
        size_t n = fread(out, 1, sizeof out - 1, f);
        out[n] = '\0';
        pclose(f);
        if (strstr(out, fx->password) || strstr(out, wrong_pw))
            fail_msg("cairn %s shows the password: %s", cmds[i], out);
        if (i == 0 && !strstr(out, "\"keys\":1"))
            fail_msg("cairn stats: %s", out);
        if (i == 0 && !strstr(out, ":***@"))
            fail_msg("cairn stats does not show the URL redacted: %s", out);
    }
}

/* One handle used by threads (several pooled connections); the server
 * restarts; the first call fails with CAIRN_ECONN, every later call
 * reconnects and works, from any thread. */
static void reconnect_after_restart(void **state)
{
    fx_t *fx = *state;
    cairn_store *s;
    assert_ok(cairn_store_open(fx->url, NULL, &s));
    assert_ok(cairn_put(s, "k", "1", 1, NULL));
    gets_in_threads(s);
    restart_server();
    cairn_value *v = NULL;
    assert_rc(cairn_get(s, "k", &v), CAIRN_ECONN);
    assert_errmsg_has("connection lost");
    assert_no_password(fx, cairn_errmsg(), "connection error");
    gets_in_threads(s); /* every later call works, on every pooled connection */
    assert_ok(cairn_put(s, "k2", "2", 1, NULL));
    cairn_store_close(s);
}

/* ---- the fault test: writers while the server restarts ---- */

#define WORKERS 4
#define RESTARTS 3
enum { ACK_PUT = 1, FAIL_PUT, ACK_INCR, FAIL_INCR, LEAK };

typedef struct {
    uint32_t worker, kind;
    int64_t val; /* seq for puts, status for failures */
} msg;

static volatile sig_atomic_t stop_flag;
static void on_term(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void send_msg(int fd, uint32_t w, uint32_t kind, int64_t val)
{
    msg m = {w, kind, val};
    while (write(fd, &m, sizeof m) < 0 && errno == EINTR)
        ;
}

static void fault_worker(const fx_t *fx, uint32_t w, int fd)
{
    signal(SIGTERM, on_term);
    cairn_store *s = NULL;
    if (cairn_store_open(fx->url, NULL, &s) != CAIRN_OK) {
        send_msg(fd, w, FAIL_PUT, -999);
        _exit(2);
    }
    for (int64_t seq = 1; !stop_flag; seq++) {
        char key[64], val[64];
        snprintf(key, sizeof key, "fault/w%u/%08lld", w, (long long)seq);
        int n = snprintf(val, sizeof val, "{\"w\":%u,\"seq\":%lld}", w, (long long)seq);
        int rc = cairn_put(s, key, val, (size_t)n, NULL);
        if (rc == CAIRN_OK) {
            send_msg(fd, w, ACK_PUT, seq);
        } else {
            send_msg(fd, w, FAIL_PUT, rc);
            if (fx->password[0] && strstr(cairn_errmsg(), fx->password))
                send_msg(fd, w, LEAK, rc);
        }
        if (seq % 4 == 0) {
            rc = cairn_incr(s, "fault/counter", 1, NULL);
            send_msg(fd, w, rc == CAIRN_OK ? ACK_INCR : FAIL_INCR, rc);
        }
        if (rc != CAIRN_OK)
            tr_sleep_ms(20); /* the server is away: do not spin */
    }
    cairn_store_close(s);
    _exit(0);
}

static void server_restart_under_writers(void **state)
{
    fx_t *fx = *state;
    cairn_store *s;
    assert_ok(cairn_store_open(fx->url, NULL, &s)); /* creates the table */
    cairn_store_close(s);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid[WORKERS];
    fflush(stdout);
    for (uint32_t w = 0; w < WORKERS; w++) {
        pid[w] = fork();
        assert_true(pid[w] >= 0);
        if (pid[w] == 0) {
            tr_child_defaults();
            close(p[0]);
            fault_worker(fx, w, p[1]);
        }
    }
    close(p[1]);
    static int64_t acked[WORKERS][1 << 16];
    int nacked[WORKERS] = {0}, after[WORKERS] = {0};
    int put_fail = 0, incr_ack = 0, incr_fail = 0, leaks = 0, other = 0;
    int phase = 0; /* restarts done */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd pf = {p[0], POLLIN, 0};
        int pr = poll(&pf, 1, 100);
        if (pr > 0) {
            msg m;
            ssize_t r = read(p[0], &m, sizeof m);
            assert_int_equal(r, sizeof m);
            assert_true(m.worker < WORKERS);
            switch (m.kind) {
            case ACK_PUT:
                assert_true(nacked[m.worker] < (1 << 16));
                acked[m.worker][nacked[m.worker]++] = m.val;
                after[m.worker] += phase > 0;
                break;
            case FAIL_PUT:
            case FAIL_INCR:
                if (m.val == -999)
                    fail_msg("worker %u could not open the store", m.worker);
                put_fail += m.kind == FAIL_PUT;
                incr_fail += m.kind == FAIL_INCR;
                /* the server went away: a connection error, nothing else */
                if (m.val != CAIRN_ECONN) {
                    other++;
                    printf("[  INFO    ] worker %u: a write failed with %s\n", m.worker,
                           cairn_strerror((int)m.val));
                }
                break;
            case ACK_INCR:
                incr_ack++;
                break;
            case LEAK:
                leaks++;
                break;
            }
        }
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long el = (long)(t.tv_sec - t0.tv_sec);
        int total = 0, min_after = 1 << 30;
        for (int w = 0; w < WORKERS; w++) {
            total += nacked[w];
            if (after[w] < min_after)
                min_after = after[w];
        }
        if (phase == 0 && total >= 200) {
            printf("[  INFO    ] %d writes acknowledged; restarting the server\n", total);
            fflush(stdout);
            restart_server();
            phase = 1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
        } else if (phase == 0 && el > 60) {
            fail_msg("only %d writes acknowledged in 60 s before the restart", total);
        } else if (phase >= 1 && min_after >= 50) {
            /* every worker carried on: again, up to RESTARTS times */
            if (phase == RESTARTS)
                break;
            printf("[  INFO    ] every worker wrote %d+ since restart %d; restarting again\n",
                   min_after, phase);
            fflush(stdout);
            memset(after, 0, sizeof after);
            restart_server();
            phase++;
            clock_gettime(CLOCK_MONOTONIC, &t0);
        } else if (phase >= 1 && el > 90) {
            fail_msg("the workers did not carry on after restart %d (fewest writes "
                     "since: %d)",
                     phase, min_after);
        }
    }
    for (int w = 0; w < WORKERS; w++)
        kill(pid[w], SIGTERM);
    /* drain the acks still in the pipe, then reap */
    msg m;
    while (read(p[0], &m, sizeof m) == (ssize_t)sizeof m) {
        if (m.kind == ACK_PUT && m.worker < WORKERS && nacked[m.worker] < (1 << 16))
            acked[m.worker][nacked[m.worker]++] = m.val;
        else if (m.kind == ACK_INCR)
            incr_ack++;
        else if (m.kind == FAIL_INCR)
            incr_fail++;
        else if (m.kind == FAIL_PUT)
            put_fail++;
        else if (m.kind == LEAK)
            leaks++;
    }
    close(p[0]);
    for (int w = 0; w < WORKERS; w++) {
        int st;
        assert_int_equal(waitpid(pid[w], &st, 0), pid[w]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }

    /* Every acknowledged write is there, whole. */
    assert_ok(cairn_store_open(fx->url, NULL, &s));
    int checked = 0;
    for (uint32_t w = 0; w < WORKERS; w++) {
        for (int i = 0; i < nacked[w]; i++) {
            char key[64], want[64];
            snprintf(key, sizeof key, "fault/w%u/%08lld", w, (long long)acked[w][i]);
            int n = snprintf(want, sizeof want, "{\"w\":%u,\"seq\":%lld}", w,
                             (long long)acked[w][i]);
            cairn_value *v = NULL;
            int rc = cairn_get(s, key, &v);
            if (rc)
                fail_msg("acknowledged %s is lost: %s", key, cairn_strerror(rc));
            size_t len;
            const char *d = cairn_value_data(v, &len);
            assert_int_equal(len, (size_t)n);
            assert_memory_equal(d, want, len);
            cairn_value_free(v);
            checked++;
        }
    }
    /* The counter counts every acknowledged incr, and at most the failed
     * ones besides (a commit whose answer was lost may have happened). */
    int64_t counter = 0;
    assert_ok(cairn_incr(s, "fault/counter", 0, &counter));
    cairn_store_close(s);
    printf("[  INFO    ] %d acknowledged writes checked; %d puts and %d incrs failed "
           "during the restart; counter %lld (%d incrs acknowledged)\n",
           checked, put_fail, incr_fail, (long long)counter, incr_ack);
    assert_true(put_fail + incr_fail > 0); /* the restart was seen */
    assert_int_equal(other, 0);
    assert_int_equal(leaks, 0);
    assert_true(counter >= incr_ack && counter <= incr_ack + incr_fail);
}

static const tr_case cases[] = {
    TR_CASE(table_layout, TR_HEAVY, 60),
    TR_CASE(tables_are_stores, TR_HEAVY, 60),
    TR_CASE(urls, TR_HEAVY, 60),
    TR_CASE(purge_in_server, TR_HEAVY, 60),
    TR_CASE(foreign_table, TR_HEAVY, 60),
    TR_CASE(fork_shares_no_connection, TR_HEAVY, 60),
    TR_CASE(password_never_shown, TR_HEAVY, 60),
    TR_CASE(reconnect_after_restart, TR_HEAVY, 120),
    TR_CASE(server_restart_under_writers, TR_HEAVY, 240),
};

int main(int argc, char **argv)
{
    tr_suite suite = {"postgres", setup, teardown};
    tr_tally tally = {0};
    int named = 0, matched = 0;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--cli") && a + 1 < argc) {
            cli_path = argv[++a];
            continue;
        }
        named++;
    }
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bool want = named == 0;
        for (int a = 1; a < argc && !want; a++)
            want = !strcmp(argv[a], cases[i].name);
        if (!want)
            continue;
        matched++;
        tr_tally_add(&tally, "postgres", cases[i].name, tr_run_case(&suite, &cases[i]));
    }
    if (named && matched != named) {
        fprintf(stderr, "cairn_pg_tests: unknown case (known:");
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
            fprintf(stderr, " %s", cases[i].name);
        fprintf(stderr, ")\n");
        return 2;
    }
    if (named == 1 && matched == 1)
        return tally.failed ? 1 : 0;
    return tr_summary(&tally);
}
