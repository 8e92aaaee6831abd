/*
 * cmd_kv.c — the commands on one key: put, get, cat, exists, rm, incr.
 */
#include "cmd.h"
#include "dump.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Normal form of key for messages; the key itself when it has none. */
static const char *display_key(const char *key, char buf[CAIRN_KEY_MAX + 1])
{
    if (cairn_key_normalize(key, buf, NULL) != CAIRN_OK)
        return key;
    return buf;
}

/* True when path names a regular file (followed through links). */
static bool names_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* put --json: what became of the put (rc CAIRN_OK or CAIRN_SKIPPED). */
static void put_json(cairn_store *s, const char *key, int rc, const cairn_put_opts *o,
                     size_t len)
{
    char kb[CAIRN_KEY_MAX + 1], model[CAIRN_MODEL_MAX + 1];
    cli_jobj j;
    cli_jobj_begin(&j, stdout);
    cli_jobj_str(&j, "key", display_key(key, kb));
    cli_jobj_str(&j, "status", rc == CAIRN_SKIPPED ? "skipped" : "stored");
    cli_jobj_str(&j, "format", cairn_format_name(o->format));
    cli_jobj_u64(&j, "size", len);
    /* The reference the record keeps (ns/name@version), as get --meta says:
     * read back, since resolving the name again could meet a version
     * registered since the put. */
    cairn_value *v = NULL;
    bool modelled = o->model && rc == CAIRN_OK && cairn_get(s, key, &v) == CAIRN_OK &&
                    *cairn_value_meta(v)->model;
    if (modelled)
        snprintf(model, sizeof model, "%s", cairn_value_meta(v)->model);
    cairn_value_free(v);
    cli_jobj_str(&j, "model", modelled ? model : NULL);
    cli_jobj_end(&j);
}

static int cmd_put(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    enum { O_IF_EXISTS, O_TTL, O_FORMAT, O_IF_VERSION, O_MODEL, O_FILL, O_INPUT, O_META,
           O_NO_COMPRESS, O_COMPRESS_MIN, O_JSON };
    static const cli_opt specs[] = {{"--if-exists", "-e", true},
                                    {"--ttl", "-t", true},
                                    {"--format", "-f", true},
                                    {"--if-version", NULL, true},
                                    {"--model", "-M", true},
                                    {"--fill-defaults", NULL, false},
                                    {"--input", "-i", true},
                                    {"--meta", NULL, true},
                                    {"--no-compress", NULL, false},
                                    {"--compress-min", NULL, true},
                                    CLI_OPT_JSON,
                                    {NULL, NULL, false}};
    const char *input = NULL; /* a file to read the value from; "-": stdin */
    bool json = false;
    cairn_put_opts o = {0};
    cairn_options so = {0};
    bool have_behavior = false;
    const char *pos[2];
    int npos = 0, r;
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        switch (args.opt) {
        case -1:
            if (npos == 2)
                return cli_usage(cmd, "unexpected argument '%s'", args.val);
            pos[npos++] = args.val;
            break;
        case O_IF_EXISTS:
            have_behavior = true;
            if (cli_parse_behavior(args.val, &o.behavior))
                return cli_usage(cmd, "--if-exists: '%s' is not fail, skip, different or "
                                      "overwrite", args.val);
            break;
        case O_TTL:
            if (!strcmp(args.val, "never"))
                o.ttl_ms = -1;
            else if (cairn_duration_parse(args.val, &o.ttl_ms))
                return cli_usage(cmd, "--ttl: %s, or never", cairn_errmsg());
            break;
        case O_FORMAT:
            if (cairn_format_parse(args.val, &o.format) != CAIRN_OK)
                return cli_usage(cmd, "--format: '%s' is not json, text, bytes, msgpack or npy",
                                 args.val);
            break;
        case O_INPUT:
            input = args.val;
            break;
        case O_IF_VERSION:
            if (cli_parse_u64(args.val, &o.if_version) || o.if_version == 0)
                return cli_usage(cmd, "--if-version: '%s' is not a version number "
                                      "(1 or more)", args.val);
            break;
        case O_MODEL:
            o.model = args.val;
            break;
        case O_FILL:
            o.fill_defaults = 1;
            break;
        case O_META:
            o.user_meta = args.val;
            break;
        case O_NO_COMPRESS:
            so.compress_threshold = -1;
            break;
        case O_COMPRESS_MIN: {
            uint64_t n = 0;
            if (cli_parse_u64(args.val, &n) || n == 0 || n > CAIRN_VALUE_MAX)
                return cli_usage(cmd, "--compress-min: '%s' is not a size in bytes (1 or "
                                      "more)", args.val);
            so.compress_threshold = (int64_t)n;
            break;
        }
        case O_JSON:
            json = true;
            break;
        }
    }
    if (r < 0)
        return args.exit;
    if (npos < 1)
        return cli_usage(cmd, "missing KEY (usage: cairn %s)", cmd->synopsis);
    if (o.if_version && have_behavior)
        return cli_usage(cmd, "--if-version and --if-exists cannot be combined");
    if (o.fill_defaults && !o.model)
        return cli_usage(cmd, "--fill-defaults needs --model");

    const char *key = pos[0];
    char *buf = NULL;
    const void *val;
    size_t len;
    /* One rule for every format: the argument is the value itself; a file
     * comes with --input FILE ('-', or no argument: stdin). */
    if (input && npos == 2)
        return cli_usage(cmd, "give the value as an argument or with --input, not both");
    const char *named_file = NULL; /* the argument, when a file has its name */
    if (!input && npos == 2 && strcmp(pos[1], "-") != 0) {
        val = pos[1];
        len = strlen(pos[1]);
        named_file = names_file(pos[1]) ? pos[1] : NULL;
    } else { /* --input FILE, or stdin */
        char what[CAIRN_KEY_MAX + 8];
        snprintf(what, sizeof what, "put %s", key);
        int rx = cli_read_file_arg(what, input ? input : "-", &buf, &len);
        if (rx)
            return rx;
        val = buf;
    }

    cairn_store *s;
    int ex = cli_open_store_opts(ctx, cmd, so, &s);
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
        ex = cli_fail_validation(rc, "put", key, cairn_validation_errors());
    }
    if (json && (rc == CAIRN_OK || rc == CAIRN_SKIPPED))
        put_json(s, key, rc, &o, len);
    /* A binary value is rarely typed: a file's name where the value goes
     * most likely meant its contents (before 0.1.0, npy and msgpack read
     * it). The same for a value refused as not JSON. */
    bool binary = o.format == CAIRN_FORMAT_NPY || o.format == CAIRN_FORMAT_MSGPACK ||
                  o.format == CAIRN_FORMAT_BYTES;
    if (named_file && (binary || rc == CAIRN_EFORMAT)) {
        char kb[CAIRN_KEY_MAX + 1];
        fprintf(stderr, "cairn: put %s: hint: '%s' is a file; to store its contents use "
                        "--input %s\n", display_key(key, kb), named_file, named_file);
    }
    cairn_store_close(s);
    free(buf);
    return ex;
}

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

