/*
 * test_ctx.c - daemon/ctx.c: credential contexts are interned (same uid and variables,
 * in any order, give the same object and id), reference counted (the live count returns
 * to where it was), looked up by exact name, and hashed into per-backend scopes that
 * depend only on the uid and the variables with the backend's prefixes.  Bad contexts are
 * refused with messages that name the variable but never its value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/ctx.h"

/* A context map from "NAME=value" strings (NULL-terminated list). */
static struct doc *env_of(const char *const *pairs)
{
    struct doc *m = doc_map();

    assert_non_null(m);
    for (size_t i = 0; pairs[i] != NULL; i++) {
        const char *eq = strchr(pairs[i], '=');
        assert_non_null(eq);
        assert_int_equal(
            doc_map_append(m, doc_str(pairs[i], (size_t)(eq - pairs[i])), doc_strz(eq + 1)), 0);
    }
    return m;
}

static struct ctx *ctx_of(uid_t uid, const char *const *pairs)
{
    struct doc *m = env_of(pairs);
    struct ctx *c = NULL;
    struct verr e = {0};

    assert_int_equal(ctx_from_doc(uid, m, &c, &e), 0);
    assert_non_null(c);
    doc_free(m);
    return c;
}

static int is_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Same uid + same variables (any order) = the same object; refs and the live count. */
static void test_interning(void **state)
{
    static const char *const a[] = {"AWS_REGION=eu-west-1", "VAULT_ADDR=http://v", "PWD=/w", NULL};
    static const char *const a_reordered[] = {"PWD=/w", "VAULT_ADDR=http://v",
                                              "AWS_REGION=eu-west-1", NULL};
    static const char *const b[] = {"AWS_REGION=eu-west-2", "VAULT_ADDR=http://v", "PWD=/w", NULL};
    static const char *const a_more[] = {"AWS_REGION=eu-west-1", "VAULT_ADDR=http://v", "PWD=/w",
                                         "X=", NULL};
    size_t base = ctx_count();
    struct ctx *c1, *c2, *c3, *c4, *c5;

    (void)state;
    c1 = ctx_of(1000, a);
    assert_int_equal(ctx_count(), base + 1);
    assert_int_equal(c1->refs, 1);
    assert_true(is_hex(c1->id, 16));
    assert_int_equal(c1->n, 3);
    c2 = ctx_of(1000, a_reordered);
    assert_ptr_equal(c1, c2);
    assert_int_equal(c1->refs, 2);
    assert_int_equal(ctx_count(), base + 1);
    c3 = ctx_of(1000, b);
    assert_ptr_not_equal(c1, c3);
    assert_string_not_equal(c1->id, c3->id);
    c4 = ctx_of(1001, a);
    assert_ptr_not_equal(c1, c4);
    assert_string_not_equal(c1->id, c4->id);
    c5 = ctx_of(1000, a_more); /* an extra (empty) variable is a different context */
    assert_ptr_not_equal(c1, c5);
    assert_int_equal(ctx_count(), base + 4);
    /* the variables are kept sorted by name */
    assert_string_equal(c1->vars[0].name, "AWS_REGION");
    assert_string_equal(c1->vars[1].name, "PWD");
    assert_string_equal(c1->vars[2].name, "VAULT_ADDR");

    assert_ptr_equal(ctx_ref(c3), c3);
    assert_int_equal(c3->refs, 2);
    ctx_unref(c3);
    ctx_unref(c3);
    assert_int_equal(ctx_count(), base + 3);
    ctx_unref(c2);
    assert_int_equal(ctx_count(), base + 3); /* c1 still holds it */
    ctx_unref(c1);
    ctx_unref(c4);
    ctx_unref(c5);
    assert_int_equal(ctx_count(), base);
    ctx_unref(NULL);

    /* after it died, the same content is interned afresh with the same id */
    c1 = ctx_of(1000, a);
    c2 = ctx_of(1000, b);
    assert_int_equal(c1->refs, 1);
    char id[17];
    memcpy(id, c1->id, 17);
    ctx_unref(c1);
    c1 = ctx_of(1000, a_reordered);
    assert_string_equal(c1->id, id);
    ctx_unref(c1);
    ctx_unref(c2);
    assert_int_equal(ctx_count(), base);
}

