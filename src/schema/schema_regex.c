/*
 * schema_regex.c — "pattern" and "patternProperties": ECMA-262 regular
 * expressions translated to PCRE2 (\s, long Unicode property names),
 * compiled once with JIT when it is there, matched under a backtracking
 * limit so that a hostile pattern cannot take seconds.
 */
#include "schema/schema_int.h"

#include <stdlib.h>

int cairn__sch_regex_init(cairn_schema *sc)
{
    if (!(sc->mctx = pcre2_match_context_create(NULL)))
        return CAIRN_ENOMEM;
    pcre2_set_match_limit(sc->mctx, MATCH_LIMIT);
    return CAIRN_OK;
}

void cairn__sch_regex_free(cairn_schema *sc)
{
    for (size_t i = 0; i < sc->nregex; i++)
        pcre2_code_free(sc->regexes[i]);
    pcre2_match_context_free(sc->mctx);
    free(sc->regexes);
}

/* ECMA-262 spells Unicode general categories long (\p{Letter},
 * \p{General_Category=Letter}, \p{gc=Lu}) and scripts as \p{Script=Greek};
 * PCRE2 wants \p{L}, \p{Lu}, \p{Greek}. */
static const char *const gc_names[][2] = {
    {"Letter", "L"}, {"Cased_Letter", "L&"}, {"Uppercase_Letter", "Lu"},
    {"Lowercase_Letter", "Ll"}, {"Titlecase_Letter", "Lt"}, {"Modifier_Letter", "Lm"},
    {"Other_Letter", "Lo"}, {"Mark", "M"}, {"Nonspacing_Mark", "Mn"}, {"Spacing_Mark", "Mc"},
    {"Enclosing_Mark", "Me"}, {"Number", "N"}, {"Decimal_Number", "Nd"}, {"digit", "Nd"},
    {"Letter_Number", "Nl"}, {"Other_Number", "No"}, {"Punctuation", "P"},
    {"punct", "P"}, {"Connector_Punctuation", "Pc"}, {"Dash_Punctuation", "Pd"},
    {"Open_Punctuation", "Ps"}, {"Close_Punctuation", "Pe"}, {"Initial_Punctuation", "Pi"},
    {"Final_Punctuation", "Pf"}, {"Other_Punctuation", "Po"}, {"Symbol", "S"},
    {"Math_Symbol", "Sm"}, {"Currency_Symbol", "Sc"}, {"Modifier_Symbol", "Sk"},
    {"Other_Symbol", "So"}, {"Separator", "Z"}, {"Space_Separator", "Zs"},
    {"Line_Separator", "Zl"}, {"Paragraph_Separator", "Zp"}, {"Other", "C"},
    {"Control", "Cc"}, {"cntrl", "Cc"}, {"Format", "Cf"}, {"Surrogate", "Cs"},
    {"Private_Use", "Co"}, {"Unassigned", "Cn"},
};

/* Copy pattern src (n bytes) to a NUL-terminated PCRE2 pattern in a. */
/* ECMA-262's \s: Unicode white space and line terminators, where PCRE2's
 * (without UCP) is ASCII only. Written with \uXXXX (PCRE2_ALT_BSUX). */
#define ECMA_SPACE                                                                        \
    "\\t\\n\\x0b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"

