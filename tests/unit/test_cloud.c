/*
 * test_cloud.c - the pure parts of the Vault, Google and Azure backends: response parsers
 * (daemon/cloud_resp.c) over tables of bodies shaped as the vendors document them, CRC32C
 * against RFC 3720's vectors, the Key Vault challenge parser and resource check, Google
 * credentials files, the RS256 JWT of the service-account grant (verified here with
 * OpenSSL against the key's public half), and the token cache's sharing, expiry and
 * eviction (daemon/creds/tokens.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "daemon/cloud_call.h"
#include "daemon/cloud_resp.h"
#include "daemon/creds/gcp.h"
#include "daemon/creds/tokens.h"
#include "lib/b64.h"

/* --- CRC32C --------------------------------------------------------------------------- */

static void test_crc32c(void **state)
{
    unsigned char zeros[32] = {0}, ones[32], inc[32];

    (void)state;
    memset(ones, 0xff, sizeof(ones));
    for (int i = 0; i < 32; i++)
        inc[i] = (unsigned char)i;
    assert_int_equal(cloud_crc32c("", 0), 0);
    assert_int_equal(cloud_crc32c("123456789", 9), 0xE3069283u);
    assert_int_equal(cloud_crc32c(zeros, 32), 0x8A9136AAu); /* RFC 3720 B.4 */
    assert_int_equal(cloud_crc32c(ones, 32), 0x62A8AB43u);
    assert_int_equal(cloud_crc32c(inc, 32), 0x46DD794Eu);
}

/* --- Google AccessSecretVersion ---------------------------------------------------------- */

static const struct {
    const char *body;
    int rc;
    const char *payload; /* expected bytes (len below) */
    size_t len;
} gcp_cases[] = {
    {"{\"name\":\"projects/1/secrets/s/versions/3\",\"payload\":{\"data\":"
     "\"bXktZGItcGFzc3dvcmQtMTIz\",\"dataCrc32c\":\"2623095053\"}}",
     0, "my-db-password-123", 18},
    /* without a checksum: accepted unchecked */
    {"{\"payload\":{\"data\":\"bXktZGItcGFzc3dvcmQtMTIz\"}}", 0, "my-db-password-123", 18},
    /* a checksum as a JSON number */
    {"{\"payload\":{\"data\":\"AAECA/8=\",\"dataCrc32c\":1321366856}}", 0, "\x00\x01\x02\x03\xff",
     5},
    /* URL-safe alphabet, no padding */
    {"{\"payload\":{\"data\":\"AAECA_8\",\"dataCrc32c\":\"1321366856\"}}", 0,
     "\x00\x01\x02\x03\xff", 5},
    /* proto3 omits empty bytes */
    {"{\"payload\":{\"dataCrc32c\":\"0\"}}", 0, "", 0},
    {"{\"payload\":{}}", 0, "", 0},
    {"{\"payload\":{\"data\":\"bXktZGItcGFzc3dvcmQtMTIz\",\"dataCrc32c\":\"2623095054\"}}",
     VALS_ETAMPERED, NULL, 0},
    {"{\"payload\":{\"data\":\"bXkt*GI=\"}}", VALS_EPARSE, NULL, 0},
    {"{\"payload\":{\"data\":42}}", VALS_EPARSE, NULL, 0},
    {"{\"payload\":{\"data\":\"AA==\",\"dataCrc32c\":\"-1\"}}", VALS_EPARSE, NULL, 0},
    {"{\"payload\":{\"data\":\"AA==\",\"dataCrc32c\":\"12x\"}}", VALS_EPARSE, NULL, 0},
    {"{\"name\":\"x\"}", VALS_EPARSE, NULL, 0},
    {"[1,2]", VALS_EPARSE, NULL, 0},
    {"not json", VALS_EPARSE, NULL, 0},
    {"", VALS_EPARSE, NULL, 0},
};

static void test_gcp_access(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(gcp_cases) / sizeof(gcp_cases[0]); i++) {
        struct dbuf p = DBUF_INIT;
        struct verr e = {0};
        int rc = cloud_gcp_access(gcp_cases[i].body, strlen(gcp_cases[i].body), &p, &e);
        if (rc != gcp_cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, gcp_cases[i].rc, e.msg);
        if (rc == 0) {
            assert_int_equal(p.len, gcp_cases[i].len);
            assert_memory_equal(p.p != NULL ? p.p : "", gcp_cases[i].payload, p.len);
        } else {
            assert_true(e.msg[0] != '\0');
            assert_int_equal(p.len, 0);
        }
        dbuf_free(&p);
    }
}

