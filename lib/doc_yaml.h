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

#define YAML_TRAIL_VALUE        0 /* after a scalar value: "v # c" */
#define YAML_TRAIL_KEY          1 /* after a key whose value is on later lines: "k: # c" */
#define YAML_TRAIL_BLOCK_HEADER 2 /* after a block scalar's header: "| # c" (from its start) */
/* A comment on the rest of the line from source offset `from`; 1 with the text's offset and
 * length (after '#', CR excluded), else 0. */
int yaml_comments_trailing(const struct yaml_comments *c, size_t srclen, size_t from, int what,
                           size_t *off, size_t *len);

/* --- yaml_resolve.c: go-yaml v3's typing of plain scalars --- */

/* Type a plain scalar as go-yaml v3 does: 1 and *out set when it is not a string (null,
 * bool, int, uint above INT64_MAX, float), 0 when it is a string (timestamps included),
 * <0 on error. */
int yaml_resolve_plain(const char *s, size_t len, struct doc **out);
/* A plain scalar that go-yaml reads as a timestamp (YYYY-M-D[Thh:mm:ss[.f](Z|+hh:mm)]). */
int yaml_plain_is_timestamp(const char *s, size_t len);
/* Whether a string must be quoted to stay a string: it would resolve to another type, is a
 * timestamp, a YAML 1.1 base-60 number (1:20) or a YAML 1.1 boolean (yes, off, ...). */
int yaml_needs_quotes(const char *s, size_t len);
int yaml_is_old_bool(const char *s, size_t len);
int yaml_is_base60_float(const char *s, size_t len);

/* A point in time as go-yaml / Go's time package read it. */
struct yaml_time {
    int year, mon, day, hour, min, sec;
    long nsec;
    int offset; /* minutes east of UTC */
};
/* go-yaml's timestamp forms; 1 when `s` is one. */
int yaml_timestamp_parse(const char *s, size_t len, struct yaml_time *t);
/* Go's time.RFC3339 layout ("2006-01-02T15:04:05Z07:00", fraction allowed); 1 on success. */
int yaml_rfc3339_parse(const char *s, size_t len, struct yaml_time *t);
/* Format as Go does: RFC 3339 with nanoseconds (trailing zeros dropped) when `nanos`, else
 * whole seconds; "Z" for a zero offset.  Returns snprintf's result. */
int yaml_time_format(const struct yaml_time *t, int nanos, char *buf, size_t len);

#endif
