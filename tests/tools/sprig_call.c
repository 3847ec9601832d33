/*
 * sprig_call.c - call one Sprig function from the command line (for integration tests
 * and manual checks): sprig_call [-j|-r] NAME [ARG ...], or with all arguments as one
 * JSON array: sprig_call [-j|-r] -a NAME '[ARG, ...]'.
 *
 * Each ARG is JSON (so strings need quotes); a few objects stand for Go values that JSON
 * cannot express: {"$int64": N}, {"$time": ["LAYOUT", "VALUE", "ZONE"]}.  The result is
 * printed as Go's fmt %v would print it (default), as JSON (-j), or raw without a final
 * newline (-r).  An error goes to stderr as "error calling NAME: MESSAGE", exit 1.
 */
#include <stdio.h>
#include <string.h>

#include "client/template/sprig.h"
#include "client/template/sprig_internal.h"

/* Turn the magic objects of a parsed JSON argument into Go values (in place). */
static struct doc *magic(struct doc *d)
{
    if (d->type == DOC_MAP && d->v.map.len == 1 && d->v.map.items[0].key->type == DOC_STR) {
        const char *k = d->v.map.items[0].key->v.s.ptr;
        struct doc *v = d->v.map.items[0].val;
        if (strcmp(k, "$int64") == 0 && v->type == DOC_INT) {
            struct doc *n = sprig_tagged(doc_int(v->v.i), "int64");
            doc_free(d);
            return n;
        }
        if (strcmp(k, "$time") == 0 && v->type == DOC_LIST && v->v.list.len == 3) {
            struct sprig_time t;
            char err[256];
            const struct doc *l = v->v.list.items[0], *s = v->v.list.items[1],
                             *z = v->v.list.items[2];
            struct doc *n = NULL;
            if (sprig_time_parse(l->v.s.ptr, l->v.s.len, s->v.s.ptr, s->v.s.len, z->v.s.ptr, &t,
                                 err, sizeof(err)) == 0)
                n = sprig_time_doc(&t);
            else
                fprintf(stderr, "bad $time: %s\n", err);
            doc_free(d);
            return n;
        }
    }
    if (d->type == DOC_LIST)
        for (size_t i = 0; i < d->v.list.len; i++)
            d->v.list.items[i] = magic(d->v.list.items[i]);
    if (d->type == DOC_MAP)
        for (size_t i = 0; i < d->v.map.len; i++)
            d->v.map.items[i].val = magic(d->v.map.items[i].val);
    return d;
}

int main(int argc, char **argv)
{
    int mode = 'v', first = 1, nargs, rc = 1, array = 0;
    struct doc *arr = NULL;
    const struct tmpl_func *fn = NULL;
    struct doc *args[64], *res = NULL;
    struct tmpl_call call;
    struct dbuf out = DBUF_INIT;

    if (argc > 1 && (strcmp(argv[1], "-j") == 0 || strcmp(argv[1], "-r") == 0)) {
        mode = argv[1][1];
        first = 2;
    }
    if (argc > first && strcmp(argv[first], "-a") == 0) {
        array = 1;
        first++;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: sprig_call [-j|-r] NAME [JSON-ARG ...]\n");
        return 2;
    }
    for (size_t i = 0; i < sprig_nfuncs; i++)
        if (strcmp(sprig_funcs[i].name, argv[first]) == 0)
            fn = &sprig_funcs[i];
    if (fn == NULL) {
        fprintf(stderr, "function \"%s\" not defined\n", argv[first]);
        return 2;
    }
    nargs = argc - first - 1;
    if (array) {
        struct verr e;
        if (argc != first + 2 ||
            doc_parse_json(argv[first + 1], strlen(argv[first + 1]), "args", &arr, &e) != 0 ||
            arr->type != DOC_LIST || arr->v.list.len > 64) {
            fprintf(stderr, "-a needs one JSON array of arguments\n");
            return 2;
        }
        nargs = (int)arr->v.list.len;
    }
    if (nargs > 64 || nargs < fn->min_args || (fn->max_args >= 0 && nargs > fn->max_args)) {
        fprintf(stderr, "wrong number of args for %s: got %d\n", fn->name, nargs);
        return 2;
    }
    for (int i = 0; array && i < nargs; i++) {
        args[i] = magic(arr->v.list.items[i]);
        arr->v.list.items[i] = NULL;
    }
    for (int i = 0; !array && i < nargs; i++) {
        struct verr e;
        if (doc_parse_json(argv[first + 1 + i], strlen(argv[first + 1 + i]), "arg", &args[i], &e) !=
            0) {
            fprintf(stderr, "argument %d: %s\n", i + 1, verr_text(&e));
            return 2;
        }
        args[i] = magic(args[i]);
    }
    memset(&call, 0, sizeof(call));
    call.name = fn->name;
    if (fn->fn(&call, args, nargs, &res) != 0) {
        fprintf(stderr, "error calling %s: %s\n", fn->name, call.err);
        goto out;
    }
    if (mode == 'j')
        doc_emit_json(res, &out, DOC_JSON_SORT_KEYS);
    else
        sprig_format_value(res, &out);
    if (out.p != NULL)
        fwrite(out.p, 1, out.len, stdout);
    if (mode != 'r')
        putchar('\n');
    rc = 0;
out:
    for (int i = 0; i < nargs; i++)
        doc_free(args[i]);
    if (arr != NULL)
        arr->v.list.len = 0;
    doc_free(arr);
    doc_free(res);
    dbuf_free(&out);
    return rc;
}
