/*
 * test_http.c - daemon/http.c (libcurl multi on libuv) against a small HTTP/1.1 server
 * running on the same loop (127.0.0.1, an ephemeral port).  Checked: method, headers and
 * body reach the server; status, captured headers and body come back; a second request
 * reuses the connection; the body cap (with and without Content-Length); the per-request
 * timeout; a refused connection; TLS against `openssl s_server` (an untrusted certificate is
 * refused by default, accepted with its CA file or when verification is turned off);
 * cancel; shutdown ending outstanding requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/http.h"
#include "lib/dbuf.h"
#include "valsd/errors.h"

static uv_loop_t *loop;
static uv_tcp_t server;
static int port;
static int accepted;

struct sconn {
    uv_tcp_t tcp;
    struct dbuf in;
    int closing;
};

struct wreq {
    uv_write_t w;
    char *buf;
    int close_after;
    struct sconn *c;
};

static void on_sconn_closed(uv_handle_t *h)
{
    struct sconn *c = h->data;

    dbuf_free(&c->in);
    free(c);
}

static void sconn_close(struct sconn *c)
{
    if (!c->closing) {
        c->closing = 1;
        uv_close((uv_handle_t *)&c->tcp, on_sconn_closed);
    }
}

static void on_written(uv_write_t *w, int status)
{
    struct wreq *wr = (struct wreq *)w;

    (void)status;
    if (wr->close_after)
        sconn_close(wr->c);
    free(wr->buf);
    free(wr);
}

static void send_bytes(struct sconn *c, char *buf, size_t len, int close_after)
{
    struct wreq *wr = calloc(1, sizeof(*wr));
    uv_buf_t b = uv_buf_init(buf, (unsigned)len);

    wr->buf = buf;
    wr->c = c;
    wr->close_after = close_after;
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
        free(buf);
        free(wr);
        sconn_close(c);
    }
}

static void send_response(struct sconn *c, int status, const char *extra, const char *body,
                          size_t blen)
{
    struct dbuf b = DBUF_INIT;
    size_t len;
    char *out;

    dbuf_printf(&b, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n", status, blen,
                extra != NULL ? extra : "");
    dbuf_add(&b, body, blen);
    out = dbuf_take(&b, &len);
    send_bytes(c, out, len, 0);
}

/* Answer one complete request: method, target, header block, body. */
static void handle(struct sconn *c, const char *req, size_t hlen, const char *body, size_t blen)
{
    char method[16] = "", target[256] = "";

    sscanf(req, "%15s %255s", method, target);
    if (!strcmp(target, "/echo")) {
        char extra[256];
        snprintf(extra, sizeof(extra),
                 "X-Method: %s\r\nX-Amzn-RequestId: req-1\r\nx-amzn-errortype:  Foo:bar \r\n",
                 method);
        send_response(c, 200, extra, body, blen);
    } else if (!strcmp(target, "/headers")) {
        send_response(c, 200, NULL, req, hlen);
    } else if (!strcmp(target, "/status/404")) {
        send_response(c, 404, "Content-Type: application/json\r\n", "{\"x\":1}", 7);
    } else if (!strcmp(target, "/big")) {
        size_t n = 2u << 20;
        char *big = malloc(n);
        memset(big, 'a', n);
        send_response(c, 200, NULL, big, n);
        free(big);
    } else if (!strcmp(target, "/big-unsized")) {
        size_t n = (2u << 20) + 100;
        char *out = malloc(n);
        int h = snprintf(out, n, "HTTP/1.1 200 X\r\nConnection: close\r\n\r\n");
        memset(out + h, 'b', n - (size_t)h);
        send_bytes(c, out, n, 1);
    } else if (!strcmp(target, "/slow")) {
        /* never answer */
    } else {
        send_response(c, 400, NULL, "", 0);
    }
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(hint);
    buf->len = hint;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct sconn *c = s->data;

    if (n < 0) {
        free(buf->base);
        sconn_close(c);
        return;
    }
    dbuf_add(&c->in, buf->base, (size_t)n);
    free(buf->base);
    for (;;) {
        char *end = c->in.p != NULL ? strstr(c->in.p, "\r\n\r\n") : NULL;
        const char *cl;
        size_t hlen, blen = 0;
        if (end == NULL)
            return;
        hlen = (size_t)(end - c->in.p) + 4;
        cl = strcasestr(c->in.p, "\r\nContent-Length:");
        if (cl != NULL && cl < end)
            blen = strtoul(cl + 17, NULL, 10);
        if (c->in.len < hlen + blen)
            return;
        handle(c, c->in.p, hlen, c->in.p + hlen, blen);
        memmove(c->in.p, c->in.p + hlen + blen, c->in.len - hlen - blen);
        c->in.len -= hlen + blen;
        c->in.p[c->in.len] = '\0';
    }
}

