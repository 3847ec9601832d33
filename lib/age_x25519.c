/*
 * age_x25519.c - the X25519 recipient stanza: "-> X25519 <ephemeral share>" with a 32-byte
 * body (the file key sealed under HKDF(shared secret, share || recipient, label)).
 */
#include <string.h>

#include "age_int.h"
#include "b64.h"

#define X25519_LABEL "age-encryption.org/v1/X25519"

/* The wrap key of a stanza from the shared secret, the share and the recipient. */
static int x25519_wrap_key(const uint8_t ss[32], const uint8_t share[32], const uint8_t rcpt[32],
                           uint8_t key[32])
{
    uint8_t salt[64];

    memcpy(salt, share, 32);
    memcpy(salt + 32, rcpt, 32);
    return age_hkdf(ss, 32, salt, sizeof(salt), X25519_LABEL, key);
}

int age_x25519_wrap(const struct age_recipient *r, const uint8_t file_key[16], struct dbuf *hdr)
{
    uint8_t eph[32], share[32], ss[32], key[32], body[AGE_FILE_KEY_LEN + AGE_TAG_LEN];
    char line[sizeof("X25519 ") + 44];
    int rc;

    if ((rc = age_random(eph, sizeof(eph))) != 0 || (rc = age_x25519_base(eph, share)) != 0 ||
        (rc = age_x25519(eph, r->pub, ss)) != 0 ||
        (rc = x25519_wrap_key(ss, share, r->pub, key)) != 0 ||
        (rc = age_aead_seal(key, file_key, AGE_FILE_KEY_LEN, body)) != 0)
        goto out;
    memcpy(line, "X25519 ", 7);
    b64_encode(share, sizeof(share), 0, line + 7);
    rc = age_header_add_stanza(hdr, line, body, sizeof(body));
out:
    secure_zero(eph, sizeof(eph));
    secure_zero(ss, sizeof(ss));
    secure_zero(key, sizeof(key));
    return rc;
}

/* Try one X25519 stanza: 0 (file key found), VALS_ENOKEY (not ours), VALS_EPARSE (invalid). */
static int x25519_try(const struct age_identity *id, const struct age_stanza *st,
                      uint8_t file_key[16], struct verr *e)
{
    uint8_t share[32], ss[32], key[32];
    size_t got;
    int r;

    if (st->nargs != 2)
        return verr_set(e, VALS_EPARSE,
                        "age header line %zu: X25519 stanza needs exactly 1 argument, has %zu",
                        st->line, st->nargs - 1);
    if (b64_decode(st->args[1], st->arglen[1], 0, share, sizeof(share), &got) != 0 ||
        got != sizeof(share))
        return verr_set(e, VALS_EPARSE,
                        "age header line %zu: X25519 share is not canonical base64 of 32 bytes",
                        st->line);
    if (age_x25519(id->secret, share, ss) != 0)
        return verr_set(e, VALS_EPARSE,
                        "age header line %zu: X25519 share is a low-order point (all-zero shared "
                        "secret)",
                        st->line);
    /* Check the size before any AEAD attempt (no partitioning oracle). */
    if (st->bodylen != AGE_FILE_KEY_LEN + AGE_TAG_LEN) {
        r = verr_set(e, VALS_EPARSE, "age header line %zu: X25519 body is %zu bytes, want 32",
                     st->line, st->bodylen);
        goto out;
    }
    if ((r = x25519_wrap_key(ss, share, id->pub, key)) != 0)
        goto out;
    r = age_aead_open(key, st->body, st->bodylen, file_key);
    if (r == VALS_ETAMPERED)
        r = VALS_ENOKEY;
out:
    secure_zero(ss, sizeof(ss));
    secure_zero(key, sizeof(key));
    return r;
}

int age_x25519_unwrap(const struct age_identity *id, const struct age_header *h,
                      uint8_t file_key[16], struct verr *e)
{
    for (size_t i = 0; i < h->n; i++) {
        const struct age_stanza *st = &h->st[i];
        int r;

        if (st->arglen[0] != 6 || memcmp(st->args[0], "X25519", 6) != 0)
            continue; /* other types (and "x25519") are not ours */
        r = x25519_try(id, st, file_key, e);
        if (r != VALS_ENOKEY)
            return r;
    }
    return VALS_ENOKEY;
}