static char *ecma_to_pcre(jd_arena *a, const char *src, size_t n, size_t *outn)
{
    /* "\s" (2 bytes) becomes at most sizeof ECMA_SPACE + 2 bytes. */
    char *o = jd_alloc(a, n * (sizeof ECMA_SPACE / 2 + 2) + 1), *w = o;
    bool in_class = false;
    if (!o)
        return NULL;
    for (size_t i = 0; i < n;) {
        if (src[i] == '\\' && i + 1 < n &&
            (src[i + 1] == 's' || (src[i + 1] == 'S' && !in_class))) {
            /* \S inside a class has no short form: it keeps PCRE2's meaning. */
            const char *open = in_class ? "" : src[i + 1] == 's' ? "[" : "[^";
            size_t ol = strlen(open);
            memcpy(w, open, ol);
            w += ol;
            memcpy(w, ECMA_SPACE, sizeof ECMA_SPACE - 1);
            w += sizeof ECMA_SPACE - 1;
            if (!in_class)
                *w++ = ']';
            i += 2;
            continue;
        }
        if (src[i] == '[' && !in_class) {
            /* As PCRE2 reads it: a ']' first (after an optional '^') is
             * literal. */
            in_class = true;
            *w++ = src[i++];
            if (i < n && src[i] == '^')
                *w++ = src[i++];
            if (i < n && src[i] == ']')
                *w++ = src[i++];
            continue;
        }
        if (src[i] == ']' && in_class)
            in_class = false;
        if (src[i] == '\\' && i + 2 < n && (src[i + 1] == 'p' || src[i + 1] == 'P') &&
            src[i + 2] == '{') {
            const char *name = src + i + 3, *end = memchr(name, '}', n - (i + 3));
            if (end) {
                size_t nl = (size_t)(end - name);
                const char *eq = memchr(name, '=', nl);
                if (eq) { /* General_Category=X, gc=X, Script=X, sc=X, ... */
                    nl -= (size_t)(eq + 1 - name);
                    name = eq + 1;
                }
                const char *to = NULL;
                for (size_t k = 0; k < sizeof gc_names / sizeof *gc_names && !to; k++)
                    if (strlen(gc_names[k][0]) == nl && !memcmp(gc_names[k][0], name, nl))
                        to = gc_names[k][1];
                *w++ = '\\';
                *w++ = src[i + 1];
                *w++ = '{';
                size_t tl = to ? strlen(to) : nl;
                memcpy(w, to ? to : name, tl);
                w += tl;
                *w++ = '}';
                i = (size_t)(end + 1 - src);
                continue;
            }
        }
        if (src[i] == '\\' && i + 1 < n) {
            *w++ = src[i++];
        }
        *w++ = src[i++];
    }
    *w = '\0';
    *outn = (size_t)(w - o);
    return o;
}

int cairn__sch_regex(comp *c, const jd_node *src, pcre2_code **out)
{
    int err;
    PCRE2_SIZE off;
    /* ECMA-262-ish: "$" only at the very end; \uXXXX escapes; a reference
     * to a group that did not take part matches the empty string; ECMA's \s
     * and long property names (ecma_to_pcre). */
    size_t pn;
    char *pat = ecma_to_pcre(c->a, src->u.s, src->n, &pn);
    if (!pat)
        return oom();
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, pn,
                                   PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX |
                                       PCRE2_MATCH_UNSET_BACKREF, &err,
                                   &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return cairn__sch_err(c, CAIRN_EINVAL, "bad regular expression '%.*s' at offset %zu: %s",
                    (int)(src->n > 200 ? 200 : src->n), src->u.s, (size_t)off, (char *)msg);
    }
    cairn_schema *sc = c->sc;
    if (sc->nregex == sc->capregex) {
        size_t cap = sc->capregex ? sc->capregex * 2 : 8;
        pcre2_code **r = realloc(sc->regexes, cap * sizeof *r);
        if (!r) {
            pcre2_code_free(re);
            return oom();
        }
        sc->regexes = r;
        sc->capregex = cap;
    }
    sc->regexes[sc->nregex++] = re;
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* best effort: interpreted otherwise */
    *out = re;
    return CAIRN_OK;
}

int cairn__sch_re_match(const cairn_schema *sc, pcre2_match_data **md, pcre2_code *re,
                        const char *s, size_t n)
{
    if (!*md && !(*md = pcre2_match_data_create(1, NULL)))
        return -2;
    int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, *md, sc->mctx);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

void cairn__sch_match_data_free(pcre2_match_data *md)
{
    if (md)
        pcre2_match_data_free(md);
}
