/*
 * tmpl_int.h - internals shared by the files of the template engine (not a public API):
 * the template set, its named templates and the functions the parser, the executor and
 * the set's API call across files.
 */
#ifndef TMPL_INT_H
#define TMPL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "tmpl.h"

/* A named template of the set: Go's *Template with its parse tree. */
struct tdef {
    char *name;
    struct node *root; /* a LIST node */
    struct tsource *src;
};

/* A table of functions added with tmpl_add_funcs. */
struct funclib {
    const struct tmpl_func *funcs;
    size_t n;
};

struct tmpl {
    char *name;
    struct tdef **defs; /* pointers: a running execution keeps its tdef across additions */
    size_t ndefs, capdefs;
    struct funclib *libs;
    size_t nlibs;
    const struct tmpl_func **index; /* hash of the functions by name, built on first use */
    size_t index_size;              /* a power of two, or 0 */
    struct doc *graveyard;          /* map contents replaced by functions, freed after execution */
    void *userdata;
    enum tmpl_missingkey missingkey;
    char *ldelim, *rdelim;
    struct tsource *sources; /* every parsed text, kept until tmpl_free */
    struct tmpl_limits limits;
    int active_depth;         /* {{template}} depth of the execution in progress, or -1 */
    uintptr_t stack_base;     /* stack address where that execution started */
    unsigned long long steps; /* work done by that execution and the ones it started */
};

/* tmpl.c: the named template, or NULL. */
struct tdef *tmpl_lookup(const struct tmpl *t, const char *name);
/* tmpl.c: add or replace a named template (Go's AddParseTree rules). */
int tmpl_define(struct tmpl *t, const char *name, struct node *root, struct tsource *src);
/* tmpl.c: an added function (the latest registration wins), or NULL. */
const struct tmpl_func *tmpl_find_func(struct tmpl *t, const char *name, size_t len);

/* parse.c: parse one text into the set (Go's Template.Parse). */
int parse_text(struct tmpl *t, const char *text, size_t len, struct verr *e);

/* exec.c: run a named template with data as dot (Go's Template.Execute). */
int exec_template(struct tmpl *t, const struct tdef *def, const struct doc *data, struct dbuf *out,
                  struct verr *e);

#endif
