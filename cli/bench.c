/*
 * bench.c — `cairn bench`: the standard workload (bench/workload.h) run over
 * the public API on any store, printed as one line of name=value fields.
 *
 * N keys runs/rNN/items/NNNNNNN, each a 1 KiB JSON document, are put one by
 * one (one commit each, the store's default durability), then read back in a
 * seeded shuffled order, then list("runs/r42") is timed. bench/run.sh sets
 * these figures against raw LMDB, raw SQLite and diskcache doing the same.
 */
#include "cli.h"

#include "cairn/cairn.h"
#include "../bench/workload.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char bench_usage[] =
    "usage: cairn [--store URL] bench [--n N] [--seed S] [--model | --compress]\n"
    "\n"
    "Run the standard workload on the store and print one line of name=value\n"
    "fields (backend= n= put_ops_s= get_ops_s= list_ms= put_us= get_us=\n"
    "list_keys= doc_bytes= doc_hash=):\n"
    "  1. put N keys runs/rNN/items/NNNNNNN (NN = i mod 100), each a 1 KiB JSON\n"
    "     document, one by one, one commit each, at the default durability;\n"
    "  2. get them all in a shuffled order (seeded, so every run is the same);\n"
    "  3. time list(\"runs/r42\") (N/100 keys).\n"
    "The store must hold no key under runs/ (use a fresh store: the keys are\n"
    "written with FAIL_IF_EXISTS and left in place afterwards).\n"
    "\n"
    "  --n N       number of keys, 1..9999999 (default 100000)\n"
    "  --seed S    seed of the get order (default 42)\n"
    "  --model     validation on: register a JSON Schema of the document as\n"
    "              model bench/item and put the runs/ keys with it; the same\n"
    "              documents are also put without a model under plain/, in\n"
    "              alternating blocks of 256, so both costs come from one run:\n"
    "              put_us= is the plain put, put_model_us= the validated one,\n"
    "              model_ratio= their ratio. The store must hold no plain/ key\n"
    "              either.\n"
    "  --compress  instead of the workload: the cost of compression. N values\n"
    "              (default 500) of 64 KiB of JSON rows (compressible, as\n"
    "              pipeline results are) are put under zbench/zip/ through a\n"
    "              handle with compression on (the default, zstd level 3) and\n"
    "              under zbench/raw/ through one with it off, in alternating\n"
    "              blocks of 16, then read back the same way (each value\n"
    "              checked). Prints zip_put_us= raw_put_us= put_ratio= (zip\n"
    "              over raw), zip_get_us= raw_get_us= get_ratio= and\n"
    "              stored_ratio= (stored bytes over value bytes). On mem: the\n"
    "              two handles are two stores.\n"
    "  --tier      the memory tier's benchmark instead (cairn bench --tier --help)\n"
    "  --async     async calls against sync ones instead (cairn bench --async --help)\n"
    "  -h, --help  this help\n"
    "\n"
    "bench/run.sh runs it on every backend next to raw LMDB, raw SQLite and\n"
    "Python's diskcache and prints the ratios; docs/performance.md has figures.\n";

/* A value of an option: "--n=5" or "--n 5". Advances *k past a separate
 * value. NULL when the option is not name. */
static const char *bench_opt(int argc, char **argv, int *k, const char *name, int *missing)
{
    size_t nl = strlen(name);
    const char *a = argv[*k];
    if (strncmp(a, name, nl) != 0)
        return NULL;
    if (a[nl] == '=')
        return a + nl + 1;
    if (a[nl] != 0)
        return NULL;
    if (*k + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*k];
}

/* The library's message already names the call and the key; ours only
 * fills in when it has none. */
static int bench_fail(const char *what, const char *key, int rc)
{
    const char *msg = cairn_errmsg();
    if (msg && *msg)
        fprintf(stderr, "cairn bench: %s\n", msg);
    else
        fprintf(stderr, "cairn bench: %s %s: %s\n", what, key, cairn_strerror(rc));
    return cli_exit_status(rc);
}

/* The workload refuses a store that already has runs/ keys: the puts would
 * fail with "already exists" half way, or time other data's listing. */
