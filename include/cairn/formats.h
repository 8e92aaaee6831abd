/*
 * cairn/formats.h — the value formats beyond JSON/text/bytes: n-dimensional
 * numeric arrays in NumPy's .npy format, and JSON <-> MessagePack
 * conversion. Included by cairn/cairn.h; compiles alone; see
 * docs/formats.md for the rules in full.
 */
#ifndef CAIRN_FORMATS_H
#define CAIRN_FORMATS_H

#include "cairn/common.h"
#include "cairn/store.h" /* cairn_format, cairn_put_opts */

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Conversion between JSON and MessagePack                             */
/* ------------------------------------------------------------------ */

/* Deepest nesting of arrays and maps in a msgpack value (msgpack-c's
 * parser stack); JSON values accept 512 levels. */
#define CAIRN_MSGPACK_DEPTH_MAX 32

/*
 * cairn_convert — convert a value between JSON and MessagePack.
 *
 * in [in]: borrowed, len bytes (may be NULL when len is 0). len [in].
 * from, to [in]: CAIRN_FORMAT_JSON or CAIRN_FORMAT_MSGPACK; from == to
 *   copies a value after checking it.
 * out [out]: owned, a new buffer of *out_len bytes (plus a NUL byte not
 *   counted), released with cairn_free(). out_len [out]: its length.
 *   Both written only on success.
 *
 * JSON -> msgpack: null, true, false as nil/bool; an integer (no fraction,
 *   no exponent) in int64 as the smallest msgpack int, one in
 *   (INT64_MAX, UINT64_MAX] as uint 64, one beyond either end refused
 *   (CAIRN_EFORMAT "does not fit in 64 bits"); a number with a fraction or
 *   an exponent as float 64 (even 1.0), refused when it is beyond a double
 *   (CAIRN_EFORMAT "out of range"); strings as str
 *   (a lone surrogate escape such as "\ud800" is refused: msgpack str is
 *   UTF-8); arrays and objects as array/map, member order kept, duplicate
 *   names kept as they are. Nesting deeper than CAIRN_MSGPACK_DEPTH_MAX:
 *   CAIRN_EFORMAT.
 * msgpack -> JSON (compact, no white space): nil/bool/int/uint as is;
 *   float 32/64 with the shortest text that reads back to the same double
 *   (an integral float keeps a ".0"); NaN or infinity: CAIRN_EFORMAT; str
 *   must be valid UTF-8 (CAIRN_EFORMAT naming the byte otherwise); map keys
 *   must be str (an int, binary or other key: CAIRN_EFORMAT "map key is
 *   not a string"); bin and ext have no JSON form: CAIRN_EFORMAT.
 * Errors: CAIRN_EFORMAT (the input is not a valid value of `from`, or has
 * no form in `to`; the message names the problem and where), CAIRN_EINVAL
 * (a format other than json/msgpack, NULL out), CAIRN_ENOMEM.
 * Thread-safe.
 */
CAIRN_API int cairn_convert(const void *in, size_t len, cairn_format from,
                            cairn_format to,
                            void **out, size_t *out_len);

/*
 * cairn_value_convert — the value of v (read with cairn_get) in format to,
 * as cairn_convert() from the value's own format. A json or msgpack value
 * converts to either; a value already in `to` is copied. Other pairs:
 * CAIRN_EINVAL. v [in]. to [in]. out [out]: owned, released with
 * cairn_free(). out_len [out]: its length. Thread-safe.
 */
CAIRN_API int cairn_value_convert(const cairn_value *v, cairn_format to, void **out,
                                  size_t *out_len);

/* ------------------------------------------------------------------ */
/* Numeric arrays (.npy)                                               */
/* ------------------------------------------------------------------ */

/* Element types: the numeric dtypes NumPy names b1, i1..i8, u1..u8,
 * f2/f4/f8 and c8/c16. Object, string, structured and datetime dtypes are
 * refused: no format ever executes code on load. */
