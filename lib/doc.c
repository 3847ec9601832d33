/*
 * doc.c - the document model: construction, lookup, copy, comparison, freeing, and Go-style
 * text formatting of scalars (see doc.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"

struct doc *doc_new(enum doc_type type)
{
    struct doc *d = calloc(1, sizeof(*d));

    if (d != NULL)
        d->type = (uint8_t)type;
    return d;
}

struct doc *doc_null(void)
{
    return doc_new(DOC_NULL);
}

struct doc *doc_bool(int b)
{
    struct doc *d = doc_new(DOC_BOOL);

    if (d != NULL)
        d->v.b = b != 0;
    return d;
}

struct doc *doc_int(int64_t i)
{
    struct doc *d = doc_new(DOC_INT);

    if (d != NULL)
        d->v.i = i;
    return d;
}

struct doc *doc_uint(uint64_t u)
{
    struct doc *d;

    if (u <= INT64_MAX)
        return doc_int((int64_t)u);
    d = doc_new(DOC_UINT);
    if (d != NULL)
        d->v.u = u;
    return d;
}

struct doc *doc_float(double f)
{
    struct doc *d = doc_new(DOC_FLOAT);

    if (d != NULL)
        d->v.f = f;
    return d;
}

/* Make a string-like node (string or comment) holding a copy of s. */
static struct doc *doc_text(enum doc_type type, const char *s, size_t len)
{
    struct doc *d = doc_new(type);

    if (d == NULL)
        return NULL;
    d->v.s.ptr = malloc(len + 1);
    if (d->v.s.ptr == NULL) {
        free(d);
        return NULL;
    }
    if (len > 0)
        memcpy(d->v.s.ptr, s, len);
    d->v.s.ptr[len] = '\0';
    d->v.s.len = len;
    return d;
}

struct doc *doc_str(const char *s, size_t len)
{
    return doc_text(DOC_STR, s, len);
}

struct doc *doc_strz(const char *s)
{
    return doc_text(DOC_STR, s, strlen(s));
}

struct doc *doc_comment(const char *s, size_t len)
{
    return doc_text(DOC_COMMENT, s, len);
}

struct doc *doc_list(void)
{
    return doc_new(DOC_LIST);
}

struct doc *doc_map(void)
{
    return doc_new(DOC_MAP);
}

/* Grow an array of `size`-byte elements to hold at least `need` elements. */
static int grow(void **items, size_t *cap, size_t need, size_t size)
{
    size_t ncap;
    void *p;

    if (need <= *cap)
        return 0;
    ncap = *cap != 0 ? *cap * 2 : 4;
    while (ncap < need)
        ncap *= 2;
    p = realloc(*items, ncap * size);
    if (p == NULL)
        return VALS_ENOMEM;
    *items = p;
    *cap = ncap;
    return 0;
}

int doc_list_push(struct doc *list, struct doc *item)
{
    if (item == NULL)
        return VALS_ENOMEM;
    if (grow((void **)&list->v.list.items, &list->v.list.cap, list->v.list.len + 1,
             sizeof(struct doc *)) != 0) {
        doc_free(item);
        return VALS_ENOMEM;
    }
    list->v.list.items[list->v.list.len++] = item;
    return 0;
}

int doc_map_append(struct doc *map, struct doc *key, struct doc *val)
{
    if (key == NULL || (val == NULL && key->type != DOC_COMMENT))
        goto fail;
    if (grow((void **)&map->v.map.items, &map->v.map.cap, map->v.map.len + 1,
             sizeof(struct doc_pair)) != 0)
        goto fail;
    map->v.map.items[map->v.map.len].key = key;
    map->v.map.items[map->v.map.len].val = val;
    map->v.map.len++;
    return 0;
fail:
    doc_free(key);
    doc_free(val);
    return VALS_ENOMEM;
}

