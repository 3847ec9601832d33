/*
 * sops_ivcache.c - remember the IV of every value decrypted from a file, so that encrypting
 * the same value at the same path again (sops edit) gives the same ciphertext and an
 * unchanged file stays unchanged.  GCM with one key, IV, AAD and plaintext always gives the
 * same output, so this reveals nothing new; a changed value or path gets a fresh IV.
 *
 * Entries are keyed by SHA-256(len(aad) || aad || plaintext): the cache holds no plaintext.
 * Open addressing, grown at half load.  Also the CSPRNG entry point of the SOPS code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sops_int.h"

struct iv_entry {
    uint8_t used;
    uint8_t ivlen;
    uint8_t digest[32];
    uint8_t iv[SOPS_IV_MAX];
};

struct sops_ivcache {
    struct iv_entry *slots;
    size_t cap, len;
};

struct sops_ivcache *sops_ivcache_new(void)
{
    return calloc(1, sizeof(struct sops_ivcache));
}

void sops_ivcache_free(struct sops_ivcache *c)
{
    if (c == NULL)
        return;
    secure_free(c->slots, c->cap * sizeof(struct iv_entry));
    free(c);
}

/* SHA-256(len(aad) || aad || plaintext): the cache key. */
static int digest(const char *aad, size_t aadlen, const void *pt, size_t ptlen, uint8_t out[32])
{
    uint8_t n[8];
    unsigned int len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok;

    if (md == NULL)
        return VALS_ENOMEM;
    for (int i = 0; i < 8; i++)
        n[i] = (uint8_t)((uint64_t)aadlen >> (8 * (7 - i)));
    ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(md, n, 8) == 1 &&
         EVP_DigestUpdate(md, aad, aadlen) == 1 && EVP_DigestUpdate(md, pt, ptlen) == 1 &&
         EVP_DigestFinal_ex(md, out, &len) == 1;
    EVP_MD_CTX_free(md);
    return ok ? 0 : VALS_ECRYPTO;
}

/* Slot for a digest: the matching entry or the empty slot where it goes. */
static struct iv_entry *slot(const struct sops_ivcache *c, const uint8_t d[32])
{
    size_t h;

    memcpy(&h, d, sizeof(h));
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1))
        if (!c->slots[i].used || memcmp(c->slots[i].digest, d, 32) == 0)
            return &c->slots[i];
}

int sops_ivcache_put(struct sops_ivcache *c, const char *aad, size_t aadlen, const void *pt,
                     size_t ptlen, const uint8_t *iv, size_t ivlen)
{
    uint8_t d[32];
    struct iv_entry *en;
    int r;

    if (c == NULL || ivlen > SOPS_IV_MAX)
        return 0;
    if ((c->len + 1) * 2 > c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        struct sops_ivcache bigger = {calloc(ncap, sizeof(struct iv_entry)), ncap, 0};
        if (bigger.slots == NULL)
            return VALS_ENOMEM;
        for (size_t i = 0; i < c->cap; i++) {
            if (c->slots[i].used) {
                *slot(&bigger, c->slots[i].digest) = c->slots[i];
                bigger.len++;
            }
        }
        secure_free(c->slots, c->cap * sizeof(struct iv_entry));
        *c = bigger;
    }
    if ((r = digest(aad, aadlen, pt, ptlen, d)) != 0)
        return r;
    en = slot(c, d);
    if (!en->used)
        c->len++;
    en->used = 1;
    memcpy(en->digest, d, 32);
    memcpy(en->iv, iv, ivlen);
    en->ivlen = (uint8_t)ivlen;
    return 0;
}

int sops_ivcache_get(const struct sops_ivcache *c, const char *aad, size_t aadlen, const void *pt,
                     size_t ptlen, uint8_t *iv, size_t *ivlen)
{
    uint8_t d[32];
    const struct iv_entry *en;

    if (c == NULL || c->len == 0 || digest(aad, aadlen, pt, ptlen, d) != 0)
        return 0;
    en = slot(c, d);
    if (!en->used)
        return 0;
    memcpy(iv, en->iv, en->ivlen);
    *ivlen = en->ivlen;
    return 1;
}

int sops_random(const struct sops_hooks *h, void *buf, size_t len)
{
    if (h != NULL && h->random != NULL)
        return h->random(h->ctx, buf, len) == 0 ? 0 : VALS_ECRYPTO;
    if (len > INT32_MAX || RAND_bytes(buf, (int)len) != 1)
        return VALS_ECRYPTO;
    return 0;
}
