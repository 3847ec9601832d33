/*
 * gofmt.c - a port of Go's fmt printing (print.go, format.go) for template values
 * (see gofmt.h).  The structure follows Go's pp/fmt pair so the corner cases (flags kept
 * while printing a bad verb's operand, padding per element of a list, %x on strings
 * and floats) come out the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "valsd/errors.h"
#include "ftoa.h"
#include "gofmt.h"
#include "strconv.h"
#include "unicode.h"
#include "utf8.h"

static const char ldigits[] = "0123456789abcdefx";
static const char udigits[] = "0123456789ABCDEFX";

struct fflags {
    int wid_present, prec_present, minus, plus, sharp, space, zero, plus_v, sharp_v;
    int wid, prec;
};

struct pp {
    struct dbuf *buf;
    struct fflags f;
    int err; /* first write error */
    /* what badVerb describes: the top-level argument, else the value being printed */
    const struct tval *arg;
    struct tval value;
    int reordered, good_arg_num;
};

static void print_value(struct pp *p, const struct tval *v, int verb, int depth);
static void print_arg(struct pp *p, const struct tval *arg, int verb);

/* Write bytes (the first failure sticks in p->err). */
static void w(struct pp *p, const char *s, size_t n)
{
    if (p->err == 0)
        p->err = dbuf_add(p->buf, s, n);
}

/* Write a C string. */
static void ws(struct pp *p, const char *s)
{
    w(p, s, strlen(s));
}

/* Write a byte. */
static void wc(struct pp *p, char c)
{
    w(p, &c, 1);
}

/* Write a rune as UTF-8. */
static void wrune(struct pp *p, uint32_t r)
{
    char tmp[4];

    w(p, tmp, utf8_encode(r, tmp));
}

/* Reset the flags for the next verb. */
static void clear_flags(struct pp *p)
{
    memset(&p->f, 0, sizeof(p->f));
}

/* Is the argument nil as an `any` (invalid, or a nil interface)? */
static int is_nil(const struct tval *v)
{
    return v->d == NULL || v->d->type == DOC_NULL;
}

/* The argument as its dynamic value (interface dropped). */
static struct tval concrete(const struct tval *v)
{
    struct tval c = *v;

    c.iface = 0;
    c.box = NULL;
    return c;
}

/* Write n padding bytes (zeros with the 0 flag). */
static void write_padding(struct pp *p, int n)
{
    char padc = p->f.zero ? '0' : ' ';

    for (int i = 0; i < n && p->err == 0; i++)
        wc(p, padc);
}

/* Write s padded to the width (fmt.pad). */
static void pad(struct pp *p, const char *s, size_t n)
{
    int width;

    if (!p->f.wid_present || p->f.wid == 0) {
        w(p, s, n);
        return;
    }
    width = p->f.wid - (int)utf8_count(s, n);
    if (!p->f.minus) {
        write_padding(p, width);
        w(p, s, n);
    } else {
        w(p, s, n);
        write_padding(p, width);
    }
}

/* pad() for a C string. */
static void pads(struct pp *p, const char *s)
{
    pad(p, s, strlen(s));
}

/* fmt.fmtBoolean. */
static void fmt_boolean(struct pp *p, int v)
{
    pads(p, v ? "true" : "false");
}

