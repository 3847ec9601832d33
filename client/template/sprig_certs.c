/*
 * sprig_certs.c - genPrivateKey, buildCustomCert, genCA, genCAWithKey,
 * genSelfSignedCert, genSelfSignedCertWithKey, genSignedCert, genSignedCertWithKey.
 *
 * Keys and certificates are made with OpenSSL 3 and shaped like Go's crypto/x509 output
 * as Sprig drives it:
 *  - keys: RSA 4096 ("RSA PRIVATE KEY", PKCS#1), ECDSA P-256 ("EC PRIVATE KEY", SEC1),
 *    DSA L2048/N256 ("DSA PRIVATE KEY", the OpenSSL/Go sequence version,p,q,g,y,x),
 *    Ed25519 ("PRIVATE KEY", PKCS#8); certificate helpers make RSA 2048 keys;
 *  - certificates: X.509 v3, random 128-bit serial, subject CN only, valid from now for
 *    daysValid days, critical key usage digitalSignature|keyEncipherment (+certSign for a
 *    CA), extended key usage serverAuth+clientAuth, critical basic constraints, a SHA-1
 *    subject key id on CAs, an authority key id from the issuer's, DNS and IP SANs,
 *    signed with SHA-256 (ECDSA: the curve's hash, Ed25519: pure);
 *  - results are maps {Cert, Key} tagged "go:sprig.certificate" (Sprig's struct).
 * A DSA key cannot sign or be certified (Go's x509 refuses it); we fail the same way.
 */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <time.h>

#include "sprig_fns.h"

/* Generate a key of the given kind ("rsa", "ecdsa", "ed25519", "dsa"); NULL on failure. */
static EVP_PKEY *key_generate(const char *kind, unsigned bits)
{
    EVP_PKEY *key = NULL, *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;

    if (strcmp(kind, "rsa") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    if (strcmp(kind, "ecdsa") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (strcmp(kind, "ed25519") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    /* DSA: FIPS 186 parameters L=2048, N=256, then a key */
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
    if (ctx == NULL || EVP_PKEY_paramgen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_dsa_paramgen_bits(ctx, 2048) <= 0 ||
        EVP_PKEY_CTX_set_dsa_paramgen_q_bits(ctx, 256) <= 0 || EVP_PKEY_paramgen(ctx, &params) <= 0)
        goto out;
    EVP_PKEY_CTX_free(ctx);
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0) {
        EVP_PKEY_free(key);
        key = NULL;
    }
out:
    EVP_PKEY_free(params);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* Drain a memory BIO into a dbuf. */
static int bio_take(BIO *bio, struct dbuf *out)
{
    char *p;
    long n = BIO_get_mem_data(bio, &p);

    return n >= 0 ? dbuf_add(out, p, (size_t)n) : VALS_ENOMEM;
}

/* Sprig's pemBlockForKey: traditional PEM for RSA/EC/DSA, PKCS#8 for the rest. */
static int key_pem(EVP_PKEY *key, struct dbuf *out)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    int id = EVP_PKEY_get_base_id(key), ok, r;

    if (bio == NULL)
        return VALS_ENOMEM;
    if (id == EVP_PKEY_RSA || id == EVP_PKEY_EC || id == EVP_PKEY_DSA)
        ok = PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL);
    else
        ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    r = ok ? bio_take(bio, out) : VALS_ECRYPTO;
    BIO_free(bio);
    return r;
}

SPRIG_FN(sprig_gen_private_key)
{
    struct sstr typ;
    const char *kind = NULL;
    EVP_PKEY *key;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &typ)) != 0)
        return r;
    if (typ.len == 0 || (typ.len == 3 && memcmp(typ.p, "rsa", 3) == 0))
        kind = "rsa";
    else if (typ.len == 3 && memcmp(typ.p, "dsa", 3) == 0)
        kind = "dsa";
    else if (typ.len == 5 && memcmp(typ.p, "ecdsa", 5) == 0)
        kind = "ecdsa";
    else if (typ.len == 7 && memcmp(typ.p, "ed25519", 7) == 0)
        kind = "ed25519";
    if (kind == NULL) { /* Sprig returns this text */
        if (dbuf_adds(&b, "Unknown type ") != 0 || dbuf_add(&b, typ.p, typ.len) != 0) {
            dbuf_free(&b);
            return sprig_oom(call);
        }
        return sprig_ret_dbuf(call, out, &b);
    }
    key = key_generate(kind, 4096);
    if (key == NULL)
        return tmpl_call_fail(call, "failed to generate private key: OpenSSL error");
    r = key_pem(key, &b);
    EVP_PKEY_free(key);
    if (r != 0) {
        dbuf_free(&b);
        return tmpl_call_fail(call, "failed to generate private key: cannot encode it");
    }
    return sprig_ret_dbuf(call, out, &b);
}

