/*
 * cloud_resp.c - Vault, Google and Azure response parsers (see cloud_resp.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloud_resp.h"
#include "lib/b64.h"

/* Copy server text for a message: printable ASCII only (others become '?'), runs of
 * whitespace as one space, trimmed, cut to cap. */
static void printable(const char *in, size_t len, char *out, size_t cap)
{
    size_t n = 0;

    if (cap == 0)
        return;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            if (n > 0 && out[n - 1] != ' ')
                out[n++] = ' ';
            continue;
        }
        out[n++] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* A scalar node as text (strings as is, numbers formatted); NULL otherwise. */
static const char *scalar_text(const struct doc *d, char *tmp, size_t cap, size_t *len)
{
    if (d == NULL)
        return NULL;
    switch (d->type) {
    case DOC_STR:
        *len = d->v.s.len;
        return d->v.s.ptr;
    case DOC_INT:
        *len = (size_t)snprintf(tmp, cap, "%lld", (long long)d->v.i);
        return tmp;
    case DOC_UINT:
        *len = (size_t)snprintf(tmp, cap, "%llu", (unsigned long long)d->v.u);
        return tmp;
    default:
        return NULL;
    }
}

void cloud_error_parse(long status, const char *body, size_t len, struct cloud_error *out)
{
    struct doc *d = NULL;
    const struct doc *err, *x;
    const char *t;
    char tmp[32];
    size_t tl;

    memset(out, 0, sizeof(*out));
    if (body != NULL && len > 0 && len < (1u << 20) &&
        doc_parse_json(body, len, "error body", &d, NULL) == 0 && d->type == DOC_MAP) {
        if ((err = doc_map_getz(d, "error")) != NULL && err->type == DOC_MAP) {
            /* Google: status is the symbolic code; Azure: code is */
            if ((t = scalar_text(doc_map_getz(err, "status"), tmp, sizeof(tmp), &tl)) != NULL ||
                (t = scalar_text(doc_map_getz(err, "code"), tmp, sizeof(tmp), &tl)) != NULL)
                printable(t, tl, out->code, sizeof(out->code));
            if ((t = scalar_text(doc_map_getz(err, "message"), tmp, sizeof(tmp), &tl)) != NULL)
                printable(t, tl, out->message, sizeof(out->message));
        } else if (err != NULL && err->type == DOC_STR) { /* OAuth */
            printable(err->v.s.ptr, err->v.s.len, out->code, sizeof(out->code));
            if ((t = scalar_text(doc_map_getz(d, "error_description"), tmp, sizeof(tmp), &tl)) !=
                NULL)
                printable(t, tl, out->message, sizeof(out->message));
        } else if ((x = doc_map_getz(d, "errors")) != NULL && x->type == DOC_LIST) { /* Vault */
            for (size_t i = 0; i < x->v.list.len; i++) {
                const struct doc *it = x->v.list.items[i];
                if (it->type == DOC_STR && it->v.s.len > 0) {
                    printable(it->v.s.ptr, it->v.s.len, out->message, sizeof(out->message));
                    break;
                }
            }
        }
    }
    doc_free(d);
    if (out->code[0] == '\0')
        snprintf(out->code, sizeof(out->code), "HTTP %ld", status);
}

int cloud_auth_status_class(long status)
{
    /* a refused login or token request is a credential problem whatever the 4xx status
     * (Vault and OAuth endpoints answer 400 for bad credentials) */
    return status >= 500 ? VALS_EBACKEND : status == 429 ? VALS_ETHROTTLED : VALS_EDENIED;
}

int cloud_status_class(long status)
{
    switch (status) {
    case 404:
        return VALS_ENOT_FOUND;
    case 401:
    case 403:
        return VALS_EDENIED;
    case 429:
        return VALS_ETHROTTLED;
    case 408:
    case 504:
        return VALS_ETIMEOUT;
    default:
        return VALS_EBACKEND;
    }
}

