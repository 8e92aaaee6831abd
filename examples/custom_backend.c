/*
 * custom_backend.c — a backend written outside the library: a sorted array
 * in memory that logs every call, registered as "tiny:" with
 * cairn_backend_register(). Every set behaviour, TTL, listing and checksum
 * then works on it, because the core decides them inside the callbacks.
 *
 *   ./custom_backend          prints the calls the core makes for each API call
 */
#include <cairn/cairn.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the backend: a sorted array of (key, record) under one mutex ---- */

typedef struct {
    char *key;
    size_t klen;
    char *rec;
    size_t rlen;
} entry;

typedef struct {
    pthread_mutex_t lock;
    entry *e;
    size_t n, cap;
    char name[64];
    unsigned long calls;
} tiny;

static int verbose = 1;

#define LOG(t, ...)                                                            \
    do {                                                                       \
        (t)->calls++;                                                          \
        if (verbose) {                                                         \
            printf("    [tiny:%s] ", (t)->name);                               \
            printf(__VA_ARGS__);                                               \
            putchar('\n');                                                     \
        }                                                                      \
    } while (0)

static int keycmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

/* Index of the first entry with key >= k (or > k when excl). */
static size_t lower(const tiny *t, const char *k, size_t kl, int excl)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = keycmp(t->e[mid].key, t->e[mid].klen, k, kl);
        if (c < 0 || (excl && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static entry *find(tiny *t, const char *k, size_t kl)
{
    size_t i = lower(t, k, kl, 0);
    if (i < t->n && keycmp(t->e[i].key, t->e[i].klen, k, kl) == 0)
        return &t->e[i];
    return NULL;
}

static int tiny_open(const char *location, const struct cairn_options *opt, void **self)
{
    (void)opt;
    tiny *t = calloc(1, sizeof *t);
    if (!t)
        return cairn_backend_error(CAIRN_ENOMEM, "tiny: out of memory");
    pthread_mutex_init(&t->lock, NULL);
    snprintf(t->name, sizeof t->name, "%s", *location ? location : "-");
    LOG(t, "open(\"%s\")", location);
    *self = t;
    return CAIRN_OK;
}

static void tiny_close(void *self)
{
    tiny *t = self;
    LOG(t, "close: %zu records, %lu calls", t->n, t->calls);
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].key);
        free(t->e[i].rec);
    }
    free(t->e);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static int tiny_get(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                    void *ctx)
{
    tiny *t = self;
    pthread_mutex_lock(&t->lock);
    entry *e = find(t, key, klen);
    LOG(t, "get %s -> %s", key, e ? "found" : "absent");
    int rc = e ? fn(ctx, e->rec, e->rlen) : CAIRN_ENOTFOUND;
    pthread_mutex_unlock(&t->lock);
    return rc;
}

/* What the core asked for one op; applied only when every op said yes. */
typedef struct {
    int action;
    char *rec;
    size_t rlen;
} decision;

static int apply(tiny *t, const cairn_backend_op *op, decision *d)
{
    entry *e = find(t, op->key, op->klen);
    if (d->action == CAIRN_BACKEND_WRITE && e) {
        free(e->rec);
        e->rec = d->rec;
        e->rlen = d->rlen;
        d->rec = NULL;
    } else if (d->action == CAIRN_BACKEND_WRITE) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 16;
            entry *ne = realloc(t->e, cap * sizeof *ne);
            if (!ne)
                return cairn_backend_error(CAIRN_ENOMEM, "tiny: out of memory");
            t->e = ne;
            t->cap = cap;
        }
        char *k = malloc(op->klen + 1);
        if (!k)
            return cairn_backend_error(CAIRN_ENOMEM, "tiny: out of memory");
        memcpy(k, op->key, op->klen + 1);
        size_t i = lower(t, op->key, op->klen, 0);
        memmove(&t->e[i + 1], &t->e[i], (t->n - i) * sizeof *t->e);
        t->e[i] = (entry){k, op->klen, d->rec, d->rlen};
        t->n++;
        d->rec = NULL;
    } else if (d->action == CAIRN_BACKEND_DELETE && e) {
        size_t i = (size_t)(e - t->e);
        free(e->key);
        free(e->rec);
        memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof *t->e);
        t->n--;
    }
    return CAIRN_OK;
}

