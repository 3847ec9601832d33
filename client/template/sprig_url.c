/*
 * sprig_url.c - urlParse and urlJoin (net/url.Parse and URL.String).
 *
 * urlParse returns {scheme, host, hostname, path, query, opaque, fragment, userinfo}
 * with Go's rules: lower-cased scheme, rootless paths after a scheme are opaque,
 * authority split at the last '@', percent-decoding of user info, host (only non-ASCII
 * may be escaped, except "%25" in IPv6 zones), path and fragment, and the raw query.
 * urlJoin rebuilds a URL from such a map, escaping each part as URL.String does.
 */
#include "sprig_fns.h"

enum enc { ENC_PATH, ENC_PATH_SEGMENT, ENC_HOST, ENC_ZONE, ENC_USERPASS, ENC_QUERY, ENC_FRAGMENT };

/* Go's shouldEscape. */
static int should_escape(unsigned char c, enum enc mode)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 0;
    if (mode == ENC_HOST || mode == ENC_ZONE) {
        if (c != 0 && strchr("!$&'()*+,;=:[]<>\"", c) != NULL)
            return 0;
    }
    switch (c) {
    case '-':
    case '_':
    case '.':
    case '~':
        return 0;
    case '$':
    case '&':
    case '+':
    case ',':
    case '/':
    case ':':
    case ';':
    case '=':
    case '?':
    case '@':
        switch (mode) {
        case ENC_PATH:
            return c == '?';
        case ENC_PATH_SEGMENT:
            return c == '/' || c == ';' || c == ',' || c == '?';
        case ENC_USERPASS:
            return c == '@' || c == '/' || c == '?' || c == ':';
        case ENC_QUERY:
            return 1;
        case ENC_FRAGMENT:
            return 0;
        default:
            break;
        }
        break;
    default:
        break;
    }
    if (mode == ENC_FRAGMENT && (c == '!' || c == '(' || c == ')' || c == '*'))
        return 0;
    return 1;
}

