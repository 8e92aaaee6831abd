/*
 * models.c — conformance: the model registry (register, no-op, different,
 * new version, resolution and ambiguity, list, remove), puts and gets with
 * a model (validation, wrong model, drift, defaults), the handle's schema
 * cache across handles, and registration races between 8 processes.
 */
#include "conf.h"

#include <sys/mman.h>

/* Pydantic-style schemas of the seed's Person and Team. */
static const char person_v1[] =
    "{\"title\":\"Person\",\"type\":\"object\","
    "\"properties\":{\"name\":{\"title\":\"Name\",\"type\":\"string\"},"
    "\"age\":{\"title\":\"Age\",\"type\":\"integer\"},"
    "\"email\":{\"title\":\"Email\",\"type\":\"string\"}},"
    "\"required\":[\"name\",\"age\"]}";
/* the same schema spelt differently: key order and white space */
static const char person_v1_again[] =
    "{ \"required\": [\"name\", \"age\"], \"type\": \"object\", \"title\": \"Person\",\n"
    "  \"properties\": {\"age\": {\"type\": \"integer\", \"title\": \"Age\"},\n"
    "   \"email\": {\"type\": \"string\", \"title\": \"Email\"},\n"
    "   \"name\": {\"type\": \"string\", \"title\": \"Name\"}} }";
/* stricter: adults only, nothing but the three fields */
static const char person_v2[] =
    "{\"title\":\"Person\",\"type\":\"object\","
    "\"properties\":{\"name\":{\"title\":\"Name\",\"type\":\"string\"},"
    "\"age\":{\"title\":\"Age\",\"type\":\"integer\",\"minimum\":18},"
    "\"email\":{\"title\":\"Email\",\"type\":\"string\"}},"
    "\"required\":[\"name\",\"age\"],\"additionalProperties\":false}";
static const char team_schema[] =
    "{\"title\":\"Team\",\"type\":\"object\","
    "\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"members\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/Person\"}}},"
    "\"required\":[\"name\",\"members\"],"
    "\"$defs\":{\"Person\":{\"type\":\"object\","
    "\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"}},"
    "\"required\":[\"name\",\"age\"]}}}";

static int reg(cairn_store *s, const char *ref, const char *schema, unsigned flags,
               char *resolved)
{
    return cairn_model_register(s, ref, schema, strlen(schema), flags, resolved);
}

static int put_model(cairn_store *s, const char *key, const char *json, const char *model,
                     cairn_behavior b)
{
    cairn_put_opts o = {.behavior = b, .model = model};
    return cairn_put(s, key, json, strlen(json), &o);
}

/* The stored model reference of key. */
static void expect_model(cairn_store *s, const char *key, const char *want)
{
    cairn_value *v = NULL;
    assert_ok(cairn_get(s, key, &v));
    assert_string_equal(cairn_value_meta(v)->model, want);
    cairn_value_free(v);
}

/* Every model version, one per line. */
static int list_cb(void *ctx, const char *ns, const char *name, unsigned version,
                   const char *ref)
{
    char *out = ctx, want[200];
    snprintf(want, sizeof want, "%s/%s@%u", ns, name, version);
    assert_string_equal(ref, want);
    size_t l = strlen(out);
    snprintf(out + l, 4096 - l, "%s%s", l ? "\n" : "", ref);
    return 0;
}

static void expect_models(cairn_store *s, const char *want)
{
    char got[4096] = "";
    assert_ok(cairn_model_list(s, list_cb, got));
    assert_string_equal(got, want);
}

