/*
 * cmd_migrate.c — moving records between stores: `cairn copy` (store to
 * store, cairn_copy()), `cairn export` and `cairn import` (the JSON Lines
 * dump of dump.c). All three stream and show a progress line on a terminal.
 */
#define _GNU_SOURCE /* getline */
#include "cmd.h"
#include "dump.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Progress on a terminal                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    bool on;           /* stderr is a terminal */
    const char *verb;  /* "copied", "exported", "imported" */
    uint64_t total;    /* records expected; 0: unknown */
    uint64_t total_bytes; /* input bytes expected (import); 0: unknown */
    int64_t t0, last;  /* ms */
} progress;

static void progress_init(progress *p, const char *verb)
{
    memset(p, 0, sizeof *p);
    p->on = isatty(STDERR_FILENO) == 1;
    p->verb = verb;
    p->t0 = cairn_now_ms();
}

/* Redraw at most ten times a second; final: always, then end the line. */
static void progress_show(progress *p, uint64_t done, uint64_t skipped, uint64_t pos,
                          bool final)
{
    if (!p->on)
        return;
    int64_t now = cairn_now_ms();
    if (!final && now - p->last < 100)
        return;
    p->last = now;
    double secs = (double)(now - p->t0) / 1000.0;
    double rate = secs > 0 ? (double)(done + skipped) / secs : 0;
    double frac = -1;
    if (p->total_bytes)
        frac = (double)pos / (double)p->total_bytes;
    else if (p->total)
        frac = (double)(done + skipped) / (double)p->total;
    if (frac > 1)
        frac = 1;
    char bar[24] = "";
    if (frac >= 0) {
        int fill = (int)(frac * 20);
        bar[0] = '[';
        for (int i = 0; i < 20; i++)
            bar[1 + i] = i < fill ? '#' : '.';
        bar[21] = ']';
        bar[22] = '\0';
    }
    fprintf(stderr, "\r%s", bar);
    if (frac >= 0)
        fprintf(stderr, " %3d%%", (int)(frac * 100));
    fprintf(stderr, " %llu %s", (unsigned long long)done, p->verb);
    if (p->total && !p->total_bytes)
        fprintf(stderr, " of %llu", (unsigned long long)p->total);
    if (skipped)
        fprintf(stderr, ", %llu skipped", (unsigned long long)skipped);
    fprintf(stderr, ", %.0f records/s, %.1f s\033[K", rate, secs);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* A failed library call, as cli_fail() but always naming what: its message
 * and exit status. */
static int report(int rc, const char *what)
{
    const char *msg = cairn_errmsg();
    fprintf(stderr, "cairn: %s: %s\n", what, msg && *msg ? msg : cairn_strerror(rc));
    return cli_exit_status(rc);
}

static int open_url(const char *url, bool create, cairn_store **s, const char *what)
{
    cairn_options o = {.must_exist = !create};
    int rc = cairn_store_open(url, &o, s);
    return rc ? report(rc, what) : CLI_OK;
}

/* ------------------------------------------------------------------ */
/* copy                                                                */
/* ------------------------------------------------------------------ */

typedef struct {
    progress p;
} copy_ctx;

static int copy_progress(void *ctx, const cairn_copy_stats *st)
{
    copy_ctx *c = ctx;
    progress_show(&c->p, st->copied, st->skipped + st->expired, 0, false);
    return 0;
}

/* --from is only read: it must exist. --to is made when cmd says so. */
static int copy_run(const cli_command *cmd, const char *from_url, const char *to_url,
                    const cli_prefix *prefix, cairn_behavior behavior)
{
    cairn_store *from = NULL, *to = NULL;
    int ex = open_url(from_url, false, &from, "copy --from");
    if (ex)
        return ex;
    if ((ex = open_url(to_url, cli_creates_store(cmd), &to, "copy --to"))) {
        cairn_store_close(from);
        return ex;
    }
    copy_ctx c;
    progress_init(&c.p, "copied");
    uint64_t total;
    /* The total costs a scan of the keys: only worth it for a bar. */
    if (c.p.on && cli_count(from, prefix, &total) == CAIRN_OK)
        c.p.total = total;
    cairn_copy_opts o = {.struct_size = sizeof o, .behavior = behavior, .prefix = prefix->text,
                         .progress = copy_progress, .progress_ctx = &c,
                         .raw_prefix = prefix->raw};
    cairn_copy_stats st = {0};
    int rc = cairn_copy(from, to, &o, &st);
    progress_show(&c.p, st.copied, st.skipped + st.expired, 0, true);
    if (rc)
        ex = report(rc, "copy");
    fprintf(stderr, "cairn: copy: %llu copied, %llu skipped (already there), %llu expired%s\n",
            (unsigned long long)st.copied, (unsigned long long)st.skipped,
            (unsigned long long)st.expired, rc ? " (stopped by the error above)" : "");
    cairn_store_close(to);
    cairn_store_close(from);
    return ex;
}

/* ------------------------------------------------------------------ */
/* export                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    progress p;
    uint64_t done;
} exporter;

static int export_one(void *ctx, const cairn_value *v)
{
    exporter *e = ctx;
    size_t len;
    const void *data = cairn_value_data(v, &len);
    dump_write(stdout, cairn_value_key(v), cairn_value_meta(v), data, len);
    progress_show(&e->p, ++e->done, 0, 0, false);
    return 0;
}

static int export_run(const cli_command *cmd, const char *url, const cli_prefix *prefix)
{
    cairn_store *s;
    int ex = open_url(url, cli_creates_store(cmd), &s, "export");
    if (ex)
        return ex;
    exporter e = {.done = 0};
    progress_init(&e.p, "exported");
    uint64_t total;
    if (e.p.on && cli_count(s, prefix, &total) == CAIRN_OK)
        e.p.total = total;
    cairn_iter *it = NULL;
    int rc = cli_list(s, prefix, &it);
    if (rc == CAIRN_OK)
        rc = cli_each_value(s, it, -1, export_one, &e);
    progress_show(&e.p, e.done, 0, 0, true);
    if (rc)
        ex = report(rc, "export");
    cairn_iter_free(it);
    cairn_store_close(s);
    return ex;
}

/* ------------------------------------------------------------------ */
/* import                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    cairn_store *s;
    cairn_behavior behavior;
    dump_rec recs[CLI_BATCH];
    uint64_t lines[CLI_BATCH];
    char keys[CLI_BATCH][CAIRN_KEY_MAX + 1]; /* normal forms ("" when invalid) */
    cairn_record_item items[CLI_BATCH];
    size_t n, bytes;
    uint64_t imported, skipped, expired;
} importer;

