/*
 * sops_tree.c - the walk over a file's documents that encrypts or decrypts its values and
 * computes the MAC, in sops' order (sops-age.md §2.3).
 *
 * Documents are walked depth-first in order.  A value's path is the list of map keys from the
 * root (list items add nothing) and its AAD is "k1:k2:...:kn:"; a comment has the path of the
 * map or list it sits in.  Exactly one selection rule decides what is encrypted: key
 * suffixes, key regexes, or the comments seen before a value in the current and enclosing
 * containers (a list of comment texts per container level, cleared after each value, as sops
 * keeps it).  Nulls are skipped; empty strings stay empty but count in the MAC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_yaml.h"
#include "sops_int.h"

struct ctext {
    char *s;
    size_t len;
};

struct clevel {
    struct ctext *c;
    size_t n, cap;
};

struct walker {
    const struct sops_walk *w;
    int encrypt;
    int comment_rule; /* the rule looks at comments */
    struct sops_mac mac;
    struct dbuf aad; /* "k1:k2:" */
    size_t *marks;   /* aad length before each key */
    const struct doc **keys;
    size_t depth, cap;
    struct clevel *levels;
    size_t nlevels, caplevels;
    struct dbuf pt;
    struct verr *e;
};

/* The AAD of the current path: "k1:k2:" (":" at the top level, as sops joins its path). */
static const char *aad_of(struct walker *k, size_t *len)
{
    if (k->aad.len == 0) {
        *len = 1;
        return ":";
    }
    *len = k->aad.len;
    return k->aad.p;
}

/* "file: a:b:" for messages. */
static const char *where(struct walker *k, char *buf, size_t len)
{
    snprintf(buf, len, "%s: %s", k->w->name != NULL ? k->w->name : "<input>",
             k->aad.len > 0 ? k->aad.p : "(top level)");
    return buf;
}

/* Whether a key ends with a non-empty suffix. */
static int ends_with(const struct doc *key, const char *suffix)
{
    size_t n = strlen(suffix);

    return n > 0 && key->v.s.len >= n && memcmp(key->v.s.ptr + key->v.s.len - n, suffix, n) == 0;
}

/* Unanchored search of the rule's regex in s. */
static int re_match(const struct sops_meta *m, const char *s, size_t len)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(m->re, NULL);
    int r;

    if (md == NULL)
        return 0;
    r = pcre2_match(m->re, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return r >= 0;
}

/* sops' shouldBeEncrypted. */
static int should_encrypt(struct walker *k, int is_comment)
{
    const struct sops_meta *m = k->w->meta;
    int enc = 1;

    if (k->w->binary)
        return 1;
    switch (m->rule) {
    case SOPS_RULE_DEFAULT:
    case SOPS_RULE_UNENCRYPTED_SUFFIX: {
        const char *suffix =
            m->rule == SOPS_RULE_DEFAULT || m->rule_value == NULL ? "_unencrypted" : m->rule_value;
        for (size_t i = 0; i < k->depth; i++)
            if (ends_with(k->keys[i], suffix))
                return 0;
        return 1;
    }
    case SOPS_RULE_ENCRYPTED_SUFFIX:
        for (size_t i = 0; i < k->depth; i++)
            if (ends_with(k->keys[i], m->rule_value))
                return 1;
        return 0;
    case SOPS_RULE_UNENCRYPTED_REGEX:
    case SOPS_RULE_ENCRYPTED_REGEX:
        enc = m->rule == SOPS_RULE_UNENCRYPTED_REGEX;
        for (size_t i = 0; i < k->depth; i++)
            if (re_match(m, k->keys[i]->v.s.ptr, k->keys[i]->v.s.len))
                return !enc;
        return enc;
    case SOPS_RULE_UNENCRYPTED_COMMENT_REGEX:
        for (size_t i = 0; i < k->nlevels; i++)
            for (size_t j = 0; j < k->levels[i].n; j++)
                if (re_match(m, k->levels[i].c[j].s, k->levels[i].c[j].len))
                    return 0;
        return 1;
    case SOPS_RULE_ENCRYPTED_COMMENT_REGEX:
        for (size_t i = 0; i < k->nlevels; i++) {
            for (size_t j = 0; j < k->levels[i].n; j++) {
                /* the marker comment itself stays clear */
                if (is_comment && i == k->nlevels - 1 && j == k->levels[i].n - 1)
                    continue;
                if (re_match(m, k->levels[i].c[j].s, k->levels[i].c[j].len))
                    return 1;
            }
        }
        return 0;
    }
    return enc;
}