static void register_noop_different_version(void **state)
{
    cairn_store *s = FX(state)->s;
    char ref[CAIRN_MODEL_MAX + 1];
    assert_ok(reg(s, "Person", person_v1, 0, ref));
    assert_string_equal(ref, "default/Person@1");
    /* the same schema again, spelt differently: a no-op */
    ref[0] = '\0';
    assert_rc(reg(s, "Person", person_v1_again, 0, ref), CAIRN_SKIPPED);
    assert_string_equal(ref, "default/Person@1");
    assert_rc(reg(s, "default/Person", person_v1, 0, NULL), CAIRN_SKIPPED);
    /* a different one: refused, naming the first difference */
    assert_rc(reg(s, "Person", person_v2, 0, ref), CAIRN_EDIFFERENT);
    assert_errmsg_has("default/Person");
    assert_errmsg_has("/additionalProperties");
    expect_models(s, "default/Person@1");
    /* unless asked for a new version */
    assert_ok(reg(s, "Person", person_v2, CAIRN_MODEL_NEW_VERSION, ref));
    assert_string_equal(ref, "default/Person@2");
    /* the newest is the one compared with */
    assert_rc(reg(s, "Person", person_v2, 0, ref), CAIRN_SKIPPED);
    assert_string_equal(ref, "default/Person@2");
    assert_rc(reg(s, "Person", person_v1, 0, NULL), CAIRN_EDIFFERENT);
    assert_errmsg_has("version 2");
    /* the same name in another namespace is another model */
    assert_ok(reg(s, "hr/Person", person_v2, 0, ref));
    assert_string_equal(ref, "hr/Person@1");
    expect_models(s, "default/Person@1\ndefault/Person@2\nhr/Person@1");

    /* the schema of each version, as registered */
    cairn_value *v = NULL;
    assert_ok(cairn_model_schema(s, "Person@1", &v));
    assert_string_equal(cairn_value_data(v, NULL), person_v1);
    cairn_value_free(v);
    assert_ok(cairn_model_schema(s, "default/Person", &v));
    assert_string_equal(cairn_value_data(v, NULL), person_v2);
    cairn_value_free(v);

    /* integers beyond 64 bits compare (as doubles) too (found by fuzz_model) */
    assert_ok(reg(s, "Big", "{\"default\":100000017938698493993309}", 0, NULL));
    assert_rc(reg(s, "Big", "{ \"default\": 100000017938698493993309 }", 0, NULL),
              CAIRN_SKIPPED);
    assert_rc(reg(s, "Big", "{\"default\":200000017938698493993309}", 0, NULL),
              CAIRN_EDIFFERENT);
    assert_errmsg_has("64 bits");
    assert_ok(cairn_model_remove(s, "Big", NULL));

    /* bad input: distinct codes, nothing registered */
    assert_rc(reg(s, "Person@3", person_v1, CAIRN_MODEL_NEW_VERSION, NULL), CAIRN_EINVAL);
    assert_errmsg_has("no version");
    assert_rc(reg(s, "bad name", person_v1, 0, NULL), CAIRN_EINVAL);
    assert_rc(reg(s, "a/b/c", person_v1, 0, NULL), CAIRN_EINVAL);
    assert_rc(reg(s, "../x", person_v1, 0, NULL), CAIRN_EINVAL);
    assert_rc(reg(s, "ns/", person_v1, 0, NULL), CAIRN_EINVAL);
    assert_rc(reg(s, "x", "{\"type\":", 0, NULL), CAIRN_EFORMAT);
    assert_rc(reg(s, "x", "{\"type\":5}", 0, NULL), CAIRN_EINVAL);
    assert_errmsg_has("does not compile");
    assert_rc(reg(s, "x", person_v1, 0x80, NULL), CAIRN_EINVAL);
    expect_models(s, "default/Person@1\ndefault/Person@2\nhr/Person@1");
}

static void resolution_and_ambiguity(void **state)
{
    cairn_store *s = FX(state)->s;
    char ref[CAIRN_MODEL_MAX + 1];
    assert_ok(reg(s, "User", "{\"type\":\"object\"}", 0, NULL));
    assert_ok(reg(s, "analytics/User", "{\"type\":\"object\",\"required\":[\"user_id\"]}", 0,
                  NULL));
    assert_ok(reg(s, "ml/Metric", "{\"type\":\"number\"}", 0, NULL));
    assert_ok(reg(s, "a/Thing", "true", 0, NULL));
    assert_ok(reg(s, "b/Thing", "false", 0, NULL));
    /* the default namespace first */
    assert_ok(cairn_model_resolve(s, "User", ref));
    assert_string_equal(ref, "default/User@1");
    assert_ok(cairn_model_resolve(s, "analytics/User", ref));
    assert_string_equal(ref, "analytics/User@1");
    /* else the only namespace that has it */
    assert_ok(cairn_model_resolve(s, "Metric", ref));
    assert_string_equal(ref, "ml/Metric@1");
    assert_ok(cairn_model_resolve(s, "Metric@1", ref));
    assert_string_equal(ref, "ml/Metric@1");
    /* several: ambiguous, listing the candidates */
    assert_rc(cairn_model_resolve(s, "Thing", ref), CAIRN_EMODEL);
    assert_errmsg_has("a/Thing, b/Thing");
    assert_ok(cairn_model_resolve(s, "b/Thing", ref));
    assert_string_equal(ref, "b/Thing@1");
    /* absent */
    assert_rc(cairn_model_resolve(s, "Nobody", ref), CAIRN_ENOTFOUND);
    assert_errmsg_has("Nobody");
    assert_rc(cairn_model_resolve(s, "default/Metric", ref), CAIRN_ENOTFOUND);
    assert_rc(cairn_model_resolve(s, "User@2", ref), CAIRN_ENOTFOUND);
    assert_errmsg_has("newest: 1");
    assert_rc(cairn_model_resolve(s, "User@0", ref), CAIRN_EINVAL);
    assert_rc(cairn_model_resolve(s, "User@x", ref), CAIRN_EINVAL);
    /* a put under an ambiguous or unknown model writes nothing */
    assert_rc(put_model(s, "k", "1", "Thing", CAIRN_FAIL_IF_EXISTS), CAIRN_EMODEL);
    assert_rc(put_model(s, "k", "1", "Nobody", CAIRN_FAIL_IF_EXISTS), CAIRN_EMODEL);
    assert_errmsg_has("not registered");
    assert_rc(cairn_exists(s, "k"), CAIRN_ENOTFOUND);
    /* the registry is the library's own: hidden, and not writable */
    size_t n;
    free(cf_list(s, NULL, &n));
    assert_int_equal(n, 0);
    uint64_t c;
    assert_ok(cairn_count(s, NULL, &c));
    assert_int_equal(c, 0);
    assert_rc(cairn_put(s, "_cairn/models/default/User/0000000002", "true", 4, NULL),
              CAIRN_EKEY);
    assert_rc(cairn_delete(s, "_cairn/models/default/User/0000000001"), CAIRN_EKEY);
}

