/*
 * concurrency.c — conformance: the set behaviours, compare-and-set, update
 * and incr raced by 8 threads on one handle (every backend) and by 8 forked
 * processes each with its own handle (persistent backends): exactly one
 * winner where there must be one, and no lost update.
 */
#include "conf.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 8
#define RACE_KEYS 24
#define INCRS 200
#define CAS_ROUNDS 40
#define UPDATES 60

/* What the workers of one race report, in memory shared by threads or by
 * processes (MAP_SHARED). Only atomics and a first error message. */
typedef struct {
    unsigned ok[RACE_KEYS], skipped[RACE_KEYS], lost[RACE_KEYS];
    int winner[RACE_KEYS];
    unsigned errors;
    unsigned cas_retries;
    char first_error[512];
    int error_lock; /* spin flag guarding first_error */
} race;

typedef enum {
    R_FAIL_IF_EXISTS,
    R_SKIP_IF_EXISTS,
    R_FAIL_IF_DIFFERENT,
    R_FAIL_IF_DIFFERENT_SAME,
    R_CAS,
    R_INCR,
    R_UPDATE,
    R_OVERWRITE,
} race_kind;

static void note_error(race *r, const char *what, int rc)
{
    __atomic_add_fetch(&r->errors, 1, __ATOMIC_SEQ_CST);
    if (__atomic_exchange_n(&r->error_lock, 1, __ATOMIC_SEQ_CST) == 0 && !r->first_error[0])
        snprintf(r->first_error, sizeof r->first_error, "%s: %s: %s", what,
                 cairn_strerror(rc), cairn_errmsg());
}

static int cas_incr(cairn_store *s, race *r, const char *key)
{
    for (int attempt = 0; attempt < 100000; attempt++) {
        cairn_value *v;
        int rc = cairn_get(s, key, &v);
        if (rc)
            return rc;
        long long n = atoll(cairn_value_data(v, NULL));
        uint64_t ver = cairn_value_meta(v)->version;
        cairn_value_free(v);
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", n + 1);
        cairn_put_opts o = {.if_version = ver};
        rc = cairn_put(s, key, buf, strlen(buf), &o);
        if (rc != CAIRN_ECONFLICT)
            return rc;
        __atomic_add_fetch(&r->cas_retries, 1, __ATOMIC_RELAXED);
    }
    return CAIRN_EBUSY;
}

typedef struct {
    char buf[32];
} upd_arg;

static int upd_add_one(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    upd_arg *a = arg;
    long long n = cur ? atoll(cairn_value_data(cur, NULL)) : 0;
    snprintf(a->buf, sizeof a->buf, "%lld", n + 1);
    *val = a->buf;
    *len = strlen(a->buf);
    return CAIRN_OK;
}

