/*
 * sprig_strings.c - Sprig's string functions: Go's strings package (trim, upper, title,
 * replace, split, ...), Masterminds/goutils (abbrev, initials, wrap, nospace, swapcase,
 * untitle), quoting, joining and the slice-of-strings helpers.
 *
 * Byte versus rune semantics follow the Go originals: goutils' abbrev, initials, wrap and
 * nospace work on bytes (nospace and initials even turn bytes >= 0x80 into Latin-1 runes,
 * as goutils does), the strings package works on UTF-8 runes with invalid bytes mapped
 * to U+FFFD where Go maps them.
 */
#include <stdlib.h>
#include <string.h>

#include "sprig_fns.h"

/* Index of sep in s (strings.Index), or -1. */
static long str_index(const char *s, size_t len, const char *sep, size_t seplen)
{
    const char *p;

    if (seplen == 0)
        return 0;
    p = memmem(s, len, sep, seplen);
    return p != NULL ? (long)(p - s) : -1;
}

/* Fetch string arguments argv[first..first+n-1]. */
static int str_args(struct tmpl_call *call, struct doc *const *argv, int n, struct sstr *s)
{
    for (int i = 0; i < n; i++) {
        int r = sprig_arg_str(call, argv[i], &s[i]);
        if (r != 0)
            return r;
    }
    return 0;
}

SPRIG_FN(sprig_hello)
{
    return sprig_ret_str(call, out, "Hello!", 6);
}

SPRIG_FN(sprig_fail)
{
    struct sstr s;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    return tmpl_call_fail(call, "%.*s", (int)s.len, s.p);
}

/* goutils.AbbreviateFull on bytes; NULL result means "return s unchanged". */
static int abbreviate(struct tmpl_call *call, struct doc **out, struct sstr s, int64_t offset,
                      int64_t width)
{
    struct dbuf b = DBUF_INIT;
    int64_t len = (int64_t)s.len;
    int r = 0;

    if (len == 0 || len <= width)
        return sprig_ret_str(call, out, s.p, s.len);
    if (offset > len)
        offset = len;
    if (len - offset < width - 3)
        offset = len - (width - 3);
    if (offset <= 4) {
        r = dbuf_add(&b, s.p, (size_t)(width - 3));
        if (r == 0)
            r = dbuf_adds(&b, "...");
    } else if (width < 7) {
        return sprig_ret_str(call, out, "", 0); /* goutils' error; Sprig returns "" */
    } else if (offset + width - 3 < len) {
        /* "..." + Abbreviate(s[offset:], width-3) */
        struct sstr rest = {s.p + offset, s.len - (size_t)offset};
        int64_t w = width - 3;
        r = dbuf_adds(&b, "...");
        if (r == 0 && (int64_t)rest.len <= w) /* w >= 4 here since width >= 7 */
            r = dbuf_add(&b, rest.p, rest.len);
        else if (r == 0) {
            r = dbuf_add(&b, rest.p, (size_t)(w - 3));
            if (r == 0)
                r = dbuf_adds(&b, "...");
        }
    } else {
        r = dbuf_adds(&b, "...");
        if (r == 0)
            r = dbuf_add(&b, s.p + (len - (width - 3)), (size_t)(width - 3));
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_abbrev)
{
    int64_t width;
    struct sstr s;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &width)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &s)) != 0)
        return r;
    if (width < 4)
        return sprig_ret_str(call, out, s.p, s.len);
    return abbreviate(call, out, s, 0, width);
}

SPRIG_FN(sprig_abbrevboth)
{
    int64_t left, right;
    struct sstr s;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &left)) != 0 ||
        (r = sprig_arg_int(call, argv[1], &right)) != 0 ||
        (r = sprig_arg_str(call, argv[2], &s)) != 0)
        return r;
    if (right < 4 || (left > 0 && right < 7))
        return sprig_ret_str(call, out, s.p, s.len);
    return abbreviate(call, out, s, left, right);
}

