/*
 * test_record.c — the record encoding every backend stores: round trip of
 * every metadata field, the binding to the key, and detection of corrupt,
 * truncated or misplaced records.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

/* The XXH3-64 of the key "k", which the records of these cases are bound to. */
static uint64_t key_k(void)
{
    return cairn__hash("k", 1);
}

/* Encode meta + value (bound to key "k") into a fresh buffer; *n receives
 * its length. */
static char *encode(cairn_meta *m, const void *val, size_t len, size_t *n)
{
    m->size = len;
    m->checksum = cairn__hash(val, len);
    char *buf = malloc(CAIRN__HEAD_MAX + len);
    assert_non_null(buf);
    uint64_t ks = key_k();
    size_t h = cairn__rec_head(buf, m, 0, &ks);
    assert_true(h > 0 && h < CAIRN__HEAD_MAX);
    assert_int_equal(buf[h - 1], '\n');
    if (len)
        memcpy(buf + h, val, len);
    *n = h + len;
    return buf;
}

static void check_meta(const cairn_meta *got, const cairn_meta *want)
{
    assert_int_equal(got->version, want->version);
    assert_int_equal(got->format, want->format);
    assert_int_equal(got->created_ms, want->created_ms);
    assert_int_equal(got->updated_ms, want->updated_ms);
    assert_int_equal(got->expires_ms, want->expires_ms);
    assert_int_equal(got->size, want->size);
    assert_int_equal(got->checksum, want->checksum);
    assert_string_equal(got->compression, "none");
    assert_string_equal(got->model, want->model ? want->model : "");
}

static void record_roundtrip(void **state)
{
    (void)state;
    const char *val = "{\"a\":[1,2,3]}";
    cairn_meta m = {.version = 3, .format = CAIRN_FORMAT_JSON,
                    .created_ms = 1700000000000, .updated_ms = 1700000000123,
                    .expires_ms = 1700000060000, .model = "ns/name@2"};
    size_t n;
    char *rec = encode(&m, val, strlen(val), &n);
    cairn__rec r;
    assert_ok(cairn__rec_decode(rec, n, true, &r));
    check_meta(&r.meta, &m);
    assert_string_equal(r.model, "ns/name@2");
    assert_int_equal(r.head_len, n - strlen(val));
    assert_ptr_equal(r.value, rec + r.head_len);
    assert_memory_equal(r.value, val, strlen(val));
    /* the header line is itself a JSON document */
    assert_ok(cairn__json_check(rec, r.head_len - 1));
    /* header-only decoding works on a prefix */
    assert_ok(cairn__rec_decode(rec, r.head_len, false, &r));
    check_meta(&r.meta, &m);
    free(rec);
}

