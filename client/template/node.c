/*
 * node.c - parse tree nodes: allocation, freeing, String() and IsEmptyTree (see node.h).
 */
#include <stdlib.h>
#include <string.h>

#include "valsd/errors.h"
#include "node.h"
#include "strconv.h"
#include "utf8.h"

/* Allocate a node owned by its source text. */
struct node *node_new(struct tsource *src, enum node_type type, size_t pos, int line)
{
    struct node *n = calloc(1, sizeof(*n));

    if (n == NULL)
        return NULL;
    n->type = type;
    n->pos = pos;
    n->line = line;
    n->src = src;
    n->alloc_next = src->nodes;
    src->nodes = n;
    return n;
}

/* Append a node to a vector. */
int node_push(struct nodevec *v, struct node *n)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        struct node **p = realloc(v->v, cap * sizeof(struct node *));
        if (p == NULL)
            return VALS_ENOMEM;
        v->v = p;
        v->cap = cap;
    }
    v->v[v->len++] = n;
    return 0;
}

/* Split a dotted name into its parts. */
int node_split_names(const char *s, size_t len, int drop_first_dot, char ***names, size_t *n)
{
    size_t count = 1, k = 0, start;
    char **v;

    if (drop_first_dot && len > 0 && s[0] == '.') {
        s++;
        len--;
    }
    for (size_t i = 0; i < len; i++)
        count += s[i] == '.';
    v = calloc(count, sizeof(*v));
    if (v == NULL)
        return VALS_ENOMEM;
    start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            v[k] = strndup(s + start, i - start);
            if (v[k] == NULL) {
                for (size_t j = 0; j < k; j++)
                    free(v[j]);
                free(v);
                return VALS_ENOMEM;
            }
            k++;
            start = i + 1;
        }
    }
    *names = v;
    *n = count;
    return 0;
}

/* Free an array of names. */
static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Free what one node owns (its children are freed through the source's list). */
static void node_free(struct node *n)
{
    switch (n->type) {
    case NODE_LIST:
    case NODE_COMMAND:
        free(n->u.list.v);
        break;
    case NODE_PIPE:
        free(n->u.pipe.decl.v);
        free(n->u.pipe.cmds.v);
        break;
    case NODE_FIELD:
    case NODE_VARIABLE:
    case NODE_IDENTIFIER:
        free_names(n->u.ident.names, n->u.ident.n);
        break;
    case NODE_CHAIN:
        free_names(n->u.chain.names, n->u.chain.n);
        break;
    case NODE_NUMBER:
        doc_free(n->u.number.val);
        break;
    case NODE_STRING:
        doc_free(n->u.string.val);
        break;
    case NODE_TEMPLATE:
        free(n->u.tmpl.name);
        break;
    default:
        break;
    }
    free(n);
}

/* Free every node made from src. */
void node_free_all(struct tsource *src)
{
    struct node *n = src->nodes, *next;

    while (n != NULL) {
        next = n->alloc_next;
        node_free(n);
        n = next;
    }
    src->nodes = NULL;
}

/* Append names joined by dots (with a leading dot for fields). */
static int add_names(struct dbuf *out, char **names, size_t n, int leading_dot)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < n; i++) {
        if (leading_dot || i > 0)
            r = dbuf_addc(out, '.');
        if (r == 0)
            r = dbuf_adds(out, names[i]);
    }
    return r;
}

/* Go's PipeNode.String: "$x := a | b". */
static int pipe_string(const struct node *p, struct dbuf *out)
{
    int r = 0;

    if (p->u.pipe.decl.len > 0) {
        for (size_t i = 0; r == 0 && i < p->u.pipe.decl.len; i++) {
            if (i > 0)
                r = dbuf_adds(out, ", ");
            if (r == 0)
                r = node_string(p->u.pipe.decl.v[i], out);
        }
        if (r == 0)
            r = dbuf_adds(out, " := ");
    }
    for (size_t i = 0; r == 0 && i < p->u.pipe.cmds.len; i++) {
        if (i > 0)
            r = dbuf_adds(out, " | ");
        if (r == 0)
            r = node_string(p->u.pipe.cmds.v[i], out);
    }
    return r;
}

/* An operand, parenthesized when it is a pipeline. */
static int operand_string(const struct node *n, struct dbuf *out)
{
    int r;

    if (n->type != NODE_PIPE)
        return node_string(n, out);
    r = dbuf_addc(out, '(');
    if (r == 0)
        r = pipe_string(n, out);
    return r != 0 ? r : dbuf_addc(out, ')');
}

