/*
 * age_stream.c - the age payload: STREAM over ChaCha20-Poly1305 with 64 KiB chunks.
 *
 * payload key = HKDF-SHA-256(file key, salt = 16-byte nonce, "payload"); chunk k uses the
 * nonce BE88(k) || flag, flag 1 only on the last chunk.  The last chunk holds 1..64 KiB of
 * plaintext, or 0 bytes only when the whole plaintext is empty.  One cipher context serves
 * all chunks (re-keyed with the nonce only) and chunks are sealed and opened in place in the
 * sink's space, so no plaintext is copied around.
 */
#include <string.h>

#include "age_int.h"

int age_stream_init(struct age_stream *s, const uint8_t file_key[16],
                    const uint8_t nonce[AGE_NONCE_LEN], int enc)
{
    uint8_t key[32];
    int r;

    memset(s, 0, sizeof(*s));
    if ((r = age_hkdf(file_key, AGE_FILE_KEY_LEN, nonce, AGE_NONCE_LEN, "payload", key)) != 0)
        goto out;
    r = VALS_ECRYPTO;
    if ((s->ctx = EVP_CIPHER_CTX_new()) == NULL ||
        EVP_CipherInit_ex(s->ctx, EVP_chacha20_poly1305(), NULL, key, s->nonce, enc) != 1)
        goto out;
    r = 0;
out:
    secure_zero(key, sizeof(key));
    if (r != 0)
        age_stream_free(s);
    return r;
}

void age_stream_free(struct age_stream *s)
{
    EVP_CIPHER_CTX_free(s->ctx); /* cleanses the key schedule */
    memset(s, 0, sizeof(*s));
}

/* Load the nonce of the current chunk into the context. */
static int stream_nonce(struct age_stream *s, int last, int enc)
{
    uint64_t k = s->counter;

    if (k == UINT64_MAX)
        return VALS_ECRYPTO;
    memset(s->nonce, 0, sizeof(s->nonce));
    for (int i = 10; i >= 3; i--, k >>= 8)
        s->nonce[i] = (uint8_t)k;
    s->nonce[11] = last ? 1 : 0;
    if (EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, s->nonce, enc) != 1)
        return VALS_ECRYPTO;
    return 0;
}

int age_stream_seal(struct age_stream *s, const uint8_t *in, size_t n, int last, uint8_t *out)
{
    int outl = 0, fl = 0, r;

    if (n > AGE_CHUNK || (n == 0 && !(last && s->counter == 0)))
        return VALS_EINTERNAL;
    if ((r = stream_nonce(s, last, 1)) != 0)
        return r;
    if (n > 0 && (EVP_EncryptUpdate(s->ctx, out, &outl, in, (int)n) != 1 || (size_t)outl != n))
        return VALS_ECRYPTO;
    if (EVP_EncryptFinal_ex(s->ctx, out + outl, &fl) != 1 ||
        EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, AGE_TAG_LEN, out + n) != 1)
        return VALS_ECRYPTO;
    s->counter++;
    return 0;
}

int age_stream_open(struct age_stream *s, const uint8_t *in, size_t n, int last, uint8_t *out)
{
    size_t ptlen;
    int outl = 0, fl = 0, r;

    if (n < AGE_TAG_LEN || n > AGE_CHUNK_CT)
        return VALS_ETAMPERED;
    ptlen = n - AGE_TAG_LEN;
    if ((r = stream_nonce(s, last, 0)) != 0)
        return r;
    if (EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG, AGE_TAG_LEN, (void *)(in + ptlen)) != 1)
        return VALS_ECRYPTO;
    if (ptlen > 0 &&
        (EVP_DecryptUpdate(s->ctx, out, &outl, in, (int)ptlen) != 1 || (size_t)outl != ptlen))
        r = VALS_ECRYPTO;
    else if (EVP_DecryptFinal_ex(s->ctx, out + outl, &fl) != 1)
        r = VALS_ETAMPERED;
    if (r != 0)
        secure_zero(out, ptlen); /* never leave unauthenticated plaintext behind */
    return r;
}