SPRIG_FN(sprig_trunc)
{
    int64_t c;
    struct sstr s;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &c)) != 0 || (r = sprig_arg_str(call, argv[1], &s)) != 0)
        return r;
    if (c < 0 && (int64_t)s.len + c > 0)
        return sprig_ret_str(call, out, s.p + ((int64_t)s.len + c), (size_t)(-c));
    if (c >= 0 && (int64_t)s.len > c)
        return sprig_ret_str(call, out, s.p, (size_t)c);
    return sprig_ret_str(call, out, s.p, s.len);
}

/* Length of the leading run of white space runes (unicode.IsSpace). */
static size_t space_prefix(const char *s, size_t len)
{
    size_t i = 0, w;

    while (i < len && sprig_is_space(sprig_utf8_decode(s + i, len - i, &w)))
        i += w;
    return i;
}

/* Start of the trailing run of white space runes. */
static size_t space_suffix(const char *s, size_t len)
{
    size_t end = len;

    while (end > 0) {
        size_t start = end - 1, w;
        /* step back to the start of the last rune */
        while (start > 0 && end - start < 4 && ((unsigned char)s[start] & 0xC0) == 0x80)
            start--;
        int32_t r = sprig_utf8_decode(s + start, end - start, &w);
        if (start + w != end) { /* not a complete rune: one invalid byte */
            start = end - 1;
            r = SPRIG_RUNE_ERROR;
        }
        if (!sprig_is_space(r))
            break;
        end = start;
    }
    return end;
}

SPRIG_FN(sprig_trim)
{
    struct sstr s;
    size_t a, e;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    a = space_prefix(s.p, s.len);
    e = space_suffix(s.p + a, s.len - a) + a;
    return sprig_ret_str(call, out, s.p + a, e - a);
}

/* Map every rune of argv[0] through fn (Go's strings.Map with invalid bytes -> U+FFFD). */
static int map_runes(struct tmpl_call *call, struct doc *const *argv, struct doc **out,
                     int32_t (*fn)(int32_t))
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    r = dbuf_reserve(&b, s.len);
    for (size_t i = 0; r == 0 && i < s.len;) {
        size_t w;
        int32_t c = sprig_utf8_decode(s.p + i, s.len - i, &w);
        r = sprig_utf8_put(&b, fn(c));
        i += w;
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_upper)
{
    return map_runes(call, argv, out, sprig_to_upper);
}

SPRIG_FN(sprig_lower)
{
    return map_runes(call, argv, out, sprig_to_lower);
}

/* strings.Title's isSeparator. */
static int title_separator(int32_t r)
{
    if (r <= 0x7F)
        return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
                 r == '_');
    if (sprig_is_letter(r) || sprig_is_digit(r))
        return 0;
    return sprig_is_space(r);
}