static void record_formats_and_edges(void **state)
{
    (void)state;
    static const unsigned char bin[] = {0, 1, 2, 0xFF, 0, '\n', '}', 0x80};
    const struct {
        cairn_format f;
        const void *v;
        size_t n;
    } cases[] = {
        {CAIRN_FORMAT_TEXT, "", 0},
        {CAIRN_FORMAT_BYTES, "", 0},
        {CAIRN_FORMAT_BYTES, bin, sizeof bin},
        {CAIRN_FORMAT_TEXT, "line\nline\n", 10},
        {CAIRN_FORMAT_JSON, "1", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cairn_meta m = {.version = 1, .format = cases[i].f, .created_ms = 1,
                        .updated_ms = 2, .expires_ms = 0, .model = NULL};
        size_t n;
        char *rec = encode(&m, cases[i].v, cases[i].n, &n);
        cairn__rec r;
        assert_ok(cairn__rec_decode(rec, n, true, &r));
        check_meta(&r.meta, &m);
        if (cases[i].n)
            assert_memory_equal(r.value, cases[i].v, cases[i].n);
        free(rec);
    }
    /* extremes of every number, and the longest model reference */
    char model[CAIRN_MODEL_MAX + 1];
    memset(model, 'm', CAIRN_MODEL_MAX);
    model[CAIRN_MODEL_MAX] = '\0';
    cairn_meta m = {.version = UINT64_MAX, .format = CAIRN_FORMAT_BYTES,
                    .created_ms = INT64_MAX, .updated_ms = INT64_MAX,
                    .expires_ms = INT64_MAX, .model = model};
    size_t n;
    char *rec = encode(&m, "x", 1, &n);
    cairn__rec r;
    assert_ok(cairn__rec_decode(rec, n, true, &r));
    check_meta(&r.meta, &m);
    free(rec);
}

static void record_corrupt_value(void **state)
{
    (void)state;
    char val[300];
    for (size_t i = 0; i < sizeof val; i++)
        val[i] = (char)('a' + i % 26);
    cairn_meta m = {.version = 1, .format = CAIRN_FORMAT_TEXT, .created_ms = 5,
                    .updated_ms = 5};
    size_t n;
    char *rec = encode(&m, val, sizeof val, &n);
    cairn__rec r;
    assert_ok(cairn__rec_decode(rec, n, true, &r));
    size_t h = r.head_len;
    /* flipping any single bit of the value is detected */
    for (size_t i = h; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            rec[i] = (char)(rec[i] ^ (1 << bit));
            if (cairn__rec_decode(rec, n, true, &r) != CAIRN_ECORRUPT)
                fail_msg("flipped bit %d of value byte %zu went unnoticed", bit, i - h);
            assert_errmsg_has("checksum");
            /* a header-only read does not look at the value */
            assert_ok(cairn__rec_decode(rec, n, false, &r));
            rec[i] = (char)(rec[i] ^ (1 << bit));
        }
    }
    /* a truncated value, and a value with bytes appended */
    assert_rc(cairn__rec_decode(rec, n - 1, true, &r), CAIRN_ECORRUPT);
    assert_rc(cairn__rec_decode(rec, h, true, &r), CAIRN_ECORRUPT);
    char *longer = malloc(n + 1);
    assert_non_null(longer);
    memcpy(longer, rec, n);
    longer[n] = 'z';
    assert_rc(cairn__rec_decode(longer, n + 1, true, &r), CAIRN_ECORRUPT);
    free(longer);
    /* a wrong checksum in the header */
    char *x = strstr(rec, "\"xxh3\":\"");
    assert_non_null(x);
    x[8] = x[8] == '0' ? '1' : '0';
    assert_rc(cairn__rec_decode(rec, n, true, &r), CAIRN_ECORRUPT);
    free(rec);
}

