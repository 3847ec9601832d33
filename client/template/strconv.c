/*
 * strconv.c - Go strconv quoting, unquoting and number parsing (see strconv.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "valsd/errors.h"
#include "strconv.h"
#include "unicode.h"
#include "utf8.h"

static const char lowerhex[] = "0123456789abcdef";

/* Append one rune escaped as strconv's appendEscapedRune does. */
static int escaped_rune(struct dbuf *out, uint32_t r, char quote, int ascii_only)
{
    char tmp[12];
    size_t n = 0;

    if (r == (uint32_t)(unsigned char)quote || r == '\\') {
        tmp[n++] = '\\';
        tmp[n++] = (char)r;
        return dbuf_add(out, tmp, n);
    }
    if (ascii_only) {
        if (r < UTF8_RUNE_SELF && unicode_is_print(r))
            return dbuf_addc(out, (char)r);
    } else if (unicode_is_print(r)) {
        n = utf8_encode(r, tmp);
        return dbuf_add(out, tmp, n);
    }
    switch (r) {
    case '\a':
        return dbuf_adds(out, "\\a");
    case '\b':
        return dbuf_adds(out, "\\b");
    case '\f':
        return dbuf_adds(out, "\\f");
    case '\n':
        return dbuf_adds(out, "\\n");
    case '\r':
        return dbuf_adds(out, "\\r");
    case '\t':
        return dbuf_adds(out, "\\t");
    case '\v':
        return dbuf_adds(out, "\\v");
    default:
        break;
    }
    if (r < ' ' || r == 0x7F) {
        tmp[0] = '\\';
        tmp[1] = 'x';
        tmp[2] = lowerhex[(r >> 4) & 0xF];
        tmp[3] = lowerhex[r & 0xF];
        return dbuf_add(out, tmp, 4);
    }
    if (!utf8_valid_rune(r))
        r = 0xFFFD;
    if (r < 0x10000) {
        tmp[n++] = '\\';
        tmp[n++] = 'u';
        for (int s = 12; s >= 0; s -= 4)
            tmp[n++] = lowerhex[(r >> s) & 0xF];
    } else {
        tmp[n++] = '\\';
        tmp[n++] = 'U';
        for (int s = 28; s >= 0; s -= 4)
            tmp[n++] = lowerhex[(r >> s) & 0xF];
    }
    return dbuf_add(out, tmp, n);
}

/* Append s as a Go double-quoted string literal (strconv.Quote, QuoteToASCII). */
int strconv_quote(struct dbuf *out, const char *s, size_t n, char quote, int ascii_only)
{
    int r = dbuf_addc(out, quote);
    size_t i = 0, w;

    while (r == 0 && i < n) {
        uint32_t c = (unsigned char)s[i];
        w = 1;
        if (c >= UTF8_RUNE_SELF)
            c = utf8_decode(s + i, n - i, &w);
        if (w == 1 && c == UTF8_RUNE_ERROR) {
            char tmp[4] = {'\\', 'x', lowerhex[((unsigned char)s[i]) >> 4],
                           lowerhex[((unsigned char)s[i]) & 0xF]};
            r = dbuf_add(out, tmp, 4);
        } else {
            r = escaped_rune(out, c, quote, ascii_only);
        }
        i += w;
    }
    return r != 0 ? r : dbuf_addc(out, quote);
}

/* Append r as a Go character literal (strconv.QuoteRune, QuoteRuneToASCII). */
int strconv_quote_rune(struct dbuf *out, uint32_t c, int ascii_only)
{
    int r = dbuf_addc(out, '\'');

    if (!utf8_valid_rune(c))
        c = UTF8_RUNE_ERROR;
    if (r == 0)
        r = escaped_rune(out, c, '\'', ascii_only);
    return r != 0 ? r : dbuf_addc(out, '\'');
}

/* Can s be written as a raw `...` literal (strconv.CanBackquote)? */
int strconv_can_backquote(const char *s, size_t n)
{
    size_t i = 0, w;

    while (i < n) {
        uint32_t c = utf8_decode(s + i, n - i, &w);
        i += w;
        if (w > 1) {
            if (c == 0xFEFF)
                return 0;
            continue;
        }
        if (c == UTF8_RUNE_ERROR)
            return 0;
        if ((c < ' ' && c != '\t') || c == '`' || c == 0x7F)
            return 0;
    }
    return 1;
}

