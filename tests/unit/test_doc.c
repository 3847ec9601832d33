/*
 * test_doc.c - unit tests of the document model: YAML/JSON/msgpack round trips, types,
 * key order, comments, Go-style float formatting, limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/doc.h"
#include "lib/doc_msgpack.h"

static struct doc *yaml1(const char *text, int flags)
{
    struct doc_stream s;
    struct verr e;
    struct doc *d;

    assert_int_equal(doc_parse_yaml(text, strlen(text), "t.yaml", flags, &s, &e), 0);
    assert_int_equal(s.len, 1);
    d = s.docs[0];
    s.docs[0] = NULL;
    s.len = 0;
    doc_stream_free(&s);
    return d;
}

static void test_yaml_types(void **state)
{
    struct doc *d = yaml1("s: hello\ni: 42\nneg: -7\nhex: 0x1f\nf: 1.5\nb: true\nn: null\nt: "
                          "2025-01-01\nq: '42'\nbig: 18446744073709551615\nempty:\n",
                          0);
    (void)state;
    assert_int_equal(doc_map_getz(d, "s")->type, DOC_STR);
    assert_int_equal(doc_map_getz(d, "i")->v.i, 42);
    assert_int_equal(doc_map_getz(d, "neg")->v.i, -7);
    assert_int_equal(doc_map_getz(d, "hex")->v.i, 31);
    assert_true(doc_map_getz(d, "f")->v.f == 1.5);
    assert_int_equal(doc_map_getz(d, "b")->type, DOC_BOOL);
    assert_int_equal(doc_map_getz(d, "n")->type, DOC_NULL);
    assert_int_equal(doc_map_getz(d, "t")->type, DOC_STR);
    assert_int_equal(doc_map_getz(d, "q")->type, DOC_STR);
    assert_int_equal(doc_map_getz(d, "big")->type, DOC_UINT);
    assert_int_equal(doc_map_getz(d, "empty")->type, DOC_NULL);
    assert_string_equal(d->v.map.items[0].key->v.s.ptr, "s");
    assert_string_equal(d->v.map.items[10].key->v.s.ptr, "empty");
    doc_free(d);
}

static void test_yaml_roundtrip(void **state)
{
    const char *in = "# head\nz: 1\na:\n  # inner\n  b: two words\n  c: 'true'\n  l:\n    - x\n"
                     "    - k: v\n      k2: v2\nmulti: |\n  line1\n  line2\nf: 1.0\ne: ''\n";
    const char *want = "# head\nz: 1\na:\n  # inner\n  b: two words\n  c: 'true'\n  l:\n    - x\n"
                       "    - k: v\n      k2: v2\nmulti: |\n  line1\n  line2\nf: 1.0\ne: ''\n";
    struct doc *d = yaml1(in, DOC_YAML_COMMENTS);
    struct dbuf out = DBUF_INIT;
    (void)state;
    assert_int_equal(doc_emit_yaml(d, &out, 0), 0);
    assert_string_equal(out.p, want);
    dbuf_free(&out);
    doc_free(d);
}

static void test_yaml_errors(void **state)
{
    struct doc_stream s;
    struct verr e;
    (void)state;
    assert_int_equal(doc_parse_yaml("a: 1\na: 2\n", 10, "dup.yaml", 0, &s, &e), VALS_EPARSE);
    assert_non_null(strstr(e.msg, "dup.yaml:2"));
    assert_non_null(strstr(e.msg, "already defined"));
    assert_int_equal(doc_parse_yaml("a: [1\n", 6, "x.yaml", 0, &s, &e), VALS_EPARSE);
    assert_non_null(strstr(e.msg, "x.yaml:"));
    /* billion laughs is bounded */
    const char *bomb =
        "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    assert_int_equal(doc_parse_yaml(bomb, strlen(bomb), "bomb.yaml", 0, &s, &e), VALS_ETOO_LARGE);
}

