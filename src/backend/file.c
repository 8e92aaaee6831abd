/*
 * file.c — the directory backend: one file per record in folders that mirror
 * the key, written by temp file + rename, serialised by striped fcntl locks.
 *
 * Layout (docs/backends.md, "file", says the same for users):
 *   DIR/runs/2026-11/items/4711.rec   the record of key runs/2026-11/items/4711
 *   DIR/.cairn/locks                  64 one-byte lock stripes
 *   DIR/<dir>/.t<16 hex>.tmp          a record being written (or left by a crash)
 * Segments are escaped so that no key can reach a dot-name and a file never
 * shares its name with a folder: a leading '.' and the '.' of a segment that
 * ends in ".rec" get a backslash before them (keys never hold one). Files
 * are "<escaped>.rec", folders "<escaped>".
 *
 * Every path below DIR is resolved without following a symbolic link
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or a walk with O_NOFOLLOW
 * per folder), records are opened without blocking and must be regular
 * files, and a folder holding its own .cairn/ is another store, never a
 * part of this one's key space.
 */
#define _GNU_SOURCE /* F_OFD_SETLK */

#include "backend/backends.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/hash.h"
#include "base/json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#include <sys/syscall.h>
#if defined(SYS_openat2) && defined(RESOLVE_BENEATH) && defined(RESOLVE_NO_SYMLINKS)
#define HAVE_OPENAT2 1
#endif
#endif
#endif

#define SUFFIX ".rec"
#define SUFFIX_LEN 4
#define STRIPES 64
#define NAME_LIM 255 /* NAME_MAX on Linux file systems */
/* Escaping adds at most two bytes per segment, the suffix four. */
#define PATH_CAP (3 * CAIRN_KEY_MAX + 64)
#define TMP_NAME_LEN 22          /* ".t" + 16 hex + ".tmp" */
#define MKDIR_RETRIES 100        /* against deleters removing empty folders */
#define NEST_SLOTS 256           /* check_nested()'s memory of folders */
#define NEST_TTL_MS 1000         /* how long gets trust it */
#define KEEP_DIRS 16             /* batches up to this many keep folders open */
#define MARK ".cairn"            /* the folder that makes DIR a store */
#define E_NOTREG (-1)            /* lock_errno: .cairn/locks is not a regular file */

/* 1: resolve paths with openat2() where the kernel has it (Linux 5.6+);
 * 0: always walk folder by folder. The walk is the fallback when openat2
 * answers ENOSYS; the tests set 0 to run the walk on any kernel. */
int cairn__file_openat2 = 1;

typedef struct {
    int root;        /* fd of DIR; every path below is relative to it */
    int lockfd;      /* DIR/.cairn/locks, -1 when the store is read-only */
    int lock_errno;  /* why lockfd is -1 */
    pid_t pid;       /* process that opened lockfd (see ensure_lockfd) */
    pthread_mutex_t fork_mu;
    char *dir;       /* DIR as given, for messages */
    cairn_durability durability;
    int64_t busy_ms;
    pthread_mutex_t stripe[STRIPES];
    bool anon_ok;    /* /proc/self/fd is there: new records may use O_TMPFILE */
    /* Folders check_nested() found to be no store's root lately, for gets
     * (see there): each slot the top 32 bits of the folder path's hash and
     * the low 32 bits of mono_ms() at the check. */
    uint64_t nest_ok[NEST_SLOTS];
} fstore;

/* ---- errors ---- */

static int link_err(const fstore *fs, const char *rel);

/* An OS error on path (relative to DIR) as a cairn status and message.
 * write_path: ENOENT on a write path is an I/O problem, not "not found".
 * ELOOP: a symbolic link on the way (nothing here follows one). */
static int os_err(const fstore *fs, const char *what, const char *rel, int e,
                  bool write_path)
{
    if (e == ELOOP)
        return link_err(fs, rel);
    int st = (write_path && (e == ENOENT || e == ENOTDIR)) ? CAIRN_EIO
                                                            : cairn__errno_status(e);
    return cairn_backend_error(st, "file: %s %s/%s: %s", what, fs->dir,
                               rel && *rel ? rel : ".", strerror(e));
}

/* A symbolic link on the way to rel: name the first one. cairn never makes
 * one, and one planted in the store (to another store, to /etc) would lead
 * reads and writes out of it. CAIRN_ECORRUPT, as anything else in the
 * store's layout that cairn did not write (a FIFO where a record belongs). */
