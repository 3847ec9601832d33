/*
 * sops_meta.c - the "sops" metadata block (sops-age.md §2.6, §2.10).
 *
 * Reading: age entries (recipient + armored enc) at top level or in key_groups, the other
 * master-key kinds (pgp, kms, gcp_kms, azure_kv, hc_vault, hckms) counted and kept as read,
 * shamir_threshold, lastmodified (RFC 3339), mac, exactly one selection rule,
 * mac_only_encrypted and a semver version.  The block as read is kept, so writing a file back
 * keeps its layout (field order, empty lists, version) and only lastmodified and mac change.
 * A new file gets sops 3.10's layout: age (or key_groups), lastmodified, mac, the rule,
 * mac_only_encrypted when set, version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_yaml.h"
#include "sops_int.h"

static const char *const rule_names[] = {
    "unencrypted_suffix",      "unencrypted_suffix", "encrypted_suffix",
    "unencrypted_regex",       "encrypted_regex",    "unencrypted_comment_regex",
    "encrypted_comment_regex",
};

static const char *const other_kinds[] = {"pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"};

const char *sops_rule_name(enum sops_rule r)
{
    return (unsigned)r < sizeof(rule_names) / sizeof(rule_names[0]) ? rule_names[r] : "?";
}

/* A string field (DOC_STR), NULL when absent or null. */
static const struct doc *str_field(const struct doc *m, const char *k, const char *name,
                                   struct verr *e, int *r)
{
    const struct doc *v = doc_map_getz(m, k);

    if (v == NULL || v->type == DOC_NULL)
        return NULL;
    if (v->type != DOC_STR) {
        *r = verr_set(e, VALS_EPARSE, "%s: sops.%s must be a string", name, k);
        return NULL;
    }
    return v;
}

/* A malloc'ed copy of a string node. */
static char *dupstr(const struct doc *d)
{
    char *s = malloc(d->v.s.len + 1);

    if (s != NULL) {
        memcpy(s, d->v.s.ptr, d->v.s.len);
        s[d->v.s.len] = '\0';
    }
    return s;
}

/* MAJOR.MINOR.PATCH[-pre][+build], or a 1.x version (sops 1 files). */
static int semver_ok(const char *v)
{
    const char *p = v;

    if (strncmp(v, "1.", 2) == 0)
        return 1;
    for (int part = 0; part < 3; part++) {
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
        if (part < 2 && *p++ != '.')
            return 0;
    }
    return *p == '\0' || *p == '-' || *p == '+';
}

/* Parse the master keys of one group (a map of kind -> list). */
static int parse_group(const struct doc *g, const char *name, const char *where,
                       struct sops_meta_group *out, struct verr *e)
{
    const struct doc *age = doc_map_getz(g, "age");

    if (age != NULL && age->type == DOC_LIST) {
        out->age = calloc(age->v.list.len + 1, sizeof(*out->age));
        if (out->age == NULL)
            return VALS_ENOMEM;
        for (size_t i = 0; i < age->v.list.len; i++) {
            const struct doc *en = age->v.list.items[i], *rc, *enc;
            if (en->type == DOC_COMMENT)
                continue;
            rc = en->type == DOC_MAP ? doc_map_getz(en, "recipient") : NULL;
            enc = en->type == DOC_MAP ? doc_map_getz(en, "enc") : NULL;
            if (rc == NULL || enc == NULL || rc->type != DOC_STR || enc->type != DOC_STR)
                return verr_set(e, VALS_EPARSE,
                                "%s: %sage[%zu] needs string fields recipient and enc", name, where,
                                i);
            out->age[out->nage].recipient = dupstr(rc);
            out->age[out->nage].enc = dupstr(enc);
            if (out->age[out->nage].recipient == NULL || out->age[out->nage].enc == NULL)
                return VALS_ENOMEM;
            out->nage++;
        }
    } else if (age != NULL && age->type != DOC_NULL) {
        return verr_set(e, VALS_EPARSE, "%s: %sage must be a list", name, where);
    }
    for (size_t k = 0; k < sizeof(other_kinds) / sizeof(other_kinds[0]); k++) {
        const struct doc *l = doc_map_getz(g, other_kinds[k]);
        size_t n = 0;
        if (l == NULL || l->type != DOC_LIST)
            continue;
        for (size_t i = 0; i < l->v.list.len; i++)
            n += l->v.list.items[i]->type != DOC_COMMENT;
        if (n == 0)
            continue;
        out->nother += n;
        snprintf(out->other + strlen(out->other), sizeof(out->other) - strlen(out->other), "%s%s",
                 out->other[0] ? ", " : "", other_kinds[k]);
    }
    return 0;
}

