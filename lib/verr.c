/*
 * verr.c - error code plus message (see verr.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "verr.h"

int verr_set(struct verr *e, int code, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return code;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return code;
}

int verr_prefix(struct verr *e, const char *fmt, ...)
{
    char prefix[VERR_MSG_MAX];
    char old[VERR_MSG_MAX];
    va_list ap;

    if (e == NULL)
        return VALS_EINTERNAL;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof(old));
    if (old[0] == '\0')
        snprintf(old, sizeof(old), "%s", vals_strerror(e->code));
    snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
    return e->code;
}

void verr_clear(struct verr *e)
{
    if (e == NULL)
        return;
    e->code = 0;
    e->msg[0] = '\0';
}

const char *verr_text(const struct verr *e)
{
    if (e == NULL)
        return "unknown error";
    if (e->msg[0] != '\0')
        return e->msg;
    return vals_strerror(e->code);
}
