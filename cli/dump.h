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

/* One parsed line. key and value are malloc'd (value NUL-terminated, not
 * counted in len); meta.model points into model; free with dump_rec_free. */
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

/* One record as the JSON object of `ls --values`, `range --values` and
 * `get KEY KEY...` (no newline): the fields of `get --meta`
 * (cli_json_meta), then "encoding" and "value" written as in a dump
 * (json inline, text as a string, binary formats in base64). */
void dump_write_json(FILE *f, const char *key, const cairn_meta *m, const void *val,
                     size_t len);

/* Parse one line (len bytes, without its newline; need not be
 * NUL-terminated). Returns 0 and fills *out; 1 for a blank line (nothing
 * in *out); -1 with a one-line reason in err (errsz bytes, which names the
 * field and the byte column) and nothing to free. */
int dump_parse(const char *line, size_t len, dump_rec *out, char *err, size_t errsz);

/* Free what dump_parse put in r. NULL is fine. */
void dump_rec_free(dump_rec *r);

#endif
