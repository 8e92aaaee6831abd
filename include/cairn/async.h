/*
 * cairn/async.h — the async API: every store call run on an executor (a
 * thread pool), completed through a callback or a future, with an fd that an
 * event loop (epoll, libuv, libevent) watches to run the callbacks on its own
 * thread. See docs/async.md for the model in prose.
 *
 * The shape of every async form, e.g.
 *
 *     int cairn_async_get(cairn_executor *ex, cairn_store *s, const char *key,
 *                         cairn_async_cb cb, void *arg, cairn_future **fut);
 *
 * The parameters of every async form (each form below names its sync
 * call, whose comment marks them too):
 * - ex [in]: the executor. Then the [in] parameters of the sync call, in
 *   its order; its [out] parameters are not taken: their results are read
 *   from the future (cairn_future_take_value(), cairn_future_u64(), ...).
 *   The ones that are read only
 *   (keys, values, options, arrays of items) are COPIED before the call
 *   returns, so the caller may free or reuse them at once. Stores, update
 *   functions and their arg, and callbacks' arg are borrowed until the call
 *   completes: a store must not be closed while calls on it are pending
 *   (cairn_executor_wait_idle() helps).
 * - cb [in]: may be NULL; called once when the call completes or is
 *   cancelled, with the future (borrowed for the call) and arg. Where it
 *   runs: see cairn_executor_opts.callbacks_on_workers. arg [in]: borrowed
 *   until the callback has run.
 * - fut [out]: may be NULL; receives a reference to the future, owned by
 *   the caller and released with cairn_future_release(). cb and fut may
 *   not both be NULL.
 * - Returns CAIRN_OK when the call was queued. On any error (CAIRN_EINVAL for
 *   bad arguments — including the checks the sync call makes on its own
 *   arguments before touching the store, such as a NULL key —
 *   CAIRN_ECANCELED when the executor is shutting down, CAIRN_ENOMEM), the
 *   call was not queued, cb is NEVER called, *fut is set to NULL, and
 *   cairn_errmsg() says why. The status of the call itself (CAIRN_ENOTFOUND,
 *   CAIRN_EEXISTS, ...) is read from the future, never returned here.
 * - Thread-safe: any thread may submit to one executor at the same time.
 * - Calls of one executor are not ordered among themselves. On a store that
 *   reads many keys in one round trip (Redis), a worker runs the gets, and
 *   the puts with equal options, queued together as one get_many or
 *   put_many; each call still completes with its own result, status and
 *   message, except that a batch of puts whose write may have reached the
 *   server before it failed (CAIRN_ECONN, CAIRN_EIO, ...) gives that error
 *   to each of its puts (docs/async.md, "Calls run together").
 */
#ifndef CAIRN_ASYNC_H
#define CAIRN_ASYNC_H

#include "cairn/common.h"
#include "cairn/store.h" /* the sync calls' types */