static void on_connection(uv_stream_t *s, int status)
{
    struct sconn *c = calloc(1, sizeof(*c));

    (void)status;
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c;
    dbuf_init(&c->in, 0);
    if (uv_accept(s, (uv_stream_t *)&c->tcp) != 0) {
        sconn_close(c);
        return;
    }
    accepted++;
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
}

/* --- client side ------------------------------------------------------------------- */

struct result {
    int done;
    int err;
    long status;
    long new_connections;
    char *body;
    size_t body_len;
    char method[16];
    char reqid[32];
    char errtype[32];
    char errmsg[256];
};

static void on_done(struct http_response *res, void *data)
{
    struct result *r = data;
    const char *v;

    r->done = 1;
    uv_stop(loop); /* run_until's uv_run returns after this iteration */
    r->err = res->err;
    r->status = res->status;
    r->new_connections = res->new_connections;
    snprintf(r->errmsg, sizeof(r->errmsg), "%s", res->errmsg);
    r->body = dbuf_take(&res->body, &r->body_len);
    if ((v = http_response_header(res, "x-method")) != NULL)
        snprintf(r->method, sizeof(r->method), "%s", v);
    if ((v = http_response_header(res, "X-Amzn-RequestId")) != NULL)
        snprintf(r->reqid, sizeof(r->reqid), "%s", v);
    if ((v = http_response_header(res, "X-Amzn-ErrorType")) != NULL)
        snprintf(r->errtype, sizeof(r->errtype), "%s", v);
}

static const char *const capture[] = {"X-Method", "x-amzn-requestid", "x-amzn-errortype", NULL};

static void run_until(const struct result *r)
{
    while (!r->done)
        uv_run(loop, UV_RUN_DEFAULT);
}

static void fetch(const char *method, const char *path, const char *body, uint32_t timeout_ms,
                  size_t max, struct result *r)
{
    char url[128];
    struct http_header h[] = {{"Content-Type", "application/x-amz-json-1.1"},
                              {"X-Amz-Target", "secretsmanager.GetSecretValue"}};
    struct http_request_opts o = {0};

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    o.method = method;
    o.url = url;
    o.headers = h;
    o.nheaders = 2;
    o.body = body;
    o.body_len = body != NULL ? strlen(body) : 0;
    o.timeout_ms = timeout_ms;
    o.max_response = max;
    o.capture = capture;
    memset(r, 0, sizeof(*r));
    assert_int_equal(http_request(&o, on_done, r, NULL), 0);
    assert_false(r->done); /* never completed from inside http_request */
    run_until(r);
}

