/*
 * rmk-encrypt.c - SOPS encryption of rmk's generated files (placeholder until lib/sops
 * lands: refuses with a clear error).
 */
#include "rmk-generate.h"

int rmk_encrypt_for_file(const char *path, struct dbuf *buf, struct verr *e)
{
    (void)buf;
    return verr_set(e, VALS_EUSAGE, "%s: --encrypt needs SOPS support, not built yet", path);
}
