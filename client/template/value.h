/*
 * value.h - values of the template executor: Go's reflect.Value over documents.
 *
 * A tval refers to a document node.  Nodes of the data and of literals are borrowed;
 * nodes made during execution (function results, strings built by print, ...) are owned
 * by a reference-counted box that every tval referring into them holds.
 *
 * Go distinctions the executor keeps:
 *  - the invalid value (d == NULL: a missing key, no data) is not a nil interface;
 *  - elements of lists and maps have the static type interface{} (iface), which decides
 *    error texts ("in type interface {}") and is dropped between pipeline commands;
 *  - a byte taken from a string by index is a uint8, not an int;
 *  - a slice of a list is a view [off, off+len) with Go's capacity;
 *  - a "go:TYPE" tag on a document (set by function libraries, see sprig.h) names its
 *    Go type for %T and messages ("go:int64", "go:[]string", "go:uint64").
 */
#ifndef TMPL_VALUE_H
#define TMPL_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/doc.h"

struct tbox {
    int refs;
    struct doc *d;
};

struct tval {
    const struct doc *d; /* NULL: the invalid value */
    struct tbox *box;    /* owner of d, or NULL when borrowed */
    unsigned char iface; /* static type interface{} */
    unsigned char u8;    /* a uint8 (d is a DOC_UINT) */
    unsigned char view;  /* a list window (off, len, cap below) */
    size_t off, len, cap;
};

/* Go's reflect.Kind, reduced to the kinds documents have. */
enum vkind {
    VK_INVALID,
    VK_INTERFACE, /* an interface{} holding a value or nil */
    VK_BOOL,
    VK_INT,
    VK_UINT, /* uint64 or uint8 */
    VK_FLOAT,
    VK_STRING,
    VK_LIST,
    VK_MAP,
};

extern const struct doc value_null_doc, value_true_doc, value_false_doc;

/* The invalid value. */
static inline struct tval value_invalid(void)
{
    struct tval v = {0};

    return v;
}
/* A borrowed document (iface: as an interface{} element); DOC_NULL that is not an
 * interface becomes invalid. */
struct tval value_borrow(const struct doc *d, int iface);
/* Take ownership of d (freed on failure) into a new box; 0 or VALS_ENOMEM. */
int value_own(struct doc *d, struct tval *out);
/* Take the bytes of b (left empty) as a new string value; 0 or VALS_ENOMEM. */
struct dbuf;
int value_own_dbuf(struct dbuf *b, struct tval *out);
/* A new int, uint64 (or uint8 when u8), bool value. */
int value_new_int(int64_t i, struct tval *out);
int value_new_uint(uint64_t u, int u8, struct tval *out);
struct tval value_bool(int b);
/* A new reference to the same value. */
static inline struct tval value_ref(const struct tval *v)
{
    if (v->box != NULL)
        v->box->refs++;
    return *v;
}

/* Free a box whose last reference went away (value.c). */
void value_box_free(struct tbox *b);

/* Drop a reference (the value becomes invalid). */
static inline void value_release(struct tval *v)
{
    if (v->box != NULL && --v->box->refs == 0)
        value_box_free(v->box);
    *v = value_invalid();
}
/* A value inside v (an element), sharing v's box. */
struct tval value_child(const struct tval *v, const struct doc *d, int iface);

/* reflect.Value.Kind() */
enum vkind value_kind(const struct tval *v);
/* Is v a nil interface? */
int value_is_nil_iface(const struct tval *v);
/* Go's indirectInterface / pipeline unwrapping: the value inside an interface (a nil
 * interface gives the invalid value).  Consumes v. */
struct tval value_unwrap(struct tval v);
/* Go's reflect.Value.Type().String() (the static type: "interface {}" for elements). */
const char *value_type_name(const struct tval *v);
/* The type of the dynamic value (what %T prints); NULL for nil and invalid. */
const char *value_dyn_type_name(const struct tval *v);

/* Do the elements of this list or map have the static type interface{}?  (Yes, unless a
 * "go:[]string"-style tag from a function library says otherwise.) */
int value_elem_iface(const struct doc *container);

/* Lists (also views). */
size_t value_list_len(const struct tval *v);
size_t value_list_cap(const struct tval *v);
/* Element i as an interface{} value sharing v's box. */
struct tval value_list_at(const struct tval *v, size_t i);
/* A plain document for v, for function arguments: views are copied into *tmp (free it
 * with doc_free); NULL on out-of-memory.  Invalid and nil give DOC_NULL. */
const struct doc *value_as_doc(const struct tval *v, struct doc **tmp);

/* Go's isTrue for a value that is not an interface; 0 when it has no truth value. */
int value_truth(const struct tval *v, int *truth);

#endif
