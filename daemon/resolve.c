/*
 * resolve.c - the resolution methods (resolve, resolve_many, eval) and the job engine
 * behind them.
 *
 * A job evaluates its input with lib/ref_eval.c through a lookup that answers from the
 * job's own table of refs.  A ref seen for the first time is looked up in the cache; a hit
 * answers at once, a miss starts (or joins) a backend fetch and the lookup says "pending".
 * When every pending ref of a pass has arrived, the job evaluates again; nested refs need
 * one more pass per level.  So all refs of a document are fetched concurrently, and a
 * cached request completes in one synchronous pass without touching a timer.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "daemon.h"
#include "lib/doc_msgpack.h"
#include "log.h"
#include "methods.h"

enum job_kind { JOB_RESOLVE, JOB_MANY, JOB_EVAL };
enum item_state { ITEM_WAIT = 1, ITEM_DONE = 2 };

#define JOB_BUCKETS      64
#define JOB_MAX_ROUNDS   (REF_MAX_NESTING + 2)
#define JOB_ITEMS_INLINE 4 /* items a job lists without allocating (a resolve has one) */

struct job;

struct item {
    struct job *job;
    char *body; /* points to text[] */
    size_t len;
    int state;
    int err;
    char *msg;
    struct doc *value; /* the selected value (owned) */
    /* or, for a cache hit, the value inside the cache entry: valid only until control
     * returns to the loop, so own_values() copies it before a job goes (or stays) async */
    const struct doc *borrowed;
    char *fragment; /* NULL: string mode */
    int cached, stale;
    uint64_t age_ms;
    struct cache_waiter w;
    struct item *hnext;
    char text[]; /* the body, NUL-terminated: one allocation per item */
};

struct result {
    int done;
    int err;
    char *msg;
    struct doc *value;
};

struct job {
    unsigned refs;
    enum job_kind kind;
    struct conn *conn;
    uint32_t msgid;
    int notify;
    int async;
    int finished;
    struct ctx *ctx;
    uint32_t timeout_ms, max_age_s;
    int refresh, meta, inline_refs;
    /* resolve / resolve_many: the strings are borrowed from the request while it is being
     * dispatched, and copied (inputs_owned) only if the job outlives that (async) */
    const char **inputs;
    size_t *inlens;
    size_t ninputs;
    struct result *results;
    int inputs_owned;
    const char *input1; /* storage for one input: inputs/inlens/results point here */
    size_t inlen1;
    struct result result1;
    struct doc *doc; /* eval input */
    struct doc *out; /* eval output */
    int eval_err;
    char *eval_msg;
    struct item *buckets[JOB_BUCKETS];
    struct item **items; /* items_inline until more are needed */
    size_t nitems, capitems;
    struct item *items_inline[JOB_ITEMS_INLINE];
    size_t waiting;
    int rounds;
    uv_timer_t timer;
    int timer_started;
};

static void job_continue(struct job *j);
static void own_values(struct job *j);

