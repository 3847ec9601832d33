/*
 * sops_value.c - one SOPS value: "ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]".
 *
 * AES-256-GCM under the data key with a 32-byte IV (any IV length is accepted when
 * decrypting), the value's path ("a:b:") as additional data, a 16-byte tag; data, iv and tag
 * in padded standard base64.  The type tag says how the plaintext bytes read back: str,
 * int (decimal), float (Go 'f' shortest), bool (True/False), time (RFC 3339), comment, bytes.
 * An empty string is never encrypted.  sops-age.md §2.2.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"
#include "doc_yaml.h"
#include "sops_int.h"

#define ENC_PREFIX "ENC[AES256_GCM,data:"
#define ENC_MAX_IV 64

static const char *const type_names[] = {"str", "int", "float", "bool", "time", "comment", "bytes"};

const char *sops_vtype_name(enum sops_vtype t)
{
    return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "?";
}

int sops_value_is_enc(const char *s, size_t len)
{
    return len >= sizeof(ENC_PREFIX) - 1 && memcmp(s, ENC_PREFIX, sizeof(ENC_PREFIX) - 1) == 0;
}

int sops_value_plaintext(const struct doc *d, struct dbuf *out, enum sops_vtype *t,
                         const char *path, struct verr *e)
{
    char buf[400];

    switch (d->type) {
    case DOC_STR:
        if (d->style == DOC_STYLE_PLAIN && yaml_plain_is_timestamp(d->v.s.ptr, d->v.s.len)) {
            struct yaml_time tm;
            yaml_timestamp_parse(d->v.s.ptr, d->v.s.len, &tm);
            yaml_time_format(&tm, 1, buf, sizeof(buf));
            *t = SOPS_T_TIME;
            return dbuf_adds(out, buf);
        }
        *t = SOPS_T_STR;
        return dbuf_add(out, d->v.s.ptr, d->v.s.len);
    case DOC_COMMENT:
        *t = SOPS_T_COMMENT;
        return dbuf_add(out, d->v.s.ptr, d->v.s.len);
    case DOC_INT:
        *t = SOPS_T_INT;
        return dbuf_printf(out, "%lld", (long long)d->v.i);
    case DOC_FLOAT:
        *t = SOPS_T_FLOAT;
        doc_format_float_fixed(d->v.f, buf, sizeof(buf));
        return dbuf_adds(out, buf);
    case DOC_BOOL:
        *t = SOPS_T_BOOL;
        return dbuf_adds(out, d->v.b ? "True" : "False");
    default:
        return verr_set(e, VALS_ETYPE, "%s: cannot encrypt a %s value", path,
                        doc_type_name((enum doc_type)d->type));
    }
}

/* AES-256-GCM; encrypt when `enc`, else decrypt and check `tag`. */
static int gcm(int enc, const uint8_t key[32], const uint8_t *iv, size_t ivlen, const void *in,
               size_t inlen, const char *aad, size_t aadlen, uint8_t *out, uint8_t tag[16])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, r = VALS_ECRYPTO;

    if (ctx == NULL)
        return VALS_ENOMEM;
    if (inlen > INT32_MAX || aadlen > INT32_MAX ||
        EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)ivlen, NULL) != 1 ||
        EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) != 1)
        goto out;
    if (aadlen > 0 &&
        EVP_CipherUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)aadlen) != 1)
        goto out;
    if (inlen > 0 && EVP_CipherUpdate(ctx, out, &len, in, (int)inlen) != 1)
        goto out;
    if (enc) {
        if (EVP_CipherFinal_ex(ctx, out + len, &len) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
            goto out;
    } else {
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
            goto out;
        if (EVP_CipherFinal_ex(ctx, out + len, &len) != 1) {
            r = VALS_ETAMPERED;
            goto out;
        }
    }
    r = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    return r;
}

int sops_value_encrypt(const uint8_t key[32], const uint8_t *iv, size_t ivlen, const void *pt,
                       size_t ptlen, const char *aad, size_t aadlen, enum sops_vtype t,
                       struct dbuf *out)
{
    uint8_t tag[16], *ct = malloc(ptlen + 1);
    int r;

