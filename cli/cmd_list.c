/*
 * cmd_list.c — the commands over many keys: ls, range, count. Listings
 * stream from the store's iterator, one key (or JSON object) per line.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>


/* One JSON object for the record under key, whose header m the listing
 * read: the user metadata is not in it, so a record that has some is
 * read whole (get --meta's object, the same fields). Returns an exit
 * status; CLI_OK and nothing printed when it went away meanwhile. */
static int print_meta(cairn_store *s, const char *key, const cairn_meta *m, const char *what)
{
    if (!m->user_meta_len) {
        cli_json_meta(stdout, key, m);
        putchar('\n');
        return CLI_OK;
    }
    cairn_value *v = NULL;
    int rc = cairn_get(s, key, &v);
    if (rc == CAIRN_ENOTFOUND)
        return CLI_OK;
    if (rc)
        return cli_fail(rc, what, key);
    cli_json_meta(stdout, key, cairn_value_meta(v));
    putchar('\n');
    cairn_value_free(v);
    return CLI_OK;
}

/* Print the keys of it: one per line, or one JSON object per line; at most
 * limit of them unless limit is negative. */
static int print_keys(cairn_store *s, cairn_iter *it, bool json, int64_t limit,
                      const char *what)
{
    int64_t n = 0;
    for (;;) {
        if (limit >= 0 && n >= limit)
            return CLI_OK;
        const char *key;
        size_t klen;
        int rc = cairn_iter_next(it, &key, &klen);
        if (rc == CAIRN_DONE)
            return CLI_OK;
        if (rc)
            return cli_fail(rc, what, NULL);
        if (json) {
            cairn_meta m;
            if ((rc = cairn_iter_meta(it, &m)))
                return cli_fail(rc, what, key);
            int ex = print_meta(s, key, &m, what);
            if (ex)
                return ex;
        } else {
            fwrite(key, 1, klen, stdout);
            putchar('\n');
        }
        n++;
        if (ferror(stdout))
            return CLI_ERROR; /* reported by main's final flush check */
    }
}

static const cli_opt list_specs[] = {
    {"--limit", "-n", true}, {"--json", "-j", false}, {NULL, NULL, false}};

/* ls and range share options; pos receives up to max positionals.
 * Returns their number, or -1 to stop with *exit. */
static int list_args(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                     const char **pos, int min, int max, bool *json, int64_t *limit, int *exit)
{
    int r, npos = 0;
    uint64_t u;
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, list_specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        if (args.opt == 0) {
            if (cli_parse_u64(args.val, &u) || u > INT64_MAX) {
                *exit = cli_usage(cmd, "--limit: '%s' is not a number", args.val);
                return -1;
            }
            *limit = (int64_t)u;
        } else if (args.opt == 1) {
            *json = true;
        } else if (npos == max) {
            *exit = cli_usage(cmd, "unexpected argument '%s'", args.val);
            return -1;
        } else {
            pos[npos++] = args.val;
        }
    }
    if (r < 0) {
        *exit = args.exit;
        return -1;
    }
    if (npos < min) {
        *exit = cli_usage(cmd, "missing argument (usage: cairn %s)", cmd->synopsis);
        return -1;
    }
    return npos;
}

static int cmd_ls(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    bool json = false;
    int64_t limit = -1;
    int ex;
    if (list_args(ctx, cmd, argc, argv, pos, 0, 1, &json, &limit, &ex) < 0)
        return ex;
    cairn_store *s;
    if ((ex = cli_open_store(ctx, cmd, &s)))
        return ex;
    cairn_iter *it;
    int rc = cairn_list(s, pos[0], &it);
    if (rc) {
        ex = cli_fail(rc, "ls", pos[0]);
    } else {
        ex = print_keys(s, it, json, limit, "ls");
        cairn_iter_free(it);
    }
    cairn_store_close(s);
    return ex;
}

static int cmd_range(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    bool json = false;
    int64_t limit = -1;
    int ex;
    if (list_args(ctx, cmd, argc, argv, pos, 1, 2, &json, &limit, &ex) < 0)
        return ex;
    /* "" START is the first key; "" or no END is past the last. */
    const char *start = pos[0] && *pos[0] ? pos[0] : NULL;
    const char *end = pos[1] && *pos[1] ? pos[1] : NULL;
    cairn_store *s;
    if ((ex = cli_open_store(ctx, cmd, &s)))
        return ex;
    cairn_iter *it;
    /* --limit 0 prints nothing, but the library reads 0 as "no limit":
     * print_keys applies the limit, the library only gets a positive one. */
    int rc = cairn_range(s, start, end, limit > 0 ? (uint64_t)limit : 0, &it);
    if (rc) {
        ex = cli_fail(rc, "range", start ? start : "");
    } else {
        ex = print_keys(s, it, json, limit, "range");
        cairn_iter_free(it);
    }
    cairn_store_close(s);
    return ex;
}

static int cmd_count(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    bool json = false;
    cairn_store *s;
    int ex;
    if (cli_positionals_open_json(ctx, cmd, argc, argv, pos, 0, 1, &json, &s, &ex) < 0)
        return ex;
    uint64_t n = 0;
    int rc = cairn_count(s, pos[0], &n);
    if (json && rc == CAIRN_OK) {
        cli_jobj o;
        cli_jobj_begin(&o, stdout);
        cli_jobj_str(&o, "prefix", pos[0]);
        cli_jobj_u64(&o, "count", n);
        cli_jobj_end(&o);
    } else {
        ex = cli_print_count(rc, n, "count", pos[0]);
    }
    cairn_store_close(s);
    return ex;
}

const cli_command cli_list_commands[] = {
    {"ls", cmd_ls, "ls [PREFIX] [--limit N] [--json]",
     "list keys under a prefix",
     "Print the live keys under PREFIX (whole segments: 'a' lists 'a' and 'a/x',\n"
     "never 'ab'), one per line, sorted bytewise. No PREFIX: every key.\n",
     "  -n, --limit N         print at most N keys\n"
     "  -j, --json            one JSON object per line: the key and its metadata,\n"
     "                        as get --meta prints them (meta: the user metadata)\n",
     NULL, CLI_STORE_READ},
    {"range", cmd_range, "range START [END] [--limit N] [--json]",
     "list keys from START up to END",
     "Print the live keys k with START <= k < END (bytewise), one per line.\n"
     "No END (or an empty one): up to the last key; an empty START: from the first.\n",
     "  -n, --limit N         print at most N keys (the first ones)\n"
     "  -j, --json            one JSON object per line: the key and its metadata,\n"
     "                        as get --meta prints them (meta: the user metadata)\n",
     NULL, CLI_STORE_READ},
    {"count", cmd_count, "count [PREFIX] [--json]",
     "count keys under a prefix",
     "Print the number of live keys under PREFIX (all keys without one).\n",
     "  -j, --json            print {\"prefix\":PREFIX or null,\"count\":N}\n",
     NULL, CLI_STORE_READ},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLI_STORE_READ},
};
