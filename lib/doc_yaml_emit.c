/*
 * doc_yaml_emit.c - documents -> YAML text, in go-yaml v3's layout.
 *
 * Block style, key order kept, sequences indented under their key, comments written back
 * as whole-line comments.  Scalars: strings that would read back as another type are
 * double-quoted, multi-line strings use a literal block, strings that plain style cannot
 * carry are single-quoted (double-quoted when they hold control characters); the style a
 * string had in the source is kept when it can still carry the value.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "doc.h"
#include "doc_yaml.h"

struct emitter {
    struct dbuf *out;
    int flags;
    int indent; /* spaces per level */
};

static int emit_node(struct emitter *em, const struct doc *d, int level, int inline_pos);

static int pad(struct emitter *em, int n)
{
    int r = 0;

    for (int i = 0; i < n && r == 0; i++)
        r = dbuf_addc(em->out, ' ');
    return r;
}

/* Whether `s` would be read back by YAML as something other than a string. */
static int resolves_to_other(const char *s, size_t len)
{
    struct doc *d = NULL;
    int r = yaml_resolve_plain(s, len, &d);

    doc_free(d);
    if (r != 0)
        return 1;
    /* YAML 1.1 booleans that go-yaml v3 still quotes for compatibility */
    static const char *const old_bools[] = {"y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no",
                                            "No", "NO", "on",  "On",  "ON",  "off", "Off", "OFF"};
    for (size_t i = 0; i < sizeof(old_bools) / sizeof(old_bools[0]); i++)
        if (strlen(old_bools[i]) == len && !memcmp(old_bools[i], s, len))
            return 1;
    /* timestamps: keep them strings on the way back */
    if (len >= 10 && s[4] == '-' && s[7] == '-' && s[0] >= '0' && s[0] <= '9')
        return 1;
    return 0;
}

/* Character classes of libyaml's scalar analysis, reduced to what decides the style. */
static int has_control(const char *s, size_t len, int allow_newline)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' && allow_newline)
            continue;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 1;
    }
    return 0;
}

static int plain_allowed(const char *s, size_t len, int is_key)
{
    if (len == 0)
        return 0;
    if (s[0] == ' ' || s[len - 1] == ' ' || s[0] == '\t' || s[len - 1] == '\t')
        return 0;
    if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]) != NULL) {
        /* "-x", "?x", ":x" are fine when followed by a non-space */
        if (!((s[0] == '-' || s[0] == '?' || s[0] == ':') && len > 1 && s[1] != ' '))
            return 0;
    }
    if (len >= 3 && (!memcmp(s, "---", 3) || !memcmp(s, "...", 3)))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\n' || c == '\r' || has_control(&c, 1, 0))
            return 0;
        if (c == ':' && (i + 1 == len || s[i + 1] == ' '))
            return 0;
        if (c == '#' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
            return 0;
        if (is_key && (c == ',' || c == '[' || c == ']' || c == '{' || c == '}'))
            continue;
    }
    return 1;
}

static int emit_double(struct emitter *em, const char *s, size_t len)
{
    struct dbuf *o = em->out;
    int r = dbuf_addc(o, '"');

    for (size_t i = 0; i < len && r == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            r = dbuf_adds(o, "\\\"");
            break;
        case '\\':
            r = dbuf_adds(o, "\\\\");
            break;
        case '\n':
            r = dbuf_adds(o, "\\n");
            break;
        case '\t':
            r = dbuf_adds(o, "\\t");
            break;
        case '\r':
            r = dbuf_adds(o, "\\r");
            break;
        case '\0':
            r = dbuf_adds(o, "\\0");
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                r = dbuf_printf(o, "\\x%02X", c);
            else
                r = dbuf_addc(o, (char)c);
        }
    }
    return r != 0 ? r : dbuf_addc(o, '"');
}

static int emit_single(struct emitter *em, const char *s, size_t len)
{
    int r = dbuf_addc(em->out, '\'');

    for (size_t i = 0; i < len && r == 0; i++)
        r = s[i] == '\'' ? dbuf_adds(em->out, "''") : dbuf_addc(em->out, s[i]);
    return r != 0 ? r : dbuf_addc(em->out, '\'');
}

