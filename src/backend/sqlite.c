/*
 * sqlite.c — the sqlite:PATH backend: one SQLite database file in WAL mode,
 * shared by threads through a small connection pool and by processes through
 * SQLite's own locking (BEGIN IMMEDIATE + a busy handler).
 *
 * Layout: cairn_records(k BLOB PRIMARY KEY, h BLOB NOT NULL, t BLOB) holds a
 * record split in two, h its first SPLIT bytes and t the rest (NULL when the
 * record fits in h). Listing only needs a record's header, and SQLite reads a
 * column without reading the columns after it, so a scan that selects h
 * never touches the overflow pages of a 10 MiB value. Keys are BLOBs, so
 * SQLite orders them with memcmp, as the vtable wants; prefix and range use
 * k >= ? AND k < ? on the primary-key index. A rowid table (rather than
 * WITHOUT ROWID) because rows of a few KiB overflow the small cells of a
 * WITHOUT ROWID b-tree: measured here, it stored 100k 1 KiB records in 3x
 * less space with 2-3x faster puts and gets.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep, strdup */

#include "backend/backends.h"
#include "base/buf.h"
#include "base/hlist.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SCHEMA_VERSION 1
/* PRAGMA application_id: "crn1", so `file` and other tools can tell. */
#define APP_ID 0x63726e31
/* Records up to SPLIT bytes live whole in h (read without a copy); a longer
 * one is split. At least CAIRN_RECORD_HEAD_MAX, and small enough that h and a
 * key fit in the local part of a 4 KiB page. */
#define SPLIT 3000
/* Connections per handle: readers run in parallel on their own connection
 * (WAL lets them), writers queue on a mutex before taking one. */
#define POOL_MAX 8
/* 10 ms naps an open waits for an empty store file to get its header. */
#define EMPTY_NAPS 50
/* A join buffer bigger than this is freed after use, not kept. */
#define KEEP_BUF_MAX (1u << 20)

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_GET,
    ST_PUT,
    ST_DEL,
    /* ST_SCAN + (lo_excl ? 1 : 0) + (hi ? 2 : 0) + (want_value ? 4 : 0) */
    ST_SCAN,
    ST_COUNT = ST_SCAN + 8
};

static const char *const stmt_sql[ST_SCAN] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_GET] = "SELECT h, t FROM cairn_records WHERE k = ?1",
    [ST_PUT] = "INSERT OR REPLACE INTO cairn_records(k, h, t) VALUES (?1, ?2, ?3)",
    [ST_DEL] = "DELETE FROM cairn_records WHERE k = ?1",
};

typedef struct sq sq;

typedef struct conn {
    sq *owner;
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    struct timespec busy_start; /* of the current wait for a lock */
    char *buf;                  /* joins h and t of a split record */
    size_t cap;
    struct conn *next_free;
} conn;

struct sq {
    char *path;
    int sync;           /* PRAGMA synchronous value */
    int64_t timeout_ms; /* busy timeout */
    unsigned gen;       /* fork generation the connections belong to */
    pthread_mutex_t write_lock;
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cv;
    conn *free_list; /* LIFO: one thread keeps reusing one warm connection */
    int nconn;       /* connections opened or being opened */
    conn *all[POOL_MAX];
    cairn__hlink link; /* in handles: every open handle of the process (fork) */
    bool must_exist;   /* open only a store that is there (cairn_options) */
};

/* ------------------------------------------------------------------ */
/* Fork: SQLite connections must never be used in a child process      */
/* ------------------------------------------------------------------ */

static unsigned fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* No connection may be open across fork(), not even in the parent: the
 * child inherits SQLite's per-process lock bookkeeping, and then a child's
 * own connection and the parent fail to exclude each other (seen: both got
 * the write lock at once; conformance busy_timeout). So before a fork every
 * handle waits until its connections are idle and closes them, holding its
 * pool lock until the fork is done; they reopen on demand. */
static cairn__hlist handles = CAIRN__HLIST_INIT;

static void conn_free(conn *c);

