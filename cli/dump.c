/*
 * dump.c — the JSON Lines dump of `cairn export` / `cairn import`: write a
 * record (or a model with its schema) as one line, and parse a line back,
 * keeping a JSON value's exact bytes (a small parser of our own: a generic
 * JSON library re-prints numbers and would change the value and its
 * checksum).
 */
#include "dump.h"

#include "cli.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void write_base64(FILE *f, const unsigned char *p, size_t n)
{
    char out[4];
    putc('"', f);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[0] = b64[(v >> 18) & 63];
        out[1] = b64[(v >> 12) & 63];
        out[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[3] = i + 2 < n ? b64[v & 63] : '=';
        fwrite(out, 1, 4, f);
    }
    putc('"', f);
}

/* A JSON value goes inline when its bytes survive it exactly: no line
 * break (a line is a record) and no white space at either end (the parser
 * takes the value from its first to its last byte). */
static bool json_inline(const char *v, size_t n)
{
    if (n == 0 || memchr(v, '\n', n) || memchr(v, '\r', n))
        return false;
    const char *ws = " \t";
    return !strchr(ws, v[0]) && !strchr(ws, v[n - 1]);
}

static void write_int_or_null(FILE *f, const char *name, int64_t v)
{
    if (v)
        fprintf(f, ",\"%s\":%lld", name, (long long)v);
    else
        fprintf(f, ",\"%s\":null", name);
}

/* How a value is written in a JSON line: "base64" for binary formats,
 * "json" inline when its bytes survive it exactly, else "text". */
static const char *value_encoding(const cairn_meta *m, const void *val, size_t len)
{
    return m->format == CAIRN_FORMAT_BYTES || m->format == CAIRN_FORMAT_MSGPACK ||
                   m->format == CAIRN_FORMAT_NPY
               ? "base64"
           : m->format == CAIRN_FORMAT_JSON && json_inline(val, len) ? "json"
                                                                      : "text";
}

/* The value as a JSON value, per enc (value_encoding). */
static void write_value(FILE *f, const char *enc, const void *val, size_t len)
{
    if (!strcmp(enc, "json"))
        fwrite(val, 1, len, f);
    else if (!strcmp(enc, "base64"))
        write_base64(f, val, len);
    else
        cli_json_str(f, val, len);
}

void dump_write_json(FILE *f, const char *key, const cairn_meta *m, const void *val,
                     size_t len)
{
    const char *enc = value_encoding(m, val, len);
    cli_json_meta_fields(f, key, m);
    fprintf(f, ",\"encoding\":\"%s\",\"value\":", enc);
    write_value(f, enc, val, len);
    putc('}', f);
}

void dump_write(FILE *f, const char *key, const cairn_meta *m, const void *val,
                size_t len)
{
    const char *enc = value_encoding(m, val, len);
    fprintf(f, "{\"dump\":%d,\"key\":", DUMP_VERSION);
    cli_json_str(f, key, strlen(key));
    fprintf(f, ",\"format\":\"%s\",\"encoding\":\"%s\",\"model\":",
            cairn_format_name(m->format), enc);
    if (m->model && *m->model)
        cli_json_str(f, m->model, strlen(m->model));
    else
        fputs("null", f);
    /* User metadata (a JSON object the library checked) goes inline, and
     * only when there is some: dumps of stores without any read as before. */
    if (m->user_meta && m->user_meta_len) {
        fputs(",\"meta\":", f);
        if (json_inline(m->user_meta, m->user_meta_len))
            fwrite(m->user_meta, 1, m->user_meta_len, f);
        else /* a line is a record: no line breaks */
            cli_json_raw(f, m->user_meta, m->user_meta_len);
    }
    fprintf(f, ",\"version\":%llu", (unsigned long long)m->version);
    write_int_or_null(f, "created_ms", m->created_ms);
    write_int_or_null(f, "updated_ms", m->updated_ms);
    write_int_or_null(f, "expires_ms", m->expires_ms);
    fprintf(f, ",\"checksum\":\"%016llx\",\"value\":", (unsigned long long)m->checksum);
    write_value(f, enc, val, len);
    fputs("}\n", f);
}

