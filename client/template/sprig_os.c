/*
 * sprig_os.c - env and expandenv (os.Getenv, os.ExpandEnv).
 *
 * These read the process environment, like Sprig; an unset variable is "".
 */
#include "sprig_fns.h"

SPRIG_FN(sprig_env)
{
    struct sstr name;
    struct dbuf n = DBUF_INIT;
    const char *v;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &name)) != 0)
        return r;
    if (dbuf_add(&n, name.p, name.len) != 0 || dbuf_addc(&n, '\0') != 0) {
        dbuf_free(&n);
        return sprig_oom(call);
    }
    /* a name with a NUL byte cannot be set, so it reads as unset (as in Go) */
    v = memchr(name.p, '\0', name.len) == NULL ? getenv(n.p) : NULL;
    dbuf_free(&n);
    return sprig_ret_str(call, out, v != NULL ? v : "", v != NULL ? strlen(v) : 0);
}

/* Go's isShellSpecialVar. */
static int shell_special(char c)
{
    return strchr("*#$@!?-0123456789", c) != NULL && c != '\0';
}

static int alnum_(char c)
{
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Go's getShellName: the name after '$' and the number of bytes it used. */
static struct sstr shell_name(const char *s, size_t len, size_t *w)
{
    struct sstr name = {s, 0};

    if (s[0] == '{') {
        if (len > 2 && shell_special(s[1]) && s[2] == '}') {
            name.p = s + 1;
            name.len = 1;
            *w = 3;
            return name;
        }
        for (size_t i = 1; i < len; i++) {
            if (s[i] == '}') {
                if (i == 1) { /* "${}": bad syntax, eaten */
                    *w = 2;
                    return name;
                }
                name.p = s + 1;
                name.len = i - 1;
                *w = i + 1;
                return name;
            }
        }
        *w = 1; /* "${" without a closing brace: eaten */
        return name;
    }
    if (shell_special(s[0])) {
        name.len = 1;
        *w = 1;
        return name;
    }
    while (name.len < len && alnum_(s[name.len]))
        name.len++;
    *w = name.len;
    return name;
}

SPRIG_FN(sprig_expandenv)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT, n = DBUF_INIT;
    size_t i = 0;
    int r = 0;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    for (size_t j = 0; r == 0 && j < s.len; j++) {
        size_t w;
        struct sstr name;
        if (s.p[j] != '$' || j + 1 >= s.len)
            continue;
        r = dbuf_add(&b, s.p + i, j - i);
        name = shell_name(s.p + j + 1, s.len - j - 1, &w);
        if (r == 0 && name.len == 0 && w == 0) {
            r = dbuf_addc(&b, '$'); /* '$' not followed by a name stays */
        } else if (r == 0 && name.len > 0) {
            const char *v;
            dbuf_reset(&n);
            r = dbuf_add(&n, name.p, name.len);
            if (r == 0)
                r = dbuf_addc(&n, '\0');
            v = r == 0 && memchr(name.p, '\0', name.len) == NULL ? getenv(n.p) : NULL;
            if (r == 0 && v != NULL)
                r = dbuf_adds(&b, v);
        }
        j += w;
        i = j + 1;
    }
    if (r == 0)
        r = dbuf_add(&b, s.p + i, s.len - i);
    dbuf_free(&n);
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}
