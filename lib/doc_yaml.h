/*
 * doc_yaml.h - internals shared by the YAML reader, its comment layer and the emitter.
 *
 * libyaml reports no comments, so the comment layer scans the source for whole-line
 * comments once and hands them out in order: before each node of a container, every
 * pending comment that starts on an earlier line becomes a DOC_COMMENT item of that
 * container.  Lines inside block scalars are never comments.
 */
#ifndef VALS_DOC_YAML_H
#define VALS_DOC_YAML_H

#include <stddef.h>
#include <yaml.h>

#include "doc.h"

struct yaml_comment_line {
    size_t line; /* 0-based */
    size_t col;  /* 1-based column of the '#' */
    size_t off;  /* offset of the text after '#' */
    size_t len;  /* length of that text (to end of line, CR excluded) */
};

struct yaml_comments {
    struct yaml_comment_line *lines;
    size_t len, next;
    const char *src;
};

void yaml_comments_init(struct yaml_comments *c, const char *src, size_t len);
void yaml_comments_free(struct yaml_comments *c);
/* Drop pending comments on lines [from, to) (they are text of a block scalar). */
void yaml_comments_skip(struct yaml_comments *c, size_t from, size_t to);
/* Append to `container` (a map or list; may be NULL to drop) every pending comment that
 * starts before 0-based `line` and is indented at least to 1-based column `min_col` (0:
 * any).  At the end of a block container, comments indented less than its items are left
 * for the enclosing container. */
int yaml_comments_before(struct yaml_comments *c, size_t line, size_t min_col,
                         struct doc *container);

/* Type a plain scalar with the core schema: 1 and *out set when it is not a string,
 * 0 when it is a string, <0 on error. */
int yaml_resolve_plain(const char *s, size_t len, struct doc **out);

#endif