static void record_corrupt_header(void **state)
{
    (void)state;
    cairn_meta m = {.version = 7, .format = CAIRN_FORMAT_JSON, .created_ms = 10,
                    .updated_ms = 20, .expires_ms = 0, .model = "a/b"};
    size_t n;
    char *rec = encode(&m, "[true]", 6, &n);
    cairn__rec r;
    assert_ok(cairn__rec_decode(rec, n, true, &r));
    size_t h = r.head_len;
    /* every truncation of the header is refused, with or without verify */
    for (size_t i = 0; i < h; i++) {
        if (cairn__rec_decode(rec, i, false, &r) != CAIRN_ECORRUPT)
            fail_msg("header truncated to %zu of %zu bytes was accepted", i, h);
        assert_errmsg_has("corrupt record");
        assert_rc(cairn__rec_decode(rec, i, true, &r), CAIRN_ECORRUPT);
    }
    /* structural damage anywhere in the header is refused */
    static const char *const bad[] = {
        "",
        "garbage",
        "\n",
        "{}\n",
        "{\"cairn\":2,\"ver\":1,\"fmt\":\"json\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":1,\"zip\":\"none\",\"xxh3\":\"0000000000000000\",\"model\":\"\"}\n1",
        "{\"cairn\":3,\"ver\":1,\"fmt\":\"json\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":1,\"zip\":\"none\",\"xxh3\":\"0000000000000000\",\"model\":\"\"}\n1",
        "{\"cairn\":1,\"ver\":1,\"fmt\":\"xml\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":1,\"zip\":\"none\",\"xxh3\":\"0000000000000000\",\"model\":\"\"}\n1",
        "{\"cairn\":1,\"ver\":-1,\"fmt\":\"json\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":1,\"zip\":\"none\",\"xxh3\":\"0000000000000000\",\"model\":\"\"}\n1",
        "{\"cairn\":1,\"ver\":01,\"fmt\":\"json\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":1,\"zip\":\"none\",\"xxh3\":\"0000000000000000\",\"model\":\"\"}\n1",
        "{\"cairn\":1,\"ver\":1,\"fmt\":\"json\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":1,\"zip\":\"zstd\",\"xxh3\":\"0000000000000000\",\"model\":\"\"}\n1",
        "{\"cairn\":1,\"ver\":1,\"fmt\":\"json\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":1,\"zip\":\"none\",\"xxh3\":\"000000000000000G\",\"model\":\"\"}\n1",
        "{\"cairn\":1,\"ver\":1,\"fmt\":\"json\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":1,\"zip\":\"none\",\"xxh3\":\"0000000000000000\",\"model\":\"a b\"}\n1",
        "{\"cairn\":1,\"ver\":1,\"fmt\":\"json\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":99999999999,\"zip\":\"none\",\"xxh3\":\"0000000000000000\",\"model\":\"\"}\n1",
        "{\"cairn\":1,\"ver\":99999999999999999999999,\"fmt\":\"json\",\"ctime\":1,"
        "\"mtime\":1,\"exp\":0,\"size\":1,\"zip\":\"none\",\"xxh3\":\"0000000000000000\","
        "\"model\":\"\"}\n1",
        "{\"cairn\":1,\"ver\":1,\"fmt\":\"json\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":1,\"zip\":\"none\",\"xxh3\":\"0000000000000000\",\"model\":\"\"}1",
        "{\"cairn\":1, \"ver\":1,\"fmt\":\"json\",\"ctime\":1,\"mtime\":1,\"exp\":0,"
        "\"size\":1,\"zip\":\"none\",\"xxh3\":\"0000000000000000\",\"model\":\"\"}\n1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (cairn__rec_decode(bad[i], strlen(bad[i]), false, &r) != CAIRN_ECORRUPT)
            fail_msg("bad header %zu accepted: %s", i, bad[i]);
    /* damaging the header so that it no longer matches the value: size and
     * checksum digits */
    char *p = strstr(rec, "\"size\":6");
    assert_non_null(p);
    p[7] = '5';
    assert_rc(cairn__rec_decode(rec, n, true, &r), CAIRN_ECORRUPT);
    free(rec);
    /* the header checksum catches any single changed byte in a field that
     * would otherwise still parse (a time, the version, the expiry) */
    rec = encode(&m, "[true]", 6, &n);
    assert_ok(cairn__rec_decode(rec, n, false, &r));
    for (size_t i = 0; i < h - 1; i++) {
        char was = rec[i];
        rec[i] = (char)(was >= '0' && was <= '8' ? was + 1 : was == '9' ? '0' : was ^ 1);
        if (cairn__rec_decode(rec, n, false, &r) != CAIRN_ECORRUPT)
            fail_msg("header byte %zu changed and still accepted", i);
        rec[i] = was;
    }
    assert_ok(cairn__rec_decode(rec, n, true, &r));
    free(rec);
}

static void record_hash_and_names(void **state)
{
    (void)state;
    assert_int_equal(cairn__hash("abc", 3), cairn__hash("abc", 3));
    assert_int_not_equal(cairn__hash("abc", 3), cairn__hash("abd", 3));
    assert_int_not_equal(cairn__hash("", 0), cairn__hash("\0", 1));
    assert_string_equal(cairn_format_name(CAIRN_FORMAT_JSON), "json");
    assert_string_equal(cairn_format_name(CAIRN_FORMAT_TEXT), "text");
    assert_string_equal(cairn_format_name(CAIRN_FORMAT_BYTES), "bytes");
    assert_string_equal(cairn_format_name((cairn_format)42), "unknown");
    cairn_format f = CAIRN_FORMAT_JSON;
    assert_ok(cairn_format_parse("bytes", &f));
    assert_int_equal(f, CAIRN_FORMAT_BYTES);
    assert_ok(cairn_format_parse("text", &f));
    assert_int_equal(f, CAIRN_FORMAT_TEXT);
    assert_rc(cairn_format_parse("JSON", &f), CAIRN_EINVAL);
    assert_rc(cairn_format_parse("", &f), CAIRN_EINVAL);
    assert_rc(cairn_format_parse(NULL, &f), CAIRN_EINVAL);
    assert_int_equal(f, CAIRN_FORMAT_TEXT);
    assert_true(cairn__model_ref_valid("ns/name"));
    assert_true(cairn__model_ref_valid("a.b-c_d@2#x"));
    assert_false(cairn__model_ref_valid(""));
    assert_false(cairn__model_ref_valid("has space"));
    assert_false(cairn__model_ref_valid("quote\""));
    assert_false(cairn__model_ref_valid("\xC3\xA9"));
    char m[CAIRN_MODEL_MAX + 2];
    memset(m, 'm', sizeof m - 1);
    m[CAIRN_MODEL_MAX + 1] = '\0';
    assert_false(cairn__model_ref_valid(m));
    m[CAIRN_MODEL_MAX] = '\0';
    assert_true(cairn__model_ref_valid(m));
}

/* A header line with the given version and ctime text and a correct header
 * checksum (so only the numbers decide), followed by the value "1". */
static size_t header_with(char *buf, size_t cap, const char *ver, const char *ctime)
{
    int n = snprintf(buf, cap,
                     "{\"cairn\":1,\"ver\":%s,\"fmt\":\"json\",\"ctime\":%s,"
                     "\"mtime\":%s,\"exp\":0,\"size\":1,\"zip\":\"none\","
                     "\"xxh3\":\"%016llx\",\"model\":\"\"",
                     ver, ctime, ctime, (unsigned long long)cairn__hash("1", 1));
    assert_true(n > 0 && (size_t)n + 32 < cap);
    uint32_t hh = (uint32_t)cairn__hash(buf, (size_t)n);
    n += snprintf(buf + n, cap - (size_t)n, ",\"hh\":\"%08x\"}\n1", hh);
    return (size_t)n;
}

/* The decoder's numbers: eight digits per step where there are eight, the
 * rest one by one; the largest values exactly; wrap-around, leading zeros
 * and 21 digits refused even under a correct header checksum. */
static void record_header_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *ver, *ctime;
        int ok;
        uint64_t want_ver;
        int64_t want_ctime;
    } cases[] = {
        {"1", "1", 1, 1, 1},
        {"12345678", "87654321", 1, 12345678, 87654321},               /* one SWAR step */
        {"123456789", "1732000000000", 1, 123456789, 1732000000000},   /* step + tail */
        {"18446744073709551615", "9223372036854775807", 1, UINT64_MAX, INT64_MAX},
        {"18446744073709551616", "1", 0, 0, 0},  /* wraps: refused */
        {"99999999999999999999", "1", 0, 0, 0},  /* 20 nines */
        {"184467440737095516150", "1", 0, 0, 0}, /* 21 digits */
        {"1", "9223372036854775808", 0, 0, 0},   /* above INT64_MAX */
        {"01234567", "1", 0, 0, 0},              /* leading zero, SWAR path */
        {"0", "012345678", 0, 0, 0},             /* leading zero in a time */
        {"1234567a", "1", 0, 0, 0},              /* a non-digit inside eight */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[CAIRN__HEAD_MAX];
        size_t n = header_with(buf, sizeof buf, cases[i].ver, cases[i].ctime);
        cairn__rec r;
        int rc = cairn__rec_decode(buf, n, true, &r);
        if (cases[i].ok) {
            if (rc != CAIRN_OK)
                fail_msg("case %zu (ver %s, ctime %s) refused: %s", i, cases[i].ver,
                         cases[i].ctime, cairn_errmsg());
            assert_int_equal(r.meta.version, cases[i].want_ver);
            assert_int_equal(r.meta.created_ms, cases[i].want_ctime);
            assert_int_equal(r.meta.updated_ms, cases[i].want_ctime);
        } else if (rc != CAIRN_ECORRUPT) {
            fail_msg("case %zu (ver %s, ctime %s) accepted", i, cases[i].ver, cases[i].ctime);
        }
    }
}

