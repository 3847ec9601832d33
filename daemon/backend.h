/*
 * backend.h - the interface every valsd backend implements, and the registry.
 *
 * A backend fetches the document of one ref locator, asynchronously: fetch() starts the
 * work and returns 0, and the backend later calls backend_complete() exactly once (from a
 * loop callback, or directly from fetch(): completion is always delivered to the caller
 * from the loop, never from inside fetch()).  If fetch() returns an error, completion is
 * never delivered (libuv's rule).
 *
 * Mode: BACKEND_STRING when the ref has no fragment (the value is a string, vals'
 * GetString), BACKEND_MAP when it has one (a mapping to walk, vals' GetStringMap).
 */
#ifndef VALSD_BACKEND_H
#define VALSD_BACKEND_H

#include <stdint.h>
#include <uv.h>

#include "ctx.h"
#include "lib/doc.h"
#include "lib/ref.h"

enum backend_mode { BACKEND_STRING = 0, BACKEND_MAP = 1 };

#define BACKEND_LOCAL_FS 0x1 /* opens files as the daemon: same-uid peers only */
#define BACKEND_NOCACHE  0x2 /* pure computation on the context: never cached */

struct backend_fetch;
typedef void (*backend_done_cb)(struct backend_fetch *f);

struct backend_fetch {
    /* set by the caller */
    const struct backend *backend;
    struct ref ref; /* owned by the fetch */
    enum backend_mode mode;
    struct ctx *ctx; /* referenced */
    char *locator;   /* canonical locator (owned), e.g. an absolute file path */
    uv_loop_t *loop;
    backend_done_cb done;
    void *data;
    /* set by the backend through backend_complete */
    int err;
    char msg[512];
    struct doc *value;
    void *validator; /* optional, malloc'ed (e.g. file identity for revalidation) */
    size_t vlen;
    struct backend_fetch *qnext; /* completion queue */
};

struct backend {
    const char *scheme;
    unsigned flags;
    const char *const *env_prefixes; /* context variables that partition its cache */
    uint32_t default_ttl_s;          /* 0: the configured default */
    /* Canonical locator of a ref (the cache key's last part); NULL: scheme://key?query. */
    int (*locate)(const struct ref *r, const struct ctx *ctx, char **locator, struct verr *e);
    /* Start fetching. */
    int (*fetch)(struct backend_fetch *f);
    /* Still valid? (called on cache hits when the entry has a validator); 1 yes, 0 no. */
    int (*fresh)(const char *locator, const void *validator, size_t vlen);
};

const struct backend *backend_find(const char *scheme, size_t len);
/* "echo, envsubst, ..." - the registered schemes, for error messages. */
const char *backend_names(void);
/* The default locator: "scheme://key?canonical-query" (malloc'ed). */
int backend_default_locator(const struct ref *r, char **out);
/* The same written into buf (NUL-terminated) when cap > its length, which is returned
 * either way (buf may be NULL to ask for the length). */
size_t backend_default_locator_into(const struct ref *r, char *buf, size_t cap);
/* Record the result (value taken over) and queue delivery of f->done on the loop. */
void backend_complete(struct backend_fetch *f, int err, struct doc *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prepare the loop-side machinery (call once with the daemon's loop). */
int backend_init(uv_loop_t *loop);
void backend_shutdown(void);
/* Free a finished fetch. */
void backend_fetch_free(struct backend_fetch *f);

extern const struct backend backend_echo;
extern const struct backend backend_envsubst;
extern const struct backend backend_file;
extern const struct backend backend_sops;
extern const struct backend backend_awssecrets;
extern const struct backend backend_awsssm;
extern const struct backend backend_vault;
extern const struct backend backend_gcpsecrets;
extern const struct backend backend_azurekeyvault;

#endif
