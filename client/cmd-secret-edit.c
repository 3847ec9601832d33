/*
 * cmd-secret-edit.c - "rmk secret edit FILE": Edit a SOPS file with $EDITOR (creating it when
 * missing). (see rmk-secret.c).
 */
#include <stdio.h>

#include "cmd.h"
#include "rmk-secret.h"

static int cmd_secret_edit_exec(int argc, char **argv)
{
    struct verr e = {0};
    int rc;

    if (cmd_wants_help(&cmd_secret_edit_entry, argc, argv))
        return CMD_EXIT_OK;
    if (argc != 2 || argv[1][0] == '-') {
        cmd_error(&cmd_secret_edit_entry, "takes exactly one file");
        return CMD_EXIT_USAGE;
    }
    rc = rmk_secret_edit(argv[1], &e);
    if (rc > 0) {
        fprintf(stderr, "rmk secret edit: warning: %s\n", verr_text(&e));
        return CMD_EXIT_OK;
    }
    if (rc != 0) {
        cmd_error(&cmd_secret_edit_entry, "%s", verr_text(&e));
        return rc == VALS_EUSAGE ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
    }
    return CMD_EXIT_OK;
}

const struct cmd_entry cmd_secret_edit_entry = {
    .name = "secret edit",
    .alias = NULL,
    .usage = "FILE",
    .help = "Edit a SOPS file with $EDITOR (creating it when missing).",
    .details = "FILE is decrypted into a private temporary file (0600, in a 0700 directory under\n"
               "$XDG_RUNTIME_DIR or /tmp) and $EDITOR (default vi) runs on it. When the text\n"
               "changed, FILE is encrypted again with its data key (unchanged values keep their\n"
               "ciphertext) or, for a new file, with the recipients of its .sops.yaml. The\n"
               "temporary file is overwritten and removed on every exit path.\n",
    .exec = cmd_secret_edit_exec,
};
