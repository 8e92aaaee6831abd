/*
 * redis_fault.c — the redis backend while its server dies: worker
 * processes write through libcairn while this program kills redis-server
 * (SIGKILL) and starts it again, twice. The server runs with appendonly yes
 * and appendfsync always, so what it acknowledged is on disk. Afterwards:
 *   - every put a worker saw acknowledged is there, with its value;
 *   - every failed call returned an error (a counter incremented only by
 *     acknowledged or failed incrs is between the two counts);
 *   - calls failed while the server was down (the outage was seen);
 *   - every worker wrote successfully after the last restart (carried on).
 * Prints its figures; exits 0 when every check held. Timings are never
 * asserted. The server gets a free port and a temporary directory.
 */
#include "cairn/cairn.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4
#define RUN_MS 5000
#define MAX_ACKS 200000

typedef struct {
    uint32_t worker, kind; /* kind: 1 put ok, 2 put failed, 3 incr ok, 4 incr failed */
    uint64_t seq;
    int64_t at_ms; /* since the start */
    int32_t status, pad;
} ack;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &l)) {
        perror("redis_fault: free port");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

static char g_dir[256];
static int g_port;

static pid_t start_server(void)
{
    char port[16], log[300];
    snprintf(port, sizeof port, "%d", g_port);
    snprintf(log, sizeof log, "%s/redis.log", g_dir);
    pid_t pid = fork();
    if (pid < 0) {
        perror("redis_fault: fork");
        exit(1);
    }
    if (pid == 0) {
        execlp("redis-server", "redis-server", "--bind", "127.0.0.1", "--port", port, "--dir",
               g_dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always",
               "--daemonize", "no", "--logfile", log, (char *)NULL);
        fprintf(stderr, "redis_fault: cannot run redis-server: %s\n", strerror(errno));
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* up to 20 s: the AOF is replayed first */
        struct timeval tv = {0, 200000};
        redisContext *c = redisConnectWithTimeout("127.0.0.1", g_port, tv);
        if (c && !c->err) {
            redisReply *r = redisCommand(c, "PING");
            bool up = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
            if (r)
                freeReplyObject(r);
            redisFree(c);
            if (up)
                return pid;
        } else if (c) {
            redisFree(c);
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "FAIL: redis-server exited at start (see %s)\n", log);
            exit(1);
        }
        usleep(100000);
    }
    fprintf(stderr, "FAIL: redis-server does not answer on port %d\n", g_port);
    kill(pid, SIGKILL);
    exit(1);
}

static void send_ack(int fd, uint32_t w, uint32_t kind, uint64_t seq, int64_t t0, int st)
{
    ack a = {w, kind, seq, mono_ms() - t0, st, 0};
    while (write(fd, &a, sizeof a) < 0 && errno == EINTR)
        ;
}

static void value_of(char *buf, size_t cap, uint32_t w, uint64_t seq)
{
    snprintf(buf, cap, "{\"worker\":%u,\"seq\":%llu,\"pad\":\"%0200llu\"}", w,
             (unsigned long long)seq, (unsigned long long)seq * 7919);
}

