/*
 * sops_shamir.c - Shamir secret sharing over GF(2^8) as sops uses it for key groups
 * (sops-age.md §2.5): the AES field (x^8 + x^4 + x^3 + x + 1), one random polynomial per
 * secret byte, share i = the polynomial evaluated at x_i for every byte, followed by x_i
 * itself.  New shares use x = 1..n (sops >= 3.10); any distinct non-zero x is read (sops
 * <= 3.9 drew them at random).  Arithmetic is branch-free on secret data.
 */
#include <stdlib.h>
#include <string.h>

#include "sops_int.h"

/* Product in GF(2^8) modulo 0x11b. */
static uint8_t gf_mul(uint8_t a, uint8_t b)
{
    uint8_t p = 0;

    for (int i = 0; i < 8; i++) {
        p ^= (uint8_t)(-(b & 1) & a);
        a = (uint8_t)((a << 1) ^ (-(a >> 7) & 0x1b));
        b >>= 1;
    }
    return p;
}

/* Inverse in GF(2^8): a^254 (0 for 0). */
static uint8_t gf_inv(uint8_t a)
{
    uint8_t r = 1, x = a;

    for (int e = 254; e > 0; e >>= 1) {
        if (e & 1)
            r = gf_mul(r, x);
        x = gf_mul(x, x);
    }
    return r;
}

int sops_shamir_split(const uint8_t *secret, size_t len, int n, int k, const struct sops_hooks *h,
                      uint8_t **shares)
{
    uint8_t *coef;
    int r;

    if (n < 2 || n > 255 || k < 2 || k > n)
        return VALS_EUSAGE;
    if ((coef = malloc((size_t)k)) == NULL)
        return VALS_ENOMEM;
    for (int i = 0; i < n; i++)
        shares[i][len] = (uint8_t)(i + 1);
    for (size_t b = 0; b < len; b++) {
        coef[0] = secret[b];
        if ((r = sops_random(h, coef + 1, (size_t)k - 1)) != 0) {
            secure_free(coef, (size_t)k);
            return r;
        }
        for (int i = 0; i < n; i++) {
            uint8_t x = (uint8_t)(i + 1), y = 0;
            for (int c = k - 1; c >= 0; c--) /* Horner */
                y = gf_mul(y, x) ^ coef[c];
            shares[i][b] = y;
        }
    }
    secure_free(coef, (size_t)k);
    return 0;
}

int sops_shamir_combine(const uint8_t *const *shares, size_t n, size_t len, uint8_t *secret)
{
    if (n < 2)
        return VALS_EUSAGE;
    for (size_t i = 0; i < n; i++) {
        if (shares[i][len] == 0)
            return VALS_EPARSE;
        for (size_t j = 0; j < i; j++)
            if (shares[i][len] == shares[j][len])
                return VALS_EPARSE; /* two shares with the same x */
    }
    memset(secret, 0, len);
    for (size_t i = 0; i < n; i++) {
        uint8_t xi = shares[i][len], basis = 1;
        for (size_t j = 0; j < n; j++) {
            uint8_t xj = shares[j][len];
            if (j != i)
                basis = gf_mul(basis, gf_mul(xj, gf_inv(xi ^ xj)));
        }
        for (size_t b = 0; b < len; b++)
            secret[b] ^= gf_mul(shares[i][b], basis);
    }
    return 0;
}
