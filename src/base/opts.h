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

#include <stddef.h>

/*
 * Copy the caller's option struct src into dst (the library's own layout,
 * dst_size bytes, beginning with `size_t struct_size`) by the size src
 * declares: 0 stands for size0, the layout of 0.1.0; bytes of dst that
 * src does not cover are zeroed (their defaults). A src larger than dst is
 * accepted only when its extra bytes are all zero. src NULL zeroes dst.
 * dst->struct_size is left as dst_size, so dst may be passed on to another
 * public call. what names the struct in messages ("put options").
 * Returns CAIRN_OK, CAIRN_EINVAL (struct_size smaller than the field
 * itself) or CAIRN_EUNSUPPORTED (fields this library does not know).
 */
int cairn__opts_read(void *dst, size_t dst_size, size_t size0, const void *src,
                     const char *what);

/* The size struct_size 0 stands for, per option struct: the layout of
 * 0.1.0. When a field is appended to one of them, its entry here becomes
 * offsetof(struct, the first new field) and stays so. */
#define CAIRN__OPTS_READ(dst, src, what) \
    cairn__opts_read((dst), sizeof *(dst), sizeof *(dst), (src), (what))

#endif
