/*
 * cmd-config-init.c - "rmk config init": the RMK config file ~/.rmk/config/<ID>.yaml and
 * the active provider's credential files (all 0600 in 0700 directories), with RMK's flags
 * and environment fallbacks (reference/rmk.md §2.3).  For k3d and onprem, every ref in
 * project.spec.sops-age-keys is resolved through valsd and written to
 * ~/.rmk/sops-age-keys/<tenant>/<name>.txt (rmk.md §6).
 *
 * Cloud calls RMK makes at init (MFA sessions, creating key vaults, downloading keys from
 * the provider's store) are out of scope; --help says so.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "lib/dbuf.h"
#include "lib/doc_msgpack.h"
#include "lib/fsutil.h"
#include "lib/local_refs.h"
#include "rmk-config.h"
#include "rmk-project.h"
#include "valsd/client.h"

enum opt_id {
    O_PROVIDER,
    O_GITHUB_TOKEN,
    O_PROGRESS,
    O_SLACK,
    O_SLACK_WEBHOOK,
    O_SLACK_CHANNEL,
    O_SLACK_DETAILS,
    O_AWS_ID,
    O_AWS_SECRET,
    O_AWS_TOKEN,
    O_AWS_REGION,
    O_AZ_CLIENT_ID,
    O_AZ_SECRET,
    O_AZ_TENANT,
    O_AZ_SUB,
    O_AZ_LOCATION,
    O_AZ_KV_RG,
    O_AZ_SP,
    O_GCP_REGION,
    O_GCP_CREDS,
    O_ONPREM_HOST,
    O_ONPREM_KEY,
    O_ONPREM_USER,
    O_COUNT
};

/* One flag: its names, env fallbacks (first set wins) and whether the config remembers it. */
static const struct {
    const char *name, *alias;
    const char *env[3];
    const char *cfgkey; /* persisted in the config file under this key */
} flags[O_COUNT] = {
    [O_PROVIDER] = {"cluster-provider", "cp", {"RMK_CLUSTER_PROVIDER"}, "cluster-provider"},
    [O_GITHUB_TOKEN] = {"github-token", "ght", {"RMK_GITHUB_TOKEN"}, "github-token"},
    [O_PROGRESS] = {"progress-bar", "p", {NULL}, "progress-bar"},
    [O_SLACK] = {"slack-notifications", "n", {NULL}, "slack-notifications"},
    [O_SLACK_WEBHOOK] = {"slack-webhook", "sw", {"RMK_SLACK_WEBHOOK"}, "slack-webhook"},
    [O_SLACK_CHANNEL] = {"slack-channel", "sc", {"RMK_SLACK_CHANNEL"}, "slack-channel"},
    [O_SLACK_DETAILS] = {"slack-message-details",
                         "smd",
                         {"RMK_SLACK_MESSAGE_DETAILS"},
                         "slack-message-details"},
    [O_AWS_ID] = {"aws-access-key-id",
                  "awid",
                  {"RMK_AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"},
                  NULL},
    [O_AWS_SECRET] = {"aws-secret-access-key",
                      "awsk",
                      {"RMK_AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"},
                      NULL},
    [O_AWS_TOKEN] = {"aws-session-token",
                     "awst",
                     {"RMK_AWS_SESSION_TOKEN", "AWS_SESSION_TOKEN"},
                     NULL},
    [O_AWS_REGION] = {"aws-region",
                      "awr",
                      {"RMK_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"},
                      NULL},
    [O_AZ_CLIENT_ID] = {"azure-client-id",
                        "azid",
                        {"RMK_AZURE_CLIENT_ID", "AZURE_CLIENT_ID"},
                        NULL},
    [O_AZ_SECRET] = {"azure-client-secret",
                     "azp",
                     {"RMK_AZURE_CLIENT_SECRET", "AZURE_CLIENT_SECRET"},
                     NULL},
    [O_AZ_TENANT] = {"azure-tenant-id", "azt", {"RMK_AZURE_TENANT_ID", "AZURE_TENANT_ID"}, NULL},
    [O_AZ_SUB] = {"azure-subscription-id",
                  "azs",
                  {"RMK_AZURE_SUBSCRIPTION_ID", "AZURE_SUBSCRIPTION_ID"},
                  NULL},
    [O_AZ_LOCATION] = {"azure-location", "azl", {"RMK_AZURE_LOCATION", "AZURE_LOCATION"}, NULL},
    [O_AZ_KV_RG] = {"azure-key-vault-resource-group-name",
                    "azkvrg",
                    {"RMK_AZURE_KEY_VAULT_RESOURCE_GROUP_NAME",
                     "AZURE_KEY_VAULT_RESOURCE_GROUP_NAME"},
                    "azure-key-vault-resource-group-name"},
    [O_AZ_SP] = {"azure-service-principle", "azsp", {NULL}, NULL},
    [O_GCP_REGION] = {"gcp-region", "gr", {"RMK_GCP_REGION", "GCP_REGION"}, "gcp-region"},
    [O_GCP_CREDS] = {"google-application-credentials",
                     "gac",
                     {"RMK_GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"},
                     NULL},
    [O_ONPREM_HOST] = {"onprem-ssh-init-server-host",
                       "opsish",
                       {"RMK_ONPREM_SSH_INIT_SERVER_HOST"},
                       NULL},
    [O_ONPREM_KEY] = {"onprem-ssh-private-key", "opspk", {"RMK_ONPREM_SSH_PRIVATE_KEY"}, NULL},
    [O_ONPREM_USER] = {"onprem-ssh-user", "opsu", {"RMK_ONPREM_SSH_USER"}, NULL},
};

