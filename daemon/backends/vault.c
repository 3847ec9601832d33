/*
 * vault.c - HashiCorp Vault KV secrets (vals' vault provider, reference/vals.md §2.2):
 *   ref+vault://MOUNT/PATH#/key           map mode: the secret's key/value map
 *   ref+vault://MOUNT/PATH/FIELD          string mode: the last segment names the field
 * Options: address, host, proto, namespace, auth_method, token_env, token_file, role_id,
 * secret_id, username, password_env, password_file (daemon/creds/vault.h), version (a KV
 * v2 version number), decode=base64 (string mode), kv_version=1|2 (skips detection).
 *
 * The KV version of a mount comes from GET /v1/sys/internal/ui/mounts/PATH (what the vault
 * CLI does), remembered per address, namespace and mount for VAULT_MOUNT_TTL_S; a 404
 * there (an old server) means KV v1.  KV v1 reads GET /v1/PATH and the document is .data;
 * KV v2 reads GET /v1/MOUNT/data/REST[?version=N] and the document is .data.data.
 *
 * Deviation from vals (reference/vals.md §7, the "data/ doubling" quirk): vals inserts
 * "data/" after a KV v2 mount even when the path already starts with it, so the common
 * ref+vault://secret/data/app reads secret/data/data/app and fails.  Here a KV v2 path
 * that already starts with "data/" is read as written, and its document is the raw
 * response's .data ({data: {...}, metadata: {...}}, what `vault read` shows) - so the
 * RMK documents' ref+vault://secret/data/observability#data.token selects the secret's
 * "token".  In string mode such a path's field is still looked up in the secret itself
 * (.data.data).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../backend.h"
#include "../cloud_call.h"
#include "../cloud_resp.h"
#include "../creds/tokens.h"
#include "../creds/vault.h"
#include <openssl/rand.h>

#include "lib/b64.h"
#include "lib/local_refs.h"

#define VAULT_MOUNT_TTL_S  600
#define VAULT_MOUNTS_MAX   128
#define VAULT_MOUNT_MAXLEN 256

static const char *const vault_env_prefixes[] = {"VAULT_", "HOME", "VALS_", NULL};

/* --- mounts: which KV version lives where ------------------------------------------- */

struct vault_mount {
    unsigned char server[32];      /* address + namespace */
    char path[VAULT_MOUNT_MAXLEN]; /* "secret/" */
    int version;
    int64_t expires;
    uint64_t used;
};

static struct vault_mount mounts[VAULT_MOUNTS_MAX];
static size_t nmounts;
static uint64_t mount_clock;

static void server_key(const struct vault_settings *s, unsigned char key[32])
{
    const char *parts[] = {"vault-server", s->addr, s->namespace};

    cloud_key(key, parts, 3);
}

/* The longest known mount that prefixes path (NULL when none is fresh). */
static const struct vault_mount *mount_find(const unsigned char server[32], const char *path)
{
    struct vault_mount *best = NULL;
    int64_t now = (int64_t)time(NULL);
    size_t pl = strlen(path);

    for (size_t i = 0; i < nmounts; i++) {
        struct vault_mount *m = &mounts[i];
        size_t ml = strlen(m->path);
        if (m->expires <= now || memcmp(m->server, server, 32) != 0)
            continue;
        /* "secret/" prefixes "secret/x" and "secret" itself */
        if (!(pl >= ml && !memcmp(path, m->path, ml)) &&
            !(pl + 1 == ml && !memcmp(path, m->path, pl)))
            continue;
        if (best == NULL || ml > strlen(best->path))
            best = m;
    }
    if (best != NULL)
        best->used = ++mount_clock;
    return best;
}

