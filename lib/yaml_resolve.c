/*
 * yaml_resolve.c - how go-yaml v3 (the YAML library sops links) types a plain scalar, and
 * the timestamps it recognises.
 *
 * The rules follow go-yaml v3.0.1's resolver: a first-character hint, then exact words
 * (true/True/TRUE, null/~/"", .inf, .nan, ...), timestamps (YYYY-M-D with optional time),
 * Go ParseInt with base prefixes after removing '_' (a leading 0 means octal), unsigned
 * integers above INT64_MAX, then floats.  SOPS encrypts by that type (type:int, float, bool,
 * time) and hashes the value's text, so this must agree with go-yaml to the byte.  The
 * emitter uses the same rules to decide which strings need quotes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "doc_yaml.h"

/* An ASCII digit. */
static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digit value in base 16, or 99. */
static int digit_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/*
 * Go strconv.ParseUint(s, 0, 64) / ParseInt(s, 0, 64) on text without underscores.
 * Returns 1 with the magnitude in *mag and the sign in *neg when the syntax is valid and the
 * magnitude fits in 64 bits; `allow_sign` is ParseInt's leading +/-.
 */
static int go_parse_int(const char *s, size_t len, int allow_sign, int *neg,
                        unsigned long long *mag)
{
    size_t i = 0;
    int base = 10;
    unsigned long long v = 0;

    *neg = 0;
    if (allow_sign && i < len && (s[i] == '+' || s[i] == '-')) {
        *neg = s[i] == '-';
        i++;
    }
    if (i >= len)
        return 0;
    if (s[i] == '0' && i + 1 < len) {
        char p = s[i + 1];
        if (p == 'x' || p == 'X') {
            base = 16;
            i += 2;
        } else if (p == 'o' || p == 'O') {
            base = 8;
            i += 2;
        } else if (p == 'b' || p == 'B') {
            base = 2;
            i += 2;
        } else {
            base = 8;
            i += 1;
        }
        if (i >= len)
            return 0;
    }
    for (; i < len; i++) {
        int d = digit_val(s[i]);
        if (d >= base)
            return 0;
        if (v > (~0ULL - (unsigned long long)d) / (unsigned long long)base)
            return 0; /* out of range */
        v = v * (unsigned long long)base + (unsigned long long)d;
    }
    *mag = v;
    return 1;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *s, size_t len)
{
    size_t i = 0;

    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit(s[i]))
            return 0;
        while (i < len && is_digit(s[i]))
            i++;
    } else {
        if (i >= len || !is_digit(s[i]))
            return 0;
        while (i < len && is_digit(s[i]))
            i++;
        if (i < len && s[i] == '.') {
            i++;
            while (i < len && is_digit(s[i]))
                i++;
        }
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        if (i >= len || !is_digit(s[i]))
            return 0;
        while (i < len && is_digit(s[i]))
            i++;
    }
    return i == len;
}

/* Go ParseFloat on a decimal literal: 0 when it overflows (ErrRange). */
static int go_parse_float(const char *s, size_t len, double *out)
{
    char buf[400];

    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, NULL);
    if (errno == ERANGE && isinf(*out))
        return 0;
    return 1;
}

/* Read 1..maxd digits as a number; advances *i.  Returns -1 when there is no digit. */
static int take_num(const char *s, size_t len, size_t *i, int mind, int maxd)
{
    int v = 0, n = 0;

    while (*i < len && n < maxd && is_digit(s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        n++;
    }
    return n >= mind ? v : -1;
}

/* Days in a month of a (proleptic Gregorian) year. */
static int days_in(int year, int mon)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return mon == 2 && leap ? 29 : d[mon - 1];
}

/* Time of day "15:4:5[.frac]" (strict: two-digit minute and second) at *i. */
static int parse_clock(const char *s, size_t len, size_t *i, int strict, struct yaml_time *t)
{
    t->hour = take_num(s, len, i, 1, 2);
    if (t->hour < 0 || t->hour > 23 || *i >= len || s[*i] != ':')
        return 0;
    (*i)++;
    t->min = take_num(s, len, i, strict ? 2 : 1, 2);
    if (t->min < 0 || t->min > 59 || *i >= len || s[*i] != ':')
        return 0;
    (*i)++;
    t->sec = take_num(s, len, i, strict ? 2 : 1, 2);
    if (t->sec < 0 || t->sec > 59)
        return 0;
    t->nsec = 0;
    if (*i + 1 < len && (s[*i] == '.' || s[*i] == ',') && is_digit(s[*i + 1])) {
        long scale = 100000000;
        (*i)++;
        while (*i < len && is_digit(s[*i])) {
            t->nsec += (s[*i] - '0') * scale;
            scale /= 10;
            (*i)++;
        }
    }
    return 1;
}

