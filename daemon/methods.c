/*
 * methods.c - the declarative method table, argument validation and the small methods
 * (hello, ping, context.set, cache.stats, cache.clear, shutdown).  The resolution
 * methods are in resolve.c.
 */
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/doc_msgpack.h"
#include "log.h"
#include "methods.h"
#include "proto/protocol.h"

static int method_hello(struct req *r);
static int method_ping(struct req *r);
static int method_context_set(struct req *r);
static int method_cache_stats(struct req *r);
static int method_cache_clear(struct req *r);
static int method_shutdown(struct req *r);

static const struct method method_table[] = {
    {RPC_M_HELLO,
     method_hello,
     0,
     1,
     {ARG_MAP},
     METHOD_WHILE_STOPPING,
     "versions, limits and the peer's identity"},
    {RPC_M_PING, method_ping, 0, 0, {0}, METHOD_WHILE_STOPPING, "liveness check"},
    {RPC_M_RESOLVE, method_resolve, 1, 2, {ARG_STR, ARG_MAP}, 0, "one ref to its value"},
    {RPC_M_RESOLVE_MANY,
     method_resolve_many,
     1,
     2,
     {ARG_STR_ARRAY, ARG_MAP},
     0,
     "many refs in one round trip"},
    {RPC_M_EVAL,
     method_eval,
     1,
     2,
     {ARG_ANY, ARG_MAP},
     0,
     "a document with every standalone ref resolved"},
    {RPC_M_CONTEXT_SET,
     method_context_set,
     1,
     1,
     {ARG_MAP},
     0,
     "the credential environment of this connection"},
    {RPC_M_CACHE_STATS, method_cache_stats, 0, 0, {0}, METHOD_WHILE_STOPPING, "cache counters"},
    {RPC_M_CACHE_CLEAR,
     method_cache_clear,
     0,
     1,
     {ARG_MAP},
     0,
     "drop all entries, one ref's, or a prefix's"},
    {RPC_M_SHUTDOWN, method_shutdown, 0, 0, {0}, METHOD_WHILE_STOPPING, "ask valsd to exit"},
};

#define NMETHODS (sizeof(method_table) / sizeof(method_table[0]))

static const char *arg_type_name(enum method_arg t)
{
    switch (t) {
    case ARG_STR:
        return "a string";
    case ARG_MAP:
        return "a map";
    case ARG_STR_ARRAY:
        return "an array of strings";
    default:
        return "a value";
    }
}

static const char *object_type_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return "nil";
    case MSGPACK_OBJECT_BOOLEAN:
        return "bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return "int";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return "float";
    case MSGPACK_OBJECT_STR:
    case MSGPACK_OBJECT_BIN:
        return "string";
    case MSGPACK_OBJECT_ARRAY:
        return "array";
    case MSGPACK_OBJECT_MAP:
        return "map";
    default:
        return "ext";
    }
}

static int arg_ok(const msgpack_object *o, enum method_arg t, int optional)
{
    if (optional && o->type == MSGPACK_OBJECT_NIL)
        return 1;
    switch (t) {
    case ARG_STR:
        return o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN;
    case ARG_MAP:
        return o->type == MSGPACK_OBJECT_MAP;
    case ARG_STR_ARRAY:
        if (o->type != MSGPACK_OBJECT_ARRAY)
            return 0;
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if (o->via.array.ptr[i].type != MSGPACK_OBJECT_STR)
                return 0;
        return 1;
    default:
        return 1;
    }
}

