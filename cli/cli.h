/* cli.h — what the parts of the cairn command share: exit statuses and the
 * small helpers (numbers, JSON output, stdin) in cli/util.c. */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cairn/cairn.h>

/* The exit statuses of the cairn command: the one table every command
 * uses, X(NAME, STATUS, WHAT) with WHAT as `cairn --help` prints it.
 * docs/cli.md ("Exit statuses") and docs/cairn.1 (EXIT STATUS) say the
 * same at length, and cli_test.sh's check_exit_statuses holds every
 * command to it. The rules that decide between two of them:
 *   - a FILE argument (put --input, validate's FILE, model add's
 *     SCHEMA_FILE) that cannot be opened is a usage error, 2; one that
 *     fails while being read is 1; one too large for a value is 5;
 *   - 3 is a key or a store that is not there, never a file or a model;
 *   - a model that is not registered, or a name several namespaces have,
 *     is 5 in every command (put --model, get --model, validate, model
 *     show, model rm), as is a record under another model. */
#define CLI_EXIT_STATUSES(X)                                                        \
    X(CLI_OK, 0, "success (also a skipped put)")                                    \
    X(CLI_ERROR, 1, "other error (I/O, reading a FILE, corrupt record)")            \
    X(CLI_USAGE, 2, "usage (unknown option, bad argument, a FILE not there)")      \
    X(CLI_NOTFOUND, 3, "not found (a key, a store)")                                \
    X(CLI_CONFLICT, 4, "conflict (exists, different, version)")                     \
    X(CLI_INVALID, 5, "invalid input (key, value, URL, validation, unknown model)") \
    X(CLI_UNAVAILABLE, 6, "backend unavailable (not built in, cannot connect, busy)")

#define CLI_EXIT_ENUM(name, status, what) name = status,
enum { CLI_EXIT_STATUSES(CLI_EXIT_ENUM) };
#undef CLI_EXIT_ENUM

/* The exit status of a failed call on a key (or the store): the library's
 * status mapped through the table above; CAIRN_ENOTFOUND is 3. */
int cli_exit_status(int status);

/* The same for a call whose CAIRN_ENOTFOUND means that the model is not
 * registered (cairn_validate, cairn_model_resolve/schema/remove, a
 * revalidating get of a present key): 5, as CAIRN_EMODEL. */
int cli_exit_status_model(int status);

/* Print the table above, one "  N  WHAT" line per status, to f. */
void cli_print_exit_statuses(FILE *f);

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

/* Write n bytes of JSON the library checked (a schema, user metadata) on
 * one line: line breaks, which only white space between tokens can hold,
 * become spaces. */
void cli_json_raw(FILE *f, const char *json, size_t n);

/* Write the metadata of the record under key as one JSON object (no
 * newline): key, version, format, size, checksum, compression,
 * stored_size, model, meta (the user metadata object or null),
 * created/updated/expires as ISO-8601 and *_ms. m->user_meta must be read
 * when m->user_meta_len says there is some (a listing reads headers only:
 * cairn_get() the record first). The names are the vocabulary of every
 * --json output (docs/cli.md, "JSON output"). */
void cli_json_meta(FILE *f, const char *key, const cairn_meta *m);
/* The same object left open (no closing brace), for a caller that adds
 * fields (dump_write_json). */
void cli_json_meta_fields(FILE *f, const char *key, const cairn_meta *m);

/* One JSON object on one line, written field by field: cli_jobj_begin(),
 * then a cli_jobj_* call per field (names are plain ASCII, written as
 * they are; string values go through cli_json_str()), then cli_jobj_end(),
 * which writes the closing brace and a newline. The one way the commands
 * print a --json result besides cli_json_meta(). */
typedef struct {
    FILE *f;
    bool more; /* a field was written: the next one needs a comma */
} cli_jobj;

void cli_jobj_begin(cli_jobj *o, FILE *f);
/* "name": then the value, which the caller writes to o->f itself (an
 * array, a nested object, raw JSON). */
void cli_jobj_name(cli_jobj *o, const char *name);
/* A string field; s NULL writes null. */
void cli_jobj_str(cli_jobj *o, const char *name, const char *s);
void cli_jobj_u64(cli_jobj *o, const char *name, uint64_t n);
void cli_jobj_i64(cli_jobj *o, const char *name, int64_t n);
void cli_jobj_bool(cli_jobj *o, const char *name, bool b);
/* JSON text (n bytes, already valid JSON, such as a stored schema) as the
 * value, its line breaks written as spaces so the object stays on one
 * line (JSON strings hold none, so only white space changes). */
void cli_jobj_raw(cli_jobj *o, const char *name, const char *json, size_t n);
/* The closing brace; cli_jobj_end() adds the newline of a whole line. */
void cli_jobj_close(cli_jobj *o);
void cli_jobj_end(cli_jobj *o);

/* Read all of fd into a new malloc'd buffer (*buf, *len; *buf is never NULL
 * on success). Returns 0; -1 on a read error (errno set); -2 when more than
 * max bytes arrive. */
int cli_read_all(int fd, size_t max, char **buf, size_t *len);

#endif
