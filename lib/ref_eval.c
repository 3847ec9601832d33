/*
 * ref_eval.c - evaluating refs in strings and documents (vals' InString / InValue modes,
 * nested refs, document walks) on top of a caller-supplied lookup (see ref.h).
 */
#include <stdlib.h>
#include <string.h>

#include "dbuf.h"
#include "ref.h"

#define REF_MAX_OCCURRENCES 4096

static int excluded(const struct ref_eval *ev, int secret)
{
    return secret ? ev->skip_secretref : ev->skip_ref;
}

static int is_separator(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '"' || c == ',';
}

/* Positions of "ref+" / "secretref+" prefixes (a "ref+" inside "secretref+" is not
 * separate). Returns the count, at most max. */
static size_t prefixes(const char *s, size_t len, size_t *pos, int *secret, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i + 4 <= len && n < max; i++) {
        if (len - i >= 10 && memcmp(s + i, "secretref+", 10) == 0) {
            pos[n] = i;
            secret[n++] = 1;
            i += 9;
        } else if (memcmp(s + i, "ref+", 4) == 0) {
            pos[n] = i;
            secret[n++] = 0;
            i += 3;
        }
    }
    return n;
}

/* Short printable name of a ref for messages: the body, cut. */
static void ref_name(const char *s, size_t len, char *buf, size_t bl)
{
    size_t n = len < bl - 1 ? len : bl - 1;

    memcpy(buf, s, n);
    buf[n] = '\0';
}

int ref_resolve_nested(const struct ref_eval *ev, const char *s, size_t len, char **out,
                       size_t *outlen, struct verr *e)
{
    struct dbuf cur = DBUF_INIT, next = DBUF_INIT;
    size_t *pos = NULL;
    int *secret = NULL;
    int rc = 0, rounds = 0;

    *out = NULL;
    pos = malloc(REF_MAX_OCCURRENCES * sizeof(*pos));
    secret = malloc(REF_MAX_OCCURRENCES * sizeof(*secret));
    if (pos == NULL || secret == NULL || dbuf_add(&cur, s, len) != 0) {
        rc = VALS_ENOMEM;
        goto out;
    }
    for (;;) {
        size_t n = prefixes(cur.p, cur.len, pos, secret, REF_MAX_OCCURRENCES);
        struct ref_match m;
        struct doc *val = NULL;
        long inner = -1;

        for (size_t b = n; b-- > 1;) {
            int nested = 1;
            for (size_t i = pos[b - 1]; i < pos[b]; i++)
                if (is_separator(cur.p[i])) {
                    nested = 0;
                    break;
                }
            if (!nested || excluded(ev, secret[b]))
                continue;
            if (!ref_find(cur.p, cur.len, pos[b], &m) || m.start != pos[b])
                continue;
            inner = (long)b;
            break;
        }
        if (inner < 0)
            break;
        if (++rounds > REF_MAX_NESTING) {
            rc = verr_set(e, VALS_EBAD_REF, "maximum nesting depth (%d) exceeded", REF_MAX_NESTING);
            goto out;
        }
        rc =
            ev->lookup(ev->ctx, cur.p + m.body_start, m.body_end - m.body_start, m.secret, &val, e);
        if (rc != 0)
            goto out;
        if (val->type == DOC_NULL || val->type == DOC_MAP || val->type == DOC_LIST) {
            char name[200];
            ref_name(cur.p + m.body_start, m.body_end - m.body_start, name, sizeof(name));
            rc = val->type == DOC_NULL
                     ? verr_set(e, VALS_ETYPE, "nested ref %s resolved to nil", name)
                     : verr_set(e, VALS_ETYPE,
                                "nested ref %s resolved to a %s: nested refs must resolve to "
                                "scalar values",
                                name, doc_type_name((enum doc_type)val->type));
            doc_free(val);
            goto out;
        }
        dbuf_reset(&next);
        rc = dbuf_add(&next, cur.p, m.start);
        if (rc == 0)
            rc = doc_format_gov(val, &next);
        if (rc == 0)
            rc = dbuf_add(&next, cur.p + m.end, cur.len - m.end);
        doc_free(val);
        if (rc != 0)
            goto out;
        {
            struct dbuf t = cur;
            cur = next;
            next = t;
        }
    }
    if ((*out = dbuf_take(&cur, outlen)) == NULL)
        rc = VALS_ENOMEM;
out:
    dbuf_free(&cur);
    dbuf_free(&next);
    free(pos);
    free(secret);
    return rc;
}

/* InString on an already nested-resolved text. */
static int expand_flat(const struct ref_eval *ev, const char *s, size_t len, struct doc **out,
                       struct verr *e)
{
    struct dbuf b = DBUF_INIT;
    struct ref_match m;
    size_t from = 0;
    int rc = 0, pending = 0;

    while (ref_find(s, len, from, &m)) {
        struct doc *val = NULL;
        int r;
        if ((rc = dbuf_add(&b, s + from, m.start - from)) != 0)
            goto out;
        if (excluded(ev, m.secret)) {
            /* vals copies the rest verbatim after an excluded ref (its FIXME) */
            from = m.start;
            break;
        }
        r = ev->lookup(ev->ctx, s + m.body_start, m.body_end - m.body_start, m.secret, &val, e);
        if (r == VALS_EPENDING) {
            pending = 1;
        } else if (r != 0) {
            rc = r;
            goto out;
        } else {
            rc = doc_format_gov(val, &b);
            doc_free(val);
            if (rc != 0)
                goto out;
        }
        from = m.end;
    }
    if ((rc = dbuf_add(&b, s + from, len - from)) != 0)
        goto out;
    if (pending) {
        rc = VALS_EPENDING;
        goto out;
    }
    if ((*out = doc_str(b.p, b.len)) == NULL)
        rc = VALS_ENOMEM;
out:
    dbuf_free(&b);
    return rc;
}

