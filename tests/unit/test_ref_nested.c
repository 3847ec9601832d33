/*
 * test_ref_nested.c - lib/ref_eval.c's nested-ref rewriting around its allocation
 * strategy: texts with fewer than two prefixes (returned unchanged, and skipped by
 * ref_eval_value without a lookup of anything but the ref itself), a few prefixes (stack
 * arrays), more prefixes than the stack arrays hold from the start, and a text that
 * grows past them after a substitution.  The lookup answers "<body>" and counts calls.
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

static int lookups;
static const char *grow_value; /* answer for body "echo://grow/it" */

/* "<body>", or grow_value for the body "echo://grow/it". */
static int lookup(void *ctx, const char *body, size_t len, int secret, struct doc **out,
                  struct verr *e)
{
    char buf[1024];

    (void)ctx;
    (void)secret;
    (void)e;
    lookups++;
    if (grow_value != NULL && len == 14 && memcmp(body, "echo://grow/it", 14) == 0) {
        *out = doc_strz(grow_value);
    } else {
        snprintf(buf, sizeof(buf), "<%.*s>", (int)len, body);
        *out = doc_strz(buf);
    }
    return *out != NULL ? 0 : VALS_ENOMEM;
}

/* space-separated refs "ref+echo://kI/v " for I in [from, to) */
static void add_refs(struct dbuf *b, int from, int to)
{
    for (int i = from; i < to; i++)
        assert_int_equal(dbuf_printf(b, "ref+echo://k%d/v ", i), 0);
}

static void check_nested(const char *in, const char *want, int want_lookups)
{
    struct ref_eval ev = {lookup, NULL, 0, 0, 0};
    struct verr e = {0};
    char *out = NULL;
    size_t outlen = 0;

    lookups = 0;
    assert_int_equal(ref_resolve_nested(&ev, in, strlen(in), &out, &outlen, &e), 0);
    assert_string_equal(out, want);
    assert_int_equal(outlen, strlen(want));
    assert_int_equal(lookups, want_lookups);
    free(out);
}

static void test_few_prefixes(void **state)
{
    (void)state;
    check_nested("", "", 0);
    check_nested("no refs", "no refs", 0);
    check_nested("ref+echo://a/b", "ref+echo://a/b", 0);
    check_nested("x secretref+echo://a/b y", "x secretref+echo://a/b y", 0);
    check_nested("ref+echo://ref+echo://x/y", "ref+echo://<echo://x/y>", 1);
    check_nested("ref+echo://ref+echo://ref+echo://x/y", "ref+echo://<echo://<echo://x/y>>", 2);
    check_nested("ref+echo://a/b ref+echo://c/d", "ref+echo://a/b ref+echo://c/d", 0);
}

/* More prefixes than the stack arrays hold, before and after the nested one. */
static void test_many_prefixes(void **state)
{
    struct dbuf in = DBUF_INIT, want = DBUF_INIT;

    (void)state;
    for (int n = 15; n <= 40; n += 25) {
        dbuf_reset(&in);
        dbuf_reset(&want);
        add_refs(&in, 0, n);
        add_refs(&want, 0, n);
        assert_int_equal(dbuf_adds(&in, "ref+echo://ref+echo://x/y "), 0);
        assert_int_equal(dbuf_adds(&want, "ref+echo://<echo://x/y> "), 0);
        add_refs(&in, 0, n);
        add_refs(&want, 0, n);
        check_nested(in.p, want.p, 1);
    }
    dbuf_free(&in);
    dbuf_free(&want);
}

/* Two prefixes at first; the substituted value brings 40 more, the first of which then
 * nests in the outer ref (no separator between them) and is resolved in round two. */
static void test_growing_text(void **state)
{
    struct dbuf v = DBUF_INIT, want = DBUF_INIT;

    (void)state;
    add_refs(&v, 0, 40);
    assert_int_equal(dbuf_adds(&v, "end"), 0);
    grow_value = v.p;
    assert_int_equal(dbuf_adds(&want, "ref+echo://<echo://k0/v> "), 0);
    add_refs(&want, 1, 40);
    assert_int_equal(dbuf_adds(&want, "end"), 0);
    check_nested("ref+echo://ref+echo://grow/it", want.p, 2);
    grow_value = NULL;
    dbuf_free(&v);
    dbuf_free(&want);
}

/* ref_eval_value on texts that cannot nest: the standalone ref is looked up once, an
 * embedded one expanded, a text without refs copied. */
static void test_eval_value_without_nesting(void **state)
{
    static const struct {
        const char *in, *want;
        int lookups;
    } cases[] = {
        {"ref+echo://a/b", "<echo://a/b>", 1},
        {"ref+echo://a/b+", "<echo://a/b>", 1},
        {"say ref+echo://a/b", "say <echo://a/b>", 1},
        {"plain", "plain", 0},
        {"ref+echo://a", "ref+echo://a", 0},
        {"ref+echo://a/b ref+echo://c/d", "<echo://a/b> <echo://c/d>", 2},
        {"ref+echo://ref+echo://x/y", "<echo://<echo://x/y>>", 2},
    };
    struct ref_eval ev = {lookup, NULL, 0, 0, 0};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct verr e = {0};
        struct doc *out = NULL;
        lookups = 0;
        assert_int_equal(ref_eval_value(&ev, cases[i].in, strlen(cases[i].in), &out, &e), 0);
        assert_int_equal(out->type, DOC_STR);
        assert_string_equal(out->v.s.ptr, cases[i].want);
        assert_int_equal(lookups, cases[i].lookups);
        doc_free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_few_prefixes),
        cmocka_unit_test(test_many_prefixes),
        cmocka_unit_test(test_growing_text),
        cmocka_unit_test(test_eval_value_without_nesting),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
