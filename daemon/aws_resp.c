/*
 * aws_resp.c - reading AWS API responses: JSON 1.1 values and errors, STS XML (see
 * aws_resp.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_resp.h"
#include "lib/b64.h"

#define AWS_XML_MAX_FIELD 65536

/* Copy printable ASCII of s[0..len) into out (others become '?'), at most cap-1 bytes. */
static void copy_printable(char *out, size_t cap, const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len && n + 1 < cap; i++)
        out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[n] = '\0';
}

/* The text between <tag> and </tag> (first occurrence at or after `from`); no nesting. */
static int xml_field(const char *body, size_t len, const char *tag, const char **start,
                     size_t *flen)
{
    char open[64], close[64];
    const char *p, *q, *end = body + len;
    size_t ol, cl;

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    ol = strlen(open);
    cl = strlen(close);
    p = memmem(body, len, open, ol);
    if (p == NULL)
        return 0;
    p += ol;
    q = memmem(p, (size_t)(end - p), close, cl);
    if (q == NULL || (size_t)(q - p) > AWS_XML_MAX_FIELD)
        return 0;
    *start = p;
    *flen = (size_t)(q - p);
    return 1;
}

/* Decode the five XML entities and numeric references into out. */
static int xml_unescape(const char *s, size_t len, struct dbuf *out)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    int rc = 0;

    for (size_t i = 0; i < len && rc == 0; i++) {
        int done = 0;
        if (s[i] == '&') {
            for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]) && !done; k++) {
                size_t el = strlen(ents[k].ent);
                if (len - i >= el && !memcmp(s + i, ents[k].ent, el)) {
                    rc = dbuf_addc(out, ents[k].c);
                    i += el - 1;
                    done = 1;
                }
            }
            if (!done && len - i >= 4 && s[i + 1] == '#') {
                size_t j = i + 2;
                int hex = j < len && (s[j] == 'x' || s[j] == 'X');
                unsigned long v = 0;
                if (hex)
                    j++;
                size_t digits = 0;
                while (j < len && digits < 8 && s[j] != ';') {
                    char c = s[j];
                    int d = c >= '0' && c <= '9'          ? c - '0'
                            : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                            : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                          : -1;
                    if (d < 0)
                        break;
                    v = v * (hex ? 16 : 10) + (unsigned long)d;
                    j++;
                    digits++;
                }
                if (j < len && s[j] == ';' && digits > 0 && v > 0 && v < 0x80) {
                    rc = dbuf_addc(out, (char)v);
                    i = j;
                    done = 1;
                }
            }
        }
        if (!done && rc == 0)
            rc = dbuf_addc(out, s[i]);
    }
    if (rc == 0)
        rc = dbuf_reserve(out, 0);
    return rc;
}

/* A string member of a JSON map, or NULL. */
static const struct doc *json_member(const struct doc *m, const char *key, enum doc_type type)
{
    const struct doc *v = m != NULL && m->type == DOC_MAP ? doc_map_getz(m, key) : NULL;

    return v != NULL && v->type == type ? v : NULL;
}

void aws_error_parse(long status, const char *body, size_t len, const char *errtype,
                     struct aws_error *out)
{
    const char *code = NULL, *msg = NULL, *p;
    size_t clen = 0, mlen = 0;
    struct doc *j = NULL;

    memset(out, 0, sizeof(*out));
    if (len > 0 && body[0] == '{' && doc_parse_json(body, len, "error", &j, NULL) == 0) {
        const struct doc *c = json_member(j, "__type", DOC_STR);
        const struct doc *m = json_member(j, "message", DOC_STR);
        if (c == NULL)
            c = json_member(j, "code", DOC_STR);
        if (m == NULL)
            m = json_member(j, "Message", DOC_STR);
        if (c != NULL) {
            code = c->v.s.ptr;
            clen = c->v.s.len;
        }
        if (m != NULL) {
            msg = m->v.s.ptr;
            mlen = m->v.s.len;
        }
    } else if (len > 0 && memchr(body, '<', len < 256 ? len : 256) != NULL) {
        xml_field(body, len, "Code", &code, &clen);
        xml_field(body, len, "Message", &msg, &mlen);
    }
    if (code == NULL && errtype != NULL && errtype[0] != '\0') {
        code = errtype;
        clen = strlen(errtype);
    }
    if (code != NULL) {
        /* "aws.protocol#Code:http://..." -> "Code" */
        for (p = code + clen; p > code && p[-1] != '#'; p--)
            ;
        clen -= (size_t)(p - code);
        code = p;
        if ((p = memchr(code, ':', clen)) != NULL)
            clen = (size_t)(p - code);
        copy_printable(out->code, sizeof(out->code), code, clen);
    }
    if (out->code[0] == '\0')
        snprintf(out->code, sizeof(out->code), "HTTP %ld", status);
    if (msg != NULL)
        copy_printable(out->message, sizeof(out->message), msg, mlen);
    doc_free(j);
}