/* Value of a hex digit, or -1. */
static int unhex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode one character of a quoted literal (strconv.UnquoteChar). */
int strconv_unquote_char(const char *s, size_t n, char quote, uint32_t *r, int *multibyte,
                         size_t *used)
{
    unsigned char c;
    size_t w, nd = 0;
    uint32_t v = 0;

    *multibyte = 0;
    if (n == 0)
        return STRCONV_ESYNTAX;
    c = (unsigned char)s[0];
    if (c == (unsigned char)quote && (quote == '\'' || quote == '"'))
        return STRCONV_ESYNTAX;
    if (c >= UTF8_RUNE_SELF) {
        *r = utf8_decode(s, n, &w);
        *multibyte = 1;
        *used = w;
        return 0;
    }
    if (c != '\\') {
        *r = c;
        *used = 1;
        return 0;
    }
    if (n <= 1)
        return STRCONV_ESYNTAX;
    c = (unsigned char)s[1];
    *used = 2;
    switch (c) {
    case 'a':
        *r = '\a';
        return 0;
    case 'b':
        *r = '\b';
        return 0;
    case 'f':
        *r = '\f';
        return 0;
    case 'n':
        *r = '\n';
        return 0;
    case 'r':
        *r = '\r';
        return 0;
    case 't':
        *r = '\t';
        return 0;
    case 'v':
        *r = '\v';
        return 0;
    case 'x':
    case 'u':
    case 'U':
        nd = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        if (n - 2 < nd)
            return STRCONV_ESYNTAX;
        for (size_t j = 0; j < nd; j++) {
            int x = unhex(s[2 + j]);
            if (x < 0)
                return STRCONV_ESYNTAX;
            v = (v << 4) | (uint32_t)x;
        }
        *used = 2 + nd;
        if (c != 'x') {
            if (!utf8_valid_rune(v))
                return STRCONV_ESYNTAX;
            *multibyte = 1;
        }
        *r = v;
        return 0;
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
        v = (uint32_t)(c - '0');
        if (n - 2 < 2)
            return STRCONV_ESYNTAX;
        for (size_t j = 0; j < 2; j++) {
            int x = s[2 + j] - '0';
            if (x < 0 || x > 7)
                return STRCONV_ESYNTAX;
            v = (v << 3) | (uint32_t)x;
        }
        if (v > 255)
            return STRCONV_ESYNTAX;
        *used = 4;
        *r = v;
        return 0;
    case '\\':
        *r = '\\';
        return 0;
    case '\'':
    case '"':
        if (c != (unsigned char)quote)
            return STRCONV_ESYNTAX;
        *r = c;
        return 0;
    default:
        return STRCONV_ESYNTAX;
    }
}

/* Decode a "..." `...` or '...' literal (strconv.Unquote). */
int strconv_unquote(const char *s, size_t n, struct dbuf *out)
{
    char quote;
    const char *end;
    size_t i;

    if (n < 2)
        return STRCONV_ESYNTAX;
    quote = s[0];
    end = memchr(s + 1, quote, n - 1);
    if (end == NULL)
        return STRCONV_ESYNTAX;
    if (quote == '`') {
        if ((size_t)(end - s) + 1 != n)
            return STRCONV_ESYNTAX;
        for (i = 1; i < n - 1; i++) {
            if (s[i] == '\r')
                continue;
            int r = dbuf_addc(out, s[i]);
            if (r != 0)
                return r;
        }
        return 0;
    }
    if (quote != '"' && quote != '\'')
        return STRCONV_ESYNTAX;
    i = 1;
    while (i < n && s[i] != quote) {
        uint32_t r;
        int mb, rc;
        size_t used;
        char tmp[4];
        if (s[i] == '\n' || strconv_unquote_char(s + i, n - i, quote, &r, &mb, &used) != 0)
            return STRCONV_ESYNTAX;
        i += used;
        if (r < UTF8_RUNE_SELF || !mb) {
            tmp[0] = (char)r;
            rc = dbuf_add(out, tmp, 1);
        } else {
            rc = dbuf_add(out, tmp, utf8_encode(r, tmp));
        }
        if (rc != 0)
            return rc;
        if (quote == '\'')
            break;
    }
    if (i >= n || s[i] != quote || i + 1 != n)
        return STRCONV_ESYNTAX;
    return 0;
}

