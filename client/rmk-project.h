/*
 * rmk-project.h - what every rmk command needs to know about the project it runs in:
 * the identity from git (tenant, environment, config ID; reference/rmk.md §1), the parsed
 * project.yaml, RMK's home paths (~/.rmk/...), and the selection of secrets directories
 * shared by the `secret manager` commands (rmk.md §2.1.1).
 */
#ifndef RMK_PROJECT_H
#define RMK_PROJECT_H

#include <stddef.h>

#include "lib/doc.h"
#include "lib/verr.h"

struct rmk_project {
    char *root;        /* git top-level directory */
    char *branch;      /* current branch */
    char *tenant;      /* first dot-separated part of the origin repository name */
    char *environment; /* develop / staging / production */
    char *id;          /* <tenant>-<env> or <tenant>-<suffix> */
    struct doc *file;  /* project.yaml (its "project" map), NULL when missing */
};

/* Tenant, environment and ID from the git repository around the working directory. */
int rmk_project_identity(struct rmk_project *p, struct verr *e);
/* Environment and ID suffix of a branch name (exposed for tests). */
int rmk_branch_environment(const char *branch, const char *tenant, char **env, char **id,
                           struct verr *e);
/* Tenant from an origin URL (exposed for tests). */
int rmk_tenant_from_url(const char *url, char **tenant, struct verr *e);
/* Read <root>/project.yaml into p->file; VALS_ENOT_FOUND when it does not exist. */
int rmk_project_load(struct rmk_project *p, struct verr *e);
void rmk_project_free(struct rmk_project *p);

/* project.spec.<key> or NULL. */
const struct doc *rmk_project_spec(const struct rmk_project *p, const char *key);
/* Scopes (project.spec.scopes) as strings; *n may be 0. Borrowed pointers. */
int rmk_project_scopes(const struct rmk_project *p, const char ***scopes, size_t *n);

/* ~/.rmk/sops-age-keys/<tenant> (malloc'ed). */
char *rmk_keys_dir(const char *tenant);

/* Directories `<...>/secrets` under <root>/etc that contain `marker`, selected by scopes and
 * environments as RMK's getOptionFiles does; sorted.  Free with rmk_strv_free. */
int rmk_select_secret_dirs(const struct rmk_project *p, const char *marker,
                           const char *const *scopes, size_t nscopes, const char *const *envs,
                           size_t nenvs, char ***dirs, size_t *ndirs, struct verr *e);
void rmk_strv_free(char **v, size_t n);

/* Run a program (no shell) and capture its stdout (trailing newline removed). */
int rmk_run_capture(const char *const *argv, char **out, struct verr *e);

#endif