/* fmt.fmtInteger */
static void fmt_integer(struct pp *p, uint64_t u, int base, int is_signed, int verb,
                        const char *digits)
{
    int negative = is_signed && (int64_t)u < 0;
    size_t size = 68, i;
    int prec = 0;
    char small[68], *buf = small;

    if (negative)
        u = 0 - u;
    if (p->f.wid_present || p->f.prec_present) {
        size_t width = 3 + (size_t)p->f.wid + (size_t)p->f.prec;
        if (width > size) {
            buf = malloc(width);
            if (buf == NULL) {
                p->err = VALS_ENOMEM;
                return;
            }
            size = width;
        }
    }
    if (p->f.prec_present) {
        prec = p->f.prec;
        if (prec == 0 && u == 0) {
            int old = p->f.zero;
            p->f.zero = 0;
            write_padding(p, p->f.wid);
            p->f.zero = old;
            goto out;
        }
    } else if (p->f.zero && p->f.wid_present) {
        prec = p->f.wid;
        if (negative || p->f.plus || p->f.space)
            prec--;
    }
    i = size;
    switch (base) {
    case 10:
        while (u >= 10) {
            buf[--i] = (char)('0' + u % 10);
            u /= 10;
        }
        break;
    case 16:
        while (u >= 16) {
            buf[--i] = digits[u & 0xF];
            u >>= 4;
        }
        break;
    case 8:
        while (u >= 8) {
            buf[--i] = (char)('0' + (u & 7));
            u >>= 3;
        }
        break;
    default:
        while (u >= 2) {
            buf[--i] = (char)('0' + (u & 1));
            u >>= 1;
        }
        break;
    }
    buf[--i] = digits[u];
    while (i > 0 && prec > (int)(size - i))
        buf[--i] = '0';
    if (p->f.sharp) {
        if (base == 2) {
            buf[--i] = 'b';
            buf[--i] = '0';
        } else if (base == 8) {
            if (buf[i] != '0')
                buf[--i] = '0';
        } else if (base == 16) {
            buf[--i] = digits[16];
            buf[--i] = '0';
        }
    }
    if (verb == 'O') {
        buf[--i] = 'o';
        buf[--i] = '0';
    }
    if (negative)
        buf[--i] = '-';
    else if (p->f.plus)
        buf[--i] = '+';
    else if (p->f.space)
        buf[--i] = ' ';
    {
        int old = p->f.zero;
        p->f.zero = 0;
        pad(p, buf + i, size - i);
        p->f.zero = old;
    }
out:
    if (buf != small)
        free(buf);
}

/* fmt.fmtUnicode: U+0078 or U+0078 'x' */
static void fmt_unicode(struct pp *p, uint64_t u)
{
    int prec = 4, old;
    char digs[20];
    int nd = 0;
    uint64_t x = u;

    if (p->f.prec_present && p->f.prec > 4)
        prec = p->f.prec;
    do {
        digs[nd++] = udigits[x & 0xF];
        x >>= 4;
    } while (x != 0);
    struct dbuf tmp = DBUF_INIT;
    dbuf_adds(&tmp, "U+");
    for (int i = nd; i < prec; i++)
        dbuf_addc(&tmp, '0');
    while (nd > 0)
        dbuf_addc(&tmp, digs[--nd]);
    if (p->f.sharp && u <= UTF8_MAX_RUNE && unicode_is_print((uint32_t)u)) {
        char buf[4];
        size_t n = utf8_encode((uint32_t)u, buf);
        dbuf_adds(&tmp, " '");
        dbuf_add(&tmp, buf, n);
        dbuf_addc(&tmp, '\'');
    }
    old = p->f.zero;
    p->f.zero = 0;
    if (tmp.p != NULL)
        pad(p, tmp.p, tmp.len);
    else
        p->err = VALS_ENOMEM;
    p->f.zero = old;
    dbuf_free(&tmp);
}

/* fmt.fmtC: %c. */
static void fmt_c(struct pp *p, uint64_t c)
{
    char tmp[4];
    uint32_t r = c > UTF8_MAX_RUNE ? UTF8_RUNE_ERROR : (uint32_t)c;

    pad(p, tmp, utf8_encode(r, tmp));
}

/* fmt.fmtQc: %q of an integer. */
static void fmt_qc(struct pp *p, uint64_t c)
{
    struct dbuf tmp = DBUF_INIT;
    uint32_t r = c > UTF8_MAX_RUNE ? UTF8_RUNE_ERROR : (uint32_t)c;

    if (strconv_quote_rune(&tmp, r, p->f.plus) != 0 || tmp.p == NULL)
        p->err = VALS_ENOMEM;
    else
        pad(p, tmp.p, tmp.len);
    dbuf_free(&tmp);
}

/* The prefix of s holding at most prec runes (fmt.truncateString). */
static size_t truncate_len(const struct pp *p, const char *s, size_t n)
{
    size_t i = 0, wdt;
    int left;

    if (!p->f.prec_present)
        return n;
    left = p->f.prec;
    while (i < n) {
        if (--left < 0)
            return i;
        utf8_decode(s + i, n - i, &wdt);
        i += wdt;
    }
    return n;
}

/* fmt.fmtS: %s with precision and width. */
static void fmt_s(struct pp *p, const char *s, size_t n)
{
    pad(p, s, truncate_len(p, s, n));
}

