/*
 * test_cache.c - daemon/cache.c with a fake clock (the now_ms argument) and a fake
 * fetcher that records the fetches it was asked to start, so each test decides when and
 * how they complete: hits and misses, TTL expiry, coalescing of concurrent misses,
 * negative entries, transient errors, stale serving bounded by max_stale, explicit
 * refresh, LRU eviction by bytes, cache_clear (also during a fetch), and the counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/cache.h"

#define S 1000ull /* one second of the fake clock */

/* The fake backend: fetches waiting to be completed by the test. */
struct fetcher {
    struct cache_entry *started[64];
    size_t nstarted;
    int fail_start; /* return this from the fetch function */
};

static int fake_fetch(void *arg, struct cache *c, struct cache_entry *e)
{
    struct fetcher *f = arg;

    (void)c;
    if (f->fail_start != 0)
        return f->fail_start;
    assert_true(f->nstarted < 64);
    f->started[f->nstarted++] = e;
    return 0;
}

/* A waiter that records what it saw. */
struct seen {
    struct cache_waiter w;
    int calls;
    int err;
    char value[64];
    int stale;
    uint64_t order; /* global call order */
};

static uint64_t call_counter;

static void on_ready(void *data, struct cache_entry *e)
{
    struct seen *s = data;
    const struct doc *v;

    s->calls++;
    s->order = ++call_counter;
    s->err = cache_entry_error(e, NULL);
    s->stale = cache_entry_stale(e);
    s->value[0] = '\0';
    v = cache_entry_value(e);
    if (s->err == 0 && v != NULL && v->type == DOC_STR)
        snprintf(s->value, sizeof(s->value), "%s", v->v.s.ptr);
}

static void seen_init(struct seen *s)
{
    memset(s, 0, sizeof(*s));
    s->w.cb = on_ready;
    s->w.data = s;
}

static const struct cache_policy default_pol = {
    .ttl_s = 10, .max_age_s = 0, .max_stale_s = 60, .negative_s = 5, .refresh = 0};

/* Request `key` at time `now`; returns the cache_request result and fills hit_value with
 * a hit's string value (or its error in *hit_err). */
static int request(struct cache *c, struct fetcher *f, const char *key, uint64_t now,
                   const struct cache_policy *pol, struct seen *s, char *hit_value, int *hit_err)
{
    struct cache_entry *hit = NULL;
    int rc = cache_request(c, key, strlen(key), now, pol != NULL ? pol : &default_pol, fake_fetch,
                           f, &s->w, &hit);

    if (rc == CACHE_HIT) {
        const struct doc *v;
        assert_non_null(hit);
        if (hit_err != NULL)
            *hit_err = cache_entry_error(hit, NULL);
        v = cache_entry_value(hit);
        if (hit_value != NULL)
            snprintf(hit_value, 64, "%s", v != NULL && v->type == DOC_STR ? v->v.s.ptr : "");
    } else {
        assert_null(hit);
    }
    return rc;
}

/* Complete the i-th started fetch with a string value or an error. */
static void complete(struct cache *c, struct fetcher *f, size_t i, const char *value, int err,
                     uint64_t now)
{
    assert_true(i < f->nstarted);
    cache_fill(c, f->started[i], err, err != 0 ? "fake backend says no" : NULL,
               value != NULL ? doc_strz(value) : NULL, now);
}

static struct cache_stats stats(struct cache *c)
{
    struct cache_stats s;

    cache_get_stats(c, &s);
    return s;
}

