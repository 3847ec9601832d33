/*
 * sprig_crypto.c - sha1sum, sha256sum, adler32sum, bcrypt, htpasswd, derivePassword,
 * encryptAES and decryptAES.
 *
 * Hashes, HMAC, scrypt and AES come from OpenSSL 3, bcrypt from libxcrypt ("$2a$" with
 * cost 10, the format and cost of golang.org/x/crypto/bcrypt.GenerateFromPassword).
 * derivePassword is Sprig's Master Password variant: scrypt(password, "com.lyndir.
 * masterpassword" || len(user) || user, N=32768, r=8, p=2, 64 bytes) keys an HMAC-SHA256
 * of the seed || len(site) || site || counter (lengths and counter big-endian uint32);
 * the first byte picks a template, the next ones its characters.  encryptAES is Sprig's
 * format: base64(IV || AES-256-CBC(PKCS#7-padded plaintext)) with the key being the
 * password's bytes zero-padded or truncated to 32 bytes; decryptAES strips the padding
 * without checking it, as Sprig does.
 */
#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "sprig_fns.h"

/* Lower-case hex of a digest. */
static int hex_digest(struct tmpl_call *call, struct doc **out, const unsigned char *d, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char s[2 * 64 + 1];

    for (size_t i = 0; i < n; i++) {
        s[2 * i] = hex[d[i] >> 4];
        s[2 * i + 1] = hex[d[i] & 0xF];
    }
    return sprig_ret_str(call, out, s, 2 * n);
}

SPRIG_FN(sprig_sha256sum)
{
    struct sstr s;
    unsigned char d[SHA256_DIGEST_LENGTH];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    SHA256((const unsigned char *)s.p, s.len, d);
    return hex_digest(call, out, d, sizeof(d));
}

SPRIG_FN(sprig_sha1sum)
{
    struct sstr s;
    unsigned char d[SHA_DIGEST_LENGTH];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    SHA1((const unsigned char *)s.p, s.len, d);
    return hex_digest(call, out, d, sizeof(d));
}

SPRIG_FN(sprig_adler32sum)
{
    struct sstr s;
    uint32_t a = 1, b = 0;
    char t[16];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    for (size_t i = 0; i < s.len; i++) { /* RFC 1950 */
        a = (a + (unsigned char)s.p[i]) % 65521;
        b = (b + a) % 65521;
    }
    snprintf(t, sizeof(t), "%u", (b << 16) | a);
    return sprig_ret_str(call, out, t, strlen(t));
}

/* A "$2a$10$..." bcrypt hash of s into out (a C string of CRYPT_OUTPUT_SIZE). */
static int bcrypt_hash(struct tmpl_call *call, struct sstr s, char *out)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE], *pw = NULL;
    struct crypt_data *cd = NULL;
    int r = 0;

    if (memchr(s.p, '\0', s.len) != NULL)
        return tmpl_call_fail(call, "bcrypt: password contains a NUL byte");
    if (crypt_gensalt_rn("$2a$", 10, NULL, 0, salt, sizeof(salt)) == NULL) {
        r = tmpl_call_fail(call, "failed to encrypt string with bcrypt: no salt");
        goto out;
    }
    pw = malloc(s.len + 1);
    cd = calloc(1, sizeof(*cd));
    if (pw == NULL || cd == NULL) {
        r = sprig_oom(call);
        goto out;
    }
    memcpy(pw, s.p, s.len);
    pw[s.len] = '\0';
    if (crypt_rn(pw, salt, cd, (int)sizeof(*cd)) == NULL || cd->output[0] == '*') {
        r = tmpl_call_fail(call, "failed to encrypt string with bcrypt");
        goto out;
    }
    memcpy(out, cd->output, CRYPT_OUTPUT_SIZE);
out:
    secure_free(pw, s.len + 1);
    secure_free(cd, sizeof(*cd));
    return r;
}

SPRIG_FN(sprig_bcrypt)
{
    struct sstr s;
    char hash[CRYPT_OUTPUT_SIZE];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0 || (r = bcrypt_hash(call, s, hash)) != 0)
        return r;
    return sprig_ret_str(call, out, hash, strlen(hash));
}

