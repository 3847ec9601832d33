/*
 * config.c - valsd's configuration file (see config.h and README "Configuration").
 *
 *   default_ttl: 300          # seconds, or a duration "5m", "1h", "30s"
 *   max_stale: 1h
 *   negative_ttl: 10s
 *   cache_max_bytes: 64MiB    # or a plain number of bytes
 *   timeout: 30s
 *   shutdown_grace: 10s
 *   idle_exit: 0
 *   log_level: info           # error, warning, notice, info, debug
 *   limits: {max_message_bytes: 1MiB, max_depth: 32, max_array: 65536,
 *            max_inflight: 256, max_connections: 1024}
 *   backends: {echo: {ttl: 60}, file: {ttl: 5s}}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lib/doc.h"
#include "lib/local_refs.h"
#include "log.h"

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    c->default_ttl_s = 300;
    c->max_stale_s = 3600;
    c->negative_ttl_s = 10;
    c->cache_max_bytes = 64u << 20;
    rpc_limits_default(&c->limits);
    c->max_inflight = 256;
    c->max_connections = 1024;
    c->timeout_ms = 30000;
    c->shutdown_grace_ms = 10000;
    c->idle_exit_s = 0;
    c->log_level = LOG_LEVEL_INFO;
}

char *config_default_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char buf[4096];

    if (xdg != NULL && xdg[0] == '/')
        snprintf(buf, sizeof(buf), "%s/valsd/config.yaml", xdg);
    else if (home != NULL && home[0] != '\0')
        snprintf(buf, sizeof(buf), "%s/.config/valsd/config.yaml", home);
    else
        return NULL;
    return strdup(buf);
}

/* Kinds of values (struct ckey.kind). */
#define Q_SECONDS 0 /* a duration, stored in whole seconds (rounded up) */
#define Q_SIZE    1 /* bytes */
#define Q_COUNT   2 /* a plain number */
#define Q_LEVEL   3 /* a log level name */
#define Q_MILLIS  4 /* a duration, stored in milliseconds */

/* A non-negative number with an optional unit: ms/s/m/h/d for durations (a plain number
 * is seconds), B/KiB/MiB/GiB/KB/MB/GB for sizes, none for counts.  Signs, spaces, other
 * units and values that overflow are refused. */
static int parse_quantity(const struct doc *v, int kind, uint64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t mult;
        int size; /* 0 durations (in ms), 1 sizes, 2 counts */
    } units[] = {{"", 1000, 0},      {"ms", 1, 0},          {"s", 1000, 0},      {"m", 60000, 0},
                 {"h", 3600000, 0},  {"d", 86400000, 0},    {"", 1, 1},          {"B", 1, 1},
                 {"KiB", 1024, 1},   {"MiB", 1 << 20, 1},   {"GiB", 1 << 30, 1}, {"KB", 1000, 1},
                 {"MB", 1000000, 1}, {"GB", 1000000000, 1}, {"", 1, 2}};
    int cls = kind == Q_MILLIS ? Q_SECONDS : kind;
    const char *end = "";
    uint64_t n;

    if (v->type == DOC_INT && v->v.i >= 0) {
        n = (uint64_t)v->v.i;
    } else if (v->type == DOC_STR && v->v.s.len > 0 && v->v.s.ptr[0] >= '0' &&
               v->v.s.ptr[0] <= '9') {
        char *e;
        errno = 0;
        n = strtoull(v->v.s.ptr, &e, 10);
        if (errno == ERANGE)
            return -1;
        end = e;
    } else {
        return -1;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        uint64_t q;
        if (units[i].size != cls || strcmp(end, units[i].unit) != 0)
            continue;
        if (n > UINT64_MAX / units[i].mult)
            return -1;
        q = n * units[i].mult;
        if (kind == Q_SECONDS) /* ms -> whole seconds, rounded up */
            q = q / 1000 + (q % 1000 != 0);
        *out = q;
        return 0;
    }
    return -1;
}

struct ckey {
    const char *name;
    int kind; /* Q_* */
    size_t off;
    int width; /* 4 or 8 */
};

