/*
 * duration.c — fuzz cairn_duration_parse: never crashes, answers OK with a
 * positive total or EINVAL with a message quoting the text, and agrees with
 * an independent reading of the grammar (a bare number is seconds; else
 * <number><unit> pieces summed).
 */
#include "common.h"

#include "all.h"

#include <stdbool.h>
#include <string.h>

/* Oracle: the total of s in ms with __int128 sums (capped near 2^100, far
 * past INT64_MAX), or -1 when s is not a duration. */
static __int128 oracle(const char *s)
{
    size_t n = strlen(s), i = 0;
    __int128 total = 0;
    if (n == 0)
        return -1;
    if (strspn(s, "0123456789") == n) {
        __int128 v = 0;
        for (; i < n; i++) /* (capped: past 2^80 is "too large" anyway) */
            if (v <= ((__int128)1 << 80))
                v = v * 10 + (s[i] - '0');
        return v * 1000;
    }
    while (i < n) {
        __int128 v = 0;
        size_t d = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
            if (v <= ((__int128)1 << 80))
                v = v * 10 + (s[i] - '0');
        if (d == 0)
            return -1;
        __int128 mult;
        if (!strncmp(s + i, "ms", 2) && (i + 2 == n || (s[i + 2] >= '0' && s[i + 2] <= '9')))
            mult = 1, i += 2;
        else if (s[i] == 's')
            mult = 1000, i++;
        else if (s[i] == 'm')
            mult = 60000, i++;
        else if (s[i] == 'h')
            mult = 3600000, i++;
        else if (s[i] == 'd')
            mult = 86400000, i++;
        else
            return -1;
        if (i < n && (s[i] < '0' || s[i] > '9'))
            return -1; /* a longer unit: "mss", "hx" */
        total += v * mult;
        if (total > ((__int128)1 << 100))
            total = (__int128)1 << 100;
    }
    return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    int64_t ms = -7;
    int rc = cairn_duration_parse(s, &ms);
    __int128 want = oracle(s);
    bool valid = want > 0 && want <= INT64_MAX;
    if (rc == CAIRN_OK) {
        FUZZ_CHECK(valid && ms == (int64_t)want, "'%s' gave %lld ms", s, (long long)ms);
    } else {
        FUZZ_CHECK(rc == CAIRN_EINVAL, "'%s': status %d", s, rc);
        FUZZ_CHECK(!valid, "'%s' refused: %s", s, cairn_errmsg());
        FUZZ_CHECK(ms == -7, "'%s': ms written on failure", s);
        FUZZ_CHECK(!strncmp(cairn_errmsg(), "duration '", 10), "message '%s'", cairn_errmsg());
    }
    free(s);
    return 0;
}
