/*
 * age_int.h - internals shared by the lib/age*.c files (not a public API): primitives,
 * the parsed header, stanza wrap/unwrap, the STREAM payload, and the byte sources and sinks
 * that let one code path serve memory buffers, file descriptors and armor.
 *
 * Limits: a header is at most AGE_HEADER_MAX bytes with at most AGE_STANZAS_MAX stanzas of
 * at most AGE_ARGS_MAX arguments each.  Secrets (file keys, shared secrets, wrap and
 * payload keys) live on the stack of the function that uses them and are zeroed there.
 */
#ifndef VALS_AGE_INT_H
#define VALS_AGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "age.h"
#include "dbuf.h"
#include "verr.h"

#define AGE_INTRO           "age-encryption.org/v1"
#define AGE_FILE_KEY_LEN    16
#define AGE_NONCE_LEN       16
#define AGE_MAC_LEN         32
#define AGE_TAG_LEN         16
#define AGE_CHUNK           65536
#define AGE_CHUNK_CT        (AGE_CHUNK + AGE_TAG_LEN)
#define AGE_HEADER_MAX      (1u << 20)
#define AGE_STANZAS_MAX     4096
#define AGE_ARGS_MAX        64
#define AGE_SCRYPT_MAX_LOGN 22

/* ---- primitives (age_prim.c) ---- */

/* HKDF-SHA-256 with an optional salt (NULL/0 = empty), 32-byte output. */
int age_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
             const char *info, uint8_t out[32]);
/* HMAC-SHA-256. */
int age_hmac(const uint8_t key[32], const void *data, size_t len, uint8_t out[32]);
/* ChaCha20-Poly1305 with a zero nonce and no AAD: out = ct || tag (n + 16 bytes). */
int age_aead_seal(const uint8_t key[32], const uint8_t *in, size_t n, uint8_t *out);
/* Open a zero-nonce box of `n` >= 16 bytes; VALS_ETAMPERED when the tag fails. */
int age_aead_open(const uint8_t key[32], const uint8_t *in, size_t n, uint8_t *out);
/* X25519(scalar, point); VALS_ECRYPTO when the result is all zero (low-order point). */
int age_x25519(const uint8_t scalar[32], const uint8_t point[32], uint8_t out[32]);
/* X25519(scalar, 9). */
int age_x25519_base(const uint8_t scalar[32], uint8_t out[32]);
/* Cryptographically secure random bytes (VALS_ECRYPTO when the RNG fails). */
int age_random(void *p, size_t n);

/* ---- header (age_header.c) ---- */

struct age_stanza {
    const char **args; /* args[0] is the type; pointers into the header text */
    size_t *arglen;    /* lengths of args */
    size_t nargs;      /* >= 1 */
    uint8_t *body;     /* decoded body */
    size_t bodylen;
    size_t line; /* 1-based line of the "->" line, for messages */
};

struct age_header {
    struct age_stanza *st;
    size_t n;
    size_t mac_covered; /* bytes covered by the MAC: from the intro through "---" */
    uint8_t mac[AGE_MAC_LEN];
    size_t len; /* header length including the MAC line's LF */
};

/* Parse a header at the start of `p` (`len` bytes available; `eof` says no more will come).
 * VALS_EAGAIN when more bytes are needed, VALS_EPARSE (message names the line) when
 * malformed, VALS_ETOO_LARGE past the limits.  Argument pointers point into `p`, which must
 * outlive the header. */
int age_header_parse(const uint8_t *p, size_t len, int eof, struct age_header *h, struct verr *e);
void age_header_free(struct age_header *h);
/* Append one stanza (type and arguments already in `line`, e.g. "X25519 <share>"). */
int age_header_add_stanza(struct dbuf *out, const char *line, const uint8_t *body, size_t bodylen);
/* Append "---", then " <b64(MAC)>\n" with the MAC over everything in `out` from `start`. */
int age_header_finish(struct dbuf *out, size_t start, const uint8_t file_key[16]);
/* Compute the header MAC of `covered` bytes under `file_key`. */
int age_header_mac(const uint8_t file_key[16], const void *covered, size_t len,
                   uint8_t mac[AGE_MAC_LEN]);

/* ---- stanzas: X25519 (age_x25519.c), scrypt (age_scrypt.c) ---- */

/* Append an X25519 stanza wrapping `file_key` to `r`. */
int age_x25519_wrap(const struct age_recipient *r, const uint8_t file_key[16], struct dbuf *hdr);
/* Try `id` on every X25519 stanza: 0 with the file key, VALS_ENOKEY when none opens,
 * VALS_EPARSE on an invalid stanza (a hard error). */
int age_x25519_unwrap(const struct age_identity *id, const struct age_header *h,
                      uint8_t file_key[16], struct verr *e);