/* get KEY KEY...: one cairn_get_many(), then one JSON line per key in the
 * order given: the record (with --meta, its metadata only) or, for a key
 * with no live record, {"key":K,"error":"not found"} (with a message on
 * stderr and exit 3 at the end). */
static int get_several(cairn_store *s, const char **keys, size_t n, bool meta)
{
    cairn_value **vals = calloc(n, sizeof *vals);
    if (!vals) {
        fprintf(stderr, "cairn: get: out of memory\n");
        return CLI_ERROR;
    }
    int rc = cairn_get_many(s, keys, n, vals);
    /* One damaged record fails the whole read: the keys are then read one
     * at a time, and only the damaged one's line says so. */
    bool one_by_one = rc == CAIRN_ECORRUPT;
    int ex = rc && !one_by_one ? cli_fail(rc, "get", NULL) : CLI_OK;
    for (size_t i = 0; i < n && (!rc || one_by_one); i++) {
        int grc = one_by_one ? cairn_get(s, keys[i], &vals[i]) : CAIRN_OK;
        if (grc || !vals[i]) { /* its line says why: "not found", "corrupt record" */
            int st = grc ? grc : CAIRN_ENOTFOUND;
            char kb[CAIRN_KEY_MAX + 1];
            const char *k = display_key(keys[i], kb);
            int e = CLI_NOTFOUND;
            if (st == CAIRN_ENOTFOUND)
                fprintf(stderr, "cairn: get %s: not found\n", k);
            else
                e = cli_fail(st, "get", k);
            cli_jobj j;
            cli_jobj_begin(&j, stdout);
            cli_jobj_str(&j, "key", k);
            cli_jobj_str(&j, "error", cairn_strerror(st));
            cli_jobj_end(&j);
            if (!ex)
                ex = e;
            continue;
        }
        size_t len;
        const void *data = cairn_value_data(vals[i], &len);
        if (meta)
            cli_json_meta(stdout, cairn_value_key(vals[i]), cairn_value_meta(vals[i]));
        else
            dump_write_json(stdout, cairn_value_key(vals[i]), cairn_value_meta(vals[i]), data,
                            len);
        putchar('\n');
    }
    for (size_t i = 0; i < n; i++)
        cairn_value_free(vals[i]);
    free(vals);
    return ex;
}

