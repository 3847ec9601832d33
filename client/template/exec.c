/*
 * exec.c - the template executor: a port of Go 1.19's text/template/exec.go over
 * documents (see value.h), plus Go 1.22's {{range N}} over integers.
 *
 * The functions mirror Go's walk/eval functions one to one, including where Go moves
 * its "current node" (s->node), because that node is the position and the <context> of
 * every error message.  Errors return a negative VALS_E* code with the message in the
 * shared verr; break and continue travel up as WALK_BREAK / WALK_CONTINUE.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "gofmt.h"
#include "strconv.h"
#include "tmpl_int.h"
#include "value.h"

#define WALK_BREAK    1
#define WALK_CONTINUE 2

/* Bytes of C stack an execution may use (deep nesting times deep {{template}}
 * recursion); measured, so it holds for sanitizer builds with their larger frames. */
#define EXEC_STACK_BUDGET ((uintptr_t)3 << 20)

struct xvar {
    const char *name;
    struct tval val;
};

/* What all states of one execution share. */
struct shared {
    struct tmpl *set;
    struct dbuf *out;
    size_t out_limit; /* out->len may not pass this */
    struct verr *e;
};

struct state {
    struct shared *sh;
    const struct tdef *tmpl;
    const struct node *node; /* current node, for errors */
    struct xvar *vars;
    size_t nvars, capvars;
    int depth;
};

static int walk(struct state *s, const struct tval *dot, const struct node *n);
static int eval_pipeline(struct state *s, const struct tval *dot, const struct node *pipe,
                         struct tval *out);
static int eval_arg(struct state *s, const struct tval *dot, enum argkind kind,
                    const struct node *n, struct tval *out);

