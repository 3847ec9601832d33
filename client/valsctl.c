/*
 * valsctl.c - the daemon's command line: vals-compatible `get` and `eval`, plus `ping`,
 * `stats` and `flush`.  Exit status: 0 success, 1 a ref could not be resolved (stderr
 * names the ref and the reason), 2 usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/doc.h"
#include "lib/doc_msgpack.h"
#include "lib/local_refs.h"
#include "libvalsclient/batch.h"
#include "valsd/client.h"

#define EXIT_FAIL  1
#define EXIT_USAGE 2

struct global {
    const char *socket;
    int autostart;
    int timeout_ms;
};

struct vcmd {
    const char *name;
    const char *usage;
    const char *help;
    int (*exec)(struct global *g, int argc, char **argv);
};

static int cmd_get(struct global *g, int argc, char **argv);
static int cmd_eval(struct global *g, int argc, char **argv);
static int cmd_env(struct global *g, int argc, char **argv);
static int cmd_exec(struct global *g, int argc, char **argv);
static int cmd_ping(struct global *g, int argc, char **argv);
static int cmd_stats(struct global *g, int argc, char **argv);
static int cmd_flush(struct global *g, int argc, char **argv);

static const struct vcmd commands[] = {
    {"get", "STRING", "print STRING with every ref+ inside it expanded (vals get)", cmd_get},
    {"eval", "-f FILE|- [-o yaml|json] [--inline]",
     "print the YAML/JSON documents with every standalone ref resolved (vals eval); key order\n"
     "and comments are kept; --inline also expands refs inside larger strings",
     cmd_eval},
    {"env", "-f FILE|- [--export]",
     "print KEY=VALUE lines (shell-quoted as vals does) for a map of refs; every value must\n"
     "resolve to a string",
     cmd_env},
    {"exec", "-f FILE|- [-i] -- COMMAND [ARGS]",
     "run COMMAND (no shell) with the resolved map as its environment; -i also passes this\n"
     "process's environment (otherwise the child gets only the resolved variables)",
     cmd_exec},
    {"ping", "", "check that valsd answers", cmd_ping},
    {"stats", "", "print the cache counters", cmd_stats},
    {"flush", "[--ref REF | --prefix PREFIX]",
     "drop cached entries: all of them, one ref's, or those whose locator starts with PREFIX",
     cmd_flush},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "Usage: valsctl [--socket PATH] [--no-start] [--timeout MS] COMMAND [ARGS]\n\n"
               "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].usage);
    fprintf(
        f, "\nGlobal options:\n"
           "  --socket PATH  valsd's socket (default: $VALSD_SOCKET, else\n"
           "                 $XDG_RUNTIME_DIR/valsd/valsd.sock, else /tmp/valsd-<uid>/valsd.sock)\n"
           "  --no-start     do not start valsd when nothing answers\n"
           "  --timeout MS   give up on a request after MS milliseconds\n"
           "\nRun 'valsctl COMMAND --help' for details. Exit status: 0 ok, 1 a ref could not\n"
           "be resolved, 2 usage error.\n");
}

static int command_help(const struct vcmd *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("Usage: valsctl %s %s\n\n%s\n", c->name, c->usage, c->help);
            return 1;
        }
    }
    return 0;
}

/* Connect; the whole environment is the context (what vals itself would see). */
static struct vals_client *connect_or_die(struct global *g)
{
    struct vals_client_opts o;
    struct vals_client *c = NULL;
    char *err = NULL;

    vals_client_opts_init(&o);
    o.socket_path = g->socket;
    o.autostart = g->autostart;
    o.timeout_ms = g->timeout_ms;
    o.send_env = VALS_ENV_ALL;
    if (vals_client_open(&o, &c, &err) != 0) {
        fprintf(stderr, "valsctl: %s\n", err != NULL ? err : "cannot connect to valsd");
        free(err);
        exit(EXIT_FAIL);
    }
    return c;
}

