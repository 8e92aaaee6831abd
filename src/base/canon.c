/*
 * canon.c — the canonical JSON form of canon.h (defined in
 * docs/canonical-json.md) over the jdom tree, and its XXH3-128 hash.
 *
 * Close to RFC 8785 (JCS), with two deliberate differences: members are
 * sorted by their UTF-8 bytes (code points) instead of UTF-16 code units,
 * and numbers written as integers keep every digit, so that 2^53 + 1 and
 * 2^53 never hash alike.
 */
#include "base/canon.h"

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

typedef struct {
    char **buf;
    size_t *len, *cap;
} out_t;

static int put(out_t *o, const void *p, size_t n)
{
    return cairn__buf_put(o->buf, o->len, o->cap, p, n);
}

/* A string with the fewest escapes: '"', '\\' and the control characters
 * (\b \f \n \r \t by name, the others as \u00xx); a lone surrogate (kept
 * by jdom as its 3-byte WTF-8 form) as the \udxxx escape it came from;
 * every other character as its UTF-8 bytes. */
/* Do the 8 bytes at p hold one that needs a look (not printable ASCII, a
 * '"' or a '\\')? */
static inline bool special8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return !cairn__plain8(w);
}

static int put_str(out_t *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (put(o, "\"", 1))
        return CAIRN_ENOMEM;
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        while (i + 8 <= n && !special8(s + i))
            i += 8;
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        char e[6];
        size_t el = 2, skip = 1;
        if (c >= 0x80) {
            size_t k = cairn__utf8_seq((const unsigned char *)s + i, n - i);
            if (k) {
                i += k - 1;
                continue;
            }
            /* Only a WTF-8 surrogate (0xED 0xA0..0xBF xx) gets here. */
            unsigned cp = (c & 0x0Fu) << 12 | ((unsigned char)s[i + 1] & 0x3Fu) << 6 |
                          ((unsigned char)s[i + 2] & 0x3Fu);
            memcpy(e, "\\u", 2);
            e[2] = hex[cp >> 12];
            e[3] = hex[cp >> 8 & 15];
            e[4] = hex[cp >> 4 & 15];
            e[5] = hex[cp & 15];
            el = 6;
            skip = 3;
        } else if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        } else {
            e[0] = '\\';
            switch (c) {
            case '"': e[1] = '"'; break;
            case '\\': e[1] = '\\'; break;
            case '\b': e[1] = 'b'; break;
            case '\f': e[1] = 'f'; break;
            case '\n': e[1] = 'n'; break;
            case '\r': e[1] = 'r'; break;
            case '\t': e[1] = 't'; break;
            default:
                memcpy(e, "\\u00", 4);
                e[4] = hex[c >> 4];
                e[5] = hex[c & 15];
                el = 6;
            }
        }
        if (put(o, s + from, i - from) || put(o, e, el))
            return CAIRN_ENOMEM;
        i += skip - 1;
        from = i + 1;
    }
    if (put(o, s + from, n - from) || put(o, "\"", 1))
        return CAIRN_ENOMEM;
    return CAIRN_OK;
}

/* ---- numbers ---- */

/* The exact decimal digits of an integral double a >= 2^63 (at most 309). */
static size_t big_integer(double a, char *out)
{
    int e;
    double f = frexp(a, &e); /* a = f * 2^e, 0.5 <= f < 1 */
    uint64_t m = (uint64_t)ldexp(f, 53);
    int shift = e - 53; /* >= 11 here */
    uint32_t limb[40];  /* base 1e9, least significant first */
    size_t nl = 0;
    for (; m; m /= 1000000000u)
        limb[nl++] = (uint32_t)(m % 1000000000u);
    while (shift > 0) {
        int s = shift > 29 ? 29 : shift;
        uint64_t carry = 0;
        for (size_t i = 0; i < nl; i++) {
            uint64_t t = ((uint64_t)limb[i] << s) + carry;
            limb[i] = (uint32_t)(t % 1000000000u);
            carry = t / 1000000000u;
        }
        while (carry) {
            limb[nl++] = (uint32_t)(carry % 1000000000u);
            carry /= 1000000000u;
        }
        shift -= s;
    }
    size_t o = (size_t)sprintf(out, "%" PRIu32, limb[nl - 1]);
    for (size_t i = nl - 1; i-- > 0;)
        o += (size_t)sprintf(out + o, "%09" PRIu32, limb[i]);
    return o;
}

/* Lay out the significant digits dig[0..k) (no trailing zero) of a value
 * 0.DIG x 10^n as ECMAScript's Number.prototype.toString does. */
