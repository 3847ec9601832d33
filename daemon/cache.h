/*
 * cache.h - valsd's document cache (DESIGN.md §5).
 *
 * One entry per key = (scope of the credential context, fetch mode, locator = the ref
 * without its fragment), holding the whole fetched document, so every fragment of one
 * secret costs one backend call.  Entries live for a TTL; concurrent misses on one key
 * share one fetch (coalescing); an expired entry whose refresh fails is served stale for
 * up to max_stale; not_found/denied answers are remembered for the negative TTL; memory is
 * bounded in bytes with LRU eviction; documents are zeroed when freed (doc_free).
 *
 * Single-threaded (the event loop).  Waiters are called from cache_fill(), never from
 * inside cache_request().
 */
#ifndef VALSD_CACHE_H
#define VALSD_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/doc.h"

struct cache;
struct cache_entry;

/* Called when the entry a waiter asked for has been filled (or failed). */
typedef void (*cache_wait_cb)(void *data, struct cache_entry *e);

struct cache_waiter {
    cache_wait_cb cb;
    void *data;
    struct cache_waiter *next;
};

/* Start fetching for entry `e`; the fetcher later calls cache_fill(c, e, ...).  Returns 0,
 * or an error (then the entry fails with that error and no fill may follow). */
typedef int (*cache_fetch_fn)(void *arg, struct cache *c, struct cache_entry *e);

struct cache_policy {
    uint32_t ttl_s;       /* lifetime of a fresh entry */
    uint32_t max_age_s;   /* the request accepts nothing older (0: no limit) */
    uint32_t max_stale_s; /* serve an expired entry this long if its refresh fails */
    uint32_t negative_s;  /* remember not_found / denied this long */
    int refresh;          /* bypass the cache, replace the entry on success only */
};

struct cache_stats {
    uint64_t hits, misses, coalesced, stale_served, evictions, negative_hits, fetches, errors;
    uint64_t entries, bytes, max_bytes;
};

#define CACHE_HIT  1
#define CACHE_WAIT 2

struct cache *cache_new(uint64_t max_bytes);
void cache_free(struct cache *c);
void cache_set_max_bytes(struct cache *c, uint64_t max_bytes);

/*
 * Ask for the document of `key`.  CACHE_HIT: *hit is the entry, usable until control
 * returns to the loop.  CACHE_WAIT: `w` is queued and called when the fetch (started here
 * through `fetch` unless one is already running) completes.  Negative: error.
 */
int cache_request(struct cache *c, const char *key, size_t keylen, uint64_t now_ms,
                  const struct cache_policy *pol, cache_fetch_fn fetch, void *fetch_arg,
                  struct cache_waiter *w, struct cache_entry **hit);

/* Deliver a fetch result: value (taken over) on success, else err (+ message, which must
 * not contain a value).  Wakes the waiters. */
void cache_fill(struct cache *c, struct cache_entry *e, int err, const char *msg, struct doc *value,
                uint64_t now_ms);

/* Reading an entry (from a waiter or a hit). */
int cache_entry_error(const struct cache_entry *e, const char **msg);
const struct doc *cache_entry_value(const struct cache_entry *e);
uint64_t cache_entry_age_ms(const struct cache_entry *e, uint64_t now_ms);
int cache_entry_stale(const struct cache_entry *e);
/* Opaque per-entry validator a fetcher may set (e.g. a file's inode/size/mtime). */
void cache_entry_set_validator(struct cache_entry *e, const void *v, size_t len);
const void *cache_entry_validator(const struct cache_entry *e, size_t *len);
/* Drop an entry now (e.g. its validator says the source changed). */
void cache_invalidate(struct cache *c, struct cache_entry *e);

/* Drop entries: all (prefix NULL), or those whose key contains `match` at the locator
 * position (the text after the scope and mode), exactly (`exact`) or as a prefix.
 * Returns how many were dropped. */
uint64_t cache_clear(struct cache *c, const char *match, int exact);
void cache_get_stats(const struct cache *c, struct cache_stats *s);

/* The locator part of a key: keys are "<scope> <mode> <locator>". */
const char *cache_key_locator(const char *key);

#endif