static void put_valid_invalid(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(reg(s, "Person", person_v1, 0, NULL));
    assert_ok(reg(s, "Team", team_schema, 0, NULL));
    assert_ok(put_model(s, "people/john", "{\"name\":\"John\",\"age\":30}", "Person",
                        CAIRN_FAIL_IF_EXISTS));
    expect_model(s, "people/john", "default/Person@1");
    assert_null(cairn_validation_errors());

    /* invalid: nothing written, every error with its path */
    const char *bad = "{\"name\":\"Eng\",\"members\":[{\"name\":\"A\",\"age\":1},"
                      "{\"name\":\"B\",\"age\":\"old\"},{\"age\":3}]}";
    assert_rc(put_model(s, "teams/eng", bad, "Team", CAIRN_FAIL_IF_EXISTS),
              CAIRN_EVALIDATION);
    assert_errmsg_has("teams/eng");
    assert_errmsg_has("default/Team@1");
    assert_errmsg_has("/members/1/age");
    const cairn_verrors *e = cairn_validation_errors();
    assert_non_null(e);
    assert_int_equal(cairn_verrors_count(e), 2);
    bool age = false, name = false;
    for (size_t i = 0; i < cairn_verrors_count(e); i++) {
        if (!strcmp(cairn_verrors_path(e, i), "/members/1/age"))
            age = strstr(cairn_verrors_rule(e, i), "integer") != NULL;
        if (!strcmp(cairn_verrors_path(e, i), "/members/2"))
            name = strstr(cairn_verrors_rule(e, i), "name") != NULL;
    }
    assert_true(age);
    assert_true(name);
    assert_rc(cairn_exists(s, "teams/eng"), CAIRN_ENOTFOUND);
    /* the next call forgets them */
    assert_null(cairn_validation_errors());

    /* not JSON: the validator's parser refuses it as the plain check does */
    assert_rc(put_model(s, "bad", "{\"name\":", "Person", CAIRN_FAIL_IF_EXISTS),
              CAIRN_EFORMAT);
    assert_rc(put_model(s, "bad", "{\"name\":\"\xff\",\"age\":1}", "Person",
                        CAIRN_FAIL_IF_EXISTS),
              CAIRN_EFORMAT);
    cairn_put_opts fo = {.model = "Person", .fill_defaults = 1};
    assert_rc(cairn_put(s, "bad", "[1,", 3, &fo), CAIRN_EFORMAT);
    assert_rc(cairn_exists(s, "bad"), CAIRN_ENOTFOUND);

    /* over an existing record: the old value stays */
    assert_rc(put_model(s, "people/john", "{\"name\":\"John\"}", "Person", CAIRN_OVERWRITE),
              CAIRN_EVALIDATION);
    cf_expect_str(s, "people/john", "{\"name\":\"John\",\"age\":30}");
    /* validation comes before the set behaviour is looked at */
    assert_rc(put_model(s, "people/john", "[]", "Person", CAIRN_SKIP_IF_EXISTS),
              CAIRN_EVALIDATION);

    /* a model needs JSON; fill_defaults needs a model */
    cairn_put_opts o = {.model = "Person", .format = CAIRN_FORMAT_TEXT};
    assert_rc(cairn_put(s, "t", "x", 1, &o), CAIRN_EINVAL);
    cairn_put_opts f = {.fill_defaults = 1};
    assert_rc(cairn_put(s, "t", "{}", 2, &f), CAIRN_EINVAL);
    assert_rc(cairn_exists(s, "t"), CAIRN_ENOTFOUND);

    /* validate without storing */
    cairn_verrors *errs = NULL;
    const char *good = "{\"name\":\"x\",\"age\":1}", *bad2 = "{\"name\":1}";
    assert_ok(cairn_validate(s, "Person", good, strlen(good), &errs));
    assert_null(errs);
    assert_rc(cairn_validate(s, "Person", bad2, strlen(bad2), &errs), CAIRN_EVALIDATION);
    assert_int_equal(cairn_verrors_count(errs), 2);
    cairn_verrors_free(errs);
    assert_rc(cairn_validate(s, "Person", "{bad", 4, NULL), CAIRN_EFORMAT);
    assert_rc(cairn_validate(s, "Nobody", "{}", 2, NULL), CAIRN_ENOTFOUND);

    /* batches and updates validate each value */
    cairn_put_item items[2] = {{"b/1", "{\"name\":\"a\",\"age\":1}", 0, 0},
                               {"b/2", "{\"name\":\"b\"}", 0, 0}};
    items[0].len = strlen(items[0].val);
    items[1].len = strlen(items[1].val);
    cairn_put_opts po = {.model = "Person"};
    assert_rc(cairn_put_many(s, items, 2, &po), CAIRN_EVALIDATION);
    assert_rc(cairn_exists(s, "b/1"), CAIRN_ENOTFOUND);
    items[1].val = "{\"name\":\"b\",\"age\":2}";
    items[1].len = strlen(items[1].val);
    assert_ok(cairn_put_many(s, items, 2, &po));
    expect_model(s, "b/2", "default/Person@1");
}