/* One worker's share of a race. */
static void worker(cairn_store *s, race *r, race_kind kind, int id)
{
    char key[64], val[64];
    int rc;
    switch (kind) {
    case R_FAIL_IF_EXISTS:
    case R_SKIP_IF_EXISTS:
    case R_FAIL_IF_DIFFERENT:
    case R_FAIL_IF_DIFFERENT_SAME:
        for (int j = 0; j < RACE_KEYS; j++) {
            int k = (j + id * 3) % RACE_KEYS; /* workers start on different keys */
            snprintf(key, sizeof key, "race/%d", k);
            if (kind == R_FAIL_IF_DIFFERENT_SAME) /* equal JSON, other spelling */
                snprintf(val, sizeof val, id % 2 ? "{\"k\":%d,\"v\":1}" : "{ \"v\":1.0, \"k\":%d }", k);
            else
                snprintf(val, sizeof val, "{\"worker\":%d}", id);
            cairn_behavior b = kind == R_FAIL_IF_EXISTS     ? CAIRN_FAIL_IF_EXISTS
                               : kind == R_SKIP_IF_EXISTS  ? CAIRN_SKIP_IF_EXISTS
                                                           : CAIRN_FAIL_IF_DIFFERENT;
            rc = cf_put(s, key, val, b);
            if (rc == CAIRN_OK) {
                __atomic_add_fetch(&r->ok[k], 1, __ATOMIC_SEQ_CST);
                r->winner[k] = id;
            } else if (rc == CAIRN_SKIPPED && kind == R_SKIP_IF_EXISTS) {
                __atomic_add_fetch(&r->skipped[k], 1, __ATOMIC_SEQ_CST);
            } else if (rc == CAIRN_EEXISTS && kind == R_FAIL_IF_EXISTS) {
                __atomic_add_fetch(&r->lost[k], 1, __ATOMIC_SEQ_CST);
            } else if (rc == CAIRN_EDIFFERENT && kind == R_FAIL_IF_DIFFERENT) {
                __atomic_add_fetch(&r->lost[k], 1, __ATOMIC_SEQ_CST);
            } else {
                note_error(r, key, rc);
            }
        }
        break;
    case R_CAS:
        for (int i = 0; i < CAS_ROUNDS; i++)
            if ((rc = cas_incr(s, r, "race/cas")))
                note_error(r, "cas", rc);
        break;
    case R_INCR:
        for (int i = 0; i < INCRS; i++) {
            snprintf(key, sizeof key, "race/incr%d", i % 2);
            if ((rc = cairn_incr(s, key, 1, NULL)))
                note_error(r, key, rc);
        }
        break;
    case R_UPDATE:
        for (int i = 0; i < UPDATES; i++) {
            upd_arg a;
            if ((rc = cairn_update_v2(s, "race/update", upd_add_one, &a, NULL)))
                note_error(r, "update", rc);
        }
        break;
    case R_OVERWRITE:
        for (int i = 0; i < UPDATES; i++) {
            snprintf(val, sizeof val, "{\"worker\":%d,\"i\":%d}", id, i);
            if ((rc = cf_put(s, "race/overwrite", val, CAIRN_OVERWRITE)))
                note_error(r, "overwrite", rc);
            /* a reader in between never sees a broken record */
            cairn_value *v;
            if ((rc = cairn_get(s, "race/overwrite", &v)))
                note_error(r, "get overwrite", rc);
            else
                cairn_value_free(v);
        }
        break;
    }
}

/* Check a finished race; the store is open in s. */
static void check_race(cairn_store *s, race *r, race_kind kind, const char *how)
{
    if (r->errors)
        fail_msg("%s: %u unexpected results; first: %s", how, r->errors, r->first_error);
    char key[64], val[64];
    switch (kind) {
    case R_FAIL_IF_EXISTS:
    case R_SKIP_IF_EXISTS:
    case R_FAIL_IF_DIFFERENT:
        for (int k = 0; k < RACE_KEYS; k++) {
            unsigned others = kind == R_SKIP_IF_EXISTS ? r->skipped[k] : r->lost[k];
            if (r->ok[k] != 1 || others != WORKERS - 1)
                fail_msg("%s: key race/%d had %u winners and %u losers (expected 1 and %d)",
                         how, k, r->ok[k], others, WORKERS - 1);
            snprintf(key, sizeof key, "race/%d", k);
            snprintf(val, sizeof val, "{\"worker\":%d}", r->winner[k]);
            cf_expect_str(s, key, val); /* the winner's value, written once */
            assert_int_equal(cf_meta(s, key).version, 1);
        }
        break;
    case R_FAIL_IF_DIFFERENT_SAME:
        for (int k = 0; k < RACE_KEYS; k++) {
            if (r->ok[k] != WORKERS)
                fail_msg("%s: equal values: %u of %d puts succeeded on race/%d", how,
                         r->ok[k], WORKERS, k);
            snprintf(key, sizeof key, "race/%d", k);
            assert_int_equal(cf_meta(s, key).version, 1);
        }
        break;
    case R_CAS:
        snprintf(val, sizeof val, "%d", WORKERS * CAS_ROUNDS);
        cf_expect_str(s, "race/cas", val);
        assert_int_equal(cf_meta(s, "race/cas").version, WORKERS * CAS_ROUNDS + 1);
        break;
    case R_INCR:
        snprintf(val, sizeof val, "%d", WORKERS * INCRS / 2);
        cf_expect_str(s, "race/incr0", val);
        cf_expect_str(s, "race/incr1", val);
        assert_int_equal(cf_meta(s, "race/incr0").version, WORKERS * INCRS / 2);
        break;
    case R_UPDATE:
        snprintf(val, sizeof val, "%d", WORKERS * UPDATES);
        cf_expect_str(s, "race/update", val);
        break;
    case R_OVERWRITE:
        assert_int_equal(cf_meta(s, "race/overwrite").version, WORKERS * UPDATES);
        break;
    }
}

