/*
 * aws_sigv4.c - AWS Signature Version 4 signing (see aws_sigv4.h and
 * reference/backends.md §1.2-1.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aws_sigv4.h"
#include "valsd/errors.h"

#define SIGV4_MAX_QUERY_PAIRS 1024

/* One canonical header: lower-case name and normalised value; `order` keeps the input
 * position so that duplicates are joined in the order they were sent. */
struct canon_header {
    char *name;
    struct dbuf value;
    size_t order;
};

struct query_pair {
    struct dbuf name;
    struct dbuf value;
};

static const char hexdigits[] = "0123456789abcdef";

/* Lower-case hex of n bytes into out (2n+1 bytes). */
static void to_hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[d[i] >> 4];
        out[2 * i + 1] = hexdigits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void aws_sigv4_amz_date(time_t t, char out[17])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, 17, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int aws_sigv4_hash(const void *data, size_t len, char hex[65])
{
    unsigned char d[32];
    unsigned int dl = 0;

    if (!EVP_Digest(data != NULL ? data : "", len, d, &dl, EVP_sha256(), NULL) || dl != 32)
        return VALS_ECRYPTO;
    to_hex(d, 32, hex);
    return 0;
}

/* HMAC-SHA256 of data under key into out[32]. */
static int hmac256(const void *key, size_t klen, const void *data, size_t len, unsigned char *out)
{
    unsigned int ol = 0;

    if (HMAC(EVP_sha256(), key, (int)klen, data, len, out, &ol) == NULL || ol != 32)
        return VALS_ECRYPTO;
    return 0;
}

/* SigV4's unreserved characters: A-Z a-z 0-9 - _ . ~ */
static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

int aws_sigv4_uri_encode(const char *s, size_t len, int keep_slash, struct dbuf *out)
{
    static const char up[] = "0123456789ABCDEF";
    int rc = 0;

    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            rc = dbuf_addc(out, (char)c);
        } else {
            char esc[3] = {'%', up[c >> 4], up[c & 15]};
            rc = dbuf_add(out, esc, 3);
        }
    }
    return rc;
}

/* The value of a hex digit, or -1. */
static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s[0..len) into out (an invalid escape stays literal). */
static int uri_decode(const char *s, size_t len, struct dbuf *out)
{
    int rc = 0;

    for (size_t i = 0; i < len && rc == 0; i++) {
        if (s[i] == '%' && i + 2 < len && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            rc = dbuf_addc(out, (char)(hexval((unsigned char)s[i + 1]) << 4 |
                                       hexval((unsigned char)s[i + 2])));
            i += 2;
        } else {
            rc = dbuf_addc(out, s[i]);
        }
    }
    return rc;
}

/* The canonical URI: the path (normalised when asked) encoded once more, '/' kept. */
static int canonical_uri(const char *path, int normalize, struct dbuf *out)
{
    size_t len = path != NULL ? strlen(path) : 0;
    size_t *starts = NULL, *lens = NULL, n = 0, i = 0;
    int trailing = 0, rc = 0;

    if (len == 0)
        return dbuf_addc(out, '/');
    if (!normalize)
        return aws_sigv4_uri_encode(path, len, 1, out);
    /* at most len/1 segments */
    starts = calloc(len + 1, sizeof(size_t));
    lens = calloc(len + 1, sizeof(size_t));
    if (starts == NULL || lens == NULL) {
        rc = VALS_ENOMEM;
        goto out;
    }
    while (i <= len) {
        size_t s = i;
        while (i < len && path[i] != '/')
            i++;
        size_t sl = i - s;
        int last = i >= len;
        if (sl == 1 && path[s] == '.') {
            trailing = last;
        } else if (sl == 2 && path[s] == '.' && path[s + 1] == '.') {
            if (n > 0)
                n--;
            trailing = last;
        } else if (sl > 0) {
            starts[n] = s;
            lens[n++] = sl;
            trailing = 0;
        } else if (last) {
            trailing = 1; /* the path ends with '/' */
        }
        i++;
    }
    rc = dbuf_addc(out, '/');
    for (size_t k = 0; k < n && rc == 0; k++) {
        rc = aws_sigv4_uri_encode(path + starts[k], lens[k], 0, out);
        if (rc == 0 && (k + 1 < n || trailing))
            rc = dbuf_addc(out, '/');
    }
out:
    free(starts);
    free(lens);
    return rc;
}

