/*
 * msgpack.c — fuzz the msgpack check and the JSON <-> msgpack conversion
 * with arbitrary bytes: never crash; the bounded walk and msgpack-c accept
 * the same values; msgpack -> JSON gives valid JSON that converts back to
 * msgpack and again to the same JSON text; JSON -> msgpack gives a value
 * the check accepts, equal in meaning to the input.
 */
#include "common.h"

#include "codec/codec.h"
#include "all.h"

#include <string.h>

static void from_msgpack(const char *buf, size_t size)
{
    int rw = cairn__msgpack_walk(buf, size);
    int rc = cairn__msgpack_check(buf, size);
    FUZZ_CHECK(rw == CAIRN_OK || rw == CAIRN_EFORMAT, "walk status %d", rw);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EFORMAT, "check status %d", rc);
    FUZZ_CHECK(rw == rc, "the walk says %d, msgpack-c %d (%s)", rw, rc, cairn_errmsg());
    if (rc)
        return;
    void *j1, *m2, *j2;
    size_t l1, lm, l2;
    rc = cairn_convert(buf, size, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, &j1, &l1);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EFORMAT, "convert status %d", rc);
    if (rc)
        return;
    FUZZ_CHECK(cairn__json_check(j1, l1) == CAIRN_OK, "not JSON: %.*s", (int)l1, (char *)j1);
    rc = cairn_convert(j1, l1, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, &m2, &lm);
    FUZZ_CHECK(rc == CAIRN_OK, "JSON from msgpack does not convert back: %s", cairn_errmsg());
    FUZZ_CHECK(cairn__msgpack_check(m2, lm) == CAIRN_OK, "converted msgpack refused");
    rc = cairn_convert(m2, lm, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, &j2, &l2);
    FUZZ_CHECK(rc == CAIRN_OK, "second msgpack -> JSON failed: %s", cairn_errmsg());
    FUZZ_CHECK(l1 == l2 && !memcmp(j1, j2, l1), "round trip differs: %.*s vs %.*s", (int)l1,
               (char *)j1, (int)l2, (char *)j2);
    cairn_free(j1);
    cairn_free(m2);
    cairn_free(j2);
}

static void from_json(const char *buf, size_t size)
{
    if (cairn__json_check(buf, size) != CAIRN_OK)
        return;
    void *m, *j;
    size_t lm, lj;
    int rc = cairn_convert(buf, size, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, &m, &lm);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EFORMAT, "convert status %d", rc);
    if (rc)
        return;
    FUZZ_CHECK(cairn__msgpack_check(m, lm) == CAIRN_OK, "msgpack from JSON refused: %s",
               cairn_errmsg());
    rc = cairn_convert(m, lm, CAIRN_FORMAT_MSGPACK, CAIRN_FORMAT_JSON, &j, &lj);
    FUZZ_CHECK(rc == CAIRN_OK, "msgpack from JSON does not convert back: %s", cairn_errmsg());
    bool eq = false;
    if (cairn__json_equal(buf, size, j, lj, &eq) == CAIRN_OK)
        FUZZ_CHECK(eq, "meaning changed: %.*s -> %.*s", (int)size, buf, (int)lj, (char *)j);
    cairn_free(m);
    cairn_free(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_copy(data, size);
    from_msgpack(buf, size);
    from_json(buf, size);
    free(buf);
    return 0;
}
