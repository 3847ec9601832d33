/*
 * parse.c - the template parser: a port of Go 1.19's text/template/parse/parse.go
 * (plus Go 1.23's {{else with}}) with the same token look-ahead, so errors carry the same
 * line numbers and texts ("template: NAME:LINE: unexpected ...").
 *
 * All nodes belong to the tsource of the text; on error the whole source is dropped, so
 * the parse functions just return NULL (p->failed tells an error from "no term here").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "lex.h"
#include "strconv.h"
#include "tmpl_int.h"

struct pvar {
    const char *p;
    size_t len;
};

/* Go's treeSet: the templates a Parse call defines. */
struct ptree {
    char *name;
    struct node *root;
};

struct treeset {
    struct ptree *v;
    size_t len, cap;
};

struct parser {
    struct tmpl *set;
    struct lexer *lex;
    struct tsource *src;
    struct treeset *trees;
    char *name; /* Tree.Name (owned) */
    struct node *root;
    struct item token[3];
    int peek_count;
    struct pvar *vars;
    size_t nvars, capvars;
    int action_line;
    int range_depth;
    int *nesting; /* shared by the parsers of one text */
    int failed;
    struct verr *e;
};

static struct node *pipeline(struct parser *p, const char *context, enum item_type end);
static struct node *if_control(struct parser *p);
static struct node *with_control(struct parser *p);
static int item_list(struct parser *p, struct node **list, struct node **next);

