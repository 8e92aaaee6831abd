/*
 * store/models.h — the model registry (src/store/models.c): compiled
 * schemas per handle, resolved for the write path.
 */
#ifndef CAIRN_STORE_MODELS_H
#define CAIRN_STORE_MODELS_H

/* Layer 3 (store/): for the store layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 3 && !defined(CAIRN_IN_STORE)) || CAIRN_LAYER == 4
#error "store/models.h: included from a layer that may not use it"
#endif

#include "cairn/cairn.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cairn__mcache cairn__mcache; /* compiled schemas of a handle */
typedef struct cairn__model cairn__model;   /* one resolved, compiled model */

/* The cache of a new handle / its release at close. */
int cairn__mcache_new(cairn__mcache **out);
void cairn__mcache_free(cairn__mcache *mc);
/* The handle's cache (set at open). */
cairn__mcache *cairn__store_mcache(cairn_store *s);

/* Resolve ref through the handle's cache (one registry-generation read
 * when it is warm). *out is held until cairn__model_release(). Errors:
 * CAIRN_ENOTFOUND, CAIRN_EMODEL (ambiguous), CAIRN_EINVAL (bad ref). */
int cairn__model_get(cairn_store *s, const char *ref, cairn__model **out);
void cairn__model_release(cairn__model *m);
/* "ns/name@version" of a resolved model. */
const char *cairn__model_ref(const cairn__model *m);
/* Validate val against m, after filling its defaults when fill. *filled
 * receives the filled copy (malloc'd; the caller frees) or NULL. On
 * CAIRN_EVALIDATION the errors are kept for cairn_validation_errors(). */
int cairn__model_apply(const cairn__model *m, const void *val, size_t len, bool fill,
                       char **filled, size_t *filled_len);

#endif
