/*
 * doc_yaml.c - YAML stream -> documents, on libyaml's event parser.
 *
 * Plain scalars are typed with the YAML 1.2 core schema as go-yaml v3 applies it (null,
 * bool, int in decimal/0x/0o/0b, float, .inf/.nan); timestamps stay strings; quoted and
 * block scalars are strings; `!!str`, `!!int`, ... tags are honoured.  Anchors and aliases
 * are expanded (bounded, against "billion laughs"), `<<` merge keys are applied, duplicate
 * keys are errors.  With DOC_YAML_COMMENTS the comments of the source are kept as
 * DOC_COMMENT nodes (see yaml_comments.c, which finds them between libyaml's marks).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "doc.h"
#include "doc_yaml.h"

#define YAML_MAX_NODES   1000000 /* after alias expansion */
#define YAML_MAX_ANCHORS 10000

struct anchor {
    char *name;
    struct doc *node; /* a copy, owned here */
};

struct yparse {
    yaml_parser_t parser;
    const char *name;
    const char *src;
    size_t srclen;
    int flags;
    struct verr *e;
    struct anchor *anchors;
    size_t nanchors;
    size_t nodes;
    struct yaml_comments comments;
    /* the node parse_node() built last: scalar or alias?  block scalar?  its marks */
    int last_scalar, last_block;
    size_t last_start, last_end;
    /* where the node parse_node() is about to build sits: a map value or a sequence item,
     * and that container's column (for go-yaml's attribution of trailing comments) */
    int parent_kind, parent_col;
};

#define PARENT_OTHER 0
#define PARENT_MAP   1
#define PARENT_SEQ   2

/* Record a parse error at a libyaml mark. */
static int yerr(struct yparse *y, const yaml_mark_t *m, const char *what)
{
    return verr_set(y->e, VALS_EPARSE, "%s:%zu:%zu: %s", y->name, m->line + 1, m->column + 1, what);
}

/* Build the node of a scalar event. */
static int scalar_node(struct yparse *y, const yaml_event_t *ev, struct doc **out)
{
    const char *val = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    struct doc *d = NULL;
    int r;

    if (tag != NULL && strcmp(tag, "!") != 0) {
        if (!strcmp(tag, "tag:yaml.org,2002:str")) {
            d = doc_str(val, len);
        } else if (!strcmp(tag, "tag:yaml.org,2002:null") ||
                   !strcmp(tag, "tag:yaml.org,2002:bool") ||
                   !strcmp(tag, "tag:yaml.org,2002:int") ||
                   !strcmp(tag, "tag:yaml.org,2002:float")) {
            r = yaml_resolve_plain(val, len, &d);
            if (r < 0)
                return r;
            if (r == 0 || (strstr(tag, "null") && d->type != DOC_NULL) ||
                (strstr(tag, "bool") && d->type != DOC_BOOL) ||
                (strstr(tag, ":int") && d->type != DOC_INT && d->type != DOC_UINT)) {
                doc_free(d);
                return yerr(y, &ev->start_mark, "value does not match its tag");
            }
            if (strstr(tag, "float") && d->type != DOC_FLOAT) {
                double f = d->type == DOC_INT ? (double)d->v.i : (double)d->v.u;
                if (d->type != DOC_INT && d->type != DOC_UINT) {
                    doc_free(d);
                    return yerr(y, &ev->start_mark, "value does not match its tag");
                }
                doc_free(d);
                d = doc_float(f);
            }
        } else {
            /* Unknown or local tag (!!binary, !!timestamp, !secret): keep the text and tag. */
            d = doc_str(val, len);
            if (d != NULL) {
                const char *short_tag = tag;
                char buf[256];
                if (!strncmp(tag, "tag:yaml.org,2002:", 18)) {
                    snprintf(buf, sizeof(buf), "!!%s", tag + 18);
                    short_tag = buf;
                }
                if ((d->tag = strdup(short_tag)) == NULL) {
                    doc_free(d);
                    return VALS_ENOMEM;
                }
            }
        }
        if (d == NULL)
            return VALS_ENOMEM;
    } else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == NULL) {
        r = yaml_resolve_plain(val, len, &d);
        if (r < 0)
            return r;
        if (r == 0 && (d = doc_str(val, len)) == NULL)
            return VALS_ENOMEM;
    } else {
        if ((d = doc_str(val, len)) == NULL)
            return VALS_ENOMEM;
    }
    switch (ev->data.scalar.style) {
    case YAML_PLAIN_SCALAR_STYLE:
        d->style = DOC_STYLE_PLAIN;
        break;
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
        d->style = DOC_STYLE_SINGLE;
        break;
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
        d->style = DOC_STYLE_DOUBLE;
        break;
    case YAML_LITERAL_SCALAR_STYLE:
        d->style = DOC_STYLE_LITERAL;
        break;
    case YAML_FOLDED_SCALAR_STYLE:
        d->style = DOC_STYLE_FOLDED;
        break;
    default:
        break;
    }
    *out = d;
    return 0;
}

