/*
 * builtins.c - Go text/template's predefined functions (see builtins.h), with Go's
 * results and error texts, including the ones that come from reflect panics in Go
 * ("reflect: slice index out of range" for an index equal to the length).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "escape.h"
#include "gofmt.h"

/* Fail the builtin with a formatted message. */
static int failf(struct bctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(struct bctx *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return -1;
}

/* A string too long for the limit. */
static int too_large(struct bctx *c)
{
    snprintf(c->err, sizeof(c->err), "result exceeds the limit of %zu bytes", c->max_string);
    return VALS_ETOO_LARGE;
}

/* Go's truth(): is the value inside an interface true? */
int builtin_truth(const struct tval *v)
{
    struct tval u = value_unwrap(value_ref(v));
    int t;

    value_truth(&u, &t);
    value_release(&u);
    return t;
}

/* not ARG */
static int fn_not(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    (void)c;
    (void)argc;
    *out = value_bool(!builtin_truth(&argv[0]));
    return 0;
}

/* Go's indirect(): the value inside an interface; *is_nil for a nil interface. */
static struct tval indirect(const struct tval *v, int *is_nil)
{
    *is_nil = value_is_nil_iface(v);
    if (*is_nil)
        return value_ref(v);
    return value_unwrap(value_ref(v));
}

/* len ITEM: strings (bytes), lists and maps. */
static int fn_len(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    int is_nil, r;
    struct tval item = indirect(&argv[0], &is_nil);
    int64_t n = 0;

    (void)argc;
    if (is_nil) {
        r = failf(c, "len of nil pointer");
        goto out;
    }
    switch (value_kind(&item)) {
    case VK_STRING:
        n = (int64_t)item.d->v.s.len;
        break;
    case VK_LIST:
        n = (int64_t)value_list_len(&item);
        break;
    case VK_MAP:
        for (size_t i = 0; i < item.d->v.map.len; i++)
            n += item.d->v.map.items[i].key->type != DOC_COMMENT;
        break;
    case VK_INVALID:
        r = failf(c, "reflect: call of reflect.Value.Type on zero Value");
        goto out;
    default:
        r = failf(c, "len of type %s", value_type_name(&item));
        goto out;
    }
    r = value_new_int(n, out);
out:
    value_release(&item);
    return r;
}

/* Go's indexArg: an int from an index value, at most cap. */
static int index_arg(struct bctx *c, const struct tval *idx, size_t cap, int64_t *x)
{
    switch (value_kind(idx)) {
    case VK_INT:
        *x = idx->d->v.i;
        break;
    case VK_UINT:
        *x = (int64_t)idx->d->v.u;
        break;
    case VK_INVALID:
        return failf(c, "cannot index slice/array with nil");
    default:
        return failf(c, "cannot index slice/array with type %s", value_type_name(idx));
    }
    if (*x < 0 || (uint64_t)*x > cap)
        return failf(c, "index out of range: %lld", (long long)*x);
    return 0;
}

/* index ITEM INDEX...: lists, strings (bytes) and maps. */
static int fn_index(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    struct tval item = value_unwrap(value_ref(&argv[0])), idx = value_invalid(), next;
    int r = 0, is_nil;
    int64_t x = 0;

    *out = value_invalid();
    if (item.d == NULL)
        return failf(c, "index of untyped nil");
    for (size_t i = 1; i < argc && r == 0; i++) {
        idx = value_unwrap(value_ref(&argv[i]));
        next = indirect(&item, &is_nil);
        value_release(&item);
        item = next;
        if (is_nil) {
            r = failf(c, "index of nil pointer");
            break;
        }
        switch (value_kind(&item)) {
        case VK_STRING:
            r = index_arg(c, &idx, item.d->v.s.len, &x);
            if (r == 0 && (size_t)x >= item.d->v.s.len)
                r = failf(c, "reflect: string index out of range");
            if (r == 0) {
                r = value_new_uint((unsigned char)item.d->v.s.ptr[x], 1, &next);
                value_release(&item);
                item = next;
            }
            break;
        case VK_LIST:
            r = index_arg(c, &idx, value_list_len(&item), &x);
            if (r == 0 && (size_t)x >= value_list_len(&item))
                r = failf(c, "reflect: slice index out of range");
            if (r == 0) {
                next = value_list_at(&item, (size_t)x);
                value_release(&item);
                item = next;
            }
            break;
        case VK_MAP: {
            const struct doc *e;
            if (idx.d == NULL) {
                r = failf(c, "value is nil; should be of type string");
                break;
            }
            if (value_kind(&idx) != VK_STRING) {
                r = failf(c, "value has type %s; should be string", value_type_name(&idx));
                break;
            }
            e = doc_map_get(item.d, idx.d->v.s.ptr, idx.d->v.s.len);
            next = value_child(&item, e != NULL ? e : &value_null_doc, value_elem_iface(item.d));
            value_release(&item);
            item = next;
            break;
        }
        default:
            r = failf(c, "can't index item of type %s", value_type_name(&item));
            break;
        }
        value_release(&idx);
    }
    value_release(&idx);
    if (r != 0) {
        value_release(&item);
        return r;
    }
    *out = item;
    return 0;
}

/* slice ITEM [I [J [K]]]: lists (keeping Go's capacity) and strings. */
static int fn_slice(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    struct tval item = value_unwrap(value_ref(&argv[0]));
    size_t nidx = argc - 1, cap, len;
    int64_t idx[3] = {0, 0, 0};
    int r = 0;

    *out = value_invalid();
    if (item.d == NULL)
        return failf(c, "slice of untyped nil");
    if (nidx > 3) {
        r = failf(c, "too many slice indexes: %zu", nidx);
        goto out;
    }
    switch (value_kind(&item)) {
    case VK_STRING:
        if (nidx == 3) {
            r = failf(c, "cannot 3-index slice a string");
            goto out;
        }
        cap = len = item.d->v.s.len;
        break;
    case VK_LIST:
        cap = value_list_cap(&item);
        len = value_list_len(&item);
        break;
    default:
        r = failf(c, "can't slice item of type %s", value_type_name(&item));
        goto out;
    }
    idx[1] = (int64_t)len;
    for (size_t i = 0; i < nidx && r == 0; i++)
        r = index_arg(c, &argv[1 + i], cap, &idx[i]);
    if (r != 0)
        goto out;
    if (idx[0] > idx[1]) {
        r = failf(c, "invalid slice index: %lld > %lld", (long long)idx[0], (long long)idx[1]);
        goto out;
    }
    if (nidx == 3 && idx[1] > idx[2]) {
        r = failf(c, "invalid slice index: %lld > %lld", (long long)idx[1], (long long)idx[2]);
        goto out;
    }
    if (value_kind(&item) == VK_STRING) {
        r = value_own(doc_str(item.d->v.s.ptr + idx[0], (size_t)(idx[1] - idx[0])), out);
    } else {
        size_t off = item.view ? item.off : 0;
        *out = value_ref(&item);
        out->view = 1;
        out->off = off + (size_t)idx[0];
        out->len = (size_t)(idx[1] - idx[0]);
        out->cap = (nidx == 3 ? (size_t)idx[2] : cap) - (size_t)idx[0];
    }
out:
    value_release(&item);
    return r;
}

/* call FN ARGS...: documents hold no functions, so it always fails as Go would. */
static int fn_call(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    struct tval fn = value_unwrap(value_ref(&argv[0]));
    int r;

    (void)argc;
    *out = value_invalid();
    if (fn.d == NULL)
        r = failf(c, "call of nil");
    else
        r = failf(c, "non-function of type %s", value_type_name(&fn));
    value_release(&fn);
    return r;
}

/* Finish a string result built in b. */
static int string_result(struct bctx *c, struct dbuf *b, int r, struct tval *out)
{
    *out = value_invalid();
    if (r == VALS_ETOO_LARGE)
        r = too_large(c);
    if (r == 0)
        r = value_own_dbuf(b, out);
    dbuf_free(b);
    return r;
}

/* print ARGS... (fmt.Sprint) */
static int fn_print(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    struct dbuf b;

    dbuf_init(&b, c->max_string);
    return string_result(c, &b, gofmt_sprint(&b, argv, argc), out);
}

/* println ARGS... (fmt.Sprintln) */
static int fn_println(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    struct dbuf b;

    dbuf_init(&b, c->max_string);
    return string_result(c, &b, gofmt_sprintln(&b, argv, argc), out);
}

/* printf FORMAT ARGS... (fmt.Sprintf) */
static int fn_printf(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    struct dbuf b;

    dbuf_init(&b, c->max_string);
    return string_result(
        c, &b, gofmt_sprintf(&b, argv[0].d->v.s.ptr, argv[0].d->v.s.len, argv + 1, argc - 1), out);
}

/* Go's evalArgs: one string as is, else fmt.Sprint with nil shown as "<no value>". */
static int eval_args(struct bctx *c, struct tval *argv, size_t argc, struct dbuf *b)
{
    static const struct doc no_value = {.type = DOC_STR, .v.s = {(char *)"<no value>", 10}};
    struct tval *a;
    int r;

    if (argc == 1 && argv[0].d != NULL && argv[0].d->type == DOC_STR)
        return dbuf_add(b, argv[0].d->v.s.ptr, argv[0].d->v.s.len);
    a = calloc(argc + 1, sizeof(*a));
    if (a == NULL)
        return VALS_ENOMEM;
    for (size_t i = 0; i < argc; i++) {
        if (argv[i].d == NULL || argv[i].d->type == DOC_NULL)
            a[i] = value_borrow(&no_value, 0);
        else
            a[i] = argv[i];
    }
    r = gofmt_sprint(b, a, argc);
    free(a);
    (void)c;
    return r;
}

/* html, js and urlquery: escape the text of the arguments. */
static int escaper(struct bctx *c, struct tval *argv, size_t argc, struct tval *out,
                   int (*esc)(struct dbuf *, const char *, size_t))
{
    struct dbuf text, b;
    int r;

    dbuf_init(&text, c->max_string);
    dbuf_init(&b, c->max_string);
    r = eval_args(c, argv, argc, &text);
    if (r == 0 && text.len > 0)
        r = esc(&b, text.p, text.len);
    dbuf_free(&text);
    return string_result(c, &b, r, out);
}

/* html ARGS... */
static int fn_html(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    return escaper(c, argv, argc, out, escape_html);
}

/* js ARGS... */
static int fn_js(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    return escaper(c, argv, argc, out, escape_js);
}

/* urlquery ARGS... */
static int fn_urlquery(struct bctx *c, struct tval *argv, size_t argc, struct tval *out)
{
    return escaper(c, argv, argc, out, escape_urlquery);
}

static const struct builtin builtins[] = {
    {"and", 2, 1, {ARG_VALUE, ARG_VALUE}, NULL},
    {"call", 2, 1, {ARG_VALUE, ARG_VALUE}, fn_call},
    {"eq", 2, 1, {ARG_VALUE, ARG_VALUE}, compare_eq},
    {"ge", 2, 0, {ARG_VALUE, ARG_VALUE}, compare_ge},
    {"gt", 2, 0, {ARG_VALUE, ARG_VALUE}, compare_gt},
    {"html", 1, 1, {ARG_ANY, ARG_ANY}, fn_html},
    {"index", 2, 1, {ARG_VALUE, ARG_VALUE}, fn_index},
    {"js", 1, 1, {ARG_ANY, ARG_ANY}, fn_js},
    {"le", 2, 0, {ARG_VALUE, ARG_VALUE}, compare_le},
    {"len", 1, 0, {ARG_VALUE, ARG_VALUE}, fn_len},
    {"lt", 2, 0, {ARG_VALUE, ARG_VALUE}, compare_lt},
    {"ne", 2, 0, {ARG_VALUE, ARG_VALUE}, compare_ne},
    {"not", 1, 0, {ARG_VALUE, ARG_VALUE}, fn_not},
    {"or", 2, 1, {ARG_VALUE, ARG_VALUE}, NULL},
    {"print", 1, 1, {ARG_ANY, ARG_ANY}, fn_print},
    {"printf", 2, 1, {ARG_STRING, ARG_ANY}, fn_printf},
    {"println", 1, 1, {ARG_ANY, ARG_ANY}, fn_println},
    {"slice", 2, 1, {ARG_VALUE, ARG_VALUE}, fn_slice},
    {"urlquery", 1, 1, {ARG_ANY, ARG_ANY}, fn_urlquery},
};

/* The builtin of that name, or NULL. */
const struct builtin *builtin_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (strlen(builtins[i].name) == len && memcmp(builtins[i].name, name, len) == 0)
            return &builtins[i];
    return NULL;
}
