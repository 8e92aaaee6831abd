/*
 * jdom.h — a fast JSON tree for the validate path: one pass, every node and
 * string in an arena (no malloc per node), strings unescaped, member order kept.
 *
 * It accepts exactly what cairn__json_check accepts (fuzz/jdom.c checks it).
 * A lone surrogate escape ("\ud800") is stored as its 3-byte (WTF-8) form,
 * so such a string is not valid UTF-8: jd_node.bad_utf8 says so.
 */
#ifndef CAIRN_JDOM_H
#define CAIRN_JDOM_H

/* Layer 0 (base/): for every layer (docs/design.md, "Layers"). */
#if !defined(CAIRN_LAYER) || (CAIRN_LAYER <= 0 && !defined(CAIRN_IN_BASE))
#error "base/jdom.h: included from a layer that may not use it"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- arena ---- */

typedef struct jd_chunk jd_chunk;
typedef struct {
    char *p, *end;   /* free space of the current chunk */
    jd_chunk *head;  /* malloc'd chunks, newest first */
    size_t next;     /* size of the next chunk */
} jd_arena;

/* An arena that first uses buf[0..n) (may be NULL, 0: none). */
void jd_arena_init(jd_arena *a, void *buf, size_t n);
void jd_arena_free(jd_arena *a);
/* 8-byte aligned, uninitialised; NULL when out of memory. */
void *jd_alloc(jd_arena *a, size_t n);
char *jd_strndup(jd_arena *a, const char *s, size_t n);

/* ---- the tree ---- */

enum { JD_NULL, JD_FALSE, JD_TRUE, JD_NUM, JD_STR, JD_ARR, JD_OBJ };

typedef struct jd_node jd_node;
struct jd_node {
    const char *key;   /* member name when inside an object (klen bytes; not
                          NUL-terminated: may point into the parsed text) */
    uint32_t klen;
    uint8_t type;      /* JD_* */
    uint8_t is_int;    /* JD_NUM: mathematically integral and in int64: i holds it */
    uint8_t integral;  /* JD_NUM: integral (also beyond int64, e.g. 1e30) */
    uint8_t bad_utf8;  /* JD_STR: holds a lone surrogate */
    uint32_t n;        /* JD_STR: bytes; JD_NUM: bytes of its text;
                          JD_ARR/JD_OBJ: children */
    union {
        const char *s;   /* JD_STR, JD_NUM: n bytes, not NUL-terminated
                            (strings without escapes point into the input) */
        jd_node *kids;   /* JD_ARR/JD_OBJ: n nodes, in order */
    } u;
    int64_t i;
    double d;          /* JD_NUM: the value (inf when beyond double) */
    void *aux;         /* free for the user (the schema compiler) */
};

#define JD_DEPTH_MAX 512 /* as cairn__json_check */

/*
 * Parse buf[0..n) into a tree allocated in a; the tree may point into buf,
 * which must outlive it. Returns CAIRN_OK and *out, or
 * CAIRN_EFORMAT (cairn_errmsg(): "invalid JSON at byte N: why") or
 * CAIRN_ENOMEM.
 */
int jd_parse(jd_arena *a, const void *buf, size_t n, jd_node **out);

/* The member named key (klen bytes) of an object, or NULL (last one wins
 * for duplicate names, as most parsers do). */
const jd_node *jd_get(const jd_node *obj, const char *key, size_t klen);
#define JD_GET(obj, lit) jd_get(obj, lit, sizeof(lit) - 1)

/* Semantic equality: numbers by value (1 == 1.0), object member order ignored. */
bool jd_equal(const jd_node *a, const jd_node *b);

/* Compact JSON text of v appended to *buf (malloc'd, grown). CAIRN_OK or
 * CAIRN_ENOMEM. */
int jd_write(const jd_node *v, char **buf, size_t *len, size_t *cap);

/* Name of the node's type as JSON Schema says it ("integer" for an integral
 * number). */
const char *jd_type_name(const jd_node *v);

#endif
