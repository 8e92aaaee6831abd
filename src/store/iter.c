/*
 * iter.c — listing: list and range stream keys through an iterator, a
 * batch of keys (and their record headers) at a time.
 */
#include "store/front.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Listing                                                             */
/* ------------------------------------------------------------------ */

/* Does key pass the iterator's filters (prefix by segment, reserved)? */
bool cairn__iter_wants(const cairn_iter *it, const char *key, size_t klen)
{
    if (it->prefix && !(klen == it->plen || key[it->plen] == '/'))
        return false;
    if (it->hide_reserved && cairn__key_reserved(key, klen))
        return false;
    return true;
}

static int iter_fill_cb(void *ctx, const char *key, size_t klen, const void *rec,
                        size_t rlen)
{
    cairn_iter *it = ctx;
    int rc;
    if (!cairn__iter_wants(it, key, klen))
        goto resume;
    cairn__rec r;
    size_t hlen = rlen < CAIRN_RECORD_HEAD_MAX ? rlen : CAIRN_RECORD_HEAD_MAX;
    if (cairn__rec_decode(rec, rlen, false, &r) == CAIRN_OK) {
        if (cairn__expired(r.meta.expires_ms, it->now))
            goto resume;
        hlen = r.head_len;
    }
    if ((rc = cairn__grow(&it->arena, &it->arena_cap, it->arena_len + klen + 1 + hlen)))
        return rc;
    iter_item *item = &it->items[it->n++];
    item->koff = it->arena_len;
    item->klen = klen;
    memcpy(it->arena + it->arena_len, key, klen);
    it->arena[it->arena_len + klen] = '\0';
    item->hoff = it->arena_len + klen + 1;
    item->hlen = hlen;
    memcpy(it->arena + item->hoff, rec, hlen);
    it->arena_len += klen + 1 + hlen;
resume:
    /* The next batch starts after this key, also after keys the filters
     * skipped. Kept apart from lo, which the backend may still be reading. */
    if ((rc = cairn__grow(&it->next, &it->next_cap, klen + 1)))
        return rc;
    memcpy(it->next, key, klen);
    it->next[klen] = '\0';
    it->next_len = klen;
    it->have_next = true;
    return it->n == ITER_BATCH ? 1 : 0;
}

static int iter_fill(cairn_iter *it)
{
    it->n = it->pos = 0;
    it->arena_len = 0;
    it->have_next = false;
    int rc = it->s->m->scan(it->s->be, it->lo, it->lolen, it->lo_excl, it->hi,
                            it->hilen, 0, iter_fill_cb, it);
    if (rc > 0)
        rc = CAIRN_EIO;
    if (rc)
        return rc;
    if (it->have_next) {
        char *t = it->lo;
        size_t tc = it->lo_cap;
        it->lo = it->next;
        it->lo_cap = it->next_cap;
        it->lolen = it->next_len;
        it->lo_excl = true;
        it->next = t;
        it->next_cap = tc;
    }
    if (it->n < ITER_BATCH)
        it->done = true; /* the scan ran to the end */
    return CAIRN_OK;
}

/* An iterator over [lo, hi) (NULL: unbounded) keeping whole-segment
 * matches of prefix (NULL: all). The bounds are copied. */
static int iter_new(cairn_store *s, const char *lo, size_t lolen, const char *hi,
                    size_t hilen, const char *prefix, size_t plen, uint64_t limit,
                    bool hide_reserved, cairn_iter **out)
{
    cairn_iter *it = calloc(1, sizeof *it);
    if (!it)
        return cairn__err(CAIRN_ENOMEM, "list: out of memory");
    it->s = s;
    it->limit = limit;
    it->hide_reserved = hide_reserved;
    it->now = cairn_now_ms();
    it->lolen = lolen;
    it->lo_cap = lo ? lolen + 1 : 0;
    it->hilen = hilen;
    it->plen = plen;
    if ((lo && !(it->lo = strndup(lo, lolen))) || (hi && !(it->hi = strndup(hi, hilen))) ||
        (prefix && !(it->prefix = strndup(prefix, plen)))) {
        cairn_iter_free(it);
        return cairn__err(CAIRN_ENOMEM, "list: out of memory");
    }
    *out = it;
    return CAIRN_OK;
}

/* Keys starting with the bytes of p (a raw prefix): [p, succ) where succ is
 * p with trailing 0xff bytes dropped and its last byte incremented (none
 * left: no upper bound). The library's own keys are always hidden. */
