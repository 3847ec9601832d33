/*
 * test_aws.c - the AWS pieces that need no network: response parsing and error mapping
 * (daemon/aws_resp.c), the shared config/credentials files and the settings of a request
 * taken from its credential context (daemon/creds/aws.c).  The end-to-end behaviour
 * against a real AWS implementation (moto) is tests/integration/test_aws_moto.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/aws_resp.h"
#include "daemon/creds/aws.h"
#include "daemon/ctx.h"
#include "lib/doc.h"
#include "lib/ref.h"

static char tmp[256];

/* --- errors ---------------------------------------------------------------------------- */

static void test_error_parse(void **state)
{
    static const struct {
        long status;
        const char *body, *errtype, *code, *message;
        int cls, creds, retry;
    } cases[] = {
        {400,
         "{\"__type\":\"com.amazonaws.secretsmanager#ResourceNotFoundException\","
         "\"message\":\"Secrets Manager can't find the specified secret.\"}",
         NULL, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.",
         VALS_ENOT_FOUND, 0, 0},
        {400, "{\"__type\":\"ParameterNotFound\"}", NULL, "ParameterNotFound", "", VALS_ENOT_FOUND,
         0, 0},
        {400, "{\"__type\":\"AccessDeniedException\",\"Message\":\"not allowed\"}", NULL,
         "AccessDeniedException", "not allowed", VALS_EDENIED, 0, 0},
        {400, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}", NULL,
         "ThrottlingException", "Rate exceeded", VALS_ETHROTTLED, 0, 1},
        {400, "{\"__type\":\"InvalidSignatureException\",\"message\":\"Signature expired\"}", NULL,
         "InvalidSignatureException", "Signature expired", VALS_EDENIED, 1, 0},
        {403,
         "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error>"
         "<Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does "
         "not match</Message><Type>Sender</Type></Error></Errors></ErrorResponse>",
         NULL, "SignatureDoesNotMatch", "The request signature we calculated does not match",
         VALS_EDENIED, 1, 0},
        {400, "", "UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon/",
         "UnrecognizedClientException", "", VALS_EDENIED, 1, 0},
        {503, "", NULL, "HTTP 503", "", VALS_EBACKEND, 0, 1},
        {500, "{\"__type\":\"InternalServiceError\",\"message\":\"oops\"}", NULL,
         "InternalServiceError", "oops", VALS_EBACKEND, 0, 1},
        {429, "not json", NULL, "HTTP 429", "", VALS_ETHROTTLED, 0, 1},
        {403, "{}", NULL, "HTTP 403", "", VALS_EDENIED, 0, 0},
        {400, "{\"__type\":\"RequestTimeoutException\"}", NULL, "RequestTimeoutException", "",
         VALS_ETIMEOUT, 0, 1},
        {400, "{\"__type\":\"ValidationException\",\"message\":\"bad\\u0001x\\ny\"}", NULL,
         "ValidationException", "bad?x?y", VALS_EBACKEND, 0, 0},
        {400, "{\"__type\":\"DecryptionFailure\"}", NULL, "DecryptionFailure", "", VALS_EBACKEND, 0,
         0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct aws_error ae;
        aws_error_parse(cases[i].status, cases[i].body, strlen(cases[i].body), cases[i].errtype,
                        &ae);
        assert_string_equal(ae.code, cases[i].code);
        assert_string_equal(ae.message, cases[i].message);
        assert_int_equal(aws_error_class(&ae, cases[i].status), cases[i].cls);
        assert_int_equal(aws_error_is_credentials(&ae), cases[i].creds);
        assert_int_equal(aws_error_is_retryable(&ae, cases[i].status), cases[i].retry);
    }
}

/* --- values ---------------------------------------------------------------------------- */

