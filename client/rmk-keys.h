/*
 * rmk-keys.h - RMK's per-scope age keys and .sops.yaml recipients (shared by
 * `secret keys create` and `project generate --create-sops-age-keys`).
 */
#ifndef RMK_KEYS_H
#define RMK_KEYS_H

#include "lib/age.h"
#include "lib/verr.h"
#include "rmk-project.h"

/* Load <keydir>/<tenant>-<scope>.txt, or create it (0600); *created says which. */
int rmk_key_for_scope(const char *keydir, const char *tenant, const char *scope,
                      struct age_recipient *rcpt, int *created, struct verr *e);
/* Make sure the .sops.yaml at path lists `recipient` (created when missing). */
int rmk_sops_config_add_recipient(const char *path, const char *recipient, int *changed,
                                  struct verr *e);
/* `rmk secret keys create` for the project. */
int rmk_keys_create(const struct rmk_project *p, struct verr *e);

#endif