struct ci {
    const char *val[O_COUNT]; /* flag values (argv or environment or old config) */
    int given[O_COUNT];
    struct rmk_project p;
    char *owned[O_COUNT]; /* values this command allocated */
    struct doc *old;      /* the existing config file */
    struct doc *cfg;      /* the new one */
    char *home;
};

/* Set a value this command owns (a copy of s). */
static void set_owned(struct ci *c, enum opt_id i, const char *s)
{
    secure_free_str(c->owned[i]);
    c->owned[i] = strdup(s);
    c->val[i] = c->owned[i];
}

static int is_bool_flag(int i)
{
    return i == O_PROGRESS || i == O_SLACK || i == O_AZ_SP;
}

/* Write a file 0600 in a 0700 directory (created). */
static int write_private(const char *path, const char *data, size_t len, struct verr *e)
{
    char dir[4096];
    char *slash;
    int rc;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        if ((rc = fsutil_mkdirs(dir, 0700, e)) != 0)
            return rc;
    }
    rc = fsutil_write_atomic(path, data, len, 0600, e);
    if (rc == 0)
        chmod(path, 0600);
    return rc;
}

static char *home_file(const struct ci *c, const char *fmt, const char *id)
{
    char rel[512];

    snprintf(rel, sizeof(rel), fmt, id);
    return fsutil_home_path(rel);
}

static int need(const struct ci *c, enum opt_id i, struct verr *e)
{
    if (c->val[i] == NULL || c->val[i][0] == '\0')
        return verr_set(e, VALS_EUSAGE, "option --%s (or $%s) required for cluster provider %s",
                        flags[i].name, flags[i].env[0] ? flags[i].env[0] : "-", c->val[O_PROVIDER]);
    return 0;
}

static int set_str(struct doc *m, const char *k, const char *v)
{
    return v != NULL ? doc_map_set(m, k, doc_strz(v)) : 0;
}

