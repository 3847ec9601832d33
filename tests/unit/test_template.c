/*
 * test_template.c - unit tests of the template engine: lexer items, parse errors with
 * their positions, execution results, the function ABI (struct tmpl_func/tmpl_call), the
 * set API (names, options, delimiters) and the limits.  The byte-for-byte comparison
 * with Go's own text/template is tests/integration/test_template_diff.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "client/template/lex.h"
#include "client/template/tmpl.h"
#include "lib/doc.h"

/* --- lexer --- */

struct lex_case {
    const char *input;
    const char *ldelim, *rdelim;
    const char *want; /* items as "TYPE:text" separated by '|' */
};

static const char *item_name(enum item_type t)
{
    static const char *const names[] = {
        "ERROR",   "BOOL",    "CHAR",   "CHARCONST", "COMMENT",  "COMPLEX",  "ASSIGN",
        "DECLARE", "EOF",     "FIELD",  "IDENT",     "LDELIM",   "LPAREN",   "NUMBER",
        "PIPE",    "RAW",     "RDELIM", "RPAREN",    "SPACE",    "STRING",   "TEXT",
        "VAR",     "KEYWORD", "block",  "break",     "continue", "DOT",      "define",
        "else",    "end",     "if",     "nil",       "range",    "template", "with",
    };
    return names[t];
}

static const struct lex_case lex_cases[] = {
    {"", NULL, NULL, "EOF:"},
    {"plain", NULL, NULL, "TEXT:plain|EOF:"},
    {"a{{.x}}b", NULL, NULL, "TEXT:a|LDELIM:{{|FIELD:.x|RDELIM:}}|TEXT:b|EOF:"},
    {"{{.x.y $ $v := 1}}", NULL, NULL,
     "LDELIM:{{|FIELD:.x|FIELD:.y|SPACE: |VAR:$|SPACE: |VAR:$v|SPACE: |DECLARE::=|SPACE: |"
     "NUMBER:1|RDELIM:}}|EOF:"},
    {"{{f 1 -2 0x1F 1.5e3 'a' \"s\" `r`}}", NULL, NULL,
     "LDELIM:{{|IDENT:f|SPACE: |NUMBER:1|SPACE: |NUMBER:-2|SPACE: |NUMBER:0x1F|SPACE: |"
     "NUMBER:1.5e3|SPACE: |CHARCONST:'a'|SPACE: |STRING:\"s\"|SPACE: |RAW:`r`|RDELIM:}}|EOF:"},
    {"{{if true}}{{else}}{{end}}", NULL, NULL,
     "LDELIM:{{|if:if|SPACE: |BOOL:true|RDELIM:}}|LDELIM:{{|else:else|RDELIM:}}|"
     "LDELIM:{{|end:end|RDELIM:}}|EOF:"},
    {"{{range .}}{{break}}{{continue}}{{end}}", NULL, NULL,
     "LDELIM:{{|range:range|SPACE: |DOT:.|RDELIM:}}|LDELIM:{{|break:break|RDELIM:}}|"
     "LDELIM:{{|continue:continue|RDELIM:}}|LDELIM:{{|end:end|RDELIM:}}|EOF:"},
    {"a  {{- .x -}}  b", NULL, NULL, "TEXT:a|LDELIM:{{|FIELD:.x|RDELIM:}}|TEXT:b|EOF:"},
    {"{{-3}}", NULL, NULL, "LDELIM:{{|NUMBER:-3|RDELIM:}}|EOF:"},
    {"x{{/* c */}}y", NULL, NULL, "TEXT:x|TEXT:y|EOF:"},
    {"{{(a | b) , = nil}}", NULL, NULL,
     "LDELIM:{{|LPAREN:(|IDENT:a|SPACE: |PIPE:||SPACE: |IDENT:b|RPAREN:)|SPACE: |CHAR:,|"
     "SPACE: |ASSIGN:=|SPACE: |nil:nil|RDELIM:}}|EOF:"},
    {"<<.x>>{{.y}}", "<<", ">>", "LDELIM:<<|FIELD:.x|RDELIM:>>|TEXT:{{.y}}|EOF:"},
    {"{{1+2i}}", NULL, NULL, "LDELIM:{{|COMPLEX:1+2i|RDELIM:}}|EOF:"},
    {"{{.héllo}}", NULL, NULL, "LDELIM:{{|FIELD:.héllo|RDELIM:}}|EOF:"},
    /* errors end the scan */
    {"{{", NULL, NULL, "LDELIM:{{|ERROR:unclosed action"},
    {"{{\"abc}}", NULL, NULL, "LDELIM:{{|ERROR:unterminated quoted string"},
    {"{{3k}}", NULL, NULL, "LDELIM:{{|ERROR:bad number syntax: \"3k\""},
    {"{{@}}", NULL, NULL, "LDELIM:{{|CHAR:@|RDELIM:}}|EOF:"},
    {"{{€}}", NULL, NULL, "LDELIM:{{|ERROR:unrecognized character in action: U+20AC '€'"},
    {"{{.a-b}}", NULL, NULL, "LDELIM:{{|ERROR:bad character U+002D '-'"},
    {"{{)}}", NULL, NULL, "LDELIM:{{|RPAREN:)|ERROR:unexpected right paren U+0029 ')'"},
    {"{{(}}", NULL, NULL, "LDELIM:{{|LPAREN:(|ERROR:unclosed left paren"},
    {"{{/* x", NULL, NULL, "ERROR:unclosed comment"},
    {"{{/* x */ }}", NULL, NULL, "ERROR:comment ends before closing delimiter"},
    {"{{$x : 1}}", NULL, NULL, "LDELIM:{{|VAR:$x|SPACE: |ERROR:expected :="},
};