static int bench_check_fresh(cairn_store *s, const char *url, const char *prefix)
{
    cairn_iter *it = NULL;
    int rc = cairn_list(s, prefix, &it);
    if (rc < 0)
        return bench_fail("list", prefix, rc);
    const char *key = NULL;
    rc = cairn_iter_next(it, &key, NULL);
    if (rc == CAIRN_OK) {
        char shown[1024]; /* never the password */
        url = cairn_url_redact(url, shown, sizeof shown);
        fprintf(stderr,
                "cairn bench: store %s already holds keys under %s/ (such as %s); "
                "run the benchmark on a fresh store, e.g. --store lmdb:$(mktemp -d)\n",
                url, prefix, key);
        cairn_iter_free(it);
        return CLI_CONFLICT;
    }
    cairn_iter_free(it);
    if (rc < 0)
        return bench_fail("list", prefix, rc);
    return CLI_OK;
}

#define BENCH_MODEL "bench/item"
#define BENCH_BLOCK 256

/* Put documents from..to-1 under runs/ (with model: validated) or, with
 * plain, under plain/runs/ without a model. Returns an exit status. */
static int bench_puts(cairn_store *s, uint64_t from, uint64_t to, const char *model,
                      bool plain)
{
    char key[BENCH_KEY_LEN + 8];
    char doc[BENCH_DOC_LEN + 1];
    cairn_put_opts o = {.model = model};
    for (uint64_t i = from; i < to; i++) {
        char *k = key;
        if (plain)
            k = bench_lit(key, "plain/");
        bench_key(k, i);
        size_t len = bench_doc(doc, i);
        int rc = cairn_put(s, key, doc, len, &o);
        if (rc != CAIRN_OK) {
            if (rc == CAIRN_EVALIDATION) {
                const cairn_verrors *e = cairn_validation_errors();
                for (size_t j = 0; j < cairn_verrors_count(e); j++)
                    fprintf(stderr, "%s: %s\n", cairn_verrors_path(e, j),
                            cairn_verrors_rule(e, j));
            }
            return bench_fail("put", key, rc < 0 ? rc : CAIRN_EEXISTS);
        }
    }
    return CLI_OK;
}

static int bench_run(cairn_store *s, uint64_t n, uint64_t seed, bool model,
                     bench_result *res, double *put_model_s)
{
    char key[BENCH_KEY_LEN];
    int rc;

    /* 1. puts: default options, i.e. FAIL_IF_EXISTS, JSON (checked), no TTL.
     * The document is generated inside the timed loop, as in every baseline
     * (well under a microsecond). With a model, plain and validated puts
     * alternate in blocks (which goes first alternates too), so that both
     * see the same store size, cache state and machine load. */
    if (!model) {
        double t0 = bench_now();
        if ((rc = bench_puts(s, 0, n, NULL, false)))
            return rc;
        res->put_s = bench_now() - t0;
    } else {
        res->put_s = *put_model_s = 0;
        for (uint64_t b = 0; b < n; b += BENCH_BLOCK) {
            uint64_t e = b + BENCH_BLOCK < n ? b + BENCH_BLOCK : n;
            for (int k = 0; k < 2; k++) {
                bool plain = (k == 0) == ((b / BENCH_BLOCK) % 2 == 0);
                double t0 = bench_now();
                if ((rc = bench_puts(s, b, e, plain ? NULL : BENCH_MODEL, plain)))
                    return rc;
                *(plain ? &res->put_s : put_model_s) += bench_now() - t0;
            }
        }
    }

    /* 2. gets in a shuffled order, each value checked for its length and
     * the key it names ({"id":"<key>") so a wrong answer cannot pass for a
     * fast one. */
    uint32_t *order = malloc((size_t)n * sizeof *order);
    if (!order) {
        fprintf(stderr, "cairn bench: out of memory for %llu keys\n", (unsigned long long)n);
        return CLI_ERROR;
    }
    bench_shuffle(order, (uint32_t)n, seed);
    double t0 = bench_now();
    for (uint64_t k = 0; k < n; k++) {
        size_t klen = bench_key(key, order[k]);
        cairn_value *v = NULL;
        if ((rc = cairn_get(s, key, &v)) != CAIRN_OK) {
            free(order);
            return bench_fail("get", key, rc);
        }
        size_t len = 0;
        const char *data = cairn_value_data(v, &len);
        if (len != BENCH_DOC_LEN || memcmp(data + 7, key, klen) != 0) {
            fprintf(stderr, "cairn bench: get %s: read back %zu bytes that are not the "
                            "document written\n", key, len);
            cairn_value_free(v);
            free(order);
            return CLI_ERROR;
        }
        cairn_value_free(v);
    }
    res->get_s = bench_now() - t0;
    free(order);

    /* 3. one listing of a run: N/100 keys among N. */
    cairn_iter *it = NULL;
    uint64_t count = 0;
    t0 = bench_now();
    if ((rc = cairn_list(s, BENCH_LIST_PREFIX, &it)) != CAIRN_OK)
        return bench_fail("list", BENCH_LIST_PREFIX, rc);
    const char *k = NULL;
    while ((rc = cairn_iter_next(it, &k, NULL)) == CAIRN_OK)
        count++;
    cairn_iter_free(it);
    res->list_s = bench_now() - t0;
    if (rc != CAIRN_DONE)
        return bench_fail("list", BENCH_LIST_PREFIX, rc);
    res->list_keys = count;
    uint64_t want = n / 100 + (n % 100 > 42);
    if (count != want) {
        fprintf(stderr, "cairn bench: list %s: %llu keys, expected %llu\n", BENCH_LIST_PREFIX,
                (unsigned long long)count, (unsigned long long)want);
        return CLI_ERROR;
    }
    return CLI_OK;
}

