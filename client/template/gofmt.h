/*
 * gofmt.h - Go's fmt package for template values: Sprint, Sprintln, Sprintf with every
 * verb and flag, and the error forms (%!d(string=x), %!(EXTRA ...), %!v(MISSING),
 * %!(BADWIDTH), %!(NOVERB)).  Arguments are executor values seen as Go's `any`: the
 * invalid value and nil interfaces are nil.
 *
 * Output goes to a dbuf whose cap (dbuf.max) bounds the result; a write past the cap
 * fails with VALS_ETOO_LARGE.
 */
#ifndef TMPL_GOFMT_H
#define TMPL_GOFMT_H

#include "lib/dbuf.h"
#include "value.h"

/* fmt.Sprint(args...) */
int gofmt_sprint(struct dbuf *out, const struct tval *args, size_t n);
/* fmt.Sprintln(args...) */
int gofmt_sprintln(struct dbuf *out, const struct tval *args, size_t n);
/* fmt.Sprintf(format, args...) */
int gofmt_sprintf(struct dbuf *out, const char *format, size_t flen, const struct tval *args,
                  size_t n);
/* Format a reflect.Value with one verb, as fmt does for a reflect.Value argument
 * ("range can't iterate over %v"). */
int gofmt_value(struct dbuf *out, const struct tval *v, char verb);

/* Indexes of the data pairs of map m in Go's sorted order (fmtsort: strings by bytes,
 * numbers by value); free the result.  NULL on out-of-memory. */
size_t *gofmt_sorted_keys(const struct doc *m, size_t *n);

#endif
