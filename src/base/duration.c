/*
 * duration.c — the one parser of durations ("300", "500ms", "1h30m") that
 * the CLI's --ttl and --default-ttl and a store URL's ?default_ttl= share.
 */
#include "base/error.h"
#include "cairn/common.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The message quotes at most this much of the text. */
#define SHOWN 64

CAIRN_API int cairn_duration_parse(const char *text, int64_t *ms)
{
    static const struct {
        const char *name;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    const char *hint = "examples: 300 (seconds), 500ms, 30s, 5m, 2h, 1d, 1h30m";
    if (!text || !ms)
        return cairn__err(CAIRN_EINVAL, "duration: %s is NULL", text ? "ms" : "text");
    if (!*text)
        return cairn__err(CAIRN_EINVAL, "duration '': empty (%s)", hint);
    if (*text == '-')
        return cairn__err(CAIRN_EINVAL, "duration '%.*s': negative (%s)", SHOWN, text, hint);
    /* only a whole text of digits is seconds: "1h30" is refused */
    bool bare = text[strspn(text, "0123456789")] == '\0';
    int64_t total = 0;
    for (const char *p = text; *p;) {
        int64_t n = 0, mult = 0;
        if (*p < '0' || *p > '9')
            return cairn__err(CAIRN_EINVAL, "duration '%.*s': expected a number at '%.*s' (%s)",
                              SHOWN, text, 16, p, hint);
        while (*p >= '0' && *p <= '9') {
            int d = *p++ - '0';
            if (n > (INT64_MAX - d) / 10)
                return cairn__err(CAIRN_EINVAL, "duration '%.*s': too large", SHOWN, text);
            n = n * 10 + d;
        }
        size_t ul = 0;
        while (p[ul] && (p[ul] < '0' || p[ul] > '9'))
            ul++;
        if (ul == 0 && bare)
            mult = 1000;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].name) == ul && !strncmp(p, units[i].name, ul))
                mult = units[i].ms;
        if (!mult && ul == 0) /* "1h30": 30 what? */
            return cairn__err(CAIRN_EINVAL, "duration '%.*s': a number without a unit at the "
                                            "end (%s)", SHOWN, text, hint);
        if (!mult)
            return cairn__err(CAIRN_EINVAL, "duration '%.*s': unknown unit '%.*s' (units: ms, "
                                            "s, m, h, d; a bare number is seconds)",
                              SHOWN, text, (int)(ul > 16 ? 16 : ul), p);
        p += ul;
        if (n > INT64_MAX / mult || total > INT64_MAX - n * mult)
            return cairn__err(CAIRN_EINVAL, "duration '%.*s': too large", SHOWN, text);
        total += n * mult;
    }
    if (total == 0)
        return cairn__err(CAIRN_EINVAL, "duration '%.*s': must be more than 0", SHOWN, text);
    *ms = total;
    return CAIRN_OK;
}