static int ishex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int unhex(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Go's unescape; -1 with the error text in err. */
static int unescape(const char *s, size_t n, enum enc mode, struct dbuf *out, char *err,
                    size_t errlen)
{
    for (size_t i = 0; i < n;) {
        if (s[i] == '%') {
            if (i + 2 >= n || !ishex(s[i + 1]) || !ishex(s[i + 2])) {
                struct dbuf q = DBUF_INIT;
                /* cppcheck-suppress knownConditionTrueFalse ; false when a digit is bad */
                sprig_go_quote(s + i, n - i > 3 ? 3 : n - i, &q);
                snprintf(err, errlen, "invalid URL escape %s", q.p);
                dbuf_free(&q);
                return -1;
            }
            if (mode == ENC_HOST && unhex(s[i + 1]) < 8 && memcmp(s + i, "%25", 3) != 0) {
                struct dbuf q = DBUF_INIT;
                sprig_go_quote(s + i, 3, &q);
                snprintf(err, errlen, "invalid URL escape %s", q.p);
                dbuf_free(&q);
                return -1;
            }
            if (mode == ENC_ZONE) {
                unsigned char v = (unsigned char)(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
                if (memcmp(s + i, "%25", 3) != 0 && v != ' ' && should_escape(v, ENC_HOST)) {
                    struct dbuf q = DBUF_INIT;
                    sprig_go_quote(s + i, 3, &q);
                    snprintf(err, errlen, "invalid URL escape %s", q.p);
                    dbuf_free(&q);
                    return -1;
                }
            }
            if (dbuf_addc(out, (char)(unhex(s[i + 1]) << 4 | unhex(s[i + 2]))) != 0)
                return VALS_ENOMEM;
            i += 3;
            continue;
        }
        if ((mode == ENC_HOST || mode == ENC_ZONE) && (unsigned char)s[i] < 0x80 &&
            should_escape((unsigned char)s[i], mode)) {
            struct dbuf q = DBUF_INIT;
            sprig_go_quote(s + i, 1, &q);
            snprintf(err, errlen, "invalid character %s in host name", q.p);
            dbuf_free(&q);
            return -1;
        }
        if (dbuf_addc(out, s[i]) != 0)
            return VALS_ENOMEM;
        i++;
    }
    return dbuf_add(out, "", 0);
}

/* Go's escape. */
static int escape(const char *s, size_t n, enum enc mode, struct dbuf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    int r = 0;

    for (size_t i = 0; r == 0 && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' && mode == ENC_QUERY) {
            r = dbuf_addc(out, '+');
        } else if (should_escape(c, mode)) {
            char t[3] = {'%', hex[c >> 4], hex[c & 15]};
            r = dbuf_add(out, t, 3);
        } else {
            r = dbuf_addc(out, (char)c);
        }
    }
    return r;
}

/* ":digits" or empty. */
static int valid_port(const char *p, size_t n)
{
    if (n == 0)
        return 1;
    if (p[0] != ':')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* Go's parseHost into out. */
static int parse_host(const char *h, size_t n, struct dbuf *out, char *err, size_t errlen)
{
    if (n > 0 && h[0] == '[') {
        size_t i = n;
        const char *zone = NULL;
        while (i > 0 && h[i - 1] != ']')
            i--;
        if (i == 0) {
            snprintf(err, errlen, "missing ']' in host");
            return -1;
        }
        i--; /* index of ']' */
        if (!valid_port(h + i + 1, n - i - 1)) {
            snprintf(err, errlen, "invalid port \"%.*s\" after host", (int)(n - i - 1), h + i + 1);
            return -1;
        }
        for (size_t k = 0; k + 3 <= i; k++)
            if (memcmp(h + k, "%25", 3) == 0) {
                zone = h + k;
                break;
            }
        if (zone != NULL) {
            size_t z = (size_t)(zone - h);
            if (unescape(h, z, ENC_HOST, out, err, errlen) != 0 ||
                unescape(h + z, i - z, ENC_ZONE, out, err, errlen) != 0 ||
                unescape(h + i, n - i, ENC_HOST, out, err, errlen) != 0)
                return -1;
            return 0;
        }
    } else {
        size_t i = n;
        while (i > 0 && h[i - 1] != ':')
            i--;
        if (i > 0 && !valid_port(h + i - 1, n - i + 1)) {
            snprintf(err, errlen, "invalid port \"%.*s\" after host", (int)(n - i + 1), h + i - 1);
            return -1;
        }
    }
    return unescape(h, n, ENC_HOST, out, err, errlen);
}

struct url {
    struct dbuf scheme, opaque, user, pass, host, path, rawquery, fragment;
    int has_user, has_pass;
};

static void url_free(struct url *u)
{
    dbuf_free(&u->scheme);
    dbuf_free(&u->opaque);
    dbuf_free(&u->user);
    dbuf_free(&u->pass);
    dbuf_free(&u->host);
    dbuf_free(&u->path);
    dbuf_free(&u->rawquery);
    dbuf_free(&u->fragment);
}

/* validUserinfo. */
static int valid_userinfo(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            continue;
        if (c == '\0' || strchr("-._:~!$&'()*+,;=%@", c) == NULL)
            return 0;
    }
    return 1;
}

/* net/url.Parse; -1 with Go's message (without the "parse ..." prefix) in err. */
static int url_parse(const char *raw, size_t len, struct url *u, char *err, size_t errlen)
{
    const char *hash = memchr(raw, '#', len);
    size_t n = hash != NULL ? (size_t)(hash - raw) : len, i;
    const char *rest;
    size_t rn;

    memset(u, 0, sizeof(*u));
    for (i = 0; i < len; i++)
        if ((unsigned char)raw[i] < 0x20 || raw[i] == 0x7F) {
            snprintf(err, errlen, "net/url: invalid control character in URL");
            return -1;
        }
    if (n == 1 && raw[0] == '*') {
        dbuf_adds(&u->path, "*");
        goto fragment;
    }
    /* scheme */
    rest = raw;
    rn = n;
    for (i = 0; i < n; i++) {
        char c = raw[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            continue;
        if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
            if (i == 0)
                break;
            continue;
        }
        if (c == ':') {
            if (i == 0) {
                snprintf(err, errlen, "missing protocol scheme");
                return -1;
            }
            for (size_t k = 0; k < i; k++)
                dbuf_addc(&u->scheme,
                          (char)(raw[k] >= 'A' && raw[k] <= 'Z' ? raw[k] + 32 : raw[k]));
            rest = raw + i + 1;
            rn = n - i - 1;
        }
        break;
    }
    /* query */
    {
        const char *q = memchr(rest, '?', rn);
        if (q != NULL) {
            size_t qi = (size_t)(q - rest);
            int only_last = qi == rn - 1;
            if (!only_last)
                dbuf_add(&u->rawquery, q + 1, rn - qi - 1);
            rn = qi; /* a lone trailing '?' forces an empty query (not kept here) */
        }
    }
    if (rn == 0 || rest[0] != '/') {
        if (u->scheme.len > 0) {
            dbuf_add(&u->opaque, rest, rn);
            goto fragment;
        }
        {
            const char *slash = memchr(rest, '/', rn);
            size_t seg = slash != NULL ? (size_t)(slash - rest) : rn;
            if (memchr(rest, ':', seg) != NULL) {
                snprintf(err, errlen, "first path segment in URL cannot contain colon");
                return -1;
            }
        }
    }
    if ((u->scheme.len > 0 || !(rn >= 3 && memcmp(rest, "///", 3) == 0)) && rn >= 2 &&
        rest[0] == '/' && rest[1] == '/') {
        const char *auth = rest + 2, *slash = memchr(auth, '/', rn - 2), *at = NULL;
        size_t an = slash != NULL ? (size_t)(slash - auth) : rn - 2;
        for (size_t k = an; k > 0; k--)
            if (auth[k - 1] == '@') {
                at = auth + k - 1;
                break;
            }
        if (at == NULL) {
            if (parse_host(auth, an, &u->host, err, errlen) != 0)
                return -1;
        } else {
            size_t ul = (size_t)(at - auth);
            const char *colon = memchr(auth, ':', ul);
            if (parse_host(at + 1, an - ul - 1, &u->host, err, errlen) != 0)
                return -1;
            if (!valid_userinfo(auth, ul)) {
                snprintf(err, errlen, "net/url: invalid userinfo");
                return -1;
            }
            u->has_user = 1;
            if (colon == NULL) {
                if (unescape(auth, ul, ENC_USERPASS, &u->user, err, errlen) != 0)
                    return -1;
            } else {
                size_t cl = (size_t)(colon - auth);
                u->has_pass = 1;
                if (unescape(auth, cl, ENC_USERPASS, &u->user, err, errlen) != 0 ||
                    unescape(colon + 1, ul - cl - 1, ENC_USERPASS, &u->pass, err, errlen) != 0)
                    return -1;
            }
        }
        rn -= 2 + an;
        rest = auth + an;
    }
    if (unescape(rest, rn, ENC_PATH, &u->path, err, errlen) != 0)
        return -1;
fragment:
    if (hash != NULL &&
        unescape(hash + 1, len - n - 1, ENC_FRAGMENT, &u->fragment, err, errlen) != 0)
        return -1;
    return 0;
}

/* Userinfo.String(). */
static int userinfo_string(const struct url *u, struct dbuf *out)
{
    int r = escape(u->user.p != NULL ? u->user.p : "", u->user.len, ENC_USERPASS, out);

    if (r == 0 && u->has_pass) {
        r = dbuf_addc(out, ':');
        if (r == 0)
            r = escape(u->pass.p != NULL ? u->pass.p : "", u->pass.len, ENC_USERPASS, out);
    }
    return r;
}

/* Put a string field into the map. */
static int put(struct doc *m, const char *key, const struct dbuf *b)
{
    return doc_map_set(m, key, doc_str(b->p != NULL ? b->p : "", b->len));
}

SPRIG_FN(sprig_url_parse)
{
    struct sstr s;
    struct url u;
    struct dbuf hostname = DBUF_INIT, ui = DBUF_INIT;
    struct doc *m = NULL;
    char err[256];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    if (url_parse(s.p, s.len, &u, err, sizeof(err)) != 0) {
        struct dbuf q = DBUF_INIT;
        const char *hash = memchr(s.p, '#', s.len);
        sprig_go_quote(s.p,
                       hash != NULL && strncmp(err, "invalid URL escape", 18) != 0
                           ? (size_t)(hash - s.p)
                           : s.len,
                       &q);
        r = tmpl_call_fail(call, "unable to parse url: parse %s: %s", q.p, err);
        dbuf_free(&q);
        url_free(&u);
        return r;
    }
    /* Hostname(): without the port and the IPv6 brackets */
    {
        const char *h = u.host.p != NULL ? u.host.p : "";
        size_t hn = u.host.len, c = hn;
        while (c > 0 && h[c - 1] != ':')
            c--;
        if (c > 0 && valid_port(h + c - 1, hn - c + 1))
            hn = c - 1;
        if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']')
            r = dbuf_add(&hostname, h + 1, hn - 2);
        else
            r = dbuf_add(&hostname, h, hn);
    }
    if (r == 0 && u.has_user)
        r = userinfo_string(&u, &ui);
    m = doc_map();
    if (r != 0 || m == NULL || put(m, "scheme", &u.scheme) != 0 || put(m, "host", &u.host) != 0 ||
        put(m, "hostname", &hostname) != 0 || put(m, "path", &u.path) != 0 ||
        put(m, "query", &u.rawquery) != 0 || put(m, "opaque", &u.opaque) != 0 ||
        put(m, "fragment", &u.fragment) != 0 || put(m, "userinfo", &ui) != 0) {
        doc_free(m);
        m = NULL;
    }
    url_free(&u);
    dbuf_free(&hostname);
    dbuf_free(&ui);
    return sprig_ret_doc(call, out, m);
}

