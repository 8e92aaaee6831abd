/* many_workers.c — 16 processes share one store: each claims work items
 * with SKIP_IF_EXISTS (exactly one process wins each item), records the
 * result, and bumps a shared progress counter with cairn_incr. At the end
 * the counter equals the number of items and no item was done twice.
 *
 *   many_workers URL [WORKERS [ITEMS]]     (defaults: 16 workers, 400 items)
 *
 * URL must name a store that several processes can share: postgres://,
 * redis://, sqlite:, lmdb:, file:. Exit status 0 when every check held. */
#include <cairn/cairn.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 256

/* One worker: walk the items from its own starting point (so that the
 * processes meet on every item rather than queue behind each other), claim
 * each, and do the ones it won. Writes its count of items done to fd. */
static int worker(const char *url, int id, int workers, int items, int fd)
{
    cairn_store *s;
    if (cairn_store_open(url, NULL, &s) != CAIRN_OK) {
        fprintf(stderr, "worker %d: open: %s\n", id, cairn_errmsg());
        return 2;
    }
    int done = 0, start = items * id / workers;
    for (int n = 0; n < items; n++) {
        int item = (start + n) % items;
        char key[64], doc[64];
        snprintf(key, sizeof key, "claims/item-%05d", item);
        int len = snprintf(doc, sizeof doc, "{\"worker\":%d,\"pid\":%ld}", id, (long)getpid());
        cairn_put_opts claim = {.behavior = CAIRN_SKIP_IF_EXISTS};
        int rc = cairn_put(s, key, doc, (size_t)len, &claim);
        if (rc == CAIRN_SKIPPED)
            continue; /* another worker has it */
        if (rc != CAIRN_OK) {
            fprintf(stderr, "worker %d: claim %s: %s\n", id, key, cairn_errmsg());
            cairn_store_close(s);
            return 3;
        }
        /* The work itself; its result may be written only once. */
        snprintf(key, sizeof key, "results/item-%05d", item);
        len = snprintf(doc, sizeof doc, "{\"square\":%lld}", (long long)item * item);
        cairn_put_opts once = {.behavior = CAIRN_FAIL_IF_EXISTS};
        if ((rc = cairn_put(s, key, doc, (size_t)len, &once)) != CAIRN_OK) {
            fprintf(stderr, "worker %d: result %s: %s (done twice?)\n", id, key,
                    cairn_errmsg());
            cairn_store_close(s);
            return 4;
        }
        if ((rc = cairn_incr(s, "progress/done", 1, NULL)) != CAIRN_OK) {
            fprintf(stderr, "worker %d: progress: %s\n", id, cairn_errmsg());
            cairn_store_close(s);
            return 5;
        }
        done++;
    }
    cairn_store_close(s);
    return write(fd, &done, sizeof done) == (ssize_t)sizeof done ? 0 : 6;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: many_workers URL [WORKERS [ITEMS]]\n");
        return 2;
    }
    const char *url = argv[1];
    int workers = argc > 2 ? atoi(argv[2]) : 16;
    int items = argc > 3 ? atoi(argv[3]) : 400;
    if (workers < 1 || workers > MAX_WORKERS || items < 1) {
        fprintf(stderr, "many_workers: 1..%d workers and at least one item\n", MAX_WORKERS);
        return 2;
    }
    char shown[512];
    cairn_url_redact(url, shown, sizeof shown);

    /* Create the store (and check the URL) before forking; no handle
     * crosses a fork: each worker opens its own. */
    cairn_store *s;
    if (cairn_store_open(url, NULL, &s) != CAIRN_OK) {
        fprintf(stderr, "many_workers: open: %s\n", cairn_errmsg());
        return 1;
    }
    uint64_t before = 0;
    if (cairn_count(s, NULL, &before) != CAIRN_OK || before != 0) {
        fprintf(stderr, "many_workers: %s is not empty: give a fresh store\n", shown);
        cairn_store_close(s);
        return 1;
    }
    cairn_store_close(s);

    int p[2];
    if (pipe(p) != 0) {
        perror("pipe");
        return 1;
    }
    pid_t pids[MAX_WORKERS];
    fflush(stdout);
    for (int i = 0; i < workers; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[i] == 0) {
            close(p[0]);
            _exit(worker(url, i, workers, items, p[1]));
        }
    }
    close(p[1]);
    int failed = 0;
    for (int i = 0; i < workers; i++) {
        int st;
        while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "many_workers: worker %d failed (status 0x%x)\n", i, st);
            failed++;
        }
    }
    long total = 0;
    int done, reports = 0;
    while (read(p[0], &done, sizeof done) == (ssize_t)sizeof done) {
        total += done;
        reports++;
    }
    close(p[0]);

    /* The checks: the counter, the claims, the results. */
    if (cairn_store_open(url, NULL, &s) != CAIRN_OK) {
        fprintf(stderr, "many_workers: reopen: %s\n", cairn_errmsg());
        return 1;
    }
    int64_t counter = -1;
    if (cairn_incr(s, "progress/done", 0, &counter) != CAIRN_OK)
        fprintf(stderr, "many_workers: progress: %s\n", cairn_errmsg());
    uint64_t claims = 0, results = 0;
    if (cairn_count(s, "claims", &claims) != CAIRN_OK ||
        cairn_count(s, "results", &results) != CAIRN_OK)
        fprintf(stderr, "many_workers: count: %s\n", cairn_errmsg());
    cairn_store_close(s);

    printf("many_workers: %s, %d workers, %d items: %ld done by the workers, counter %lld, "
           "%llu claims, %llu results\n",
           shown, workers, items, total, (long long)counter, (unsigned long long)claims,
           (unsigned long long)results);
    bool ok = failed == 0 && reports == workers && total == items && counter == items &&
              claims == (uint64_t)items && results == (uint64_t)items;
    printf("many_workers: %s\n", ok ? "every item done exactly once" : "CHECK FAILED");
    return ok ? 0 : 1;
}
