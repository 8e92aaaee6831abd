/*
 * args.c — the one argument scanner of the cairn command: options and
 * positionals in any order, --store and --help for every command, usage
 * errors and a command's help.
 */
#include "cmd.h"

#include <stdarg.h>
#include <stdlib.h>
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

/* ---- secrets out of argv ---- */

struct cli_kept {
    cli_kept *next;
    char url[]; /* NUL-terminated */
};

void cli_ctx_release(cli_ctx *ctx)
{
    while (ctx->kept) {
        cli_kept *k = ctx->kept;
        ctx->kept = k->next;
        free(k);
    }
}

#define STARS "***" /* what cairn_url_redact() puts for a secret */

/* Match s against red (s redacted), where each STARS in red stands for a
 * run of bytes of s (a secret); on a match set mask[i] for each byte of s
 * that one of them covers. Backtracking as for glob '*': the secrets are
 * few and end at a delimiter, so this is short; *budget bounds the steps
 * (a false return once it is spent). Returns true on a match. */
static bool match_secrets(const char *s, const char *red, char *mask, const char *s0,
                          long *budget)
{
    if (--*budget < 0)
        return false;
    if (!strncmp(red, STARS, 3)) {
        for (const char *end = s;; end++) {
            if (match_secrets(end, red + 3, mask, s0, budget)) {
                memset(mask + (s - s0), 1, (size_t)(end - s));
                return true;
            }
            if (!*end)
                return false;
        }
    }
    if (*red != *s)
        return false;
    return !*s || match_secrets(s + 1, red + 1, mask, s0, budget);
}

/* Overwrite in place the bytes of arg that the redaction hides. Returns
 * false when nothing was hidden. (A secret spelt "***" is left as it is:
 * the redaction does not tell it from itself.) */
static bool scrub_secrets(char *arg)
{
    size_t n = strlen(arg);
    /* Each secret (possibly empty) becomes 3 bytes: at most 4n + 1. */
    size_t cap = 4 * n + 16;
    char *red = malloc(cap), *mask = calloc(n + 1, 1);
    bool hidden = false;
    if (red && mask && strcmp(cairn_url_redact(arg, red, cap), arg) != 0) {
        long budget = 100000;
        if (!match_secrets(arg, red, mask, arg, &budget)) {
            /* No alignment found in time: hide everything between what the
             * two share at the start and at the end. */
            size_t rn = strlen(red), pre = 0, suf = 0;
            while (pre < n && pre < rn && arg[pre] == red[pre])
                pre++;
            while (suf < n - pre && suf < rn - pre && arg[n - 1 - suf] == red[rn - 1 - suf])
                suf++;
            memset(mask + pre, 1, n - pre - suf);
        }
        for (size_t i = 0; i < n; i++)
            if (mask[i]) {
                arg[i] = '*';
                hidden = true;
            }
    }
    free(red);
    free(mask);
    return hidden;
}

const char *cli_args_url(cli_args *a)
{
    char *arg = a->val_argv;
    if (!arg)
        return a->val;
    size_t n = strlen(arg);
    cli_kept *k = malloc(sizeof *k + n + 1);
    if (!k) {
        fprintf(stderr, "cairn: out of memory\n");
        return NULL;
    }
    memcpy(k->url, arg, n + 1);
    if (!scrub_secrets(arg)) {
        free(k);
        return arg;
    }
    k->next = a->ctx->kept;
    a->ctx->kept = k;
    return k->url;
}

int cli_args_next(cli_args *a)
{
    while (a->i < a->argc) {
        char *arg = a->argv[a->i++];
        a->val_argv = NULL;
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
        char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
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
        char *val = NULL;
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
        a->val_argv = val;
        if (store) {
            a->val = val;
            if (!(a->ctx->store_url = cli_args_url(a))) {
                a->exit = CLI_ERROR;
                return -1;
            }
            continue;
        }
        a->opt = found;
        a->val = val;
        return 1;
    }
    return 0;
}

int cli_positionals_json(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                         const char **pos, int min, int max, bool *json, int *exit)
{
    static const cli_opt json_opts[] = {CLI_OPT_JSON, {NULL, NULL, false}};
    int n = 0, r;
    cli_args a;
    cli_args_init(&a, ctx, cmd, argc, argv, json ? json_opts : NULL, 0);
    while ((r = cli_args_next(&a)) == 1) {
        if (a.opt == 0) {
            *json = true;
            continue;
        }
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

int cli_positionals(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                    const char **pos, int min, int max, int *exit)
{
    return cli_positionals_json(ctx, cmd, argc, argv, pos, min, max, NULL, exit);
}

int cli_positionals_open_json(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                              const char **pos, int min, int max, bool *json,
                              cairn_store **s, int *exit)
{
    int n = cli_positionals_json(ctx, cmd, argc, argv, pos, min, max, json, exit);
    if (n < 0 || (*exit = cli_open_store(ctx, cmd, s)) != CLI_OK)
        return -1;
    return n;
}

int cli_positionals_open(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                         const char **pos, int min, int max, cairn_store **s, int *exit)
{
    return cli_positionals_open_json(ctx, cmd, argc, argv, pos, min, max, NULL, s, exit);
}
