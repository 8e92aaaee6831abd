/*
 * test_misc.c — store URL splitting, the server URL parser and what the
 * redis and postgres backends take from it, status texts and names for
 * every code, the per-thread error detail behind cairn_errmsg(), and the
 * conventions of cairn/common.h: version, cairn_free, option structs read
 * by their struct_size, and the names kept for one release after a rename.
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
    /* A password holding "?default_ttl=": the open's message shows the URL
     * as given, redacted, not what is left once the parameter is taken
     * out (that showed "redis://:s3cr"). */
    cairn_store *s = NULL;
    assert_int_not_equal(
        cairn_store_open("redis://:s3cr?default_ttl=1h@127.0.0.1:1/0", NULL, &s), CAIRN_OK);
    assert_null(s);
    if (strstr(cairn_errmsg(), "s3cr"))
        fail_msg("the password shows: %s", cairn_errmsg());
}

/* ---- the server URL parser (cairn__url_parse) ---- */

/* The message of the last failure: never the password. */
static void expect_no(const char *secret)
{
    if (strstr(cairn_errmsg(), secret))
        fail_msg("the message shows '%s': %s", secret, cairn_errmsg());
}

static void expect_url_error(const char *text, const char *says, const char *secret)
{
    cairn__url u;
    int rc = cairn__url_parse("test", text, &u);
    if (rc != CAIRN_EURL)
        fail_msg("url_parse(%s) = %d, expected CAIRN_EURL", text, rc);
    assert_errmsg_has("test: ");
    assert_errmsg_has(says);
    if (secret)
        expect_no(secret);
    cairn__url_free(&u); /* whatever the status */
    assert_null(u.user);
    assert_null(u.password);
    assert_null(u.host);
}

static void url_parse_parts(void **state)
{
    (void)state;
    cairn__url u;
    assert_ok(cairn__url_parse("test", "REDIS://bob:pw@db.example:6380/2?prefix=a:&pool=3#top",
                               &u));
    assert_string_equal(u.scheme, "redis");
    assert_string_equal(u.user, "bob");
    assert_string_equal(u.password, "pw");
    assert_string_equal(u.host, "db.example");
    assert_false(u.ipv6);
    assert_int_equal(u.port, 6380);
    assert_string_equal(u.path, "2");
    assert_int_equal(u.query_len, strlen("prefix=a:&pool=3"));
    assert_true(!strncmp(u.query, "prefix=a:&pool=3", u.query_len));
    assert_string_equal(u.fragment, "top");
    assert_false(u.at_after);
    /* the query, one parameter at a time */
    cairn__url_param q;
    size_t pos = 0;
    assert_int_equal(cairn__url_param_next(&u, &pos, &q), 1);
    assert_true(cairn__url_param_is(&q, "prefix"));
    assert_false(cairn__url_param_is(&q, "prefi"));
    assert_false(cairn__url_param_is(&q, "prefixx"));
    char *v = NULL;
    assert_ok(cairn__url_param_value(&u, &q, &v));
    assert_string_equal(v, "a:");
    free(v);
    assert_int_equal(cairn__url_param_next(&u, &pos, &q), 1);
    assert_true(cairn__url_param_is(&q, "pool"));
    assert_int_equal(q.value_len, 1);
    assert_int_equal(q.value[0], '3');
    assert_int_equal(cairn__url_param_next(&u, &pos, &q), 0);
    assert_int_equal(cairn__url_param_next(&u, &pos, &q), 0); /* stays at the end */
    cairn__url_free(&u);
    assert_null(u.host);
    assert_string_equal(u.who, "test");
    cairn__url_free(&u); /* twice is fine */
    cairn__url_free(NULL);

    /* a backend's location: no scheme; nothing but a host */
    assert_ok(cairn__url_parse("test", "//h", &u));
    assert_string_equal(u.scheme, "");
    assert_null(u.user);
    assert_null(u.password);
    assert_string_equal(u.host, "h");
    assert_int_equal(u.port, 0); /* missing port: the caller's default */
    assert_null(u.path);
    assert_null(u.query);
    assert_null(u.fragment);
    assert_int_equal(cairn__url_param_next(&u, &(size_t){0}, &q), 0);
    cairn__url_free(&u);

    /* a user alone, an empty password, an empty path and query */
    assert_ok(cairn__url_parse("test", "//bob@h/?", &u));
    assert_string_equal(u.user, "bob");
    assert_null(u.password);
    assert_string_equal(u.path, "");
    assert_non_null(u.query);
    assert_int_equal(u.query_len, 0);
    cairn__url_free(&u);
    assert_ok(cairn__url_parse("test", "//bob:@h", &u));
    assert_string_equal(u.user, "bob");
    assert_string_equal(u.password, "");
    cairn__url_free(&u);
    assert_ok(cairn__url_parse("test", "//:pw@h", &u));
    assert_string_equal(u.user, "");
    assert_string_equal(u.password, "pw");
    cairn__url_free(&u);

    /* the path and host are percent-decoded, the query is not */
    assert_ok(cairn__url_parse("test", "//my%2Dhost/d%2Fb?x=%41", &u));
    assert_string_equal(u.host, "my-host");
    assert_string_equal(u.path, "d/b");
    assert_true(!strncmp(u.query, "x=%41", u.query_len));
    pos = 0;
    assert_int_equal(cairn__url_param_next(&u, &pos, &q), 1);
    assert_ok(cairn__url_param_value(&u, &q, &v));
    assert_string_equal(v, "A");
    free(v);
    cairn__url_free(&u);

    /* empty pieces of a query are skipped; a piece without '=' is refused */
    assert_ok(cairn__url_parse("test", "//h?a=1&&b=&c&", &u));
    pos = 0;
    assert_int_equal(cairn__url_param_next(&u, &pos, &q), 1);
    assert_true(cairn__url_param_is(&q, "a"));
    assert_int_equal(cairn__url_param_next(&u, &pos, &q), 1);
    assert_true(cairn__url_param_is(&q, "b"));
    assert_int_equal(q.value_len, 0);
    assert_rc(cairn__url_param_next(&u, &pos, &q), CAIRN_EURL);
    assert_errmsg_has("'c' has no value");
    cairn__url_free(&u);
    /* a bad escape in a value names the parameter, not the value */
    assert_ok(cairn__url_parse("test", "//h?token=Zq7s%zz", &u));
    pos = 0;
    assert_int_equal(cairn__url_param_next(&u, &pos, &q), 1);
    v = (char *)"untouched";
    assert_rc(cairn__url_param_value(&u, &q, &v), CAIRN_EURL);
    assert_null(v);
    assert_errmsg_has("'token'");
    expect_no("Zq7s");
    cairn__url_free(&u);

    /* not a server URL */
    expect_url_error("redis:/tmp/x", "test://", NULL);
    expect_url_error("h:6379", "test://", NULL);
    expect_url_error("", "test://", NULL);
    expect_url_error("1x://h", "test://", NULL);
    assert_rc(cairn__url_parse("test", NULL, &u), CAIRN_EURL);
}

