/*
 * aws_resp.h - reading AWS API responses (untrusted network bytes): the JSON 1.1 bodies
 * of Secrets Manager and SSM, their error bodies (JSON, or the XML some endpoints and
 * moto send), and the XML of STS AssumeRole (reference/backends.md §2, §3.4).
 *
 * Pure functions over a byte buffer: bounded parsing (lib/doc's JSON parser with its depth
 * limit; a small tag extractor for XML), no I/O, nothing logged.  Values are copied into
 * the caller's buffers/documents, which zero themselves when freed.  Error messages name
 * the field that is wrong and never quote a value.
 */
#ifndef VALSD_AWS_RESP_H
#define VALSD_AWS_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dbuf.h"
#include "lib/doc.h"
#include "lib/verr.h"

#define AWS_MAX_PAGE_ITEMS 1000 /* parameters in one response page */

struct aws_error {
    char code[128];    /* "ResourceNotFoundException", or "HTTP 503" without a body code */
    char message[256]; /* AWS's message, printable ASCII only, may be empty */
};

/* The error of a failed call from its status, body and x-amzn-ErrorType header (may be
 * NULL), following botocore: the code is the part after the last '#' and before ':'. */
void aws_error_parse(long status, const char *body, size_t len, const char *errtype,
                     struct aws_error *out);
/* The VALS_E* class of an AWS error: VALS_ENOT_FOUND, VALS_EDENIED, VALS_ETHROTTLED,
 * VALS_ETIMEOUT or VALS_EBACKEND. */
int aws_error_class(const struct aws_error *err, long status);
/* Whether the error says the credentials (not the permissions) are bad or expired. */
int aws_error_is_credentials(const struct aws_error *err);
/* Whether retrying the same request later may succeed (throttling, 5xx, timeouts). */
int aws_error_is_retryable(const struct aws_error *err, long status);

/* Secrets Manager GetSecretValue: SecretString as is, or SecretBinary base64-decoded
 * (*binary = 1).  VALS_EPARSE when neither is present or the body is not JSON. */
int aws_sm_secret_value(const char *body, size_t len, struct dbuf *value, int *binary,
                        struct verr *e);

/* SSM GetParameter: Parameter.Value. */
int aws_ssm_parameter_value(const char *body, size_t len, struct dbuf *value, struct verr *e);

/* One parameter of a page (GetParametersByPath, GetParameterHistory). */
typedef int (*aws_param_fn)(void *arg, const char *name, size_t nlen, const char *value,
                            size_t vlen, int64_t version);
/* Call fn for every element of "Parameters" (stops at fn's first non-zero return, which
 * is returned); *next_token (malloc'ed) is the page token, NULL on the last page. */
int aws_ssm_page(const char *body, size_t len, aws_param_fn fn, void *arg, char **next_token,
                 struct verr *e);

/* Build vals' nested map from parameter names under `prefix` (GetParametersByPath):
 * "/prefix/a/b" = v sets map[a][b] = v.  A name that does not continue the prefix with
 * '/' is VALS_EPARSE; where a value and a subtree meet, the subtree wins when `recursive`
 * (vals' rule), else it is VALS_ETYPE. */
int aws_ssm_map_add(struct doc *map, const char *prefix, const char *name, size_t nlen,
                    const char *value, size_t vlen, int recursive, struct verr *e);

/* Credentials returned by STS (AssumeRole / AssumeRoleWithWebIdentity XML). */
struct aws_sts_creds {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    int64_t expires; /* Unix seconds */
};
int aws_sts_parse(const char *body, size_t len, struct aws_sts_creds *out, struct verr *e);
void aws_sts_creds_free(struct aws_sts_creds *c);
/* ISO 8601 "2026-01-01T00:00:00Z" (fraction and offset accepted) to Unix seconds. */
int aws_parse_iso8601(const char *s, size_t len, int64_t *out);

/* Append s as the JSON string literal of a request body. */
int aws_json_str(struct dbuf *out, const char *s);

#endif
