/*
 * common.c — what the command families share: the store the context names,
 * failure messages, FILE arguments, the --if-exists modes.
 */
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cli_store_url(const cli_ctx *ctx)
{
    if (ctx->store_url)
        return ctx->store_url;
    const char *env = getenv("CAIRN_STORE");
    if (env && *env)
        return env;
    return CLI_DEFAULT_STORE;
}

bool cli_creates_store(const cli_command *cmd)
{
    return cmd->store == CLI_STORE_WRITE;
}

int cli_open_store_opts(const cli_ctx *ctx, const cli_command *cmd, cairn_options o,
                        cairn_store **s)
{
    o.must_exist = !cli_creates_store(cmd);
    if (!o.default_ttl_ms)
        o.default_ttl_ms = ctx->default_ttl_ms;
    const char *url = cli_store_url(ctx);
    int rc = cairn_store_open(url, &o, s);
    if (rc) {
        char shown[1024];
        return cli_fail(rc, "open", cairn_url_redact(url, shown, sizeof shown));
    }
    return CLI_OK;
}

int cli_open_store(const cli_ctx *ctx, const cli_command *cmd, cairn_store **s)
{
    return cli_open_store_opts(ctx, cmd, (cairn_options){0}, s);
}

int cli_fail(int rc, const char *what, const char *key)
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

int cli_fail_validation(int rc, const char *what, const char *key, const cairn_verrors *errs)
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
    return cli_fail(rc, what, key);
}

int cli_fail_model(int rc, const char *what, const char *ref, const cairn_verrors *errs)
{
    cli_fail_validation(rc, what, ref, errs);
    return cli_exit_status_model(rc);
}

int cli_print_count(int rc, uint64_t n, const char *what, const char *key)
{
    if (rc)
        return cli_fail(rc, what, key);
    printf("%llu\n", (unsigned long long)n);
    return CLI_OK;
}

int cli_print_count_json(int rc, uint64_t n, bool json, const char *field, const char *name,
                         const char *what, const char *key)
{
    if (rc || !json)
        return cli_print_count(rc, n, what, key);
    cli_jobj j;
    cli_jobj_begin(&j, stdout);
    if (name)
        cli_jobj_str(&j, name, key);
    cli_jobj_u64(&j, field, n);
    cli_jobj_end(&j);
    return CLI_OK;
}

int cli_read_file_arg(const char *what, const char *path, char **buf, size_t *len)
{
    int fd = STDIN_FILENO;
    if (strcmp(path, "-") != 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        /* The command line names a file that is not there (or not
         * readable): its caller's mistake, never "not found" (a key). */
        fprintf(stderr, "cairn: %s: cannot open %s: %s\n", what, path, strerror(errno));
        return CLI_USAGE;
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

int cli_parse_behavior(const char *v, cairn_behavior *b)
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

/* ---- prefixes ---- */

void cli_prefix_arg(cli_prefix *p, const char *arg, bool raw)
{
    p->text = arg;
    p->raw = raw;
    size_t n = arg ? strlen(arg) : 0;
    if (raw || n == 0 || arg[n - 1] != '*')
        return;
    /* "P*": the raw prefix P; "P\*": the segment prefix "P*" (a key holds
     * no backslash, so the escape is never part of one). */
    bool escaped = n >= 2 && arg[n - 2] == '\\';
    if (n - 1 > CAIRN_KEY_MAX) { /* the library refuses it as too long */
        p->raw = !escaped;
        return;
    }
    memcpy(p->buf, arg, n - 1);
    if (escaped) /* "P\" becomes "P*" */
        p->buf[n - 2] = '*';
    p->buf[n - 1] = '\0';
    p->text = p->buf;
    p->raw = !escaped;
}

int cli_list(cairn_store *s, const cli_prefix *p, cairn_iter **it)
{
    return (p->raw ? cairn_list_raw : cairn_list)(s, p->text, it);
}

int cli_count(cairn_store *s, const cli_prefix *p, uint64_t *n)
{
    return (p->raw ? cairn_count_raw : cairn_count)(s, p->text, n);
}

/* ---- records of a listing ---- */

/* Read the batch's keys, hand the live ones to fn; frees the keys. One
 * damaged record fails cairn_get_many() as a whole, so the keys are then
 * read one at a time: fn sees every record before it, and bad decides
 * whether the walk goes on. What is written is flushed before an error is
 * reported. */
static int values_flush(cairn_store *s, char **keys, size_t n, cli_value_fn fn,
                        cli_corrupt_fn bad, void *ctx)
{
    cairn_value *vals[CLI_BATCH];
    int rc = cairn_get_many(s, (const char *const *)keys, n, vals);
    bool one_by_one = rc == CAIRN_ECORRUPT;
    if (one_by_one)
        rc = CAIRN_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (one_by_one && (rc = cairn_get(s, keys[i], &vals[i]))) {
            if (rc == CAIRN_ENOTFOUND)
                rc = CAIRN_OK;
            else if (rc == CAIRN_ECORRUPT && bad)
                rc = bad(ctx, keys[i], cairn_errmsg());
            continue;
        }
        if (vals[i]) /* NULL: expired or removed since it was listed */
            rc = fn(ctx, vals[i]);
    }
    fflush(stdout);
    for (size_t i = 0; i < n; i++) {
        cairn_value_free(vals[i]); /* NULL when not read */
        free(keys[i]);
    }
    return rc;
}

int cli_each_value(cairn_store *s, cairn_iter *it, int64_t limit, cli_value_fn fn,
                   cli_corrupt_fn bad, void *ctx)
{
    char *keys[CLI_BATCH];
    size_t n = 0, bytes = 0;
    int64_t listed = 0;
    int rc = CAIRN_OK;
    while (!ferror(stdout) && (limit < 0 || listed < limit)) { /* main reports a write error */
        const char *key;
        size_t klen;
        cairn_meta m;
        if ((rc = cairn_iter_next(it, &key, &klen)))
            break;
        /* A damaged header: its read in the batch reports it. */
        if ((rc = cairn_iter_meta(it, &m)) == CAIRN_ECORRUPT)
            m.size = 0;
        else if (rc)
            break;
        if (!(keys[n] = strdup(key))) {
            rc = CAIRN_ENOMEM;
            break;
        }
        n++;
        listed++;
        bytes += m.size;
        if (n == CLI_BATCH || bytes >= CLI_BATCH_BYTES) {
            rc = values_flush(s, keys, n, fn, bad, ctx);
            n = bytes = 0;
            if (rc)
                break;
        }
    }
    if (rc == CAIRN_DONE || rc == CAIRN_OK) {
        rc = values_flush(s, keys, n, fn, bad, ctx);
        n = 0;
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    return rc;
}
