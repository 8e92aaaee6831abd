/*
 * lmdb_check.c — what the lmdb backend checks of DIR/data.mdb before LMDB
 * maps it (a truncated, empty or fallen-back file), and the record of the
 * last commit, DIR/cairn.txnid, that the check compares with.
 * docs/backends.md, "Damage found at open", says the same for users.
 */
#define _GNU_SOURCE /* F_OFD_SETLKW */
#include "backend/lmdb_check.h"
#include "base/error.h"
#include "base/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- data.mdb checked before LMDB maps it ----
 *
 * LMDB trusts its file. A page the tree points to past the end of a
 * truncated data.mdb is read through the map and kills the process with
 * SIGBUS; an empty data.mdb is taken for a new environment and written; a
 * damaged newer meta page makes LMDB fall back to the older one without a
 * word. So before mdb_env_open the two meta pages are read with pread and
 * checked (docs/backends.md, "Damage found at open"). Their layout (LMDB
 * 0.9, mdb.c; native byte order): a page header of 16 bytes (pgno 8, pad 2,
 * flags 2, lower 2, upper 2), then MDB_meta: magic u32 at 16, version u32
 * at 20, address 24, map size 32, the free DB's MDB_db at 40 (page size
 * u32 at +0, root at +40), the main DB's at 88, last_pg at 136, txnid at
 * 144. Transaction N writes meta page N % 2. */
#define PG_HDR 16
#define META_LEN 152
/* The offsets above are those of 64-bit builds (8-byte pgno_t, size_t and
 * pointers); elsewhere only the empty file is checked. */
#define META_LAYOUT_KNOWN (SIZE_MAX == UINT64_MAX && UINTPTR_MAX == UINT64_MAX)
#define LM_MAGIC 0xBEEFC0DEu
#define PG_BRANCH 0x01
#define PG_LEAF 0x02
#define PG_META 0x08
#define NODE_BIG 0x01            /* F_BIGDATA: the data is on overflow pages */
#define NO_PAGE (~(uint64_t)0)   /* an empty tree's root */
#define WALK_DEPTH 32            /* LMDB's cursor stack holds 32 levels */
#define SHORT_MAX ((uint64_t)1 << 24) /* pages past the end worth a look */

typedef struct {
    unsigned char raw[META_LEN];
    uint32_t psize;
    uint64_t free_root, last_pg, txnid;
} meta_page;

static uint16_t rd16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Read the meta page at off; false when it is not an LMDB meta page (then
 * mdb_env_open refuses the file with its own message). */
static bool meta_read(int fd, off_t off, meta_page *m)
{
    if (pread(fd, m->raw, META_LEN, off) != META_LEN)
        return false;
    if (!(rd16(m->raw + 10) & PG_META) || rd32(m->raw + 16) != LM_MAGIC ||
        rd32(m->raw + 20) != 1)
        return false;
    m->psize = rd32(m->raw + 40);
    m->free_root = rd64(m->raw + 80);
    m->last_pg = rd64(m->raw + 136);
    m->txnid = rd64(m->raw + 144);
    return true;
}

/* A healthy data.mdb may end before its last page: LMDB does not write a
 * page that a transaction allocated and freed again, and lists it as free.
 * So the pages past the end must all be in the free DB, which is read here
 * with pread (never through a map). */
typedef struct {
    int fd;
    uint32_t psize;
    uint64_t fpages;        /* whole pages in the file */
    uint64_t first, n;      /* the pages past the end */
    unsigned char *seen;    /* one bit each */
    uint64_t found;
} free_walk;

static void walk_idl(free_walk *w, const unsigned char *idl, size_t len)
{
    if (len < 8)
        return;
    uint64_t cnt = rd64(idl);
    if (cnt > len / 8 - 1)
        cnt = len / 8 - 1;
    for (uint64_t i = 1; i <= cnt; i++) {
        uint64_t b = rd64(idl + 8 * i) - w->first;
        if (b < w->n && !(w->seen[b / 8] & (1u << (b % 8)))) {
            w->seen[b / 8] |= (unsigned char)(1u << (b % 8));
            w->found++;
        }
    }
}