SPRIG_FN(sprig_title)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int32_t prev = ' ';
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    r = dbuf_reserve(&b, s.len);
    for (size_t i = 0; r == 0 && i < s.len;) {
        size_t w;
        int32_t c = sprig_utf8_decode(s.p + i, s.len - i, &w);
        int sep = title_separator(prev);
        prev = c;
        r = sprig_utf8_put(&b, sep ? sprig_to_title(c) : c);
        i += w;
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_untitle)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int next = 1, r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    for (size_t i = 0; r == 0 && i < s.len;) {
        size_t w;
        int32_t c = sprig_utf8_decode(s.p + i, s.len - i, &w);
        if (sprig_is_space(c)) {
            next = 1;
        } else if (next) {
            c = sprig_to_lower(c);
            next = 0;
        }
        r = sprig_utf8_put(&b, c);
        i += w;
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_swapcase)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int white = 1, r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    /* goutils.SwapCase: a lower-case letter after white space becomes title case */
    for (size_t i = 0; r == 0 && i < s.len;) {
        size_t w;
        int32_t c = sprig_utf8_decode(s.p + i, s.len - i, &w);
        if (sprig_is_upper(c) || sprig_is_title(c)) {
            c = sprig_to_lower(c);
            white = 0;
        } else if (sprig_is_lower(c)) {
            c = white ? sprig_to_title(c) : sprig_to_upper(c);
            white = 0;
        } else {
            white = sprig_is_space(c);
        }
        r = sprig_utf8_put(&b, c);
        i += w;
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_substr)
{
    int64_t start, end;
    struct sstr s;
    int64_t len;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &start)) != 0 ||
        (r = sprig_arg_int(call, argv[1], &end)) != 0 ||
        (r = sprig_arg_str(call, argv[2], &s)) != 0)
        return r;
    len = (int64_t)s.len;
    if (start < 0) {
        if (end < 0 || end > len)
            return tmpl_call_fail(
                call, "runtime error: slice bounds out of range [:%lld] with length %lld",
                (long long)end, (long long)len);
        return sprig_ret_str(call, out, s.p, (size_t)end);
    }
    if (end < 0 || end > len) {
        if (start > len)
            return tmpl_call_fail(call, "runtime error: slice bounds out of range [%lld:%lld]",
                                  (long long)start, (long long)len);
        return sprig_ret_str(call, out, s.p + start, (size_t)(len - start));
    }
    if (start > end)
        return tmpl_call_fail(call, "runtime error: slice bounds out of range [%lld:%lld]",
                              (long long)start, (long long)end);
    return sprig_ret_str(call, out, s.p + start, (size_t)(end - start));
}

SPRIG_FN(sprig_repeat)
{
    int64_t count;
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &count)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &s)) != 0)
        return r;
    if (count < 0)
        return tmpl_call_fail(call, "strings: negative Repeat count");
    if (s.len > 0 && (uint64_t)count > (uint64_t)(1u << 30) / s.len)
        return tmpl_call_fail(call, "strings: Repeat count causes overflow");
    r = dbuf_reserve(&b, s.len * (size_t)count);
    for (int64_t i = 0; r == 0 && i < count; i++)
        r = dbuf_add(&b, s.p, s.len);
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

/* 1 when rune c occurs in the cutset (as strings.ContainsRune). */
static int in_cutset(struct sstr cut, int32_t c)
{
    for (size_t i = 0; i < cut.len;) {
        size_t w;
        if (sprig_utf8_decode(cut.p + i, cut.len - i, &w) == c)
            return 1;
        i += w;
    }
    return 0;
}

SPRIG_FN(sprig_trim_all)
{
    struct sstr a[2];
    size_t start = 0, end;
    int r;

    if ((r = str_args(call, argv, 2, a)) != 0)
        return r;
    /* strings.Trim(s=a[1], cutset=a[0]) */
    while (start < a[1].len) {
        size_t w;
        int32_t c = sprig_utf8_decode(a[1].p + start, a[1].len - start, &w);
        if (!in_cutset(a[0], c))
            break;
        start += w;
    }
    end = a[1].len;
    while (end > start) {
        size_t st = end - 1, w;
        while (st > start && end - st < 4 && ((unsigned char)a[1].p[st] & 0xC0) == 0x80)
            st--;
        int32_t c = sprig_utf8_decode(a[1].p + st, end - st, &w);
        if (st + w != end) {
            st = end - 1;
            c = SPRIG_RUNE_ERROR;
        }
        if (!in_cutset(a[0], c))
            break;
        end = st;
    }
    return sprig_ret_str(call, out, a[1].p + start, end - start);
}

SPRIG_FN(sprig_trim_suffix)
{
    struct sstr a[2];
    int r;

    if ((r = str_args(call, argv, 2, a)) != 0)
        return r;
    if (a[1].len >= a[0].len && memcmp(a[1].p + a[1].len - a[0].len, a[0].p, a[0].len) == 0)
        return sprig_ret_str(call, out, a[1].p, a[1].len - a[0].len);
    return sprig_ret_str(call, out, a[1].p, a[1].len);
}