/* "Z" or "+hh:mm" / "-hh:mm" at *i. */
static int parse_zone(const char *s, size_t len, size_t *i, struct yaml_time *t)
{
    int hh, mm;

    if (*i < len && s[*i] == 'Z') {
        (*i)++;
        t->offset = 0;
        return 1;
    }
    if (len - *i < 6 || (s[*i] != '+' && s[*i] != '-') || s[*i + 3] != ':' ||
        !is_digit(s[*i + 1]) || !is_digit(s[*i + 2]) || !is_digit(s[*i + 4]) ||
        !is_digit(s[*i + 5]))
        return 0;
    hh = (s[*i + 1] - '0') * 10 + (s[*i + 2] - '0');
    mm = (s[*i + 4] - '0') * 10 + (s[*i + 5] - '0');
    if (hh > 24 || mm > 60)
        return 0;
    t->offset = (hh * 60 + mm) * (s[*i] == '-' ? -1 : 1);
    *i += 6;
    return 1;
}

/* The date "2006-1-2" (strict: "2006-01-02") at *i. */
static int parse_date(const char *s, size_t len, size_t *i, int strict, struct yaml_time *t)
{
    memset(t, 0, sizeof(*t));
    t->year = take_num(s, len, i, 4, 4);
    if (t->year < 0 || *i >= len || s[*i] != '-')
        return 0;
    (*i)++;
    t->mon = take_num(s, len, i, strict ? 2 : 1, 2);
    if (t->mon < 1 || t->mon > 12 || *i >= len || s[*i] != '-')
        return 0;
    (*i)++;
    t->day = take_num(s, len, i, strict ? 2 : 1, 2);
    return t->day >= 1 && t->day <= days_in(t->year, t->mon);
}

int yaml_timestamp_parse(const char *s, size_t len, struct yaml_time *t)
{
    size_t i = 0, n = 0;

    while (n < len && is_digit(s[n]))
        n++;
    if (n != 4 || n == len || s[n] != '-') /* all formats start with YYYY- */
        return 0;
    if (!parse_date(s, len, &i, 0, t))
        return 0;
    if (i == len)
        return 1; /* date only: midnight UTC */
    if (s[i] == 'T' || s[i] == 't') {
        i++;
        if (!parse_clock(s, len, &i, 0, t) || !parse_zone(s, len, &i, t))
            return 0;
        return i == len;
    }
    if (s[i] == ' ') {
        i++;
        if (!parse_clock(s, len, &i, 0, t))
            return 0;
        return i == len; /* no zone: UTC */
    }
    return 0;
}

int yaml_rfc3339_parse(const char *s, size_t len, struct yaml_time *t)
{
    size_t i = 0;

    if (!parse_date(s, len, &i, 1, t) || i >= len || s[i] != 'T')
        return 0;
    i++;
    if (!parse_clock(s, len, &i, 1, t) || !parse_zone(s, len, &i, t))
        return 0;
    return i == len;
}

int yaml_time_format(const struct yaml_time *t, int nanos, char *buf, size_t len)
{
    char frac[16] = "", zone[8] = "Z";
    int n;

    if (nanos && t->nsec > 0) {
        snprintf(frac, sizeof(frac), ".%09ld", t->nsec);
        n = (int)strlen(frac);
        while (n > 1 && frac[n - 1] == '0')
            frac[--n] = '\0';
    }
    if (t->offset != 0) {
        int off = t->offset < 0 ? -t->offset : t->offset;
        snprintf(zone, sizeof(zone), "%c%02d:%02d", t->offset < 0 ? '-' : '+', off / 60, off % 60);
    }
    return snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", t->year, t->mon, t->day, t->hour,
                    t->min, t->sec, frac, zone);
}

int yaml_is_old_bool(const char *s, size_t len)
{
    static const char *const words[] = {"y", "Y", "yes", "Yes", "YES", "on",  "On",  "ON",
                                        "n", "N", "no",  "No",  "NO",  "off", "Off", "OFF"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i]) == len && !memcmp(words[i], s, len))
            return 1;
    return 0;
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
int yaml_is_base60_float(const char *s, size_t len)
{
    size_t i = 0;
    int groups = 0;

    if (len == 0 || memchr(s, ':', len) == NULL)
        return 0;
    if (s[i] == '-' || s[i] == '+')
        i++;
    if (i >= len || !is_digit(s[i]))
        return 0;
    while (i < len && (is_digit(s[i]) || s[i] == '_'))
        i++;
    while (i < len && s[i] == ':') {
        size_t d = 0;
        i++;
        while (i < len && is_digit(s[i]) && d < 2) {
            d++;
            i++;
        }
        if (d == 0 || (d == 2 && s[i - 2] > '5'))
            return 0;
        groups++;
    }
    if (groups == 0)
        return 0;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && (is_digit(s[i]) || s[i] == '_'))
            i++;
    }
    return i == len;
}

