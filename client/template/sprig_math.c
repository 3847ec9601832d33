/*
 * sprig_math.c - integer and float arithmetic and conversions: add, sub, mul, div, mod,
 * max, min, the float variants (addf, ... via decimal arithmetic), floor, ceil, round,
 * int, int64, float64, atoi, toDecimal, until, untilStep and seq.
 *
 * Integer functions convert with cast.ToInt64 and return int64 (tagged "go:int64"),
 * wrapping on overflow as Go does.  The float functions reproduce shopspring/decimal as
 * Sprig uses it: each operand becomes the shortest decimal that reads back as the same
 * double, the operation is exact (division rounds half away from zero at 16 decimal
 * places), and the result is the double nearest to the decimal.  So `addf 1.1 2.2` is
 * 3.3, not 3.3000000000000003.  Decimals are OpenSSL BIGNUM coefficients with a power of
 * ten exponent.
 */
#include <math.h>
#include <openssl/bn.h>

#include "sprig_fns.h"

/* Results of until/untilStep are capped so a typo cannot exhaust memory. */
#define SPRIG_MAX_RANGE 10000000

SPRIG_FN(sprig_int64)
{
    return sprig_ret_int(call, out, sprig_to_int64(argv[0]), "int64");
}

SPRIG_FN(sprig_int)
{
    return sprig_ret_int(call, out, sprig_to_int64(argv[0]), NULL);
}

SPRIG_FN(sprig_float64)
{
    return sprig_ret_float(call, out, sprig_to_float64(argv[0]));
}

SPRIG_FN(sprig_atoi)
{
    struct sstr s;
    int64_t v;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    /* Sprig drops Atoi's error but keeps its value: 0, or the clamped value when out of
     * range */
    sprig_parse_int(s.p, s.len, 10, &v);
    return sprig_ret_int(call, out, v, NULL);
}