SPRIG_FN(sprig_trim_prefix)
{
    struct sstr a[2];
    int r;

    if ((r = str_args(call, argv, 2, a)) != 0)
        return r;
    if (a[1].len >= a[0].len && memcmp(a[1].p, a[0].p, a[0].len) == 0)
        return sprig_ret_str(call, out, a[1].p + a[0].len, a[1].len - a[0].len);
    return sprig_ret_str(call, out, a[1].p, a[1].len);
}

SPRIG_FN(sprig_nospace)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    size_t kept = 0;
    int r = 0;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    /* goutils.DeleteWhiteSpace looks at single bytes as runes */
    for (size_t i = 0; i < s.len; i++)
        kept += !sprig_is_space((unsigned char)s.p[i]);
    if (kept == s.len)
        return sprig_ret_str(call, out, s.p, s.len);
    for (size_t i = 0; r == 0 && i < s.len; i++)
        if (!sprig_is_space((unsigned char)s.p[i]))
            r = sprig_utf8_put(&b, (unsigned char)s.p[i]);
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_initials)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int gap = 1, r = 0;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    for (size_t i = 0; r == 0 && i < s.len; i++) {
        int32_t c = (unsigned char)s.p[i];
        if (sprig_is_space(c)) {
            gap = 1;
        } else if (gap) {
            r = sprig_utf8_put(&b, c);
            gap = 0;
        }
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

/* goutils.WrapCustom (byte based, words separated by ' '). */
static int wrap_custom(struct tmpl_call *call, struct doc **out, struct sstr s, int64_t width,
                       struct sstr nl, int long_words)
{
    struct dbuf b = DBUF_INIT;
    size_t offset = 0, len = s.len;
    int r = 0;

    if (len == 0)
        return sprig_ret_str(call, out, "", 0);
    if (nl.len == 0) {
        nl.p = "\n";
        nl.len = 1;
    }
    if (width < 1)
        width = 1;
    while (r == 0 && (int64_t)(len - offset) > width) {
        size_t w = (size_t)width, at;
        long sp = -1;
        if (s.p[offset] == ' ') {
            offset++;
            continue;
        }
        for (size_t k = offset; k < offset + w + 1; k++) /* LastIndex in s[offset:end] */
            if (s.p[k] == ' ')
                sp = (long)(k - offset);
        if (sp >= 0) {
            at = offset + (size_t)sp;
            r = dbuf_add(&b, s.p + offset, at - offset);
            if (r == 0)
                r = dbuf_add(&b, nl.p, nl.len);
            offset = at + 1;
        } else if (long_words) {
            r = dbuf_add(&b, s.p + offset, w);
            if (r == 0)
                r = dbuf_add(&b, nl.p, nl.len);
            offset += w;
        } else {
            const char *q = memchr(s.p + offset + w, ' ', len - offset - w);
            if (q != NULL) {
                at = (size_t)(q - s.p);
                r = dbuf_add(&b, s.p + offset, at - offset);
                if (r == 0)
                    r = dbuf_add(&b, nl.p, nl.len);
                offset = at + 1;
            } else {
                r = dbuf_add(&b, s.p + offset, len - offset);
                offset = len;
            }
        }
    }
    if (r == 0)
        r = dbuf_add(&b, s.p + offset, len - offset);
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_wrap)
{
    int64_t l;
    struct sstr s, nl = {"", 0};
    int r;

    if ((r = sprig_arg_int(call, argv[0], &l)) != 0 || (r = sprig_arg_str(call, argv[1], &s)) != 0)
        return r;
    return wrap_custom(call, out, s, l, nl, 0);
}

SPRIG_FN(sprig_wrap_with)
{
    int64_t l;
    struct sstr a[2];
    int r;

    if ((r = sprig_arg_int(call, argv[0], &l)) != 0 || (r = str_args(call, argv + 1, 2, a)) != 0)
        return r;
    return wrap_custom(call, out, a[1], l, a[0], 1);
}

SPRIG_FN(sprig_contains)
{
    struct sstr a[2];
    int r;

    if ((r = str_args(call, argv, 2, a)) != 0)
        return r;
    return sprig_ret_bool(call, out, str_index(a[1].p, a[1].len, a[0].p, a[0].len) >= 0);
}

SPRIG_FN(sprig_has_prefix)
{
    struct sstr a[2];
    int r;

    if ((r = str_args(call, argv, 2, a)) != 0)
        return r;
    return sprig_ret_bool(call, out, a[1].len >= a[0].len && memcmp(a[1].p, a[0].p, a[0].len) == 0);
}

SPRIG_FN(sprig_has_suffix)
{
    struct sstr a[2];
    int r;

    if ((r = str_args(call, argv, 2, a)) != 0)
        return r;
    return sprig_ret_bool(call, out,
                          a[1].len >= a[0].len &&
                              memcmp(a[1].p + a[1].len - a[0].len, a[0].p, a[0].len) == 0);
}

/* Join the non-nil arguments formatted with fmt_one, separated by spaces. */
static int join_args(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out,
                     int mode)
{
    struct dbuf b = DBUF_INIT, t = DBUF_INIT;
    int first = 1, r = 0;

    for (int i = 0; r == 0 && i < argc; i++) {
        if (argv[i] == NULL || argv[i]->type == DOC_NULL)
            continue;
        if (!first)
            r = dbuf_addc(&b, ' ');
        first = 0;
        if (r != 0)
            break;
        if (mode == 'q') { /* %q of strval */
            dbuf_reset(&t);
            r = sprig_strval(argv[i], &t);
            if (r == 0)
                r = sprig_go_quote(t.p != NULL ? t.p : "", t.len, &b);
        } else if (mode == 's') { /* '%v' */
            r = dbuf_addc(&b, '\'');
            if (r == 0)
                r = sprig_strval(argv[i], &b);
            if (r == 0)
                r = dbuf_addc(&b, '\'');
        } else {
            r = sprig_strval(argv[i], &b);
        }
    }
    dbuf_free(&t);
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_quote)
{
    return join_args(call, argv, argc, out, 'q');
}

SPRIG_FN(sprig_squote)
{
    return join_args(call, argv, argc, out, 's');
}

SPRIG_FN(sprig_cat)
{
    return join_args(call, argv, argc, out, 'v');
}

/* indent: pad + s with every "\n" followed by pad; `lead` prepends a newline. */
static int indent(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int lead)
{
    int64_t n;
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &n)) != 0 || (r = sprig_arg_str(call, argv[1], &s)) != 0)
        return r;
    if (n < 0)
        return tmpl_call_fail(call, "strings: negative Repeat count");
    if (n > (1 << 20))
        return tmpl_call_fail(call, "indent of %lld spaces is too large", (long long)n);
    if (lead)
        r = dbuf_addc(&b, '\n');
    for (int64_t k = 0; r == 0 && k < n; k++)
        r = dbuf_addc(&b, ' ');
    for (size_t i = 0; r == 0 && i < s.len; i++) {
        r = dbuf_addc(&b, s.p[i]);
        for (int64_t k = 0; r == 0 && s.p[i] == '\n' && k < n; k++)
            r = dbuf_addc(&b, ' ');
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_indent)
{
    return indent(call, argv, out, 0);
}

