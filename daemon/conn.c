/*
 * conn.c - client connections: accept with the peer check, bounded pipelined reading,
 * dispatch, batched replies, and the reference-counted lifetime (see conn.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "daemon.h"
#include "log.h"
#include "methods.h"
#include "proto/protocol.h"

#define CONN_READ_CHUNK 65536
#define CONN_MAX_OUTPUT (64u << 20)

static uint32_t conn_next_id;

static int pack_write(void *data, const char *buf, size_t len)
{
    struct conn *c = data;

    /* the packer writes a reply in many small pieces: append in place while the buffer
     * has room (within its cap), else let dbuf_add grow it */
    if (c->out.p != NULL && len < c->out.cap - c->out.len && c->out.len + len <= c->out.max) {
        memcpy(c->out.p + c->out.len, buf, len);
        c->out.len += len;
        c->out.p[c->out.len] = '\0';
        return 0;
    }
    if (dbuf_add(&c->out, buf, len) != 0) {
        c->fatal = 1;
        return -1;
    }
    return 0;
}

struct conn *conn_ref(struct conn *c)
{
    c->refs++;
    return c;
}

void conn_unref(struct conn *c)
{
    if (--c->refs > 0)
        return;
    dbuf_free(&c->in);
    dbuf_free(&c->out);
    dbuf_free(&c->wbuf);
    msgpack_zone_destroy(&c->zone);
    ctx_unref(c->ctx);
    free(c);
    daemon_activity();
}

static void on_close(uv_handle_t *h)
{
    struct conn *c = h->data;

    c->closed = 1;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        valsd.conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    valsd.nconns--;
    log_debug("conn %u: closed", c->id);
    conn_unref(c);
}

void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    uv_read_stop((uv_stream_t *)&c->pipe);
    uv_close((uv_handle_t *)&c->pipe, on_close);
}

static void on_write(uv_write_t *w, int status)
{
    struct conn *c = w->data;

    c->writing = 0;
    dbuf_reset(&c->wbuf);
    if (status < 0) {
        log_debug("conn %u: write failed: %s", c->id, uv_strerror(status));
        conn_close(c);
    } else if (c->fatal && c->out.len == 0) {
        conn_close(c);
    } else {
        conn_flush(c);
    }
    conn_unref(c);
}

void conn_flush(struct conn *c)
{
    uv_buf_t b;
    struct dbuf t;

    if (c->closing || c->writing)
        return;
    if (c->out.len == 0) {
        if (c->fatal)
            conn_close(c);
        return;
    }
    if (c->out.len > CONN_MAX_OUTPUT) {
        log_warn("conn %u: client does not read its replies; closing", c->id);
        conn_close(c);
        return;
    }
    t = c->wbuf;
    c->wbuf = c->out;
    c->out = t;
    b = uv_buf_init(c->wbuf.p, (unsigned)c->wbuf.len);
    c->wreq.data = c;
    c->writing = 1;
    conn_ref(c);
    if (uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &b, 1, on_write) != 0) {
        c->writing = 0;
        dbuf_reset(&c->wbuf);
        conn_close(c); /* before dropping the write's reference (the handle keeps its own) */
        conn_unref(c);
    }
}

msgpack_packer *conn_result_begin(struct conn *c, uint32_t msgid)
{
    if (c->closing)
        return NULL;
    if (rpc_pack_result_header(&c->pk, msgid) != 0) {
        c->fatal = 1;
        return NULL;
    }
    return &c->pk;
}

void conn_reply_error(struct conn *c, uint32_t msgid, int code, const char *msg)
{
    if (c->closing)
        return;
    if (rpc_pack_error(&c->pk, msgid, code, msg) != 0)
        c->fatal = 1;
}

msgpack_packer *req_result_begin(struct req *r)
{
    return r->notify ? NULL : conn_result_begin(r->conn, r->msgid);
}

void req_reply_error(struct req *r, int code, const char *msg)
{
    if (!r->notify)
        conn_reply_error(r->conn, r->msgid, code, msg);
}

/* A message that cannot be served: answer if we can tell to what, then close. */
static void protocol_error(struct conn *c, const char *msgstart, size_t avail, int code,
                           const char *why)
{
    uint32_t msgid;

    log_info("conn %u: protocol error: %s", c->id, why);
    uv_read_stop((uv_stream_t *)&c->pipe); /* nothing more is read, let alone buffered */
    if (rpc_peek_msgid(msgstart, avail, &msgid)) {
        conn_reply_error(c, msgid, code, why);
    } else {
        /* no msgid to answer: a notification [2, "error", ["code: message"]] */
        char text[600];
        snprintf(text, sizeof(text), "%s: %s", vals_err_name(code), why);
        if (msgpack_pack_array(&c->pk, 3) == 0 &&
            msgpack_pack_uint8(&c->pk, RPC_NOTIFICATION) == 0 &&
            rpc_pack_cstr(&c->pk, "error") == 0 && msgpack_pack_array(&c->pk, 1) == 0)
            rpc_pack_cstr(&c->pk, text);
    }
    c->fatal = 1;
}