static int link_err(const fstore *fs, const char *rel)
{
    char sub[PATH_CAP];
    size_t n = strlen(rel);
    if (n >= sizeof sub)
        n = sizeof sub - 1;
    memcpy(sub, rel, n);
    sub[n] = '\0';
    for (size_t i = 1; i <= n; i++) {
        if (i < n && sub[i] != '/')
            continue;
        sub[i] = '\0';
        struct stat st;
        bool lnk = fstatat(fs->root, sub, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        if (lnk)
            return cairn_backend_error(CAIRN_ECORRUPT,
                                       "file: %s/%s is a symbolic link: refusing a symbolic "
                                       "link inside the store (cairn never makes one)",
                                       fs->dir, sub);
        if (i < n)
            sub[i] = '/';
    }
    return cairn_backend_error(CAIRN_ECORRUPT,
                               "file: %s/%s: refusing a symbolic link on the way (cairn "
                               "never makes one)",
                               fs->dir, rel);
}

static int not_regular(const fstore *fs, const char *rel, mode_t mode)
{
    return cairn_backend_error(CAIRN_ECORRUPT, "file: %s/%s is not a regular file (%s)",
                               fs->dir, rel,
                               S_ISFIFO(mode)   ? "a FIFO"
                               : S_ISDIR(mode)  ? "a folder"
                               : S_ISSOCK(mode) ? "a socket"
                               : S_ISLNK(mode)  ? "a symbolic link"
                                                : "a device");
}

/* ---- resolving paths beneath DIR ---- */

/* errno of a failed openat(dfd, name, ... O_NOFOLLOW ...): ELOOP when name
 * is a symbolic link (O_DIRECTORY | O_NOFOLLOW says ENOTDIR for one). */
static int nofollow_errno(int dfd, const char *name, int e)
{
    struct stat st;
    if (e == ENOTDIR && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        return ELOOP;
    return e;
}

/* Open rel from root one folder at a time, each with O_NOFOLLOW. */
static int walk_beneath(int root, const char *rel, int flags, mode_t mode)
{
    int cur = root, fd = -1, e = 0;
    const char *p = rel;
    for (const char *slash; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
        char comp[NAME_LIM + 1];
        size_t n = (size_t)(slash - p);
        if (n == 0 || n > NAME_LIM) {
            e = n ? ENAMETOOLONG : ENOENT;
            goto out;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            e = nofollow_errno(cur, comp, errno);
            goto out;
        }
        if (cur != root)
            close(cur);
        cur = next;
    }
    fd = openat(cur, p, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        e = nofollow_errno(cur, p, errno);
out:
    if (cur != root)
        close(cur);
    if (fd < 0)
        errno = e;
    return fd;
}

static int open_beneath_once(const fstore *fs, const char *rel, int flags, mode_t mode);

/* openat(DIR, rel, flags, mode), but never through a symbolic link (ELOOP
 * when there is one) and never out of DIR. -1 with errno on failure. */
static int open_beneath(const fstore *fs, const char *rel, int flags, mode_t mode)
{
    int fd = open_beneath_once(fs, rel, flags, mode);
    /* O_DIRECTORY | O_NOFOLLOW on a link says ENOTDIR: say ELOOP. Links
     * before the last name gave ELOOP already. */
    if (fd < 0 && errno == ENOTDIR && (flags & O_DIRECTORY))
        errno = nofollow_errno(fs->root, rel, ENOTDIR);
    return fd;
}

static int open_beneath_once(const fstore *fs, const char *rel, int flags, mode_t mode)
{
#ifdef HAVE_OPENAT2
    if (__atomic_load_n(&cairn__file_openat2, __ATOMIC_RELAXED)) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = (uint64_t)(unsigned)(flags | O_NOFOLLOW | O_CLOEXEC);
        if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
            how.mode = mode;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        long fd;
        int tries = 0;
        /* EAGAIN: a rename elsewhere raced the lookup; the kernel asks us
         * to try again. */
        while ((fd = syscall(SYS_openat2, fs->root, rel, &how, sizeof how)) < 0 &&
               (errno == EAGAIN || errno == EINTR) && ++tries < 16)
            ;
        if (fd >= 0)
            return (int)fd;
        if (errno == ENOSYS)
            __atomic_store_n(&cairn__file_openat2, 0, __ATOMIC_RELAXED);
        /* EPERM may be a seccomp filter that does not know openat2: the
         * walk says whether it is real. */
        else if (errno != EPERM && errno != EAGAIN)
            return -1;
    }
#endif
    return walk_beneath(fs->root, rel, flags, mode);
}

static int64_t mono_ms(void);

/* Is a folder on the way to a record, path[0..dirlen), the root of another
 * store (it holds its own .cairn/)? Its records and its _cairn/ registry
 * are that store's: a store copied into a folder of this one must not be
 * read, overwritten or deleted through this one. CAIRN_EKEY when it is.
 *
 * A stat per folder costs a get about half again (3 on the benchmark's
 * keys), so a get (cached) trusts a folder found clean in the last
 * NEST_TTL_MS: a store copied in is refused to gets at most that long
 * after it appeared. Writes and deletes always look, and listings never
 * enter such a folder. */
static int check_nested(fstore *fs, const char *path, size_t dirlen, bool cached)
{
    if (dirlen == 0)
        return CAIRN_OK;
    uint64_t h = cairn__hash(path, dirlen);
    uint64_t *slot = &fs->nest_ok[h % NEST_SLOTS];
    uint32_t now = (uint32_t)mono_ms();
    if (cached) {
        uint64_t v = __atomic_load_n(slot, __ATOMIC_RELAXED);
        if (v >> 32 == h >> 32 && now - (uint32_t)v < NEST_TTL_MS)
            return CAIRN_OK;
    }
    char sub[PATH_CAP];
    for (size_t i = 0; i < dirlen;) {
        size_t j = i;
        while (j < dirlen && path[j] != '/')
            j++;
        memcpy(sub, path, j);
        memcpy(sub + j, "/" MARK, sizeof MARK + 1);
        struct stat st;
        if (fstatat(fs->root, sub, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            __atomic_store_n(slot, 0, __ATOMIC_RELAXED);
            return cairn_backend_error(CAIRN_EKEY,
                                       "file: %s/%.*s is another cairn store (it has its "
                                       "own %s/): its records are not keys of this one",
                                       fs->dir, (int)j, path, MARK);
        }
        i = j + 1;
    }
    __atomic_store_n(slot, (h >> 32 << 32) | now, __ATOMIC_RELAXED);
    return CAIRN_OK;
}

/* ---- names ---- */

/* Append the escaped form of seg to out at *pos. Returns the escaped
 * length, or 0 when it would not fit in cap. The escape character is a
 * backslash, which keys never contain, so escaping grows a segment by at
 * most two bytes and any key segment (CAIRN_SEGMENT_MAX) fits a file name. */
static size_t esc_append(char *out, size_t cap, size_t *pos, const char *seg,
                         size_t sl)
{
    size_t p = *pos, start = p;
    if (p + sl + 2 >= cap)
        return 0;
    if (sl && seg[0] == '.')
        out[p++] = '\\';
    memcpy(out + p, seg, sl);
    p += sl;
    /* "x.rec" would be the file of key "x": escape its dot. */
    if (p - start > SUFFIX_LEN && memcmp(out + p - SUFFIX_LEN, SUFFIX, SUFFIX_LEN) == 0 &&
        out[p - SUFFIX_LEN - 1] != '\\') {
        memmove(out + p - SUFFIX_LEN + 1, out + p - SUFFIX_LEN, SUFFIX_LEN);
        out[p - SUFFIX_LEN] = '\\';
        p++;
    }
    *pos = p;
    return p - start;
}

/* Decode a directory entry name (without the file suffix) back to a key
 * segment. False for any name the escaper would not have produced, so
 * foreign files and folders stay out of the key space. */
static bool unesc(const char *name, size_t nl, char *seg, size_t *sl)
{
    size_t n = 0;
    for (size_t i = 0; i < nl; i++) {
        if (name[i] == '\\') {
            if (i + 1 >= nl || name[i + 1] != '.')
                return false;
            i++;
        }
        if (n >= CAIRN_SEGMENT_MAX)
            return false;
        seg[n++] = name[i];
    }
    if (n == 0 || n > CAIRN_SEGMENT_MAX)
        return false;
    if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)seg[i];
        if (c < 0x20 || c == 0x7F || c == '\\' || c == '/')
            return false;
    }
    if (!cairn__utf8_valid(seg, n, NULL))
        return false;
    /* Only the canonical spelling is a key: "%41" on disk is not "A". */
    char re[NAME_LIM + 8];
    size_t rl = 0;
    if (!esc_append(re, sizeof re, &rl, seg, n) || rl != nl || memcmp(re, name, nl) != 0)
        return false;
    *sl = n;
    return true;
}

/* The path of key's record relative to DIR: "esc1/esc2/escN.rec".
 * *dirlen receives the length of the folder part ("esc1/esc2"; 0 at the
 * top). CAIRN_EKEY when a name would exceed NAME_MAX. */
static int key_path(const char *key, size_t klen, char *path, size_t *dirlen)
{
    size_t pos = 0, seg0 = 0, nseg = 0;
    *dirlen = 0;
    for (size_t i = 0; i <= klen; i++) {
        if (i < klen && key[i] != '/')
            continue;
        size_t sl = i - seg0;
        bool last = i == klen;
        nseg++;
        size_t el = esc_append(path, PATH_CAP - SUFFIX_LEN - 1, &pos, key + seg0, sl);
        if (el == 0 || el + (last ? SUFFIX_LEN : 0) > NAME_LIM)
            return cairn_backend_error(
                CAIRN_EKEY,
                "file: segment %zu is too long for a file name (at most %d bytes)",
                nseg, NAME_LIM);
        if (last) {
            memcpy(path + pos, SUFFIX, SUFFIX_LEN);
            pos += SUFFIX_LEN;
        } else {
            *dirlen = pos;
            path[pos++] = '/';
        }
        seg0 = i + 1;
    }
    path[pos] = '\0';
    return CAIRN_OK;
}

/* The temp file of a key: in the record's folder, named by the key's hash.
 * Every writer of the key holds the key's stripe, and keys whose hashes
 * collide share a stripe, so no two writers ever use one temp name at once;
 * a temp left by a killed writer is truncated by the next one. */
static void tmp_path(const char *path, size_t dirlen, uint64_t h, char *out)
{
    if (dirlen) {
        memcpy(out, path, dirlen);
        out[dirlen] = '/';
        dirlen++;
    }
    snprintf(out + dirlen, TMP_NAME_LEN + 1, ".t%016llx.tmp", (unsigned long long)h);
}

static bool is_tmp_name(const char *name)
{
    if (strlen(name) != TMP_NAME_LEN || name[0] != '.' || name[1] != 't' ||
        memcmp(name + 18, ".tmp", 4) != 0)
        return false;
    for (int i = 2; i < 18; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return false;
    return true;
}

/* ---- small I/O helpers ---- */

/* Make *buf hold at least need bytes, exactly need when it grows: a 10 MiB
 * record should not cost 16 MiB. */
static int reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return CAIRN_OK;
    char *b = realloc(*buf, need);
    if (!b)
        return CAIRN_ENOMEM;
    *buf = b;
    *cap = need;
    return CAIRN_OK;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read the open record fd (rel, relative to DIR, for messages) into *buf
 * (grown as needed), at most limit bytes; closes fd. Anything but a
 * regular file is refused: fd was opened with O_NONBLOCK, so a FIFO in a
 * record's place did not block the open, and is never read. */
static int read_fd(const fstore *fs, int fd, const char *rel, size_t limit, char **buf,
                   size_t *cap, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return os_err(fs, "stat", rel, e, false);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return not_regular(fs, rel, st.st_mode);
    }
    /* Records are never changed in place (only replaced by rename), so the
     * size is exact; the loop still reads to EOF in case it is not. */
    size_t want = (size_t)st.st_size < limit ? (size_t)st.st_size : limit;
    size_t n = 0;
    int rc = reserve(buf, cap, want + 1);
    while (rc == CAIRN_OK && n < limit) {
        if (n == *cap && (rc = reserve(buf, cap, n + n / 2 + 4096)))
            break;
        size_t room = *cap - n < limit - n ? *cap - n : limit - n;
        ssize_t r = read(fd, *buf + n, room);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = os_err(fs, "read", rel, errno, false);
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (rc == CAIRN_ENOMEM)
        return cairn_backend_error(CAIRN_ENOMEM, "file: out of memory reading %s/%s",
                                   fs->dir, rel);
    if (rc)
        return rc;
    *len = n;
    return CAIRN_OK;
}

/* Open a record without blocking and without following a link: at rel
 * beneath DIR (dfd < 0), or name in the folder dfd. -1 with errno. */
static int open_record(const fstore *fs, int dfd, const char *rel, const char *name)
{
    const int fl = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC;
    return dfd < 0 ? open_beneath(fs, rel, fl, 0) : openat(dfd, name, fl);
}

/* Read rel into *buf, as read_fd(). CAIRN_ENOTFOUND when it is absent. */
static int read_file(const fstore *fs, const char *rel, size_t limit, char **buf,
                     size_t *cap, size_t *len)
{
    int fd = open_record(fs, -1, rel, NULL);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return CAIRN_ENOTFOUND;
        return os_err(fs, "open", rel, errno, false);
    }
    return read_fd(fs, fd, rel, limit, buf, cap, len);
}

/* fsync the folder fd (rel for messages) so that entries made in it
 * persist. */
static int sync_fd(const fstore *fs, int fd, const char *rel)
{
    if (fsync(fd) != 0 && errno != EINVAL)
        return os_err(fs, "fsync", rel, errno, true);
    return CAIRN_OK;
}

/* Open the folder path[0..dirlen) into *out, creating the folders that are
 * missing, one at a time from DIR and never through a link. A concurrent
 * delete may remove an empty folder on the way; then start again. */
static int mkdir_open(const fstore *fs, const char *path, size_t dirlen, int *out)
{
    bool full = fs->durability == CAIRN_DURABILITY_FULL;
    for (int tries = 0; tries < MKDIR_RETRIES; tries++) {
        int cur = fs->root, rc = CAIRN_OK;
        bool restart = false;
        for (size_t i = 0; i < dirlen && !restart && !rc;) {
            size_t j = i;
            while (j < dirlen && path[j] != '/')
                j++;
            char comp[NAME_LIM + 1];
            memcpy(comp, path + i, j - i);
            comp[j - i] = '\0';
            int next = -1;
            if (mkdirat(cur, comp, 0777) == 0) {
                /* the new folder's entry lives in its parent */
                if (full) {
                    char par[PATH_CAP];
                    snprintf(par, sizeof par, "%.*s", (int)(i ? i - 1 : 0), path);
                    rc = sync_fd(fs, cur, par);
                }
            } else if (errno == ENOENT) {
                restart = true; /* cur itself was removed */
            } else if (errno != EEXIST) {
                char sub[PATH_CAP];
                snprintf(sub, sizeof sub, "%.*s", (int)j, path);
                rc = os_err(fs, "mkdir", sub, errno, true);
            }
            if (!restart && !rc) {
                next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                    int e = nofollow_errno(cur, comp, errno);
                    char sub[PATH_CAP];
                    snprintf(sub, sizeof sub, "%.*s", (int)j, path);
                    if (e == ENOENT)
                        restart = true;
                    else
                        rc = os_err(fs, "open", sub, e, true);
                }
            }
            if (cur != fs->root)
                close(cur);
            cur = next;
            i = j + 1;
        }
        if (rc || restart) {
            if (cur >= 0 && cur != fs->root)
                close(cur);
            if (rc)
                return rc;
            continue;
        }
        *out = cur;
        return CAIRN_OK;
    }
    return cairn_backend_error(CAIRN_EBUSY, "file: mkdir %s/%.*s: folders keep vanishing",
                               fs->dir, (int)dirlen, path);
}