#define CFG(name, kind, field)                                                                     \
    {                                                                                              \
        name, kind, offsetof(struct config, field), sizeof(((struct config *)0)->field)            \
    }

static const struct ckey top_keys[] = {
    CFG("default_ttl", Q_SECONDS, default_ttl_s),
    CFG("max_stale", Q_SECONDS, max_stale_s),
    CFG("negative_ttl", Q_SECONDS, negative_ttl_s),
    CFG("cache_max_bytes", Q_SIZE, cache_max_bytes),
    CFG("timeout", Q_MILLIS, timeout_ms),
    CFG("shutdown_grace", Q_MILLIS, shutdown_grace_ms),
    CFG("idle_exit", Q_SECONDS, idle_exit_s),
    CFG("log_level", Q_LEVEL, log_level),
};

static const struct ckey limit_keys[] = {
    CFG("max_message_bytes", Q_SIZE, limits.max_message),
    CFG("max_depth", Q_COUNT, limits.max_depth),
    CFG("max_array", Q_COUNT, limits.max_array),
    CFG("max_inflight", Q_COUNT, max_inflight),
    CFG("max_connections", Q_COUNT, max_connections),
};

static int set_key(struct config *c, const struct ckey *k, const struct doc *v, const char *path,
                   struct verr *e)
{
    uint64_t q;
    char *p = (char *)c + k->off;

    if (k->kind == Q_LEVEL) {
        int lvl = v->type == DOC_STR ? log_level_from_name(v->v.s.ptr) : -1;
        if (lvl < 0)
            return verr_set(e, VALS_EPARSE,
                            "%s:%u: log_level must be error, warning, notice, info or debug", path,
                            v->line);
        c->log_level = lvl;
        return 0;
    }
    if (parse_quantity(v, k->kind, &q) != 0)
        return verr_set(e, VALS_EPARSE, "%s:%u: %s: expected %s", path, v->line, k->name,
                        k->kind == Q_SIZE    ? "a size (e.g. 64MiB)"
                        : k->kind == Q_COUNT ? "a non-negative number"
                                             : "a duration (e.g. 300, 30s, 5m, 1h)");
    if (k->width == 4) {
        if (q > UINT32_MAX)
            return verr_set(e, VALS_EPARSE, "%s:%u: %s is too large", path, v->line, k->name);
        uint32_t v32 = (uint32_t)q;
        memcpy(p, &v32, 4);
    } else {
        memcpy(p, &q, 8);
    }
    return 0;
}

