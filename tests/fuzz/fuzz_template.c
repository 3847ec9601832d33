/*
 * fuzz_template.c - libFuzzer target for the template engine: parse arbitrary text as a Go
 * template and execute it over small data, with tight limits so every input finishes fast.
 *
 * The first input byte picks options (missingkey mode, custom delimiters, a second text
 * parsed into the same set); the rest is the template text.  Besides the builtins there
 * are small dict/list/set/unset/include functions, to exercise maps changed in place,
 * list views and nested executions.  Build with
 * CC=clang cmake -DVALS_FUZZ=ON and run ./fuzz_template -max_total_time=60.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "client/template/tmpl.h"
#include "lib/doc.h"

static const char data_json[] =
    "{\"name\":\"World\",\"n\":42,\"f\":1.5,\"t\":true,\"z\":null,\"s\":\"a<b>&'c\","
    "\"list\":[1,\"two\",3.5,null,[1,2],{\"k\":\"v\"}],\"m\":{\"b\":2,\"a\":1,\"c\":{\"d\":[]}},"
    "\"u\":18446744073709551615,\"e\":[]}";

/* include NAME DATA: execute another template of the set (nested executions). */
static int fn_include(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    struct dbuf b = DBUF_INIT;
    struct verr e;

    (void)argc;
    if (argv[0]->type != DOC_STR)
        return tmpl_call_fail(call, "include wants a name");
    if (tmpl_execute(tmpl_call_template(call), argv[0]->v.s.ptr, argv[1], &b, &e) != 0) {
        dbuf_free(&b);
        return tmpl_call_fail(call, "%s", e.msg);
    }
    *out = doc_str(b.p != NULL ? b.p : "", b.len);
    dbuf_free(&b);
    return *out != NULL ? 0 : VALS_ENOMEM;
}

/* dict K V ...: a new map (keys formatted by the engine's rules are strings here). */
static int fn_dict(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    struct doc *m = doc_map();

    for (int i = 0; m != NULL && i + 1 < argc; i += 2) {
        if (argv[i]->type != DOC_STR) {
            doc_free(m);
            return tmpl_call_fail(call, "dict keys must be strings");
        }
        if (doc_map_set(m, argv[i]->v.s.ptr, doc_copy(argv[i + 1])) != 0) {
            doc_free(m);
            return VALS_ENOMEM;
        }
    }
    *out = m;
    return m != NULL ? 0 : VALS_ENOMEM;
}

/* list ARGS...: a new list. */
static int fn_list(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    (void)call;
    *out = doc_list();
    for (int i = 0; *out != NULL && i < argc; i++)
        if (doc_list_push(*out, doc_copy(argv[i])) != 0)
            return VALS_ENOMEM;
    return *out != NULL ? 0 : VALS_ENOMEM;
}

/* set MAP K V / unset MAP K: change the map in place, like Sprig's. */
static int fn_set(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    if (argv[0]->type != DOC_MAP || argv[1]->type != DOC_STR)
        return tmpl_call_fail(call, "set wants a map and a string key");
    if (argc == 3 && doc_map_set(argv[0], argv[1]->v.s.ptr, doc_copy(argv[2])) != 0)
        return VALS_ENOMEM;
    if (argc == 2)
        doc_map_del(argv[0], argv[1]->v.s.ptr);
    *out = doc_copy(argv[0]);
    return *out != NULL ? 0 : VALS_ENOMEM;
}

static const struct tmpl_func funcs[] = {
    {"include", fn_include, 2, 2},
    {"dict", fn_dict, 0, TMPL_VARIADIC},
    {"list", fn_list, 0, TMPL_VARIADIC},
    {"set", fn_set, 3, 3},
    {"unset", fn_set, 2, 2},
};

/* One fuzz input: option byte, then template text. */
int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
    static struct doc *data;
    struct tmpl *t;
    struct tmpl_limits l;
    struct dbuf out = DBUF_INIT;
    struct verr e;
    const char *text;
    size_t n, split;
    uint8_t opt;

    if (data == NULL && doc_parse_json(data_json, sizeof(data_json) - 1, "fuzz", &data, &e) != 0)
        return 0;
    if (len < 1)
        return 0;
    opt = in[0];
    text = (const char *)in + 1;
    n = len - 1;
    t = tmpl_new("fuzz");
    if (t == NULL)
        return 0;
    tmpl_get_limits(t, &l);
    l.max_text = 1 << 16;
    l.max_nesting = 40;
    l.max_exec_depth = 30;
    l.max_output = 1 << 16;
    l.max_range = 1000;
    l.max_steps = 20000;
    tmpl_set_limits(t, &l);
    tmpl_add_funcs(t, funcs, sizeof(funcs) / sizeof(funcs[0]));
    tmpl_set_missingkey(t, (enum tmpl_missingkey)(opt % 3));
    if (opt & 0x04)
        tmpl_set_delims(t, "[[", "]]");
    /* optionally two texts into one set, split at the first NUL */
    split = n;
    if (opt & 0x08) {
        const char *z = memchr(text, '\0', n);
        if (z != NULL)
            split = (size_t)(z - text);
    }
    if (tmpl_parse(t, text, split, &e) == 0) {
        if (split < n)
            tmpl_parse(t, text + split + 1, n - split - 1, &e);
        tmpl_execute(t, NULL, (opt & 0x10) ? NULL : data, &out, &e);
        if (opt & 0x20)
            tmpl_execute(t, "x", data, &out, &e);
    }
    dbuf_free(&out);
    tmpl_free(t);
    return 0;
}
