/*
 * backend_url.c — fuzz what the server backends take from a URL (redis://,
 * postgres://; both read it with the one parser, cairn__url_parse) without
 * a server: cairn__redis_parse_location and cairn__postgres_parse_location
 * (src/backend/parse.h).
 *
 * Properties: a status from the small set a URL can give; a message that
 * names the backend; and the password never in a message, a label, or the
 * URL as cairn_url_redact shows it (what cairn_store_open's messages
 * quote), alone and behind "tiered:". For the last, every 0x01 byte of the input becomes a secret no
 * message text holds; when the secret occurs once (escapes decoded) and
 * ends up in the password, none of them may show it.
 */
#include "common.h"

#include "backend/parse.h"
#include "cairn/cairn.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef int (*parse_fn)(const char *, char **, char *, size_t);

static void check(parse_fn parse, const char *name, const char *loc, int secrets)
{
    char *pw = NULL;
    char label[700];
    int rc = parse(loc, &pw, label, sizeof label);
    FUZZ_CHECK(rc == CAIRN_OK || rc == CAIRN_EURL || rc == CAIRN_ENOMEM, "%s: status %d for '%s'",
               name, rc, loc);
    bool hidden = secrets == 1 && pw && strstr(pw, FUZZ_SECRET);
    if (hidden) {
        /* the whole URL, as an open's message shows it */
        size_t n = strlen(name) + 1 + strlen(loc);
        char *url = malloc(n + 1), *shown = malloc(4 * n + 16);
        if (!url || !shown)
            abort();
        snprintf(url, n + 1, "%s:%s", name, loc);
        cairn_url_redact(url, shown, 4 * n + 16);
        FUZZ_CHECK(fuzz_secrets(shown) == 0, "%s: the password shows in '%s'", name, shown);
        free(url);
        free(shown);
        /* behind a wrapping scheme, as a tiered: store's messages show it */
        n += 7;
        url = malloc(n + 1);
        shown = malloc(4 * n + 16);
        if (!url || !shown)
            abort();
        snprintf(url, n + 1, "tiered:%s:%s", name, loc);
        cairn_url_redact(url, shown, 4 * n + 16);
        FUZZ_CHECK(fuzz_secrets(shown) == 0, "%s: the password shows in '%s'", name, shown);
        free(url);
        free(shown);
    }
    if (rc) {
        FUZZ_CHECK(!strncmp(cairn_errmsg(), name, strlen(name)), "%s: message '%s'", name,
                   cairn_errmsg());
        FUZZ_CHECK(!label[0], "%s: a label on failure", name);
        if (hidden)
            FUZZ_CHECK(!strstr(cairn_errmsg(), FUZZ_SECRET), "%s: the password in '%s'", name,
                       cairn_errmsg());
    } else {
        FUZZ_CHECK(label[0], "%s: no label", name);
        if (hidden)
            FUZZ_CHECK(!strstr(label, FUZZ_SECRET), "%s: the password in label '%s'", name, label);
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
    char *loc = fuzz_with_secret(data, size);
    int secrets = fuzz_secrets(loc); /* escapes decoded: passwords are */
#ifdef CAIRN_HAVE_REDIS
    check(cairn__redis_parse_location, "redis", loc, secrets);
#endif
#ifdef CAIRN_HAVE_POSTGRES
    check(cairn__postgres_parse_location, "postgres", loc, secrets);
#endif
    free(loc);
    return 0;
}
