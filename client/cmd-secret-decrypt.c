/*
 * cmd-secret-decrypt.c - "rmk secret decrypt FILE": Decrypt a SOPS file in place. (see
 * rmk-secret.c).
 */
#include <stdio.h>

#include "cmd.h"
#include "rmk-secret.h"

static int cmd_secret_decrypt_exec(int argc, char **argv)
{
    struct verr e = {0};
    int rc;

    if (cmd_wants_help(&cmd_secret_decrypt_entry, argc, argv))
        return CMD_EXIT_OK;
    if (argc != 2 || argv[1][0] == '-') {
        cmd_error(&cmd_secret_decrypt_entry, "takes exactly one file");
        return CMD_EXIT_USAGE;
    }
    rc = rmk_secret_decrypt(argv[1], &e);
    if (rc > 0) {
        fprintf(stderr, "rmk secret decrypt: warning: %s\n", verr_text(&e));
        return CMD_EXIT_OK;
    }
    if (rc != 0) {
        cmd_error(&cmd_secret_decrypt_entry, "%s", verr_text(&e));
        return rc == VALS_EUSAGE ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
    }
    return CMD_EXIT_OK;
}

const struct cmd_entry cmd_secret_decrypt_entry = {
    .name = "secret decrypt",
    .alias = "secret d",
    .usage = "FILE",
    .help = "Decrypt a SOPS file in place.",
    .details = "Identities: ~/.rmk/sops-age-keys/<tenant>/*.txt, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE,\n"
               "SOPS_AGE_KEY_CMD, ~/.config/sops/age/keys.txt. A file that is not encrypted is\n"
               "left as it is (warning). The write is atomic and keeps the mode of FILE.\n",
    .exec = cmd_secret_decrypt_exec,
};
