/*
 * test_ctx_scope.c - daemon/ctx.c's scope hashes, including the per-context memo that
 * spares a SHA-256 per cached lookup: every answer (first call, repeated calls, calls in
 * another order, an equal prefix list at another address, more lists than the memo
 * holds) must equal a scope computed independently here with OpenSSL from the
 * documented inputs (uid, then each matching variable's name and value, sorted by name).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "daemon/ctx.h"

/* Contexts: uid and NAME=value pairs (any order; contexts sort them). */
static const struct {
    unsigned uid;
    const char *vars[8];
} contexts[] = {
    {1000, {NULL}},
    {1000, {"AWS_PROFILE=dev", "VAULT_ADDR=http://127.0.0.1:8200", "GOOGLE_X=g", NULL}},
    {1000, {"VAULT_ADDR=http://127.0.0.1:8200", "AWS_PROFILE=prod", "GOOGLE_X=g", NULL}},
    {1001, {"AWS_PROFILE=dev", "VAULT_ADDR=http://127.0.0.1:8200", "GOOGLE_X=g", NULL}},
    {1000, {"A=1", "AB=2", "ABC=3", "SOPS_AGE_KEY=k", "AZURE_TENANT=t", NULL}},
};

/* Prefix lists: more than CTX_SCOPE_MEMO, with lists that extend one another. */
static const char *const l_none[] = {NULL};
static const char *const l_aws[] = {"AWS_", NULL};
static const char *const l_aws_vault[] = {"AWS_", "VAULT_", NULL};
static const char *const l_vault[] = {"VAULT_", NULL};
static const char *const l_vault_aws[] = {"VAULT_", "AWS_", NULL};
static const char *const l_google[] = {"GOOGLE_", NULL};
static const char *const l_azure[] = {"AZURE_", NULL};
static const char *const l_sops[] = {"SOPS_", NULL};
static const char *const l_a[] = {"A", NULL};
static const char *const l_ab[] = {"AB", NULL};
static const char *const l_a_ab[] = {"A", "AB", NULL};
static const char *const l_empty[] = {"", NULL};
static const char *const l_all[] = {"AWS_", "VAULT_", "GOOGLE_", "AZURE_", "SOPS_", NULL};

/* Longer lists first, so a list that begins another one is looked up after it. */
static const char *const *const lists[] = {
    l_aws_vault, l_aws,  l_vault_aws, l_vault, l_a_ab, l_a,   l_ab,
    NULL,        l_none, l_google,    l_azure, l_sops, l_all, l_empty,
};
#define NLISTS (sizeof(lists) / sizeof(lists[0]))

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The scope computed from first principles. */
static void reference_scope(size_t ci, const char *const *prefixes, char out[33])
{
    const char *sorted[8];
    size_t n = 0;
    unsigned char d[SHA256_DIGEST_LENGTH];
    char u[32];
    EVP_MD_CTX *h = EVP_MD_CTX_new();

    while (contexts[ci].vars[n] != NULL) {
        sorted[n] = contexts[ci].vars[n];
        n++;
    }
    /* "NAME=value" sorts like NAME here: '=' sorts before the letters and '_' of the names */
    qsort(sorted, n, sizeof(sorted[0]), cmp_str);
    assert_non_null(h);
    assert_int_equal(EVP_DigestInit_ex(h, EVP_sha256(), NULL), 1);
    snprintf(u, sizeof(u), "uid=%u", contexts[ci].uid);
    EVP_DigestUpdate(h, u, strlen(u) + 1);
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(sorted[i], '=');
        size_t nl = (size_t)(eq - sorted[i]);
        int keep = 0;
        for (size_t p = 0; prefixes != NULL && prefixes[p] != NULL; p++)
            if (strncmp(sorted[i], prefixes[p], strlen(prefixes[p])) == 0 &&
                strlen(prefixes[p]) <= nl)
                keep = 1;
        if (!keep)
            continue;
        EVP_DigestUpdate(h, sorted[i], nl);
        EVP_DigestUpdate(h, "", 1);
        EVP_DigestUpdate(h, eq + 1, strlen(eq + 1) + 1);
    }
    assert_int_equal(EVP_DigestFinal_ex(h, d, NULL), 1);
    EVP_MD_CTX_free(h);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static struct ctx *make_ctx(size_t ci)
{
    struct doc *env = doc_map();
    struct ctx *c = NULL;
    struct verr e = {0};

    assert_non_null(env);
    for (size_t i = 0; contexts[ci].vars[i] != NULL; i++) {
        const char *v = contexts[ci].vars[i], *eq = strchr(v, '=');
        assert_int_equal(doc_map_append(env, doc_str(v, (size_t)(eq - v)), doc_strz(eq + 1)), 0);
    }
    assert_int_equal(ctx_from_doc(contexts[ci].uid, env, &c, &e), 0);
    doc_free(env);
    return c;
}

/* Every context x list, three passes in different orders, plus equal lists at other
 * addresses: always the reference value. */
static void test_scope_matches_reference(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < sizeof(contexts) / sizeof(contexts[0]); ci++) {
        struct ctx *c = make_ctx(ci);
        for (int pass = 0; pass < 3; pass++) {
            for (size_t k = 0; k < NLISTS; k++) {
                size_t li = pass == 1 ? NLISTS - 1 - k : k;
                char got[33], want[33];
                ctx_scope(c, lists[li], got);
                reference_scope(ci, lists[li], want);
                assert_string_equal(got, want);
                if (pass == 2 && lists[li] != NULL) {
                    /* the same list content at another address, e.g. on the stack */
                    const char *copy[8];
                    size_t n = 0;
                    char buf[8][16];
                    for (; lists[li][n] != NULL; n++) {
                        snprintf(buf[n], sizeof(buf[n]), "%s", lists[li][n]);
                        copy[n] = buf[n];
                    }
                    copy[n] = NULL;
                    ctx_scope(c, copy, got);
                    assert_string_equal(got, want);
                }
            }
        }
        assert_true(c->nmemo <= CTX_SCOPE_MEMO);
        ctx_unref(c);
    }
}

/* What the scope is for: clients whose relevant variables agree share it, others not. */
static void test_scope_partitions(void **state)
{
    struct ctx *dev = make_ctx(1), *prod = make_ctx(2), *other_uid = make_ctx(3);
    char a[33], b[33];

    (void)state;
    ctx_scope(dev, l_vault, a); /* only AWS_PROFILE differs */
    ctx_scope(prod, l_vault, b);
    assert_string_equal(a, b);
    ctx_scope(dev, l_aws, a);
    ctx_scope(prod, l_aws, b);
    assert_string_not_equal(a, b);
    ctx_scope(dev, l_aws, a); /* again, from the memo */
    ctx_scope(prod, l_aws, b);
    assert_string_not_equal(a, b);
    ctx_scope(dev, NULL, a); /* same variables, another uid */
    ctx_scope(other_uid, NULL, b);
    assert_string_not_equal(a, b);
    ctx_unref(dev);
    ctx_unref(prod);
    ctx_unref(other_uid);
    assert_int_equal(ctx_count(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope_matches_reference),
        cmocka_unit_test(test_scope_partitions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