static void test_yaml_multidoc_merge(void **state)
{
    struct doc_stream s;
    struct verr e;
    const char *in = "base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  y: 3\n---\n- a\n---\nfoo\n";
    (void)state;
    assert_int_equal(doc_parse_yaml(in, strlen(in), "m.yaml", 0, &s, &e), 0);
    assert_int_equal(s.len, 3);
    struct doc *use = doc_map_getz(s.docs[0], "use");
    assert_int_equal(doc_map_getz(use, "x")->v.i, 1);
    assert_int_equal(doc_map_getz(use, "y")->v.i, 3);
    assert_int_equal(s.docs[1]->type, DOC_LIST);
    assert_int_equal(s.docs[2]->type, DOC_STR);
    doc_stream_free(&s);
}

static void test_json(void **state)
{
    const char *in = "{\"b\":1,\"a\":[true,null,1.5,\"x\\u00e9\\n<\"],\"n\":-3,\"e\":1e300}";
    struct doc *d = NULL;
    struct verr e;
    struct dbuf out = DBUF_INIT;
    (void)state;
    assert_int_equal(doc_parse_json(in, strlen(in), "t.json", &d, &e), 0);
    assert_int_equal(doc_emit_json(d, &out, 0), 0);
    assert_string_equal(
        out.p, "{\"b\":1,\"a\":[true,null,1.5,\"x\xc3\xa9\\n\\u003c\"],\"n\":-3,\"e\":1e+300}");
    dbuf_reset(&out);
    assert_int_equal(doc_emit_json(d, &out, DOC_JSON_SORT_KEYS | DOC_JSON_PRETTY), 0);
    assert_true(strncmp(out.p, "{\n  \"a\": [\n    true,", 20) == 0);
    dbuf_free(&out);
    doc_free(d);
    assert_int_equal(doc_parse_json("{\"a\":}", 6, "bad.json", &d, &e), VALS_EPARSE);
    assert_non_null(strstr(e.msg, "bad.json:1:6"));
    assert_int_equal(doc_parse_json("[1] x", 5, "bad.json", &d, &e), VALS_EPARSE);
}

static void test_floats(void **state)
{
    static const struct {
        double f;
        const char *g, *fixed, *json;
    } cases[] = {
        {1.5, "1.5", "1.5", "1.5"},
        {100.0, "100", "100", "100"},
        {1e6, "1e+06", "1000000", "1000000"},
        {123456789.0, "1.23456789e+08", "123456789", "123456789"},
        {0.1, "0.1", "0.1", "0.1"},
        {1e-7, "1e-07", "0.0000001", "1e-7"},
        {1e21, "1e+21", "1000000000000000000000", "1e+21"},
        {-0.00001, "-1e-05", "-0.00001", "-0.00001"},
        {3.0e-5, "3e-05", "0.00003", "0.00003"},
    };
    char buf[400];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        doc_format_float(cases[i].f, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].g);
        doc_format_float_fixed(cases[i].f, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].fixed);
        doc_format_float_json(cases[i].f, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].json);
    }
}

static void test_msgpack_roundtrip(void **state)
{
    struct doc *d = yaml1("a: [1, -2, 2.5, true, null, s]\nb: {c: d}\n", 0), *back = NULL;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    (void)state;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(doc_pack(d, &pk), 0);
    assert_int_equal(doc_unpack(sb.data, sb.size, &back, NULL), 0);
    assert_true(doc_equal(d, back));
    msgpack_sbuffer_destroy(&sb);
    doc_free(d);
    doc_free(back);
}

static void test_format_gov(void **state)
{
    struct doc *d = yaml1("z: [x, 1]\na: true\nm: {k: v}\n", 0);
    struct dbuf out = DBUF_INIT;
    (void)state;
    assert_int_equal(doc_format_gov(d, &out), 0);
    assert_string_equal(out.p, "map[a:true m:map[k:v] z:[x 1]]");
    dbuf_free(&out);
    doc_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_types),
        cmocka_unit_test(test_yaml_roundtrip),
        cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_yaml_multidoc_merge),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_msgpack_roundtrip),
        cmocka_unit_test(test_format_gov),
    };
    return cmocka_run_group_tests_name("doc", tests, NULL, NULL);
}
