/*
 * suite.c — runs the JSON-Schema-Test-Suite (draft 2020-12) against
 * cairn_schema_compile/validate: every case of every file, the pass count
 * per file and in all.
 *
 * The known failures are listed below (file, group, test). A failure not in
 * the list fails the run; so does a listed case that now passes (take it off
 * the list). The suite lives at $CAIRN_JSONSCHEMA_SUITE, else at the path
 * CMake passes (CAIRN_JSONSCHEMA_SUITE_DIR); http://localhost:1234/ is served
 * from its remotes/ folder through the schema loader. Without the suite the
 * program says so loudly and exits 77 (CTest: skipped).
 */
#include "cairn/cairn.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CAIRN_JSONSCHEMA_SUITE_DIR
#define CAIRN_JSONSCHEMA_SUITE_DIR "../shared/jsonschema-suite"
#endif

#define SKIP_CODE 77
#define REMOTE_PREFIX "http://localhost:1234/"

typedef struct {
    const char *file, *group, *test, *why;
    int seen;
} known;

/* Each with the reason; docs/schema.md repeats them. */
static known known_failures[] = {
    {"defs.json", "validate definition against metaschema", "valid definition schema",
     "needs the draft 2020-12 metaschema, which is not bundled (no network)", 0},
    {"defs.json", "validate definition against metaschema", "invalid definition schema",
     "needs the draft 2020-12 metaschema, which is not bundled (no network)", 0},
    {"ref.json", "remote ref, containing refs itself", "remote ref valid",
     "needs the draft 2020-12 metaschema, which is not bundled (no network)", 0},
    {"ref.json", "remote ref, containing refs itself", "remote ref invalid",
     "needs the draft 2020-12 metaschema, which is not bundled (no network)", 0},
};
#define NKNOWN (sizeof known_failures / sizeof *known_failures)

static known *find_known(const char *file, const char *group, const char *test)
{
    for (size_t i = 0; i < NKNOWN; i++)
        if (!strcmp(known_failures[i].file, file) && !strcmp(known_failures[i].group, group) &&
            !strcmp(known_failures[i].test, test))
            return &known_failures[i];
    return NULL;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *b = realloc(buf, cap *= 2);
        if (!b) {
            free(buf);
            buf = NULL;
        } else {
            buf = b;
        }
    }
    fclose(f);
    if (buf)
        *len = n;
    return buf;
}

/* The loader: http://localhost:1234/X is remotes/X. */
static int load(void *ctx, const char *uri, char **json, size_t *len)
{
    const char *dir = ctx;
    size_t pl = strlen(REMOTE_PREFIX);
    if (strncmp(uri, REMOTE_PREFIX, pl) != 0 || strstr(uri, ".."))
        return CAIRN_ENOTFOUND;
    char path[4096];
    snprintf(path, sizeof path, "%s/remotes/%s", dir, uri + pl);
    *json = read_file(path, len);
    return *json ? CAIRN_OK : CAIRN_ENOTFOUND;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
    unsigned total, passed, unexpected_fail, unexpected_pass;
} tally;

