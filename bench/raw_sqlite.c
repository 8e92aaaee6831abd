/*
 * raw_sqlite.c — the benchmark workload on raw SQLite with its default
 * settings, the baseline of the sqlite backend: one autocommit INSERT per put.
 *
 * Default settings means what sqlite3_open() gives: rollback journal
 * (journal_mode=DELETE), synchronous=FULL, no pragma at all. Statements are
 * prepared once, as a careful user would. Usage:
 *   raw_sqlite PATH [--n N] [--seed S]    PATH: a database file not yet there
 */
#include "workload.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static int fail(sqlite3 *db, const char *what, const char *key)
{
    fprintf(stderr, "raw_sqlite: %s %s: %s\n", what, key ? key : "",
            db ? sqlite3_errmsg(db) : "out of memory");
    return 1;
}

int main(int argc, char **argv)
{
    const char *path;
    uint64_t n, seed;
    if (bench_args(argc, argv, "raw_sqlite PATH [--n N] [--seed S]", &path, &n, &seed))
        return 2;

    sqlite3 *db = NULL;
    sqlite3_stmt *ins, *sel, *lst;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return fail(db, "open", path);
    if (sqlite3_exec(db, "CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)", NULL, NULL, NULL) ||
        sqlite3_prepare_v2(db, "INSERT INTO kv (k, v) VALUES (?1, ?2)", -1, &ins, NULL) ||
        sqlite3_prepare_v2(db, "SELECT v FROM kv WHERE k = ?1", -1, &sel, NULL) ||
        sqlite3_prepare_v2(db, "SELECT k FROM kv WHERE k >= ?1 AND k < ?2 ORDER BY k", -1,
                           &lst, NULL))
        return fail(db, "prepare", path);

    char key[BENCH_KEY_LEN];
    char doc[BENCH_DOC_LEN + 1];
    bench_result res = {.backend = "raw_sqlite", .n = n};

    double t0 = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        int klen = (int)bench_key(key, i);
        int dlen = (int)bench_doc(doc, i);
        sqlite3_bind_text(ins, 1, key, klen, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 2, doc, dlen, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            return fail(db, "put", key);
        sqlite3_reset(ins);
    }
    res.put_s = bench_now() - t0;

    uint32_t *order = malloc((size_t)n * sizeof *order);
    char *copy = malloc(BENCH_DOC_LEN + 1);
    if (!order || !copy)
        return fail(NULL, "malloc", NULL);
    bench_shuffle(order, (uint32_t)n, seed);
    t0 = bench_now();
    for (uint64_t j = 0; j < n; j++) {
        int klen = (int)bench_key(key, order[j]);
        sqlite3_bind_text(sel, 1, key, klen, SQLITE_STATIC);
        if (sqlite3_step(sel) != SQLITE_ROW)
            return fail(db, "get", key);
        const char *v = sqlite3_column_blob(sel, 0);
        int vlen = sqlite3_column_bytes(sel, 0);
        if (vlen != BENCH_DOC_LEN || memcmp(v + 7, key, (size_t)klen)) {
            fprintf(stderr, "raw_sqlite: get %s: not the document written\n", key);
            return 1;
        }
        memcpy(copy, v, (size_t)vlen);
        copy[vlen] = 0;
        sqlite3_reset(sel);
    }
    res.get_s = bench_now() - t0;
    free(order);
    free(copy);

    /* list("runs/r42"): keys from "runs/r42" up to "runs/r420" ('/' + 1)
     * by the primary-key index, keeping the prefix itself and "runs/r42/...". */
    const char *pre = BENCH_LIST_PREFIX;
    size_t plen = strlen(pre);
    t0 = bench_now();
    sqlite3_bind_text(lst, 1, pre, -1, SQLITE_STATIC);
    sqlite3_bind_text(lst, 2, BENCH_LIST_PREFIX "0", -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(lst)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(lst, 0);
        if (k[plen] == 0 || k[plen] == '/')
            res.list_keys++;
    }
    if (rc != SQLITE_DONE)
        return fail(db, "list", pre);
    sqlite3_reset(lst);
    res.list_s = bench_now() - t0;

    bench_print(stdout, &res);
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    sqlite3_finalize(lst);
    sqlite3_close(db);
    return 0;
}
