/*
 * main.c — the cairn command: argument parsing, one function per command,
 * all through the public API (include/cairn/cairn.h) like any other client.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_STORE "./cairn-data"

/* ------------------------------------------------------------------ */
/* Commands and their help                                             */
/* ------------------------------------------------------------------ */

typedef struct command command;
typedef int (*command_fn)(const command *cmd, int argc, char **argv);

struct command {
    const char *name;
    command_fn fn;
    const char *synopsis; /* after "cairn [--store URL] " */
    const char *brief;    /* one line for `cairn --help` */
    const char *summary;  /* the paragraph of `cairn CMD --help` */
    const char *help;     /* its options */
};

static const char *g_store_url; /* from --store; NULL: $CAIRN_STORE or default */

#define COMMON_HELP                                                          \
    "  -s, --store URL       the store (default: $CAIRN_STORE, else ./cairn-data)\n" \
    "  -h, --help            show this help\n"

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* A usage error: one line on stderr, exit status 2. */
static int usage(const command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage(const command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "cairn%s%s: ", cmd ? " " : "", cmd ? cmd->name : "");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'cairn %s%s--help')\n", cmd ? cmd->name : "", cmd ? " " : "");
    va_end(ap);
    return CLI_USAGE;
}

/* A failed library call: its message (which already names the operation
 * and the key) on one line, and the exit status of its code. */
static int fail(int rc, const char *what, const char *key)
{
    const char *msg = cairn_errmsg();
    if (msg && *msg)
        fprintf(stderr, "cairn: %s\n", msg);
    else if (key)
        fprintf(stderr, "cairn: %s %s: %s\n", what, key, cairn_strerror(rc));
    else
        fprintf(stderr, "cairn: %s: %s\n", what, cairn_strerror(rc));
    return cli_exit_status(rc);
}

static void print_help(const command *cmd)
{
    printf("Usage: cairn [--store URL] %s\n\n%s\nOptions:\n%s%s", cmd->synopsis,
           cmd->summary, cmd->help, COMMON_HELP);
}

/* ------------------------------------------------------------------ */
/* Argument scanning                                                   */
/* ------------------------------------------------------------------ */

/* Options may come before, between or after the positional arguments;
 * "--" ends them. "-" and negative numbers ("-5") are positional. */
typedef struct {
    const char *name;  /* "--ttl" */
    const char *alias; /* "-t" or NULL */
    bool takes_value;
} optspec;

typedef struct {
    const command *cmd;
    int argc, i;
    char **argv;
    const optspec *specs; /* ends with a NULL name */
    bool opts_done;
    int opt;         /* index into specs; -1 for a positional */
    const char *val; /* the option's value or the positional */
    int exit;        /* when scan_next returns -1 */
} scan;

static void scan_init(scan *sc, const command *cmd, int argc, char **argv,
                      const optspec *specs)
{
    memset(sc, 0, sizeof *sc);
    sc->cmd = cmd;
    sc->argc = argc;
    sc->argv = argv;
    sc->i = 1; /* argv[0] is the command */
    sc->specs = specs;
}

static bool is_option(const char *a)
{
    return a[0] == '-' && a[1] != '\0' && !(a[1] >= '0' && a[1] <= '9');
}

/* 1: an item in sc->opt / sc->val; 0: the end; -1: stop with sc->exit
 * (usage error reported, or help printed). --store and --help are handled
 * here for every command. */
static int scan_next(scan *sc)
{
    while (sc->i < sc->argc) {
        const char *a = sc->argv[sc->i++];
        if (sc->opts_done || !is_option(a)) {
            sc->opt = -1;
            sc->val = a;
            return 1;
        }
        if (!strcmp(a, "--")) {
            sc->opts_done = true;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_help(sc->cmd);
            sc->exit = CLI_OK;
            return -1;
        }
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        bool is_store = (nlen == 7 && !strncmp(a, "--store", 7)) || !strcmp(a, "-s");
        int found = -2;
        for (int k = 0; !is_store && sc->specs && sc->specs[k].name; k++) {
            const optspec *o = &sc->specs[k];
            if ((strlen(o->name) == nlen && !strncmp(a, o->name, nlen)) ||
                (!eq && o->alias && !strcmp(a, o->alias)))
                found = k;
        }
        if (!is_store && found == -2) {
            sc->exit = usage(sc->cmd, "unknown option '%.*s'", (int)nlen, a);
            return -1;
        }
        bool takes = is_store || sc->specs[found].takes_value;
        const char *val = NULL;
        if (takes) {
            if (eq) {
                val = eq + 1;
            } else if (sc->i < sc->argc) {
                val = sc->argv[sc->i++];
            } else {
                sc->exit = usage(sc->cmd, "option '%s' needs a value", a);
                return -1;
            }
        } else if (eq) {
            sc->exit = usage(sc->cmd, "option '%.*s' takes no value", (int)nlen, a);
            return -1;
        }
        if (is_store) {
            g_store_url = val;
            continue;
        }
        sc->opt = found;
        sc->val = val;
        return 1;
    }
    return 0;
}

