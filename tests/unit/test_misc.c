/*
 * test_misc.c — store URL splitting, status names for every code, and the
 * per-thread error detail behind cairn_errmsg().
 */
#include "unit.h"
#include "all.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static void expect_split(const char *url, const char *scheme, const char *loc)
{
    char s[CAIRN__SCHEME_MAX + 1];
    const char *l = NULL;
    int rc = cairn__url_split(url, s, &l);
    if (rc)
        fail_msg("url_split(%s): %s", url, cairn_errmsg());
    if (strcmp(s, scheme) || strcmp(l, loc))
        fail_msg("url_split(%s) = (%s, %s), expected (%s, %s)", url, s, l, scheme, loc);
}

static void url_split(void **state)
{
    (void)state;
    expect_split("mem:", "mem", "");
    expect_split("mem:name", "mem", "name");
    expect_split("file:/tmp/x", "file", "/tmp/x");
    expect_split("file:///tmp/x", "file", "/tmp/x");
    expect_split("file:rel/dir", "file", "rel/dir");
    expect_split("sqlite:/tmp/db.sqlite", "sqlite", "/tmp/db.sqlite");
    expect_split("sqlite:///tmp/db.sqlite", "sqlite", "/tmp/db.sqlite");
    expect_split("lmdb:/tmp/env", "lmdb", "/tmp/env");
    expect_split("lmdb://tmp/env", "lmdb", "tmp/env");
    expect_split("SQLite:x.db", "sqlite", "x.db"); /* schemes are case-insensitive */
    expect_split("LMDB:/d", "lmdb", "/d");
    /* network URLs keep their authority */
    expect_split("redis://localhost:6379/0", "redis", "//localhost:6379/0");
    expect_split("redis://:pw@h:1/2?prefix=app:", "redis", "//:pw@h:1/2?prefix=app:");
    expect_split("postgres://u@h/db", "postgres", "//u@h/db");
    expect_split("postgresql://u@h/db", "postgresql", "//u@h/db");
    expect_split("x+y.z-1:loc", "x+y.z-1", "loc");
    /* no scheme: a path for the file backend */
    expect_split("/tmp/x", "file", "/tmp/x");
    expect_split("./data", "file", "./data");
    expect_split("data", "file", "data");
    expect_split("cairn-data", "file", "cairn-data");
    expect_split("c:/x", "file", "c:/x");         /* one letter: a drive, not a scheme */
    expect_split("dir/a:b", "file", "dir/a:b");   /* colon after a slash */
    expect_split("1ab:x", "file", "1ab:x");       /* schemes start with a letter */
    expect_split("a b:x", "file", "a b:x");
    expect_split(":x", "file", ":x");
    expect_split("abcdefghijklmnopqrstuvwxyzabcdef:x", "file",
                 "abcdefghijklmnopqrstuvwxyzabcdef:x"); /* 32 chars: too long */
    expect_split("abcdefghijklmnopqrstuvwxyzabcde:x", "abcdefghijklmnopqrstuvwxyzabcde",
                 "x"); /* 31 chars */

    char s[CAIRN__SCHEME_MAX + 1];
    const char *l;
    assert_rc(cairn__url_split("", s, &l), CAIRN_EURL);
    assert_errmsg_has("empty");
    assert_rc(cairn__url_split(NULL, s, &l), CAIRN_EURL);
}

static void expect_redact_pg(const char *url, const char *want)
{
    char buf[256];
    const char *got = cairn_url_redact(url, buf, sizeof buf);
    assert_ptr_equal(got, buf);
    assert_string_equal(got, want);
}

