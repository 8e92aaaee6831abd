/*
 * file_safety.c — conformance: what the file backend does with a store
 * folder someone else has touched: a store copied into one of its folders,
 * symbolic links planted to lead out of it, FIFOs where a record or a temp
 * belongs, a store folder that cannot be made. Other backends skip these.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* The fixture's store folder (file:DIR/store), or skip on another backend. */
static const char *file_root(cf_fx *fx, const char *why)
{
    if (strcmp(cf_be->name, "file") != 0)
        tr_skip("%s", why);
    return strchr(fx->url, ':') + 1;
}

/* Is there anything (a link too) at dir/rel? */
static bool exists(const char *dir, const char *rel)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s%s%s", dir, *rel ? "/" : "", rel);
    struct stat st;
    return lstat(p, &st) == 0;
}

/* ---- a store inside a folder of another (issue 15, defect 2) ---- */

static const char *const only_top[] = {"top", "x/y", NULL};

/* A store copied into a folder of this one (cp -a data STORE/data) is not
 * part of this one: its records and its _cairn/ registry are never listed,
 * counted, read, overwritten or deleted through this store. */
static void file_nested_store(void **state)
{
    cf_fx *fx = FX(state);
    const char *root = file_root(fx, "a store inside another's folder is a file-backend matter");
    cairn_store *s = fx->s;
    assert_ok(cf_put(s, "top", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(s, "x/y", "2", CAIRN_FAIL_IF_EXISTS));

    /* the inner stores: one at the top, one deeper, each with a model */
    const char *inner[] = {"data", "x/deep"};
    for (int i = 0; i < 2; i++) {
        char url[PATH_MAX + 32];
        snprintf(url, sizeof url, "file:%s/%s", root, inner[i]);
        cairn_store *t = NULL;
        assert_ok(cairn_store_open(url, NULL, &t));
        assert_ok(cf_put(t, "k1", "\"inner\"", CAIRN_FAIL_IF_EXISTS));
        assert_ok(cf_put(t, "m/k2", "\"inner\"", CAIRN_FAIL_IF_EXISTS));
        const char *schema = "{\"type\":\"object\"}";
        assert_ok(cairn_model_register(t, "Person", schema, strlen(schema), 0, NULL));
        cairn_store_close(t);
    }

    /* listings see this store's keys only */
    size_t n = 0;
    char *got = cf_list(s, NULL, &n);
    cf_expect_keys(got, only_top);
    free(got);
    got = cf_list(s, "data", &n);
    assert_int_equal(n, 0);
    free(got);
    uint64_t c = 0;
    assert_ok(cairn_count(s, "", &c));
    assert_int_equal(c, 2);
    cairn_iter *it = NULL;
    assert_ok(cairn_range(s, "d", "z", 0, &it));
    got = cf_drain(it, &n); /* frees it */
    assert_int_equal(n, 2); /* top, x/y */
    free(got);

    /* no key reaches into them */
    cairn_value *v = NULL;
    assert_rc(cairn_get(s, "data/k1", &v), CAIRN_EKEY);
    assert_errmsg_has("another cairn store");
    assert_rc(cairn_get(s, "x/deep/m/k2", &v), CAIRN_EKEY);
    assert_rc(cf_put(s, "data/k1", "3", CAIRN_OVERWRITE), CAIRN_EKEY);
    assert_rc(cf_put(s, "data/new/k", "3", CAIRN_FAIL_IF_EXISTS), CAIRN_EKEY);
    assert_rc(cairn_delete(s, "data/k1"), CAIRN_EKEY);
    uint64_t gone = 99;
    assert_ok(cairn_delete_prefix(s, "data", &gone));
    assert_int_equal(gone, 0);
    assert_ok(cairn_delete_prefix(s, "x", &gone));
    assert_int_equal(gone, 1); /* x/y, not x/deep's records */
    assert_false(exists(root, "data/new"));

    /* and they are whole */
    for (int i = 0; i < 2; i++) {
        char url[PATH_MAX + 32];
        snprintf(url, sizeof url, "file:%s/%s", root, inner[i]);
        cairn_options o = {.must_exist = 1};
        cairn_store *t = NULL;
        assert_ok(cairn_store_open(url, &o, &t));
        cf_expect_str(t, "k1", "\"inner\"");
        cf_expect_str(t, "m/k2", "\"inner\"");
        char ref[CAIRN_MODEL_MAX + 1];
        assert_ok(cairn_model_resolve(t, "Person", ref));
        cairn_store_close(t);
    }
}

/* ---- FIFOs (defect 13) ---- */

/* A FIFO where a record belongs: get and put refuse it at once (the case's
 * timeout catches a hang), the FIFO stays, and the key's lock stripe is
 * free afterwards. */
static void file_fifo_record(void **state)
{
    cf_fx *fx = FX(state);
    const char *root = file_root(fx, "FIFOs in the store folder are a file-backend matter");
    cairn_store *s = fx->s;
    assert_ok(cf_put(s, "q/a", "1", CAIRN_FAIL_IF_EXISTS));
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/q/a.rec", root);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mkfifo(p, 0666), 0);
    snprintf(p, sizeof p, "%s/q/b.rec", root);
    assert_int_equal(mkfifo(p, 0666), 0);

    cairn_value *v = NULL;
    assert_rc(cairn_get(s, "q/a", &v), CAIRN_ECORRUPT);
    assert_errmsg_has("not a regular file");
    assert_errmsg_has("FIFO");
    assert_rc(cairn_exists(s, "q/b"), CAIRN_ECORRUPT);
    assert_rc(cf_put(s, "q/a", "2", CAIRN_OVERWRITE), CAIRN_ECORRUPT);
    assert_rc(cf_put(s, "q/b", "2", CAIRN_FAIL_IF_EXISTS), CAIRN_ECORRUPT);
    assert_rc(cairn_delete(s, "q/a"), CAIRN_ECORRUPT);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));

    /* listings pass them by */
    size_t n = 9;
    free(cf_list(s, "q", &n));
    assert_int_equal(n, 0);

    /* the stripes were let go: another handle (another lock owner) with no
     * patience writes the keys once the FIFOs are gone */
    unlink(p);
    snprintf(p, sizeof p, "%s/q/a.rec", root);
    unlink(p);
    cairn_options o = {.busy_timeout_ms = 1};
    cairn_store *t = NULL;
    assert_ok(cairn_store_open(fx->url, &o, &t));
    assert_ok(cf_put(t, "q/a", "3", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cf_put(t, "q/b", "3", CAIRN_FAIL_IF_EXISTS));
    cairn_store_close(t);
    cf_expect_str(s, "q/b", "3");
}

