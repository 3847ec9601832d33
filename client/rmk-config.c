/*
 * rmk-config.c - the RMK config file and the active provider's credential context
 * (see rmk-config.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dbuf.h"
#include "lib/fsutil.h"
#include "lib/local_refs.h"
#include "rmk-config.h"

char *rmk_config_path(const char *id)
{
    char rel[512];

    snprintf(rel, sizeof(rel), ".rmk/config/%s.yaml", id);
    return fsutil_home_path(rel);
}

int rmk_config_load(const char *id, struct doc **cfg, struct verr *e)
{
    char *path = rmk_config_path(id);
    struct dbuf b = DBUF_INIT;
    struct doc_stream st = {0};
    int rc = 0;

    *cfg = NULL;
    if (path == NULL)
        return verr_set(e, VALS_EUSAGE, "HOME is not set");
    if (!fsutil_exists(path))
        goto out;
    if ((rc = local_read_file(path, 1u << 20, &b, e)) != 0 ||
        (rc = doc_parse_yaml(b.p, b.len, path, 0, &st, e)) != 0)
        goto out;
    if (st.len == 1 && st.docs[0]->type == DOC_MAP) {
        *cfg = st.docs[0];
        st.docs[0] = NULL;
    } else {
        rc = verr_set(e, VALS_EPARSE, "%s: expected a map", path);
    }
out:
    doc_stream_free(&st);
    dbuf_free(&b);
    free(path);
    return rc;
}

int rmk_env_add(struct rmk_env *env, const char *name, const char *value)
{
    char **n, **v;

    for (size_t i = 0; i < env->n; i++) {
        if (!strcmp(env->names[i], name)) {
            char *nv = strdup(value);
            if (nv == NULL)
                return VALS_ENOMEM;
            secure_free_str(env->values[i]);
            env->values[i] = nv;
            return 0;
        }
    }
    n = realloc(env->names, (env->n + 1) * sizeof(char *));
    if (n == NULL)
        return VALS_ENOMEM;
    env->names = n;
    v = realloc(env->values, (env->n + 1) * sizeof(char *));
    if (v == NULL)
        return VALS_ENOMEM;
    env->values = v;
    env->names[env->n] = strdup(name);
    env->values[env->n] = strdup(value);
    if (env->names[env->n] == NULL || env->values[env->n] == NULL) {
        free(env->names[env->n]);
        free(env->values[env->n]);
        return VALS_ENOMEM;
    }
    env->n++;
    return 0;
}

void rmk_env_free(struct rmk_env *env)
{
    for (size_t i = 0; i < env->n; i++) {
        free(env->names[i]);
        secure_free_str(env->values[i]);
    }
    free(env->names);
    free(env->values);
    memset(env, 0, sizeof(*env));
}

static const char *cfg_str(const struct doc *m, const char *key)
{
    const struct doc *v = m != NULL && m->type == DOC_MAP ? doc_map_getz(m, key) : NULL;

    return v != NULL && v->type == DOC_STR ? v->v.s.ptr : NULL;
}

/* Add the keys of INI section [section] of `path` as env pairs named by `map`. */
static int ini_env(const char *path, const char *section, const char *const (*map)[2],
                   struct rmk_env *env, struct verr *e)
{
    struct dbuf b = DBUF_INIT;
    int rc, in = 0;
    char *save = NULL;

    if ((rc = local_read_file(path, 1u << 20, &b, e)) != 0)
        return rc;
    for (char *line = strtok_r(b.p, "\n", &save); line != NULL && rc == 0;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq, *k, *v, *end;
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '[') {
            end = strchr(line, ']');
            in = end != NULL && (size_t)(end - line - 1) == strlen(section) &&
                 !strncmp(line + 1, section, strlen(section));
            continue;
        }
        if (!in || (eq = strchr(line, '=')) == NULL)
            continue;
        *eq = '\0';
        k = line;
        v = eq + 1;
        for (end = eq - 1; end >= k && (*end == ' ' || *end == '\t'); end--)
            *end = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
        for (end = v + strlen(v) - 1; end >= v && (*end == ' ' || *end == '\r'); end--)
            *end = '\0';
        for (size_t i = 0; map[i][0] != NULL; i++)
            if (!strcmp(map[i][0], k))
                rc = rmk_env_add(env, map[i][1], v);
    }
    dbuf_free(&b);
    return rc;
}

int rmk_provider_env(const struct doc *cfg, struct rmk_env *env, struct verr *e)
{
    const char *provider = cfg_str(cfg, "cluster-provider");
    int rc = 0;

    memset(env, 0, sizeof(*env));
    if (provider == NULL)
        return 0;
    if (!strcmp(provider, "aws")) {
        static const char *const keys[][2] = {{"aws_access_key_id", "AWS_ACCESS_KEY_ID"},
                                              {"aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"},
                                              {"aws_session_token", "AWS_SESSION_TOKEN"},
                                              {NULL, NULL}};
        const struct doc *aws = doc_map_getz(cfg, "aws");
        const char *creds = cfg_str(aws, "credentials-source"),
                   *conf = cfg_str(aws, "config-source");
        const char *profile = cfg_str(aws, "profile"), *region = cfg_str(aws, "region");
        if (creds != NULL && profile != NULL)
            rc = ini_env(creds, profile, keys, env, e);
        if (rc == 0 && region != NULL)
            rc = rmk_env_add(env, "AWS_REGION", region);
        if (rc == 0 && profile != NULL)
            rc = rmk_env_add(env, "AWS_PROFILE", profile);
        if (rc == 0 && conf != NULL)
            rc = rmk_env_add(env, "AWS_CONFIG_FILE", conf);
        if (rc == 0 && creds != NULL)
            rc = rmk_env_add(env, "AWS_SHARED_CREDENTIALS_FILE", creds);
    } else if (!strcmp(provider, "azure")) {
        const char *sp = cfg_str(doc_map_getz(cfg, "azure"), "service-principal");
        struct dbuf b = DBUF_INIT;
        struct doc *j = NULL;
        static const char *const keys[][2] = {{"client-id", "AZURE_CLIENT_ID"},
                                              {"client-secret", "AZURE_CLIENT_SECRET"},
                                              {"tenant-id", "AZURE_TENANT_ID"},
                                              {"subscription-id", "AZURE_SUBSCRIPTION_ID"},
                                              {"location", "AZURE_LOCATION"}};
        if (sp != NULL && (rc = local_read_file(sp, 1u << 20, &b, e)) == 0 &&
            (rc = doc_parse_json(b.p, b.len, sp, &j, e)) == 0) {
            for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && rc == 0; i++)
                if (cfg_str(j, keys[i][0]) != NULL)
                    rc = rmk_env_add(env, keys[i][1], cfg_str(j, keys[i][0]));
        }
        doc_free(j);
        dbuf_free(&b);
    } else if (!strcmp(provider, "gcp")) {
        const struct doc *gcp = doc_map_getz(cfg, "gcp");
        const char *path = cfg_str(gcp, "app-credentials-path"), *region = cfg_str(gcp, "region");
        if (path != NULL)
            rc = rmk_env_add(env, "GOOGLE_APPLICATION_CREDENTIALS", path);
        if (rc == 0 && region != NULL)
            rc = rmk_env_add(env, "GCP_REGION", region);
    }
    if (rc != 0)
        rmk_env_free(env);
    return rc;
}
