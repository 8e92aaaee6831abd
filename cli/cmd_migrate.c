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

/* A damaged record left out (--skip-corrupt): one line naming it (the key
 * as a JSON string, so any byte of it shows) and what is wrong (msg, the
 * library's "get KEY: corrupt record: ..." without its "get KEY: "), over
 * p's progress line, which the next redraw brings back. */
static void corrupt_skipped(progress *p, const char *what, const char *key, const char *msg)
{
    const char *why = msg && *msg ? msg : cairn_strerror(CAIRN_ECORRUPT);
    const char *at = strstr(why, key);
    size_t kl = strlen(key);
    if (at && !strncmp(at + kl, ": ", 2))
        why = at + kl + 2;
    if (p->on)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "cairn: %s: skipped ", what);
    cli_json_str(stderr, key, kl);
    fprintf(stderr, ": %s\n", why);
}

/* After a run stopped by a damaged record (reported already): the way on. */
static void corrupt_hint(const char *what, int rc)
{
    if (rc == CAIRN_ECORRUPT)
        fprintf(stderr, "cairn: %s: --skip-corrupt leaves damaged records out and goes on\n",
                what);
}

/* ------------------------------------------------------------------ */
/* Models in dumps (export, import, model export|import)               */
/* ------------------------------------------------------------------ */

int cli_dump_model(cairn_store *s, FILE *f, const char *ref)
{
    char full[CAIRN_MODEL_MAX + 1];
    cairn_value *v = NULL;
    int rc = cairn_model_resolve(s, ref, full);
    if (rc == CAIRN_OK)
        rc = cairn_model_schema(s, full, &v);
    if (rc == CAIRN_OK) {
        size_t len;
        const void *schema = cairn_value_data(v, &len);
        dump_write_model(f, full, schema, len);
    }
    cairn_value_free(v);
    return rc;
}

int cli_load_model(cairn_store *s, const char *what, uint64_t line, const char *ref,
                   const void *schema, size_t len, cli_model_counts *n)
{
    int rc = cairn_model_register(s, ref, schema, len, CAIRN_MODEL_AT_VERSION, NULL);
    if (rc == CAIRN_OK || rc == CAIRN_SKIPPED) {
        if (rc == CAIRN_OK)
            n->added++;
        else
            n->same++;
        return CLI_OK;
    }
    const char *msg = cairn_errmsg();
    fprintf(stderr, "cairn: %s: line %llu: %s\n", what, (unsigned long long)line,
            msg && *msg ? msg : cairn_strerror(rc));
    return cli_exit_status(rc);
}

/* The models export has written a line for (a handful). */
typedef struct {
    char (*refs)[CAIRN_MODEL_MAX + 1];
    size_t n, cap;
} model_set;

/* Write the line of model ref (of record key; NULL: asked for) before the
 * first record that needs it, once. A model the store no longer has is a
 * warning: the record is still exported. Returns an exit status. */
static int export_model(cairn_store *s, model_set *set, const char *ref, const char *key)
{
    for (size_t i = 0; i < set->n; i++)
        if (!strcmp(set->refs[i], ref))
            return CLI_OK;
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 8;
        void *p = realloc(set->refs, cap * sizeof *set->refs);
        if (!p) {
            fprintf(stderr, "cairn: export: out of memory\n");
            return CLI_ERROR;
        }
        set->refs = p;
        set->cap = cap;
    }
    snprintf(set->refs[set->n++], CAIRN_MODEL_MAX + 1, "%s", ref);
    int rc = cli_dump_model(s, stdout, ref);
    if (rc == CAIRN_ENOTFOUND && key) {
        fprintf(stderr, "cairn: export: warning: model %s of %s is not registered: no line "
                        "for it (import refuses its records where it is not registered)\n",
                ref, key);
        return CLI_OK;
    }
    return rc ? report(rc, "export") : CLI_OK;
}

static int export_model_cb(void *ctx, const char *ns, const char *name, unsigned version,
                           const char *ref)
{
    (void)ns;
    (void)name;
    (void)version;
    void **c = ctx; /* store, set */
    return export_model(c[0], c[1], ref, NULL) ? 1 : 0; /* 1: reported */
}

