/*
 * doc_json.c - JSON text <-> documents.
 *
 * The reader is strict RFC 8259 with a depth limit: integers that fit stay integers, the
 * rest are floats; a repeated key keeps its last value (as Go's encoding/json does).  The
 * writer follows encoding/json: compact or indented, HTML-safe escapes unless told
 * otherwise, invalid UTF-8 replaced by U+FFFD, floats formatted the way Go does.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"

struct jparse {
    const char *s;
    size_t len, pos;
    const char *name;
    struct verr *e;
};

static int jerr(struct jparse *j, const char *what)
{
    size_t line = 1, col = 1;

    for (size_t i = 0; i < j->pos && i < j->len; i++) {
        if (j->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return verr_set(j->e, VALS_EPARSE, "%s:%zu:%zu: %s", j->name, line, col, what);
}

static void skip_ws(struct jparse *j)
{
    while (j->pos < j->len && (j->s[j->pos] == ' ' || j->s[j->pos] == '\t' ||
                               j->s[j->pos] == '\n' || j->s[j->pos] == '\r'))
        j->pos++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static int put_utf8(struct dbuf *b, unsigned cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return dbuf_add(b, u, n);
}

/* Parse a string starting at the opening quote into a new DOC_STR node. */
static int parse_string(struct jparse *j, struct doc **out)
{
    struct dbuf b = DBUF_INIT;
    int r = 0;

    j->pos++; /* opening quote */
    for (;;) {
        unsigned char c;
        if (j->pos >= j->len) {
            r = jerr(j, "unterminated string");
            goto out;
        }
        c = (unsigned char)j->s[j->pos];
        if (c == '"') {
            j->pos++;
            break;
        }
        if (c < 0x20) {
            r = jerr(j, "control character in string");
            goto out;
        }
        if (c != '\\') {
            size_t start = j->pos;
            while (j->pos < j->len && j->s[j->pos] != '"' && j->s[j->pos] != '\\' &&
                   (unsigned char)j->s[j->pos] >= 0x20)
                j->pos++;
            if ((r = dbuf_add(&b, j->s + start, j->pos - start)) != 0)
                goto out;
            continue;
        }
        if (j->pos + 1 >= j->len) {
            r = jerr(j, "unterminated escape");
            goto out;
        }
        c = (unsigned char)j->s[j->pos + 1];
        j->pos += 2;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            r = dbuf_addc(&b, (char)c);
            break;
        case 'b':
            r = dbuf_addc(&b, '\b');
            break;
        case 'f':
            r = dbuf_addc(&b, '\f');
            break;
        case 'n':
            r = dbuf_addc(&b, '\n');
            break;
        case 'r':
            r = dbuf_addc(&b, '\r');
            break;
        case 't':
            r = dbuf_addc(&b, '\t');
            break;
        case 'u': {
            unsigned cp, lo;
            if (j->pos + 4 > j->len || hex4(j->s + j->pos, &cp) != 0) {
                r = jerr(j, "bad \\u escape");
                goto out;
            }
            j->pos += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && j->pos + 6 <= j->len && j->s[j->pos] == '\\' &&
                j->s[j->pos + 1] == 'u' && hex4(j->s + j->pos + 2, &lo) == 0 && lo >= 0xdc00 &&
                lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                j->pos += 6;
            } else if (cp >= 0xd800 && cp < 0xe000) {
                cp = 0xfffd;
            }
            r = put_utf8(&b, cp);
            break;
        }
        default:
            j->pos--;
            r = jerr(j, "invalid escape character");
            goto out;
        }
        if (r != 0)
            goto out;
    }
    if ((*out = doc_str(b.p != NULL ? b.p : "", b.len)) == NULL)
        r = VALS_ENOMEM;
out:
    dbuf_free(&b);
    return r;
}

static int parse_number(struct jparse *j, struct doc **out)
{
    size_t start = j->pos;
    int is_float = 0;
    char buf[128];
    size_t n;

    if (j->s[j->pos] == '-')
        j->pos++;
    if (j->pos >= j->len || !(j->s[j->pos] >= '0' && j->s[j->pos] <= '9'))
        return jerr(j, "invalid number");
    if (j->s[j->pos] == '0') {
        j->pos++;
    } else {
        while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
            j->pos++;
    }
    if (j->pos < j->len && j->s[j->pos] == '.') {
        is_float = 1;
        j->pos++;
        if (j->pos >= j->len || !(j->s[j->pos] >= '0' && j->s[j->pos] <= '9'))
            return jerr(j, "invalid number");
        while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
            j->pos++;
    }
    if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
        is_float = 1;
        j->pos++;
        if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-'))
            j->pos++;
        if (j->pos >= j->len || !(j->s[j->pos] >= '0' && j->s[j->pos] <= '9'))
            return jerr(j, "invalid number");
        while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
            j->pos++;
    }
    n = j->pos - start;
    if (n >= sizeof(buf))
        return jerr(j, "number too long");
    memcpy(buf, j->s + start, n);
    buf[n] = '\0';
    if (!is_float) {
        errno = 0;
        if (buf[0] == '-') {
            long long v = strtoll(buf, NULL, 10);
            if (errno == 0) {
                *out = doc_int(v);
                return *out ? 0 : VALS_ENOMEM;
            }
        } else {
            unsigned long long v = strtoull(buf, NULL, 10);
            if (errno == 0) {
                *out = doc_uint(v);
                return *out ? 0 : VALS_ENOMEM;
            }
        }
    }
    *out = doc_float(strtod(buf, NULL));
    return *out ? 0 : VALS_ENOMEM;
}