/* Scan the rest into positionals (at most max) when the command's own
 * options are all handled already; for commands whose only options are the
 * common ones this is the whole parse. Returns -1 (with *exit) or npos. */
static int positionals(scan *sc, const char **pos, int min, int max, int *exit)
{
    int n = 0, r;
    while ((r = scan_next(sc)) == 1) {
        if (sc->opt >= 0) /* a command option the caller did not expect */
            continue;
        if (n == max) {
            *exit = usage(sc->cmd, "unexpected argument '%s'", sc->val);
            return -1;
        }
        pos[n++] = sc->val;
    }
    if (r < 0) {
        *exit = sc->exit;
        return -1;
    }
    if (n < min) {
        *exit = usage(sc->cmd, "missing argument (usage: cairn %s)", sc->cmd->synopsis);
        return -1;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Store                                                               */
/* ------------------------------------------------------------------ */

static const char *store_url(void)
{
    if (g_store_url)
        return g_store_url;
    const char *env = getenv("CAIRN_STORE");
    if (env && *env)
        return env;
    return DEFAULT_STORE;
}

/* Open the store; on failure report it and return the exit status. Only
 * writes create a store: a read of a store that is not there (a mistyped
 * --store) is "not found", not a new empty store. */
static int open_store_as(cairn_store **s, bool create)
{
    cairn_options o = {.must_exist = !create};
    int rc = cairn_store_open(store_url(), &o, s);
    if (rc) {
        char shown[1024];
        return fail(rc, "open", cairn_url_redact(store_url(), shown, sizeof shown));
    }
    return CLI_OK;
}

static int open_store(cairn_store **s)
{
    return open_store_as(s, false);
}

/* Normal form of key for messages; the key itself when it has none. */
static const char *display_key(const char *key, char buf[CAIRN_KEY_MAX + 1])
{
    if (cairn_key_normalize(key, buf, NULL) != CAIRN_OK)
        return key;
    return buf;
}

/* ------------------------------------------------------------------ */
/* put                                                                 */
/* ------------------------------------------------------------------ */

static int cmd_put(const command *cmd, int argc, char **argv)
{
    enum { O_IF_EXISTS, O_TTL, O_FORMAT, O_IF_VERSION, O_MODEL };
    static const optspec specs[] = {{"--if-exists", "-e", true},
                                    {"--ttl", "-t", true},
                                    {"--format", "-f", true},
                                    {"--if-version", NULL, true},
                                    {"--model", NULL, true},
                                    {NULL, NULL, false}};
    cairn_put_opts o = {0};
    bool have_behavior = false;
    const char *pos[2];
    int npos = 0, r;
    scan sc;
    scan_init(&sc, cmd, argc, argv, specs);
    while ((r = scan_next(&sc)) == 1) {
        switch (sc.opt) {
        case -1:
            if (npos == 2)
                return usage(cmd, "unexpected argument '%s'", sc.val);
            pos[npos++] = sc.val;
            break;
        case O_IF_EXISTS:
            have_behavior = true;
            if (!strcmp(sc.val, "fail"))
                o.behavior = CAIRN_FAIL_IF_EXISTS;
            else if (!strcmp(sc.val, "skip"))
                o.behavior = CAIRN_SKIP_IF_EXISTS;
            else if (!strcmp(sc.val, "different"))
                o.behavior = CAIRN_FAIL_IF_DIFFERENT;
            else if (!strcmp(sc.val, "overwrite"))
                o.behavior = CAIRN_OVERWRITE;
            else
                return usage(cmd, "--if-exists: '%s' is not fail, skip, different or "
                                  "overwrite", sc.val);
            break;
        case O_TTL:
            if (!strcmp(sc.val, "never"))
                o.ttl_ms = -1;
            else if (cli_parse_duration(sc.val, &o.ttl_ms))
                return usage(cmd, "--ttl: bad duration '%s' (examples: 500ms, 30s, "
                                  "5m, 2h, 1d, 1h30m, never)", sc.val);
            break;
        case O_FORMAT:
            if (cairn_format_parse(sc.val, &o.format) != CAIRN_OK)
                return usage(cmd, "--format: '%s' is not json, text or bytes", sc.val);
            break;
        case O_IF_VERSION:
            if (cli_parse_u64(sc.val, &o.if_version) || o.if_version == 0)
                return usage(cmd, "--if-version: '%s' is not a version number "
                                  "(1 or more)", sc.val);
            break;
        case O_MODEL:
            o.model = sc.val;
            break;
        }
    }
    if (r < 0)
        return sc.exit;
    if (npos < 1)
        return usage(cmd, "missing KEY (usage: cairn %s)", cmd->synopsis);
    if (o.if_version && have_behavior)
        return usage(cmd, "--if-version and --if-exists cannot be combined");

    const char *key = pos[0];
    char *buf = NULL;
    const void *val;
    size_t len;
    if (npos == 2 && strcmp(pos[1], "-") != 0) {
        val = pos[1];
        len = strlen(pos[1]);
    } else {
        int rr = cli_read_all(STDIN_FILENO, CAIRN_VALUE_MAX, &buf, &len);
        if (rr == -2) {
            fprintf(stderr, "cairn: put %s: value on stdin is larger than %u bytes\n",
                    key, CAIRN_VALUE_MAX);
            return CLI_INVALID;
        }
        if (rr) {
            fprintf(stderr, "cairn: put %s: reading stdin: %s\n", key, strerror(errno));
            return CLI_ERROR;
        }
        val = buf;
    }

    cairn_store *s;
    int ex = open_store_as(&s, true);
    if (ex) {
        free(buf);
        return ex;
    }
    int rc = cairn_put(s, key, val, len, &o);
    if (rc == CAIRN_SKIPPED) {
        char kb[CAIRN_KEY_MAX + 1];
        fprintf(stderr, "cairn: put %s: skipped (already exists)\n", display_key(key, kb));
        ex = CLI_OK;
    } else if (rc) {
        ex = fail(rc, "put", key);
    }
    cairn_store_close(s);
    free(buf);
    return ex;
}

/* ------------------------------------------------------------------ */
/* get, exists, rm                                                     */
/* ------------------------------------------------------------------ */

static int cmd_get(const command *cmd, int argc, char **argv)
{
    static const optspec specs[] = {{"--meta", "-m", false}, {NULL, NULL, false}};
    bool meta = false;
    const char *key = NULL;
    int r;
    scan sc;
    scan_init(&sc, cmd, argc, argv, specs);
    while ((r = scan_next(&sc)) == 1) {
        if (sc.opt == 0) {
            meta = true;
        } else if (key) {
            return usage(cmd, "unexpected argument '%s'", sc.val);
        } else {
            key = sc.val;
        }
    }
    if (r < 0)
        return sc.exit;
    if (!key)
        return usage(cmd, "missing KEY (usage: cairn %s)", cmd->synopsis);

    cairn_store *s;
    int ex = open_store(&s);
    if (ex)
        return ex;
    cairn_value *v = NULL;
    int rc = cairn_get(s, key, &v);
    if (rc) {
        ex = fail(rc, "get", key);
    } else if (meta) {
        cli_json_meta(stdout, cairn_value_key(v), cairn_value_meta(v));
        putchar('\n');
    } else {
        size_t len;
        const void *data = cairn_value_data(v, &len);
        if (len && fwrite(data, 1, len, stdout) != len)
            ex = CLI_ERROR; /* reported by main's final flush check */
    }
    cairn_value_free(v);
    cairn_store_close(s);
    return ex;
}

static int cmd_exists(const command *cmd, int argc, char **argv)
{
    const char *pos[1];
    int ex;
    scan sc;
    scan_init(&sc, cmd, argc, argv, NULL);
    if (positionals(&sc, pos, 1, 1, &ex) < 0)
        return ex;
    cairn_store *s;
    if ((ex = open_store(&s)))
        return ex;
    int rc = cairn_exists(s, pos[0]);
    /* Absence is the answer, not an error: exit 3 without a message. */
    if (rc == CAIRN_ENOTFOUND)
        ex = CLI_NOTFOUND;
    else if (rc)
        ex = fail(rc, "exists", pos[0]);
    cairn_store_close(s);
    return ex;
}

static int cmd_rm(const command *cmd, int argc, char **argv)
{
    static const optspec specs[] = {{"--prefix", "-p", true}, {NULL, NULL, false}};
    const char *prefix = NULL;
    int r, nkeys = 0;
    /* Keys are collected in place: positionals never outnumber argv. */
    const char **keys = calloc((size_t)argc, sizeof *keys);
    if (!keys) {
        fprintf(stderr, "cairn: rm: out of memory\n");
        return CLI_ERROR;
    }
    scan sc;
    scan_init(&sc, cmd, argc, argv, specs);
    while ((r = scan_next(&sc)) == 1) {
        if (sc.opt == 0) {
            if (prefix) {
                free(keys);
                return usage(cmd, "--prefix given twice");
            }
            prefix = sc.val;
        } else {
            keys[nkeys++] = sc.val;
        }
    }
    int ex = CLI_OK;
    if (r < 0)
        ex = sc.exit;
    else if (prefix && nkeys)
        ex = usage(cmd, "give either KEY... or --prefix PREFIX, not both");
    else if (!prefix && !nkeys)
        ex = usage(cmd, "missing KEY (usage: cairn %s)", cmd->synopsis);
    cairn_store *s = NULL;
    if (ex || (ex = open_store(&s))) {
        free(keys);
        return ex;
    }
    if (prefix) {
        uint64_t n;
        int rc = cairn_delete_prefix(s, prefix, &n);
        if (rc)
            ex = fail(rc, "rm --prefix", prefix);
        else
            printf("%llu\n", (unsigned long long)n);
    } else {
        /* Every key is tried; the exit status is the first failure's. */
        for (int i = 0; i < nkeys; i++) {
            int rc = cairn_delete(s, keys[i]);
            if (rc) {
                int e = fail(rc, "rm", keys[i]);
                if (!ex)
                    ex = e;
            }
        }
    }
    cairn_store_close(s);
    free(keys);
    return ex;
}

/* ------------------------------------------------------------------ */
/* ls, range, count                                                    */
/* ------------------------------------------------------------------ */

/* Print the keys of it: one per line, or one JSON object per line; at most
 * limit of them unless limit is negative. */
static int print_keys(cairn_iter *it, bool json, int64_t limit, const char *what)
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
            return fail(rc, what, NULL);
        if (json) {
            cairn_meta m;
            if ((rc = cairn_iter_meta(it, &m)))
                return fail(rc, what, key);
            cli_json_meta(stdout, key, &m);
            putchar('\n');
        } else {
            fwrite(key, 1, klen, stdout);
            putchar('\n');
        }
        n++;
        if (ferror(stdout))
            return CLI_ERROR; /* reported by main's final flush check */
    }
}

