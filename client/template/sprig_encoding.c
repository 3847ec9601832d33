/*
 * sprig_encoding.c - b64enc, b64dec, b32enc, b32dec (encoding/base64 and encoding/base32
 * StdEncoding, padded).
 *
 * Sprig's decoders return the Go error text instead of failing ("illegal base64 data at
 * input byte 4"), so the decoders here reproduce Go's acceptance rules and error
 * positions exactly: base64 skips CR/LF anywhere and is lenient about the unused bits of
 * the last quantum; base32 strips CR/LF first and only accepts the five RFC 4648 padding
 * lengths.
 */
#include <stdio.h>
#include <string.h>

#include "sprig_fns.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int sprig_b64_encode(const unsigned char *p, size_t len, struct dbuf *out)
{
    int r = dbuf_reserve(out, (len + 2) / 3 * 4);

    for (size_t i = 0; r == 0 && i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        char q[4];
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        q[0] = b64_alphabet[(v >> 18) & 63];
        q[1] = b64_alphabet[(v >> 12) & 63];
        q[2] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        q[3] = i + 2 < len ? b64_alphabet[v & 63] : '=';
        r = dbuf_add(out, q, 4);
    }
    return r;
}

/* The 6-bit value of a base64 character, or -1. */
static int b64_val(unsigned char c)
{
    const char *p = c != 0 ? strchr(b64_alphabet, c) : NULL;

    return p != NULL ? (int)(p - b64_alphabet) : -1;
}

