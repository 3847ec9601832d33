/*
 * sprig_types.c - Go types of template values: the "go:TYPE" tags (see sprig.h), type
 * and kind names as reflect prints them, reflect.DeepEqual, Sprig's empty(), and the
 * fmt %v text of values including Sprig's Stringer results (semver, certificates).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sprig_internal.h"

const char *sprig_tag_type(const struct doc *d, size_t *len)
{
    const char *t, *bar;

    if (d == NULL || d->tag == NULL || strncmp(d->tag, "go:", 3) != 0)
        return NULL;
    t = d->tag + 3;
    bar = strchr(t, '|');
    *len = bar != NULL ? (size_t)(bar - t) : strlen(t);
    return t;
}

int sprig_tag_is(const struct doc *d, const char *type)
{
    size_t len;
    const char *t = sprig_tag_type(d, &len);

    return t != NULL && len == strlen(type) && memcmp(t, type, len) == 0;
}

struct doc *sprig_tagged(struct doc *d, const char *type)
{
    size_t n;
    char *tag;

    if (d == NULL)
        return NULL;
    n = strlen(type) + 4;
    tag = malloc(n);
    if (tag == NULL) {
        doc_free(d);
        return NULL;
    }
    snprintf(tag, n, "go:%s", type);
    free(d->tag);
    d->tag = tag;
    return d;
}

int sprig_is_time(const struct doc *d)
{
    return d != NULL && d->type == DOC_STR && sprig_tag_is(d, "time.Time");
}

/* The default Go type of an untagged document. */
static const char *default_type(const struct doc *d)
{
    if (d == NULL)
        return "<nil>";
    switch (d->type) {
    case DOC_NULL:
        return "<nil>";
    case DOC_BOOL:
        return "bool";
    case DOC_INT:
        return "int";
    case DOC_UINT:
        return "uint64";
    case DOC_FLOAT:
        return "float64";
    case DOC_STR:
    case DOC_COMMENT:
        return "string";
    case DOC_LIST:
        return "[]interface {}";
    case DOC_MAP:
        return "map[string]interface {}";
    }
    return "<nil>";
}

int sprig_type_name(const struct doc *d, char *buf, size_t len)
{
    size_t tl;
    const char *t = sprig_tag_type(d, &tl);

    if (t != NULL && (d == NULL || d->type != DOC_NULL))
        return snprintf(buf, len, "%.*s", (int)tl, t);
    return snprintf(buf, len, "%s", default_type(d));
}

const char *sprig_kind_name(const struct doc *d)
{
    char t[64];

    if (d == NULL || d->type == DOC_NULL)
        return "invalid";
    sprig_type_name(d, t, sizeof(t));
    if (t[0] == '[' && t[1] == ']')
        return "slice";
    if (t[0] == '[')
        return "array";
    if (strncmp(t, "map[", 4) == 0)
        return "map";
    if (t[0] == '*')
        return "ptr";
    if (strchr(t, '.') != NULL)
        return "struct";
    /* basic types: the kind is the type name */
    static const char *const basic[] = {"bool",   "int",     "int8",    "int16",  "int32",
                                        "int64",  "uint",    "uint8",   "uint16", "uint32",
                                        "uint64", "float32", "float64", "string"};
    for (size_t i = 0; i < sizeof(basic) / sizeof(basic[0]); i++)
        if (strcmp(t, basic[i]) == 0)
            return basic[i];
    return "interface";
}

int sprig_value_equal(const struct doc *a, const struct doc *b)
{
    char ta[64], tb[64];

    if (a == NULL || b == NULL || a->type == DOC_NULL || b->type == DOC_NULL)
        return (a == NULL || a->type == DOC_NULL) && (b == NULL || b->type == DOC_NULL);
    sprig_type_name(a, ta, sizeof(ta));
    sprig_type_name(b, tb, sizeof(tb));
    if (strcmp(ta, tb) != 0 || a->type != b->type)
        return 0;
    switch (a->type) {
    case DOC_FLOAT:
        return a->v.f == b->v.f; /* NaN is never equal, as in Go */
    case DOC_LIST: {
        size_t i = 0, j = 0;
        for (;;) {
            while (i < a->v.list.len && a->v.list.items[i]->type == DOC_COMMENT)
                i++;
            while (j < b->v.list.len && b->v.list.items[j]->type == DOC_COMMENT)
                j++;
            if (i >= a->v.list.len || j >= b->v.list.len)
                return i >= a->v.list.len && j >= b->v.list.len;
            if (!sprig_value_equal(a->v.list.items[i++], b->v.list.items[j++]))
                return 0;
        }
    }
    case DOC_MAP: {
        size_t na = 0, nb = 0;
        for (size_t i = 0; i < a->v.map.len; i++) {
            const struct doc_pair *p = &a->v.map.items[i];
            char tmp[64];
            size_t kl;
            const char *k;
            struct doc *v;
            if (p->key->type == DOC_COMMENT)
                continue;
            na++;
            k = doc_key_text(p->key, tmp, sizeof(tmp), &kl);
            v = doc_map_get(b, k, kl);
            if (v == NULL || !sprig_value_equal(p->val, v))
                return 0;
        }
        for (size_t i = 0; i < b->v.map.len; i++)
            nb += b->v.map.items[i].key->type != DOC_COMMENT;
        return na == nb;
    }
    default:
        return doc_equal(a, b);
    }
}