static void on_fork_prepare(void)
{
    pthread_mutex_lock(&handles.mu);
    for (cairn__hlink *k = handles.head; k; k = k->next) {
        sq *h = k->owner;
        pthread_mutex_lock(&h->pool_lock);
        for (;;) {
            int idle = 0;
            for (conn *c = h->free_list; c; c = c->next_free)
                idle++;
            if (idle == h->nconn)
                break;
            pthread_cond_wait(&h->pool_cv, &h->pool_lock);
        }
        for (int i = 0; i < POOL_MAX; i++) {
            conn_free(h->all[i]);
            h->all[i] = NULL;
        }
        h->free_list = NULL;
        h->nconn = 0;
    }
}

static void on_fork_parent(void)
{
    for (cairn__hlink *k = handles.head; k; k = k->next)
        pthread_mutex_unlock(&((sq *)k->owner)->pool_lock);
    pthread_mutex_unlock(&handles.mu);
}

static void on_fork_child(void)
{
    on_fork_parent();
    __atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void register_fork_handler(void)
{
    pthread_atfork(on_fork_prepare, on_fork_parent, on_fork_child);
}

/* A handle opened before fork() and used in the child: forget the parent's
 * connections (closing them could checkpoint or unlink the WAL under the
 * parent, so they are left alone) and open fresh ones on demand. Locks held
 * by other parent threads at fork time do not exist in the child, hence the
 * re-initialisation. Runs before the child starts threads of its own. */
static void check_fork(sq *s)
{
    unsigned g = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
    if (__builtin_expect(s->gen == g, 1))
        return;
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    s->free_list = NULL;
    s->nconn = 0;
    memset(s->all, 0, sizeof s->all);
    s->gen = g;
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static int sq_status(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return CAIRN_EBUSY;
    case SQLITE_FULL:
        return CAIRN_EFULL;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return CAIRN_ECORRUPT;
    case SQLITE_NOMEM:
        return CAIRN_ENOMEM;
    case SQLITE_TOOBIG:
        return CAIRN_EINVAL;
    default:
        return CAIRN_EIO;
    }
}

/* Record an SQLite failure of what (rc from the failing call). */
static int sq_fail(const sq *s, sqlite3 *db, int rc, const char *what)
{
    int st = sq_status(rc);
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (st == CAIRN_EBUSY)
        return cairn_backend_error(st, "sqlite %s: %s: %s (waited %lld ms for the lock)",
                                   s->path, what, msg, (long long)s->timeout_ms);
    if ((rc & 0xff) == SQLITE_CANTOPEN)
        return cairn_backend_error(st, "sqlite %s: %s: %s (does its directory exist and "
                                       "allow writing?)",
                                   s->path, what, msg);
    if ((rc & 0xff) == SQLITE_NOTADB)
        return cairn_backend_error(st, "sqlite %s: %s: not an SQLite database (%s)",
                                   s->path, what, msg);
    return cairn_backend_error(st, "sqlite %s: %s: %s", s->path, what, msg);
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

/* Wait for a lock held by another connection, in short naps at first so
 * that a race of processes over one key does not stall, up to the timeout.
 * (sqlite3_busy_timeout naps 1, 2, 5, 10... 100 ms.) */
static int busy_cb(void *arg, int count)
{
    conn *c = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (count == 0)
        c->busy_start = now;
    int64_t waited_us = (int64_t)(now.tv_sec - c->busy_start.tv_sec) * 1000000 +
                        (now.tv_nsec - c->busy_start.tv_nsec) / 1000;
    int64_t left_us = c->owner->timeout_ms * 1000 - waited_us;
    if (left_us <= 0)
        return 0;
    int64_t nap = count < 7 ? (int64_t)50 << count : 5000;
    if (nap > left_us)
        nap = left_us;
    struct timespec ts = {0, (long)(nap * 1000)};
    nanosleep(&ts, NULL);
    return 1;
}

static int exec(sq *s, sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? CAIRN_OK : sq_fail(s, db, rc, sql);
}

static void conn_free(conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    free(c->buf);
    free(c);
}

static int prepare_all(sq *s, conn *c)
{
    for (int i = 0; i < ST_COUNT; i++) {
        char sql[160];
        const char *q = sql;
        if (i < ST_SCAN) {
            q = stmt_sql[i];
        } else {
            int v = i - ST_SCAN;
            snprintf(sql, sizeof sql,
                     "SELECT k, h%s FROM cairn_records WHERE k %s ?1%s ORDER BY k",
                     (v & 4) ? ", t" : "", (v & 1) ? ">" : ">=",
                     (v & 2) ? " AND k < ?2" : "");
        }
        int rc = sqlite3_prepare_v3(c->db, q, -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
                                    NULL);
        if (rc != SQLITE_OK) {
            if ((rc & 0xff) == SQLITE_ERROR) /* no such table or column */
                return cairn_backend_error(CAIRN_ECORRUPT,
                                           "sqlite %s: incompatible schema: %s", s->path,
                                           sqlite3_errmsg(c->db));
            return sq_fail(s, c->db, rc, "prepare");
        }
    }
    return CAIRN_OK;
}

/* What the database holds: whether it has cairn's table, how many tables,
 * and its application_id. Writes nothing. */
static int read_tables(sq *s, sqlite3 *db, int *have_meta, int *tables, int *app)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(
        db,
        "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        " AND name = 'cairn_meta'),"
        " (SELECT count(*) FROM sqlite_master WHERE type = 'table'),"
        " (SELECT application_id FROM pragma_application_id)",
        -1, &q, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s, db, rc, "read schema");
    rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(q);
        return sq_fail(s, db, rc, "read schema");
    }
    *have_meta = sqlite3_column_int(q, 0);
    *tables = sqlite3_column_int(q, 1);
    *app = sqlite3_column_int(q, 2);
    sqlite3_finalize(q);
    return CAIRN_OK;
}

