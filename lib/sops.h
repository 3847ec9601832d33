/*
 * sops.h - SOPS encrypted files (YAML, JSON, dotenv, binary) with age master keys.
 *
 * A SOPS file keeps its structure and keys in clear text and encrypts every selected value
 * with AES-256-GCM under a random 32-byte data key; the data key is stored encrypted to each
 * age recipient (one armored age file per recipient) in a "sops" metadata block, next to a
 * MAC over all values.  The format is specified in shared/reference/sops-age.md §2-§6 and
 * proto/FORMAT-sops.md; files written here are read by sops >= 3.7 and files written by sops
 * 3.7-3.13 are read here (other master-key kinds such as pgp or kms are kept as they are but
 * cannot be used to decrypt).
 *
 * Everything works on bytes in memory: reading a file or writing it atomically is the
 * caller's job.  All functions return 0 or a negative VALS_E* code and explain failures in
 * `e` (may be NULL), naming the file, key path or recipient at fault, never a secret:
 *   VALS_EPARSE     malformed input (bad YAML/JSON, bad ENC[...] value, bad metadata)
 *   VALS_ENOKEY     no identity could decrypt the data key (the message lists what was tried)
 *   VALS_ETAMPERED  a value's tag, the MAC, lastmodified or a recipient block does not verify
 *   VALS_EEXISTS    sops_encrypt_bytes() on a file that already has a "sops" block
 *   VALS_ETYPE      a value that cannot be stored (nested value in dotenv, uint64, NaN in JSON)
 * Buffers and documents holding plaintext are zeroed when freed.
 */
#ifndef VALS_SOPS_H
#define VALS_SOPS_H

#include <stddef.h>
#include <stdint.h>

#include "age.h"
#include "dbuf.h"
#include "doc.h"
#include "verr.h"

/* --- formats --- */

enum sops_format {
    SOPS_FMT_YAML,
    SOPS_FMT_JSON,
    SOPS_FMT_DOTENV,
    SOPS_FMT_BINARY,
};

/* The store sops picks for a file name: .yaml/.yml, .json, .env, anything else binary. */
enum sops_format sops_format_for_path(const char *path);
/* "yaml", "json", "dotenv" (or "env"), "binary"; VALS_EUSAGE for anything else. */
int sops_format_parse(const char *name, enum sops_format *out);
const char *sops_format_name(enum sops_format f);

/* --- what to encrypt to (filled from .sops.yaml by sops_config_for_file or by hand) --- */

/* Which values are encrypted: exactly one rule per file (sops-age.md §2.3). */
enum sops_rule {
    SOPS_RULE_DEFAULT, /* unencrypted_suffix "_unencrypted" */
    SOPS_RULE_UNENCRYPTED_SUFFIX,
    SOPS_RULE_ENCRYPTED_SUFFIX,
    SOPS_RULE_UNENCRYPTED_REGEX,
    SOPS_RULE_ENCRYPTED_REGEX,
    SOPS_RULE_UNENCRYPTED_COMMENT_REGEX,
    SOPS_RULE_ENCRYPTED_COMMENT_REGEX,
};
/* The metadata key of a rule ("unencrypted_suffix", ...). */
const char *sops_rule_name(enum sops_rule r);

/* One key group: every recipient in it can decrypt its share of the data key. */
struct sops_group {
    struct age_recipient *age;
    size_t nage;
};

#define SOPS_JSON_INDENT_TAB (-1)

struct sops_create {
    struct sops_group *groups; /* one group: whole data key; several: Shamir shares */
    size_t ngroups;
    int shamir_threshold; /* 0: all groups */
    enum sops_rule rule;
    char *rule_value; /* suffix or regex (RE2 syntax, run with PCRE2) */
    int mac_only_encrypted;
    int yaml_indent;   /* 2..9, default 4 */
    int json_indent;   /* SOPS_JSON_INDENT_TAB (default) or a number of spaces */
    int binary_indent; /* indent of the binary store's JSON, same convention */
};

/* Defaults: no groups, default rule, YAML indent 4, JSON tab. */
void sops_create_init(struct sops_create *c);
/* Free what the structure owns (groups, rule_value) and reset it. */
void sops_create_clear(struct sops_create *c);
/* Add comma-separated "age1..." recipients (blanks around each trimmed) to group `group`,
 * creating groups up to it. */
int sops_create_add_age(struct sops_create *c, size_t group, const char *list, size_t len,
                        struct verr *e);

/* Test hooks: deterministic randomness (data key, IVs, age) and a fixed clock. */
struct sops_hooks {
    int (*random)(void *ctx, void *buf, size_t len); /* 0 on success */
    void *ctx;
    const char *now; /* lastmodified to write, RFC 3339 ("2024-01-02T03:04:05Z") */
};

/* --- identities for decryption (sops_identity.c) --- */