static int cmd_get(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    enum { O_META, O_MODEL, O_REVALIDATE, O_OUT, O_JSON };
    static const cli_opt specs[] = {{"--meta", "-m", false},
                                    {"--model", "-M", true},
                                    {"--revalidate", NULL, false},
                                    {"--out", "-o", true},
                                    CLI_OPT_JSON, /* the same as --meta */
                                    {NULL, NULL, false}};
    bool meta = false;
    const char *key = NULL, *model = NULL, *outfile = NULL;
    unsigned flags = 0;
    int r;
    size_t nkeys = 0;
    /* Keys are collected in place: positionals never outnumber argv. */
    const char **keys = calloc((size_t)argc, sizeof *keys);
    if (!keys) {
        fprintf(stderr, "cairn: get: out of memory\n");
        return CLI_ERROR;
    }
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        if (args.opt == O_META || args.opt == O_JSON) {
            meta = true;
        } else if (args.opt == O_MODEL) {
            model = args.val;
        } else if (args.opt == O_REVALIDATE) {
            flags |= CAIRN_GET_REVALIDATE;
        } else if (args.opt == O_OUT) {
            outfile = args.val;
        } else {
            keys[nkeys++] = args.val;
        }
    }
    if (r < 0) { /* a usage error, or --help printed */
        free(keys);
        return args.exit;
    }
    int ex = CLI_OK;
    if (!nkeys)
        ex = cli_usage(cmd, "missing KEY (usage: cairn %s)", cmd->synopsis);
    else if (nkeys > 1 && (outfile || model || flags))
        ex = cli_usage(cmd, "%s takes one KEY", outfile ? "--out" : model ? "--model"
                                                                        : "--revalidate");
    cairn_store *s = NULL;
    if (ex || (ex = cli_open_store(ctx, cmd, &s))) {
        free(keys);
        return ex;
    }
    if (nkeys > 1) {
        ex = get_several(s, keys, nkeys, meta);
        free(keys);
        cairn_store_close(s);
        return ex;
    }
    key = keys[0];
    free(keys);
    cairn_value *v = NULL;
    int rc = model || flags ? cairn_get_model(s, key, model, flags, &v)
                            : cairn_get(s, key, &v);
    if (rc) {
        ex = cli_fail_validation(rc, "get", key, cairn_validation_errors());
        /* Revalidating a record whose model is no longer registered: the
         * model is what is missing, not the key. */
        if (rc == CAIRN_ENOTFOUND && (flags & CAIRN_GET_REVALIDATE) &&
            cairn_exists(s, key) == CAIRN_OK)
            ex = cli_exit_status_model(rc);
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

static int cmd_cat(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1];
    cairn_store *s;
    int ex;
    if (cli_positionals_open(ctx, cmd, argc, argv, pos, 1, 1, &s, &ex) < 0)
        return ex;
    cairn_value *v = NULL;
    int rc = cairn_get(s, pos[0], &v);
    if (rc)
        ex = cli_fail(rc, "cat", pos[0]);
    else if ((rc = cli_cat(stdout, v))) { /* the conversion's message names no key */
        fprintf(stderr, "cairn: cat %s: %s\n", pos[0], cairn_errmsg());
        ex = cli_exit_status(rc);
    }
    cairn_value_free(v);
    cairn_store_close(s);
    return ex;
}

static int cmd_exists(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1];
    bool json = false;
    cairn_store *s;
    int ex;
    if (cli_positionals_open_json(ctx, cmd, argc, argv, pos, 1, 1, &json, &s, &ex) < 0)
        return ex;
    int rc = cairn_exists(s, pos[0]);
    /* Absence is the answer, not an error: exit 3 without a message. */
    if (rc == CAIRN_ENOTFOUND)
        ex = CLI_NOTFOUND;
    else if (rc)
        ex = cli_fail(rc, "exists", pos[0]);
    if (json && (rc == CAIRN_OK || rc == CAIRN_ENOTFOUND)) {
        char kb[CAIRN_KEY_MAX + 1];
        cli_jobj j;
        cli_jobj_begin(&j, stdout);
        cli_jobj_str(&j, "key", display_key(pos[0], kb));
        cli_jobj_bool(&j, "exists", rc == CAIRN_OK);
        cli_jobj_end(&j);
    }
    cairn_store_close(s);
    return ex;
}

