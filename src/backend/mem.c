/*
 * mem.c — the in-process backend: a skip list sorted bytewise under one
 * read-write lock. Gone when the store closes. Every mem: URL opens a new,
 * empty store.
 */
#include "backend/backends.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define LEVEL_MAX 24

typedef struct node {
    char *key;
    size_t klen;
    char *rec;
    size_t rlen;
    int level;
    struct node *next[]; /* level entries */
} node;

typedef struct {
    pthread_rwlock_t lock;
    node *head;
    int level;
    uint64_t rng;
} mem;

static int keycmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

static node *node_new(int level)
{
    node *n = calloc(1, sizeof *n + (size_t)level * sizeof(node *));
    if (n)
        n->level = level;
    return n;
}

static void node_free(node *n)
{
    if (n) {
        free(n->key);
        free(n->rec);
        free(n);
    }
}

static int mem_open(const char *location, const struct cairn_options *opt, void **self)
{
    (void)location;
    (void)opt;
    mem *m = calloc(1, sizeof *m);
    if (!m || !(m->head = node_new(LEVEL_MAX))) {
        free(m);
        return cairn_backend_error(CAIRN_ENOMEM, "mem: out of memory");
    }
    pthread_rwlock_init(&m->lock, NULL);
    m->level = 1;
    m->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)m;
    *self = m;
    return CAIRN_OK;
}

static void mem_close(void *self)
{
    mem *m = self;
    node *n = m->head;
    while (n) {
        node *next = n->next[0];
        node_free(n);
        n = next;
    }
    pthread_rwlock_destroy(&m->lock);
    free(m);
}

/* First node with key >= k (or > k when excl); fills update[] if given. */
static node *seek(mem *m, const char *k, size_t kl, bool excl, node **update)
{
    node *x = m->head;
    for (int i = m->level - 1; i >= 0; i--) {
        while (x->next[i]) {
            int c = keycmp(x->next[i]->key, x->next[i]->klen, k, kl);
            if (c < 0 || (excl && c == 0))
                x = x->next[i];
            else
                break;
        }
        if (update)
            update[i] = x;
    }
    return x->next[0];
}

static int mem_get(void *self, const char *key, size_t klen, cairn_backend_read_fn fn,
                   void *ctx)
{
    mem *m = self;
    pthread_rwlock_rdlock(&m->lock);
    node *n = seek(m, key, klen, false, NULL);
    int rc = CAIRN_ENOTFOUND;
    if (n && n->klen == klen && memcmp(n->key, key, klen) == 0)
        rc = fn(ctx, n->rec, n->rlen);
    pthread_rwlock_unlock(&m->lock);
    return rc;
}

static int random_level(mem *m)
{
    /* xorshift64; one level more with probability 1/4 */
    uint64_t x = m->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    m->rng = x;
    int lvl = 1;
    while (lvl < LEVEL_MAX && (x & 3) == 0) {
        lvl++;
        x >>= 2;
    }
    return lvl;
}

/* Pending change of one op, applied only once every op said yes. */
typedef struct {
    int action;
    char *rec;
    size_t rlen;
} pending;

static int mem_update(void *self, const cairn_backend_op *ops, size_t n)
{
    mem *m = self;
    pending *pend = calloc(n ? n : 1, sizeof *pend);
    if (!pend)
        return cairn_backend_error(CAIRN_ENOMEM, "mem: out of memory");
    int rc = CAIRN_OK;
    pthread_rwlock_wrlock(&m->lock);
    /* First ask every op, seeing earlier ops' pending changes. Keys in one
     * batch are distinct (the core refuses duplicates). */
    for (size_t i = 0; i < n && rc == CAIRN_OK; i++) {
        node *x = seek(m, ops[i].key, ops[i].klen, false, NULL);
        bool found = x && x->klen == ops[i].klen &&
                     memcmp(x->key, ops[i].key, ops[i].klen) == 0;
        const void *out = NULL;
        size_t olen = 0;
        int a = ops[i].fn(ops[i].ctx, found ? x->rec : NULL, found ? x->rlen : 0, &out,
                          &olen);
        if (a < 0) {
            rc = a;
            break;
        }
        pend[i].action = a;
        if (a == CAIRN_BACKEND_WRITE) {
            pend[i].rec = malloc(olen ? olen : 1);
            if (!pend[i].rec) {
                rc = cairn_backend_error(CAIRN_ENOMEM, "mem: out of memory");
                break;
            }
            memcpy(pend[i].rec, out, olen);
            pend[i].rlen = olen;
        }
    }
    /* Then apply. Only allocation can fail here; nodes are made first. */
    for (size_t i = 0; i < n && rc == CAIRN_OK; i++) {
        node *update[LEVEL_MAX];
        node *x = seek(m, ops[i].key, ops[i].klen, false, update);
        bool found = x && x->klen == ops[i].klen &&
                     memcmp(x->key, ops[i].key, ops[i].klen) == 0;
        if (pend[i].action == CAIRN_BACKEND_WRITE) {
            if (found) {
                free(x->rec);
                x->rec = pend[i].rec;
                x->rlen = pend[i].rlen;
                pend[i].rec = NULL;
                continue;
            }
            int lvl = random_level(m);
            node *nn = node_new(lvl);
            char *k = malloc(ops[i].klen + 1);
            if (!nn || !k) {
                free(nn);
                free(k);
                rc = cairn_backend_error(CAIRN_ENOMEM, "mem: out of memory");
                break; /* earlier ops of the batch stay applied: only OOM */
            }
            memcpy(k, ops[i].key, ops[i].klen);
            k[ops[i].klen] = '\0';
            nn->key = k;
            nn->klen = ops[i].klen;
            nn->rec = pend[i].rec;
            nn->rlen = pend[i].rlen;
            pend[i].rec = NULL;
            for (int l = m->level; l < lvl; l++)
                update[l] = m->head;
            if (lvl > m->level)
                m->level = lvl;
            for (int l = 0; l < lvl; l++) {
                nn->next[l] = update[l]->next[l];
                update[l]->next[l] = nn;
            }
        } else if (pend[i].action == CAIRN_BACKEND_DELETE && found) {
            for (int l = 0; l < m->level; l++)
                if (update[l]->next[l] == x)
                    update[l]->next[l] = x->next[l];
            node_free(x);
        }
    }
    pthread_rwlock_unlock(&m->lock);
    for (size_t i = 0; i < n; i++)
        free(pend[i].rec);
    free(pend);
    return rc;
}

static int mem_scan(void *self, const char *lo, size_t lolen, int lo_excl, const char *hi,
                    size_t hilen, int want_value, cairn_backend_scan_fn fn, void *ctx)
{
    (void)want_value;
    mem *m = self;
    int rc = CAIRN_OK;
    pthread_rwlock_rdlock(&m->lock);
    node *x = lo ? seek(m, lo, lolen, lo_excl != 0, NULL) : m->head->next[0];
    for (; x; x = x->next[0]) {
        if (hi && keycmp(x->key, x->klen, hi, hilen) >= 0)
            break;
        int r = fn(ctx, x->key, x->klen, x->rec, x->rlen);
        if (r < 0)
            rc = r;
        if (r)
            break;
    }
    pthread_rwlock_unlock(&m->lock);
    return rc;
}

const cairn_backend_methods cairn__backend_mem = {
    .version = CAIRN_BACKEND_VERSION,
    .name = "mem",
    .open = mem_open,
    .close = mem_close,
    .get = mem_get,
    .update = mem_update,
    .scan = mem_scan,
};
