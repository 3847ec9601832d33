/*
 * lex.c - the template lexer (see lex.h): a port of the state machine of Go 1.19's
 * text/template/parse/lex.go, with the same positions, line numbers, trim markers and
 * error texts.  State functions run until they have queued an item.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lex.h"
#include "lib/dbuf.h"
#include "strconv.h"
#include "unicode.h"
#include "utf8.h"

#define LEX_EOF (-1)

enum lex_state {
    ST_TEXT,
    ST_LEFT_DELIM,
    ST_COMMENT,
    ST_RIGHT_DELIM,
    ST_INSIDE,
    ST_SPACE,
    ST_IDENTIFIER,
    ST_FIELD,
    ST_VARIABLE,
    ST_CHAR,
    ST_NUMBER,
    ST_QUOTE,
    ST_RAW_QUOTE,
    ST_DONE,
};

static const struct {
    const char *word;
    enum item_type type;
} keywords[] = {
    {".", ITEM_DOT},
    {"block", ITEM_BLOCK},
    {"break", ITEM_BREAK},
    {"continue", ITEM_CONTINUE},
    {"define", ITEM_DEFINE},
    {"else", ITEM_ELSE},
    {"end", ITEM_END},
    {"if", ITEM_IF},
    {"range", ITEM_RANGE},
    {"nil", ITEM_NIL},
    {"template", ITEM_TEMPLATE},
    {"with", ITEM_WITH},
};

/* Start lexing input with the given delimiters. */
void lex_init(struct lexer *l, const char *input, size_t len, const char *ldelim,
              const char *rdelim, int emit_comment, int break_ok, int continue_ok)
{
    memset(l, 0, sizeof(*l));
    l->input = input;
    l->len = len;
    l->ldelim = ldelim != NULL && ldelim[0] != '\0' ? ldelim : "{{";
    l->rdelim = rdelim != NULL && rdelim[0] != '\0' ? rdelim : "}}";
    l->ldlen = strlen(l->ldelim);
    l->rdlen = strlen(l->rdelim);
    l->emit_comment = emit_comment;
    l->break_ok = break_ok;
    l->continue_ok = continue_ok;
    l->line = 1;
    l->start_line = 1;
    l->state = ST_TEXT;
}