/* Passwords never reach a message: userinfo and password= parameters. */
static void url_redact_pg(void **state)
{
    (void)state;
    expect_redact_pg("postgres://u:s3cret@h:5432/db?table=t", "postgres://u:***@h:5432/db?table=t");
    expect_redact_pg("redis://:pw@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0");
    expect_redact_pg("postgres://u@h/db", "postgres://u@h/db");
    expect_redact_pg("postgres://h/db?password=abc&table=t", "postgres://h/db?password=***&table=t");
    expect_redact_pg("postgres://u:a@b@h/db", "postgres://u:***@h/db"); /* last '@' ends it */
    expect_redact_pg("postgres://h/db?table=t&password=x", "postgres://h/db?table=t&password=***");
    expect_redact_pg("postgres://h/db?xpassword=1", "postgres://h/db?xpassword=1");
    expect_redact_pg("sqlite:/tmp/a:b@c", "sqlite:/tmp/a:b@c"); /* no authority: a path */
    expect_redact_pg("/data/store", "/data/store");
    expect_redact_pg(NULL, "(null)");
    char small[12];
    assert_string_equal(cairn_url_redact("postgres://u:secret@h/db", small, sizeof small),
                        "postgres://");
    assert_string_equal(cairn_url_redact("postgres://u:secret@h/db", NULL, 0), "");
    char one[1];
    assert_string_equal(cairn_url_redact("x", one, 1), "");
}

static void strerror_every_code(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *text;
    } table[] = {
#define ROW(name, code, text) {code, text},
        CAIRN_STATUS_MAP(ROW)
#undef ROW
    };
    size_t n = sizeof table / sizeof *table;
    assert_int_equal(n, 21); /* OK, SKIPPED, DONE and 18 errors */
    for (size_t i = 0; i < n; i++) {
        const char *t = cairn_strerror(table[i].code);
        assert_non_null(t);
        assert_string_equal(t, table[i].text);
        assert_true(strlen(t) > 0);
        assert_string_not_equal(t, "unknown status");
        for (size_t j = 0; j < i; j++) {
            assert_int_not_equal(table[i].code, table[j].code);
            assert_string_not_equal(t, table[j].text);
        }
    }
    /* the codes the API documents, by name */
    assert_string_equal(cairn_strerror(CAIRN_OK), "success");
    assert_string_equal(cairn_strerror(CAIRN_ENOTFOUND), "not found");
    assert_string_equal(cairn_strerror(CAIRN_EEXISTS), "already exists");
    assert_int_equal(CAIRN_OK, 0);
    assert_true(CAIRN_SKIPPED > 0 && CAIRN_DONE > 0);
    assert_true(CAIRN_ECANCELED > CAIRN__STATUS_LAST);
    int unknown[] = {3, 100, -19, -1000, CAIRN__STATUS_LAST, (int)0x80000000};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++)
        assert_string_equal(cairn_strerror(unknown[i]), "unknown status");
}

typedef struct {
    const char *text;
    char seen_before[64];
    char seen_after[256];
} thr_arg;

static void *thr_main(void *p)
{
    thr_arg *a = p;
    snprintf(a->seen_before, sizeof a->seen_before, "%s", cairn_errmsg());
    cairn__err(CAIRN_EIO, "thread says %s", a->text);
    /* a failing public call sets this thread's message */
    char buf[CAIRN_KEY_MAX + 1];
    cairn_key_normalize(a->text, buf, NULL);
    snprintf(a->seen_after, sizeof a->seen_after, "%s", cairn_errmsg());
    return NULL;
}

