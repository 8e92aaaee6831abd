/*
 * bench_async.c — `cairn bench --async`: async throughput against sync on
 * one store (issue 5's target: >= 1.5x with 2 worker threads on Redis).
 * Prints one line of name=value fields; the ratio is printed, never
 * asserted.
 *
 *   cairn --store URL bench --async [--n N] [--threads T] [--window W] [--rounds R]
 *
 * On a fresh store (or prefix): N 1 KiB documents of bench/workload.h are
 * put one by one by one thread with cairn_put (sync), then put under other
 * keys with cairn_async_put on an executor of T workers (default 2), the
 * application thread keeping at most W calls in flight (default 64) and
 * running the callbacks from the executor's fd as an event loop would. Then
 * the same for gets, in a shuffled order. Sync and async alternate in blocks
 * of 1000 calls (a noisy machine hits both alike). With R rounds (default 1)
 * it all repeats on fresh keys and the best figure of each counts.
 * sync_cpu_us= and async_cpu_us= are the process's CPU time (all threads,
 * user + system) per call, puts and gets together: what the client side
 * costs, which decides the ratio on a machine with no core to spare.
 */
#include "cli.h"

#include "cairn/cairn.h"
#include "../bench/workload.h"

#define DOC_STRIDE (BENCH_DOC_LEN + 64) /* bench_doc writes a NUL after its 1 KiB */

#include <poll.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    cairn_executor *ex;
    int inflight;
    unsigned long failures;
} loop;

static void done_cb(cairn_future *f, void *arg)
{
    loop *l = arg;
    int st = cairn_future_status(f);
    if (st != CAIRN_OK) {
        if (l->failures++ == 0)
            fprintf(stderr, "cairn bench --async: %s: %s\n", cairn_strerror(st),
                    cairn_future_errmsg(f));
    }
    l->inflight--;
}

/* Wait for the fd and run the callbacks that are ready. */
static int turn(loop *l)
{
    struct pollfd p = {cairn_executor_fd(l->ex), POLLIN, 0};
    if (poll(&p, 1, 60000) != 1) {
        fprintf(stderr, "cairn bench --async: no completion in 60 s\n");
        return -1;
    }
    cairn_executor_dispatch(l->ex, 0);
    return 0;
}

/* CPU seconds of the whole process (every thread) so far. */
static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void keyname(char *buf, size_t cap, const char *phase, unsigned round, uint64_t i)
{
    char k[BENCH_KEY_LEN];
    bench_key(k, i);
    snprintf(buf, cap, "%s%u/%s", phase, round, k);
}

/* Report a failed call; the caller then stops with CLI_ERROR. */
static int fail(const char *what, int rc)
{
    fprintf(stderr, "cairn bench --async: %s: %s: %s\n", what, cairn_strerror(rc),
            cairn_errmsg());
    return CLI_ERROR;
}

