/*
 * sops_keys.c - the data key of a SOPS file and its age master keys (sops-age.md §2.5).
 *
 * A new file gets a random 32-byte data key.  With one key group every age recipient gets
 * the whole key, each in its own armored age file with a single X25519 stanza; with several
 * groups the key is split with Shamir and every recipient of group i gets share i.  To
 * decrypt, each group's age entries are tried with the identities until one opens; the
 * shares of the groups that opened are combined.  Errors name every group and recipient
 * that failed and why, and where identities were looked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sops_int.h"

int sops_keys_create(const struct sops_create *c, const struct sops_hooks *h, struct sops_meta *m,
                     uint8_t key[32], struct verr *e)
{
    uint8_t *shares[255] = {0};
    size_t partlen = SOPS_KEY_LEN;
    int r, k = c->shamir_threshold;

    if (c->ngroups == 0)
        return verr_set(e, VALS_EUSAGE,
                        "no age recipients to encrypt to (set them in .sops.yaml "
                        "creation_rules or pass recipients)");
    if (c->ngroups > 255)
        return verr_set(e, VALS_EUSAGE, "too many key groups");
    for (size_t g = 0; g < c->ngroups; g++)
        if (c->groups[g].nage == 0)
            return verr_set(e, VALS_EUSAGE, "key group %zu has no age recipient", g);
    if ((r = sops_random(h, key, SOPS_KEY_LEN)) != 0)
        return r;
    if (c->ngroups > 1) {
        if (k == 0)
            k = (int)c->ngroups;
        if (k < 2 || k > (int)c->ngroups)
            return verr_set(e, VALS_EUSAGE, "shamir_threshold %d must be between 2 and %zu", k,
                            c->ngroups);
        partlen = SOPS_KEY_LEN + 1;
        for (size_t g = 0; g < c->ngroups; g++)
            if ((shares[g] = calloc(1, partlen)) == NULL) {
                r = VALS_ENOMEM;
                goto out;
            }
        if ((r = sops_shamir_split(key, SOPS_KEY_LEN, (int)c->ngroups, k, h, shares)) != 0)
            goto out;
        m->shamir_threshold = k;
        m->key_groups = 1;
    }
    if ((m->groups = calloc(c->ngroups, sizeof(*m->groups))) == NULL) {
        r = VALS_ENOMEM;
        goto out;
    }
    m->ngroups = c->ngroups;
    for (size_t g = 0; g < c->ngroups && r == 0; g++) {
        struct sops_meta_group *mg = &m->groups[g];
        if ((mg->age = calloc(c->groups[g].nage, sizeof(*mg->age))) == NULL) {
            r = VALS_ENOMEM;
            break;
        }
        for (size_t i = 0; i < c->groups[g].nage && r == 0; i++) {
            struct dbuf armor = DBUF_INIT;
            char rcpt[AGE_RECIPIENT_STRLEN + 1];
            age_recipient_format(&c->groups[g].age[i], rcpt);
            r = age_encrypt(&c->groups[g].age[i], 1, c->ngroups > 1 ? shares[g] : key, partlen,
                            AGE_ARMOR, &armor, e);
            if (r == 0) {
                mg->age[i].recipient = strdup(rcpt);
                mg->age[i].enc = dbuf_take(&armor, NULL);
                if (mg->age[i].recipient == NULL || mg->age[i].enc == NULL)
                    r = VALS_ENOMEM;
                mg->nage++;
            }
            dbuf_free(&armor);
        }
    }
out:
    for (size_t g = 0; g < c->ngroups && g < 255; g++)
        secure_free(shares[g], partlen);
    if (r != 0)
        secure_zero(key, SOPS_KEY_LEN);
    return r;
}

int sops_keys_recover(const struct sops_meta *m, const struct age_identity *ids, size_t nids,
                      const char *tried, const char *name, uint8_t key[32], struct verr *e)
{
    uint8_t *parts[255] = {0};
    size_t nparts = 0, partlen = m->ngroups > 1 ? SOPS_KEY_LEN + 1 : SOPS_KEY_LEN;
    char why[VERR_MSG_MAX] = "";
    int r = 0, bad = 0; /* bad: a recipient block was damaged (not just "not for us") */
    long need;

    if (m->ngroups > 255)
        return verr_set(e, VALS_EPARSE, "%s: too many key groups", name);
    for (size_t g = 0; g < m->ngroups; g++) {
        const struct sops_meta_group *mg = &m->groups[g];
        int ok = 0;
        for (size_t i = 0; i < mg->nage && !ok; i++) {
            struct dbuf out = DBUF_INIT;
            struct verr ae;
            const char *enc = mg->age[i].enc;
            int ar =
                nids == 0 ? VALS_ENOKEY : age_decrypt(ids, nids, NULL, enc, strlen(enc), &out, &ae);
            if (ar == 0 && out.len == partlen) {
                if ((parts[nparts] = malloc(partlen)) == NULL) {
                    dbuf_free(&out);
                    r = VALS_ENOMEM;
                    goto out;
                }
                memcpy(parts[nparts++], out.p, partlen);
                ok = 1;
            } else {
                const char *msg = ar == 0             ? "decrypts to a key of the wrong length"
                                  : ar == VALS_ENOKEY ? "no identity matches"
                                                      : verr_text(&ae);
                if (ar != VALS_ENOKEY)
                    bad = 1;
                snprintf(why + strlen(why), sizeof(why) - strlen(why),
                         "%sgroup %zu, age recipient %.70s: %s", why[0] ? "; " : "", g,
                         mg->age[i].recipient, msg);
            }
            dbuf_free(&out);
        }
        if (!ok && mg->nage == 0)
            snprintf(why + strlen(why), sizeof(why) - strlen(why),
                     "%sgroup %zu: no age recipient (only %s keys, not supported here)",
                     why[0] ? "; " : "", g, mg->other[0] ? mg->other : "other");
    }
    need = m->ngroups > 1 ? (m->shamir_threshold > 0 ? m->shamir_threshold : 2) : 1;
    if ((long)nparts < need || nparts == 0) {
        if (bad)
            r = verr_set(e, VALS_ETAMPERED, "%s: cannot recover the data key: %s", name, why);
        else
            r = verr_set(e, VALS_ENOKEY,
                         "%s: cannot recover the data key (%zu of %ld key "
                         "groups): %s; identities tried: %s",
                         name, nparts, need, why, tried != NULL ? tried : "none");
        goto out;
    }
    if (m->ngroups > 1) {
        if (sops_shamir_combine((const uint8_t *const *)parts, nparts, SOPS_KEY_LEN, key) != 0) {
            r = verr_set(e, VALS_ETAMPERED, "%s: key group shares do not combine", name);
            goto out;
        }
    } else {
        memcpy(key, parts[0], SOPS_KEY_LEN);
    }
out:
    for (size_t i = 0; i < nparts; i++)
        secure_free(parts[i], partlen);
    return r;
}
