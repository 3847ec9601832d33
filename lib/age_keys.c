/*
 * age_keys.c - age X25519 keys as text: recipients "age1..." and identities
 * "AGE-SECRET-KEY-1..." (Bech32), key generation, and identity files in age-keygen's format.
 * Error messages name the line and the kind of problem, never the key text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "age_int.h"
#include "bech32.h"

#define AGE_RECIPIENT_HRP     "age"
#define AGE_IDENTITY_HRP      "AGE-SECRET-KEY-"
#define AGE_IDENTITY_FILE_MAX ((size_t)16 << 20)

/* Whether `s` (length `len`) starts with the NUL-terminated `prefix`. */
static int keys_prefix(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && memcmp(s, prefix, n) == 0;
}

/* Decode a Bech32 key of 32 bytes under exactly `want_hrp`. */
static int keys_decode(const char *s, size_t len, const char *want_hrp, uint8_t key[32])
{
    char hrp[32];
    uint8_t data[33];
    size_t n = 0;
    int r;

    r = bech32_decode(s, len, hrp, sizeof(hrp), data, sizeof(data), &n);
    if (r == 0 && (strcmp(hrp, want_hrp) != 0 || n != 32))
        r = VALS_EPARSE;
    if (r == 0)
        memcpy(key, data, 32);
    secure_zero(data, sizeof(data));
    return r == 0 ? 0 : VALS_EPARSE;
}

int age_recipient_parse(const char *s, size_t len, struct age_recipient *r, struct verr *e)
{
    if (keys_prefix(s, len, "age1pq1"))
        return verr_set(e, VALS_EPARSE,
                        "post-quantum age recipients (age1pq1...) are not "
                        "supported");
    if (keys_prefix(s, len, "ssh-"))
        return verr_set(e, VALS_EPARSE, "SSH recipients are not supported, only age1...");
    if (keys_decode(s, len, AGE_RECIPIENT_HRP, r->pub) != 0) {
        if (keys_prefix(s, len, "age1") && len > AGE_RECIPIENT_STRLEN)
            return verr_set(e, VALS_EPARSE,
                            "plugin or unknown age recipient type (only X25519 age1... keys of "
                            "%d characters are supported)",
                            AGE_RECIPIENT_STRLEN);
        return verr_set(e, VALS_EPARSE,
                        "malformed age recipient (want \"age1\" and 58 lower-case Bech32 "
                        "characters with a valid checksum)");
    }
    return 0;
}

void age_recipient_format(const struct age_recipient *r, char *out)
{
    bech32_encode(AGE_RECIPIENT_HRP, r->pub, sizeof(r->pub), out, AGE_RECIPIENT_STRLEN + 1);
}

int age_identity_parse(const char *s, size_t len, struct age_identity *id, struct verr *e)
{
    int r;

    if (keys_prefix(s, len, "AGE-SECRET-KEY-PQ-1"))
        return verr_set(e, VALS_EPARSE,
                        "post-quantum age identities (AGE-SECRET-KEY-PQ-1...) "
                        "are not supported");
    if (keys_prefix(s, len, "AGE-PLUGIN-"))
        return verr_set(e, VALS_EPARSE,
                        "age plugin identities (AGE-PLUGIN-...) are not "
                        "supported");
    if (keys_prefix(s, len, "-----BEGIN") || keys_prefix(s, len, "ssh-"))
        return verr_set(e, VALS_EPARSE,
                        "SSH identities are not supported, only "
                        "AGE-SECRET-KEY-1...");
    if (keys_decode(s, len, AGE_IDENTITY_HRP, id->secret) != 0) {
        age_identity_clear(id);
        return verr_set(e, VALS_EPARSE,
                        "malformed age identity (want \"AGE-SECRET-KEY-1\" and 58 upper-case "
                        "Bech32 characters with a valid checksum)");
    }
    if ((r = age_x25519_base(id->secret, id->pub)) != 0) {
        age_identity_clear(id);
        return verr_set(e, r, "cannot derive the public key of an age identity");
    }
    return 0;
}

void age_identity_format(const struct age_identity *id, char *out)
{
    bech32_encode(AGE_IDENTITY_HRP, id->secret, sizeof(id->secret), out, AGE_IDENTITY_STRLEN + 1);
}