static int cmd_get(struct global *g, int argc, char **argv)
{
    struct vals_client *c;
    struct batch *b;
    struct doc *out = NULL;
    struct dbuf text = DBUF_INIT;
    struct verr e = {0};
    int rc;

    if (argc != 2) {
        fprintf(stderr, "valsctl get: expected one STRING\n");
        return EXIT_USAGE;
    }
    if (!ref_contains(argv[1], strlen(argv[1]))) {
        fputs(argv[1], stdout);
        return 0;
    }
    c = connect_or_die(g);
    b = batch_new(c);
    rc = b != NULL ? batch_eval_value(b, argv[1], strlen(argv[1]), 1, &out, &e) : VALS_ENOMEM;
    if (rc == 0 && doc_format_gov(out, &text) == 0)
        fwrite(text.p, 1, text.len, stdout);
    else
        fprintf(stderr, "valsctl get: %s\n", verr_text(&e));
    dbuf_free(&text);
    doc_free(out);
    batch_free(b);
    vals_client_close(c);
    return rc == 0 ? 0 : EXIT_FAIL;
}

/* vals drops documents whose root has no children: empty, comment-only, plain scalars. */
static int has_children(const struct doc *d)
{
    if (d->type == DOC_MAP) {
        for (size_t i = 0; i < d->v.map.len; i++)
            if (d->v.map.items[i].key->type != DOC_COMMENT)
                return 1;
    } else if (d->type == DOC_LIST) {
        for (size_t i = 0; i < d->v.list.len; i++)
            if (d->v.list.items[i]->type != DOC_COMMENT)
                return 1;
    }
    return 0;
}

static int cmd_eval(struct global *g, int argc, char **argv)
{
    static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"inline", no_argument, NULL, 'i'},
                                         {NULL, 0, NULL, 0}};
    const char *file = NULL, *format = "yaml";
    int inline_refs = 0, ch, rc = 0;
    struct dbuf in = DBUF_INIT, out = DBUF_INIT;
    struct doc_stream st = {0};
    struct verr e = {0};
    struct vals_client *c = NULL;
    struct batch *b = NULL;
    size_t emitted = 0;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "f:o:", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            file = optarg;
            break;
        case 'o':
            format = optarg;
            break;
        case 'i':
            inline_refs = 1;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (file == NULL || optind != argc || (strcmp(format, "yaml") && strcmp(format, "json"))) {
        fprintf(stderr, "valsctl eval: usage: valsctl eval -f FILE|- [-o yaml|json] [--inline]\n");
        return EXIT_USAGE;
    }
    if ((rc = local_read_file(file, 256u << 20, &in, &e)) != 0 ||
        (rc = doc_parse_yaml(in.p, in.len, strcmp(file, "-") ? file : "<stdin>", DOC_YAML_COMMENTS,
                             &st, &e)) != 0) {
        fprintf(stderr, "valsctl eval: %s\n", verr_text(&e));
        dbuf_free(&in);
        return EXIT_FAIL;
    }
    for (size_t i = 0; i < st.len && rc == 0; i++) {
        struct doc *res = NULL;
        if (!has_children(st.docs[i]))
            continue;
        if (c == NULL) {
            c = connect_or_die(g);
            b = batch_new(c);
            if (b == NULL) {
                rc = VALS_ENOMEM;
                break;
            }
        }
        rc = batch_eval_doc(b, st.docs[i], inline_refs, &res, &e);
        if (rc != 0)
            break;
        if (emitted++ > 0)
            dbuf_adds(&out, "---\n");
        if (!strcmp(format, "json")) {
            rc = doc_emit_json(res, &out, DOC_JSON_NOHTML);
            dbuf_addc(&out, '\n');
        } else {
            rc = doc_emit_yaml(res, &out, 0);
        }
        if (rc != 0)
            verr_set(&e, rc, "cannot write document %zu as %s", i + 1, format);
        doc_free(res);
    }
    if (rc == 0)
        fwrite(out.p != NULL ? out.p : "", 1, out.len, stdout);
    else
        fprintf(stderr, "valsctl eval: %s\n", verr_text(&e));
    batch_free(b);
    vals_client_close(c);
    doc_stream_free(&st);
    dbuf_free(&in);
    dbuf_free(&out);
    return rc == 0 ? 0 : EXIT_FAIL;
}

