/*
 * url.c — split a store URL into scheme and location. A string with no
 * scheme is a path for the file backend.
 */
#include "url.h"

#include <string.h>

static bool scheme_char(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return !first && ((c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-');
}

int cairn__url_split(const char *url, char scheme[CAIRN__SCHEME_MAX + 1],
                     const char **location)
{
    if (!url || !*url)
        return cairn__err(CAIRN_EURL, "empty store URL");
    const char *colon = strchr(url, ':');
    size_t n = colon ? (size_t)(colon - url) : 0;
    bool has_scheme = colon && n >= 2 && n <= CAIRN__SCHEME_MAX;
    for (size_t i = 0; has_scheme && i < n; i++)
        has_scheme = scheme_char(url[i], i == 0);
    if (!has_scheme) {
        strcpy(scheme, "file");
        *location = url;
        return CAIRN_OK;
    }
    for (size_t i = 0; i < n; i++) {
        char c = url[i];
        scheme[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    scheme[n] = '\0';
    const char *loc = colon + 1;
    /* file:///tmp/x, sqlite:///tmp/x.db: the authority is empty, drop "//". */
    if (loc[0] == '/' && loc[1] == '/' &&
        (!strcmp(scheme, "file") || !strcmp(scheme, "sqlite") || !strcmp(scheme, "lmdb") ||
         !strcmp(scheme, "mem")))
        loc += 2;
    *location = loc;
    return CAIRN_OK;
}