/* Apply the pairs of map `m` using the key table `keys`; `section` names nested maps. */
static int apply(struct config *c, const struct doc *m, const struct ckey *keys, size_t nkeys,
                 const char *section, const char *path, struct verr *e)
{
    for (size_t i = 0; i < m->v.map.len; i++) {
        const struct doc_pair *pr = &m->v.map.items[i];
        const char *name;
        size_t j;
        int rc;
        if (pr->key->type == DOC_COMMENT)
            continue;
        if (pr->key->type != DOC_STR)
            return verr_set(e, VALS_EPARSE, "%s:%u: keys must be strings", path, pr->key->line);
        name = pr->key->v.s.ptr;
        if (section == NULL && !strcmp(name, "limits")) {
            if (pr->val->type != DOC_MAP)
                return verr_set(e, VALS_EPARSE, "%s:%u: limits must be a map", path, pr->key->line);
            if ((rc = apply(c, pr->val, limit_keys, sizeof(limit_keys) / sizeof(limit_keys[0]),
                            "limits", path, e)) != 0)
                return rc;
            continue;
        }
        if (section == NULL && !strcmp(name, "backends")) {
            if (pr->val->type != DOC_MAP)
                return verr_set(e, VALS_EPARSE, "%s:%u: backends must be a map", path,
                                pr->key->line);
            for (size_t b = 0; b < pr->val->v.map.len; b++) {
                const struct doc_pair *bp = &pr->val->v.map.items[b];
                if (bp->key->type == DOC_COMMENT)
                    continue;
                if (bp->key->type != DOC_STR || bp->val->type != DOC_MAP)
                    return verr_set(e, VALS_EPARSE, "%s:%u: backends.<name> must be a map", path,
                                    bp->key->line);
                if (c->nbackends >= CONFIG_MAX_BACKENDS)
                    return verr_set(e, VALS_EPARSE, "%s:%u: too many backends", path,
                                    bp->key->line);
                for (size_t k = 0; k < bp->val->v.map.len; k++) {
                    const struct doc_pair *kp = &bp->val->v.map.items[k];
                    uint64_t ttl;
                    if (kp->key->type == DOC_COMMENT)
                        continue;
                    if (kp->key->type != DOC_STR || strcmp(kp->key->v.s.ptr, "ttl") != 0)
                        return verr_set(e, VALS_EPARSE, "%s:%u: unknown key \"backends.%s.%s\"",
                                        path, kp->key->line, bp->key->v.s.ptr,
                                        kp->key->type == DOC_STR ? kp->key->v.s.ptr : "?");
                    if (parse_quantity(kp->val, Q_SECONDS, &ttl) != 0 || ttl > UINT32_MAX)
                        return verr_set(e, VALS_EPARSE,
                                        "%s:%u: backends.%s.ttl: expected a duration", path,
                                        kp->val->line, bp->key->v.s.ptr);
                    snprintf(c->backends[c->nbackends].name, sizeof(c->backends[0].name), "%s",
                             bp->key->v.s.ptr);
                    c->backends[c->nbackends++].ttl_s = (uint32_t)ttl;
                }
            }
            continue;
        }
        for (j = 0; j < nkeys; j++)
            if (!strcmp(keys[j].name, name))
                break;
        if (j == nkeys)
            return verr_set(e, VALS_EPARSE, "%s:%u: unknown key \"%s%s%s\"", path, pr->key->line,
                            section ? section : "", section ? "." : "", name);
        if ((rc = set_key(c, &keys[j], pr->val, path, e)) != 0)
            return rc;
    }
    return 0;
}

int config_load(const char *path, struct config *c, struct verr *e)
{
    struct dbuf b = DBUF_INIT;
    struct doc_stream st = {0};
    struct config tmp = *c;
    int rc;

    if ((rc = local_read_file(path, 1u << 20, &b, e)) != 0)
        goto out;
    if ((rc = doc_parse_yaml(b.p, b.len, path, 0, &st, e)) != 0)
        goto out;
    if (st.len > 1) {
        rc = verr_set(e, VALS_EPARSE, "%s: expected one YAML document", path);
        goto out;
    }
    if (st.len == 1 && st.docs[0]->type != DOC_NULL) {
        if (st.docs[0]->type != DOC_MAP) {
            rc = verr_set(e, VALS_EPARSE, "%s: the configuration must be a map", path);
            goto out;
        }
        tmp.nbackends = 0;
        if ((rc = apply(&tmp, st.docs[0], top_keys, sizeof(top_keys) / sizeof(top_keys[0]), NULL,
                        path, e)) != 0)
            goto out;
    }
    if (tmp.limits.max_message < 64 || tmp.limits.max_depth < 2 || tmp.limits.max_array < 4 ||
        tmp.max_inflight < 1 || tmp.max_connections < 1) {
        rc = verr_set(e, VALS_EPARSE, "%s: limits are too small to serve any request", path);
        goto out;
    }
    if (tmp.limits.max_depth > RPC_SCAN_STACK) {
        rc = verr_set(e, VALS_EPARSE, "%s: limits.max_depth cannot exceed %d (msgpack-c's limit)",
                      path, RPC_SCAN_STACK);
        goto out;
    }
    *c = tmp;
out:
    doc_stream_free(&st);
    dbuf_free(&b);
    return rc;
}

uint32_t config_backend_ttl(const struct config *c, const char *backend, uint32_t fallback)
{
    for (size_t i = 0; i < c->nbackends; i++)
        if (!strcmp(c->backends[i].name, backend))
            return c->backends[i].ttl_s;
    return fallback != 0 ? fallback : c->default_ttl_s;
}
