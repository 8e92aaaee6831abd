/*
 * codec.h — the format checks and encoders the store core and the CLI-side
 * helpers share: msgpack (a bounded walk, then msgpack-c) and npy headers.
 */
#ifndef CAIRN_CODEC_CODEC_H
#define CAIRN_CODEC_CODEC_H

/* Layer 1 (codec/): for layers above 1 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 1 && !defined(CAIRN_IN_CODEC)) || CAIRN_LAYER == 4
#error "codec/codec.h: included from a layer that may not use it"
#endif

#include "cairn/cairn.h"

#include <stdbool.h>
#include <stddef.h>

/* Is p[0..n) exactly one well-formed msgpack object, nested at most
 * CAIRN_MSGPACK_DEPTH_MAX deep? CAIRN_OK or CAIRN_EFORMAT naming the byte
 * and the problem. Never allocates more than the input justifies. */
int cairn__msgpack_check(const void *p, size_t n);

/* The structural walk alone (no msgpack-c): the fuzz target compares the
 * two. */
int cairn__msgpack_walk(const void *p, size_t n);

/* Largest .npy header cairn__npy_head writes (prefix and padding included). */
#define CAIRN__NPY_HEAD_MAX 1024

/* Check an array description for a put: CAIRN_OK or CAIRN_EINVAL naming
 * the problem. */
int cairn__npy_array_check(const cairn_array *a);

/* Write the .npy prefix and header of a (checked) into buf
 * (CAIRN__NPY_HEAD_MAX bytes): version 1.0, padded with spaces to a
 * multiple of 64 bytes and ended by a newline, as numpy.save does.
 * Returns its length. */
size_t cairn__npy_head(const cairn_array *a, char *buf);

#endif
