/*
 * cmd_model.c — models: `cairn model add|ls|show|rm|export|import` (a
 * command with subcommands of its own) and `cairn validate`.
 */
#define _GNU_SOURCE /* getline */
#include "cmd.h"
#include "dump.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* NAME plus --namespace NS as one reference "NS/NAME" in buf. */
static int model_ref_arg(const cli_command *cmd, const char *name, const char *ns, char *buf,
                         size_t cap)
{
    if (ns && strchr(name, '/'))
        return cli_usage(cmd, "give the namespace once: '%s' already has one and --namespace "
                              "says '%s'", name, ns);
    int w = ns ? snprintf(buf, cap, "%s/%s", ns, name) : snprintf(buf, cap, "%s", name);
    if (w < 0 || (size_t)w >= cap)
        return cli_usage(cmd, "model reference '%s' is too long (max %d bytes)", name,
                         CAIRN_MODEL_MAX);
    return CLI_OK;
}

/* The fields naming a model version, from its full reference ref
 * ("ns/name@N"; a namespace holds no '/', a name may): model (ref itself),
 * namespace, name, version. */
static void model_json_fields(cli_jobj *j, const char *ref)
{
    const char *slash = strchr(ref, '/'), *at = strrchr(ref, '@');
    char ns[CAIRN_MODEL_MAX + 1] = "", name[CAIRN_MODEL_MAX + 1] = "";
    uint64_t version = 0;
    if (slash && at && at > slash) {
        snprintf(ns, sizeof ns, "%.*s", (int)(slash - ref), ref);
        snprintf(name, sizeof name, "%.*s", (int)(at - slash - 1), slash + 1);
        if (cli_parse_u64(at + 1, &version))
            version = 0;
    }
    cli_jobj_str(j, "model", ref);
    cli_jobj_str(j, "namespace", ns);
    cli_jobj_str(j, "name", name);
    cli_jobj_u64(j, "version", version);
}

static int cmd_model_add(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    enum { O_NS, O_NEW, O_JSON };
    static const cli_opt specs[] = {{"--namespace", "-n", true},
                                    {"--new-version", NULL, false},
                                    CLI_OPT_JSON,
                                    {NULL, NULL, false}};
    const char *pos[2], *ns = NULL;
    bool json = false;
    unsigned flags = 0;
    int npos = 0, r;
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        if (args.opt == O_NS)
            ns = args.val;
        else if (args.opt == O_NEW)
            flags |= CAIRN_MODEL_NEW_VERSION;
        else if (args.opt == O_JSON)
            json = true;
        else if (npos == 2)
            return cli_usage(cmd, "unexpected argument '%s'", args.val);
        else
            pos[npos++] = args.val;
    }
    if (r < 0)
        return args.exit;
    if (npos < 2)
        return cli_usage(cmd, "missing argument (usage: cairn %s)", cmd->synopsis);
    char ref[CAIRN_MODEL_MAX + 1];
    int ex = model_ref_arg(cmd, pos[0], ns, ref, sizeof ref);
    char *schema = NULL;
    size_t len = 0;
    if (ex || (ex = cli_read_file_arg("model add", pos[1], &schema, &len)))
        return ex;
    cairn_store *s;
    if ((ex = cli_open_store(ctx, cmd, &s))) {
        free(schema);
        return ex;
    }
    char resolved[CAIRN_MODEL_MAX + 1];
    int rc = cairn_model_register(s, ref, schema, len, flags, resolved);
    if (rc == CAIRN_SKIPPED)
        fprintf(stderr, "cairn: model add %s: unchanged (the same schema is %s)\n", ref,
                resolved);
    if (rc && rc != CAIRN_SKIPPED) {
        ex = cli_fail(rc, "model add", ref);
    } else if (json) {
        cli_jobj j;
        cli_jobj_begin(&j, stdout);
        model_json_fields(&j, resolved);
        cli_jobj_str(&j, "status", rc == CAIRN_SKIPPED ? "unchanged" : "registered");
        cli_jobj_end(&j);
    } else {
        printf("%s\n", resolved);
    }
    cairn_store_close(s);
    free(schema);
    return ex;
}

