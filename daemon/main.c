/*
 * main.c - valsd entry point (work in progress: the server lands next).
 */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "valsd: not built yet\n");
    return 1;
}
