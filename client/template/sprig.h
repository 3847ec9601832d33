/*
 * sprig.h - the Sprig v3 text function library (github.com/Masterminds/sprig/v3 v3.2.3,
 * sprig.TxtFuncMap()) for the template engine, through the tmpl_fn ABI of tmpl.h.
 *
 * Register it with tmpl_add_funcs(t, sprig_funcs, sprig_nfuncs).  The table is static
 * and lives for the whole program.
 *
 * Value conventions (shared with the engine, see also sprig_format_value below):
 *
 *  - Go type names.  A document may carry a tag "go:TYPE" naming the Go type Sprig would
 *    have returned where it differs from the default of its document type (DOC_INT is
 *    "int", DOC_FLOAT "float64", DOC_STR "string", DOC_BOOL "bool", DOC_LIST
 *    "[]interface {}", DOC_MAP "map[string]interface {}").  Examples: "go:int64" (add,
 *    mul, ...), "go:[]string" (splitList, keys), "go:[]int" (until), "go:map[string]string"
 *    (split), "go:sprig.certificate" (genCA, a map with Cert and Key), "go:*semver.Version"
 *    (semver, a map with Major, Minor, Patch, Prerelease, Metadata, Original).  typeOf,
 *    kindOf, typeIs, deepEqual and the int/int64 distinctions of Sprig (e.g. `duration`
 *    only honours int64 and strings) read these tags.  The engine should keep tags when it
 *    stores or copies values (doc_copy does).
 *  - time.Time values are DOC_STR documents holding Go's Time.String() text
 *    ("2006-01-02 15:04:05.999999999 -0700 MST", without the monotonic "m=" part) with the
 *    tag "go:time.Time|LOCATION" (LOCATION: "Local", "UTC", an IANA name, or empty for a
 *    fixed zone).  Printing one therefore prints what Go prints.
 *  - Sprig functions that mutate their argument in Go (set, unset, merge, mergeOverwrite,
 *    mustMerge, mustMergeOverwrite) mutate argv[0] in place, so `$_ := set $d "k" "v"`
 *    changes $d as in Go: the engine must pass the variable's own document, not a copy.
 *    They also return a copy of the result in *out.
 *  - Errors (Go panics and returned errors alike) are reported with tmpl_call_fail and
 *    read like Go's, e.g. "wrong type for value; expected string; got int".
 *
 * Known differences from Sprig 3.2.3 under Go (each also noted where it is implemented):
 *  - keys/values list each map's entries sorted by key (Go: random order).
 *  - An int parameter accepts int64 values too (Go refuses "expected int; got int64"), and a
 *    constant of the wrong type reports "wrong type for value" (Go: "expected string;
 *    found 3"), because functions see values, not template syntax.
 *  - Regular expressions run on PCRE2: every RE2 pattern matches as in Go, but patterns Go
 *    rejects (backreferences, lookaround) are accepted; syntax error texts are Go's for
 *    missing/unexpected parentheses, brackets and repetition, PCRE2's otherwise.
 *  - fromJson/mustFromJson error texts are rmk's JSON reader's, not encoding/json's.
 *  - now prints without Go's monotonic clock suffix (" m=+0.0001").
 *  - getHostByName fails with "lookup NAME: REASON" (Sprig panics with "invalid argument to
 *    Intn"); it needs a resolver (DNS or /etc/hosts).
 *  - semver returns a map: .Major, .Prerelease, ... work, methods with arguments (.Compare)
 *    do not, and the engine prints it as a map unless it uses sprig_format_value.
 *  - bcrypt/htpasswd fail on a password containing a NUL byte (C strings).
 *  - until/untilStep refuse ranges of more than 10 million elements.
 *  - Sprig's plain functions panic where the must* variants return errors; both are errors.
 */
#ifndef VALS_SPRIG_H
#define VALS_SPRIG_H

#include <stddef.h>

#include "tmpl.h"

extern const struct tmpl_func sprig_funcs[];
extern const size_t sprig_nfuncs;

/*
 * Append `d` formatted as Go's fmt %v would print the value Sprig returned: like
 * doc_format_gov, except that *semver.Version prints as "1.2.3-pre+meta" (its String
 * method).  The engine may use it to print values (optional).
 */
int sprig_format_value(const struct doc *d, struct dbuf *out);

/* The Go type name of a value as fmt's %T prints it ("<nil>" for nil). */
int sprig_type_name(const struct doc *d, char *buf, size_t len);

#endif