struct sops_identities {
    struct age_identity *ids;
    size_t n;
    char *tried; /* where identities were looked for, for error messages */
};

/*
 * Load age identities the way sops does: SOPS_AGE_KEY (identity text), SOPS_AGE_KEY_FILE
 * (a file), SOPS_AGE_KEY_CMD (a command run without a shell, its stdout read as a file),
 * then $XDG_CONFIG_HOME/sops/age/keys.txt (else $HOME/.config/sops/age/keys.txt).  All
 * sources are read; a source that fails to load is reported only when no identity was found
 * at all (VALS_ENOKEY, listing every location tried).
 */
int sops_identities_load(struct sops_identities *out, struct verr *e);
/* The same, reading variables through `env` (e.g. a client's credential context in
 * valsd).  SOPS_ID_NO_CMD: do not run SOPS_AGE_KEY_CMD (it would block valsd's loop). */
typedef const char *(*sops_env_fn)(void *ctx, const char *name);
#define SOPS_ID_NO_CMD 0x1
int sops_identities_load_env(struct sops_identities *out, sops_env_fn env, void *ctx, int flags,
                             struct verr *e);
/* Identities from identity-file text (e.g. a test key). */
int sops_identities_from_text(struct sops_identities *out, const char *text, size_t len,
                              const char *name, struct verr *e);
void sops_identities_free(struct sops_identities *ids);

/* --- files --- */

/* A decrypted file: the documents (values in clear, comments kept), its metadata and data
 * key.  Opaque; documents are owned by it. */
struct sops_file;

#define SOPS_IGNORE_MAC 0x1 /* decrypt even when the MAC does not match (sops --ignore-mac) */

/* Whether `buf` holds a SOPS-encrypted file of that format (a "sops" block with a mac). */
int sops_is_encrypted(const char *buf, size_t len, enum sops_format fmt);

/*
 * Decrypt an encrypted file: parse it, recover the data key with `ids`, decrypt every value
 * and check the MAC.  `name` names the file in messages.  On success *out is the file.
 */
int sops_open(const char *buf, size_t len, enum sops_format fmt, const char *name,
              const struct sops_identities *ids, int flags, struct sops_file **out, struct verr *e);
/* Decrypt with an already known data key (tests, tools that got the key elsewhere). */
int sops_open_with_key(const char *buf, size_t len, enum sops_format fmt, const char *name,
                       const uint8_t key[32], int flags, struct sops_file **out, struct verr *e);

/* The decrypted documents (YAML may have several; others have one).  Binary files hold one
 * map {"data": <the bytes>}.  Owned by the file. */
const struct doc_stream *sops_file_docs(const struct sops_file *f);
enum sops_format sops_file_format(const struct sops_file *f);
/* The decrypted file as bytes in its format (what `sops -d` prints). */
int sops_file_plain(const struct sops_file *f, struct dbuf *out, struct verr *e);
/* Replace the content with new plaintext in the file's format (edit). */
int sops_file_set_plain(struct sops_file *f, const char *buf, size_t len, struct verr *e);
/*
 * Encrypt the content again with the same data key and master keys (edit): values that did
 * not change keep their IV and ciphertext, the metadata keeps its layout, lastmodified and
 * the MAC are renewed.
 */
int sops_file_encrypt(struct sops_file *f, const struct sops_hooks *h, struct dbuf *out,
                      struct verr *e);
void sops_file_free(struct sops_file *f);

/* Decrypt `buf` and write the plaintext (sops -d). */
int sops_decrypt_bytes(const char *buf, size_t len, enum sops_format fmt, const char *name,
                       const struct sops_identities *ids, int flags, struct dbuf *out,
                       struct verr *e);
/* Encrypt a plaintext file with a fresh data key to the groups of `c` (sops -e).  `h` may be
 * NULL. */
int sops_encrypt_bytes(const char *buf, size_t len, enum sops_format fmt, const char *name,
                       const struct sops_create *c, const struct sops_hooks *h, struct dbuf *out,
                       struct verr *e);

/* --- .sops.yaml (sops_config.c) --- */

/*
 * Find the .sops.yaml that governs `file_path` (walking up from the file's directory, at
 * most 100 levels) and fill `c` from the first creation rule whose path_regex matches the
 * file's path relative to the config's directory.  VALS_ENOT_FOUND when there is no config
 * file; VALS_EPARSE with the config's name for a bad config or when no rule matches.
 * `config_path` may be NULL; otherwise it receives the path used (free it).
 */
int sops_config_for_file(const char *file_path, struct sops_create *c, char **config_path,
                         struct verr *e);
/* The same from config text; `rel_path` is the path matched against path_regex. */
int sops_config_parse(const char *buf, size_t len, const char *name, const char *rel_path,
                      struct sops_create *c, struct verr *e);

#endif