/* Check that the database is a cairn store of our schema version, creating
 * the schema in an empty database. Runs on the first connection only. */
static int schema_setup(sq *s, sqlite3 *db)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        sqlite3_stmt *q;
        int have_meta, tables, app;
        int rc = read_tables(s, db, &have_meta, &tables, &app);
        if (rc)
            return rc;
        if (app != 0 && app != APP_ID)
            return cairn_backend_error(CAIRN_ECORRUPT,
                                       "sqlite %s: not a cairn store (application_id "
                                       "0x%08x belongs to another program)",
                                       s->path, (unsigned)app);
        if (have_meta) {
            rc = sqlite3_prepare_v2(db, "SELECT value FROM cairn_meta WHERE name = 'schema'",
                                    -1, &q, NULL);
            if (rc != SQLITE_OK)
                return cairn_backend_error(CAIRN_ECORRUPT,
                                           "sqlite %s: incompatible schema: %s", s->path,
                                           sqlite3_errmsg(db));
            rc = sqlite3_step(q);
            int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
            sqlite3_finalize(q);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return sq_fail(s, db, rc, "read schema version");
            if (v != SCHEMA_VERSION)
                return cairn_backend_error(CAIRN_ECORRUPT,
                                           "sqlite %s: cairn schema version %lld, this "
                                           "libcairn reads version %d",
                                           s->path, (long long)v, SCHEMA_VERSION);
            return CAIRN_OK;
        }
        if (tables > 0)
            return cairn_backend_error(CAIRN_ECORRUPT,
                                       "sqlite %s: an SQLite database but not a cairn store "
                                       "(it has other tables: %d)",
                                       s->path, tables);
        /* Empty: create. Another process may be doing the same; IF NOT
         * EXISTS and OR IGNORE make the loser's statements no-ops. */
        rc = exec(s, db,
                  "BEGIN IMMEDIATE;"
                  "CREATE TABLE IF NOT EXISTS cairn_meta(name TEXT PRIMARY KEY, value);"
                  "INSERT OR IGNORE INTO cairn_meta VALUES ('schema', 1);"
                  "CREATE TABLE IF NOT EXISTS cairn_records("
                  "k BLOB PRIMARY KEY, h BLOB NOT NULL, t BLOB);"
                  "PRAGMA application_id = 1668443697;" /* APP_ID */
                  "COMMIT;");
        if (rc) {
            if (!sqlite3_get_autocommit(db))
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    return cairn_backend_error(CAIRN_ECORRUPT, "sqlite %s: schema not created", s->path);
}

