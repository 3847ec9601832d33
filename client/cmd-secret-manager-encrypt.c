/*
 * cmd-secret-manager-encrypt.c - "rmk secret manager encrypt": encrypt every secret file of the
 * selected scopes and environments (see rmk-manager.c).
 */
#include "cmd.h"
#include "rmk-manager.h"

static int cmd_manager_encrypt_exec(int argc, char **argv)
{
    return rmk_manager_cmd(&cmd_secret_manager_encrypt_entry, 0, argc, argv);
}

const struct cmd_entry cmd_secret_manager_encrypt_entry = {
    .name = "secret manager encrypt",
    .alias = "secret m e",
    .usage = "[-s SCOPE]... [-e ENV]...",
    .help = "SOPS-encrypt every secret file of the selected scopes and environments.",
    .details = "  -s, --scope SCOPE      only etc/SCOPE (repeatable; $RMK_SECRET_MANAGER_SCOPE)\n"
               "  -e, --environment ENV  only environment ENV (repeatable)\n\n"
               "Every *.yaml in a secrets directory that has a .sops.yaml is encrypted in\n"
               "place with the recipients of its creation rule; files already encrypted are\n"
               "skipped with a warning. Files are processed in parallel; each write is atomic.\n",
    .exec = cmd_manager_encrypt_exec,
};