static int cmd_rm(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    static const cli_opt specs[] = {{"--prefix", "-p", true}, {"--raw-prefix", NULL, true},
                                    CLI_OPT_JSON, {NULL, NULL, false}};
    const char *prefix = NULL;
    bool raw = false, json = false;
    int r, nkeys = 0;
    /* Keys are collected in place: positionals never outnumber argv. */
    const char **keys = calloc((size_t)argc, sizeof *keys);
    if (!keys) {
        fprintf(stderr, "cairn: rm: out of memory\n");
        return CLI_ERROR;
    }
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        if (args.opt == 2) {
            json = true;
        } else if (args.opt >= 0) {
            if (prefix) {
                free(keys);
                return cli_usage(cmd, "--prefix or --raw-prefix given twice");
            }
            prefix = args.val;
            raw = args.opt == 1;
        } else {
            keys[nkeys++] = args.val;
        }
    }
    if (r < 0) { /* a usage error, or --help printed */
        free(keys);
        return args.exit;
    }
    int ex = CLI_OK;
    if (prefix && nkeys)
        ex = cli_usage(cmd, "give either KEY... or --prefix PREFIX, not both");
    else if (!prefix && !nkeys)
        ex = cli_usage(cmd, "missing KEY (usage: cairn %s)", cmd->synopsis);
    cairn_store *s = NULL;
    if (ex || (ex = cli_open_store(ctx, cmd, &s))) {
        free(keys);
        return ex;
    }
    cli_jobj j;
    if (prefix) {
        cli_prefix p;
        cli_prefix_arg(&p, prefix, raw);
        uint64_t n = 0;
        int rc = (p.raw ? cairn_delete_prefix_raw : cairn_delete_prefix)(s, p.text, &n);
        ex = cli_print_count_json(rc, n, json, "removed", "prefix", "rm --prefix", p.text);
    } else {
        /* Every key is tried; the exit status is the first failure's. With
         * --json the keys removed are listed (in place: their number is
         * known only at the end), then the count. */
        uint64_t removed = 0;
        if (json) {
            cli_jobj_begin(&j, stdout);
            cli_jobj_name(&j, "keys");
            putchar('[');
        }
        for (int i = 0; i < nkeys; i++) {
            int rc = cairn_delete(s, keys[i]);
            if (rc) {
                int e = cli_fail(rc, "rm", keys[i]);
                if (!ex)
                    ex = e;
            } else if (json) {
                char kb[CAIRN_KEY_MAX + 1];
                const char *k = display_key(keys[i], kb);
                if (removed)
                    putchar(',');
                cli_json_str(stdout, k, strlen(k));
                removed++;
            }
        }
        if (json) {
            putchar(']');
            cli_jobj_u64(&j, "removed", removed);
            cli_jobj_end(&j);
        }
    }
    cairn_store_close(s);
    free(keys);
    return ex;
}

static int cmd_incr(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    bool json = false;
    int ex;
    int n = cli_positionals_json(ctx, cmd, argc, argv, pos, 1, 2, &json, &ex);
    if (n < 0)
        return ex;
    int64_t by = 1;
    if (n == 2 && cli_parse_i64(pos[1], &by))
        return cli_usage(cmd, "BY: '%s' is not a 64-bit integer", pos[1]);
    cairn_store *s;
    if ((ex = cli_open_store(ctx, cmd, &s)))
        return ex;
    int64_t v;
    int rc = cairn_incr(s, pos[0], by, &v);
    if (rc) {
        ex = cli_fail(rc, "incr", pos[0]);
    } else if (json) {
        char kb[CAIRN_KEY_MAX + 1];
        cli_jobj j;
        cli_jobj_begin(&j, stdout);
        cli_jobj_str(&j, "key", display_key(pos[0], kb));
        cli_jobj_i64(&j, "value", v);
        cli_jobj_end(&j);
    } else {
        printf("%lld\n", (long long)v);
    }
    cairn_store_close(s);
    return ex;
}

