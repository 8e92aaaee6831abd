/*
 * damage.c — conformance: store files damaged on disk (truncated, empty, a
 * flipped meta page) and a full disk are answered with CAIRN_ECORRUPT or
 * CAIRN_EFULL naming the file, never a crash, a silently re-initialised
 * store or an older snapshot served as the current one (issue 15).
 */
#define _GNU_SOURCE /* unshare, CLONE_NEWNS */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#ifdef CAIRN_HAVE_LMDB
#include <lmdb.h>
#endif
#include <sched.h>
#include <sys/mount.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool on_lmdb(void)
{
    return !strcmp(cf_base(), "lmdb");
}

/* The directory of the fixture's LMDB store (main.c: DIR/store). */
static void lmdb_dir(const cf_fx *fx, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/store", fx->dir);
}

/* n bytes that zstd cannot shrink (so that they fill pages). */
static void noise(unsigned char *b, size_t n, unsigned seed)
{
    uint64_t x = 0x9E3779B97F4A7C15u * (seed + 1);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b[i] = (unsigned char)x;
    }
}

/* Put n records of len noisy bytes as k/0 .. k/n-1 in one batch. */
static void put_records(cairn_store *s, int n, size_t len)
{
    unsigned char *vals = malloc((size_t)n * len);
    cairn_put_item *items = calloc((size_t)n, sizeof *items);
    char(*keys)[16] = calloc((size_t)n, sizeof *keys);
    assert_true(vals && items && keys);
    for (int i = 0; i < n; i++) {
        snprintf(keys[i], sizeof keys[i], "k/%d", i);
        noise(vals + (size_t)i * len, len, (unsigned)i);
        items[i] = (cairn_put_item){.key = keys[i], .val = vals + (size_t)i * len, .len = len};
    }
    cairn_put_opts o = {.format = CAIRN_FORMAT_BYTES};
    assert_ok(cairn_put_many(s, items, (size_t)n, &o));
    free(keys);
    free(items);
    free(vals);
}

/* 200 records of 2 KiB in the fixture's LMDB store, closed; dir gets its
 * folder (PATH_MAX + 16 bytes), dm its data.mdb (PATH_MAX + 32 bytes). */
static void fill_and_close(cf_fx *fx, char *dir, char *dm)
{
    put_records(fx->s, 200, 2048);
    cairn_store_close(fx->s);
    fx->s = NULL;
    lmdb_dir(fx, dir, PATH_MAX + 16);
    snprintf(dm, PATH_MAX + 32, "%s/data.mdb", dir);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* Open url, expecting CAIRN_ECORRUPT with every fragment in the message. */
static void expect_corrupt(const char *url, const cairn_options *o, const char *const *has)
{
    cairn_store *t = NULL;
    int rc = cairn_store_open(url, o, &t);
    if (rc != CAIRN_ECORRUPT)
        fail_msg("open %s: %s (%s), expected CAIRN_ECORRUPT", url, cairn_strerror(rc),
                 rc ? cairn_errmsg() : "opened");
    assert_null(t);
    for (; *has; has++)
        assert_errmsg_has(*has);
}

/* 15.12: a data.mdb cut short used to kill every command with SIGBUS (the
 * map reaches past the end of the file). It is CAIRN_ECORRUPT at open,
 * naming the file and both sizes; the file is left as it is. */
static void lmdb_truncated_file(void **state)
{
    cf_fx *fx = FX(state);
    if (!on_lmdb())
        tr_skip("data.mdb is LMDB's file (sqlite and file: other cases)");
    char dir[PATH_MAX + 16], dm[PATH_MAX + 32];
    fill_and_close(fx, dir, dm);
    off_t full = file_size(dm);
    assert_true(full > 400 * 1024);
    assert_int_equal(truncate(dm, 65536), 0);
    char need[32];
    snprintf(need, sizeof need, "%lld bytes", (long long)full);
    expect_corrupt(fx->url, NULL, (const char *const[]){dm, "truncated", "65536", need, NULL});
    cairn_options ro = {.must_exist = 1};
    expect_corrupt(fx->url, &ro, (const char *const[]){"truncated", NULL});
    assert_int_equal(file_size(dm), 65536);
    /* cut by one page only: still refused */
    assert_int_equal(truncate(dm, full - 4096), 0);
    expect_corrupt(fx->url, NULL, (const char *const[]){"truncated", NULL});
}

/* 15.18: an empty store file is a truncated store, not a new one: opening
 * it (to read or to write) is CAIRN_ECORRUPT and writes nothing into it. A
 * path where nothing is still makes a new store. */
static void empty_store_file(void **state)
{
    cf_fx *fx = FX(state);
    bool lmdb = on_lmdb();
    if (!lmdb && strcmp(cf_base(), "sqlite") != 0)
        tr_skip("a store in one file is sqlite's and lmdb's (file: a folder of records)");
    char loc[PATH_MAX + 16], file[PATH_MAX + 32], url[PATH_MAX + 64];
    snprintf(loc, sizeof loc, "%s/%s", fx->dir, lmdb ? "empty" : "empty.sqlite");
    if (lmdb) {
        assert_int_equal(mkdir(loc, 0755), 0);
        snprintf(file, sizeof file, "%s/data.mdb", loc);
    } else {
        snprintf(file, sizeof file, "%s", loc);
    }
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);
    snprintf(url, sizeof url, "%s:%s", cf_be->name, loc);
    cairn_options ro = {.must_exist = 1};
    expect_corrupt(url, &ro, (const char *const[]){"empty", "0 bytes", NULL});
    expect_corrupt(url, NULL, (const char *const[]){"empty", NULL});
    assert_int_equal(file_size(file), 0);
    /* nothing there: a new store, as before */
    assert_int_equal(unlink(file), 0);
    cairn_store *t = NULL;
    assert_ok(cairn_store_open(url, NULL, &t));
    assert_ok(cf_put(t, "a", "1", CAIRN_FAIL_IF_EXISTS));
    cairn_store_close(t);
    assert_true(file_size(file) > 0);
}

