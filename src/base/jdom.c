/*
 * jdom.c — the arena JSON tree of jdom.h: a recursive-descent parser whose
 * containers gather their children on one scratch stack and move them to
 * the arena when they close, so each container's children are contiguous.
 *
 * Strings without escapes point into the input (zero copy); numbers keep
 * their text and get int64 and double without strtod in the common case.
 */
#include "base/jdom.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"


#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

struct jd_chunk {
    jd_chunk *next;
    size_t size;
};

#define JD_ALIGN 8u

void jd_arena_init(jd_arena *a, void *buf, size_t n)
{
    a->head = NULL;
    a->next = 4096;
    if (buf && n >= JD_ALIGN) {
        uintptr_t b = ((uintptr_t)buf + JD_ALIGN - 1) & ~(uintptr_t)(JD_ALIGN - 1);
        a->p = (char *)b;
        a->end = (char *)buf + n;
        if (a->p > a->end)
            a->p = a->end;
    } else {
        a->p = a->end = NULL;
    }
}

void jd_arena_free(jd_arena *a)
{
    jd_chunk *c = a->head;
    while (c) {
        jd_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
    a->p = a->end = NULL;
}

void *jd_alloc(jd_arena *a, size_t n)
{
    n = (n + JD_ALIGN - 1) & ~(size_t)(JD_ALIGN - 1);
    if ((size_t)(a->end - a->p) < n) {
        size_t size = a->next;
        while (size < n + sizeof(jd_chunk))
            size *= 2;
        jd_chunk *c = malloc(size);
        if (!c)
            return NULL;
        c->next = a->head;
        c->size = size;
        a->head = c;
        if (a->next < (1u << 20))
            a->next *= 2;
        a->p = (char *)(c + 1);
        a->end = (char *)c + size;
    }
    void *r = a->p;
    a->p += n;
    return r;
}

char *jd_strndup(jd_arena *a, const char *s, size_t n)
{
    char *d = jd_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* ---- parser ---- */

typedef struct {
    const unsigned char *p, *end, *start;
    const char *why;
    jd_arena *a;
    jd_node *stack; /* children of the open containers */
    size_t top, cap;
    int depth;
    bool oom;
    bool on_heap; /* stack was malloc'd (it starts on the C stack) */
} parser;

static void skip_ws(parser *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hexval(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    return -1;
}

static unsigned hex4(const unsigned char *p)
{
    int a = hexval(p[0]), b = hexval(p[1]), c = hexval(p[2]), d = hexval(p[3]);
    if ((a | b | c | d) < 0)
        return 0x110000u;
    return (unsigned)(a << 12 | b << 8 | c << 4 | d);
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Unescape the body [b, e) (escapes known to be well-formed) into o. */
static size_t unescape(const unsigned char *b, const unsigned char *e, char *o0, bool *bad)
{
    char *o = o0;
    while (b < e) {
        if (*b != '\\') {
            *o++ = (char)*b++;
            continue;
        }
        unsigned c = b[1];
        b += 2;
        switch (c) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp = hex4(b);
            b += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && e - b >= 6 && b[0] == '\\' && b[1] == 'u') {
                unsigned lo = hex4(b + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    b += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000)
                *bad = true; /* lone surrogate, kept as WTF-8 */
            o = put_utf8(o, cp);
            break;
        }
        default: *o++ = (char)c; break; /* " \ / */
        }
    }
    return (size_t)(o - o0);
}

/* Scan a string at s->p (the opening quote); set *str and *len. */
static bool parse_string(parser *s, const char **str, uint32_t *len, uint8_t *bad_utf8)
{
    const unsigned char *b = s->p + 1;
    bool esc = false;
    if (!cairn__json_string(&s->p, s->end, &esc, &s->why))
        return false;
    const unsigned char *e = s->p - 1; /* the closing quote */
    size_t n = (size_t)(e - b);
    if (n > UINT32_MAX - 8) {
        s->why = "string too long";
        return false;
    }
    bool bad = false;
    if (!esc) {
        *str = (const char *)b;
        *len = (uint32_t)n;
    } else {
        char *o = jd_alloc(s->a, n + 1);
        if (!o) {
            s->oom = true;
            return false;
        }
        n = unescape(b, e, o, &bad);
        o[n] = '\0';
        *str = o;
        *len = (uint32_t)n;
    }
    if (bad_utf8)
        *bad_utf8 = bad;
    return true;
}

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static bool parse_number(parser *s, jd_node *v)
{
    const unsigned char *b = s->p;
    bool neg = false;
    uint64_t mant = 0;
    int digits = 0, scale = 0; /* significant digits kept; value = mant * 10^scale */
    bool dropped = false;      /* a non-zero digit did not fit in mant */
    if (*s->p == '-') {
        neg = true;
        s->p++;
    }
    if (s->p < s->end && *s->p == '0') {
        s->p++;
    } else if (s->p < s->end && *s->p >= '1' && *s->p <= '9') {
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (digits < 19) {
                mant = mant * 10 + (unsigned)(*s->p - '0');
                if (mant)
                    digits++;
            } else {
                scale++;
                dropped |= *s->p != '0';
            }
            s->p++;
        }
    } else {
        s->why = "bad number";
        return false;
    }
    bool frac = false, exp = false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        frac = true;
        const unsigned char *d = s->p;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (digits < 19) {
                mant = mant * 10 + (unsigned)(*s->p - '0');
                if (mant)
                    digits++;
                scale--;
            } else {
                dropped |= *s->p != '0';
            }
            s->p++;
        }
        if (s->p == d) {
            s->why = "bad number fraction";
            return false;
        }
    }
    long e10 = 0;
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        exp = true;
        bool eneg = false;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            eneg = *s->p++ == '-';
        const unsigned char *d = s->p;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (e10 < 100000)
                e10 = e10 * 10 + (*s->p - '0');
            s->p++;
        }
        if (s->p == d) {
            s->why = "bad number exponent";
            return false;
        }
        if (eneg)
            e10 = -e10;
    }
    size_t tlen = (size_t)(s->p - b);
    v->type = JD_NUM;
    v->u.s = (const char *)b;
    v->n = (uint32_t)(tlen < UINT32_MAX ? tlen : UINT32_MAX);
    long sc = scale + e10;
    /* Exact fast path: mant < 2^53 and a power of ten a double holds exactly
     * (the division or product is then correctly rounded). */
    if (!dropped && mant < (1ull << 53) && sc >= -22 && sc <= 22) {
        double d = (double)mant;
        d = sc < 0 ? d / pow10_tab[-sc] : d * pow10_tab[sc];
        v->d = neg ? -d : d;
    } else {
        char tmp[64];
        char *t = tlen < sizeof tmp ? tmp : malloc(tlen + 1);
        if (!t) {
            s->oom = true;
            return false;
        }
        memcpy(t, b, tlen);
        t[tlen] = '\0';
        v->d = strtod(t, NULL);
        if (t != tmp)
            free(t);
    }
    v->is_int = 0;
    v->integral = 0;
    if (!frac && !exp && !dropped && digits <= 19 && scale == 0) {
        /* A plain integer of up to 19 digits: int64 unless just beyond.
         * (scale > 0: zeros past the 19th digit, e.g. 18374686479671623680,
         * are not in mant; the double path below judges those.) */
        if (!neg && mant <= (uint64_t)INT64_MAX) {
            v->i = (int64_t)mant;
            v->is_int = 1;
        } else if (neg && mant <= (uint64_t)INT64_MAX + 1) {
            v->i = mant == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mant;
            v->is_int = 1;
        }
        v->integral = 1;
    } else if (isfinite(v->d) && v->d == floor(v->d)) {
        v->integral = 1;
        if (v->d >= -9223372036854775808.0 && v->d < 9223372036854775808.0) {
            v->i = (int64_t)v->d;
            v->is_int = 1;
        }
    }
    return true;
}

