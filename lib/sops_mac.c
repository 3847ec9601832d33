/*
 * sops_mac.c - the MAC of a SOPS file (sops-age.md §2.4).
 *
 * SHA-512 over the plaintext bytes of every value in walk order (comments and nulls left
 * out; with mac_only_encrypted only the encrypted values, after SHA-256("sops")), written as
 * 128 upper-case hex digits and stored encrypted like a string value, with the lastmodified
 * time - parsed and formatted again as RFC 3339 - as additional data.  So a changed value,
 * a changed lastmodified or a MAC taken from another file all fail to verify.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "doc_yaml.h"
#include "sops_int.h"

/* SHA-256("sops"): the seed when only encrypted values are hashed. */
static const uint8_t mac_only_seed[32] = {
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69};

int sops_mac_init(struct sops_mac *m, int mac_only_encrypted)
{
    m->md = EVP_MD_CTX_new();
    if (m->md == NULL)
        return VALS_ENOMEM;
    if (EVP_DigestInit_ex(m->md, EVP_sha512(), NULL) != 1 ||
        (mac_only_encrypted && EVP_DigestUpdate(m->md, mac_only_seed, 32) != 1)) {
        sops_mac_clear(m);
        return VALS_ECRYPTO;
    }
    return 0;
}

int sops_mac_update(struct sops_mac *m, const void *p, size_t len)
{
    return len == 0 || EVP_DigestUpdate(m->md, p, len) == 1 ? 0 : VALS_ECRYPTO;
}

int sops_mac_final(struct sops_mac *m, char hex[129])
{
    static const char digits[] = "0123456789ABCDEF";
    uint8_t d[64];
    unsigned int len = 0;
    int ok = EVP_DigestFinal_ex(m->md, d, &len) == 1 && len == 64;

    sops_mac_clear(m);
    if (!ok)
        return VALS_ECRYPTO;
    for (int i = 0; i < 64; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[128] = '\0';
    return 0;
}

void sops_mac_clear(struct sops_mac *m)
{
    EVP_MD_CTX_free(m->md);
    m->md = NULL;
}

int sops_mac_aad(const char *lastmodified, char *aad, size_t len, struct verr *e)
{
    struct yaml_time t;

    if (lastmodified == NULL || !yaml_rfc3339_parse(lastmodified, strlen(lastmodified), &t))
        return verr_set(e, VALS_EPARSE, "lastmodified is not an RFC 3339 time");
    yaml_time_format(&t, 0, aad, len);
    return 0;
}

int sops_mac_encrypt(const uint8_t key[32], const char hex[129], const char *lastmodified,
                     const struct sops_ivcache *ivs, const struct sops_hooks *h, struct dbuf *out,
                     struct verr *e)
{
    char aad[64];
    uint8_t iv[SOPS_IV_MAX];
    size_t ivlen = SOPS_IV_LEN;
    int r = sops_mac_aad(lastmodified, aad, sizeof(aad), e);

    if (r != 0)
        return r;
    if (!sops_ivcache_get(ivs, aad, strlen(aad), hex, 128, iv, &ivlen) &&
        (r = sops_random(h, iv, SOPS_IV_LEN)) != 0)
        return r;
    return sops_value_encrypt(key, iv, ivlen, hex, 128, aad, strlen(aad), SOPS_T_STR, out);
}

int sops_mac_verify(const uint8_t key[32], const char *stored, const char *lastmodified,
                    const char hex[129], struct sops_ivcache *ivs, struct verr *e)
{
    struct dbuf pt = DBUF_INIT;
    char aad[64];
    uint8_t iv[SOPS_IV_MAX];
    size_t ivlen = 0;
    enum sops_vtype t;
    int r;

    if (stored == NULL || stored[0] == '\0')
        return verr_set(e, VALS_ETAMPERED, "file has no MAC");
    if ((r = sops_mac_aad(lastmodified, aad, sizeof(aad), e)) != 0)
        return r;
    r = sops_value_decrypt(key, stored, strlen(stored), aad, strlen(aad), &pt, &t, iv, &ivlen,
                           "sops.mac", e);
    if (r == VALS_ETAMPERED) {
        r = verr_set(e, VALS_ETAMPERED,
                     "sops.mac does not verify: the MAC or lastmodified was altered (or belongs "
                     "to another file)");
        goto out;
    }
    if (r != 0)
        goto out;
    if (pt.len != 128 || CRYPTO_memcmp(pt.p, hex, 128) != 0) {
        r = verr_set(e, VALS_ETAMPERED,
                     "MAC mismatch: the values do not match the file's MAC (a value was added, "
                     "removed or changed without the data key)");
        goto out;
    }
    r = sops_ivcache_put(ivs, aad, strlen(aad), hex, 128, iv, ivlen);
out:
    dbuf_free(&pt);
    return r;
}

int sops_now(const struct sops_hooks *h, char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;

    if (h != NULL && h->now != NULL) {
        snprintf(buf, len, "%s", h->now);
        return 0;
    }
    if (gmtime_r(&now, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return VALS_EINTERNAL;
    return 0;
}