/* dictGetOrEmpty: a string field, "" when absent; other types are an error. */
static int get_field(struct tmpl_call *call, const struct doc *d, const char *key, struct sstr *s)
{
    const struct doc *v = d != NULL ? doc_map_getz(d, key) : NULL;

    s->p = "";
    s->len = 0;
    if (v == NULL)
        return 0;
    if (v->type == DOC_NULL)
        return tmpl_call_fail(call, "runtime error: invalid memory address or nil pointer "
                                    "dereference");
    if (v->type != DOC_STR || sprig_is_time(v))
        return tmpl_call_fail(call, "unable to parse %s key, must be of type string, but %s found",
                              key, sprig_kind_name(v));
    s->p = v->v.s.ptr;
    s->len = v->v.s.len;
    return 0;
}

SPRIG_FN(sprig_url_join)
{
    struct doc *m;
    struct sstr scheme, host, path, query, opaque, fragment, userinfo;
    struct url user;
    struct dbuf b = DBUF_INIT;
    int r;

    memset(&user, 0, sizeof(user));
    if ((r = sprig_arg_map(call, argv[0], &m)) != 0 ||
        (r = get_field(call, m, "scheme", &scheme)) != 0 ||
        (r = get_field(call, m, "host", &host)) != 0 ||
        (r = get_field(call, m, "path", &path)) != 0 ||
        (r = get_field(call, m, "query", &query)) != 0 ||
        (r = get_field(call, m, "opaque", &opaque)) != 0 ||
        (r = get_field(call, m, "fragment", &fragment)) != 0 ||
        (r = get_field(call, m, "userinfo", &userinfo)) != 0)
        return r;
    if (userinfo.len > 0) {
        struct dbuf tmp = DBUF_INIT;
        char err[256];
        if (dbuf_adds(&tmp, "proto://") != 0 || dbuf_add(&tmp, userinfo.p, userinfo.len) != 0 ||
            dbuf_adds(&tmp, "@host") != 0) {
            dbuf_free(&tmp);
            return sprig_oom(call);
        }
        if (url_parse(tmp.p, tmp.len, &user, err, sizeof(err)) != 0) {
            struct dbuf q = DBUF_INIT;
            sprig_go_quote(tmp.p, tmp.len, &q);
            r = tmpl_call_fail(call, "unable to parse userinfo in dict: parse %s: %s", q.p, err);
            dbuf_free(&q);
            dbuf_free(&tmp);
            url_free(&user);
            return r;
        }
        dbuf_free(&tmp);
    }
    /* URL.String() */
    if (scheme.len > 0) {
        r = dbuf_add(&b, scheme.p, scheme.len);
        if (r == 0)
            r = dbuf_addc(&b, ':');
    }
    if (r == 0 && opaque.len > 0) {
        r = dbuf_add(&b, opaque.p, opaque.len);
    } else if (r == 0) {
        struct dbuf ep = DBUF_INIT;
        if (scheme.len > 0 || host.len > 0 || user.has_user) {
            if (host.len > 0 || path.len > 0 || user.has_user)
                r = dbuf_adds(&b, "//");
            if (r == 0 && user.has_user) {
                r = userinfo_string(&user, &b);
                if (r == 0)
                    r = dbuf_addc(&b, '@');
            }
            if (r == 0 && host.len > 0)
                r = escape(host.p, host.len, ENC_HOST, &b);
        }
        if (r == 0) {
            if (path.len == 1 && path.p[0] == '*')
                r = dbuf_addc(&ep, '*');
            else
                r = escape(path.p, path.len, ENC_PATH, &ep);
        }
        if (r == 0 && ep.len > 0 && ep.p[0] != '/' && host.len > 0)
            r = dbuf_addc(&b, '/');
        if (r == 0 && b.len == 0 && ep.len > 0) {
            const char *slash = memchr(ep.p, '/', ep.len);
            size_t seg = slash != NULL ? (size_t)(slash - ep.p) : ep.len;
            if (memchr(ep.p, ':', seg) != NULL)
                r = dbuf_adds(&b, "./");
        }
        if (r == 0 && ep.len > 0)
            r = dbuf_add(&b, ep.p, ep.len);
        dbuf_free(&ep);
    }
    if (r == 0 && query.len > 0) {
        r = dbuf_addc(&b, '?');
        if (r == 0)
            r = dbuf_add(&b, query.p, query.len);
    }
    if (r == 0 && fragment.len > 0) {
        r = dbuf_addc(&b, '#');
        if (r == 0)
            r = escape(fragment.p, fragment.len, ENC_FRAGMENT, &b);
    }
    url_free(&user);
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    if (b.p == NULL)
        return sprig_ret_str(call, out, "", 0);
    return sprig_ret_dbuf(call, out, &b);
}
