/*
 * valsd/errors.h - the one error space shared by valsd, libvalsclient, valsctl and rmk.
 *
 * Every fallible function returns 0 on success or a negative VALS_E* code.  The X-macro
 * below is the single source of truth: it gives each error its code, the symbolic name
 * used on the wire (the word before the colon in an RPC error "code: message") and a
 * default message.  The first block are the wire codes of DESIGN.md §3; the second block
 * are local codes that never cross the socket as such (they map to "internal" or to a
 * more specific wire code by the caller).
 */
#ifndef VALSD_ERRORS_H
#define VALSD_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(ENUM, number, "wire_name", "default message") */
#define VALS_ERROR_MAP(X)                                                                          \
    X(BAD_REQUEST, 1, "bad_request", "malformed request")                                          \
    X(UNKNOWN_METHOD, 2, "unknown_method", "unknown method")                                       \
    X(TOO_LARGE, 3, "too_large", "message or value exceeds a limit")                               \
    X(BAD_REF, 4, "bad_ref", "malformed reference")                                                \
    X(UNSUPPORTED_BACKEND, 5, "unsupported_backend", "no such backend")                            \
    X(NOT_FOUND, 6, "not_found", "not found")                                                      \
    X(MISSING_KEY, 7, "missing_key", "key not found in document")                                  \
    X(DENIED, 8, "denied", "permission denied")                                                    \
    X(THROTTLED, 9, "throttled", "backend is throttling requests")                                 \
    X(TIMEOUT, 10, "timeout", "timed out")                                                         \
    X(BACKEND, 11, "backend_error", "backend error")                                               \
    X(LOCAL_ONLY, 12, "local_only", "only served to the daemon's own user")                        \
    X(SHUTTING_DOWN, 13, "shutting_down", "daemon is shutting down")                               \
    X(INTERNAL, 14, "internal", "internal error")                                                  \
    X(NOMEM, 20, "internal", "out of memory")                                                      \
    X(IO, 21, "io", "input/output error")                                                          \
    X(PARSE, 22, "parse", "syntax error")                                                          \
    X(CRYPTO, 23, "crypto", "cryptographic failure")                                               \
    X(AGAIN, 24, "again", "incomplete input, need more bytes")                                     \
    X(CONNECT, 25, "connect", "cannot reach valsd")                                                \
    X(USAGE, 26, "usage", "invalid usage")                                                         \
    X(EXISTS, 27, "exists", "already exists")                                                      \
    X(PENDING, 28, "pending", "value not available yet")                                           \
    X(TYPE, 29, "type", "value has the wrong type")                                                \
    X(NOKEY, 30, "no_identity", "no identity or key can open this file")                           \
    X(TAMPERED, 31, "tampered", "integrity check failed")

enum vals_error {
    VALS_OK = 0,
#define VALS_ERROR_ENUM(name, num, wire, msg) VALS_E##name = -(num),
    VALS_ERROR_MAP(VALS_ERROR_ENUM)
#undef VALS_ERROR_ENUM
};

/* The default message of an error code ("ok" for 0, "unknown error" otherwise). Static. */
const char *vals_strerror(int err);

/* The wire name of an error code ("bad_request", ...). Static. Local codes that have no
 * wire meaning return their own name; VALS_ENOMEM returns "internal". */
const char *vals_err_name(int err);

/* The error code for a wire name, or VALS_EINTERNAL when the name is unknown. */
int vals_err_from_name(const char *name, unsigned long len);

#ifdef __cplusplus
}
#endif
#endif
