/*
 * formats_tool.c — the C side of the numpy/msgpack interop test
 * (formats_interop.py): writes arrays with cairn_put_array, describes arrays
 * read with cairn_value_array, and converts JSON to msgpack with
 * cairn_convert. Public API only.
 *
 *   formats_tool put-arrays URL        the fixed arrays below, under api/NAME
 *   formats_tool show URL KEY          "dtype big fortran shape hexdata"
 *   formats_tool put-msgpack URL KEY   JSON on stdin, stored as msgpack
 */
#include <cairn/cairn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int die(const char *what, int rc)
{
    fprintf(stderr, "formats_tool: %s: %s (%s)\n", what, cairn_strerror(rc), cairn_errmsg());
    return 1;
}

/* The elements of test array NAME, filled by index (the Python side makes
 * the same values: see formats_interop.py). */
static int put_arrays(cairn_store *s)
{
    static double f8[24];
    static float f4[5];
    static int64_t i8[6];
    static int16_t i2[4];
    static uint32_t u4[3];
    static unsigned char b1[4];
    static double c16[6];
    unsigned char be8[24 * 8];
    for (int i = 0; i < 24; i++)
        f8[i] = i * 1.25 - 3;
    for (int i = 0; i < 5; i++)
        f4[i] = (float)i / 4.0f;
    for (int i = 0; i < 6; i++)
        i8[i] = (int64_t)i * 1000000000000LL - 2;
    for (int i = 0; i < 4; i++)
        i2[i] = (int16_t)(i * -300);
    for (int i = 0; i < 3; i++)
        u4[i] = 4000000000u + (uint32_t)i;
    for (int i = 0; i < 4; i++)
        b1[i] = (unsigned char)(i % 2);
    for (int i = 0; i < 6; i++)
        c16[i] = i + 0.5;
    /* big-endian copy of f8 */
    for (int i = 0; i < 24; i++) {
        unsigned char le[8];
        memcpy(le, &f8[i], 8);
        for (int k = 0; k < 8; k++)
            be8[i * 8 + k] = le[7 - k];
    }
    static double scalar = 42.5;
    struct {
        const char *key;
        cairn_array a;
    } t[] = {
        {"api/f8_3d", {CAIRN_DT_F64, 0, 0, 3, {2, 3, 4}, f8, sizeof f8}},
        {"api/f8_fortran", {CAIRN_DT_F64, 0, 1, 2, {4, 6}, f8, sizeof f8}},
        {"api/f8_big", {CAIRN_DT_F64, 1, 0, 2, {6, 4}, be8, sizeof be8}},
        {"api/f4_1d", {CAIRN_DT_F32, 0, 0, 1, {5}, f4, sizeof f4}},
        {"api/i8_2d", {CAIRN_DT_I64, 0, 0, 2, {2, 3}, i8, sizeof i8}},
        {"api/i2_1d", {CAIRN_DT_I16, 0, 0, 1, {4}, i2, sizeof i2}},
        {"api/u4_1d", {CAIRN_DT_U32, 0, 0, 1, {3}, u4, sizeof u4}},
        {"api/b1_1d", {CAIRN_DT_BOOL, 0, 0, 1, {4}, b1, sizeof b1}},
        {"api/c16_1d", {CAIRN_DT_C128, 0, 0, 1, {3}, c16, sizeof c16}},
        {"api/scalar", {CAIRN_DT_F64, 0, 0, 0, {0}, &scalar, 8}},
        {"api/empty", {CAIRN_DT_I32, 0, 0, 2, {0, 3}, NULL, 0}},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int rc = cairn_put_array(s, t[i].key, &t[i].a, NULL);
        if (rc)
            return die(t[i].key, rc);
    }
    return 0;
}

static int show(cairn_store *s, const char *key)
{
    cairn_value *v;
    int rc = cairn_get(s, key, &v);
    if (rc)
        return die(key, rc);
    cairn_array a;
    if ((rc = cairn_value_array(v, &a))) {
        cairn_value_free(v);
        return die(key, rc);
    }
    printf("%s %d %d ", cairn_dtype_name(a.dtype), a.big_endian, a.fortran_order ? 1 : 0);
    printf("(");
    for (unsigned i = 0; i < a.ndim; i++)
        printf("%llu,", (unsigned long long)a.shape[i]);
    printf(") ");
    for (size_t i = 0; i < a.nbytes; i++)
        printf("%02x", ((const unsigned char *)a.data)[i]);
    printf("\n");
    cairn_value_free(v);
    return 0;
}

static int put_msgpack(cairn_store *s, const char *key)
{
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, stdin);
    void *m;
    size_t ml;
    int rc = cairn_convert(buf, n, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, &m, &ml);
    if (rc)
        return die("convert", rc);
    cairn_put_opts o = {.format = CAIRN_FORMAT_MSGPACK, .behavior = CAIRN_OVERWRITE};
    rc = cairn_put(s, key, m, ml, &o);
    cairn_free(m);
    return rc ? die(key, rc) : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: formats_tool put-arrays|show|put-msgpack URL [KEY]\n");
        return 2;
    }
    cairn_store *s;
    int rc = cairn_store_open(argv[2], NULL, &s);
    if (rc)
        return die("open", rc);
    int ex = 2;
    if (!strcmp(argv[1], "put-arrays"))
        ex = put_arrays(s);
    else if (!strcmp(argv[1], "show") && argc == 4)
        ex = show(s, argv[3]);
    else if (!strcmp(argv[1], "put-msgpack") && argc == 4)
        ex = put_msgpack(s, argv[3]);
    cairn_store_close(s);
    return ex;
}
