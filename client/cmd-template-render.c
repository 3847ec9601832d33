/*
 * cmd-template-render.c - "rmk template render FILE [--data FILE]": render one Go
 * template (text/template + the function libraries below) to stdout.
 *
 * The data file (YAML, or JSON when it ends in .json) becomes "."; without one, "." is
 * Go's nil.  The template is named after the file's base name, as template.ParseFiles
 * names it.  Errors are Go's texts ("template: NAME:LINE:COL: executing ...") on stderr
 * with exit 1; nothing is written to stdout then.  Usage errors exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lib/dbuf.h"
#include "lib/doc.h"
#include "lib/local_refs.h"
#include "rmk-funcs.h"
#include "template/sprig.h"
#include "template/tmpl.h"

#define RENDER_MAX_FILE ((size_t)64 << 20)

/* Function libraries available to rendered templates: one line per library. */
static const struct render_lib {
    const struct tmpl_func *funcs;
    const size_t *n;
} render_libs[] = {
    {sprig_funcs, &sprig_nfuncs},
    {rmk_funcs, &rmk_nfuncs},
    {NULL, NULL},
};

/* Does s end with suffix? */
static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Parse the data file: JSON for *.json, else YAML (its first document). */
static int load_data(const char *path, struct doc **out, struct verr *e)
{
    struct dbuf b = DBUF_INIT;
    struct doc_stream st = {NULL, 0, 0};
    int r;

    *out = NULL;
    r = local_read_file(path, RENDER_MAX_FILE, &b, e);
    if (r != 0)
        goto out;
    if (ends_with(path, ".json")) {
        r = doc_parse_json(b.p != NULL ? b.p : "", b.len, path, out, e);
    } else {
        r = doc_parse_yaml(b.p != NULL ? b.p : "", b.len, path, 0, &st, e);
        if (r == 0 && st.len > 0) {
            *out = st.docs[0];
            st.docs[0] = NULL;
        }
        doc_stream_free(&st);
    }
out:
    dbuf_free(&b);
    return r;
}

/* The last component of a path. */
static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return s != NULL ? s + 1 : path;
}

/* rmk template render FILE [--data FILE] [--missingkey MODE] */
static int cmd_template_render_exec(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"missingkey", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    const char *data_path = NULL, *missingkey = NULL, *path;
    struct dbuf text = DBUF_INIT, out = DBUF_INIT;
    struct doc *data = NULL;
    struct tmpl *t = NULL;
    struct rmk_funcs_ctx fctx;
    struct verr e;
    int c, rc = CMD_EXIT_FAIL;
    char opt[64];

    verr_clear(&e);
    rmk_funcs_ctx_init(&fctx);
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data_path = optarg;
            break;
        case 'm':
            missingkey = optarg;
            break;
        default:
            cmd_print_help(&cmd_template_render_entry, stderr);
            return CMD_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cmd_error(&cmd_template_render_entry, "expected one template file");
        cmd_print_help(&cmd_template_render_entry, stderr);
        return CMD_EXIT_USAGE;
    }
    path = argv[optind];
    t = tmpl_new(strcmp(path, "-") == 0 ? "stdin" : base_name(path));
    if (t == NULL) {
        cmd_error(&cmd_template_render_entry, "out of memory");
        return CMD_EXIT_FAIL;
    }
    if (missingkey != NULL) {
        snprintf(opt, sizeof(opt), "missingkey=%s", missingkey);
        if (tmpl_set_option(t, opt, &e) != 0) {
            cmd_error(&cmd_template_render_entry, "%s", verr_text(&e));
            rc = CMD_EXIT_USAGE;
            goto out;
        }
    }
    for (size_t i = 0; render_libs[i].funcs != NULL; i++) {
        if (tmpl_add_funcs(t, render_libs[i].funcs, *render_libs[i].n) != 0) {
            cmd_error(&cmd_template_render_entry, "cannot register template functions");
            goto out;
        }
    }
    tmpl_set_userdata(t, &fctx);
    if (local_read_file(path, RENDER_MAX_FILE, &text, &e) != 0 ||
        (data_path != NULL && load_data(data_path, &data, &e) != 0)) {
        cmd_error(&cmd_template_render_entry, "%s", verr_text(&e));
        goto out;
    }
    if (tmpl_parse(t, text.p != NULL ? text.p : "", text.len, &e) != 0 ||
        tmpl_execute(t, NULL, data, &out, &e) != 0) {
        fprintf(stderr, "%s\n", verr_text(&e));
        goto out;
    }
    if (out.len > 0 && fwrite(out.p, 1, out.len, stdout) != out.len) {
        cmd_error(&cmd_template_render_entry, "write: %s", strerror(errno));
        goto out;
    }
    if (fflush(stdout) != 0) {
        cmd_error(&cmd_template_render_entry, "write: %s", strerror(errno));
        goto out;
    }
    rc = CMD_EXIT_OK;
out:
    tmpl_free(t);
    rmk_funcs_ctx_free(&fctx);
    doc_free(data);
    dbuf_free(&text);
    dbuf_free(&out);
    return rc;
}

const struct cmd_entry cmd_template_render_entry = {
    .name = "template render",
    .alias = NULL,
    .usage = "FILE [--data FILE] [--missingkey MODE]",
    .help = "Render a Go template (text/template with Sprig) to stdout.",
    .details = "Flags:\n"
               "  -d, --data FILE        data for \".\": YAML, or JSON when FILE ends in .json\n"
               "      --missingkey MODE  default, zero or error (Go's missingkey option)\n"
               "  -h, --help             show this help\n"
               "\nFILE may be - for stdin.  Exit status: 0 rendered, 1 template or data error,\n"
               "2 usage error.\n",
    .exec = cmd_template_render_exec,
};