static const optspec list_specs[] = {
    {"--limit", "-n", true}, {"--json", "-j", false}, {NULL, NULL, false}};

/* ls and range share options; pos receives up to max positionals.
 * Returns their number, or -1 to stop with *exit. */
static int list_args(const command *cmd, int argc, char **argv, const char **pos,
                     int min, int max, bool *json, int64_t *limit, int *exit)
{
    int r, npos = 0;
    uint64_t u;
    scan sc;
    scan_init(&sc, cmd, argc, argv, list_specs);
    while ((r = scan_next(&sc)) == 1) {
        if (sc.opt == 0) {
            if (cli_parse_u64(sc.val, &u) || u > INT64_MAX) {
                *exit = usage(cmd, "--limit: '%s' is not a number", sc.val);
                return -1;
            }
            *limit = (int64_t)u;
        } else if (sc.opt == 1) {
            *json = true;
        } else if (npos == max) {
            *exit = usage(cmd, "unexpected argument '%s'", sc.val);
            return -1;
        } else {
            pos[npos++] = sc.val;
        }
    }
    if (r < 0) {
        *exit = sc.exit;
        return -1;
    }
    if (npos < min) {
        *exit = usage(cmd, "missing argument (usage: cairn %s)", cmd->synopsis);
        return -1;
    }
    return npos;
}