#define ZB_LEN (64 * 1024)
#define ZB_BLOCK 16

/* 64 KiB of JSON rows, different for every i: repetitive in the way
 * pipeline output is (same field names, similar numbers), not constant. */
static void zb_value(char *buf, uint64_t i)
{
    size_t n = 0;
    uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
    n += (size_t)snprintf(buf, ZB_LEN, "[");
    for (unsigned row = 0; n < ZB_LEN - 128; row++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        n += (size_t)snprintf(buf + n, ZB_LEN - n,
                              "%s{\"id\":%u,\"run\":%llu,\"name\":\"sample-%05u\",\"score\":%u.%02u,"
                              "\"ok\":%s}",
                              row ? "," : "", row, (unsigned long long)i, (unsigned)(x % 100000),
                              (unsigned)(x >> 20) % 1000, (unsigned)(x >> 40) % 100,
                              (x >> 33) & 1 ? "true" : "false");
    }
    buf[n++] = ']';
    while (n < ZB_LEN) /* pad to exactly 64 KiB with JSON white space */
        buf[n++] = ' ';
}

static int zb_run(const char *url, uint64_t n)
{
    cairn_store *zs = NULL, *rs = NULL;
    cairn_options raw = {.compress_threshold = -1};
    int rc = cairn_store_open(url, NULL, &zs);
    if (rc == CAIRN_OK)
        rc = cairn_store_open(url, &raw, &rs);
    if (rc != CAIRN_OK) {
        cairn_store_close(zs);
        char shown[1024];
        return bench_fail("open", cairn_url_redact(url, shown, sizeof shown), rc);
    }
    int ex = bench_check_fresh(zs, url, "zbench");
    char *val = malloc(ZB_LEN), key[64];
    if (!val) {
        fprintf(stderr, "cairn bench: out of memory\n");
        ex = CLI_ERROR;
    }
    double t[2][2] = {{0, 0}, {0, 0}}; /* [put, get][zip, raw] */
    uint64_t stored = 0;
    for (int phase = 0; phase < 2 && ex == CLI_OK; phase++)
        for (uint64_t b = 0; b < n && ex == CLI_OK; b += ZB_BLOCK) {
            uint64_t e = b + ZB_BLOCK < n ? b + ZB_BLOCK : n;
            for (int k = 0; k < 2 && ex == CLI_OK; k++) {
                int which = (k == 0) == ((b / ZB_BLOCK) % 2 == 0); /* 0 zip, 1 raw */
                cairn_store *s = which ? rs : zs;
                for (uint64_t i = b; i < e && ex == CLI_OK; i++) {
                    zb_value(val, i); /* outside the clock */
                    snprintf(key, sizeof key, "zbench/%s/%06llu", which ? "raw" : "zip",
                             (unsigned long long)i);
                    double t0 = bench_now();
                    cairn_value *v = NULL;
                    rc = phase == 0 ? cairn_put(s, key, val, ZB_LEN, NULL)
                                    : cairn_get(s, key, &v);
                    t[phase][which] += bench_now() - t0;
                    if (rc != CAIRN_OK) {
                        ex = bench_fail(phase ? "get" : "put", key, rc);
                        break;
                    }
                    if (phase == 1) {
                        size_t len = 0;
                        const void *d = cairn_value_data(v, &len);
                        if (len != ZB_LEN || memcmp(d, val, ZB_LEN)) {
                            fprintf(stderr, "cairn bench: get %s: not the value written\n", key);
                            ex = CLI_ERROR;
                        }
                        if (!which)
                            stored += cairn_value_meta(v)->stored_size;
                        cairn_value_free(v);
                    }
                }
            }
        }
    if (ex == CLI_OK) {
        double d = (double)n / 1e6;
        printf("backend=%s n=%llu value_bytes=%d zip_put_us=%.1f raw_put_us=%.1f "
               "put_ratio=%.3f zip_get_us=%.1f raw_get_us=%.1f get_ratio=%.3f "
               "stored_ratio=%.3f\n",
               cairn_store_backend(zs), (unsigned long long)n, ZB_LEN, t[0][0] / d,
               t[0][1] / d, t[0][0] / t[0][1], t[1][0] / d, t[1][1] / d, t[1][0] / t[1][1],
               (double)stored / ((double)n * ZB_LEN));
    }
    free(val);
    cairn_store_close(zs);
    cairn_store_close(rs);
    return ex;
}