/* A miss starts one fetch; the waiter gets the value; the next request is a hit. */
static void test_miss_then_hit(void **state)
{
    struct cache *c = cache_new(1 << 20);
    struct fetcher f = {0};
    struct seen s1, s2;
    char v[64];
    int err = 99;

    (void)state;
    seen_init(&s1);
    seen_init(&s2);
    assert_int_equal(request(c, &f, "scope s echo://a", 0, NULL, &s1, v, &err), CACHE_WAIT);
    assert_int_equal(f.nstarted, 1);
    assert_int_equal(s1.calls, 0); /* never called from inside cache_request */
    complete(c, &f, 0, "A", 0, 5);
    assert_int_equal(s1.calls, 1);
    assert_int_equal(s1.err, 0);
    assert_string_equal(s1.value, "A");
    assert_int_equal(request(c, &f, "scope s echo://a", 1 * S, NULL, &s2, v, &err), CACHE_HIT);
    assert_string_equal(v, "A");
    assert_int_equal(err, 0);
    assert_int_equal(s2.calls, 0);
    assert_int_equal(f.nstarted, 1);
    /* another key is another entry */
    assert_int_equal(request(c, &f, "scope s echo://b", 1 * S, NULL, &s2, v, &err), CACHE_WAIT);
    assert_int_equal(f.nstarted, 2);
    complete(c, &f, 1, "B", 0, 1 * S);
    assert_string_equal(s2.value, "B");

    struct cache_stats st = stats(c);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.fetches, 2);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.coalesced, 0);
    assert_int_equal(st.errors, 0);
    assert_true(st.bytes > 0);
    cache_free(c);
}

/* Fresh strictly before filled + ttl; at the TTL a new fetch starts. */
static void test_ttl_expiry(void **state)
{
    struct cache *c = cache_new(1 << 20);
    struct fetcher f = {0};
    struct seen s;
    char v[64];

    (void)state;
    seen_init(&s);
    request(c, &f, "k s echo://t", 100 * S, NULL, &s, v, NULL);
    complete(c, &f, 0, "old", 0, 100 * S);
    assert_int_equal(request(c, &f, "k s echo://t", 110 * S - 1, NULL, &s, v, NULL), CACHE_HIT);
    assert_string_equal(v, "old");
    assert_int_equal(request(c, &f, "k s echo://t", 110 * S, NULL, &s, v, NULL), CACHE_WAIT);
    assert_int_equal(f.nstarted, 2);
    /* the entry keeps its old value while the new fetch runs; the fill replaces it */
    complete(c, &f, 1, "new", 0, 111 * S);
    assert_string_equal(s.value, "new");
    assert_int_equal(request(c, &f, "k s echo://t", 120 * S, NULL, &s, v, NULL), CACHE_HIT);
    assert_string_equal(v, "new");
    assert_int_equal(stats(c).entries, 1);
    cache_free(c);
}

/* A per-request max age makes an otherwise fresh entry a miss. */
static void test_max_age(void **state)
{
    struct cache *c = cache_new(1 << 20);
    struct fetcher f = {0};
    struct cache_policy pol = default_pol;
    struct seen s;
    char v[64];

    (void)state;
    seen_init(&s);
    pol.ttl_s = 300;
    request(c, &f, "k s echo://m", 0, &pol, &s, v, NULL);
    complete(c, &f, 0, "v", 0, 0);
    pol.max_age_s = 5;
    assert_int_equal(request(c, &f, "k s echo://m", 5 * S, &pol, &s, v, NULL), CACHE_HIT);
    assert_int_equal(request(c, &f, "k s echo://m", 5 * S + 1, &pol, &s, v, NULL), CACHE_WAIT);
    complete(c, &f, 1, "v2", 0, 6 * S);
    pol.max_age_s = 0;
    assert_int_equal(request(c, &f, "k s echo://m", 7 * S, &pol, &s, v, NULL), CACHE_HIT);
    assert_string_equal(v, "v2");
    cache_free(c);
}

/* Concurrent misses on one key share one fetch; every waiter is woken, in order. */
static void test_coalescing(void **state)
{
    struct cache *c = cache_new(1 << 20);
    struct fetcher f = {0};
    struct seen s[6];

    (void)state;
    for (int i = 0; i < 6; i++) {
        seen_init(&s[i]);
        assert_int_equal(request(c, &f, "k s echo://shared", (uint64_t)i, NULL, &s[i], NULL, NULL),
                         CACHE_WAIT);
    }
    assert_int_equal(f.nstarted, 1);
    assert_int_equal(stats(c).coalesced, 5);
    assert_int_equal(stats(c).misses, 1);
    complete(c, &f, 0, "one", 0, 10);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(s[i].calls, 1);
        assert_string_equal(s[i].value, "one");
        if (i > 0)
            assert_true(s[i].order > s[i - 1].order);
    }
    /* an error is shared just the same */
    for (int i = 0; i < 3; i++) {
        seen_init(&s[i]);
        request(c, &f, "k s echo://bad", 20, NULL, &s[i], NULL, NULL);
    }
    assert_int_equal(f.nstarted, 2);
    complete(c, &f, 1, NULL, VALS_EBACKEND, 30);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s[i].calls, 1);
        assert_int_equal(s[i].err, VALS_EBACKEND);
    }
    assert_int_equal(stats(c).coalesced, 7);
    assert_int_equal(stats(c).fetches, 2);
    cache_free(c);
}

