/*
 * sprig_internal.h - helpers shared by the sprig_*.c files (not for the engine).
 *
 * Argument helpers follow Go text/template's rules for a function parameter of a fixed
 * type (string, int, bool, map, time.Time): a value of another type is the error
 * "wrong type for value; expected T; got U", a nil value "invalid value; expected T".
 * Conversions of interface{} parameters follow spf13/cast as Sprig uses it.
 */
#ifndef VALS_SPRIG_INTERNAL_H
#define VALS_SPRIG_INTERNAL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sprig.h"

/* A borrowed byte string (not NUL-terminated in general). */
struct sstr {
    const char *p;
    size_t len;
};

/* Declare a template function with the tmpl_fn signature. */
#define SPRIG_FN(name)                                                                             \
    int name(struct tmpl_call *call, struct doc *const *argv, int argc, struct doc **out)

/* --- Go types (sprig_types.c) --- */
#define SPRIG_TIME_TAG "go:time.Time|"
/* The "go:" tag type of d (after the prefix, up to any '|'), or NULL. */
const char *sprig_tag_type(const struct doc *d, size_t *len);
/* 1 when the tag type of d is exactly `type`. */
int sprig_tag_is(const struct doc *d, const char *type);
/* Set d's tag to "go:TYPE" (replacing any); frees d and returns NULL on failure. */
struct doc *sprig_tagged(struct doc *d, const char *type);
/* reflect.Kind name ("invalid", "int", "slice", "map", "struct", "ptr", ...). */
const char *sprig_kind_name(const struct doc *d);
int sprig_is_time(const struct doc *d);
/* reflect.DeepEqual on values with Go types (tags) taken into account. */
int sprig_value_equal(const struct doc *a, const struct doc *b);
/* Sprig's empty(): the zero value of its type. */
int sprig_value_empty(const struct doc *d);

/* --- argument helpers (sprig_args.c); each returns 0 or a tmpl_call_fail code --- */
int sprig_arg_str(struct tmpl_call *call, const struct doc *d, struct sstr *out);
int sprig_arg_int(struct tmpl_call *call, const struct doc *d, int64_t *out);
int sprig_arg_bool(struct tmpl_call *call, const struct doc *d, int *out);
/* A map[string]interface{} parameter; *out is NULL for nil. */
int sprig_arg_map(struct tmpl_call *call, const struct doc *d, struct doc **out);
/* A []interface{} parameter; *out is NULL for nil. */
int sprig_arg_list(struct tmpl_call *call, const struct doc *d, struct doc **out);
/* "wrong type for value; expected EXPECTED; got <type of d>" (or the nil variant). */
int sprig_wrong_type(struct tmpl_call *call, const char *expected, const struct doc *d);
int sprig_oom(struct tmpl_call *call);

/* cast.ToInt64 / cast.ToFloat64 (errors give 0, as Sprig ignores them). */
int64_t sprig_to_int64(const struct doc *d);
double sprig_to_float64(const struct doc *d);
/* strconv.ParseInt(s, base, 64) / ParseFloat(s, 64); 0 or -1 (syntax or range). */
int sprig_parse_int(const char *s, size_t len, int base, int64_t *out);
int sprig_parse_float(const char *s, size_t len, double *out);

/* Sprig's strval(): fmt.Sprintf("%v") with Stringer/error special cases. */
int sprig_strval(const struct doc *d, struct dbuf *out);

/* --- results --- */
int sprig_ret_str(struct tmpl_call *call, struct doc **out, const char *p, size_t len);
int sprig_ret_dbuf(struct tmpl_call *call, struct doc **out, struct dbuf *b);
int sprig_ret_bool(struct tmpl_call *call, struct doc **out, int b);
/* An integer; `type` is the Go type tag ("int64") or NULL for plain int. */
int sprig_ret_int(struct tmpl_call *call, struct doc **out, int64_t v, const char *type);
int sprig_ret_float(struct tmpl_call *call, struct doc **out, double f);
/* A copy of d (nil when d is NULL). */
int sprig_ret_copy(struct tmpl_call *call, struct doc **out, const struct doc *d);
/* Take ownership of d (NULL means out of memory). */
int sprig_ret_doc(struct tmpl_call *call, struct doc **out, struct doc *d);
/* Push a new string onto a list; 0 or VALS_ENOMEM. */
int sprig_list_push_str(struct doc *list, const char *p, size_t len);

/* --- base64 (sprig_encoding.c), encoding/base64.StdEncoding --- */
int sprig_b64_encode(const unsigned char *p, size_t len, struct dbuf *out);
/* 0, or -1 with Go's "illegal base64 data at input byte N" in err. */
int sprig_b64_decode(const char *s, size_t len, struct dbuf *out, char *err, size_t errlen);

