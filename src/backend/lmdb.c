/*
 * lmdb.c — the LMDB backend: every record in one LMDB environment per store
 * directory, kept in LMDB's bytewise order; keys too long for LMDB live in a
 * side region (prefix + hash) and are merged back into scans in key order.
 *
 * Layout (docs/backends.md, "lmdb", says the same for users):
 *   DIR/data.mdb, DIR/lock.mdb   the environment; records in the unnamed DB
 *   key K, |K| <= maxkey (511)   stored under K itself, the value is the record
 *   key K, |K| >  maxkey         stored under "\0" + K[0..Q) + 8-byte hash
 *                                (Q = maxkey - 9), the value is
 *                                2-byte BE |K|, K, then the record
 * Valid cairn keys never start with a control byte, so the "\0" region never
 * meets a real key; a scan walks both regions with two cursors and merges.
 */
#include "backend/backends.h"
#include "base/error.h"
#include "base/hash.h"
#include "backend/lmdb_check.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#define DEFAULT_MAP ((uint64_t)64 << 30) /* sparse: costs only what is used */
#define MAX_READERS 510 /* reader slots in lock.mdb (LMDB's default: 126) */
#define POOL_MAX 32     /* reset read txns kept per environment */
#define HASH_LEN 8      /* hash suffix of a long key's stored key */
#define LONG_HEAD 2     /* length prefix of a long key's stored value */
#define GROW_TRIES 8    /* map doublings one update may ask for */
#define SYNC_MASK (MDB_NOSYNC | MDB_NOMETASYNC)

/* One open environment, shared by every handle on the same directory in
 * this process: LMDB forbids opening one environment twice in a process
 * (closing either would drop the other's fcntl locks). */
typedef struct env_ent {
    struct env_ent *next;
    dev_t dev;
    ino_t ino;
    pid_t pid;  /* the process that opened it: never used across fork() */
    int refs;   /* handles using it; guarded by g_lock */
    MDB_env *env;
    MDB_dbi dbi;
    size_t maxkey; /* longest key stored as it is */
    size_t qlen;   /* key bytes kept in a long key's stored key */
    /* Held shared by every transaction of this process, exclusively to
     * remap (mdb_env_set_mapsize needs no transaction active in it). */
    pthread_rwlock_t maplock;
    /* Reset read txns: renewing one skips malloc and the reader-table
     * mutex that mdb_txn_begin takes under MDB_NOTLS. */
    pthread_mutex_t pool_lock;
    MDB_txn *pool[POOL_MAX];
    int npool;
    cairn__lmdb_txrec *rec; /* DIR/cairn.txnid, mapped; NULL: none */
    uint64_t data_ino; /* data.mdb's */
    uint64_t noted;   /* the txnid last written to rec (atomic) */
    char path[]; /* as the first opener spelled it, for messages */
} env_ent;

/* One cairn handle. */
typedef struct {
    env_ent *e;    /* atomic: replaced once in a fork() child */
    unsigned sync; /* this handle's SYNC_MASK flags (durability) */
    bool normal;   /* durability NORMAL: flush on last close */
    uint64_t map;  /* map_size asked for (0: default) */
    bool must_exist; /* opened only to read what is there */
    char *path;
    pthread_mutex_t lock; /* guards replacing e */
} lm;

/* Every environment of this process, by directory. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static env_ent *g_envs;
/* This process's id, kept current across fork() by an atfork handler
 * (getpid() is a system call; this is a load). */
static pid_t g_pid;

/* ---- errors ---- */

static int lm_status(int rc)
{
    switch (rc) {
    case MDB_MAP_FULL:
    case MDB_TXN_FULL: return CAIRN_EFULL;
    case MDB_READERS_FULL:
    case MDB_MAP_RESIZED: return CAIRN_EBUSY;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH: return CAIRN_ECORRUPT;
    case MDB_BAD_VALSIZE: return CAIRN_EINVAL;
    case MDB_NOTFOUND: return CAIRN_ENOTFOUND;
    case ENOENT: return CAIRN_EIO; /* a missing file is no missing key */
    default: return rc > 0 ? cairn__errno_status(rc) : CAIRN_EIO;
    }
}

/* LMDB turns a write that a full disk cut short into EIO (only one that
 * wrote nothing is ENOSPC): tell the two apart by the space left. */
#define FULL_SLACK ((uint64_t)1 << 20)