/* not_found and denied are remembered for the negative TTL, and served as hits. */
static void test_negative_ttl(void **state)
{
    static const int codes[] = {VALS_ENOT_FOUND, VALS_EDENIED};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct cache *c = cache_new(1 << 20);
        struct fetcher f = {0};
        struct seen s;
        int err = 0;

        seen_init(&s);
        request(c, &f, "k s file:///nope", 0, NULL, &s, NULL, NULL);
        complete(c, &f, 0, NULL, codes[i], 0);
        assert_int_equal(s.err, codes[i]);
        assert_int_equal(request(c, &f, "k s file:///nope", 5 * S - 1, NULL, &s, NULL, &err),
                         CACHE_HIT);
        assert_int_equal(err, codes[i]);
        assert_int_equal(f.nstarted, 1);
        assert_int_equal(stats(c).negative_hits, 1);
        assert_int_equal(stats(c).hits, 1);
        /* a max_age does not turn a negative entry into a miss */
        struct cache_policy pol = default_pol;
        pol.max_age_s = 1;
        assert_int_equal(request(c, &f, "k s file:///nope", 4 * S, &pol, &s, NULL, &err),
                         CACHE_HIT);
        /* after the negative TTL the backend is asked again */
        assert_int_equal(request(c, &f, "k s file:///nope", 5 * S, NULL, &s, NULL, NULL),
                         CACHE_WAIT);
        assert_int_equal(f.nstarted, 2);
        cache_free(c);
    }
}

/* Transient failures are not cached: the next request asks the backend again. */
static void test_transient_not_cached(void **state)
{
    static const int codes[] = {VALS_EBACKEND, VALS_ETIMEOUT, VALS_ETHROTTLED, VALS_EINTERNAL};

    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        struct cache *c = cache_new(1 << 20);
        struct fetcher f = {0};
        struct seen s;

        seen_init(&s);
        request(c, &f, "k s echo://flaky", 0, NULL, &s, NULL, NULL);
        complete(c, &f, 0, NULL, codes[i], 0);
        assert_int_equal(s.err, codes[i]);
        assert_int_equal(request(c, &f, "k s echo://flaky", 0, NULL, &s, NULL, NULL), CACHE_WAIT);
        assert_int_equal(f.nstarted, 2);
        assert_int_equal(stats(c).errors, 1);
        assert_int_equal(stats(c).hits, 0);
        cache_free(c);
    }
}

/* After an error (negative or transient), a successful fetch gives a clean value. */
static void test_success_after_error(void **state)
{
    static const int codes[] = {VALS_ENOT_FOUND, VALS_EDENIED, VALS_EBACKEND, VALS_ETIMEOUT};

    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        struct cache *c = cache_new(1 << 20);
        struct fetcher f = {0};
        struct seen s;
        char v[64] = "";
        int err = 99;

        seen_init(&s);
        request(c, &f, "k s echo://later", 0, NULL, &s, NULL, NULL);
        complete(c, &f, 0, NULL, codes[i], 0);
        assert_int_equal(request(c, &f, "k s echo://later", 6 * S, NULL, &s, NULL, NULL),
                         CACHE_WAIT);
        complete(c, &f, 1, "now-it-exists", 0, 6 * S);
        assert_int_equal(s.err, 0);
        assert_string_equal(s.value, "now-it-exists");
        assert_int_equal(request(c, &f, "k s echo://later", 7 * S, NULL, &s, v, &err), CACHE_HIT);
        assert_int_equal(err, 0);
        assert_string_equal(v, "now-it-exists");
        cache_free(c);
    }
}

/* An expired entry whose refresh fails transiently is served stale within max_stale;
 * beyond it the error comes through.  A definitive error is never papered over. */
