/*
 * base/buf.h — growing buffers and values handed over in pieces (src/base/buf.c).
 */
#ifndef CAIRN_BASE_BUF_H
#define CAIRN_BASE_BUF_H

/* Layer 0 (base/): for every layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 0 && !defined(CAIRN_IN_BASE))
#error "base/buf.h: included from a layer that may not use it"
#endif

#include <stddef.h>

/* A value handed over in pieces (an npy header and the caller's elements),
 * concatenated only when the record is encoded (and compressed from the
 * pieces). */
typedef struct {
    const void *base;
    size_t len;
} cairn__iov;


/* Grow a buffer to hold at least need bytes (doubling). CAIRN_ENOMEM. */
int cairn__grow(char **buf, size_t *cap, size_t need);

/* Append n bytes at p to *buf (*len bytes used of *cap), growing it, and
 * keep it NUL-terminated. CAIRN_OK or CAIRN_ENOMEM. */
int cairn__buf_put(char **buf, size_t *len, size_t *cap, const void *p, size_t n);

#endif
