/*
 * verr.h - an error code plus a human-readable message that names the file, line, ref or
 * key at fault.  Functions that can fail for a reason worth explaining take a
 * `struct verr *` (which may be NULL) and return the same negative VALS_E* code that they
 * store in it.  Messages never contain secret values.
 */
#ifndef VALS_VERR_H
#define VALS_VERR_H

#include <stddef.h>

#include "valsd/errors.h"

#define VERR_MSG_MAX 1024

struct verr {
    int code;               /* 0 or a negative VALS_E* code */
    char msg[VERR_MSG_MAX]; /* NUL-terminated, may be empty */
};

/* Record `code` and a printf-style message in `e` (when not NULL); returns `code`. */
int verr_set(struct verr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix the message already in `e` with "prefix: " (printf-style); returns e->code. */
int verr_prefix(struct verr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset to "no error". */
void verr_clear(struct verr *e);

/* The message when set, else the default text of the code. Never NULL. */
const char *verr_text(const struct verr *e);

#endif
