/*
 * rmk-manager.h - the batch encrypt/decrypt behind `rmk secret manager encrypt|decrypt`.
 */
#ifndef RMK_MANAGER_H
#define RMK_MANAGER_H

#include <stddef.h>

#include "lib/verr.h"

struct cmd_entry;
/* The whole command: flags -s/-e (and their environment variables), run, report. */
int rmk_manager_cmd(const struct cmd_entry *entry, int decrypt, int argc, char **argv);
int rmk_manager_crypt(int decrypt, const char *const *scopes, size_t nscopes,
                      const char *const *envs, size_t nenvs, struct verr *e);

#endif
