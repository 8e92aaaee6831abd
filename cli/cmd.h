/* cmd.h — how the cairn command is put together: the context a command runs
 * in, the command table each cli/cmd_*.c file contributes, and the one
 * argument scanner (args.c) and shared helpers (common.c) they all use. */
#ifndef CAIRN_CLI_CMD_H
#define CAIRN_CLI_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"

/* A URL argument kept in memory once its password was scrubbed from argv
 * (cli_args_url). */
typedef struct cli_kept cli_kept;

/* What the global options decided, handed to every command. A command's
 * own --store (allowed after the command too) updates it. */
typedef struct {
    const char *store_url; /* from --store; NULL: $CAIRN_STORE, else the default */
    int64_t default_ttl_ms; /* from --default-ttl; 0: the store URL's, else never */
    cli_kept *kept;        /* owned: the copies cli_args_url() made */
} cli_ctx;

/* Free what ctx owns (the copies of URL arguments); ctx stays usable. */
void cli_ctx_release(cli_ctx *ctx);

typedef struct cli_command cli_command;

/* What a command does to the store it opens: the one place that decides
 * whether the command may create it (cli_open_store() reads it). */
typedef enum {
    CLI_STORE_READ,   /* only reads: opens a store that is there and creates
                         nothing (must_exist); a path that holds no store is
                         exit 3, "no cairn store at PATH". Also a command
                         that opens no store (help). */
    CLI_STORE_REMOVE, /* writes, but only removes or rewrites (rm, purge,
                         model rm, upgrade): as CLI_STORE_READ, nothing to
                         change in a store that is not there */
    CLI_STORE_WRITE   /* writes: creates the store when it is missing (put,
                         incr, model add, import, copy's --to, bench) */
} cli_store_use;

/* argv[0] is the command's name; returns an exit status (cli.h). */
typedef int (*cli_command_fn)(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv);

struct cli_command {
    const char *name; /* NULL ends a family's table */
    cli_command_fn fn;
    const char *synopsis; /* after "cairn [--store URL] " */
    const char *brief;    /* one line for `cairn --help` */
    const char *summary;  /* the paragraph of `cairn CMD --help` */
    const char *help;     /* its options */
    /* Its own help (a command with subcommands); NULL: the fields above. */
    void (*print_help)(FILE *f);
    cli_store_use store; /* a command with subcommands: theirs decide */
};

/* The families, in the order `cairn --help` lists them. A family is a file
 * cli/cmd_NAME.c defining `const cli_command cli_NAME_commands[]` (ended by
 * an entry whose name is NULL); adding one is that file and one X(NAME)
 * here. */
#define CLI_FAMILIES(X) \
    X(kv)               \
    X(list)             \
    X(store)            \
    X(model)            \
    X(migrate)          \
    X(bench)

#define CLI_DECLARE_FAMILY(f) extern const cli_command cli_##f##_commands[];
CLI_FAMILIES(CLI_DECLARE_FAMILY)
#undef CLI_DECLARE_FAMILY

/* ---- arguments (args.c) ---- */

/* One option of a command. */
typedef struct {
    const char *name;  /* "--ttl"; NULL ends the list */
    const char *alias; /* "-t" or NULL */
    bool takes_value;
} cli_opt;

/* Scanner flag: only --store is taken; every other argument ("--" too) is
 * handed back as a positional, for a command that parses the rest itself. */
#define CLI_ARGS_RAW 1u

/* Options may come before, between or after the positional arguments;
 * "--" ends them. "-" and negative numbers ("-5") are positional. --store
 * (-s, --store=URL) sets ctx->store_url; -h/--help prints the command's
 * help (with cmd NULL, the top level, -h is an ordinary option). */
typedef struct {
    cli_ctx *ctx;
    const cli_command *cmd; /* NULL: the global options */
    int argc, i;            /* i: the next argument */
    char **argv;
    const cli_opt *opts;
    unsigned flags;
    bool opts_done;
    int opt;         /* index into opts; -1 for a positional */
    const char *val; /* the option's value or the positional */
    char *val_argv;  /* an option's value as the argv bytes it is (for
                        cli_args_url); NULL for a positional */
    int exit;        /* when cli_args_next returns -1 */
} cli_args;

/* argv[0] (the command, or the program) is skipped. opts may be NULL. */
void cli_args_init(cli_args *a, cli_ctx *ctx, const cli_command *cmd, int argc,
                   char **argv, const cli_opt *opts, unsigned flags);

