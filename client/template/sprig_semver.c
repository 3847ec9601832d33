/*
 * sprig_semver.c - semver and semverCompare (github.com/Masterminds/semver/v3).
 *
 * Versions parse as NewVersion does (optional "v", missing minor/patch are 0, numeric
 * pre-release parts without leading zeros).  Constraints follow v3's grammar and rules:
 * "||" alternatives of comma- or space-separated comparisons (=, !=, >, <, >=, <=, ~,
 * ~>, ^), x, X and * wildcards, "A - B" ranges, and a pre-release version only satisfies a
 * comparison whose version has a pre-release too.  The regular expressions are the
 * library's own patterns, run on PCRE2.
 *
 * `semver` returns a map {Major, Minor, Patch, Prerelease, Metadata, Original} tagged
 * "go:*semver.Version": field access works as the methods do in Go, but methods with
 * arguments (.Compare, .LessThan) cannot be called on a document.
 */
#include "sprig_fns.h"

#define CV_RE                                                                                      \
    "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?"                                   \
    "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"                                                   \
    "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
#define OPS_RE "=||!=|>|<|>=|=>|<=|=<|~|~>|\\^"
#define VERSION_RE                                                                                 \
    "^v?([0-9]+)(\\.[0-9]+)?(\\.[0-9]+)?"                                                          \
    "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"                                                   \
    "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?$"

struct version {
    uint64_t major, minor, patch;
    char pre[128], meta[128];
};

/* Copy the text of group g (empty when unset) into buf. */
static void group(const char *s, const long *ov, int g, char *buf, size_t len)
{
    if (ov[2 * g] < 0) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, len, "%.*s", (int)(ov[2 * g + 1] - ov[2 * g]), s + ov[2 * g]);
}

/* 1 when s consists only of characters from set. */
static int only(const char *s, size_t len, const char *set)
{
    for (size_t i = 0; i < len; i++)
        if (strchr(set, s[i]) == NULL || s[i] == '\0')
            return 0;
    return 1;
}