/* fmt.fmtSbx for strings: hex of the bytes, optionally spaced and 0x-prefixed. */
static void fmt_sx(struct pp *p, const char *s, size_t n, const char *digits)
{
    int length = (int)n, width;

    if (p->f.prec_present && p->f.prec < length)
        length = p->f.prec;
    width = 2 * length;
    if (width > 0) {
        if (p->f.space) {
            if (p->f.sharp)
                width *= 2;
            width += length - 1;
        } else if (p->f.sharp) {
            width += 2;
        }
    } else {
        if (p->f.wid_present)
            write_padding(p, p->f.wid);
        return;
    }
    if (p->f.wid_present && p->f.wid > width && !p->f.minus)
        write_padding(p, p->f.wid - width);
    if (p->f.sharp) {
        wc(p, '0');
        wc(p, digits[16]);
    }
    for (int i = 0; i < length; i++) {
        unsigned char c = (unsigned char)s[i];
        if (p->f.space && i > 0) {
            wc(p, ' ');
            if (p->f.sharp) {
                wc(p, '0');
                wc(p, digits[16]);
            }
        }
        wc(p, digits[c >> 4]);
        wc(p, digits[c & 0xF]);
    }
    if (p->f.wid_present && p->f.wid > width && p->f.minus)
        write_padding(p, p->f.wid - width);
}

/* fmt.fmtQ: %q of a string (%#q as a raw string when possible). */
static void fmt_q(struct pp *p, const char *s, size_t n)
{
    struct dbuf tmp = DBUF_INIT;
    int r;

    n = truncate_len(p, s, n);
    if (p->f.sharp && strconv_can_backquote(s, n)) {
        r = dbuf_addc(&tmp, '`');
        if (r == 0)
            r = dbuf_add(&tmp, s, n);
        if (r == 0)
            r = dbuf_addc(&tmp, '`');
    } else {
        r = strconv_quote(&tmp, s, n, '"', p->f.plus);
    }
    if (r != 0 || tmp.p == NULL)
        p->err = r != 0 ? r : VALS_ENOMEM;
    else
        pad(p, tmp.p, tmp.len);
    dbuf_free(&tmp);
}

/* fmt.fmtFloat: strconv formatting plus fmt's sign, padding and '#' rules. */
static void fmt_float_raw(struct pp *p, double v, int verb, int prec)
{
    struct dbuf tmp = DBUF_INIT;
    char *num;
    size_t len;

    if (p->f.prec_present)
        prec = p->f.prec;
    if (dbuf_addc(&tmp, '+') != 0 || ftoa_format(&tmp, v, (char)verb, prec) != 0) {
        p->err = VALS_ENOMEM;
        dbuf_free(&tmp);
        return;
    }
    /* room for the '#' zeros and tail */
    num = tmp.p;
    len = tmp.len;
    if (num[1] == '-' || num[1] == '+') {
        num++;
        len--;
    } else {
        num[0] = '+';
    }
    if (p->f.space && num[0] == '+' && !p->f.plus)
        num[0] = ' ';
    if (num[1] == 'I' || num[1] == 'N') {
        int old = p->f.zero;
        p->f.zero = 0;
        if (num[1] == 'N' && !p->f.space && !p->f.plus) {
            num++;
            len--;
        }
        pad(p, num, len);
        p->f.zero = old;
        dbuf_free(&tmp);
        return;
    }
    if (p->f.sharp && verb != 'b') {
        char tail[16];
        size_t tlen = 0;
        int digits = 0, has_point = 0, saw_nonzero = 0;
        struct dbuf n2 = DBUF_INIT;
        if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x') {
            digits = prec;
            if (digits == -1)
                digits = 6;
        }
        for (size_t i = 1; i < len; i++) {
            char c = num[i];
            if (c == '.') {
                has_point = 1;
                continue;
            }
            if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
                tlen = len - i < sizeof(tail) ? len - i : sizeof(tail);
                memcpy(tail, num + i, tlen);
                len = i;
                break;
            }
            if (c != '0')
                saw_nonzero = 1;
            if (saw_nonzero)
                digits--;
        }
        dbuf_add(&n2, num, len);
        if (!has_point) {
            if (len == 2 && num[1] == '0')
                digits--;
            dbuf_addc(&n2, '.');
        }
        while (digits > 0) {
            dbuf_addc(&n2, '0');
            digits--;
        }
        dbuf_add(&n2, tail, tlen);
        dbuf_free(&tmp);
        tmp = n2;
        if (tmp.p == NULL) {
            p->err = VALS_ENOMEM;
            return;
        }
        num = tmp.p;
        len = tmp.len;
    }
    if (p->f.plus || num[0] != '+') {
        if (p->f.zero && p->f.wid_present && p->f.wid > (int)len) {
            wc(p, num[0]);
            write_padding(p, p->f.wid - (int)len);
            w(p, num + 1, len - 1);
        } else {
            pad(p, num, len);
        }
    } else {
        pad(p, num + 1, len - 1);
    }
    dbuf_free(&tmp);
}