/* Order query pairs by encoded name, then encoded value. */
static int pair_cmp(const void *a, const void *b)
{
    const struct query_pair *x = a, *y = b;
    int c = strcmp(x->name.p, y->name.p);

    return c != 0 ? c : strcmp(x->value.p, y->value.p);
}

/* The canonical query: pairs decoded, re-encoded, sorted by name then value. */
static int canonical_query(const char *query, struct dbuf *out)
{
    struct query_pair *pairs = NULL;
    size_t n = 0, cap = 0, len = query != NULL ? strlen(query) : 0, i = 0;
    struct dbuf tmp = DBUF_INIT;
    int rc = 0;

    while (i < len && rc == 0) {
        size_t s = i, eq;
        while (i < len && query[i] != '&')
            i++;
        if (i > s) {
            if (n == SIGV4_MAX_QUERY_PAIRS) {
                rc = VALS_ETOO_LARGE;
                break;
            }
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 8;
                struct query_pair *p = realloc(pairs, nc * sizeof(*p));
                if (p == NULL) {
                    rc = VALS_ENOMEM;
                    break;
                }
                pairs = p;
                cap = nc;
            }
            struct query_pair *qp = &pairs[n++];
            dbuf_init(&qp->name, 0);
            dbuf_init(&qp->value, 0);
            for (eq = s; eq < i && query[eq] != '='; eq++)
                ;
            dbuf_reset(&tmp);
            rc = uri_decode(query + s, eq - s, &tmp);
            if (rc == 0)
                rc = aws_sigv4_uri_encode(tmp.p != NULL ? tmp.p : "", tmp.len, 0, &qp->name);
            dbuf_reset(&tmp);
            if (rc == 0 && eq < i)
                rc = uri_decode(query + eq + 1, i - eq - 1, &tmp);
            if (rc == 0)
                rc = aws_sigv4_uri_encode(tmp.p != NULL ? tmp.p : "", tmp.len, 0, &qp->value);
            /* make both NUL-terminated even when empty */
            if (rc == 0)
                rc = dbuf_reserve(&qp->name, 0);
            if (rc == 0)
                rc = dbuf_reserve(&qp->value, 0);
        }
        i++;
    }
    if (rc == 0 && n > 1)
        qsort(pairs, n, sizeof(*pairs), pair_cmp);
    for (size_t k = 0; k < n && rc == 0; k++)
        rc = dbuf_printf(out, "%s%s=%s", k > 0 ? "&" : "", pairs[k].name.p, pairs[k].value.p);
    for (size_t k = 0; k < n; k++) {
        dbuf_free(&pairs[k].name);
        dbuf_free(&pairs[k].value);
    }
    free(pairs);
    dbuf_free(&tmp);
    return rc;
}

/* Whitespace that header canonicalisation trims and collapses. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim and collapse every run of whitespace (line folds included) to one space. */
static int canonical_value(const char *v, struct dbuf *out)
{
    int rc = 0, pending = 0;

    while (*v != '\0' && is_space(*v))
        v++;
    for (; *v != '\0' && rc == 0; v++) {
        if (is_space(*v)) {
            pending = 1;
            continue;
        }
        if (pending)
            rc = dbuf_addc(out, ' ');
        pending = 0;
        if (rc == 0)
            rc = dbuf_addc(out, *v);
    }
    if (rc == 0)
        rc = dbuf_reserve(out, 0); /* NUL-terminated even when empty */
    return rc;
}

/* Order headers by name, keeping the sending order of duplicates. */
static int header_cmp(const void *a, const void *b)
{
    const struct canon_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c != 0)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Free n canonical headers and the array. */
static void headers_free(struct canon_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        dbuf_free(&h[i].value);
    }
    free(h);
}

