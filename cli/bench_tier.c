/*
 * bench_tier.c — `cairn bench --tier`: the memory tier's figures, each set
 * against a baseline measured in the same run (docs/performance.md):
 *   1. a hit of a 1 KiB value in a cairn_cache, one thread (target 5M/s);
 *   2. cairn_get through tiered:URL vs through URL itself on a skewed
 *      workload, 90% of gets on 10% of the keys (target 2x).
 */
#include "cli.h"

#include "cairn/cairn.h"
#include "../bench/workload.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU seconds of this thread: on a machine shared with other work the
 * wall clock mostly measures the run queue; every figure here is of one
 * thread doing its own work, so its CPU time is the honest measure. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char tier_usage[] =
    "usage: cairn [--store URL] bench --tier [--n N] [--gets G] [--seed S]\n"
    "\n"
    "Put N 1 KiB JSON documents into the store (keys runs/rNN/items/NNNNNNN; the\n"
    "store must hold none), then time G gets, 90%% of them on the first 10%% of\n"
    "the keys, through URL and through tiered:URL (64 MiB, each warmed by one\n"
    "untimed pass; the two alternate, twice each). Also times cache hits of a\n"
    "1 KiB value in a cairn_cache and cairn_get hits through the tier.\n"
    "Times are CPU seconds of the benchmarking thread (a shared machine's\n"
    "waiting is not counted). Prints one line of name=value fields:\n"
    "  cache_hit_ops_s   cairn_cache_get+release of a 1 KiB value, one thread\n"
    "  tier_get_ops_s    cairn_get of a key held in memory, through tiered:URL\n"
    "  plain_ops_s, tiered_ops_s   the skewed workload (best of two runs each)\n"
    "  tiered_ratio      tiered_ops_s / plain_ops_s\n"
    "  nottl_*           the same through tiered:URL?cache_ttl_ms=-1 (no entry TTL)\n"
    "  hit_rate          the tier's hit rate over the timed runs\n"
    "\n"
    "  --n N      keys (default 100000)   --gets G   gets per run (default 1000000)\n"
    "  --seed S   seed of the workload (default 42)\n";

static int tier_fail(const char *what, int rc)
{
    fprintf(stderr, "cairn bench --tier: %s: %s: %s\n", what, cairn_strerror(rc),
            cairn_errmsg());
    return cli_exit_status(rc);
}

/* One timed pass of the workload; fails on a wrong or missing value. */
static int tier_pass(cairn_store *s, const char *keys, const uint32_t *seq, uint64_t g,
                     double *secs)
{
    char k[BENCH_KEY_LEN];
    (void)keys;
    double t0 = cpu_now();
    for (uint64_t i = 0; i < g; i++) {
        bench_key(k, seq[i]); /* made here: a key table would cost a cache miss */
        cairn_value *v = NULL;
        int rc = cairn_get(s, k, &v);
        if (rc)
            return tier_fail(k, rc);
        size_t len;
        const char *d = cairn_value_data(v, &len);
        if (len != BENCH_DOC_LEN || memcmp(d + 7, k, strlen(k)) != 0) {
            cairn_value_free(v);
            fprintf(stderr, "cairn bench --tier: get %s: not the document written\n", k);
            return CLI_ERROR;
        }
        cairn_value_free(v);
    }
    *secs = cpu_now() - t0;
    return CLI_OK;
}

