/*
 * test_sops.c - unit tests of lib/sops*: known answers of sops-age.md §2.2/§2.4, every
 * age-keyed file written by real sops (decrypts, MAC verifies, and writing it back with the
 * same data key gives the same bytes), tampering (value, tag, MAC, lastmodified, recipient
 * block, moved value) named in the error, round trips of all four stores with comments and
 * key order, selection rules, key groups with Shamir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/sops.h"
#include "lib/sops_int.h"

static char *data_path(const char *name)
{
    const char *dir = getenv("VALS_TEST_DATA");
    static char buf[1024];

    snprintf(buf, sizeof(buf), "%s/sops/%s", dir != NULL ? dir : "tests/data", name);
    return buf;
}

static void slurp(const char *name, struct dbuf *out)
{
    FILE *f = fopen(data_path(name), "rb");
    char buf[4096];
    size_t n;

    assert_non_null(f);
    dbuf_init(out, 0);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        assert_int_equal(dbuf_add(out, buf, n), 0);
    fclose(f);
}

static void load_ids(const char *keyfile, struct sops_identities *ids)
{
    struct dbuf t = DBUF_INIT;
    struct verr e;

    slurp(keyfile, &t);
    assert_int_equal(sops_identities_from_text(ids, t.p, t.len, keyfile, &e), 0);
    dbuf_free(&t);
}

/* --- known answers (§2.2, §2.4) --- */

static void seq_bytes(uint8_t *b, size_t n, uint8_t start)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(start + i);
}

static void test_value_known_answers(void **state)
{
    static const struct {
        const char *yaml; /* "k: v" parsed to get the value's type */
        const char *aad;
        const char *data, *tag, *type;
    } cases[] = {
        {"v: hello", "a:b:", "f6SdJOI=", "TEFu+ejkdT0ijPtelDWwfg==", "str"},
        {"v: 42", "n:", "I/M=", "UzMwOWR3/DEzgoo5/g7l1A==", "int"},
        {"v: true", "flag:", "Q7OELQ==", "OAxCU+J6nicSCpxmQvT0Cw==", "bool"},
        {"v: false", "list:", "UaCdO+g=", "5WiPGmcapk8frdpINeyTrw==", "bool"},
        {"v: 1.5", "f:", "Ju/E", "uJBeK8Rb0IhyEwRMiZ5ZVA==", "float"},
        {"v: 100.0", "g:", "JvHB", "G8QbI/WsdhLgEQGmbuBA7A==", "float"},
    };
    uint8_t key[32], iv[32];
    (void)state;
    seq_bytes(key, 32, 0);
    seq_bytes(iv, 32, 0x20);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct doc_stream s;
        struct dbuf pt = DBUF_INIT, out = DBUF_INIT, back = DBUF_INIT;
        enum sops_vtype t, t2;
        char want[300];
        uint8_t iv2[SOPS_IV_MAX];
        size_t ivlen;
        struct verr e;
        assert_int_equal(doc_parse_yaml(cases[i].yaml, strlen(cases[i].yaml), "t", 0, &s, &e), 0);
        assert_int_equal(sops_value_plaintext(doc_map_getz(s.docs[0], "v"), &pt, &t, "v", &e), 0);
        assert_int_equal(sops_value_encrypt(key, iv, 32, pt.p, pt.len, cases[i].aad,
                                            strlen(cases[i].aad), t, &out),
                         0);
        snprintf(want, sizeof(want),
                 "ENC[AES256_GCM,data:%s,iv:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=,tag:%s,"
                 "type:%s]",
                 cases[i].data, cases[i].tag, cases[i].type);
        assert_string_equal(out.p, want);
        assert_int_equal(sops_value_decrypt(key, out.p, out.len, cases[i].aad, strlen(cases[i].aad),
                                            &back, &t2, iv2, &ivlen, "v", &e),
                         0);
        assert_int_equal(t2, t);
        assert_int_equal(back.len, pt.len);
        assert_memory_equal(back.p, pt.p, pt.len);
        assert_int_equal(ivlen, 32);
        /* another path is another AAD: the tag no longer verifies */
        dbuf_reset(&back);
        assert_int_equal(
            sops_value_decrypt(key, out.p, out.len, "x:", 2, &back, &t2, iv2, &ivlen, "x", &e),
            VALS_ETAMPERED);
        doc_stream_free(&s);
        dbuf_free(&pt);
        dbuf_free(&out);
        dbuf_free(&back);
    }
    {
        /* a comment: the text after '#', AAD ":" */
        struct dbuf out = DBUF_INIT;
        assert_int_equal(
            sops_value_encrypt(key, iv, 32, " a comment", 10, ":", 1, SOPS_T_COMMENT, &out), 0);
        assert_string_equal(out.p, "ENC[AES256_GCM,data:N6DRK+Jiu0aoJQ==,iv:ICEiIyQlJicoKSorLC0u"
                                   "LzAxMjM0NTY3ODk6Ozw9Pj8=,tag:zhXqWBo3rqdX5kCjunNSaw==,type:"
                                   "comment]");
        dbuf_free(&out);
    }
}