/* A FIFO at a key's temp name (DIR/folder/.t<hash>.tmp): a write that takes
 * the named way (an overwrite, a batch) refuses it instead of blocking. */
static void file_fifo_temp(void **state)
{
    cf_fx *fx = FX(state);
    const char *root = file_root(fx, "FIFOs in the store folder are a file-backend matter");
    cairn_store *s = fx->s;
    assert_ok(cf_put(s, "w/k", "1", CAIRN_FAIL_IF_EXISTS));
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/w/.t%016llx.tmp", root,
             (unsigned long long)cairn__hash("w/k", 3));
    assert_int_equal(mkfifo(p, 0666), 0);
    assert_rc(cf_put(s, "w/k", "2", CAIRN_OVERWRITE), CAIRN_ECORRUPT);
    assert_errmsg_has("not a regular file");
    cairn_put_item items[] = {{"w/other", "6", 1, 0}, {"w/k", "5", 1, 0}};
    cairn_put_opts o = {.behavior = CAIRN_OVERWRITE};
    assert_rc(cairn_put_many(s, items, 2, &o), CAIRN_ECORRUPT);
    cf_expect_str(s, "w/k", "1"); /* unchanged */
    assert_rc(cairn_exists(s, "w/other"), CAIRN_ENOTFOUND);

    /* a regular file there is a killed writer's leftover: replaced */
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0666);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "junk", 4), 4);
    close(fd);
    assert_ok(cf_put(s, "w/k", "7", CAIRN_OVERWRITE));
    cf_expect_str(s, "w/k", "7");
    assert_false(exists(p, ""));
}

/* ---- symbolic links (defect 14) ---- */

/* One round of the link attacks, through openat2 or through the walk. */
static void link_round(cf_fx *fx, const char *other, bool walk)
{
    cairn__file_openat2 = walk ? 0 : 1;
    cairn_store *s = fx->s;
    cairn_value *v = NULL;
    /* a folder link to the other store */
    assert_rc(cairn_get(s, "evil/secret", &v), CAIRN_ECORRUPT);
    assert_errmsg_has("refusing a symbolic link");
    assert_errmsg_has("/evil");
    assert_rc(cairn_exists(s, "evil/secret"), CAIRN_ECORRUPT);
    assert_rc(cf_put(s, "evil/planted", "1", CAIRN_FAIL_IF_EXISTS), CAIRN_ECORRUPT);
    assert_errmsg_has("refusing a symbolic link");
    assert_rc(cf_put(s, "evil/deeper/planted", "1", CAIRN_FAIL_IF_EXISTS), CAIRN_ECORRUPT);
    assert_rc(cf_put(s, "evil/secret", "1", CAIRN_OVERWRITE), CAIRN_ECORRUPT);
    assert_rc(cairn_delete(s, "evil/secret"), CAIRN_ECORRUPT);
    /* a link deeper down, below a real folder */
    assert_rc(cairn_get(s, "real/lnk/secret", &v), CAIRN_ECORRUPT);
    assert_rc(cf_put(s, "real/lnk/planted", "1", CAIRN_FAIL_IF_EXISTS), CAIRN_ECORRUPT);
    /* a record that is a link */
    assert_rc(cairn_get(s, "lrec", &v), CAIRN_ECORRUPT);
    assert_errmsg_has("refusing a symbolic link");
    assert_rc(cf_put(s, "lrec", "1", CAIRN_OVERWRITE), CAIRN_ECORRUPT);
    /* nothing landed in the other store, nothing left it */
    assert_false(exists(other, "x/planted.rec"));
    assert_false(exists(other, "x/deeper"));
    assert_true(exists(other, "x/secret.rec"));
    /* listings do not follow them */
    size_t n = 0;
    char *got = cf_list(s, NULL, &n);
    static const char *const want[] = {"real/k", NULL};
    cf_expect_keys(got, want);
    free(got);
    /* the store's own keys work as before */
    assert_ok(cf_put(s, walk ? "real/w" : "real/o", "1", CAIRN_FAIL_IF_EXISTS));
    assert_ok(cairn_delete(s, walk ? "real/w" : "real/o"));
}