/* Remove path[0..dirlen) and its parents while they are empty, each from
 * its parent opened beneath DIR (never through a link). */
static void rmdir_up(const fstore *fs, const char *path, size_t dirlen)
{
    char sub[PATH_CAP];
    memcpy(sub, path, dirlen);
    sub[dirlen] = '\0';
    size_t n = dirlen;
    int synced = -1; /* parent of the last folder removed */
    while (n > 0) {
        size_t p = n;
        while (p > 0 && sub[p - 1] != '/')
            p--;
        sub[n] = '\0';
        int pfd = fs->root;
        if (p > 0) {
            sub[p - 1] = '\0';
            pfd = open_beneath(fs, sub, O_RDONLY | O_DIRECTORY, 0);
            sub[p - 1] = '/';
            if (pfd < 0)
                break;
        }
        /* Fails with ENOTEMPTY when a writer's temp or record is there:
         * that folder and all above it stay. */
        bool gone = unlinkat(pfd, sub + p, AT_REMOVEDIR) == 0;
        if (synced >= 0 && synced != fs->root)
            close(synced);
        synced = -1;
        if (!gone) {
            if (pfd != fs->root)
                close(pfd);
            break;
        }
        synced = pfd;
        n = p ? p - 1 : 0;
    }
    if (synced >= 0) {
        if (fs->durability == CAIRN_DURABILITY_FULL)
            (void)fsync(synced); /* best effort: the delete itself is done */
        if (synced != fs->root)
            close(synced);
    }
}

