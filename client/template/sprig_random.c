/*
 * sprig_random.c - random values: randAlphaNum, randAlpha, randNumeric, randAscii,
 * randBytes, randInt, uuidv4 and shuffle.
 *
 * All of them draw from OpenSSL's CSPRNG (RAND_bytes), 256 bytes at a time, and map
 * bytes onto an alphabet by rejection sampling, so every character is equally likely
 * and a long string costs a handful of RAND_bytes calls, not one per character.  Sprig
 * itself uses crypto/rand for the strings (goutils.CryptoRandom*) and math/rand for
 * randInt and shuffle; using the CSPRNG everywhere is a strict improvement.
 */
#include <openssl/rand.h>
#include <string.h>

#include "sprig_internal.h"
#include "sprig_fns.h"

void sprig_rng_init(struct sprig_rng *r)
{
    r->pos = r->len = 0;
}

void sprig_rng_done(struct sprig_rng *r)
{
    secure_zero(r->buf, sizeof(r->buf));
    r->pos = r->len = 0;
}

/* The next random byte; -1 when OpenSSL's generator fails. */
static int rng_byte(struct sprig_rng *r)
{
    if (r->pos >= r->len) {
        if (RAND_bytes(r->buf, (int)sizeof(r->buf)) != 1)
            return -1;
        r->pos = 0;
        r->len = sizeof(r->buf);
    }
    return r->buf[r->pos++];
}

int64_t sprig_rng_below(struct sprig_rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    if (n <= 256) {
        unsigned limit = 256u - (256u % (unsigned)n);
        for (;;) {
            int b = rng_byte(r);
            if (b < 0)
                return -1;
            if ((unsigned)b < limit)
                return (int64_t)((unsigned)b % n);
        }
    }
    {
        uint64_t threshold = (0 - n) % n; /* 2^64 mod n */
        for (;;) {
            uint64_t x = 0;
            for (int i = 0; i < 8; i++) {
                int b = rng_byte(r);
                if (b < 0)
                    return -1;
                x = (x << 8) | (uint64_t)b;
            }
            if (x >= threshold)
                return (int64_t)(x % n);
        }
    }
}

/* A string of `argv[0]` characters drawn uniformly from `alphabet`. */
static int rand_string(struct tmpl_call *call, struct doc *const *argv, struct doc **out,
                       const char *alphabet)
{
    struct dbuf b = DBUF_INIT;
    struct sprig_rng rng;
    size_t n = strlen(alphabet);
    int64_t count;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &count)) != 0)
        return r;
    /* goutils returns an error for count < 0, which Sprig drops: the result is "" */
    if (count > 0 && (r = dbuf_reserve(&b, (size_t)count)) != 0) {
        tmpl_call_fail(call, "random string of %lld characters is too long", (long long)count);
        return r;
    }
    sprig_rng_init(&rng);
    for (int64_t i = 0; i < count; i++) {
        int64_t k = sprig_rng_below(&rng, n);
        if (k < 0) {
            sprig_rng_done(&rng);
            dbuf_free(&b);
            return tmpl_call_fail(call, "random number generator failed");
        }
        b.p[b.len++] = alphabet[k];
    }
    if (b.p != NULL)
        b.p[b.len] = '\0';
    sprig_rng_done(&rng);
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_rand_alpha_num)
{
    return rand_string(call, argv, out,
                       "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}

SPRIG_FN(sprig_rand_alpha)
{
    return rand_string(call, argv, out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}

SPRIG_FN(sprig_rand_numeric)
{
    return rand_string(call, argv, out, "0123456789");
}

SPRIG_FN(sprig_rand_ascii)
{
    /* goutils.CryptoRandomAscii: code points 32..126, the space included */
    return rand_string(call, argv, out,
                       " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");
}

SPRIG_FN(sprig_rand_bytes)
{
    int64_t count;
    unsigned char *buf;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &count)) != 0)
        return r;
    if (count < 0)
        return tmpl_call_fail(call, "runtime error: makeslice: len out of range");
    if (count > (1 << 26))
        return tmpl_call_fail(call, "randBytes: %lld bytes is too many", (long long)count);
    buf = malloc(count > 0 ? (size_t)count : 1);
    if (buf == NULL)
        return sprig_oom(call);
    if (count > 0 && RAND_bytes(buf, (int)count) != 1) {
        free(buf);
        return tmpl_call_fail(call, "random number generator failed");
    }
    r = sprig_b64_encode(buf, (size_t)count, &b);
    secure_free(buf, (size_t)count);
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_rand_int)
{
    int64_t min, max, k;
    struct sprig_rng rng;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &min)) != 0 ||
        (r = sprig_arg_int(call, argv[1], &max)) != 0)
        return r;
    if (max <= min)
        return tmpl_call_fail(call, "invalid argument to Intn");
    sprig_rng_init(&rng);
    k = sprig_rng_below(&rng, (uint64_t)max - (uint64_t)min);
    sprig_rng_done(&rng);
    if (k < 0)
        return tmpl_call_fail(call, "random number generator failed");
    return sprig_ret_int(call, out, (int64_t)((uint64_t)min + (uint64_t)k), NULL);
}

SPRIG_FN(sprig_uuidv4)
{
    unsigned char u[16];
    char s[37];
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    if (RAND_bytes(u, sizeof(u)) != 1)
        return tmpl_call_fail(call, "random number generator failed");
    u[6] = (unsigned char)((u[6] & 0x0F) | 0x40); /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            s[o++] = '-';
        s[o++] = hex[u[i] >> 4];
        s[o++] = hex[u[i] & 0xF];
    }
    s[o] = '\0';
    return sprig_ret_str(call, out, s, o);
}

SPRIG_FN(sprig_shuffle)
{
    struct sstr s;
    int32_t *runes;
    size_t n = 0;
    struct sprig_rng rng;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    runes = malloc((s.len + 1) * sizeof(int32_t));
    if (runes == NULL)
        return sprig_oom(call);
    for (size_t i = 0; i < s.len;) {
        size_t w;
        runes[n++] = sprig_utf8_decode(s.p + i, s.len - i, &w);
        i += w;
    }
    sprig_rng_init(&rng);
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates, as xstrings.Shuffle */
        int64_t j = sprig_rng_below(&rng, i);
        int32_t t;
        if (j < 0) {
            r = tmpl_call_fail(call, "random number generator failed");
            goto out;
        }
        t = runes[i - 1];
        runes[i - 1] = runes[j];
        runes[j] = t;
    }
    for (size_t i = 0; r == 0 && i < n; i++)
        r = sprig_utf8_put(&b, runes[i]);
    if (r != 0) {
        r = sprig_oom(call);
        goto out;
    }
    r = sprig_ret_dbuf(call, out, &b);
out:
    sprig_rng_done(&rng);
    secure_free(runes, (s.len + 1) * sizeof(int32_t));
    dbuf_free(&b);
    return r;
}
