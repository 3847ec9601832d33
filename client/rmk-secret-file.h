/*
 * rmk-secret-file.h - shared by `rmk secret encrypt|decrypt|view|edit FILE`.
 */
#ifndef RMK_SECRET_FILE_H
#define RMK_SECRET_FILE_H

#include "lib/dbuf.h"
#include "lib/sops.h"
#include "lib/verr.h"

/* Identities: the RMK tenant's keys when inside a project, then SOPS_AGE_KEY,
 * SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and ~/.config/sops/age/keys.txt. */
int rmk_identities(struct sops_identities *ids, struct verr *e);
/* Decrypt a SOPS file into `plain` (the file is unchanged). */
int rmk_secret_decrypt_file(const char *path, struct dbuf *plain, struct verr *e);
/* Encrypt a plaintext file in place with its .sops.yaml (atomic, mode kept). */
int rmk_secret_encrypt_file(const char *path, struct verr *e);

#endif