SPRIG_FN(sprig_nindent)
{
    return indent(call, argv, out, 1);
}

SPRIG_FN(sprig_replace)
{
    struct sstr a[3]; /* old, new, src */
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = str_args(call, argv, 3, a)) != 0)
        return r;
    if (a[0].len == 0) {
        /* strings.Replace with an empty old: new before every rune and at the end */
        for (size_t i = 0; r == 0 && i <= a[2].len;) {
            size_t w;
            r = dbuf_add(&b, a[1].p, a[1].len);
            if (r != 0 || i == a[2].len)
                break;
            sprig_utf8_decode(a[2].p + i, a[2].len - i, &w);
            r = dbuf_add(&b, a[2].p + i, w);
            i += w;
        }
    } else {
        size_t i = 0;
        for (;;) {
            long m = str_index(a[2].p + i, a[2].len - i, a[0].p, a[0].len);
            if (m < 0)
                break;
            r = dbuf_add(&b, a[2].p + i, (size_t)m);
            if (r == 0)
                r = dbuf_add(&b, a[1].p, a[1].len);
            if (r != 0)
                break;
            i += (size_t)m + a[0].len;
        }
        if (r == 0)
            r = dbuf_add(&b, a[2].p + i, a[2].len - i);
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_plural)
{
    struct sstr a[2];
    int64_t n;
    int r;

    if ((r = str_args(call, argv, 2, a)) != 0 || (r = sprig_arg_int(call, argv[2], &n)) != 0)
        return r;
    return n == 1 ? sprig_ret_str(call, out, a[0].p, a[0].len)
                  : sprig_ret_str(call, out, a[1].p, a[1].len);
}

