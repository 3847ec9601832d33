/*
 * cmd-secret-keys-create.c - "rmk secret keys create": one age key per scope in
 * ~/.rmk/sops-age-keys/<tenant>/<tenant>-<scope>.txt (file 0600, directory 0700), and each
 * scope's .sops.yaml gets that recipient, merged with the rules already there.
 * Idempotent: an existing key is kept and reused; a recipient already present is not added
 * twice.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "lib/age.h"
#include "lib/fsutil.h"
#include "lib/local_refs.h"
#include "rmk-keys.h"
#include "rmk-project.h"

/* Load the scope's key, or create it (0600) when missing. */
int rmk_key_for_scope(const char *keydir, const char *tenant, const char *scope,
                      struct age_recipient *rcpt, int *created, struct verr *e)
{
    char path[4096];
    struct dbuf b = DBUF_INIT;
    struct age_identity *ids = NULL, id;
    size_t n = 0;
    int rc;

    *created = 0;
    snprintf(path, sizeof(path), "%s/%s-%s.txt", keydir, tenant, scope);
    if (fsutil_exists(path)) {
        if ((rc = local_read_file(path, 1u << 20, &b, e)) != 0)
            goto out;
        if ((rc = age_identities_parse(b.p, b.len, path, &ids, &n, e)) != 0)
            goto out;
        if (n == 0) {
            rc = verr_set(e, VALS_ENOKEY, "%s holds no AGE-SECRET-KEY-1 line", path);
            goto out;
        }
        age_identity_recipient(&ids[0], rcpt);
        goto out;
    }
    if ((rc = age_identity_generate(&id)) != 0) {
        rc = verr_set(e, rc, "cannot generate an age key");
        goto out;
    }
    rc = age_identity_file_format(&id, &b);
    age_identity_recipient(&id, rcpt);
    age_identity_clear(&id);
    if (rc == 0)
        rc = fsutil_create_exclusive(path, b.p, b.len, 0600, e);
    if (rc == 0)
        *created = 1;
out:
    age_identities_free(ids, n);
    dbuf_free(&b);
    return rc;
}

/* Does a comma-separated recipient list contain r? */
static int list_has(const char *list, const char *r)
{
    size_t rl = strlen(r);

    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\n')
            p++;
        size_t n = strcspn(p, ", \n");
        if (n == rl && !strncmp(p, r, rl))
            return 1;
        p += n;
    }
    return 0;
}

/* Add r to a rule's age recipients (string list or the first key group). 1 if changed. */
static int rule_add(struct doc *rule, const char *r, int *changed)
{
    struct doc *age = doc_map_getz(rule, "age"), *groups = doc_map_getz(rule, "key_groups");
    char buf[8192];

    if (groups != NULL && groups->type == DOC_LIST) {
        for (size_t i = 0; i < groups->v.list.len; i++) {
            struct doc *g = groups->v.list.items[i], *ga;
            if (g->type != DOC_MAP || (ga = doc_map_getz(g, "age")) == NULL || ga->type != DOC_LIST)
                continue;
            for (size_t k = 0; k < ga->v.list.len; k++)
                if (ga->v.list.items[k]->type == DOC_STR &&
                    list_has(ga->v.list.items[k]->v.s.ptr, r))
                    return 0;
        }
        for (size_t i = 0; i < groups->v.list.len; i++) {
            struct doc *g = groups->v.list.items[i], *ga;
            if (g->type != DOC_MAP)
                continue;
            if ((ga = doc_map_getz(g, "age")) == NULL) {
                struct doc *l = doc_list();
                if (l == NULL || doc_list_push(l, doc_strz(r)) != 0 ||
                    doc_map_set(g, "age", l) != 0)
                    return VALS_ENOMEM;
            } else if (ga->type == DOC_LIST) {
                if (doc_list_push(ga, doc_strz(r)) != 0)
                    return VALS_ENOMEM;
            } else {
                continue;
            }
            *changed = 1;
            return 0;
        }
    }
    if (age != NULL && age->type == DOC_STR) {
        if (list_has(age->v.s.ptr, r))
            return 0;
        snprintf(buf, sizeof(buf), "%s%s%s", age->v.s.ptr, age->v.s.len ? "," : "", r);
        *changed = 1;
        return doc_str_set(age, buf, strlen(buf));
    }
    if (age != NULL && age->type == DOC_LIST) {
        for (size_t k = 0; k < age->v.list.len; k++)
            if (age->v.list.items[k]->type == DOC_STR && list_has(age->v.list.items[k]->v.s.ptr, r))
                return 0;
        *changed = 1;
        return doc_list_push(age, doc_strz(r));
    }
    *changed = 1;
    return doc_map_set(rule, "age", doc_strz(r));
}