/* must_exist: does the file hold a cairn store? Asked before anything that
 * writes (the WAL switch, the schema), so that opening a file that holds
 * none (an empty file, an empty database) changes nothing in it. */
static int probe_store(sq *s, sqlite3 *db)
{
    int have_meta, tables, app;
    int rc = read_tables(s, db, &have_meta, &tables, &app);
    if (rc)
        return rc;
    if (have_meta)
        return CAIRN_OK;
    if (tables == 0)
        return cairn_backend_error(CAIRN_ENOTFOUND, "sqlite: no cairn store at %s", s->path);
    return cairn_backend_error(CAIRN_ECORRUPT,
                               "sqlite %s: an SQLite database but not a cairn store (it has "
                               "other tables: %d)",
                               s->path, tables);
}

static int conn_open(sq *s, bool first, conn **out)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return cairn_backend_error(CAIRN_ENOMEM, "sqlite %s: out of memory", s->path);
    c->owner = s;
    /* NOMUTEX: the pool hands a connection to one thread at a time. No URI
     * flag: the path is taken literally. */
    int rc = sqlite3_open_v2(s->path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                                 (s->must_exist ? 0 : SQLITE_OPEN_CREATE),
                             NULL);
    if (rc != SQLITE_OK) {
        int st = c->db ? sq_fail(s, c->db, rc, "open") : sq_fail(s, NULL, rc, "open");
        conn_free(c);
        return st;
    }
    sqlite3_busy_handler(c->db, busy_cb, c);
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA synchronous = %d; PRAGMA cache_size = -8192;"
             " PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY;"
             " PRAGMA journal_size_limit = 67108864;",
             s->sync);
    if (first && s->must_exist && (rc = probe_store(s, c->db))) {
        conn_free(c);
        return rc;
    }
    if (first) {
        /* Persistent in the file, so once is enough; it is also the first
         * read of the file, where a non-database fails. */
        sqlite3_stmt *q;
        rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(q);
            if (rc == SQLITE_ROW) {
                const char *mode = (const char *)sqlite3_column_text(q, 0);
                if (!mode || strcmp(mode, "wal") != 0) {
                    cairn_backend_error(CAIRN_EIO,
                                        "sqlite %s: cannot use WAL mode (journal mode "
                                        "stays '%s')",
                                        s->path, mode ? mode : "?");
                    sqlite3_finalize(q);
                    conn_free(c);
                    return CAIRN_EIO;
                }
                rc = SQLITE_OK;
            }
            sqlite3_finalize(q);
        }
        if (rc != SQLITE_OK) {
            int st = sq_fail(s, c->db, rc, "set WAL mode");
            conn_free(c);
            return st;
        }
    }
    if ((rc = exec(s, c->db, pragmas)) || (first && (rc = schema_setup(s, c->db))) ||
        (rc = prepare_all(s, c))) {
        conn_free(c);
        return rc;
    }
    *out = c;
    return CAIRN_OK;
}

/* Take a connection for this thread, opening one if the pool is not full. */
static int acquire(sq *s, conn **out)
{
    pthread_mutex_lock(&s->pool_lock);
    while (!s->free_list && s->nconn >= POOL_MAX)
        pthread_cond_wait(&s->pool_cv, &s->pool_lock);
    conn *c = s->free_list;
    if (c) {
        s->free_list = c->next_free;
        pthread_mutex_unlock(&s->pool_lock);
        *out = c;
        return CAIRN_OK;
    }
    int slot = s->nconn++;
    pthread_mutex_unlock(&s->pool_lock);
    /* Opened outside the lock: it reads the file. */
    int rc = conn_open(s, false, &c);
    pthread_mutex_lock(&s->pool_lock);
    if (rc) {
        s->nconn--;
        pthread_cond_signal(&s->pool_cv);
    } else {
        s->all[slot] = c;
    }
    pthread_mutex_unlock(&s->pool_lock);
    if (rc == CAIRN_OK)
        *out = c;
    return rc;
}