static void test_lexer(void **state)
{
    char got[1024];

    (void)state;
    for (size_t i = 0; i < sizeof(lex_cases) / sizeof(lex_cases[0]); i++) {
        const struct lex_case *c = &lex_cases[i];
        struct lexer l;
        struct item it;
        size_t n = 0;
        lex_init(&l, c->input, strlen(c->input), c->ldelim, c->rdelim, 0, 1, 1);
        got[0] = '\0';
        do {
            it = lex_next(&l);
            n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s:%.*s", n ? "|" : "",
                                  item_name(it.type), (int)it.len, it.val);
        } while (it.type != ITEM_EOF && it.type != ITEM_ERROR && n < sizeof(got));
        if (strcmp(got, c->want) != 0)
            fail_msg("lex %s:\n got  %s\n want %s", c->input, got, c->want);
    }
}

static void test_lexer_lines(void **state)
{
    struct lexer l;
    struct item it;
    const char *in = "a\nb{{.x\n}}\n\nc{{- /*\n*/ -}}\n d";
    int lines[16], n = 0;

    (void)state;
    lex_init(&l, in, strlen(in), NULL, NULL, 0, 1, 1);
    do {
        it = lex_next(&l);
        lines[n++] = it.line;
    } while (it.type != ITEM_EOF && n < 16);
    /* TEXT(1) LDELIM(2) FIELD(2) SPACE(2) RDELIM(3) TEXT(3) TEXT(7) EOF(7) */
    int want[] = {1, 2, 2, 2, 3, 3, 7, 7};
    assert_int_equal(n, 8);
    for (int i = 0; i < n; i++)
        assert_int_equal(lines[i], want[i]);
}

/* --- parse errors --- */

struct err_case {
    const char *text;
    const char *want;
};

