/*
 * sops.c - the public SOPS functions (sops.h): open (decrypt) a file, write it back
 * encrypted, encrypt a new file, formats, creation options.  The work is done by the
 * stores, sops_tree.c, sops_meta.c and sops_keys.c (see sops_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sops_int.h"

struct sops_file {
    enum sops_format fmt;
    char *name;
    struct doc_stream docs;
    struct sops_meta meta;
    uint8_t key[SOPS_KEY_LEN];
    struct sops_ivcache *ivs;
    struct sops_layout layout;
};

/* Whether s ends with suffix. */
static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

enum sops_format sops_format_for_path(const char *path)
{
    if (has_suffix(path, ".yaml") || has_suffix(path, ".yml"))
        return SOPS_FMT_YAML;
    if (has_suffix(path, ".json"))
        return SOPS_FMT_JSON;
    if (has_suffix(path, ".env"))
        return SOPS_FMT_DOTENV;
    return SOPS_FMT_BINARY;
}

int sops_format_parse(const char *name, enum sops_format *out)
{
    static const struct {
        const char *name;
        enum sops_format f;
    } names[] = {{"yaml", SOPS_FMT_YAML},  {"yml", SOPS_FMT_YAML},
                 {"json", SOPS_FMT_JSON},  {"dotenv", SOPS_FMT_DOTENV},
                 {"env", SOPS_FMT_DOTENV}, {"binary", SOPS_FMT_BINARY}};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    }
    return VALS_EUSAGE;
}

const char *sops_format_name(enum sops_format f)
{
    static const char *const n[] = {"yaml", "json", "dotenv", "binary"};

    return (unsigned)f < 4 ? n[f] : "?";
}

void sops_create_init(struct sops_create *c)
{
    memset(c, 0, sizeof(*c));
    c->yaml_indent = 4;
    c->json_indent = SOPS_JSON_INDENT_TAB;
    c->binary_indent = SOPS_JSON_INDENT_TAB;
}

void sops_create_clear(struct sops_create *c)
{
    for (size_t i = 0; i < c->ngroups; i++)
        free(c->groups[i].age);
    free(c->groups);
    free(c->rule_value);
    sops_create_init(c);
}

int sops_create_add_age(struct sops_create *c, size_t group, const char *list, size_t len,
                        struct verr *e)
{
    size_t i = 0;

    if (group >= c->ngroups) {
        struct sops_group *g = realloc(c->groups, (group + 1) * sizeof(*g));
        if (g == NULL)
            return VALS_ENOMEM;
        memset(g + c->ngroups, 0, (group + 1 - c->ngroups) * sizeof(*g));
        c->groups = g;
        c->ngroups = group + 1;
    }
    while (i < len) {
        size_t s = i, t;
        struct sops_group *g = &c->groups[group];
        struct age_recipient *a;
        int r;
        while (i < len && list[i] != ',')
            i++;
        t = i++;
        while (s < t && (list[s] == ' ' || list[s] == '\t' || list[s] == '\n' || list[s] == '\r'))
            s++;
        while (t > s && (list[t - 1] == ' ' || list[t - 1] == '\t' || list[t - 1] == '\n' ||
                         list[t - 1] == '\r'))
            t--;
        if (t == s)
            continue;
        if ((a = realloc(g->age, (g->nage + 1) * sizeof(*a))) == NULL)
            return VALS_ENOMEM;
        g->age = a;
        if ((r = age_recipient_parse(list + s, t - s, &g->age[g->nage], e)) != 0)
            return r;
        /* a recipient repeated in a group is used once */
        for (size_t k = 0; k < g->nage; k++)
            if (memcmp(g->age[k].pub, g->age[g->nage].pub, 32) == 0) {
                g->nage--;
                break;
            }
        g->nage++;
    }
    return 0;
}

/* Documents and metadata block of an encrypted or plain file. */
static int load(const char *buf, size_t len, enum sops_format fmt, const char *name,
                struct doc_stream *docs, struct doc **meta, struct verr *e)
{
    switch (fmt) {
    case SOPS_FMT_YAML:
        return sops_yaml_load(buf, len, name, docs, meta, e);
    case SOPS_FMT_JSON:
    case SOPS_FMT_BINARY:
        return sops_json_load(buf, len, name, docs, meta, e);
    case SOPS_FMT_DOTENV:
        return sops_dotenv_load(buf, len, name, docs, meta, e);
    }
    return VALS_EUSAGE;
}

/* A plain file's documents. */
static int load_plain(const char *buf, size_t len, enum sops_format fmt, const char *name,
                      struct doc_stream *docs, struct verr *e)
{
    struct doc *meta = NULL;
    int r;

