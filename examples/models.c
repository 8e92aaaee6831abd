/* models.c — the seed's ResultsManager with models, in C: register
 * hand-written JSON Schemas for Person and Team (as Pydantic would export
 * them), store validated records, see a validation failure name its paths,
 * read a record back as its model and as the wrong one. */
#include <cairn/cairn.h>
#include <stdio.h>
#include <string.h>

static const char person_schema[] =
    "{\"title\": \"Person\", \"type\": \"object\","
    " \"properties\": {\"name\": {\"type\": \"string\"},"
    "                \"age\": {\"type\": \"integer\", \"minimum\": 0},"
    "                \"email\": {\"type\": [\"string\", \"null\"], \"default\": null}},"
    " \"required\": [\"name\", \"age\"]}";

static const char team_schema[] =
    "{\"title\": \"Team\", \"type\": \"object\","
    " \"properties\": {\"name\": {\"type\": \"string\"},"
    "                \"members\": {\"type\": \"array\","
    "                             \"items\": {\"$ref\": \"#/$defs/Person\"}}},"
    " \"required\": [\"name\", \"members\"],"
    " \"$defs\": {\"Person\": {\"type\": \"object\","
    "   \"properties\": {\"name\": {\"type\": \"string\"}, \"age\": {\"type\": \"integer\"}},"
    "   \"required\": [\"name\", \"age\"]}}}";

static int put_json(cairn_store *s, const char *key, const char *json, const char *model)
{
    cairn_put_opts o = {.behavior = CAIRN_OVERWRITE, .model = model, .fill_defaults = 1};
    int rc = cairn_put(s, key, json, strlen(json), &o);
    if (rc == CAIRN_EVALIDATION) {
        /* every error: where, and which rule */
        const cairn_verrors *e = cairn_validation_errors();
        printf("put %s: invalid %s:\n", key, model);
        for (size_t i = 0; i < cairn_verrors_count(e); i++)
            printf("  %s: %s\n", cairn_verrors_path(e, i), cairn_verrors_rule(e, i));
    } else if (rc < 0) {
        printf("put %s: %s\n", key, cairn_errmsg());
    } else {
        printf("put %s: stored as %s\n", key, model);
    }
    return rc;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "file:./cairn-data";
    cairn_store *s;
    if (cairn_store_open(url, NULL, &s) != CAIRN_OK) {
        fprintf(stderr, "open %s: %s\n", url, cairn_errmsg());
        return 1;
    }

    /* Register (a no-op when the same schemas are already there). */
    char ref[CAIRN_MODEL_MAX + 1];
    int rc = cairn_model_register(s, "Person", person_schema, strlen(person_schema), 0, ref);
    if (rc < 0 || cairn_model_register(s, "Team", team_schema, strlen(team_schema), 0,
                                       NULL) < 0) {
        fprintf(stderr, "register: %s\n", cairn_errmsg());
        cairn_store_close(s);
        return 1;
    }
    printf("model %s (%s)\n", ref, rc == CAIRN_SKIPPED ? "already registered" : "registered");

    int bad = 0;
    bad |= put_json(s, "people/john", "{\"name\": \"John Doe\", \"age\": 30}", "Person") != 0;
    bad |= put_json(s, "teams/engineering",
                    "{\"name\": \"Engineering\", \"members\": [{\"name\": \"John Doe\", "
                    "\"age\": 30}, {\"name\": \"Jane Smith\", \"age\": 28}]}",
                    "Team") != 0;
    /* two mistakes: both are reported, nothing is stored */
    bad |= put_json(s, "teams/ops",
                    "{\"name\": \"Ops\", \"members\": [{\"name\": \"Al\", \"age\": \"old\"},"
                    " {\"age\": 41}]}",
                    "Team") != CAIRN_EVALIDATION;

    /* get(result_id, Person): with the filled-in default */
    cairn_value *v = NULL;
    if (cairn_get_model(s, "people/john", "Person", 0, &v) == CAIRN_OK) {
        printf("get people/john as Person: %s (model %s)\n",
               (const char *)cairn_value_data(v, NULL), cairn_value_meta(v)->model);
        cairn_value_free(v);
    } else {
        bad = 1;
    }
    /* ... and as the wrong model */
    if (cairn_get_model(s, "people/john", "Team", 0, &v) == CAIRN_EMODEL)
        printf("get people/john as Team: %s\n", cairn_errmsg());
    else
        bad = 1;

    cairn_store_close(s);
    printf("%s\n", bad ? "models: unexpected result" : "models: all as expected");
    return bad;
}