/* Walk the free DB's page pgno; false when it cannot be read in the file. */
static bool walk_page(free_walk *w, uint64_t pgno, int depth)
{
    if (pgno >= w->fpages || depth > WALK_DEPTH)
        return false;
    unsigned char *pg = malloc(w->psize);
    bool ok = pg && pread(w->fd, pg, w->psize, (off_t)(pgno * w->psize)) == (ssize_t)w->psize;
    unsigned flags = ok ? rd16(pg + 10) : 0, lower = ok ? rd16(pg + 12) : 0;
    ok = ok && lower >= PG_HDR && lower <= w->psize && (flags & (PG_BRANCH | PG_LEAF));
    for (size_t i = 0; ok && i < (lower - PG_HDR) / 2u && w->found < w->n; i++) {
        size_t at = rd16(pg + PG_HDR + 2 * i);
        if (at < PG_HDR || at + 8 > w->psize) {
            ok = false;
            break;
        }
        const unsigned char *nd = pg + at;
        uint64_t lo = rd16(nd), hi = rd16(nd + 2), nf = rd16(nd + 4);
        size_t data = at + 8 + rd16(nd + 6), dsize = (size_t)(lo | hi << 16);
        if (flags & PG_BRANCH) {
            ok = walk_page(w, lo | hi << 16 | nf << 32, depth + 1);
        } else if (!(nf & NODE_BIG)) {
            ok = data + dsize <= w->psize;
            if (ok)
                walk_idl(w, pg + data, dsize);
        } else {
            uint64_t op = data + 8 <= w->psize ? rd64(pg + data) : NO_PAGE;
            uint64_t pages = (PG_HDR + (uint64_t)dsize + w->psize - 1) / w->psize;
            unsigned char *idl = NULL;
            ok = op < w->fpages && pages <= w->fpages - op && (idl = malloc(dsize + 1)) &&
                 pread(w->fd, idl, dsize, (off_t)(op * w->psize + PG_HDR)) == (ssize_t)dsize;
            if (ok)
                walk_idl(w, idl, dsize);
            free(idl);
        }
    }
    free(pg);
    return ok;
}

/* Are the pages from fpages to last_pg all free? */
static bool tail_free(int fd, const meta_page *m, uint64_t fpages)
{
    free_walk w = {.fd = fd, .psize = m->psize, .fpages = fpages, .first = fpages,
                   .n = m->last_pg + 1 - fpages};
    if (w.n > SHORT_MAX || m->free_root == NO_PAGE)
        return false;
    if (!(w.seen = calloc(w.n / 8 + 1, 1)))
        return false;
    bool ok = walk_page(&w, m->free_root, 0) && w.found == w.n;
    free(w.seen);
    return ok;
}

/* ---- the last commit, recorded beside data.mdb ----
 *
 * DIR/cairn.txnid holds the id of the newest transaction a cairn writer saw
 * committed, written (one pwrite) after each commit; an open that finds
 * LMDB's newest meta page older than it reports the store as damaged.
 * Written after the commit, it can only lag behind LMDB (a kill -9 between
 * the two, or writers racing), never run ahead, except across a power loss
 * that undid commits LMDB had not synced: a record is marked with the boot
 * it was written in, and only a record of a synced commit (durability full,
 * or after the last close's flush) counts after a reboot. data.mdb's inode
 * is in it too, so a file moved into place starts afresh. */
#define TXREC_NAME "cairn.txnid"
typedef struct {
    char magic[8];           /* "cairntx1" */
    uint64_t txnid;
    uint64_t ino;            /* of data.mdb */
    unsigned char boot[16];  /* the boot it holds for; zeros: synced, any boot */
    uint64_t check;          /* cairn__hash of the bytes before */
} txrec;

struct cairn__lmdb_txrec {
    txrec r;
};

static unsigned char g_boot[16]; /* this boot's id; all 0xff when unknown */

void cairn__lmdb_boot_init(void)
{
    memset(g_boot, 0xff, sizeof g_boot);
    char id[64] = {0};
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (!f)
        return;
    bool ok = fgets(id, sizeof id, f) != NULL;
    fclose(f);
    unsigned char b[16];
    int n = 0;
    for (const char *p = id; ok && *p && *p != '\n' && n < 32; p++) {
        int v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (*p == '-')
            continue;
        if (v < 0)
            return;
        b[n / 2] = (unsigned char)(n % 2 ? b[n / 2] | v : v << 4);
        n++;
    }
    if (n == 32)
        memcpy(g_boot, b, sizeof b);
}

