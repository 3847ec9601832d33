/*
 * aws_sigv4.h - AWS Signature Version 4 (reference/backends.md §1) on OpenSSL 3: the
 * canonical request, the string to sign, the derived signing key, the signature, and the
 * two ways of carrying it (an Authorization header, or presigned query parameters).
 *
 * The steps are separate functions so that tests can compare each intermediate text with
 * the official test suite (tests/data/sigv4); aws_sigv4_sign() chains them for callers.
 *
 * Inputs are the request as it goes on the wire: the path as on the request line (it is
 * percent-encoded once more, as every service but S3 expects), the raw query text (pairs
 * are decoded and re-encoded canonically), and the headers to sign (names in any case,
 * values as sent; folded multi-line values are joined).  Secrets are only read; every
 * intermediate key is scrubbed before returning.  Functions return 0 or a negative
 * VALS_E* code (VALS_ENOMEM, VALS_ETOO_LARGE, VALS_ECRYPTO, VALS_EBAD_REQUEST for a
 * request without a Host header).
 */
#ifndef VALS_AWS_SIGV4_H
#define VALS_AWS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "dbuf.h"

#define AWS_SIGV4_MAX_HEADERS 64
#define AWS_SIGV4_ALGORITHM   "AWS4-HMAC-SHA256"

struct aws_sigv4_header {
    const char *name;  /* NUL-terminated */
    const char *value; /* NUL-terminated, as sent */
};

struct aws_sigv4_request {
    const char *method;                     /* "POST" */
    const char *path;                       /* "/" (NULL or "" means "/") */
    const char *query;                      /* text after '?', or NULL */
    const struct aws_sigv4_header *headers; /* the headers to sign; must include Host */
    size_t nheaders;
    const char *payload_hash; /* lower-case hex SHA-256 of the body (aws_sigv4_hash) */
    int normalize_path;       /* drop "." / ".." segments and empty ones (not for S3) */
};

struct aws_sigv4_scope {
    char amz_date[17];   /* YYYYMMDDTHHMMSSZ; its first 8 characters are the date */
    const char *region;  /* "us-east-1" */
    const char *service; /* signing name: "secretsmanager", "ssm", "sts" */
};

/* Format a UTC time as an X-Amz-Date value. */
void aws_sigv4_amz_date(time_t t, char out[17]);
/* Lower-case hex SHA-256 of `len` bytes (the payload hash). */
int aws_sigv4_hash(const void *data, size_t len, char hex[65]);

/* "content-type;host;x-amz-date" for the request's headers. */
int aws_sigv4_signed_headers(const struct aws_sigv4_request *rq, struct dbuf *out);
/* The canonical request (six lines). */
int aws_sigv4_canonical_request(const struct aws_sigv4_request *rq, struct dbuf *out);
/* The string to sign for a canonical request. */
int aws_sigv4_string_to_sign(const struct aws_sigv4_scope *sc, const char *creq, size_t len,
                             struct dbuf *out);
/* The hex signature of a string to sign with a secret access key. */
int aws_sigv4_signature(const char *secret_access_key, const struct aws_sigv4_scope *sc,
                        const char *sts, size_t len, char hex[65]);
/* The Authorization header value:
 * "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=..,
 * Signature=..". */
int aws_sigv4_authorization(const char *access_key_id, const struct aws_sigv4_scope *sc,
                            const char *signed_headers, const char *signature, struct dbuf *out);
/* The presigned-URL parameters (everything but X-Amz-Signature), percent-encoded and
 * joined with '&', to be appended to the request's query before signing.  A session
 * token is included when not NULL. */
int aws_sigv4_presign_params(const char *access_key_id, const char *session_token,
                             const struct aws_sigv4_scope *sc, unsigned expires_s,
                             const char *signed_headers, struct dbuf *out);

/* Header signing in one call: canonical request -> string to sign -> signature ->
 * Authorization value (appended to `authorization`).  The caller has already put Host,
 * X-Amz-Date and (with temporary credentials) X-Amz-Security-Token among rq->headers. */
int aws_sigv4_sign(const struct aws_sigv4_request *rq, const struct aws_sigv4_scope *sc,
                   const char *access_key_id, const char *secret_access_key,
                   struct dbuf *authorization);

/* Append the SigV4 percent-encoding of `len` bytes (unreserved A-Za-z0-9-_.~ kept; with
 * keep_slash, '/' too). */
int aws_sigv4_uri_encode(const char *s, size_t len, int keep_slash, struct dbuf *out);

#endif