/* Random bytes 20 21 22 ... for every call (the §2.2 IV). */
static int iv_hook(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    seq_bytes(buf, len, 0x20);
    return 0;
}

static void test_mac_known_answers(void **state)
{
    const char *yaml = "a: {b: hello}\nn: 42\nlist: [x, false]\nf: 1.5\nc_unencrypted: clear\n"
                       "z: null\n";
    struct doc_stream s;
    struct sops_meta m;
    struct sops_create c;
    struct sops_hooks h = {iv_hook, NULL, "2024-01-02T03:04:05Z"};
    struct sops_walk w;
    struct dbuf macenc = DBUF_INIT;
    uint8_t key[32];
    char mac[129];
    struct verr e;
    (void)state;
    seq_bytes(key, 32, 0);
    sops_create_init(&c);
    assert_int_equal(sops_meta_init(&m, &c, &e), 0);
    assert_int_equal(doc_parse_yaml(yaml, strlen(yaml), "t", 0, &s, &e), 0);
    w = (struct sops_walk){&m, key, NULL, &h, "t", 0};
    assert_int_equal(sops_tree_encrypt(&s, &w, mac, &e), 0);
    assert_string_equal(mac, "16A495F9B74A065E3A236DDBC6CE5EF5D917D5F09F096110CA40BB43AD4FB5D9"
                             "A5A3C4FFD58337315CD28C0374A2E1B4BAAB7294CBA573FBDD9E9CFE6F6DB0D2");
    /* the clear value stayed clear, the others are encrypted */
    assert_string_equal(doc_map_getz(s.docs[0], "c_unencrypted")->v.s.ptr, "clear");
    assert_true(sops_value_is_enc(doc_map_getz(s.docs[0], "n")->v.s.ptr,
                                  doc_map_getz(s.docs[0], "n")->v.s.len));
    assert_int_equal(doc_map_getz(s.docs[0], "z")->type, DOC_NULL);
    assert_int_equal(sops_mac_encrypt(key, mac, "2024-01-02T03:04:05Z", NULL, &h, &macenc, &e), 0);
    assert_string_equal(macenc.p,
                        "ENC[AES256_GCM,data:JvewfLQ6kBqEZlI21rZUurTQhZdds20S5AZ+kqpKvsSw1FGNB8q1jh"
                        "3GRKaxZKl/QTm1auZOAa+KRXa7crjOyo6JC3o6WwvwvYRWMuODx9GIHO1NskJthYv2CCL2F5mN"
                        "+J70nPtRuOE1T5EvZYPTAbE/xrRaMBS7To6KdRLmS6s=,iv:ICEiIyQlJicoKSorLC0uLzAxM"
                        "jM0NTY3ODk6Ozw9Pj8=,tag:qL0d6PdUNSl32UUfYHGxrA==,type:str]");
    /* decrypting gives the same MAC back */
    w.ivs = sops_ivcache_new();
    assert_int_equal(sops_tree_decrypt(&s, &w, mac, &e), 0);
    assert_int_equal(sops_mac_verify(key, macenc.p, "2024-01-02T03:04:05Z", mac, w.ivs, &e), 0);
    assert_int_equal(sops_mac_verify(key, macenc.p, "2024-01-02T03:04:06Z", mac, w.ivs, &e),
                     VALS_ETAMPERED);
    assert_int_equal(doc_map_getz(s.docs[0], "n")->v.i, 42);
    sops_ivcache_free(w.ivs);
    doc_stream_free(&s);
    /* an empty tree hashes nothing: SHA-512 of the empty string */
    memset(&s, 0, sizeof(s));
    w.ivs = NULL;
    assert_int_equal(sops_tree_encrypt(&s, &w, mac, &e), 0);
    assert_int_equal(strncmp(mac, "CF83E135", 8), 0);
    assert_string_equal(mac + 120, "F927DA3E");
    dbuf_free(&macenc);
    sops_meta_clear(&m);
}

