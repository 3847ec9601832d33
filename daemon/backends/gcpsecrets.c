/*
 * gcpsecrets.c - Google Secret Manager (vals' gcpsecrets, reference/vals.md §2.5):
 *   ref+gcpsecrets://NAME                       project from the `project` option,
 *                                               GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT,
 *                                               GCP_PROJECT, CLOUDSDK_CORE_PROJECT or the
 *                                               credentials' project_id
 *   ref+gcpsecrets://PROJECT/NAME               vals' form
 *   ref+gcpsecrets://projects/P/secrets/S[/versions/V]
 *   ref+gcpsecrets://projects/P/locations/L/secrets/S[/versions/V]   (regional endpoint)
 * Options: version (default latest), project, trim_nl=true (drop one trailing newline),
 * optional=true / fallback_value=X (vals: on any access error the value is "" / X).
 *
 * One AccessSecretVersion call (GET .../versions/V:access) per locator; the payload is
 * base64-decoded and checked against payload.dataCrc32c.  String mode = the payload;
 * map mode = the payload parsed as a YAML/JSON mapping.  Credentials: daemon/creds/gcp.h.
 * Endpoint: https://secretmanager.googleapis.com, or the context's
 * CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER (gcloud's own override variable; a
 * trailing "/" or "/v1/" is dropped) - never a ref option, so a document cannot send a
 * token elsewhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backend.h"
#include "../cloud_call.h"
#include "../cloud_resp.h"
#include "../creds/gcp.h"
#include "lib/local_refs.h"

static const char *const gcp_env_prefixes[] = {"GOOGLE_", "GCLOUD_", "GCP_", "CLOUDSDK_",
                                               "HOME",    "VALS_",   NULL};

struct gcp_fetch {
    struct backend_fetch *f;
    struct gcp_creds c;
    char *name; /* projects/P[/locations/L]/secrets/S/versions/V */
    char *url;
    char *token;
    int retried;
};

static void gf_free(struct gcp_fetch *gf)
{
    gcp_creds_free(&gf->c);
    free(gf->name);
    free(gf->url);
    secure_free_str(gf->token);
    free(gf);
}

/* Deliver a value (string mode) or its mapping (map mode). */
static void gf_value(struct gcp_fetch *gf, const char *p, size_t len)
{
    struct backend_fetch *f = gf->f;
    const char *trim = cloud_option(&f->ref, f->ctx, "trim_nl");
    struct doc *d = NULL;
    struct verr e = {0};
    int rc = 0;

    if (trim != NULL && cloud_truthy(trim) && len > 0 && p[len - 1] == '\n')
        len--;
    if (f->mode == BACKEND_MAP)
        rc = local_parse_map(p, len, "the secret", &d, &e);
    else if ((d = doc_str(p, len)) == NULL)
        rc = verr_set(&e, VALS_ENOMEM, "out of memory");
    if (rc != 0)
        backend_complete(f, rc, NULL, "gcpsecrets: %.300s: %s",
                         gf->name != NULL ? gf->name : f->ref.key, e.msg);
    else
        backend_complete(f, 0, d, NULL);
    gf_free(gf);
}

/* Finish with an error, or with vals' optional/fallback_value when the ref asks. */
static void gf_fail(struct gcp_fetch *gf, int err, const char *msg)
{
    struct backend_fetch *f = gf->f;
    const char *fb = cloud_option(&f->ref, f->ctx, "fallback_value");
    const char *opt = cloud_option(&f->ref, f->ctx, "optional");

    if (err != VALS_EBAD_REF && err != VALS_ENOMEM && err != VALS_ESHUTTING_DOWN &&
        ((fb != NULL && ref_has_param(&f->ref, "fallback_value")) || cloud_truthy(opt))) {
        gf_value(gf, fb != NULL ? fb : "", fb != NULL ? strlen(fb) : 0);
        return;
    }
    backend_complete(f, err, NULL, "gcpsecrets: %.300s: %s",
                     gf->name != NULL ? gf->name : f->ref.key,
                     msg != NULL && msg[0] ? msg : vals_strerror(err));
    gf_free(gf);
}

static void gf_send(struct gcp_fetch *gf);
static void gf_token(struct gcp_fetch *gf);

