/*
 * test_schema.c — what the JSON-Schema-Test-Suite does not cover: error
 * paths and messages, max_errors, bad schemas, format assertion, defaults,
 * Pydantic-shaped schemas (v1 and v2), the JSON tree, and hostile input
 * (deep nesting, $ref loops, invalid UTF-8, huge numbers).
 */
#include "unit.h"

#include "base/jdom.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static cairn_schema *compile_ok(const char *json, unsigned flags)
{
    cairn_schema_opts opt = {0};
    opt.flags = flags;
    cairn_schema *sc = NULL;
    int rc = cairn_schema_compile(json, strlen(json), &opt, &sc);
    if (rc != CAIRN_OK)
        fail_msg("schema %s: %s (%s)", json, cairn_strerror(rc), cairn_errmsg());
    return sc;
}

/* Validate doc; expect status want; returns the errors (caller frees). */
static cairn_verrors *check(const cairn_schema *sc, const char *doc, int want)
{
    cairn_verrors *e = NULL;
    int rc = cairn_schema_validate(sc, doc, strlen(doc), &e);
    if (rc != want)
        fail_msg("document %s: %s (%s), expected %s", doc, cairn_strerror(rc), cairn_errmsg(),
                 cairn_strerror(want));
    if ((rc == CAIRN_EVALIDATION) != (e != NULL))
        fail_msg("document %s: error list %p with status %d", doc, (void *)e, rc);
    return e;
}

/* Is (path, rule) among the errors? */
static void has_error(const cairn_verrors *e, const char *path, const char *rule)
{
    for (size_t i = 0; i < cairn_verrors_count(e); i++)
        if (!strcmp(cairn_verrors_path(e, i), path) && strstr(cairn_verrors_rule(e, i), rule))
            return;
    char all[4096] = "";
    size_t o = 0;
    for (size_t i = 0; i < cairn_verrors_count(e) && o < sizeof all - 200; i++)
        o += (size_t)snprintf(all + o, sizeof all - o, "\n    '%s': %s", cairn_verrors_path(e, i),
                              cairn_verrors_rule(e, i));
    fail_msg("no error '%s' containing \"%s\" among:%s", path, rule, all);
}

static void expect_compile_error(const char *json, int want, const char *msg_part)
{
    cairn_schema *sc = NULL;
    int rc = cairn_schema_compile(json, strlen(json), NULL, &sc);
    if (rc != want)
        fail_msg("schema %s: %s (%s), expected %s", json, cairn_strerror(rc), cairn_errmsg(),
                 cairn_strerror(want));
    assert_null(sc);
    if (!strstr(cairn_errmsg(), msg_part))
        fail_msg("schema %s: message \"%s\" lacks \"%s\"", json, cairn_errmsg(), msg_part);
}

static const char members_schema[] =
    "{\"type\":\"object\",\"required\":[\"name\",\"members\"],\"properties\":{"
    "\"name\":{\"type\":\"string\",\"pattern\":\"^a\"},"
    "\"size\":{\"type\":\"integer\",\"maximum\":5},"
    "\"members\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
    "\"required\":[\"age\"],\"properties\":{\"age\":{\"type\":\"integer\",\"minimum\":0}}}}}}";

static void schema_error_paths_and_rules(void **state)
{
    (void)state;
    cairn_schema *sc = compile_ok(members_schema, 0);
    cairn_verrors_free(check(sc, "{\"name\":\"ann\",\"members\":[{\"age\":3}]}", CAIRN_OK));

    cairn_verrors *e = check(sc,
                             "{\"name\":\"bob\",\"size\":7,\"members\":[{\"age\":1},"
                             "{\"age\":\"x\"},{},{\"age\":-1}]}",
                             CAIRN_EVALIDATION);
    assert_int_equal(cairn_verrors_count(e), 5);
    assert_false(cairn_verrors_truncated(e));
    has_error(e, "/name", "does not match pattern '^a'");
    has_error(e, "/size", "value 7 is above the maximum 5");
    has_error(e, "/members/1/age", "expected integer, got string");
    has_error(e, "/members/2", "required property 'age' is missing");
    has_error(e, "/members/3/age", "value -1 is below the minimum 0");
    /* cairn_errmsg() holds the first one as PATH: RULE */
    assert_string_equal(cairn_errmsg(), "/name: does not match pattern '^a'");
    cairn_verrors_free(e);

    /* The document itself: path "", shown as "/" in the message. */
    e = check(sc, "[]", CAIRN_EVALIDATION);
    assert_int_equal(cairn_verrors_count(e), 1);
    assert_string_equal(cairn_verrors_path(e, 0), "");
    assert_string_equal(cairn_verrors_rule(e, 0), "expected object, got array");
    assert_string_equal(cairn_errmsg(), "/: expected object, got array");
    /* out of range */
    assert_null(cairn_verrors_path(e, 1));
    assert_null(cairn_verrors_rule(e, 1));
    cairn_verrors_free(e);

    /* errs may be NULL */
    assert_rc(cairn_schema_validate(sc, "{}", 2, NULL), CAIRN_EVALIDATION);
    assert_non_null(strstr(cairn_errmsg(), "required property"));
    cairn_schema_free(sc);

    /* More rules, each as a phrase. */
    sc = compile_ok("{\"properties\":{"
                    "\"a\":{\"anyOf\":[{\"minLength\":5},{\"pattern\":\"^x\"}]},"
                    "\"a2\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"boolean\"}]},"
                    "\"b\":{\"oneOf\":[{\"minimum\":0},{\"maximum\":10}]},"
                    "\"c\":{\"not\":{\"type\":\"null\"}},\"d\":{\"enum\":[1,2]},"
                    "\"e\":{\"const\":\"k\"},\"f\":{\"minLength\":2,\"maxLength\":3},"
                    "\"g\":{\"uniqueItems\":true,\"minItems\":3},"
                    "\"h\":{\"exclusiveMinimum\":1,\"multipleOf\":2},"
                    "\"i\":{\"additionalProperties\":false,\"properties\":{\"x\":{}}},"
                    "\"j\":{\"dependentRequired\":{\"x\":[\"y\"]}},"
                    "\"k\":false,\"l\":{\"contains\":{\"type\":\"string\"}}}}",
                    0);
    e = check(sc,
              "{\"a\":\"s\",\"a2\":\"s\",\"b\":5,\"c\":null,\"d\":3,\"e\":\"K\",\"f\":\"\xc3\xa9\",\"g\":[1,1.0],"
              "\"h\":1,\"i\":{\"x\":1,\"z\":2},\"j\":{\"x\":1},\"k\":0,\"l\":[1]}",
              CAIRN_EVALIDATION);
    has_error(e, "/a", "not valid against any schema of anyOf");
    has_error(e, "/a2", "expected integer or boolean, got string");
    has_error(e, "/b", "valid against more than one schema of oneOf");
    has_error(e, "/c", "must not be valid against the schema of not");
    has_error(e, "/d", "not one of the 2 enum values");
    has_error(e, "/e", "does not equal the const value");
    has_error(e, "/f", "string of 1 characters is shorter than minLength 2");
    has_error(e, "/g", "items 0 and 1 are equal");
    has_error(e, "/g", "fewer than minItems 3");
    has_error(e, "/h", "not above the exclusive minimum 1");
    has_error(e, "/h", "not a multiple of 2");
    has_error(e, "/i/z", "additional property 'z' is not allowed");
    has_error(e, "/j", "property 'y' is required when 'x' is present");
    has_error(e, "/k", "false schema");
    has_error(e, "/l", "no item matches the contains schema");
    cairn_verrors_free(e);
    cairn_schema_free(sc);
}