static bool parse_word(parser *s, const char *w, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0) {
        s->why = "unexpected character";
        return false;
    }
    s->p += n;
    return true;
}

static jd_node *push(parser *s)
{
    if (s->top == s->cap) {
        size_t cap = s->cap * 2;
        jd_node *n = s->on_heap ? realloc(s->stack, cap * sizeof *n) : malloc(cap * sizeof *n);
        if (!n) {
            s->oom = true;
            return NULL;
        }
        if (!s->on_heap)
            memcpy(n, s->stack, s->top * sizeof *n);
        s->on_heap = true;
        s->stack = n;
        s->cap = cap;
    }
    jd_node *v = &s->stack[s->top++];
    memset(v, 0, sizeof *v);
    return v;
}

static bool parse_value(parser *s, jd_node *v);

/* Parse the container at s->p into v; children go on the scratch stack,
 * then to the arena. v may not be kept across calls that push. */
static bool parse_container(parser *s, size_t vi)
{
    bool obj = *s->p == '{';
    if (s->depth >= JD_DEPTH_MAX) {
        s->why = "nesting deeper than 512";
        return false;
    }
    s->depth++;
    s->p++;
    size_t base = s->top;
    skip_ws(s);
    if (s->p < s->end && *s->p == (obj ? '}' : ']')) {
        s->p++;
    } else {
        for (;;) {
            jd_node *c = push(s);
            if (!c)
                return false;
            size_t ci = s->top - 1;
            if (obj) {
                if (s->p >= s->end || *s->p != '"') {
                    s->why = "expected a string key";
                    return false;
                }
                const char *k;
                uint32_t kl;
                if (!parse_string(s, &k, &kl, NULL))
                    return false;
                s->stack[ci].key = k;
                s->stack[ci].klen = kl;
                skip_ws(s);
                if (s->p >= s->end || *s->p != ':') {
                    s->why = "expected ':'";
                    return false;
                }
                s->p++;
                skip_ws(s);
            }
            if (s->p >= s->end) {
                s->why = "unexpected end";
                return false;
            }
            if (*s->p == '{' || *s->p == '[') {
                if (!parse_container(s, ci))
                    return false;
            } else if (!parse_value(s, &s->stack[ci])) {
                return false;
            }
            skip_ws(s);
            if (s->p >= s->end) {
                s->why = "unexpected end";
                return false;
            }
            if (*s->p == ',') {
                s->p++;
                skip_ws(s);
                continue;
            }
            if (*s->p == (obj ? '}' : ']')) {
                s->p++;
                break;
            }
            s->why = obj ? "expected ',' or '}'" : "expected ',' or ']'";
            return false;
        }
    }
    size_t n = s->top - base;
    jd_node *kids = NULL;
    if (n) {
        if (n > UINT32_MAX) {
            s->why = "too many members";
            return false;
        }
        kids = jd_alloc(s->a, n * sizeof *kids);
        if (!kids) {
            s->oom = true;
            return false;
        }
        memcpy(kids, s->stack + base, n * sizeof *kids);
    }
    s->top = base;
    jd_node *v = &s->stack[vi];
    v->type = obj ? JD_OBJ : JD_ARR;
    v->n = (uint32_t)n;
    v->u.kids = kids;
    s->depth--;
    return true;
}