const cli_command cli_kv_commands[] = {
    {"put", cmd_put, "put KEY [VALUE] [OPTIONS]",
     "store a value (from the argument, a file or stdin)",
     "Store VALUE under KEY. VALUE is the argument itself, whatever the format;\n"
     "a file's contents come with --input FILE, stdin's when VALUE is absent or\n"
     "'-' (byte-exact: a trailing newline is kept). The value must be valid for\n"
     "its format (exit 5 naming the problem). An argument that names a file\n"
     "with a binary format (npy, msgpack, bytes) adds a hint on stderr. A\n"
     "skipped put exits 0 and says 'skipped' on stderr.\n",
     "  -e, --if-exists MODE  when KEY already holds a record: fail (default,\n"
     "                        exit 4; copy and import default to skip), skip\n"
     "                        (exit 0), different (fail only if the stored\n"
     "                        value differs; JSON compared by meaning),\n"
     "                        overwrite\n"
     "  -t, --ttl DURATION    expire after DURATION: seconds (300), or 500ms, 30s,\n"
     "                        5m, 2h, 1d or a sum such as 1h30m; 'never' for no\n"
     "                        expiry (default: the store's, see --default-ttl)\n"
     "  -f, --format FORMAT   json (default), text (UTF-8), bytes, msgpack (one\n"
     "                        MessagePack object) or npy (a NumPy .npy file of a\n"
     "                        numeric dtype; docs/formats.md)\n"
     "  -i, --input FILE      read the value from FILE ('-': stdin), any format;\n"
     "                        a FILE that cannot be opened: exit 2\n"
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
     "      --compress-min N  compress values of N bytes or more (default 4096)\n"
     "  -j, --json            print what became of it on stdout: {\"key\":K,\n"
     "                        \"status\":\"stored\"|\"skipped\",\"format\":F,\"size\":N,\n"
     "                        \"model\":\"ns/name@N\"|null}\n",
     NULL, CLI_STORE_WRITE},
    {"get", cmd_get, "get KEY [--out FILE] [--meta] [--model REF [--revalidate]] | get KEY KEY... [--meta]",
     "print a value, or its metadata with --meta",
     "Print the value under KEY, byte for byte (no newline is added).\n"
     "Several KEYs are read in one round trip (cairn_get_many) and printed as one\n"
     "JSON line each, in the order given: the fields of --meta, then \"encoding\"\n"
     "and \"value\" as in export (with --meta: the metadata only). A KEY with no\n"
     "live record gets {\"key\":KEY,\"error\":\"not found\"}, and the exit status is 3.\n",
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
     "                        version); invalid: exit 5 with every error on stderr\n"
     "  -j, --json            the same as --meta\n",
     NULL, CLI_STORE_READ},
    {"cat", cmd_cat, "cat KEY",
     "print a value rendered by its format",
     "Print the value under KEY for a person: json and text as they are (a\n"
     "newline added when missing), msgpack as compact JSON (exit 5 when it holds\n"
     "binary, extension types or non-string map keys, which JSON cannot show),\n"
     "npy as a line 'dtype=<f8 shape=(3, 4) order=C' and then the values in\n"
     "logical order, one line per run of the last axis, bytes as a hex dump\n"
     "(offset, 16 bytes in hex, the printable ones). 'cairn get' gives the bytes.\n",
     "", NULL, CLI_STORE_READ},
    {"exists", cmd_exists, "exists KEY [--json]",
     "exit 0 if KEY exists, 3 if not",
     "Exit 0 when KEY holds a live record, 3 (silently) when it does not.\n",
     "  -j, --json            also print {\"key\":KEY,\"exists\":true|false}\n",
     NULL, CLI_STORE_READ},
    {"rm", cmd_rm, "rm KEY... | rm --prefix PREFIX | rm --raw-prefix P [--json]",
     "remove keys, or every key under a prefix",
     "Remove the records under the KEYs (exit 3 if one is absent; the others\n"
     "are removed all the same), or every record under PREFIX (whole segments)\n"
     "and print how many were removed. A PREFIX ending in '*' is a raw prefix\n"
     "('item:*': every key that starts with 'item:'; '\\*' for a literal '*').\n"
     "The library's own _cairn/ records are never removed; an empty prefix is\n"
     "refused (exit 5).\n",
     "  -p, --prefix PREFIX   remove PREFIX and every key under PREFIX/\n"
     "      --raw-prefix P    remove every key that starts with the bytes of P\n"
     "  -j, --json            print {\"keys\":[the keys removed],\"removed\":N}, or\n"
     "                        with --prefix {\"prefix\":PREFIX,\"removed\":N}\n",
     NULL, CLI_STORE_REMOVE},
    {"incr", cmd_incr, "incr KEY [BY] [--json]",
     "add to an integer and print it",
     "Atomically add BY (default 1; may be negative) to the JSON integer under\n"
     "KEY (an absent key counts as 0) and print the new value.\n",
     "  -j, --json            print {\"key\":KEY,\"value\":N}\n", NULL, CLI_STORE_WRITE},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLI_STORE_READ},
};