static void schema_pointer_escaping(void **state)
{
    (void)state;
    cairn_schema *sc = compile_ok("{\"additionalProperties\":{\"type\":\"integer\"}}", 0);
    cairn_verrors *e = check(sc, "{\"a/b\":\"x\",\"m~n\":\"y\",\"~/\":[],\"\":null}",
                             CAIRN_EVALIDATION);
    assert_int_equal(cairn_verrors_count(e), 4);
    has_error(e, "/a~1b", "expected integer, got string");
    has_error(e, "/m~0n", "expected integer, got string");
    has_error(e, "/~0~1", "expected integer, got array");
    has_error(e, "/", "expected integer, got null"); /* the member named "" */
    cairn_verrors_free(e);
    cairn_schema_free(sc);

    /* An escaped key (unescaped in the tree) is escaped again in the pointer. */
    sc = compile_ok("{\"properties\":{\"a\\\"b\":{\"type\":\"string\"}}}", 0);
    e = check(sc, "{\"a\\u0022b\":1}", CAIRN_EVALIDATION);
    has_error(e, "/a\"b", "expected string, got integer");
    cairn_verrors_free(e);
    cairn_schema_free(sc);
}

static void schema_max_errors(void **state)
{
    (void)state;
    const char *schema = "{\"items\":{\"type\":\"string\"}}";
    cairn_schema_opts opt = {0};
    opt.max_errors = 3;
    cairn_schema *sc = NULL;
    assert_rc(cairn_schema_compile(schema, strlen(schema), &opt, &sc), CAIRN_OK);
    cairn_verrors *e = check(sc, "[1,2,3,4,5,6,7,8,9,10]", CAIRN_EVALIDATION);
    assert_int_equal(cairn_verrors_count(e), 3);
    assert_true(cairn_verrors_truncated(e));
    assert_string_equal(cairn_verrors_path(e, 2), "/2");
    cairn_verrors_free(e);
    /* exactly max_errors: not truncated */
    e = check(sc, "[1,2,3]", CAIRN_EVALIDATION);
    assert_int_equal(cairn_verrors_count(e), 3);
    assert_false(cairn_verrors_truncated(e));
    cairn_verrors_free(e);
    cairn_schema_free(sc);

    /* default: 100 */
    sc = compile_ok(schema, 0);
    char doc[1024] = "[";
    for (int i = 0; i < 150; i++)
        strcat(doc, i ? ",0" : "0");
    strcat(doc, "]");
    e = check(sc, doc, CAIRN_EVALIDATION);
    assert_int_equal(cairn_verrors_count(e), 100);
    assert_true(cairn_verrors_truncated(e));
    cairn_verrors_free(e);
    cairn_schema_free(sc);

    /* NULL lists */
    assert_int_equal(cairn_verrors_count(NULL), 0);
    assert_int_equal(cairn_verrors_truncated(NULL), 0);
    assert_null(cairn_verrors_path(NULL, 0));
    cairn_verrors_free(NULL);
    cairn_schema_free(NULL);
}

static int no_documents(void *ctx, const char *uri, char **json, size_t *len)
{
    (void)ctx;
    (void)uri;
    (void)json;
    (void)len;
    return CAIRN_ENOTFOUND;
}

