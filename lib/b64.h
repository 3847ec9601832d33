/*
 * b64.h - strict RFC 4648 base64 (standard alphabet "A-Za-z0-9+/"), shared by age and SOPS.
 *
 * Two encodings: "raw" (no '=' padding; age headers) and "padded" (B64_PAD; age armor, SOPS
 * ENC[...] values).  Encoders always produce the canonical form.  Decoders are strict by
 * default: they reject any byte outside the alphabet (CR, LF and spaces included), misplaced
 * or missing/extra padding, impossible lengths, and a non-canonical last character (one whose
 * unused low bits are not zero).  B64_LAX accepts such non-zero unused bits, as Go's
 * non-Strict base64.StdEncoding does; nothing else is relaxed.
 *
 * Functions return 0 or a negative VALS_E* code; output buffers are the caller's.
 */
#ifndef VALS_B64_H
#define VALS_B64_H

#include <stddef.h>
#include <stdint.h>

#include "dbuf.h"

#define B64_PAD 0x1 /* padded ("StdEncoding"); without it: raw ("RawStdEncoding") */
#define B64_LAX 0x2 /* decode only: tolerate non-zero unused bits in the last character */

/* Exact length of the encoding of `n` bytes (without a NUL). */
size_t b64_encoded_len(size_t n, int flags);
/* Decoded length of `len` unpadded characters (an upper bound when padding is included). */
size_t b64_decoded_max(size_t len);

/* Encode `n` bytes into `out`, which must hold b64_encoded_len(n, flags) + 1 bytes (a NUL is
 * written).  Returns the number of characters written. */
size_t b64_encode(const void *in, size_t n, int flags, char *out);
/* Append the encoding of `n` bytes to `out`. 0, VALS_ENOMEM or VALS_ETOO_LARGE. */
int b64_encode_dbuf(const void *in, size_t n, int flags, struct dbuf *out);

/* Decode exactly `len` characters into `out` (capacity `cap`); *outlen gets the byte count.
 * VALS_EPARSE on malformed or non-canonical input, VALS_ETOO_LARGE when `cap` is too small.
 * On failure nothing useful is left in `out` (it may be partly written). */
int b64_decode(const char *s, size_t len, int flags, void *out, size_t cap, size_t *outlen);
/* Append the decoding of `len` characters to `out`; on failure `out` is unchanged. */
int b64_decode_dbuf(const char *s, size_t len, int flags, struct dbuf *out);

#endif