void dump_write_model(FILE *f, const char *ref, const void *schema, size_t len)
{
    const char *at = strrchr(ref, '@');
    const char *sc = schema;
    size_t name_len = at ? (size_t)(at - ref) : strlen(ref);
    fprintf(f, "{\"dump\":%d,\"model\":", DUMP_VERSION);
    cli_json_str(f, ref, name_len);
    fprintf(f, ",\"version\":%s,\"schema\":", at ? at + 1 : "0");
    /* White space is all a line break can be between JSON tokens. */
    while (len && strchr(" \t\r\n", sc[0])) {
        sc++;
        len--;
    }
    while (len && strchr(" \t\r\n", sc[len - 1]))
        len--;
    cli_json_raw(f, sc, len);
    fputs("}\n", f);
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

#define MAX_DEPTH 512

typedef struct {
    const char *s, *p, *e; /* line start, cursor, end */
    char *err;
    size_t errsz;
} cur;

static int fail(cur *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(cur *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->err, c->errsz, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t)n;
    if (used < c->errsz)
        snprintf(c->err + used, c->errsz - used, " (column %zu)",
                 (size_t)(c->p - c->s) + 1);
    return -1;
}

static void skip_ws(cur *c)
{
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static int hex4(cur *c, unsigned *out)
{
    unsigned v = 0;
    if (c->e - c->p < 4)
        return fail(c, "truncated \\u escape");
    for (int i = 0; i < 4; i++) {
        char h = *c->p++;
        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f')
            v |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            v |= (unsigned)(h - 'A' + 10);
        else
            return fail(c, "bad hex digit in \\u escape");
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A JSON string at c->p. With out: decoded into a new malloc'd buffer
 * (NUL-terminated; *olen bytes). Without: only skipped. Raw bytes are
 * copied as they are (their UTF-8 is checked where it matters: by the key
 * and format checks of the store). */
static int string(cur *c, char **out, size_t *olen)
{
    if (c->p >= c->e || *c->p != '"')
        return fail(c, "expected a string");
    c->p++;
    /* Decoded text is never longer than its escaped form. */
    char *o = NULL;
    size_t n = 0;
    if (out && !(o = malloc((size_t)(c->e - c->p) + 1)))
        return fail(c, "out of memory");
    while (c->p < c->e && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20) {
            free(o);
            return fail(c, "control byte 0x%02x in a string", ch);
        }
        if (ch != '\\') {
            if (o)
                o[n++] = (char)ch;
            c->p++;
            continue;
        }
        if (++c->p >= c->e)
            break;
        char esc = *c->p++;
        unsigned cp;
        switch (esc) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (hex4(c, &cp)) {
                free(o);
                return -1;
            }
            /* Skipped JSON may hold lone surrogates (RFC 8259 allows them,
             * and so does the store); decoded text cannot. */
            if (!o)
                continue;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(o);
                return fail(c, "lone low surrogate \\u%04x", cp);
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (c->e - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u') {
                    free(o);
                    return fail(c, "high surrogate \\u%04x without its low half", cp);
                }
                c->p += 2;
                if (hex4(c, &lo)) {
                    free(o);
                    return -1;
                }
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    free(o);
                    return fail(c, "high surrogate \\u%04x without its low half", cp);
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            break;
        default:
            free(o);
            c->p--;
            return fail(c, "bad escape '\\%c'", esc >= 0x20 && esc < 0x7F ? esc : '?');
        }
        if (o)
            n += put_utf8(o + n, cp);
    }
    if (c->p >= c->e) {
        free(o);
        return fail(c, "unterminated string");
    }
    c->p++; /* the closing quote */
    if (o) {
        o[n] = '\0';
        *out = o;
        *olen = n;
    }
    return 0;
}

static bool digit(const cur *c)
{
    return c->p < c->e && *c->p >= '0' && *c->p <= '9';
}

/* A JSON number (RFC 8259 grammar), skipped. */
static int number(cur *c)
{
    if (c->p < c->e && *c->p == '-')
        c->p++;
    if (!digit(c))
        return fail(c, "expected a value");
    if (*c->p == '0')
        c->p++;
    else
        while (digit(c))
            c->p++;
    if (c->p < c->e && *c->p == '.') {
        c->p++;
        if (!digit(c))
            return fail(c, "expected a digit after '.'");
        while (digit(c))
            c->p++;
    }
    if (c->p < c->e && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->e && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!digit(c))
            return fail(c, "expected a digit in the exponent");
        while (digit(c))
            c->p++;
    }
    return 0;
}

static bool literal(cur *c, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(c->e - c->p) >= n && !memcmp(c->p, w, n)) {
        c->p += n;
        return true;
    }
    return false;
}

