/*
 * ftoa.h - strconv.AppendFloat(dst, f, fmt, prec, 64) in C: formats 'e' 'E' 'f' 'g' 'G'
 * (decimal, correctly rounded; prec < 0 means the shortest text that reads back), 'b'
 * (mantissa p exponent) and 'x' 'X' (hexadecimal), with Go's exact layout.
 */
#ifndef TMPL_FTOA_H
#define TMPL_FTOA_H

#include "lib/dbuf.h"

int ftoa_format(struct dbuf *out, double f, char fmt, int prec);

#endif