/* Sprig's parsePrivateKeyPEM; NULL with a Go-like message in err. */
static EVP_PKEY *key_parse(const char *pem, size_t len, char *err, size_t errlen)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    const unsigned char *p;
    long dlen = 0;
    EVP_PKEY *key = NULL;
    size_t nl;

    if (bio == NULL || PEM_read_bio(bio, &name, &header, &data, &dlen) != 1) {
        snprintf(err, errlen, "no PEM data in input");
        goto out;
    }
    p = data;
    nl = strlen(name);
    if (strcmp(name, "PRIVATE KEY") == 0) {
        PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, dlen);
        int id;
        key = p8 != NULL ? EVP_PKCS82PKEY(p8) : NULL;
        PKCS8_PRIV_KEY_INFO_free(p8);
        id = key != NULL ? EVP_PKEY_get_base_id(key) : 0;
        if (key == NULL) {
            snprintf(err, errlen, "decoding PEM as PKCS#8: x509: failed to parse private key");
        } else if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC && id != EVP_PKEY_ED25519) {
            snprintf(err, errlen,
                     "decoding PEM as PKCS#8: x509: PKCS#8 wrapping contained "
                     "private key with unknown algorithm");
            EVP_PKEY_free(key);
            key = NULL;
        }
    } else if (nl < 12 || strcmp(name + nl - 12, " PRIVATE KEY") != 0) {
        snprintf(err, errlen, "no private key data in PEM block of type %s", name);
    } else if (nl == 15 && strncmp(name, "RSA", 3) == 0) {
        key = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, dlen);
        if (key == NULL)
            snprintf(err, errlen,
                     "parsing RSA private key from PEM: x509: failed to parse RSA "
                     "private key");
    } else if (nl == 14 && strncmp(name, "EC", 2) == 0) {
        key = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, dlen);
        if (key == NULL)
            snprintf(err, errlen,
                     "parsing EC private key from PEM: x509: failed to parse EC "
                     "private key");
    } else if (nl == 15 && strncmp(name, "DSA", 3) == 0) {
        key = d2i_PrivateKey(EVP_PKEY_DSA, NULL, &p, dlen);
        if (key == NULL)
            snprintf(err, errlen, "parsing DSA private key from PEM: asn1: structure error");
    } else {
        snprintf(err, errlen, "invalid private key type %s", name);
    }
out:
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (data != NULL)
        OPENSSL_clear_free(data, (size_t)dlen);
    BIO_free(bio);
    ERR_clear_error();
    return key;
}

/* The digest Go pairs with a signing key (NULL for Ed25519); -1 when Go cannot sign. */
static int sign_digest(EVP_PKEY *key, const EVP_MD **md, char *err, size_t errlen)
{
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        *md = EVP_sha256();
        return 0;
    case EVP_PKEY_ED25519:
        *md = NULL;
        return 0;
    case EVP_PKEY_EC: {
        int bits = EVP_PKEY_get_bits(key);
        *md = bits <= 256 ? EVP_sha256() : bits <= 384 ? EVP_sha384() : EVP_sha512();
        return 0;
    }
    default:
        snprintf(err, errlen, "x509: certificate private key does not implement crypto.Signer");
        return -1;
    }
}

/* Add an extension (takes nothing; the value is encoded). 1 on success. */
static int add_ext(X509 *x, int nid, void *value, int crit)
{
    return X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_DEFAULT) == 1;
}

