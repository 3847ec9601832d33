/*
 * creds/aws.c - AWS settings and credentials from the request's context (see aws.h):
 * options, shared config/credentials files, endpoints, and the cache of assumed-role
 * session credentials (STS AssumeRole, Query protocol).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "aws.h"
#include "daemon/aws_call.h"
#include "daemon/aws_resp.h"
#include "daemon/cloud_call.h"
#include "lib/aws_sigv4.h"
#include "lib/local_refs.h"

const struct aws_service aws_svc_secretsmanager = {"secretsmanager", "SECRETS_MANAGER"};
const struct aws_service aws_svc_ssm = {"ssm", "SSM"};
const struct aws_service aws_svc_sts = {"sts", "STS"};

static const char *const profile_keys[AWS_PK_COUNT] = {
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token",  "region",
    "role_arn",          "source_profile",        "credential_source",  "external_id",
    "role_session_name", "duration_seconds",      "credential_process", "web_identity_token_file",
    "sso_start_url",     "sso_session",           "mfa_serial",
};

/* A non-empty context variable, or NULL. */
static const char *cget(const struct ctx *ctx, const char *name)
{
    const char *v = ctx_get(ctx, name, strlen(name));

    return v != NULL && v[0] != '\0' ? v : NULL;
}

void aws_creds_free(struct aws_creds *c)
{
    secure_free_str(c->access_key_id);
    secure_free_str(c->secret_access_key);
    secure_free_str(c->session_token);
    memset(c, 0, sizeof(*c));
}

int aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
    struct aws_creds n = {0};

    n.access_key_id = strdup(src->access_key_id != NULL ? src->access_key_id : "");
    n.secret_access_key = strdup(src->secret_access_key != NULL ? src->secret_access_key : "");
    n.session_token = src->session_token != NULL ? strdup(src->session_token) : NULL;
    n.expires = src->expires;
    if (n.access_key_id == NULL || n.secret_access_key == NULL ||
        (src->session_token != NULL && n.session_token == NULL)) {
        aws_creds_free(&n);
        return VALS_ENOMEM;
    }
    aws_creds_free(dst);
    *dst = n;
    return 0;
}

/* Free the strings of an endpoint. */
static void endpoint_free(struct aws_endpoint *ep)
{
    free(ep->url);
    free(ep->host);
    free(ep->path);
    memset(ep, 0, sizeof(*ep));
}

void aws_settings_free(struct aws_settings *s)
{
    endpoint_free(&s->endpoint);
    endpoint_free(&s->sts_endpoint);
    free(s->ca_file);
    free(s->proxy);
    free(s->no_proxy);
    aws_creds_free(&s->creds);
    aws_creds_free(&s->session);
    free(s->role_arn);
    free(s->role_session_name);
    free(s->external_id);
    memset(s, 0, sizeof(*s));
}

/* --- shared files ------------------------------------------------------------------- */

void aws_profile_free(struct aws_profile *p)
{
    for (int i = 0; i < AWS_PK_COUNT; i++)
        secure_free_str(p->values[i]);
    memset(p, 0, sizeof(*p));
}

/* Blanks inside an INI line. */
static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Does the header text h[0..len) (inside the brackets, trimmed) name the profile? */
static int header_matches(const char *h, size_t len, const char *profile, int config)
{
    size_t pl = strlen(profile);

    if (config && len > 8 && !memcmp(h, "profile", 7) && is_blank(h[7])) {
        size_t i = 8;
        while (i < len && is_blank(h[i]))
            i++;
        return len - i == pl && !memcmp(h + i, profile, pl);
    }
    /* the credentials file: [name]; the config file: only [default] */
    if (config && strcmp(profile, "default") != 0)
        return 0;
    return len == pl && !memcmp(h, profile, pl);
}

int aws_profile_parse(const char *text, size_t len, const char *profile, int config,
                      struct aws_profile *p)
{
    size_t i = 0;
    int in = 0, nested = 0;

