/*
 * rpc.c - msgpack-RPC framing and envelopes (see rpc.h and PROTOCOL.md).
 */
#include <stdio.h>
#include <string.h>

#include "proto/protocol.h"
#include "lib/msgpack_hdr.h"
#include "proto/rpc.h"
#include "valsd/errors.h"

void rpc_limits_default(struct rpc_limits *l)
{
    l->max_message = RPC_DEFAULT_MAX_MESSAGE;
    l->max_depth = RPC_DEFAULT_MAX_DEPTH;
    l->max_array = RPC_DEFAULT_MAX_ARRAY;
}

void rpc_scanner_reset(struct rpc_scanner *s)
{
    s->pos = 0;
    s->depth = 0;
    s->pending = 0;
}

int rpc_scan(struct rpc_scanner *s, const char *buf, size_t len, const struct rpc_limits *l,
             size_t *msglen, struct verr *e)
{
    const unsigned char *p = (const unsigned char *)buf;

    while (s->pos < len) {
        uint64_t size, children, rest;
        int container;
        int r = mp_element(p + s->pos, len - s->pos, &size, &children, &container);
        if (r == 0)
            return 0;
        if (r == MP_EXT)
            return verr_set(e, VALS_EBAD_REQUEST, "msgpack ext types are not accepted");
        if (r < 0)
            return verr_set(e, VALS_EBAD_REQUEST, "malformed msgpack (byte 0x%02x at offset %zu)",
                            p[s->pos], s->pos);
        if (container && children > l->max_array)
            return verr_set(e, VALS_ETOO_LARGE, "%s of %llu elements exceeds the limit of %u",
                            container == 1 ? "array" : "map", (unsigned long long)children,
                            l->max_array);
        /* every item still announced (the parents' and this container's) takes a byte */
        rest = s->pending - (s->depth > 0 ? 1 : 0) + children * (uint64_t)container;
        if (size > l->max_message || rest > l->max_message || s->pos + size + rest > l->max_message)
            return verr_set(e, VALS_ETOO_LARGE, "message exceeds %zu bytes", l->max_message);
        if (s->pos + size > len)
            return 0; /* the body has not arrived yet */
        if (container && children > 0 &&
            (s->depth + 1 > l->max_depth || s->depth + 1 > RPC_SCAN_STACK))
            return verr_set(e, VALS_ETOO_LARGE, "nesting deeper than %u",
                            l->max_depth < RPC_SCAN_STACK ? l->max_depth : RPC_SCAN_STACK);
        s->pos += size;
        s->pending = rest;
        /* this element fills one slot of its parent */
        if (s->depth > 0)
            s->left[s->depth - 1]--;
        if (container && children > 0)
            s->left[s->depth++] = children * (uint64_t)container;
        while (s->depth > 0 && s->left[s->depth - 1] == 0)
            s->depth--;
        if (s->depth == 0) {
            *msglen = s->pos;
            return 1;
        }
    }
    return 0;
}

int rpc_peek_msgid(const char *buf, size_t len, uint32_t *msgid)
{
    const unsigned char *p = (const unsigned char *)buf;

    if (len < 3 || p[0] != 0x94 || p[1] != 0x00)
        return 0;
    if (p[2] <= 0x7f) {
        *msgid = p[2];
        return 1;
    }
    if (p[2] == 0xcc && len >= 4) {
        *msgid = p[3];
        return 1;
    }
    if (p[2] == 0xcd && len >= 5) {
        *msgid = (uint32_t)mp_be(p + 3, 2);
        return 1;
    }
    if (p[2] == 0xce && len >= 7) {
        *msgid = (uint32_t)mp_be(p + 3, 4);
        return 1;
    }
    return 0;
}

static int as_uint32(const msgpack_object *o, uint32_t *out)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > UINT32_MAX)
        return 0;
    *out = (uint32_t)o->via.u64;
    return 1;
}