static bool disk_full(const char *dir, int rc)
{
    struct statvfs v;
    if (rc == ENOSPC || rc == EDQUOT)
        return true;
    return rc == EIO && statvfs(dir, &v) == 0 &&
           ((uint64_t)v.f_bavail * v.f_frsize < FULL_SLACK ||
            (uint64_t)v.f_bfree * v.f_frsize < FULL_SLACK);
}

/* The status and message of LMDB result rc from what, on key (NULL: none). */
static int lm_fail(const env_ent *e, const char *what, const char *key, size_t klen, int rc)
{
    int kl = key ? (int)(klen > 200 ? 200 : klen) : 0;
    const char *sp = key ? " " : "";
    if (disk_full(e->path, rc))
        return cairn_backend_error(CAIRN_EFULL,
                                   "lmdb %s: %s%s%.*s: no space left on the file system "
                                   "(LMDB: %s)",
                                   e->path, what, sp, kl, key ? key : "", mdb_strerror(rc));
    return cairn_backend_error(lm_status(rc), "lmdb %s: %s%s%.*s: %s", e->path, what, sp, kl,
                               key ? key : "", mdb_strerror(rc));
}

static int lm_err(const env_ent *e, const char *what, int rc)
{
    return lm_fail(e, what, NULL, 0, rc);
}

/* ---- keys ---- */

static int keycmp(const void *a, size_t al, const void *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

/* The stored key of a long key with hash suffix h: "\0" + key[0..qlen) + h. */
static size_t long_skey(const env_ent *e, const char *key, uint64_t h, unsigned char *buf)
{
    buf[0] = 0;
    memcpy(buf + 1, key, e->qlen);
    for (int i = 0; i < HASH_LEN; i++)
        buf[1 + e->qlen + (size_t)i] = (unsigned char)(h >> (8 * (HASH_LEN - 1 - i)));
    return 1 + e->qlen + HASH_LEN;
}

/* A stored long-key value split into the full key and the record; false
 * when it is malformed (treated as absent). */
static bool long_split(const MDB_val *v, const char **key, size_t *klen, const void **rec,
                       size_t *rlen)
{
    if (v->mv_size < LONG_HEAD)
        return false;
    const unsigned char *p = v->mv_data;
    size_t kl = (size_t)p[0] << 8 | p[1];
    if (kl > v->mv_size - LONG_HEAD)
        return false;
    *key = (const char *)p + LONG_HEAD;
    *klen = kl;
    *rec = p + LONG_HEAD + kl;
    *rlen = v->mv_size - LONG_HEAD - kl;
    return true;
}

/* Is k a stored key of the long region with the same prefix as skey? */
static bool same_group(const env_ent *e, const MDB_val *k, const unsigned char *skey)
{
    return k->mv_size == 1 + e->qlen + HASH_LEN &&
           memcmp(k->mv_data, skey, 1 + e->qlen) == 0;
}

/* Find long key `key` with cursor c. Returns 0 with its stored key in *sk
 * and its stored value in *v, MDB_NOTFOUND, or an LMDB error. */
static int long_find(const env_ent *e, MDB_cursor *c, const char *key, size_t klen,
                     MDB_val *sk, MDB_val *v)
{
    unsigned char buf[1 + CAIRN_KEY_MAX + HASH_LEN];
    long_skey(e, key, 0, buf);
    MDB_val k = {1 + e->qlen, buf};
    int rc = mdb_cursor_get(c, &k, v, MDB_SET_RANGE);
    for (; rc == 0 && same_group(e, &k, buf); rc = mdb_cursor_get(c, &k, v, MDB_NEXT)) {
        const char *fk;
        const void *rec;
        size_t fkl, rl;
        if (long_split(v, &fk, &fkl, &rec, &rl) && fkl == klen && !memcmp(fk, key, klen)) {
            *sk = k;
            return 0;
        }
    }
    return rc ? rc : MDB_NOTFOUND;
}

/* ---- opening ---- */

/* mkdir -p; returns 0 or an errno. */
static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int r = mkdir(path, 0777);
        int e = errno;
        *p = '/';
        if (r && e != EEXIST)
            return e;
    }
    if (mkdir(path, 0777) && errno != EEXIST)
        return errno;
    return 0;
}

/* Record the newest commit (durable: synced) unless it is the one this
 * environment recorded last. The caller keeps the map in place (maplock,
 * or no other user). */
