/*
 * sops_store_json.c - the JSON store (sops-age.md §2.8): a top-level object <-> bytes in
 * the layout of Go's json.Indent: one member per line, a TAB per level by default (or n
 * spaces), "key": value, [] and {} for empty containers, Go's string escaping (HTML-safe,
 * invalid UTF-8 as U+FFFD) and number formatting; comments are dropped.  sops >= 3.10 ends
 * the text with a newline.  Numbers that do not fit int64 are read as floats.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sops_int.h"

/* Take the value of top-level key `key` out of a map (NULL when absent). */
static struct doc *detach(struct doc *map, const char *key)
{
    for (size_t i = 0; i < map->v.map.len; i++) {
        struct doc_pair *p = &map->v.map.items[i];
        if (p->key->type == DOC_STR && !strcmp(p->key->v.s.ptr, key)) {
            struct doc *v = p->val;
            doc_free(p->key);
            memmove(p, p + 1, (map->v.map.len - i - 1) * sizeof(*p));
            map->v.map.len--;
            return v;
        }
    }
    return NULL;
}

/* uint64 values become floats, as JSON numbers past int64 are in sops. */
static void uints_to_floats(struct doc *d)
{
    if (d == NULL)
        return;
    if (d->type == DOC_UINT) {
        double f = (double)d->v.u;
        d->type = DOC_FLOAT;
        d->v.f = f;
    } else if (d->type == DOC_LIST) {
        for (size_t i = 0; i < d->v.list.len; i++)
            uints_to_floats(d->v.list.items[i]);
    } else if (d->type == DOC_MAP) {
        for (size_t i = 0; i < d->v.map.len; i++)
            uints_to_floats(d->v.map.items[i].val);
    }
}

int sops_json_load(const char *buf, size_t len, const char *name, struct doc_stream *docs,
                   struct doc **meta, struct verr *e)
{
    struct doc *d = NULL;
    int r = doc_parse_json(buf, len, name, &d, e);

    *meta = NULL;
    memset(docs, 0, sizeof(*docs));
    if (r != 0)
        return r;
    if (d->type != DOC_MAP) {
        doc_free(d);
        return verr_set(e, VALS_EPARSE, "%s: the top level of a JSON file must be an object", name);
    }
    uints_to_floats(d);
    *meta = detach(d, "sops");
    if ((r = doc_stream_push(docs, d)) != 0) {
        doc_free(*meta);
        *meta = NULL;
    }
    return r;
}

int sops_json_emit(const struct doc_stream *docs, const struct doc *meta,
                   const struct sops_layout *l, struct dbuf *out, struct verr *e)
{
    struct doc view, *root;
    struct doc_pair *items = NULL;
    int r;

    if (docs->len != 1 || docs->docs[0]->type != DOC_MAP)
        return verr_set(e, VALS_ETYPE, "a JSON file holds one object");
    root = docs->docs[0];
    view = *root;
    if (meta != NULL) {
        if ((items = calloc(root->v.map.len + 1, sizeof(*items))) == NULL)
            return VALS_ENOMEM;
        if (root->v.map.len > 0)
            memcpy(items, root->v.map.items, root->v.map.len * sizeof(*items));
        items[root->v.map.len].key = doc_strz("sops");
        if (items[root->v.map.len].key == NULL) {
            free(items);
            return VALS_ENOMEM;
        }
        items[root->v.map.len].val = (struct doc *)meta;
        view.v.map.items = items;
        view.v.map.len = root->v.map.len + 1;
    }
    {
        char unit[16];
        int n = l->json_indent < 0 ? 1 : l->json_indent < 16 ? l->json_indent : 15;
        memset(unit, l->json_indent < 0 ? '\t' : ' ', (size_t)n);
        unit[n] = '\0';
        r = doc_emit_json_indent(&view, out, 0, unit);
        if (r == VALS_ETYPE)
            verr_set(e, r, "JSON cannot hold NaN or infinite numbers");
    }
    if (r == 0 && l->json_newline)
        r = dbuf_addc(out, '\n');
    if (items != NULL) {
        doc_free(items[root->v.map.len].key);
        free(items);
    }
    return r;
}
