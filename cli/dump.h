/* dump.h — the portable dump format of `cairn export` / `cairn import`:
 * one JSON object per line per record (docs/cli.md, "Dump format"). The
 * writer and the line parser live in cli/dump.c; fuzz/dump.c fuzzes the
 * parser. */
#ifndef CAIRN_CLI_DUMP_H
#define CAIRN_CLI_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cairn/cairn.h>

#define DUMP_VERSION 1

/* What dump_parse() found on a line. */
enum { DUMP_RECORD = 0, DUMP_BLANK = 1, DUMP_MODEL = 2 };

/* One parsed line. key and value are malloc'd (value NUL-terminated, not
 * counted in len); meta.model points into model; free with dump_rec_free.
 * A model line (DUMP_MODEL) fills only model, with its full reference
 * "ns/name@version", and value/len, with its schema; key is NULL. */
typedef struct {
    char *key;
    char *value;
    size_t len;
    cairn_meta meta;
    char model[CAIRN_MODEL_MAX + 1];
    char *umeta; /* the "meta" field (user metadata) as written, malloc'd
                    and NUL-terminated; NULL when absent or null.
                    meta.user_meta points here. */
} dump_rec;

/* Write one record as one line (newline included). */
void dump_write(FILE *f, const char *key, const cairn_meta *m, const void *val,
                size_t len);

/* Write model ref ("ns/name@version") with its schema (len bytes of JSON)
 * as one model line: {"dump":1,"model":"ns/name","version":N,"schema":...}.
 * Line breaks between the schema's tokens become spaces. */
void dump_write_model(FILE *f, const char *ref, const void *schema, size_t len);
/* One record as the JSON object of `ls --values`, `range --values` and
 * `get KEY KEY...` (no newline): the fields of `get --meta`
 * (cli_json_meta), then "encoding" and "value" written as in a dump
 * (json inline, text as a string, binary formats in base64). */
void dump_write_json(FILE *f, const char *key, const cairn_meta *m, const void *val,
                     size_t len);

/* Parse one line (len bytes, without its newline; need not be
 * NUL-terminated). Returns DUMP_RECORD and fills *out; DUMP_MODEL for a
 * model line (fills out->model, value and len); DUMP_BLANK for a blank
 * line (nothing in *out); -1 with a one-line reason in err (errsz bytes,
 * which names the field and the byte column) and nothing to free. A record
 * line without a checksum (or with null) gets its value's own checksum
 * (cairn_checksum()): nothing to check it against; a checksum given is
 * checked by the store, whatever its value. */
int dump_parse(const char *line, size_t len, dump_rec *out, char *err, size_t errsz);

/* Free what dump_parse put in r. NULL is fine. */
void dump_rec_free(dump_rec *r);

#endif