/* Count nodes of a subtree (for the alias-expansion bound). */
static size_t doc_count(const struct doc *d)
{
    size_t n = 1;

    if (d->type == DOC_LIST)
        for (size_t i = 0; i < d->v.list.len; i++)
            n += doc_count(d->v.list.items[i]);
    else if (d->type == DOC_MAP)
        for (size_t i = 0; i < d->v.map.len; i++)
            n += 1 + (d->v.map.items[i].val ? doc_count(d->v.map.items[i].val) : 0);
    return n;
}

static int remember_anchor(struct yparse *y, const char *name, const struct doc *node)
{
    struct anchor *a;
    struct doc *copy;

    for (size_t i = 0; i < y->nanchors; i++) {
        if (!strcmp(y->anchors[i].name, name)) { /* redefinition: later wins */
            if ((copy = doc_copy(node)) == NULL)
                return VALS_ENOMEM;
            doc_free(y->anchors[i].node);
            y->anchors[i].node = copy;
            return 0;
        }
    }
    if (y->nanchors >= YAML_MAX_ANCHORS)
        return verr_set(y->e, VALS_ETOO_LARGE, "%s: too many anchors", y->name);
    a = realloc(y->anchors, (y->nanchors + 1) * sizeof(*a));
    if (a == NULL)
        return VALS_ENOMEM;
    y->anchors = a;
    a[y->nanchors].name = strdup(name);
    a[y->nanchors].node = doc_copy(node);
    if (a[y->nanchors].name == NULL || a[y->nanchors].node == NULL) {
        free(a[y->nanchors].name);
        doc_free(a[y->nanchors].node);
        return VALS_ENOMEM;
    }
    y->nanchors++;
    return 0;
}

static int parse_node(struct yparse *y, yaml_event_t *ev, int depth, struct doc **out);

/* The comment trailing the node parse_node() built last (see yaml_comments_trailing), as a
 * new DOC_COMMENT (inline when it followed a value), or NULL.  *r gets VALS_ENOMEM. */
static struct doc *trailing_comment(struct yparse *y, int what, size_t from, int *r)
{
    size_t off, len;
    struct doc *c;

    *r = 0;
    if (!(y->flags & DOC_YAML_COMMENTS) ||
        !yaml_comments_trailing(&y->comments, y->srclen, from, what, &off, &len))
        return NULL;
    if ((c = doc_comment(y->src + off, len)) == NULL) {
        *r = VALS_ENOMEM;
        return NULL;
    }
    if (what != YAML_TRAIL_KEY)
        c->style = DOC_STYLE_INLINE;
    return c;
}

/* The trailing comment of a scalar item or value just parsed, if any. */
static struct doc *value_comment(struct yparse *y, int *r)
{
    *r = 0;
    if (!y->last_scalar)
        return NULL;
    if (y->last_block)
        return trailing_comment(y, YAML_TRAIL_BLOCK_HEADER, y->last_start, r);
    return trailing_comment(y, YAML_TRAIL_VALUE, y->last_end, r);
}

/* Merge the pairs of `src` (a map) into `dst` where dst has no such key yet. */
static int merge_into(struct doc *dst, const struct doc *src)
{
    char tmp[64];
    size_t len;

    for (size_t i = 0; i < src->v.map.len; i++) {
        const struct doc_pair *p = &src->v.map.items[i];
        const char *k;
        if (p->key->type == DOC_COMMENT)
            continue;
        k = doc_key_text(p->key, tmp, sizeof(tmp), &len);
        if (doc_map_get(dst, k, len) != NULL)
            continue;
        if (doc_map_append(dst, doc_copy(p->key), doc_copy(p->val)) != 0)
            return VALS_ENOMEM;
    }
    return 0;
}

/* Parse the events of a mapping (after its start event) into `map`. */
/* Mapping events after the start.  `dash_col`: the column of the "-" when the mapping is a
 * block sequence item (0 otherwise): comments at that column after its last entry, before
 * the sequence ends, are foot comments of the mapping (go-yaml). */
