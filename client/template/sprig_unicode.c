/*
 * sprig_unicode.c - UTF-8 decoding and the parts of Go's unicode package that Sprig's
 * string functions use (IsSpace, IsUpper, ToUpper, IsPunct, ...), plus strconv.Quote.
 *
 * Case mapping and the letter classes come from glibc's C.UTF-8 locale (towupper_l,
 * iswalpha_l, ...), so no table of our own is needed for them; Go's exact ASCII and
 * Latin-1 rules, white space, title case and the digit/number/punctuation ranges that
 * POSIX classes do not express are written out here.  Outside ASCII the classes follow
 * glibc's Unicode version, which may differ from Go's for rare code points.
 */
#include <locale.h>
#include <pthread.h>
#include <wctype.h>

#include "sprig_internal.h"

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

/* Open glibc's built-in UTF-8 locale once (LC_CTYPE only). */
static void utf8_locale_open(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (utf8_locale == (locale_t)0)
        utf8_locale = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
}

/* The UTF-8 locale, or 0 when the system has none (then only ASCII is classified). */
static locale_t loc(void)
{
    pthread_once(&utf8_once, utf8_locale_open);
    return utf8_locale;
}

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
static int in_ranges(int32_t r, const int32_t (*ranges)[2], size_t n)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r < ranges[mid][0])
            hi = mid;
        else if (r > ranges[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
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
    if (r <= 0xFF)
        return r >= 0xC0 && r <= 0xDE && r != 0xD7;
    return loc() != (locale_t)0 && iswupper_l((wint_t)r, loc()) && !sprig_is_title(r);
}

int sprig_is_lower(int32_t r)
{
    if (r < 0x80)
        return r >= 'a' && r <= 'z';
    if (r <= 0xFF)
        return (r >= 0xDF && r <= 0xFF && r != 0xF7) || r == 0xB5;
    return loc() != (locale_t)0 && iswlower_l((wint_t)r, loc()) && !sprig_is_title(r);
}

int sprig_is_title(int32_t r)
{
    static const int32_t lt[][2] = {
        {0x01C5, 0x01C5}, {0x01C8, 0x01C8}, {0x01CB, 0x01CB}, {0x01F2, 0x01F2}, {0x1F88, 0x1F8F},
        {0x1F98, 0x1F9F}, {0x1FA8, 0x1FAF}, {0x1FBC, 0x1FBC}, {0x1FCC, 0x1FCC}, {0x1FFC, 0x1FFC}};

    return in_ranges(r, lt, sizeof(lt) / sizeof(lt[0]));
}

int sprig_is_letter(int32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    if (r <= 0xFF)
        return r == 0xAA || r == 0xB5 || r == 0xBA || (r >= 0xC0 && r != 0xD7 && r != 0xF7);
    return loc() != (locale_t)0 && iswalpha_l((wint_t)r, loc()) && !sprig_is_digit(r) &&
           !sprig_is_number(r);
}

int sprig_is_digit(int32_t r)
{
    /* the zero of every decimal digit block (Unicode Nd) */
    static const int32_t zeros[] = {
        0x0030,  0x0660,  0x06F0,  0x07C0,  0x0966,  0x09E6,  0x0A66,  0x0AE6,  0x0B66,  0x0BE6,
        0x0C66,  0x0CE6,  0x0D66,  0x0DE6,  0x0E50,  0x0ED0,  0x0F20,  0x1040,  0x1090,  0x17E0,
        0x1810,  0x1946,  0x19D0,  0x1A80,  0x1A90,  0x1B50,  0x1BB0,  0x1C40,  0x1C50,  0xA620,
        0xA8D0,  0xA900,  0xA9D0,  0xA9F0,  0xAA50,  0xABF0,  0xFF10,  0x104A0, 0x10D30, 0x11066,
        0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0,
        0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16B50, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0};

    if (r < 0x80)
        return r >= '0' && r <= '9';
    if (r >= 0x1D7CE && r <= 0x1D7FF)
        return 1;
    for (size_t i = 0; i < sizeof(zeros) / sizeof(zeros[0]); i++)
        if (r >= zeros[i] && r <= zeros[i] + 9)
            return 1;
    return 0;
}

int sprig_is_number(int32_t r)
{
    /* Unicode Nl and No (letter-like and other numbers), the common blocks */
    static const int32_t nums[][2] = {
        {0x00B2, 0x00B3},   {0x00B9, 0x00B9},  {0x00BC, 0x00BE}, {0x09F4, 0x09F9},
        {0x0BF0, 0x0BF2},   {0x0F2A, 0x0F33},  {0x1369, 0x137C}, {0x16EE, 0x16F0},
        {0x2070, 0x2070},   {0x2074, 0x2079},  {0x2080, 0x2089}, {0x2150, 0x2182},
        {0x2185, 0x2189},   {0x2460, 0x249B},  {0x24EA, 0x24FF}, {0x2776, 0x2793},
        {0x2CFD, 0x2CFD},   {0x3007, 0x3007},  {0x3021, 0x3029}, {0x3038, 0x303A},
        {0x3192, 0x3195},   {0x3220, 0x3229},  {0x3248, 0x324F}, {0x3251, 0x325F},
        {0x3280, 0x3289},   {0x32B1, 0x32BF},  {0xA6E6, 0xA6EF}, {0x10107, 0x10133},
        {0x1D360, 0x1D378}, {0x1F100, 0x1F10C}};

    return sprig_is_digit(r) || in_ranges(r, nums, sizeof(nums) / sizeof(nums[0]));
}

int sprig_is_punct(int32_t r)
{
    static const int32_t punct[][2] = {
        {0x00A1, 0x00A1}, {0x00A7, 0x00A7}, {0x00AB, 0x00AB}, {0x00B6, 0x00B7}, {0x00BB, 0x00BB},
        {0x00BF, 0x00BF}, {0x037E, 0x037E}, {0x0387, 0x0387}, {0x055A, 0x055F}, {0x0589, 0x058A},
        {0x05BE, 0x05BE}, {0x05C0, 0x05C0}, {0x05C3, 0x05C3}, {0x05C6, 0x05C6}, {0x05F3, 0x05F4},
        {0x0609, 0x060A}, {0x060C, 0x060D}, {0x061B, 0x061B}, {0x061E, 0x061F}, {0x066A, 0x066D},
        {0x06D4, 0x06D4}, {0x0964, 0x0965}, {0x0970, 0x0970}, {0x2010, 0x2027}, {0x2030, 0x2043},
        {0x2045, 0x2051}, {0x2053, 0x205E}, {0x207D, 0x207E}, {0x208D, 0x208E}, {0x2308, 0x230B},
        {0x2329, 0x232A}, {0x2768, 0x2775}, {0x27C5, 0x27C6}, {0x27E6, 0x27EF}, {0x2983, 0x2998},
        {0x29D8, 0x29DB}, {0x29FC, 0x29FD}, {0x2E00, 0x2E2E}, {0x2E30, 0x2E4F}, {0x3001, 0x3003},
        {0x3008, 0x3011}, {0x3014, 0x301F}, {0x3030, 0x3030}, {0x303D, 0x303D}, {0x30A0, 0x30A0},
        {0x30FB, 0x30FB}, {0xFE10, 0xFE19}, {0xFE30, 0xFE52}, {0xFE54, 0xFE61}, {0xFE63, 0xFE63},
        {0xFE68, 0xFE68}, {0xFE6A, 0xFE6B}, {0xFF01, 0xFF03}, {0xFF05, 0xFF0A}, {0xFF0C, 0xFF0F},
        {0xFF1A, 0xFF1B}, {0xFF1F, 0xFF20}, {0xFF3B, 0xFF3D}, {0xFF3F, 0xFF3F}, {0xFF5B, 0xFF5B},
        {0xFF5D, 0xFF5D}, {0xFF5F, 0xFF65}};

    if (r < 0x80) {
        /* Go's P* category in ASCII: not the symbols $ + < = > ^ ` | ~ */
        switch (r) {
        case '!':
        case '"':
        case '#':
        case '%':
        case '&':
        case '\'':
        case '(':
        case ')':
        case '*':
        case ',':
        case '-':
        case '.':
        case '/':
        case ':':
        case ';':
        case '?':
        case '@':
        case '[':
        case '\\':
        case ']':
        case '_':
        case '{':
        case '}':
            return 1;
        default:
            return 0;
        }
    }
    return in_ranges(r, punct, sizeof(punct) / sizeof(punct[0]));
}

int sprig_is_print(int32_t r)
{
    static const int32_t format[][2] = {{0x0600, 0x0605}, {0x061C, 0x061C}, {0x06DD, 0x06DD},
                                        {0x070F, 0x070F}, {0x180E, 0x180E}, {0x200B, 0x200F},
                                        {0x202A, 0x202E}, {0x2060, 0x2064}, {0x2066, 0x206F},
                                        {0xD800, 0xF8FF}, {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}};

    if (r < 0x80)
        return r >= 0x20 && r < 0x7F;
    if (r <= 0xFF)
        return r > 0xA0 && r != 0xAD;
    if (sprig_is_space(r) || in_ranges(r, format, sizeof(format) / sizeof(format[0])) ||
        r >= 0xF0000)
        return 0;
    return loc() != (locale_t)0 && iswprint_l((wint_t)r, loc());
}

int32_t sprig_to_upper(int32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') ? r - 32 : r;
    if (loc() == (locale_t)0)
        return r;
    return (int32_t)towupper_l((wint_t)r, loc());
}

int32_t sprig_to_lower(int32_t r)
{
    if (r < 0x80)
        return (r >= 'A' && r <= 'Z') ? r + 32 : r;
    if (loc() == (locale_t)0)
        return r;
    return (int32_t)towlower_l((wint_t)r, loc());
}

int32_t sprig_to_title(int32_t r)
{
    /* the four digraphs have a title case distinct from their upper case */
    if (r >= 0x01C4 && r <= 0x01C6)
        return 0x01C5;
    if (r >= 0x01C7 && r <= 0x01C9)
        return 0x01C8;
    if (r >= 0x01CA && r <= 0x01CC)
        return 0x01CB;
    if (r >= 0x01F1 && r <= 0x01F3)
        return 0x01F2;
    return sprig_to_upper(r);
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
