/*
 * age_prim.c - the cryptographic primitives of age on OpenSSL 3: HKDF-SHA-256,
 * HMAC-SHA-256, zero-nonce ChaCha20-Poly1305 boxes (stanza bodies), X25519, randomness.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "age_int.h"

int age_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
             const char *info, uint8_t out[32])
{
    OSSL_PARAM params[5], *p = params;
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *ctx = NULL;
    int r = VALS_ECRYPTO;

    if ((kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL)) == NULL ||
        (ctx = EVP_KDF_CTX_new(kdf)) == NULL)
        goto out;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
    /* An empty salt equals no salt (HMAC zero-pads the key), so only pass a real one. */
    if (salt != NULL && saltlen > 0)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
    *p = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(ctx, out, 32, params) != 1)
        goto out;
    r = 0;
out:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return r;
}

int age_hmac(const uint8_t key[32], const void *data, size_t len, uint8_t out[32])
{
    size_t outlen = 0;

    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 32, data, len, out, 32, &outlen) ==
            NULL ||
        outlen != 32)
        return VALS_ECRYPTO;
    return 0;
}

/* Seal or open a zero-nonce ChaCha20-Poly1305 box. */
static int age_aead(const uint8_t key[32], const uint8_t *in, size_t n, uint8_t *out, int enc)
{
    static const uint8_t zero_nonce[12];
    EVP_CIPHER_CTX *ctx;
    size_t ptlen = enc ? n : n - AGE_TAG_LEN;
    int outl = 0, fl = 0, r = VALS_ECRYPTO;

    if (!enc && n < AGE_TAG_LEN)
        return VALS_ETAMPERED;
    if (n > (1u << 20) || (ctx = EVP_CIPHER_CTX_new()) == NULL)
        return VALS_ECRYPTO;
    if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, zero_nonce, enc) != 1)
        goto out;
    if (!enc &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AGE_TAG_LEN, (void *)(in + ptlen)) != 1)
        goto out;
    if (EVP_CipherUpdate(ctx, out, &outl, in, (int)ptlen) != 1 || (size_t)outl != ptlen)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out + outl, &fl) != 1) {
        if (!enc) {
            secure_zero(out, ptlen);
            r = VALS_ETAMPERED;
        }
        goto out;
    }
    if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AGE_TAG_LEN, out + ptlen) != 1)
        goto out;
    r = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    return r;
}

int age_aead_seal(const uint8_t key[32], const uint8_t *in, size_t n, uint8_t *out)
{
    return age_aead(key, in, n, out, 1);
}

int age_aead_open(const uint8_t key[32], const uint8_t *in, size_t n, uint8_t *out)
{
    return age_aead(key, in, n, out, 0);
}

int age_x25519(const uint8_t scalar[32], const uint8_t point[32], uint8_t out[32])
{
    EVP_PKEY *priv = NULL, *peer = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    size_t outlen = 32;
    int r = VALS_ECRYPTO;

    priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
    peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point, 32);
    if (priv == NULL || peer == NULL || (ctx = EVP_PKEY_CTX_new(priv, NULL)) == NULL)
        goto out;
    /* OpenSSL refuses an all-zero shared secret (low-order point): the same hard error. */
    if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
        EVP_PKEY_derive(ctx, out, &outlen) != 1 || outlen != 32) {
        secure_zero(out, 32);
        goto out;
    }
    r = 0;
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(priv);
    return r;
}

int age_x25519_base(const uint8_t scalar[32], uint8_t out[32])
{
    EVP_PKEY *priv;
    size_t outlen = 32;
    int r = VALS_ECRYPTO;

    if ((priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32)) == NULL)
        return r;
    if (EVP_PKEY_get_raw_public_key(priv, out, &outlen) == 1 && outlen == 32)
        r = 0;
    EVP_PKEY_free(priv);
    return r;
}

int age_random(void *p, size_t n)
{
    if (n > INT32_MAX || RAND_priv_bytes(p, (int)n) != 1)
        return VALS_ECRYPTO;
    return 0;
}
