/*
 * base/hash.h — XXH3-64, the one hash of keys, records and values (src/base/hash.c).
 */
#ifndef CAIRN_BASE_HASH_H
#define CAIRN_BASE_HASH_H

/* Layer 0 (base/): for every layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 0 && !defined(CAIRN_IN_BASE))
#error "base/hash.h: included from a layer that may not use it"
#endif

#include "base/buf.h"

#include <stddef.h>
#include <stdint.h>

/* XXH3-64 of the value bytes. */
uint64_t cairn__hash(const void *p, size_t n);

/* XXH3-64 of the concatenation of the n pieces (= cairn__hash of it). */
uint64_t cairn__hash_iov(const cairn__iov *v, size_t n);

#endif
