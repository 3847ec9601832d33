/*
 * rmk-generate.h - `rmk secret manager generate` as a function (the command and the
 * benchmark use it), and the SOPS encryption of a generated file.
 */
#ifndef RMK_GENERATE_H
#define RMK_GENERATE_H

#include "lib/dbuf.h"
#include "lib/verr.h"

#define RMK_MAX_SELECT 64

struct rmk_generate_opts {
    const char *scopes[RMK_MAX_SELECT];
    size_t nscopes;
    const char *envs[RMK_MAX_SELECT];
    size_t nenvs;
    int force;
    int encrypt;
    int stats; /* print counts at the end */
};

int rmk_generate(const struct rmk_generate_opts *o, struct verr *e);
/* Replace the plaintext in `buf` with its SOPS encryption under the .sops.yaml that
 * applies to `path` (found by walking up from it). */
int rmk_encrypt_for_file(const char *path, struct dbuf *buf, struct verr *e);

#endif