static void worker(const char *url, uint32_t w, int fd, int64_t t0)
{
    cairn_store *s = NULL;
    if (cairn_store_open(url, NULL, &s)) {
        fprintf(stderr, "worker %u: open: %s\n", w, cairn_errmsg());
        _exit(2);
    }
    char key[64], val[300], cnt[32];
    snprintf(cnt, sizeof cnt, "cnt/%u", w);
    cairn_put_opts o = {.behavior = CAIRN_FAIL_IF_EXISTS};
    for (uint64_t seq = 1; mono_ms() - t0 < RUN_MS; seq++) {
        snprintf(key, sizeof key, "w%u/%08llu", w, (unsigned long long)seq);
        value_of(val, sizeof val, w, seq);
        int rc = cairn_put(s, key, val, strlen(val), &o);
        send_ack(fd, w, rc == CAIRN_OK ? 1 : 2, seq, t0, rc);
        if (rc == CAIRN_OK || rc == CAIRN_EEXISTS) {
            /* EEXISTS: a put whose reply was lost did land; fine */
        } else if (rc >= 0) {
            fprintf(stderr, "worker %u: put %s: unexpected status %d\n", w, key, rc);
            _exit(3);
        }
        int64_t v;
        rc = cairn_incr(s, cnt, 1, &v);
        send_ack(fd, w, rc == CAIRN_OK ? 3 : 4, seq, t0, rc);
        if (rc < 0)
            usleep(2000); /* the server is away: do not spin */
    }
    cairn_store_close(s);
    _exit(0);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "%s/cairn-redis-fault.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("redis_fault: mkdtemp");
        return 1;
    }
    g_port = free_port();
    pid_t server = start_server();
    char url[128];
    snprintf(url, sizeof url,
             "redis://127.0.0.1:%d/0?prefix=fault:&connect_timeout_ms=500&timeout_ms=3000",
             g_port);
    printf("redis_fault: server on port %d, dir %s, %d workers for %d ms\n", g_port, g_dir,
           WORKERS, RUN_MS);

    int64_t t0 = mono_ms();
    int fds[WORKERS];
    pid_t pids[WORKERS];
    for (uint32_t w = 0; w < WORKERS; w++) {
        int p[2];
        if (pipe(p)) {
            perror("pipe");
            return 1;
        }
        pids[w] = fork();
        if (pids[w] == 0) {
            close(p[0]);
            worker(url, w, p[1], t0);
        }
        close(p[1]);
        fds[w] = p[0];
    }

    ack *acks = malloc(MAX_ACKS * sizeof *acks);
    size_t nacks = 0;
    /* kill at 1.0 s and 3.0 s, restart 0.5 s later each time */
    int64_t events[4] = {1000, 1500, 3000, 3500};
    int64_t restarted_at = 0;
    int next = 0, open_fds = WORKERS;
    while (open_fds > 0) {
        struct pollfd pf[WORKERS];
        for (int w = 0; w < WORKERS; w++)
            pf[w] = (struct pollfd){fds[w], POLLIN, 0};
        (void)poll(pf, WORKERS, 20);
        for (int w = 0; w < WORKERS; w++) {
            if (fds[w] < 0 || !(pf[w].revents & (POLLIN | POLLHUP)))
                continue;
            ack a;
            ssize_t r = read(fds[w], &a, sizeof a);
            if (r == (ssize_t)sizeof a) {
                if (nacks < MAX_ACKS)
                    acks[nacks++] = a;
            } else if (r == 0) {
                close(fds[w]);
                fds[w] = -1;
                open_fds--;
                pf[w].fd = -1;
            }
        }
        int64_t now = mono_ms() - t0;
        if (next < 4 && now >= events[next]) {
            if (next % 2 == 0) {
                kill(server, SIGKILL);
                waitpid(server, NULL, 0);
                printf("redis_fault: %lld ms: redis-server killed\n", (long long)now);
            } else {
                server = start_server();
                restarted_at = mono_ms() - t0;
                printf("redis_fault: %lld ms: redis-server up again\n",
                       (long long)restarted_at);
            }
            next++;
        }
        fflush(stdout);
    }
    int failures = 0;
    for (int w = 0; w < WORKERS; w++) {
        int st;
        waitpid(pids[w], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            printf("FAIL: worker %d exited with status %d\n", w, st);
            failures++;
        }
    }

    /* Check with a fresh handle what the server holds. */
    cairn_store *s = NULL;
    if (cairn_store_open(url, NULL, &s)) {
        printf("FAIL: open after the run: %s\n", cairn_errmsg());
        kill(server, SIGKILL);
        return 1;
    }
    size_t put_ok = 0, put_fail = 0, incr_ok[WORKERS] = {0}, incr_fail[WORKERS] = {0};
    size_t after_restart[WORKERS] = {0}, missing = 0, wrong = 0;
    for (size_t i = 0; i < nacks; i++) {
        const ack *a = &acks[i];
        if (a->kind == 2 || a->kind == 4) {
            if (a->status >= 0) {
                printf("FAIL: a failed call reported status %d\n", a->status);
                failures++;
            }
            put_fail += a->kind == 2;
            incr_fail[a->worker] += a->kind == 4;
            continue;
        }
        if (a->kind == 3) {
            incr_ok[a->worker]++;
            continue;
        }
        put_ok++;
        if (a->at_ms > restarted_at)
            after_restart[a->worker]++;
        char key[64], val[300];
        snprintf(key, sizeof key, "w%u/%08llu", a->worker, (unsigned long long)a->seq);
        value_of(val, sizeof val, a->worker, a->seq);
        cairn_value *v = NULL;
        int rc = cairn_get(s, key, &v);
        if (rc) {
            if (missing++ < 5)
                printf("FAIL: acknowledged %s: %s: %s\n", key, cairn_strerror(rc),
                       cairn_errmsg());
            continue;
        }
        size_t len;
        const char *d = cairn_value_data(v, &len);
        if (len != strlen(val) || memcmp(d, val, len)) {
            if (wrong++ < 5)
                printf("FAIL: %s holds another value\n", key);
        }
        cairn_value_free(v);
    }
    failures += (int)(missing + wrong);
    for (int w = 0; w < WORKERS; w++) {
        char cnt[32];
        snprintf(cnt, sizeof cnt, "cnt/%d", w);
        cairn_value *v = NULL;
        long long c = 0;
        if (cairn_get(s, cnt, &v) == CAIRN_OK) {
            c = atoll(cairn_value_data(v, NULL));
            cairn_value_free(v);
        }
        /* acknowledged incrs all landed; a failed one may have (its reply
         * was lost) or not */
        if (c < (long long)incr_ok[w] || c > (long long)(incr_ok[w] + incr_fail[w])) {
            printf("FAIL: worker %d: counter %lld, %zu incrs acknowledged, %zu failed\n", w,
                   c, incr_ok[w], incr_fail[w]);
            failures++;
        }
        if (after_restart[w] == 0) {
            printf("FAIL: worker %d wrote nothing after the last restart\n", w);
            failures++;
        }
    }
    if (put_fail == 0) {
        printf("FAIL: no call failed while the server was down\n");
        failures++;
    }
    printf("redis_fault: %zu puts acknowledged (all present: %s), %zu puts failed with an "
           "error, %zu acknowledged after the last restart\n",
           put_ok, missing + wrong ? "NO" : "yes", put_fail,
           after_restart[0] + after_restart[1] + after_restart[2] + after_restart[3]);
    cairn_store_close(s);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (failures == 0 && system(cmd) != 0)
        printf("redis_fault: could not remove %s\n", g_dir);
    printf("%s\n", failures ? "FAILED" : "PASSED");
    free(acks);
    return failures ? 1 : 0;
}