/* Try a passphrase on the scrypt stanza (logN at most max_logn): 0, VALS_ENOKEY, VALS_EPARSE. */
int age_scrypt_unwrap(const char *passphrase, int max_logn, const struct age_header *h,
                      uint8_t file_key[16], struct verr *e);

/* ---- byte sources and sinks (age_io.c) ---- */

struct age_src {
    const uint8_t *p; /* unread bytes */
    size_t len;       /* how many */
    int eof;          /* nothing beyond p[len] */
    /* Make at least `want` unread bytes available (fewer only at EOF); NULL for memory. */
    int (*fill)(struct age_src *s, size_t want, struct verr *e);
    int fd;
    uint8_t *buf;
    size_t cap;
    size_t max; /* largest `want` honoured */
};

/* A source over a memory buffer. */
void age_src_mem(struct age_src *s, const void *p, size_t len);
/* A source reading a file descriptor. */
void age_src_fd(struct age_src *s, int fd);
/* Ensure `want` bytes (or EOF). */
int age_src_fill(struct age_src *s, size_t want, struct verr *e);
/* Mark `n` unread bytes as consumed. */
void age_src_skip(struct age_src *s, size_t n);
void age_src_free(struct age_src *s);

struct age_sink {
    /* Space for `n` <= AGE_CHUNK_CT bytes; NULL on out of memory. */
    uint8_t *(*get)(struct age_sink *s, size_t n);
    /* Commit the first `n` bytes of the space returned by get(). */
    int (*put)(struct age_sink *s, size_t n, struct verr *e);
    /* Flush at the end (armor footer); may be NULL. */
    int (*finish)(struct age_sink *s, struct verr *e);
    struct dbuf *dbuf; /* dbuf sink */
    int fd;            /* fd sink */
    age_write_fn fn;   /* callback sink */
    void *arg;
    struct age_sink *inner; /* armor sink: where the text goes */
    uint8_t *buf;           /* staging area (fd, callback, armor sinks) */
    size_t cap;
    size_t pend; /* armor: bytes of an incomplete line in buf */
};

void age_sink_dbuf(struct age_sink *s, struct dbuf *out);
void age_sink_fd(struct age_sink *s, int fd);
void age_sink_cb(struct age_sink *s, age_write_fn fn, void *arg);
/* An armor encoder writing text to `inner`; writes the BEGIN line first. */
int age_sink_armor(struct age_sink *s, struct age_sink *inner, struct verr *e);
/* Write `n` bytes through get/put. */
int age_sink_write(struct age_sink *s, const void *p, size_t n, struct verr *e);
int age_sink_finish(struct age_sink *s, struct verr *e);
/* Zero and free the staging area. */
void age_sink_free(struct age_sink *s);

/* ---- STREAM payload (age_stream.c) ---- */

struct age_stream {
    EVP_CIPHER_CTX *ctx;
    uint8_t nonce[12]; /* 11-byte big-endian counter || last flag */
    uint64_t counter;
};

/* Derive the payload key from the file key and the 16-byte nonce; `enc` 1 to seal. */
int age_stream_init(struct age_stream *s, const uint8_t file_key[16],
                    const uint8_t nonce[AGE_NONCE_LEN], int enc);
void age_stream_free(struct age_stream *s);
/* Seal chunk `s->counter` (n <= 64 KiB) into out (n + 16 bytes) and advance. */
int age_stream_seal(struct age_stream *s, const uint8_t *in, size_t n, int last, uint8_t *out);
/* Open chunk `s->counter` (16 <= n <= 64 KiB + 16) into out (n - 16 bytes); does not advance.
 * VALS_ETAMPERED when the tag fails (out is zeroed then). */
int age_stream_open(struct age_stream *s, const uint8_t *in, size_t n, int last, uint8_t *out);
/* Encrypt everything `src` has into `snk`. */
int age_payload_encrypt(struct age_stream *s, struct age_src *src, struct age_sink *snk,
                        struct verr *e);
/* Decrypt the payload in `src` into `snk`, releasing each chunk once verified.
 * VALS_ETAMPERED on a bad tag, truncation or trailing data (message names the chunk). */
int age_payload_decrypt(struct age_stream *s, struct age_src *src, struct age_sink *snk,
                        struct verr *e);

/* ---- whole files (age.c) ---- */

struct age_keys {
    const struct age_identity *ids;
    size_t n;
    const char *passphrase;
    int max_logn; /* scrypt work factor cap; 0 means AGE_SCRYPT_MAX_LOGN */
};

/* Encrypt `src` to `snk` (binary; wrap `snk` in an armor sink for armor). */
int age_encrypt_src(const struct age_recipient *rcpts, size_t n, struct age_src *src,
                    struct age_sink *snk, struct verr *e);
/* Decrypt a binary age file from `src` into `snk`; *fail gets the outcome class. */
int age_decrypt_src(const struct age_keys *k, struct age_src *src, struct age_sink *snk,
                    enum age_fail *fail, struct verr *e);

#endif