/* Go's %!verb(type=value) */
static void bad_verb(struct pp *p, int verb)
{
    ws(p, "%!");
    wrune(p, (uint32_t)verb);
    wc(p, '(');
    if (p->arg != NULL && !is_nil(p->arg)) {
        const struct tval *a = p->arg;
        struct tval c = concrete(a);
        ws(p, value_dyn_type_name(a));
        wc(p, '=');
        print_arg(p, &c, 'v');
    } else if (p->value.d != NULL) {
        struct tval v = p->value;
        ws(p, value_type_name(&v));
        wc(p, '=');
        print_value(p, &v, 'v', 0);
    } else {
        ws(p, "<nil>");
    }
    wc(p, ')');
}

/* pp.fmtBool: %t and %v. */
static void fmt_bool(struct pp *p, int v, int verb)
{
    if (verb == 't' || verb == 'v')
        fmt_boolean(p, v);
    else
        bad_verb(p, verb);
}

/* pp.fmt0x64: hexadecimal with or without 0x. */
static void fmt0x64(struct pp *p, uint64_t v, int leading0x)
{
    int sharp = p->f.sharp;

    p->f.sharp = leading0x;
    fmt_integer(p, v, 16, 0, 'v', ldigits);
    p->f.sharp = sharp;
}

/* pp.fmtInteger: the integer verbs. */
static void fmt_int(struct pp *p, uint64_t v, int is_signed, int verb)
{
    switch (verb) {
    case 'v':
        if (p->f.sharp_v && !is_signed)
            fmt0x64(p, v, 1);
        else
            fmt_integer(p, v, 10, is_signed, verb, ldigits);
        break;
    case 'd':
        fmt_integer(p, v, 10, is_signed, verb, ldigits);
        break;
    case 'b':
        fmt_integer(p, v, 2, is_signed, verb, ldigits);
        break;
    case 'o':
    case 'O':
        fmt_integer(p, v, 8, is_signed, verb, ldigits);
        break;
    case 'x':
        fmt_integer(p, v, 16, is_signed, verb, ldigits);
        break;
    case 'X':
        fmt_integer(p, v, 16, is_signed, verb, udigits);
        break;
    case 'c':
        fmt_c(p, v);
        break;
    case 'q':
        fmt_qc(p, v);
        break;
    case 'U':
        fmt_unicode(p, v);
        break;
    default:
        bad_verb(p, verb);
        break;
    }
}

/* pp.fmtFloat: the float verbs and their default precisions. */
static void fmt_float(struct pp *p, double v, int verb)
{
    switch (verb) {
    case 'v':
        fmt_float_raw(p, v, 'g', -1);
        break;
    case 'b':
    case 'g':
    case 'G':
    case 'x':
    case 'X':
        fmt_float_raw(p, v, verb, -1);
        break;
    case 'f':
    case 'e':
    case 'E':
        fmt_float_raw(p, v, verb, 6);
        break;
    case 'F':
        fmt_float_raw(p, v, 'f', 6);
        break;
    default:
        bad_verb(p, verb);
        break;
    }
}

/* pp.fmtString: the string verbs. */
static void fmt_string(struct pp *p, const char *s, size_t n, int verb)
{
    switch (verb) {
    case 'v':
        if (p->f.sharp_v)
            fmt_q(p, s, n);
        else
            fmt_s(p, s, n);
        break;
    case 's':
        fmt_s(p, s, n);
        break;
    case 'x':
        fmt_sx(p, s, n, ldigits);
        break;
    case 'X':
        fmt_sx(p, s, n, udigits);
        break;
    case 'q':
        fmt_q(p, s, n);
        break;
    default:
        bad_verb(p, verb);
        break;
    }
}

