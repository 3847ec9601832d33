/*
 * local_refs.c - echo, envsubst and file refs (see local_refs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "local_refs.h"

int local_echo(const struct ref *r, int map_mode, struct doc **out, struct verr *e)
{
    const char *k = r->key;
    size_t len = strlen(k);
    struct doc *root = NULL, *cur;
    const char *parts[REF_MAX_LEN / 2];
    size_t plen[REF_MAX_LEN / 2], n = 0;

    *out = NULL;
    while (len > 0 && k[len - 1] == '/')
        len--;
    if (!map_mode)
        return (*out = doc_str(k, len)) != NULL ? 0 : VALS_ENOMEM;
    for (const char *p = k, *end = k + len; p <= end && n < sizeof(parts) / sizeof(parts[0]);) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        if (slash == NULL)
            slash = end;
        parts[n] = p;
        plen[n++] = (size_t)(slash - p);
        p = slash + 1;
    }
    if (n < 2)
        return verr_set(e, VALS_EBAD_REF,
                        "echo: a ref with a fragment needs at least two path parts, got \"%s\"",
                        r->key);
    /* build {p0: {p1: ... {p[n-2]: p[n-1]}}} from the inside out */
    cur = doc_str(parts[n - 1], plen[n - 1]);
    for (size_t i = n - 1; i-- > 0 && cur != NULL;) {
        struct doc *m = doc_map();
        if (m == NULL || doc_map_append(m, doc_str(parts[i], plen[i]), cur) != 0) {
            doc_free(m);
            cur = NULL;
            break;
        }
        cur = m;
    }
    root = cur;
    if (root == NULL)
        return VALS_ENOMEM;
    *out = root;
    return 0;
}

static int is_name_char(char c, int first)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (!first && c >= '0' && c <= '9');
}

/* Append the value of an expression "${...}" body (without braces). */
static int envsubst_braced(const char *b, size_t len, local_env_fn env, void *ctx, struct dbuf *out,
                           struct verr *e)
{
    size_t i = 0, nlen;
    const char *val;
    int length = 0, rc = 0;

    if (len > 0 && b[0] == '#') {
        length = 1;
        i = 1;
    }
    nlen = i;
    while (nlen < len && is_name_char(b[nlen], nlen == i))
        nlen++;
    if (nlen == i)
        return verr_set(e, VALS_EBAD_REF, "envsubst: bad substitution \"${%.*s}\"", (int)len, b);
    val = env(ctx, b + i, nlen - i);
    if (length) {
        if (nlen != len)
            return verr_set(e, VALS_EBAD_REF, "envsubst: bad substitution \"${%.*s}\"", (int)len,
                            b);
        return dbuf_printf(out, "%zu", val != NULL ? strlen(val) : 0);
    }
    if (nlen == len)
        return val != NULL ? dbuf_adds(out, val) : 0;
    {
        const char *op = b + nlen, *end = b + len;
        size_t oplen = (size_t)(end - op);
        int colon = op[0] == ':' && oplen > 1 && strchr("-=+", op[1]) != NULL;
        char kind = colon ? op[1] : op[0];
        const char *arg = op + (colon ? 2 : 1);
        size_t arglen = (size_t)(end - arg);
        int set = val != NULL, nonempty = val != NULL && val[0] != '\0';
        int present = colon ? nonempty : set;

        switch (kind) {
        case '-':
        case '=':
            if (present)
                return dbuf_adds(out, val);
            return local_envsubst_expand(arg, arglen, env, ctx, out, e);
        case '+':
            if (present)
                return local_envsubst_expand(arg, arglen, env, ctx, out, e);
            return 0;
        case '^':
        case ',': {
            int all = oplen == 2 && op[1] == op[0];
            if (oplen > 2 || (oplen == 2 && !all))
                break;
            if (val == NULL)
                return 0;
            size_t start = out->len;
            if ((rc = dbuf_adds(out, val)) != 0)
                return rc;
            for (size_t k = start; k < out->len && (all || k == start); k++) {
                char c = out->p[k];
                if (kind == '^' && c >= 'a' && c <= 'z')
                    out->p[k] = (char)(c - 32);
                if (kind == ',' && c >= 'A' && c <= 'Z')
                    out->p[k] = (char)(c + 32);
            }
            return 0;
        }
        case ':': {
            /* ${V:off} / ${V:off:len} */
            char *endp;
            long off = strtol(op + 1, &endp, 10), cnt = -1;
            if (endp == op + 1)
                break;
            if (endp < end && *endp == ':') {
                char *e2;
                cnt = strtol(endp + 1, &e2, 10);
                if (e2 != end || e2 == endp + 1)
                    break;
            } else if (endp != end) {
                break;
            }
            if (val == NULL)
                return 0;
            long vl = (long)strlen(val);
            if (off < 0)
                off = vl + off < 0 ? 0 : vl + off;
            if (off > vl)
                return 0;
            long take = cnt < 0 ? vl - off : (cnt < vl - off ? cnt : vl - off);
            return dbuf_add(out, val + off, (size_t)take);
        }
        default:
            break;
        }
    }
    return verr_set(e, VALS_EBAD_REF, "envsubst: bad substitution \"${%.*s}\"", (int)len, b);
}

