/*
 * creds/oauth.c - OAuth 2.0 token endpoint requests (see oauth.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/cloud_resp.h"
#include "oauth.h"

struct token_op {
    struct tokens_fetch *p;
    char what[200];
};

static void on_token(void *data, struct http_response *res)
{
    struct token_op *op = data;
    char msg[600], *token = NULL;
    int64_t expires_in = 0;
    struct verr e = {0};
    int rc = 0;

    msg[0] = '\0';
    if (res->err != 0) {
        rc = res->err;
        snprintf(msg, sizeof(msg), "%s: %s", op->what, res->errmsg);
    } else if (res->status != 200) {
        struct cloud_error ce;
        cloud_error_parse(res->status, res->body.p, res->body.len, &ce);
        rc = cloud_auth_status_class(res->status);
        snprintf(msg, sizeof(msg), "%s refused (HTTP %ld): %s%s%.200s", op->what, res->status,
                 ce.code, ce.message[0] ? ": " : "", ce.message);
    } else if ((rc = cloud_oauth_token(res->body.p, res->body.len, &token, &expires_in, &e)) != 0) {
        snprintf(msg, sizeof(msg), "%s: %s", op->what, e.msg);
    }
    if (expires_in <= 0)
        expires_in = 3600;
    tokens_done(op->p, rc, msg, token,
                (int64_t)time(NULL) + (expires_in > 2 * CLOUD_TOKEN_REFRESH_S
                                           ? expires_in - CLOUD_TOKEN_REFRESH_S
                                           : expires_in / 2));
    secure_free_str(token);
    free(op);
}

int oauth_form(struct dbuf *b, const char *name, const char *value)
{
    int rc = dbuf_printf(b, "%s%s=", b->len > 0 ? "&" : "", name);

    if (rc == 0 && value != NULL)
        rc = cloud_escape(b, value, strlen(value), 0);
    return rc;
}

int oauth_request(uv_loop_t *loop, const char *url, const struct dbuf *body,
                  const struct cloud_tls *tls, struct tokens_fetch *p, const char *what,
                  struct verr *e)
{
    struct http_header h[1] = {{"Content-Type", "application/x-www-form-urlencoded"}};
    struct cloud_request rq = {0};
    struct token_op *op = calloc(1, sizeof(*op));
    int rc;

    if (op == NULL)
        return verr_set(e, VALS_ENOMEM, "out of memory");
    op->p = p;
    snprintf(op->what, sizeof(op->what), "%s", what);
    rq.loop = loop;
    rq.method = "POST";
    rq.url = url;
    rq.headers = h;
    rq.nheaders = 1;
    rq.body = body->p;
    rq.body_len = body->len;
    rq.tls = tls;
    if ((rc = cloud_call(&rq, on_token, op)) != 0) {
        free(op);
        rc = verr_set(e, rc, "%s: cannot send the request: %s", what, vals_strerror(rc));
    }
    return rc;
}
