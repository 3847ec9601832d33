/*
 * test_aws_call.c - daemon/aws_call.c and the assumed-role cache of daemon/creds/aws.c
 * against a scripted HTTP server on the same loop: what a signed JSON 1.1 request carries,
 * retries of throttling and 5xx answers (and their limit), no retry of definite errors,
 * one AssumeRole shared by concurrent calls, renewal after the service rejects the session
 * credentials, and renewal of session credentials that expire within the refresh window.
 * (Signature correctness itself is proven by test_sigv4 and, end to end, by moto.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/aws_call.h"
#include "daemon/http.h"
#include "lib/dbuf.h"
#include "lib/ref.h"

static uv_loop_t *loop;
static uv_tcp_t server;
static int port;

/* --- the scripted server ------------------------------------------------------------ */

#define MAX_SCRIPT 16
struct step {
    int status;
    char body[1024];
};
static struct step script[MAX_SCRIPT];
static int nscript, served;
static char seen[MAX_SCRIPT][4096]; /* request heads + bodies, in order */

struct sconn {
    uv_tcp_t tcp;
    struct dbuf in;
};

static void on_closed(uv_handle_t *h)
{
    struct sconn *c = h->data;

    dbuf_free(&c->in);
    free(c);
}

static void on_written(uv_write_t *w, int status)
{
    (void)status;
    free(w->data);
    free(w);
}

static void respond(struct sconn *c, const char *req, size_t len)
{
    struct dbuf b = DBUF_INIT;
    uv_write_t *w = malloc(sizeof(*w));
    uv_buf_t buf;
    const struct step *st;

    if (served < MAX_SCRIPT)
        snprintf(seen[served], sizeof(seen[0]), "%.*s", (int)len, req);
    st = served < nscript ? &script[served] : NULL;
    served++;
    if (st == NULL)
        dbuf_printf(&b, "HTTP/1.1 500 X\r\nContent-Length: 0\r\n\r\n");
    else
        dbuf_printf(&b, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n\r\n%s", st->status,
                    strlen(st->body), st->body);
    w->data = dbuf_take(&b, &len);
    buf = uv_buf_init(w->data, (unsigned)len);
    uv_write(w, (uv_stream_t *)&c->tcp, &buf, 1, on_written);
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
        if (!uv_is_closing((uv_handle_t *)s))
            uv_close((uv_handle_t *)s, on_closed);
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
        if ((cl = strcasestr(c->in.p, "\r\nContent-Length:")) != NULL && cl < end)
            blen = strtoul(cl + 17, NULL, 10);
        if (c->in.len < hlen + blen)
            return;
        respond(c, c->in.p, hlen + blen);
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
    if (uv_accept(s, (uv_stream_t *)&c->tcp) == 0)
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
    else
        uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void add_step(int status, const char *body)
{
    script[nscript].status = status;
    snprintf(script[nscript].body, sizeof(script[0].body), "%s", body);
    nscript++;
}

static void reset_script(void)
{
    nscript = served = 0;
    memset(seen, 0, sizeof(seen));
}

/* --- calls ------------------------------------------------------------------------- */

struct outcome {
    int done, err;
    char msg[600];
    char body[256];
};

static int pending_calls;

static void on_call(void *data, int err, const char *msg, const char *body, size_t len)
{
    struct outcome *o = data;

    o->done = 1;
    o->err = err;
    snprintf(o->msg, sizeof(o->msg), "%s", msg != NULL ? msg : "");
    snprintf(o->body, sizeof(o->body), "%.*s", (int)len, body != NULL ? body : "");
    if (--pending_calls == 0)
        uv_stop(loop);
}

static void settings(const char *refbody, struct aws_settings *s)
{
    char ep[64];
    struct doc *m = doc_map();
    struct ctx *c = NULL;
    struct verr e = {0};
    struct ref r;

    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
    doc_map_set(m, "AWS_ACCESS_KEY_ID", doc_strz("AKIDSOURCE"));
    doc_map_set(m, "AWS_SECRET_ACCESS_KEY", doc_strz("source-secret"));
    doc_map_set(m, "AWS_REGION", doc_strz("eu-west-3"));
    doc_map_set(m, "AWS_ENDPOINT_URL", doc_strz(ep));
    assert_int_equal(ctx_from_doc(getuid(), m, &c, &e), 0);
    assert_int_equal(ref_parse(refbody, strlen(refbody), &r, &e), 0);
    assert_int_equal(aws_settings_load(c, &r, &aws_svc_secretsmanager, s, &e), 0);
    ref_free(&r);
    ctx_unref(c);
    doc_free(m);
}

static void run_calls(struct aws_settings *s, struct outcome *o, int n)
{
    struct verr e = {0};
    static const char body[] = "{\"SecretId\":\"my-app\"}";

    pending_calls = n;
    for (int i = 0; i < n; i++) {
        memset(&o[i], 0, sizeof(o[i]));
        assert_int_equal(aws_call(loop, &s[i], &aws_svc_secretsmanager,
                                  "secretsmanager.GetSecretValue", body, sizeof(body) - 1, on_call,
                                  &o[i], &e),
                         0);
    }
    while (pending_calls > 0)
        uv_run(loop, UV_RUN_DEFAULT);
}

static const char throttled[] =
    "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}";
static const char value[] = "{\"Name\":\"my-app\",\"SecretString\":\"v\"}";

static void test_request_shape_and_retry(void **state)
{
    struct aws_settings s;
    struct outcome o;

    (void)state;
    reset_script();
    add_step(400, throttled);
    add_step(503, "");
    add_step(200, value);
    settings("awssecrets://my-app", &s);
    run_calls(&s, &o, 1);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.body, value);
    assert_int_equal(served, 3); /* two retries */
    assert_non_null(strstr(seen[0], "POST / HTTP/1.1\r\n"));
    assert_non_null(strcasestr(seen[0], "\r\nHost: 127.0.0.1:"));
    assert_non_null(strstr(seen[0], "\r\nContent-Type: application/x-amz-json-1.1\r\n"));
    assert_non_null(strstr(seen[0], "\r\nX-Amz-Target: secretsmanager.GetSecretValue\r\n"));
    assert_non_null(strstr(seen[0], "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDSOURCE/"));
    assert_non_null(strstr(seen[0], "/eu-west-3/secretsmanager/aws4_request, SignedHeaders="
                                    "content-type;host;x-amz-date;x-amz-target, Signature="));
    assert_null(strcasestr(seen[0], "X-Amz-Security-Token"));
    assert_non_null(strstr(seen[0], "\r\n\r\n{\"SecretId\":\"my-app\"}"));
    assert_null(strstr(seen[0], "source-secret")); /* the secret key never travels */
    aws_settings_free(&s);
}