/* --- Vault ------------------------------------------------------------------------------ */

static const struct {
    const char *body;
    int rc;
    const char *mount;
    int version;
} mount_cases[] = {
    {"{\"data\":{\"path\":\"secret/\",\"type\":\"kv\",\"options\":{\"version\":\"2\"}}}", 0,
     "secret/", 2},
    {"{\"data\":{\"path\":\"kv/\",\"type\":\"kv\",\"options\":{\"version\":\"1\"}}}", 0, "kv/", 1},
    {"{\"data\":{\"path\":\"kv/\",\"type\":\"kv\",\"options\":null}}", 0, "kv/", 1},
    {"{\"data\":{\"path\":\"team/kv2\",\"type\":\"kv\",\"options\":{\"version\":2}}}", 0,
     "team/kv2/", 2},
    {"{\"data\":{\"type\":\"kv\"}}", VALS_EPARSE, NULL, 0},
    {"{\"data\":{\"path\":\"\"}}", VALS_EPARSE, NULL, 0},
    {"{\"data\":null}", VALS_EPARSE, NULL, 0},
    {"{\"errors\":[]}", VALS_EPARSE, NULL, 0},
};

static void test_vault_mount(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(mount_cases) / sizeof(mount_cases[0]); i++) {
        char mount[64], type[16];
        int version = 0;
        struct verr e = {0};
        int rc = cloud_vault_mount(mount_cases[i].body, strlen(mount_cases[i].body), mount,
                                   sizeof(mount), type, sizeof(type), &version, &e);
        if (rc != mount_cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, mount_cases[i].rc, e.msg);
        if (rc == 0) {
            assert_string_equal(mount, mount_cases[i].mount);
            assert_int_equal(version, mount_cases[i].version);
            assert_string_equal(type, "kv");
        }
    }
}

static const struct {
    const char *body;
    enum cloud_vault_doc which;
    int rc;
    const char *key, *value; /* a string member of the document */
    const char *msg;         /* a word of the error message */
} secret_cases[] = {
    {"{\"data\":{\"data\":{\"token\":\"t1\"},\"metadata\":{\"version\":2}},\"lease_duration\":0}",
     CLOUD_VAULT_DATA_DATA, 0, "token", "t1", NULL},
    /* the raw read of a KV v2 data/ path: .data is {data, metadata} */
    {"{\"data\":{\"data\":{\"token\":\"t1\"},\"metadata\":{\"version\":2}}}", CLOUD_VAULT_DATA, 0,
     NULL, NULL, NULL},
    {"{\"data\":{\"user\":\"u\",\"pass\":\"p\"},\"lease_duration\":2764800}", CLOUD_VAULT_DATA, 0,
     "user", "u", NULL},
    {"{\"data\":{\"data\":null,\"metadata\":{\"deletion_time\":\"2026-01-02T00:00:00Z\","
     "\"destroyed\":false}}}",
     CLOUD_VAULT_DATA_DATA, VALS_ENOT_FOUND, NULL, NULL, "deleted"},
    {"{\"data\":{\"data\":null,\"metadata\":{\"deletion_time\":\"\",\"destroyed\":true}}}",
     CLOUD_VAULT_DATA_DATA, VALS_ENOT_FOUND, NULL, NULL, "destroyed"},
    {"{\"data\":null}", CLOUD_VAULT_DATA, VALS_ENOT_FOUND, NULL, NULL, "no secret"},
    {"{\"data\":\"x\"}", CLOUD_VAULT_DATA, VALS_EPARSE, NULL, NULL, "not a map"},
    {"{\"data\":{\"data\":[1]}}", CLOUD_VAULT_DATA_DATA, VALS_EPARSE, NULL, NULL, "not a map"},
    {"<html>", CLOUD_VAULT_DATA, VALS_EPARSE, NULL, NULL, "JSON"},
};