static void test_roundtrip_and_reuse(void **state)
{
    struct result a, b;

    (void)state;
    accepted = 0;
    fetch("POST", "/echo", "{\"SecretId\": \"x\"}", 0, 0, &a);
    assert_int_equal(a.err, 0);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{\"SecretId\": \"x\"}");
    assert_string_equal(a.method, "POST");
    assert_string_equal(a.reqid, "req-1");
    assert_string_equal(a.errtype, "Foo:bar"); /* trimmed */
    assert_int_equal(a.new_connections, 1);
    fetch("POST", "/echo", "second", 0, 0, &b);
    assert_int_equal(b.status, 200);
    assert_string_equal(b.body, "second");
    assert_int_equal(b.new_connections, 0); /* the connection was reused */
    assert_int_equal(accepted, 1);
    free(a.body);
    free(b.body);
}

static void test_headers_sent(void **state)
{
    struct result r;

    (void)state;
    fetch("POST", "/headers", "x", 0, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "POST /headers HTTP/1.1\r\n"));
    assert_non_null(strstr(r.body, "\r\nContent-Type: application/x-amz-json-1.1\r\n"));
    assert_non_null(strstr(r.body, "\r\nX-Amz-Target: secretsmanager.GetSecretValue\r\n"));
    assert_non_null(strstr(r.body, "\r\nContent-Length: 1\r\n"));
    assert_null(strcasestr(r.body, "\r\nExpect:"));
    free(r.body);
}

static void test_status_and_get(void **state)
{
    struct result r;

    (void)state;
    fetch("GET", "/status/404", NULL, 0, 0, &r);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "{\"x\":1}");
    free(r.body);
}

static void test_body_cap(void **state)
{
    struct result r;

    (void)state;
    fetch("GET", "/big", NULL, 0, 0, &r); /* 2 MiB announced, 1 MiB default cap */
    assert_int_equal(r.err, VALS_ETOO_LARGE);
    free(r.body);
    fetch("GET", "/big-unsized", NULL, 0, 0, &r); /* no Content-Length: cut while reading */
    assert_int_equal(r.err, VALS_ETOO_LARGE);
    free(r.body);
    fetch("GET", "/big", NULL, 0, 4u << 20, &r); /* a larger cap lets it through */
    assert_int_equal(r.err, 0);
    assert_int_equal(r.body_len, 2u << 20);
    free(r.body);
}

static void test_timeout(void **state)
{
    struct result r;
    uint64_t t0 = uv_now(loop);

    (void)state;
    fetch("GET", "/slow", NULL, 300, 0, &r);
    assert_int_equal(r.err, VALS_ETIMEOUT);
    assert_int_equal(r.status, 0);
    assert_true(uv_now(loop) - t0 >= 250);
    assert_true(uv_now(loop) - t0 < 5000);
    free(r.body);
}

static void test_refused(void **state)
{
    struct result r = {0};
    struct http_request_opts o = {0};

    (void)state;
    o.method = "GET";
    o.url = "http://127.0.0.1:1/";
    assert_int_equal(http_request(&o, on_done, &r, NULL), 0);
    run_until(&r);
    assert_int_equal(r.err, VALS_EBACKEND);
    assert_int_equal(r.status, 0);
    free(r.body);
    /* other schemes are refused before any I/O */
    o.url = "file:///etc/passwd";
    memset(&r, 0, sizeof(r));
    assert_int_equal(http_request(&o, on_done, &r, NULL), 0);
    run_until(&r);
    assert_int_equal(r.err, VALS_EBACKEND);
    free(r.body);
}

extern char **environ;

/* A free TCP port on 127.0.0.1 (bound, read, released). */
static int free_port(void)
{
    uv_tcp_t t;
    struct sockaddr_in addr;
    struct sockaddr_storage name;
    int len = sizeof(name), p;

    uv_tcp_init(loop, &t);
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_bind(&t, (const struct sockaddr *)&addr, 0);
    uv_tcp_getsockname(&t, (struct sockaddr *)&name, &len);
    p = ntohs(((struct sockaddr_in *)&name)->sin_port);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return p;
}

