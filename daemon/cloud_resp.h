/*
 * cloud_resp.h - reading the responses of HashiCorp Vault, Google Secret Manager, Azure Key
 * Vault and their token endpoints (untrusted network bytes; reference/backends.md §4-§6).
 *
 * Pure functions over a byte buffer: JSON through lib/doc's bounded parser, no I/O, nothing
 * logged.  Values and tokens are copied into the caller's buffers or documents, which zero
 * themselves when freed.  Error messages name the field that is wrong and never quote a
 * value; texts taken from a server's error body are reduced to printable ASCII and cut.
 */
#ifndef VALSD_CLOUD_RESP_H
#define VALSD_CLOUD_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dbuf.h"
#include "lib/doc.h"
#include "lib/verr.h"

#define CLOUD_MAX_TOKEN (64u << 10) /* longest access token accepted */

/* The error of a failed call, from any of the vendors' error bodies:
 *   Vault  {"errors": ["permission denied"]}
 *   Google {"error": {"code": 404, "message": "...", "status": "NOT_FOUND"}}
 *   Azure  {"error": {"code": "SecretNotFound", "message": "..."}}
 *   OAuth  {"error": "invalid_grant", "error_description": "..."}
 * code falls back to "HTTP <status>" when the body names none. */
struct cloud_error {
    char code[64];
    char message[256];
};
void cloud_error_parse(long status, const char *body, size_t len, struct cloud_error *out);
/* The VALS_E* class of an HTTP status: 404 VALS_ENOT_FOUND, 401/403 VALS_EDENIED, 429
 * VALS_ETHROTTLED, 408/504 VALS_ETIMEOUT, anything else VALS_EBACKEND. */
int cloud_status_class(long status);
/* The error of a failed login or token request: 5xx backend_error, 429 throttled, any
 * other status denied. */
int cloud_auth_status_class(long status);
/* Whether a status is worth retrying (429, 500, 502, 503, 504). */
int cloud_status_retryable(long status);

/* Parse a JSON body that must be an object. */
int cloud_json_object(const char *body, size_t len, const char *what, struct doc **out,
                      struct verr *e);
/* Follow a dotted path of map keys ("data.options.version"); NULL when any step is absent
 * or not a map. */
const struct doc *cloud_doc_path(const struct doc *d, const char *path);

/* --- Vault ------------------------------------------------------------------------- */

/* GET /v1/sys/internal/ui/mounts/PATH: the mount ("secret/", always ending in '/') and the
 * KV version (1 unless data.options.version is "2"); *type is the engine ("kv", ...). */
int cloud_vault_mount(const char *body, size_t len, char *mount, size_t mount_cap, char *type,
                      size_t type_cap, int *version, struct verr *e);
/* A read: which object of the response is the document. */
enum cloud_vault_doc {
    CLOUD_VAULT_DATA,      /* .data (KV v1, or a raw read of a KV v2 "data/" path) */
    CLOUD_VAULT_DATA_DATA, /* .data.data (KV v2) */
};
/* The document of a read (a map).  A KV v2 answer whose data.data is null (deleted or
 * destroyed version) is VALS_ENOT_FOUND naming which. */
int cloud_vault_secret(const char *body, size_t len, enum cloud_vault_doc which, struct doc **out,
                       struct verr *e);
/* Whether a 404 body is KV v2's "this version is deleted/destroyed" (metadata present);
 * writes "deleted" or "destroyed" to `why`. */
int cloud_vault_deleted(const char *body, size_t len, char *why, size_t cap);
/* A login answer: auth.client_token and auth.lease_duration (seconds, 0 = none). */
int cloud_vault_login(const char *body, size_t len, char **token, int64_t *lease_s, struct verr *e);

/* --- OAuth 2 token endpoints (Google, Entra ID) ------------------------------------ */

/* {"access_token": "...", "expires_in": 3599 | "3599", "token_type": "Bearer"}: the token
 * (malloc'ed) and its lifetime in seconds (0 when absent). */
int cloud_oauth_token(const char *body, size_t len, char **token, int64_t *expires_in,
                      struct verr *e);

/* --- Google Secret Manager --------------------------------------------------------- */

/* CRC32C (Castagnoli, reflected 0x82F63B78) as Google's dataCrc32c. */
uint32_t cloud_crc32c(const void *data, size_t len);
/* AccessSecretVersion: payload.data base64-decoded into `payload`, checked against
 * payload.dataCrc32c when present (VALS_ETAMPERED on mismatch). */
int cloud_gcp_access(const char *body, size_t len, struct dbuf *payload, struct verr *e);

/* --- Azure Key Vault --------------------------------------------------------------- */

/* GetSecret: the "value" string. */
int cloud_azure_secret(const char *body, size_t len, struct dbuf *value, struct verr *e);

/* The Bearer challenge of a 401 (WWW-Authenticate):
 *   Bearer authorization="https://login.microsoftonline.com/TENANT",
 * resource="https://vault.azure.net" (authorization_uri= and scope= are accepted too). */
struct cloud_challenge {
    char authority[512]; /* the authorization URL as given */
    char tenant[128];    /* its last path segment */
    char scope[512];     /* scope= as given, else resource + "/.default" */
    char resource[512];  /* resource=, or scope without "/.default" */
};
int cloud_azure_challenge(const char *header, size_t len, struct cloud_challenge *out,
                          struct verr *e);
/* Whether `resource`'s host is the vault host or a parent domain of it (the check the
 * Azure SDKs make so a bogus vault cannot ask for another service's token). */
int cloud_azure_resource_ok(const char *resource, const char *vault_host);

#endif
