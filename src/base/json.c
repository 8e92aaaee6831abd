/*
 * json.c — UTF-8 validation, a non-allocating JSON syntax check for the put
 * path, and semantic JSON equality (via jansson) for FAIL_IF_DIFFERENT.
 *
 * Why our own syntax check: a put only needs to know the bytes are JSON, and
 * building a tree costs as much as the store write itself (jansson ~15 us per
 * 1 KiB document; bench/json_check compares the two). Equality, which needs
 * the values, uses jansson, which keeps int64 exactly.
 */
#include "base/json.h"
#include "base/error.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

bool cairn__utf8_valid(const void *buf, size_t n, size_t *bad)
{
    const unsigned char *p = buf;
    size_t i = 0;
    while (i < n) {
        /* Fast path: eight ASCII bytes at a time. */
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        size_t k = cairn__utf8_seq(p + i, n - i);
        if (k == 0) {
            if (bad)
                *bad = i;
            return false;
        }
        i += k;
    }
    return true;
}

/* ---- JSON syntax check ---- */

#define JSON_DEPTH_MAX 512

typedef struct {
    const unsigned char *p, *end, *start;
    const char *why;
} jscan;

static bool scan_string(jscan *s)
{
    bool esc = false;
    return cairn__json_string(&s->p, s->end, &esc, &s->why);
}

/* Skip JSON white space; the first test settles the common case (a token
 * right there). */
static inline const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && *p <= ' ' && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static inline const unsigned char *skip_digits(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (unsigned)(*p - '0') < 10)
        p++;
    return p;
}

/* Scan a number at s->p (a '-' or a digit is there). */
static bool scan_number(jscan *s)
{
    const unsigned char *p = s->p, *end = s->end, *b;
    if (*p == '-')
        p++;
    if (p < end && *p == '0') {
        p++;
    } else if (b = p, (p = skip_digits(p, end)) == b) {
        s->p = p;
        s->why = "bad number";
        return false;
    }
    if (p < end && *p == '.') {
        if (b = p + 1, (p = skip_digits(b, end)) == b) {
            s->p = p;
            s->why = "bad number fraction";
            return false;
        }
    }
    if (p < end && (*p | 0x20) == 'e') {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (b = p, (p = skip_digits(p, end)) == b) {
            s->p = p;
            s->why = "bad number exponent";
            return false;
        }
    }
    s->p = p;
    return true;
}

static bool scan_word(jscan *s, const char *w, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0) {
        s->why = "unexpected character";
        return false;
    }
    s->p += n;
    return true;
}

/* One pass as a small state machine: `value` expects a value, `key` an
 * object member's name, `after` what may follow a complete value. The
 * container stack holds '{' or '['. */