/* NewVersion; 0 or -1 with the library's message in err. */
static int version_parse(const char *s, size_t len, struct version *v, char *err, size_t errlen)
{
    static const char num[] = "0123456789";
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789";
    struct sprig_re *re = sprig_re_compile(VERSION_RE, sizeof(VERSION_RE) - 1, err, errlen);
    long ov[2 * 10];
    char seg[32];
    int rc;

    if (re == NULL)
        return -1;
    rc = sprig_re_exec(re, s, len, 0, ov, 20);
    sprig_re_free(re);
    if (rc != 1 || len > 250) {
        snprintf(err, errlen, "Invalid Semantic Version");
        return -1;
    }
    memset(v, 0, sizeof(*v));
    for (int g = 1; g <= 3; g++) {
        int64_t n;
        group(s, ov, g, seg, sizeof(seg));
        if (seg[0] == '\0')
            continue;
        const char *digits = seg[0] == '.' ? seg + 1 : seg;
        if (strlen(digits) > 20 || sprig_parse_int(digits, strlen(digits), 10, &n) != 0) {
            snprintf(err, errlen,
                     "Error parsing version segment: strconv.ParseUint: parsing \"%s\": value out "
                     "of range",
                     digits);
            return -1;
        }
        *(g == 1 ? &v->major : g == 2 ? &v->minor : &v->patch) = (uint64_t)n;
    }
    group(s, ov, 5, v->pre, sizeof(v->pre));
    group(s, ov, 8, v->meta, sizeof(v->meta));
    for (const char *p = v->pre; *v->pre != '\0';) {
        size_t n = strcspn(p, ".");
        if (only(p, n, num)) {
            if (n > 1 && p[0] == '0') {
                snprintf(err, errlen, "Version segment starts with 0");
                return -1;
            }
        } else if (!only(p, n, allowed)) {
            snprintf(err, errlen, "Invalid Prerelease string");
            return -1;
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    for (const char *p = v->meta; *v->meta != '\0';) {
        size_t n = strcspn(p, ".");
        if (!only(p, n, allowed)) {
            snprintf(err, errlen, "Invalid Metadata string");
            return -1;
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

/* comparePrePart: numbers compare numerically and sort before words. */
static int cmp_pre_part(const char *s, size_t sl, const char *o, size_t ol)
{
    int64_t si, oi;
    int sn, on;

    if (sl == ol && memcmp(s, o, sl) == 0)
        return 0;
    if (sl == 0)
        return -1;
    if (ol == 0)
        return 1;
    sn = only(s, sl, "0123456789") && sprig_parse_int(s, sl, 10, &si) == 0;
    on = only(o, ol, "0123456789") && sprig_parse_int(o, ol, 10, &oi) == 0;
    if (!sn && !on) {
        int c = memcmp(s, o, sl < ol ? sl : ol);
        if (c == 0)
            c = sl < ol ? -1 : 1;
        return c > 0 ? 1 : -1;
    }
    if (!on)
        return -1;
    if (!sn)
        return 1;
    return si > oi ? 1 : -1;
}

static int cmp_pre(const char *a, const char *b)
{
    for (;;) {
        size_t al = strcspn(a, "."), bl = strcspn(b, ".");
        int c = cmp_pre_part(a, al, b, bl);
        if (c != 0)
            return c;
        if (a[al] == '\0' && b[bl] == '\0')
            return 0;
        a += a[al] != '\0' ? al + 1 : al;
        b += b[bl] != '\0' ? bl + 1 : bl;
    }
}

/* Version.Compare. */
static int version_cmp(const struct version *v, const struct version *o)
{
    int d;

    if ((d = cmp_u64(v->major, o->major)) != 0 || (d = cmp_u64(v->minor, o->minor)) != 0 ||
        (d = cmp_u64(v->patch, o->patch)) != 0)
        return d;
    if (v->pre[0] == '\0' && o->pre[0] == '\0')
        return 0;
    if (v->pre[0] == '\0')
        return 1;
    if (o->pre[0] == '\0')
        return -1;
    return cmp_pre(v->pre, o->pre);
}

struct constraint {
    char op[3];
    struct version con;
    int dirty, minor_dirty, patch_dirty;
};

static int is_x(const char *s)
{
    return strcmp(s, "x") == 0 || strcmp(s, "X") == 0 || strcmp(s, "*") == 0;
}

/* parseConstraint of one comparison. */
static int constraint_parse(const char *s, size_t len, struct constraint *c, char *err,
                            size_t errlen)
{
    static const char pat[] = "^\\s*(" OPS_RE ")\\s*(" CV_RE ")\\s*$";
    struct sprig_re *re = sprig_re_compile(pat, sizeof(pat) - 1, err, errlen);
    long ov[2 * 12];
    char m3[64], m4[64], m5[64], m6[160], ver[320];
    int rc;

    if (re == NULL)
        return -1;
    rc = sprig_re_exec(re, s, len, 0, ov, 24);
    sprig_re_free(re);
    if (rc != 1) {
        snprintf(err, errlen, "improper constraint: %.*s", (int)len, s);
        return -1;
    }
    memset(c, 0, sizeof(*c));
    group(s, ov, 1, c->op, sizeof(c->op));
    group(s, ov, 3, m3, sizeof(m3));
    group(s, ov, 4, m4, sizeof(m4));
    group(s, ov, 5, m5, sizeof(m5));
    group(s, ov, 6, m6, sizeof(m6));
    group(s, ov, 2, ver, sizeof(ver));
    if (is_x(m3) || m3[0] == '\0') {
        snprintf(ver, sizeof(ver), "0.0.0%s", m6);
        c->dirty = 1;
    } else if (m4[0] == '\0' || is_x(m4 + 1)) {
        c->minor_dirty = c->dirty = 1;
        snprintf(ver, sizeof(ver), "%s.0.0%s", m3, m6);
    } else if (m5[0] == '\0' || is_x(m5 + 1)) {
        c->patch_dirty = c->dirty = 1;
        snprintf(ver, sizeof(ver), "%s%s.0%s", m3, m4, m6);
    }
    if (version_parse(ver, strlen(ver), &c->con, err, errlen) != 0) {
        snprintf(err, errlen, "constraint Parser Error");
        return -1;
    }
    return 0;
}

/* One comparison, as the library's constraint functions. */
static int constraint_check(const struct constraint *c, const struct version *v)
{
    const char *op = c->op;
    int cmp;

    if (v->pre[0] != '\0' && c->con.pre[0] == '\0')
        return 0; /* pre-releases only match constraints that name one */
    cmp = version_cmp(v, &c->con);
    if (strcmp(op, "") == 0 || strcmp(op, "=") == 0) {
        if (!c->dirty)
            return cmp == 0;
        op = "~";
    }
    if (strcmp(op, "!=") == 0) {
        if (c->dirty) {
            if (c->con.major != v->major)
                return 1;
            if (c->con.minor != v->minor && !c->minor_dirty)
                return 1;
            if (c->minor_dirty)
                return 0;
            if (c->con.patch != v->patch && !c->patch_dirty)
                return 1;
            if (c->patch_dirty) {
                if (v->pre[0] != '\0' || c->con.pre[0] != '\0')
                    return cmp_pre(v->pre, c->con.pre) != 0;
                return 0;
            }
        }
        return cmp != 0;
    }
    if (strcmp(op, ">") == 0) {
        if (!c->dirty)
            return cmp == 1;
        if (v->major > c->con.major)
            return 1;
        if (v->major < c->con.major || c->minor_dirty)
            return 0;
        if (c->patch_dirty)
            return v->minor > c->con.minor;
        return cmp == 1;
    }
    if (strcmp(op, "<") == 0)
        return cmp < 0;
    if (strcmp(op, ">=") == 0 || strcmp(op, "=>") == 0)
        return cmp >= 0;
    if (strcmp(op, "<=") == 0 || strcmp(op, "=<") == 0) {
        if (!c->dirty)
            return cmp <= 0;
        if (v->major > c->con.major)
            return 0;
        if (v->major == c->con.major && v->minor > c->con.minor && !c->minor_dirty)
            return 0;
        return 1;
    }
    if (strcmp(op, "~") == 0 || strcmp(op, "~>") == 0) {
        if (cmp < 0)
            return 0;
        if (c->con.major == 0 && c->con.minor == 0 && c->con.patch == 0 && !c->minor_dirty &&
            !c->patch_dirty)
            return 1;
        if (v->major != c->con.major)
            return 0;
        if (v->minor != c->con.minor && !c->minor_dirty)
            return 0;
        return 1;
    }
    if (strcmp(op, "^") == 0) {
        if (cmp < 0)
            return 0;
        if (c->con.major > 0 || c->minor_dirty)
            return v->major == c->con.major;
        if (v->major > 0)
            return 0;
        if (c->con.minor > 0 || c->patch_dirty)
            return v->minor == c->con.minor;
        if (v->minor > 0)
            return 0;
        return c->con.patch == v->patch;
    }
    return 0;
}

/* rewriteRange: "A - B" becomes ">= A, <= B". */
static int rewrite_ranges(struct sstr in, struct dbuf *out, char *err, size_t errlen)
{
    static const char pat[] = "\\s*(" CV_RE ")\\s+-\\s+(" CV_RE ")\\s*";
    struct sprig_re *re = sprig_re_compile(pat, sizeof(pat) - 1, err, errlen);
    long ov[2 * 21];
    size_t pos = 0;
    int r = 0;

    if (re == NULL)
        return -1;
    /* replacing each match's first occurrence equals replacing the match in place,
     * since an earlier occurrence would have matched first */
    while (r == 0 && pos <= in.len && sprig_re_exec(re, in.p, in.len, pos, ov, 42) == 1) {
        r = dbuf_add(out, in.p + pos, (size_t)ov[0] - pos);
        if (r == 0)
            r = dbuf_printf(out, ">= %.*s, <= %.*s", (int)(ov[3] - ov[2]), in.p + ov[2],
                            (int)(ov[23] - ov[22]), in.p + ov[22]);
        pos = ov[1] > ov[0] ? (size_t)ov[1] : (size_t)ov[1] + 1;
    }
    if (r == 0 && pos < in.len)
        r = dbuf_add(out, in.p + pos, in.len - pos);
    if (r == 0 && out->p == NULL)
        r = dbuf_add(out, "", 0);
    sprig_re_free(re);
    return r;
}

/* NewConstraint + Check: 1/0, or -1 with the parse error in err. */
static int constraint_match(struct sstr cs, const struct version *v, char *err, size_t errlen)
{
    static const char valid_pat[] =
        "^(\\s*(" OPS_RE ")\\s*(" CV_RE ")\\s*)((?:\\s+|,\\s*)(" OPS_RE ")\\s*(" CV_RE ")\\s*)*$";
    static const char find_pat[] = "(" OPS_RE ")\\s*(" CV_RE ")";
    struct sprig_re *valid = NULL, *find = NULL;
    struct dbuf text = DBUF_INIT;
    const char *p, *end;
    long ov[2 * 40];
    int result = 0, r = -1;

    if (rewrite_ranges(cs, &text, err, errlen) != 0)
        goto out;
    valid = sprig_re_compile(valid_pat, sizeof(valid_pat) - 1, err, errlen);
    find = sprig_re_compile(find_pat, sizeof(find_pat) - 1, err, errlen);
    if (valid == NULL || find == NULL)
        goto out;
    /* parse every alternative first (errors win over matches), then check */
    for (int pass = 0; pass < 2; pass++) {
        p = text.p;
        end = text.p + text.len;
        for (;;) {
            const char *bar = p;
            size_t alen, pos = 0;
            int all = 1;
            while (bar + 1 < end && !(bar[0] == '|' && bar[1] == '|'))
                bar++;
            if (bar + 1 >= end)
                bar = end;
            alen = (size_t)(bar - p);
            if (sprig_re_exec(valid, p, alen, 0, ov, 2) != 1) {
                snprintf(err, errlen, "improper constraint: %.*s", (int)alen, p);
                goto out;
            }
            while (pos <= alen && sprig_re_exec(find, p, alen, pos, ov, 2) == 1) {
                struct constraint c;
                if (constraint_parse(p + ov[0], (size_t)(ov[1] - ov[0]), &c, err, errlen) != 0)
                    goto out;
                if (pass == 1 && !constraint_check(&c, v))
                    all = 0;
                pos = ov[1] > ov[0] ? (size_t)ov[1] : (size_t)ov[1] + 1;
            }
            if (pass == 1 && all) {
                result = 1;
                break;
            }
            if (bar == end)
                break;
            p = bar + 2;
        }
    }
    r = result;
out:
    sprig_re_free(valid);
    sprig_re_free(find);
    dbuf_free(&text);
    return r;
}

SPRIG_FN(sprig_semver_compare)
{
    struct sstr cs, vs;
    struct version v;
    char err[512];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &cs)) != 0 ||
        (r = sprig_arg_str(call, argv[1], &vs)) != 0)
        return r;
    if (version_parse(vs.p, vs.len, &v, err, sizeof(err)) != 0) {
        /* NewConstraint runs first in Sprig: report its error if it has one */
        struct version any = {0, 0, 0, "", ""};
        if (constraint_match(cs, &any, err, sizeof(err)) < 0)
            return tmpl_call_fail(call, "%s", err);
        version_parse(vs.p, vs.len, &v, err, sizeof(err));
        return tmpl_call_fail(call, "%s", err);
    }
    r = constraint_match(cs, &v, err, sizeof(err));
    if (r < 0)
        return tmpl_call_fail(call, "%s", err);
    return sprig_ret_bool(call, out, r);
}

SPRIG_FN(sprig_semver)
{
    struct sstr s;
    struct version v;
    struct doc *m;
    char err[256];
    int r;

    if ((r = sprig_arg_str(call, argv[0], &s)) != 0)
        return r;
    if (version_parse(s.p, s.len, &v, err, sizeof(err)) != 0)
        return tmpl_call_fail(call, "%s", err);
    m = sprig_tagged(doc_map(), "*semver.Version");
    if (m == NULL ||
        doc_map_set(m, "Major", sprig_tagged(doc_int((int64_t)v.major), "uint64")) != 0 ||
        doc_map_set(m, "Minor", sprig_tagged(doc_int((int64_t)v.minor), "uint64")) != 0 ||
        doc_map_set(m, "Patch", sprig_tagged(doc_int((int64_t)v.patch), "uint64")) != 0 ||
        doc_map_set(m, "Prerelease", doc_strz(v.pre)) != 0 ||
        doc_map_set(m, "Metadata", doc_strz(v.meta)) != 0 ||
        doc_map_set(m, "Original", doc_str(s.p, s.len)) != 0) {
        doc_free(m);
        return sprig_oom(call);
    }
    return sprig_ret_doc(call, out, m);
}
