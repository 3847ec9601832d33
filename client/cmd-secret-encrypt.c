/*
 * cmd-secret-encrypt.c - "rmk secret encrypt FILE": SOPS-encrypt a file in place with the
 * recipients of its .sops.yaml. (see rmk-secret.c).
 */
#include <stdio.h>

#include "cmd.h"
#include "rmk-secret.h"

static int cmd_secret_encrypt_exec(int argc, char **argv)
{
    struct verr e = {0};
    int rc;

    if (cmd_wants_help(&cmd_secret_encrypt_entry, argc, argv))
        return CMD_EXIT_OK;
    if (argc != 2 || argv[1][0] == '-') {
        cmd_error(&cmd_secret_encrypt_entry, "takes exactly one file");
        return CMD_EXIT_USAGE;
    }
    rc = rmk_secret_encrypt(argv[1], &e);
    if (rc > 0) {
        fprintf(stderr, "rmk secret encrypt: warning: %s\n", verr_text(&e));
        return CMD_EXIT_OK;
    }
    if (rc != 0) {
        cmd_error(&cmd_secret_encrypt_entry, "%s", verr_text(&e));
        return rc == VALS_EUSAGE ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
    }
    return CMD_EXIT_OK;
}

const struct cmd_entry cmd_secret_encrypt_entry = {
    .name = "secret encrypt",
    .alias = "secret e",
    .usage = "FILE",
    .help = "SOPS-encrypt a file in place with the recipients of its .sops.yaml.",
    .details = "The .sops.yaml is found by walking up from FILE; its first creation rule whose\n"
               "path_regex matches decides the age recipients and which values are encrypted.\n"
               "An already encrypted file is left as it is (warning). The write is atomic and\n"
               "keeps the mode of FILE.\n",
    .exec = cmd_secret_encrypt_exec,
};
