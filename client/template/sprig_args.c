/*
 * sprig_args.c - argument checking and conversion for Sprig functions, and result
 * construction.
 *
 * A parameter with a fixed Go type gets text/template's checks ("wrong type for value;
 * expected string; got int"); interface{} parameters that Sprig converts with
 * spf13/cast (v1.3) get cast's rules: strings parse with strconv (base prefixes for
 * integers), bools are 0/1, anything unconvertible is 0.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sprig_internal.h"

int sprig_oom(struct tmpl_call *call)
{
    tmpl_call_fail(call, "out of memory");
    return VALS_ENOMEM;
}

int sprig_wrong_type(struct tmpl_call *call, const char *expected, const struct doc *d)
{
    char t[64];

    if (d == NULL || d->type == DOC_NULL)
        return tmpl_call_fail(call, "invalid value; expected %s", expected);
    sprig_type_name(d, t, sizeof(t));
    return tmpl_call_fail(call, "wrong type for value; expected %s; got %s", expected, t);
}

int sprig_arg_str(struct tmpl_call *call, const struct doc *d, struct sstr *out)
{
    if (d == NULL || d->type != DOC_STR || sprig_is_time(d))
        return sprig_wrong_type(call, "string", d);
    out->p = d->v.s.ptr;
    out->len = d->v.s.len;
    return 0;
}

int sprig_arg_int(struct tmpl_call *call, const struct doc *d, int64_t *out)
{
    /* Go only accepts integer kinds here (int64 values are accepted too: see sprig.h). */
    if (d != NULL && d->type == DOC_INT) {
        *out = d->v.i;
        return 0;
    }
    if (d != NULL && d->type == DOC_UINT && d->v.u <= INT64_MAX) {
        *out = (int64_t)d->v.u;
        return 0;
    }
    return sprig_wrong_type(call, "int", d);
}

int sprig_arg_bool(struct tmpl_call *call, const struct doc *d, int *out)
{
    if (d == NULL || d->type != DOC_BOOL)
        return sprig_wrong_type(call, "bool", d);
    *out = d->v.b;
    return 0;
}

int sprig_arg_map(struct tmpl_call *call, const struct doc *d, struct doc **out)
{
    if (d == NULL || d->type == DOC_NULL) {
        *out = NULL; /* a nil map */
        return 0;
    }
    if (d->type != DOC_MAP || strcmp(sprig_kind_name(d), "map") != 0)
        return sprig_wrong_type(call, "map[string]interface {}", d);
    *out = (struct doc *)d;
    return 0;
}

int sprig_arg_list(struct tmpl_call *call, const struct doc *d, struct doc **out)
{
    if (d == NULL || d->type == DOC_NULL) {
        *out = NULL;
        return 0;
    }
    if (d->type != DOC_LIST)
        return sprig_wrong_type(call, "[]interface {}", d);
    *out = (struct doc *)d;
    return 0;
}

/* Go's underscoreOK: underscores only between digits or after a base prefix. */
static int underscore_ok(const char *s, size_t len)
{
    char saw = '^';
    size_t i = 0;
    int hex = 0;

    if (len >= 1 && (s[0] == '-' || s[0] == '+')) {
        s++;
        len--;
    }
    if (len >= 2 && s[0] == '0' &&
        (s[1] == 'b' || s[1] == 'B' || s[1] == 'o' || s[1] == 'O' || s[1] == 'x' || s[1] == 'X')) {
        i = 2;
        saw = '0';
        hex = s[1] == 'x' || s[1] == 'X';
    }
    for (; i < len; i++) {
        char c = s[i];
        if ((c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))) {
            saw = '0';
            continue;
        }
        if (c == '_') {
            if (saw != '0')
                return 0;
            saw = '_';
            continue;
        }
        if (saw == '_')
            return 0;
        saw = '!';
    }
    return saw != '_';
}