/* The model lines at the head of a dump: every model with all, then those
 * the records under prefix reference (a pass over their headers). */
static int export_models(cairn_store *s, model_set *set, const cli_prefix *prefix, bool all)
{
    void *c[2] = {s, set};
    int rc = all ? cairn_model_list(s, export_model_cb, c) : CAIRN_OK;
    if (rc == 1)
        return CLI_ERROR; /* reported */
    if (rc)
        return report(rc, "export");
    cairn_iter *it = NULL;
    int ex = CLI_OK;
    rc = cli_list(s, prefix, &it);
    while (rc == CAIRN_OK && !ex) {
        const char *key;
        cairn_meta m;
        if ((rc = cairn_iter_next(it, &key, NULL)))
            break;
        /* A damaged header: the record pass reports it (or skips it). */
        if ((rc = cairn_iter_meta(it, &m)) == CAIRN_ECORRUPT) {
            rc = CAIRN_OK;
            continue;
        }
        if (rc == CAIRN_OK && m.model && *m.model)
            ex = export_model(s, set, m.model, key);
    }
    cairn_iter_free(it);
    if (!ex && rc != CAIRN_DONE)
        ex = report(rc, "export");
    return ex;
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
    progress_show(&c->p, st->copied, st->skipped + st->expired + st->corrupt, 0, false);
    return 0;
}

static int copy_corrupt(void *ctx, const char *key, int status, const char *msg)
{
    copy_ctx *c = ctx;
    (void)status;
    corrupt_skipped(&c->p, "copy", key, msg);
    return 0;
}

/* --from is only read: it must exist. --to is made when cmd says so. */
static int copy_run(const cli_command *cmd, const char *from_url, const char *to_url,
                    const cli_prefix *prefix, cairn_behavior behavior, bool skip_corrupt,
                    bool all_models, bool json)
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
                         .raw_prefix = prefix->raw, .progress = copy_progress,
                         .progress_ctx = &c, .skip_corrupt = skip_corrupt,
                         .on_corrupt = copy_corrupt, .on_corrupt_ctx = &c,
                         .all_models = all_models};
    cairn_copy_stats st = {0};
    int rc = cairn_copy(from, to, &o, &st);
    progress_show(&c.p, st.copied, st.skipped + st.expired + st.corrupt, 0, true);
    /* With --skip-corrupt, CAIRN_ECORRUPT is a completed copy that left
     * records out (each was named, the summary counts them) when every
     * record seen is accounted for; else it stopped at a damaged record
     * elsewhere (one at --to, a model at --from), reported below. */
    bool completed = skip_corrupt && rc == CAIRN_ECORRUPT && st.corrupt &&
                     st.seen == st.copied + st.skipped + st.expired + st.corrupt;
    if (completed)
        ex = cli_exit_status(rc);
    else if (rc) {
        ex = report(rc, "copy");
        /* --skip-corrupt is for damaged records at --from (read), not at --to */
        if (!skip_corrupt && !strncmp(cairn_errmsg(), "get ", 4))
            corrupt_hint("copy", rc);
    }
    bool stopped = rc && !completed;
    if (json) {
        cli_jobj j;
        cli_jobj_begin(&j, stdout);
        cli_jobj_u64(&j, "copied", st.copied);
        cli_jobj_u64(&j, "skipped", st.skipped);
        cli_jobj_u64(&j, "expired", st.expired);
        cli_jobj_u64(&j, "corrupt", st.corrupt);
        cli_jobj_bool(&j, "stopped", stopped);
        cli_jobj_end(&j);
    } else {
        fprintf(stderr, "cairn: copy: %llu copied, %llu skipped (already there), %llu expired",
                (unsigned long long)st.copied, (unsigned long long)st.skipped,
                (unsigned long long)st.expired);
        if (st.corrupt)
            fprintf(stderr, ", %llu corrupt (left out)", (unsigned long long)st.corrupt);
        fprintf(stderr, "%s\n", stopped ? " (stopped by the error above)" : "");
    }
    cairn_store_close(to);
    cairn_store_close(from);
    return ex;
}

/* ------------------------------------------------------------------ */
/* export                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    cairn_store *s;
    model_set *set; /* the model lines written */
    uint64_t done, corrupt;
    int ex; /* an exit status export_one reported */
    progress p;
} exporter;

