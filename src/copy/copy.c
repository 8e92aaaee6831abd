/*
 * copy.c — cairn_copy(): stream the live records of one store into another
 * with their metadata, one batch at a time, through the public calls only
 * (list at the source, get_many, put_records at the destination), after
 * the models they reference.
 */
#include "base/error.h"
#include "base/opts.h"

#include <stdbool.h>
#include <stdio.h>
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

/* ------------------------------------------------------------------ */
/* Models: carried before the records                                  */
/* ------------------------------------------------------------------ */

/* The model references seen so far (a handful: one per model version). */
typedef struct {
    char (*refs)[CAIRN_MODEL_MAX + 1];
    size_t n, cap;
} refset;

/* Register ref (as the source resolves it) at the destination as the same
 * version with the same schema; key names the record that wants it. */
static int carry_model(cairn_store *from, cairn_store *to, const char *ref, const char *key)
{
    char full[CAIRN_MODEL_MAX + 1];
    cairn_value *v = NULL;
    int rc = cairn_model_resolve(from, ref, full);
    if (rc == CAIRN_ENOTFOUND && key)
        return cairn__err(CAIRN_EMODEL,
                          "copy %s: its model %s is not registered at the source: it cannot "
                          "be carried (register it at the destination first)",
                          key, ref);
    if (rc == CAIRN_OK)
        rc = cairn_model_schema(from, full, &v);
    if (rc == CAIRN_OK) {
        size_t len;
        const void *schema = cairn_value_data(v, &len);
        rc = cairn_model_register(to, full, schema, len, CAIRN_MODEL_AT_VERSION, NULL);
        cairn_value_free(v);
        if (rc == CAIRN_SKIPPED)
            rc = CAIRN_OK;
    }
    return rc ? cairn__err_prefix(rc, "copy: carrying model %s", ref) : CAIRN_OK;
}

/* Carry ref unless it was already; key: the record that wants it. */
static int carry_once(cairn_store *from, cairn_store *to, refset *set, const char *ref,
                      const char *key)
{
    for (size_t i = 0; i < set->n; i++)
        if (!strcmp(set->refs[i], ref))
            return CAIRN_OK;
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 8;
        void *p = realloc(set->refs, cap * sizeof *set->refs);
        if (!p)
            return cairn__err(CAIRN_ENOMEM, "copy: out of memory");
        set->refs = p;
        set->cap = cap;
    }
    int rc = carry_model(from, to, ref, key);
    if (rc == CAIRN_OK)
        snprintf(set->refs[set->n++], CAIRN_MODEL_MAX + 1, "%s", ref);
    return rc;
}

typedef struct {
    cairn_store *from, *to;
    refset *set;
} carry_all_ctx;

static int carry_all_cb(void *ctx, const char *ns, const char *name, unsigned version,
                        const char *ref)
{
    (void)ns;
    (void)name;
    (void)version;
    carry_all_ctx *c = ctx;
    return carry_once(c->from, c->to, c->set, ref, NULL);
}

/* Every model the records under prefix (listed by list: a segment or a
 * raw prefix) reference (a pass over their headers), or every registered
 * one with all, registered at to. */