/* 1: an item in a->opt / a->val; 0: the end; -1: stop with a->exit (a
 * usage error reported, or the help printed). The URL of --store is taken
 * through cli_args_url(): its password leaves argv at once. */
int cli_args_next(cli_args *a);

/* The value of the option just returned (a->val, a store URL such as
 * copy's --from and --to), with the secrets cairn_url_redact() hides
 * (a password, password=...) overwritten in argv with '*', so that ps and
 * /proc/PID/cmdline no longer show them. Returns the URL as given: a->val
 * itself when it holds no secret, else a copy owned by a->ctx (released
 * by cli_ctx_release()); NULL when out of memory (reported on stderr;
 * argv is then left as it is). */
const char *cli_args_url(cli_args *a);

/* The whole parse of a command with no options of its own: the
 * positionals into pos (min to max of them; the rest of pos is left as it
 * is). Returns their number, or -1 with *exit (a usage error reported, or
 * the help printed). */
int cli_positionals(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                    const char **pos, int min, int max, int *exit);

/* The --json option every command with a JSON form takes (docs/cli.md,
 * "JSON output"): put it in the command's cli_opt list. */
#define CLI_OPT_JSON {"--json", "-j", false}

/* cli_positionals() for a command whose one option is --json: *json is
 * set when it was given. */
int cli_positionals_json(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                         const char **pos, int min, int max, bool *json, int *exit);

/* cli_positionals(), then the store opened for cmd (cli_open_store): the
 * start of a command with no options of its own. Returns
 * the number of positionals with *s open and *exit CLI_OK, or -1 with the
 * exit status to stop with in *exit (nothing open; CLI_OK after --help). */
int cli_positionals_open(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                         const char **pos, int min, int max, cairn_store **s, int *exit);
/* The same with --json (cli_positionals_json). */
int cli_positionals_open_json(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                              const char **pos, int min, int max, bool *json,
                              cairn_store **s, int *exit);

/* True for an argument that looks like an option ("-x", "--x", not "-"
 * nor "-5"). */
bool cli_is_option(const char *arg);

/* A usage error: one line on stderr naming cmd (NULL: the top level);
 * returns CLI_USAGE. */