static int provider_aws(struct ci *c, struct verr *e)
{
    char *conf = home_file(c, ".aws/config_%s", c->p.id);
    char *creds = home_file(c, ".aws/credentials_%s", c->p.id);
    struct dbuf b = DBUF_INIT;
    struct doc *aws = doc_map();
    int rc;

    if (conf == NULL || creds == NULL || aws == NULL) {
        rc = VALS_ENOMEM;
        goto out;
    }
    /* values not given by flag or environment come from the existing profile */
    if (c->val[O_AWS_ID] == NULL || c->val[O_AWS_SECRET] == NULL) {
        struct doc *old = NULL;
        struct rmk_env env;
        if (c->old != NULL && rmk_provider_env(c->old, &env, NULL) == 0) {
            for (size_t i = 0; i < env.n; i++) {
                if (!strcmp(env.names[i], "AWS_ACCESS_KEY_ID") && c->val[O_AWS_ID] == NULL)
                    set_owned(c, O_AWS_ID, env.values[i]);
                if (!strcmp(env.names[i], "AWS_SECRET_ACCESS_KEY") && c->val[O_AWS_SECRET] == NULL)
                    set_owned(c, O_AWS_SECRET, env.values[i]);
                if (!strcmp(env.names[i], "AWS_REGION") && c->val[O_AWS_REGION] == NULL)
                    set_owned(c, O_AWS_REGION, env.values[i]);
            }
            rmk_env_free(&env);
        }
        doc_free(old);
    }
    if ((rc = need(c, O_AWS_ID, e)) != 0 || (rc = need(c, O_AWS_SECRET, e)) != 0 ||
        (rc = need(c, O_AWS_REGION, e)) != 0)
        goto out;
    dbuf_printf(&b, "[profile %s]\nregion = %s\noutput = text\n", c->p.id, c->val[O_AWS_REGION]);
    if ((rc = write_private(conf, b.p, b.len, e)) != 0)
        goto out;
    dbuf_reset(&b);
    dbuf_printf(&b, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", c->p.id,
                c->val[O_AWS_ID], c->val[O_AWS_SECRET]);
    if (c->val[O_AWS_TOKEN] != NULL && c->val[O_AWS_TOKEN][0] != '\0')
        dbuf_printf(&b, "aws_session_token = %s\n", c->val[O_AWS_TOKEN]);
    if ((rc = write_private(creds, b.p, b.len, e)) != 0)
        goto out;
    printf("wrote %s and %s\n", conf, creds);
    if (set_str(aws, "profile", c->p.id) || set_str(aws, "region", c->val[O_AWS_REGION]) ||
        set_str(aws, "output", "text") || set_str(aws, "config-source", conf) ||
        set_str(aws, "credentials-source", creds) || doc_map_set(c->cfg, "aws", aws)) {
        aws = NULL;
        rc = VALS_ENOMEM;
        goto out;
    }
    aws = NULL;
out:
    doc_free(aws);
    dbuf_free(&b);
    free(conf);
    free(creds);
    return rc;
}

/* Read `az ad sp create-for-rbac` JSON (appId, password, tenant) from stdin. */
static int read_sp_stdin(struct ci *c, struct verr *e)
{
    struct dbuf b = DBUF_INIT;
    struct doc *j = NULL;
    int rc = 0;
    static const char *const keys[][2] = {{"appId", NULL}, {"password", NULL}, {"tenant", NULL}};
    static const enum opt_id ids[] = {O_AZ_CLIENT_ID, O_AZ_SECRET, O_AZ_TENANT};

    for (;;) {
        size_t n;
        if (dbuf_reserve(&b, 4096) != 0)
            break;
        n = fread(b.p + b.len, 1, 4096, stdin);
        if (n == 0)
            break;
        b.len += n;
        b.p[b.len] = '\0';
    }
    if ((rc = doc_parse_json(b.p ? b.p : "", b.len, "<stdin>", &j, e)) == 0) {
        for (size_t i = 0; i < 3; i++) {
            const struct doc *v = doc_map_getz(j, keys[i][0]);
            if (v != NULL && v->type == DOC_STR && !c->given[ids[i]])
                set_owned(c, ids[i], v->v.s.ptr);
        }
    }
    doc_free(j);
    dbuf_free(&b);
    return rc;
}