/* ---- open / close ---- */

static int mkdir_abs(const char *dir)
{
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p)
        return ENOMEM;
    memcpy(p, dir, n + 1);
    int e = 0;
    for (size_t i = 1; i <= n && !e; i++) {
        if (i < n && p[i] != '/')
            continue;
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            e = errno;
        if (i < n)
            p[i] = '/';
    }
    free(p);
    return e;
}

/* DIR/.cairn/locks, made if missing; -1 with fs->lock_errno when it cannot
 * be opened (no write access), is reached through a link, or is not a
 * regular file. */
static int open_lockfd(fstore *fs)
{
    int fd = open_beneath(fs, MARK "/locks", O_RDWR | O_CREAT | O_NONBLOCK, 0666);
    if (fd < 0) {
        fs->lock_errno = errno;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        fs->lock_errno = E_NOTREG;
        return -1;
    }
    return fd;
}

/* The status of a failed mkdir or open of DIR itself: a folder that cannot
 * be made (file:/proc/self/x) is an I/O error, never "not found", which
 * callers read as a missing key. */
static int dir_status(int e)
{
    int st = cairn__errno_status(e);
    return st == CAIRN_ENOTFOUND ? CAIRN_EIO : st;
}

/* must_exist and DIR holds no store: say so, with a hint when it holds
 * another kind. */
static int no_store(const fstore *fs)
{
    struct stat st;
    bool mdb = fs->root >= 0 && fstatat(fs->root, "data.mdb", &st, 0) == 0;
    return cairn_backend_error(CAIRN_ENOTFOUND, "file: no cairn store at %s%s%s%s", fs->dir,
                               mdb ? " (it holds data.mdb: an LMDB store? open it as lmdb:"
                                   : "",
                               mdb ? fs->dir : "", mdb ? ")" : "");
}

static int file_open(const char *location, const struct cairn_options *opt, void **self)
{
    if (!location || !*location)
        return cairn_backend_error(CAIRN_EURL, "file: needs a directory");
    fstore *fs = calloc(1, sizeof *fs);
    if (!fs || !(fs->dir = strdup(location))) {
        free(fs);
        return cairn_backend_error(CAIRN_ENOMEM, "file: out of memory");
    }
    fs->root = fs->lockfd = -1;
    fs->durability = opt->durability;
    fs->anon_ok = access("/proc/self/fd", X_OK) == 0;
    fs->busy_ms = opt->busy_timeout_ms == 0 ? 10000 : opt->busy_timeout_ms;
    int rc, e = 0;
    if (opt->must_exist) {
        /* A store is a folder with .cairn/ in it (made by the first open
         * that may create): nothing is made here, not even .cairn/. */
        struct stat st;
        fs->root = open(location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fs->root < 0 || fstatat(fs->root, MARK, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            e = errno;
            rc = e == ENOENT || e == ENOTDIR
                     ? no_store(fs)
                     : cairn_backend_error(dir_status(e), "file: open %s%s: %s", location,
                                           fs->root < 0 ? "" : "/" MARK, strerror(e));
            goto fail;
        }
    } else {
        e = mkdir_abs(location);
        if (e && e != EACCES && e != EROFS) {
            rc = cairn_backend_error(dir_status(e), "file: mkdir %s: %s", location,
                                     strerror(e));
            goto fail;
        }
        fs->root = open(location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fs->root < 0) {
            if (errno == ENOENT && e) { /* say why it could not be made */
                rc = cairn_backend_error(CAIRN_EIO, "file: mkdir %s: %s", location,
                                         strerror(e));
                goto fail;
            }
            e = errno;
            rc = cairn_backend_error(dir_status(e), "file: directory %s: %s", location,
                                     strerror(e));
            goto fail;
        }
        if (mkdirat(fs->root, MARK, 0777) != 0 && errno != EEXIST && errno != EACCES &&
            errno != EROFS) {
            rc = os_err(fs, "mkdir", MARK, errno, true);
            goto fail;
        }
    }
    /* Without write access the store still reads; writes say why not. */
    fs->lockfd = open_lockfd(fs);
    fs->pid = getpid();
    pthread_mutex_init(&fs->fork_mu, NULL);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&fs->stripe[i], NULL);
    *self = fs;
    return CAIRN_OK;
fail:
    if (fs->root >= 0)
        close(fs->root);
    free(fs->dir);
    free(fs);
    return rc;
}

static void file_close(void *self)
{
    fstore *fs = self;
    if (fs->lockfd >= 0)
        close(fs->lockfd);
    close(fs->root);
    pthread_mutex_destroy(&fs->fork_mu);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&fs->stripe[i]);
    free(fs->dir);
    free(fs);
}

/* ---- locking ---- */

/* Open file description locks belong to the descriptor's open file, which a
 * forked child shares with its parent: a child using an inherited handle
 * would not be excluded by its parent. So a child opens its own. */
static int current_lockfd(fstore *fs, int *err)
{
    pthread_mutex_lock(&fs->fork_mu);
    pid_t me = getpid();
    if (me != fs->pid) {
        int old = fs->lockfd;
        fs->lockfd = open_lockfd(fs);
        if (old >= 0)
            close(old);
        fs->pid = me;
    }
    int fd = fs->lockfd;
    *err = fs->lock_errno;
    pthread_mutex_unlock(&fs->fork_mu);
    return fd;
}

