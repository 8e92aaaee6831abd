/*
 * canon.h — the canonical form of a JSON document and its 128-bit hash:
 * two documents that mean the same (member order, white space, 1 vs 1.0,
 * "\u00e9" vs "é") give the same bytes and the same hash. The process
 * layer keys stored stage results on the hash, so the form is frozen:
 * docs/canonical-json.md defines it and tests/unit/test_canon.c pins it
 * with test vectors. Changing a single output byte is a format change.
 */
#ifndef CAIRN_BASE_CANON_H
#define CAIRN_BASE_CANON_H

/* Layer 0 (base/): for every layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 0 && !defined(CAIRN_IN_BASE))
#error "base/canon.h: included from a layer that may not use it"
#endif

#include "base/jdom.h"

#include <stddef.h>
#include <stdint.h>

#define CAIRN_CANON_HASH_LEN 16

/*
 * The canonical form of the JSON text json[0..len).
 * [out] *out: malloc'd, NUL-terminated (the NUL not counted in *outlen);
 *       the caller frees it with free(). NULL on failure.
 * [out] outlen: may be NULL.
 * Returns CAIRN_OK, CAIRN_EFORMAT (not JSON, or a number beyond the range
 * of a double such as 1e400), CAIRN_EINVAL (NULL arguments) or
 * CAIRN_ENOMEM; cairn_errmsg() says why.
 */
int cairn__json_canon(const void *json, size_t len, char **out, size_t *outlen);

/*
 * XXH3-128 (seed 0) of the canonical form of json[0..len), written to out
 * as 16 bytes, most significant first (XXH128_canonical_t: the same bytes
 * on every machine). Same returns as cairn__json_canon.
 */
int cairn__json_hash(const void *json, size_t len, uint8_t out[CAIRN_CANON_HASH_LEN]);

/*
 * The canonical form of a parsed tree, appended to *buf (malloc'd, grown,
 * NUL-terminated; *len bytes used, *cap allocated). For callers that
 * already hold a jdom tree. Same returns as cairn__json_canon.
 */
int cairn__jd_canon(const jd_node *v, char **buf, size_t *len, size_t *cap);

#endif
