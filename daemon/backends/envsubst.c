/*
 * envsubst.c - the envsubst backend: shell-like substitution over the request's
 * credential context (never valsd's own environment).  Pure computation: not cached.
 */
#include "../backend.h"
#include "lib/local_refs.h"

static const char *ctx_env(void *c, const char *name, size_t len)
{
    return ctx_get(c, name, len);
}

static int envsubst_fetch(struct backend_fetch *f)
{
    struct doc *d = NULL;
    struct verr e = {0};
    int rc = local_envsubst(&f->ref, f->mode == BACKEND_MAP, ctx_env, f->ctx, &d, &e);

    backend_complete(f, rc, d, rc != 0 ? "%s" : NULL, e.msg);
    return 0;
}

const struct backend backend_envsubst = {
    .scheme = "envsubst",
    .flags = BACKEND_NOCACHE,
    .env_prefixes = NULL,
    .default_ttl_s = 0,
    .locate = NULL,
    .fetch = envsubst_fetch,
    .fresh = NULL,
};
