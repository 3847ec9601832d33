/*
 * config.h - valsd's configuration: defaults, the YAML file (--config FILE, else
 * $XDG_CONFIG_HOME/valsd/config.yaml), validation with errors that name the key and line.
 */
#ifndef VALSD_CONFIG_H
#define VALSD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/verr.h"
#include "proto/rpc.h"

#define CONFIG_MAX_BACKENDS 32

struct config {
    uint32_t default_ttl_s;   /* cache TTL when a backend sets none (300) */
    uint32_t max_stale_s;     /* how long past its TTL an entry may be served on error */
    uint32_t negative_ttl_s;  /* how long not_found/denied answers are remembered */
    uint64_t cache_max_bytes; /* LRU eviction above this */
    struct rpc_limits limits; /* message bytes, depth, array size */
    uint32_t max_inflight;    /* per connection */
    uint32_t max_connections;
    uint32_t timeout_ms;        /* default request deadline */
    uint32_t shutdown_grace_ms; /* SIGTERM: time given to in-flight requests */
    uint32_t idle_exit_s;       /* exit after this long without connections (0: never) */
    int log_level;              /* LOG_LEVEL_* */
    size_t nbackends;
    struct {
        char name[32];
        uint32_t ttl_s;
    } backends[CONFIG_MAX_BACKENDS];
};

void config_defaults(struct config *c);
/* Load `path` over the defaults. A missing file is VALS_ENOT_FOUND (the caller decides
 * whether that matters); unknown keys and bad values are VALS_EPARSE naming key and line. */
int config_load(const char *path, struct config *c, struct verr *e);
/* The TTL of a backend: its configured one, else `fallback` (the backend's default),
 * else the global default. */
uint32_t config_backend_ttl(const struct config *c, const char *backend, uint32_t fallback);
/* The default config file path (malloc'ed), or NULL when there is no home. */
char *config_default_path(void);

#endif