typedef struct {
    const char *val;
} upd_val;

static int upd_set(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    (void)cur;
    upd_val *u = arg;
    *val = u->val;
    *len = strlen(u->val);
    return CAIRN_OK;
}

static void update_with_model(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(reg(s, "Person", person_v1, 0, NULL));
    cairn_put_opts o = {.model = "Person"};
    upd_val u = {"{\"name\":\"a\",\"age\":\"x\"}"};
    assert_rc(cairn_update_v2(s, "u", upd_set, &u, &o), CAIRN_EVALIDATION);
    assert_non_null(cairn_validation_errors());
    assert_rc(cairn_exists(s, "u"), CAIRN_ENOTFOUND);
    u.val = "{\"name\":\"a\",\"age\":4}";
    assert_ok(cairn_update_v2(s, "u", upd_set, &u, &o));
    expect_model(s, "u", "default/Person@1");
}

static void get_wrong_model(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_value *v = (cairn_value *)&v; /* must come back NULL on failure */
    assert_ok(reg(s, "Person", person_v1, 0, NULL));
    assert_ok(reg(s, "Team", team_schema, 0, NULL));
    assert_ok(reg(s, "hr/Person", person_v1, 0, NULL));
    assert_ok(put_model(s, "p", "{\"name\":\"a\",\"age\":1}", "Person", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "plain", "{\"name\":\"a\",\"age\":1}", CAIRN_FAIL_IF_EXISTS));
    const char *ok[] = {"Person", "default/Person", "Person@1", "default/Person@1"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        assert_ok(cairn_get_model(s, "p", ok[i], 0, &v));
        assert_string_equal(cairn_value_data(v, NULL), "{\"name\":\"a\",\"age\":1}");
        cairn_value_free(v);
    }
    /* another model, another namespace, another version: wrong model */
    v = (cairn_value *)&v;
    assert_rc(cairn_get_model(s, "p", "Team", 0, &v), CAIRN_EMODEL);
    assert_null(v);
    assert_errmsg_has("default/Person@1");
    assert_errmsg_has("default/Team");
    assert_rc(cairn_get_model(s, "p", "hr/Person", 0, &v), CAIRN_EMODEL);
    assert_ok(reg(s, "Person", person_v2, CAIRN_MODEL_NEW_VERSION, NULL));
    assert_rc(cairn_get_model(s, "p", "Person@2", 0, &v), CAIRN_EMODEL);
    assert_errmsg_has("default/Person@2");
    assert_ok(cairn_get_model(s, "p", "Person", 0, &v)); /* any version */
    cairn_value_free(v);
    /* stored under no model */
    assert_rc(cairn_get_model(s, "plain", "Person", 0, &v), CAIRN_EMODEL);
    assert_errmsg_has("no model");
    assert_ok(cairn_get_model(s, "plain", NULL, 0, &v));
    cairn_value_free(v);
    /* the usual errors come first */
    assert_rc(cairn_get_model(s, "absent", "Person", 0, &v), CAIRN_ENOTFOUND);
    assert_rc(cairn_get_model(s, "p", "bad ref", 0, &v), CAIRN_EINVAL);
    assert_rc(cairn_get_model(s, "p", "Person", 0x40, &v), CAIRN_EINVAL);
    assert_null(v);
}

