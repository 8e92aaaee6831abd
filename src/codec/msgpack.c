/*
 * msgpack.c — the msgpack format: the put path's check (a bounded walk, then
 * msgpack-c's parser) and the JSON <-> msgpack conversion of cairn_convert.
 */
#include "codec/codec.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/jdom.h"
#include "base/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

/* ---- the walk ----
 *
 * msgpack-c allocates an array's or map's element slots as soon as it reads
 * the count (24 bytes each), so four bytes claiming 2^32 elements would ask
 * for 96 GiB. The walk runs first: every element takes at least one byte,
 * so a count above the bytes left is refused before msgpack-c sees it, and
 * its allocations stay within a small multiple of the input. */

static uint64_t be(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int cairn__msgpack_walk(const void *buf, size_t n)
{
    const unsigned char *b = buf, *p = b, *end = b + n;
    uint64_t left[CAIRN_MSGPACK_DEPTH_MAX + 1];
    unsigned depth = 0; /* containers open */
    if (n == 0)
        return cairn__err(CAIRN_EFORMAT, "msgpack: empty value (one object expected)");
    left[0] = 1;
    for (;;) {
        while (left[depth] == 0) {
            if (depth == 0)
                goto done;
            depth--;
        }
        left[depth]--;
        size_t at = (size_t)(p - b);
        if (p >= end)
            return cairn__err(CAIRN_EFORMAT, "msgpack: truncated at byte %zu", at);
        unsigned c = *p++;
        uint64_t skip = 0, count = 0;
        bool container = false;
        unsigned lenb = 0; /* bytes of a length field */
        if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
            /* fixint, nil, bool */
        } else if (c <= 0x8f) {
            container = true;
            count = 2u * (c & 0x0f);
        } else if (c <= 0x9f) {
            container = true;
            count = c & 0x0f;
        } else if (c <= 0xbf) {
            skip = c & 0x1f;
        } else if (c == 0xc1) {
            return cairn__err(CAIRN_EFORMAT, "msgpack: byte 0xc1 (never used) at byte %zu", at);
        } else if (c >= 0xc4 && c <= 0xc6) { /* bin 8/16/32 */
            lenb = 1u << (c - 0xc4);
        } else if (c >= 0xc7 && c <= 0xc9) { /* ext 8/16/32: length, type */
            lenb = 1u << (c - 0xc7);
            skip = 1;
        } else if (c == 0xca || c == 0xcb) {
            skip = c == 0xca ? 4 : 8;
        } else if (c >= 0xcc && c <= 0xd3) { /* uint, int 8..64 */
            skip = 1u << ((c - 0xcc) & 3);
        } else if (c >= 0xd4 && c <= 0xd8) { /* fixext 1..16 */
            skip = 1 + (1u << (c - 0xd4));
        } else if (c >= 0xd9 && c <= 0xdb) { /* str 8/16/32 */
            lenb = 1u << (c - 0xd9);
        } else { /* 0xdc..0xdf: array 16/32, map 16/32 */
            container = true;
            unsigned w = (c & 1) ? 4 : 2;
            if ((size_t)(end - p) < w)
                return cairn__err(CAIRN_EFORMAT, "msgpack: truncated at byte %zu", at);
            count = be(p, w) * (c >= 0xde ? 2 : 1);
            p += w;
        }
        if (lenb) {
            if ((size_t)(end - p) < lenb)
                return cairn__err(CAIRN_EFORMAT, "msgpack: truncated at byte %zu", at);
            skip += be(p, lenb);
            p += lenb;
        }
        if (skip > (uint64_t)(end - p))
            return cairn__err(CAIRN_EFORMAT,
                              "msgpack: object at byte %zu needs %llu bytes, %zu follow", at,
                              (unsigned long long)skip, (size_t)(end - p));
        p += skip;
        if (container) {
            if (depth >= CAIRN_MSGPACK_DEPTH_MAX)
                return cairn__err(CAIRN_EFORMAT,
                                  "msgpack: nesting deeper than %d at byte %zu",
                                  CAIRN_MSGPACK_DEPTH_MAX, at);
            if (count > (uint64_t)(end - p))
                return cairn__err(CAIRN_EFORMAT,
                                  "msgpack: container at byte %zu claims %llu objects, "
                                  "only %zu bytes follow",
                                  at, (unsigned long long)count, (size_t)(end - p));
            if (count)
                left[++depth] = count;
        }
    }
done:
    if (p != end)
        return cairn__err(CAIRN_EFORMAT,
                          "msgpack: %zu bytes after the object (it ends at byte %zu)",
                          (size_t)(end - p), (size_t)(p - b));
    return CAIRN_OK;
}

