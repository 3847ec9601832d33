/*
 * age_header.c - the age v1 header: strict parser (grammar of proto/FORMAT-age.md §3),
 * stanza writer with wrapped base64 bodies, and the header MAC.
 */
#include <stdlib.h>
#include <string.h>

#include "age_int.h"
#include "b64.h"

#define AGE_BODY_LINE_BYTES 48 /* bytes per full body line (64 base64 characters) */
#define AGE_BODY_LINE_CHARS 64

/* Parser state: the bytes, what is known about the end, and where we are. */
struct hdr_parse {
    const uint8_t *p;
    size_t len;  /* bytes we may look at (at most AGE_HEADER_MAX) */
    int more;    /* bytes exist beyond len: VALS_EAGAIN or VALS_ETOO_LARGE */
    int too_big; /* len was cut at AGE_HEADER_MAX */
    size_t pos;  /* start of the current line */
    size_t line; /* 1-based number of the current line */
};

/* Report that the header ran out of bytes at the current line (never returns 0). */
static int hdr_short(struct hdr_parse *hp, const char *what, struct verr *e)
{
    if (hp->too_big) {
        verr_set(e, VALS_ETOO_LARGE, "age header: larger than %u bytes", (unsigned)AGE_HEADER_MAX);
        return VALS_ETOO_LARGE;
    }
    if (hp->more)
        return VALS_EAGAIN;
    verr_set(e, VALS_EPARSE, "age header line %zu: unexpected end of file (%s)", hp->line, what);
    return VALS_EPARSE;
}

/* Find the current line; *n is its length without the LF. */
static int hdr_line(struct hdr_parse *hp, const uint8_t **line, size_t *n, const char *what,
                    struct verr *e)
{
    const uint8_t *lf = memchr(hp->p + hp->pos, '\n', hp->len - hp->pos);

    if (lf == NULL)
        return hdr_short(hp, what, e);
    *line = hp->p + hp->pos;
    *n = (size_t)(lf - *line);
    return 0;
}

/* Move past the current line of `n` characters and its LF. */
static void hdr_next(struct hdr_parse *hp, size_t n)
{
    hp->pos += n + 1;
    hp->line++;
}

/* Split a "->" line into its arguments (after "-> "), checking each is 1+ VCHARs. */
static int hdr_stanza_args(struct hdr_parse *hp, const uint8_t *line, size_t n,
                           struct age_stanza *st, struct verr *e)
{
    size_t i, start, count = 0;

    if (n < 3 || memcmp(line, "-> ", 3) != 0)
        return verr_set(e, VALS_EPARSE,
                        "age header line %zu: expected a stanza (\"-> \") or "
                        "the MAC line (\"--- \")",
                        hp->line);
    for (i = 3; i <= n; i++)
        if (i == n || line[i] == ' ')
            count++;
    if (count > AGE_ARGS_MAX)
        return verr_set(e, VALS_ETOO_LARGE, "age header line %zu: more than %d stanza arguments",
                        hp->line, AGE_ARGS_MAX);
    st->args = calloc(count, sizeof(*st->args));
    st->arglen = calloc(count, sizeof(*st->arglen));
    if (st->args == NULL || st->arglen == NULL)
        return VALS_ENOMEM;
    for (i = start = 3; i <= n; i++) {
        if (i < n && line[i] != ' ') {
            if (line[i] < 0x21 || line[i] > 0x7e)
                return verr_set(e, VALS_EPARSE,
                                "age header line %zu: invalid character in stanza argument %zu",
                                hp->line, st->nargs);
            continue;
        }
        if (i == start)
            return verr_set(e, VALS_EPARSE, "age header line %zu: empty stanza argument %zu",
                            hp->line, st->nargs);
        st->args[st->nargs] = (const char *)line + start;
        st->arglen[st->nargs++] = i - start;
        start = i + 1;
    }
    return 0;
}

/* Read the wrapped base64 body of a stanza: full 64-character lines, then a short one. */
static int hdr_stanza_body(struct hdr_parse *hp, struct age_stanza *st, struct verr *e)
{
    struct dbuf body = DBUF_INIT;
    uint8_t chunk[AGE_BODY_LINE_BYTES];
    const uint8_t *line;
    size_t n, got;
    int r;

    for (;;) {
        if ((r = hdr_line(hp, &line, &n, "stanza body", e)) != 0)
            goto out;
        r = b64_decode((const char *)line, n, 0, chunk, sizeof(chunk), &got);
        if (r != 0) {
            r = verr_set(e, VALS_EPARSE,
                         r == VALS_ETOO_LARGE
                             ? "age header line %zu: stanza body line longer than 64 characters"
                             : "age header line %zu: stanza body line is not canonical "
                               "unpadded base64 (or the body has no final short line)",
                         hp->line);
            goto out;
        }
        if ((r = dbuf_add(&body, chunk, got)) != 0)
            goto out;
        hdr_next(hp, n);
        if (got < AGE_BODY_LINE_BYTES)
            break;
    }
    st->bodylen = body.len;
    st->body = (uint8_t *)dbuf_take(&body, NULL);
    r = st->body == NULL ? VALS_ENOMEM : 0;
out:
    dbuf_free(&body);
    return r;
}

