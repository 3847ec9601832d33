/*
 * strconv.h - the parts of Go's strconv the template engine needs, with Go's exact
 * rules: quoting (Quote, QuoteToASCII, QuoteRune, CanBackquote), unquoting of Go string
 * and character literals, and parsing of Go number literals (base prefixes, underscores,
 * hexadecimal floats).
 */
#ifndef TMPL_STRCONV_H
#define TMPL_STRCONV_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dbuf.h"

#define STRCONV_ESYNTAX (-1)
#define STRCONV_ERANGE  (-2)

/* Append s quoted with `quote` ('"' normally) like strconv.AppendQuote (ascii: ToASCII). */
int strconv_quote(struct dbuf *out, const char *s, size_t n, char quote, int ascii_only);
/* Append the rune r quoted like strconv.AppendQuoteRune (ascii: ToASCII). */
int strconv_quote_rune(struct dbuf *out, uint32_t r, int ascii_only);
/* strconv.CanBackquote */
int strconv_can_backquote(const char *s, size_t n);

/* strconv.UnquoteChar: decode one (possibly escaped) character of a literal quoted by
 * `quote`; *used gets the bytes consumed.  0 or STRCONV_ESYNTAX. */
int strconv_unquote_char(const char *s, size_t n, char quote, uint32_t *r, int *multibyte,
                         size_t *used);
/* strconv.Unquote of a "..." `...` or '...' literal; appends the value to out.
 * 0, STRCONV_ESYNTAX, or a VALS_E* code from the buffer. */
int strconv_unquote(const char *s, size_t n, struct dbuf *out);

/* strconv.ParseUint(s, 0, 64), ParseInt(s, 0, 64), ParseFloat(s, 64).
 * 0, STRCONV_ESYNTAX or STRCONV_ERANGE. */
int strconv_parse_uint(const char *s, size_t n, uint64_t *v);
int strconv_parse_int(const char *s, size_t n, int64_t *v);
int strconv_parse_float(const char *s, size_t n, double *v);

#endif
