/*
 * npy.c — NumPy's .npy format: a strict reader of the header (a Python dict
 * literal, read as data and never evaluated) and the writer the put path uses.
 */
#include "codec/codec.h"
#include "base/error.h"

#include <stdio.h>
#include <string.h>

static const struct {
    char kind;
    unsigned char size;
    const char *name;
} dtypes[] = {
    [CAIRN_DT_BOOL] = {'b', 1, "b1"}, [CAIRN_DT_I8] = {'i', 1, "i1"},
    [CAIRN_DT_I16] = {'i', 2, "i2"},  [CAIRN_DT_I32] = {'i', 4, "i4"},
    [CAIRN_DT_I64] = {'i', 8, "i8"},  [CAIRN_DT_U8] = {'u', 1, "u1"},
    [CAIRN_DT_U16] = {'u', 2, "u2"},  [CAIRN_DT_U32] = {'u', 4, "u4"},
    [CAIRN_DT_U64] = {'u', 8, "u8"},  [CAIRN_DT_F16] = {'f', 2, "f2"},
    [CAIRN_DT_F32] = {'f', 4, "f4"},  [CAIRN_DT_F64] = {'f', 8, "f8"},
    [CAIRN_DT_C64] = {'c', 8, "c8"},  [CAIRN_DT_C128] = {'c', 16, "c16"},
};
#define N_DTYPES (sizeof dtypes / sizeof *dtypes)

CAIRN_API size_t cairn_dtype_size(cairn_dtype t)
{
    return (unsigned)t < N_DTYPES ? dtypes[t].size : 0;
}

CAIRN_API const char *cairn_dtype_name(cairn_dtype t)
{
    return (unsigned)t < N_DTYPES ? dtypes[t].name : "unknown";
}

/* product(shape) * itemsize, or false when it is above CAIRN_VALUE_MAX. A
 * zero anywhere makes it 0 whatever the other dimensions are. */
static bool array_bytes(const uint64_t *shape, unsigned ndim, size_t item, uint64_t *out)
{
    for (unsigned i = 0; i < ndim; i++)
        if (shape[i] == 0) {
            *out = 0;
            return true;
        }
    uint64_t n = item;
    for (unsigned i = 0; i < ndim; i++) {
        if (shape[i] > CAIRN_VALUE_MAX / n)
            return false;
        n *= shape[i];
    }
    *out = n;
    return n <= CAIRN_VALUE_MAX;
}

int cairn__npy_array_check(const cairn_array *a)
{
    if (!a)
        return cairn__err(CAIRN_EINVAL, "array is NULL");
    if ((unsigned)a->dtype >= N_DTYPES)
        return cairn__err(CAIRN_EINVAL, "unknown dtype %d", (int)a->dtype);
    if (a->ndim > CAIRN_ARRAY_NDIM_MAX)
        return cairn__err(CAIRN_EINVAL, "ndim %u is above %d", a->ndim, CAIRN_ARRAY_NDIM_MAX);
    uint64_t need;
    if (!array_bytes(a->shape, a->ndim, dtypes[a->dtype].size, &need) ||
        need + CAIRN__NPY_HEAD_MAX > CAIRN_VALUE_MAX)
        return cairn__err(CAIRN_EINVAL, "array is larger than a value may be (%u bytes)",
                          CAIRN_VALUE_MAX);
    if (need != a->nbytes)
        return cairn__err(CAIRN_EINVAL,
                          "nbytes is %zu, product(shape) * itemsize is %llu", a->nbytes,
                          (unsigned long long)need);
    if (!a->data && a->nbytes)
        return cairn__err(CAIRN_EINVAL, "data is NULL with nbytes %zu", a->nbytes);
    return CAIRN_OK;
}

size_t cairn__npy_head(const cairn_array *a, char *buf)
{
    const size_t pre = 10; /* magic, version, 2-byte header length */
    char *p = buf + pre;
    size_t item = dtypes[a->dtype].size;
    char order = item == 1 ? '|' : a->big_endian ? '>' : '<';
    p += sprintf(p, "{'descr': '%c%s', 'fortran_order': %s, 'shape': (", order,
                 dtypes[a->dtype].name, a->fortran_order ? "True" : "False");
    for (unsigned i = 0; i < a->ndim; i++)
        p += sprintf(p, "%s%llu", i ? ", " : "", (unsigned long long)a->shape[i]);
    p += sprintf(p, "%s), }", a->ndim == 1 ? "," : "");
    size_t used = (size_t)(p - buf) + 1; /* + the newline */
    size_t total = (used + 63) / 64 * 64;
    memset(p, ' ', total - used);
    buf[total - 1] = '\n';
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    size_t hl = total - pre;
    buf[8] = (char)(hl & 0xff);
    buf[9] = (char)(hl >> 8);
    return total;
}