static void release(sq *s, conn *c)
{
    if (c->cap > KEEP_BUF_MAX) {
        free(c->buf);
        c->buf = NULL;
        c->cap = 0;
    }
    pthread_mutex_lock(&s->pool_lock);
    c->next_free = s->free_list;
    s->free_list = c;
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->pool_lock);
}

/* ------------------------------------------------------------------ */
/* Open / close                                                        */
/* ------------------------------------------------------------------ */

static void sq_free(sq *s)
{
    for (int i = 0; i < POOL_MAX; i++)
        conn_free(s->all[i]);
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_cond_destroy(&s->pool_cv);
    free(s->path);
    free(s);
}

static int sq_open(const char *location, const struct cairn_options *opt, void **self)
{
    if (!location || !*location)
        return cairn_backend_error(CAIRN_EURL, "sqlite: needs a file path (sqlite:PATH)");
    if (!strcmp(location, ":memory:") || !strncmp(location, "file:", 5))
        return cairn_backend_error(CAIRN_EURL,
                                   "sqlite: '%s' is not supported: give a file path (use "
                                   "mem: for an in-process store)",
                                   location);
    if (!sqlite3_threadsafe())
        return cairn_backend_error(CAIRN_EUNSUPPORTED,
                                   "sqlite: the SQLite library was built without threads");
    struct stat st;
    if (opt->must_exist && stat(location, &st) != 0)
        return cairn_backend_error(CAIRN_ENOTFOUND, "sqlite: no cairn store at %s", location);
    /* A store file that is there but empty is truncated (or was never a
     * store): SQLite would take it for a new database and write a schema
     * into it. A store that another process is creating is empty only
     * until its first connection sets WAL mode, which writes the header:
     * give that a moment. */
    for (int naps = 0; stat(location, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
         naps++) {
        if (naps == EMPTY_NAPS)
            return cairn_backend_error(CAIRN_ECORRUPT,
                                       "sqlite %s: the store file is empty (0 bytes): "
                                       "truncated, or never a store (remove it to start a "
                                       "new store)",
                                       location);
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    pthread_once(&fork_once, register_fork_handler);
    sq *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(location))) {
        free(s);
        return cairn_backend_error(CAIRN_ENOMEM, "sqlite %s: out of memory", location);
    }
    s->sync = opt->durability == CAIRN_DURABILITY_NONE   ? 0  /* OFF */
              : opt->durability == CAIRN_DURABILITY_FULL ? 2  /* FULL */
                                                         : 1; /* NORMAL */
    s->timeout_ms = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000;
    s->must_exist = opt->must_exist != 0;
    s->gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    conn *c;
    int rc = conn_open(s, true, &c);
    if (rc) {
        sq_free(s);
        return rc;
    }
    s->all[0] = c;
    s->nconn = 1;
    s->free_list = c;
    cairn__hlist_add(&handles, &s->link, s);
    *self = s;
    return CAIRN_OK;
}

static void sq_close(void *self)
{
    sq *s = self;
    cairn__hlist_del(&handles, &s->link);
    check_fork(s); /* in a child, leave the parent's connections alone */
    sq_free(s);
}

/* ------------------------------------------------------------------ */
/* Reading a row                                                       */
/* ------------------------------------------------------------------ */

/* The record in columns col (h) and col+1 (t) of st: borrowed from st when
 * whole in h, else joined into c->buf. Never NULL for a present row. */