static const struct err_case parse_errors[] = {
    {"{{if}}", "template: t:1: missing value for if"},
    {"a\nb\n{{if .x}}", "template: t:3: unexpected EOF"},
    {"{{end}}", "template: t:1: unexpected {{end}}"},
    {"{{else}}", "template: t:1: unexpected {{else}}"},
    {"{{nofunc}}", "template: t:1: function \"nofunc\" not defined"},
    {"{{$x}}", "template: t:1: undefined variable \"$x\""},
    {"{{break}}", "template: t:1: {{break}} outside {{range}}"},
    {"{{print 1 | 2}}", "template: t:1: non executable command in pipeline stage 2"},
    {"{{\"a\".x}}", "template: t:1: unexpected . after term \"\\\"a\\\"\""},
    {"{{define \"a\"}}1{{end}}{{define \"a\"}}2{{end}}",
     "template: t:1: template: multiple definition of template \"a\""},
    {"{{print\n(1\n}}", "template: t:3: unclosed left paren in action started at t:1"},
    {"{{print\n(1", "template: t:2: unclosed action started at t:1"},
    {"{{\n\"abc\n}}", "template: t:2: unterminated quoted string in action started at t:1"},
    {"{{'ab'}}", "template: t:1: malformed character constant: 'ab'"},
    {"{{089}}", "template: t:1: integer overflow: \"089\""},
    {"{{1e400}}", "template: t:1: illegal number syntax: \"1e400\""},
    {"{{\"\\q\"}}", "template: t:1: invalid syntax"},
    {"{{print 1 , 2}}", "template: t:1: unexpected \",\" in operand"},
    {"{{print \"a long string literal\" |}}", NULL}, /* Go accepts a trailing pipe */
    {"{{ | print}}", "template: t:1: unexpected \"|\" in command"},
    {"{{}}", "template: t:1: missing value for command"},
    {"{{if 1}}{{else \"a long string literal\"}}{{end}}",
     "template: t:1: unexpected \"\\\"a long st\"... in else"},
    {"{{print \"a long string literal\" 1=2}}", "template: t:1: unexpected \"=\" in operand"},
    {"{{print 1 \"a long string literal\" )}}", "template: t:1: unexpected \")\" in command"},
    {"{{template \"x\" 1 2}}", NULL}, /* parses; fails at execution */
    {"{{1i}}", "template: t:1: complex number \"1i\" is not supported"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
        struct tmpl *t = tmpl_new("t");
        struct verr e;
        int r;
        verr_clear(&e);
        r = tmpl_parse(t, parse_errors[i].text, strlen(parse_errors[i].text), &e);
        if (parse_errors[i].want == NULL) {
            assert_int_equal(r, 0);
        } else {
            if (r == 0)
                fail_msg("parse %s: no error", parse_errors[i].text);
            assert_int_equal(r, VALS_EPARSE);
            if (strcmp(e.msg, parse_errors[i].want) != 0)
                fail_msg("parse %s:\n got  %s\n want %s", parse_errors[i].text, e.msg,
                         parse_errors[i].want);
        }
        tmpl_free(t);
    }
}

/* --- execution --- */

struct exec_case {
    const char *text;
    const char *data; /* JSON or NULL */
    const char *want; /* output, or the error when it starts with "template: " */
};

static const char *exec_data = "{\"name\":\"World\",\"list\":[1,\"two\",3.5,null],"
                               "\"m\":{\"b\":2,\"a\":1},\"n\":null,\"f\":2.0,\"u\":[]}";

