/*
 * record.c — the record encoding every backend stores: one header line of
 * JSON with the metadata, a newline, then the value bytes (see record/record.h).
 * The decoder is strict: fixed field order, nothing it did not write.
 */
#include "record/record.h"
#include "base/error.h"
#include "base/hash.h"
#include "record/zip.h"

#include <stdlib.h>
#include <string.h>

static const char *const format_names[] = {"json", "text", "bytes", "msgpack", "npy"};

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
    return cairn__err(CAIRN_EINVAL, "unknown format '%s' (json, text, bytes, msgpack or npy)",
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

static const char digits2[] = "00010203040506070809101112131415161718192021222324"
                               "25262728293031323334353637383940414243444546474849"
                               "50515253545556575859606162636465666768697071727374"
                               "75767778798081828384858687888990919293949596979899";

/* Decimal digits of v, two at a time from the right, straight into p. */
static char *put_u64(char *p, uint64_t v)
{
    unsigned n = 1;
    for (uint64_t t = v; t >= 10 && n < 20; t /= 10)
        n++;
    char *q = p + n;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        q -= 2;
        memcpy(q, digits2 + 2 * r, 2);
    }
    if (v >= 10)
        memcpy(q - 2, digits2 + 2 * v, 2);
    else
        q[-1] = (char)('0' + v);
    return p + n;
}

static char *put_hex(char *p, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--)
        *p++ = hex[(v >> (4 * i)) & 15];
    return p;
}

size_t cairn__rec_head(char *buf, const cairn_meta *m, uint64_t umeta_sum,
                       const uint64_t *key_sum)
{
    const char *fmt = cairn_format_name(m->format);
    const char *model = m->model ? m->model : "";
    char *p = buf;
    p = key_sum ? PUT(p, "{\"cairn\":2,\"ver\":") : PUT(p, "{\"cairn\":1,\"ver\":");
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
    if (m->compression && !strcmp(m->compression, "zstd")) {
        p = PUT(p, ",\"zip\":\"zstd\",\"zsize\":");
        p = put_u64(p, m->stored_size);
    } else {
        p = PUT(p, ",\"zip\":\"none\"");
    }
    p = PUT(p, ",\"xxh3\":\"");
    p = put_hex(p, m->checksum, 16);
    p = PUT(p, "\",\"model\":\"");
    p = put_str(p, model, strnlen(model, CAIRN_MODEL_MAX));
    p = PUT(p, "\"");
    if (m->user_meta_len) {
        p = PUT(p, ",\"umeta\":");
        p = put_u64(p, m->user_meta_len);
        p = PUT(p, ",\"uxxh3\":\"");
        p = put_hex(p, umeta_sum, 16);
        p = PUT(p, "\"");
    }
    if (key_sum) {
        p = PUT(p, ",\"kxxh3\":\"");
        p = put_hex(p, *key_sum, 16);
        p = PUT(p, "\"");
    }
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

/* Inlined, so that each literal's memcmp has a constant length and
 * compiles to a few loads and compares. */
static inline __attribute__((always_inline)) bool lit_n(cur *c, const char *s, size_t n)
{
    if ((size_t)(c->end - c->p) < n)
        return false;
    uint64_t diff = 0;
    size_t i = 0;
#pragma GCC unroll 8
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, c->p + i, 8);
        memcpy(&b, s + i, 8);
        diff |= a ^ b;
    }
#pragma GCC unroll 8
    for (; i < n; i++)
        diff |= (unsigned char)c->p[i] ^ (unsigned char)s[i];
    if (diff)
        return false;
    c->p += n;
    return true;
}
/* String literals only: their length is known at compile time. */
#define lit(c, s) lit_n((c), "" s, sizeof(s) - 1)

/* The decoder finds the header's newline first and parses within it: the
 * newline stops every digit and hex run, so these loops need no bounds
 * check of their own. */
