/*
 * sops_store_dotenv.c - the dotenv store (sops-age.md §2.9): one KEY=VALUE per line (the key
 * is everything before the first '='), "#" lines are comments, empty lines are dropped, a
 * "\n" in a value stands for a newline.  The metadata is flattened into sops_* keys
 * (sops_age__list_0__map_enc=...), written sorted after the data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sops_int.h"

#define SOPS_PREFIX "sops_"

/* A string node from dotenv text with "\n" turned into newlines. */
static struct doc *unescape(const char *s, size_t len)
{
    struct dbuf b = DBUF_INIT;
    struct doc *d = NULL;
    int r = 0;

    for (size_t i = 0; i < len && r == 0; i++) {
        if (s[i] == '\\' && i + 1 < len && s[i + 1] == 'n') {
            r = dbuf_addc(&b, '\n');
            i++;
        } else {
            r = dbuf_addc(&b, s[i]);
        }
    }
    if (r == 0)
        d = doc_str(b.p != NULL ? b.p : "", b.len);
    dbuf_free(&b);
    return d;
}

/* Insert value `v` at flattened path `k` ("age__list_0__map_enc") into map `root`. */
static int unflatten(struct doc *root, const char *k, size_t klen, struct doc *v)
{
    struct doc *cur = root;
    size_t i = 0;

    for (;;) {
        size_t j = i;
        int list = 0;
        /* the segment runs up to the next "__list_" or "__map_" */
        while (j < klen && !(klen - j >= 7 && !memcmp(k + j, "__list_", 7)) &&
               !(klen - j >= 6 && !memcmp(k + j, "__map_", 6)))
            j++;
        if (cur->type == DOC_MAP) {
            struct doc *next;
            char *name = strndup(k + i, j - i);
            if (name == NULL) {
                doc_free(v);
                return VALS_ENOMEM;
            }
            if (j == klen) {
                int r = doc_map_set(cur, name, v);
                free(name);
                return r;
            }
            list = !memcmp(k + j, "__list_", 7);
            next = doc_map_getz(cur, name);
            if (next == NULL || next->type != (list ? DOC_LIST : DOC_MAP)) {
                int r = doc_map_set(cur, name, list ? doc_list() : doc_map());
                next = doc_map_getz(cur, name);
                if (r != 0 || next == NULL) {
                    free(name);
                    doc_free(v);
                    return VALS_ENOMEM;
                }
            }
            free(name);
            cur = next;
        } else { /* a list: the segment is an index */
            char num[24];
            size_t idx;
            if (j - i == 0 || j - i >= sizeof(num)) {
                doc_free(v);
                return VALS_EPARSE;
            }
            memcpy(num, k + i, j - i);
            num[j - i] = '\0';
            idx = strtoul(num, NULL, 10);
            if (idx > 1000) {
                doc_free(v);
                return VALS_EPARSE;
            }
            while (cur->v.list.len <= idx)
                if (doc_list_push(cur, doc_null()) != 0) {
                    doc_free(v);
                    return VALS_ENOMEM;
                }
            if (j == klen) {
                doc_free(cur->v.list.items[idx]);
                cur->v.list.items[idx] = v;
                return 0;
            }
            list = !memcmp(k + j, "__list_", 7);
            if (cur->v.list.items[idx]->type != (list ? DOC_LIST : DOC_MAP)) {
                struct doc *n = list ? doc_list() : doc_map();
                if (n == NULL) {
                    doc_free(v);
                    return VALS_ENOMEM;
                }
                doc_free(cur->v.list.items[idx]);
                cur->v.list.items[idx] = n;
            }
            cur = cur->v.list.items[idx];
        }
        i = j + (list ? 7 : 6);
    }
}

int sops_dotenv_load(const char *buf, size_t len, const char *name, struct doc_stream *docs,
                     struct doc **meta, struct verr *e)
{
    struct doc *data = doc_map(), *md = doc_map();
    size_t i = 0, line = 0;
    int r = 0, encrypted = 0;

    *meta = NULL;
    memset(docs, 0, sizeof(*docs));
    if (data == NULL || md == NULL) {
        r = VALS_ENOMEM;
        goto out;
    }
    /* a file with sops_mac or sops_version is encrypted: its sops_ keys are metadata */
    for (size_t p = 0; p < len; p++)
        if ((p == 0 || buf[p - 1] == '\n') &&
            ((len - p >= 9 && !memcmp(buf + p, "sops_mac=", 9)) ||
             (len - p >= 13 && !memcmp(buf + p, "sops_version=", 13))))
            encrypted = 1;
    while (i < len && r == 0) {
        const char *l = buf + i, *eq;
        size_t n = 0;
        while (i + n < len && buf[i + n] != '\n')
            n++;
        i += n + 1;
        line++;
        if (n == 0)
            continue;
        if (l[0] == '#') {
            r = doc_map_append(data, doc_comment(l + 1, n - 1), NULL);
            continue;
        }
        if ((eq = memchr(l, '=', n)) == NULL) {
            r = verr_set(e, VALS_EPARSE, "%s:%zu: invalid dotenv line (no '=')", name, line);
            break;
        }
        if (encrypted && (size_t)(eq - l) > 5 && !memcmp(l, SOPS_PREFIX, 5)) {
            r = unflatten(md, l + 5, (size_t)(eq - l) - 5,
                          unescape(eq + 1, n - (size_t)(eq - l) - 1));
            if (r == VALS_EPARSE)
                r = verr_set(e, r, "%s:%zu: bad sops metadata key", name, line);
            continue;
        }
        r = doc_map_append(data, doc_str(l, (size_t)(eq - l)),
                           unescape(eq + 1, n - (size_t)(eq - l) - 1));
    }
    if (r == 0) {
        r = doc_stream_push(docs, data); /* takes `data`, also on failure */
        data = NULL;
    }
    if (r == 0 && encrypted) {
        *meta = md;
        md = NULL;
    }
out:
    doc_free(data);
    doc_free(md);
    if (r != 0)
        doc_stream_free(docs);
    return r;
}

