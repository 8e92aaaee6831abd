/*
 * format.h — the "format" checks of JSON Schema (asserted only with
 * CAIRN_SCHEMA_FORMAT_ASSERT): RFC 3339 date-time/date/time, uuid, email,
 * ipv4, ipv6, hostname, uri.
 */
#ifndef CAIRN_MODEL_FORMAT_H
#define CAIRN_MODEL_FORMAT_H

/* Layer 1 (schema/): for layers above 1 but the clients (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 1 && !defined(CAIRN_IN_SCHEMA)) || CAIRN_LAYER == 4
#error "schema/format.h: included from a layer that may not use it"
#endif

#include <stdbool.h>
#include <stddef.h>

enum {
    FMT_NONE = 0, /* unknown format: an annotation only */
    FMT_DATE_TIME,
    FMT_DATE,
    FMT_TIME,
    FMT_UUID,
    FMT_EMAIL,
    FMT_IPV4,
    FMT_IPV6,
    FMT_HOSTNAME,
    FMT_URI
};

/* FMT_* for a format name (n bytes), FMT_NONE when not known. */
int cairn__format_id(const char *name, size_t n);
/* The name of a known format. */
const char *cairn__format_name(int id);
/* Does s[0..n) match format id (not FMT_NONE)? */
bool cairn__format_check(int id, const char *s, size_t n);

#endif