static inline __attribute__((always_inline)) bool u64(cur *c, uint64_t *out)
{
    const char *b = c->p;
    uint64_t v = 0;
    unsigned d;
    /* Eight digits at once when there are (times have 13): the usual SWAR
     * test and multiply-and-fold, then the rest one by one. */
    uint64_t w;
    if (c->end - c->p >= 8) {
        memcpy(&w, c->p, 8);
        const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull;
        if (((w & hi) | (((w + 0x0606060606060606ull) & hi) >> 4)) == 0x3333333333333333ull) {
            w = ((w & 0x0F0F0F0F0F0F0F0Full) * 2561) >> 8;            /* pairs */
            w = ((w & 0x00FF00FF00FF00FFull) * 6553601) >> 16;        /* quads */
            v = ((w & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32; /* eight */
            c->p += 8;
        }
    }
    while ((d = (unsigned)(unsigned char)*c->p - '0') < 10 && c->p - b < 20) {
        v = v * 10 + d;
        c->p++;
    }
    size_t n = (size_t)(c->p - b);
    if (n == 0 || (n > 1 && *b == '0') || (unsigned)(unsigned char)*c->p - '0' < 10)
        return false;
    if (n == 20) { /* may have wrapped: at most 18446744073709551615 */
        if (memcmp(b, "18446744073709551615", 20) > 0)
            return false;
    }
    *out = v;
    return true;
}

static inline __attribute__((always_inline)) bool i64(cur *c, int64_t *out)
{
    uint64_t v;
    if (!u64(c, &v) || v > INT64_MAX)
        return false;
    *out = (int64_t)v;
    return true;
}

/* Value of a lowercase hex digit, 16 for any other byte. */
static const unsigned char hexval[256] = {
#define X16 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16
    X16, X16, X16,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 16, 16, 16, 16, 16,         /* '0'..'?' */
    X16,                                                          /* '@'..'O' */
    X16,                                                          /* 'P'..'_' */
    16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, /* '`'..'o' */
    X16, X16, X16, X16, X16, X16, X16, X16, X16,
#undef X16
};

/* digits lowercase hex digits (at most 16) into *out. */
static inline __attribute__((always_inline)) bool hexn(cur *c, int digits, uint64_t *out)
{
    uint64_t v = 0;
    unsigned bad = 0;
    if (c->end - c->p < digits)
        return false;
    for (int i = 0; i < digits; i++) {
        unsigned d = hexval[(unsigned char)c->p[i]];
        bad |= d;
        v = v << 4 | (d & 15);
    }
    if (bad & 16)
        return false;
    c->p += digits;
    *out = v;
    return true;
}

int cairn__rec_check_size(const cairn__rec *r, size_t rec_len)
{
    size_t have = rec_len - r->head_len;
    if (have != r->umeta_len + r->stored_len)
        return cairn__err(CAIRN_ECORRUPT,
                          "corrupt record: value is %zu bytes, header says %zu", have,
                          r->umeta_len + r->stored_len);
    if (r->umeta_len) {
        uint64_t h = cairn__hash(r->umeta, r->umeta_len);
        if (h != r->umeta_sum)
            return cairn__err(CAIRN_ECORRUPT,
                              "corrupt record: user metadata checksum %016llx, header says "
                              "%016llx",
                              (unsigned long long)h, (unsigned long long)r->umeta_sum);
    }
    return CAIRN_OK;
}

int cairn__rec_load(cairn__rec *r, char **tmp)
{
    *tmp = NULL;
    if (!r->zstd)
        return CAIRN_OK;
    int rc = cairn__unzip(r->stored, r->stored_len, (size_t)r->meta.size, tmp);
    if (rc)
        return rc;
    if ((rc = cairn__rec_check_sum(r, *tmp))) {
        free(*tmp);
        *tmp = NULL;
        return rc;
    }
    r->value = *tmp;
    r->zstd = false; /* loaded: value is the plain bytes now */
    return CAIRN_OK;
}

int cairn__rec_check_key(const cairn__rec *r, const char *key, size_t klen)
{
    if (!r->bound)
        return CAIRN_OK; /* version 1: written before records named their key */
    uint64_t h = cairn__hash(key, klen);
    if (h == r->key_sum)
        return CAIRN_OK;
    /* Keys are checked (no control bytes, valid UTF-8): printed as they are. */
    return cairn__err(CAIRN_ECORRUPT,
                      "corrupt record: the record at %.*s belongs to another key (it names "
                      "key hash %016llx, %.*s's is %016llx)",
                      (int)klen, key, (unsigned long long)r->key_sum, (int)klen, key,
                      (unsigned long long)h);
}

int cairn__rec_decode_key(const void *rec, size_t len, bool verify, const char *key,
                          size_t klen, cairn__rec *out)
{
    int rc = cairn__rec_decode(rec, len, verify, out);
    return rc ? rc : cairn__rec_check_key(out, key, klen);
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
    const char *nl = memchr(rec, '\n', len < CAIRN__HEAD_MAX ? len : CAIRN__HEAD_MAX);
    if (!nl)
        return cairn__err(CAIRN_ECORRUPT, "corrupt record: no header line in the first %zu "
                                          "bytes", len < CAIRN__HEAD_MAX ? len : CAIRN__HEAD_MAX);
    cur c = {rec, nl + 1};
    cairn_meta *m = &out->meta;
    const char *what = "header";
    uint64_t u;

    memset(m, 0, sizeof *m);
    out->value = NULL;
    out->head_len = 0;
    out->model[0] = '\0';
    out->umeta = out->stored = NULL;
    out->umeta_len = out->stored_len = 0;
    out->umeta_sum = 0;
    out->zstd = false;
    out->bound = lit(&c, "{\"cairn\":2,\"ver\":");
    out->key_sum = 0;
    if ((!out->bound && !lit(&c, "{\"cairn\":1,\"ver\":")) || !u64(&c, &m->version)) {
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
    if (lit(&c, ",\"zip\":\"none\"")) {
        m->compression = "none";
        m->stored_size = m->size;
    } else if (lit(&c, ",\"zip\":\"zstd\",\"zsize\":") && u64(&c, &u) && u >= 1 &&
               u < m->size) {
        /* The encoder stores a value compressed only when that saves
         * space: anything else is not a record it wrote. */
        m->compression = "zstd";
        m->stored_size = u;
        out->zstd = true;
    } else {
        goto bad;
    }
    what = "checksum";
    if (!lit(&c, ",\"xxh3\":\"") || !hexn(&c, 16, &m->checksum) || !lit(&c, "\""))
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
    what = "user metadata";
    if (lit(&c, ",\"umeta\":")) {
        if (!u64(&c, &u) || u < 1 || u > CAIRN_USER_META_MAX ||
            !lit(&c, ",\"uxxh3\":\"") || !hexn(&c, 16, &out->umeta_sum) || !lit(&c, "\""))
            goto bad;
        m->user_meta_len = (size_t)u;
        out->umeta_len = (size_t)u;
    }
    what = "key binding";
    if (out->bound &&
        (!lit(&c, ",\"kxxh3\":\"") || !hexn(&c, 16, &out->key_sum) || !lit(&c, "\"")))
        goto bad;
    what = "header checksum";
    {
        uint32_t want = (uint32_t)cairn__hash(rec, (size_t)(c.p - (const char *)rec));
        uint64_t got;
        if (!lit(&c, ",\"hh\":\"") || !hexn(&c, 8, &got))
            goto bad;
        if (got != want)
            return cairn__err(CAIRN_ECORRUPT,
                              "corrupt record: header checksum %08x, header says %08x",
                              want, (unsigned)got);
    }
    what = "header end";
    if (!lit(&c, "\"}\n"))
        goto bad;
    out->head_len = (size_t)(c.p - (const char *)rec);
    out->stored_len = (size_t)m->stored_size;
    /* Pointers past a header-only prefix are never read through: the body
     * is only looked at after cairn__rec_check_size() saw it whole. */
    out->umeta = (const char *)rec + out->head_len;
    out->stored = out->umeta + out->umeta_len;
    out->value = out->stored;
    if (verify) {
        int rc = cairn__rec_check_size(out, len);
        if (rc == CAIRN_OK && !out->zstd)
            rc = cairn__rec_check_sum(out, out->value);
        return rc;
    }
    return CAIRN_OK;
bad:
    return cairn__err(CAIRN_ECORRUPT, "corrupt record: bad %s at byte %zu", what,
                      (size_t)(c.p - (const char *)rec));
}