static void test_vault_secret(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(secret_cases) / sizeof(secret_cases[0]); i++) {
        struct doc *d = NULL;
        struct verr e = {0};
        int rc = cloud_vault_secret(secret_cases[i].body, strlen(secret_cases[i].body),
                                    secret_cases[i].which, &d, &e);
        if (rc != secret_cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, secret_cases[i].rc, e.msg);
        if (rc == 0) {
            assert_non_null(d);
            assert_int_equal(d->type, DOC_MAP);
            if (secret_cases[i].key != NULL) {
                const struct doc *v = doc_map_getz(d, secret_cases[i].key);
                assert_non_null(v);
                assert_string_equal(v->v.s.ptr, secret_cases[i].value);
            } else {
                const struct doc *t = cloud_doc_path(d, "data.token");
                assert_non_null(t);
                assert_string_equal(t->v.s.ptr, "t1");
                assert_non_null(doc_map_getz(d, "metadata"));
            }
        } else {
            assert_null(d);
            assert_non_null(strstr(e.msg, secret_cases[i].msg));
        }
        doc_free(d);
    }
}

static void test_vault_login(void **state)
{
    static const char ok[] = "{\"auth\":{\"client_token\":\"hvs.abc\",\"accessor\":\"x\","
                             "\"lease_duration\":1200,\"renewable\":true},\"data\":null}";
    char *tok = NULL;
    int64_t lease = -1;
    struct verr e = {0};

    (void)state;
    assert_int_equal(cloud_vault_login(ok, strlen(ok), &tok, &lease, &e), 0);
    assert_string_equal(tok, "hvs.abc");
    assert_int_equal(lease, 1200);
    free(tok);
    assert_int_equal(cloud_vault_login("{\"auth\":null}", 13, &tok, &lease, &e), VALS_EPARSE);
    assert_null(tok);
    assert_int_equal(cloud_vault_login("{\"auth\":{\"client_token\":\"\"}}", 29, &tok, &lease, &e),
                     VALS_EPARSE);
}

/* --- OAuth token responses ----------------------------------------------------------------- */

static const struct {
    const char *body;
    int rc;
    const char *token;
    int64_t expires_in;
} oauth_cases[] = {
    {"{\"access_token\":\"ya29.a\",\"expires_in\":3599,\"token_type\":\"Bearer\"}", 0, "ya29.a",
     3599},
    {"{\"token_type\":\"Bearer\",\"expires_in\":\"3599\",\"ext_expires_in\":\"3599\","
     "\"access_token\":\"eyJ0\"}",
     0, "eyJ0", 3599},
    {"{\"access_token\":\"t\"}", 0, "t", 0},
    {"{\"access_token\":\"t\",\"expires_in\":1.5e3}", 0, "t", 1500},
    {"{\"access_token\":\"a b\"}", VALS_EPARSE, NULL, 0},
    {"{\"access_token\":\"a\\nb\"}", VALS_EPARSE, NULL, 0},
    {"{\"access_token\":7}", VALS_EPARSE, NULL, 0},
    {"{\"error\":\"invalid_grant\"}", VALS_EPARSE, NULL, 0},
};

static void test_oauth_token(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(oauth_cases) / sizeof(oauth_cases[0]); i++) {
        char *tok = NULL;
        int64_t exp = -1;
        struct verr e = {0};
        int rc =
            cloud_oauth_token(oauth_cases[i].body, strlen(oauth_cases[i].body), &tok, &exp, &e);
        if (rc != oauth_cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, oauth_cases[i].rc, e.msg);
        if (rc == 0) {
            assert_string_equal(tok, oauth_cases[i].token);
            assert_int_equal(exp, oauth_cases[i].expires_in);
        } else {
            assert_null(tok);
        }
        free(tok);
    }
}

/* --- error bodies --------------------------------------------------------------------------- */

static const struct {
    long status;
    const char *body;
    const char *code, *message;
} error_cases[] = {
    {403, "{\"errors\":[\"1 error occurred:\\n\\t* permission denied\\n\\n\"]}", "HTTP 403",
     "1 error occurred: * permission denied"},
    {404, "{\"errors\":[]}", "HTTP 404", ""},
    {404,
     "{\"error\":{\"code\":404,\"message\":\"Secret [projects/1/secrets/x] not found.\","
     "\"status\":\"NOT_FOUND\"}}",
     "NOT_FOUND", "Secret [projects/1/secrets/x] not found."},
    {404, "{\"error\":{\"code\":\"SecretNotFound\",\"message\":\"A secret was not found\"}}",
     "SecretNotFound", "A secret was not found"},
    {401,
     "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client "
     "secret.\",\"error_codes\":[7000215]}",
     "invalid_client", "AADSTS7000215: Invalid client secret."},
    {503, "<html>busy</html>", "HTTP 503", ""},
    {500, "", "HTTP 500", ""},
    {400, "{\"error\":{\"code\":400,\"message\":\"bad\\u0001ctl\"}}", "400", "bad?ctl"},
};