/* Record "template: NAME:LINE: message" (first error wins). */
static void errorf(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errorf(struct parser *p, const char *fmt, ...)
{
    char msg[VERR_MSG_MAX];
    va_list ap;

    if (p->failed)
        return;
    p->failed = 1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    verr_set(p->e, VALS_EPARSE, "template: %s:%d: %s", p->src->name, p->token[0].line, msg);
}

/* Out of memory while parsing. */
static void nomem(struct parser *p)
{
    if (!p->failed) {
        p->failed = 1;
        verr_set(p->e, VALS_ENOMEM, "template: %s: out of memory", p->src->name);
    }
}

/* A Go-quoted copy of s (for %q in messages); never NULL. */
static const char *quoted(struct dbuf *b, const char *s, size_t n)
{
    dbuf_reset(b);
    if (strconv_quote(b, s, n, '"', 0) != 0 || b->p == NULL)
        return "\"\"";
    return b->p;
}

/* Go's item.String of a token, for messages. */
static const char *describe(struct dbuf *b, const struct item *it)
{
    dbuf_reset(b);
    if (lex_item_describe(it, b) != 0 || b->p == NULL)
        return "";
    return b->p;
}

/* Go's Node.String of a node, for messages. */
static const char *node_text(struct dbuf *b, const struct node *n)
{
    dbuf_reset(b);
    if (node_string(n, b) != 0 || b->p == NULL)
        return "";
    return b->p;
}

/* Go's Tree.next: the next token, from the look-ahead first. */
static struct item next(struct parser *p)
{
    if (p->peek_count > 0)
        p->peek_count--;
    else
        p->token[0] = lex_next(p->lex);
    return p->token[p->peek_count];
}

/* Go's Tree.backup: push back one token. */
static void backup(struct parser *p)
{
    p->peek_count++;
}

/* Go's Tree.backup2: push back two tokens. */
static void backup2(struct parser *p, struct item t1)
{
    p->token[1] = t1;
    p->peek_count = 2;
}

/* Go's Tree.backup3: push back three tokens. */
static void backup3(struct parser *p, struct item t2, struct item t1)
{
    p->token[1] = t1;
    p->token[2] = t2;
    p->peek_count = 3;
}

/* Go's Tree.peek: the next token, not consumed. */
static struct item peek(struct parser *p)
{
    if (p->peek_count > 0)
        return p->token[p->peek_count - 1];
    p->peek_count = 1;
    p->token[0] = lex_next(p->lex);
    return p->token[0];
}

/* The next token that is not a space. */
static struct item next_non_space(struct parser *p)
{
    struct item t;

    do
        t = next(p);
    while (t.type == ITEM_SPACE);
    return t;
}

/* The next token that is not a space, not consumed. */
static struct item peek_non_space(struct parser *p)
{
    struct item t = next_non_space(p);

    backup(p);
    return t;
}

/* Complain about an unexpected token (Go's Tree.unexpected). */
static void unexpected(struct parser *p, const struct item *tok, const char *context)
{
    struct dbuf b = DBUF_INIT;

    if (tok->type == ITEM_ERROR) {
        char extra[300] = "";
        if (p->action_line != 0 && p->action_line != tok->line) {
            int skip = tok->len >= 7 && memcmp(tok->val + tok->len - 7, " action", 7) == 0;
            snprintf(extra, sizeof(extra), "%s started at %s:%d", skip ? "" : " in action",
                     p->src->name, p->action_line);
        }
        errorf(p, "%.*s%s", (int)tok->len, tok->val, extra);
    } else {
        errorf(p, "unexpected %s in %s", describe(&b, tok), context);
    }
    dbuf_free(&b);
}

/* Consume a token of the given type or fail. */
static int expect(struct parser *p, enum item_type type, const char *context, struct item *out)
{
    *out = next_non_space(p);
    if (out->type != type) {
        unexpected(p, out, context);
        return -1;
    }
    return 0;
}

/* Is name a builtin or a registered function? */
static int has_function(const struct parser *p, const char *name, size_t len)
{
    return builtin_find(name, len) != NULL || tmpl_find_func(p->set, name, len) != NULL;
}

/* A node of this parse, or an out-of-memory failure. */
static struct node *new_node(struct parser *p, enum node_type type, size_t pos, int line)
{
    struct node *n = node_new(p->src, type, pos, line);

    if (n == NULL)
        nomem(p);
    return n;
}

/* Append a node to a vector, or fail. */
static int append(struct parser *p, struct nodevec *v, struct node *n)
{
    if (node_push(v, n) != 0) {
        nomem(p);
        return -1;
    }
    return 0;
}

/* Declare a variable name for useVar checks. */
static int push_var(struct parser *p, const char *name, size_t len)
{
    if (p->nvars == p->capvars) {
        size_t cap = p->capvars ? p->capvars * 2 : 8;
        struct pvar *v = realloc(p->vars, cap * sizeof(*v));
        if (v == NULL) {
            nomem(p);
            return -1;
        }
        p->vars = v;
        p->capvars = cap;
    }
    p->vars[p->nvars].p = name;
    p->vars[p->nvars].len = len;
    p->nvars++;
    return 0;
}

/* Go's startParse: a fresh parser sharing the lexer and tree set. */
static int start_parse(struct parser *p, const struct parser *parent, const char *name)
{
    memset(p, 0, sizeof(*p));
    p->set = parent->set;
    p->lex = parent->lex;
    p->src = parent->src;
    p->trees = parent->trees;
    p->nesting = parent->nesting;
    p->e = parent->e;
    p->name = strdup(name);
    if (p->name == NULL || push_var(p, "$", 1) != 0) {
        free(p->name);
        p->name = NULL;
        return -1;
    }
    return 0;
}

/* Free a parser's variable list and name. */
static void stop_parse(struct parser *p)
{
    free(p->vars);
    free(p->name);
    p->vars = NULL;
    p->name = NULL;
}

/* Copy a sub-parser's failure to its parent. */
static void inherit(struct parser *parent, const struct parser *child)
{
    if (child->failed)
        parent->failed = 1;
}

/* Enter one level of nesting; fails beyond the limit. */
static int nest(struct parser *p)
{
    if (++*p->nesting > p->set->limits.max_nesting) {
        errorf(p, "nesting too deep (limit %d)", p->set->limits.max_nesting);
        return -1;
    }
    return 0;
}

/* Go's Tree.add: record the tree in the set of this parse. */
static void add_tree(struct parser *p)
{
    struct treeset *ts = p->trees;
    struct dbuf b = DBUF_INIT;

    for (size_t i = 0; i < ts->len; i++) {
        if (strcmp(ts->v[i].name, p->name) != 0)
            continue;
        if (node_is_empty_tree(ts->v[i].root)) {
            ts->v[i].root = p->root;
            return;
        }
        if (!node_is_empty_tree(p->root))
            errorf(p, "template: multiple definition of template %s",
                   quoted(&b, p->name, strlen(p->name)));
        dbuf_free(&b);
        return;
    }
    if (ts->len == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 4;
        struct ptree *v = realloc(ts->v, cap * sizeof(*v));
        if (v == NULL) {
            nomem(p);
            return;
        }
        ts->v = v;
        ts->cap = cap;
    }
    ts->v[ts->len].name = strdup(p->name);
    if (ts->v[ts->len].name == NULL) {
        nomem(p);
        return;
    }
    ts->v[ts->len].root = p->root;
    ts->len++;
}

/* Unquote a string token into a new C string; NULL on error (recorded). */
static char *unquote_name(struct parser *p, const struct item *tok)
{
    struct dbuf b = DBUF_INIT;
    char *s;
    int r = strconv_unquote(tok->val, tok->len, &b);

    if (r != 0) {
        dbuf_free(&b);
        if (r == STRCONV_ESYNTAX)
            errorf(p, "invalid syntax");
        else
            nomem(p);
        return NULL;
    }
    s = strndup(b.p != NULL ? b.p : "", b.len);
    dbuf_free(&b);
    if (s == NULL)
        nomem(p);
    return s;
}

/* A VARIABLE node for "$x.a.b". */
static struct node *new_variable(struct parser *p, size_t pos, const char *s, size_t len)
{
    struct node *n = new_node(p, NODE_VARIABLE, pos, 0);

    if (n != NULL && node_split_names(s, len, 0, &n->u.ident.names, &n->u.ident.n) != 0) {
        nomem(p);
        return NULL;
    }
    return n;
}

/* A FIELD node for ".a.b". */
static struct node *new_field(struct parser *p, size_t pos, const char *s, size_t len)
{
    struct node *n = new_node(p, NODE_FIELD, pos, 0);

    if (n != NULL && node_split_names(s, len, 1, &n->u.ident.names, &n->u.ident.n) != 0) {
        nomem(p);
        return NULL;
    }
    return n;
}

/* Go's useVar: a variable reference must name a declared variable. */
static struct node *use_var(struct parser *p, size_t pos, const char *s, size_t len)
{
    struct node *v = new_variable(p, pos, s, len);
    struct dbuf b = DBUF_INIT;
    const char *name;

    if (v == NULL)
        return NULL;
    name = v->u.ident.names[0];
    for (size_t i = 0; i < p->nvars; i++)
        if (p->vars[i].len == strlen(name) && memcmp(p->vars[i].p, name, p->vars[i].len) == 0)
            return v;
    errorf(p, "undefined variable %s", quoted(&b, name, strlen(name)));
    dbuf_free(&b);
    return NULL;
}

/* float64 -> int64 when exact (Go's float64(int64(f)) == f on amd64). */
static int float_is_int(double f, int64_t *i)
{
    if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
        return 0;
    *i = (int64_t)f;
    return (double)*i == f;
}

/* Go's newNumber, then the value idealConstant would give it. */
static struct node *new_number(struct parser *p, const struct item *tok)
{
    struct node *n;
    const char *text = tok->val;
    size_t len = tok->len;
    int is_int = 0, is_uint = 0, is_float = 0;
    int64_t i = 0;
    uint64_t u = 0;
    double f = 0;
    struct dbuf b = DBUF_INIT;

    if (tok->type == ITEM_CHAR_CONSTANT) {
        uint32_t r;
        int mb;
        size_t used;
        if (strconv_unquote_char(text + 1, len - 1, text[0], &r, &mb, &used) != 0) {
            errorf(p, "invalid syntax");
            return NULL;
        }
        if (len - 1 - used != 1 || text[len - 1] != '\'') {
            errorf(p, "malformed character constant: %.*s", (int)len, text);
            return NULL;
        }
        is_int = 1;
        i = r;
    } else if (tok->type == ITEM_COMPLEX ||
               (len > 0 && text[len - 1] == 'i' && strconv_parse_float(text, len - 1, &f) == 0)) {
        errorf(p, "complex number %s is not supported", quoted(&b, text, len));
        dbuf_free(&b);
        return NULL;
    } else {
        if (strconv_parse_uint(text, len, &u) == 0)
            is_uint = 1;
        if (strconv_parse_int(text, len, &i) == 0)
            is_int = 1;
        if (is_int || is_uint) {
            is_float = 1;
        } else if (strconv_parse_float(text, len, &f) == 0) {
            if (strcspn(text, ".eEpP") >= len) {
                errorf(p, "integer overflow: %s", quoted(&b, text, len));
                dbuf_free(&b);
                return NULL;
            }
            is_float = 1;
            int64_t fi;
            if (float_is_int(f, &fi)) {
                is_int = 1;
                i = fi;
            }
        }
        if (!is_int && !is_uint && !is_float) {
            errorf(p, "illegal number syntax: %s", quoted(&b, text, len));
            dbuf_free(&b);
            return NULL;
        }
    }
    n = new_node(p, NODE_NUMBER, tok->pos, 0);
    if (n == NULL)
        return NULL;
    n->u.number.text = text;
    n->u.number.len = len;
    /* idealConstant: float64 when written like a float (not hex ints, not runes), else
       int; a number that is only a uint "overflows int" at execution */
    int hexint = len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
                 memchr(text, 'p', len) == NULL && memchr(text, 'P', len) == NULL;
    int floaty = 0;
    for (size_t k = 0; k < len; k++)
        floaty |= strchr(".eEpP", text[k]) != NULL;
    if (is_float && tok->type != ITEM_CHAR_CONSTANT && !hexint && floaty)
        n->u.number.val = doc_float(f);
    else if (is_int)
        n->u.number.val = doc_int(i);
    else
        return n;
    if (n->u.number.val == NULL) {
        nomem(p);
        return NULL;
    }
    return n;
}

/* term: literal | function | . | .Field | $ | '(' pipeline ')' */
static struct node *term(struct parser *p)
{
    struct item tok = next_non_space(p);
    struct node *n;
    struct dbuf b = DBUF_INIT;

    switch (tok.type) {
    case ITEM_IDENTIFIER:
        if (!has_function(p, tok.val, tok.len)) {
            errorf(p, "function %s not defined", quoted(&b, tok.val, tok.len));
            dbuf_free(&b);
            return NULL;
        }
        n = new_node(p, NODE_IDENTIFIER, tok.pos, 0);
        if (n == NULL)
            return NULL;
        n->u.ident.names = calloc(1, sizeof(char *));
        if (n->u.ident.names == NULL || (n->u.ident.names[0] = strndup(tok.val, tok.len)) == NULL) {
            nomem(p);
            return NULL;
        }
        n->u.ident.n = 1;
        return n;
    case ITEM_DOT:
        return new_node(p, NODE_DOT, tok.pos, 0);
    case ITEM_NIL:
        return new_node(p, NODE_NIL, tok.pos, 0);
    case ITEM_VARIABLE:
        return use_var(p, tok.pos, tok.val, tok.len);
    case ITEM_FIELD:
        return new_field(p, tok.pos, tok.val, tok.len);
    case ITEM_BOOL:
        n = new_node(p, NODE_BOOL, tok.pos, 0);
        if (n != NULL)
            n->u.boolean = tok.len == 4 && memcmp(tok.val, "true", 4) == 0;
        return n;
    case ITEM_CHAR_CONSTANT:
    case ITEM_COMPLEX:
    case ITEM_NUMBER:
        return new_number(p, &tok);
    case ITEM_LEFT_PAREN:
        if (nest(p) != 0)
            return NULL;
        n = pipeline(p, "parenthesized pipeline", ITEM_RIGHT_PAREN);
        (*p->nesting)--;
        return n;
    case ITEM_STRING:
    case ITEM_RAW_STRING: {
        int r = strconv_unquote(tok.val, tok.len, &b);
        if (r != 0) {
            dbuf_free(&b);
            if (r == STRCONV_ESYNTAX)
                errorf(p, "invalid syntax");
            else
                nomem(p);
            return NULL;
        }
        n = new_node(p, NODE_STRING, tok.pos, 0);
        if (n != NULL) {
            n->u.string.quoted = tok.val;
            n->u.string.qlen = tok.len;
            n->u.string.val = doc_str(b.p != NULL ? b.p : "", b.len);
            if (n->u.string.val == NULL) {
                nomem(p);
                n = NULL;
            }
        }
        dbuf_free(&b);
        return n;
    }
    default:
        backup(p);
        return NULL;
    }
}

/* operand: term .Field* */
static struct node *operand(struct parser *p)
{
    struct node *n = term(p), *chain;
    struct dbuf b = DBUF_INIT;

    if (n == NULL)
        return NULL;
    if (peek(p).type != ITEM_FIELD)
        return n;
    chain = new_node(p, NODE_CHAIN, peek(p).pos, 0);
    if (chain == NULL)
        return NULL;
    chain->u.chain.node = n;
    while (peek(p).type == ITEM_FIELD) {
        struct item f = next(p);
        char **names = realloc(chain->u.chain.names, (chain->u.chain.n + 1) * sizeof(char *));
        if (names == NULL) {
            nomem(p);
            return NULL;
        }
        chain->u.chain.names = names;
        names[chain->u.chain.n] = strndup(f.val + 1, f.len - 1);
        if (names[chain->u.chain.n] == NULL) {
            nomem(p);
            return NULL;
        }
        chain->u.chain.n++;
    }
    switch (n->type) {
    case NODE_FIELD:
    case NODE_VARIABLE:
        if (node_string(chain, &b) != 0) {
            nomem(p);
            n = NULL;
        } else if (n->type == NODE_FIELD) {
            n = new_field(p, chain->pos, b.p, b.len);
        } else {
            n = new_variable(p, chain->pos, b.p, b.len);
        }
        dbuf_free(&b);
        return n;
    case NODE_BOOL:
    case NODE_STRING:
    case NODE_NUMBER:
    case NODE_NIL:
    case NODE_DOT: {
        struct dbuf q = DBUF_INIT;
        const char *s = node_text(&b, n);
        errorf(p, "unexpected . after term %s", quoted(&q, s, strlen(s)));
        dbuf_free(&q);
        dbuf_free(&b);
        return NULL;
    }
    default:
        return chain;
    }
}

/* command: operand (space operand)* */
static struct node *command(struct parser *p)
{
    struct node *cmd = new_node(p, NODE_COMMAND, peek_non_space(p).pos, 0);

    if (cmd == NULL)
        return NULL;
    for (;;) {
        struct node *op;
        struct item tok;
        peek_non_space(p);
        op = operand(p);
        if (p->failed)
            return NULL;
        if (op != NULL && append(p, &cmd->u.list, op) != 0)
            return NULL;
        tok = next(p);
        if (tok.type == ITEM_SPACE)
            continue;
        if (tok.type == ITEM_RIGHT_DELIM || tok.type == ITEM_RIGHT_PAREN) {
            backup(p);
        } else if (tok.type != ITEM_PIPE) {
            unexpected(p, &tok, "operand");
            return NULL;
        }
        break;
    }
    if (cmd->u.list.len == 0) {
        errorf(p, "empty command");
        return NULL;
    }
    return cmd;
}

/* Go's checkPipeline: non-empty, and later stages must be executable. */
static int check_pipeline(struct parser *p, struct node *pipe, const char *context)
{
    if (pipe->u.pipe.cmds.len == 0) {
        errorf(p, "missing value for %s", context);
        return -1;
    }
    for (size_t i = 1; i < pipe->u.pipe.cmds.len; i++) {
        switch (pipe->u.pipe.cmds.v[i]->u.list.v[0]->type) {
        case NODE_BOOL:
        case NODE_DOT:
        case NODE_NIL:
        case NODE_NUMBER:
        case NODE_STRING:
            errorf(p, "non executable command in pipeline stage %zu", i + 1);
            return -1;
        default:
            break;
        }
    }
    return 0;
}

/* pipeline: declarations? command ('|' command)* */
static struct node *pipeline(struct parser *p, const char *context, enum item_type end)
{
    struct item tok = peek_non_space(p);
    struct node *pipe = new_node(p, NODE_PIPE, tok.pos, tok.line), *n;

    if (pipe == NULL)
        return NULL;
    for (;;) { /* declarations */
        struct item v = peek_non_space(p);
        if (v.type != ITEM_VARIABLE)
            break;
        next(p);
        struct item after = peek(p);
        struct item nx = peek_non_space(p);
        if (nx.type == ITEM_ASSIGN || nx.type == ITEM_DECLARE) {
            pipe->u.pipe.is_assign = nx.type == ITEM_ASSIGN;
            next_non_space(p);
            n = new_variable(p, v.pos, v.val, v.len);
            if (n == NULL || append(p, &pipe->u.pipe.decl, n) != 0 ||
                push_var(p, v.val, v.len) != 0)
                return NULL;
        } else if (nx.type == ITEM_CHAR && nx.len == 1 && nx.val[0] == ',') {
            next_non_space(p);
            n = new_variable(p, v.pos, v.val, v.len);
            if (n == NULL || append(p, &pipe->u.pipe.decl, n) != 0 ||
                push_var(p, v.val, v.len) != 0)
                return NULL;
            if (strcmp(context, "range") == 0 && pipe->u.pipe.decl.len < 2) {
                enum item_type t = peek_non_space(p).type;
                if (t == ITEM_VARIABLE || t == ITEM_RIGHT_DELIM || t == ITEM_RIGHT_PAREN)
                    continue; /* second initialized variable of a range */
                errorf(p, "range can only initialize variables");
                return NULL;
            }
            errorf(p, "too many declarations in %s", context);
            return NULL;
        } else if (after.type == ITEM_SPACE) {
            backup3(p, v, after);
        } else {
            backup2(p, v);
        }
        break;
    }
    for (;;) {
        tok = next_non_space(p);
        if (tok.type == end) {
            if (check_pipeline(p, pipe, context) != 0)
                return NULL;
            return pipe;
        }
        switch (tok.type) {
        case ITEM_BOOL:
        case ITEM_CHAR_CONSTANT:
        case ITEM_COMPLEX:
        case ITEM_DOT:
        case ITEM_FIELD:
        case ITEM_IDENTIFIER:
        case ITEM_NUMBER:
        case ITEM_NIL:
        case ITEM_RAW_STRING:
        case ITEM_STRING:
        case ITEM_VARIABLE:
        case ITEM_LEFT_PAREN:
            backup(p);
            n = command(p);
            if (n == NULL || append(p, &pipe->u.pipe.cmds, n) != 0)
                return NULL;
            break;
        default:
            unexpected(p, &tok, context);
            return NULL;
        }
    }
}

/* The shared body of if, range and with. */
static struct node *parse_control(struct parser *p, enum node_type type, const char *context)
{
    size_t mark = p->nvars;
    struct node *pipe, *list = NULL, *else_list = NULL, *nx = NULL, *n = NULL;
    struct dbuf b = DBUF_INIT;

    if (nest(p) != 0)
        return NULL;
    pipe = pipeline(p, context, ITEM_RIGHT_DELIM);
    if (pipe == NULL)
        goto out;
    if (type == NODE_RANGE)
        p->range_depth++;
    if (item_list(p, &list, &nx) != 0)
        goto out;
    if (type == NODE_RANGE)
        p->range_depth--;
    if (nx->type == NODE_ELSE) {
        struct item pk = peek(p);
        if ((type == NODE_IF && pk.type == ITEM_IF) ||
            (type == NODE_WITH && pk.type == ITEM_WITH)) {
            /* {{else if ...}} / {{else with ...}}: an if/with inside the else list,
               closed by the one {{end}} */
            struct node *inner;
            next(p);
            else_list = new_node(p, NODE_LIST, nx->pos, 0);
            if (else_list == NULL)
                goto out;
            inner = type == NODE_IF ? if_control(p) : with_control(p);
            if (inner == NULL || append(p, &else_list->u.list, inner) != 0)
                goto out;
        } else {
            if (item_list(p, &else_list, &nx) != 0)
                goto out;
            if (nx->type != NODE_END) {
                errorf(p, "expected end; found %s", node_text(&b, nx));
                goto out;
            }
        }
    }
    n = new_node(p, type, pipe->pos, pipe->line);
    if (n != NULL) {
        n->u.branch.pipe = pipe;
        n->u.branch.list = list;
        n->u.branch.else_list = else_list;
    }
out:
    p->nvars = mark;
    (*p->nesting)--;
    dbuf_free(&b);
    return p->failed ? NULL : n;
}

/* {{if pipeline}} ... {{else if ...}} ... {{end}} */
static struct node *if_control(struct parser *p)
{
    return parse_control(p, NODE_IF, "if");
}

/* {{with pipeline}} ... {{else with ...}} ... {{end}} */
static struct node *with_control(struct parser *p)
{
    return parse_control(p, NODE_WITH, "with");
}

/* {{break}} and {{continue}}, only inside range. */
static struct node *break_or_continue(struct parser *p, const struct item *kw, int is_break)
{
    struct item tok = next_non_space(p);

    if (tok.type != ITEM_RIGHT_DELIM) {
        unexpected(p, &tok, is_break ? "{{break}}" : "{{continue}}");
        return NULL;
    }
    if (p->range_depth == 0) {
        errorf(p, "%s",
               is_break ? "{{break}} outside {{range}}" : "{{continue}} outside {{range}}");
        return NULL;
    }
    return new_node(p, is_break ? NODE_BREAK : NODE_CONTINUE, kw->pos, kw->line);
}

/* {{else}}, or the else of {{else if}} / {{else with}}. */
static struct node *else_control(struct parser *p)
{
    struct item pk = peek_non_space(p), tok;

    if (pk.type == ITEM_IF || pk.type == ITEM_WITH)
        return new_node(p, NODE_ELSE, pk.pos, pk.line);
    if (expect(p, ITEM_RIGHT_DELIM, "else", &tok) != 0)
        return NULL;
    return new_node(p, NODE_ELSE, tok.pos, tok.line);
}

/* {{end}} */
static struct node *end_control(struct parser *p)
{
    struct item tok;

    if (expect(p, ITEM_RIGHT_DELIM, "end", &tok) != 0)
        return NULL;
    return new_node(p, NODE_END, tok.pos, 0);
}

/* The quoted name after template, block or define. */
static char *template_name(struct parser *p, const struct item *tok, const char *context)
{
    if (tok->type == ITEM_STRING || tok->type == ITEM_RAW_STRING)
        return unquote_name(p, tok);
    unexpected(p, tok, context);
    return NULL;
}

/* A TEMPLATE node (owns name). */
static struct node *new_template(struct parser *p, const struct item *tok, char *name,
                                 struct node *pipe)
{
    struct node *n = new_node(p, NODE_TEMPLATE, tok->pos, tok->line);

    if (n == NULL) {
        free(name);
        return NULL;
    }
    n->u.tmpl.name = name;
    n->u.tmpl.pipe = pipe;
    return n;
}

/* {{block "name" pipeline}} ... {{end}} */
static struct node *block_control(struct parser *p)
{
    const char *context = "block clause";
    struct item tok = next_non_space(p);
    char *name = template_name(p, &tok, context);
    struct node *pipe, *end = NULL;
    struct parser bp;
    struct dbuf b = DBUF_INIT;

    if (name == NULL)
        return NULL;
    pipe = pipeline(p, context, ITEM_RIGHT_DELIM);
    if (pipe == NULL || nest(p) != 0 || start_parse(&bp, p, name) != 0) {
        if (!p->failed)
            nomem(p);
        free(name);
        return NULL;
    }
    if (item_list(&bp, &bp.root, &end) == 0) {
        if (end->type != NODE_END)
            errorf(p, "unexpected %s in %s", node_text(&b, end), context);
        else
            add_tree(&bp);
    }
    inherit(p, &bp);
    stop_parse(&bp);
    (*p->nesting)--;
    dbuf_free(&b);
    if (p->failed) {
        free(name);
        return NULL;
    }
    return new_template(p, &tok, name, pipe);
}

/* {{template "name" pipeline?}} */
static struct node *template_control(struct parser *p)
{
    const char *context = "template clause";
    struct item tok = next_non_space(p);
    char *name = template_name(p, &tok, context);
    struct node *pipe = NULL;

    if (name == NULL)
        return NULL;
    if (next_non_space(p).type != ITEM_RIGHT_DELIM) {
        backup(p);
        pipe = pipeline(p, context, ITEM_RIGHT_DELIM);
        if (pipe == NULL) {
            free(name);
            return NULL;
        }
    }
    return new_template(p, &tok, name, pipe);
}

/* action: control | command ("|" command)* */
static struct node *action(struct parser *p)
{
    struct item tok = next_non_space(p);
    struct node *pipe, *n;

    switch (tok.type) {
    case ITEM_BLOCK:
        return block_control(p);
    case ITEM_BREAK:
        return break_or_continue(p, &tok, 1);
    case ITEM_CONTINUE:
        return break_or_continue(p, &tok, 0);
    case ITEM_ELSE:
        return else_control(p);
    case ITEM_END:
        return end_control(p);
    case ITEM_IF:
        return if_control(p);
    case ITEM_RANGE:
        return parse_control(p, NODE_RANGE, "range");
    case ITEM_TEMPLATE:
        return template_control(p);
    case ITEM_WITH:
        return with_control(p);
    default:
        break;
    }
    backup(p);
    tok = peek(p);
    pipe = pipeline(p, "command", ITEM_RIGHT_DELIM);
    if (pipe == NULL)
        return NULL;
    n = new_node(p, NODE_ACTION, tok.pos, tok.line);
    if (n != NULL)
        n->u.action = pipe;
    return n;
}

/* textOrAction: text | comment | action */
static struct node *text_or_action(struct parser *p)
{
    struct item tok = next_non_space(p);
    struct node *n;

    switch (tok.type) {
    case ITEM_TEXT:
    case ITEM_COMMENT:
        n = new_node(p, tok.type == ITEM_TEXT ? NODE_TEXT : NODE_COMMENT, tok.pos, 0);
        if (n != NULL) {
            n->u.text.p = tok.val;
            n->u.text.len = tok.len;
        }
        return n;
    case ITEM_LEFT_DELIM:
        p->action_line = tok.line;
        n = action(p);
        p->action_line = 0;
        return n;
    default:
        unexpected(p, &tok, "input");
        return NULL;
    }
}

/* itemList: textOrAction* up to {{end}} or {{else}} (returned in *next). */
static int item_list(struct parser *p, struct node **list, struct node **nx)
{
    struct node *l = new_node(p, NODE_LIST, peek_non_space(p).pos, 0), *n;

    if (l == NULL)
        return -1;
    while (peek_non_space(p).type != ITEM_EOF) {
        n = text_or_action(p);
        if (n == NULL)
            return -1;
        if (n->type == NODE_END || n->type == NODE_ELSE) {
            *list = l;
            *nx = n;
            return 0;
        }
        if (append(p, &l->u.list, n) != 0)
            return -1;
    }
    errorf(p, "unexpected EOF");
    return -1;
}

/* {{define "name"}} ... {{end}}; "define" has been scanned. */
static void parse_definition(struct parser *p)
{
    const char *context = "define clause";
    struct item tok;
    struct node *end = NULL;
    struct dbuf b = DBUF_INIT;

    tok = next_non_space(p);
    if (tok.type != ITEM_STRING && tok.type != ITEM_RAW_STRING) {
        unexpected(p, &tok, context);
        return;
    }
    free(p->name);
    p->name = unquote_name(p, &tok);
    if (p->name == NULL)
        return;
    if (expect(p, ITEM_RIGHT_DELIM, context, &tok) != 0)
        return;
    if (nest(p) != 0)
        return;
    if (item_list(p, &p->root, &end) == 0) {
        if (end->type != NODE_END)
            errorf(p, "unexpected %s in %s", node_text(&b, end), context);
        else
            add_tree(p);
    }
    (*p->nesting)--;
    dbuf_free(&b);
}

/* The top level: like itemList, but also {{define}}, and runs to EOF. */
static void parse_top(struct parser *p)
{
    struct dbuf b = DBUF_INIT;
    struct node *n;

    p->root = new_node(p, NODE_LIST, peek(p).pos, 0);
    while (!p->failed && peek(p).type != ITEM_EOF) {
        if (peek(p).type == ITEM_LEFT_DELIM) {
            struct item delim = next(p);
            if (next_non_space(p).type == ITEM_DEFINE) {
                struct parser dp;
                if (start_parse(&dp, p, "definition") != 0) {
                    nomem(p);
                    break;
                }
                parse_definition(&dp);
                inherit(p, &dp);
                stop_parse(&dp);
                continue;
            }
            backup2(p, delim);
        }
        n = text_or_action(p);
        if (n == NULL)
            break;
        if (n->type == NODE_END || n->type == NODE_ELSE) {
            errorf(p, "unexpected %s", node_text(&b, n));
            break;
        }
        if (append(p, &p->root->u.list, n) != 0)
            break;
    }
    if (!p->failed)
        add_tree(p);
    dbuf_free(&b);
}

/* Go's Template.Parse: parse a text and add its templates to the set. */
int parse_text(struct tmpl *t, const char *text, size_t len, struct verr *e)
{
    struct tsource *src;
    struct lexer lex;
    struct treeset trees = {NULL, 0, 0};
    struct parser p;
    int nesting = 0, r = 0;

    if (len > t->limits.max_text)
        return verr_set(e, VALS_ETOO_LARGE,
                        "template: %s: template text is %zu bytes, over the limit of %zu", t->name,
                        len, t->limits.max_text);
    src = calloc(1, sizeof(*src));
    if (src == NULL)
        return verr_set(e, VALS_ENOMEM, "template: %s: out of memory", t->name);
    src->name = strdup(t->name);
    src->text = malloc(len + 1);
    if (src->name == NULL || src->text == NULL) {
        free(src->name);
        free(src->text);
        free(src);
        return verr_set(e, VALS_ENOMEM, "template: %s: out of memory", t->name);
    }
    memcpy(src->text, text, len);
    src->text[len] = '\0';
    src->len = len;

    memset(&p, 0, sizeof(p));
    p.set = t;
    p.lex = &lex;
    p.src = src;
    p.trees = &trees;
    p.nesting = &nesting;
    p.e = e;
    lex_init(&lex, src->text, len, t->ldelim, t->rdelim, 0, tmpl_find_func(t, "break", 5) == NULL,
             tmpl_find_func(t, "continue", 8) == NULL);
    p.name = strdup(t->name);
    if (p.name == NULL || push_var(&p, "$", 1) != 0) {
        r = verr_set(e, VALS_ENOMEM, "template: %s: out of memory", t->name);
    } else {
        parse_top(&p);
        if (p.failed)
            r = e != NULL && e->code != 0 ? e->code : VALS_EPARSE;
    }
    stop_parse(&p);
    if (r != 0) {
        node_free_all(src);
        secure_free(src->text, src->len);
        free(src->name);
        free(src);
    } else {
        /* the nodes stay alive as long as the set, even when replaced */
        src->next = t->sources;
        t->sources = src;
        /* Go's AddParseTree for each tree of the set */
        for (size_t i = 0; r == 0 && i < trees.len; i++)
            r = tmpl_define(t, trees.v[i].name, trees.v[i].root, src);
    }
    for (size_t i = 0; i < trees.len; i++)
        free(trees.v[i].name);
    free(trees.v);
    if (r != 0 && e != NULL && e->code == 0)
        verr_set(e, r, "template: %s: %s", t->name, vals_strerror(r));
    return r;
}
