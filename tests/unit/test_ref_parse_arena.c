/*
 * test_ref_parse_arena.c - ref_parse keeps a ref's strings in one block sized from the
 * body (lib/ref.c): the parts must come out right at the size limits (a body of
 * REF_MAX_LEN bytes whose path, host or fragment takes nearly all of it, escaped or not),
 * with and without a query (which lives outside the block), for the ARN special case, and
 * a body without "//" after its scheme (reachable through cache.clear's ref) must be an
 * error rather than a read past the body.  The grammar itself is tested row by row against
 * vals in test_ref.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/dbuf.h"
#include "lib/ref.h"

static const struct {
    const char *body;
    const char *scheme, *host, *path, *key, *fragment, *query;
} cases[] = {
    {"echo://foo/bar", "echo", "foo", "/bar", "foo/bar", NULL, ""},
    {"ECHO://foo/bar#/", "echo", "foo", "/bar", "foo/bar", NULL, ""},
    {"echo://foo/bar#//x", "echo", "foo", "/bar", "foo/bar", "/x", ""},
    {"vault://user:pw@host:8200/secret/x?b=2&a=1#/k", "vault", "host:8200", "/secret/x",
     "host:8200/secret/x", "k", "a=1&b=2"},
    {"vault://host/secret/x#k?version=3", "vault", "host", "/secret/x", "host/secret/x", "k",
     "version=3"},
    {"file:///etc/a%20b.yaml#/a%2Fb", "file", "", "/etc/a b.yaml", "/etc/a b.yaml", "a/b", ""},
    {"awssecrets://arn:aws:secretsmanager:eu-west-1:1:secret:db?region=eu-west-1", "awssecrets",
     "arn:aws:secretsmanager:eu-west-1:1:secret:db", "",
     "arn:aws:secretsmanager:eu-west-1:1:secret:db", NULL, "region=eu-west-1"},
    {"echo://h", "echo", "h", "", "h", NULL, ""},
};

static void check_str(const char *got, const char *want)
{
    if (want == NULL)
        assert_null(got);
    else
        assert_string_equal(got, want);
}

static void test_parts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ref r;
        struct verr e = {0};
        assert_int_equal(ref_parse(cases[i].body, strlen(cases[i].body), &r, &e), 0);
        assert_string_equal(r.body, cases[i].body);
        check_str(r.scheme, cases[i].scheme);
        check_str(r.host, cases[i].host);
        check_str(r.path, cases[i].path);
        check_str(r.key, cases[i].key);
        check_str(r.fragment, cases[i].fragment);
        check_str(r.query, cases[i].query);
        ref_free(&r);
        assert_null(r.body);
    }
}

/* Bodies of exactly REF_MAX_LEN bytes where one part takes almost everything. */
static void test_size_limits(void **state)
{
    static const char *const prefixes[] = {"echo://h/", "echo://", "echo://h/p#/", "echo://h/p?q="};
    struct dbuf b = DBUF_INIT, want = DBUF_INIT;

    (void)state;
    for (size_t pi = 0; pi < sizeof(prefixes) / sizeof(prefixes[0]); pi++) {
        for (int escaped = 0; escaped < 2; escaped++) {
            struct ref r;
            struct verr e = {0};
            dbuf_reset(&b);
            dbuf_reset(&want);
            assert_int_equal(dbuf_adds(&b, prefixes[pi]), 0);
            while (b.len < REF_MAX_LEN - (escaped ? 2 : 0)) {
                assert_int_equal(dbuf_adds(&b, escaped ? "%41" : "A"), 0);
                assert_int_equal(dbuf_addc(&want, 'A'), 0);
            }
            assert_true(b.len <= REF_MAX_LEN);
            if (pi == 1 && escaped) { /* in a host only %25 and escapes >= %80 are allowed */
                assert_int_equal(ref_parse(b.p, b.len, &r, &e), VALS_EBAD_REF);
                continue;
            }
            assert_int_equal(ref_parse(b.p, b.len, &r, &e), 0);
            switch (pi) {
            case 0: /* path */
                assert_int_equal(strlen(r.path), want.len + 1);
                assert_string_equal(r.path + 1, want.p);
                assert_int_equal(strlen(r.key), want.len + 2);
                break;
            case 1: /* host */
                assert_string_equal(r.host, want.p);
                assert_string_equal(r.key, want.p);
                break;
            case 2: /* fragment */
                assert_string_equal(r.fragment, want.p);
                break;
            default: /* query value (outside the block) */
                assert_int_equal(r.nparams, 1);
                assert_string_equal(r.params[0].value, want.p);
                assert_int_equal(strlen(r.query), 2 + want.len);
                break;
            }
            ref_free(&r);
        }
    }
    dbuf_free(&b);
    dbuf_free(&want);
}

/* Bodies ref_find would never produce (no "//" after the scheme): errors, not reads past
 * their end. */
static void test_no_slashes(void **state)
{
    static const char *const bodies[] = {"same:", "a:/x", "a:", "a:x//y", "x:#//y"};

    (void)state;
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct ref r;
        struct verr e = {0};
        /* copied to an exact-size block so ASan sees any read past the end */
        size_t n = strlen(bodies[i]);
        char *s = malloc(n);
        assert_non_null(s);
        memcpy(s, bodies[i], n);
        assert_int_equal(ref_parse(s, n, &r, &e), VALS_EBAD_REF);
        assert_non_null(strstr(e.msg, "parse \""));
        assert_null(r.body);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_no_slashes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
