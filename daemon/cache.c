/*
 * cache.c - TTL + LRU document cache with fetch coalescing, stale serving and negative
 * entries (see cache.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "lib/dbuf.h"
#include "valsd/errors.h"

struct cache_entry {
    char *key;
    size_t keylen;
    uint64_t hash;
    struct cache_entry *hnext;               /* hash chain */
    struct cache_entry *lru_prev, *lru_next; /* most recently used first */
    int in_table;
    int fetching;
    int busy;      /* its waiters are being woken: may be removed, not freed */
    int has_value; /* a value or an error is stored */
    int err;
    char *msg;
    struct doc *value;
    uint64_t filled_ms, expires_ms;
    uint32_t ttl_s, max_stale_s, negative_s;
    int keep_on_error; /* the running fetch is an explicit refresh */
    int stale;
    size_t bytes;
    void *validator;
    size_t vlen;
    struct cache_waiter *waiters, *wtail;
    size_t nwaiters;
};

struct cache {
    struct cache_entry **buckets;
    size_t nbuckets;
    struct cache_entry *lru_head, *lru_tail;
    struct cache_stats st;
};

static uint64_t hash_key(const char *k, size_t len)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ull;
    }
    return h;
}

struct cache *cache_new(uint64_t max_bytes)
{
    struct cache *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->nbuckets = 1024;
    c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
    if (c->buckets == NULL) {
        free(c);
        return NULL;
    }
    c->st.max_bytes = max_bytes;
    return c;
}

void cache_set_max_bytes(struct cache *c, uint64_t max_bytes)
{
    c->st.max_bytes = max_bytes;
}

static size_t doc_bytes(const struct doc *d)
{
    size_t n = sizeof(*d);

    if (d == NULL)
        return 0;
    switch (d->type) {
    case DOC_STR:
    case DOC_COMMENT:
        n += d->v.s.len + 1;
        break;
    case DOC_LIST:
        n += d->v.list.cap * sizeof(struct doc *);
        for (size_t i = 0; i < d->v.list.len; i++)
            n += doc_bytes(d->v.list.items[i]);
        break;
    case DOC_MAP:
        n += d->v.map.cap * sizeof(struct doc_pair);
        for (size_t i = 0; i < d->v.map.len; i++)
            n += doc_bytes(d->v.map.items[i].key) + doc_bytes(d->v.map.items[i].val);
        break;
    default:
        break;
    }
    return n;
}

