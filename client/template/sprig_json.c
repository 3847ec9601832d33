/*
 * sprig_json.c - fromJson, toJson, toPrettyJson, toRawJson and their must* variants
 * (encoding/json semantics).
 *
 * Encoding sorts map keys, escapes <, > and & unless "raw", writes time.Time as RFC 3339
 * with nanoseconds and *semver.Version as its string, as Go's marshallers do.  Decoding
 * yields float64 for every number (json.Unmarshal into interface{}); a repeated key keeps
 * its last value.  The non-must variants turn errors into an empty result as Sprig does.
 */
#include "sprig_fns.h"

/* A copy of d ready for the JSON writer: Go's MarshalJSON results substituted. */
static struct doc *json_prepare(const struct doc *d)
{
    struct doc *c;

    if (d == NULL)
        return doc_null();
    if (sprig_is_time(d)) {
        struct sprig_time t;
        struct dbuf b = DBUF_INIT;
        static const char rfc3339nano[] = "2006-01-02T15:04:05.999999999Z07:00";
        if (sprig_time_from_doc(d, &t) != 0 ||
            sprig_time_format(&t, rfc3339nano, sizeof(rfc3339nano) - 1, &b) != 0) {
            dbuf_free(&b);
            return NULL;
        }
        c = doc_str(b.p != NULL ? b.p : "", b.len);
        dbuf_free(&b);
        return c;
    }
    if (d->type == DOC_MAP && sprig_tag_is(d, "*semver.Version")) {
        struct dbuf b = DBUF_INIT;
        if (sprig_format_value(d, &b) != 0) {
            dbuf_free(&b);
            return NULL;
        }
        c = doc_str(b.p != NULL ? b.p : "", b.len);
        dbuf_free(&b);
        return c;
    }
    if (d->type == DOC_LIST) {
        c = doc_list();
        for (size_t i = 0; c != NULL && i < d->v.list.len; i++) {
            if (d->v.list.items[i]->type == DOC_COMMENT)
                continue;
            if (doc_list_push(c, json_prepare(d->v.list.items[i])) != 0) {
                doc_free(c);
                c = NULL;
            }
        }
        return c;
    }
    if (d->type == DOC_MAP) {
        c = doc_map();
        for (size_t i = 0; c != NULL && i < d->v.map.len; i++) {
            const struct doc_pair *p = &d->v.map.items[i];
            if (p->key->type == DOC_COMMENT)
                continue;
            if (doc_map_append(c, doc_copy(p->key), json_prepare(p->val)) != 0) {
                doc_free(c);
                c = NULL;
            }
        }
        return c;
    }
    c = doc_copy(d);
    if (c != NULL) {
        free(c->tag);
        c->tag = NULL;
    }
    return c;
}

/* Marshal argv[0]; on failure either fail (must) or return "" (Sprig's non-must). */
static int to_json(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int flags,
                   int must)
{
    struct doc *c = json_prepare(argv[0]);
    struct dbuf b = DBUF_INIT;
    int r;

    if (c == NULL)
        return sprig_oom(call);
    r = doc_emit_json(c, &b, flags | DOC_JSON_SORT_KEYS);
    doc_free(c);
    if (r == VALS_ETYPE) {
        dbuf_free(&b);
        if (must)
            return tmpl_call_fail(call, "json: unsupported value: NaN or Inf");
        return sprig_ret_str(call, out, "", 0);
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_to_json)
{
    return to_json(call, argv, out, 0, 0);
}

SPRIG_FN(sprig_must_to_json)
{
    return to_json(call, argv, out, 0, 1);
}

SPRIG_FN(sprig_to_pretty_json)
{
    return to_json(call, argv, out, DOC_JSON_PRETTY, 0);
}

SPRIG_FN(sprig_must_to_pretty_json)
{
    return to_json(call, argv, out, DOC_JSON_PRETTY, 1);
}

SPRIG_FN(sprig_to_raw_json)
{
    return to_json(call, argv, out, DOC_JSON_NOHTML, 0);
}

SPRIG_FN(sprig_must_to_raw_json)
{
    return to_json(call, argv, out, DOC_JSON_NOHTML, 1);
}

/* json.Unmarshal into interface{}: every number is a float64. */
static void numbers_to_float(struct doc *d)
{
    if (d->type == DOC_INT) {
        double f = (double)d->v.i;
        d->type = DOC_FLOAT;
        d->v.f = f;
    } else if (d->type == DOC_UINT) {
        double f = (double)d->v.u;
        d->type = DOC_FLOAT;
        d->v.f = f;
    } else if (d->type == DOC_LIST) {
        for (size_t i = 0; i < d->v.list.len; i++)
            numbers_to_float(d->v.list.items[i]);
    } else if (d->type == DOC_MAP) {
        for (size_t i = 0; i < d->v.map.len; i++)
            if (d->v.map.items[i].val != NULL)
                numbers_to_float(d->v.map.items[i].val);
    }
}

static int from_json(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int must)
{
    struct sstr s;
    struct doc *d = NULL;
    struct verr e;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    verr_clear(&e);
    if (doc_parse_json(s.p, s.len, "json", &d, &e) != 0) {
        if (must)
            return tmpl_call_fail(call, "%s", verr_text(&e));
        return sprig_ret_doc(call, out, doc_null());
    }
    numbers_to_float(d);
    return sprig_ret_doc(call, out, d);
}

SPRIG_FN(sprig_from_json)
{
    return from_json(call, argv, out, 0);
}

SPRIG_FN(sprig_must_from_json)
{
    return from_json(call, argv, out, 1);
}