/* One record's line, after its model's line when none was written for it
 * yet (a record written since the first pass). */
static int export_one(void *ctx, const cairn_value *v)
{
    exporter *e = ctx;
    size_t len;
    const void *data = cairn_value_data(v, &len);
    const cairn_meta *m = cairn_value_meta(v);
    if (*m->model && (e->ex = export_model(e->s, e->set, m->model, cairn_value_key(v))))
        return -1; /* reported */
    dump_write(stdout, cairn_value_key(v), m, data, len);
    progress_show(&e->p, ++e->done, e->corrupt, 0, false);
    return 0;
}

/* A damaged record with --skip-corrupt: named, counted, left out. */
static int export_corrupt(void *ctx, const char *key, const char *msg)
{
    exporter *e = ctx;
    corrupt_skipped(&e->p, "export", key, msg);
    e->corrupt++;
    return 0;
}

static int export_run(const cli_command *cmd, const char *url, const cli_prefix *prefix,
                      bool skip_corrupt, bool all_models, bool json)
{
    exporter e = {.done = 0};
    int ex = open_url(url, cli_creates_store(cmd), &e.s, "export");
    if (ex)
        return ex;
    model_set set = {0};
    e.set = &set;
    if ((ex = export_models(e.s, &set, prefix, all_models))) {
        free(set.refs);
        cairn_store_close(e.s);
        return ex;
    }
    progress_init(&e.p, "exported");
    uint64_t total;
    if (e.p.on && cli_count(e.s, prefix, &total) == CAIRN_OK)
        e.p.total = total;
    cairn_iter *it = NULL;
    int rc = cli_list(e.s, prefix, &it);
    if (rc == CAIRN_OK)
        rc = cli_each_value(e.s, it, -1, export_one, skip_corrupt ? export_corrupt : NULL, &e);
    progress_show(&e.p, e.done, e.corrupt, 0, true);
    ex = e.ex;
    bool stopped = ex || rc;
    if (!ex && rc) {
        ex = report(rc, "export");
        corrupt_hint("export", rc);
    } else if (e.corrupt && !ex) {
        ex = cli_exit_status(CAIRN_ECORRUPT);
    }
    /* A summary when the dump is not whole (a complete one stays quiet);
     * with --json always, as one JSON object: stdout holds the dump. */
    if (json) {
        cli_jobj j;
        cli_jobj_begin(&j, stderr);
        cli_jobj_u64(&j, "exported", e.done);
        cli_jobj_u64(&j, "corrupt", e.corrupt);
        cli_jobj_bool(&j, "stopped", stopped);
        cli_jobj_end(&j);
    } else if (ex) {
        fprintf(stderr, "cairn: export: %llu exported", (unsigned long long)e.done);
        if (e.corrupt)
            fprintf(stderr, ", %llu corrupt (left out)", (unsigned long long)e.corrupt);
        fprintf(stderr, "%s\n", stopped ? " (stopped by the error above)" : "");
    }
    cairn_iter_free(it);
    free(set.refs);
    cairn_store_close(e.s);
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
    cli_model_counts models;
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
        /* Every error of an invalid record, as put --model shows them. */
        const cairn_verrors *errs = rc == CAIRN_EVALIDATION ? cairn_validation_errors() : NULL;
        for (size_t i = 0; errs && i < cairn_verrors_count(errs); i++) {
            const char *path = cairn_verrors_path(errs, i);
            fprintf(stderr, "%s: %s\n", *path ? path : "/", cairn_verrors_rule(errs, i));
        }
        /* A checksum that does not match is bad input, not a bad store. */
        ex = rc == CAIRN_ECORRUPT ? CLI_INVALID : cli_exit_status(rc);
        n = bad; /* retry the lines before it */
    }
    imp_clear(im);
    return ex;
}

