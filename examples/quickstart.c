/* quickstart.c — the README's quick start: open a store, put with a set
 * behaviour, get the value and its metadata, list keys under a prefix. */
#include <cairn/cairn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "file:./cairn-data";
    cairn_store *s;
    int rc = cairn_store_open(url, NULL, &s);
    if (rc != CAIRN_OK) {
        fprintf(stderr, "open %s: %s\n", url, cairn_errmsg());
        return 1;
    }

    /* Store a JSON result unless an earlier run already did. */
    const char *doc = "{\"rows\": 1200, \"status\": \"ok\"}";
    cairn_put_opts opt = {.behavior = CAIRN_SKIP_IF_EXISTS};
    rc = cairn_put(s, "runs/2024-06-01/load", doc, strlen(doc), &opt);
    if (rc < 0) {
        fprintf(stderr, "put: %s\n", cairn_errmsg());
        return 1;
    }
    printf("put: %s\n", rc == CAIRN_SKIPPED ? "skipped, already there" : "stored");

    /* Read it back with its metadata. */
    cairn_value *v;
    if (cairn_get(s, "runs/2024-06-01/load", &v) == CAIRN_OK) {
        const cairn_meta *m = cairn_value_meta(v);
        printf("get: %s (version %llu, %llu bytes)\n",
               (const char *)cairn_value_data(v, NULL),
               (unsigned long long)m->version, (unsigned long long)m->size);
        cairn_value_free(v);
    }

    /* List every key under "runs", sorted bytewise. */
    cairn_iter *it;
    const char *key;
    if (cairn_list(s, "runs", &it) == CAIRN_OK) {
        while (cairn_iter_next(it, &key, NULL) == CAIRN_OK)
            printf("ls: %s\n", key);
        cairn_iter_free(it);
    }
    cairn_store_close(s);
    return 0;
}
