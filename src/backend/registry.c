/*
 * registry.c — the backends by URL scheme: the built-in table, the ones a
 * program registers, and opening a backend from a URL (for
 * cairn_store_open and for tiered:, which opens the backend it wraps).
 */
#include "backend/registry.h"

#include "backend/backends.h"
#include "backend/tiered.h"
#include "base/error.h"
#include "base/url.h"

#include <pthread.h>
#include <string.h>

#define USER_BACKENDS_MAX 16
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const cairn_backend_methods *user_backends[USER_BACKENDS_MAX];

static const cairn_backend_methods *const builtin_backends[] = {
    &cairn__backend_mem,
#ifdef CAIRN_HAVE_FILE
    &cairn__backend_file,
#endif
#ifdef CAIRN_HAVE_SQLITE
    &cairn__backend_sqlite,
#endif
#ifdef CAIRN_HAVE_LMDB
    &cairn__backend_lmdb,
#endif
#ifdef CAIRN_HAVE_POSTGRES
    &cairn__backend_postgres,
#endif
#ifdef CAIRN_HAVE_REDIS
    &cairn__backend_redis,
#endif
    &cairn__backend_tiered, /* tiered.c: memory over another backend */
    NULL};

/* Schemes we know of but that may not be built into this library. */
static const char *const known_schemes[] = {"mem", "file", "sqlite", "lmdb", "redis",
                                            "rediss", "postgres", "postgresql", "tiered", NULL};

CAIRN_API int cairn_backend_register(const cairn_backend_methods *m)
{
    if (!m || !m->name || !*m->name || strlen(m->name) > CAIRN__SCHEME_MAX)
        return cairn__err(CAIRN_EINVAL, "backend: name missing or too long");
    if (m->version < 1 || m->version > CAIRN_BACKEND_VERSION)
        return cairn__err(CAIRN_EINVAL, "backend %s: version %d not supported (max %d)",
                          m->name, m->version, CAIRN_BACKEND_VERSION);
    if (!m->open || !m->close || !m->get || !m->update || !m->scan)
        return cairn__err(CAIRN_EINVAL, "backend %s: a required slot is NULL", m->name);
    for (const char *p = m->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' ||
              *p == '.' || *p == '-'))
            return cairn__err(CAIRN_EINVAL, "backend %s: scheme must be lower case",
                              m->name);
    pthread_mutex_lock(&reg_lock);
    int slot = -1;
    for (int i = 0; i < USER_BACKENDS_MAX; i++) {
        if (user_backends[i] && strcmp(user_backends[i]->name, m->name) == 0) {
            slot = i;
            break;
        }
        if (!user_backends[i] && slot < 0)
            slot = i;
    }
    if (slot >= 0)
        user_backends[slot] = m;
    pthread_mutex_unlock(&reg_lock);
    if (slot < 0)
        return cairn__err(CAIRN_ENOMEM, "backend %s: too many registered backends",
                          m->name);
    return CAIRN_OK;
}

const cairn_backend_methods *cairn__backend_find(const char *scheme)
{
    const cairn_backend_methods *m = NULL;
    pthread_mutex_lock(&reg_lock);
    for (int i = 0; i < USER_BACKENDS_MAX && !m; i++)
        if (user_backends[i] && strcmp(user_backends[i]->name, scheme) == 0)
            m = user_backends[i];
    pthread_mutex_unlock(&reg_lock);
    for (int i = 0; !m && builtin_backends[i]; i++)
        if (strcmp(builtin_backends[i]->name, scheme) == 0)
            m = builtin_backends[i];
    return m;
}

int cairn__backend_lookup(const char *url, const cairn_backend_methods **m,
                          const char **loc, char *shown, size_t cap)
{
    char scheme[CAIRN__SCHEME_MAX + 1];
    int rc = cairn__url_split(url, scheme, loc);
    if (rc)
        return rc;
    cairn_url_redact(url, shown, cap);
    if (!strcmp(scheme, "postgresql"))
        strcpy(scheme, "postgres");
    if (!(*m = cairn__backend_find(scheme))) {
        for (int i = 0; known_schemes[i]; i++)
            if (!strcmp(known_schemes[i], scheme))
                return cairn__err(CAIRN_EUNSUPPORTED,
                                  "open %.200s: the %s backend is not built into this libcairn",
                                  shown, scheme);
        return cairn__err(CAIRN_EURL,
                          "open %.200s: unknown scheme '%s' (known: mem, file, sqlite, lmdb, "
                          "redis, postgres, tiered)",
                          shown, scheme);
    }
    return CAIRN_OK;
}

int cairn__backend_open_at(const cairn_backend_methods *m, const char *loc,
                           const cairn_options *opt, const char *shown, void **be)
{
    int rc = m->open(loc, opt, be);
    if (rc) {
        if (rc > 0)
            rc = CAIRN_EIO;
        return cairn__err_prefix(rc, "open %.200s", shown);
    }
    return CAIRN_OK;
}

int cairn__backend_open(const char *url, const cairn_options *opt,
                        const cairn_backend_methods **m, void **be)
{
    char shown[256]; /* the URL as messages show it: no password */
    const char *loc;
    int rc = cairn__backend_lookup(url, m, &loc, shown, sizeof shown);
    return rc ? rc : cairn__backend_open_at(*m, loc, opt, shown, be);
}

bool cairn__backend_batches(const cairn_backend_methods *m, void *be)
{
    /* A tier answers for the backend it wraps: it reads in one round trip
     * what memory does not hold. */
    const cairn__tiered *t = cairn__tiered_of(m, be);
    if (t)
        be = cairn__tiered_inner(t, &m);
    return m->version >= 2 && m->get_many != NULL;
}
