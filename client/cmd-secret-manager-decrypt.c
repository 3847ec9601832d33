/*
 * cmd-secret-manager-decrypt.c - "rmk secret manager decrypt": decrypt every secret file of the
 * selected scopes and environments (see rmk-manager.c).
 */
#include "cmd.h"
#include "rmk-manager.h"

static int cmd_manager_decrypt_exec(int argc, char **argv)
{
    return rmk_manager_cmd(&cmd_secret_manager_decrypt_entry, 1, argc, argv);
}

const struct cmd_entry cmd_secret_manager_decrypt_entry = {
    .name = "secret manager decrypt",
    .alias = "secret m d",
    .usage = "[-s SCOPE]... [-e ENV]...",
    .help = "Decrypt every secret file of the selected scopes and environments in place.",
    .details = "  -s, --scope SCOPE      only etc/SCOPE (repeatable; $RMK_SECRET_MANAGER_SCOPE)\n"
               "  -e, --environment ENV  only environment ENV (repeatable)\n\n"
               "Identities: ~/.rmk/sops-age-keys/<tenant>/*.txt, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE,\n"
               "SOPS_AGE_KEY_CMD, ~/.config/sops/age/keys.txt. Plaintext files are skipped with\n"
               "a warning. Files are processed in parallel; each write is atomic.\n",
    .exec = cmd_manager_decrypt_exec,
};
