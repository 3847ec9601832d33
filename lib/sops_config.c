/*
 * sops_config.c - .sops.yaml (sops-age.md §3): the first creation rule whose path_regex
 * (an unanchored RE2-style regex, run with PCRE2) matches the file's path relative to the
 * config's directory decides the recipients and the selection rule.  Recipients come from
 * `age` (a comma-separated string or a list) as one key group, or from key_groups (each
 * group's age entries, themselves possibly comma-separated) with shamir_threshold.  Also read:
 * the selection rule (at most one), mac_only_encrypted, stores.{yaml,json,json_binary}.indent.
 * The config is found by walking up from the file's directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "sops_int.h"

#define CONFIG_NAME ".sops.yaml"
#define CONFIG_MAX  (1u << 20)

static const char *const unsupported_kinds[] = {
    "pgp", "kms", "gcp_kms", "azure_keyvault", "hc_vault_transit_uri", "hckms", "hc_vault"};

/* Whether `re` finds a match in `s`. 1, 0, or <0 for a bad regex. */
static int regex_search(const char *re, const char *s, char *err, size_t errlen)
{
    int ec, r;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
                                     PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off, NULL);
    pcre2_match_data *md;

    if (code == NULL) {
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)err, errlen);
        return -1;
    }
    md = pcre2_match_data_create_from_pattern(code, NULL);
    r = md != NULL && pcre2_match(code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL) >= 0;
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    return r;
}

/* Add the age recipients of `v` (string "a, b" or list of such strings) to `group`. */
static int add_age(struct sops_create *c, size_t group, const struct doc *v, const char *name,
                   size_t rule, struct verr *e)
{
    int r = 0;

    if (v == NULL || v->type == DOC_NULL)
        return 0;
    if (v->type == DOC_STR)
        r = sops_create_add_age(c, group, v->v.s.ptr, v->v.s.len, e);
    else if (v->type == DOC_LIST) {
        for (size_t i = 0; i < v->v.list.len && r == 0; i++) {
            const struct doc *it = v->v.list.items[i];
            if (it->type == DOC_COMMENT)
                continue;
            if (it->type != DOC_STR)
                return verr_set(e, VALS_EPARSE,
                                "%s: creation_rules[%zu]: age entries must be "
                                "strings",
                                name, rule);
            r = sops_create_add_age(c, group, it->v.s.ptr, it->v.s.len, e);
        }
    } else {
        return verr_set(e, VALS_EPARSE, "%s: creation_rules[%zu]: age must be a string or list",
                        name, rule);
    }
    if (r != 0 && r != VALS_ENOMEM)
        verr_prefix(e, "%s: creation_rules[%zu]", name, rule);
    return r;
}

/* Reject master-key kinds we cannot encrypt to. */
static int check_kinds(const struct doc *m, const char *name, size_t rule, struct verr *e)
{
    for (size_t k = 0; k < sizeof(unsupported_kinds) / sizeof(unsupported_kinds[0]); k++) {
        const struct doc *v = doc_map_getz(m, unsupported_kinds[k]);
        if (v != NULL && !(v->type == DOC_NULL || (v->type == DOC_STR && v->v.s.len == 0) ||
                           (v->type == DOC_LIST && v->v.list.len == 0)))
            return verr_set(e, VALS_EUSAGE,
                            "%s: creation_rules[%zu] uses %s keys; only age is supported", name,
                            rule, unsupported_kinds[k]);
    }
    return 0;
}

/* stores.<kind>.indent */
static void store_indent(const struct doc *root, const char *kind, int *out)
{
    const struct doc *s = doc_map_getz(root, "stores"), *k, *i;

    if (s == NULL || s->type != DOC_MAP || (k = doc_map_getz(s, kind)) == NULL ||
        k->type != DOC_MAP || (i = doc_map_getz(k, "indent")) == NULL || i->type != DOC_INT)
        return;
    *out = (int)i->v.i;
}