/* Collect the ip/dns list arguments into a GENERAL_NAMES (DNS names first, as Go). */
static int san_names(const struct doc *ips, const struct doc *dns, GENERAL_NAMES *gens, char *err,
                     size_t errlen)
{
    if (dns != NULL) {
        for (size_t i = 0; i < dns->v.list.len; i++) {
            const struct doc *d = dns->v.list.items[i];
            GENERAL_NAME *g;
            ASN1_IA5STRING *s;
            if (d->type == DOC_COMMENT)
                continue;
            if (d->type != DOC_STR || sprig_is_time(d)) {
                struct dbuf t = DBUF_INIT;
                sprig_strval(d, &t);
                snprintf(err, errlen, "error processing alternate dns name: %s is not a string",
                         t.p != NULL ? t.p : "<nil>");
                dbuf_free(&t);
                return -1;
            }
            g = GENERAL_NAME_new();
            s = ASN1_IA5STRING_new();
            if (g == NULL || s == NULL || !ASN1_STRING_set(s, d->v.s.ptr, (int)d->v.s.len)) {
                GENERAL_NAME_free(g);
                ASN1_IA5STRING_free(s);
                return VALS_ENOMEM;
            }
            GENERAL_NAME_set0_value(g, GEN_DNS, s);
            if (!sk_GENERAL_NAME_push(gens, g)) {
                GENERAL_NAME_free(g);
                return VALS_ENOMEM;
            }
        }
    }
    if (ips != NULL) {
        for (size_t i = 0; i < ips->v.list.len; i++) {
            const struct doc *d = ips->v.list.items[i];
            unsigned char addr[16];
            int alen = 0;
            char tmp[INET6_ADDRSTRLEN + 1];
            GENERAL_NAME *g;
            ASN1_OCTET_STRING *o;
            if (d->type == DOC_COMMENT)
                continue;
            if (d->type != DOC_STR || sprig_is_time(d)) {
                struct dbuf t = DBUF_INIT;
                sprig_strval(d, &t);
                snprintf(err, errlen, "error parsing ip: %s is not a string",
                         t.p != NULL ? t.p : "<nil>");
                dbuf_free(&t);
                return -1;
            }
            if (d->v.s.len < sizeof(tmp)) {
                memcpy(tmp, d->v.s.ptr, d->v.s.len);
                tmp[d->v.s.len] = '\0';
                if (inet_pton(AF_INET, tmp, addr) == 1) {
                    alen = 4;
                } else if (inet_pton(AF_INET6, tmp, addr) == 1) {
                    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
                                                               0, 0, 0, 0, 0xFF, 0xFF};
                    alen = 16;
                    if (memcmp(addr, v4mapped, 12) == 0) { /* Go stores these as IPv4 */
                        memmove(addr, addr + 12, 4);
                        alen = 4;
                    }
                }
            }
            if (alen == 0) {
                snprintf(err, errlen, "error parsing ip: %.*s", (int)d->v.s.len, d->v.s.ptr);
                return -1;
            }
            g = GENERAL_NAME_new();
            o = ASN1_OCTET_STRING_new();
            if (g == NULL || o == NULL || !ASN1_OCTET_STRING_set(o, addr, alen)) {
                GENERAL_NAME_free(g);
                ASN1_OCTET_STRING_free(o);
                return VALS_ENOMEM;
            }
            GENERAL_NAME_set0_value(g, GEN_IPADD, o);
            if (!sk_GENERAL_NAME_push(gens, g)) {
                GENERAL_NAME_free(g);
                return VALS_ENOMEM;
            }
        }
    }
    return 0;
}

/* 1 when every byte of s is in ASN.1 PrintableString's alphabet (Go's isPrintable). */
static int printable_string(struct sstr s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(" '()+,-./:=?", c) != NULL) ||
            c == '\0')
            return 0;
    }
    return 1;
}

struct cert_req {
    struct sstr cn;
    const struct doc *ips, *dns; /* lists or NULL */
    int64_t days;
    int is_ca;
    EVP_PKEY *key;     /* the subject's key */
    X509 *parent;      /* NULL: self-signed */
    EVP_PKEY *signkey; /* the issuer's key */
};

