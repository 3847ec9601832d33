/*
 * ctx.c - interned, reference-counted credential contexts (see ctx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ctx.h"
#include "lib/dbuf.h"

#define CTX_BUCKETS 256

static struct ctx *ctx_table[CTX_BUCKETS];
static size_t ctx_live;

static int var_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ctx_var *)a)->name, ((const struct ctx_var *)b)->name);
}

/* Hash uid + sorted pairs into a SHA-256 context. */
static void hash_vars(EVP_MD_CTX *h, uid_t uid, const struct ctx_var *vars, size_t n,
                      const char *const *prefixes, int filter)
{
    char u[32];

    snprintf(u, sizeof(u), "uid=%u", (unsigned)uid);
    EVP_DigestUpdate(h, u, strlen(u) + 1);
    for (size_t i = 0; i < n; i++) {
        if (filter) {
            int keep = 0;
            for (size_t p = 0; prefixes != NULL && prefixes[p] != NULL; p++)
                if (!strncmp(vars[i].name, prefixes[p], strlen(prefixes[p])))
                    keep = 1;
            if (!keep)
                continue;
        }
        EVP_DigestUpdate(h, vars[i].name, strlen(vars[i].name) + 1);
        EVP_DigestUpdate(h, vars[i].value, strlen(vars[i].value) + 1);
    }
}

/* SHA-256 of the (filtered) variables. */
static int digest(uid_t uid, const struct ctx_var *vars, size_t n, const char *const *prefixes,
                  int filter, unsigned char *d)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    int ok;

    if (h == NULL)
        return VALS_ENOMEM;
    ok = EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    if (ok)
        hash_vars(h, uid, vars, n, prefixes, filter);
    ok = ok && EVP_DigestFinal_ex(h, d, NULL);
    EVP_MD_CTX_free(h);
    return ok ? 0 : VALS_EINTERNAL;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char x[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = x[d[i] >> 4];
        out[2 * i + 1] = x[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static void free_vars(struct ctx_var *vars, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(vars[i].name);
        secure_free_str(vars[i].value);
    }
    free(vars);
}

/* Find or insert a context with these (sorted) vars; takes ownership of vars. */
static struct ctx *intern(uid_t uid, struct ctx_var *vars, size_t n)
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    char id[SHA256_DIGEST_LENGTH * 2 + 1];
    struct ctx *c;
    size_t b;

    if (digest(uid, vars, n, NULL, 0, d) != 0) {
        free_vars(vars, n);
        return NULL;
    }
    hex(d, 8, id);
    b = d[0];
    for (c = ctx_table[b]; c != NULL; c = c->next) {
        if (c->uid == uid && !strcmp(c->id, id) && c->n == n) {
            free_vars(vars, n);
            return ctx_ref(c);
        }
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        free_vars(vars, n);
        return NULL;
    }
    c->refs = 1;
    memcpy(c->id, id, 17);
    c->uid = uid;
    c->n = n;
    c->vars = vars;
    c->next = ctx_table[b];
    ctx_table[b] = c;
    ctx_live++;
    return c;
}

int ctx_from_doc(uid_t uid, const struct doc *env, struct ctx **out, struct verr *e)
{
    struct ctx_var *vars = NULL;
    size_t n = 0;

    *out = NULL;
    if (env->type != DOC_MAP)
        return verr_set(e, VALS_EBAD_REQUEST, "the context must be a map of NAME: value");
    if (env->v.map.len > CTX_MAX_VARS)
        return verr_set(e, VALS_ETOO_LARGE, "the context has more than %d variables", CTX_MAX_VARS);
    vars = calloc(env->v.map.len + 1, sizeof(*vars));
    if (vars == NULL)
        return VALS_ENOMEM;
    for (size_t i = 0; i < env->v.map.len; i++) {
        const struct doc_pair *p = &env->v.map.items[i];
        if (p->key->type == DOC_COMMENT)
            continue;
        if (p->key->type != DOC_STR || p->val->type != DOC_STR || p->key->v.s.len == 0 ||
            memchr(p->key->v.s.ptr, '\0', p->key->v.s.len) != NULL ||
            memchr(p->val->v.s.ptr, '\0', p->val->v.s.len) != NULL) {
            free_vars(vars, n);
            return verr_set(e, VALS_EBAD_REQUEST,
                            "context variables must be non-empty string names with string values");
        }
        if (p->val->v.s.len > CTX_MAX_VALUE) {
            free_vars(vars, n);
            return verr_set(e, VALS_ETOO_LARGE, "context variable %s is longer than %d bytes",
                            p->key->v.s.ptr, CTX_MAX_VALUE);
        }
        vars[n].name = strdup(p->key->v.s.ptr);
        vars[n].value = strdup(p->val->v.s.ptr);
        n++;
        if (vars[n - 1].name == NULL || vars[n - 1].value == NULL) {
            free_vars(vars, n);
            return VALS_ENOMEM;
        }
    }
    qsort(vars, n, sizeof(*vars), var_cmp);
    for (size_t i = 1; i < n; i++) {
        if (!strcmp(vars[i].name, vars[i - 1].name)) {
            int rc =
                verr_set(e, VALS_EBAD_REQUEST, "context variable %s given twice", vars[i].name);
            free_vars(vars, n);
            return rc;
        }
    }
    *out = intern(uid, vars, n);
    return *out != NULL ? 0 : VALS_ENOMEM;
}