static int parse_value(struct jparse *j, int depth, struct doc **out)
{
    struct doc *d = NULL, *k = NULL, *v = NULL;
    struct doc_keyindex keys = {0};
    int r = 0;

    *out = NULL;
    if (depth > DOC_JSON_MAX_DEPTH)
        return verr_set(j->e, VALS_ETOO_LARGE, "%s: nesting deeper than %d", j->name,
                        DOC_JSON_MAX_DEPTH);
    skip_ws(j);
    if (j->pos >= j->len)
        return jerr(j, "unexpected end of input");
    switch (j->s[j->pos]) {
    case '{':
        j->pos++;
        if ((d = doc_map()) == NULL)
            return VALS_ENOMEM;
        skip_ws(j);
        if (j->pos < j->len && j->s[j->pos] == '}') {
            j->pos++;
            break;
        }
        for (;;) {
            skip_ws(j);
            if (j->pos >= j->len || j->s[j->pos] != '"') {
                r = jerr(j, "expected a string key");
                goto fail;
            }
            if ((r = parse_string(j, &k)) != 0)
                goto fail;
            skip_ws(j);
            if (j->pos >= j->len || j->s[j->pos] != ':') {
                r = jerr(j, "expected ':' after key");
                goto fail;
            }
            j->pos++;
            if ((r = parse_value(j, depth + 1, &v)) != 0)
                goto fail;
            {
                long at = doc_keyindex_find(&keys, d, k->v.s.ptr, k->v.s.len);
                if (at >= 0) {
                    /* last one wins, as in encoding/json */
                    doc_free(d->v.map.items[at].val);
                    d->v.map.items[at].val = v;
                    doc_free(k);
                } else if ((r = doc_map_append(d, k, v)) != 0 ||
                           (r = doc_keyindex_add(&keys, d, d->v.map.len - 1)) != 0) {
                    k = v = NULL;
                    goto fail;
                }
            }
            k = v = NULL;
            skip_ws(j);
            if (j->pos < j->len && j->s[j->pos] == ',') {
                j->pos++;
                continue;
            }
            if (j->pos < j->len && j->s[j->pos] == '}') {
                j->pos++;
                break;
            }
            r = jerr(j, "expected ',' or '}'");
            goto fail;
        }
        break;
    case '[':
        j->pos++;
        if ((d = doc_list()) == NULL)
            return VALS_ENOMEM;
        skip_ws(j);
        if (j->pos < j->len && j->s[j->pos] == ']') {
            j->pos++;
            break;
        }
        for (;;) {
            if ((r = parse_value(j, depth + 1, &v)) != 0)
                goto fail;
            r = doc_list_push(d, v);
            v = NULL;
            if (r != 0)
                goto fail;
            skip_ws(j);
            if (j->pos < j->len && j->s[j->pos] == ',') {
                j->pos++;
                continue;
            }
            if (j->pos < j->len && j->s[j->pos] == ']') {
                j->pos++;
                break;
            }
            r = jerr(j, "expected ',' or ']'");
            goto fail;
        }
        break;
    case '"':
        return parse_string(j, out);
    case 't':
        if (j->len - j->pos >= 4 && !memcmp(j->s + j->pos, "true", 4)) {
            j->pos += 4;
            d = doc_bool(1);
            break;
        }
        return jerr(j, "invalid literal");
    case 'f':
        if (j->len - j->pos >= 5 && !memcmp(j->s + j->pos, "false", 5)) {
            j->pos += 5;
            d = doc_bool(0);
            break;
        }
        return jerr(j, "invalid literal");
    case 'n':
        if (j->len - j->pos >= 4 && !memcmp(j->s + j->pos, "null", 4)) {
            j->pos += 4;
            d = doc_null();
            break;
        }
        return jerr(j, "invalid literal");
    default:
        if (j->s[j->pos] == '-' || (j->s[j->pos] >= '0' && j->s[j->pos] <= '9'))
            return parse_number(j, out);
        return jerr(j, "invalid character");
    }
    doc_keyindex_free(&keys);
    if (d == NULL)
        return VALS_ENOMEM;
    *out = d;
    return 0;
fail:
    doc_keyindex_free(&keys);
    doc_free(k);
    doc_free(v);
    doc_free(d);
    return r;
}

int doc_parse_json(const char *buf, size_t len, const char *name, struct doc **out, struct verr *e)
{
    struct jparse j = {buf, len, 0, name != NULL ? name : "<input>", e};
    int r = parse_value(&j, 0, out);

    if (r != 0)
        return r;
    skip_ws(&j);
    if (j.pos != j.len) {
        doc_free(*out);
        *out = NULL;
        return jerr(&j, "unexpected data after the value");
    }
    return 0;
}