/* Fill `c` from creation rule number `idx`. */
static int fill_rule(const struct doc *rl, const char *name, size_t idx, struct sops_create *c,
                     struct verr *e)
{
    const struct doc *kg = doc_map_getz(rl, "key_groups"), *v;
    int r = 0, nrules = 0;

    if (kg != NULL && kg->type == DOC_LIST && kg->v.list.len > 0) {
        size_t g = 0;
        for (size_t i = 0; i < kg->v.list.len && r == 0; i++) {
            const struct doc *grp = kg->v.list.items[i];
            if (grp->type == DOC_COMMENT)
                continue;
            if (grp->type != DOC_MAP)
                return verr_set(e, VALS_EPARSE,
                                "%s: creation_rules[%zu].key_groups[%zu] must "
                                "be a mapping",
                                name, idx, i);
            if ((r = check_kinds(grp, name, idx, e)) != 0)
                return r;
            r = add_age(c, g, doc_map_getz(grp, "age"), name, idx, e);
            if (r == 0 && (g >= c->ngroups || c->groups[g].nage == 0))
                return verr_set(e, VALS_EUSAGE,
                                "%s: creation_rules[%zu].key_groups[%zu] has no "
                                "age recipient",
                                name, idx, i);
            g++;
        }
    } else {
        if ((r = check_kinds(rl, name, idx, e)) != 0)
            return r;
        r = add_age(c, 0, doc_map_getz(rl, "age"), name, idx, e);
    }
    if (r != 0)
        return r;
    if (c->ngroups == 0 || c->groups[0].nage == 0)
        return verr_set(e, VALS_EUSAGE, "%s: creation_rules[%zu] has no age recipients", name, idx);
    v = doc_map_getz(rl, "shamir_threshold");
    if (v != NULL && v->type == DOC_INT)
        c->shamir_threshold = (int)v->v.i;
    for (int k = SOPS_RULE_UNENCRYPTED_SUFFIX; k <= SOPS_RULE_ENCRYPTED_COMMENT_REGEX; k++) {
        v = doc_map_getz(rl, sops_rule_name((enum sops_rule)k));
        if (v == NULL || v->type == DOC_NULL)
            continue;
        if (v->type != DOC_STR)
            return verr_set(e, VALS_EPARSE, "%s: creation_rules[%zu].%s must be a string", name,
                            idx, sops_rule_name((enum sops_rule)k));
        if (++nrules > 1)
            return verr_set(e, VALS_EPARSE,
                            "%s: creation_rules[%zu] sets more than one of "
                            "unencrypted_suffix, encrypted_suffix, "
                            "unencrypted_regex, encrypted_regex and the comment "
                            "regexes",
                            name, idx);
        c->rule = (enum sops_rule)k;
        if ((c->rule_value = strdup(v->v.s.ptr)) == NULL)
            return VALS_ENOMEM;
    }
    v = doc_map_getz(rl, "mac_only_encrypted");
    c->mac_only_encrypted = v != NULL && v->type == DOC_BOOL && v->v.b;
    return 0;
}

int sops_config_parse(const char *buf, size_t len, const char *name, const char *rel_path,
                      struct sops_create *c, struct verr *e)
{
    struct doc_stream s;
    const struct doc *root, *rules;
    int r;