static uint64_t hash_body(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void job_unref(struct job *j)
{
    if (--j->refs > 0)
        return;
    for (size_t i = 0; i < j->nitems; i++) {
        struct item *it = j->items[i];
        free(it->msg);
        free(it->fragment);
        doc_free(it->value);
        free(it);
    }
    if (j->items != j->items_inline)
        free(j->items);
    for (size_t i = 0; i < j->ninputs; i++) {
        if (j->inputs_owned)
            free((char *)j->inputs[i]);
        if (j->results != NULL) {
            free(j->results[i].msg);
            doc_free(j->results[i].value);
        }
    }
    if (j->inputs != &j->input1) {
        free(j->inputs);
        free(j->inlens);
        free(j->results);
    }
    doc_free(j->doc);
    doc_free(j->out);
    free(j->eval_msg);
    ctx_unref(j->ctx);
    conn_unref(j->conn);
    free(j);
}

static void item_fail(struct item *it, int err, const char *fmt, const char *detail)
{
    char buf[1024];

    it->state = ITEM_DONE;
    it->err = err;
    snprintf(buf, sizeof(buf), fmt, it->body, detail);
    free(it->msg);
    it->msg = strdup(buf);
}

/* "ref+BODY" of an item into name (cut to size), for messages. */
static void item_refname(const struct item *it, char *name, size_t size)
{
    size_t n = it->len < size - 5 ? it->len : size - 5;

    memcpy(name, "ref+", 4);
    memcpy(name + 4, it->body, n);
    name[4 + n] = '\0';
}

/* Take the value for an item out of a filled cache entry: a copy, or with `borrow` a
 * pointer into the entry (see struct item). */
static void item_select(struct item *it, struct cache_entry *e, int cached, int borrow)
{
    const char *msg = NULL;
    int err = cache_entry_error(e, &msg);
    const struct doc *val, *sel = NULL;
    struct verr ve;
    char name[REF_MAX_LEN + 8];

    verr_clear(&ve); /* cleared, not "= {0}": zeroing its 1 KiB per request shows in the profile */
    it->cached = cached;
    it->stale = cache_entry_stale(e);
    it->age_ms = cache_entry_age_ms(e, daemon_now_ms());
    if (err != 0) {
        item_fail(it, err, "ref+%s: %s", msg != NULL ? msg : vals_strerror(err));
        return;
    }
    val = cache_entry_value(e);
    if (it->fragment != NULL) {
        item_refname(it, name, sizeof(name));
        if ((err = ref_walk(val, it->fragment, name, &sel, &ve)) != 0) {
            it->state = ITEM_DONE;
            it->err = err;
            it->msg = strdup(ve.msg);
            return;
        }
        val = sel;
    }
    if (borrow) {
        it->borrowed = val;
        it->state = ITEM_DONE;
        return;
    }
    it->value = doc_copy(val);
    it->state = ITEM_DONE;
    if (it->value == NULL)
        item_fail(it, VALS_ENOMEM, "ref+%s: %s", "out of memory");
}

/* A cache waiter fired: the entry this item waited for is filled. */
static void item_ready(void *data, struct cache_entry *e)
{
    struct item *it = data;
    struct job *j = it->job;

    item_select(it, e, 0, 0);
    j->waiting--;
    if (j->waiting == 0 && !j->finished)
        job_continue(j);
    job_unref(j);
}

/* Fetch completion for entries of the cache. */
struct fetch_start {
    const struct backend *backend;
    struct ref *ref;
    enum backend_mode mode;
    struct ctx *ctx;
    const char *locator;
};

static void on_cache_fetch_done(struct backend_fetch *f)
{
    struct cache_entry *e = f->data;

    if (f->err == 0 && f->validator != NULL)
        cache_entry_set_validator(e, f->validator, f->vlen);
    if (f->err != 0)
        log_info("fetch %s failed: %s", f->locator, vals_err_name(f->err));
    else
        log_debug("fetched %s", f->locator);
    cache_fill(valsd.cache, e, f->err, f->msg, f->value, daemon_now_ms());
    f->value = NULL;
    backend_fetch_free(f);
}

static int start_fetch(void *arg, struct cache *c, struct cache_entry *e)
{
    struct fetch_start *s = arg;
    struct backend_fetch *f = calloc(1, sizeof(*f));
    int rc;

    (void)c;
    if (f == NULL)
        return VALS_ENOMEM;
    f->backend = s->backend;
    f->ref = *s->ref; /* moved */
    memset(s->ref, 0, sizeof(*s->ref));
    f->mode = s->mode;
    f->ctx = ctx_ref(s->ctx);
    f->locator = strdup(s->locator);
    f->loop = valsd.loop;
    f->done = on_cache_fetch_done;
    f->data = e;
    if (f->locator == NULL) {
        backend_fetch_free(f);
        return VALS_ENOMEM;
    }
    if ((rc = s->backend->fetch(f)) != 0)
        backend_fetch_free(f);
    return rc;
}

/* Completion of an uncached (NOCACHE backend) fetch. */
static void on_direct_fetch_done(struct backend_fetch *f)
{
    struct item *it = f->data;
    struct job *j = it->job;
    const struct doc *sel = NULL;
    struct verr ve = {0};
    char name[REF_MAX_LEN + 8];

    if (f->err != 0) {
        item_fail(it, f->err, "ref+%s: %s", f->msg[0] ? f->msg : vals_strerror(f->err));
    } else if (it->fragment != NULL) {
        item_refname(it, name, sizeof(name));
        if ((it->err = ref_walk(f->value, it->fragment, name, &sel, &ve)) != 0) {
            it->msg = strdup(ve.msg);
        } else if ((it->value = doc_copy(sel)) == NULL) {
            it->err = VALS_ENOMEM;
        }
        it->state = ITEM_DONE;
    } else {
        it->value = f->value;
        f->value = NULL;
        it->state = ITEM_DONE;
    }
    backend_fetch_free(f);
    j->waiting--;
    if (j->waiting == 0 && !j->finished)
        job_continue(j);
    job_unref(j);
}

int resolve_locator(const char *refstr, size_t len, struct ctx *ctx, char **locator, struct verr *e)
{
    struct ref r;
    const struct backend *b;
    const char *body = refstr;
    int rc;

    if (len >= 4 && !memcmp(body, "ref+", 4)) {
        body += 4;
        len -= 4;
    } else if (len >= 10 && !memcmp(body, "secretref+", 10)) {
        body += 10;
        len -= 10;
    }
    if ((rc = ref_parse(body, len, &r, e)) != 0)
        return rc;
    b = backend_find(r.scheme, strlen(r.scheme));
    if (b == NULL)
        rc = verr_set(e, VALS_EUNSUPPORTED_BACKEND, "no provider registered for scheme \"%s\"",
                      r.scheme);
    else if (b->locate != NULL)
        rc = b->locate(&r, ctx, locator, e);
    else
        rc = backend_default_locator(&r, locator);
    ref_free(&r);
    return rc;
}

#define KEY_STACK 512 /* cache keys up to this size are built on the stack */

/*
 * The cache key "<scope> <m|s> <locator>" of a ref, in buf (cap bytes) when it fits, else
 * in *heap (malloc'ed, the caller frees).  `locator` is the backend's own locator, or
 * NULL for the default one, which is then written straight into the key.  *key and
 * *klen describe the key; its locator part starts at *key + *locoff.
 */
static int make_key(const struct ctx *ctx, const struct backend *b, const struct ref *r, int map,
                    const char *locator, char *buf, size_t cap, char **heap, char **key,
                    size_t *klen, size_t *locoff)
{
    char scope[33];
    size_t sl, ll, need;
    char *k = buf;

    ctx_scope(ctx, b->env_prefixes, scope); /* memoized in the context */
    sl = strlen(scope);
    ll = locator != NULL ? strlen(locator) : backend_default_locator_into(r, NULL, 0);
    need = sl + 3 + ll + 1;
    if (need > cap) {
        if ((k = malloc(need)) == NULL)
            return VALS_ENOMEM;
        *heap = k;
    }
    memcpy(k, scope, sl);
    k[sl] = ' ';
    k[sl + 1] = map ? 'm' : 's';
    k[sl + 2] = ' ';
    if (locator != NULL)
        memcpy(k + sl + 3, locator, ll + 1);
    else
        backend_default_locator_into(r, k + sl + 3, ll + 1);
    *key = k;
    *klen = sl + 3 + ll;
    *locoff = sl + 3;
    return 0;
}

/* Begin resolving a new item: from the cache when possible, else by fetching. */
static void item_start(struct job *j, struct item *it)
{
    struct ref r;
    struct verr ve;
    const struct backend *b;
    char *locator = NULL, *key = NULL, *heapkey = NULL, kbuf[KEY_STACK];
    size_t klen, locoff;
    int rc;

    verr_clear(&ve); /* cleared, not "= {0}": zeroing its 1 KiB per request shows in the profile */
    if ((rc = ref_parse(it->body, it->len, &r, &ve)) != 0) {
        if (ve.msg[0] == '\0') { /* never an error that does not name the ref */
            item_fail(it, rc, "ref+%s: %s", vals_strerror(rc));
            return;
        }
        it->state = ITEM_DONE;
        it->err = rc;
        it->msg = strdup(ve.msg);
        return;
    }
    b = backend_find(r.scheme, strlen(r.scheme));
    if (b == NULL) {
        char msg[256];
        snprintf(msg, sizeof(msg), "no provider registered for scheme \"%s\" (valsd serves %s)",
                 r.scheme, backend_names());
        item_fail(it, VALS_EUNSUPPORTED_BACKEND, "ref+%s: %s", msg);
        goto out;
    }
    if ((b->flags & BACKEND_LOCAL_FS) && j->conn->uid != valsd.uid) {
        item_fail(it, VALS_ELOCAL_ONLY, "ref+%s: %s",
                  "valsd opens files only for its own user; resolve this ref in the client");
        goto out;
    }
    if (r.fragment != NULL && (it->fragment = strdup(r.fragment)) == NULL) {
        item_fail(it, VALS_ENOMEM, "ref+%s: %s", "out of memory");
        goto out;
    }
    /* a backend's own locator, or for uncached fetches the default one (the fetch owns
     * it); the cached path writes the default locator straight into its key */
    rc = b->locate != NULL              ? b->locate(&r, j->ctx, &locator, &ve)
         : (b->flags & BACKEND_NOCACHE) ? backend_default_locator(&r, &locator)
                                        : 0;
    if (rc != 0) {
        if (ve.msg[0] == '\0') {
            item_fail(it, rc, "ref+%s: %s", vals_strerror(rc));
            goto out;
        }
        it->state = ITEM_DONE;
        it->err = rc;
        it->msg = strdup(ve.msg);
        goto out;
    }
    if (b->flags & BACKEND_NOCACHE) {
        struct backend_fetch *f = calloc(1, sizeof(*f));
        if (f == NULL) {
            item_fail(it, VALS_ENOMEM, "ref+%s: %s", "out of memory");
            goto out;
        }
        f->backend = b;
        f->ref = r;
        memset(&r, 0, sizeof(r));
        f->mode = it->fragment != NULL ? BACKEND_MAP : BACKEND_STRING;
        f->ctx = ctx_ref(j->ctx);
        f->locator = locator;
        locator = NULL;
        f->loop = valsd.loop;
        f->done = on_direct_fetch_done;
        f->data = it;
        if ((rc = b->fetch(f)) != 0) {
            backend_fetch_free(f);
            item_fail(it, rc, "ref+%s: %s", vals_strerror(rc));
            goto out;
        }
        it->state = ITEM_WAIT;
        j->waiting++;
        j->refs++;
        goto out;
    }
    if (make_key(j->ctx, b, &r, it->fragment != NULL, locator, kbuf, sizeof(kbuf), &heapkey, &key,
                 &klen, &locoff) != 0) {
        item_fail(it, VALS_ENOMEM, "ref+%s: %s", "out of memory");
        goto out;
    }
    {
        const char *loc = key + locoff;
        struct cache_policy pol = {
            .ttl_s = config_backend_ttl(&valsd.cfg, b->scheme, b->default_ttl_s),
            .max_age_s = j->max_age_s,
            .max_stale_s = valsd.cfg.max_stale_s,
            .negative_s = valsd.cfg.negative_ttl_s,
            .refresh = j->refresh,
        };
        struct fetch_start fs = {b, &r, it->fragment != NULL ? BACKEND_MAP : BACKEND_STRING, j->ctx,
                                 loc};
        struct cache_entry *hit = NULL;
        it->w.cb = item_ready;
        it->w.data = it;
        for (int attempt = 0; attempt < 2; attempt++) {
            rc = cache_request(valsd.cache, key, klen, daemon_now_ms(), &pol, start_fetch, &fs,
                               &it->w, &hit);
            if (rc != CACHE_HIT || b->fresh == NULL)
                break;
            size_t vlen;
            const void *v = cache_entry_validator(hit, &vlen);
            if (v == NULL || b->fresh(loc, v, vlen))
                break;
            cache_invalidate(valsd.cache, hit); /* the source changed: fetch again */
        }
        if (rc == CACHE_HIT) {
            /* a hit is used within this synchronous pass: borrow it, unless the backend
             * validates entries (a later item of this pass could then invalidate it) */
            item_select(it, hit, 1, b->fresh == NULL);
        } else if (rc == CACHE_WAIT) {
            it->state = ITEM_WAIT;
            j->waiting++;
            j->refs++;
        } else {
            item_fail(it, rc, "ref+%s: %s", vals_strerror(rc));
        }
    }
out:
    ref_free(&r);
    free(locator);
    free(heapkey);
}

/* The lookup given to lib/ref_eval.c. */
static int job_lookup(void *ctx, const char *body, size_t len, int secret, struct doc **out,
                      struct verr *e)
{
    struct job *j = ctx;
    uint64_t h = hash_body(body, len);
    struct item *it;

    (void)secret;
    for (it = j->buckets[h % JOB_BUCKETS]; it != NULL; it = it->hnext)
        if (it->len == len && !memcmp(it->body, body, len))
            break;
    if (it == NULL) {
        if (j->nitems == j->capitems) {
            size_t n = j->capitems * 2;
            struct item **p = j->items == j->items_inline ? malloc(n * sizeof(*p))
                                                          : realloc(j->items, n * sizeof(*p));
            if (p == NULL)
                return VALS_ENOMEM;
            if (j->items == j->items_inline)
                memcpy(p, j->items_inline, sizeof(j->items_inline));
            j->items = p;
            j->capitems = n;
        }
        if ((it = calloc(1, sizeof(*it) + len + 1)) == NULL)
            return VALS_ENOMEM;
        it->body = it->text;
        memcpy(it->body, body, len);
        it->body[len] = '\0';
        it->len = len;
        it->job = j;
        it->hnext = j->buckets[h % JOB_BUCKETS];
        j->buckets[h % JOB_BUCKETS] = it;
        j->items[j->nitems++] = it;
        item_start(j, it);
    }
    if (it->state == ITEM_WAIT)
        return VALS_EPENDING;
    if (it->err != 0)
        return verr_set(e, it->err, "%s", it->msg != NULL ? it->msg : vals_strerror(it->err));
    *out = doc_copy(it->borrowed != NULL ? it->borrowed : it->value);
    return *out != NULL ? 0 : VALS_ENOMEM;
}

/* One evaluation pass; returns VALS_EPENDING while refs are outstanding. */
static int job_pass(struct job *j)
{
    struct ref_eval ev = {job_lookup, j, 0, 0, j->inline_refs};
    int pending = 0;

    j->rounds++;
    if (j->kind == JOB_EVAL) {
        struct verr e = {0};
        struct doc *out = NULL;
        int rc = ref_eval_doc(&ev, j->doc, &out, &e);
        if (rc == VALS_EPENDING)
            return rc;
        j->out = out;
        j->eval_err = rc;
        if (rc != 0)
            j->eval_msg = strdup(e.msg[0] ? e.msg : vals_strerror(rc));
        return 0;
    }
    for (size_t i = 0; i < j->ninputs; i++) {
        struct result *res = &j->results[i];
        struct verr e;
        struct doc *out = NULL;
        int rc;
        if (res->done)
            continue;
        verr_clear(
            &e); /* cleared, not "= {0}": zeroing its 1 KiB per request shows in the profile */
        if (j->inputs[i] == NULL) { /* could not be kept when the job went async */
            res->done = 1;
            res->err = VALS_ENOMEM;
            continue;
        }
        rc = ref_eval_value(&ev, j->inputs[i], j->inlens[i], &out, &e);
        if (rc == VALS_EPENDING) {
            pending = 1;
            continue;
        }
        res->done = 1;
        res->err = rc;
        res->value = out;
        if (rc != 0)
            res->msg = strdup(e.msg[0] ? e.msg : vals_strerror(rc));
    }
    return pending ? VALS_EPENDING : 0;
}

/* Meta of a resolve: cached only if every ref came from the cache; the oldest age. */
static void pack_meta(struct job *j, msgpack_packer *pk, const struct doc *value)
{
    int cached = 1, stale = 0;
    uint64_t age = 0;

    for (size_t i = 0; i < j->nitems; i++) {
        cached &= j->items[i]->cached;
        stale |= j->items[i]->stale;
        if (j->items[i]->age_ms > age)
            age = j->items[i]->age_ms;
    }
    msgpack_pack_map(pk, 4);
    rpc_pack_cstr(pk, "value");
    doc_pack(value, pk);
    rpc_pack_cstr(pk, "cached");
    cached ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    rpc_pack_cstr(pk, "stale");
    stale ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    rpc_pack_cstr(pk, "age_ms");
    msgpack_pack_uint64(pk, age);
}

static void job_reply(struct job *j)
{
    msgpack_packer *pk;

    if (j->notify)
        return;
    if (j->kind == JOB_RESOLVE && j->results[0].err != 0) {
        conn_reply_error(j->conn, j->msgid, j->results[0].err, j->results[0].msg);
        return;
    }
    if (j->kind == JOB_EVAL && j->eval_err != 0) {
        conn_reply_error(j->conn, j->msgid, j->eval_err, j->eval_msg);
        return;
    }
    if ((pk = conn_result_begin(j->conn, j->msgid)) == NULL)
        return;
    switch (j->kind) {
    case JOB_RESOLVE:
        if (j->meta)
            pack_meta(j, pk, j->results[0].value);
        else
            doc_pack(j->results[0].value, pk);
        break;
    case JOB_MANY:
        msgpack_pack_array(pk, j->ninputs);
        for (size_t i = 0; i < j->ninputs; i++) {
            msgpack_pack_array(pk, 2);
            if (j->results[i].err != 0) {
                char text[1200];
                snprintf(text, sizeof(text), "%s: %s", vals_err_name(j->results[i].err),
                         j->results[i].msg ? j->results[i].msg : "");
                rpc_pack_cstr(pk, text);
                msgpack_pack_nil(pk);
            } else {
                msgpack_pack_nil(pk);
                doc_pack(j->results[i].value, pk);
            }
        }
        break;
    case JOB_EVAL:
        doc_pack(j->out, pk);
        break;
    }
}

static void on_timer_close(uv_handle_t *h)
{
    job_unref(h->data);
}

static void job_finish(struct job *j)
{
    j->finished = 1;
    if (j->timer_started) {
        uv_timer_stop(&j->timer);
        uv_close((uv_handle_t *)&j->timer, on_timer_close);
    }
    if (j->async) {
        conn_flush(j->conn);
        conn_request_done(j->conn);
    }
}

/* The first ref still outstanding (for timeout messages). */
static const char *first_waiting(struct job *j)
{
    for (size_t i = 0; i < j->nitems; i++)
        if (j->items[i]->state == ITEM_WAIT)
            return j->items[i]->body;
    return "?";
}

static void on_timeout(uv_timer_t *t)
{
    struct job *j = t->data;
    char msg[600];

    if (j->finished)
        return;
    snprintf(msg, sizeof(msg), "no answer within %u ms (waiting for ref+%.400s)", j->timeout_ms,
             first_waiting(j));
    log_info("request timed out waiting for ref+%.400s", first_waiting(j));
    if (!j->notify)
        conn_reply_error(j->conn, j->msgid, VALS_ETIMEOUT, msg);
    job_finish(j);
    job_unref(j); /* the request's reference */
}

static void job_continue(struct job *j)
{
    int rc;

    j->refs++;
    do {
        rc = job_pass(j);
    } while (rc == VALS_EPENDING && j->waiting == 0 && j->rounds < JOB_MAX_ROUNDS);
    if (rc == VALS_EPENDING && j->waiting == 0) {
        /* cannot make progress: should not happen, fail rather than hang */
        if (!j->notify)
            conn_reply_error(j->conn, j->msgid, VALS_EINTERNAL, "resolution made no progress");
        job_finish(j);
        job_unref(j);
    } else if (rc != VALS_EPENDING) {
        job_reply(j);
        job_finish(j);
        job_unref(j); /* the request's reference */
    } else {
        own_values(j); /* still waiting: back to the loop */
    }
    job_unref(j);
}

/* Options: {env, timeout_ms, max_age_s, refresh, meta, inline}. */
static int parse_opts(struct job *j, const msgpack_object *o, struct verr *e)
{
    if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
        return 0;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
        char name[32];
        if (k->type != MSGPACK_OBJECT_STR || k->via.str.size >= sizeof(name))
            return verr_set(e, VALS_EBAD_REQUEST, "option names must be strings");
        snprintf(name, sizeof(name), "%.*s", (int)k->via.str.size, k->via.str.ptr);
        if (!strcmp(name, "env")) {
            struct doc *env = NULL;
            struct ctx *ctx = NULL;
            int rc;
            if (v->type != MSGPACK_OBJECT_MAP || doc_from_msgpack(v, &env) != 0)
                return verr_set(e, VALS_EBAD_REQUEST, "opts.env must be a map of strings");
            rc = ctx_from_doc(j->conn->uid, env, &ctx, e);
            doc_free(env);
            if (rc != 0)
                return rc;
            ctx_unref(j->ctx);
            j->ctx = ctx;
        } else if (!strcmp(name, "timeout_ms") || !strcmp(name, "max_age_s")) {
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 > 86400000)
                return verr_set(e, VALS_EBAD_REQUEST, "opts.%s must be a non-negative integer",
                                name);
            if (name[0] == 't')
                j->timeout_ms = (uint32_t)v->via.u64;
            else
                j->max_age_s = (uint32_t)v->via.u64;
        } else if (!strcmp(name, "refresh") || !strcmp(name, "meta") || !strcmp(name, "inline")) {
            if (v->type != MSGPACK_OBJECT_BOOLEAN)
                return verr_set(e, VALS_EBAD_REQUEST, "opts.%s must be a boolean", name);
            if (name[0] == 'r')
                j->refresh = v->via.boolean;
            else if (name[0] == 'm')
                j->meta = v->via.boolean;
            else
                j->inline_refs = v->via.boolean;
        } else {
            return verr_set(e, VALS_EBAD_REQUEST, "unknown option \"%s\"", name);
        }
    }
    return 0;
}