static void expiry_rule(void **state)
{
    (void)state;
    assert_false(cairn__expired(0, 1000));    /* 0: never */
    assert_false(cairn__expired(1001, 1000));
    assert_true(cairn__expired(1000, 1000));  /* expiring at now is expired */
    assert_true(cairn__expired(999, 1000));
}

/* The header of a record before issue 5, byte for byte (as files written
 * then hold it), still decodes: no zsize, no umeta. */
static void record_old_header_decodes(void **state)
{
    (void)state;
    char rec[512];
#define OLD_HEAD                                                               \
    "{\"cairn\":1,\"ver\":2,\"fmt\":\"text\",\"ctime\":1700000000000,"                    \
    "\"mtime\":1700000000001,\"exp\":0,\"size\":5,\"zip\":\"none\","                      \
    "\"xxh3\":\"%016llx\",\"model\":\"\""
    int n = snprintf(rec, sizeof rec, OLD_HEAD, (unsigned long long)cairn__hash("hello", 5));
#undef OLD_HEAD
    uint32_t hh = (uint32_t)cairn__hash(rec, (size_t)n);
    n += snprintf(rec + n, sizeof rec - (size_t)n, ",\"hh\":\"%08x\"}\nhello", hh);
    cairn__rec r;
    assert_ok(cairn__rec_decode(rec, (size_t)n, true, &r));
    assert_int_equal(r.meta.version, 2);
    assert_string_equal(r.meta.compression, "none");
    assert_int_equal(r.meta.stored_size, 5);
    assert_int_equal(r.meta.user_meta_len, 0);
    assert_memory_equal(r.value, "hello", 5);
    /* bound to no key: it reads under any key (until cairn_upgrade) */
    assert_false(r.bound);
    assert_ok(cairn__rec_check_key(&r, "a", 1));
    assert_ok(cairn__rec_check_key(&r, "b/c", 3));
    /* and an unbound header is still what the encoder writes without a key */
    char again[CAIRN__HEAD_MAX];
    assert_int_equal(cairn__rec_head(again, &r.meta, 0, NULL), r.head_len);
    assert_memory_equal(again, rec, r.head_len);
}

