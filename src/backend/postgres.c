/*
 * postgres.c — the postgres:// backend: one table per store in a PostgreSQL
 * database, reached through libpq by a small connection pool per handle.
 *
 * Layout: "<table>"(k bytea PRIMARY KEY, exp bigint, v bytea). PostgreSQL
 * orders bytea with memcmp (shorter first on a tie), as the vtable wants, so
 * prefix and range are k >= $1 AND k < $2 on the primary-key btree. exp is
 * the record's expiry (ms since the epoch, 0: never), copied from the header
 * the core writes: get() filters on it in the server.
 *
 * Atomicity: update() is one transaction. Each op first takes a transaction
 * advisory lock on a hash of (table, key), then reads the row FOR UPDATE,
 * runs the callback here in the client, and writes with INSERT ... ON
 * CONFLICT DO UPDATE. The advisory lock is what excludes other writers of a
 * key that does not exist yet (FOR UPDATE locks only rows that are there);
 * lock_timeout (the store's busy timeout) bounds the wait. Deadlocks between
 * batches and serialization or unique-key races roll back and run the whole
 * update again (callbacks included).
 *
 * Only prepared statements carry data; the table name is a validated
 * identifier, quoted. The password (URL, $PGPASSWORD or ~/.pgpass, the last
 * two read by libpq) never appears in a message: messages name the store by
 * user@host:port/db and table, and server text is scrubbed of it anyway.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, strdup */

#include "backend/backends.h"
#include "base/error.h"
#include "base/hash.h"
#include "base/hlist.h"
#include "base/url.h"
#include "record/record.h"
#include "backend/parse.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Connections per handle (threads beyond this wait for one). */
#define POOL_MAX 8
/* Conninfo keywords from the URL (user, password, host, port, dbname and
 * query parameters). */
#define MAX_PARAMS 24
/* Rows per scan round trip: keys with record heads, or whole records. */
#define PAGE_HEADS 512
#define PAGE_VALUES 64
/* Conflict retries of one update before it gives up with CAIRN_EBUSY. */
#define RETRIES 200
/* Longest table name: PostgreSQL's identifiers are at most 63 bytes, and
 * the expiry index is named "<table>_exp". */
#define TABLE_MAX 59
#define DEFAULT_TABLE "cairn_records"
#define DEFAULT_CONNECT_TIMEOUT "10"
/* Internal: the transaction lost a race and must run again. */
#define RETRY 1

enum {
    ST_GET,
    ST_LOCK,
    ST_READ,
    ST_PUT,
    ST_DEL,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_PURGE,
    /* ST_SCAN + (lo_excl ? 1 : 0) + (hi ? 2 : 0) + (want_value ? 4 : 0) */
    ST_SCAN,
    ST_COUNT = ST_SCAN + 8
};

typedef struct pg pg;

typedef struct conn {
    PGconn *db;
    unsigned epoch; /* pg.epoch when opened: older ones are reconnected */
    bool broken;    /* left in a state we cannot use: reconnect */
    int slot;       /* its index in pg.all */
    struct conn *next_free;
} conn;

struct pg {
    char *where;    /* user@host:port/db "table": for messages, no password */
    char *password; /* from the URL, only to scrub messages; may be NULL */
    char table[TABLE_MAX + 1];
    const char *kw[MAX_PARAMS + 1]; /* PQconnectdbParams keywords, static */
    char *val[MAX_PARAMS + 1];      /* their values, owned */
    int nkw;
    int64_t timeout_ms;
    bool sync_off;
    unsigned epoch; /* bumped when a connection is seen dead */
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cv;
    conn *free_list; /* LIFO: one thread keeps reusing one warm connection */
    int nconn;       /* connections opened or being opened */
    conn *all[POOL_MAX];
    bool opening[POOL_MAX]; /* slots taken by a connection being opened */
    cairn__hlink link; /* in handles: every open handle of the process (fork) */
};

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* Copy msg into buf without a trailing newline, every occurrence of the
 * password replaced by "***". */
static void scrub(const pg *s, const char *msg, char *buf, size_t cap)
{
    size_t o = 0, plen = s->password ? strlen(s->password) : 0;
    if (!msg)
        msg = "";
    while (*msg && o + 4 < cap) {
        if (plen && !strncmp(msg, s->password, plen)) {
            memcpy(buf + o, "***", 3);
            o += 3;
            msg += plen;
        } else if (*msg == '\n' || *msg == '\r' || *msg == '\t') {
            /* libpq's messages span lines ("...refused\n\tIs the server
             * running..."): one line per error, the lines joined by "; ". */
            bool line = false;
            for (; *msg == '\n' || *msg == '\r' || *msg == '\t' || *msg == ' '; msg++)
                line |= *msg == '\n' || *msg == '\r';
            if (*msg && o > 0) {
                if (line)
                    buf[o++] = ';';
                buf[o++] = ' ';
            }
        } else {
            buf[o++] = *msg++;
        }
    }
    while (o > 0 && buf[o - 1] == ' ')
        o--;
    buf[o] = '\0';
}

static bool conn_lost(const char *state)
{
    /* 08: connection exception; 57P01-3: admin/crash shutdown, cannot
     * connect now (the server is starting or stopping). */
    return state && (!strncmp(state, "08", 2) || !strcmp(state, "57P01") ||
                     !strcmp(state, "57P02") || !strcmp(state, "57P03"));
}

