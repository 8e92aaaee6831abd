/* base/url.h — store URL splitting (src/base/url.c), shared with fuzz/. */
#ifndef CAIRN_BASE_URL_H
#define CAIRN_BASE_URL_H

/* Layer 0 (base/): for every layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 0 && !defined(CAIRN_IN_BASE))
#error "base/url.h: included from a layer that may not use it"
#endif

#include <stdbool.h>
#include <stddef.h>

#define CAIRN__SCHEME_MAX 31

/* Split url into a lower-case scheme and the location after "scheme:"
 * (with a leading "//" dropped for path schemes). A url without a scheme
 * ("./data", "/tmp/x") gives "file" and the whole url.
 * Returns CAIRN_OK or CAIRN_EURL (empty URL). *location points into url. */
int cairn__url_split(const char *url, char scheme[CAIRN__SCHEME_MAX + 1],
                     const char **location);

/* Percent-decode p[0..n) (the parts of a server URL: user, password,
 * host, parameters) into a new NUL-terminated string. NULL with *bad set
 * for a bad escape or an encoded NUL (%00), NULL with *bad clear when out
 * of memory. */
char *cairn__pct_decode(const char *p, size_t n, bool *bad);

#endif
