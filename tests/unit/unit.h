/*
 * unit.h — the case tables of the unit suite (one per file), gathered by
 * main.c. Unit tests call the library's internal functions directly.
 */
#ifndef CAIRN_UNIT_H
#define CAIRN_UNIT_H

#include "../common/runner.h"
#include "all.h"
#include "cache/cache_internal.h"
#include "cache/arena.h"

#include <string.h>

extern const tr_case unit_key_cases[];
extern const size_t unit_key_ncases;
extern const tr_case unit_json_cases[];
extern const size_t unit_json_ncases;
extern const tr_case unit_record_cases[];
extern const size_t unit_record_ncases;
extern const tr_case unit_misc_cases[];
extern const tr_case unit_errmsg_cases[];
extern const size_t unit_errmsg_ncases;
extern const size_t unit_misc_ncases;
extern const tr_case unit_cache_cases[];
extern const size_t unit_cache_ncases;
extern const tr_case unit_schema_cases[];
extern const size_t unit_schema_ncases;
extern const tr_case unit_async_cases[];
extern const size_t unit_async_ncases;
extern const tr_case unit_codec_cases[];
extern const size_t unit_codec_ncases;
extern const tr_case unit_canon_cases[];
extern const size_t unit_canon_ncases;

#define UNIT_NCASES(t) (sizeof(t) / sizeof(t)[0])

#endif
