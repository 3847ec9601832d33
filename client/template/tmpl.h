/*
 * tmpl.h - Go text/template, in C: the public face of the template engine.
 *
 * Values are documents (lib/doc.h): nil, bool, int, uint, float, string, list, map.  The
 * data passed as "." is a document; functions take and return documents.
 *
 * Usage:
 *   struct tmpl *t = tmpl_new("spec.yaml.gotmpl");
 *   tmpl_add_funcs(t, sprig_funcs, sprig_nfuncs);       // optional extra functions
 *   tmpl_parse(t, text, len, &e);                       // may be called for several texts
 *   tmpl_execute(t, NULL, data, &out, &e);              // NULL = the template named at new
 *   tmpl_free(t);
 *
 * Errors read like Go's: "template: NAME:LINE:COL: executing \"NAME\" at <fn>: error
 * calling fn: ..." and parse errors "template: NAME:LINE: ...".
 *
 * Semantics are Go 1.19's text/template (checked against Go by the differential test),
 * plus range over an integer (Go 1.22), {{else with}} (Go 1.23) and range variables
 * assigned with = (Go 1.21).  Complex number literals are rejected.  A set is not
 * thread-safe: execute it from one thread at a time (functions may execute it again, as
 * Helm's include does).  A byte taken from a string by index reaches functions as a
 * DOC_UINT; the invalid value and nil reach them as DOC_NULL.
 */
#ifndef VALS_TMPL_H
#define VALS_TMPL_H

#include <stddef.h>

#include "../../lib/dbuf.h"
#include "../../lib/doc.h"
#include "../../lib/verr.h"

struct tmpl;

/* The state of one function call, given to every tmpl_fn. */
struct tmpl_call {
    const char *name;  /* the function's name */
    struct tmpl *tmpl; /* the executing template set */
    void *userdata;    /* from tmpl_set_userdata */
    char err[512];     /* set by tmpl_call_fail */
};

/*
 * A template function.  `argv` are borrowed (do not free or keep them); on success store
 * a new document (owned by the caller) in *out and return 0.  On failure return
 * tmpl_call_fail(call, ...) which records the message; the engine adds the
 * "error calling NAME:" prefix and the position.
 *
 * A function may change a map given as its first argument in place, as Sprig's set,
 * unset and merge do in Go: the change is seen through every reference to the map
 * (including maps of the execution's data).  The engine makes that safe: it hands such a
 * map over as a copy and, when the function changed it, moves the new contents into the
 * original, keeping the replaced values alive until the execution ends.
 */
typedef int (*tmpl_fn)(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out);

#define TMPL_VARIADIC (-1)

struct tmpl_func {
    const char *name;
    tmpl_fn fn;
    int min_args; /* checked by the engine before the call */
    int max_args; /* TMPL_VARIADIC for no upper bound */
};

/* Record the failure of the current call (printf-style); returns VALS_EBACKEND.  The
 * message is what Go's error would say (without "error calling NAME: "). */
int tmpl_call_fail(struct tmpl_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The opaque pointer given to tmpl_set_userdata (rmk functions reach their context). */
void *tmpl_call_userdata(struct tmpl_call *call);
/* The template that is executing (e.g. so `include`/`tpl` can run another one). */
struct tmpl *tmpl_call_template(struct tmpl_call *call);

/*
 * Bounds on untrusted templates.  Go has no limits but its 100000-deep {{template}}
 * recursion; we keep every resource bounded and fail with a clear error.
 */
struct tmpl_limits {
    size_t max_text;              /* bytes of template text per tmpl_parse (default 16 MiB) */
    int max_nesting;              /* nested control structures and parentheses (default 200) */
    int max_exec_depth;           /* nested {{template}} calls (default 1000) */
    size_t max_output;            /* bytes written by one execution, also the largest string a
                                     builtin may build (default 64 MiB) */
    long long max_range;          /* iterations of {{range N}} over an integer (default 10000000) */
    unsigned long long max_steps; /* nodes and commands evaluated per execution, shared
                                     with the executions functions start (default 1e8) */
};
/* Besides these, an execution may use at most 3 MiB of C stack (deep nesting times deep
 * recursion) and fails cleanly beyond. */

enum tmpl_missingkey {
    TMPL_MISSINGKEY_DEFAULT, /* "<no value>" when printed */
    TMPL_MISSINGKEY_ZERO,
    TMPL_MISSINGKEY_ERROR,
};

struct tmpl *tmpl_new(const char *name);
void tmpl_free(struct tmpl *t);
/* Register functions (the array must outlive the template). Later names override. */
int tmpl_add_funcs(struct tmpl *t, const struct tmpl_func *funcs, size_t n);
void tmpl_set_userdata(struct tmpl *t, void *userdata);
void tmpl_set_missingkey(struct tmpl *t, enum tmpl_missingkey mode);
/* Go's Option("missingkey=default|invalid|zero|error"); VALS_EUSAGE for anything else. */
int tmpl_set_option(struct tmpl *t, const char *opt, struct verr *e);
void tmpl_get_limits(const struct tmpl *t, struct tmpl_limits *l);
void tmpl_set_limits(struct tmpl *t, const struct tmpl_limits *l);
/* Is there a template of this name in the set (Go's Lookup != nil)? */
int tmpl_has_template(const struct tmpl *t, const char *name);
/* Change the action delimiters (Go's Delims); NULL keeps the default. */
int tmpl_set_delims(struct tmpl *t, const char *left, const char *right);
/* Parse `text` into the template set, under the set's name (define/block add others).
 * On error nothing is added.  Codes: VALS_EPARSE, VALS_ETOO_LARGE, VALS_ENOMEM. */
int tmpl_parse(struct tmpl *t, const char *text, size_t len, struct verr *e);
/* Execute template `name` (NULL: the set's own name) with `data` as "." (NULL or a
 * DOC_NULL document: Go's nil); appends to out.  On error out keeps what was written
 * before it, as Go's writer would.  Codes: VALS_ETYPE (evaluation), VALS_EMISSING_KEY
 * (missingkey=error), VALS_ETOO_LARGE (a limit), VALS_ENOT_FOUND (no such template),
 * VALS_ENOMEM, or the code a function returned. */
int tmpl_execute(struct tmpl *t, const char *name, const struct doc *data, struct dbuf *out,
                 struct verr *e);

#endif
