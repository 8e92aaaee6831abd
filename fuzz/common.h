/* common.h — what the fuzz targets share: the libFuzzer entry point's
 * prototype and a check that aborts with a message (so -Werror builds stay
 * quiet and a failed property shows what broke). */
#ifndef CAIRN_FUZZ_COMMON_H
#define CAIRN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__,          \
                    __LINE__, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The input read as a stream of numbers that steer a target (the rest is
 * left in p/n as data). */
typedef struct {
    const uint8_t *p;
    size_t n;
} fuzz_in;

/* The next bytes (at most 8) of the input as a big-endian number; past the
 * end the input gives nothing more (fewer bytes, no padding). */
static inline uint64_t fuzz_take(fuzz_in *in, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes && in->n; i++, in->p++, in->n--)
        v = v << 8 | *in->p;
    return v;
}

/* A NUL-terminated copy of the input (the APIs under test take C strings).
 * The caller frees it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    for (size_t i = 0; i < size; i++)
        s[i] = (char)data[i];
    s[size] = '\0';
    return s;
}

/* An exact-size copy of data[0..size) (one byte allocated when empty), so
 * ASan sees any read past the end. The caller frees it. */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    if (!s)
        abort();
    for (size_t i = 0; i < size; i++)
        s[i] = (char)data[i];
    return s;
}

/* A secret for the password properties: every 0x01 byte of the input
 * becomes FUZZ_SECRET, so that the fuzzer can place a password no other
 * text holds by chance. */
#define FUZZ_SECRET "Qz7pW3xK"

/* data[0..size) as a C string, each 0x01 byte replaced by FUZZ_SECRET and
 * NUL bytes dropped. The caller frees it. */
static inline char *fuzz_with_secret(const uint8_t *data, size_t size)
{
    size_t sl = sizeof FUZZ_SECRET - 1;
    char *s = malloc(size * sl + 1);
    if (!s)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < size; i++) {
        if (data[i] == 0x01) {
            for (size_t j = 0; j < sl; j++)
                s[o++] = FUZZ_SECRET[j];
        } else if (data[i] != 0) {
            s[o++] = (char)data[i];
        }
    }
    s[o] = '\0';
    return s;
}

static inline int fuzz_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* How often FUZZ_SECRET occurs in s once every valid %XX escape is decoded
 * (the others left as they are): a password is decoded, so a secret
 * spelled with escapes counts too. */
static inline int fuzz_secrets(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    char *d = malloc(n + 1);
    if (!d)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int a = s[i] == '%' && i + 2 <= n ? fuzz_hexval(s[i + 1]) : -1;
        int b = a >= 0 ? fuzz_hexval(s[i + 2]) : -1;
        if (a >= 0 && b >= 0 && (a || b)) {
            d[o++] = (char)(a * 16 + b);
            i += 2;
        } else {
            d[o++] = s[i];
        }
    }
    d[o] = '\0';
    int count = 0;
    for (const char *q = d; (q = strstr(q, FUZZ_SECRET)); q++)
        count++;
    free(d);
    return count;
}

#endif
