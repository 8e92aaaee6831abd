/*
 * args.c — the one argument scanner of the cairn command: options and
 * positionals in any order, --store and --help for every command, usage
 * errors and a command's help.
 */
#include "cmd.h"

#include <stdarg.h>
#include <string.h>

#define COMMON_HELP                                                                      \
    "  -s, --store URL       the store (default: $CAIRN_STORE, else ./cairn-data)\n"      \
    "  -h, --help            show this help\n"

int cli_usage(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "cairn%s%s: ", cmd ? " " : "", cmd ? cmd->name : "");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'cairn %s%s--help')\n", cmd ? cmd->name : "", cmd ? " " : "");
    va_end(ap);
    return CLI_USAGE;
}

void cli_print_help(const cli_command *cmd)
{
    if (cmd->print_help) {
        cmd->print_help(stdout);
        return;
    }
    printf("Usage: cairn [--store URL] %s\n\n%s\nOptions:\n%s%s", cmd->synopsis,
           cmd->summary, cmd->help, COMMON_HELP);
}

void cli_args_init(cli_args *a, cli_ctx *ctx, const cli_command *cmd, int argc,
                   char **argv, const cli_opt *opts, unsigned flags)
{
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
    a->cmd = cmd;
    a->argc = argc;
    a->argv = argv;
    a->i = 1; /* argv[0] is the command */
    a->opts = opts;
    a->flags = flags;
}

bool cli_is_option(const char *arg)
{
    return arg[0] == '-' && arg[1] != '\0' && !(arg[1] >= '0' && arg[1] <= '9');
}

/* "--store", "--store=URL" (nlen 7) or "-s". */
static bool is_store(const char *a, size_t nlen)
{
    return (nlen == 7 && !strncmp(a, "--store", 7)) || !strcmp(a, "-s");
}

int cli_args_next(cli_args *a)
{
    while (a->i < a->argc) {
        const char *arg = a->argv[a->i++];
        bool raw = a->flags & CLI_ARGS_RAW;
        if (a->opts_done || !cli_is_option(arg)) {
            a->opt = -1;
            a->val = arg;
            return 1;
        }
        if (!strcmp(arg, "--")) {
            a->opts_done = true;
            if (!raw)
                continue;
            a->opt = -1; /* handed on: the command parses the rest */
            a->val = arg;
            return 1;
        }
        if (!raw && a->cmd && (!strcmp(arg, "--help") || !strcmp(arg, "-h"))) {
            cli_print_help(a->cmd);
            a->exit = CLI_OK;
            return -1;
        }
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        bool store = is_store(arg, nlen);
        int found = -1;
        for (int k = 0; !store && !raw && a->opts && a->opts[k].name; k++) {
            const cli_opt *o = &a->opts[k];
            if ((strlen(o->name) == nlen && !strncmp(arg, o->name, nlen)) ||
                (!eq && o->alias && !strcmp(arg, o->alias)))
                found = k;
        }
        if (raw && !store) {
            a->opt = -1;
            a->val = arg;
            return 1;
        }
        if (!store && found < 0) {
            a->exit = cli_usage(a->cmd, "unknown option '%.*s'", (int)nlen, arg);
            return -1;
        }
        const char *val = NULL;
        if (store || a->opts[found].takes_value) {
            if (eq) {
                val = eq + 1;
            } else if (a->i < a->argc) {
                val = a->argv[a->i++];
            } else {
                a->exit = cli_usage(a->cmd, "option '%s' needs a value", arg);
                return -1;
            }
        } else if (eq) {
            a->exit = cli_usage(a->cmd, "option '%.*s' takes no value", (int)nlen, arg);
            return -1;
        }
        if (store) {
            a->ctx->store_url = val;
            continue;
        }
        a->opt = found;
        a->val = val;
        return 1;
    }
    return 0;
}

int cli_positionals(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                    const char **pos, int min, int max, int *exit)
{
    int n = 0, r;
    cli_args a;
    cli_args_init(&a, ctx, cmd, argc, argv, NULL, 0);
    while ((r = cli_args_next(&a)) == 1) {
        if (n == max) {
            *exit = cli_usage(cmd, "unexpected argument '%s'", a.val);
            return -1;
        }
        pos[n++] = a.val;
    }
    if (r < 0) {
        *exit = a.exit;
        return -1;
    }
    if (n < min) {
        *exit = cli_usage(cmd, "missing argument (usage: cairn %s)", cmd->synopsis);
        return -1;
    }
    return n;
}

int cli_positionals_open(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                         const char **pos, int min, int max, cairn_store **s, int *exit)
{
    int n = cli_positionals(ctx, cmd, argc, argv, pos, min, max, exit);
    if (n < 0 || (*exit = cli_open_store(ctx, cmd, s)) != CLI_OK)
        return -1;
    return n;
}
