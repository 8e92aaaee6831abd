/*
 * canon.c — fuzz the canonical JSON form (src/model/canon.c). The input is
 * one document, or two separated by a NUL byte (which JSON never holds).
 * Each: the canonical form is accepted exactly when jd_parse accepts the
 * text and it holds no number beyond a double; it is JSON, equal to the
 * input (jd_equal) and its own canonical form. Two: equal canonical forms
 * and equal hashes go together, and agree with cairn__json_equal (when
 * jansson reads both) except where that compares an integer beyond 2^53
 * with a fraction as doubles (canonical forms keep the integer exact).
 */
#include "common.h"

#include "all.h"

#include <math.h>
#include <string.h>

/* Does v hold a number beyond a double (refused by the canon)? Or an
 * integer (no fraction, no exponent) beyond +-2^53? */
static void scan(const jd_node *v, bool *inf, bool *big)
{
    if (v->type == JD_ARR || v->type == JD_OBJ) {
        for (uint32_t i = 0; i < v->n; i++)
            scan(&v->u.kids[i], inf, big);
        return;
    }
    if (v->type != JD_NUM)
        return;
    bool plain = !memchr(v->u.s, '.', v->n) && !memchr(v->u.s, 'e', v->n) &&
                 !memchr(v->u.s, 'E', v->n);
    if (!plain && !isfinite(v->d))
        *inf = true;
    if (plain && (!v->is_int || v->i > (1ll << 53) || v->i < -(1ll << 53)))
        *big = true;
}

typedef struct {
    int rc;
    char *c;
    size_t clen;
    uint8_t h[16];
    bool big;
} one;

static void check_one(const char *buf, size_t size, one *r)
{
    jd_arena a;
    jd_arena_init(&a, NULL, 0);
    jd_node *root = NULL, *again = NULL;
    int prc = jd_parse(&a, buf, size, &root);
    bool inf = false;
    r->big = false;
    if (prc == CAIRN_OK)
        scan(root, &inf, &r->big);
    r->c = NULL;
    r->rc = cairn__json_canon(buf, size, &r->c, &r->clen);
    int want = prc != CAIRN_OK ? prc : inf ? CAIRN_EFORMAT : CAIRN_OK;
    FUZZ_CHECK(r->rc == want, "canon says %d, expected %d (%s)", r->rc, want, cairn_errmsg());
    int hrc = cairn__json_hash(buf, size, r->h);
    FUZZ_CHECK(hrc == r->rc, "hash says %d, canon %d", hrc, r->rc);
    if (r->rc == CAIRN_OK) {
        FUZZ_CHECK(cairn__json_check(r->c, r->clen) == CAIRN_OK, "canonical form not JSON: %s",
                   r->c);
        FUZZ_CHECK(jd_parse(&a, r->c, r->clen, &again) == CAIRN_OK, "canonical form refused");
        FUZZ_CHECK(jd_equal(root, again), "canonical form %s is another value", r->c);
        char *c2 = NULL;
        size_t l2 = 0;
        FUZZ_CHECK(cairn__json_canon(r->c, r->clen, &c2, &l2) == CAIRN_OK, "canon of canon");
        FUZZ_CHECK(l2 == r->clen && !memcmp(c2, r->c, l2), "not idempotent: %s then %s", r->c,
                   c2);
        free(c2);
    }
    jd_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_copy(data, size);
    const char *nul = memchr(buf, '\0', size);
    size_t na = nul ? (size_t)(nul - buf) : size;
    one a, b;
    check_one(buf, na, &a);
    if (nul) {
        /* The second document in an exact-size copy of its own. */
        size_t nb = size - na - 1;
        char *sb = fuzz_copy((const uint8_t *)buf + na + 1, nb);
        check_one(sb, nb, &b);
        if (a.rc == CAIRN_OK && b.rc == CAIRN_OK) {
            bool same = a.clen == b.clen && !memcmp(a.c, b.c, a.clen);
            FUZZ_CHECK(same == !memcmp(a.h, b.h, 16), "canon %s / %s but hashes %s", a.c, b.c,
                       same ? "differ" : "agree");
            bool eq = false;
            if (cairn__json_equal(buf, na, sb, nb, &eq) == CAIRN_OK) {
                FUZZ_CHECK(!same || eq, "same canon %s, but json_equal says different", a.c);
                FUZZ_CHECK(same || !eq || a.big || b.big,
                           "json_equal says equal, canon %s / %s", a.c, b.c);
            }
        }
        free(b.c);
        free(sb);
    }
    free(a.c);
    free(buf);
    return 0;
}