/* Whether code is one of the NULL-terminated list. */
static int code_in(const char *code, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (!strcmp(code, list[i]))
            return 1;
    return 0;
}

static const char *const not_found_codes[] = {"ResourceNotFoundException", "ParameterNotFound",
                                              "ParameterVersionNotFound", "NoSuchEntity", NULL};
static const char *const credential_codes[] = {"UnrecognizedClientException",
                                               "InvalidSignatureException",
                                               "SignatureDoesNotMatch",
                                               "InvalidClientTokenId",
                                               "ExpiredTokenException",
                                               "ExpiredToken",
                                               "IncompleteSignature",
                                               "MissingAuthenticationToken",
                                               "MissingAuthenticationTokenException",
                                               "AuthFailure",
                                               "RequestExpired",
                                               NULL};
static const char *const denied_codes[] = {"AccessDeniedException", "AccessDenied", "NotAuthorized",
                                           "UnauthorizedOperation", NULL};
static const char *const throttle_codes[] = {"Throttling",
                                             "ThrottlingException",
                                             "ThrottledException",
                                             "RequestThrottledException",
                                             "TooManyRequestsException",
                                             "ProvisionedThroughputExceededException",
                                             "RequestLimitExceeded",
                                             "BandwidthLimitExceeded",
                                             "LimitExceededException",
                                             "RequestThrottled",
                                             "SlowDown",
                                             "PriorRequestNotComplete",
                                             NULL};
static const char *const timeout_codes[] = {"RequestTimeout", "RequestTimeoutException", NULL};
static const char *const transient_codes[] = {"InternalServiceError", "InternalServerError",
                                              "InternalFailure", "ServiceUnavailable", NULL};

int aws_error_class(const struct aws_error *err, long status)
{
    if (code_in(err->code, not_found_codes))
        return VALS_ENOT_FOUND;
    if (code_in(err->code, credential_codes) || code_in(err->code, denied_codes))
        return VALS_EDENIED;
    if (code_in(err->code, throttle_codes) || status == 429)
        return VALS_ETHROTTLED;
    if (code_in(err->code, timeout_codes) || status == 408 || status == 504)
        return VALS_ETIMEOUT;
    if (status == 401 || status == 403)
        return VALS_EDENIED;
    return VALS_EBACKEND;
}

int aws_error_is_credentials(const struct aws_error *err)
{
    return code_in(err->code, credential_codes);
}

int aws_error_is_retryable(const struct aws_error *err, long status)
{
    return code_in(err->code, throttle_codes) || code_in(err->code, timeout_codes) ||
           code_in(err->code, transient_codes) || status == 429 || status >= 500;
}

/* Parse a 200 body as a JSON map. */
static int parse_body(const char *body, size_t len, const char *what, struct doc **out,
                      struct verr *e)
{
    int rc = doc_parse_json(body, len, what, out, e);

    if (rc != 0)
        return verr_set(e, VALS_EPARSE, "%s: the response is not JSON (%s)", what,
                        vals_strerror(rc));
    if ((*out)->type != DOC_MAP) {
        doc_free(*out);
        *out = NULL;
        return verr_set(e, VALS_EPARSE, "%s: the response is not a JSON object", what);
    }
    return 0;
}

int aws_sm_secret_value(const char *body, size_t len, struct dbuf *value, int *binary,
                        struct verr *e)
{
    struct doc *j = NULL;
    const struct doc *s, *b;
    int rc;