/* Unpack one complete message and hand it to the method table. */
static void dispatch(struct conn *c, const char *buf, size_t len)
{
    msgpack_object obj;
    struct rpc_msg m;
    struct verr e;
    size_t off = 0;

    verr_clear(&e); /* cleared, not "= {0}": zeroing its 1 KiB per request shows in the profile */
    msgpack_zone_clear(&c->zone);
    if (msgpack_unpack(buf, len, &off, &c->zone, &obj) != MSGPACK_UNPACK_SUCCESS) {
        protocol_error(c, buf, len, VALS_EBAD_REQUEST, "malformed msgpack");
        return;
    }
    if (rpc_parse(&obj, &m, &e) != 0) {
        protocol_error(c, buf, len, e.code, e.msg);
        return;
    }
    if (m.type == RPC_RESPONSE)
        return; /* valsd sends no requests; stray responses are ignored */
    methods_dispatch(c, &m);
}

static void process(struct conn *c)
{
    struct verr e;
    int rc;

    verr_clear(&e); /* cleared, not "= {0}": zeroing its 1 KiB per request shows in the profile */
    while (!c->fatal && !c->closing && c->inflight < valsd.cfg.max_inflight) {
        size_t msglen = 0;
        rc = rpc_scan(&c->scan, c->in.p + c->in_off, c->in.len - c->in_off, &valsd.cfg.limits,
                      &msglen, &e);
        if (rc == 0)
            break;
        if (rc < 0) {
            protocol_error(c, c->in.p + c->in_off, c->in.len - c->in_off, rc, e.msg);
            break;
        }
        dispatch(c, c->in.p + c->in_off, msglen);
        c->in_off += msglen;
        rpc_scanner_reset(&c->scan);
    }
    if (c->in_off > 0) {
        size_t rest = c->in.len - c->in_off;
        memmove(c->in.p, c->in.p + c->in_off, rest);
        secure_zero(c->in.p + rest, c->in_off);
        c->in.len = rest;
        c->in.p[rest] = '\0';
        c->in_off = 0;
    }
    if (!c->closing) {
        if (c->inflight >= valsd.cfg.max_inflight && !c->paused && !c->eof) {
            uv_read_stop((uv_stream_t *)&c->pipe);
            c->paused = 1;
        }
        /* the peer has nothing more to say: close once every reply is written */
        if (c->eof && c->inflight == 0)
            c->fatal = 1;
    }
    conn_flush(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;

    (void)suggested;
    if (dbuf_reserve(&c->in, CONN_READ_CHUNK) != 0) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    buf->base = c->in.p + c->in.len;
    buf->len = c->in.cap - c->in.len - 1;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = s->data;

    (void)buf;
    if (nread == UV_ENOBUFS) {
        protocol_error(c, c->in.p + c->in_off, c->in.len - c->in_off, VALS_ETOO_LARGE,
                       "message too large");
        conn_flush(c);
        return;
    }
    if (nread == UV_EOF) {
        /* a half-close: the requests already received are still answered */
        c->eof = 1;
        uv_read_stop(s);
        process(c);
        return;
    }
    if (nread < 0) {
        log_debug("conn %u: read error: %s", c->id, uv_strerror((int)nread));
        conn_close(c);
        return;
    }
    if (nread == 0)
        return;
    c->in.len += (size_t)nread;
    c->in.p[c->in.len] = '\0';
    process(c);
}

void conn_request_done(struct conn *c)
{
    c->inflight--;
    valsd.inflight--;
    if (!c->closing) {
        if (c->paused && c->inflight < valsd.cfg.max_inflight) {
            c->paused = 0;
            if (!c->eof)
                uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
        }
        process(c);
    }
    daemon_activity();
}

void conn_accept(uv_stream_t *server)
{
    struct conn *c = calloc(1, sizeof(*c));
    struct ucred cred;
    socklen_t clen = sizeof(cred);
    uv_os_fd_t fd;

    if (c == NULL) {
        log_err("out of memory accepting a connection");
        return;
    }
    c->refs = 1; /* the handle's own reference, dropped in on_close */
    c->id = ++conn_next_id;
    if (uv_pipe_init(valsd.loop, &c->pipe, 0) != 0) {
        free(c);
        return;
    }
    c->pipe.data = c;
    c->next = valsd.conns;
    if (valsd.conns != NULL)
        valsd.conns->prev = c;
    valsd.conns = c;
    valsd.nconns++;
    dbuf_init(&c->in, valsd.cfg.limits.max_message + 2 * (size_t)CONN_READ_CHUNK);
    dbuf_init(&c->out, 2 * (size_t)CONN_MAX_OUTPUT);
    dbuf_init(&c->wbuf, 2 * (size_t)CONN_MAX_OUTPUT);
    msgpack_zone_init(&c->zone, 4096);
    msgpack_packer_init(&c->pk, c, pack_write);
    if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
        conn_close(c);
        return;
    }
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0) {
        log_warn("conn %u: cannot read peer credentials; refused", c->id);
        conn_close(c);
        return;
    }
    c->uid = cred.uid;
    c->pid = cred.pid;
    if (cred.uid != valsd.uid) {
        log_warn("refused a connection from uid %u (pid %d): only uid %u is served",
                 (unsigned)cred.uid, (int)cred.pid, (unsigned)valsd.uid);
        conn_close(c);
        return;
    }
    if (valsd.nconns > valsd.cfg.max_connections || valsd.shutting_down) {
        log_warn("refused a connection from pid %d: %s", (int)cred.pid,
                 valsd.shutting_down ? "shutting down" : "too many connections");
        conn_close(c);
        return;
    }
    c->ctx = ctx_empty(c->uid);
    if (c->ctx == NULL) {
        conn_close(c);
        return;
    }
    log_debug("conn %u: accepted pid %d", c->id, (int)cred.pid);
    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
    daemon_activity();
}