/* Go's CreateCertificate for Sprig's template; PEM into out. -1 with err set. */
static int cert_create(const struct cert_req *q, struct dbuf *out, char *err, size_t errlen)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    ASN1_OCTET_STRING *skid = NULL;
    AUTHORITY_KEYID *akid = NULL;
    unsigned char rnd[16];
    const EVP_MD *md = NULL;
    BIO *bio = NULL;
    time_t now = time(NULL);
    int r = -1, id = EVP_PKEY_get_base_id(q->key);

    snprintf(err, errlen, "error creating certificate: OpenSSL error");
    if (x == NULL || name == NULL || ku == NULL || eku == NULL || bc == NULL || gens == NULL)
        goto out;
    if (san_names(q->ips, q->dns, gens, err, errlen) != 0)
        goto out;
    if (sign_digest(q->signkey, &md, err + 0, errlen) != 0) {
        char t[256];
        snprintf(t, sizeof(t), "error creating certificate: %s", err);
        snprintf(err, errlen, "%s", t);
        goto out;
    }
    if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC && id != EVP_PKEY_ED25519) {
        snprintf(err, errlen,
                 "error creating certificate: x509: unsupported public key type: "
                 "*dsa.PublicKey");
        goto out;
    }
    snprintf(err, errlen, "error creating certificate: OpenSSL error");
    /* serial: uniform in [0, 2^128) */
    if (RAND_bytes(rnd, sizeof(rnd)) != 1 || (bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) == NULL ||
        (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || !X509_set_serialNumber(x, serial))
        goto out;
    if (!X509_set_version(x, 2))
        goto out;
    if (q->cn.len > 0 &&
        !X509_NAME_add_entry_by_NID(
            name, NID_commonName, printable_string(q->cn) ? V_ASN1_PRINTABLESTRING : MBSTRING_UTF8,
            (const unsigned char *)q->cn.p, (int)q->cn.len, -1, 0))
        goto out;
    if (!X509_set_subject_name(x, name) ||
        !X509_set_issuer_name(x, q->parent != NULL ? X509_get_subject_name(q->parent) : name))
        goto out;
    if (ASN1_TIME_set(X509_getm_notBefore(x), now) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), now + (time_t)q->days * 86400) == NULL)
        goto out;
    if (!X509_set_pubkey(x, q->key))
        goto out;
    /* extensions in Go's order */
    if (!ASN1_BIT_STRING_set_bit(ku, 0, 1) || !ASN1_BIT_STRING_set_bit(ku, 2, 1) ||
        (q->is_ca && !ASN1_BIT_STRING_set_bit(ku, 5, 1)) || !add_ext(x, NID_key_usage, ku, 1))
        goto out;
    if (!sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) ||
        !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth)) ||
        !add_ext(x, NID_ext_key_usage, eku, 0))
        goto out;
    bc->ca = q->is_ca ? 0xFF : 0;
    if (!add_ext(x, NID_basic_constraints, bc, 1))
        goto out;
    if (q->is_ca) {
        const unsigned char *pk;
        int pklen;
        unsigned char h[SHA_DIGEST_LENGTH];
        if (!X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL, X509_get_X509_PUBKEY(x)))
            goto out;
        SHA1(pk, (size_t)pklen, h);
        if ((skid = ASN1_OCTET_STRING_new()) == NULL ||
            !ASN1_OCTET_STRING_set(skid, h, sizeof(h)) ||
            !add_ext(x, NID_subject_key_identifier, skid, 0))
            goto out;
    }
    if (q->parent != NULL &&
        X509_NAME_cmp(X509_get_subject_name(q->parent), X509_get_subject_name(x)) != 0 &&
        X509_get0_subject_key_id(q->parent) != NULL) {
        if ((akid = AUTHORITY_KEYID_new()) == NULL ||
            (akid->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(q->parent))) == NULL ||
            !add_ext(x, NID_authority_key_identifier, akid, 0))
            goto out;
    }
    if (sk_GENERAL_NAME_num(gens) > 0 && !add_ext(x, NID_subject_alt_name, gens, 0))
        goto out;
    if (X509_sign(x, q->signkey, md) <= 0)
        goto out;
    if ((bio = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(bio, x) ||
        bio_take(bio, out) != 0)
        goto out;
    r = 0;
out:
    BIO_free(bio);
    AUTHORITY_KEYID_free(akid);
    ASN1_OCTET_STRING_free(skid);
    GENERAL_NAMES_free(gens);
    BASIC_CONSTRAINTS_free(bc);
    sk_ASN1_OBJECT_free(eku); /* the objects are built-in constants */
    ASN1_BIT_STRING_free(ku);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    X509_NAME_free(name);
    X509_free(x);
    ERR_clear_error();
    return r;
}

