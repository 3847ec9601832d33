/*
 * creds/gcp.c - Google credentials from the request's context, the service-account JWT
 * grant (RS256 with OpenSSL) and the refresh-token grant, with cached access tokens (see
 * gcp.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "daemon/cloud_resp.h"
#include "gcp.h"
#include "lib/b64.h"
#include "oauth.h"
#include "tokens.h"

void gcp_creds_free(struct gcp_creds *c)
{
    secure_free_str(c->token);
    free(c->token_uri);
    free(c->client_email);
    secure_free_str(c->private_key);
    free(c->private_key_id);
    free(c->client_id);
    secure_free_str(c->client_secret);
    secure_free_str(c->refresh_token);
    free(c->project_id);
    free(c->quota_project_id);
    cloud_tls_free(&c->tls);
    memset(c, 0, sizeof(*c));
}

/* A string member of the key file, copied (NULL when absent); VALS_EPARSE when not a string. */
static int member(const struct doc *d, const char *name, char **out)
{
    const struct doc *v = doc_map_getz(d, name);

    *out = NULL;
    if (v == NULL || v->type == DOC_NULL)
        return 0;
    if (v->type != DOC_STR || memchr(v->v.s.ptr, '\0', v->v.s.len) != NULL)
        return VALS_EPARSE;
    return (*out = strndup(v->v.s.ptr, v->v.s.len)) != NULL ? 0 : VALS_ENOMEM;
}

int gcp_creds_parse(const char *json, size_t len, const char *name, struct gcp_creds *c,
                    struct verr *e)
{
    struct doc *d = NULL;
    char *type = NULL;
    int rc;

    if (doc_parse_json(json, len, name, &d, NULL) != 0 || d->type != DOC_MAP) {
        rc = verr_set(e, VALS_EPARSE, "%s is not a JSON credentials file", name);
        goto out;
    }
    if (member(d, "type", &type) != 0 || type == NULL) {
        rc = verr_set(e, VALS_EPARSE, "%s has no \"type\"", name);
        goto out;
    }
    rc = member(d, "token_uri", &c->token_uri);
    if (rc == 0)
        rc = member(d, "quota_project_id", &c->quota_project_id);
    if (rc == 0)
        rc = member(d, "project_id", &c->project_id);
    if (rc == 0 && !strcmp(type, "service_account")) {
        c->kind = GCP_SERVICE_ACCOUNT;
        rc = member(d, "client_email", &c->client_email);
        if (rc == 0)
            rc = member(d, "private_key", &c->private_key);
        if (rc == 0)
            rc = member(d, "private_key_id", &c->private_key_id);
        if (rc == 0 && (c->client_email == NULL || c->private_key == NULL))
            rc = verr_set(e, VALS_EPARSE,
                          "%s: a service account key needs client_email and "
                          "private_key",
                          name);
    } else if (rc == 0 && !strcmp(type, "authorized_user")) {
        c->kind = GCP_AUTHORIZED_USER;
        rc = member(d, "client_id", &c->client_id);
        if (rc == 0)
            rc = member(d, "client_secret", &c->client_secret);
        if (rc == 0)
            rc = member(d, "refresh_token", &c->refresh_token);
        if (rc == 0 &&
            (c->client_id == NULL || c->client_secret == NULL || c->refresh_token == NULL))
            rc = verr_set(e, VALS_EPARSE,
                          "%s: authorized_user credentials need client_id, "
                          "client_secret and refresh_token",
                          name);
    } else if (rc == 0) {
        rc = verr_set(e, VALS_EBAD_REQUEST,
                      "%s: credentials of type \"%.40s\" are not supported by valsd "
                      "(service_account, authorized_user)",
                      name, type);
    }
    if (rc == VALS_EPARSE && (e == NULL || e->code == 0))
        rc = verr_set(e, rc, "%s: a member has the wrong type", name);
    else if (rc == VALS_ENOMEM)
        rc = verr_set(e, rc, "out of memory");
    if (rc == 0 && c->token_uri == NULL && (c->token_uri = strdup(GCP_TOKEN_URI)) == NULL)
        rc = verr_set(e, VALS_ENOMEM, "out of memory");
    if (rc == 0 && !cloud_url_ok(c->token_uri))
        rc = verr_set(e, VALS_EPARSE, "%s: token_uri is not an http(s) URL", name);
out:
    free(type);
    doc_free(d);
    return rc;
}

/* Read and parse a credentials file named by the context. */
static int load_file(const struct ctx *ctx, const char *path, const char *what, struct gcp_creds *c,
                     struct verr *e)
{
    struct dbuf b = DBUF_INIT;
    int rc = cloud_read_file(ctx, path, what, &b, e);

    if (rc == 0)
        rc = gcp_creds_parse(b.p != NULL ? b.p : "", b.len, what, c, e);
    dbuf_free(&b);
    return rc;
}

