/*
 * utf8.h - UTF-8 decoding and encoding with Go's unicode/utf8 rules: an invalid or
 * truncated sequence decodes as U+FFFD of width 1, surrogates and overlong forms are
 * invalid, encoding an invalid rune writes U+FFFD.
 */
#ifndef TMPL_UTF8_H
#define TMPL_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_RUNE_ERROR 0xFFFDu
#define UTF8_MAX_RUNE   0x10FFFFu
#define UTF8_RUNE_SELF  0x80u

/* Decode the first rune of s[0..n); *width gets its length (0 when n == 0). */
uint32_t utf8_decode(const char *s, size_t n, size_t *width);
/* Decode the last rune of s[0..n) (utf8.DecodeLastRune). */
uint32_t utf8_decode_last(const char *s, size_t n, size_t *width);
/* Encode r into out (4 bytes room); returns the length. */
size_t utf8_encode(uint32_t r, char *out);
/* Number of runes in s[0..n) (utf8.RuneCount). */
size_t utf8_count(const char *s, size_t n);
/* utf8.ValidRune */
int utf8_valid_rune(uint32_t r);
/* utf8.ValidString */
int utf8_valid(const char *s, size_t n);

#endif