static int provider_azure(struct ci *c, struct verr *e)
{
    char *sp = home_file(c, ".azure/service-principal-credentials_%s.json", c->p.id);
    struct doc *j = doc_map(), *az = doc_map();
    struct dbuf b = DBUF_INIT;
    int rc = 0;

    if (sp == NULL || j == NULL || az == NULL) {
        rc = VALS_ENOMEM;
        goto out;
    }
    if (c->given[O_AZ_SP] && (rc = read_sp_stdin(c, e)) != 0)
        goto out;
    if (c->old != NULL) {
        struct rmk_env env;
        static const struct {
            const char *env;
            enum opt_id id;
        } m[] = {{"AZURE_CLIENT_ID", O_AZ_CLIENT_ID},
                 {"AZURE_CLIENT_SECRET", O_AZ_SECRET},
                 {"AZURE_TENANT_ID", O_AZ_TENANT},
                 {"AZURE_SUBSCRIPTION_ID", O_AZ_SUB},
                 {"AZURE_LOCATION", O_AZ_LOCATION}};
        if (rmk_provider_env(c->old, &env, NULL) == 0) {
            for (size_t i = 0; i < env.n; i++)
                for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++)
                    if (!strcmp(env.names[i], m[k].env) && c->val[m[k].id] == NULL)
                        set_owned(c, m[k].id, env.values[i]);
            rmk_env_free(&env);
        }
    }
    if ((rc = need(c, O_AZ_CLIENT_ID, e)) || (rc = need(c, O_AZ_SECRET, e)) ||
        (rc = need(c, O_AZ_LOCATION, e)) || (rc = need(c, O_AZ_SUB, e)) ||
        (rc = need(c, O_AZ_TENANT, e)))
        goto out;
    if (set_str(j, "client-id", c->val[O_AZ_CLIENT_ID]) ||
        set_str(j, "client-secret", c->val[O_AZ_SECRET]) ||
        set_str(j, "location", c->val[O_AZ_LOCATION]) ||
        set_str(j, "subscription-id", c->val[O_AZ_SUB]) ||
        set_str(j, "tenant-id", c->val[O_AZ_TENANT]) ||
        doc_emit_json(j, &b, DOC_JSON_PRETTY | DOC_JSON_NOHTML) || dbuf_addc(&b, '\n')) {
        rc = VALS_ENOMEM;
        goto out;
    }
    if ((rc = write_private(sp, b.p, b.len, e)) != 0)
        goto out;
    printf("wrote %s\n", sp);
    if (set_str(az, "location", c->val[O_AZ_LOCATION]) ||
        set_str(az, "subscription-id", c->val[O_AZ_SUB]) || set_str(az, "service-principal", sp) ||
        doc_map_set(c->cfg, "azure", az)) {
        az = NULL;
        rc = VALS_ENOMEM;
        goto out;
    }
    az = NULL;
out:
    doc_free(j);
    doc_free(az);
    dbuf_free(&b);
    free(sp);
    return rc;
}

static int provider_gcp(struct ci *c, struct verr *e)
{
    char *dst = home_file(c, ".config/gcloud/gcp-credentials-%s.json", c->p.id);
    struct doc *g = doc_map(), *j = NULL;
    struct dbuf b = DBUF_INIT;
    int rc = 0;

    if (dst == NULL || g == NULL) {
        rc = VALS_ENOMEM;
        goto out;
    }
    if ((rc = need(c, O_GCP_REGION, e)) != 0)
        goto out;
    if (c->val[O_GCP_CREDS] != NULL && c->val[O_GCP_CREDS][0] != '\0') {
        if ((rc = local_read_file(c->val[O_GCP_CREDS], 1u << 20, &b, e)) != 0 ||
            (rc = doc_parse_json(b.p, b.len, c->val[O_GCP_CREDS], &j, e)) != 0)
            goto out;
        if (j->type != DOC_MAP || doc_map_getz(j, "type") == NULL) {
            rc = verr_set(e, VALS_EPARSE, "%s is not a Google credentials file",
                          c->val[O_GCP_CREDS]);
            goto out;
        }
        if ((rc = write_private(dst, b.p, b.len, e)) != 0)
            goto out;
        printf("wrote %s\n", dst);
    } else if (!fsutil_exists(dst)) {
        rc = verr_set(e, VALS_EUSAGE,
                      "option --google-application-credentials (or "
                      "$GOOGLE_APPLICATION_CREDENTIALS) required for cluster provider gcp");
        goto out;
    }
    if (set_str(g, "app-credentials-path", dst) || set_str(g, "region", c->val[O_GCP_REGION]) ||
        doc_map_set(c->cfg, "gcp", g)) {
        g = NULL;
        rc = VALS_ENOMEM;
        goto out;
    }
    g = NULL;
out:
    doc_free(g);
    doc_free(j);
    dbuf_free(&b);
    free(dst);
    return rc;
}

