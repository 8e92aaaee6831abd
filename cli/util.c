/*
 * util.c — helpers of the cairn command: status-to-exit mapping, duration
 * and number parsing, JSON output with proper escaping, reading stdin whole.
 */
#include "cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int cli_exit_status(int status)
{
    switch (status) {
    case CAIRN_OK:
    case CAIRN_SKIPPED:
    case CAIRN_DONE:
        return CLI_OK;
    case CAIRN_ENOTFOUND:
        return CLI_NOTFOUND;
    case CAIRN_EEXISTS:
    case CAIRN_EDIFFERENT:
    case CAIRN_ECONFLICT:
        return CLI_CONFLICT;
    case CAIRN_EKEY:
    case CAIRN_EINVAL:
    case CAIRN_EURL:
    case CAIRN_EFORMAT:
    case CAIRN_EVALIDATION:
    case CAIRN_EMODEL:
        return CLI_INVALID;
    /* EUNSUPPORTED mostly means "that backend is not built in": to a script
     * that is the same as a server that cannot be reached. */
    case CAIRN_ECONN:
    case CAIRN_EBUSY:
    case CAIRN_EUNSUPPORTED:
        return CLI_UNAVAILABLE;
    default:
        return CLI_ERROR;
    }
}

int cli_exit_status_model(int status)
{
    return status == CAIRN_ENOTFOUND ? CLI_INVALID : cli_exit_status(status);
}

void cli_print_exit_statuses(FILE *f)
{
#define CLI_EXIT_LINE(name, status, what) fprintf(f, "  %d  %s\n", status, what);
    CLI_EXIT_STATUSES(CLI_EXIT_LINE)
#undef CLI_EXIT_LINE
}

/* ---- numbers ---- */

int cli_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int cli_parse_i64(const char *s, int64_t *out)
{
    bool neg = false;
    uint64_t u;
    if (!s)
        return -1;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (cli_parse_u64(s, &u))
        return -1;
    if (neg) {
        if (u > (uint64_t)INT64_MAX + 1)
            return -1;
        *out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
    } else {
        if (u > (uint64_t)INT64_MAX)
            return -1;
        *out = (int64_t)u;
    }
    return 0;
}

/* ---- time ---- */

void cli_iso8601(int64_t ms, char out[40])
{
    /* Floor division keeps times before 1970 right too. */
    int64_t sec = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, 40, "invalid");
        return;
    }
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%03dZ", date, (int)frac);
}

/* ---- JSON output ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void cli_json_str(FILE *f, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    putc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            putc('\\', f);
            putc(c, f);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
            case '\n': fputs("\\n", f); break;
            case '\r': fputs("\\r", f); break;
            case '\t': fputs("\\t", f); break;
            case '\b': fputs("\\b", f); break;
            case '\f': fputs("\\f", f); break;
            default: fprintf(f, "\\u%04x", c); break;
            }
            i++;
        } else {
            size_t l = utf8_seq(s + i, n - i);
            if (l == 0) {
                fputs("\\ufffd", f);
                i++;
            } else {
                fwrite(s + i, 1, l, f);
                i += l;
            }
        }
    }
    putc('"', f);
}

/* "name": "ISO", "name_ms": N  — or nulls for 0 (no such time). */
static void json_time(FILE *f, const char *name, int64_t ms)
{
    if (ms == 0) {
        fprintf(f, ",\"%s\":null,\"%s_ms\":null", name, name);
        return;
    }
    char iso[40];
    cli_iso8601(ms, iso);
    fprintf(f, ",\"%s\":\"%s\",\"%s_ms\":%lld", name, iso, name, (long long)ms);
}

void cli_json_meta_fields(FILE *f, const char *key, const cairn_meta *m)
{
    fputs("{\"key\":", f);
    cli_json_str(f, key, strlen(key));
    fprintf(f, ",\"version\":%llu,\"format\":", (unsigned long long)m->version);
    const char *fmt = cairn_format_name(m->format);
    cli_json_str(f, fmt, strlen(fmt));
    fprintf(f, ",\"size\":%llu,\"checksum\":\"%016llx\",\"compression\":",
            (unsigned long long)m->size, (unsigned long long)m->checksum);
    const char *comp = m->compression && *m->compression ? m->compression : "none";
    cli_json_str(f, comp, strlen(comp));
    fprintf(f, ",\"stored_size\":%llu", (unsigned long long)m->stored_size);
    fputs(",\"model\":", f);
    if (m->model && *m->model)
        cli_json_str(f, m->model, strlen(m->model));
    else
        fputs("null", f);
    /* User metadata: a JSON object the library checked, printed as it is. */
    if (m->user_meta) {
        fputs(",\"meta\":", f);
        fwrite(m->user_meta, 1, m->user_meta_len, f);
    } else {
        fputs(",\"meta\":null", f);
    }
    json_time(f, "created", m->created_ms);
    json_time(f, "updated", m->updated_ms);
    json_time(f, "expires", m->expires_ms);
}

void cli_json_meta(FILE *f, const char *key, const cairn_meta *m)
{
    cli_json_meta_fields(f, key, m);
    putc('}', f);
}

void cli_jobj_begin(cli_jobj *o, FILE *f)
{
    o->f = f;
    o->more = false;
    putc('{', f);
}

void cli_jobj_name(cli_jobj *o, const char *name)
{
    fprintf(o->f, "%s\"%s\":", o->more ? "," : "", name);
    o->more = true;
}

void cli_jobj_str(cli_jobj *o, const char *name, const char *s)
{
    cli_jobj_name(o, name);
    if (s)
        cli_json_str(o->f, s, strlen(s));
    else
        fputs("null", o->f);
}

void cli_jobj_u64(cli_jobj *o, const char *name, uint64_t n)
{
    cli_jobj_name(o, name);
    fprintf(o->f, "%llu", (unsigned long long)n);
}

void cli_jobj_i64(cli_jobj *o, const char *name, int64_t n)
{
    cli_jobj_name(o, name);
    fprintf(o->f, "%lld", (long long)n);
}

void cli_jobj_bool(cli_jobj *o, const char *name, bool b)
{
    cli_jobj_name(o, name);
    fputs(b ? "true" : "false", o->f);
}

void cli_json_raw(FILE *f, const char *json, size_t n)
{
    for (size_t i = 0; i < n; i++)
        putc(json[i] == '\n' || json[i] == '\r' ? ' ' : json[i], f);
}

void cli_jobj_raw(cli_jobj *o, const char *name, const char *json, size_t n)
{
    cli_jobj_name(o, name);
    cli_json_raw(o->f, json, n);
}

void cli_jobj_close(cli_jobj *o)
{
    putc('}', o->f);
}

void cli_jobj_end(cli_jobj *o)
{
    fputs("}\n", o->f);
}

/* ---- stdin ---- */

int cli_read_all(int fd, size_t max, char **buf, size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    struct stat st;
    /* A regular file (cairn put k < file) tells its size: one allocation. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        if ((uint64_t)st.st_size > max)
            return -2;
        cap = (size_t)st.st_size + 1;
    }
    char *b = malloc(cap);
    if (!b)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(b);
                return -2;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(b, ncap);
            if (!nb) {
                free(b);
                errno = ENOMEM;
                return -1;
            }
            b = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(b);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        free(b);
        return -2;
    }
    *buf = b;
    *len = n;
    return 0;
}