static const struct exec_case exec_cases[] = {
    {"Hello, {{.name}}!", NULL, "Hello, World!"},
    {"{{range $i, $e := .list}}{{$i}}={{$e}};{{end}}", NULL, "0=1;1=two;2=3.5;3=<no value>;"},
    {"{{range $k, $v := .m}}{{$k}}{{$v}}{{end}}", NULL, "a1b2"},
    {"{{.missing}}|{{.n}}|{{print .n}}", NULL, "<no value>|<no value>|<nil>"},
    {"{{printf \"%T %T %T %v\" .f 1 .name .f}}", NULL, "float64 int string 2"},
    {"{{index .list 1}} {{len .m}} {{slice .name 1 3}}", NULL, "two 2 or"},
    {"{{and 1 0}} {{or 0 \"x\"}} {{not .u}}", NULL, "0 x true"},
    {"{{eq 1 1 2}} {{lt \"a\" \"b\"}} {{ge 2.5 2.5}}", NULL, "true true true"},
    {"{{html \"<&>\"}} {{js \"'\"}} {{urlquery \"a b\"}}", NULL, "&lt;&amp;&gt; \\' a+b"},
    {"{{range 3}}{{.}}{{end}}", NULL, "012"},
    {"{{with .n}}x{{else with .name}}{{.}}{{end}}", NULL, "World"},
    {"{{define \"x\"}}[{{.}}]{{end}}{{template \"x\" .name}}", NULL, "[World]"},
    {"{{.list.x}}", NULL,
     "template: t:1:7: executing \"t\" at <.list.x>: can't evaluate field x in type "
     "interface {}"},
    {"{{.n.x}}", NULL,
     "template: t:1:4: executing \"t\" at <.n.x>: nil pointer evaluating interface {}.x"},
    {"{{index .list 5}}", NULL,
     "template: t:1:2: executing \"t\" at <index .list 5>: error calling index: index out of "
     "range: 5"},
    {"{{index .list 4}}", NULL,
     "template: t:1:2: executing \"t\" at <index .list 4>: error calling index: reflect: slice "
     "index out of range"},
    {"{{eq 1 1.0}}", NULL,
     "template: t:1:2: executing \"t\" at <eq 1 1.0>: error calling eq: incompatible types for "
     "comparison"},
    {"{{range $i, $e := 3}}{{end}}", NULL,
     "template: t:1:18: executing \"t\" at <3>: can't use 3 to iterate over more than one "
     "variable"},
    {"{{.}}", "null", "<no value>"},
};

/* Parse and execute text; returns the output or the error message (static buffer). */
static const char *run(struct tmpl *t, const char *text, const char *json)
{
    static char result[2048];
    struct doc *data = NULL;
    struct dbuf out = DBUF_INIT;
    struct verr e;

    verr_clear(&e);
    if (json != NULL)
        assert_int_equal(doc_parse_json(json, strlen(json), "data", &data, &e), 0);
    if (tmpl_parse(t, text, strlen(text), &e) != 0 || tmpl_execute(t, NULL, data, &out, &e) != 0)
        snprintf(result, sizeof(result), "%s", e.msg);
    else
        snprintf(result, sizeof(result), "%s", out.p != NULL ? out.p : "");
    dbuf_free(&out);
    doc_free(data);
    return result;
}

static void test_exec(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(exec_cases) / sizeof(exec_cases[0]); i++) {
        const struct exec_case *c = &exec_cases[i];
        struct tmpl *t = tmpl_new("t");
        const char *got = run(t, c->text, c->data != NULL ? c->data : exec_data);
        if (strcmp(got, c->want) != 0)
            fail_msg("exec %s:\n got  %s\n want %s", c->text, got, c->want);
        tmpl_free(t);
    }
}

/* --- the function ABI --- */

static int fn_upper(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    char buf[64];
    size_t n;

    (void)argc;
    if (argv[0]->type != DOC_STR)
        return tmpl_call_fail(call, "%s wants a string, got %s", call->name,
                              doc_type_name(argv[0]->type));
    n = argv[0]->v.s.len < sizeof(buf) ? argv[0]->v.s.len : sizeof(buf) - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(argv[0]->v.s.ptr[i] >= 'a' && argv[0]->v.s.ptr[i] <= 'z'
                            ? argv[0]->v.s.ptr[i] - 32
                            : argv[0]->v.s.ptr[i]);
    *out = doc_str(buf, n);
    return *out != NULL ? 0 : VALS_ENOMEM;
}

static int fn_count(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    (void)argv;
    *out = doc_int(argc + *(int *)tmpl_call_userdata(call));
    return 0;
}

static int fn_list(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    (void)call;
    *out = doc_list();
    for (int i = 0; i < argc; i++)
        doc_list_push(*out, doc_copy(argv[i]));
    return 0;
}