static void url_parse_ipv6(void **state)
{
    (void)state;
    cairn__url u;
    assert_ok(cairn__url_parse("test", "redis://:pw@[::1]:6380/1", &u));
    assert_string_equal(u.host, "::1");
    assert_true(u.ipv6);
    assert_int_equal(u.port, 6380);
    assert_string_equal(u.password, "pw");
    assert_string_equal(u.path, "1");
    cairn__url_free(&u);
    assert_ok(cairn__url_parse("test", "//[2001:db8::7]", &u));
    assert_string_equal(u.host, "2001:db8::7");
    assert_int_equal(u.port, 0);
    cairn__url_free(&u);
    /* a zone, percent-encoded as RFC 6874 writes it */
    assert_ok(cairn__url_parse("test", "//[fe80::1%25eth0]:5432/db", &u));
    assert_string_equal(u.host, "fe80::1%eth0");
    assert_int_equal(u.port, 5432);
    cairn__url_free(&u);
    assert_ok(cairn__url_parse("test", "//[::1]:/db", &u)); /* "]:" and no port */
    assert_int_equal(u.port, 0);
    cairn__url_free(&u);
    expect_url_error("//[::1", "unclosed '['", NULL);
    expect_url_error("//[::1/db]", "unclosed '['", NULL); /* the authority ends at '/' */
    expect_url_error("//[::1]x:1", "junk after ']'", NULL);
    expect_url_error("//[]:1", "empty IPv6", NULL);
    expect_url_error("//[::1]:99999", "bad port", NULL);
    /* without brackets the first ':' ends the host */
    expect_url_error("//::1:6379", "bad port", NULL);
}

static void url_parse_ports(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int port;
    } good[] = {{"//h:1", 1},       {"//h:6379", 6379}, {"//h:65535", 65535},
                {"//h:00080", 80},  {"//h:", 0},        {"//h", 0},
                {"//h:6379/", 6379}, {"//h:5?x=1", 5},  {"//h:7#f", 7}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        cairn__url u;
        if (cairn__url_parse("test", good[i].text, &u))
            fail_msg("url_parse(%s): %s", good[i].text, cairn_errmsg());
        if (u.port != good[i].port)
            fail_msg("url_parse(%s): port %d, expected %d", good[i].text, u.port,
                     good[i].port);
        assert_string_equal(u.host, "h");
        cairn__url_free(&u);
    }
    static const char *const bad[] = {"//h:0",      "//h:65536", "//h:99999", "//h:123456",
                                      "//h:12a",    "//h:-1",    "//h:+80",   "//h: 80",
                                      "//h:1:2",    "//h:0x50",  "//u:p@h:x", "//h:80 "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_url_error(bad[i], "bad port", NULL);
        expect_url_error(bad[i], "65535", NULL);
    }
    /* on failure the user information read first stays, for scrubbing */
    cairn__url u;
    assert_rc(cairn__url_parse("test", "//u:Zq7pw@h:0", &u), CAIRN_EURL);
    assert_string_equal(u.password, "Zq7pw");
    expect_no("Zq7pw");
    cairn__url_free(&u);
    /* a user without its password is never left: the redis backend would
     * read it as a lone password */
    assert_rc(cairn__url_parse("test", "//Zq7user:pw%zz@h", &u), CAIRN_EURL);
    assert_null(u.user);
    assert_null(u.password);
    cairn__url_free(&u);
    /* the port quoted, never what stands before the '@' */
    expect_url_error("//u:Zq7pw@h:12x", "'12x'", "Zq7pw");
}

