/*
 * hash.c — XXH3-64 from libxxhash: keys, record headers and values.
 */
#include "base/hash.h"

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>
#ifdef CAIRN_HAVE_XXH_DISPATCH
/* From libxxhash (xxh_x86dispatch.h, which cannot be included beside
 * XXH_INLINE_ALL: it would declare its functions static). */
extern XXH64_hash_t XXH3_64bits_dispatch(const void *input, size_t len);
#endif

/* Keys and record headers are short: XXH3 inlined. Values above 240 bytes
 * take XXH3's long path, whose vector width libxxhash's dispatcher picks
 * for this CPU (AVX2 hashes a 1 KiB value in about half the instructions
 * of the SSE2 code an x86-64 baseline build inlines); same hash either way. */
uint64_t cairn__hash(const void *p, size_t n)
{
#ifdef CAIRN_HAVE_XXH_DISPATCH
    if (n > XXH3_MIDSIZE_MAX)
        return XXH3_64bits_dispatch(p, n);
#endif
    return XXH3_64bits(p, n);
}

uint64_t cairn__hash_iov(const cairn__iov *v, size_t n)
{
    if (n == 1)
        return cairn__hash(v[0].base, v[0].len);
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    for (size_t i = 0; i < n; i++)
        if (v[i].len)
            XXH3_64bits_update(&st, v[i].base, v[i].len);
    return XXH3_64bits_digest(&st);
}
