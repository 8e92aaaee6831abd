/*
 * job.h — one async call (a job, which is also its future) as executor.c and
 * calls.c share it. calls.c fills the arguments and the run function; the
 * executor queues, runs, cancels and completes it.
 *
 * Adding an async form (say for a new cairn_put_array): in calls.c, a run
 * function that calls the sync call with the job's arguments and stores its
 * results in the job, and the public function: cairn__job_new(), copy the
 * arguments with cairn__job_dup(), return cairn__job_submit().
 */
#ifndef CAIRN_ASYNC_JOB_H
#define CAIRN_ASYNC_JOB_H

/* Layer 4 (async/): for async/ only (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER < 5 && !defined(CAIRN_IN_ASYNC))
#error "async/job.h: included from a layer that may not use it"
#endif

#include "cairn/cairn.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How many calls ex ran as part of a batch of two or more (for tests). */
size_t cairn__executor_batched(cairn_executor *ex);

typedef struct cairn__blk cairn__blk; /* the job's copies of its arguments */

struct cairn_future {
    /* ---- the executor's: queue links, state, references ---- */
    cairn_future *next, *prev; /* run queue (doubly linked: cancel unlinks) */
    cairn_future *cnext;       /* completion list */
    cairn_executor *ex;        /* set once; dereferenced only while queued */
    int (*run)(cairn_future *f); /* on a worker; returns the call's status */
    void (*cleanup)(cairn_future *f); /* frees results run left; may be NULL */
    cairn_async_cb cb;
    void *arg;
    _Atomic int state;         /* cairn_future_state */
    _Atomic unsigned refs;     /* the executor's (until completed) + caller's */
    pthread_mutex_t mu;        /* guards the wait on cv */
    pthread_cond_t cv;
    int in_queue;
    cairn__blk *mem;
    /* Non-NULL: queued jobs of the same batch function on the same store,
     * and (batch_with, when set) compatible, may be run together by one
     * worker: batch(fs, n) runs n >= 2 of them, setting each one's results
     * as its own run would have (status, errmsg through cairn__job_run). */
    void (*batch)(cairn_future **fs, size_t n);
    int (*batch_with)(const cairn_future *a, const cairn_future *b);

    /* ---- the arguments (each run function uses the ones it needs) ---- */
    cairn_store *s, *s2;
    const char *key, *key2, *ref;
    const void *val;
    size_t len;
    cairn_array array; /* put_array: data points at val */
    size_t n;
    const cairn_put_opts *popt; /* NULL or &popt_copy */
    cairn_put_opts popt_copy;
    cairn_meta meta;
    cairn_behavior behavior;
    int64_t i64_arg;
    uint64_t u64_arg;
    unsigned flags;
    cairn_update_fn fn;    /* cairn_async_update (deprecated) */
    cairn_update_cb fn_v2; /* cairn_async_update_v2 */
    void *fn_arg;
    cairn_put_item *items;
    cairn_record_item *ritems;
    const char **keys;
    const cairn_copy_opts *copt; /* NULL or &copt_copy */
    cairn_copy_opts copt_copy;

    /* ---- the results ---- */
    int status;
    char *errmsg;               /* NULL: "" */
    cairn_value **values;       /* nvalues slots; values == &value1 for one */
    cairn_value *value1;
    size_t nvalues;
    char **keyv;                /* collected keys, each malloc'd */
    size_t *keylen;
    size_t nkeys, capkeys;
    uint64_t u64;
    int64_t i64;
    char str[CAIRN_MODEL_MAX + 1];
    cairn_stats stats;
    cairn_copy_stats cstats;
    int has_stats, has_cstats;
    cairn_verrors *verrs;
};

/* A new job for ex running run, checked: ex, s and (cb or fut) present.
 * Returns NULL with *rc set (and cairn_errmsg()) on failure. */
cairn_future *cairn__job_new(cairn_executor *ex, cairn_store *s, int (*run)(cairn_future *),
                             cairn_async_cb cb, void *arg, cairn_future **fut, int *rc);
/* A copy of n bytes of p owned by the job, followed by a NUL byte; NULL
 * for a NULL p. Sets *ok to 0 when out of memory. */
void *cairn__job_dup(cairn_future *f, const void *p, size_t n, int *ok);
/* n zeroed bytes owned by the job (*ok 0 when out of memory). */
void *cairn__job_alloc(cairn_future *f, size_t n, int *ok);
/* cairn__job_dup of a NUL-terminated string (NULL stays NULL). */
const char *cairn__job_strdup(cairn_future *f, const char *s, int *ok);
/* Queue f (ok 0: free it and return CAIRN_ENOMEM). On success *fut (when
 * not NULL) receives the caller's reference; on failure the job is freed,
 * *fut is NULL and the callback never runs. */
int cairn__job_submit(cairn_future *f, int ok, cairn_future **fut);
/* Free a job that was never submitted (an argument check failed after
 * cairn__job_new); returns rc with *fut set to NULL. */
int cairn__job_abandon(cairn_future *f, int rc, cairn_future **fut);
/* Keep st as f's status and, for an error, this thread's cairn_errmsg(). */
void cairn__job_done(cairn_future *f, int st);
/* Run f on its own (f->run), keeping its status and error message. */
void cairn__job_run(cairn_future *f);
/* Most jobs one worker runs as one batch. */
#define CAIRN__BATCH_MAX 64
/* Append a key to the job's collected keys; CAIRN_ENOMEM on failure. */
int cairn__job_add_key(cairn_future *f, const char *k, size_t len);

#endif