/* Parse p[0..n) with msgpack-c after the walk; res must be destroyed. */
static int unpack(const void *p, size_t n, msgpack_unpacked *res)
{
    msgpack_unpacked_init(res);
    int rc = cairn__msgpack_walk(p, n);
    if (rc)
        return rc;
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack_next(res, p, n, &off);
    if (r == MSGPACK_UNPACK_NOMEM_ERROR)
        return cairn__err(CAIRN_ENOMEM, "msgpack: out of memory");
    if (r != MSGPACK_UNPACK_SUCCESS || off != n)
        return cairn__err(CAIRN_EFORMAT, "msgpack: msgpack-c refuses the value (status %d, "
                                         "%zu of %zu bytes read)",
                          (int)r, off, n);
    return CAIRN_OK;
}

int cairn__msgpack_check(const void *p, size_t n)
{
    msgpack_unpacked res;
    int rc = unpack(p, n, &res);
    msgpack_unpacked_destroy(&res);
    return rc;
}

/* ---- msgpack -> JSON ---- */

typedef struct {
    char *buf;
    size_t len, cap;
} out_buf;

static int put(out_buf *o, const void *p, size_t n)
{
    return cairn__buf_put(&o->buf, &o->len, &o->cap, p, n);
}

static int json_str(out_buf *o, const char *s, size_t n, const char *what)
{
    if (n == 0) /* msgpack-c gives an empty str a NULL pointer */
        return put(o, "\"\"", 2);
    size_t bad;
    if (!cairn__utf8_valid(s, n, &bad))
        return cairn__err(CAIRN_EFORMAT,
                          "msgpack -> json: %s is not valid UTF-8 (byte %zu of it)", what, bad);
    if (put(o, "\"", 1))
        return CAIRN_ENOMEM;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (put(o, s + run, i - run))
            return CAIRN_ENOMEM;
        char esc[8];
        int k;
        switch (c) {
        case '"': k = snprintf(esc, sizeof esc, "\\\""); break;
        case '\\': k = snprintf(esc, sizeof esc, "\\\\"); break;
        case '\n': k = snprintf(esc, sizeof esc, "\\n"); break;
        case '\r': k = snprintf(esc, sizeof esc, "\\r"); break;
        case '\t': k = snprintf(esc, sizeof esc, "\\t"); break;
        default: k = snprintf(esc, sizeof esc, "\\u%04x", c); break;
        }
        if (put(o, esc, (size_t)k))
            return CAIRN_ENOMEM;
        run = i + 1;
    }
    if (put(o, s + run, n - run) || put(o, "\"", 1))
        return CAIRN_ENOMEM;
    return CAIRN_OK;
}

/* The shortest %.Ng text that reads back as d; integral values keep ".0"
 * so that the JSON says it is a float, as the msgpack did. */
static int json_double(out_buf *o, double d)
{
    if (!isfinite(d))
        return cairn__err(CAIRN_EFORMAT, "msgpack -> json: %s has no JSON form",
                          isnan(d) ? "NaN" : "infinity");
    char t[40];
    int k = 0;
    for (int prec = 15; prec <= 17; prec++) {
        k = snprintf(t, sizeof t - 3, "%.*g", prec, d);
        if (strtod(t, NULL) == d)
            break;
    }
    if (!strpbrk(t, ".eEn")) {
        memcpy(t + k, ".0", 3);
        k += 2;
    }
    return put(o, t, (size_t)k);
}

