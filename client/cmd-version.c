/*
 * cmd-version.c - "rmk version": print the version of rmk.
 */
#include <stdio.h>

#include "cmd.h"

static int cmd_version_exec(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("rmk %s (valsd client)\n", VALS_VERSION);
    return CMD_EXIT_OK;
}

const struct cmd_entry cmd_version_entry = {
    .name = "version",
    .alias = NULL,
    .usage = "",
    .help = "Print the version of rmk.",
    .details = NULL,
    .exec = cmd_version_exec,
};