/* Record Go's exec error: "template: NAME:LINE:COL: executing "T" at <CTX>: MSG". */
static int errorf(struct state *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int errorf(struct state *s, int code, const char *fmt, ...)
{
    char msg[VERR_MSG_MAX];
    struct dbuf name = DBUF_INIT, ctx = DBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (s->node == NULL) {
        verr_set(s->sh->e, code, "template: %s: %s", s->tmpl->name, msg);
    } else {
        const struct tsource *src = s->node->src;
        size_t pos = s->node->pos, col, nl = 0;
        int line = 1, have_nl = 0;
        for (size_t i = 0; i < pos && i < src->len; i++) {
            if (src->text[i] == '\n') {
                line++;
                nl = i;
                have_nl = 1;
            }
        }
        col = have_nl ? pos - (nl + 1) : pos;
        strconv_quote(&name, s->tmpl->name, strlen(s->tmpl->name), '"', 0);
        node_string(s->node, &ctx);
        /* the message has a fixed size: shorten a long context, never the reason */
        size_t fixed = strlen(src->name) + name.len + strlen(msg) + 80;
        if (ctx.p != NULL && fixed + 3 < VERR_MSG_MAX && fixed + ctx.len >= VERR_MSG_MAX) {
            size_t keep = VERR_MSG_MAX - 1 - fixed; /* at least 3 */
            memcpy(ctx.p + keep - 3, "...", 4);
            ctx.len = keep;
        }
        verr_set(s->sh->e, code, "template: %s:%d:%zu: executing %s at <%s>: %s", src->name, line,
                 col, name.p != NULL ? name.p : "\"\"", ctx.p != NULL ? ctx.p : "", msg);
    }
    dbuf_free(&name);
    dbuf_free(&ctx);
    return code;
}

/* Record an out-of-memory error at the current node. */
static int nomem(struct state *s)
{
    return errorf(s, VALS_ENOMEM, "out of memory");
}

/* Count one step of work against the budget. */
static int step(struct state *s)
{
    if (++s->sh->set->steps > s->sh->set->limits.max_steps)
        return errorf(s, VALS_ETOO_LARGE, "execution exceeds the limit of %llu steps",
                      s->sh->set->limits.max_steps);
    return 0;
}

/* The address of the caller's frame, to measure stack use. */
static uintptr_t stack_mark(void) __attribute__((noinline));
static uintptr_t stack_mark(void)
{
    return (uintptr_t)__builtin_frame_address(0);
}

/* Check the stack budget before going one level deeper. */
static int enter(struct state *s)
{
    uintptr_t here = stack_mark(), base = s->sh->set->stack_base;
    uintptr_t used = base > here ? base - here : here - base;

    if (used > EXEC_STACK_BUDGET)
        return errorf(s, VALS_ETOO_LARGE, "template nesting is too deep (over %zu KiB of stack)",
                      (size_t)(EXEC_STACK_BUDGET >> 10));
    return 0;
}

/* Leave a level entered with enter() (the stack check needs no bookkeeping). */
static void leave(struct state *s)
{
    (void)s;
}

/* Write to the output, within the output limit. */
static int write_out(struct state *s, const char *p, size_t n)
{
    struct dbuf *o = s->sh->out;

    if (n > s->sh->out_limit - o->len || dbuf_add(o, p, n) != 0) {
        if (n > s->sh->out_limit - o->len)
            return errorf(s, VALS_ETOO_LARGE, "output exceeds the limit of %zu bytes",
                          s->sh->set->limits.max_output);
        return errorf(s, VALS_ETOO_LARGE, "output buffer is full");
    }
    return 0;
}

/* --- variables --- */

static int push_var(struct state *s, const char *name, const struct tval *v)
{
    if (s->nvars == s->capvars) {
        size_t cap = s->capvars ? s->capvars * 2 : 8;
        struct xvar *p = realloc(s->vars, cap * sizeof(*p));
        if (p == NULL)
            return nomem(s);
        s->vars = p;
        s->capvars = cap;
    }
    s->vars[s->nvars].name = name;
    s->vars[s->nvars].val = value_ref(v);
    s->nvars++;
    return 0;
}

/* Pop the variable stack down to mark, dropping the values. */
static void pop_vars(struct state *s, size_t mark)
{
    while (s->nvars > mark)
        value_release(&s->vars[--s->nvars].val);
}

/* Go's setVar: assign to the innermost variable of that name. */
static int set_var(struct state *s, const char *name, const struct tval *v)
{
    for (size_t i = s->nvars; i-- > 0;) {
        if (strcmp(s->vars[i].name, name) == 0) {
            struct tval old = s->vars[i].val;
            s->vars[i].val = value_ref(v);
            value_release(&old);
            return 0;
        }
    }
    return errorf(s, VALS_ETYPE, "undefined variable: %s", name);
}

/* Go's setTopVar: overwrite the n-th variable from the top (range variables). */
static void set_top_var(struct state *s, size_t n, const struct tval *v)
{
    struct tval old = s->vars[s->nvars - n].val;

    s->vars[s->nvars - n].val = value_ref(v);
    value_release(&old);
}

/* Go's varValue: a new reference to the innermost variable of that name. */
static int var_value(struct state *s, const char *name, struct tval *out)
{
    for (size_t i = s->nvars; i-- > 0;) {
        if (strcmp(s->vars[i].name, name) == 0) {
            *out = value_ref(&s->vars[i].val);
            return 0;
        }
    }
    return errorf(s, VALS_ETYPE, "undefined variable: %s", name);
}

/* --- evaluation --- */

/* A node's text for %s in messages (Go's n.String()). */
static const char *node_text(struct dbuf *b, const struct node *n)
{
    dbuf_reset(b);
    if (node_string(n, b) != 0 || b->p == NULL)
        return "";
    return b->p;
}

/* A value formatted with %v for messages. */
static const char *value_text(struct dbuf *b, const struct tval *v)
{
    dbuf_reset(b);
    if (gofmt_value(b, v, 'v') != 0 || b->p == NULL)
        return "";
    return b->p;
}

/* Go's notAFunction: a non-function word may not take arguments. */
static int not_a_function(struct state *s, struct node *const *args, size_t nargs,
                          const struct tval *final)
{
    struct dbuf b = DBUF_INIT;
    int r = 0;

    if (nargs > 1 || final != NULL)
        r = errorf(s, VALS_ETYPE, "can't give argument to non-function %s", node_text(&b, args[0]));
    dbuf_free(&b);
    return r;
}

/* Go's idealConstant: a number literal as int or float64. */
static int ideal_constant(struct state *s, const struct node *n, struct tval *out)
{
    s->node = n;
    if (n->u.number.val == NULL)
        return errorf(s, VALS_ETYPE, "%.*s overflows int", (int)n->u.number.len, n->u.number.text);
    *out = value_borrow(n->u.number.val, 0);
    return 0;
}

/* Go's evalField: .name on receiver (a map key lookup; documents have no methods). */
static int eval_field(struct state *s, const char *name, struct node *const *args, size_t nargs,
                      const struct tval *final, const struct tval *receiver, struct tval *out)
{
    struct dbuf b = DBUF_INIT;
    const char *typ;
    struct tval recv;
    int r = 0;

    *out = value_invalid();
    if (receiver->d == NULL) {
        if (s->sh->set->missingkey == TMPL_MISSINGKEY_ERROR) {
            strconv_quote(&b, name, strlen(name), '"', 0);
            r = errorf(s, VALS_EMISSING_KEY, "nil data; no entry for key %s", b.p);
        }
        dbuf_free(&b);
        return r;
    }
    typ = value_type_name(receiver);
    if (value_is_nil_iface(receiver))
        return errorf(s, VALS_ETYPE, "nil pointer evaluating %s.%s", typ, name);
    recv = value_unwrap(value_ref(receiver));
    if (value_kind(&recv) == VK_MAP) {
        const struct doc *e;
        if (nargs > 1 || final != NULL) {
            r = errorf(s, VALS_ETYPE, "%s is not a method but has arguments", name);
            goto out;
        }
        e = doc_map_get(recv.d, name, strlen(name));
        if (e != NULL) {
            *out = value_child(&recv, e, value_elem_iface(recv.d));
        } else if (s->sh->set->missingkey == TMPL_MISSINGKEY_ZERO) {
            *out = value_borrow(&value_null_doc, 1);
        } else if (s->sh->set->missingkey == TMPL_MISSINGKEY_ERROR) {
            strconv_quote(&b, name, strlen(name), '"', 0);
            r = errorf(s, VALS_EMISSING_KEY, "map has no entry for key %s", b.p);
        }
        goto out;
    }
    r = errorf(s, VALS_ETYPE, "can't evaluate field %s in type %s", name, typ);
out:
    value_release(&recv);
    dbuf_free(&b);
    return r;
}

/* Go's evalFieldChain: .X.Y.Z, the last one getting the arguments. */
static int eval_field_chain(struct state *s, const struct tval *receiver, char *const *names,
                            size_t n, struct node *const *args, size_t nargs,
                            const struct tval *final, struct tval *out)
{
    struct tval recv = value_ref(receiver), next;
    int r = 0;

    for (size_t i = 0; i + 1 < n && r == 0; i++) {
        r = eval_field(s, names[i], NULL, 0, NULL, &recv, &next);
        value_release(&recv);
        recv = next;
    }
    if (r == 0)
        r = eval_field(s, names[n - 1], args, nargs, final, &recv, out);
    value_release(&recv);
    return r;
}

/* Go's evalFieldNode: .X.Y on dot. */
static int eval_field_node(struct state *s, const struct tval *dot, const struct node *field,
                           struct node *const *args, size_t nargs, const struct tval *final,
                           struct tval *out)
{
    s->node = field;
    return eval_field_chain(s, dot, field->u.ident.names, field->u.ident.n, args, nargs, final,
                            out);
}

/* Go's evalChainNode: (pipeline).X.Y. */
static int eval_chain_node(struct state *s, const struct tval *dot, const struct node *chain,
                           struct node *const *args, size_t nargs, const struct tval *final,
                           struct tval *out)
{
    struct dbuf b = DBUF_INIT;
    struct tval pipe;
    int r;

    s->node = chain;
    if (chain->u.chain.n == 0)
        return errorf(s, VALS_EINTERNAL, "internal error: no fields in evalChainNode");
    if (chain->u.chain.node->type == NODE_NIL) {
        r = errorf(s, VALS_ETYPE, "indirection through explicit nil in %s", node_text(&b, chain));
        dbuf_free(&b);
        return r;
    }
    r = eval_arg(s, dot, ARG_NONE, chain->u.chain.node, &pipe);
    if (r != 0)
        return r;
    r = eval_field_chain(s, &pipe, chain->u.chain.names, chain->u.chain.n, args, nargs, final, out);
    value_release(&pipe);
    return r;
}

/* Go's evalVariableNode: $x or $x.Y.Z. */
static int eval_variable_node(struct state *s, const struct tval *dot, const struct node *var,
                              struct node *const *args, size_t nargs, const struct tval *final,
                              struct tval *out)
{
    struct tval v;
    int r;

    (void)dot;
    s->node = var;
    r = var_value(s, var->u.ident.names[0], &v);
    if (r != 0)
        return r;
    if (var->u.ident.n == 1) {
        r = not_a_function(s, args, nargs, final);
        if (r != 0) {
            value_release(&v);
            return r;
        }
        *out = v;
        return 0;
    }
    r = eval_field_chain(s, &v, var->u.ident.names + 1, var->u.ident.n - 1, args, nargs, final,
                         out);
    value_release(&v);
    return r;
}

/* Go's validateType for the parameter kinds builtins and functions have. */
static int validate_type(struct state *s, const struct tval *v, enum argkind kind, struct tval *out)
{
    *out = value_invalid();
    if (v->d == NULL) {
        switch (kind) {
        case ARG_ANY:
            *out = value_borrow(&value_null_doc, 1);
            return 0;
        case ARG_STRING:
            return errorf(s, VALS_ETYPE, "invalid value; expected string");
        default:
            return 0;
        }
    }
    if (kind != ARG_STRING) {
        *out = value_ref(v);
        return 0;
    }
    if (value_kind(v) == VK_STRING) {
        *out = value_ref(v);
        return 0;
    }
    if (v->iface && v->d->type == DOC_STR) {
        *out = value_unwrap(value_ref(v));
        return 0;
    }
    /* Go looked inside a non-nil interface before giving up: name the inner type */
    return errorf(s, VALS_ETYPE, "wrong type for value; expected string; got %s",
                  v->iface && v->d->type != DOC_NULL ? value_dyn_type_name(v) : value_type_name(v));
}

static int eval_function(struct state *s, const struct tval *dot, const struct node *ident,
                         const struct node *cmd, struct node *const *args, size_t nargs,
                         const struct tval *final, struct tval *out);

static int eval_empty_interface(struct state *s, const struct tval *dot, const struct node *n,
                                struct tval *out)
{
    struct dbuf b = DBUF_INIT;
    int r;

    s->node = n;
    switch (n->type) {
    case NODE_BOOL:
        *out = value_bool(n->u.boolean);
        return 0;
    case NODE_DOT:
        *out = value_ref(dot);
        return 0;
    case NODE_FIELD:
        return eval_field_node(s, dot, n, NULL, 0, NULL, out);
    case NODE_IDENTIFIER:
        return eval_function(s, dot, n, n, NULL, 0, NULL, out);
    case NODE_NIL:
        return errorf(s, VALS_EINTERNAL, "evalEmptyInterface: nil (can't happen)");
    case NODE_NUMBER:
        return ideal_constant(s, n, out);
    case NODE_STRING:
        *out = value_borrow(n->u.string.val, 0);
        return 0;
    case NODE_VARIABLE:
        return eval_variable_node(s, dot, n, NULL, 0, NULL, out);
    case NODE_PIPE:
        return eval_pipeline(s, dot, n, out);
    default:
        r = errorf(s, VALS_ETYPE, "can't handle assignment of %s to empty interface argument",
                   node_text(&b, n));
        dbuf_free(&b);
        return r;
    }
}

/* Go's evalArg: evaluate an argument for a parameter of the given kind. */
static int eval_arg(struct state *s, const struct tval *dot, enum argkind kind,
                    const struct node *n, struct tval *out)
{
    struct tval v = value_invalid();
    struct dbuf b = DBUF_INIT;
    int r;

    *out = value_invalid();
    s->node = n;
    switch (n->type) {
    case NODE_DOT:
        return validate_type(s, dot, kind, out);
    case NODE_NIL:
        if (kind == ARG_STRING)
            return errorf(s, VALS_ETYPE, "cannot assign nil to string");
        if (kind == ARG_ANY)
            *out = value_borrow(&value_null_doc, 1);
        return 0;
    case NODE_FIELD: {
        struct node *const one[1] = {(struct node *)n};
        r = eval_field_node(s, dot, n, one, 1, NULL, &v);
        break;
    }
    case NODE_VARIABLE:
        r = eval_variable_node(s, dot, n, NULL, 0, NULL, &v);
        break;
    case NODE_PIPE:
        r = eval_pipeline(s, dot, n, &v);
        break;
    case NODE_IDENTIFIER:
        r = eval_function(s, dot, n, n, NULL, 0, NULL, &v);
        break;
    case NODE_CHAIN:
        r = eval_chain_node(s, dot, n, NULL, 0, NULL, &v);
        break;
    default:
        switch (kind) {
        case ARG_STRING:
            if (n->type == NODE_STRING) {
                *out = value_borrow(n->u.string.val, 0);
                return 0;
            }
            r = errorf(s, VALS_ETYPE, "expected string; found %s", node_text(&b, n));
            dbuf_free(&b);
            return r;
        case ARG_ANY:
        case ARG_VALUE:
            return eval_empty_interface(s, dot, n, out);
        default:
            r = errorf(s, VALS_ETYPE, "can't handle %s for arg of type <nil>", node_text(&b, n));
            dbuf_free(&b);
            return r;
        }
    }
    if (r == 0)
        r = validate_type(s, &v, kind, out);
    value_release(&v);
    return r;
}

/* Number of nodes of a document (the cost of copying it). */
static size_t doc_nodes(const struct doc *d)
{
    size_t n = 1;

    if (d->type == DOC_LIST)
        for (size_t i = 0; i < d->v.list.len; i++)
            n += doc_nodes(d->v.list.items[i]);
    else if (d->type == DOC_MAP)
        for (size_t i = 0; i < d->v.map.len; i++)
            n += 1 + (d->v.map.items[i].val != NULL ? doc_nodes(d->v.map.items[i].val) : 0);
    return n;
}

/* After a function ran on `copy` (a deep copy of orig): when it changed the map, move the
 * new contents into orig and keep orig's old contents alive in the graveyard until the
 * execution ends (variables may still refer to them); else drop the copy. */
static int swap_in(struct state *s, struct doc *orig, struct doc *copy)
{
    struct tmpl *t = s->sh->set;
    struct doc *old;

    if (doc_equal(orig, copy)) {
        doc_free(copy);
        return 0;
    }
    old = doc_map();
    if (old == NULL || (t->graveyard == NULL && (t->graveyard = doc_list()) == NULL)) {
        doc_free(old);
        doc_free(copy);
        return nomem(s);
    }
    old->v.map = orig->v.map;
    orig->v.map = copy->v.map;
    memset(&copy->v.map, 0, sizeof(copy->v.map));
    doc_free(copy);
    if (doc_list_push(t->graveyard, old) != 0)
        return nomem(s);
    return 0;
}

/* Call a function added with tmpl_add_funcs. */
static int call_user(struct state *s, const struct tmpl_func *f, const struct node *node,
                     const char *name, struct tval *argv, size_t argc, struct tval *out)
{
    const struct doc **docs = calloc(argc + 1, sizeof(const struct doc *));
    struct doc **tmps = calloc(argc + 1, sizeof(struct doc *));
    struct doc *res = NULL, *orig = NULL;
    struct tmpl_call call;
    int r = 0, saved = s->sh->set->active_depth;

    if (docs == NULL || tmps == NULL) {
        r = nomem(s);
        goto out;
    }
    for (size_t i = 0; i < argc; i++) {
        docs[i] = value_as_doc(&argv[i], &tmps[i]);
        if (docs[i] == NULL) {
            r = nomem(s);
            goto out;
        }
    }
    /* a map as first argument may be changed in place (Sprig's set): the function works
       on a copy, swapped in afterwards (see tmpl.h); the copying counts as steps */
    if (argc > 0 && docs[0]->type == DOC_MAP && tmps[0] == NULL) {
        orig = (struct doc *)docs[0];
        s->sh->set->steps += doc_nodes(orig);
        if ((r = step(s)) != 0)
            goto out;
        tmps[0] = doc_copy(orig);
        if (tmps[0] == NULL) {
            r = nomem(s);
            goto out;
        }
        docs[0] = tmps[0];
    }
    memset(&call, 0, sizeof(call));
    call.name = name;
    call.tmpl = s->sh->set;
    call.userdata = s->sh->set->userdata;
    s->sh->set->active_depth = s->depth;
    r = f->fn(&call, (struct doc *const *)docs, (int)argc, &res);
    s->sh->set->active_depth = saved;
    if (orig != NULL) {
        struct doc *copy = tmps[0];
        int sr;
        tmps[0] = NULL;
        sr = swap_in(s, orig, copy);
        if (r == 0 && sr != 0) {
            doc_free(res);
            r = sr;
            goto out;
        }
    }
    if (r != 0) {
        doc_free(res);
        s->node = node;
        call.err[sizeof(call.err) - 1] = '\0';
        r = errorf(s, r < 0 ? r : VALS_EBACKEND, "error calling %s: %s", name,
                   call.err[0] != '\0' ? call.err : vals_strerror(r));
        goto out;
    }
    if (res == NULL)
        res = doc_null();
    if (value_own(res, out) != 0)
        r = nomem(s);
out:
    if (tmps != NULL)
        for (size_t i = 0; i < argc; i++)
            doc_free(tmps[i]);
    free(tmps);
    free(docs);
    return r;
}

/* Call a builtin (kept out of eval_call so its buffers are not on the recursion path). */
static int call_builtin(struct state *s, const struct builtin *b, const struct node *node,
                        const char *name, struct tval *argv, size_t argc, struct tval *out)
    __attribute__((noinline));
static int call_builtin(struct state *s, const struct builtin *b, const struct node *node,
                        const char *name, struct tval *argv, size_t argc, struct tval *out)
{
    struct bctx c;
    int r;

    memset(&c, 0, sizeof(c));
    c.max_string = s->sh->set->limits.max_output;
    r = b->fn(&c, argv, argc, out);
    if (r != 0) {
        s->node = node;
        r = errorf(s, r == -1 ? VALS_ETYPE : r, "error calling %s: %s", name,
                   c.err[0] != '\0' ? c.err : vals_strerror(r));
    }
    return r;
}

/* Go's evalCall: check the argument count, evaluate the arguments, call. */
static int eval_call(struct state *s, const struct tval *dot, const struct builtin *b,
                     const struct tmpl_func *uf, const struct node *node, const char *name,
                     struct node *const *args, size_t nargs, const struct tval *final,
                     struct tval *out)
{
    size_t num_in, num_fixed, i = 0;
    int nin, variadic;
    struct tval *argv = NULL;
    int r = 0;

    *out = value_invalid();
    if (args != NULL) {
        args++;
        nargs--;
    }
    num_in = nargs + (final != NULL);
    if (b != NULL) {
        nin = b->nin;
        variadic = b->variadic;
    } else if (uf->max_args == TMPL_VARIADIC) {
        nin = uf->min_args + 1;
        variadic = 1;
    } else {
        nin = uf->min_args;
        variadic = 0;
    }
    num_fixed = nargs;
    if (variadic) {
        num_fixed = (size_t)nin - 1;
        if (num_in < num_fixed)
            return errorf(s, VALS_ETYPE, "wrong number of args for %s: want at least %d got %zu",
                          name, nin - 1, nargs);
    } else if (b == NULL && uf->min_args != uf->max_args) {
        if (num_in < (size_t)uf->min_args || num_in > (size_t)uf->max_args)
            return errorf(s, VALS_ETYPE, "wrong number of args for %s: want %d got %zu", name,
                          num_in < (size_t)uf->min_args ? uf->min_args : uf->max_args, num_in);
    } else if (num_in != (size_t)nin) {
        return errorf(s, VALS_ETYPE, "wrong number of args for %s: want %d got %zu", name, nin,
                      num_in);
    }
    if (b != NULL && b->fn == NULL) {
        /* and / or short-circuit: the deciding argument is the result */
        int is_or = name[0] == 'o';
        struct tval v = value_invalid();
        for (i = 0; i < nargs; i++) {
            value_release(&v);
            r = eval_arg(s, dot, ARG_VALUE, args[i], &v);
            if (r != 0)
                return r;
            if (builtin_truth(&v) == is_or) {
                *out = v;
                return 0;
            }
        }
        if (final != NULL) {
            value_release(&v);
            v = value_ref(final);
        }
        *out = v;
        return 0;
    }
    argv = calloc(num_in + 1, sizeof(*argv));
    if (argv == NULL)
        return nomem(s);
    for (i = 0; i < num_fixed && i < nargs && r == 0; i++)
        r = eval_arg(s, dot, b != NULL ? b->in[i] : ARG_ANY, args[i], &argv[i]);
    if (variadic)
        for (; i < nargs && r == 0; i++)
            r = eval_arg(s, dot, b != NULL ? b->in[nin - 1] : ARG_ANY, args[i], &argv[i]);
    if (r == 0 && final != NULL) {
        enum argkind k = ARG_ANY;
        if (b != NULL)
            k = b->in[(variadic && num_in - 1 >= num_fixed) ? (size_t)nin - 1 : num_in - 1];
        r = validate_type(s, final, k, &argv[i]);
    }
    if (r == 0 && (r = step(s)) == 0) {
        if (b != NULL) {
            r = call_builtin(s, b, node, name, argv, num_in, out);
        } else {
            r = call_user(s, uf, node, name, argv, num_in, out);
        }
    }
    for (size_t k = 0; k < num_in; k++)
        value_release(&argv[k]);
    free(argv);
    return r;
}

/* Go's evalFunction: look up a function (added ones first) and call it. */
static int eval_function(struct state *s, const struct tval *dot, const struct node *ident,
                         const struct node *cmd, struct node *const *args, size_t nargs,
                         const struct tval *final, struct tval *out)
{
    const char *name = ident->u.ident.names[0];
    const struct tmpl_func *uf = tmpl_find_func(s->sh->set, name, strlen(name));
    const struct builtin *b = uf == NULL ? builtin_find(name, strlen(name)) : NULL;
    struct dbuf q = DBUF_INIT;

    s->node = ident;
    if (uf == NULL && b == NULL) {
        int r;
        strconv_quote(&q, name, strlen(name), '"', 0);
        r = errorf(s, VALS_ETYPE, "%s is not a defined function", q.p);
        dbuf_free(&q);
        return r;
    }
    return eval_call(s, dot, b, uf, cmd, name, args, nargs, final, out);
}

/* Go's evalCommand: one command of a pipeline; final is the previous result or NULL. */
static int eval_command(struct state *s, const struct tval *dot, const struct node *cmd,
                        const struct tval *final, struct tval *out)
{
    struct node *const *args = cmd->u.list.v;
    size_t nargs = cmd->u.list.len;
    const struct node *first = args[0];
    struct dbuf b = DBUF_INIT;
    int r;

    *out = value_invalid();
    if ((r = step(s)) != 0)
        return r;
    switch (first->type) {
    case NODE_FIELD:
        return eval_field_node(s, dot, first, args, nargs, final, out);
    case NODE_CHAIN:
        return eval_chain_node(s, dot, first, args, nargs, final, out);
    case NODE_IDENTIFIER:
        return eval_function(s, dot, first, cmd, args, nargs, final, out);
    case NODE_PIPE:
        if ((r = not_a_function(s, args, nargs, final)) != 0)
            return r;
        return eval_pipeline(s, dot, first, out);
    case NODE_VARIABLE:
        return eval_variable_node(s, dot, first, args, nargs, final, out);
    default:
        break;
    }
    s->node = first;
    if ((r = not_a_function(s, args, nargs, final)) != 0)
        return r;
    switch (first->type) {
    case NODE_BOOL:
        *out = value_bool(first->u.boolean);
        return 0;
    case NODE_DOT:
        *out = value_ref(dot);
        return 0;
    case NODE_NIL:
        return errorf(s, VALS_ETYPE, "nil is not a command");
    case NODE_NUMBER:
        return ideal_constant(s, first, out);
    case NODE_STRING:
        *out = value_borrow(first->u.string.val, 0);
        return 0;
    default:
        r = errorf(s, VALS_ETYPE, "can't evaluate command %s", node_text(&b, first));
        dbuf_free(&b);
        return r;
    }
}

/* Go's evalPipeline: run the commands, then declare or assign the variables. */
static int eval_pipeline(struct state *s, const struct tval *dot, const struct node *pipe,
                         struct tval *out)
{
    struct tval value = value_invalid(), v;
    int r = 0, have = 0;

    *out = value_invalid();
    if (pipe == NULL)
        return 0;
    if ((r = enter(s)) != 0)
        return r;
    s->node = pipe;
    for (size_t i = 0; i < pipe->u.pipe.cmds.len && r == 0; i++) {
        r = eval_command(s, dot, pipe->u.pipe.cmds.v[i], have ? &value : NULL, &v);
        value_release(&value);
        value = value_unwrap(v);
        have = 1;
    }
    for (size_t i = 0; i < pipe->u.pipe.decl.len && r == 0; i++) {
        const char *name = pipe->u.pipe.decl.v[i]->u.ident.names[0];
        if (pipe->u.pipe.is_assign)
            r = set_var(s, name, &value);
        else
            r = push_var(s, name, &value);
    }
    leave(s);
    if (r != 0) {
        value_release(&value);
        return r;
    }
    *out = value;
    return 0;
}

/* --- walking --- */

static int print_value(struct state *s, const struct node *n, const struct tval *v)
{
    struct dbuf b;
    int r;

    s->node = n;
    if (v->d == NULL)
        return write_out(s, "<no value>", 10);
    dbuf_init(&b, s->sh->out_limit - s->sh->out->len + 1);
    r = gofmt_sprint(&b, v, 1);
    if (r == 0)
        r = write_out(s, b.p != NULL ? b.p : "", b.len);
    else if (r == VALS_ETOO_LARGE)
        r = errorf(s, r, "output exceeds the limit of %zu bytes", s->sh->set->limits.max_output);
    else
        r = nomem(s);
    dbuf_free(&b);
    return r;
}

/* Go's walkIfOrWith: if and with (which also sets dot). */
static int walk_if_with(struct state *s, enum node_type type, const struct tval *dot,
                        const struct node *n)
{
    size_t mark = s->nvars;
    struct tval val;
    int truth, r;

    r = eval_pipeline(s, dot, n->u.branch.pipe, &val);
    if (r == 0) {
        value_truth(&val, &truth);
        if (truth)
            r = walk(s, type == NODE_WITH ? &val : dot, n->u.branch.list);
        else if (n->u.branch.else_list != NULL)
            r = walk(s, dot, n->u.branch.else_list);
    }
    pop_vars(s, mark);
    value_release(&val);
    return r;
}

/* One iteration of a range body; returns WALK_BREAK to stop. */
static int range_iteration(struct state *s, const struct node *rn, size_t mark,
                           const struct tval *index, const struct tval *elem)
{
    const struct node *pipe = rn->u.branch.pipe;
    size_t nd = pipe->u.pipe.decl.len;
    int r = 0;

    if (nd > 0) {
        if (pipe->u.pipe.is_assign)
            r = set_var(s, pipe->u.pipe.decl.v[0]->u.ident.names[0], nd > 1 ? index : elem);
        else
            set_top_var(s, 1, elem);
    }
    if (r == 0 && nd > 1) {
        if (pipe->u.pipe.is_assign)
            r = set_var(s, pipe->u.pipe.decl.v[1]->u.ident.names[0], elem);
        else
            set_top_var(s, 2, index);
    }
    if (r == 0)
        r = walk(s, elem, rn->u.branch.list);
    pop_vars(s, mark);
    return r == WALK_CONTINUE ? 0 : r;
}

/* Go's walkRange: lists, maps in key order, and integers (Go 1.22). */
static int walk_range(struct state *s, const struct tval *dot, const struct node *rn)
{
    size_t mark0 = s->nvars, mark;
    struct tval val, idx = value_invalid(), elem = value_invalid();
    struct dbuf b = DBUF_INIT;
    int r, ran = 0;

    s->node = rn;
    r = eval_pipeline(s, dot, rn->u.branch.pipe, &val);
    if (r != 0)
        goto out;
    mark = s->nvars;
    switch (value_kind(&val)) {
    case VK_INT:
    case VK_UINT: {
        /* Go 1.22: range over an integer n gives 0 .. n-1 */
        long long n = value_kind(&val) == VK_INT         ? (long long)val.d->v.i
                      : val.d->v.u > (uint64_t)INT64_MAX ? INT64_MAX
                                                         : (long long)val.d->v.u;
        if (rn->u.branch.pipe->u.pipe.decl.len > 1) {
            r = errorf(s, VALS_ETYPE, "can't use %s to iterate over more than one variable",
                       value_text(&b, &val));
            goto out;
        }
        if (n > s->sh->set->limits.max_range) {
            r = errorf(s, VALS_ETOO_LARGE, "range over %lld exceeds the limit of %lld iterations",
                       n, s->sh->set->limits.max_range);
            goto out;
        }
        for (long long i = 0; i < n && r == 0; i++) {
            if (value_kind(&val) == VK_INT)
                r = value_new_int(i, &elem);
            else
                r = value_new_uint((uint64_t)i, val.u8, &elem);
            if (r != 0) {
                r = nomem(s);
                break;
            }
            r = range_iteration(s, rn, mark, &idx, &elem);
            value_release(&elem);
            ran = 1;
        }
        break;
    }
    case VK_LIST: {
        size_t n = value_list_len(&val);
        for (size_t i = 0; i < n && r == 0; i++) {
            if (value_new_int((int64_t)i, &idx) != 0) {
                r = nomem(s);
                break;
            }
            elem = value_list_at(&val, i);
            r = range_iteration(s, rn, mark, &idx, &elem);
            value_release(&elem);
            value_release(&idx);
            ran = 1;
        }
        break;
    }
    case VK_MAP: {
        /* Go sorts the pairs before the first iteration; the body may change the map
           (through a function such as Sprig's unset), so iterate over a snapshot */
        size_t n, *order = gofmt_sorted_keys(val.d, &n);
        struct doc_pair *pairs = order != NULL ? calloc(n + 1, sizeof(*pairs)) : NULL;
        int iface = value_elem_iface(val.d);
        if (pairs == NULL) {
            free(order);
            r = nomem(s);
            break;
        }
        for (size_t i = 0; i < n; i++)
            pairs[i] = val.d->v.map.items[order[i]];
        for (size_t i = 0; i < n && r == 0; i++) {
            idx = value_child(&val, pairs[i].key, 0);
            elem = value_child(&val, pairs[i].val, iface);
            r = range_iteration(s, rn, mark, &idx, &elem);
            value_release(&elem);
            value_release(&idx);
            ran = 1;
        }
        free(pairs);
        free(order);
        break;
    }
    case VK_INVALID:
        break;
    default:
        r = errorf(s, VALS_ETYPE, "range can't iterate over %s", value_text(&b, &val));
        goto out;
    }
    if (r == WALK_BREAK)
        r = 0;
    if (r == 0 && !ran && rn->u.branch.else_list != NULL)
        r = walk(s, dot, rn->u.branch.else_list);
out:
    pop_vars(s, mark0);
    value_release(&val);
    dbuf_free(&b);
    return r;
}

/* Go's walkTemplate: run a named template with a fresh variable stack. */
static int walk_template(struct state *s, const struct tval *dot, const struct node *tn)
{
    const struct tdef *def;
    struct state child;
    struct tval newdot;
    struct dbuf q = DBUF_INIT;
    int r;

    s->node = tn;
    def = tmpl_lookup(s->sh->set, tn->u.tmpl.name);
    if (def == NULL) {
        strconv_quote(&q, tn->u.tmpl.name, strlen(tn->u.tmpl.name), '"', 0);
        r = errorf(s, VALS_ETYPE, "template %s not defined", q.p);
        dbuf_free(&q);
        return r;
    }
    if (s->depth >= s->sh->set->limits.max_exec_depth)
        return errorf(s, VALS_ETOO_LARGE, "exceeded maximum template depth (%d)",
                      s->sh->set->limits.max_exec_depth);
    r = eval_pipeline(s, dot, tn->u.tmpl.pipe, &newdot);
    if (r != 0)
        return r;
    memset(&child, 0, sizeof(child));
    child.sh = s->sh;
    child.tmpl = def;
    child.node = s->node;
    child.depth = s->depth + 1;
    r = push_var(&child, "$", &newdot);
    if (r == 0)
        r = walk(&child, &newdot, def->root);
    pop_vars(&child, 0);
    free(child.vars);
    value_release(&newdot);
    return r;
}

/* Go's walk: execute one node, writing its output. */
static int walk(struct state *s, const struct tval *dot, const struct node *n)
{
    struct tval val;
    int r;

    if ((r = step(s)) != 0 || (r = enter(s)) != 0)
        return r;
    s->node = n;
    switch (n->type) {
    case NODE_ACTION:
        r = eval_pipeline(s, dot, n->u.action, &val);
        if (r == 0 && n->u.action->u.pipe.decl.len == 0)
            r = print_value(s, n, &val);
        value_release(&val);
        break;
    case NODE_BREAK:
        r = WALK_BREAK;
        break;
    case NODE_CONTINUE:
        r = WALK_CONTINUE;
        break;
    case NODE_COMMENT:
        break;
    case NODE_IF:
    case NODE_WITH:
        r = walk_if_with(s, n->type, dot, n);
        break;
    case NODE_LIST:
        for (size_t i = 0; i < n->u.list.len && r == 0; i++)
            r = walk(s, dot, n->u.list.v[i]);
        break;
    case NODE_RANGE:
        r = walk_range(s, dot, n);
        break;
    case NODE_TEMPLATE:
        r = walk_template(s, dot, n);
        break;
    case NODE_TEXT:
        r = write_out(s, n->u.text.p, n->u.text.len);
        break;
    default:
        r = errorf(s, VALS_EINTERNAL, "unknown node");
        break;
    }
    leave(s);
    return r;
}

/* Execute a named template of the set with data as dot and $. */
int exec_template(struct tmpl *t, const struct tdef *def, const struct doc *data, struct dbuf *out,
                  struct verr *e)
{
    struct shared sh;
    struct state s;
    struct tval dot = value_borrow(data, 0);
    size_t cap = out->max != 0 ? out->max : ((size_t)1 << 30);
    int r, saved = t->active_depth;
    struct dbuf q = DBUF_INIT;

    memset(&sh, 0, sizeof(sh));
    sh.set = t;
    sh.out = out;
    sh.e = e;
    sh.out_limit = out->len + t->limits.max_output;
    if (sh.out_limit > cap || sh.out_limit < out->len)
        sh.out_limit = cap;
    memset(&s, 0, sizeof(s));
    s.sh = &sh;
    s.tmpl = def;
    s.depth = saved >= 0 ? saved : 0;
    if (saved < 0) {
        /* the outermost execution: nested ones (from functions) share its budgets */
        t->stack_base = stack_mark();
        t->steps = 0;
    }
    if (def->root == NULL) {
        strconv_quote(&q, def->name, strlen(def->name), '"', 0);
        r = errorf(&s, VALS_ETYPE, "%s is an incomplete or empty template", q.p);
        dbuf_free(&q);
        return r;
    }
    r = push_var(&s, "$", &dot);
    if (r == 0) {
        t->active_depth = s.depth;
        r = walk(&s, &dot, def->root);
        t->active_depth = saved;
    }
    pop_vars(&s, 0);
    free(s.vars);
    if (saved < 0) {
        doc_free(t->graveyard);
        t->graveyard = NULL;
    }
    return r < 0 ? r : 0;
}
