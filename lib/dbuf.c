/*
 * dbuf.c - capped growable buffer that never leaves copies of its bytes behind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbuf.h"
#include "valsd/errors.h"

#define DBUF_DEFAULT_MAX ((size_t)1 << 30)

void secure_zero(void *p, size_t len)
{
    if (p != NULL && len > 0)
        explicit_bzero(p, len);
}

void secure_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    secure_zero(p, len);
    free(p);
}

void secure_free_str(char *s)
{
    if (s != NULL)
        secure_free(s, strlen(s));
}

void dbuf_init(struct dbuf *b, size_t max)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

int dbuf_reserve(struct dbuf *b, size_t more)
{
    size_t max = b->max != 0 ? b->max : DBUF_DEFAULT_MAX;
    size_t need, cap;
    char *np;

    if (more > max || b->len > max - more)
        return VALS_ETOO_LARGE;
    need = b->len + more + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap != 0 ? b->cap : 64;
    while (cap < need)
        cap = cap > (SIZE_MAX / 2) ? need : cap * 2;
    /* Never realloc: the old block may hold secrets and must be zeroed, not abandoned. */
    np = malloc(cap);
    if (np == NULL)
        return VALS_ENOMEM;
    if (b->p != NULL) {
        memcpy(np, b->p, b->len + 1);
        secure_free(b->p, b->cap);
    } else {
        np[0] = '\0';
    }
    b->p = np;
    b->cap = cap;
    return 0;
}

int dbuf_add(struct dbuf *b, const void *data, size_t len)
{
    int r;

    if ((r = dbuf_reserve(b, len)) != 0)
        return r;
    if (len > 0)
        memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}

int dbuf_adds(struct dbuf *b, const char *s)
{
    return dbuf_add(b, s, strlen(s));
}

int dbuf_addc(struct dbuf *b, char c)
{
    return dbuf_add(b, &c, 1);
}

int dbuf_vprintf(struct dbuf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n, r;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return VALS_EINTERNAL;
    if ((r = dbuf_reserve(b, (size_t)n)) != 0)
        return r;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int dbuf_printf(struct dbuf *b, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = dbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

void dbuf_reset(struct dbuf *b)
{
    if (b->p != NULL) {
        secure_zero(b->p, b->len);
        b->p[0] = '\0';
    }
    b->len = 0;
}

void dbuf_free(struct dbuf *b)
{
    /* bytes past len were never written, or were zeroed when the buffer was reset */
    secure_free(b->p, b->p != NULL ? b->len + 1 : 0);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
}

char *dbuf_take(struct dbuf *b, size_t *len)
{
    char *p;

    if (b->p == NULL && dbuf_reserve(b, 0) != 0)
        return NULL;
    p = b->p;
    if (len != NULL)
        *len = b->len;
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
