/*
 * runner.h — the test runner shared by the unit and conformance suites: every
 * case runs in its own forked process under a timeout, with cmocka inside it.
 *
 * Why fork: a crash, abort or hang in one case must never hide the others,
 * and a case that forks or kills processes must not disturb its neighbours.
 * tests/CMakeLists.txt reads the TR_CASE(...) lines of each suite's case
 * tables to register one CTest test per case (and per backend), so keep each
 * TR_CASE on one line.
 */
#ifndef CAIRN_TEST_RUNNER_H
#define CAIRN_TEST_RUNNER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cairn/cairn.h"

/* Case flags. */
#define TR_NONE 0u
#define TR_PERSISTENT 1u /* needs a store that outlives its handle / process */
#define TR_HEAVY 2u      /* many processes or a long loop: CTest runs it alone */
#define TR_REDIS 4u      /* conformance: what only the redis backend promises */
#define TR_TIERED 8u     /* conformance: what only the tiered: backends promise */
/* conformance: tests only the front API above the backend vtable (argument
 * and key checks, format and schema validation, the async layer's plumbing;
 * the backend only stores and returns bytes the case does not care about),
 * so it runs on mem: and sqlite: only (TR_AGNOSTIC_BACKENDS), not on every
 * backend in every build. CAIRN_TEST_AGNOSTIC_ALL=1 runs such cases on the
 * other backends too when the conformance binary is run by hand. A case that
 * checks what a backend does with a value, a key, a transaction, a listing
 * or a process is NOT agnostic. */
#define TR_AGNOSTIC 16u
/* Where TR_AGNOSTIC cases run; tests/CMakeLists.txt keeps the same list
 * (CAIRN_AGNOSTIC_BACKENDS). */
#define TR_AGNOSTIC_BACKENDS "mem sqlite"

#define TR_TIMEOUT_DEFAULT 60u

typedef struct {
    const char *name;
    CMUnitTestFunction fn;
    unsigned flags;
    unsigned timeout_s; /* 0: TR_TIMEOUT_DEFAULT */
} tr_case;

/* One table entry; CMake parses this exact spelling: TR_CASE(fn, FLAGS, secs). */
#define TR_CASE(fn, flags, secs) {#fn, fn, flags, secs}

/* Exit status of a skipped case (CTest's SKIP_RETURN_CODE). */
#define TR_SKIP_CODE 77

typedef struct {
    const char *group;            /* printed by cmocka, e.g. "conformance/file" */
    CMFixtureFunction setup;      /* per case, in the child; may be NULL */
    CMFixtureFunction teardown;   /* per case, in the child; may be NULL */
} tr_suite;

/* Run one case in a forked child with a timeout (CAIRN_TEST_NOFORK=1 runs it
 * in this process, for debuggers). Returns 0 passed, TR_SKIP_CODE skipped,
 * 1 failed (a failed assertion, a crash or a timeout; the reason is printed). */
int tr_run_case(const tr_suite *suite, const tr_case *c);

/* Mark the running case as skipped (with a reason) and leave it. */
#define tr_skip(...)                                                          \
    do {                                                                      \
        tr__skip_note(__VA_ARGS__);                                           \
        skip();                                                               \
    } while (0)
void tr__skip_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Tally for a run of many cases; tr_summary prints the closing line and
 * returns the exit status (0 when nothing failed). */
typedef struct {
    unsigned passed, skipped, failed;
    char failed_names[4096];
} tr_tally;
void tr_tally_add(tr_tally *t, const char *group, const char *name, int result);
int tr_summary(const tr_tally *t);

/* ---- assertions that show the status names and cairn_errmsg() ---- */

#define assert_rc(expr, want)                                                 \
    do {                                                                      \
        int tr_rc_ = (expr);                                                  \
        int tr_want_ = (want);                                                \
        if (tr_rc_ != tr_want_)                                               \
            fail_msg("%s\n    returned %d (%s), expected %d (%s)\n    errmsg: %s", \
                     #expr, tr_rc_, cairn_strerror(tr_rc_), tr_want_,         \
                     cairn_strerror(tr_want_), cairn_errmsg());               \
    } while (0)
#define assert_ok(expr) assert_rc(expr, CAIRN_OK)

/* errmsg of the last failure must contain needle (case-sensitive). */
#define assert_errmsg_has(needle)                                             \
    do {                                                                      \
        const char *tr_m_ = cairn_errmsg();                                   \
        if (!strstr(tr_m_, (needle)))                                         \
            fail_msg("errmsg \"%s\" does not mention \"%s\"", tr_m_, (needle)); \
    } while (0)

/* Deterministic pseudo-random numbers (xorshift64*), seedable per case. */
uint64_t tr_rand(uint64_t *state);

/* Call first thing in a process a case forks: restores the default action
 * of the crash signals cmocka traps, so a crashing child dies (and its
 * parent sees the signal) instead of jumping back into the test runner. */
void tr_child_defaults(void);

/* Sleep ms milliseconds (restarting on EINTR). */
void tr_sleep_ms(unsigned ms);

/* Remove a directory tree (best effort). */
void tr_rm_rf(const char *path);

/* A fresh directory under $TMPDIR (or /tmp) named cairn-<tag>-XXXXXX into
 * buf (cap bytes). Returns 0 or -1. */
int tr_mkdtemp(const char *tag, char *buf, size_t cap);

#endif