static size_t layout(const char *dig, size_t k, long n, char *out)
{
    size_t o = 0;
    if ((long)k <= n && n <= 21) {
        memcpy(out, dig, k);
        o = k;
        for (long z = 0; z < n - (long)k; z++)
            out[o++] = '0';
    } else if (0 < n && n <= 21) {
        memcpy(out, dig, (size_t)n);
        o = (size_t)n;
        out[o++] = '.';
        memcpy(out + o, dig + n, k - (size_t)n);
        o += k - (size_t)n;
    } else if (-6 < n && n <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (long z = 0; z < -n; z++)
            out[o++] = '0';
        memcpy(out + o, dig, k);
        o += k;
    } else {
        out[o++] = dig[0];
        if (k > 1) {
            out[o++] = '.';
            memcpy(out + o, dig + 1, k - 1);
            o += k - 1;
        }
        o += (size_t)sprintf(out + o, "e%c%ld", n - 1 < 0 ? '-' : '+', labs(n - 1));
    }
    out[o] = '\0';
    return o;
}

/* The significant digits of the text of a number (no leading or trailing
 * zeros) and n, its value being 0.DIG x 10^n; false when it has more than
 * 15 of them (or none). */
static bool text_digits(const char *s, size_t len, char dig[16], size_t *k, long *n)
{
    size_t i = s[0] == '-', nd = 0;
    long point = 0, lead = 0; /* digits before the '.'; leading zeros */
    bool seen = false, frac = false;
    for (; i < len && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            frac = true;
            continue;
        }
        if (!frac)
            point++;
        if (!seen && s[i] == '0') {
            lead++;
            continue;
        }
        seen = true;
        if (nd == 16)
            return false;
        dig[nd++] = s[i];
    }
    while (nd && dig[nd - 1] == '0')
        nd--;
    if (nd == 0 || nd > 15)
        return false;
    long e = 0;
    if (i < len) { /* the exponent: beyond 10^9 the value is no normal double */
        bool neg = s[++i] == '-';
        i += s[i] == '-' || s[i] == '+';
        for (; i < len; i++) {
            if (e > 100000000L)
                return false;
            e = e * 10 + (s[i] - '0');
        }
        e = neg ? -e : e;
    }
    *k = nd;
    *n = point - lead + e;
    return true;
}

/* A double as the canonical form writes it (d finite). Zero (also -0) is
 * "0"; an integral value is all its digits (1e20 is 100000000000000000000);
 * any other value gets the fewest significant digits that read back as
 * the same double (the first %.{p}e, p = 1..17, that does), laid out as
 * ECMAScript's Number.prototype.toString does (0.5, 123.25, 0.000001,
 * 1e-7, 1.5e-7). text[0..len) is the number as written, or NULL. */
