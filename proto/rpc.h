/*
 * rpc.h - msgpack-RPC framing: a bounded, resumable scanner that finds where one message
 * ends in a byte stream without unpacking it, and helpers to parse the envelope and to
 * pack responses and errors.
 *
 * The scanner rejects a message as soon as its headers show it would break a limit
 * (total bytes, nesting depth, array/map size) - before its body is buffered - and keeps
 * "need more bytes" (0) apart from "malformed" (VALS_EBAD_REQUEST) and "too large"
 * (VALS_ETOO_LARGE).  Ext types are refused.
 */
#ifndef VALS_RPC_H
#define VALS_RPC_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/verr.h"

struct rpc_limits {
    size_t max_message; /* bytes */
    unsigned max_depth; /* nesting */
    uint32_t max_array; /* elements of an array, pairs of a map */
};

/* Deepest nesting any limit may allow: msgpack-c's unpacker (msgpack_unpack) keeps a
 * stack of MSGPACK_EMBED_STACK_SIZE (32) open containers and fails beyond it. */
#define RPC_SCAN_STACK 32

struct rpc_scanner {
    size_t pos;                    /* bytes of the current message consumed so far */
    unsigned depth;                /* open containers */
    uint64_t pending;              /* items still expected, all depths (>= 1 byte each) */
    uint64_t left[RPC_SCAN_STACK]; /* items still expected at each depth */
};

void rpc_limits_default(struct rpc_limits *l);
void rpc_scanner_reset(struct rpc_scanner *s);
/*
 * Continue scanning the message that starts at buf[0] (len bytes available; the scanner
 * remembers how far it got).  Returns 1 and *msglen when a whole message is there, 0 when
 * more bytes are needed, or VALS_EBAD_REQUEST / VALS_ETOO_LARGE with a reason in e.
 */
int rpc_scan(struct rpc_scanner *s, const char *buf, size_t len, const struct rpc_limits *l,
             size_t *msglen, struct verr *e);

/* The msgid of a request whose first bytes are in buf, if they can be read (for error
 * replies to messages that are otherwise unusable). Returns 1 and *msgid, or 0. */
int rpc_peek_msgid(const char *buf, size_t len, uint32_t *msgid);

struct rpc_msg {
    int type;           /* RPC_REQUEST / RPC_RESPONSE / RPC_NOTIFICATION */
    uint32_t msgid;     /* requests and responses */
    const char *method; /* requests and notifications (not NUL-terminated) */
    size_t method_len;
    const msgpack_object *params; /* an array (requests, notifications) */
    const msgpack_object *error;  /* responses */
    const msgpack_object *result; /* responses */
};

/* Check the envelope shape of an unpacked message. VALS_EBAD_REQUEST with a reason. */
int rpc_parse(const msgpack_object *o, struct rpc_msg *m, struct verr *e);

/* Pack [1, msgid, nil, <caller packs the result next>]: the header of a success. */
int rpc_pack_result_header(msgpack_packer *pk, uint32_t msgid);
/* Pack a whole error response [1, msgid, [1, "code: message"], nil]. */
int rpc_pack_error(msgpack_packer *pk, uint32_t msgid, int code, const char *message);
/* Pack the error object itself: [1, "code: message"]. */
int rpc_pack_error_object(msgpack_packer *pk, int code, const char *message);
/* Pack a C string. */
int rpc_pack_cstr(msgpack_packer *pk, const char *s);
/* Split an error object ([type, "code: message"] or a plain string) into code and text. */
int rpc_error_decode(const msgpack_object *err, int *code, char *msg, size_t msglen);

#endif
