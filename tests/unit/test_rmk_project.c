/*
 * test_rmk_project.c - rmk's project identity rules (reference/rmk.md §1): tenant from the
 * origin URL, environment and config ID from the branch name; and the template-function
 * ref collector used for batching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "client/rmk-funcs.h"
#include "client/rmk-project.h"

static void test_tenant(void **state)
{
    static const struct {
        const char *url, *tenant;
    } cases[] = {
        {"git@github.com:edenlabllc/rmk-test.bootstrap.infra.git", "rmk-test"},
        {"https://github.com/edenlabllc/rmk-test.bootstrap.infra.git", "rmk-test"},
        {"https://github.com/edenlabllc/rmk-test.bootstrap.infra", "rmk-test"},
        {"ssh://git@host/x/simple.git/", "simple"},
        {"/srv/repos/acme.infra", "acme"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *t = NULL;
        assert_int_equal(rmk_tenant_from_url(cases[i].url, &t, NULL), 0);
        assert_string_equal(t, cases[i].tenant);
        free(t);
    }
}

static void test_branches(void **state)
{
    static const struct {
        const char *branch, *env, *id;
    } cases[] = {
        {"develop", "develop", "t-develop"},
        {"staging", "staging", "t-staging"},
        {"production", "production", "t-production"},
        {"feature/FFS-123-some-thing", "develop", "t-ffs-123"},
        {"feature/abc-1", "develop", "t-abc-1"},
        {"release/RL-42", "staging", "t-rl-42"},
        {"release/v1.2.3", "production", "t-v1-2-3"},
        {"release/v1.2.3-rc", "staging", "t-v1-2-3-rc"},
        {"hotfix/v2.0.1", "production", "t-v2-0-1"},
        {"hotfix/HF-7-fix", "production", "t-hf-7"},
        {"main", NULL, NULL},
        {"feature/nonumber", NULL, NULL},
        {"release/v1.2", NULL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *env = NULL, *id = NULL;
        struct verr e = {0};
        int rc = rmk_branch_environment(cases[i].branch, "t", &env, &id, &e);
        if (cases[i].env == NULL) {
            assert_int_equal(rc, VALS_EUSAGE);
            assert_non_null(strstr(e.msg, cases[i].branch));
            continue;
        }
        assert_int_equal(rc, 0);
        assert_string_equal(env, cases[i].env);
        assert_string_equal(id, cases[i].id);
        free(env);
        free(id);
    }
}

static void test_collect_refs(void **state)
{
    const char *text =
        "a: {{ fetchSecretValue \"ref+awssecrets://app#user?region=us-east-1\" }}\n"
        "b: '{{ fetchSecretValue \"ref+awssecrets://app#pass?region=us-east-1\" }}'\n"
        "c: {{ fetchSecretValue `ref+echo://raw` }}\n"
        "d: {{ fetchSecretValue \"ref+awssecrets://app#user?region=us-east-1\" }}\n"
        "e: {{ fetchSecretValue .var }}\n"
        "f: {{ fetchSecretValue \"not a ref\" }}\n"
        "g: ref+vault://kept#as-is\n";
    char **refs = NULL;
    size_t n = 0;
    (void)state;
    assert_int_equal(rmk_funcs_collect(text, strlen(text), &refs, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(refs[0], "ref+awssecrets://app#user?region=us-east-1");
    assert_string_equal(refs[1], "ref+awssecrets://app#pass?region=us-east-1");
    assert_string_equal(refs[2], "ref+echo://raw");
    rmk_strv_free(refs, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tenant),
        cmocka_unit_test(test_branches),
        cmocka_unit_test(test_collect_refs),
    };
    return cmocka_run_group_tests_name("rmk_project", tests, NULL, NULL);
}
