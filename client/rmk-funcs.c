/*
 * rmk-funcs.c - requiredEnv, prompt and fetchSecretValue (see rmk-funcs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/dbuf.h"
#include "libvalsclient/batch.h"
#include "rmk-funcs.h"
#include "template/sprig.h"
#include "valsd/client.h"

#define PROMPT_MAX 4096

void rmk_funcs_ctx_init(struct rmk_funcs_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->tty_fd = -1;
}

void rmk_funcs_ctx_free(struct rmk_funcs_ctx *ctx)
{
    batch_free(ctx->batch);
    vals_client_close(ctx->client);
    rmk_env_free(&ctx->extra);
    if (ctx->tty_fd >= 0)
        close(ctx->tty_fd);
    memset(ctx, 0, sizeof(*ctx));
    ctx->tty_fd = -1;
}

static struct rmk_funcs_ctx *ctx_of(struct tmpl_call *call)
{
    return tmpl_call_userdata(call);
}

static int arg_string(struct tmpl_call *call, struct doc *const *argv, const char **s)
{
    if (argv[0]->type != DOC_STR)
        return tmpl_call_fail(call, "expected a string argument, got %s",
                              doc_type_name((enum doc_type)argv[0]->type));
    *s = argv[0]->v.s.ptr;
    return 0;
}

static int fn_required_env(struct tmpl_call *call, struct doc *const *argv, int argc,
                           struct doc **out)
{
    const char *name = NULL, *v;

    (void)argc;
    if (arg_string(call, argv, &name) != 0)
        return VALS_EBACKEND;
    v = getenv(name);
    if (v == NULL || v[0] == '\0')
        return tmpl_call_fail(call, "required env var `%s` is not set", name);
    *out = doc_strz(v);
    return *out != NULL ? 0 : VALS_ENOMEM;
}

/* Write the call back as template text: {{ NAME "quoted arg" }}. */
static int deferred_call(struct tmpl_call *call, const char *name, const struct doc *arg,
                         struct doc **out)
{
    struct rmk_funcs_ctx *ctx = ctx_of(call);
    struct dbuf b = DBUF_INIT;
    int rc = dbuf_printf(&b, "{{ %s ", name);

    if (rc == 0)
        rc = doc_json_quote(arg->v.s.ptr, arg->v.s.len, &b, DOC_JSON_NOHTML);
    if (rc == 0)
        rc = dbuf_adds(&b, " }}");
    if (rc == 0 && (*out = doc_str(b.p, b.len)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&b);
    if (ctx != NULL)
        ctx->deferred++;
    return rc;
}

static int fn_prompt(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)
{
    struct rmk_funcs_ctx *ctx = ctx_of(call);
    struct termios old, quiet;
    char buf[PROMPT_MAX];
    const char *name = NULL;
    size_t n = 0;
    int rc = 0;

    (void)argc;
    if (arg_string(call, argv, &name) != 0)
        return VALS_EBACKEND;
    if (ctx != NULL && ctx->defer)
        return deferred_call(call, "prompt", argv[0], out);
    if (ctx == NULL)
        return tmpl_call_fail(call, "cannot prompt for %s: no terminal", name);
    if (ctx->tty_fd < 0) {
        int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || !isatty(fd)) {
            if (fd >= 0)
                close(fd);
            return tmpl_call_fail(call, "cannot prompt for %s: no terminal to read from", name);
        }
        ctx->tty_fd = fd;
    }
    if (dprintf(ctx->tty_fd, "Enter %s: ", name) < 0 || tcgetattr(ctx->tty_fd, &old) != 0)
        return tmpl_call_fail(call, "cannot prompt for %s: %s", name, strerror(errno));
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    tcsetattr(ctx->tty_fd, TCSAFLUSH, &quiet);
    for (;;) {
        char c;
        ssize_t r = read(ctx->tty_fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == '\n')
            break;
        if (c == '\r')
            continue;
        if (n + 1 >= sizeof(buf)) {
            rc = -1;
            break;
        }
        buf[n++] = c;
    }
    tcsetattr(ctx->tty_fd, TCSAFLUSH, &old);
    if (rc != 0) {
        secure_zero(buf, sizeof(buf));
        return tmpl_call_fail(call, "answer for %s is longer than %d bytes", name, PROMPT_MAX - 1);
    }
    *out = doc_str(buf, n);
    secure_zero(buf, sizeof(buf));
    return *out != NULL ? 0 : VALS_ENOMEM;
}

/* Connect to valsd once, with the environment plus the provider's variables. */
static int ensure_client(struct rmk_funcs_ctx *ctx, struct verr *e)
{
    struct vals_client_opts o;
    char *err = NULL;
    int rc;

    if (ctx->batch != NULL)
        return 0;
    vals_client_opts_init(&o);
    o.send_env = VALS_ENV_NONE;
    if ((rc = vals_client_open(&o, &ctx->client, &err)) != 0 ||
        (rc = vals_client_send_environment(
             ctx->client, VALS_ENV_RELEVANT, (const char *const *)ctx->extra.names,
             (const char *const *)ctx->extra.values, ctx->extra.n, &err)) != 0) {
        verr_set(e, rc, "%s", err != NULL ? err : vals_strerror(rc));
        free(err);
        vals_client_close(ctx->client);
        ctx->client = NULL;
        return rc;
    }
    if ((ctx->batch = batch_new(ctx->client)) == NULL)
        return VALS_ENOMEM;
    return 0;
}

