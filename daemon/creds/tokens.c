/*
 * creds/tokens.c - the cache of fetched tokens with in-flight sharing (see tokens.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/dbuf.h"
#include "tokens.h"

struct tokens_waiter {
    tokens_cb cb;
    void *data;
    struct tokens_waiter *next;
};

struct tokens_fetch {
    unsigned char key[32];
    char *value; /* when !pending */
    int64_t refresh_at;
    int pending;
    struct tokens_waiter *waiters, **tail;
    uint64_t used;
    struct tokens_fetch *next;
};

static struct tokens_fetch *entries;
static size_t nentries;
static uint64_t clock_tick;

static struct tokens_fetch *find(const unsigned char key[32])
{
    for (struct tokens_fetch *t = entries; t != NULL; t = t->next)
        if (!memcmp(t->key, key, 32))
            return t;
    return NULL;
}

static void unlink_free(struct tokens_fetch *t)
{
    struct tokens_fetch **pp = &entries;

    while (*pp != NULL && *pp != t)
        pp = &(*pp)->next;
    if (*pp == t) {
        *pp = t->next;
        nentries--;
    }
    secure_free_str(t->value);
    free(t);
}

/* Make room: drop the least recently used entry that is not being fetched. */
static void evict(void)
{
    struct tokens_fetch *victim = NULL;

    for (struct tokens_fetch *t = entries; t != NULL; t = t->next)
        if (!t->pending && (victim == NULL || t->used < victim->used))
            victim = t;
    if (victim != NULL)
        unlink_free(victim);
}

int tokens_get(const unsigned char key[32], tokens_start_fn start, void *start_arg, tokens_cb cb,
               void *data, char **now, struct verr *e)
{
    struct tokens_fetch *t = find(key);
    struct tokens_waiter *w;
    int rc;

    *now = NULL;
    if (t != NULL && !t->pending) {
        if ((int64_t)time(NULL) < t->refresh_at) {
            t->used = ++clock_tick;
            if ((*now = strdup(t->value)) == NULL)
                return verr_set(e, VALS_ENOMEM, "out of memory");
            return 1;
        }
        unlink_free(t); /* due for renewal */
        t = NULL;
    }
    if ((w = calloc(1, sizeof(*w))) == NULL)
        return verr_set(e, VALS_ENOMEM, "out of memory");
    w->cb = cb;
    w->data = data;
    if (t == NULL) {
        if (nentries >= TOKENS_MAX)
            evict();
        if ((t = calloc(1, sizeof(*t))) == NULL) {
            free(w);
            return verr_set(e, VALS_ENOMEM, "out of memory");
        }
        memcpy(t->key, key, 32);
        t->pending = 1;
        t->tail = &t->waiters;
        t->used = ++clock_tick;
        t->next = entries;
        entries = t;
        nentries++;
        if ((rc = start(start_arg, t, e)) != 0) {
            free(w);
            unlink_free(t);
            return rc;
        }
    }
    *t->tail = w; /* waiters are served in arrival order */
    t->tail = &w->next;
    return 0;
}

void tokens_done(struct tokens_fetch *t, int err, const char *msg, const char *value,
                 int64_t refresh_at)
{
    struct tokens_waiter *w = t->waiters;
    char *copy = NULL;

    /* settle the entry first: a waiter may use the cache again (or forget this entry) */
    t->pending = 0;
    t->waiters = NULL;
    t->tail = &t->waiters;
    t->refresh_at = refresh_at;
    if (err == 0 && ((t->value = strdup(value)) == NULL || (copy = strdup(value)) == NULL)) {
        err = VALS_ENOMEM;
        msg = "out of memory";
    }
    if (err != 0)
        unlink_free(t);
    while (w != NULL) {
        struct tokens_waiter *next = w->next;
        w->cb(w->data, err, msg, copy);
        free(w);
        w = next;
    }
    secure_free_str(copy);
}

void tokens_forget(const unsigned char key[32])
{
    struct tokens_fetch *t = find(key);

    if (t != NULL && !t->pending)
        unlink_free(t);
}

void tokens_clear(void)
{
    struct tokens_fetch *t = entries;

    while (t != NULL) {
        struct tokens_fetch *next = t->next;
        if (!t->pending)
            unlink_free(t);
        t = next;
    }
}

size_t tokens_count(void)
{
    return nentries;
}
