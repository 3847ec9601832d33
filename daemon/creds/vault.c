/*
 * creds/vault.c - Vault address, TLS and token from the request's context, and the login
 * methods with their token cache (see vault.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/cloud_resp.h"
#include "tokens.h"
#include "vault.h"

#define VAULT_K8S_TOKEN_PATH      "/var/run/secrets/kubernetes.io/serviceaccount/token"
#define VAULT_LOGIN_DEFAULT_TTL_S 3600 /* cache a login token without a lease this long */

void vault_settings_free(struct vault_settings *s)
{
    free(s->addr);
    free(s->namespace);
    cloud_tls_free(&s->tls);
    secure_free_str(s->token);
    free(s->login_path);
    if (s->login_body != NULL)
        secure_free(s->login_body, s->login_len + 1);
    memset(s, 0, sizeof(*s));
}

/* Trim ASCII whitespace at both ends of b (in place). */
static void trim(struct dbuf *b)
{
    size_t s = 0, n = b->len;

    while (s < n && (b->p[s] == ' ' || b->p[s] == '\t' || b->p[s] == '\r' || b->p[s] == '\n'))
        s++;
    while (n > s && (b->p[n - 1] == ' ' || b->p[n - 1] == '\t' || b->p[n - 1] == '\r' ||
                     b->p[n - 1] == '\n'))
        n--;
    if (s > 0)
        memmove(b->p, b->p + s, n - s);
    if (b->p != NULL) {
        secure_zero(b->p + (n - s), b->len - (n - s));
        b->len = n - s;
    }
}

/* A token must fit in a header line. */
static int token_ok(const char *t, size_t n)
{
    if (n == 0 || n > CLOUD_MAX_TOKEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
            return 0;
    return 1;
}

/* Read a token/password file (trimmed) into *out; `what` names it. */
static int read_secret_file(const struct ctx *ctx, const char *path, const char *what, char **out,
                            struct verr *e)
{
    struct dbuf b = DBUF_INIT;
    int rc;

    *out = NULL;
    if ((rc = cloud_read_file(ctx, path, what, &b, e)) == 0) {
        trim(&b);
        if ((*out = dbuf_take(&b, NULL)) == NULL)
            rc = verr_set(e, VALS_ENOMEM, "out of memory");
    }
    dbuf_free(&b);
    return rc;
}

/* The token of the token method. */
static int token_load(const struct ctx *ctx, const struct ref *r, struct vault_settings *s,
                      struct verr *e)
{
    const char *env = cloud_option(r, ctx, "token_env"), *file = cloud_option(r, ctx, "token_file");
    const char *v;
    char *path = NULL;
    int rc = 0;

    if (env != NULL && env[0] != '\0') {
        if ((v = cloud_env(ctx, env)) == NULL)
            return verr_set(e, VALS_EDENIED,
                            "token_env names %.64s, which is not set in the request's context",
                            env);
        s->token = strdup(v);
        snprintf(s->source, sizeof(s->source), "the variable %.64s (token_env)", env);
    } else if (file != NULL && file[0] != '\0') {
        rc = read_secret_file(ctx, file, "token_file", &s->token, e);
        snprintf(s->source, sizeof(s->source), "token_file");
    } else if ((v = cloud_env(ctx, "VAULT_TOKEN")) != NULL) {
        s->token = strdup(v);
        snprintf(s->source, sizeof(s->source), "VAULT_TOKEN");
    } else if ((v = cloud_env(ctx, "VAULT_TOKEN_FILE")) != NULL) {
        rc = read_secret_file(ctx, v, "VAULT_TOKEN_FILE", &s->token, e);
        snprintf(s->source, sizeof(s->source), "VAULT_TOKEN_FILE");
    } else if ((v = cloud_env(ctx, "HOME")) != NULL && v[0] == '/') {
        struct verr fe = {0};
        if ((rc = cloud_path(ctx, "~/.vault-token", "~/.vault-token", &path, e)) != 0)
            return rc;
        rc = read_secret_file(ctx, path, "~/.vault-token", &s->token, &fe);
        free(path);
        if (rc == VALS_EDENIED) /* absent: no token at all */
            return verr_set(e, VALS_EDENIED,
                            "no Vault token: set VAULT_TOKEN (or token_env, token_file, "
                            "VAULT_TOKEN_FILE, ~/.vault-token) or an auth_method");
        if (rc != 0)
            return verr_set(e, rc, "%s", fe.msg);
        snprintf(s->source, sizeof(s->source), "~/.vault-token");
    } else {
        return verr_set(e, VALS_EDENIED,
                        "no Vault token: set VAULT_TOKEN (or token_env, token_file, "
                        "VAULT_TOKEN_FILE) or an auth_method");
    }
    if (rc != 0)
        return rc;
    if (s->token == NULL)
        return verr_set(e, VALS_ENOMEM, "out of memory");
    if (!token_ok(s->token, strlen(s->token)))
        return verr_set(e, VALS_EDENIED, "the Vault token from %s is empty or malformed",
                        s->source);
    return 0;
}

/* Append ,"name":"value" (or the first pair without the comma) to a JSON body. */
static int json_pair(struct dbuf *b, const char *name, const char *value)
{
    int rc = dbuf_adds(b, b->len > 1 ? ",\"" : "\"");

    if (rc == 0)
        rc = dbuf_adds(b, name);
    if (rc == 0)
        rc = dbuf_adds(b, "\":");
    if (rc == 0)
        rc = doc_json_quote(value, strlen(value), b, 0);
    return rc;
}

/* A login mount point: safe path characters only. */
static int mount_ok(const char *m)
{
    size_t n = strlen(m);

    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((m[i] >= 'a' && m[i] <= 'z') || (m[i] >= 'A' && m[i] <= 'Z') ||
              (m[i] >= '0' && m[i] <= '9') || m[i] == '-' || m[i] == '_' || m[i] == '.' ||
              (m[i] == '/' && i > 0 && i + 1 < n)))
            return 0;
    return 1;
}

