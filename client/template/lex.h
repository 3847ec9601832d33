/*
 * lex.h - the template lexer: Go text/template/parse's scanner (Go 1.19 rules) as a
 * pull-driven state machine.  Items point into the input text (or, for an error item,
 * into the lexer's message buffer), so the input must outlive them.
 */
#ifndef TMPL_LEX_H
#define TMPL_LEX_H

#include <stddef.h>

enum item_type {
    ITEM_ERROR,
    ITEM_BOOL,
    ITEM_CHAR,
    ITEM_CHAR_CONSTANT,
    ITEM_COMMENT,
    ITEM_COMPLEX,
    ITEM_ASSIGN,
    ITEM_DECLARE,
    ITEM_EOF,
    ITEM_FIELD,
    ITEM_IDENTIFIER,
    ITEM_LEFT_DELIM,
    ITEM_LEFT_PAREN,
    ITEM_NUMBER,
    ITEM_PIPE,
    ITEM_RAW_STRING,
    ITEM_RIGHT_DELIM,
    ITEM_RIGHT_PAREN,
    ITEM_SPACE,
    ITEM_STRING,
    ITEM_TEXT,
    ITEM_VARIABLE,
    ITEM_KEYWORD, /* keywords follow */
    ITEM_BLOCK,
    ITEM_BREAK,
    ITEM_CONTINUE,
    ITEM_DOT,
    ITEM_DEFINE,
    ITEM_ELSE,
    ITEM_END,
    ITEM_IF,
    ITEM_NIL,
    ITEM_RANGE,
    ITEM_TEMPLATE,
    ITEM_WITH,
};

struct item {
    enum item_type type;
    size_t pos;      /* byte offset in the input */
    const char *val; /* the item's text (not NUL-terminated) */
    size_t len;
    int line; /* line at the start of the item */
};

#define LEX_QUEUE 4

struct lexer {
    const char *input;
    size_t len;
    const char *ldelim, *rdelim;
    size_t ldlen, rdlen;
    int emit_comment, break_ok, continue_ok;
    size_t pos, start;
    int at_eof;
    int paren_depth;
    int line, start_line;
    int state; /* the next state function (lex.c) */
    struct item queue[LEX_QUEUE];
    int qhead, qlen;
    char err[256];
};

/* Start lexing `input`; NULL or empty delimiters mean "{{" and "}}". */
void lex_init(struct lexer *l, const char *input, size_t len, const char *ldelim,
              const char *rdelim, int emit_comment, int break_ok, int continue_ok);
/* The next item; ITEM_EOF (repeatedly) at the end, ITEM_ERROR stops the scan. */
struct item lex_next(struct lexer *l);
/* Append a printable description of the item as Go's item.String does. */
struct dbuf;
int lex_item_describe(const struct item *it, struct dbuf *out);

#endif