static void test_retry_limit_and_definite_errors(void **state)
{
    struct aws_settings s;
    struct outcome o;

    (void)state;
    reset_script();
    for (int i = 0; i < 4; i++)
        add_step(400, throttled);
    settings("awssecrets://my-app", &s);
    run_calls(&s, &o, 1);
    assert_int_equal(o.err, VALS_ETHROTTLED);
    assert_int_equal(served, AWS_CALL_ATTEMPTS);
    assert_string_equal(o.msg, "GetSecretValue (eu-west-3): ThrottlingException: Rate exceeded");
    reset_script();
    add_step(400, "{\"__type\":\"ResourceNotFoundException\",\"message\":\"nope\"}");
    run_calls(&s, &o, 1);
    assert_int_equal(o.err, VALS_ENOT_FOUND);
    assert_int_equal(served, 1); /* not retried */
    aws_settings_free(&s);
}

/* An STS answer whose credentials expire `in` seconds from now. */
static void sts_step(const char *akid, const char *token, long in)
{
    char body[1024], when[32];
    time_t t = time(NULL) + in;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(body, sizeof(body),
             "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId>"
             "<SecretAccessKey>session-secret</SecretAccessKey><SessionToken>%s</SessionToken>"
             "<Expiration>%s</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
             akid, token, when);
    add_step(200, body);
}

