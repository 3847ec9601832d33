/*
 * echo.c - the echo backend: the ref's own key is the value (vals' echo provider).
 * ref+echo://foo/bar -> "foo/bar"; ref+echo://foo/bar/baz#/foo/bar -> "baz".
 */
#include "../backend.h"
#include "lib/local_refs.h"

static int echo_fetch(struct backend_fetch *f)
{
    struct doc *d = NULL;
    struct verr e = {0};
    int rc = local_echo(&f->ref, f->mode == BACKEND_MAP, &d, &e);

    backend_complete(f, rc, d, rc != 0 ? "%s" : NULL, e.msg);
    return 0;
}

const struct backend backend_echo = {
    .scheme = "echo",
    .flags = 0,
    .env_prefixes = NULL,
    .default_ttl_s = 0,
    .locate = NULL,
    .fetch = echo_fetch,
    .fresh = NULL,
};