/* %p and friends on lists and maps (their address); scalars are bad verbs. */
static void fmt_pointer(struct pp *p, const struct tval *v, int verb)
{
    uint64_t u;
    enum vkind k = value_kind(v);

    if (k != VK_LIST && k != VK_MAP) {
        bad_verb(p, verb);
        return;
    }
    u = (uint64_t)(uintptr_t)v->d;
    if (k == VK_LIST && value_list_len(v) > 0)
        u = (uint64_t)(uintptr_t)&v->d->v.list.items[v->view ? v->off : 0];
    switch (verb) {
    case 'v':
        if (p->f.sharp_v) {
            wc(p, '(');
            ws(p, value_type_name(v));
            ws(p, ")(");
            fmt0x64(p, u, 1);
            wc(p, ')');
        } else {
            fmt0x64(p, u, !p->f.sharp);
        }
        break;
    case 'p':
        fmt0x64(p, u, !p->f.sharp);
        break;
    case 'b':
    case 'o':
    case 'd':
    case 'x':
    case 'X':
        fmt_int(p, u, 0, verb);
        break;
    default:
        bad_verb(p, verb);
        break;
    }
}

/* Map pairs in Go's fmtsort order (string keys by bytes, numbers by value). */
static int key_cmp(const struct doc *a, const struct doc *b)
{
    char ta[64], tb[64];
    size_t la, lb;
    const char *sa, *sb;
    int c;

    if (a->type == DOC_INT && b->type == DOC_INT)
        return a->v.i < b->v.i ? -1 : a->v.i > b->v.i;
    if (a->type == DOC_FLOAT && b->type == DOC_FLOAT)
        return a->v.f < b->v.f ? -1 : a->v.f > b->v.f;
    sa = doc_key_text(a, ta, sizeof(ta), &la);
    sb = doc_key_text(b, tb, sizeof(tb), &lb);
    c = memcmp(sa, sb, la < lb ? la : lb);
    if (c != 0)
        return c;
    return la < lb ? -1 : la > lb;
}

/* qsort_r comparison of two map pairs by key. */
static int pair_cmp(const void *x, const void *y, void *ctx)
{
    const struct doc *m = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;

    return key_cmp(m->v.map.items[i].key, m->v.map.items[j].key);
}

/* Indexes of the map's data pairs in Go's fmtsort order. */
size_t *gofmt_sorted_keys(const struct doc *m, size_t *n)
{
    size_t *idx = malloc((m->v.map.len + 1) * sizeof(size_t)), k = 0;

    if (idx == NULL)
        return NULL;
    for (size_t i = 0; i < m->v.map.len; i++)
        if (m->v.map.items[i].key->type != DOC_COMMENT)
            idx[k++] = i;
    qsort_r(idx, k, sizeof(size_t), pair_cmp, (void *)m);
    *n = k;
    return idx;
}

/* Types with a String method that function libraries return (Go's fmt calls it for
 * %v %s %x %X %q): *semver.Version prints "MAJOR.MINOR.PATCH[-PRE][+META]". */
static int handle_methods(struct pp *p, const struct tval *v, int verb)
{
    struct dbuf b = DBUF_INIT;
    const struct doc *d = v->d, *f;

    if (d == NULL || d->type != DOC_MAP || d->tag == NULL ||
        strcmp(d->tag, "go:*semver.Version") != 0 || p->f.sharp_v ||
        (verb != 'v' && verb != 's' && verb != 'x' && verb != 'X' && verb != 'q'))
        return 0;
    static const char *const parts[] = {"Major", "Minor", "Patch"};
    for (int i = 0; i < 3; i++) {
        f = doc_map_getz(d, parts[i]);
        if (i > 0)
            dbuf_addc(&b, '.');
        if (f != NULL && f->type == DOC_INT)
            dbuf_printf(&b, "%lld", (long long)f->v.i);
        else if (f != NULL && f->type == DOC_UINT)
            dbuf_printf(&b, "%llu", (unsigned long long)f->v.u);
        else
            dbuf_addc(&b, '0');
    }
    f = doc_map_getz(d, "Prerelease");
    if (f != NULL && f->type == DOC_STR && f->v.s.len > 0) {
        dbuf_addc(&b, '-');
        dbuf_add(&b, f->v.s.ptr, f->v.s.len);
    }
    f = doc_map_getz(d, "Metadata");
    if (f != NULL && f->type == DOC_STR && f->v.s.len > 0) {
        dbuf_addc(&b, '+');
        dbuf_add(&b, f->v.s.ptr, f->v.s.len);
    }
    if (b.p == NULL) {
        p->err = VALS_ENOMEM;
    } else {
        struct tval saved = p->value;
        fmt_string(p, b.p, b.len, verb);
        p->value = saved;
    }
    dbuf_free(&b);
    return 1;
}