static void test_secret_value(void **state)
{
    static const struct {
        const char *body, *value;
        int rc, binary;
    } cases[] = {
        {"{\"ARN\":\"arn:x\",\"Name\":\"my-app\",\"SecretString\":\"{\\\"password\\\":\\\"p\\\"}\","
         "\"VersionStages\":[\"AWSCURRENT\"],\"CreatedDate\":1.523477145713E9}",
         "{\"password\":\"p\"}", 0, 0},
        {"{\"Name\":\"b\",\"SecretBinary\":\"aGVsbG8gd29ybGQ=\"}", "hello world", 0, 1},
        {"{\"Name\":\"e\",\"SecretString\":\"\"}", "", 0, 0},
        {"{\"Name\":\"n\"}", NULL, VALS_EPARSE, 0},
        {"{\"SecretBinary\":\"not base64!\"}", NULL, VALS_EPARSE, 1},
        {"[1,2]", NULL, VALS_EPARSE, 0},
        {"<html>", NULL, VALS_EPARSE, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dbuf v = DBUF_INIT;
        struct verr e = {0};
        int binary = -1;
        int rc = aws_sm_secret_value(cases[i].body, strlen(cases[i].body), &v, &binary, &e);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_int_equal(v.len, strlen(cases[i].value));
            assert_memory_equal(v.p != NULL ? v.p : "", cases[i].value, v.len);
            assert_int_equal(binary, cases[i].binary);
        } else {
            assert_true(e.msg[0] != '\0');
            assert_null(strstr(e.msg, "hello")); /* never a value */
        }
        dbuf_free(&v);
    }
}

static void test_parameter_value(void **state)
{
    const char *ok =
        "{\"Parameter\":{\"Name\":\"/a\",\"Type\":\"SecureString\",\"Value\":\"s3cr3t\","
        "\"Version\":3}}";
    struct dbuf v = DBUF_INIT;
    struct verr e = {0};

    (void)state;
    assert_int_equal(aws_ssm_parameter_value(ok, strlen(ok), &v, &e), 0);
    assert_string_equal(v.p, "s3cr3t");
    dbuf_free(&v);
    assert_int_equal(aws_ssm_parameter_value("{\"Parameter\":{}}", 16, &v, &e), VALS_EPARSE);
    dbuf_free(&v);
}

struct collected {
    char names[8][32];
    int64_t versions[8];
    int n;
    int stop_at;
};

static int collect(void *arg, const char *name, size_t nlen, const char *value, size_t vlen,
                   int64_t version)
{
    struct collected *c = arg;

    (void)value;
    (void)vlen;
    if (c->n == c->stop_at)
        return VALS_ETYPE;
    snprintf(c->names[c->n], sizeof(c->names[0]), "%.*s", (int)nlen, name);
    c->versions[c->n++] = version;
    return 0;
}

static void test_ssm_page(void **state)
{
    const char *page =
        "{\"Parameters\":[{\"Name\":\"/p/a\",\"Value\":\"1\",\"Version\":1},"
        "{\"Name\":\"/p/b\",\"Value\":\"2\",\"Version\":7}],\"NextToken\":\"tok==\"}";
    const char *last = "{\"Parameters\":[]}";
    struct collected c = {.stop_at = -1};
    struct verr e = {0};
    char *next = NULL;

    (void)state;
    assert_int_equal(aws_ssm_page(page, strlen(page), collect, &c, &next, &e), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.names[1], "/p/b");
    assert_int_equal(c.versions[1], 7);
    assert_string_equal(next, "tok==");
    free(next);
    assert_int_equal(aws_ssm_page(last, strlen(last), collect, &c, &next, &e), 0);
    assert_null(next);
    c.n = 0;
    c.stop_at = 1; /* the callback's error stops the walk and is returned */
    assert_int_equal(aws_ssm_page(page, strlen(page), collect, &c, &next, &e), VALS_ETYPE);
    assert_null(next);
    assert_int_equal(aws_ssm_page("{}", 2, collect, &c, &next, &e), VALS_EPARSE);
}

/* Build a nested map from (name, value) pairs and compare its JSON. */
static void check_tree(const char *prefix, int recursive, const char *const *pairs,
                       const char *want_json, int want_rc)
{
    struct doc *m = doc_map();
    struct dbuf out = DBUF_INIT;
    struct verr e = {0};
    int rc = 0;

    for (size_t i = 0; pairs[i] != NULL && rc == 0; i += 2)
        rc = aws_ssm_map_add(m, prefix, pairs[i], strlen(pairs[i]), pairs[i + 1],
                             strlen(pairs[i + 1]), recursive, &e);
    assert_int_equal(rc, want_rc);
    if (rc == 0) {
        assert_int_equal(doc_emit_json(m, &out, 0), 0);
        assert_string_equal(out.p, want_json);
    } else {
        assert_true(e.msg[0] != '\0');
    }
    dbuf_free(&out);
    doc_free(m);
}