static int to_json(out_buf *o, const msgpack_object *v)
{
    char t[32];
    int k, rc;
    switch (v->type) {
    case MSGPACK_OBJECT_NIL:
        return put(o, "null", 4);
    case MSGPACK_OBJECT_BOOLEAN:
        return v->via.boolean ? put(o, "true", 4) : put(o, "false", 5);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        k = snprintf(t, sizeof t, "%llu", (unsigned long long)v->via.u64);
        return put(o, t, (size_t)k);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        k = snprintf(t, sizeof t, "%lld", (long long)v->via.i64);
        return put(o, t, (size_t)k);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return json_double(o, v->via.f64);
    case MSGPACK_OBJECT_STR:
        return json_str(o, v->via.str.ptr, v->via.str.size, "a string");
    case MSGPACK_OBJECT_ARRAY:
        if (put(o, "[", 1))
            return CAIRN_ENOMEM;
        for (uint32_t i = 0; i < v->via.array.size; i++) {
            if ((i && (rc = put(o, ",", 1))) || (rc = to_json(o, &v->via.array.ptr[i])))
                return rc;
        }
        return put(o, "]", 1);
    case MSGPACK_OBJECT_MAP:
        if (put(o, "{", 1))
            return CAIRN_ENOMEM;
        for (uint32_t i = 0; i < v->via.map.size; i++) {
            const msgpack_object_kv *kv = &v->via.map.ptr[i];
            if (i && put(o, ",", 1))
                return CAIRN_ENOMEM;
            if (kv->key.type != MSGPACK_OBJECT_STR)
                return cairn__err(CAIRN_EFORMAT,
                                  "msgpack -> json: map key is not a string (JSON object "
                                  "names are strings)");
            if ((rc = json_str(o, kv->key.via.str.ptr, kv->key.via.str.size, "a map key")) ||
                (rc = put(o, ":", 1)) || (rc = to_json(o, &kv->val)))
                return rc;
        }
        return put(o, "}", 1);
    case MSGPACK_OBJECT_BIN:
        return cairn__err(CAIRN_EFORMAT, "msgpack -> json: binary data has no JSON form");
    case MSGPACK_OBJECT_EXT:
        return cairn__err(CAIRN_EFORMAT,
                          "msgpack -> json: extension type %d has no JSON form",
                          (int)v->via.ext.type);
    }
    return cairn__err(CAIRN_EFORMAT, "msgpack -> json: unknown object type %d", (int)v->type);
}

static int msgpack_to_json(const void *in, size_t len, void **out, size_t *out_len)
{
    msgpack_unpacked res;
    int rc = unpack(in, len, &res);
    out_buf o = {NULL, 0, 0};
    if (rc == CAIRN_OK)
        rc = to_json(&o, &res.data);
    msgpack_unpacked_destroy(&res);
    if (rc == CAIRN_OK && o.buf == NULL)
        rc = CAIRN_ENOMEM;
    if (rc) {
        free(o.buf);
        return rc == CAIRN_ENOMEM && !*cairn_errmsg() ? cairn__err(rc, "out of memory") : rc;
    }
    o.buf[o.len] = '\0';
    *out = o.buf;
    *out_len = o.len;
    return CAIRN_OK;
}

/* ---- JSON -> msgpack ---- */

static int pk(int r)
{
    return r ? cairn__err(CAIRN_ENOMEM, "json -> msgpack: out of memory") : CAIRN_OK;
}

static int num_to_msgpack(msgpack_packer *pkr, const jd_node *v)
{
    const char *s = v->u.s;
    size_t n = v->n;
    if (memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n)) {
        if (!isfinite(v->d))
            return cairn__err(CAIRN_EFORMAT,
                              "json -> msgpack: number %.*s is out of range for a double",
                              (int)(n > 40 ? 40 : n), s);
        return pk(msgpack_pack_double(pkr, v->d));
    }
    if (v->is_int)
        return pk(msgpack_pack_int64(pkr, v->i));
    if (s[0] != '-') {
        uint64_t u = 0;
        bool fits = true;
        for (size_t i = 0; i < n && fits; i++) {
            unsigned d = (unsigned)(s[i] - '0');
            fits = u <= (UINT64_MAX - d) / 10;
            u = u * 10 + d;
        }
        if (fits)
            return pk(msgpack_pack_uint64(pkr, u));
    }
    return cairn__err(CAIRN_EFORMAT,
                      "json -> msgpack: integer %.*s does not fit in 64 bits (write it "
                      "with an exponent or a fraction to store a double)",
                      (int)(n > 40 ? 40 : n), s);
}

