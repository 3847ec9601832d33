/*
 * age.c - age v1 files as a whole: the file key, header assembly and MAC, stanza
 * unwrapping across identities, and the public encrypt/decrypt entry points over memory,
 * callbacks and file descriptors.  The pieces live in age_header.c (grammar),
 * age_x25519.c / age_scrypt.c (stanzas), age_stream.c (payload), age_armor.c, age_io.c.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "age_int.h"

#define AGE_BINARY_PREFIX  "age-encryption.org/"
#define AGE_ARMOR_READ_MAX ((size_t)1 << 30)

/* Record the outcome class (when asked for) and return `r`. */
static int age_outcome(enum age_fail *fail, enum age_fail cls, int r)
{
    if (fail != NULL)
        *fail = r == 0 ? AGE_FAIL_NONE : cls;
    return r;
}

int age_encrypt_src(const struct age_recipient *rcpts, size_t n, struct age_src *src,
                    struct age_sink *snk, struct verr *e)
{
    uint8_t file_key[AGE_FILE_KEY_LEN], nonce[AGE_NONCE_LEN];
    struct age_stream st = {0};
    struct dbuf hdr = DBUF_INIT;
    int r;

    verr_clear(e);
    if (n == 0 || rcpts == NULL)
        return verr_set(e, VALS_EUSAGE, "age: no recipient to encrypt to");
    if ((r = age_random(file_key, sizeof(file_key))) != 0 ||
        (r = age_random(nonce, sizeof(nonce))) != 0) {
        verr_set(e, r, "age: the random number generator failed");
        goto out;
    }
    if ((r = dbuf_adds(&hdr, AGE_INTRO "\n")) != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if ((r = age_x25519_wrap(&rcpts[i], file_key, &hdr)) != 0) {
            verr_set(e, r, "age: wrapping the file key for recipient %zu failed", i + 1);
            goto out;
        }
    if ((r = age_header_finish(&hdr, 0, file_key)) != 0 ||
        (r = dbuf_add(&hdr, nonce, sizeof(nonce))) != 0 ||
        (r = age_sink_write(snk, hdr.p, hdr.len, e)) != 0)
        goto out;
    if ((r = age_stream_init(&st, file_key, nonce, 1)) != 0) {
        verr_set(e, r, "age: cannot set up the payload cipher");
        goto out;
    }
    if ((r = age_payload_encrypt(&st, src, snk, e)) != 0)
        goto out;
    r = age_sink_finish(snk, e);
out:
    if (r != 0 && e != NULL && e->code == 0)
        verr_set(e, r, "age: encryption failed: %s", vals_strerror(r));
    age_stream_free(&st);
    secure_zero(file_key, sizeof(file_key));
    dbuf_free(&hdr);
    return r;
}

/* Read and parse the header, asking the source for more bytes as needed. */
static int age_read_header(struct age_src *src, struct age_header *h, struct verr *e)
{
    size_t want = 4096;
    int r;

    for (;;) {
        if ((r = age_src_fill(src, want, e)) != 0)
            return r;
        r = age_header_parse(src->p, src->len, src->eof, h, e);
        if (r != VALS_EAGAIN)
            return r;
        want = src->len * 2 > want ? src->len * 2 : want * 2;
        if (want > AGE_HEADER_MAX + 1)
            want = AGE_HEADER_MAX + 1;
    }
}

/* Find the file key with the identities, then the passphrase. */
static int age_unwrap(const struct age_keys *k, const struct age_header *h, uint8_t file_key[16],
                      struct verr *e)
{
    int r;

    for (size_t i = 0; i < h->n; i++)
        if (h->st[i].arglen[0] == 6 && memcmp(h->st[i].args[0], "scrypt", 6) == 0 && h->n != 1)
            return verr_set(e, VALS_EPARSE,
                            "age header line %zu: an scrypt stanza must be the only stanza",
                            h->st[i].line);
    for (size_t i = 0; i < k->n; i++) {
        r = age_x25519_unwrap(&k->ids[i], h, file_key, e);
        if (r != VALS_ENOKEY)
            return r;
    }
    if (k->passphrase != NULL) {
        r = age_scrypt_unwrap(k->passphrase, k->max_logn > 0 ? k->max_logn : AGE_SCRYPT_MAX_LOGN, h,
                              file_key, e);
        if (r != VALS_ENOKEY)
            return r;
    }
    return verr_set(e, VALS_ENOKEY,
                    "age: no identity matches any of the %zu recipient stanza(s) of the file",
                    h->n);
}

int age_decrypt_src(const struct age_keys *k, struct age_src *src, struct age_sink *snk,
                    enum age_fail *fail, struct verr *e)
{
    uint8_t file_key[AGE_FILE_KEY_LEN], mac[AGE_MAC_LEN];
    struct age_header h = {0};
    struct age_stream st = {0};
    enum age_fail cls = AGE_FAIL_HEADER;
    int r;