int cli_usage(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* `cairn CMD --help` on stdout. */
void cli_print_help(const cli_command *cmd);

/* ---- what the families share (common.c) ---- */

#define CLI_DEFAULT_STORE "./cairn-data"

/* The store URL: --store, else $CAIRN_STORE when set and not empty, else
 * CLI_DEFAULT_STORE. */
const char *cli_store_url(const cli_ctx *ctx);

/* True when cmd may create the store it opens (cmd->store is
 * CLI_STORE_WRITE). */
bool cli_creates_store(const cli_command *cmd);

/* Open the store for cmd (with ctx->default_ttl_ms, from the global
 * --default-ttl, as its default TTL); on failure report it and return the exit
 * status. Only a command marked CLI_STORE_WRITE creates a store: any
 * other on a store that is not there (a mistyped --store, an empty folder,
 * an LMDB folder given without lmdb:) is exit 3, "no cairn store at PATH",
 * and nothing is made. */
int cli_open_store(const cli_ctx *ctx, const cli_command *cmd, cairn_store **s);
/* The same with the options o (o.must_exist is set from cmd). */
int cli_open_store_opts(const cli_ctx *ctx, const cli_command *cmd, cairn_options o,
                        cairn_store **s);

/* A failed library call: its message (which already names the operation
 * and the key) on one line, and the exit status of its code. */
int cli_fail(int rc, const char *what, const char *key);

/* cli_fail(), and for a validation failure every error first, one per
 * line as "/path: rule" (the document itself is "/"). */
int cli_fail_validation(int rc, const char *what, const char *key, const cairn_verrors *errs);

/* cli_fail_validation() for a call whose CAIRN_ENOTFOUND means the model
 * (validate, model show, model rm): the exit status of
 * cli_exit_status_model(). errs may be NULL. */
int cli_fail_model(int rc, const char *what, const char *ref, const cairn_verrors *errs);

/* Read FILE ("-": stdin) whole into *buf (malloc'd, the caller frees it);
 * reports failures naming what. Returns an exit status: CLI_USAGE when
 * FILE cannot be opened (not there, not readable), CLI_ERROR when reading
 * it fails, CLI_INVALID when it is larger than a value may be. */
int cli_read_file_arg(const char *what, const char *path, char **buf, size_t *len);

/* The end of a command that prints a number (count, purge, rm --prefix,
 * model rm, upgrade, clear): n on a line when rc is CAIRN_OK, else
 * cli_fail(rc, what, key). Returns the exit status. */
int cli_print_count(int rc, uint64_t n, const char *what, const char *key);

/* The same, the number as field of a JSON object when json (led by
 * name:key when name is not NULL; key NULL is null): {"prefix":"p",
 * "removed":3}. */
int cli_print_count_json(int rc, uint64_t n, bool json, const char *field, const char *name,
                         const char *what, const char *key);

/* ---- models in dumps (cmd_migrate.c; the line format: dump.h) ---- */

/* Model lines registered (added) or found equal (same). */
typedef struct {
    uint64_t added, same;
} cli_model_counts;

/* Write model ref of s (resolved in s: "ns/name@N", or its newest version)
 * on f as a model line. Returns a cairn status (CAIRN_ENOTFOUND: not
 * registered), with cairn_errmsg() set. */
int cli_dump_model(cairn_store *s, FILE *f, const char *ref);
/* Register a model line's schema in s as exactly ref ("ns/name@N"),
 * counting it in n; a failure (a different schema at that version: exit
 * 4; a schema that does not compile: exit 5) is reported as
 * "cairn: WHAT: line LINE: why". Returns an exit status. */
int cli_load_model(cairn_store *s, const char *what, uint64_t line, const char *ref,
                   const void *schema, size_t len, cli_model_counts *n);

/* --if-exists MODE of put, copy and import. 0, or -1 for an unknown MODE. */
int cli_parse_behavior(const char *v, cairn_behavior *b);

/* A prefix argument of ls, count, export, rm --prefix and copy --prefix:
 * whole segments (cairn_list), or a raw string prefix (cairn_list_raw). */
typedef struct {
    const char *text; /* NULL: none (every key) */
    bool raw;
    char buf[CAIRN_KEY_MAX + 1];
} cli_prefix;

/* Set p from arg (NULL: none). raw (--raw-prefix P): arg as it is, raw.
 * Otherwise a trailing '*' makes arg a raw prefix without it ("item:*"),
 * and a trailing "\*" stands for a segment prefix ending in a literal '*'
 * (keys never hold a backslash). p keeps a view of arg. */
void cli_prefix_arg(cli_prefix *p, const char *arg, bool raw);
/* cairn_list() or cairn_list_raw(), and cairn_count() or cairn_count_raw(),
 * as p says. */
int cli_list(cairn_store *s, const cli_prefix *p, cairn_iter **it);
int cli_count(cairn_store *s, const cli_prefix *p, uint64_t *n);

/* Records per cairn_get_many() when a command reads what it lists
 * (export, ls --values): CLI_BATCH keys, or fewer holding CLI_BATCH_BYTES
 * of values. */
#define CLI_BATCH 256
#define CLI_BATCH_BYTES (4u * 1024u * 1024u)

/* Called with each record of cli_each_value(); v is borrowed for the call.
 * Non-zero stops the walk, which returns it. */
typedef int (*cli_value_fn)(void *ctx, const cairn_value *v);

/* Called with a record of cli_each_value() that reads as damaged
 * (CAIRN_ECORRUPT): key and msg (cairn_errmsg() of its read) are borrowed
 * for the call. 0 leaves it out and goes on; non-zero stops the walk,
 * which returns it. */
typedef int (*cli_corrupt_fn)(void *ctx, const char *key, const char *msg);

/* The records of the keys it yields (at most limit keys; negative: all),
 * read in batches with one cairn_get_many() each and handed to fn in key
 * order; a key that expired or went since it was listed is left out. A
 * damaged record goes to bad (NULL: the walk stops there with
 * CAIRN_ECORRUPT, every record before it handed to fn and stdout
 * flushed). Stops at a write error on stdout (main reports it). Returns
 * CAIRN_OK, fn's or bad's non-zero return, or a library status
 * (CAIRN_ECORRUPT, CAIRN_ENOMEM) for the caller to report. it stays the
 * caller's. */
int cli_each_value(cairn_store *s, cairn_iter *it, int64_t limit, cli_value_fn fn,
                   cli_corrupt_fn bad, void *ctx);

#endif
