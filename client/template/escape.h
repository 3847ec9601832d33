/*
 * escape.h - the escapers behind the html, js and urlquery builtins (Go's
 * template.HTMLEscapeString, JSEscapeString and url.QueryEscape).
 */
#ifndef TMPL_ESCAPE_H
#define TMPL_ESCAPE_H

#include <stddef.h>

#include "lib/dbuf.h"

int escape_html(struct dbuf *out, const char *s, size_t n);
int escape_js(struct dbuf *out, const char *s, size_t n);
int escape_urlquery(struct dbuf *out, const char *s, size_t n);

#endif
