/*
 * main.c — the conformance suite's entry point and fixture:
 *   cairn_conformance                 every case on every built backend
 *   cairn_conformance BACKEND [CASE]  the named cases (all when none) on one
 *   cairn_conformance --list          case names
 * Each case runs in its own process on a fresh store in a fresh temp dir.
 * Cases flagged TR_AGNOSTIC run on TR_AGNOSTIC_BACKENDS only (mem, sqlite)
 * unless CAIRN_TEST_AGNOSTIC_ALL=1.
 */
#include "conf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

static const cf_backend backends[] = {
    {"mem", &cairn__backend_mem, false},
#ifdef CAIRN_HAVE_FILE
    {"file", &cairn__backend_file, true},
#endif
#ifdef CAIRN_HAVE_SQLITE
    {"sqlite", &cairn__backend_sqlite, true},
#endif
#ifdef CAIRN_HAVE_LMDB
    {"lmdb", &cairn__backend_lmdb, true},
#endif
#ifdef CAIRN_HAVE_POSTGRES
    {"postgres", &cairn__backend_postgres, true},
#endif
#ifdef CAIRN_HAVE_REDIS
    {"redis", &cairn__backend_redis, true},
#endif
    /* The memory tier in front of a backend (src/cache/tiered.c): the name
     * is the URL scheme, "tiered:mem:LOC". */
    {"tiered:mem", &cairn__backend_tiered, false},
#ifdef CAIRN_HAVE_LMDB
    {"tiered:lmdb", &cairn__backend_tiered, true},
#endif
};
#define N_BACKENDS (sizeof backends / sizeof *backends)

const cf_backend *cf_be;

const char *cf_base(void)
{
    return strncmp(cf_be->name, "tiered:", 7) == 0 ? cf_be->name + 7 : cf_be->name;
}

const char *cf_scheme(void)
{
    return strncmp(cf_be->name, "tiered:", 7) == 0 ? "tiered" : cf_be->name;
}

/* ---- the fixture ---- */

/* Server backends: the server scripts/servers.sh started, named by
 * CAIRN_TEST_<NAME>_URL. Without it the case fails (never skips): a server
 * backend that is built in is tested. */
const char *cf_server_url(void)
{
    char var[64];
    snprintf(var, sizeof var, "CAIRN_TEST_%s_URL", !strcmp(cf_be->name, "postgres")
                                                       ? "POSTGRES"
                                                       : "REDIS");
    const char *u = getenv(var);
    if (!u || !*u) {
        print_error("%s is not set: run the tests through `make test` (scripts/test.sh "
                    "starts the server) or point it at a server\n",
                    var);
        return NULL;
    }
    return u;
}

/* postgres: one fresh table per case, named after the case's temp dir. */
static void pg_table(const char *dir, char *buf, size_t cap)
{
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    size_t o = (size_t)snprintf(buf, cap, "t_");
    for (; *base && o + 1 < cap; base++)
        buf[o++] = (char)((*base >= 'a' && *base <= 'z') || (*base >= '0' && *base <= '9')
                              ? *base
                          : (*base >= 'A' && *base <= 'Z') ? *base - 'A' + 'a'
                                                           : '_');
    buf[o] = '\0';
}

/* The location (URL without scheme) of the store under test in dir. */
static int location(const char *dir, char *buf, size_t cap)
{
    if (!strcmp(cf_be->name, "redis")) {
        /* The server scripts/servers.sh started; each case gets its own
         * prefix (from its temp dir's unique name), removed afterwards. */
        const char *url = getenv("CAIRN_TEST_REDIS_URL");
        if (!url || strncmp(url, "redis://", 8) != 0) {
            print_error("CAIRN_TEST_REDIS_URL is not set (or not redis://...): start a "
                        "server with scripts/servers.sh (make test does)\n");
            return -1;
        }
        const char *base = strrchr(dir, '/');
        snprintf(buf, cap, "%s%sprefix=cf:%s:", url + 6, strchr(url, '?') ? "&" : "?",
                 base ? base + 1 : dir);
        return 0;
    }
    if (!strcmp(cf_be->name, "postgres")) {
        const char *u = cf_server_url();
        if (!u)
            return -1;
        char t[128];
        pg_table(dir, t, sizeof t);
        snprintf(buf, cap, "%s%stable=%s", strchr(u, ':') + 1, strchr(u, '?') ? "&" : "?",
                 t);
    } else if (!strcmp(cf_be->name, "mem"))
        snprintf(buf, cap, "%s", "");
    else if (!strcmp(cf_be->name, "sqlite"))
        snprintf(buf, cap, "%s/db.sqlite", dir);
    else /* file, lmdb: a directory the backend creates */
        snprintf(buf, cap, "%s/store", dir);
    return 0;
}