static int ensure_lockfd(fstore *fs)
{
    int e;
    if (current_lockfd(fs, &e) >= 0)
        return CAIRN_OK;
    if (e == ELOOP)
        return link_err(fs, MARK "/locks");
    if (e == E_NOTREG)
        return cairn_backend_error(CAIRN_ECORRUPT,
                                   "file: store %s cannot be written: %s/%s/locks is not a "
                                   "regular file",
                                   fs->dir, fs->dir, MARK);
    return cairn_backend_error(dir_status(e),
                               "file: store %s cannot be written: %s/%s/locks: %s", fs->dir,
                               fs->dir, MARK, strerror(e));
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static int busy_err(const fstore *fs)
{
    return cairn_backend_error(CAIRN_EBUSY,
                               "file: %s: another writer held the lock for more than "
                               "%lld ms",
                               fs->dir, (long long)fs->busy_ms);
}

/* Take (F_WRLCK) or drop (F_UNLCK) the OFD lock on stripe s's byte of
 * DIR/.cairn/locks, without waiting. 0 or -1 with errno, as fcntl. */
static int stripe_fcntl(const fstore *fs, unsigned s, short type)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)s;
    fl.l_len = 1;
    return fcntl(fs->lockfd, F_OFD_SETLK, &fl);
}

/* Take stripe s: the in-process mutex (threads share one lock fd, so the
 * fcntl lock alone would not exclude them), then the byte s of the lock
 * file. Polls until the deadline; deadline < 0 means try once. */
static int lock_stripe(fstore *fs, unsigned s, int64_t deadline)
{
    if (deadline < 0) {
        if (pthread_mutex_trylock(&fs->stripe[s]) != 0)
            return busy_err(fs);
    } else {
        /* Threads of this process queue on the mutex itself. */
        int64_t left = deadline - mono_ms();
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (left > 0) {
            ts.tv_sec += (time_t)(left / 1000);
            ts.tv_nsec += (long)(left % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
        }
        int e;
        while ((e = pthread_mutex_timedlock(&fs->stripe[s], &ts)) == EINTR)
            ;
        if (e)
            return busy_err(fs);
    }
    long nap = 50;
    for (;;) {
        if (stripe_fcntl(fs, s, F_WRLCK) == 0)
            return CAIRN_OK;
        int e = errno;
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EACCES) {
            pthread_mutex_unlock(&fs->stripe[s]);
            return os_err(fs, "lock", ".cairn/locks", e, true);
        }
        if (mono_ms() >= deadline) {
            pthread_mutex_unlock(&fs->stripe[s]);
            return busy_err(fs);
        }
        nap_us(nap);
        nap = nap < 2000 ? nap * 2 : 2000;
    }
}

static void unlock_stripe(fstore *fs, unsigned s)
{
    while (stripe_fcntl(fs, s, F_UNLCK) != 0 && errno == EINTR)
        ;
    pthread_mutex_unlock(&fs->stripe[s]);
}

/* ---- get ---- */

static int file_get(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                    void *ctx)
{
    fstore *fs = self;
    char path[PATH_CAP];
    size_t dirlen;
    int rc = key_path(key, klen, path, &dirlen);
    if (rc)
        return rc;
    /* No lock: a record file is replaced by rename, never rewritten. */
    int fd = open_record(fs, -1, path, NULL);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return CAIRN_ENOTFOUND;
        return os_err(fs, "open", path, errno, false);
    }
    /* Checked once the record is there: a miss costs nothing more. */
    if ((rc = check_nested(fs, path, dirlen, true))) {
        close(fd);
        return rc;
    }
    char *buf = NULL;
    size_t cap = 0, len = 0;
    rc = read_fd(fs, fd, path, SIZE_MAX, &buf, &cap, &len);
    if (rc == CAIRN_OK)
        rc = fn(ctx, buf, len);
    free(buf);
    return rc;
}

/* ---- update ---- */

typedef struct {
    char *path; /* record, relative to DIR; tmp follows it in one allocation */
    char *tmp;
    const char *name;    /* the record's name in its folder (within path) */
    const char *tmpname; /* the temp's name in it (within tmp) */
    size_t dirlen;
    uint64_t hash;
    int action;
    bool tmp_made;
    int dfd;  /* the record's folder (DIR itself at the top); -1: not open */
    int anon; /* >= 0: an unnamed O_TMPFILE holding the record, to link */
} opstate;

static void op_close_dir(const fstore *fs, opstate *o)
{
    if (o->dfd >= 0 && o->dfd != fs->root)
        close(o->dfd);
    o->dfd = -1;
}

/* Open op o's folder into o->dfd, beneath DIR without following a link;
 * with create, make the folders that are missing. Without create, a
 * folder that is not there leaves o->dfd at -1 (so is the record). */
static int op_dir(const fstore *fs, opstate *o, bool create)
{
    if (o->dfd >= 0)
        return CAIRN_OK;
    if (o->dirlen == 0) {
        o->dfd = fs->root;
        return CAIRN_OK;
    }
    if (create)
        return mkdir_open(fs, o->path, o->dirlen, &o->dfd);
    char dir[PATH_CAP];
    memcpy(dir, o->path, o->dirlen);
    dir[o->dirlen] = '\0';
    o->dfd = open_beneath(fs, dir, O_RDONLY | O_DIRECTORY, 0);
    if (o->dfd >= 0 || errno == ENOENT || errno == ENOTDIR)
        return CAIRN_OK;
    return os_err(fs, "open", dir, errno, false);
}

/* Read op o's record into *buf; CAIRN_ENOTFOUND when it is not there. */
static int op_read(const fstore *fs, opstate *o, char **buf, size_t *cap, size_t *len)
{
    if (o->dfd < 0)
        return CAIRN_ENOTFOUND;
    int fd = open_record(fs, o->dfd, o->path, o->name);
    if (fd < 0) {
        if (errno == ENOENT)
            return CAIRN_ENOTFOUND;
        return os_err(fs, "open", o->path, errno, false);
    }
    return read_fd(fs, fd, o->path, SIZE_MAX, buf, cap, len);
}

/* Link op o's unnamed file under the record's name. */
static int link_anon(const fstore *fs, opstate *o)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->anon);
    for (int tries = 0;; tries++) {
        int rc = op_dir(fs, o, true);
        if (rc)
            return rc;
        if (linkat(AT_FDCWD, proc, o->dfd, o->name, AT_SYMLINK_FOLLOW) == 0)
            break;
        /* A delete of a sibling may have removed the (empty) folder. */
        if (errno != ENOENT || tries >= MKDIR_RETRIES)
            return os_err(fs, "link", o->path, errno, true);
        op_close_dir(fs, o);
    }
    close(o->anon);
    o->anon = -1;
    return CAIRN_OK;
}