/* include NAME DATA: execute another template of the set, like Helm's include. */
static int fn_include(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    struct dbuf b = DBUF_INIT;
    struct verr e;
    int r;

    (void)argc;
    verr_clear(&e);
    r = tmpl_execute(tmpl_call_template(call), argv[0]->v.s.ptr, argv[1], &b, &e);
    if (r != 0) {
        dbuf_free(&b);
        return tmpl_call_fail(call, "%s", e.msg);
    }
    *out = doc_str(b.p != NULL ? b.p : "", b.len);
    dbuf_free(&b);
    return 0;
}

static int fn_null(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    (void)call;
    (void)argv;
    (void)argc;
    *out = doc_null();
    return 0;
}

static const struct tmpl_func test_funcs[] = {
    {"upper", fn_upper, 1, 1},
    {"count", fn_count, 0, TMPL_VARIADIC},
    {"list", fn_list, 0, TMPL_VARIADIC},
    {"include", fn_include, 2, 2},
    {"null", fn_null, 0, 0},
    {"len", fn_count, 0, TMPL_VARIADIC}, /* overrides the builtin */
};

static void test_funcs_abi(void **state)
{
    static const struct exec_case cases[] = {
        {"{{upper .name}} {{.name | upper}}", NULL, "WORLD WORLD"},
        {"{{count}} {{count 1 2 3}} {{len 1 2}}", NULL, "100 103 102"},
        {"{{list 1 \"a\" .n .missing}}", NULL, "[1 a <nil> <nil>]"},
        {"{{printf \"%T\" (list)}} {{index (list 5 6) 1}}", NULL, "[]interface {} 6"},
        {"{{list (slice .list 1 3) | len}}", NULL, "101"},
        {"[{{null}}] {{printf \"%v\" null}}", NULL, "[<no value>] <nil>"},
        {"{{define \"sub\"}}<{{.}}>{{end}}{{include \"sub\" .name}}", NULL, "<World>"},
        {"{{upper 1}}", NULL,
         "template: t:1:2: executing \"t\" at <upper 1>: error calling upper: upper wants a "
         "string, got int"},
        {"{{upper}}", NULL,
         "template: t:1:2: executing \"t\" at <upper>: wrong number of args for upper: want 1 "
         "got 0"},
        {"{{upper 1 2}}", NULL,
         "template: t:1:2: executing \"t\" at <upper>: wrong number of args for upper: want 1 "
         "got 2"},
        {"{{include \"nope\" 1}}", NULL,
         "template: t:1:2: executing \"t\" at <include \"nope\" 1>: error calling include: "
         "template: no template \"nope\" associated with template \"t\""},
    };
    int base = 100;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tmpl *t = tmpl_new("t");
        const char *got;
        assert_int_equal(tmpl_add_funcs(t, test_funcs, sizeof(test_funcs) / sizeof(test_funcs[0])),
                         0);
        tmpl_set_userdata(t, &base);
        got = run(t, cases[i].text, exec_data);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("funcs %s:\n got  %s\n want %s", cases[i].text, got, cases[i].want);
        tmpl_free(t);
    }
}

static void test_funcs_bad_names(void **state)
{
    static const struct tmpl_func bad1[] = {{"9lives", fn_null, 0, 0}};
    static const struct tmpl_func bad2[] = {{"a-b", fn_null, 0, 0}};
    static const struct tmpl_func bad3[] = {{"ok", fn_null, 2, 1}};
    static const struct tmpl_func good[] = {{"_ok9", fn_null, 0, 0}, {"héllo", fn_null, 0, 0}};
    struct tmpl *t = tmpl_new("t");

    (void)state;
    assert_int_equal(tmpl_add_funcs(t, bad1, 1), VALS_EUSAGE);
    assert_int_equal(tmpl_add_funcs(t, bad2, 1), VALS_EUSAGE);
    assert_int_equal(tmpl_add_funcs(t, bad3, 1), VALS_EUSAGE);
    assert_int_equal(tmpl_add_funcs(t, good, 2), 0);
    tmpl_free(t);
}