    if (ct == NULL)
        return VALS_ENOMEM;
    r = gcm(1, key, iv, ivlen, pt, ptlen, aad, aadlen, ct, tag);
    if (r == 0)
        r = dbuf_adds(out, ENC_PREFIX);
    if (r == 0)
        r = b64_encode_dbuf(ct, ptlen, B64_PAD, out);
    if (r == 0)
        r = dbuf_adds(out, ",iv:");
    if (r == 0)
        r = b64_encode_dbuf(iv, ivlen, B64_PAD, out);
    if (r == 0)
        r = dbuf_adds(out, ",tag:");
    if (r == 0)
        r = b64_encode_dbuf(tag, sizeof(tag), B64_PAD, out);
    if (r == 0)
        r = dbuf_printf(out, ",type:%s]", sops_vtype_name(t));
    free(ct);
    return r;
}

/* Find `needle` in s[from, len); offset or -1. */
static long find(const char *s, size_t len, size_t from, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = from; i + n <= len; i++)
        if (memcmp(s + i, needle, n) == 0)
            return (long)i;
    return -1;
}

int sops_value_decrypt(const uint8_t key[32], const char *enc, size_t enclen, const char *aad,
                       size_t aadlen, struct dbuf *pt, enum sops_vtype *t, uint8_t *iv,
                       size_t *ivlen, const char *path, struct verr *e)
{
    size_t p0 = sizeof(ENC_PREFIX) - 1, dlen = 0, tlen = 0, ctlen;
    long piv, ptag, ptype, pend = -1;
    uint8_t *ct = NULL, tag[16];
    int r;
    size_t ty;

    if (!sops_value_is_enc(enc, enclen))
        return verr_set(e, VALS_EPARSE, "%s: value does not match sops' data format (ENC[...])",
                        path);
    piv = find(enc, enclen, p0, ",iv:");
    ptag = piv < 0 ? -1 : find(enc, enclen, (size_t)piv + 4, ",tag:");
    ptype = ptag < 0 ? -1 : find(enc, enclen, (size_t)ptag + 5, ",type:");
    for (size_t i = enclen; ptype >= 0 && i > (size_t)ptype; i--)
        if (enc[i - 1] == ']') {
            pend = (long)i - 1;
            break;
        }
    if (pend < 0 || (size_t)pend <= (size_t)ptype + 6 || (size_t)ptag <= (size_t)piv + 4)
        return verr_set(e, VALS_EPARSE, "%s: value does not match sops' data format (ENC[...])",
                        path);
    for (ty = 0; ty < sizeof(type_names) / sizeof(type_names[0]); ty++)
        if (strlen(type_names[ty]) == (size_t)(pend - ptype - 6) &&
            memcmp(enc + ptype + 6, type_names[ty], (size_t)(pend - ptype - 6)) == 0)
            break;
    if (ty == sizeof(type_names) / sizeof(type_names[0]))
        return verr_set(e, VALS_EPARSE, "%s: unknown value type \"%.*s\"", path,
                        (int)((pend - ptype - 6) > 20 ? 20 : (pend - ptype - 6)), enc + ptype + 6);
    *t = (enum sops_vtype)ty;
    ctlen = (size_t)piv - p0;
    if ((ct = malloc(b64_decoded_max(ctlen) + 1)) == NULL)
        return VALS_ENOMEM;
    r = b64_decode(enc + p0, ctlen, B64_PAD | B64_LAX, ct, b64_decoded_max(ctlen) + 1, &dlen);
    if (r == 0)
        r = b64_decode(enc + piv + 4, (size_t)ptag - (size_t)piv - 4, B64_PAD | B64_LAX, iv,
                       ENC_MAX_IV, ivlen);
    if (r == 0)
        r = b64_decode(enc + ptag + 5, (size_t)ptype - (size_t)ptag - 5, B64_PAD | B64_LAX, tag,
                       sizeof(tag), &tlen);
    if (r != 0 || tlen != 16 || *ivlen == 0) {
        r = verr_set(e, VALS_EPARSE, "%s: encrypted value has bad base64 or lengths", path);
        goto out;
    }
    if ((r = dbuf_reserve(pt, dlen + 1)) != 0)
        goto out;
    r = gcm(0, key, iv, *ivlen, ct, dlen, aad, aadlen, (uint8_t *)pt->p + pt->len, tag);
    if (r == VALS_ETAMPERED) {
        secure_zero(pt->p + pt->len, dlen);
        r = verr_set(e, VALS_ETAMPERED,
                     "%s: encrypted value does not verify (wrong key, altered value, tag or "
                     "path)",
                     path);
        goto out;
    }
    if (r != 0) {
        r = verr_set(e, r, "%s: AES-GCM failed", path);
        goto out;
    }
    pt->len += dlen;
    pt->p[pt->len] = '\0';
out:
    secure_free(ct, b64_decoded_max(ctlen) + 1);
    return r;
}