/* The {Cert, Key} result map. */
static int cert_result(struct tmpl_call *call, struct doc **out, const struct dbuf *cert,
                       const struct dbuf *key)
{
    struct doc *m = sprig_tagged(doc_map(), "sprig.certificate");

    if (m == NULL || doc_map_set(m, "Cert", doc_str(cert->p ? cert->p : "", cert->len)) != 0 ||
        doc_map_set(m, "Key", doc_str(key->p ? key->p : "", key->len)) != 0) {
        doc_free(m);
        return sprig_oom(call);
    }
    *out = m;
    return 0;
}

/* A certificate argument: Sprig's struct, or any map with string Cert and Key. */
static int cert_arg(struct tmpl_call *call, const struct doc *d, struct sstr *cert,
                    struct sstr *key)
{
    const struct doc *c, *k;

    if (d == NULL || d->type != DOC_MAP)
        return sprig_wrong_type(call, "sprig.certificate", d);
    c = doc_map_getz(d, "Cert");
    k = doc_map_getz(d, "Key");
    if (c == NULL || k == NULL || c->type != DOC_STR || k->type != DOC_STR)
        return sprig_wrong_type(call, "sprig.certificate", d);
    cert->p = c->v.s.ptr;
    cert->len = c->v.s.len;
    key->p = k->v.s.ptr;
    key->len = k->v.s.len;
    return 0;
}

