/*
 * client.c - libvalsclient (work in progress).
 */
#include <malloc.h>
#include <stdlib.h>

#include "../../lib/dbuf.h"
#include "valsd/client.h"

void vals_free(void *p)
{
    if (p != NULL)
        secure_free(p, malloc_usable_size(p));
}