void methods_dispatch(struct conn *c, const struct rpc_msg *m)
{
    struct req r;
    const struct method *meth = NULL;
    int rc;

    memset(&r, 0, sizeof(r));
    r.conn = c;
    r.msgid = m->msgid;
    r.notify = m->type == RPC_NOTIFICATION;
    r.args = m->params->via.array.ptr;
    r.nargs = m->params->via.array.size;
    for (size_t i = 0; i < NMETHODS; i++) {
        if (strlen(method_table[i].name) == m->method_len &&
            !memcmp(method_table[i].name, m->method, m->method_len)) {
            meth = &method_table[i];
            break;
        }
    }
    if (meth == NULL) {
        verr_set(&r.err, VALS_EUNKNOWN_METHOD, "unknown method \"%.*s\"", (int)m->method_len,
                 m->method);
        req_reply_error(&r, r.err.code, r.err.msg);
        return;
    }
    if (valsd.shutting_down && !(meth->flags & METHOD_WHILE_STOPPING)) {
        req_reply_error(&r, VALS_ESHUTTING_DOWN, "valsd is shutting down");
        return;
    }
    if (r.nargs < meth->min_args || r.nargs > meth->max_args) {
        verr_set(&r.err, VALS_EBAD_REQUEST, "%s takes %u to %u arguments, got %u", meth->name,
                 meth->min_args, meth->max_args, r.nargs);
        req_reply_error(&r, r.err.code, r.err.msg);
        return;
    }
    for (unsigned i = 0; i < r.nargs; i++) {
        if (!arg_ok(&r.args[i], meth->types[i], i >= meth->min_args)) {
            verr_set(&r.err, VALS_EBAD_REQUEST, "%s: argument %u must be %s, got %s", meth->name,
                     i + 1, arg_type_name(meth->types[i]), object_type_name(&r.args[i]));
            req_reply_error(&r, r.err.code, r.err.msg);
            return;
        }
    }
    rc = meth->fn(&r);
    if (rc == METHOD_ASYNC) {
        c->inflight++;
        valsd.inflight++;
    } else if (rc < 0) {
        req_reply_error(&r, rc, r.err.msg[0] ? r.err.msg : NULL);
    }
}

int methods_pack_names(msgpack_packer *pk)
{
    int rc = msgpack_pack_array(pk, NMETHODS) == 0 ? 0 : VALS_ENOMEM;

    for (size_t i = 0; i < NMETHODS && rc == 0; i++)
        rc = rpc_pack_cstr(pk, method_table[i].name);
    return rc;
}

/* Pack "key": uint. */
static int kv_uint(msgpack_packer *pk, const char *k, uint64_t v)
{
    return rpc_pack_cstr(pk, k) == 0 && msgpack_pack_uint64(pk, v) == 0 ? 0 : VALS_ENOMEM;
}

static int method_hello(struct req *r)
{
    msgpack_packer *pk = req_result_begin(r);
    const struct config *cfg = &valsd.cfg;
    char server[64];

    if (pk == NULL)
        return 0;
    snprintf(server, sizeof(server), "valsd %s", VALS_VERSION);
    msgpack_pack_map(pk, 6);
    rpc_pack_cstr(pk, "server");
    rpc_pack_cstr(pk, server);
    kv_uint(pk, "proto", VALS_PROTO_VERSION);
    kv_uint(pk, "pid", (uint64_t)getpid());
    kv_uint(pk, "uid", (uint64_t)r->conn->uid);
    rpc_pack_cstr(pk, "limits");
    msgpack_pack_map(pk, 6);
    kv_uint(pk, "max_message_bytes", cfg->limits.max_message);
    kv_uint(pk, "max_depth", cfg->limits.max_depth);
    kv_uint(pk, "max_array", cfg->limits.max_array);
    kv_uint(pk, "max_inflight", cfg->max_inflight);
    kv_uint(pk, "max_connections", cfg->max_connections);
    kv_uint(pk, "timeout_ms", cfg->timeout_ms);
    rpc_pack_cstr(pk, "methods");
    return methods_pack_names(pk);
}

static int method_ping(struct req *r)
{
    msgpack_packer *pk = req_result_begin(r);

    return pk != NULL ? rpc_pack_cstr(pk, "pong") : 0;
}

