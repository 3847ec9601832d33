/*
 * sprig_regex.c - regexMatch, regexFind, regexFindAll, regexReplaceAll,
 * regexReplaceAllLiteral, regexSplit, regexQuoteMeta and the must* variants, on PCRE2.
 *
 * Go's regexp is RE2: leftmost-first matching with Perl syntax, so PCRE2 (in UTF mode,
 * tolerant of invalid UTF-8, with "$" meaning end of text as in Go) matches the same
 * strings for every pattern RE2 accepts.  PCRE2 accepts more (backreferences,
 * lookaround), which Go rejects; we do not reject them.  The iteration rules for
 * FindAll, ReplaceAll and Split (empty matches next to a previous match, advancing by
 * one rune) and Expand's "$1", "${1}", "$name", "$$" replacement syntax are Go's.
 *
 * The plain variants compile with regexp.MustCompile in Sprig, so a bad pattern is the
 * panic "regexp: Compile(`...`): error parsing regexp: ..."; regexMatch ignores it and
 * returns false; the must* variants return the bare "error parsing regexp: ..." error.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sprig_fns.h"

struct sprig_re {
    pcre2_code *code;
    pcre2_match_data *md;
    int ngroups;
    char **names; /* names[i] is the name of group i, or NULL */
};

void sprig_re_free(struct sprig_re *re)
{
    if (re == NULL)
        return;
    if (re->names != NULL) {
        for (int i = 0; i <= re->ngroups; i++)
            free(re->names[i]);
        free(re->names);
    }
    pcre2_match_data_free(re->md);
    pcre2_code_free(re->code);
    free(re);
}

/* Go's wording for the most common syntax errors, PCRE2's for the rest. */
static void compile_error(int code, size_t off, const char *pat, size_t len, char *err,
                          size_t errlen)
{
    char msg[256];

    switch (code) {
    case 114: /* missing closing parenthesis */
        snprintf(err, errlen, "error parsing regexp: missing closing ): `%.*s`", (int)len, pat);
        return;
    case 122: /* unmatched closing parenthesis */
        snprintf(err, errlen, "error parsing regexp: unexpected ): `%.*s`", (int)len, pat);
        return;
    case 106: { /* missing terminating ] */
        const char *lb = memchr(pat, '[', len);
        size_t from = lb != NULL ? (size_t)(lb - pat) : 0;
        snprintf(err, errlen, "error parsing regexp: missing closing ]: `%.*s`", (int)(len - from),
                 pat + from);
        return;
    }
    case 109: /* quantifier does not follow a repeatable item */
        snprintf(err, errlen,
                 "error parsing regexp: missing argument to repetition operator: `%.*s`",
                 off < len ? 1 : 0, off < len ? pat + off : "");
        return;
    default:
        pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof(msg));
        snprintf(err, errlen, "error parsing regexp: %s at offset %zu: `%.*s`", msg, off, (int)len,
                 pat);
    }
}

struct sprig_re *sprig_re_compile(const char *pat, size_t len, char *err, size_t errlen)
{
    struct sprig_re *re = calloc(1, sizeof(*re));
    int ecode;
    PCRE2_SIZE eoff;
    uint32_t count = 0, size = 0;
    PCRE2_SPTR table = NULL;

    if (re == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    re->code = pcre2_compile((PCRE2_SPTR)pat, len,
                             PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY, &ecode,
                             &eoff, NULL);
    if (re->code == NULL) {
        compile_error(ecode, eoff, pat, len, err, errlen);
        free(re);
        return NULL;
    }
    pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* optional speed-up */
    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->ngroups);
    re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
    re->names = calloc((size_t)re->ngroups + 1, sizeof(char *));
    if (re->md == NULL || re->names == NULL) {
        snprintf(err, errlen, "out of memory");
        sprig_re_free(re);
        return NULL;
    }
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *e = table + (size_t)i * size;
        int g = (e[0] << 8) | e[1];
        if (g >= 0 && g <= re->ngroups && re->names[g] == NULL)
            re->names[g] = strdup((const char *)e + 2);
    }
    return re;
}

int sprig_re_ngroups(const struct sprig_re *re)
{
    return re->ngroups;
}

int sprig_re_exec(struct sprig_re *re, const char *s, size_t len, size_t start, long *ov, int ovmax)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, 0, re->md, NULL);
    PCRE2_SIZE *v;

    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc < 0)
        return rc;
    v = pcre2_get_ovector_pointer(re->md);
    for (int i = 0; i < ovmax; i++) {
        int g = i / 2;
        ov[i] = g <= re->ngroups && g < rc && v[i] != PCRE2_UNSET ? (long)v[i] : -1;
    }
    return 1;
}