static void schema_bad_schemas(void **state)
{
    (void)state;
    expect_compile_error("{\"type\":", CAIRN_EFORMAT, "invalid JSON at byte");
    expect_compile_error("", CAIRN_EFORMAT, "invalid JSON");
    expect_compile_error("[1]", CAIRN_EINVAL, "an object or a boolean");
    expect_compile_error("{\"minimum\":\"x\"}", CAIRN_EINVAL, "/minimum: must be a number");
    expect_compile_error("{\"type\":\"strng\"}", CAIRN_EINVAL, "/type: must be a type name");
    expect_compile_error("{\"properties\":{\"a\":{\"pattern\":\"(\"}}}", CAIRN_EINVAL,
                         "schema /properties/a/pattern: bad regular expression '('");
    expect_compile_error("{\"patternProperties\":{\"[\":{}}}", CAIRN_EINVAL,
                         "/patternProperties/[: bad regular expression");
    expect_compile_error("{\"items\":{\"minItems\":-1}}", CAIRN_EINVAL,
                         "/items/minItems: must be a non-negative integer");
    expect_compile_error("{\"maxLength\":1.5}", CAIRN_EINVAL, "non-negative integer");
    expect_compile_error("{\"multipleOf\":0}", CAIRN_EINVAL, "/multipleOf: must be a number above 0");
    expect_compile_error("{\"required\":[\"a\",1]}", CAIRN_EINVAL, "/required: must be an array of strings");
    expect_compile_error("{\"allOf\":[]}", CAIRN_EINVAL, "/allOf: must be a non-empty array");
    expect_compile_error("{\"anyOf\":[{},3]}", CAIRN_EINVAL, "/anyOf/1: must be a schema");
    expect_compile_error("{\"properties\":{\"a/b\":{\"$ref\":\"#/$defs/nope\"}}}", CAIRN_EINVAL,
                         "schema /properties/a~1b/$ref: $ref '");
    expect_compile_error("{\"$ref\":\"#/$defs/nope\"}", CAIRN_EINVAL, "points nowhere");
    expect_compile_error("{\"$ref\":\"#nope\"}", CAIRN_EINVAL, "no such anchor");
    expect_compile_error("{\"$ref\":\"#/enum\",\"enum\":[1]}", CAIRN_EINVAL, "not a schema");
    expect_compile_error("{\"$defs\":{\"a\":{\"type\":1}}}", CAIRN_EINVAL, "/$defs/a/type");
    expect_compile_error("{\"$ref\":\"http://example.com/x.json\"}", CAIRN_EUNSUPPORTED,
                         "no loader");
    /* booleans are schemas */
    cairn_schema *sc = compile_ok("true", 0);
    cairn_verrors_free(check(sc, "[1,{}]", CAIRN_OK));
    cairn_schema_free(sc);
    sc = compile_ok("false", 0);
    cairn_verrors_free(check(sc, "1", CAIRN_EVALIDATION));
    cairn_schema_free(sc);
    /* unknown keywords are annotations */
    sc = compile_ok("{\"x-whatever\":{\"type\":7},\"title\":\"T\"}", 0);
    cairn_verrors_free(check(sc, "1", CAIRN_OK));
    cairn_schema_free(sc);

    /* $schema: a draft's metaschema is never fetched; one the loader does not
     * have leaves every vocabulary on */
    static const char *const metas[] = {
        "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"integer\"}",
        "{\"$schema\":\"https://example.com/unknown-meta\",\"type\":\"integer\"}",
    };
    for (size_t i = 0; i < 2; i++) {
        cairn_schema_opts opt = {0};
        opt.loader = no_documents;
        assert_rc(cairn_schema_compile(metas[i], strlen(metas[i]), &opt, &sc), CAIRN_OK);
        cairn_verrors_free(check(sc, "\"x\"", CAIRN_EVALIDATION));
        cairn_schema_free(sc);
    }
    /* a $ref the loader cannot give */
    cairn_schema_opts lopt = {0};
    lopt.loader = no_documents;
    const char *remote = "{\"properties\":{\"a\":{\"$ref\":\"http://x.org/y.json#/a\"}}}";
    sc = (cairn_schema *)1;
    assert_rc(cairn_schema_compile(remote, strlen(remote), &lopt, &sc), CAIRN_EINVAL);
    assert_null(sc);
    assert_non_null(strstr(cairn_errmsg(), "/properties/a/$ref: cannot load 'http://x.org/y.json'"));

    /* NULL arguments */
    assert_rc(cairn_schema_compile("{}", 2, NULL, NULL), CAIRN_EINVAL);
    assert_rc(cairn_schema_validate(NULL, "{}", 2, NULL), CAIRN_EINVAL);
}

static void schema_not_json_document(void **state)
{
    (void)state;
    cairn_schema *sc = compile_ok("{}", 0);
    cairn_verrors *e = (cairn_verrors *)1;
    assert_rc(cairn_schema_validate(sc, "{\"a\":", 5, &e), CAIRN_EFORMAT);
    assert_null(e);
    assert_non_null(strstr(cairn_errmsg(), "invalid JSON at byte 5"));
    assert_rc(cairn_schema_validate(sc, "\"\xff\"", 3, &e), CAIRN_EFORMAT);
    assert_non_null(strstr(cairn_errmsg(), "invalid UTF-8"));
    assert_rc(cairn_schema_validate(sc, "1 2", 3, &e), CAIRN_EFORMAT);
    assert_rc(cairn_schema_validate(sc, "", 0, &e), CAIRN_EFORMAT);
    char *out = (char *)1;
    assert_rc(cairn_schema_fill_defaults(sc, "[", 1, &out, NULL), CAIRN_EFORMAT);
    assert_null(out);
    cairn_schema_free(sc);
}

