/*
 * aws_call.h - one AWS API call over daemon/http.c: a SigV4-signed request (JSON 1.1 for
 * Secrets Manager and SSM, the Query protocol for STS), the error body parsed and mapped
 * to the VALS_E* space, credentials renewed once when the service rejects assumed-role
 * credentials, and throttling, 5xx answers and transport failures retried (3 attempts
 * in all, exponential backoff with jitter, as botocore's standard mode).
 *
 * Messages name the operation, the region and the AWS error code; they never carry a
 * value or a credential.  The settings must outlive the call.
 */
#ifndef VALSD_AWS_CALL_H
#define VALSD_AWS_CALL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "creds/aws.h"
#include "http.h"

#define AWS_CALL_ATTEMPTS   3
#define AWS_CALL_TIMEOUT_MS 10000

/* The outcome: err 0 and the 200 body, or err < 0 and a message. */
typedef void (*aws_call_cb)(void *data, int err, const char *msg, const char *body, size_t len);

/* Sign with `c` and send one request to `ep` (no retries).  target: the X-Amz-Target
 * header (JSON 1.1) or NULL (Query protocol, form body). */
int aws_send(const struct aws_settings *s, const struct aws_creds *c, const struct aws_service *svc,
             const struct aws_endpoint *ep, const char *target, const char *body, size_t len,
             http_done_cb cb, void *data);

/* Call a JSON 1.1 operation: target = "secretsmanager.GetSecretValue".  Returns 0 and
 * later runs cb exactly once from the loop, or returns an error (cb never runs). */
int aws_call(uv_loop_t *loop, struct aws_settings *s, const struct aws_service *svc,
             const char *target, const char *body, size_t len, aws_call_cb cb, void *data,
             struct verr *e);

#endif
