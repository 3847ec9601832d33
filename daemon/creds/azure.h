/*
 * creds/azure.h - Entra ID (Azure AD) credentials of one request, taken ONLY from the
 * request's context (azure-identity's EnvironmentCredential and WorkloadIdentityCredential;
 * reference/backends.md §5.3-§5.4):
 *
 *  - client secret: AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (+ AZURE_TENANT_ID);
 *  - workload identity: AZURE_CLIENT_ID + AZURE_FEDERATED_TOKEN_FILE (+ AZURE_TENANT_ID),
 *    the file's JWT sent as client_assertion (re-read at every token request; own uid only).
 *
 * POST {AZURE_AUTHORITY_HOST|https://login.microsoftonline.com}/{tenant}/oauth2/v2.0/token
 * with grant_type=client_credentials and the scope the vault's 401 challenge asked for.
 * The tenant is AZURE_TENANT_ID, else the challenge's.  Tokens are cached
 * (daemon/creds/tokens.h) per authority, tenant, client, credential and scope until 5
 * minutes before they expire, and dropped when the vault answers 401.  Not supported:
 * certificates (AZURE_CLIENT_CERTIFICATE_PATH), managed identity, the Azure CLI.
 */
#ifndef VALSD_CREDS_AZURE_H
#define VALSD_CREDS_AZURE_H

#include <uv.h>

#include "daemon/cloud_call.h"
#include "daemon/ctx.h"
#include "lib/verr.h"

#define AZURE_AUTHORITY "https://login.microsoftonline.com"

struct azure_creds {
    char *authority; /* no trailing '/' */
    char *tenant;    /* AZURE_TENANT_ID, may be NULL */
    char *client_id;
    char *client_secret;        /* client secret flow */
    char *federated_token_file; /* workload identity flow (absolute path) */
    const struct ctx *ctx;      /* to read the federated token file (borrowed) */
    struct cloud_tls tls;
    char source[128];
};

int azure_creds_load(const struct ctx *ctx, struct azure_creds *c, struct verr *e);
void azure_creds_free(struct azure_creds *c);

typedef void (*azure_token_cb)(void *data, int err, const char *msg, const char *token);
/* A token for `scope` in `tenant` (NULL: the configured one): 1 and *now (malloc'ed;
 * secure_free_str), 0 when cb runs later, or an error. */
int azure_token(uv_loop_t *loop, const struct azure_creds *c, const char *tenant, const char *scope,
                azure_token_cb cb, void *data, char **now, struct verr *e);
/* Forget the cached token of (tenant, scope). */
void azure_token_forget(const struct azure_creds *c, const char *tenant, const char *scope);

#endif
