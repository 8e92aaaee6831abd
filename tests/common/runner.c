/*
 * runner.c — runs one test case per forked process with a timeout and
 * reports crashes and hangs by name (see runner.h for why).
 */
#define _GNU_SOURCE
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int tr_skipped;

void tr__skip_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("[  SKIP    ] reason: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    tr_skipped = 1;
}

static int run_in_process(const tr_suite *suite, const tr_case *c)
{
    struct CMUnitTest t = {c->name, c->fn, suite->setup, suite->teardown, NULL};
    tr_skipped = 0;
    int failed = _cmocka_run_group_tests(suite->group, &t, 1, NULL, NULL);
    if (failed)
        return 1;
    return tr_skipped ? TR_SKIP_CODE : 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int wait_case(const tr_suite *suite, const tr_case *c, pid_t pid,
                     unsigned timeout);

int tr_run_case(const tr_suite *suite, const tr_case *c)
{
    const char *nofork = getenv("CAIRN_TEST_NOFORK");
    if (nofork && *nofork == '1')
        return run_in_process(suite, c);

    unsigned timeout = c->timeout_s ? c->timeout_s : TR_TIMEOUT_DEFAULT;
    const char *scale = getenv("CAIRN_TEST_TIMEOUT_SCALE"); /* slow builds */
    if (scale && atof(scale) > 0)
        timeout = (unsigned)(timeout * atof(scale));

    /* Every case makes its files under a directory of its own, removed
     * here whatever happens to the case (a crash skips its teardown). */
    char tmp[4096];
    if (tr_mkdtemp("case", tmp, sizeof tmp)) {
        perror("mkdtemp");
        return 1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        tr_rm_rf(tmp);
        return 1;
    }
    if (pid == 0) {
        /* Its own process group, so that a timeout also kills whatever the
         * case forked. */
        setpgid(0, 0);
        setenv("TMPDIR", tmp, 1);
        int r = run_in_process(suite, c);
        fflush(stdout);
        exit(r);
    }
    setpgid(pid, pid); /* either side may win the race; both ask the same */

    int r = wait_case(suite, c, pid, timeout);
    if (getenv("CAIRN_TEST_KEEP"))
        printf("[  INFO    ] %s: %s: files kept in %s\n", suite->group, c->name, tmp);
    else
        tr_rm_rf(tmp);
    fflush(stdout);
    return r;
}

/* Wait for the case's process; kill its group at the deadline. */
static int wait_case(const tr_suite *suite, const tr_case *c, pid_t pid, unsigned timeout)
{
    double deadline = now_s() + timeout;
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            perror("waitpid");
            return 1;
        }
        if (now_s() > deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            printf("[  FAILED  ] %s: %s: timed out after %u s (killed)\n", suite->group,
                   c->name, timeout);
            fflush(stdout);
            return 1;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(-pid, SIGKILL); /* stray grandchildren of the case */
    if (WIFSIGNALED(st)) {
        printf("[  FAILED  ] %s: %s: crashed with signal %d (%s)\n", suite->group,
               c->name, WTERMSIG(st), strsignal(WTERMSIG(st)));
        fflush(stdout);
        return 1;
    }
    int code = WEXITSTATUS(st);
    if (code == 0 || code == TR_SKIP_CODE)
        return code;
    if (code != 1) {
        printf("[  FAILED  ] %s: %s: exited with status %d\n", suite->group, c->name,
               code);
        fflush(stdout);
    }
    return 1;
}

void tr_child_defaults(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        signal(sigs[i], SIG_DFL);
}

void tr_tally_add(tr_tally *t, const char *group, const char *name, int result)
{
    if (result == 0) {
        t->passed++;
    } else if (result == TR_SKIP_CODE) {
        t->skipped++;
    } else {
        t->failed++;
        size_t l = strlen(t->failed_names);
        snprintf(t->failed_names + l, sizeof t->failed_names - l, "  %s: %s\n", group,
                 name);
    }
}

int tr_summary(const tr_tally *t)
{
    printf("[==========] %u case(s): %u passed, %u skipped, %u failed\n",
           t->passed + t->skipped + t->failed, t->passed, t->skipped, t->failed);
    if (t->failed)
        printf("[  FAILED  ] these cases failed:\n%s", t->failed_names);
    fflush(stdout);
    return t->failed ? 1 : 0;
}

uint64_t tr_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

void tr_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void rm_at(int dirfd, const char *name)
{
    if (unlinkat(dirfd, name, 0) == 0)
        return;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            rm_at(fd, e->d_name);
    closedir(d);
    unlinkat(dirfd, name, AT_REMOVEDIR);
}

void tr_rm_rf(const char *path)
{
    if (path && *path)
        rm_at(AT_FDCWD, path);
}

int tr_mkdtemp(const char *tag, char *buf, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    int n = snprintf(buf, cap, "%s/cairn-%s-XXXXXX", tmp, tag);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return mkdtemp(buf) ? 0 : -1;
}