static void txn_note(env_ent *e, bool durable, uint64_t txnid)
{
    if (!e->rec || (!durable && txnid == __atomic_load_n(&e->noted, __ATOMIC_RELAXED)))
        return;
    cairn__lmdb_txrec_note(e->rec, e->data_ino, durable, txnid);
    __atomic_store_n(&e->noted, txnid, __ATOMIC_RELAXED);
}

static uint64_t last_txnid(env_ent *e)
{
    MDB_envinfo info;
    mdb_env_info(e->env, &info);
    return (uint64_t)info.me_last_txnid;
}

static void env_destroy(env_ent *e, bool flush)
{
    for (int i = 0; i < e->npool; i++)
        mdb_txn_abort(e->pool[i]);
    if (flush) { /* what NOSYNC left in the page cache */
        uint64_t id = last_txnid(e);
        if (mdb_env_sync(e->env, 1) == 0 && id)
            txn_note(e, true, id);
    }
    cairn__lmdb_txrec_unmap(e->rec);
    mdb_env_close(e->env);
    pthread_rwlock_destroy(&e->maplock);
    pthread_mutex_destroy(&e->pool_lock);
    free(e);
}

static int env_create(const char *path, const struct stat *st, uint64_t map, unsigned sync,
                      bool must_exist, env_ent **out)
{
    int rc = cairn__lmdb_check(path);
    if (rc)
        return rc;
    size_t plen = strlen(path);
    env_ent *e = calloc(1, sizeof *e + plen + 1);
    if (!e)
        return cairn_backend_error(CAIRN_ENOMEM, "lmdb %s: out of memory", path);
    memcpy(e->path, path, plen + 1);
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->pid = g_pid;
    if (!map)
        map = DEFAULT_MAP;
    if (map > SIZE_MAX)
        map = SIZE_MAX;
    rc = mdb_env_create(&e->env);
    if (rc) {
        free(e);
        return cairn_backend_error(lm_status(rc), "lmdb %s: create environment: %s", path,
                                   mdb_strerror(rc));
    }
    const char *what = "set map size";
    if ((rc = mdb_env_set_mapsize(e->env, (size_t)map)) ||
        (what = "set max readers", rc = mdb_env_set_maxreaders(e->env, MAX_READERS)) ||
        (what = "open", rc = mdb_env_open(e->env, path, MDB_NOTLS | sync, 0666))) {
        int st_rc = lm_status(rc);
        const char *hint = rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH
                               ? " (not an LMDB store, or another LMDB version)"
                               : "";
        mdb_env_close(e->env);
        free(e);
        return cairn_backend_error(st_rc, "lmdb %s: %s: %s%s", path, what, mdb_strerror(rc),
                                   hint);
    }
    /* Reader slots of processes that died (kill -9) would pin old pages and
     * fill the reader table. */
    int dead = 0;
    mdb_reader_check(e->env, &dead);
    MDB_txn *t;
    if ((rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &t)) == 0) {
        rc = mdb_dbi_open(t, NULL, 0, &e->dbi);
        mdb_txn_abort(t); /* the main DB's handle stays valid */
    }
    if (rc) {
        int s = cairn_backend_error(lm_status(rc), "lmdb %s: open database: %s", path,
                                    mdb_strerror(rc));
        mdb_env_close(e->env);
        free(e);
        return s;
    }
    e->maxkey = (size_t)mdb_env_get_maxkeysize(e->env);
    if (e->maxkey > CAIRN_KEY_MAX)
        e->maxkey = CAIRN_KEY_MAX;
    e->qlen = e->maxkey - 1 - HASH_LEN;
    char tp[PATH_MAX];
    struct stat dst;
    snprintf(tp, sizeof tp, "%s/data.mdb", path);
    if (stat(tp, &dst) == 0) {
        e->data_ino = (uint64_t)dst.st_ino;
        e->rec = cairn__lmdb_txrec_map(path, must_exist);
        e->noted = UINT64_MAX;
    }
    pthread_rwlock_init(&e->maplock, NULL);
    pthread_mutex_init(&e->pool_lock, NULL);
    *out = e;
    return CAIRN_OK;
}

static void on_fork_child(void)
{
    g_pid = getpid();
}

static void init_once(void)
{
    g_pid = getpid();
    cairn__lmdb_boot_init();
    pthread_atfork(NULL, NULL, on_fork_child);
}

/* Create the directory and find (refs + 1) or open this process's
 * environment on it. */
