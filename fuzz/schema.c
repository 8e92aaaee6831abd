/*
 * schema.c — fuzz JSON Schema compilation, validation and default filling.
 * The input is "schema NUL document"; without a NUL byte the input is both
 * the schema and the document. A loader serves one remote document, so
 * remote $refs are reached too.
 *
 * Properties: no crash or leak; only the documented status codes; a list of
 * errors exactly when the status is CAIRN_EVALIDATION, no longer than
 * max_errors, each path a JSON Pointer; fill_defaults writes JSON.
 */
#include "common.h"

#include "all.h"

#include <string.h>

#define MAX_ERRORS 7

static const char remote[] =
    "{\"$id\":\"http://localhost:1234/r.json\",\"$defs\":{\"i\":{\"type\":\"integer\"},"
    "\"s\":{\"$dynamicAnchor\":\"x\",\"type\":\"string\"}},\"items\":{\"$ref\":\"#/$defs/i\"}}";

static int load(void *ctx, const char *uri, char **json, size_t *len)
{
    (void)ctx;
    if (strcmp(uri, "http://localhost:1234/r.json") != 0)
        return CAIRN_ENOTFOUND;
    *json = malloc(sizeof remote);
    if (!*json)
        return CAIRN_ENOMEM;
    memcpy(*json, remote, sizeof remote);
    *len = sizeof remote - 1;
    return CAIRN_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t slen = nul ? (size_t)(nul - data) : size;
    size_t dlen = nul ? size - slen - 1 : size;
    /* Exact-size copies, so ASan sees any read past the end. */
    char *schema = fuzz_copy(data, slen), *doc = fuzz_copy(nul ? nul + 1 : data, dlen);

    cairn_schema_opts opt = {0};
    opt.flags = slen % 2 ? CAIRN_SCHEMA_FORMAT_ASSERT : 0;
    opt.loader = load;
    opt.max_errors = MAX_ERRORS;
    cairn_schema *sc = NULL;
    int rc = cairn_schema_compile(schema, slen, &opt, &sc);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EFORMAT || rc == CAIRN_EINVAL ||
                   rc == CAIRN_EUNSUPPORTED || rc == CAIRN_ENOMEM,
               "compile status %d", rc);
    FUZZ_CHECK((rc == CAIRN_OK) == (sc != NULL), "compile: status %d with schema %p", rc,
               (void *)sc);
    if (rc == CAIRN_OK) {
        FUZZ_CHECK(cairn__json_check(schema, slen) == CAIRN_OK, "a schema that is not JSON");
        cairn_verrors *e = NULL;
        rc = cairn_schema_validate(sc, doc, dlen, &e);
        FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EVALIDATION || rc == CAIRN_EFORMAT ||
                       rc == CAIRN_ENOMEM,
                   "validate status %d", rc);
        FUZZ_CHECK((rc == CAIRN_EFORMAT) == (cairn__json_check(doc, dlen) != CAIRN_OK),
                   "validate says %d, the JSON check disagrees", rc);
        FUZZ_CHECK((rc == CAIRN_EVALIDATION) == (e != NULL), "status %d with list %p", rc,
                   (void *)e);
        size_t n = cairn_verrors_count(e);
        FUZZ_CHECK(e == NULL || (n >= 1 && n <= MAX_ERRORS), "%zu errors", n);
        for (size_t i = 0; i < n; i++) {
            const char *p = cairn_verrors_path(e, i);
            FUZZ_CHECK(p && (p[0] == '\0' || p[0] == '/'), "path '%s'", p ? p : "(null)");
            FUZZ_CHECK(cairn_verrors_rule(e, i) && cairn_verrors_rule(e, i)[0], "empty rule");
        }
        cairn_verrors_free(e);

        char *out = NULL;
        size_t olen = 0;
        rc = cairn_schema_fill_defaults(sc, doc, dlen, &out, &olen);
        FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EFORMAT || rc == CAIRN_EINVAL ||
                       rc == CAIRN_ENOMEM,
                   "fill status %d", rc);
        if (rc == CAIRN_OK) {
            FUZZ_CHECK(out && strlen(out) == olen, "fill output length");
            FUZZ_CHECK(cairn__json_check(out, olen) == CAIRN_OK, "fill wrote no JSON: %s",
                       cairn_errmsg());
        }
        cairn_free(out);
        cairn_schema_free(sc);
    }
    free(schema);
    free(doc);
    return 0;
}
