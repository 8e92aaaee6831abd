/*
 * checks.c — the checks of the front API's arguments: keys, values for their
 * format, put options, user metadata.
 */
#include "store/front.h"
#include "codec/codec.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Argument checks                                                     */
/* ------------------------------------------------------------------ */

/* Normalise key into buf; writes refuse the reserved namespace. */
int cairn__check_key(const char *what, const char *key, char *buf, size_t *len,
                     bool write)
{
    int rc = cairn__key_norm(key, buf, len);
    if (rc)
        return cairn__err_prefix(rc, "%s %s", what, key ? key : "(null)");
    return write ? cairn__check_unreserved(what, buf, *len) : CAIRN_OK;
}

int cairn__check_unreserved(const char *what, const char *key, size_t len)
{
    if (!cairn__key_reserved(key, len))
        return CAIRN_OK;
    return cairn__err(CAIRN_EKEY, "%s %s: invalid key: '_cairn/' is reserved for "
                                  "the library's own records",
                      what, key);
}

/* Check val for its format. validated: a model's validator will parse it
 * next (it accepts exactly what cairn__json_check does), so the JSON check
 * is left to it: one pass, not two. */
int cairn__check_value(const cairn_put_opts *o, const void *val, size_t len, bool validated)
{
    if (!val && len)
        return cairn__err(CAIRN_EINVAL, "value is NULL with length %zu", len);
    if (len > CAIRN_VALUE_MAX)
        return cairn__err(CAIRN_EINVAL, "value is %zu bytes (max %u)", len,
                          CAIRN_VALUE_MAX);
    switch (o->format) {
    case CAIRN_FORMAT_JSON:
        if (validated)
            return CAIRN_OK;
        return cairn__json_check(val, len);
    case CAIRN_FORMAT_TEXT: {
        size_t bad;
        if (!cairn__utf8_valid(val, len, &bad))
            return cairn__err(CAIRN_EFORMAT, "text is not valid UTF-8 at byte %zu", bad);
        return CAIRN_OK;
    }
    case CAIRN_FORMAT_BYTES:
        return CAIRN_OK;
    case CAIRN_FORMAT_MSGPACK:
        return cairn__msgpack_check(val, len);
    case CAIRN_FORMAT_NPY: {
        cairn_array a;
        return cairn_npy_parse(val, len, &a);
    }
    }
    return CAIRN_OK;
}

int cairn__check_opts(const cairn_put_opts *o)
{
    if ((unsigned)o->behavior > CAIRN_OVERWRITE)
        return cairn__err(CAIRN_EINVAL, "unknown behavior %d", (int)o->behavior);
    if ((unsigned)o->format > CAIRN_FORMAT_NPY)
        return cairn__err(CAIRN_EINVAL, "unknown format %d", (int)o->format);
    if (o->model && !cairn__model_ref_valid(o->model))
        return cairn__err(CAIRN_EINVAL,
                          "bad model reference '%s' (1..%d bytes of A-Z a-z 0-9 _ . @ # / -)",
                          o->model, CAIRN_MODEL_MAX);
    if (o->model && o->format != CAIRN_FORMAT_JSON)
        return cairn__err(CAIRN_EINVAL, "a model needs the json format, not %s",
                          cairn_format_name(o->format));
    if (o->fill_defaults && !o->model)
        return cairn__err(CAIRN_EINVAL, "fill_defaults needs a model");
    return CAIRN_OK;
}

/* User metadata: a JSON object of at most CAIRN_USER_META_MAX bytes. */
int cairn__check_umeta(const char *um, size_t ul)
{
    if (ul > CAIRN_USER_META_MAX)
        return cairn__err(CAIRN_EINVAL, "user metadata is %zu bytes (max %d)", ul,
                          CAIRN_USER_META_MAX);
    if (cairn__json_check(um, ul) != CAIRN_OK)
        return cairn__err_prefix(CAIRN_EINVAL, "user metadata is not JSON");
    size_t i = 0;
    while (i < ul && strchr(" \t\r\n", um[i]))
        i++;
    if (i == ul || um[i] != '{')
        return cairn__err(CAIRN_EINVAL, "user metadata is not a JSON object");
    return CAIRN_OK;
}
