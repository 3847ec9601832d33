/*
 * creds/azure.c - Entra ID client-credential and workload-identity tokens from the
 * request's context, cached (see azure.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azure.h"
#include "daemon/cloud_resp.h"
#include "oauth.h"
#include "tokens.h"

void azure_creds_free(struct azure_creds *c)
{
    free(c->authority);
    free(c->tenant);
    free(c->client_id);
    secure_free_str(c->client_secret);
    free(c->federated_token_file);
    cloud_tls_free(&c->tls);
    memset(c, 0, sizeof(*c));
}

/* A tenant id or domain: letters, digits, '-' and '.' only. */
static int tenant_ok(const char *t)
{
    size_t n = strlen(t);

    if (n == 0 || n > 100)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
              (t[i] >= '0' && t[i] <= '9') || t[i] == '-' || t[i] == '.'))
            return 0;
    return 1;
}

int azure_creds_load(const struct ctx *ctx, struct azure_creds *c, struct verr *e)
{
    const char *id = cloud_env(ctx, "AZURE_CLIENT_ID"),
               *secret = cloud_env(ctx, "AZURE_CLIENT_SECRET");
    const char *fed = cloud_env(ctx, "AZURE_FEDERATED_TOKEN_FILE");
    const char *tenant = cloud_env(ctx, "AZURE_TENANT_ID"),
               *auth = cloud_env(ctx, "AZURE_AUTHORITY_HOST");
    size_t al;
    int rc;

    memset(c, 0, sizeof(*c));
    c->ctx = ctx;
    if (id == NULL || (secret == NULL && fed == NULL)) {
        const char *cert = cloud_env(ctx, "AZURE_CLIENT_CERTIFICATE_PATH");
        return verr_set(e, VALS_EDENIED, "%s",
                        cert != NULL
                            ? "AZURE_CLIENT_CERTIFICATE_PATH is not supported by valsd; use "
                              "AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE"
                            : "no Azure credentials: set AZURE_CLIENT_ID with AZURE_CLIENT_SECRET "
                              "(or AZURE_FEDERATED_TOKEN_FILE) and AZURE_TENANT_ID; managed "
                              "identity and the Azure CLI are not used by valsd");
    }
    if (tenant != NULL && !tenant_ok(tenant))
        return verr_set(e, VALS_EBAD_REQUEST, "AZURE_TENANT_ID has bad characters");
    if ((rc = cloud_tls_load(ctx, NULL, &c->tls, e)) != 0)
        goto fail;
    if (auth == NULL)
        auth = AZURE_AUTHORITY;
    al = strlen(auth);
    while (al > 0 && auth[al - 1] == '/')
        al--;
    c->authority = strndup(auth, al);
    c->client_id = strdup(id);
    c->tenant = tenant != NULL ? strdup(tenant) : NULL;
    if (c->authority == NULL || c->client_id == NULL || (tenant != NULL && c->tenant == NULL)) {
        rc = verr_set(e, VALS_ENOMEM, "out of memory");
        goto fail;
    }
    if (!cloud_url_ok(c->authority)) {
        rc = verr_set(e, VALS_EBAD_REQUEST, "AZURE_AUTHORITY_HOST is not an http(s) URL");
        goto fail;
    }
    if (secret != NULL) {
        if ((c->client_secret = strdup(secret)) == NULL) {
            rc = verr_set(e, VALS_ENOMEM, "out of memory");
            goto fail;
        }
        snprintf(c->source, sizeof(c->source), "client secret of AZURE_CLIENT_ID");
    } else {
        if ((rc = cloud_path(ctx, fed, "AZURE_FEDERATED_TOKEN_FILE", &c->federated_token_file,
                             e)) != 0)
            goto fail;
        snprintf(c->source, sizeof(c->source), "workload identity (AZURE_FEDERATED_TOKEN_FILE)");
    }
    return 0;
fail:
    azure_creds_free(c);
    return rc;
}

static void token_key(const struct azure_creds *c, const char *tenant, const char *scope,
                      unsigned char key[32])
{
    const char *parts[] = {"azure",
                           c->authority,
                           tenant,
                           c->client_id,
                           c->client_secret != NULL ? "secret" : "federated",
                           c->client_secret != NULL ? c->client_secret : c->federated_token_file,
                           scope};

    cloud_key(key, parts, sizeof(parts) / sizeof(parts[0]));
}

struct token_start {
    uv_loop_t *loop;
    const struct azure_creds *c;
    const char *tenant, *scope;
};

static int start_token(void *arg, struct tokens_fetch *p, struct verr *e)
{
    struct token_start *ts = arg;
    const struct azure_creds *c = ts->c;
    struct dbuf body = DBUF_INIT, url = DBUF_INIT, jwt = DBUF_INIT;
    char what[200];
    int rc;

    rc = oauth_form(&body, "grant_type", "client_credentials");
    if (rc == 0)
        rc = oauth_form(&body, "client_id", c->client_id);
    if (rc == 0)
        rc = oauth_form(&body, "scope", ts->scope);
    if (rc == 0 && c->client_secret != NULL) {
        rc = oauth_form(&body, "client_secret", c->client_secret);
    } else if (rc == 0) {
        if ((rc = cloud_read_file(c->ctx, c->federated_token_file, "AZURE_FEDERATED_TOKEN_FILE",
                                  &jwt, e)) != 0)
            goto out;
        while (jwt.len > 0 && (jwt.p[jwt.len - 1] == '\n' || jwt.p[jwt.len - 1] == '\r'))
            jwt.p[--jwt.len] = '\0';
        rc = oauth_form(&body, "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        if (rc == 0)
            rc = oauth_form(&body, "client_assertion", jwt.p != NULL ? jwt.p : "");
    }
    if (rc == 0)
        rc = dbuf_printf(&url, "%s/%s/oauth2/v2.0/token", c->authority, ts->tenant);
    if (rc != 0) {
        rc = verr_set(e, rc, "out of memory");
        goto out;
    }
    snprintf(what, sizeof(what), "Entra ID token endpoint %.100s (tenant %.60s, %s)", c->authority,
             ts->tenant, c->client_secret != NULL ? "client secret" : "workload identity");
    rc = oauth_request(ts->loop, url.p, &body, &c->tls, p, what, e);
out:
    dbuf_free(&body);
    dbuf_free(&url);
    dbuf_free(&jwt);
    return rc;
}

int azure_token(uv_loop_t *loop, const struct azure_creds *c, const char *tenant, const char *scope,
                azure_token_cb cb, void *data, char **now, struct verr *e)
{
    struct token_start ts = {loop, c, c->tenant != NULL ? c->tenant : tenant, scope};
    unsigned char key[32];

    *now = NULL;
    if (ts.tenant == NULL || !tenant_ok(ts.tenant))
        return verr_set(e, VALS_EDENIED, "no usable Azure tenant: set AZURE_TENANT_ID");
    token_key(c, ts.tenant, scope, key);
    return tokens_get(key, start_token, &ts, cb, data, now, e);
}

void azure_token_forget(const struct azure_creds *c, const char *tenant, const char *scope)
{
    unsigned char key[32];

    token_key(c, c->tenant != NULL ? c->tenant : tenant, scope, key);
    tokens_forget(key);
}