static void imp_clear(importer *im)
{
    for (size_t i = 0; i < im->n; i++)
        dump_rec_free(&im->recs[i]);
    im->n = im->bytes = 0;
}

/* Write the batch. When an item fails, the items before it are written
 * (each line before a bad one is imported) and the failure is reported
 * with its line number. Returns an exit status. */
static int imp_flush(importer *im)
{
    size_t n = im->n;
    int ex = CLI_OK;
    while (n) {
        for (size_t i = 0; i < n; i++)
            im->items[i] = (cairn_record_item){im->recs[i].key, im->recs[i].value,
                                               im->recs[i].len, &im->recs[i].meta, 0};
        int rc = cairn_put_records(im->s, im->items, n, im->behavior);
        if (rc == CAIRN_OK) {
            int64_t now = cairn_now_ms();
            for (size_t i = 0; i < n; i++) {
                const cairn_meta *m = &im->recs[i].meta;
                if (im->items[i].status == CAIRN_OK)
                    im->imported++;
                else if (m->expires_ms && m->expires_ms <= now)
                    im->expired++;
                else
                    im->skipped++;
            }
            break;
        }
        /* The line at fault holds the error, the others 0; an error of
         * no line's making (I/O, busy) is held by all. */
        size_t bad = n, nneg = 0;
        for (size_t i = 0; i < n; i++)
            if (im->items[i].status < 0) {
                nneg++;
                if (bad == n)
                    bad = i;
            }
        const char *msg = cairn_errmsg();
        if (bad == n || (n > 1 && nneg == n)) {
            /* Not one line's fault (I/O, busy): nothing of the batch written. */
            ex = report(rc, "import");
            fprintf(stderr, "cairn: import: lines %llu to %llu were not imported\n",
                    (unsigned long long)im->lines[0], (unsigned long long)im->lines[n - 1]);
            break;
        }
        fprintf(stderr, "cairn: import: line %llu: %s\n", (unsigned long long)im->lines[bad],
                msg && *msg ? msg : cairn_strerror(rc));
        /* A checksum that does not match is bad input, not a bad store. */
        ex = rc == CAIRN_ECORRUPT ? CLI_INVALID : cli_exit_status(rc);
        n = bad; /* retry the lines before it */
    }
    imp_clear(im);
    return ex;
}