static int tiny_update(void *self, const cairn_backend_op *ops, size_t n)
{
    static const char *const names[] = {"keep", "write", "delete"};
    tiny *t = self;
    decision *d = calloc(n ? n : 1, sizeof *d);
    if (!d)
        return cairn_backend_error(CAIRN_ENOMEM, "tiny: out of memory");
    int rc = CAIRN_OK;
    pthread_mutex_lock(&t->lock);
    /* Ask every op first. Keys of one batch are distinct (the core checks),
     * so no op needs to see another's pending write. */
    for (size_t i = 0; i < n && rc == CAIRN_OK; i++) {
        entry *e = find(t, ops[i].key, ops[i].klen);
        const void *out = NULL;
        size_t olen = 0;
        int a = ops[i].fn(ops[i].ctx, e ? e->rec : NULL, e ? e->rlen : 0, &out, &olen);
        if (a < 0) {
            LOG(t, "update %s -> abort (%s)", ops[i].key, cairn_strerror(a));
            rc = a;
            break;
        }
        LOG(t, "update %s -> %s%s", ops[i].key, names[a],
            a != CAIRN_BACKEND_WRITE ? "" : e ? " (replaces the record)" : " (new key)");
        d[i].action = a;
        if (a == CAIRN_BACKEND_WRITE) {
            /* out is the core's memory, valid only during this call: copy. */
            if (!(d[i].rec = malloc(olen ? olen : 1))) {
                rc = cairn_backend_error(CAIRN_ENOMEM, "tiny: out of memory");
                break;
            }
            memcpy(d[i].rec, out, olen);
            d[i].rlen = olen;
        }
    }
    for (size_t i = 0; i < n && rc == CAIRN_OK; i++)
        rc = apply(t, &ops[i], &d[i]);
    pthread_mutex_unlock(&t->lock);
    for (size_t i = 0; i < n; i++)
        free(d[i].rec);
    free(d);
    return rc;
}

static int tiny_scan(void *self, const char *lo, size_t lolen, int lo_excl, const char *hi,
                     size_t hilen, int want_value, cairn_backend_scan_fn fn, void *ctx)
{
    (void)want_value; /* records are in memory: always pass them whole */
    tiny *t = self;
    int rc = CAIRN_OK;
    size_t seen = 0;
    pthread_mutex_lock(&t->lock);
    for (size_t i = lo ? lower(t, lo, lolen, lo_excl) : 0; i < t->n; i++) {
        if (hi && keycmp(t->e[i].key, t->e[i].klen, hi, hilen) >= 0)
            break;
        seen++;
        int r = fn(ctx, t->e[i].key, t->e[i].klen, t->e[i].rec, t->e[i].rlen);
        if (r) {
            rc = r < 0 ? r : CAIRN_OK;
            break;
        }
    }
    LOG(t, "scan from %s to %s: %zu record(s)", lo ? lo : "(start)", hi ? hi : "(end)",
        seen);
    pthread_mutex_unlock(&t->lock);
    return rc;
}

static const cairn_backend_methods tiny_backend = {
    .version = CAIRN_BACKEND_VERSION,
    .name = "tiny",
    .open = tiny_open,
    .close = tiny_close,
    .get = tiny_get,
    .update = tiny_update,
    .scan = tiny_scan,
};

/* ---- using it ---- */

static int check(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "custom_backend: %s: %s (%s)\n", what, cairn_strerror(rc),
                cairn_errmsg());
        exit(1);
    }
    return rc;
}