SPRIG_FN(sprig_to_string)
{
    struct dbuf b = DBUF_INIT;

    if (sprig_strval(argv[0], &b) != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

/* Go's genSplit(s, sep, 0, n): the parts into a new list of strings. */
static struct doc *split_parts(struct sstr s, struct sstr sep, int64_t n)
{
    struct doc *list = doc_list();
    size_t i = 0;

    if (list == NULL || n == 0)
        return list;
    if (sep.len == 0) { /* explode into runes, the last part takes the rest */
        int64_t k = 0, runes = 0;
        for (size_t j = 0, w; j < s.len; j += w, runes++)
            sprig_utf8_decode(s.p + j, s.len - j, &w);
        if (n < 0 || n > runes)
            n = runes;
        while (i < s.len) {
            size_t w;
            int32_t r = sprig_utf8_decode(s.p + i, s.len - i, &w);
            int last = k == n - 1;
            if (last)
                w = s.len - i;
            /* Go's explode turns an invalid byte into U+FFFD (but not in the rest) */
            if (sprig_list_push_str(list, !last && r == SPRIG_RUNE_ERROR ? "\xEF\xBF\xBD" : s.p + i,
                                    !last && r == SPRIG_RUNE_ERROR ? 3 : w) != 0)
                return NULL;
            i += w;
            k++;
        }
        return list;
    }
    for (int64_t k = 0; n < 0 || k < n - 1; k++) {
        long m = str_index(s.p + i, s.len - i, sep.p, sep.len);
        if (m < 0)
            break;
        if (sprig_list_push_str(list, s.p + i, (size_t)m) != 0)
            return NULL;
        i += (size_t)m + sep.len;
    }
    if (sprig_list_push_str(list, s.p + i, s.len - i) != 0)
        return NULL;
    return list;
}

/* The parts as Sprig's map[string]string {"_0": ..., "_1": ...}. */
static int split_map(struct tmpl_call *call, struct doc **out, struct doc *parts)
{
    struct doc *m;

    if (parts == NULL)
        return sprig_oom(call);
    m = sprig_tagged(doc_map(), "map[string]string");
    for (size_t i = 0; m != NULL && i < parts->v.list.len; i++) {
        char key[32];
        snprintf(key, sizeof(key), "_%zu", i);
        if (doc_map_set(m, key, doc_copy(parts->v.list.items[i])) != 0) {
            doc_free(m);
            m = NULL;
        }
    }
    doc_free(parts);
    return sprig_ret_doc(call, out, m);
}

SPRIG_FN(sprig_split)
{
    struct sstr a[2];
    int r;

    if ((r = str_args(call, argv, 2, a)) != 0)
        return r;
    return split_map(call, out, split_parts(a[1], a[0], -1));
}

SPRIG_FN(sprig_splitn)
{
    struct sstr sep, s;
    int64_t n;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &sep)) != 0 ||
        (r = sprig_arg_int(call, argv[1], &n)) != 0 || (r = sprig_arg_str(call, argv[2], &s)) != 0)
        return r;
    return split_map(call, out, split_parts(s, sep, n));
}

