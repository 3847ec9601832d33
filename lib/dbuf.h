/*
 * dbuf.h - growable byte buffer with a hard size cap (curl's dynbuf idea) and openssh's
 * memory hygiene: growing never leaves an old copy behind (the old block is zeroed before
 * it is freed), and dbuf_free() zeroes the bytes.  Use it for anything that may hold a
 * secret: rendered templates, msgpack replies, decrypted files.
 *
 * The buffer is always NUL-terminated (p[len] == 0) once anything was added, so text
 * users can treat p as a C string.  On any failure the buffer keeps its old content.
 */
#ifndef VALS_DBUF_H
#define VALS_DBUF_H

#include <stdarg.h>
#include <stddef.h>

struct dbuf {
    char *p;    /* NULL until the first add */
    size_t len; /* bytes used, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard cap on len; 0 means the default (1 GiB) */
};

#define DBUF_INIT                                                                                  \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

void dbuf_init(struct dbuf *b, size_t max);
/* Ensure room for `more` bytes plus NUL. 0, VALS_ENOMEM or VALS_ETOO_LARGE. */
int dbuf_reserve(struct dbuf *b, size_t more);
int dbuf_add(struct dbuf *b, const void *data, size_t len);
int dbuf_adds(struct dbuf *b, const char *s);
int dbuf_addc(struct dbuf *b, char c);
int dbuf_printf(struct dbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dbuf_vprintf(struct dbuf *b, const char *fmt, va_list ap);
/* Drop the content (zeroed) but keep the allocation. */
void dbuf_reset(struct dbuf *b);
/* Zero and free; the buffer may be reused after dbuf_init. */
void dbuf_free(struct dbuf *b);
/* Hand the bytes over to the caller (who must free them with secure_free or free);
 * the buffer becomes empty.  Returns "" (allocated) when nothing was added; NULL on OOM. */
char *dbuf_take(struct dbuf *b, size_t *len);

/* Zero `len` bytes in a way the compiler cannot drop. */
void secure_zero(void *p, size_t len);
/* Zero then free a block of `len` bytes (NULL is fine). */
void secure_free(void *p, size_t len);
/* Zero then free a NUL-terminated string (NULL is fine). */
void secure_free_str(char *s);

#endif