/* Go's lexer isSpace: the four ASCII spaces. */
static int is_space(int32_t r)
{
    return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

/* Go's isAlphaNumeric: '_', Unicode letters and digits. */
static int is_alnum(int32_t r)
{
    return r == '_' ||
           (r >= 0 && (unicode_is_letter((uint32_t)r) || unicode_is_digit((uint32_t)r)));
}

/* Does the input at `at` start with `prefix`? */
static int has_prefix(const struct lexer *l, size_t at, const char *prefix, size_t plen)
{
    return at <= l->len && l->len - at >= plen && memcmp(l->input + at, prefix, plen) == 0;
}

/* Is there a "- " trim marker at `at`? */
static int has_left_trim(const struct lexer *l, size_t at)
{
    return at <= l->len && l->len - at >= 2 && l->input[at] == '-' &&
           is_space((unsigned char)l->input[at + 1]);
}

/* Is there a " -" trim marker at `at`? */
static int has_right_trim(const struct lexer *l, size_t at)
{
    return at <= l->len && l->len - at >= 2 && is_space((unsigned char)l->input[at]) &&
           l->input[at + 1] == '-';
}

/* Consume the next rune (LEX_EOF at the end), counting lines. */
static int32_t next(struct lexer *l)
{
    size_t w;
    uint32_t r;

    if (l->pos >= l->len) {
        l->at_eof = 1;
        return LEX_EOF;
    }
    r = utf8_decode(l->input + l->pos, l->len - l->pos, &w);
    l->pos += w;
    if (r == '\n')
        l->line++;
    return (int32_t)r;
}

/* Step back one rune (never after EOF was seen, as in Go 1.19). */
static void backup(struct lexer *l)
{
    size_t w;

    if (!l->at_eof && l->pos > 0) {
        uint32_t r = utf8_decode_last(l->input, l->pos, &w);
        l->pos -= w;
        if (r == '\n')
            l->line--;
    }
}

/* The next rune, not consumed. */
static int32_t peek(struct lexer *l)
{
    int32_t r = next(l);

    backup(l);
    return r;
}

/* Number of newlines in s[0..n). */
static int count_newlines(const char *s, size_t n)
{
    int c = 0;

    for (size_t i = 0; i < n; i++)
        c += s[i] == '\n';
    return c;
}

/* Queue an item for the parser. */
static void push(struct lexer *l, enum item_type type, size_t pos, const char *val, size_t len,
                 int line)
{
    int slot = (l->qhead + l->qlen) % LEX_QUEUE;

    l->queue[slot].type = type;
    l->queue[slot].pos = pos;
    l->queue[slot].val = val;
    l->queue[slot].len = len;
    l->queue[slot].line = line;
    l->qlen++;
}

/* Queue the text since the last item as an item of this type. */
static void emit(struct lexer *l, enum item_type type)
{
    push(l, type, l->start, l->input + l->start, l->pos - l->start, l->start_line);
    l->start = l->pos;
    l->start_line = l->line;
}

/* Skip the text since the last item, counting its newlines. */
static void ignore(struct lexer *l)
{
    l->line += count_newlines(l->input + l->start, l->pos - l->start);
    l->start = l->pos;
    l->start_line = l->line;
}

/* Is r one of the ASCII characters in valid? */
static int contains_rune(const char *valid, int32_t r)
{
    return r > 0 && r < 0x80 && strchr(valid, (int)r) != NULL;
}

/* Consume the next rune if it is in valid. */
static int accept(struct lexer *l, const char *valid)
{
    if (contains_rune(valid, next(l)))
        return 1;
    backup(l);
    return 0;
}

/* Consume a run of runes from valid. */
static void accept_run(struct lexer *l, const char *valid)
{
    while (contains_rune(valid, next(l))) {
    }
    backup(l);
}

/* Queue an error item with the message; the scan ends. */
static int errorf(struct lexer *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int errorf(struct lexer *l, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(l->err, sizeof(l->err), fmt, ap);
    va_end(ap);
    push(l, ITEM_ERROR, l->start, l->err, strlen(l->err), l->start_line);
    return ST_DONE;
}

/* Go's %#U of a rune: "U+0029 ')'" (the quoted form only when printable). */
static void describe_rune(int32_t r, char *buf, size_t len)
{
    if (r < 0) {
        snprintf(buf, len, "U+FFFFFFFFFFFFFFFF");
        return;
    }
    if (unicode_is_print((uint32_t)r)) {
        char enc[4];
        size_t n = utf8_encode((uint32_t)r, enc);
        snprintf(buf, len, "U+%04X '%.*s'", (unsigned)r, (int)n, enc);
    } else {
        snprintf(buf, len, "U+%04X", (unsigned)r);
    }
}

/* Error "bad number syntax: %q" with the text scanned so far. */
static int bad_number(struct lexer *l)
{
    struct dbuf q = DBUF_INIT;
    int st;

    dbuf_init(&q, 200);
    strconv_quote(&q, l->input + l->start, l->pos - l->start, '"', 0);
    st = errorf(l, "bad number syntax: %s", q.p != NULL ? q.p : "\"\"");
    dbuf_free(&q);
    return st;
}

/* Scan text up to the next left delimiter (trimming before "{{- "). */
static int lex_text(struct lexer *l)
{
    const char *hit = NULL;

    if (l->pos < l->len && l->len - l->pos >= l->ldlen)
        hit = memmem(l->input + l->pos, l->len - l->pos, l->ldelim, l->ldlen);
    if (hit != NULL) {
        size_t trim = 0;
        l->pos = (size_t)(hit - l->input);
        if (has_left_trim(l, l->pos + l->ldlen)) {
            size_t e = l->pos;
            while (e > l->start && is_space((unsigned char)l->input[e - 1]))
                e--;
            trim = l->pos - e;
        }
        l->pos -= trim;
        if (l->pos > l->start) {
            l->line += count_newlines(l->input + l->start, l->pos - l->start);
            emit(l, ITEM_TEXT);
        }
        l->pos += trim;
        ignore(l);
        return ST_LEFT_DELIM;
    }
    l->pos = l->len;
    if (l->pos > l->start) {
        l->line += count_newlines(l->input + l->start, l->pos - l->start);
        emit(l, ITEM_TEXT);
    }
    emit(l, ITEM_EOF);
    return ST_DONE;
}

/* Is the lexer at a right delimiter, possibly preceded by a trim marker? */
static int at_right_delim(struct lexer *l, int *trim)
{
    if (has_right_trim(l, l->pos) && has_prefix(l, l->pos + 2, l->rdelim, l->rdlen)) {
        *trim = 1;
        return 1;
    }
    *trim = 0;
    return has_prefix(l, l->pos, l->rdelim, l->rdlen);
}

/* Length of the white space at `at`. */
static size_t left_trim_length(const struct lexer *l, size_t at)
{
    size_t e = at;

    while (e < l->len && is_space((unsigned char)l->input[e]))
        e++;
    return e - at;
}

/* Scan a left delimiter, or the start of a comment. */
static int lex_left_delim(struct lexer *l)
{
    size_t after;

    l->pos += l->ldlen;
    after = has_left_trim(l, l->pos) ? 2 : 0;
    if (has_prefix(l, l->pos + after, "/*", 2)) {
        l->pos += after;
        ignore(l);
        return ST_COMMENT;
    }
    emit(l, ITEM_LEFT_DELIM);
    l->pos += after;
    ignore(l);
    l->paren_depth = 0;
    return ST_INSIDE;
}

/* Scan a comment up to its end marker and the right delimiter. */
static int lex_comment(struct lexer *l)
{
    const char *end;
    int trim;

    l->pos += 2;
    end = l->pos < l->len ? memmem(l->input + l->pos, l->len - l->pos, "*/", 2) : NULL;
    if (end == NULL)
        return errorf(l, "unclosed comment");
    l->pos = (size_t)(end - l->input) + 2;
    if (!at_right_delim(l, &trim))
        return errorf(l, "comment ends before closing delimiter");
    if (l->emit_comment)
        emit(l, ITEM_COMMENT);
    if (trim)
        l->pos += 2;
    l->pos += l->rdlen;
    if (trim)
        l->pos += left_trim_length(l, l->pos);
    ignore(l);
    return ST_TEXT;
}

/* Scan a right delimiter (trimming after " -}}"). */
static int lex_right_delim(struct lexer *l)
{
    int trim = has_right_trim(l, l->pos);

    if (trim) {
        l->pos += 2;
        ignore(l);
    }
    l->pos += l->rdlen;
    emit(l, ITEM_RIGHT_DELIM);
    if (trim) {
        l->pos += left_trim_length(l, l->pos);
        ignore(l);
    }
    return ST_TEXT;
}

/* Scan one element inside an action. */
static int lex_inside_action(struct lexer *l)
{
    int trim;
    int32_t r;
    char desc[32];

    if (at_right_delim(l, &trim)) {
        if (l->paren_depth == 0)
            return ST_RIGHT_DELIM;
        return errorf(l, "unclosed left paren");
    }
    r = next(l);
    if (r == LEX_EOF)
        return errorf(l, "unclosed action");
    if (is_space(r)) {
        backup(l);
        return ST_SPACE;
    }
    switch (r) {
    case '=':
        emit(l, ITEM_ASSIGN);
        return ST_INSIDE;
    case ':':
        if (next(l) != '=')
            return errorf(l, "expected :=");
        emit(l, ITEM_DECLARE);
        return ST_INSIDE;
    case '|':
        emit(l, ITEM_PIPE);
        return ST_INSIDE;
    case '"':
        return ST_QUOTE;
    case '`':
        return ST_RAW_QUOTE;
    case '$':
        return ST_VARIABLE;
    case '\'':
        return ST_CHAR;
    case '.':
        if (l->pos < l->len) {
            unsigned char c = (unsigned char)l->input[l->pos];
            if (c < '0' || c > '9')
                return ST_FIELD;
        }
        backup(l);
        return ST_NUMBER;
    case '(':
        emit(l, ITEM_LEFT_PAREN);
        l->paren_depth++;
        return ST_INSIDE;
    case ')':
        emit(l, ITEM_RIGHT_PAREN);
        l->paren_depth--;
        if (l->paren_depth < 0) {
            describe_rune(r, desc, sizeof(desc));
            return errorf(l, "unexpected right paren %s", desc);
        }
        return ST_INSIDE;
    default:
        break;
    }
    if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
        backup(l);
        return ST_NUMBER;
    }
    if (is_alnum(r)) {
        backup(l);
        return ST_IDENTIFIER;
    }
    if (r < 0x80 && unicode_is_print((uint32_t)r)) {
        emit(l, ITEM_CHAR);
        return ST_INSIDE;
    }
    describe_rune(r, desc, sizeof(desc));
    return errorf(l, "unrecognized character in action: %s", desc);
}

/* Scan a run of spaces (careful with " -}}"). */
static int lex_space(struct lexer *l)
{
    int spaces = 0;

    while (is_space(peek(l))) {
        next(l);
        spaces++;
    }
    if (has_right_trim(l, l->pos - 1) && has_prefix(l, l->pos - 1 + 2, l->rdelim, l->rdlen)) {
        backup(l);
        if (spaces == 1)
            return ST_RIGHT_DELIM;
    }
    emit(l, ITEM_SPACE);
    return ST_INSIDE;
}

/* Is the lexer at a character that may follow an identifier? */
static int at_terminator(struct lexer *l)
{
    int32_t r = peek(l);

    if (is_space(r))
        return 1;
    switch (r) {
    case LEX_EOF:
    case '.':
    case ',':
    case '|':
    case ':':
    case ')':
    case '(':
        return 1;
    default:
        break;
    }
    return has_prefix(l, l->pos, l->rdelim, l->rdlen);
}

/* Scan an identifier, keyword, or true/false. */
static int lex_identifier(struct lexer *l)
{
    int32_t r;
    size_t n;
    const char *word;

    for (;;) {
        r = next(l);
        if (!is_alnum(r))
            break;
    }
    backup(l);
    word = l->input + l->start;
    n = l->pos - l->start;
    if (!at_terminator(l)) {
        char desc[32];
        describe_rune(r, desc, sizeof(desc));
        return errorf(l, "bad character %s", desc);
    }
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        if (strlen(keywords[i].word) == n && memcmp(keywords[i].word, word, n) == 0) {
            enum item_type t = keywords[i].type;
            if ((t == ITEM_BREAK && !l->break_ok) || (t == ITEM_CONTINUE && !l->continue_ok))
                emit(l, ITEM_IDENTIFIER);
            else
                emit(l, t);
            return ST_INSIDE;
        }
    }
    if ((n == 4 && memcmp(word, "true", 4) == 0) || (n == 5 && memcmp(word, "false", 5) == 0))
        emit(l, ITEM_BOOL);
    else
        emit(l, ITEM_IDENTIFIER);
    return ST_INSIDE;
}