int sops_meta_parse(const struct doc *block, const char *name, struct sops_meta *m, struct verr *e)
{
    const struct doc *kg, *v;
    size_t keys = 0;
    int r = 0, nrules = 0;

    memset(m, 0, sizeof(*m));
    if (block == NULL || block->type != DOC_MAP)
        return verr_set(e, VALS_EPARSE, "%s: sops metadata must be a mapping", name);
    kg = doc_map_getz(block, "key_groups");
    if (kg != NULL && kg->type == DOC_LIST && kg->v.list.len > 0) {
        m->key_groups = 1;
        m->groups = calloc(kg->v.list.len, sizeof(*m->groups));
        if (m->groups == NULL)
            return VALS_ENOMEM;
        for (size_t i = 0; i < kg->v.list.len && r == 0; i++) {
            char where[48];
            const struct doc *g = kg->v.list.items[i];
            if (g->type == DOC_COMMENT)
                continue;
            snprintf(where, sizeof(where), "sops.key_groups[%zu].", i);
            if (g->type != DOC_MAP)
                r = verr_set(e, VALS_EPARSE, "%s: %s must be a mapping", name, where);
            else
                r = parse_group(g, name, where, &m->groups[m->ngroups++], e);
        }
    } else {
        if ((m->groups = calloc(1, sizeof(*m->groups))) == NULL)
            return VALS_ENOMEM;
        m->ngroups = 1;
        r = parse_group(block, name, "sops.", &m->groups[0], e);
    }
    if (r != 0)
        goto fail;
    for (size_t i = 0; i < m->ngroups; i++)
        keys += m->groups[i].nage + m->groups[i].nother;
    if (keys == 0) {
        r = verr_set(e, VALS_EPARSE, "%s: no master keys found in the sops metadata", name);
        goto fail;
    }
    v = doc_map_getz(block, "shamir_threshold");
    if (v != NULL && v->type == DOC_INT)
        m->shamir_threshold = (long)v->v.i;
    else if (v != NULL && v->type == DOC_STR)
        m->shamir_threshold = strtol(v->v.s.ptr, NULL, 10);
    v = str_field(block, "lastmodified", name, e, &r);
    if (r != 0)
        goto fail;
    if (v == NULL) {
        r = verr_set(e, VALS_EPARSE, "%s: sops.lastmodified is missing", name);
        goto fail;
    }
    {
        struct yaml_time t;
        if (!yaml_rfc3339_parse(v->v.s.ptr, v->v.s.len, &t)) {
            r = verr_set(e, VALS_ETAMPERED, "%s: sops.lastmodified is not an RFC 3339 time", name);
            goto fail;
        }
    }
    if ((m->lastmodified = dupstr(v)) == NULL)
        goto nomem;
    v = str_field(block, "mac", name, e, &r);
    if (r != 0)
        goto fail;
    if ((m->mac = v != NULL ? dupstr(v) : strdup("")) == NULL)
        goto nomem;
    m->rule = SOPS_RULE_UNENCRYPTED_SUFFIX; /* no rule in the file: everything is encrypted */
    for (int i = SOPS_RULE_UNENCRYPTED_SUFFIX; i <= SOPS_RULE_ENCRYPTED_COMMENT_REGEX; i++) {
        v = str_field(block, rule_names[i], name, e, &r);
        if (r != 0)
            goto fail;
        if (v == NULL)
            continue;
        if (++nrules > 1) {
            r = verr_set(e, VALS_EPARSE, "%s: more than one selection rule in sops metadata", name);
            goto fail;
        }
        m->rule = (enum sops_rule)i;
        if ((m->rule_value = dupstr(v)) == NULL)
            goto nomem;
    }
    if (m->rule_value == NULL && (m->rule_value = strdup("")) == NULL)
        goto nomem;
    v = doc_map_getz(block, "mac_only_encrypted");
    m->mac_only_encrypted = v != NULL && ((v->type == DOC_BOOL && v->v.b) ||
                                          (v->type == DOC_STR && !strcmp(v->v.s.ptr, "true")));
    v = str_field(block, "version", name, e, &r);
    if (r != 0)
        goto fail;
    if (v == NULL || !semver_ok(v->v.s.ptr)) {
        r = verr_set(e, VALS_EPARSE, "%s: sops.version is missing or not a semantic version", name);
        goto fail;
    }
    if ((m->version = dupstr(v)) == NULL || (m->raw = doc_copy(block)) == NULL)
        goto nomem;
    return sops_meta_compile(m, name, e);
nomem:
    r = VALS_ENOMEM;
fail:
    sops_meta_clear(m);
    return r;
}

int sops_meta_init(struct sops_meta *m, const struct sops_create *c, struct verr *e)
{
    memset(m, 0, sizeof(*m));
    m->rule = c->rule;
    m->mac_only_encrypted = c->mac_only_encrypted;
    m->shamir_threshold = c->shamir_threshold;
    if (c->rule != SOPS_RULE_DEFAULT && (c->rule_value == NULL || c->rule_value[0] == '\0'))
        return verr_set(e, VALS_EUSAGE, "%s needs a value", sops_rule_name(c->rule));
    m->rule_value = strdup(c->rule == SOPS_RULE_DEFAULT ? "_unencrypted" : c->rule_value);
    m->version = strdup(SOPS_WRITE_VERSION);
    if (m->rule_value == NULL || m->version == NULL) {
        sops_meta_clear(m);
        return VALS_ENOMEM;
    }
    if (m->rule == SOPS_RULE_DEFAULT)
        m->rule = SOPS_RULE_UNENCRYPTED_SUFFIX;
    return sops_meta_compile(m, "creation rule", e);
}

