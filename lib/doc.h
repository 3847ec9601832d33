/*
 * doc.h - the one document model for YAML, JSON and msgpack.
 *
 * A document is a tree of `struct doc` nodes.  Maps keep their key order (they are
 * arrays of pairs, duplicates are rejected by the parsers), scalars keep their type
 * (null, bool, int, uint for values above INT64_MAX, float, string).  YAML timestamps are
 * strings.  Strings are byte strings with an explicit length and a terminating NUL.
 *
 * Comments (needed to round-trip SOPS files) are DOC_COMMENT nodes: inside a map they are
 * pairs whose key is the comment node and whose value is NULL; inside a list they are
 * items.  Code that only wants data skips them (doc_map_get and the iterators do).
 *
 * Ownership: a node owns its children.  Container setters take ownership of the nodes
 * passed in, also on failure (they free them), so callers never leak on the error path.
 * doc_free() zeroes every string before freeing it, because documents carry secrets.
 */
#ifndef VALS_DOC_H
#define VALS_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "dbuf.h"
#include "verr.h"

enum doc_type {
    DOC_NULL,
    DOC_BOOL,
    DOC_INT,
    DOC_UINT,
    DOC_FLOAT,
    DOC_STR,
    DOC_LIST,
    DOC_MAP,
    DOC_COMMENT,
};

/* How a YAML scalar was written; the emitter reuses it when it is still valid. */
enum doc_style {
    DOC_STYLE_ANY,
    DOC_STYLE_PLAIN,
    DOC_STYLE_SINGLE,
    DOC_STYLE_DOUBLE,
    DOC_STYLE_LITERAL,
    DOC_STYLE_FOLDED,
    DOC_STYLE_FLOW,   /* containers written as [..] / {..} */
    DOC_STYLE_INLINE, /* a comment that stood after a value on its line ("a: 1 # c") */
};

struct doc_pair;

struct doc {
    uint8_t type;  /* enum doc_type */
    uint8_t style; /* enum doc_style (YAML input only) */
    uint32_t line; /* 1-based source line, 0 when unknown */
    uint32_t col;  /* 1-based source column, 0 when unknown */
    char *tag;     /* explicit YAML tag as written ("!!binary", "!secret"), or NULL */
    union {
        int b;
        int64_t i;
        uint64_t u;
        double f;
        struct {
            char *ptr; /* NUL-terminated; also the comment text (without '#') */
            size_t len;
        } s;
        struct {
            struct doc **items;
            size_t len, cap;
        } list;
        struct {
            struct doc_pair *items;
            size_t len, cap;
        } map;
    } v;
};

struct doc_pair {
    struct doc *key; /* a scalar, or a DOC_COMMENT node */
    struct doc *val; /* NULL for comment pairs */
};

/* A multi-document YAML stream (or several JSON values). */
struct doc_stream {
    struct doc **docs;
    size_t len, cap;
};

/* --- construction (NULL on out-of-memory) --- */
struct doc *doc_new(enum doc_type type);
struct doc *doc_null(void);
struct doc *doc_bool(int b);
struct doc *doc_int(int64_t i);
struct doc *doc_uint(uint64_t u);
struct doc *doc_float(double f);
struct doc *doc_str(const char *s, size_t len);
struct doc *doc_strz(const char *s);
struct doc *doc_comment(const char *s, size_t len);
struct doc *doc_list(void);
struct doc *doc_map(void);

/* Append an item (takes ownership, also on failure). 0 or VALS_ENOMEM. */
int doc_list_push(struct doc *list, struct doc *item);
/* Append a pair without checking for an existing key (takes ownership). */
int doc_map_append(struct doc *map, struct doc *key, struct doc *val);
/* Set key (a C string) to val, replacing an existing value in place (takes val). */
int doc_map_set(struct doc *map, const char *key, struct doc *val);
/* Look up a string key (comment pairs are skipped). NULL when absent. */
struct doc *doc_map_get(const struct doc *map, const char *key, size_t keylen);
struct doc *doc_map_getz(const struct doc *map, const char *key);
/* Remove a key; returns 1 when something was removed. */
int doc_map_del(struct doc *map, const char *key);
/* Replace the text of a node (copies; zeroes the old text): a comment stays a comment,
 * anything else becomes a string with no particular quoting style. */
int doc_str_set(struct doc *d, const char *s, size_t len);

void doc_free(struct doc *d);
struct doc *doc_copy(const struct doc *d);
/* Deep equality of data (comments, styles and tags are ignored). */
int doc_equal(const struct doc *a, const struct doc *b);
const char *doc_type_name(enum doc_type t);
/* A scalar key's text for comparisons: strings as is, other scalars formatted like Go's
 * %v.  Writes into `tmp` when needed. */
const char *doc_key_text(const struct doc *key, char *tmp, size_t tmplen, size_t *len);

