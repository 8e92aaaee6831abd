/* formats.c — values that are not JSON, as the seed's BlobManager keeps
 * them: a NumPy array stored with cairn_put_array and read back as a view
 * (no copy), an event as msgpack converted to JSON on the way out, bytes
 * with user metadata, and a large value compressed without the caller
 * noticing. Nothing here executes code on load: there is no pickle.
 *
 *   formats URL      e.g. formats mem:   or   formats lmdb:./data
 */
#include <cairn/cairn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "formats: %s: %s\n", what, cairn_errmsg());
    return 1;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "mem:";
    cairn_store *s = NULL;
    if (cairn_store_open(url, NULL, &s))
        return fail("open");
    cairn_put_opts over = {.behavior = CAIRN_OVERWRITE};

    /* 1. A 3 x 4 float64 array, C order: the elements are copied once,
     * into the record; numpy.load() opens the stored bytes as they are. */
    double w[3][4];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
            w[i][j] = i + j / 10.0;
    cairn_array a = {.dtype = CAIRN_DT_F64, .ndim = 2, .shape = {3, 4}, .data = w,
                     .nbytes = sizeof w};
    if (cairn_put_array(s, "arrays/w", &a, &over))
        return fail("put_array");
    cairn_value *v = NULL;
    cairn_array back;
    if (cairn_get(s, "arrays/w", &v) || cairn_value_array(v, &back))
        return fail("get arrays/w");
    const double *e = back.data; /* a view into v: 16-byte aligned */
    printf("arrays/w: %s %s shape=(%llu, %llu), w[2][3]=%g, format %s\n",
           cairn_dtype_name(back.dtype), back.fortran_order ? "F" : "C",
           (unsigned long long)back.shape[0], (unsigned long long)back.shape[1], e[2 * 4 + 3],
           cairn_format_name(cairn_value_meta(v)->format));
    int ok = back.ndim == 2 && back.nbytes == sizeof w && !memcmp(e, w, sizeof w);
    cairn_value_free(v);

    /* 2. An event as msgpack (converted from JSON here), shown as JSON. */
    const char *event = "{\"id\":4711,\"ok\":true,\"scores\":[0.5,2]}";
    void *mp = NULL;
    size_t mplen = 0;
    if (cairn_convert(event, strlen(event), CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, &mp,
                      &mplen))
        return fail("convert to msgpack");
    cairn_put_opts mo = {.behavior = CAIRN_OVERWRITE, .format = CAIRN_FORMAT_MSGPACK};
    if (cairn_put(s, "events/4711", mp, mplen, &mo))
        return fail("put msgpack");
    cairn_free(mp);
    void *js = NULL;
    size_t jslen = 0;
    if (cairn_get(s, "events/4711", &v) || cairn_value_convert(v, CAIRN_FORMAT_JSON, &js, &jslen))
        return fail("get events/4711");
    printf("events/4711: %zu bytes of msgpack, as JSON: %.*s\n", mplen, (int)jslen,
           (const char *)js);
    ok = ok && jslen == strlen(event) && !memcmp(js, event, jslen);
    cairn_free(js);
    cairn_value_free(v);

    /* 3. Bytes with user metadata, and a large value that is compressed
     * (values of 4 KiB or more, when that saves space). */
    size_t big = 64 * 1024;
    char *frame = malloc(big);
    if (!frame)
        return 1;
    for (size_t i = 0; i < big; i++)
        frame[i] = (char)(i / 256 % 7); /* compressible */
    cairn_put_opts bo = {.behavior = CAIRN_OVERWRITE, .format = CAIRN_FORMAT_BYTES,
                         .user_meta = "{\"camera\":2,\"source\":\"scan-7\"}"};
    if (cairn_put(s, "frames/7", frame, big, &bo))
        return fail("put bytes");
    if (cairn_get(s, "frames/7", &v))
        return fail("get frames/7");
    const cairn_meta *m = cairn_value_meta(v);
    size_t got;
    const void *d = cairn_value_data(v, &got);
    printf("frames/7: %llu bytes stored as %llu (%s), meta %s\n",
           (unsigned long long)m->size, (unsigned long long)m->stored_size, m->compression,
           m->user_meta ? m->user_meta : "null");
    ok = ok && got == big && !memcmp(d, frame, big) && m->stored_size < m->size &&
         m->user_meta && strstr(m->user_meta, "scan-7");
    cairn_value_free(v);
    free(frame);

    /* 4. A value that does not match its format is refused, nothing written. */
    int rc = cairn_put(s, "events/bad", "\xc1", 1, &mo); /* 0xc1: never msgpack */
    printf("events/bad: %s (%s)\n", cairn_strerror(rc), cairn_errmsg());
    ok = ok && rc == CAIRN_EFORMAT && cairn_exists(s, "events/bad") == CAIRN_ENOTFOUND;

    cairn_store_close(s);
    printf(ok ? "formats: all as expected\n" : "formats: SOMETHING DIFFERED\n");
    return ok ? 0 : 1;
}