const char *doc_key_text(const struct doc *key, char *tmp, size_t tmplen, size_t *len)
{
    switch (key->type) {
    case DOC_STR:
        *len = key->v.s.len;
        return key->v.s.ptr;
    case DOC_INT:
        snprintf(tmp, tmplen, "%" PRId64, key->v.i);
        break;
    case DOC_UINT:
        snprintf(tmp, tmplen, "%" PRIu64, key->v.u);
        break;
    case DOC_BOOL:
        snprintf(tmp, tmplen, "%s", key->v.b ? "true" : "false");
        break;
    case DOC_FLOAT:
        doc_format_float(key->v.f, tmp, tmplen);
        break;
    case DOC_NULL:
        snprintf(tmp, tmplen, "<nil>");
        break;
    default:
        tmp[0] = '\0';
        break;
    }
    *len = strlen(tmp);
    return tmp;
}

/* Index of the pair with this key text, or -1. */
static long map_find(const struct doc *map, const char *key, size_t keylen)
{
    char tmp[64];
    size_t len;
    const char *text;

    if (map == NULL || map->type != DOC_MAP)
        return -1;
    for (size_t i = 0; i < map->v.map.len; i++) {
        const struct doc *k = map->v.map.items[i].key;
        if (k->type == DOC_COMMENT)
            continue;
        text = doc_key_text(k, tmp, sizeof(tmp), &len);
        if (len == keylen && memcmp(text, key, keylen) == 0)
            return (long)i;
    }
    return -1;
}

struct doc *doc_map_get(const struct doc *map, const char *key, size_t keylen)
{
    long i = map_find(map, key, keylen);

    return i < 0 ? NULL : map->v.map.items[i].val;
}

struct doc *doc_map_getz(const struct doc *map, const char *key)
{
    return doc_map_get(map, key, strlen(key));
}

int doc_map_set(struct doc *map, const char *key, struct doc *val)
{
    long i;

    if (val == NULL)
        return VALS_ENOMEM;
    i = map_find(map, key, strlen(key));
    if (i >= 0) {
        doc_free(map->v.map.items[i].val);
        map->v.map.items[i].val = val;
        return 0;
    }
    return doc_map_append(map, doc_strz(key), val);
}

int doc_map_del(struct doc *map, const char *key)
{
    long i = map_find(map, key, strlen(key));

    if (i < 0)
        return 0;
    doc_free(map->v.map.items[i].key);
    doc_free(map->v.map.items[i].val);
    memmove(&map->v.map.items[i], &map->v.map.items[i + 1],
            (map->v.map.len - (size_t)i - 1) * sizeof(struct doc_pair));
    map->v.map.len--;
    return 1;
}

int doc_str_set(struct doc *d, const char *s, size_t len)
{
    char *p = malloc(len + 1);

    if (p == NULL)
        return VALS_ENOMEM;
    memcpy(p, s, len);
    p[len] = '\0';
    if (d->type == DOC_STR || d->type == DOC_COMMENT)
        secure_free(d->v.s.ptr, d->v.s.len);
    if (d->type != DOC_COMMENT) {
        /* a comment keeps its place (inline or not); a string's old quoting may not fit */
        d->type = DOC_STR;
        d->style = DOC_STYLE_ANY;
    }
    d->v.s.ptr = p;
    d->v.s.len = len;
    return 0;
}

void doc_free(struct doc *d)
{
    if (d == NULL)
        return;
    switch (d->type) {
    case DOC_STR:
    case DOC_COMMENT:
        secure_free(d->v.s.ptr, d->v.s.len);
        break;
    case DOC_LIST:
        for (size_t i = 0; i < d->v.list.len; i++)
            doc_free(d->v.list.items[i]);
        free(d->v.list.items);
        break;
    case DOC_MAP:
        for (size_t i = 0; i < d->v.map.len; i++) {
            doc_free(d->v.map.items[i].key);
            doc_free(d->v.map.items[i].val);
        }
        free(d->v.map.items);
        break;
    default:
        break;
    }
    free(d->tag);
    secure_zero(d, sizeof(*d));
    free(d);
}

struct doc *doc_copy(const struct doc *d)
{
    struct doc *c;

