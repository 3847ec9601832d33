/*
 * doc_yaml_emit.c - documents -> YAML text, byte for byte as go-yaml v3 writes them.
 *
 * sops writes YAML with go-yaml v3's encoder, so this file reproduces that encoder's output:
 *
 *  1. The document is first turned into go-yaml's node view: each container item gets the
 *     head, line and foot comments that sops' YAML store gives it (comment items before a key
 *     become its head comment, inline ones the line comment of the next value, comments
 *     before the first entry the container's head comment, trailing ones the foot comment of
 *     the last entry).
 *  2. The nodes are walked in go-yaml's event order (a key's foot comment travels as the
 *     "tail" of the next key or of the mapping end) and fed to an emitter that keeps
 *     go-yaml's state: current indent and indent stack, column, whether the last character
 *     was whitespace or indentation, the indent of the last foot comment (a new line at that
 *     indent gets a blank line before it) and the pending head / line / foot / tail comments.
 *     Indentation follows go-yaml v3: a new block level goes to the next multiple of the
 *     indent, a collection inside a sequence item starts after its "- ".
 *  3. Scalar styles follow go-yaml's analysis of the text (plain, single-quoted,
 *     double-quoted, literal block).  With DOC_EMIT_GO_STYLE the style is chosen as go-yaml
 *     does for a freshly encoded value (what sops writes); otherwise a style the source used
 *     is kept when it can still carry the value.
 *
 * Checked against Debian's go-yaml v3.0.1 through tests/oracle/sops_yaml_oracle.go.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "doc.h"
#include "doc_yaml.h"

/* ------------------------------------------------------------------------------------------
 * go-yaml's node view of a document
 */

enum ykind { YK_SCALAR, YK_MAP, YK_SEQ };

struct ynode {
    enum ykind kind;
    const struct doc *d; /* the scalar, or the container */
    struct ynode **kids; /* map: key, value, key, value...; sequence: items */
    size_t n, cap;
    struct dbuf head, line, foot; /* "#text\n#text" as go-yaml keeps comments */
};

/* Free a node tree. */
static void ynode_free(struct ynode *y)
{
    if (y == NULL)
        return;
    for (size_t i = 0; i < y->n; i++)
        ynode_free(y->kids[i]);
    free(y->kids);
    dbuf_free(&y->head);
    dbuf_free(&y->line);
    dbuf_free(&y->foot);
    free(y);
}

/* Append a child (taking it, also on failure). */
static int ynode_add(struct ynode *y, struct ynode *kid)
{
    if (kid == NULL)
        return VALS_ENOMEM;
    if (y->n == y->cap) {
        size_t ncap = y->cap ? y->cap * 2 : 8;
        struct ynode **p = realloc(y->kids, ncap * sizeof(*p));
        if (p == NULL) {
            ynode_free(kid);
            return VALS_ENOMEM;
        }
        y->kids = p;
        y->cap = ncap;
    }
    y->kids[y->n++] = kid;
    return 0;
}

/* The comment texts gathered so far (pointers to DOC_COMMENT nodes). */
struct clist {
    const struct doc **c;
    size_t n, cap;
};

/* Append a comment to a list. */
static int clist_push(struct clist *l, const struct doc *c)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        const struct doc **p = realloc(l->c, ncap * sizeof(*p));
        if (p == NULL)
            return VALS_ENOMEM;
        l->c = p;
        l->cap = ncap;
    }
    l->c[l->n++] = c;
    return 0;
}

/* "#a\n#b" from a list of comment texts. */
static int clist_join(const struct clist *l, struct dbuf *out)
{
    int r = 0;

    for (size_t i = 0; i < l->n && r == 0; i++) {
        if (i > 0)
            r = dbuf_addc(out, '\n');
        if (r == 0)
            r = dbuf_addc(out, '#');
        if (r == 0)
            r = dbuf_add(out, l->c[i]->v.s.ptr, l->c[i]->v.s.len);
    }
    return r;
}

/* sops' addCommentsHead: the new comments go in front of an existing head comment. */
static int add_head(struct ynode *y, struct clist *l)
{
    struct dbuf b = DBUF_INIT;
    int r;

    if (l->n == 0)
        return 0;
    r = clist_join(l, &b);
    if (r == 0 && y->head.len > 0)
        r = dbuf_addc(&b, '\n');
    if (r == 0 && y->head.len > 0)
        r = dbuf_add(&b, y->head.p, y->head.len);
    if (r == 0) {
        dbuf_free(&y->head);
        y->head = b;
        l->n = 0;
        return 0;
    }
    dbuf_free(&b);
    return r;
}

/* sops' addCommentsFoot / addCommentsLine: appended after what is there. */
static int add_after(struct dbuf *slot, struct clist *l)
{
    int r = 0;

    if (l->n == 0)
        return 0;
    if (slot->len > 0)
        r = dbuf_addc(slot, '\n');
    if (r == 0)
        r = clist_join(l, slot);
    l->n = 0;
    return r;
}

