/*
 * azurekeyvault.c - Azure Key Vault secrets (vals' azurekeyvault, reference/vals.md §2.6):
 *   ref+azurekeyvault://VAULT/NAME[/VERSION]
 * VAULT without a dot is https://VAULT.vault.azure.net (AZURE_KEYVAULT_DNS_SUFFIX changes
 * the suffix, e.g. vault.azure.cn); with a dot it is the host itself (vals' rule).
 * GET {vault}/secrets/NAME[/VERSION]?api-version=7.4; the value is "value".  String mode =
 * the value; map mode = the value parsed as a YAML/JSON mapping.
 *
 * Authentication follows the Key Vault SDKs (backends.md §5.2): the first request to a
 * vault goes without a token; the 401's WWW-Authenticate challenge names the authority
 * (its tenant) and the resource/scope; the scope's host must be the vault's host or a
 * parent domain of it (so a look-alike vault cannot obtain another service's token); a
 * token for that scope (daemon/creds/azure.h) is sent on the retry.  The challenge is
 * remembered per vault, so later requests send the token at once; a 401 then drops token
 * and challenge and starts over, once.
 *
 * Endpoint override (tests, private endpoints): AZURE_KEYVAULT_ENDPOINT in the context is
 * the vault base URL, "{vault}" in it replaced by VAULT (e.g. http://127.0.0.1:8443/{vault});
 * the challenge's resource is then not checked against the host (like the SDKs'
 * disableChallengeResourceVerification), since the URL comes from the user's environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backend.h"
#include "../cloud_call.h"
#include "../cloud_resp.h"
#include "../creds/azure.h"
#include "lib/local_refs.h"

#define AZURE_API_VERSION   "7.4"
#define AZURE_DNS_SUFFIX    "vault.azure.net"
#define AZURE_CHALLENGE_MAX 64

static const char *const azure_env_prefixes[] = {"AZURE_", "VALS_", NULL};
static const char *const azure_capture[] = {"WWW-Authenticate", NULL};

/* --- remembered challenges, per vault base URL --------------------------------------- */

struct azure_known {
    unsigned char vault[32];
    struct cloud_challenge ch;
    uint64_t used;
};

static struct azure_known known[AZURE_CHALLENGE_MAX];
static size_t nknown;
static uint64_t known_clock;

static void vault_key(const char *base, unsigned char key[32])
{
    const char *parts[] = {"azure-vault", base};

    cloud_key(key, parts, 2);
}

static const struct cloud_challenge *known_find(const char *base)
{
    unsigned char k[32];

    vault_key(base, k);
    for (size_t i = 0; i < nknown; i++)
        if (!memcmp(known[i].vault, k, 32)) {
            known[i].used = ++known_clock;
            return &known[i].ch;
        }
    return NULL;
}

static void known_set(const char *base, const struct cloud_challenge *ch)
{
    unsigned char k[32];
    struct azure_known *slot = NULL;

    vault_key(base, k);
    for (size_t i = 0; i < nknown && slot == NULL; i++)
        if (!memcmp(known[i].vault, k, 32))
            slot = &known[i];
    if (slot == NULL && nknown < AZURE_CHALLENGE_MAX)
        slot = &known[nknown++];
    for (size_t i = 0; i < nknown && slot == NULL; i++)
        if (slot == NULL || known[i].used < slot->used)
            slot = &known[i];
    memcpy(slot->vault, k, 32);
    slot->ch = *ch;
    slot->used = ++known_clock;
}

static void known_drop(const char *base)
{
    unsigned char k[32];

    vault_key(base, k);
    for (size_t i = 0; i < nknown; i++)
        if (!memcmp(known[i].vault, k, 32)) {
            known[i] = known[--nknown];
            return;
        }
}

/* --- one fetch ---------------------------------------------------------------------- */

struct azure_fetch {
    struct backend_fetch *f;
    struct azure_creds c;
    char *base; /* https://VAULT.vault.azure.net */
    char *host; /* VAULT.vault.azure.net (for the resource check) */
    char *url;  /* the GetSecret URL */
    char *name; /* NAME[/VERSION] for messages */
    int overridden;
    struct cloud_challenge ch;
    int have_ch, from_cache, restarted;
    char *token;
};

static void af_free(struct azure_fetch *af)
{
    azure_creds_free(&af->c);
    free(af->base);
    free(af->host);
    free(af->url);
    free(af->name);
    secure_free_str(af->token);
    free(af);
}

static void af_fail(struct azure_fetch *af, int err, const char *msg)
{
    backend_complete(af->f, err, NULL, "azurekeyvault: secret \"%.200s\" in %.200s: %s",
                     af->name != NULL ? af->name : af->f->ref.key,
                     af->base != NULL ? af->base : "?",
                     msg != NULL && msg[0] ? msg : vals_strerror(err));
    af_free(af);
}

static void af_send(struct azure_fetch *af);
static void af_token(struct azure_fetch *af);

