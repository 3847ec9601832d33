/*
 * sops_store_binary.c - the binary store: any file is one string value, stored encrypted as
 * the JSON document {"data": "ENC[...]", "sops": {...}}; decrypted, the bytes come back
 * exactly (sops-age.md §2.9).
 */
#include <string.h>

#include "sops_int.h"

int sops_binary_load_plain(const char *buf, size_t len, struct doc_stream *docs, struct verr *e)
{
    struct doc *m = doc_map();
    int r;

    memset(docs, 0, sizeof(*docs));
    if (m == NULL)
        return VALS_ENOMEM;
    if ((r = doc_map_append(m, doc_strz("data"), doc_str(buf, len))) != 0) {
        doc_free(m);
        return r;
    }
    (void)e;
    return doc_stream_push(docs, m);
}

int sops_binary_emit_plain(const struct doc_stream *docs, const char *name, struct dbuf *out,
                           struct verr *e)
{
    const struct doc *d = docs->len == 1 ? doc_map_getz(docs->docs[0], "data") : NULL;

    if (d == NULL || d->type != DOC_STR)
        return verr_set(e, VALS_EPARSE, "%s: a binary-store file needs a string \"data\" value",
                        name);
    return dbuf_add(out, d->v.s.ptr, d->v.s.len);
}