int sprig_b64_decode(const char *s, size_t len, struct dbuf *out, char *err, size_t errlen)
{
    size_t si = 0;

    while (si < len) {
        unsigned char q[4] = {0, 0, 0, 0};
        int dlen = 4, j, bad = -1;
        for (j = 0; j < 4; j++) {
            unsigned char in;
            int v;
            if (si == len) {
                if (j == 0)
                    return 0;
                bad = (int)(si - (size_t)j); /* missing padding */
                goto fail;
            }
            in = (unsigned char)s[si++];
            v = b64_val(in);
            if (v >= 0) {
                q[j] = (unsigned char)v;
                continue;
            }
            if (in == '\n' || in == '\r') {
                j--;
                continue;
            }
            if (in != '=' || j < 2) {
                bad = (int)(si - 1);
                goto fail;
            }
            if (j == 2) { /* "==" expected; the first '=' is consumed */
                while (si < len && (s[si] == '\n' || s[si] == '\r'))
                    si++;
                if (si == len) {
                    bad = (int)len;
                    goto fail;
                }
                if (s[si] != '=') {
                    bad = (int)(si - 1);
                    goto fail;
                }
                si++;
            }
            while (si < len && (s[si] == '\n' || s[si] == '\r'))
                si++;
            if (si < len)
                bad = (int)si; /* trailing garbage, reported after this quantum */
            dlen = j;
            break;
        }
        {
            unsigned v = (unsigned)q[0] << 18 | (unsigned)q[1] << 12 | (unsigned)q[2] << 6 | q[3];
            char b[3] = {(char)(v >> 16), (char)(v >> 8), (char)v};
            if (dbuf_add(out, b, (size_t)(dlen - 1)) != 0) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
        if (bad >= 0)
            goto fail;
        if (dlen < 4)
            return 0;
        continue;
    fail:
        snprintf(err, errlen, "illegal base64 data at input byte %d", bad);
        return -1;
    }
    return 0;
}

/* The 5-bit value of a base32 character, or -1. */
static int b32_val(unsigned char c)
{
    const char *p = c != 0 ? strchr(b32_alphabet, c) : NULL;

    return p != NULL ? (int)(p - b32_alphabet) : -1;
}

/* Go's base32 StdEncoding.DecodeString. */
static int b32_decode(const char *s0, size_t len0, struct dbuf *out, char *err, size_t errlen)
{
    struct dbuf strip = DBUF_INIT;
    const char *src;
    size_t len, olen, bad = 0;
    int end = 0, r = -1;

    for (size_t i = 0; i < len0; i++)
        if (s0[i] != '\n' && s0[i] != '\r' && dbuf_addc(&strip, s0[i]) != 0)
            goto oom;
    src = strip.p != NULL ? strip.p : "";
    len = olen = strip.len;
    while (len > 0 && !end) {
        unsigned char q[8] = {0};
        int dlen = 8;
        for (int j = 0; j < 8;) {
            unsigned char in;
            int v;
            if (len == 0) {
                bad = olen - len - (size_t)j;
                goto fail;
            }
            in = (unsigned char)*src++;
            len--;
            if (in == '=' && j >= 2 && len < 8) {
                if (len + (size_t)j < 7) {
                    bad = olen;
                    goto fail;
                }
                for (int k = 0; k < 7 - j; k++) {
                    if (len > (size_t)k && src[k] != '=') {
                        bad = olen - len + (size_t)k - 1;
                        goto fail;
                    }
                }
                dlen = j;
                end = 1;
                if (dlen == 1 || dlen == 3 || dlen == 6) {
                    bad = olen - len - 1;
                    goto fail;
                }
                break;
            }
            v = b32_val(in);
            if (v < 0) {
                bad = olen - len - 1;
                goto fail;
            }
            q[j++] = (unsigned char)v;
        }
        {
            char b[5];
            b[0] = (char)(q[0] << 3 | q[1] >> 2);
            b[1] = (char)(q[1] << 6 | q[2] << 1 | q[3] >> 4);
            b[2] = (char)(q[3] << 4 | q[4] >> 1);
            b[3] = (char)(q[4] << 7 | q[5] << 2 | q[6] >> 3);
            b[4] = (char)(q[6] << 5 | q[7]);
            size_t n = dlen == 8 ? 5 : dlen == 7 ? 4 : dlen == 5 ? 3 : dlen == 4 ? 2 : 1;
            if (dbuf_add(out, b, n) != 0)
                goto oom;
        }
    }
    r = 0;
    goto out;
fail:
    snprintf(err, errlen, "illegal base32 data at input byte %zu", bad);
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    dbuf_free(&strip);
    return r;
}

SPRIG_FN(sprig_b64enc)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    if (sprig_b64_encode((const unsigned char *)s.p, s.len, &b) != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_b64dec)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    char err[128];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    if (sprig_b64_decode(s.p, s.len, &b, err, sizeof(err)) != 0) {
        dbuf_free(&b);
        return sprig_ret_str(call, out, err, strlen(err)); /* Sprig returns the error text */
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_b32enc)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int r = 0;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    for (size_t i = 0; r == 0 && i < s.len; i += 5) {
        unsigned char in[5] = {0};
        size_t n = s.len - i < 5 ? s.len - i : 5;
        /* output characters per input length: 1->2, 2->4, 3->5, 4->7, 5->8 */
        static const int nout[6] = {0, 2, 4, 5, 7, 8};
        char q[8];
        memcpy(in, s.p + i, n);
        q[0] = b32_alphabet[in[0] >> 3];
        q[1] = b32_alphabet[((in[0] & 7) << 2) | (in[1] >> 6)];
        q[2] = b32_alphabet[(in[1] >> 1) & 31];
        q[3] = b32_alphabet[((in[1] & 1) << 4) | (in[2] >> 4)];
        q[4] = b32_alphabet[((in[2] & 15) << 1) | (in[3] >> 7)];
        q[5] = b32_alphabet[(in[3] >> 2) & 31];
        q[6] = b32_alphabet[((in[3] & 3) << 3) | (in[4] >> 5)];
        q[7] = b32_alphabet[in[4] & 31];
        for (int k = nout[n]; k < 8; k++)
            q[k] = '=';
        r = dbuf_add(&b, q, 8);
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_b32dec)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    char err[128];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    if (b32_decode(s.p, s.len, &b, err, sizeof(err)) != 0) {
        dbuf_free(&b);
        return sprig_ret_str(call, out, err, strlen(err));
    }
    return sprig_ret_dbuf(call, out, &b);
}