static void test_stale(void **state)
{
    struct cache *c = cache_new(1 << 20);
    struct fetcher f = {0};
    struct seen s;

    (void)state;
    seen_init(&s);
    request(c, &f, "k s echo://st", 0, NULL, &s, NULL, NULL);
    complete(c, &f, 0, "good", 0, 0); /* expires at 10 s, stale until 70 s */
    assert_int_equal(cache_entry_stale(f.started[0]), 0);

    request(c, &f, "k s echo://st", 20 * S, NULL, &s, NULL, NULL);
    complete(c, &f, 1, NULL, VALS_EBACKEND, 20 * S);
    assert_int_equal(s.err, 0);
    assert_string_equal(s.value, "good");
    assert_int_equal(s.stale, 1);
    assert_int_equal(stats(c).stale_served, 1);

    /* still expired: the next request tries the backend again */
    assert_int_equal(request(c, &f, "k s echo://st", 69 * S, NULL, &s, NULL, NULL), CACHE_WAIT);
    complete(c, &f, 2, NULL, VALS_ETIMEOUT, 70 * S - 1);
    assert_int_equal(s.stale, 1);
    assert_string_equal(s.value, "good");
    assert_int_equal(stats(c).stale_served, 2);

    /* past max_stale: the error is the answer */
    request(c, &f, "k s echo://st", 70 * S, NULL, &s, NULL, NULL);
    complete(c, &f, 3, NULL, VALS_EBACKEND, 70 * S);
    assert_int_equal(s.err, VALS_EBACKEND);
    assert_int_equal(s.stale, 0);
    assert_int_equal(stats(c).stale_served, 2);
    cache_free(c);

    /* not_found during a refresh is an answer, not a failure: no stale value */
    c = cache_new(1 << 20);
    memset(&f, 0, sizeof(f));
    request(c, &f, "k s echo://gone", 0, NULL, &s, NULL, NULL);
    complete(c, &f, 0, "was-here", 0, 0);
    request(c, &f, "k s echo://gone", 11 * S, NULL, &s, NULL, NULL);
    complete(c, &f, 1, NULL, VALS_ENOT_FOUND, 11 * S);
    assert_int_equal(s.err, VALS_ENOT_FOUND);
    assert_int_equal(stats(c).stale_served, 0);
    cache_free(c);
}

/* refresh bypasses a fresh entry; on failure the requester gets the error and the entry
 * keeps its value; on success the value is replaced. */
static void test_refresh(void **state)
{
    struct cache *c = cache_new(1 << 20);
    struct fetcher f = {0};
    struct cache_policy refresh = default_pol;
    struct seen s;
    char v[64];
    int err;

    (void)state;
    refresh.refresh = 1;
    seen_init(&s);
    request(c, &f, "k s echo://r", 0, NULL, &s, NULL, NULL);
    complete(c, &f, 0, "v1", 0, 0);

    assert_int_equal(request(c, &f, "k s echo://r", 1 * S, &refresh, &s, NULL, NULL), CACHE_WAIT);
    assert_int_equal(f.nstarted, 2);
    complete(c, &f, 1, NULL, VALS_EBACKEND, 1 * S);
    assert_int_equal(s.err, VALS_EBACKEND);
    assert_int_equal(request(c, &f, "k s echo://r", 2 * S, NULL, &s, v, &err), CACHE_HIT);
    assert_int_equal(err, 0);
    assert_string_equal(v, "v1");

    /* a definitive error during a refresh does not destroy the value either */
    request(c, &f, "k s echo://r", 3 * S, &refresh, &s, NULL, NULL);
    complete(c, &f, 2, NULL, VALS_ENOT_FOUND, 3 * S);
    assert_int_equal(s.err, VALS_ENOT_FOUND);
    assert_int_equal(request(c, &f, "k s echo://r", 4 * S, NULL, &s, v, &err), CACHE_HIT);
    assert_string_equal(v, "v1");

    request(c, &f, "k s echo://r", 5 * S, &refresh, &s, NULL, NULL);
    complete(c, &f, 3, "v2", 0, 5 * S);
    assert_string_equal(s.value, "v2");
    assert_int_equal(request(c, &f, "k s echo://r", 6 * S, NULL, &s, v, &err), CACHE_HIT);
    assert_string_equal(v, "v2");
    /* the refreshed entry lives a full TTL from its refresh */
    assert_int_equal(request(c, &f, "k s echo://r", 15 * S - 1, NULL, &s, v, &err), CACHE_HIT);
    assert_int_equal(stats(c).entries, 1);
    cache_free(c);
}

