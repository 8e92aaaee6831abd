/*
 * all.h — every internal header of libcairn at once, for the test suites,
 * the fuzz targets and the benchmarks (built with CAIRN_LAYER=5, above every
 * layer). The library's own code never includes it: each file names the
 * headers of the layers it may use (docs/design.md, "Layers").
 */
#ifndef CAIRN_ALL_H
#define CAIRN_ALL_H

#if !defined(CAIRN_LAYER) || CAIRN_LAYER < 5
#error "all.h is for tests, fuzz targets and benchmarks only"
#endif

#include "cairn/async.h"
#include "cairn/cairn.h"
#include "cairn/cache.h"

#include "base/buf.h"
#include "base/canon.h"
#include "base/error.h"
#include "base/hash.h"
#include "base/hlist.h"
#include "base/jdom.h"
#include "base/json.h"
#include "base/key.h"
#include "base/url.h"
#include "record/hint.h"
#include "record/record.h"
#include "record/zip.h"
#include "codec/codec.h"
#include "schema/format.h"
#include "cache/arena.h"
#include "cache/cache_internal.h"
#include "backend/backends.h"
#include "backend/parse.h"
#include "backend/registry.h"
#include "backend/tiered.h"
#include "store/models.h"
#include "store/sys.h"

#include "async/job.h"

#endif
