/*
 * test_sops_config.c - .sops.yaml creation rules (first match by path_regex, age as string,
 * folded string or list, key_groups, selection rules, stores indent, errors) and where age
 * identities are looked for (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, the default
 * keys.txt) with the error that lists them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/sops.h"

#define R1 "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29"
#define R2 "age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph"
#define R3 "age1rh2xsjg8avja92j3jhtttuczgmqkz89lezxt4e3mmp5ukl5j4f9smvteju"
#define K1 "AGE-SECRET-KEY-1RH87A5Z54ZGUR9S0AS3R6WHFSEFNPLYMAKF5Z2CEU7R06VRJ0A3Q7242AM"
#define K2 "AGE-SECRET-KEY-10U7MAELH09KZU63F65P2TYLN7TQM5X6GSDDCQ4YMUGDS3DS6XZMSTYY2PN"

static const char example[] = "creation_rules:\n"
                              "  - path_regex: secrets/.*\\.ya?ml$\n"
                              "    encrypted_regex: ^(data|stringData)$\n"
                              "    age: >-\n"
                              "      " R1 ",\n"
                              "      " R2 "\n"
                              "  - path_regex: shared/.*\n"
                              "    shamir_threshold: 2\n"
                              "    key_groups:\n"
                              "      - age: [" R1 "]\n"
                              "      - age:\n"
                              "          - " R2 ", " R3 "\n"
                              "  - path_regex: list/\n"
                              "    mac_only_encrypted: true\n"
                              "    age: [" R3 ", " R1 "]\n"
                              "  - age: " R3 "   # fallback\n"
                              "stores:\n"
                              "  yaml:\n"
                              "    indent: 2\n"
                              "  json:\n"
                              "    indent: 4\n";

static void test_config_rules(void **state)
{
    static const struct {
        const char *config, *path;
        int err; /* expected error, 0 for success */
        const char *says;
        size_t ngroups, nage0, nage1;
        enum sops_rule rule;
        const char *rule_value;
        int threshold, mac_only;
    } cases[] = {
        {example, "secrets/app.yaml", 0, NULL, 1, 2, 0, SOPS_RULE_ENCRYPTED_REGEX,
         "^(data|stringData)$", 0, 0},
        {example, "env/secrets/app.yml", 0, NULL, 1, 2, 0, SOPS_RULE_ENCRYPTED_REGEX,
         "^(data|stringData)$", 0, 0}, /* unanchored search */
        {example, "shared/x.json", 0, NULL, 2, 1, 2, SOPS_RULE_DEFAULT, NULL, 2, 0},
        {example, "list/a.env", 0, NULL, 1, 2, 0, SOPS_RULE_DEFAULT, NULL, 0, 1},
        {example, "other.yaml", 0, NULL, 1, 1, 0, SOPS_RULE_DEFAULT, NULL, 0, 0},
        {"creation_rules:\n  - path_regex: only/\n    age: " R1 "\n", "x.yaml", VALS_EPARSE,
         "no creation rule matches x.yaml", 0, 0, 0, 0, NULL, 0, 0},
        {"creation_rules:\n  - age: " R1 "\n    encrypted_regex: a\n    unencrypted_suffix: b\n",
         "x.yaml", VALS_EPARSE, "more than one", 0, 0, 0, 0, NULL, 0, 0},
        {"creation_rules:\n  - pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n", "x.yaml",
         VALS_EUSAGE, "uses pgp keys", 0, 0, 0, 0, NULL, 0, 0},
        {"creation_rules:\n  - age: age1notakey\n", "x.yaml", VALS_EPARSE, "creation_rules[0]", 0,
         0, 0, 0, NULL, 0, 0},
        {"creation_rules:\n  - path_regex: '('\n    age: " R1 "\n", "x.yaml", VALS_EPARSE,
         "path_regex", 0, 0, 0, 0, NULL, 0, 0},
        {"stores: {}\n", "x.yaml", VALS_EPARSE, "no creation_rules", 0, 0, 0, 0, NULL, 0, 0},
        {"creation_rules:\n  - path_regex: x\n", "x.yaml", VALS_EUSAGE, "no age recipients", 0, 0,
         0, 0, NULL, 0, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sops_create c;
        struct verr e;
        int r = sops_config_parse(cases[i].config, strlen(cases[i].config), ".sops.yaml",
                                  cases[i].path, &c, &e);
        if (r != cases[i].err)
            fail_msg("case %zu: got %d (%s)", i, r, verr_text(&e));
        if (r != 0) {
            if (strstr(e.msg, cases[i].says) == NULL)
                fail_msg("case %zu: \"%s\" does not say \"%s\"", i, e.msg, cases[i].says);
            continue;
        }
        assert_int_equal(c.ngroups, cases[i].ngroups);
        assert_int_equal(c.groups[0].nage, cases[i].nage0);
        if (c.ngroups > 1)
            assert_int_equal(c.groups[1].nage, cases[i].nage1);
        assert_int_equal(c.rule, cases[i].rule);
        if (cases[i].rule_value != NULL)
            assert_string_equal(c.rule_value, cases[i].rule_value);
        assert_int_equal(c.shamir_threshold, cases[i].threshold);
        assert_int_equal(c.mac_only_encrypted, cases[i].mac_only);
        assert_int_equal(c.yaml_indent, cases[i].config == example ? 2 : 4);
        assert_int_equal(c.json_indent, cases[i].config == example ? 4 : SOPS_JSON_INDENT_TAB);
        sops_create_clear(&c);
    }
}

static char tmpdir[256];

static void write_file(const char *rel, const char *text, int mode)
{
    char p[512];
    FILE *f;

    snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
    assert_non_null(f = fopen(p, "w"));
    fputs(text, f);
    fclose(f);
    chmod(p, (mode_t)mode);
}