/* Links planted in a store never lead out of it: get, put and delete
 * through a linked folder or of a linked record are refused with
 * "refusing a symbolic link" (CAIRN_ECORRUPT: cairn never makes one), the
 * store the link points to is untouched, listings do not descend, and a
 * link at .cairn/locks makes no file elsewhere. Through openat2 and through
 * the walk that replaces it on older kernels. */
static void file_symlink_escape(void **state)
{
    cf_fx *fx = FX(state);
    const char *root = file_root(fx, "links in the store folder are a file-backend matter");
    char other[PATH_MAX + 16], url[PATH_MAX + 64], p[PATH_MAX * 2], t[PATH_MAX * 2];
    snprintf(other, sizeof other, "%s/other", fx->dir);
    snprintf(url, sizeof url, "file:%s", other);
    cairn_store *o = NULL;
    assert_ok(cairn_store_open(url, NULL, &o));
    assert_ok(cf_put(o, "x/secret", "\"s3cret\"", CAIRN_FAIL_IF_EXISTS));
    cairn_store_close(o);
    assert_ok(cf_put(fx->s, "real/k", "1", CAIRN_FAIL_IF_EXISTS));
    snprintf(t, sizeof t, "%s/x", other);
    snprintf(p, sizeof p, "%s/evil", root);
    assert_int_equal(symlink(t, p), 0);
    snprintf(p, sizeof p, "%s/real/lnk", root);
    assert_int_equal(symlink(t, p), 0);
    snprintf(t, sizeof t, "%s/x/secret.rec", other);
    snprintf(p, sizeof p, "%s/lrec.rec", root);
    assert_int_equal(symlink(t, p), 0);

    link_round(fx, other, false);
    link_round(fx, other, true);

    /* a link at .cairn/locks: reads work, writes are refused, and no file
     * appears where it points */
    for (int walk = 0; walk < 2; walk++) {
        cairn__file_openat2 = walk ? 0 : 1;
        char store2[PATH_MAX + 16], out[PATH_MAX + 16];
        snprintf(store2, sizeof store2, "%s/locked%d", fx->dir, walk);
        snprintf(out, sizeof out, "%s/outside%d", fx->dir, walk);
        snprintf(p, sizeof p, "%s/.cairn", store2);
        assert_int_equal(mkdir(store2, 0777), 0);
        assert_int_equal(mkdir(p, 0777), 0);
        snprintf(p, sizeof p, "%s/.cairn/locks", store2);
        assert_int_equal(symlink(out, p), 0);
        snprintf(url, sizeof url, "file:%s", store2);
        cairn_store *s2 = NULL;
        assert_ok(cairn_store_open(url, NULL, &s2));
        assert_rc(cairn_exists(s2, "k"), CAIRN_ENOTFOUND);
        assert_rc(cf_put(s2, "k", "1", CAIRN_FAIL_IF_EXISTS), CAIRN_ECORRUPT);
        assert_errmsg_has("refusing a symbolic link");
        cairn_store_close(s2);
        assert_false(exists(out, ""));
    }
    cairn__file_openat2 = 1;
}

/* ---- a store folder that cannot be made (defect 19) ---- */

/* file:/proc/self/x cannot be made: that is an I/O error (exit 1 in the
 * CLI), never "not found" (exit 3, a missing key). */
static void file_cannot_make(void **state)
{
    cf_fx *fx = FX(state);
    (void)file_root(fx, "the store folder is a file-backend matter");
    const char *bad[] = {"file:/proc/self/x", "file:/proc/self/x/y", "file:/dev/null/x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cairn_store *t = NULL;
        assert_rc(cairn_store_open(bad[i], NULL, &t), CAIRN_EIO);
        assert_null(t);
        assert_errmsg_has(strchr(bad[i], ':') + 1);
        /* a read (nothing created) of it is "no cairn store" */
        cairn_options o = {.must_exist = 1};
        assert_rc(cairn_store_open(bad[i], &o, &t), CAIRN_ENOTFOUND);
        assert_errmsg_has("no cairn store at");
    }
}

const tr_case cf_file_safety_cases[] = {
    TR_CASE(file_nested_store, TR_NONE, 0),
    TR_CASE(file_fifo_record, TR_NONE, 20),
    TR_CASE(file_fifo_temp, TR_NONE, 20),
    TR_CASE(file_symlink_escape, TR_NONE, 0),
    TR_CASE(file_cannot_make, TR_NONE, 0),
};
const size_t cf_file_safety_ncases = CF_NCASES(cf_file_safety_cases);
