/*
 * cloud_call.c - REST requests with retries and context helpers for the bearer-token
 * backends (see cloud_call.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cloud_call.h"
#include "cloud_resp.h"
#include "lib/local_refs.h"

#define CLOUD_BACKOFF_BASE_MS 200

struct cloud_op {
    uv_loop_t *loop;
    uv_timer_t timer; /* backoff; freed in its close callback */
    int timer_init;
    char *method, *url;
    struct http_header headers[HTTP_MAX_REQUEST_HEADERS];
    char *hstore[HTTP_MAX_REQUEST_HEADERS][2];
    size_t nheaders;
    char *body;
    size_t body_len;
    int has_body;
    struct cloud_tls tls;
    const char *capture[HTTP_MAX_CAPTURE + 1];
    char *cstore[HTTP_MAX_CAPTURE];
    size_t ncapture;
    int attempts, max_attempts;
    cloud_call_cb cb;
    void *data;
};

static void op_free(struct cloud_op *op)
{
    free(op->method);
    free(op->url);
    for (size_t i = 0; i < op->nheaders; i++) {
        free(op->hstore[i][0]);
        secure_free_str(op->hstore[i][1]);
    }
    if (op->body != NULL)
        secure_free(op->body, op->body_len + 1);
    cloud_tls_free(&op->tls);
    for (size_t i = 0; i < op->ncapture; i++)
        free(op->cstore[i]);
    free(op);
}

static void on_timer_closed(uv_handle_t *h)
{
    op_free(h->data);
}

static void op_finish(struct cloud_op *op, struct http_response *res)
{
    op->cb(op->data, res);
    if (op->timer_init)
        uv_close((uv_handle_t *)&op->timer, on_timer_closed);
    else
        op_free(op);
}

static void on_http(struct http_response *res, void *data);

static int op_send(struct cloud_op *op)
{
    struct http_request_opts o = {0};

    op->attempts++;
    o.method = op->method;
    o.url = op->url;
    o.headers = op->headers;
    o.nheaders = op->nheaders;
    o.body = op->has_body ? op->body : NULL;
    o.body_len = op->body_len;
    o.timeout_ms = CLOUD_CALL_TIMEOUT_MS;
    o.connect_timeout_ms = CLOUD_CONNECT_TIMEOUT_MS;
    o.max_response = CLOUD_MAX_RESPONSE;
    o.capture = op->capture;
    o.ca_file = op->tls.ca_file;
    o.insecure = op->tls.insecure;
    o.proxy = op->tls.proxy;
    o.no_proxy = op->tls.no_proxy;
    return http_request(&o, on_http, op, NULL);
}

static void on_backoff(uv_timer_t *t)
{
    struct cloud_op *op = t->data;
    int rc = op_send(op);

    if (rc != 0) {
        struct http_response res = {0};
        res.err = rc;
        snprintf(res.errmsg, sizeof(res.errmsg), "cannot send the request: %s", vals_strerror(rc));
        op_finish(op, &res);
    }
}

/* Wait (exponential backoff with jitter, or the server's Retry-After), then send again. */
static int op_retry_later(struct cloud_op *op, const struct http_response *res)
{
    uint64_t cap = (uint64_t)CLOUD_BACKOFF_BASE_MS << (op->attempts - 1);
    uint64_t delay = cap / 2 + uv_hrtime() % (cap / 2 + 1);
    const char *ra = res != NULL ? http_response_header(res, "Retry-After") : NULL;

    if (ra != NULL) {
        char *end;
        long s = strtol(ra, &end, 10);
        if (end != ra && s >= 0)
            delay = (uint64_t)s * 1000 < CLOUD_RETRY_AFTER_MAX_MS ? (uint64_t)s * 1000
                                                                  : CLOUD_RETRY_AFTER_MAX_MS;
    }
    if (!op->timer_init) {
        if (uv_timer_init(op->loop, &op->timer) != 0)
            return -1;
        op->timer.data = op;
        op->timer_init = 1;
    }
    return uv_timer_start(&op->timer, on_backoff, delay, 0) == 0 ? 0 : -1;
}