static void fail_if_different_semantic(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(reg(s, "Person", person_v1, 0, NULL));
    assert_ok(reg(s, "hr/Person", person_v1, 0, NULL));
    assert_ok(put_model(s, "p", "{\"name\":\"a\",\"age\":1}", "Person",
                        CAIRN_FAIL_IF_DIFFERENT));
    /* equal JSON under the same model: OK, no write */
    assert_ok(put_model(s, "p", "{ \"age\": 1.0, \"name\": \"a\" }", "Person",
                        CAIRN_FAIL_IF_DIFFERENT));
    assert_ok(put_model(s, "p", "{\"age\":1,\"name\":\"a\"}", "default/Person@1",
                        CAIRN_FAIL_IF_DIFFERENT));
    assert_int_equal(cf_meta(s, "p").version, 1);
    /* a different value, or the same value under another model: different */
    assert_rc(put_model(s, "p", "{\"name\":\"a\",\"age\":2}", "Person",
                        CAIRN_FAIL_IF_DIFFERENT),
              CAIRN_EDIFFERENT);
    assert_rc(put_model(s, "p", "{\"name\":\"a\",\"age\":1}", "hr/Person",
                        CAIRN_FAIL_IF_DIFFERENT),
              CAIRN_EDIFFERENT);
    assert_errmsg_has("model");
    assert_rc(cf_put(s, "p", "{\"name\":\"a\",\"age\":1}", CAIRN_FAIL_IF_DIFFERENT),
              CAIRN_EDIFFERENT);
    assert_int_equal(cf_meta(s, "p").version, 1);
    expect_model(s, "p", "default/Person@1");
}

