/*
 * methods.h - the method table (redis/neovim style): each method declares its arity and
 * argument types, and dispatch validates them before any handler runs.
 *
 * A handler returns 0 when it has replied, METHOD_ASYNC when it will reply later (it then
 * holds a connection reference and calls conn_request_done when finished), or a negative
 * VALS_E* code with r->err describing it (dispatch sends the error reply).
 */
#ifndef VALSD_METHODS_H
#define VALSD_METHODS_H

#include "conn.h"

#define METHOD_ASYNC 1

enum method_arg {
    ARG_ANY,
    ARG_STR,
    ARG_MAP,
    ARG_STR_ARRAY,
};

#define METHOD_WHILE_STOPPING 0x1 /* still served during shutdown */

struct method {
    const char *name;
    int (*fn)(struct req *r);
    unsigned min_args, max_args;
    enum method_arg types[3];
    unsigned flags;
    const char *summary;
};

void methods_dispatch(struct conn *c, const struct rpc_msg *m);
/* Pack the method names (for `hello`). */
int methods_pack_names(msgpack_packer *pk);

/* handlers living in resolve.c */
int method_resolve(struct req *r);
int method_resolve_many(struct req *r);
int method_eval(struct req *r);
/* The locator of a ref as the cache knows it (for cache.clear). */
int resolve_locator(const char *ref, size_t len, struct ctx *ctx, char **locator, struct verr *e);

#endif
