/*
 * unicode.h - the Unicode properties Go's text/template depends on: letters and digits
 * (identifiers), printable runes (strconv.Quote, %q, %U, the js escaper).  The tables
 * in unicode_tab.c are generated from Go's unicode package (tests/go/unigen).
 */
#ifndef TMPL_UNICODE_H
#define TMPL_UNICODE_H

#include <stddef.h>
#include <stdint.h>

extern const uint32_t unicode_letter_tab[][2];
extern const size_t unicode_letter_tab_len;
extern const uint32_t unicode_digit_tab[][2];
extern const size_t unicode_digit_tab_len;
extern const uint32_t unicode_print_tab[][2];
extern const size_t unicode_print_tab_len;

/* Binary search of r in a sorted table of n inclusive [lo, hi] ranges. */
int unicode_in_table(const uint32_t (*tab)[2], size_t n, uint32_t r);
/* unicode.IsLetter */
int unicode_is_letter(uint32_t r);
/* unicode.IsDigit */
int unicode_is_digit(uint32_t r);
/* unicode.IsPrint (the same set as strconv.IsPrint) */
int unicode_is_print(uint32_t r);

#endif