    verr_clear(e);
    if ((r = age_read_header(src, &h, e)) != 0) {
        if (r != VALS_EPARSE && r != VALS_ETOO_LARGE)
            cls = AGE_FAIL_OTHER;
        goto out;
    }
    /* Checked after the header so a malformed file is reported as such. */
    if (k->n == 0 && k->passphrase == NULL) {
        cls = AGE_FAIL_OTHER;
        r = verr_set(e, VALS_EUSAGE, "age: no identity or passphrase to decrypt with");
        goto out;
    }
    if ((r = age_unwrap(k, &h, file_key, e)) != 0) {
        cls = r == VALS_ENOKEY   ? AGE_FAIL_NOMATCH
              : r == VALS_EPARSE ? AGE_FAIL_HEADER
                                 : AGE_FAIL_OTHER;
        goto out;
    }
    /* The MAC is checked only once a file key was found, in constant time. */
    if ((r = age_header_mac(file_key, src->p, h.mac_covered, mac)) != 0) {
        cls = AGE_FAIL_OTHER;
        goto out;
    }
    if (CRYPTO_memcmp(mac, h.mac, sizeof(mac)) != 0) {
        cls = AGE_FAIL_HMAC;
        r = verr_set(e, VALS_ETAMPERED,
                     "age header: MAC mismatch (the header was modified or "
                     "the file is corrupt)");
        goto out;
    }
    age_src_skip(src, h.len);
    age_header_free(&h); /* its pointers die when the source refills */
    if ((r = age_src_fill(src, AGE_NONCE_LEN, e)) != 0) {
        cls = AGE_FAIL_OTHER;
        goto out;
    }
    if (src->len < AGE_NONCE_LEN) {
        r = verr_set(e, VALS_EPARSE, "age: payload nonce missing or short (%zu of 16 bytes)",
                     src->len);
        goto out;
    }
    if ((r = age_stream_init(&st, file_key, src->p, 0)) != 0) {
        cls = AGE_FAIL_OTHER;
        goto out;
    }
    age_src_skip(src, AGE_NONCE_LEN);
    r = age_payload_decrypt(&st, src, snk, e);
    cls = r == VALS_ETAMPERED ? AGE_FAIL_PAYLOAD : AGE_FAIL_OTHER;
out:
    if (r != 0 && e != NULL && e->code == 0)
        verr_set(e, r, "age: decryption failed: %s", vals_strerror(r));
    age_stream_free(&st);
    age_header_free(&h);
    secure_zero(file_key, sizeof(file_key));
    secure_zero(mac, sizeof(mac));
    return age_outcome(fail, cls, r);
}

int age_is_armored(const void *in, size_t inlen)
{
    size_t n = inlen < sizeof(AGE_BINARY_PREFIX) - 1 ? inlen : sizeof(AGE_BINARY_PREFIX) - 1;

    if (n == 0)
        return 0;
    /* Anything that does not start like a binary age file goes to the armor decoder. */
    return memcmp(in, AGE_BINARY_PREFIX, n) != 0;
}

/* Decrypt a memory buffer, binary or armored, into a sink. */
static int age_decrypt_mem(const struct age_keys *k, const void *in, size_t inlen,
                           struct age_sink *snk, enum age_fail *fail, struct verr *e)
{
    struct dbuf bin = DBUF_INIT;
    struct age_src src;
    int r;