static int row_record(sq *s, conn *c, sqlite3_stmt *st, int col, bool with_tail,
                      const void **rec, size_t *len)
{
    const void *h = sqlite3_column_blob(st, col);
    size_t hl = (size_t)sqlite3_column_bytes(st, col);
    const void *t = NULL;
    size_t tl = 0;
    if (with_tail && sqlite3_column_type(st, col + 1) != SQLITE_NULL) {
        t = sqlite3_column_blob(st, col + 1);
        tl = (size_t)sqlite3_column_bytes(st, col + 1);
        h = sqlite3_column_blob(st, col); /* the tail read may move h */
    }
    if ((!h && hl) || (!t && tl))
        return cairn_backend_error(CAIRN_ENOMEM, "sqlite %s: out of memory reading a row",
                                   s->path);
    if (!tl) {
        *rec = h ? h : "";
        *len = hl;
        return CAIRN_OK;
    }
    int rc = cairn__grow(&c->buf, &c->cap, hl + tl);
    if (rc)
        return rc;
    memcpy(c->buf, h, hl);
    memcpy(c->buf + hl, t, tl);
    *rec = c->buf;
    *len = hl + tl;
    return CAIRN_OK;
}

/* ------------------------------------------------------------------ */
/* The vtable                                                          */
/* ------------------------------------------------------------------ */

static int sq_get(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                  void *ctx)
{
    sq *s = self;
    conn *c;
    check_fork(s);
    int rc = acquire(s, &c);
    if (rc)
        return rc;
    sqlite3_stmt *st = c->st[ST_GET];
    sqlite3_bind_blob(st, 1, key, (int)klen, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        const void *rec;
        size_t len;
        rc = row_record(s, c, st, 0, true, &rec, &len);
        if (rc == CAIRN_OK)
            rc = fn(ctx, rec, len);
    } else if (r == SQLITE_DONE) {
        rc = CAIRN_ENOTFOUND;
    } else {
        rc = sq_fail(s, c->db, r, "read");
    }
    sqlite3_reset(st);
    release(s, c);
    return rc;
}

/* Bind the first SPLIT bytes of rec to h and the rest (or NULL) to t. */
static int put_row(sq *s, conn *c, const char *key, size_t klen, const void *rec,
                   size_t len)
{
    sqlite3_stmt *st = c->st[ST_PUT];
    size_t hl = len < SPLIT ? len : SPLIT;
    if (len - hl > (size_t)sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, -1))
        return cairn_backend_error(CAIRN_EINVAL,
                                   "sqlite %s: record of %zu bytes is over SQLite's limit "
                                   "of %d bytes per value",
                                   s->path, len, sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, -1));
    sqlite3_bind_blob(st, 1, key, (int)klen, SQLITE_STATIC);
    /* A NULL pointer would bind SQL NULL; an empty record is a blob. */
    sqlite3_bind_blob(st, 2, hl ? rec : "", (int)hl, SQLITE_STATIC);
    if (len > hl)
        sqlite3_bind_blob64(st, 3, (const char *)rec + hl, len - hl, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st); /* drop the borrowed pointers */
    return r == SQLITE_DONE ? CAIRN_OK : sq_fail(s, c->db, r, "write");
}