    while (i < len) {
        size_t s = i, e, k, ke, v;
        while (i < len && text[i] != '\n')
            i++;
        e = i++;
        if (s == e)
            continue;
        if (is_blank(text[s])) { /* an indented line: continuation of a nested section */
            if (!nested) {
                /* a value continued on the next line is not supported for our keys */
            }
            continue;
        }
        while (e > s && is_blank(text[e - 1]))
            e--;
        if (text[s] == '#' || text[s] == ';')
            continue;
        if (text[s] == '[') {
            size_t hs = s + 1, he = e;
            nested = 0;
            if (he > hs && text[he - 1] == ']')
                he--;
            while (hs < he && is_blank(text[hs]))
                hs++;
            while (he > hs && is_blank(text[he - 1]))
                he--;
            in = header_matches(text + hs, he - hs, profile, config);
            if (in)
                p->found = 1;
            continue;
        }
        if (!in)
            continue;
        for (k = s; k < e && text[k] != '='; k++)
            ;
        if (k == e)
            continue;
        ke = k;
        while (ke > s && is_blank(text[ke - 1]))
            ke--;
        v = k + 1;
        while (v < e && is_blank(text[v]))
            v++;
        nested = v == e; /* "s3 =" followed by indented lines */
        for (int n = 0; n < AWS_PK_COUNT; n++) {
            size_t kl = strlen(profile_keys[n]);
            if (ke - s != kl || strncasecmp(text + s, profile_keys[n], kl) != 0)
                continue;
            if (p->values[n] == NULL && v < e && (p->values[n] = strndup(text + v, e - v)) == NULL)
                return VALS_ENOMEM;
            break;
        }
    }
    return 0;
}

/* Expand a file path: "~/" from HOME; relative paths are refused. */
static int file_path(const struct ctx *ctx, const char *var, const char *dflt, char **out,
                     struct verr *e)
{
    const char *v = cget(ctx, var), *home = cget(ctx, "HOME");
    struct dbuf b = DBUF_INIT;
    int rc;

    *out = NULL;
    if (v == NULL) {
        if (home == NULL || home[0] != '/')
            return 0; /* no default without HOME */
        rc = dbuf_printf(&b, "%s/%s", home, dflt);
    } else if (v[0] == '~' && (v[1] == '/' || v[1] == '\0')) {
        if (home == NULL || home[0] != '/')
            return verr_set(e, VALS_EBAD_REQUEST,
                            "%s starts with ~ but HOME is not in the request's context", var);
        rc = dbuf_printf(&b, "%s%s", home, v + 1);
    } else if (v[0] != '/') {
        return verr_set(e, VALS_EBAD_REQUEST,
                        "%s must be an absolute path (valsd does not know the client's "
                        "working directory)",
                        var);
    } else {
        rc = dbuf_adds(&b, v);
    }
    if (rc == 0 && (*out = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&b);
    return rc;
}

/* Read one profile from both files (credentials file first: its values win). */
static int profile_load(const char *creds_path, const char *config_path, const char *name,
                        struct aws_profile *p, struct verr *e)
{
    const char *paths[2] = {creds_path, config_path};
    int rc = 0;