    if (age_is_armored(in, inlen)) {
        if ((r = age_armor_decode(in, inlen, &bin, e)) != 0) {
            age_outcome(fail, r == VALS_EPARSE ? AGE_FAIL_ARMOR : AGE_FAIL_OTHER, r);
            goto out;
        }
        in = bin.p != NULL ? bin.p : "";
        inlen = bin.len;
    }
    age_src_mem(&src, in, inlen);
    r = age_decrypt_src(k, &src, snk, fail, e);
out:
    dbuf_free(&bin);
    return r;
}

/* Drop what a failed operation appended to `out`. */
static void age_dbuf_truncate(struct dbuf *out, size_t len)
{
    if (out->p == NULL || out->len <= len)
        return;
    secure_zero(out->p + len, out->len - len);
    out->len = len;
    out->p[len] = '\0';
}

int age_encrypt(const struct age_recipient *rcpts, size_t n, const void *in, size_t inlen,
                int flags, struct dbuf *out, struct verr *e)
{
    struct age_sink bin, armor = {0};
    struct age_src src;
    size_t start = out->len, est;
    int r;

    /* Reserve the whole output once so the cipher writes in place without regrowth. */
    est = inlen + (inlen / AGE_CHUNK + 1) * AGE_TAG_LEN + 64 + n * 128;
    if (flags & AGE_ARMOR)
        est = est / 48 * 65 + 200;
    if (est < inlen || dbuf_reserve(out, est) != 0)
        return verr_set(e, VALS_ETOO_LARGE, "age: output of %zu bytes would be too large", inlen);
    age_src_mem(&src, in, inlen);
    age_sink_dbuf(&bin, out);
    if (flags & AGE_ARMOR) {
        if ((r = age_sink_armor(&armor, &bin, e)) == 0)
            r = age_encrypt_src(rcpts, n, &src, &armor, e);
    } else {
        r = age_encrypt_src(rcpts, n, &src, &bin, e);
    }
    age_sink_free(&armor);
    if (r != 0)
        age_dbuf_truncate(out, start);
    return r;
}

int age_decrypt(const struct age_identity *ids, size_t n, const char *passphrase, const void *in,
                size_t inlen, struct dbuf *out, struct verr *e)
{
    struct age_keys k = {ids, n, passphrase, 0};
    struct age_sink snk;
    size_t start = out->len;
    int r;

    /* The plaintext is shorter than the file: one reservation, no regrowth. */
    if ((r = dbuf_reserve(out, inlen)) != 0)
        return verr_set(e, r, "age: a plaintext of up to %zu bytes does not fit", inlen);
    age_sink_dbuf(&snk, out);
    r = age_decrypt_mem(&k, in, inlen, &snk, NULL, e);
    if (r != 0)
        age_dbuf_truncate(out, start);
    return r;
}

int age_decrypt_cb(const struct age_identity *ids, size_t n, const char *passphrase, const void *in,
                   size_t inlen, age_write_fn fn, void *arg, enum age_fail *fail, struct verr *e)
{
    struct age_keys k = {ids, n, passphrase, 0};
    struct age_sink snk;
    int r;

    age_sink_cb(&snk, fn, arg);
    r = age_decrypt_mem(&k, in, inlen, &snk, fail, e);
    age_sink_free(&snk);
    return r;
}

/* Read all of a descriptor (armored input) into `out`, at most `max` bytes. */
static int age_read_all(struct age_src *src, size_t max, struct dbuf *out, struct verr *e)
{
    int r;

    dbuf_init(out, max);
    for (;;) {
        if ((r = dbuf_add(out, src->p, src->len)) != 0)
            return verr_set(e, r, "age: armored input larger than %zu bytes", max);
        age_src_skip(src, src->len);
        if (src->eof)
            return 0;
        if ((r = age_src_fill(src, AGE_CHUNK, e)) != 0)
            return r;
    }
}

int age_decrypt_fd(const struct age_identity *ids, size_t n, const char *passphrase, int infd,
                   int outfd, enum age_fail *fail, struct verr *e)
{
    struct age_keys k = {ids, n, passphrase, 0};
    struct dbuf all = DBUF_INIT;
    struct age_sink snk;
    struct age_src src;
    int r;

    age_src_fd(&src, infd);
    age_sink_fd(&snk, outfd);
    if ((r = age_src_fill(&src, sizeof(AGE_BINARY_PREFIX) - 1, e)) != 0) {
        age_outcome(fail, AGE_FAIL_OTHER, r);
        goto out;
    }
    if (age_is_armored(src.p, src.len)) {
        if ((r = age_read_all(&src, AGE_ARMOR_READ_MAX, &all, e)) != 0) {
            age_outcome(fail, AGE_FAIL_OTHER, r);
            goto out;
        }
        r = age_decrypt_mem(&k, all.p != NULL ? all.p : "", all.len, &snk, fail, e);
    } else {
        r = age_decrypt_src(&k, &src, &snk, fail, e);
    }
out:
    dbuf_free(&all);
    age_src_free(&src);
    age_sink_free(&snk);
    return r;
}

int age_encrypt_fd(const struct age_recipient *rcpts, size_t n, int infd, int outfd, int flags,
                   struct verr *e)
{
    struct age_sink bin, armor = {0};
    struct age_src src;
    int r;

    age_src_fd(&src, infd);
    age_sink_fd(&bin, outfd);
    if (flags & AGE_ARMOR) {
        if ((r = age_sink_armor(&armor, &bin, e)) == 0)
            r = age_encrypt_src(rcpts, n, &src, &armor, e);
    } else {
        r = age_encrypt_src(rcpts, n, &src, &bin, e);
    }
    age_sink_free(&armor);
    age_sink_free(&bin);
    age_src_free(&src);
    return r;
}
