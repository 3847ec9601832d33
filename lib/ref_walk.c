/*
 * ref_walk.c - selecting a value inside a fetched document by a ref's fragment
 * (vals' fragment walk, reference/vals.md §1.7, with DESIGN.md §4's extensions: list
 * indexes and the "a.b" -> "a/b" fallback; a missing key is always an error).
 */
#include <stdlib.h>
#include <string.h>

#include "ref.h"

#define WALK_MAX_SEGMENTS 128

/* Non-comment item `idx` of a list, or NULL. */
static const struct doc *list_item(const struct doc *list, size_t idx)
{
    for (size_t i = 0; i < list->v.list.len; i++) {
        const struct doc *it = list->v.list.items[i];
        if (it->type == DOC_COMMENT)
            continue;
        if (idx-- == 0)
            return it;
    }
    return NULL;
}

/* A list index: decimal digits only, no sign, no leading zeros (except "0"). */
static int parse_index(const char *s, size_t len, size_t *out)
{
    size_t v = 0;

    if (len == 0 || len > 9 || (len > 1 && s[0] == '0'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Look one segment up in `cur`; NULL when absent. */
static const struct doc *step(const struct doc *cur, const char *seg, size_t len)
{
    size_t idx;

    if (cur->type == DOC_MAP)
        return doc_map_get(cur, seg, len);
    if (cur->type == DOC_LIST && parse_index(seg, len, &idx))
        return list_item(cur, idx);
    return NULL;
}

/*
 * Walk segments[from..n) of the fragment from `cur`.  A segment that names nothing but
 * contains dots is split at the dots (each part must then exist).
 */
static int walk(const struct doc *cur, const char *frag, const char *refname, const char **seg,
                const size_t *slen, size_t from, size_t n, const struct doc **out, struct verr *e)
{
    for (size_t i = from; i < n; i++) {
        const struct doc *next;
        if (cur->type != DOC_MAP && cur->type != DOC_LIST) {
            return verr_set(e, VALS_ETYPE,
                            "%s: unexpected type of value for key at %zu=%.*s in fragment \"%s\": "
                            "expected a map, got a %s",
                            refname, i > 0 ? i - 1 : 0, i > 0 ? (int)slen[i - 1] : 0,
                            i > 0 ? seg[i - 1] : "", frag, doc_type_name((enum doc_type)cur->type));
        }
        next = step(cur, seg[i], slen[i]);
        if (next == NULL && memchr(seg[i], '.', slen[i]) != NULL) {
            /* dotted fallback: "data.token" -> "data" / "token" */
            const char *parts[WALK_MAX_SEGMENTS];
            size_t plen[WALK_MAX_SEGMENTS], np = 0;
            const char *p = seg[i], *end = seg[i] + slen[i];
            while (p <= end && np < WALK_MAX_SEGMENTS) {
                const char *dot = memchr(p, '.', (size_t)(end - p));
                if (dot == NULL)
                    dot = end;
                parts[np] = p;
                plen[np++] = (size_t)(dot - p);
                p = dot + 1;
            }
            const struct doc *sub = NULL;
            int r = walk(cur, frag, refname, parts, plen, 0, np, &sub, NULL);
            if (r == 0) {
                next = sub;
            }
        }
        if (next == NULL) {
            if (cur->type == DOC_LIST) {
                size_t idx;
                if (parse_index(seg[i], slen[i], &idx))
                    return verr_set(e, VALS_EMISSING_KEY,
                                    "%s: no value found for key %s: index %zu is out of range",
                                    refname, frag, idx);
                return verr_set(e, VALS_EMISSING_KEY,
                                "%s: no value found for key %s: \"%.*s\" is not a list index",
                                refname, frag, (int)slen[i], seg[i]);
            }
            return verr_set(e, VALS_EMISSING_KEY, "%s: no value found for key %s%s%.*s%s", refname,
                            frag, n > 1 ? " (missing \"" : "", n > 1 ? (int)slen[i] : 0,
                            n > 1 ? seg[i] : "", n > 1 ? "\")" : "");
        }
        cur = next;
    }
    *out = cur;
    return 0;
}

int ref_walk(const struct doc *root, const char *fragment, const char *refname,
             const struct doc **out, struct verr *e)
{
    const char *seg[WALK_MAX_SEGMENTS];
    size_t slen[WALK_MAX_SEGMENTS], n = 0;
    const char *p = fragment, *end = fragment + strlen(fragment);

    *out = NULL;
    while (p <= end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        if (slash == NULL)
            slash = end;
        if (n == WALK_MAX_SEGMENTS)
            return verr_set(e, VALS_ETOO_LARGE, "%s: fragment has more than %d segments", refname,
                            WALK_MAX_SEGMENTS);
        seg[n] = p;
        slen[n++] = (size_t)(slash - p);
        p = slash + 1;
    }
    return walk(root, fragment, refname, seg, slen, 0, n, out, e);
}