SPRIG_FN(sprig_htpasswd)
{
    struct sstr user, pw;
    char hash[CRYPT_OUTPUT_SIZE];
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &user)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &pw)) != 0)
        return r;
    if (memchr(user.p, ':', user.len) != NULL) {
        /* Sprig returns this text instead of failing */
        r = dbuf_adds(&b, "invalid username: ");
        if (r == 0)
            r = dbuf_add(&b, user.p, user.len);
        if (r != 0) {
            dbuf_free(&b);
            return sprig_oom(call);
        }
        return sprig_ret_dbuf(call, out, &b);
    }
    if ((r = bcrypt_hash(call, pw, hash)) != 0)
        return r;
    if (dbuf_add(&b, user.p, user.len) != 0 || dbuf_addc(&b, ':') != 0 ||
        dbuf_adds(&b, hash) != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

/* Master Password templates of each password type and the character classes. */
static const char *const tmpl_maximum[] = {"anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno", NULL};
static const char *const tmpl_long[] = {"CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv",
                                        "CvcvCvcvCvcvno", "CvccnoCvcvCvcv",
                                        "CvccCvcvnoCvcv", "CvccCvcvCvcvno",
                                        "CvcvnoCvccCvcv", "CvcvCvccnoCvcv",
                                        "CvcvCvccCvcvno", "CvcvnoCvcvCvcc",
                                        "CvcvCvcvnoCvcc", "CvcvCvcvCvccno",
                                        "CvccnoCvccCvcv", "CvccCvccnoCvcv",
                                        "CvccCvccCvcvno", "CvcvnoCvccCvcc",
                                        "CvcvCvccnoCvcc", "CvcvCvccCvccno",
                                        "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
                                        "CvccCvcvCvccno", NULL};
static const char *const tmpl_medium[] = {"CvcnoCvc", "CvcCvcno", NULL};
static const char *const tmpl_short[] = {"Cvcn", NULL};
static const char *const tmpl_basic[] = {"aaanaaan", "aannaaan", "aaannaaa", NULL};
static const char *const tmpl_pin[] = {"nnnn", NULL};

static const struct {
    const char *name;
    const char *const *tmpls;
} password_types[] = {{"maximum", tmpl_maximum}, {"long", tmpl_long},   {"medium", tmpl_medium},
                      {"short", tmpl_short},     {"basic", tmpl_basic}, {"pin", tmpl_pin}};

/* The characters of a template class letter. */
static const char *template_chars(char c)
{
    switch (c) {
    case 'V':
        return "AEIOU";
    case 'C':
        return "BCDFGHJKLMNPQRSTVWXYZ";
    case 'v':
        return "aeiou";
    case 'c':
        return "bcdfghjklmnpqrstvwxyz";
    case 'A':
        return "AEIOUBCDFGHJKLMNPQRSTVWXYZ";
    case 'a':
        return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
    case 'n':
        return "0123456789";
    case 'o':
        return "@&%?,=[]_:-+*$#!'^~;()/.";
    case 'x':
        return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()";
    default:
        return "";
    }
}

/* Append a big-endian uint32. */
static int put_u32(struct dbuf *b, uint32_t v)
{
    char t[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};

    return dbuf_add(b, t, 4);
}

SPRIG_FN(sprig_derive_password)
{
    static const char seed[] = "com.lyndir.masterpassword";
    int64_t counter;
    struct sstr type, pw, user, site;
    const char *const *tmpls = NULL;
    struct dbuf salt = DBUF_INIT, msg = DBUF_INIT;
    unsigned char key[64], mac[32];
    unsigned int maclen = 0;
    size_t ntmpl = 0;
    char result[32];
    const char *t;
    int r;

    if ((r = sprig_arg_int(call, argv[0], &counter)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &type)) != 0 ||
        (r = sprig_arg_str(call, argv[2], &pw)) != 0 ||
        (r = sprig_arg_str(call, argv[3], &user)) != 0 ||
        (r = sprig_arg_str(call, argv[4], &site)) != 0)
        return r;
    if (counter < 0 || counter > UINT32_MAX)
        return tmpl_call_fail(call, "%lld overflows uint32", (long long)counter);
    for (size_t i = 0; i < sizeof(password_types) / sizeof(password_types[0]); i++)
        if (strlen(password_types[i].name) == type.len &&
            memcmp(password_types[i].name, type.p, type.len) == 0)
            tmpls = password_types[i].tmpls;
    if (tmpls == NULL) {
        struct dbuf b = DBUF_INIT;
        if (dbuf_adds(&b, "cannot find password template ") != 0 ||
            dbuf_add(&b, type.p, type.len) != 0) {
            dbuf_free(&b);
            return sprig_oom(call);
        }
        return sprig_ret_dbuf(call, out, &b);
    }
    r = dbuf_adds(&salt, seed);
    if (r == 0)
        r = put_u32(&salt, (uint32_t)user.len);
    if (r == 0)
        r = dbuf_add(&salt, user.p, user.len);
    if (r == 0)
        r = dbuf_adds(&msg, seed);
    if (r == 0)
        r = put_u32(&msg, (uint32_t)site.len);
    if (r == 0)
        r = dbuf_add(&msg, site.p, site.len);
    if (r == 0)
        r = put_u32(&msg, (uint32_t)counter);
    if (r != 0) {
        r = sprig_oom(call);
        goto out;
    }
    if (EVP_PBE_scrypt(pw.p, pw.len, (const unsigned char *)salt.p, salt.len, 32768, 8, 2,
                       (uint64_t)1 << 26, key, sizeof(key)) != 1) {
        r = tmpl_call_fail(call, "failed to derive password: scrypt failed");
        goto out;
    }
    if (HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)msg.p, msg.len, mac, &maclen) ==
        NULL) {
        r = tmpl_call_fail(call, "failed to derive password: HMAC failed");
        goto out;
    }
    while (tmpls[ntmpl] != NULL)
        ntmpl++;
    t = tmpls[mac[0] % ntmpl];
    for (size_t i = 0; t[i] != '\0'; i++) {
        const char *chars = template_chars(t[i]);
        result[i] = chars[mac[i + 1] % strlen(chars)];
    }
    r = sprig_ret_str(call, out, result, strlen(t));
