/*
 * rmk-funcs.h - RMK's template functions on top of Go text/template + Sprig:
 *
 *   requiredEnv NAME         the variable's value; unset or empty is an error
 *   prompt NAME              "Enter NAME: " on the terminal, read without echo
 *   fetchSecretValue STRING  STRING evaluated through valsd (Helmfile's semantics: a
 *                            standalone ref keeps its type, refs inside text are expanded);
 *                            the result must be a string; the error names the ref
 *
 * fetchSecretValue asks valsd lazily and remembers answers; rmk_funcs_prefetch() resolves
 * every literal ref of a template text in one resolve_many beforehand, so a cold backend
 * is asked concurrently.  In "defer" mode prompt and fetchSecretValue do not run: they
 * write their own call back as template text, for a second pass (see
 * cmd-secret-manager-generate.c).
 */
#ifndef RMK_FUNCS_H
#define RMK_FUNCS_H

#include <stddef.h>

#include "rmk-config.h"
#include "template/tmpl.h"

struct batch;
struct vals_client;

struct rmk_funcs_ctx {
    struct vals_client *client; /* connected on first use */
    struct batch *batch;
    struct rmk_env extra; /* variables that win over the environment (provider creds) */
    int defer;            /* prompt/fetchSecretValue write their call back instead */
    size_t deferred;      /* calls deferred since the counter was reset */
    size_t fetched;       /* refs asked from valsd (for tests and logs) */
    int tty_fd;           /* /dev/tty for prompt, -1 until needed */
};

void rmk_funcs_ctx_init(struct rmk_funcs_ctx *ctx);
void rmk_funcs_ctx_free(struct rmk_funcs_ctx *ctx);
/* Register Sprig and the rmk functions on t, with ctx as their context. */
int rmk_funcs_register(struct tmpl *t, struct rmk_funcs_ctx *ctx);
/* Find `fetchSecretValue "literal"` calls in text and resolve their refs in one round
 * trip (duplicates once).  Refs are collected into *refs (appended, deduplicated). */
int rmk_funcs_collect(const char *text, size_t len, char ***refs, size_t *n);
int rmk_funcs_prefetch(struct rmk_funcs_ctx *ctx, char *const *refs, size_t n, struct verr *e);

extern const struct tmpl_func rmk_funcs[];
extern const size_t rmk_nfuncs;

#endif