/* A new (empty) comment level for a container being entered. */
static int level_push(struct walker *k)
{
    if (k->nlevels == k->caplevels) {
        size_t ncap = k->caplevels ? k->caplevels * 2 : 16;
        struct clevel *p = realloc(k->levels, ncap * sizeof(*p));
        if (p == NULL)
            return VALS_ENOMEM;
        k->levels = p;
        k->caplevels = ncap;
    }
    memset(&k->levels[k->nlevels++], 0, sizeof(struct clevel));
    return 0;
}

/* Forget the comments of a level (after a value). */
static void level_reset(struct clevel *l)
{
    for (size_t i = 0; i < l->n; i++)
        secure_free(l->c[i].s, l->c[i].len);
    l->n = 0;
}

/* Leave a container's comment level. */
static void level_pop(struct walker *k)
{
    struct clevel *l = &k->levels[--k->nlevels];

    level_reset(l);
    free(l->c);
}

/* Remember a comment's text (before it is encrypted or decrypted) in the current level. */
static int level_add(struct walker *k, const struct doc *c)
{
    struct clevel *l = &k->levels[k->nlevels - 1];
    char *s;

    if (!k->comment_rule)
        return 0;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 4;
        struct ctext *p = realloc(l->c, ncap * sizeof(*p));
        if (p == NULL)
            return VALS_ENOMEM;
        l->c = p;
        l->cap = ncap;
    }
    if ((s = malloc(c->v.s.len + 1)) == NULL)
        return VALS_ENOMEM;
    memcpy(s, c->v.s.ptr, c->v.s.len);
    s[c->v.s.len] = '\0';
    l->c[l->n].s = s;
    l->c[l->n++].len = c->v.s.len;
    return 0;
}

/* Enter a key: append "key:" to the AAD. */
static int path_push(struct walker *k, const struct doc *key)
{
    if (k->depth == k->cap) {
        size_t ncap = k->cap ? k->cap * 2 : 16;
        size_t *m = realloc(k->marks, ncap * sizeof(*m));
        const struct doc **ks;
        if (m == NULL)
            return VALS_ENOMEM;
        k->marks = m;
        ks = realloc(k->keys, ncap * sizeof(*ks));
        if (ks == NULL)
            return VALS_ENOMEM;
        k->keys = ks;
        k->cap = ncap;
    }
    k->marks[k->depth] = k->aad.len;
    k->keys[k->depth++] = key;
    if (dbuf_add(&k->aad, key->v.s.ptr, key->v.s.len) != 0 || dbuf_addc(&k->aad, ':') != 0)
        return VALS_ENOMEM;
    return 0;
}

/* Leave the last key. */
static void path_pop(struct walker *k)
{
    k->aad.len = k->marks[--k->depth];
    if (k->aad.p != NULL)
        k->aad.p[k->aad.len] = '\0';
}

/* Move the content of `src` into `dst` (the node in the tree), freeing src's shell. */
static void node_replace(struct doc *dst, struct doc *src)
{
    char *tag = dst->tag;
    uint32_t line = dst->line, col = dst->col;

    if (dst->type == DOC_STR || dst->type == DOC_COMMENT)
        secure_free(dst->v.s.ptr, dst->v.s.len);
    *dst = *src;
    dst->tag = tag;
    dst->line = line;
    dst->col = col;
    free(src->tag);
    memset(src, 0, sizeof(*src));
    free(src);
}