/* Skip any JSON value; depth bounds the nesting (recursion). */
static int value(cur *c, int depth)
{
    skip_ws(c);
    if (c->p >= c->e)
        return fail(c, "expected a value, found the end of the line");
    char ch = *c->p;
    if (ch == '"')
        return string(c, NULL, NULL);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        if (depth >= MAX_DEPTH)
            return fail(c, "value nested deeper than %d", MAX_DEPTH);
        c->p++;
        skip_ws(c);
        if (c->p < c->e && *c->p == close) {
            c->p++;
            return 0;
        }
        for (;;) {
            if (ch == '{') {
                skip_ws(c);
                if (string(c, NULL, NULL))
                    return -1;
                skip_ws(c);
                if (c->p >= c->e || *c->p != ':')
                    return fail(c, "expected ':'");
                c->p++;
            }
            if (value(c, depth + 1))
                return -1;
            skip_ws(c);
            if (c->p < c->e && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->e && *c->p == close) {
                c->p++;
                return 0;
            }
            return fail(c, "expected ',' or '%c'", close);
        }
    }
    if (literal(c, "true") || literal(c, "false") || literal(c, "null"))
        return 0;
    return number(c);
}

/* A non-negative integer field that fits int64, or null (0). */
static int int_field(cur *c, const char *name, int64_t *out)
{
    skip_ws(c);
    if (literal(c, "null")) {
        *out = 0;
        return 0;
    }
    if (!digit(c))
        return fail(c, "%s: expected a non-negative integer or null", name);
    uint64_t v = 0;
    while (digit(c)) {
        unsigned d = (unsigned)(*c->p - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return fail(c, "%s: number too large", name);
        v = v * 10 + d;
        c->p++;
    }
    if (c->p < c->e && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
        return fail(c, "%s: expected an integer", name);
    *out = (int64_t)v;
    return 0;
}

static int b64val(char ch)
{
    const char *q = ch ? strchr(b64, ch) : NULL;
    return q ? (int)(q - b64) : -1;
}

/* Decode standard base64 (padding required) from s (n bytes) into a new
 * buffer. Returns 0, or -1 with the offending offset in *bad. */
static int base64_decode(const char *s, size_t n, char **out, size_t *olen, size_t *bad)
{
    *bad = 0;
    if (n % 4) {
        *bad = n;
        return -1;
    }
    char *o = malloc(n / 4 * 3 + 1);
    if (!o)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) {
            char ch = s[i + (size_t)j];
            bool last = i + 4 == n;
            if (ch == '=' && last && j >= 2 && (j == 3 || s[i + 3] == '=')) {
                v[j] = -2;
                continue;
            }
            if ((v[j] = b64val(ch)) < 0) {
                *bad = i + (size_t)j;
                free(o);
                return -1;
            }
        }
        unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 |
                     (unsigned)(v[2] < 0 ? 0 : v[2]) << 6 | (unsigned)(v[3] < 0 ? 0 : v[3]);
        o[k++] = (char)(w >> 16);
        if (v[2] >= 0)
            o[k++] = (char)((w >> 8) & 0xFF);
        if (v[3] >= 0)
            o[k++] = (char)(w & 0xFF);
    }
    o[k] = '\0';
    *out = o;
    *olen = k;
    return 0;
}

enum { F_DUMP, F_KEY, F_FORMAT, F_ENCODING, F_MODEL, F_VERSION, F_CREATED, F_UPDATED,
       F_EXPIRES, F_CHECKSUM, F_VALUE, F_META, F_SCHEMA, F_N };
static const char *const field_names[F_N] = {
    "dump", "key", "format", "encoding", "model", "version", "created_ms",
    "updated_ms", "expires_ms", "checksum", "value", "meta", "schema"};

void dump_rec_free(dump_rec *r)
{
    if (!r)
        return;
    free(r->key);
    free(r->value);
    free(r->umeta);
    r->key = r->value = r->umeta = NULL;
}

/* A short string field (format, encoding, model, checksum) into buf. */
static int small_string(cur *c, const char *name, char *buf, size_t bufsz, bool nullable,
                        bool *is_null)
{
    skip_ws(c);
    if (nullable && literal(c, "null")) {
        *is_null = true;
        buf[0] = '\0';
        return 0;
    }
    const char *at = c->p;
    char *s;
    size_t n;
    if (string(c, &s, &n))
        return -1;
    if (n >= bufsz || memchr(s, '\0', n)) {
        free(s);
        c->p = at;
        return fail(c, "%s: bad value", name);
    }
    memcpy(buf, s, n + 1);
    free(s);
    if (is_null)
        *is_null = false;
    return 0;
}

/* The end of a model line (it has "schema"): its fields checked, the
 * schema's bytes into out->value and "ns/name@version" into out->model.
 * The schema itself is checked by the registry. */