/* The timed part, on an open store and executor; 0 or an exit status. */
static int run(cairn_store *s, loop *l, uint64_t n, unsigned threads, int window,
               unsigned rounds)
{
    char *docs = malloc(n * DOC_STRIDE);
    size_t *lens = malloc(n * sizeof *lens);
    uint32_t *order = malloc(n * sizeof *order);
    int ex = CLI_OK, rc;
    if (!docs || !lens || !order) {
        fprintf(stderr, "cairn bench --async: out of memory\n");
        ex = CLI_ERROR;
        goto out;
    }
    for (uint64_t i = 0; i < n; i++)
        lens[i] = bench_doc(docs + i * DOC_STRIDE, i);
    bench_shuffle(order, (uint32_t)n, BENCH_SEED_DEFAULT);

    /* Sync and async alternate in blocks of BLOCK calls, each timed on its
     * own, so that both see the same machine: on a shared machine the load
     * changes from second to second, and a whole phase of one against a
     * whole phase of the other would measure that. */
    enum { BLOCK = 1000 };
    double best[4] = {0}; /* ops/s: sync put, async put, sync get, async get */
    double cpu[2] = {0};  /* CPU seconds of this process: sync, async calls */
    cairn_put_opts po = {0};
    po.behavior = CAIRN_OVERWRITE;
    char key[128];
#define DRAIN(limit)                                                          \
    while (l->inflight > (limit))                                             \
        if (turn(l)) {                                                        \
            ex = CLI_ERROR;                                                   \
            goto out;                                                         \
        }
    for (unsigned r = 0; r < rounds; r++) {
        double t[4] = {0};
        for (int phase = 0; phase < 2; phase++) { /* 0: puts, 1: gets */
            for (uint64_t b = 0; b < n; b += BLOCK) {
                uint64_t e = b + BLOCK < n ? b + BLOCK : n;
                double c0 = cpu_now(), t0 = bench_now();
                for (uint64_t j = b; j < e; j++) {
                    uint64_t i = phase ? order[j] : j;
                    keyname(key, sizeof key, "sync", r, i);
                    if (phase == 0) {
                        rc = cairn_put(s, key, docs + i * DOC_STRIDE, lens[i], &po);
                    } else {
                        cairn_value *v = NULL;
                        rc = cairn_get(s, key, &v);
                        cairn_value_free(v);
                    }
                    if (rc) {
                        ex = fail(phase ? "get" : "put", rc);
                        goto out;
                    }
                }
                double t1 = bench_now(), c1 = cpu_now();
                for (uint64_t j = b; j < e; j++) {
                    uint64_t i = phase ? order[j] : j;
                    DRAIN(window - 1);
                    keyname(key, sizeof key, "async", r, i);
                    rc = phase ? cairn_async_get(l->ex, s, key, done_cb, l, NULL)
                               : cairn_async_put(l->ex, s, key, docs + i * DOC_STRIDE, lens[i],
                                                 &po, done_cb, l, NULL);
                    if (rc) {
                        ex = fail(phase ? "async get" : "async put", rc);
                        goto out;
                    }
                    l->inflight++;
                }
                DRAIN(0);
                double t2 = bench_now(), c2 = cpu_now();
                t[2 * phase] += t1 - t0;
                t[2 * phase + 1] += t2 - t1;
                cpu[0] += c1 - c0;
                cpu[1] += c2 - c1;
            }
        }
        for (int k = 0; k < 4; k++)
            if ((double)n / t[k] > best[k])
                best[k] = (double)n / t[k];
    }
#undef DRAIN
    if (l->failures) {
        fprintf(stderr, "cairn bench --async: %lu async calls failed\n", l->failures);
        ex = CLI_ERROR;
        goto out;
    }
    printf("backend=%s n=%llu threads=%u window=%d rounds=%u sync_put_ops_s=%.0f "
           "async_put_ops_s=%.0f put_ratio=%.2f sync_get_ops_s=%.0f async_get_ops_s=%.0f "
           "get_ratio=%.2f target=1.5 sync_cpu_us=%.1f async_cpu_us=%.1f\n",
           cairn_store_backend(s), (unsigned long long)n, threads, window, rounds, best[0],
           best[1], best[1] / best[0], best[2], best[3], best[3] / best[2],
           cpu[0] * 1e6 / (2.0 * (double)n * rounds), cpu[1] * 1e6 / (2.0 * (double)n * rounds));
out:
    free(docs);
    free(lens);
    free(order);
    return ex;
}

static const char async_usage[] =
    "usage: cairn [--store URL] bench --async [--n N] [--threads T] [--window W] [--rounds R]\n"
    "\n"
    "Async calls against sync ones on the store: N 1 KiB documents (default\n"
    "20000) put and then got one by one with cairn_put/cairn_get, and under\n"
    "other keys with cairn_async_put/cairn_async_get on an executor of T\n"
    "workers (default 2), at most W calls in flight (default 64), callbacks\n"
    "run from the executor's fd as an event loop would. Sync and async\n"
    "alternate in blocks of 1000 calls; with R rounds (default 1) the best of\n"
    "each counts. Prints one line: sync_put_ops_s= async_put_ops_s= put_ratio=\n"
    "sync_get_ops_s= async_get_ops_s= get_ratio= (target >= 1.5 on redis with 2\n"
    "workers) sync_cpu_us= async_cpu_us= (process CPU per call). The store\n"
    "should be empty: keys go under sync<R>/ and async<R>/.\n";

int cli_bench_async(const char *url, int argc, char **argv)
{
    uint64_t n = 20000;
    unsigned threads = 2, rounds = 1;
    int window = 64;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (!strcmp(a, "--async"))
            continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(async_usage, stdout);
            return CLI_OK;
        }
        char *end = NULL;
        unsigned long long v = k + 1 < argc ? strtoull(argv[k + 1], &end, 10) : 0;
        bool ok = k + 1 < argc && *argv[k + 1] && end && !*end;
        if (ok && !strcmp(a, "--n") && v >= 1 && v <= BENCH_N_MAX)
            n = v;
        else if (ok && !strcmp(a, "--threads") && v >= 1 && v <= 256)
            threads = (unsigned)v;
        else if (ok && !strcmp(a, "--window") && v >= 1 && v <= 1000000)
            window = (int)v;
        else if (ok && !strcmp(a, "--rounds") && v >= 1 && v <= 1000)
            rounds = (unsigned)v;
        else {
            fprintf(stderr, "cairn bench --async: bad argument '%s' (--n 1..%d, --threads "
                            "1..256, --window 1..1000000, --rounds 1..1000)\n",
                    a, BENCH_N_MAX);
            return CLI_USAGE;
        }
        k++;
    }
    cairn_store *s = NULL;
    int rc = cairn_store_open(url, NULL, &s);
    if (rc)
        return fail("open", rc);
    cairn_executor_opts eo = {0};
    eo.threads = threads;
    loop l = {0};
    if ((rc = cairn_executor_new(&eo, &l.ex))) {
        cairn_store_close(s);
        return fail("executor", rc);
    }
    int ex = run(s, &l, n, threads, window, rounds);
    cairn_executor_free(l.ex);
    cairn_store_close(s);
    return ex;
}
