/*
 * call.c - helpers for template functions (struct tmpl_call, see tmpl.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "tmpl.h"

/* Record a function's failure message. */
int tmpl_call_fail(struct tmpl_call *call, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(call->err, sizeof(call->err), fmt, ap);
    va_end(ap);
    return VALS_EBACKEND;
}

/* The opaque pointer given to tmpl_set_userdata. */
void *tmpl_call_userdata(struct tmpl_call *call)
{
    return call->userdata;
}

/* The set whose execution called the function. */
struct tmpl *tmpl_call_template(struct tmpl_call *call)
{
    return call->tmpl;
}