/* Lower-cased, trimmed names and normalised values, sorted by name (stable). */
static int canonical_headers(const struct aws_sigv4_request *rq, struct canon_header **out,
                             size_t *nout)
{
    struct canon_header *h;
    int rc = 0, have_host = 0;

    *out = NULL;
    *nout = 0;
    if (rq->nheaders > AWS_SIGV4_MAX_HEADERS)
        return VALS_ETOO_LARGE;
    if ((h = calloc(rq->nheaders + 1, sizeof(*h))) == NULL)
        return VALS_ENOMEM;
    for (size_t i = 0; i < rq->nheaders && rc == 0; i++) {
        const char *nm = rq->headers[i].name;
        size_t nl;
        while (is_space(*nm))
            nm++;
        nl = strlen(nm);
        while (nl > 0 && is_space(nm[nl - 1]))
            nl--;
        if ((h[i].name = malloc(nl + 1)) == NULL) {
            rc = VALS_ENOMEM;
            break;
        }
        for (size_t k = 0; k < nl; k++) {
            char c = nm[k];
            h[i].name[k] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        h[i].name[nl] = '\0';
        h[i].order = i;
        dbuf_init(&h[i].value, 0);
        rc = canonical_value(rq->headers[i].value != NULL ? rq->headers[i].value : "", &h[i].value);
        if (!strcmp(h[i].name, "host"))
            have_host = 1;
    }
    if (rc == 0 && !have_host)
        rc = VALS_EBAD_REQUEST;
    if (rc != 0) {
        headers_free(h, rq->nheaders);
        return rc;
    }
    qsort(h, rq->nheaders, sizeof(*h), header_cmp);
    *out = h;
    *nout = rq->nheaders;
    return 0;
}

/* Append "a;b;c" (distinct names of sorted headers). */
static int join_names(const struct canon_header *h, size_t n, struct dbuf *out)
{
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0 && !strcmp(h[i].name, h[i - 1].name))
            continue;
        rc = dbuf_printf(out, "%s%s", i > 0 ? ";" : "", h[i].name);
    }
    return rc;
}

int aws_sigv4_signed_headers(const struct aws_sigv4_request *rq, struct dbuf *out)
{
    struct canon_header *h = NULL;
    size_t n = 0;
    int rc = canonical_headers(rq, &h, &n);

    if (rc == 0)
        rc = join_names(h, n, out);
    headers_free(h, n);
    return rc;
}

int aws_sigv4_canonical_request(const struct aws_sigv4_request *rq, struct dbuf *out)
{
    struct canon_header *h = NULL;
    size_t n = 0;
    int rc;

    if ((rc = canonical_headers(rq, &h, &n)) != 0)
        return rc;
    rc = dbuf_printf(out, "%s\n", rq->method);
    if (rc == 0)
        rc = canonical_uri(rq->path, rq->normalize_path, out);
    if (rc == 0)
        rc = dbuf_addc(out, '\n');
    if (rc == 0)
        rc = canonical_query(rq->query, out);
    if (rc == 0)
        rc = dbuf_addc(out, '\n');
    for (size_t i = 0; i < n && rc == 0; i++) {
        int repeat = i > 0 && !strcmp(h[i].name, h[i - 1].name);
        int last = i + 1 == n || strcmp(h[i].name, h[i + 1].name) != 0;
        /* a repeated header joins the values, in the order sent, with ',' */
        if (repeat)
            rc = dbuf_printf(out, ",%s", h[i].value.p);
        else
            rc = dbuf_printf(out, "%s:%s", h[i].name, h[i].value.p);
        if (rc == 0 && last)
            rc = dbuf_addc(out, '\n');
    }
    if (rc == 0)
        rc = dbuf_addc(out, '\n');
    if (rc == 0)
        rc = join_names(h, n, out);
    if (rc == 0)
        rc = dbuf_printf(out, "\n%s", rq->payload_hash != NULL ? rq->payload_hash : "");
    headers_free(h, n);
    return rc;
}

int aws_sigv4_string_to_sign(const struct aws_sigv4_scope *sc, const char *creq, size_t len,
                             struct dbuf *out)
{
    char hash[65];
    int rc = aws_sigv4_hash(creq, len, hash);

