/*
 * cairn/cairn.h — libcairn, a store for the results and state of data
 * pipelines. Include this header: it includes every public header. Each of
 * them also compiles alone (their shared part is cairn/common.h).
 *
 *   cairn/common.h   export macro, version, status codes, forward
 *                    declarations, and the conventions of every header
 *   cairn/store.h    the store: open, keys, records, listing, batches, models
 *   cairn/backend.h  the backend vtable, for backends of your own
 *   cairn/schema.h   JSON Schema, compiled and validated without a store
 *   cairn/formats.h  msgpack <-> JSON, numeric arrays (.npy)
 *   cairn/cache.h    the memory tier and the tiered store
 *   cairn/async.h    every store call on an executor, with futures
 *   cairn/table.h    the table cache: rows by id, cached as Parquet
 */
#ifndef CAIRN_H
#define CAIRN_H

#include "cairn/common.h"
#include "cairn/store.h"
#include "cairn/backend.h"
#include "cairn/schema.h"
#include "cairn/formats.h"
#include "cairn/cache.h"
#include "cairn/async.h"
#include "cairn/table.h"

#endif /* CAIRN_H */
