/* cli.h — what the parts of the cairn command share. */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

/* Exit statuses of the cairn command (docs/cli.md). */
enum {
    CLI_OK = 0,
    CLI_ERROR = 1,
    CLI_USAGE = 2,
    CLI_NOTFOUND = 3,
    CLI_CONFLICT = 4,
    CLI_INVALID = 5,
    CLI_UNAVAILABLE = 6
};

/* Map a cairn status to the exit status above. */
int cli_exit_status(int cairn_status);

/* `cairn bench`: argv[0] is "bench"; store_url is the --store / $CAIRN_STORE
 * / default URL. Returns an exit status. (cli/bench.c) */
int cli_bench(const char *store_url, int argc, char **argv);

#endif