static void url_parse_userinfo(void **state)
{
    (void)state;
    cairn__url u;
    /* percent-encoded: '@', ':', '/', '#', '%' and spaces in the password */
    assert_ok(cairn__url_parse("test", "//us%40er%3A1:p%40ss%3Aw%2Fo%23r%25d%20x@h:1", &u));
    assert_string_equal(u.user, "us@er:1");
    assert_string_equal(u.password, "p@ss:w/o#r%d x");
    assert_string_equal(u.host, "h");
    cairn__url_free(&u);
    /* raw: the last '@' ends the user information, the first ':' the user */
    assert_ok(cairn__url_parse("test", "//a@b:c:d@e@h:2", &u));
    assert_string_equal(u.user, "a@b");
    assert_string_equal(u.password, "c:d@e");
    assert_string_equal(u.host, "h");
    assert_int_equal(u.port, 2);
    cairn__url_free(&u);
    /* UTF-8 passes through */
    assert_ok(cairn__url_parse("test", "//:%C3%A9t%C3%A9@h", &u));
    assert_string_equal(u.password, "\xc3\xa9t\xc3\xa9");
    cairn__url_free(&u);
    /* bad escapes: named, never quoted */
    expect_url_error("//u:Zq7secret%zz@h", "user information", "Zq7secret");
    expect_url_error("//u:Zq7secret%4@h", "%XX", "Zq7secret");
    expect_url_error("//u:Zq7secret%00@h", "%00", "Zq7secret");
    expect_url_error("//Zq7user%g1:pw@h", "user information", "Zq7user");
    expect_url_error("//h%zz/db", "host", NULL);
    expect_url_error("//h/d%zzb", "path", NULL);
    /* a raw '/', '?' or '#' in a password ends the authority: what looks
     * like the port is a piece of the password, and is not quoted */
    expect_url_error("//u:Zq7/pw@h", "percent-encoded", "Zq7");
    expect_url_error("//u:Zq7?pw@h", "percent-encoded", "Zq7");
    expect_url_error("//u:Zq7#pw@h", "percent-encoded", "Zq7");
    assert_ok(cairn__url_parse("test", "//u:1#pw@h", &u)); /* ambiguous: taken as RFC 3986 */
    assert_true(u.at_after);
    assert_null(u.password);
    assert_string_equal(u.host, "u");
    cairn__url_free(&u);
}

static void url_parse_empty_host(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int port;
    } cases[] = {{"//", 0}, {"///db", 0}, {"//:6379", 6379}, {"//u:p@", 0},
                 {"//u:p@:1/x", 1}, {"//?a=b", 0}, {"//#f", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cairn__url u;
        if (cairn__url_parse("test", cases[i].text, &u))
            fail_msg("url_parse(%s): %s", cases[i].text, cairn_errmsg());
        assert_non_null(u.host);
        assert_string_equal(u.host, ""); /* the backend's default */
        assert_int_equal(u.port, cases[i].port);
        cairn__url_free(&u);
    }
}

/* What the parser reads as the password is what cairn_url_redact hides. */
static void url_parse_redact_agree(void **state)
{
    (void)state;
    static const char *const urls[] = {
        "redis://:Zq7pw@h:1/0",          "redis://u:Zq7pw@h",
        "postgres://u:Zq7p:w@h/db",      "postgres://u:Zq7@pw@h/db",
        "redis://u:Zq7%40pw@[::1]:2/0",  "postgres://u:Zq7pw@h?password=x",
        "rediss://:Zq7pw@h",             "postgresql://u:Zq7pw@",
    };
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        cairn__url u;
        char buf[256];
        if (cairn__url_parse("test", urls[i], &u))
            fail_msg("url_parse(%s): %s", urls[i], cairn_errmsg());
        assert_non_null(u.password);
        cairn_url_redact(urls[i], buf, sizeof buf);
        if (strstr(buf, "Zq7") || !strstr(buf, ":***@"))
            fail_msg("redact(%s) = %s", urls[i], buf);
        cairn__url_free(&u);
    }
    /* in a URL's query a password= value ends at '&' only */
    char buf[256];
    assert_string_equal(cairn_url_redact("postgres://h/db?password=a b#c&x=1", buf, sizeof buf),
                        "postgres://h/db?password=***&x=1");
    assert_string_equal(cairn_url_redact("postgres://h/db?password=Zq7 x", buf, sizeof buf),
                        "postgres://h/db?password=***");
}

