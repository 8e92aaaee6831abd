/*
 * executor.c — the thread pool behind the async API: a FIFO run queue, the
 * workers, completions handed to the application's thread through an
 * eventfd, cancellation, shutdown, and the futures' state and results.
 *
 * Locking: ex->mu guards the run queue, the completion list and the counts;
 * a job's state moves QUEUED -> RUNNING (a worker pops it) or QUEUED ->
 * CANCELLED only under ex->mu, so a cancel and a worker never both win.
 * A future's own mu/cv only serve cairn_future_wait(), so a future outlives
 * its executor. Lock order: ex->mu, then f->mu.
 */
#define _GNU_SOURCE /* pthread_cond_clockwait */
#include "async/job.h"
#include "base/error.h"
#include "base/opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_THREADS 2u
#define MAX_THREADS 256u

struct cairn_executor {
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* a job was queued, or stop */
    pthread_cond_t idle_cv; /* pending reached 0 */
    cairn_future *qhead, *qtail; /* run queue */
    cairn_future *chead, *ctail; /* completions waiting for dispatch */
    size_t queued;  /* jobs in the run queue */
    size_t pending; /* jobs submitted and not yet completed */
    size_t batched; /* jobs run as part of a batch of two or more */
    unsigned idle;  /* workers waiting on work_cv: a submit wakes one only then */
    int shutting;   /* destroy began: submits fail */
    int stop;       /* workers leave once the queue is empty */
    int efd;
    cairn_executor_opts opts;
    unsigned nthreads;
    pthread_t *threads;
};

/* cairn_future_cancel() reads a future's state and then takes its
 * executor's mutex; destroy frees the executor only after taking this lock
 * for writing, so a cancel that saw QUEUED finds the executor alive. */
static pthread_rwlock_t g_cancel_lock = PTHREAD_RWLOCK_INITIALIZER;

struct cairn__blk {
    cairn__blk *next;
    max_align_t data[];
};

/* ---- jobs ---- */

static void job_free(cairn_future *f)
{
    if (f->cleanup)
        f->cleanup(f);
    if (f->values) {
        for (size_t i = 0; i < f->nvalues; i++)
            cairn_value_free(f->values[i]);
        if (f->values != &f->value1)
            free(f->values);
    }
    for (size_t i = 0; i < f->nkeys; i++)
        free(f->keyv[i]);
    free(f->keyv);
    free(f->keylen);
    cairn_verrors_free(f->verrs);
    free(f->errmsg);
    for (cairn__blk *b = f->mem, *nb; b; b = nb) {
        nb = b->next;
        free(b);
    }
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}

static void job_unref(cairn_future *f)
{
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
        job_free(f);
}