/* Hash and (when selected) encrypt one value or comment in place. */
static int leaf_encrypt(struct walker *k, struct doc *d, int is_comment)
{
    char wbuf[300];
    enum sops_vtype t;
    int enc = should_encrypt(k, is_comment), r;
    uint8_t iv[SOPS_IV_MAX];
    size_t ivlen = SOPS_IV_LEN, aadlen;
    const char *aad;
    struct dbuf out = DBUF_INIT;

    dbuf_reset(&k->pt);
    r = sops_value_plaintext(d, &k->pt, &t, where(k, wbuf, sizeof(wbuf)), k->e);
    if (r != 0)
        return r;
    if (!is_comment && (!k->w->meta->mac_only_encrypted || enc) &&
        (r = sops_mac_update(&k->mac, k->pt.p, k->pt.len)) != 0)
        return r;
    if (!enc || (t == SOPS_T_STR && k->pt.len == 0))
        return 0; /* clear, or an empty string (never encrypted) */
    aad = aad_of(k, &aadlen);
    if (!sops_ivcache_get(k->w->ivs, aad, aadlen, k->pt.p, k->pt.len, iv, &ivlen) &&
        (r = sops_random(k->w->hooks, iv, SOPS_IV_LEN)) != 0)
        return r;
    r = sops_value_encrypt(k->w->key, iv, ivlen, k->pt.p ? k->pt.p : "", k->pt.len, aad, aadlen, t,
                           &out);
    if (r == 0)
        r = doc_str_set(d, out.p, out.len);
    dbuf_free(&out);
    return r;
}

/* Decrypt (when selected) and hash one value or comment in place. */
static int leaf_decrypt(struct walker *k, struct doc *d, int is_comment)
{
    char wbuf[300];
    enum sops_vtype t;
    int enc = should_encrypt(k, is_comment), r = 0;
    uint8_t iv[SOPS_IV_MAX];
    size_t ivlen = 0, aadlen;
    const char *aad = aad_of(k, &aadlen);

    if (enc && is_comment) {
        /* a comment that does not decrypt is kept as it is (written by an old sops) */
        struct verr ignore;
        dbuf_reset(&k->pt);
        if (sops_value_is_enc(d->v.s.ptr, d->v.s.len) &&
            sops_value_decrypt(k->w->key, d->v.s.ptr, d->v.s.len, aad, aadlen, &k->pt, &t, iv,
                               &ivlen, "comment", &ignore) == 0) {
            r = sops_ivcache_put(k->w->ivs, aad, aadlen, k->pt.p, k->pt.len, iv, ivlen);
            if (r == 0)
                r = doc_str_set(d, k->pt.p ? k->pt.p : "", k->pt.len);
        }
        return r;
    }
    if (enc) {
        struct doc *v = NULL;
        if (d->type != DOC_STR)
            return verr_set(k->e, VALS_EPARSE, "%s: expected an encrypted value, found a %s",
                            where(k, wbuf, sizeof(wbuf)), doc_type_name((enum doc_type)d->type));
        if (d->v.s.len > 0) {
            dbuf_reset(&k->pt);
            r = sops_value_decrypt(k->w->key, d->v.s.ptr, d->v.s.len, aad, aadlen, &k->pt, &t, iv,
                                   &ivlen, where(k, wbuf, sizeof(wbuf)), k->e);
            if (r == 0)
                r = sops_ivcache_put(k->w->ivs, aad, aadlen, k->pt.p, k->pt.len, iv, ivlen);
            if (r == 0)
                r = sops_value_to_doc(t, k->pt.p ? k->pt.p : "", k->pt.len, &v,
                                      where(k, wbuf, sizeof(wbuf)), k->e);
            if (r != 0)
                return r;
            node_replace(d, v);
        }
    }
    if (is_comment || (k->w->meta->mac_only_encrypted && !enc))
        return 0;
    dbuf_reset(&k->pt);
    r = sops_value_plaintext(d, &k->pt, &t, where(k, wbuf, sizeof(wbuf)), k->e);
    if (r == 0)
        r = sops_mac_update(&k->mac, k->pt.p, k->pt.len);
    return r;
}