int rmk_sops_config_add_recipient(const char *path, const char *recipient, int *changed,
                                  struct verr *e)
{
    struct dbuf b = DBUF_INIT, out = DBUF_INIT;
    struct doc_stream st = {0};
    struct doc *root = NULL, *rules;
    int rc = 0;

    *changed = 0;
    if (fsutil_exists(path)) {
        if ((rc = local_read_file(path, 1u << 20, &b, e)) != 0 ||
            (rc = doc_parse_yaml(b.p, b.len, path, DOC_YAML_COMMENTS, &st, e)) != 0)
            goto out;
        if (st.len > 0 && st.docs[0]->type == DOC_MAP) {
            root = st.docs[0];
            st.docs[0] = NULL;
        } else if (st.len > 0 && st.docs[0]->type != DOC_NULL) {
            rc = verr_set(e, VALS_EPARSE, "%s: expected a map with creation_rules", path);
            goto out;
        }
    }
    if (root == NULL && (root = doc_map()) == NULL) {
        rc = VALS_ENOMEM;
        goto out;
    }
    rules = doc_map_getz(root, "creation_rules");
    if (rules == NULL || rules->type == DOC_NULL) {
        if ((rc = doc_map_set(root, "creation_rules", doc_list())) != 0)
            goto out;
        rules = doc_map_getz(root, "creation_rules");
    }
    if (rules == NULL || rules->type != DOC_LIST) {
        rc = verr_set(e, VALS_EPARSE, "%s:%u: creation_rules must be a list", path,
                      rules != NULL ? rules->line : 0);
        goto out;
    }
    rules->style = DOC_STYLE_ANY;
    {
        size_t nrules = 0;
        for (size_t i = 0; i < rules->v.list.len && rc == 0; i++) {
            struct doc *rule = rules->v.list.items[i];
            if (rule->type != DOC_MAP)
                continue;
            nrules++;
            rc = rule_add(rule, recipient, changed);
        }
        if (rc == 0 && nrules == 0) {
            struct doc *rule = doc_map();
            if (rule == NULL || doc_map_set(rule, "path_regex", doc_strz(".+\\.yaml$")) != 0 ||
                doc_map_set(rule, "age", doc_strz(recipient)) != 0 ||
                doc_list_push(rules, rule) != 0) {
                rc = VALS_ENOMEM;
                goto out;
            }
            *changed = 1;
        }
    }
    if (rc != 0 || !*changed)
        goto out;
    if ((rc = doc_emit_yaml(root, &out, 0)) != 0)
        goto out;
    rc =
        fsutil_write_atomic(path, out.p, out.len, fsutil_exists(path) ? FSUTIL_KEEP_MODE : 0644, e);
out:
    doc_free(root);
    doc_stream_free(&st);
    dbuf_free(&b);
    dbuf_free(&out);
    return rc;
}