/* The go-yaml node view of a document node (NULL on out-of-memory). */
static struct ynode *ynode_build(const struct doc *d, int comments);

/* Children of a container, with the comment placement of sops' YAML store. */
static int ynode_fill(struct ynode *y, const struct doc *d, int comments)
{
    struct clist head = {0}, inl = {0};
    int begin = 1, r = 0;
    size_t n = d->type == DOC_MAP ? d->v.map.len : d->v.list.len;

    for (size_t i = 0; i < n && r == 0; i++) {
        const struct doc *key = d->type == DOC_MAP ? d->v.map.items[i].key : NULL;
        const struct doc *val = d->type == DOC_MAP ? d->v.map.items[i].val : d->v.list.items[i];
        const struct doc *c = key != NULL ? key : val;
        struct ynode *k = NULL, *v;

        if (c->type == DOC_COMMENT) {
            if (comments)
                r = clist_push(c->style == DOC_STYLE_INLINE ? &inl : &head, c);
            continue;
        }
        if (begin) {
            r = add_head(y, &head);
            begin = 0;
        }
        if (r == 0 && key != NULL) {
            k = ynode_build(key, comments);
            r = k == NULL ? VALS_ENOMEM : add_head(k, &head);
            if (r == 0)
                r = ynode_add(y, k);
            else
                ynode_free(k);
        }
        if (r != 0)
            break;
        v = ynode_build(val, comments);
        if (v == NULL) {
            r = VALS_ENOMEM;
            break;
        }
        if (key == NULL)
            r = add_head(v, &head);
        if (r == 0)
            r = add_after(&v->line, &inl);
        if (r == 0)
            r = ynode_add(y, v);
        else
            ynode_free(v);
    }
    for (size_t i = 0; i < inl.n && r == 0; i++)
        r = clist_push(&head, inl.c[i]);
    if (r == 0 && head.n > 0) {
        if (begin)
            r = add_head(y, &head);
        else
            r = add_after(&y->kids[d->type == DOC_MAP ? y->n - 2 : y->n - 1]->foot, &head);
    }
    free(head.c);
    free(inl.c);
    return r;
}

static struct ynode *ynode_build(const struct doc *d, int comments)
{
    struct ynode *y = calloc(1, sizeof(*y));

    if (y == NULL)
        return NULL;
    y->d = d;
    y->kind = d->type == DOC_MAP ? YK_MAP : d->type == DOC_LIST ? YK_SEQ : YK_SCALAR;
    if (y->kind != YK_SCALAR && ynode_fill(y, d, comments) != 0) {
        ynode_free(y);
        return NULL;
    }
    return y;
}

/* ------------------------------------------------------------------------------------------
 * Scalar text and style
 */

enum ystyle { YS_PLAIN, YS_SINGLE, YS_DOUBLE, YS_LITERAL };

struct scalar {
    const char *s;
    size_t len;
    const char *tag; /* written before the value, or NULL */
    enum ystyle style;
    char buf[400];   /* text of numbers */
    struct dbuf own; /* text built here (base64 of binary strings) */
};

/* Length of the UTF-8 character at s[i] (1 for a stray byte). */
static size_t u8w(const unsigned char *s, size_t i, size_t len)
{
    unsigned char c = s[i];
    size_t w = c < 0x80             ? 1
               : (c & 0xe0) == 0xc0 ? 2
               : (c & 0xf0) == 0xe0 ? 3
               : (c & 0xf8) == 0xf0 ? 4
                                    : 1;

    return i + w <= len ? w : 1;
}