/* set MAP KEY VALUE and unset MAP KEY: change the map in place, freeing what they
 * replace, as Sprig's do (see tmpl_fn in tmpl.h). */
static int fn_set(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    (void)argc;
    if (argv[0]->type != DOC_MAP || argv[1]->type != DOC_STR)
        return tmpl_call_fail(call, "set wants a map and a key");
    if (doc_map_set(argv[0], argv[1]->v.s.ptr, doc_copy(argv[2])) != 0)
        return VALS_ENOMEM;
    *out = doc_copy(argv[0]);
    return 0;
}

static int fn_unset(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    (void)argc;
    if (argv[0]->type != DOC_MAP || argv[1]->type != DOC_STR)
        return tmpl_call_fail(call, "unset wants a map and a key");
    doc_map_del(argv[0], argv[1]->v.s.ptr);
    *out = doc_copy(argv[0]);
    return 0;
}

static void test_mutators(void **state)
{
    static const struct tmpl_func funcs[] = {{"set", fn_set, 3, 3}, {"unset", fn_unset, 2, 2}};
    static const struct tmpl_func list_fn[] = {{"list", fn_list, 0, TMPL_VARIADIC}};
    static const struct exec_case cases[] = {
        /* the change is seen through every reference; values read before stay valid */
        {"{{$d := .m}}{{$old := $d.a}}{{$_ := set $d \"a\" 5}}{{$old}} {{$d.a}} {{.m.a}}", NULL,
         "1 5 5"},
        /* removing the pairs of a map while ranging over it */
        {"{{range $k, $v := .m}}{{$_ := unset $.m $k}}{{$k}}{{$v}} {{end}}{{len .m}}", NULL,
         "a1 b2 0"},
        /* a nested map changed through a variable */
        {"{{$x := .m}}{{$_ := set $x \"c\" .list}}{{$_ := unset $x \"c\"}}{{len .m}}", NULL, "2"},
        /* the result of a function can be changed too */
        {"{{$l := list 1}}{{$_ := set .m \"l\" $l}}{{index .m.l 0}}", NULL, "1"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tmpl *t = tmpl_new("t");
        const char *got;
        assert_int_equal(tmpl_add_funcs(t, list_fn, 1), 0);
        assert_int_equal(tmpl_add_funcs(t, funcs, 2), 0);
        got = run(t, cases[i].text, exec_data);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("mutators %s:\n got  %s\n want %s", cases[i].text, got, cases[i].want);
        tmpl_free(t);
    }
}

/* tpl TEXT DATA: parse TEXT into the running set as template "tpl" and execute it (Helm's
 * tpl), so definitions are added while the set is executing. */
static int fn_tpl(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    struct tmpl *t = tmpl_call_template(call);
    struct dbuf b = DBUF_INIT, text = DBUF_INIT;
    struct verr e;
    char name[32];
    static int n;

    (void)argc;
    snprintf(name, sizeof(name), "tpl%d", n++);
    dbuf_printf(&text, "{{define \"%s\"}}%s{{end}}{{define \"pad%d\"}}{{end}}", name,
                argv[0]->v.s.ptr, n);
    if (tmpl_parse(t, text.p, text.len, &e) != 0 || tmpl_execute(t, name, argv[1], &b, &e) != 0) {
        dbuf_free(&text);
        dbuf_free(&b);
        return tmpl_call_fail(call, "%s", e.msg);
    }
    *out = doc_str(b.p != NULL ? b.p : "", b.len);
    dbuf_free(&text);
    dbuf_free(&b);
    return 0;
}

/* Executions started by functions share the step budget and the depth of the outer one;
 * templates added while executing do not disturb it. */
static void test_nested_executions(void **state)
{
    static const struct tmpl_func funcs[] = {{"include", fn_include, 2, 2}, {"tpl", fn_tpl, 2, 2}};
    struct tmpl_limits l;
    struct tmpl *t;
    const char *got;

    (void)state;
    t = tmpl_new("t");
    tmpl_add_funcs(t, funcs, 2);
    tmpl_get_limits(t, &l);
    l.max_steps = 2000;
    tmpl_set_limits(t, &l);
    got = run(t, "{{define \"a\"}}{{include \"a\" .}}{{include \"a\" .}}{{end}}{{include \"a\" .}}",
              "{}");
    /* the doubling recursion ends quickly: the budget is shared (the nested messages
       are cut at the size of a verr, so only the outer part can be checked) */
    assert_non_null(strstr(got, "executing \"a\" at <include \"a\" .>: error calling include"));
    tmpl_free(t);

    t = tmpl_new("t");
    tmpl_add_funcs(t, funcs, 2);
    got = run(t,
              "{{range .list}}{{tpl \"<{{.}}>\" .}}{{end}} {{tpl \"{{len .}}\" .list}} "
              "{{.name}}",
              exec_data);
    assert_string_equal(got, "<1><two><3.5><<no value>> 4 World");
    tmpl_free(t);
}

/* --- the set API --- */

static void test_api(void **state)
{
    struct tmpl *t = tmpl_new("main");
    struct dbuf out = DBUF_INIT;
    struct verr e;

    (void)state;
    verr_clear(&e);
    /* executing before any parse */
    assert_int_not_equal(tmpl_execute(t, NULL, NULL, &out, &e), 0);
    assert_string_equal(e.msg, "template: main: \"main\" is an incomplete or empty template");
    assert_int_equal(tmpl_parse(t, "{{define \"a\"}}A{{end}}main", 26, &e), 0);
    assert_true(tmpl_has_template(t, "a"));
    assert_true(tmpl_has_template(t, "main"));
    assert_false(tmpl_has_template(t, "b"));
    assert_int_equal(tmpl_execute(t, "a", NULL, &out, &e), 0);
    assert_int_equal(tmpl_execute(t, NULL, NULL, &out, &e), 0);
    assert_string_equal(out.p, "Amain");
    assert_int_not_equal(tmpl_execute(t, "b", NULL, &out, &e), 0);
    assert_string_equal(e.msg, "template: no template \"b\" associated with template \"main\"");
    /* a later parse redefines; an empty redefinition keeps the old body */
    assert_int_equal(tmpl_parse(t, "{{define \"a\"}}B{{end}}", 22, &e), 0);
    assert_int_equal(tmpl_parse(t, "{{define \"a\"}} {{end}}", 22, &e), 0);
    dbuf_reset(&out);
    assert_int_equal(tmpl_execute(t, "a", NULL, &out, &e), 0);
    assert_string_equal(out.p, "B");
    /* a failed parse changes nothing */
    assert_int_equal(tmpl_parse(t, "{{define \"a\"}}C{{end}}{{if}}", 28, &e), VALS_EPARSE);
    dbuf_reset(&out);
    assert_int_equal(tmpl_execute(t, "a", NULL, &out, &e), 0);
    assert_string_equal(out.p, "B");
    /* options */
    assert_int_equal(tmpl_set_option(t, "missingkey=error", &e), 0);
    assert_int_equal(tmpl_set_option(t, "missingkey=bogus", &e), VALS_EUSAGE);
    assert_string_equal(e.msg, "unrecognized option: missingkey=bogus");
    dbuf_free(&out);
    tmpl_free(t);
}

static void test_missingkey(void **state)
{
    static const struct {
        enum tmpl_missingkey mode;
        const char *want;
    } cases[] = {
        {TMPL_MISSINGKEY_DEFAULT, "<no value>"},
        {TMPL_MISSINGKEY_ZERO, "<no value>"},
        {TMPL_MISSINGKEY_ERROR,
         "template: t:1:2: executing \"t\" at <.x>: map has no entry for key \"x\""},
    };

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        struct tmpl *t = tmpl_new("t");
        tmpl_set_missingkey(t, cases[i].mode);
        assert_string_equal(run(t, "{{.x}}", "{}"), cases[i].want);
        tmpl_free(t);
    }
}