static int env_acquire(const lm *h, env_ent **out)
{
    struct stat st;
    int err = mkdirs(h->path);
    if (!err && stat(h->path, &st))
        err = errno;
    if (!err && !S_ISDIR(st.st_mode))
        err = ENOTDIR;
    if (err)
        return cairn_backend_error(err == ENOMEM ? CAIRN_ENOMEM : CAIRN_EIO,
                                   "lmdb %s: cannot use it as the store directory: %s", h->path,
                                   strerror(err));
    int rc = CAIRN_OK;
    pthread_mutex_lock(&g_lock);
    env_ent *e = NULL;
    for (env_ent **pp = &g_envs; *pp;) {
        env_ent *x = *pp;
        if (x->pid != g_pid) {
            /* Inherited across fork(): unusable here, and closing it would
             * drop locks this process holds; forget it. */
            *pp = x->next;
            continue;
        }
        if (x->dev == st.st_dev && x->ino == st.st_ino) {
            e = x;
            break;
        }
        pp = &x->next;
    }
    if (e) {
        e->refs++;
    } else if ((rc = env_create(h->path, &st, h->map, h->sync, h->must_exist, &e)) ==
               CAIRN_OK) {
        e->refs = 1;
        e->next = g_envs;
        g_envs = e;
    }
    pthread_mutex_unlock(&g_lock);
    if (rc == CAIRN_OK)
        *out = e;
    return rc;
}

static int lm_open(const char *location, const struct cairn_options *opt, void **self)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
    if (!*location)
        return cairn_backend_error(CAIRN_EURL, "lmdb: needs a directory");
    if (opt->must_exist) {
        char dm[PATH_MAX];
        struct stat st;
        snprintf(dm, sizeof dm, "%s/data.mdb", location);
        if (stat(dm, &st) != 0)
            return cairn_backend_error(CAIRN_ENOTFOUND, "lmdb: no cairn store at %s", location);
    }
    lm *h = calloc(1, sizeof *h);
    if (!h || !(h->path = strdup(location))) {
        free(h);
        return cairn_backend_error(CAIRN_ENOMEM, "lmdb %s: out of memory", location);
    }
    h->sync = opt->durability == CAIRN_DURABILITY_FULL   ? 0
              : opt->durability == CAIRN_DURABILITY_NONE ? MDB_NOSYNC | MDB_NOMETASYNC
                                                         : MDB_NOSYNC;
    h->normal = opt->durability == CAIRN_DURABILITY_NORMAL;
    h->map = opt->map_size;
    h->must_exist = opt->must_exist != 0;
    pthread_mutex_init(&h->lock, NULL);
    int rc = env_acquire(h, &h->e);
    if (rc) {
        pthread_mutex_destroy(&h->lock);
        free(h->path);
        free(h);
        return rc;
    }
    *self = h;
    return CAIRN_OK;
}

/* The handle's environment. A handle carried into a fork() child gets an
 * environment of the child's own on first use: LMDB forbids using the
 * parent's, which stays untouched. */
static int handle_env(lm *h, env_ent **out)
{
    env_ent *e = __atomic_load_n(&h->e, __ATOMIC_ACQUIRE);
    if (e->pid == g_pid) {
        *out = e;
        return CAIRN_OK;
    }
    pthread_mutex_lock(&h->lock);
    int rc = CAIRN_OK;
    if ((e = h->e)->pid != g_pid && (rc = env_acquire(h, &e)) == CAIRN_OK)
        __atomic_store_n(&h->e, e, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&h->lock);
    *out = e;
    return rc;
}

static void lm_close(void *self)
{
    lm *h = self;
    env_ent *e = h->e;
    bool last = false;
    pthread_mutex_lock(&g_lock);
    if (e->pid == g_pid && --e->refs == 0) {
        for (env_ent **pp = &g_envs; *pp; pp = &(*pp)->next)
            if (*pp == e) {
                *pp = e->next;
                break;
            }
        last = true;
    }
    pthread_mutex_unlock(&g_lock);
    if (last)
        env_destroy(e, h->normal);
    pthread_mutex_destroy(&h->lock);
    free(h->path);
    free(h);
}

/* ---- map size ---- */

/* Remap with no transaction of this process active. size 0 adopts the size
 * another process set (MDB_MAP_RESIZED); otherwise grow to size unless
 * someone already grew past seen. */
static int remap(env_ent *e, size_t size, size_t seen)
{
    pthread_rwlock_wrlock(&e->maplock);
    MDB_envinfo info;
    mdb_env_info(e->env, &info);
    int rc = 0;
    if (size == 0 || info.me_mapsize <= seen)
        rc = mdb_env_set_mapsize(e->env, size);
    pthread_rwlock_unlock(&e->maplock);
    return rc;
}

