/*
 * sprig_case.c - snakecase, kebabcase and camelcase (github.com/huandu/xstrings).
 *
 * snake/kebab split the input into words (connectors, punctuation, upper-case runs,
 * lower-case words, numbers, other) and join them lower-cased with '_' or '-', keeping a
 * number glued to the word before it ("Bld4Floor3rd" -> "bld4_floor_3rd", "HTTP2xx" ->
 * "http_2xx").  camelcase upper-cases the first letter and every letter after a single
 * connector ('_', '-', white space), which it drops; repeated connectors keep all but the
 * last ("_complex__case_" -> "_Complex_Case_").  This is xstrings v1.3.x (Sprig 3.2.3's),
 * including its quirk that an input of only connectors gets its last one doubled.
 */
#include <string.h>

#include "sprig_fns.h"

enum word_type { W_INVALID, W_NUMBER, W_UPPER, W_ALPHA, W_CONNECTOR, W_PUNCT, W_OTHER };

/* xstrings' connectors. */
static int is_connector(int32_t r)
{
    return r == '-' || r == '_' || sprig_is_space(r);
}

/* A letter that is not a CJK ideograph (xstrings' isAlphabet). */
static int is_alphabet(int32_t r)
{
    if (!sprig_is_letter(r))
        return 0;
    if (r < 0x3400)
        return 1;
    if ((r >= 0x4E00 && r <= 0x9FCC) || r <= 0x4D85 || (r >= 0x20000 && r <= 0x2B81D))
        return 0;
    return 1;
}

/* The next valid rune, skipping invalid bytes (their size counts); `prev` at the end. */
static int32_t next_valid(const char *s, size_t len, int32_t prev, size_t *size)
{
    size_t i = 0;

    while (i < len) {
        size_t w;
        int32_t r = sprig_utf8_decode(s + i, len - i, &w);
        i += w;
        if (r != SPRIG_RUNE_ERROR || w != 1) {
            *size = i;
            return r;
        }
    }
    *size = i;
    return prev;
}

struct word {
    enum word_type wt;
    const char *p;
    size_t len;
};

/* Split the next word off s (xstrings' nextWord); returns the rest. */
static struct sstr next_word(struct sstr str, struct word *w)
{
    size_t offset, size;
    const char *rem = str.p;
    size_t rlen = str.len;
    int32_t r;

    w->wt = W_INVALID;
    w->p = str.p;
    w->len = 0;
    if (str.len == 0)
        return str;
    r = next_valid(rem, rlen, SPRIG_RUNE_ERROR, &size);
    offset = size;
    if (r == SPRIG_RUNE_ERROR) {
        w->len = offset;
        return (struct sstr){str.p + offset, str.len - offset};
    }
    rem += size;
    rlen -= size;
#define ADVANCE()                                                                                  \
    do {                                                                                           \
        offset += size;                                                                            \
        rem += size;                                                                               \
        rlen -= size;                                                                              \
    } while (0)
    if (is_connector(r)) {
        w->wt = W_CONNECTOR;
        while (rlen > 0) {
            r = next_valid(rem, rlen, r, &size);
            if (!is_connector(r))
                break;
            ADVANCE();
        }
    } else if (sprig_is_punct(r)) {
        w->wt = W_PUNCT;
        while (rlen > 0) {
            r = next_valid(rem, rlen, r, &size);
            if (!sprig_is_punct(r))
                break;
            ADVANCE();
        }
    } else if (sprig_is_upper(r)) {
        w->wt = W_UPPER;
        if (rlen > 0) {
            r = next_valid(rem, rlen, r, &size);
            if (sprig_is_upper(r)) {
                size_t prev_size = size;
                ADVANCE();
                while (rlen > 0) {
                    r = next_valid(rem, rlen, r, &size);
                    if (!sprig_is_upper(r))
                        break;
                    prev_size = size;
                    ADVANCE();
                }
                /* "HTTPStatus": the last upper-case letter starts the next word */
                if (rlen > 0 && is_alphabet(r))
                    offset -= prev_size;
            } else if (is_alphabet(r)) {
                ADVANCE();
                while (rlen > 0) {
                    r = next_valid(rem, rlen, r, &size);
                    if (!is_alphabet(r) || sprig_is_upper(r))
                        break;
                    ADVANCE();
                }
            }
        }
    } else if (is_alphabet(r)) {
        w->wt = W_ALPHA;
        while (rlen > 0) {
            r = next_valid(rem, rlen, r, &size);
            if (!is_alphabet(r) || sprig_is_upper(r))
                break;
            ADVANCE();
        }
    } else if (sprig_is_number(r)) {
        w->wt = W_NUMBER;
        while (rlen > 0) {
            r = next_valid(rem, rlen, r, &size);
            if (!sprig_is_number(r))
                break;
            ADVANCE();
        }
    } else {
        w->wt = W_OTHER;
        while (rlen > 0) {
            r = next_valid(rem, rlen, r, &size);
            if (size == 0 || is_connector(r) || is_alphabet(r) || sprig_is_number(r) ||
                sprig_is_punct(r))
                break;
            ADVANCE();
        }
    }
#undef ADVANCE
    w->len = offset;
    return (struct sstr){str.p + offset, str.len - offset};
}

