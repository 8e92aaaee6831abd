/*
 * npy.c — fuzz the .npy reader (cairn_npy_parse, the put path's check) with
 * arbitrary bytes: never crash; what it accepts describes exactly the bytes
 * after the header, and re-encoding the description with the writer gives a
 * header the reader reads back to the same description.
 */
#include "common.h"

#include "codec/codec.h"
#include "all.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_copy(data, size);
    cairn_array a;
    int rc = cairn_npy_parse(buf, size, &a);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EFORMAT, "status %d", rc);
    if (rc == CAIRN_EFORMAT)
        FUZZ_CHECK(*cairn_errmsg(), "no message");
    if (rc == CAIRN_OK) {
        size_t item = cairn_dtype_size(a.dtype);
        FUZZ_CHECK(item > 0, "dtype %d", (int)a.dtype);
        FUZZ_CHECK(a.ndim <= CAIRN_ARRAY_NDIM_MAX, "ndim %u", a.ndim);
        const char *d = a.data;
        FUZZ_CHECK(d >= buf && d + a.nbytes == buf + size, "data is not the tail");
        uint64_t n = item;
        for (unsigned i = 0; i < a.ndim; i++)
            n = a.shape[i] == 0 ? 0 : n * a.shape[i]; /* checked: no overflow */
        FUZZ_CHECK(n == a.nbytes, "nbytes %zu, product %llu", a.nbytes,
                   (unsigned long long)n);
        if (item == 1)
            FUZZ_CHECK(a.big_endian == 0, "one-byte dtype with a byte order");
        /* Every data byte is readable (ASan watches the exact-size copy). */
        unsigned sum = 0;
        for (size_t i = 0; i < a.nbytes; i++)
            sum += (unsigned char)d[i];
        (void)sum;
        /* Re-encode and read again. */
        FUZZ_CHECK(cairn__npy_array_check(&a) == CAIRN_OK, "accepted array refused: %s",
                   cairn_errmsg());
        char *again = malloc(CAIRN__NPY_HEAD_MAX + a.nbytes + 1);
        if (!again)
            abort();
        size_t hl = cairn__npy_head(&a, again);
        FUZZ_CHECK(hl % 64 == 0 && hl <= CAIRN__NPY_HEAD_MAX, "header length %zu", hl);
        if (a.nbytes)
            memcpy(again + hl, a.data, a.nbytes);
        cairn_array b;
        rc = cairn_npy_parse(again, hl + a.nbytes, &b);
        FUZZ_CHECK(rc == CAIRN_OK, "re-encoded header refused: %s", cairn_errmsg());
        FUZZ_CHECK(b.dtype == a.dtype && b.big_endian == a.big_endian &&
                       !!b.fortran_order == !!a.fortran_order && b.ndim == a.ndim &&
                       b.nbytes == a.nbytes &&
                       !memcmp(b.shape, a.shape, a.ndim * sizeof *a.shape),
                   "re-encoded description differs");
        free(again);
    }
    free(buf);
    return 0;
}