typedef enum {
    CAIRN_DT_BOOL = 0, /* b1 (numpy.bool_, one byte, 0 or 1) */
    CAIRN_DT_I8,       /* i1 */
    CAIRN_DT_I16,      /* i2 */
    CAIRN_DT_I32,      /* i4 */
    CAIRN_DT_I64,      /* i8 */
    CAIRN_DT_U8,       /* u1 */
    CAIRN_DT_U16,      /* u2 */
    CAIRN_DT_U32,      /* u4 */
    CAIRN_DT_U64,      /* u8 */
    CAIRN_DT_F16,      /* f2 (IEEE half) */
    CAIRN_DT_F32,      /* f4 */
    CAIRN_DT_F64,      /* f8 */
    CAIRN_DT_C64,      /* c8: two f4 (real, imaginary) */
    CAIRN_DT_C128      /* c16: two f8 */
} cairn_dtype;

#define CAIRN_ARRAY_NDIM_MAX 32 /* NumPy's own limit (before NumPy 2) */

/* An n-dimensional array: a description plus a pointer to its elements. */
struct cairn_array {
    cairn_dtype dtype;
    int big_endian;      /* elements are big-endian ('>'); 0: little ('<').
                            Ignored (and read as 0) for one-byte dtypes. */
    int fortran_order;   /* non-zero: column-major (Fortran) order; 0: C */
    unsigned ndim;       /* 0..CAIRN_ARRAY_NDIM_MAX; 0 is a scalar (one element) */
    uint64_t shape[CAIRN_ARRAY_NDIM_MAX]; /* the first ndim are used */
    const void *data;    /* the elements, in the byte order and layout above */
    size_t nbytes;       /* bytes at data: product(shape) * itemsize */
};

/* Bytes per element of a dtype (0 for a value outside the enum). t [in]. */
CAIRN_API size_t cairn_dtype_size(cairn_dtype t);
/* NumPy's kind-and-size code without byte order ("f8", "b1", ...);
 * "unknown" outside the enum. t [in]. Returns a static string. */
CAIRN_API const char *cairn_dtype_name(cairn_dtype t);

/*
 * cairn_put_array — store the array a under key as a .npy value
 * (format CAIRN_FORMAT_NPY; opt->format is ignored). The elements are
 * copied once, straight into the record (no intermediate .npy buffer).
 * s [in]. key [in]: borrowed. a [in]: borrowed (its elements too).
 * opt [in]: borrowed, may be NULL; as cairn_put() (behavior, ttl, if_version; a model is refused:
 * CAIRN_EINVAL). Errors: CAIRN_EINVAL (a NULL or bad description: unknown
 * dtype, ndim above the limit, nbytes not product(shape) * itemsize, data
 * NULL with nbytes > 0, the whole above CAIRN_VALUE_MAX), then those of
 * cairn_put(). On error nothing is written. Thread-safe.
 */
CAIRN_API int cairn_put_array(cairn_store *s, const char *key, const cairn_array *a,
                              const cairn_put_opts *opt);

/*
 * cairn_value_array — describe the npy value v (read with cairn_get) as an
 * array without copying. v [in]. out [out]: the caller's struct; out->data
 * is a view into v and lives as long as v (until cairn_value_free). The
 * elements are 16-byte aligned when the
 * .npy header length is a multiple of 16 (NumPy and cairn always write
 * such headers), so they may be read in place through a pointer of their
 * C type once the byte order matches the machine's.
 * Errors: CAIRN_EFORMAT (v is not an npy value; out untouched), CAIRN_EINVAL
 * (NULL arguments). Thread-safe for distinct values.
 */
CAIRN_API int cairn_value_array(const cairn_value *v, cairn_array *out);

/*
 * cairn_npy_parse — describe the .npy file in buf (len bytes) as an array
 * viewing buf (no copy). buf [in]: borrowed, len bytes. out [out]: the
 * caller's struct; out->data is a view into buf. Checks it as a put of format npy does:
 * versions 1.0, 2.0 and 3.0; a header dict with exactly 'descr',
 * 'fortran_order' and 'shape'; a numeric descr; data of exactly
 * product(shape) * itemsize bytes.
 * Errors: CAIRN_EFORMAT with a message naming the problem. Thread-safe.
 */
CAIRN_API int cairn_npy_parse(const void *buf, size_t len, cairn_array *out);

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_FORMATS_H */
