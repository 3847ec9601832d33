/*
 * rmk.c - main() of rmk, the lightweight client for RMK's secrets workflow.
 */
#include "cmd.h"

int main(int argc, char **argv)
{
    return cmd_main(argc - 1, argv + 1);
}