static int parse_mapping(struct yparse *y, int depth, struct doc *map, int dash_col)
{
    yaml_event_t ev;
    struct doc *key = NULL, *val = NULL, *merges = NULL, *kc = NULL, *vc = NULL;
    struct doc_keyindex keys = {0}; /* duplicate checks without a quadratic scan */
    size_t key_end;
    int r = 0;

    for (;;) {
        if (!yaml_parser_parse(&y->parser, &ev)) {
            r = yerr(y, &y->parser.problem_mark, y->parser.problem ? y->parser.problem : "error");
            goto out;
        }
        if (y->flags & DOC_YAML_COMMENTS) {
            size_t min_col = 0;
            if (ev.type == YAML_MAPPING_END_EVENT)
                min_col = dash_col > 0 && ev.start_mark.column + 1 < (size_t)dash_col
                              ? (size_t)dash_col
                              : map->col;
            r = yaml_comments_before(&y->comments, ev.start_mark.line, min_col, map);
            if (r != 0) {
                yaml_event_delete(&ev);
                goto out;
            }
        }
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        y->parent_kind = PARENT_OTHER;
        r = parse_node(y, &ev, depth + 1, &key);
        if (r != 0)
            goto out;
        key_end = y->last_end;
        if (key->type == DOC_LIST || key->type == DOC_MAP) {
            r = verr_set(y->e, VALS_EPARSE, "%s:%u: complex mapping keys are not supported",
                         y->name, key->line);
            goto out;
        }
        if (!yaml_parser_parse(&y->parser, &ev)) {
            r = yerr(y, &y->parser.problem_mark, y->parser.problem ? y->parser.problem : "error");
            goto out;
        }
        y->parent_kind = PARENT_MAP;
        y->parent_col = (int)map->col;
        r = parse_node(y, &ev, depth + 1, &val);
        if (r != 0)
            goto out;
        if (map->style == DOC_STYLE_FLOW)
            ; /* comments trailing flow items are dropped */
        else if (y->last_scalar)
            vc = value_comment(y, &r);
        else
            kc = trailing_comment(y, YAML_TRAIL_KEY, key_end, &r);
        if (r != 0)
            goto out;
        if (!(y->flags & DOC_YAML_KEEP_MERGE) && key->type == DOC_STR &&
            key->style == DOC_STYLE_PLAIN && key->v.s.len == 2 && !memcmp(key->v.s.ptr, "<<", 2) &&
            key->tag == NULL) {
            /* merge key: a map or a list of maps; explicit keys win, earlier sources win */
            if (val->type != DOC_MAP && val->type != DOC_LIST) {
                r = verr_set(y->e, VALS_EPARSE, "%s:%u: map merge requires a map or a list of maps",
                             y->name, key->line);
                goto out;
            }
            if (merges == NULL && (merges = doc_list()) == NULL) {
                r = VALS_ENOMEM;
                goto out;
            }
            doc_free(key);
            doc_free(kc);
            doc_free(vc);
            key = kc = vc = NULL;
            r = doc_list_push(merges, val);
            val = NULL;
            if (r != 0)
                goto out;
            continue;
        }
        {
            char tmp[64];
            size_t len;
            const char *k = doc_key_text(key, tmp, sizeof(tmp), &len);
            if (doc_keyindex_find(&keys, map, k, len) >= 0) {
                r = verr_set(y->e, VALS_EPARSE, "%s:%u:%u: mapping key \"%.*s\" already defined",
                             y->name, key->line, key->col, (int)(len > 100 ? 100 : len), k);
                goto out;
            }
        }
        if (kc != NULL && (r = doc_map_append(map, kc, NULL)) != 0) {
            kc = NULL;
            goto out;
        }
        kc = NULL;
        if (vc != NULL && (r = doc_map_append(map, vc, NULL)) != 0) {
            vc = NULL;
            goto out;
        }
        vc = NULL;
        r = doc_map_append(map, key, val);
        key = val = NULL;
        if (r == 0)
            r = doc_keyindex_add(&keys, map, map->v.map.len - 1);
        if (r != 0)
            goto out;
    }
    if (merges != NULL) {
        for (size_t i = 0; i < merges->v.list.len && r == 0; i++) {
            struct doc *m = merges->v.list.items[i];
            if (m->type == DOC_MAP) {
                r = merge_into(map, m);
            } else {
                for (size_t j = 0; j < m->v.list.len && r == 0; j++) {
                    if (m->v.list.items[j]->type != DOC_MAP) {
                        r = verr_set(y->e, VALS_EPARSE, "%s:%u: map merge requires a list of maps",
                                     y->name, m->line);
                        break;
                    }
                    r = merge_into(map, m->v.list.items[j]);
                }
            }
        }
    }
out:
    doc_keyindex_free(&keys);
    doc_free(key);
    doc_free(val);
    doc_free(kc);
    doc_free(vc);
    doc_free(merges);
    return r;
}