/* A 401: take the challenge and get a token for it, or give up. */
static void af_challenged(struct azure_fetch *af, const struct http_response *res)
{
    const char *hdr = http_response_header(res, "WWW-Authenticate");
    struct verr e = {0};
    char msg[600];

    if (af->token != NULL) { /* our token was refused */
        azure_token_forget(&af->c, af->ch.tenant, af->ch.scope);
        known_drop(af->base);
        if (af->from_cache && !af->restarted) { /* the vault moved tenant, or token revoked */
            af->restarted = 1;
            af->have_ch = af->from_cache = 0;
            secure_free_str(af->token);
            af->token = NULL;
            af_send(af);
            return;
        }
        af_fail(af, VALS_EDENIED, "the vault refused the token (HTTP 401)");
        return;
    }
    if (hdr == NULL) {
        af_fail(af, VALS_EDENIED, "HTTP 401 without a WWW-Authenticate challenge");
        return;
    }
    if (cloud_azure_challenge(hdr, strlen(hdr), &af->ch, &e) != 0) {
        snprintf(msg, sizeof(msg), "HTTP 401: %s", e.msg);
        af_fail(af, VALS_EDENIED, msg);
        return;
    }
    if (!af->overridden && !cloud_azure_resource_ok(af->ch.resource, af->host)) {
        snprintf(msg, sizeof(msg),
                 "the challenge asks for a token of %.200s, which is not the vault's domain "
                 "(refused)",
                 af->ch.resource);
        af_fail(af, VALS_EDENIED, msg);
        return;
    }
    af->have_ch = 1;
    known_set(af->base, &af->ch);
    af_token(af);
}

static void on_get(void *data, struct http_response *res)
{
    struct azure_fetch *af = data;
    struct backend_fetch *f = af->f;
    struct dbuf value = DBUF_INIT;
    struct cloud_error ce;
    struct doc *d = NULL;
    struct verr e = {0};
    char msg[600];
    int rc;

    if (res->err != 0) {
        af_fail(af, res->err, res->errmsg);
        return;
    }
    if (res->status == 401) {
        af_challenged(af, res);
        return;
    }
    if (res->status != 200) {
        cloud_error_parse(res->status, res->body.p, res->body.len, &ce);
        snprintf(msg, sizeof(msg), "%s%s%s (HTTP %ld, %s)", ce.code, ce.message[0] ? ": " : "",
                 ce.message, res->status, af->c.source);
        af_fail(af, cloud_status_class(res->status), msg);
        return;
    }
    dbuf_init(&value, CLOUD_MAX_RESPONSE);
    rc = cloud_azure_secret(res->body.p, res->body.len, &value, &e);
    if (rc == 0 && f->mode == BACKEND_MAP)
        rc = local_parse_map(value.p != NULL ? value.p : "", value.len, "the secret", &d, &e);
    else if (rc == 0 && (d = doc_str(value.p != NULL ? value.p : "", value.len)) == NULL)
        rc = verr_set(&e, VALS_ENOMEM, "out of memory");
    dbuf_free(&value);
    if (rc != 0) {
        af_fail(af, rc, e.msg);
        return;
    }
    backend_complete(f, 0, d, NULL);
    af_free(af);
}

static void af_send(struct azure_fetch *af)
{
    struct http_header h[1];
    struct cloud_request rq = {0};
    struct dbuf auth = DBUF_INIT;
    int rc = 0;

    rq.loop = af->f->loop;
    rq.method = "GET";
    rq.url = af->url;
    rq.tls = &af->c.tls;
    rq.capture = azure_capture;
    if (af->token != NULL) {
        if ((rc = dbuf_printf(&auth, "Bearer %s", af->token)) != 0) {
            af_fail(af, rc, "out of memory");
            return;
        }
        h[0] = (struct http_header){"Authorization", auth.p};
        rq.headers = h;
        rq.nheaders = 1;
    }
    rc = cloud_call(&rq, on_get, af);
    dbuf_free(&auth);
    if (rc != 0)
        af_fail(af, rc, "cannot send the request");
}

static void on_token(void *data, int err, const char *msg, const char *token)
{
    struct azure_fetch *af = data;

    if (err != 0) {
        af_fail(af, err, msg);
        return;
    }
    if ((af->token = strdup(token)) == NULL) {
        af_fail(af, VALS_ENOMEM, "out of memory");
        return;
    }
    af_send(af);
}

static void af_token(struct azure_fetch *af)
{
    struct verr e = {0};
    char *now = NULL;
    int rc = azure_token(af->f->loop, &af->c, af->ch.tenant, af->ch.scope, on_token, af, &now, &e);

    if (rc == 1) {
        af->token = now;
        af_send(af);
    } else if (rc < 0) {
        af_fail(af, rc, e.msg);
    }
}

/* Characters allowed in a vault written as a host (with a dot): a host name and a port. */
static int host_ok(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.' || s[i] == ':'))
            return 0;
    return 1;
}