static int provider_onprem(struct ci *c, struct verr *e)
{
    struct doc *o = doc_map();
    int rc = 0;

    if (o == NULL)
        return VALS_ENOMEM;
    if (c->old != NULL && doc_map_getz(c->old, "onprem") != NULL) {
        const struct doc *old = doc_map_getz(c->old, "onprem");
        const struct doc *h = doc_map_getz(old, "ssh-init-server-host"),
                         *u = doc_map_getz(old, "ssh-user");
        if (c->val[O_ONPREM_HOST] == NULL && h != NULL && h->type == DOC_STR)
            set_owned(c, O_ONPREM_HOST, h->v.s.ptr);
        if (c->val[O_ONPREM_USER] == NULL && u != NULL && u->type == DOC_STR)
            set_owned(c, O_ONPREM_USER, u->v.s.ptr);
    }
    if ((rc = need(c, O_ONPREM_HOST, e)) || (rc = need(c, O_ONPREM_USER, e)))
        goto out;
    if (c->val[O_ONPREM_KEY] != NULL && c->val[O_ONPREM_KEY][0] != '\0') {
        struct dbuf b = DBUF_INIT;
        const char *base = strrchr(c->val[O_ONPREM_KEY], '/');
        char rel[512], *dst;
        snprintf(rel, sizeof(rel), ".ssh/%s", base != NULL ? base + 1 : c->val[O_ONPREM_KEY]);
        dst = fsutil_home_path(rel);
        if (dst == NULL || (rc = local_read_file(c->val[O_ONPREM_KEY], 1u << 20, &b, e)) != 0 ||
            (strcmp(dst, c->val[O_ONPREM_KEY]) != 0 &&
             (rc = write_private(dst, b.p, b.len, e)) != 0)) {
            dbuf_free(&b);
            free(dst);
            goto out;
        }
        dbuf_free(&b);
        rc = set_str(o, "ssh-private-key", dst);
        free(dst);
    }
    if (rc == 0 && (set_str(o, "ssh-init-server-host", c->val[O_ONPREM_HOST]) ||
                    set_str(o, "ssh-user", c->val[O_ONPREM_USER])))
        rc = VALS_ENOMEM;
    if (rc == 0) {
        rc = doc_map_set(c->cfg, "onprem", o);
        o = NULL;
    }
out:
    doc_free(o);
    return rc;
}

/* The root domain of the current environment: "*." gets the ID, empty is localhost. */
static int root_domain(struct ci *c, char *out, size_t len, struct verr *e)
{
    const struct doc *envs = rmk_project_spec(&c->p, "environments"), *ev = NULL, *rd = NULL;
    const char *d;

    if (envs != NULL && envs->type == DOC_MAP)
        ev = doc_map_getz(envs, c->p.environment);
    if (ev != NULL && ev->type == DOC_MAP)
        rd = doc_map_getz(ev, "root-domain");
    d = rd != NULL && rd->type == DOC_STR ? rd->v.s.ptr : "";
    if (d[0] == '\0') {
        snprintf(out, len, "localhost");
        return 0;
    }
    if (strstr(d, "*.") != NULL && strstr(strstr(d, "*.") + 2, "*.") != NULL)
        return verr_set(e, VALS_EPARSE, "root-domain %s of environment %s has more than one '*.'",
                        d, c->p.environment);
    if (!strncmp(d, "*.", 2))
        snprintf(out, len, "%s%s", c->p.id, d + 1);
    else
        snprintf(out, len, "%s", d);
    return 0;
}

/* The name a key ref stands for: its last path segment, without query or fragment. */
static void key_name(const char *ref, char *out, size_t len)
{
    const char *end = ref + strcspn(ref, "?#"), *start = end;

    while (start > ref && start[-1] != '/')
        start--;
    snprintf(out, len, "%.*s", (int)(end - start), start);
}