/* pp.printValue: a value reached through reflection (elements, map pairs). */
static void print_value(struct pp *p, const struct tval *v, int verb, int depth)
{
    struct tval e;

    if (depth > 0 && !v->iface && handle_methods(p, v, verb))
        return;
    p->arg = NULL;
    p->value = *v;
    switch (value_kind(v)) {
    case VK_INVALID:
        if (depth == 0)
            ws(p, "<invalid reflect.Value>");
        else if (verb == 'v')
            ws(p, "<nil>");
        else
            bad_verb(p, verb);
        break;
    case VK_BOOL:
        fmt_bool(p, v->d->v.b, verb);
        break;
    case VK_INT:
        fmt_int(p, (uint64_t)v->d->v.i, 1, verb);
        break;
    case VK_UINT:
        fmt_int(p, v->d->v.u, 0, verb);
        break;
    case VK_FLOAT:
        fmt_float(p, v->d->v.f, verb);
        break;
    case VK_STRING:
        fmt_string(p, v->d->v.s.ptr, v->d->v.s.len, verb);
        break;
    case VK_MAP: {
        size_t n, *idx;
        if (p->f.sharp_v) {
            ws(p, value_type_name(v));
            wc(p, '{');
        } else {
            ws(p, "map[");
        }
        idx = gofmt_sorted_keys(v->d, &n);
        if (idx == NULL) {
            p->err = VALS_ENOMEM;
            break;
        }
        for (size_t i = 0; i < n && p->err == 0; i++) {
            const struct doc_pair *pr = &v->d->v.map.items[idx[i]];
            struct tval k = value_borrow(pr->key, 0),
                        val = value_borrow(pr->val, value_elem_iface(v->d));
            if (i > 0) {
                if (p->f.sharp_v)
                    ws(p, ", ");
                else
                    wc(p, ' ');
            }
            print_value(p, &k, verb, depth + 1);
            wc(p, ':');
            print_value(p, &val, verb, depth + 1);
        }
        free(idx);
        wc(p, p->f.sharp_v ? '}' : ']');
        break;
    }
    case VK_INTERFACE:
        if (v->d->type == DOC_NULL) {
            if (p->f.sharp_v)
                ws(p, "interface {}(nil)");
            else
                ws(p, "<nil>");
        } else {
            e = concrete(v);
            print_value(p, &e, verb, depth + 1);
        }
        break;
    case VK_LIST: {
        size_t n = value_list_len(v);
        if (p->f.sharp_v) {
            ws(p, value_type_name(v));
            wc(p, '{');
        } else {
            wc(p, '[');
        }
        for (size_t i = 0; i < n && p->err == 0; i++) {
            size_t k = v->view ? v->off + i : i;
            e = value_borrow(k < v->d->v.list.len ? v->d->v.list.items[k] : &value_null_doc,
                             value_elem_iface(v->d));
            if (i > 0) {
                if (p->f.sharp_v)
                    ws(p, ", ");
                else
                    wc(p, ' ');
            }
            print_value(p, &e, verb, depth + 1);
        }
        wc(p, p->f.sharp_v ? '}' : ']');
        break;
    }
    }
}

/* pp.printArg: one operand. */
static void print_arg(struct pp *p, const struct tval *arg, int verb)
{
    struct tval c;

    p->arg = arg;
    p->value = value_invalid();
    if (is_nil(arg)) {
        if (verb == 'T' || verb == 'v')
            pads(p, "<nil>");
        else
            bad_verb(p, verb);
        return;
    }
    c = concrete(arg);
    if (verb == 'T') {
        fmt_s(p, value_dyn_type_name(&c), strlen(value_dyn_type_name(&c)));
        return;
    }
    if (verb == 'p') {
        fmt_pointer(p, &c, 'p');
        return;
    }
    switch (value_kind(&c)) {
    case VK_BOOL:
        fmt_bool(p, c.d->v.b, verb);
        break;
    case VK_INT:
        fmt_int(p, (uint64_t)c.d->v.i, 1, verb);
        break;
    case VK_UINT:
        fmt_int(p, c.d->v.u, 0, verb);
        break;
    case VK_FLOAT:
        fmt_float(p, c.d->v.f, verb);
        break;
    case VK_STRING:
        fmt_string(p, c.d->v.s.ptr, c.d->v.s.len, verb);
        break;
    default:
        if (!handle_methods(p, &c, verb))
            print_value(p, &c, verb, 0);
        break;
    }
}

