/*
 * creds/tokens.h - a small cache of short strings that are fetched over the network and
 * live for a while: OAuth access tokens (Google, Entra ID), Vault login tokens and Vault
 * mount descriptions.
 *
 * Entries are keyed by a SHA-256 of everything that identifies the credential (the caller
 * builds it with cloud_key; a secret goes in only hashed), so two contexts share a token
 * only when their credentials are identical.  Concurrent requests for one key share one
 * fetch (the first caller's starter runs; the others wait).  A fetch that fails is not
 * cached (the value cache remembers not_found/denied answers itself).  At most
 * TOKENS_MAX entries, the least recently used one is dropped first.  Values are zeroed
 * when freed.
 */
#ifndef VALSD_CREDS_TOKENS_H
#define VALSD_CREDS_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/verr.h"

#define TOKENS_MAX 256

struct tokens_fetch;

/* The outcome for one waiter: err 0 and the value (borrowed for the call), or an error. */
typedef void (*tokens_cb)(void *data, int err, const char *msg, const char *value);
/* Start the fetch for p: return 0 and later call tokens_done(p, ...) exactly once, or
 * return an error (then tokens_done must not be called). */
typedef int (*tokens_start_fn)(void *arg, struct tokens_fetch *p, struct verr *e);

/* A fresh cached value: returns 1 and *now (malloc'ed, free with secure_free_str).  Else
 * joins or starts a fetch: returns 0 and runs cb exactly once later.  Or an error. */
int tokens_get(const unsigned char key[32], tokens_start_fn start, void *start_arg, tokens_cb cb,
               void *data, char **now, struct verr *e);
/* Finish a fetch: value valid until refresh_at (Unix seconds) when err == 0. */
void tokens_done(struct tokens_fetch *p, int err, const char *msg, const char *value,
                 int64_t refresh_at);
/* Drop a cached value (the service rejected it); a fetch in progress is left alone. */
void tokens_forget(const unsigned char key[32]);
/* Drop every cached value (shutdown; fetches in progress end through http). */
void tokens_clear(void);
/* Cached values and fetches in progress (stats, tests). */
size_t tokens_count(void);

#endif
