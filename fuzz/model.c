/*
 * model.c — fuzz model references and the registry calls that parse them:
 * register, resolve, put with a model, get with a model, on a fresh mem:
 * store holding default/Person, hr/Person, a/Thing and b/Thing. Only the
 * documented statuses, and what succeeds is consistent.
 *
 * Input: a reference, then optionally '\n' and a JSON text (the schema to
 * register, or the document to put).
 */
#include "common.h"

#include "all.h"

#include <string.h>

static const char person[] = "{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\"}},"
                             "\"required\":[\"age\"]}";

static int one_of(int rc, const int *ok, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rc == ok[i])
            return 1;
    return 0;
}

#define ONE_OF(rc, ...)                                                        \
    one_of(rc, (const int[]){__VA_ARGS__}, sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_cstr(data, size);
    char *nl = strchr(in, '\n');
    const char *json = nl ? nl + 1 : "{\"age\":1}";
    if (nl)
        *nl = '\0';
    const char *ref = in;
    size_t jlen = strlen(json);

    cairn_store *s = NULL;
    FUZZ_CHECK(cairn_store_open("mem:", NULL, &s) == CAIRN_OK, "%s", cairn_errmsg());
    const char *seed[] = {"Person", "hr/Person", "a/Thing", "b/Thing"};
    for (size_t i = 0; i < 4; i++)
        FUZZ_CHECK(cairn_model_register(s, seed[i], person, strlen(person), 0, NULL) ==
                       CAIRN_OK,
                   "%s", cairn_errmsg());

    /* resolve: a full reference that resolves to itself */
    char out[CAIRN_MODEL_MAX + 1], again[CAIRN_MODEL_MAX + 1];
    int rc = cairn_model_resolve(s, ref, out);
    FUZZ_CHECK(ONE_OF(rc, CAIRN_OK, CAIRN_ENOTFOUND, CAIRN_EMODEL, CAIRN_EINVAL),
               "resolve '%s': %d %s", ref, rc, cairn_errmsg());
    if (rc == CAIRN_OK) {
        FUZZ_CHECK(cairn__model_ref_valid(out) && strchr(out, '/') && strchr(out, '@'),
                   "resolved '%s' to '%s'", ref, out);
        FUZZ_CHECK(cairn_model_resolve(s, out, again) == CAIRN_OK && !strcmp(out, again),
                   "'%s' does not resolve to itself", out);
    }

    /* put with the model: nothing written unless OK */
    cairn_put_opts o = {.model = ref, .fill_defaults = (int)(size & 1)};
    rc = cairn_put(s, "k", json, jlen, &o);
    FUZZ_CHECK(ONE_OF(rc, CAIRN_OK, CAIRN_EMODEL, CAIRN_EINVAL, CAIRN_EVALIDATION,
                      CAIRN_EFORMAT),
               "put with '%s': %d %s", ref, rc, cairn_errmsg());
    FUZZ_CHECK((rc == CAIRN_EVALIDATION) == (cairn_validation_errors() != NULL),
               "validation errors kept for %d", rc);
    FUZZ_CHECK((cairn_exists(s, "k") == CAIRN_OK) == (rc == CAIRN_OK), "put %d wrote?", rc);
    if (rc == CAIRN_OK) {
        cairn_value *v = NULL;
        rc = cairn_get_model(s, "k", ref, CAIRN_GET_REVALIDATE, &v);
        FUZZ_CHECK(rc == CAIRN_OK, "stored under '%s', then %d %s", ref, rc, cairn_errmsg());
        cairn_value_free(v);
    }

    /* register: what succeeds resolves, and is then a no-op */
    char res[CAIRN_MODEL_MAX + 1];
    rc = cairn_model_register(s, ref, json, jlen, (unsigned)(size & 1), res);
    FUZZ_CHECK(ONE_OF(rc, CAIRN_OK, CAIRN_SKIPPED, CAIRN_EDIFFERENT, CAIRN_EINVAL,
                      CAIRN_EFORMAT),
               "register '%s': %d %s", ref, rc, cairn_errmsg());
    if (rc == CAIRN_OK || rc == CAIRN_SKIPPED) {
        FUZZ_CHECK(cairn_model_resolve(s, res, again) == CAIRN_OK && !strcmp(res, again),
                   "registered '%s' as '%s'", ref, res);
        FUZZ_CHECK(cairn_model_register(s, ref, json, jlen, 0, again) == CAIRN_SKIPPED &&
                       !strcmp(res, again),
                   "registering '%s' again: %s", ref, cairn_errmsg());
        uint64_t n = 0;
        FUZZ_CHECK(cairn_model_remove(s, res, &n) == CAIRN_OK && n == 1, "remove %s: %s",
                   res, cairn_errmsg());
    }
    cairn_store_close(s);
    free(in);
    return 0;
}