int age_identity_generate(struct age_identity *id)
{
    int r;

    if ((r = age_random(id->secret, sizeof(id->secret))) != 0 ||
        (r = age_x25519_base(id->secret, id->pub)) != 0)
        age_identity_clear(id);
    return r;
}

void age_identity_recipient(const struct age_identity *id, struct age_recipient *r)
{
    memcpy(r->pub, id->pub, sizeof(r->pub));
}

void age_identity_clear(struct age_identity *id)
{
    secure_zero(id, sizeof(*id));
}

/* Whether `p` is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static int keys_utf8_valid(const unsigned char *p, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned c = p[i], need, min, cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1, min = 0x80, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2, min = 0x800, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= need)
            return 0;
        for (unsigned k = 1; k <= need; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += need + 1;
    }
    return 1;
}

/* The next line at *pos: start and length without LF and one trailing CR; 0 at the end. */
static int keys_next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    const char *lf;

    if (*pos >= len)
        return 0;
    *line = text + *pos;
    lf = memchr(*line, '\n', len - *pos);
    *n = lf != NULL ? (size_t)(lf - *line) : len - *pos;
    *pos += *n + (lf != NULL ? 1 : 0);
    if (*n > 0 && (*line)[*n - 1] == '\r')
        (*n)--;
    return 1;
}

int age_identities_parse(const char *text, size_t len, const char *name, struct age_identity **ids,
                         size_t *n, struct verr *e)
{
    struct age_identity *out = NULL;
    size_t pos = 0, count = 0, lineno = 0, ln;
    const char *line;
    int r = 0;

    *ids = NULL;
    *n = 0;
    if (name == NULL)
        name = "identity file";
    if (len > AGE_IDENTITY_FILE_MAX)
        return verr_set(e, VALS_ETOO_LARGE, "%s: larger than 16 MiB", name);
    if (keys_prefix(text, len, "age-encryption") || keys_prefix(text, len, "-----BEGIN AGE"))
        return verr_set(e, VALS_EPARSE,
                        "%s: passphrase-protected (age-encrypted) identity files are not "
                        "supported",
                        name);
    if (!keys_utf8_valid((const unsigned char *)text, len))
        return verr_set(e, VALS_EPARSE, "%s: not valid UTF-8", name);
    /* Count first: the array holds secrets and must never be reallocated. */
    while (keys_next_line(text, len, &pos, &line, &ln))
        if (ln > 0 && line[0] != '#')
            count++;
    if (count == 0)
        return verr_set(e, VALS_EPARSE, "%s: no identity found", name);
    if ((out = calloc(count, sizeof(*out))) == NULL)
        return verr_set(e, VALS_ENOMEM, "%s: out of memory", name);
    pos = 0;
    count = 0;
    while (keys_next_line(text, len, &pos, &line, &ln)) {
        lineno++;
        if (ln == 0 || line[0] == '#')
            continue;
        if ((r = age_identity_parse(line, ln, &out[count], e)) != 0) {
            verr_prefix(e, "%s:%zu", name, lineno);
            goto out;
        }
        count++;
    }
    *ids = out;
    *n = count;
    out = NULL;
out:
    if (out != NULL)
        age_identities_free(out, count);
    return r;
}

void age_identities_free(struct age_identity *ids, size_t n)
{
    secure_free(ids, n * sizeof(*ids));
}

int age_identity_file_format(const struct age_identity *id, struct dbuf *out)
{
    struct age_recipient rcpt;
    char created[40], zone[8], pub[AGE_RECIPIENT_STRLEN + 1], sec[AGE_IDENTITY_STRLEN + 1];
    time_t now = time(NULL);
    struct tm tm;
    long off;
    int r;

    /* RFC 3339 in local time, as Go's time.RFC3339 prints it ("Z" for a zero offset). */
    if (localtime_r(&now, &tm) == NULL ||
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return VALS_EINTERNAL;
    off = tm.tm_gmtoff / 60;
    if (off == 0)
        snprintf(zone, sizeof(zone), "Z");
    else
        snprintf(zone, sizeof(zone), "%c%02ld:%02ld", off < 0 ? '-' : '+',
                 (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
    age_identity_recipient(id, &rcpt);
    age_recipient_format(&rcpt, pub);
    age_identity_format(id, sec);
    r = dbuf_printf(out, "# created: %s%s\n# public key: %s\n%s\n", created, zone, pub, sec);
    secure_zero(sec, sizeof(sec));
    return r;
}