/* What the server backends take from the parts (src/backend/parse.h). */
static void url_backends(void **state)
{
    (void)state;
    char *pw = NULL, label[700];
#ifdef CAIRN_HAVE_REDIS
    assert_ok(cairn__redis_parse_location("//[::1]:6380/3?prefix=p:", &pw, label, sizeof label));
    assert_string_equal(label, "redis [::1]:6380/3 prefix 'p:'");
    assert_null(pw);
    /* empty host and no port: the defaults */
    assert_ok(cairn__redis_parse_location("//", &pw, label, sizeof label));
    assert_string_equal(label, "redis 127.0.0.1:6379/0 prefix 'cairn:'");
    assert_ok(cairn__redis_parse_location("//:Zq7%3Apw@/", &pw, label, sizeof label));
    assert_string_equal(pw, "Zq7:pw");
    free(pw);
    /* a lone user part is the password (as redis-cli reads it) */
    assert_ok(cairn__redis_parse_location("//Zq7pw@h", &pw, label, sizeof label));
    assert_string_equal(pw, "Zq7pw");
    assert_null(strstr(label, "Zq7"));
    free(pw);
    /* "user:@host": no password in the URL */
    assert_ok(cairn__redis_parse_location("//u:@h", &pw, label, sizeof label));
    assert_null(pw);
    assert_rc(cairn__redis_parse_location("//h:0", &pw, label, sizeof label), CAIRN_EURL);
    assert_errmsg_has("redis: bad port");
    assert_string_equal(label, "");
    assert_rc(cairn__redis_parse_location("//u:Zq7/x@h", &pw, label, sizeof label), CAIRN_EURL);
    expect_no("Zq7");
    assert_rc(cairn__redis_parse_location("//h:1/x", &pw, label, sizeof label), CAIRN_EURL);
    assert_errmsg_has("database number 'x'");
    assert_rc(cairn__redis_parse_location("//h?colour=red", &pw, label, sizeof label),
              CAIRN_EURL);
    assert_errmsg_has("'colour'");
    assert_rc(cairn__redis_parse_location("//:Zq7@h?p=1&x=@", &pw, label, sizeof label),
              CAIRN_EURL); /* an '@' after the host: names nothing */
    free(pw);
#endif
#ifdef CAIRN_HAVE_POSTGRES
    assert_ok(cairn__postgres_parse_location("//u:Zq7%23pw@[::1]:5433/db?table=t", &pw, label,
                                             sizeof label));
    assert_string_equal(pw, "Zq7#pw");
    assert_string_equal(label, "u@[::1]:5433/db table \"t\"");
    free(pw);
    assert_ok(cairn__postgres_parse_location("///d%2Fb", &pw, label, sizeof label));
    assert_string_equal(label, "(default host)/d/b table \"cairn_records\"");
    assert_null(pw);
    /* the last password= is the one libpq uses */
    assert_ok(cairn__postgres_parse_location("//u:a@h/db?password=Zq7&password=b%26c", &pw,
                                             label, sizeof label));
    assert_string_equal(pw, "b&c");
    free(pw);
    /* libpq has no fragments: a '#' is refused, not cut off */
    assert_rc(cairn__postgres_parse_location("//u@h/db#x", &pw, label, sizeof label),
              CAIRN_EURL);
    assert_errmsg_has("%23");
    assert_rc(cairn__postgres_parse_location("//u:Zq7#pw@h/db", &pw, label, sizeof label),
              CAIRN_EURL);
    expect_no("Zq7");
    assert_rc(cairn__postgres_parse_location("//h:65536/db", &pw, label, sizeof label),
              CAIRN_EURL);
    assert_errmsg_has("postgres: bad port");
#endif
    (void)pw;
    (void)label;
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

static void status_name_every_code(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *name;
    } table[] = {
#define ROW(name, code, text) {code, "CAIRN_" #name},
        CAIRN_STATUS_MAP(ROW)
#undef ROW
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        assert_string_equal(cairn_status_name(table[i].code), table[i].name);
    assert_string_equal(cairn_status_name(CAIRN_ENOTFOUND), "CAIRN_ENOTFOUND");
    assert_string_equal(cairn_status_name(CAIRN_OK), "CAIRN_OK");
    assert_string_equal(cairn_status_name(CAIRN_ECANCELED), "CAIRN_ECANCELED");
    int unknown[] = {3, 100, -19, CAIRN__STATUS_LAST, (int)0x80000000};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++)
        assert_string_equal(cairn_status_name(unknown[i]), "CAIRN_UNKNOWN");
}

static void version_matches(void **state)
{
    (void)state;
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", CAIRN_VERSION_MAJOR, CAIRN_VERSION_MINOR,
             CAIRN_VERSION_PATCH);
    assert_string_equal(CAIRN_VERSION_STRING, want);
    assert_string_equal(cairn_version(), CAIRN_VERSION_STRING);
    assert_int_equal(cairn_version_number(), CAIRN_VERSION_NUMBER);
    assert_int_equal(CAIRN_VERSION_NUMBER, CAIRN_VERSION_MAJOR * 10000 +
                                               CAIRN_VERSION_MINOR * 100 + CAIRN_VERSION_PATCH);
}

