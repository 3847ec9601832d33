/*
 * valsd/client.h - libvalsclient: a small blocking C API for talking to valsd.
 *
 * Values cross this API as msgpack bytes (the wire representation, proto/PROTOCOL.md):
 * a resolved value may be a string, a number, a bool, nil, a map or a list.  Use
 * vals_resolve_string() when only a string will do.
 *
 * Ownership: every buffer this API hands out is malloc'ed, owned by the caller, and should
 * be released with vals_free() (which zeroes it first: it may hold a secret).  Errors are
 * negative VALS_E* codes (valsd/errors.h); when `err` is not NULL it receives a malloc'ed
 * message naming the ref and the reason (free with vals_free; never contains a value).
 *
 * A struct vals_client is not thread-safe; use one per thread.
 */
#ifndef VALSD_CLIENT_H
#define VALSD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "valsd/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vals_client;

struct vals_client_opts {
    const char *socket_path; /* NULL: $VALSD_SOCKET, $XDG_RUNTIME_DIR/valsd/valsd.sock,
                                /tmp/valsd-<uid>/valsd.sock */
    int autostart;           /* start valsd in the background when nothing answers */
    const char *valsd_path;  /* program to start (NULL: "valsd" next to this program,
                                then $PATH) */
    int timeout_ms;          /* per request (0: 35000, a little over valsd's own 30 s) */
    int send_env;            /* VALS_ENV_NONE, VALS_ENV_RELEVANT or VALS_ENV_ALL */
    int idle_exit_s;         /* for a daemon started here: exit after this long idle
                                (0: $VALSD_IDLE_EXIT, else 3600) */
};

#define VALS_ENV_NONE     0
#define VALS_ENV_RELEVANT 1 /* AWS_*, VAULT_*, GOOGLE_*, AZURE_*, SOPS_*, VALS_*, HOME, PWD... */
#define VALS_ENV_ALL      2 /* the whole environment (what vals itself would see) */

/* Fill opts with the defaults (autostart on, send_env VALS_ENV_RELEVANT). */
void vals_client_opts_init(struct vals_client_opts *opts);

/* The socket path the daemon uses by default for this user (malloc'ed). */
char *vals_default_socket_path(void);

/* Connect (and maybe start the daemon).  On success *out is a connected client. */
int vals_client_open(const struct vals_client_opts *opts, struct vals_client **out, char **err);
void vals_client_close(struct vals_client *c);

/* Replace the credential context with NAME=value pairs (names[i], values[i]). Merged with
 * nothing: the daemon uses exactly these variables for this connection. */
int vals_client_set_context(struct vals_client *c, const char *const *names,
                            const char *const *values, size_t n, char **err);
/* Send this process's environment (which = VALS_ENV_RELEVANT or VALS_ENV_ALL) plus PWD,
 * and the `n` extra pairs, which win over exported variables. */
int vals_client_send_environment(struct vals_client *c, int which, const char *const *names,
                                 const char *const *values, size_t n, char **err);
/* Whether a variable name is backend-relevant (sent with VALS_ENV_RELEVANT). */
int vals_env_relevant(const char *name);

int vals_ping(struct vals_client *c, char **err);

/* Resolve one ref; *value and *len receive the msgpack encoding of the value. */
int vals_resolve(struct vals_client *c, const char *ref, char **value, size_t *len, char **err);
/* Resolve one ref that must give a string; *value is NUL-terminated (may hold NULs). */
int vals_resolve_string(struct vals_client *c, const char *ref, char **value, size_t *len,
                        char **err);

/* One item of a resolve_many answer. */
struct vals_item {
    int code;    /* 0 or VALS_E* */
    char *error; /* message when code != 0 */
    char *value; /* msgpack bytes when code == 0 */
    size_t len;
};
/* Resolve n refs in one round trip; items[i] answers refs[i].  The call fails only when
 * the exchange itself fails; per-ref failures are in the items.  Free with
 * vals_items_free. */
int vals_resolve_many(struct vals_client *c, const char *const *refs, size_t n,
                      struct vals_item **items, char **err);
void vals_items_free(struct vals_item *items, size_t n);

#define VALS_EVAL_INLINE 0x1 /* also expand refs inside larger strings */
/* Evaluate a document given as msgpack bytes; *out receives the evaluated document. */
int vals_eval(struct vals_client *c, const char *doc, size_t len, int flags, char **out,
              size_t *outlen, char **err);

/* cache.stats as msgpack map bytes. */
int vals_stats(struct vals_client *c, char **out, size_t *outlen, char **err);
/* cache.clear: everything (ref and prefix NULL), one ref, or a prefix; *dropped = count. */
int vals_cache_clear(struct vals_client *c, const char *ref, const char *prefix, uint64_t *dropped,
                     char **err);
/* Ask the daemon to exit (same uid only). */
int vals_shutdown(struct vals_client *c, char **err);

/* Generic call: params are msgpack bytes of an array; *result the msgpack result. */
int vals_call(struct vals_client *c, const char *method, const char *params, size_t plen,
              char **result, size_t *rlen, char **err);

/* Zero and free a buffer returned by this API (NULL is fine). */
void vals_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
