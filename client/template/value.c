/*
 * value.c - executor values: boxes, kinds, type names, lists and truth (see value.h).
 */
#include <stdlib.h>
#include <string.h>

#include "valsd/errors.h"
#include "lib/dbuf.h"

#include "value.h"

const struct doc value_null_doc = {.type = DOC_NULL};
const struct doc value_true_doc = {.type = DOC_BOOL, .v.b = 1};
const struct doc value_false_doc = {.type = DOC_BOOL, .v.b = 0};

/* A value referring to a document owned elsewhere. */
struct tval value_borrow(const struct doc *d, int iface)
{
    struct tval v = {0};

    if (d == NULL || (d->type == DOC_NULL && !iface))
        return v;
    v.d = d;
    v.iface = iface != 0;
    return v;
}

/* A value owning d through a new box. */
int value_own(struct doc *d, struct tval *out)
{
    struct tbox *b;

    *out = value_invalid();
    if (d == NULL)
        return VALS_ENOMEM;
    b = malloc(sizeof(*b));
    if (b == NULL) {
        doc_free(d);
        return VALS_ENOMEM;
    }
    b->refs = 1;
    b->d = d;
    out->d = d;
    out->box = b;
    out->iface = d->type == DOC_NULL;
    return 0;
}

/* A string value taking the bytes of b. */
int value_own_dbuf(struct dbuf *b, struct tval *out)
{
    struct doc *d = doc_new(DOC_STR);
    size_t len;

    *out = value_invalid();
    if (d == NULL)
        return VALS_ENOMEM;
    d->v.s.ptr = dbuf_take(b, &len);
    if (d->v.s.ptr == NULL) {
        free(d);
        return VALS_ENOMEM;
    }
    d->v.s.len = len;
    return value_own(d, out);
}

/* A new int value. */
int value_new_int(int64_t i, struct tval *out)
{
    return value_own(doc_int(i), out);
}

/* A new uint64 (or uint8) value. */
int value_new_uint(uint64_t u, int u8, struct tval *out)
{
    struct doc *d = doc_new(DOC_UINT);
    int r;

    if (d != NULL)
        d->v.u = u;
    r = value_own(d, out);
    out->u8 = r == 0 && u8;
    return r;
}

/* A bool value (static documents, no allocation). */
struct tval value_bool(int b)
{
    return value_borrow(b ? &value_true_doc : &value_false_doc, 0);
}

/* Free a box and its document (the last reference was dropped). */
void value_box_free(struct tbox *b)
{
    doc_free(b->d);
    free(b);
}

/* A value for a node inside v, sharing v's box. */
struct tval value_child(const struct tval *v, const struct doc *d, int iface)
{
    struct tval c = value_borrow(d, iface);

    if (c.d != NULL && v->box != NULL) {
        c.box = v->box;
        c.box->refs++;
    }
    return c;
}

/* reflect.Value.Kind() of v. */
enum vkind value_kind(const struct tval *v)
{
    if (v->d == NULL)
        return VK_INVALID;
    if (v->iface)
        return VK_INTERFACE;
    switch (v->d->type) {
    case DOC_BOOL:
        return VK_BOOL;
    case DOC_INT:
        /* Sprig tags unsigned results it keeps in a DOC_INT ("go:uint64") */
        if (v->d->tag != NULL && strncmp(v->d->tag, "go:uint", 7) == 0)
            return VK_UINT;
        return VK_INT;
    case DOC_UINT:
        return VK_UINT;
    case DOC_FLOAT:
        return VK_FLOAT;
    case DOC_STR:
    case DOC_COMMENT:
        return VK_STRING;
    case DOC_LIST:
        return VK_LIST;
    case DOC_MAP:
        return VK_MAP;
    default:
        return VK_INVALID;
    }
}

/* Is v an interface holding nil? */
int value_is_nil_iface(const struct tval *v)
{
    return v->d != NULL && v->iface && v->d->type == DOC_NULL;
}

/* Go's indirectInterface: the value inside an interface. */
struct tval value_unwrap(struct tval v)
{
    if (v.d == NULL || !v.iface)
        return v;
    if (v.d->type == DOC_NULL) {
        value_release(&v);
        return v;
    }
    v.iface = 0;
    return v;
}