/* --- files written by real sops --- */

static const struct fixture {
    const char *file, *key;
} fixtures[] = {
    {"tg_file.enc.yaml", "tg_keys.txt"},      {"helm_secrets.age.yaml", "helm_key.txt"},
    {"kc_algorithms_age.yaml", "kc_age.txt"}, {"kc_global_secret.yaml", "kc_age_global.txt"},
    {"kc_patches_merge1.yaml", "kc_age.txt"}, {"kc_patches_merge2.yaml", "kc_age.txt"},
    {"kc_envs_env.env", "kc_age.txt"},        {"kc_component_env.env", "kc_age.txt"},
    {"kc_files_file.txt", "kc_age.txt"},
};

/* The lastmodified of an encrypted file, as a clock hook. */
static void file_clock(const struct dbuf *in, char *lm, size_t len)
{
    const char *p = strstr(in->p, "lastmodified");
    size_t n;

    assert_non_null(p);
    p += 12;
    while (*p == '"' || *p == ':' || *p == ' ' || *p == '=' || *p == '\'')
        p++;
    n = strcspn(p, "\"'\n");
    snprintf(lm, len, "%.*s", (int)n, p);
}

static void test_fixtures_decrypt_and_rewrite(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        struct dbuf in = DBUF_INIT, out = DBUF_INIT, plain = DBUF_INIT;
        struct sops_identities ids;
        struct sops_file *f = NULL;
        struct sops_hooks h = {NULL, NULL, NULL};
        char lm[64];
        struct verr e;
        enum sops_format fmt = sops_format_for_path(fixtures[i].file);
        int r;

        slurp(fixtures[i].file, &in);
        load_ids(fixtures[i].key, &ids);
        r = sops_open(in.p, in.len, fmt, fixtures[i].file, &ids, 0, &f, &e);
        if (r != 0)
            fail_msg("%s: %s", fixtures[i].file, verr_text(&e));
        assert_int_equal(sops_file_plain(f, &plain, &e), 0);
        assert_null(strstr(plain.p, "ENC[")); /* every value decrypted */
        file_clock(&in, lm, sizeof(lm));
        h.now = lm;
        assert_int_equal(sops_file_encrypt(f, &h, &out, &e), 0);
        if (out.len != in.len || memcmp(out.p, in.p, in.len) != 0)
            fail_msg("%s: written back differently:\n%s", fixtures[i].file, out.p);
        /* with another identity: no match, and the message names the recipient */
        sops_file_free(f);
        sops_identities_free(&ids);
        load_ids(strcmp(fixtures[i].key, "tg_keys.txt") ? "tg_keys.txt" : "helm_key.txt", &ids);
        assert_int_equal(sops_open(in.p, in.len, fmt, fixtures[i].file, &ids, 0, &f, &e),
                         VALS_ENOKEY);
        assert_non_null(strstr(e.msg, "age1"));
        assert_non_null(strstr(e.msg, "no identity matches"));
        sops_identities_free(&ids);
        dbuf_free(&in);
        dbuf_free(&out);
        dbuf_free(&plain);
    }
}

