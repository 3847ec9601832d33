/*
 * bech32.h - Bech32 (BIP-173 checksum, constant 1; not Bech32m) as age uses it for keys:
 * no 90-character limit, the human-readable part (HRP) keeps its case, and data is plain
 * bytes (converted to and from 5-bit groups without padding on decode).
 *
 * Strictness (age's rules): mixed case is rejected; the separator is the last '1'; the HRP
 * is 1+ characters in 0x21..0x7E; at least 6 checksum characters follow the separator; every
 * data character is in the alphabet; the checksum (computed over the lower-cased string)
 * verifies; the 5-to-8-bit conversion leaves fewer than 5 bits and they are zero.
 */
#ifndef VALS_BECH32_H
#define VALS_BECH32_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode `len` bytes under an HRP of `hrplen` characters (no NUL). */
size_t bech32_encoded_len(size_t hrplen, size_t len);

/* Encode `len` bytes under `hrp`.  The output is upper case when the HRP is upper case, else
 * lower case (a mixed-case HRP is VALS_EPARSE).  `out` receives a NUL-terminated string and
 * must hold bech32_encoded_len() + 1 bytes (VALS_ETOO_LARGE otherwise). */
int bech32_encode(const char *hrp, const uint8_t *data, size_t len, char *out, size_t outcap);

/* Decode `len` characters of `s`.  The HRP is copied in its original case into `hrp`
 * (NUL-terminated, capacity `hrpcap`); the bytes into `data` (capacity `datacap`, count in
 * *datalen).  0, VALS_EPARSE (malformed, bad checksum) or VALS_ETOO_LARGE (a buffer is too
 * small). */
int bech32_decode(const char *s, size_t len, char *hrp, size_t hrpcap, uint8_t *data,
                  size_t datacap, size_t *datalen);

#endif