/* k3d/onprem: fetch project.spec.sops-age-keys through valsd (one resolve_many). */
static int fetch_age_keys(struct ci *c, struct verr *e)
{
    const struct doc *refs = rmk_project_spec(&c->p, "sops-age-keys");
    const char **scopes = NULL, **rv = NULL;
    size_t ns = 0, n = 0;
    struct vals_client *vc = NULL;
    struct vals_item *items = NULL;
    char *err = NULL, *keydir = NULL;
    int rc = 0, *covered = NULL;

    if (refs == NULL || refs->type != DOC_LIST || refs->v.list.len == 0)
        return 0;
    if ((rc = rmk_project_scopes(&c->p, &scopes, &ns)) != 0)
        return rc;
    rv = calloc(refs->v.list.len + 1, sizeof(char *));
    covered = calloc(ns + 1, sizeof(int));
    keydir = rmk_keys_dir(c->p.tenant);
    if (rv == NULL || covered == NULL || keydir == NULL) {
        rc = VALS_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < refs->v.list.len; i++) {
        const struct doc *r = refs->v.list.items[i];
        char name[256];
        int found = 0;
        if (r->type == DOC_COMMENT)
            continue;
        if (r->type != DOC_STR || strncmp(r->v.s.ptr, "ref+", 4) != 0) {
            rc = verr_set(e, VALS_EPARSE,
                          "project.yaml:%u: sops-age-keys entries must be ref+ "
                          "references",
                          r->line);
            goto out;
        }
        key_name(r->v.s.ptr, name, sizeof(name));
        for (size_t s = 0; s < ns; s++) {
            char want[300];
            snprintf(want, sizeof(want), "%s-%s", c->p.tenant, scopes[s]);
            if (!strcmp(want, name)) {
                if (covered[s]) {
                    rc = verr_set(e, VALS_EPARSE,
                                  "project.yaml: two sops-age-keys refs for scope %s", scopes[s]);
                    goto out;
                }
                covered[s] = 1;
                found = 1;
            }
        }
        if (!found) {
            rc = verr_set(e, VALS_EPARSE,
                          "project.yaml: sops-age-keys ref %s names key \"%s\", which is not "
                          "<tenant>-<scope> for any scope of the project (%s-<scope>)",
                          r->v.s.ptr, name, c->p.tenant);
            goto out;
        }
        rv[n++] = r->v.s.ptr;
    }
    if (n != ns) {
        struct dbuf missing = DBUF_INIT;
        for (size_t s = 0; s < ns; s++)
            if (!covered[s])
                dbuf_printf(&missing, "%s%s", missing.len ? ", " : "", scopes[s]);
        rc = verr_set(e, VALS_EPARSE,
                      "project.yaml has %zu sops-age-keys refs for %zu scopes; scopes without a "
                      "key: %s",
                      n, ns, missing.p ? missing.p : "-");
        dbuf_free(&missing);
        goto out;
    }
    {
        struct vals_client_opts o;
        vals_client_opts_init(&o);
        if ((rc = vals_client_open(&o, &vc, &err)) != 0 ||
            (rc = vals_resolve_many(vc, rv, n, &items, &err)) != 0) {
            rc = verr_set(e, rc, "%s", err != NULL ? err : vals_strerror(rc));
            goto out;
        }
    }
    if ((rc = fsutil_mkdirs(keydir, 0700, e)) != 0)
        goto out;
    chmod(keydir, 0700);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct doc *v = NULL;
        char name[256], path[4400];
        if (items[i].code != 0) {
            rc = verr_set(e, items[i].code, "%s", items[i].error);
            break;
        }
        if (doc_unpack(items[i].value, items[i].len, &v, e) != 0 || v->type != DOC_STR) {
            rc = verr_set(e, VALS_ETYPE, "%s: the key must be a string", rv[i]);
            doc_free(v);
            break;
        }
        if (strstr(v->v.s.ptr, "AGE-SECRET-KEY-1") == NULL) {
            rc = verr_set(e, VALS_EPARSE, "%s: the value has no AGE-SECRET-KEY-1 line", rv[i]);
            doc_free(v);
            break;
        }
        key_name(rv[i], name, sizeof(name));
        snprintf(path, sizeof(path), "%s/%s.txt", keydir, name);
        rc = write_private(path, v->v.s.ptr, v->v.s.len, e);
        if (rc == 0)
            printf("fetched SOPS age key %s -> %s\n", rv[i], path);
        doc_free(v);
    }
out:
    vals_items_free(items, n);
    vals_client_close(vc);
    free(err);
    free(keydir);
    free(covered);
    free(rv);
    free(scopes);
    return rc;
}

