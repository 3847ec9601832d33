/*
 * b64.c - strict canonical base64, raw and padded (see b64.h).
 */
#include <string.h>

#include "b64.h"
#include "valsd/errors.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of an alphabet character, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

size_t b64_encoded_len(size_t n, int flags)
{
    if (flags & B64_PAD)
        return (n + 2) / 3 * 4;
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t b64_decoded_max(size_t len)
{
    return len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
}

size_t b64_encode(const void *in, size_t n, int flags, char *out)
{
    const unsigned char *p = in;
    size_t i = 0, o = 0;

    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        if (flags & B64_PAD) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        if (flags & B64_PAD)
            out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

int b64_encode_dbuf(const void *in, size_t n, int flags, struct dbuf *out)
{
    size_t len = b64_encoded_len(n, flags);
    int r;

    if ((r = dbuf_reserve(out, len)) != 0)
        return r;
    b64_encode(in, n, flags, out->p + out->len);
    out->len += len;
    return 0;
}

int b64_decode(const char *s, size_t len, int flags, void *out, size_t cap, size_t *outlen)
{
    unsigned char *o = out;
    size_t data = len, n = 0, i;
    unsigned acc = 0;
    int bits = 0;

    *outlen = 0;
    if (flags & B64_PAD) {
        /* Padded: whole quanta; one or two '=' only at the very end. */
        if (len % 4 != 0)
            return VALS_EPARSE;
        if (len > 0 && s[len - 1] == '=')
            data--;
        if (len > 1 && s[len - 2] == '=') {
            if (data != len - 1)
                return VALS_EPARSE;
            data--;
        }
    }
    if (data % 4 == 1)
        return VALS_EPARSE;
    if (b64_decoded_max(data) > cap)
        return VALS_ETOO_LARGE;
    for (i = 0; i < data; i++) {
        int v = b64_value((unsigned char)s[i]);

        if (v < 0)
            return VALS_EPARSE; /* includes '=' inside the data, CR, LF, space */
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[n++] = (unsigned char)(acc >> bits);
        }
    }
    /* Leftover bits (2 or 4) must be zero in canonical input. */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0 && !(flags & B64_LAX))
        return VALS_EPARSE;
    *outlen = n;
    return 0;
}

int b64_decode_dbuf(const char *s, size_t len, int flags, struct dbuf *out)
{
    size_t max = b64_decoded_max(len), n;
    int r;

    if ((r = dbuf_reserve(out, max)) != 0)
        return r;
    r = b64_decode(s, len, flags, out->p + out->len, max, &n);
    if (r != 0) {
        secure_zero(out->p + out->len, max);
        out->p[out->len] = '\0';
        return r;
    }
    out->len += n;
    out->p[out->len] = '\0';
    return 0;
}
