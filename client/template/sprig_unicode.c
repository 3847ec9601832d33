/*
 * sprig_unicode.c - UTF-8 decoding and the parts of Go's unicode package that Sprig's
 * string functions use (IsSpace, IsUpper, ToUpper, IsPunct, ...), plus strconv.Quote.
 *
 * Every class and case mapping comes from tables generated from Go's own unicode
 * package: letters, digits and printable runes are the template engine's
 * (unicode_tab.c), case classes, numbers, punctuation and CaseRanges are ours
 * (sprig_unicode_tab.c, tests/go/unigen -sprig).  White space is Go's short fixed list.
 */
#include "sprig_internal.h"
#include "sprig_unicode_tab.h"
#include "unicode.h"

int32_t sprig_utf8_decode(const char *s, size_t len, size_t *width)
{
    const unsigned char *p = (const unsigned char *)s;
    int32_t r;
    size_t n;

    if (len == 0) {
        *width = 0;
        return SPRIG_RUNE_ERROR;
    }
    if (p[0] < 0x80) {
        *width = 1;
        return p[0];
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        n = 2;
        r = p[0] & 0x1F;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        n = 3;
        r = p[0] & 0x0F;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        n = 4;
        r = p[0] & 0x07;
    } else {
        *width = 1;
        return SPRIG_RUNE_ERROR;
    }
    if (len < n) {
        *width = 1;
        return SPRIG_RUNE_ERROR;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *width = 1;
            return SPRIG_RUNE_ERROR;
        }
        r = (r << 6) | (p[i] & 0x3F);
    }
    /* overlong forms, surrogates and values above U+10FFFF are invalid */
    if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10FFFF)) ||
        (r >= 0xD800 && r <= 0xDFFF)) {
        *width = 1;
        return SPRIG_RUNE_ERROR;
    }
    *width = n;
    return r;
}

int sprig_utf8_put(struct dbuf *b, int32_t r)
{
    char t[4];

    if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        r = SPRIG_RUNE_ERROR;
    if (r < 0x80) {
        t[0] = (char)r;
        return dbuf_add(b, t, 1);
    }
    if (r < 0x800) {
        t[0] = (char)(0xC0 | (r >> 6));
        t[1] = (char)(0x80 | (r & 0x3F));
        return dbuf_add(b, t, 2);
    }
    if (r < 0x10000) {
        t[0] = (char)(0xE0 | (r >> 12));
        t[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        t[2] = (char)(0x80 | (r & 0x3F));
        return dbuf_add(b, t, 3);
    }
    t[0] = (char)(0xF0 | (r >> 18));
    t[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    t[2] = (char)(0x80 | ((r >> 6) & 0x3F));
    t[3] = (char)(0x80 | (r & 0x3F));
    return dbuf_add(b, t, 4);
}

/* 1 when r lies in one of the inclusive ranges (pairs, sorted). */
static int in_ranges(int32_t r, const uint32_t (*ranges)[2], size_t n)
{
    return r >= 0 && unicode_in_table(ranges, n, (uint32_t)r);
}

int sprig_is_space(int32_t r)
{
    switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return 1;
    default:
        return r >= 0x2000 && r <= 0x200A;
    }
}

int sprig_is_upper(int32_t r)
{
    if (r < 0x80)
        return r >= 'A' && r <= 'Z';
    return in_ranges(r, sprig_upper_tab, sprig_upper_tab_len);
}

int sprig_is_lower(int32_t r)
{
    if (r < 0x80)
        return r >= 'a' && r <= 'z';
    return in_ranges(r, sprig_lower_tab, sprig_lower_tab_len);
}

int sprig_is_title(int32_t r)
{
    return r >= 0x80 && in_ranges(r, sprig_title_tab, sprig_title_tab_len);
}

int sprig_is_letter(int32_t r)
{
    return r >= 0 && unicode_is_letter((uint32_t)r);
}

int sprig_is_digit(int32_t r)
{
    return r >= 0 && unicode_is_digit((uint32_t)r);
}

int sprig_is_number(int32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    return in_ranges(r, sprig_number_tab, sprig_number_tab_len);
}

int sprig_is_punct(int32_t r)
{
    return in_ranges(r, sprig_punct_tab, sprig_punct_tab_len);
}

int sprig_is_print(int32_t r)
{
    return r >= 0 && unicode_is_print((uint32_t)r);
}

/* Go's unicode.To: case 0 upper, 1 lower, 2 title. */
static int32_t to_case(int c, int32_t r)
{
    size_t lo = 0, hi = sprig_case_tab_len;

    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        const int32_t *cr = sprig_case_tab[m];
        if (cr[0] <= r && r <= cr[1]) {
            int32_t delta = cr[2 + c];
            if (delta == SPRIG_UPPER_LOWER) /* even offsets upper, odd lower */
                return cr[0] + (((r - cr[0]) & ~1) | (c & 1));
            return r + delta;
        }
        if (r < cr[0])
            hi = m;
        else
            lo = m + 1;
    }
    return r;
}

int32_t sprig_to_upper(int32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') ? r - 32 : r;
    return to_case(0, r);
}

int32_t sprig_to_lower(int32_t r)
{
    if (r < 0x80)
        return (r >= 'A' && r <= 'Z') ? r + 32 : r;
    return to_case(1, r);
}

int32_t sprig_to_title(int32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') ? r - 32 : r;
    return to_case(2, r);
}

int sprig_go_quote(const char *s, size_t len, struct dbuf *out)
{
    static const char hex[] = "0123456789abcdef";
    int r = dbuf_addc(out, '"');

    for (size_t i = 0; r == 0 && i < len;) {
        size_t w;
        int32_t c = sprig_utf8_decode(s + i, len - i, &w);
        char t[12];

        if (c == SPRIG_RUNE_ERROR && w == 1) {
            t[0] = '\\';
            t[1] = 'x';
            t[2] = hex[(unsigned char)s[i] >> 4];
            t[3] = hex[(unsigned char)s[i] & 0xF];
            r = dbuf_add(out, t, 4);
        } else if (c == '"' || c == '\\') {
            t[0] = '\\';
            t[1] = (char)c;
            r = dbuf_add(out, t, 2);
        } else if (sprig_is_print(c)) {
            r = dbuf_add(out, s + i, w);
        } else {
            switch (c) {
            case '\a':
                r = dbuf_adds(out, "\\a");
                break;
            case '\b':
                r = dbuf_adds(out, "\\b");
                break;
            case '\f':
                r = dbuf_adds(out, "\\f");
                break;
            case '\n':
                r = dbuf_adds(out, "\\n");
                break;
            case '\r':
                r = dbuf_adds(out, "\\r");
                break;
            case '\t':
                r = dbuf_adds(out, "\\t");
                break;
            case '\v':
                r = dbuf_adds(out, "\\v");
                break;
            default:
                if (c < ' ' || c == 0x7F)
                    r = dbuf_printf(out, "\\x%02x", (unsigned)c);
                else if (c < 0x10000)
                    r = dbuf_printf(out, "\\u%04x", (unsigned)c);
                else
                    r = dbuf_printf(out, "\\U%08x", (unsigned)c);
            }
        }
        i += w;
    }
    return r != 0 ? r : dbuf_addc(out, '"');
}
