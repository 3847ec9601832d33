/*
 * batch.c - evaluate refs client-side with one resolve_many per nesting level
 * (see batch.h).
 */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "lib/dbuf.h"
#include "lib/doc_msgpack.h"

#define BATCH_MAX_ROUNDS (REF_MAX_NESTING + 2)

struct answer {
    char *ref; /* "ref+body" or "secretref+body" */
    int code;
    char *error;
    struct doc *value;
    struct answer *next;
};

struct batch {
    struct vals_client *c;
    struct answer *answers;
    char **pending;
    size_t npending, cap;
};

struct batch *batch_new(struct vals_client *c)
{
    struct batch *b = calloc(1, sizeof(*b));

    if (b != NULL)
        b->c = c;
    return b;
}

static void clear_pending(struct batch *b)
{
    for (size_t i = 0; i < b->npending; i++)
        free(b->pending[i]);
    b->npending = 0;
}

void batch_free(struct batch *b)
{
    struct answer *a, *next;

    if (b == NULL)
        return;
    for (a = b->answers; a != NULL; a = next) {
        next = a->next;
        free(a->ref);
        free(a->error);
        doc_free(a->value);
        free(a);
    }
    clear_pending(b);
    free(b->pending);
    free(b);
}

static struct answer *find(struct batch *b, const char *ref)
{
    for (struct answer *a = b->answers; a != NULL; a = a->next)
        if (!strcmp(a->ref, ref))
            return a;
    return NULL;
}

int batch_prefetch(struct batch *b, const char *const *refs, size_t n, struct verr *e)
{
    struct vals_item *items = NULL;
    char *err = NULL;
    int rc;

    if (n == 0)
        return 0;
    rc = vals_resolve_many(b->c, refs, n, &items, &err);
    if (rc != 0) {
        verr_set(e, rc, "%s", err != NULL ? err : vals_strerror(rc));
        free(err);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct answer *a;
        if (find(b, refs[i]) != NULL)
            continue;
        a = calloc(1, sizeof(*a));
        if (a == NULL || (a->ref = strdup(refs[i])) == NULL) {
            free(a);
            rc = VALS_ENOMEM;
            break;
        }
        a->code = items[i].code;
        if (items[i].code != 0) {
            a->error = items[i].error;
            items[i].error = NULL;
        } else if (doc_unpack(items[i].value, items[i].len, &a->value, e) != 0) {
            a->code = VALS_EBAD_REQUEST;
            a->error = strdup("malformed value from valsd");
        }
        a->next = b->answers;
        b->answers = a;
    }
    vals_items_free(items, n);
    return rc;
}

/* The lookup for lib/ref_eval.c: answers known, else remember the ref as pending. */
static int lookup(void *ctx, const char *body, size_t len, int secret, struct doc **out,
                  struct verr *e)
{
    struct batch *b = ctx;
    size_t pl = secret ? 10 : 4;
    char *ref = malloc(pl + len + 1);
    struct answer *a;

    if (ref == NULL)
        return VALS_ENOMEM;
    memcpy(ref, secret ? "secretref+" : "ref+", pl);
    memcpy(ref + pl, body, len);
    ref[pl + len] = '\0';
    a = find(b, ref);
    if (a == NULL) {
        for (size_t i = 0; i < b->npending; i++) {
            if (!strcmp(b->pending[i], ref)) {
                free(ref);
                return VALS_EPENDING;
            }
        }
        if (b->npending == b->cap) {
            size_t n = b->cap ? b->cap * 2 : 16;
            char **p = realloc(b->pending, n * sizeof(*p));
            if (p == NULL) {
                free(ref);
                return VALS_ENOMEM;
            }
            b->pending = p;
            b->cap = n;
        }
        b->pending[b->npending++] = ref;
        return VALS_EPENDING;
    }
    free(ref);
    if (a->code != 0) {
        /* the daemon's message already names the ref; drop its "code: " prefix */
        const char *msg = a->error != NULL ? a->error : vals_strerror(a->code);
        const char *colon = strstr(msg, ": ");
        return verr_set(e, a->code, "%s", colon != NULL ? colon + 2 : msg);
    }
    *out = doc_copy(a->value);
    return *out != NULL ? 0 : VALS_ENOMEM;
}

/* Run `pass` until it stops asking for refs, fetching each round's refs at once. */
static int rounds(struct batch *b,
                  int (*pass)(struct batch *, void *, struct doc **, struct verr *), void *arg,
                  struct doc **out, struct verr *e)
{
    int rc = VALS_EPENDING;

    for (int r = 0; r < BATCH_MAX_ROUNDS && rc == VALS_EPENDING; r++) {
        clear_pending(b);
        rc = pass(b, arg, out, e);
        if (rc == VALS_EPENDING) {
            int f = batch_prefetch(b, (const char *const *)b->pending, b->npending, e);
            if (f != 0)
                return f;
        }
    }
    if (rc == VALS_EPENDING)
        return verr_set(e, VALS_EBAD_REF, "maximum nesting depth (%d) exceeded", REF_MAX_NESTING);
    return rc;
}

struct doc_args {
    const struct doc *in;
    int inline_refs;
};

static int doc_pass(struct batch *b, void *arg, struct doc **out, struct verr *e)
{
    struct doc_args *a = arg;
    struct ref_eval ev = {lookup, b, 0, 0, a->inline_refs};

    return ref_eval_doc(&ev, a->in, out, e);
}

int batch_eval_doc(struct batch *b, const struct doc *in, int inline_refs, struct doc **out,
                   struct verr *e)
{
    struct doc_args a = {in, inline_refs};

    return rounds(b, doc_pass, &a, out, e);
}

struct str_args {
    const char *s;
    size_t len;
    int expand_all;
};

static int str_pass(struct batch *b, void *arg, struct doc **out, struct verr *e)
{
    struct str_args *a = arg;
    struct ref_eval ev = {lookup, b, 0, 0, 1};

    return a->expand_all ? ref_expand_string(&ev, a->s, a->len, out, e)
                         : ref_eval_value(&ev, a->s, a->len, out, e);
}

int batch_eval_value(struct batch *b, const char *s, size_t len, int expand_all, struct doc **out,
                     struct verr *e)
{
    struct str_args a = {s, len, expand_all};

    return rounds(b, str_pass, &a, out, e);
}