/* Start printing into out. */
static void pp_init(struct pp *p, struct dbuf *out)
{
    memset(p, 0, sizeof(*p));
    p->buf = out;
}

/* fmt.Sprint: spaces between operands when neither is a string. */
int gofmt_sprint(struct dbuf *out, const struct tval *args, size_t n)
{
    struct pp p;
    int prev_string = 0;

    pp_init(&p, out);
    for (size_t i = 0; i < n && p.err == 0; i++) {
        int is_string = !is_nil(&args[i]) && value_kind(&args[i]) != VK_INVALID &&
                        (args[i].d->type == DOC_STR || args[i].d->type == DOC_COMMENT);
        if (i > 0 && !is_string && !prev_string)
            wc(&p, ' ');
        print_arg(&p, &args[i], 'v');
        prev_string = is_string;
    }
    return p.err;
}

/* fmt.Sprintln: spaces between all operands, then a newline. */
int gofmt_sprintln(struct dbuf *out, const struct tval *args, size_t n)
{
    struct pp p;

    pp_init(&p, out);
    for (size_t i = 0; i < n && p.err == 0; i++) {
        if (i > 0)
            wc(&p, ' ');
        print_arg(&p, &args[i], 'v');
    }
    wc(&p, '\n');
    return p.err;
}

/* fmt of a reflect.Value operand with one verb. */
int gofmt_value(struct dbuf *out, const struct tval *v, char verb)
{
    struct pp p;

    pp_init(&p, out);
    print_value(&p, v, verb, 0);
    return p.err;
}

/* fmt.tooLarge: widths and precisions beyond a million are refused. */
static int too_large(long x)
{
    return x > 1000000 || x < -1000000;
}

/* fmt.parsenum: digits at s[*i..end) */
static int parse_num(const char *s, size_t *i, size_t end, int *num)
{
    int isnum = 0;

    *num = 0;
    if (*i >= end)
        return 0;
    for (; *i < end && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
        if (too_large(*num)) {
            *num = 0;
            *i = end;
            return 0;
        }
        *num = *num * 10 + (s[*i] - '0');
        isnum = 1;
    }
    return isnum;
}

/* fmt.intFromArg: an int argument for '*' */
static int int_from_arg(const struct tval *a, size_t n, size_t *argnum, int *num)
{
    int is_int = 0;
    struct tval c;

    *num = 0;
    if (*argnum < n) {
        if (!is_nil(&a[*argnum])) {
            c = concrete(&a[*argnum]);
            if (value_kind(&c) == VK_INT) {
                *num = (int)c.d->v.i;
                is_int = (int64_t)*num == c.d->v.i;
                if (!is_int)
                    *num = 0;
            } else if (value_kind(&c) == VK_UINT) {
                /* values beyond 1e6 are "too large" below anyway */
                if (c.d->v.u <= 1000000) {
                    *num = (int)c.d->v.u;
                    is_int = 1;
                }
            }
        }
        (*argnum)++;
        if (too_large(*num)) {
            *num = 0;
            is_int = 0;
        }
    }
    return is_int;
}

/* fmt.argNumber: an explicit [n] argument index */
static void arg_number(struct pp *p, size_t *argnum, const char *format, size_t *i, size_t end,
                       size_t nargs, int *found)
{
    int width = 0;
    size_t j;

    *found = 0;
    if (*i >= end || format[*i] != '[')
        return;
    p->reordered = 1;
    /* parseArgNumber on format[i:] */
    if (end - *i < 3) {
        p->good_arg_num = 0;
        *i += 1;
        return;
    }
    for (j = *i + 1; j < end; j++) {
        if (format[j] == ']') {
            size_t k = *i + 1;
            int ok = parse_num(format, &k, j, &width);
            if (!ok || k != j) {
                p->good_arg_num = 0;
                *i = j + 1;
                return;
            }
            if (width - 1 >= 0 && (size_t)(width - 1) < nargs) {
                *argnum = (size_t)(width - 1);
                *i = j + 1;
                *found = 1;
                return;
            }
            p->good_arg_num = 0;
            *i = j + 1;
            *found = 1;
            return;
        }
    }
    p->good_arg_num = 0;
    *i += 1;
}