int ref_expand_string(const struct ref_eval *ev, const char *s, size_t len, struct doc **out,
                      struct verr *e)
{
    char *flat = NULL;
    size_t flen = 0;
    int rc;

    *out = NULL;
    if ((rc = ref_resolve_nested(ev, s, len, &flat, &flen, e)) != 0)
        return rc;
    rc = expand_flat(ev, flat, flen, out, e);
    secure_free(flat, flen);
    return rc;
}

int ref_eval_value(const struct ref_eval *ev, const char *s, size_t len, struct doc **out,
                   struct verr *e)
{
    struct ref_match m;
    char *flat = NULL;
    size_t flen = 0;
    int rc;

    *out = NULL;
    if (!ref_find(s, len, 0, &m))
        return (*out = doc_str(s, len)) != NULL ? 0 : VALS_ENOMEM;
    if ((rc = ref_resolve_nested(ev, s, len, &flat, &flen, e)) != 0)
        return rc;
    if (ref_find(flat, flen, 0, &m) && m.start == 0 && m.end == flen) {
        if (excluded(ev, m.secret))
            rc = (*out = doc_str(s, len)) != NULL ? 0 : VALS_ENOMEM;
        else
            rc = ev->lookup(ev->ctx, flat + m.body_start, m.body_end - m.body_start, m.secret, out,
                            e);
    } else {
        rc = expand_flat(ev, flat, flen, out, e);
    }
    secure_free(flat, flen);
    return rc;
}

/* A string that may be a standalone ref: it starts with a ref prefix and has no space or
 * newline (a ref ends at either). */
static int standalone_candidate(const char *s, size_t len)
{
    if (!((len >= 4 && memcmp(s, "ref+", 4) == 0) ||
          (len >= 10 && memcmp(s, "secretref+", 10) == 0)))
        return 0;
    return memchr(s, ' ', len) == NULL && memchr(s, '\n', len) == NULL;
}

static int eval_node(const struct ref_eval *ev, const struct doc *in, struct doc **out,
                     int *pending, struct verr *e);

/* Evaluate one string leaf. */
static int eval_string(const struct ref_eval *ev, const struct doc *in, struct doc **out,
                       struct verr *e)
{
    const char *s = in->v.s.ptr;
    size_t len = in->v.s.len;
    struct ref_match m;
    int rc;

    if (!ref_find(s, len, 0, &m))
        return (*out = doc_copy(in)) != NULL ? 0 : VALS_ENOMEM;
    if (ev->inline_refs)
        return ref_eval_value(ev, s, len, out, e);
    if (!standalone_candidate(s, len))
        return (*out = doc_copy(in)) != NULL ? 0 : VALS_ENOMEM;
    {
        char *flat = NULL;
        size_t flen = 0;
        if ((rc = ref_resolve_nested(ev, s, len, &flat, &flen, e)) != 0)
            return rc;
        if (ref_find(flat, flen, 0, &m) && m.start == 0 && m.end == flen && !excluded(ev, m.secret))
            rc = ev->lookup(ev->ctx, flat + m.body_start, m.body_end - m.body_start, m.secret, out,
                            e);
        else
            rc = (*out = doc_copy(in)) != NULL ? 0 : VALS_ENOMEM;
        secure_free(flat, flen);
    }
    return rc;
}

static int eval_node(const struct ref_eval *ev, const struct doc *in, struct doc **out,
                     int *pending, struct verr *e)
{
    struct doc *d = NULL, *v = NULL;
    int rc = 0;

    *out = NULL;
    switch (in->type) {
    case DOC_STR:
        rc = eval_string(ev, in, out, e);
        if (rc == VALS_EPENDING) {
            *pending = 1;
            rc = 0;
            *out = NULL;
        }
        return rc;
    case DOC_LIST:
        if ((d = doc_list()) == NULL)
            return VALS_ENOMEM;
        d->style = in->style;
        d->line = in->line;
        for (size_t i = 0; i < in->v.list.len; i++) {
            if ((rc = eval_node(ev, in->v.list.items[i], &v, pending, e)) != 0)
                goto fail;
            if (v == NULL) /* pending: keep a placeholder so the shape stays */
                v = doc_null();
            if ((rc = doc_list_push(d, v)) != 0)
                goto fail;
        }
        break;
    case DOC_MAP:
        if ((d = doc_map()) == NULL)
            return VALS_ENOMEM;
        d->style = in->style;
        d->line = in->line;
        for (size_t i = 0; i < in->v.map.len; i++) {
            const struct doc_pair *p = &in->v.map.items[i];
            v = NULL;
            if (p->val != NULL) {
                if ((rc = eval_node(ev, p->val, &v, pending, e)) != 0)
                    goto fail;
                if (v == NULL)
                    v = doc_null();
                if (v == NULL) {
                    rc = VALS_ENOMEM;
                    goto fail;
                }
            }
            if ((rc = doc_map_append(d, doc_copy(p->key), v)) != 0)
                goto fail;
        }
        break;
    default:
        return (*out = doc_copy(in)) != NULL ? 0 : VALS_ENOMEM;
    }
    *out = d;
    return 0;
fail:
    doc_free(d);
    return rc;
}

int ref_eval_doc(const struct ref_eval *ev, const struct doc *in, struct doc **out, struct verr *e)
{
    int pending = 0;
    int rc = eval_node(ev, in, out, &pending, e);

    if (rc == 0 && pending) {
        doc_free(*out);
        *out = NULL;
        return VALS_EPENDING;
    }
    if (rc == 0 && *out == NULL)
        return VALS_EPENDING;
    return rc;
}
