/* base/url.h — store URLs (src/base/url.c): the scheme split every open
 * does, and the one parser of server URLs (redis://, postgres://), shared
 * with fuzz/ and the unit tests. */
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

/* Does the scheme s[0..n) (any case) wrap another store URL, as "tiered:"
 * does ("tiered:redis://...")? cairn_url_redact hides the wrapped URL's
 * secrets for every such scheme; a new wrapping scheme is added to the
 * list in url.c. */
bool cairn__url_wraps(const char *s, size_t n);

/* Percent-decode p[0..n) (the parts of a server URL: user, password,
 * host, parameters) into a new NUL-terminated string. NULL with *bad set
 * for a bad escape or an encoded NUL (%00), NULL with *bad clear when out
 * of memory. */
char *cairn__pct_decode(const char *p, size_t n, bool *bad);

/* Take the parameter name=VALUE that the store itself reads (default_ttl)
 * out of url's query, the text after its first '?', whatever the scheme:
 * out (strlen(url) + 1 bytes) receives url without it (and without the '?'
 * when nothing else is left), *value and *vlen its raw value, pointing
 * into url (NULL and 0 when absent; given twice, the last). A url with no
 * such parameter is copied as it is (a file path may hold a '?'). */
void cairn__url_take_param(const char *url, const char *name, char *out, const char **value,
                           size_t *vlen);

/* ---- server URLs ----
 *
 *   [scheme:]//[user[:password]@]host[:port][/path][?query][#fragment]
 *
 * as RFC 3986 splits it: the authority ends at the first '/', '?' or '#';
 * in it the user information ends at the LAST '@' (so a raw '@' in a
 * password still works) and the password at the first ':' after the user.
 * A host in brackets is an IPv6 literal ("[::1]:6379"). User, password,
 * host and path are percent-decoded (an encoded NUL is refused); the query
 * stays raw, read with cairn__url_param_next(). */
typedef struct cairn__url {
    const char *who;    /* message prefix ("redis", "postgres"): borrowed */
    char scheme[CAIRN__SCHEME_MAX + 1]; /* lower case; "" when text starts "//" */
    char *user;         /* NULL: no '@' in the authority; may be "" */
    char *password;     /* NULL: no ':' before the '@'; may be "" */
    char *host;         /* never NULL; "" when empty; IPv6 without brackets */
    bool ipv6;          /* the host was written in brackets */
    int port;           /* 1..65535, 0 when not given (or "host:") */
    char *path;         /* after the '/' ending the authority; NULL: no '/' */
    const char *query;  /* raw, after '?', up to '#': NOT NUL-terminated */
    size_t query_len;   /* query NULL and 0: no '?' */
    const char *fragment; /* raw, after '#', to the end; NULL: no '#' */
    /* An '@' after the authority: the password probably holds a raw '/',
     * '?' or '#' (which end the authority), so what looks like the host,
     * port or path may be a piece of it: messages then quote none. */
    bool at_after;
} cairn__url;

/* Parse text ("scheme://..." or a backend location "//...") into *u.
 * who names the caller in messages ("redis: bad port ..."); it is kept,
 * not copied. Returns CAIRN_OK; CAIRN_EURL with a message naming the
 * problem (never the password: no message quotes the user information);
 * CAIRN_ENOMEM. On failure *u keeps the parts read before the problem
 * (the user information is read first), so that a caller can still scrub
 * or check its messages: call cairn__url_free() whatever the status.
 * Thread-safe. */
int cairn__url_parse(const char *who, const char *text, cairn__url *u);

/* Free what u holds, the password wiped first; u is left empty. NULL ok. */
void cairn__url_free(cairn__url *u);

/* One query parameter, raw (still percent-encoded), pointing into the
 * parsed text. */
typedef struct {
    const char *name, *value;
    size_t name_len, value_len;
} cairn__url_param;

/* The next parameter of u's query ("a=1&b=2"; empty pieces between '&'
 * are skipped). *pos starts at 0. Returns 1 with *p set, 0 at the end, or
 * CAIRN_EURL (a parameter without '=', message set). */
int cairn__url_param_next(const cairn__url *u, size_t *pos, cairn__url_param *p);

/* Is p's name exactly name? (Names are compared raw, case-sensitively.) */
bool cairn__url_param_is(const cairn__url_param *p, const char *name);

/* p's value percent-decoded into a new string (*out; caller frees).
 * CAIRN_EURL for a bad escape (the message names the parameter, not its
 * value), CAIRN_ENOMEM. */
int cairn__url_param_value(const cairn__url *u, const cairn__url_param *p, char **out);

#endif
