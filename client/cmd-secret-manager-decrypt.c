/*
 * cmd-secret-manager-decrypt.c - "rmk secret manager decrypt": decrypt every secret file of the
 * selected scopes and environments (see rmk-manager.c).
 */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "rmk-generate.h"
#include "rmk-manager.h"

static int cmd_manager_decrypt_exec(int argc, char **argv)
{
    static const struct option opts[] = {{"scope", required_argument, NULL, 's'},
                                         {"environment", required_argument, NULL, 'e'},
                                         {NULL, 0, NULL, 0}};
    const char *scopes[RMK_MAX_SELECT], *envs[RMK_MAX_SELECT];
    size_t ns = 0, ne = 0;
    struct verr e = {0};
    int ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "s:e:", opts, NULL)) != -1) {
        if (ch == 's' && ns < RMK_MAX_SELECT)
            scopes[ns++] = optarg;
        else if (ch == 'e' && ne < RMK_MAX_SELECT)
            envs[ne++] = optarg;
        else if (ch != 's' && ch != 'e')
            return CMD_EXIT_USAGE;
    }
    if (optind != argc) {
        cmd_error(&cmd_secret_manager_decrypt_entry, "takes no positional arguments");
        return CMD_EXIT_USAGE;
    }
    if (getenv("RMK_SECRET_MANAGER_SCOPE") && ns == 0)
        scopes[ns++] = getenv("RMK_SECRET_MANAGER_SCOPE");
    if (getenv("RMK_SECRET_MANAGER_ENVIRONMENT") && ne == 0)
        envs[ne++] = getenv("RMK_SECRET_MANAGER_ENVIRONMENT");
    rc = rmk_manager_crypt(1, scopes, ns, envs, ne, &e);
    if (rc != 0)
        cmd_error(&cmd_secret_manager_decrypt_entry, "%s", verr_text(&e));
    return rc == 0 ? CMD_EXIT_OK : rc == VALS_EUSAGE ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
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