static void free_library_buffers(void **state)
{
    (void)state;
    void *m = NULL;
    size_t ml = 0;
    assert_ok(cairn_convert("[1,2]", 5, CAIRN_FORMAT_JSON, CAIRN_FORMAT_MSGPACK, &m, &ml));
    assert_true(ml == 3);
    cairn_free(m);
    cairn_schema *sc = NULL;
    const char *schema = "{\"properties\":{\"a\":{\"default\":1}}}";
    assert_ok(cairn_schema_compile(schema, strlen(schema), NULL, &sc));
    char *out = NULL;
    size_t ol = 0;
    assert_ok(cairn_schema_fill_defaults(sc, "{}", 2, &out, &ol));
    assert_string_equal(out, "{\"a\":1}");
    cairn_free(out);
    cairn_schema_free(sc);
    cairn_free(NULL);
}

/* A caller's struct as a newer header would declare it: the library's
 * fields, then one it does not know. */
#define NEWER(type) \
    struct {        \
        type known; \
        uint64_t newer_field; \
    }

static void opts_read_by_size(void **state)
{
    (void)state;
    /* cairn_options: 0, sizeof, a newer struct whose new field is 0 or not */
    cairn_store *s = NULL;
    cairn_options o = {0};
    assert_ok(cairn_store_open("mem:", &o, &s));
    cairn_store_close(s);
    o.struct_size = sizeof o;
    assert_ok(cairn_store_open("mem:", &o, &s));
    cairn_store_close(s);
    NEWER(cairn_options) no;
    memset(&no, 0, sizeof no);
    no.known.struct_size = sizeof no;
    assert_ok(cairn_store_open("mem:", &no.known, &s));
    cairn_store_close(s);
    no.newer_field = 1;
    s = NULL;
    assert_rc(cairn_store_open("mem:", &no.known, &s), CAIRN_EUNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(cairn_errmsg(), "does not know"));
    o.struct_size = 1; /* smaller than the field itself */
    assert_rc(cairn_store_open("mem:", &o, &s), CAIRN_EINVAL);
    /* A field a later release puts where this one has `reserved` (what
     * was tail padding: the struct's size does not change) is refused,
     * whether struct_size is sizeof or 0. */
    o.struct_size = sizeof o;
    o.reserved = 1;
    assert_rc(cairn_store_open("mem:", &o, &s), CAIRN_EUNSUPPORTED);
    assert_non_null(strstr(cairn_errmsg(), "does not know"));
    o.struct_size = 0;
    assert_rc(cairn_store_open("mem:", &o, &s), CAIRN_EUNSUPPORTED);
    assert_null(s);
    o.reserved = 0;

    /* cairn_put_opts: an older, shorter struct: the fields past its size
     * are not read (ttl_ms here is garbage the caller never declared) */
    assert_ok(cairn_store_open("mem:", NULL, &s));
    cairn_put_opts po;
    memset(&po, 0xff, sizeof po);
    po.struct_size = offsetof(cairn_put_opts, ttl_ms);
    po.behavior = CAIRN_OVERWRITE;
    assert_ok(cairn_put(s, "k", "1", 1, &po));
    assert_ok(cairn_put(s, "k", "2", 1, &po)); /* OVERWRITE was read */
    cairn_value *v = NULL;
    assert_ok(cairn_get(s, "k", &v));
    assert_int_equal(cairn_value_meta(v)->expires_ms, 0); /* no TTL read */
    assert_int_equal(cairn_value_meta(v)->format, CAIRN_FORMAT_JSON);
    cairn_value_free(v);
    NEWER(cairn_put_opts) np;
    memset(&np, 0, sizeof np);
    np.known.struct_size = sizeof np;
    np.newer_field = 7;
    assert_rc(cairn_put(s, "k2", "1", 1, &np.known), CAIRN_EUNSUPPORTED);
    assert_rc(cairn_exists(s, "k2"), CAIRN_ENOTFOUND);
    cairn_put_item it = {"k3", "1", 1, 0};
    assert_rc(cairn_put_many(s, &it, 1, &np.known), CAIRN_EUNSUPPORTED);
    assert_rc(cairn_exists(s, "k3"), CAIRN_ENOTFOUND);

    /* every other option struct, through its one entry point */
    NEWER(cairn_copy_opts) nc;
    memset(&nc, 0, sizeof nc);
    nc.known.struct_size = sizeof nc;
    nc.newer_field = 1;
    cairn_store *d = NULL;
    assert_ok(cairn_store_open("mem:", NULL, &d));
    assert_rc(cairn_copy(s, d, &nc.known, NULL), CAIRN_EUNSUPPORTED);
    nc.newer_field = 0;
    assert_ok(cairn_copy(s, d, &nc.known, NULL));
    assert_ok(cairn_exists(d, "k"));
    /* its reserved field must be 0 */
    cairn_copy_opts kc = {.struct_size = sizeof kc, .reserved = {0, 1}};
    assert_rc(cairn_copy(s, d, &kc, NULL), CAIRN_EUNSUPPORTED);
    cairn_store_close(d);

    NEWER(cairn_cache_options) nk;
    memset(&nk, 0, sizeof nk);
    nk.known.struct_size = sizeof nk;
    nk.newer_field = 1;
    cairn_cache *c = NULL;
    assert_rc(cairn_cache_new(&nk.known, &c), CAIRN_EUNSUPPORTED);
    assert_rc(cairn_tiered_wrap(s, &nk.known, &d), CAIRN_EUNSUPPORTED);
    cairn_cache_options ko = {.struct_size = sizeof ko, .reserved = 1};
    assert_rc(cairn_cache_new(&ko, &c), CAIRN_EUNSUPPORTED);
    assert_null(c);

    NEWER(cairn_schema_opts) ns;
    memset(&ns, 0, sizeof ns);
    ns.known.struct_size = sizeof ns;
    ns.newer_field = 1;
    cairn_schema *sc = NULL;
    assert_rc(cairn_schema_compile("{}", 2, &ns.known, &sc), CAIRN_EUNSUPPORTED);
    cairn_schema_opts so = {.reserved = 1};
    assert_rc(cairn_schema_compile("{}", 2, &so, &sc), CAIRN_EUNSUPPORTED);
    assert_null(sc);

    NEWER(cairn_executor_opts) ne;
    memset(&ne, 0, sizeof ne);
    ne.known.struct_size = sizeof ne;
    ne.newer_field = 1;
    cairn_executor *ex = NULL;
    assert_rc(cairn_executor_new(&ne.known, &ex), CAIRN_EUNSUPPORTED);
    ne.newer_field = 0;
    ne.known.threads = 1;
    assert_ok(cairn_executor_new(&ne.known, &ex));
    cairn_future *f = (cairn_future *)1;
    assert_rc(cairn_async_put(ex, s, "k4", "1", 1, &np.known, NULL, NULL, &f),
              CAIRN_EUNSUPPORTED);
    assert_null(f);
    cairn_executor_free(ex);
    cairn_store_close(s);
}

