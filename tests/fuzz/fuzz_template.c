/*
 * fuzz_template.c - libFuzzer target for the template engine: parse arbitrary text as a Go
 * template and execute it over small data, with tight limits so every input finishes fast.
 *
 * The first input byte picks options (missingkey mode, custom delimiters, a second text
 * parsed into the same set); the rest is the template text.  Build with
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

static const struct tmpl_func funcs[] = {
    {"include", fn_include, 2, 2},
};

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
    tmpl_add_funcs(t, funcs, 1);
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