int rmk_funcs_prefetch(struct rmk_funcs_ctx *ctx, char *const *refs, size_t n, struct verr *e)
{
    int rc;

    if (n == 0)
        return 0;
    if ((rc = ensure_client(ctx, e)) != 0)
        return rc;
    ctx->fetched += n;
    return batch_prefetch(ctx->batch, (const char *const *)refs, n, e);
}

static int fn_fetch_secret_value(struct tmpl_call *call, struct doc *const *argv, int argc,
                                 struct doc **out)
{
    struct rmk_funcs_ctx *ctx = ctx_of(call);
    struct verr e = {0};
    struct doc *v = NULL;
    const char *s = NULL;
    int rc;

    (void)argc;
    if (arg_string(call, argv, &s) != 0)
        return VALS_EBACKEND;
    if (ctx == NULL)
        return tmpl_call_fail(call, "fetchSecretValue is not available here");
    if (ctx->defer)
        return deferred_call(call, "fetchSecretValue", argv[0], out);
    if ((rc = ensure_client(ctx, &e)) != 0)
        return tmpl_call_fail(call, "%s", verr_text(&e));
    rc = batch_eval_value(ctx->batch, s, argv[0]->v.s.len, 0, &v, &e);
    if (rc != 0)
        return tmpl_call_fail(call, "%s", verr_text(&e));
    if (v->type != DOC_STR) {
        /* Helmfile: "expected <v> to be string" - without printing the value */
        rc = tmpl_call_fail(call, "%.300s: expected a string, got %s", s,
                            doc_type_name((enum doc_type)v->type));
        doc_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

const struct tmpl_func rmk_funcs[] = {
    {"requiredEnv", fn_required_env, 1, 1},
    {"prompt", fn_prompt, 1, 1},
    {"fetchSecretValue", fn_fetch_secret_value, 1, 1},
};
const size_t rmk_nfuncs = sizeof(rmk_funcs) / sizeof(rmk_funcs[0]);

int rmk_funcs_register(struct tmpl *t, struct rmk_funcs_ctx *ctx)
{
    int rc = 0;

    tmpl_set_userdata(t, ctx);
    rc = tmpl_add_funcs(t, sprig_funcs, sprig_nfuncs);
    if (rc == 0)
        rc = tmpl_add_funcs(t, rmk_funcs, rmk_nfuncs);
    return rc;
}

/* Parse a Go string literal ("..." with escapes, or `raw`) at s; *end after it. */
static char *go_literal(const char *s, const char *lim, const char **end)
{
    struct dbuf b = DBUF_INIT;
    char q = *s;
    char *out;

    if (q != '"' && q != '`')
        return NULL;
    for (s++; s < lim && *s != q; s++) {
        if (q == '"' && *s == '\\' && s + 1 < lim) {
            s++;
            switch (*s) {
            case 'n':
                dbuf_addc(&b, '\n');
                break;
            case 't':
                dbuf_addc(&b, '\t');
                break;
            case '"':
            case '\\':
                dbuf_addc(&b, *s);
                break;
            default: /* rare escapes: let the template engine handle the call */
                dbuf_free(&b);
                return NULL;
            }
            continue;
        }
        if (q == '"' && *s == '\n')
            break;
        dbuf_addc(&b, *s);
    }
    if (s >= lim || *s != q) {
        dbuf_free(&b);
        return NULL;
    }
    *end = s + 1;
    out = dbuf_take(&b, NULL);
    dbuf_free(&b);
    return out;
}

int rmk_funcs_collect(const char *text, size_t len, char ***refs, size_t *n)
{
    static const char fn[] = "fetchSecretValue";
    const char *p = text, *lim = text + len;

    while ((p = memmem(p, (size_t)(lim - p), fn, sizeof(fn) - 1)) != NULL) {
        const char *q = p + sizeof(fn) - 1, *end = NULL;
        char *lit;
        int dup = 0;
        p = q;
        while (q < lim && (*q == ' ' || *q == '\t' || *q == '('))
            q++;
        if (q == p || q >= lim || (lit = go_literal(q, lim, &end)) == NULL)
            continue;
        p = end;
        if (strncmp(lit, "ref+", 4) != 0 && strncmp(lit, "secretref+", 10) != 0) {
            free(lit);
            continue;
        }
        for (size_t i = 0; i < *n && !dup; i++)
            dup = !strcmp((*refs)[i], lit);
        if (dup) {
            free(lit);
            continue;
        }
        char **nv = realloc(*refs, (*n + 1) * sizeof(char *));
        if (nv == NULL) {
            free(lit);
            return VALS_ENOMEM;
        }
        *refs = nv;
        (*refs)[(*n)++] = lit;
    }
    return 0;
}