/* The old names, kept for one release, behave as the new ones. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static int old_update_fn(const cairn_value *cur, void *arg, const void **val, size_t *len)
{
    (void)cur;
    *val = arg;
    *len = strlen(arg);
    return CAIRN_OK;
}

static void deprecated_names_work(void **state)
{
    (void)state;
    cairn_store *s = NULL;
    assert_ok(cairn_store_open("tiered:mem:", NULL, &s));
    assert_ok(cairn_update(s, "u", old_update_fn, (void *)"42", NULL));
    cairn_value *v = NULL;
    assert_ok(cairn_get(s, "u", &v));
    assert_string_equal(cairn_value_data(v, NULL), "42");
    cairn_value_free(v);
    cairn_stats st;
    assert_ok(cairn_stats_get(s, &st));
    assert_int_equal(st.keys, 1);
    cairn_cache_stats cs;
    assert_ok(cairn_tier_stats(s, &cs));
    assert_int_equal(cs.entries, 1);
    assert_rc(cairn_tier_stats(s, NULL), CAIRN_EINVAL);
    cairn_executor *ex = NULL;
    assert_ok(cairn_executor_create(NULL, &ex));
    cairn_future *f = NULL;
    assert_ok(cairn_async_update(ex, s, "u", old_update_fn, (void *)"43", NULL, NULL, NULL, &f));
    assert_ok(cairn_future_wait(f, -1));
    assert_ok(cairn_future_status(f));
    cairn_future_release(f);
    cairn_executor_destroy(ex);
    assert_ok(cairn_get(s, "u", &v));
    assert_string_equal(cairn_value_data(v, NULL), "43");
    cairn_value_free(v);
    assert_int_equal(CAIRN_FUTURE_CANCELLED, CAIRN_FUTURE_CANCELED);
    cairn_store_close(s);
}
#pragma GCC diagnostic pop

static int new_update_fn(void *ctx, const cairn_value *cur, const void **val, size_t *len)
{
    assert_null(cur);
    *val = ctx;
    *len = strlen(ctx);
    return CAIRN_OK;
}

static void stats_getters_one_shape(void **state)
{
    (void)state;
    cairn_store *s = NULL;
    assert_ok(cairn_store_open("mem:", NULL, &s));
    assert_ok(cairn_update_v2(s, "u", new_update_fn, (void *)"7", NULL));
    assert_rc(cairn_update_v2(s, "u", NULL, NULL, NULL), CAIRN_EINVAL);
    cairn_stats st;
    assert_ok(cairn_store_stats_get(s, &st));
    assert_int_equal(st.keys, 1);
    assert_rc(cairn_store_stats_get(s, NULL), CAIRN_EINVAL);
    cairn_cache_stats cs;
    assert_rc(cairn_tier_stats_get(s, &cs), CAIRN_EUNSUPPORTED); /* not tiered */
    cairn_store_close(s);
    cairn_cache *c = NULL;
    assert_ok(cairn_cache_new(NULL, &c));
    assert_ok(cairn_cache_set(c, "k", 1, "v", 1, 0));
    assert_ok(cairn_cache_stats_get(c, &cs));
    assert_int_equal(cs.entries, 1);
    assert_rc(cairn_cache_stats_get(c, NULL), CAIRN_EINVAL);
    assert_rc(cairn_cache_stats_get(NULL, &cs), CAIRN_EINVAL);
    assert_int_equal(cs.entries, 0);
    cairn_cache_free(c);
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

/* A wrapping scheme's location is a store URL of its own: its secrets are
 * hidden as that URL's are, at any depth (issue 15.1). */
