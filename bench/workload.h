/*
 * workload.h — the benchmark workload shared by `cairn bench` and the raw
 * baselines: keys, the 1 KiB JSON documents, the seeded shuffle, timing.
 *
 * Every program of the benchmark generates exactly the same bytes (the Python
 * baseline, bench/diskcache_bench.py, mirrors this file; doc_hash= in every
 * output line lets bench/run.sh check that they agree). Header-only, so that
 * cli/bench.c and the bench/ programs use one definition without a library between them.
 */
#ifndef CAIRN_BENCH_WORKLOAD_H
#define CAIRN_BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_DOC_LEN 1024      /* bytes of every document */
#define BENCH_KEY_LEN 24        /* "runs/rNN/items/NNNNNNN" + NUL, rounded up */
#define BENCH_N_DEFAULT 100000
#define BENCH_N_MAX 9999999     /* i is printed with 7 digits */
#define BENCH_SEED_DEFAULT 42
#define BENCH_LIST_PREFIX "runs/r42"
#define BENCH_TEXT_LEN 4096     /* the pool the documents' notes are cut from */

/* splitmix64: tiny, well mixed, and easy to mirror in Python. */
static inline uint64_t bench_mix(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Write v in decimal, zero-padded to width digits (0: no padding); returns
 * the end. By hand, not snprintf: the generator runs inside the timed loops
 * and must stay far cheaper than what it measures. */
static inline char *bench_num(char *p, uint64_t v, int width)
{
    char tmp[24];
    char *end = tmp + sizeof tmp, *q = end;
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (end - q < width && q > tmp)
        *--q = '0';
    memcpy(p, q, (size_t)(end - q));
    return p + (end - q);
}

static inline char *bench_lit(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* Key number i: runs/rNN/items/NNNNNNN with NN = i mod 100. buf holds at
 * least BENCH_KEY_LEN bytes. Returns the length. */
static inline size_t bench_key(char *buf, uint64_t i)
{
    char *p = bench_lit(buf, "runs/r");
    p = bench_num(p, i % 100, 2);
    p = bench_lit(p, "/items/");
    p = bench_num(p, i, 7);
    *p = 0;
    return (size_t)(p - buf);
}

/* A text of words built once from a fixed seed; documents quote slices of
 * it, so each note differs without costing 700 random draws per document. */
static inline const char *bench_text(void)
{
    static char text[BENCH_TEXT_LEN + 1];
    if (!text[0]) {
        uint64_t st = 0x5EEDull;
        size_t p = 0;
        while (p < BENCH_TEXT_LEN) {
            uint64_t r = bench_mix(&st);
            size_t wlen = 2 + (size_t)(r % 9); /* a word of 2..10 letters */
            r /= 9;
            for (size_t k = 0; k < wlen && p < BENCH_TEXT_LEN; k++, r /= 26)
                text[p++] = (char)('a' + r % 26);
            if (p < BENCH_TEXT_LEN)
                text[p++] = ' ';
        }
        text[BENCH_TEXT_LEN] = 0;
    }
    return text;
}

/*
 * Document number i: one JSON object of exactly BENCH_DOC_LEN bytes, varied
 * per key (numbers and the note's slice come from a generator seeded by i).
 * Only integer arithmetic, so Python prints the very same bytes.
 * buf holds at least BENCH_DOC_LEN + 1 bytes (a NUL follows the document).
 */
static inline size_t bench_doc(char *buf, uint64_t i)
{
    uint64_t st = i;
    uint64_t r[6]; /* r[5] is drawn but unused: the samples follow it */
    for (int k = 0; k < 6; k++)
        r[k] = bench_mix(&st);
    /* {"id":"runs/rNN/items/NNNNNNN","run":NN,"item":I,"ok":B,
     *  "score":0.DDDDDD,"metrics":{"loss":D.DDDD,"acc":0.DDDD,"epoch":E},
     *  "samples":[16 numbers],"note":"<slice of bench_text()>"} */
    char *p = bench_lit(buf, "{\"id\":\"");
    p += bench_key(p, i);
    p = bench_lit(p, "\",\"run\":");
    p = bench_num(p, i % 100, 0);
    p = bench_lit(p, ",\"item\":");
    p = bench_num(p, i, 0);
    p = bench_lit(p, (r[0] & 1) ? ",\"ok\":true,\"score\":0." : ",\"ok\":false,\"score\":0.");
    p = bench_num(p, r[1] % 1000000, 6);
    p = bench_lit(p, ",\"metrics\":{\"loss\":");
    p = bench_num(p, r[2] % 10, 0);
    *p++ = '.';
    p = bench_num(p, r[2] / 10 % 10000, 4);
    p = bench_lit(p, ",\"acc\":0.");
    p = bench_num(p, r[3] % 10000, 4);
    p = bench_lit(p, ",\"epoch\":");
    p = bench_num(p, r[3] / 10000 % 500, 0);
    p = bench_lit(p, "},\"samples\":[");
    for (int k = 0; k < 16; k++) {
        if (k)
            *p++ = ',';
        p = bench_num(p, bench_mix(&st) % 100000, 0);
    }
    p = bench_lit(p, "],\"note\":\"");
    /* The note fills the document up to its closing "} exactly. */
    size_t fill = (size_t)(buf + BENCH_DOC_LEN - 2 - p);
    size_t from = (size_t)(r[4] % (BENCH_TEXT_LEN - fill + 1));
    memcpy(p, bench_text() + from, fill);
    memcpy(buf + BENCH_DOC_LEN - 2, "\"}", 3);
    return BENCH_DOC_LEN;
}

/* A JSON Schema (draft 2020-12) of the documents above, as a user would
 * write for them: every field typed and required, bounds on the numbers, a
 * pattern on the id, no other properties. `cairn bench --model` registers
 * it and validates every document against it. */
#define BENCH_DOC_SCHEMA                                                       \
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","            \
    "\"title\":\"BenchItem\",\"type\":\"object\","                             \
    "\"properties\":{"                                                         \
    "\"id\":{\"type\":\"string\",\"pattern\":\"^runs/r[0-9]{2}/items/[0-9]{7}$\"}," \
    "\"run\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":99},"              \
    "\"item\":{\"type\":\"integer\",\"minimum\":0},"                            \
    "\"ok\":{\"type\":\"boolean\"},"                                             \
    "\"score\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"              \
    "\"metrics\":{\"type\":\"object\",\"properties\":{"                          \
    "\"loss\":{\"type\":\"number\",\"minimum\":0},"                             \
    "\"acc\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"                \
    "\"epoch\":{\"type\":\"integer\",\"minimum\":0}},"                          \
    "\"required\":[\"loss\",\"acc\",\"epoch\"],\"additionalProperties\":false}," \
    "\"samples\":{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":0}," \
    "\"maxItems\":64},"                                                       \
    "\"note\":{\"type\":\"string\",\"maxLength\":2048}},"                        \
    "\"required\":[\"id\",\"run\",\"item\",\"ok\",\"score\",\"metrics\","          \
    "\"samples\",\"note\"],\"additionalProperties\":false}"

