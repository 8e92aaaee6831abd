/*
 * cmd_store.c — the commands on the store as a whole: purge (expired
 * records), upgrade (records of an older format), clear (every record) and
 * stats.
 */
#include "cmd.h"

#include <ctype.h>
#include <string.h>
#include <unistd.h>

static int cmd_purge(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1];
    bool json = false;
    cairn_store *s;
    int ex;
    if (cli_positionals_open_json(ctx, cmd, argc, argv, pos, 0, 0, &json, &s, &ex) < 0)
        return ex;
    uint64_t n = 0;
    int rc = cairn_purge_expired(s, &n);
    ex = cli_print_count_json(rc, n, json, "removed", NULL, "purge", NULL);
    cairn_store_close(s);
    return ex;
}

static int cmd_upgrade(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    bool json = false;
    cairn_store *s;
    int ex;
    if (cli_positionals_open_json(ctx, cmd, argc, argv, pos, 0, 1, &json, &s, &ex) < 0)
        return ex;
    uint64_t n = 0;
    int rc = cairn_upgrade(s, pos[0], &n);
    ex = cli_print_count_json(rc, n, json, "upgraded", "prefix", "upgrade", pos[0]);
    cairn_store_close(s);
    return ex;
}

/* Ask on the terminal whether to remove the n records of the store; true
 * for "y" or "yes" (any case). */
static bool confirm_clear(const cli_ctx *ctx, uint64_t n)
{
    char shown[1024], line[64];
    fprintf(stderr, "remove all %llu records from %s? [y/N] ", (unsigned long long)n,
            cairn_url_redact(cli_store_url(ctx), shown, sizeof shown));
    fflush(stderr);
    if (!fgets(line, sizeof line, stdin))
        return false;
    size_t l = strcspn(line, "\r\n");
    line[l] = '\0';
    for (size_t i = 0; i < l; i++)
        line[i] = (char)tolower((unsigned char)line[i]);
    return !strcmp(line, "y") || !strcmp(line, "yes");
}

static int cmd_clear(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    static const cli_opt specs[] = {{"--yes", "-y", false}, CLI_OPT_JSON, {NULL, NULL, false}};
    bool yes = false, json = false;
    int r;
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        if (args.opt < 0)
            return cli_usage(cmd, "unexpected argument '%s'", args.val);
        *(args.opt == 0 ? &yes : &json) = true;
    }
    if (r < 0)
        return args.exit;
    /* Asking needs someone to answer: a script says --yes. */
    bool ask = !yes;
    if (ask && !isatty(STDIN_FILENO))
        return cli_usage(cmd, "removes every record: give --yes (no terminal to ask on)");
    cairn_store *s;
    int ex = cli_open_store(ctx, cmd, &s);
    if (ex)
        return ex;
    uint64_t n = 0;
    int rc = ask ? cairn_count(s, NULL, &n) : CAIRN_OK;
    if (rc) {
        ex = cli_fail(rc, "clear", NULL);
    } else if (ask && n && !confirm_clear(ctx, n)) {
        fprintf(stderr, "cairn clear: not confirmed; nothing removed\n");
        ex = CLI_ERROR;
    } else {
        rc = cairn_clear(s, &n);
        ex = cli_print_count_json(rc, n, json, "removed", NULL, "clear", NULL);
    }
    cairn_store_close(s);
    return ex;
}

static int cmd_stats(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1];
    bool json = false; /* its output is JSON either way */
    cairn_store *s;
    int ex;
    if (cli_positionals_open_json(ctx, cmd, argc, argv, pos, 0, 0, &json, &s, &ex) < 0)
        return ex;
    cairn_stats st;
    int rc = cairn_store_stats_get(s, &st);
    if (rc) {
        ex = cli_fail(rc, "stats", NULL);
    } else {
        /* The handle's counters (puts, gets...) are left out: in a
         * one-shot command they only count this command. */
        char shown[1024]; /* never the password */
        const char *url = cairn_url_redact(cli_store_url(ctx), shown, sizeof shown);
        fputs("{\"store\":", stdout);
        cli_json_str(stdout, url, strlen(url));
        fputs(",\"backend\":", stdout);
        cli_json_str(stdout, st.backend, strlen(st.backend));
        printf(",\"keys\":%llu,\"value_bytes\":%llu,\"expired\":%llu",
               (unsigned long long)st.keys, (unsigned long long)st.value_bytes,
               (unsigned long long)st.expired);
        /* A tiered: store: its memory tier too (this process's: limits,
         * and counters that here cover this command only). */
        cairn_cache_stats ts;
        if (cairn_tier_stats_get(s, &ts) == CAIRN_OK)
            printf(",\"tier\":{\"entries\":%llu,\"bytes\":%llu,\"max_entries\":%llu,"
                   "\"max_bytes\":%llu,\"hits\":%llu,\"misses\":%llu,\"evictions\":%llu,"
                   "\"expirations\":%llu,\"hit_rate\":%.4f}",
                   (unsigned long long)ts.entries, (unsigned long long)ts.bytes,
                   (unsigned long long)ts.max_entries, (unsigned long long)ts.max_bytes,
                   (unsigned long long)ts.hits, (unsigned long long)ts.misses,
                   (unsigned long long)ts.evictions, (unsigned long long)ts.expirations,
                   ts.hit_rate);
        fputs("}\n", stdout);
    }
    cairn_store_close(s);
    return ex;
}

const cli_command cli_store_commands[] = {
    {"purge", cmd_purge, "purge [--json]",
     "remove expired records",
     "Remove expired records from the store and print how many were removed.\n"
     "(Expired records are already invisible; this reclaims their space.)\n",
     "  -j, --json            print {\"removed\":N}\n",
     NULL, CLI_STORE_REMOVE},
    {"upgrade", cmd_upgrade, "upgrade [PREFIX] [--json]",
     "rewrite records of an older format in the current one",
     "Rewrite, in place, the records under PREFIX (every record, the library's\n"
     "own included, without one) that an older cairn wrote in an older record\n"
     "format, and print how many were rewritten. Today this binds records\n"
     "written before the key binding to their key, so that such a record\n"
     "copied under another key's name reads as corrupt (exit 1) like any newer\n"
     "one. Only the header changes: value, version, times, expiry (TTL), model\n"
     "and user metadata stay. Old records read without it too. Each record is\n"
     "rewritten atomically; rerunning an interrupted upgrade finishes it, and\n"
     "a second run prints 0. Expired and corrupt records are left alone.\n",
     "  -j, --json            print {\"prefix\":PREFIX or null,\"upgraded\":N}\n",
     NULL, CLI_STORE_REMOVE},
    {"clear", cmd_clear, "clear [--yes] [--json]",
     "remove every record (the models stay)",
     "Remove every record of the store and print how many were removed. The\n"
     "library's own records under _cairn/ (the model registry) stay. On a\n"
     "terminal it first asks 'remove all N records from STORE? [y/N]' (not\n"
     "confirmed: exit 1, nothing removed); elsewhere it needs --yes (without\n"
     "it: exit 2, nothing removed). A store that is not there: exit 3.\n",
     "  -y, --yes             remove without asking\n"
     "  -j, --json            print {\"removed\":N}\n",
     NULL, CLI_STORE_REMOVE},
    {"stats", cmd_stats, "stats [--json]",
     "print store statistics (JSON)",
     "Print the store's statistics as one JSON object: store, backend, keys,\n"
     "value_bytes, expired (not yet purged).\n",
     "  -j, --json            accepted for uniformity: the output is JSON anyway\n",
     NULL, CLI_STORE_READ},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLI_STORE_READ},
};