static int import_run(const cli_command *cmd, const char *url, cairn_behavior behavior)
{
    importer *im = calloc(1, sizeof *im);
    if (!im) {
        fprintf(stderr, "cairn: import: out of memory\n");
        return CLI_ERROR;
    }
    int ex = open_url(url, cli_creates_store(cmd), &im->s, "import");
    if (ex) {
        free(im);
        return ex;
    }
    im->behavior = behavior;
    progress p;
    progress_init(&p, "imported");
    struct stat st;
    if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
        p.total_bytes = (uint64_t)st.st_size;
    char *line = NULL;
    size_t cap = 0;
    uint64_t lineno = 0, pos = 0;
    ssize_t got;
    errno = 0;
    while (ex == CLI_OK && (got = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        pos += (uint64_t)got;
        size_t len = (size_t)got;
        if (len && line[len - 1] == '\n')
            len--;
        char err[256];
        dump_rec *r = &im->recs[im->n];
        int pr = dump_parse(line, len, r, err, sizeof err);
        if (pr == 1)
            continue;
        if (pr < 0) {
            /* Lines before it go in; then stop. */
            ex = imp_flush(im);
            if (ex == CLI_OK) {
                fprintf(stderr, "cairn: import: line %llu: %s\n", (unsigned long long)lineno,
                        err);
                ex = CLI_INVALID;
            }
            break;
        }
        /* A dump may hold a key twice (dumps joined together): the second
         * must meet the first as a separate write, so it starts a batch. */
        char *nk = im->keys[im->n];
        if (cairn_key_normalize(r->key, nk, NULL) != CAIRN_OK)
            nk[0] = '\0';
        bool dup = false;
        for (size_t i = 0; nk[0] && i < im->n && !dup; i++)
            dup = !strcmp(im->keys[i], nk);
        if (dup) {
            /* r sits past the batch, which imp_flush() leaves alone. */
            if ((ex = imp_flush(im)) != CLI_OK) {
                dump_rec_free(r);
                break;
            }
            im->recs[0] = *r;
            im->recs[0].meta.model = im->recs[0].model;
            memcpy(im->keys[0], nk, strlen(nk) + 1);
            r = &im->recs[0];
        }
        im->lines[im->n++] = lineno;
        im->bytes += r->len;
        if (im->n == CLI_BATCH || im->bytes >= CLI_BATCH_BYTES) {
            ex = imp_flush(im);
            progress_show(&p, im->imported, im->skipped + im->expired, pos, false);
        }
    }
    if (ex == CLI_OK && ferror(stdin)) {
        fprintf(stderr, "cairn: import: reading stdin: %s\n", strerror(errno));
        imp_clear(im);
        ex = CLI_ERROR;
    }
    if (ex == CLI_OK)
        ex = imp_flush(im);
    imp_clear(im);
    free(line);
    progress_show(&p, im->imported, im->skipped + im->expired, pos, true);
    fprintf(stderr, "cairn: import: %llu imported, %llu skipped (already there), "
                    "%llu expired%s\n",
            (unsigned long long)im->imported, (unsigned long long)im->skipped,
            (unsigned long long)im->expired, ex ? " (stopped by the error above)" : "");
    cairn_store_close(im->s);
    free(im);
    return ex;
}

/* ------------------------------------------------------------------ */
/* The commands                                                        */
/* ------------------------------------------------------------------ */

#define IF_EXISTS_USAGE "--if-exists: '%s' is not skip, different, overwrite or fail"

static int cmd_copy(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    enum { O_FROM, O_TO, O_PREFIX, O_IF_EXISTS, O_RAW_PREFIX };
    static const cli_opt specs[] = {{"--from", NULL, true},
                                    {"--to", NULL, true},
                                    {"--prefix", "-p", true},
                                    {"--if-exists", "-e", true},
                                    {"--raw-prefix", NULL, true},
                                    {NULL, NULL, false}};
    const char *from = NULL, *to = NULL, *prefix = NULL;
    bool raw = false;
    cairn_behavior b = CAIRN_SKIP_IF_EXISTS;
    int r;
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        switch (args.opt) {
        case -1:
            return cli_usage(cmd, "unexpected argument '%s'", args.val);
        case O_FROM: /* a password leaves argv (ps) at once */
            if (!(from = cli_args_url(&args)))
                return CLI_ERROR;
            break;
        case O_TO:
            if (!(to = cli_args_url(&args)))
                return CLI_ERROR;
            break;
        case O_PREFIX:
        case O_RAW_PREFIX:
            if (prefix)
                return cli_usage(cmd, "--prefix or --raw-prefix given twice");
            prefix = args.val;
            raw = args.opt == O_RAW_PREFIX;
            break;
        case O_IF_EXISTS:
            if (cli_parse_behavior(args.val, &b))
                return cli_usage(cmd, IF_EXISTS_USAGE, args.val);
            break;
        }
    }
    if (r < 0)
        return args.exit;
    if (!from || !to)
        return cli_usage(cmd, "missing %s (usage: cairn %s)", from ? "--to" : "--from",
                         cmd->synopsis);
    if (!strcmp(from, to))
        return cli_usage(cmd, "--from and --to name the same store");
    cli_prefix p;
    cli_prefix_arg(&p, prefix, raw);
    return copy_run(cmd, from, to, &p, b);
}