/* The empty context of a uid is interned too, and equals an empty map's. */
static void test_empty(void **state)
{
    static const char *const none[] = {NULL};
    size_t base = ctx_count();
    struct ctx *e1 = ctx_empty(42), *e2 = ctx_empty(42), *e3 = ctx_of(42, none),
               *e4 = ctx_empty(43);

    (void)state;
    assert_ptr_equal(e1, e2);
    assert_ptr_equal(e1, e3);
    assert_ptr_not_equal(e1, e4);
    assert_int_equal(e1->refs, 3);
    assert_int_equal(e1->n, 0);
    assert_null(ctx_get(e1, "PWD", 3));
    assert_int_equal(ctx_count(), base + 2);
    ctx_unref(e1);
    ctx_unref(e2);
    ctx_unref(e3);
    ctx_unref(e4);
    assert_int_equal(ctx_count(), base);
}

/* Lookups match whole names only. */
static void test_get(void **state)
{
    static const char *const vars[] = {"AWS_REGION=r", "AWS=short",   "AWS_REGIONS=long",
                                       "B=",           "PWD=/home/u", NULL};
    struct ctx *c = ctx_of(7, vars);
    static const struct {
        const char *name;
        size_t len;
        const char *want;
    } cases[] = {
        {"AWS_REGION", 10, "r"},
        {"AWS", 3, "short"},
        {"AWS_REGIONS", 11, "long"},
        {"B", 1, ""},
        {"PWD", 3, "/home/u"},
        {"AWS_REGIO", 9, NULL},
        {"AWS_", 4, NULL},
        {"A", 1, NULL},
        {"PWDX", 4, NULL},
        {"Z", 1, NULL},
        {"AWS_REGIONX", 10, "r"}, /* only the first len bytes */
        {"", 0, NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *v = ctx_get(c, cases[i].name, cases[i].len);
        if (cases[i].want == NULL) {
            if (v != NULL)
                fail_msg("ctx_get(%.*s) = %s", (int)cases[i].len, cases[i].name, v);
        } else {
            assert_non_null(v);
            assert_string_equal(v, cases[i].want);
        }
    }
    ctx_unref(c);
}

/* Binary search over many variables finds each one. */
static void test_get_many(void **state)
{
    struct doc *m = doc_map();
    struct ctx *c = NULL;
    struct verr e = {0};
    char name[32], value[32];

    (void)state;
    for (int i = 0; i < CTX_MAX_VARS; i++) {
        snprintf(name, sizeof(name), "VAR_%03d", (i * 37) % CTX_MAX_VARS);
        snprintf(value, sizeof(value), "value-%d", (i * 37) % CTX_MAX_VARS);
        doc_map_append(m, doc_strz(name), doc_strz(value));
    }
    assert_int_equal(ctx_from_doc(5, m, &c, &e), 0);
    assert_int_equal(c->n, CTX_MAX_VARS);
    for (int i = 0; i < CTX_MAX_VARS; i++) {
        snprintf(name, sizeof(name), "VAR_%03d", i);
        snprintf(value, sizeof(value), "value-%d", i);
        assert_string_equal(ctx_get(c, name, strlen(name)), value);
    }
    assert_null(ctx_get(c, "VAR_", 4));
    assert_null(ctx_get(c, "VAR_9999", 8));
    ctx_unref(c);
    doc_free(m);
}

/* Scopes: only the uid and the variables with the backend's prefixes count. */
static void test_scope(void **state)
{
    static const char *const aws[] = {"AWS_", NULL};
    static const char *const vault[] = {"VAULT_", "BAO_", NULL};
    static const char *const base_vars[] = {"AWS_REGION=eu-west-1", "AWS_PROFILE=dev",
                                            "VAULT_TOKEN=t1", "HOME=/h", NULL};
    static const char *const other_vault[] = {"AWS_REGION=eu-west-1", "AWS_PROFILE=dev",
                                              "VAULT_TOKEN=t2", "HOME=/h", NULL};
    static const char *const other_aws[] = {"AWS_REGION=eu-west-2", "AWS_PROFILE=dev",
                                            "VAULT_TOKEN=t1", "HOME=/h", NULL};
    static const char *const other_home[] = {"AWS_REGION=eu-west-1", "AWS_PROFILE=dev",
                                             "VAULT_TOKEN=t1", "HOME=/x", NULL};
    static const char *const with_bao[] = {"AWS_REGION=eu-west-1", "AWS_PROFILE=dev",
                                           "VAULT_TOKEN=t1",       "HOME=/h",
                                           "BAO_TOKEN=b",          NULL};
    static const char *const no_aws[] = {"VAULT_TOKEN=t1", "HOME=/h", NULL};
    /* name/value boundaries cannot be shifted to fake a match */
    static const char *const shifted_a[] = {"AWS_A=BC", NULL};
    static const char *const shifted_b[] = {"AWS_AB=C", NULL};
    struct ctx *c0 = ctx_of(1000, base_vars), *cv = ctx_of(1000, other_vault),
               *ca = ctx_of(1000, other_aws), *ch = ctx_of(1000, other_home),
               *cb = ctx_of(1000, with_bao), *cn = ctx_of(1000, no_aws),
               *cu = ctx_of(1001, base_vars), *ce = ctx_empty(1000), *sa = ctx_of(1000, shifted_a),
               *sb = ctx_of(1000, shifted_b);
    char s0[33], s1[33];

    (void)state;
    ctx_scope(c0, aws, s0);
    assert_true(is_hex(s0, 32));
    ctx_scope(cv, aws, s1);
    assert_string_equal(s0, s1); /* a different Vault token does not split AWS entries */
    ctx_scope(ch, aws, s1);
    assert_string_equal(s0, s1);
    ctx_scope(ca, aws, s1);
    assert_string_not_equal(s0, s1);
    ctx_scope(cu, aws, s1);
    assert_string_not_equal(s0, s1); /* never shared across users */

    ctx_scope(c0, vault, s0);
    ctx_scope(cv, vault, s1);
    assert_string_not_equal(s0, s1);
    ctx_scope(ca, vault, s1);
    assert_string_equal(s0, s1);
    ctx_scope(cb, vault, s1); /* the second prefix counts as well */
    assert_string_not_equal(s0, s1);

    /* no prefixes: the scope is the uid alone */
    ctx_scope(c0, NULL, s0);
    ctx_scope(ce, NULL, s1);
    assert_string_equal(s0, s1);
    ctx_scope(cu, NULL, s1);
    assert_string_not_equal(s0, s1);
    /* a context without any AWS_ variable has the uid's AWS scope */
    ctx_scope(cn, aws, s0);
    ctx_scope(ce, aws, s1);
    assert_string_equal(s0, s1);
    ctx_scope(ce, NULL, s0);
    assert_string_equal(s0, s1);

    ctx_scope(sa, aws, s0);
    ctx_scope(sb, aws, s1);
    assert_string_not_equal(s0, s1);

    struct ctx *all[] = {c0, cv, ca, ch, cb, cn, cu, ce, sa, sb};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        ctx_unref(all[i]);
}

struct bad_case {
    const char *what;
    int code;
    const char *words; /* the message contains this */
};

/* Contexts that are refused: wrong shape, bad names or values, too many, too long. */
static void test_refused(void **state)
{
    static const struct bad_case cases[] = {
        {"not a map", VALS_EBAD_REQUEST, "map"},
        {"int value", VALS_EBAD_REQUEST, "string"},
        {"int name", VALS_EBAD_REQUEST, "string"},
        {"empty name", VALS_EBAD_REQUEST, "non-empty"},
        {"NUL in value", VALS_EBAD_REQUEST, "string"},
        {"NUL in name", VALS_EBAD_REQUEST, "string"},
        {"null value", VALS_EBAD_REQUEST, "string"},
        {"duplicate", VALS_EBAD_REQUEST, "DUP given twice"},
        {"too many", VALS_ETOO_LARGE, "512"},
        {"too long", VALS_ETOO_LARGE, "LONG_SECRET"},
    };
    size_t base = ctx_count();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct doc *m = doc_map();
        struct ctx *c = (struct ctx *)1;
        struct verr e = {0};
        char *big = NULL;
        int rc;

        switch (i) {
        case 0:
            doc_free(m);
            m = doc_strz("AWS_REGION=x");
            break;
        case 1:
            doc_map_append(m, doc_strz("A"), doc_int(1));
            break;
        case 2:
            doc_map_append(m, doc_int(1), doc_strz("x"));
            break;
        case 3:
            doc_map_append(m, doc_strz(""), doc_strz("x"));
            break;
        case 4:
            doc_map_append(m, doc_strz("A"), doc_str("se\0cret", 7));
            break;
        case 5:
            doc_map_append(m, doc_str("A\0B", 3), doc_strz("x"));
            break;
        case 6:
            doc_map_append(m, doc_strz("A"), doc_null());
            break;
        case 7:
            doc_map_append(m, doc_strz("DUP"), doc_strz("1"));
            doc_map_append(m, doc_strz("OTHER"), doc_strz("2"));
            doc_map_append(m, doc_strz("DUP"), doc_strz("3"));
            break;
        case 8:
            for (int k = 0; k <= CTX_MAX_VARS; k++) {
                char name[16];
                snprintf(name, sizeof(name), "V%d", k);
                doc_map_append(m, doc_strz(name), doc_strz("v"));
            }
            break;
        case 9:
            big = malloc(CTX_MAX_VALUE + 2);
            memset(big, 'S', CTX_MAX_VALUE + 1);
            big[CTX_MAX_VALUE + 1] = '\0';
            doc_map_append(m, doc_strz("OK"), doc_strz("fine"));
            doc_map_append(m, doc_strz("LONG_SECRET"), doc_strz(big));
            break;
        }
        rc = ctx_from_doc(1000, m, &c, &e);
        if (rc != cases[i].code)
            fail_msg("%s: rc %d (%s)", cases[i].what, rc, e.msg);
        assert_null(c);
        assert_int_equal(e.code, rc);
        if (strstr(e.msg, cases[i].words) == NULL)
            fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].what, e.msg, cases[i].words);
        /* never the value */
        assert_null(strstr(e.msg, "cret"));
        assert_null(strstr(e.msg, "SSSS"));
        assert_int_equal(ctx_count(), base);
        doc_free(m);
        free(big);
    }
    /* exactly the limits are fine */
    struct doc *m = doc_map();
    char *big = malloc(CTX_MAX_VALUE + 1);
    struct ctx *c = NULL;
    struct verr e = {0};
    memset(big, 'v', CTX_MAX_VALUE);
    big[CTX_MAX_VALUE] = '\0';
    doc_map_append(m, doc_strz("MAX"), doc_strz(big));
    for (int k = 1; k < CTX_MAX_VARS; k++) {
        char name[16];
        snprintf(name, sizeof(name), "V%d", k);
        doc_map_append(m, doc_strz(name), doc_strz("v"));
    }
    assert_int_equal(ctx_from_doc(1000, m, &c, &e), 0);
    assert_int_equal(c->n, CTX_MAX_VARS);
    assert_int_equal(strlen(ctx_get(c, "MAX", 3)), CTX_MAX_VALUE);
    ctx_unref(c);
    doc_free(m);
    free(big);
    assert_int_equal(ctx_count(), base);
}

/* Comment pairs (a context read from YAML) are skipped. */
static void test_comments_skipped(void **state)
{
    struct doc *m = doc_map();
    struct ctx *c = NULL, *plain;
    struct verr e = {0};
    static const char *const vars[] = {"A=1", NULL};

    (void)state;
    doc_map_append(m, doc_comment(" a comment", 10), NULL);
    doc_map_append(m, doc_strz("A"), doc_strz("1"));
    assert_int_equal(ctx_from_doc(3, m, &c, &e), 0);
    assert_int_equal(c->n, 1);
    plain = ctx_of(3, vars);
    assert_ptr_equal(c, plain);
    ctx_unref(c);
    ctx_unref(plain);
    doc_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interning),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_get_many),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_comments_skipped),
    };

    return cmocka_run_group_tests_name("ctx", tests, NULL, NULL);
}