static int cmd_ls(const command *cmd, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    bool json = false;
    int64_t limit = -1;
    int ex;
    if (list_args(cmd, argc, argv, pos, 0, 1, &json, &limit, &ex) < 0)
        return ex;
    cairn_store *s;
    if ((ex = open_store(&s)))
        return ex;
    cairn_iter *it;
    int rc = cairn_list(s, pos[0], &it);
    if (rc) {
        ex = fail(rc, "ls", pos[0]);
    } else {
        ex = print_keys(it, json, limit, "ls");
        cairn_iter_free(it);
    }
    cairn_store_close(s);
    return ex;
}

static int cmd_range(const command *cmd, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    bool json = false;
    int64_t limit = -1;
    int ex;
    if (list_args(cmd, argc, argv, pos, 1, 2, &json, &limit, &ex) < 0)
        return ex;
    /* "" START is the first key; "" or no END is past the last. */
    const char *start = pos[0] && *pos[0] ? pos[0] : NULL;
    const char *end = pos[1] && *pos[1] ? pos[1] : NULL;
    cairn_store *s;
    if ((ex = open_store(&s)))
        return ex;
    cairn_iter *it;
    /* --limit 0 prints nothing, but the library reads 0 as "no limit":
     * print_keys applies the limit, the library only gets a positive one. */
    int rc = cairn_range(s, start, end, limit > 0 ? (uint64_t)limit : 0, &it);
    if (rc) {
        ex = fail(rc, "range", start ? start : "");
    } else {
        ex = print_keys(it, json, limit, "range");
        cairn_iter_free(it);
    }
    cairn_store_close(s);
    return ex;
}