    if (fmt == SOPS_FMT_BINARY)
        return sops_binary_load_plain(buf, len, docs, e);
    if ((r = load(buf, len, fmt, name, docs, &meta, e)) != 0)
        return r;
    if (meta != NULL) {
        doc_free(meta);
        doc_stream_free(docs);
        return verr_set(e, VALS_EEXISTS, "%s: file already has a sops block (already encrypted?)",
                        name);
    }
    if (docs->len == 0 && (r = doc_stream_push(docs, doc_map())) != 0) /* an empty YAML file */
        return r;
    return 0;
}

/* The indentation an existing file uses, so that writing it back keeps it. */
static void detect_layout(const char *buf, size_t len, enum sops_format fmt, struct sops_layout *l)
{
    l->yaml_indent = 4;
    l->json_indent = SOPS_JSON_INDENT_TAB;
    l->json_newline = len > 0 && buf[len - 1] == '\n';
    for (size_t i = 0; i < len; i++) {
        size_t n = 0;
        if (i > 0 && buf[i - 1] != '\n')
            continue;
        if (fmt == SOPS_FMT_YAML) {
            while (i + n < len && buf[i + n] == ' ')
                n++;
            if (n > 0 && i + n < len && buf[i + n] != '\n' && buf[i + n] != '#') {
                if (n >= 2 && n <= 9)
                    l->yaml_indent = (int)n;
                return;
            }
        } else if (fmt == SOPS_FMT_JSON || fmt == SOPS_FMT_BINARY) {
            if (i < len && buf[i] == '\t')
                return;
            while (i + n < len && buf[i + n] == ' ')
                n++;
            if (n > 0) {
                l->json_indent = (int)n;
                return;
            }
        }
    }
}

/* Parse, recover the data key (or use `key`), decrypt and check the MAC. */
static int open_common(const char *buf, size_t len, enum sops_format fmt, const char *name,
                       const struct sops_identities *ids, const uint8_t *key, int flags,
                       struct sops_file **out, struct verr *e)
{
    struct sops_file *f = calloc(1, sizeof(*f));
    struct doc *block = NULL;
    struct sops_walk w;
    char mac[129];
    int r;

    *out = NULL;
    if (f == NULL)
        return VALS_ENOMEM;
    f->fmt = fmt;
    if ((f->name = strdup(name != NULL ? name : "<input>")) == NULL ||
        (f->ivs = sops_ivcache_new()) == NULL) {
        r = VALS_ENOMEM;
        goto fail;
    }
    if ((r = load(buf, len, fmt, f->name, &f->docs, &block, e)) != 0)
        goto fail;
    if (block == NULL) {
        r = verr_set(e, VALS_EPARSE, "%s: sops metadata not found (not an encrypted file)",
                     f->name);
        goto fail;
    }
    r = sops_meta_parse(block, f->name, &f->meta, e);
    doc_free(block);
    if (r != 0)
        goto fail;
    detect_layout(buf, len, fmt, &f->layout);
    if (key != NULL)
        memcpy(f->key, key, SOPS_KEY_LEN);
    else if ((r = sops_keys_recover(&f->meta, ids != NULL ? ids->ids : NULL,
                                    ids != NULL ? ids->n : 0, ids != NULL ? ids->tried : NULL,
                                    f->name, f->key, e)) != 0)
        goto fail;
    w = (struct sops_walk){&f->meta, f->key, f->ivs, NULL, f->name, fmt == SOPS_FMT_BINARY};
    if ((r = sops_tree_decrypt(&f->docs, &w, mac, e)) != 0)
        goto fail;
    if (!(flags & SOPS_IGNORE_MAC) &&
        (r = sops_mac_verify(f->key, f->meta.mac, f->meta.lastmodified, mac, f->ivs, e)) != 0) {
        verr_prefix(e, "%s", f->name);
        goto fail;
    }
    *out = f;
    return 0;
fail:
    sops_file_free(f);
    return r;
}

int sops_open(const char *buf, size_t len, enum sops_format fmt, const char *name,
              const struct sops_identities *ids, int flags, struct sops_file **out, struct verr *e)
{
    return open_common(buf, len, fmt, name, ids, NULL, flags, out, e);
}

int sops_open_with_key(const char *buf, size_t len, enum sops_format fmt, const char *name,
                       const uint8_t key[32], int flags, struct sops_file **out, struct verr *e)
{
    return open_common(buf, len, fmt, name, NULL, key, flags, out, e);
}

const struct doc_stream *sops_file_docs(const struct sops_file *f)
{
    return &f->docs;
}

enum sops_format sops_file_format(const struct sops_file *f)
{
    return f->fmt;
}

/* Write documents (plus a metadata block, or none for plaintext) in the file's format. */
static int emit(const struct sops_file *f, const struct doc_stream *docs, const struct doc *block,
                struct dbuf *out, struct verr *e)
{
    struct sops_layout l = f->layout;