/* strconv.CanBackquote: no backquote, no control character but tab, valid UTF-8. */
static int can_backquote(struct sstr s)
{
    for (size_t i = 0; i < s.len;) {
        size_t w;
        int32_t c = sprig_utf8_decode(s.p + i, s.len - i, &w);
        if ((c == SPRIG_RUNE_ERROR && w == 1) || c == '`' || c == 0xFEFF || c == 0x7F ||
            (c < ' ' && c != '\t'))
            return 0;
        i += w;
    }
    return 1;
}

/* Compile argv[idx] for a Sprig function; must=0 reports MustCompile's panic text. */
static struct sprig_re *compile_arg(struct tmpl_call *call, struct sstr pat, int must)
{
    char err[512];
    struct sprig_re *re = sprig_re_compile(pat.p, pat.len, err, sizeof(err));

    if (re != NULL)
        return re;
    if (must) {
        tmpl_call_fail(call, "%s", err);
    } else if (can_backquote(pat)) {
        tmpl_call_fail(call, "regexp: Compile(`%.*s`): %s", (int)pat.len, pat.p, err);
    } else {
        struct dbuf q = DBUF_INIT;
        sprig_go_quote(pat.p, pat.len, &q);
        tmpl_call_fail(call, "regexp: Compile(%s): %s", q.p != NULL ? q.p : "\"\"", err);
        dbuf_free(&q);
    }
    return NULL;
}

/* Width of the rune at s[pos] (1 for invalid bytes, 0 at the end). */
static size_t rune_width(const char *s, size_t len, size_t pos)
{
    size_t w;

    if (pos >= len)
        return 0;
    sprig_utf8_decode(s + pos, len - pos, &w);
    return w;
}

/* Go's allMatches: call `each` with the ovector of up to n matches (n < 0: all). */
static int all_matches(struct sprig_re *re, struct sstr s, int64_t n,
                       int (*each)(void *ctx, const long *ov), void *ctx)
{
    long ov[2 * 10];
    size_t pos = 0;
    long prev_end = -1;
    int64_t i = 0;

    if (n < 0)
        n = (int64_t)s.len + 1;
    while (i < n && pos <= s.len) {
        int accept = 1, rc = sprig_re_exec(re, s.p, s.len, pos, ov, 2);
        if (rc <= 0)
            return rc;
        if ((size_t)ov[1] == pos) {
            size_t w = rune_width(s.p, s.len, pos);
            if (ov[0] == prev_end)
                accept = 0; /* no empty match right after the previous match */
            pos = w > 0 ? pos + w : s.len + 1;
        } else {
            pos = (size_t)ov[1];
        }
        prev_end = ov[1];
        if (accept) {
            int r = each(ctx, ov);
            if (r != 0)
                return r;
            i++;
        }
    }
    return 0;
}

struct collect {
    struct sstr s;
    struct doc *list;
};

/* Append the matched text to the list. */
static int collect_match(void *ctx, const long *ov)
{
    struct collect *c = ctx;

    return sprig_list_push_str(c->list, c->s.p + ov[0], (size_t)(ov[1] - ov[0]));
}

/* The two string arguments and the compiled pattern (argv[0]). */
static int regex_args(struct tmpl_call *call, struct doc *const *argv, int must,
                      struct sprig_re **re, struct sstr *s)
{
    struct sstr pat;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &pat)) != 0 || (r = sprig_arg_str(call, argv[1], s)) != 0)
        return r;
    *re = compile_arg(call, pat, must);
    return *re == NULL ? VALS_EBACKEND : 0;
}

static int regex_match(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int must)
{
    struct sstr pat, s;
    struct sprig_re *re;
    char err[512];
    long ov[2];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &pat)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &s)) != 0)
        return r;
    re = sprig_re_compile(pat.p, pat.len, err, sizeof(err));
    if (re == NULL) {
        if (must)
            return tmpl_call_fail(call, "%s", err);
        return sprig_ret_bool(call, out, 0); /* regexMatch drops the error */
    }
    r = sprig_re_exec(re, s.p, s.len, 0, ov, 2);
    sprig_re_free(re);
    if (r < 0)
        return tmpl_call_fail(call, "regexp: match failed (PCRE2 error %d)", r);
    return sprig_ret_bool(call, out, r == 1);
}

SPRIG_FN(sprig_regex_match)
{
    return regex_match(call, argv, out, 0);
}

SPRIG_FN(sprig_must_regex_match)
{
    return regex_match(call, argv, out, 1);
}