/* Something is at op o's temp name: a temp left by a killed writer (no one
 * else writes it while this stripe is held) is removed; anything else was
 * not made by cairn and is refused. */
static int drop_tmp(const fstore *fs, opstate *o)
{
    struct stat st;
    if (fstatat(o->dfd, o->tmpname, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? CAIRN_OK : os_err(fs, "stat", o->tmp, errno, true);
    if (S_ISLNK(st.st_mode))
        return link_err(fs, o->tmp);
    if (!S_ISREG(st.st_mode))
        return not_regular(fs, o->tmp, st.st_mode);
    if (unlinkat(o->dfd, o->tmpname, 0) != 0 && errno != ENOENT)
        return os_err(fs, "unlink", o->tmp, errno, true);
    return CAIRN_OK;
}

/* Write rec into a new file for op o, creating folders as needed: its
 * named temp file, or with anon an unnamed file (O_TMPFILE, kept open in
 * o->anon) that apply_op() links under the record's name. A new record of a
 * one-key update takes the unnamed way: one directory change instead of two
 * (create a temp name, rename it), about a third faster on ext4, and
 * nothing to clean up after a crash. With anon, CAIRN_EUNSUPPORTED tells
 * that the file system cannot: the caller takes the named way. The named
 * temp is created with O_EXCL: never a FIFO, a link or a file of another. */
static int write_new(const fstore *fs, opstate *o, bool anon, const void *rec,
                     size_t len)
{
    char dir[PATH_CAP];
    memcpy(dir, o->path, o->dirlen);
    dir[o->dirlen] = '\0';
    const char *name = anon ? dir : o->tmp;
    int fd;
    for (int tries = 0;; tries++) {
        int rc = op_dir(fs, o, true);
        if (rc)
            return rc;
        fd = anon ? openat(o->dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666)
                  : openat(o->dfd, o->tmpname,
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0)
            break;
        int e = errno;
        /* No O_TMPFILE here (EOPNOTSUPP, EISDIR, EINVAL), or a folder a
         * delete is removing this instant (EPERM on ext4): the named way
         * copes with all of them. */
        if (anon && e != ENOENT)
            return CAIRN_EUNSUPPORTED;
        if (tries >= MKDIR_RETRIES || (e != ENOENT && e != EEXIST))
            return os_err(fs, "create", name, e, true);
        if (e == EEXIST) {
            if ((rc = drop_tmp(fs, o)))
                return rc;
        } else {
            op_close_dir(fs, o); /* removed by a delete: make it again */
        }
    }
    o->tmp_made = !anon;
    int e = write_all(fd, rec, len);
    if (!e && fs->durability == CAIRN_DURABILITY_FULL && fdatasync(fd) != 0)
        e = errno;
    if (anon && !e) {
        o->anon = fd;
        return CAIRN_OK;
    }
    if (close(fd) != 0 && !e && errno != EINTR)
        e = errno;
    if (e)
        return os_err(fs, "write", name, e, true);
    return CAIRN_OK;
}

/* Make op o's decision visible: rename its temp over the record, or
 * unlink the record. */
static int apply_op(const fstore *fs, opstate *o)
{
    bool full = fs->durability == CAIRN_DURABILITY_FULL;
    char dir[PATH_CAP];
    memcpy(dir, o->path, o->dirlen);
    dir[o->dirlen] = '\0';
    if (o->action == CAIRN_BACKEND_KEEP)
        return CAIRN_OK;
    int rc = op_dir(fs, o, false); /* closed after phase 1 in a big batch */
    if (rc)
        return rc;
    if (o->action == CAIRN_BACKEND_WRITE && o->dfd < 0 && o->anon < 0)
        return os_err(fs, "open", dir, ENOENT, true); /* the temp keeps it: cannot be */
    if (o->action == CAIRN_BACKEND_WRITE && o->anon >= 0) {
        rc = link_anon(fs, o);
        return rc ? rc : full ? sync_fd(fs, o->dfd, dir) : CAIRN_OK;
    }
    if (o->action == CAIRN_BACKEND_WRITE) {
        /* The temp keeps its folder non-empty, so no delete removes it. */
        if (renameat(o->dfd, o->tmpname, o->dfd, o->name) != 0)
            return os_err(fs, "rename", o->tmp, errno, true);
        o->tmp_made = false;
        return full ? sync_fd(fs, o->dfd, dir) : CAIRN_OK;
    }
    if (o->action == CAIRN_BACKEND_DELETE && o->dfd >= 0) {
        if (unlinkat(o->dfd, o->name, 0) != 0) {
            if (errno == ENOENT)
                return CAIRN_OK;
            return os_err(fs, "unlink", o->path, errno, true);
        }
        (void)unlinkat(o->dfd, o->tmpname, 0); /* a crashed writer's leftover */
        if (full && (rc = sync_fd(fs, o->dfd, dir)))
            return rc;
        if (o->dirlen)
            rmdir_up(fs, o->path, o->dirlen);
    }
    return CAIRN_OK;
}

static int file_update(void *self, const cairn_backend_op *ops, size_t n)
{
    fstore *fs = self;
    if (n == 0)
        return CAIRN_OK;
    int rc = ensure_lockfd(fs);
    if (rc)
        return rc;
    opstate *st = calloc(n, sizeof *st);
    if (!st)
        return cairn_backend_error(CAIRN_ENOMEM, "file: out of memory");
    for (size_t i = 0; i < n; i++)
        st[i].dfd = st[i].anon = -1;
    bool want[STRIPES] = {false};
    for (size_t i = 0; i < n && rc == CAIRN_OK; i++) {
        char path[PATH_CAP];
        if ((rc = key_path(ops[i].key, ops[i].klen, path, &st[i].dirlen)))
            break;
        size_t pl = strlen(path);
        /* the temp name is the folder part plus TMP_NAME_LEN bytes */
        if (!(st[i].path = malloc(pl + 1 + st[i].dirlen + 1 + TMP_NAME_LEN + 1))) {
            rc = cairn_backend_error(CAIRN_ENOMEM, "file: out of memory");
            break;
        }
        memcpy(st[i].path, path, pl + 1);
        st[i].tmp = st[i].path + pl + 1;
        st[i].hash = cairn__hash(ops[i].key, ops[i].klen);
        tmp_path(st[i].path, st[i].dirlen, st[i].hash, st[i].tmp);
        size_t base = st[i].dirlen ? st[i].dirlen + 1 : 0;
        st[i].name = st[i].path + base;
        st[i].tmpname = st[i].tmp + base;
        want[st[i].hash % STRIPES] = true;
    }
    if (rc) {
        for (size_t i = 0; i < n; i++)
            free(st[i].path);
        free(st);
        return rc;
    }

    /* Stripes in ascending order: two batches can never wait on each other. */
    int64_t deadline = fs->busy_ms < 0 ? -1 : mono_ms() + fs->busy_ms;
    unsigned held[STRIPES];
    size_t nheld = 0;
    for (unsigned s = 0; s < STRIPES && rc == CAIRN_OK; s++) {
        if (!want[s])
            continue;
        if ((rc = lock_stripe(fs, s, deadline)) == CAIRN_OK)
            held[nheld++] = s;
    }

    /* Phase 1: read, ask, and stage every write in its temp file. */
    char *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < n && rc == CAIRN_OK; i++) {
        size_t len = 0;
        /* The folder first: a link on the way is refused before anything
         * else is looked at. */
        if ((rc = op_dir(fs, &st[i], false)) ||
            (rc = check_nested(fs, st[i].path, st[i].dirlen, false)))
            break;
        int r = op_read(fs, &st[i], &buf, &cap, &len);
        if (r != CAIRN_OK && r != CAIRN_ENOTFOUND) {
            rc = r;
            break;
        }
        const void *out = NULL;
        size_t olen = 0;
        int a = ops[i].fn(ops[i].ctx, r == CAIRN_OK ? buf : NULL, r == CAIRN_OK ? len : 0,
                          &out, &olen);
        if (a < 0) {
            rc = a;
            break;
        }
        if (a != CAIRN_BACKEND_KEEP && a != CAIRN_BACKEND_WRITE && a != CAIRN_BACKEND_DELETE) {
            rc = cairn_backend_error(CAIRN_EINVAL, "file: update callback answered %d", a);
            break;
        }
        st[i].action = a;
        if (a == CAIRN_BACKEND_WRITE) {
            rc = CAIRN_EUNSUPPORTED;
            if (n == 1 && r == CAIRN_ENOTFOUND && fs->anon_ok)
                rc = write_new(fs, &st[i], true, out, olen);
            if (rc == CAIRN_EUNSUPPORTED)
                rc = write_new(fs, &st[i], false, out, olen);
        }
        /* A big batch would hold a descriptor per key: its folders are
         * opened again in phase 2. */
        if (n > KEEP_DIRS)
            op_close_dir(fs, &st[i]);
    }
    free(buf);

    /* Phase 2: renames and unlinks only. A crash here leaves a prefix of
     * the batch applied, each record whole. */
    for (size_t i = 0; i < n && rc == CAIRN_OK; i++)
        rc = apply_op(fs, &st[i]);

    for (size_t i = 0; i < n; i++) {
        if (st[i].tmp_made) {
            /* quietly: the message of what failed stays */
            int d = st[i].dfd;
            if (d < 0) {
                char dir[PATH_CAP];
                memcpy(dir, st[i].path, st[i].dirlen);
                strcpy(dir + st[i].dirlen, st[i].dirlen ? "" : ".");
                d = open_beneath(fs, dir, O_RDONLY | O_DIRECTORY, 0);
            }
            if (d >= 0)
                (void)unlinkat(d, st[i].tmpname, 0);
            if (d >= 0 && d != st[i].dfd)
                close(d);
        }
        if (st[i].anon >= 0)
            close(st[i].anon); /* never linked: the file goes with it */
        op_close_dir(fs, &st[i]);
    }
    while (nheld > 0)
        unlock_stripe(fs, held[--nheld]);
    for (size_t i = 0; i < n; i++)
        free(st[i].path);
    free(st);
    return rc;
}

/* ---- scan ---- */

typedef struct {
    size_t name_off; /* escaped name in the arena, NUL-terminated */
    size_t seg_off;
    size_t seg_len;
    const char *seg; /* set once the arena stops moving */
    bool dir;
} entry;

typedef struct {
    fstore *fs;
    const char *lo, *hi;
    size_t lolen, hilen;
    bool lo_excl, has_lo, has_hi, want_value;
    cairn_backend_scan_fn fn;
    void *ctx;
    char key[CAIRN_KEY_MAX + 2];
    char path[PATH_CAP];
    char *buf;
    size_t cap;
} scanner;

#define SCAN_STOP 1

static int keycmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

/* Order entries as their keys sort: a folder as "seg/", a file as "seg". */
static int entry_cmp(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    size_t m = a->seg_len < b->seg_len ? a->seg_len : b->seg_len;
    int c = memcmp(a->seg, b->seg, m);
    if (c)
        return c;
    int ca = a->seg_len > m ? (unsigned char)a->seg[m] : a->dir ? '/' : -1;
    int cb = b->seg_len > m ? (unsigned char)b->seg[m] : b->dir ? '/' : -1;
    return ca - cb;
}

/* Would any key of this entry (key[0..kl) is the file's key or the folder's
 * "prefix/") fall in the scan's range? */
static bool in_range(const scanner *sc, size_t kl, bool dir)
{
    if (sc->has_hi && keycmp(sc->key, kl, sc->hi, sc->hilen) >= 0)
        return false;
    if (!sc->has_lo)
        return true;
    if (dir) /* below lo only when it differs from lo before either ends */
        return memcmp(sc->key, sc->lo, kl < sc->lolen ? kl : sc->lolen) >= 0;
    int c = keycmp(sc->key, kl, sc->lo, sc->lolen);
    return c > 0 || (c == 0 && !sc->lo_excl);
}

/* Remove a temp file left by a killed writer. Its name carries the hash of
 * its key, hence its stripe; whoever holds that stripe is the only one who
 * may be writing it, so with the stripe taken here the file is surely
 * stale. A held stripe (a live writer) is skipped, never waited for. */
static void drop_stale_tmp(const scanner *sc, int dfd, const char *name)
{
    fstore *fs = sc->fs;
    char *end;
    unsigned long long h = strtoull(name + 2, &end, 16);
    int e;
    if (end != name + 18 || current_lockfd(fs, &e) < 0)
        return;
    unsigned s = (unsigned)(h % STRIPES);
    if (pthread_mutex_trylock(&fs->stripe[s]) != 0)
        return;
    if (stripe_fcntl(fs, s, F_WRLCK) != 0) {
        pthread_mutex_unlock(&fs->stripe[s]);
        return;
    }
    (void)unlinkat(dfd, name, 0);
    unlock_stripe(fs, s);
}

/* Read folder path[0..plen) whose keys start with key[0..klen), keeping
 * the entries in range. */
static int read_entries(scanner *sc, size_t klen, size_t plen, entry **out, size_t *nout,
                        char **arena)
{
    sc->path[plen] = '\0';
    int dfd = open_beneath(sc->fs, plen ? sc->path : ".", O_RDONLY | O_DIRECTORY, 0);
    if (dfd < 0) {
        /* removed since the parent was read, or replaced by a link: a
         * listing never follows one */
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
            return CAIRN_OK;
        return os_err(sc->fs, "open", sc->path, errno, false);
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return os_err(sc->fs, "opendir", sc->path, e, false);
    }
    entry *ents = NULL;
    size_t n = 0, ecap = 0, alen = 0, acap = 0;
    char *ar = NULL;
    int rc = CAIRN_OK;
    /* Temp names seen, dropped once the folder is known to be this store's
     * (the copy of a store nested in it may list its .cairn/ last). */
    char (*tmps)[TMP_NAME_LEN + 1] = NULL;
    size_t ntmp = 0;
    bool foreign = false;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno)
                rc = os_err(sc->fs, "readdir", sc->path, errno, false);
            break;
        }
        const char *name = de->d_name;
        if (name[0] == '.') {
            if (plen && strcmp(name, MARK) == 0) {
                foreign = true; /* the root of another store: none of its keys */
                break;
            }
            if (is_tmp_name(name) && ntmp < 64) {
                void *nt = realloc(tmps, (ntmp + 1) * sizeof *tmps);
                if (nt) {
                    tmps = nt;
                    memcpy(tmps[ntmp++], name, TMP_NAME_LEN + 1);
                }
            }
            continue;
        }
        int type = de->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        if (type != DT_DIR && type != DT_REG)
            continue;
        bool dir = type == DT_DIR;
        size_t nl = strlen(name);
        if (!dir) {
            if (nl <= SUFFIX_LEN || memcmp(name + nl - SUFFIX_LEN, SUFFIX, SUFFIX_LEN) != 0)
                continue;
            nl -= SUFFIX_LEN;
        }
        char seg[NAME_LIM + 1];
        size_t sl;
        if (nl > NAME_LIM || !unesc(name, nl, seg, &sl))
            continue;
        size_t kl = klen + sl + (dir ? 1 : 0);
        if (kl > CAIRN_KEY_MAX)
            continue;
        memcpy(sc->key + klen, seg, sl);
        if (dir)
            sc->key[klen + sl] = '/';
        if (!in_range(sc, kl, dir))
            continue;
        size_t full = strlen(name);
        if ((rc = cairn__grow(&ar, &acap, alen + full + 1 + sl)))
            break;
        if (n == ecap) {
            size_t nc = ecap ? ecap * 2 : 64;
            entry *ne = realloc(ents, nc * sizeof *ne);
            if (!ne) {
                rc = CAIRN_ENOMEM;
                break;
            }
            ents = ne;
            ecap = nc;
        }
        entry *e = &ents[n++];
        e->name_off = alen;
        memcpy(ar + alen, name, full + 1);
        alen += full + 1;
        e->seg_off = alen;
        e->seg_len = sl;
        memcpy(ar + alen, seg, sl);
        alen += sl;
        e->dir = dir;
    }
    for (size_t i = 0; i < ntmp && !foreign && rc == CAIRN_OK; i++)
        drop_stale_tmp(sc, dfd, tmps[i]);
    free(tmps);
    closedir(d);
    if (foreign) {
        free(ents);
        free(ar);
        ents = NULL;
        ar = NULL;
        n = 0;
    }
    if (rc == CAIRN_ENOMEM)
        rc = cairn_backend_error(CAIRN_ENOMEM, "file: out of memory listing %s/%s",
                                 sc->fs->dir, plen ? sc->path : ".");
    if (rc) {
        free(ents);
        free(ar);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        ents[i].seg = ar + ents[i].seg_off;
    if (n > 1)
        qsort(ents, n, sizeof *ents, entry_cmp);
    *out = ents;
    *nout = n;
    *arena = ar;
    return CAIRN_OK;
}

