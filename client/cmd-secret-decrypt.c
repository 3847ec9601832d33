/*
 * cmd-secret-decrypt.c - "rmk secret decrypt FILE": decrypt a SOPS file in place
 * (atomically, keeping its mode; on error the file is untouched).
 */
#include "cmd.h"
#include "lib/fsutil.h"
#include "rmk-secret-file.h"

static int cmd_secret_decrypt_exec(int argc, char **argv)
{
    struct dbuf plain = DBUF_INIT;
    struct verr e = {0};
    int rc;

    if (argc != 2) {
        cmd_error(&cmd_secret_decrypt_entry, "expected one FILE");
        return CMD_EXIT_USAGE;
    }
    rc = rmk_secret_decrypt_file(argv[1], &plain, &e);
    if (rc == 0)
        rc = fsutil_write_atomic(argv[1], plain.p ? plain.p : "", plain.len, FSUTIL_KEEP_MODE, &e);
    if (rc != 0)
        cmd_error(&cmd_secret_decrypt_entry, "%s", verr_text(&e));
    dbuf_free(&plain);
    return rc == 0 ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}

const struct cmd_entry cmd_secret_decrypt_entry = {
    .name = "secret decrypt",
    .alias = "secret d",
    .usage = "FILE",
    .help = "Decrypt a SOPS-encrypted file in place.",
    .details = "Identities as for 'rmk secret view'. The write is atomic and keeps the mode.\n",
    .exec = cmd_secret_decrypt_exec,
};
