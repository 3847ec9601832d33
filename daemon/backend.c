/*
 * backend.c - the backend registry and the completion queue that delivers fetch results
 * from the event loop (see backend.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "creds/aws.h"
#include "creds/tokens.h"
#include "http.h"
#include "lib/dbuf.h"

static const struct backend *const backends[] = {
    &backend_echo,          /* */
    &backend_envsubst,      /* */
    &backend_file,          /* */
    &backend_sops,          /* */
    &backend_awssecrets,    /* */
    &backend_awsssm,        /* */
    &backend_vault,         /* */
    &backend_gcpsecrets,    /* */
    &backend_azurekeyvault, /* */
    NULL,
};

static uv_idle_t completion_idle;
static int completion_ready;
static struct backend_fetch *queue_head, *queue_tail;

const struct backend *backend_find(const char *scheme, size_t len)
{
    for (size_t i = 0; backends[i] != NULL; i++)
        if (strlen(backends[i]->scheme) == len && !memcmp(backends[i]->scheme, scheme, len))
            return backends[i];
    return NULL;
}

const char *backend_names(void)
{
    static char names[256];

    if (names[0] == '\0')
        for (size_t i = 0; backends[i] != NULL; i++)
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                     i > 0 ? ", " : "", backends[i]->scheme);
    return names;
}

size_t backend_default_locator_into(const struct ref *r, char *buf, size_t cap)
{
    size_t sl = strlen(r->scheme), kl = strlen(r->key), ql = strlen(r->query);
    size_t len = sl + 3 + kl + (ql > 0 ? 1 + ql : 0);
    char *p = buf;

    /* plain copies: this runs on every cached lookup, where printf cost more than the rest */
    if (buf == NULL || cap <= len)
        return len;
    memcpy(p, r->scheme, sl);
    memcpy(p + sl, "://", 3);
    memcpy(p + sl + 3, r->key, kl);
    p += sl + 3 + kl;
    if (ql > 0) {
        *p++ = '?';
        memcpy(p, r->query, ql);
        p += ql;
    }
    *p = '\0';
    return len;
}

int backend_default_locator(const struct ref *r, char **out)
{
    size_t len = backend_default_locator_into(r, NULL, 0);

    if ((*out = malloc(len + 1)) == NULL)
        return VALS_ENOMEM;
    backend_default_locator_into(r, *out, len + 1);
    return 0;
}

/* Deliver every queued completion (new ones queued meanwhile wait for the next turn). */
static void on_completions(uv_idle_t *h)
{
    struct backend_fetch *f = queue_head;

    queue_head = queue_tail = NULL;
    uv_idle_stop(h);
    while (f != NULL) {
        struct backend_fetch *next = f->qnext;
        f->qnext = NULL;
        f->done(f);
        f = next;
    }
}

void backend_complete(struct backend_fetch *f, int err, struct doc *value, const char *fmt, ...)
{
    va_list ap;

    f->err = err;
    f->value = value;
    f->msg[0] = '\0';
    if (fmt != NULL) {
        va_start(ap, fmt);
        vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
        va_end(ap);
    }
    f->qnext = NULL;
    if (queue_tail != NULL)
        queue_tail->qnext = f;
    else
        queue_head = f;
    queue_tail = f;
    if (completion_ready)
        uv_idle_start(&completion_idle, on_completions);
}

int backend_init(uv_loop_t *loop)
{
    if (uv_idle_init(loop, &completion_idle) != 0 || http_init(loop) != 0)
        return VALS_EINTERNAL;
    completion_ready = 1;
    return 0;
}

void backend_shutdown(void)
{
    if (completion_ready) {
        /* outstanding requests end with shutting_down; deliver those completions now, so
         * the requests waiting for them are answered and their timers closed */
        http_shutdown();
        aws_creds_clear();
        tokens_clear();
        if (queue_head != NULL)
            on_completions(&completion_idle);
        completion_ready = 0;
        uv_close((uv_handle_t *)&completion_idle, NULL);
    }
}

void backend_fetch_free(struct backend_fetch *f)
{
    if (f == NULL)
        return;
    ref_free(&f->ref);
    ctx_unref(f->ctx);
    free(f->locator);
    doc_free(f->value);
    secure_free(f->validator, f->vlen);
    free(f);
}
