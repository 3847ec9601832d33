/*
 * rmk-config.h - RMK's per-environment configuration (~/.rmk/config/<ID>.yaml) and the
 * provider credential files written by `rmk config init`, read back to build the
 * credential context rmk sends to valsd (the active provider's credentials win over
 * exported variables; reference/rmk.md §2.3, §3.6, §5.2).
 */
#ifndef RMK_CONFIG_H
#define RMK_CONFIG_H

#include <stddef.h>

#include "lib/doc.h"
#include "lib/verr.h"

/* ~/.rmk/config/<id>.yaml (malloc'ed). */
char *rmk_config_path(const char *id);
/* Load the config file; *cfg is NULL (and 0 returned) when it does not exist. */
int rmk_config_load(const char *id, struct doc **cfg, struct verr *e);

/* Environment pairs of the active provider of config `cfg` (NULL: none), read from its
 * credential files.  Arrays are malloc'ed; free with rmk_env_free. */
struct rmk_env {
    char **names;
    char **values;
    size_t n;
};
int rmk_provider_env(const struct doc *cfg, struct rmk_env *env, struct verr *e);
int rmk_env_add(struct rmk_env *env, const char *name, const char *value);
void rmk_env_free(struct rmk_env *env);

#endif
