/*
 * error.c — status names (generated from CAIRN_STATUS_MAP) and the
 * per-thread detail message behind cairn_errmsg().
 */

#include "base/error.h"
#include "base/json.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MSG_MAX 4096 /* a 1024-byte key and its reason always fit */
static _Thread_local char tls_msg[MSG_MAX];

CAIRN_API const char *cairn_strerror(int status)
{
    switch (status) {
#define CAIRN__CASE(name, code, text) case code: return text;
        CAIRN_STATUS_MAP(CAIRN__CASE)
#undef CAIRN__CASE
    default:
        return "unknown status";
    }
}

CAIRN_API const char *cairn_errmsg(void)
{
    return tls_msg;
}

/* The validation errors of this thread's last failed put, kept until its
 * next call; a thread-exit destructor frees what a thread leaves. */
static _Thread_local cairn_verrors *tls_verrs;
static pthread_key_t verrs_key;
static pthread_once_t verrs_once = PTHREAD_ONCE_INIT;

static void verrs_exit(void *p)
{
    cairn_verrors_free(p);
    tls_verrs = NULL;
}

static void verrs_key_init(void)
{
    (void)pthread_key_create(&verrs_key, verrs_exit);
}

void cairn__verrs_keep(cairn_verrors *errs)
{
    cairn_verrors_free(tls_verrs);
    tls_verrs = errs;
    pthread_once(&verrs_once, verrs_key_init);
    (void)pthread_setspecific(verrs_key, errs);
}

CAIRN_API const cairn_verrors *cairn_validation_errors(void)
{
    return tls_verrs;
}

void cairn__err_clear(void)
{
    tls_msg[0] = '\0';
    if (tls_verrs) {
        cairn_verrors_free(tls_verrs);
        tls_verrs = NULL;
        (void)pthread_setspecific(verrs_key, NULL);
    }
}

/* Does byte c at p (n bytes left) need escaping in a message: a control
 * byte (C0, DEL, or C1 as UTF-8) or not valid UTF-8? *len receives the
 * length of the sequence that starts there. */
static bool msg_unsafe(const unsigned char *p, size_t n, size_t *len)
{
    size_t k = cairn__utf8_seq(p, n);
    *len = k ? k : 1;
    if (!k || p[0] < 0x20 || p[0] == 0x7F)
        return true;
    return k == 2 && p[0] == 0xC2 && p[1] < 0xA0; /* U+0080..U+009F */
}

/* Messages quote keys, values, URLs and file names as users gave them: a
 * terminal must not see their escape sequences, nor a log a line break.
 * Rewrite msg in place with such bytes as \n, \t, \r or \xNN
 * (truncated at the buffer's end, never inside an escape). */
static void msg_escape(char *msg, size_t cap)
{
    const unsigned char *p = (const unsigned char *)msg;
    size_t n = strlen(msg), i = 0, len;
    while (i < n && !msg_unsafe(p + i, n - i, &len))
        i += len;
    if (i == n)
        return; /* the usual case: nothing to do, nothing copied */
    char src[MSG_MAX];
    memcpy(src, msg, n + 1);
    p = (const unsigned char *)src;
    size_t o = i;
    while (i < n) {
        char esc[8];
        size_t el;
        if (msg_unsafe(p + i, n - i, &len)) {
            len = 1;
            unsigned c = p[i];
            if (c == '\n' || c == '\t' || c == '\r')
                el = (size_t)snprintf(esc, sizeof esc, "\\%c",
                                      c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
            else
                el = (size_t)snprintf(esc, sizeof esc, "\\x%02X", c);
        } else {
            el = len;
            memcpy(esc, p + i, len);
        }
        if (o + el >= cap)
            break;
        memcpy(msg + o, esc, el);
        o += el;
        i += len;
    }
    msg[o] = '\0';
}

int cairn__verr(int status, const char *fmt, va_list ap)
{
    vsnprintf(tls_msg, sizeof tls_msg, fmt, ap);
    msg_escape(tls_msg, sizeof tls_msg);
    return status;
}

int cairn__err(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cairn__verr(status, fmt, ap);
    va_end(ap);
    return status;
}

int cairn__err_prefix(int status, const char *fmt, ...)
{
    char old[MSG_MAX], pre[MSG_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, tls_msg, sizeof old);
    /* Keep both parts whole up to the buffer; truncation is harmless. */
    const char *rest = old[0] ? old : cairn_strerror(status);
    size_t pl = strlen(pre);
    memcpy(tls_msg, pre, pl);
    memcpy(tls_msg + pl, ": ", 2);
    size_t rl = strnlen(rest, MSG_MAX - pl - 3);
    memcpy(tls_msg + pl + 2, rest, rl);
    tls_msg[pl + 2 + rl] = '\0';
    msg_escape(tls_msg, sizeof tls_msg);
    return status;
}

CAIRN_API int cairn_backend_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cairn__verr(status, fmt, ap);
    va_end(ap);
    return status;
}

int cairn__errno_status(int e)
{
    switch (e) {
    case ENOMEM: return CAIRN_ENOMEM;
    case ENOSPC:
    case EDQUOT:
    case EFBIG: return CAIRN_EFULL;
    case EAGAIN:
    case EBUSY:
    case ETIMEDOUT:
    case EINTR: return CAIRN_EBUSY;
    case ENAMETOOLONG: return CAIRN_EKEY;
    case ENOENT: return CAIRN_ENOTFOUND;
    case ENOTSUP: return CAIRN_EUNSUPPORTED;
    default: return CAIRN_EIO;
    }
}

CAIRN_API int64_t cairn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