/* A field (.Name) or variable ($Name); the '.' or '$' has been scanned. */
static int lex_field_or_variable(struct lexer *l, enum item_type type)
{
    int32_t r;

    if (at_terminator(l)) {
        emit(l, type == ITEM_VARIABLE ? ITEM_VARIABLE : ITEM_DOT);
        return ST_INSIDE;
    }
    for (;;) {
        r = next(l);
        if (!is_alnum(r)) {
            backup(l);
            break;
        }
    }
    if (!at_terminator(l)) {
        char desc[32];
        describe_rune(r, desc, sizeof(desc));
        return errorf(l, "bad character %s", desc);
    }
    emit(l, type);
    return ST_INSIDE;
}

/* Scan a variable; the '$' has been scanned. */
static int lex_variable(struct lexer *l)
{
    if (at_terminator(l)) {
        emit(l, ITEM_VARIABLE);
        return ST_INSIDE;
    }
    return lex_field_or_variable(l, ITEM_VARIABLE);
}

/* Scan a character constant; the quote has been scanned. */
static int lex_char(struct lexer *l)
{
    for (;;) {
        int32_t r = next(l);
        if (r == '\\') {
            r = next(l);
            if (r != LEX_EOF && r != '\n')
                continue;
            return errorf(l, "unterminated character constant");
        }
        if (r == LEX_EOF || r == '\n')
            return errorf(l, "unterminated character constant");
        if (r == '\'')
            break;
    }
    emit(l, ITEM_CHAR_CONSTANT);
    return ST_INSIDE;
}

