/*
 * backend/backends.h — the built-in backends' method tables, for the
 * backend registry.
 */
#ifndef CAIRN_BACKEND_BACKENDS_H
#define CAIRN_BACKEND_BACKENDS_H

/* Layer 2 (backend/): for layers above 2 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 2 && !defined(CAIRN_IN_BACKEND)) || CAIRN_LAYER == 4
#error "backend/backends.h: included from a layer that may not use it"
#endif

#include "cairn/cairn.h"

#include <stdbool.h>

extern const cairn_backend_methods cairn__backend_mem;
#ifdef CAIRN_HAVE_FILE
extern const cairn_backend_methods cairn__backend_file;
/* 1 (default): the file backend resolves paths with openat2() where the
 * kernel has it; 0: with its walk, one folder at a time (for tests). */
extern int cairn__file_openat2;
#endif
#ifdef CAIRN_HAVE_SQLITE
extern const cairn_backend_methods cairn__backend_sqlite;
#endif
#ifdef CAIRN_HAVE_LMDB
extern const cairn_backend_methods cairn__backend_lmdb;
#endif
#ifdef CAIRN_HAVE_POSTGRES
extern const cairn_backend_methods cairn__backend_postgres;
#endif
#ifdef CAIRN_HAVE_REDIS
extern const cairn_backend_methods cairn__backend_redis;
#endif

#endif
