/*
 * base/key.h — the key rules (src/base/key.c).
 */
#ifndef CAIRN_BASE_KEY_H
#define CAIRN_BASE_KEY_H

/* Layer 0 (base/): for every layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 0 && !defined(CAIRN_IN_BASE))
#error "base/key.h: included from a layer that may not use it"
#endif

#include <stdbool.h>
#include <stddef.h>

/* Normalise key into buf (CAIRN_KEY_MAX + 1 bytes); CAIRN_EKEY with detail. */
int cairn__key_norm(const char *key, char *buf, size_t *len);
/* True when key (normalised) is reserved for the library ("_cairn" or under). */
bool cairn__key_reserved(const char *key, size_t len);

#endif