/* Build the login request of approle / userpass / kubernetes. */
static int login_load(const struct ctx *ctx, const struct ref *r, struct vault_settings *s,
                      struct verr *e)
{
    const char *mount, *v, *name = NULL;
    char *secret = NULL, *jwt = NULL;
    struct dbuf body = DBUF_INIT, path = DBUF_INIT;
    const char *parts[6];
    int rc = 0;

    if (s->method == VAULT_AUTH_KUBERNETES) {
        mount = cloud_env(ctx, "VAULT_KUBERNETES_MOUNT_POINT");
        if (mount == NULL)
            mount = "kubernetes";
    } else {
        mount = cloud_env(ctx, "VAULT_LOGIN_MOUNT_POINT");
        if (mount == NULL)
            mount = s->method == VAULT_AUTH_APPROLE ? "approle" : "userpass";
    }
    if (!mount_ok(mount)) {
        rc = verr_set(e, VALS_EBAD_REQUEST, "the Vault login mount point is not a usable path");
        goto out;
    }
    rc = dbuf_addc(&body, '{');
    switch (s->method) {
    case VAULT_AUTH_APPROLE: {
        const char *role = cloud_option(r, ctx, "role_id"),
                   *sid = cloud_option(r, ctx, "secret_id");
        if (role == NULL || role[0] == '\0')
            role = cloud_env(ctx, "VAULT_ROLE_ID");
        if (sid == NULL || sid[0] == '\0')
            sid = cloud_env(ctx, "VAULT_SECRET_ID");
        if (role == NULL || role[0] == '\0') {
            rc = verr_set(e, VALS_EDENIED, "approle login needs role_id or VAULT_ROLE_ID");
            goto out;
        }
        if (rc == 0)
            rc = json_pair(&body, "role_id", role);
        if (rc == 0 && sid != NULL && sid[0] != '\0')
            rc = json_pair(&body, "secret_id", sid);
        if (rc == 0)
            rc = dbuf_printf(&path, "auth/%s/login", mount);
        snprintf(s->source, sizeof(s->source), "approle login (auth/%.100s)", mount);
        break;
    }
    case VAULT_AUTH_USERPASS: {
        const char *penv = cloud_option(r, ctx, "password_env"), *pfile;
        name = cloud_option(r, ctx, "username");
        if (name == NULL || name[0] == '\0')
            name = cloud_env(ctx, "VAULT_USERNAME");
        if (penv == NULL || penv[0] == '\0')
            penv = cloud_env(ctx, "VAULT_PASSWORD_ENV");
        pfile = cloud_option(r, ctx, "password_file");
        if (pfile == NULL || pfile[0] == '\0')
            pfile = cloud_env(ctx, "VAULT_PASSWORD_FILE");
        if (name == NULL || name[0] == '\0') {
            rc = verr_set(e, VALS_EDENIED, "userpass login needs username or VAULT_USERNAME");
            goto out;
        }
        if (penv != NULL && penv[0] != '\0') {
            if ((v = cloud_env(ctx, penv)) == NULL) {
                rc = verr_set(e, VALS_EDENIED,
                              "password_env names %.64s, which is not set in the request's "
                              "context",
                              penv);
                goto out;
            }
            if ((secret = strdup(v)) == NULL)
                rc = VALS_ENOMEM;
        } else if (pfile != NULL && pfile[0] != '\0') {
            if ((rc = read_secret_file(ctx, pfile, "password_file", &secret, e)) != 0)
                goto out;
        } else {
            rc = verr_set(e, VALS_EDENIED,
                          "userpass login needs password_env/VAULT_PASSWORD_ENV or "
                          "password_file/VAULT_PASSWORD_FILE");
            goto out;
        }
        if (rc == 0)
            rc = json_pair(&body, "password", secret);
        if (rc == 0)
            rc = dbuf_printf(&path, "auth/%s/login/", mount);
        if (rc == 0)
            rc = cloud_escape(&path, name, strlen(name), 0);
        snprintf(s->source, sizeof(s->source), "userpass login (auth/%.100s)", mount);
        break;
    }
    case VAULT_AUTH_KUBERNETES: {
        const char *role = cloud_option(r, ctx, "role_id"), *jp;
        if (role == NULL || role[0] == '\0')
            role = cloud_env(ctx, "VAULT_ROLE_ID");
        jp = cloud_env(ctx, "VAULT_KUBERNETES_JWT_TOKEN_PATH");
        if (role == NULL || role[0] == '\0') {
            rc = verr_set(e, VALS_EDENIED, "kubernetes login needs role_id or VAULT_ROLE_ID");
            goto out;
        }
        if ((rc = read_secret_file(ctx, jp != NULL ? jp : VAULT_K8S_TOKEN_PATH,
                                   "the Kubernetes service account token", &jwt, e)) != 0)
            goto out;
        rc = json_pair(&body, "jwt", jwt);
        if (rc == 0)
            rc = json_pair(&body, "role", role);
        if (rc == 0)
            rc = dbuf_printf(&path, "auth/%s/login", mount);
        snprintf(s->source, sizeof(s->source), "kubernetes login (auth/%.100s)", mount);
        break;
    }
    default:
        break;
    }
    if (rc == 0)
        rc = dbuf_addc(&body, '}');
    if (rc != 0) {
        rc = verr_set(e, rc, "out of memory");
        goto out;
    }
    s->login_len = body.len;
    s->login_body = dbuf_take(&body, NULL);
    s->login_path = dbuf_take(&path, NULL);
    if (s->login_body == NULL || s->login_path == NULL) {
        rc = verr_set(e, VALS_ENOMEM, "out of memory");
        goto out;
    }
    parts[0] = "vault-login";
    parts[1] = s->addr;
    parts[2] = s->namespace;
    parts[3] = s->login_path;
    parts[4] = s->login_body;
    parts[5] = s->tls.insecure ? "insecure" : "verify";
    cloud_key(s->login_key, parts, 6);
out:
    secure_free_str(secret);
    secure_free_str(jwt);
    dbuf_free(&body);
    dbuf_free(&path);
    return rc;
}