    switch (f->fmt) {
    case SOPS_FMT_YAML:
        return sops_yaml_emit(docs, block, &l, out, e);
    case SOPS_FMT_JSON:
        if (block == NULL)
            l.json_newline = 1;
        return sops_json_emit(docs, block, &l, out, e);
    case SOPS_FMT_DOTENV:
        return sops_dotenv_emit(docs, block, out, e);
    case SOPS_FMT_BINARY:
        if (block == NULL)
            return sops_binary_emit_plain(docs, f->name, out, e);
        return sops_json_emit(docs, block, &l, out, e);
    }
    return VALS_EUSAGE;
}

int sops_file_plain(const struct sops_file *f, struct dbuf *out, struct verr *e)
{
    return emit(f, &f->docs, NULL, out, e);
}

int sops_file_set_plain(struct sops_file *f, const char *buf, size_t len, struct verr *e)
{
    struct doc_stream docs;
    int r = load_plain(buf, len, f->fmt, f->name, &docs, e);

    if (r != 0)
        return r;
    doc_stream_free(&f->docs);
    f->docs = docs;
    return 0;
}

int sops_file_encrypt(struct sops_file *f, const struct sops_hooks *h, struct dbuf *out,
                      struct verr *e)
{
    struct doc_stream enc = {0};
    struct doc *block = NULL;
    struct dbuf macenc = DBUF_INIT;
    struct sops_walk w = {&f->meta, f->key, f->ivs, h, f->name, f->fmt == SOPS_FMT_BINARY};
    char mac[129], now[64];
    int r = 0;

    for (size_t i = 0; i < f->docs.len && r == 0; i++)
        r = doc_stream_push(&enc, doc_copy(f->docs.docs[i]));
    if (r == 0)
        r = sops_tree_encrypt(&enc, &w, mac, e);
    if (r == 0)
        r = sops_now(h, now, sizeof(now));
    if (r == 0) {
        char *lm = strdup(now);
        if (lm == NULL) {
            r = VALS_ENOMEM;
            goto out;
        }
        free(f->meta.lastmodified);
        f->meta.lastmodified = lm;
        r = sops_mac_encrypt(f->key, mac, lm, f->ivs, h, &macenc, e);
    }
    if (r == 0) {
        char *m = dbuf_take(&macenc, NULL);
        if (m == NULL) {
            r = VALS_ENOMEM;
            goto out;
        }
        free(f->meta.mac);
        f->meta.mac = m;
        r = sops_meta_build(&f->meta, &block);
    }
    if (r == 0)
        r = emit(f, &enc, block, out, e);
out:
    secure_zero(mac, sizeof(mac));
    doc_free(block);
    dbuf_free(&macenc);
    doc_stream_free(&enc);
    return r;
}

void sops_file_free(struct sops_file *f)
{
    if (f == NULL)
        return;
    doc_stream_free(&f->docs);
    sops_meta_clear(&f->meta);
    sops_ivcache_free(f->ivs);
    secure_zero(f->key, sizeof(f->key));
    free(f->name);
    free(f);
}

int sops_is_encrypted(const char *buf, size_t len, enum sops_format fmt)
{
    struct doc_stream docs;
    struct doc *meta = NULL;
    int yes;

    if (load(buf, len, fmt, "<input>", &docs, &meta, NULL) != 0)
        return 0;
    yes = meta != NULL && meta->type == DOC_MAP && doc_map_getz(meta, "mac") != NULL &&
          doc_map_getz(meta, "lastmodified") != NULL;
    doc_free(meta);
    doc_stream_free(&docs);
    return yes;
}

int sops_decrypt_bytes(const char *buf, size_t len, enum sops_format fmt, const char *name,
                       const struct sops_identities *ids, int flags, struct dbuf *out,
                       struct verr *e)
{
    struct sops_file *f = NULL;
    int r = sops_open(buf, len, fmt, name, ids, flags, &f, e);

    if (r == 0)
        r = sops_file_plain(f, out, e);
    sops_file_free(f);
    return r;
}

int sops_encrypt_bytes(const char *buf, size_t len, enum sops_format fmt, const char *name,
                       const struct sops_create *c, const struct sops_hooks *h, struct dbuf *out,
                       struct verr *e)
{
    struct sops_file *f = calloc(1, sizeof(*f));
    int r;

    if (f == NULL)
        return VALS_ENOMEM;
    f->fmt = fmt;
    if ((f->name = strdup(name != NULL ? name : "<input>")) == NULL ||
        (f->ivs = sops_ivcache_new()) == NULL) {
        r = VALS_ENOMEM;
        goto out;
    }
    f->layout.yaml_indent = c->yaml_indent;
    f->layout.json_indent = fmt == SOPS_FMT_BINARY ? c->binary_indent : c->json_indent;
    f->layout.json_newline = 1;
    if ((r = load_plain(buf, len, fmt, f->name, &f->docs, e)) != 0)
        goto out;
    if ((r = sops_meta_init(&f->meta, c, e)) != 0)
        goto out;
    if ((r = sops_keys_create(c, h, &f->meta, f->key, e)) != 0)
        goto out;
    r = sops_file_encrypt(f, h, out, e);
out:
    sops_file_free(f);
    return r;
}
