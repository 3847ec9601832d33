/*
 * node.h - parse tree nodes of the template engine (Go's text/template/parse nodes).
 *
 * Every node belongs to the tsource (one parsed text) it was made from and is freed with
 * it; node_string gives Go's Node.String() text, used in error messages ("at <.x.y>").
 */
#ifndef TMPL_NODE_H
#define TMPL_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dbuf.h"
#include "lib/doc.h"

enum node_type {
    NODE_TEXT,
    NODE_ACTION,
    NODE_BOOL,
    NODE_CHAIN,
    NODE_COMMAND,
    NODE_DOT,
    NODE_ELSE,
    NODE_END,
    NODE_FIELD,
    NODE_IDENTIFIER,
    NODE_IF,
    NODE_LIST,
    NODE_NIL,
    NODE_NUMBER,
    NODE_PIPE,
    NODE_RANGE,
    NODE_STRING,
    NODE_TEMPLATE,
    NODE_VARIABLE,
    NODE_WITH,
    NODE_COMMENT,
    NODE_BREAK,
    NODE_CONTINUE,
};

struct node;

/* One parsed text: Go's Tree.text and Tree.ParseName, plus ownership of its nodes. */
struct tsource {
    char *name; /* the top-level template name during parsing (for error positions) */
    char *text;
    size_t len;
    struct node *nodes; /* all nodes made from this text, newest first */
    struct tsource *next;
};

struct nodevec {
    struct node **v;
    size_t len, cap;
};

struct node {
    enum node_type type;
    size_t pos; /* byte offset in src->text */
    int line;
    struct tsource *src;
    struct node *alloc_next;
    union {
        struct {
            const char *p; /* into src->text */
            size_t len;
        } text;              /* TEXT, COMMENT */
        struct nodevec list; /* LIST: nodes; COMMAND: arguments */
        struct node *action; /* ACTION: its pipe */
        struct {
            int is_assign;
            struct nodevec decl; /* VARIABLE nodes */
            struct nodevec cmds; /* COMMAND nodes */
        } pipe;
        struct {
            char **names; /* FIELD: without dots; VARIABLE: "$x" then fields */
            size_t n;
        } ident; /* FIELD, VARIABLE, IDENTIFIER (n == 1) */
        struct {
            struct node *node;
            char **names;
            size_t n;
        } chain;
        int boolean;
        struct {
            const char *text; /* as written */
            size_t len;
            struct doc *val; /* Go's idealConstant value (int or float64); NULL if it
                                overflows int */
        } number;
        struct {
            const char *quoted; /* as written, with quotes */
            size_t qlen;
            struct doc *val; /* the unquoted string */
        } string;
        struct {
            struct node *pipe, *list, *else_list;
        } branch; /* IF, RANGE, WITH */
        struct {
            char *name;
            struct node *pipe; /* may be NULL */
        } tmpl;
    } u;
};

/* A new zeroed node owned by src (NULL on out-of-memory). */
struct node *node_new(struct tsource *src, enum node_type type, size_t pos, int line);
/* Append to a node vector (0 or VALS_ENOMEM). */
int node_push(struct nodevec *v, struct node *n);
/* Split "a.b.c" (after an optional leading '.') into names; 0 or VALS_ENOMEM. */
int node_split_names(const char *s, size_t len, int drop_first_dot, char ***names, size_t *n);
/* Free every node of a source (not the source itself). */
void node_free_all(struct tsource *src);
/* Append Go's Node.String() of n. */
int node_string(const struct node *n, struct dbuf *out);
/* Go's parse.IsEmptyTree: only space and comments. */
int node_is_empty_tree(const struct node *n);

#endif