static struct job *job_new(struct req *r, enum job_kind kind)
{
    struct job *j = calloc(1, sizeof(*j));

    if (j == NULL)
        return NULL;
    j->refs = 1;
    j->kind = kind;
    j->conn = conn_ref(r->conn);
    j->msgid = r->msgid;
    j->notify = r->notify;
    j->ctx = ctx_ref(r->conn->ctx);
    j->timeout_ms = valsd.cfg.timeout_ms;
    j->items = j->items_inline;
    j->capitems = JOB_ITEMS_INLINE;
    return j;
}

/* The job outlives its request's dispatch: copy the borrowed input strings.  One that
 * cannot be copied is dropped (NULL) and later fails with out of memory. */
static void own_inputs(struct job *j)
{
    if (j->inputs_owned)
        return;
    for (size_t i = 0; i < j->ninputs; i++) {
        char *p = malloc(j->inlens[i] + 1);
        if (p != NULL) {
            memcpy(p, j->inputs[i], j->inlens[i]);
            p[j->inlens[i]] = '\0';
        }
        j->inputs[i] = p;
    }
    j->inputs_owned = 1;
}

/* The job goes (or stays) asynchronous: copy the values it borrowed from cache entries,
 * which may change or go once control is back in the loop. */
static void own_values(struct job *j)
{
    for (size_t i = 0; i < j->nitems; i++) {
        struct item *it = j->items[i];
        if (it->borrowed == NULL)
            continue;
        it->value = doc_copy(it->borrowed);
        it->borrowed = NULL;
        if (it->value == NULL)
            item_fail(it, VALS_ENOMEM, "ref+%s: %s", "out of memory");
    }
}