static int del_row(sq *s, conn *c, const char *key, size_t klen)
{
    sqlite3_stmt *st = c->st[ST_DEL];
    sqlite3_bind_blob(st, 1, key, (int)klen, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? CAIRN_OK : sq_fail(s, c->db, r, "delete");
}

/* Ask op.fn and act on the answer, inside the open transaction. */
static int apply_op(sq *s, conn *c, const cairn_backend_op *op)
{
    sqlite3_stmt *st = c->st[ST_GET];
    sqlite3_bind_blob(st, 1, op->key, (int)op->klen, SQLITE_STATIC);
    int r = sqlite3_step(st);
    const void *rec = NULL, *out = NULL;
    size_t len = 0, olen = 0;
    int rc = CAIRN_OK;
    if (r == SQLITE_ROW)
        rc = row_record(s, c, st, 0, true, &rec, &len);
    else if (r != SQLITE_DONE)
        rc = sq_fail(s, c->db, r, "read");
    int action = rc ? rc : op->fn(op->ctx, rec, len, &out, &olen);
    sqlite3_reset(st);
    if (action < 0)
        return action;
    switch (action) {
    case CAIRN_BACKEND_KEEP:
        return CAIRN_OK;
    case CAIRN_BACKEND_WRITE:
        return put_row(s, c, op->key, op->klen, out, olen);
    case CAIRN_BACKEND_DELETE:
        return r == SQLITE_ROW ? del_row(s, c, op->key, op->klen) : CAIRN_OK;
    default:
        return cairn_backend_error(CAIRN_EINVAL, "sqlite %s: update callback answered %d",
                                   s->path, action);
    }
}

static int step_once(sq *s, conn *c, int which, const char *what)
{
    sqlite3_stmt *st = c->st[which];
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? CAIRN_OK : sq_fail(s, c->db, r, what);
}

static int sq_update(void *self, const cairn_backend_op *ops, size_t n)
{
    sq *s = self;
    conn *c;
    if (n == 0)
        return CAIRN_OK;
    check_fork(s);
    /* Threads of this process queue here rather than poll SQLite's lock. */
    pthread_mutex_lock(&s->write_lock);
    int rc = acquire(s, &c);
    if (rc) {
        pthread_mutex_unlock(&s->write_lock);
        return rc;
    }
    rc = step_once(s, c, ST_BEGIN, "begin");
    if (rc == CAIRN_OK) {
        for (size_t i = 0; i < n && rc == CAIRN_OK; i++)
            rc = apply_op(s, c, &ops[i]);
        if (rc == CAIRN_OK)
            rc = step_once(s, c, ST_COMMIT, "commit");
        /* After a failed COMMIT (or statement) SQLite may already have
         * rolled back; roll back whatever is still open, keeping the first
         * error's message. */
        if (rc != CAIRN_OK && !sqlite3_get_autocommit(c->db)) {
            sqlite3_stmt *st = c->st[ST_ROLLBACK];
            sqlite3_step(st);
            sqlite3_reset(st);
        }
    }
    release(s, c);
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

static int sq_scan(void *self, const char *lo, size_t lolen, int lo_excl, const char *hi,
                   size_t hilen, int want_value, cairn_backend_scan_fn fn, void *ctx)
{
    sq *s = self;
    conn *c;
    check_fork(s);
    int rc = acquire(s, &c);
    if (rc)
        return rc;
    int v = ((lo && lo_excl) ? 1 : 0) | (hi ? 2 : 0) | (want_value ? 4 : 0);
    sqlite3_stmt *st = c->st[ST_SCAN + v];
    if (lo)
        sqlite3_bind_blob(st, 1, lo, (int)lolen, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(st, 1, 0); /* the least blob: from the first key */
    if (hi)
        sqlite3_bind_blob(st, 2, hi, (int)hilen, SQLITE_STATIC);
    char key[CAIRN_KEY_MAX + 1];
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const void *k = sqlite3_column_blob(st, 0);
        size_t kl = (size_t)sqlite3_column_bytes(st, 0);
        if (kl == 0 || kl > CAIRN_KEY_MAX) {
            rc = cairn_backend_error(CAIRN_ECORRUPT,
                                     "sqlite %s: a stored key is %zu bytes (1..%d allowed)",
                                     s->path, kl, CAIRN_KEY_MAX);
            break;
        }
        memcpy(key, k, kl); /* callbacks get NUL-terminated keys */
        key[kl] = '\0';
        const void *rec;
        size_t len;
        if ((rc = row_record(s, c, st, 1, want_value != 0, &rec, &len)))
            break;
        int a = fn(ctx, key, kl, rec, len);
        if (a < 0)
            rc = a;
        if (a)
            break;
    }
    if (rc == CAIRN_OK && r != SQLITE_ROW && r != SQLITE_DONE)
        rc = sq_fail(s, c->db, r, "scan");
    sqlite3_reset(st); /* ends the read transaction: no lock kept between calls */
    sqlite3_clear_bindings(st);
    release(s, c);
    return rc;
}

const cairn_backend_methods cairn__backend_sqlite = {
    .version = CAIRN_BACKEND_VERSION,
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .get = sq_get,
    .update = sq_update,
    .scan = sq_scan,
};