static void test_error_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        struct cloud_error ce;
        cloud_error_parse(error_cases[i].status, error_cases[i].body, strlen(error_cases[i].body),
                          &ce);
        assert_string_equal(ce.code, error_cases[i].code);
        assert_string_equal(ce.message, error_cases[i].message);
    }
    assert_int_equal(cloud_status_class(404), VALS_ENOT_FOUND);
    assert_int_equal(cloud_status_class(401), VALS_EDENIED);
    assert_int_equal(cloud_status_class(403), VALS_EDENIED);
    assert_int_equal(cloud_status_class(429), VALS_ETHROTTLED);
    assert_int_equal(cloud_status_class(504), VALS_ETIMEOUT);
    assert_int_equal(cloud_status_class(400), VALS_EBACKEND);
    assert_true(cloud_status_retryable(503) && cloud_status_retryable(429));
    assert_false(cloud_status_retryable(404) || cloud_status_retryable(401));
}

/* --- the Key Vault challenge ----------------------------------------------------------------- */

static const struct {
    const char *header;
    int rc;
    const char *tenant, *scope, *resource;
} challenge_cases[] = {
    {"Bearer authorization=\"https://login.microsoftonline.com/72f988bf-86f1\", "
     "resource=\"https://vault.azure.net\"",
     0, "72f988bf-86f1", "https://vault.azure.net/.default", "https://vault.azure.net"},
    {"Bearer authorization=\"https://login.microsoftonline.com/t1/\", "
     "scope=\"https://vault.azure.net/.default\"",
     0, "t1", "https://vault.azure.net/.default", "https://vault.azure.net"},
    {"bearer "
     "authorization_uri=https://login.microsoftonline.us/gov,resource=https://"
     "vault.usgovcloudapi.net/",
     0, "gov", "https://vault.usgovcloudapi.net/.default", "https://vault.usgovcloudapi.net/"},
    {"  Bearer resource=\"https://vault.azure.net\" authorization=\"https://l/t2\", Basic realm=x",
     0, "t2", "https://vault.azure.net/.default", "https://vault.azure.net"},
    {"Basic realm=\"x\"", VALS_EPARSE, NULL, NULL, NULL},
    {"Bearerx authorization=\"https://l/t\", resource=\"r\"", VALS_EPARSE, NULL, NULL, NULL},
    {"Bearer authorization=\"https://login.microsoftonline.com/t\"", VALS_EPARSE, NULL, NULL, NULL},
    {"Bearer resource=\"https://vault.azure.net\"", VALS_EPARSE, NULL, NULL, NULL},
    {"Bearer authorization=\"https://l/t, resource=\"x", VALS_EPARSE, NULL, NULL, NULL},
    {"", VALS_EPARSE, NULL, NULL, NULL},
};

static void test_azure_challenge(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(challenge_cases) / sizeof(challenge_cases[0]); i++) {
        struct cloud_challenge ch;
        struct verr e = {0};
        int rc = cloud_azure_challenge(challenge_cases[i].header, strlen(challenge_cases[i].header),
                                       &ch, &e);
        if (rc != challenge_cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, challenge_cases[i].rc, e.msg);
        if (rc == 0) {
            assert_string_equal(ch.tenant, challenge_cases[i].tenant);
            assert_string_equal(ch.scope, challenge_cases[i].scope);
            assert_string_equal(ch.resource, challenge_cases[i].resource);
        }
    }
}

static void test_azure_resource_ok(void **state)
{
    (void)state;
    assert_true(cloud_azure_resource_ok("https://vault.azure.net", "myvault.vault.azure.net"));
    assert_true(cloud_azure_resource_ok("https://vault.azure.net/", "myvault.vault.azure.net:443"));
    assert_true(cloud_azure_resource_ok("https://azure.net", "myvault.vault.azure.net"));
    assert_true(cloud_azure_resource_ok("https://VAULT.azure.net", "myvault.vault.azure.net"));
    assert_true(cloud_azure_resource_ok("https://vault.azure.net", "vault.azure.net"));
    assert_false(
        cloud_azure_resource_ok("https://management.azure.com", "myvault.vault.azure.net"));
    assert_false(cloud_azure_resource_ok("https://ault.azure.net", "myvault.vault.azure.net"));
    assert_false(cloud_azure_resource_ok("https://t.vault.azure.net", "myvault.vault.azure.net"));
    assert_false(
        cloud_azure_resource_ok("https://vault.azure.net.evil.com", "myvault.vault.azure.net"));
    assert_false(cloud_azure_resource_ok("", "myvault.vault.azure.net"));
}

