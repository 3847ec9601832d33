/*
 * creds/vault.h - the Vault settings of one request (address, namespace, TLS, token),
 * taken ONLY from the request's credential context and the ref's options (vals' vault
 * provider, reference/vals.md §2.2; backends.md §6).  Every option falls back to
 * VALS_<OPTION> of the context, as in vals.
 *
 *  address: `address` option; else `host` (+ `proto`, default https); else VAULT_ADDR;
 *    else https://127.0.0.1:8200.
 *  namespace: `namespace` option, else VAULT_NAMESPACE -> X-Vault-Namespace on every call.
 *  TLS: VAULT_CACERT (a PEM bundle; opened for valsd's own uid only), VAULT_SKIP_VERIFY
 *    (Go truth values) disables verification.  VAULT_CAPATH, VAULT_CLIENT_CERT/KEY and
 *    VAULT_TLS_SERVER_NAME are not supported (an error says so).
 *  auth: `auth_method` option, else VAULT_AUTH_METHOD: token (default), approle, userpass,
 *    kubernetes.
 *   - token: `token_env` (the NAME of a context variable holding the token), else
 *     `token_file`, else VAULT_TOKEN, else VAULT_TOKEN_FILE, else $HOME/.vault-token
 *     (files: surrounding whitespace trimmed; own uid only).
 *   - approle: `role_id`/VAULT_ROLE_ID + `secret_id`/VAULT_SECRET_ID, POST
 *     auth/<VAULT_LOGIN_MOUNT_POINT|approle>/login.
 *   - userpass: `username`/VAULT_USERNAME, password from the context variable named by
 *     `password_env`/VAULT_PASSWORD_ENV or the file `password_file`/VAULT_PASSWORD_FILE,
 *     POST auth/<VAULT_LOGIN_MOUNT_POINT|userpass>/login/<username>.
 *   - kubernetes: the JWT in VAULT_KUBERNETES_JWT_TOKEN_PATH (default the service account
 *     token file) and `role_id`/VAULT_ROLE_ID as the role, POST
 *     auth/<VAULT_KUBERNETES_MOUNT_POINT|kubernetes>/login.
 *   Login tokens are cached (daemon/creds/tokens.h) per address, namespace, method and
 *   credentials, renewed at 2/3 of their lease, and dropped when Vault refuses them.
 */
#ifndef VALSD_CREDS_VAULT_H
#define VALSD_CREDS_VAULT_H

#include <stdint.h>
#include <uv.h>

#include "daemon/cloud_call.h"
#include "daemon/ctx.h"
#include "lib/ref.h"
#include "lib/verr.h"

#define VAULT_DEFAULT_ADDR "https://127.0.0.1:8200"
#define VAULT_MAX_HEADERS  4

enum vault_auth {
    VAULT_AUTH_TOKEN,
    VAULT_AUTH_APPROLE,
    VAULT_AUTH_USERPASS,
    VAULT_AUTH_KUBERNETES
};

struct vault_settings {
    char *addr;      /* base URL, no trailing '/' */
    char *namespace; /* NULL: none */
    struct cloud_tls tls;
    enum vault_auth method;
    char *token;      /* token method: the token */
    char *login_path; /* login methods: "auth/approle/login" (escaped) */
    char *login_body; /* login methods: the JSON body (holds credentials) */
    size_t login_len;
    unsigned char login_key[32];
    char source[160]; /* where the token comes from (messages; no secret) */
};

/* Everything that needs no network. */
int vault_settings_load(const struct ctx *ctx, const struct ref *r, struct vault_settings *s,
                        struct verr *e);
void vault_settings_free(struct vault_settings *s);

typedef void (*vault_token_cb)(void *data, int err, const char *msg, const char *token);
/* The token to send: 1 and *now (malloc'ed; secure_free_str) when known at once, 0 when cb
 * will run later (a login), or an error. */
int vault_token(uv_loop_t *loop, struct vault_settings *s, vault_token_cb cb, void *data,
                char **now, struct verr *e);
/* Forget a cached login token (Vault refused it); 1 when a new login can help. */
int vault_token_forget(const struct vault_settings *s);
/* The headers of a call: X-Vault-Token, X-Vault-Namespace, X-Vault-Request.  Returns the
 * count written into h (at most VAULT_MAX_HEADERS). */
size_t vault_headers(const struct vault_settings *s, const char *token, struct http_header *h);

#endif