static bool parse_value(parser *s, jd_node *v)
{
    switch (*s->p) {
    case '"':
        v->type = JD_STR;
        return parse_string(s, &v->u.s, &v->n, &v->bad_utf8);
    case 't':
        v->type = JD_TRUE;
        return parse_word(s, "true", 4);
    case 'f':
        v->type = JD_FALSE;
        return parse_word(s, "false", 5);
    case 'n':
        v->type = JD_NULL;
        return parse_word(s, "null", 4);
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return parse_number(s, v);
        s->why = "unexpected character";
        return false;
    }
}

int jd_parse(jd_arena *a, const void *buf, size_t n, jd_node **out)
{
    jd_node first[64];
    parser s = {buf, (const unsigned char *)buf + n, buf, NULL, a, first, 0, 64, 0, false, false};
    int rc = CAIRN_OK;
    skip_ws(&s);
    push(&s); /* the root: the first of the 64 on-stack nodes, cannot fail */
    bool ok;
    if (s.p >= s.end) {
        s.why = "unexpected end";
        ok = false;
    } else if (*s.p == '{' || *s.p == '[') {
        ok = parse_container(&s, 0);
    } else {
        ok = parse_value(&s, &s.stack[0]);
    }
    if (ok) {
        skip_ws(&s);
        if (s.p != s.end) {
            s.why = "trailing characters after the JSON value";
            ok = false;
        }
    }
    if (ok) {
        jd_node *r = jd_alloc(a, sizeof *r);
        if (r) {
            *r = s.stack[0];
            *out = r;
        } else {
            rc = cairn__err(CAIRN_ENOMEM, "out of memory parsing JSON");
        }
    } else if (s.oom) {
        rc = cairn__err(CAIRN_ENOMEM, "out of memory parsing JSON");
    } else {
        rc = cairn__err(CAIRN_EFORMAT, "invalid JSON at byte %zu: %s", (size_t)(s.p - s.start),
                        s.why ? s.why : "syntax error");
    }
    if (s.on_heap)
        free(s.stack);
    return rc;
}

const jd_node *jd_get(const jd_node *obj, const char *key, size_t klen)
{
    if (!obj || obj->type != JD_OBJ)
        return NULL;
    for (uint32_t i = obj->n; i-- > 0;) {
        const jd_node *m = &obj->u.kids[i];
        if (m->klen == klen && memcmp(m->key, key, klen) == 0)
            return m;
    }
    return NULL;
}

