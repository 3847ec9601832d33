/*
 * sprig_lists.c - list functions: list/tuple, append/push, prepend, first, rest, last,
 * initial, reverse, compact, uniq, without, has, slice, concat, chunk and their must*
 * variants.
 *
 * In Sprig the plain variants panic where the must* variants return an error; the
 * template engine turns either into the same error, so both share one implementation.
 * Results are new []interface{} lists holding copies of the items; equality (has, uniq,
 * without) is reflect.DeepEqual, types included.
 */
#include "sprig_fns.h"

/* Check that d is a slice; otherwise fail with `what` formatted with its kind. */
static int need_list(struct tmpl_call *call, const struct doc *d, const char *what)
{
    if (d == NULL || d->type == DOC_NULL)
        return tmpl_call_fail(call, "runtime error: invalid memory address or nil pointer "
                                    "dereference");
    if (d->type != DOC_LIST)
        return tmpl_call_fail(call, what, sprig_kind_name(d));
    return 0;
}

/* Number of data items (comments excluded) and the i-th of them. */
static size_t list_len(const struct doc *l)
{
    size_t n = 0;

    for (size_t i = 0; i < l->v.list.len; i++)
        n += l->v.list.items[i]->type != DOC_COMMENT;
    return n;
}

static const struct doc *list_at(const struct doc *l, size_t k)
{
    for (size_t i = 0; i < l->v.list.len; i++) {
        if (l->v.list.items[i]->type == DOC_COMMENT)
            continue;
        if (k-- == 0)
            return l->v.list.items[i];
    }
    return NULL;
}

/* Push a copy of d (nil when NULL); frees the list on failure. */
static int push_copy(struct doc **list, const struct doc *d)
{
    if (*list == NULL)
        return VALS_ENOMEM;
    if (doc_list_push(*list, d != NULL ? doc_copy(d) : doc_null()) != 0) {
        doc_free(*list);
        *list = NULL;
        return VALS_ENOMEM;
    }
    return 0;
}

/* A new list with items [from, to) of l. */
static struct doc *sub_list(const struct doc *l, size_t from, size_t to)
{
    struct doc *n = doc_list();

    for (size_t i = from; n != NULL && i < to; i++)
        push_copy(&n, list_at(l, i));
    return n;
}

SPRIG_FN(sprig_list)
{
    struct doc *l = doc_list();

    for (int i = 0; l != NULL && i < argc; i++)
        push_copy(&l, argv[i]);
    return sprig_ret_doc(call, out, l);
}

static int push(struct tmpl_call *call, struct doc *const *argv, struct doc **out)
{
    struct doc *l;
    int r;

    if ((r = need_list(call, argv[0], "Cannot push on type %s")) != 0)
        return r;
    l = sub_list(argv[0], 0, list_len(argv[0]));
    push_copy(&l, argv[1]);
    return sprig_ret_doc(call, out, l);
}

SPRIG_FN(sprig_push)
{
    return push(call, argv, out);
}

SPRIG_FN(sprig_must_push)
{
    return push(call, argv, out);
}

static int prepend(struct tmpl_call *call, struct doc *const *argv, struct doc **out)
{
    struct doc *l = doc_list();
    int r;

    if ((r = need_list(call, argv[0], "Cannot prepend on type %s")) != 0) {
        doc_free(l);
        return r;
    }
    push_copy(&l, argv[1]);
    for (size_t i = 0; l != NULL && i < list_len(argv[0]); i++)
        push_copy(&l, list_at(argv[0], i));
    return sprig_ret_doc(call, out, l);
}

SPRIG_FN(sprig_prepend)
{
    return prepend(call, argv, out);
}

SPRIG_FN(sprig_must_prepend)
{
    return prepend(call, argv, out);
}

/* first/last: nil for an empty list. */
static int end_item(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int last)
{
    size_t n;
    int r;

    if ((r = need_list(call, argv[0],
                       last ? "Cannot find last on type %s" : "Cannot find first on type %s")) != 0)
        return r;
    n = list_len(argv[0]);
    if (n == 0)
        return sprig_ret_doc(call, out, doc_null());
    return sprig_ret_copy(call, out, list_at(argv[0], last ? n - 1 : 0));
}

