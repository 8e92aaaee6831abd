/*
 * record.c — the record encoding every backend stores: one header line of
 * JSON with the metadata, a newline, then the value bytes (see internal.h).
 * The decoder is strict: fixed field order, nothing it did not write.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t cairn__hash(const void *p, size_t n)
{
    return XXH3_64bits(p, n);
}

static const char *const format_names[] = {"json", "text", "bytes"};

CAIRN_API const char *cairn_format_name(cairn_format f)
{
    if ((unsigned)f < sizeof format_names / sizeof *format_names)
        return format_names[f];
    return "unknown";
}

CAIRN_API int cairn_format_parse(const char *name, cairn_format *out)
{
    for (unsigned i = 0; name && i < sizeof format_names / sizeof *format_names; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *out = (cairn_format)i;
            return CAIRN_OK;
        }
    return cairn__err(CAIRN_EINVAL, "unknown format '%s' (json, text or bytes)",
                      name ? name : "(null)");
}

bool cairn__model_ref_valid(const char *m)
{
    size_t n = 0;
    for (; m[n]; n++) {
        unsigned char c = (unsigned char)m[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr("_.@#/-", c)))
            return false;
    }
    return n >= 1 && n <= CAIRN_MODEL_MAX;
}

size_t cairn__rec_head(char *buf, const cairn_meta *m)
{
    int n = snprintf(buf, CAIRN__HEAD_MAX,
                     "{\"cairn\":1,\"ver\":%llu,\"fmt\":\"%s\",\"ctime\":%lld,"
                     "\"mtime\":%lld,\"exp\":%lld,\"size\":%llu,\"zip\":\"none\","
                     "\"xxh3\":\"%016llx\",\"model\":\"%s\"",
                     (unsigned long long)m->version, cairn_format_name(m->format),
                     (long long)m->created_ms, (long long)m->updated_ms,
                     (long long)m->expires_ms, (unsigned long long)m->size,
                     (unsigned long long)m->checksum, m->model ? m->model : "");
    /* The header guards itself too: a flipped digit in a time or version
     * would otherwise decode as a plausible record. */
    uint32_t hh = (uint32_t)cairn__hash(buf, (size_t)n);
    n += snprintf(buf + n, CAIRN__HEAD_MAX - (size_t)n, ",\"hh\":\"%08x\"}\n", hh);
    return (size_t)n;
}

/* ---- strict decoder ---- */

typedef struct {
    const char *p, *end;
} cur;

static bool lit(cur *c, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool u64(cur *c, uint64_t *out)
{
    uint64_t v = 0;
    const char *b = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned)(*c->p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        c->p++;
    }
    if (c->p == b || c->p - b > 20 || (c->p - b > 1 && *b == '0'))
        return false;
    *out = v;
    return true;
}

static bool i64(cur *c, int64_t *out)
{
    uint64_t v;
    if (!u64(c, &v) || v > INT64_MAX)
        return false;
    *out = (int64_t)v;
    return true;
}

static bool hex64(cur *c, uint64_t *out)
{
    uint64_t v = 0;
    if (c->end - c->p < 16)
        return false;
    for (int i = 0; i < 16; i++) {
        char ch = c->p[i];
        unsigned d;
        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    c->p += 16;
    *out = v;
    return true;
}

int cairn__rec_decode(const void *rec, size_t len, bool verify, cairn__rec *out)
{
    cur c = {rec, (const char *)rec + len};
    cairn_meta *m = &out->meta;
    const char *what = "header";
    uint64_t u;

    memset(out, 0, sizeof *out);
    if (!lit(&c, "{\"cairn\":1,\"ver\":") || !u64(&c, &m->version)) {
        what = "version";
        goto bad;
    }
    what = "format";
    if (!lit(&c, ",\"fmt\":\""))
        goto bad;
    {
        const char *q = memchr(c.p, '"', (size_t)(c.end - c.p));
        if (!q)
            goto bad;
        size_t fl = (size_t)(q - c.p);
        unsigned i;
        for (i = 0; i < sizeof format_names / sizeof *format_names; i++)
            if (strlen(format_names[i]) == fl && memcmp(c.p, format_names[i], fl) == 0)
                break;
        if (i == sizeof format_names / sizeof *format_names)
            goto bad;
        m->format = (cairn_format)i;
        c.p = q + 1;
    }
    what = "times";
    if (!lit(&c, ",\"ctime\":") || !i64(&c, &m->created_ms) ||
        !lit(&c, ",\"mtime\":") || !i64(&c, &m->updated_ms) ||
        !lit(&c, ",\"exp\":") || !i64(&c, &m->expires_ms))
        goto bad;
    what = "size";
    if (!lit(&c, ",\"size\":") || !u64(&c, &u) || u > CAIRN_VALUE_MAX)
        goto bad;
    m->size = u;
    what = "compression";
    if (!lit(&c, ",\"zip\":\"none\""))
        goto bad;
    m->compression = "none";
    what = "checksum";
    if (!lit(&c, ",\"xxh3\":\"") || !hex64(&c, &m->checksum) || !lit(&c, "\""))
        goto bad;
    what = "model";
    if (!lit(&c, ",\"model\":\""))
        goto bad;
    {
        size_t ml = 0;
        while (c.p + ml < c.end && c.p[ml] != '"' && ml <= CAIRN_MODEL_MAX)
            ml++;
        if (c.p + ml >= c.end || ml > CAIRN_MODEL_MAX)
            goto bad;
        memcpy(out->model, c.p, ml);
        out->model[ml] = '\0';
        if (ml && !cairn__model_ref_valid(out->model))
            goto bad;
        c.p += ml + 1;
    }
    m->model = out->model;
    what = "header checksum";
    {
        uint32_t want = (uint32_t)cairn__hash(rec, (size_t)(c.p - (const char *)rec));
        uint64_t got;
        if (!lit(&c, ",\"hh\":\"") || c.end - c.p < 8)
            goto bad;
        char hex[17] = "00000000";
        memcpy(hex + 8, c.p, 8);
        cur hc = {hex, hex + 16};
        if (!hex64(&hc, &got))
            goto bad;
        c.p += 8;
        if (got != want)
            return cairn__err(CAIRN_ECORRUPT,
                              "corrupt record: header checksum %08x, header says %08x",
                              want, (unsigned)got);
    }
    what = "header end";
    if (!lit(&c, "\"}\n"))
        goto bad;
    out->head_len = (size_t)(c.p - (const char *)rec);
    out->value = c.p;
    if (verify) {
        size_t have = (size_t)(c.end - c.p);
        if (have != m->size)
            return cairn__err(CAIRN_ECORRUPT,
                              "corrupt record: value is %zu bytes, header says %llu",
                              have, (unsigned long long)m->size);
        uint64_t h = cairn__hash(c.p, have);
        if (h != m->checksum)
            return cairn__err(CAIRN_ECORRUPT,
                              "corrupt record: checksum %016llx, header says %016llx",
                              (unsigned long long)h, (unsigned long long)m->checksum);
    }
    return CAIRN_OK;
bad:
    return cairn__err(CAIRN_ECORRUPT, "corrupt record: bad %s at byte %zu", what,
                      (size_t)(c.p - (const char *)rec));
}