static size_t map_now(env_ent *e)
{
    MDB_envinfo info;
    mdb_env_info(e->env, &info);
    return info.me_mapsize;
}

/* ---- read transactions ---- */

/* Begin a read txn; the caller holds maplock shared. */
static int rtxn_begin(env_ent *e, MDB_txn **out)
{
    MDB_txn *t = NULL;
    pthread_mutex_lock(&e->pool_lock);
    if (e->npool)
        t = e->pool[--e->npool];
    pthread_mutex_unlock(&e->pool_lock);
    if (t) {
        int rc = mdb_txn_renew(t);
        if (rc == 0) {
            *out = t;
            return 0;
        }
        mdb_txn_abort(t);
        if (rc != MDB_READERS_FULL)
            return rc;
    }
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, out);
    if (rc == MDB_READERS_FULL) {
        int dead = 0;
        mdb_reader_check(e->env, &dead);
        rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, out);
    }
    return rc;
}

static void rtxn_end(env_ent *e, MDB_txn *t)
{
    mdb_txn_reset(t);
    pthread_mutex_lock(&e->pool_lock);
    if (e->npool < POOL_MAX) {
        e->pool[e->npool++] = t;
        t = NULL;
    }
    pthread_mutex_unlock(&e->pool_lock);
    if (t)
        mdb_txn_abort(t);
}

/* Take maplock shared and begin a read txn, adopting a map another
 * process grew. On error maplock is released. */
static int read_begin(env_ent *e, MDB_txn **t)
{
    for (int tries = 0;; tries++) {
        pthread_rwlock_rdlock(&e->maplock);
        int rc = rtxn_begin(e, t);
        if (rc == 0)
            return 0;
        pthread_rwlock_unlock(&e->maplock);
        if (rc != MDB_MAP_RESIZED || tries == 3)
            return lm_err(e, "begin read transaction", rc);
        if ((rc = remap(e, 0, 0)))
            return lm_err(e, "adopt the grown map", rc);
    }
}

static void read_end(env_ent *e, MDB_txn *t)
{
    rtxn_end(e, t);
    pthread_rwlock_unlock(&e->maplock);
}

/* ---- generation ---- */

/* The id of the snapshot a read begun now sees: it grows with each commit
 * of any process. Not mdb_env_info's last txnid: a committing writer
 * updates the meta page before it publishes the commit to new readers, so
 * in that window a read would still see the older snapshot under the newer
 * number (and the tier could keep the older record as if nothing changed).
 * A pooled read transaction renewed and reset: no I/O. */
static int lm_generation(void *self, uint64_t *gen)
{
    env_ent *e;
    MDB_txn *t;
    int rc = handle_env(self, &e);
    if (rc || (rc = read_begin(e, &t)))
        return rc;
    *gen = (uint64_t)mdb_txn_id(t);
    read_end(e, t);
    return CAIRN_OK;
}

/* ---- get ---- */

static int lm_get(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                  void *ctx)
{
    env_ent *e;
    MDB_txn *t;
    int rc = handle_env(self, &e);
    if (rc || (rc = read_begin(e, &t)))
        return rc;
    MDB_val v;
    if (klen <= e->maxkey) {
        MDB_val k = {klen, (void *)key};
        rc = mdb_get(t, e->dbi, &k, &v);
        if (rc == 0)
            rc = fn(ctx, v.mv_data, v.mv_size);
        else if (rc == MDB_NOTFOUND)
            rc = CAIRN_ENOTFOUND;
        else
            rc = lm_err(e, "get", rc);
    } else {
        MDB_cursor *c;
        MDB_val sk;
        if ((rc = mdb_cursor_open(t, e->dbi, &c)) == 0) {
            rc = long_find(e, c, key, klen, &sk, &v);
            mdb_cursor_close(c);
        }
        const char *fk;
        const void *rec;
        size_t fkl, rl;
        if (rc == 0 && long_split(&v, &fk, &fkl, &rec, &rl))
            rc = fn(ctx, rec, rl);
        else if (rc == MDB_NOTFOUND)
            rc = CAIRN_ENOTFOUND;
        else
            rc = lm_err(e, "get", rc);
    }
    read_end(e, t);
    return rc;
}

/* ---- update ---- */

/* Run op with a short key (stored as it is). Returns a cairn status from
 * the callback, or 0 with an LMDB result in *m. */
