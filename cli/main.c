/*
 * main.c — the cairn command: argument parsing, one function per command,
 * all through the public API (include/cairn/cairn.h) like any other client.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
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

/* fail(), and for a validation failure every error first, one per line
 * as "/path: rule" (the document itself is "/"). */
static int fail_validation(int rc, const char *what, const char *key,
                           const cairn_verrors *errs)
{
    if (rc == CAIRN_EVALIDATION && errs) {
        size_t n = cairn_verrors_count(errs);
        for (size_t i = 0; i < n; i++) {
            const char *path = cairn_verrors_path(errs, i);
            fprintf(stderr, "%s: %s\n", *path ? path : "/", cairn_verrors_rule(errs, i));
        }
        if (cairn_verrors_truncated(errs))
            fprintf(stderr, "(more errors not shown)\n");
    }
    return fail(rc, what, key);
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
static int open_store_opts(cairn_store **s, bool create, cairn_options o)
{
    o.must_exist = !create;
    int rc = cairn_store_open(store_url(), &o, s);
    if (rc) {
        char shown[1024];
        return fail(rc, "open", cairn_url_redact(store_url(), shown, sizeof shown));
    }
    return CLI_OK;
}

static int open_store_as(cairn_store **s, bool create)
{
    return open_store_opts(s, create, (cairn_options){0});
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

/* --if-exists MODE of put, copy and import. 0, or -1 for an unknown MODE. */
static int parse_behavior(const char *v, cairn_behavior *b)
{
    static const struct {
        const char *name;
        cairn_behavior b;
    } modes[] = {{"fail", CAIRN_FAIL_IF_EXISTS},
                 {"skip", CAIRN_SKIP_IF_EXISTS},
                 {"different", CAIRN_FAIL_IF_DIFFERENT},
                 {"overwrite", CAIRN_OVERWRITE}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(v, modes[i].name)) {
            *b = modes[i].b;
            return 0;
        }
    return -1;
}

/* ------------------------------------------------------------------ */
/* put                                                                 */
/* ------------------------------------------------------------------ */

static int read_file_arg(const char *what, const char *path, char **buf, size_t *len);

static int cmd_put(const command *cmd, int argc, char **argv)
{
    enum { O_IF_EXISTS, O_TTL, O_FORMAT, O_IF_VERSION, O_MODEL, O_FILL, O_INPUT, O_META,
           O_NO_COMPRESS, O_COMPRESS_MIN };
    static const optspec specs[] = {{"--if-exists", "-e", true},
                                    {"--ttl", "-t", true},
                                    {"--format", "-f", true},
                                    {"--if-version", NULL, true},
                                    {"--model", "-M", true},
                                    {"--fill-defaults", NULL, false},
                                    {"--input", "-i", true},
                                    {"--meta", NULL, true},
                                    {"--no-compress", NULL, false},
                                    {"--compress-min", NULL, true},
                                    {NULL, NULL, false}};
    const char *input = NULL; /* a file to read the value from; "-": stdin */
    cairn_put_opts o = {0};
    cairn_options so = {0};
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
            if (parse_behavior(sc.val, &o.behavior))
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
                return usage(cmd, "--format: '%s' is not json, text, bytes, msgpack or npy",
                             sc.val);
            break;
        case O_INPUT:
            input = sc.val;
            break;
        case O_IF_VERSION:
            if (cli_parse_u64(sc.val, &o.if_version) || o.if_version == 0)
                return usage(cmd, "--if-version: '%s' is not a version number "
                                  "(1 or more)", sc.val);
            break;
        case O_MODEL:
            o.model = sc.val;
            break;
        case O_FILL:
            o.fill_defaults = 1;
            break;
        case O_META:
            o.user_meta = sc.val;
            break;
        case O_NO_COMPRESS:
            so.compress_threshold = -1;
            break;
        case O_COMPRESS_MIN: {
            uint64_t n;
            if (cli_parse_u64(sc.val, &n) || n == 0 || n > CAIRN_VALUE_MAX)
                return usage(cmd, "--compress-min: '%s' is not a size in bytes (1 or "
                                  "more)", sc.val);
            so.compress_threshold = (int64_t)n;
            break;
        }
        }
    }
    if (r < 0)
        return sc.exit;
    if (npos < 1)
        return usage(cmd, "missing KEY (usage: cairn %s)", cmd->synopsis);
    if (o.if_version && have_behavior)
        return usage(cmd, "--if-version and --if-exists cannot be combined");
    if (o.fill_defaults && !o.model)
        return usage(cmd, "--fill-defaults needs --model");

    const char *key = pos[0];
    char *buf = NULL;
    const void *val;
    size_t len;
    /* Binary formats take a FILE, never a value on the command line. */
    if (!input && npos == 2 &&
        (o.format == CAIRN_FORMAT_MSGPACK || o.format == CAIRN_FORMAT_NPY))
        input = pos[1];
    else if (input && npos == 2)
        return usage(cmd, "give the value as an argument or with --input, not both");
    if (!input && npos == 2 && strcmp(pos[1], "-") != 0) {
        val = pos[1];
        len = strlen(pos[1]);
    } else { /* --input FILE, a FILE argument, or stdin */
        char what[CAIRN_KEY_MAX + 8];
        snprintf(what, sizeof what, "put %s", key);
        int rx = read_file_arg(what, input ? input : "-", &buf, &len);
        if (rx)
            return rx;
        val = buf;
    }

    cairn_store *s;
    int ex = open_store_opts(&s, true, so);
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
        ex = fail_validation(rc, "put", key, cairn_validation_errors());
    }
    cairn_store_close(s);
    free(buf);
    return ex;
}