static void on_access(void *data, struct http_response *res)
{
    struct gcp_fetch *gf = data;
    struct dbuf payload = DBUF_INIT;
    struct cloud_error ce;
    struct verr e = {0};
    char msg[600];
    int rc;

    if (res->err != 0) {
        gf_fail(gf, res->err, res->errmsg);
        return;
    }
    if (res->status == 200) {
        dbuf_init(&payload, CLOUD_MAX_RESPONSE);
        if ((rc = cloud_gcp_access(res->body.p, res->body.len, &payload, &e)) != 0) {
            dbuf_free(&payload);
            gf_fail(gf, rc == VALS_ETAMPERED ? VALS_EBACKEND : rc, e.msg);
            return;
        }
        gf_value(gf, payload.p != NULL ? payload.p : "", payload.len);
        dbuf_free(&payload);
        return;
    }
    if (res->status == 401 && !gf->retried && gcp_token_forget(&gf->c)) {
        gf->retried = 1; /* the cached access token was revoked or expired early */
        secure_free_str(gf->token);
        gf->token = NULL;
        gf_token(gf);
        return;
    }
    cloud_error_parse(res->status, res->body.p, res->body.len, &ce);
    snprintf(msg, sizeof(msg), "%s%s%s (HTTP %ld, credentials from %s)", ce.code,
             ce.message[0] ? ": " : "", ce.message, res->status, gf->c.source);
    gf_fail(gf, cloud_status_class(res->status), msg);
}

static void gf_send(struct gcp_fetch *gf)
{
    struct http_header h[3];
    struct cloud_request rq = {0};
    struct dbuf auth = DBUF_INIT;
    size_t n = 0;
    int rc;

    if ((rc = dbuf_printf(&auth, "Bearer %s", gf->token)) != 0) {
        gf_fail(gf, rc, "out of memory");
        return;
    }
    h[n++] = (struct http_header){"Authorization", auth.p};
    if (gf->c.quota_project_id != NULL)
        h[n++] = (struct http_header){"x-goog-user-project", gf->c.quota_project_id};
    rq.loop = gf->f->loop;
    rq.method = "GET";
    rq.url = gf->url;
    rq.headers = h;
    rq.nheaders = n;
    rq.tls = &gf->c.tls;
    rc = cloud_call(&rq, on_access, gf);
    dbuf_free(&auth);
    if (rc != 0)
        gf_fail(gf, rc, "cannot send the request");
}

static void on_token(void *data, int err, const char *msg, const char *token)
{
    struct gcp_fetch *gf = data;

    if (err != 0) {
        gf_fail(gf, err, msg);
        return;
    }
    if ((gf->token = strdup(token)) == NULL) {
        gf_fail(gf, VALS_ENOMEM, "out of memory");
        return;
    }
    gf_send(gf);
}

static void gf_token(struct gcp_fetch *gf)
{
    struct verr e = {0};
    char *now = NULL;
    int rc = gcp_token(gf->f->loop, &gf->c, on_token, gf, &now, &e);

    if (rc == 1) {
        gf->token = now;
        gf_send(gf);
    } else if (rc < 0) {
        gf_fail(gf, rc, e.msg);
    }
}

/* A resource-name segment: letters, digits and - _ . : only. */
static int seg_ok(const char *s, size_t n)
{
    if (n == 0 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.' ||
              s[i] == ':'))
            return 0;
    return 1;
}