int cloud_status_retryable(long status)
{
    return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

int cloud_json_object(const char *body, size_t len, const char *what, struct doc **out,
                      struct verr *e)
{
    struct doc *d = NULL;

    *out = NULL;
    if (body == NULL || len == 0)
        return verr_set(e, VALS_EPARSE, "%s: empty response body", what);
    if (doc_parse_json(body, len, what, &d, NULL) != 0)
        return verr_set(e, VALS_EPARSE, "%s: the response is not JSON", what);
    if (d->type != DOC_MAP) {
        doc_free(d);
        return verr_set(e, VALS_EPARSE, "%s: the response is not a JSON object", what);
    }
    *out = d;
    return 0;
}

const struct doc *cloud_doc_path(const struct doc *d, const char *path)
{
    const char *p = path;

    while (d != NULL && *p != '\0') {
        size_t n = strcspn(p, ".");
        if (d->type != DOC_MAP)
            return NULL;
        d = doc_map_get(d, p, n);
        p += n;
        if (*p == '.')
            p++;
    }
    return d;
}

/* --- Vault ------------------------------------------------------------------------- */

int cloud_vault_mount(const char *body, size_t len, char *mount, size_t mount_cap, char *type,
                      size_t type_cap, int *version, struct verr *e)
{
    struct doc *d = NULL;
    const struct doc *p, *t, *v;
    int rc;

    *version = 1;
    if ((rc = cloud_json_object(body, len, "vault mount lookup", &d, e)) != 0)
        return rc;
    p = cloud_doc_path(d, "data.path");
    if (p == NULL || p->type != DOC_STR || p->v.s.len == 0 || p->v.s.len + 2 > mount_cap ||
        memchr(p->v.s.ptr, '\0', p->v.s.len) != NULL) {
        rc = verr_set(e, VALS_EPARSE, "vault mount lookup: no usable data.path in the response");
        goto out;
    }
    memcpy(mount, p->v.s.ptr, p->v.s.len);
    mount[p->v.s.len] = '\0';
    if (mount[p->v.s.len - 1] != '/') {
        mount[p->v.s.len] = '/';
        mount[p->v.s.len + 1] = '\0';
    }
    t = cloud_doc_path(d, "data.type");
    if (type_cap > 0) {
        type[0] = '\0';
        if (t != NULL && t->type == DOC_STR)
            printable(t->v.s.ptr, t->v.s.len, type, type_cap);
    }
    v = cloud_doc_path(d, "data.options.version");
    if (v != NULL && v->type == DOC_STR && v->v.s.len == 1 && v->v.s.ptr[0] == '2')
        *version = 2;
    else if (v != NULL && v->type == DOC_INT && v->v.i == 2)
        *version = 2;
out:
    doc_free(d);
    return rc;
}

/* Detach the child `key` of map m (the map keeps a null in its place). */
static struct doc *detach(struct doc *m, const char *key)
{
    for (size_t i = 0; m != NULL && m->type == DOC_MAP && i < m->v.map.len; i++) {
        struct doc_pair *p = &m->v.map.items[i];
        if (p->key != NULL && p->key->type == DOC_STR && !strcmp(p->key->v.s.ptr, key)) {
            struct doc *v = p->val;
            p->val = doc_null();
            if (p->val == NULL) { /* keep the map well-formed */
                p->val = v;
                return NULL;
            }
            return v;
        }
    }
    return NULL;
}

int cloud_vault_deleted(const char *body, size_t len, char *why, size_t cap)
{
    struct doc *d = NULL;
    const struct doc *md, *x;
    int deleted = 0;

    if (cap > 0)
        why[0] = '\0';
    if (cloud_json_object(body, len, "vault", &d, NULL) != 0)
        return 0;
    md = cloud_doc_path(d, "data.metadata");
    if (md != NULL && md->type == DOC_MAP) {
        x = doc_map_getz(md, "destroyed");
        if (x != NULL && x->type == DOC_BOOL && x->v.b) {
            snprintf(why, cap, "destroyed");
            deleted = 1;
        } else {
            x = doc_map_getz(md, "deletion_time");
            if (x != NULL && x->type == DOC_STR && x->v.s.len > 0) {
                snprintf(why, cap, "deleted");
                deleted = 1;
            }
        }
    }
    doc_free(d);
    return deleted;
}

int cloud_vault_secret(const char *body, size_t len, enum cloud_vault_doc which, struct doc **out,
                       struct verr *e)
{
    struct doc *d = NULL, *data, *inner = NULL;
    int rc;

    *out = NULL;
    if ((rc = cloud_json_object(body, len, "vault read", &d, e)) != 0)
        return rc;
    data = doc_map_getz(d, "data");
    if (data == NULL || data->type == DOC_NULL) {
        rc = verr_set(e, VALS_ENOT_FOUND, "no secret at this path (the response has no data)");
        goto out;
    }
    if (data->type != DOC_MAP) {
        rc = verr_set(e, VALS_EPARSE, "vault read: data is a %s, not a map",
                      doc_type_name((enum doc_type)data->type));
        goto out;
    }
    if (which == CLOUD_VAULT_DATA_DATA) {
        const struct doc *x = doc_map_getz(data, "data");
        if (x == NULL || x->type == DOC_NULL) {
            char why[16];
            rc = cloud_vault_deleted(body, len, why, sizeof(why))
                     ? verr_set(e, VALS_ENOT_FOUND, "the secret version is %s", why)
                     : verr_set(e, VALS_ENOT_FOUND, "no secret at this path (data.data is null)");
            goto out;
        }
        if (x->type != DOC_MAP) {
            rc = verr_set(e, VALS_EPARSE, "vault read: data.data is a %s, not a map",
                          doc_type_name((enum doc_type)x->type));
            goto out;
        }
        inner = detach(data, "data");
    } else {
        inner = detach(d, "data");
    }
    if (inner == NULL)
        rc = verr_set(e, VALS_ENOMEM, "out of memory");
    *out = inner;
out:
    doc_free(d);
    return rc;
}

int cloud_vault_login(const char *body, size_t len, char **token, int64_t *lease_s, struct verr *e)
{
    struct doc *d = NULL;
    const struct doc *t, *l;
    int rc;

    *token = NULL;
    *lease_s = 0;
    if ((rc = cloud_json_object(body, len, "vault login", &d, e)) != 0)
        return rc;
    t = cloud_doc_path(d, "auth.client_token");
    if (t == NULL || t->type != DOC_STR || t->v.s.len == 0 || t->v.s.len > CLOUD_MAX_TOKEN ||
        memchr(t->v.s.ptr, '\0', t->v.s.len) != NULL) {
        rc = verr_set(e, VALS_EPARSE, "vault login: no auth.client_token in the response");
        goto out;
    }
    l = cloud_doc_path(d, "auth.lease_duration");
    if (l != NULL && l->type == DOC_INT && l->v.i > 0)
        *lease_s = l->v.i;
    if ((*token = strndup(t->v.s.ptr, t->v.s.len)) == NULL)
        rc = verr_set(e, VALS_ENOMEM, "out of memory");
out:
    doc_free(d);
    return rc;
}

/* --- OAuth ------------------------------------------------------------------------- */

int cloud_oauth_token(const char *body, size_t len, char **token, int64_t *expires_in,
                      struct verr *e)
{
    struct doc *d = NULL;
    const struct doc *t, *x;
    int rc;

    *token = NULL;
    *expires_in = 0;
    if ((rc = cloud_json_object(body, len, "token endpoint", &d, e)) != 0)
        return rc;
    t = doc_map_getz(d, "access_token");
    if (t == NULL || t->type != DOC_STR || t->v.s.len == 0 || t->v.s.len > CLOUD_MAX_TOKEN ||
        memchr(t->v.s.ptr, '\0', t->v.s.len) != NULL) {
        rc = verr_set(e, VALS_EPARSE, "token endpoint: no access_token in the response");
        goto out;
    }
    for (size_t i = 0; i < t->v.s.len; i++) /* it goes into a header line */
        if ((unsigned char)t->v.s.ptr[i] < 0x21 || (unsigned char)t->v.s.ptr[i] > 0x7e) {
            rc = verr_set(e, VALS_EPARSE, "token endpoint: the access_token has bad characters");
            goto out;
        }
    x = doc_map_getz(d, "expires_in");
    if (x != NULL && x->type == DOC_INT && x->v.i > 0)
        *expires_in = x->v.i;
    else if (x != NULL && x->type == DOC_FLOAT && x->v.f > 0 && x->v.f < 1e9)
        *expires_in = (int64_t)x->v.f;
    else if (x != NULL && x->type == DOC_STR && x->v.s.len > 0 && x->v.s.len < 12) {
        char *end;
        long long v = strtoll(x->v.s.ptr, &end, 10);
        if (*end == '\0' && v > 0)
            *expires_in = v;
    }
    if ((*token = strndup(t->v.s.ptr, t->v.s.len)) == NULL)
        rc = verr_set(e, VALS_ENOMEM, "out of memory");
out:
    doc_free(d);
    return rc;
}

/* --- Google ------------------------------------------------------------------------ */

static uint32_t crc32c_table[256];
static int crc32c_ready;

uint32_t cloud_crc32c(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t c = 0xffffffffu;

    if (!crc32c_ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t v = i;
            for (int k = 0; k < 8; k++)
                v = (v & 1) ? (v >> 1) ^ 0x82F63B78u : v >> 1;
            crc32c_table[i] = v;
        }
        crc32c_ready = 1;
    }
    for (size_t i = 0; i < len; i++)
        c = crc32c_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* Decode proto3-JSON bytes: standard or URL-safe alphabet, padding optional. */
static int b64_any(const char *s, size_t len, struct dbuf *out)
{
    struct dbuf t = DBUF_INIT;
    int rc = 0;

    for (size_t i = 0; i < len && rc == 0; i++) {
        char c = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
        rc = dbuf_addc(&t, c);
    }
    while (rc == 0 && t.len > 0 && t.p[t.len - 1] == '=') /* decode unpadded */
        t.p[--t.len] = '\0';
    if (rc == 0)
        rc = b64_decode_dbuf(t.p != NULL ? t.p : "", t.len, B64_LAX, out);
    dbuf_free(&t);
    return rc;
}

int cloud_gcp_access(const char *body, size_t len, struct dbuf *payload, struct verr *e)
{
    struct doc *d = NULL;
    const struct doc *p, *data, *crc;
    int rc;

    if ((rc = cloud_json_object(body, len, "AccessSecretVersion", &d, e)) != 0)
        return rc;
    p = doc_map_getz(d, "payload");
    if (p == NULL || p->type != DOC_MAP) {
        rc = verr_set(e, VALS_EPARSE, "AccessSecretVersion: no payload in the response");
        goto out;
    }
    data = doc_map_getz(p, "data");
    if (data != NULL && data->type != DOC_STR) {
        rc = verr_set(e, VALS_EPARSE, "AccessSecretVersion: payload.data is not a string");
        goto out;
    }
    /* proto3 JSON omits empty bytes: no data is an empty secret */
    if (data != NULL && (rc = b64_any(data->v.s.ptr, data->v.s.len, payload)) != 0) {
        rc = verr_set(e, rc == VALS_ETOO_LARGE ? rc : VALS_EPARSE,
                      "AccessSecretVersion: payload.data is not valid base64");
        goto out;
    }
    crc = doc_map_getz(p, "dataCrc32c");
    if (crc != NULL && crc->type != DOC_NULL) {
        char tmp[32], num[32], *end;
        size_t tl = 0;
        const char *t = scalar_text(crc, tmp, sizeof(tmp), &tl);
        unsigned long long want;
        if (t == NULL || tl == 0 || tl > 20) {
            rc = verr_set(e, VALS_EPARSE, "AccessSecretVersion: payload.dataCrc32c is malformed");
            goto out;
        }
        snprintf(num, sizeof(num), "%.*s", (int)tl, t);
        want = strtoull(num, &end, 10);
        if (*end != '\0' || num[0] < '0' || num[0] > '9') {
            rc = verr_set(e, VALS_EPARSE, "AccessSecretVersion: payload.dataCrc32c is malformed");
            goto out;
        }
        if (want != cloud_crc32c(payload->p != NULL ? payload->p : "", payload->len)) {
            rc = verr_set(e, VALS_ETAMPERED,
                          "AccessSecretVersion: the payload does not match its dataCrc32c");
            goto out;
        }
    }
out:
    if (rc != 0)
        dbuf_reset(payload);
    doc_free(d);
    return rc;
}

/* --- Azure ------------------------------------------------------------------------- */

int cloud_azure_secret(const char *body, size_t len, struct dbuf *value, struct verr *e)
{
    struct doc *d = NULL;
    const struct doc *v;
    int rc;

    if ((rc = cloud_json_object(body, len, "GetSecret", &d, e)) != 0)
        return rc;
    v = doc_map_getz(d, "value");
    if (v == NULL || v->type != DOC_STR)
        rc = verr_set(e, VALS_EPARSE, "GetSecret: no string \"value\" in the response");
    else
        rc = dbuf_add(value, v->v.s.ptr, v->v.s.len);
    doc_free(d);
    return rc;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Store a challenge parameter. */
static int challenge_set(struct cloud_challenge *c, const char *k, size_t kl, const char *v,
                         size_t vl)
{
    char *dst = NULL;
    size_t cap = 0;

    if ((kl == 13 && !strncasecmp(k, "authorization", 13)) ||
        (kl == 17 && !strncasecmp(k, "authorization_uri", 17))) {
        dst = c->authority;
        cap = sizeof(c->authority);
    } else if (kl == 8 && !strncasecmp(k, "resource", 8)) {
        dst = c->resource;
        cap = sizeof(c->resource);
    } else if (kl == 5 && !strncasecmp(k, "scope", 5)) {
        dst = c->scope;
        cap = sizeof(c->scope);
    }
    if (dst == NULL)
        return 0;
    if (vl >= cap)
        return -1;
    printable(v, vl, dst, cap);
    return 0;
}

int cloud_azure_challenge(const char *h, size_t len, struct cloud_challenge *c, struct verr *e)
{
    size_t i = 0;

    memset(c, 0, sizeof(*c));
    while (i < len && is_space(h[i]))
        i++;
    if (len - i < 6 || strncasecmp(h + i, "Bearer", 6) != 0 || (len - i > 6 && !is_space(h[i + 6])))
        return verr_set(e, VALS_EPARSE, "the 401 challenge is not a Bearer challenge");
    i += 6;
    while (i < len) {
        size_t ks, ke, vs, ve;
        while (i < len && (is_space(h[i]) || h[i] == ','))
            i++;
        if (i == len)
            break;
        ks = i;
        while (i < len && h[i] != '=' && h[i] != ',' && !is_space(h[i]))
            i++;
        ke = i;
        if (i == len || h[i] != '=') /* another scheme, or a bare token: stop */
            break;
        i++;
        if (i < len && h[i] == '"') {
            vs = ++i;
            while (i < len && h[i] != '"')
                i += (h[i] == '\\' && i + 1 < len) ? 2 : 1;
            if (i >= len)
                return verr_set(e, VALS_EPARSE, "the 401 challenge has an unterminated value");
            ve = i++;
        } else {
            vs = i;
            while (i < len && h[i] != ',' && !is_space(h[i]))
                i++;
            ve = i;
        }
        if (challenge_set(c, h + ks, ke - ks, h + vs, ve - vs) != 0)
            return verr_set(e, VALS_EPARSE, "the 401 challenge has an overlong parameter");
    }
    if (c->authority[0] != '\0') {
        size_t n = strlen(c->authority), end = n, start;
        while (end > 0 && c->authority[end - 1] == '/')
            end--;
        start = end;
        while (start > 0 && c->authority[start - 1] != '/')
            start--;
        if (end > start && end - start < sizeof(c->tenant))
            snprintf(c->tenant, sizeof(c->tenant), "%.*s", (int)(end - start),
                     c->authority + start);
    }
    if (c->scope[0] == '\0' && c->resource[0] != '\0') {
        size_t n = strlen(c->resource);
        while (n > 0 && c->resource[n - 1] == '/')
            n--;
        if (n + 10 > sizeof(c->scope))
            return verr_set(e, VALS_EPARSE, "the 401 challenge has an overlong resource");
        snprintf(c->scope, sizeof(c->scope), "%.*s/.default", (int)n, c->resource);
    } else if (c->resource[0] == '\0' && c->scope[0] != '\0') {
        size_t n = strlen(c->scope);
        if (n > 9 && !strcmp(c->scope + n - 9, "/.default"))
            n -= 9;
        snprintf(c->resource, sizeof(c->resource), "%.*s", (int)n, c->scope);
    }
    if (c->scope[0] == '\0' || c->tenant[0] == '\0')
        return verr_set(e, VALS_EPARSE, "the 401 challenge names no %s",
                        c->scope[0] ? "authorization" : "resource");
    return 0;
}

int cloud_azure_resource_ok(const char *resource, const char *vault_host)
{
    const char *h = resource;
    size_t hl, vl;

    if (!strncasecmp(h, "https://", 8))
        h += 8;
    else if (!strncasecmp(h, "http://", 7))
        h += 7;
    hl = strcspn(h, "/:?#");
    vl = strcspn(vault_host, ":");
    if (hl == 0 || vl < hl)
        return 0;
    if (vl == hl)
        return !strncasecmp(h, vault_host, hl);
    return vault_host[vl - hl - 1] == '.' && !strncasecmp(h, vault_host + vl - hl, hl);
}