    if (d == NULL)
        return NULL;
    switch (d->type) {
    case DOC_STR:
    case DOC_COMMENT:
        c = doc_text((enum doc_type)d->type, d->v.s.ptr, d->v.s.len);
        break;
    case DOC_LIST:
        c = doc_list();
        if (c == NULL)
            return NULL;
        for (size_t i = 0; i < d->v.list.len; i++) {
            if (doc_list_push(c, doc_copy(d->v.list.items[i])) != 0) {
                doc_free(c);
                return NULL;
            }
        }
        break;
    case DOC_MAP:
        c = doc_map();
        if (c == NULL)
            return NULL;
        for (size_t i = 0; i < d->v.map.len; i++) {
            const struct doc_pair *p = &d->v.map.items[i];
            struct doc *v = p->val != NULL ? doc_copy(p->val) : NULL;
            if ((p->val != NULL && v == NULL) || doc_map_append(c, doc_copy(p->key), v) != 0) {
                doc_free(c);
                return NULL;
            }
        }
        break;
    default:
        c = doc_new((enum doc_type)d->type);
        if (c != NULL)
            c->v = d->v;
        break;
    }
    if (c == NULL)
        return NULL;
    c->style = d->style;
    c->line = d->line;
    c->col = d->col;
    if (d->tag != NULL && (c->tag = strdup(d->tag)) == NULL) {
        doc_free(c);
        return NULL;
    }
    return c;
}

/* Number of data (non-comment) entries of a container. */
static size_t data_len(const struct doc *d)
{
    size_t n = 0;

    if (d->type == DOC_LIST) {
        for (size_t i = 0; i < d->v.list.len; i++)
            n += d->v.list.items[i]->type != DOC_COMMENT;
    } else {
        for (size_t i = 0; i < d->v.map.len; i++)
            n += d->v.map.items[i].key->type != DOC_COMMENT;
    }
    return n;
}

int doc_equal(const struct doc *a, const struct doc *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case DOC_NULL:
        return 1;
    case DOC_BOOL:
        return a->v.b == b->v.b;
    case DOC_INT:
        return a->v.i == b->v.i;
    case DOC_UINT:
        return a->v.u == b->v.u;
    case DOC_FLOAT:
        return a->v.f == b->v.f || (isnan(a->v.f) && isnan(b->v.f));
    case DOC_STR:
    case DOC_COMMENT:
        return a->v.s.len == b->v.s.len && memcmp(a->v.s.ptr, b->v.s.ptr, a->v.s.len) == 0;
    case DOC_LIST: {
        size_t i = 0, j = 0;
        if (data_len(a) != data_len(b))
            return 0;
        for (;;) {
            while (i < a->v.list.len && a->v.list.items[i]->type == DOC_COMMENT)
                i++;
            while (j < b->v.list.len && b->v.list.items[j]->type == DOC_COMMENT)
                j++;
            if (i >= a->v.list.len || j >= b->v.list.len)
                return 1;
            if (!doc_equal(a->v.list.items[i++], b->v.list.items[j++]))
                return 0;
        }
    }
    case DOC_MAP: {
        size_t i = 0, j = 0;
        if (data_len(a) != data_len(b))
            return 0;
        for (;;) {
            while (i < a->v.map.len && a->v.map.items[i].key->type == DOC_COMMENT)
                i++;
            while (j < b->v.map.len && b->v.map.items[j].key->type == DOC_COMMENT)
                j++;
            if (i >= a->v.map.len || j >= b->v.map.len)
                return 1;
            if (!doc_equal(a->v.map.items[i].key, b->v.map.items[j].key) ||
                !doc_equal(a->v.map.items[i].val, b->v.map.items[j].val))
                return 0;
            i++;
            j++;
        }
    }
    }
    return 0;
}