/* One "KEY=VALUE" with newlines written as "\n". */
static int put_line(struct dbuf *out, const char *k, size_t klen, const char *v, size_t vlen)
{
    int r = dbuf_add(out, k, klen);

    if (r == 0)
        r = dbuf_addc(out, '=');
    for (size_t i = 0; i < vlen && r == 0; i++)
        r = v[i] == '\n' ? dbuf_adds(out, "\\n") : dbuf_addc(out, v[i]);
    return r != 0 ? r : dbuf_addc(out, '\n');
}

struct flat {
    char *key;
    struct dbuf val;
};

struct flats {
    struct flat *f;
    size_t n, cap;
};

/* Flatten metadata like sops' stores.Flatten: maps join with "__map_", lists "__list_N". */
static int flatten(const struct doc *d, const char *prefix, struct flats *out)
{
    char key[512];
    int r = 0;

    if (d == NULL || d->type == DOC_NULL || d->type == DOC_COMMENT)
        return 0;
    if (d->type == DOC_MAP) {
        for (size_t i = 0; i < d->v.map.len && r == 0; i++) {
            const struct doc_pair *p = &d->v.map.items[i];
            if (p->key->type != DOC_STR)
                continue;
            snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "__map_" : "",
                     p->key->v.s.ptr);
            r = flatten(p->val, key, out);
        }
        return r;
    }
    if (d->type == DOC_LIST) {
        for (size_t i = 0; i < d->v.list.len && r == 0; i++) {
            snprintf(key, sizeof(key), "%s__list_%zu", prefix, i);
            r = flatten(d->v.list.items[i], key, out);
        }
        return r;
    }
    if (out->n == out->cap) {
        size_t ncap = out->cap ? out->cap * 2 : 16;
        struct flat *p = realloc(out->f, ncap * sizeof(*p));
        if (p == NULL)
            return VALS_ENOMEM;
        out->f = p;
        out->cap = ncap;
    }
    memset(&out->f[out->n], 0, sizeof(struct flat));
    if ((out->f[out->n].key = strdup(prefix)) == NULL)
        return VALS_ENOMEM;
    out->n++;
    return doc_format_gov(d, &out->f[out->n - 1].val);
}

/* qsort order of flattened metadata keys (bytewise). */
static int flat_cmp(const void *a, const void *b)
{
    return strcmp(((const struct flat *)a)->key, ((const struct flat *)b)->key);
}

int sops_dotenv_emit(const struct doc_stream *docs, const struct doc *meta, struct dbuf *out,
                     struct verr *e)
{
    const struct doc *d = docs->len > 0 ? docs->docs[0] : NULL;
    struct flats fl = {0};
    int r = 0;

    for (size_t i = 0; d != NULL && i < d->v.map.len && r == 0; i++) {
        const struct doc_pair *p = &d->v.map.items[i];
        if (p->key->type == DOC_COMMENT) {
            r = dbuf_addc(out, '#');
            if (r == 0)
                r = dbuf_add(out, p->key->v.s.ptr, p->key->v.s.len);
            if (r == 0)
                r = dbuf_addc(out, '\n');
            continue;
        }
        if (p->val->type == DOC_MAP || p->val->type == DOC_LIST) {
            r = verr_set(e, VALS_ETYPE, "dotenv cannot hold the nested value of \"%.60s\"",
                         p->key->v.s.ptr);
            break;
        }
        if (p->val->type == DOC_STR) {
            r = put_line(out, p->key->v.s.ptr, p->key->v.s.len, p->val->v.s.ptr, p->val->v.s.len);
        } else {
            struct dbuf v = DBUF_INIT;
            r = doc_format_gov(p->val, &v);
            if (r == 0)
                r = put_line(out, p->key->v.s.ptr, p->key->v.s.len, v.p, v.len);
            dbuf_free(&v);
        }
    }
    if (r == 0 && meta != NULL) {
        r = flatten(meta, "", &fl);
        if (r == 0)
            qsort(fl.f, fl.n, sizeof(*fl.f), flat_cmp);
        for (size_t i = 0; i < fl.n && r == 0; i++) {
            r = dbuf_adds(out, SOPS_PREFIX);
            if (r == 0)
                r = put_line(out, fl.f[i].key, strlen(fl.f[i].key),
                             fl.f[i].val.p ? fl.f[i].val.p : "", fl.f[i].val.len);
        }
    }
    for (size_t i = 0; i < fl.n; i++) {
        free(fl.f[i].key);
        dbuf_free(&fl.f[i].val);
    }
    free(fl.f);
    return r;
}
