/*
 * conf.h — what the conformance cases share: the fixture (a fresh store of
 * the backend under test in a fresh temp dir), helpers, and the case tables
 * gathered by main.c. Every case is written once and runs on every backend.
 */
#ifndef CAIRN_CONF_H
#define CAIRN_CONF_H

#include "../common/runner.h"
#include "all.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The backend under test, chosen on the command line. */
typedef struct {
    const char *name;                   /* "mem", "file", "sqlite", "lmdb" */
    const cairn_backend_methods *methods;
    bool persistent;                    /* outlives the handle; shared by processes */
} cf_backend;

extern const cf_backend *cf_be;
/* The backend that stores the records ("lmdb" for "tiered:lmdb"), and the
 * scheme cairn_store_backend() names ("tiered" for "tiered:lmdb"). */
const char *cf_base(void);
const char *cf_scheme(void);

/* The fixture every case gets in *state. */
typedef struct {
    char dir[PATH_MAX];       /* fresh temp dir, removed after the case */
    char url[PATH_MAX + 32];  /* the store URL of the backend under test */
    cairn_store *s;           /* open on url with default options */
} cf_fx;

#define FX(state) ((cf_fx *)*(state))

/* The URL of the server of the backend under test (postgres, redis), from
 * CAIRN_TEST_<NAME>_URL; NULL, with a message, when it is not set. */
const char *cf_server_url(void);
/* True for backends that keep their data in a server, not in fx->dir. */
#define CF_SERVER_BACKEND() (!strcmp(cf_be->name, "postgres") || !strcmp(cf_be->name, "redis"))

/* Close the fixture's store (if open) and open url again with opt (NULL:
 * defaults). For mem: this is a new, empty store. Fails the case on error. */
void cf_reopen(cf_fx *fx, const cairn_options *opt);

/* Open the fixture's location through the "tap" backend: a pass-through to
 * the backend under test that lets a case write raw records (reserved keys,
 * corrupt records) that the public API refuses. Replaces fx->s. */
void cf_reopen_tap(cf_fx *fx);
/* Store rec (len bytes) under key as it is, through the tap backend. */
void cf_raw_put(const char *key, const void *rec, size_t len);
/* The record stored under key, as the backend holds it (through the tap
 * backend); *n receives its length; free() the result. Fails the case when
 * there is none. */
char *cf_raw_get(const char *key, size_t *n);
/* cf_raw_put, returning the backend's status instead of failing the case. */
int cf_raw_update(const char *key, const void *rec, size_t len);
/* Encode a record for value with fresh metadata (version 1, never expires),
 * in the header version 1 of records written before issue 15 (bound to no
 * key, so it reads under any key);
 * *n receives its length; free() the result. */
char *cf_make_record(const void *val, size_t len, cairn_format f, size_t *n);

/* Fork n worker processes on the fixture's store: the fixture's handle is
 * closed first (no handle crosses a fork), each worker opens its own, waits
 * until all are forked, then runs fn(s, open_rc, id, arg) (s NULL when the
 * open failed with open_rc) and exits. Fails the case if a worker dies;
 * reopens fx->s afterwards. Results travel through memory the caller maps
 * MAP_SHARED. */
void cf_fork_workers(cf_fx *fx, int n, void (*fn)(cairn_store *s, int open_rc, int id,
                                                  void *arg),
                     void *arg, const char *how);

/* Hold the one worker of ex: an async update of key "gate" on s that waits
 * until cf_gate_open(), so that the calls submitted meanwhile queue up
 * behind it. One gate at a time. */
cairn_future *cf_gate_hold(cairn_executor *ex, cairn_store *s);
/* Let it go; waits for the update (which must succeed) and releases g. */
void cf_gate_open(cairn_future *g);

/* One of several threads sharing a handle: its errors, the first kept. */
typedef struct {
    cairn_store *s;
    int id;
    unsigned errors;
    char first[256];
} cf_thread;

/* Count an error (rc non-zero) of thread t; keep the first's message. */
void cf_thread_note(cf_thread *t, const char *what, int rc);
/* Run n threads on s, thread i with fn(&t[i]) (fn(i) when fns has one
 * entry per thread), join them, and fail the case if one noted an error. */
void cf_threads_run(cairn_store *s, int n, void *(*const *fns)(void *), int nfns);

/* Put with a behaviour (format JSON, no TTL). */
int cf_put(cairn_store *s, const char *key, const char *json, cairn_behavior b);
/* Get key and compare its value with want (len bytes); fails the case. */
void cf_expect_value(cairn_store *s, const char *key, const void *want, size_t len);
/* Shorthand for a NUL-terminated value. */
#define cf_expect_str(s, key, str) cf_expect_value(s, key, str, strlen(str))
/* Metadata of key (copied); fails the case when the get fails. */
cairn_meta cf_meta(cairn_store *s, const char *key);

/* Every key of an iterator, in order, joined by '\n' (caller frees). Fails
 * the case on an error, a repeated key or a key out of order. */
char *cf_drain(cairn_iter *it, size_t *count);
/* cf_drain(cairn_list(s, prefix)) */
char *cf_list(cairn_store *s, const char *prefix, size_t *count);
/* Compare a drained listing with the expected keys (NULL-terminated). */
void cf_expect_keys(const char *got, const char *const *want);

#ifdef CAIRN_HAVE_REDIS
/* Delete every Redis key under the prefix of a redis:// store URL (the
 * case's own prefix), with a direct hiredis connection (redis_util.c). */
void cf_redis_drop(const char *url);
/* Run one command (printf format as redisCommand) on the server of url;
 * fails the case on a connection error; returns the integer reply or -1. */
long long cf_redis_cmd(const char *url, const char *fmt, ...);
/* The same for a string (or status) reply: malloc'd, NULL for nil. */
char *cf_redis_str(const char *url, const char *fmt, ...);
#endif

/* bytewise key order as the backends keep it */
int cf_keycmp(const char *a, const char *b);

/* The case tables, one per file. */
#define CF_TABLE(name)                                                        \
    extern const tr_case name##_cases[];                                      \
    extern const size_t name##_ncases;
CF_TABLE(cf_basic)
CF_TABLE(cf_behaviour)
CF_TABLE(cf_ttl)
CF_TABLE(cf_listing)
CF_TABLE(cf_batch)
CF_TABLE(cf_misc)
CF_TABLE(cf_concurrency)
CF_TABLE(cf_crash)
CF_TABLE(cf_models)
CF_TABLE(cf_copy)
CF_TABLE(cf_redis)
CF_TABLE(cf_async)
CF_TABLE(cf_formats)
CF_TABLE(cf_blob)
CF_TABLE(cf_tiered)
CF_TABLE(cf_file_safety)
CF_TABLE(cf_damage)
CF_TABLE(cf_binding)
#undef CF_TABLE

#define CF_NCASES(t) (sizeof(t) / sizeof(t)[0])

#endif
