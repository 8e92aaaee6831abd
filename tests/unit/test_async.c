/*
 * test_async.c — the executor on a mem: store: callbacks (dispatched and on
 * workers), futures (wait, timeout, cancel), the fd under epoll, calls that
 * fail to submit, many submitting threads, and both shutdown modes.
 * The async forms on every backend are in tests/conformance/async.c.
 */
#include "unit.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

static cairn_store *open_mem(void)
{
    cairn_store *s = NULL;
    assert_ok(cairn_store_open("mem:", NULL, &s));
    return s;
}

static cairn_executor *make_ex(unsigned threads, int on_workers, cairn_shutdown_mode mode)
{
    cairn_executor_opts o = {0};
    o.threads = threads;
    o.callbacks_on_workers = on_workers;
    o.shutdown = mode;
    cairn_executor *ex = NULL;
    assert_ok(cairn_executor_new(&o, &ex));
    assert_non_null(ex);
    return ex;
}

/* A gate an update fn blocks on, so a test controls when a job finishes. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open;
    int entered; /* the fn has started */
    atomic_int calls;
} gate;

#define GATE_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0}

static int gated_fn(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    (void)cur;
    gate *g = arg;
    atomic_fetch_add(&g->calls, 1);
    pthread_mutex_lock(&g->mu);
    g->entered = 1;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    *val = "1";
    *len = 1;
    return CAIRN_OK;
}