/* Fill n entries "k s echo://<i>" with values of `size` bytes. */
static void fill_entries(struct cache *c, struct fetcher *f, int from, int to, size_t size,
                         uint64_t now)
{
    char key[64], *val = malloc(size + 1);

    assert_non_null(val);
    memset(val, 'x', size);
    val[size] = '\0';
    for (int i = from; i < to; i++) {
        struct seen s;
        seen_init(&s);
        snprintf(key, sizeof(key), "k s echo://%d", i);
        assert_int_equal(request(c, f, key, now, NULL, &s, NULL, NULL), CACHE_WAIT);
        complete(c, f, f->nstarted - 1, val, 0, now);
        assert_int_equal(s.calls, 1);
    }
    free(val);
}

static int is_hit(struct cache *c, struct fetcher *f, int i, uint64_t now)
{
    char key[64];
    struct seen s;
    int rc;

    seen_init(&s);
    snprintf(key, sizeof(key), "k s echo://%d", i);
    rc = request(c, f, key, now, NULL, &s, NULL, NULL);
    if (rc == CACHE_WAIT) { /* refetch a value of the same size */
        char val[1001];
        memset(val, 'x', 1000);
        val[1000] = '\0';
        complete(c, f, f->nstarted - 1, val, 0, now);
    }
    return rc == CACHE_HIT;
}

/* Memory is bounded in bytes; the least recently used entries go first. */
static void test_lru_eviction(void **state)
{
    struct cache *c = cache_new(1 << 30);
    struct fetcher f = {0};
    uint64_t one;

    (void)state;
    fill_entries(c, &f, 0, 1, 1000, 0);
    one = stats(c).bytes;
    assert_true(one >= 1000);
    cache_set_max_bytes(c, one * 3 + one / 2); /* room for three */
    fill_entries(c, &f, 1, 3, 1000, 0);
    assert_int_equal(stats(c).entries, 3);
    /* use 0 so that 1 is the least recently used */
    assert_true(is_hit(c, &f, 0, 1));
    fill_entries(c, &f, 3, 4, 1000, 2);
    assert_int_equal(stats(c).evictions, 1);
    assert_int_equal(stats(c).entries, 3);
    assert_true(stats(c).bytes <= stats(c).max_bytes);
    assert_true(is_hit(c, &f, 0, 3));
    assert_true(is_hit(c, &f, 3, 3));
    assert_true(is_hit(c, &f, 2, 3));
    assert_false(is_hit(c, &f, 1, 3)); /* evicted: refetched (and 0 evicted in turn) */
    assert_int_equal(stats(c).evictions, 2);
    assert_false(is_hit(c, &f, 0, 4));

    /* a big entry pushes out as many as needed, but never itself */
    fill_entries(c, &f, 10, 11, (size_t)one * 3, 5);
    assert_int_equal(stats(c).entries, 1);
    assert_true(is_hit(c, &f, 10, 6));
    cache_free(c);
}

/* cache_clear: everything, one locator exactly, or a locator prefix. */
static void test_clear(void **state)
{
    static const char *const keys[] = {
        "aaaa s echo://a",  "aaaa m echo://a",      "bbbb s echo://a",
        "aaaa s echo://ab", "aaaa s file:///etc/x", "aaaa s file:///tmp/y",
    };
    static const struct {
        const char *match;
        int exact;
        uint64_t dropped;
    } cases[] = {
        {"echo://a", 1, 3},     {"echo://a", 0, 4},  {"echo://", 0, 4},
        {"file:///etc/", 0, 1}, {"file://", 0, 2},   {"nope://", 0, 0},
        {"echo://ab", 1, 1},    {"echo://a/", 0, 0}, {NULL, 0, 6},
    };

    (void)state;
    assert_string_equal(cache_key_locator("aaaa s echo://a b"), "echo://a b");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cache *c = cache_new(1 << 20);
        struct fetcher f = {0};
        struct seen s;
        uint64_t hits = 0;

        for (size_t k = 0; k < 6; k++) {
            seen_init(&s);
            request(c, &f, keys[k], 0, NULL, &s, NULL, NULL);
            complete(c, &f, k, "v", 0, 0);
        }
        assert_int_equal(cache_clear(c, cases[i].match, cases[i].exact), cases[i].dropped);
        assert_int_equal(stats(c).entries, 6 - cases[i].dropped);
        for (size_t k = 0; k < 6; k++)
            hits += request(c, &f, keys[k], 1, NULL, &s, NULL, NULL) == CACHE_HIT;
        assert_int_equal(hits, 6 - cases[i].dropped);
        cache_free(c);
    }
}

