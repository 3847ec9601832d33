/*
 * escape.c - HTML, JavaScript and URL query escaping with Go's exact output (see
 * escape.h): &#34; and &#39; for quotes, U+FFFD for NUL, \u00XX for control bytes in JS,
 * '+' for spaces and upper-case %XX in queries.
 */
#include <stdio.h>

#include "valsd/errors.h"
#include "escape.h"
#include "unicode.h"
#include "utf8.h"

/* Go's template.HTMLEscapeString. */
int escape_html(struct dbuf *out, const char *s, size_t n)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < n; i++) {
        switch (s[i]) {
        case '\0':
            r = dbuf_adds(out, "\xEF\xBF\xBD");
            break;
        case '"':
            r = dbuf_adds(out, "&#34;");
            break;
        case '\'':
            r = dbuf_adds(out, "&#39;");
            break;
        case '&':
            r = dbuf_adds(out, "&amp;");
            break;
        case '<':
            r = dbuf_adds(out, "&lt;");
            break;
        case '>':
            r = dbuf_adds(out, "&gt;");
            break;
        default:
            r = dbuf_addc(out, s[i]);
            break;
        }
    }
    return r;
}

/* Go's template.JSEscapeString. */
int escape_js(struct dbuf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    int r = 0;

    for (size_t i = 0; r == 0 && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= UTF8_RUNE_SELF) {
            size_t w;
            uint32_t rr = utf8_decode(s + i, n - i, &w);
            if (unicode_is_print(rr)) {
                r = dbuf_add(out, s + i, w);
            } else {
                char tmp[16];
                snprintf(tmp, sizeof(tmp), "\\u%04X", (unsigned)rr);
                r = dbuf_adds(out, tmp);
            }
            i += w - 1;
            continue;
        }
        switch (c) {
        case '\\':
            r = dbuf_adds(out, "\\\\");
            break;
        case '\'':
            r = dbuf_adds(out, "\\'");
            break;
        case '"':
            r = dbuf_adds(out, "\\\"");
            break;
        case '<':
            r = dbuf_adds(out, "\\u003C");
            break;
        case '>':
            r = dbuf_adds(out, "\\u003E");
            break;
        case '&':
            r = dbuf_adds(out, "\\u0026");
            break;
        case '=':
            r = dbuf_adds(out, "\\u003D");
            break;
        default:
            if (c < ' ') {
                char tmp[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
                r = dbuf_add(out, tmp, 6);
            } else {
                r = dbuf_addc(out, (char)c);
            }
            break;
        }
    }
    return r;
}

/* Go's url.QueryEscape. */
int escape_urlquery(struct dbuf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    int r = 0;

    for (size_t i = 0; r == 0 && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            r = dbuf_addc(out, (char)c);
        } else if (c == ' ') {
            r = dbuf_addc(out, '+');
        } else {
            char tmp[3] = {'%', hex[c >> 4], hex[c & 0xF]};
            r = dbuf_add(out, tmp, 3);
        }
    }
    return r;
}
