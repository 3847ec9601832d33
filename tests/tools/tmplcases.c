/*
 * tmplcases.c - render the template corpus (tests/data/tmpl/NAME.cases) with rmk's template
 * engine; the counterpart of tests/go/tmploracle, which renders it with Go.
 *
 * Usage: tmplcases DEFAULT_DATA.json OUTDIR EXPECTDIR FILE.cases...
 *
 * For every case it writes OUTDIR/FILE.NAME.out, or OUTDIR/FILE.NAME.err with the error
 * text.  Cases marked go=VERSION (features newer than the Go oracle) also get their
 * expected result from the case file written to EXPECTDIR the same way, and their names
 * are listed on stdout as "newer FILE.NAME go=VERSION".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/template/tmpl.h"
#include "lib/dbuf.h"
#include "lib/doc.h"

struct tcase {
    char name[128];
    char opts[16][2][128];
    int nopts;
    struct dbuf text, data, expect, error;
    int has_data, has_expect, has_error;
};

/* The value of a case option, or NULL. */
static const char *opt(const struct tcase *c, const char *key)
{
    for (int i = 0; i < c->nopts; i++)
        if (strcmp(c->opts[i][0], key) == 0)
            return c->opts[i][1];
    return NULL;
}

/* Read a whole file into b. */
static int read_all(const char *path, struct dbuf *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "tmplcases: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (dbuf_add(b, chunk, n) != 0) {
            fclose(f);
            return -1;
        }
    fclose(f);
    return 0;
}