static int run(struct ci *c, struct verr *e)
{
    char *path = NULL, rd[512], *keydir = NULL;
    const char *prov;
    struct dbuf out = DBUF_INIT;
    int rc;

    if ((rc = rmk_project_identity(&c->p, e)) != 0)
        return rc;
    if ((rc = rmk_config_load(c->p.id, &c->old, e)) != 0)
        return rc;
    /* persisted settings: flag > environment > existing config */
    for (int i = 0; i < O_COUNT; i++) {
        const struct doc *v;
        if (c->val[i] != NULL || flags[i].cfgkey == NULL || c->old == NULL)
            continue;
        v = doc_map_getz(c->old, flags[i].cfgkey);
        if (v != NULL && v->type == DOC_STR)
            set_owned(c, i, v->v.s.ptr);
        else if (v != NULL && v->type == DOC_BOOL)
            set_owned(c, i, v->v.b ? "true" : "false");
    }
    prov = c->val[O_PROVIDER] != NULL ? c->val[O_PROVIDER] : "k3d";
    c->val[O_PROVIDER] = prov;
    if (strcmp(prov, "aws") != 0 && strcmp(prov, "azure") != 0 && strcmp(prov, "gcp") != 0 &&
        strcmp(prov, "k3d") != 0 && strcmp(prov, "onprem") != 0)
        return verr_set(e, VALS_EUSAGE,
                        "unknown cluster provider \"%s\" (aws, azure, gcp, k3d, "
                        "onprem)",
                        prov);
    if (c->val[O_SLACK] != NULL && !strcmp(c->val[O_SLACK], "true") &&
        (c->val[O_SLACK_WEBHOOK] == NULL || c->val[O_SLACK_CHANNEL] == NULL))
        return verr_set(e, VALS_EUSAGE,
                        "--slack-notifications needs --slack-webhook and --slack-channel");
    if ((rc = rmk_project_load(&c->p, e)) != 0) {
        if (rc == VALS_ENOT_FOUND)
            verr_set(e, rc, "project.yaml not found in %s; run 'rmk project generate' first",
                     c->p.root);
        return rc;
    }
    if ((rc = root_domain(c, rd, sizeof(rd), e)) != 0)
        return rc;
    keydir = rmk_keys_dir(c->p.tenant);
    c->cfg = doc_map();
    if (keydir == NULL || c->cfg == NULL)
        return VALS_ENOMEM;
    if (set_str(c->cfg, "name", c->p.id) || set_str(c->cfg, "tenant", c->p.tenant) ||
        set_str(c->cfg, "environment", c->p.environment) || set_str(c->cfg, "root-domain", rd) ||
        set_str(c->cfg, "cluster-provider", prov) || set_str(c->cfg, "sops-age-keys", keydir) ||
        doc_map_set(
            c->cfg, "progress-bar",
            doc_bool(c->val[O_PROGRESS] == NULL || strcmp(c->val[O_PROGRESS], "false") != 0)) ||
        doc_map_set(c->cfg, "slack-notifications",
                    doc_bool(c->val[O_SLACK] != NULL && !strcmp(c->val[O_SLACK], "true")))) {
        free(keydir);
        return VALS_ENOMEM;
    }
    free(keydir);
    for (int i = 0; i < O_COUNT; i++)
        if (flags[i].cfgkey != NULL && !is_bool_flag(i) && i != O_PROVIDER && c->val[i] != NULL &&
            c->val[i][0] != '\0' && set_str(c->cfg, flags[i].cfgkey, c->val[i]))
            return VALS_ENOMEM;
    if (!strcmp(prov, "aws"))
        rc = provider_aws(c, e);
    else if (!strcmp(prov, "azure"))
        rc = provider_azure(c, e);
    else if (!strcmp(prov, "gcp"))
        rc = provider_gcp(c, e);
    else if (!strcmp(prov, "onprem"))
        rc = provider_onprem(c, e);
    if (rc != 0)
        return rc;
    if (!strcmp(prov, "k3d") || !strcmp(prov, "onprem"))
        if ((rc = fetch_age_keys(c, e)) != 0)
            return rc;
    path = rmk_config_path(c->p.id);
    if (path == NULL)
        return VALS_ENOMEM;
    if ((rc = doc_emit_yaml(c->cfg, &out, 0)) == 0 &&
        (rc = write_private(path, out.p, out.len, e)) == 0)
        printf("RMK config initialized: %s (cluster provider %s)\n", path, prov);
    dbuf_free(&out);
    free(path);
    return rc;
}