/* Walk one folder in key order, recursing into subfolders. Holds this
 * level's sorted entries (those in range) while it recurses. */
static int scan_dir(scanner *sc, size_t klen, size_t plen)
{
    entry *ents = NULL;
    char *ar = NULL;
    size_t n = 0;
    int rc = read_entries(sc, klen, plen, &ents, &n, &ar);
    for (size_t i = 0; i < n && rc == CAIRN_OK; i++) {
        const entry *e = &ents[i];
        const char *name = ar + e->name_off;
        size_t nl = strlen(name);
        size_t np = plen + (plen ? 1 : 0) + nl;
        if (np + 1 > PATH_CAP)
            continue;
        if (plen)
            sc->path[plen] = '/';
        memcpy(sc->path + np - nl, name, nl + 1);
        memcpy(sc->key + klen, e->seg, e->seg_len);
        size_t kl = klen + e->seg_len;
        if (e->dir) {
            sc->key[kl++] = '/';
            rc = scan_dir(sc, kl, np);
            continue;
        }
        size_t len = 0;
        int r = read_file(sc->fs, sc->path, sc->want_value ? SIZE_MAX : CAIRN_RECORD_HEAD_MAX,
                          &sc->buf, &sc->cap, &len);
        if (r == CAIRN_ENOTFOUND)
            continue; /* deleted since the folder was read */
        if (r) {
            rc = r;
            break;
        }
        sc->key[kl] = '\0';
        r = sc->fn(sc->ctx, sc->key, kl, sc->buf, len);
        if (r < 0)
            rc = r;
        else if (r > 0)
            rc = SCAN_STOP;
    }
    free(ents);
    free(ar);
    return rc;
}

