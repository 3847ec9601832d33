/*
 * ftoa.c - Go's strconv float formatting (see ftoa.h).
 *
 * Decimal digits come from the C library's correctly rounded conversions ("%.*e", which
 * rounds half to even on exact ties like Go's decimal code); the shortest digits are the
 * fewest that read back as the same double.  The layout rules (when %g switches to an
 * exponent, exponent widths, trailing zeros) follow strconv/ftoa.go.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valsd/errors.h"
#include "ftoa.h"

/* Decimal digits d[0..nd) with the decimal point before d[dp]; nd == 0 means zero. */
struct digs {
    char *d;
    int nd, dp;
};

/* The digits of |f| (> 0) rounded to `n` significant digits; trailing zeros trimmed
 * when `trim`.  Returns 0 or VALS_ENOMEM. */
static int digits_fixed(double f, int n, int trim, struct digs *g)
{
    size_t cap = (size_t)n + 32;
    char *buf = malloc(cap), *e;
    int k = 0;

    if (buf == NULL)
        return VALS_ENOMEM;
    snprintf(buf, cap, "%.*e", n - 1, f);
    g->d = malloc((size_t)n + 1);
    if (g->d == NULL) {
        free(buf);
        return VALS_ENOMEM;
    }
    for (const char *p = buf; *p != '\0' && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            g->d[k++] = *p;
    e = strchr(buf, 'e');
    g->dp = (e != NULL ? (int)strtol(e + 1, NULL, 10) : 0) + 1;
    if (trim)
        while (k > 0 && g->d[k - 1] == '0')
            k--;
    g->nd = k;
    free(buf);
    return 0;
}

/* The shortest digits that read back as |f| (> 0). */
static int digits_shortest(double f, struct digs *g)
{
    char buf[40];
    int prec;

    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    return digits_fixed(f, prec, 1, g);
}

/* Append an exponent: e+07, e-123. */
static int add_exp(struct dbuf *out, char fmt, int exp)
{
    char tmp[8];
    char sign = '+';

    if (exp < 0) {
        sign = '-';
        exp = -exp;
    }
    if (exp < 10)
        snprintf(tmp, sizeof(tmp), "%c%c0%d", fmt, sign, exp);
    else
        snprintf(tmp, sizeof(tmp), "%c%c%d", fmt, sign, exp);
    return dbuf_adds(out, tmp);
}

/* %e: -d.ddddde±dd */
static int fmt_e(struct dbuf *out, int neg, const struct digs *g, int prec, char fmt)
{
    int r = 0;

    if (neg)
        r = dbuf_addc(out, '-');
    if (r == 0)
        r = dbuf_addc(out, g->nd != 0 ? g->d[0] : '0');
    if (r == 0 && prec > 0) {
        r = dbuf_addc(out, '.');
        for (int i = 1; r == 0 && i <= prec; i++)
            r = dbuf_addc(out, i < g->nd ? g->d[i] : '0');
    }
    if (r == 0)
        r = add_exp(out, fmt, g->nd == 0 ? 0 : g->dp - 1);
    return r;
}

/* %f: -ddddddd.ddddd */
static int fmt_f(struct dbuf *out, int neg, const struct digs *g, int prec)
{
    int r = 0;

    if (neg)
        r = dbuf_addc(out, '-');
    if (r == 0) {
        if (g->dp > 0) {
            for (int i = 0; r == 0 && i < g->dp; i++)
                r = dbuf_addc(out, i < g->nd ? g->d[i] : '0');
        } else {
            r = dbuf_addc(out, '0');
        }
    }
    if (r == 0 && prec > 0) {
        r = dbuf_addc(out, '.');
        for (int i = 0; r == 0 && i < prec; i++) {
            int j = g->dp + i;
            r = dbuf_addc(out, j >= 0 && j < g->nd ? g->d[j] : '0');
        }
    }
    return r;
}

/* %b: -ddddp±ddd */
static int fmt_b(struct dbuf *out, int neg, uint64_t mant, int exp)
{
    return dbuf_printf(out, "%s%llup%s%d", neg ? "-" : "", (unsigned long long)mant,
                       exp - 52 >= 0 ? "+" : "", exp - 52);
}

/* %x: -0x1.yyyyyyp±dd */
static int fmt_x(struct dbuf *out, int prec, char fmt, int neg, uint64_t mant, int exp)
{
    const char *hex = fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[64];
    int n = 0;

    if (mant == 0)
        exp = 0;
    mant <<= 60 - 52;
    while (mant != 0 && (mant & ((uint64_t)1 << 60)) == 0) {
        mant <<= 1;
        exp--;
    }
    if (prec >= 0 && prec < 15) {
        unsigned shift = (unsigned)prec * 4;
        uint64_t extra = (mant << shift) & (((uint64_t)1 << 60) - 1);
        mant >>= 60 - shift;
        if ((extra | (mant & 1)) > ((uint64_t)1 << 59))
            mant++;
        mant <<= 60 - shift;
        if (mant & ((uint64_t)1 << 61)) {
            mant >>= 1;
            exp++;
        }
    }
    if (neg)
        buf[n++] = '-';
    buf[n++] = '0';
    buf[n++] = fmt;
    buf[n++] = (char)('0' + ((mant >> 60) & 1));
    mant <<= 4;
    if (prec < 0 && mant != 0) {
        buf[n++] = '.';
        while (mant != 0) {
            buf[n++] = hex[(mant >> 60) & 15];
            mant <<= 4;
        }
    } else if (prec > 0) {
        int r = dbuf_add(out, buf, (size_t)n);
        n = 0;
        if (r == 0)
            r = dbuf_addc(out, '.');
        for (int i = 0; r == 0 && i < prec; i++) {
            r = dbuf_addc(out, hex[(mant >> 60) & 15]);
            mant <<= 4;
        }
        if (r != 0)
            return r;
    }
    buf[n++] = fmt == 'X' ? 'P' : 'p';
    if (exp < 0) {
        buf[n++] = '-';
        exp = -exp;
    } else {
        buf[n++] = '+';
    }
    n += snprintf(buf + n, sizeof(buf) - (size_t)n, exp < 10 ? "0%d" : "%d", exp);
    return dbuf_add(out, buf, (size_t)n);
}

/* strconv.AppendFloat(f, fmt, prec, 64). */
int ftoa_format(struct dbuf *out, double f, char fmt, int prec)
{
    uint64_t bits, mant;
    int exp, neg, shortest = prec < 0, r, eprec;
    struct digs g = {NULL, 0, 0};

    memcpy(&bits, &f, sizeof(bits));
    neg = (int)(bits >> 63);
    exp = (int)((bits >> 52) & 0x7FF);
    mant = bits & ((((uint64_t)1) << 52) - 1);
    if (exp == 0x7FF)
        return dbuf_adds(out, mant != 0 ? "NaN" : neg ? "-Inf" : "+Inf");
    if (exp == 0)
        exp++;
    else
        mant |= (uint64_t)1 << 52;
    exp += -1023;
    if (fmt == 'b')
        return fmt_b(out, neg, mant, exp);
    if (fmt == 'x' || fmt == 'X')
        return fmt_x(out, prec, fmt, neg, mant, exp);

    if (f == 0) {
        /* zero has no digits */
    } else if (shortest) {
        if ((r = digits_shortest(fabs(f), &g)) != 0)
            return r;
    } else if (fmt == 'f') {
        /* the C library lays out %f exactly as Go's fmtF with d.Round(dp+prec) */
        size_t cap = (size_t)prec + 400;
        char *buf = malloc(cap);
        if (buf == NULL)
            return VALS_ENOMEM;
        snprintf(buf, cap, "%.*f", prec, f);
        r = dbuf_adds(out, buf);
        free(buf);
        return r;
    } else {
        int n = prec + 1;
        if (fmt == 'g' || fmt == 'G') {
            if (prec == 0)
                prec = 1;
            n = prec;
        }
        if ((r = digits_fixed(fabs(f), n, 1, &g)) != 0)
            return r;
    }
    if (shortest) {
        if (fmt == 'e' || fmt == 'E')
            prec = g.nd - 1 > 0 ? g.nd - 1 : 0;
        else if (fmt == 'f')
            prec = g.nd - g.dp > 0 ? g.nd - g.dp : 0;
        else
            prec = g.nd;
    }
    switch (fmt) {
    case 'e':
    case 'E':
        r = fmt_e(out, neg, &g, prec, fmt);
        break;
    case 'f':
        r = fmt_f(out, neg, &g, prec);
        break;
    case 'g':
    case 'G':
        eprec = prec;
        if (eprec > g.nd && g.nd >= g.dp)
            eprec = g.nd;
        if (shortest)
            eprec = 6;
        exp = g.dp - 1;
        if (exp < -4 || exp >= eprec) {
            if (prec > g.nd)
                prec = g.nd;
            r = fmt_e(out, neg, &g, prec - 1, (char)(fmt + 'e' - 'g'));
        } else {
            if (prec > g.dp)
                prec = g.nd;
            r = fmt_f(out, neg, &g, prec - g.dp > 0 ? prec - g.dp : 0);
        }
        break;
    default:
        r = dbuf_addc(out, '%');
        if (r == 0)
            r = dbuf_addc(out, fmt);
        break;
    }
    free(g.d);
    return r;
}