static void format_case(const char *fmt, const char *good, const char *bad)
{
    char schema[128], gdoc[256], bdoc[256];
    snprintf(schema, sizeof schema, "{\"format\":\"%s\"}", fmt);
    snprintf(gdoc, sizeof gdoc, "\"%s\"", good);
    snprintf(bdoc, sizeof bdoc, "\"%s\"", bad);
    cairn_schema *on = compile_ok(schema, CAIRN_SCHEMA_FORMAT_ASSERT);
    cairn_schema *off = compile_ok(schema, 0);
    cairn_verrors_free(check(on, gdoc, CAIRN_OK));
    cairn_verrors *e = check(on, bdoc, CAIRN_EVALIDATION);
    char rule[64];
    snprintf(rule, sizeof rule, "is not a valid %s", fmt);
    has_error(e, "", rule);
    cairn_verrors_free(e);
    cairn_verrors_free(check(off, bdoc, CAIRN_OK)); /* annotation only */
    cairn_verrors_free(check(on, "42", CAIRN_OK));  /* formats apply to strings */
    cairn_schema_free(on);
    cairn_schema_free(off);
}

static void schema_format_assertion(void **state)
{
    (void)state;
    format_case("date-time", "2024-02-29T23:59:60Z", "2023-02-29T10:00:00Z");
    format_case("date-time", "2024-01-05T10:00:00.123+05:30", "2024-01-05 10:00:00Z");
    format_case("date", "2000-02-29", "1900-02-29");
    format_case("date", "2024-12-31", "2024-13-01");
    format_case("time", "08:30:00-02:00", "24:00:00Z");
    format_case("time", "23:59:60Z", "12:59:60Z"); /* a leap second only at 23:59 UTC */
    format_case("uuid", "2EB8AA08-AA98-11EA-B4AA-73B441D16380", "2eb8aa08-aa98-11ea-b4aa-73b441d1638");
    format_case("email", "joe.bloggs@example.com", "joe..bloggs@example.com");
    format_case("email", "a@[127.0.0.1]", "no-at-sign");
    format_case("ipv4", "192.168.0.1", "192.168.0.01");
    format_case("ipv6", "::ffff:1.2.3.4", "1::2::3");
    format_case("ipv6", "2001:db8::1", "12345::");
    format_case("hostname", "www.example.com", "-bad.example.com");
    format_case("uri", "http://x.org/a?b#c", "//no-scheme");
    /* an unknown format is an annotation even when asserting */
    cairn_schema *sc = compile_ok("{\"format\":\"color\"}", CAIRN_SCHEMA_FORMAT_ASSERT);
    cairn_verrors_free(check(sc, "\"not a colour\"", CAIRN_OK));
    cairn_schema_free(sc);
}

static void expect_filled(const cairn_schema *sc, const char *doc, const char *want)
{
    char *out = NULL;
    size_t n = 0;
    int rc = cairn_schema_fill_defaults(sc, doc, strlen(doc), &out, &n);
    if (rc != CAIRN_OK)
        fail_msg("fill %s: %s (%s)", doc, cairn_strerror(rc), cairn_errmsg());
    if (strcmp(out, want) || n != strlen(want))
        fail_msg("fill %s: got %s, expected %s", doc, out, want);
    cairn_free(out);
}

static void schema_fill_defaults(void **state)
{
    (void)state;
    cairn_schema *sc = compile_ok(
        "{\"$defs\":{\"Opts\":{\"properties\":{\"depth\":{\"type\":\"integer\",\"default\":3},"
        "\"tags\":{\"default\":[\"a\",\"b\\n\"]}}}},"
        "\"properties\":{\"name\":{\"type\":\"string\"},\"n\":{\"default\":1.50},"
        "\"opts\":{\"$ref\":\"#/$defs/Opts\",\"default\":{}},"
        "\"more\":{\"allOf\":[{\"$ref\":\"#/$defs/Opts\"}]},"
        "\"list\":{\"items\":{\"$ref\":\"#/$defs/Opts\"}},"
        "\"either\":{\"anyOf\":[{\"$ref\":\"#/$defs/Opts\"}]}},"
        "\"allOf\":[{\"properties\":{\"extra\":{\"default\":null}}}]}",
        0);
    /* missing properties filled, recursively into the filled default;
     * number text kept; nothing through anyOf */
    expect_filled(sc, "{ \"name\" : \"x\" }",
                  "{\"name\":\"x\",\"n\":1.50,\"opts\":{\"depth\":3,\"tags\":[\"a\",\"b\\n\"]},"
                  "\"extra\":null}");
    /* present values are kept; nested objects get theirs */
    expect_filled(sc,
                  "{\"n\":2,\"opts\":{\"depth\":9},\"more\":{},\"list\":[{},{\"tags\":[]}],"
                  "\"either\":{},\"extra\":\"e\"}",
                  "{\"n\":2,\"opts\":{\"depth\":9,\"tags\":[\"a\",\"b\\n\"]},"
                  "\"more\":{\"depth\":3,\"tags\":[\"a\",\"b\\n\"]},"
                  "\"list\":[{\"depth\":3,\"tags\":[\"a\",\"b\\n\"]},{\"tags\":[],\"depth\":3}],"
                  "\"either\":{},\"extra\":\"e\"}");
    /* not an object: as it was, re-serialised compactly */
    expect_filled(sc, " [ 1 , \"\\u00e9\\t\" ] ", "[1,\"\xc3\xa9\\t\"]");
    cairn_schema_free(sc);

    /* a default that brings itself again: refused, not endless (two such
     * properties would double at every level) */
    sc = compile_ok("{\"properties\":{\"a\":{\"$ref\":\"#\",\"default\":{}},"
                    "\"b\":{\"$ref\":\"#\",\"default\":{}}}}",
                    0);
    char *out = (char *)1;
    assert_rc(cairn_schema_fill_defaults(sc, "{}", 2, &out, NULL), CAIRN_EINVAL);
    assert_null(out);
    assert_non_null(strstr(cairn_errmsg(), "refers to itself"));
    /* present values stop it: nothing is missing */
    expect_filled(sc, "{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":2}");
    cairn_schema_free(sc);
}