int cairn__json_check(const void *buf, size_t n)
{
    unsigned char stack[JSON_DEPTH_MAX];
    int depth = 0;
    jscan s = {buf, (const unsigned char *)buf + n, buf, NULL};

value:
    s.p = skip_ws(s.p, s.end);
    if (s.p >= s.end) {
        s.why = "unexpected end";
        goto bad;
    }
    switch (*s.p) {
    case '{':
    case '[':
        if (depth >= JSON_DEPTH_MAX) {
            s.why = "nesting deeper than 512";
            goto bad;
        }
        stack[depth++] = *s.p;
        s.p = skip_ws(s.p + 1, s.end);
        if (s.p < s.end && *s.p == (stack[depth - 1] == '{' ? '}' : ']')) {
            s.p++;
            depth--;
            goto after;
        }
        if (stack[depth - 1] == '{')
            goto key;
        goto value;
    case '"':
        if (!scan_string(&s))
            goto bad;
        goto after;
    case 't':
        if (!scan_word(&s, "true", 4))
            goto bad;
        goto after;
    case 'f':
        if (!scan_word(&s, "false", 5))
            goto bad;
        goto after;
    case 'n':
        if (!scan_word(&s, "null", 4))
            goto bad;
        goto after;
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        if (!scan_number(&s))
            goto bad;
        goto after;
    default:
        s.why = "unexpected character";
        goto bad;
    }

key:
    s.p = skip_ws(s.p, s.end);
    if (s.p >= s.end || *s.p != '"') {
        s.why = "expected a string key";
        goto bad;
    }
    if (!scan_string(&s))
        goto bad;
    s.p = skip_ws(s.p, s.end);
    if (s.p >= s.end || *s.p != ':') {
        s.why = "expected ':'";
        goto bad;
    }
    s.p++;
    goto value;

after:
    s.p = skip_ws(s.p, s.end);
    if (depth == 0) {
        if (s.p != s.end) {
            s.why = "trailing characters after the JSON value";
            goto bad;
        }
        return CAIRN_OK;
    }
    if (s.p >= s.end) {
        s.why = "unexpected end";
        goto bad;
    }
    if (*s.p == ',') {
        s.p++;
        if (stack[depth - 1] == '{')
            goto key;
        goto value;
    }
    if (*s.p == (stack[depth - 1] == '{' ? '}' : ']')) {
        s.p++;
        depth--;
        goto after;
    }
    s.why = stack[depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'";
bad:
    return cairn__err(CAIRN_EFORMAT, "invalid JSON at byte %zu: %s",
                      (size_t)(s.p - s.start), s.why ? s.why : "syntax error");
}

/* ---- semantic equality ---- */

/* Append "/tok" (RFC 6901 escaped: ~ as ~0, / as ~1) to the pointer in
 * path (cap bytes; truncated silently). */
static void ptr_push(char *path, size_t cap, const char *tok, size_t n)
{
    size_t l = strnlen(path, cap);
    if (l + 1 >= cap)
        return;
    path[l++] = '/';
    for (size_t i = 0; i < n && l + 2 < cap; i++) {
        if (tok[i] == '~' || tok[i] == '/') {
            path[l++] = '~';
            path[l++] = tok[i] == '~' ? '0' : '1';
        } else {
            path[l++] = tok[i];
        }
    }
    path[l < cap ? l : cap - 1] = '\0';
}

/* Semantic equality of a and b. When they differ and path is not NULL, the
 * JSON Pointer of the first difference (object keys in sorted order) is
 * appended to path. */
static bool jdiff(const json_t *a, const json_t *b, char *path, size_t cap)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (!path) {
            if (json_object_size(a) != json_object_size(b))
                return false;
            const char *k;
            json_t *va;
            json_object_foreach((json_t *)a, k, va) {
                json_t *vb = json_object_get(b, k);
                if (!vb || !jdiff(va, vb, NULL, 0))
                    return false;
            }
            return true;
        }
        /* Walk the union of the keys in sorted order: the first key that
         * is missing on one side or holds different values. */
        const char *best = NULL;
        size_t bestlen = 0;
        for (int side = 0; side < 2; side++) {
            const json_t *x = side ? b : a, *y = side ? a : b;
            const char *k;
            json_t *vx;
            json_object_foreach((json_t *)x, k, vx) {
                json_t *vy = json_object_get(y, k);
                if (vy && jdiff(vx, vy, NULL, 0))
                    continue;
                if (!best || strcmp(k, best) < 0) {
                    best = k;
                    bestlen = strlen(k);
                }
            }
        }
        if (!best)
            return true;
        ptr_push(path, cap, best, bestlen);
        json_t *va = json_object_get(a, best), *vb = json_object_get(b, best);
        if (va && vb)
            jdiff(va, vb, path, cap);
        return false;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(a), nb = json_array_size(b);
        for (size_t i = 0; i < n && i < nb; i++)
            if (!jdiff(json_array_get(a, i), json_array_get(b, i), NULL, 0)) {
                if (path) {
                    char idx[24];
                    int w = snprintf(idx, sizeof idx, "%zu", i);
                    ptr_push(path, cap, idx, (size_t)w);
                    jdiff(json_array_get(a, i), json_array_get(b, i), path, cap);
                }
                return false;
            }
        if (n != nb && path) {
            char idx[24];
            int w = snprintf(idx, sizeof idx, "%zu", n < nb ? n : nb);
            ptr_push(path, cap, idx, (size_t)w);
        }
        return n == nb;
    }
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b),
                      json_string_length(a)) == 0;
    default:
        return true; /* true, false, null */
    }
}

int cairn__json_diff(const void *a, size_t alen, const void *b, size_t blen,
                     bool *eq, char *path, size_t cap)
{
    json_error_t e;
    json_t *ja = json_loadb(a, alen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!ja)
        return cairn__err(CAIRN_EFORMAT, "invalid JSON: %s", e.text);
    json_t *jb = json_loadb(b, blen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!jb) {
        json_decref(ja);
        return cairn__err(CAIRN_EFORMAT, "invalid JSON: %s", e.text);
    }
    if (path && cap)
        path[0] = '\0';
    *eq = jdiff(ja, jb, cap ? path : NULL, cap);
    json_decref(ja);
    json_decref(jb);
    return CAIRN_OK;
}

int cairn__json_equal(const void *a, size_t alen, const void *b, size_t blen,
                      bool *eq)
{
    return cairn__json_diff(a, alen, b, blen, eq, NULL, 0);
}
