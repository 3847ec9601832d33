/*
 * ctx.h - credential contexts: the environment a client sends (context.set or an inline
 * opts.env) plus the peer's uid.  Backends read variables only from here, never from
 * valsd's own environment.  Contexts are interned (same uid + same variables = same
 * object) and reference counted; the id is a short hash of their content.
 *
 * Each backend depends on a subset of the variables (its prefixes, e.g. "AWS_"); the
 * "scope" of (context, backend) hashes only that subset, so cache entries are shared by
 * clients whose relevant credentials are identical and never across different ones.
 */
#ifndef VALSD_CTX_H
#define VALSD_CTX_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/doc.h"
#include "lib/verr.h"

#define CTX_MAX_VARS  512
#define CTX_MAX_VALUE 65536

struct ctx_var {
    char *name;
    char *value;
};

#define CTX_SCOPE_MEMO 8 /* scopes remembered per context (one per backend in use) */

/* A computed scope: the prefix list it is for (each prefix NUL-terminated, then one
 * more NUL; malloc'ed) and the 32 hex digits. */
struct ctx_scope_memo {
    char *prefixes;
    char scope[33];
};

struct ctx {
    unsigned refs;
    char id[17]; /* 16 hex digits */
    uid_t uid;
    size_t n;
    struct ctx_var *vars; /* sorted by name */
    struct ctx *next;     /* intern table chain */
    /* ctx_scope results: a context never changes once interned, so its scope for a
     * given prefix list is computed (SHA-256) once, not on every cached lookup */
    struct ctx_scope_memo memo[CTX_SCOPE_MEMO];
    unsigned nmemo;
};

/* The context of (uid, map of NAME -> string value). *out holds a new reference. */
int ctx_from_doc(uid_t uid, const struct doc *env, struct ctx **out, struct verr *e);
/* The empty context of a uid (new reference). */
struct ctx *ctx_empty(uid_t uid);
struct ctx *ctx_ref(struct ctx *c);
void ctx_unref(struct ctx *c);
/* A variable's value or NULL. */
const char *ctx_get(const struct ctx *c, const char *name, size_t len);
/* The scope hash (32 hex digits + NUL) of the variables whose names start with one of
 * `prefixes` (NULL-terminated; NULL means none: the scope is the uid only).  Remembered
 * in the context per prefix list (compared by content), so repeated calls are cheap. */
void ctx_scope(const struct ctx *c, const char *const *prefixes, char out[33]);
/* Number of live contexts (for stats). */
size_t ctx_count(void);

#endif
