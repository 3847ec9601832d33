/*
 * valsctl.c - the daemon's command line (work in progress).
 */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "valsctl: not built yet\n");
    return 1;
}