const char *doc_type_name(enum doc_type t)
{
    static const char *const names[] = {"null",   "bool", "int", "uint",   "float",
                                        "string", "list", "map", "comment"};

    return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/*
 * Shortest decimal digits that read back as `f` (f finite, > 0): digits into `digs`
 * (no dot), their count in *nd and the decimal point position in *dp, so that
 * f = 0.d1d2...dn × 10^dp.
 */
static void float_digits(double f, char *digs, int *nd, int *dp)
{
    char buf[40];
    int prec, n = 0, exp10;
    char *e;

    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    /* buf is "d.ddde[+-]XX" */
    for (const char *p = buf; *p != 'e' && *p != '\0'; p++)
        if (*p >= '0' && *p <= '9')
            digs[n++] = *p;
    e = strchr(buf, 'e');
    exp10 = e != NULL ? (int)strtol(e + 1, NULL, 10) : 0;
    while (n > 1 && digs[n - 1] == '0')
        n--;
    digs[n] = '\0';
    *nd = n;
    *dp = exp10 + 1;
}

/* Go strconv.FormatFloat(f, fmt, -1, 64) for fmt 'g' (%v), 'f', or JSON's rule ('j'). */
static int format_float_mode(double f, char mode, char *buf, size_t len)
{
    char digs[32], out[400];
    int nd, dp, exp, use_e, o = 0;

    if (isnan(f))
        return snprintf(buf, len, "NaN");
    if (isinf(f))
        return snprintf(buf, len, f > 0 ? "+Inf" : "-Inf");
    if (f == 0)
        return snprintf(buf, len, signbit(f) ? "-0" : "0");
    if (f < 0)
        out[o++] = '-';
    float_digits(fabs(f), digs, &nd, &dp);
    exp = dp - 1;
    if (mode == 'g') /* strconv 'g' with shortest precision decides with precision 6 */
        use_e = exp < -4 || exp >= 6;
    else if (mode == 'j') /* encoding/json */
        use_e = exp < -6 || exp >= 21;
    else
        use_e = 0;
    if (use_e) {
        out[o++] = digs[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++)
                out[o++] = digs[i];
        }
        o += snprintf(out + o, sizeof(out) - (size_t)o, "e%c%0*d", exp < 0 ? '-' : '+',
                      mode == 'j' ? 1 : 2, exp < 0 ? -exp : exp);
    } else if (dp <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -dp; i++)
            out[o++] = '0';
        for (int i = 0; i < nd; i++)
            out[o++] = digs[i];
    } else {
        for (int i = 0; i < dp; i++)
            out[o++] = i < nd ? digs[i] : '0';
        if (nd > dp) {
            out[o++] = '.';
            for (int i = dp; i < nd; i++)
                out[o++] = digs[i];
        }
    }
    out[o] = '\0';
    return snprintf(buf, len, "%s", out);
}

int doc_format_float(double f, char *buf, size_t len)
{
    return format_float_mode(f, 'g', buf, len);
}

int doc_format_float_fixed(double f, char *buf, size_t len)
{
    return format_float_mode(f, 'f', buf, len);
}

int doc_format_float_json(double f, char *buf, size_t len)
{
    return format_float_mode(f, 'j', buf, len);
}