int age_payload_encrypt(struct age_stream *s, struct age_src *src, struct age_sink *snk,
                        struct verr *e)
{
    int r, last;

    do {
        size_t n;
        uint8_t *out;

        /* One byte of look-ahead tells whether this chunk is the last one. */
        if ((r = age_src_fill(src, AGE_CHUNK + 1, e)) != 0)
            return r;
        last = src->len <= AGE_CHUNK;
        n = last ? src->len : AGE_CHUNK;
        if ((out = snk->get(snk, n + AGE_TAG_LEN)) == NULL)
            return verr_set(e, VALS_ENOMEM, "age: out of memory");
        if ((r = age_stream_seal(s, src->p, n, last, out)) != 0)
            return verr_set(e, r, "age payload chunk %llu: encryption failed",
                            (unsigned long long)s->counter);
        if ((r = snk->put(snk, n + AGE_TAG_LEN, e)) != 0)
            return r;
        age_src_skip(src, n);
    } while (!last);
    return 0;
}

/* Open the current chunk of `n` bytes into fresh sink space and release it. */
static int payload_chunk(struct age_stream *s, struct age_src *src, size_t n, int last,
                         struct age_sink *snk, struct verr *e)
{
    uint8_t *out = snk->get(snk, n - AGE_TAG_LEN);
    int r;

    if (out == NULL)
        return verr_set(e, VALS_ENOMEM, "age: out of memory");
    if ((r = age_stream_open(s, src->p, n, last, out)) != 0)
        return r;
    if ((r = snk->put(snk, n - AGE_TAG_LEN, e)) != 0)
        return r == VALS_ETAMPERED ? VALS_EIO : r;
    age_src_skip(src, n);
    s->counter++;
    return 0;
}

int age_payload_decrypt(struct age_stream *s, struct age_src *src, struct age_sink *snk,
                        struct verr *e)
{
    for (;;) {
        unsigned long long k = (unsigned long long)s->counter;
        size_t avail;
        int r;

        if ((r = age_src_fill(src, AGE_CHUNK_CT + 1, e)) != 0)
            return r;
        avail = src->len;
        if (avail == 0)
            return verr_set(e, VALS_ETAMPERED,
                            "age payload chunk %llu: missing (the file is truncated: no final "
                            "chunk)",
                            k);
        if (avail < AGE_CHUNK_CT) {
            /* A short chunk can only be the final one; empty only as the only chunk. */
            if (avail < AGE_TAG_LEN)
                return verr_set(e, VALS_ETAMPERED,
                                "age payload chunk %llu: %zu bytes, shorter than its tag", k,
                                avail);
            if (k > 0 && avail == AGE_TAG_LEN)
                return verr_set(e, VALS_ETAMPERED,
                                "age payload chunk %llu: empty final chunk after other chunks", k);
            r = payload_chunk(s, src, avail, 1, snk, e);
            if (r == VALS_ETAMPERED)
                return verr_set(e, r, "age payload chunk %llu (final): authentication failed", k);
            return r;
        }
        /* A full chunk: normally not the last; else a full-size final chunk. */
        r = payload_chunk(s, src, AGE_CHUNK_CT, 0, snk, e);
        if (r == 0)
            continue;
        if (r != VALS_ETAMPERED)
            return r;
        r = payload_chunk(s, src, AGE_CHUNK_CT, 1, snk, e);
        if (r == VALS_ETAMPERED)
            return verr_set(e, r, "age payload chunk %llu: authentication failed", k);
        if (r != 0)
            return r;
        if (src->len > 0)
            return verr_set(e, VALS_ETAMPERED, "age payload chunk %llu: data after the final chunk",
                            k);
        return 0;
    }
}
