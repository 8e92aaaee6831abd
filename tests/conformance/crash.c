/*
 * crash.c — conformance: a writer process killed with SIGKILL at random
 * moments, 50 times on the same store. After every kill the store reopens,
 * every write the writer saw acknowledged is there and intact, nothing in a
 * full scan is corrupt, and the store still takes writes.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 50
#define POOL 48              /* keys crash/kNN, overwritten again and again */
#define BIG (64 * 1024)
#define MAX_NEW 20000        /* new keys acknowledged over all rounds */
#define NEW_IDX 999          /* idx written into the values of new keys */

/* One acknowledgement, written by the writer after a put returned OK. */
typedef struct {
    uint32_t idx; /* pool index, or NEW_IDX */
    uint32_t kind; /* 1: put acknowledged, 2: writer failed */
    uint64_t seq;
} ack;

/* A value is "K<idx> S<seq>\n" followed by a payload made from seq, so any
 * record can be checked on its own, whether or not its ack arrived. */
static size_t value_size(uint64_t seq)
{
    return seq % 5 == 0 ? BIG : 64 + (size_t)(seq * 37 % 2000);
}

static size_t make_value(char *buf, uint32_t idx, uint64_t seq)
{
    int h = snprintf(buf, 32, "K%u S%016llx\n", idx, (unsigned long long)seq);
    size_t n = value_size(seq);
    uint64_t r = seq * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = tr_rand(&r);
        memcpy(buf + (size_t)h + i, &x, n - i < 8 ? n - i : 8);
    }
    return (size_t)h + n;
}

static void pool_key(char *buf, size_t cap, uint32_t idx)
{
    snprintf(buf, cap, "crash/k%02u", idx);
}

static void new_key(char *buf, size_t cap, uint64_t seq)
{
    snprintf(buf, cap, "crash/n/%016llx", (unsigned long long)seq);
}

static void send_ack(int fd, uint32_t idx, uint32_t kind, uint64_t seq)
{
    ack a = {idx, kind, seq};
    /* 16 bytes: one atomic pipe write, never torn by the kill */
    while (write(fd, &a, sizeof a) < 0 && errno == EINTR)
        ;
}

/* The writer: runs until killed. */
static void writer(const char *url, int fd, uint32_t round, uint64_t rng)
{
    static char buf[BIG + 64], buf2[BIG + 64], buf3[BIG + 64];
    cairn_store *s = NULL;
    if (cairn_store_open(url, NULL, &s)) {
        send_ack(fd, 0, 2, 0);
        _exit(3);
    }
    send_ack(fd, 0, 0, 0); /* open: ready */
    cairn_put_opts ow = {.behavior = CAIRN_OVERWRITE, .format = CAIRN_FORMAT_BYTES};
    cairn_put_opts fresh = {.behavior = CAIRN_FAIL_IF_EXISTS, .format = CAIRN_FORMAT_BYTES};
    char key[64], key2[64], key3[64];
    for (uint64_t n = 1;; n++) {
        uint64_t seq = (uint64_t)round << 32 | n;
        uint64_t dice = tr_rand(&rng);
        int rc;
        if (dice % 8 == 0) { /* a new key */
            new_key(key, sizeof key, seq);
            size_t len = make_value(buf, NEW_IDX, seq);
            rc = cairn_put(s, key, buf, len, &fresh);
            if (rc == CAIRN_OK)
                send_ack(fd, NEW_IDX, 1, seq);
        } else if (dice % 8 == 1) { /* a batch of three pool keys */
            uint32_t a = (uint32_t)(dice >> 8) % POOL, b = (a + 1) % POOL, c = (a + 2) % POOL;
            pool_key(key, sizeof key, a);
            pool_key(key2, sizeof key2, b);
            pool_key(key3, sizeof key3, c);
            cairn_put_item items[3] = {{key, buf, make_value(buf, a, seq), 0},
                                       {key2, buf2, make_value(buf2, b, seq), 0},
                                       {key3, buf3, make_value(buf3, c, seq), 0}};
            rc = cairn_put_many(s, items, 3, &ow);
            if (rc == CAIRN_OK) {
                send_ack(fd, a, 1, seq);
                send_ack(fd, b, 1, seq);
                send_ack(fd, c, 1, seq);
            }
        } else { /* overwrite a pool key */
            uint32_t idx = (uint32_t)(dice >> 8) % POOL;
            pool_key(key, sizeof key, idx);
            size_t len = make_value(buf, idx, seq);
            rc = cairn_put(s, key, buf, len, &ow);
            if (rc == CAIRN_OK)
                send_ack(fd, idx, 1, seq);
        }
        if (rc != CAIRN_OK) {
            send_ack(fd, (uint32_t)-rc, 2, seq);
            _exit(4);
        }
    }
}