static void test_ssm_tree(void **state)
{
    /* vals README: /foo/bar={"BAR":"VALUE"}, /foo/bar/a=A, /foo/bar/b=B */
    static const char *const direct[] = {"/foo/bar", "{\"BAR\":\"VALUE\"}", NULL};
    static const char *const under_bar[] = {"/foo/bar/a", "A", "/foo/bar/b", "B", NULL};
    static const char *const rec1[] = {"/foo/bar", "V", "/foo/bar/a", "A", "/foo/bar/b", "B", NULL};
    static const char *const rec2[] = {"/foo/bar/a", "A", "/foo/bar", "V", "/foo/bar/b", "B", NULL};
    static const char *const deep[] = {"/x/a/b/c", "1", "/x/a/d", "2", "/x/e", "3", NULL};
    static const char *const outside[] = {"/other/a", "1", NULL};
    static const char *const noslash[] = {"/foobar", "1", NULL};
    static const char *const root[] = {"/a/b", "1", "/c", "2", NULL};

    (void)state;
    check_tree("/foo", 0, direct, "{\"bar\":\"{\\\"BAR\\\":\\\"VALUE\\\"}\"}", 0);
    check_tree("/foo/bar", 0, under_bar, "{\"a\":\"A\",\"b\":\"B\"}", 0);
    /* recursive: the subtree wins over the value, whatever the order */
    check_tree("/foo", 1, rec1, "{\"bar\":{\"a\":\"A\",\"b\":\"B\"}}", 0);
    check_tree("/foo", 1, rec2, "{\"bar\":{\"a\":\"A\",\"b\":\"B\"}}", 0);
    check_tree("/foo", 0, rec1, NULL, VALS_ETYPE);
    check_tree("/x", 1, deep, "{\"a\":{\"b\":{\"c\":\"1\"},\"d\":\"2\"},\"e\":\"3\"}", 0);
    check_tree("/foo", 0, outside, NULL, VALS_EPARSE);
    check_tree("/foo", 0, noslash, NULL, VALS_EPARSE);
    check_tree("", 1, root, "{\"a\":{\"b\":\"1\"},\"c\":\"2\"}", 0);
}

/* --- STS ------------------------------------------------------------------------------- */

static void test_sts(void **state)
{
    const char *xml = "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
                      "  <AssumeRoleResult>\n    <Credentials>\n"
                      "      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
                      "      <SecretAccessKey>se/cr+et</SecretAccessKey>\n"
                      "      <SessionToken>FQoG&amp;tok&#x3D;&#61;</SessionToken>\n"
                      "      <Expiration>2026-01-01T01:00:00Z</Expiration>\n"
                      "    </Credentials>\n  </AssumeRoleResult>\n</AssumeRoleResponse>";
    struct aws_sts_creds c;
    struct verr e = {0};
    int64_t t;

    (void)state;
    assert_int_equal(aws_sts_parse(xml, strlen(xml), &c, &e), 0);
    assert_string_equal(c.access_key_id, "ASIAEXAMPLE");
    assert_string_equal(c.secret_access_key, "se/cr+et");
    assert_string_equal(c.session_token, "FQoG&tok==");
    assert_int_equal(c.expires, 1767229200);
    aws_sts_creds_free(&c);
    assert_int_equal(aws_sts_parse("<ErrorResponse/>", 16, &c, &e), VALS_EPARSE);
    assert_int_equal(
        aws_sts_parse("<Credentials><AccessKeyId>a</AccessKeyId></Credentials>", 55, &c, &e),
        VALS_EPARSE);
    assert_null(c.access_key_id);
    assert_int_equal(aws_parse_iso8601("2015-08-30T12:36:00.123Z", 24, &t), 0);
    assert_int_equal(t, 1440938160);
    assert_int_equal(aws_parse_iso8601("2015-08-30T14:36:00+02:00", 25, &t), 0);
    assert_int_equal(t, 1440938160);
    assert_int_equal(aws_parse_iso8601("2015-08-30 12:36:00", 19, &t), VALS_EPARSE);
    assert_int_equal(aws_parse_iso8601("2015-13-30T12:36:00Z", 20, &t), VALS_EPARSE);
}