static int cmd_count(const command *cmd, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    int ex;
    scan sc;
    scan_init(&sc, cmd, argc, argv, NULL);
    if (positionals(&sc, pos, 0, 1, &ex) < 0)
        return ex;
    cairn_store *s;
    if ((ex = open_store(&s)))
        return ex;
    uint64_t n;
    int rc = cairn_count(s, pos[0], &n);
    if (rc)
        ex = fail(rc, "count", pos[0]);
    else
        printf("%llu\n", (unsigned long long)n);
    cairn_store_close(s);
    return ex;
}

/* ------------------------------------------------------------------ */
/* incr, purge, stats                                                  */
/* ------------------------------------------------------------------ */

static int cmd_incr(const command *cmd, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int ex;
    scan sc;
    scan_init(&sc, cmd, argc, argv, NULL);
    int n = positionals(&sc, pos, 1, 2, &ex);
    if (n < 0)
        return ex;
    int64_t by = 1;
    if (n == 2 && cli_parse_i64(pos[1], &by))
        return usage(cmd, "BY: '%s' is not a 64-bit integer", pos[1]);
    cairn_store *s;
    if ((ex = open_store_as(&s, true)))
        return ex;
    int64_t v;
    int rc = cairn_incr(s, pos[0], by, &v);
    if (rc)
        ex = fail(rc, "incr", pos[0]);
    else
        printf("%lld\n", (long long)v);
    cairn_store_close(s);
    return ex;
}

static int cmd_purge(const command *cmd, int argc, char **argv)
{
    const char *pos[1];
    int ex;
    scan sc;
    scan_init(&sc, cmd, argc, argv, NULL);
    if (positionals(&sc, pos, 0, 0, &ex) < 0)
        return ex;
    cairn_store *s;
    if ((ex = open_store(&s)))
        return ex;
    uint64_t n;
    int rc = cairn_purge_expired(s, &n);
    if (rc)
        ex = fail(rc, "purge", NULL);
    else
        printf("%llu\n", (unsigned long long)n);
    cairn_store_close(s);
    return ex;
}

static int cmd_stats(const command *cmd, int argc, char **argv)
{
    const char *pos[1];
    int ex;
    scan sc;
    scan_init(&sc, cmd, argc, argv, NULL);
    if (positionals(&sc, pos, 0, 0, &ex) < 0)
        return ex;
    cairn_store *s;
    if ((ex = open_store(&s)))
        return ex;
    cairn_stats st;
    int rc = cairn_stats_get(s, &st);
    if (rc) {
        ex = fail(rc, "stats", NULL);
    } else {
        /* The handle's counters (puts, gets...) are left out: in a
         * one-shot command they only count this command. */
        char shown[1024]; /* never the password */
        const char *url = cairn_url_redact(store_url(), shown, sizeof shown);
        fputs("{\"store\":", stdout);
        cli_json_str(stdout, url, strlen(url));
        fputs(",\"backend\":", stdout);
        cli_json_str(stdout, st.backend, strlen(st.backend));
        printf(",\"keys\":%llu,\"value_bytes\":%llu,\"expired\":%llu}\n",
               (unsigned long long)st.keys, (unsigned long long)st.value_bytes,
               (unsigned long long)st.expired);
    }
    cairn_store_close(s);
    return ex;
}