/* ctx: a bool, true for --json (one object per line). */
static int print_model(void *ctx, const char *ns, const char *name, unsigned version,
                       const char *ref)
{
    (void)ns;
    (void)name;
    (void)version;
    if (*(const bool *)ctx) {
        cli_jobj j;
        cli_jobj_begin(&j, stdout);
        model_json_fields(&j, ref);
        cli_jobj_end(&j);
    } else {
        printf("%s\n", ref);
    }
    return ferror(stdout) ? CAIRN_EIO : 0;
}

static int cmd_model_ls(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1];
    bool json = false;
    cairn_store *s;
    int ex;
    if (cli_positionals_open_json(ctx, cmd, argc, argv, pos, 0, 0, &json, &s, &ex) < 0)
        return ex;
    int rc = cairn_model_list(s, print_model, &json);
    if (rc == CAIRN_EIO && ferror(stdout))
        ex = CLI_ERROR; /* reported by main's final flush check */
    else if (rc)
        ex = cli_fail(rc, "model ls", NULL);
    cairn_store_close(s);
    return ex;
}

/* model show / model rm: NAME [--namespace NS] [--json] into ref (and
 * *json). Returns an exit
 * status; CLI_OK with an empty ref when there is nothing more to do (help). */
static int model_name_args(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
                           char *ref, size_t cap, bool *json)
{
    static const cli_opt specs[] = {{"--namespace", "-n", true}, CLI_OPT_JSON,
                                    {NULL, NULL, false}};
    const char *name = NULL, *ns = NULL;
    int r;
    ref[0] = '\0'; /* stays empty when --help was answered */
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        if (args.opt == 0)
            ns = args.val;
        else if (args.opt == 1)
            *json = true;
        else if (name)
            return cli_usage(cmd, "unexpected argument '%s'", args.val);
        else
            name = args.val;
    }
    if (r < 0)
        return args.exit;
    if (!name)
        return cli_usage(cmd, "missing NAME (usage: cairn %s)", cmd->synopsis);
    return model_ref_arg(cmd, name, ns, ref, cap);
}