/* Clearing while a fetch is in flight: the waiters still get the answer, the entry is
 * gone (a later request fetches anew), and nothing leaks or is counted twice. */
static void test_clear_during_fetch(void **state)
{
    struct cache *c = cache_new(1 << 20);
    struct fetcher f = {0};
    struct seen s1, s2, s3;
    char v[64];

    (void)state;
    seen_init(&s1);
    seen_init(&s2);
    seen_init(&s3);
    assert_int_equal(request(c, &f, "k s echo://busy", 0, NULL, &s1, NULL, NULL), CACHE_WAIT);
    assert_int_equal(cache_clear(c, NULL, 0), 1);
    assert_int_equal(stats(c).entries, 0);
    /* a request after the clear does not join the old fetch */
    assert_int_equal(request(c, &f, "k s echo://busy", 1, NULL, &s2, NULL, NULL), CACHE_WAIT);
    assert_int_equal(f.nstarted, 2);
    complete(c, &f, 0, "old-fetch", 0, 2);
    assert_int_equal(s1.calls, 1);
    assert_string_equal(s1.value, "old-fetch");
    assert_int_equal(s2.calls, 0);
    complete(c, &f, 1, "new-fetch", 0, 3);
    assert_string_equal(s2.value, "new-fetch");
    assert_int_equal(request(c, &f, "k s echo://busy", 4, NULL, &s3, v, NULL), CACHE_HIT);
    assert_string_equal(v, "new-fetch");
    assert_int_equal(stats(c).entries, 1);

    /* exact and prefix clears of an in-flight entry, completed with an error */
    request(c, &f, "k s echo://busy2", 5, NULL, &s1, NULL, NULL);
    assert_int_equal(cache_clear(c, "echo://busy2", 1), 1);
    complete(c, &f, 2, NULL, VALS_ENOT_FOUND, 6);
    assert_int_equal(s1.err, VALS_ENOT_FOUND);
    request(c, &f, "k s echo://busy3", 7, NULL, &s1, NULL, NULL);
    assert_int_equal(cache_clear(c, "echo://bu", 0), 2);
    complete(c, &f, 3, "late", 0, 8);
    assert_string_equal(s1.value, "late");
    assert_int_equal(stats(c).entries, 0);
    assert_int_equal(stats(c).bytes, 0);
    /* a refresh of a cleared entry */
    request(c, &f, "k s echo://r", 9, NULL, &s1, NULL, NULL);
    complete(c, &f, 4, "v", 0, 9);
    struct cache_policy refresh = default_pol;
    refresh.refresh = 1;
    request(c, &f, "k s echo://r", 10, &refresh, &s1, NULL, NULL);
    assert_int_equal(cache_clear(c, NULL, 0), 1);
    complete(c, &f, 5, NULL, VALS_EBACKEND, 11);
    assert_int_equal(s1.err, VALS_EBACKEND);
    assert_int_equal(stats(c).entries, 0);
    assert_int_equal(stats(c).bytes, 0);
    cache_free(c);
}

/* What a waiter does when woken (resolve.c's waiters start new lookups from there). */
struct reentrant {
    struct cache_waiter w;
    struct cache *c;
    struct fetcher *f;
    int action; /* 1 invalidate the entry, 2 clear everything, 3 request the same key */
    int calls;
    char value[64];
    struct seen inner;
};

static void on_ready_reentrant(void *data, struct cache_entry *e)
{
    struct reentrant *r = data;
    const struct doc *v = cache_entry_value(e);

    r->calls++;
    snprintf(r->value, sizeof(r->value), "%s", v != NULL ? v->v.s.ptr : "");
    if (r->action == 1)
        cache_invalidate(r->c, e);
    else if (r->action == 2)
        cache_clear(r->c, NULL, 0);
    else
        request(r->c, r->f, "k s echo://re", 1, NULL, &r->inner, NULL, NULL);
}