/* --- UTF-8 and Unicode (sprig_unicode.c), Go's unicode package semantics --- */
#define SPRIG_RUNE_ERROR 0xFFFD
/* utf8.DecodeRuneInString: invalid input gives RUNE_ERROR with width 1 (0 at end). */
int32_t sprig_utf8_decode(const char *s, size_t len, size_t *width);
/* Append a rune as UTF-8 (invalid runes become U+FFFD, as Go's WriteRune). */
int sprig_utf8_put(struct dbuf *b, int32_t r);
int sprig_is_space(int32_t r);
int sprig_is_upper(int32_t r);
int sprig_is_lower(int32_t r);
int sprig_is_title(int32_t r);
int sprig_is_letter(int32_t r);
int sprig_is_digit(int32_t r);
int sprig_is_number(int32_t r);
int sprig_is_punct(int32_t r);
int sprig_is_print(int32_t r);
int32_t sprig_to_upper(int32_t r);
int32_t sprig_to_lower(int32_t r);
int32_t sprig_to_title(int32_t r);
/* strconv.Quote: a double-quoted Go string literal. */
int sprig_go_quote(const char *s, size_t len, struct dbuf *out);

/* --- randomness (sprig_random.c): OpenSSL RAND_bytes, buffered, unbiased --- */
struct sprig_rng {
    unsigned char buf[256];
    size_t pos, len;
};
void sprig_rng_init(struct sprig_rng *r);
/* A uniform integer in [0, n) (n >= 1); -1 when the generator fails. */
int64_t sprig_rng_below(struct sprig_rng *r, uint64_t n);
void sprig_rng_done(struct sprig_rng *r);

/* --- time (sprig_time.c) --- */
struct sprig_tz; /* a loaded zone (sprig_tz.c) */

struct sprig_time {
    int64_t sec;      /* Unix seconds */
    int32_t nsec;     /* 0..999999999 */
    char loc[64];     /* "Local", "UTC", IANA name; "" for a fixed zone */
    int32_t fixoff;   /* fixed zone: offset east of UTC in seconds */
    char fixabbr[16]; /* fixed zone: its name ("" prints the numeric offset) */
};

/* Zone information for an instant in a location. */
struct sprig_zone {
    int32_t offset; /* seconds east of UTC */
    char abbr[16];
    int64_t start, end; /* validity range of this offset (Unix seconds) */
};

/* time.LoadLocation(name) into t->loc; -1 when the zone is unknown. */
int sprig_time_set_location(struct sprig_time *t, const char *name);
void sprig_time_zone(const struct sprig_time *t, int64_t sec, struct sprig_zone *z);
void sprig_time_now(struct sprig_time *t);
/* Go's Time.Format(layout). */
int sprig_time_format(const struct sprig_time *t, const char *layout, size_t len, struct dbuf *out);
/* Go's time.ParseInLocation(layout, value, loc); -1 with a Go-like message in err. */
int sprig_time_parse(const char *layout, size_t llen, const char *value, size_t vlen,
                     const char *loc, struct sprig_time *t, char *err, size_t errlen);
/* A time value as a document (Time.String() text + tag) and back. */
struct doc *sprig_time_doc(const struct sprig_time *t);
int sprig_time_from_doc(const struct doc *d, struct sprig_time *t);
/* time.ParseDuration; -1 with Go's message in err. */
int sprig_parse_duration(const char *s, size_t len, int64_t *ns, char *err, size_t errlen);
/* time.Duration.String(). */
int sprig_format_duration(int64_t ns, struct dbuf *out);
/* Location lookup (sprig_tz.c): name as for LoadLocation; NULL when unknown. */
const struct sprig_tz *sprig_tz_load(const char *name);
void sprig_tz_lookup(const struct sprig_tz *tz, int64_t sec, struct sprig_zone *z);
/* Find the offset of zone abbreviation `abbr` near `sec` (time.Location.lookupName). */
int sprig_tz_lookup_name(const struct sprig_tz *tz, const char *abbr, int64_t sec, int32_t *offset);

/* --- regex (sprig_regex.c), also used by semver --- */
struct sprig_re;
/* Compile a Go (RE2) pattern; NULL with Go's "error parsing regexp: ..." in err. */
struct sprig_re *sprig_re_compile(const char *pat, size_t len, char *err, size_t errlen);
void sprig_re_free(struct sprig_re *re);
/* Match at or after `start`: 1 with ovector (2*(ngroups+1) offsets, -1 unset), 0, <0. */
int sprig_re_exec(struct sprig_re *re, const char *s, size_t len, size_t start, long *ov,
                  int ovmax);
int sprig_re_ngroups(const struct sprig_re *re);

#endif