static void on_http(struct http_response *res, void *data)
{
    struct cloud_op *op = data;
    int again = op->attempts < op->max_attempts;

    if (res->err != 0) {
        if (res->err != VALS_ETOO_LARGE && res->err != VALS_ESHUTTING_DOWN && again &&
            op_retry_later(op, NULL) == 0)
            return;
    } else if (cloud_status_retryable(res->status) && again && op_retry_later(op, res) == 0) {
        return;
    }
    op_finish(op, res);
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

int cloud_call(const struct cloud_request *rq, cloud_call_cb cb, void *data)
{
    struct cloud_op *op;
    int rc;

    if (rq->nheaders > HTTP_MAX_REQUEST_HEADERS)
        return VALS_ETOO_LARGE;
    if ((op = calloc(1, sizeof(*op))) == NULL)
        return VALS_ENOMEM;
    op->loop = rq->loop;
    op->cb = cb;
    op->data = data;
    op->max_attempts = rq->no_retry ? 1 : CLOUD_CALL_ATTEMPTS;
    op->method = strdup(rq->method);
    op->url = strdup(rq->url);
    if (op->method == NULL || op->url == NULL)
        goto nomem;
    for (size_t i = 0; i < rq->nheaders; i++) {
        op->hstore[i][0] = strdup(rq->headers[i].name);
        op->hstore[i][1] = strdup(rq->headers[i].value);
        op->nheaders = i + 1;
        if (op->hstore[i][0] == NULL || op->hstore[i][1] == NULL)
            goto nomem;
        op->headers[i] = (struct http_header){op->hstore[i][0], op->hstore[i][1]};
    }
    if (rq->body != NULL) {
        if ((op->body = malloc(rq->body_len + 1)) == NULL)
            goto nomem;
        memcpy(op->body, rq->body, rq->body_len);
        op->body[rq->body_len] = '\0';
        op->body_len = rq->body_len;
        op->has_body = 1;
    }
    if (rq->tls != NULL) {
        op->tls.insecure = rq->tls->insecure;
        op->tls.ca_file = dup_or_null(rq->tls->ca_file);
        op->tls.proxy = dup_or_null(rq->tls->proxy);
        op->tls.no_proxy = dup_or_null(rq->tls->no_proxy);
        if ((rq->tls->ca_file != NULL && op->tls.ca_file == NULL) ||
            (rq->tls->proxy != NULL && op->tls.proxy == NULL) ||
            (rq->tls->no_proxy != NULL && op->tls.no_proxy == NULL))
            goto nomem;
    }
    for (size_t i = 0; rq->capture != NULL && rq->capture[i] != NULL; i++) {
        if (op->ncapture + 1 >= HTTP_MAX_CAPTURE) {
            op_free(op);
            return VALS_ETOO_LARGE;
        }
        if ((op->cstore[op->ncapture] = strdup(rq->capture[i])) == NULL)
            goto nomem;
        op->capture[op->ncapture] = op->cstore[op->ncapture];
        op->ncapture++;
    }
    if ((op->cstore[op->ncapture] = strdup("Retry-After")) == NULL)
        goto nomem;
    op->capture[op->ncapture] = op->cstore[op->ncapture];
    op->ncapture++;
    op->capture[op->ncapture] = NULL;
    if ((rc = op_send(op)) != 0) {
        op_free(op);
        return rc;
    }
    return 0;
nomem:
    op_free(op);
    return VALS_ENOMEM;
}

/* --- context helpers ---------------------------------------------------------------- */

const char *cloud_option(const struct ref *r, const struct ctx *ctx, const char *name)
{
    const char *v = ref_param(r, name);
    char env[64];
    size_t n;

    if (v != NULL)
        return v;
    n = (size_t)snprintf(env, sizeof(env), "VALS_%s", name);
    if (n >= sizeof(env))
        return NULL;
    for (size_t i = 5; i < n; i++)
        if (env[i] >= 'a' && env[i] <= 'z')
            env[i] = (char)(env[i] - 'a' + 'A');
    return ctx_get(ctx, env, n);
}

const char *cloud_env(const struct ctx *ctx, const char *name)
{
    const char *v = ctx_get(ctx, name, strlen(name));

    return v != NULL && v[0] != '\0' ? v : NULL;
}

int cloud_truthy(const char *v)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True", NULL};

    for (size_t i = 0; v != NULL && yes[i] != NULL; i++)
        if (!strcmp(v, yes[i]))
            return 1;
    return 0;
}