static int method_context_set(struct req *r)
{
    struct doc *env = NULL;
    struct ctx *ctx = NULL;
    msgpack_packer *pk;
    int rc;

    if ((rc = doc_from_msgpack(&r->args[0], &env)) != 0)
        return verr_set(&r->err, VALS_EBAD_REQUEST, "context.set: bad context map");
    rc = ctx_from_doc(r->conn->uid, env, &ctx, &r->err);
    doc_free(env);
    if (rc != 0)
        return rc;
    ctx_unref(r->conn->ctx);
    r->conn->ctx = ctx;
    log_debug("conn %u: context %s (%zu variables)", r->conn->id, ctx->id, ctx->n);
    pk = req_result_begin(r);
    return pk != NULL ? rpc_pack_cstr(pk, ctx->id) : 0;
}

static int method_cache_stats(struct req *r)
{
    msgpack_packer *pk = req_result_begin(r);
    struct cache_stats s;

    if (pk == NULL)
        return 0;
    cache_get_stats(valsd.cache, &s);
    msgpack_pack_map(pk, 14);
    kv_uint(pk, "hits", s.hits);
    kv_uint(pk, "misses", s.misses);
    kv_uint(pk, "coalesced", s.coalesced);
    kv_uint(pk, "stale_served", s.stale_served);
    kv_uint(pk, "evictions", s.evictions);
    kv_uint(pk, "negative_hits", s.negative_hits);
    kv_uint(pk, "fetches", s.fetches);
    kv_uint(pk, "errors", s.errors);
    kv_uint(pk, "entries", s.entries);
    kv_uint(pk, "bytes", s.bytes);
    kv_uint(pk, "max_bytes", s.max_bytes);
    kv_uint(pk, "contexts", ctx_count());
    kv_uint(pk, "connections", valsd.nconns);
    return kv_uint(pk, "uptime_ms", daemon_now_ms() - valsd.started_ms);
}

static int method_cache_clear(struct req *r)
{
    const msgpack_object *o = r->nargs > 0 ? &r->args[0] : NULL;
    const msgpack_object *ref = NULL, *prefix = NULL;
    uint64_t n;
    msgpack_packer *pk;

    if (o != NULL && o->type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR || kv->val.type != MSGPACK_OBJECT_STR)
                return verr_set(&r->err, VALS_EBAD_REQUEST,
                                "cache.clear: expected {ref: STRING} or {prefix: STRING}");
            if (kv->key.via.str.size == 3 && !memcmp(kv->key.via.str.ptr, "ref", 3))
                ref = &kv->val;
            else if (kv->key.via.str.size == 6 && !memcmp(kv->key.via.str.ptr, "prefix", 6))
                prefix = &kv->val;
            else
                return verr_set(&r->err, VALS_EBAD_REQUEST, "cache.clear: unknown option \"%.*s\"",
                                (int)kv->key.via.str.size, kv->key.via.str.ptr);
        }
    }
    if (ref != NULL && prefix != NULL)
        return verr_set(&r->err, VALS_EBAD_REQUEST, "cache.clear: give ref or prefix, not both");
    if (ref != NULL) {
        char *loc = NULL;
        int rc = resolve_locator(ref->via.str.ptr, ref->via.str.size, r->conn->ctx, &loc, &r->err);
        if (rc != 0)
            return rc;
        n = cache_clear(valsd.cache, loc, 1);
        free(loc);
    } else if (prefix != NULL) {
        char buf[4096];
        snprintf(buf, sizeof(buf), "%.*s", (int)prefix->via.str.size, prefix->via.str.ptr);
        n = cache_clear(valsd.cache, strncmp(buf, "ref+", 4) == 0 ? buf + 4 : buf, 0);
    } else {
        n = cache_clear(valsd.cache, NULL, 0);
    }
    log_info("cache.clear: %llu entries dropped", (unsigned long long)n);
    pk = req_result_begin(r);
    return pk != NULL && msgpack_pack_uint64(pk, n) != 0 ? VALS_ENOMEM : 0;
}

static int method_shutdown(struct req *r)
{
    msgpack_packer *pk = req_result_begin(r);

    if (pk != NULL)
        msgpack_pack_true(pk);
    daemon_begin_shutdown("shutdown requested by a client");
    return 0;
}