static void gate_wait_entered(gate *g)
{
    pthread_mutex_lock(&g->mu);
    while (!g->entered)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void gate_open(gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static int counting_fn(void *arg, const cairn_value *cur, const void **val, size_t *len)
{
    (void)cur;
    atomic_fetch_add((atomic_int *)arg, 1);
    *val = "2";
    *len = 1;
    return CAIRN_OK;
}

/* What callbacks saw. */
typedef struct {
    atomic_int calls;
    atomic_int ok, cancelled, other;
    atomic_int on_main; /* ran on the thread that created the test */
    pthread_t main;
} seen;

static void note_cb(cairn_future *f, void *arg)
{
    seen *w = arg;
    int st = cairn_future_status(f);
    /* a callback only ever sees a finished future */
    cairn_future_state fs = cairn_future_state_get(f);
    if (fs != CAIRN_FUTURE_DONE && fs != CAIRN_FUTURE_CANCELED)
        atomic_fetch_add(&w->other, 1000);
    if (st == CAIRN_OK || st == CAIRN_SKIPPED)
        atomic_fetch_add(&w->ok, 1);
    else if (st == CAIRN_ECANCELED)
        atomic_fetch_add(&w->cancelled, 1);
    else
        atomic_fetch_add(&w->other, 1);
    if (pthread_equal(pthread_self(), w->main))
        atomic_fetch_add(&w->on_main, 1);
    atomic_fetch_add(&w->calls, 1);
}

static int fd_readable(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Dispatched callbacks run on the dispatching thread only, once each, and
 * the fd is readable exactly while some wait. */
static void async_callbacks_dispatch(void **state)
{
    (void)state;
    cairn_store *s = open_mem();
    cairn_executor *ex = make_ex(2, 0, CAIRN_SHUTDOWN_DRAIN);
    seen w = {0};
    w.main = pthread_self();
    int fd = cairn_executor_fd(ex);
    assert_true(fd >= 0);
    assert_false(fd_readable(fd, 0));
    enum { N = 200 };
    for (int i = 0; i < N; i++) {
        char k[32];
        snprintf(k, sizeof k, "cb/%03d", i);
        assert_ok(cairn_async_put(ex, s, k, "true", 4, NULL, note_cb, &w, NULL));
    }
    assert_ok(cairn_executor_wait_idle(ex, -1));
    /* every call finished, no callback ran: they wait for dispatch */
    assert_int_equal(atomic_load(&w.calls), 0);
    assert_true(fd_readable(fd, 1000));
    /* max bounds a dispatch; the fd stays readable while some remain */
    assert_int_equal(cairn_executor_dispatch(ex, 50), 50);
    assert_int_equal(atomic_load(&w.calls), 50);
    assert_true(fd_readable(fd, 0));
    assert_int_equal(cairn_executor_dispatch(ex, 0), N - 50);
    assert_false(fd_readable(fd, 0));
    assert_int_equal(cairn_executor_dispatch(ex, 0), 0);
    assert_int_equal(atomic_load(&w.calls), N);
    assert_int_equal(atomic_load(&w.ok), N);
    assert_int_equal(atomic_load(&w.on_main), N);
    uint64_t n = 0;
    assert_ok(cairn_count(s, "cb", &n));
    assert_int_equal(n, N);
    cairn_executor_free(ex);
    cairn_store_close(s);
}

/* With callbacks_on_workers the callbacks run on worker threads without
 * dispatch, and the fd never becomes readable. */
static void async_callbacks_on_workers(void **state)
{
    (void)state;
    cairn_store *s = open_mem();
    cairn_executor *ex = make_ex(3, 1, CAIRN_SHUTDOWN_DRAIN);
    seen w = {0};
    w.main = pthread_self();
    enum { N = 300 };
    for (int i = 0; i < N; i++)
        assert_ok(cairn_async_incr(ex, s, "counter", 1, note_cb, &w, NULL));
    assert_ok(cairn_executor_wait_idle(ex, -1));
    assert_int_equal(atomic_load(&w.calls), N);
    assert_int_equal(atomic_load(&w.ok), N);
    assert_int_equal(atomic_load(&w.on_main), 0);
    assert_false(fd_readable(cairn_executor_fd(ex), 0));
    assert_int_equal(cairn_executor_dispatch(ex, 0), 0);
    int64_t v = 0;
    assert_ok(cairn_incr(s, "counter", 0, &v));
    assert_int_equal(v, N);
    cairn_executor_free(ex);
    cairn_store_close(s);
}

/* A future: wait with a timeout while the call runs, then its result. */
static void async_future_wait_timeout(void **state)
{
    (void)state;
    cairn_store *s = open_mem();
    cairn_executor *ex = make_ex(1, 0, CAIRN_SHUTDOWN_DRAIN);
    gate g = GATE_INIT;
    cairn_future *f = NULL;
    assert_ok(cairn_async_update_v2(ex, s, "k", gated_fn, &g, NULL, NULL, NULL, &f));
    assert_non_null(f);
    gate_wait_entered(&g);
    assert_int_equal(cairn_future_state_get(f), CAIRN_FUTURE_RUNNING);
    assert_rc(cairn_future_wait(f, 0), CAIRN_EBUSY);
    assert_rc(cairn_future_wait(f, 30), CAIRN_EBUSY);
    /* results of an unfinished call read as empty */
    assert_rc(cairn_future_status(f), CAIRN_EBUSY);
    gate_open(&g);
    assert_ok(cairn_future_wait(f, -1));
    assert_int_equal(cairn_future_state_get(f), CAIRN_FUTURE_DONE);
    assert_ok(cairn_future_status(f));
    assert_string_equal(cairn_future_errmsg(f), "");
    cairn_future_release(f);

    /* a get's value is moved out once; the caller frees it */
    assert_ok(cairn_async_get(ex, s, "k", NULL, NULL, &f));
    assert_ok(cairn_future_wait(f, 10000));
    assert_ok(cairn_future_status(f));
    assert_int_equal(cairn_future_value_count(f), 1);
    cairn_value *v = cairn_future_take_value(f, 0);
    assert_non_null(v);
    assert_null(cairn_future_take_value(f, 0));
    assert_string_equal(cairn_value_data(v, NULL), "1");
    cairn_future_release(f);
    cairn_value_free(v); /* outlives its future */

    /* an untaken value is freed with the future (ASan would see a leak) */
    assert_ok(cairn_async_get(ex, s, "k", NULL, NULL, &f));
    assert_ok(cairn_future_wait(f, -1));
    cairn_future_release(f);

    /* the call's own error is in the future, with the worker's message */
    assert_ok(cairn_async_get(ex, s, "absent/key", NULL, NULL, &f));
    assert_ok(cairn_future_wait(f, -1));
    assert_rc(cairn_future_status(f), CAIRN_ENOTFOUND);
    assert_null(cairn_future_take_value(f, 0));
    assert_non_null(strstr(cairn_future_errmsg(f), "absent/key"));
    cairn_future_release(f);
    cairn_executor_free(ex);
    cairn_store_close(s);
}

/* Cancel before start: the call never runs, its callback says
 * CAIRN_ECANCELED; a started call cannot be cancelled and runs to its end. */
static void async_cancel(void **state)
{
    (void)state;
    cairn_store *s = open_mem();
    cairn_executor *ex = make_ex(1, 0, CAIRN_SHUTDOWN_DRAIN);
    gate g = GATE_INIT;
    seen w = {0};
    w.main = pthread_self();
    atomic_int ran = 0;
    cairn_future *a = NULL, *b = NULL, *c = NULL;
    assert_ok(cairn_async_update_v2(ex, s, "a", gated_fn, &g, NULL, note_cb, &w, &a));
    gate_wait_entered(&g); /* a occupies the only worker */
    assert_ok(cairn_async_update_v2(ex, s, "b", counting_fn, &ran, NULL, note_cb, &w, &b));
    assert_ok(cairn_async_update_v2(ex, s, "c", counting_fn, &ran, NULL, NULL, NULL, &c));
    assert_int_equal(cairn_future_state_get(b), CAIRN_FUTURE_QUEUED);

    assert_ok(cairn_future_cancel(b));
    assert_int_equal(cairn_future_state_get(b), CAIRN_FUTURE_CANCELED);
    assert_rc(cairn_future_status(b), CAIRN_ECANCELED);
    assert_ok(cairn_future_wait(b, 0)); /* finished: wait returns at once */
    assert_rc(cairn_future_cancel(b), CAIRN_EBUSY); /* twice: already finished */
    assert_rc(cairn_future_cancel(a), CAIRN_EBUSY); /* started */
    assert_errmsg_has("started");
    /* the cancelled callback is delivered like any completion */
    assert_true(fd_readable(cairn_executor_fd(ex), 1000));
    assert_int_equal(cairn_executor_dispatch(ex, 0), 1);
    assert_int_equal(atomic_load(&w.cancelled), 1);

    gate_open(&g);
    assert_ok(cairn_future_wait(a, -1));
    assert_ok(cairn_future_status(a)); /* the started call ran to its end */
    assert_ok(cairn_future_wait(c, -1));
    assert_ok(cairn_future_status(c));
    assert_int_equal(atomic_load(&ran), 1); /* c ran, b never did */
    assert_rc(cairn_exists(s, "b"), CAIRN_ENOTFOUND);
    assert_ok(cairn_exists(s, "a"));
    assert_ok(cairn_executor_wait_idle(ex, -1));
    assert_int_equal(cairn_executor_dispatch(ex, 0), 1); /* a's callback */
    assert_int_equal(atomic_load(&w.ok), 1);
    assert_int_equal(atomic_load(&w.calls), 2);
    cairn_future_release(a);
    cairn_future_release(b);
    cairn_future_release(c);
    cairn_executor_free(ex);
    cairn_store_close(s);
}

/* An epoll loop watching the fd runs every callback on its own thread. */
static void async_epoll_fd(void **state)
{
    (void)state;
    cairn_store *s = open_mem();
    cairn_executor *ex = make_ex(2, 0, CAIRN_SHUTDOWN_DRAIN);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    assert_true(ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = cairn_executor_fd(ex)};
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, cairn_executor_fd(ex), &ev), 0);
    seen w = {0};
    w.main = pthread_self();
    enum { N = 1000 };
    for (int i = 0; i < N; i++) {
        char k[32];
        snprintf(k, sizeof k, "ep/%04d", i);
        assert_ok(cairn_async_put(ex, s, k, "1", 1, NULL, note_cb, &w, NULL));
        if (i % 100 == 99) { /* a loop turn now and then while work is in flight */
            struct epoll_event got;
            if (epoll_wait(ep, &got, 1, 0) == 1)
                cairn_executor_dispatch(ex, 0);
        }
    }
    int turns = 0;
    while (atomic_load(&w.calls) < N) {
        struct epoll_event got;
        int r = epoll_wait(ep, &got, 1, 10000);
        assert_int_equal(r, 1); /* never a 10 s silence with work pending */
        assert_int_equal(got.data.fd, cairn_executor_fd(ex));
        assert_true(cairn_executor_dispatch(ex, 64) > 0); /* readable means work */
        turns++;
    }
    assert_int_equal(atomic_load(&w.ok), N);
    assert_int_equal(atomic_load(&w.on_main), N);
    struct epoll_event got;
    assert_int_equal(epoll_wait(ep, &got, 1, 0), 0); /* nothing left: not readable */
    close(ep);
    cairn_executor_free(ex);
    cairn_store_close(s);
}

static atomic_int never_calls;
static void never_cb(cairn_future *f, void *arg)
{
    (void)f, (void)arg;
    atomic_fetch_add(&never_calls, 1);
}

/* A submit that returns an error never calls back, and says why. */
static void async_submit_errors(void **state)
{
    (void)state;
    cairn_store *s = open_mem();
    cairn_executor_opts o = {0};
    o.threads = 1;
    o.max_queued = 2;
    cairn_executor *ex = NULL;
    assert_ok(cairn_executor_new(&o, &ex));
    cairn_future *f = (cairn_future *)&o; /* must be reset to NULL */

    assert_rc(cairn_async_get(NULL, s, "k", never_cb, NULL, &f), CAIRN_EINVAL);
    assert_null(f);
    assert_errmsg_has("executor");
    f = (cairn_future *)&o;
    assert_rc(cairn_async_get(ex, NULL, "k", never_cb, NULL, &f), CAIRN_EINVAL);
    assert_null(f);
    assert_errmsg_has("store");
    assert_rc(cairn_async_get(ex, s, NULL, never_cb, NULL, NULL), CAIRN_EINVAL);
    assert_errmsg_has("key is NULL");
    assert_rc(cairn_async_put(ex, s, "k", NULL, 3, NULL, never_cb, NULL, NULL), CAIRN_EINVAL);
    assert_rc(cairn_async_get(ex, s, "k", NULL, NULL, NULL), CAIRN_EINVAL);
    assert_errmsg_has("neither a callback nor a future");
    assert_rc(cairn_async_update_v2(ex, s, "k", NULL, NULL, NULL, never_cb, NULL, NULL),
              CAIRN_EINVAL);
    assert_rc(cairn_async_get_many(ex, s, NULL, 2, never_cb, NULL, NULL), CAIRN_EINVAL);
    assert_rc(cairn_async_copy(ex, s, NULL, NULL, never_cb, NULL, NULL), CAIRN_EINVAL);
    assert_rc(cairn_async_model_resolve(ex, s, NULL, never_cb, NULL, NULL), CAIRN_EINVAL);

    /* back pressure: one running (held at the gate), two queued, the next refused */
    gate g = GATE_INIT;
    cairn_future *held = NULL;
    assert_ok(cairn_async_update_v2(ex, s, "g", gated_fn, &g, NULL, NULL, NULL, &held));
    gate_wait_entered(&g);
    assert_ok(cairn_async_exists(ex, s, "g", never_cb, NULL, NULL));
    assert_ok(cairn_async_exists(ex, s, "g", never_cb, NULL, NULL));
    f = (cairn_future *)&o;
    assert_rc(cairn_async_exists(ex, s, "g", never_cb, NULL, &f), CAIRN_EBUSY);
    assert_null(f);
    assert_errmsg_has("max_queued");
    gate_open(&g);
    assert_ok(cairn_executor_wait_idle(ex, -1));
    assert_int_equal(cairn_executor_dispatch(ex, 0), 2); /* the two accepted ones */
    assert_int_equal(atomic_load(&never_calls), 2);
    atomic_store(&never_calls, 0);
    cairn_future_release(held);

    /* bad options */
    cairn_executor *bad = (cairn_executor *)&o;
    o.threads = 100000;
    assert_rc(cairn_executor_new(&o, &bad), CAIRN_EINVAL);
    assert_null(bad);
    o.threads = 1;
    o.shutdown = (cairn_shutdown_mode)7;
    assert_rc(cairn_executor_new(&o, &bad), CAIRN_EINVAL);
    assert_rc(cairn_executor_new(NULL, NULL), CAIRN_EINVAL);
    assert_rc(cairn_executor_dispatch(NULL, 0), CAIRN_EINVAL);
    assert_rc(cairn_future_wait(NULL, 0), CAIRN_EINVAL);
    assert_rc(cairn_future_cancel(NULL), CAIRN_EINVAL);
    cairn_future_release(NULL);
    cairn_executor_free(NULL);

    cairn_executor_free(ex);
    assert_int_equal(atomic_load(&never_calls), 0);
    cairn_store_close(s);
}

/* A callback that submits during shutdown is refused with CAIRN_ECANCELED,
 * and the refused call never calls back. */
typedef struct {
    cairn_executor *ex;
    cairn_store *s;
    atomic_int refused;
} resubmit;

static void resubmit_cb(cairn_future *f, void *arg)
{
    (void)f;
    resubmit *r = arg;
    if (cairn_async_exists(r->ex, r->s, "x", never_cb, NULL, NULL) == CAIRN_ECANCELED)
        atomic_fetch_add(&r->refused, 1);
}

static void async_submit_during_shutdown(void **state)
{
    (void)state;
    cairn_store *s = open_mem();
    cairn_executor *ex = make_ex(1, 0, CAIRN_SHUTDOWN_DRAIN);
    resubmit r = {ex, s, 0};
    for (int i = 0; i < 10; i++)
        assert_ok(cairn_async_exists(ex, s, "x", resubmit_cb, &r, NULL));
    cairn_executor_free(ex); /* the callbacks run here and try to submit */
    assert_int_equal(atomic_load(&r.refused), 10);
    assert_int_equal(atomic_load(&never_calls), 0);
    cairn_store_close(s);
}

/* Many threads submit at once to one executor; every call completes once. */
typedef struct {
    cairn_executor *ex;
    cairn_store *s;
    seen *w;
    int failures;
} submitter;

enum { SUBMITTERS = 8, PER_SUBMITTER = 500 };

static void *submit_many(void *p)
{
    submitter *t = p;
    for (int i = 0; i < PER_SUBMITTER; i++) {
        int rc;
        if (i % 2) {
            rc = cairn_async_incr(t->ex, t->s, "shared", 1, note_cb, t->w, NULL);
        } else {
            cairn_future *f = NULL;
            rc = cairn_async_incr(t->ex, t->s, "shared", 1, NULL, NULL, &f);
            if (!rc && (i % 50) == 0) { /* some wait, most do not */
                rc = cairn_future_wait(f, -1);
                if (!rc && cairn_future_status(f) != CAIRN_OK)
                    rc = cairn_future_status(f);
            }
            cairn_future_release(f);
        }
        if (rc)
            t->failures++;
    }
    return NULL;
}

static void async_many_submitters(void **state)
{
    (void)state;
    cairn_store *s = open_mem();
    cairn_executor *ex = make_ex(4, 1, CAIRN_SHUTDOWN_DRAIN);
    seen w = {0};
    w.main = pthread_self();
    submitter t[SUBMITTERS];
    pthread_t th[SUBMITTERS];
    for (int i = 0; i < SUBMITTERS; i++) {
        t[i] = (submitter){ex, s, &w, 0};
        assert_int_equal(pthread_create(&th[i], NULL, submit_many, &t[i]), 0);
    }
    for (int i = 0; i < SUBMITTERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].failures, 0);
    }
    assert_ok(cairn_executor_wait_idle(ex, -1));
    assert_int_equal(atomic_load(&w.calls), SUBMITTERS * PER_SUBMITTER / 2);
    assert_int_equal(atomic_load(&w.ok), SUBMITTERS * PER_SUBMITTER / 2);
    int64_t v = 0;
    assert_ok(cairn_incr(s, "shared", 0, &v));
    assert_int_equal(v, SUBMITTERS * PER_SUBMITTER); /* no update lost */
    cairn_executor_free(ex);
    cairn_store_close(s);
}

