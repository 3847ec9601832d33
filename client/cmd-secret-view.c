/*
 * cmd-secret-view.c - "rmk secret view FILE": print the decrypted file on stdout.
 */
#include <stdio.h>

#include "cmd.h"
#include "rmk-secret-file.h"

static int cmd_secret_view_exec(int argc, char **argv)
{
    struct dbuf plain = DBUF_INIT;
    struct verr e = {0};
    int rc;

    if (argc != 2) {
        cmd_error(&cmd_secret_view_entry, "expected one FILE");
        return CMD_EXIT_USAGE;
    }
    rc = rmk_secret_decrypt_file(argv[1], &plain, &e);
    if (rc == 0 && plain.len > 0 && fwrite(plain.p, 1, plain.len, stdout) != plain.len)
        rc = verr_set(&e, VALS_EIO, "cannot write to stdout");
    if (rc != 0)
        cmd_error(&cmd_secret_view_entry, "%s", verr_text(&e));
    dbuf_free(&plain);
    return rc == 0 ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}

const struct cmd_entry cmd_secret_view_entry = {
    .name = "secret view",
    .alias = "secret v",
    .usage = "FILE",
    .help = "Print a SOPS-encrypted file decrypted, without changing it.",
    .details = "Identities: inside an RMK project the tenant's keys in ~/.rmk/sops-age-keys/,\n"
               "then SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and\n"
               "~/.config/sops/age/keys.txt. The MAC is verified.\n",
    .exec = cmd_secret_view_exec,
};