/* ------------------------------------------------------------------ */
/* bench                                                               */
/* ------------------------------------------------------------------ */

static int cmd_bench(const command *cmd, int argc, char **argv)
{
    /* The store options are ours: cli_bench gets the URL and the rest. */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) {
        fprintf(stderr, "cairn: bench: out of memory\n");
        return CLI_ERROR;
    }
    int n = 0;
    bool help = false, opts_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i > 0 && !opts_done && !strcmp(a, "--")) {
            opts_done = true;
        } else if (i > 0 && !opts_done && (!strcmp(a, "--store") || !strcmp(a, "-s"))) {
            if (i + 1 == argc) {
                free(rest);
                return usage(cmd, "option '%s' needs a value", a);
            }
            g_store_url = argv[++i];
            continue;
        } else if (i > 0 && !opts_done && !strncmp(a, "--store=", 8)) {
            g_store_url = a + 8;
            continue;
        } else if (i > 0 && !opts_done && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            help = true;
        }
        rest[n++] = argv[i];
    }
#ifdef CAIRN_CLI_NO_BENCH
    free(rest);
    if (help) {
        print_help(cmd);
        printf("\n(bench is not built into this cairn)\n");
        return CLI_OK;
    }
    fprintf(stderr, "cairn: bench not built (this cairn was built without cli/bench.c)\n");
    return CLI_ERROR;
#else
    (void)help;
    int ex = cli_bench(store_url(), n, rest);
    free(rest);
    return ex;
#endif
}

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

static int cmd_help(const command *cmd, int argc, char **argv);