bool jd_equal(const jd_node *a, const jd_node *b)
{
    if (a->type == JD_NUM && b->type == JD_NUM) {
        if (a->is_int && b->is_int)
            return a->i == b->i;
        return a->d == b->d;
    }
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case JD_STR:
        return a->n == b->n && memcmp(a->u.s, b->u.s, a->n) == 0;
    case JD_ARR:
        if (a->n != b->n)
            return false;
        for (uint32_t i = 0; i < a->n; i++)
            if (!jd_equal(&a->u.kids[i], &b->u.kids[i]))
                return false;
        return true;
    case JD_OBJ:
        /* By the values jd_get sees (the last of duplicate names); the
         * member counts differ when only one side repeats a name. */
        for (uint32_t i = 0; i < a->n; i++) {
            const jd_node *m = &a->u.kids[i];
            const jd_node *o = jd_get(b, m->key, m->klen);
            if (!o || !jd_equal(jd_get(a, m->key, m->klen), o))
                return false;
        }
        for (uint32_t i = 0; i < b->n; i++)
            if (!jd_get(a, b->u.kids[i].key, b->u.kids[i].klen))
                return false;
        return true;
    default:
        return true;
    }
}

const char *jd_type_name(const jd_node *v)
{
    switch (v->type) {
    case JD_NULL: return "null";
    case JD_FALSE:
    case JD_TRUE: return "boolean";
    case JD_NUM: return v->integral ? "integer" : "number";
    case JD_STR: return "string";
    case JD_ARR: return "array";
    default: return "object";
    }
}

/* ---- writer ---- */

static int put_str(const char *s, size_t n, char **buf, size_t *len, size_t *cap)
{
    static const char hex[] = "0123456789abcdef";
    if (cairn__buf_put(buf, len, cap, "\"", 1))
        return CAIRN_ENOMEM;
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t k = cairn__utf8_seq((const unsigned char *)s + i, n - i);
            if (k) {
                i += k - 1;
                continue;
            }
            /* Only a lone surrogate kept as WTF-8 gets here: write it as
             * the escape it came from, so the output is JSON. */
            if (cairn__buf_put(buf, len, cap, s + from, i - from))
                return CAIRN_ENOMEM;
            unsigned cp = (c & 0x0Fu) << 12 | ((unsigned char)s[i + 1] & 0x3Fu) << 6 |
                          ((unsigned char)s[i + 2] & 0x3Fu);
            char e[7] = {'\\', 'u', hex[cp >> 12], hex[cp >> 8 & 15], hex[cp >> 4 & 15],
                         hex[cp & 15], 0};
            if (cairn__buf_put(buf, len, cap, e, 6))
                return CAIRN_ENOMEM;
            i += 2;
            from = i + 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (cairn__buf_put(buf, len, cap, s + from, i - from))
            return CAIRN_ENOMEM;
        char e[7] = {'\\', (char)c, 0};
        size_t el = 2;
        if (c == '\n')
            e[1] = 'n';
        else if (c == '\t')
            e[1] = 't';
        else if (c == '\r')
            e[1] = 'r';
        else if (c < 0x20) {
            memcpy(e, "\\u00", 4);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            el = 6;
        }
        if (cairn__buf_put(buf, len, cap, e, el))
            return CAIRN_ENOMEM;
        from = i + 1;
    }
    if (cairn__buf_put(buf, len, cap, s + from, n - from) || cairn__buf_put(buf, len, cap, "\"", 1))
        return CAIRN_ENOMEM;
    return CAIRN_OK;
}

int jd_write(const jd_node *v, char **buf, size_t *len, size_t *cap)
{
    switch (v->type) {
    case JD_NULL: return cairn__buf_put(buf, len, cap, "null", 4);
    case JD_FALSE: return cairn__buf_put(buf, len, cap, "false", 5);
    case JD_TRUE: return cairn__buf_put(buf, len, cap, "true", 4);
    case JD_NUM: return cairn__buf_put(buf, len, cap, v->u.s, v->n);
    case JD_STR: return put_str(v->u.s, v->n, buf, len, cap);
    default: break;
    }
    bool obj = v->type == JD_OBJ;
    if (cairn__buf_put(buf, len, cap, obj ? "{" : "[", 1))
        return CAIRN_ENOMEM;
    for (uint32_t i = 0; i < v->n; i++) {
        const jd_node *c = &v->u.kids[i];
        if (i && cairn__buf_put(buf, len, cap, ",", 1))
            return CAIRN_ENOMEM;
        if (obj && (put_str(c->key, c->klen, buf, len, cap) || cairn__buf_put(buf, len, cap, ":", 1)))
            return CAIRN_ENOMEM;
        if (jd_write(c, buf, len, cap))
            return CAIRN_ENOMEM;
    }
    return cairn__buf_put(buf, len, cap, obj ? "}" : "]", 1);
}
