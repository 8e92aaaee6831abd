/*
 * record/zip.h — zstd compression of values (src/record/zip.c).
 */
#ifndef CAIRN_RECORD_ZIP_H
#define CAIRN_RECORD_ZIP_H

/* Layer 1 (record/): for layers above 1 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 1 && !defined(CAIRN_IN_RECORD)) || CAIRN_LAYER == 4
#error "record/zip.h: included from a layer that may not use it"
#endif

#include "base/buf.h"

#include <stddef.h>

#define CAIRN__ZIP_MIN 4096 /* default threshold (cairn_options) */
#define CAIRN__ZIP_LEVEL 3  /* default zstd level */

/* Compress the n pieces (one value) into one zstd frame at dst (cap bytes)
 * at level (0: CAIRN__ZIP_LEVEL). CAIRN_OK with *zlen set, CAIRN_SKIPPED
 * when the frame does not fit in cap (not worth it: store raw), or an
 * error. Thread-safe (a context per thread). */
int cairn__zip(const cairn__iov *pieces, size_t n, int level, void *dst, size_t cap,
               size_t *zlen);
/* Decompress the frame src (srclen bytes) that must hold exactly size
 * bytes into *out (malloc'd, size + 1 bytes, NUL-terminated). Memory grows
 * with the output the frame really produces, never from size alone.
 * CAIRN_OK, CAIRN_ECORRUPT, CAIRN_ENOMEM. */
int cairn__unzip(const void *src, size_t srclen, size_t size, char **out);
/* CAIRN_OK or CAIRN_EINVAL for a level zstd does not have (0 is fine). */
int cairn__zip_level_check(int level);

#endif
