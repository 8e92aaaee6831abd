/*
 * json.c — fuzz the put path's JSON check against jansson: no crash, the
 * same verdict wherever both define one, and what both accept compares
 * equal to itself and to jansson's re-serialisation.
 *
 * Known, documented differences (no disagreement is reported for them):
 *  - jansson refuses lone surrogate escapes ("\ud800"), numbers beyond
 *    int64 / double range and "\u0000" in object keys; RFC 8259 allows all
 *    three and so does cairn.
 *  - cairn refuses nesting deeper than 512; jansson allows 2048.
 *  - jansson stops reading at a raw NUL byte; cairn refuses it.
 */
#include "common.h"

#include "all.h"

#include <jansson.h>
#include <string.h>

#define CAIRN_JSON_DEPTH 512 /* src/store/json.c */

static size_t depth(const json_t *j)
{
    size_t d = 0;
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) {
            size_t c = depth(json_array_get(j, i));
            d = c > d ? c : d;
        }
        return d + 1;
    }
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            size_t c = depth(v);
            d = c > d ? c : d;
        }
        return d + 1;
    }
    return 0;
}

/* jansson refused something RFC 8259 allows. */
static int jansson_stricter(const json_error_t *e)
{
    enum json_error_code code = json_error_code(e);
    return code == json_error_numeric_overflow || code == json_error_null_byte_in_key ||
           (code == json_error_invalid_syntax && strstr(e->text, "invalid Unicode"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan sees any read past the end. */
    char *buf = fuzz_copy(data, size);

    int rc = cairn__json_check(buf, size);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EFORMAT, "status %d", rc);
    if (rc)
        FUZZ_CHECK(strstr(cairn_errmsg(), "invalid JSON at byte"), "message: %s",
                   cairn_errmsg());

    /* A raw NUL byte is never JSON (not white space, and a control character
     * inside a string), but jansson stops reading at one: compare no further. */
    if (size && memchr(buf, 0, size)) {
        FUZZ_CHECK(rc == CAIRN_EFORMAT, "a raw NUL byte was accepted");
        free(buf);
        return 0;
    }

    json_error_t e;
    json_t *j = json_loadb(buf, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (rc == CAIRN_OK && !j)
        FUZZ_CHECK(jansson_stricter(&e), "cairn accepts, jansson refuses: %s", e.text);
    if (rc != CAIRN_OK && j)
        FUZZ_CHECK(depth(j) > CAIRN_JSON_DEPTH, "cairn refuses (%s), jansson accepts",
                   cairn_errmsg());

    if (rc == CAIRN_OK && j) {
        bool eq = false;
        FUZZ_CHECK(cairn__json_equal(buf, size, buf, size, &eq) == CAIRN_OK && eq,
                   "a document is not equal to itself");
        char *dump = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
        if (dump) {
            size_t dl = strlen(dump);
            FUZZ_CHECK(cairn__json_check(dump, dl) == CAIRN_OK,
                       "jansson's output refused: %s", cairn_errmsg());
            eq = false;
            FUZZ_CHECK(cairn__json_equal(buf, size, dump, dl, &eq) == CAIRN_OK && eq,
                       "not equal to its re-serialisation %s", dump);
            free(dump);
        }
    }
    json_decref(j);
    free(buf);
    return 0;
}