    memset(p, 0, sizeof(*p));
    for (int i = 0; i < 2 && rc == 0; i++) {
        struct dbuf b = DBUF_INIT;
        struct verr fe = {0};
        if (paths[i] == NULL)
            continue;
        if (access(paths[i], F_OK) != 0 && errno == ENOENT)
            continue;
        rc = local_read_file(paths[i], AWS_FILE_MAX, &b, &fe);
        if (rc != 0)
            rc = verr_set(e, rc, "%s", fe.msg);
        else
            rc = aws_profile_parse(b.p != NULL ? b.p : "", b.len, name, i == 1, p);
        dbuf_free(&b);
    }
    if (rc != 0)
        aws_profile_free(p);
    return rc;
}

/* Static keys of a profile into c (0), or 1 when it has none. */
static int profile_keys_to(const struct aws_profile *p, struct aws_creds *c)
{
    const char *id = p->values[AWS_PK_ACCESS_KEY_ID], *sk = p->values[AWS_PK_SECRET_ACCESS_KEY];
    struct aws_creds t = {(char *)id, (char *)sk, p->values[AWS_PK_SESSION_TOKEN], 0};

    if (id == NULL || sk == NULL || id[0] == '\0' || sk[0] == '\0')
        return 1;
    return aws_creds_copy(c, &t);
}

/* Credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: 0, 1 when absent, or error. */
static int env_keys(const struct ctx *ctx, struct aws_creds *c, struct verr *e)
{
    const char *id = cget(ctx, "AWS_ACCESS_KEY_ID"), *sk = cget(ctx, "AWS_SECRET_ACCESS_KEY");
    const char *tok = cget(ctx, "AWS_SESSION_TOKEN");
    struct aws_creds t;

    if (id == NULL && sk == NULL)
        return 1;
    if (id == NULL || sk == NULL)
        return verr_set(e, VALS_EDENIED, "%s is set in the request's context but %s is not",
                        id != NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                        id != NULL ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    if (tok == NULL)
        tok = cget(ctx, "AWS_SECURITY_TOKEN");
    t = (struct aws_creds){(char *)id, (char *)sk, (char *)tok, 0};
    return aws_creds_copy(c, &t);
}

/* Credentials from a profile (and its role), with s->source set. */
static int creds_from_profile(const struct ctx *ctx, const char *name, int explicit_profile,
                              const char *region_in, struct aws_settings *s, struct verr *e)
{
    char *cpath = NULL, *fpath = NULL;
    struct aws_profile p, src;
    int rc;

    memset(&p, 0, sizeof(p));
    memset(&src, 0, sizeof(src));
    if ((rc = file_path(ctx, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", &cpath, e)) != 0 ||
        (rc = file_path(ctx, "AWS_CONFIG_FILE", ".aws/config", &fpath, e)) != 0)
        goto out;
    if (cpath == NULL && fpath == NULL) {
        rc = verr_set(e, VALS_EDENIED,
                      "no AWS credentials in the request's context (no AWS_ACCESS_KEY_ID, no "
                      "AWS_SHARED_CREDENTIALS_FILE, and no HOME for ~/.aws/credentials)");
        goto out;
    }
    if (ctx->uid != getuid()) {
        rc = verr_set(e, VALS_ELOCAL_ONLY,
                      "valsd reads shared AWS credential files only for its own user; send "
                      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the context instead");
        goto out;
    }
    if ((rc = profile_load(cpath, fpath, name, &p, e)) != 0)
        goto out;
    if (!p.found) {
        rc = verr_set(e, VALS_EDENIED,
                      explicit_profile ? "AWS profile \"%s\" is not in %s or %s"
                                       : "no AWS credentials: AWS_ACCESS_KEY_ID is not set and "
                                         "profile \"%s\" is not in %s or %s",
                      name, cpath != NULL ? cpath : "(no credentials file)",
                      fpath != NULL ? fpath : "(no config file)");
        goto out;
    }
    if (region_in == NULL && p.values[AWS_PK_REGION] != NULL)
        snprintf(s->region, sizeof(s->region), "%s", p.values[AWS_PK_REGION]);
    if (p.values[AWS_PK_CREDENTIAL_PROCESS] != NULL || p.values[AWS_PK_SSO_START_URL] != NULL ||
        p.values[AWS_PK_SSO_SESSION] != NULL || p.values[AWS_PK_WEB_IDENTITY_TOKEN_FILE] != NULL ||
        p.values[AWS_PK_MFA_SERIAL] != NULL) {
        if (profile_keys_to(&p, &s->creds) == 0 && p.values[AWS_PK_ROLE_ARN] == NULL)
            goto have; /* static keys win anyway */
        rc = verr_set(e, VALS_EUNSUPPORTED_BACKEND,
                      "AWS profile \"%s\" uses credential_process, SSO, web identity or MFA, "
                      "which valsd does not support; use static keys or a role with "
                      "source_profile",
                      name);
        goto out;
    }
    if (p.values[AWS_PK_ROLE_ARN] != NULL) {
        const char *sp = p.values[AWS_PK_SOURCE_PROFILE], *cs = p.values[AWS_PK_CREDENTIAL_SOURCE];
        if ((s->role_arn = strdup(p.values[AWS_PK_ROLE_ARN])) == NULL) {
            rc = VALS_ENOMEM;
            goto out;
        }
        if (p.values[AWS_PK_EXTERNAL_ID] != NULL && s->external_id == NULL)
            s->external_id = strdup(p.values[AWS_PK_EXTERNAL_ID]);
        if (p.values[AWS_PK_ROLE_SESSION_NAME] != NULL && s->role_session_name == NULL)
            s->role_session_name = strdup(p.values[AWS_PK_ROLE_SESSION_NAME]);
        if (p.values[AWS_PK_DURATION_SECONDS] != NULL)
            s->duration_s = (unsigned)strtoul(p.values[AWS_PK_DURATION_SECONDS], NULL, 10);
        if (cs != NULL && !strcmp(cs, "Environment")) {
            rc = env_keys(ctx, &s->creds, e);
            if (rc == 1)
                rc = verr_set(e, VALS_EDENIED,
                              "AWS profile \"%s\" takes its source credentials from the "
                              "environment, but AWS_ACCESS_KEY_ID is not set",
                              name);
            snprintf(s->source, sizeof(s->source), "role of profile \"%s\" (environment keys)",
                     name);
            goto out;
        }
        if (sp == NULL) {
            rc = verr_set(e, VALS_EUNSUPPORTED_BACKEND,
                          "AWS profile \"%s\" has role_arn without source_profile or "
                          "credential_source = Environment",
                          name);
            goto out;
        }
        if (!strcmp(sp, name)) {
            src = p; /* a profile may be its own source when it has keys */
            memset(&p, 0, sizeof(p));
        } else if ((rc = profile_load(cpath, fpath, sp, &src, e)) != 0) {
            goto out;
        }
        if (src.values[AWS_PK_ROLE_ARN] != NULL && strcmp(sp, name) != 0) {
            rc = verr_set(e, VALS_EUNSUPPORTED_BACKEND,
                          "AWS profile \"%s\": chained roles (source_profile \"%s\" has a "
                          "role_arn too) are not supported",
                          name, sp);
            goto out;
        }
        if ((rc = profile_keys_to(&src, &s->creds)) == 1) {
            rc = verr_set(e, VALS_EDENIED, "AWS profile \"%s\" (source of \"%s\") has no keys", sp,
                          name);
            goto out;
        }
        snprintf(s->source, sizeof(s->source), "role of profile \"%s\" (keys of \"%s\")", name, sp);
        goto out;
    }
    rc = profile_keys_to(&p, &s->creds);
    if (rc == 1)
        rc = verr_set(e, VALS_EDENIED,
                      "AWS profile \"%s\" has no aws_access_key_id/aws_secret_access_key", name);
    if (rc != 0)
        goto out;
have:
    snprintf(s->source, sizeof(s->source), "profile \"%s\"", name);
    rc = 0;
out:
    if (rc != 0 && rc != 1 && e != NULL && e->code == 0)
        verr_set(e, rc, "%s", vals_strerror(rc));
    aws_profile_free(&p);
    aws_profile_free(&src);
    free(cpath);
    free(fpath);
    return rc;
}

/* --- endpoints ---------------------------------------------------------------------- */

/* Parse "http[s]://host[:port][/path]" into ep. */
static int endpoint_parse(const char *url, struct aws_endpoint *ep, const char *var, struct verr *e)
{
    const char *h, *p;
    size_t hl, ul = strlen(url);
    int https;

    memset(ep, 0, sizeof(*ep));
    if (!strncmp(url, "https://", 8))
        https = 1;
    else if (!strncmp(url, "http://", 7))
        https = 0;
    else
        return verr_set(e, VALS_EBAD_REQUEST, "%s must be an http:// or https:// URL", var);
    h = url + (https ? 8 : 7);
    p = h + strcspn(h, "/?#");
    hl = (size_t)(p - h);
    if (hl == 0 || memchr(h, '@', hl) != NULL || *p == '?' || *p == '#' || ul > 2048)
        return verr_set(e, VALS_EBAD_REQUEST, "%s is not a usable endpoint URL", var);
    /* drop a default port: the Host header we sign must be the one curl would send */
    if (https && hl > 4 && !memcmp(h + hl - 4, ":443", 4))
        hl -= 4;
    else if (!https && hl > 3 && !memcmp(h + hl - 3, ":80", 3))
        hl -= 3;
    ep->host = strndup(h, hl);
    ep->path = strdup(*p == '/' ? p : "/");
    if (ep->path != NULL) {
        size_t pl = strlen(ep->path);
        while (pl > 1 && ep->path[pl - 1] == '/')
            ep->path[--pl] = '\0';
    }
    if (ep->host != NULL && ep->path != NULL) {
        struct dbuf b = DBUF_INIT;
        if (dbuf_printf(&b, "%s://%s%s", https ? "https" : "http", ep->host,
                        strcmp(ep->path, "/") ? ep->path : "") == 0)
            ep->url = dbuf_take(&b, NULL);
        dbuf_free(&b);
    }
    if (ep->host == NULL || ep->path == NULL || ep->url == NULL) {
        endpoint_free(ep);
        return VALS_ENOMEM;
    }
    return 0;
}

/* The endpoint of a service: overrides from the context, else the AWS default. */
static int endpoint_for(const struct ctx *ctx, const struct aws_service *svc, const char *region,
                        struct aws_endpoint *ep, struct verr *e)
{
    char var[64], url[256];
    const char *v = NULL, *ignore = cget(ctx, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

    if (ignore == NULL || strcasecmp(ignore, "true") != 0) {
        snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", svc->env_id);
        if ((v = cget(ctx, var)) == NULL && (v = cget(ctx, "AWS_ENDPOINT_URL")) != NULL)
            snprintf(var, sizeof(var), "AWS_ENDPOINT_URL");
    }
    if (v != NULL)
        return endpoint_parse(v, ep, var, e);
    snprintf(url, sizeof(url), "https://%s.%s.amazonaws.com%s", svc->name, region,
             !strncmp(region, "cn-", 3) ? ".cn" : "");
    return endpoint_parse(url, ep, "endpoint", e);
}

/* A region name must be safe in a host name. */
static int region_ok(const char *r)
{
    size_t n = strlen(r);

    if (n == 0 || n > 40)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
            return 0;
    return 1;
}

/* The region field of an ARN key ("arn:aws:secretsmanager:REGION:acct:..."). */
static void arn_region(const char *key, char *out, size_t cap)
{
    const char *p = key;

    out[0] = '\0';
    if (strncmp(key, "arn:", 4) != 0)
        return;
    for (int field = 0; field < 3 && p != NULL; field++)
        if ((p = strchr(p, ':')) != NULL)
            p++;
    if (p != NULL) {
        size_t n = strcspn(p, ":");
        if (n > 0 && n < cap)
            snprintf(out, cap, "%.*s", (int)n, p);
    }
}

/* Environment keys but no region: the selected profile's region still applies (as in
 * the SDKs).  Silent: files that are missing or unreadable just give no region. */
static void profile_region(const struct ctx *ctx, const char *profile, struct aws_settings *s)
{
    const char *name = profile != NULL && profile[0] ? profile : cget(ctx, "AWS_PROFILE");
    char *cpath = NULL, *fpath = NULL;
    struct aws_profile p;

    if (ctx->uid != getuid())
        return;
    if (name == NULL && (name = cget(ctx, "AWS_DEFAULT_PROFILE")) == NULL)
        name = "default";
    if (file_path(ctx, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", &cpath, NULL) == 0 &&
        file_path(ctx, "AWS_CONFIG_FILE", ".aws/config", &fpath, NULL) == 0 &&
        profile_load(cpath, fpath, name, &p, NULL) == 0) {
        if (p.values[AWS_PK_REGION] != NULL)
            snprintf(s->region, sizeof(s->region), "%s", p.values[AWS_PK_REGION]);
        aws_profile_free(&p);
    }
    free(cpath);
    free(fpath);
}

static const char *const scope_prefixes[] = {"AWS_", "HOME", "VALS_", NULL};

int aws_settings_load(const struct ctx *ctx, const struct ref *r, const struct aws_service *svc,
                      struct aws_settings *s, struct verr *e)
{
    const char *region = cloud_option(r, ctx, "region"), *profile = cloud_option(r, ctx, "profile");
    const char *role = cloud_option(r, ctx, "role_arn"), *v;
    char arn_reg[64];
    int rc;

    memset(s, 0, sizeof(*s));
    ctx_scope(ctx, scope_prefixes, s->scope);
    s->duration_s = 3600;
    if (region != NULL && region[0] != '\0')
        snprintf(s->region, sizeof(s->region), "%s", region);
    else if (arn_region(r->key, arn_reg, sizeof(arn_reg)), arn_reg[0] != '\0')
        snprintf(s->region, sizeof(s->region), "%s", arn_reg);
    else if ((v = cget(ctx, "AWS_REGION")) != NULL || (v = cget(ctx, "AWS_DEFAULT_REGION")) != NULL)
        snprintf(s->region, sizeof(s->region), "%s", v);
    /* credentials: an explicit profile option, else environment keys, else a profile */
    if (profile != NULL && profile[0] != '\0') {
        rc = creds_from_profile(ctx, profile, 1, s->region[0] ? s->region : NULL, s, e);
    } else if ((rc = env_keys(ctx, &s->creds, e)) == 0) {
        snprintf(s->source, sizeof(s->source), "environment keys");
    } else if (rc == 1) {
        const char *name = cget(ctx, "AWS_PROFILE");
        if (name == NULL)
            name = cget(ctx, "AWS_DEFAULT_PROFILE");
        rc = creds_from_profile(ctx, name != NULL ? name : "default", name != NULL,
                                s->region[0] ? s->region : NULL, s, e);
    }
    if (rc != 0)
        goto fail;
    if (s->region[0] == '\0')
        profile_region(ctx, profile, s);
    if (s->region[0] == '\0') {
        rc = verr_set(e, VALS_EBAD_REQUEST,
                      "no AWS region: give ?region=, or set AWS_REGION or a region in the "
                      "profile");
        goto fail;
    }
    if (!region_ok(s->region)) {
        rc = verr_set(e, VALS_EBAD_REF, "\"%.64s\" is not an AWS region name", s->region);
        goto fail;
    }
    if (role != NULL && role[0] != '\0') {
        free(s->role_arn);
        if ((s->role_arn = strdup(role)) == NULL) {
            rc = VALS_ENOMEM;
            goto fail;
        }
    }
    if (s->role_arn != NULL &&
        (rc = endpoint_for(ctx, &aws_svc_sts, s->region, &s->sts_endpoint, e)) != 0)
        goto fail;
    if ((rc = endpoint_for(ctx, svc, s->region, &s->endpoint, e)) != 0)
        goto fail;
    if (cget(ctx, "AWS_CA_BUNDLE") != NULL) {
        char *path = NULL;
        if ((rc = file_path(ctx, "AWS_CA_BUNDLE", "", &path, e)) != 0)
            goto fail;
        if (ctx->uid != getuid()) {
            free(path);
            rc = verr_set(e, VALS_ELOCAL_ONLY, "valsd opens AWS_CA_BUNDLE only for its own user");
            goto fail;
        }
        s->ca_file = path;
    }
    if ((v = cget(ctx, "HTTPS_PROXY")) != NULL || (v = cget(ctx, "https_proxy")) != NULL)
        s->proxy = strdup(v);
    if ((v = cget(ctx, "NO_PROXY")) != NULL || (v = cget(ctx, "no_proxy")) != NULL)
        s->no_proxy = strdup(v);
    return 0;
fail:
    if (rc == VALS_ENOMEM && e != NULL && e->msg[0] == '\0')
        verr_set(e, rc, "out of memory");
    aws_settings_free(s);
    return rc;
}

/* --- assumed roles ------------------------------------------------------------------ */

struct role_waiter {
    struct aws_settings *s;
    aws_creds_cb cb;
    void *data;
    struct role_waiter *next;
};

struct role_entry {
    unsigned char key[32];
    struct aws_creds creds; /* valid when !pending and creds.access_key_id */
    int pending;
    struct aws_settings *req; /* the settings the STS request was signed from (copy) */
    struct role_waiter *waiters;
    uint64_t used;
    struct role_entry *next;
};

static struct role_entry *roles;
static size_t nroles;
static uint64_t role_clock;

/* The cache key: scope, role, session name, external id, source key id, STS endpoint. */
static void role_key(const struct aws_settings *s, unsigned char key[32])
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    const char *parts[] = {s->scope,
                           s->role_arn,
                           s->role_session_name != NULL ? s->role_session_name : "",
                           s->external_id != NULL ? s->external_id : "",
                           s->creds.access_key_id != NULL ? s->creds.access_key_id : "",
                           s->sts_endpoint.url != NULL ? s->sts_endpoint.url : "",
                           s->region};
    unsigned int n = 0;

    memset(key, 0, 32);
    if (h == NULL)
        return;
    if (EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
            EVP_DigestUpdate(h, parts[i], strlen(parts[i]) + 1);
        EVP_DigestFinal_ex(h, key, &n);
    }
    EVP_MD_CTX_free(h);
}

/* The cached role entry with this key, or NULL. */
static struct role_entry *role_find(const unsigned char key[32])
{
    for (struct role_entry *r = roles; r != NULL; r = r->next)
        if (!memcmp(r->key, key, 32))
            return r;
    return NULL;
}

/* Remove an entry from the role cache and free it (credentials zeroed). */
static void role_unlink_free(struct role_entry *r)
{
    struct role_entry **pp = &roles;

    while (*pp != NULL && *pp != r)
        pp = &(*pp)->next;
    if (*pp == r)
        *pp = r->next;
    aws_creds_free(&r->creds);
    if (r->req != NULL) {
        aws_settings_free(r->req);
        free(r->req);
    }
    free(r);
    nroles--;
}

/* Make room: drop the least recently used entry that is not pending. */
static void role_evict(void)
{
    struct role_entry *victim = NULL;

    for (struct role_entry *r = roles; r != NULL; r = r->next)
        if (!r->pending && (victim == NULL || r->used < victim->used))
            victim = r;
    if (victim != NULL)
        role_unlink_free(victim);
}

/* Form-encode (application/x-www-form-urlencoded) a value: every byte but the
 * unreserved ones as %XX, which is also valid form encoding. */
static int form_value(struct dbuf *b, const char *v)
{
    return aws_sigv4_uri_encode(v, strlen(v), 0, b);
}

/* STS answered: cache the session credentials and wake every waiter. */
static void on_assumed(struct http_response *res, void *data)
{
    struct role_entry *r = data;
    struct role_waiter *w = r->waiters;
    struct aws_sts_creds sc;
    struct verr e = {0};
    int rc = res->err;
    char msg[600];

    msg[0] = '\0';
    if (rc != 0) {
        snprintf(msg, sizeof(msg), "STS AssumeRole %s: %s", r->req->role_arn, res->errmsg);
    } else if (res->status != 200) {
        struct aws_error ae;
        aws_error_parse(res->status, res->body.p, res->body.len, NULL, &ae);
        rc = aws_error_class(&ae, res->status);
        snprintf(msg, sizeof(msg), "STS AssumeRole %s (%s) failed: %s%s%s", r->req->role_arn,
                 r->req->region, ae.code, ae.message[0] ? ": " : "", ae.message);
    } else if ((rc = aws_sts_parse(res->body.p, res->body.len, &sc, &e)) != 0) {
        snprintf(msg, sizeof(msg), "STS AssumeRole %s: %s", r->req->role_arn, e.msg);
    } else {
        r->creds.access_key_id = sc.access_key_id;
        r->creds.secret_access_key = sc.secret_access_key;
        r->creds.session_token = sc.session_token;
        r->creds.expires = sc.expires;
    }
    r->pending = 0;
    r->waiters = NULL;
    while (w != NULL) {
        struct role_waiter *next = w->next;
        int wrc = rc;
        if (wrc == 0 && (wrc = aws_creds_copy(&w->s->session, &r->creds)) != 0)
            snprintf(msg, sizeof(msg), "out of memory");
        w->cb(w->data, wrc, wrc != 0 ? msg : NULL);
        free(w);
        w = next;
    }
    if (rc != 0)
        role_unlink_free(r); /* failures are not cached here (the value cache has its own) */
}

/* Start AssumeRole for entry r with the source credentials of s. */
static int role_assume(struct role_entry *r, const struct aws_settings *s, struct verr *e)
{
    struct dbuf body = DBUF_INIT;
    char session[64];
    int rc;

    if ((r->req = calloc(1, sizeof(*r->req))) == NULL)
        return VALS_ENOMEM;
    snprintf(r->req->region, sizeof(r->req->region), "%s", s->region);
    r->req->role_arn = strdup(s->role_arn);
    r->req->ca_file = s->ca_file != NULL ? strdup(s->ca_file) : NULL;
    r->req->proxy = s->proxy != NULL ? strdup(s->proxy) : NULL;
    r->req->no_proxy = s->no_proxy != NULL ? strdup(s->no_proxy) : NULL;
    if (r->req->role_arn == NULL || aws_creds_copy(&r->req->creds, &s->creds) != 0)
        return VALS_ENOMEM;
    snprintf(session, sizeof(session), "valsd-%lld", (long long)time(NULL));
    rc = dbuf_adds(&body, "Action=AssumeRole&Version=2011-06-15&RoleArn=");
    if (rc == 0)
        rc = form_value(&body, s->role_arn);
    if (rc == 0)
        rc = dbuf_adds(&body, "&RoleSessionName=");
    if (rc == 0)
        rc = form_value(&body, s->role_session_name != NULL ? s->role_session_name : session);
    if (rc == 0)
        rc = dbuf_printf(&body, "&DurationSeconds=%u", s->duration_s ? s->duration_s : 3600);
    if (rc == 0 && s->external_id != NULL) {
        rc = dbuf_adds(&body, "&ExternalId=");
        if (rc == 0)
            rc = form_value(&body, s->external_id);
    }
    if (rc == 0)
        rc = aws_send(r->req, &r->req->creds, &aws_svc_sts, &s->sts_endpoint, NULL, body.p,
                      body.len, on_assumed, r);
    if (rc != 0)
        verr_set(e, rc, "STS AssumeRole %s: cannot send the request (%s)", s->role_arn,
                 vals_strerror(rc));
    dbuf_free(&body);
    return rc;
}

int aws_creds_ready(struct aws_settings *s, aws_creds_cb cb, void *data, struct verr *e)
{
    unsigned char key[32];
    struct role_entry *r;
    struct role_waiter *w;
    int rc;

    if (s->role_arn == NULL)
        return 1;
    role_key(s, key);
    r = role_find(key);
    if (r != NULL && !r->pending) {
        if (r->creds.access_key_id != NULL &&
            r->creds.expires - (int64_t)time(NULL) > AWS_ROLE_REFRESH_S) {
            r->used = ++role_clock;
            if ((rc = aws_creds_copy(&s->session, &r->creds)) != 0)
                return verr_set(e, rc, "out of memory");
            return 1;
        }
        role_unlink_free(r); /* expiring soon: assume again */
        r = NULL;
    }
    if ((w = calloc(1, sizeof(*w))) == NULL)
        return verr_set(e, VALS_ENOMEM, "out of memory");
    w->s = s;
    w->cb = cb;
    w->data = data;
    if (r == NULL) {
        if (nroles >= AWS_ROLE_CACHE_SIZE)
            role_evict();
        if ((r = calloc(1, sizeof(*r))) == NULL) {
            free(w);
            return verr_set(e, VALS_ENOMEM, "out of memory");
        }
        memcpy(r->key, key, 32);
        r->pending = 1;
        r->used = ++role_clock;
        r->next = roles;
        roles = r;
        nroles++;
        if ((rc = role_assume(r, s, e)) != 0) {
            free(w);
            role_unlink_free(r);
            return rc;
        }
    }
    w->next = r->waiters;
    r->waiters = w;
    return 0;
}

void aws_creds_forget(const struct aws_settings *s)
{
    unsigned char key[32];
    struct role_entry *r;

    if (s->role_arn == NULL)
        return;
    role_key(s, key);
    if ((r = role_find(key)) != NULL && !r->pending)
        role_unlink_free(r);
}

void aws_creds_clear(void)
{
    struct role_entry *r = roles;

    while (r != NULL) {
        struct role_entry *next = r->next;
        if (!r->pending)
            role_unlink_free(r);
        r = next;
    }
}

const struct aws_creds *aws_settings_signing(const struct aws_settings *s)
{
    return s->role_arn != NULL ? &s->session : &s->creds;
}

size_t aws_creds_cached(void)
{
    return nroles;
}