/* Read a YAML/JSON map of NAME: ref-or-value and resolve it; every value a string. */
static int resolve_env_map(struct global *g, const char *file, struct doc **out, struct verr *e)
{
    struct dbuf in = DBUF_INIT;
    struct doc_stream st = {0};
    struct vals_client *c = NULL;
    struct batch *b = NULL;
    int rc;

    *out = NULL;
    if ((rc = local_read_file(file, 256u << 20, &in, e)) != 0 ||
        (rc = doc_parse_yaml(in.p, in.len, strcmp(file, "-") ? file : "<stdin>", 0, &st, e)) != 0)
        goto out;
    if (st.len != 1 || st.docs[0]->type != DOC_MAP) {
        rc = verr_set(e, VALS_EPARSE, "%s: expected one map of NAME: value", file);
        goto out;
    }
    c = connect_or_die(g);
    if ((b = batch_new(c)) == NULL) {
        rc = VALS_ENOMEM;
        goto out;
    }
    if ((rc = batch_eval_doc(b, st.docs[0], 0, out, e)) != 0)
        goto out;
    for (size_t i = 0; i < (*out)->v.map.len; i++) {
        const struct doc_pair *p = &(*out)->v.map.items[i];
        if (p->key->type == DOC_COMMENT)
            continue;
        if (p->key->type != DOC_STR || p->val->type != DOC_STR) {
            rc = verr_set(e, VALS_ETYPE, "%s:%u: %s must resolve to a string, got a %s", file,
                          p->key->line, p->key->type == DOC_STR ? p->key->v.s.ptr : "key",
                          doc_type_name((enum doc_type)p->val->type));
            break;
        }
    }
out:
    if (rc != 0) {
        doc_free(*out);
        *out = NULL;
    }
    batch_free(b);
    vals_client_close(c);
    doc_stream_free(&st);
    dbuf_free(&in);
    return rc;
}

/* vals' QuotedEnv: single-quote values with characters outside [A-Za-z0-9_@%+=:,./-]. */
static void print_env_value(const char *v)
{
    int plain = 1;

    for (const char *p = v; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("_@%+=:,./-", *p) != NULL;
    if (plain) {
        fputs(v, stdout);
        return;
    }
    putchar('\'');
    for (const char *p = v; *p; p++)
        if (*p == '\'')
            fputs("'\"'\"'", stdout);
        else
            putchar(*p);
    putchar('\'');
}

static int cmd_env(struct global *g, int argc, char **argv)
{
    static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                         {"export", no_argument, NULL, 'x'},
                                         {NULL, 0, NULL, 0}};
    const char *file = NULL;
    int export = 0, ch, rc;
    struct doc *m = NULL;
    struct verr e = {0};

    optind = 1;
    while ((ch = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
        if (ch == 'f')
            file = optarg;
        else if (ch == 'x')
            export = 1;
        else
            return EXIT_USAGE;
    }
    if (file == NULL || optind != argc) {
        fprintf(stderr, "valsctl env: usage: valsctl env -f FILE|- [--export]\n");
        return EXIT_USAGE;
    }
    if ((rc = resolve_env_map(g, file, &m, &e)) != 0) {
        fprintf(stderr, "valsctl env: %s\n", verr_text(&e));
        return EXIT_FAIL;
    }
    for (size_t i = 0; i < m->v.map.len; i++) {
        const struct doc_pair *p = &m->v.map.items[i];
        if (p->key->type == DOC_COMMENT)
            continue;
        printf("%s%s=", export ? "export " : "", p->key->v.s.ptr);
        print_env_value(p->val->v.s.ptr);
        putchar('\n');
    }
    doc_free(m);
    return 0;
}

static int cmd_exec(struct global *g, int argc, char **argv)
{
    static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                         {"inherit", no_argument, NULL, 'i'},
                                         {NULL, 0, NULL, 0}};
    const char *file = NULL;
    int inherit = 0, ch;
    struct doc *m = NULL;
    struct verr e = {0};

    optind = 1;
    while ((ch = getopt_long(argc, argv, "+f:i", opts, NULL)) != -1) {
        if (ch == 'f')
            file = optarg;
        else if (ch == 'i')
            inherit = 1;
        else
            return EXIT_USAGE;
    }
    if (file == NULL || optind >= argc) {
        fprintf(stderr, "valsctl exec: usage: valsctl exec -f FILE|- [-i] -- COMMAND [ARGS]\n");
        return EXIT_USAGE;
    }
    if (resolve_env_map(g, file, &m, &e) != 0) {
        fprintf(stderr, "valsctl exec: %s\n", verr_text(&e));
        return EXIT_FAIL;
    }
    if (!inherit)
        clearenv();
    for (size_t i = 0; i < m->v.map.len; i++) {
        const struct doc_pair *p = &m->v.map.items[i];
        if (p->key->type != DOC_COMMENT && setenv(p->key->v.s.ptr, p->val->v.s.ptr, 1) != 0) {
            fprintf(stderr, "valsctl exec: cannot set %s\n", p->key->v.s.ptr);
            doc_free(m);
            return EXIT_FAIL;
        }
    }
    doc_free(m);
    execvp(argv[optind], argv + optind);
    fprintf(stderr, "valsctl exec: cannot run %s: %s\n", argv[optind], strerror(errno));
    return 127;
}