/* The get order: a Fisher-Yates shuffle of 0..n-1 seeded by seed. */
static inline void bench_shuffle(uint32_t *order, uint32_t n, uint64_t seed)
{
    uint64_t st = seed;
    for (uint32_t k = 0; k < n; k++)
        order[k] = k;
    for (uint32_t k = n; k > 1; k--) {
        uint32_t j = (uint32_t)(bench_mix(&st) % k);
        uint32_t t = order[k - 1];
        order[k - 1] = order[j];
        order[j] = t;
    }
}

/* FNV-1a 64 of documents 0 and n-1: equal across programs means they ran
 * the same workload. */
static inline uint64_t bench_doc_hash(uint64_t n)
{
    char doc[BENCH_DOC_LEN + 1];
    uint64_t h = 0xcbf29ce484222325ull;
    uint64_t ids[2] = {0, n ? n - 1 : 0};
    for (int k = 0; k < 2; k++) {
        bench_doc(doc, ids[k]);
        for (size_t b = 0; b < BENCH_DOC_LEN; b++) {
            h ^= (unsigned char)doc[b];
            h *= 0x100000001b3ull;
        }
    }
    return h;
}

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The results every program prints, one line of name=value fields. */
typedef struct {
    const char *backend;
    uint64_t n;
    double put_s, get_s, list_s; /* wall-clock seconds of each phase */
    uint64_t list_keys;
    const char *extra; /* more " name=value" fields for the line, or NULL */
} bench_result;