/* Record the failure of what on c (r: its result, may be NULL). Returns the
 * cairn status, or RETRY for a race that a new transaction may win. */
static int pg_fail(pg *s, conn *c, const PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = PQerrorMessage(c->db);
    int st = CAIRN_EIO;
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
                  !strcmp(state, "23505")))
        return RETRY;
    if (PQstatus(c->db) == CONNECTION_BAD || conn_lost(state)) {
        st = CAIRN_ECONN;
        /* Every pooled connection was to the same server: reconnect them
         * all before their next use rather than fail once each. */
        __atomic_add_fetch(&s->epoch, 1, __ATOMIC_RELAXED);
    } else if (state && !strcmp(state, "55P03")) {
        st = CAIRN_EBUSY;
    } else if (state && !strcmp(state, "57014")) {
        st = CAIRN_EBUSY;
    } else if (state && !strncmp(state, "53100", 5)) {
        st = CAIRN_EFULL;
    } else if (state && !strcmp(state, "53200")) {
        st = CAIRN_ENOMEM;
    } else if (state && (!strcmp(state, "42P01") || !strcmp(state, "42703"))) {
        st = CAIRN_ECORRUPT; /* the table went away or is not ours */
    }
    char m[512];
    scrub(s, msg, m, sizeof m);
    if (st == CAIRN_EBUSY)
        return cairn_backend_error(st, "postgres %s: %s: %s (waited %lld ms for the lock)",
                                   s->where, what, m, (long long)s->timeout_ms);
    if (st == CAIRN_ECONN)
        return cairn_backend_error(st, "postgres %s: %s: connection lost: %s (the next "
                                       "call reconnects)",
                                   s->where, what, m);
    return cairn_backend_error(st, "postgres %s: %s: %s%s%s%s", s->where, what, m,
                               state ? " (SQLSTATE " : "", state ? state : "",
                               state ? ")" : "");
}

/* ------------------------------------------------------------------ */
/* Fork: a child never uses its parent's connections                   */
/* ------------------------------------------------------------------ */

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static cairn__hlist handles = CAIRN__HLIST_INIT;

/* Free a connection the parent process owns, in the child, without
 * touching the parent's session: PQfinish would send a Terminate message
 * on the shared socket, so the socket is first replaced by /dev/null in
 * this process's descriptor table. */
static void conn_forget(conn *c)
{
    if (!c)
        return;
    int fd = PQsocket(c->db);
    if (fd >= 0) {
        int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nul >= 0) {
            dup2(nul, fd);
            close(nul);
        }
    }
    PQfinish(c->db);
    free(c);
}

static void on_fork_prepare(void)
{
    pthread_mutex_lock(&handles.mu);
    for (cairn__hlink *k = handles.head; k; k = k->next)
        pthread_mutex_lock(&((pg *)k->owner)->pool_lock);
}

static void on_fork_parent(void)
{
    for (cairn__hlink *k = handles.head; k; k = k->next)
        pthread_mutex_unlock(&((pg *)k->owner)->pool_lock);
    pthread_mutex_unlock(&handles.mu);
}

/* One thread in the child, holding every pool lock: drop every connection
 * (including those other parent threads had checked out); the handle opens
 * fresh ones on demand. */
static void on_fork_child(void)
{
    for (cairn__hlink *k = handles.head; k; k = k->next) {
        pg *h = k->owner;
        for (int i = 0; i < POOL_MAX; i++) {
            conn_forget(h->all[i]);
            h->all[i] = NULL;
        }
        memset(h->opening, 0, sizeof h->opening);
        h->free_list = NULL;
        h->nconn = 0;
        pthread_cond_init(&h->pool_cv, NULL);
    }
    on_fork_parent();
}