static int model_line(cur *c, const bool *seen, const char *model, int64_t version,
                      const char *sstart, const char *send, dump_rec *out)
{
    for (int i = 0; i < F_N; i++) {
        bool allowed = i == F_DUMP || i == F_MODEL || i == F_VERSION || i == F_SCHEMA;
        if (seen[i] && !allowed)
            return fail(c, "field '%s' is not for a model line (dump, model, version, schema)",
                        field_names[i]);
        if (!seen[i] && allowed)
            return fail(c, "missing field '%s' (a model line has dump, model, version, "
                           "schema)",
                        field_names[i]);
    }
    if (!*model || strchr(model, '@'))
        return fail(c, "model: expected \"ns/name\" (the version goes in 'version')");
    if (version < 1 || version > 4294967295)
        return fail(c, "version: a model version is 1 to 4294967295");
    dump_rec r;
    memset(&r, 0, sizeof r);
    int n = snprintf(r.model, sizeof r.model, "%s@%lld", model, (long long)version);
    if (n < 0 || (size_t)n >= sizeof r.model)
        return fail(c, "model: longer than %d bytes with its version", CAIRN_MODEL_MAX);
    r.len = (size_t)(send - sstart);
    if (!(r.value = malloc(r.len + 1)))
        return fail(c, "out of memory");
    memcpy(r.value, sstart, r.len);
    r.value[r.len] = '\0';
    *out = r;
    out->meta.model = out->model;
    return DUMP_MODEL;
}

