/*
 * age_scrypt.c - the scrypt (passphrase) stanza, decryption only:
 * "-> scrypt <b64(16-byte salt)> <logN>" with a 32-byte body sealed under
 * scrypt(passphrase, "age-encryption.org/v1/scrypt" || salt, N = 2^logN, r = 8, p = 1).
 * The work factor is capped (22 by default, as age does) and maxmem is set to exactly what
 * that work factor needs, so OpenSSL's 32 MiB default never silently refuses a valid file.
 */
#include <string.h>

#include <openssl/evp.h>

#include "age_int.h"
#include "b64.h"

#define SCRYPT_LABEL "age-encryption.org/v1/scrypt"
#define SCRYPT_R     8
#define SCRYPT_P     1

/* Parse logN: ^[1-9][0-9]*$, at most max_logn. Returns it, or -1. */
static int scrypt_logn(const char *s, size_t n, int max_logn)
{
    int v = 0;

    if (n == 0 || n > 3 || s[0] < '1' || s[0] > '9')
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max_logn ? v : -1;
}

int age_scrypt_unwrap(const char *passphrase, int max_logn, const struct age_header *h,
                      uint8_t file_key[16], struct verr *e)
{
    uint8_t salt[sizeof(SCRYPT_LABEL) - 1 + 16], key[32];
    const struct age_stanza *st = NULL;
    uint64_t n;
    size_t got;
    int logn, r;

    for (size_t i = 0; i < h->n && st == NULL; i++)
        if (h->st[i].arglen[0] == 6 && memcmp(h->st[i].args[0], "scrypt", 6) == 0)
            st = &h->st[i];
    if (st == NULL)
        return VALS_ENOKEY;
    if (st->nargs != 3)
        return verr_set(e, VALS_EPARSE,
                        "age header line %zu: scrypt stanza needs exactly 2 arguments, has %zu",
                        st->line, st->nargs - 1);
    memcpy(salt, SCRYPT_LABEL, sizeof(SCRYPT_LABEL) - 1);
    if (b64_decode(st->args[1], st->arglen[1], 0, salt + sizeof(SCRYPT_LABEL) - 1, 16, &got) != 0 ||
        got != 16)
        return verr_set(e, VALS_EPARSE,
                        "age header line %zu: scrypt salt is not canonical base64 of 16 bytes",
                        st->line);
    if ((logn = scrypt_logn(st->args[2], st->arglen[2], max_logn)) < 0)
        return verr_set(e, VALS_EPARSE,
                        "age header line %zu: scrypt work factor is not a decimal number from 1 "
                        "to %d",
                        st->line, max_logn);
    if (st->bodylen != AGE_FILE_KEY_LEN + AGE_TAG_LEN)
        return verr_set(e, VALS_EPARSE, "age header line %zu: scrypt body is %zu bytes, want 32",
                        st->line, st->bodylen);
    n = (uint64_t)1 << logn;
    /* OpenSSL needs 128*r*(N+2) bytes for V plus 128*r*p for B; allow exactly that. */
    if (EVP_PBE_scrypt(passphrase, strlen(passphrase), salt, sizeof(salt), n, SCRYPT_R, SCRYPT_P,
                       128 * SCRYPT_R * (n + 2) + 128 * SCRYPT_R * SCRYPT_P + 4096, key,
                       sizeof(key)) != 1) {
        r = verr_set(e, VALS_ECRYPTO, "age header line %zu: scrypt failed (work factor %d)",
                     st->line, logn);
        goto out;
    }
    r = age_aead_open(key, st->body, st->bodylen, file_key);
    if (r == VALS_ETAMPERED)
        r = VALS_ENOKEY;
out:
    secure_zero(key, sizeof(key));
    return r;
}
