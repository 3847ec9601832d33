/*
 * sprig_dicts.c - dict, get, set, unset, hasKey, pluck, keys, values, pick, omit, dig,
 * merge, mergeOverwrite, mustMerge, mustMergeOverwrite.
 *
 * Dicts are map[string]interface{}.  Go maps have no order; our maps keep insertion
 * order, and `keys`/`values` list each map's entries sorted by key so that results are
 * deterministic (one of the orders Go could produce).  set, unset and the merges mutate
 * their first argument in place, as in Go (see sprig.h).  Merging follows
 * github.com/imdario/mergo v0.3.11 as Sprig 3.2.3 calls it: nested maps merge
 * recursively, a destination value that is non-empty is kept (unless overwriting), and
 * with overwrite even empty source values win, except that a non-empty destination is
 * never replaced by a source map.
 */
#include "sprig_fns.h"

/* The text of a map key. */
static struct sstr key_text(const struct doc *k, char *tmp, size_t tmplen)
{
    struct sstr s;

    s.p = doc_key_text(k, tmp, tmplen, &s.len);
    return s;
}

/* Set key (len bytes) to val in m, replacing an existing value (takes val). */
static int map_put(struct doc *m, const char *key, size_t len, struct doc *val)
{
    struct doc *k;

    if (val == NULL)
        return VALS_ENOMEM;
    for (size_t i = 0; i < m->v.map.len; i++) {
        char tmp[64];
        struct sstr t;
        if (m->v.map.items[i].key->type == DOC_COMMENT)
            continue;
        t = key_text(m->v.map.items[i].key, tmp, sizeof(tmp));
        if (t.len == len && memcmp(t.p, key, len) == 0) {
            doc_free(m->v.map.items[i].val);
            m->v.map.items[i].val = val;
            return 0;
        }
    }
    k = doc_str(key, len);
    return doc_map_append(m, k, val);
}

/* Remove key (len bytes) from m. */
static void map_del(struct doc *m, const char *key, size_t len)
{
    for (size_t i = 0; i < m->v.map.len; i++) {
        char tmp[64];
        struct sstr t;
        if (m->v.map.items[i].key->type == DOC_COMMENT)
            continue;
        t = key_text(m->v.map.items[i].key, tmp, sizeof(tmp));
        if (t.len == len && memcmp(t.p, key, len) == 0) {
            doc_free(m->v.map.items[i].key);
            doc_free(m->v.map.items[i].val);
            memmove(&m->v.map.items[i], &m->v.map.items[i + 1],
                    (m->v.map.len - i - 1) * sizeof(struct doc_pair));
            m->v.map.len--;
            return;
        }
    }
}

SPRIG_FN(sprig_dict)
{
    struct doc *m = doc_map();
    struct dbuf k = DBUF_INIT;

    for (int i = 0; m != NULL && i < argc; i += 2) {
        dbuf_reset(&k);
        if (sprig_strval(argv[i], &k) != 0 ||
            map_put(m, k.p != NULL ? k.p : "", k.len,
                    i + 1 < argc ? doc_copy(argv[i + 1]) : doc_strz("")) != 0) {
            doc_free(m);
            m = NULL;
        }
    }
    dbuf_free(&k);
    return sprig_ret_doc(call, out, m);
}

SPRIG_FN(sprig_get)
{
    struct doc *m, *v;
    struct sstr key;
    int r;

    if ((r = sprig_arg_map(call, argv[0], &m)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &key)) != 0)
        return r;
    v = m != NULL ? doc_map_get(m, key.p, key.len) : NULL;
    if (v == NULL)
        return sprig_ret_str(call, out, "", 0);
    return sprig_ret_copy(call, out, v);
}

SPRIG_FN(sprig_set)
{
    struct doc *m;
    struct sstr key;
    int r;

    if ((r = sprig_arg_map(call, argv[0], &m)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &key)) != 0)
        return r;
    if (m == NULL)
        return tmpl_call_fail(call, "assignment to entry in nil map");
    if (map_put(m, key.p, key.len, doc_copy(argv[2])) != 0)
        return sprig_oom(call);
    return sprig_ret_copy(call, out, m);
}

SPRIG_FN(sprig_unset)
{
    struct doc *m;
    struct sstr key;
    int r;

    if ((r = sprig_arg_map(call, argv[0], &m)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &key)) != 0)
        return r;
    if (m == NULL)
        return sprig_ret_doc(call, out, doc_null());
    map_del(m, key.p, key.len);
    return sprig_ret_copy(call, out, m);
}

SPRIG_FN(sprig_has_key)
{
    struct doc *m;
    struct sstr key;
    int r;

    if ((r = sprig_arg_map(call, argv[0], &m)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &key)) != 0)
        return r;
    return sprig_ret_bool(call, out, m != NULL && doc_map_get(m, key.p, key.len) != NULL);
}