/* Append a word; upper-case and connector words are lower-cased / turned into `conn`. */
static int put_lower(struct dbuf *b, const struct word *w, char conn)
{
    int r = 0;

    if (w->wt != W_UPPER && w->wt != W_CONNECTOR)
        return dbuf_add(b, w->p, w->len);
    for (size_t i = 0; r == 0 && i < w->len;) {
        size_t n;
        int32_t c = sprig_utf8_decode(w->p + i, w->len - i, &n);
        if (is_connector(c))
            r = dbuf_addc(b, conn);
        else if (sprig_is_upper(c))
            r = sprig_utf8_put(b, sprig_to_lower(c));
        else
            r = sprig_utf8_put(b, c);
        i += n;
    }
    return r;
}

/* xstrings' camelCaseToLowerCase. */
static int to_lower_case(struct sstr str, char conn, struct dbuf *b)
{
    struct word w, last;
    struct sstr rem;
    int r = 0;

    if (str.len == 0)
        return 0;
    rem = next_word(str, &w);
    while (r == 0 && rem.len > 0) {
        enum word_type prev;
        if (w.wt != W_CONNECTOR)
            r = put_lower(b, &w, conn);
        prev = w.wt;
        last = w;
        rem = next_word(rem, &w);
        if (r != 0)
            break;
        switch (prev) {
        case W_NUMBER:
            while (r == 0 && (w.wt == W_ALPHA || w.wt == W_NUMBER)) {
                r = put_lower(b, &w, conn);
                rem = next_word(rem, &w);
            }
            if (r == 0 && w.wt != W_INVALID && w.wt != W_PUNCT && w.wt != W_CONNECTOR)
                r = dbuf_addc(b, conn);
            break;
        case W_CONNECTOR:
            r = put_lower(b, &last, conn);
            break;
        case W_PUNCT:
            break;
        default:
            if (w.wt != W_NUMBER) {
                if (w.wt != W_CONNECTOR && w.wt != W_PUNCT)
                    r = dbuf_addc(b, conn);
                break;
            }
            if (rem.len == 0)
                break;
            last = w;
            rem = next_word(rem, &w);
            /* a number followed by a non-letter belongs to the previous word */
            if (w.wt != W_ALPHA) {
                last.wt = W_NUMBER;
                r = put_lower(b, &last, conn);
                if (r == 0 && w.wt != W_CONNECTOR && w.wt != W_PUNCT)
                    r = dbuf_addc(b, conn);
                break;
            }
            /* lower-case letters after a number: the number starts a new word */
            r = dbuf_addc(b, conn);
            last.wt = W_NUMBER;
            if (r == 0)
                r = put_lower(b, &last, conn);
            while (r == 0 && (w.wt == W_ALPHA || w.wt == W_NUMBER)) {
                r = put_lower(b, &w, conn);
                rem = next_word(rem, &w);
            }
            if (r == 0 && w.wt != W_INVALID && w.wt != W_CONNECTOR && w.wt != W_PUNCT)
                r = dbuf_addc(b, conn);
        }
    }
    if (r == 0)
        r = put_lower(b, &w, conn);
    return r;
}

static int lower_case_fn(struct tmpl_call *call, struct doc *const *argv, struct doc **out,
                         char conn)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    if (to_lower_case(s, conn, &b) != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_snakecase)
{
    return lower_case_fn(call, argv, out, '_');
}

SPRIG_FN(sprig_kebabcase)
{
    return lower_case_fn(call, argv, out, '-');
}

SPRIG_FN(sprig_camelcase)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    size_t i = 0, w = 0;
    int32_t r0 = 0;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    /* leading connectors are kept; the first other rune is upper-cased */
    while (r == 0 && i < s.len) {
        r0 = sprig_utf8_decode(s.p + i, s.len - i, &w);
        i += w;
        if (!is_connector(r0)) {
            r0 = sprig_to_upper(r0);
            break;
        }
        r = sprig_utf8_put(&b, r0);
    }
    if (r == 0 && i >= s.len) {
        /* xstrings' "only 1 rune" case: the last rune is written (again) */
        if (s.len > 0)
            r = sprig_utf8_put(&b, r0);
    } else {
        while (r == 0 && i < s.len) {
            int32_t r1 = r0;
            r0 = sprig_utf8_decode(s.p + i, s.len - i, &w);
            i += w;
            if (is_connector(r0) && is_connector(r1)) {
                r = sprig_utf8_put(&b, r1);
                continue;
            }
            if (is_connector(r1))
                r0 = sprig_to_upper(r0);
            else
                r = sprig_utf8_put(&b, r1);
        }
        if (r == 0)
            r = sprig_utf8_put(&b, r0);
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}
