/*
 * jdom.c — fuzz the JSON tree of the validate path (src/model/jdom.c)
 * against the put path's syntax check: both accept exactly the same texts;
 * what is accepted writes back as JSON that parses to an equal tree and
 * writes back to the very same bytes.
 */
#include "common.h"

#include "base/jdom.h"
#include "all.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan sees any read past the end. */
    char *buf = fuzz_copy(data, size);

    int check = cairn__json_check(buf, size);
    jd_arena a;
    jd_arena_init(&a, NULL, 0);
    jd_node *root = NULL;
    int rc = jd_parse(&a, buf, size, &root);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EFORMAT, "status %d", rc);
    FUZZ_CHECK(rc == check, "jd_parse says %d, cairn__json_check says %d (%s)", rc, check,
               cairn_errmsg());
    if (rc == CAIRN_OK) {
        char *out = NULL, *out2 = NULL;
        size_t len = 0, cap = 0, len2 = 0, cap2 = 0;
        FUZZ_CHECK(jd_write(root, &out, &len, &cap) == CAIRN_OK, "write failed");
        FUZZ_CHECK(cairn__json_check(out, len) == CAIRN_OK, "written text is not JSON: %s",
                   cairn_errmsg());
        jd_node *again = NULL;
        FUZZ_CHECK(jd_parse(&a, out, len, &again) == CAIRN_OK, "written text refused");
        FUZZ_CHECK(jd_equal(root, again), "written text parses to another value: %s", out);
        FUZZ_CHECK(jd_write(again, &out2, &len2, &cap2) == CAIRN_OK, "second write failed");
        FUZZ_CHECK(len == len2 && !memcmp(out, out2, len), "writing is not stable: %s / %s",
                   out, out2);
        free(out);
        free(out2);
    }
    jd_arena_free(&a);
    free(buf);
    return 0;
}
