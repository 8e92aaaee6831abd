/*
 * zrecord.c — fuzz the compressed-record reader (header decode, body size
 * and user-metadata checks, zstd decompression, checksum: what a get does)
 * on damaged and forged records: never crash, never allocate from a size
 * field alone, and a record that reads gives exactly the value encoded.
 *
 * The first byte picks a mode:
 *   even: round trip. A value (the input's tail, repeated) and user
 *         metadata are encoded as the store encodes them (compressed when
 *         that saves space), then damaged by the flips and the cut the
 *         input asks for; a read must fail with CAIRN_ECORRUPT or give the
 *         original value and user metadata.
 *   odd:  forgery. The input gives the header's sizes and checksum and the
 *         body bytes, and the header gets a correct header checksum (what
 *         someone with write access could do); a read must fail, or give
 *         a value of the size the header says whose XXH3 is the header's.
 * Run with -malloc_limit_mb=256: a header claiming up to 1 GiB must not
 * make the reader allocate it.
 */
#include "common.h"

#include "all.h"

#include <string.h>

/* What read_cb in src/store/read.c does with a record read at key "k". */
static int read_record(const char *rec, size_t len, cairn__rec *r, char **plain)
{
    *plain = NULL;
    int rc = cairn__rec_decode(rec, len, false, r);
    if (rc == CAIRN_OK)
        rc = cairn__rec_check_key(r, "k", 1);
    if (rc == CAIRN_OK)
        rc = cairn__rec_check_size(r, len);
    if (rc == CAIRN_OK && r->zstd)
        rc = cairn__rec_load(r, plain);
    else if (rc == CAIRN_OK)
        rc = cairn__rec_check_sum(r, r->value);
    return rc;
}

/* The next bytes (at most 4) of the input as a number. */
static unsigned take(fuzz_in *s, unsigned bytes)
{
    return (unsigned)fuzz_take(s, bytes);
}

static const char *const metas[] = {NULL, "{}", "{\"source\":\"x\"}",
                                    "{\"a\":[1,2,3],\"b\":{\"c\":null}}"};

static void round_trip(fuzz_in *s)
{
    int level = (int)(take(s, 1) % 25) - 5; /* -5..19 */
    const char *um = metas[take(s, 1) % 4];
    unsigned reps = take(s, 1) % 64 + 1;
    unsigned nflips = take(s, 1) % 5;
    unsigned cut = take(s, 1);
    unsigned pos[4], mask[4];
    for (unsigned i = 0; i < nflips; i++) {
        pos[i] = take(s, 3);
        mask[i] = take(s, 1) | 1u;
    }
    size_t unit = s->n, len = unit * reps;
    char *val = malloc(len ? len : 1);
    if (!val)
        abort();
    for (unsigned i = 0; i < reps; i++)
        memcpy(val + (size_t)i * unit, s->p, unit);

    /* Encode as src/store/write.c's encode() does. */
    size_t ul = um ? strlen(um) : 0;
    char *rec = malloc(CAIRN__HEAD_MAX + ul + len + 1);
    if (!rec)
        abort();
    char *body = rec + CAIRN__HEAD_MAX;
    memcpy(body, um ? um : "", ul);
    cairn_meta m = {.version = 7, .format = CAIRN_FORMAT_BYTES, .created_ms = 1,
                    .updated_ms = 2, .size = len, .checksum = cairn__hash(val, len),
                    .compression = "none", .stored_size = len, .user_meta_len = ul};
    size_t zl = 0;
    int zr = len ? cairn__zip(&(cairn__iov){val, len}, 1, level, body + ul,
                              len - len / 32 - 1, &zl)
                 : CAIRN_SKIPPED;
    FUZZ_CHECK(zr == CAIRN_OK || zr == CAIRN_SKIPPED, "zip: %d %s", zr, cairn_errmsg());
    if (zr == CAIRN_OK) {
        m.compression = "zstd";
        m.stored_size = zl;
    } else if (len) {
        memcpy(body + ul, val, len);
    }
    char head[CAIRN__HEAD_MAX];
    uint64_t ks = cairn__hash("k", 1);
    size_t h = cairn__rec_head(head, &m, ul ? cairn__hash(um, ul) : 0, &ks);
    char *start = body - h;
    memcpy(start, head, h);
    size_t rlen = h + ul + (size_t)m.stored_size;

    /* Undamaged, it reads back. */
    cairn__rec r;
    char *plain;
    int rc = read_record(start, rlen, &r, &plain);
    FUZZ_CHECK(rc == CAIRN_OK, "clean record: %s", cairn_errmsg());
    FUZZ_CHECK(r.meta.size == len && !memcmp(r.value, val, len), "clean value");
    free(plain);

    /* Damaged: an exact-size copy, so ASan sees any overread. */
    size_t dlen = rlen;
    if (cut & 1)
        dlen = rlen - (cut >> 1) % (rlen + 1);
    char *dmg = malloc(dlen ? dlen : 1);
    if (!dmg)
        abort();
    memcpy(dmg, start, dlen);
    for (unsigned i = 0; i < nflips && dlen; i++)
        dmg[pos[i] % dlen] ^= (char)mask[i];
    rc = read_record(dmg, dlen, &r, &plain);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_ECORRUPT, "status %d", rc);
    if (rc == CAIRN_OK) {
        FUZZ_CHECK(r.meta.size == len && !memcmp(r.value, val, len),
                   "a damaged record read as other data");
        FUZZ_CHECK(r.umeta_len == ul && (!ul || !memcmp(r.umeta, um, ul)),
                   "a damaged record read with other user metadata");
    }
    free(plain);
    free(dmg);
    free(rec);
    free(val);
}