/* Sequence events after the start.  An indentless sequence ("key:\n- a", dash in the key's
 * column) leaves comments in that column to the enclosing mapping. */
static int parse_sequence(struct yparse *y, int depth, struct doc *list, int indentless)
{
    yaml_event_t ev;
    struct doc *item = NULL, *ic;
    int r;

    for (;;) {
        if (!yaml_parser_parse(&y->parser, &ev))
            return yerr(y, &y->parser.problem_mark,
                        y->parser.problem ? y->parser.problem : "error");
        if ((y->flags & DOC_YAML_COMMENTS) &&
            (r = yaml_comments_before(
                 &y->comments, ev.start_mark.line,
                 ev.type == YAML_SEQUENCE_END_EVENT ? list->col + (indentless ? 1 : 0) : 0,
                 list)) != 0) {
            yaml_event_delete(&ev);
            return r;
        }
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        y->parent_kind = indentless ? PARENT_OTHER : PARENT_SEQ;
        y->parent_col = (int)list->col;
        if ((r = parse_node(y, &ev, depth + 1, &item)) != 0)
            return r;
        ic = list->style == DOC_STYLE_FLOW ? NULL : value_comment(y, &r);
        if (r != 0 || (ic != NULL && (r = doc_list_push(list, ic)) != 0)) {
            doc_free(item);
            return r;
        }
        if ((r = doc_list_push(list, item)) != 0)
            return r;
    }
}

/* Build the node that starts with event `ev` (consumed here). */
static int parse_node(struct yparse *y, yaml_event_t *ev, int depth, struct doc **out)
{
    struct doc *d = NULL;
    const char *anchor = NULL;
    char *anchor_copy = NULL;
    int r = 0, parent_kind = y->parent_kind, parent_col = y->parent_col;

    *out = NULL;
    if (depth > DOC_YAML_MAX_DEPTH) {
        r = yerr(y, &ev->start_mark, "nesting too deep");
        yaml_event_delete(ev);
        return verr_set(y->e, VALS_ETOO_LARGE, "%s", y->e ? y->e->msg : "nesting too deep");
    }
    if (++y->nodes > YAML_MAX_NODES) {
        yaml_event_delete(ev);
        return verr_set(y->e, VALS_ETOO_LARGE, "%s: document has too many nodes", y->name);
    }
    y->last_scalar = ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT;
    y->last_block =
        ev->type == YAML_SCALAR_EVENT && (ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                                          ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE);
    y->last_start = ev->start_mark.index;
    y->last_end = ev->end_mark.index;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        for (size_t i = 0; i < y->nanchors; i++) {
            if (!strcmp(y->anchors[i].name, (const char *)ev->data.alias.anchor)) {
                size_t n = doc_count(y->anchors[i].node);
                if (n > YAML_MAX_NODES - y->nodes) {
                    r = verr_set(y->e, VALS_ETOO_LARGE, "%s:%zu: alias expands to too many nodes",
                                 y->name, ev->start_mark.line + 1);
                    goto out;
                }
                y->nodes += n;
                d = doc_copy(y->anchors[i].node);
                if (d == NULL)
                    r = VALS_ENOMEM;
                goto out;
            }
        }
        r = yerr(y, &ev->start_mark, "unknown anchor referenced");
        goto out;
    case YAML_SCALAR_EVENT:
        anchor = (const char *)ev->data.scalar.anchor;
        if (y->flags & DOC_YAML_COMMENTS)
            yaml_comments_skip(&y->comments, ev->start_mark.line + 1, ev->end_mark.line);
        r = scalar_node(y, ev, &d);
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = (const char *)ev->data.sequence_start.anchor;
        if ((d = doc_list()) == NULL) {
            r = VALS_ENOMEM;
            break;
        }
        if (ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE)
            d->style = DOC_STYLE_FLOW;
        if (anchor != NULL && (anchor_copy = strdup(anchor)) == NULL) {
            r = VALS_ENOMEM;
            break;
        }
        anchor = anchor_copy;
        d->line = (uint32_t)ev->start_mark.line + 1;
        d->col = (uint32_t)ev->start_mark.column + 1;
        yaml_event_delete(ev);
        r = parse_sequence(y, depth, d,
                           d->style != DOC_STYLE_FLOW && parent_kind == PARENT_MAP &&
                               (int)d->col == parent_col);
        goto done;
    case YAML_MAPPING_START_EVENT:
        anchor = (const char *)ev->data.mapping_start.anchor;
        if ((d = doc_map()) == NULL) {
            r = VALS_ENOMEM;
            break;
        }
        if (ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE)
            d->style = DOC_STYLE_FLOW;
        if (anchor != NULL && (anchor_copy = strdup(anchor)) == NULL) {
            r = VALS_ENOMEM;
            break;
        }
        anchor = anchor_copy;
        d->line = (uint32_t)ev->start_mark.line + 1;
        d->col = (uint32_t)ev->start_mark.column + 1;
        yaml_event_delete(ev);
        r = parse_mapping(y, depth, d,
                          d->style != DOC_STYLE_FLOW && parent_kind == PARENT_SEQ ? parent_col : 0);
        goto done;
    default:
        r = yerr(y, &ev->start_mark, "unexpected event");
        break;
    }
    if (d != NULL) {
        d->line = (uint32_t)ev->start_mark.line + 1;
        d->col = (uint32_t)ev->start_mark.column + 1;
    }
    if (r == 0 && anchor != NULL)
        r = remember_anchor(y, anchor, d);