static inline void bench_print(FILE *f, const bench_result *r)
{
    double n = (double)r->n;
    fprintf(f,
            "backend=%s n=%llu put_ops_s=%.0f get_ops_s=%.0f list_ms=%.3f "
            "put_us=%.2f get_us=%.2f list_keys=%llu doc_bytes=%d doc_hash=%016llx%s\n",
            r->backend, (unsigned long long)r->n, r->put_s > 0 ? n / r->put_s : 0.0,
            r->get_s > 0 ? n / r->get_s : 0.0, r->list_s * 1e3,
            n > 0 ? r->put_s * 1e6 / n : 0.0, n > 0 ? r->get_s * 1e6 / n : 0.0,
            (unsigned long long)r->list_keys, BENCH_DOC_LEN,
            (unsigned long long)bench_doc_hash(r->n), r->extra ? r->extra : "");
    fflush(f);
}

/* Parse a count for --n: 1..BENCH_N_MAX. Returns 0 when it is not one. */
static inline uint64_t bench_parse_n(const char *s)
{
    if (!s || !*s)
        return 0;
    uint64_t v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9' || v > BENCH_N_MAX)
            return 0;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    return v <= BENCH_N_MAX ? v : 0;
}

/* The command line of a microbenchmark: "PROG [--docs D] [--rounds R]".
 * Returns 0, or 2 after printing the usage line to stderr. */
static inline int bench_micro_args(int argc, char **argv, const char *usage, uint64_t *ndocs,
                                   uint64_t *rounds)
{
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--docs") && k + 1 < argc && (*ndocs = bench_parse_n(argv[k + 1])))
            k++;
        else if (!strcmp(argv[k], "--rounds") && k + 1 < argc &&
                 (*rounds = bench_parse_n(argv[k + 1])))
            k++;
        else {
            fprintf(stderr, "usage: %s\n", usage);
            return 2;
        }
    }
    return 0;
}

/* Documents 0..ndocs-1, each at docs + i * (BENCH_DOC_LEN + 1); NULL when
 * out of memory. The caller frees it. */
static inline char *bench_docs(uint64_t ndocs)
{
    char *docs = malloc((size_t)ndocs * (BENCH_DOC_LEN + 1));
    if (docs)
        for (uint64_t i = 0; i < ndocs; i++)
            bench_doc(docs + i * (BENCH_DOC_LEN + 1), i);
    return docs;
}

/* The command line of a raw baseline: "PROG TARGET [--n N] [--seed S]".
 * Returns 0, or 2 after printing the usage line to stderr. */
static inline int bench_args(int argc, char **argv, const char *usage,
                             const char **target, uint64_t *n, uint64_t *seed)
{
    *target = NULL;
    *n = BENCH_N_DEFAULT;
    *seed = BENCH_SEED_DEFAULT;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--n") && k + 1 < argc) {
            if (!(*n = bench_parse_n(argv[++k])))
                break;
        } else if (!strcmp(argv[k], "--seed") && k + 1 < argc) {
            *seed = strtoull(argv[++k], NULL, 10);
        } else if (argv[k][0] != '-' && !*target) {
            *target = argv[k];
        } else {
            *target = NULL;
            break;
        }
    }
    if (*target && *n)
        return 0;
    fprintf(stderr, "usage: %s\n", usage);
    return 2;
}

#endif /* CAIRN_BENCH_WORKLOAD_H */
