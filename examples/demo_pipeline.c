/*
 * demo_pipeline.c — what `make run` runs: worker processes share one store,
 * each claims items, computes a result and stores it with SKIP_IF_EXISTS;
 * then the parent reads every result back and prints what was done.
 *
 *   demo_pipeline [STORE_URL] [--items N] [--workers W]
 *
 * The store is STORE_URL, else $CAIRN_STORE, else ./cairn-data (the file
 * backend). A second run finds every result in place and computes nothing:
 * finished work is never redone, whichever process or run did it.
 *
 * Keys: demo/results/NNNN   one JSON result per item (never overwritten)
 *       demo/claims/NNNN    "I am computing this" (expires after a minute,
 *                           so a killed worker does not block its item)
 *       demo/totals/...     counters over every run (cairn_incr)
 */
#include <cairn/cairn.h>

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NUMBERS_PER_ITEM 5000
#define CLAIM_TTL_MS (60 * 1000)

/* What one worker did, sent to the parent over a pipe. */
typedef struct {
    int worker;
    long computed; /* items this worker computed */
    long done;     /* items it found finished (by a sibling or an earlier run) */
    long busy;     /* items it found claimed by a sibling */
    long errors;
} tally;

/* The work: of the numbers in [lo, hi], the one with the longest Collatz
 * chain. Deterministic, CPU-bound, a few milliseconds per item. */
typedef struct {
    uint64_t start, steps, peak;
} chain;

static chain longest_chain(uint64_t lo, uint64_t hi)
{
    chain best = {0, 0, 0};
    for (uint64_t n = lo; n <= hi; n++) {
        uint64_t x = n, steps = 0, peak = n;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x / 2;
            peak = x > peak ? x : peak;
            steps++;
        }
        if (steps > best.steps)
            best = (chain){n, steps, peak};
    }
    return best;
}

static void result_key(char *buf, size_t n, const char *dir, long item)
{
    snprintf(buf, n, "demo/%s/%04ld", dir, item);
}

static int run_item(cairn_store *s, int worker, long item, tally *t)
{
    char rkey[64], ckey[64], doc[256];
    result_key(rkey, sizeof rkey, "results", item);
    result_key(ckey, sizeof ckey, "claims", item);

    int rc = cairn_exists(s, rkey);
    if (rc == CAIRN_OK) {
        t->done++;
        return 0;
    }
    if (rc != CAIRN_ENOTFOUND)
        return rc;

    /* Claim the item: exactly one process wins a SKIP_IF_EXISTS put. */
    int dl = snprintf(doc, sizeof doc, "{\"worker\":%d,\"pid\":%ld}", worker,
                      (long)getpid());
    cairn_put_opts claim = {.behavior = CAIRN_SKIP_IF_EXISTS, .ttl_ms = CLAIM_TTL_MS};
    rc = cairn_put(s, ckey, doc, (size_t)dl, &claim);
    if (rc == CAIRN_SKIPPED) {
        t->busy++;
        return 0;
    }
    if (rc < 0)
        return rc;
    /* A sibling may have finished it between our check and our claim. */
    if ((rc = cairn_exists(s, rkey)) == CAIRN_OK) {
        cairn_delete(s, ckey);
        t->done++;
        return 0;
    }

    uint64_t lo = (uint64_t)item * NUMBERS_PER_ITEM + 1, hi = lo + NUMBERS_PER_ITEM - 1;
    chain c = longest_chain(lo, hi);
    dl = snprintf(doc, sizeof doc,
                  "{\"item\":%ld,\"from\":%" PRIu64 ",\"to\":%" PRIu64
                  ",\"longest\":{\"start\":%" PRIu64 ",\"steps\":%" PRIu64
                  ",\"peak\":%" PRIu64 "}}",
                  item, lo, hi, c.start, c.steps, c.peak);
    cairn_put_opts result = {.behavior = CAIRN_SKIP_IF_EXISTS};
    rc = cairn_put(s, rkey, doc, (size_t)dl, &result);
    if (rc < 0)
        return rc;
    if (rc == CAIRN_SKIPPED)
        t->done++;
    else
        t->computed++;
    rc = cairn_delete(s, ckey);
    return rc == CAIRN_ENOTFOUND ? 0 : rc;
}

/* A worker process: its own store handle (handles never cross a fork),
 * items from its own starting point, so workers meet only at the end. */