int local_envsubst_expand(const char *s, size_t len, local_env_fn env, void *ctx, struct dbuf *out,
                          struct verr *e)
{
    size_t i = 0;
    int rc = 0;

    while (i < len && rc == 0) {
        if (s[i] != '$' || i + 1 >= len) {
            rc = dbuf_addc(out, s[i++]);
            continue;
        }
        if (s[i + 1] == '$') {
            /* "$$var" escapes: the result is "$var" */
            rc = dbuf_addc(out, '$');
            i += 2;
            continue;
        }
        if (s[i + 1] == '{') {
            size_t j = i + 2;
            int level = 1;
            while (j < len && level > 0) {
                if (s[j] == '{')
                    level++;
                else if (s[j] == '}')
                    level--;
                if (level > 0)
                    j++;
            }
            if (j >= len)
                return verr_set(e, VALS_EBAD_REF, "envsubst: missing closing brace");
            rc = envsubst_braced(s + i + 2, j - i - 2, env, ctx, out, e);
            i = j + 1;
            continue;
        }
        if (is_name_char(s[i + 1], 1)) {
            size_t j = i + 1;
            while (j < len && is_name_char(s[j], 0))
                j++;
            const char *val = env(ctx, s + i + 1, j - i - 1);
            if (val != NULL)
                rc = dbuf_adds(out, val);
            i = j;
            continue;
        }
        rc = dbuf_addc(out, s[i++]);
    }
    return rc;
}

int local_parse_map(const char *buf, size_t len, const char *name, struct doc **out, struct verr *e)
{
    struct doc_stream st;
    int rc;

    *out = NULL;
    if ((rc = doc_parse_yaml(buf, len, name, 0, &st, e)) != 0)
        return rc;
    if (st.len == 0 || st.docs[0]->type == DOC_NULL) {
        doc_stream_free(&st);
        return (*out = doc_map()) != NULL ? 0 : VALS_ENOMEM;
    }
    if (st.docs[0]->type != DOC_MAP) {
        rc = verr_set(e, VALS_ETYPE, "%s: cannot unmarshal a %s into a map", name,
                      doc_type_name((enum doc_type)st.docs[0]->type));
        doc_stream_free(&st);
        return rc;
    }
    *out = st.docs[0];
    st.docs[0] = NULL;
    doc_stream_free(&st);
    return 0;
}

int local_envsubst(const struct ref *r, int map_mode, local_env_fn env, void *ctx, struct doc **out,
                   struct verr *e)
{
    struct dbuf b = DBUF_INIT;
    size_t len = strlen(r->key);
    int rc;