/* What Pydantic v2 exports for
 *   class Member(BaseModel): name: str; age: int = Field(ge=0); email: Optional[str] = None
 *   class Team(BaseModel): title: str; members: list[Member]; lead: Optional[Member] = None */
static const char pydantic_v2[] =
    "{\"$defs\":{\"Member\":{\"properties\":{\"name\":{\"title\":\"Name\",\"type\":\"string\"},"
    "\"age\":{\"minimum\":0,\"title\":\"Age\",\"type\":\"integer\"},"
    "\"email\":{\"anyOf\":[{\"format\":\"email\",\"type\":\"string\"},{\"type\":\"null\"}],"
    "\"default\":null,\"title\":\"Email\"}},\"required\":[\"name\",\"age\"],"
    "\"title\":\"Member\",\"type\":\"object\"}},"
    "\"properties\":{\"title\":{\"title\":\"Title\",\"type\":\"string\"},"
    "\"members\":{\"items\":{\"$ref\":\"#/$defs/Member\"},\"title\":\"Members\",\"type\":\"array\"},"
    "\"lead\":{\"anyOf\":[{\"$ref\":\"#/$defs/Member\"},{\"type\":\"null\"}],\"default\":null}},"
    "\"required\":[\"title\",\"members\"],\"title\":\"Team\",\"type\":\"object\"}";

static void schema_pydantic_v2(void **state)
{
    (void)state;
    cairn_schema *sc = compile_ok(pydantic_v2, CAIRN_SCHEMA_FORMAT_ASSERT);
    cairn_verrors_free(check(sc,
                             "{\"title\":\"t\",\"members\":[{\"name\":\"a\",\"age\":1,"
                             "\"email\":null},{\"name\":\"b\",\"age\":2.0,\"email\":\"b@x.org\"}],"
                             "\"lead\":null}",
                             CAIRN_OK));
    cairn_verrors *e = check(sc,
                             "{\"title\":\"t\",\"members\":[{\"name\":\"a\",\"age\":1},"
                             "{\"name\":\"b\",\"age\":\"12\",\"email\":\"nope\"}],"
                             "\"lead\":{\"name\":\"c\"}}",
                             CAIRN_EVALIDATION);
    has_error(e, "/members/1/age", "expected integer, got string");
    /* Optional[...]: the branch that fits the value's type explains */
    has_error(e, "/members/1/email", "is not a valid email");
    has_error(e, "/lead", "required property 'age' is missing");
    assert_int_equal(cairn_verrors_count(e), 3);
    cairn_verrors_free(e);
    /* a value of neither type: the types of both */
    e = check(sc, "{\"title\":\"t\",\"members\":[],\"lead\":7}", CAIRN_EVALIDATION);
    has_error(e, "/lead", "expected object or null, got integer");
    cairn_verrors_free(e);
    cairn_schema_free(sc);

    /* A discriminated union (Union[Cat, Dog] = Field(discriminator="kind")):
     * the branch whose tag matches explains, the others are ruled out. */
    sc = compile_ok(
        "{\"$defs\":{\"Cat\":{\"properties\":{\"kind\":{\"const\":\"cat\",\"title\":\"Kind\"},"
        "\"lives\":{\"type\":\"integer\",\"maximum\":9}},\"required\":[\"kind\",\"lives\"],"
        "\"type\":\"object\"},\"Dog\":{\"properties\":{\"kind\":{\"enum\":[\"dog\"]},"
        "\"good\":{\"type\":\"boolean\"}},\"required\":[\"kind\",\"good\"],\"type\":\"object\"}},"
        "\"properties\":{\"pet\":{\"discriminator\":{\"mapping\":{\"cat\":\"#/$defs/Cat\","
        "\"dog\":\"#/$defs/Dog\"},\"propertyName\":\"kind\"},"
        "\"oneOf\":[{\"$ref\":\"#/$defs/Cat\"},{\"$ref\":\"#/$defs/Dog\"}]}}}",
        0);
    cairn_verrors_free(check(sc, "{\"pet\":{\"kind\":\"dog\",\"good\":true}}", CAIRN_OK));
    e = check(sc, "{\"pet\":{\"kind\":\"cat\",\"lives\":10}}", CAIRN_EVALIDATION);
    assert_int_equal(cairn_verrors_count(e), 1);
    has_error(e, "/pet/lives", "value 10 is above the maximum 9");
    cairn_verrors_free(e);
    e = check(sc, "{\"pet\":{\"kind\":\"dog\"}}", CAIRN_EVALIDATION);
    has_error(e, "/pet", "required property 'good' is missing");
    cairn_verrors_free(e);
    e = check(sc, "{\"pet\":{\"kind\":\"cow\"}}", CAIRN_EVALIDATION);
    has_error(e, "/pet", "not valid against any schema of oneOf");
    cairn_verrors_free(e);
    cairn_schema_free(sc);
    sc = compile_ok(pydantic_v2, CAIRN_SCHEMA_FORMAT_ASSERT);
    expect_filled(sc, "{\"title\":\"t\",\"members\":[{\"name\":\"a\",\"age\":1}]}",
                  "{\"title\":\"t\",\"members\":[{\"name\":\"a\",\"age\":1,\"email\":null}],"
                  "\"lead\":null}");
    cairn_schema_free(sc);
}

