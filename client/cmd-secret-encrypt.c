/*
 * cmd-secret-encrypt.c - "rmk secret encrypt FILE": SOPS-encrypt a file in place with the
 * .sops.yaml that governs it (atomically, keeping its mode).
 */
#include "cmd.h"
#include "rmk-secret-file.h"

static int cmd_secret_encrypt_exec(int argc, char **argv)
{
    struct verr e = {0};
    int rc;

    if (argc != 2) {
        cmd_error(&cmd_secret_encrypt_entry, "expected one FILE");
        return CMD_EXIT_USAGE;
    }
    rc = rmk_secret_encrypt_file(argv[1], &e);
    if (rc != 0)
        cmd_error(&cmd_secret_encrypt_entry, "%s", verr_text(&e));
    return rc == 0 ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}

const struct cmd_entry cmd_secret_encrypt_entry = {
    .name = "secret encrypt",
    .alias = "secret e",
    .usage = "FILE",
    .help = "SOPS-encrypt a file in place with the recipients of its .sops.yaml.",
    .details = "The .sops.yaml is found by walking up from FILE; its first creation rule whose\n"
               "path_regex matches FILE gives the age recipients and the selection rule.\n",
    .exec = cmd_secret_encrypt_exec,
};