/* --- Google credentials files and the JWT ------------------------------------------------------
 */

static const struct {
    const char *json;
    int rc;
    enum gcp_kind kind;
    const char *token_uri;
} creds_cases[] = {
    {"{\"type\":\"service_account\",\"project_id\":\"p\",\"private_key_id\":\"k\","
     "\"private_key\":\"PEM\",\"client_email\":\"a@p.iam.gserviceaccount.com\","
     "\"token_uri\":\"https://oauth2.googleapis.com/token\"}",
     0, GCP_SERVICE_ACCOUNT, "https://oauth2.googleapis.com/token"},
    {"{\"type\":\"service_account\",\"private_key\":\"PEM\",\"client_email\":\"a@b\"}", 0,
     GCP_SERVICE_ACCOUNT, GCP_TOKEN_URI},
    {"{\"type\":\"authorized_user\",\"client_id\":\"c\",\"client_secret\":\"s\","
     "\"refresh_token\":\"r\",\"quota_project_id\":\"q\"}",
     0, GCP_AUTHORIZED_USER, GCP_TOKEN_URI},
    {"{\"type\":\"external_account\",\"audience\":\"x\"}", VALS_EBAD_REQUEST, 0, NULL},
    {"{\"type\":\"service_account\",\"client_email\":\"a@b\"}", VALS_EPARSE, 0, NULL},
    {"{\"type\":\"authorized_user\",\"client_id\":\"c\"}", VALS_EPARSE, 0, NULL},
    {"{\"type\":\"service_account\",\"private_key\":1,\"client_email\":\"a@b\"}", VALS_EPARSE, 0,
     NULL},
    {"{\"type\":\"service_account\",\"private_key\":\"P\",\"client_email\":\"a@b\","
     "\"token_uri\":\"file:///etc/passwd\"}",
     VALS_EPARSE, 0, NULL},
    {"{}", VALS_EPARSE, 0, NULL},
    {"nope", VALS_EPARSE, 0, NULL},
};

static void test_gcp_creds_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(creds_cases) / sizeof(creds_cases[0]); i++) {
        struct gcp_creds c;
        struct verr e = {0};
        int rc;
        memset(&c, 0, sizeof(c));
        rc = gcp_creds_parse(creds_cases[i].json, strlen(creds_cases[i].json), "key.json", &c, &e);
        if (rc != creds_cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, creds_cases[i].rc, e.msg);
        if (rc == 0) {
            assert_int_equal(c.kind, creds_cases[i].kind);
            assert_string_equal(c.token_uri, creds_cases[i].token_uri);
        } else {
            assert_non_null(strstr(e.msg, "key.json"));
        }
        gcp_creds_free(&c);
    }
}

/* Decode one base64url JWT part into a document. */
static struct doc *jwt_part(const char *s, size_t len)
{
    struct dbuf t = DBUF_INIT, raw = DBUF_INIT;
    struct doc *d = NULL;

    for (size_t i = 0; i < len; i++)
        dbuf_addc(&t, s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i]);
    assert_int_equal(b64_decode_dbuf(t.p, t.len, 0, &raw), 0);
    assert_int_equal(doc_parse_json(raw.p, raw.len, "jwt", &d, NULL), 0);
    dbuf_free(&t);
    dbuf_free(&raw);
    return d;
}