/* Scan a number (Go's lexer.scanNumber); 0 when followed by an alphanumeric. */
static int scan_number(struct lexer *l)
{
    const char *digits = "0123456789_";

    accept(l, "+-");
    if (accept(l, "0")) {
        if (accept(l, "xX"))
            digits = "0123456789abcdefABCDEF_";
        else if (accept(l, "oO"))
            digits = "01234567_";
        else if (accept(l, "bB"))
            digits = "01_";
    }
    accept_run(l, digits);
    if (accept(l, "."))
        accept_run(l, digits);
    if (strlen(digits) == 11 && accept(l, "eE")) {
        accept(l, "+-");
        accept_run(l, "0123456789_");
    }
    if (strlen(digits) == 23 && accept(l, "pP")) {
        accept(l, "+-");
        accept_run(l, "0123456789_");
    }
    accept(l, "i");
    if (is_alnum(peek(l))) {
        next(l);
        return 0;
    }
    return 1;
}

/* Scan a number or complex constant. */
static int lex_number(struct lexer *l)
{
    int32_t sign;

    if (!scan_number(l))
        return bad_number(l);
    sign = peek(l);
    if (sign == '+' || sign == '-') {
        if (!scan_number(l) || l->input[l->pos - 1] != 'i')
            return bad_number(l);
        emit(l, ITEM_COMPLEX);
    } else {
        emit(l, ITEM_NUMBER);
    }
    return ST_INSIDE;
}