    *binary = 0;
    if ((rc = parse_body(body, len, "GetSecretValue", &j, e)) != 0)
        return rc;
    if ((s = json_member(j, "SecretString", DOC_STR)) != NULL) {
        rc = dbuf_add(value, s->v.s.ptr, s->v.s.len);
    } else if ((b = json_member(j, "SecretBinary", DOC_STR)) != NULL) {
        *binary = 1;
        rc = b64_decode_dbuf(b->v.s.ptr, b->v.s.len, B64_PAD | B64_LAX, value);
        if (rc == VALS_EPARSE)
            rc = verr_set(e, rc, "GetSecretValue: SecretBinary is not valid base64");
    } else {
        rc = verr_set(e, VALS_EPARSE,
                      "GetSecretValue: the response has neither SecretString nor SecretBinary");
    }
    if (rc == 0)
        rc = dbuf_reserve(value, 0);
    doc_free(j);
    return rc;
}

int aws_ssm_parameter_value(const char *body, size_t len, struct dbuf *value, struct verr *e)
{
    struct doc *j = NULL;
    const struct doc *v;
    int rc;

    if ((rc = parse_body(body, len, "GetParameter", &j, e)) != 0)
        return rc;
    v = json_member(json_member(j, "Parameter", DOC_MAP), "Value", DOC_STR);
    if (v == NULL)
        rc = verr_set(e, VALS_EPARSE, "GetParameter: the response has no Parameter.Value");
    else if ((rc = dbuf_add(value, v->v.s.ptr, v->v.s.len)) == 0)
        rc = dbuf_reserve(value, 0);
    doc_free(j);
    return rc;
}

int aws_ssm_page(const char *body, size_t len, aws_param_fn fn, void *arg, char **next_token,
                 struct verr *e)
{
    struct doc *j = NULL;
    const struct doc *list, *tok;
    int rc;

    *next_token = NULL;
    if ((rc = parse_body(body, len, "SSM", &j, e)) != 0)
        return rc;
    list = json_member(j, "Parameters", DOC_LIST);
    if (list == NULL) {
        rc = verr_set(e, VALS_EPARSE, "SSM: the response has no Parameters list");
        goto out;
    }
    if (list->v.list.len > AWS_MAX_PAGE_ITEMS) {
        rc = verr_set(e, VALS_ETOO_LARGE, "SSM: more than %d parameters in one page",
                      AWS_MAX_PAGE_ITEMS);
        goto out;
    }
    for (size_t i = 0; i < list->v.list.len; i++) {
        const struct doc *p = list->v.list.items[i];
        const struct doc *n = json_member(p, "Name", DOC_STR),
                         *v = json_member(p, "Value", DOC_STR);
        const struct doc *ver = json_member(p, "Version", DOC_INT);
        if (n == NULL || v == NULL) {
            rc = verr_set(e, VALS_EPARSE, "SSM: parameter %zu of the page has no Name or Value", i);
            goto out;
        }
        if ((rc = fn(arg, n->v.s.ptr, n->v.s.len, v->v.s.ptr, v->v.s.len,
                     ver != NULL ? ver->v.i : 0)) != 0)
            goto out;
    }
    if ((tok = json_member(j, "NextToken", DOC_STR)) != NULL && tok->v.s.len > 0 &&
        (*next_token = strndup(tok->v.s.ptr, tok->v.s.len)) == NULL)
        rc = VALS_ENOMEM;
out:
    doc_free(j);
    return rc;
}