out:
    yaml_event_delete(ev);
    if (r != 0) {
        doc_free(d);
        return r;
    }
    *out = d;
    return 0;
done:
    y->last_scalar = 0; /* the node built is a collection */
    if (r == 0 && anchor != NULL)
        r = remember_anchor(y, anchor, d);
    free(anchor_copy);
    if (r != 0) {
        doc_free(d);
        return r;
    }
    *out = d;
    return 0;
}

int doc_parse_yaml(const char *buf, size_t len, const char *name, int flags, struct doc_stream *out,
                   struct verr *e)
{
    struct yparse y;
    yaml_event_t ev;
    struct doc *d = NULL;
    int r = 0, done = 0;

    memset(&y, 0, sizeof(y));
    memset(out, 0, sizeof(*out));
    y.name = name != NULL ? name : "<input>";
    y.src = buf;
    y.srclen = len;
    y.flags = flags;
    y.e = e;
    if (!yaml_parser_initialize(&y.parser))
        return VALS_ENOMEM;
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)buf, len);
    if (flags & DOC_YAML_COMMENTS)
        yaml_comments_init(&y.comments, buf, len);
    while (!done) {
        if (!yaml_parser_parse(&y.parser, &ev)) {
            r = yerr(&y, &y.parser.problem_mark, y.parser.problem ? y.parser.problem : "error");
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            yaml_event_delete(&ev);
            break;
        case YAML_DOCUMENT_START_EVENT:
            yaml_event_delete(&ev);
            if (!yaml_parser_parse(&y.parser, &ev)) {
                r = yerr(&y, &y.parser.problem_mark, y.parser.problem ? y.parser.problem : "error");
                done = 1;
                break;
            }
            if ((r = parse_node(&y, &ev, 0, &d)) != 0) {
                done = 1;
                break;
            }
            /* the document's end: its trailing comments stop at the next document */
            if (!yaml_parser_parse(&y.parser, &ev)) {
                r = yerr(&y, &y.parser.problem_mark, y.parser.problem ? y.parser.problem : "error");
                doc_free(d);
                d = NULL;
                done = 1;
                break;
            }
            if (flags & DOC_YAML_COMMENTS)
                r = yaml_comments_before(&y.comments,
                                         ev.type == YAML_DOCUMENT_END_EVENT &&
                                                 !ev.data.document_end.implicit
                                             ? ev.start_mark.line + 1
                                             : ev.start_mark.line,
                                         0, d);
            yaml_event_delete(&ev);
            if (r == 0)
                r = doc_stream_push(out, d);
            d = NULL;
            if (r != 0)
                done = 1;
            break;
        default: /* stream start, document end */
            yaml_event_delete(&ev);
            break;
        }
    }
    for (size_t i = 0; i < y.nanchors; i++) {
        free(y.anchors[i].name);
        doc_free(y.anchors[i].node);
    }
    free(y.anchors);
    if (flags & DOC_YAML_COMMENTS)
        yaml_comments_free(&y.comments);
    yaml_parser_delete(&y.parser);
    if (r != 0)
        doc_stream_free(out);
    return r;
}