/* The step's status must be exactly want: this program is also a test. */
static void expect(int rc, int want, const char *what)
{
    printf("  -> %s\n", rc == CAIRN_OK ? "ok" : cairn_strerror(rc));
    if (rc != want) {
        fprintf(stderr, "custom_backend: %s: expected %s, got %s (%s)\n", what,
                cairn_strerror(want), cairn_strerror(rc), cairn_errmsg());
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "-q"))
        verbose = 0;
    check(cairn_backend_register(&tiny_backend), "register");

    cairn_store *s;
    printf("open tiny:demo\n");
    check(cairn_store_open("tiny:demo", NULL, &s), "open");

    const char *doc = "{\"rows\": 120, \"ok\": true}";
    cairn_put_opts skip = {.behavior = CAIRN_SKIP_IF_EXISTS};
    cairn_put_opts diff = {.behavior = CAIRN_FAIL_IF_DIFFERENT};

    printf("put runs/1/load (default: fail if exists)\n");
    expect(cairn_put(s, "runs/1/load", doc, strlen(doc), NULL), CAIRN_OK, "put");
    printf("put runs/1/load again\n");
    expect(cairn_put(s, "runs/1/load", doc, strlen(doc), NULL), CAIRN_EEXISTS, "put again");
    printf("put runs/1/load with SKIP_IF_EXISTS\n");
    expect(cairn_put(s, "runs/1/load", doc, strlen(doc), &skip), CAIRN_SKIPPED, "skip");
    const char *same = "{\"ok\":true,\"rows\":120}";
    printf("put runs/1/load with FAIL_IF_DIFFERENT, same JSON spelled differently\n");
    expect(cairn_put(s, "runs/1/load", same, strlen(same), &diff), CAIRN_OK, "same");
    printf("put runs/1/load with FAIL_IF_DIFFERENT, another value\n");
    expect(cairn_put(s, "runs/1/load", "{}", 2, &diff), CAIRN_EDIFFERENT, "different");

    printf("incr runs/1/retries twice\n");
    int64_t v = 0;
    check(cairn_incr(s, "runs/1/retries", 1, &v), "incr");
    check(cairn_incr(s, "runs/1/retries", 1, &v), "incr");
    printf("  -> %lld\n", (long long)v);
    if (v != 2)
        return fprintf(stderr, "custom_backend: incr gave %lld\n", (long long)v), 1;

    const char *text = "fine";
    cairn_put_opts t = {.format = CAIRN_FORMAT_TEXT, .ttl_ms = 3600 * 1000};
    printf("put runs/2/note (text, expires in an hour), runs2/x (not under runs)\n");
    check(cairn_put(s, "runs/2/note", text, strlen(text), &t), "put");
    check(cairn_put(s, "runs2/x", "1", 1, NULL), "put");

    printf("list runs\n");
    cairn_iter *it;
    check(cairn_list(s, "runs", &it), "list");
    const char *key;
    int rc, n = 0;
    while ((rc = cairn_iter_next(it, &key, NULL)) == CAIRN_OK) {
        cairn_meta m;
        check(cairn_iter_meta(it, &m), "meta");
        printf("  %-16s version %llu, %s, %llu bytes%s\n", key,
               (unsigned long long)m.version, cairn_format_name(m.format),
               (unsigned long long)m.size, m.expires_ms ? ", expires" : "");
        n++;
    }
    cairn_iter_free(it);
    check(rc, "iter");
    if (n != 3)
        return fprintf(stderr, "custom_backend: listed %d keys, expected 3\n", n), 1;

    printf("get runs/1/load\n");
    cairn_value *val;
    check(cairn_get(s, "runs/1/load", &val), "get");
    printf("  -> %s (checksum %016llx verified by the core)\n",
           (const char *)cairn_value_data(val, NULL),
           (unsigned long long)cairn_value_meta(val)->checksum);
    cairn_value_free(val);

    cairn_stats st;
    check(cairn_store_stats_get(s, &st), "stats");
    printf("stats: backend %s, %llu keys, %llu value bytes, %llu puts (%llu skipped)\n",
           st.backend, (unsigned long long)st.keys, (unsigned long long)st.value_bytes,
           (unsigned long long)st.puts, (unsigned long long)st.skips);
    cairn_store_close(s);
    printf("custom backend: all behaviours held\n");
    return 0;
}
