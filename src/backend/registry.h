/*
 * registry.h — the backends by URL scheme: the built-in ones and those a
 * program registers (cairn_backend_register), and opening one from a URL.
 * The front API (cairn_store_open) and backends that wrap another
 * (tiered:) both open through it.
 */
#ifndef CAIRN_BACKEND_REGISTRY_H
#define CAIRN_BACKEND_REGISTRY_H

/* Layer 2 (backend/): for layers above 2 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 2 && !defined(CAIRN_IN_BACKEND)) || CAIRN_LAYER == 4
#error "backend/registry.h: included from a layer that may not use it"
#endif

#include "cairn/cairn.h"

#include <stdbool.h>
#include <stddef.h>

/* The backend of scheme (lower case): a registered one first, then a
 * built-in one; NULL when there is none. */
const cairn_backend_methods *cairn__backend_find(const char *scheme);

/* Find the backend of url. *m receives its methods, *loc the location
 * after "scheme:" (into url), shown (cap bytes) the URL as messages show
 * it (no password). CAIRN_OK, CAIRN_EURL (empty URL, unknown scheme) or
 * CAIRN_EUNSUPPORTED (a scheme this library was built without), the
 * detail naming the URL. */
int cairn__backend_lookup(const char *url, const cairn_backend_methods **m,
                          const char **loc, char *shown, size_t cap);

/* m->open(loc, opt, be): on failure the status (a backend's positive
 * code becomes CAIRN_EIO) with the detail prefixed "open SHOWN". opt must
 * stay valid while the handle is open. */
int cairn__backend_open_at(const cairn_backend_methods *m, const char *loc,
                           const cairn_options *opt, const char *shown, void **be);

/* cairn__backend_lookup, then cairn__backend_open_at: open the backend of
 * url. *m receives its methods, *be the handle (closed with m->close). */
int cairn__backend_open(const char *url, const cairn_options *opt,
                        const cairn_backend_methods **m, void **be);

/* Does the handle be of m read many keys in one round trip (get_many,
 * which the built-in backends have only where a server is asked; a tier,
 * when the backend it wraps does)? */
bool cairn__backend_batches(const cairn_backend_methods *m, void *be);

#endif