/* A waiter may invalidate or clear the entry it is being woken for (a file that changed
 * between fetch and use); the other waiters are still woken with the value. */
static void test_waiter_reentrancy(void **state)
{
    (void)state;
    for (int action = 1; action <= 3; action++) {
        struct cache *c = cache_new(1 << 20);
        struct fetcher f = {0};
        struct reentrant r[3];
        struct cache_entry *hit = NULL;

        for (int i = 0; i < 3; i++) {
            memset(&r[i], 0, sizeof(r[i]));
            r[i].w.cb = on_ready_reentrant;
            r[i].w.data = &r[i];
            r[i].c = c;
            r[i].f = &f;
            r[i].action = i == 0 ? action : 0;
            seen_init(&r[i].inner);
            if (i > 0)
                r[i].action = 3;
            assert_int_equal(cache_request(c, "k s echo://re", 13, 0, &default_pol, fake_fetch, &f,
                                           &r[i].w, &hit),
                             CACHE_WAIT);
        }
        complete(c, &f, 0, "value", 0, 1);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(r[i].calls, 1);
            assert_string_equal(r[i].value, "value");
        }
        /* after an invalidate/clear the requests from later waiters fetched again */
        assert_int_equal(f.nstarted, action == 3 ? 1 : 2);
        if (f.nstarted == 2)
            complete(c, &f, 1, "value2", 0, 2);
        cache_free(c);
    }
}

/* The same while a failed refresh wakes its waiters (they see the error, the entry keeps
 * its value unless a waiter clears it). */
static void test_waiter_reentrancy_refresh(void **state)
{
    struct cache_policy refresh = default_pol;

    (void)state;
    refresh.refresh = 1;
    for (int action = 1; action <= 2; action++) {
        struct cache *c = cache_new(1 << 20);
        struct fetcher f = {0};
        struct reentrant r[2];
        struct cache_entry *hit = NULL;
        struct seen s;

        seen_init(&s);
        request(c, &f, "k s echo://re", 0, NULL, &s, NULL, NULL);
        complete(c, &f, 0, "old", 0, 0);
        for (int i = 0; i < 2; i++) {
            memset(&r[i], 0, sizeof(r[i]));
            r[i].w.cb = on_ready_reentrant;
            r[i].w.data = &r[i];
            r[i].c = c;
            r[i].f = &f;
            r[i].action = i == 0 ? action : 3;
            seen_init(&r[i].inner);
            assert_int_equal(
                cache_request(c, "k s echo://re", 13, 1, &refresh, fake_fetch, &f, &r[i].w, &hit),
                CACHE_WAIT);
        }
        assert_int_equal(f.nstarted, 2);
        cache_fill(c, f.started[1], VALS_EBACKEND, "down", NULL, 2);
        for (int i = 0; i < 2; i++)
            assert_int_equal(r[i].calls, 1);
        if (action == 1) {
            /* waiters see a copy carrying the error: invalidating it leaves the entry */
            assert_int_equal(f.nstarted, 2);
            assert_string_equal(r[1].value, "old");
        } else {
            /* waiter 1 asked again after waiter 0 dropped the entry: a new fetch */
            assert_int_equal(f.nstarted, 3);
            complete(c, &f, 2, "new", 0, 3);
            assert_string_equal(r[1].inner.value, "new");
        }
        assert_int_equal(stats(c).entries, 1);
        cache_free(c);
    }
}

/* A fetch that cannot start fails the request; nothing is left behind. */
static void test_fetch_start_failure(void **state)
{
    struct cache *c = cache_new(1 << 20);
    struct fetcher f = {0};
    struct seen s;

    (void)state;
    seen_init(&s);
    f.fail_start = VALS_ENOMEM;
    assert_int_equal(request(c, &f, "k s echo://x", 0, NULL, &s, NULL, NULL), VALS_ENOMEM);
    assert_int_equal(s.calls, 0);
    assert_int_equal(stats(c).entries, 0);
    assert_int_equal(stats(c).errors, 1);
    f.fail_start = 0;
    assert_int_equal(request(c, &f, "k s echo://x", 0, NULL, &s, NULL, NULL), CACHE_WAIT);
    complete(c, &f, 0, "ok", 0, 0);
    assert_string_equal(s.value, "ok");
    cache_free(c);
}

