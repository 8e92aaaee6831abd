/* common.h — what the fuzz targets share: the libFuzzer entry point's
 * prototype and a check that aborts with a message (so -Werror builds stay
 * quiet and a failed property shows what broke). */
#ifndef CAIRN_FUZZ_COMMON_H
#define CAIRN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