/* Secret names and vault names: letters, digits and '-' (versions: letters and digits). */
static int name_ok(const char *s, size_t n, int dash)
{
    if (n == 0 || n > 127)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || (dash && s[i] == '-')))
            return 0;
    return 1;
}

/* Vault base URL, host and the GetSecret URL from the key. */
static int af_urls(struct azure_fetch *af, struct verr *e)
{
    const char *key = af->f->ref.key, *p, *q, *ver = NULL;
    const char *over = cloud_env(af->f->ctx, "AZURE_KEYVAULT_ENDPOINT");
    const char *suffix = cloud_env(af->f->ctx, "AZURE_KEYVAULT_DNS_SUFFIX");
    size_t vl, nl, verl = 0, kl = strlen(key);
    struct dbuf b = DBUF_INIT;
    int rc;

    while (kl > 0 && key[kl - 1] == '/')
        kl--;
    p = memchr(key, '/', kl);
    if (p == NULL)
        return verr_set(e, VALS_EBAD_REF, "expected ref+azurekeyvault://VAULT/NAME[/VERSION]");
    vl = (size_t)(p - key);
    p++;
    q = memchr(p, '/', kl - vl - 1);
    nl = q != NULL ? (size_t)(q - p) : kl - vl - 1;
    if (q != NULL) {
        ver = q + 1;
        verl = kl - (size_t)(ver - key);
        if (memchr(ver, '/', verl) != NULL)
            return verr_set(e, VALS_EBAD_REF,
                            "expected ref+azurekeyvault://VAULT/NAME[/VERSION] (too many "
                            "segments)");
    }
    if (memchr(key, '.', vl) != NULL ? !host_ok(key, vl) : !name_ok(key, vl, 1))
        return verr_set(e, VALS_EBAD_REF, "the vault name has bad characters");
    if (!name_ok(p, nl, 1) || (ver != NULL && !name_ok(ver, verl, 0)))
        return verr_set(e, VALS_EBAD_REF,
                        "secret names are letters, digits and '-'; versions letters and digits");
    if (suffix != NULL && !host_ok(suffix, strlen(suffix)))
        return verr_set(e, VALS_EBAD_REQUEST, "AZURE_KEYVAULT_DNS_SUFFIX is not a domain");
    if (memchr(key, '.', vl) != NULL)
        rc = dbuf_printf(&b, "%.*s", (int)vl, key);
    else
        rc = dbuf_printf(&b, "%.*s.%s", (int)vl, key, suffix != NULL ? suffix : AZURE_DNS_SUFFIX);
    if (rc == 0 && (af->host = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    if (rc == 0 && over != NULL) {
        const char *ph = strstr(over, "{vault}");
        af->overridden = 1;
        if (ph != NULL)
            rc = dbuf_printf(&b, "%.*s%.*s%s", (int)(ph - over), over, (int)vl, key, ph + 7);
        else
            rc = dbuf_adds(&b, over);
        while (rc == 0 && b.len > 0 && b.p[b.len - 1] == '/')
            b.p[--b.len] = '\0';
        if (rc == 0 && !cloud_url_ok(b.p)) {
            dbuf_free(&b);
            return verr_set(e, VALS_EBAD_REQUEST, "AZURE_KEYVAULT_ENDPOINT is not an http(s) URL");
        }
    } else if (rc == 0) {
        rc = dbuf_printf(&b, "https://%s", af->host);
    }
    if (rc == 0 && (af->base = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    if (rc == 0)
        rc = dbuf_printf(&b, "%s/secrets/%.*s%s%.*s?api-version=" AZURE_API_VERSION, af->base,
                         (int)nl, p, ver != NULL ? "/" : "", (int)verl, ver != NULL ? ver : "");
    if (rc == 0 && (af->url = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    if (rc == 0)
        rc = dbuf_printf(&b, "%.*s%s%.*s", (int)nl, p, ver != NULL ? "/" : "", (int)verl,
                         ver != NULL ? ver : "");
    if (rc == 0 && (af->name = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&b);
    return rc != 0 ? verr_set(e, rc, "out of memory") : 0;
}

static int azure_fetch(struct backend_fetch *f)
{
    struct azure_fetch *af = calloc(1, sizeof(*af));
    const struct cloud_challenge *ch;
    struct verr e = {0};
    int rc;

    if (af == NULL)
        return VALS_ENOMEM;
    af->f = f;
    if ((rc = af_urls(af, &e)) != 0 || (rc = azure_creds_load(f->ctx, &af->c, &e)) != 0) {
        af_fail(af, rc, e.msg);
        return 0;
    }
    if ((ch = known_find(af->base)) != NULL) {
        af->ch = *ch;
        af->have_ch = af->from_cache = 1;
        af_token(af);
    } else {
        af_send(af); /* unauthenticated: learn the challenge */
    }
    return 0;
}

const struct backend backend_azurekeyvault = {
    .scheme = "azurekeyvault",
    .flags = 0,
    .env_prefixes = azure_env_prefixes,
    .default_ttl_s = 0,
    .locate = NULL,
    .fetch = azure_fetch,
    .fresh = NULL,
};