/* Pydantic v1: "definitions", and a $ref with siblings wrapped in allOf. */
static const char pydantic_v1[] =
    "{\"title\":\"Team\",\"type\":\"object\",\"properties\":{"
    "\"title\":{\"title\":\"Title\",\"type\":\"string\"},"
    "\"lead\":{\"title\":\"Lead\",\"allOf\":[{\"$ref\":\"#/definitions/Member\"}],"
    "\"default\":{\"name\":\"nobody\"}},"
    "\"members\":{\"title\":\"Members\",\"type\":\"array\","
    "\"items\":{\"$ref\":\"#/definitions/Member\"}}},"
    "\"required\":[\"title\"],\"definitions\":{\"Member\":{\"title\":\"Member\",\"type\":\"object\","
    "\"properties\":{\"name\":{\"title\":\"Name\",\"type\":\"string\"},"
    "\"age\":{\"title\":\"Age\",\"default\":18,\"exclusiveMinimum\":0,\"type\":\"integer\"}},"
    "\"required\":[\"name\"]}}}";

static void schema_pydantic_v1(void **state)
{
    (void)state;
    cairn_schema *sc = compile_ok(pydantic_v1, 0);
    cairn_verrors_free(check(sc, "{\"title\":\"t\",\"lead\":{\"name\":\"l\",\"age\":40}}",
                             CAIRN_OK));
    cairn_verrors *e = check(sc, "{\"title\":\"t\",\"lead\":{\"age\":0},\"members\":[{\"name\":1}]}",
                             CAIRN_EVALIDATION);
    has_error(e, "/lead", "required property 'name' is missing");
    has_error(e, "/lead/age", "value 0 is not above the exclusive minimum 0");
    has_error(e, "/members/0/name", "expected string, got integer");
    cairn_verrors_free(e);
    expect_filled(sc, "{\"title\":\"t\",\"members\":[{\"name\":\"m\"}]}",
                  "{\"title\":\"t\",\"members\":[{\"name\":\"m\",\"age\":18}],"
                  "\"lead\":{\"name\":\"nobody\",\"age\":18}}");
    cairn_schema_free(sc);
}

/* One compiled schema, many threads validating at once (ASan/TSan builds
 * see any shared write). */
typedef struct {
    const cairn_schema *sc;
    int bad; /* results that differ from the expected ones */
} thread_arg;

static void *validate_many(void *p)
{
    thread_arg *t = p;
    for (int i = 0; i < 2000; i++) {
        cairn_verrors *e = NULL;
        const char *good = "{\"title\":\"t\",\"members\":[{\"name\":\"a\",\"age\":1}]}";
        const char *bad = "{\"title\":\"t\",\"members\":[{\"name\":\"a\",\"age\":-1}]}";
        if (cairn_schema_validate(t->sc, good, strlen(good), NULL) != CAIRN_OK)
            t->bad++;
        if (cairn_schema_validate(t->sc, bad, strlen(bad), &e) != CAIRN_EVALIDATION ||
            strcmp(cairn_verrors_path(e, 0), "/members/0/age") != 0 ||
            strcmp(cairn_errmsg(), "/members/0/age: value -1 is below the minimum 0") != 0)
            t->bad++;
        cairn_verrors_free(e);
    }
    return NULL;
}

static void schema_threads(void **state)
{
    (void)state;
    cairn_schema *sc = compile_ok(pydantic_v2, CAIRN_SCHEMA_FORMAT_ASSERT);
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){sc, 0};
        assert_int_equal(pthread_create(&th[i], NULL, validate_many, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(args[i].bad, 0);
    }
    cairn_schema_free(sc);
}