static int import_run(const cli_command *cmd, const char *url, cairn_behavior behavior,
                      bool json)
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
        if (pr == DUMP_BLANK)
            continue;
        if (pr == DUMP_MODEL) {
            /* Registered in line order: the records read before it first. */
            if ((ex = imp_flush(im)) == CLI_OK)
                ex = cli_load_model(im->s, "import", lineno, r->model, r->value, r->len,
                                    &im->models);
            dump_rec_free(r);
            continue;
        }
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
    if (json) {
        cli_jobj j;
        cli_jobj_begin(&j, stdout);
        cli_jobj_u64(&j, "imported", im->imported);
        cli_jobj_u64(&j, "skipped", im->skipped);
        cli_jobj_u64(&j, "expired", im->expired);
        cli_jobj_u64(&j, "models_registered", im->models.added);
        cli_jobj_u64(&j, "models_there", im->models.same);
        cli_jobj_bool(&j, "stopped", ex != CLI_OK);
        cli_jobj_end(&j);
    } else {
        fprintf(stderr, "cairn: import: %llu imported, %llu skipped (already there), "
                        "%llu expired%s\n",
                (unsigned long long)im->imported, (unsigned long long)im->skipped,
                (unsigned long long)im->expired, ex ? " (stopped by the error above)" : "");
        if (im->models.added || im->models.same)
            fprintf(stderr, "cairn: import: models: %llu registered, %llu already there\n",
                    (unsigned long long)im->models.added, (unsigned long long)im->models.same);
    }
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
    enum { O_FROM, O_TO, O_PREFIX, O_IF_EXISTS, O_RAW_PREFIX, O_SKIP_CORRUPT, O_MODELS, O_JSON };
    static const cli_opt specs[] = {{"--from", NULL, true},
                                    {"--to", NULL, true},
                                    {"--prefix", "-p", true},
                                    {"--if-exists", "-e", true},
                                    {"--raw-prefix", NULL, true},
                                    {"--skip-corrupt", NULL, false},
                                    {"--models", NULL, false},
                                    CLI_OPT_JSON,
                                    {NULL, NULL, false}};
    const char *from = NULL, *to = NULL, *prefix = NULL;
    bool raw = false, skip_corrupt = false, all_models = false, json = false;
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
        case O_SKIP_CORRUPT:
            skip_corrupt = true;
            break;
        case O_MODELS:
            all_models = true;
            break;
        case O_JSON:
            json = true;
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
    return copy_run(cmd, from, to, &p, b, skip_corrupt, all_models, json);
}

static int cmd_export(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    enum { O_RAW_PREFIX, O_SKIP_CORRUPT, O_MODELS, O_JSON };
    static const cli_opt specs[] = {{"--raw-prefix", NULL, true},
                                    {"--skip-corrupt", NULL, false},
                                    {"--models", NULL, false},
                                    CLI_OPT_JSON,
                                    {NULL, NULL, false}};
    const char *pos = NULL, *raw = NULL;
    bool skip_corrupt = false, all_models = false, json = false;
    int r;
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        if (args.opt == O_SKIP_CORRUPT) {
            skip_corrupt = true;
            continue;
        }
        if (args.opt == O_MODELS) {
            all_models = true;
            continue;
        }
        if (args.opt == O_JSON) {
            json = true;
            continue;
        }
        const char **slot = args.opt == O_RAW_PREFIX ? &raw : &pos;
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
    return export_run(cmd, cli_store_url(ctx), &p, skip_corrupt, all_models, json);
}

static int cmd_import(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
    static const cli_opt specs[] = {{"--if-exists", "-e", true}, CLI_OPT_JSON,
                                    {NULL, NULL, false}};
    cairn_behavior b = CAIRN_SKIP_IF_EXISTS;
    bool json = false;
    int r;
    cli_args args;
    cli_args_init(&args, ctx, cmd, argc, argv, specs, 0);
    while ((r = cli_args_next(&args)) == 1) {
        if (args.opt < 0)
            return cli_usage(cmd, "unexpected argument '%s' (the dump comes on stdin)",
                             args.val);
        if (args.opt == 1)
            json = true;
        else if (cli_parse_behavior(args.val, &b))
            return cli_usage(cmd, IF_EXISTS_USAGE, args.val);
    }
    if (r < 0)
        return args.exit;
    return import_run(cmd, cli_store_url(ctx), b, json);
}

