/*
 * ref.h - the `ref+BACKEND://...` reference grammar of helmfile/vals (reference/vals.md §1)
 * plus valsd's extensions (DESIGN.md §4).
 *
 * Detection follows vals' regex exactly:
 *     ((secret)?ref)\+([^\+:]*:\/\/[^\+\n ]+[^\+\n ",])\+?
 * (leftmost match, at least two characters after "://", an optional trailing '+' that is
 * consumed).  Parsing follows Go's net/url as vals uses it: scheme lower-cased, userinfo
 * dropped, host and port checked, path and fragment percent-decoded, query pairs decoded
 * (malformed pairs dropped), the ARN special case.  Extensions: "#frag?query" is read as
 * "?query#frag"; fragments may index lists by number and fall back from "a.b" to "a/b".
 */
#ifndef VALS_REF_H
#define VALS_REF_H

#include <stddef.h>

#include "doc.h"
#include "verr.h"

#define REF_MAX_LEN     8192 /* longest ref body accepted */
#define REF_MAX_NESTING 10   /* nested ref rounds, as vals */
#define REF_MAX_PARAMS  64   /* query parameters */

/* One occurrence of a ref in a text. Offsets are into the searched text. */
struct ref_match {
    size_t start;      /* of "ref+" / "secretref+" */
    size_t body_start; /* after the '+' of the prefix */
    size_t body_end;   /* end of the body (excludes a trailing '+') */
    size_t end;        /* end of the match (includes a trailing '+') */
    int secret;        /* kind is secretref */
};

/* Find the leftmost ref in s[from..len). Returns 1 and fills m, or 0. */
int ref_find(const char *s, size_t len, size_t from, struct ref_match *m);

struct ref_param {
    char *name;
    char *value;
};

/* A parsed ref body ("vault://srv/foo?x=1#/k"). All strings are NUL-terminated. */
struct ref {
    char *body;     /* the body as written (no "ref+" prefix, no trailing '+') */
    char *scheme;   /* lower-cased */
    char *host;     /* as written (no escapes allowed), may be "" */
    char *path;     /* percent-decoded, may be "" */
    char *key;      /* backend key: host + "/" + path without its leading '/' */
    char *fragment; /* decoded, one leading '/' removed; NULL in string mode (absent/empty) */
    struct ref_param *params; /* query parameters in order (duplicates kept) */
    size_t nparams;
    char *query; /* canonical query: sorted by name, values escaped; "" when none */
};

/* Parse a ref body. Errors (VALS_EBAD_REF) read like vals':
 * `parse "vault://x": invalid URL escape "%zz"`. */
int ref_parse(const char *body, size_t len, struct ref *r, struct verr *e);
void ref_free(struct ref *r);
/* First value of a query parameter, or NULL. */
const char *ref_param(const struct ref *r, const char *name);
/* Whether a query parameter is present (possibly with an empty value). */
int ref_has_param(const struct ref *r, const char *name);

/*
 * Select `fragment` inside `root` (document mode).  Segments are separated by '/'; a
 * number indexes a list; a segment "a.b" that names no key literally is tried as "a/b".
 * On success *out points into root (borrowed).  A missing key is VALS_EMISSING_KEY with
 * a message naming `refname` and the key; walking into a scalar is VALS_ETYPE.
 */
int ref_walk(const struct doc *root, const char *fragment, const char *refname,
             const struct doc **out, struct verr *e);

/*
 * Evaluation.  The lookup callback resolves one ref body (the text after "ref+", without
 * a trailing '+') to a new document owned by the caller.  It may return VALS_EPENDING to
 * say "not available yet": evaluation then goes on collecting the other refs it can see
 * and finally returns VALS_EPENDING, so an asynchronous caller can fetch them all at once
 * and evaluate again.
 */
typedef int (*ref_lookup_fn)(void *ctx, const char *body, size_t len, int secret, struct doc **out,
                             struct verr *e);

struct ref_eval {
    ref_lookup_fn lookup;
    void *ctx;
    int skip_ref;       /* leave "ref+" refs alone (vals' only=secretref) */
    int skip_secretref; /* leave "secretref+" refs alone (vals -exclude-secret) */
    int inline_refs;    /* documents: also expand refs inside larger strings */
};

/* Resolve nested refs (the inner ones) in s; *out is the rewritten string (malloc'ed). */
int ref_resolve_nested(const struct ref_eval *ev, const char *s, size_t len, char **out,
                       size_t *outlen, struct verr *e);
/* vals' InString: every ref in s replaced by its value's Go %v text. *out is a DOC_STR. */
int ref_expand_string(const struct ref_eval *ev, const char *s, size_t len, struct doc **out,
                      struct verr *e);
/* vals' InValue: a string that is exactly one ref becomes the value with its own type;
 * otherwise InString.  *out is new.  Strings without refs are copied unchanged. */
int ref_eval_value(const struct ref_eval *ev, const char *s, size_t len, struct doc **out,
                   struct verr *e);
/* Evaluate a document: standalone refs (and with inline_refs, embedded ones) resolved,
 * key order, comments and non-ref values kept.  *out is a new document. */
int ref_eval_doc(const struct ref_eval *ev, const struct doc *in, struct doc **out, struct verr *e);
/* Does this string contain a ref at all? */
int ref_contains(const char *s, size_t len);

#endif