int rpc_parse(const msgpack_object *o, struct rpc_msg *m, struct verr *e)
{
    const msgpack_object *a;
    uint32_t type;

    memset(m, 0, sizeof(*m));
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 3 || o->via.array.size > 4)
        return verr_set(e, VALS_EBAD_REQUEST, "a message must be an array of 3 or 4 elements");
    a = o->via.array.ptr;
    if (!as_uint32(&a[0], &type) || type > RPC_NOTIFICATION)
        return verr_set(e, VALS_EBAD_REQUEST, "unknown message type");
    m->type = (int)type;
    if (type == RPC_REQUEST) {
        if (o->via.array.size != 4 || !as_uint32(&a[1], &m->msgid))
            return verr_set(e, VALS_EBAD_REQUEST, "a request is [0, msgid, method, params]");
        a++;
    } else if (type == RPC_RESPONSE) {
        if (o->via.array.size != 4 || !as_uint32(&a[1], &m->msgid))
            return verr_set(e, VALS_EBAD_REQUEST, "a response is [1, msgid, error, result]");
        m->error = &a[2];
        m->result = &a[3];
        return 0;
    } else if (o->via.array.size != 3) {
        return verr_set(e, VALS_EBAD_REQUEST, "a notification is [2, method, params]");
    }
    if (a[1].type != MSGPACK_OBJECT_STR && a[1].type != MSGPACK_OBJECT_BIN)
        return verr_set(e, VALS_EBAD_REQUEST, "the method name must be a string");
    if (a[1].via.str.size == 0 || a[1].via.str.size > RPC_MAX_METHOD_NAME)
        return verr_set(e, VALS_EBAD_REQUEST, "bad method name length");
    if (a[2].type != MSGPACK_OBJECT_ARRAY)
        return verr_set(e, VALS_EBAD_REQUEST, "params must be an array");
    m->method = a[1].via.str.ptr;
    m->method_len = a[1].via.str.size;
    m->params = &a[2];
    return 0;
}

int rpc_pack_cstr(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);

    if (msgpack_pack_str(pk, n) != 0 || msgpack_pack_str_body(pk, s, n) != 0)
        return VALS_ENOMEM;
    return 0;
}

int rpc_pack_result_header(msgpack_packer *pk, uint32_t msgid)
{
    if (msgpack_pack_array(pk, 4) != 0 || msgpack_pack_uint8(pk, RPC_RESPONSE) != 0 ||
        msgpack_pack_uint32(pk, msgid) != 0 || msgpack_pack_nil(pk) != 0)
        return VALS_ENOMEM;
    return 0;
}

int rpc_pack_error_object(msgpack_packer *pk, int code, const char *message)
{
    char text[1024];

    snprintf(text, sizeof(text), "%s: %s", vals_err_name(code),
             message != NULL && message[0] ? message : vals_strerror(code));
    if (msgpack_pack_array(pk, 2) != 0 || msgpack_pack_uint8(pk, RPC_ERROR_TYPE) != 0)
        return VALS_ENOMEM;
    return rpc_pack_cstr(pk, text);
}

int rpc_pack_error(msgpack_packer *pk, uint32_t msgid, int code, const char *message)
{
    if (msgpack_pack_array(pk, 4) != 0 || msgpack_pack_uint8(pk, RPC_RESPONSE) != 0 ||
        msgpack_pack_uint32(pk, msgid) != 0)
        return VALS_ENOMEM;
    if (rpc_pack_error_object(pk, code, message) != 0 || msgpack_pack_nil(pk) != 0)
        return VALS_ENOMEM;
    return 0;
}

int rpc_error_decode(const msgpack_object *err, int *code, char *msg, size_t msglen)
{
    const msgpack_object *s = err;
    const char *colon;

    *code = VALS_EINTERNAL;
    if (err->type == MSGPACK_OBJECT_ARRAY && err->via.array.size >= 2)
        s = &err->via.array.ptr[1];
    if (s->type != MSGPACK_OBJECT_STR) {
        snprintf(msg, msglen, "unrecognised error object");
        return 0;
    }
    snprintf(msg, msglen, "%.*s", (int)s->via.str.size, s->via.str.ptr);
    colon = memchr(s->via.str.ptr, ':', s->via.str.size);
    if (colon != NULL)
        *code = vals_err_from_name(s->via.str.ptr, (unsigned long)(colon - s->via.str.ptr));
    return 0;
}
