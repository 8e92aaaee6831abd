/*
 * record.c — the record encoding every backend stores: one header line of
 * JSON with the metadata, a newline, then the value bytes (see internal.h).
 * The decoder is strict: fixed field order, nothing it did not write.
 */
#include "internal.h"

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

/* The header writer is on every put: hand-rolled instead of snprintf,
 * which costs several times more for these nine fields. */
static char *put_str(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}
#define PUT(p, s) put_str((p), "" s, sizeof(s) - 1)

static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_hex(char *p, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--)
        *p++ = hex[(v >> (4 * i)) & 15];
    return p;
}

size_t cairn__rec_head(char *buf, const cairn_meta *m)
{
    const char *fmt = cairn_format_name(m->format);
    const char *model = m->model ? m->model : "";
    char *p = buf;
    p = PUT(p, "{\"cairn\":1,\"ver\":");
    p = put_u64(p, m->version);
    p = PUT(p, ",\"fmt\":\"");
    p = put_str(p, fmt, strlen(fmt));
    p = PUT(p, "\",\"ctime\":");
    p = put_u64(p, (uint64_t)(m->created_ms > 0 ? m->created_ms : 0));
    p = PUT(p, ",\"mtime\":");
    p = put_u64(p, (uint64_t)(m->updated_ms > 0 ? m->updated_ms : 0));
    p = PUT(p, ",\"exp\":");
    p = put_u64(p, (uint64_t)(m->expires_ms > 0 ? m->expires_ms : 0));
    p = PUT(p, ",\"size\":");
    p = put_u64(p, m->size);
    p = PUT(p, ",\"zip\":\"none\",\"xxh3\":\"");
    p = put_hex(p, m->checksum, 16);
    p = PUT(p, "\",\"model\":\"");
    p = put_str(p, model, strnlen(model, CAIRN_MODEL_MAX));
    p = PUT(p, "\"");
    /* The header guards itself too: a flipped digit in a time or version
     * would otherwise decode as a plausible record. */
    uint32_t hh = (uint32_t)cairn__hash(buf, (size_t)(p - buf));
    p = PUT(p, ",\"hh\":\"");
    p = put_hex(p, hh, 8);
    p = PUT(p, "\"}\n");
    return (size_t)(p - buf);
}

/* ---- strict decoder ---- */

typedef struct {
    const char *p, *end;
} cur;

static bool lit_n(cur *c, const char *s, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
        return false;
    c->p += n;
    return true;
}
/* String literals only: their length is known at compile time. */
#define lit(c, s) lit_n((c), "" s, sizeof(s) - 1)

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

int cairn__rec_check_size(const cairn__rec *r, size_t rec_len)
{
    size_t have = rec_len - r->head_len;
    if (have != r->meta.size)
        return cairn__err(CAIRN_ECORRUPT,
                          "corrupt record: value is %zu bytes, header says %llu", have,
                          (unsigned long long)r->meta.size);
    return CAIRN_OK;
}

int cairn__rec_check_sum(const cairn__rec *r, const void *value)
{
    uint64_t h = cairn__hash(value, (size_t)r->meta.size);
    if (h != r->meta.checksum)
        return cairn__err(CAIRN_ECORRUPT,
                          "corrupt record: checksum %016llx, header says %016llx",
                          (unsigned long long)h, (unsigned long long)r->meta.checksum);
    return CAIRN_OK;
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
        int rc = cairn__rec_check_size(out, len);
        return rc ? rc : cairn__rec_check_sum(out, out->value);
    }
    return CAIRN_OK;
bad:
    return cairn__err(CAIRN_ECORRUPT, "corrupt record: bad %s at byte %zu", what,
                      (size_t)(c.p - (const char *)rec));
}
