/*
 * main.c — the cairn command: the global options (--store, --help,
 * --version), the command table put together from the families of cmd.h
 * (one cli/cmd_*.c file each), `cairn help`, and the dispatch.
 */
#include "cmd.h"

#include <errno.h>
#include <string.h>

static int cmd_help(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv);

static const cli_command help_commands[] = {
    {"help", cmd_help, "help [COMMAND]",
     "show help for a command", "Show help for COMMAND, or the list of commands.\n",
     "", NULL, CLI_STORE_READ},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLI_STORE_READ},
};

#define CLI_FAMILY_TABLE(f) cli_##f##_commands,
static const cli_command *const families[] = {CLI_FAMILIES(CLI_FAMILY_TABLE) help_commands};
#undef CLI_FAMILY_TABLE
#define N_FAMILIES (sizeof families / sizeof families[0])

static const cli_command *find_command(const char *name)
{
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const cli_command *c = families[f]; c->name; c++)
            if (!strcmp(c->name, name))
                return c;
    return NULL;
}

static void print_main_help(FILE *f)
{
    fprintf(f, "Usage: cairn [--store URL] [--default-ttl DURATION] COMMAND [ARGS...]\n\n"
               "Keep the results and state of data pipelines in a store.\n\n"
               "Commands:\n");
    for (size_t k = 0; k < N_FAMILIES; k++)
        for (const cli_command *c = families[k]; c->name; c++)
            fprintf(f, "  %-8s %s\n", c->name, c->brief);
    fprintf(f,
            "\nOptions:\n"
            "  -s, --store URL   the store: file:DIR (or a bare path), sqlite:PATH,\n"
            "                    lmdb:DIR, postgres://[user[:pw]@]host[:port]/db,\n"
            "                    redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P],\n"
            "                    tiered:URL (a memory tier over URL), mem:\n"
            "                    (default: $CAIRN_STORE, else %s);\n"
            "                    any URL takes ?default_ttl=DURATION\n"
            "                    A password in URL is hidden from ps once read, but\n"
            "                    shows until then and stays in shell history: prefer\n"
            "                    $PGPASSWORD or ~/.pgpass (postgres), $REDISCLI_AUTH or\n"
            "                    $CAIRN_REDIS_PASSWORD (redis)\n"
            "      --default-ttl DURATION\n"
            "                    expiry of puts that give no --ttl: seconds (300) or\n"
            "                    500ms, 30s, 5m, 2h, 1d, 1h30m (wins over the URL's)\n"
            "  -h, --help        show this help\n"
            "  -V, --version     print the version\n\n"
            "Exit status:\n",
            CLI_DEFAULT_STORE);
    cli_print_exit_statuses(f);
    fprintf(f, "\n'cairn help COMMAND' or 'cairn COMMAND --help' shows a command's options.\n");
}

static int cmd_help(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    int ex;
    if (cli_positionals(ctx, cmd, argc, argv, pos, 0, 1, &ex) < 0)
        return ex;
    if (!pos[0]) {
        print_main_help(stdout);
        return CLI_OK;
    }
    const cli_command *c = find_command(pos[0]);
    if (!c)
        return cli_usage(cmd, "unknown command '%s'", pos[0]);
    cli_print_help(c);
    return CLI_OK;
}

static int run(cli_ctx *ctx, int argc, char **argv)
{
    enum { O_HELP, O_VERSION, O_DEFAULT_TTL };
    static const cli_opt opts[] = {{"--help", "-h", false},
                                   {"--version", "-V", false},
                                   {"--default-ttl", NULL, true},
                                   {NULL, NULL, false}};
    cli_args args;
    int r;
    /* The global options, up to the command; --store is taken here too
     * (and its password scrubbed from argv). */
    cli_args_init(&args, ctx, NULL, argc, argv, opts, 0);
    while ((r = cli_args_next(&args)) == 1 && args.opt >= 0) {
        if (args.opt == O_HELP) {
            print_main_help(stdout);
            return CLI_OK;
        }
        if (args.opt == O_DEFAULT_TTL) {
            if (cairn_duration_parse(args.val, &ctx->default_ttl_ms))
                return cli_usage(NULL, "--default-ttl: %s", cairn_errmsg());
            continue;
        }
        printf("cairn %s\n", CAIRN_VERSION_STRING);
        return CLI_OK;
    }
    if (r < 0)
        return args.exit;
    if (r == 0) {
        print_main_help(stderr);
        return CLI_USAGE;
    }
    const cli_command *cmd = find_command(args.val);
    if (!cmd)
        return cli_usage(NULL, "unknown command '%s'", args.val);
    int at = args.i - 1; /* the command: its argv[0] */
    return cmd->fn(ctx, cmd, argc - at, argv + at);
}

int main(int argc, char **argv)
{
    cli_ctx ctx = {0};
    int ex = run(&ctx, argc, argv);
    cli_ctx_release(&ctx);
    /* Output goes through stdio: a full disk or closed pipe shows up here. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cairn: writing standard output: %s\n", strerror(errno));
        if (ex == CLI_OK)
            ex = CLI_ERROR;
    }
    return ex;
}