static void register_fork_handler(void)
{
    pthread_atfork(on_fork_prepare, on_fork_parent, on_fork_child);
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

static void no_notices(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* A statement without data (session settings, DDL, transaction control). */
static int exec_plain(pg *s, conn *c, const char *sql, const char *what)
{
    PGresult *r = PQexec(c->db, sql);
    int rc = CAIRN_OK;
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = pg_fail(s, c, r, what);
    PQclear(r);
    return rc;
}

static int prepare_all(pg *s, conn *c)
{
    for (int i = 0; i < ST_COUNT; i++) {
        char sql[400], name[8];
        snprintf(name, sizeof name, "c%d", i);
        switch (i) {
        case ST_GET:
            snprintf(sql, sizeof sql,
                     "SELECT v FROM \"%s\" WHERE k = $1::bytea"
                     " AND (exp = 0 OR exp > $2::int8)",
                     s->table);
            break;
        case ST_LOCK:
            snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock($1::int8)");
            break;
        case ST_READ:
            snprintf(sql, sizeof sql, "SELECT v FROM \"%s\" WHERE k = $1::bytea FOR UPDATE",
                     s->table);
            break;
        case ST_PUT:
            snprintf(sql, sizeof sql,
                     "INSERT INTO \"%s\" (k, exp, v) VALUES ($1::bytea, $2::int8, $3::bytea)"
                     " ON CONFLICT (k) DO UPDATE SET exp = EXCLUDED.exp, v = EXCLUDED.v",
                     s->table);
            break;
        case ST_DEL:
            snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE k = $1::bytea", s->table);
            break;
        case ST_BEGIN:
            snprintf(sql, sizeof sql, "BEGIN");
            break;
        case ST_COMMIT:
            snprintf(sql, sizeof sql, "COMMIT");
            break;
        case ST_ROLLBACK:
            snprintf(sql, sizeof sql, "ROLLBACK");
            break;
        case ST_PURGE:
            snprintf(sql, sizeof sql,
                     "DELETE FROM \"%s\" WHERE exp > 0 AND exp <= $1::int8", s->table);
            break;
        default: {
            int v = i - ST_SCAN;
            /* Without the value, only a record's head: with pglz or
             * external storage PostgreSQL then reads only the first chunks. */
            char col[64];
            if (v & 4)
                snprintf(col, sizeof col, "v");
            else
                snprintf(col, sizeof col, "substring(v from 1 for %d)",
                         CAIRN_RECORD_HEAD_MAX);
            snprintf(sql, sizeof sql,
                     "SELECT k, %s FROM \"%s\" WHERE k %s $1::bytea%s ORDER BY k LIMIT %d",
                     col, s->table, (v & 1) ? ">" : ">=", (v & 2) ? " AND k < $2::bytea" : "",
                     (v & 4) ? PAGE_VALUES : PAGE_HEADS);
        }
        }
        PGresult *r = PQprepare(c->db, name, sql, 0, NULL);
        int rc = CAIRN_OK;
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = pg_fail(s, c, r, "prepare");
        PQclear(r);
        if (rc == CAIRN_ECORRUPT) {
            char why[600]; /* the message is rewritten from itself: copy it */
            snprintf(why, sizeof why, "%s", cairn_errmsg());
            return cairn_backend_error(CAIRN_ECORRUPT,
                                       "postgres %s: table is not a cairn store (%s)",
                                       s->where, why);
        }
        if (rc)
            return rc == RETRY ? CAIRN_EIO : rc;
    }
    return CAIRN_OK;
}

static void conn_free(conn *c)
{
    if (!c)
        return;
    PQfinish(c->db);
    free(c);
}

static int table_setup(pg *s, conn *c, bool must_exist);

/* Connect, set the session up, (first: check or create the table,) prepare
 * the statements. */
static int conn_connect(pg *s, conn *c, bool first, bool must_exist)
{
    c->epoch = __atomic_load_n(&s->epoch, __ATOMIC_RELAXED);
    c->db = PQconnectdbParams(s->kw, (const char *const *)s->val, 0);
    if (!c->db)
        return cairn_backend_error(CAIRN_ENOMEM, "postgres %s: out of memory", s->where);
    if (PQstatus(c->db) != CONNECTION_OK) {
        char m[512];
        scrub(s, PQerrorMessage(c->db), m, sizeof m);
        return cairn_backend_error(CAIRN_ECONN, "postgres %s: cannot connect: %s",
                                   s->where, m);
    }
    PQsetNoticeReceiver(c->db, NULL, NULL);
    PQsetNoticeProcessor(c->db, no_notices, NULL);
    char set[160];
    snprintf(set, sizeof set,
             "SET synchronous_commit = %s; SET lock_timeout = %lld;"
             " SET idle_in_transaction_session_timeout = 0",
             s->sync_off ? "off" : "on", (long long)s->timeout_ms);
    int rc = exec_plain(s, c, set, "session setup");
    if (rc == CAIRN_OK && first)
        rc = table_setup(s, c, must_exist);
    if (rc == CAIRN_OK)
        rc = prepare_all(s, c);
    return rc;
}

static int conn_open(pg *s, bool first, bool must_exist, conn **out)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return cairn_backend_error(CAIRN_ENOMEM, "postgres %s: out of memory", s->where);
    int rc = conn_connect(s, c, first, must_exist);
    if (rc) {
        conn_free(c);
        return rc;
    }
    *out = c;
    return CAIRN_OK;
}

/* Take a connection for this thread, opening one if the pool is not full;
 * one found dead (or older than the last connection loss) is reconnected. */
static int acquire(pg *s, conn **out)
{
    pthread_mutex_lock(&s->pool_lock);
    while (!s->free_list && s->nconn >= POOL_MAX)
        pthread_cond_wait(&s->pool_cv, &s->pool_lock);
    conn *c = s->free_list;
    int slot = -1;
    if (c) {
        s->free_list = c->next_free;
        slot = c->slot;
    } else {
        for (int i = 0; i < POOL_MAX && slot < 0; i++)
            if (!s->all[i] && !s->opening[i])
                slot = i;
        s->opening[slot] = true; /* nconn < POOL_MAX: there is one */
        s->nconn++;
    }
    pthread_mutex_unlock(&s->pool_lock);
    if (c && !c->broken && c->epoch == __atomic_load_n(&s->epoch, __ATOMIC_RELAXED) &&
        PQstatus(c->db) == CONNECTION_OK) {
        *out = c;
        return CAIRN_OK;
    }
    /* (Re)connect outside the lock: it talks to the server. */
    int rc;
    if (c) {
        pthread_mutex_lock(&s->pool_lock);
        s->all[slot] = NULL; /* a fork meanwhile must not see it half done */
        s->opening[slot] = true;
        pthread_mutex_unlock(&s->pool_lock);
        PQfinish(c->db);
        c->db = NULL;
        c->broken = false;
        rc = conn_connect(s, c, false, false);
        if (rc) {
            conn_free(c);
            c = NULL;
        }
    } else {
        rc = conn_open(s, false, false, &c);
    }
    pthread_mutex_lock(&s->pool_lock);
    s->opening[slot] = false;
    if (rc) {
        s->nconn--;
        pthread_cond_signal(&s->pool_cv);
    } else {
        c->slot = slot;
        s->all[slot] = c;
    }
    pthread_mutex_unlock(&s->pool_lock);
    if (rc == CAIRN_OK)
        *out = c;
    return rc;
}

static void release(pg *s, conn *c)
{
    pthread_mutex_lock(&s->pool_lock);
    c->next_free = s->free_list;
    s->free_list = c;
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->pool_lock);
}