/* Length of the valid UTF-8 sequence at s (max n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t need;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) {
        need = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        need = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        need = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (need > n)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
        return 0;
    return need;
}

int doc_json_quote(const char *s, size_t len, struct dbuf *out, int flags)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    int r = dbuf_addc(out, '"');

    for (size_t i = 0; i < len && r == 0;) {
        unsigned char c = p[i];
        if (c < 0x80) {
            switch (c) {
            case '"':
                r = dbuf_adds(out, "\\\"");
                break;
            case '\\':
                r = dbuf_adds(out, "\\\\");
                break;
            case '\n':
                r = dbuf_adds(out, "\\n");
                break;
            case '\r':
                r = dbuf_adds(out, "\\r");
                break;
            case '\t':
                r = dbuf_adds(out, "\\t");
                break;
            default:
                if (c < 0x20 ||
                    (!(flags & DOC_JSON_NOHTML) && (c == '<' || c == '>' || c == '&'))) {
                    char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
                    r = dbuf_add(out, u, 6);
                } else {
                    r = dbuf_addc(out, (char)c);
                }
            }
            i++;
            continue;
        }
        size_t n = utf8_len(p + i, len - i);
        if (n == 0) {
            r = dbuf_adds(out, "\\ufffd");
            i++;
            continue;
        }
        if (n == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
            r = dbuf_adds(out, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
        } else {
            r = dbuf_add(out, p + i, n);
        }
        i += n;
    }
    return r != 0 ? r : dbuf_addc(out, '"');
}

/* A line break and `level` indentation units (nothing when the output is compact). */
static int emit_indent(struct dbuf *out, const char *unit, int level)
{
    int r = 0;

    if (unit == NULL)
        return 0;
    r = dbuf_addc(out, '\n');
    for (int i = 0; i < level && r == 0; i++)
        r = dbuf_adds(out, unit);
    return r;
}

static int emit_json(const struct doc *d, struct dbuf *out, int flags, const char *unit, int level)
{
    char buf[400];
    int r = 0;

    switch (d->type) {
    case DOC_NULL:
        return dbuf_adds(out, "null");
    case DOC_BOOL:
        return dbuf_adds(out, d->v.b ? "true" : "false");
    case DOC_INT:
        return dbuf_printf(out, "%" PRId64, d->v.i);
    case DOC_UINT:
        return dbuf_printf(out, "%" PRIu64, d->v.u);
    case DOC_FLOAT:
        if (isnan(d->v.f) || isinf(d->v.f))
            return VALS_ETYPE; /* JSON cannot carry it (Go: UnsupportedValueError) */
        doc_format_float_json(d->v.f, buf, sizeof(buf));
        return dbuf_adds(out, buf);
    case DOC_STR:
        return doc_json_quote(d->v.s.ptr, d->v.s.len, out, flags);
    case DOC_LIST: {
        int first = 1;
        r = dbuf_addc(out, '[');
        for (size_t i = 0; i < d->v.list.len && r == 0; i++) {
            if (d->v.list.items[i]->type == DOC_COMMENT)
                continue;
            if (!first)
                r = dbuf_addc(out, ',');
            first = 0;
            if (r == 0)
                r = emit_indent(out, unit, level + 1);
            if (r == 0)
                r = emit_json(d->v.list.items[i], out, flags, unit, level + 1);
        }
        if (r == 0 && !first)
            r = emit_indent(out, unit, level);
        return r != 0 ? r : dbuf_addc(out, ']');
    }
    case DOC_MAP: {
        size_t n;
        size_t *idx = doc_map_order(d, (flags & DOC_JSON_SORT_KEYS) != 0, &n);
        if (idx == NULL)
            return VALS_ENOMEM;
        r = dbuf_addc(out, '{');
        for (size_t i = 0; i < n && r == 0; i++) {
            const struct doc_pair *p = &d->v.map.items[idx[i]];
            char tmp[64];
            size_t klen;
            const char *k = doc_key_text(p->key, tmp, sizeof(tmp), &klen);
            if (i > 0)
                r = dbuf_addc(out, ',');
            if (r == 0)
                r = emit_indent(out, unit, level + 1);
            if (r == 0)
                r = doc_json_quote(k, klen, out, flags);
            if (r == 0)
                r = dbuf_adds(out, unit != NULL ? ": " : ":");
            if (r == 0)
                r = emit_json(p->val, out, flags, unit, level + 1);
        }
        if (r == 0 && n > 0)
            r = emit_indent(out, unit, level);
        free(idx);
        return r != 0 ? r : dbuf_addc(out, '}');
    }
    default:
        return 0;
    }
}

int doc_emit_json(const struct doc *d, struct dbuf *out, int flags)
{
    return emit_json(d, out, flags, (flags & DOC_JSON_PRETTY) ? "  " : NULL, 0);
}

int doc_emit_json_indent(const struct doc *d, struct dbuf *out, int flags, const char *unit)
{
    return emit_json(d, out, flags, unit, 0);
}