/* Write one byte at off of path. */
static void poke(const char *path, off_t off, unsigned char c)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

static uint64_t peek64(const char *path, off_t off)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    uint64_t v = 0;
    assert_int_equal(pread(fd, &v, sizeof v, off), (ssize_t)sizeof v);
    close(fd);
    return v;
}

/* 15.18: one flipped byte in LMDB's newer meta page made a 200-key store
 * look empty (LMDB falls back to the older meta page without a word). The
 * meta pages' transaction ids are checked at open (transaction N is always
 * on page N % 2), and so is the last commit cairn recorded beside the file:
 * a fall back that keeps the rule is caught by the record. */
#define META_TXNID 144 /* offset of mm_txnid in a meta page (LMDB 0.9) */
#define META_PSIZE 40  /* of the page size, in meta page 0 */
static void lmdb_meta_fallback(void **state)
{
    cf_fx *fx = FX(state);
    if (!on_lmdb())
        tr_skip("LMDB's meta pages (the other backends have no such fall back)");
    char dir[PATH_MAX + 16], dm[PATH_MAX + 32];
    fill_and_close(fx, dir, dm);
    off_t ps = (off_t)(uint32_t)peek64(dm, META_PSIZE);
    uint64_t t0 = peek64(dm, META_TXNID), t1 = peek64(dm, ps + META_TXNID);
    print_message("  meta pages: transaction %llu on page 0, %llu on page 1\n",
                  (unsigned long long)t0, (unsigned long long)t1);
    assert_true(t1 > t0); /* the batch's commit is the newest: page 1 */
    /* the low byte of the newest id flipped: an odd page holds an even id */
    poke(dm, ps + META_TXNID, (unsigned char)(t1 ^ 1));
    expect_corrupt(fx->url, NULL, (const char *const[]){dm, "meta page", NULL});
    cairn_options ro = {.must_exist = 1};
    expect_corrupt(fx->url, &ro, (const char *const[]){"meta page", NULL});
    poke(dm, ps + META_TXNID, (unsigned char)t1);
    cf_reopen(fx, NULL);
    uint64_t n = 0;
    assert_ok(cairn_count(fx->s, "", &n));
    assert_int_equal(n, 200);

    /* A few more commits, then the newest id lowered by two: the rule
     * holds, LMDB would serve the commit before it; the record says no. */
    for (int i = 0; i < 3; i++) {
        char key[16];
        snprintf(key, sizeof key, "more/%d", i);
        assert_ok(cf_put(fx->s, key, "1", CAIRN_FAIL_IF_EXISTS));
    }
    cairn_store_close(fx->s);
    fx->s = NULL;
    t0 = peek64(dm, META_TXNID);
    t1 = peek64(dm, ps + META_TXNID);
    uint64_t t = t0 > t1 ? t0 : t1;
    off_t at = (t & 1 ? ps : 0) + META_TXNID;
    assert_true(t >= 2 && ((t - 2) >> 8) == (t >> 8)); /* one byte to change */
    poke(dm, at, (unsigned char)(t - 2));
    char rec[PATH_MAX + 48];
    snprintf(rec, sizeof rec, "%s/cairn.txnid", dir);
    expect_corrupt(fx->url, NULL, (const char *const[]){"older", "cairn.txnid", NULL});
    expect_corrupt(fx->url, &ro, (const char *const[]){"older", NULL});
    /* restored on purpose: without the record the store opens as it is */
    assert_int_equal(unlink(rec), 0);
    cf_reopen(fx, NULL);
    assert_ok(cairn_count(fx->s, "", &n));
    assert_int_equal(n, 202);
    /* and a commit records its id again */
    assert_ok(cf_put(fx->s, "after", "1", CAIRN_FAIL_IF_EXISTS));
    assert_true(file_size(rec) > 0);
}

