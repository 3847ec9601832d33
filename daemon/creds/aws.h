/*
 * creds/aws.h - the AWS settings of one request (region, endpoint, credentials), taken
 * ONLY from the request's credential context (DESIGN.md §5) and the ref's options, never
 * from valsd's own environment.  reference/backends.md §3 describes the chain; what we
 * follow (the Go SDK v2 order, which vals uses):
 *
 *  credentials: a `profile` option selects that profile; else AWS_ACCESS_KEY_ID +
 *    AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); else the profile AWS_PROFILE /
 *    AWS_DEFAULT_PROFILE / "default" from the shared files AWS_SHARED_CREDENTIALS_FILE
 *    (default $HOME/.aws/credentials, section [name]) and AWS_CONFIG_FILE (default
 *    $HOME/.aws/config, section [profile name]); the credentials file wins per key.  A
 *    profile with role_arn + source_profile (or credential_source = Environment), or a
 *    `role_arn` option, assumes that role with STS; the session credentials are cached per
 *    context scope and renewed 15 minutes before they expire.
 *  region: the `region` option; else the region of an ARN key; else AWS_REGION,
 *    AWS_DEFAULT_REGION, the profile's region.
 *  endpoint: AWS_ENDPOINT_URL_<SERVICE> (SECRETS_MANAGER, SSM, STS), else AWS_ENDPOINT_URL,
 *    else https://<service>.<region>.amazonaws.com (.amazonaws.com.cn for cn-*).
 *    AWS_CA_BUNDLE adds trust anchors; HTTPS_PROXY / NO_PROXY of the context are used.
 *  Every option also falls back to VALS_<OPTION> of the context, as vals does.
 *
 * Shared files are opened only for peers with valsd's own uid (DESIGN.md §6); other
 * peers must send keys in their context.  Not supported (clear errors): SSO,
 * credential_process, web identity, container and instance-metadata credentials, MFA.
 */
#ifndef VALSD_CREDS_AWS_H
#define VALSD_CREDS_AWS_H

#include <stdint.h>

#include "daemon/ctx.h"
#include "lib/ref.h"
#include "lib/verr.h"

#define AWS_FILE_MAX        (1u << 20)
#define AWS_ROLE_REFRESH_S  900 /* renew assumed-role credentials this long before expiry */
#define AWS_ROLE_CACHE_SIZE 64

/* One AWS API (signing name, endpoint prefix, AWS_ENDPOINT_URL_<env_id>). */
struct aws_service {
    const char *name;   /* "secretsmanager", "ssm", "sts" */
    const char *env_id; /* "SECRETS_MANAGER", "SSM", "STS" */
};

extern const struct aws_service aws_svc_secretsmanager, aws_svc_ssm, aws_svc_sts;

struct aws_creds {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
    int64_t expires;     /* Unix seconds; 0: does not expire */
};

struct aws_endpoint {
    char *url;  /* base URL without a trailing '/': "https://ssm.us-east-1.amazonaws.com" */
    char *host; /* "ssm.us-east-1.amazonaws.com" or "127.0.0.1:5000" (the Host header) */
    char *path; /* "/" or the override's path */
};

struct aws_settings {
    char region[64];
    struct aws_endpoint endpoint;     /* of the service being called */
    struct aws_endpoint sts_endpoint; /* for role_arn */
    char *ca_file;
    char *proxy, *no_proxy;
    struct aws_creds creds;   /* static credentials, or the source credentials of role_arn */
    struct aws_creds session; /* with role_arn: the assumed role's (aws_creds_ready) */
    char *role_arn;           /* assume this role first; NULL: sign with creds */
    char *role_session_name;
    char *external_id;
    unsigned duration_s;
    char scope[33];   /* the context scope, part of the role cache key */
    char source[256]; /* where the credentials came from (for messages; no secrets) */
};

/* Resolve everything that needs no network for calling `svc` about ref r. */
int aws_settings_load(const struct ctx *ctx, const struct ref *r, const struct aws_service *svc,
                      struct aws_settings *s, struct verr *e);
void aws_settings_free(struct aws_settings *s);

typedef void (*aws_creds_cb)(void *data, int err, const char *msg);
/* The credentials to sign with: the session of the role, else the static ones. */
const struct aws_creds *aws_settings_signing(const struct aws_settings *s);
/* Make the signing credentials ready: for a role, cached session credentials or
 * a new AssumeRole (into s->session).  Returns 1 when ready now, 0 when cb will run later (exactly
 * once, from the loop; concurrent requests for one role share one AssumeRole), or an error. */
int aws_creds_ready(struct aws_settings *s, aws_creds_cb cb, void *data, struct verr *e);
/* Forget cached role credentials of s (after the service rejected them). */
void aws_creds_forget(const struct aws_settings *s);
/* Drop every cached credential (shutdown; pending AssumeRoles end through http). */
void aws_creds_clear(void);
/* Number of cached role credentials (stats, tests). */
size_t aws_creds_cached(void);

void aws_creds_free(struct aws_creds *c);
int aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src);

/* --- shared config files (exposed for tests) --- */
struct aws_profile {
    char *values[16]; /* indexed by enum aws_profile_key */
    int found;        /* the section exists */
};
enum aws_profile_key {
    AWS_PK_ACCESS_KEY_ID,
    AWS_PK_SECRET_ACCESS_KEY,
    AWS_PK_SESSION_TOKEN,
    AWS_PK_REGION,
    AWS_PK_ROLE_ARN,
    AWS_PK_SOURCE_PROFILE,
    AWS_PK_CREDENTIAL_SOURCE,
    AWS_PK_EXTERNAL_ID,
    AWS_PK_ROLE_SESSION_NAME,
    AWS_PK_DURATION_SECONDS,
    AWS_PK_CREDENTIAL_PROCESS,
    AWS_PK_WEB_IDENTITY_TOKEN_FILE,
    AWS_PK_SSO_START_URL,
    AWS_PK_SSO_SESSION,
    AWS_PK_MFA_SERIAL,
    AWS_PK_COUNT
};
/* Read the keys of section `section` of INI text into p (values already set win, so read
 * the credentials file first).  `config` selects "[profile name]" headers. */
int aws_profile_parse(const char *text, size_t len, const char *profile, int config,
                      struct aws_profile *p);
void aws_profile_free(struct aws_profile *p);

#endif