static void seed_race(cairn_store *s, race_kind kind)
{
    if (kind == R_CAS)
        assert_ok(cf_put(s, "race/cas", "0", CAIRN_FAIL_IF_EXISTS));
}

/* ---- threads on one handle ---- */

typedef struct {
    cairn_store *s;
    race *r;
    race_kind kind;
    int id;
    pthread_barrier_t *start;
} thr;

static void *thr_main(void *p)
{
    thr *t = p;
    pthread_barrier_wait(t->start);
    worker(t->s, t->r, t->kind, t->id);
    return NULL;
}

static void thread_race(cf_fx *fx, race_kind kind, const char *how)
{
    /* each race on fresh keys */
    uint64_t n;
    assert_ok(cairn_delete_prefix(fx->s, "race", &n));
    seed_race(fx->s, kind);
    race *r = calloc(1, sizeof *r);
    assert_non_null(r);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, WORKERS);
    pthread_t tid[WORKERS];
    thr args[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        args[i] = (thr){fx->s, r, kind, i, &start};
        assert_int_equal(pthread_create(&tid[i], NULL, thr_main, &args[i]), 0);
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&start);
    check_race(fx->s, r, kind, how);
    free(r);
}

static void threads_share_one_handle(void **state)
{
    cf_fx *fx = FX(state);
    thread_race(fx, R_FAIL_IF_EXISTS, "threads FAIL_IF_EXISTS");
    thread_race(fx, R_SKIP_IF_EXISTS, "threads SKIP_IF_EXISTS");
    thread_race(fx, R_FAIL_IF_DIFFERENT, "threads FAIL_IF_DIFFERENT");
    thread_race(fx, R_FAIL_IF_DIFFERENT_SAME, "threads FAIL_IF_DIFFERENT (equal)");
    thread_race(fx, R_CAS, "threads compare-and-set");
    thread_race(fx, R_INCR, "threads incr");
    thread_race(fx, R_UPDATE, "threads update");
    thread_race(fx, R_OVERWRITE, "threads OVERWRITE");
}

/* Readers and listers alongside writers: every read succeeds or misses. */
static void *mix_main(void *p)
{
    cf_thread *m = p;
    char key[32];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "mix/%03d", (i * 7 + m->id) % 100);
        int rc;
        if (m->id % 2) {
            rc = cf_put(m->s, key, "[1,2,3]", CAIRN_OVERWRITE);
            if (!rc && i % 10 == 0)
                rc = cairn_delete(m->s, key);
            if (rc == CAIRN_ENOTFOUND)
                rc = CAIRN_OK;
        } else if (i % 20 == 0) {
            cairn_iter *it;
            rc = cairn_list(m->s, "mix", &it);
            const char *k;
            while (!rc && (rc = cairn_iter_next(it, &k, NULL)) == CAIRN_OK)
                ;
            if (rc == CAIRN_DONE)
                rc = CAIRN_OK;
            cairn_iter_free(rc ? NULL : it);
        } else {
            cairn_value *v;
            rc = cairn_get(m->s, key, &v);
            if (rc == CAIRN_OK) {
                if (strcmp(cairn_value_data(v, NULL), "[1,2,3]"))
                    rc = CAIRN_ECORRUPT;
                cairn_value_free(v);
            } else if (rc == CAIRN_ENOTFOUND) {
                rc = CAIRN_OK;
            }
        }
        cf_thread_note(m, key, rc);
    }
    return NULL;
}

