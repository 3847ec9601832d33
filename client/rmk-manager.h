/*
 * rmk-manager.h - the batch encrypt/decrypt behind `rmk secret manager encrypt|decrypt`.
 */
#ifndef RMK_MANAGER_H
#define RMK_MANAGER_H

#include <stddef.h>

#include "lib/sops.h"
#include "lib/verr.h"
#include "rmk-project.h"

int rmk_manager_crypt(int decrypt, const char *const *scopes, size_t nscopes,
                      const char *const *envs, size_t nenvs, struct verr *e);

/* Identities for decryption: every .txt in ~/.rmk/sops-age-keys/<tenant>/ (when `proj` is not
 * NULL) plus SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the default keys.txt. */
int rmk_identities_load(const struct rmk_project *proj, struct sops_identities *ids,
                        struct verr *e);

#endif