static int cmd_ping(struct global *g, int argc, char **argv)
{
    struct vals_client *c;
    char *err = NULL;
    int rc;

    (void)argv;
    if (argc != 1)
        return EXIT_USAGE;
    c = connect_or_die(g);
    rc = vals_ping(c, &err);
    if (rc == 0)
        printf("pong\n");
    else
        fprintf(stderr, "valsctl ping: %s\n", err);
    free(err);
    vals_client_close(c);
    return rc == 0 ? 0 : EXIT_FAIL;
}

static int cmd_stats(struct global *g, int argc, char **argv)
{
    struct vals_client *c;
    char *err = NULL, *res = NULL;
    size_t len = 0;
    struct doc *d = NULL;
    struct dbuf out = DBUF_INIT;
    int rc;

    (void)argv;
    if (argc != 1)
        return EXIT_USAGE;
    c = connect_or_die(g);
    rc = vals_stats(c, &res, &len, &err);
    if (rc == 0 && doc_unpack(res, len, &d, NULL) == 0 && doc_emit_yaml(d, &out, 0) == 0)
        fwrite(out.p, 1, out.len, stdout);
    else
        fprintf(stderr, "valsctl stats: %s\n", err != NULL ? err : "bad answer");
    doc_free(d);
    dbuf_free(&out);
    vals_free(res);
    free(err);
    vals_client_close(c);
    return rc == 0 ? 0 : EXIT_FAIL;
}

static int cmd_flush(struct global *g, int argc, char **argv)
{
    static const struct option opts[] = {{"ref", required_argument, NULL, 'r'},
                                         {"prefix", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    const char *ref = NULL, *prefix = NULL;
    struct vals_client *c;
    char *err = NULL;
    uint64_t n = 0;
    int ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'r')
            ref = optarg;
        else if (ch == 'p')
            prefix = optarg;
        else
            return EXIT_USAGE;
    }
    if (optind != argc || (ref != NULL && prefix != NULL)) {
        fprintf(stderr, "valsctl flush: give --ref or --prefix, not both\n");
        return EXIT_USAGE;
    }
    c = connect_or_die(g);
    rc = vals_cache_clear(c, ref, prefix, &n, &err);
    if (rc == 0)
        printf("%llu entries dropped\n", (unsigned long long)n);
    else
        fprintf(stderr, "valsctl flush: %s\n", err);
    free(err);
    vals_client_close(c);
    return rc == 0 ? 0 : EXIT_FAIL;
}

int main(int argc, char **argv)
{
    struct global g = {NULL, 1, 0};
    int i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
            g.socket = argv[++i];
        } else if (!strncmp(argv[i], "--socket=", 9)) {
            g.socket = argv[i] + 9;
        } else if (!strcmp(argv[i], "--no-start")) {
            g.autostart = 0;
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            g.timeout_ms = (int)strtol(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
            printf("valsctl %s\n", VALS_VERSION);
            return 0;
        } else {
            fprintf(stderr, "valsctl: unknown option %s\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    for (size_t k = 0; k < NCOMMANDS; k++) {
        if (!strcmp(commands[k].name, argv[i])) {
            if (command_help(&commands[k], argc - i, argv + i))
                return 0;
            return commands[k].exec(&g, argc - i, argv + i);
        }
    }
    fprintf(stderr, "valsctl: unknown command \"%s\"\n", argv[i]);
    usage(stderr);
    return EXIT_USAGE;
}