    *out = NULL;
    while (len > 0 && (r->key[len - 1] == '/' || r->key[len - 1] == ' ' ||
                       r->key[len - 1] == '\t' || r->key[len - 1] == '\n'))
        len--;
    if ((rc = local_envsubst_expand(r->key, len, env, ctx, &b, e)) != 0)
        goto out;
    if (map_mode)
        rc = local_parse_map(b.p != NULL ? b.p : "", b.len, "envsubst", out, e);
    else if ((*out = doc_str(b.p != NULL ? b.p : "", b.len)) == NULL)
        rc = VALS_ENOMEM;
out:
    dbuf_free(&b);
    return rc;
}

int local_file_path(const struct ref *r, const char *cwd, char **path, struct verr *e)
{
    size_t len = strlen(r->key);
    char here[4096];

    *path = NULL;
    while (len > 1 && r->key[len - 1] == '/')
        len--;
    if (len == 0)
        return verr_set(e, VALS_EBAD_REF, "file ref \"%s\" has no path", r->body);
    if (r->key[0] == '/') {
        *path = strndup(r->key, len);
    } else {
        if (cwd == NULL) {
            if (getcwd(here, sizeof(here)) == NULL)
                return verr_set(e, VALS_EIO, "cannot get the working directory: %s",
                                strerror(errno));
            cwd = here;
        }
        size_t cl = strlen(cwd);
        *path = malloc(cl + len + 2);
        if (*path != NULL) {
            memcpy(*path, cwd, cl);
            (*path)[cl] = '/';
            memcpy(*path + cl + 1, r->key, len);
            (*path)[cl + 1 + len] = '\0';
        }
    }
    return *path != NULL ? 0 : VALS_ENOMEM;
}

int local_read_file(const char *path, size_t max, struct dbuf *out, struct verr *e)
{
    struct stat st;
    int fd, rc = 0, is_stdin = strcmp(path, "-") == 0;

    if (is_stdin)
        path = "<stdin>";
    fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return verr_set(e,
                        errno == ENOENT   ? VALS_ENOT_FOUND
                        : errno == EACCES ? VALS_EDENIED
                                          : VALS_EIO,
                        "open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        rc = verr_set(e, VALS_EIO, "read %s: is a directory or cannot be read", path);
        goto out;
    }
    for (;;) {
        ssize_t n;
        if ((rc = dbuf_reserve(out, 65536)) != 0) {
            rc = verr_set(e, rc, "read %s: file too large or out of memory", path);
            goto out;
        }
        n = read(fd, out->p + out->len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = verr_set(e, VALS_EIO, "read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        out->p[out->len] = '\0';
        if (out->len > max) {
            rc = verr_set(e, VALS_ETOO_LARGE, "read %s: larger than %zu bytes", path, max);
            goto out;
        }
    }
    if (out->p == NULL)
        rc = dbuf_reserve(out, 0);
out:
    if (!is_stdin)
        close(fd);
    return rc;
}

int local_file(const struct ref *r, const char *path, int map_mode, struct doc **out,
               struct verr *e)
{
    struct dbuf b = DBUF_INIT;
    const char *encode = ref_param(r, "encode");
    int rc;

    *out = NULL;
    if ((rc = local_read_file(path, LOCAL_FILE_MAX, &b, e)) != 0)
        goto out;
    if (map_mode) {
        rc = local_parse_map(b.p, b.len, path, out, e);
    } else if (encode == NULL || encode[0] == '\0' || !strcmp(encode, "raw")) {
        if ((*out = doc_str(b.p, b.len)) == NULL)
            rc = VALS_ENOMEM;
    } else if (!strcmp(encode, "base64")) {
        size_t olen = 4 * ((b.len + 2) / 3);
        char *enc = malloc(olen + 1);
        if (enc == NULL) {
            rc = VALS_ENOMEM;
            goto out;
        }
        EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)b.p, (int)b.len);
        if ((*out = doc_str(enc, olen)) == NULL)
            rc = VALS_ENOMEM;
        secure_free(enc, olen + 1);
    } else {
        rc = verr_set(e, VALS_EBAD_REF, "Unsupported encode parameter: '%s'.", encode);
    }
out:
    dbuf_free(&b);
    return rc;
}