/* --- shared files ---------------------------------------------------------------------- */

static void test_profile_parse(void **state)
{
    const char *creds = "# comment\n"
                        "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key=dsk\n"
                        "\n[dev] \n  ; indented comment\nAWS_ACCESS_KEY_ID =  DEVKEY  \r\n"
                        "aws_secret_access_key = dev/secret+key\naws_session_token = tok\n"
                        "[other]\naws_access_key_id = OTHER\n";
    const char *config = "[default]\nregion = eu-west-1\n"
                         "[profile dev]\nregion = us-west-2\naws_access_key_id = CONFIGKEY\n"
                         "s3 =\n  max_concurrent_requests = 10\n  region = xx\n"
                         "role_arn = arn:aws:iam::123:role/r\n"
                         "[dev]\nregion = ignored-in-config\n";
    struct aws_profile p;

    (void)state;
    memset(&p, 0, sizeof(p));
    assert_int_equal(aws_profile_parse(creds, strlen(creds), "dev", 0, &p), 0);
    assert_int_equal(aws_profile_parse(config, strlen(config), "dev", 1, &p), 0);
    assert_true(p.found);
    assert_string_equal(p.values[AWS_PK_ACCESS_KEY_ID], "DEVKEY"); /* the credentials file wins */
    assert_string_equal(p.values[AWS_PK_SECRET_ACCESS_KEY], "dev/secret+key");
    assert_string_equal(p.values[AWS_PK_SESSION_TOKEN], "tok");
    assert_string_equal(p.values[AWS_PK_REGION], "us-west-2"); /* not the nested s3 one */
    assert_string_equal(p.values[AWS_PK_ROLE_ARN], "arn:aws:iam::123:role/r");
    aws_profile_free(&p);
    assert_int_equal(aws_profile_parse(config, strlen(config), "default", 1, &p), 0);
    assert_string_equal(p.values[AWS_PK_REGION], "eu-west-1");
    aws_profile_free(&p);
    assert_int_equal(aws_profile_parse(config, strlen(config), "missing", 1, &p), 0);
    assert_false(p.found);
    aws_profile_free(&p);
}

/* --- settings from a context ----------------------------------------------------------- */

static struct ctx *make_ctx(uid_t uid, const char *const *kv)
{
    struct doc *m = doc_map();
    struct ctx *c = NULL;
    struct verr e = {0};

    for (size_t i = 0; kv[i] != NULL; i += 2)
        assert_int_equal(doc_map_set(m, kv[i], doc_strz(kv[i + 1])), 0);
    assert_int_equal(ctx_from_doc(uid, m, &c, &e), 0);
    doc_free(m);
    return c;
}

static int load(const char *refbody, const char *const *kv, const struct aws_service *svc,
                struct aws_settings *s, struct verr *e)
{
    struct ref r;
    struct ctx *c = make_ctx(getuid(), kv);
    int rc;