static int apply_short(env_ent *e, MDB_txn *t, const cairn_backend_op *op, int *m)
{
    MDB_val k = {op->klen, (void *)op->key}, v;
    const void *rec = NULL, *out = NULL;
    size_t rlen = 0, olen = 0;
    /* Most writes of a pipeline create their key. Ask fn as if the key were
     * absent and insert with MDB_NOOVERWRITE: one B-tree search instead of
     * a lookup and an insert. If the key is there, LMDB hands back its
     * value and fn is asked again (the vtable allows more than one call).
     * Any answer but WRITE takes the plain path below. */
    int a = op->fn(op->ctx, NULL, 0, &out, &olen);
    if (a == CAIRN_BACKEND_WRITE) {
        MDB_val d = {olen, (void *)out};
        *m = mdb_put(t, e->dbi, &k, &d, MDB_NOOVERWRITE);
        if (*m != MDB_KEYEXIST)
            return 0;
        rec = d.mv_data; /* the existing value, valid until the put below */
        rlen = d.mv_size;
        *m = 0;
        goto ask;
    }
    if ((*m = mdb_get(t, e->dbi, &k, &v)) == 0) {
        rec = v.mv_data; /* into the map: valid until the put below */
        rlen = v.mv_size;
    } else if (*m != MDB_NOTFOUND) {
        return 0;
    }
    *m = 0;
ask:
    a = op->fn(op->ctx, rec, rlen, &out, &olen);
    if (a < 0)
        return a;
    if (a == CAIRN_BACKEND_WRITE) {
        MDB_val d = {olen, (void *)out};
        *m = mdb_put(t, e->dbi, &k, &d, 0);
    } else if (a == CAIRN_BACKEND_DELETE && rec) {
        *m = mdb_del(t, e->dbi, &k, NULL);
    }
    return 0;
}

/* The same for a long key, found and written through cursor c. */
static int apply_long(env_ent *e, MDB_txn *t, MDB_cursor *c, const cairn_backend_op *op,
                      int *m)
{
    MDB_val sk, v;
    const void *rec = NULL, *out = NULL;
    const char *fk;
    size_t rlen = 0, olen = 0, fkl;
    *m = long_find(e, c, op->key, op->klen, &sk, &v);
    if (*m == 0 && !long_split(&v, &fk, &fkl, &rec, &rlen))
        *m = MDB_CORRUPTED;
    if (*m && *m != MDB_NOTFOUND)
        return 0;
    bool found = *m == 0;
    *m = 0;
    int a = op->fn(op->ctx, rec, rlen, &out, &olen);
    if (a < 0)
        return a;
    if (a == CAIRN_BACKEND_DELETE && found) {
        *m = mdb_del(t, e->dbi, &sk, NULL);
        return 0;
    }
    if (a != CAIRN_BACKEND_WRITE)
        return 0;
    /* A new key takes its hash as suffix, or the next free one on a
     * collision within its prefix group (lookups read the whole group). */
    unsigned char buf[1 + CAIRN_KEY_MAX + HASH_LEN];
    uint64_t h = cairn__hash(op->key, op->klen);
    if (!found)
        sk = (MDB_val){long_skey(e, op->key, h, buf), buf};
    MDB_val d;
    for (;;) {
        d = (MDB_val){LONG_HEAD + op->klen + olen, NULL};
        *m = mdb_put(t, e->dbi, &sk, &d, MDB_RESERVE | (found ? 0u : MDB_NOOVERWRITE));
        if (*m != MDB_KEYEXIST || found)
            break;
        sk.mv_size = long_skey(e, op->key, ++h, buf);
    }
    if (*m == 0) { /* fill the space MDB_RESERVE gave */
        unsigned char *p = d.mv_data;
        p[0] = (unsigned char)(op->klen >> 8);
        p[1] = (unsigned char)op->klen;
        memcpy(p + LONG_HEAD, op->key, op->klen);
        if (olen)
            memcpy(p + LONG_HEAD + op->klen, out, olen);
    }
    return 0;
}

/* Run every op in write txn t. Returns a cairn status; an LMDB failure also
 * leaves its code in *m (so that MDB_MAP_FULL can be retried). */
