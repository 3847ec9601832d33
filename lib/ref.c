/*
 * ref.c - finding refs in text and parsing a ref body like Go's net/url as vals uses it
 * (see ref.h and reference/vals.md §1.2, §1.5).
 */
#include <stdlib.h>
#include <string.h>

#include "dbuf.h"
#include "ref.h"

/* Try to match the ref regex with the prefix starting at `i` (prefix length pl). */
static int match_at(const char *s, size_t len, size_t i, size_t pl, struct ref_match *m)
{
    size_t k = i + pl, t, e, q;

    /* scheme: [^+:]* then "://" */
    while (k < len && s[k] != '+' && s[k] != ':')
        k++;
    if (len - k < 3 || memcmp(s + k, "://", 3) != 0)
        return 0;
    t = k + 3;
    /* body run: [^+\n ]+ greedy, then backtrack so the last char is not '"' or ',' */
    e = t;
    while (e < len && s[e] != '+' && s[e] != '\n' && s[e] != ' ')
        e++;
    q = e;
    while (q >= t + 2 && (s[q - 1] == '"' || s[q - 1] == ','))
        q--;
    if (q < t + 2)
        return 0;
    m->start = i;
    m->body_start = i + pl;
    m->body_end = q;
    m->end = (q == e && e < len && s[e] == '+') ? e + 1 : q;
    return 1;
}

int ref_find(const char *s, size_t len, size_t from, struct ref_match *m)
{
    for (size_t i = from; i + 4 <= len; i++) {
        if (s[i] == 's' && len - i >= 10 && memcmp(s + i, "secretref+", 10) == 0) {
            if (match_at(s, len, i, 10, m)) {
                m->secret = 1;
                return 1;
            }
            continue; /* the "ref+" inside has the same suffix: it cannot match either */
        }
        if (s[i] == 'r' && memcmp(s + i, "ref+", 4) == 0 && match_at(s, len, i, 4, m)) {
            m->secret = 0;
            return 1;
        }
    }
    return 0;
}

int ref_contains(const char *s, size_t len)
{
    struct ref_match m;

    return ref_find(s, len, 0, &m);
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int unhex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

enum esc_mode { ESC_PATH, ESC_FRAGMENT, ESC_QUERY, ESC_HOST };

/* The bump allocator over struct ref's arena. */
struct arena {
    char *p;
    size_t left;
};

/* n bytes of the arena; NULL if they are not there (the arena is sized so that they
 * always are: see ref_parse). */
static char *arena_take(struct arena *a, size_t n)
{
    char *p = a->p;

    if (n > a->left)
        return NULL;
    a->p += n;
    a->left -= n;
    return p;
}

/* s[0..n) as a NUL-terminated string in the arena. */
static char *arena_dup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_take(a, n + 1);

    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Percent-decode s[0..len) (Go's url.unescape) into buf (len + 1 bytes), or into a new
 * string when buf is NULL; on error the bad escape is described in e. */
static int unescape(const char *s, size_t len, enum esc_mode mode, const char *body, char *buf,
                    char **out, struct verr *e)
{
    char *o = buf != NULL ? buf : malloc(len + 1);
    size_t n = 0;

    if (o == NULL)
        return VALS_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            if (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) {
                size_t l = len - i < 3 ? len - i : 3;
                if (buf == NULL)
                    free(o);
                return verr_set(e, VALS_EBAD_REF, "parse \"%s\": invalid URL escape \"%.*s\"", body,
                                (int)l, s + i);
            }
            if (mode == ESC_HOST && unhex(s[i + 1]) < 8 && memcmp(s + i, "%25", 3) != 0) {
                if (buf == NULL)
                    free(o);
                return verr_set(e, VALS_EBAD_REF, "parse \"%s\": invalid URL escape \"%.3s\"", body,
                                s + i);
            }
            o[n++] = (char)(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
            i += 2;
        } else if (s[i] == '+' && mode == ESC_QUERY) {
            o[n++] = ' ';
        } else {
            if (mode == ESC_HOST && (unsigned char)s[i] < 0x80) {
                char c = s[i];
                int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:[]<>\"", c) != NULL;
                if (!ok || c == '\0') {
                    if (buf == NULL)
                        free(o);
                    return verr_set(e, VALS_EBAD_REF,
                                    "parse \"%s\": invalid character \"%c\" in host name", body, c);
                }
            }
            o[n++] = s[i];
        }
    }
    o[n] = '\0';
    *out = o;
    return 0;
}

