/*
 * daemon.h - the state of the one valsd process (one event loop, one thread).
 */
#ifndef VALSD_DAEMON_H
#define VALSD_DAEMON_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "cache.h"
#include "config.h"

struct conn;

struct daemon {
    uv_loop_t *loop;
    struct config cfg;
    char *config_path;   /* NULL: defaults only */
    int config_required; /* --config given: a missing file is an error */
    struct cache *cache;
    uid_t uid;
    int shutting_down;
    uint64_t inflight; /* requests being served, all connections */
    unsigned nconns;
    struct conn *conns; /* list of live connections */
    uv_timer_t idle_timer;
    uv_timer_t grace_timer;
    uint64_t started_ms;
    char socket_path[108];
    int owns_socket_path; /* unlink it on exit */
};

extern struct daemon valsd;

/* Milliseconds of the loop's clock. */
uint64_t daemon_now_ms(void);
/* Start the orderly shutdown (SIGTERM, `shutdown` method). */
void daemon_begin_shutdown(const char *why);
/* Re-read the configuration (SIGHUP). */
void daemon_reload(void);
/* A request finished or a connection closed: maybe finish shutting down / arm idle exit. */
void daemon_activity(void);

#endif