/* Check one record against its key; returns its seq. Fails the case. */
static uint64_t check_record(cairn_store *s, const char *key, uint32_t want_idx,
                             int round)
{
    static char expect[BIG + 64];
    cairn_value *v = NULL;
    int rc = cairn_get(s, key, &v);
    if (rc)
        fail_msg("round %d: get %s after the kill: %s: %s", round, key, cairn_strerror(rc),
                 cairn_errmsg());
    size_t len;
    const char *d = cairn_value_data(v, &len);
    unsigned idx = 0;
    unsigned long long seq = 0;
    if (len < 22 || sscanf(d, "K%u S%16llx\n", &idx, &seq) != 2)
        fail_msg("round %d: %s holds a value that no writer wrote (%zu bytes)", round, key,
                 len);
    if (idx != want_idx)
        fail_msg("round %d: %s holds the value of key index %u", round, key, idx);
    size_t elen = make_value(expect, idx, seq);
    if (elen != len || memcmp(expect, d, len) != 0)
        fail_msg("round %d: %s: value of write %llx is torn (%zu bytes, expected %zu)",
                 round, key, seq, len, elen);
    assert_int_equal(cairn_value_meta(v)->checksum, cairn__hash(d, len));
    cairn_value_free(v);
    return seq;
}

static void crash_kill9(void **state)
{
    cf_fx *fx = FX(state);
    uint64_t acked[POOL] = {0};
    uint64_t *acked_new = calloc(MAX_NEW, sizeof *acked_new);
    assert_non_null(acked_new);
    size_t n_new = 0;
    uint64_t rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    const char *seed_env = getenv("CAIRN_TEST_SEED");
    if (seed_env)
        rng = strtoull(seed_env, NULL, 0);
    printf("[  INFO    ] crash test seed %llu (set CAIRN_TEST_SEED to repeat)\n",
           (unsigned long long)rng);
    unsigned total_acks = 0, early_kills = 0;

    cairn_store_close(fx->s); /* no handle crosses a fork */
    fx->s = NULL;
    for (int round = 1; round <= ROUNDS; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        uint64_t child_rng = tr_rand(&rng);
        fflush(stdout);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            tr_child_defaults();
            close(p[0]);
            writer(fx->url, p[1], (uint32_t)round, child_rng);
            _exit(0);
        }
        close(p[1]);
        /* Kill at a random moment: usually 1-25 ms after the writer is
         * ready, sometimes while it is still opening the store. */
        uint64_t dice = tr_rand(&rng);
        bool early = dice % 10 == 0;
        int delay_ms = early ? (int)(dice >> 8) % 3 : 1 + (int)((dice >> 8) % 25);
        bool ready = early, killed = false;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            if (ready && !killed) {
                struct timespec t;
                clock_gettime(CLOCK_MONOTONIC, &t);
                long el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
                if (el >= delay_ms) {
                    kill(pid, SIGKILL);
                    killed = true;
                }
            }
            struct pollfd pf = {p[0], POLLIN, 0};
            int pr = poll(&pf, 1, killed ? 30000 : 1);
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr == 0) {
                if (killed)
                    fail_msg("round %d: pipe not closed after the kill", round);
                continue;
            }
            ack a;
            ssize_t r = read(p[0], &a, sizeof a);
            if (r == 0)
                break; /* the writer is gone */
            if (r < 0 && errno == EINTR)
                continue;
            assert_int_equal(r, sizeof a);
            if (a.kind == 0) {
                ready = true;
                clock_gettime(CLOCK_MONOTONIC, &t0);
            } else if (a.kind == 1) {
                total_acks++;
                if (a.idx == NEW_IDX) {
                    assert_true(n_new < MAX_NEW);
                    acked_new[n_new++] = a.seq;
                } else {
                    assert_true(a.idx < POOL);
                    if (a.seq > acked[a.idx])
                        acked[a.idx] = a.seq;
                }
            } else {
                fail_msg("round %d: the writer failed: %s (on the store as it was left "
                         "by the previous kill)", round, cairn_strerror(-(int)a.idx));
            }
        }
        close(p[0]);
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (!WIFSIGNALED(st))
            fail_msg("round %d: the writer exited with 0x%x before the kill", round, st);
        early_kills += early;

        /* Reopen and check everything. */
        cairn_store *s = NULL;
        int rc = cairn_store_open(fx->url, NULL, &s);
        if (rc)
            fail_msg("round %d: reopen after the kill: %s: %s", round, cairn_strerror(rc),
                     cairn_errmsg());
        fx->s = s;
        char key[64];
        for (uint32_t i = 0; i < POOL; i++) {
            if (!acked[i])
                continue;
            pool_key(key, sizeof key, i);
            uint64_t seq = check_record(s, key, i, round);
            if (seq < acked[i])
                fail_msg("round %d: %s lost its acknowledged write %llx (holds %llx)",
                         round, key, (unsigned long long)acked[i], (unsigned long long)seq);
        }
        for (size_t i = 0; i < n_new; i++) {
            new_key(key, sizeof key, acked_new[i]);
            if (check_record(s, key, NEW_IDX, round) != acked_new[i])
                fail_msg("round %d: %s holds another write", round, key);
        }
        /* a full scan: every key is one the writer made, and reads back whole */
        cairn_iter *it;
        assert_ok(cairn_list(s, NULL, &it));
        const char *k;
        size_t listed = 0;
        while ((rc = cairn_iter_next(it, &k, NULL)) == CAIRN_OK) {
            listed++;
            unsigned idx;
            if (sscanf(k, "crash/k%u", &idx) == 1 && strlen(k) == 9)
                check_record(s, k, idx, round);
            else if (!strncmp(k, "crash/n/", 8) && strlen(k) == 24)
                check_record(s, k, NEW_IDX, round);
            else if (strcmp(k, "crash/probe"))
                fail_msg("round %d: a key nobody wrote is listed: \"%s\"", round, k);
            cairn_meta m;
            assert_ok(cairn_iter_meta(it, &m));
        }
        if (rc != CAIRN_DONE)
            fail_msg("round %d: listing after the kill: %s: %s", round, cairn_strerror(rc),
                     cairn_errmsg());
        cairn_iter_free(it);
        uint64_t count;
        assert_ok(cairn_count(s, NULL, &count));
        assert_int_equal(count, listed);
        assert_true(listed >= n_new);
        /* no lock was left behind: the store takes writes */
        char probe[32];
        snprintf(probe, sizeof probe, "{\"round\":%d}", round);
        assert_ok(cf_put(s, "crash/probe", probe, CAIRN_OVERWRITE));
        cairn_store_close(s);
        fx->s = NULL;
    }
    printf("[  INFO    ] %d kills (%u while opening), %u acknowledged writes checked\n",
           ROUNDS, early_kills, total_acks);
    assert_true(total_acks > 0);
    free(acked_new);
    cf_reopen(fx, NULL);
}

const tr_case cf_crash_cases[] = {
    TR_CASE(crash_kill9, TR_PERSISTENT | TR_HEAVY, 180),
};
const size_t cf_crash_ncases = CF_NCASES(cf_crash_cases);
