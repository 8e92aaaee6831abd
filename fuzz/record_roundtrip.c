/*
 * record_roundtrip.c — fuzz the record encoder: any metadata and value the
 * core can write decode back to the same fields (the key binding too), and
 * a flipped bit in the value is always caught by the checksum.
 */
#include "common.h"

#include "all.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char model_chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@#/-";
    fuzz_in in = {data, size};
    cairn_meta m = {0};
    char model[CAIRN_MODEL_MAX + 1];

    m.version = fuzz_take(&in, 8);
    m.format = (cairn_format)(fuzz_take(&in, 1) % (CAIRN_FORMAT_NPY + 1));
    /* The core stamps times from the clock: never negative. */
    m.created_ms = (int64_t)(fuzz_take(&in, 8) & (uint64_t)INT64_MAX);
    m.updated_ms = (int64_t)(fuzz_take(&in, 8) & (uint64_t)INT64_MAX);
    m.expires_ms = (int64_t)(fuzz_take(&in, 8) & (uint64_t)INT64_MAX);
    size_t ml = (size_t)(fuzz_take(&in, 1) % 8 == 0 ? fuzz_take(&in, 1) % (CAIRN_MODEL_MAX + 1)
                                               : fuzz_take(&in, 1) % 24);
    for (size_t i = 0; i < ml; i++)
        model[i] = model_chars[fuzz_take(&in, 1) % (sizeof model_chars - 1)];
    model[ml] = '\0';
    m.model = model;
    size_t flip = (size_t)fuzz_take(&in, 4);
    /* The key it is bound to (version 2), or none (version 1). */
    uint64_t ks = fuzz_take(&in, 8);
    bool bound = fuzz_take(&in, 1) & 1;
    const uint8_t *val = in.p;
    size_t len = in.n;
    m.size = len;
    m.checksum = cairn__hash(val, len);

    uint8_t *rec = malloc(CAIRN__HEAD_MAX + len);
    if (!rec)
        abort();
    size_t hl = cairn__rec_head((char *)rec, &m, 0, bound ? &ks : NULL);
    FUZZ_CHECK(hl > 0 && hl < CAIRN__HEAD_MAX, "header length %zu", hl);
    if (len)
        memcpy(rec + hl, val, len);

    cairn__rec r;
    FUZZ_CHECK(cairn__rec_decode(rec, hl + len, true, &r) == CAIRN_OK, "%s",
               cairn_errmsg());
    FUZZ_CHECK(r.head_len == hl, "header length %zu vs %zu", r.head_len, hl);
    FUZZ_CHECK(r.meta.version == m.version && r.meta.format == m.format &&
                   r.meta.created_ms == m.created_ms && r.meta.updated_ms == m.updated_ms &&
                   r.meta.expires_ms == m.expires_ms && r.meta.size == m.size &&
                   r.meta.checksum == m.checksum,
               "a field changed in the round trip");
    FUZZ_CHECK(r.bound == bound && (!bound || r.key_sum == ks), "key binding changed");
    int want = bound && ks != cairn__hash("k", 1) ? CAIRN_ECORRUPT : CAIRN_OK;
    FUZZ_CHECK(cairn__rec_check_key(&r, "k", 1) == want, "key binding check");
    FUZZ_CHECK(!strcmp(r.meta.model, model), "model '%s' became '%s'", model,
               r.meta.model);
    FUZZ_CHECK(!strcmp(r.meta.compression, "none"), "compression %s",
               r.meta.compression);
    FUZZ_CHECK(len == 0 || !memcmp(r.value, val, len), "value bytes changed");

    /* Any prefix of the header alone is refused; the header alone decodes
     * without verify and is refused with it (unless the value is empty). */
    size_t cut = flip % hl;
    FUZZ_CHECK(cairn__rec_decode(rec, cut, false, &r) == CAIRN_ECORRUPT,
               "a %zu-byte prefix of the header decoded", cut);
    FUZZ_CHECK(cairn__rec_decode(rec, hl, false, &r) == CAIRN_OK, "%s", cairn_errmsg());
    if (len) {
        FUZZ_CHECK(cairn__rec_decode(rec, hl, true, &r) == CAIRN_ECORRUPT,
                   "a record without its value verified");
        /* One flipped bit in the value: the 64-bit checksum sees it. */
        size_t bit = flip % (len * 8);
        rec[hl + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        FUZZ_CHECK(cairn__rec_decode(rec, hl + len, true, &r) == CAIRN_ECORRUPT,
                   "flipped bit %zu of the value not detected", bit);
    }
    free(rec);
    return 0;
}
