/*
 * cmd_store.c — the commands on the store as a whole: purge (expired
 * records) and stats.
 */
#include "cmd.h"

#include <string.h>

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
    if (json && rc == CAIRN_OK) {
        cli_jobj j;
        cli_jobj_begin(&j, stdout);
        cli_jobj_u64(&j, "removed", n);
        cli_jobj_end(&j);
    } else {
        ex = cli_print_count(rc, n, "purge", NULL);
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
    {"stats", cmd_stats, "stats [--json]",
     "print store statistics (JSON)",
     "Print the store's statistics as one JSON object: store, backend, keys,\n"
     "value_bytes, expired (not yet purged).\n",
     "  -j, --json            accepted for uniformity: the output is JSON anyway\n",
     NULL, CLI_STORE_READ},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLI_STORE_READ},
};
