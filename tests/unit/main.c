/*
 * main.c — the unit suite's entry point: `cairn_unit` runs every case, each
 * in its own process; `cairn_unit CASE...` runs the named ones (CTest does).
 */
#include "unit.h"

#include <stdio.h>

typedef struct {
    const tr_case *cases;
    const size_t *n;
} table;

int main(int argc, char **argv)
{
    const table tables[] = {
        {unit_key_cases, &unit_key_ncases},
        {unit_json_cases, &unit_json_ncases},
        {unit_canon_cases, &unit_canon_ncases},
        {unit_record_cases, &unit_record_ncases},
        {unit_misc_cases, &unit_misc_ncases},
        {unit_errmsg_cases, &unit_errmsg_ncases},
        {unit_schema_cases, &unit_schema_ncases},
        {unit_async_cases, &unit_async_ncases},
        {unit_codec_cases, &unit_codec_ncases},
        {unit_cache_cases, &unit_cache_ncases},
    };
    const tr_suite suite = {"unit", NULL, NULL};
    tr_tally tally = {0};
    int matched = 0;

    if (argc > 1 && !strcmp(argv[1], "--list")) {
        for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
            for (size_t i = 0; i < *tables[t].n; i++)
                printf("%s\n", tables[t].cases[i].name);
        return 0;
    }
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++) {
        for (size_t i = 0; i < *tables[t].n; i++) {
            const tr_case *c = &tables[t].cases[i];
            bool want = argc < 2;
            for (int a = 1; a < argc && !want; a++)
                want = !strcmp(argv[a], c->name);
            if (!want)
                continue;
            matched++;
            tr_tally_add(&tally, suite.group, c->name, tr_run_case(&suite, c));
        }
    }
    if (argc > 1 && matched != argc - 1) {
        fprintf(stderr, "cairn_unit: unknown case name (try --list)\n");
        return 2;
    }
    if (matched == 1) /* one case: its own status, so CTest sees skips */
        return tally.failed ? 1 : tally.skipped ? TR_SKIP_CODE : 0;
    return tr_summary(&tally);
}