static int regex_find_all(struct tmpl_call *call, struct doc *const *argv, struct doc **out,
                          int must)
{
    struct sprig_re *re;
    struct collect c;
    int64_t n;
    int r;

    if ((r = sprig_arg_int(call, argv[2], &n)) != 0 ||
        (r = regex_args(call, argv, must, &re, &c.s)) != 0)
        return r;
    c.list = sprig_tagged(doc_list(), "[]string");
    if (c.list == NULL) {
        sprig_re_free(re);
        return sprig_oom(call);
    }
    r = n == 0 ? 0 : all_matches(re, c.s, n, collect_match, &c);
    sprig_re_free(re);
    if (r != 0) {
        doc_free(c.list);
        return r == VALS_ENOMEM ? sprig_oom(call) : tmpl_call_fail(call, "regexp: match failed");
    }
    return sprig_ret_doc(call, out, c.list);
}

SPRIG_FN(sprig_regex_find_all)
{
    return regex_find_all(call, argv, out, 0);
}

SPRIG_FN(sprig_must_regex_find_all)
{
    return regex_find_all(call, argv, out, 1);
}

static int regex_find(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int must)
{
    struct sprig_re *re;
    struct sstr s;
    long ov[2];
    int r;

    if ((r = regex_args(call, argv, must, &re, &s)) != 0)
        return r;
    r = sprig_re_exec(re, s.p, s.len, 0, ov, 2);
    sprig_re_free(re);
    if (r < 0)
        return tmpl_call_fail(call, "regexp: match failed (PCRE2 error %d)", r);
    if (r == 0)
        return sprig_ret_str(call, out, "", 0);
    return sprig_ret_str(call, out, s.p + ov[0], (size_t)(ov[1] - ov[0]));
}

SPRIG_FN(sprig_regex_find)
{
    return regex_find(call, argv, out, 0);
}

SPRIG_FN(sprig_must_regex_find)
{
    return regex_find(call, argv, out, 1);
}

/* Go's Regexp.expand of the template `t` for one match. */
static int expand(struct dbuf *b, const struct sprig_re *re, struct sstr t, const char *src,
                  const long *ov)
{
    size_t i = 0;
    int r = 0;

    while (r == 0 && i < t.len) {
        const char *d = memchr(t.p + i, '$', t.len - i);
        size_t j, nlen, k;
        int brace = 0;
        long num;
        if (d == NULL)
            break;
        r = dbuf_add(b, t.p + i, (size_t)(d - (t.p + i)));
        i = (size_t)(d - t.p) + 1;
        if (r != 0)
            break;
        if (i < t.len && t.p[i] == '$') { /* "$$" is a literal '$' */
            r = dbuf_addc(b, '$');
            i++;
            continue;
        }
        j = i;
        if (j < t.len && t.p[j] == '{') {
            brace = 1;
            j++;
        }
        k = j;
        while (k < t.len) {
            size_t w;
            int32_t c = sprig_utf8_decode(t.p + k, t.len - k, &w);
            if (!sprig_is_letter(c) && !sprig_is_digit(c) && c != '_')
                break;
            k += w;
        }
        nlen = k - j;
        if (nlen == 0 || (brace && (k >= t.len || t.p[k] != '}'))) {
            r = dbuf_addc(b, '$'); /* malformed: the '$' is literal text */
            continue;
        }
        num = 0;
        for (size_t q = 0; q < nlen; q++) {
            char c = t.p[j + q];
            if (c < '0' || c > '9' || num >= 100000000) {
                num = -1;
                break;
            }
            num = num * 10 + (c - '0');
        }
        if (t.p[j] == '0' && nlen > 1)
            num = -1;
        if (num < 0) { /* a group name */
            for (int g = 0; g <= re->ngroups; g++) {
                if (re->names[g] != NULL && strlen(re->names[g]) == nlen &&
                    memcmp(re->names[g], t.p + j, nlen) == 0) {
                    num = g;
                    break;
                }
            }
        }
        if (num >= 0 && num <= re->ngroups && ov[2 * num] >= 0)
            r = dbuf_add(b, src + ov[2 * num], (size_t)(ov[2 * num + 1] - ov[2 * num]));
        i = k + (size_t)brace;
    }
    if (r == 0 && i < t.len)
        r = dbuf_add(b, t.p + i, t.len - i);
    return r;
}