static void threads_read_while_writing(void **state)
{
    void *(*const fns[])(void *) = {mix_main};
    cf_threads_run(FX(state)->s, WORKERS, fns, 1);
}

/* ---- forked processes, each with its own handle ---- */

typedef struct {
    race *r;
    race_kind kind;
} race_job;

static void race_worker(cairn_store *s, int open_rc, int id, void *arg)
{
    race_job *j = arg;
    if (!s)
        note_error(j->r, "open", open_rc);
    else
        worker(s, j->r, j->kind, id);
}

static void process_race(cf_fx *fx, race_kind kind, const char *how)
{
    seed_race(fx->s, kind);
    race *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    assert_true(r != MAP_FAILED);
    memset(r, 0, sizeof *r);
    race_job j = {r, kind};
    cf_fork_workers(fx, WORKERS, race_worker, &j, how);
    race copy = *r;
    munmap(r, sizeof *r);
    check_race(fx->s, &copy, kind, how);
}

static void procs_fail_if_exists(void **state)
{
    process_race(FX(state), R_FAIL_IF_EXISTS, "processes FAIL_IF_EXISTS");
}

static void procs_skip_if_exists(void **state)
{
    process_race(FX(state), R_SKIP_IF_EXISTS, "processes SKIP_IF_EXISTS");
}

static void procs_fail_if_different(void **state)
{
    process_race(FX(state), R_FAIL_IF_DIFFERENT, "processes FAIL_IF_DIFFERENT");
    uint64_t n;
    assert_ok(cairn_delete_prefix(FX(state)->s, "race", &n));
    process_race(FX(state), R_FAIL_IF_DIFFERENT_SAME, "processes FAIL_IF_DIFFERENT (equal)");
}

static void procs_compare_and_set(void **state)
{
    process_race(FX(state), R_CAS, "processes compare-and-set");
}

static void procs_incr(void **state)
{
    process_race(FX(state), R_INCR, "processes incr");
}

static void procs_update_and_overwrite(void **state)
{
    process_race(FX(state), R_UPDATE, "processes update");
    process_race(FX(state), R_OVERWRITE, "processes OVERWRITE");
}

/* Holds the key's write lock: tells the parent through the pipe, then
 * sleeps inside the update. */
static int hold_lock(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    (void)cur;
    int fd = *(int *)arg;
    if (write(fd, "x", 1) != 1)
        return CAIRN_EIO;
    usleep(1500 * 1000);
    *val = "1";
    *len = 1;
    return CAIRN_OK;
}

/* A child process that runs cairn_update_v2("busy/k", hold_lock) on its own
 * handle; *rd receives the pipe's read end, a byte each time the child's
 * update function runs. */
static pid_t spawn_holder(cf_fx *fx, int *rd)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        cairn_store *c;
        if (cairn_store_open(fx->url, NULL, &c))
            _exit(2);
        int rc = cairn_update_v2(c, "busy/k", hold_lock, &p[1], NULL);
        cairn_store_close(c);
        _exit(rc == CAIRN_OK ? 0 : 3);
    }
    close(p[1]);
    *rd = p[0];
    return pid;
}

/* redis: update() takes no lock, it retries (WATCH/MULTI/EXEC), so the
 * lock case is adapted: a slow update never blocks another writer (the
 * writer wins, the slow update runs its function again on the new value and
 * then writes); and an update whose key other writers keep changing gives up
 * with CAIRN_EBUSY after busy_timeout_ms, having written nothing. */
