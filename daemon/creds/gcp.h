/*
 * creds/gcp.h - Google credentials of one request, taken ONLY from the request's context
 * (Application Default Credentials without the metadata server; reference/backends.md
 * §4.2-§4.4).  The first that applies:
 *
 *  1. GOOGLE_OAUTH_ACCESS_TOKEN: an access token, used as is (as Terraform's provider).
 *  2. CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: a file holding an access token (as gcloud).
 *  3. GOOGLE_APPLICATION_CREDENTIALS: a JSON credentials file.
 *  4. gcloud's ADC file: $CLOUDSDK_CONFIG/application_default_credentials.json, else
 *     $HOME/.config/gcloud/application_default_credentials.json, when it exists.
 *
 * Credentials files: "service_account" (a JWT signed RS256 with private_key, exchanged at
 * token_uri with the jwt-bearer grant, RFC 7523) and "authorized_user" (refresh_token
 * grant at token_uri, default https://oauth2.googleapis.com/token).  Access tokens are
 * cached (daemon/creds/tokens.h) per credential until 5 minutes before they expire, and
 * dropped when Google answers 401.  Files are read for peers with valsd's own uid only.
 * Not supported: the metadata server (GCE/GKE/Cloud Run), external_account and
 * impersonated_service_account files (an error names the type).
 */
#ifndef VALSD_CREDS_GCP_H
#define VALSD_CREDS_GCP_H

#include <stdint.h>
#include <uv.h>

#include "daemon/cloud_call.h"
#include "daemon/ctx.h"
#include "lib/dbuf.h"
#include "lib/verr.h"

#define GCP_TOKEN_URI "https://oauth2.googleapis.com/token"
#define GCP_SCOPE     "https://www.googleapis.com/auth/cloud-platform"
#define GCP_JWT_TTL_S 3600

enum gcp_kind { GCP_STATIC_TOKEN, GCP_SERVICE_ACCOUNT, GCP_AUTHORIZED_USER };

struct gcp_creds {
    enum gcp_kind kind;
    char *token; /* GCP_STATIC_TOKEN */
    char *token_uri;
    char *client_email, *private_key, *private_key_id; /* service account */
    char *client_id, *client_secret, *refresh_token;   /* authorized user */
    char *project_id;                                  /* of a service account key, may be NULL */
    char *quota_project_id;                            /* x-goog-user-project, may be NULL */
    unsigned char key[32];                             /* token cache key */
    struct cloud_tls tls;                              /* for the token endpoint */
    char source[256]; /* where the credentials come from (no secret) */
};

int gcp_creds_load(const struct ctx *ctx, struct gcp_creds *c, struct verr *e);
void gcp_creds_free(struct gcp_creds *c);

typedef void (*gcp_token_cb)(void *data, int err, const char *msg, const char *token);
/* An access token: 1 and *now (malloc'ed; secure_free_str) when known at once, 0 when cb
 * will run later, or an error. */
int gcp_token(uv_loop_t *loop, struct gcp_creds *c, gcp_token_cb cb, void *data, char **now,
              struct verr *e);
/* Forget the cached token (Google answered 401); 1 when fetching a new one can help. */
int gcp_token_forget(const struct gcp_creds *c);

/* The signed JWT of the service-account grant (exposed for tests): header
 * {"alg":"RS256","typ":"JWT","kid":key_id}, claims {iss, scope, aud, iat, exp}. */
int gcp_jwt_assertion(const char *client_email, const char *pem_key, const char *key_id,
                      const char *aud, const char *scope, int64_t now, struct dbuf *out,
                      struct verr *e);
/* Parse a credentials file's JSON into c (exposed for tests and the fuzz target). */
int gcp_creds_parse(const char *json, size_t len, const char *name, struct gcp_creds *c,
                    struct verr *e);

#endif