static int file_scan(void *self, const char *lo, size_t lolen, int lo_excl, const char *hi,
                     size_t hilen, int want_value, cairn_backend_scan_fn fn, void *ctx)
{
    scanner *sc = calloc(1, sizeof *sc);
    if (!sc)
        return cairn_backend_error(CAIRN_ENOMEM, "file: out of memory");
    /* Copies: a callback may reuse the caller's bound buffers (the core's
     * iterator moves its lo along as it goes). */
    char *lo_copy = lo ? malloc(lolen + 1) : NULL;
    char *hi_copy = hi ? malloc(hilen + 1) : NULL;
    if ((lo && !lo_copy) || (hi && !hi_copy)) {
        free(lo_copy);
        free(hi_copy);
        free(sc);
        return cairn_backend_error(CAIRN_ENOMEM, "file: out of memory");
    }
    if (lo)
        memcpy(lo_copy, lo, lolen);
    if (hi)
        memcpy(hi_copy, hi, hilen);
    sc->fs = self;
    sc->lo = lo_copy;
    sc->lolen = lolen;
    sc->has_lo = lo != NULL;
    sc->lo_excl = lo_excl != 0;
    sc->hi = hi_copy;
    sc->hilen = hilen;
    sc->has_hi = hi != NULL;
    sc->want_value = want_value != 0;
    sc->fn = fn;
    sc->ctx = ctx;
    int rc = scan_dir(sc, 0, 0);
    free(sc->buf);
    free(lo_copy);
    free(hi_copy);
    free(sc);
    return rc == SCAN_STOP ? CAIRN_OK : rc;
}

const cairn_backend_methods cairn__backend_file = {
    .version = CAIRN_BACKEND_VERSION,
    .name = "file",
    .open = file_open,
    .close = file_close,
    .get = file_get,
    .update = file_update,
    .scan = file_scan,
};