/* Shutdown while work is pending, both ways, with futures still held. */
typedef struct {
    gate *g;
} opener;

static void *open_later(void *p)
{
    opener *o = p;
    gate_wait_entered(o->g);
    tr_sleep_ms(50); /* destroy has begun (or is about to): it must wait */
    gate_open(o->g);
    return NULL;
}

static void shutdown_case(cairn_shutdown_mode mode, int on_workers)
{
    cairn_store *s = open_mem();
    cairn_executor *ex = make_ex(1, on_workers, mode);
    gate g = GATE_INIT;
    seen w = {0};
    w.main = pthread_self();
    atomic_int ran = 0;
    enum { N = 50 };
    cairn_future *first = NULL, *futs[N];
    assert_ok(cairn_async_update_v2(ex, s, "first", gated_fn, &g, NULL, note_cb, &w, &first));
    gate_wait_entered(&g); /* first is running: a cancelling shutdown cannot stop it */
    for (int i = 0; i < N; i++) {
        char k[32];
        snprintf(k, sizeof k, "later/%02d", i);
        /* every other one keeps a future only, without a callback */
        assert_ok(cairn_async_update_v2(ex, s, k, counting_fn, &ran, NULL,
                                     i % 2 ? note_cb : NULL, &w, &futs[i]));
    }
    pthread_t th;
    opener o = {&g};
    assert_int_equal(pthread_create(&th, NULL, open_later, &o), 0);
    cairn_executor_free(ex); /* with the first call running, N queued */
    pthread_join(th, NULL);

    /* every callback came exactly once, before destroy returned */
    assert_int_equal(atomic_load(&w.calls), 1 + N / 2);
    assert_int_equal(atomic_load(&w.other), 0);
    assert_ok(cairn_future_status(first)); /* a started call runs to its end */
    uint64_t n = 0;
    assert_ok(cairn_count(s, "later", &n));
    if (mode == CAIRN_SHUTDOWN_DRAIN) {
        assert_int_equal(atomic_load(&ran), N);
        assert_int_equal(n, N);
        assert_int_equal(atomic_load(&w.ok), 1 + N / 2);
    } else {
        assert_int_equal(atomic_load(&ran), 0);
        assert_int_equal(n, 0);
        assert_int_equal(atomic_load(&w.cancelled), N / 2);
    }
    /* the held futures are finished and readable after the executor is gone */
    for (int i = 0; i < N; i++) {
        assert_ok(cairn_future_wait(futs[i], 0));
        assert_rc(cairn_future_status(futs[i]),
                  mode == CAIRN_SHUTDOWN_DRAIN ? CAIRN_OK : CAIRN_ECANCELED);
        assert_rc(cairn_future_cancel(futs[i]), CAIRN_EBUSY);
        cairn_future_release(futs[i]);
    }
    cairn_future_release(first);
    cairn_store_close(s);
}