SPRIG_FN(sprig_pluck)
{
    struct sstr key;
    struct doc *l, *m;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &key)) != 0)
        return r;
    for (int i = 1; i < argc; i++)
        if ((r = sprig_arg_map(call, argv[i], &m)) != 0)
            return r;
    l = doc_list();
    for (int i = 1; l != NULL && i < argc; i++) {
        struct doc *v;
        sprig_arg_map(call, argv[i], &m);
        v = m != NULL ? doc_map_get(m, key.p, key.len) : NULL;
        if (v != NULL && doc_list_push(l, doc_copy(v)) != 0) {
            doc_free(l);
            l = NULL;
        }
    }
    return sprig_ret_doc(call, out, l);
}

SPRIG_FN(sprig_keys)
{
    struct doc *l, *m;

    for (int i = 0; i < argc; i++) {
        int r = sprig_arg_map(call, argv[i], &m);
        if (r != 0)
            return r;
    }
    l = sprig_tagged(doc_list(), "[]string");
    for (int i = 0; l != NULL && i < argc; i++) {
        size_t n, *idx;
        sprig_arg_map(call, argv[i], &m);
        if (m == NULL)
            continue;
        if ((idx = doc_map_order(m, 1, &n)) == NULL) {
            doc_free(l);
            return sprig_oom(call);
        }
        for (size_t k = 0; l != NULL && k < n; k++) {
            char tmp[64];
            struct sstr t = key_text(m->v.map.items[idx[k]].key, tmp, sizeof(tmp));
            if (sprig_list_push_str(l, t.p, t.len) != 0) {
                doc_free(l);
                l = NULL;
            }
        }
        free(idx);
    }
    return sprig_ret_doc(call, out, l);
}

SPRIG_FN(sprig_values)
{
    struct doc *l, *m;
    size_t n, *idx;
    int r;

    if ((r = sprig_arg_map(call, argv[0], &m)) != 0)
        return r;
    l = doc_list();
    if (l == NULL || m == NULL)
        return sprig_ret_doc(call, out, l);
    if ((idx = doc_map_order(m, 1, &n)) == NULL) {
        doc_free(l);
        return sprig_oom(call);
    }
    for (size_t k = 0; l != NULL && k < n; k++) {
        if (doc_list_push(l, doc_copy(m->v.map.items[idx[k]].val)) != 0) {
            doc_free(l);
            l = NULL;
        }
    }
    free(idx);
    return sprig_ret_doc(call, out, l);
}

/* pick (keep=1) or omit (keep=0) the string keys argv[1..] of the map argv[0]. */
static int pick_omit(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out,
                     int keep)
{
    struct doc *m, *res;
    struct sstr k;
    int r;

    if ((r = sprig_arg_map(call, argv[0], &m)) != 0)
        return r;
    for (int i = 1; i < argc; i++)
        if ((r = sprig_arg_str(call, argv[i], &k)) != 0)
            return r;
    res = doc_map();
    if (res == NULL || m == NULL)
        return sprig_ret_doc(call, out, res);
    if (keep) {
        for (int i = 1; res != NULL && i < argc; i++) {
            struct doc *v;
            sprig_arg_str(call, argv[i], &k);
            v = doc_map_get(m, k.p, k.len);
            if (v != NULL && map_put(res, k.p, k.len, doc_copy(v)) != 0) {
                doc_free(res);
                res = NULL;
            }
        }
        return sprig_ret_doc(call, out, res);
    }
    for (size_t j = 0; res != NULL && j < m->v.map.len; j++) {
        const struct doc_pair *p = &m->v.map.items[j];
        char tmp[64];
        struct sstr t;
        int drop = 0;
        if (p->key->type == DOC_COMMENT)
            continue;
        t = key_text(p->key, tmp, sizeof(tmp));
        for (int i = 1; !drop && i < argc; i++) {
            sprig_arg_str(call, argv[i], &k);
            drop = k.len == t.len && memcmp(k.p, t.p, t.len) == 0;
        }
        if (!drop && map_put(res, t.p, t.len, doc_copy(p->val)) != 0) {
            doc_free(res);
            res = NULL;
        }
    }
    return sprig_ret_doc(call, out, res);
}

SPRIG_FN(sprig_pick)
{
    return pick_omit(call, argv, argc, out, 1);
}

SPRIG_FN(sprig_omit)
{
    return pick_omit(call, argv, argc, out, 0);
}

/* "interface conversion: interface {} is T, not map[string]interface {}". */
static int conversion_error(struct tmpl_call *call, const struct doc *d, const char *want)
{
    char t[64];

    if (d == NULL || d->type == DOC_NULL)
        snprintf(t, sizeof(t), "nil");
    else
        sprig_type_name(d, t, sizeof(t));
    return tmpl_call_fail(call, "interface conversion: interface {} is %s, not %s", t, want);
}