static bool boot_known(void)
{
    for (size_t i = 0; i < sizeof g_boot; i++)
        if (g_boot[i] != 0xff)
            return true;
    return false;
}

/* The recorded txnid that applies to data.mdb of inode ino, if any. */
static bool txrec_read(const char *dir, ino_t ino, uint64_t *txnid)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/" TXREC_NAME, dir);
    int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return false;
    txrec r;
    static const unsigned char zeros[16];
    bool ok = pread(fd, &r, sizeof r, 0) == (ssize_t)sizeof r &&
              !memcmp(r.magic, "cairntx1", 8) &&
              r.check == cairn__hash(&r, offsetof(txrec, check)) && r.ino == (uint64_t)ino &&
              (!memcmp(r.boot, zeros, 16) || (boot_known() && !memcmp(r.boot, g_boot, 16)));
    close(fd);
    if (ok)
        *txnid = r.txnid;
    return ok;
}

/* Wait until no process holds lock.mdb's byte 0 exclusively: LMDB holds
 * it so while it creates a store (from before data.mdb exists until both
 * meta pages are written), so a file caught in the middle of that looks
 * empty or torn. A shared open-file-description lock leaves this
 * process's own fcntl locks alone. False when there is no lock file. */
static bool wait_creator(const char *dir)
{
    char lk[PATH_MAX];
    snprintf(lk, sizeof lk, "%s/lock.mdb", dir);
    int lfd = open(lk, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (lfd < 0)
        return false;
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1};
    while (fcntl(lfd, F_OFD_SETLKW, &fl) && errno == EINTR)
        ;
    close(lfd); /* releases the lock */
    return true;
}

/* The checks of cairn__lmdb_check on the open data.mdb fd. *seen gets
 * the newest transaction id and the file size it looked at, so a caller
 * can tell a file that changed under it from one that stays damaged. */
static int check_file(const char *dir, const char *dm, int fd, uint64_t seen[2])
{
    struct stat st;
    if (fstat(fd, &st))
        return CAIRN_OK; /* LMDB's open reports it */
    if (st.st_size == 0)
        return cairn_backend_error(CAIRN_ECORRUPT,
                                   "lmdb %s: %s is empty (0 bytes): the store file is "
                                   "truncated (move it away to start a new store)",
                                   dir, dm);
    uint64_t rec = 0;
    bool have_rec = txrec_read(dir, st.st_ino, &rec); /* before the metas: see above */
    meta_page m[2];
    if (!META_LAYOUT_KNOWN || !meta_read(fd, 0, &m[0]))
        return CAIRN_OK;
    uint32_t ps = m[0].psize;
    if (ps < 512 || ps > 65536 || (ps & (ps - 1))) {
        return cairn_backend_error(CAIRN_ECORRUPT,
                                   "lmdb %s: %s: the meta page is damaged (page size %u)", dir,
                                   dm, ps);
    }
    if ((uint64_t)st.st_size < 2 * (uint64_t)ps) {
        return cairn_backend_error(CAIRN_ECORRUPT,
                                   "lmdb %s: %s is truncated: %lld bytes, shorter than its two "
                                   "meta pages (%u bytes)",
                                   dir, dm, (long long)st.st_size, 2 * ps);
    }
    if (!meta_read(fd, ps, &m[1]))
        return CAIRN_OK;
    seen[0] = m[0].txnid > m[1].txnid ? m[0].txnid : m[1].txnid;
    seen[1] = (uint64_t)st.st_size;
    /* Both still as created (transaction 0), or page N holds an N % 2. */
    bool fresh = m[0].txnid == 0 && m[1].txnid == 0;
    if (fresh ? memcmp(m[0].raw + PG_HDR, m[1].raw + PG_HDR, META_LEN - PG_HDR) != 0
              : (m[0].txnid & 1) != 0 || (m[1].txnid & 1) != 1) {
        return cairn_backend_error(CAIRN_ECORRUPT,
                                   "lmdb %s: %s: a meta page is damaged (page 0 says "
                                   "transaction %llu, page 1 says %llu; transaction N is "
                                   "always on page N %% 2): LMDB would fall back to an older "
                                   "snapshot",
                                   dir, dm, (unsigned long long)m[0].txnid,
                                   (unsigned long long)m[1].txnid);
    }
    const meta_page *nw = m[1].txnid > m[0].txnid ? &m[1] : &m[0]; /* LMDB's pick */
    if (have_rec && nw->txnid < rec) {
        return cairn_backend_error(CAIRN_ECORRUPT,
                                   "lmdb %s: %s shows transaction %llu, older than the commit "
                                   "of transaction %llu that cairn recorded in %s/" TXREC_NAME
                                   ": a damaged meta page made LMDB fall back to an older "
                                   "snapshot, or data.mdb was overwritten with an older copy "
                                   "(if you restored it on purpose, remove " TXREC_NAME ")",
                                   dir, dm, (unsigned long long)nw->txnid,
                                   (unsigned long long)rec, dir);
    }
    /* A writer extends the file before it writes a meta page, so a size
     * taken after the metas were read covers what they describe. */
    if (fstat(fd, &st))
        return CAIRN_OK;
    seen[0] = nw->txnid;
    seen[1] = (uint64_t)st.st_size;
    uint64_t fpages = (uint64_t)st.st_size / ps;
    if (nw->last_pg >= fpages && !tail_free(fd, nw, fpages)) {
        char need[32] = "?";
        if (nw->last_pg < UINT64_MAX / ps)
            snprintf(need, sizeof need, "%llu", (unsigned long long)((nw->last_pg + 1) * ps));
        return cairn_backend_error(CAIRN_ECORRUPT,
                                   "lmdb %s: %s is truncated: %lld bytes, but its meta page "
                                   "says the store uses %s bytes (pages 0 to %llu of %u bytes)",
                                   dir, dm, (long long)st.st_size, need,
                                   (unsigned long long)nw->last_pg, ps);
    }
    return CAIRN_OK;
}

