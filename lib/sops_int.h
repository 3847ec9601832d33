/*
 * sops_int.h - internals shared by the sops_*.c files (not part of the public API).
 *
 *   sops_value.c   ENC[AES256_GCM,...] values: AES-256-GCM with the path as AAD, type tags
 *   sops_ivcache.c IVs of decrypted values, reused when the same value is encrypted again
 *   sops_mac.c     the SHA-512 MAC over all values and its encryption with lastmodified
 *   sops_tree.c    the walk over documents: paths, selection rules, comments
 *   sops_meta.c    the "sops" metadata block: parsing, layout kept, building a new one
 *   sops_keys.c    the data key: age entries, key groups (sops_shamir.c for the shares)
 *   sops_store_*.c the four stores: bytes <-> documents + metadata block
 *   sops.c         the public functions of sops.h
 */
#ifndef VALS_SOPS_INT_H
#define VALS_SOPS_INT_H

#include <openssl/evp.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "doc.h"
#include "sops.h"

#define SOPS_KEY_LEN       32
#define SOPS_IV_LEN        32
#define SOPS_TAG_LEN       16
#define SOPS_IV_MAX        64       /* longest IV accepted when decrypting */
#define SOPS_WRITE_VERSION "3.10.2" /* the layout written for new files (profile B) */

/* --- sops_value.c --- */

enum sops_vtype {
    SOPS_T_STR,
    SOPS_T_INT,
    SOPS_T_FLOAT,
    SOPS_T_BOOL,
    SOPS_T_TIME,
    SOPS_T_COMMENT,
    SOPS_T_BYTES,
};

const char *sops_vtype_name(enum sops_vtype t);
/* Whether a string looks like an encrypted value ("ENC[AES256_GCM,"). */
int sops_value_is_enc(const char *s, size_t len);
/* The bytes SOPS encrypts and hashes for a leaf (string as is, int decimal, float 'f'
 * shortest, bool True/False, time RFC 3339 nanoseconds, comment text) and its type.
 * VALS_ETYPE for a value SOPS cannot store (uint64 above INT64_MAX). `path` names it. */
int sops_value_plaintext(const struct doc *d, struct dbuf *out, enum sops_vtype *t,
                         const char *path, struct verr *e);
/* Encrypt one value: appends "ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]". */
int sops_value_encrypt(const uint8_t key[32], const uint8_t *iv, size_t ivlen, const void *pt,
                       size_t ptlen, const char *aad, size_t aadlen, enum sops_vtype t,
                       struct dbuf *out);
/* Decrypt an ENC[...] string with `aad`: plaintext appended to `pt`, type into *t, the IV
 * into iv[SOPS_IV_MAX] / *ivlen.  VALS_EPARSE for a malformed value,
 * VALS_ETAMPERED when the tag does not verify. `path` names the value in messages. */
int sops_value_decrypt(const uint8_t key[32], const char *enc, size_t enclen, const char *aad,
                       size_t aadlen, struct dbuf *pt, enum sops_vtype *t, uint8_t *iv,
                       size_t *ivlen, const char *path, struct verr *e);
/* A document node from decrypted bytes of type `t` (SOPS_T_COMMENT gives a DOC_COMMENT). */
int sops_value_to_doc(enum sops_vtype t, const char *pt, size_t len, struct doc **out,
                      const char *path, struct verr *e);

/* --- sops_ivcache.c --- */

/* (aad, plaintext) -> IV of values decrypted earlier; keyed by a SHA-256 digest, so the
 * cache holds no plaintext. */
struct sops_ivcache;
struct sops_ivcache *sops_ivcache_new(void);
void sops_ivcache_free(struct sops_ivcache *c);
int sops_ivcache_put(struct sops_ivcache *c, const char *aad, size_t aadlen, const void *pt,
                     size_t ptlen, const uint8_t *iv, size_t ivlen);
/* 1 and the IV when known, 0 otherwise. */
int sops_ivcache_get(const struct sops_ivcache *c, const char *aad, size_t aadlen, const void *pt,
                     size_t ptlen, uint8_t *iv, size_t *ivlen);

/* Random bytes: from the hooks when given, else OpenSSL's CSPRNG. */
int sops_random(const struct sops_hooks *h, void *buf, size_t len);

/* --- sops_mac.c --- */

/* The MAC as SOPS computes it: SHA-512 over the values' bytes, upper-case hex. */
struct sops_mac {
    EVP_MD_CTX *md;
};
int sops_mac_init(struct sops_mac *m, int mac_only_encrypted);
int sops_mac_update(struct sops_mac *m, const void *p, size_t len);
/* Final hex digest (128 characters + NUL); frees the context. */
int sops_mac_final(struct sops_mac *m, char hex[129]);
void sops_mac_clear(struct sops_mac *m);
/* lastmodified as the AAD of the MAC: parsed as RFC 3339 and formatted again. */
int sops_mac_aad(const char *lastmodified, char *aad, size_t len, struct verr *e);
/* Encrypt the MAC (type str, AAD from lastmodified); IV from the cache when the same MAC
 * was read with the same lastmodified, else random. */
int sops_mac_encrypt(const uint8_t key[32], const char hex[129], const char *lastmodified,
                     const struct sops_ivcache *ivs, const struct sops_hooks *h, struct dbuf *out,
                     struct verr *e);