static int to_msgpack(msgpack_packer *pkr, const jd_node *v, unsigned depth)
{
    int rc;
    switch (v->type) {
    case JD_NULL:
        return pk(msgpack_pack_nil(pkr));
    case JD_FALSE:
        return pk(msgpack_pack_false(pkr));
    case JD_TRUE:
        return pk(msgpack_pack_true(pkr));
    case JD_NUM:
        return num_to_msgpack(pkr, v);
    case JD_STR:
        if (v->bad_utf8)
            return cairn__err(CAIRN_EFORMAT,
                              "json -> msgpack: a string holds a lone surrogate escape "
                              "(msgpack strings are UTF-8)");
        return pk(msgpack_pack_str_with_body(pkr, v->u.s, v->n));
    case JD_ARR:
    case JD_OBJ:
        break;
    default:
        return cairn__err(CAIRN_EFORMAT, "json -> msgpack: unknown node");
    }
    if (depth >= CAIRN_MSGPACK_DEPTH_MAX)
        return cairn__err(CAIRN_EFORMAT, "json -> msgpack: nesting deeper than %d",
                          CAIRN_MSGPACK_DEPTH_MAX);
    if (v->type == JD_ARR) {
        if ((rc = pk(msgpack_pack_array(pkr, v->n))))
            return rc;
        for (uint32_t i = 0; i < v->n; i++)
            if ((rc = to_msgpack(pkr, &v->u.kids[i], depth + 1)))
                return rc;
        return CAIRN_OK;
    }
    if ((rc = pk(msgpack_pack_map(pkr, v->n))))
        return rc;
    for (uint32_t i = 0; i < v->n; i++) {
        const jd_node *m = &v->u.kids[i];
        if (!cairn__utf8_valid(m->key, m->klen, NULL))
            return cairn__err(CAIRN_EFORMAT,
                              "json -> msgpack: an object name holds a lone surrogate "
                              "escape (msgpack strings are UTF-8)");
        if ((rc = pk(msgpack_pack_str_with_body(pkr, m->key, m->klen))) ||
            (rc = to_msgpack(pkr, m, depth + 1)))
            return rc;
    }
    return CAIRN_OK;
}

static int json_to_msgpack(const void *in, size_t len, void **out, size_t *out_len)
{
    jd_arena a;
    jd_arena_init(&a, NULL, 0);
    jd_node *root;
    int rc = jd_parse(&a, in, len, &root);
    if (rc) {
        jd_arena_free(&a);
        return rc;
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pkr;
    msgpack_packer_init(&pkr, &sb, msgpack_sbuffer_write);
    rc = to_msgpack(&pkr, root, 0);
    jd_arena_free(&a);
    if (rc == CAIRN_OK && msgpack_sbuffer_write(&sb, "", 1)) /* the NUL after */
        rc = cairn__err(CAIRN_ENOMEM, "json -> msgpack: out of memory");
    if (rc) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    *out_len = sb.size - 1;
    *out = msgpack_sbuffer_release(&sb);
    return CAIRN_OK;
}

/* ---- public ---- */

static int copy_checked(const void *in, size_t len, cairn_format f, void **out,
                        size_t *out_len)
{
    int rc = f == CAIRN_FORMAT_JSON ? cairn__json_check(in, len) : cairn__msgpack_check(in, len);
    if (rc)
        return rc;
    char *c = malloc(len + 1);
    if (!c)
        return cairn__err(CAIRN_ENOMEM, "out of memory (%zu bytes)", len);
    if (len)
        memcpy(c, in, len);
    c[len] = '\0';
    *out = c;
    *out_len = len;
    return CAIRN_OK;
}

CAIRN_API int cairn_convert(const void *in, size_t len, cairn_format from,
                            cairn_format to, void **out, size_t *out_len)
{
    cairn__err_clear();
    if (!out || !out_len || (!in && len))
        return cairn__err(CAIRN_EINVAL, "convert: NULL argument");
    bool ok_from = from == CAIRN_FORMAT_JSON || from == CAIRN_FORMAT_MSGPACK;
    bool ok_to = to == CAIRN_FORMAT_JSON || to == CAIRN_FORMAT_MSGPACK;
    if (!ok_from || !ok_to)
        return cairn__err(CAIRN_EINVAL, "convert: %s -> %s is not supported (json and "
                                        "msgpack convert to each other)",
                          cairn_format_name(from), cairn_format_name(to));
    if (!in)
        in = "";
    if (from == to)
        return copy_checked(in, len, from, out, out_len);
    if (from == CAIRN_FORMAT_JSON)
        return json_to_msgpack(in, len, out, out_len);
    return msgpack_to_json(in, len, out, out_len);
}

CAIRN_API int cairn_value_convert(const cairn_value *v, cairn_format to, void **out,
                                  size_t *out_len)
{
    if (!v) {
        cairn__err_clear();
        return cairn__err(CAIRN_EINVAL, "convert: value is NULL");
    }
    size_t len;
    const void *d = cairn_value_data(v, &len);
    return cairn_convert(d, len, cairn_value_meta(v)->format, to, out, out_len);
}