static void test_gcp_jwt(void **state)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    BIO *bio = BIO_new(BIO_s_mem());
    struct dbuf jwt = DBUF_INIT, sigb = DBUF_INIT, t = DBUF_INIT;
    struct verr e = {0};
    char *pem = NULL;
    long pemlen;
    const char *dot1, *dot2;
    struct doc *hdr, *claims;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    (void)state;
    assert_non_null(key);
    assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
    pemlen = BIO_get_mem_data(bio, &pem);
    pem = strndup(pem, (size_t)pemlen);
    assert_int_equal(gcp_jwt_assertion("sa@p.iam.gserviceaccount.com", pem, "kid-1", GCP_TOKEN_URI,
                                       GCP_SCOPE, 1767225600, &jwt, &e),
                     0);
    dot1 = strchr(jwt.p, '.');
    assert_non_null(dot1);
    dot2 = strchr(dot1 + 1, '.');
    assert_non_null(dot2);
    assert_null(strchr(jwt.p, '=')); /* base64url without padding */
    hdr = jwt_part(jwt.p, (size_t)(dot1 - jwt.p));
    claims = jwt_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    assert_string_equal(doc_map_getz(hdr, "alg")->v.s.ptr, "RS256");
    assert_string_equal(doc_map_getz(hdr, "typ")->v.s.ptr, "JWT");
    assert_string_equal(doc_map_getz(hdr, "kid")->v.s.ptr, "kid-1");
    assert_string_equal(doc_map_getz(claims, "iss")->v.s.ptr, "sa@p.iam.gserviceaccount.com");
    assert_string_equal(doc_map_getz(claims, "aud")->v.s.ptr, GCP_TOKEN_URI);
    assert_string_equal(doc_map_getz(claims, "scope")->v.s.ptr, GCP_SCOPE);
    assert_int_equal(doc_map_getz(claims, "iat")->v.i, 1767225600);
    assert_int_equal(doc_map_getz(claims, "exp")->v.i, 1767225600 + 3600);
    /* the signature verifies with the public key over "header.claims" */
    for (const char *p = dot2 + 1; *p; p++)
        dbuf_addc(&t, *p == '-' ? '+' : *p == '_' ? '/' : *p);
    assert_int_equal(b64_decode_dbuf(t.p, t.len, 0, &sigb), 0);
    assert_int_equal(sigb.len, 256);
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestVerify(md, (const unsigned char *)sigb.p, sigb.len,
                                      (const unsigned char *)jwt.p, (size_t)(dot2 - jwt.p)),
                     1);
    /* a tampered claim does not */
    jwt.p[dot1 - jwt.p + 3] ^= 1;
    EVP_MD_CTX_reset(md);
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_not_equal(EVP_DigestVerify(md, (const unsigned char *)sigb.p, sigb.len,
                                          (const unsigned char *)jwt.p, (size_t)(dot2 - jwt.p)),
                         1);
    /* a key that is not PEM is an error, not a crash */
    dbuf_reset(&jwt);
    assert_int_equal(
        gcp_jwt_assertion("a@b", "not a key", NULL, GCP_TOKEN_URI, GCP_SCOPE, 0, &jwt, &e),
        VALS_ECRYPTO);
    doc_free(hdr);
    doc_free(claims);
    dbuf_free(&jwt);
    dbuf_free(&sigb);
    dbuf_free(&t);
    free(pem);
    EVP_MD_CTX_free(md);
    BIO_free(bio);
    EVP_PKEY_free(key);
}

/* --- the token cache
 * ------------------------------------------------------------------------------ */

static struct tokens_fetch *started[4];
static int nstarted, start_fails;

static int start_stub(void *arg, struct tokens_fetch *p, struct verr *e)
{
    (void)arg;
    if (start_fails)
        return verr_set(e, VALS_EBACKEND, "cannot start");
    started[nstarted++ % 4] = p;
    return 0;
}

struct got {
    int calls, err;
    char value[64];
};

static void on_got(void *data, int err, const char *msg, const char *value)
{
    struct got *g = data;

    (void)msg;
    g->calls++;
    g->err = err;
    snprintf(g->value, sizeof(g->value), "%s", value != NULL ? value : "");
}

static void key_of(unsigned char k[32], const char *name)
{
    const char *parts[] = {"test", name};

    cloud_key(k, parts, 2);
}