static void forgery(fuzz_in *s)
{
    unsigned shift = take(s, 1) % 31;
    uint64_t size = ((uint64_t)take(s, 3) << shift) % ((uint64_t)CAIRN_VALUE_MAX + 1);
    uint64_t sum = (uint64_t)take(s, 4) << 32 | take(s, 4);
    const char *um = metas[take(s, 1) % 4];
    size_t ul = um ? strlen(um) : 0;
    bool zip = take(s, 1) & 1;
    size_t blen = s->n;
    cairn_meta m = {.version = 1, .format = CAIRN_FORMAT_BYTES, .size = size,
                    .checksum = sum, .compression = zip ? "zstd" : "none",
                    .stored_size = zip ? blen : size, .user_meta_len = ul};
    char *rec = malloc(CAIRN__HEAD_MAX + ul + blen);
    if (!rec)
        abort();
    /* Bound to "k", where read_record() reads it, or (header version 1) to
     * no key. */
    uint64_t ks = cairn__hash("k", 1);
    size_t h = cairn__rec_head(rec, &m, ul ? cairn__hash(um, ul) : 0, sum & 1 ? &ks : NULL);
    memcpy(rec + h, um ? um : "", ul);
    memcpy(rec + h + ul, s->p, blen);
    size_t rlen = h + ul + blen;
    char *exact = malloc(rlen);
    if (!exact)
        abort();
    memcpy(exact, rec, rlen);
    free(rec);
    cairn__rec r;
    char *plain;
    int rc = read_record(exact, rlen, &r, &plain);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_ECORRUPT, "status %d", rc);
    if (rc == CAIRN_OK) {
        FUZZ_CHECK(r.meta.size == size, "size");
        FUZZ_CHECK(cairn__hash(r.value, (size_t)size) == sum, "value does not match its sum");
        FUZZ_CHECK(!plain || plain[size] == '\0', "decompressed value not NUL-terminated");
    }
    free(plain);
    free(exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in s = {data, size};
    if (take(&s, 1) & 1)
        forgery(&s);
    else
        round_trip(&s);
    cairn__err_clear();
    return 0;
}