/* A hash index of a map's keys, for readers that build large maps and must look up every
 * new key (duplicate checks) without a quadratic scan.  Comment pairs are not indexed. */
struct doc_keyindex {
    size_t *slots; /* pair index + 1; 0 = empty */
    size_t cap;
    size_t count;
};
void doc_keyindex_free(struct doc_keyindex *ix);
/* The pair index of this key text in `map`, or -1. */
long doc_keyindex_find(const struct doc_keyindex *ix, const struct doc *map, const char *key,
                       size_t len);
/* Index pair `i` of `map` (call after appending it). 0 or VALS_ENOMEM. */
int doc_keyindex_add(struct doc_keyindex *ix, const struct doc *map, size_t i);

/* Indexes of a map's data (non-comment) pairs, in source order or sorted by key text
 * (Go's order for printing maps).  malloc'ed; NULL on out-of-memory. */
size_t *doc_map_order(const struct doc *d, int sorted, size_t *n);
/* Format a scalar like Go's fmt %v ("true", "42", "1.5", "<nil>", strings as is; maps and
 * lists as map[k:v] / [a b]).  Appends to `out`. */
int doc_format_gov(const struct doc *d, struct dbuf *out);
/* Shortest text that reads back as the same double, like Go's %v / strconv 'g' with
 * precision -1 ("1e+06", "0.1", "NaN", "+Inf"). */
int doc_format_float(double f, char *buf, size_t len);
/* The same digits never in exponent form (strconv 'f', -1): what SOPS encrypts. */
int doc_format_float_fixed(double f, char *buf, size_t len);
/* encoding/json's choice: exponent only below 1e-6 or from 1e21 ("1e-07", "1e+21"). */
int doc_format_float_json(double f, char *buf, size_t len);

void doc_stream_free(struct doc_stream *s);
int doc_stream_push(struct doc_stream *s, struct doc *d);

/* --- YAML (libyaml) --- */
#define DOC_YAML_COMMENTS   0x1 /* keep comments as DOC_COMMENT nodes */
#define DOC_YAML_KEEP_MERGE 0x2 /* keep "<<" as an ordinary key (go-yaml's node tree, sops) */
#define DOC_YAML_MAX_DEPTH  256

/* Parse a YAML stream. Errors name `name` (a file name or "<stdin>"), line and column. */
int doc_parse_yaml(const char *buf, size_t len, const char *name, int flags, struct doc_stream *out,
                   struct verr *e);
/* Emit one document as YAML (2-space indent, block style, key order kept) in go-yaml v3's
 * layout, comments as head / line / foot comments where sops puts them (doc_yaml_emit.c). */
#define DOC_EMIT_NO_COMMENTS 0x1
#define DOC_EMIT_INDENT4     0x2 /* 4 spaces per level (go-yaml v3's default, what sops writes) */
#define DOC_EMIT_GO_FLOATS   0x4 /* integral floats as "1" like go-yaml, not "1.0" */
/* Scalar styles as go-yaml picks them for a freshly encoded value (what sops writes): the
 * source's quoting and tags are not kept; plain timestamps are written in RFC 3339. */
#define DOC_EMIT_GO_STYLE 0x8
/* Any indent from 2 to 9 (overrides DOC_EMIT_INDENT4). */
#define DOC_EMIT_INDENT(n) (((n)&0xf) << 8)
int doc_emit_yaml(const struct doc *d, struct dbuf *out, int flags);
/* Emit a stream; documents separated by "---" lines. */
int doc_emit_yaml_stream(const struct doc_stream *s, struct dbuf *out, int flags);

/* --- JSON --- */
#define DOC_JSON_MAX_DEPTH 256
/* Parse one JSON value (whitespace around it allowed). */
int doc_parse_json(const char *buf, size_t len, const char *name, struct doc **out, struct verr *e);
#define DOC_JSON_PRETTY    0x1 /* 2-space indented, like json.MarshalIndent(v, "", "  ") */
#define DOC_JSON_ASCII     0x2 /* escape non-ASCII as \uXXXX */
#define DOC_JSON_NOHTML    0x4 /* do not escape <, >, & (Go escapes them by default) */
#define DOC_JSON_SORT_KEYS 0x8 /* sort map keys (Go's json.Marshal of a map) */
/* VALS_ETYPE for NaN/Inf floats, which JSON cannot carry. */
int doc_emit_json(const struct doc *d, struct dbuf *out, int flags);
/* Indented like json.MarshalIndent(v, "", unit) (e.g. "\t", or some spaces). */
int doc_emit_json_indent(const struct doc *d, struct dbuf *out, int flags, const char *unit);
/* Append s as a JSON string literal. */
int doc_json_quote(const char *s, size_t len, struct dbuf *out, int flags);

#endif
