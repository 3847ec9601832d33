/*
 * sprig_paths.c - base, dir, clean, ext, isAbs (Go's path package) and their os*
 * twins (path/filepath, which on Unix behaves the same).
 */
#include "sprig_fns.h"

/* path.Clean into out (lexical: collapses "//", "." and "name/.."). */
static int path_clean(const char *p, size_t n, struct dbuf *out)
{
    size_t r = 0, dotdot = 0, w0 = out->len;
    int rooted, rc = 0;

    if (n == 0)
        return dbuf_addc(out, '.');
    rooted = p[0] == '/';
    if (rooted) {
        rc = dbuf_addc(out, '/');
        r = 1;
        dotdot = 1;
    }
    while (rc == 0 && r < n) {
        if (p[r] == '/') {
            r++;
        } else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
            r++;
        } else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
            r += 2;
            if (out->len - w0 > dotdot) {
                out->len--;
                while (out->len - w0 > dotdot && out->p[out->len] != '/')
                    out->len--;
                out->p[out->len] = '\0';
            } else if (!rooted) {
                if (out->len - w0 > 0)
                    rc = dbuf_addc(out, '/');
                if (rc == 0)
                    rc = dbuf_add(out, "..", 2);
                dotdot = out->len - w0;
            }
        } else {
            if ((rooted && out->len - w0 != 1) || (!rooted && out->len - w0 != 0))
                rc = dbuf_addc(out, '/');
            for (; rc == 0 && r < n && p[r] != '/'; r++)
                rc = dbuf_addc(out, p[r]);
        }
    }
    if (rc == 0 && out->len == w0)
        rc = dbuf_addc(out, '.');
    return rc;
}

/* Run a path function f(s) -> text on the string argument. */
static int path_fn(struct tmpl_call *call, struct doc *const *argv, struct doc **out,
                   int (*f)(struct sstr, struct dbuf *))
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    if (f(s, &b) != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}

static int do_clean(struct sstr s, struct dbuf *b)
{
    return path_clean(s.p, s.len, b);
}

static int do_base(struct sstr s, struct dbuf *b)
{
    size_t end = s.len, start;

    if (s.len == 0)
        return dbuf_addc(b, '.');
    while (end > 0 && s.p[end - 1] == '/')
        end--;
    if (end == 0)
        return dbuf_addc(b, '/');
    start = end;
    while (start > 0 && s.p[start - 1] != '/')
        start--;
    return dbuf_add(b, s.p + start, end - start);
}

static int do_dir(struct sstr s, struct dbuf *b)
{
    size_t i = s.len;

    while (i > 0 && s.p[i - 1] != '/')
        i--;
    return path_clean(s.p, i, b);
}

static int do_ext(struct sstr s, struct dbuf *b)
{
    for (size_t i = s.len; i > 0 && s.p[i - 1] != '/'; i--)
        if (s.p[i - 1] == '.')
            return dbuf_add(b, s.p + i - 1, s.len - i + 1);
    return dbuf_add(b, "", 0);
}

SPRIG_FN(sprig_clean)
{
    return path_fn(call, argv, out, do_clean);
}

SPRIG_FN(sprig_base)
{
    return path_fn(call, argv, out, do_base);
}

SPRIG_FN(sprig_dir)
{
    return path_fn(call, argv, out, do_dir);
}

SPRIG_FN(sprig_ext)
{
    return path_fn(call, argv, out, do_ext);
}

SPRIG_FN(sprig_is_abs)
{
    struct sstr s;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    return sprig_ret_bool(call, out, s.len > 0 && s.p[0] == '/');
}