/* Invalidation (a validator saying the source changed) and validators themselves. */
static void test_invalidate_and_validator(void **state)
{
    struct cache *c = cache_new(1 << 20);
    struct fetcher f = {0};
    struct seen s;
    struct cache_entry *hit = NULL;
    const void *val;
    size_t vlen = 99;

    (void)state;
    seen_init(&s);
    request(c, &f, "k s file:///v", 0, NULL, &s, NULL, NULL);
    cache_entry_set_validator(f.started[0], "ino=1", 5);
    complete(c, &f, 0, "content", 0, 0);
    assert_int_equal(
        cache_request(c, "k s file:///v", 13, 1, &default_pol, fake_fetch, &f, &s.w, &hit),
        CACHE_HIT);
    val = cache_entry_validator(hit, &vlen);
    assert_int_equal(vlen, 5);
    assert_memory_equal(val, "ino=1", 5);
    cache_invalidate(c, hit);
    assert_int_equal(stats(c).entries, 0);
    assert_int_equal(request(c, &f, "k s file:///v", 2, NULL, &s, NULL, NULL), CACHE_WAIT);
    /* invalidating an entry whose fetch is in flight keeps it: the fill brings news */
    cache_invalidate(c, f.started[1]);
    complete(c, &f, 1, "content2", 0, 3);
    assert_string_equal(s.value, "content2");
    assert_int_equal(request(c, &f, "k s file:///v", 4, NULL, &s, NULL, NULL), CACHE_HIT);
    cache_entry_set_validator(f.started[1], NULL, 0);
    assert_null(cache_entry_validator(f.started[1], &vlen));
    assert_int_equal(vlen, 0);
    cache_free(c);
}

/* Ages come from the fake clock. */
static void test_age(void **state)
{
    struct cache *c = cache_new(1 << 20);
    struct fetcher f = {0};
    struct seen s;

    (void)state;
    seen_init(&s);
    request(c, &f, "k s echo://age", 1000, NULL, &s, NULL, NULL);
    complete(c, &f, 0, "v", 0, 1500);
    assert_int_equal(cache_entry_age_ms(f.started[0], 1500), 0);
    assert_int_equal(cache_entry_age_ms(f.started[0], 4000), 2500);
    assert_int_equal(cache_entry_age_ms(f.started[0], 1000), 0); /* clock before fill */
    cache_free(c);
}

/* Many keys: the table grows and every entry is still found. */
static void test_many_keys(void **state)
{
    struct cache *c = cache_new(1ull << 32);
    struct fetcher f = {0};
    struct seen s;
    char key[64];

    (void)state;
    for (int i = 0; i < 3000; i++) {
        seen_init(&s);
        snprintf(key, sizeof(key), "k s echo://many/%d", i);
        assert_int_equal(request(c, &f, key, 0, NULL, &s, NULL, NULL), CACHE_WAIT);
        f.nstarted = 0;
        cache_fill(c, f.started[0], 0, NULL, doc_strz(key), 0);
        assert_int_equal(s.calls, 1);
    }
    assert_int_equal(stats(c).entries, 3000);
    for (int i = 0; i < 3000; i++) {
        char v[64];
        snprintf(key, sizeof(key), "k s echo://many/%d", i);
        assert_int_equal(request(c, &f, key, 1, NULL, &s, v, NULL), CACHE_HIT);
        assert_string_equal(v, key);
    }
    assert_int_equal(stats(c).hits, 3000);
    assert_int_equal(cache_clear(c, "echo://many/1", 0), 1111); /* 1, 10-19, 100-199, 1000-1999 */
    cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_miss_then_hit),
        cmocka_unit_test(test_ttl_expiry),
        cmocka_unit_test(test_max_age),
        cmocka_unit_test(test_coalescing),
        cmocka_unit_test(test_negative_ttl),
        cmocka_unit_test(test_transient_not_cached),
        cmocka_unit_test(test_success_after_error),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_refresh),
        cmocka_unit_test(test_lru_eviction),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_clear_during_fetch),
        cmocka_unit_test(test_waiter_reentrancy),
        cmocka_unit_test(test_waiter_reentrancy_refresh),
        cmocka_unit_test(test_fetch_start_failure),
        cmocka_unit_test(test_invalidate_and_validator),
        cmocka_unit_test(test_age),
        cmocka_unit_test(test_many_keys),
    };

    return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