/* cairn_cache hits of 1 KiB values: 1000 keys, read round-robin. */
static int cache_hits(double *ops_s)
{
    cairn_cache *c = NULL;
    int rc = cairn_cache_new(NULL, &c);
    if (rc)
        return tier_fail("cache_new", rc);
    char val[1024], key[32];
    memset(val, 'v', sizeof val);
    size_t klen[1000];
    char keys[1000][32];
    for (int i = 0; i < 1000; i++) {
        klen[i] = (size_t)snprintf(keys[i], sizeof keys[i], "runs/r%02d/items/%07d", i % 100, i);
        if ((rc = cairn_cache_set(c, keys[i], klen[i], val, sizeof val, -1))) {
            cairn_cache_free(c);
            return tier_fail("cache_set", rc);
        }
    }
    (void)key;
    const uint64_t n = 5000000;
    uint64_t sum = 0;
    double t0 = cpu_now();
    for (uint64_t i = 0; i < n; i++) {
        unsigned j = (unsigned)((i * 7919) % 1000);
        cairn_cache_entry *e;
        if (cairn_cache_get(c, keys[j], klen[j], &e) != CAIRN_OK) {
            cairn_cache_free(c);
            fprintf(stderr, "cairn bench --tier: cache miss on %s\n", keys[j]);
            return CLI_ERROR;
        }
        size_t len;
        const unsigned char *d = cairn_cache_entry_data(e, &len);
        sum += d[len - 1] + len; /* the caller looks at the value */
        cairn_cache_entry_release(e);
    }
    double t = cpu_now() - t0;
    cairn_cache_free(c);
    if (sum != n * ('v' + 1024)) {
        fprintf(stderr, "cairn bench --tier: cache returned wrong values\n");
        return CLI_ERROR;
    }
    *ops_s = (double)n / t;
    return CLI_OK;
}

