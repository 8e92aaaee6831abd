/*
 * parse.h — the server backends' URL parsers, reachable without a server:
 * fuzz/backend_url.c drives them. Each parses a location (the URL after
 * "redis:" or "postgres:") exactly as the backend's open does, connects to
 * nothing, and returns CAIRN_OK or a status with the message set.
 *
 * *password receives a malloc'd copy of the password the URL gave (NULL
 * when none), on failure too, so a caller can check that no message shows
 * it; the caller frees it. label/where receive the text the backend's
 * messages name the store by (empty on failure). Thread-safe.
 */
#ifndef CAIRN_BACKEND_PARSE_H
#define CAIRN_BACKEND_PARSE_H

/* Layer 2 (backend/): for layers above 2 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 2 && !defined(CAIRN_IN_BACKEND)) || CAIRN_LAYER == 4
#error "backend/parse.h: included from a layer that may not use it"
#endif

#include <stddef.h>

int cairn__redis_parse_location(const char *location, char **password, char *label,
                                size_t labelsz);
int cairn__postgres_parse_location(const char *location, char **password, char *where,
                                   size_t wheresz);

#endif
