/*
 * builtins.h - Go text/template's predefined functions: and, or, not, len, index, slice,
 * print, printf, println, html, js, urlquery, call, eq, ne, lt, le, gt, ge.
 *
 * Each entry records Go's signature (how many parameters, variadic or not, and whether a
 * parameter is a reflect.Value, an interface{} or a string), because the executor checks
 * argument counts and types the way Go's evalCall does before the function runs.
 */
#ifndef TMPL_BUILTINS_H
#define TMPL_BUILTINS_H

#include <stddef.h>

#include "value.h"

enum argkind {
    ARG_NONE,   /* no type: (pipeline).Field receivers */
    ARG_VALUE,  /* reflect.Value: the value as is */
    ARG_ANY,    /* interface{} */
    ARG_STRING, /* string */
};

/* What a builtin gets besides its arguments. */
struct bctx {
    size_t max_string; /* bound on strings it builds */
    char err[512];     /* the reason of a failure ("len of type int") */
};

/* 0 on success (*out owned by the caller); -1 with c->err set; or a VALS_E* code. */
typedef int (*builtin_fn)(struct bctx *c, struct tval *argv, size_t argc, struct tval *out);

struct builtin {
    const char *name;
    int nin;      /* Go's NumIn() */
    int variadic; /* the last parameter is ...T */
    enum argkind in[2];
    builtin_fn fn; /* NULL for and/or: the executor short-circuits them */
};

/* The builtin of that name, or NULL. */
const struct builtin *builtin_find(const char *name, size_t len);

/* compare.c */
int compare_eq(struct bctx *c, struct tval *argv, size_t argc, struct tval *out);
int compare_ne(struct bctx *c, struct tval *argv, size_t argc, struct tval *out);
int compare_lt(struct bctx *c, struct tval *argv, size_t argc, struct tval *out);
int compare_le(struct bctx *c, struct tval *argv, size_t argc, struct tval *out);
int compare_gt(struct bctx *c, struct tval *argv, size_t argc, struct tval *out);
int compare_ge(struct bctx *c, struct tval *argv, size_t argc, struct tval *out);

/* builtins.c: Go's truth(): isTrue of the value inside an interface. */
int builtin_truth(const struct tval *v);

#endif
