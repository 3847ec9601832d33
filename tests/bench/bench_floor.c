/*
 * bench_floor.c - the floor for bench_resolve: the least a msgpack-RPC server on a Unix
 * socket can do per request, with valsd's own I/O shape.
 *
 * One thread, one libuv loop (as valsd).  Each read is appended to the connection's
 * buffer; every complete message in it is unpacked with msgpack-c (as valsd does), its
 * msgid taken, and the canned answer [1, msgid, nil, "bench/value"] packed - the same
 * bytes valsd sends for `resolve ["ref+echo://bench/value"]`.  Replies produced by one
 * read callback leave in one write (valsd batches the same way).  No method table, no
 * cache, no ref parsing: what is left is transport and framing.
 *
 * Usage: bench_floor SOCKET_PATH   (runs until SIGTERM/SIGINT)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>
#include <uv.h>

#define FLOOR_VALUE      "bench/value"
#define FLOOR_READ_CHUNK 65536

/* A growable byte buffer (the floor holds no secrets: plain realloc). */
struct fbuf {
    char *p;
    size_t len, cap;
};

struct fconn {
    uv_pipe_t pipe; /* first: handle.data points back here */
    struct fbuf in, out, wbuf;
    uv_write_t wreq;
    int writing, closing;
    msgpack_zone zone;
    msgpack_packer pk; /* packs into `out` */
};

static uv_loop_t *loop;
static uv_pipe_t listener;
static uv_signal_t sig_term, sig_int;

/* Make room for `more` bytes; 0 or -1. */
static int fbuf_reserve(struct fbuf *b, size_t more)
{
    size_t cap = b->cap ? b->cap : 4096;
    char *p;

    if (b->len + more <= b->cap)
        return 0;
    while (cap < b->len + more)
        cap *= 2;
    if ((p = realloc(b->p, cap)) == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* msgpack_packer write callback: append to the connection's output. */
static int pack_write(void *data, const char *buf, size_t len)
{
    struct fconn *c = data;

    if (fbuf_reserve(&c->out, len) != 0)
        return -1;
    memcpy(c->out.p + c->out.len, buf, len);
    c->out.len += len;
    return 0;
}

/* The close callback: the connection's memory goes only now (libuv's rule). */
static void on_close(uv_handle_t *h)
{
    struct fconn *c = h->data;

    free(c->in.p);
    free(c->out.p);
    free(c->wbuf.p);
    msgpack_zone_destroy(&c->zone);
    free(c);
}

static void conn_close(struct fconn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->pipe, on_close);
}

static void flush(struct fconn *c);

/* A write finished: send what accumulated meanwhile. */
static void on_write(uv_write_t *w, int status)
{
    struct fconn *c = w->data;

    c->writing = 0;
    c->wbuf.len = 0;
    if (status < 0) {
        conn_close(c);
        return;
    }
    flush(c);
}

/* Hand the pending replies to the kernel (one write at a time, double-buffered). */
static void flush(struct fconn *c)
{
    struct fbuf t;
    uv_buf_t b;

    if (c->closing || c->writing || c->out.len == 0)
        return;
    t = c->wbuf;
    c->wbuf = c->out;
    c->out = t;
    b = uv_buf_init(c->wbuf.p, (unsigned)c->wbuf.len);
    c->wreq.data = c;
    c->writing = 1;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &b, 1, on_write) != 0) {
        c->writing = 0;
        conn_close(c);
    }
}

/* Answer one unpacked request with the canned reply; -1 if it is not a request. */
static int answer(struct fconn *c, const msgpack_object *o)
{
    const msgpack_object *a = o->via.array.ptr;

    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4 ||
        a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[0].via.u64 != 0 ||
        a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[1].via.u64 > UINT32_MAX)
        return -1;
    if (msgpack_pack_array(&c->pk, 4) != 0 || msgpack_pack_uint8(&c->pk, 1) != 0 ||
        msgpack_pack_uint32(&c->pk, (uint32_t)a[1].via.u64) != 0 || msgpack_pack_nil(&c->pk) != 0 ||
        msgpack_pack_str_with_body(&c->pk, FLOOR_VALUE, sizeof(FLOOR_VALUE) - 1) != 0)
        return -1;
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct fconn *c = h->data;

    (void)suggested;
    if (fbuf_reserve(&c->in, FLOOR_READ_CHUNK) != 0) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    *buf = uv_buf_init(c->in.p + c->in.len, (unsigned)(c->in.cap - c->in.len));
}

/* Unpack every complete message received, answer each, then write once. */
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct fconn *c = s->data;
    size_t pos = 0;

    (void)buf;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    c->in.len += (size_t)nread;
    while (pos < c->in.len) {
        msgpack_object obj;
        size_t off = 0;
        msgpack_unpack_return r;

        msgpack_zone_clear(&c->zone);
        r = msgpack_unpack(c->in.p + pos, c->in.len - pos, &off, &c->zone, &obj);
        if (r == MSGPACK_UNPACK_CONTINUE)
            break;
        if ((r != MSGPACK_UNPACK_SUCCESS && r != MSGPACK_UNPACK_EXTRA_BYTES) ||
            answer(c, &obj) != 0) {
            conn_close(c);
            return;
        }
        pos += off;
    }
    memmove(c->in.p, c->in.p + pos, c->in.len - pos);
    c->in.len -= pos;
    flush(c);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct fconn *c;

    if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL)
        return;
    uv_pipe_init(loop, &c->pipe, 0);
    c->pipe.data = c;
    msgpack_zone_init(&c->zone, 4096);
    msgpack_packer_init(&c->pk, c, pack_write);
    if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
        conn_close(c);
        return;
    }
    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

static void on_signal(uv_signal_t *s, int signum)
{
    (void)s;
    (void)signum;
    uv_stop(loop);
}

int main(int argc, char **argv)
{
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_floor SOCKET_PATH\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    unlink(argv[1]);
    uv_pipe_init(loop, &listener, 0);
    if ((rc = uv_pipe_bind(&listener, argv[1])) != 0 ||
        (rc = uv_listen((uv_stream_t *)&listener, 128, on_connection)) != 0) {
        fprintf(stderr, "bench_floor: %s: %s\n", argv[1], uv_strerror(rc));
        return 1;
    }
    uv_signal_init(loop, &sig_term);
    uv_signal_init(loop, &sig_int);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_run(loop, UV_RUN_DEFAULT);
    unlink(argv[1]);
    return 0;
}