/* Go's replaceAll; `literal` selects ReplaceAllLiteralString. */
static int replace_all(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int must,
                       int literal)
{
    struct sprig_re *re;
    struct sstr s, repl;
    struct dbuf b = DBUF_INIT;
    size_t last = 0, search = 0;
    long *ov;
    int r, nov;

    if ((r = sprig_arg_str(call, argv[2], &repl)) != 0 ||
        (r = regex_args(call, argv, must, &re, &s)) != 0)
        return r;
    nov = 2 * (re->ngroups + 1);
    ov = malloc((size_t)nov * sizeof(long));
    if (ov == NULL) {
        sprig_re_free(re);
        return sprig_oom(call);
    }
    while (r == 0 && search <= s.len) {
        size_t w;
        int rc = sprig_re_exec(re, s.p, s.len, search, ov, nov);
        if (rc < 0) {
            r = tmpl_call_fail(call, "regexp: match failed (PCRE2 error %d)", rc);
            break;
        }
        if (rc == 0)
            break;
        r = dbuf_add(&b, s.p + last, (size_t)ov[0] - last);
        /* no replacement for an empty match right after the previous match */
        if (r == 0 && ((size_t)ov[1] > last || ov[0] == 0))
            r = literal ? dbuf_add(&b, repl.p, repl.len) : expand(&b, re, repl, s.p, ov);
        last = (size_t)ov[1];
        w = rune_width(s.p, s.len, search);
        if (search + w > (size_t)ov[1])
            search += w;
        else if (search + 1 > (size_t)ov[1])
            search++;
        else
            search = (size_t)ov[1];
    }
    if (r == 0)
        r = dbuf_add(&b, s.p + last, s.len - last);
    free(ov);
    sprig_re_free(re);
    if (r != 0) {
        dbuf_free(&b);
        return r == VALS_ENOMEM ? sprig_oom(call) : r;
    }
    return sprig_ret_dbuf(call, out, &b);
}

SPRIG_FN(sprig_regex_replace_all)
{
    return replace_all(call, argv, out, 0, 0);
}

SPRIG_FN(sprig_must_regex_replace_all)
{
    return replace_all(call, argv, out, 1, 0);
}

SPRIG_FN(sprig_regex_replace_all_literal)
{
    return replace_all(call, argv, out, 0, 1);
}

SPRIG_FN(sprig_must_regex_replace_all_literal)
{
    return replace_all(call, argv, out, 1, 1);
}

struct spans {
    long *v; /* start, end pairs */
    size_t n, cap;
};

static int collect_span(void *ctx, const long *ov)
{
    struct spans *sp = ctx;

    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 16;
        long *v = realloc(sp->v, cap * 2 * sizeof(long));
        if (v == NULL)
            return VALS_ENOMEM;
        sp->v = v;
        sp->cap = cap;
    }
    sp->v[2 * sp->n] = ov[0];
    sp->v[2 * sp->n + 1] = ov[1];
    sp->n++;
    return 0;
}

static int regex_split(struct tmpl_call *call, struct doc *const *argv, struct doc **out, int must)
{
    struct sprig_re *re;
    struct sstr s, pat;
    struct spans sp = {NULL, 0, 0};
    struct doc *list;
    int64_t n, parts = 0;
    size_t beg = 0, end = 0;
    int r;

    if ((r = sprig_arg_int(call, argv[2], &n)) != 0 ||
        (r = regex_args(call, argv, must, &re, &s)) != 0)
        return r;
    sprig_arg_str(call, argv[0], &pat);
    list = sprig_tagged(doc_list(), "[]string");
    if (list == NULL || n == 0)
        goto done;
    if (pat.len > 0 && s.len == 0) {
        if (sprig_list_push_str(list, "", 0) != 0)
            goto oom;
        goto done;
    }
    if ((r = all_matches(re, s, n, collect_span, &sp)) != 0) {
        if (r == VALS_ENOMEM)
            goto oom;
        doc_free(list);
        sprig_re_free(re);
        free(sp.v);
        return tmpl_call_fail(call, "regexp: match failed");
    }
    for (size_t i = 0; i < sp.n; i++) {
        if (n > 0 && parts == n - 1)
            break;
        end = (size_t)sp.v[2 * i];
        if (sp.v[2 * i + 1] != 0) {
            if (sprig_list_push_str(list, s.p + beg, end - beg) != 0)
                goto oom;
            parts++;
        }
        beg = (size_t)sp.v[2 * i + 1];
    }
    if (end != s.len && sprig_list_push_str(list, s.p + beg, s.len - beg) != 0)
        goto oom;
done:
    free(sp.v);
    sprig_re_free(re);
    return sprig_ret_doc(call, out, list);
oom:
    free(sp.v);
    doc_free(list);
    sprig_re_free(re);
    return sprig_oom(call);
}

SPRIG_FN(sprig_regex_split)
{
    return regex_split(call, argv, out, 0);
}

SPRIG_FN(sprig_must_regex_split)
{
    return regex_split(call, argv, out, 1);
}

SPRIG_FN(sprig_regex_quote_meta)
{
    struct sstr s;
    struct dbuf b = DBUF_INIT;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    for (size_t i = 0; r == 0 && i < s.len; i++) {
        if (strchr("\\.+*?()|[]{}^$", s.p[i]) != NULL && s.p[i] != '\0')
            r = dbuf_addc(&b, '\\');
        if (r == 0)
            r = dbuf_addc(&b, s.p[i]);
    }
    if (r != 0) {
        dbuf_free(&b);
        return sprig_oom(call);
    }
    return sprig_ret_dbuf(call, out, &b);
}
