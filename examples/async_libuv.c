/*
 * async_libuv.c — a libuv loop driving cairn's async API: the executor's fd
 * watched with a uv_poll_t, callbacks run on the loop's thread by
 * cairn_executor_dispatch(). Writes N keys, then reads them all back and
 * checks them, printing progress as the callbacks arrive.
 *
 *   async_libuv [URL] [N]      (default mem: and 1000)
 */
#include <cairn/cairn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct {
    cairn_store *s;
    cairn_executor *ex;
    uv_poll_t poll;
    int n;
    int puts_done, gets_done, failures;
} app;

static void on_get(cairn_future *f, void *arg);

/* The loop's side of the executor: the fd is readable, run the callbacks. */
static void on_fd(uv_poll_t *h, int status, int events)
{
    (void)events;
    app *a = h->data;
    if (status < 0) {
        fprintf(stderr, "async_libuv: poll: %s\n", uv_strerror(status));
        uv_poll_stop(h);
        return;
    }
    cairn_executor_dispatch(a->ex, 0);
    if (a->gets_done == a->n)
        uv_close((uv_handle_t *)h, NULL); /* nothing more to wait for */
}

static void start_gets(app *a)
{
    for (int i = 0; i < a->n; i++) {
        char key[64];
        snprintf(key, sizeof key, "libuv/item/%05d", i);
        /* arg carries the index, to check the value against it */
        int rc = cairn_async_get(a->ex, a->s, key, on_get, (void *)(intptr_t)i, NULL);
        if (rc) { /* never called back: count it here */
            fprintf(stderr, "async_libuv: get %s: %s: %s\n", key, cairn_strerror(rc),
                    cairn_errmsg());
            a->failures++;
            a->gets_done++;
        }
    }
}

static app *the_app; /* the callbacks' arg is the index: the app is global */

static void on_put(cairn_future *f, void *arg)
{
    app *a = arg;
    int st = cairn_future_status(f);
    if (st != CAIRN_OK) {
        fprintf(stderr, "async_libuv: put: %s: %s\n", cairn_strerror(st),
                cairn_future_errmsg(f));
        a->failures++;
    }
    if (++a->puts_done % 250 == 0 || a->puts_done == a->n)
        printf("async_libuv: %d/%d puts done\n", a->puts_done, a->n);
    if (a->puts_done == a->n)
        start_gets(a); /* from a callback: submitting is allowed */
}

static void on_get(cairn_future *f, void *arg)
{
    app *a = the_app;
    int i = (int)(intptr_t)arg;
    cairn_value *v = cairn_future_take_value(f, 0); /* ours now */
    char want[64];
    snprintf(want, sizeof want, "{\"item\":%d,\"square\":%d}", i, i * i);
    size_t len = 0;
    const char *data = v ? cairn_value_data(v, &len) : NULL;
    if (cairn_future_status(f) != CAIRN_OK || !data || strcmp(data, want) != 0) {
        fprintf(stderr, "async_libuv: get item %d: %s %s\n", i,
                cairn_strerror(cairn_future_status(f)), data ? data : "(none)");
        a->failures++;
    } else if (i % 250 == 0)
        printf("async_libuv: item %d = %s\n", i, data);
    cairn_value_free(v);
    a->gets_done++;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "mem:";
    app a = {0};
    a.n = argc > 2 ? atoi(argv[2]) : 1000;
    the_app = &a;
    if (a.n <= 0) {
        fprintf(stderr, "usage: async_libuv [URL] [N > 0]\n");
        return 2;
    }
    int rc = cairn_store_open(url, NULL, &a.s);
    if (rc) {
        fprintf(stderr, "async_libuv: open %s: %s: %s\n", url, cairn_strerror(rc),
                cairn_errmsg());
        return 1;
    }
    cairn_executor_opts eo = {0};
    eo.threads = 2;
    rc = cairn_executor_new(&eo, &a.ex);
    if (rc) {
        fprintf(stderr, "async_libuv: executor: %s: %s\n", cairn_strerror(rc), cairn_errmsg());
        cairn_store_close(a.s);
        return 1;
    }

    uv_loop_t *loop = uv_default_loop();
    uv_poll_init(loop, &a.poll, cairn_executor_fd(a.ex));
    a.poll.data = &a;
    uv_poll_start(&a.poll, UV_READABLE, on_fd);

    cairn_put_opts po = {0};
    po.behavior = CAIRN_OVERWRITE;
    for (int i = 0; i < a.n; i++) {
        char key[64], val[64];
        snprintf(key, sizeof key, "libuv/item/%05d", i);
        snprintf(val, sizeof val, "{\"item\":%d,\"square\":%d}", i, i * i);
        /* key and val are copied: the buffers are reused at once */
        rc = cairn_async_put(a.ex, a.s, key, val, strlen(val), &po, on_put, &a, NULL);
        if (rc) {
            fprintf(stderr, "async_libuv: put %s: %s: %s\n", key, cairn_strerror(rc),
                    cairn_errmsg());
            return 1;
        }
    }
    uv_run(loop, UV_RUN_DEFAULT); /* returns once the poll handle is closed */

    cairn_executor_free(a.ex); /* nothing pending: returns at once */
    uint64_t n = 0;
    cairn_count(a.s, "libuv", &n);
    cairn_store_close(a.s);
    uv_loop_close(loop);
    if (a.failures || a.gets_done != a.n || n != (uint64_t)a.n) {
        fprintf(stderr, "async_libuv: %d failures, %d/%d gets, %llu keys\n", a.failures,
                a.gets_done, a.n, (unsigned long long)n);
        return 1;
    }
    printf("async_libuv: %d puts and %d gets on the loop's thread, every value as written\n",
           a.puts_done, a.gets_done);
    return 0;
}