static void revalidate_drift(void **state)
{
    cairn_store *s = FX(state)->s;
    cairn_value *v = NULL;
    assert_ok(reg(s, "Person", person_v1, 0, NULL));
    const char *kid = "{\"name\":\"Tim\",\"age\":9,\"pet\":\"cat\"}";
    assert_ok(put_model(s, "kid", kid, "Person", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cairn_get_model(s, "kid", "Person", CAIRN_GET_REVALIDATE, &v));
    cairn_value_free(v);
    /* the model moves on: the record no longer passes its newest version */
    assert_ok(reg(s, "Person", person_v2, CAIRN_MODEL_NEW_VERSION, NULL));
    assert_ok(cairn_get_model(s, "kid", "Person", 0, &v)); /* no revalidation asked */
    cairn_value_free(v);
    assert_rc(cairn_get_model(s, "kid", "Person", CAIRN_GET_REVALIDATE, &v),
              CAIRN_EVALIDATION);
    assert_null(v);
    assert_errmsg_has("default/Person@2");
    const cairn_verrors *e = cairn_validation_errors();
    assert_int_equal(cairn_verrors_count(e), 2); /* age below 18, pet not allowed */
    /* NULL: the record's own model, newest version */
    assert_rc(cairn_get_model(s, "kid", NULL, CAIRN_GET_REVALIDATE, &v), CAIRN_EVALIDATION);
    /* pinned to the version it was stored under: still valid */
    assert_ok(cairn_get_model(s, "kid", "Person@1", CAIRN_GET_REVALIDATE, &v));
    cairn_value_free(v);
    /* a record under no model cannot be revalidated */
    assert_ok(cf_put(s, "plain", "{}", CAIRN_FAIL_IF_EXISTS));
    assert_rc(cairn_get_model(s, "plain", NULL, CAIRN_GET_REVALIDATE, &v), CAIRN_EMODEL);
    /* new puts validate against the newest version */
    assert_rc(put_model(s, "kid2", kid, "Person", CAIRN_FAIL_IF_EXISTS), CAIRN_EVALIDATION);
    assert_ok(put_model(s, "kid2", kid, "Person@1", CAIRN_FAIL_IF_EXISTS));
    expect_model(s, "kid2", "default/Person@1");
}

static void fill_defaults(void **state)
{
    cairn_store *s = FX(state)->s;
    const char *schema =
        "{\"type\":\"object\",\"properties\":{"
        "\"name\":{\"type\":\"string\"},"
        "\"email\":{\"type\":[\"string\",\"null\"],\"default\":null},"
        "\"tags\":{\"type\":\"array\",\"default\":[]},"
        "\"opts\":{\"type\":\"object\",\"default\":{},\"properties\":{"
        "\"lr\":{\"type\":\"number\",\"default\":0.1}}}},"
        "\"required\":[\"name\"]}";
    assert_ok(reg(s, "Cfg", schema, 0, NULL));
    cairn_put_opts o = {.model = "Cfg", .fill_defaults = 1};
    const char *in = "{\"name\":\"x\",\"tags\":[1],\"opts\":{}}";
    assert_ok(cairn_put(s, "c1", in, strlen(in), &o));
    cairn_value *v = NULL;
    assert_ok(cairn_get(s, "c1", &v));
    size_t len;
    const char *d = cairn_value_data(v, &len);
    bool eq = false;
    const char *want = "{\"name\":\"x\",\"tags\":[1],\"email\":null,\"opts\":{\"lr\":0.1}}";
    assert_ok(cairn__json_equal(d, len, want, strlen(want), &eq));
    if (!eq)
        fail_msg("filled value %s, expected %s", d, want);
    assert_string_equal(cairn_value_meta(v)->model, "default/Cfg@1");
    cairn_value_free(v);
    /* a missing object gets its default */
    in = "{\"name\":\"w\"}";
    assert_ok(cairn_put(s, "c0", in, strlen(in), &o));
    assert_ok(cairn_get(s, "c0", &v));
    d = cairn_value_data(v, &len);
    want = "{\"name\":\"w\",\"tags\":[],\"email\":null,\"opts\":{}}";
    const char *want2 = "{\"name\":\"w\",\"tags\":[],\"email\":null,\"opts\":{\"lr\":0.1}}";
    bool eq2 = false;
    assert_ok(cairn__json_equal(d, len, want, strlen(want), &eq));
    assert_ok(cairn__json_equal(d, len, want2, strlen(want2), &eq2));
    if (!eq && !eq2)
        fail_msg("filled value %s, expected %s or %s", d, want, want2);
    cairn_value_free(v);
    /* without the option the value is stored as given */
    o.fill_defaults = 0;
    in = "{\"name\":\"y\"}";
    assert_ok(cairn_put(s, "c2", in, strlen(in), &o));
    cf_expect_str(s, "c2", in);
    /* defaults never make an invalid value valid by overwriting it */
    o.fill_defaults = 1;
    in = "{\"name\":\"z\",\"tags\":5}";
    assert_rc(cairn_put(s, "c3", in, strlen(in), &o), CAIRN_EVALIDATION);
    assert_rc(cairn_exists(s, "c3"), CAIRN_ENOTFOUND);
}

static void remove_models(void **state)
{
    cairn_store *s = FX(state)->s;
    uint64_t n = 0;
    char ref[CAIRN_MODEL_MAX + 1];
    assert_ok(reg(s, "Person", person_v1, 0, NULL));
    assert_ok(reg(s, "Person", person_v2, CAIRN_MODEL_NEW_VERSION, NULL));
    assert_ok(reg(s, "Team", team_schema, 0, NULL));
    assert_ok(put_model(s, "p", "{\"name\":\"a\",\"age\":1}", "Person@1",
                        CAIRN_FAIL_IF_EXISTS));
    /* one version */
    assert_ok(cairn_model_remove(s, "Person@2", &n));
    assert_int_equal(n, 1);
    expect_models(s, "default/Person@1\ndefault/Team@1");
    assert_ok(cairn_model_resolve(s, "Person", ref));
    assert_string_equal(ref, "default/Person@1");
    assert_rc(cairn_model_remove(s, "Person@2", &n), CAIRN_ENOTFOUND);
    /* every version */
    assert_ok(reg(s, "Person", person_v2, CAIRN_MODEL_NEW_VERSION, ref));
    assert_ok(cairn_model_remove(s, "default/Person", &n));
    assert_int_equal(n, 2);
    expect_models(s, "default/Team@1");
    assert_rc(cairn_model_resolve(s, "Person", ref), CAIRN_ENOTFOUND);
    assert_rc(cairn_model_remove(s, "Person", &n), CAIRN_ENOTFOUND);
    assert_rc(put_model(s, "q", "{\"name\":\"a\",\"age\":1}", "Person", CAIRN_FAIL_IF_EXISTS),
              CAIRN_EMODEL);
    /* records keep their metadata and can still be got by their model */
    expect_model(s, "p", "default/Person@1");
    cairn_value *v = NULL;
    assert_ok(cairn_get_model(s, "p", "default/Person", 0, &v));
    cairn_value_free(v);
    assert_rc(cairn_get_model(s, "p", "Person", CAIRN_GET_REVALIDATE, &v), CAIRN_ENOTFOUND);
}

/* A removed and re-registered model never validates against the schema a
 * handle compiled before (its cache follows the registry generation). */
static void cache_never_stale(void **state)
{
    cf_fx *fx = FX(state);
    cairn_store *s = fx->s;
    const char *as_int = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}";
    const char *as_str = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"string\"}}}";
    assert_ok(reg(s, "M", as_int, 0, NULL));
    assert_ok(put_model(s, "a", "{\"n\":1}", "M", CAIRN_OVERWRITE)); /* warms the cache */
    assert_ok(cairn_model_remove(s, "M", NULL));
    assert_ok(reg(s, "M", as_str, 0, NULL)); /* version 1 again, another schema */
    assert_rc(put_model(s, "a", "{\"n\":1}", "M", CAIRN_OVERWRITE), CAIRN_EVALIDATION);
    assert_ok(put_model(s, "a", "{\"n\":\"1\"}", "M", CAIRN_OVERWRITE));
    assert_rc(put_model(s, "a", "{\"n\":1}", "M@1", CAIRN_OVERWRITE), CAIRN_EVALIDATION);

    /* another handle (another process's view) changes the registry */
    if (!cf_be->persistent)
        return;
    cairn_store *t = NULL;
    assert_ok(cairn_store_open(fx->url, NULL, &t));
    assert_ok(cairn_model_remove(t, "M", NULL));
    assert_ok(reg(t, "M", as_int, 0, NULL));
    assert_ok(put_model(s, "a", "{\"n\":1}", "M", CAIRN_OVERWRITE));
    assert_rc(put_model(s, "a", "{\"n\":\"1\"}", "M", CAIRN_OVERWRITE), CAIRN_EVALIDATION);
    assert_ok(reg(t, "M", as_str, CAIRN_MODEL_NEW_VERSION, NULL));
    assert_ok(put_model(s, "a", "{\"n\":\"1\"}", "M", CAIRN_OVERWRITE));
    expect_model(s, "a", "default/M@2");
    assert_ok(cairn_model_remove(t, "M", NULL));
    assert_rc(put_model(s, "a", "{\"n\":\"1\"}", "M", CAIRN_OVERWRITE), CAIRN_EMODEL);
    cairn_store_close(t);
}