static int slow_set(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    (void)cur;
    (void)arg;
    tr_sleep_ms(20);
    *val = "\"mine\"";
    *len = 6;
    return CAIRN_OK;
}

static void busy_timeout_optimistic(cf_fx *fx)
{
    int p0;
    pid_t pid = spawn_holder(fx, &p0);
    char x;
    assert_int_equal(read(p0, &x, 1), 1); /* the child is inside its update */
    cairn_options o = {.busy_timeout_ms = 200};
    cf_reopen(fx, &o);
    assert_ok(cairn_put(fx->s, "busy/k", "2", 1, NULL)); /* not blocked */
    assert_int_equal(read(p0, &x, 1), 1); /* the child's function ran again */
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(p0);
    cf_expect_str(fx->s, "busy/k", "1"); /* the retried update, after ours */
    assert_int_equal(cf_meta(fx->s, "busy/k").version, 2);

    /* Another process rewrites busy/k2 without pause: an update that needs
     * 20 ms per attempt never commits and gives up. */
    assert_ok(cf_put(fx->s, "busy/k2", "0", CAIRN_FAIL_IF_EXISTS));
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        cairn_store *c;
        if (cairn_store_open(fx->url, NULL, &c))
            _exit(2);
        for (;;)
            (void)cf_put(c, "busy/k2", "1", CAIRN_OVERWRITE);
    }
    tr_sleep_ms(100);
    assert_rc(cairn_update_v2(fx->s, "busy/k2", slow_set, NULL, NULL), CAIRN_EBUSY);
    assert_errmsg_has("busy/k2");
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    cf_expect_str(fx->s, "busy/k2", "1"); /* never "mine" */
}

/* A writer that cannot get the lock within busy_timeout_ms gets CAIRN_EBUSY
 * and changes nothing. (lmdb: LMDB's writer lock has no timeout, see
 * docs/backends.md. redis: no lock, see busy_timeout_optimistic.) */
static void busy_timeout(void **state)
{
    cf_fx *fx = FX(state);
    if (!strcmp(cf_base(), "lmdb"))
        tr_skip("LMDB's writer lock has no timeout");
    if (!strcmp(cf_be->name, "redis")) {
        busy_timeout_optimistic(fx);
        return;
    }
    int p0;
    pid_t pid = spawn_holder(fx, &p0);
    char x;
    assert_int_equal(read(p0, &x, 1), 1); /* the child holds the lock */
    cairn_options o = {.busy_timeout_ms = 200};
    cf_reopen(fx, &o);
    assert_rc(cairn_put(fx->s, "busy/k", "2", 1, NULL), CAIRN_EBUSY);
    assert_errmsg_has("busy/k");
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(p0);
    cf_expect_str(fx->s, "busy/k", "1"); /* the holder's write, not ours */
}

const tr_case cf_concurrency_cases[] = {
    TR_CASE(threads_share_one_handle, TR_HEAVY, 120),
    TR_CASE(threads_read_while_writing, TR_HEAVY, 120),
    TR_CASE(procs_fail_if_exists, TR_PERSISTENT | TR_HEAVY, 120),
    TR_CASE(procs_skip_if_exists, TR_PERSISTENT | TR_HEAVY, 120),
    TR_CASE(procs_fail_if_different, TR_PERSISTENT | TR_HEAVY, 120),
    TR_CASE(procs_compare_and_set, TR_PERSISTENT | TR_HEAVY, 120),
    TR_CASE(procs_incr, TR_PERSISTENT | TR_HEAVY, 120),
    TR_CASE(procs_update_and_overwrite, TR_PERSISTENT | TR_HEAVY, 120),
    TR_CASE(busy_timeout, TR_PERSISTENT, 60),
};
const size_t cf_concurrency_ncases = CF_NCASES(cf_concurrency_cases);
