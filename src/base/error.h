/*
 * base/error.h — error detail per thread (src/base/error.c): every layer records a status
 * and a message here, and cairn_errmsg() shows them.
 */
#ifndef CAIRN_BASE_ERROR_H
#define CAIRN_BASE_ERROR_H

/* Layer 0 (base/): for every layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 0 && !defined(CAIRN_IN_BASE))
#error "base/error.h: included from a layer that may not use it"
#endif

#include "cairn/cairn.h"

#include <stdarg.h>

#define CAIRN__FMT(a, b) __attribute__((format(printf, a, b)))


/* Record status and a printf detail for this thread; returns status. */
int cairn__err(int status, const char *fmt, ...) CAIRN__FMT(2, 3);
int cairn__verr(int status, const char *fmt, va_list ap) CAIRN__FMT(2, 0);
/* Prefix this thread's detail with "what: " (e.g. "put runs/1"). */
int cairn__err_prefix(int status, const char *fmt, ...) CAIRN__FMT(2, 3);
/* Map an errno to a cairn status (ENOSPC -> EFULL, ENOMEM -> ENOMEM, ...). */
int cairn__errno_status(int e);
void cairn__err_clear(void);
/* Keep errs (owned from now on) as this thread's cairn_validation_errors();
 * freed at the next cairn__err_clear() (the start of the next call) or at
 * thread exit. */
void cairn__verrs_keep(cairn_verrors *errs);

#endif
