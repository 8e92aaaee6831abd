/* cli.h — what the parts of the cairn command share: exit statuses and the
 * small helpers (durations, numbers, JSON output, stdin) in cli/util.c. */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cairn/cairn.h>

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
int cli_exit_status(int status);

/* `cairn bench`: argv[0] is "bench"; store_url is the --store / $CAIRN_STORE
 * / default URL. Returns an exit status. (cli/bench.c) */
int cli_bench(const char *store_url, int argc, char **argv);
/* `cairn bench --tier` (bench_tier.c): the memory tier's benchmark. */
int cli_bench_tier(const char *store_url, int argc, char **argv);
/* cairn bench --async (bench_async.c): async calls against sync ones. */
int cli_bench_async(const char *store_url, int argc, char **argv);

/* `cairn cat` (cli/cat.c): write v rendered by its format to f: json and
 * text as they are (a newline added when missing), msgpack as compact JSON,
 * npy as "dtype=<f8 shape=(3, 4) order=C" and then the values in logical
 * (C) order, one line per run of the last axis, bytes as a hex dump.
 * Returns CAIRN_OK or the status of a failed conversion (a msgpack value
 * with no JSON form). */
int cli_cat(FILE *f, const cairn_value *v);

/* Parse a duration: one or more <integer><unit> with unit ms, s, m, h or d
 * ("500ms", "30s", "1h30m"). *ms receives the total, which is > 0.
 * Returns 0, or -1 for anything else (empty, no unit, zero, overflow). */
int cli_parse_duration(const char *s, int64_t *ms);

/* Parse a whole decimal number (no sign for u64; optional +/- for i64).
 * Returns 0, or -1 when s is not entirely such a number or overflows. */
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_i64(const char *s, int64_t *out);

/* Write ms (Unix time in milliseconds) as "2026-01-31T12:00:00.000Z". */
void cli_iso8601(int64_t ms, char out[40]);

/* Write n bytes of s as a JSON string (quotes included). Control bytes,
 * quotes and backslashes are escaped; invalid UTF-8 becomes U+FFFD so the
 * output is always valid JSON. */
void cli_json_str(FILE *f, const char *s, size_t n);

/* Write the metadata of the record under key as one JSON object (no
 * newline): key, version, format, size, checksum, compression,
 * stored_size, model, meta (the user metadata object or null; meta_size
 * instead when m came from a listing, which does not read it),
 * created/updated/expires as ISO-8601 and *_ms. */
void cli_json_meta(FILE *f, const char *key, const cairn_meta *m);

/* Read all of fd into a new malloc'd buffer (*buf, *len; *buf is never NULL
 * on success). Returns 0; -1 on a read error (errno set); -2 when more than
 * max bytes arrive. */
int cli_read_all(int fd, size_t max, char **buf, size_t *len);

#endif