static void mount_add(const unsigned char server[32], const char *path, int version)
{
    struct vault_mount *slot = NULL;
    int64_t now = (int64_t)time(NULL);

    for (size_t i = 0; i < nmounts && slot == NULL; i++)
        if (!memcmp(mounts[i].server, server, 32) && !strcmp(mounts[i].path, path))
            slot = &mounts[i];
    if (slot == NULL && nmounts < VAULT_MOUNTS_MAX)
        slot = &mounts[nmounts++];
    for (size_t i = 0; i < nmounts && slot == NULL; i++) /* full: the stalest goes */
        if (slot == NULL || mounts[i].expires <= now || mounts[i].used < slot->used)
            slot = &mounts[i];
    memcpy(slot->server, server, 32);
    snprintf(slot->path, sizeof(slot->path), "%s", path);
    slot->version = version;
    slot->expires = now + VAULT_MOUNT_TTL_S;
    slot->used = ++mount_clock;
}

/* --- one fetch ---------------------------------------------------------------------- */

struct vault_fetch {
    struct backend_fetch *f;
    struct vault_settings s;
    unsigned char server[32];
    char *path;  /* the secret path (the key without the field in string mode) */
    char *field; /* string mode */
    const char *version;
    char *token;
    char mount[VAULT_MOUNT_MAXLEN];
    int kv; /* 1 or 2 once known */
    int relogged;
};

static void vf_free(struct vault_fetch *vf)
{
    vault_settings_free(&vf->s);
    free(vf->path);
    free(vf->field);
    secure_free_str(vf->token);
    free(vf);
}

/* Finish with an error (a message naming the path, never a value). */
static void vf_fail(struct vault_fetch *vf, int err, const char *msg)
{
    backend_complete(vf->f, err, NULL, "vault: %s \"%.300s\" at %.200s: %s",
                     vf->kv ? (vf->kv == 2 ? "kv v2 secret" : "kv v1 secret") : "secret",
                     vf->path != NULL ? vf->path : vf->f->ref.key, vf->s.addr ? vf->s.addr : "?",
                     msg != NULL && msg[0] ? msg : vals_strerror(err));
    vf_free(vf);
}

static void vf_token(struct vault_fetch *vf);
static void vf_mount(struct vault_fetch *vf);

/* The path below the mount ("" when the path is the mount itself). */
static const char *vf_rest(const struct vault_fetch *vf)
{
    size_t ml = strlen(vf->mount), pl = strlen(vf->path);

    return pl >= ml ? vf->path + ml : vf->path + pl;
}

/* Whether this is a raw read of a KV v2 "data/" path (see the deviation note above). */
static int vf_raw(const struct vault_fetch *vf)
{
    return vf->kv == 2 && !strncmp(vf_rest(vf), "data/", 5);
}