/* strconv.underscoreOK: underscores only between digits or after a base prefix. */
static int underscore_ok(const char *s, size_t n)
{
    char saw = '^';
    size_t i = 0;
    int hex = 0;

    if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
        s++;
        n--;
    }
    if (n >= 2 && s[0] == '0' &&
        ((s[1] | 0x20) == 'b' || (s[1] | 0x20) == 'o' || (s[1] | 0x20) == 'x')) {
        i = 2;
        saw = '0';
        hex = (s[1] | 0x20) == 'x';
    }
    for (; i < n; i++) {
        char c = s[i];
        if ((c >= '0' && c <= '9') || (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
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

/* strconv.ParseUint(s, 0, 64): base prefixes and underscores. */
int strconv_parse_uint(const char *s0, size_t n0, uint64_t *v)
{
    const char *s = s0;
    size_t n = n0;
    unsigned base = 10;
    uint64_t acc = 0, cutoff;
    int underscores = 0;

    *v = 0;
    if (n == 0)
        return STRCONV_ESYNTAX;
    if (s[0] == '0') {
        if (n >= 3 && (s[1] | 0x20) == 'b') {
            base = 2;
            s += 2;
            n -= 2;
        } else if (n >= 3 && (s[1] | 0x20) == 'o') {
            base = 8;
            s += 2;
            n -= 2;
        } else if (n >= 3 && (s[1] | 0x20) == 'x') {
            base = 16;
            s += 2;
            n -= 2;
        } else {
            base = 8;
            s += 1;
            n -= 1;
        }
    }
    cutoff = UINT64_MAX / base + 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned d;
        if (c == '_') {
            underscores = 1;
            continue;
        } else if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
            d = (unsigned)((c | 0x20) - 'a' + 10);
        } else {
            return STRCONV_ESYNTAX;
        }
        if (d >= base)
            return STRCONV_ESYNTAX;
        if (acc >= cutoff) {
            *v = UINT64_MAX;
            return STRCONV_ERANGE;
        }
        acc *= base;
        if (acc + d < acc) {
            *v = UINT64_MAX;
            return STRCONV_ERANGE;
        }
        acc += d;
    }
    if (underscores && !underscore_ok(s0, n0))
        return STRCONV_ESYNTAX;
    *v = acc;
    return 0;
}

/* strconv.ParseInt(s, 0, 64). */
int strconv_parse_int(const char *s, size_t n, int64_t *v)
{
    int neg = 0, r;
    uint64_t u, cutoff = (uint64_t)1 << 63;

    *v = 0;
    if (n == 0)
        return STRCONV_ESYNTAX;
    if (s[0] == '+') {
        s++;
        n--;
    } else if (s[0] == '-') {
        neg = 1;
        s++;
        n--;
    }
    r = strconv_parse_uint(s, n, &u);
    if (r == STRCONV_ESYNTAX)
        return r;
    if (r == STRCONV_ERANGE || (!neg && u >= cutoff) || (neg && u > cutoff)) {
        *v = neg ? INT64_MIN : INT64_MAX;
        return STRCONV_ERANGE;
    }
    *v = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

/* Length of the Go float syntax prefix (strconv.readFloat); 0 when not a float. */
static size_t read_float(const char *s, size_t n, int *hex)
{
    size_t i = 0;
    int sawdot = 0, sawdigits = 0, underscores = 0, base = 10;
    char expc = 'e';

    *hex = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i + 2 < n && s[i] == '0' && (s[i + 1] | 0x20) == 'x') {
        base = 16;
        i += 2;
        expc = 'p';
        *hex = 1;
    }
    for (; i < n; i++) {
        char c = s[i];
        if (c == '_') {
            underscores = 1;
        } else if (c == '.') {
            if (sawdot)
                break;
            sawdot = 1;
        } else if ((c >= '0' && c <= '9') ||
                   (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
            sawdigits = 1;
        } else {
            break;
        }
    }
    if (!sawdigits)
        return 0;
    if (i < n && (s[i] | 0x20) == expc) {
        i++;
        if (i >= n)
            return 0;
        if (s[i] == '+' || s[i] == '-')
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return 0;
        for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
            if (s[i] == '_')
                underscores = 1;
    } else if (base == 16) {
        return 0;
    }
    if (underscores && !underscore_ok(s, i))
        return 0;
    return i;
}

/* Case-insensitive prefix length shared by s and the lower-case word w. */
static size_t common_prefix_ci(const char *s, size_t n, const char *w)
{
    size_t i = 0;

    while (i < n && w[i] != '\0' && (s[i] | 0x20) == w[i])
        i++;
    return i;
}

/* strconv.ParseFloat(s, 64): decimal and hexadecimal floats, inf and nan. */
int strconv_parse_float(const char *s, size_t n, double *v)
{
    char small[128], *buf;
    size_t len, o = 0;
    int hex;

    *v = 0;
    /* special values: [+-]inf, [+-]infinity, nan (any case) */
    if (n > 0) {
        size_t ns = (s[0] == '+' || s[0] == '-') ? 1 : 0;
        size_t k = common_prefix_ci(s + ns, n - ns, "infinity");
        if ((k == 3 || k == 8) && ns + k == n) {
            *v = s[0] == '-' ? -INFINITY : INFINITY;
            return 0;
        }
        if (ns == 0 && n == 3 && common_prefix_ci(s, n, "nan") == 3) {
            *v = NAN;
            return 0;
        }
    }
    len = read_float(s, n, &hex);
    if (len == 0 || len != n)
        return STRCONV_ESYNTAX;
    buf = len < sizeof(small) ? small : malloc(len + 1);
    if (buf == NULL)
        return STRCONV_ESYNTAX;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '_')
            buf[o++] = s[i];
    buf[o] = '\0';
    errno = 0;
    *v = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    if (isinf(*v))
        return STRCONV_ERANGE;
    return 0;
}
