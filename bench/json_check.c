/*
 * json_check.c — how much the JSON check on every put costs: cairn's own
 * syntax check (cairn__json_check, no tree) against jansson's json_loadb.
 *
 * Both read the same 1 KiB benchmark documents; docs/performance.md quotes
 * the result as the reason the put path has its own checker. Usage:
 *   bench_json_check [--docs D] [--rounds R]
 */
#include "all.h"
#include "workload.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    uint64_t ndocs = 1000, rounds = 100;
    if (bench_micro_args(argc, argv, "bench_json_check [--docs D] [--rounds R]", &ndocs, &rounds))
        return 2;
    char *docs = bench_docs(ndocs);
    if (!docs)
        return 1;

    /* Interleave the two a few times so a frequency change on a shared
     * machine hurts both alike; the best of the passes is printed. */
    double best_ours = 1e30, best_jansson = 1e30;
    for (int pass = 0; pass < 3; pass++) {
        double t0 = bench_now();
        for (uint64_t r = 0; r < rounds; r++)
            for (uint64_t i = 0; i < ndocs; i++)
                if (cairn__json_check(docs + i * (BENCH_DOC_LEN + 1), BENCH_DOC_LEN) != CAIRN_OK) {
                    fprintf(stderr, "bench_json_check: document %llu rejected: %s\n",
                            (unsigned long long)i, cairn_errmsg());
                    return 1;
                }
        double ours = bench_now() - t0;

        t0 = bench_now();
        for (uint64_t r = 0; r < rounds; r++)
            for (uint64_t i = 0; i < ndocs; i++) {
                json_error_t err;
                json_t *j = json_loadb(docs + i * (BENCH_DOC_LEN + 1), BENCH_DOC_LEN, 0, &err);
                if (!j) {
                    fprintf(stderr, "bench_json_check: jansson rejects document %llu: %s\n",
                            (unsigned long long)i, err.text);
                    return 1;
                }
                json_decref(j);
            }
        double jansson = bench_now() - t0;
        if (ours < best_ours)
            best_ours = ours;
        if (jansson < best_jansson)
            best_jansson = jansson;
    }
    double per = 1e9 / (double)(ndocs * rounds);
    printf("docs=%llu rounds=%llu doc_bytes=%d cairn_check_ns=%.0f jansson_load_ns=%.0f "
           "cairn_check_mb_s=%.0f jansson_load_mb_s=%.0f speedup=%.1f\n",
           (unsigned long long)ndocs, (unsigned long long)rounds, BENCH_DOC_LEN, best_ours * per,
           best_jansson * per, (double)(ndocs * rounds) * BENCH_DOC_LEN / best_ours / 1e6,
           (double)(ndocs * rounds) * BENCH_DOC_LEN / best_jansson / 1e6,
           best_jansson / best_ours);
    free(docs);
    return 0;
}