size_t *doc_map_order(const struct doc *d, int sorted, size_t *n)
{
    size_t *idx = malloc((d->v.map.len + 1) * sizeof(size_t));
    size_t m = 0;

    if (idx == NULL)
        return NULL;
    for (size_t i = 0; i < d->v.map.len; i++)
        if (d->v.map.items[i].key->type != DOC_COMMENT)
            idx[m++] = i;
    /* insertion sort: stable, and maps are small */
    for (size_t i = 1; sorted && i < m; i++) {
        for (size_t j = i; j > 0; j--) {
            char ta[64], tb[64];
            size_t la, lb;
            const char *a = doc_key_text(d->v.map.items[idx[j - 1]].key, ta, sizeof(ta), &la);
            const char *b = doc_key_text(d->v.map.items[idx[j]].key, tb, sizeof(tb), &lb);
            int c = memcmp(a, b, la < lb ? la : lb);
            if (c < 0 || (c == 0 && la <= lb))
                break;
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    }
    *n = m;
    return idx;
}

int doc_format_gov(const struct doc *d, struct dbuf *out)
{
    char tmp[400];
    int r = 0;

    if (d == NULL)
        return dbuf_adds(out, "<nil>");
    switch (d->type) {
    case DOC_NULL:
        return dbuf_adds(out, "<nil>");
    case DOC_BOOL:
        return dbuf_adds(out, d->v.b ? "true" : "false");
    case DOC_INT:
        return dbuf_printf(out, "%" PRId64, d->v.i);
    case DOC_UINT:
        return dbuf_printf(out, "%" PRIu64, d->v.u);
    case DOC_FLOAT:
        format_float_mode(d->v.f, 'g', tmp, sizeof(tmp));
        return dbuf_adds(out, tmp);
    case DOC_STR:
    case DOC_COMMENT:
        return dbuf_add(out, d->v.s.ptr, d->v.s.len);
    case DOC_LIST: {
        int first = 1;
        r = dbuf_addc(out, '[');
        for (size_t i = 0; r == 0 && i < d->v.list.len; i++) {
            if (d->v.list.items[i]->type == DOC_COMMENT)
                continue;
            if (!first)
                r = dbuf_addc(out, ' ');
            first = 0;
            if (r == 0)
                r = doc_format_gov(d->v.list.items[i], out);
        }
        return r != 0 ? r : dbuf_addc(out, ']');
    }
    case DOC_MAP: {
        /* Go prints maps with sorted keys */
        size_t m;
        size_t *idx = doc_map_order(d, 1, &m);
        if (idx == NULL)
            return VALS_ENOMEM;
        r = dbuf_adds(out, "map[");
        for (size_t i = 0; r == 0 && i < m; i++) {
            if (i > 0)
                r = dbuf_addc(out, ' ');
            if (r == 0)
                r = doc_format_gov(d->v.map.items[idx[i]].key, out);
            if (r == 0)
                r = dbuf_addc(out, ':');
            if (r == 0)
                r = doc_format_gov(d->v.map.items[idx[i]].val, out);
        }
        free(idx);
        return r != 0 ? r : dbuf_addc(out, ']');
    }
    }
    return 0;
}

void doc_stream_free(struct doc_stream *s)
{
    for (size_t i = 0; i < s->len; i++)
        doc_free(s->docs[i]);
    free(s->docs);
    s->docs = NULL;
    s->len = s->cap = 0;
}

int doc_stream_push(struct doc_stream *s, struct doc *d)
{
    if (d == NULL)
        return VALS_ENOMEM;
    if (grow((void **)&s->docs, &s->cap, s->len + 1, sizeof(struct doc *)) != 0) {
        doc_free(d);
        return VALS_ENOMEM;
    }
    s->docs[s->len++] = d;
    return 0;
}

static uint64_t key_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

void doc_keyindex_free(struct doc_keyindex *ix)
{
    free(ix->slots);
    memset(ix, 0, sizeof(*ix));
}

/* Text of pair i's key. */
static const char *pair_key(const struct doc *map, size_t i, char *tmp, size_t tl, size_t *len)
{
    return doc_key_text(map->v.map.items[i].key, tmp, tl, len);
}

long doc_keyindex_find(const struct doc_keyindex *ix, const struct doc *map, const char *key,
                       size_t len)
{
    char tmp[64];

    if (ix->cap == 0)
        return -1;
    for (size_t h = key_hash(key, len) & (ix->cap - 1);; h = (h + 1) & (ix->cap - 1)) {
        size_t i = ix->slots[h], klen;
        const char *k;
        if (i == 0)
            return -1;
        k = pair_key(map, i - 1, tmp, sizeof(tmp), &klen);
        if (klen == len && memcmp(k, key, len) == 0)
            return (long)(i - 1);
    }
}

int doc_keyindex_add(struct doc_keyindex *ix, const struct doc *map, size_t i)
{
    char tmp[64];
    size_t len;
    const char *k;

    if (map->v.map.items[i].key->type == DOC_COMMENT)
        return 0;
    if ((ix->count + 1) * 2 > ix->cap) {
        size_t ncap = ix->cap ? ix->cap * 2 : 64;
        size_t *ns = calloc(ncap, sizeof(size_t));
        if (ns == NULL)
            return VALS_ENOMEM;
        for (size_t j = 0; j < ix->cap; j++) {
            if (ix->slots[j] == 0)
                continue;
            k = pair_key(map, ix->slots[j] - 1, tmp, sizeof(tmp), &len);
            size_t h = key_hash(k, len) & (ncap - 1);
            while (ns[h] != 0)
                h = (h + 1) & (ncap - 1);
            ns[h] = ix->slots[j];
        }
        free(ix->slots);
        ix->slots = ns;
        ix->cap = ncap;
    }
    k = pair_key(map, i, tmp, sizeof(tmp), &len);
    size_t h = key_hash(k, len) & (ix->cap - 1);
    while (ix->slots[h] != 0)
        h = (h + 1) & (ix->cap - 1);
    ix->slots[h] = i + 1;
    ix->count++;
    return 0;
}
