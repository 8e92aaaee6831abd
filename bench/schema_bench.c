/*
 * schema_bench.c — what a validated put adds: parsing and validating the
 * 1 KiB benchmark documents (workload.h) against a realistic schema, next to
 * the plain JSON check every put already does.
 *
 * parse_ns is the tree alone (jdom.c), so parse_validate_ns - parse_ns is the
 * validation. Usage: bench_schema [--docs D] [--rounds R]. Prints one line of fields;
 * no time is asserted anywhere (the CTest smoke checks only the fields).
 */
#include "base/jdom.h"
#include "all.h"
#include "workload.h"

#include <stdlib.h>
#include <string.h>

/* The shape of bench_doc(), as Pydantic v2 would export it (with a $defs
 * model for "metrics"). */
static const char schema_json[] =
    "{\"title\":\"Item\",\"type\":\"object\",\"$defs\":{\"Metrics\":{\"type\":\"object\","
    "\"properties\":{\"loss\":{\"type\":\"number\",\"minimum\":0},"
    "\"acc\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
    "\"epoch\":{\"type\":\"integer\",\"minimum\":0}},"
    "\"required\":[\"loss\",\"acc\",\"epoch\"],\"additionalProperties\":false}},"
    "\"properties\":{\"id\":{\"type\":\"string\",\"pattern\":\"^runs/r[0-9]{2}/items/[0-9]{7}$\"},"
    "\"run\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":99},"
    "\"item\":{\"type\":\"integer\",\"minimum\":0},\"ok\":{\"type\":\"boolean\"},"
    "\"score\":{\"type\":\"number\",\"minimum\":0,\"exclusiveMaximum\":1},"
    "\"metrics\":{\"$ref\":\"#/$defs/Metrics\"},"
    "\"samples\":{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":0},"
    "\"maxItems\":64},"
    "\"note\":{\"anyOf\":[{\"type\":\"string\",\"maxLength\":2048},{\"type\":\"null\"}],"
    "\"default\":null}},"
    "\"required\":[\"id\",\"run\",\"item\",\"ok\",\"score\",\"metrics\",\"samples\"]}";

int main(int argc, char **argv)
{
    uint64_t ndocs = 1000, rounds = 100;
    if (bench_micro_args(argc, argv, "bench_schema [--docs D] [--rounds R]", &ndocs, &rounds))
        return 2;
    cairn_schema *sc;
    if (cairn_schema_compile(schema_json, sizeof schema_json - 1, NULL, &sc) != CAIRN_OK) {
        fprintf(stderr, "bench_schema: schema: %s\n", cairn_errmsg());
        return 1;
    }
    char *docs = bench_docs(ndocs);
    if (!docs)
        return 1;

    double best_val = 1e30, best_check = 1e30, best_parse = 1e30;
    for (int pass = 0; pass < 3; pass++) {
        double t0 = bench_now();
        for (uint64_t r = 0; r < rounds; r++)
            for (uint64_t i = 0; i < ndocs; i++)
                if (cairn_schema_validate(sc, docs + i * (BENCH_DOC_LEN + 1), BENCH_DOC_LEN,
                                          NULL) != CAIRN_OK) {
                    fprintf(stderr, "bench_schema: document %llu invalid: %s\n",
                            (unsigned long long)i, cairn_errmsg());
                    return 1;
                }
        double val = bench_now() - t0;
        t0 = bench_now();
        for (uint64_t r = 0; r < rounds; r++)
            for (uint64_t i = 0; i < ndocs; i++)
                if (cairn__json_check(docs + i * (BENCH_DOC_LEN + 1), BENCH_DOC_LEN) != CAIRN_OK)
                    return 1;
        double check = bench_now() - t0;
        t0 = bench_now();
        for (uint64_t r = 0; r < rounds; r++)
            for (uint64_t i = 0; i < ndocs; i++) {
                _Alignas(8) char first[8192]; /* as cairn_schema_validate does */
                jd_arena a;
                jd_node *root;
                jd_arena_init(&a, first, sizeof first);
                if (jd_parse(&a, docs + i * (BENCH_DOC_LEN + 1), BENCH_DOC_LEN, &root))
                    return 1;
                jd_arena_free(&a);
            }
        double parse = bench_now() - t0;
        if (parse < best_parse)
            best_parse = parse;
        if (val < best_val)
            best_val = val;
        if (check < best_check)
            best_check = check;
    }
    double per = 1e9 / (double)(ndocs * rounds);
    printf("docs=%llu rounds=%llu doc_bytes=%d parse_validate_ns=%.0f parse_ns=%.0f "
           "json_check_ns=%.0f extra_ns=%.0f\n",
           (unsigned long long)ndocs, (unsigned long long)rounds, BENCH_DOC_LEN,
           best_val * per, best_parse * per, best_check * per, (best_val - best_check) * per);
    cairn_schema_free(sc);
    free(docs);
    return 0;
}