    if (rc == 0)
        rc = dbuf_printf(out, "%s\n%s\n%.8s/%s/%s/aws4_request\n%s", AWS_SIGV4_ALGORITHM,
                         sc->amz_date, sc->amz_date, sc->region, sc->service, hash);
    return rc;
}

int aws_sigv4_signature(const char *secret_access_key, const struct aws_sigv4_scope *sc,
                        const char *sts, size_t len, char hex[65])
{
    unsigned char k[32], sig[32];
    struct dbuf seed = DBUF_INIT;
    int rc;

    rc = dbuf_printf(&seed, "AWS4%s", secret_access_key);
    if (rc == 0)
        rc = hmac256(seed.p, seed.len, sc->amz_date, 8, k); /* kDate */
    if (rc == 0)
        rc = hmac256(k, 32, sc->region, strlen(sc->region), k); /* kRegion */
    if (rc == 0)
        rc = hmac256(k, 32, sc->service, strlen(sc->service), k); /* kService */
    if (rc == 0)
        rc = hmac256(k, 32, "aws4_request", 12, k); /* kSigning */
    if (rc == 0)
        rc = hmac256(k, 32, sts, len, sig);
    if (rc == 0)
        to_hex(sig, 32, hex);
    secure_zero(k, sizeof(k));
    secure_zero(sig, sizeof(sig));
    dbuf_free(&seed);
    return rc;
}

int aws_sigv4_authorization(const char *access_key_id, const struct aws_sigv4_scope *sc,
                            const char *signed_headers, const char *signature, struct dbuf *out)
{
    return dbuf_printf(out,
                       "%s Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                       AWS_SIGV4_ALGORITHM, access_key_id, sc->amz_date, sc->region, sc->service,
                       signed_headers, signature);
}

int aws_sigv4_presign_params(const char *access_key_id, const char *session_token,
                             const struct aws_sigv4_scope *sc, unsigned expires_s,
                             const char *signed_headers, struct dbuf *out)
{
    struct dbuf cred = DBUF_INIT;
    int rc;

    rc = dbuf_printf(&cred, "%s/%.8s/%s/%s/aws4_request", access_key_id, sc->amz_date, sc->region,
                     sc->service);
    if (rc == 0)
        rc = dbuf_printf(out, "X-Amz-Algorithm=%s&X-Amz-Credential=", AWS_SIGV4_ALGORITHM);
    if (rc == 0)
        rc = aws_sigv4_uri_encode(cred.p, cred.len, 0, out);
    if (rc == 0)
        rc = dbuf_printf(out, "&X-Amz-Date=%s&X-Amz-Expires=%u", sc->amz_date, expires_s);
    if (rc == 0 && session_token != NULL) {
        rc = dbuf_adds(out, "&X-Amz-Security-Token=");
        if (rc == 0)
            rc = aws_sigv4_uri_encode(session_token, strlen(session_token), 0, out);
    }
    if (rc == 0)
        rc = dbuf_adds(out, "&X-Amz-SignedHeaders=");
    if (rc == 0)
        rc = aws_sigv4_uri_encode(signed_headers, strlen(signed_headers), 0, out);
    dbuf_free(&cred);
    return rc;
}

int aws_sigv4_sign(const struct aws_sigv4_request *rq, const struct aws_sigv4_scope *sc,
                   const char *access_key_id, const char *secret_access_key,
                   struct dbuf *authorization)
{
    struct dbuf creq = DBUF_INIT, sts = DBUF_INIT, names = DBUF_INIT;
    char sig[65];
    int rc;

    rc = aws_sigv4_canonical_request(rq, &creq);
    if (rc == 0)
        rc = aws_sigv4_string_to_sign(sc, creq.p, creq.len, &sts);
    if (rc == 0)
        rc = aws_sigv4_signature(secret_access_key, sc, sts.p, sts.len, sig);
    if (rc == 0)
        rc = aws_sigv4_signed_headers(rq, &names);
    if (rc == 0)
        rc = aws_sigv4_authorization(access_key_id, sc, names.p, sig, authorization);
    dbuf_free(&creq);
    dbuf_free(&sts);
    dbuf_free(&names);
    return rc;
}