/* Whether a file named by the context exists (for the optional ADC file). */
static int file_exists(const struct ctx *ctx, const char *value)
{
    char *path = NULL;
    int ok;

    if (cloud_path(ctx, value, "the ADC file", &path, NULL) != 0)
        return 0;
    ok = access(path, F_OK) == 0;
    free(path);
    return ok;
}

int gcp_creds_load(const struct ctx *ctx, struct gcp_creds *c, struct verr *e)
{
    const char *v;
    char adc[4096];
    int rc = 0;

    memset(c, 0, sizeof(*c));
    if ((rc = cloud_tls_load(ctx, NULL, &c->tls, e)) != 0)
        goto fail;
    if ((v = cloud_env(ctx, "GOOGLE_OAUTH_ACCESS_TOKEN")) != NULL) {
        c->kind = GCP_STATIC_TOKEN;
        if ((c->token = strdup(v)) == NULL)
            rc = verr_set(e, VALS_ENOMEM, "out of memory");
        snprintf(c->source, sizeof(c->source), "GOOGLE_OAUTH_ACCESS_TOKEN");
    } else if ((v = cloud_env(ctx, "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE")) != NULL) {
        struct dbuf b = DBUF_INIT;
        c->kind = GCP_STATIC_TOKEN;
        rc = cloud_read_file(ctx, v, "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", &b, e);
        while (rc == 0 && b.len > 0 &&
               (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r' || b.p[b.len - 1] == ' '))
            b.p[--b.len] = '\0';
        if (rc == 0 && (c->token = dbuf_take(&b, NULL)) == NULL)
            rc = verr_set(e, VALS_ENOMEM, "out of memory");
        dbuf_free(&b);
        snprintf(c->source, sizeof(c->source), "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE");
    } else if ((v = cloud_env(ctx, "GOOGLE_APPLICATION_CREDENTIALS")) != NULL) {
        rc = load_file(ctx, v, "GOOGLE_APPLICATION_CREDENTIALS", c, e);
        snprintf(c->source, sizeof(c->source), "GOOGLE_APPLICATION_CREDENTIALS");
    } else {
        const char *cfg = cloud_env(ctx, "CLOUDSDK_CONFIG");
        if (cfg != NULL)
            snprintf(adc, sizeof(adc), "%s/application_default_credentials.json", cfg);
        else
            snprintf(adc, sizeof(adc), "~/.config/gcloud/application_default_credentials.json");
        if ((cfg == NULL && cloud_env(ctx, "HOME") == NULL) || !file_exists(ctx, adc)) {
            rc = verr_set(e, VALS_EDENIED,
                          "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS (or "
                          "GOOGLE_OAUTH_ACCESS_TOKEN, or run gcloud auth application-default "
                          "login); the metadata server is not used by valsd");
            goto fail;
        }
        rc = load_file(ctx, adc, "the gcloud application default credentials", c, e);
        snprintf(c->source, sizeof(c->source), "gcloud application default credentials");
    }
    if (rc != 0)
        goto fail;
    if (c->kind == GCP_STATIC_TOKEN) {
        size_t n = strlen(c->token);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)c->token[i] < 0x21 || (unsigned char)c->token[i] > 0x7e)
                n = 0;
        if (n == 0 || n > CLOUD_MAX_TOKEN) {
            rc = verr_set(e, VALS_EDENIED, "the access token from %s is empty or malformed",
                          c->source);
            goto fail;
        }
    } else {
        const char *parts[] = {"gcp",
                               c->kind == GCP_SERVICE_ACCOUNT ? "sa" : "user",
                               c->token_uri,
                               c->client_email,
                               c->private_key_id,
                               c->private_key,
                               c->client_id,
                               c->client_secret,
                               c->refresh_token,
                               GCP_SCOPE};
        cloud_key(c->key, parts, sizeof(parts) / sizeof(parts[0]));
    }
    return 0;
fail:
    gcp_creds_free(c);
    return rc;
}

/* --- the JWT grant ------------------------------------------------------------------ */

/* Append base64url (no padding) of n bytes. */
static int b64url(struct dbuf *out, const void *in, size_t n)
{
    size_t start = out->len;
    int rc = b64_encode_dbuf(in, n, 0, out);

    for (size_t i = start; rc == 0 && i < out->len; i++) {
        if (out->p[i] == '+')
            out->p[i] = '-';
        else if (out->p[i] == '/')
            out->p[i] = '_';
    }
    return rc;
}

int gcp_jwt_assertion(const char *client_email, const char *pem_key, const char *key_id,
                      const char *aud, const char *scope, int64_t now, struct dbuf *out,
                      struct verr *e)
{
    struct dbuf hdr = DBUF_INIT, claims = DBUF_INIT;
    EVP_PKEY *pkey = NULL;
    EVP_MD_CTX *md = NULL;
    BIO *bio = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    int rc;