out:
    secure_zero(key, sizeof(key));
    secure_zero(mac, sizeof(mac));
    secure_zero(result, sizeof(result));
    dbuf_free(&salt);
    dbuf_free(&msg);
    return r;
}

/* The AES-256 key Sprig derives: the password bytes, zero-padded or cut to 32. */
static void aes_key(struct sstr pw, unsigned char key[32])
{
    memset(key, 0, 32);
    memcpy(key, pw.p, pw.len < 32 ? pw.len : 32);
}

/* AES-256-CBC without padding (the caller pads); 0 or -1. */
static int aes_cbc(int enc, const unsigned char key[32], const unsigned char *iv,
                   const unsigned char *in, size_t len, unsigned char *outbuf)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0, ok;

    ok = ctx != NULL && EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv, enc) == 1 &&
         EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
         EVP_CipherUpdate(ctx, outbuf, &n1, in, (int)len) == 1 &&
         EVP_CipherFinal_ex(ctx, outbuf + n1, &n2) == 1 && (size_t)(n1 + n2) == len;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

SPRIG_FN(sprig_encrypt_aes)
{
    struct sstr pw, text;
    unsigned char key[32], *buf = NULL;
    struct dbuf b = DBUF_INIT;
    size_t padded, total = 0;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &pw)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &text)) != 0)
        return r;
    if (text.len == 0)
        return sprig_ret_str(call, out, "", 0);
    if (text.len > (1u << 30))
        return tmpl_call_fail(call, "encryptAES: plaintext too large");
    aes_key(pw, key);
    padded = (text.len / 16 + 1) * 16;
    total = 16 + 2 * padded;
    buf = malloc(total); /* IV | ciphertext | padded plaintext */
    if (buf == NULL) {
        r = sprig_oom(call);
        goto out;
    }
    memcpy(buf + 16 + padded, text.p, text.len);
    memset(buf + 16 + padded + text.len, (int)(padded - text.len), padded - text.len);
    if (RAND_bytes(buf, 16) != 1 ||
        aes_cbc(1, key, buf, buf + 16 + padded, padded, buf + 16) != 0) {
        r = tmpl_call_fail(call, "encryptAES: encryption failed");
        goto out;
    }
    if (sprig_b64_encode(buf, 16 + padded, &b) != 0) {
        r = sprig_oom(call);
        goto out;
    }
    r = sprig_ret_dbuf(call, out, &b);
out:
    secure_zero(key, sizeof(key));
    secure_free(buf, total);
    dbuf_free(&b);
    return r;
}

SPRIG_FN(sprig_decrypt_aes)
{
    struct sstr pw, text;
    unsigned char key[32], *plain = NULL;
    struct dbuf raw = DBUF_INIT;
    char err[128];
    size_t n = 0, keep;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &pw)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &text)) != 0)
        return r;
    if (text.len == 0)
        return sprig_ret_str(call, out, "", 0);
    aes_key(pw, key);
    if (sprig_b64_decode(text.p, text.len, &raw, err, sizeof(err)) != 0) {
        r = tmpl_call_fail(call, "%s", err);
        goto out;
    }
    /* the same failures as Sprig's slicing and cipher.CryptBlocks panics */
    if (raw.len < 16) {
        r = tmpl_call_fail(call, "runtime error: slice bounds out of range [:16] with capacity %zu",
                           raw.len);
        goto out;
    }
    n = raw.len - 16;
    if (n % 16 != 0) {
        r = tmpl_call_fail(call, "crypto/cipher: input not full blocks");
        goto out;
    }
    if (n == 0) {
        r = tmpl_call_fail(call, "runtime error: index out of range [-1]");
        goto out;
    }
    plain = malloc(n);
    if (plain == NULL) {
        r = sprig_oom(call);
        goto out;
    }
    if (aes_cbc(0, key, (unsigned char *)raw.p, (unsigned char *)raw.p + 16, n, plain) != 0) {
        r = tmpl_call_fail(call, "decryptAES: decryption failed");
        goto out;
    }
    if (plain[n - 1] > n) {
        r = tmpl_call_fail(call, "runtime error: slice bounds out of range [:%lld]",
                           (long long)n - (long long)plain[n - 1]);
        goto out;
    }
    keep = n - plain[n - 1];
    r = sprig_ret_str(call, out, (const char *)plain, keep);
out:
    secure_zero(key, sizeof(key));
    secure_free(plain, n);
    dbuf_free(&raw);
    return r;
}