SPRIG_FN(sprig_dig)
{
    const struct doc *cur;
    const struct doc *def;
    struct sstr k;

    if (argc < 3)
        return tmpl_call_fail(call, "dig needs at least three arguments");
    cur = argv[argc - 1];
    def = argv[argc - 2];
    if (cur == NULL || cur->type != DOC_MAP || strcmp(sprig_kind_name(cur), "map") != 0)
        return conversion_error(call, cur, "map[string]interface {}");
    for (int i = 0; i < argc - 2; i++)
        if (argv[i] == NULL || argv[i]->type != DOC_STR || sprig_is_time(argv[i]))
            return conversion_error(call, argv[i], "string");
    for (int i = 0; i < argc - 2; i++) {
        const struct doc *step;
        k.p = argv[i]->v.s.ptr;
        k.len = argv[i]->v.s.len;
        step = doc_map_get(cur, k.p, k.len);
        if (step == NULL)
            return sprig_ret_copy(call, out, def);
        if (i == argc - 3)
            return sprig_ret_copy(call, out, step);
        if (step->type != DOC_MAP || strcmp(sprig_kind_name(step), "map") != 0)
            return conversion_error(call, step, "map[string]interface {}");
        cur = step;
    }
    return sprig_ret_copy(call, out, def);
}

/* 1 for a real map (not a struct or pointer represented as one). */
static int is_dict(const struct doc *d)
{
    return d != NULL && d->type == DOC_MAP && strcmp(sprig_kind_name(d), "map") == 0;
}

/* mergo's deepMerge of map src into map dst. */
static int merge_into(struct doc *dst, const struct doc *src, int overwrite)
{
    for (size_t i = 0; i < src->v.map.len; i++) {
        const struct doc_pair *p = &src->v.map.items[i];
        char tmp[64];
        struct sstr k;
        struct doc *dv;
        const char *kind;
        int had;

        if (p->key->type == DOC_COMMENT)
            continue;
        k = key_text(p->key, tmp, sizeof(tmp));
        dv = doc_map_get(dst, k.p, k.len);
        had = dv != NULL;
        if (p->val == NULL || p->val->type == DOC_NULL) {
            if (overwrite && map_put(dst, k.p, k.len, doc_null()) != 0)
                return VALS_ENOMEM;
            continue;
        }
        kind = sprig_kind_name(p->val);
        if (strcmp(kind, "map") == 0 && is_dict(dv)) {
            if (merge_into(dv, p->val, overwrite) != 0)
                return VALS_ENOMEM;
        } else if (strcmp(kind, "slice") == 0 && overwrite) {
            if (map_put(dst, k.p, k.len, doc_copy(p->val)) != 0)
                return VALS_ENOMEM;
        }
        dv = doc_map_get(dst, k.p, k.len);
        if (had && !sprig_value_empty(dv) &&
            (strcmp(kind, "map") == 0 || strcmp(kind, "slice") == 0))
            continue;
        if (overwrite || !had || sprig_value_empty(dv))
            if (map_put(dst, k.p, k.len, doc_copy(p->val)) != 0)
                return VALS_ENOMEM;
    }
    return 0;
}

/* merge/mergeOverwrite: merge argv[1..] into the map argv[0] (mutated), return it. */
static int merge(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out,
                 int overwrite)
{
    struct doc *dst, *src, *fresh = NULL;

    for (int i = 0; i < argc; i++) {
        int r = sprig_arg_map(call, argv[i], &src);
        if (r != 0)
            return r;
    }
    sprig_arg_map(call, argv[0], &dst);
    for (int i = 1; i < argc; i++) {
        sprig_arg_map(call, argv[i], &src);
        if (src == NULL)
            continue;
        if (dst == NULL) /* a nil destination becomes a new map (not the caller's) */
            dst = fresh = doc_map();
        if (dst == NULL || merge_into(dst, src, overwrite) != 0) {
            doc_free(fresh);
            return sprig_oom(call);
        }
    }
    if (dst == NULL)
        return sprig_ret_doc(call, out, doc_null());
    if (fresh != NULL)
        return sprig_ret_doc(call, out, fresh);
    return sprig_ret_copy(call, out, dst);
}

SPRIG_FN(sprig_merge)
{
    return merge(call, argv, argc, out, 0);
}

SPRIG_FN(sprig_must_merge)
{
    return merge(call, argv, argc, out, 0);
}

SPRIG_FN(sprig_merge_overwrite)
{
    return merge(call, argv, argc, out, 1);
}

SPRIG_FN(sprig_must_merge_overwrite)
{
    return merge(call, argv, argc, out, 1);
}