static int apply(env_ent *e, MDB_txn *t, const cairn_backend_op *ops, size_t n, int *m)
{
    MDB_cursor *c = NULL;
    int rc = CAIRN_OK;
    *m = 0;
    for (size_t i = 0; i < n && rc == CAIRN_OK && *m == 0; i++) {
        const cairn_backend_op *op = &ops[i];
        if (op->klen <= e->maxkey)
            rc = apply_short(e, t, op, m);
        else if (c || (*m = mdb_cursor_open(t, e->dbi, &c)) == 0)
            rc = apply_long(e, t, c, op, m);
        if (*m)
            rc = lm_fail(e, "write", op->key, op->klen, *m);
    }
    if (c)
        mdb_cursor_close(c);
    return rc;
}

static int lm_update(void *self, const cairn_backend_op *ops, size_t n)
{
    lm *h = self;
    env_ent *e;
    int rc = handle_env(h, &e), grows = 0, resized = 0;
    if (rc)
        return rc;
    for (;;) {
        pthread_rwlock_rdlock(&e->maplock);
        size_t seen = map_now(e); /* to grow from, unless someone else does */
        MDB_txn *t;
        int m = mdb_txn_begin(e->env, NULL, 0, &t);
        if (m) {
            pthread_rwlock_unlock(&e->maplock);
            if (m == MDB_MAP_RESIZED && resized++ < 3 && (m = remap(e, 0, 0)) == 0)
                continue;
            return lm_err(e, "begin write transaction", m);
        }
        /* Only one write txn runs per environment, so its durability can
         * follow the handle that runs it. */
        unsigned f = 0;
        mdb_env_get_flags(e->env, &f);
        if ((f & SYNC_MASK) != h->sync) {
            mdb_env_set_flags(e->env, SYNC_MASK, 0);
            if (h->sync)
                mdb_env_set_flags(e->env, h->sync, 1);
        }
        rc = apply(e, t, ops, n, &m);
        if (rc) {
            mdb_txn_abort(t);
        } else if ((m = mdb_txn_commit(t))) {
            rc = lm_err(e, "commit", m);
        } else {
            txn_note(e, h->sync == 0, last_txnid(e));
        }
        pthread_rwlock_unlock(&e->maplock);
        if (m != MDB_MAP_FULL)
            return rc;
        /* Out of map: grow it (sparse, only address space) and redo. */
        size_t want = seen > SIZE_MAX / 2 ? SIZE_MAX : seen * 2;
        int g = grows++ < GROW_TRIES ? remap(e, want, seen) : MDB_MAP_FULL;
        if (g)
            return cairn_backend_error(CAIRN_EFULL,
                                       "lmdb %s: map full at %zu bytes and cannot grow: %s "
                                       "(open with a larger map_size)",
                                       e->path, seen, mdb_strerror(g));
    }
}

/* ---- scan ---- */

typedef struct {
    const char *key;
    size_t klen;
    const void *rec;
    size_t rlen;
} item;

static int item_cmp(const void *a, const void *b)
{
    const item *x = a, *y = b;
    return keycmp(x->key, x->klen, y->key, y->klen);
}

/* The long-key stream of a scan: one prefix group at a time, sorted. */
typedef struct {
    env_ent *e;
    MDB_cursor *c;
    int mrc;  /* cursor state: 0 positioned, MDB_NOTFOUND done, else error */
    MDB_val k, v;
    item *g;  /* current group, sorted, filtered by lo */
    size_t n, pos, cap;
    const char *lo;
    size_t lolen;
    int lo_excl;
} longs;

/* Load the next group that has keys past lo; returns 0 or an LMDB error
 * (at the end of the region n stays 0). */
static int longs_next_group(longs *L)
{
    size_t skl = 1 + L->e->qlen + HASH_LEN;
    L->n = L->pos = 0;
    while (L->n == 0) {
        if (L->mrc)
            return L->mrc == MDB_NOTFOUND ? 0 : L->mrc;
        if (((const unsigned char *)L->k.mv_data)[0] != 0) {
            L->mrc = MDB_NOTFOUND; /* past the region */
            return 0;
        }
        if (L->k.mv_size != skl) { /* not ours: step over it */
            L->mrc = mdb_cursor_get(L->c, &L->k, &L->v, MDB_NEXT);
            continue;
        }
        unsigned char head[1 + CAIRN_KEY_MAX];
        memcpy(head, L->k.mv_data, 1 + L->e->qlen);
        while (L->mrc == 0 && L->k.mv_size == skl &&
               memcmp(L->k.mv_data, head, 1 + L->e->qlen) == 0) {
            item it;
            if (long_split(&L->v, &it.key, &it.klen, &it.rec, &it.rlen) &&
                (!L->lo || keycmp(it.key, it.klen, L->lo, L->lolen) > (L->lo_excl ? 0 : -1))) {
                if (L->n == L->cap) {
                    size_t nc = L->cap ? 2 * L->cap : 8;
                    item *g = realloc(L->g, nc * sizeof *g);
                    if (!g)
                        return ENOMEM;
                    L->g = g;
                    L->cap = nc;
                }
                L->g[L->n++] = it;
            }
            L->mrc = mdb_cursor_get(L->c, &L->k, &L->v, MDB_NEXT);
        }
    }
    if (L->n > 1)
        qsort(L->g, L->n, sizeof *L->g, item_cmp);
    return 0;
}

