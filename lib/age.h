/*
 * age.h - age v1 file encryption (https://age-encryption.org/v1) on OpenSSL 3.
 *
 * X25519 recipients and identities (Bech32 "age1..." / "AGE-SECRET-KEY-1..."), identity
 * files, the header with its HMAC, the STREAM payload in 64 KiB chunks, ASCII armor, and
 * scrypt (passphrase) stanzas for decryption.  Parsing is strict exactly where the spec is
 * strict (canonical base64, header grammar, final-chunk rules); see proto/FORMAT-age.md.
 *
 * All functions return 0 or a negative VALS_E* code and, when `e` is not NULL, explain
 * the failure in it (which stanza, which line; never key material).  Secret keys are
 * zeroed by age_identity_clear(); output buffers are dbufs (zeroed when freed).
 */
#ifndef VALS_AGE_H
#define VALS_AGE_H

#include <stddef.h>
#include <stdint.h>

#include "dbuf.h"
#include "verr.h"

#define AGE_RECIPIENT_STRLEN 62 /* "age1" + 58 */
#define AGE_IDENTITY_STRLEN  74 /* "AGE-SECRET-KEY-1" + 58 */

struct age_recipient {
    uint8_t pub[32]; /* X25519 public key */
};

struct age_identity {
    uint8_t secret[32]; /* X25519 private scalar (unclamped, as encoded) */
    uint8_t pub[32];    /* derived public key */
};

/* Parse "age1..." (lower case, Bech32 with BIP-173 checksum). */
int age_recipient_parse(const char *s, size_t len, struct age_recipient *r, struct verr *e);
/* Write the "age1..." form; `out` must hold AGE_RECIPIENT_STRLEN + 1 bytes. */
void age_recipient_format(const struct age_recipient *r, char *out);

/* Parse "AGE-SECRET-KEY-1..." (upper case) and derive its public key. */
int age_identity_parse(const char *s, size_t len, struct age_identity *id, struct verr *e);
/* Write the "AGE-SECRET-KEY-1..." form; `out` must hold AGE_IDENTITY_STRLEN + 1 bytes. */
void age_identity_format(const struct age_identity *id, char *out);
/* A fresh random identity. */
int age_identity_generate(struct age_identity *id);
/* The recipient of an identity. */
void age_identity_recipient(const struct age_identity *id, struct age_recipient *r);
void age_identity_clear(struct age_identity *id);

/* An identity file as written by age-keygen: "# created: ...", "# public key: ...",
 * then one AGE-SECRET-KEY-1 per line; blank lines and '#' lines are ignored.  On success
 * *ids is an array of *n identities (free with age_identities_free). `name` is used in
 * error messages ("keys.txt:3: ..."). */
int age_identities_parse(const char *text, size_t len, const char *name, struct age_identity **ids,
                         size_t *n, struct verr *e);
void age_identities_free(struct age_identity *ids, size_t n);
/* Render an identity file (created comment in RFC 3339 local time, public key, secret). */
int age_identity_file_format(const struct age_identity *id, struct dbuf *out);

#define AGE_ARMOR 0x1 /* encrypt: write PEM-like ASCII armor */

/* Encrypt `inlen` bytes to `n` recipients; appends the age file to `out`. */
int age_encrypt(const struct age_recipient *rcpts, size_t n, const void *in, size_t inlen,
                int flags, struct dbuf *out, struct verr *e);

/* Decrypt an age file (binary or armored, detected) with any of `n` identities, or with
 * `passphrase` (may be NULL) for scrypt files.  Appends the plaintext to `out`; on failure
 * `out` is left as it was (released bytes are zeroed and dropped).
 * VALS_ENOKEY when no identity matches, VALS_ETAMPERED when a MAC or tag check fails,
 * VALS_EPARSE for malformed input. */
int age_decrypt(const struct age_identity *ids, size_t n, const char *passphrase, const void *in,
                size_t inlen, struct dbuf *out, struct verr *e);

/* ---- Additions: streaming, failure classes, armor ---- */

/* The outcome classes of decryption (those of the C2SP CCTV age test vectors). */
enum age_fail {
    AGE_FAIL_NONE = 0, /* success */
    AGE_FAIL_ARMOR,    /* malformed ASCII armor (VALS_EPARSE) */
    AGE_FAIL_HEADER,   /* malformed header, invalid stanza, missing nonce (VALS_EPARSE) */
    AGE_FAIL_NOMATCH,  /* no identity or passphrase opened a stanza (VALS_ENOKEY) */
    AGE_FAIL_HMAC,     /* file key found but the header MAC differs (VALS_ETAMPERED) */
    AGE_FAIL_PAYLOAD,  /* payload chunk tampered, truncated or followed by data (VALS_ETAMPERED) */
    AGE_FAIL_OTHER,    /* usage, memory, I/O, or the sink refused the data */
};

/* Receives verified plaintext, one chunk (at most 64 KiB) at a time; returns 0 or a negative
 * VALS_E* code to stop decryption. */
typedef int (*age_write_fn)(void *arg, const void *p, size_t n);

/* Like age_decrypt, but passes each chunk to `fn` as soon as its tag verified (so a payload
 * failure can come after some plaintext was released; the caller must then discard it).
 * *fail (may be NULL) receives the outcome class. */
int age_decrypt_cb(const struct age_identity *ids, size_t n, const char *passphrase, const void *in,
                   size_t inlen, age_write_fn fn, void *arg, enum age_fail *fail, struct verr *e);

/* Decrypt from file descriptor `infd` to `outfd` in 64 KiB chunks (constant memory for binary
 * input; armored input is read whole, up to 1 GiB).  Plaintext of verified chunks is written
 * as it goes: on failure the caller must discard what was written. */
int age_decrypt_fd(const struct age_identity *ids, size_t n, const char *passphrase, int infd,
                   int outfd, enum age_fail *fail, struct verr *e);

/* Encrypt from `infd` to `outfd` in 64 KiB chunks (constant memory); flags as age_encrypt. */
int age_encrypt_fd(const struct age_recipient *rcpts, size_t n, int infd, int outfd, int flags,
                   struct verr *e);

/* 1 when `in` looks like an armored age file (it does not start like a binary one). */
int age_is_armored(const void *in, size_t inlen);
/* Strict ASCII armor decoding (label "AGE ENCRYPTED FILE"); appends the binary file to `out`.
 * VALS_EPARSE with the line at fault. */
int age_armor_decode(const void *in, size_t inlen, struct dbuf *out, struct verr *e);
/* ASCII armor encoding of a binary age file, appended to `out`. */
int age_armor_encode(const void *in, size_t inlen, struct dbuf *out);

#endif