/* Run the first pass; reply now or go asynchronous. */
static int job_start(struct job *j)
{
    int rc = job_pass(j);

    while (rc == VALS_EPENDING && j->waiting == 0 && j->rounds < JOB_MAX_ROUNDS)
        rc = job_pass(j);
    if (rc != VALS_EPENDING) {
        job_reply(j);
        j->finished = 1;
        job_unref(j);
        return 0;
    }
    own_inputs(j);
    own_values(j);
    j->async = 1;
    if (j->timeout_ms > 0 && uv_timer_init(valsd.loop, &j->timer) == 0) {
        j->timer.data = j;
        j->timer_started = 1;
        j->refs++; /* the timer handle's reference, dropped in its close callback */
        uv_timer_start(&j->timer, on_timeout, j->timeout_ms, 0);
    }
    return METHOD_ASYNC;
}

static int start_with_inputs(struct req *r, enum job_kind kind, const msgpack_object *list,
                             size_t n, const msgpack_object *opts)
{
    struct job *j = job_new(r, kind);
    int rc;

    if (j == NULL)
        return VALS_ENOMEM;
    if (n <= 1) {
        j->inputs = &j->input1;
        j->inlens = &j->inlen1;
        j->results = &j->result1;
    } else {
        j->inputs = calloc(n, sizeof(*j->inputs));
        j->inlens = calloc(n, sizeof(*j->inlens));
        j->results = calloc(n, sizeof(*j->results));
        if (j->inputs == NULL || j->inlens == NULL || j->results == NULL) {
            job_unref(j);
            return VALS_ENOMEM;
        }
    }
    for (size_t i = 0; i < n; i++) { /* borrowed: see own_inputs */
        j->inputs[i] = list[i].via.str.ptr;
        j->inlens[i] = list[i].via.str.size;
        j->ninputs++;
    }
    if ((rc = parse_opts(j, opts, &r->err)) != 0) {
        job_unref(j);
        return rc;
    }
    if (kind == JOB_RESOLVE && !ref_contains(j->inputs[0], j->inlens[0])) {
        rc = verr_set(&r->err, VALS_EBAD_REF, "\"%.*s\" contains no ref+ or secretref+ reference",
                      (int)(j->inlens[0] < 200 ? j->inlens[0] : 200), j->inputs[0]);
        job_unref(j);
        return rc;
    }
    return job_start(j);
}

int method_resolve(struct req *r)
{
    return start_with_inputs(r, JOB_RESOLVE, &r->args[0], 1, r->nargs > 1 ? &r->args[1] : NULL);
}

int method_resolve_many(struct req *r)
{
    return start_with_inputs(r, JOB_MANY, r->args[0].via.array.ptr, r->args[0].via.array.size,
                             r->nargs > 1 ? &r->args[1] : NULL);
}

int method_eval(struct req *r)
{
    struct job *j = job_new(r, JOB_EVAL);
    int rc;

    if (j == NULL)
        return VALS_ENOMEM;
    if (doc_from_msgpack(&r->args[0], &j->doc) != 0) {
        job_unref(j);
        return verr_set(&r->err, VALS_EBAD_REQUEST, "eval: the document has unsupported types");
    }
    if ((rc = parse_opts(j, r->nargs > 1 ? &r->args[1] : NULL, &r->err)) != 0) {
        job_unref(j);
        return rc;
    }
    return job_start(j);
}
