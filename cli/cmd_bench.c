/*
 * cmd_bench.c — `cairn bench`: the table entry. The benchmarks themselves
 * (bench.c, bench_tier.c, bench_async.c) parse their own options; this file
 * takes --store off the arguments and hands them the rest.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

static int cmd_bench(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) {
        fprintf(stderr, "cairn: bench: out of memory\n");
        return CLI_ERROR;
    }
    int n = 0, r;
    rest[n++] = argv[0];
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, NULL, CLI_ARGS_RAW);
    while ((r = cli_args_next(&args)) == 1)
        rest[n++] = argv[args.i - 1]; /* raw: every item is one argument */
    if (r < 0) {
        free(rest);
        return args.exit;
    }
#ifdef CAIRN_CLI_NO_BENCH
    bool help = false;
    for (int i = 1; i < n && strcmp(rest[i], "--") != 0; i++)
        help = help || !strcmp(rest[i], "--help") || !strcmp(rest[i], "-h");
    free(rest);
    if (help) {
        cli_print_help(cmd);
        printf("\n(bench is not built into this cairn)\n");
        return CLI_OK;
    }
    fprintf(stderr, "cairn: bench not built (this cairn was built without cli/bench.c)\n");
    return CLI_ERROR;
#else
    int ex = cli_bench(cli_store_url(ctx), n, rest);
    free(rest);
    return ex;
#endif
}

const cli_command cli_bench_commands[] = {
    {"bench", cmd_bench, "bench [--n N] [--model]",
     "run the benchmark",
     "Run the benchmark workload against the store and print one line of\n"
     "name=value fields (docs/performance.md).\n", "", NULL, CLI_STORE_WRITE},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLI_STORE_READ},
};
