/*
 * format.c — checks behind "format" (see format.h): hand-written scanners,
 * no regular expressions, so a check costs a few dozen nanoseconds.
 */
#include "schema/format.h"

#include <string.h>

static const struct {
    const char *name;
    int id;
} formats[] = {
    {"date-time", FMT_DATE_TIME}, {"date", FMT_DATE}, {"time", FMT_TIME},
    {"uuid", FMT_UUID},           {"email", FMT_EMAIL}, {"ipv4", FMT_IPV4},
    {"ipv6", FMT_IPV6},           {"hostname", FMT_HOSTNAME}, {"uri", FMT_URI},
};

int cairn__format_id(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (strlen(formats[i].name) == n && memcmp(formats[i].name, name, n) == 0)
            return formats[i].id;
    return FMT_NONE;
}

const char *cairn__format_name(int id)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (formats[i].id == id)
            return formats[i].name;
    return "?";
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool hexdig(char c)
{
    return digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* n digits at s as a number, or -1. */
static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* full-date: YYYY-MM-DD */
static bool date(const char *s, size_t n)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= days[m - 1] + (m == 2 && leap(y));
}

/* full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM); a leap second only at 23:59 UTC. */
static bool time_(const char *s, size_t n)
{
    if (n < 9 || s[2] != ':' || s[5] != ':')
        return false;
    int h = num(s, 2), mi = num(s + 3, 2), se = num(s + 6, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
        return false;
    size_t i = 8;
    if (i < n && s[i] == '.') {
        size_t b = ++i;
        while (i < n && digit(s[i]))
            i++;
        if (i == b)
            return false;
    }
    if (i >= n)
        return false;
    int off = 0; /* minutes east of UTC */
    if ((s[i] | 0x20) == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        if (n - i != 6 || s[i + 3] != ':')
            return false;
        int oh = num(s + i + 1, 2), om = num(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        off = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return false;
    }
    if (i != n)
        return false;
    if (se == 60) {
        int utc = ((h * 60 + mi - off) % 1440 + 1440) % 1440;
        return utc == 23 * 60 + 59;
    }
    return true;
}

static bool date_time(const char *s, size_t n)
{
    return n > 11 && (s[10] | 0x20) == 't' && date(s, 10) && time_(s + 11, n - 11);
}

static bool uuid(const char *s, size_t n)
{
    if (n != 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !hexdig(s[i]))
            return false;
    }
    return true;
}

/* A dotted-quad IPv4 address, no leading zeros. */
static bool ipv4(const char *s, size_t n)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        size_t b = i;
        int v = 0;
        while (i < n && digit(s[i]) && i - b < 3)
            v = v * 10 + (s[i++] - '0');
        if (i == b || v > 255 || (i - b > 1 && s[b] == '0'))
            return false;
    }
    return i == n;
}

static bool ipv6(const char *s, size_t n)
{
    int groups = 0;
    bool gap = false;
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = true;
        i = 2;
        if (i == n)
            return true;
    } else if (n && s[0] == ':') {
        return false;
    }
    while (i < n) {
        size_t b = i;
        while (i < n && hexdig(s[i]) && i - b < 5)
            i++;
        if (i < n && s[i] == '.') { /* an embedded IPv4 tail */
            if (!ipv4(s + b, n - b) || groups > 6)
                return false;
            groups += 2;
            i = n;
            break;
        }
        if (i == b || i - b > 4)
            return false;
        groups++;
        if (i == n)
            break;
        if (s[i] != ':')
            return false;
        i++;
        if (i < n && s[i] == ':') {
            if (gap)
                return false;
            gap = true;
            i++;
            if (i == n)
                break;
        } else if (i == n) {
            return false;
        }
    }
    return gap ? groups < 8 : groups == 8;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and inner
 * hyphens, 1-63 bytes each, 253 in all. */
static bool hostname(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    size_t b = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            size_t l = i - b;
            if (l == 0 || l > 63 || s[b] == '-' || s[i - 1] == '-')
                return false;
            b = i + 1;
            continue;
        }
        char c = s[i];
        if (!(digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '-'))
            return false;
    }
    return true;
}

/* A practical address check: local@domain, a dot-atom local part (or a
 * quoted one), a host name or [IP] domain. */
static bool email(const char *s, size_t n)
{
    const char *at = NULL;
    for (size_t i = n; i-- > 0;)
        if (s[i] == '@') {
            at = s + i;
            break;
        }
    if (!at || at == s)
        return false;
    size_t ll = (size_t)(at - s), dl = n - ll - 1;
    if (s[0] == '"') {
        if (ll < 2 || s[ll - 1] != '"')
            return false;
    } else {
        if (s[0] == '.' || s[ll - 1] == '.')
            return false;
        for (size_t i = 0; i < ll; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '.' && s[i + 1] == '.')
                return false;
            if (c <= ' ' || c >= 0x7f || strchr("()<>[]:;@\\,\"", c))
                return false;
        }
    }
    const char *d = at + 1;
    if (dl >= 2 && d[0] == '[' && d[dl - 1] == ']') {
        if (dl > 7 && memcmp(d + 1, "IPv6:", 5) == 0)
            return ipv6(d + 6, dl - 7);
        return ipv4(d + 1, dl - 2);
    }
    return hostname(d, dl);
}

/* An absolute URI (RFC 3986): scheme ":" then characters allowed in a URI,
 * with well-formed percent escapes. */
static bool uri(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
        return false;
    while (i < n && s[i] != ':') {
        char c = s[i];
        if (!(digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '+' || c == '-' ||
              c == '.'))
            return false;
        i++;
    }
    if (i == n)
        return false;
    for (i++; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n || !hexdig(s[i + 1]) || !hexdig(s[i + 2]))
                return false;
            i += 2;
        } else if (c <= ' ' || c >= 0x7f || strchr("<>\"{}|\\^`", c)) {
            return false;
        }
    }
    return true;
}

bool cairn__format_check(int id, const char *s, size_t n)
{
    switch (id) {
    case FMT_DATE_TIME: return date_time(s, n);
    case FMT_DATE: return date(s, n);
    case FMT_TIME: return time_(s, n);
    case FMT_UUID: return uuid(s, n);
    case FMT_EMAIL: return email(s, n);
    case FMT_IPV4: return ipv4(s, n);
    case FMT_IPV6: return ipv6(s, n);
    case FMT_HOSTNAME: return hostname(s, n);
    case FMT_URI: return uri(s, n);
    default: return true;
    }
}