int cloud_path(const struct ctx *ctx, const char *value, const char *what, char **out,
               struct verr *e)
{
    const char *home = cloud_env(ctx, "HOME");
    struct dbuf b = DBUF_INIT;
    int rc;

    *out = NULL;
    if (value[0] == '~' && (value[1] == '/' || value[1] == '\0')) {
        if (home == NULL || home[0] != '/')
            return verr_set(e, VALS_EBAD_REQUEST,
                            "%s starts with ~ but HOME is not in the request's context", what);
        rc = dbuf_printf(&b, "%s%s", home, value + 1);
    } else if (value[0] != '/') {
        return verr_set(e, VALS_EBAD_REQUEST,
                        "%s must be an absolute path (valsd does not know the client's "
                        "working directory)",
                        what);
    } else {
        rc = dbuf_adds(&b, value);
    }
    if (rc == 0 && (*out = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&b);
    return rc != 0 ? verr_set(e, rc, "out of memory") : 0;
}

int cloud_read_file(const struct ctx *ctx, const char *value, const char *what, struct dbuf *out,
                    struct verr *e)
{
    char *path = NULL;
    struct verr fe = {0};
    int rc;

    if (ctx->uid != getuid())
        return verr_set(e, VALS_ELOCAL_ONLY,
                        "valsd reads %s only for its own user; send the credential itself", what);
    if ((rc = cloud_path(ctx, value, what, &path, e)) != 0)
        return rc;
    dbuf_init(out, CLOUD_MAX_CREDENTIAL_FILE);
    if ((rc = local_read_file(path, CLOUD_MAX_CREDENTIAL_FILE, out, &fe)) != 0)
        rc = verr_set(e, rc == VALS_ENOT_FOUND || rc == VALS_EDENIED ? VALS_EDENIED : rc, "%s: %s",
                      what, fe.msg);
    free(path);
    return rc;
}

int cloud_tls_load(const struct ctx *ctx, const char *ca_var, struct cloud_tls *t, struct verr *e)
{
    const char *v;
    int rc;

    memset(t, 0, sizeof(*t));
    if (ca_var != NULL && (v = cloud_env(ctx, ca_var)) != NULL) {
        if (ctx->uid != getuid())
            return verr_set(e, VALS_ELOCAL_ONLY, "valsd opens %s only for its own user", ca_var);
        if ((rc = cloud_path(ctx, v, ca_var, &t->ca_file, e)) != 0)
            return rc;
    }
    if ((v = cloud_env(ctx, "HTTPS_PROXY")) != NULL || (v = cloud_env(ctx, "https_proxy")) != NULL)
        t->proxy = strdup(v);
    if ((v = cloud_env(ctx, "NO_PROXY")) != NULL || (v = cloud_env(ctx, "no_proxy")) != NULL)
        t->no_proxy = strdup(v);
    return 0;
}

void cloud_tls_free(struct cloud_tls *t)
{
    free(t->ca_file);
    free(t->proxy);
    free(t->no_proxy);
    memset(t, 0, sizeof(*t));
}

int cloud_escape(struct dbuf *b, const char *s, size_t len, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
            rc = dbuf_addc(b, (char)c);
        else {
            char t[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = dbuf_add(b, t, 3);
        }
    }
    return rc;
}

int cloud_url_ok(const char *url)
{
    const char *h;
    size_t hl;

    if (!strncmp(url, "https://", 8))
        h = url + 8;
    else if (!strncmp(url, "http://", 7))
        h = url + 7;
    else
        return 0;
    hl = strcspn(h, "/?#");
    if (hl == 0 || memchr(h, '@', hl) != NULL || strlen(url) > 2048)
        return 0;
    if (strpbrk(h + hl, "?#") != NULL)
        return 0;
    for (const char *p = url; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return 0;
    return 1;
}

void cloud_key(unsigned char out[32], const char *const *parts, size_t n)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    unsigned int len = 0;

    memset(out, 0, 32);
    if (h == NULL)
        return;
    if (EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
        for (size_t i = 0; i < n; i++) {
            const char *p = parts[i] != NULL ? parts[i] : "";
            EVP_DigestUpdate(h, p, strlen(p) + 1);
        }
        EVP_DigestFinal_ex(h, out, &len);
    }
    EVP_MD_CTX_free(h);
}
