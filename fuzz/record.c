/*
 * record.c — fuzz the record decoder with arbitrary bytes, as a damaged
 * store would hand them over: never crash, and what decodes is canonical.
 */
#include "common.h"

#include "all.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan sees any read past the record. */
    uint8_t *rec = (uint8_t *)fuzz_copy(data, size);

    cairn__rec head, full;
    int rh = cairn__rec_decode(rec, size, false, &head);
    int rf = cairn__rec_decode(rec, size, true, &full);
    FUZZ_CHECK(rh == CAIRN_OK || rh == CAIRN_ECORRUPT, "status %d", rh);
    FUZZ_CHECK(rf == CAIRN_OK || rf == CAIRN_ECORRUPT, "status %d", rf);
    if (rh != CAIRN_OK)
        FUZZ_CHECK(rf != CAIRN_OK, "verify accepted what the header read refused");
    if (rh == CAIRN_OK) {
        const cairn_meta *m = &head.meta;
        FUZZ_CHECK(head.head_len <= size, "header %zu > record %zu", head.head_len, size);
        FUZZ_CHECK((const uint8_t *)head.umeta == rec + head.head_len, "body pointer");
        FUZZ_CHECK(head.stored == head.umeta + head.umeta_len && head.value == head.stored,
                   "value pointer");
        FUZZ_CHECK(head.zstd == !strcmp(m->compression, "zstd"), "compression");
        FUZZ_CHECK(head.zstd ? m->stored_size < m->size : m->stored_size == m->size,
                   "stored size");
        FUZZ_CHECK(m->user_meta_len <= CAIRN_USER_META_MAX && !m->user_meta, "user meta");
        FUZZ_CHECK(m->size <= CAIRN_VALUE_MAX, "size %llu", (unsigned long long)m->size);
        FUZZ_CHECK((unsigned)m->format <= CAIRN_FORMAT_NPY, "format %d", (int)m->format);
        FUZZ_CHECK(m->model == head.model && strlen(m->model) <= CAIRN_MODEL_MAX, "model");
        FUZZ_CHECK(m->created_ms >= 0 && m->updated_ms >= 0 && m->expires_ms >= 0,
                   "negative time");
        /* The decoder accepts only what the encoder writes: re-encoding the
         * metadata gives back the same header bytes. */
        char again[CAIRN__HEAD_MAX];
        size_t hl =
            cairn__rec_head(again, m, head.umeta_sum, head.bound ? &head.key_sum : NULL);
        FUZZ_CHECK(hl == head.head_len && !memcmp(again, rec, hl),
                   "header is not canonical (%zu vs %zu bytes)", hl, head.head_len);
    }
    if (rf == CAIRN_OK) {
        FUZZ_CHECK(full.head_len + full.umeta_len + full.stored_len == size,
                   "sizes do not add up");
        FUZZ_CHECK(!full.umeta_len || cairn__hash(full.umeta, full.umeta_len) == full.umeta_sum,
                   "user metadata checksum not verified");
        /* A compressed value is verified when loaded (fuzz_zrecord). */
        FUZZ_CHECK(full.zstd ||
                       cairn__hash(full.value, (size_t)full.meta.size) == full.meta.checksum,
                   "checksum not verified");
        const cairn_meta *a = &full.meta, *b = &head.meta;
        FUZZ_CHECK(a->version == b->version && a->format == b->format &&
                       a->created_ms == b->created_ms && a->updated_ms == b->updated_ms &&
                       a->expires_ms == b->expires_ms && a->size == b->size &&
                       a->checksum == b->checksum && !strcmp(full.model, head.model),
                   "verify changed the metadata");
    }
    free(rec);
    return 0;
}