static void test_delims(void **state)
{
    struct tmpl *t = tmpl_new("t");

    (void)state;
    assert_int_equal(tmpl_set_delims(t, "[[", "]]"), 0);
    assert_string_equal(run(t, "[[.name]] {{.name}} [[- \" x\" -]] y", exec_data),
                        "World {{.name}} xy");
    tmpl_free(t);
    t = tmpl_new("t");
    assert_int_equal(tmpl_set_delims(t, "", NULL), 0); /* defaults */
    assert_string_equal(run(t, "{{.name}}", exec_data), "World");
    tmpl_free(t);
}

static void test_limits(void **state)
{
    static const struct {
        const char *text;
        const char *want_prefix;
    } cases[] = {
        {"{{range 1000}}x{{end}}", "template: t:1:8: executing \"t\" at <1000>: range over 1000 "
                                   "exceeds the limit of 100 iterations"},
        {"{{printf \"%300d\" 1}}", "template: t:1:2: executing \"t\" at <printf \"%300d\" 1>: "
                                   "error calling printf: result exceeds the limit of 256 bytes"},
        {"{{range .list}}{{range .list}}{{range .list}}{{range .list}}{{range .list}}x{{end}}"
         "{{end}}{{end}}{{end}}{{end}}",
         "template: t:1:"},
        {"{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}",
         "template: t:1:25: executing \"r\" at <{{template \"r\"}}>: exceeded maximum template "
         "depth (10)"},
        {"{{if 1}}{{if 1}}{{if 1}}{{if 1}}{{if 1}}{{if 1}}{{end}}{{end}}{{end}}{{end}}{{end}}"
         "{{end}}",
         "template: t:1: nesting too deep (limit 5)"},
    };
    struct tmpl_limits l;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tmpl *t = tmpl_new("t");
        const char *got;
        tmpl_get_limits(t, &l);
        l.max_range = 100;
        l.max_output = 256;
        l.max_steps = 500;
        l.max_exec_depth = 10;
        l.max_nesting = 5;
        tmpl_set_limits(t, &l);
        got = run(t, cases[i].text, "{\"list\":[1,2,3,4,5,6,7,8,9,10]}");
        if (strncmp(got, cases[i].want_prefix, strlen(cases[i].want_prefix)) != 0)
            fail_msg("limits %s:\n got  %s\n want %s...", cases[i].text, got, cases[i].want_prefix);
        tmpl_free(t);
    }
    /* text size */
    {
        struct tmpl *t = tmpl_new("t");
        struct verr e;
        tmpl_get_limits(t, &l);
        l.max_text = 4;
        tmpl_set_limits(t, &l);
        assert_int_equal(tmpl_parse(t, "12345", 5, &e), VALS_ETOO_LARGE);
        tmpl_free(t);
    }
}

/* Output beyond max_output fails and names the limit. */
static void test_output_limit(void **state)
{
    struct tmpl *t = tmpl_new("t");
    struct tmpl_limits l;
    const char *got;

    (void)state;
    tmpl_get_limits(t, &l);
    l.max_output = 10;
    tmpl_set_limits(t, &l);
    got = run(t, "0123456789{{\"x\"}}", NULL);
    assert_string_equal(got, "template: t:1:12: executing \"t\" at <{{\"x\"}}>: output exceeds "
                             "the limit of 10 bytes");
    tmpl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexer),        cmocka_unit_test(test_lexer_lines),
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_exec),
        cmocka_unit_test(test_funcs_abi),    cmocka_unit_test(test_funcs_bad_names),
        cmocka_unit_test(test_mutators),     cmocka_unit_test(test_nested_executions),
        cmocka_unit_test(test_api),          cmocka_unit_test(test_missingkey),
        cmocka_unit_test(test_delims),       cmocka_unit_test(test_limits),
        cmocka_unit_test(test_output_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