/* LMDB may end data.mdb before its last page: pages that a transaction
 * allocated and freed again are never written, only listed as free (seen
 * when a key's large value is written twice in one transaction). Such a
 * file is healthy and must not read as truncated. Made here with LMDB's
 * own API (cairn writes a key once per transaction), with a workload and
 * seed that end the file 13 pages short after 59 transactions. */
static void lmdb_short_tail_opens(void **state)
{
    cf_fx *fx = FX(state);
    if (!on_lmdb())
        tr_skip("LMDB's data.mdb");
#ifndef CAIRN_HAVE_LMDB
    tr_skip("built without LMDB");
#else
    char raw[PATH_MAX + 16], dm[PATH_MAX + 32], url[PATH_MAX + 64];
    snprintf(raw, sizeof raw, "%s/raw", fx->dir);
    snprintf(dm, sizeof dm, "%s/data.mdb", raw);
    assert_int_equal(mkdir(raw, 0755), 0);
    MDB_env *e;
    MDB_txn *t;
    MDB_dbi d;
    assert_int_equal(mdb_env_create(&e), 0);
    assert_int_equal(mdb_env_set_mapsize(e, (size_t)1 << 32), 0);
    assert_int_equal(mdb_env_open(e, raw, MDB_NOSYNC, 0644), 0);
    assert_int_equal(mdb_txn_begin(e, NULL, 0, &t), 0);
    assert_int_equal(mdb_dbi_open(t, NULL, 0, &d), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    static char buf[110000];
    memset(buf, 'v', sizeof buf);
    uint64_t x = 7, last = 0, pages = 0, psize = 4096;
    int it;
#define RND() (x = x * 6364136223846793005u + 1442695040888963407u, (unsigned)(x >> 33))
    for (it = 0; it < 2000; it++) {
        assert_int_equal(mdb_txn_begin(e, NULL, 0, &t), 0);
        unsigned nops = RND() % 4 == 0 ? 1 + RND() % 300 : 1, mode = RND() % 3;
        for (unsigned o = 0; o < nops; o++) {
            char k[64];
            unsigned kn = RND() % 3000;
            snprintf(k, sizeof k, "k/%05u/%u", kn, kn % 7);
            MDB_val K = {strlen(k), k};
            if (mode == 2 || RND() % 10 < 3) {
                int rc = mdb_del(t, d, &K, NULL);
                assert_true(rc == 0 || rc == MDB_NOTFOUND);
            } else {
                size_t sz = RND() % 20 == 0 ? 5000 + RND() % 100000 : 100 + RND() % 3000;
                MDB_val V = {sz, buf};
                assert_int_equal(mdb_put(t, d, &K, &V, 0), 0);
            }
        }
        assert_int_equal(mdb_txn_commit(t), 0);
        MDB_envinfo in;
        MDB_stat st;
        mdb_env_info(e, &in);
        mdb_env_stat(e, &st);
        last = in.me_last_pgno;
        psize = st.ms_psize;
        pages = (uint64_t)file_size(dm) / psize;
        if (pages <= last)
            break;
    }
#undef RND
    mdb_env_close(e);
    print_message("  after %d transactions: %llu pages in the file, the last in use %llu\n",
                  it + 1, (unsigned long long)pages, (unsigned long long)last);
    assert_true(pages <= last); /* the state this case is about */
    snprintf(url, sizeof url, "%s:%s", cf_be->name, raw);
    cairn_store *s = NULL;
    int rc = cairn_store_open(url, NULL, &s);
    if (rc)
        fail_msg("open %s: %s: %s", url, cairn_strerror(rc), cairn_errmsg());
    cairn_store_close(s);
    /* cut into the pages in use: refused */
    assert_int_equal(truncate(dm, (off_t)(pages / 2 * psize)), 0);
    expect_corrupt(url, NULL, (const char *const[]){"truncated", NULL});
#endif
}

/* 15.17: a full disk is CAIRN_EFULL ("store is full"), as on file and
 * sqlite, not "I/O error" (LMDB reports a write cut short as EIO). On a
 * 2 MiB tmpfs, mounted in a mount namespace of the case's own process so
 * that it goes away with it; skipped where that needs a root it has not. */
static void lmdb_disk_full(void **state)
{
    cf_fx *fx = FX(state);
    if (!on_lmdb())
        tr_skip("LMDB's full disk (file and sqlite: CAIRN_EFULL from their own errno)");
    char small[PATH_MAX + 16], url[PATH_MAX + 64];
    snprintf(small, sizeof small, "%s/small", fx->dir);
    assert_int_equal(mkdir(small, 0755), 0);
    if (getenv("CAIRN_TEST_NOFORK"))
        tr_skip("needs its own process (CAIRN_TEST_NOFORK is set)");
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", small, "tmpfs", 0, "size=2m") != 0)
        tr_skip("cannot mount a 2 MiB tmpfs (needs root): %s", strerror(errno));
    snprintf(url, sizeof url, "%s:%s/store", cf_be->name, small);
    cairn_store *t = NULL;
    assert_ok(cairn_store_open(url, NULL, &t));
    unsigned char *val = malloc(100000);
    assert_non_null(val);
    cairn_put_opts o = {.format = CAIRN_FORMAT_BYTES};
    int rc = CAIRN_OK, i;
    for (i = 0; i < 100 && rc == CAIRN_OK; i++) {
        char key[16];
        snprintf(key, sizeof key, "v/%d", i);
        noise(val, 100000, (unsigned)i);
        rc = cairn_put(t, key, val, 100000, &o);
    }
    print_message("  put %d: %s: %s\n", i - 1, cairn_strerror(rc), cairn_errmsg());
    assert_rc(rc, CAIRN_EFULL);
    assert_errmsg_has("no space left");
    /* what was stored before is still there, whole */
    noise(val, 100000, 0);
    cf_expect_value(t, "v/0", val, 100000);
    cairn_store_close(t);
    free(val);
    umount2(small, MNT_DETACH);
}

/* 15.17: the end of a map that cannot grow enough is CAIRN_EFULL too. */
static void lmdb_map_full(void **state)
{
    cf_fx *fx = FX(state);
    if (!on_lmdb())
        tr_skip("LMDB's map size (map_size is an lmdb option)");
    cairn_options o = {.map_size = 64 * 1024}; /* grows 8 times: 16 MiB at most */
    cf_reopen(fx, &o);
    size_t len = 20u << 20;
    unsigned char *val = malloc(len);
    assert_non_null(val);
    noise(val, len, 3);
    cairn_put_opts po = {.format = CAIRN_FORMAT_BYTES};
    assert_rc(cairn_put(fx->s, "big", val, len, &po), CAIRN_EFULL);
    assert_errmsg_has("map full");
    assert_rc(cairn_exists(fx->s, "big"), CAIRN_ENOTFOUND);
    assert_ok(cairn_put(fx->s, "small", val, 1000, &po));
    free(val);
}

/* What the processes of lmdb_open_while_written share (MAP_SHARED). */
typedef struct {
    atomic_uint failed;
    atomic_flag noted;
    char first[512];
} open_race;

/* Opens while other processes create the store and grow it: the check of
 * data.mdb at open must never take a file in the middle of a creation or
 * of a commit for a damaged one (it did, now and then, under the
 * procs_ cases: "is truncated: 45056 bytes, but its meta page says ...").
 * Two writers put 32 KiB records (each commit grows the file and moves a
 * meta page) while four processes open and close the store in a loop,
 * all starting together on a store that is not there yet. */
static void lmdb_open_while_written(void **state)
{
    cf_fx *fx = FX(state);
    if (!on_lmdb())
        tr_skip("the check of data.mdb at open is LMDB's");
    enum { WRITERS = 2, OPENERS = 4, PUTS = 150, OPENS = 150 };
    char url[PATH_MAX + 32];
    snprintf(url, sizeof url, "%s%s/race", !strncmp(fx->url, "tiered:", 7) ? "tiered:lmdb:"
                                                                              : "lmdb:",
             fx->dir);
    open_race *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                        -1, 0);
    assert_true(r != MAP_FAILED);
    atomic_flag_clear(&r->noted);
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t pid[WRITERS + OPENERS];
    for (int i = 0; i < WRITERS + OPENERS; i++) {
        fflush(stdout);
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i])
            continue;
        tr_child_defaults();
        close(gate[1]);
        char c;
        while (read(gate[0], &c, 1) < 0)
            ;
        static unsigned char val[32768];
        noise(val, sizeof val, (unsigned)i);
        cairn_put_opts po = {.format = CAIRN_FORMAT_BYTES};
        for (int n = 0; n < (i < WRITERS ? 1 : OPENS); n++) {
            cairn_store *s = NULL;
            int rc = cairn_store_open(url, NULL, &s);
            for (int k = 0; !rc && i < WRITERS && k < PUTS; k++) {
                char key[32];
                snprintf(key, sizeof key, "w%d/%d", i, k);
                rc = cairn_put(s, key, val, sizeof val, &po);
            }
            if (rc) {
                atomic_fetch_add(&r->failed, 1);
                if (!atomic_flag_test_and_set(&r->noted))
                    snprintf(r->first, sizeof r->first, "%s %s: %s",
                             i < WRITERS ? "writer" : "opener", cairn_strerror(rc),
                             cairn_errmsg());
            }
            cairn_store_close(s);
        }
        _exit(0);
    }
    close(gate[0]);
    close(gate[1]); /* go */
    for (int i = 0; i < WRITERS + OPENERS; i++) {
        int st;
        assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail_msg("process %d died (status 0x%x)", i, st);
    }
    if (atomic_load(&r->failed))
        fail_msg("%u opens or puts failed; first: %s", atomic_load(&r->failed), r->first);
    cairn_store *s = NULL;
    assert_ok(cairn_store_open(url, NULL, &s));
    uint64_t n = 0;
    assert_ok(cairn_count(s, "w0", &n));
    assert_int_equal(n, PUTS);
    cairn_store_close(s);
    munmap(r, sizeof *r);
}

const tr_case cf_damage_cases[] = {
    TR_CASE(lmdb_truncated_file, TR_PERSISTENT, 0),
    TR_CASE(empty_store_file, TR_PERSISTENT, 0),
    TR_CASE(lmdb_meta_fallback, TR_PERSISTENT, 0),
    TR_CASE(lmdb_short_tail_opens, TR_PERSISTENT, 120),
    TR_CASE(lmdb_disk_full, TR_PERSISTENT, 0),
    TR_CASE(lmdb_map_full, TR_PERSISTENT, 0),
    TR_CASE(lmdb_open_while_written, TR_PERSISTENT, 120),
};
const size_t cf_damage_ncases = CF_NCASES(cf_damage_cases);