static int lm_scan(void *self, const char *lo, size_t lolen, int lo_excl, const char *hi,
                   size_t hilen, int want_value, cairn_backend_scan_fn fn, void *ctx)
{
    (void)want_value; /* records are read in place: the whole one is free */
    env_ent *e;
    MDB_txn *t;
    int rc = handle_env(self, &e);
    if (rc || (rc = read_begin(e, &t)))
        return rc;
    MDB_cursor *cs = NULL;
    longs L = {.e = e, .lo = lo, .lolen = lolen, .lo_excl = lo_excl};
    int m = mdb_cursor_open(t, e->dbi, &cs);
    if (!m)
        m = mdb_cursor_open(t, e->dbi, &L.c);
    if (m)
        goto out;

    /* Short keys: from lo (cut to what LMDB takes), past the "\0" region. */
    static const char region_end[] = "\x01";
    MDB_val sk, sv;
    if (lo && lolen && (unsigned char)lo[0] >= 1)
        sk = (MDB_val){lolen < e->maxkey ? lolen : e->maxkey, (void *)lo};
    else
        sk = (MDB_val){1, (void *)region_end};
    int sm = mdb_cursor_get(cs, &sk, &sv, MDB_SET_RANGE);
    while (sm == 0 && lo && keycmp(sk.mv_data, sk.mv_size, lo, lolen) <= (lo_excl ? 0 : -1))
        sm = mdb_cursor_get(cs, &sk, &sv, MDB_NEXT);

    /* Long keys: from the group of lo's prefix. */
    unsigned char lb[1 + CAIRN_KEY_MAX];
    lb[0] = 0;
    size_t lbl = 1;
    if (lo) {
        size_t q = lolen < e->qlen ? lolen : e->qlen;
        memcpy(lb + 1, lo, q);
        lbl += q;
    }
    L.k = (MDB_val){lbl, lb};
    L.mrc = mdb_cursor_get(L.c, &L.k, &L.v, MDB_SET_RANGE);
    if ((m = longs_next_group(&L)))
        goto out;

    for (;;) {
        if (sm && sm != MDB_NOTFOUND) {
            m = sm;
            break;
        }
        bool have_s = sm == 0, have_l = L.pos < L.n;
        if (!have_s && !have_l)
            break;
        item cur;
        bool from_s = have_s && (!have_l || keycmp(sk.mv_data, sk.mv_size, L.g[L.pos].key,
                                                   L.g[L.pos].klen) < 0);
        if (from_s)
            cur = (item){sk.mv_data, sk.mv_size, sv.mv_data, sv.mv_size};
        else
            cur = L.g[L.pos];
        if (hi && keycmp(cur.key, cur.klen, hi, hilen) >= 0)
            break;
        int r = fn(ctx, cur.key, cur.klen, cur.rec, cur.rlen);
        if (r) {
            rc = r < 0 ? r : CAIRN_OK;
            break;
        }
        if (from_s) {
            sm = mdb_cursor_get(cs, &sk, &sv, MDB_NEXT);
        } else if (++L.pos == L.n && (m = longs_next_group(&L))) {
            break;
        }
    }
out:
    if (m && rc == CAIRN_OK)
        rc = m == ENOMEM ? cairn_backend_error(CAIRN_ENOMEM, "lmdb %s: out of memory", e->path)
                         : lm_err(e, "scan", m);
    if (L.c)
        mdb_cursor_close(L.c);
    if (cs)
        mdb_cursor_close(cs);
    free(L.g);
    read_end(e, t);
    return rc;
}

const cairn_backend_methods cairn__backend_lmdb = {
    .version = CAIRN_BACKEND_VERSION,
    .name = "lmdb",
    .open = lm_open,
    .close = lm_close,
    .get = lm_get,
    .update = lm_update,
    .scan = lm_scan,
    .generation = lm_generation,
};
