/*
 * cmd_list.c — the commands over many keys: ls, range, count. Listings
 * stream from the store's iterator, one key (or JSON object) per line.
 */
#include "cmd.h"
#include "dump.h"

#include <stdlib.h>
#include <string.h>


/* One JSON object for the record under key, whose header m the listing
 * read: the user metadata is not in it, so a record that has some is
 * read whole (get --meta's object, the same fields). Returns an exit
 * status; CLI_OK and nothing printed when it went away meanwhile. */
static int print_meta(cairn_store *s, const char *key, const cairn_meta *m, const char *what)
{
    cairn_value *v = NULL;
    if (m->user_meta_len) {
        int rc = cairn_get(s, key, &v);
        if (rc == CAIRN_ENOTFOUND)
            return CLI_OK;
        if (rc)
            return cli_fail(rc, what, key);
        m = cairn_value_meta(v);
    }
    cli_json_meta(stdout, key, m);
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

/* One record as a JSON line (ls --values, range --values). */
static int print_value(void *ctx, const cairn_value *v)
{
    (void)ctx;
    size_t len;
    const void *data = cairn_value_data(v, &len);
    dump_write_json(stdout, cairn_value_key(v), cairn_value_meta(v), data, len);
    putchar('\n');
    return 0;
}

/* Print the listing of it as its options say. */
static int print_listing(cairn_store *s, cairn_iter *it, bool json, bool values, int64_t limit,
                         const char *what)
{
    if (!values)
        return print_keys(s, it, json, limit, what);
    int rc = cli_each_value(s, it, limit, print_value, NULL, NULL);
    return rc ? cli_fail(rc, what, NULL) : CLI_OK;
}

/* The options of ls, range and count (each takes those of its specs). */
typedef struct {
    bool json, values;
    int64_t limit;
    const char *raw; /* --raw-prefix P */
} list_opts;

static const cli_opt ls_specs[] = {{"--limit", "-n", true},   CLI_OPT_JSON,
                                   {"--values", "-v", false}, {"--raw-prefix", NULL, true},
                                   {NULL, NULL, false}};
static const cli_opt range_specs[] = {{"--limit", "-n", true}, CLI_OPT_JSON,
                                      {"--values", "-v", false}, {NULL, NULL, false}};
static const cli_opt count_specs[] = {{"--raw-prefix", NULL, true}, CLI_OPT_JSON,
                                      {NULL, NULL, false}};

/* pos receives up to max positionals. Returns their number, or -1 to stop
 * with *exit. */
static int list_args(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                     const cli_opt *specs, const char **pos, int min, int max, list_opts *o,
                     int *exit)
{
    int r, npos = 0;
    uint64_t u;
    cli_args args;
    *o = (list_opts){.limit = -1};
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        const char *name = args.opt < 0 ? "" : specs[args.opt].name;
        if (!strcmp(name, "--limit")) {
            if (cli_parse_u64(args.val, &u) || u > INT64_MAX) {
                *exit = cli_usage(cmd, "--limit: '%s' is not a number", args.val);
                return -1;
            }
            o->limit = (int64_t)u;
        } else if (!strcmp(name, "--json")) {
            o->json = true;
        } else if (!strcmp(name, "--values")) {
            o->values = true;
        } else if (!strcmp(name, "--raw-prefix")) {
            o->raw = args.val;
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
    if (o->raw && npos) {
        *exit = cli_usage(cmd, "give either PREFIX or --raw-prefix P, not both");
        return -1;
    }
    return npos;
}

static int cmd_ls(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    list_opts o;
    int ex;
    if (list_args(ctx, cmd, argc, argv, ls_specs, pos, 0, 1, &o, &ex) < 0)
        return ex;
    cli_prefix p;
    cli_prefix_arg(&p, o.raw ? o.raw : pos[0], o.raw != NULL);
    cairn_store *s;
    if ((ex = cli_open_store(ctx, cmd, &s)))
        return ex;
    cairn_iter *it;
    int rc = cli_list(s, &p, &it);
    if (rc) {
        ex = cli_fail(rc, "ls", p.text);
    } else {
        ex = print_listing(s, it, o.json, o.values, o.limit, "ls");
        cairn_iter_free(it);
    }
    cairn_store_close(s);
    return ex;
}

static int cmd_range(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    list_opts o;
    int ex;
    if (list_args(ctx, cmd, argc, argv, range_specs, pos, 1, 2, &o, &ex) < 0)
        return ex;
    /* "" START is the first key; "" or no END is past the last. */
    const char *start = pos[0] && *pos[0] ? pos[0] : NULL;
    const char *end = pos[1] && *pos[1] ? pos[1] : NULL;
    cairn_store *s;
    if ((ex = cli_open_store(ctx, cmd, &s)))
        return ex;
    cairn_iter *it;
    /* --limit 0 prints nothing, but the library reads 0 as "no limit":
     * print_listing applies the limit, the library only gets a positive one. */
    int rc = cairn_range(s, start, end, o.limit > 0 ? (uint64_t)o.limit : 0, &it);
    if (rc) {
        ex = cli_fail(rc, "range", start ? start : "");
    } else {
        ex = print_listing(s, it, o.json, o.values, o.limit, "range");
        cairn_iter_free(it);
    }
    cairn_store_close(s);
    return ex;
}

static int cmd_count(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    list_opts o;
    int ex;
    if (list_args(ctx, cmd, argc, argv, count_specs, pos, 0, 1, &o, &ex) < 0)
        return ex;
    cli_prefix p;
    cli_prefix_arg(&p, o.raw ? o.raw : pos[0], o.raw != NULL);
    cairn_store *s;
    if ((ex = cli_open_store(ctx, cmd, &s)))
        return ex;
    uint64_t n = 0;
    int rc = cli_count(s, &p, &n);
    ex = cli_print_count_json(rc, n, o.json, "count", "prefix", "count", p.text);
    cairn_store_close(s);
    return ex;
}

const cli_command cli_list_commands[] = {
    {"ls", cmd_ls, "ls [PREFIX | --raw-prefix P] [--limit N] [--json] [--values]",
     "list keys under a prefix",
     "Print the live keys under PREFIX (whole segments: 'a' lists 'a' and 'a/x',\n"
     "never 'ab'), one per line, sorted bytewise. No PREFIX: every key. A PREFIX\n"
     "ending in '*' is a raw prefix: 'item:*' lists every key that starts with\n"
     "'item:' ('item:1', 'item:22'); end it in '\\*' for a literal '*'.\n",
     "      --raw-prefix P    the keys that start with the bytes of P (as 'P*')\n"
     "  -n, --limit N         print at most N keys\n"
     "  -j, --json            one JSON object per line: the key and its metadata,\n"
     "                        as get --meta prints them (meta: the user metadata)\n"
     "  -v, --values          one JSON object per line: the key, its metadata and\n"
     "                        its value (\"encoding\" and \"value\" as in export)\n",
     NULL, CLI_STORE_READ},
    {"range", cmd_range, "range START [END] [--limit N] [--json] [--values]",
     "list keys from START up to END",
     "Print the live keys k with START <= k < END (bytewise), one per line.\n"
     "No END (or an empty one): up to the last key; an empty START: from the first.\n",
     "  -n, --limit N         print at most N keys (the first ones)\n"
     "  -j, --json            one JSON object per line: the key and its metadata,\n"
     "                        as get --meta prints them (meta: the user metadata)\n"
     "  -v, --values          one JSON object per line with the value too, as ls\n",
     NULL, CLI_STORE_READ},
    {"count", cmd_count, "count [PREFIX | --raw-prefix P] [--json]",
     "count keys under a prefix",
     "Print the number of live keys under PREFIX (all keys without one); a PREFIX\n"
     "ending in '*' is a raw prefix, as for ls.\n",
     "      --raw-prefix P    count the keys that start with the bytes of P\n"
     "  -j, --json            print {\"prefix\":PREFIX or null,\"count\":N}\n",
     NULL, CLI_STORE_READ},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLI_STORE_READ},
};
