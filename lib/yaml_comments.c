/*
 * yaml_comments.c - the comment layer libyaml lacks (see doc_yaml.h).
 *
 * One pass over the source finds whole-line comments ("   # text"); the reader then
 * places them in front of the node that follows them, inside the container being read.
 * Comments that trail a scalar on its line ("key: v # x", "- v # x", "key: # x" before a
 * block, "key: | # x") are found from the scalar's end mark by yaml_comments_trailing() and
 * become DOC_STYLE_INLINE (after a value) or plain comment items, as go-yaml and sops keep
 * them.  Comments inside flow collections that trail an item are dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "doc_yaml.h"

void yaml_comments_init(struct yaml_comments *c, const char *src, size_t len)
{
    size_t line = 0, i = 0, cap = 0;

    memset(c, 0, sizeof(*c));
    c->src = src;
    while (i < len) {
        size_t start = i, j = i;
        while (j < len && (src[j] == ' ' || src[j] == '\t'))
            j++;
        while (i < len && src[i] != '\n')
            i++;
        if (j < len && src[j] == '#') {
            size_t end = i;
            if (end > j && src[end - 1] == '\r')
                end--;
            if (c->len == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct yaml_comment_line *p = realloc(c->lines, ncap * sizeof(*p));
                if (p == NULL)
                    break; /* comments are best effort on OOM; data is unaffected */
                c->lines = p;
                cap = ncap;
            }
            c->lines[c->len].line = line;
            c->lines[c->len].col = j - start + 1;
            c->lines[c->len].off = j + 1;
            c->lines[c->len].len = end - (j + 1);
            c->len++;
        }
        if (i < len)
            i++;
        line++;
    }
}

void yaml_comments_free(struct yaml_comments *c)
{
    free(c->lines);
    memset(c, 0, sizeof(*c));
}

void yaml_comments_skip(struct yaml_comments *c, size_t from, size_t to)
{
    size_t w = c->next;

    for (size_t i = c->next; i < c->len; i++)
        if (c->lines[i].line < from || c->lines[i].line >= to)
            c->lines[w++] = c->lines[i];
    c->len = w;
}

int yaml_comments_before(struct yaml_comments *c, size_t line, size_t min_col,
                         struct doc *container)
{
    while (c->next < c->len && c->lines[c->next].line < line && c->lines[c->next].col >= min_col) {
        const struct yaml_comment_line *l = &c->lines[c->next++];
        struct doc *cm;
        int r;

        if (container == NULL)
            continue;
        cm = doc_comment(c->src + l->off, l->len);
        if (cm == NULL)
            return VALS_ENOMEM;
        cm->line = (uint32_t)l->line + 1;
        if (container->type == DOC_MAP)
            r = doc_map_append(container, cm, NULL);
        else if (container->type == DOC_LIST)
            r = doc_list_push(container, cm);
        else {
            doc_free(cm);
            r = 0;
        }
        if (r != 0)
            return r;
    }
    return 0;
}

/* Position just after blanks (space, tab) starting at `i`. */
static size_t skip_blanks(const char *src, size_t len, size_t i)
{
    while (i < len && (src[i] == ' ' || src[i] == '\t'))
        i++;
    return i;
}

int yaml_comments_trailing(const struct yaml_comments *c, size_t srclen, size_t from, int what,
                           size_t *off, size_t *len)
{
    const char *src = c->src;
    size_t i = from, j;

    if (src == NULL || from > srclen)
        return 0;
    if (what == YAML_TRAIL_BLOCK_HEADER) {
        /* "|" or ">" then chomping / indentation indicators */
        if (i < srclen && (src[i] == '|' || src[i] == '>'))
            i++;
        while (i < srclen && (src[i] == '-' || src[i] == '+' || (src[i] >= '1' && src[i] <= '9')))
            i++;
    }
    j = skip_blanks(src, srclen, i);
    if (what == YAML_TRAIL_KEY) {
        if (j >= srclen || src[j] != ':')
            return 0;
        i = j + 1;
        j = skip_blanks(src, srclen, i);
    }
    if (j >= srclen || src[j] != '#' || j == i)
        return 0; /* a comment needs a blank before its '#' */
    *off = j + 1;
    for (i = j + 1; i < srclen && src[i] != '\n'; i++)
        ;
    if (i > j + 1 && src[i - 1] == '\r')
        i--;
    *len = i - (j + 1);
    return 1;
}