/* Go strconv.ParseBool. */
static int parse_bool(const char *s, size_t len, int *b)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

    for (size_t i = 0; i < 6; i++) {
        if (strlen(yes[i]) == len && !memcmp(s, yes[i], len)) {
            *b = 1;
            return 1;
        }
        if (strlen(no[i]) == len && !memcmp(s, no[i], len)) {
            *b = 0;
            return 1;
        }
    }
    return 0;
}

/* Go strconv.Atoi (decimal, optional sign, int64). */
static int parse_int(const char *s, size_t len, long long *v)
{
    char buf[32];
    char *end;

    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    for (size_t i = (buf[0] == '-' || buf[0] == '+') ? 1 : 0; i < len; i++)
        if (buf[i] < '0' || buf[i] > '9')
            return 0;
    errno = 0;
    *v = strtoll(buf, &end, 10);
    return errno == 0 && *end == '\0' && len > (size_t)((buf[0] == '-' || buf[0] == '+') ? 1 : 0);
}

/* Go strconv.ParseFloat(s, 64): decimal or hex, Inf/NaN, no blanks. */
static int parse_float(const char *s, size_t len, double *v)
{
    char buf[400];
    char *end;

    if (len == 0 || len >= sizeof(buf) || s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    *v = strtod(buf, &end);
    return *end == '\0' && !(errno == ERANGE && isinf(*v));
}

int sops_value_to_doc(enum sops_vtype t, const char *pt, size_t len, struct doc **out,
                      const char *path, struct verr *e)
{
    struct doc *d = NULL;

    switch (t) {
    case SOPS_T_STR:
    case SOPS_T_BYTES:
        d = doc_str(pt, len);
        break;
    case SOPS_T_COMMENT:
        d = doc_comment(pt, len);
        break;
    case SOPS_T_INT: {
        long long v;
        if (!parse_int(pt, len, &v))
            return verr_set(e, VALS_EPARSE, "%s: decrypted value is not an int", path);
        d = doc_int(v);
        break;
    }
    case SOPS_T_FLOAT: {
        double v;
        if (!parse_float(pt, len, &v))
            return verr_set(e, VALS_EPARSE, "%s: decrypted value is not a float", path);
        d = doc_float(v);
        break;
    }
    case SOPS_T_BOOL: {
        int b;
        if (!parse_bool(pt, len, &b))
            return verr_set(e, VALS_EPARSE, "%s: decrypted value is not a bool", path);
        d = doc_bool(b);
        break;
    }
    case SOPS_T_TIME: {
        struct yaml_time tm;
        char buf[64];
        if (!yaml_rfc3339_parse(pt, len, &tm))
            return verr_set(e, VALS_EPARSE, "%s: decrypted value is not an RFC 3339 time", path);
        yaml_time_format(&tm, 1, buf, sizeof(buf));
        if ((d = doc_strz(buf)) != NULL)
            d->style = DOC_STYLE_PLAIN; /* a time value */
        break;
    }
    }
    if (d == NULL)
        return VALS_ENOMEM;
    *out = d;
    return 0;
}