static char *nested(const char *open, const char *mid, const char *close, int depth)
{
    size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
    char *s = malloc((size_t)depth * (lo + lc) + lm + 1), *p = s;
    assert_non_null(s);
    for (int i = 0; i < depth; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, mid, lm);
    p += lm;
    for (int i = 0; i < depth; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    return s;
}

static void schema_hostile_nesting(void **state)
{
    (void)state;
    /* documents: 512 levels are fine, 513 are not JSON for cairn */
    cairn_schema *sc = compile_ok("{\"items\":{\"$ref\":\"#\"},\"type\":\"array\"}", 0);
    char *doc = nested("[", "", "]", 512);
    cairn_verrors_free(check(sc, doc, CAIRN_OK));
    free(doc);
    doc = nested("[", "1", "]", 300);
    cairn_verrors *e = check(sc, doc, CAIRN_EVALIDATION);
    assert_int_equal(strlen(cairn_verrors_path(e, 0)), 2 * 300); /* "/0" x 300 */
    has_error(e, cairn_verrors_path(e, 0), "expected array, got integer");
    cairn_verrors_free(e);
    free(doc);
    doc = nested("[", "", "]", 513);
    assert_rc(cairn_schema_validate(sc, doc, strlen(doc), NULL), CAIRN_EFORMAT);
    assert_non_null(strstr(cairn_errmsg(), "nesting deeper than 512"));
    free(doc);
    cairn_schema_free(sc);

    /* schemas nested beyond the limit are refused as JSON */
    char *schema = nested("{\"not\":", "{}", "}", 600);
    expect_compile_error(schema, CAIRN_EFORMAT, "nesting deeper than 512");
    free(schema);

    /* $ref loops that never descend into the value end with an error */
    const char *loops[] = {
        "{\"$ref\":\"#\"}",
        ("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"allOf\":[{\"$ref\":\"#/$defs/a\"}]}},"
         "\"$ref\":\"#/$defs/a\"}"),
        /* inside not / anyOf: still reported, still invalid */
        "{\"not\":{\"$ref\":\"#\"}}",
        "{\"anyOf\":[{\"$ref\":\"#\"},true]}",
    };
    for (size_t i = 0; i < sizeof loops / sizeof *loops; i++) {
        sc = compile_ok(loops[i], 0);
        e = check(sc, "{}", CAIRN_EVALIDATION);
        has_error(e, "", "a $ref loop?");
        cairn_verrors_free(e);
        cairn_schema_free(sc);
    }

    /* a long chain of $refs compiles without deep recursion */
    enum { CHAIN = 20000 };
    char *chain = malloc((size_t)CHAIN * 48 + 64), *p = chain;
    assert_non_null(chain);
    p += sprintf(p, "{\"$ref\":\"#/$defs/d0\",\"$defs\":{");
    for (int i = 0; i < CHAIN; i++)
        p += sprintf(p, "%s\"d%d\":{\"$ref\":\"#/$defs/d%d\"}", i ? "," : "", i,
                     i + 1 < CHAIN ? i + 1 : -1);
    p += sprintf(p, ",\"d-1\":{\"type\":\"integer\"}}}");
    sc = compile_ok(chain, 0);
    free(chain);
    e = check(sc, "1", CAIRN_EVALIDATION); /* deeper than the evaluation limit */
    has_error(e, "", "deeper than");
    cairn_verrors_free(e);
    cairn_schema_free(sc);
}

static void schema_values_and_strings(void **state)
{
    (void)state;
    /* semantic equality */
    cairn_schema *sc = compile_ok("{\"properties\":{\"e\":{\"enum\":[1.0,{\"a\":1,\"b\":[2]}]},"
                                  "\"u\":{\"uniqueItems\":true},"
                                  "\"c\":{\"const\":{\"x\":[1,{\"y\":null}]}}}}",
                                  0);
    cairn_verrors_free(check(sc, "{\"e\":1,\"c\":{\"x\":[1.0,{\"y\":null}]},\"u\":[1,\"1\",[1],{}]}",
                             CAIRN_OK));
    cairn_verrors_free(check(sc, "{\"e\":{\"b\":[2.0],\"a\":1e0}}", CAIRN_OK));
    cairn_verrors *e = check(sc, "{\"u\":[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]}",
                             CAIRN_EVALIDATION);
    has_error(e, "/u", "items 0 and 1 are equal");
    cairn_verrors_free(e);
    cairn_schema_free(sc);

    /* lengths count code points; escapes are decoded first */
    sc = compile_ok("{\"maxLength\":2,\"minLength\":2}", 0);
    cairn_verrors_free(check(sc, "\"\xe6\x97\xa5\xe6\x9c\xac\"", CAIRN_OK));
    cairn_verrors_free(check(sc, "\"\\ud83d\\ude00\xf0\x9f\x98\x80\"", CAIRN_OK));
    cairn_verrors_free(check(sc, "\"\\u0041\\n\"", CAIRN_OK));
    e = check(sc, "\"abcdefghijklmnopqrstuvwxyz\"", CAIRN_EVALIDATION);
    has_error(e, "", "string of 26 characters is longer than maxLength 2");
    cairn_verrors_free(e);
    cairn_schema_free(sc);

    /* a lone surrogate is JSON, but no regex can read it */
    sc = compile_ok("{\"pattern\":\"^.$\"}", 0);
    cairn_verrors_free(check(sc, "\"\\u00e9\"", CAIRN_OK));
    e = check(sc, "\"\\ud800\"", CAIRN_EVALIDATION);
    has_error(e, "", "lone surrogate");
    cairn_verrors_free(e);
    cairn_schema_free(sc);

    /* \s is ECMA-262's: Unicode spaces too (U+00A0, U+3000), in and out of
     * classes; \S the rest */
    sc = compile_ok("{\"properties\":{\"s\":{\"pattern\":\"^\\\\s+$\"},"
                    "\"c\":{\"pattern\":\"^[\\\\sa]+$\"},\"n\":{\"pattern\":\"^\\\\S+$\"}}}",
                    0);
    cairn_verrors_free(check(sc,
                             "{\"s\":\" \\t\\u00a0\\u3000\\ufeff\",\"c\":\"a\\u2003a\",\"n\":\"x\xc3\xa9\"}",
                             CAIRN_OK));
    e = check(sc, "{\"s\":\"x \",\"c\":\"ab\",\"n\":\"a\\u00a0b\"}", CAIRN_EVALIDATION);
    assert_int_equal(cairn_verrors_count(e), 3);
    cairn_verrors_free(e);
    cairn_schema_free(sc);

    /* a backreference to a group that did not take part matches "" */
    sc = compile_ok("{\"pattern\":\"^(?:(a)|b)\\\\1$\"}", 0);
    cairn_verrors_free(check(sc, "\"b\"", CAIRN_OK));
    cairn_verrors_free(check(sc, "\"aa\"", CAIRN_OK));
    cairn_verrors_free(check(sc, "\"ab\"", CAIRN_EVALIDATION));
    cairn_schema_free(sc);

    /* catastrophic backtracking ends at the match limit, as a failure */
    sc = compile_ok("{\"pattern\":\"^(a|aa)+$\"}", 0);
    cairn_verrors_free(check(sc, "\"aaaa\"", CAIRN_OK));
    e = check(sc, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"",
              CAIRN_EVALIDATION);
    has_error(e, "", "the regex backtracking limit was reached");
    cairn_verrors_free(e);
    cairn_schema_free(sc);

    /* ECMA-262-ish patterns: \d is ASCII, $ only at the very end, \p{Letter} */
    sc = compile_ok("{\"patternProperties\":{\"^\\\\d+$\":{\"type\":\"integer\"},"
                    "\"^\\\\p{Letter}+$\":{\"type\":\"string\"}},"
                    "\"additionalProperties\":false}",
                    0);
    cairn_verrors_free(check(sc, "{\"12\":1,\"\xcf\x80x\":\"s\"}", CAIRN_OK));
    e = check(sc, "{\"12\\n\":1,\"\xd9\xa3\":1}", CAIRN_EVALIDATION); /* Arabic-Indic three */
    has_error(e, "/12\n", "additional property");
    has_error(e, "/\xd9\xa3", "additional property");
    cairn_verrors_free(e);
    cairn_schema_free(sc);

    /* huge and tiny numbers */
    sc = compile_ok("{\"properties\":{\"a\":{\"maximum\":1e308},\"b\":{\"type\":\"integer\"},"
                    "\"c\":{\"multipleOf\":0.01},\"d\":{\"minimum\":-9223372036854775808}}}",
                    0);
    cairn_verrors_free(check(sc,
                             "{\"a\":1e308,\"b\":12345678901234567890123,\"c\":19.99,"
                             "\"d\":-9223372036854775808}",
                             CAIRN_OK));
    e = check(sc, "{\"a\":1e400,\"b\":1.5,\"c\":0.001,\"d\":-1e19}",
              CAIRN_EVALIDATION);
    has_error(e, "/a", "value 1e400 is above the maximum 1e308");
    has_error(e, "/b", "expected integer, got number");
    has_error(e, "/c", "not a multiple of 0.01");
    has_error(e, "/d", "below the minimum");
    cairn_verrors_free(e);
    cairn_schema_free(sc);
}

/* The tree itself: numbers, strings, order, equality and the writer. */
static void schema_json_tree(void **state)
{
    (void)state;
    static const char doc[] =
        " {\"b\":[1,-2,3.25,1e2,-0,9223372036854775807,-9223372036854775808,"
        "9223372036854775808,0.1,123456789012345678901234],\"a\":\"x\\u00e9\\\"\\/\","
        "\"\":{},\"t\":true,\"f\":false,\"n\":null} ";
    jd_arena a;
    jd_arena_init(&a, NULL, 0);
    jd_node *root;
    assert_rc(jd_parse(&a, doc, sizeof doc - 1, &root), CAIRN_OK);
    assert_int_equal(root->type, JD_OBJ);
    assert_int_equal(root->n, 6);
    assert_memory_equal(root->u.kids[0].key, "b", 1); /* member order kept */
    const jd_node *b = JD_GET(root, "b");
    assert_int_equal(b->n, 10);
    assert_true(b->u.kids[0].is_int && b->u.kids[0].i == 1);
    assert_true(b->u.kids[1].is_int && b->u.kids[1].i == -2);
    assert_false(b->u.kids[2].integral);
    assert_true(b->u.kids[2].d == 3.25);
    assert_true(b->u.kids[3].is_int && b->u.kids[3].i == 100); /* 1e2 is integral */
    assert_true(b->u.kids[5].is_int && b->u.kids[5].i == INT64_MAX);
    assert_true(b->u.kids[6].is_int && b->u.kids[6].i == INT64_MIN);
    assert_false(b->u.kids[7].is_int); /* beyond int64, still integral */
    assert_true(b->u.kids[7].integral && b->u.kids[7].d == 9223372036854775808.0);
    assert_true(b->u.kids[8].d == 0.1);
    assert_true(b->u.kids[9].integral && b->u.kids[9].d == 123456789012345678901234.0);
    const jd_node *s = JD_GET(root, "a");
    assert_int_equal(s->n, 5);
    assert_memory_equal(s->u.s, "x\xc3\xa9\"/", 5);
    char *out = NULL;
    size_t len = 0, cap = 0;
    assert_rc(jd_write(root, &out, &len, &cap), CAIRN_OK);
    assert_string_equal(out, "{\"b\":[1,-2,3.25,1e2,-0,9223372036854775807,-9223372036854775808,"
                             "9223372036854775808,0.1,123456789012345678901234],"
                             "\"a\":\"x\xc3\xa9\\\"/\",\"\":{},\"t\":true,\"f\":false,\"n\":null}");
    jd_node *again;
    assert_rc(jd_parse(&a, out, len, &again), CAIRN_OK);
    assert_true(jd_equal(root, again));
    free(out);
    /* a big tree spills the arena into several chunks */
    enum { N = 20000 };
    char *big = malloc(N * 4 + 2), *p = big;
    *p++ = '[';
    for (int i = 0; i < N; i++)
        p += sprintf(p, "%s\"%c\"", i ? "," : "", 'a' + i % 26);
    *p++ = ']';
    assert_rc(jd_parse(&a, big, (size_t)(p - big), &again), CAIRN_OK);
    assert_int_equal(again->n, N);
    char last = (char)('a' + (N - 1) % 26);
    assert_int_equal(again->u.kids[N - 1].n, 1);
    assert_memory_equal(again->u.kids[N - 1].u.s, &last, 1);
    free(big);
    jd_arena_free(&a);
}

const tr_case unit_schema_cases[] = {
    TR_CASE(schema_error_paths_and_rules, TR_NONE, 0),
    TR_CASE(schema_pointer_escaping, TR_NONE, 0),
    TR_CASE(schema_max_errors, TR_NONE, 0),
    TR_CASE(schema_bad_schemas, TR_NONE, 0),
    TR_CASE(schema_not_json_document, TR_NONE, 0),
    TR_CASE(schema_format_assertion, TR_NONE, 0),
    TR_CASE(schema_fill_defaults, TR_NONE, 0),
    TR_CASE(schema_pydantic_v2, TR_NONE, 0),
    TR_CASE(schema_pydantic_v1, TR_NONE, 0),
    TR_CASE(schema_threads, TR_NONE, 0),
    TR_CASE(schema_hostile_nesting, TR_NONE, 0),
    TR_CASE(schema_values_and_strings, TR_NONE, 0),
    TR_CASE(schema_json_tree, TR_NONE, 0),
};
const size_t unit_schema_ncases = UNIT_NCASES(unit_schema_cases);