static void tls_fetch(const char *url, const char *ca, int insecure, struct result *r)
{
    struct http_request_opts o = {0};

    o.method = "GET";
    o.url = url;
    o.ca_file = ca;
    o.insecure = insecure;
    o.timeout_ms = 5000;
    memset(r, 0, sizeof(*r));
    assert_int_equal(http_request(&o, on_done, r, NULL), 0);
    run_until(r);
}

static void test_tls_verification(void **state)
{
    char dir[] = "/tmp/test_http_tls.XXXXXX", cmd[1024], cert[128], key[128], ports[16], url[64];
    char *argv[] = {"openssl", "s_server", "-quiet", "-accept", ports, "-cert",
                    cert,      "-key",     key,      "-www",    NULL};
    struct result r;
    pid_t pid;
    int tls_port, status;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             key, cert);
    if (system(cmd) != 0)
        skip(); /* no openssl binary */
    tls_port = free_port();
    snprintf(ports, sizeof(ports), "%d", tls_port);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/", tls_port);
    assert_int_equal(posix_spawnp(&pid, "openssl", NULL, NULL, argv, environ), 0);
    for (int i = 0; i < 100; i++) { /* wait until s_server accepts */
        tls_fetch(url, cert, 0, &r);
        free(r.body);
        if (r.status == 200)
            break;
        usleep(50000);
    }
    assert_int_equal(r.status, 200); /* trusted through ca_file */
    tls_fetch(url, NULL, 0, &r);     /* the default: the system's trust anchors only */
    assert_int_equal(r.err, VALS_EBACKEND);
    assert_int_equal(r.status, 0);
    assert_non_null(strcasestr(r.errmsg, "certificate"));
    free(r.body);
    tls_fetch(url, NULL, 1, &r); /* explicitly insecure */
    assert_int_equal(r.err, 0);
    assert_int_equal(r.status, 200);
    free(r.body);
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_cancel_and_shutdown(void **state)
{
    struct result a = {0}, b = {0};
    struct http_request_opts o = {0};
    struct http_req *h = NULL;
    char url[128];

    (void)state;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", port);
    o.method = "GET";
    o.url = url;
    assert_int_equal(http_request(&o, on_done, &a, &h), 0);
    assert_int_equal(http_request(&o, on_done, &b, NULL), 0);
    for (int i = 0; i < 20; i++)
        uv_run(loop, UV_RUN_NOWAIT);
    assert_int_equal(http_requests_running(), 2);
    http_cancel(h);
    assert_int_equal(http_requests_running(), 1);
    http_shutdown();
    assert_false(a.done); /* cancelled: no callback */
    assert_true(b.done);
    assert_int_equal(b.err, VALS_ESHUTTING_DOWN);
    assert_int_equal(http_requests_running(), 0);
    free(b.body);
}

static int setup(void **state)
{
    struct sockaddr_in addr;
    struct sockaddr_storage name;
    int len = sizeof(name);

    (void)state;
    loop = uv_default_loop();
    uv_tcp_init(loop, &server);
    uv_ip4_addr("127.0.0.1", 0, &addr);
    if (uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0) != 0 ||
        uv_listen((uv_stream_t *)&server, 16, on_connection) != 0)
        return -1;
    uv_tcp_getsockname(&server, (struct sockaddr *)&name, &len);
    port = ntohs(((struct sockaddr_in *)&name)->sin_port);
    return http_init(loop);
}

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, h->data != NULL && h != (uv_handle_t *)&server ? on_sconn_closed : NULL);
}

static int teardown(void **state)
{
    (void)state;
    http_shutdown();
    uv_walk(loop, close_any, NULL);
    while (uv_run(loop, UV_RUN_DEFAULT) != 0) /* a uv_stop() may end a run early */
        ;
    return uv_loop_close(loop) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_reuse),
        cmocka_unit_test(test_headers_sent),
        cmocka_unit_test(test_status_and_get),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_tls_verification),
        cmocka_unit_test(test_cancel_and_shutdown),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