static const command commands[] = {
    {"put", cmd_put, "put KEY [VALUE] [OPTIONS]",
     "store a value (from the argument or stdin)",
     "Store VALUE under KEY. VALUE comes from the argument, or from stdin when\n"
     "it is absent or '-' (byte-exact: a trailing newline is kept). A JSON value\n"
     "must be valid JSON. A skipped put exits 0 and says 'skipped' on stderr.\n",
     "  -e, --if-exists MODE  when KEY already holds a record: fail (default,\n"
     "                        exit 4), skip (exit 0), different (fail only if\n"
     "                        the stored value differs; JSON compared by\n"
     "                        meaning), overwrite\n"
     "  -t, --ttl DURATION    expire after DURATION: 500ms, 30s, 5m, 2h, 1d or a\n"
     "                        sum such as 1h30m; 'never' for no expiry\n"
     "  -f, --format FORMAT   json (default), text (UTF-8) or bytes\n"
     "      --if-version N    compare-and-set: write only if the current version\n"
     "                        is N (exit 4 if not, 3 if KEY is absent)\n"
     "      --model REF       record the model \"ns/name\" in the metadata\n"},
    {"get", cmd_get, "get KEY [--meta]",
     "print a value, or its metadata with --meta",
     "Print the value under KEY, byte for byte (no newline is added).\n",
     "  -m, --meta            print the metadata as one JSON object instead\n"},
    {"exists", cmd_exists, "exists KEY",
     "exit 0 if KEY exists, 3 if not",
     "Exit 0 when KEY holds a live record, 3 (silently) when it does not.\n", ""},
    {"rm", cmd_rm, "rm KEY... | rm --prefix PREFIX",
     "remove keys, or every key under a prefix",
     "Remove the records under the KEYs (exit 3 if one is absent; the others\n"
     "are removed all the same), or every record under PREFIX (whole segments)\n"
     "and print how many were removed.\n",
     "  -p, --prefix PREFIX   remove PREFIX and every key under PREFIX/\n"},
    {"ls", cmd_ls, "ls [PREFIX] [--limit N] [--json]",
     "list keys under a prefix",
     "Print the live keys under PREFIX (whole segments: 'a' lists 'a' and 'a/x',\n"
     "never 'ab'), one per line, sorted bytewise. No PREFIX: every key.\n",
     "  -n, --limit N         print at most N keys\n"
     "  -j, --json            one JSON object per line: the key and its metadata\n"},
    {"range", cmd_range, "range START [END] [--limit N] [--json]",
     "list keys from START up to END",
     "Print the live keys k with START <= k < END (bytewise), one per line.\n"
     "No END (or an empty one): up to the last key; an empty START: from the first.\n",
     "  -n, --limit N         print at most N keys (the first ones)\n"
     "  -j, --json            one JSON object per line: the key and its metadata\n"},
    {"count", cmd_count, "count [PREFIX]",
     "count keys under a prefix",
     "Print the number of live keys under PREFIX (all keys without one).\n", ""},
    {"incr", cmd_incr, "incr KEY [BY]",
     "add to an integer and print it",
     "Atomically add BY (default 1; may be negative) to the JSON integer under\n"
     "KEY (an absent key counts as 0) and print the new value.\n", ""},
    {"purge", cmd_purge, "purge",
     "remove expired records",
     "Remove expired records from the store and print how many were removed.\n"
     "(Expired records are already invisible; this reclaims their space.)\n", ""},
    {"stats", cmd_stats, "stats",
     "print store statistics (JSON)",
     "Print the store's statistics as one JSON object: store, backend, keys,\n"
     "value_bytes, expired (not yet purged).\n", ""},
    {"bench", cmd_bench, "bench [--n N]",
     "run the benchmark",
     "Run the benchmark workload against the store and print one line of\n"
     "name=value fields (docs/performance.md).\n", ""},
    {"help", cmd_help, "help [COMMAND]",
     "show help for a command", "Show help for COMMAND, or the list of commands.\n",
     ""},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void print_main_help(FILE *f)
{
    fprintf(f, "Usage: cairn [--store URL] COMMAND [ARGS...]\n\n"
               "Keep the results and state of data pipelines in a store.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].brief);
    }
    fprintf(f,
            "\nOptions:\n"
            "  -s, --store URL   the store: file:DIR (or a bare path), sqlite:PATH,\n"
            "                    lmdb:DIR, redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P],\n"
            "                    mem: (default: $CAIRN_STORE, else %s)\n"
            "  -h, --help        show this help\n"
            "  -V, --version     print the version\n\n"
            "Exit status: 0 success, 1 other error, 2 usage, 3 not found,\n"
            "4 conflict (exists, different, version), 5 invalid input (key, value,\n"
            "URL), 6 backend unavailable.\n\n"
            "'cairn help COMMAND' or 'cairn COMMAND --help' shows a command's options.\n",
            DEFAULT_STORE);
}

static int cmd_help(const command *cmd, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    int ex;
    scan sc;
    scan_init(&sc, cmd, argc, argv, NULL);
    if (positionals(&sc, pos, 0, 1, &ex) < 0)
        return ex;
    if (!pos[0]) {
        print_main_help(stdout);
        return CLI_OK;
    }
    const command *c = find_command(pos[0]);
    if (!c)
        return usage(cmd, "unknown command '%s'", pos[0]);
    print_help(c);
    return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static int run(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && is_option(argv[i]); i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_main_help(stdout);
            return CLI_OK;
        }
        if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            printf("cairn %s\n", CAIRN_VERSION_STRING);
            return CLI_OK;
        }
        if (!strcmp(a, "--store") || !strcmp(a, "-s")) {
            if (++i == argc)
                return usage(NULL, "option '%s' needs a value", a);
            g_store_url = argv[i];
        } else if (!strncmp(a, "--store=", 8)) {
            g_store_url = a + 8;
        } else if (!strcmp(a, "--")) {
            i++;
            break;
        } else {
            return usage(NULL, "unknown option '%s'", a);
        }
    }
    if (i == argc) {
        print_main_help(stderr);
        return CLI_USAGE;
    }
    const command *cmd = find_command(argv[i]);
    if (!cmd)
        return usage(NULL, "unknown command '%s'", argv[i]);
    return cmd->fn(cmd, argc - i, argv + i);
}

int main(int argc, char **argv)
{
    int ex = run(argc, argv);
    /* Output goes through stdio: a full disk or closed pipe shows up here. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cairn: writing standard output: %s\n", strerror(errno));
        if (ex == CLI_OK)
            ex = CLI_ERROR;
    }
    return ex;
}
