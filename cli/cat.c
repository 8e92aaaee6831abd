/*
 * cat.c — `cairn cat`: a value rendered for a person, by its format: JSON as
 * is, msgpack as JSON, npy as a header line and the values, text as is, bytes
 * as a hex dump.
 */
#include "cli.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- npy ---- */

/* The n-byte unsigned integer at p in the given byte order (whatever the
 * host's): its bits are then the element's bits. */
static uint64_t load(const unsigned char *p, size_t n, bool big)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[big ? i : n - 1 - i] << (8 * (n - 1 - i));
    return v;
}

static double half(uint64_t h)
{
    unsigned e = (unsigned)(h >> 10) & 0x1f, m = (unsigned)h & 0x3ff;
    double v = e == 0    ? ldexp(m, -24)
               : e == 31 ? (m ? NAN : INFINITY)
                         : ldexp(m + 1024, (int)e - 25);
    return (h & 0x8000) ? -v : v;
}

/* The shortest of %.15g..%.17g that reads back as d. */
static void put_double(FILE *f, double d)
{
    if (isnan(d)) {
        fputs("nan", f);
        return;
    }
    if (isinf(d)) {
        fputs(d < 0 ? "-inf" : "inf", f);
        return;
    }
    char t[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, d);
        if (strtod(t, NULL) == d)
            break;
    }
    fputs(t, f);
    if (!strpbrk(t, ".e"))
        fputs(".0", f); /* a float, even when integral */
}

static void put_elem(FILE *f, const cairn_array *a, const unsigned char *p)
{
    size_t item = cairn_dtype_size(a->dtype);
    bool swap = a->big_endian != 0;
    uint64_t u = a->dtype == CAIRN_DT_C64 || a->dtype == CAIRN_DT_C128 ? 0 : load(p, item, swap);
    union {
        uint64_t u;
        double d;
    } d64;
    union {
        uint32_t u;
        float f;
    } f32;
    switch (a->dtype) {
    case CAIRN_DT_BOOL:
        fputs(u ? "True" : "False", f);
        break;
    case CAIRN_DT_I8:
        fprintf(f, "%d", (int)(int8_t)u);
        break;
    case CAIRN_DT_I16:
        fprintf(f, "%d", (int)(int16_t)u);
        break;
    case CAIRN_DT_I32:
        fprintf(f, "%ld", (long)(int32_t)u);
        break;
    case CAIRN_DT_I64:
        fprintf(f, "%lld", (long long)(int64_t)u);
        break;
    case CAIRN_DT_U8:
    case CAIRN_DT_U16:
    case CAIRN_DT_U32:
    case CAIRN_DT_U64:
        fprintf(f, "%llu", (unsigned long long)u);
        break;
    case CAIRN_DT_F16:
        put_double(f, half(u));
        break;
    case CAIRN_DT_F32:
        f32.u = (uint32_t)u;
        put_double(f, (double)f32.f);
        break;
    case CAIRN_DT_F64:
        d64.u = u;
        put_double(f, d64.d);
        break;
    case CAIRN_DT_C64:
    case CAIRN_DT_C128: {
        size_t h = item / 2;
        double re, im;
        if (h == 4) {
            f32.u = (uint32_t)load(p, 4, swap);
            re = (double)f32.f;
            f32.u = (uint32_t)load(p + 4, 4, swap);
            im = (double)f32.f;
        } else {
            d64.u = load(p, 8, swap);
            re = d64.d;
            d64.u = load(p + 8, 8, swap);
            im = d64.d;
        }
        fputc('(', f);
        put_double(f, re);
        if (!(im < 0) && !isnan(im))
            fputc('+', f);
        put_double(f, im);
        fputs("j)", f);
        break;
    }
    }
}

static int cat_npy(FILE *f, const cairn_value *v)
{
    cairn_array a;
    int rc = cairn_value_array(v, &a);
    if (rc)
        return rc;
    size_t item = cairn_dtype_size(a.dtype);
    fprintf(f, "dtype=%c%s shape=(", item == 1 ? '|' : a.big_endian ? '>' : '<',
            cairn_dtype_name(a.dtype));
    uint64_t n = 1;
    for (unsigned i = 0; i < a.ndim; i++) {
        fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)a.shape[i]);
        n *= a.shape[i];
    }
    fprintf(f, "%s) order=%s\n", a.ndim == 1 ? "," : "", a.fortran_order ? "F" : "C");
    /* Strides of the layout, in elements. */
    uint64_t stride[CAIRN_ARRAY_NDIM_MAX], idx[CAIRN_ARRAY_NDIM_MAX] = {0};
    uint64_t s = 1;
    for (unsigned k = 0; k < a.ndim; k++) {
        unsigned i = a.fortran_order ? k : a.ndim - 1 - k;
        stride[i] = s;
        s *= a.shape[i];
    }
    /* Values in logical (C) order; one line per run of the last axis. */
    const unsigned char *base = a.data;
    uint64_t last = a.ndim ? a.shape[a.ndim - 1] : 1;
    for (uint64_t e = 0; e < n; e++) {
        uint64_t off = 0;
        for (unsigned i = 0; i < a.ndim; i++)
            off += idx[i] * stride[i];
        put_elem(f, &a, base + off * item);
        fputc((e + 1) % last == 0 ? '\n' : ' ', f);
        for (unsigned i = a.ndim; i-- > 0;) {
            if (++idx[i] < a.shape[i])
                break;
            idx[i] = 0;
        }
    }
    return CAIRN_OK;
}

/* ---- bytes: offset, 16 bytes in hex, the printable ones ---- */

static void cat_hex(FILE *f, const unsigned char *p, size_t n)
{
    for (size_t off = 0; off < n; off += 16) {
        size_t k = n - off < 16 ? n - off : 16;
        fprintf(f, "%08zx:", off);
        for (size_t i = 0; i < 16; i++) {
            if (i % 2 == 0)
                fputc(' ', f);
            if (i < k)
                fprintf(f, "%02x", p[off + i]);
            else
                fputs("  ", f);
        }
        fputs("  ", f);
        for (size_t i = 0; i < k; i++)
            fputc(p[off + i] >= 0x20 && p[off + i] < 0x7f ? p[off + i] : '.', f);
        fputc('\n', f);
    }
}

int cli_cat(FILE *f, const cairn_value *v)
{
    size_t len;
    const unsigned char *d = cairn_value_data(v, &len);
    switch (cairn_value_meta(v)->format) {
    case CAIRN_FORMAT_JSON:
    case CAIRN_FORMAT_TEXT:
        fwrite(d, 1, len, f);
        if (len && d[len - 1] != '\n')
            fputc('\n', f);
        return CAIRN_OK;
    case CAIRN_FORMAT_MSGPACK: {
        void *j;
        size_t jl;
        int rc = cairn_value_convert(v, CAIRN_FORMAT_JSON, &j, &jl);
        if (rc)
            return rc;
        fwrite(j, 1, jl, f);
        fputc('\n', f);
        cairn_free(j);
        return CAIRN_OK;
    }
    case CAIRN_FORMAT_NPY:
        return cat_npy(f, v);
    case CAIRN_FORMAT_BYTES:
        cat_hex(f, d, len);
        return CAIRN_OK;
    }
    return CAIRN_EFORMAT;
}
