/*
 * copy.c — cairn_copy(): stream the live records of one store into another
 * with their metadata, one batch at a time, through the public calls only
 * (list at the source, get_many, put_records at the destination).
 */
#include "base/error.h"
#include "base/opts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define COPY_BATCH 256
#define COPY_BATCH_BYTES (4u * 1024u * 1024u)

typedef struct {
    char **keys;          /* copies: the iterator's keys are borrowed */
    cairn_value **vals;
    cairn_record_item *items;
    size_t n;
} batch;

/* Has a record that expires at exp (0: never) expired at now? */
static bool expired(int64_t exp, int64_t now)
{
    return exp > 0 && exp <= now;
}

static void batch_clear(batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->keys[i]);
        cairn_value_free(b->vals[i]);
        b->keys[i] = NULL;
        b->vals[i] = NULL;
    }
    b->n = 0;
}

/* Read the batch's keys at the source and write what is still live. */
static int batch_flush(cairn_store *from, cairn_store *to, batch *b,
                       cairn_behavior behavior, cairn_copy_stats *st)
{
    if (!b->n)
        return CAIRN_OK;
    int rc = cairn_get_many(from, (const char *const *)b->keys, b->n, b->vals);
    if (rc)
        return rc;
    size_t m = 0;
    int64_t now = cairn_now_ms();
    for (size_t i = 0; i < b->n; i++) {
        const cairn_value *v = b->vals[i];
        const cairn_meta *md = cairn_value_meta(v);
        /* Gone since it was listed, or expiring right now: not copied. */
        if (!v || expired(md->expires_ms, now)) {
            st->expired++;
            continue;
        }
        size_t len;
        const void *data = cairn_value_data(v, &len);
        b->items[m++] = (cairn_record_item){cairn_value_key(v), data, len, md, 0};
    }
    rc = cairn_put_records(to, b->items, m, behavior);
    if (rc == CAIRN_OK) {
        for (size_t i = 0; i < m; i++) {
            if (b->items[i].status == CAIRN_OK) {
                st->copied++;
                st->bytes += b->items[i].len;
            } else if (expired(b->items[i].meta->expires_ms, cairn_now_ms())) {
                st->expired++; /* expired between our check and the write */
            } else {
                st->skipped++;
            }
        }
    }
    batch_clear(b);
    return rc;
}

CAIRN_API int cairn_copy(cairn_store *from, cairn_store *to, const cairn_copy_opts *opt,
                         cairn_copy_stats *stats)
{
    cairn_copy_opts o;
    cairn_copy_stats st = {0};
    cairn__err_clear();
    if (stats)
        *stats = st;
    int orc = CAIRN__OPTS_READ(&o, opt, "copy options");
    if (orc)
        return cairn__err_prefix(orc, "copy");
    if (!from || !to)
        return cairn__err(CAIRN_EINVAL, "copy: store is NULL");
    if ((unsigned)o.behavior > CAIRN_OVERWRITE)
        return cairn__err(CAIRN_EINVAL, "copy: unknown behavior %d", (int)o.behavior);
    size_t max_n = o.batch ? o.batch : COPY_BATCH;
    size_t max_bytes = o.batch_bytes ? o.batch_bytes : COPY_BATCH_BYTES;
    batch b = {0};
    b.keys = calloc(max_n, sizeof *b.keys);
    b.vals = calloc(max_n, sizeof *b.vals);
    b.items = calloc(max_n, sizeof *b.items);
    cairn_iter *it = NULL;
    int rc;
    if (!b.keys || !b.vals || !b.items) {
        rc = cairn__err(CAIRN_ENOMEM, "copy: out of memory");
        goto out;
    }
    if ((rc = (o.raw_prefix ? cairn_list_raw : cairn_list)(from, o.prefix, &it)))
        goto out;
    size_t bytes = 0;
    for (;;) {
        const char *key;
        size_t klen;
        cairn_meta md;
        rc = cairn_iter_next(it, &key, &klen);
        if (rc == CAIRN_DONE)
            break;
        if (rc)
            goto out;
        if ((rc = cairn_iter_meta(it, &md)))
            goto out;
        st.seen++;
        if (!(b.keys[b.n] = malloc(klen + 1))) {
            rc = cairn__err(CAIRN_ENOMEM, "copy: out of memory");
            goto out;
        }
        memcpy(b.keys[b.n++], key, klen + 1);
        bytes += md.size;
        if (b.n == max_n || bytes >= max_bytes) {
            if ((rc = batch_flush(from, to, &b, o.behavior, &st)))
                goto out;
            bytes = 0;
            if (o.progress && (rc = o.progress(o.progress_ctx, &st)))
                goto out;
        }
    }
    if ((rc = batch_flush(from, to, &b, o.behavior, &st)))
        goto out;
    if (o.progress && (rc = o.progress(o.progress_ctx, &st)))
        goto out;
    rc = CAIRN_OK;
out:
    cairn_iter_free(it);
    batch_clear(&b);
    free(b.keys);
    free(b.vals);
    free(b.items);
    if (stats)
        *stats = st;
    return rc;
}