/* ---- reader ---- */

typedef struct {
    const char *p, *end, *start;
    const char *why;
} rd;

static void ws(rd *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool eat(rd *r, char c)
{
    ws(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return true;
    }
    return false;
}

/* A Python string literal in single or double quotes, without escapes or
 * prefixes (numpy never writes them); *s, *n: its contents. */
static bool str_lit(rd *r, const char **s, size_t *n)
{
    ws(r);
    if (r->p >= r->end || (*r->p != '\'' && *r->p != '"'))
        return false;
    char q = *r->p++;
    const char *b = r->p;
    while (r->p < r->end && *r->p != q) {
        if (*r->p == '\\' || *r->p == '\n' || (unsigned char)*r->p >= 0x80 ||
            (unsigned char)*r->p < 0x20)
            return false;
        r->p++;
    }
    if (r->p >= r->end)
        return false;
    *s = b;
    *n = (size_t)(r->p - b);
    r->p++;
    return true;
}

/* A non-negative decimal integer as Python writes it (no leading zeros). */
static bool int_lit(rd *r, uint64_t *out)
{
    ws(r);
    const char *b = r->p;
    uint64_t v = 0;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
        unsigned d = (unsigned)(*r->p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        r->p++;
    }
    size_t n = (size_t)(r->p - b);
    if (n == 0 || (n > 1 && *b == '0'))
        return false;
    *out = v;
    return true;
}

static bool word(rd *r, const char *w)
{
    ws(r);
    size_t n = strlen(w);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return false;
    const char *after = r->p + n;
    if (after < r->end && ((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z') ||
                           (*after >= '0' && *after <= '9') || *after == '_'))
        return false;
    r->p = after;
    return true;
}

static int bad(const rd *r, const char *what)
{
    return cairn__err(CAIRN_EFORMAT, "npy: %s at header byte %zu", what,
                      (size_t)(r->p - r->start));
}

static bool little_host(void)
{
    return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
}

static int descr(rd *r, const char *s, size_t n, cairn_array *a)
{
    if (n >= 2 && s[1] == 'O')
        return cairn__err(CAIRN_EFORMAT, "npy: object arrays (descr '%.*s') are refused: "
                                         "loading them would run pickle",
                          (int)n, s);
    if (n < 3)
        return cairn__err(CAIRN_EFORMAT, "npy: descr '%.*s' is not a numeric dtype", (int)n, s);
    char order = s[0];
    if (!strchr("<>|=", order))
        return cairn__err(CAIRN_EFORMAT,
                          "npy: descr '%.*s' has no byte order ('<', '>', '|' or '=')",
                          (int)n, s);
    for (unsigned i = 0; i < N_DTYPES; i++) {
        size_t nl = strlen(dtypes[i].name);
        if (n - 1 != nl || memcmp(s + 1, dtypes[i].name, nl) != 0)
            continue;
        a->dtype = (cairn_dtype)i;
        if (dtypes[i].size == 1) {
            a->big_endian = 0;
        } else if (order == '|') {
            return cairn__err(CAIRN_EFORMAT,
                              "npy: descr '%.*s': '|' is only for one-byte dtypes", (int)n, s);
        } else {
            a->big_endian = order == '>' || (order == '=' && !little_host());
        }
        return CAIRN_OK;
    }
    (void)r;
    return cairn__err(CAIRN_EFORMAT,
                      "npy: descr '%.*s' is not a numeric dtype (b1, i1..i8, u1..u8, "
                      "f2/f4/f8, c8/c16)",
                      (int)n, s);
}

static int shape(rd *r, cairn_array *a)
{
    if (!eat(r, '('))
        return bad(r, "shape is not a tuple");
    a->ndim = 0;
    if (eat(r, ')'))
        return CAIRN_OK;
    for (;;) {
        uint64_t d;
        if (!int_lit(r, &d))
            return bad(r, "shape holds something other than a non-negative integer");
        if (a->ndim == CAIRN_ARRAY_NDIM_MAX)
            return bad(r, "shape has more than 32 dimensions");
        a->shape[a->ndim++] = d;
        bool comma = eat(r, ',');
        if (eat(r, ')')) {
            if (a->ndim == 1 && !comma)
                return bad(r, "shape '(n)' is not a tuple (write '(n,)')");
            return CAIRN_OK;
        }
        if (!comma)
            return bad(r, "shape: expected ',' or ')'");
    }
}

static int header(rd *r, cairn_array *a)
{
    bool seen[3] = {false, false, false};
    if (!eat(r, '{'))
        return bad(r, "header is not a dict");
    for (;;) {
        if (eat(r, '}'))
            break;
        const char *k;
        size_t kl;
        if (!str_lit(r, &k, &kl))
            return bad(r, "expected a quoted key");
        int which = kl == 5 && !memcmp(k, "descr", 5)           ? 0
                    : kl == 13 && !memcmp(k, "fortran_order", 13) ? 1
                    : kl == 5 && !memcmp(k, "shape", 5)          ? 2
                                                                 : -1;
        if (which < 0)
            return cairn__err(CAIRN_EFORMAT, "npy: unexpected header key '%.*s' (only "
                                             "descr, fortran_order, shape)",
                              (int)kl, k);
        if (seen[which])
            return cairn__err(CAIRN_EFORMAT, "npy: header key '%.*s' appears twice", (int)kl, k);
        seen[which] = true;
        if (!eat(r, ':'))
            return bad(r, "expected ':'");
        int rc;
        if (which == 0) {
            const char *s;
            size_t sl;
            if (!str_lit(r, &s, &sl))
                return bad(r, "descr is not a plain string (structured dtypes are refused)");
            if ((rc = descr(r, s, sl, a)))
                return rc;
        } else if (which == 1) {
            if (word(r, "True"))
                a->fortran_order = 1;
            else if (word(r, "False"))
                a->fortran_order = 0;
            else
                return bad(r, "fortran_order is not True or False");
        } else if ((rc = shape(r, a))) {
            return rc;
        }
        bool comma = eat(r, ',');
        if (eat(r, '}'))
            break;
        if (!comma)
            return bad(r, "expected ',' or '}'");
    }
    ws(r);
    if (r->p != r->end)
        return bad(r, "bytes after the header dict");
    if (!seen[0] || !seen[1] || !seen[2])
        return cairn__err(CAIRN_EFORMAT, "npy: header lacks '%s'",
                          !seen[0] ? "descr" : !seen[1] ? "fortran_order" : "shape");
    return CAIRN_OK;
}

CAIRN_API int cairn_npy_parse(const void *buf, size_t len, cairn_array *out)
{
    cairn__err_clear();
    const unsigned char *b = buf;
    if (!out || (!buf && len))
        return cairn__err(CAIRN_EINVAL, "npy: NULL argument");
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return cairn__err(CAIRN_EFORMAT, "npy: no .npy magic (\\x93NUMPY) at the start");
    unsigned major = b[6], minor = b[7];
    size_t pre, hl;
    if (major == 1 && minor == 0) {
        pre = 10;
        hl = (size_t)b[8] | (size_t)b[9] << 8;
    } else if ((major == 2 || major == 3) && minor == 0) {
        if (len < 12)
            return cairn__err(CAIRN_EFORMAT, "npy: truncated before the header length");
        pre = 12;
        hl = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
    } else {
        return cairn__err(CAIRN_EFORMAT, "npy: unsupported version %u.%u (1.0, 2.0, 3.0)",
                          major, minor);
    }
    if (hl > len - pre)
        return cairn__err(CAIRN_EFORMAT, "npy: header of %zu bytes, only %zu follow", hl,
                          len - pre);
    cairn_array a;
    memset(&a, 0, sizeof a);
    rd r = {(const char *)b + pre, (const char *)b + pre + hl, (const char *)b + pre, NULL};
    int rc = header(&r, &a);
    if (rc)
        return rc;
    uint64_t need;
    size_t have = len - pre - hl;
    if (!array_bytes(a.shape, a.ndim, dtypes[a.dtype].size, &need))
        return cairn__err(CAIRN_EFORMAT, "npy: shape and dtype %s need more than %u bytes",
                          dtypes[a.dtype].name, CAIRN_VALUE_MAX);
    if (need != have)
        return cairn__err(CAIRN_EFORMAT,
                          "npy: %zu data bytes, shape and dtype %s need %llu", have,
                          dtypes[a.dtype].name, (unsigned long long)need);
    a.data = b + pre + hl;
    a.nbytes = have;
    *out = a;
    return CAIRN_OK;
}

CAIRN_API int cairn_value_array(const cairn_value *v, cairn_array *out)
{
    cairn__err_clear();
    if (!v || !out)
        return cairn__err(CAIRN_EINVAL, "value_array: NULL argument");
    const cairn_meta *m = cairn_value_meta(v);
    if (m->format != CAIRN_FORMAT_NPY)
        return cairn__err(CAIRN_EFORMAT, "%s: the value is %s, not npy", cairn_value_key(v),
                          cairn_format_name(m->format));
    size_t len;
    const void *d = cairn_value_data(v, &len);
    return cairn_npy_parse(d, len, out);
}