/* Go's validOptionalPort: "" or ":" followed by digits only. */
static int valid_port(const char *p, size_t len)
{
    if (len == 0)
        return 1;
    if (p[0] != ':')
        return 0;
    for (size_t i = 1; i < len; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* Validate a host (with optional port) like Go's parseHost; *out is the decoded host, in
 * buf (len + 1 bytes). */
static int parse_host(const char *h, size_t len, const char *body, char *buf, char **out,
                      struct verr *e)
{
    if (len > 0 && h[0] == '[') {
        const char *close = NULL;
        for (size_t i = len; i > 0; i--)
            if (h[i - 1] == ']') {
                close = h + i - 1;
                break;
            }
        if (close == NULL)
            return verr_set(e, VALS_EBAD_REF, "parse \"%s\": missing ']' in host", body);
        size_t rest = len - (size_t)(close + 1 - h);
        if (!valid_port(close + 1, rest))
            return verr_set(e, VALS_EBAD_REF, "parse \"%s\": invalid port \"%.*s\" after host",
                            body, (int)rest, close + 1);
    } else {
        for (size_t i = len; i > 0; i--) {
            if (h[i - 1] == ':') {
                if (!valid_port(h + i - 1, len - i + 1))
                    return verr_set(e, VALS_EBAD_REF,
                                    "parse \"%s\": invalid port \"%.*s\" after host", body,
                                    (int)(len - i + 1), h + i - 1);
                break;
            }
        }
    }
    return unescape(h, len, ESC_HOST, body, buf, out, e);
}

static int valid_userinfo(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            continue;
        if (strchr("-._:~!$&'()*+,;=%@", c) == NULL || c == '\0')
            return 0;
    }
    return 1;
}

static int add_param(struct ref *r, char *name, char *value)
{
    struct ref_param *p;

    if (r->nparams >= REF_MAX_PARAMS) {
        free(name);
        free(value);
        return VALS_ETOO_LARGE;
    }
    p = realloc(r->params, (r->nparams + 1) * sizeof(*p));
    if (p == NULL) {
        free(name);
        free(value);
        return VALS_ENOMEM;
    }
    r->params = p;
    p[r->nparams].name = name;
    p[r->nparams].value = value;
    r->nparams++;
    return 0;
}

/* url.ParseQuery as vals uses it: malformed pairs are dropped silently. */
static int parse_query(struct ref *r, const char *q, size_t len)
{
    size_t i = 0;

    while (i <= len) {
        size_t j = i, eq;
        char *name = NULL, *value = NULL;
        while (j < len && q[j] != '&')
            j++;
        if (j > i && memchr(q + i, ';', j - i) == NULL) {
            for (eq = i; eq < j && q[eq] != '='; eq++)
                ;
            if (unescape(q + i, eq - i, ESC_QUERY, "", NULL, &name, NULL) == 0 &&
                unescape(q + (eq < j ? eq + 1 : j), eq < j ? j - eq - 1 : 0, ESC_QUERY, "", NULL,
                         &value, NULL) == 0) {
                int rc = add_param(r, name, value);
                if (rc != 0)
                    return rc;
            } else {
                free(name);
                free(value);
            }
        }
        i = j + 1;
    }
    return 0;
}

/* Escape for the canonical query (url.QueryEscape). */
static int query_escape(struct dbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int r = 0;

    for (; *s && r == 0; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            r = dbuf_addc(b, (char)c);
        else if (c == ' ')
            r = dbuf_addc(b, '+');
        else {
            char t[3] = {'%', hex[c >> 4], hex[c & 15]};
            r = dbuf_add(b, t, 3);
        }
    }
    return r;
}

static int canonical_query(struct ref *r, struct arena *a)
{
    struct dbuf b = DBUF_INIT;
    size_t *idx;
    int rc = 0;

    if (r->nparams == 0) /* the usual case: "" in the arena, no index, no buffer */
        return (r->query = arena_dup(a, "", 0)) != NULL ? 0 : VALS_ENOMEM;
    if ((idx = malloc(r->nparams * sizeof(size_t))) == NULL)
        return VALS_ENOMEM;
    for (size_t i = 0; i < r->nparams; i++)
        idx[i] = i;
    /* stable insertion sort by name keeps the order of repeated names */
    for (size_t i = 1; i < r->nparams; i++)
        for (size_t j = i; j > 0 && strcmp(r->params[idx[j - 1]].name, r->params[idx[j]].name) > 0;
             j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    for (size_t i = 0; i < r->nparams && rc == 0; i++) {
        if (i > 0)
            rc = dbuf_addc(&b, '&');
        if (rc == 0)
            rc = query_escape(&b, r->params[idx[i]].name);
        if (rc == 0)
            rc = dbuf_addc(&b, '=');
        if (rc == 0)
            rc = query_escape(&b, r->params[idx[i]].value);
    }
    free(idx);
    if (rc == 0 && (r->query = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    r->query_own = r->query != NULL;
    dbuf_free(&b);
    return rc;
}

int ref_parse(const char *body, size_t len, struct ref *r, struct verr *e)
{
    const char *p, *end, *hash, *rest, *qm, *auth_end, *frag = NULL;
    size_t fraglen = 0, restlen;
    const char *query = NULL, *fquery = NULL;
    size_t querylen = 0, fquerylen = 0;
    struct arena a;
    int rc;

    memset(r, 0, sizeof(*r));
    if (len > REF_MAX_LEN)
        return verr_set(e, VALS_ETOO_LARGE, "ref is longer than %d bytes", REF_MAX_LEN);
    /* One block for the strings.  Each is at most the body's length + 1 (decoding never
     * grows a part; host and path are disjoint parts, so the key is at most len + 2):
     * body, scheme, host, path, fragment, key and an empty query fit in 6 * len + 8. */
    a.left = 6 * len + 16;
    if ((r->arena = a.p = malloc(a.left)) == NULL)
        return VALS_ENOMEM;
    if ((r->body = arena_dup(&a, body, len)) == NULL)
        goto nomem;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)body[i];
        if (c < 0x20 || c == 0x7f) {
            rc = verr_set(e, VALS_EBAD_REF,
                          "parse \"%s\": net/url: invalid control character in URL", "<ref>");
            goto fail;
        }
    }
    end = body + len;
    /* the first '#' starts the fragment */
    hash = memchr(body, '#', len);
    if (hash != NULL) {
        frag = hash + 1;
        fraglen = (size_t)(end - frag);
        end = hash;
        /* extension: "#frag?query" */
        const char *fq = memchr(frag, '?', fraglen);
        if (fq != NULL) {
            fquery = fq + 1;
            fquerylen = fraglen - (size_t)(fquery - frag);
            fraglen = (size_t)(fq - frag);
        }
    }
    /* scheme */
    p = body;
    {
        size_t i = 0;
        int ok = 0;
        for (; p + i < end; i++) {
            char c = p[i];
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                continue;
            if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
                if (i == 0)
                    break;
                continue;
            }
            if (c == ':') {
                if (i == 0) {
                    rc = verr_set(e, VALS_EBAD_REF, "parse \"%s\": missing protocol scheme",
                                  r->body);
                    goto fail;
                }
                ok = 1;
            }
            break;
        }
        if (!ok) {
            rc = verr_set(e, VALS_EBAD_REF,
                          "parse \"%s\": first path segment in URL cannot contain colon", r->body);
            goto fail;
        }
        if ((r->scheme = arena_dup(&a, p, i)) == NULL)
            goto nomem;
        for (char *s = r->scheme; *s; s++)
            if (*s >= 'A' && *s <= 'Z')
                *s = (char)(*s - 'A' + 'a');
        rest = p + i + 1;
    }
    /* the ref grammar puts "//" after the scheme's colon; a body handed in from elsewhere
     * (e.g. cache.clear's ref) may not have it */
    if ((size_t)(end - rest) < 2 || memcmp(rest, "//", 2) != 0) {
        rc = verr_set(e, VALS_EBAD_REF, "parse \"%s\": no \"//\" after the scheme", r->body);
        goto fail;
    }
    rest += 2;
    /* ARN special case: the whole ARN (up to '?' or '#') is the host */
    if ((size_t)(end - rest) >= 8 &&
        (memcmp(rest, "arn:aws:", 8) == 0 || memcmp(rest, "arn:aws-", 8) == 0)) {
        qm = memchr(rest, '?', (size_t)(end - rest));
        auth_end = qm != NULL ? qm : end;
        if ((r->host = arena_dup(&a, rest, (size_t)(auth_end - rest))) == NULL ||
            (r->path = arena_dup(&a, "", 0)) == NULL)
            goto nomem;
        if (qm != NULL) {
            query = qm + 1;
            querylen = (size_t)(end - query);
        }
    } else {
        restlen = (size_t)(end - rest);
        qm = memchr(rest, '?', restlen);
        if (qm != NULL) {
            query = qm + 1;
            querylen = (size_t)(end - query);
            end = qm;
        }
        auth_end = rest;
        while (auth_end < end && *auth_end != '/')
            auth_end++;
        /* authority: [userinfo@]host[:port] */
        {
            const char *at = NULL;
            for (const char *s = auth_end; s > rest; s--)
                if (s[-1] == '@') {
                    at = s - 1;
                    break;
                }
            const char *h = rest;
            if (at != NULL) {
                if (!valid_userinfo(rest, (size_t)(at - rest))) {
                    rc = verr_set(e, VALS_EBAD_REF, "parse \"%s\": net/url: invalid userinfo",
                                  r->body);
                    goto fail;
                }
                h = at + 1;
            }
            char *hb = arena_take(&a, (size_t)(auth_end - h) + 1);
            if (hb == NULL)
                goto nomem;
            if ((rc = parse_host(h, (size_t)(auth_end - h), r->body, hb, &r->host, e)) != 0)
                goto fail;
        }
        char *pb = arena_take(&a, (size_t)(end - auth_end) + 1);
        if (pb == NULL)
            goto nomem;
        if ((rc = unescape(auth_end, (size_t)(end - auth_end), ESC_PATH, r->body, pb, &r->path,
                           e)) != 0)
            goto fail;
    }
    if (frag != NULL) {
        char *f = NULL, *fb = arena_take(&a, fraglen + 1);
        if (fb == NULL)
            goto nomem;
        if ((rc = unescape(frag, fraglen, ESC_FRAGMENT, r->body, fb, &f, e)) != 0)
            goto fail;
        if (*f == '/') /* drop one leading '/' in place (keeps the terminating NUL) */
            memmove(f, f + 1, strlen(f));
        if (*f != '\0')
            r->fragment = f;
    }
    if ((query != NULL && (rc = parse_query(r, query, querylen)) != 0) ||
        (fquery != NULL && (rc = parse_query(r, fquery, fquerylen)) != 0)) {
        if (rc == VALS_ETOO_LARGE)
            verr_set(e, rc, "parse \"%.200s\": more than %d query parameters", r->body,
                     REF_MAX_PARAMS);
        goto fail;
    }
    if ((rc = canonical_query(r, &a)) != 0)
        goto fail;
    /* backend key */
    {
        const char *path = r->path;
        if (r->host[0] == '\0') {
            r->key = arena_dup(&a, path, strlen(path));
        } else {
            if (*path == '/')
                path++;
            size_t hl = strlen(r->host), pl = strlen(path);
            r->key = arena_take(&a, hl + pl + 2);
            if (r->key != NULL) {
                memcpy(r->key, r->host, hl);
                if (pl > 0) {
                    r->key[hl] = '/';
                    memcpy(r->key + hl + 1, path, pl + 1);
                } else {
                    r->key[hl] = '\0';
                }
            }
        }
        if (r->key == NULL)
            goto nomem;
    }
    return 0;
nomem:
    rc = VALS_ENOMEM;
fail:
    ref_free(r);
    return rc;
}

void ref_free(struct ref *r)
{
    if (r->arena != NULL) { /* from ref_parse: the strings are in the arena */
        free(r->arena);
        if (r->query_own)
            free(r->query);
    } else { /* filled by hand: each string is its own allocation */
        free(r->body);
        free(r->scheme);
        free(r->host);
        free(r->path);
        free(r->key);
        free(r->fragment);
        free(r->query);
    }
    for (size_t i = 0; i < r->nparams; i++) {
        free(r->params[i].name);
        secure_free_str(r->params[i].value);
    }
    free(r->params);
    memset(r, 0, sizeof(*r));
}

const char *ref_param(const struct ref *r, const char *name)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (!strcmp(r->params[i].name, name))
            return r->params[i].value;
    return NULL;
}

int ref_has_param(const struct ref *r, const char *name)
{
    return ref_param(r, name) != NULL;
}