/* ------------------------------------------------------------------ */
/* get, exists, rm                                                     */
/* ------------------------------------------------------------------ */

/* get --out: the value's bytes into path ("-": stdout), nothing added. */
static int write_file(const char *path, const cairn_value *v)
{
    size_t len;
    const void *data = cairn_value_data(v, &len);
    if (!strcmp(path, "-"))
        return len && fwrite(data, 1, len, stdout) != len ? CLI_ERROR : CLI_OK;
    FILE *f = fopen(path, "wb");
    bool bad = !f;
    if (f) {
        bad = len && fwrite(data, 1, len, f) != len;
        if (fclose(f) != 0) /* always closed, and a failed flush counts */
            bad = true;
    }
    if (bad) {
        fprintf(stderr, "cairn: get %s: writing %s: %s\n", cairn_value_key(v), path,
                strerror(errno));
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int cmd_get(const command *cmd, int argc, char **argv)
{
    enum { O_META, O_MODEL, O_REVALIDATE, O_OUT };
    static const optspec specs[] = {{"--meta", "-m", false},
                                    {"--model", "-M", true},
                                    {"--revalidate", NULL, false},
                                    {"--out", "-o", true},
                                    {NULL, NULL, false}};
    bool meta = false;
    const char *key = NULL, *model = NULL, *outfile = NULL;
    unsigned flags = 0;
    int r;
    scan sc;
    scan_init(&sc, cmd, argc, argv, specs);
    while ((r = scan_next(&sc)) == 1) {
        if (sc.opt == O_META) {
            meta = true;
        } else if (sc.opt == O_MODEL) {
            model = sc.val;
        } else if (sc.opt == O_REVALIDATE) {
            flags |= CAIRN_GET_REVALIDATE;
        } else if (sc.opt == O_OUT) {
            outfile = sc.val;
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
    int rc = model || flags ? cairn_get_model(s, key, model, flags, &v)
                            : cairn_get(s, key, &v);
    if (rc) {
        ex = fail_validation(rc, "get", key, cairn_validation_errors());
    } else if (outfile && (ex = write_file(outfile, v))) {
        /* reported */
    } else if (meta) { /* with --out too: the value went to the file */
        cli_json_meta(stdout, cairn_value_key(v), cairn_value_meta(v));
        putchar('\n');
    } else if (!outfile) {
        size_t len;
        const void *data = cairn_value_data(v, &len);
        if (len && fwrite(data, 1, len, stdout) != len)
            ex = CLI_ERROR; /* reported by main's final flush check */
    }
    cairn_value_free(v);
    cairn_store_close(s);
    return ex;
}

static int cmd_cat(const command *cmd, int argc, char **argv)
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
    cairn_value *v = NULL;
    int rc = cairn_get(s, pos[0], &v);
    if (rc == CAIRN_OK)
        rc = cli_cat(stdout, v);
    if (rc)
        ex = fail(rc, "cat", pos[0]);
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
        printf(",\"keys\":%llu,\"value_bytes\":%llu,\"expired\":%llu",
               (unsigned long long)st.keys, (unsigned long long)st.value_bytes,
               (unsigned long long)st.expired);
        /* A tiered: store: its memory tier too (this process's: limits,
         * and counters that here cover this command only). */
        cairn_cache_stats ts;
        if (cairn_tier_stats(s, &ts) == CAIRN_OK)
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

/* ------------------------------------------------------------------ */
/* model, validate                                                     */
/* ------------------------------------------------------------------ */

/* Read FILE ("-": stdin) whole into *buf (malloc'd, the caller frees it);
 * reports failures naming what. Returns an exit status. */
static int read_file_arg(const char *what, const char *path, char **buf, size_t *len)
{
    int fd = STDIN_FILENO;
    if (strcmp(path, "-") != 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "cairn: %s: cannot open %s: %s\n", what, path, strerror(errno));
        return errno == ENOENT ? CLI_NOTFOUND : CLI_ERROR;
    }
    int rr = cli_read_all(fd, CAIRN_VALUE_MAX, buf, len);
    int e = errno;
    if (fd != STDIN_FILENO)
        close(fd);
    if (rr == -2) {
        fprintf(stderr, "cairn: %s: %s is larger than %u bytes\n", what, path,
                CAIRN_VALUE_MAX);
        return CLI_INVALID;
    }
    if (rr) {
        fprintf(stderr, "cairn: %s: reading %s: %s\n", what, path, strerror(e));
        return CLI_ERROR;
    }
    return CLI_OK;
}

/* NAME plus --namespace NS as one reference "NS/NAME" in buf. */
static int model_ref_arg(const command *cmd, const char *name, const char *ns, char *buf,
                         size_t cap)
{
    if (ns && strchr(name, '/'))
        return usage(cmd, "give the namespace once: '%s' already has one and --namespace "
                          "says '%s'", name, ns);
    int w = ns ? snprintf(buf, cap, "%s/%s", ns, name) : snprintf(buf, cap, "%s", name);
    if (w < 0 || (size_t)w >= cap)
        return usage(cmd, "model reference '%s' is too long (max %d bytes)", name,
                     CAIRN_MODEL_MAX);
    return CLI_OK;
}

static int cmd_model_add(const command *cmd, int argc, char **argv)
{
    enum { O_NS, O_NEW };
    static const optspec specs[] = {{"--namespace", "-n", true},
                                    {"--new-version", NULL, false},
                                    {NULL, NULL, false}};
    const char *pos[2], *ns = NULL;
    unsigned flags = 0;
    int npos = 0, r;
    scan sc;
    scan_init(&sc, cmd, argc, argv, specs);
    while ((r = scan_next(&sc)) == 1) {
        if (sc.opt == O_NS)
            ns = sc.val;
        else if (sc.opt == O_NEW)
            flags |= CAIRN_MODEL_NEW_VERSION;
        else if (npos == 2)
            return usage(cmd, "unexpected argument '%s'", sc.val);
        else
            pos[npos++] = sc.val;
    }
    if (r < 0)
        return sc.exit;
    if (npos < 2)
        return usage(cmd, "missing argument (usage: cairn %s)", cmd->synopsis);
    char ref[CAIRN_MODEL_MAX + 1];
    int ex = model_ref_arg(cmd, pos[0], ns, ref, sizeof ref);
    char *schema = NULL;
    size_t len = 0;
    if (ex || (ex = read_file_arg("model add", pos[1], &schema, &len)))
        return ex;
    cairn_store *s;
    if ((ex = open_store_as(&s, true))) {
        free(schema);
        return ex;
    }
    char resolved[CAIRN_MODEL_MAX + 1];
    int rc = cairn_model_register(s, ref, schema, len, flags, resolved);
    if (rc == CAIRN_SKIPPED) {
        fprintf(stderr, "cairn: model add %s: unchanged (the same schema is %s)\n", ref,
                resolved);
        printf("%s\n", resolved);
    } else if (rc) {
        ex = fail(rc, "model add", ref);
    } else {
        printf("%s\n", resolved);
    }
    cairn_store_close(s);
    free(schema);
    return ex;
}

static int print_model(void *ctx, const char *ns, const char *name, unsigned version,
                       const char *ref)
{
    (void)ctx;
    (void)ns;
    (void)name;
    (void)version;
    printf("%s\n", ref);
    return ferror(stdout) ? CAIRN_EIO : 0;
}

static int cmd_model_ls(const command *cmd, int argc, char **argv)
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
    int rc = cairn_model_list(s, print_model, NULL);
    if (rc == CAIRN_EIO && ferror(stdout))
        ex = CLI_ERROR; /* reported by main's final flush check */
    else if (rc)
        ex = fail(rc, "model ls", NULL);
    cairn_store_close(s);
    return ex;
}

/* model show / model rm: NAME [--namespace NS] into ref. Returns an exit
 * status; CLI_OK with an empty ref when there is nothing more to do (help). */
static int model_name_args(const command *cmd, int argc, char **argv, char *ref, size_t cap)
{
    static const optspec specs[] = {{"--namespace", "-n", true}, {NULL, NULL, false}};
    const char *name = NULL, *ns = NULL;
    int r;
    ref[0] = '\0'; /* stays empty when --help was answered */
    scan sc;
    scan_init(&sc, cmd, argc, argv, specs);
    while ((r = scan_next(&sc)) == 1) {
        if (sc.opt == 0)
            ns = sc.val;
        else if (name)
            return usage(cmd, "unexpected argument '%s'", sc.val);
        else
            name = sc.val;
    }
    if (r < 0)
        return sc.exit;
    if (!name)
        return usage(cmd, "missing NAME (usage: cairn %s)", cmd->synopsis);
    return model_ref_arg(cmd, name, ns, ref, cap);
}

static int cmd_model_show(const command *cmd, int argc, char **argv)
{
    char ref[CAIRN_MODEL_MAX + 1];
    int ex = model_name_args(cmd, argc, argv, ref, sizeof ref);
    cairn_store *s;
    if (ex || !ref[0] || (ex = open_store(&s)))
        return ex;
    cairn_value *v = NULL;
    char resolved[CAIRN_MODEL_MAX + 1];
    int rc = cairn_model_resolve(s, ref, resolved);
    if (rc == CAIRN_OK)
        rc = cairn_model_schema(s, resolved, &v);
    if (rc) {
        ex = fail(rc, "model show", ref);
    } else {
        size_t len;
        const char *data = cairn_value_data(v, &len);
        fprintf(stderr, "%s\n", resolved);
        if (len && fwrite(data, 1, len, stdout) != len)
            ex = CLI_ERROR; /* reported by main's final flush check */
        else if (len && data[len - 1] != '\n')
            putchar('\n');
    }
    cairn_value_free(v);
    cairn_store_close(s);
    return ex;
}

static int cmd_model_rm(const command *cmd, int argc, char **argv)
{
    char ref[CAIRN_MODEL_MAX + 1];
    int ex = model_name_args(cmd, argc, argv, ref, sizeof ref);
    cairn_store *s;
    if (ex || !ref[0] || (ex = open_store(&s)))
        return ex;
    uint64_t n = 0;
    int rc = cairn_model_remove(s, ref, &n);
    if (rc)
        ex = fail(rc, "model rm", ref);
    else
        printf("%llu\n", (unsigned long long)n);
    cairn_store_close(s);
    return ex;
}

static int cmd_validate(const command *cmd, int argc, char **argv)
{
    const char *pos[2];
    int ex;
    scan sc;
    scan_init(&sc, cmd, argc, argv, NULL);
    if (positionals(&sc, pos, 2, 2, &ex) < 0)
        return ex;
    char *doc = NULL;
    size_t len = 0;
    if ((ex = read_file_arg("validate", pos[1], &doc, &len)))
        return ex;
    cairn_store *s;
    if ((ex = open_store(&s))) {
        free(doc);
        return ex;
    }
    cairn_verrors *errs = NULL;
    int rc = cairn_validate(s, pos[0], doc, len, &errs);
    if (rc)
        ex = fail_validation(rc, "validate", pos[1], errs);
    cairn_verrors_free(errs);
    cairn_store_close(s);
    free(doc);
    return ex;
}

static const command model_commands[] = {
    {"model add", cmd_model_add, "model add NAME SCHEMA_FILE [--namespace NS] [--new-version]",
     "register a JSON Schema as a model",
     "Register the JSON Schema in SCHEMA_FILE ('-': stdin) as model NAME (\"name\" or\n"
     "\"ns/name\"; namespace 'default' when none is given) and print its reference\n"
     "ns/name@version. The same schema again is a no-op (exit 0, 'unchanged' on\n"
     "stderr); a different schema under a taken name fails (exit 4, naming the first\n"
     "difference) unless --new-version registers it as the next version.\n",
     "  -n, --namespace NS    the model's namespace (default: 'default')\n"
     "      --new-version     register a different schema as the next version\n"},
    {"model ls", cmd_model_ls, "model ls",
     "list models",
     "Print every registered model version as ns/name@version, one per line,\n"
     "sorted by namespace, name and version.\n", ""},
    {"model show", cmd_model_show, "model show NAME [--namespace NS]",
     "print a model's schema",
     "Print the JSON Schema of model NAME (\"name\", \"ns/name\" or \"ns/name@N\";\n"
     "the newest version unless @N is given) on stdout and its full reference on\n"
     "stderr. A name without a namespace means the 'default' namespace if it has\n"
     "the name, else the only namespace that does (exit 5 when several do).\n",
     "  -n, --namespace NS    the model's namespace\n"},
    {"model rm", cmd_model_rm, "model rm NAME [--namespace NS]",
     "remove a model",
     "Remove model NAME: every version, or only version N with \"name@N\". Print\n"
     "how many versions were removed. Records stored under it keep their metadata.\n",
     "  -n, --namespace NS    the model's namespace\n"},
};
#define N_MODEL_COMMANDS (sizeof model_commands / sizeof model_commands[0])

static void print_model_help(FILE *f)
{
    fprintf(f, "Usage: cairn [--store URL] model COMMAND [ARGS...]\n\n"
               "Models are JSON Schemas kept in the store under a namespace and a name;\n"
               "'cairn put --model' validates against one (docs/models.md).\n\n"
               "Commands:\n");
    for (size_t i = 0; i < N_MODEL_COMMANDS; i++)
        fprintf(f, "  %-8s %s\n", model_commands[i].name + 6, model_commands[i].brief);
    fprintf(f, "\n'cairn model COMMAND --help' shows a command's options.\n");
}

static int cmd_model(const command *cmd, int argc, char **argv)
{
    /* Options before the subcommand: --store and --help only. */
    int i = 1;
    for (; i < argc && is_option(argv[i]); i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_model_help(stdout);
            return CLI_OK;
        }
        if (!strcmp(a, "--store") || !strcmp(a, "-s")) {
            if (++i == argc)
                return usage(cmd, "option '%s' needs a value", a);
            g_store_url = argv[i];
        } else if (!strncmp(a, "--store=", 8)) {
            g_store_url = a + 8;
        } else {
            return usage(cmd, "unknown option '%s'", a);
        }
    }
    if (i == argc) {
        print_model_help(stderr);
        return CLI_USAGE;
    }
    for (size_t k = 0; k < N_MODEL_COMMANDS; k++)
        if (!strcmp(model_commands[k].name + 6, argv[i]))
            return model_commands[k].fn(&model_commands[k], argc - i, argv + i);
    return usage(cmd, "unknown command '%s' (add, ls, show, rm)", argv[i]);
}

/* ------------------------------------------------------------------ */
/* copy, export, import (cli/migrate.c)                                */
/* ------------------------------------------------------------------ */

#define IF_EXISTS_USAGE "--if-exists: '%s' is not skip, different, overwrite or fail"

static int cmd_copy(const command *cmd, int argc, char **argv)
{
    enum { O_FROM, O_TO, O_PREFIX, O_IF_EXISTS };
    static const optspec specs[] = {{"--from", NULL, true},
                                    {"--to", NULL, true},
                                    {"--prefix", "-p", true},
                                    {"--if-exists", "-e", true},
                                    {NULL, NULL, false}};
    const char *from = NULL, *to = NULL, *prefix = NULL;
    cairn_behavior b = CAIRN_SKIP_IF_EXISTS;
    int r;
    scan sc;
    scan_init(&sc, cmd, argc, argv, specs);
    while ((r = scan_next(&sc)) == 1) {
        switch (sc.opt) {
        case -1:
            return usage(cmd, "unexpected argument '%s'", sc.val);
        case O_FROM:
            from = sc.val;
            break;
        case O_TO:
            to = sc.val;
            break;
        case O_PREFIX:
            prefix = sc.val;
            break;
        case O_IF_EXISTS:
            if (parse_behavior(sc.val, &b))
                return usage(cmd, IF_EXISTS_USAGE, sc.val);
            break;
        }
    }
    if (r < 0)
        return sc.exit;
    if (!from || !to)
        return usage(cmd, "missing %s (usage: cairn %s)", from ? "--to" : "--from",
                     cmd->synopsis);
    if (!strcmp(from, to))
        return usage(cmd, "--from and --to name the same store");
    return cli_copy(from, to, prefix, b);
}

static int cmd_export(const command *cmd, int argc, char **argv)
{
    const char *pos[1] = {NULL};
    int ex;
    scan sc;
    scan_init(&sc, cmd, argc, argv, NULL);
    if (positionals(&sc, pos, 0, 1, &ex) < 0)
        return ex;
    return cli_export(store_url(), pos[0]);
}

static int cmd_import(const command *cmd, int argc, char **argv)
{
    static const optspec specs[] = {{"--if-exists", "-e", true}, {NULL, NULL, false}};
    cairn_behavior b = CAIRN_SKIP_IF_EXISTS;
    int r;
    scan sc;
    scan_init(&sc, cmd, argc, argv, specs);
    while ((r = scan_next(&sc)) == 1) {
        if (sc.opt < 0)
            return usage(cmd, "unexpected argument '%s' (the dump comes on stdin)", sc.val);
        if (parse_behavior(sc.val, &b))
            return usage(cmd, IF_EXISTS_USAGE, sc.val);
    }
    if (r < 0)
        return sc.exit;
    return cli_import(store_url(), b);
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
    {"put", cmd_put, "put KEY [VALUE|FILE] [OPTIONS]",
     "store a value (from the argument, a file or stdin)",
     "Store VALUE under KEY. VALUE comes from the argument, from --input FILE, or\n"
     "from stdin when it is absent or '-' (byte-exact: a trailing newline is\n"
     "kept). With --format msgpack or npy the argument is a FILE ('-': stdin).\n"
     "The value must be valid for its format (exit 5 naming the problem). A\n"
     "skipped put exits 0 and says 'skipped' on stderr.\n",
     "  -e, --if-exists MODE  when KEY already holds a record: fail (default,\n"
     "                        exit 4), skip (exit 0), different (fail only if\n"
     "                        the stored value differs; JSON compared by\n"
     "                        meaning), overwrite\n"
     "  -t, --ttl DURATION    expire after DURATION: 500ms, 30s, 5m, 2h, 1d or a\n"
     "                        sum such as 1h30m; 'never' for no expiry\n"
     "  -f, --format FORMAT   json (default), text (UTF-8), bytes, msgpack (one\n"
     "                        MessagePack object) or npy (a NumPy .npy file of a\n"
     "                        numeric dtype; docs/formats.md)\n"
     "  -i, --input FILE      read the value from FILE ('-': stdin)\n"
     "      --if-version N    compare-and-set: write only if the current version\n"
     "                        is N (exit 4 if not, 3 if KEY is absent)\n"
     "  -M, --model REF       validate against model REF ([NS/]NAME[@N]) first and\n"
     "                        record ns/name@version in the metadata; invalid: exit\n"
     "                        5 with every error on stderr, one per line, as\n"
     "                        '/path: rule'; unknown model: exit 5\n"
     "      --fill-defaults   with --model: store the value with the schema's\n"
     "                        defaults filled in for missing properties\n"
     "      --meta JSON       keep JSON (an object, at most 64 KiB) with the value\n"
     "                        as its user metadata (shown by get --meta); not an\n"
     "                        object: exit 5\n"
     "      --no-compress     store the value as it is (values of 4 KiB or more\n"
     "                        are otherwise zstd-compressed when that saves space)\n"
     "      --compress-min N  compress values of N bytes or more (default 4096)\n"},
    {"get", cmd_get, "get KEY [--out FILE] [--meta] [--model REF [--revalidate]]",
     "print a value, or its metadata with --meta",
     "Print the value under KEY, byte for byte (no newline is added).\n",
     "  -o, --out FILE        write the value's bytes to FILE instead ('-': stdout);\n"
     "                        with --meta the metadata still goes to stdout\n"
     "  -m, --meta            print the metadata as one JSON object instead: key,\n"
     "                        version, format, size, stored_size, compression,\n"
     "                        checksum, model, created/updated/expires times and\n"
     "                        meta (the user metadata, or null)\n"
     "  -M, --model REF       fail (exit 5, 'wrong model') unless the record was\n"
     "                        stored under model REF: [NS/]NAME accepts any version,\n"
     "                        NAME@N only version N\n"
     "      --revalidate      validate the value against the model as registered\n"
     "                        now (REF, else the record's own model, newest\n"
     "                        version); invalid: exit 5 with every error on stderr\n"},
    {"cat", cmd_cat, "cat KEY",
     "print a value rendered by its format",
     "Print the value under KEY for a person: json and text as they are (a\n"
     "newline added when missing), msgpack as compact JSON (exit 5 when it holds\n"
     "binary, extension types or non-string map keys, which JSON cannot show),\n"
     "npy as a line 'dtype=<f8 shape=(3, 4) order=C' and then the values in\n"
     "logical order, one line per run of the last axis, bytes as a hex dump\n"
     "(offset, 16 bytes in hex, the printable ones). 'cairn get' gives the bytes.\n",
     ""},
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
    {"model", cmd_model, "model add|ls|show|rm ...",
     "register, list, show and remove models (JSON Schemas)",
     "Manage the models of the store; see 'cairn model --help'.\n", ""},
    {"validate", cmd_validate, "validate [NS/]NAME FILE",
     "validate a JSON document against a model",
     "Validate the JSON document in FILE ('-': stdin) against model [NS/]NAME[@N]\n"
     "without storing it. Valid: exit 0, silently. Invalid: exit 5 with every\n"
     "error on stderr, one per line, as '/path: rule'.\n", ""},
    {"copy", cmd_copy, "copy --from URL --to URL [--prefix P] [--if-exists MODE]",
     "copy records between stores, with their metadata",
     "Copy the live records of the store --from into the store --to (created if\n"
     "needed), keeping each record's format, model, version, created and updated\n"
     "times and expiry instant (so its remaining TTL). Streams in batches of 256\n"
     "records, each one transaction. Records already expired are not copied.\n"
     "Resumable: keys already at --to are skipped, so rerunning an interrupted\n"
     "copy completes it. A progress line is shown when stderr is a terminal; a\n"
     "summary line (copied, skipped, expired) always ends on stderr.\n",
     "      --from URL        the source store (must exist)\n"
     "      --to URL          the destination store\n"
     "  -p, --prefix P        copy only P and the keys under P/\n"
     "  -e, --if-exists MODE  when a key already holds a record at --to: skip\n"
     "                        (default: keep it, even if its value differs),\n"
     "                        different (keep an equal value, stop with exit 4\n"
     "                        at a different one), overwrite, fail (exit 4)\n"},
    {"export", cmd_export, "export [PREFIX] > dump.jsonl",
     "write records as a JSON Lines dump on stdout",
     "Write the live records under PREFIX (every record without one) on stdout,\n"
     "one JSON object per line with the key, the metadata and the value (the\n"
     "dump format of docs/cli.md). Streams; a progress line on a terminal.\n",
     ""},
    {"import", cmd_import, "import [--if-exists MODE] < dump.jsonl",
     "read a JSON Lines dump from stdin into the store",
     "Store the records of a dump (from 'cairn export') read on stdin, with their\n"
     "metadata. Records already expired are not imported. Resumable: keys\n"
     "already in the store are skipped. Stops at the first bad line, naming its\n"
     "number (exit 5): every line before it is imported, nothing from it on.\n",
     "  -e, --if-exists MODE  as for copy: skip (default), different, overwrite,\n"
     "                        fail\n"},
    {"bench", cmd_bench, "bench [--n N] [--model]",
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
            "                    lmdb:DIR, postgres://[user[:pw]@]host[:port]/db,\n"
            "                    lmdb:DIR, redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P],\n"
            "                    mem: (default: $CAIRN_STORE, else %s)\n"
            "  -h, --help        show this help\n"
            "  -V, --version     print the version\n\n"
            "Exit status: 0 success, 1 other error, 2 usage, 3 not found,\n"
            "4 conflict (exists, different, version), 5 invalid input (key, value,\n"
            "URL, validation, wrong model), 6 backend unavailable.\n\n"
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
    if (c->fn == cmd_model)
        print_model_help(stdout);
    else
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