static void test_tokens(void **state)
{
    unsigned char k1[32], k2[32];
    struct got a = {0}, b = {0}, c = {0};
    char *now = NULL;
    struct verr e = {0};

    (void)state;
    key_of(k1, "one");
    key_of(k2, "two");
    nstarted = 0;
    /* two requests share one fetch */
    assert_int_equal(tokens_get(k1, start_stub, NULL, on_got, &a, &now, &e), 0);
    assert_int_equal(tokens_get(k1, start_stub, NULL, on_got, &b, &now, &e), 0);
    assert_int_equal(nstarted, 1);
    tokens_done(started[0], 0, NULL, "tok-1", (int64_t)time(NULL) + 100);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_string_equal(a.value, "tok-1");
    assert_string_equal(b.value, "tok-1");
    /* then it is cached */
    assert_int_equal(tokens_get(k1, start_stub, NULL, on_got, &c, &now, &e), 1);
    assert_string_equal(now, "tok-1");
    secure_free_str(now);
    assert_int_equal(nstarted, 1);
    /* another key is another fetch; a failure reaches the waiter and is not cached */
    assert_int_equal(tokens_get(k2, start_stub, NULL, on_got, &c, &now, &e), 0);
    tokens_done(started[1], VALS_EDENIED, "refused", NULL, 0);
    assert_int_equal(c.err, VALS_EDENIED);
    assert_int_equal(tokens_get(k2, start_stub, NULL, on_got, &c, &now, &e), 0);
    assert_int_equal(nstarted, 3);
    tokens_done(started[2], 0, NULL, "tok-2", (int64_t)time(NULL) - 1); /* already due */
    assert_int_equal(tokens_get(k2, start_stub, NULL, on_got, &c, &now, &e), 0);
    assert_int_equal(nstarted, 4);
    tokens_done(started[3], 0, NULL, "tok-2b", (int64_t)time(NULL) + 100);
    assert_string_equal(c.value, "tok-2b");
    /* forget drops a value */
    tokens_forget(k1);
    nstarted = 0;
    assert_int_equal(tokens_get(k1, start_stub, NULL, on_got, &a, &now, &e), 0);
    tokens_done(started[0], 0, NULL, "tok-1b", (int64_t)time(NULL) + 100);
    assert_string_equal(a.value, "tok-1b");
    /* a starter that fails: the error is returned, no waiter is kept */
    start_fails = 1;
    tokens_forget(k1);
    assert_int_equal(tokens_get(k1, start_stub, NULL, on_got, &a, &now, &e), VALS_EBACKEND);
    start_fails = 0;
    /* the cache is bounded */
    for (int i = 0; i < TOKENS_MAX + 20; i++) {
        unsigned char k[32];
        char name[32];
        snprintf(name, sizeof(name), "many-%d", i);
        key_of(k, name);
        assert_int_equal(tokens_get(k, start_stub, NULL, on_got, &c, &now, &e), 0);
        tokens_done(started[(nstarted - 1) % 4], 0, NULL, "v", (int64_t)time(NULL) + 100);
    }
    assert_true(tokens_count() <= TOKENS_MAX);
    tokens_clear();
    assert_int_equal(tokens_count(), 0);
}

/* --- context helpers
 * ------------------------------------------------------------------------------ */

static void test_helpers(void **state)
{
    struct dbuf b = DBUF_INIT;

    (void)state;
    assert_int_equal(cloud_escape(&b, "a b/c%é~", strlen("a b/c%é~"), 1), 0);
    assert_string_equal(b.p, "a%20b/c%25%C3%A9~");
    dbuf_reset(&b);
    assert_int_equal(cloud_escape(&b, "x/y", 3, 0), 0);
    assert_string_equal(b.p, "x%2Fy");
    dbuf_free(&b);
    assert_true(cloud_url_ok("https://vault.example.com:8200"));
    assert_true(cloud_url_ok("http://127.0.0.1:1234/base"));
    assert_false(cloud_url_ok("ftp://x"));
    assert_false(cloud_url_ok("https://user@host"));
    assert_false(cloud_url_ok("https://host/?q=1"));
    assert_false(cloud_url_ok("https://"));
    assert_false(cloud_url_ok("https://host/a b"));
    assert_true(cloud_truthy("true") && cloud_truthy("1") && cloud_truthy("T"));
    assert_false(cloud_truthy("yes") || cloud_truthy("") || cloud_truthy(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_gcp_access),
        cmocka_unit_test(test_vault_mount),
        cmocka_unit_test(test_vault_secret),
        cmocka_unit_test(test_vault_login),
        cmocka_unit_test(test_oauth_token),
        cmocka_unit_test(test_error_parse),
        cmocka_unit_test(test_azure_challenge),
        cmocka_unit_test(test_azure_resource_ok),
        cmocka_unit_test(test_gcp_creds_parse),
        cmocka_unit_test(test_gcp_jwt),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_helpers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