/* A literal block scalar "|" with the right chomping indicator, body at `level`+1. */
static int emit_literal(struct emitter *em, const char *s, size_t len, int level)
{
    size_t trail = 0;
    int r;

    while (trail < len && s[len - 1 - trail] == '\n')
        trail++;
    r = dbuf_addc(em->out, '|');
    if (r == 0 && len > 0 && (s[0] == ' ' || s[0] == '\n'))
        r = dbuf_printf(em->out, "%d", em->indent);
    if (r == 0 && trail == 0)
        r = dbuf_addc(em->out, '-');
    else if (r == 0 && trail > 1)
        r = dbuf_addc(em->out, '+');
    if (r == 0)
        r = dbuf_addc(em->out, '\n');
    if (r == 0) {
        /* the body is the text without its final newline; chomping restores it */
        size_t body = trail > 0 ? len - 1 : len, i = 0, j;
        for (;;) {
            for (j = i; j < body && s[j] != '\n'; j++)
                ;
            if (j > i)
                r = pad(em, (level + 1) * em->indent);
            if (r == 0)
                r = dbuf_add(em->out, s + i, j - i);
            if (r == 0)
                r = dbuf_addc(em->out, '\n');
            if (r != 0 || j >= body)
                break;
            i = j + 1;
        }
    }
    return r;
}

/* Literal style can carry the string: it has a newline, no control characters and no
 * trailing spaces on its lines. */
static int literal_allowed(const char *s, size_t len)
{
    if (memchr(s, '\n', len) == NULL || has_control(s, len, 1))
        return 0;
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i + 1] == '\n' && (s[i] == ' ' || s[i] == '\t'))
            return 0;
    return !(len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'));
}

static int emit_string(struct emitter *em, const struct doc *d, int level, int is_key)
{
    const char *s = d->v.s.ptr;
    size_t len = d->v.s.len;
    int other = resolves_to_other(s, len);

    if (d->tag != NULL) {
        int r = dbuf_printf(em->out, "%s ", d->tag);
        if (r != 0)
            return r;
        other = 0;
    }
    if (!is_key && literal_allowed(s, len) && d->style != DOC_STYLE_DOUBLE)
        return emit_literal(em, s, len, level);
    if (has_control(s, len, 0) || memchr(s, '\n', len) != NULL)
        return emit_double(em, s, len);
    if (d->style == DOC_STYLE_SINGLE)
        return emit_single(em, s, len);
    if (d->style == DOC_STYLE_DOUBLE || other)
        return emit_double(em, s, len);
    if (plain_allowed(s, len, is_key))
        return dbuf_add(em->out, s, len);
    return emit_single(em, s, len);
}

static int emit_scalar(struct emitter *em, const struct doc *d, int level, int is_key)
{
    char buf[400];

    switch (d->type) {
    case DOC_NULL:
        return dbuf_adds(em->out, "null");
    case DOC_BOOL:
        return dbuf_adds(em->out, d->v.b ? "true" : "false");
    case DOC_INT:
        return dbuf_printf(em->out, "%" PRId64, d->v.i);
    case DOC_UINT:
        return dbuf_printf(em->out, "%" PRIu64, d->v.u);
    case DOC_FLOAT:
        if (isnan(d->v.f))
            return dbuf_adds(em->out, ".nan");
        if (isinf(d->v.f))
            return dbuf_adds(em->out, d->v.f > 0 ? ".inf" : "-.inf");
        doc_format_float(d->v.f, buf, sizeof(buf));
        if (!(em->flags & DOC_EMIT_GO_FLOATS) && strpbrk(buf, ".e") == NULL)
            strncat(buf, ".0", sizeof(buf) - strlen(buf) - 1);
        return dbuf_adds(em->out, buf);
    case DOC_STR:
        return emit_string(em, d, level, is_key);
    default:
        return VALS_EINTERNAL;
    }
}

static int is_empty_container(const struct doc *d)
{
    if (d->type == DOC_MAP) {
        for (size_t i = 0; i < d->v.map.len; i++)
            if (d->v.map.items[i].key->type != DOC_COMMENT)
                return 0;
        return 1;
    }
    if (d->type == DOC_LIST) {
        for (size_t i = 0; i < d->v.list.len; i++)
            if (d->v.list.items[i]->type != DOC_COMMENT)
                return 0;
        return 1;
    }
    return 0;
}