static void async_shutdown_drain(void **state)
{
    (void)state;
    shutdown_case(CAIRN_SHUTDOWN_DRAIN, 0);
    shutdown_case(CAIRN_SHUTDOWN_DRAIN, 1);
}

static void async_shutdown_cancel(void **state)
{
    (void)state;
    shutdown_case(CAIRN_SHUTDOWN_CANCEL, 0);
    shutdown_case(CAIRN_SHUTDOWN_CANCEL, 1);
}

/* A future released before its call completes: the call goes on, the
 * callback still comes, nothing leaks (ASan). Cancel from many threads at
 * once: exactly one wins. */
typedef struct {
    cairn_future *f;
    atomic_int *wins;
} canceller;

static void *cancel_it(void *p)
{
    canceller *c = p;
    if (cairn_future_cancel(c->f) == CAIRN_OK)
        atomic_fetch_add(c->wins, 1);
    return NULL;
}

static void async_release_and_racing_cancels(void **state)
{
    (void)state;
    cairn_store *s = open_mem();
    cairn_executor *ex = make_ex(1, 0, CAIRN_SHUTDOWN_DRAIN);
    seen w = {0};
    w.main = pthread_self();
    gate g = GATE_INIT;
    cairn_future *held = NULL;
    assert_ok(cairn_async_update_v2(ex, s, "g", gated_fn, &g, NULL, NULL, NULL, &held));
    gate_wait_entered(&g);
    cairn_future *f = NULL;
    assert_ok(cairn_async_get(ex, s, "g", note_cb, &w, &f));
    cairn_future_release(f); /* queued, released: still delivered */

    atomic_int wins = 0;
    cairn_future *target = NULL;
    assert_ok(cairn_async_exists(ex, s, "g", note_cb, &w, &target));
    canceller c = {target, &wins};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, cancel_it, &c), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&wins), 1);
    cairn_future_release(target);

    gate_open(&g);
    assert_ok(cairn_executor_wait_idle(ex, -1));
    assert_int_equal(cairn_executor_dispatch(ex, 0), 2);
    assert_int_equal(atomic_load(&w.ok), 1);
    assert_int_equal(atomic_load(&w.cancelled), 1);
    cairn_future_release(held);
    cairn_executor_free(ex);
    cairn_store_close(s);
}