SPRIG_FN(sprig_split_list)
{
    struct sstr a[2];
    int r;

    if ((r = str_args(call, argv, 2, a)) != 0)
        return r;
    return sprig_ret_doc(call, out, sprig_tagged(split_parts(a[1], a[0], -1), "[]string"));
}

/* Sprig's strslice(): a list becomes its non-nil items as strings, nil becomes [],
 * anything else a one-element list. */
static struct doc *strslice(const struct doc *v)
{
    struct doc *list = sprig_tagged(doc_list(), "[]string");
    struct dbuf b = DBUF_INIT;

    if (list == NULL)
        return NULL;
    if (v == NULL || v->type == DOC_NULL)
        return list;
    if (v->type != DOC_LIST) {
        if (sprig_strval(v, &b) != 0 || sprig_list_push_str(list, b.p ? b.p : "", b.len) != 0) {
            doc_free(list);
            list = NULL;
        }
        dbuf_free(&b);
        return list;
    }
    for (size_t i = 0; i < v->v.list.len; i++) {
        const struct doc *it = v->v.list.items[i];
        if (it->type == DOC_COMMENT || it->type == DOC_NULL)
            continue;
        dbuf_reset(&b);
        if (sprig_strval(it, &b) != 0 || sprig_list_push_str(list, b.p ? b.p : "", b.len) != 0) {
            doc_free(list);
            dbuf_free(&b);
            return NULL;
        }
    }
    dbuf_free(&b);
    return list;
}

SPRIG_FN(sprig_to_strings)
{
    return sprig_ret_doc(call, out, strslice(argv[0]));
}

SPRIG_FN(sprig_join)
{
    struct sstr sep;
    struct doc *parts;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &sep)) != 0)
        return r;
    if ((parts = strslice(argv[1])) == NULL)
        return sprig_oom(call);
    for (size_t i = 0; r == 0 && i < parts->v.list.len; i++) {
        if (i > 0)
            r = dbuf_add(&b, sep.p, sep.len);
        if (r == 0)
            r = dbuf_add(&b, parts->v.list.items[i]->v.s.ptr, parts->v.list.items[i]->v.s.len);
    }
    doc_free(parts);
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

/* Byte-wise string order (Go's sort.Strings). */
static int cmp_strdoc(const void *a, const void *b)
{
    const struct doc *x = *(struct doc *const *)a, *y = *(struct doc *const *)b;
    size_t n = x->v.s.len < y->v.s.len ? x->v.s.len : y->v.s.len;
    int c = memcmp(x->v.s.ptr, y->v.s.ptr, n);

    if (c != 0)
        return c;
    return x->v.s.len < y->v.s.len ? -1 : x->v.s.len > y->v.s.len;
}

SPRIG_FN(sprig_sort_alpha)
{
    struct doc *list;

    if (argv[0] == NULL || argv[0]->type != DOC_LIST) {
        /* not a slice: a one-element list of its text (nil gives "<nil>") */
        struct dbuf b = DBUF_INIT;
        list = sprig_tagged(doc_list(), "[]string");
        if (list != NULL && (sprig_strval(argv[0], &b) != 0 ||
                             sprig_list_push_str(list, b.p ? b.p : "", b.len) != 0)) {
            doc_free(list);
            list = NULL;
        }
        dbuf_free(&b);
        return sprig_ret_doc(call, out, list);
    }
    if ((list = strslice(argv[0])) == NULL)
        return sprig_oom(call);
    if (list->v.list.len > 1)
        qsort(list->v.list.items, list->v.list.len, sizeof(struct doc *), cmp_strdoc);
    return sprig_ret_doc(call, out, list);
}
