/*
 * sops_store_yaml.c - the YAML store: documents with comments <-> bytes as sops writes them.
 *
 * Reading keeps comments (as sops' YAML store does), keeps "<<" as a key (sops works on
 * go-yaml's node tree), and takes the "sops" block out of every document (the copy in the
 * first document is the metadata).  Writing appends the block as the last key of every
 * document and emits with go-yaml v3's layout and styles (doc_yaml_emit.c).
 */
#include <stdlib.h>
#include <string.h>

#include "sops_int.h"

/* Take the value of top-level key "sops" out of a map (NULL when absent). */
static struct doc *detach_sops(struct doc *map)
{
    for (size_t i = 0; i < map->v.map.len; i++) {
        struct doc_pair *p = &map->v.map.items[i];
        if (p->key->type == DOC_STR && p->key->v.s.len == 4 &&
            !memcmp(p->key->v.s.ptr, "sops", 4)) {
            struct doc *v = p->val;
            doc_free(p->key);
            memmove(p, p + 1, (map->v.map.len - i - 1) * sizeof(*p));
            map->v.map.len--;
            return v;
        }
    }
    return NULL;
}

int sops_yaml_load(const char *buf, size_t len, const char *name, struct doc_stream *docs,
                   struct doc **meta, struct verr *e)
{
    int r = doc_parse_yaml(buf, len, name, DOC_YAML_COMMENTS | DOC_YAML_KEEP_MERGE, docs, e);

    *meta = NULL;
    if (r != 0)
        return r;
    for (size_t i = 0; i < docs->len; i++) {
        struct doc *d = docs->docs[i], *m;
        if (d->type == DOC_NULL) { /* an empty document */
            struct doc *empty = doc_map();
            if (empty == NULL) {
                r = VALS_ENOMEM;
                break;
            }
            doc_free(d);
            docs->docs[i] = d = empty;
        }
        if (d->type != DOC_MAP) {
            r = verr_set(e, VALS_EPARSE,
                         "%s: YAML documents that are %s are not supported "
                         "(document %zu)",
                         name, d->type == DOC_LIST ? "sequences" : "values", i + 1);
            break;
        }
        m = detach_sops(d);
        if (i == 0)
            *meta = m;
        else
            doc_free(m);
    }
    if (r != 0) {
        doc_free(*meta);
        *meta = NULL;
        doc_stream_free(docs);
    }
    return r;
}

int sops_yaml_emit(const struct doc_stream *docs, const struct doc *meta,
                   const struct sops_layout *l, struct dbuf *out, struct verr *e)
{
    struct doc_stream view = {0};
    struct doc *sops_key = NULL;
    int r = 0, indent = l->yaml_indent >= 2 && l->yaml_indent <= 9 ? l->yaml_indent : 4;

    /* shallow copies of the roots with the block appended: nothing of `docs` is changed */
    if ((view.docs = calloc(docs->len + 1, sizeof(struct doc *))) == NULL)
        return VALS_ENOMEM;
    if (meta != NULL && (sops_key = doc_strz("sops")) == NULL) {
        r = VALS_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < docs->len; i++) {
        const struct doc *d = docs->docs[i];
        struct doc *v = calloc(1, sizeof(*v));
        if (v == NULL) {
            r = VALS_ENOMEM;
            goto out;
        }
        view.docs[view.len++] = v;
        *v = *d;
        v->v.map.items = calloc(d->v.map.len + 1, sizeof(struct doc_pair));
        if (v->v.map.items == NULL) {
            r = VALS_ENOMEM;
            goto out;
        }
        if (d->v.map.len > 0)
            memcpy(v->v.map.items, d->v.map.items, d->v.map.len * sizeof(struct doc_pair));
        v->v.map.cap = d->v.map.len + 1;
        if (meta != NULL) {
            v->v.map.items[v->v.map.len].key = sops_key;
            v->v.map.items[v->v.map.len++].val = (struct doc *)meta;
        }
    }
    r = doc_emit_yaml_stream(&view, out,
                             DOC_EMIT_GO_STYLE | DOC_EMIT_GO_FLOATS | DOC_EMIT_INDENT(indent));
    if (r != 0)
        r = verr_set(e, r, "cannot write YAML");
out:
    for (size_t i = 0; i < view.len; i++) {
        free(view.docs[i]->v.map.items);
        free(view.docs[i]);
    }
    free(view.docs);
    doc_free(sops_key);
    return r;
}