static void lru_unlink(struct cache *c, struct cache_entry *e)
{
    if (e->lru_prev != NULL)
        e->lru_prev->lru_next = e->lru_next;
    else if (c->lru_head == e)
        c->lru_head = e->lru_next;
    if (e->lru_next != NULL)
        e->lru_next->lru_prev = e->lru_prev;
    else if (c->lru_tail == e)
        c->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_front(struct cache *c, struct cache_entry *e)
{
    if (c->lru_head == e)
        return;
    lru_unlink(c, e);
    e->lru_next = c->lru_head;
    if (c->lru_head != NULL)
        c->lru_head->lru_prev = e;
    c->lru_head = e;
    if (c->lru_tail == NULL)
        c->lru_tail = e;
}

static void entry_clear_value(struct cache *c, struct cache_entry *e)
{
    doc_free(e->value);
    e->value = NULL;
    free(e->msg);
    e->msg = NULL;
    c->st.bytes -= e->bytes;
    e->bytes = 0;
    e->has_value = 0;
    e->err = 0;
}

static void entry_free(struct cache *c, struct cache_entry *e)
{
    entry_clear_value(c, e);
    secure_free(e->validator, e->vlen);
    free(e->key);
    free(e);
}

/* Take e out of the table and the LRU list; free it unless a fetch or a wake-up still
 * refers to it. */
static void entry_remove(struct cache *c, struct cache_entry *e)
{
    if (e->in_table) {
        struct cache_entry **pp = &c->buckets[e->hash % c->nbuckets];
        while (*pp != e)
            pp = &(*pp)->hnext;
        *pp = e->hnext;
        e->in_table = 0;
        lru_unlink(c, e);
        c->st.entries--;
    }
    if (!e->fetching && !e->busy)
        entry_free(c, e);
}

void cache_free(struct cache *c)
{
    if (c == NULL)
        return;
    for (size_t b = 0; b < c->nbuckets; b++) {
        struct cache_entry *e = c->buckets[b], *next;
        for (; e != NULL; e = next) {
            next = e->hnext;
            entry_free(c, e);
        }
    }
    free(c->buckets);
    free(c);
}

static struct cache_entry *find(struct cache *c, const char *key, size_t len, uint64_t h)
{
    for (struct cache_entry *e = c->buckets[h % c->nbuckets]; e != NULL; e = e->hnext)
        if (e->hash == h && e->keylen == len && memcmp(e->key, key, len) == 0)
            return e;
    return NULL;
}

static void grow_table(struct cache *c)
{
    size_t n = c->nbuckets * 2;
    struct cache_entry **b = calloc(n, sizeof(*b));

    if (b == NULL)
        return; /* keep the longer chains */
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct cache_entry *e = c->buckets[i], *next;
        for (; e != NULL; e = next) {
            next = e->hnext;
            e->hnext = b[e->hash % n];
            b[e->hash % n] = e;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

static void add_waiter(struct cache_entry *e, struct cache_waiter *w)
{
    w->next = NULL;
    if (e->wtail != NULL)
        e->wtail->next = w;
    else
        e->waiters = w;
    e->wtail = w;
    e->nwaiters++;
}

int cache_request(struct cache *c, const char *key, size_t keylen, uint64_t now_ms,
                  const struct cache_policy *pol, cache_fetch_fn fetch, void *fetch_arg,
                  struct cache_waiter *w, struct cache_entry **hit)
{
    uint64_t h = hash_key(key, keylen);
    struct cache_entry *e = find(c, key, keylen, h);
    int rc, created = 0;

    *hit = NULL;
    if (e != NULL && e->has_value && !pol->refresh) {
        int fresh = now_ms < e->expires_ms;
        if (fresh && pol->max_age_s != 0 && e->err == 0 &&
            now_ms - e->filled_ms > (uint64_t)pol->max_age_s * 1000)
            fresh = 0;
        if (fresh) {
            c->st.hits++;
            if (e->err != 0)
                c->st.negative_hits++;
            lru_front(c, e);
            *hit = e;
            return CACHE_HIT;
        }
    }
    if (e != NULL && e->fetching) {
        c->st.coalesced++;
        add_waiter(e, w);
        return CACHE_WAIT;
    }
    c->st.misses++;
    if (e == NULL) {
        e = calloc(1, sizeof(*e));
        if (e == NULL || (e->key = malloc(keylen + 1)) == NULL) {
            free(e);
            return VALS_ENOMEM;
        }
        memcpy(e->key, key, keylen);
        e->key[keylen] = '\0';
        e->keylen = keylen;
        e->hash = h;
        e->hnext = c->buckets[h % c->nbuckets];
        c->buckets[h % c->nbuckets] = e;
        e->in_table = 1;
        c->st.entries++;
        lru_front(c, e);
        created = 1;
        if (c->st.entries > c->nbuckets)
            grow_table(c);
    }
    e->ttl_s = pol->ttl_s;
    e->max_stale_s = pol->max_stale_s;
    e->negative_s = pol->negative_s;
    e->keep_on_error = pol->refresh && e->has_value && e->err == 0;
    e->fetching = 1;
    add_waiter(e, w);
    c->st.fetches++;
    rc = fetch(fetch_arg, c, e);
    if (rc != 0) {
        /* a fetch that cannot start: nobody will fill; undo */
        e->fetching = 0;
        e->waiters = e->wtail = NULL;
        e->nwaiters = 0;
        c->st.errors++;
        if (created)
            entry_remove(c, e);
        return rc;
    }
    return CACHE_WAIT;
}

/* Errors after which an older value is still worth serving. */
static int transient(int err)
{
    return err == VALS_EBACKEND || err == VALS_ETIMEOUT || err == VALS_ETHROTTLED ||
           err == VALS_EINTERNAL || err == VALS_EIO || err == VALS_ENOMEM;
}

static void evict(struct cache *c, struct cache_entry *keep)
{
    struct cache_entry *e = c->lru_tail;

    while (c->st.bytes > c->st.max_bytes && e != NULL) {
        struct cache_entry *prev = e->lru_prev;
        if (e != keep && !e->fetching) {
            c->st.evictions++;
            entry_remove(c, e);
        }
        e = prev;
    }
}

void cache_fill(struct cache *c, struct cache_entry *e, int err, const char *msg, struct doc *value,
                uint64_t now_ms)
{
    struct cache_waiter *w;
    size_t nw = e->nwaiters;

    e->fetching = 0;
    e->stale = 0;
    if (err == 0) {
        entry_clear_value(c, e);
        e->value = value;
        e->has_value = 1;
        e->filled_ms = now_ms;
        e->expires_ms = now_ms + (uint64_t)e->ttl_s * 1000;
        e->bytes = doc_bytes(value) + e->keylen + sizeof(*e);
        c->st.bytes += e->bytes;
    } else {
        doc_free(value);
        c->st.errors++;
        if (e->has_value && e->err == 0 &&
            (e->keep_on_error ||
             (transient(err) && now_ms < e->expires_ms + (uint64_t)e->max_stale_s * 1000))) {
            /* keep the last good value: a refresh failed */
            e->stale = !e->keep_on_error;
            if (e->stale)
                c->st.stale_served += nw;
        } else {
            entry_clear_value(c, e);
            e->has_value = 1;
            e->err = err;
            e->msg = strdup(msg != NULL ? msg : vals_strerror(err));
            e->filled_ms = now_ms;
            /* remember definitive answers briefly; retry transient failures next time */
            e->expires_ms = (err == VALS_ENOT_FOUND || err == VALS_EDENIED)
                                ? now_ms + (uint64_t)e->negative_s * 1000
                                : now_ms;
            e->bytes = e->keylen + sizeof(*e) + (e->msg ? strlen(e->msg) : 0);
            c->st.bytes += e->bytes;
        }
    }
    if (e->keep_on_error && err != 0) {
        /* the refresh requester gets the error, the entry keeps its value */
        e->keep_on_error = 0;
        struct cache_entry tmp = *e;
        tmp.in_table = 0; /* a copy: nothing may unlink or free it */
        tmp.busy = 1;
        tmp.has_value = 1;
        tmp.err = err;
        tmp.msg = (char *)(msg != NULL ? msg : vals_strerror(err));
        w = e->waiters;
        e->waiters = e->wtail = NULL;
        e->nwaiters = 0;
        e->busy = 1;
        while (w != NULL) {
            struct cache_waiter *next = w->next;
            w->cb(w->data, &tmp);
            w = next;
        }
        e->busy = 0;
        if (!e->in_table && !e->fetching)
            entry_free(c, e);
        return;
    }
    e->keep_on_error = 0;
    if (e->in_table)
        evict(c, e);
    w = e->waiters;
    e->waiters = e->wtail = NULL;
    e->nwaiters = 0;
    e->busy = 1; /* a waiter may invalidate or clear e: keep it until all are woken */
    while (w != NULL) {
        struct cache_waiter *next = w->next;
        w->cb(w->data, e);
        w = next;
    }
    e->busy = 0;
    if (!e->in_table && !e->fetching)
        entry_free(c, e);
}

int cache_entry_error(const struct cache_entry *e, const char **msg)
{
    if (msg != NULL)
        *msg = e->msg;
    return e->err;
}

const struct doc *cache_entry_value(const struct cache_entry *e)
{
    return e->value;
}

uint64_t cache_entry_age_ms(const struct cache_entry *e, uint64_t now_ms)
{
    return now_ms > e->filled_ms ? now_ms - e->filled_ms : 0;
}

int cache_entry_stale(const struct cache_entry *e)
{
    return e->stale;
}

void cache_entry_set_validator(struct cache_entry *e, const void *v, size_t len)
{
    secure_free(e->validator, e->vlen);
    e->validator = NULL;
    e->vlen = 0;
    if (v != NULL && len > 0 && (e->validator = malloc(len)) != NULL) {
        memcpy(e->validator, v, len);
        e->vlen = len;
    }
}

const void *cache_entry_validator(const struct cache_entry *e, size_t *len)
{
    *len = e->vlen;
    return e->validator;
}

void cache_invalidate(struct cache *c, struct cache_entry *e)
{
    if (!e->fetching)
        entry_remove(c, e);
    else
        e->expires_ms = 0;
}

const char *cache_key_locator(const char *key)
{
    const char *p = strchr(key, ' ');

    if (p == NULL)
        return key;
    p = strchr(p + 1, ' ');
    return p != NULL ? p + 1 : key;
}

uint64_t cache_clear(struct cache *c, const char *match, int exact)
{
    uint64_t n = 0;
    size_t mlen = match != NULL ? strlen(match) : 0;

    for (size_t b = 0; b < c->nbuckets; b++) {
        struct cache_entry *e = c->buckets[b], *next;
        for (; e != NULL; e = next) {
            const char *loc = cache_key_locator(e->key);
            next = e->hnext;
            if (match != NULL && (exact ? strcmp(loc, match) != 0 : strncmp(loc, match, mlen) != 0))
                continue;
            entry_remove(c, e);
            n++;
        }
    }
    return n;
}

void cache_get_stats(const struct cache *c, struct cache_stats *s)
{
    *s = c->st;
}