static int cmd_export(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    static const cli_opt specs[] = {{"--raw-prefix", NULL, true}, {NULL, NULL, false}};
    const char *pos = NULL, *raw = NULL;
    int r;
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        const char **slot = args.opt == 0 ? &raw : &pos;
        if (*slot)
            return cli_usage(cmd, "unexpected argument '%s'", args.val);
        *slot = args.val;
    }
    if (r < 0)
        return args.exit;
    if (pos && raw)
        return cli_usage(cmd, "give either PREFIX or --raw-prefix P, not both");
    cli_prefix p;
    cli_prefix_arg(&p, raw ? raw : pos, raw != NULL);
    return export_run(cmd, cli_store_url(ctx), &p);
}

static int cmd_import(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    static const cli_opt specs[] = {{"--if-exists", "-e", true}, {NULL, NULL, false}};
    cairn_behavior b = CAIRN_SKIP_IF_EXISTS;
    int r;
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        if (args.opt < 0)
            return cli_usage(cmd, "unexpected argument '%s' (the dump comes on stdin)",
                             args.val);
        if (cli_parse_behavior(args.val, &b))
            return cli_usage(cmd, IF_EXISTS_USAGE, args.val);
    }
    if (r < 0)
        return args.exit;
    return import_run(cmd, cli_store_url(ctx), b);
}

const cli_command cli_migrate_commands[] = {
    {"copy", cmd_copy,
     "copy --from URL --to URL [--prefix P | --raw-prefix P] [--if-exists MODE]",
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
     "  -p, --prefix P        copy only P and the keys under P/ ('P*': the keys\n"
     "                        that start with P, as --raw-prefix P)\n"
     "      --raw-prefix P    copy only the keys that start with the bytes of P\n"
     "  -e, --if-exists MODE  when a key already holds a record at --to: skip\n"
     "                        (default: keep it, even if its value differs),\n"
     "                        different (keep an equal value, stop with exit 4\n"
     "                        at a different one), overwrite, fail (exit 4)\n",
     NULL, CLI_STORE_WRITE},
    {"export", cmd_export, "export [PREFIX | --raw-prefix P] > dump.jsonl",
     "write records as a JSON Lines dump on stdout",
     "Write the live records under PREFIX (every record without one) on stdout,\n"
     "one JSON object per line with the key, the metadata and the value (the\n"
     "dump format of docs/cli.md). Streams; a progress line on a terminal.\n"
     "A PREFIX ending in '*' is a raw prefix, as for ls.\n",
     "      --raw-prefix P    export the keys that start with the bytes of P\n",
     NULL, CLI_STORE_READ},
    {"import", cmd_import, "import [--if-exists MODE] < dump.jsonl",
     "read a JSON Lines dump from stdin into the store",
     "Store the records of a dump (from 'cairn export') read on stdin, with their\n"
     "metadata. Records already expired are not imported. Resumable: keys\n"
     "already in the store are skipped. Stops at the first bad line, naming its\n"
     "number (exit 5): every line before it is imported, nothing from it on.\n",
     "  -e, --if-exists MODE  as for copy: skip (default), different, overwrite,\n"
     "                        fail\n", NULL, CLI_STORE_WRITE},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLI_STORE_READ},
};
