/*
 * cloud_call.h - what the bearer-token backends (vault, gcpsecrets, azurekeyvault) share:
 * one REST request over daemon/http.c with retries, and reading options, variables and
 * file paths from the request's credential context (never valsd's own environment).
 *
 * cloud_call() copies the request, sends it, and retries throttling (429), 500/502/503/504
 * and transport failures (3 attempts in all, exponential backoff with jitter, a server's
 * Retry-After honoured up to CLOUD_RETRY_AFTER_MAX_MS).  The callback gets the final
 * response (any status) or the transport error in res->err, exactly once, from the loop.
 */
#ifndef VALSD_CLOUD_CALL_H
#define VALSD_CLOUD_CALL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ctx.h"
#include "http.h"
#include "lib/dbuf.h"
#include "lib/ref.h"

#define CLOUD_CALL_ATTEMPTS       3
#define CLOUD_CALL_TIMEOUT_MS     10000
#define CLOUD_CONNECT_TIMEOUT_MS  5000
#define CLOUD_RETRY_AFTER_MAX_MS  2000
#define CLOUD_MAX_RESPONSE        (1u << 20)
#define CLOUD_TOKEN_REFRESH_S     300 /* renew cached access tokens this long before expiry */
#define CLOUD_MAX_CREDENTIAL_FILE (1u << 20)

/* Transport settings of one backend request (all taken from the context). */
struct cloud_tls {
    char *ca_file; /* extra trust anchors, NULL: the system's */
    int insecure;  /* do not verify the peer (VAULT_SKIP_VERIFY) */
    char *proxy, *no_proxy;
};

struct cloud_request {
    uv_loop_t *loop; /* for the backoff timer */
    const char *method;
    const char *url;
    const struct http_header *headers;
    size_t nheaders;
    const void *body; /* NULL: none */
    size_t body_len;
    const struct cloud_tls *tls; /* may be NULL */
    const char *const *capture;  /* response headers to keep ("Retry-After" is added) */
    int no_retry;                /* one attempt only (logins with one-use credentials) */
};

typedef void (*cloud_call_cb)(void *data, struct http_response *res);

/* Start a request.  0: cb runs later exactly once; an error: cb never runs. */
int cloud_call(const struct cloud_request *rq, cloud_call_cb cb, void *data);

/* A ref option, else VALS_<NAME upper-cased> of the context (vals' fallback); NULL when
 * neither is set. */
const char *cloud_option(const struct ref *r, const struct ctx *ctx, const char *name);
/* A context variable when set and not empty, else NULL. */
const char *cloud_env(const struct ctx *ctx, const char *name);
/* Go's strconv.ParseBool truth: 1, t, T, TRUE, true, True. */
int cloud_truthy(const char *v);
/* An absolute path from a context value ("~/" expands the context's HOME; relative paths
 * are refused because valsd does not know the client's directory).  `what` names the
 * variable or option in errors.  *out is malloc'ed. */
int cloud_path(const struct ctx *ctx, const char *value, const char *what, char **out,
               struct verr *e);
/* Read a credential file named by the context: only for peers with valsd's own uid
 * (DESIGN.md §6); at most CLOUD_MAX_CREDENTIAL_FILE bytes; errors name `what`. */
int cloud_read_file(const struct ctx *ctx, const char *value, const char *what, struct dbuf *out,
                    struct verr *e);
/* TLS/proxy settings: ca_var (a CA bundle path variable, may be NULL), HTTPS_PROXY and
 * NO_PROXY of the context. */
int cloud_tls_load(const struct ctx *ctx, const char *ca_var, struct cloud_tls *t, struct verr *e);
void cloud_tls_free(struct cloud_tls *t);

/* Append s percent-encoded (everything but A-Z a-z 0-9 - _ . ~, and '/' when keep_slash). */
int cloud_escape(struct dbuf *b, const char *s, size_t len, int keep_slash);
/* Whether an http(s) base URL is usable: scheme, a host, no userinfo/query/fragment. */
int cloud_url_ok(const char *url);
/* SHA-256 over NUL-separated parts (cache keys of credentials; secrets never stored). */
void cloud_key(unsigned char out[32], const char *const *parts, size_t n);

#endif