static int cmd_config_init_exec(int argc, char **argv)
{
    struct option lopts[2 * O_COUNT + 1];
    struct ci c;
    struct verr e = {0};
    int ch, rc, n = 0;

    memset(&c, 0, sizeof(c));
    for (int i = 0; i < O_COUNT; i++) {
        int arg = is_bool_flag(i) ? optional_argument : required_argument;
        lopts[n++] = (struct option){flags[i].name, arg, NULL, 1000 + i};
        lopts[n++] = (struct option){flags[i].alias, arg, NULL, 1000 + i};
    }
    lopts[n] = (struct option){NULL, 0, NULL, 0};
    optind = 1;
    while ((ch = getopt_long_only(argc, argv, "", lopts, NULL)) != -1) {
        if (ch < 1000 || ch >= 1000 + O_COUNT)
            return CMD_EXIT_USAGE;
        c.given[ch - 1000] = 1;
        c.val[ch - 1000] = is_bool_flag(ch - 1000) ? (optarg != NULL ? optarg : "true") : optarg;
    }
    if (optind != argc) {
        cmd_error(&cmd_config_init_entry, "unexpected argument \"%s\"", argv[optind]);
        return CMD_EXIT_USAGE;
    }
    for (int i = 0; i < O_COUNT; i++)
        for (int k = 0; k < 3 && c.val[i] == NULL && flags[i].env[k] != NULL; k++)
            if (getenv(flags[i].env[k]) != NULL && getenv(flags[i].env[k])[0] != '\0')
                c.val[i] = getenv(flags[i].env[k]);
    rc = run(&c, &e);
    if (rc != 0)
        cmd_error(&cmd_config_init_entry, "%s", verr_text(&e));
    for (int i = 0; i < O_COUNT; i++)
        secure_free_str(c.owned[i]);
    doc_free(c.old);
    doc_free(c.cfg);
    rmk_project_free(&c.p);
    return rc == 0 ? CMD_EXIT_OK : rc == VALS_EUSAGE ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
}

const struct cmd_entry cmd_config_init_entry = {
    .name = "config init",
    .alias = "config i",
    .usage = "[--cluster-provider aws|azure|gcp|k3d|onprem] [provider flags]",
    .help = "Initialize the RMK configuration of this project and environment.",
    .details = "Writes ~/.rmk/config/<ID>.yaml and the active provider's credential files (mode\n"
               "0600, directories 0700); <ID> comes from the git repository (tenant + branch).\n"
               "The active provider's credentials become the context rmk sends to valsd for\n"
               "fetchSecretValue, winning over exported variables.\n\n"
               "  --cluster-provider, --cp  aws|azure|gcp|k3d|onprem ($RMK_CLUSTER_PROVIDER; "
               "default k3d)\n"
               "  --github-token, --ght     ($RMK_GITHUB_TOKEN)\n"
               "  --progress-bar, -p        [=false]\n"
               "  --slack-notifications, -n; --slack-webhook, --sw; --slack-channel, --sc;\n"
               "  --slack-message-details, --smd\n"
               "  aws:    --aws-access-key-id/--awid, --aws-secret-access-key/--awsk,\n"
               "          --aws-session-token/--awst, --aws-region/--awr (RMK_AWS_*, AWS_*)\n"
               "          -> ~/.aws/config_<ID>, ~/.aws/credentials_<ID>\n"
               "  azure:  --azure-client-id/--azid, --azure-client-secret/--azp,\n"
               "          --azure-tenant-id/--azt, --azure-subscription-id/--azs,\n"
               "          --azure-location/--azl, --azure-key-vault-resource-group-name/--azkvrg,\n"
               "          --azure-service-principle/--azsp (read az's JSON from stdin)\n"
               "          -> ~/.azure/service-principal-credentials_<ID>.json\n"
               "  gcp:    --gcp-region/--gr, --google-application-credentials/--gac\n"
               "          -> ~/.config/gcloud/gcp-credentials-<ID>.json\n"
               "  onprem: --onprem-ssh-init-server-host/--opsish, --onprem-ssh-user/--opsu,\n"
               "          --onprem-ssh-private-key/--opspk (copied to ~/.ssh/)\n\n"
               "For k3d and onprem, every ref in project.spec.sops-age-keys is resolved through\n"
               "valsd (with your exported credentials) and written to\n"
               "~/.rmk/sops-age-keys/<tenant>/<name>.txt; there must be one per scope, named\n"
               "<tenant>-<scope>.\n\n"
               "Not done here (they need the cloud): AWS MFA sessions, creating Azure key vaults,\n"
               "downloading keys from the provider's secret store, and resolving upstream\n"
               "dependencies and tools.\n",
    .exec = cmd_config_init_exec,
};