#ifdef __cplusplus
extern "C" {
#endif

/* Called once per successfully submitted call: when it completes, or with
 * status CAIRN_ECANCELED when it was cancelled before it started (by
 * cairn_future_cancel() or a cancelling shutdown). f is borrowed for the
 * duration of the callback: read its status and results, take its values
 * (cairn_future_take_value()); keep it beyond the callback only through the
 * future the submitter asked for. The callback may submit further calls.
 * (Its context comes second, unlike every other callback's: see
 * CHANGELOG.md, kept so for 0.1.0.) */
typedef void (*cairn_async_cb)(cairn_future *f, void *arg);

/* What cairn_executor_free() does with calls that have not started. */
typedef enum {
    CAIRN_SHUTDOWN_DRAIN = 0, /* default: run them all, then stop */
    CAIRN_SHUTDOWN_CANCEL = 1 /* complete them as CAIRN_ECANCELED (not run) */
} cairn_shutdown_mode;

/* Options of an executor. Zero-initialised means defaults. */
typedef struct {
    size_t struct_size;    /* 0 or sizeof(cairn_executor_opts): common.h */
    unsigned threads;      /* worker threads, 1..256; 0: 2 */
    size_t max_queued;     /* calls waiting to start at most; a submit
                              beyond it fails with CAIRN_EBUSY (back
                              pressure); 0: no limit */
    int callbacks_on_workers; /* 0 (default): callbacks run only in
                              cairn_executor_dispatch() on the application's
                              thread, signalled through cairn_executor_fd().
                              Non-zero: each callback runs on the worker
                              thread that completed the call, right after
                              it (no dispatch needed; the fd never becomes
                              readable): callbacks must then be thread-safe
                              and short, since they hold a worker. */
    cairn_shutdown_mode shutdown; /* see cairn_executor_free() */
} cairn_executor_opts;

/*
 * cairn_executor_new — start an executor with opts->threads workers.
 * An executor is not tied to a store: any number of stores share it.
 * opts [in]: borrowed, may be NULL (defaults). out [out]: owned, the
 * executor, released with cairn_executor_free(); NULL on failure.
 * Errors: CAIRN_EINVAL (NULL out, threads > 256, unknown shutdown mode),
 * CAIRN_ENOMEM, CAIRN_EIO (a thread or the eventfd could not be created; the
 * message has the OS error). Thread-safe.
 */
CAIRN_API int cairn_executor_new(const cairn_executor_opts *opts, cairn_executor **out);

/*
 * cairn_executor_free — shut down and free. ex [in]: owned until this
 * call; NULL is fine.
 *
 * From this point on every submit fails with CAIRN_ECANCELED. Calls that
 * have not started are run (CAIRN_SHUTDOWN_DRAIN) or completed as
 * CAIRN_ECANCELED without running (CAIRN_SHUTDOWN_CANCEL); calls that have
 * started always run to their end. Then the workers are joined and every
 * completion not yet dispatched is delivered: its callback runs here, on the
 * calling thread, before this function returns. So every successfully
 * submitted call gets its callback exactly once, even across a shutdown.
 * Futures still held by the application stay valid (done, with their status
 * and results) until cairn_future_release(); they never refer to the freed
 * executor. Must not be called from a callback or concurrently with another
 * call on ex (submits from other threads must have stopped).
 */
CAIRN_API void cairn_executor_free(cairn_executor *ex);

/* Deprecated (until the release after 0.1.0): cairn_executor_new(). */
CAIRN_API int cairn_executor_create(const cairn_executor_opts *opts, cairn_executor **out)
    CAIRN_DEPRECATED("cairn_executor_new");
/* Deprecated (until the release after 0.1.0): cairn_executor_free(). */
CAIRN_API void cairn_executor_destroy(cairn_executor *ex)
    CAIRN_DEPRECATED("cairn_executor_free");

/*
 * cairn_executor_fd — a file descriptor (an eventfd) that is readable while
 * completions wait for cairn_executor_dispatch(). Watch it for reading
 * (epoll, uv_poll_t, event_new(EV_READ|EV_PERSIST)); do not read, write or
 * close it: dispatch resets it. ex [in]. The fd is owned by ex, valid
 * until cairn_executor_free() (-1 for a NULL ex). With callbacks_on_workers
 * it is never readable. Thread-safe.
 */
CAIRN_API int cairn_executor_fd(const cairn_executor *ex);

/*
 * cairn_executor_dispatch — run up to max ready callbacks on the calling
 * thread (max 0: all that are ready now), in completion order. ex [in].
 * max [in]. Returns the
 * number run (>= 0); the fd stays readable when more remain. Never blocks.
 * Call it from one thread at a time (the event loop's). Returns CAIRN_EINVAL
 * for a NULL ex.
 */
CAIRN_API int cairn_executor_dispatch(cairn_executor *ex, size_t max);

/*
 * cairn_executor_wait_idle — wait until no call is queued or running (their
 * callbacks may still wait for dispatch), e.g. before closing a store the
 * calls use. ex [in]. timeout_ms [in]: < 0 no limit. Returns CAIRN_OK, CAIRN_EBUSY on
 * timeout, CAIRN_EINVAL for a NULL ex. Thread-safe; must not be called from a
 * callback running on a worker (it would wait for itself).
 */
CAIRN_API int cairn_executor_wait_idle(cairn_executor *ex, int64_t timeout_ms);

/* The state of a future. */
typedef enum {
    CAIRN_FUTURE_QUEUED = 0,  /* submitted, not started: can be cancelled */
    CAIRN_FUTURE_RUNNING = 1, /* on a worker: runs to its end */
    CAIRN_FUTURE_DONE = 2,    /* finished; status and results readable */
    CAIRN_FUTURE_CANCELED = 3 /* cancelled before it started; status is
                                 CAIRN_ECANCELED */
} cairn_future_state;
/* Deprecated (until the release after 0.1.0): the spelling of
 * CAIRN_ECANCELED is the name. */
#define CAIRN_FUTURE_CANCELLED CAIRN_FUTURE_CANCELED

/* ---- futures: state, waiting, cancelling (all thread-safe) ---- */

/* The state now (a snapshot). f [in]: may be NULL (CAIRN_FUTURE_DONE). */
CAIRN_API cairn_future_state cairn_future_state_get(const cairn_future *f);

/*
 * cairn_future_wait — block until f is DONE or CANCELED. f [in].
 * timeout_ms [in]: at most that long (< 0: no limit; 0: poll). Returns CAIRN_OK when it is finished (its own
 * status is cairn_future_status()), CAIRN_EBUSY on timeout, CAIRN_EINVAL for
 * a NULL f. Does not wait for the callback, which may still be waiting for
 * dispatch. Never call it for a queued call from the dispatching thread while
 * the executor is full of calls that wait for that thread: they cannot.
 */
CAIRN_API int cairn_future_wait(cairn_future *f, int64_t timeout_ms);

/*
 * cairn_future_cancel — cancel a call that has not started (f [in]): it will not run,
 * its status is CAIRN_ECANCELED and its callback (if any) is delivered as
 * any completion. Returns CAIRN_OK when cancelled, CAIRN_EBUSY when the call
 * has already started or finished (a started call runs to its end; nothing
 * changes), CAIRN_EINVAL for a NULL f.
 */
CAIRN_API int cairn_future_cancel(cairn_future *f);

/*
 * cairn_future_release — drop the caller's reference. f [in]: the
 * reference, given up; NULL is fine. A
 * queued or running call goes on (its callback still comes); untaken
 * results are freed with the future. Each future returned through fut is
 * released exactly once; the one a callback receives is never released.
 */
CAIRN_API void cairn_future_release(cairn_future *f);

/* ---- futures: results, valid once the state is DONE or CANCELED ---- */
/* f [in] in each; what they return is a view into f (valid until its
 * release) unless it says "move": then it is owned by the caller. */
/* Before that they read as empty (status CAIRN_EBUSY, counts 0, NULL).
 * Reading is thread-safe; the take functions move a result out, so two
 * threads must not take from one future at the same time (e.g. its
 * callback and the holder of the future: agree on who takes). */

/* The status the sync call returned (CAIRN_OK, CAIRN_SKIPPED, an error),
 * or CAIRN_ECANCELED. */
CAIRN_API int cairn_future_status(const cairn_future *f);

/* The worker's cairn_errmsg() when the status is an error, else "".
 * Borrowed from f. */
CAIRN_API const char *cairn_future_errmsg(const cairn_future *f);

/*
 * cairn_future_take_value — move the i-th value out of f: the caller owns
 * it and releases it with cairn_value_free(). i [in]. get, get_model and model_schema
 * have one value (i = 0), get_many one per key in order. NULL when absent
 * (a get_many key that is not there), already taken, out of range, or the
 * call failed. Untaken values are freed with the future.
 */
CAIRN_API cairn_value *cairn_future_take_value(cairn_future *f, size_t i);
/* Number of value slots (1 for get, n for get_many, 0 otherwise). */
CAIRN_API size_t cairn_future_value_count(const cairn_future *f);

/*
 * Keys (list, range) or model references (model_list), collected in order:
 * count, and the i-th as a NUL-terminated string borrowed from f (len may be
 * NULL). NULL out of range.
 */
CAIRN_API size_t cairn_future_key_count(const cairn_future *f);
CAIRN_API const char *cairn_future_key(const cairn_future *f, size_t i, size_t *len);

/* The number a call reports: count (count), n (delete_prefix,
 * purge_expired, delete_many's n_deleted, model_remove's n_removed); 0 for
 * others. */
CAIRN_API uint64_t cairn_future_u64(const cairn_future *f);
/* incr: the new value; 0 for others. */
CAIRN_API int64_t cairn_future_i64(const cairn_future *f);
/* A string result: model_register's and model_resolve's "ns/name@version";
 * "" for others. Borrowed from f. */
CAIRN_API const char *cairn_future_str(const cairn_future *f);
/* put_many / put_records: the i-th item's status; CAIRN_EINVAL out of range. */
CAIRN_API int cairn_future_item_status(const cairn_future *f, size_t i);
/* stats: the statistics (backend is static); NULL for other calls. */
CAIRN_API const cairn_stats *cairn_future_stats(const cairn_future *f);
/* copy: the copy counts (written on failure too); NULL for other calls. */
CAIRN_API const cairn_copy_stats *cairn_future_copy_stats(const cairn_future *f);
/* validate: move the validation errors out (on CAIRN_EVALIDATION), freed with
 * cairn_verrors_free(); NULL otherwise or when already taken. */
CAIRN_API cairn_verrors *cairn_future_take_verrors(cairn_future *f);

/* ---- the async forms of cairn.h ---- */
/* Each runs the sync call of the same name on a worker; what is copied and
 * what is borrowed is said above, the results are read as listed above. */

#define CAIRN__ASYNC_TAIL cairn_async_cb cb, void *arg, cairn_future **fut

/* cairn_put_array (formats.h): the description, its elements (a->nbytes
 * bytes: the caller may reuse them at once, which is the one extra copy
 * the async form costs) and opt are copied at submit. */
CAIRN_API int cairn_async_put_array(cairn_executor *ex, cairn_store *s, const char *key,
                                    const cairn_array *a, const cairn_put_opts *opt,
                                    CAIRN__ASYNC_TAIL);

/* cairn_put: key, val and opt (with its model string) copied. */
CAIRN_API int cairn_async_put(cairn_executor *ex, cairn_store *s, const char *key,
                              const void *val, size_t len, const cairn_put_opts *opt,
                              CAIRN__ASYNC_TAIL);
/* cairn_get: the value with cairn_future_take_value(f, 0). */
CAIRN_API int cairn_async_get(cairn_executor *ex, cairn_store *s, const char *key,
                              CAIRN__ASYNC_TAIL);
/* cairn_get_model: ref copied (may be NULL). */
CAIRN_API int cairn_async_get_model(cairn_executor *ex, cairn_store *s, const char *key,
                                    const char *ref, unsigned flags, CAIRN__ASYNC_TAIL);
/* cairn_exists: status CAIRN_OK or CAIRN_ENOTFOUND. */
CAIRN_API int cairn_async_exists(cairn_executor *ex, cairn_store *s, const char *key,
                                 CAIRN__ASYNC_TAIL);
CAIRN_API int cairn_async_delete(cairn_executor *ex, cairn_store *s, const char *key,
                                 CAIRN__ASYNC_TAIL);
/* cairn_delete_prefix: prefix may be NULL; the count in cairn_future_u64(). */
CAIRN_API int cairn_async_delete_prefix(cairn_executor *ex, cairn_store *s,
                                        const char *prefix, CAIRN__ASYNC_TAIL);
/* cairn_delete_prefix_raw: prefix copied; the count in cairn_future_u64(). */
CAIRN_API int cairn_async_delete_prefix_raw(cairn_executor *ex, cairn_store *s,
                                            const char *prefix, CAIRN__ASYNC_TAIL);
/* cairn_update_v2: fn runs on a worker thread (possibly more than once, as
 * with the sync call), with ctx, both borrowed until completion; opt
 * copied. */
CAIRN_API int cairn_async_update_v2(cairn_executor *ex, cairn_store *s, const char *key,
                                    cairn_update_cb fn, void *fn_ctx,
                                    const cairn_put_opts *opt, CAIRN__ASYNC_TAIL);
/* Deprecated (until the release after 0.1.0): cairn_async_update_v2(). */
CAIRN_API int cairn_async_update(cairn_executor *ex, cairn_store *s, const char *key,
                                 cairn_update_fn fn, void *fn_arg,
                                 const cairn_put_opts *opt, CAIRN__ASYNC_TAIL)
    CAIRN_DEPRECATED("cairn_async_update_v2");
/* cairn_incr: the new value in cairn_future_i64(). */
CAIRN_API int cairn_async_incr(cairn_executor *ex, cairn_store *s, const char *key,
                               int64_t by, CAIRN__ASYNC_TAIL);
/* cairn_count: cairn_future_u64(). */
CAIRN_API int cairn_async_count(cairn_executor *ex, cairn_store *s, const char *prefix,
                                CAIRN__ASYNC_TAIL);
/* cairn_count_raw: cairn_future_u64(). */
CAIRN_API int cairn_async_count_raw(cairn_executor *ex, cairn_store *s, const char *prefix,
                                    CAIRN__ASYNC_TAIL);
/*
 * cairn_list / cairn_range, collected: the worker walks the iterator and the
 * future holds the keys (cairn_future_key_count / cairn_future_key), so the
 * whole walk is one job and the result is read on any thread without
 * further calls into the store. limit 0: no limit — then memory grows with
 * the number of keys; to stream millions of keys, call cairn_list() on a
 * worker of your own (or page with cairn_async_range() from the last key).
 */
CAIRN_API int cairn_async_list(cairn_executor *ex, cairn_store *s, const char *prefix,
                               uint64_t limit, CAIRN__ASYNC_TAIL);
/* cairn_list_raw, collected as cairn_async_list(). */
CAIRN_API int cairn_async_list_raw(cairn_executor *ex, cairn_store *s, const char *prefix,
                                   uint64_t limit, CAIRN__ASYNC_TAIL);
CAIRN_API int cairn_async_range(cairn_executor *ex, cairn_store *s, const char *start,
                                const char *end, uint64_t limit, CAIRN__ASYNC_TAIL);
/* cairn_put_many: the items (keys, values) and opt copied; per-item
 * statuses with cairn_future_item_status(). */
CAIRN_API int cairn_async_put_many(cairn_executor *ex, cairn_store *s,
                                   const cairn_put_item *items, size_t n,
                                   const cairn_put_opts *opt, CAIRN__ASYNC_TAIL);
/* cairn_get_many: keys copied; n value slots (cairn_future_take_value). */
CAIRN_API int cairn_async_get_many(cairn_executor *ex, cairn_store *s,
                                   const char *const *keys, size_t n, CAIRN__ASYNC_TAIL);
/* cairn_delete_many: n_deleted in cairn_future_u64(). */
CAIRN_API int cairn_async_delete_many(cairn_executor *ex, cairn_store *s,
                                      const char *const *keys, size_t n, CAIRN__ASYNC_TAIL);
/* cairn_put_record: key, val and meta (with its model string) copied. */
CAIRN_API int cairn_async_put_record(cairn_executor *ex, cairn_store *s, const char *key,
                                     const void *val, size_t len, const cairn_meta *meta,
                                     cairn_behavior behavior, CAIRN__ASYNC_TAIL);
/* cairn_put_records: items copied; per-item statuses as put_many. */
CAIRN_API int cairn_async_put_records(cairn_executor *ex, cairn_store *s,
                                      const cairn_record_item *items, size_t n,
                                      cairn_behavior behavior, CAIRN__ASYNC_TAIL);
/* cairn_copy: opt copied (its prefix too); its progress and on_corrupt
 * callbacks, if any, run on the worker. Counts in cairn_future_copy_stats(). */
CAIRN_API int cairn_async_copy(cairn_executor *ex, cairn_store *from, cairn_store *to,
                               const cairn_copy_opts *opt, CAIRN__ASYNC_TAIL);
/* cairn_purge_expired: n in cairn_future_u64(). */
CAIRN_API int cairn_async_purge_expired(cairn_executor *ex, cairn_store *s,
                                        CAIRN__ASYNC_TAIL);
/* cairn_store_stats_get: cairn_future_stats(). */
CAIRN_API int cairn_async_stats(cairn_executor *ex, cairn_store *s, CAIRN__ASYNC_TAIL);
/* cairn_model_register: ref and schema copied; cairn_future_str(). */
CAIRN_API int cairn_async_model_register(cairn_executor *ex, cairn_store *s,
                                         const char *ref, const void *schema, size_t len,
                                         unsigned flags, CAIRN__ASYNC_TAIL);
/* cairn_model_resolve: cairn_future_str(). */
CAIRN_API int cairn_async_model_resolve(cairn_executor *ex, cairn_store *s,
                                        const char *ref, CAIRN__ASYNC_TAIL);
/* cairn_model_schema: the schema value with cairn_future_take_value(f, 0). */
CAIRN_API int cairn_async_model_schema(cairn_executor *ex, cairn_store *s,
                                       const char *ref, CAIRN__ASYNC_TAIL);
/* cairn_model_list, collected: the references ("ns/name@version") as keys. */
CAIRN_API int cairn_async_model_list(cairn_executor *ex, cairn_store *s,
                                     CAIRN__ASYNC_TAIL);
/* cairn_model_remove: n_removed in cairn_future_u64(). */
CAIRN_API int cairn_async_model_remove(cairn_executor *ex, cairn_store *s,
                                       const char *ref, CAIRN__ASYNC_TAIL);
/* cairn_validate: ref and doc copied; errors with cairn_future_take_verrors(). */
CAIRN_API int cairn_async_validate(cairn_executor *ex, cairn_store *s, const char *ref,
                                   const void *doc, size_t len, CAIRN__ASYNC_TAIL);

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_ASYNC_H */
