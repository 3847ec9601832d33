/*
 * unicode.c - lookups in the generated Unicode range tables (see unicode.h).
 */
#include "unicode.h"

int unicode_in_table(const uint32_t (*tab)[2], size_t n, uint32_t r)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r < tab[mid][0])
            hi = mid;
        else if (r > tab[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* unicode.IsLetter */
int unicode_is_letter(uint32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    return unicode_in_table(unicode_letter_tab, unicode_letter_tab_len, r);
}

/* unicode.IsDigit */
int unicode_is_digit(uint32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    return unicode_in_table(unicode_digit_tab, unicode_digit_tab_len, r);
}

/* unicode.IsPrint */
int unicode_is_print(uint32_t r)
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7F;
    return unicode_in_table(unicode_print_tab, unicode_print_tab_len, r);
}