/* Parse the first PEM CERTIFICATE of s; NULL when there is none or it is invalid. */
static X509 *cert_parse(struct sstr s, int *pem_found)
{
    BIO *bio = BIO_new_mem_buf(s.p, (int)s.len);
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    const unsigned char *p;
    long dlen = 0;
    X509 *x = NULL;

    *pem_found = 0;
    if (bio != NULL && PEM_read_bio(bio, &name, &header, &data, &dlen) == 1) {
        *pem_found = 1;
        p = data;
        x = d2i_X509(NULL, &p, dlen);
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    BIO_free(bio);
    ERR_clear_error();
    return x;
}

/*
 * The shared body of the gen* functions.  `a` holds the arguments in Sprig's order;
 * flags say which are present.
 */
enum { GEN_CA = 1, GEN_SANS = 2, GEN_SIGNED = 4, GEN_WITHKEY = 8 };

static int gen_cert(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int flags)
{
    struct cert_req q;
    struct sstr kpem = {NULL, 0}, cacert = {NULL, 0}, cakey = {NULL, 0};
    struct doc *ips = NULL, *dns = NULL;
    struct dbuf cert = DBUF_INIT, key = DBUF_INIT;
    X509 *parent = NULL;
    EVP_PKEY *signkey = NULL;
    char err[512];
    int i = 0, r;

    memset(&q, 0, sizeof(q));
    if ((r = sprig_arg_str(call, argv[i++], &q.cn)) != 0)
        return r;
    if (flags & GEN_SANS) {
        if ((r = sprig_arg_list(call, argv[i++], &ips)) != 0 ||
            (r = sprig_arg_list(call, argv[i++], &dns)) != 0)
            return r;
    }
    if ((r = sprig_arg_int(call, argv[i++], &q.days)) != 0)
        return r;
    if ((flags & GEN_SIGNED) && (r = cert_arg(call, argv[i++], &cacert, &cakey)) != 0)
        return r;
    if ((flags & GEN_WITHKEY) && (r = sprig_arg_str(call, argv[i++], &kpem)) != 0)
        return r;
    if (flags & GEN_SIGNED) {
        int found;
        parent = cert_parse(cacert, &found);
        if (!found) {
            r = tmpl_call_fail(call, "unable to decode certificate");
            goto out;
        }
        if (parent == NULL) {
            r = tmpl_call_fail(call, "error parsing certificate: decodedSignerCert.Bytes: x509: "
                                     "malformed certificate");
            goto out;
        }
        signkey = key_parse(cakey.p, cakey.len, err, sizeof(err));
        if (signkey == NULL) {
            r = tmpl_call_fail(call, "error parsing private key: %s", err);
            goto out;
        }
    }
    if (flags & GEN_WITHKEY) {
        q.key = key_parse(kpem.p, kpem.len, err, sizeof(err));
        if (q.key == NULL) {
            r = tmpl_call_fail(call, "parsing private key: %s", err);
            goto out;
        }
    } else if ((q.key = key_generate("rsa", 2048)) == NULL) {
        r = tmpl_call_fail(call, "error generating rsa key: OpenSSL error");
        goto out;
    }
    q.ips = ips;
    q.dns = dns;
    q.is_ca = (flags & GEN_CA) != 0;
    q.parent = parent;
    q.signkey = signkey != NULL ? signkey : q.key;
    if (cert_create(&q, &cert, err, sizeof(err)) != 0) {
        r = tmpl_call_fail(call, "%s", err);
        goto out;
    }
    if (key_pem(q.key, &key) != 0) {
        r = tmpl_call_fail(call, "error pem-encoding key");
        goto out;
    }
    r = cert_result(call, out, &cert, &key);
out:
    EVP_PKEY_free(q.key);
    EVP_PKEY_free(signkey);
    X509_free(parent);
    dbuf_free(&cert);
    dbuf_free(&key);
    return r;
}

SPRIG_FN(sprig_gen_ca)
{
    return gen_cert(call, argv, out, GEN_CA);
}

SPRIG_FN(sprig_gen_ca_with_key)
{
    return gen_cert(call, argv, out, GEN_CA | GEN_WITHKEY);
}

SPRIG_FN(sprig_gen_self_signed_cert)
{
    return gen_cert(call, argv, out, GEN_SANS);
}

SPRIG_FN(sprig_gen_self_signed_cert_with_key)
{
    return gen_cert(call, argv, out, GEN_SANS | GEN_WITHKEY);
}

SPRIG_FN(sprig_gen_signed_cert)
{
    return gen_cert(call, argv, out, GEN_SANS | GEN_SIGNED);
}

SPRIG_FN(sprig_gen_signed_cert_with_key)
{
    return gen_cert(call, argv, out, GEN_SANS | GEN_SIGNED | GEN_WITHKEY);
}

SPRIG_FN(sprig_build_custom_cert)
{
    struct sstr b64c, b64k, c, k;
    struct dbuf cert = DBUF_INIT, key = DBUF_INIT;
    char err[256];
    EVP_PKEY *pk = NULL;
    X509 *x = NULL;
    int r, found;

    if ((r = sprig_arg_str(call, argv[0], &b64c)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &b64k)) != 0)
        return r;
    if (sprig_b64_decode(b64c.p, b64c.len, &cert, err, sizeof(err)) != 0) {
        r = tmpl_call_fail(call, "unable to decode base64 certificate");
        goto out;
    }
    if (sprig_b64_decode(b64k.p, b64k.len, &key, err, sizeof(err)) != 0) {
        r = tmpl_call_fail(call, "unable to decode base64 private key");
        goto out;
    }
    c.p = cert.p != NULL ? cert.p : "";
    c.len = cert.len;
    k.p = key.p != NULL ? key.p : "";
    k.len = key.len;
    x = cert_parse(c, &found);
    if (!found) {
        r = tmpl_call_fail(call, "unable to decode certificate");
        goto out;
    }
    if (x == NULL) {
        r = tmpl_call_fail(call, "error parsing certificate: decodedCert.Bytes: x509: malformed "
                                 "certificate");
        goto out;
    }
    if ((pk = key_parse(k.p, k.len, err, sizeof(err))) == NULL) {
        r = tmpl_call_fail(call, "error parsing private key: %s", err);
        goto out;
    }
    r = cert_result(call, out, &cert, &key);
out:
    EVP_PKEY_free(pk);
    X509_free(x);
    dbuf_free(&cert);
    dbuf_free(&key);
    return r;
}
