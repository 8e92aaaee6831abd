/*
 * tiered_url.c — fuzz the tiered: URL split (src/backend/tiered.c,
 * cairn__tiered_split): which query parameters are the tier's (cache_*)
 * and which stay with the inner URL.
 *
 * Properties: the status is CAIRN_OK or CAIRN_EURL with a message naming
 * "tiered:"; on success the inner URL is no longer than the input, holds no
 * parameter whose name starts with cache_, and splits again into itself
 * with the default options (the split is idempotent); every value taken is
 * within its documented range.
 */
#include "common.h"

#include "backend/tiered.h"

#include <string.h>

static void no_cache_params(const char *inner)
{
    const char *q = strchr(inner, '?');
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        FUZZ_CHECK(strncmp(p, "cache_", 6) != 0, "a cache_ parameter left in '%s'", inner);
        const char *amp = strchr(p, '&');
        p = amp ? amp + 1 : NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *loc = fuzz_cstr(data, size);
    size_t n = strlen(loc);
    char *inner = malloc(n + 1), *again = malloc(n + 1);
    if (!inner || !again)
        abort();
    cairn_cache_options co;
    cairn__tiered_defaults(&co);
    int rc = cairn__tiered_split(loc, inner, &co);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EURL, "status %d for '%s'", rc, loc);
    if (rc) {
        FUZZ_CHECK(!strncmp(cairn_errmsg(), "tiered:", 7), "message '%s'", cairn_errmsg());
    } else {
        FUZZ_CHECK(strlen(inner) <= n, "inner '%s' longer than '%s'", inner, loc);
        no_cache_params(inner);
        FUZZ_CHECK(co.max_bytes >= (1u << 20) && co.max_bytes <= (1ull << 40),
                   "max_bytes %llu", (unsigned long long)co.max_bytes);
        FUZZ_CHECK(co.default_ttl_ms == -1 || co.default_ttl_ms > 0, "ttl %lld",
                   (long long)co.default_ttl_ms);
        FUZZ_CHECK(co.shards <= 1024, "shards %u", co.shards);
        cairn_cache_options c2, d;
        cairn__tiered_defaults(&c2);
        cairn__tiered_defaults(&d);
        rc = cairn__tiered_split(inner, again, &c2);
        FUZZ_CHECK(rc == CAIRN_OK, "the inner URL '%s' does not split again", inner);
        FUZZ_CHECK(!strcmp(inner, again), "'%s' splits into '%s'", inner, again);
        FUZZ_CHECK(!memcmp(&c2, &d, sizeof d), "'%s' sets options again", inner);
    }
    free(loc);
    free(inner);
    free(again);
    return 0;
}