/* Go's Node.String for every node type. */
int node_string(const struct node *n, struct dbuf *out)
{
    int r = 0;
    const char *kw;

    switch (n->type) {
    case NODE_TEXT:
        return dbuf_add(out, n->u.text.p, n->u.text.len);
    case NODE_COMMENT:
        r = dbuf_adds(out, "{{");
        if (r == 0)
            r = dbuf_add(out, n->u.text.p, n->u.text.len);
        return r != 0 ? r : dbuf_adds(out, "}}");
    case NODE_ACTION:
        r = dbuf_adds(out, "{{");
        if (r == 0)
            r = pipe_string(n->u.action, out);
        return r != 0 ? r : dbuf_adds(out, "}}");
    case NODE_BOOL:
        return dbuf_adds(out, n->u.boolean ? "true" : "false");
    case NODE_CHAIN:
        r = operand_string(n->u.chain.node, out);
        return r != 0 ? r : add_names(out, n->u.chain.names, n->u.chain.n, 1);
    case NODE_COMMAND:
        for (size_t i = 0; r == 0 && i < n->u.list.len; i++) {
            if (i > 0)
                r = dbuf_addc(out, ' ');
            if (r == 0)
                r = operand_string(n->u.list.v[i], out);
        }
        return r;
    case NODE_DOT:
        return dbuf_addc(out, '.');
    case NODE_ELSE:
        return dbuf_adds(out, "{{else}}");
    case NODE_END:
        return dbuf_adds(out, "{{end}}");
    case NODE_FIELD:
        return add_names(out, n->u.ident.names, n->u.ident.n, 1);
    case NODE_VARIABLE:
    case NODE_IDENTIFIER:
        return add_names(out, n->u.ident.names, n->u.ident.n, 0);
    case NODE_IF:
    case NODE_RANGE:
    case NODE_WITH:
        kw = n->type == NODE_IF ? "{{if " : n->type == NODE_RANGE ? "{{range " : "{{with ";
        r = dbuf_adds(out, kw);
        if (r == 0)
            r = pipe_string(n->u.branch.pipe, out);
        if (r == 0)
            r = dbuf_adds(out, "}}");
        if (r == 0)
            r = node_string(n->u.branch.list, out);
        if (r == 0 && n->u.branch.else_list != NULL) {
            r = dbuf_adds(out, "{{else}}");
            if (r == 0)
                r = node_string(n->u.branch.else_list, out);
        }
        return r != 0 ? r : dbuf_adds(out, "{{end}}");
    case NODE_LIST:
        for (size_t i = 0; r == 0 && i < n->u.list.len; i++)
            r = node_string(n->u.list.v[i], out);
        return r;
    case NODE_NIL:
        return dbuf_adds(out, "nil");
    case NODE_NUMBER:
        return dbuf_add(out, n->u.number.text, n->u.number.len);
    case NODE_PIPE:
        return pipe_string(n, out);
    case NODE_STRING:
        return dbuf_add(out, n->u.string.quoted, n->u.string.qlen);
    case NODE_TEMPLATE:
        r = dbuf_adds(out, "{{template ");
        if (r == 0)
            r = strconv_quote(out, n->u.tmpl.name, strlen(n->u.tmpl.name), '"', 0);
        if (r == 0 && n->u.tmpl.pipe != NULL) {
            r = dbuf_addc(out, ' ');
            if (r == 0)
                r = pipe_string(n->u.tmpl.pipe, out);
        }
        return r != 0 ? r : dbuf_adds(out, "}}");
    case NODE_BREAK:
        return dbuf_adds(out, "{{break}}");
    case NODE_CONTINUE:
        return dbuf_adds(out, "{{continue}}");
    }
    return 0;
}

/* unicode.IsSpace */
static int is_unicode_space(uint32_t r)
{
    switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return 1;
    default:
        return r >= 0x2000 && r <= 0x200A;
    }
}

/* Is the text only white space (bytes.TrimSpace would leave nothing)? */
static int text_is_space(const char *s, size_t len)
{
    size_t i = 0, w;

    while (i < len) {
        uint32_t r = utf8_decode(s + i, len - i, &w);
        if (!is_unicode_space(r) || (r == UTF8_RUNE_ERROR && w == 1))
            return 0;
        i += w;
    }
    return 1;
}

/* Go's parse.IsEmptyTree. */
int node_is_empty_tree(const struct node *n)
{
    if (n == NULL)
        return 1;
    switch (n->type) {
    case NODE_COMMENT:
        return 1;
    case NODE_LIST:
        for (size_t i = 0; i < n->u.list.len; i++)
            if (!node_is_empty_tree(n->u.list.v[i]))
                return 0;
        return 1;
    case NODE_TEXT:
        return text_is_space(n->u.text.p, n->u.text.len);
    default:
        return 0;
    }
}