int vault_settings_load(const struct ctx *ctx, const struct ref *r, struct vault_settings *s,
                        struct verr *e)
{
    const char *addr = cloud_option(r, ctx, "address"), *host = cloud_option(r, ctx, "host");
    const char *ns = cloud_option(r, ctx, "namespace"),
               *method = cloud_option(r, ctx, "auth_method");
    const char *v;
    struct dbuf b = DBUF_INIT;
    int rc;

    memset(s, 0, sizeof(*s));
    if (addr != NULL && addr[0] != '\0') {
        rc = dbuf_adds(&b, addr);
    } else if (host != NULL && host[0] != '\0') {
        const char *proto = cloud_option(r, ctx, "proto");
        rc = dbuf_printf(&b, "%s://%s", proto != NULL && proto[0] ? proto : "https", host);
    } else if ((v = cloud_env(ctx, "VAULT_ADDR")) != NULL) {
        rc = dbuf_adds(&b, v);
    } else {
        rc = dbuf_adds(&b, VAULT_DEFAULT_ADDR);
    }
    while (rc == 0 && b.len > 0 && b.p[b.len - 1] == '/')
        b.p[--b.len] = '\0';
    if (rc == 0 && (s->addr = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&b);
    if (rc != 0) {
        rc = verr_set(e, rc, "out of memory");
        goto fail;
    }
    if (!cloud_url_ok(s->addr)) {
        rc = verr_set(e, VALS_EBAD_REQUEST,
                      "the Vault address must be an http:// or https:// URL without a query "
                      "(address option or VAULT_ADDR)");
        goto fail;
    }
    if (ns == NULL || ns[0] == '\0')
        ns = cloud_env(ctx, "VAULT_NAMESPACE");
    if (ns != NULL && ns[0] != '\0') {
        for (const char *p = ns; *p != '\0'; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
                rc = verr_set(e, VALS_EBAD_REQUEST, "the Vault namespace has bad characters");
                goto fail;
            }
        if ((s->namespace = strdup(ns)) == NULL) {
            rc = verr_set(e, VALS_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (cloud_env(ctx, "VAULT_CAPATH") != NULL || cloud_env(ctx, "VAULT_CLIENT_CERT") != NULL ||
        cloud_env(ctx, "VAULT_CLIENT_KEY") != NULL ||
        cloud_env(ctx, "VAULT_TLS_SERVER_NAME") != NULL) {
        rc = verr_set(e, VALS_EBAD_REQUEST,
                      "VAULT_CAPATH, VAULT_CLIENT_CERT/KEY and VAULT_TLS_SERVER_NAME are not "
                      "supported by valsd (use VAULT_CACERT)");
        goto fail;
    }
    if ((rc = cloud_tls_load(ctx, "VAULT_CACERT", &s->tls, e)) != 0)
        goto fail;
    s->tls.insecure = cloud_truthy(cloud_env(ctx, "VAULT_SKIP_VERIFY"));
    if (method == NULL || method[0] == '\0')
        method = cloud_env(ctx, "VAULT_AUTH_METHOD");
    if (method == NULL || method[0] == '\0' || !strcmp(method, "token")) {
        s->method = VAULT_AUTH_TOKEN;
        rc = token_load(ctx, r, s, e);
    } else {
        if (!strcmp(method, "approle"))
            s->method = VAULT_AUTH_APPROLE;
        else if (!strcmp(method, "userpass"))
            s->method = VAULT_AUTH_USERPASS;
        else if (!strcmp(method, "kubernetes"))
            s->method = VAULT_AUTH_KUBERNETES;
        else {
            rc = verr_set(e, VALS_EBAD_REF,
                          "unknown Vault auth_method \"%.32s\" (token, approle, userpass, "
                          "kubernetes)",
                          method);
            goto fail;
        }
        rc = login_load(ctx, r, s, e);
    }
    if (rc != 0)
        goto fail;
    return 0;
fail:
    vault_settings_free(s);
    return rc;
}

size_t vault_headers(const struct vault_settings *s, const char *token, struct http_header *h)
{
    size_t n = 0;

    if (token != NULL)
        h[n++] = (struct http_header){"X-Vault-Token", token};
    if (s->namespace != NULL)
        h[n++] = (struct http_header){"X-Vault-Namespace", s->namespace};
    h[n++] = (struct http_header){"X-Vault-Request", "true"};
    return n;
}

/* --- login -------------------------------------------------------------------------- */

struct login_op {
    struct tokens_fetch *p;
    char what[200];
};

static void on_login(void *data, struct http_response *res)
{
    struct login_op *op = data;
    char msg[600], *token = NULL;
    int64_t lease = 0, refresh;
    struct verr e = {0};
    int rc;

    if (res->err != 0) {
        rc = res->err;
        snprintf(msg, sizeof(msg), "%s: %s", op->what, res->errmsg);
    } else if (res->status != 200) {
        struct cloud_error ce;
        cloud_error_parse(res->status, res->body.p, res->body.len, &ce);
        rc = cloud_auth_status_class(res->status);
        snprintf(msg, sizeof(msg), "%s failed (HTTP %ld)%s%s", op->what, res->status,
                 ce.message[0] ? ": " : "", ce.message);
    } else if ((rc = cloud_vault_login(res->body.p, res->body.len, &token, &lease, &e)) != 0) {
        snprintf(msg, sizeof(msg), "%s: %s", op->what, e.msg);
    } else {
        msg[0] = '\0';
    }
    refresh = (int64_t)time(NULL) + (lease > 0 ? lease * 2 / 3 : VAULT_LOGIN_DEFAULT_TTL_S);
    tokens_done(op->p, rc, msg, token, refresh);
    secure_free_str(token);
    free(op);
}

struct login_start {
    uv_loop_t *loop;
    const struct vault_settings *s;
};

static int start_login(void *arg, struct tokens_fetch *p, struct verr *e)
{
    struct login_start *ls = arg;
    const struct vault_settings *s = ls->s;
    struct login_op *op = calloc(1, sizeof(*op));
    struct http_header h[VAULT_MAX_HEADERS + 1];
    struct cloud_request rq = {0};
    struct dbuf url = DBUF_INIT;
    size_t n;
    int rc;

    if (op == NULL)
        return verr_set(e, VALS_ENOMEM, "out of memory");
    op->p = p;
    snprintf(op->what, sizeof(op->what), "vault %s at %.100s", s->source, s->addr);
    if ((rc = dbuf_printf(&url, "%s/v1/%s", s->addr, s->login_path)) != 0) {
        free(op);
        dbuf_free(&url);
        return verr_set(e, rc, "out of memory");
    }
    n = vault_headers(s, NULL, h);
    h[n++] = (struct http_header){"Content-Type", "application/json"};
    rq.loop = ls->loop;
    rq.method = "POST";
    rq.url = url.p;
    rq.headers = h;
    rq.nheaders = n;
    rq.body = s->login_body;
    rq.body_len = s->login_len;
    rq.tls = &s->tls;
    rq.no_retry = 1; /* a secret_id may be good for one use only */
    rc = cloud_call(&rq, on_login, op);
    dbuf_free(&url);
    if (rc != 0) {
        free(op);
        return verr_set(e, rc, "vault %s: cannot send the request: %s", s->source,
                        vals_strerror(rc));
    }
    return 0;
}

int vault_token(uv_loop_t *loop, struct vault_settings *s, vault_token_cb cb, void *data,
                char **now, struct verr *e)
{
    struct login_start ls = {loop, s};

    *now = NULL;
    if (s->method == VAULT_AUTH_TOKEN) {
        if ((*now = strdup(s->token)) == NULL)
            return verr_set(e, VALS_ENOMEM, "out of memory");
        return 1;
    }
    return tokens_get(s->login_key, start_login, &ls, cb, data, now, e);
}

int vault_token_forget(const struct vault_settings *s)
{
    if (s->method == VAULT_AUTH_TOKEN)
        return 0;
    tokens_forget(s->login_key);
    return 1;
}
