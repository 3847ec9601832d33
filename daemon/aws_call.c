/*
 * aws_call.c - signed AWS requests with error mapping and retries (see aws_call.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_call.h"
#include "aws_resp.h"
#include "lib/aws_sigv4.h"

#define AWS_BACKOFF_BASE_MS 200

struct aws_call {
    uv_loop_t *loop;
    uv_timer_t timer; /* backoff between attempts; freed in its close callback */
    int timer_init;
    struct aws_settings *s;
    const struct aws_service *svc;
    char *target;
    char *body;
    size_t len;
    aws_call_cb cb;
    void *data;
    int attempts; /* requests sent */
    int renewed;  /* assumed-role credentials renewed once */
    char op[64];  /* "GetSecretValue", for messages */
};

static const char *const capture[] = {"x-amzn-ErrorType", "x-amzn-RequestId", NULL};

int aws_send(const struct aws_settings *s, const struct aws_creds *c, const struct aws_service *svc,
             const struct aws_endpoint *ep, const char *target, const char *body, size_t len,
             http_done_cb cb, void *data)
{
    struct aws_sigv4_header h[6];
    struct aws_sigv4_scope sc = {.region = s->region, .service = svc->name};
    struct aws_sigv4_request rq;
    struct http_header hh[7];
    struct http_request_opts o = {0};
    struct dbuf auth = DBUF_INIT;
    char hash[65];
    size_t n = 0;
    int rc;

    if (c->access_key_id == NULL || c->secret_access_key == NULL)
        return VALS_EDENIED;
    aws_sigv4_amz_date(time(NULL), sc.amz_date);
    if ((rc = aws_sigv4_hash(body, len, hash)) != 0)
        return rc;
    h[n++] = (struct aws_sigv4_header){"Host", ep->host};
    h[n++] = (struct aws_sigv4_header){
        "Content-Type", target != NULL ? "application/x-amz-json-1.1"
                                       : "application/x-www-form-urlencoded; charset=utf-8"};
    h[n++] = (struct aws_sigv4_header){"X-Amz-Date", sc.amz_date};
    if (target != NULL)
        h[n++] = (struct aws_sigv4_header){"X-Amz-Target", target};
    if (c->session_token != NULL && c->session_token[0] != '\0')
        h[n++] = (struct aws_sigv4_header){"X-Amz-Security-Token", c->session_token};
    rq = (struct aws_sigv4_request){"POST", ep->path, NULL, h, n, hash, 1};
    if ((rc = aws_sigv4_sign(&rq, &sc, c->access_key_id, c->secret_access_key, &auth)) != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        hh[i] = (struct http_header){h[i].name, h[i].value};
    hh[n] = (struct http_header){"Authorization", auth.p};
    o.method = "POST";
    o.url = ep->url;
    o.headers = hh;
    o.nheaders = n + 1;
    o.body = body != NULL ? body : "";
    o.body_len = len;
    o.timeout_ms = AWS_CALL_TIMEOUT_MS;
    o.connect_timeout_ms = 5000;
    o.capture = capture;
    o.ca_file = s->ca_file;
    o.proxy = s->proxy;
    o.no_proxy = s->no_proxy;
    rc = http_request(&o, cb, data, NULL);
out:
    dbuf_free(&auth);
    return rc;
}

/* Free a call (its body copy is zeroed). */
static void call_free(struct aws_call *c)
{
    free(c->target);
    secure_free(c->body, c->len + 1);
    free(c);
}

/* Close callback of the backoff timer: free the call. */
static void on_timer_closed(uv_handle_t *h)
{
    call_free(h->data);
}

/* Deliver the outcome and free the call. */
static void call_finish(struct aws_call *c, int err, const char *msg, const char *body, size_t len)
{
    c->cb(c->data, err, msg, body, len);
    if (c->timer_init)
        uv_close((uv_handle_t *)&c->timer, on_timer_closed);
    else
        call_free(c);
}

static void on_http(struct http_response *res, void *data);

/* Send the next attempt, signed with the current credentials. */
static int call_send(struct aws_call *c)
{
    c->attempts++;
    return aws_send(c->s, aws_settings_signing(c->s), c->svc, &c->s->endpoint, c->target, c->body,
                    c->len, on_http, c);
}

/* Send, or finish with the reason it could not be sent. */
static void call_send_or_finish(struct aws_call *c)
{
    char msg[300];
    int rc = call_send(c);

    if (rc != 0) {
        snprintf(msg, sizeof(msg), "%s (%s): cannot send the request: %s", c->op, c->s->region,
                 vals_strerror(rc));
        call_finish(c, rc, msg, NULL, 0);
    }
}

/* Credentials are ready (or failed): send, or finish with the error. */
static void on_creds(void *data, int err, const char *msg)
{
    struct aws_call *c = data;

    if (err != 0)
        call_finish(c, err, msg, NULL, 0);
    else
        call_send_or_finish(c);
}

/* The backoff delay is over: try again. */
static void on_backoff(uv_timer_t *t)
{
    call_send_or_finish(t->data);
}

/* Wait a little (exponential backoff, with jitter), then send again. */
static int call_retry_later(struct aws_call *c)
{
    uint64_t cap = (uint64_t)AWS_BACKOFF_BASE_MS << (c->attempts - 1);
    uint64_t delay = cap / 2 + uv_hrtime() % (cap / 2 + 1);

    if (!c->timer_init) {
        if (uv_timer_init(c->loop, &c->timer) != 0)
            return -1;
        c->timer.data = c;
        c->timer_init = 1;
    }
    return uv_timer_start(&c->timer, on_backoff, delay, 0) == 0 ? 0 : -1;
}

/* An answer (or a transport failure): finish, renew credentials, or retry. */
static void on_http(struct http_response *res, void *data)
{
    struct aws_call *c = data;
    struct aws_error ae;
    struct verr e = {0};
    char msg[600];
    int rc;

    if (res->err != 0) { /* no HTTP answer */
        if (res->err != VALS_ETOO_LARGE && res->err != VALS_ESHUTTING_DOWN &&
            c->attempts < AWS_CALL_ATTEMPTS && call_retry_later(c) == 0)
            return;
        snprintf(msg, sizeof(msg), "%s (%s, %s): %s", c->op, c->s->region, c->s->endpoint.host,
                 res->errmsg);
        call_finish(c, res->err, msg, NULL, 0);
        return;
    }
    if (res->status == 200) {
        call_finish(c, 0, NULL, res->body.p != NULL ? res->body.p : "", res->body.len);
        return;
    }
    aws_error_parse(res->status, res->body.p, res->body.len,
                    http_response_header(res, "x-amzn-ErrorType"), &ae);
    if (aws_error_is_credentials(&ae) && c->s->role_arn != NULL && !c->renewed) {
        /* the assumed-role session may have been revoked: assume it again, once */
        c->renewed = 1;
        aws_creds_forget(c->s);
        rc = aws_creds_ready(c->s, on_creds, c, &e);
        if (rc == 1)
            call_send_or_finish(c);
        else if (rc < 0)
            call_finish(c, rc, e.msg, NULL, 0);
        return;
    }
    if (aws_error_is_retryable(&ae, res->status) && c->attempts < AWS_CALL_ATTEMPTS &&
        call_retry_later(c) == 0)
        return;
    snprintf(msg, sizeof(msg), "%s (%s): %s%s%s", c->op, c->s->region, ae.code,
             ae.message[0] ? ": " : "", ae.message);
    call_finish(c, aws_error_class(&ae, res->status), msg, NULL, 0);
}

int aws_call(uv_loop_t *loop, struct aws_settings *s, const struct aws_service *svc,
             const char *target, const char *body, size_t len, aws_call_cb cb, void *data,
             struct verr *e)
{
    struct aws_call *c = calloc(1, sizeof(*c));
    const char *dot = strrchr(target, '.');
    int rc;

    if (c == NULL || (c->target = strdup(target)) == NULL || (c->body = malloc(len + 1)) == NULL) {
        if (c != NULL)
            free(c->target);
        free(c);
        return verr_set(e, VALS_ENOMEM, "out of memory");
    }
    memcpy(c->body, body, len);
    c->body[len] = '\0';
    c->len = len;
    c->loop = loop;
    c->s = s;
    c->svc = svc;
    c->cb = cb;
    c->data = data;
    snprintf(c->op, sizeof(c->op), "%s", dot != NULL ? dot + 1 : target);
    rc = aws_creds_ready(s, on_creds, c, e);
    if (rc == 0)
        return 0;
    if (rc == 1 && (rc = call_send(c)) == 0)
        return 0;
    if (e != NULL && e->code == 0)
        verr_set(e, rc, "%s (%s): cannot send the request: %s", c->op, s->region,
                 vals_strerror(rc));
    call_free(c);
    return rc;
}