static int iter_raw(cairn_store *s, const char *what, const char *p, cairn_iter **out)
{
    size_t plen = strlen(p);
    if (plen > CAIRN_KEY_MAX)
        return cairn__err(CAIRN_EINVAL, "%s: raw prefix longer than %d bytes", what,
                          CAIRN_KEY_MAX);
    if (!plen)
        return iter_new(s, NULL, 0, NULL, 0, NULL, 0, 0, true, out);
    char hi[CAIRN_KEY_MAX + 1];
    size_t hilen = plen;
    memcpy(hi, p, plen);
    while (hilen && (unsigned char)hi[hilen - 1] == 0xff)
        hilen--;
    if (hilen)
        hi[hilen - 1] = (char)((unsigned char)hi[hilen - 1] + 1);
    return iter_new(s, p, plen, hilen ? hi : NULL, hilen, NULL, 0, 0, true, out);
}

int cairn__list_iter(cairn_store *s, const char *what, const char *prefix, bool raw,
                     cairn_iter **out)
{
    int rc;
    if (raw)
        return iter_raw(s, what, prefix ? prefix : "", out);
    bool all = !prefix;
    if (prefix) {
        /* "", "/" and the like list everything. */
        const char *p = prefix;
        while (*p == '/')
            p++;
        all = !*p;
    }
    if (all)
        return iter_new(s, NULL, 0, NULL, 0, NULL, 0, 0, true, out);
    char k[CAIRN_KEY_MAX + 2];
    size_t klen;
    if ((rc = cairn__check_key(what, prefix, k, &klen, false)))
        return rc;
    /* Keys equal to k or under "k/": scan [k, k"0") ('0' follows '/'),
     * then keep whole-segment matches. */
    char hi[CAIRN_KEY_MAX + 2];
    memcpy(hi, k, klen);
    hi[klen] = '0';
    return iter_new(s, k, klen, hi, klen + 1, k, klen, 0, !cairn__key_reserved(k, klen),
                    out);
}

static int list(cairn_store *s, const char *what, const char *prefix, bool raw,
                cairn_iter **out)
{
    int rc;
    if ((rc = check_store(s, what)))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "%s: out is NULL", what);
    return cairn__list_iter(s, what, prefix, raw, out);
}

CAIRN_API int cairn_list(cairn_store *s, const char *prefix, cairn_iter **out)
{
    return list(s, "list", prefix, false, out);
}

CAIRN_API int cairn_list_raw(cairn_store *s, const char *prefix, cairn_iter **out)
{
    return list(s, "list_raw", prefix, true, out);
}

CAIRN_API int cairn_range(cairn_store *s, const char *start, const char *end,
                          uint64_t limit, cairn_iter **out)
{
    int rc;
    if ((rc = check_store(s, "range")))
        return rc;
    if (!out)
        return cairn__err(CAIRN_EINVAL, "range: out is NULL");
    size_t sl = start ? strlen(start) : 0, el = end ? strlen(end) : 0;
    if (sl > CAIRN_KEY_MAX + 1 || el > CAIRN_KEY_MAX + 1)
        return cairn__err(CAIRN_EINVAL, "range: bound longer than %d bytes", CAIRN_KEY_MAX);
    bool hide = !(start && strncmp(start, "_cairn", 6) == 0);
    return iter_new(s, start, sl, end, el, NULL, 0, limit, hide, out);
}

CAIRN_API int cairn_iter_next(cairn_iter *it, const char **key, size_t *key_len)
{
    if (!it)
        return cairn__err(CAIRN_EINVAL, "iter_next: iterator is NULL");
    if (it->err)
        return it->err;
    if (it->limit && it->yielded >= it->limit)
        return CAIRN_DONE;
    if (it->pos >= it->n) {
        if (it->done)
            return CAIRN_DONE;
        int rc = iter_fill(it);
        if (rc) {
            it->err = rc;
            return cairn__err_prefix(rc, "list");
        }
        if (it->n == 0)
            return CAIRN_DONE;
    }
    it->pos++;
    it->yielded++;
    iter_item *item = &it->items[it->pos - 1];
    if (key)
        *key = it->arena + item->koff;
    if (key_len)
        *key_len = item->klen;
    return CAIRN_OK;
}

CAIRN_API int cairn_iter_meta(cairn_iter *it, cairn_meta *meta)
{
    if (!it || !meta || it->pos == 0)
        return cairn__err(CAIRN_EINVAL, "iter_meta: no current key");
    iter_item *item = &it->items[it->pos - 1];
    const char *key = it->arena + item->koff;
    int rc = cairn__rec_decode_key(it->arena + item->hoff, item->hlen, false, key, item->klen,
                                   &it->cur);
    if (rc)
        return cairn__err_prefix(rc, "list %s", key);
    *meta = it->cur.meta;
    return CAIRN_OK;
}

CAIRN_API void cairn_iter_free(cairn_iter *it)
{
    if (!it)
        return;
    free(it->lo);
    free(it->next);
    free(it->hi);
    free(it->prefix);
    free(it->arena);
    free(it);
}