static size_t format_double(double d, const char *text, size_t len, char *out)
{
    size_t o = 0;
    if (d == 0)
        return (size_t)sprintf(out, "0");
    if (d < 0) {
        out[o++] = '-';
        d = -d;
    }
    if (d == floor(d)) {
        if (d < 9223372036854775808.0)
            return o + (size_t)sprintf(out + o, "%" PRIu64, (uint64_t)d);
        return o + big_integer(d, out + o);
    }
    char dig[24];
    size_t k;
    long n;
    /* Fast path: a normal double written with at most 15 significant
     * digits (DBL_DIG) reads back from exactly those digits and from no
     * fewer, so the loop below would stop at them. */
    if (text && d >= DBL_MIN && text_digits(text, len, dig, &k, &n))
        return o + layout(dig, k, n, out + o);
    char tmp[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    /* tmp is D[.DDD]e[+-]XX; take the digits and the exponent (any
     * decimal point the locale uses is skipped). */
    k = 0;
    const char *t = tmp;
    for (; *t && *t != 'e'; t++)
        if (*t >= '0' && *t <= '9' && k < sizeof dig)
            dig[k++] = *t;
    long ex = *t == 'e' ? strtol(t + 1, NULL, 10) : 0;
    while (k > 1 && dig[k - 1] == '0')
        k--;
    return o + layout(dig, k, ex + 1, out + o);
}

/* Integer syntax: no fraction, no exponent. Such a number is written with
 * every digit; any other must fit a double. */
static bool plain_int(const jd_node *v)
{
    return !memchr(v->u.s, '.', v->n) && !memchr(v->u.s, 'e', v->n) &&
           !memchr(v->u.s, 'E', v->n);
}

static int check_finite(const jd_node *v)
{
    if (plain_int(v) || isfinite(v->d))
        return CAIRN_OK;
    return cairn__err(CAIRN_EFORMAT, "number %.*s is beyond the range of a double",
                      (int)(v->n > 40 ? 40 : v->n), v->u.s);
}

static int put_num(out_t *o, const jd_node *v)
{
    const char *s = v->u.s;
    size_t n = v->n;
    if (plain_int(v)) {
        /* Every digit kept; "-0" is "0" (JSON has no leading zeros). */
        if (n == 2 && s[0] == '-' && s[1] == '0')
            return put(o, "0", 1);
        return put(o, s, n);
    }
    int rc = check_finite(v);
    if (rc)
        return rc;
    char buf[400];
    size_t len = format_double(v->d, s, n, buf);
    return put(o, buf, len);
}

/* ---- objects ---- */

/* By key bytes (a prefix first), then by position: of duplicate names the
 * last one is kept, as jd_get and cairn__json_equal read them. */
static int cmp_member(const void *pa, const void *pb)
{
    const jd_node *a = *(const jd_node *const *)pa, *b = *(const jd_node *const *)pb;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = n ? memcmp(a->key, b->key, n) : 0;
    if (c)
        return c;
    if (a->klen != b->klen)
        return a->klen < b->klen ? -1 : 1;
    return a < b ? -1 : a > b;
}

static int put_value(out_t *o, const jd_node *v);

/* A member a later one of the same name hides is not written, yet the
 * document is refused for it as for any other: a number beyond a double
 * anywhere in the text makes it no canonical form. */
static int check_hidden(const jd_node *v)
{
    if (v->type == JD_NUM)
        return check_finite(v);
    int rc = CAIRN_OK;
    if (v->type == JD_ARR || v->type == JD_OBJ)
        for (uint32_t i = 0; i < v->n && !rc; i++)
            rc = check_hidden(&v->u.kids[i]);
    return rc;
}

static int put_object(out_t *o, const jd_node *v)
{
    const jd_node *stack_m[16];
    const jd_node **m = stack_m;
    if (v->n > 16 && !(m = malloc(v->n * sizeof *m)))
        return cairn__err(CAIRN_ENOMEM, "out of memory writing canonical JSON");
    for (uint32_t i = 0; i < v->n; i++)
        m[i] = &v->u.kids[i];
    qsort(m, v->n, sizeof *m, cmp_member);
    int rc = put(o, "{", 1);
    bool first = true;
    for (uint32_t i = 0; i < v->n && !rc; i++) {
        if (i + 1 < v->n && m[i + 1]->klen == m[i]->klen &&
            !memcmp(m[i + 1]->key, m[i]->key, m[i]->klen)) {
            rc = check_hidden(m[i]); /* a later member of the same name wins */
            continue;
        }
        if (!first)
            rc = put(o, ",", 1);
        first = false;
        if (!rc)
            rc = put_str(o, m[i]->key, m[i]->klen);
        if (!rc)
            rc = put(o, ":", 1);
        if (!rc)
            rc = put_value(o, m[i]);
    }
    if (!rc)
        rc = put(o, "}", 1);
    if (m != stack_m)
        free(m);
    return rc;
}

static int put_value(out_t *o, const jd_node *v)
{
    switch (v->type) {
    case JD_NULL: return put(o, "null", 4);
    case JD_FALSE: return put(o, "false", 5);
    case JD_TRUE: return put(o, "true", 4);
    case JD_NUM: return put_num(o, v);
    case JD_STR: return put_str(o, v->u.s, v->n);
    case JD_OBJ: return put_object(o, v);
    default: break;
    }
    int rc = put(o, "[", 1);
    for (uint32_t i = 0; i < v->n && !rc; i++) {
        if (i)
            rc = put(o, ",", 1);
        if (!rc)
            rc = put_value(o, &v->u.kids[i]);
    }
    return rc ? rc : put(o, "]", 1);
}

int cairn__jd_canon(const jd_node *v, char **buf, size_t *len, size_t *cap)
{
    if (!v || !buf || !len || !cap)
        return cairn__err(CAIRN_EINVAL, "cairn__jd_canon: NULL argument");
    out_t o = {buf, len, cap};
    int rc = put_value(&o, v);
    if (rc == CAIRN_ENOMEM)
        return cairn__err(CAIRN_ENOMEM, "out of memory writing canonical JSON");
    return rc;
}

int cairn__json_canon(const void *json, size_t len, char **out, size_t *outlen)
{
    if (out)
        *out = NULL;
    if (!out || (!json && len))
        return cairn__err(CAIRN_EINVAL, "cairn__json_canon: NULL argument");
    /* A small document's tree fits here: no malloc for it. */
    _Alignas(8) char first[8192];
    jd_arena a;
    jd_arena_init(&a, first, sizeof first);
    jd_node *root;
    int rc = jd_parse(&a, json, len, &root);
    char *buf = NULL;
    size_t bl = 0, cap = 0;
    if (!rc)
        rc = cairn__jd_canon(root, &buf, &bl, &cap);
    jd_arena_free(&a);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    if (outlen)
        *outlen = bl;
    return CAIRN_OK;
}

int cairn__json_hash(const void *json, size_t len, uint8_t out[CAIRN_CANON_HASH_LEN])
{
    if (!out)
        return cairn__err(CAIRN_EINVAL, "cairn__json_hash: NULL argument");
    char *c;
    size_t n;
    int rc = cairn__json_canon(json, len, &c, &n);
    if (rc)
        return rc;
    XXH128_canonical_t h;
    XXH128_canonicalFromHash(&h, XXH3_128bits(c, n));
    memcpy(out, h.digest, CAIRN_CANON_HASH_LEN);
    free(c);
    return CAIRN_OK;
}
