/*
 * errors.c - names and messages of the one error space (include/valsd/errors.h).
 */
#include <string.h>

#include "valsd/errors.h"

struct error_info {
    int code;
    const char *name;
    const char *msg;
};

static const struct error_info error_table[] = {
#define VALS_ERROR_ROW(name, num, wire, msg) {-(num), wire, msg},
    VALS_ERROR_MAP(VALS_ERROR_ROW)
#undef VALS_ERROR_ROW
};

/* Find the table row of an error code, NULL when unknown. */
static const struct error_info *error_find(int err)
{
    for (size_t i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
        if (error_table[i].code == err)
            return &error_table[i];
    return NULL;
}

const char *vals_strerror(int err)
{
    const struct error_info *info;

    if (err == 0)
        return "ok";
    info = error_find(err);
    return info != NULL ? info->msg : "unknown error";
}

const char *vals_err_name(int err)
{
    const struct error_info *info;

    if (err == 0)
        return "ok";
    info = error_find(err);
    return info != NULL ? info->name : "internal";
}

int vals_err_from_name(const char *name, unsigned long len)
{
    for (size_t i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
        if (strlen(error_table[i].name) == len && memcmp(error_table[i].name, name, len) == 0)
            return error_table[i].code;
    return VALS_EINTERNAL;
}