SPRIG_FN(sprig_first)
{
    return end_item(call, argv, out, 0);
}

SPRIG_FN(sprig_must_first)
{
    return end_item(call, argv, out, 0);
}

SPRIG_FN(sprig_last)
{
    return end_item(call, argv, out, 1);
}

SPRIG_FN(sprig_must_last)
{
    return end_item(call, argv, out, 1);
}

/* rest/initial: all but the first / last item. */
static int all_but(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int last)
{
    size_t n;
    int r;

    if ((r = need_list(call, argv[0],
                       last ? "Cannot find initial on type %s" : "Cannot find rest on type %s")) !=
        0)
        return r;
    n = list_len(argv[0]);
    if (n == 0)
        return sprig_ret_doc(call, out, doc_list());
    return sprig_ret_doc(call, out, last ? sub_list(argv[0], 0, n - 1) : sub_list(argv[0], 1, n));
}

SPRIG_FN(sprig_rest)
{
    return all_but(call, argv, out, 0);
}

SPRIG_FN(sprig_must_rest)
{
    return all_but(call, argv, out, 0);
}

SPRIG_FN(sprig_initial)
{
    return all_but(call, argv, out, 1);
}

SPRIG_FN(sprig_must_initial)
{
    return all_but(call, argv, out, 1);
}

static int reverse(struct tmpl_call *call, struct doc *const *argv, struct doc **out)
{
    struct doc *l = doc_list();
    size_t n;
    int r;

    if ((r = need_list(call, argv[0], "Cannot find reverse on type %s")) != 0) {
        doc_free(l);
        return r;
    }
    n = list_len(argv[0]);
    for (size_t i = n; l != NULL && i > 0; i--)
        push_copy(&l, list_at(argv[0], i - 1));
    return sprig_ret_doc(call, out, l);
}

SPRIG_FN(sprig_reverse)
{
    return reverse(call, argv, out);
}

SPRIG_FN(sprig_must_reverse)
{
    return reverse(call, argv, out);
}

static int compact(struct tmpl_call *call, struct doc *const *argv, struct doc **out)
{
    struct doc *l = doc_list();
    int r;

    if ((r = need_list(call, argv[0], "Cannot compact on type %s")) != 0) {
        doc_free(l);
        return r;
    }
    for (size_t i = 0; l != NULL && i < list_len(argv[0]); i++)
        if (!sprig_value_empty(list_at(argv[0], i)))
            push_copy(&l, list_at(argv[0], i));
    return sprig_ret_doc(call, out, l);
}

SPRIG_FN(sprig_compact)
{
    return compact(call, argv, out);
}

SPRIG_FN(sprig_must_compact)
{
    return compact(call, argv, out);
}

/* 1 when some item of l (or of argv[from..argc-1] when l is NULL) deep-equals d. */
static int in_items(const struct doc *l, struct doc *const *argv, int from, int argc,
                    const struct doc *d)
{
    if (l != NULL) {
        for (size_t i = 0; i < list_len(l); i++)
            if (sprig_value_equal(list_at(l, i), d))
                return 1;
        return 0;
    }
    for (int i = from; i < argc; i++)
        if (sprig_value_equal(argv[i], d))
            return 1;
    return 0;
}

static int uniq(struct tmpl_call *call, struct doc *const *argv, struct doc **out)
{
    struct doc *l = doc_list();
    int r;

    if ((r = need_list(call, argv[0], "Cannot find uniq on type %s")) != 0) {
        doc_free(l);
        return r;
    }
    for (size_t i = 0; l != NULL && i < list_len(argv[0]); i++)
        if (!in_items(l, NULL, 0, 0, list_at(argv[0], i)))
            push_copy(&l, list_at(argv[0], i));
    return sprig_ret_doc(call, out, l);
}

SPRIG_FN(sprig_uniq)
{
    return uniq(call, argv, out);
}