static int cmd_model_show(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    char ref[CAIRN_MODEL_MAX + 1];
    bool json = false;
    int ex = model_name_args(ctx, cmd, argc, argv, ref, sizeof ref, &json);
    cairn_store *s;
    if (ex || !ref[0] || (ex = cli_open_store(ctx, cmd, &s)))
        return ex;
    cairn_value *v = NULL;
    char resolved[CAIRN_MODEL_MAX + 1];
    int rc = cairn_model_resolve(s, ref, resolved);
    if (rc == CAIRN_OK)
        rc = cairn_model_schema(s, resolved, &v);
    if (rc) {
        ex = cli_fail_model(rc, "model show", ref, NULL);
    } else if (json) { /* the schema is JSON the registry checked */
        size_t len;
        const char *data = cairn_value_data(v, &len);
        cli_jobj j;
        cli_jobj_begin(&j, stdout);
        model_json_fields(&j, resolved);
        cli_jobj_raw(&j, "schema", data, len);
        cli_jobj_end(&j);
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

static int cmd_model_rm(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    char ref[CAIRN_MODEL_MAX + 1];
    bool json = false;
    int ex = model_name_args(ctx, cmd, argc, argv, ref, sizeof ref, &json);
    cairn_store *s;
    if (ex || !ref[0] || (ex = cli_open_store(ctx, cmd, &s)))
        return ex;
    uint64_t n = 0;
    int rc = cairn_model_remove(s, ref, &n);
    if (rc)
        ex = cli_fail_model(rc, "model rm", ref, NULL);
    else
        ex = cli_print_count_json(rc, n, json, "removed", "model", NULL, ref);
    cairn_store_close(s);
    return ex;
}

/* model export: the models to write (NAMEs resolved), the output. */
typedef struct {
    cairn_store *s;
    FILE *out;
    char (*want)[CAIRN_MODEL_MAX + 1]; /* "ns/name@N", or "ns/name" for every version */
    size_t n;
    int ex;
} model_export;

static int export_one(void *ctx, const char *ns, const char *name, unsigned version,
                      const char *ref)
{
    model_export *e = ctx;
    (void)version;
    bool take = e->n == 0;
    size_t nl = strlen(ns), ml = strlen(name);
    for (size_t i = 0; i < e->n && !take; i++)
        take = !strcmp(e->want[i], ref) ||
               (strlen(e->want[i]) == nl + 1 + ml && !strncmp(e->want[i], ns, nl) &&
                e->want[i][nl] == '/' && !strcmp(e->want[i] + nl + 1, name));
    if (!take)
        return 0;
    int rc = cli_dump_model(e->s, e->out, ref);
    if (rc)
        e->ex = cli_fail_model(rc, "model export", ref, NULL);
    return rc ? 1 : 0;
}

static int cmd_model_export(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    static const cli_opt specs[] = {{"--output", "-o", true}, {NULL, NULL, false}};
    const char *output = NULL;
    model_export e = {0};
    e.want = calloc((size_t)argc + 1, sizeof *e.want);
    if (!e.want) {
        fprintf(stderr, "cairn: model export: out of memory\n");
        return CLI_ERROR;
    }
    int r, ex = CLI_OK;
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        if (args.opt == 0)
            output = args.val;
        else if ((ex = model_ref_arg(cmd, args.val, NULL, e.want[e.n++], sizeof *e.want)))
            break;
    }
    if (r < 0 || ex || (ex = cli_open_store(ctx, cmd, &e.s))) {
        free(e.want);
        return r < 0 ? args.exit : ex;
    }
    /* Each NAME resolved as the registry does: "ns/name@N" keeps its
     * version, a name without one means every version of the model. */
    for (size_t i = 0; i < e.n && !ex; i++) {
        char full[CAIRN_MODEL_MAX + 1];
        int rc = cairn_model_resolve(e.s, e.want[i], full);
        if (rc)
            ex = cli_fail_model(rc, "model export", e.want[i], NULL);
        else if (!strchr(e.want[i], '@'))
            *strrchr(full, '@') = '\0';
        if (!rc)
            memcpy(e.want[i], full, sizeof full);
    }
    e.out = stdout;
    if (!ex && output && strcmp(output, "-") && !(e.out = fopen(output, "w"))) {
        fprintf(stderr, "cairn: model export: cannot open %s: %s\n", output, strerror(errno));
        ex = CLI_USAGE;
    }
    if (!ex) {
        int rc = cairn_model_list(e.s, export_one, &e);
        ex = e.ex ? e.ex : rc ? cli_fail(rc, "model export", NULL) : CLI_OK;
    }
    if (e.out && e.out != stdout && fclose(e.out) && !ex) {
        fprintf(stderr, "cairn: model export: writing %s: %s\n", output, strerror(errno));
        ex = CLI_ERROR;
    }
    cairn_store_close(e.s);
    free(e.want);
    return ex;
}

static int cmd_model_import(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[1] = {"-"};
    bool json = false;
    int ex;
    if (cli_positionals_json(ctx, cmd, argc, argv, pos, 0, 1, &json, &ex) < 0)
        return ex;
    FILE *in = stdin;
    if (strcmp(pos[0], "-") && !(in = fopen(pos[0], "r"))) {
        fprintf(stderr, "cairn: model import: cannot open %s: %s\n", pos[0], strerror(errno));
        return CLI_USAGE;
    }
    cairn_store *s;
    if ((ex = cli_open_store(ctx, cmd, &s))) {
        if (in != stdin)
            fclose(in);
        return ex;
    }
    cli_model_counts n = {0};
    char *line = NULL;
    size_t cap = 0;
    uint64_t lineno = 0;
    ssize_t got;
    while (!ex && (got = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)got;
        lineno++;
        if (len && line[len - 1] == '\n')
            len--;
        char err[256];
        dump_rec r;
        int pr = dump_parse(line, len, &r, err, sizeof err);
        if (pr == DUMP_MODEL)
            ex = cli_load_model(s, "model import", lineno, r.model, r.value, r.len, &n);
        else if (pr == DUMP_RECORD)
            fprintf(stderr, "cairn: model import: line %llu: a record, not a model (records "
                            "go in with 'cairn import')\n",
                    (unsigned long long)lineno);
        else if (pr < 0)
            fprintf(stderr, "cairn: model import: line %llu: %s\n", (unsigned long long)lineno,
                    err);
        if (pr == DUMP_RECORD || pr < 0)
            ex = CLI_INVALID;
        if (pr == DUMP_MODEL || pr == DUMP_RECORD)
            dump_rec_free(&r);
    }
    if (!ex && ferror(in)) {
        fprintf(stderr, "cairn: model import: reading %s: %s\n", pos[0], strerror(errno));
        ex = CLI_ERROR;
    }
    free(line);
    if (in != stdin)
        fclose(in);
    if (json) {
        cli_jobj j;
        cli_jobj_begin(&j, stdout);
        cli_jobj_u64(&j, "models_registered", n.added);
        cli_jobj_u64(&j, "models_there", n.same);
        cli_jobj_bool(&j, "stopped", ex != CLI_OK);
        cli_jobj_end(&j);
    } else {
        fprintf(stderr, "cairn: model import: %llu registered, %llu already there%s\n",
                (unsigned long long)n.added, (unsigned long long)n.same,
                ex ? " (stopped by the error above)" : "");
    }
    cairn_store_close(s);
    return ex;
}

/* validate --json: {"model":REF,"valid":B,"errors":[{"path":P,"message":M}...],
 * "truncated":B}, REF the version validated against (ns/name@N); errs
 * NULL or empty: valid. */
static void validate_json(cairn_store *s, const char *ref, const cairn_verrors *errs)
{
    size_t n = errs ? cairn_verrors_count(errs) : 0;
    char resolved[CAIRN_MODEL_MAX + 1];
    cli_jobj j;
    cli_jobj_begin(&j, stdout);
    cli_jobj_str(&j, "model", cairn_model_resolve(s, ref, resolved) == CAIRN_OK ? resolved : ref);
    cli_jobj_bool(&j, "valid", n == 0);
    cli_jobj_name(&j, "errors");
    putchar('[');
    for (size_t i = 0; i < n; i++) {
        cli_jobj e;
        if (i)
            putchar(',');
        cli_jobj_begin(&e, stdout);
        cli_jobj_str(&e, "path", cairn_verrors_path(errs, i));
        cli_jobj_str(&e, "message", cairn_verrors_rule(errs, i));
        cli_jobj_close(&e);
    }
    putchar(']');
    cli_jobj_bool(&j, "truncated", errs && cairn_verrors_truncated(errs));
    cli_jobj_end(&j);
}

static int cmd_validate(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    const char *pos[2];
    bool json = false;
    int ex;
    if (cli_positionals_json(ctx, cmd, argc, argv, pos, 2, 2, &json, &ex) < 0)
        return ex;
    char *doc = NULL;
    size_t len = 0;
    if ((ex = cli_read_file_arg("validate", pos[1], &doc, &len)))
        return ex;
    cairn_store *s;
    if ((ex = cli_open_store(ctx, cmd, &s))) {
        free(doc);
        return ex;
    }
    cairn_verrors *errs = NULL;
    int rc = cairn_validate(s, pos[0], doc, len, &errs);
    bool judged = rc == CAIRN_OK || (rc == CAIRN_EVALIDATION && errs);
    if (json && judged)
        validate_json(s, pos[0], errs);
    if (rc) /* with --json the errors are in the object, the message stays */
        ex = cli_fail_model(rc, "validate", pos[1], json ? NULL : errs);
    cairn_verrors_free(errs);
    cairn_store_close(s);
    free(doc);
    return ex;
}

static const cli_command model_commands[] = {
    {"model add", cmd_model_add,
     "model add NAME SCHEMA_FILE [--namespace NS] [--new-version] [--json]",
     "register a JSON Schema as a model",
     "Register the JSON Schema in SCHEMA_FILE ('-': stdin) as model NAME (\"name\" or\n"
     "\"ns/name\"; namespace 'default' when none is given) and print its reference\n"
     "ns/name@version. The same schema again is a no-op (exit 0, 'unchanged' on\n"
     "stderr); a different schema under a taken name fails (exit 4, naming the first\n"
     "difference) unless --new-version registers it as the next version.\n",
     "  -n, --namespace NS    the model's namespace (default: 'default')\n"
     "      --new-version     register a different schema as the next version\n"
     "  -j, --json            print {\"model\":\"ns/name@N\",\"namespace\":NS,\"name\":\n"
     "                        NAME,\"version\":N,\"status\":\"registered\"|\"unchanged\"}\n",
     NULL, CLI_STORE_WRITE},
    {"model ls", cmd_model_ls, "model ls [--json]",
     "list models",
     "Print every registered model version as ns/name@version, one per line,\n"
     "sorted by namespace, name and version.\n",
     "  -j, --json            one JSON object per line: {\"model\":\"ns/name@N\",\n"
     "                        \"namespace\":NS,\"name\":NAME,\"version\":N}\n",
     NULL, CLI_STORE_READ},
    {"model show", cmd_model_show, "model show NAME [--namespace NS] [--json]",
     "print a model's schema",
     "Print the JSON Schema of model NAME (\"name\", \"ns/name\" or \"ns/name@N\";\n"
     "the newest version unless @N is given) on stdout and its full reference on\n"
     "stderr. A name without a namespace means the 'default' namespace if it has\n"
     "the name, else the only namespace that does (exit 5 when several do, and\n"
     "when none does).\n",
     "  -n, --namespace NS    the model's namespace\n"
     "  -j, --json            print one JSON object on stdout: model, namespace,\n"
     "                        name, version (as model ls --json) and schema\n",
     NULL, CLI_STORE_READ},
    {"model rm", cmd_model_rm, "model rm NAME [--namespace NS] [--json]",
     "remove a model",
     "Remove model NAME: every version, or only version N with \"name@N\". Print\n"
     "how many versions were removed (exit 5 for a model that is not registered).\n"
     "Records stored under it keep their metadata.\n",
     "  -n, --namespace NS    the model's namespace\n"
     "  -j, --json            print {\"model\":NAME as given,\"removed\":N}\n",
     NULL, CLI_STORE_REMOVE},
    {"model export", cmd_model_export, "model export [NAME...] [--output FILE]",
     "write models as JSON Lines",
     "Write models, one line per version with its schema (the model lines of\n"
     "the dump format, docs/cli.md): every registered model, or those NAMEd\n"
     "(\"name\" or \"ns/name\": every version; \"ns/name@N\": that one). A NAME\n"
     "that is not registered is exit 5. 'cairn model import' reads them back.\n"
     "Its output is JSON Lines already: it has no --json.\n",
     "  -o, --output FILE     write to FILE instead of stdout\n",
     NULL, CLI_STORE_READ},
    {"model import", cmd_model_import, "model import [FILE|-] [--json]",
     "register the models of model lines",
     "Register each model line of FILE (stdin without one or with '-'; from\n"
     "'cairn model export' or 'cairn export') as exactly its version. A version\n"
     "already registered with an equal schema is left alone; with a different\n"
     "one it is exit 4 (naming the line), and so are the lines after it. A\n"
     "record line or a bad line is exit 5. A summary line ends on stderr.\n",
     "  -j, --json            the summary on stdout, not stderr, as\n"
     "                        {\"models_registered\":N,\"models_there\":N,\"stopped\":false}\n",
     NULL, CLI_STORE_WRITE},
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

static int cmd_model(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    /* Options before the subcommand: --store and --help only. */
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, NULL, 0);
    int r = cli_args_next(&args);
    if (r < 0)
        return args.exit;
    if (r == 0) {
        print_model_help(stderr);
        return CLI_USAGE;
    }
    int at = args.i - 1; /* the subcommand: its argv[0] */
    for (size_t k = 0; k < N_MODEL_COMMANDS; k++)
        if (!strcmp(model_commands[k].name + 6, args.val))
            return model_commands[k].fn(ctx, &model_commands[k], argc - at, argv + at);
    return cli_usage(cmd, "unknown command '%s' (add, ls, show, rm, export, import)",
                     args.val);
}

const cli_command cli_model_commands[] = {
    {"model", cmd_model, "model add|ls|show|rm|export|import ...",
     "register, list, show, remove, export and import models (JSON Schemas)",
     "Manage the models of the store; see 'cairn model --help'.\n", "",
     print_model_help, CLI_STORE_READ},
    {"validate", cmd_validate, "validate [NS/]NAME FILE [--json]",
     "validate a JSON document against a model",
     "Validate the JSON document in FILE ('-': stdin) against model [NS/]NAME[@N]\n"
     "without storing it. Valid: exit 0, silently. Invalid: exit 5 with every\n"
     "error on stderr, one per line, as '/path: rule'. A model that is not\n"
     "registered: exit 5; a FILE that cannot be opened: exit 2.\n",
     "  -j, --json            print {\"model\":\"ns/name@N\",\"valid\":B,\"errors\":\n"
     "                        [{\"path\":JSON_POINTER,\"message\":RULE}...],\n"
     "                        \"truncated\":B} on stdout, valid or not (same exit)\n",
     NULL, CLI_STORE_READ},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLI_STORE_READ},
};
