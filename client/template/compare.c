/*
 * compare.c - the comparison builtins eq, ne, lt, le, gt, ge with Go's rules: only basic
 * kinds compare, signed and unsigned integers compare by value, int and float64 do not
 * ("incompatible types for comparison"), eq takes several operands and is true when the
 * first equals any other, and nil compares equal only to nil.
 */
#include <stdio.h>
#include <string.h>

#include "builtins.h"
#include "gofmt.h"

enum bkind { BK_INVALID, BK_BOOL, BK_INT, BK_FLOAT, BK_STRING, BK_UINT };

/* Go's basicKind: the comparable kinds. */
static enum bkind basic_kind(const struct tval *v)
{
    switch (value_kind(v)) {
    case VK_BOOL:
        return BK_BOOL;
    case VK_INT:
        return BK_INT;
    case VK_UINT:
        return BK_UINT;
    case VK_FLOAT:
        return BK_FLOAT;
    case VK_STRING:
        return BK_STRING;
    default:
        return BK_INVALID;
    }
}

/* Fail the comparison with a fixed message. */
static int fail(struct bctx *c, const char *msg)
{
    snprintf(c->err, sizeof(c->err), "%s", msg);
    return -1;
}

/* Compare two strings byte by byte, shorter first on a tie. */
static int str_cmp(const struct tval *a, const struct tval *b)
{
    size_t la, lb;

    if (a->d == NULL || b->d == NULL)
        return a->d == NULL ? (b->d == NULL ? 0 : -1) : 1;
    la = a->d->v.s.len;
    lb = b->d->v.s.len;
    int r = memcmp(a->d->v.s.ptr, b->d->v.s.ptr, la < lb ? la : lb);

    if (r != 0)
        return r;
    return la < lb ? -1 : la > lb;
}

/* Format v with one verb into buf (for error texts). */
static const char *fmtv(struct dbuf *b, const struct tval *v, char verb)
{
    dbuf_reset(b);
    if (gofmt_value(b, v, verb) != 0 || b->p == NULL)
        return "";
    return b->p;
}

/* Go's eq: arg1 == arg2 || arg1 == arg3 ... */
static int eq(struct bctx *c, struct tval *argv, size_t argc, int *truth)
{
    struct tval a1 = value_unwrap(value_ref(&argv[0]));
    enum bkind k1;
    int r = 0;

    *truth = 0;
    if (argc < 2) {
        value_release(&a1);
        return fail(c, "missing argument for comparison");
    }
    k1 = basic_kind(&a1);
    for (size_t i = 1; i < argc && r == 0 && !*truth; i++) {
        struct tval a = value_unwrap(value_ref(&argv[i]));
        enum bkind k2 = basic_kind(&a);
        if ((k1 != BK_INVALID && a1.d == NULL) || (k2 != BK_INVALID && a.d == NULL)) {
            r = fail(c, "invalid type for comparison"); /* not reached: kinds need values */
        } else if (k1 != k2) {
            if (k1 == BK_INT && k2 == BK_UINT)
                *truth = a1.d->v.i >= 0 && (uint64_t)a1.d->v.i == a.d->v.u;
            else if (k1 == BK_UINT && k2 == BK_INT)
                *truth = a.d->v.i >= 0 && a1.d->v.u == (uint64_t)a.d->v.i;
            else if (a1.d != NULL && a.d != NULL)
                r = fail(c, "incompatible types for comparison");
        } else {
            switch (k1) {
            case BK_BOOL:
                *truth = (a1.d->v.b != 0) == (a.d->v.b != 0);
                break;
            case BK_FLOAT:
                *truth = a1.d->v.f == a.d->v.f;
                break;
            case BK_INT:
                *truth = a1.d->v.i == a.d->v.i;
                break;
            case BK_STRING:
                *truth = str_cmp(&a1, &a) == 0;
                break;
            case BK_UINT:
                *truth = a1.d->v.u == a.d->v.u;
                break;
            default: {
                /* lists, maps and nil: only comparisons with nil are defined */
                enum vkind v1 = value_kind(&a1), v2 = value_kind(&a);
                struct dbuf b1 = DBUF_INIT, b2 = DBUF_INIT;
                if (v1 != v2 && v1 != VK_INVALID && v2 != VK_INVALID) {
                    snprintf(c->err, sizeof(c->err), "non-comparable types %s: %s, %s: %s",
                             fmtv(&b1, &a1, 's'), value_type_name(&a1), value_type_name(&a),
                             fmtv(&b2, &a, 'v'));
                    r = -1;
                } else if (v1 == VK_INVALID || v2 == VK_INVALID) {
                    *truth = (v1 == VK_INVALID) == (v2 == VK_INVALID);
                } else {
                    snprintf(c->err, sizeof(c->err), "non-comparable type %s: %s",
                             fmtv(&b1, &a, 's'), value_type_name(&a));
                    r = -1;
                }
                dbuf_free(&b1);
                dbuf_free(&b2);
                break;
            }
            }
        }
        value_release(&a);
    }
    value_release(&a1);
    return r;
}