int dump_parse(const char *line, size_t len, dump_rec *out, char *err, size_t errsz)
{
    cur c = {line, line, line + len, err, errsz};
    dump_rec r;
    memset(&r, 0, sizeof r);
    bool seen[F_N] = {false};
    char format[16] = "", encoding[16] = "", checksum[32] = "";
    int64_t version = 0, dver = 0;
    const char *vstart = NULL, *vend = NULL, *sstart = NULL, *send = NULL;
    bool null_dummy;

    skip_ws(&c);
    if (c.p == c.e)
        return 1;
    if (*c.p != '{')
        return fail(&c, "a record must be a JSON object");
    c.p++;
    skip_ws(&c);
    bool first = true;
    while (!(c.p < c.e && *c.p == '}')) {
        if (!first) {
            if (c.p >= c.e || *c.p != ',')
                goto fail_sep;
            c.p++;
            skip_ws(&c);
        }
        first = false;
        const char *name_at = c.p;
        char *name;
        size_t nlen;
        if (string(&c, &name, &nlen))
            goto bad;
        int f = -1;
        for (int i = 0; i < F_N; i++)
            if (strlen(field_names[i]) == nlen && !memcmp(name, field_names[i], nlen))
                f = i;
        free(name);
        if (f < 0) {
            c.p = name_at;
            fail(&c, "unknown field");
            goto bad;
        }
        if (seen[f]) {
            c.p = name_at;
            fail(&c, "field '%s' given twice", field_names[f]);
            goto bad;
        }
        seen[f] = true;
        skip_ws(&c);
        if (c.p >= c.e || *c.p != ':') {
            fail(&c, "expected ':' after '%s'", field_names[f]);
            goto bad;
        }
        c.p++;
        skip_ws(&c);
        int rc = 0;
        switch (f) {
        case F_DUMP:
            rc = int_field(&c, "dump", &dver);
            if (!rc && dver != DUMP_VERSION) {
                c.p = name_at;
                rc = fail(&c, "dump version %lld is not supported (this cairn reads %d)",
                          (long long)dver, DUMP_VERSION);
            }
            break;
        case F_KEY: {
            const char *at = c.p;
            rc = string(&c, &r.key, &nlen);
            if (!rc && memchr(r.key, '\0', nlen)) {
                c.p = at;
                rc = fail(&c, "key: contains a NUL byte");
            }
            break;
        }
        case F_FORMAT:
            rc = small_string(&c, "format", format, sizeof format, false, NULL);
            break;
        case F_ENCODING:
            rc = small_string(&c, "encoding", encoding, sizeof encoding, false, NULL);
            break;
        case F_MODEL:
            rc = small_string(&c, "model", r.model, sizeof r.model, true, &null_dummy);
            break;
        case F_VERSION:
            rc = int_field(&c, "version", &version);
            break;
        case F_CREATED:
            rc = int_field(&c, "created_ms", &r.meta.created_ms);
            break;
        case F_UPDATED:
            rc = int_field(&c, "updated_ms", &r.meta.updated_ms);
            break;
        case F_EXPIRES:
            rc = int_field(&c, "expires_ms", &r.meta.expires_ms);
            break;
        case F_CHECKSUM:
            rc = small_string(&c, "checksum", checksum, sizeof checksum, true, &null_dummy);
            break;
        case F_VALUE:
            vstart = c.p;
            rc = value(&c, 0);
            vend = c.p;
            break;
        case F_SCHEMA:
            sstart = c.p;
            rc = value(&c, 0);
            send = c.p;
            break;
        case F_META: {
            /* User metadata: null or a JSON object, kept as written (the
             * store checks it again on import). */
            if (literal(&c, "null"))
                break;
            const char *at = c.p;
            if (c.p >= c.e || *c.p != '{') {
                rc = fail(&c, "meta: expected a JSON object or null");
                break;
            }
            if ((rc = value(&c, 0)))
                break;
            size_t n = (size_t)(c.p - at);
            if (n > CAIRN_USER_META_MAX) {
                c.p = at;
                rc = fail(&c, "meta: %zu bytes (max %d)", n, CAIRN_USER_META_MAX);
                break;
            }
            if (!(r.umeta = malloc(n + 1))) {
                rc = fail(&c, "out of memory");
                break;
            }
            memcpy(r.umeta, at, n);
            r.umeta[n] = '\0';
            r.meta.user_meta = r.umeta;
            r.meta.user_meta_len = n;
            break;
        }
        }
        if (rc)
            goto bad;
        skip_ws(&c);
    }
    c.p++; /* '}' */
    skip_ws(&c);
    if (c.p != c.e) {
        fail(&c, "text after the record's closing '}'");
        goto bad;
    }
    if (seen[F_SCHEMA]) {
        /* Nothing of r is allocated unless a field not for a model line
         * was given, which model_line refuses. */
        int mr = model_line(&c, seen, r.model, version, sstart, send, out);
        if (mr < 0)
            goto bad;
        return mr;
    }
    for (int i = 0; i < F_N; i++) {
        if (!seen[i] && (i == F_DUMP || i == F_KEY || i == F_FORMAT || i == F_VALUE)) {
            fail(&c, "missing field '%s'", field_names[i]);
            goto bad;
        }
    }
    if (cairn_format_parse(format, &r.meta.format) != CAIRN_OK) {
        fail(&c, "format: '%s' is not json, text, bytes, msgpack or npy", format);
        goto bad;
    }
    if (!*encoding)
        strcpy(encoding, r.meta.format == CAIRN_FORMAT_BYTES ||
                                 r.meta.format == CAIRN_FORMAT_MSGPACK ||
                                 r.meta.format == CAIRN_FORMAT_NPY
                             ? "base64"
                         : r.meta.format == CAIRN_FORMAT_JSON ? "json"
                                                               : "text");
    r.meta.version = (uint64_t)version;
    r.meta.model = r.model;
    if (*checksum) {
        char *endp;
        if (strlen(checksum) != 16 || strspn(checksum, "0123456789abcdef") != 16) {
            fail(&c, "checksum: expected 16 lower-case hex digits");
            goto bad;
        }
        r.meta.checksum = strtoull(checksum, &endp, 16);
    }
    c.p = vstart; /* errors below point at the value */
    if (!strcmp(encoding, "json")) {
        if (r.meta.format != CAIRN_FORMAT_JSON) {
            fail(&c, "encoding 'json' is only for format json");
            goto bad;
        }
        r.len = (size_t)(vend - vstart);
        if (!(r.value = malloc(r.len + 1))) {
            fail(&c, "out of memory");
            goto bad;
        }
        memcpy(r.value, vstart, r.len);
        r.value[r.len] = '\0';
    } else if (!strcmp(encoding, "text") || !strcmp(encoding, "base64")) {
        char *s;
        size_t n;
        if (*vstart != '"') {
            fail(&c, "value: expected a string (encoding %s)", encoding);
            goto bad;
        }
        if (string(&c, &s, &n))
            goto bad;
        if (!strcmp(encoding, "text")) {
            r.value = s;
            r.len = n;
        } else {
            size_t bad_at;
            int rc = base64_decode(s, n, &r.value, &r.len, &bad_at);
            free(s);
            if (rc) {
                c.p = vstart + 1 + bad_at;
                fail(&c, "value: invalid base64");
                goto bad;
            }
        }
    } else {
        fail(&c, "encoding: '%s' is not json, text or base64", encoding);
        goto bad;
    }
    r.meta.size = r.len;
    if (!*checksum) /* none given: nothing to check the value against */
        r.meta.checksum = cairn_checksum(r.value, r.len);
    *out = r;
    out->meta.model = out->model; /* r.model was the local copy's */
    return 0;
fail_sep:
    fail(&c, "expected ',' or '}'");
bad:
    dump_rec_free(&r);
    return -1;
}