static void test_fixture_values(void **state)
{
    static const struct {
        const char *file, *key, *plain;
    } cases[] = {
        {"kc_algorithms_age.yaml", "kc_age.txt",
         "apiVersion: v1\nkind: Secret\nmetadata:\n  name: age\nstringData:\n  key: value\n"},
        {"kc_envs_env.env", "kc_age.txt", "key=value\n"},
        {"kc_files_file.txt", "kc_age.txt", "value"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dbuf in = DBUF_INIT, out = DBUF_INIT;
        struct sops_identities ids;
        struct verr e;
        slurp(cases[i].file, &in);
        load_ids(cases[i].key, &ids);
        assert_int_equal(sops_decrypt_bytes(in.p, in.len, sops_format_for_path(cases[i].file),
                                            cases[i].file, &ids, 0, &out, &e),
                         0);
        assert_string_equal(out.p, cases[i].plain);
        sops_identities_free(&ids);
        dbuf_free(&in);
        dbuf_free(&out);
    }
    {
        /* type:int from a real file stays an int */
        struct dbuf in = DBUF_INIT;
        struct sops_identities ids;
        struct sops_file *f;
        struct verr e;
        const struct doc *svc;
        slurp("helm_secrets.age.yaml", &in);
        load_ids("helm_key.txt", &ids);
        assert_int_equal(sops_open(in.p, in.len, SOPS_FMT_YAML, "h", &ids, 0, &f, &e), 0);
        svc = doc_map_getz(sops_file_docs(f)->docs[0], "service");
        assert_int_equal(doc_map_getz(svc, "port")->type, DOC_INT);
        assert_string_equal(doc_map_getz(sops_file_docs(f)->docs[0], "global_secret")->v.s.ptr,
                            "global_age");
        sops_file_free(f);
        sops_identities_free(&ids);
        dbuf_free(&in);
    }
}

/* --- tampering --- */

/* Replace the first occurrence of `from` after `anchor` with `to`. */
static void patch(struct dbuf *b, const char *anchor, const char *from, const char *to)
{
    char *a = strstr(b->p, anchor), *p;
    struct dbuf n = DBUF_INIT;

    assert_non_null(a);
    p = strstr(a, from);
    assert_non_null(p);
    assert_int_equal(dbuf_add(&n, b->p, (size_t)(p - b->p)), 0);
    assert_int_equal(dbuf_adds(&n, to), 0);
    assert_int_equal(dbuf_adds(&n, p + strlen(from)), 0);
    dbuf_free(b);
    *b = n;
}

static void test_tampering(void **state)
{
    static const struct {
        const char *anchor, *from, *to; /* edit applied to tg_file.enc.yaml */
        int code;
        const char *says;
    } cases[] = {
        /* one ciphertext character of the value */
        {"SOME SECRET: ", "data:IibxE", "data:JibxE", VALS_ETAMPERED, "secrets:SOME SECRET:"},
        /* its tag */
        {"SOME SECRET: ", "tag:OHXEd8", "tag:OHXEd9", VALS_ETAMPERED, "secrets:SOME SECRET:"},
        /* the value moved to another key: AAD differs */
        {"secrets:", "SOME SECRET", "OTHER SECRET", VALS_ETAMPERED, "secrets:OTHER SECRET:"},
        /* the MAC */
        {"mac: ", "data:OL0jCi9W", "data:PL0jCi9W", VALS_ETAMPERED, "sops.mac"},
        /* lastmodified (the MAC's AAD) */
        {"lastmodified", "10:57:24Z", "10:57:25Z", VALS_ETAMPERED, "lastmodified"},
        /* the recipient block: a character of the armored age file */
        {"BEGIN AGE", "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBaZUxv",
         "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBbZUxv", VALS_ETAMPERED,
         "age1"
         "06dn94074uskzjua39h4v0ql89l528wrqp2f84xpcznpr9f6ye4q9k8hp8"},
        /* a malformed ENC value */
        {"SOME SECRET: ", "ENC[AES256_GCM,data:", "ENC[AES256_GCM,dota:", VALS_EPARSE,
         "does not match sops' data format"},
        /* no MAC at all */
        {"mac: ", "ENC[", "\"\" #", VALS_ETAMPERED, "no MAC"},
    };
    struct sops_identities ids;
    (void)state;
    load_ids("tg_keys.txt", &ids);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dbuf in = DBUF_INIT;
        struct sops_file *f = NULL;
        struct verr e;
        int r;
        slurp("tg_file.enc.yaml", &in);
        patch(&in, cases[i].anchor, cases[i].from, cases[i].to);
        r = sops_open(in.p, in.len, SOPS_FMT_YAML, "tg_file.enc.yaml", &ids, 0, &f, &e);
        if (r != cases[i].code || strstr(e.msg, cases[i].says) == NULL)
            fail_msg("case %zu: got %d \"%s\", want %d mentioning \"%s\"", i, r, e.msg,
                     cases[i].code, cases[i].says);
        assert_null(f);
        dbuf_free(&in);
    }
    sops_identities_free(&ids);
}

