/*
 * async_bench.c — async throughput against sync on one store (issue 5's
 * target: >= 1.5x with 2 worker threads on Redis). Prints one line of
 * name=value fields; the ratio is printed, never asserted.
 *
 *   bench_async URL [--n N] [--threads T] [--window W] [--rounds R]
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
#include "cairn/cairn.h"
#include "workload.h"

#define DOC_STRIDE (BENCH_DOC_LEN + 64) /* bench_doc writes a NUL after its 1 KiB */

#include <poll.h>
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
            fprintf(stderr, "bench_async: %s: %s\n", cairn_strerror(st),
                    cairn_future_errmsg(f));
    }
    l->inflight--;
}

/* Wait for the fd and run the callbacks that are ready. */
static void turn(loop *l)
{
    struct pollfd p = {cairn_executor_fd(l->ex), POLLIN, 0};
    if (poll(&p, 1, 60000) != 1) {
        fprintf(stderr, "bench_async: no completion in 60 s\n");
        exit(1);
    }
    cairn_executor_dispatch(l->ex, 0);
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

static int die(const char *what, int rc)
{
    fprintf(stderr, "bench_async: %s: %s: %s\n", what, cairn_strerror(rc), cairn_errmsg());
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: bench_async URL [--n N] [--threads T] [--window W] "
                        "[--rounds R]\n");
        return 2;
    }
    const char *url = argv[1];
    uint64_t n = 20000;
    unsigned threads = 2, rounds = 1;
    int window = 64;
    for (int k = 2; k < argc; k++) {
        if (k + 1 >= argc) {
            fprintf(stderr, "bench_async: %s needs a value\n", argv[k]);
            return 2;
        }
        if (!strcmp(argv[k], "--n"))
            n = bench_parse_n(argv[++k]);
        else if (!strcmp(argv[k], "--threads"))
            threads = (unsigned)atoi(argv[++k]);
        else if (!strcmp(argv[k], "--window"))
            window = atoi(argv[++k]);
        else if (!strcmp(argv[k], "--rounds"))
            rounds = (unsigned)atoi(argv[++k]);
        else {
            fprintf(stderr, "bench_async: unknown argument '%s'\n", argv[k]);
            return 2;
        }
    }
    if (!n || threads < 1 || threads > 256 || window < 1 || rounds < 1) {
        fprintf(stderr, "bench_async: --n 1..%d, --threads 1..256, --window >= 1, "
                        "--rounds >= 1\n",
                BENCH_N_MAX);
        return 2;
    }

    cairn_store *s = NULL;
    int rc = cairn_store_open(url, NULL, &s);
    if (rc)
        die("open", rc);
    cairn_executor_opts eo = {0};
    eo.threads = threads;
    loop l = {0};
    rc = cairn_executor_create(&eo, &l.ex);
    if (rc)
        die("executor", rc);

    char *docs = malloc(n * DOC_STRIDE);
    size_t *lens = malloc(n * sizeof *lens);
    uint32_t *order = malloc(n * sizeof *order);
    if (!docs || !lens || !order) {
        fprintf(stderr, "bench_async: out of memory\n");
        return 1;
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
    for (unsigned r = 0; r < rounds; r++) {
        double t[4] = {0};
        for (uint64_t b = 0; b < n; b += BLOCK) {
            uint64_t e = b + BLOCK < n ? b + BLOCK : n;
            double c0 = cpu_now(), t0 = bench_now();
            for (uint64_t i = b; i < e; i++) {
                keyname(key, sizeof key, "sync", r, i);
                if ((rc = cairn_put(s, key, docs + i * DOC_STRIDE, lens[i], &po)))
                    die("put", rc);
            }
            double t1 = bench_now(), c1 = cpu_now();
            for (uint64_t i = b; i < e; i++) {
                while (l.inflight >= window)
                    turn(&l);
                keyname(key, sizeof key, "async", r, i);
                rc = cairn_async_put(l.ex, s, key, docs + i * DOC_STRIDE, lens[i], &po,
                                     done_cb, &l, NULL);
                if (rc)
                    die("async put", rc);
                l.inflight++;
            }
            while (l.inflight > 0)
                turn(&l);
            double t2 = bench_now(), c2 = cpu_now();
            t[0] += t1 - t0;
            t[1] += t2 - t1;
            cpu[0] += c1 - c0;
            cpu[1] += c2 - c1;
        }
        for (uint64_t b = 0; b < n; b += BLOCK) {
            uint64_t e = b + BLOCK < n ? b + BLOCK : n;
            double c0 = cpu_now(), t0 = bench_now();
            for (uint64_t j = b; j < e; j++) {
                keyname(key, sizeof key, "sync", r, order[j]);
                cairn_value *v = NULL;
                if ((rc = cairn_get(s, key, &v)))
                    die("get", rc);
                cairn_value_free(v);
            }
            double t1 = bench_now(), c1 = cpu_now();
            for (uint64_t j = b; j < e; j++) {
                while (l.inflight >= window)
                    turn(&l);
                keyname(key, sizeof key, "async", r, order[j]);
                if ((rc = cairn_async_get(l.ex, s, key, done_cb, &l, NULL)))
                    die("async get", rc);
                l.inflight++;
            }
            while (l.inflight > 0)
                turn(&l);
            double t2 = bench_now(), c2 = cpu_now();
            t[2] += t1 - t0;
            t[3] += t2 - t1;
            cpu[0] += c1 - c0;
            cpu[1] += c2 - c1;
        }
        for (int k = 0; k < 4; k++)
            if ((double)n / t[k] > best[k])
                best[k] = (double)n / t[k];
    }
    if (l.failures) {
        fprintf(stderr, "bench_async: %lu async calls failed\n", l.failures);
        return 1;
    }
    cairn_executor_destroy(l.ex);
    printf("backend=%s n=%llu threads=%u window=%d rounds=%u sync_put_ops_s=%.0f "
           "async_put_ops_s=%.0f put_ratio=%.2f sync_get_ops_s=%.0f async_get_ops_s=%.0f "
           "get_ratio=%.2f target=1.5 sync_cpu_us=%.1f async_cpu_us=%.1f\n",
           cairn_store_backend(s), (unsigned long long)n, threads, window, rounds, best[0],
           best[1], best[1] / best[0], best[2], best[3], best[3] / best[2],
           cpu[0] * 1e6 / (2.0 * (double)n * rounds), cpu[1] * 1e6 / (2.0 * (double)n * rounds));
    cairn_store_close(s);
    free(docs);
    free(lens);
    free(order);
    return 0;
}