/* The document of a successful read, in the fetch's mode. */
static void vf_deliver(struct vault_fetch *vf, struct doc *doc, int raw)
{
    struct backend_fetch *f = vf->f;
    const struct doc *src = doc, *v;
    struct dbuf text = DBUF_INIT;
    struct doc *out = NULL;
    const char *decode;
    int rc = 0;
    char msg[400];

    if (f->mode == BACKEND_MAP) {
        backend_complete(f, 0, doc, NULL);
        vf_free(vf);
        return;
    }
    if (raw) { /* a raw KV v2 read: the field is the secret's */
        const struct doc *x = doc_map_getz(doc, "data");
        if (x != NULL && x->type == DOC_MAP)
            src = x;
    }
    v = doc_map_getz(src, vf->field);
    if (v == NULL) {
        snprintf(msg, sizeof(msg), "get string: key \"%.100s\" does not exist in \"%.200s\"",
                 vf->field, vf->path);
        doc_free(doc);
        vf_fail(vf, VALS_EMISSING_KEY, msg);
        return;
    }
    rc = v->type == DOC_STR ? dbuf_add(&text, v->v.s.ptr, v->v.s.len) : doc_format_gov(v, &text);
    decode = cloud_option(&f->ref, f->ctx, "decode");
    if (rc == 0 && decode != NULL && !strcmp(decode, "base64")) {
        struct dbuf raw_b = DBUF_INIT;
        if (b64_decode_dbuf(text.p != NULL ? text.p : "", text.len, B64_PAD | B64_LAX, &raw_b) !=
            0) {
            dbuf_free(&raw_b);
            dbuf_free(&text);
            doc_free(doc);
            snprintf(msg, sizeof(msg), "key \"%.100s\" is not valid base64 (decode=base64)",
                     vf->field);
            vf_fail(vf, VALS_EPARSE, msg);
            return;
        }
        dbuf_free(&text);
        text = raw_b;
    }
    if (rc == 0 && (out = doc_str(text.p != NULL ? text.p : "", text.len)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&text);
    doc_free(doc);
    if (rc != 0) {
        vf_fail(vf, rc, "out of memory");
        return;
    }
    backend_complete(f, 0, out, NULL);
    vf_free(vf);
}

static void on_read(void *data, struct http_response *res)
{
    struct vault_fetch *vf = data;
    int raw = vf_raw(vf);
    struct doc *doc = NULL;
    struct verr e = {0};
    char msg[500];
    int rc;

    if (res->err != 0) {
        vf_fail(vf, res->err, res->errmsg);
        return;
    }
    if (res->status == 200) {
        rc = cloud_vault_secret(res->body.p, res->body.len,
                                vf->kv == 2 && !raw ? CLOUD_VAULT_DATA_DATA : CLOUD_VAULT_DATA,
                                &doc, &e);
        if (rc != 0)
            vf_fail(vf, rc, e.msg);
        else
            vf_deliver(vf, doc, raw);
        return;
    }
    if (res->status == 403 && !vf->relogged && vault_token_forget(&vf->s)) {
        /* the login token may have been revoked or expired early: log in again, once */
        vf->relogged = 1;
        secure_free_str(vf->token);
        vf->token = NULL;
        vf_token(vf);
        return;
    }
    if (res->status == 404) {
        char why[16];
        if (vf->kv == 2 && cloud_vault_deleted(res->body.p, res->body.len, why, sizeof(why)))
            snprintf(msg, sizeof(msg), "the secret version is %s (HTTP 404)", why);
        else
            snprintf(msg, sizeof(msg), "no secret at this path (HTTP 404)");
        vf_fail(vf, VALS_ENOT_FOUND, msg);
        return;
    }
    {
        struct cloud_error ce;
        cloud_error_parse(res->status, res->body.p, res->body.len, &ce);
        snprintf(msg, sizeof(msg), "%s (HTTP %ld, token from %s)",
                 ce.message[0] ? ce.message : vals_strerror(cloud_status_class(res->status)),
                 res->status, vf->s.source);
        vf_fail(vf, cloud_status_class(res->status), msg);
    }
}

/* GET the secret now that token and KV version are known. */
static void vf_read(struct vault_fetch *vf)
{
    struct http_header h[VAULT_MAX_HEADERS];
    struct cloud_request rq = {0};
    struct dbuf url = DBUF_INIT;
    const char *rest;
    int rc;

    rc = dbuf_printf(&url, "%s/v1/", vf->s.addr);
    if (vf->kv == 2) {
        size_t ml = strlen(vf->mount);
        rest = vf_rest(vf);
        if (rest[0] == '\0') {
            dbuf_free(&url);
            vf_fail(vf, VALS_EBAD_REF, "the path names a mount, not a secret inside it");
            return;
        }
        if (rc == 0)
            rc = cloud_escape(&url, vf->mount, ml, 1);
        if (rc == 0 && strncmp(rest, "data/", 5) != 0) /* see the deviation note above */
            rc = dbuf_adds(&url, "data/");
        if (rc == 0)
            rc = cloud_escape(&url, rest, strlen(rest), 1);
        if (rc == 0 && vf->version != NULL && vf->version[0] != '\0') {
            rc = dbuf_adds(&url, "?version=");
            if (rc == 0)
                rc = cloud_escape(&url, vf->version, strlen(vf->version), 0);
        }
    } else if (rc == 0) {
        rc = cloud_escape(&url, vf->path, strlen(vf->path), 1);
    }
    if (rc == 0) {
        rq.loop = vf->f->loop;
        rq.method = "GET";
        rq.url = url.p;
        rq.headers = h;
        rq.nheaders = vault_headers(&vf->s, vf->token, h);
        rq.tls = &vf->s.tls;
        rc = cloud_call(&rq, on_read, vf);
    }
    dbuf_free(&url);
    if (rc != 0)
        vf_fail(vf, rc, "cannot send the request");
}

/* --- KV version detection ----------------------------------------------------------- */

struct preflight_op {
    struct tokens_fetch *p;
};

static void on_preflight(void *data, struct http_response *res)
{
    struct preflight_op *op = data;
    char mount[VAULT_MOUNT_MAXLEN], type[32], value[VAULT_MOUNT_MAXLEN + 8], msg[500];
    struct verr e = {0};
    int version = 1, rc = 0;

    value[0] = msg[0] = '\0';
    if (res->err != 0) {
        rc = res->err;
        snprintf(msg, sizeof(msg), "mount lookup: %s", res->errmsg);
    } else if (res->status == 404) {
        snprintf(value, sizeof(value), "1 "); /* an old server: KV v1, mount unknown */
    } else if (res->status != 200) {
        struct cloud_error ce;
        cloud_error_parse(res->status, res->body.p, res->body.len, &ce);
        rc = cloud_status_class(res->status);
        snprintf(msg, sizeof(msg), "mount lookup (sys/internal/ui/mounts): %s (HTTP %ld)",
                 ce.message[0] ? ce.message : vals_strerror(rc), res->status);
    } else if ((rc = cloud_vault_mount(res->body.p, res->body.len, mount, sizeof(mount), type,
                                       sizeof(type), &version, &e)) != 0) {
        snprintf(msg, sizeof(msg), "%s", e.msg);
    } else {
        snprintf(value, sizeof(value), "%d %s", version, mount);
    }
    tokens_done(op->p, rc, msg, value, (int64_t)time(NULL) + VAULT_MOUNT_TTL_S);
    free(op);
}

struct preflight_start {
    struct vault_fetch *vf;
};

static int start_preflight(void *arg, struct tokens_fetch *p, struct verr *e)
{
    struct vault_fetch *vf = ((struct preflight_start *)arg)->vf;
    struct preflight_op *op = calloc(1, sizeof(*op));
    struct http_header h[VAULT_MAX_HEADERS];
    struct cloud_request rq = {0};
    struct dbuf url = DBUF_INIT;
    int rc;

    if (op == NULL)
        return verr_set(e, VALS_ENOMEM, "out of memory");
    op->p = p;
    rc = dbuf_printf(&url, "%s/v1/sys/internal/ui/mounts/", vf->s.addr);
    if (rc == 0)
        rc = cloud_escape(&url, vf->path, strlen(vf->path), 1);
    if (rc == 0) {
        rq.loop = vf->f->loop;
        rq.method = "GET";
        rq.url = url.p;
        rq.headers = h;
        rq.nheaders = vault_headers(&vf->s, vf->token, h);
        rq.tls = &vf->s.tls;
        rc = cloud_call(&rq, on_preflight, op);
    }
    dbuf_free(&url);
    if (rc != 0) {
        free(op);
        return verr_set(e, rc, "mount lookup: cannot send the request");
    }
    return 0;
}

/* Apply a mount description "V MOUNT" (MOUNT may be empty: unknown). */
static int vf_use_mount(struct vault_fetch *vf, const char *value)
{
    if (value[0] != '1' && value[0] != '2')
        return -1;
    vf->kv = value[0] - '0';
    snprintf(vf->mount, sizeof(vf->mount), "%s", value[1] == ' ' ? value + 2 : "");
    if (vf->mount[0] != '\0')
        mount_add(vf->server, vf->mount, vf->kv);
    return 0;
}

static void on_mount(void *data, int err, const char *msg, const char *value)
{
    struct vault_fetch *vf = data;

    if (err != 0) {
        if (err == VALS_EDENIED && !vf->relogged && vault_token_forget(&vf->s)) {
            vf->relogged = 1;
            secure_free_str(vf->token);
            vf->token = NULL;
            vf_token(vf);
            return;
        }
        vf_fail(vf, err, msg);
        return;
    }
    if (vf_use_mount(vf, value) != 0) {
        vf_fail(vf, VALS_EINTERNAL, "bad mount description");
        return;
    }
    vf_read(vf);
}

/* Find the mount's KV version: forced, remembered, or looked up. */
static void vf_mount(struct vault_fetch *vf)
{
    const char *kv = cloud_option(&vf->f->ref, vf->f->ctx, "kv_version");
    const struct vault_mount *m;
    struct preflight_start ps = {vf};
    unsigned char key[32];
    const char *parts[3];
    char *now = NULL;
    struct verr e = {0};
    int rc;

    if (kv != NULL && kv[0] != '\0') {
        size_t seg = strcspn(vf->path, "/");
        if (strcmp(kv, "1") != 0 && strcmp(kv, "2") != 0) {
            vf_fail(vf, VALS_EBAD_REF, "kv_version must be 1 or 2");
            return;
        }
        vf->kv = kv[0] - '0';
        /* forced v2 without a lookup: the mount is the first segment */
        snprintf(vf->mount, sizeof(vf->mount), "%.*s/", (int)seg, vf->path);
        vf_read(vf);
        return;
    }
    if ((m = mount_find(vf->server, vf->path)) != NULL) {
        vf->kv = m->version;
        snprintf(vf->mount, sizeof(vf->mount), "%s", m->path);
        vf_read(vf);
        return;
    }
    {
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", vf->server[i]);
        parts[0] = "vault-mount";
        parts[1] = hex;
        parts[2] = vf->path;
        cloud_key(key, parts, 3);
    }
    rc = tokens_get(key, start_preflight, &ps, on_mount, vf, &now, &e);
    if (rc == 1) {
        rc = vf_use_mount(vf, now);
        secure_free_str(now);
        if (rc != 0)
            vf_fail(vf, VALS_EINTERNAL, "bad mount description");
        else
            vf_read(vf);
    } else if (rc < 0) {
        vf_fail(vf, rc, e.msg);
    }
}

static void on_token(void *data, int err, const char *msg, const char *token)
{
    struct vault_fetch *vf = data;

    if (err != 0) {
        vf_fail(vf, err, msg);
        return;
    }
    if ((vf->token = strdup(token)) == NULL) {
        vf_fail(vf, VALS_ENOMEM, "out of memory");
        return;
    }
    vf_mount(vf);
}

static void vf_token(struct vault_fetch *vf)
{
    struct verr e = {0};
    char *now = NULL;
    int rc = vault_token(vf->f->loop, &vf->s, on_token, vf, &now, &e);

    if (rc == 1) {
        vf->token = now;
        vf_mount(vf);
    } else if (rc < 0) {
        vf_fail(vf, rc, e.msg);
    }
}

/* Split the key: string mode takes the last segment as the field. */
static int vf_split(struct vault_fetch *vf, struct verr *e)
{
    const char *key = vf->f->ref.key;
    size_t n = strlen(key);

    while (n > 0 && key[n - 1] == '/')
        n--;
    if (n == 0 || key[0] == '/')
        return verr_set(e, VALS_EBAD_REF, "the ref names no Vault path (ref+vault://MOUNT/PATH)");
    if (vf->f->mode == BACKEND_STRING) {
        const char *slash = memrchr(key, '/', n);
        if (slash == NULL)
            return verr_set(e, VALS_EBAD_REF,
                            "without a fragment the last path segment names the field: write "
                            "ref+vault://PATH/FIELD or ref+vault://PATH#/FIELD");
        vf->path = strndup(key, (size_t)(slash - key));
        vf->field = strndup(slash + 1, n - (size_t)(slash - key) - 1);
        if (vf->field != NULL && vf->field[0] == '\0')
            return verr_set(e, VALS_EBAD_REF, "empty field name");
    } else {
        vf->path = strndup(key, n);
    }
    if (vf->path == NULL || (vf->f->mode == BACKEND_STRING && vf->field == NULL))
        return verr_set(e, VALS_ENOMEM, "out of memory");
    if (strstr(vf->path, "//") != NULL || !strcmp(vf->path, "..") || strstr(vf->path, "/../") ||
        !strncmp(vf->path, "../", 3))
        return verr_set(e, VALS_EBAD_REF, "the Vault path has empty or \"..\" segments");
    return 0;
}

static int vault_fetch(struct backend_fetch *f)
{
    struct vault_fetch *vf = calloc(1, sizeof(*vf));
    struct verr e = {0};
    int rc;

    if (vf == NULL)
        return VALS_ENOMEM;
    vf->f = f;
    if ((rc = vf_split(vf, &e)) != 0 ||
        (rc = vault_settings_load(f->ctx, &f->ref, &vf->s, &e)) != 0) {
        vf_fail(vf, rc, e.msg);
        return 0;
    }
    vf->version = cloud_option(&f->ref, f->ctx, "version");
    if (vf->version != NULL && vf->version[0] != '\0' &&
        strspn(vf->version, "0123456789") != strlen(vf->version)) {
        vf_fail(vf, VALS_EBAD_REF, "version must be a number");
        return 0;
    }
    server_key(&vf->s, vf->server);
    vf_token(vf);
    return 0;
}

/*
 * The locator: vals' default, plus - when token_env / password_env name a variable
 * outside the VAULT_ prefix that partitions the cache - a salted digest of that
 * variable, so two clients with different tokens there never share a cache entry.  The
 * salt is random per process, so the digest in log lines reveals nothing about the token.
 */
static int vault_locate(const struct ref *r, const struct ctx *ctx, char **locator, struct verr *e)
{
    static unsigned char salt[16];
    static int salted;
    const char *names[2] = {cloud_option(r, ctx, "token_env"),
                            cloud_option(r, ctx, "password_env")};
    const char *parts[5];
    unsigned char key[32];
    char hex[2 * sizeof(salt) + 1];
    struct dbuf b = DBUF_INIT;
    size_t n = 0;
    int rc;

    if (names[1] == NULL || names[1][0] == '\0')
        names[1] = cloud_env(ctx, "VAULT_PASSWORD_ENV");
    if ((rc = backend_default_locator(r, locator)) != 0)
        return verr_set(e, rc, "out of memory");
    if ((names[0] == NULL || names[0][0] == '\0') && (names[1] == NULL || names[1][0] == '\0'))
        return 0;
    if (!salted) {
        if (RAND_bytes(salt, sizeof(salt)) != 1)
            return verr_set(e, VALS_EINTERNAL, "no randomness for the cache key");
        salted = 1;
    }
    for (size_t i = 0; i < sizeof(salt); i++)
        snprintf(hex + 2 * i, 3, "%02x", salt[i]);
    parts[n++] = hex;
    for (int i = 0; i < 2; i++) {
        if (names[i] == NULL || names[i][0] == '\0')
            continue;
        parts[n++] = names[i];
        parts[n++] = cloud_env(ctx, names[i]);
    }
    cloud_key(key, parts, n);
    rc = dbuf_printf(&b, "%s#cred=", *locator);
    for (int i = 0; rc == 0 && i < 8; i++)
        rc = dbuf_printf(&b, "%02x", key[i]);
    free(*locator);
    *locator = NULL;
    if (rc == 0 && (*locator = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&b);
    return rc != 0 ? verr_set(e, rc, "out of memory") : 0;
}

const struct backend backend_vault = {
    .scheme = "vault",
    .flags = 0,
    .env_prefixes = vault_env_prefixes,
    .default_ttl_s = 0,
    .locate = vault_locate,
    .fetch = vault_fetch,
    .fresh = NULL,
};