int rmk_keys_create(const struct rmk_project *p, struct verr *e)
{
    char etc[4096], *keydir = rmk_keys_dir(p->tenant);
    DIR *d = NULL;
    struct dirent *de;
    int rc = 0;

    if (keydir == NULL)
        return verr_set(e, VALS_EUSAGE, "HOME is not set");
    snprintf(etc, sizeof(etc), "%s/etc", p->root);
    if (!fsutil_is_dir(etc)) {
        rc = verr_set(e, VALS_ENOT_FOUND,
                      "'etc' directory does not exist in %s; generate the "
                      "structure with 'rmk project generate'",
                      p->root);
        goto out;
    }
    if ((rc = fsutil_mkdirs(keydir, 0700, e)) != 0)
        goto out;
    chmod(keydir, 0700);
    if ((d = opendir(etc)) == NULL) {
        rc = verr_set(e, VALS_EIO, "cannot read %s", etc);
        goto out;
    }
    while ((de = readdir(d)) != NULL && rc == 0) {
        char sdir[4400], rstr[AGE_RECIPIENT_STRLEN + 1];
        struct age_recipient rcpt;
        struct rmk_project scope_proj = *p;
        char **dirs = NULL;
        size_t ndirs = 0;
        int created;
        const char *scope = de->d_name;

        snprintf(sdir, sizeof(sdir), "%s/%s", etc, scope);
        if (scope[0] == '.' || strstr(scope, "cluster") != NULL || !fsutil_is_dir(sdir))
            continue;
        if ((rc = rmk_key_for_scope(keydir, p->tenant, scope, &rcpt, &created, e)) != 0)
            break;
        age_recipient_format(&rcpt, rstr);
        printf("%s key for scope %s: %s/%s-%s.txt (%s)\n", created ? "created" : "reusing", scope,
               keydir, p->tenant, scope, rstr);
        /* the scope's secrets dirs with a .sops.yaml, else those with a spec */
        {
            const char *sc[1] = {scope};
            rc =
                rmk_select_secret_dirs(&scope_proj, ".sops.yaml", sc, 1, NULL, 0, &dirs, &ndirs, e);
            if (rc == 0 && ndirs == 0)
                rc = rmk_select_secret_dirs(&scope_proj, ".spec.yaml.gotmpl", sc, 1, NULL, 0, &dirs,
                                            &ndirs, e);
        }
        for (size_t i = 0; i < ndirs && rc == 0; i++) {
            char path[4200];
            int changed = 0;
            snprintf(path, sizeof(path), "%s/.sops.yaml", dirs[i]);
            rc = rmk_sops_config_add_recipient(path, rstr, &changed, e);
            if (rc == 0 && changed)
                printf("update SOPS config file: %s\n", path);
        }
        rmk_strv_free(dirs, ndirs);
    }
out:
    if (d != NULL)
        closedir(d);
    free(keydir);
    return rc;
}

static int cmd_secret_keys_create_exec(int argc, char **argv)
{
    struct rmk_project p;
    struct verr e = {0};
    int rc;

    (void)argv;
    if (argc != 1) {
        cmd_error(&cmd_secret_keys_create_entry, "takes no arguments");
        return CMD_EXIT_USAGE;
    }
    if ((rc = rmk_project_identity(&p, &e)) == 0)
        rc = rmk_keys_create(&p, &e);
    if (rc != 0)
        cmd_error(&cmd_secret_keys_create_entry, "%s", verr_text(&e));
    rmk_project_free(&p);
    return rc == 0 ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}

const struct cmd_entry cmd_secret_keys_create_entry = {
    .name = "secret keys create",
    .alias = "secret k c",
    .usage = "",
    .help = "Create one age key per scope and add its recipient to the scope's .sops.yaml.",
    .details = "Keys are written to ~/.rmk/sops-age-keys/<tenant>/<tenant>-<scope>.txt (mode\n"
               "0600, directory 0700). An existing key is kept and reused; each scope's\n"
               ".sops.yaml keeps its rules and gains the recipient where it is missing.\n"
               "Scopes are the directories of etc/ whose name does not contain 'cluster'.\n",
    .exec = cmd_secret_keys_create_exec,
};