int cli_bench(const char *store_url, int argc, char **argv)
{
    uint64_t n = BENCH_N_DEFAULT;
    uint64_t seed = BENCH_SEED_DEFAULT;
    bool model = false, zip = false, have_n = false;

    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--tier"))
            return cli_bench_tier(store_url, argc, argv);
        if (!strcmp(argv[k], "--async"))
            return cli_bench_async(store_url, argc, argv);
    }
    for (int k = 1; k < argc; k++) {
        const char *v;
        int missing = 0;
        if (!strcmp(argv[k], "-h") || !strcmp(argv[k], "--help")) {
            fputs(bench_usage, stdout);
            return CLI_OK;
        } else if ((v = bench_opt(argc, argv, &k, "--n", &missing)) || missing) {
            have_n = true;
            if (missing || !(n = bench_parse_n(v))) {
                fprintf(stderr, "cairn bench: --n needs a count of keys from 1 to %d, "
                                "got '%s'\n", BENCH_N_MAX, missing ? "" : v);
                return CLI_USAGE;
            }
        } else if (!strcmp(argv[k], "--model")) {
            model = true;
        } else if (!strcmp(argv[k], "--compress")) {
            zip = true;
        } else if ((v = bench_opt(argc, argv, &k, "--seed", &missing)) || missing) {
            char *end = NULL;
            if (missing || !*v || (seed = strtoull(v, &end, 10), *end)) {
                fprintf(stderr, "cairn bench: --seed needs a number, got '%s'\n",
                        missing ? "" : v);
                return CLI_USAGE;
            }
        } else {
            fprintf(stderr, "cairn bench: unknown argument '%s' (see cairn bench --help)\n",
                    argv[k]);
            return CLI_USAGE;
        }
    }
    if (!store_url || !*store_url) {
        fprintf(stderr, "cairn bench: no store URL\n");
        return CLI_USAGE;
    }

    if (zip && model) {
        fprintf(stderr, "cairn bench: --compress and --model are separate runs\n");
        return CLI_USAGE;
    }
    if (zip)
        return zb_run(store_url, have_n ? n : 500);

    cairn_store *s = NULL;
    int rc = cairn_store_open(store_url, NULL, &s);
    if (rc != CAIRN_OK) {
        char shown[1024];
        return bench_fail("open", cairn_url_redact(store_url, shown, sizeof shown), rc);
    }
    int ex = bench_check_fresh(s, store_url, "runs");
    if (ex == CLI_OK && model)
        ex = bench_check_fresh(s, store_url, "plain");
    if (ex == CLI_OK && model) {
        static const char schema[] = BENCH_DOC_SCHEMA;
        rc = cairn_model_register(s, BENCH_MODEL, schema, sizeof schema - 1, 0, NULL);
        if (rc < 0)
            ex = bench_fail("model register", BENCH_MODEL, rc);
    }
    bench_result res = {.backend = cairn_store_backend(s), .n = n};
    double put_model_s = 0;
    char extra[128];
    if (ex == CLI_OK)
        ex = bench_run(s, n, seed, model, &res, &put_model_s);
    if (ex == CLI_OK && model) {
        double plain_us = res.put_s * 1e6 / (double)n, model_us = put_model_s * 1e6 / (double)n;
        snprintf(extra, sizeof extra, " put_model_us=%.2f model_ratio=%.3f", model_us,
                 plain_us > 0 ? model_us / plain_us : 0.0);
        res.extra = extra;
    }
    if (ex == CLI_OK)
        bench_print(stdout, &res);
    cairn_store_close(s);
    return ex;
}