static void url_redact_wrapped(void **state)
{
    (void)state;
    expect_redact("tiered:redis://:s3cret@127.0.0.1:6391/0",
                  "tiered:redis://:***@127.0.0.1:6391/0");
    expect_redact("tiered:postgres://u:SECRET@host/db", "tiered:postgres://u:***@host/db");
    expect_redact("TIERED:redis://s3cret@h", "TIERED:redis://***@h"); /* lone redis secret */
    expect_redact("tiered:redis://u:pw@h/0?prefix=a:&cache_mb=8&password=x",
                  "tiered:redis://u:***@h/0?prefix=a:&cache_mb=8&password=***");
    expect_redact("tiered:postgres:host=h password=abc user=u",
                  "tiered:postgres:host=h password=*** user=u");
    /* refused by the open, still hidden */
    expect_redact("tiered:tiered:rediss://u:pw@h", "tiered:tiered:rediss://u:***@h");
    /* "//" after the scheme starts an authority: not a wrapped URL */
    expect_redact("tiered://u:pw@h/x", "tiered://u:***@h/x");
    /* paths under it stay as they are */
    expect_redact("tiered:lmdb:/tmp/a:b@c", "tiered:lmdb:/tmp/a:b@c");
    expect_redact("tiered:mem:", "tiered:mem:");
    expect_redact("tiered:", "tiered:");
    /* the same as the URL alone, behind its prefix */
    static const char *const inner[] = {"redis://:pw@h:1/0", "postgres://u:a@b@h/db",
                                        "postgres://h/db?password=x", "file:/tmp/a@b:c",
                                        "password=x", "redis://a:b/c@h"};
    for (size_t i = 0; i < sizeof inner / sizeof *inner; i++) {
        char want[256], wrapped[256], got[256];
        snprintf(wrapped, sizeof wrapped, "tiered:%s", inner[i]);
        snprintf(want, sizeof want, "tiered:%s", cairn_url_redact(inner[i], got, sizeof got));
        expect_redact(wrapped, want);
    }
}

/* cairn_store_open's messages show a wrapped URL as cairn_url_redact does. */
static void url_open_wrapped_hidden(void **state)
{
    (void)state;
    cairn_store *s = NULL;
    /* the inner open fails (unknown scheme), the outer prefixes its URL */
    assert_rc(cairn_store_open("tiered:nosuch://u:Zq7secret@h/x", NULL, &s), CAIRN_EURL);
    expect_no("Zq7secret");
    assert_errmsg_has("open tiered:nosuch://u:***@h/x");
    /* the tier's own parameter refused before any connection */
    assert_rc(cairn_store_open("tiered:redis://:Zq7secret@127.0.0.1:1/0?cache_mb=0", NULL, &s),
              CAIRN_EURL);
    expect_no("Zq7secret");
    assert_errmsg_has("cache_mb");
    assert_null(s);
}

/* A raw '/', '?' or '#' in a password ends the authority (RFC 3986, as the
 * parser reads it): the parser refuses such a URL or reads the rest of the
 * password as host, port or path. An '@' after the authority shows it, and
 * the redaction then hides up to the last '@', so that no piece of the
 * password shows (issue 15.16). */