static void test_assume_role_shared_and_renewed(void **state)
{
    struct aws_settings s[2];
    struct outcome o[2];

    (void)state;
    aws_creds_clear();
    reset_script();
    sts_step("ASIAONE", "token-one", 3600);
    add_step(200, value);
    add_step(200, value);
    settings("awssecrets://my-app?role_arn=arn:aws:iam::123456789012:role/reader", &s[0]);
    settings("awssecrets://other?role_arn=arn:aws:iam::123456789012:role/reader", &s[1]);
    run_calls(s, o, 2); /* concurrent: one AssumeRole serves both */
    assert_int_equal(o[0].err, 0);
    assert_int_equal(o[1].err, 0);
    assert_int_equal(served, 3);
    assert_non_null(strstr(seen[0], "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam"
                                    "%3A%3A123456789012%3Arole%2Freader&RoleSessionName=valsd-"));
    assert_non_null(strstr(seen[0], "application/x-www-form-urlencoded; charset=utf-8"));
    assert_non_null(strstr(seen[0], "Credential=AKIDSOURCE/"));
    assert_non_null(strstr(seen[0], "/eu-west-3/sts/aws4_request"));
    for (int i = 1; i <= 2; i++) {
        assert_non_null(strstr(seen[i], "Credential=ASIAONE/"));
        assert_non_null(strstr(seen[i], "\r\nX-Amz-Security-Token: token-one\r\n"));
        assert_non_null(strstr(seen[i], "x-amz-security-token;x-amz-target"));
    }
    assert_int_equal(aws_creds_cached(), 1);

    /* the session is rejected: assumed again, once, and the call repeated */
    reset_script();
    add_step(400, "{\"__type\":\"ExpiredTokenException\",\"message\":\"expired\"}");
    sts_step("ASIATWO", "token-two", 3600);
    add_step(200, value);
    run_calls(s, o, 1);
    assert_int_equal(o[0].err, 0);
    assert_int_equal(served, 3);
    assert_non_null(strstr(seen[0], "Credential=ASIAONE/"));
    assert_non_null(strstr(seen[1], "Action=AssumeRole"));
    assert_non_null(strstr(seen[2], "Credential=ASIATWO/"));
    aws_settings_free(&s[0]);
    aws_settings_free(&s[1]);
}

static void test_assume_role_refresh_window(void **state)
{
    struct aws_settings s;
    struct outcome o;

    (void)state;
    aws_creds_clear();
    reset_script();
    /* credentials that expire within the refresh window are not reused */
    sts_step("ASIASHORT", "t1", AWS_ROLE_REFRESH_S - 60);
    add_step(200, value);
    sts_step("ASIASHORT2", "t2", 7200);
    add_step(200, value);
    add_step(200, value);
    settings("awssecrets://my-app?role_arn=arn:aws:iam::123456789012:role/reader", &s);
    run_calls(&s, &o, 1);
    assert_int_equal(o.err, 0);
    run_calls(&s, &o, 1); /* renews: the first session is too close to its end */
    assert_int_equal(o.err, 0);
    run_calls(&s, &o, 1); /* reuses the second */
    assert_int_equal(o.err, 0);
    assert_int_equal(served, 5);
    assert_non_null(strstr(seen[2], "Action=AssumeRole"));
    assert_non_null(strstr(seen[4], "Credential=ASIASHORT2/"));
    /* an STS failure is reported with the role and the code */
    aws_creds_clear();
    reset_script();
    add_step(403, "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>"
                  "not allowed</Message></Error></ErrorResponse>");
    run_calls(&s, &o, 1);
    assert_int_equal(o.err, VALS_EDENIED);
    assert_non_null(strstr(o.msg, "STS AssumeRole arn:aws:iam::123456789012:role/reader"));
    assert_non_null(strstr(o.msg, "AccessDenied: not allowed"));
    assert_int_equal(aws_creds_cached(), 0); /* failures are not kept */
    aws_settings_free(&s);
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
        uv_close(h, h == (uv_handle_t *)&server ? NULL : on_closed);
}

static int teardown(void **state)
{
    (void)state;
    http_shutdown();
    aws_creds_clear();
    uv_walk(loop, close_any, NULL);
    while (uv_run(loop, UV_RUN_DEFAULT) != 0)
        ;
    return uv_loop_close(loop) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_shape_and_retry),
        cmocka_unit_test(test_retry_limit_and_definite_errors),
        cmocka_unit_test(test_assume_role_shared_and_renewed),
        cmocka_unit_test(test_assume_role_refresh_window),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