/* Whether the bytes are valid UTF-8 (go-yaml writes other strings as !!binary). */
static int utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;

    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t w;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            w = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            w = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            w = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + w > len)
            return 0;
        for (size_t k = 1; k < w; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((w == 2 && cp < 0x80) || (w == 3 && cp < 0x800) || (w == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
            return 0;
        i += w;
    }
    return 1;
}

/* go-yaml's character classes (valid UTF-8 assumed). */
static int is_break_at(const unsigned char *s, size_t i, size_t len)
{
    return s[i] == '\r' || s[i] == '\n' || (s[i] == 0xc2 && i + 1 < len && s[i + 1] == 0x85) ||
           (s[i] == 0xe2 && i + 2 < len && s[i + 1] == 0x80 &&
            (s[i + 2] == 0xa8 || s[i + 2] == 0xa9));
}

/* go-yaml's is_printable: what may appear unescaped. */
static int is_printable_at(const unsigned char *s, size_t i, size_t len)
{
    unsigned char b = s[i], b1 = i + 1 < len ? s[i + 1] : 0, b2 = i + 2 < len ? s[i + 2] : 0;

    return b == 0x0a || (b >= 0x20 && b <= 0x7e) || (b == 0xc2 && b1 >= 0xa0) ||
           (b > 0xc2 && b < 0xed) || (b == 0xed && b1 < 0xa0) || b == 0xee ||
           (b == 0xef && !(b1 == 0xbb && b2 == 0xbf) &&
            !(b1 == 0xbf && (b2 == 0xbe || b2 == 0xbf)));
}

/* A space or a tab at s[i]. */
static int is_blank_at(const unsigned char *s, size_t i, size_t len)
{
    return i < len && (s[i] == ' ' || s[i] == '\t');
}

struct analysis {
    int multiline, flow_plain, block_plain, single_ok, block_ok;
};

/* go-yaml's yaml_emitter_analyze_scalar. */
static void analyze(const char *str, size_t len, struct analysis *a)
{
    const unsigned char *s = (const unsigned char *)str;
    int block_ind = 0, flow_ind = 0, line_breaks = 0, special = 0, tabs = 0;
    int lead_space = 0, lead_break = 0, trail_space = 0, trail_break = 0;
    int break_space = 0, space_break = 0, prev_space = 0, prev_break = 0, preceded_ws = 1;

    if (len == 0) {
        *a = (struct analysis){0, 0, 1, 1, 0};
        return;
    }
    if (len >= 3 && (!memcmp(s, "---", 3) || !memcmp(s, "...", 3))) {
        block_ind = 1;
        flow_ind = 1;
    }
    for (size_t i = 0; i < len;) {
        size_t w = u8w(s, i, len);
        int followed_ws = i + w >= len || is_blank_at(s, i + w, len);
        unsigned char c = s[i];

        if (i == 0) {
            if (strchr("#,[]{}&*!|>'\"%@`", c) != NULL && c != '\0') {
                flow_ind = 1;
                block_ind = 1;
            } else if (c == '?' || c == ':') {
                flow_ind = 1;
                if (followed_ws)
                    block_ind = 1;
            } else if (c == '-' && followed_ws) {
                flow_ind = 1;
                block_ind = 1;
            }
        } else {
            if (c == ',' || c == '?' || c == '[' || c == ']' || c == '{' || c == '}') {
                flow_ind = 1;
            } else if (c == ':') {
                flow_ind = 1;
                if (followed_ws)
                    block_ind = 1;
            } else if (c == '#' && preceded_ws) {
                flow_ind = 1;
                block_ind = 1;
            }
        }
        if (c == '\t')
            tabs = 1;
        else if (!is_printable_at(s, i, len))
            special = 1;
        if (c == ' ') {
            if (i == 0)
                lead_space = 1;
            if (i + w == len)
                trail_space = 1;
            if (prev_break)
                break_space = 1;
            prev_space = 1;
            prev_break = 0;
        } else if (is_break_at(s, i, len)) {
            line_breaks = 1;
            if (i == 0)
                lead_break = 1;
            if (i + w == len)
                trail_break = 1;
            if (prev_space)
                space_break = 1;
            prev_space = 0;
            prev_break = 1;
        } else {
            prev_space = 0;
            prev_break = 0;
        }
        preceded_ws = c == ' ' || c == '\t' || c == '\0' || is_break_at(s, i, len);
        i += w;
    }
    a->multiline = line_breaks;
    a->flow_plain = a->block_plain = a->single_ok = a->block_ok = 1;
    if (lead_space || lead_break || trail_space || trail_break)
        a->flow_plain = a->block_plain = 0;
    if (trail_space)
        a->block_ok = 0;
    if (break_space)
        a->flow_plain = a->block_plain = a->single_ok = 0;
    if (space_break || tabs || special)
        a->flow_plain = a->block_plain = a->single_ok = 0;
    if (space_break || special)
        a->block_ok = 0;
    if (line_breaks)
        a->flow_plain = a->block_plain = 0;
    if (flow_ind)
        a->flow_plain = 0;
    if (block_ind)
        a->block_plain = 0;
}

/* Base64 as go-yaml writes !!binary: 70-character lines when longer than one line. */
static int binary_text(const char *s, size_t len, struct dbuf *out)
{
    size_t elen = 4 * ((len + 2) / 3);
    char *tmp = malloc(elen + 1);
    int r = 0;

    if (tmp == NULL)
        return VALS_ENOMEM;
    EVP_EncodeBlock((unsigned char *)tmp, (const unsigned char *)s, (int)len);
    for (size_t i = 0; i < elen && r == 0; i += 70) {
        size_t n = elen - i < 70 ? elen - i : 70;
        r = dbuf_add(out, tmp + i, n);
        if (r == 0 && elen > 70)
            r = dbuf_addc(out, '\n');
    }
    if (r == 0 && elen == 0)
        r = dbuf_adds(out, "");
    free(tmp);
    return r;
}

/* The text and requested style of a scalar node (before the emitter's own checks). */
static int scalar_prepare(const struct doc *d, int flags, struct scalar *sc)
{
    int go = (flags & DOC_EMIT_GO_STYLE) != 0;

    memset(sc, 0, sizeof(*sc));
    sc->s = sc->buf;
    sc->style = YS_PLAIN;
    switch (d->type) {
    case DOC_NULL:
        snprintf(sc->buf, sizeof(sc->buf), "null");
        break;
    case DOC_BOOL:
        snprintf(sc->buf, sizeof(sc->buf), "%s", d->v.b ? "true" : "false");
        break;
    case DOC_INT:
        snprintf(sc->buf, sizeof(sc->buf), "%" PRId64, d->v.i);
        break;
    case DOC_UINT:
        snprintf(sc->buf, sizeof(sc->buf), "%" PRIu64, d->v.u);
        break;
    case DOC_FLOAT:
        if (isnan(d->v.f))
            snprintf(sc->buf, sizeof(sc->buf), ".nan");
        else if (isinf(d->v.f))
            snprintf(sc->buf, sizeof(sc->buf), "%s", d->v.f > 0 ? ".inf" : "-.inf");
        else {
            doc_format_float(d->v.f, sc->buf, sizeof(sc->buf));
            if (!(flags & DOC_EMIT_GO_FLOATS) && strpbrk(sc->buf, ".e") == NULL)
                strncat(sc->buf, ".0", sizeof(sc->buf) - strlen(sc->buf) - 1);
        }
        break;
    case DOC_STR: {
        const char *s = d->v.s.ptr;
        size_t len = d->v.s.len;
        int quote;
        sc->s = s;
        sc->len = len;
        if (!utf8_valid(s, len)) {
            if (!go) {
                sc->style = YS_DOUBLE;
                return 0;
            }
            int r = binary_text(s, len, &sc->own);
            if (r != 0)
                return r;
            sc->s = sc->own.p != NULL ? sc->own.p : "";
            sc->len = sc->own.len;
            sc->tag = "!!binary";
            sc->style = memchr(sc->s, '\n', sc->len) ? YS_LITERAL : YS_PLAIN;
            return 0;
        }
        if (!go && d->tag != NULL)
            sc->tag = d->tag;
        if (go && d->style == DOC_STYLE_PLAIN && yaml_plain_is_timestamp(s, len)) {
            /* a time value: go-yaml writes time.Time as RFC 3339 with nanoseconds */
            struct yaml_time t;
            yaml_timestamp_parse(s, len, &t);
            yaml_time_format(&t, 1, sc->buf, sizeof(sc->buf));
            sc->s = sc->buf;
            sc->len = strlen(sc->buf);
            return 0;
        }
        /* timestamps are strings in our model: quoted, they read back as strings (vals) */
        quote = sc->tag == NULL && yaml_needs_quotes(s, len);
        if (!go && (d->style == DOC_STYLE_SINGLE || d->style == DOC_STYLE_DOUBLE)) {
            sc->style = d->style == DOC_STYLE_SINGLE ? YS_SINGLE : YS_DOUBLE;
            if (memchr(s, '\n', len) != NULL)
                sc->style = YS_DOUBLE;
            else if (sc->style == YS_SINGLE && quote)
                sc->style = YS_SINGLE;
            return 0;
        }
        if (memchr(s, '\n', len) != NULL)
            sc->style = YS_LITERAL;
        else if (quote)
            sc->style = YS_DOUBLE;
        else if (go && len == 2 && !memcmp(s, "<<", 2))
            sc->tag = "!!merge"; /* go-yaml reads a plain << back as a merge key */
        return 0;
    }
    default:
        return VALS_EINTERNAL;
    }
    sc->len = strlen(sc->buf);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The emitter (go-yaml's state, see the file comment)
 */

struct yem {
    struct dbuf *out;
    int flags;
    int best; /* indent step */
    int indent;
    int *indents;
    size_t nind, capind;
    int column;
    int whitespace, indention;
    int foot_indent;
    int flow_level;
    /* pending comments of analysed events (not owned) */
    const struct dbuf *head, *line, *foot, *tail, *key_line;
};

/* Write one ASCII character. */
static int put(struct yem *em, char c)
{
    em->column++;
    return dbuf_addc(em->out, c);
}

/* Write a line break. */
static int put_break(struct yem *em)
{
    em->column = 0;
    em->indention = 1;
    return dbuf_addc(em->out, '\n');
}

/* Write one (UTF-8) character from s[*i]. */
static int write_char(struct yem *em, const char *s, size_t len, size_t *i)
{
    size_t w = u8w((const unsigned char *)s, *i, len);
    int r = dbuf_add(em->out, s + *i, w);

    *i += w;
    em->column++;
    return r;
}

/* Save the current indent. */
static int push_indent(struct yem *em)
{
    if (em->nind == em->capind) {
        size_t ncap = em->capind ? em->capind * 2 : 16;
        int *p = realloc(em->indents, ncap * sizeof(int));
        if (p == NULL)
            return VALS_ENOMEM;
        em->indents = p;
        em->capind = ncap;
    }
    em->indents[em->nind++] = em->indent;
    return 0;
}

/* Restore the saved indent. */
static void pop_indent(struct yem *em)
{
    if (em->nind > 0)
        em->indent = em->indents[--em->nind];
}

/* yaml_emitter_increase_indent; `seq_item` is "the state on top is a block sequence item". */
static int increase_indent(struct yem *em, int flow, int seq_item)
{
    int r = push_indent(em);

    if (r != 0)
        return r;
    if (em->indent < 0)
        em->indent = flow ? em->best : 0;
    else if (seq_item)
        em->indent += 2;
    else
        em->indent = em->best * ((em->indent + em->best) / em->best);
    return 0;
}

/* Go to a new line (if needed) at the current indent; a blank line after a foot comment there. */
static int write_indent(struct yem *em)
{
    int indent = em->indent < 0 ? 0 : em->indent, r = 0;

    if (!em->indention || em->column > indent || (em->column == indent && !em->whitespace))
        r = put_break(em);
    if (r == 0 && em->foot_indent == indent)
        r = put_break(em);
    while (r == 0 && em->column < indent)
        r = put(em, ' ');
    em->whitespace = 1;
    em->foot_indent = -1;
    return r;
}

/* Write an indicator ("-", ":", "[", ...) with go-yaml's whitespace bookkeeping. */
static int write_indicator(struct yem *em, const char *ind, int need_ws, int is_ws,
                           int is_indention)
{
    int r = 0;

    if (need_ws && !em->whitespace)
        r = put(em, ' ');
    for (const char *p = ind; *p != '\0' && r == 0; p++)
        r = put(em, *p);
    em->whitespace = is_ws;
    em->indention = em->indention && is_indention;
    return r;
}

/* Write "#text" lines, each at the current indent. */
static int write_comment(struct yem *em, const struct dbuf *c)
{
    int breaks = 0, pound = 0, r = 0;

    for (size_t i = 0; i < c->len && r == 0;) {
        if (c->p[i] == '\n') {
            r = put_break(em);
            i++;
            breaks = 1;
            pound = 0;
            continue;
        }
        if (breaks)
            r = write_indent(em);
        if (r == 0 && !pound) {
            if (c->p[i] != '#') {
                r = put(em, '#');
                if (r == 0)
                    r = put(em, ' ');
            }
            pound = 1;
        }
        if (r == 0)
            r = write_char(em, c->p, c->len, &i);
        em->indention = 0;
        breaks = 0;
    }
    if (r == 0 && !breaks)
        r = put_break(em);
    em->whitespace = 1;
    return r;
}

/* Pending comments from an event (only non-empty ones replace what is pending). */
static void take_comments(struct yem *em, const struct dbuf *head, const struct dbuf *line,
                          const struct dbuf *foot, const struct dbuf *tail)
{
    if (em->flags & DOC_EMIT_NO_COMMENTS)
        return;
    if (head != NULL && head->len > 0)
        em->head = head;
    if (line != NULL && line->len > 0)
        em->line = line;
    if (foot != NULL && foot->len > 0)
        em->foot = foot;
    if (tail != NULL && tail->len > 0)
        em->tail = tail;
}

/* Write the pending tail comment (the previous key's foot) and head comment. */
static int process_head(struct yem *em)
{
    int r = 0;

    if (em->tail != NULL) {
        r = write_indent(em);
        if (r == 0)
            r = write_comment(em, em->tail);
        em->tail = NULL;
        em->foot_indent = em->indent < 0 ? 0 : em->indent;
    }
    if (r != 0 || em->head == NULL)
        return r;
    r = write_indent(em);
    if (r == 0)
        r = write_comment(em, em->head);
    em->head = NULL;
    return r;
}

/* Write the pending line comment after the value. */
static int process_line(struct yem *em)
{
    int r = 0;

    if (em->line == NULL)
        return 0;
    if (!em->whitespace)
        r = put(em, ' ');
    if (r == 0)
        r = write_comment(em, em->line);
    em->line = NULL;
    return r;
}

/* Write the pending foot comment and remember its indent. */
static int process_foot(struct yem *em)
{
    int r;

    if (em->foot == NULL)
        return 0;
    r = write_indent(em);
    if (r == 0)
        r = write_comment(em, em->foot);
    em->foot = NULL;
    em->foot_indent = em->indent < 0 ? 0 : em->indent;
    return r;
}

/* A plain scalar. */
static int write_plain(struct yem *em, const char *s, size_t len)
{
    int r = 0;

    if (len > 0 && !em->whitespace)
        r = put(em, ' ');
    for (size_t i = 0; i < len && r == 0;)
        r = write_char(em, s, len, &i);
    if (len > 0)
        em->whitespace = 0;
    em->indention = 0;
    return r;
}

/* A single-quoted scalar (' doubled). */
static int write_single(struct yem *em, const char *s, size_t len)
{
    int r = write_indicator(em, "'", 1, 0, 0);

    for (size_t i = 0; i < len && r == 0;) {
        if (s[i] == '\'')
            r = put(em, '\'');
        if (r == 0)
            r = write_char(em, s, len, &i);
    }
    if (r == 0)
        r = write_indicator(em, "'", 0, 0, 0);
    em->whitespace = 0;
    em->indention = 0;
    return r;
}

/* A double-quoted scalar with go-yaml's escapes. */
static int write_double(struct yem *em, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    int r = write_indicator(em, "\"", 1, 0, 0);

    for (size_t i = 0; i < len && r == 0;) {
        int bom = i + 2 < len && s[i] == 0xef && s[i + 1] == 0xbb && s[i + 2] == 0xbf;
        if (!is_printable_at(s, i, len) || bom || is_break_at(s, i, len) || s[i] == '"' ||
            s[i] == '\\') {
            size_t w = u8w(s, i, len);
            unsigned cp = w == 1 ? s[i] : w == 2 ? s[i] & 0x1f : w == 3 ? s[i] & 0x0f : s[i] & 0x07;
            const char *esc = NULL;
            for (size_t k = 1; k < w; k++)
                cp = (cp << 6) | (s[i + k] & 0x3f);
            if (w == 1 && s[i] >= 0x80)
                cp = s[i]; /* a stray byte of invalid UTF-8 */
            i += w;
            switch (cp) {
            case 0x00:
                esc = "\\0";
                break;
            case 0x07:
                esc = "\\a";
                break;
            case 0x08:
                esc = "\\b";
                break;
            case 0x09:
                esc = "\\t";
                break;
            case 0x0a:
                esc = "\\n";
                break;
            case 0x0b:
                esc = "\\v";
                break;
            case 0x0c:
                esc = "\\f";
                break;
            case 0x0d:
                esc = "\\r";
                break;
            case 0x1b:
                esc = "\\e";
                break;
            case 0x22:
                esc = "\\\"";
                break;
            case 0x5c:
                esc = "\\\\";
                break;
            case 0x85:
                esc = "\\N";
                break;
            case 0xa0:
                esc = "\\_";
                break;
            case 0x2028:
                esc = "\\L";
                break;
            case 0x2029:
                esc = "\\P";
                break;
            default:
                break;
            }
            if (esc != NULL) {
                for (const char *p = esc; *p != '\0' && r == 0; p++)
                    r = put(em, *p);
            } else {
                char tmp[12];
                if (cp <= 0xff)
                    snprintf(tmp, sizeof(tmp), "\\x%02X", cp);
                else if (cp <= 0xffff)
                    snprintf(tmp, sizeof(tmp), "\\u%04X", cp);
                else
                    snprintf(tmp, sizeof(tmp), "\\U%08X", cp);
                for (const char *p = tmp; *p != '\0' && r == 0; p++)
                    r = put(em, *p);
            }
        } else {
            r = write_char(em, str, len, &i);
        }
    }
    if (r == 0)
        r = write_indicator(em, "\"", 0, 0, 0);
    em->whitespace = 0;
    em->indention = 0;
    return r;
}

/* A literal block scalar with its indentation and chomping hints. */
static int write_literal(struct yem *em, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    int r = write_indicator(em, "|", 1, 0, 0), breaks = 1;

    if (r == 0 && len > 0 && (s[0] == ' ' || is_break_at(s, 0, len))) {
        char hint[2] = {(char)('0' + em->best), 0};
        r = write_indicator(em, hint, 0, 0, 0);
    }
    if (r == 0) {
        /* chomping: '-' without a final break, '+' with more than one (or only one) */
        const char *chomp = NULL;
        if (len == 0) {
            chomp = "-";
        } else {
            size_t i = len - 1;
            while (i > 0 && (s[i] & 0xc0) == 0x80)
                i--;
            if (!is_break_at(s, i, len)) {
                chomp = "-";
            } else if (i == 0) {
                chomp = "+";
            } else {
                i--;
                while (i > 0 && (s[i] & 0xc0) == 0x80)
                    i--;
                if (is_break_at(s, i, len))
                    chomp = "+";
            }
        }
        if (chomp != NULL)
            r = write_indicator(em, chomp, 0, 0, 0);
    }
    if (r == 0)
        r = process_line(em);
    em->whitespace = 1;
    for (size_t i = 0; i < len && r == 0;) {
        if (is_break_at(s, i, len)) {
            size_t w = u8w(s, i, len);
            if (s[i] == '\n') {
                r = put_break(em);
            } else {
                r = dbuf_add(em->out, str + i, w);
                em->column = 0;
                em->indention = 1;
            }
            i += w;
            breaks = 1;
        } else {
            if (breaks)
                r = write_indent(em);
            if (r == 0)
                r = write_char(em, str, len, &i);
            em->indention = 0;
            breaks = 0;
        }
    }
    return r;
}

/* Emit a scalar node (yaml_emitter_emit_scalar); `seq_item`: it is a sequence item. */
static int emit_scalar(struct yem *em, const struct doc *d, int simple_key, int seq_item)
{
    struct scalar sc;
    struct analysis a;
    int r = scalar_prepare(d, em->flags, &sc);

    if (r != 0)
        goto out;
    analyze(sc.s, sc.len, &a);
    if (simple_key && a.multiline)
        sc.style = YS_DOUBLE;
    if (sc.style == YS_PLAIN) {
        if ((em->flow_level > 0 && !a.flow_plain) || (em->flow_level == 0 && !a.block_plain))
            sc.style = YS_SINGLE;
        if (sc.len == 0 && (em->flow_level > 0 || simple_key))
            sc.style = YS_SINGLE;
    }
    if (sc.style == YS_SINGLE && !a.single_ok)
        sc.style = YS_DOUBLE;
    if (sc.style == YS_LITERAL && (!a.block_ok || em->flow_level > 0 || simple_key))
        sc.style = YS_DOUBLE;
    if (sc.tag != NULL) {
        if (!em->whitespace)
            r = put(em, ' ');
        for (const char *p = sc.tag; *p != '\0' && r == 0; p++)
            r = put(em, *p);
        em->whitespace = 0;
        em->indention = 0;
        if (r != 0)
            goto out;
    }
    if ((r = increase_indent(em, 1, seq_item)) != 0)
        goto out;
    switch (sc.style) {
    case YS_PLAIN:
        r = write_plain(em, sc.s, sc.len);
        break;
    case YS_SINGLE:
        r = write_single(em, sc.s, sc.len);
        break;
    case YS_DOUBLE:
        r = write_double(em, sc.s, sc.len);
        break;
    case YS_LITERAL:
        r = write_literal(em, sc.s, sc.len);
        break;
    }
    pop_indent(em);
out:
    dbuf_free(&sc.own);
    return r;
}

static int emit_body(struct yem *em, const struct ynode *y, int seq_item);

/* Comments carried by a node's first event: a scalar has them all, a collection's start
 * event only the head comment (line and foot go with its end event). */
static void take_start(struct yem *em, const struct ynode *y)
{
    if (y->kind == YK_SCALAR)
        take_comments(em, &y->head, &y->line, &y->foot, NULL);
    else
        take_comments(em, &y->head, NULL, NULL, NULL);
}

/* The first event of a node (its start, or the whole scalar), as yaml_emitter_emit_node. */
static int emit_start(struct yem *em, const struct ynode *y, int simple_key, int seq_item)
{
    if (y->kind == YK_SCALAR)
        return emit_scalar(em, y->d, simple_key, seq_item);
    return 0; /* collections: the body follows after the caller's line / foot comments */
}

/* An empty collection, written in flow style ("[]" / "{}") when its end event comes. */
static int emit_flow_empty(struct yem *em, const struct ynode *y)
{
    int map = y->kind == YK_MAP, r;

    take_comments(em, NULL, &y->line, &y->foot, NULL); /* the end event */
    r = write_indicator(em, map ? "{" : "[", 1, 1, 0);
    if (r == 0)
        r = increase_indent(em, 1, 0);
    if (r != 0)
        return r;
    em->flow_level++;
    if (map)
        r = process_head(em);
    em->flow_level--;
    pop_indent(em);
    if (r == 0 && !map && em->column == 0)
        r = write_indent(em);
    if (r == 0)
        r = write_indicator(em, map ? "}" : "]", 0, 0, 0);
    if (r == 0)
        r = process_line(em);
    if (r == 0)
        r = process_foot(em);
    return r;
}

/* A key can be written as "key:" when it is one line of at most 128 characters. */
static int simple_key_ok(const struct ynode *k, int flags)
{
    struct scalar sc;
    struct analysis a;
    int ok;

    if (k->kind != YK_SCALAR)
        return k->n == 0;
    if (scalar_prepare(k->d, flags, &sc) != 0)
        return 1;
    analyze(sc.s, sc.len, &a);
    ok = !a.multiline && sc.len + (sc.tag ? strlen(sc.tag) : 0) <= 128;
    dbuf_free(&sc.own);
    return ok;
}

/* A non-empty block mapping after its start event, through its end event. */
static int emit_block_map(struct yem *em, const struct ynode *y, int seq_item)
{
    const struct dbuf *tail = NULL;
    int r = 0;

    for (size_t i = 0; i + 1 < y->n && r == 0; i += 2) {
        const struct ynode *k = y->kids[i], *v = y->kids[i + 1];
        int simple;

        /* key event: its foot travels as the tail of the next key (go-yaml's encoder) */
        take_comments(em, &k->head, &k->line, NULL, tail);
        tail = &k->foot;
        if (i == 0 && (r = increase_indent(em, 0, seq_item)) != 0)
            break;
        if ((r = process_head(em)) != 0 || (r = write_indent(em)) != 0)
            break;
        if (em->line != NULL) {
            em->key_line = em->line;
            em->line = NULL;
        }
        simple = simple_key_ok(k, em->flags);
        if (!simple && (r = write_indicator(em, "?", 1, 0, 1)) != 0)
            break;
        if ((r = emit_start(em, k, simple, 0)) != 0)
            break;
        if (k->kind != YK_SCALAR && (r = emit_body(em, k, 0)) != 0)
            break;
        /* value event */
        take_start(em, v);
        if (simple) {
            r = write_indicator(em, ":", 0, 0, 0);
        } else {
            r = write_indent(em);
            if (r == 0)
                r = write_indicator(em, ":", 1, 0, 1);
        }
        if (r != 0)
            break;
        if (em->key_line != NULL) {
            if (v->kind == YK_SCALAR) {
                if (em->line == NULL) {
                    em->line = em->key_line;
                    em->key_line = NULL;
                }
            } else if (v->n > 0) {
                const struct dbuf *save = em->line;
                em->line = em->key_line;
                em->key_line = NULL;
                r = process_line(em);
                em->line = save;
            }
        }
        if (r == 0)
            r = emit_start(em, v, 0, 0);
        if (r == 0)
            r = process_line(em);
        if (r == 0)
            r = process_foot(em);
        if (r == 0 && v->kind != YK_SCALAR)
            r = emit_body(em, v, 0);
    }
    if (r != 0)
        return r;
    /* mapping end event */
    take_comments(em, NULL, &y->line, &y->foot, tail);
    r = process_head(em);
    pop_indent(em);
    return r;
}

/* A non-empty block sequence after its start event, through its end event. */
static int emit_block_seq(struct yem *em, const struct ynode *y, int seq_item)
{
    int r = 0;

    for (size_t i = 0; i < y->n && r == 0; i++) {
        const struct ynode *it = y->kids[i];

        take_start(em, it);
        if (i == 0 && (r = increase_indent(em, 0, seq_item)) != 0)
            break;
        if ((r = process_head(em)) != 0 || (r = write_indent(em)) != 0 ||
            (r = write_indicator(em, "-", 1, 0, 1)) != 0)
            break;
        r = emit_start(em, it, 0, 1);
        if (r == 0)
            r = process_line(em);
        if (r == 0)
            r = process_foot(em);
        if (r == 0 && it->kind != YK_SCALAR)
            r = emit_body(em, it, 1);
    }
    if (r != 0)
        return r;
    /* sequence end event */
    take_comments(em, NULL, &y->line, &y->foot, NULL);
    pop_indent(em);
    return 0;
}

/* Everything after a collection's start event, up to and including its end event. */
static int emit_body(struct yem *em, const struct ynode *y, int seq_item)
{
    if (y->n == 0)
        return emit_flow_empty(em, y);
    if (y->kind == YK_MAP)
        return emit_block_map(em, y, seq_item);
    return emit_block_seq(em, y, seq_item);
}

/* One document: start ("---" unless first), root node, end. */
static int emit_document(struct yem *em, const struct doc *d, int first)
{
    struct ynode *root = ynode_build(d, !(em->flags & DOC_EMIT_NO_COMMENTS));
    int r = 0;

    if (root == NULL)
        return VALS_ENOMEM;
    if (!first) {
        r = write_indent(em);
        if (r == 0)
            r = write_indicator(em, "---", 1, 0, 0);
        if (r == 0)
            r = write_indent(em);
    }
    if (r == 0) {
        take_start(em, root);
        r = process_head(em);
    }
    if (r == 0)
        r = emit_start(em, root, 0, 0);
    if (r == 0)
        r = process_line(em);
    if (r == 0)
        r = process_foot(em);
    if (r == 0 && root->kind != YK_SCALAR)
        r = emit_body(em, root, 0);
    if (r == 0) {
        /* document end: a pending foot comment is separated by a blank line */
        em->foot_indent = 0;
        r = process_foot(em);
        em->foot_indent = -1;
    }
    if (r == 0)
        r = write_indent(em);
    ynode_free(root);
    return r;
}

/* All documents with one emitter state. */
static int emit_stream(const struct doc *const *docs, size_t n, struct dbuf *out, int flags)
{
    struct yem em;
    int r = 0, indent = (flags >> 8) & 0xf;

    memset(&em, 0, sizeof(em));
    em.out = out;
    em.flags = flags;
    em.best = indent >= 2 && indent <= 9 ? indent : (flags & DOC_EMIT_INDENT4) ? 4 : 2;
    em.indent = -1;
    em.whitespace = 1;
    em.indention = 1;
    em.foot_indent = -1;
    for (size_t i = 0; i < n && r == 0; i++)
        r = emit_document(&em, docs[i], i == 0);
    free(em.indents);
    return r;
}

int doc_emit_yaml(const struct doc *d, struct dbuf *out, int flags)
{
    return emit_stream(&d, 1, out, flags);
}

int doc_emit_yaml_stream(const struct doc_stream *s, struct dbuf *out, int flags)
{
    return emit_stream((const struct doc *const *)s->docs, s->len, out, flags);
}