/* ------------------------------------------------------------------ */
/* URL                                                                 */
/* ------------------------------------------------------------------ */

static bool table_name_ok(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > TABLE_MAX || (t[0] >= '0' && t[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

/* Add keyword kw = v (owned from now on, freed on failure too) to the
 * conninfo. */
static int add_param(pg *s, const char *kw, char *v)
{
    if (s->nkw >= MAX_PARAMS) {
        free(v);
        return cairn_backend_error(CAIRN_EURL, "postgres: too many URL parameters (%d "
                                               "at most)",
                                   MAX_PARAMS);
    }
    s->kw[s->nkw] = kw;
    s->val[s->nkw++] = v;
    return CAIRN_OK;
}

/* Add a copy of v (NULL: out of memory was met). */
static int add_copy(pg *s, const char *kw, const char *v)
{
    char *c = v ? strdup(v) : NULL;
    if (!c)
        return cairn_backend_error(CAIRN_ENOMEM, "postgres: out of memory");
    return add_param(s, kw, c);
}

/* Keep a copy of the password libpq will use (the last one given), to
 * scrub messages of it. */
static int keep_password(pg *s, const char *pw)
{
    free(s->password);
    if (!(s->password = strdup(pw)))
        return cairn_backend_error(CAIRN_ENOMEM, "postgres: out of memory");
    return CAIRN_OK;
}

/* The query parameters libpq takes (a URL's ?name=value); anything else is
 * refused here with a clear message. "table" is ours. */
static const char *const libpq_params[] = {
    "connect_timeout", "sslmode",    "sslcert",  "sslkey",       "sslrootcert",
    "application_name", "options",   "keepalives", "keepalives_idle",
    "target_session_attrs", "passfile", "sslcrl", "gssencmode", "service",
    "tcp_user_timeout", "channel_binding", "hostaddr", "password", "user", "host",
    "port", "dbname", NULL};

static int parse_query(pg *s, const cairn__url *u, bool *have_timeout)
{
    cairn__url_param q;
    int rc;
    for (size_t pos = 0; (rc = cairn__url_param_next(u, &pos, &q)) == 1;) {
        char *v = NULL;
        if (cairn__url_param_is(&q, "table")) {
            if ((rc = cairn__url_param_value(u, &q, &v)))
                return rc;
            bool ok = table_name_ok(v);
            if (ok)
                strcpy(s->table, v);
            free(v);
            if (!ok)
                return cairn_backend_error(CAIRN_EURL,
                                           "postgres: table name '%.*s' is not an "
                                           "identifier (1..%d of A-Z a-z 0-9 _, not "
                                           "starting with a digit)",
                                           (int)(q.value_len > 80 ? 80 : q.value_len), q.value,
                                           TABLE_MAX);
            continue;
        }
        const char *kw = NULL;
        for (int i = 0; libpq_params[i] && !kw; i++)
            if (cairn__url_param_is(&q, libpq_params[i]))
                kw = libpq_params[i];
        if (!kw)
            return cairn_backend_error(CAIRN_EURL,
                                       "postgres: unknown URL parameter '%.*s' (known: "
                                       "table, connect_timeout, sslmode, "
                                       "application_name, ...)",
                                       (int)(q.name_len > 64 ? 64 : q.name_len), q.name);
        if (!strcmp(kw, "connect_timeout"))
            *have_timeout = true;
        if ((rc = cairn__url_param_value(u, &q, &v)) || (rc = add_param(s, kw, v)))
            return rc;
        if (!strcmp(kw, "password") && (rc = keep_password(s, v)))
            return rc;
    }
    return rc;
}

/* location: //[user[:password]@]host[:port][/db][?name=value&...], read by
 * the one URL parser (src/store/url.c); here the conninfo keywords libpq
 * gets from its parts. */
static int parse_url(pg *s, const char *loc)
{
    if (strncmp(loc, "//", 2) != 0)
        return cairn_backend_error(CAIRN_EURL,
                                   "postgres: expected "
                                   "postgres://[user[:password]@]host[:port]/db[?table=name]");
    cairn__url u;
    int rc = cairn__url_parse("postgres", loc, &u);
    if (rc) {
        /* kept on failure too (NULL when out of memory): the fuzz hook
         * checks that no message shows it */
        if (u.password)
            s->password = strdup(u.password);
        cairn__url_free(&u);
        return rc;
    }
    char port[8] = "";
    if (u.port)
        snprintf(port, sizeof port, "%d", u.port);
    if (u.fragment) {
        /* libpq has no fragments: a '#' there is a typo or a raw '#' in a
         * value, which would otherwise be cut off silently */
        rc = cairn_backend_error(CAIRN_EURL, "postgres: '#' in the URL (percent-encode it as "
                                             "%%23 in a password or a value)");
        goto out;
    }
    if (u.user && *u.user && (rc = add_copy(s, "user", u.user)))
        goto out;
    if (u.password &&
        ((rc = add_copy(s, "password", u.password)) || (rc = keep_password(s, u.password))))
        goto out;
    if ((*u.host && (rc = add_copy(s, "host", u.host))) ||
        (u.port && (rc = add_copy(s, "port", port))) ||
        (u.path && *u.path && (rc = add_copy(s, "dbname", u.path))))
        goto out;
    bool have_timeout = false;
    if ((rc = parse_query(s, &u, &have_timeout)))
        goto out;
    if ((!have_timeout && (rc = add_copy(s, "connect_timeout", DEFAULT_CONNECT_TIMEOUT))) ||
        (rc = add_copy(s, "application_name", "cairn")))
        goto out;
    /* The name messages use: never the password. */
    char where[640];
    snprintf(where, sizeof where, "%.64s%s%s%.128s%s%s%s/%.64s table \"%s\"",
             u.user ? u.user : "", u.user && *u.user ? "@" : "", u.ipv6 ? "[" : "",
             *u.host ? u.host : "(default host)", u.ipv6 ? "]" : "", u.port ? ":" : "", port,
             u.path ? u.path : "", s->table);
    if (!(s->where = strdup(where))) {
        rc = cairn_backend_error(CAIRN_ENOMEM, "postgres: out of memory");
        goto out;
    }
    /* libpq does not echo $PGPASSWORD, but scrub messages of it too. */
    const char *env = getenv("PGPASSWORD");
    if (!s->password && env && *env && (rc = keep_password(s, env)))
        goto out;
out:
    cairn__url_free(&u);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Open / close                                                        */
/* ------------------------------------------------------------------ */

static void pg_free(pg *s);

/* A handle with the defaults, before its URL is parsed; NULL when out of
 * memory (the message is set). */
static pg *pg_new(void)
{
    pg *s = calloc(1, sizeof *s);
    if (!s) {
        cairn_backend_error(CAIRN_ENOMEM, "postgres: out of memory");
        return NULL;
    }
    strcpy(s->table, DEFAULT_TABLE);
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    return s;
}

int cairn__postgres_parse_location(const char *location, char **password, char *where,
                                   size_t wheresz)
{
    *password = NULL;
    if (wheresz)
        where[0] = '\0';
    pg *s = pg_new();
    if (!s)
        return CAIRN_ENOMEM;
    int rc = parse_url(s, location);
    if (s->password && !(*password = strdup(s->password)) && !rc)
        rc = cairn_backend_error(CAIRN_ENOMEM, "postgres: out of memory");
    if (!rc && wheresz)
        snprintf(where, wheresz, "%s", s->where);
    pg_free(s);
    return rc;
}

static void pg_free(pg *s)
{
    for (int i = 0; i < POOL_MAX; i++)
        conn_free(s->all[i]);
    for (int i = 0; i < s->nkw; i++)
        free(s->val[i]);
    free(s->password);
    free(s->where);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_cond_destroy(&s->pool_cv);
    free(s);
}

/* Does the table exist? *yes receives the answer. */
static int table_exists(pg *s, conn *c, bool *yes)
{
    char quoted[TABLE_MAX + 3];
    snprintf(quoted, sizeof quoted, "\"%s\"", s->table);
    const char *vals[1] = {quoted};
    PGresult *r = PQexecParams(c->db, "SELECT to_regclass($1::text) IS NOT NULL", 1, NULL,
                               vals, NULL, NULL, 0);
    int rc = CAIRN_OK;
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        rc = pg_fail(s, c, r, "look the table up");
    else
        *yes = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return rc == RETRY ? CAIRN_EIO : rc;
}

/* Create the table unless it exists. Processes may race to create it:
 * CREATE TABLE IF NOT EXISTS can still fail on the catalog's unique indexes
 * then (the table's name, or its row type's: SQLSTATE 42710), which means
 * the other one won; the statement is run again and finds it. */
static int table_setup(pg *s, conn *c, bool must_exist)
{
    bool yes = false;
    int rc = table_exists(s, c, &yes);
    if (rc || yes)
        return rc;
    if (must_exist)
        return cairn_backend_error(CAIRN_ENOTFOUND, "postgres %s: no store (the table "
                                                    "does not exist)",
                                   s->where);
    /* The expiry index is partial: only records that can expire. */
    char sql[2][300];
    snprintf(sql[0], sizeof sql[0],
             "CREATE TABLE IF NOT EXISTS \"%s\" (k bytea PRIMARY KEY,"
             " exp bigint NOT NULL DEFAULT 0, v bytea NOT NULL)",
             s->table);
    snprintf(sql[1], sizeof sql[1],
             "CREATE INDEX IF NOT EXISTS \"%s_exp\" ON \"%s\" (exp) WHERE exp > 0",
             s->table, s->table);
    for (int i = 0; i < 2; i++) {
        for (int attempt = 0;; attempt++) {
            PGresult *r = PQexec(c->db, sql[i]);
            rc = CAIRN_OK;
            if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
                const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
                /* unique_violation in the catalog, duplicate_table, and
                 * duplicate_object (the table's row type, pg_type) */
                bool race = state && (!strcmp(state, "23505") || !strcmp(state, "42P07") ||
                                      !strcmp(state, "42710"));
                rc = race && attempt < 3 ? RETRY
                                         : pg_fail(s, c, r, i ? "create the expiry index"
                                                              : "create the table");
            }
            PQclear(r);
            if (rc != RETRY)
                break;
        }
        if (rc)
            return rc;
    }
    return CAIRN_OK;
}

static int pg_open(const char *location, const struct cairn_options *opt, void **self)
{
    if (!location || !*location)
        return cairn_backend_error(CAIRN_EURL, "postgres: needs a URL "
                                               "(postgres://[user[:password]@]host[:port]/"
                                               "db[?table=name])");
    if (!PQisthreadsafe())
        return cairn_backend_error(CAIRN_EUNSUPPORTED,
                                   "postgres: libpq was built without thread safety");
    pthread_once(&fork_once, register_fork_handler);
    pg *s = pg_new();
    if (!s)
        return CAIRN_ENOMEM;
    s->timeout_ms = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000;
    s->sync_off = opt->durability == CAIRN_DURABILITY_NONE;
    int rc = parse_url(s, location);
    conn *c = NULL;
    if (rc == CAIRN_OK)
        rc = conn_open(s, true, opt->must_exist != 0, &c);
    if (rc) {
        pg_free(s);
        return rc;
    }
    c->slot = 0;
    s->all[0] = c;
    s->nconn = 1;
    s->free_list = c;
    cairn__hlist_add(&handles, &s->link, s);
    *self = s;
    return CAIRN_OK;
}

static void pg_close(void *self)
{
    pg *s = self;
    cairn__hlist_del(&handles, &s->link);
    pg_free(s);
}

/* ------------------------------------------------------------------ */
/* The vtable                                                          */
/* ------------------------------------------------------------------ */

/* An int8 parameter in binary format: 8 bytes, big-endian. */
static void put_be64(char out[8], int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        out[i] = (char)(u & 0xff);
        u >>= 8;
    }
}

/* Run prepared statement st with binary parameters and binary results. */
static PGresult *run(conn *c, int st, int n, const char *const *vals, const int *lens)
{
    static const int formats[4] = {1, 1, 1, 1};
    char name[8];
    snprintf(name, sizeof name, "c%d", st);
    return PQexecPrepared(c->db, name, n, vals, lens, formats, 1);
}

static int check_len(pg *s, size_t len, const char *what)
{
    if (len > (size_t)0x3fffffff) /* bytea's limit: 1 GiB - 1 */
        return cairn_backend_error(CAIRN_EINVAL,
                                   "postgres %s: %s of %zu bytes is over PostgreSQL's "
                                   "limit of 1 GiB per value",
                                   s->where, what, len);
    return CAIRN_OK;
}

static int pg_get(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                  void *ctx)
{
    pg *s = self;
    conn *c;
    int rc = acquire(s, &c);
    if (rc)
        return rc;
    char now[8];
    put_be64(now, cairn_now_ms());
    const char *vals[2] = {key, now};
    int lens[2] = {(int)klen, 8};
    PGresult *r = run(c, ST_GET, 2, vals, lens);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = pg_fail(s, c, r, "read");
        if (rc == RETRY)
            rc = CAIRN_EIO;
    } else if (PQntuples(r) == 0) {
        rc = CAIRN_ENOTFOUND;
    } else {
        rc = fn(ctx, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    }
    PQclear(r);
    release(s, c);
    return rc;
}

/* The advisory lock of a key: a hash of the table and the key, so stores
 * (tables) in one database do not contend. */
static int64_t lock_id(const pg *s, const char *key, size_t klen)
{
    char buf[TABLE_MAX + 2 + CAIRN_KEY_MAX];
    size_t tl = strlen(s->table);
    memcpy(buf, s->table, tl + 1); /* with its NUL: "ab"+"c" != "a"+"bc" */
    memcpy(buf + tl + 1, key, klen);
    return (int64_t)cairn__hash(buf, tl + 1 + klen);
}

/* update() runs in libpq's pipeline mode: the statements of one op go to
 * the server together and are answered together, so a put costs two round
 * trips (BEGIN + lock + read; write + COMMIT) rather than five. */

/* Queue prepared statement st (binary parameters and results). */
static int pipe_send(pg *s, conn *c, int st, int n, const char *const *vals,
                     const int *lens)
{
    static const int formats[4] = {1, 1, 1, 1};
    char name[8];
    snprintf(name, sizeof name, "c%d", st);
    if (!PQsendQueryPrepared(c->db, name, n, vals, lens, formats, 1))
        return pg_fail(s, c, NULL, "send");
    return CAIRN_OK;
}

/* Send the queue with a sync point and read the answers of its nq
 * statements. The first failure is recorded (unless quiet) and returned;
 * with keep, *keep receives the last statement's result when every one
 * succeeded (the caller frees it). */
static int pipe_sync(pg *s, conn *c, int nq, PGresult **keep, bool quiet)
{
    if (keep)
        *keep = NULL;
    if (!PQpipelineSync(c->db))
        return quiet ? CAIRN_ECONN : pg_fail(s, c, NULL, "send");
    int rc = CAIRN_OK;
    for (int q = 0; q < nq; q++) {
        PGresult *r = PQgetResult(c->db);
        if (!r) {
            c->broken = true;
            return rc ? rc : quiet ? CAIRN_EIO : pg_fail(s, c, NULL, "read a result");
        }
        ExecStatusType st = PQresultStatus(r);
        if (rc == CAIRN_OK && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            rc = quiet ? CAIRN_EIO : pg_fail(s, c, r, "update");
        if (q == nq - 1 && keep && rc == CAIRN_OK)
            *keep = r;
        else
            PQclear(r);
        if (PQstatus(c->db) == CONNECTION_BAD) {
            if (keep && *keep) {
                PQclear(*keep);
                *keep = NULL;
            }
            return rc ? rc : quiet ? CAIRN_ECONN : pg_fail(s, c, NULL, "update");
        }
        PGresult *end = PQgetResult(c->db); /* NULL: the end of this statement's */
        if (end) {
            PQclear(end);
            c->broken = true;
        }
    }
    PGresult *r = PQgetResult(c->db);
    if (!r || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
        c->broken = true;
        if (rc == CAIRN_OK)
            rc = quiet ? CAIRN_EIO : pg_fail(s, c, r, "sync");
    }
    PQclear(r);
    if (rc && keep && *keep) {
        PQclear(*keep);
        *keep = NULL;
    }
    return rc;
}

/* One attempt at the whole update: BEGIN, then for each op its lock and
 * read (sent with the previous op's write), the callback, and its write;
 * COMMIT goes with the last write. Leaves a failed transaction open for
 * the caller to roll back. */
static int run_update(pg *s, conn *c, const cairn_backend_op *ops, size_t n)
{
    int rc = pipe_send(s, c, ST_BEGIN, 0, NULL, NULL);
    int queued = 1;
    for (size_t i = 0; i < n && rc == CAIRN_OK; i++) {
        const cairn_backend_op *op = &ops[i];
        char id[8];
        put_be64(id, lock_id(s, op->key, op->klen));
        const char *lv[1] = {id};
        int ll[1] = {8};
        const char *kv[1] = {op->key};
        int kl[1] = {(int)op->klen};
        if ((rc = pipe_send(s, c, ST_LOCK, 1, lv, ll)) ||
            (rc = pipe_send(s, c, ST_READ, 1, kv, kl)))
            break;
        PGresult *r;
        rc = pipe_sync(s, c, queued + 2, &r, false);
        queued = 0;
        if (rc)
            break;
        bool had = PQntuples(r) > 0;
        const void *rec = had ? PQgetvalue(r, 0, 0) : NULL;
        size_t len = had ? (size_t)PQgetlength(r, 0, 0) : 0;
        const void *out = NULL;
        size_t olen = 0;
        int action = op->fn(op->ctx, rec, len, &out, &olen);
        PQclear(r); /* rec was borrowed from r for the callback */
        if (action < 0) {
            rc = action;
            break;
        }
        if (action == CAIRN_BACKEND_WRITE) {
            if ((rc = check_len(s, olen, "record")))
                break;
            /* exp from the header, so that reads can filter in the
             * server; a record that does not decode (raw writes) never
             * expires here. */
            cairn__rec hr;
            int64_t exp = 0;
            if (cairn__rec_decode(out, olen, false, &hr) == CAIRN_OK)
                exp = hr.meta.expires_ms;
            cairn__err_clear();
            char e[8];
            put_be64(e, exp);
            /* libpq copies the parameters into its buffer at once */
            const char *pv[3] = {op->key, e, olen ? out : ""};
            int pl[3] = {(int)op->klen, 8, (int)olen};
            rc = pipe_send(s, c, ST_PUT, 3, pv, pl);
            queued++;
        } else if (action == CAIRN_BACKEND_DELETE) {
            if (had) {
                rc = pipe_send(s, c, ST_DEL, 1, kv, kl);
                queued++;
            }
        } else if (action != CAIRN_BACKEND_KEEP) {
            rc = cairn_backend_error(CAIRN_EINVAL, "postgres %s: update callback answered %d",
                                     s->where, action);
        }
    }
    if (rc == CAIRN_OK && (rc = pipe_send(s, c, ST_COMMIT, 0, NULL, NULL)) == CAIRN_OK)
        rc = pipe_sync(s, c, queued + 1, NULL, false);
    else if (rc != CAIRN_OK && queued > 0 && PQstatus(c->db) == CONNECTION_OK)
        pipe_sync(s, c, queued, NULL, true); /* answers of what was queued */
    return rc;
}

/* Nap before retrying a lost race: random, growing with the attempt, so
 * that two transactions that deadlocked do not meet again in step. */
static void backoff(int attempt, uint64_t *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    long cap_us = attempt < 6 ? 200L << attempt : 10000;
    struct timespec ts = {0, (long)((*rng >> 33) % (uint64_t)cap_us) * 1000};
    nanosleep(&ts, NULL);
}

static int pg_update(void *self, const cairn_backend_op *ops, size_t n)
{
    pg *s = self;
    conn *c;
    if (n == 0)
        return CAIRN_OK;
    int rc = acquire(s, &c);
    if (rc)
        return rc;
    if (!PQenterPipelineMode(c->db)) {
        rc = pg_fail(s, c, NULL, "enter pipeline mode");
        c->broken = true;
        release(s, c);
        return rc;
    }
    uint64_t rng = (uint64_t)(uintptr_t)&c ^ (uint64_t)cairn_now_ms();
    for (int attempt = 0;; attempt++) {
        rc = run_update(s, c, ops, n);
        /* Roll back whatever is still open, keeping the first error's
         * message (a callback's, or the server's). */
        if (rc != CAIRN_OK && PQstatus(c->db) == CONNECTION_OK && !c->broken &&
            PQtransactionStatus(c->db) != PQTRANS_IDLE &&
            (pipe_send(s, c, ST_ROLLBACK, 0, NULL, NULL) != CAIRN_OK ||
             pipe_sync(s, c, 1, NULL, true) != CAIRN_OK))
            c->broken = true;
        if (rc != RETRY || c->broken)
            break;
        if (attempt == RETRIES) {
            rc = cairn_backend_error(CAIRN_EBUSY,
                                     "postgres %s: update lost %d races in a row to other "
                                     "writers; gave up",
                                     s->where, RETRIES);
            break;
        }
        backoff(attempt, &rng);
    }
    if (rc == RETRY) /* the connection broke between attempts */
        rc = cairn_backend_error(CAIRN_ECONN, "postgres %s: connection unusable", s->where);
    if (PQstatus(c->db) == CONNECTION_OK && !PQexitPipelineMode(c->db))
        c->broken = true;
    release(s, c);
    return rc;
}

static int pg_scan(void *self, const char *lo, size_t lolen, int lo_excl, const char *hi,
                   size_t hilen, int want_value, cairn_backend_scan_fn fn, void *ctx)
{
    pg *s = self;
    conn *c;
    int rc = acquire(s, &c);
    if (rc)
        return rc;
    /* Page by key: each page starts after the last key of the previous
     * one, so no key is yielded twice or out of order, and no transaction
     * stays open while the caller works. */
    char from[CAIRN_KEY_MAX + 1], key[CAIRN_KEY_MAX + 1];
    size_t fromlen = 0;
    bool excl = false;
    if (lo) {
        if (lolen > CAIRN_KEY_MAX)
            lolen = CAIRN_KEY_MAX; /* bounds are keys; never longer */
        memcpy(from, lo, lolen);
        fromlen = lolen;
        excl = lo_excl != 0;
    }
    int page = want_value ? PAGE_VALUES : PAGE_HEADS;
    bool done = false;
    while (!done && rc == CAIRN_OK) {
        int v = (excl ? 1 : 0) | (hi ? 2 : 0) | (want_value ? 4 : 0);
        const char *vals[2] = {fromlen ? from : "", hi ? hi : ""};
        int lens[2] = {(int)fromlen, (int)hilen};
        PGresult *r = run(c, ST_SCAN + v, hi ? 2 : 1, vals, lens);
        if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = pg_fail(s, c, r, "scan");
            if (rc == RETRY)
                rc = CAIRN_EIO;
            PQclear(r);
            break;
        }
        int rows = PQntuples(r);
        done = rows < page;
        for (int i = 0; i < rows; i++) {
            size_t kl = (size_t)PQgetlength(r, i, 0);
            if (kl == 0 || kl > CAIRN_KEY_MAX) {
                rc = cairn_backend_error(CAIRN_ECORRUPT,
                                         "postgres %s: a stored key is %zu bytes (1..%d "
                                         "allowed)",
                                         s->where, kl, CAIRN_KEY_MAX);
                break;
            }
            memcpy(key, PQgetvalue(r, i, 0), kl); /* callbacks get NUL-terminated keys */
            key[kl] = '\0';
            int a = fn(ctx, key, kl, PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
            if (a < 0)
                rc = a;
            if (a) {
                done = true;
                break;
            }
            memcpy(from, key, kl);
            fromlen = kl;
            excl = true;
        }
        PQclear(r);
    }
    release(s, c);
    return rc;
}

/* One DELETE on the partial expiry index. Rows locked by an update wait
 * for it and are judged by the expiry they are left with. */
static int pg_purge(void *self, int64_t now, uint64_t *n)
{
    pg *s = self;
    conn *c;
    int rc = acquire(s, &c);
    if (rc)
        return rc;
    char t[8];
    put_be64(t, now);
    const char *vals[1] = {t};
    int lens[1] = {8};
    PGresult *r = run(c, ST_PURGE, 1, vals, lens);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = pg_fail(s, c, r, "purge");
        if (rc == RETRY)
            rc = CAIRN_EIO;
    } else {
        *n = strtoull(PQcmdTuples(r), NULL, 10);
    }
    PQclear(r);
    release(s, c);
    return rc;
}

const cairn_backend_methods cairn__backend_postgres = {
    .version = CAIRN_BACKEND_VERSION,
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .get = pg_get,
    .update = pg_update,
    .scan = pg_scan,
    .purge_expired = pg_purge,
};
