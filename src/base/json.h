/*
 * base/json.h — UTF-8 and JSON scanning without a tree (src/base/json.c), shared by the
 * put path's check and the JSON tree (jdom.h).
 */
#ifndef CAIRN_BASE_JSON_H
#define CAIRN_BASE_JSON_H

/* Layer 0 (base/): for every layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 0 && !defined(CAIRN_IN_BASE))
#error "base/json.h: included from a layer that may not use it"
#endif

#include "cairn/cairn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Shared by json.c and the JSON tree of src/model/jdom.c. */
/* Length of the UTF-8 sequence at p (n bytes left), or 0 if invalid. */
static inline size_t cairn__utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0; /* continuation byte or overlong 2-byte lead */
    if (c < 0xE0) {
        if (n < 2 || (p[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && p[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && p[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* True when none of the eight bytes in w needs a look: no control byte,
 * quote, backslash or non-ASCII byte (the usual bit tricks). */
static inline bool cairn__plain8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    /* A byte below 0x20, or equal to '"' or '\\' (x ^ c == 0), borrows and
     * sets its high bit; borrows only start at such a byte. */
    return ((w | (w - ones * 0x20) | ((w ^ (ones * '"')) - ones) |
             ((w ^ (ones * '\\')) - ones)) & high) == 0;
}

#ifdef __SSE2__
/* Skip the plain bytes at the front of p[0..16): returns how many there
 * are (16 when all are). One signed compare catches both the control bytes
 * (below 0x20) and the non-ASCII ones (negative as signed bytes). */
static inline unsigned cairn__plain16(const unsigned char *p)
{
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i stop = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
        _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    unsigned bits = (unsigned)_mm_movemask_epi8(stop);
    return bits ? (unsigned)__builtin_ctz(bits) : 16u;
}
#endif


/* True when p[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
 * On false, *bad (may be NULL) receives the offset of the first bad byte. */
bool cairn__utf8_valid(const void *p, size_t n, size_t *bad);

/* Scan the JSON string whose opening quote is at *pp, up to end: on true
 * *pp is just past the closing quote and *esc tells whether the string has
 * escapes; on false *pp is at the offending byte and *why says what is
 * wrong. The put path's check and the validate path's tree (src/model)
 * both scan strings with this. */
static inline bool cairn__json_string(const unsigned char **pp, const unsigned char *end,
                                      bool *esc, const char **why)
{
    const unsigned char *p = *pp + 1;
    while (p < end) {
#ifdef __SSE2__
        /* Plain ASCII runs go sixteen bytes at a time (about 3x fewer
         * instructions than the eight-byte loop below for long strings). */
        while (end - p >= 16) {
            unsigned k = cairn__plain16(p);
            p += k;
            if (k < 16)
                break;
        }
#endif
        /* Eight at a time where SSE2 is not there, and for the tail. */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (!cairn__plain8(w))
                break;
            p += 8;
        }
        if (p >= end)
            break;
        unsigned c = *p;
        if (c == '"') {
            *pp = p + 1;
            return true;
        }
        if (c == '\\') {
            if (end - p < 2)
                break;
            c = p[1];
            *esc = true;
            if (c == 'u') {
                bool hex = end - p >= 6;
                for (int i = 2; hex && i < 6; i++) {
                    unsigned h = p[i] | 0x20u;
                    hex = (p[i] >= '0' && p[i] <= '9') || (h >= 'a' && h <= 'f');
                }
                if (!hex) {
                    *pp = p;
                    *why = "bad \\u escape";
                    return false;
                }
                p += 6;
            } else if (c && strchr("\"\\/bfnrt", (int)c)) {
                p += 2;
            } else {
                *pp = p;
                *why = "bad escape";
                return false;
            }
        } else if (c < 0x20) {
            *pp = p;
            *why = "control character in string";
            return false;
        } else if (c < 0x80) {
            p++;
        } else {
            size_t k = cairn__utf8_seq(p, (size_t)(end - p));
            if (!k) {
                *pp = p;
                *why = "invalid UTF-8 in string";
                return false;
            }
            p += k;
        }
    }
    *pp = p;
    *why = "unterminated string";
    return false;
}


/* Check that p[0..n) is one JSON text (RFC 8259), without building a tree.
 * Returns CAIRN_OK or CAIRN_EFORMAT with a detail naming the byte offset. */
int cairn__json_check(const void *p, size_t n);

/* Semantic JSON equality: object key order and white space ignored,
 * numbers compared by value. *eq receives the answer. Returns CAIRN_OK or
 * CAIRN_EFORMAT when either side is not JSON. */
int cairn__json_equal(const void *a, size_t alen, const void *b, size_t blen,
                      bool *eq);
/* The same; when they differ and path is not NULL, path (cap bytes)
 * receives the JSON Pointer of the first difference ("" is the root). */
int cairn__json_diff(const void *a, size_t alen, const void *b, size_t blen,
                     bool *eq, char *path, size_t cap);

#endif
