/*
 * http.h - the daemon's asynchronous HTTP(S) client, shared by every network backend
 * (AWS now; Vault, Google and Azure later).
 *
 * libcurl's multi interface is driven by the daemon's libuv loop (one uv_poll_t per
 * socket curl asks about, one uv_timer_t for curl's timeouts), so requests never block
 * the loop and connections (and TLS sessions, DNS answers) are reused across requests
 * to the same host.  TLS peers are verified unless a request says otherwise; redirects
 * are not followed; only http and https are allowed; no proxy is used unless a request
 * names one (the daemon's own environment is never consulted for a client).
 *
 * Ownership and limits:
 *  - http_request() copies everything in its options (URL, headers, body); the body copy
 *    and the header strings are zeroed when freed (they may carry credentials).
 *  - The completion callback runs exactly once, from the loop, never from inside
 *    http_request(); the response it gets is valid only during the call (the callback
 *    may take the body out with dbuf_take).  If http_request() fails, it never runs.
 *  - Response bodies are capped (max_response, default 1 MiB; VALS_ETOO_LARGE beyond),
 *    and so are the response headers kept (names listed in `capture`, at most
 *    HTTP_MAX_CAPTURE of them, each at most 8 KiB).
 *  - http_cancel() drops a request without running its callback; http_shutdown() ends
 *    every outstanding request with VALS_ESHUTTING_DOWN (callbacks run) and closes the
 *    loop handles.
 */
#ifndef VALSD_HTTP_H
#define VALSD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/dbuf.h"

#define HTTP_DEFAULT_TIMEOUT_MS   15000
#define HTTP_DEFAULT_MAX_RESPONSE (1u << 20)
#define HTTP_MAX_CAPTURE          8
#define HTTP_MAX_REQUEST_HEADERS  32

struct http_header {
    const char *name;
    const char *value;
};

struct http_request_opts {
    const char *method; /* "GET", "POST", "PUT", ... */
    const char *url;    /* http:// or https:// */
    const struct http_header *headers;
    size_t nheaders;
    const void *body; /* may be NULL */
    size_t body_len;
    uint32_t timeout_ms;         /* the whole exchange; 0: HTTP_DEFAULT_TIMEOUT_MS */
    uint32_t connect_timeout_ms; /* 0: the same as timeout_ms */
    size_t max_response;         /* body cap; 0: HTTP_DEFAULT_MAX_RESPONSE */
    const char *const *capture;  /* response header names to keep (NULL-terminated) */
    const char *ca_file;         /* extra trust anchors (PEM), NULL: the system's */
    const char *proxy;           /* proxy URL, NULL: none */
    const char *no_proxy;        /* hosts that bypass the proxy */
    int insecure;                /* do not verify the TLS peer (never the default) */
};

struct http_captured {
    char *name; /* as listed in `capture` */
    char *value;
};

struct http_response {
    int err;          /* 0, VALS_ETIMEOUT, VALS_ETOO_LARGE, VALS_EBACKEND (transport),
                         VALS_ESHUTTING_DOWN, VALS_ENOMEM */
    char errmsg[256]; /* transport error text when err != 0 (never request data) */
    long status;      /* HTTP status, 0 when no response arrived */
    struct dbuf body; /* capped */
    struct http_captured headers[HTTP_MAX_CAPTURE];
    size_t nheaders;
    long new_connections; /* connections opened for this request (0: one was reused) */
};

typedef void (*http_done_cb)(struct http_response *res, void *data);

struct http_req;

/* Set up the client on a loop (once; later calls are no-ops). */
int http_init(uv_loop_t *loop);
/* End outstanding requests (VALS_ESHUTTING_DOWN) and close the loop handles. */
void http_shutdown(void);
/* Start a request. *out (may be NULL) receives a handle for http_cancel. */
int http_request(const struct http_request_opts *o, http_done_cb cb, void *data,
                 struct http_req **out);
/* Drop a request whose callback has not run yet; the callback will not run. */
void http_cancel(struct http_req *r);
/* A captured response header's value (case-insensitive name), or NULL. */
const char *http_response_header(const struct http_response *res, const char *name);
/* Requests started and still running (for stats and tests). */
uint64_t http_requests_started(void);
size_t http_requests_running(void);

#endif
