/*
 * base/opts.h — reading a caller's option struct by the size it says
 * (cairn/common.h, "Option structs"), for every layer (src/base/opts.c).
 */
#ifndef CAIRN_BASE_OPTS_H
#define CAIRN_BASE_OPTS_H

/* Layer 0 (base/): for every layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 0 && !defined(CAIRN_IN_BASE))
#error "base/opts.h: included from a layer that may not use it"
#endif

#include "cairn/async.h"
#include "cairn/cache.h"
#include "cairn/schema.h"
#include "cairn/store.h"

#include <stddef.h>

/*
 * Copy the caller's option struct src into dst (the library's own layout,
 * dst_size bytes, beginning with `size_t struct_size`) by the size src
 * declares: 0 stands for size0, the layout of 0.1.0; bytes of dst that
 * src does not cover are zeroed (their defaults). Bytes of src from known
 * (the end of the fields this library reads) to its size must all be
 * zero: a larger struct's new fields, and a `reserved` field. src NULL
 * zeroes dst. dst->struct_size is left as dst_size, so dst may be passed
 * on to another public call. what names the struct in messages ("put
 * options"). Returns CAIRN_OK, CAIRN_EINVAL (struct_size smaller than the
 * field itself) or CAIRN_EUNSUPPORTED (fields this library does not know).
 */
int cairn__opts_read(void *dst, size_t dst_size, size_t size0, size_t known, const void *src,
                     const char *what);

/* Where the fields this library reads end, per option struct: at its
 * `reserved` field where it has one (cairn/common.h, "Option structs"),
 * else at its end. When a field is appended to one of them, size0 in
 * CAIRN__OPTS_READ becomes, for that struct, its 0.1.0 size. */
#define CAIRN__OPTS_KNOWN(dst)                                              \
    _Generic(*(dst),                                                        \
        cairn_options: offsetof(cairn_options, reserved),                   \
        cairn_cache_options: offsetof(cairn_cache_options, reserved),       \
        cairn_schema_opts: offsetof(cairn_schema_opts, reserved),           \
        cairn_copy_opts: offsetof(cairn_copy_opts, reserved),               \
        default: sizeof *(dst))

/* The 0.1.0 size of each option struct (struct_size 0 stands for it):
 * where its first field added later begins. */
#define CAIRN__OPTS_SIZE0(dst)                                              \
    _Generic(*(dst),                                                        \
        cairn_copy_opts: offsetof(cairn_copy_opts, raw_prefix),             \
        default: sizeof *(dst))

#define CAIRN__OPTS_READ(dst, src, what)                                    \
    cairn__opts_read((dst), sizeof *(dst), CAIRN__OPTS_SIZE0(dst), CAIRN__OPTS_KNOWN(dst), \
                     (src), (what))

#endif