/* One leaf in the current direction. */
static int leaf(struct walker *k, struct doc *d, int is_comment)
{
    return k->encrypt ? leaf_encrypt(k, d, is_comment) : leaf_decrypt(k, d, is_comment);
}

/* Any node. */
static int walk_value(struct walker *k, struct doc *d);

/* A map: comments, then each key's value with the key on the path. */
static int walk_map(struct walker *k, struct doc *map)
{
    char wbuf[300];
    int r = level_push(k);

    for (size_t i = 0; i < map->v.map.len && r == 0; i++) {
        struct doc_pair *p = &map->v.map.items[i];
        if (p->key->type == DOC_COMMENT) {
            r = level_add(k, p->key);
            if (r == 0)
                r = leaf(k, p->key, 1);
            continue;
        }
        if (p->key->type != DOC_STR ||
            (p->key->style == DOC_STYLE_PLAIN &&
             yaml_plain_is_timestamp(p->key->v.s.ptr, p->key->v.s.len))) {
            char tmp[64];
            size_t len;
            const char *kt = doc_key_text(p->key, tmp, sizeof(tmp), &len);
            r = verr_set(k->e, VALS_ETYPE,
                         "%s: key \"%.*s\" is not a string (sops needs string "
                         "keys)",
                         where(k, wbuf, sizeof(wbuf)), (int)(len > 60 ? 60 : len), kt);
            break;
        }
        if ((r = path_push(k, p->key)) != 0)
            break;
        r = walk_value(k, p->val);
        path_pop(k);
        level_reset(&k->levels[k->nlevels - 1]);
    }
    level_pop(k);
    return r;
}

/* A list: items share the list's path. */
static int walk_list(struct walker *k, struct doc *list)
{
    int r = level_push(k);

    for (size_t i = 0; i < list->v.list.len && r == 0; i++) {
        struct doc *it = list->v.list.items[i];
        if (it->type == DOC_COMMENT) {
            r = level_add(k, it);
            if (r == 0)
                r = leaf(k, it, 1);
            continue;
        }
        r = walk_value(k, it);
        level_reset(&k->levels[k->nlevels - 1]);
    }
    level_pop(k);
    return r;
}

static int walk_value(struct walker *k, struct doc *d)
{
    if (d == NULL || d->type == DOC_NULL)
        return 0; /* nulls are neither encrypted nor hashed */
    if (d->type == DOC_MAP)
        return walk_map(k, d);
    if (d->type == DOC_LIST)
        return walk_list(k, d);
    return leaf(k, d, 0);
}

/* Walk every document; the MAC of the plaintext values into mac. */
static int walk(struct doc_stream *docs, const struct sops_walk *w, int encrypt, char mac[129],
                struct verr *e)
{
    struct walker k;
    int r;

    memset(&k, 0, sizeof(k));
    k.w = w;
    k.encrypt = encrypt;
    k.e = e;
    k.comment_rule = w->meta->rule == SOPS_RULE_UNENCRYPTED_COMMENT_REGEX ||
                     w->meta->rule == SOPS_RULE_ENCRYPTED_COMMENT_REGEX;
    if ((r = sops_mac_init(&k.mac, w->meta->mac_only_encrypted)) != 0)
        return r;
    for (size_t i = 0; i < docs->len && r == 0; i++)
        r = walk_value(&k, docs->docs[i]);
    if (r == 0)
        r = sops_mac_final(&k.mac, mac);
    sops_mac_clear(&k.mac);
    while (k.nlevels > 0)
        level_pop(&k);
    free(k.levels);
    free(k.marks);
    free(k.keys);
    dbuf_free(&k.aad);
    dbuf_free(&k.pt);
    return r;
}

int sops_tree_encrypt(struct doc_stream *docs, const struct sops_walk *w, char mac[129],
                      struct verr *e)
{
    return walk(docs, w, 1, mac, e);
}

int sops_tree_decrypt(struct doc_stream *docs, const struct sops_walk *w, char mac[129],
                      struct verr *e)
{
    return walk(docs, w, 0, mac, e);
}
