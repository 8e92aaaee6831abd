/*
 * dump.c — fuzz the `cairn import` line parser (cli/dump.c) with arbitrary
 * lines: never crash, every refusal says where, and a record that parses
 * (and that a store would accept) is written back by the exporter as a line
 * that parses to the same record; a model line likewise (its schema the
 * same bytes but for line breaks, written as spaces). A record line without a checksum gets its
 * value's own.
 */
#define _GNU_SOURCE /* open_memstream */
#include "common.h"

#include "../cli/dump.h"
#include "all.h"

#include <string.h>

static void same(const dump_rec *a, const dump_rec *b)
{
    FUZZ_CHECK(!strcmp(a->key, b->key), "key '%s' came back as '%s'", a->key, b->key);
    FUZZ_CHECK(a->len == b->len && !memcmp(a->value, b->value, a->len),
               "value of %zu bytes came back as %zu bytes", a->len, b->len);
    FUZZ_CHECK(a->meta.format == b->meta.format, "format");
    FUZZ_CHECK(a->meta.version == b->meta.version, "version");
    FUZZ_CHECK(a->meta.created_ms == b->meta.created_ms, "created_ms");
    FUZZ_CHECK(a->meta.updated_ms == b->meta.updated_ms, "updated_ms");
    FUZZ_CHECK(a->meta.expires_ms == b->meta.expires_ms, "expires_ms");
    FUZZ_CHECK(a->meta.checksum == b->meta.checksum, "checksum");
    FUZZ_CHECK(!strcmp(a->meta.model, b->meta.model), "model '%s' / '%s'", a->meta.model,
               b->meta.model);
    FUZZ_CHECK(!a->umeta == !b->umeta && (!a->umeta || !strcmp(a->umeta, b->umeta)),
               "meta '%s' / '%s'", a->umeta ? a->umeta : "(none)",
               b->umeta ? b->umeta : "(none)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy (no NUL after it), so ASan sees any overread. */
    char *line = malloc(size ? size : 1);
    if (!line)
        abort();
    if (size)
        memcpy(line, data, size);
    char err[256] = "";
    dump_rec r;
    int rc = dump_parse(line, size, &r, err, sizeof err);
    FUZZ_CHECK(rc >= -1 && rc <= DUMP_MODEL, "status %d", rc);
    if (rc == -1)
        FUZZ_CHECK(strstr(err, "(column ") != NULL, "refusal without a place: '%s'", err);
    if (rc == DUMP_MODEL) {
        FUZZ_CHECK(!r.key && r.value && r.value[r.len] == '\0', "model line not filled");
        FUZZ_CHECK(strchr(r.model, '@') && strchr(r.model, '@') == strrchr(r.model, '@'),
                   "model reference '%s' without exactly one version", r.model);
        /* A schema that is JSON survives export. */
        if (cairn__json_check(r.value, r.len) == CAIRN_OK &&
            cairn__utf8_valid(r.model, strlen(r.model), NULL)) {
            char *out = NULL;
            size_t olen = 0;
            FILE *f = open_memstream(&out, &olen);
            if (!f)
                abort();
            dump_write_model(f, r.model, r.value, r.len);
            fclose(f);
            FUZZ_CHECK(olen > 0 && out[olen - 1] == '\n' && !memchr(out, '\n', olen - 1),
                       "model export wrote %zu bytes that are not one line", olen);
            dump_rec back;
            char err2[256] = "";
            int rc2 = dump_parse(out, olen - 1, &back, err2, sizeof err2);
            FUZZ_CHECK(rc2 == DUMP_MODEL, "exported model line does not parse: %s\n%s", err2,
                       out);
            /* Only line breaks (white space between tokens) became spaces. */
            bool same_schema = back.len == r.len;
            for (size_t i = 0; same_schema && i < r.len; i++)
                same_schema = back.value[i] == (strchr("\r\n", r.value[i]) && r.value[i]
                                                    ? ' '
                                                    : r.value[i]);
            FUZZ_CHECK(same_schema, "schema changed on export: '%s' / '%s'", r.value,
                       back.value);
            FUZZ_CHECK(!strcmp(r.model, back.model), "model '%s' / '%s'", r.model, back.model);
            dump_rec_free(&back);
            free(out);
        }
        cairn__err_clear();
        dump_rec_free(&r);
    }
    if (rc == DUMP_RECORD) {
        FUZZ_CHECK(r.key && r.value && r.value[r.len] == '\0', "record not filled");
        FUZZ_CHECK(r.meta.model == r.model, "model pointer");
        if (!memmem(line, size, "\"checksum\"", 10))
            FUZZ_CHECK(r.meta.checksum == cairn_checksum(r.value, r.len),
                       "a line without a checksum did not get its value's");
        /* What a store would accept must survive export. */
        char nk[CAIRN_KEY_MAX + 1];
        bool storable = cairn_key_normalize(r.key, nk, NULL) == CAIRN_OK &&
                        cairn__utf8_valid(r.model, strlen(r.model), NULL);
        if (r.meta.format == CAIRN_FORMAT_JSON)
            storable = storable && cairn__json_check(r.value, r.len) == CAIRN_OK;
        if (r.meta.format == CAIRN_FORMAT_TEXT)
            storable = storable && cairn__utf8_valid(r.value, r.len, NULL);
        /* The library keeps user metadata on one line only in effect:
         * export turns a line break between its tokens into a space. */
        if (r.umeta)
            storable = storable && !strpbrk(r.umeta, "\r\n");
        cairn__err_clear();
        if (storable) {
            char *out = NULL;
            size_t olen = 0;
            FILE *f = open_memstream(&out, &olen);
            if (!f)
                abort();
            dump_write(f, r.key, &r.meta, r.value, r.len);
            fclose(f);
            FUZZ_CHECK(olen > 0 && out[olen - 1] == '\n' && !memchr(out, '\n', olen - 1),
                       "export wrote %zu bytes that are not one line", olen);
            dump_rec back;
            char err2[256] = "";
            int rc2 = dump_parse(out, olen - 1, &back, err2, sizeof err2);
            FUZZ_CHECK(rc2 == 0, "exported line does not parse: %s\n%s", err2, out);
            same(&r, &back);
            dump_rec_free(&back);
            free(out);
        }
        dump_rec_free(&r);
    }
    free(line);
    return 0;
}