static int worker_main(const char *url, int worker, int workers, long items, int fd)
{
    tally t = {worker, 0, 0, 0, 0};
    cairn_store *s = NULL;
    int rc = cairn_store_open(url, NULL, &s);
    if (rc) {
        fprintf(stderr, "worker %d: %s\n", worker, cairn_errmsg());
        t.errors++;
    }
    for (long k = 0; s && k < items; k++) {
        long item = (items * worker / workers + k) % items;
        if ((rc = run_item(s, worker, item, &t)) < 0) {
            fprintf(stderr, "worker %d: item %ld: %s\n", worker, item, cairn_errmsg());
            t.errors++;
        }
    }
    if (s && t.computed && cairn_incr(s, "demo/totals/computed", t.computed, NULL) < 0) {
        fprintf(stderr, "worker %d: incr: %s\n", worker, cairn_errmsg());
        t.errors++;
    }
    cairn_store_close(s);
    ssize_t w = write(fd, &t, sizeof t);
    return w == (ssize_t)sizeof t && t.errors == 0 ? 0 : 1;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void)
{
    fprintf(stderr, "usage: demo_pipeline [STORE_URL] [--items N] [--workers W]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *url = getenv("CAIRN_STORE");
    long items = 200;
    int workers = 4;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--items") && i + 1 < argc)
            items = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--workers") && i + 1 < argc)
            workers = atoi(argv[++i]);
        else if (argv[i][0] == '-')
            return usage();
        else
            url = argv[i];
    }
    if (!url || !*url)
        url = "./cairn-data";
    if (items < 1 || items > 9999 || workers < 1 || workers > 64)
        return usage();

    printf("cairn demo pipeline: %ld items, %d worker processes, store %s\n", items,
           workers, url);
    /* Open once up front: a bad URL fails here with one message, not once
     * per worker, and the store exists before the workers race to open it. */
    cairn_store *s;
    if (cairn_store_open(url, NULL, &s)) {
        fprintf(stderr, "demo: %s\n", cairn_errmsg());
        return 1;
    }
    if (!strcmp(cairn_store_backend(s), "mem")) {
        fprintf(stderr, "demo: a mem: store lives in one process and the workers are "
                        "processes: use a file:, sqlite: or lmdb: store\n");
        cairn_store_close(s);
        return 2;
    }
    cairn_store_close(s);

    long t0 = now_ms();
    int fds[2];
    if (pipe(fds)) {
        perror("pipe");
        return 1;
    }
    fflush(stdout);
    pid_t pids[64];
    for (int w = 0; w < workers; w++) {
        pids[w] = fork();
        if (pids[w] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[w] == 0) {
            close(fds[0]);
            _exit(worker_main(url, w, workers, items, fds[1]));
        }
    }
    close(fds[1]);

    /* Collect every worker's tally, then its exit status. */
    tally sum = {0, 0, 0, 0, 0};
    int failed = 0;
    for (int w = 0; w < workers; w++) {
        tally t;
        if (read(fds[0], &t, sizeof t) != (ssize_t)sizeof t) {
            failed++;
            continue;
        }
        printf("  worker %d computed %ld, found %ld done, %ld claimed by a sibling\n",
               t.worker, t.computed, t.done, t.busy);
        sum.computed += t.computed;
        sum.done += t.done;
        sum.busy += t.busy;
        sum.errors += t.errors;
    }
    close(fds[0]);
    for (int w = 0; w < workers; w++) {
        int st;
        while (waitpid(pids[w], &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed++;
    }
    long t1 = now_ms();

    /* Read everything back in the parent, with a fresh handle. */
    if (cairn_store_open(url, NULL, &s)) {
        fprintf(stderr, "demo: %s\n", cairn_errmsg());
        return 1;
    }
    int64_t runs = 0, total = 0;
    cairn_incr(s, "demo/totals/runs", 1, &runs);
    cairn_incr(s, "demo/totals/computed", 0, &total);

    cairn_iter *it;
    const char *key;
    long found = 0, bad = 0;
    chain best = {0, 0, 0};
    int rc = cairn_list(s, "demo/results", &it);
    while (rc == CAIRN_OK && (rc = cairn_iter_next(it, &key, NULL)) == CAIRN_OK) {
        cairn_value *v;
        if (cairn_get(s, key, &v) != CAIRN_OK) {
            fprintf(stderr, "demo: %s\n", cairn_errmsg());
            bad++;
            continue;
        }
        size_t len;
        const char *data = cairn_value_data(v, &len);
        json_error_t e;
        json_t *doc = json_loadb(data, len, 0, &e);
        json_int_t item = -1, steps = -1, start = 0, peak = 0;
        if (!doc || json_unpack(doc, "{s:I, s:{s:I, s:I, s:I}}", "item", &item, "longest",
                                "start", &start, "steps", &steps, "peak", &peak)) {
            fprintf(stderr, "demo: %s: unexpected document %s\n", key, data);
            bad++;
        } else if (item < items) { /* an earlier run may have had more items */
            found++;
            if ((uint64_t)steps > best.steps)
                best = (chain){(uint64_t)start, (uint64_t)steps, (uint64_t)peak};
        }
        json_decref(doc);
        cairn_value_free(v);
    }
    cairn_iter_free(it);
    if (rc != CAIRN_DONE) {
        fprintf(stderr, "demo: list demo/results: %s\n", cairn_errmsg());
        bad++;
    }
    long t2 = now_ms();

    printf("read back: %ld of %ld results under demo/results (%ld ms), %ld unreadable\n",
           found, items, t2 - t1, bad);
    if (found)
        printf("longest Collatz chain below %ld: %" PRIu64 " (%" PRIu64
               " steps, peak %" PRIu64 ")\n",
               items * NUMBERS_PER_ITEM + 1, best.start, best.steps, best.peak);
    cairn_stats st;
    if (cairn_store_stats_get(s, &st) == CAIRN_OK)
        printf("store: backend %s, %" PRIu64 " keys, %" PRIu64
               " value bytes; this handle: %" PRIu64 " gets, %" PRIu64 " puts\n",
               st.backend, st.keys, st.value_bytes, st.gets, st.puts);
    printf("all runs: %lld run(s), %lld items computed in total\n", (long long)runs,
           (long long)total);
    cairn_store_close(s);

    printf("this run: computed %ld, skipped %ld (%ld ms)\n", sum.computed,
           items - sum.computed, t1 - t0);
    if (failed || sum.errors || bad || found != items) {
        fprintf(stderr,
                "demo: FAILED: %d worker(s) failed, %ld error(s), %ld of %ld results "
                "present%s\n",
                failed, sum.errors, found, items,
                sum.busy ? " (items claimed by a killed run free up within a minute)" : "");
        return 1;
    }
    return 0;
}