    rc = dbuf_adds(&hdr, "{\"alg\":\"RS256\",\"typ\":\"JWT\"");
    if (rc == 0 && key_id != NULL && key_id[0] != '\0') {
        rc = dbuf_adds(&hdr, ",\"kid\":");
        if (rc == 0)
            rc = doc_json_quote(key_id, strlen(key_id), &hdr, 0);
    }
    if (rc == 0)
        rc = dbuf_addc(&hdr, '}');
    if (rc == 0)
        rc = dbuf_adds(&claims, "{\"iss\":");
    if (rc == 0)
        rc = doc_json_quote(client_email, strlen(client_email), &claims, 0);
    if (rc == 0)
        rc = dbuf_adds(&claims, ",\"scope\":");
    if (rc == 0)
        rc = doc_json_quote(scope, strlen(scope), &claims, 0);
    if (rc == 0)
        rc = dbuf_adds(&claims, ",\"aud\":");
    if (rc == 0)
        rc = doc_json_quote(aud, strlen(aud), &claims, 0);
    if (rc == 0)
        rc = dbuf_printf(&claims, ",\"iat\":%lld,\"exp\":%lld}", (long long)now,
                         (long long)(now + GCP_JWT_TTL_S));
    if (rc == 0)
        rc = b64url(out, hdr.p, hdr.len);
    if (rc == 0)
        rc = dbuf_addc(out, '.');
    if (rc == 0)
        rc = b64url(out, claims.p, claims.len);
    if (rc != 0) {
        rc = verr_set(e, rc, "out of memory");
        goto out;
    }
    if ((bio = BIO_new_mem_buf(pem_key, -1)) == NULL ||
        (pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
        rc = verr_set(e, VALS_ECRYPTO, "the service account's private_key is not a PEM key");
        goto out;
    }
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
        rc = verr_set(e, VALS_ECRYPTO, "the service account's private_key is not an RSA key");
        goto out;
    }
    if ((md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)out->p, out->len) != 1 ||
        (sig = malloc(siglen)) == NULL ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)out->p, out->len) != 1) {
        rc = verr_set(e, VALS_ECRYPTO, "signing the token request failed");
        goto out;
    }
    rc = dbuf_addc(out, '.');
    if (rc == 0)
        rc = b64url(out, sig, siglen);
    if (rc != 0)
        rc = verr_set(e, rc, "out of memory");
out:
    free(sig);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    BIO_free(bio);
    dbuf_free(&hdr);
    dbuf_free(&claims);
    return rc;
}

/* --- token requests ----------------------------------------------------------------- */

struct token_start {
    uv_loop_t *loop;
    const struct gcp_creds *c;
};

static int start_token(void *arg, struct tokens_fetch *p, struct verr *e)
{
    struct token_start *ts = arg;
    const struct gcp_creds *c = ts->c;
    struct dbuf body = DBUF_INIT, jwt = DBUF_INIT;
    char what[200];
    int rc;

    if (c->kind == GCP_SERVICE_ACCOUNT) {
        if ((rc = gcp_jwt_assertion(c->client_email, c->private_key, c->private_key_id,
                                    GCP_TOKEN_URI, GCP_SCOPE, (int64_t)time(NULL), &jwt, e)) != 0)
            goto out;
        rc = oauth_form(&body, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
        if (rc == 0)
            rc = oauth_form(&body, "assertion", jwt.p);
    } else {
        rc = oauth_form(&body, "grant_type", "refresh_token");
        if (rc == 0)
            rc = oauth_form(&body, "client_id", c->client_id);
        if (rc == 0)
            rc = oauth_form(&body, "client_secret", c->client_secret);
        if (rc == 0)
            rc = oauth_form(&body, "refresh_token", c->refresh_token);
    }
    if (rc != 0) {
        rc = verr_set(e, rc, "out of memory");
        goto out;
    }
    snprintf(what, sizeof(what), "Google token endpoint %.120s (%s)", c->token_uri,
             c->kind == GCP_SERVICE_ACCOUNT ? "service account" : "authorized user");
    rc = oauth_request(ts->loop, c->token_uri, &body, &c->tls, p, what, e);
out:
    dbuf_free(&body);
    dbuf_free(&jwt);
    return rc;
}

int gcp_token(uv_loop_t *loop, struct gcp_creds *c, gcp_token_cb cb, void *data, char **now,
              struct verr *e)
{
    struct token_start ts = {loop, c};

    *now = NULL;
    if (c->kind == GCP_STATIC_TOKEN) {
        if ((*now = strdup(c->token)) == NULL)
            return verr_set(e, VALS_ENOMEM, "out of memory");
        return 1;
    }
    return tokens_get(c->key, start_token, &ts, cb, data, now, e);
}

int gcp_token_forget(const struct gcp_creds *c)
{
    if (c->kind == GCP_STATIC_TOKEN)
        return 0;
    tokens_forget(c->key);
    return 1;
}