static void errmsg_per_thread(void **state)
{
    (void)state;
    assert_non_null(cairn_errmsg());
    assert_rc(cairn__err(CAIRN_EKEY, "main %d", 42), CAIRN_EKEY);
    assert_string_equal(cairn_errmsg(), "main 42");

    thr_arg args[4] = {{"a\\1", "", ""}, {"b/../x", "", ""}, {"", "", ""}, {"\x7F", "", ""}};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thr_main, &args[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        assert_string_equal(args[i].seen_before, ""); /* a new thread starts clean */
    assert_non_null(strstr(args[0].seen_after, "backslash"));
    assert_non_null(strstr(args[1].seen_after, "'..'"));
    assert_non_null(strstr(args[2].seen_after, "empty"));
    assert_non_null(strstr(args[3].seen_after, "0x7F"));
    /* the other threads did not touch this thread's message */
    assert_string_equal(cairn_errmsg(), "main 42");

    /* prefixing keeps the detail; clearing empties it */
    cairn__err(CAIRN_EEXISTS, "already exists (version 3)");
    cairn__err_prefix(CAIRN_EEXISTS, "put runs/%d", 1);
    assert_string_equal(cairn_errmsg(), "put runs/1: already exists (version 3)");
    cairn__err_clear();
    cairn__err_prefix(CAIRN_ENOTFOUND, "get %s", "k");
    assert_string_equal(cairn_errmsg(), "get k: not found");
    cairn__err_clear();
    assert_string_equal(cairn_errmsg(), "");
    /* a very long message is cut, not overflowed */
    char big[9000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cairn__err(CAIRN_EIO, "%s", big);
    cairn__err_prefix(CAIRN_EIO, "%s", big);
    assert_true(strlen(cairn_errmsg()) < sizeof big);
    /* the public helper for backend authors */
    assert_rc(cairn_backend_error(CAIRN_EBUSY, "lock %s", "x"), CAIRN_EBUSY);
    assert_string_equal(cairn_errmsg(), "lock x");
}

static void errno_mapping(void **state)
{
    (void)state;
    assert_int_equal(cairn__errno_status(ENOMEM), CAIRN_ENOMEM);
    assert_int_equal(cairn__errno_status(ENOSPC), CAIRN_EFULL);
    assert_int_equal(cairn__errno_status(EDQUOT), CAIRN_EFULL);
    assert_int_equal(cairn__errno_status(EAGAIN), CAIRN_EBUSY);
    assert_int_equal(cairn__errno_status(ENOENT), CAIRN_ENOTFOUND);
    assert_int_equal(cairn__errno_status(EIO), CAIRN_EIO);
    assert_int_equal(cairn__errno_status(EACCES), CAIRN_EIO);
    assert_true(cairn_now_ms() > 1600000000000); /* after Sep 2020 */
}

static void expect_redact(const char *url, const char *want)
{
    char buf[256];
    const char *got = cairn_url_redact(url, buf, sizeof buf);
    if (strcmp(got, want) != 0)
        fail_msg("url_redact(%s) = %s, expected %s", url, got, want);
}

static void url_redact(void **state)
{
    (void)state;
    expect_redact("redis://:s3cret@h:1/0", "redis://:***@h:1/0");
    expect_redact("redis://user:s3cret@h:1/0?prefix=a:", "redis://user:***@h:1/0?prefix=a:");
    expect_redact("redis://s3cret@h", "redis://***@h"); /* redis-cli reads it as a password */
    expect_redact("REDIS://a@b:c@h:1", "REDIS://a@b:***@h:1"); /* the last @ ends it */
    expect_redact("redis://h:1/0", "redis://h:1/0");
    expect_redact("postgres://bob@h/db", "postgres://bob@h/db"); /* a user is no secret */
    expect_redact("postgres://bob:pw@h/db?password=x&sslmode=require",
                  "postgres://bob:***@h/db?password=***&sslmode=require");
    expect_redact("postgres:host=h password='it\\'s x' user=u",
                  "postgres:host=h password=*** user=u");
    expect_redact("postgres:host=h password=abc user=u", "postgres:host=h password=*** user=u");
    /* a malformed quote hides up to the next separator (found by fuzzing) */
    expect_redact("postgres:host=h password='a'b' user=u", "postgres:host=h password=*** user=u");
    expect_redact("file:/tmp/a@b:c", "file:/tmp/a@b:c"); /* paths are left alone */
    expect_redact("/data/x", "/data/x");
    expect_redact(NULL, "(null)");
    char small[8];
    assert_string_equal(cairn_url_redact("redis://:secretpw@h", small, sizeof small),
                        "redis:/"); /* truncated, never past the buffer */
}

const tr_case unit_misc_cases[] = {
    TR_CASE(url_split, TR_NONE, 0),
    TR_CASE(url_redact, TR_NONE, 0),
    TR_CASE(url_redact_pg, TR_NONE, 0),
    TR_CASE(strerror_every_code, TR_NONE, 0),
    TR_CASE(errmsg_per_thread, TR_NONE, 0),
    TR_CASE(errno_mapping, TR_NONE, 0),
};
const size_t unit_misc_ncases = UNIT_NCASES(unit_misc_cases);