static int emit_comment(struct emitter *em, const struct doc *c, int col)
{
    int r;

    if (em->flags & DOC_EMIT_NO_COMMENTS)
        return 0;
    r = pad(em, col);
    if (r == 0)
        r = dbuf_addc(em->out, '#');
    if (r == 0)
        r = dbuf_add(em->out, c->v.s.ptr, c->v.s.len);
    return r != 0 ? r : dbuf_addc(em->out, '\n');
}

/*
 * Emit the entries of a map at column level*indent.  When `inline_pos` is set the first
 * entry continues the current line (after "- ").
 */
static int emit_map(struct emitter *em, const struct doc *d, int level, int inline_pos)
{
    int r = 0;

    for (size_t i = 0; i < d->v.map.len && r == 0; i++) {
        const struct doc_pair *p = &d->v.map.items[i];
        int col = level * em->indent;
        if (p->key->type == DOC_COMMENT) {
            if (em->flags & DOC_EMIT_NO_COMMENTS)
                continue;
            /* a comment right after "- " ends that line; the next entry starts afresh */
            r = emit_comment(em, p->key, inline_pos ? 0 : col);
            inline_pos = 0;
            continue;
        }
        if (!inline_pos)
            r = pad(em, col);
        inline_pos = 0;
        if (r == 0)
            r = emit_scalar(em, p->key, level, 1);
        if (r == 0)
            r = dbuf_addc(em->out, ':');
        if (r != 0)
            break;
        if ((p->val->type == DOC_MAP || p->val->type == DOC_LIST) && !is_empty_container(p->val)) {
            r = dbuf_addc(em->out, '\n');
            if (r == 0)
                r = emit_node(em, p->val, level + 1, 0);
        } else {
            r = dbuf_addc(em->out, ' ');
            if (r == 0)
                r = emit_node(em, p->val, level, 0);
        }
    }
    return r;
}

static int emit_list(struct emitter *em, const struct doc *d, int level)
{
    int r = 0;

    for (size_t i = 0; i < d->v.list.len && r == 0; i++) {
        const struct doc *it = d->v.list.items[i];
        if (it->type == DOC_COMMENT) {
            r = emit_comment(em, it, level * em->indent);
            continue;
        }
        r = pad(em, level * em->indent);
        if (r == 0)
            r = dbuf_adds(em->out, "- ");
        if (r != 0)
            break;
        if (it->type == DOC_MAP && !is_empty_container(it)) {
            /* the map's entries continue after "- ", aligned one level deeper */
            r = emit_map(em, it, level + 1, 1);
        } else if (it->type == DOC_LIST && !is_empty_container(it)) {
            r = dbuf_addc(em->out, '\n');
            if (r == 0)
                r = emit_list(em, it, level + 1);
        } else {
            r = emit_node(em, it, level, 0);
        }
    }
    return r;
}

static int emit_node(struct emitter *em, const struct doc *d, int level, int inline_pos)
{
    int r;

    if (d->type == DOC_MAP) {
        if (is_empty_container(d))
            return dbuf_adds(em->out, "{}\n");
        return emit_map(em, d, level, inline_pos);
    }
    if (d->type == DOC_LIST) {
        if (is_empty_container(d))
            return dbuf_adds(em->out, "[]\n");
        return emit_list(em, d, level);
    }
    r = emit_scalar(em, d, level, 0);
    if (r == 0 && !(d->type == DOC_STR && em->out->len > 0 && em->out->p[em->out->len - 1] == '\n'))
        r = dbuf_addc(em->out, '\n');
    return r;
}

int doc_emit_yaml(const struct doc *d, struct dbuf *out, int flags)
{
    struct emitter em = {out, flags, (flags & DOC_EMIT_INDENT4) ? 4 : 2};

    return emit_node(&em, d, 0, 0);
}

int doc_emit_yaml_stream(const struct doc_stream *s, struct dbuf *out, int flags)
{
    int r = 0;

    for (size_t i = 0; i < s->len && r == 0; i++) {
        if (i > 0)
            r = dbuf_adds(out, "---\n");
        if (r == 0)
            r = doc_emit_yaml(s->docs[i], out, flags);
    }
    return r;
}