cairn_future *cairn__job_new(cairn_executor *ex, cairn_store *s, int (*run)(cairn_future *),
                             cairn_async_cb cb, void *arg, cairn_future **fut, int *rc)
{
    cairn__err_clear();
    if (fut)
        *fut = NULL;
    if (!ex || !s) {
        *rc = cairn__err(CAIRN_EINVAL, "async: %s is NULL", ex ? "the store" : "the executor");
        return NULL;
    }
    if (!cb && !fut) {
        *rc = cairn__err(CAIRN_EINVAL,
                         "async: neither a callback nor a future: the result would be lost");
        return NULL;
    }
    cairn_future *f = calloc(1, sizeof *f);
    if (!f) {
        *rc = cairn__err(CAIRN_ENOMEM, "async: out of memory for a job");
        return NULL;
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->ex = ex;
    f->s = s;
    f->run = run;
    f->cb = cb;
    f->arg = arg;
    f->status = CAIRN_EBUSY;
    atomic_init(&f->state, CAIRN_FUTURE_QUEUED);
    atomic_init(&f->refs, 1u);
    return f;
}

void *cairn__job_dup(cairn_future *f, const void *p, size_t n, int *ok)
{
    if (!p)
        return NULL;
    cairn__blk *b = malloc(sizeof *b + n + 1);
    if (!b) {
        *ok = 0;
        return NULL;
    }
    b->next = f->mem;
    f->mem = b;
    char *d = (char *)b->data;
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

void *cairn__job_alloc(cairn_future *f, size_t n, int *ok)
{
    cairn__blk *b = calloc(1, sizeof *b + n + 1);
    if (!b) {
        *ok = 0;
        return NULL;
    }
    b->next = f->mem;
    f->mem = b;
    return b->data;
}

const char *cairn__job_strdup(cairn_future *f, const char *s, int *ok)
{
    return s ? cairn__job_dup(f, s, strlen(s), ok) : NULL;
}

int cairn__job_abandon(cairn_future *f, int rc, cairn_future **fut)
{
    if (fut)
        *fut = NULL;
    job_free(f);
    return rc;
}

int cairn__job_add_key(cairn_future *f, const char *k, size_t len)
{
    if (f->nkeys == f->capkeys) {
        size_t cap = f->capkeys ? f->capkeys * 2 : 16;
        char **kv = realloc(f->keyv, cap * sizeof *kv);
        if (!kv)
            return cairn__err(CAIRN_ENOMEM, "async: out of memory collecting keys");
        f->keyv = kv;
        size_t *kl = realloc(f->keylen, cap * sizeof *kl);
        if (!kl)
            return cairn__err(CAIRN_ENOMEM, "async: out of memory collecting keys");
        f->keylen = kl;
        f->capkeys = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return cairn__err(CAIRN_ENOMEM, "async: out of memory collecting keys");
    memcpy(c, k, len);
    c[len] = '\0';
    f->keyv[f->nkeys] = c;
    f->keylen[f->nkeys++] = len;
    return CAIRN_OK;
}

/* ---- completion ---- */

static void signal_fd(cairn_executor *ex)
{
    uint64_t one = 1;
    /* The counter cannot overflow (dispatch resets it); EAGAIN would mean
     * it is already readable, which is all we want. */
    ssize_t w = write(ex->efd, &one, sizeof one);
    (void)w;
}

/* Make f's state final and wake its waiters. */
static void set_final(cairn_future *f, int state)
{
    pthread_mutex_lock(&f->mu);
    atomic_store_explicit(&f->state, state, memory_order_release);
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

/* Hand a finished job's callback to the dispatch list, or drop the
 * executor's reference when there is none. ex->mu held. */
static void complete_locked(cairn_executor *ex, cairn_future *f)
{
    if (f->cb) {
        f->cnext = NULL;
        if (ex->ctail)
            ex->ctail->cnext = f;
        else {
            ex->chead = f;
            signal_fd(ex);
        }
        ex->ctail = f;
    } else
        job_unref(f);
    if (--ex->pending == 0)
        pthread_cond_broadcast(&ex->idle_cv);
}

static void unlink_locked(cairn_executor *ex, cairn_future *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        ex->qhead = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        ex->qtail = f->prev;
    f->next = f->prev = NULL;
    f->in_queue = 0;
    ex->queued--;
}

static void push_front_locked(cairn_executor *ex, cairn_future *f)
{
    f->prev = NULL;
    f->next = ex->qhead;
    if (ex->qhead)
        ex->qhead->prev = f;
    else
        ex->qtail = f;
    ex->qhead = f;
    f->in_queue = 1;
    ex->queued++;
}

/* Cancel a queued job. ex->mu held, f->state QUEUED. With callbacks on
 * workers, the job goes to the front of the queue for a worker to deliver
 * the callback; otherwise it completes here. */
static void cancel_locked(cairn_executor *ex, cairn_future *f)
{
    f->status = CAIRN_ECANCELED;
    unlink_locked(ex, f);
    set_final(f, CAIRN_FUTURE_CANCELED);
    if (f->cb && ex->opts.callbacks_on_workers) {
        push_front_locked(ex, f);
        pthread_cond_signal(&ex->work_cv);
    } else
        complete_locked(ex, f);
}

size_t cairn__executor_batched(cairn_executor *ex)
{
    pthread_mutex_lock(&ex->mu);
    size_t n = ex->batched;
    pthread_mutex_unlock(&ex->mu);
    return n;
}

void cairn__job_done(cairn_future *f, int st)
{
    f->status = st;
    if (st < 0) {
        const char *m = cairn_errmsg();
        f->errmsg = strdup(m && *m ? m : cairn_strerror(st));
    }
}

void cairn__job_run(cairn_future *f)
{
    cairn__job_done(f, f->run(f));
}

/* Pop the jobs at the head of the queue that f (just popped, running) may
 * run with, into fs[1..]; returns how many fs holds, f included. Takes a
 * fair share only (what is queued over the workers), so that the other
 * workers are not left idle. ex->mu held. */
static size_t take_batch_locked(cairn_executor *ex, cairn_future *f, cairn_future **fs)
{
    size_t n = 1, max = 1 + ex->queued / ex->nthreads;
    if (max > CAIRN__BATCH_MAX)
        max = CAIRN__BATCH_MAX;
    fs[0] = f;
    for (cairn_future *g; n < max && (g = ex->qhead) && g->batch == f->batch &&
                          g->s == f->s && (!f->batch_with || f->batch_with(f, g)) &&
                          atomic_load_explicit(&g->state, memory_order_relaxed) ==
                              CAIRN_FUTURE_QUEUED;) {
        unlink_locked(ex, g);
        atomic_store_explicit(&g->state, CAIRN_FUTURE_RUNNING, memory_order_release);
        fs[n++] = g;
    }
    if (n > 1)
        ex->batched += n;
    return n;
}

static void *worker(void *p)
{
    cairn_executor *ex = p;
    cairn_future *fs[CAIRN__BATCH_MAX];
    pthread_mutex_lock(&ex->mu);
    for (;;) {
        while (!ex->qhead && !ex->stop) {
            ex->idle++;
            pthread_cond_wait(&ex->work_cv, &ex->mu);
            ex->idle--;
        }
        if (!ex->qhead)
            break; /* stop, and nothing left */
        cairn_future *f = ex->qhead;
        unlink_locked(ex, f);
        int cancelled = atomic_load_explicit(&f->state, memory_order_relaxed) ==
                        CAIRN_FUTURE_CANCELED;
        size_t n = 1;
        fs[0] = f;
        if (!cancelled) {
            atomic_store_explicit(&f->state, CAIRN_FUTURE_RUNNING, memory_order_release);
            if (f->batch)
                n = take_batch_locked(ex, f, fs);
        }
        pthread_mutex_unlock(&ex->mu);

        if (!cancelled) {
            if (n > 1)
                f->batch(fs, n);
            else
                cairn__job_run(f);
            for (size_t i = 0; i < n; i++)
                set_final(fs[i], CAIRN_FUTURE_DONE);
        }
        /* Callbacks run on this worker (callbacks_on_workers) before their
         * jobs count as done, so wait_idle returns after them; the others
         * go to the dispatch list. */
        bool here = ex->opts.callbacks_on_workers;
        for (size_t i = 0; i < n; i++)
            if (fs[i]->cb && here)
                fs[i]->cb(fs[i], fs[i]->arg);
        pthread_mutex_lock(&ex->mu);
        size_t held = 0;
        for (size_t i = 0; i < n; i++) {
            if (fs[i]->cb && here) {
                fs[held++] = fs[i];
                if (--ex->pending == 0)
                    pthread_cond_broadcast(&ex->idle_cv);
            } else {
                complete_locked(ex, fs[i]);
            }
        }
        if (held) {
            pthread_mutex_unlock(&ex->mu);
            for (size_t i = 0; i < held; i++)
                job_unref(fs[i]);
            pthread_mutex_lock(&ex->mu);
        }
    }
    pthread_mutex_unlock(&ex->mu);
    return NULL;
}

int cairn__job_submit(cairn_future *f, int ok, cairn_future **fut)
{
    if (!ok)
        return cairn__job_abandon(f, cairn__err(CAIRN_ENOMEM, "async: out of memory copying "
                                                              "the arguments"),
                                  fut);
    cairn_executor *ex = f->ex;
    pthread_mutex_lock(&ex->mu);
    if (ex->shutting) {
        pthread_mutex_unlock(&ex->mu);
        return cairn__job_abandon(
            f, cairn__err(CAIRN_ECANCELED, "async: the executor is shutting down"), fut);
    }
    if (ex->opts.max_queued && ex->queued >= ex->opts.max_queued) {
        size_t q = ex->queued;
        pthread_mutex_unlock(&ex->mu);
        return cairn__job_abandon(
            f, cairn__err(CAIRN_EBUSY, "async: %zu calls already queued (max_queued)", q),
            fut);
    }
    if (fut)
        atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    f->next = NULL;
    f->prev = ex->qtail;
    if (ex->qtail)
        ex->qtail->next = f;
    else
        ex->qhead = f;
    ex->qtail = f;
    f->in_queue = 1;
    ex->queued++;
    ex->pending++;
    if (ex->idle) /* busy workers take the next job without a wake-up */
        pthread_cond_signal(&ex->work_cv);
    pthread_mutex_unlock(&ex->mu);
    if (fut)
        *fut = f;
    return CAIRN_OK;
}

/* ---- the executor ---- */

int cairn_executor_new(const cairn_executor_opts *opts, cairn_executor **out)
{
    cairn__err_clear();
    if (!out)
        return cairn__err(CAIRN_EINVAL, "executor create: out is NULL");
    *out = NULL;
    cairn_executor_opts o;
    int orc = CAIRN__OPTS_READ(&o, opts, "executor options");
    if (orc)
        return cairn__err_prefix(orc, "executor create");
    if (o.threads > MAX_THREADS)
        return cairn__err(CAIRN_EINVAL, "executor create: %u threads (at most %u)", o.threads,
                          MAX_THREADS);
    if (o.shutdown != CAIRN_SHUTDOWN_DRAIN && o.shutdown != CAIRN_SHUTDOWN_CANCEL)
        return cairn__err(CAIRN_EINVAL, "executor create: unknown shutdown mode %d",
                          (int)o.shutdown);
    if (!o.threads)
        o.threads = DEFAULT_THREADS;

    cairn_executor *ex = calloc(1, sizeof *ex);
    if (!ex)
        return cairn__err(CAIRN_ENOMEM, "executor create: out of memory");
    ex->threads = calloc(o.threads, sizeof *ex->threads);
    if (!ex->threads) {
        free(ex);
        return cairn__err(CAIRN_ENOMEM, "executor create: out of memory");
    }
    ex->opts = o;
    ex->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ex->efd < 0) {
        int e = errno;
        free(ex->threads);
        free(ex);
        return cairn__err(CAIRN_EIO, "executor create: eventfd: %s", strerror(e));
    }
    pthread_mutex_init(&ex->mu, NULL);
    pthread_cond_init(&ex->work_cv, NULL);
    pthread_cond_init(&ex->idle_cv, NULL);
    for (unsigned i = 0; i < o.threads; i++) {
        int e = pthread_create(&ex->threads[i], NULL, worker, ex);
        if (e) {
            ex->nthreads = i;
            cairn_executor_free(ex);
            return cairn__err(CAIRN_EIO, "executor create: thread %u of %u: %s", i + 1,
                              o.threads, strerror(e));
        }
    }
    ex->nthreads = o.threads;
    *out = ex;
    return CAIRN_OK;
}

/* Take the completions waiting (at most max; 0: all) off the list. */
static cairn_future *take_completions(cairn_executor *ex, size_t max)
{
    pthread_mutex_lock(&ex->mu);
    uint64_t v;
    ssize_t r = read(ex->efd, &v, sizeof v); /* reset; EAGAIN when not set */
    (void)r;
    cairn_future *head = ex->chead, *last = NULL, *f = head;
    for (size_t k = 0; f && (!max || k < max); k++) {
        last = f;
        f = f->cnext;
    }
    if (last) {
        last->cnext = NULL;
        ex->chead = f;
        if (!f)
            ex->ctail = NULL;
        else
            signal_fd(ex); /* more remain: stay readable */
    } else
        head = NULL;
    pthread_mutex_unlock(&ex->mu);
    return head;
}

static int run_completions(cairn_future *f)
{
    int n = 0;
    while (f) {
        cairn_future *nf = f->cnext;
        f->cb(f, f->arg);
        job_unref(f);
        n++;
        f = nf;
    }
    return n;
}

void cairn_executor_free(cairn_executor *ex)
{
    if (!ex)
        return;
    pthread_mutex_lock(&ex->mu);
    ex->shutting = 1;
    if (ex->opts.shutdown == CAIRN_SHUTDOWN_CANCEL) {
        cairn_future *f = ex->qhead;
        while (f) {
            cairn_future *nf = f->next;
            if (atomic_load_explicit(&f->state, memory_order_relaxed) ==
                CAIRN_FUTURE_QUEUED) {
                cancel_locked(ex, f);
            }
            f = nf;
        }
    }
    ex->stop = 1;
    pthread_cond_broadcast(&ex->work_cv);
    pthread_mutex_unlock(&ex->mu);
    for (unsigned i = 0; i < ex->nthreads; i++)
        pthread_join(ex->threads[i], NULL);
    /* Every job has run or been cancelled; deliver what waits for dispatch. */
    run_completions(take_completions(ex, 0));

    pthread_rwlock_wrlock(&g_cancel_lock);
    pthread_rwlock_unlock(&g_cancel_lock);
    close(ex->efd);
    pthread_mutex_destroy(&ex->mu);
    pthread_cond_destroy(&ex->work_cv);
    pthread_cond_destroy(&ex->idle_cv);
    free(ex->threads);
    free(ex);
}

int cairn_executor_fd(const cairn_executor *ex)
{
    return ex ? ex->efd : -1;
}

int cairn_executor_dispatch(cairn_executor *ex, size_t max)
{
    if (!ex)
        return cairn__err(CAIRN_EINVAL, "executor dispatch: ex is NULL");
    return run_completions(take_completions(ex, max));
}

/* An absolute CLOCK_MONOTONIC deadline timeout_ms from now. */
static struct timespec deadline(int64_t timeout_ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(timeout_ms / 1000);
    t.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* pthread_cond_timedwait on CLOCK_MONOTONIC (glibc's pthread_cond_clockwait). */
static int cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t timeout_ms,
                           const struct timespec *until)
{
    if (timeout_ms < 0)
        return pthread_cond_wait(cv, mu);
    return pthread_cond_clockwait(cv, mu, CLOCK_MONOTONIC, until);
}

int cairn_executor_wait_idle(cairn_executor *ex, int64_t timeout_ms)
{
    if (!ex)
        return cairn__err(CAIRN_EINVAL, "executor wait_idle: ex is NULL");
    struct timespec until = deadline(timeout_ms < 0 ? 0 : timeout_ms);
    int rc = CAIRN_OK;
    pthread_mutex_lock(&ex->mu);
    while (ex->pending > 0) {
        if (cond_wait_until(&ex->idle_cv, &ex->mu, timeout_ms, &until) == ETIMEDOUT &&
            ex->pending > 0) {
            rc = cairn__err(CAIRN_EBUSY, "executor wait_idle: %zu calls still pending after "
                                         "%lld ms",
                            ex->pending, (long long)timeout_ms);
            break;
        }
    }
    pthread_mutex_unlock(&ex->mu);
    return rc;
}

/* ---- futures ---- */

static int is_final(const cairn_future *f)
{
    int st = atomic_load_explicit(&f->state, memory_order_acquire);
    return st == CAIRN_FUTURE_DONE || st == CAIRN_FUTURE_CANCELED;
}

cairn_future_state cairn_future_state_get(const cairn_future *f)
{
    return f ? (cairn_future_state)atomic_load_explicit(&f->state, memory_order_acquire)
             : CAIRN_FUTURE_DONE;
}

int cairn_future_wait(cairn_future *f, int64_t timeout_ms)
{
    if (!f)
        return cairn__err(CAIRN_EINVAL, "future wait: f is NULL");
    if (is_final(f))
        return CAIRN_OK;
    if (timeout_ms == 0)
        return cairn__err(CAIRN_EBUSY, "future wait: not finished");
    struct timespec until = deadline(timeout_ms < 0 ? 0 : timeout_ms);
    int rc = CAIRN_OK;
    pthread_mutex_lock(&f->mu);
    while (!is_final(f)) {
        if (cond_wait_until(&f->cv, &f->mu, timeout_ms, &until) == ETIMEDOUT && !is_final(f)) {
            rc = cairn__err(CAIRN_EBUSY, "future wait: not finished after %lld ms",
                            (long long)timeout_ms);
            break;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int cairn_future_cancel(cairn_future *f)
{
    if (!f)
        return cairn__err(CAIRN_EINVAL, "future cancel: f is NULL");
    int rc;
    pthread_rwlock_rdlock(&g_cancel_lock);
    if (atomic_load_explicit(&f->state, memory_order_acquire) != CAIRN_FUTURE_QUEUED) {
        rc = cairn__err(CAIRN_EBUSY, "future cancel: the call has already %s",
                        is_final(f) ? "finished" : "started (it runs to its end)");
    } else {
        /* Queued: the job is pending, so its executor is alive (destroy
         * waits for every job and then for this lock). */
        cairn_executor *ex = f->ex;
        pthread_mutex_lock(&ex->mu);
        if (atomic_load_explicit(&f->state, memory_order_relaxed) == CAIRN_FUTURE_QUEUED) {
            cancel_locked(ex, f);
            rc = CAIRN_OK;
        } else
            rc = cairn__err(CAIRN_EBUSY, "future cancel: the call has already started");
        pthread_mutex_unlock(&ex->mu);
    }
    pthread_rwlock_unlock(&g_cancel_lock);
    return rc;
}

void cairn_future_release(cairn_future *f)
{
    if (f)
        job_unref(f);
}

int cairn_future_status(const cairn_future *f)
{
    if (!f)
        return CAIRN_EINVAL;
    int st = atomic_load_explicit(&f->state, memory_order_acquire);
    if (st == CAIRN_FUTURE_CANCELED)
        return CAIRN_ECANCELED;
    return st == CAIRN_FUTURE_DONE ? f->status : CAIRN_EBUSY;
}

const char *cairn_future_errmsg(const cairn_future *f)
{
    if (!f || !is_final(f))
        return "";
    if (atomic_load_explicit(&f->state, memory_order_acquire) == CAIRN_FUTURE_CANCELED)
        return "cancelled before it started";
    return f->errmsg ? f->errmsg : "";
}

cairn_value *cairn_future_take_value(cairn_future *f, size_t i)
{
    if (!f || !is_final(f) || i >= f->nvalues)
        return NULL;
    cairn_value *v = f->values[i];
    f->values[i] = NULL;
    return v;
}

size_t cairn_future_value_count(const cairn_future *f)
{
    return f && is_final(f) ? f->nvalues : 0;
}

size_t cairn_future_key_count(const cairn_future *f)
{
    return f && is_final(f) ? f->nkeys : 0;
}

const char *cairn_future_key(const cairn_future *f, size_t i, size_t *len)
{
    if (!f || !is_final(f) || i >= f->nkeys)
        return NULL;
    if (len)
        *len = f->keylen[i];
    return f->keyv[i];
}

uint64_t cairn_future_u64(const cairn_future *f)
{
    return f && is_final(f) ? f->u64 : 0;
}

int64_t cairn_future_i64(const cairn_future *f)
{
    return f && is_final(f) ? f->i64 : 0;
}

const char *cairn_future_str(const cairn_future *f)
{
    return f && is_final(f) ? f->str : "";
}

int cairn_future_item_status(const cairn_future *f, size_t i)
{
    if (!f || !is_final(f) || i >= f->n || (!f->items && !f->ritems))
        return CAIRN_EINVAL;
    return f->items ? f->items[i].status : f->ritems[i].status;
}

const cairn_stats *cairn_future_stats(const cairn_future *f)
{
    return f && is_final(f) && f->has_stats ? &f->stats : NULL;
}

const cairn_copy_stats *cairn_future_copy_stats(const cairn_future *f)
{
    return f && is_final(f) && f->has_cstats ? &f->cstats : NULL;
}

cairn_verrors *cairn_future_take_verrors(cairn_future *f)
{
    if (!f || !is_final(f))
        return NULL;
    cairn_verrors *e = f->verrs;
    f->verrs = NULL;
    return e;
}
