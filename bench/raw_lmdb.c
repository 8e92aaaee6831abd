/*
 * raw_lmdb.c — the benchmark workload on raw LMDB, the baseline of the lmdb
 * backend: one write transaction per put (MDB_NOSYNC), one read txn per get.
 *
 * Written as a careful LMDB user would: the read transaction is reset and
 * renewed rather than begun afresh, and the value is copied out of the map
 * (an application must, to keep it past the transaction). Usage:
 *   raw_lmdb DIR [--n N] [--seed S]      DIR: a fresh, empty directory
 */
#include "workload.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const char *key, int rc)
{
    fprintf(stderr, "raw_lmdb: %s %s: %s\n", what, key ? key : "", mdb_strerror(rc));
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir;
    uint64_t n, seed;
    if (bench_args(argc, argv, "raw_lmdb DIR [--n N] [--seed S]", &dir, &n, &seed))
        return 2;

    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc;
    if ((rc = mdb_env_create(&env)) ||
        (rc = mdb_env_set_mapsize(env, (size_t)64 << 30)) ||
        (rc = mdb_env_open(env, dir, MDB_NOSYNC, 0644)))
        return fail("open", dir, rc);
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) || (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) ||
        (rc = mdb_txn_commit(txn)))
        return fail("open db", dir, rc);

    char key[BENCH_KEY_LEN];
    char doc[BENCH_DOC_LEN + 1];
    bench_result res = {.backend = "raw_lmdb", .n = n};

    double t0 = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        MDB_val k = {bench_key(key, i), key};
        MDB_val v = {bench_doc(doc, i), doc};
        if ((rc = mdb_txn_begin(env, NULL, 0, &txn)))
            return fail("begin", key, rc);
        if ((rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE))) {
            mdb_txn_abort(txn);
            return fail("put", key, rc);
        }
        if ((rc = mdb_txn_commit(txn)))
            return fail("commit", key, rc);
    }
    res.put_s = bench_now() - t0;

    uint32_t *order = malloc((size_t)n * sizeof *order);
    char *copy = malloc(BENCH_DOC_LEN + 1);
    if (!order || !copy)
        return fail("malloc", NULL, ENOMEM);
    bench_shuffle(order, (uint32_t)n, seed);
    MDB_txn *rtxn;
    if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &rtxn)))
        return fail("begin read", NULL, rc);
    mdb_txn_reset(rtxn);
    t0 = bench_now();
    for (uint64_t j = 0; j < n; j++) {
        MDB_val k = {bench_key(key, order[j]), key};
        MDB_val v;
        if ((rc = mdb_txn_renew(rtxn)))
            return fail("renew", key, rc);
        if ((rc = mdb_get(rtxn, dbi, &k, &v)))
            return fail("get", key, rc);
        if (v.mv_size != BENCH_DOC_LEN || memcmp((char *)v.mv_data + 7, key, k.mv_size))
            return fail("get (wrong document)", key, MDB_CORRUPTED);
        memcpy(copy, v.mv_data, v.mv_size);
        copy[v.mv_size] = 0;
        mdb_txn_reset(rtxn);
    }
    res.get_s = bench_now() - t0;
    free(order);
    free(copy);

    /* list("runs/r42"): the key itself, then everything under "runs/r42/". */
    const char *pre = BENCH_LIST_PREFIX "/";
    size_t plen = strlen(pre);
    MDB_cursor *cur;
    t0 = bench_now();
    if ((rc = mdb_txn_renew(rtxn)) || (rc = mdb_cursor_open(rtxn, dbi, &cur)))
        return fail("cursor", pre, rc);
    MDB_val k = {plen - 1, (void *)pre}, v;
    if (mdb_get(rtxn, dbi, &k, &v) == 0)
        res.list_keys++; /* the prefix itself is a key */
    k.mv_size = plen;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, pre, plen))
            break;
        res.list_keys++;
    }
    if (rc && rc != MDB_NOTFOUND)
        return fail("list", pre, rc);
    mdb_cursor_close(cur);
    mdb_txn_abort(rtxn);
    res.list_s = bench_now() - t0;

    bench_print(stdout, &res);
    mdb_env_close(env);
    return 0;
}