/* wait_idle with a timeout while a call is held. */
static void async_wait_idle_timeout(void **state)
{
    (void)state;
    cairn_store *s = open_mem();
    cairn_executor *ex = make_ex(2, 0, CAIRN_SHUTDOWN_DRAIN);
    gate g = GATE_INIT;
    cairn_future *f = NULL;
    assert_ok(cairn_async_update_v2(ex, s, "k", gated_fn, &g, NULL, NULL, NULL, &f));
    gate_wait_entered(&g);
    assert_rc(cairn_executor_wait_idle(ex, 20), CAIRN_EBUSY);
    assert_errmsg_has("pending");
    gate_open(&g);
    assert_ok(cairn_executor_wait_idle(ex, -1));
    cairn_future_release(f);
    cairn_executor_free(ex);
    cairn_store_close(s);
}

const tr_case unit_async_cases[] = {
    TR_CASE(async_callbacks_dispatch, TR_NONE, 0),
    TR_CASE(async_callbacks_on_workers, TR_NONE, 0),
    TR_CASE(async_future_wait_timeout, TR_NONE, 0),
    TR_CASE(async_cancel, TR_NONE, 0),
    TR_CASE(async_epoll_fd, TR_NONE, 0),
    TR_CASE(async_submit_errors, TR_NONE, 0),
    TR_CASE(async_submit_during_shutdown, TR_NONE, 0),
    TR_CASE(async_many_submitters, TR_NONE, 0),
    TR_CASE(async_shutdown_drain, TR_NONE, 0),
    TR_CASE(async_shutdown_cancel, TR_NONE, 0),
    TR_CASE(async_release_and_racing_cancels, TR_NONE, 0),
    TR_CASE(async_wait_idle_timeout, TR_NONE, 0),
};
const size_t unit_async_ncases = UNIT_NCASES(unit_async_cases);