int aws_ssm_map_add(struct doc *map, const char *prefix, const char *name, size_t nlen,
                    const char *value, size_t vlen, int recursive, struct verr *e)
{
    size_t pl = strlen(prefix), i, s;
    struct doc *cur = map;
    char *seg = NULL;
    int rc = 0, shown = (int)(nlen > 300 ? 300 : nlen);

    if (nlen < pl + 2 || memcmp(name, prefix, pl) != 0 || name[pl] != '/' ||
        memchr(name, '\0', nlen) != NULL)
        return verr_set(e, VALS_EPARSE,
                        "parameter \"%.*s\" does not continue the path \"%s\" with '/'", shown,
                        name, prefix[0] ? prefix : "/");
    if ((seg = malloc(nlen + 1)) == NULL)
        return VALS_ENOMEM;
    for (i = s = pl + 1; i <= nlen && rc == 0; i++) {
        struct doc *child;
        if (i < nlen && name[i] != '/')
            continue;
        memcpy(seg, name + s, i - s);
        seg[i - s] = '\0';
        s = i + 1;
        child = doc_map_getz(cur, seg);
        if (i == nlen) { /* the last segment names the value */
            if (child != NULL && child->type == DOC_MAP)
                rc = recursive
                         ? 0 /* the subtree wins */
                         : verr_set(e, VALS_ETYPE, "parameter \"%.*s\" is both a value and a path",
                                    shown, name);
            else
                rc = doc_map_set(cur, seg, doc_str(value, vlen));
            break;
        }
        if (child != NULL && child->type != DOC_MAP) {
            if (!recursive) {
                rc = verr_set(e, VALS_ETYPE, "parameter \"%.*s\" is both a value and a path", shown,
                              name);
                break;
            }
            child = NULL; /* recursive: /a/b = v, /a/b/c = w give {b: {c: w}} (vals) */
        }
        if (child == NULL) {
            if ((rc = doc_map_set(cur, seg, doc_map())) != 0)
                break;
            child = doc_map_getz(cur, seg);
        }
        cur = child;
    }
    free(seg);
    return rc;
}

int aws_parse_iso8601(const char *s, size_t len, int64_t *out)
{
    char buf[64];
    struct tm tm = {0};
    int y, mo, d, h, mi, sec, n = 0;
    const char *p;
    long off = 0;

    if (len == 0 || len >= sizeof(buf))
        return VALS_EPARSE;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n < 19)
        return VALS_EPARSE;
    p = buf + n;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    if (*p == 'Z' && p[1] == '\0') {
        off = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
            return VALS_EPARSE;
        off = (oh * 60L + om) * 60L * (*p == '-' ? -1 : 1);
    } else {
        return VALS_EPARSE;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return VALS_EPARSE;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm) - off;
    return 0;
}

/* One <Tag> of the STS credentials block, unescaped, into a new string. */
static int sts_field(const char *blk, size_t blen, const char *tag, char **out, struct verr *e)
{
    const char *s;
    size_t len;
    struct dbuf b = DBUF_INIT;
    int rc;

    if (!xml_field(blk, blen, tag, &s, &len) || len == 0)
        return verr_set(e, VALS_EPARSE, "STS: the response has no %s", tag);
    if ((rc = xml_unescape(s, len, &b)) == 0 && (*out = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&b);
    return rc;
}

int aws_sts_parse(const char *body, size_t len, struct aws_sts_creds *out, struct verr *e)
{
    const char *blk, *s;
    size_t blen, slen;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!xml_field(body, len, "Credentials", &blk, &blen))
        return verr_set(e, VALS_EPARSE, "STS: the response has no Credentials");
    if ((rc = sts_field(blk, blen, "AccessKeyId", &out->access_key_id, e)) != 0 ||
        (rc = sts_field(blk, blen, "SecretAccessKey", &out->secret_access_key, e)) != 0 ||
        (rc = sts_field(blk, blen, "SessionToken", &out->session_token, e)) != 0)
        goto fail;
    if (!xml_field(blk, blen, "Expiration", &s, &slen) ||
        aws_parse_iso8601(s, slen, &out->expires) != 0) {
        rc = verr_set(e, VALS_EPARSE, "STS: the response has no valid Expiration");
        goto fail;
    }
    return 0;
fail:
    aws_sts_creds_free(out);
    return rc;
}

void aws_sts_creds_free(struct aws_sts_creds *c)
{
    secure_free_str(c->access_key_id);
    secure_free_str(c->secret_access_key);
    secure_free_str(c->session_token);
    memset(c, 0, sizeof(*c));
}

int aws_json_str(struct dbuf *out, const char *s)
{
    return doc_json_quote(s, strlen(s), out, DOC_JSON_NOHTML);
}