const cli_command cli_migrate_commands[] = {
    {"copy", cmd_copy,
     "copy --from URL --to URL [--prefix P | --raw-prefix P] [--if-exists MODE] "
     "[--skip-corrupt] [--models] [--json]",
     "copy records between stores, with their metadata and models",
     "Copy the live records of the store --from into the store --to (created if\n"
     "needed), keeping each record's format, model, version, created and updated\n"
     "times and expiry instant (so its remaining TTL). First the model versions\n"
     "the records reference are registered at --to (a version --to has with\n"
     "another schema: exit 4, nothing copied). Streams in batches of 256\n"
     "records, each one transaction. Records already expired are not copied.\n"
     "Resumable: keys already at --to are skipped, so rerunning an interrupted\n"
     "copy completes it. A damaged record at --from stops the copy, naming its\n"
     "key (exit 1), after every record before it. A progress line is shown when\n"
     "stderr is a terminal; a summary line (copied, skipped, expired, corrupt)\n"
     "always ends on stderr (on stdout as one JSON object with --json).\n",
     "      --from URL        the source store (must exist)\n"
     "      --to URL          the destination store\n"
     "  -p, --prefix P        copy only P and the keys under P/ ('P*': the keys\n"
     "                        that start with P, as --raw-prefix P)\n"
     "      --raw-prefix P    copy only the keys that start with the bytes of P\n"
     "  -e, --if-exists MODE  when a key already holds a record at --to: skip\n"
     "                        (default, unlike put's fail: keep it, even if its\n"
     "                        value differs),\n"
     "                        different (keep an equal value, stop with exit 4\n"
     "                        at a different one), overwrite, fail (exit 4)\n"
     "      --skip-corrupt    leave damaged records out, naming each on stderr, and\n"
     "                        go on; exit 1 at the end when any was left out\n"
     "      --models          carry every registered model, not only those the\n"
     "                        copied records reference\n"
     "  -j, --json            the summary on stdout as {\"copied\":N,\"skipped\":N,\n"
     "                        \"expired\":N,\"corrupt\":N,\"stopped\":false}\n",
     NULL, CLI_STORE_WRITE},
    {"export", cmd_export,
     "export [PREFIX | --raw-prefix P] [--skip-corrupt] [--models] [--json] > dump.jsonl",
     "write records as a JSON Lines dump on stdout",
     "Write the live records under PREFIX (every record without one) on stdout,\n"
     "one JSON object per line with the key, the metadata and the value (the\n"
     "dump format of docs/cli.md), after one line per model version they\n"
     "reference (its schema), so that import registers them first. Streams; a\n"
     "progress line on a terminal. A damaged record stops the export, naming\n"
     "its key (exit 1), after every line before it. A PREFIX ending in '*' is\n"
     "a raw prefix, as for ls.\n",
     "      --raw-prefix P    export the keys that start with the bytes of P\n"
     "      --skip-corrupt    leave damaged records out, naming each on stderr, and\n"
     "                        go on; exit 1 at the end when any was left out\n"
     "      --models          write every registered model, not only those the\n"
     "                        records reference\n"
     "  -j, --json            end stderr with the summary, always, as one JSON\n"
     "                        object: {\"exported\":N,\"corrupt\":N,\"stopped\":false}\n",
     NULL, CLI_STORE_READ},
    {"import", cmd_import, "import [--if-exists MODE] [--json] < dump.jsonl",
     "read a JSON Lines dump from stdin into the store",
     "Store the records of a dump (from 'cairn export') read on stdin, with their\n"
     "metadata, after registering its model lines (a version the store has with\n"
     "another schema: exit 4). A record under a model is validated against it\n"
     "(a model the store does not have, or an invalid record: exit 5); a\n"
     "checksum given is checked. Records already expired are not imported. Resumable: keys\n"
     "already in the store are skipped. Stops at the first bad line, naming its\n"
     "number (exit 5): every line before it is imported, nothing from it on.\n",
     "  -e, --if-exists MODE  as for copy: skip (default, unlike put's fail),\n"
     "                        different, overwrite, fail\n"
     "  -j, --json            the summary on stdout, not stderr, as {\"imported\":N,\n"
     "                        \"skipped\":N,\"expired\":N,\"models_registered\":N,\n"
     "                        \"models_there\":N,\"stopped\":false}\n",
     NULL, CLI_STORE_WRITE},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, CLI_STORE_READ},
};