/* Node for an integer magnitude with sign (int64 when it fits, else uint64 / float). */
static struct doc *int_node(int neg, unsigned long long mag)
{
    if (neg) {
        if (mag > (unsigned long long)INT64_MAX + 1)
            return NULL;
        return doc_int(mag == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag);
    }
    return doc_uint(mag);
}

int yaml_resolve_plain(const char *s, size_t len, struct doc **out)
{
    char plain[400];
    size_t n = 0;
    char hint;
    double f;

    *out = NULL;
    if (len == 0 || (len == 1 && s[0] == '~') ||
        (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)))) {
        *out = doc_null();
        return *out != NULL ? 1 : VALS_ENOMEM;
    }
    hint = s[0];
    if (!strchr("+-0123456789yYnNtTfFoO~.", hint))
        return 0;
    if ((len == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4))) ||
        (len == 5 &&
         (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5)))) {
        *out = doc_bool(s[0] == 't' || s[0] == 'T');
        return *out != NULL ? 1 : VALS_ENOMEM;
    }
    if ((len == 4 && (!memcmp(s, ".nan", 4) || !memcmp(s, ".NaN", 4) || !memcmp(s, ".NAN", 4)))) {
        *out = doc_float(NAN);
        return *out != NULL ? 1 : VALS_ENOMEM;
    }
    if ((len == 4 && (!memcmp(s, ".inf", 4) || !memcmp(s, ".Inf", 4) || !memcmp(s, ".INF", 4))) ||
        (len == 5 &&
         (!memcmp(s, "+.inf", 5) || !memcmp(s, "+.Inf", 5) || !memcmp(s, "+.INF", 5)))) {
        *out = doc_float(INFINITY);
        return *out != NULL ? 1 : VALS_ENOMEM;
    }
    if (len == 5 && (!memcmp(s, "-.inf", 5) || !memcmp(s, "-.Inf", 5) || !memcmp(s, "-.INF", 5))) {
        *out = doc_float(-INFINITY);
        return *out != NULL ? 1 : VALS_ENOMEM;
    }
    if (hint == '.') {
        /* Go ParseFloat of ".5", ".5e3" */
        if (!yaml_style_float(s, len) || !go_parse_float(s, len, &f))
            return 0;
        *out = doc_float(f);
        return *out != NULL ? 1 : VALS_ENOMEM;
    }
    if (!(hint == '+' || hint == '-' || is_digit(hint)))
        return 0; /* 'M' hint: only the exact words above */
    {
        struct yaml_time t;
        if (yaml_timestamp_parse(s, len, &t))
            return 0; /* a timestamp: a string to the document model */
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '_')
            continue;
        if (n + 1 >= sizeof(plain))
            return 0;
        plain[n++] = s[i];
    }
    plain[n] = '\0';
    {
        int neg;
        unsigned long long mag;
        if (go_parse_int(plain, n, 1, &neg, &mag) &&
            (!neg || mag <= (unsigned long long)INT64_MAX + 1)) {
            *out = int_node(neg, mag);
            return *out != NULL ? 1 : VALS_ENOMEM;
        }
        if (plain[0] != '+' && plain[0] != '-' && go_parse_int(plain, n, 0, &neg, &mag)) {
            *out = doc_uint(mag);
            return *out != NULL ? 1 : VALS_ENOMEM;
        }
    }
    if (yaml_style_float(plain, n) && go_parse_float(plain, n, &f)) {
        *out = doc_float(f);
        return *out != NULL ? 1 : VALS_ENOMEM;
    }
    return 0;
}

int yaml_plain_is_timestamp(const char *s, size_t len)
{
    struct yaml_time t;

    return len > 0 && (is_digit(s[0]) || s[0] == '+' || s[0] == '-') &&
           yaml_timestamp_parse(s, len, &t);
}

int yaml_needs_quotes(const char *s, size_t len)
{
    struct doc *d = NULL;
    int r = yaml_resolve_plain(s, len, &d);

    doc_free(d);
    if (r != 0)
        return 1;
    return yaml_plain_is_timestamp(s, len) || yaml_is_base60_float(s, len) ||
           yaml_is_old_bool(s, len);
}