static void url_redact_raw_slash(void **state)
{
    (void)state;
    static const struct {
        const char *url, *want;
    } cases[] = {
        {"redis://weird:Zq7/Xw9@host:6379/0", "redis://weird:***@host:6379/0"},
        {"redis://weird:Zq7@Xw9:Yv5/Ut3@host:6379/0", "redis://weird:***@host:6379/0"},
        {"redis://:Zq7?Xw9@h/0", "redis://:***@h/0"},
        {"rediss://:Zq7#Xw9@h", "rediss://:***@h"},
        {"postgres://u:Zq7/Xw9?Yv5#Ut3@h/db?table=t", "postgres://u:***@h/db?table=t"},
        {"redis://Zq7/Xw9@h", "redis://***@h"},              /* a lone redis secret */
        {"postgres://u:1/Zq7@h/db", "postgres://u:***@h/db"}, /* parsed: host u, port 1 */
        {"redis://u:Zq7/Xw9@h/0?password=Yv5", "redis://u:***@h/0?password=***"},
        {"tiered:redis://:Zq7/Xw9@h/0", "tiered:redis://:***@h/0"},
        /* the parser's lone redis password, then a ':' and an '@' in the
         * query (found by fuzz_backend_url) */
        {"redis://aZq7@h/0?prefix=c:Xw9@d", "redis://***@d"},
        /* a ':' beyond the authority starts no password: all is hidden,
         * a password= parameter before it too (found by fuzz_backend_url) */
        {"postgres://h/db?password=Zq7&p/u:Xw9@d", "postgres://***@d"},
        {"postgres://uZq7/Xw9@h/db", "postgres://***@h/db"},
        /* a password= value holding an '@' is hidden whole (fuzz_backend_url) */
        {"postgres://u:/x?password=//u:@Zq7/db&b=1", "postgres://***&b=1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        expect_redact(cases[i].url, cases[i].want);
        /* what the parser takes as the password (if any) is hidden too */
        const char *text = cases[i].url;
        if (!strncmp(text, "tiered:", 7))
            text += 7;
        cairn__url u;
        char buf[256];
        int rc = cairn__url_parse("test", text, &u);
        if (u.password && u.password[0] &&
            strstr(cairn_url_redact(cases[i].url, buf, sizeof buf), u.password))
            fail_msg("redact(%s) = %s shows the parsed password '%s' (parse: %d)",
                     cases[i].url, buf, u.password, rc);
        cairn__url_free(&u);
    }
    /* the path schemes' paths stay as they are */
    expect_redact("file:///tmp/a:b@c", "file:///tmp/a:b@c");
    expect_redact("sqlite:///tmp/x/a:b@c.db", "sqlite:///tmp/x/a:b@c.db");
}

static void expect_duration(const char *text, int64_t want)
{
    int64_t ms = -7;
    int rc = cairn_duration_parse(text, &ms);
    if (rc != CAIRN_OK || ms != want)
        fail_msg("duration '%s': %d, %lld ms (%s), expected %lld", text, rc, (long long)ms,
                 cairn_errmsg(), (long long)want);
}

/* Refused with a message that quotes the text and says why; *ms untouched. */
static void expect_bad_duration(const char *text, const char *says)
{
    int64_t ms = -7;
    char quoted[128];
    snprintf(quoted, sizeof quoted, "'%s'", text);
    int rc = cairn_duration_parse(text, &ms);
    if (rc != CAIRN_EINVAL || ms != -7 || !strstr(cairn_errmsg(), quoted) ||
        !strstr(cairn_errmsg(), says))
        fail_msg("duration '%s': %d, %lld ms, message '%s' (expected EINVAL naming it and "
                 "saying '%s')", text, rc, (long long)ms, cairn_errmsg(), says);
}

static void duration_parse(void **state)
{
    (void)state;
    expect_duration("300", 300000); /* a bare number is seconds */
    expect_duration("1", 1000);
    expect_duration("500ms", 500);
    expect_duration("30s", 30000);
    expect_duration("5m", 300000);
    expect_duration("2h", 7200000);
    expect_duration("1d", 86400000);
    expect_duration("1h30m", 5400000);
    expect_duration("1d2h3m4s5ms", 93784005);
    expect_duration("0s1ms", 1);
    expect_duration("9223372036854775807ms", INT64_MAX);
    expect_duration("9223372036854775s", INT64_C(9223372036854775000));
    expect_bad_duration("", "empty");
    expect_bad_duration("-5", "negative");
    expect_bad_duration("-5s", "negative");
    expect_bad_duration("0", "more than 0");
    expect_bad_duration("0ms", "more than 0");
    expect_bad_duration("1h30", "without a unit");
    expect_bad_duration("5x", "unknown unit 'x'");
    expect_bad_duration("5 s", "unknown unit ' s'");
    expect_bad_duration("1.5h", "unknown unit '.'");
    expect_bad_duration("s", "expected a number");
    expect_bad_duration("+5", "expected a number");
    expect_bad_duration("9223372036854775808", "too large");
    expect_bad_duration("9223372036854776s", "too large");
    expect_bad_duration("106751991168d", "too large");
    expect_bad_duration("9223372036854775807ms1ms", "too large");
    int64_t ms;
    assert_int_equal(cairn_duration_parse(NULL, &ms), CAIRN_EINVAL);
    assert_int_equal(cairn_duration_parse("1s", NULL), CAIRN_EINVAL);
}

const tr_case unit_misc_cases[] = {
    TR_CASE(url_split, TR_NONE, 0),
    TR_CASE(url_redact, TR_NONE, 0),
    TR_CASE(url_redact_pg, TR_NONE, 0),
    TR_CASE(url_redact_wrapped, TR_NONE, 0),
    TR_CASE(url_open_wrapped_hidden, TR_NONE, 0),
    TR_CASE(url_redact_raw_slash, TR_NONE, 0),
    TR_CASE(url_parse_parts, TR_NONE, 0),
    TR_CASE(url_parse_ipv6, TR_NONE, 0),
    TR_CASE(url_parse_ports, TR_NONE, 0),
    TR_CASE(url_parse_userinfo, TR_NONE, 0),
    TR_CASE(url_parse_empty_host, TR_NONE, 0),
    TR_CASE(url_parse_redact_agree, TR_NONE, 0),
    TR_CASE(url_backends, TR_NONE, 0),
    TR_CASE(strerror_every_code, TR_NONE, 0),
    TR_CASE(errmsg_per_thread, TR_NONE, 0),
    TR_CASE(errno_mapping, TR_NONE, 0),
    TR_CASE(status_name_every_code, TR_NONE, 0),
    TR_CASE(version_matches, TR_NONE, 0),
    TR_CASE(free_library_buffers, TR_NONE, 0),
    TR_CASE(opts_read_by_size, TR_NONE, 0),
    TR_CASE(deprecated_names_work, TR_NONE, 0),
    TR_CASE(stats_getters_one_shape, TR_NONE, 0),
    TR_CASE(duration_parse, TR_NONE, 0),
};
const size_t unit_misc_ncases = UNIT_NCASES(unit_misc_cases);