int sops_meta_compile(struct sops_meta *m, const char *name, struct verr *e)
{
    int err;
    PCRE2_SIZE off;

    if (m->rule != SOPS_RULE_UNENCRYPTED_REGEX && m->rule != SOPS_RULE_ENCRYPTED_REGEX &&
        m->rule != SOPS_RULE_UNENCRYPTED_COMMENT_REGEX &&
        m->rule != SOPS_RULE_ENCRYPTED_COMMENT_REGEX)
        return 0;
    m->re = pcre2_compile((PCRE2_SPTR)m->rule_value, PCRE2_ZERO_TERMINATED,
                          PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
    if (m->re == NULL) {
        char msg[120];
        pcre2_get_error_message(err, (PCRE2_UCHAR *)msg, sizeof(msg));
        return verr_set(e, VALS_EPARSE, "%s: %s is not a valid regex (%s at offset %zu)", name,
                        sops_rule_name(m->rule), msg, (size_t)off);
    }
    return 0;
}

/* [{recipient, enc}, ...] */
static struct doc *age_list(const struct sops_meta_group *g)
{
    struct doc *l = doc_list();

    for (size_t i = 0; l != NULL && i < g->nage; i++) {
        struct doc *en = doc_map();
        if (en == NULL ||
            doc_map_append(en, doc_strz("recipient"), doc_strz(g->age[i].recipient)) ||
            doc_map_append(en, doc_strz("enc"), doc_strz(g->age[i].enc)) || doc_list_push(l, en)) {
            doc_free(l);
            return NULL;
        }
    }
    return l;
}

int sops_meta_build(const struct sops_meta *m, struct doc **out)
{
    struct doc *b;
    int r = 0;

    if (m->raw != NULL) {
        if ((b = doc_copy(m->raw)) == NULL)
            return VALS_ENOMEM;
        if (doc_map_set(b, "lastmodified", doc_strz(m->lastmodified)) != 0 ||
            doc_map_set(b, "mac", doc_strz(m->mac)) != 0) {
            doc_free(b);
            return VALS_ENOMEM;
        }
        *out = b;
        return 0;
    }
    if ((b = doc_map()) == NULL)
        return VALS_ENOMEM;
    if (m->ngroups > 1) {
        struct doc *kg = doc_list();
        if (m->shamir_threshold > 0)
            r = doc_map_append(b, doc_strz("shamir_threshold"), doc_int(m->shamir_threshold));
        for (size_t i = 0; r == 0 && kg != NULL && i < m->ngroups; i++) {
            struct doc *g = doc_map();
            if (g == NULL || doc_map_append(g, doc_strz("hc_vault"), doc_list()) != 0 ||
                doc_map_append(g, doc_strz("age"), age_list(&m->groups[i])) != 0 ||
                doc_list_push(kg, g) != 0)
                r = VALS_ENOMEM;
        }
        if (r == 0)
            r = doc_map_append(b, doc_strz("key_groups"), kg);
        else
            doc_free(kg);
    } else if (m->ngroups == 1 && m->groups[0].nage > 0) {
        r = doc_map_append(b, doc_strz("age"), age_list(&m->groups[0]));
    }
    if (r == 0)
        r = doc_map_append(b, doc_strz("lastmodified"), doc_strz(m->lastmodified));
    if (r == 0)
        r = doc_map_append(b, doc_strz("mac"), doc_strz(m->mac));
    if (r == 0 && m->rule_value != NULL && m->rule_value[0] != '\0')
        r = doc_map_append(b, doc_strz(sops_rule_name(m->rule)), doc_strz(m->rule_value));
    if (r == 0 && m->mac_only_encrypted)
        r = doc_map_append(b, doc_strz("mac_only_encrypted"), doc_bool(1));
    if (r == 0)
        r = doc_map_append(b, doc_strz("version"), doc_strz(m->version));
    if (r != 0) {
        doc_free(b);
        return r;
    }
    *out = b;
    return 0;
}

void sops_meta_clear(struct sops_meta *m)
{
    for (size_t i = 0; i < m->ngroups; i++) {
        for (size_t j = 0; j < m->groups[i].nage; j++) {
            free(m->groups[i].age[j].recipient);
            free(m->groups[i].age[j].enc);
        }
        free(m->groups[i].age);
    }
    free(m->groups);
    free(m->lastmodified);
    free(m->mac);
    free(m->rule_value);
    free(m->version);
    doc_free(m->raw);
    pcre2_code_free(m->re);
    memset(m, 0, sizeof(*m));
}