/* --- round trips with fresh keys --- */

struct roundtrip_case {
    const char *name; /* file name: decides the format */
    const char *plain;
    const char *rule, *rule_value; /* NULL: default */
    const char *clear;             /* substring that must stay clear in the output, or NULL */
    const char *hidden;            /* substring that must not appear, or NULL */
};

static const struct roundtrip_case roundtrips[] = {
    {"a.yaml",
     "# head comment\nz: zzvalue # inline\na:\n    # inside\n    b: 1\n    c:\n        - x\n"
     "        - true\n        - 1.5 # after item\n    # end of a\nd_unencrypted: visible\n"
     "e: \"\"\nt: 2024-01-02T03:04:05Z\nnothing: null\n# foot\n",
     NULL, NULL, "d_unencrypted: visible", "zzvalue"},
    {"b.yaml", "first: 1\n---\nsecond: two\n", NULL, NULL, NULL, "two"},
    {"k.yaml", "apiVersion: v1\nkind: Secret\nstringData:\n    password: hunter2\n",
     "encrypted_regex", "^(data|stringData)$", "kind: Secret", "hunter2"},
    {"s.yaml", "public: one\nsecret_enc: two\n", "encrypted_suffix", "_enc", "public: one", "two"},
    {"u.yaml", "keep: one\nhide: two\n", "unencrypted_regex", "^keep$", "keep: one", "two"},
    {"c.yaml", "a: one\n# sops:enc\nb: two\nc: three\n", "encrypted_comment_regex", "sops:enc",
     "# sops:enc", "two"},
    {"c2.yaml", "a: one\n# sops:clear\nb: two\n", "unencrypted_comment_regex", "sops:clear",
     "b: two", "one"},
    {"j.json",
     "{\n\t\"a\": 1,\n\t\"b\": [\n\t\t\"x\",\n\t\ttrue,\n\t\tnull,\n\t\t2.5\n\t],\n\t\"c\": "
     "{},\n\t\"d\": \"\\u003c\\u0026\\u003e\\u2028\"\n}\n",
     NULL, NULL, NULL, "\"x\""},
    {"d.env", "# comment\nKEY=value\nMULTI=line1\\nline2\n", NULL, NULL, NULL, "value"},
    {"f.bin", "raw\x01\x02 bytes\n", NULL, NULL, NULL, "raw"},
    {"empty.yaml", "{}\n", NULL, NULL, NULL, NULL},
};

