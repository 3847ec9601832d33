/*
 * bech32.c - BIP-173 Bech32 encoder and strict decoder for age keys (see bech32.h).
 */
#include <string.h>

#include "bech32.h"
#include "valsd/errors.h"

static const char bech32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* One step of the BCH checksum over GF(32). */
static uint32_t bech32_polymod_step(uint32_t chk, unsigned v)
{
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t top = chk >> 25;

    chk = (chk & 0x1ffffff) << 5 ^ v;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1)
            chk ^= gen[i];
    return chk;
}

/* ASCII lower case of one character. */
static char bech32_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII upper case of one character. */
static char bech32_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Checksum state after the expanded (lower-cased) HRP. */
static uint32_t bech32_hrp_state(const char *hrp, size_t hrplen)
{
    uint32_t chk = 1;

    for (size_t i = 0; i < hrplen; i++)
        chk = bech32_polymod_step(chk, (unsigned char)bech32_lower(hrp[i]) >> 5);
    chk = bech32_polymod_step(chk, 0);
    for (size_t i = 0; i < hrplen; i++)
        chk = bech32_polymod_step(chk, (unsigned char)bech32_lower(hrp[i]) & 31);
    return chk;
}

/* Case of a string: 1 all upper (or caseless), 0 lower, -1 mixed. */
static int bech32_case(const char *s, size_t len)
{
    int lower = 0, upper = 0;

    for (size_t i = 0; i < len; i++) {
        lower |= s[i] >= 'a' && s[i] <= 'z';
        upper |= s[i] >= 'A' && s[i] <= 'Z';
    }
    if (lower && upper)
        return -1;
    return upper ? 1 : 0;
}

size_t bech32_encoded_len(size_t hrplen, size_t len)
{
    return hrplen + 1 + (len * 8 + 4) / 5 + 6;
}

int bech32_encode(const char *hrp, const uint8_t *data, size_t len, char *out, size_t outcap)
{
    size_t hrplen = strlen(hrp), o = 0;
    uint32_t chk, acc = 0;
    int upper, bits = 0;

    if (hrplen == 0)
        return VALS_EPARSE;
    for (size_t i = 0; i < hrplen; i++)
        if ((unsigned char)hrp[i] < 0x21 || (unsigned char)hrp[i] > 0x7e)
            return VALS_EPARSE;
    if ((upper = bech32_case(hrp, hrplen)) < 0)
        return VALS_EPARSE;
    if (outcap < bech32_encoded_len(hrplen, len) + 1)
        return VALS_ETOO_LARGE;
    for (size_t i = 0; i < hrplen; i++)
        out[o++] = bech32_lower(hrp[i]);
    out[o++] = '1';
    chk = bech32_hrp_state(hrp, hrplen);
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8 | data[i]) & 0xfff;
        bits += 8;
        while (bits >= 5) {
            unsigned v = (acc >> (bits - 5)) & 31;

            bits -= 5;
            chk = bech32_polymod_step(chk, v);
            out[o++] = bech32_charset[v];
        }
    }
    if (bits > 0) {
        unsigned v = (acc << (5 - bits)) & 31;

        chk = bech32_polymod_step(chk, v);
        out[o++] = bech32_charset[v];
    }
    for (int i = 0; i < 6; i++)
        chk = bech32_polymod_step(chk, 0);
    chk ^= 1;
    for (int i = 0; i < 6; i++)
        out[o++] = bech32_charset[(chk >> (5 * (5 - i))) & 31];
    out[o] = '\0';
    if (upper)
        for (size_t i = 0; i < o; i++)
            out[i] = bech32_upper(out[i]);
    return 0;
}

int bech32_decode(const char *s, size_t len, char *hrp, size_t hrpcap, uint8_t *data,
                  size_t datacap, size_t *datalen)
{
    size_t pos, n = 0, end;
    uint32_t chk, acc = 0;
    int bits = 0;

    *datalen = 0;
    if (memchr(s, '\0', len) != NULL || bech32_case(s, len) < 0)
        return VALS_EPARSE;
    /* The separator is the last '1'; the HRP is non-empty; 6+ characters follow. */
    for (pos = len; pos > 0 && s[pos - 1] != '1'; pos--)
        ;
    if (pos < 2 || len - pos < 6)
        return VALS_EPARSE;
    pos--;
    for (size_t i = 0; i < pos; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return VALS_EPARSE;
    if (pos + 1 > hrpcap)
        return VALS_ETOO_LARGE;
    chk = bech32_hrp_state(s, pos);
    end = len - 6;
    for (size_t i = pos + 1; i < len; i++) {
        const char *c = memchr(bech32_charset, bech32_lower(s[i]), 32);
        unsigned v;

        if (c == NULL || s[i] == '\0')
            return VALS_EPARSE;
        v = (unsigned)(c - bech32_charset);
        chk = bech32_polymod_step(chk, v);
        if (i >= end)
            continue;
        acc = (acc << 5 | v) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (n >= datacap)
                return VALS_ETOO_LARGE;
            data[n++] = (uint8_t)(acc >> bits);
        }
    }
    if (chk != 1)
        return VALS_EPARSE;
    /* No padding on decode: fewer than 5 leftover bits, all zero. */
    if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
        return VALS_EPARSE;
    memcpy(hrp, s, pos);
    hrp[pos] = '\0';
    *datalen = n;
    return 0;
}
