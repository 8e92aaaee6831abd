/*
 * backend_url.c — fuzz the server backends' URL parsers (redis://,
 * postgres://) without a server: cairn__redis_parse_location and
 * cairn__postgres_parse_location (src/backend/parse.h).
 *
 * Properties: a status from the small set a URL can give; a message that
 * names the backend; and the password never in a message or a label. For
 * the last, every 0x01 byte of the input becomes a secret no message text
 * holds; when the secret occurs once and ends up in the password, neither
 * the message nor the label may show it.
 */
#include "common.h"

#include "backend/parse.h"
#include "cairn/cairn.h"

#include <stdbool.h>
#include <string.h>

#define SECRET "Qz7pW3xK"

static char *with_secret(const uint8_t *data, size_t size, int *count)
{
    size_t sl = strlen(SECRET);
    char *s = malloc(size * sl + 1);
    if (!s)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < size; i++) {
        if (data[i] == 0x01) {
            memcpy(s + o, SECRET, sl);
            o += sl;
        } else if (data[i] != 0) {
            s[o++] = (char)data[i];
        }
    }
    s[o] = '\0';
    *count = 0; /* occurrences in the result: the input may spell it too */
    for (const char *q = s; (q = strstr(q, SECRET)); q++)
        ++*count;
    return s;
}

typedef int (*parse_fn)(const char *, char **, char *, size_t);

static void check(parse_fn parse, const char *name, const char *loc, int secrets)
{
    char *pw = NULL;
    char label[700];
    int rc = parse(loc, &pw, label, sizeof label);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EURL || rc == CAIRN_ENOMEM, "%s: status %d for '%s'",
               name, rc, loc);
    bool hidden = secrets == 1 && pw && strstr(pw, SECRET);
    if (rc) {
        FUZZ_CHECK(!strncmp(cairn_errmsg(), name, strlen(name)), "%s: message '%s'", name,
                   cairn_errmsg());
        FUZZ_CHECK(!label[0], "%s: a label on failure", name);
        if (hidden)
            FUZZ_CHECK(!strstr(cairn_errmsg(), SECRET), "%s: the password in '%s'", name,
                       cairn_errmsg());
    } else {
        FUZZ_CHECK(label[0], "%s: no label", name);
        if (hidden)
            FUZZ_CHECK(!strstr(label, SECRET), "%s: the password in label '%s'", name, label);
    }
    /* deterministic */
    char *pw2 = NULL;
    char label2[700];
    FUZZ_CHECK(parse(loc, &pw2, label2, sizeof label2) == rc, "%s: second parse differs", name);
    FUZZ_CHECK(!strcmp(label, label2), "%s: labels differ", name);
    FUZZ_CHECK((!pw && !pw2) || (pw && pw2 && !strcmp(pw, pw2)), "%s: passwords differ", name);
    free(pw);
    free(pw2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    int secrets;
    char *loc = with_secret(data, size, &secrets);
#ifdef CAIRN_HAVE_REDIS
    check(cairn__redis_parse_location, "redis", loc, secrets);
#endif
#ifdef CAIRN_HAVE_POSTGRES
    check(cairn__postgres_parse_location, "postgres", loc, secrets);
#endif
    free(loc);
    return 0;
}
