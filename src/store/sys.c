/*
 * sys.c — the library's own records under "_cairn/" (the model registry
 * writes there through cairn__sys_write).
 */
#include "store/front.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The library's own records                                           */
/* ------------------------------------------------------------------ */

int cairn__sys_write(cairn_store *s, cairn__sys_op *ops, size_t n)
{
    if (n == 0)
        return CAIRN_OK;
    wctx *cs = calloc(n, sizeof *cs);
    cairn__incr_arg *ia = calloc(n, sizeof *ia);
    int rc = CAIRN_OK;
    if (!cs || !ia) {
        rc = cairn__err(CAIRN_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        size_t klen = strlen(ops[i].key);
        switch (ops[i].kind) {
        case CAIRN__SYS_CREATE:
            cairn__wctx_init(&cs[i], s, OP_PUT, ops[i].key, klen, NULL);
            cs[i].val = ops[i].val;
            cs[i].len = ops[i].len;
            break;
        case CAIRN__SYS_DELETE:
            cairn__wctx_init(&cs[i], s, OP_DELETE, ops[i].key, klen, NULL);
            break;
        case CAIRN__SYS_BUMP:
            cairn__wctx_init(&cs[i], s, OP_UPDATE, ops[i].key, klen, NULL);
            ia[i].by = 1;
            cs[i].ufn = cairn__incr_fn;
            cs[i].uarg = &ia[i];
            break;
        }
    }
    rc = cairn__run_batch(s, cs, n);
    for (size_t i = 0; i < n && !rc; i++)
        ops[i].status = cs[i].status;
out:
    for (size_t i = 0; cs && i < n; i++)
        free(cs[i].buf);
    free(cs);
    free(ia);
    return rc;
}

static int version_cb(void *ctx, const void *rec, size_t len)
{
    cairn__rec r;
    int rc = cairn__rec_decode(rec, len, false, &r);
    if (rc == CAIRN_OK)
        *(uint64_t *)ctx = r.meta.version;
    return rc;
}

int cairn__sys_version(cairn_store *s, const char *key, uint64_t *version)
{
    uint64_t v = 0;
    int rc = s->m->get(s->be, key, strlen(key), version_cb, &v);
    if (rc > 0)
        rc = CAIRN_EIO;
    if (rc && rc != CAIRN_ENOTFOUND)
        return rc;
    *version = v;
    return CAIRN_OK;
}
