/*
 * rmk-secret.h - the single-file secret commands (`rmk secret encrypt|decrypt|view|edit`).
 *
 * Each returns 0, a negative VALS_E* code with the reason in `e`, or a positive note: the
 * file was skipped (already in the wanted state) or left unchanged; `e` then holds the
 * warning to print.
 */
#ifndef RMK_SECRET_H
#define RMK_SECRET_H

#include <stdio.h>

#include "lib/verr.h"

#define RMK_SECRET_SKIPPED   1 /* encrypt: already encrypted; decrypt: not encrypted */
#define RMK_SECRET_UNCHANGED 2 /* edit: the text did not change, nothing written */

/* Encrypt in place with the .sops.yaml that governs the file. */
int rmk_secret_encrypt(const char *path, struct verr *e);
/* Decrypt in place. */
int rmk_secret_decrypt(const char *path, struct verr *e);
/* Decrypt to `out`. */
int rmk_secret_view(const char *path, FILE *out, struct verr *e);
/* Edit with $EDITOR; creates the file when it does not exist. */
int rmk_secret_edit(const char *path, struct verr *e);

#endif