static void run_file(const char *dir, const char *name, tally *t, int verbose)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/draft2020-12/%s", dir, name);
    json_error_t je;
    json_t *groups = json_load_file(path, JSON_ALLOW_NUL, &je);
    if (!json_is_array(groups)) {
        printf("%s: cannot read: %s\n", name, je.text);
        t->unexpected_fail++;
        json_decref(groups);
        return;
    }
    unsigned total = 0, passed = 0;
    size_t gi;
    json_t *g;
    json_array_foreach(groups, gi, g) {
        const char *gdesc = json_string_value(json_object_get(g, "description"));
        char *schema = json_dumps(json_object_get(g, "schema"), JSON_ENCODE_ANY | JSON_COMPACT);
        cairn_schema_opts opt = {0};
        opt.loader = load;
        opt.loader_ctx = (void *)dir;
        cairn_schema *sc = NULL;
        int crc = cairn_schema_compile(schema, strlen(schema), &opt, &sc);
        char cmsg[512];
        snprintf(cmsg, sizeof cmsg, "%s", crc ? cairn_errmsg() : "");
        size_t ti;
        json_t *tc;
        json_array_foreach(json_object_get(g, "tests"), ti, tc) {
            const char *tdesc = json_string_value(json_object_get(tc, "description"));
            int want = json_is_true(json_object_get(tc, "valid"));
            char *data =
                json_dumps(json_object_get(tc, "data"), JSON_ENCODE_ANY | JSON_COMPACT);
            size_t dl = strlen(data);
            /* jansson writes "\u0000" for a NUL: the length is right. */
            int ok;
            char why[600] = "";
            if (crc) {
                ok = 0;
                snprintf(why, sizeof why, "compile: %s (%s)", cairn_strerror(crc), cmsg);
            } else {
                cairn_verrors *errs = NULL;
                int rc = cairn_schema_validate(sc, data, dl, &errs);
                ok = (rc == CAIRN_OK && want) || (rc == CAIRN_EVALIDATION && !want);
                if (!ok)
                    snprintf(why, sizeof why, "validate: %s (%s)", cairn_strerror(rc),
                             rc ? cairn_errmsg() : "valid");
                if ((rc == CAIRN_EVALIDATION) != (errs != NULL)) {
                    ok = 0;
                    snprintf(why, sizeof why, "error list and status disagree");
                }
                cairn_verrors_free(errs);
            }
            total++;
            known *k = find_known(name, gdesc, tdesc);
            if (k)
                k->seen = 1;
            if (ok) {
                passed++;
                if (k) {
                    printf("  KNOWN FAILURE NOW PASSES (take it off the list): %s | %s | %s\n",
                           name, gdesc, tdesc);
                    t->unexpected_pass++;
                }
            } else if (k) {
                if (verbose)
                    printf("  known failure: %s | %s | %s: %s\n", name, gdesc, tdesc, k->why);
            } else {
                printf("  FAIL: %s | %s | %s\n    schema: %s\n    data: %s\n    expected "
                       "%s; %s\n",
                       name, gdesc, tdesc, schema, data, want ? "valid" : "invalid", why);
                t->unexpected_fail++;
            }
            free(data);
        }
        cairn_schema_free(sc);
        free(schema);
    }
    json_decref(groups);
    printf("%s: %u/%u\n", name, passed, total);
    t->total += total;
    t->passed += passed;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("CAIRN_JSONSCHEMA_SUITE");
    if (!dir || !*dir)
        dir = CAIRN_JSONSCHEMA_SUITE_DIR;
    int verbose = argc > 1 && !strcmp(argv[1], "-v");
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/draft2020-12", dir);
    DIR *d = opendir(sub);
    if (!d) {
        fprintf(stderr,
                "\n*** SKIPPED: the JSON-Schema-Test-Suite is not at %s ***\n"
                "*** set CAIRN_JSONSCHEMA_SUITE to its checkout (draft2020-12/ and remotes/) ***\n\n",
                dir);
        return SKIP_CODE;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                return 1;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    tally t = {0};
    for (size_t i = 0; i < n; i++) {
        run_file(dir, names[i], &t, verbose);
        free(names[i]);
    }
    free(names);
    for (size_t i = 0; i < NKNOWN; i++)
        if (!known_failures[i].seen) {
            printf("  KNOWN FAILURE NOT FOUND IN THE SUITE (stale entry): %s | %s | %s\n",
                   known_failures[i].file, known_failures[i].group, known_failures[i].test);
            t.unexpected_pass++;
        }
    printf("total: %u/%u passed, %zu known failures, %u unexpected failures, %u known "
           "failures now passing or stale\n",
           t.passed, t.total, NKNOWN, t.unexpected_fail, t.unexpected_pass);
    return t.unexpected_fail || t.unexpected_pass ? 1 : 0;
}