    sops_create_init(c);
    if ((r = doc_parse_yaml(buf, len, name, 0, &s, e)) != 0)
        return r;
    root = s.len > 0 ? s.docs[0] : NULL;
    if (root == NULL || root->type != DOC_MAP) {
        r = verr_set(e, VALS_EPARSE, "%s: not a mapping", name);
        goto out;
    }
    store_indent(root, "yaml", &c->yaml_indent);
    store_indent(root, "json", &c->json_indent);
    store_indent(root, "json_binary", &c->binary_indent);
    if (c->yaml_indent < 2 || c->yaml_indent > 9) {
        r = verr_set(e, VALS_EPARSE, "%s: stores.yaml.indent must be between 2 and 9", name);
        goto out;
    }
    rules = doc_map_getz(root, "creation_rules");
    if (rules == NULL || rules->type != DOC_LIST || rules->v.list.len == 0) {
        r = verr_set(e, VALS_EPARSE, "%s: no creation_rules", name);
        goto out;
    }
    for (size_t i = 0; i < rules->v.list.len; i++) {
        const struct doc *rl = rules->v.list.items[i], *pr;
        char err[160];
        int m = 1;
        if (rl->type == DOC_COMMENT)
            continue;
        if (rl->type != DOC_MAP) {
            r = verr_set(e, VALS_EPARSE, "%s: creation_rules[%zu] must be a mapping", name, i);
            goto out;
        }
        pr = doc_map_getz(rl, "path_regex");
        if (pr != NULL && pr->type == DOC_STR && pr->v.s.len > 0) {
            m = regex_search(pr->v.s.ptr, rel_path, err, sizeof(err));
            if (m < 0) {
                r = verr_set(e, VALS_EPARSE, "%s: creation_rules[%zu].path_regex: %s", name, i,
                             err);
                goto out;
            }
        }
        if (m) {
            r = fill_rule(rl, name, i, c, e);
            goto out;
        }
    }
    r = verr_set(e, VALS_EPARSE, "%s: no creation rule matches %s", name, rel_path);
out:
    doc_stream_free(&s);
    if (r != 0)
        sops_create_clear(c);
    return r;
}

int sops_config_for_file(const char *file_path, struct sops_create *c, char **config_path,
                         struct verr *e)
{
    char dir[PATH_MAX], abs[PATH_MAX], cfg[PATH_MAX + 16];
    const char *slash = strrchr(file_path, '/'), *base = slash != NULL ? slash + 1 : file_path;
    struct dbuf text = DBUF_INIT;
    size_t dlen;
    FILE *f;
    int r;

    sops_create_init(c);
    if (config_path != NULL)
        *config_path = NULL;
    snprintf(cfg, sizeof(cfg), "%.*s", slash != NULL ? (int)(slash - file_path) : 1,
             slash != NULL ? file_path : ".");
    if (slash == file_path)
        snprintf(cfg, sizeof(cfg), "/");
    if (realpath(cfg, dir) == NULL)
        return verr_set(e, VALS_ENOT_FOUND, "%s: %s", cfg, strerror(errno));
    snprintf(abs, sizeof(abs), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, base);
    for (int level = 0; level < 100; level++) {
        struct stat st;
        snprintf(cfg, sizeof(cfg), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, CONFIG_NAME);
        if (stat(cfg, &st) == 0 && S_ISREG(st.st_mode))
            break;
        cfg[0] = '\0';
        if (strcmp(dir, "/") == 0)
            break;
        *strrchr(dir, '/') = '\0';
        if (dir[0] == '\0')
            snprintf(dir, sizeof(dir), "/");
    }
    if (cfg[0] == '\0')
        return verr_set(e, VALS_ENOT_FOUND, "no %s found above %s", CONFIG_NAME, file_path);
    if ((f = fopen(cfg, "r")) == NULL)
        return verr_set(e, VALS_EIO, "%s: %s", cfg, strerror(errno));
    dbuf_init(&text, CONFIG_MAX);
    for (;;) {
        char buf[4096];
        size_t n = fread(buf, 1, sizeof(buf), f);
        if (n == 0)
            break;
        if ((r = dbuf_add(&text, buf, n)) != 0) {
            fclose(f);
            dbuf_free(&text);
            return verr_set(e, r, "%s: too large", cfg);
        }
    }
    fclose(f);
    dlen = strlen(dir);
    r = sops_config_parse(text.p != NULL ? text.p : "", text.len, cfg,
                          strncmp(abs, dir, dlen) == 0 && abs[dlen] == '/' ? abs + dlen + 1
                          : strcmp(dir, "/") == 0                          ? abs + 1
                                                                           : abs,
                          c, e);
    dbuf_free(&text);
    if (r == 0 && config_path != NULL && (*config_path = strdup(cfg)) == NULL) {
        sops_create_clear(c);
        return VALS_ENOMEM;
    }
    return r;
}