/* Go's lt */
static int lt(struct bctx *c, struct tval *argv, int *truth)
{
    struct tval a1 = value_unwrap(value_ref(&argv[0])), a2 = value_unwrap(value_ref(&argv[1]));
    enum bkind k1 = basic_kind(&a1), k2 = basic_kind(&a2);
    int r = 0;

    *truth = 0;
    if (k1 == BK_INVALID || k2 == BK_INVALID) {
        r = fail(c, "invalid type for comparison");
    } else if (k1 != k2) {
        if (k1 == BK_INT && k2 == BK_UINT)
            *truth = a1.d->v.i < 0 || (uint64_t)a1.d->v.i < a2.d->v.u;
        else if (k1 == BK_UINT && k2 == BK_INT)
            *truth = a2.d->v.i >= 0 && a1.d->v.u < (uint64_t)a2.d->v.i;
        else
            r = fail(c, "incompatible types for comparison");
    } else {
        switch (k1) {
        case BK_BOOL:
            r = fail(c, "invalid type for comparison");
            break;
        case BK_FLOAT:
            *truth = a1.d->v.f < a2.d->v.f;
            break;
        case BK_INT:
            *truth = a1.d->v.i < a2.d->v.i;
            break;
        case BK_STRING:
            *truth = str_cmp(&a1, &a2) < 0;
            break;
        default:
            *truth = a1.d->v.u < a2.d->v.u;
            break;
        }
    }
    value_release(&a1);
    value_release(&a2);
    return r;
}

/* Go's le: lt or eq. */
static int le(struct bctx *c, struct tval *argv, int *truth)
{
    int r = lt(c, argv, truth);

    if (r != 0 || *truth)
        return r;
    return eq(c, argv, 2, truth);
}

/* The eq builtin. */
int compare_eq(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    int t, r = eq(c, argv, argc, &t);

    *out = value_bool(t);
    return r;
}

/* The ne builtin. */
int compare_ne(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    int t, r = eq(c, argv, argc, &t);

    *out = value_bool(!t);
    return r;
}

/* The lt builtin. */
int compare_lt(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    int t, r = lt(c, argv, &t);

    (void)argc;
    *out = value_bool(t);
    return r;
}

/* The le builtin. */
int compare_le(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    int t, r = le(c, argv, &t);

    (void)argc;
    *out = value_bool(t);
    return r;
}

/* The gt builtin. */
int compare_gt(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    int t, r = le(c, argv, &t);

    (void)argc;
    *out = value_bool(r == 0 && !t);
    return r;
}

/* The ge builtin. */
int compare_ge(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    int t, r = lt(c, argv, &t);

    (void)argc;
    *out = value_bool(r == 0 && !t);
    return r;
}