/* The Go type a "go:TYPE" tag names (Sprig results such as int64 or []string), or NULL. */
static const char *tag_type(const struct doc *d)
{
    if (d->tag == NULL || strncmp(d->tag, "go:", 3) != 0)
        return NULL;
    if (strncmp(d->tag, "go:time.Time|", 13) == 0)
        return "time.Time";
    return d->tag + 3;
}

/* Go type names of the dynamic types documents have. */
static const char *doc_go_type(const struct doc *d, int u8)
{
    const char *tagged = tag_type(d);

    if (tagged != NULL)
        return tagged;
    switch (d->type) {
    case DOC_BOOL:
        return "bool";
    case DOC_INT:
        return "int";
    case DOC_UINT:
        return u8 ? "uint8" : "uint64";
    case DOC_FLOAT:
        return "float64";
    case DOC_STR:
    case DOC_COMMENT:
        return "string";
    case DOC_LIST:
        return "[]interface {}";
    case DOC_MAP:
        return "map[string]interface {}";
    default:
        return NULL;
    }
}

/* reflect.Value.Type().String() of v. */
const char *value_type_name(const struct tval *v)
{
    if (v->d == NULL)
        return "<nil>";
    if (v->iface)
        return "interface {}";
    return doc_go_type(v->d, v->u8);
}

/* The type of the value inside (what %T prints). */
const char *value_dyn_type_name(const struct tval *v)
{
    if (v->d == NULL)
        return NULL;
    return doc_go_type(v->d, v->u8);
}

/* Do the container's elements have the static type interface{}? */
int value_elem_iface(const struct doc *container)
{
    const char *t = tag_type(container), *elem;

    if (t == NULL)
        return 1;
    if (strncmp(t, "[]", 2) == 0)
        elem = t + 2;
    else if (strncmp(t, "map[", 4) == 0 && (elem = strchr(t, ']')) != NULL)
        elem++;
    else
        return 1;
    return strcmp(elem, "interface {}") == 0;
}

/* Length of a list or list view. */
size_t value_list_len(const struct tval *v)
{
    return v->view ? v->len : v->d->v.list.len;
}

/* Capacity of a list or list view (Go's cap). */
size_t value_list_cap(const struct tval *v)
{
    return v->view ? v->cap : v->d->v.list.len;
}

/* Element i of a list or list view. */
struct tval value_list_at(const struct tval *v, size_t i)
{
    size_t k = v->view ? v->off + i : i;
    const struct doc *e = k < v->d->v.list.len ? v->d->v.list.items[k] : &value_null_doc;

    return value_child(v, e, value_elem_iface(v->d));
}

/* A plain document for a function argument. */
const struct doc *value_as_doc(const struct tval *v, struct doc **tmp)
{
    *tmp = NULL;
    if (v->d == NULL || v->d->type == DOC_NULL)
        return &value_null_doc;
    if (!v->view)
        return v->d;
    *tmp = doc_list();
    if (*tmp == NULL)
        return NULL;
    for (size_t i = 0; i < v->len; i++) {
        size_t k = v->off + i;
        const struct doc *e = k < v->d->v.list.len ? v->d->v.list.items[k] : &value_null_doc;
        if (doc_list_push(*tmp, doc_copy(e)) != 0) {
            doc_free(*tmp);
            *tmp = NULL;
            return NULL;
        }
    }
    return *tmp;
}

/* Go's isTrue. */
int value_truth(const struct tval *v, int *truth)
{
    *truth = 0;
    switch (value_kind(v)) {
    case VK_INVALID:
        return 1;
    case VK_INTERFACE:
        *truth = v->d->type != DOC_NULL;
        return 1;
    case VK_BOOL:
        *truth = v->d->v.b != 0;
        return 1;
    case VK_INT:
        *truth = v->d->v.i != 0;
        return 1;
    case VK_UINT:
        *truth = v->d->v.u != 0;
        return 1;
    case VK_FLOAT:
        *truth = v->d->v.f != 0;
        return 1;
    case VK_STRING:
        *truth = v->d->v.s.len > 0;
        return 1;
    case VK_LIST:
        *truth = value_list_len(v) > 0;
        return 1;
    case VK_MAP:
        *truth = v->d->v.map.len > 0;
        return 1;
    }
    return 0;
}