static void test_roundtrips(void **state)
{
    struct age_identity id;
    struct sops_identities ids = {&id, 1, NULL};
    struct age_recipient rc;
    (void)state;
    assert_int_equal(age_identity_generate(&id), 0);
    age_identity_recipient(&id, &rc);
    for (size_t i = 0; i < sizeof(roundtrips) / sizeof(roundtrips[0]); i++) {
        const struct roundtrip_case *t = &roundtrips[i];
        struct sops_create c;
        struct dbuf enc = DBUF_INIT, dec = DBUF_INIT;
        struct verr e;
        enum sops_format fmt = sops_format_for_path(t->name);
        int r;
        sops_create_init(&c);
        assert_non_null(c.groups = calloc(1, sizeof(*c.groups)));
        c.ngroups = 1;
        assert_non_null(c.groups[0].age = malloc(sizeof(rc)));
        c.groups[0].age[0] = rc;
        c.groups[0].nage = 1;
        for (int k = SOPS_RULE_UNENCRYPTED_SUFFIX;
             t->rule != NULL && k <= SOPS_RULE_ENCRYPTED_COMMENT_REGEX; k++)
            if (!strcmp(sops_rule_name((enum sops_rule)k), t->rule)) {
                c.rule = (enum sops_rule)k;
                c.rule_value = strdup(t->rule_value);
            }
        r = sops_encrypt_bytes(t->plain, strlen(t->plain), fmt, t->name, &c, NULL, &enc, &e);
        if (r != 0)
            fail_msg("%s: %s", t->name, verr_text(&e));
        assert_true(sops_is_encrypted(enc.p, enc.len, fmt));
        assert_false(sops_is_encrypted(t->plain, strlen(t->plain), fmt));
        if (t->clear != NULL && strstr(enc.p, t->clear) == NULL)
            fail_msg("%s: \"%s\" not clear in:\n%s", t->name, t->clear, enc.p);
        if (t->hidden != NULL && strstr(enc.p, t->hidden) != NULL)
            fail_msg("%s: \"%s\" not encrypted in:\n%s", t->name, t->hidden, enc.p);
        r = sops_decrypt_bytes(enc.p, enc.len, fmt, t->name, &ids, 0, &dec, &e);
        if (r != 0)
            fail_msg("%s: %s\n%s", t->name, verr_text(&e), enc.p);
        if (dec.len != strlen(t->plain) || memcmp(dec.p, t->plain, dec.len) != 0)
            fail_msg("%s: round trip gave:\n%s\nencrypted:\n%s", t->name, dec.p, enc.p);
        /* encrypting an encrypted file is refused */
        dbuf_reset(&dec);
        assert_int_equal(sops_encrypt_bytes(enc.p, enc.len, fmt, t->name, &c, NULL, &dec, &e),
                         fmt == SOPS_FMT_BINARY ? 0 : VALS_EEXISTS);
        sops_create_clear(&c);
        dbuf_free(&enc);
        dbuf_free(&dec);
    }
    age_identity_clear(&id);
}

static void test_edit_keeps_unchanged_values(void **state)
{
    const char *plain = "a: one\nb: two\n", *edited = "a: one\nb: three\n";
    struct age_identity id;
    struct sops_identities ids = {&id, 1, NULL};
    struct sops_create c;
    struct sops_file *f = NULL;
    struct dbuf enc = DBUF_INIT, enc2 = DBUF_INIT;
    struct verr e;
    char *a1, *a2;
    (void)state;
    assert_int_equal(age_identity_generate(&id), 0);
    sops_create_init(&c);
    assert_non_null(c.groups = calloc(1, sizeof(*c.groups)));
    c.ngroups = 1;
    assert_non_null(c.groups[0].age = malloc(sizeof(struct age_recipient)));
    age_identity_recipient(&id, &c.groups[0].age[0]);
    c.groups[0].nage = 1;
    assert_int_equal(
        sops_encrypt_bytes(plain, strlen(plain), SOPS_FMT_YAML, "e.yaml", &c, NULL, &enc, &e), 0);
    assert_int_equal(sops_open(enc.p, enc.len, SOPS_FMT_YAML, "e.yaml", &ids, 0, &f, &e), 0);
    assert_int_equal(sops_file_set_plain(f, edited, strlen(edited), &e), 0);
    assert_int_equal(sops_file_encrypt(f, NULL, &enc2, &e), 0);
    /* "a" kept its ciphertext, "b" changed; the age entry is the same */
    a1 = strndup(strstr(enc.p, "a: "), 60);
    a2 = strndup(strstr(enc2.p, "a: "), 60);
    assert_string_equal(a1, a2);
    assert_string_not_equal(strstr(enc.p, "b: "), strstr(enc2.p, "b: "));
    {
        /* the age entry is the same */
        const char *b = strstr(enc.p, "-----BEGIN AGE"), *end = strstr(b, "END AGE");
        char *armor = strndup(b, (size_t)(end - b));
        assert_non_null(strstr(enc2.p, armor));
        free(armor);
    }
    free(a1);
    free(a2);
    sops_file_free(f);
    dbuf_reset(&enc);
    assert_int_equal(
        sops_decrypt_bytes(enc2.p, enc2.len, SOPS_FMT_YAML, "e.yaml", &ids, 0, &enc, &e), 0);
    assert_string_equal(enc.p, edited);
    sops_create_clear(&c);
    dbuf_free(&enc);
    dbuf_free(&enc2);
    age_identity_clear(&id);
}