/* Decrypt the stored MAC and compare it with `hex` (constant time).  Records its IV in the
 * cache. VALS_ETAMPERED on mismatch or when the MAC or lastmodified was altered. */
int sops_mac_verify(const uint8_t key[32], const char *stored, const char *lastmodified,
                    const char hex[129], struct sops_ivcache *ivs, struct verr *e);
/* "now" in UTC as RFC 3339 seconds, or the hook's clock. */
int sops_now(const struct sops_hooks *h, char *buf, size_t len);

/* --- sops_meta.c --- */

struct sops_age_entry {
    char *recipient;
    char *enc; /* armored age file holding the data key (or its share) */
};

struct sops_meta_group {
    struct sops_age_entry *age;
    size_t nage;
    size_t nother;   /* master keys of other kinds (pgp, kms, ...) */
    char other[128]; /* their kinds, for messages ("pgp, kms") */
};

struct sops_meta {
    struct sops_meta_group *groups;
    size_t ngroups;
    int key_groups; /* stored as key_groups (several groups) */
    long shamir_threshold;
    char *lastmodified;
    char *mac;
    enum sops_rule rule;
    char *rule_value;
    int mac_only_encrypted;
    char *version;
    struct doc *raw; /* the block as read (a map), reused when writing it back */
    pcre2_code *re;  /* compiled regex rule */
};

/* Parse a "sops" block (a map). `name` names the file. */
int sops_meta_parse(const struct doc *block, const char *name, struct sops_meta *m, struct verr *e);
/* Metadata for a new file from creation options (groups filled by sops_keys_create). */
int sops_meta_init(struct sops_meta *m, const struct sops_create *c, struct verr *e);
/* Compile the regex rule (if any). */
int sops_meta_compile(struct sops_meta *m, const char *name, struct verr *e);
/* The block to write: the one read with lastmodified and mac replaced, or a new one in
 * sops 3.10's layout. */
int sops_meta_build(const struct sops_meta *m, struct doc **out);
void sops_meta_clear(struct sops_meta *m);

/* --- sops_keys.c --- */

/* A fresh data key encrypted to every recipient of `c` (Shamir shares for several groups);
 * fills the groups of `m`. */
int sops_keys_create(const struct sops_create *c, const struct sops_hooks *h, struct sops_meta *m,
                     uint8_t key[32], struct verr *e);
/* Recover the data key with the identities; the message lists each group and recipient
 * that failed. */
int sops_keys_recover(const struct sops_meta *m, const struct age_identity *ids, size_t nids,
                      const char *tried, const char *name, uint8_t key[32], struct verr *e);

/* --- sops_shamir.c --- */

/* Split `secret` into `n` shares (each len + 1 bytes: y-bytes then x) needing `k`. */
int sops_shamir_split(const uint8_t *secret, size_t len, int n, int k, const struct sops_hooks *h,
                      uint8_t **shares);
/* Combine `n` shares of `len + 1` bytes (x in the last byte) into `secret[len]`. */
int sops_shamir_combine(const uint8_t *const *shares, size_t n, size_t len, uint8_t *secret);

/* --- sops_tree.c --- */

struct sops_walk {
    const struct sops_meta *meta;
    const uint8_t *key;       /* data key */
    struct sops_ivcache *ivs; /* decrypt: record IVs; encrypt: reuse them */
    const struct sops_hooks *hooks;
    const char *name; /* file name for messages */
    int binary;       /* binary store: the one value is always encrypted */
};

/* Encrypt every selected value of `docs` in place; the MAC (hex) of the plaintext values
 * into mac. */
int sops_tree_encrypt(struct doc_stream *docs, const struct sops_walk *w, char mac[129],
                      struct verr *e);
/* Decrypt every selected value in place; the MAC of the decrypted values into mac. */
int sops_tree_decrypt(struct doc_stream *docs, const struct sops_walk *w, char mac[129],
                      struct verr *e);

/* --- stores --- */

/* Load: documents (without the "sops" block) and the block (NULL for a plain file).
 * Emit: documents plus the block (NULL to write plaintext). */
struct sops_layout {
    int yaml_indent;
    int json_indent;  /* SOPS_JSON_INDENT_TAB or spaces */
    int json_newline; /* end JSON with "\n" (sops >= 3.10) */
};

int sops_yaml_load(const char *buf, size_t len, const char *name, struct doc_stream *docs,
                   struct doc **meta, struct verr *e);
int sops_yaml_emit(const struct doc_stream *docs, const struct doc *meta,
                   const struct sops_layout *l, struct dbuf *out, struct verr *e);
int sops_json_load(const char *buf, size_t len, const char *name, struct doc_stream *docs,
                   struct doc **meta, struct verr *e);
int sops_json_emit(const struct doc_stream *docs, const struct doc *meta,
                   const struct sops_layout *l, struct dbuf *out, struct verr *e);
int sops_dotenv_load(const char *buf, size_t len, const char *name, struct doc_stream *docs,
                     struct doc **meta, struct verr *e);
int sops_dotenv_emit(const struct doc_stream *docs, const struct doc *meta, struct dbuf *out,
                     struct verr *e);
/* Binary: plaintext is the raw bytes; the encrypted form is the JSON store's. */
int sops_binary_load_plain(const char *buf, size_t len, struct doc_stream *docs, struct verr *e);
int sops_binary_emit_plain(const struct doc_stream *docs, const char *name, struct dbuf *out,
                           struct verr *e);

#endif
