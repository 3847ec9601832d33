/*
 * tmpl.c - the template set: Go's *template.Template API (New, Funcs, Option, Delims,
 * Parse, Lookup, Execute, ExecuteTemplate) over the parser and executor.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "strconv.h"
#include "tmpl_int.h"
#include "unicode.h"
#include "utf8.h"

static const struct tmpl_limits default_limits = {
    .max_text = (size_t)16 << 20,
    .max_nesting = 200,
    .max_exec_depth = 1000,
    .max_output = (size_t)64 << 20,
    .max_range = 10000000,
    .max_steps = 100000000ULL,
};

/* A new empty set named name (Go's template.New). */
struct tmpl *tmpl_new(const char *name)
{
    struct tmpl *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->name = strdup(name != NULL ? name : "");
    if (t->name == NULL) {
        free(t);
        return NULL;
    }
    t->limits = default_limits;
    t->active_depth = -1;
    return t;
}

/* Free the set, its parse trees and texts. */
void tmpl_free(struct tmpl *t)
{
    struct tsource *src, *next;

    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ndefs; i++) {
        free(t->defs[i]->name);
        free(t->defs[i]);
    }
    free(t->defs);
    for (src = t->sources; src != NULL; src = next) {
        next = src->next;
        node_free_all(src);
        secure_free(src->text, src->len);
        free(src->name);
        free(src);
    }
    free(t->libs);
    free(t->index);
    doc_free(t->graveyard);
    free(t->ldelim);
    free(t->rdelim);
    free(t->name);
    free(t);
}

/* Go's goodName: a letter or '_' first, then letters, digits and '_'. */
static int good_name(const char *name)
{
    size_t i = 0, n = strlen(name), w;

    if (n == 0)
        return 0;
    while (i < n) {
        uint32_t r = utf8_decode(name + i, n - i, &w);
        if (r != '_' && !unicode_is_letter(r) && (i == 0 || !unicode_is_digit(r)))
            return 0;
        i += w;
    }
    return 1;
}

/* Go's Funcs: register a table of functions (names checked as Go does). */
int tmpl_add_funcs(struct tmpl *t, const struct tmpl_func *funcs, size_t n)
{
    struct funclib *libs;

    for (size_t i = 0; i < n; i++) {
        if (funcs[i].name == NULL || !good_name(funcs[i].name) || funcs[i].fn == NULL ||
            funcs[i].min_args < 0 ||
            (funcs[i].max_args != TMPL_VARIADIC && funcs[i].max_args < funcs[i].min_args))
            return VALS_EUSAGE;
    }
    libs = realloc(t->libs, (t->nlibs + 1) * sizeof(*libs));
    if (libs == NULL)
        return VALS_ENOMEM;
    t->libs = libs;
    t->libs[t->nlibs].funcs = funcs;
    t->libs[t->nlibs].n = n;
    t->nlibs++;
    free(t->index);
    t->index = NULL;
    t->index_size = 0;
    return 0;
}

/* FNV-1a hash of a name. */
static size_t name_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

/* Build the function index: later registrations replace earlier ones of the same name. */
static int build_index(struct tmpl *t)
{
    size_t total = 0, size = 16;

    for (size_t l = 0; l < t->nlibs; l++)
        total += t->libs[l].n;
    while (size < total * 2)
        size *= 2;
    t->index = calloc(size, sizeof(*t->index));
    if (t->index == NULL)
        return VALS_ENOMEM;
    t->index_size = size;
    for (size_t l = 0; l < t->nlibs; l++) {
        for (size_t i = 0; i < t->libs[l].n; i++) {
            const struct tmpl_func *f = &t->libs[l].funcs[i];
            size_t len = strlen(f->name), k = name_hash(f->name, len) & (size - 1);
            while (t->index[k] != NULL && strcmp(t->index[k]->name, f->name) != 0)
                k = (k + 1) & (size - 1);
            t->index[k] = f;
        }
    }
    return 0;
}

/* The latest registered function of that name, or NULL. */
const struct tmpl_func *tmpl_find_func(struct tmpl *t, const char *name, size_t len)
{
    size_t k;

    if (t->nlibs == 0)
        return NULL;
    if (t->index == NULL && build_index(t) != 0) {
        /* out of memory: search the tables directly */
        for (size_t l = t->nlibs; l-- > 0;)
            for (size_t i = t->libs[l].n; i-- > 0;)
                if (strncmp(t->libs[l].funcs[i].name, name, len) == 0 &&
                    t->libs[l].funcs[i].name[len] == '\0')
                    return &t->libs[l].funcs[i];
        return NULL;
    }
    k = name_hash(name, len) & (t->index_size - 1);
    while (t->index[k] != NULL) {
        if (strncmp(t->index[k]->name, name, len) == 0 && t->index[k]->name[len] == '\0')
            return t->index[k];
        k = (k + 1) & (t->index_size - 1);
    }
    return NULL;
}