/* Write n bytes to a new file. */
static int write_file(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n)) {
        fprintf(stderr, "tmplcases: %s: %s\n", path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Render one case; output or error text into out / err (one of them is set). */
static int render(const struct tcase *c, const struct doc *defdata, struct dbuf *out,
                  struct dbuf *err)
{
    const char *name = opt(c, "name"), *mk = opt(c, "missingkey"), *ex = opt(c, "exec");
    struct tmpl *t = tmpl_new(name != NULL ? name : "t");
    struct doc *casedata = NULL;
    const struct doc *data = defdata;
    struct verr e;
    const char *sep = "\n{{/*PARSE*/}}\n", *p, *end, *hit;
    char buf[160];
    int r = 0;

    verr_clear(&e);
    if (t == NULL)
        return -1;
    if (mk != NULL) {
        snprintf(buf, sizeof(buf), "missingkey=%s", mk);
        tmpl_set_option(t, buf, &e);
    }
    tmpl_set_delims(t, opt(c, "ldelim"), opt(c, "rdelim"));
    if (c->has_data) {
        if (doc_parse_json(c->data.p != NULL ? c->data.p : "", c->data.len, "case data", &casedata,
                           &e) != 0) {
            dbuf_printf(err, "case data: %s", verr_text(&e));
            goto out;
        }
        data = casedata;
    }
    if (opt(c, "nodata") != NULL)
        data = NULL;
    p = c->text.p != NULL ? c->text.p : "";
    end = p + c->text.len;
    for (;;) {
        hit = memmem(p, (size_t)(end - p), sep, strlen(sep));
        size_t n = hit != NULL ? (size_t)(hit - p) : (size_t)(end - p);
        if (tmpl_parse(t, p, n, &e) != 0) {
            dbuf_adds(err, verr_text(&e));
            goto out;
        }
        if (hit == NULL)
            break;
        p = hit + strlen(sep);
    }
    if (tmpl_execute(t, ex, data, out, &e) != 0) {
        dbuf_reset(out);
        dbuf_adds(err, verr_text(&e));
    }
out:
    doc_free(casedata);
    tmpl_free(t);
    return r;
}

/* Write STEM.out or STEM.err. */
static int emit(const char *dir, const char *stem, const struct dbuf *out, const struct dbuf *err,
                int failed)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s.%s", dir, stem, failed ? "err" : "out");
    if (failed)
        return write_file(path, err->p != NULL ? err->p : "", err->len);
    return write_file(path, out->p != NULL ? out->p : "", out->len);
}

/* Free a case's buffers and clear it. */
static void case_reset(struct tcase *c)
{
    dbuf_free(&c->text);
    dbuf_free(&c->data);
    dbuf_free(&c->expect);
    dbuf_free(&c->error);
    memset(c, 0, sizeof(*c));
}

/* Render one case and write its result files. */
static int run_case(struct tcase *c, const char *base, const struct doc *defdata,
                    const char *outdir, const char *expdir)
{
    struct dbuf out = DBUF_INIT, err = DBUF_INIT;
    char stem[512];
    const char *go = opt(c, "go");
    int r;

    snprintf(stem, sizeof(stem), "%s.%s", base, c->name);
    render(c, defdata, &out, &err);
    r = emit(outdir, stem, &out, &err, err.len > 0);
    if (r == 0 && go != NULL) {
        printf("newer %s go=%s\n", stem, go);
        r = emit(expdir, stem, &c->expect, &c->error, c->has_error);
    }
    dbuf_free(&out);
    dbuf_free(&err);
    return r;
}

/* Append a line to the current section (newline-separated). */
static void section_add(struct dbuf *b, int *first, const char *line, size_t n)
{
    if (!*first)
        dbuf_addc(b, '\n');
    *first = 0;
    dbuf_add(b, line, n);
}

/* Run every case of a .cases file. */
static int run_file(const char *path, const struct doc *defdata, const char *outdir,
                    const char *expdir)
{
    struct dbuf raw = DBUF_INIT;
    struct tcase c;
    const char *base = strrchr(path, '/'), *p, *end;
    char bname[256];
    struct dbuf *sec = NULL;
    int first = 1, have = 0, r = 0;

    memset(&c, 0, sizeof(c));
    base = base != NULL ? base + 1 : path;
    snprintf(bname, sizeof(bname), "%s", base);
    if (strlen(bname) > 6 && strcmp(bname + strlen(bname) - 6, ".cases") == 0)
        bname[strlen(bname) - 6] = '\0';
    if (read_all(path, &raw) != 0)
        return -1;
    p = raw.p != NULL ? raw.p : "";
    end = p + raw.len;
    while (p < end && r == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (n >= 4 && memcmp(p, "=== ", 4) == 0) {
            char line[1024], *tok, *save = NULL;
            if (have)
                r = run_case(&c, bname, defdata, outdir, expdir);
            case_reset(&c);
            snprintf(line, sizeof(line), "%.*s", (int)(n - 4), p + 4);
            tok = strtok_r(line, " \t", &save);
            snprintf(c.name, sizeof(c.name), "%s", tok != NULL ? tok : "");
            while ((tok = strtok_r(NULL, " \t", &save)) != NULL && c.nopts < 16) {
                char *eq = strchr(tok, '=');
                if (eq != NULL)
                    *eq = '\0';
                snprintf(c.opts[c.nopts][0], 128, "%s", tok);
                snprintf(c.opts[c.nopts][1], 128, "%s", eq != NULL ? eq + 1 : "");
                c.nopts++;
            }
            have = 1;
            sec = &c.text;
            first = 1;
        } else if (have && n == 8 && memcmp(p, "--- data", 8) == 0) {
            sec = &c.data;
            c.has_data = 1;
            first = 1;
        } else if (have && n == 10 && memcmp(p, "--- expect", 10) == 0) {
            sec = &c.expect;
            c.has_expect = 1;
            first = 1;
        } else if (have && n == 9 && memcmp(p, "--- error", 9) == 0) {
            sec = &c.error;
            c.has_error = 1;
            first = 1;
        } else if (have) {
            section_add(sec, &first, p, n);
        }
        p = nl != NULL ? nl + 1 : end;
    }
    if (have && r == 0)
        r = run_case(&c, bname, defdata, outdir, expdir);
    case_reset(&c);
    dbuf_free(&raw);
    return r;
}

/* tmplcases DEFAULT_DATA.json OUTDIR EXPECTDIR FILE.cases... */
int main(int argc, char **argv)
{
    struct dbuf raw = DBUF_INIT;
    struct doc *defdata = NULL;
    struct verr e;
    int rc = 0;

    if (argc < 5) {
        fprintf(stderr, "usage: tmplcases DEFAULT_DATA.json OUTDIR EXPECTDIR FILE.cases...\n");
        return 2;
    }
    if (read_all(argv[1], &raw) != 0 ||
        doc_parse_json(raw.p != NULL ? raw.p : "", raw.len, argv[1], &defdata, &e) != 0) {
        fprintf(stderr, "tmplcases: default data: %s\n", verr_text(&e));
        return 1;
    }
    for (int i = 4; i < argc && rc == 0; i++)
        if (run_file(argv[i], defdata, argv[2], argv[3]) != 0)
            rc = 1;
    doc_free(defdata);
    dbuf_free(&raw);
    return rc;
}