struct ctx *ctx_empty(uid_t uid)
{
    return intern(uid, NULL, 0);
}

struct ctx *ctx_ref(struct ctx *c)
{
    c->refs++;
    return c;
}

void ctx_unref(struct ctx *c)
{
    struct ctx **pp;

    if (c == NULL || --c->refs > 0)
        return;
    for (size_t b = 0; b < CTX_BUCKETS; b++) {
        for (pp = &ctx_table[b]; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == c) {
                *pp = c->next;
                b = CTX_BUCKETS;
                break;
            }
        }
    }
    free_vars(c->vars, c->n);
    for (unsigned i = 0; i < c->nmemo; i++)
        free(c->memo[i].prefixes);
    free(c);
    ctx_live--;
}

const char *ctx_get(const struct ctx *c, const char *name, size_t len)
{
    size_t lo = 0, hi = c->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strncmp(c->vars[mid].name, name, len);
        if (r == 0 && c->vars[mid].name[len] != '\0')
            r = 1;
        if (r == 0)
            return c->vars[mid].value;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Is `joined` (prefixes, each NUL-terminated, then a final NUL) the same list as the
 * NULL-terminated `prefixes`? */
static int same_prefixes(const char *joined, const char *const *prefixes)
{
    for (size_t p = 0; prefixes != NULL && prefixes[p] != NULL; p++) {
        size_t l = strlen(prefixes[p]);
        if (*joined == '\0' || strcmp(joined, prefixes[p]) != 0)
            return 0;
        joined += l + 1;
    }
    return *joined == '\0';
}

/* Remember a computed scope in the context (silently skipped when full or out of memory:
 * the scope is then simply computed again next time). */
static void memo_add(struct ctx *c, const char *const *prefixes, const char scope[33])
{
    size_t len = 1;
    char *j;

    if (c->nmemo >= CTX_SCOPE_MEMO)
        return;
    for (size_t p = 0; prefixes != NULL && prefixes[p] != NULL; p++) {
        if (prefixes[p][0] == '\0')
            return; /* "" cannot be told from the list's end: never remembered */
        len += strlen(prefixes[p]) + 1;
    }
    if ((j = malloc(len)) == NULL)
        return;
    c->memo[c->nmemo].prefixes = j;
    for (size_t p = 0; prefixes != NULL && prefixes[p] != NULL; p++) {
        size_t l = strlen(prefixes[p]) + 1;
        memcpy(j, prefixes[p], l);
        j += l;
    }
    *j = '\0';
    memcpy(c->memo[c->nmemo].scope, scope, 33);
    c->nmemo++;
}

void ctx_scope(const struct ctx *c, const char *const *prefixes, char out[33])
{
    /* the memo is a cache beside the context's value; contexts are heap objects */
    struct ctx *mc = (struct ctx *)c;
    unsigned char d[SHA256_DIGEST_LENGTH];

    for (unsigned i = 0; i < c->nmemo; i++) {
        if (same_prefixes(c->memo[i].prefixes, prefixes)) {
            memcpy(out, c->memo[i].scope, 33);
            return;
        }
    }
    if (digest(c->uid, c->vars, c->n, prefixes, 1, d) != 0) {
        memset(d, 0xff, sizeof(d)); /* out of memory: a scope nothing else shares */
        hex(d, 16, out);
        return; /* not remembered: next time may succeed */
    }
    hex(d, 16, out);
    memo_add(mc, prefixes, out);
}

size_t ctx_count(void)
{
    return ctx_live;
}