/* Build the version name and URL from the key and options. */
static int gf_name(struct gcp_fetch *gf, struct verr *e)
{
    const struct ref *r = &gf->f->ref;
    const char *key = r->key, *opt_ver = cloud_option(r, gf->f->ctx, "version");
    const char *seg[8];
    size_t len[8], nseg = 0, klen = strlen(key);
    const char *project = NULL, *location = NULL, *secret = NULL, *version = NULL;
    size_t plen = 0, llen = 0, slen = 0, vlen = 0;
    const char *base = cloud_env(gf->f->ctx, "CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER");
    struct dbuf url = DBUF_INIT;
    int rc;

    while (klen > 0 && key[klen - 1] == '/')
        klen--;
    for (size_t i = 0; i < klen && nseg < 8;) {
        size_t j = i;
        while (j < klen && key[j] != '/')
            j++;
        seg[nseg] = key + i;
        len[nseg++] = j - i;
        i = j + 1;
    }
    if (klen == 0)
        return verr_set(e, VALS_EBAD_REF, "the ref names no secret");
    if (nseg >= 4 && len[0] == 8 && !memcmp(seg[0], "projects", 8)) {
        size_t i = 2;
        project = seg[1];
        plen = len[1];
        if (nseg >= 6 && len[2] == 9 && !memcmp(seg[2], "locations", 9)) {
            location = seg[3];
            llen = len[3];
            i = 4;
        }
        if (i + 1 >= nseg || len[i] != 7 || memcmp(seg[i], "secrets", 7) != 0)
            return verr_set(e, VALS_EBAD_REF,
                            "expected projects/PROJECT/secrets/SECRET[/versions/VERSION]");
        secret = seg[i + 1];
        slen = len[i + 1];
        i += 2;
        if (i < nseg) {
            if (i + 2 != nseg || len[i] != 8 || memcmp(seg[i], "versions", 8) != 0)
                return verr_set(e, VALS_EBAD_REF,
                                "expected projects/PROJECT/secrets/SECRET[/versions/VERSION]");
            version = seg[i + 1];
            vlen = len[i + 1];
        }
    } else if (nseg == 2) { /* vals: PROJECT/NAME */
        project = seg[0];
        plen = len[0];
        secret = seg[1];
        slen = len[1];
    } else if (nseg == 1) {
        const char *const vars[] = {"GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "GCP_PROJECT",
                                    "CLOUDSDK_CORE_PROJECT", NULL};
        secret = seg[0];
        slen = len[0];
        project = cloud_option(r, gf->f->ctx, "project");
        for (size_t i = 0; vars[i] != NULL && (project == NULL || project[0] == '\0'); i++)
            project = cloud_env(gf->f->ctx, vars[i]);
        if (project == NULL || project[0] == '\0')
            project = gf->c.project_id;
        if (project == NULL || project[0] == '\0')
            return verr_set(e, VALS_EBAD_REQUEST,
                            "no project: give ?project=, write PROJECT/%.*s, or set "
                            "GOOGLE_CLOUD_PROJECT",
                            (int)slen, secret);
        plen = strlen(project);
    } else {
        return verr_set(e, VALS_EBAD_REF,
                        "expected NAME, PROJECT/NAME or projects/P/secrets/S[/versions/V]");
    }
    if (opt_ver != NULL && opt_ver[0] != '\0') {
        if (version != NULL && (vlen != strlen(opt_ver) || memcmp(version, opt_ver, vlen) != 0))
            return verr_set(e, VALS_EBAD_REF, "the version option contradicts the path's version");
        version = opt_ver;
        vlen = strlen(opt_ver);
    }
    if (version == NULL) {
        version = "latest";
        vlen = 6;
    }
    if (!seg_ok(project, plen) || !seg_ok(secret, slen) || !seg_ok(version, vlen) ||
        (location != NULL && !seg_ok(location, llen)))
        return verr_set(e, VALS_EBAD_REF, "a project, secret or version name has bad characters");
    if (location != NULL)
        rc = dbuf_printf(&url, "projects/%.*s/locations/%.*s/secrets/%.*s/versions/%.*s", (int)plen,
                         project, (int)llen, location, (int)slen, secret, (int)vlen, version);
    else
        rc = dbuf_printf(&url, "projects/%.*s/secrets/%.*s/versions/%.*s", (int)plen, project,
                         (int)slen, secret, (int)vlen, version);
    if (rc == 0 && (gf->name = dbuf_take(&url, NULL)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&url);
    if (rc != 0)
        return verr_set(e, rc, "out of memory");
    if (base != NULL) {
        size_t bl = strlen(base);
        while (bl > 0 && base[bl - 1] == '/')
            bl--;
        if (bl >= 3 && !memcmp(base + bl - 3, "/v1", 3))
            bl -= 3;
        rc = dbuf_printf(&url, "%.*s", (int)bl, base);
        if (rc == 0 && !cloud_url_ok(url.p)) {
            dbuf_free(&url);
            return verr_set(e, VALS_EBAD_REQUEST,
                            "CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER is not an http(s) URL");
        }
    } else if (location != NULL) {
        rc =
            dbuf_printf(&url, "https://secretmanager.%.*s.rep.googleapis.com", (int)llen, location);
    } else {
        rc = dbuf_adds(&url, "https://secretmanager.googleapis.com");
    }
    if (rc == 0)
        rc = dbuf_printf(&url, "/v1/%s:access", gf->name);
    if (rc == 0 && (gf->url = dbuf_take(&url, NULL)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&url);
    return rc != 0 ? verr_set(e, rc, "out of memory") : 0;
}

static int gcp_fetch(struct backend_fetch *f)
{
    struct gcp_fetch *gf = calloc(1, sizeof(*gf));
    struct verr e = {0};
    int rc;

    if (gf == NULL)
        return VALS_ENOMEM;
    gf->f = f;
    if ((rc = gcp_creds_load(f->ctx, &gf->c, &e)) != 0 || (rc = gf_name(gf, &e)) != 0) {
        gf_fail(gf, rc, e.msg);
        return 0;
    }
    gf_token(gf);
    return 0;
}

const struct backend backend_gcpsecrets = {
    .scheme = "gcpsecrets",
    .flags = 0,
    .env_prefixes = gcp_env_prefixes,
    .default_ttl_s = 0,
    .locate = NULL,
    .fetch = gcp_fetch,
    .fresh = NULL,
};