/* Threads share one handle's cache while another thread re-registers. */
static void *thr_put(void *p)
{
    cf_thread *t = p;
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "t%d/%d", t->id, i);
        int rc = put_model(t->s, key, "{\"name\":\"x\",\"age\":30}", "Person",
                           CAIRN_FAIL_IF_EXISTS);
        if (rc == CAIRN_OK) {
            cairn_value *v = NULL;
            rc = cairn_get_model(t->s, key, "Person", CAIRN_GET_REVALIDATE, &v);
            cairn_value_free(v);
        }
        cf_thread_note(t, key, rc);
    }
    return NULL;
}

static void *thr_register(void *p)
{
    cf_thread *t = p;
    char schema[256];
    for (int i = 0; i < 20; i++) {
        snprintf(schema, sizeof schema,
                 "{\"type\":\"object\",\"required\":[\"name\",\"age\"],"
                 "\"properties\":{\"age\":{\"type\":\"integer\",\"maximum\":%d}}}",
                 100 + i);
        cf_thread_note(t, "register", reg(t->s, "Person", schema, CAIRN_MODEL_NEW_VERSION,
                                          NULL));
    }
    return NULL;
}

static void threads_share_cache(void **state)
{
    cairn_store *s = FX(state)->s;
    assert_ok(reg(s, "Person", person_v1, 0, NULL));
    /* four putting threads, then one registering */
    void *(*const fns[])(void *) = {thr_put, thr_put, thr_put, thr_put, thr_register};
    cf_threads_run(s, 5, fns, 5);
    char ref[CAIRN_MODEL_MAX + 1];
    assert_ok(cairn_model_resolve(s, "Person", ref));
    assert_string_equal(ref, "default/Person@21");
}