int sprig_value_empty(const struct doc *d)
{
    if (d == NULL)
        return 1;
    switch (d->type) {
    case DOC_NULL:
        return 1;
    case DOC_BOOL:
        return !d->v.b;
    case DOC_INT:
        return d->v.i == 0;
    case DOC_UINT:
        return d->v.u == 0;
    case DOC_FLOAT:
        return d->v.f == 0;
    case DOC_STR:
        return !sprig_is_time(d) && d->v.s.len == 0;
    case DOC_LIST:
        for (size_t i = 0; i < d->v.list.len; i++)
            if (d->v.list.items[i]->type != DOC_COMMENT)
                return 0;
        return 1;
    case DOC_MAP:
        if (strcmp(sprig_kind_name(d), "map") != 0)
            return 0; /* structs are never empty, pointers are not nil */
        for (size_t i = 0; i < d->v.map.len; i++)
            if (d->v.map.items[i].key->type != DOC_COMMENT)
                return 0;
        return 1;
    default:
        return 1;
    }
}

/* A string field of a map (empty when absent or not a string). */
static struct sstr field(const struct doc *m, const char *key)
{
    const struct doc *v = doc_map_getz(m, key);
    struct sstr s = {"", 0};

    if (v != NULL && v->type == DOC_STR) {
        s.p = v->v.s.ptr;
        s.len = v->v.s.len;
    }
    return s;
}

/* An integer field of a map (0 when absent). */
static int64_t ifield(const struct doc *m, const char *key)
{
    const struct doc *v = doc_map_getz(m, key);

    return v != NULL && v->type == DOC_INT ? v->v.i : 0;
}

int sprig_format_value(const struct doc *d, struct dbuf *out)
{
    int r;

    if (d == NULL)
        return dbuf_adds(out, "<nil>");
    if (d->type == DOC_MAP && sprig_tag_is(d, "*semver.Version")) {
        struct sstr pre = field(d, "Prerelease"), meta = field(d, "Metadata");
        r = dbuf_printf(out, "%lld.%lld.%lld", (long long)ifield(d, "Major"),
                        (long long)ifield(d, "Minor"), (long long)ifield(d, "Patch"));
        if (r == 0 && pre.len > 0)
            r = dbuf_printf(out, "-%.*s", (int)pre.len, pre.p);
        if (r == 0 && meta.len > 0)
            r = dbuf_printf(out, "+%.*s", (int)meta.len, meta.p);
        return r;
    }
    if (d->type == DOC_MAP && sprig_tag_is(d, "sprig.certificate")) {
        struct sstr c = field(d, "Cert"), k = field(d, "Key");
        return dbuf_printf(out, "{%.*s %.*s}", (int)c.len, c.p, (int)k.len, k.p);
    }
    if (d->type == DOC_LIST) {
        int first = 1;
        r = dbuf_addc(out, '[');
        for (size_t i = 0; r == 0 && i < d->v.list.len; i++) {
            if (d->v.list.items[i]->type == DOC_COMMENT)
                continue;
            if (!first)
                r = dbuf_addc(out, ' ');
            first = 0;
            if (r == 0)
                r = sprig_format_value(d->v.list.items[i], out);
        }
        return r != 0 ? r : dbuf_addc(out, ']');
    }
    if (d->type == DOC_MAP) {
        size_t n, *idx = doc_map_order(d, 1, &n);
        if (idx == NULL)
            return VALS_ENOMEM;
        r = dbuf_adds(out, "map[");
        for (size_t i = 0; r == 0 && i < n; i++) {
            if (i > 0)
                r = dbuf_addc(out, ' ');
            if (r == 0)
                r = sprig_format_value(d->v.map.items[idx[i]].key, out);
            if (r == 0)
                r = dbuf_addc(out, ':');
            if (r == 0)
                r = sprig_format_value(d->v.map.items[idx[i]].val, out);
        }
        free(idx);
        return r != 0 ? r : dbuf_addc(out, ']');
    }
    return doc_format_gov(d, out);
}

int sprig_strval(const struct doc *d, struct dbuf *out)
{
    return sprig_format_value(d, out);
}