    assert_int_equal(ref_parse(refbody, strlen(refbody), &r, e), 0);
    rc = aws_settings_load(c, &r, svc, s, e);
    ref_free(&r);
    ctx_unref(c);
    return rc;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_settings_env(void **state)
{
    static const char *const env[] = {"AWS_ACCESS_KEY_ID",
                                      "AKID",
                                      "AWS_SECRET_ACCESS_KEY",
                                      "SK",
                                      "AWS_SESSION_TOKEN",
                                      "TOK",
                                      "AWS_REGION",
                                      "eu-central-1",
                                      "HOME",
                                      "/nonexistent",
                                      NULL};
    static const char *const over[] = {"AWS_ACCESS_KEY_ID",
                                       "AKID",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "SK",
                                       "AWS_DEFAULT_REGION",
                                       "us-east-2",
                                       "AWS_ENDPOINT_URL",
                                       "http://127.0.0.1:5000/",
                                       "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                                       "https://sm.local:443",
                                       NULL};
    static const char *const cn[] = {
        "AWS_ACCESS_KEY_ID", "A", "AWS_SECRET_ACCESS_KEY", "S", "VALS_REGION", "cn-north-1", NULL};
    struct aws_settings s;
    struct verr e = {0};

    (void)state;
    assert_int_equal(load("awssecrets://my-app#password", env, &aws_svc_secretsmanager, &s, &e), 0);
    assert_string_equal(s.region, "eu-central-1");
    assert_string_equal(s.creds.access_key_id, "AKID");
    assert_string_equal(s.creds.secret_access_key, "SK");
    assert_string_equal(s.creds.session_token, "TOK");
    assert_string_equal(s.source, "environment keys");
    assert_string_equal(s.endpoint.url, "https://secretsmanager.eu-central-1.amazonaws.com");
    assert_string_equal(s.endpoint.host, "secretsmanager.eu-central-1.amazonaws.com");
    assert_string_equal(s.endpoint.path, "/");
    assert_null(s.role_arn);
    assert_ptr_equal(aws_settings_signing(&s), &s.creds);
    aws_settings_free(&s);
    /* the region option beats the environment; an ARN's region beats the environment */
    assert_int_equal(
        load("awssecrets://my-app?region=us-east-1", env, &aws_svc_secretsmanager, &s, &e), 0);
    assert_string_equal(s.region, "us-east-1");
    aws_settings_free(&s);
    assert_int_equal(load("awssecrets://arn:aws:secretsmanager:ap-south-1:123456789012:secret:x-Ab",
                          env, &aws_svc_secretsmanager, &s, &e),
                     0);
    assert_string_equal(s.region, "ap-south-1");
    aws_settings_free(&s);
    /* endpoint overrides: the per-service variable first, then AWS_ENDPOINT_URL */
    assert_int_equal(load("awssecrets://x", over, &aws_svc_secretsmanager, &s, &e), 0);
    assert_string_equal(s.region, "us-east-2");
    assert_string_equal(s.endpoint.url, "https://sm.local");
    assert_string_equal(s.endpoint.host, "sm.local");
    aws_settings_free(&s);
    assert_int_equal(load("awsssm://x", over, &aws_svc_ssm, &s, &e), 0);
    assert_string_equal(s.endpoint.url, "http://127.0.0.1:5000");
    assert_string_equal(s.endpoint.host, "127.0.0.1:5000");
    assert_string_equal(s.endpoint.path, "/");
    aws_settings_free(&s);
    /* VALS_<OPTION> fallback, China partition */
    assert_int_equal(load("awsssm://x", cn, &aws_svc_ssm, &s, &e), 0);
    assert_string_equal(s.endpoint.url, "https://ssm.cn-north-1.amazonaws.com.cn");
    aws_settings_free(&s);
    /* role_arn option: the keys become the source credentials, STS gets an endpoint */
    assert_int_equal(load("awssecrets://x?role_arn=arn:aws:iam::123:role/r", env,
                          &aws_svc_secretsmanager, &s, &e),
                     0);
    assert_string_equal(s.role_arn, "arn:aws:iam::123:role/r");
    assert_string_equal(s.sts_endpoint.url, "https://sts.eu-central-1.amazonaws.com");
    assert_ptr_equal(aws_settings_signing(&s), &s.session);
    aws_settings_free(&s);
}

static void test_settings_errors(void **state)
{
    static const struct {
        const char *ref;
        const char *const kv[10];
        int rc;
        const char *msg;
    } cases[] = {
        {"awssecrets://x",
         {"AWS_ACCESS_KEY_ID", "A", "AWS_REGION", "us-east-1", NULL},
         VALS_EDENIED,
         "AWS_SECRET_ACCESS_KEY is not"},
        {"awssecrets://x",
         {"AWS_ACCESS_KEY_ID", "A", "AWS_SECRET_ACCESS_KEY", "S", NULL},
         VALS_EBAD_REQUEST,
         "no AWS region"},
        {"awssecrets://x", {"AWS_REGION", "us-east-1", NULL}, VALS_EDENIED, "no AWS credentials"},
        {"awssecrets://x",
         {"AWS_SHARED_CREDENTIALS_FILE", "creds", "AWS_REGION", "us-east-1", NULL},
         VALS_EBAD_REQUEST,
         "absolute path"},
        {"awssecrets://x?region=us-east-1.evil.example/",
         {"AWS_ACCESS_KEY_ID", "A", "AWS_SECRET_ACCESS_KEY", "S", NULL},
         VALS_EBAD_REF,
         "not an AWS region"},
        {"awssecrets://x",
         {"AWS_ACCESS_KEY_ID", "A", "AWS_SECRET_ACCESS_KEY", "S", "AWS_REGION", "us-east-1",
          "AWS_ENDPOINT_URL", "ftp://x", NULL},
         VALS_EBAD_REQUEST,
         "AWS_ENDPOINT_URL must be"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct aws_settings s;
        struct verr e = {0};
        assert_int_equal(load(cases[i].ref, cases[i].kv, &aws_svc_secretsmanager, &s, &e),
                         cases[i].rc);
        if (strstr(e.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, e.msg, cases[i].msg);
        assert_null(strstr(e.msg, "\"S\"")); /* never a secret */
    }
}

static void test_settings_profiles(void **state)
{
    char home[300], aws[320], credpath[340], confpath[340], rmkcreds[340], rmkconf[340];
    struct aws_settings s;
    struct verr e = {0};

    (void)state;
    snprintf(home, sizeof(home), "%s/home", tmp);
    snprintf(aws, sizeof(aws), "%s/.aws", home);
    snprintf(credpath, sizeof(credpath), "%s/credentials", aws);
    snprintf(confpath, sizeof(confpath), "%s/config", aws);
    snprintf(rmkcreds, sizeof(rmkcreds), "%s/credentials_proj-dev", aws);
    snprintf(rmkconf, sizeof(rmkconf), "%s/config_proj-dev", aws);
    mkdir(home, 0700);
    mkdir(aws, 0700);
    write_file(credpath, "[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsk\n"
                         "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = devsk\n"
                         "[roler]\nrole_arn = arn:aws:iam::123456789012:role/reader\n"
                         "source_profile = dev\n");
    write_file(confpath, "[default]\nregion = eu-west-1\n[profile dev]\nregion = us-west-2\n"
                         "[profile sso]\nsso_start_url = https://x\n");
    /* what `rmk config init --cluster-provider aws` writes */
    write_file(rmkcreds, "[proj-dev]\naws_access_key_id = RMKKEY\naws_secret_access_key = rmksk\n");
    write_file(rmkconf, "[profile proj-dev]\nregion = us-east-1\noutput = text\n");
    {
        const char *const kv[] = {"HOME", home, NULL};
        assert_int_equal(load("awssecrets://x", kv, &aws_svc_secretsmanager, &s, &e), 0);
        assert_string_equal(s.creds.access_key_id, "DEFKEY");
        assert_string_equal(s.region, "eu-west-1");
        assert_string_equal(s.source, "profile \"default\"");
        aws_settings_free(&s);
    }
    {
        const char *const kv[] = {"HOME", home, "AWS_PROFILE", "dev", NULL};
        assert_int_equal(load("awsssm://x", kv, &aws_svc_ssm, &s, &e), 0);
        assert_string_equal(s.creds.access_key_id, "DEVKEY");
        assert_string_equal(s.region, "us-west-2");
        aws_settings_free(&s);
    }
    {
        const char *const kv[] = {"HOME",
                                  home,
                                  "AWS_PROFILE",
                                  "proj-dev",
                                  "AWS_SHARED_CREDENTIALS_FILE",
                                  "~/.aws/credentials_proj-dev",
                                  "AWS_CONFIG_FILE",
                                  rmkconf,
                                  NULL};
        assert_int_equal(load("awssecrets://x", kv, &aws_svc_secretsmanager, &s, &e), 0);
        assert_string_equal(s.creds.access_key_id, "RMKKEY");
        assert_string_equal(s.creds.secret_access_key, "rmksk");
        assert_null(s.creds.session_token);
        assert_string_equal(s.region, "us-east-1");
        aws_settings_free(&s);
    }
    {
        /* environment keys win over AWS_PROFILE, but a profile option wins over them */
        const char *const kv[] = {"HOME",
                                  home,
                                  "AWS_PROFILE",
                                  "dev",
                                  "AWS_ACCESS_KEY_ID",
                                  "ENVKEY",
                                  "AWS_SECRET_ACCESS_KEY",
                                  "envsk",
                                  "AWS_REGION",
                                  "us-east-1",
                                  NULL};
        assert_int_equal(load("awssecrets://x", kv, &aws_svc_secretsmanager, &s, &e), 0);
        assert_string_equal(s.creds.access_key_id, "ENVKEY");
        aws_settings_free(&s);
        assert_int_equal(load("awssecrets://x?profile=dev", kv, &aws_svc_secretsmanager, &s, &e),
                         0);
        assert_string_equal(s.creds.access_key_id, "DEVKEY");
        assert_string_equal(s.region, "us-east-1"); /* AWS_REGION beats the profile's */
        aws_settings_free(&s);
    }
    {
        /* environment keys without a region: the profile's region still applies */
        const char *const kv[] = {"HOME",
                                  home,
                                  "AWS_PROFILE",
                                  "dev",
                                  "AWS_ACCESS_KEY_ID",
                                  "ENVKEY",
                                  "AWS_SECRET_ACCESS_KEY",
                                  "envsk",
                                  NULL};
        assert_int_equal(load("awssecrets://x", kv, &aws_svc_secretsmanager, &s, &e), 0);
        assert_string_equal(s.creds.access_key_id, "ENVKEY");
        assert_string_equal(s.region, "us-west-2");
        aws_settings_free(&s);
    }
    {
        const char *const kv[] = {"HOME",       home,        "AWS_PROFILE", "roler",
                                  "AWS_REGION", "us-east-1", NULL};
        assert_int_equal(load("awssecrets://x", kv, &aws_svc_secretsmanager, &s, &e), 0);
        assert_string_equal(s.role_arn, "arn:aws:iam::123456789012:role/reader");
        assert_string_equal(s.creds.access_key_id, "DEVKEY"); /* source_profile's keys */
        aws_settings_free(&s);
    }
    {
        const char *const kv[] = {"HOME", home, "AWS_PROFILE", "nosuch", NULL};
        assert_int_equal(load("awssecrets://x", kv, &aws_svc_secretsmanager, &s, &e), VALS_EDENIED);
        assert_non_null(strstr(e.msg, "profile \"nosuch\" is not in"));
        assert_non_null(strstr(e.msg, credpath));
    }
    {
        const char *const kv[] = {"HOME", home, "AWS_PROFILE", "sso", NULL};
        assert_int_equal(load("awssecrets://x", kv, &aws_svc_secretsmanager, &s, &e),
                         VALS_EUNSUPPORTED_BACKEND);
    }
    {
        /* another uid: the daemon does not open files for it */
        const char *const kv[] = {"HOME", home, NULL};
        struct ref r;
        struct ctx *c = make_ctx(getuid() + 1, kv);
        assert_int_equal(ref_parse("awssecrets://x", 14, &r, &e), 0);
        assert_int_equal(aws_settings_load(c, &r, &aws_svc_secretsmanager, &s, &e),
                         VALS_ELOCAL_ONLY);
        ref_free(&r);
        ctx_unref(c);
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/test_aws.XXXXXX");
    return mkdtemp(tmp) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_parse),     cmocka_unit_test(test_secret_value),
        cmocka_unit_test(test_parameter_value), cmocka_unit_test(test_ssm_page),
        cmocka_unit_test(test_ssm_tree),        cmocka_unit_test(test_sts),
        cmocka_unit_test(test_profile_parse),   cmocka_unit_test(test_settings_env),
        cmocka_unit_test(test_settings_errors), cmocka_unit_test(test_settings_profiles),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