/* Scan a quoted string; the quote has been scanned. */
static int lex_quote(struct lexer *l)
{
    for (;;) {
        int32_t r = next(l);
        if (r == '\\') {
            r = next(l);
            if (r != LEX_EOF && r != '\n')
                continue;
            return errorf(l, "unterminated quoted string");
        }
        if (r == LEX_EOF || r == '\n')
            return errorf(l, "unterminated quoted string");
        if (r == '"')
            break;
    }
    emit(l, ITEM_STRING);
    return ST_INSIDE;
}

/* Scan a raw string; the backquote has been scanned. */
static int lex_raw_quote(struct lexer *l)
{
    for (;;) {
        int32_t r = next(l);
        if (r == LEX_EOF)
            return errorf(l, "unterminated raw quoted string");
        if (r == '`')
            break;
    }
    emit(l, ITEM_RAW_STRING);
    return ST_INSIDE;
}

/* Run one state function; returns the next state. */
static int step(struct lexer *l)
{
    switch (l->state) {
    case ST_TEXT:
        return lex_text(l);
    case ST_LEFT_DELIM:
        return lex_left_delim(l);
    case ST_COMMENT:
        return lex_comment(l);
    case ST_RIGHT_DELIM:
        return lex_right_delim(l);
    case ST_INSIDE:
        return lex_inside_action(l);
    case ST_SPACE:
        return lex_space(l);
    case ST_IDENTIFIER:
        return lex_identifier(l);
    case ST_FIELD:
        return lex_field_or_variable(l, ITEM_FIELD);
    case ST_VARIABLE:
        return lex_variable(l);
    case ST_CHAR:
        return lex_char(l);
    case ST_NUMBER:
        return lex_number(l);
    case ST_QUOTE:
        return lex_quote(l);
    case ST_RAW_QUOTE:
        return lex_raw_quote(l);
    default:
        return ST_DONE;
    }
}

/* Run state functions until an item is ready and return it. */
struct item lex_next(struct lexer *l)
{
    struct item it;

    while (l->qlen == 0 && l->state != ST_DONE)
        l->state = step(l);
    if (l->qlen == 0) {
        memset(&it, 0, sizeof(it));
        it.type = ITEM_EOF;
        it.pos = l->len;
        it.val = l->input + l->len;
        it.line = l->line;
        return it;
    }
    it = l->queue[l->qhead];
    l->qhead = (l->qhead + 1) % LEX_QUEUE;
    l->qlen--;
    return it;
}

/* Go's item.String: EOF, the error, <keyword>, or the quoted text. */
int lex_item_describe(const struct item *it, struct dbuf *out)
{
    int r;

    if (it->type == ITEM_EOF)
        return dbuf_adds(out, "EOF");
    if (it->type == ITEM_ERROR)
        return dbuf_add(out, it->val, it->len);
    if (it->type > ITEM_KEYWORD) {
        r = dbuf_addc(out, '<');
        if (r == 0)
            r = dbuf_add(out, it->val, it->len);
        return r != 0 ? r : dbuf_addc(out, '>');
    }
    if (it->len > 10) {
        /* %.10q: the first 10 runes, quoted, then "..." */
        size_t i = 0, w, runes = 0;
        while (i < it->len && runes < 10) {
            utf8_decode(it->val + i, it->len - i, &w);
            i += w;
            runes++;
        }
        r = strconv_quote(out, it->val, i, '"', 0);
        return r != 0 ? r : dbuf_adds(out, "...");
    }
    return strconv_quote(out, it->val, it->len, '"', 0);
}
