/*
 * conn.h - one client connection: buffered, bounded reading of pipelined msgpack-RPC
 * messages, dispatch, and batched writing of replies.
 *
 * Lifetime (libuv): the uv_pipe_t is embedded; the struct is freed only after the close
 * callback has run AND no request holds a reference (conn_ref/conn_unref).  A request
 * that finishes after its connection closed simply drops its reply.
 */
#ifndef VALSD_CONN_H
#define VALSD_CONN_H

#include <msgpack.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "ctx.h"
#include "lib/dbuf.h"
#include "proto/rpc.h"

struct conn {
    uv_pipe_t pipe; /* first: the handle's data points back here too */
    unsigned refs;
    int closing; /* uv_close called or pending */
    int closed;  /* close callback ran */
    int fatal;   /* a protocol error: close once the error reply is written */
    int eof;     /* the peer sent everything (half-close): close once all is answered */
    uint32_t id;
    uid_t uid;
    pid_t pid;
    struct ctx *ctx; /* context.set, else the empty context of uid */
    struct dbuf in;  /* received bytes */
    size_t in_off;   /* start of the message being scanned */
    struct rpc_scanner scan;
    msgpack_zone zone;
    struct dbuf out;  /* replies not yet handed to the kernel */
    struct dbuf wbuf; /* the bytes of the write in flight */
    uv_write_t wreq;
    int writing;
    msgpack_packer pk;        /* packs into `out` */
    unsigned inflight;        /* requests of this connection not answered yet */
    int paused;               /* reading stopped (in-flight limit) */
    struct conn *prev, *next; /* valsd.conns */
};

/* A request being served (handlers get one; async handlers copy what they keep). */
struct req {
    struct conn *conn;
    uint32_t msgid;
    int notify;                 /* a notification: no reply */
    const msgpack_object *args; /* params array elements */
    uint32_t nargs;
    struct verr err; /* set by a handler that returns an error */
};

/* Accept a pending connection on `server` (peer uid checked here). */
void conn_accept(uv_stream_t *server);
struct conn *conn_ref(struct conn *c);
void conn_unref(struct conn *c);
/* Close (flushes nothing more). */
void conn_close(struct conn *c);
/* Start writing what the packer produced. */
void conn_flush(struct conn *c);
/* An async request of this connection is done (its reply, if any, already packed). */
void conn_request_done(struct conn *c);

/* Reply helpers for handlers: pack into the connection's output (no-ops for
 * notifications and closed connections).  result_begin returns the packer to use for the
 * one result object, or NULL when nothing should be packed. */
msgpack_packer *req_result_begin(struct req *r);
void req_reply_error(struct req *r, int code, const char *msg);
/* Same, for a request that outlived its dispatch (conn may be closed). */
msgpack_packer *conn_result_begin(struct conn *c, uint32_t msgid);
void conn_reply_error(struct conn *c, uint32_t msgid, int code, const char *msg);

#endif