static int fx_setup(void **state)
{
    cf_fx *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (tr_mkdtemp(cf_be->name, fx->dir, sizeof fx->dir)) {
        perror("mkdtemp");
        free(fx);
        return -1;
    }
    char loc[PATH_MAX + 16];
    if (location(fx->dir, loc, sizeof loc)) {
        tr_rm_rf(fx->dir);
        free(fx);
        return -1;
    }
    snprintf(fx->url, sizeof fx->url, "%s:%s", cf_be->name, loc);
    int rc = cairn_store_open(fx->url, NULL, &fx->s);
    if (rc) {
        char shown[sizeof fx->url];
        print_error("open %s: %s: %s\n", cairn_url_redact(fx->url, shown, sizeof shown),
                    cairn_strerror(rc), cairn_errmsg());
        tr_rm_rf(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    cf_fx *fx = *state;
    if (!fx)
        return 0;
    cairn_store_close(fx->s);
    if (!getenv("CAIRN_TEST_KEEP")) {
        tr_rm_rf(fx->dir);
#ifdef CAIRN_HAVE_REDIS
        if (!strcmp(cf_be->name, "redis"))
            cf_redis_drop(fx->url);
#endif
    }
    free(fx);
    return 0;
}

void cf_reopen(cf_fx *fx, const cairn_options *opt)
{
    cairn_store_close(fx->s);
    fx->s = NULL;
    int rc = cairn_store_open(fx->url, opt, &fx->s);
    if (rc)
        fail_msg("reopen %s: %s: %s", fx->url, cairn_strerror(rc), cairn_errmsg());
}

void cf_fork_workers(cf_fx *fx, int n, void (*fn)(cairn_store *s, int open_rc, int id,
                                                  void *arg),
                     void *arg, const char *how)
{
    cairn_store_close(fx->s);
    fx->s = NULL;
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t *pid = calloc((size_t)n, sizeof *pid);
    assert_non_null(pid);
    for (int i = 0; i < n; i++) {
        fflush(stdout);
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            tr_child_defaults();
            close(gate[1]);
            cairn_store *s = NULL;
            int rc = cairn_store_open(fx->url, NULL, &s);
            char c;
            /* wait until every worker is forked, then go together */
            while (read(gate[0], &c, 1) < 0)
                ;
            fn(rc ? NULL : s, rc, i, arg);
            cairn_store_close(s);
            _exit(0);
        }
    }
    close(gate[0]);
    close(gate[1]); /* the start signal: EOF for every worker */
    for (int i = 0; i < n; i++) {
        int st;
        assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail_msg("%s: worker %d died (status 0x%x)", how, i, st);
    }
    free(pid);
    cf_reopen(fx, NULL);
}

static atomic_int gate_opened;

static int gate_fn(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    (void)cur;
    (void)arg;
    while (!atomic_load(&gate_opened))
        tr_sleep_ms(1);
    *val = "1";
    *len = 1;
    return CAIRN_OK;
}

cairn_future *cf_gate_hold(cairn_executor *ex, cairn_store *s)
{
    cairn_future *g = NULL;
    atomic_store(&gate_opened, 0);
    cairn_put_opts ow = {0};
    ow.behavior = CAIRN_OVERWRITE;
    assert_ok(cairn_async_update_v2(ex, s, "gate", gate_fn, NULL, &ow, NULL, NULL, &g));
    return g;
}

void cf_gate_open(cairn_future *g)
{
    atomic_store(&gate_opened, 1);
    assert_ok(cairn_future_wait(g, 60000));
    if (cairn_future_status(g) != CAIRN_OK)
        fail_msg("the gate's update: %s", cairn_future_errmsg(g));
    cairn_future_release(g);
}

void cf_thread_note(cf_thread *t, const char *what, int rc)
{
    if (rc && t->errors++ == 0)
        snprintf(t->first, sizeof t->first, "%s: %s: %s", what, cairn_strerror(rc),
                 cairn_errmsg());
}

void cf_threads_run(cairn_store *s, int n, void *(*const *fns)(void *), int nfns)
{
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    cf_thread *t = calloc((size_t)n, sizeof *t);
    assert_true(tid && t);
    for (int i = 0; i < n; i++) {
        t[i] = (cf_thread){s, i, 0, ""};
        assert_int_equal(pthread_create(&tid[i], NULL, fns[i < nfns ? i : nfns - 1], &t[i]),
                         0);
    }
    for (int i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    for (int i = 0; i < n; i++)
        if (t[i].errors)
            fail_msg("thread %d: %u errors; first: %s", i, t[i].errors, t[i].first);
    free(tid);
    free(t);
}

/* ---- the tap backend: a pass-through that exposes its handle ---- */

static void *tap_self;

static int tap_open(const char *loc, const struct cairn_options *opt, void **self)
{
    int rc = cf_be->methods->open(loc, opt, self);
    if (rc == CAIRN_OK)
        tap_self = *self;
    return rc;
}

static void tap_close(void *self)
{
    if (self == tap_self)
        tap_self = NULL;
    cf_be->methods->close(self);
}

static int tap_get(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                   void *ctx)
{
    return cf_be->methods->get(self, key, klen, fn, ctx);
}

static int tap_update(void *self, const cairn_backend_op *ops, size_t n)
{
    return cf_be->methods->update(self, ops, n);
}

static int tap_scan(void *self, const char *lo, size_t lolen, int lo_excl, const char *hi,
                    size_t hilen, int want_value, cairn_backend_scan_fn fn, void *ctx)
{
    return cf_be->methods->scan(self, lo, lolen, lo_excl, hi, hilen, want_value, fn, ctx);
}

static const cairn_backend_methods tap_methods = {
    .version = CAIRN_BACKEND_VERSION,
    .name = "tap",
    .open = tap_open,
    .close = tap_close,
    .get = tap_get,
    .update = tap_update,
    .scan = tap_scan,
};

void cf_reopen_tap(cf_fx *fx)
{
    cairn_store_close(fx->s);
    fx->s = NULL;
    assert_ok(cairn_backend_register(&tap_methods));
    char url[PATH_MAX + 32];
    const char *colon = strchr(fx->url, ':');
    snprintf(url, sizeof url, "tap%s", colon);
    assert_ok(cairn_store_open(url, NULL, &fx->s));
    assert_non_null(tap_self);
    assert_string_equal(cairn_store_backend(fx->s), "tap");
}

typedef struct {
    const void *rec;
    size_t len;
} raw_ctx;

static int raw_cb(void *ctx, const void *rec, size_t rec_len, const void **out,
                  size_t *out_len)
{
    (void)rec;
    (void)rec_len;
    raw_ctx *c = ctx;
    *out = c->rec;
    *out_len = c->len;
    return CAIRN_BACKEND_WRITE;
}

int cf_raw_update(const char *key, const void *rec, size_t len)
{
    assert_non_null(tap_self);
    raw_ctx c = {rec, len};
    cairn_backend_op op = {key, strlen(key), raw_cb, &c};
    return cf_be->methods->update(tap_self, &op, 1);
}

void cf_raw_put(const char *key, const void *rec, size_t len)
{
    assert_ok(cf_raw_update(key, rec, len));
}

typedef struct {
    char *rec;
    size_t len;
} copy_ctx;

static int copy_cb(void *ctx, const void *rec, size_t len)
{
    copy_ctx *c = ctx;
    c->rec = malloc(len ? len : 1);
    if (!c->rec)
        return CAIRN_ENOMEM;
    memcpy(c->rec, rec, len);
    c->len = len;
    return CAIRN_OK;
}

char *cf_raw_get(const char *key, size_t *n)
{
    assert_non_null(tap_self);
    copy_ctx c = {NULL, 0};
    assert_ok(cf_be->methods->get(tap_self, key, strlen(key), copy_cb, &c));
    assert_non_null(c.rec);
    *n = c.len;
    return c.rec;
}

char *cf_make_record(const void *val, size_t len, cairn_format f, size_t *n)
{
    int64_t now = cairn_now_ms();
    cairn_meta m = {.version = 1, .format = f, .created_ms = now, .updated_ms = now,
                    .size = len, .checksum = cairn__hash(val, len)};
    char *buf = malloc(CAIRN__HEAD_MAX + len);
    assert_non_null(buf);
    size_t h = cairn__rec_head(buf, &m, 0, NULL); /* bound to no key */
    memcpy(buf + h, val, len);
    *n = h + len;
    return buf;
}

/* ---- helpers ---- */

int cf_put(cairn_store *s, const char *key, const char *json, cairn_behavior b)
{
    cairn_put_opts o = {.behavior = b};
    return cairn_put(s, key, json, strlen(json), &o);
}

void cf_expect_value(cairn_store *s, const char *key, const void *want, size_t len)
{
    cairn_value *v = NULL;
    int rc = cairn_get(s, key, &v);
    if (rc)
        fail_msg("get %s: %s: %s", key, cairn_strerror(rc), cairn_errmsg());
    size_t got;
    const char *d = cairn_value_data(v, &got);
    if (got != len || memcmp(d, want, len) != 0) {
        if (len < 200 && got < 200)
            fail_msg("get %s: value \"%.*s\" (%zu bytes), expected \"%.*s\" (%zu bytes)",
                     key, (int)got, d, got, (int)len, (const char *)want, len);
        fail_msg("get %s: value differs (%zu bytes, expected %zu)", key, got, len);
    }
    assert_int_equal(d[got], '\0'); /* documented NUL after the value */
    assert_int_equal(cairn_value_meta(v)->size, len);
    cairn_value_free(v);
}

cairn_meta cf_meta(cairn_store *s, const char *key)
{
    cairn_value *v = NULL;
    int rc = cairn_get(s, key, &v);
    if (rc)
        fail_msg("get %s: %s: %s", key, cairn_strerror(rc), cairn_errmsg());
    cairn_meta m = *cairn_value_meta(v);
    m.model = ""; /* borrowed strings die with v */
    m.compression = "none";
    m.user_meta = NULL;
    cairn_value_free(v);
    return m;
}

int cf_keycmp(const char *a, const char *b)
{
    return strcmp(a, b); /* strcmp compares as unsigned char: bytewise */
}

char *cf_drain(cairn_iter *it, size_t *count)
{
    size_t cap = 1024, len = 0, n = 0;
    char *out = malloc(cap), *prev = NULL;
    assert_non_null(out);
    out[0] = '\0';
    const char *k;
    size_t kl;
    int rc;
    while ((rc = cairn_iter_next(it, &k, &kl)) == CAIRN_OK) {
        assert_int_equal(strlen(k), kl);
        if (prev && cf_keycmp(prev, k) >= 0)
            fail_msg("iterator yielded \"%s\" after \"%s\"", k, prev);
        while (len + kl + 2 > cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        if (n)
            out[len++] = '\n';
        memcpy(out + len, k, kl + 1);
        prev = out + len;
        len += kl;
        n++;
    }
    if (rc != CAIRN_DONE)
        fail_msg("iterator: %s: %s", cairn_strerror(rc), cairn_errmsg());
    /* stays done */
    assert_rc(cairn_iter_next(it, &k, &kl), CAIRN_DONE);
    cairn_iter_free(it);
    if (count)
        *count = n;
    return out;
}

char *cf_list(cairn_store *s, const char *prefix, size_t *count)
{
    cairn_iter *it = NULL;
    assert_ok(cairn_list(s, prefix, &it));
    return cf_drain(it, count);
}

void cf_expect_keys(const char *got, const char *const *want)
{
    size_t cap = 64, len = 0;
    char *w = malloc(cap);
    assert_non_null(w);
    w[0] = '\0';
    for (size_t i = 0; want[i]; i++) {
        size_t kl = strlen(want[i]);
        while (len + kl + 2 > cap) {
            cap *= 2;
            w = realloc(w, cap);
            assert_non_null(w);
        }
        if (i)
            w[len++] = '\n';
        memcpy(w + len, want[i], kl + 1);
        len += kl;
    }
    if (strcmp(got, w) != 0)
        fail_msg("listing:\n---\n%s\n--- expected:\n%s\n---", got, w);
    free(w);
}

/* ---- main ---- */

typedef struct {
    const tr_case *cases;
    const size_t *n;
} table;

static const table tables[] = {
    {cf_basic_cases, &cf_basic_ncases},
    {cf_behaviour_cases, &cf_behaviour_ncases},
    {cf_ttl_cases, &cf_ttl_ncases},
    {cf_listing_cases, &cf_listing_ncases},
    {cf_batch_cases, &cf_batch_ncases},
    {cf_misc_cases, &cf_misc_ncases},
    {cf_concurrency_cases, &cf_concurrency_ncases},
    {cf_crash_cases, &cf_crash_ncases},
    {cf_models_cases, &cf_models_ncases},
    {cf_copy_cases, &cf_copy_ncases},
    {cf_redis_cases, &cf_redis_ncases},
    {cf_async_cases, &cf_async_ncases},
    {cf_formats_cases, &cf_formats_ncases},
    {cf_blob_cases, &cf_blob_ncases},
    {cf_tiered_cases, &cf_tiered_ncases},
    {cf_file_safety_cases, &cf_file_safety_ncases},
    {cf_damage_cases, &cf_damage_ncases},
    {cf_binding_cases, &cf_binding_ncases},
};
#define N_TABLES (sizeof tables / sizeof *tables)

/* Whether the backend under test runs TR_AGNOSTIC cases: one of
 * TR_AGNOSTIC_BACKENDS, or every backend with CAIRN_TEST_AGNOSTIC_ALL=1. */
static bool agnostic_here(void)
{
    const char *all = getenv("CAIRN_TEST_AGNOSTIC_ALL");
    if (all && !strcmp(all, "1"))
        return true;
    static const char list[] = TR_AGNOSTIC_BACKENDS;
    size_t n = strlen(cf_be->name);
    for (const char *p = list; (p = strstr(p, cf_be->name)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

static int usage(void)
{
    fprintf(stderr, "usage: cairn_conformance [all|BACKEND [CASE...]] | --list\n"
                    "backends built in:");
    for (size_t b = 0; b < N_BACKENDS; b++)
        fprintf(stderr, " %s", backends[b].name);
    fprintf(stderr, "\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--list")) {
        for (size_t t = 0; t < N_TABLES; t++)
            for (size_t i = 0; i < *tables[t].n; i++)
                printf("%s%s%s\n", tables[t].cases[i].name,
                       tables[t].cases[i].flags & TR_PERSISTENT ? " (persistent only)" : "",
                       tables[t].cases[i].flags & TR_AGNOSTIC
                           ? " (agnostic: [" TR_AGNOSTIC_BACKENDS "] only)"
                           : "");
        return 0;
    }
#ifdef CAIRN_HAVE_FILE
    /* the file backend's walk instead of openat2, on any kernel */
    if (getenv("CAIRN_TEST_FILE_WALK"))
        cairn__file_openat2 = 0;
#endif
    const char *want_be = argc > 1 ? argv[1] : "all";
    bool all_be = !strcmp(want_be, "all");
    bool found_be = all_be;
    tr_tally tally = {0};
    int matched = 0, named = argc > 2 ? argc - 2 : 0;
    bool name_found[64] = {false};
    if (named > 64)
        return usage();

    for (size_t b = 0; b < N_BACKENDS; b++) {
        if (!all_be && strcmp(backends[b].name, want_be))
            continue;
        found_be = true;
        cf_be = &backends[b];
        char group[64];
        snprintf(group, sizeof group, "conformance/%s", cf_be->name);
        tr_suite suite = {group, fx_setup, fx_teardown};
        for (size_t t = 0; t < N_TABLES; t++) {
            for (size_t i = 0; i < *tables[t].n; i++) {
                const tr_case *c = &tables[t].cases[i];
                bool want = named == 0;
                for (int a = 2; a < argc && !want; a++)
                    if ((want = !strcmp(argv[a], c->name)))
                        name_found[a - 2] = true;
                if (!want)
                    continue;
                matched++;
                if ((c->flags & TR_REDIS) && strcmp(cf_be->name, "redis") != 0)
                    continue; /* another backend's own promise: not ours */
                if ((c->flags & TR_TIERED) && strcmp(cf_scheme(), "tiered") != 0)
                    continue;
                const char *why = NULL;
                if ((c->flags & TR_PERSISTENT) && !cf_be->persistent)
                    why = "needs a persistent backend";
                else if ((c->flags & TR_AGNOSTIC) && !agnostic_here())
                    why = "backend-agnostic, run on [" TR_AGNOSTIC_BACKENDS
                          "] only (CAIRN_TEST_AGNOSTIC_ALL=1 runs it here)";
                if (why) {
                    if (named) { /* asked for by name: say why it did not run */
                        printf("[  SKIP    ] %s: %s: %s\n", group, c->name, why);
                        tr_tally_add(&tally, group, c->name, TR_SKIP_CODE);
                    }
                    continue;
                }
                tr_tally_add(&tally, group, c->name, tr_run_case(&suite, c));
            }
        }
    }
    if (!found_be) {
        fprintf(stderr, "cairn_conformance: backend '%s' is not built in\n", want_be);
        return usage();
    }
    for (int a = 0; a < named; a++)
        if (!name_found[a]) {
            fprintf(stderr, "cairn_conformance: unknown case '%s' (try --list)\n",
                    argv[a + 2]);
            return 2;
        }
    if (named == 1 && matched == 1) /* one case: its own status for CTest */
        return tally.failed ? 1 : tally.skipped ? TR_SKIP_CODE : 0;
    return tr_summary(&tally);
}