/* ---- registration races between processes ---- */

#define PROCS 8

typedef struct {
    int status[PROCS];
    char ref[PROCS][CAIRN_MODEL_MAX + 1];
    char err[PROCS][256];
} reg_race;

typedef struct {
    reg_race *r;
    bool distinct;
} reg_job;

static void reg_worker(cairn_store *s, int open_rc, int id, void *arg)
{
    reg_job *j = arg;
    int rc = open_rc;
    if (s) {
        char schema[128];
        snprintf(schema, sizeof schema,
                 "{\"type\":\"object\",\"properties\":{\"w\":{\"const\":%d}}}",
                 j->distinct ? id : 0);
        rc = reg(s, "race/Model", schema, j->distinct ? CAIRN_MODEL_NEW_VERSION : 0,
                 j->r->ref[id]);
    }
    j->r->status[id] = rc;
    snprintf(j->r->err[id], sizeof j->r->err[id], "%s", cairn_errmsg());
}

static void process_register(cf_fx *fx, reg_race *r, bool distinct)
{
    reg_job j = {r, distinct};
    cf_fork_workers(fx, PROCS, reg_worker, &j, "register race");
}

static reg_race *race_new(void)
{
    reg_race *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
    assert_true(r != MAP_FAILED);
    memset(r, 0, sizeof *r);
    return r;
}

static void procs_register_same(void **state)
{
    cf_fx *fx = FX(state);
    reg_race *r = race_new();
    process_register(fx, r, false);
    int ok = 0, skipped = 0;
    for (int i = 0; i < PROCS; i++) {
        if (r->status[i] == CAIRN_OK)
            ok++;
        else if (r->status[i] == CAIRN_SKIPPED)
            skipped++;
        else
            fail_msg("worker %d: %s: %s", i, cairn_strerror(r->status[i]), r->err[i]);
        assert_string_equal(r->ref[i], "race/Model@1");
    }
    munmap(r, sizeof *r);
    assert_int_equal(ok, 1);
    assert_int_equal(skipped, PROCS - 1);
    expect_models(fx->s, "race/Model@1");
}

static void procs_register_new_versions(void **state)
{
    cf_fx *fx = FX(state);
    reg_race *r = race_new();
    process_register(fx, r, true);
    bool seen[PROCS + 1] = {false};
    for (int i = 0; i < PROCS; i++) {
        if (r->status[i] != CAIRN_OK)
            fail_msg("worker %d: %s: %s", i, cairn_strerror(r->status[i]), r->err[i]);
        unsigned v = 0;
        assert_int_equal(sscanf(r->ref[i], "race/Model@%u", &v), 1);
        assert_true(v >= 1 && v <= PROCS);
        assert_false(seen[v]);
        seen[v] = true;
        /* the version holds the schema its worker registered */
        cairn_value *sv = NULL;
        assert_ok(cairn_model_schema(fx->s, r->ref[i], &sv));
        char want[128];
        snprintf(want, sizeof want,
                 "{\"type\":\"object\",\"properties\":{\"w\":{\"const\":%d}}}", i);
        assert_string_equal(cairn_value_data(sv, NULL), want);
        cairn_value_free(sv);
    }
    munmap(r, sizeof *r);
    size_t n;
    char *all = cf_list(fx->s, "_cairn/models/race/Model", &n);
    free(all);
    assert_int_equal(n, PROCS);
}

const tr_case cf_models_cases[] = {
    TR_CASE(register_noop_different_version, TR_NONE, 0),
    TR_CASE(resolution_and_ambiguity, TR_NONE, 0),
    TR_CASE(put_valid_invalid, TR_AGNOSTIC, 0),
    TR_CASE(update_with_model, TR_NONE, 0),
    TR_CASE(get_wrong_model, TR_AGNOSTIC, 0),
    TR_CASE(fail_if_different_semantic, TR_NONE, 0),
    TR_CASE(revalidate_drift, TR_NONE, 0),
    TR_CASE(fill_defaults, TR_AGNOSTIC, 0),
    TR_CASE(remove_models, TR_NONE, 0),
    TR_CASE(cache_never_stale, TR_NONE, 0),
    TR_CASE(threads_share_cache, TR_HEAVY, 120),
    TR_CASE(procs_register_same, TR_PERSISTENT | TR_HEAVY, 120),
    TR_CASE(procs_register_new_versions, TR_PERSISTENT | TR_HEAVY, 120),
};
const size_t cf_models_ncases = CF_NCASES(cf_models_cases);
