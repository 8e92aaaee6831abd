/*
 * zip.c — zstd compression of record values: the value goes in as pieces
 * (one to three) and out as one zstd frame; reading back never allocates
 * more than the frame actually produces, whatever a header claims.
 */
#include "record/record.h"
#include "record/zip.h"
#include "base/buf.h"
#include "base/error.h"

#include <pthread.h>
#include <stdlib.h>
#include <zstd.h>

/* One compression and one decompression context per thread: making them
 * costs more than compressing a few KiB. Freed at thread exit. */
static _Thread_local ZSTD_CCtx *tls_cctx;
static _Thread_local ZSTD_DCtx *tls_dctx;
static pthread_key_t zip_key;
static pthread_once_t zip_once = PTHREAD_ONCE_INIT;

static void zip_tls_free(void *unused)
{
    (void)unused;
    ZSTD_freeCCtx(tls_cctx);
    tls_cctx = NULL;
    ZSTD_freeDCtx(tls_dctx);
    tls_dctx = NULL;
}

static void zip_key_init(void)
{
    (void)pthread_key_create(&zip_key, zip_tls_free);
}

static void zip_tls_register(void)
{
    pthread_once(&zip_once, zip_key_init);
    (void)pthread_setspecific(zip_key, &zip_key);
}

int cairn__zip_level_check(int level)
{
    if (level != 0 && (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()))
        return cairn__err(CAIRN_EINVAL, "compression level %d out of range (%d..%d)", level,
                          ZSTD_minCLevel(), ZSTD_maxCLevel());
    return CAIRN_OK;
}

int cairn__zip(const cairn__iov *pieces, size_t n, int level, void *dst, size_t cap,
               size_t *zlen)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += pieces[i].len;
    if (!tls_cctx) {
        if (!(tls_cctx = ZSTD_createCCtx()))
            return cairn__err(CAIRN_ENOMEM, "out of memory (zstd context)");
        zip_tls_register();
    }
    ZSTD_CCtx *cc = tls_cctx;
    ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters);
    size_t e = ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel,
                                      level ? level : CAIRN__ZIP_LEVEL);
    /* The frame records its content size; reading checks it against the
     * header. The xxh3 of the header already covers the value, so zstd's
     * own checksum would be a second pass for nothing. */
    if (!ZSTD_isError(e))
        e = ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1);
    if (!ZSTD_isError(e))
        e = ZSTD_CCtx_setPledgedSrcSize(cc, total);
    if (ZSTD_isError(e))
        return cairn__err(CAIRN_EINVAL, "zstd: %s", ZSTD_getErrorName(e));
    ZSTD_outBuffer out = {dst, cap, 0};
    for (size_t i = 0; i < n; i++) {
        ZSTD_inBuffer in = {pieces[i].base, pieces[i].len, 0};
        ZSTD_EndDirective end = i + 1 == n ? ZSTD_e_end : ZSTD_e_continue;
        for (;;) {
            size_t left = ZSTD_compressStream2(cc, &out, &in, end);
            if (ZSTD_isError(left))
                return cairn__err(CAIRN_EIO, "zstd: %s", ZSTD_getErrorName(left));
            bool finished = end == ZSTD_e_end ? left == 0 : in.pos == in.size;
            if (finished)
                break;
            if (out.pos == out.size) {
                /* Does not fit in cap: not worth storing compressed. */
                ZSTD_CCtx_reset(cc, ZSTD_reset_session_only);
                return CAIRN_SKIPPED;
            }
        }
    }
    if (n == 0) {
        ZSTD_inBuffer in = {NULL, 0, 0};
        size_t left = ZSTD_compressStream2(cc, &out, &in, ZSTD_e_end);
        if (ZSTD_isError(left) || left)
            return CAIRN_SKIPPED;
    }
    *zlen = out.pos;
    return CAIRN_OK;
}

int cairn__unzip(const void *src, size_t srclen, size_t size, char **out)
{
    *out = NULL;
    if (size == 0) /* never written compressed: nothing to save */
        return cairn__err(CAIRN_ECORRUPT, "corrupt record: compressed empty value");
    /* The frame must say the size the header says: a frame that claims
     * nothing, or something else, is not one we wrote. */
    unsigned long long fs = ZSTD_getFrameContentSize(src, srclen);
    if (fs == ZSTD_CONTENTSIZE_ERROR || fs == ZSTD_CONTENTSIZE_UNKNOWN)
        return cairn__err(CAIRN_ECORRUPT, "corrupt record: bad zstd frame header");
    if (fs != size)
        return cairn__err(CAIRN_ECORRUPT,
                          "corrupt record: zstd frame holds %llu bytes, header says %zu", fs,
                          size);
    if (!tls_dctx) {
        if (!(tls_dctx = ZSTD_createDCtx()))
            return cairn__err(CAIRN_ENOMEM, "out of memory (zstd context)");
        zip_tls_register();
    }
    ZSTD_DCtx *dc = tls_dctx;
    ZSTD_DCtx_reset(dc, ZSTD_reset_session_only);
    /* The output grows with what the frame actually produces, never from
     * a size field alone: a forged header and frame asking for 1 GiB from
     * a few bytes allocate a little at a time and are caught when the
     * bytes run out. */
    size_t cap = srclen < (SIZE_MAX - 65536) / 16 ? srclen * 16 + 65536 : SIZE_MAX;
    if (cap > size)
        cap = size;
    char *buf = malloc(cap + 1);
    if (!buf)
        return cairn__err(CAIRN_ENOMEM, "out of memory (%zu bytes)", cap + 1);
    ZSTD_inBuffer in = {src, srclen, 0};
    ZSTD_outBuffer ob = {buf, cap, 0};
    int rc = CAIRN_OK;
    for (;;) {
        size_t r = ZSTD_decompressStream(dc, &ob, &in);
        if (ZSTD_isError(r)) {
            rc = cairn__err(CAIRN_ECORRUPT, "corrupt record: zstd: %s",
                            ZSTD_getErrorName(r));
            break;
        }
        if (r == 0) { /* frame complete */
            if (in.pos != in.size || ob.pos != size)
                rc = cairn__err(CAIRN_ECORRUPT,
                                "corrupt record: zstd frame gave %zu of %zu bytes, %zu bytes "
                                "left over", ob.pos, size, in.size - in.pos);
            break;
        }
        if (ob.pos == ob.size) {
            if (cap == size) { /* full, and the frame wants to write more */
                rc = cairn__err(CAIRN_ECORRUPT,
                                "corrupt record: zstd frame holds more than %zu bytes", size);
                break;
            }
            size_t ncap = cap > size / 2 ? size : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                rc = cairn__err(CAIRN_ENOMEM, "out of memory (%zu bytes)", ncap + 1);
                break;
            }
            buf = nb;
            cap = ncap;
            ob.dst = buf;
            ob.size = cap;
        } else if (in.pos == in.size) {
            rc = cairn__err(CAIRN_ECORRUPT, "corrupt record: zstd frame is truncated");
            break;
        }
    }
    if (rc) {
        free(buf);
        return rc;
    }
    buf[size] = '\0';
    *out = buf;
    return CAIRN_OK;
}
