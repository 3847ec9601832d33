/*
 * cmd-secret-view.c - "rmk secret view FILE": Print the decrypted content of a SOPS file. (see
 * rmk-secret.c).
 */
#include <stdio.h>

#include "cmd.h"
#include "rmk-secret.h"

static int cmd_secret_view_exec(int argc, char **argv)
{
    struct verr e = {0};
    int rc;

    if (cmd_wants_help(&cmd_secret_view_entry, argc, argv))
        return CMD_EXIT_OK;
    if (argc != 2 || argv[1][0] == '-') {
        cmd_error(&cmd_secret_view_entry, "takes exactly one file");
        return CMD_EXIT_USAGE;
    }
    rc = rmk_secret_view(argv[1], stdout, &e);
    if (rc > 0) {
        fprintf(stderr, "rmk secret view: warning: %s\n", verr_text(&e));
        return CMD_EXIT_OK;
    }
    if (rc != 0) {
        cmd_error(&cmd_secret_view_entry, "%s", verr_text(&e));
        return rc == VALS_EUSAGE ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
    }
    return CMD_EXIT_OK;
}

const struct cmd_entry cmd_secret_view_entry = {
    .name = "secret view",
    .alias = "secret v",
    .usage = "FILE",
    .help = "Print the decrypted content of a SOPS file.",
    .details = "Nothing is written to the disk.\n",
    .exec = cmd_secret_view_exec,
};