static int carry_models(cairn_store *from, cairn_store *to,
                        int (*list)(cairn_store *, const char *, cairn_iter **),
                        const char *prefix, bool all)
{
    refset set = {0};
    cairn_iter *it = NULL;
    int rc = CAIRN_OK;
    if (all) {
        carry_all_ctx c = {from, to, &set};
        rc = cairn_model_list(from, carry_all_cb, &c);
    }
    if (rc == CAIRN_OK)
        rc = list(from, prefix, &it);
    while (rc == CAIRN_OK) {
        const char *key;
        cairn_meta md;
        if ((rc = cairn_iter_next(it, &key, NULL)))
            break;
        /* A damaged header: the record loop reports it (or skips it). */
        if ((rc = cairn_iter_meta(it, &md)) == CAIRN_ECORRUPT) {
            rc = CAIRN_OK;
            continue;
        }
        if (rc == CAIRN_OK && md.model && *md.model)
            rc = carry_once(from, to, &set, md.model, key);
    }
    cairn_iter_free(it);
    free(set.refs);
    return rc == CAIRN_DONE ? CAIRN_OK : rc;
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/*
 * Read the batch's keys at the source into b->vals; *n: how many of them
 * (from the first) were read. One damaged record fails cairn_get_many() as
 * a whole (CAIRN_ECORRUPT), so the keys are then read one at a time: with
 * skip_corrupt a damaged one is reported, counted and taken out of the
 * batch; any other failure ends the batch before its key and is returned
 * (the keys before it are read, and written by the caller).
 */
static int batch_read(cairn_store *from, batch *b, const cairn_copy_opts *o,
                      cairn_copy_stats *st, size_t *n)
{
    *n = 0;
    int rc = cairn_get_many(from, (const char *const *)b->keys, b->n, b->vals);
    if (rc != CAIRN_ECORRUPT) {
        *n = rc ? 0 : b->n;
        return rc;
    }
    for (size_t i = 0; i < b->n; i++) {
        char *key = b->keys[i];
        rc = cairn_get(from, key, &b->vals[*n]); /* the slots are NULL after the failure */
        if (rc == CAIRN_ECORRUPT && o->skip_corrupt) {
            st->corrupt++;
            rc = o->on_corrupt ? o->on_corrupt(o->on_corrupt_ctx, key, rc, cairn_errmsg()) : 0;
            if (rc)
                return rc;
            free(key);
            b->keys[i] = NULL;
            continue;
        }
        if (rc && rc != CAIRN_ENOTFOUND)
            return rc;
        b->keys[i] = b->keys[*n]; /* NULL or key itself */
        b->keys[(*n)++] = key;
    }
    return CAIRN_OK;
}

/* Read the batch's keys at the source and write what is still live. When
 * the read stops at a key, what was read before it is written first. */
static int batch_flush(cairn_store *from, cairn_store *to, batch *b,
                       const cairn_copy_opts *o, cairn_copy_stats *st)
{
    if (!b->n)
        return CAIRN_OK;
    size_t n;
    int stop = batch_read(from, b, o, st, &n);
    char why[4096]; /* the stop's message, which the write would clear */
    if (stop)
        snprintf(why, sizeof why, "%s", cairn_errmsg());
    size_t m = 0;
    int64_t now = cairn_now_ms();
    for (size_t i = 0; i < n; i++) {
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
    int rc = cairn_put_records(to, b->items, m, o->behavior);
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
    if (rc || !stop)
        return rc;
    return cairn__err(stop, "%s", why);
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
    int (*list)(cairn_store *, const char *, cairn_iter **) =
        o.raw_prefix ? cairn_list_raw : cairn_list;
    if ((rc = carry_models(from, to, list, o.prefix, o.all_models)) ||
        (rc = list(from, o.prefix, &it)))
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
        /* A damaged header: its read in the batch reports it. */
        if ((rc = cairn_iter_meta(it, &md)) == CAIRN_ECORRUPT)
            md.size = 0;
        else if (rc)
            goto out;
        st.seen++;
        if (!(b.keys[b.n] = malloc(klen + 1))) {
            rc = cairn__err(CAIRN_ENOMEM, "copy: out of memory");
            goto out;
        }
        memcpy(b.keys[b.n++], key, klen + 1);
        bytes += md.size;
        if (b.n == max_n || bytes >= max_bytes) {
            if ((rc = batch_flush(from, to, &b, &o, &st)))
                goto out;
            bytes = 0;
            if (o.progress && (rc = o.progress(o.progress_ctx, &st)))
                goto out;
        }
    }
    if ((rc = batch_flush(from, to, &b, &o, &st)))
        goto out;
    if (o.progress && (rc = o.progress(o.progress_ctx, &st)))
        goto out;
    rc = st.corrupt ? cairn__err(CAIRN_ECORRUPT,
                                 "copy: %llu corrupt record%s left out (skip_corrupt)",
                                 (unsigned long long)st.corrupt, st.corrupt == 1 ? "" : "s")
                    : CAIRN_OK;
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