static void test_config_found_upwards(void **state)
{
    char p[512], *cfg = NULL;
    struct sops_create c;
    struct verr e;
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sops_config.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    snprintf(p, sizeof(p), "%s/env", tmpdir);
    mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/env/prod", tmpdir);
    mkdir(p, 0700);
    write_file(".sops.yaml",
               "creation_rules:\n  - path_regex: ^env/prod/.*\\.yaml$\n    age: " R1 "\n"
               "  - path_regex: ^env/\n    age: " R2 "\n",
               0644);
    snprintf(p, sizeof(p), "%s/env/prod/app.yaml", tmpdir);
    assert_int_equal(sops_config_for_file(p, &c, &cfg, &e), 0);
    assert_int_equal(c.ngroups, 1);
    assert_non_null(strstr(cfg, ".sops.yaml"));
    {
        char r[AGE_RECIPIENT_STRLEN + 1];
        age_recipient_format(&c.groups[0].age[0], r);
        assert_string_equal(r, R1); /* matched relative to the config's directory */
    }
    sops_create_clear(&c);
    free(cfg);
    snprintf(p, sizeof(p), "%s/env/prod/app.json", tmpdir);
    assert_int_equal(sops_config_for_file(p, &c, NULL, &e), 0);
    {
        char r[AGE_RECIPIENT_STRLEN + 1];
        age_recipient_format(&c.groups[0].age[0], r);
        assert_string_equal(r, R2);
    }
    sops_create_clear(&c);
    assert_int_equal(sops_config_for_file("/proc/1/none.yaml", &c, NULL, &e), VALS_ENOT_FOUND);
}

static void clear_env(void)
{
    unsetenv("SOPS_AGE_KEY");
    unsetenv("SOPS_AGE_KEY_FILE");
    unsetenv("SOPS_AGE_KEY_CMD");
    unsetenv("XDG_CONFIG_HOME");
}

static void test_identities(void **state)
{
    char p[512], dir[512];
    struct sops_identities ids;
    struct verr e;
    (void)state;
    /* nothing anywhere: the error lists every location */
    clear_env();
    setenv("HOME", tmpdir, 1);
    assert_int_equal(sops_identities_load(&ids, &e), VALS_ENOKEY);
    assert_non_null(strstr(e.msg, "SOPS_AGE_KEY (not set)"));
    assert_non_null(strstr(e.msg, "SOPS_AGE_KEY_FILE (not set)"));
    assert_non_null(strstr(e.msg, "SOPS_AGE_KEY_CMD (not set)"));
    assert_non_null(strstr(e.msg, "/.config/sops/age/keys.txt (not found)"));
    /* SOPS_AGE_KEY, several keys on a line */
    setenv("SOPS_AGE_KEY", "# test keys\n" K1 " " K2 "\n", 1);
    assert_int_equal(sops_identities_load(&ids, &e), 0);
    assert_int_equal(ids.n, 2);
    sops_identities_free(&ids);
    /* SOPS_AGE_KEY_FILE, plus a broken SOPS_AGE_KEY: the file still counts */
    write_file("k1.txt", "# created: 2024-01-01T00:00:00Z\n# public key: " R1 "\n" K1 "\n", 0600);
    snprintf(p, sizeof(p), "%s/k1.txt", tmpdir);
    setenv("SOPS_AGE_KEY", "not a key", 1);
    setenv("SOPS_AGE_KEY_FILE", p, 1);
    assert_int_equal(sops_identities_load(&ids, &e), 0);
    assert_int_equal(ids.n, 1);
    assert_non_null(strstr(ids.tried, "SOPS_AGE_KEY_FILE="));
    sops_identities_free(&ids);
    /* SOPS_AGE_KEY_CMD: run without a shell, quotes honoured */
    clear_env();
    snprintf(dir, sizeof(dir), "cat '%s/k1.txt'", tmpdir);
    setenv("SOPS_AGE_KEY_CMD", dir, 1);
    assert_int_equal(sops_identities_load(&ids, &e), 0);
    assert_int_equal(ids.n, 1);
    sops_identities_free(&ids);
    setenv("SOPS_AGE_KEY_CMD", "false", 1);
    assert_int_equal(sops_identities_load(&ids, &e), VALS_ENOKEY);
    assert_non_null(strstr(e.msg, "SOPS_AGE_KEY_CMD (SOPS_AGE_KEY_CMD (false) failed"));
    /* the default file under XDG_CONFIG_HOME */
    clear_env();
    snprintf(dir, sizeof(dir), "%s/xdg", tmpdir);
    mkdir(dir, 0700);
    snprintf(p, sizeof(p), "%s/xdg/sops", tmpdir);
    mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/xdg/sops/age", tmpdir);
    mkdir(p, 0700);
    write_file("xdg/sops/age/keys.txt", K2 "\n", 0600);
    setenv("XDG_CONFIG_HOME", dir, 1);
    assert_int_equal(sops_identities_load(&ids, &e), 0);
    assert_int_equal(ids.n, 1);
    sops_identities_free(&ids);
    /* a bad default file is an error that names it */
    write_file("xdg/sops/age/keys.txt", "garbage\n", 0600);
    assert_int_equal(sops_identities_load(&ids, &e), VALS_ENOKEY);
    assert_non_null(strstr(e.msg, "keys.txt"));
    clear_env();
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int cleanup(void **state)
{
    (void)state;
    if (tmpdir[0] != '\0')
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_rules),
        cmocka_unit_test(test_config_found_upwards),
        cmocka_unit_test(test_identities),
    };
    return cmocka_run_group_tests_name("sops_config", tests, NULL, cleanup);
}