/* Value of a digit in any base up to 36, or 99. */
static unsigned digit_val(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'z')
        return (unsigned)(c - 'a' + 10);
    if (c >= 'A' && c <= 'Z')
        return (unsigned)(c - 'A' + 10);
    return 99;
}

int sprig_parse_int(const char *s, size_t len, int base, int64_t *out)
{
    const char *s0 = s;
    size_t len0 = len;
    int neg = 0, underscores = 0;
    uint64_t n = 0, max;

    *out = 0;
    if (len == 0)
        return -1;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        s++;
        len--;
        if (len == 0)
            return -1;
    }
    if (base == 0) {
        base = 10;
        if (s[0] == '0') {
            if (len >= 3 && (s[1] == 'b' || s[1] == 'B')) {
                base = 2;
                s += 2;
                len -= 2;
            } else if (len >= 3 && (s[1] == 'o' || s[1] == 'O')) {
                base = 8;
                s += 2;
                len -= 2;
            } else if (len >= 3 && (s[1] == 'x' || s[1] == 'X')) {
                base = 16;
                s += 2;
                len -= 2;
            } else {
                base = 8;
                s++;
                len--;
            }
        }
        underscores = 1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned d;
        if (s[i] == '_' && underscores)
            continue;
        d = digit_val(s[i]);
        if (d >= (unsigned)base)
            return -1;
        if (n > (UINT64_MAX - d) / (uint64_t)base)
            n = UINT64_MAX; /* saturate: out of range below */
        else
            n = n * (uint64_t)base + d;
    }
    if (underscores && memchr(s0, '_', len0) != NULL && !underscore_ok(s0, len0))
        return -1;
    max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (n > max) {
        *out = neg ? INT64_MIN : INT64_MAX;
        return -1;
    }
    *out = neg ? (int64_t)(0 - n) : (int64_t)n;
    return 0;
}

/* Case-insensitive prefix length shared by s and word. */
static size_t prefix_ci(const char *s, size_t len, const char *word)
{
    size_t i = 0;

    while (i < len && word[i] != '\0' && (s[i] | 0x20) == word[i])
        i++;
    return i;
}

static locale_t c_locale;
static pthread_once_t c_once = PTHREAD_ONCE_INIT;