int cairn__lmdb_check(const char *dir)
{
    char dm[PATH_MAX];
    snprintf(dm, sizeof dm, "%s/data.mdb", dir);
    int fd = open(dm, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (fd < 0 && errno == ENOENT) { /* a record of a removed data.mdb is void */
            char p[PATH_MAX];
            snprintf(p, sizeof p, "%s/" TXREC_NAME, dir);
            unlink(p);
        }
        if (fd >= 0)
            close(fd);
        return CAIRN_OK;
    }
    /* A verdict of damage may have caught a store being created, or pages
     * a writer reused while they were read: once any creator is done, look
     * again, and report damage only when two looks at an unchanged file
     * agree. A file that keeps changing is being written by a live LMDB,
     * which is left to judge it. */
    uint64_t seen[2] = {0}, prev[2] = {0};
    int rc = check_file(dir, dm, fd, seen);
    for (int i = 0; rc == CAIRN_ECORRUPT && i < 8; i++) {
        memcpy(prev, seen, sizeof prev);
        bool creator = wait_creator(dir);
        rc = check_file(dir, dm, fd, seen);
        if (!creator || (seen[0] == prev[0] && seen[1] == prev[1]))
            break;
    }
    if (rc == CAIRN_ECORRUPT && (seen[0] != prev[0] || seen[1] != prev[1]))
        rc = CAIRN_OK;
    close(fd);
    return rc;
}

void cairn__lmdb_txrec_note(cairn__lmdb_txrec *rec, uint64_t ino, bool durable, uint64_t txnid)
{
    txrec r = {.txnid = txnid, .ino = ino};
    memcpy(r.magic, "cairntx1", sizeof r.magic);
    if (!durable)
        memcpy(r.boot, g_boot, sizeof r.boot);
    r.check = cairn__hash(&r, offsetof(txrec, check));
    /* A store to the map, no system call (a pwrite cost as much as a
     * third of a put here). Writers racing may tear it: then its check
     * fails and the record is ignored, as one a crash left behind. */
    memcpy(rec, &r, sizeof r);
}

cairn__lmdb_txrec *cairn__lmdb_txrec_map(const char *dir, bool must_exist)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/" TXREC_NAME, dir);
    int fd = open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (must_exist ? 0 : O_CREAT),
                  0666);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *m = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (st.st_size >= (off_t)sizeof(txrec) || ftruncate(fd, sizeof(txrec)) == 0))
        m = mmap(NULL, sizeof(txrec), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return m == MAP_FAILED ? NULL : m;
}

void cairn__lmdb_txrec_unmap(cairn__lmdb_txrec *rec)
{
    if (rec)
        munmap(rec, sizeof(txrec));
}