SPRIG_FN(sprig_must_uniq)
{
    return uniq(call, argv, out);
}

static int without(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    struct doc *l = doc_list();
    int r;

    if ((r = need_list(call, argv[0], "Cannot find without on type %s")) != 0) {
        doc_free(l);
        return r;
    }
    for (size_t i = 0; l != NULL && i < list_len(argv[0]); i++)
        if (!in_items(NULL, argv, 1, argc, list_at(argv[0], i)))
            push_copy(&l, list_at(argv[0], i));
    return sprig_ret_doc(call, out, l);
}

SPRIG_FN(sprig_without)
{
    return without(call, argv, argc, out);
}

SPRIG_FN(sprig_must_without)
{
    return without(call, argv, argc, out);
}

static int has(struct tmpl_call *call, struct doc *const *argv, struct doc **out)
{
    int r;

    if (argv[1] == NULL || argv[1]->type == DOC_NULL)
        return sprig_ret_bool(call, out, 0);
    if ((r = need_list(call, argv[1], "Cannot find has on type %s")) != 0)
        return r;
    return sprig_ret_bool(call, out, in_items(argv[1], NULL, 0, 0, argv[0]));
}

SPRIG_FN(sprig_has)
{
    return has(call, argv, out);
}

SPRIG_FN(sprig_must_has)
{
    return has(call, argv, out);
}

static int slice(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    int64_t n, start = 0, end;
    struct doc *l;
    int r;

    if ((r = need_list(call, argv[0], "list should be type of slice or array but %s")) != 0)
        return r;
    n = (int64_t)list_len(argv[0]);
    if (n == 0)
        return sprig_ret_doc(call, out, doc_null());
    if (argc > 1)
        start = sprig_to_int64(argv[1]);
    end = argc > 2 ? sprig_to_int64(argv[2]) : n;
    if (start < 0 || end < start || end > n)
        return tmpl_call_fail(call, "reflect: slice index out of range");
    l = sub_list(argv[0], (size_t)start, (size_t)end);
    if (l != NULL && argv[0]->tag != NULL && (l->tag = strdup(argv[0]->tag)) == NULL) {
        doc_free(l);
        l = NULL;
    }
    return sprig_ret_doc(call, out, l);
}

SPRIG_FN(sprig_slice)
{
    return slice(call, argv, argc, out);
}

SPRIG_FN(sprig_must_slice)
{
    return slice(call, argv, argc, out);
}

SPRIG_FN(sprig_concat)
{
    struct doc *l = doc_list();

    for (int i = 0; l != NULL && i < argc; i++) {
        int r = need_list(call, argv[i], "Cannot concat type %s as list");
        if (r != 0) {
            doc_free(l);
            return r;
        }
        for (size_t k = 0; l != NULL && k < list_len(argv[i]); k++)
            push_copy(&l, list_at(argv[i], k));
    }
    return sprig_ret_doc(call, out, l);
}

static int chunk(struct tmpl_call *call, struct doc *const *argv, struct doc **out)
{
    int64_t size;
    size_t n;
    struct doc *l;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &size)) != 0 ||
        (r = need_list(call, argv[1], "Cannot chunk type %s")) != 0)
        return r;
    n = list_len(argv[1]);
    if (size <= 0) /* Go computes a negative or NaN chunk count and panics */
        return tmpl_call_fail(call, "runtime error: makeslice: len out of range");
    l = sprig_tagged(doc_list(), "[][]interface {}");
    for (size_t i = 0; l != NULL && i < n; i += (size_t)size) {
        size_t to = i + (size_t)size < n ? i + (size_t)size : n;
        struct doc *c = sub_list(argv[1], i, to);
        if (c == NULL || doc_list_push(l, c) != 0) {
            doc_free(l);
            l = NULL;
        }
    }
    return sprig_ret_doc(call, out, l);
}

SPRIG_FN(sprig_chunk)
{
    return chunk(call, argv, out);
}

SPRIG_FN(sprig_must_chunk)
{
    return chunk(call, argv, out);
}
