/*
 * protocol.h - the wire contract of valsd (msgpack-RPC, DESIGN.md §3, PROTOCOL.md).
 *
 * Bump VALS_PROTO_VERSION whenever a method's params, result or error meaning changes
 * incompatibly; clients see it in `hello`.
 */
#ifndef VALS_PROTOCOL_H
#define VALS_PROTOCOL_H

#define VALS_PROTO_VERSION 1

/* msgpack-RPC message types */
#define RPC_REQUEST      0
#define RPC_RESPONSE     1
#define RPC_NOTIFICATION 2

/* Neovim shows a two-element [type, message] error as is; type 1 is "Validation". */
#define RPC_ERROR_TYPE 1

/* Default limits (configurable in valsd's config, reported by `hello`). */
#define RPC_DEFAULT_MAX_MESSAGE     (1u << 20) /* bytes of one message */
#define RPC_DEFAULT_MAX_DEPTH       32         /* nesting of arrays/maps (msgpack-c max) */
#define RPC_DEFAULT_MAX_ARRAY       65536      /* elements of one array or map */
#define RPC_DEFAULT_MAX_INFLIGHT    256        /* requests in flight per connection */
#define RPC_DEFAULT_MAX_CONNECTIONS 1024
#define RPC_DEFAULT_TIMEOUT_MS      30000
#define RPC_MAX_METHOD_NAME         64

/* Method names (part of the contract). */
#define RPC_M_HELLO        "hello"
#define RPC_M_PING         "ping"
#define RPC_M_RESOLVE      "resolve"
#define RPC_M_RESOLVE_MANY "resolve_many"
#define RPC_M_EVAL         "eval"
#define RPC_M_CONTEXT_SET  "context.set"
#define RPC_M_CACHE_STATS  "cache.stats"
#define RPC_M_CACHE_CLEAR  "cache.clear"
#define RPC_M_SHUTDOWN     "shutdown"

#endif