/* Parse the "--- <mac>" line. */
static int hdr_mac_line(struct hdr_parse *hp, struct age_header *h, struct verr *e)
{
    const uint8_t *line;
    size_t n, got;
    int r;

    if ((r = hdr_line(hp, &line, &n, "MAC line", e)) != 0)
        return r;
    /* Exactly "---", one space, and the canonical unpadded base64 of 32 bytes. */
    if (n < 4 || line[3] != ' ' ||
        b64_decode((const char *)line + 4, n - 4, 0, h->mac, sizeof(h->mac), &got) != 0 ||
        got != AGE_MAC_LEN)
        return verr_set(e, VALS_EPARSE,
                        "age header line %zu: malformed MAC line (want \"--- \" and 43 base64 "
                        "characters)",
                        hp->line);
    h->mac_covered = hp->pos + 3;
    hdr_next(hp, n);
    h->len = hp->pos;
    return 0;
}

/* Append a zeroed stanza slot to the header. */
static struct age_stanza *hdr_new_stanza(struct age_header *h)
{
    struct age_stanza *st;

    if (h->n % 8 == 0) {
        st = realloc(h->st, (h->n + 8) * sizeof(*st));
        if (st == NULL)
            return NULL;
        h->st = st;
    }
    st = &h->st[h->n++];
    memset(st, 0, sizeof(*st));
    return st;
}

int age_header_parse(const uint8_t *p, size_t len, int eof, struct age_header *h, struct verr *e)
{
    static const char intro[] = AGE_INTRO "\n";
    struct hdr_parse hp = {p, len, !eof, 0, 0, 1};
    const uint8_t *line;
    size_t n;
    int r;

    memset(h, 0, sizeof(*h));
    if (len > AGE_HEADER_MAX) {
        hp.len = AGE_HEADER_MAX;
        hp.too_big = 1;
    }
    if (len == 0 && eof)
        return verr_set(e, VALS_EPARSE, "age header: empty file");
    if ((r = hdr_line(&hp, &line, &n, "version line", e)) != 0)
        goto out;
    if (n + 1 != sizeof(intro) - 1 || memcmp(line, intro, n + 1) != 0) {
        r = verr_set(e, VALS_EPARSE,
                     "age header line 1: not \"%s\" (unsupported version or "
                     "not an age file)",
                     AGE_INTRO);
        goto out;
    }
    hdr_next(&hp, n);
    for (;;) {
        struct age_stanza *st;

        if (hp.len - hp.pos < 3) {
            r = hdr_short(&hp, "stanza or MAC line", e);
            goto out;
        }
        if (memcmp(p + hp.pos, "---", 3) == 0) {
            if ((r = hdr_mac_line(&hp, h, e)) != 0)
                goto out;
            break;
        }
        if (h->n >= AGE_STANZAS_MAX) {
            r = verr_set(e, VALS_ETOO_LARGE, "age header: more than %d stanzas", AGE_STANZAS_MAX);
            goto out;
        }
        if ((r = hdr_line(&hp, &line, &n, "stanza", e)) != 0)
            goto out;
        if ((st = hdr_new_stanza(h)) == NULL) {
            r = VALS_ENOMEM;
            goto out;
        }
        st->line = hp.line;
        if ((r = hdr_stanza_args(&hp, line, n, st, e)) != 0)
            goto out;
        hdr_next(&hp, n);
        if ((r = hdr_stanza_body(&hp, st, e)) != 0)
            goto out;
    }
    if (h->n == 0)
        r = verr_set(e, VALS_EPARSE, "age header: no recipient stanza");
out:
    if (r != 0)
        age_header_free(h);
    return r;
}

void age_header_free(struct age_header *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->st[i].args);
        free(h->st[i].arglen);
        secure_free(h->st[i].body, h->st[i].bodylen);
    }
    free(h->st);
    memset(h, 0, sizeof(*h));
}

int age_header_add_stanza(struct dbuf *out, const char *line, const uint8_t *body, size_t bodylen)
{
    size_t off = 0;
    int r;

    if ((r = dbuf_printf(out, "-> %s\n", line)) != 0)
        return r;
    /* Full 48-byte lines, then always a short (possibly empty) last line. */
    for (;;) {
        size_t take = bodylen - off < AGE_BODY_LINE_BYTES ? bodylen - off : AGE_BODY_LINE_BYTES;

        if ((r = b64_encode_dbuf(body + off, take, 0, out)) != 0 || (r = dbuf_addc(out, '\n')) != 0)
            return r;
        off += take;
        if (take < AGE_BODY_LINE_BYTES)
            return 0;
    }
}

int age_header_mac(const uint8_t file_key[16], const void *covered, size_t len,
                   uint8_t mac[AGE_MAC_LEN])
{
    uint8_t key[32];
    int r;

    if ((r = age_hkdf(file_key, AGE_FILE_KEY_LEN, NULL, 0, "header", key)) == 0)
        r = age_hmac(key, covered, len, mac);
    secure_zero(key, sizeof(key));
    return r;
}

int age_header_finish(struct dbuf *out, size_t start, const uint8_t file_key[16])
{
    uint8_t mac[AGE_MAC_LEN];
    int r;

    if ((r = dbuf_adds(out, "---")) != 0 ||
        (r = age_header_mac(file_key, out->p + start, out->len - start, mac)) != 0 ||
        (r = dbuf_addc(out, ' ')) != 0 || (r = b64_encode_dbuf(mac, sizeof(mac), 0, out)) != 0)
        return r;
    return dbuf_addc(out, '\n');
}