/* --- key groups --- */

static void test_shamir(void **state)
{
    uint8_t secret[32], got[32], s1[33], s2[33], s3[33];
    uint8_t *shares[3] = {s1, s2, s3};
    const uint8_t *two[2];
    (void)state;
    seq_bytes(secret, 32, 7);
    assert_int_equal(sops_shamir_split(secret, 32, 3, 2, NULL, shares), 0);
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
            if (a == b)
                continue;
            two[0] = shares[a];
            two[1] = shares[b];
            assert_int_equal(sops_shamir_combine(two, 2, 32, got), 0);
            assert_memory_equal(got, secret, 32);
        }
    }
    assert_int_equal(s1[32], 1); /* x = 1..n as sops >= 3.10 writes */
    assert_int_equal(s3[32], 3);
    two[0] = s1;
    two[1] = s1;
    assert_int_equal(sops_shamir_combine(two, 2, 32, got), VALS_EPARSE);
}

static void test_key_groups(void **state)
{
    const char *plain = "secret: value\n";
    struct age_identity id[3];
    struct sops_create c;
    struct dbuf enc = DBUF_INIT, dec = DBUF_INIT;
    struct verr e;
    (void)state;
    sops_create_init(&c);
    for (int g = 0; g < 3; g++) {
        char r[AGE_RECIPIENT_STRLEN + 1];
        struct age_recipient rc;
        assert_int_equal(age_identity_generate(&id[g]), 0);
        age_identity_recipient(&id[g], &rc);
        age_recipient_format(&rc, r);
        assert_int_equal(sops_create_add_age(&c, (size_t)g, r, strlen(r), &e), 0);
    }
    c.shamir_threshold = 2;
    assert_int_equal(
        sops_encrypt_bytes(plain, strlen(plain), SOPS_FMT_YAML, "g.yaml", &c, NULL, &enc, &e), 0);
    assert_non_null(strstr(enc.p,
                           "    shamir_threshold: 2\n    key_groups:\n        - hc_vault: []\n"
                           "          age:\n            - recipient: age1"));
    for (int a = 0; a < 3; a++) {
        struct age_identity two[2] = {id[a], id[(a + 1) % 3]};
        struct sops_identities ids = {two, 2, NULL}, one = {&id[a], 1, "test"};
        dbuf_reset(&dec);
        assert_int_equal(
            sops_decrypt_bytes(enc.p, enc.len, SOPS_FMT_YAML, "g.yaml", &ids, 0, &dec, &e), 0);
        assert_string_equal(dec.p, plain);
        /* one group is not enough */
        assert_int_equal(
            sops_decrypt_bytes(enc.p, enc.len, SOPS_FMT_YAML, "g.yaml", &one, 0, &dec, &e),
            VALS_ENOKEY);
        assert_non_null(strstr(e.msg, "1 of 2 key groups"));
    }
    sops_create_clear(&c);
    dbuf_free(&enc);
    dbuf_free(&dec);
    for (int g = 0; g < 3; g++)
        age_identity_clear(&id[g]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_known_answers),
        cmocka_unit_test(test_mac_known_answers),
        cmocka_unit_test(test_fixtures_decrypt_and_rewrite),
        cmocka_unit_test(test_fixture_values),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_roundtrips),
        cmocka_unit_test(test_edit_keeps_unchanged_values),
        cmocka_unit_test(test_shamir),
        cmocka_unit_test(test_key_groups),
    };
    return cmocka_run_group_tests_name("sops", tests, NULL, NULL);
}