/* A header from its fields up to the model (text, printf'd) with extra
 * (e.g. a key binding) after it and a correct header checksum: what
 * someone who edits a header and fixes its checksum writes. */
static size_t forge(char *buf, size_t cap, int hver, const char *extra)
{
    int n = snprintf(buf, cap,
                     "{\"cairn\":%d,\"ver\":2,\"fmt\":\"text\",\"ctime\":1,\"mtime\":1,"
                     "\"exp\":0,\"size\":5,\"zip\":\"none\",\"xxh3\":\"%016llx\","
                     "\"model\":\"\"%s",
                     hver, (unsigned long long)cairn__hash("hello", 5), extra);
    assert_true(n > 0 && (size_t)n + 32 < cap);
    uint32_t hh = (uint32_t)cairn__hash(buf, (size_t)n);
    n += snprintf(buf + n, cap - (size_t)n, ",\"hh\":\"%08x\"}\nhello", hh);
    return (size_t)n;
}

/* Header version 2 names its key (the XXH3-64 of it, "kxxh3"): the binding
 * round-trips, its key passes the check, another key is refused naming the
 * key, and a tampered binding is refused by the header checksum or, when
 * the checksum was fixed too, by the key check. */
static void record_key_binding(void **state)
{
    (void)state;
    cairn_meta m = {.version = 4, .format = CAIRN_FORMAT_JSON, .created_ms = 5,
                    .updated_ms = 6, .model = "a/b"};
    m.size = 2;
    m.checksum = cairn__hash("[]", 2);
    const char *key = "teams/eng";
    uint64_t ks = cairn__hash(key, strlen(key));
    char rec[CAIRN__HEAD_MAX + 2];
    size_t h = cairn__rec_head(rec, &m, 0, &ks);
    memcpy(rec + h, "[]", 2);
    size_t n = h + 2;
    assert_memory_equal(rec, "{\"cairn\":2,\"ver\":4,", 19);
    char want[40];
    snprintf(want, sizeof want, ",\"kxxh3\":\"%016llx\",\"hh\":", (unsigned long long)ks);
    assert_non_null(strstr(rec, want));
    cairn__rec r;
    assert_ok(cairn__rec_decode(rec, n, true, &r));
    assert_true(r.bound);
    assert_int_equal(r.key_sum, ks);
    check_meta(&r.meta, &m);
    assert_ok(cairn__rec_check_key(&r, key, strlen(key)));
    /* the record read under another key's name */
    assert_rc(cairn__rec_check_key(&r, "teams/ops", 9), CAIRN_ECORRUPT);
    assert_errmsg_has("corrupt record");
    assert_errmsg_has("record at teams/ops belongs to another key");
    assert_rc(cairn__rec_check_key(&r, "teams/en", 8), CAIRN_ECORRUPT);
    /* the decoder accepts only what the encoder writes */
    char again[CAIRN__HEAD_MAX];
    assert_int_equal(cairn__rec_head(again, &r.meta, 0, &r.key_sum), h);
    assert_memory_equal(again, rec, h);
    /* one changed digit of the binding: the header checksum sees it */
    char *d = strstr(rec, "\"kxxh3\":\"") + 9;
    for (int i = 0; i < 16; i++) {
        char was = d[i];
        d[i] = was == '0' ? '1' : '0';
        assert_rc(cairn__rec_decode(rec, n, true, &r), CAIRN_ECORRUPT);
        assert_errmsg_has("header checksum");
        d[i] = was;
    }
    /* a binding rewritten to another key, header checksum fixed: it decodes,
     * and belongs to that other key only */
    char f[CAIRN__HEAD_MAX];
    char extra[64];
    uint64_t other = cairn__hash("x", 1);
    snprintf(extra, sizeof extra, ",\"kxxh3\":\"%016llx\"", (unsigned long long)other);
    size_t fl = forge(f, sizeof f, 2, extra);
    assert_ok(cairn__rec_decode(f, fl, true, &r));
    assert_ok(cairn__rec_check_key(&r, "x", 1));
    assert_rc(cairn__rec_check_key(&r, key, strlen(key)), CAIRN_ECORRUPT);
    assert_errmsg_has("record at teams/eng belongs to another key");
    /* version 2 without a binding, version 1 with one, a binding of the
     * wrong length or case: never written, refused */
    static const struct {
        int hver;
        const char *extra;
    } bad[] = {
        {2, ""},
        {1, ",\"kxxh3\":\"0123456789abcdef\""},
        {2, ",\"kxxh3\":\"0123456789abcde\""},
        {2, ",\"kxxh3\":\"0123456789ABCDEF\""},
        {2, ",\"kxxh3\":0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fl = forge(f, sizeof f, bad[i].hver, bad[i].extra);
        if (cairn__rec_decode(f, fl, false, &r) != CAIRN_ECORRUPT)
            fail_msg("header %zu accepted: %s", i, f);
    }
    /* and the control: version 1 without one decodes, unbound */
    fl = forge(f, sizeof f, 1, "");
    assert_ok(cairn__rec_decode(f, fl, true, &r));
    assert_false(r.bound);
}

/* Compressed value and user metadata: the fields round-trip, the encoder
 * and decoder agree byte for byte, and what the encoder never writes is
 * refused (zsize not below size, empty or oversized user metadata). */
static void record_zip_and_user_meta(void **state)
{
    (void)state;
    char val[9000];
    for (size_t i = 0; i < sizeof val; i++)
        val[i] = (char)('a' + i % 7);
    char z[9000];
    size_t zl;
    cairn__iov pcs[3] = {{val, 100}, {val + 100, 4000}, {val + 4100, 4900}};
    assert_ok(cairn__zip(pcs, 3, 0, z, sizeof z, &zl)); /* in pieces */
    assert_true(zl < 200);
    /* Pieces give the same frame as one buffer. */
    char z1[9000];
    size_t zl1;
    assert_ok(cairn__zip(&(cairn__iov){val, sizeof val}, 1, 0, z1, sizeof z1, &zl1));
    assert_int_equal(zl, zl1);
    assert_memory_equal(z, z1, zl);
    /* No room: skipped, not an error. */
    assert_int_equal(cairn__zip(pcs, 3, 0, z, 8, &zl1), CAIRN_SKIPPED);
    const char *um = "{\"k\":\"v\"}";
    cairn_meta m = {.version = 1, .format = CAIRN_FORMAT_BYTES, .size = sizeof val,
                    .checksum = cairn__hash(val, sizeof val), .compression = "zstd",
                    .stored_size = zl, .user_meta_len = strlen(um), .model = "a/b@1"};
    char rec[CAIRN__HEAD_MAX + 9000];
    uint64_t ks = key_k();
    size_t h = cairn__rec_head(rec, &m, cairn__hash(um, strlen(um)), &ks);
    memcpy(rec + h, um, strlen(um));
    memcpy(rec + h + strlen(um), z, zl);
    size_t n = h + strlen(um) + zl;
    cairn__rec r;
    assert_ok(cairn__rec_decode(rec, n, true, &r));
    assert_string_equal(r.meta.compression, "zstd");
    assert_true(r.zstd);
    assert_int_equal(r.meta.stored_size, zl);
    assert_int_equal(r.umeta_len, strlen(um));
    assert_memory_equal(r.umeta, um, strlen(um));
    char again[CAIRN__HEAD_MAX];
    assert_int_equal(cairn__rec_head(again, &r.meta, r.umeta_sum, &r.key_sum), h);
    assert_memory_equal(again, rec, h);
    char *plain;
    assert_ok(cairn__rec_load(&r, &plain));
    assert_memory_equal(plain, val, sizeof val);
    assert_ptr_equal(r.value, plain);
    free(plain);
    /* The frame must hold the size the header says. */
    cairn_meta bad = m;
    bad.size = sizeof val - 1;
    bad.checksum = cairn__hash(val, sizeof val - 1);
    h = cairn__rec_head(rec, &bad, cairn__hash(um, strlen(um)), &ks);
    memcpy(rec + h, um, strlen(um));
    memcpy(rec + h + strlen(um), z, zl);
    assert_ok(cairn__rec_decode(rec, h + strlen(um) + zl, true, &r));
    assert_int_equal(cairn__rec_load(&r, &plain), CAIRN_ECORRUPT);
    assert_null(plain);
    /* Never written by the encoder: refused by the decoder. */
    cairn_meta odd[3] = {m, m, m};
    odd[0].stored_size = m.size;   /* no saving */
    odd[1].stored_size = 0;        /* empty frame */
    odd[2].user_meta_len = CAIRN_USER_META_MAX + 1;
    for (int i = 0; i < 3; i++) {
        h = cairn__rec_head(rec, &odd[i], 0, &ks);
        assert_int_equal(cairn__rec_decode(rec, h, false, &r), CAIRN_ECORRUPT);
    }
    /* A flipped byte in the user metadata is seen by the size check. */
    h = cairn__rec_head(rec, &m, cairn__hash(um, strlen(um)), &ks);
    memcpy(rec + h, um, strlen(um));
    memcpy(rec + h + strlen(um), z, zl);
    rec[h + 2] ^= 4;
    assert_int_equal(cairn__rec_decode(rec, n, true, &r), CAIRN_ECORRUPT);
    assert_non_null(strstr(cairn_errmsg(), "user metadata checksum"));
}

const tr_case unit_record_cases[] = {
    TR_CASE(record_old_header_decodes, TR_NONE, 0),
    TR_CASE(record_key_binding, TR_NONE, 0),
    TR_CASE(record_zip_and_user_meta, TR_NONE, 0),
    TR_CASE(record_roundtrip, TR_NONE, 0),
    TR_CASE(record_formats_and_edges, TR_NONE, 0),
    TR_CASE(record_corrupt_value, TR_NONE, 0),
    TR_CASE(record_corrupt_header, TR_NONE, 0),
    TR_CASE(record_hash_and_names, TR_NONE, 0),
    TR_CASE(record_header_numbers, TR_NONE, 0),
    TR_CASE(expiry_rule, TR_NONE, 0),
};
const size_t unit_record_ncases = UNIT_NCASES(unit_record_cases);