static void c_locale_open(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

int sprig_parse_float(const char *s, size_t len, double *out)
{
    char buf[512];
    size_t i = 0, o = 0, digits = 0;
    int hex = 0, sawexp = 0;

    *out = 0;
    if (len == 0 || len >= sizeof(buf))
        return -1;
    /* special values: [+-]inf, [+-]infinity, nan */
    {
        size_t j = 0;
        int neg = 0;
        if (s[0] == '+' || s[0] == '-') {
            neg = s[0] == '-';
            j = 1;
        }
        if (len - j == 3 && prefix_ci(s + j, 3, "inf") == 3) {
            *out = neg ? -INFINITY : INFINITY;
            return 0;
        }
        if (len - j == 8 && prefix_ci(s + j, 8, "infinity") == 8) {
            *out = neg ? -INFINITY : INFINITY;
            return 0;
        }
        if (j == 0 && len == 3 && prefix_ci(s, 3, "nan") == 3) {
            *out = NAN;
            return 0;
        }
    }
    if (s[i] == '+' || s[i] == '-')
        buf[o++] = s[i++];
    if (i + 2 < len && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        hex = 1;
        buf[o++] = '0';
        buf[o++] = 'x';
        i += 2;
    }
    {
        int sawdot = 0;
        for (; i < len; i++) {
            char c = s[i];
            if (c == '_')
                continue;
            if (c == '.') {
                if (sawdot)
                    return -1;
                sawdot = 1;
            } else if (c >= '0' && c <= '9') {
                digits++;
            } else if (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                digits++;
            } else {
                break;
            }
            buf[o++] = c;
        }
    }
    if (digits == 0)
        return -1;
    if (i < len &&
        ((!hex && (s[i] == 'e' || s[i] == 'E')) || (hex && (s[i] == 'p' || s[i] == 'P')))) {
        size_t ed = 0;
        buf[o++] = s[i++];
        if (i < len && (s[i] == '+' || s[i] == '-'))
            buf[o++] = s[i++];
        for (; i < len; i++) {
            if (s[i] == '_')
                continue;
            if (s[i] < '0' || s[i] > '9')
                break;
            buf[o++] = s[i];
            ed++;
        }
        if (ed == 0)
            return -1;
        sawexp = 1;
    }
    if (i != len || (hex && !sawexp))
        return -1;
    if (memchr(s, '_', len) != NULL && !underscore_ok(s, len))
        return -1;
    buf[o] = '\0';
    pthread_once(&c_once, c_locale_open);
    errno = 0;
    *out = c_locale != (locale_t)0 ? strtod_l(buf, NULL, c_locale) : strtod(buf, NULL);
    if (isinf(*out)) {
        *out = 0;
        return -1; /* out of range */
    }
    return 0;
}

int64_t sprig_to_int64(const struct doc *d)
{
    int64_t v;

    if (d == NULL)
        return 0;
    switch (d->type) {
    case DOC_BOOL:
        return d->v.b ? 1 : 0;
    case DOC_INT:
        return d->v.i;
    case DOC_UINT:
        return (int64_t)d->v.u;
    case DOC_FLOAT:
        if (isnan(d->v.f) || d->v.f >= 9223372036854775808.0 || d->v.f < -9223372036854775808.0)
            return INT64_MIN; /* what the conversion yields on amd64 */
        return (int64_t)d->v.f;
    case DOC_STR:
        if (sprig_is_time(d))
            return 0;
        return sprig_parse_int(d->v.s.ptr, d->v.s.len, 0, &v) == 0 ? v : 0;
    default:
        return 0;
    }
}

double sprig_to_float64(const struct doc *d)
{
    double f;

    if (d == NULL)
        return 0;
    switch (d->type) {
    case DOC_BOOL:
        return d->v.b ? 1 : 0;
    case DOC_INT:
        return (double)d->v.i;
    case DOC_UINT:
        return (double)d->v.u;
    case DOC_FLOAT:
        return d->v.f;
    case DOC_STR:
        if (sprig_is_time(d))
            return 0;
        return sprig_parse_float(d->v.s.ptr, d->v.s.len, &f) == 0 ? f : 0;
    default:
        return 0;
    }
}

int sprig_ret_doc(struct tmpl_call *call, struct doc **out, struct doc *d)
{
    if (d == NULL)
        return sprig_oom(call);
    *out = d;
    return 0;
}

int sprig_ret_str(struct tmpl_call *call, struct doc **out, const char *p, size_t len)
{
    return sprig_ret_doc(call, out, doc_str(p, len));
}

int sprig_ret_dbuf(struct tmpl_call *call, struct doc **out, struct dbuf *b)
{
    struct doc *d = doc_str(b->p != NULL ? b->p : "", b->len);

    dbuf_free(b);
    return sprig_ret_doc(call, out, d);
}

int sprig_ret_bool(struct tmpl_call *call, struct doc **out, int b)
{
    return sprig_ret_doc(call, out, doc_bool(b != 0));
}

int sprig_ret_int(struct tmpl_call *call, struct doc **out, int64_t v, const char *type)
{
    struct doc *d = doc_int(v);

    if (type != NULL)
        d = sprig_tagged(d, type);
    return sprig_ret_doc(call, out, d);
}

int sprig_ret_float(struct tmpl_call *call, struct doc **out, double f)
{
    return sprig_ret_doc(call, out, doc_float(f));
}

int sprig_ret_copy(struct tmpl_call *call, struct doc **out, const struct doc *d)
{
    return sprig_ret_doc(call, out, d != NULL ? doc_copy(d) : doc_null());
}

int sprig_list_push_str(struct doc *list, const char *p, size_t len)
{
    struct doc *s = doc_str(p, len);

    if (s == NULL)
        return VALS_ENOMEM;
    return doc_list_push(list, s);
}