/* fmt.Sprintf: pp.doPrintf with argument indexes, * and the error forms. */
int gofmt_sprintf(struct dbuf *out, const char *format, size_t end, const struct tval *a,
                  size_t nargs)
{
    struct pp p;
    size_t argnum = 0, i = 0;
    int after_index = 0;

    pp_init(&p, out);
    while (i < end && p.err == 0) {
        size_t lasti = i;
        int verb;
        size_t size;

        p.good_arg_num = 1;
        while (i < end && format[i] != '%')
            i++;
        if (i > lasti)
            w(&p, format + lasti, i - lasti);
        if (i >= end)
            break;
        i++;
        clear_flags(&p);
        for (; i < end; i++) {
            char c = format[i];
            if (c == '#') {
                p.f.sharp = 1;
            } else if (c == '0') {
                p.f.zero = !p.f.minus;
            } else if (c == '+') {
                p.f.plus = 1;
            } else if (c == '-') {
                p.f.minus = 1;
                p.f.zero = 0;
            } else if (c == ' ') {
                p.f.space = 1;
            } else {
                if (c >= 'a' && c <= 'z' && argnum < nargs) {
                    if (c == 'v') {
                        p.f.sharp_v = p.f.sharp;
                        p.f.sharp = 0;
                        p.f.plus_v = p.f.plus;
                        p.f.plus = 0;
                    }
                    print_arg(&p, &a[argnum], c);
                    argnum++;
                    i++;
                    goto next_format;
                }
                break;
            }
        }
        arg_number(&p, &argnum, format, &i, end, nargs, &after_index);
        if (i < end && format[i] == '*') {
            i++;
            p.f.wid_present = int_from_arg(a, nargs, &argnum, &p.f.wid);
            if (!p.f.wid_present)
                ws(&p, "%!(BADWIDTH)");
            if (p.f.wid < 0) {
                p.f.wid = -p.f.wid;
                p.f.minus = 1;
                p.f.zero = 0;
            }
            after_index = 0;
        } else {
            p.f.wid_present = parse_num(format, &i, end, &p.f.wid);
            if (after_index && p.f.wid_present)
                p.good_arg_num = 0;
        }
        if (i + 1 < end && format[i] == '.') {
            i++;
            if (after_index)
                p.good_arg_num = 0;
            arg_number(&p, &argnum, format, &i, end, nargs, &after_index);
            if (i < end && format[i] == '*') {
                i++;
                p.f.prec_present = int_from_arg(a, nargs, &argnum, &p.f.prec);
                if (p.f.prec < 0) {
                    p.f.prec = 0;
                    p.f.prec_present = 0;
                }
                if (!p.f.prec_present)
                    ws(&p, "%!(BADPREC)");
                after_index = 0;
            } else {
                p.f.prec_present = parse_num(format, &i, end, &p.f.prec);
                if (!p.f.prec_present) {
                    p.f.prec = 0;
                    p.f.prec_present = 1;
                }
            }
        }
        if (!after_index)
            arg_number(&p, &argnum, format, &i, end, nargs, &after_index);
        if (i >= end) {
            ws(&p, "%!(NOVERB)");
            break;
        }
        verb = (unsigned char)format[i];
        size = 1;
        if (verb >= 0x80)
            verb = (int)utf8_decode(format + i, end - i, &size);
        i += size;
        if (verb == '%') {
            wc(&p, '%');
        } else if (!p.good_arg_num) {
            ws(&p, "%!");
            wrune(&p, (uint32_t)verb);
            ws(&p, "(BADINDEX)");
        } else if (argnum >= nargs) {
            ws(&p, "%!");
            wrune(&p, (uint32_t)verb);
            ws(&p, "(MISSING)");
        } else {
            if (verb == 'v') {
                p.f.sharp_v = p.f.sharp;
                p.f.sharp = 0;
                p.f.plus_v = p.f.plus;
                p.f.plus = 0;
            }
            print_arg(&p, &a[argnum], verb);
            argnum++;
        }
    next_format:;
    }
    if (p.err == 0 && !p.reordered && argnum < nargs) {
        clear_flags(&p);
        ws(&p, "%!(EXTRA ");
        for (size_t k = argnum; k < nargs; k++) {
            if (k > argnum)
                ws(&p, ", ");
            if (is_nil(&a[k])) {
                ws(&p, "<nil>");
            } else {
                ws(&p, value_dyn_type_name(&a[k]));
                wc(&p, '=');
                print_arg(&p, &a[k], 'v');
            }
        }
        wc(&p, ')');
    }
    return p.err;
}