SPRIG_FN(sprig_to_decimal)
{
    struct dbuf b = DBUF_INIT;
    int64_t v = 0;

    if (sprig_strval(argv[0], &b) != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    if (sprig_parse_int(b.p != NULL ? b.p : "", b.len, 8, &v) != 0)
        v = 0;
    dbuf_free(&b);
    return sprig_ret_int(call, out, v, "int64");
}

SPRIG_FN(sprig_add1)
{
    return sprig_ret_int(call, out, (int64_t)((uint64_t)sprig_to_int64(argv[0]) + 1), "int64");
}

SPRIG_FN(sprig_add)
{
    uint64_t a = 0;

    for (int i = 0; i < argc; i++)
        a += (uint64_t)sprig_to_int64(argv[i]);
    return sprig_ret_int(call, out, (int64_t)a, "int64");
}

SPRIG_FN(sprig_sub)
{
    uint64_t a = (uint64_t)sprig_to_int64(argv[0]), b = (uint64_t)sprig_to_int64(argv[1]);

    return sprig_ret_int(call, out, (int64_t)(a - b), "int64");
}

SPRIG_FN(sprig_mul)
{
    uint64_t a = (uint64_t)sprig_to_int64(argv[0]);

    for (int i = 1; i < argc; i++)
        a *= (uint64_t)sprig_to_int64(argv[i]);
    return sprig_ret_int(call, out, (int64_t)a, "int64");
}

SPRIG_FN(sprig_div)
{
    int64_t a = sprig_to_int64(argv[0]), b = sprig_to_int64(argv[1]);

    if (b == 0)
        return tmpl_call_fail(call, "runtime error: integer divide by zero");
    if (a == INT64_MIN && b == -1)
        return sprig_ret_int(call, out, a, "int64"); /* Go wraps */
    return sprig_ret_int(call, out, a / b, "int64");
}

SPRIG_FN(sprig_mod)
{
    int64_t a = sprig_to_int64(argv[0]), b = sprig_to_int64(argv[1]);

    if (b == 0)
        return tmpl_call_fail(call, "runtime error: integer divide by zero");
    if (b == -1)
        return sprig_ret_int(call, out, 0, "int64");
    return sprig_ret_int(call, out, a % b, "int64");
}

SPRIG_FN(sprig_max)
{
    int64_t a = sprig_to_int64(argv[0]);

    for (int i = 1; i < argc; i++) {
        int64_t b = sprig_to_int64(argv[i]);
        if (b > a)
            a = b;
    }
    return sprig_ret_int(call, out, a, "int64");
}

SPRIG_FN(sprig_min)
{
    int64_t a = sprig_to_int64(argv[0]);

    for (int i = 1; i < argc; i++) {
        int64_t b = sprig_to_int64(argv[i]);
        if (b < a)
            a = b;
    }
    return sprig_ret_int(call, out, a, "int64");
}

/* Go's math.Max. */
static double go_max(double x, double y)
{
    if ((isinf(x) && x > 0) || (isinf(y) && y > 0))
        return INFINITY;
    if (isnan(x) || isnan(y))
        return NAN;
    if (x == 0 && x == y)
        return signbit(x) ? y : x;
    return x > y ? x : y;
}

/* Go's math.Min. */
static double go_min(double x, double y)
{
    if ((isinf(x) && x < 0) || (isinf(y) && y < 0))
        return -INFINITY;
    if (isnan(x) || isnan(y))
        return NAN;
    if (x == 0 && x == y)
        return signbit(x) ? x : y;
    return x < y ? x : y;
}

SPRIG_FN(sprig_maxf)
{
    double a = sprig_to_float64(argv[0]);

    for (int i = 1; i < argc; i++)
        a = go_max(a, sprig_to_float64(argv[i]));
    return sprig_ret_float(call, out, a);
}

SPRIG_FN(sprig_minf)
{
    double a = sprig_to_float64(argv[0]);

    for (int i = 1; i < argc; i++)
        a = go_min(a, sprig_to_float64(argv[i]));
    return sprig_ret_float(call, out, a);
}

SPRIG_FN(sprig_floor)
{
    return sprig_ret_float(call, out, floor(sprig_to_float64(argv[0])));
}

SPRIG_FN(sprig_ceil)
{
    return sprig_ret_float(call, out, ceil(sprig_to_float64(argv[0])));
}

SPRIG_FN(sprig_round)
{
    int64_t places;
    double val, pw, digit, ip, frac, on = 0.5;
    int r;

    if ((r = sprig_arg_int(call, argv[1], &places)) != 0)
        return r;
    if (argc > 2) {
        /* a float64 parameter: integer constants convert, other types do not */
        if (argv[2]->type == DOC_FLOAT)
            on = argv[2]->v.f;
        else if (argv[2]->type == DOC_INT)
            on = (double)argv[2]->v.i;
        else
            return sprig_wrong_type(call, "float64", argv[2]);
    }
    val = sprig_to_float64(argv[0]);
    pw = pow(10, (double)places);
    digit = pw * val;
    frac = modf(digit, &ip);
    return sprig_ret_float(call, out, (frac >= on ? ceil(digit) : floor(digit)) / pw);
}

/* --- decimal arithmetic (shopspring/decimal as used by execDecimalOp) --- */

struct dec {
    BIGNUM *c; /* coefficient */
    int e;     /* value = c * 10^e */
};

/* The shortest decimal that reads back as f (decimal.NewFromFloat). */
static int dec_from_float(struct dec *d, double f)
{
    char buf[40], digits[24];
    int nd = 0, exp10;
    const char *e;

    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    if (buf[0] == '-')
        digits[nd++] = '-';
    for (const char *p = buf; *p != 'e' && *p != '\0'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    digits[nd] = '\0';
    e = strchr(buf, 'e');
    exp10 = e != NULL ? (int)strtol(e + 1, NULL, 10) : 0;
    /* digits d1d2...dn with the point after d1: value = D * 10^(exp10 - (n-1)) */
    d->e = exp10 - ((int)strlen(digits) - (digits[0] == '-') - 1);
    return BN_dec2bn(&d->c, digits) != 0 ? 0 : -1;
}

/* 10^n as a BIGNUM multiplier applied in place: x *= 10^n (n >= 0). */
static int bn_mul_pow10(BIGNUM *x, int n, BN_CTX *ctx)
{
    BIGNUM *p = BN_new(), *ten = BN_new(), *k = BN_new();
    int ok = p != NULL && ten != NULL && k != NULL && BN_set_word(ten, 10) &&
             BN_set_word(k, (BN_ULONG)n) && BN_exp(p, ten, k, ctx) && BN_mul(x, x, p, ctx);

    BN_free(p);
    BN_free(ten);
    BN_free(k);
    return ok ? 0 : -1;
}

/* a = a op b for op in + - * (exact). */
static int dec_op(struct dec *a, const struct dec *b, char op, BN_CTX *ctx)
{
    BIGNUM *t = BN_dup(b->c);
    int ok = t != NULL;

    if (ok && op == '*') {
        ok = BN_mul(a->c, a->c, t, ctx);
        a->e += b->e;
    } else if (ok) {
        int e = a->e < b->e ? a->e : b->e;
        ok = bn_mul_pow10(a->c, a->e - e, ctx) == 0 && bn_mul_pow10(t, b->e - e, ctx) == 0;
        a->e = e;
        if (ok)
            ok = op == '+' ? BN_add(a->c, a->c, t) : BN_sub(a->c, a->c, t);
    }
    BN_free(t);
    return ok ? 0 : -1;
}

/* a = a / b rounded half away from zero to 16 decimal places (decimal.Div). */
static int dec_div(struct dec *a, const struct dec *b, BN_CTX *ctx)
{
    const int prec = 16;
    BIGNUM *num = BN_dup(a->c), *den = BN_dup(b->c), *q = BN_new(), *rem = BN_new();
    int k = a->e - b->e + prec, ok = num != NULL && den != NULL && q != NULL && rem != NULL;

    if (ok)
        ok = k >= 0 ? bn_mul_pow10(num, k, ctx) == 0 : bn_mul_pow10(den, -k, ctx) == 0;
    if (ok)
        ok = BN_div(q, rem, num, den, ctx); /* truncates toward zero */
    if (ok) {
        BIGNUM *twice = BN_new(), *aden = BN_dup(den);
        ok = twice != NULL && aden != NULL && BN_lshift1(twice, rem);
        if (ok) {
            BN_set_negative(twice, 0);
            BN_set_negative(aden, 0);
            if (BN_cmp(twice, aden) >= 0) {
                int neg = BN_is_negative(a->c) != BN_is_negative(b->c);
                ok = neg ? BN_sub_word(q, 1) : BN_add_word(q, 1);
            }
        }
        BN_free(twice);
        BN_free(aden);
    }
    if (ok) {
        BN_copy(a->c, q);
        a->e = -prec;
    }
    BN_free(num);
    BN_free(den);
    BN_free(q);
    BN_free(rem);
    return ok ? 0 : -1;
}

/* The double nearest to a decimal (decimal.Float64). */
static double dec_to_float(const struct dec *d)
{
    char *s = BN_bn2dec(d->c), buf[64];
    struct dbuf b = DBUF_INIT;
    double f = 0;

    if (s == NULL)
        return 0;
    snprintf(buf, sizeof(buf), "e%d", d->e);
    if (dbuf_adds(&b, s) == 0 && dbuf_adds(&b, buf) == 0)
        f = strtod(b.p, NULL);
    OPENSSL_free(s);
    dbuf_free(&b);
    return f;
}

/* execDecimalOp(first, rest, op) with `first` given as a double. */
static int decimal_op(struct tmpl_call *call, struct doc **out, double first,
                      struct doc *const *rest, int nrest, const struct doc *one, char op)
{
    struct dec acc = {NULL, 0}, x = {NULL, 0};
    BN_CTX *ctx = BN_CTX_new();
    double f = first;
    int r = 0;

    if (ctx == NULL)
        return sprig_oom(call);
    for (int i = -1; i < nrest; i++) {
        const struct doc *d = i < 0 ? NULL : (one != NULL ? one : rest[i]);
        double v = i < 0 ? first : sprig_to_float64(d);
        if (isnan(v) || isinf(v)) {
            char t[16];
            doc_format_float(v, t, sizeof(t));
            r = tmpl_call_fail(call, "Cannot create a Decimal from %s", t);
            goto out;
        }
        if (dec_from_float(i < 0 ? &acc : &x, v) != 0) {
            r = sprig_oom(call);
            goto out;
        }
        if (i < 0)
            continue;
        if (op == '/' && BN_is_zero(x.c)) {
            r = tmpl_call_fail(call, "decimal division by 0");
            goto out;
        }
        if ((op == '/' ? dec_div(&acc, &x, ctx) : dec_op(&acc, &x, op, ctx)) != 0) {
            r = sprig_oom(call);
            goto out;
        }
    }
    f = dec_to_float(&acc);
out:
    BN_free(acc.c);
    BN_free(x.c);
    BN_CTX_free(ctx);
    return r != 0 ? r : sprig_ret_float(call, out, f);
}

SPRIG_FN(sprig_add1f)
{
    struct doc one = {.type = DOC_INT, .v.i = 1};

    return decimal_op(call, out, sprig_to_float64(argv[0]), NULL, 1, &one, '+');
}

SPRIG_FN(sprig_addf)
{
    return decimal_op(call, out, 0, argv, argc, NULL, '+');
}

SPRIG_FN(sprig_subf)
{
    return decimal_op(call, out, sprig_to_float64(argv[0]), argv + 1, argc - 1, NULL, '-');
}

SPRIG_FN(sprig_mulf)
{
    return decimal_op(call, out, sprig_to_float64(argv[0]), argv + 1, argc - 1, NULL, '*');
}

SPRIG_FN(sprig_divf)
{
    return decimal_op(call, out, sprig_to_float64(argv[0]), argv + 1, argc - 1, NULL, '/');
}

/* Sprig's untilStep into a new []int list; NULL with *err set on failure. */
static struct doc *until_step(int64_t start, int64_t stop, int64_t step, const char **err)
{
    struct doc *v = sprig_tagged(doc_list(), "[]int");
    uint64_t n = 0;

    *err = "out of memory";
    if (v == NULL)
        return NULL;
    if (stop < start) {
        if (step >= 0)
            return v;
        n = ((uint64_t)start - (uint64_t)stop - 1) / (uint64_t)(-(step + 1) + 1ULL) + 1;
    } else {
        if (step <= 0 || stop == start)
            return v;
        n = ((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1;
    }
    if (n > SPRIG_MAX_RANGE) {
        *err = "range has too many elements";
        doc_free(v);
        return NULL;
    }
    for (uint64_t k = 0; k < n; k++) {
        int64_t x = (int64_t)((uint64_t)start + k * (uint64_t)step);
        if (doc_list_push(v, doc_int(x)) != 0) {
            doc_free(v);
            return NULL;
        }
    }
    return v;
}

SPRIG_FN(sprig_until)
{
    int64_t count;
    const char *err;
    struct doc *v;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &count)) != 0)
        return r;
    v = until_step(0, count, count < 0 ? -1 : 1, &err);
    return v != NULL ? sprig_ret_doc(call, out, v) : tmpl_call_fail(call, "%s", err);
}

SPRIG_FN(sprig_until_step)
{
    int64_t a[3];
    const char *err;
    struct doc *v;

    for (int i = 0; i < 3; i++) {
        int r = sprig_arg_int(call, argv[i], &a[i]);
        if (r != 0)
            return r;
    }
    v = until_step(a[0], a[1], a[2], &err);
    return v != NULL ? sprig_ret_doc(call, out, v) : tmpl_call_fail(call, "%s", err);
}

SPRIG_FN(sprig_seq)
{
    int64_t p[3] = {0, 0, 0}, start, end, step;
    struct doc *v = NULL;
    struct dbuf b = DBUF_INIT;
    const char *err;
    int r;

    for (int i = 0; i < argc; i++)
        if ((r = sprig_arg_int(call, argv[i], &p[i < 3 ? i : 2])) != 0)
            return r;
    switch (argc) {
    case 1:
        start = 1;
        end = p[0];
        step = end < start ? -1 : 1;
        v = until_step(start, end + step, step, &err);
        break;
    case 2:
        start = p[0];
        end = p[1];
        step = end < start ? -1 : 1;
        v = until_step(start, end + step, step, &err);
        break;
    case 3:
        start = p[0];
        end = p[2];
        step = p[1];
        if (end < start && step > 0)
            return sprig_ret_str(call, out, "", 0);
        v = until_step(start, end + (end < start ? -1 : 1), step, &err);
        break;
    default:
        return sprig_ret_str(call, out, "", 0);
    }
    if (v == NULL)
        return tmpl_call_fail(call, "%s", err);
    r = 0;
    for (size_t i = 0; r == 0 && i < v->v.list.len; i++)
        r = dbuf_printf(&b, i > 0 ? " %lld" : "%lld", (long long)v->v.list.items[i]->v.i);
    doc_free(v);
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}
