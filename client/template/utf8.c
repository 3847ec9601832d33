/*
 * utf8.c - UTF-8 with Go's rules (see utf8.h).
 */
#include "utf8.h"

/* Decode the first rune (Go's utf8.DecodeRune). */
uint32_t utf8_decode(const char *str, size_t n, size_t *width)
{
    const unsigned char *s = (const unsigned char *)str;
    uint32_t r;
    size_t need;

    if (n == 0) {
        *width = 0;
        return UTF8_RUNE_ERROR;
    }
    if (s[0] < 0x80) {
        *width = 1;
        return s[0];
    }
    *width = 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        need = 2;
        r = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        need = 3;
        r = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        need = 4;
        r = s[0] & 0x07;
    } else {
        return UTF8_RUNE_ERROR;
    }
    for (size_t i = 1; i < need; i++) {
        unsigned char lo = 0x80, hi = 0xBF;
        if (i == 1) {
            if (s[0] == 0xE0)
                lo = 0xA0;
            else if (s[0] == 0xED)
                hi = 0x9F;
            else if (s[0] == 0xF0)
                lo = 0x90;
            else if (s[0] == 0xF4)
                hi = 0x8F;
        }
        if (i >= n || s[i] < lo || s[i] > hi)
            return UTF8_RUNE_ERROR;
        r = (r << 6) | (s[i] & 0x3F);
    }
    *width = need;
    return r;
}

/* Decode the last rune (Go's utf8.DecodeLastRune). */
uint32_t utf8_decode_last(const char *str, size_t n, size_t *width)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t start, w;
    uint32_t r;

    if (n == 0) {
        *width = 0;
        return UTF8_RUNE_ERROR;
    }
    if (s[n - 1] < 0x80) {
        *width = 1;
        return s[n - 1];
    }
    /* back up over at most 3 continuation bytes to a possible start byte */
    start = n - 1;
    while (start > 0 && n - start < 4 && (s[start] & 0xC0) == 0x80)
        start--;
    r = utf8_decode(str + start, n - start, &w);
    if (start + w != n) {
        *width = 1;
        return UTF8_RUNE_ERROR;
    }
    *width = w;
    return r;
}

/* Encode a rune, U+FFFD for invalid ones (Go's utf8.EncodeRune). */
size_t utf8_encode(uint32_t r, char *out)
{
    unsigned char *o = (unsigned char *)out;

    if (!utf8_valid_rune(r))
        r = UTF8_RUNE_ERROR;
    if (r < 0x80) {
        o[0] = (unsigned char)r;
        return 1;
    }
    if (r < 0x800) {
        o[0] = (unsigned char)(0xC0 | (r >> 6));
        o[1] = (unsigned char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (r >> 12));
        o[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (r & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (r >> 18));
    o[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (r & 0x3F));
    return 4;
}

/* Count runes; each invalid byte counts as one (Go's utf8.RuneCount). */
size_t utf8_count(const char *s, size_t n)
{
    size_t count = 0, i = 0, w;

    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
        } else {
            utf8_decode(s + i, n - i, &w);
            i += w;
        }
        count++;
    }
    return count;
}

/* Is r a Unicode scalar value (not a surrogate, not above U+10FFFF)? */
int utf8_valid_rune(uint32_t r)
{
    return r <= UTF8_MAX_RUNE && !(r >= 0xD800 && r <= 0xDFFF);
}

/* Is s valid UTF-8? */
int utf8_valid(const char *s, size_t n)
{
    size_t i = 0, w;

    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        if (utf8_decode(s + i, n - i, &w) == UTF8_RUNE_ERROR && w == 1)
            return 0;
        i += w;
    }
    return 1;
}