int cli_bench_tier(const char *url, int argc, char **argv)
{
    uint64_t n = BENCH_N_DEFAULT, g = 1000000, seed = BENCH_SEED_DEFAULT;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (!strcmp(a, "--tier"))
            continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf(tier_usage);
            return CLI_OK;
        }
        uint64_t *dst = !strcmp(a, "--n") ? &n : !strcmp(a, "--gets") ? &g
                                           : !strcmp(a, "--seed") ? &seed : NULL;
        char *end = NULL;
        if (!dst || k + 1 >= argc || !*argv[k + 1] ||
            (*dst = strtoull(argv[k + 1], &end, 10), *end) || (dst != &seed && *dst == 0) ||
            (dst == &n && *dst > BENCH_N_MAX) || (dst == &g && *dst > 100000000)) {
            fprintf(stderr, "cairn bench --tier: bad argument '%s' (see --tier --help)\n", a);
            return CLI_USAGE;
        }
        k++;
    }
    if (n < 10) {
        fprintf(stderr, "cairn bench --tier: --n must be at least 10\n");
        return CLI_USAGE;
    }
    cairn_store *p = NULL, *t = NULL, *u = NULL;
    int rc = cairn_store_open(url, NULL, &p);
    if (rc)
        return tier_fail("open", rc);
    char *turl = malloc(strlen(url) + 8), *uurl = malloc(strlen(url) + 40);
    char *keys = malloc((size_t)n * BENCH_KEY_LEN);
    uint32_t *seq = malloc((size_t)g * sizeof *seq);
    char *doc = malloc(BENCH_DOC_LEN + 1);
    int ex = CLI_OK;
    if (!turl || !uurl || !keys || !seq || !doc) {
        fprintf(stderr, "cairn bench --tier: out of memory\n");
        ex = CLI_ERROR;
        goto out;
    }
    uint64_t cnt = 0;
    if ((rc = cairn_count(p, "runs", &cnt)) || cnt) {
        fprintf(stderr, "cairn bench --tier: the store holds keys under runs/: use a fresh "
                        "one, e.g. --store lmdb:$(mktemp -d)\n");
        ex = CLI_CONFLICT;
        goto out;
    }
    /* Load in batches of 1000 (one transaction each). */
    for (uint64_t b = 0; b < n && ex == CLI_OK; b += 1000) {
        cairn_put_item items[1000];
        static char docs[1000][BENCH_DOC_LEN + 1];
        uint64_t e = b + 1000 < n ? b + 1000 : n;
        for (uint64_t i = b; i < e; i++) {
            char *k = keys + i * BENCH_KEY_LEN;
            bench_key(k, i);
            size_t len = bench_doc(docs[i - b], i);
            items[i - b] = (cairn_put_item){k, docs[i - b], len, 0};
        }
        if ((rc = cairn_put_many(p, items, (size_t)(e - b), NULL)))
            ex = tier_fail("put_many", rc);
    }
    if (ex)
        goto out;
    /* The workload: 90% of gets on the first 10% of the keys. */
    uint64_t st = seed, hot = n / 10;
    for (uint64_t i = 0; i < g; i++) {
        uint64_t x = bench_mix(&st);
        seq[i] = (uint32_t)(x % 100 < 90 ? (x >> 8) % hot : hot + (x >> 8) % (n - hot));
    }
    snprintf(turl, strlen(url) + 8, "tiered:%s", url);
    /* the same without entry TTL: what one process owning the store gets */
    snprintf(uurl, strlen(url) + 40, "tiered:%s%scache_ttl_ms=-1", url,
             strchr(url, '?') ? "&" : "?");
    if ((rc = cairn_store_open(turl, NULL, &t)) || (rc = cairn_store_open(uurl, NULL, &u))) {
        ex = tier_fail("open tiered", rc);
        goto out;
    }
    double cache_ops = 0, tp[2], tt[2], tu[2], w;
    if ((ex = cache_hits(&cache_ops)))
        goto out;
    /* warm both (page cache, memory tier), then alternate */
    if ((ex = tier_pass(p, keys, seq, g, &w)) || (ex = tier_pass(t, keys, seq, g, &w)) ||
        (ex = tier_pass(u, keys, seq, g, &w)))
        goto out;
    cairn_cache_stats s0, s1;
    cairn_tier_stats_get(t, &s0);
    for (int r = 0; r < 2; r++)
        if ((ex = tier_pass(p, keys, seq, g, &tp[r])) ||
            (ex = tier_pass(t, keys, seq, g, &tt[r])) || (ex = tier_pass(u, keys, seq, g, &tu[r])))
            goto out;
    cairn_tier_stats_get(t, &s1);
    /* cairn_get of keys held in memory: the hot keys, round-robin */
    double t0 = cpu_now();
    uint64_t hits = g < 1000000 ? g : 1000000;
    for (uint64_t i = 0; i < hits; i++) {
        cairn_value *v = NULL;
        if ((rc = cairn_get(t, keys + ((i * 7919) % hot) * BENCH_KEY_LEN, &v))) {
            ex = tier_fail("get", rc);
            goto out;
        }
        cairn_value_free(v);
    }
    double tier_get_ops = (double)hits / (cpu_now() - t0);
    double plain = (double)g / (tp[0] < tp[1] ? tp[0] : tp[1]);
    double tiered = (double)g / (tt[0] < tt[1] ? tt[0] : tt[1]);
    double nottl = (double)g / (tu[0] < tu[1] ? tu[0] : tu[1]);
    uint64_t q = (s1.hits - s0.hits) + (s1.misses - s0.misses);
    printf("backend=%s n=%llu gets=%llu cache_hit_ops_s=%.0f tier_get_ops_s=%.0f "
           "plain_ops_s=%.0f tiered_ops_s=%.0f plain_runs_s=%.3f,%.3f tiered_runs_s=%.3f,%.3f "
           "tiered_ratio=%.2f hit_rate=%.3f nottl_ops_s=%.0f nottl_runs_s=%.3f,%.3f "
           "nottl_ratio=%.2f\n",
           cairn_store_backend(p), (unsigned long long)n, (unsigned long long)g, cache_ops,
           tier_get_ops, plain, tiered, tp[0], tp[1], tt[0], tt[1], tiered / plain,
           q ? (double)(s1.hits - s0.hits) / (double)q : 0.0, nottl, tu[0], tu[1],
           nottl / plain);
    printf("targets: cache hit %.2fM/s (>= 5M/s: %s); tiered/plain %.2fx (>= 2x: %s)\n",
           cache_ops / 1e6, cache_ops >= 5e6 ? "met" : "NOT met", tiered / plain,
           tiered / plain >= 2 ? "met" : "NOT met");
out:
    cairn_store_close(u);
    cairn_store_close(t);
    cairn_store_close(p);
    free(turl);
    free(uurl);
    free(keys);
    free(seq);
    free(doc);
    return ex;
}
