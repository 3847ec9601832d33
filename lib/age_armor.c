/*
 * age_armor.c - age's ASCII armor: strict PEM (RFC 7468 §3) with the label
 * "AGE ENCRYPTED FILE" and canonical padded base64 in 64-column lines.
 *
 * The decoder follows age's reader: LF line ends with at most one CR stripped; only
 * whitespace lines (up to 1024 bytes) before BEGIN; BEGIN and END byte for byte; no
 * headers or empty lines; every data line 1..64 characters of canonical padded base64;
 * a line decoding to fewer than 48 bytes must be followed by END; after END less than
 * 1024 bytes of whitespace.  Every violation is VALS_EPARSE naming the line.
 */
#include <string.h>

#include "age_int.h"
#include "b64.h"

#define ARMOR_BEGIN      "-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END        "-----END AGE ENCRYPTED FILE-----"
#define ARMOR_LINE_BYTES 48
#define ARMOR_LINE_CHARS 64
#define ARMOR_MAX_WS     1024

/* Reader state over the armored text. */
struct armor_rd {
    const char *p;
    size_t len;
    size_t pos;
    size_t line; /* number of the last line returned */
};

/* Whitespace as age's reader sees it (SP HT CR LF VT FF). */
static int armor_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Whether all `n` bytes are whitespace. */
static int armor_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!armor_space(s[i]))
            return 0;
    return 1;
}

/* Next line without its LF and one CR; 0 when the text is exhausted. */
static int armor_line(struct armor_rd *rd, const char **s, size_t *n)
{
    const char *lf;

    if (rd->pos >= rd->len)
        return 0;
    *s = rd->p + rd->pos;
    lf = memchr(*s, '\n', rd->len - rd->pos);
    *n = lf != NULL ? (size_t)(lf - *s) : rd->len - rd->pos;
    rd->pos += *n + (lf != NULL ? 1 : 0);
    if (*n > 0 && (*s)[*n - 1] == '\r')
        (*n)--;
    rd->line++;
    return 1;
}

/* Whether a line is exactly `want`. */
static int armor_is(const char *s, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* After END: only whitespace, less than 1024 bytes of it. */
static int armor_trailer(struct armor_rd *rd, struct verr *e)
{
    size_t rest = rd->len - rd->pos;

    if (!armor_blank(rd->p + rd->pos, rest < ARMOR_MAX_WS ? rest : ARMOR_MAX_WS))
        return verr_set(e, VALS_EPARSE, "age armor line %zu: data after the END line",
                        rd->line + 1);
    if (rest >= ARMOR_MAX_WS)
        return verr_set(e, VALS_EPARSE,
                        "age armor: %zu bytes of whitespace after the END line "
                        "(at most 1023)",
                        rest);
    return 0;
}

int age_armor_decode(const void *in, size_t inlen, struct dbuf *out, struct verr *e)
{
    struct armor_rd rd = {in, inlen, 0, 0};
    size_t start = out->len, ws = 0, n, got;
    uint8_t bytes[ARMOR_LINE_BYTES];
    const char *s;
    int r;

    if ((r = dbuf_reserve(out, inlen / 4 * 3)) != 0)
        return verr_set(e, r, "age armor: decoded file too large");
    for (;;) {
        if (!armor_line(&rd, &s, &n)) {
            r = verr_set(e, VALS_EPARSE, "not an age file: neither \"%s\" nor \"%s\" found",
                         AGE_INTRO, ARMOR_BEGIN);
            goto out;
        }
        if (!armor_blank(s, n))
            break;
        ws += n + 1;
        if (ws > ARMOR_MAX_WS) {
            r = verr_set(e, VALS_EPARSE,
                         "age armor: more than %d bytes of whitespace before "
                         "the BEGIN line",
                         ARMOR_MAX_WS);
            goto out;
        }
    }
    if (!armor_is(s, n, ARMOR_BEGIN)) {
        r = verr_set(e, VALS_EPARSE, "age armor line %zu: not \"%s\" (not an age file)", rd.line,
                     ARMOR_BEGIN);
        goto out;
    }
    for (;;) {
        if (!armor_line(&rd, &s, &n)) {
            r = verr_set(e, VALS_EPARSE, "age armor line %zu: missing END line", rd.line + 1);
            goto out;
        }
        if (armor_is(s, n, ARMOR_END))
            break;
        if (n == 0 || n > ARMOR_LINE_CHARS) {
            r = verr_set(e, VALS_EPARSE, "age armor line %zu: %s", rd.line,
                         n == 0 ? "empty line" : "longer than 64 characters");
            goto out;
        }
        if (b64_decode(s, n, B64_PAD, bytes, sizeof(bytes), &got) != 0) {
            r = verr_set(e, VALS_EPARSE,
                         "age armor line %zu: not canonical padded base64 (or a header line)",
                         rd.line);
            goto out;
        }
        if ((r = dbuf_add(out, bytes, got)) != 0) {
            verr_set(e, r, "age armor: decoded file too large");
            goto out;
        }
        if (got < ARMOR_LINE_BYTES) {
            /* A short line is the last one: END must follow directly. */
            if (!armor_line(&rd, &s, &n) || !armor_is(s, n, ARMOR_END)) {
                r = verr_set(e, VALS_EPARSE,
                             "age armor line %zu: expected the END line after "
                             "a short line",
                             rd.line);
                goto out;
            }
            break;
        }
    }
    r = armor_trailer(&rd, e);
out:
    secure_zero(bytes, sizeof(bytes));
    if (r != 0 && out->p != NULL) {
        secure_zero(out->p + start, out->len - start);
        out->len = start;
        out->p[start] = '\0';
    }
    return r;
}

int age_armor_encode(const void *in, size_t inlen, struct dbuf *out)
{
    struct age_sink bin, armor = {0};
    size_t start = out->len;
    int r;

    if ((r = dbuf_reserve(out, inlen / ARMOR_LINE_BYTES * 65 + 200)) != 0)
        return r;
    age_sink_dbuf(&bin, out);
    if ((r = age_sink_armor(&armor, &bin, NULL)) == 0 &&
        (r = age_sink_write(&armor, in, inlen, NULL)) == 0)
        r = age_sink_finish(&armor, NULL);
    age_sink_free(&armor);
    if (r != 0 && out->p != NULL) {
        out->len = start;
        out->p[start] = '\0';
    }
    return r;
}