/* Set the pointer functions get from tmpl_call_userdata. */
void tmpl_set_userdata(struct tmpl *t, void *userdata)
{
    t->userdata = userdata;
}

/* Set the missingkey mode. */
void tmpl_set_missingkey(struct tmpl *t, enum tmpl_missingkey mode)
{
    t->missingkey = mode;
}

/* Go's Option("missingkey=..."). */
int tmpl_set_option(struct tmpl *t, const char *opt, struct verr *e)
{
    static const struct {
        const char *opt;
        enum tmpl_missingkey mode;
    } opts[] = {
        {"missingkey=default", TMPL_MISSINGKEY_DEFAULT},
        {"missingkey=invalid", TMPL_MISSINGKEY_DEFAULT},
        {"missingkey=zero", TMPL_MISSINGKEY_ZERO},
        {"missingkey=error", TMPL_MISSINGKEY_ERROR},
    };

    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        if (opt != NULL && strcmp(opt, opts[i].opt) == 0) {
            t->missingkey = opts[i].mode;
            return 0;
        }
    }
    return verr_set(e, VALS_EUSAGE, "unrecognized option: %s", opt != NULL ? opt : "");
}

/* The current limits. */
void tmpl_get_limits(const struct tmpl *t, struct tmpl_limits *l)
{
    *l = t->limits;
}

/* Change the limits (clamped to sane minimums). */
void tmpl_set_limits(struct tmpl *t, const struct tmpl_limits *l)
{
    t->limits = *l;
    if (t->limits.max_nesting < 1)
        t->limits.max_nesting = 1;
    if (t->limits.max_exec_depth < 0)
        t->limits.max_exec_depth = 0;
}

/* Go's Delims: empty or NULL keeps the default. */
int tmpl_set_delims(struct tmpl *t, const char *left, const char *right)
{
    char *l = left != NULL && left[0] != '\0' ? strdup(left) : NULL;
    char *r = right != NULL && right[0] != '\0' ? strdup(right) : NULL;

    if ((left != NULL && left[0] != '\0' && l == NULL) ||
        (right != NULL && right[0] != '\0' && r == NULL)) {
        free(l);
        free(r);
        return VALS_ENOMEM;
    }
    free(t->ldelim);
    free(t->rdelim);
    t->ldelim = l;
    t->rdelim = r;
    return 0;
}

/* Go's Lookup: the named template or NULL. */
struct tdef *tmpl_lookup(const struct tmpl *t, const char *name)
{
    for (size_t i = 0; i < t->ndefs; i++)
        if (strcmp(t->defs[i]->name, name) == 0)
            return t->defs[i];
    return NULL;
}

/* Is there a template of this name? */
int tmpl_has_template(const struct tmpl *t, const char *name)
{
    return tmpl_lookup(t, name) != NULL;
}

/* Go's AddParseTree: add or replace a named template. */
int tmpl_define(struct tmpl *t, const char *name, struct node *root, struct tsource *src)
{
    struct tdef *d = tmpl_lookup(t, name);

    if (d != NULL) {
        /* an empty redefinition keeps the old body (Go's associate) */
        if (!(node_is_empty_tree(root) && d->root != NULL)) {
            d->root = root;
            d->src = src;
        }
        return 0;
    }
    if (t->ndefs == t->capdefs) {
        size_t cap = t->capdefs ? t->capdefs * 2 : 4;
        struct tdef **p = realloc(t->defs, cap * sizeof(struct tdef *));
        if (p == NULL)
            return VALS_ENOMEM;
        t->defs = p;
        t->capdefs = cap;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL || (d->name = strdup(name)) == NULL) {
        free(d);
        return VALS_ENOMEM;
    }
    t->defs[t->ndefs] = d;
    d->root = root;
    d->src = src;
    t->ndefs++;
    return 0;
}

/* Go's Parse. */
int tmpl_parse(struct tmpl *t, const char *text, size_t len, struct verr *e)
{
    return parse_text(t, text, len, e);
}

/* Go's Execute / ExecuteTemplate. */
int tmpl_execute(struct tmpl *t, const char *name, const struct doc *data, struct dbuf *out,
                 struct verr *e)
{
    const struct tdef *def = tmpl_lookup(t, name != NULL ? name : t->name);
    struct dbuf q1 = DBUF_INIT, q2 = DBUF_INIT;
    int r;

    if (def != NULL)
        return exec_template(t, def, data, out, e);
    if (name == NULL || strcmp(name, t->name) == 0) {
        strconv_quote(&q1, t->name, strlen(t->name), '"', 0);
        r = verr_set(e, VALS_ENOT_FOUND, "template: %s: %s is an incomplete or empty template",
                     t->name, q1.p);
    } else {
        strconv_quote(&q1, name, strlen(name), '"', 0);
        strconv_quote(&q2, t->name, strlen(t->name), '"', 0);
        r = verr_set(e, VALS_ENOT_FOUND, "template: no template %s associated with template %s",
                     q1.p, q2.p);
    }
    dbuf_free(&q1);
    dbuf_free(&q2);
    return r;
}
