/*
 * local_refs.h - the backends that need no network: echo, envsubst and file.
 *
 * Shared by the daemon (daemon/backends/{echo,envsubst,file}.c wrap them) and by clients
 * that must resolve file refs in their own process (DESIGN.md §6).  Each function fetches
 * one ref in "string mode" (no fragment: the value is a string) or "map mode" (a fragment
 * follows: the value is a mapping to walk), exactly as vals' GetString/GetStringMap.
 */
#ifndef VALS_LOCAL_REFS_H
#define VALS_LOCAL_REFS_H

#include "dbuf.h"
#include "doc.h"
#include "ref.h"
#include "verr.h"

#define LOCAL_FILE_MAX (64u << 20) /* largest file a file ref may read */

/* Look up an environment variable of the request's credential context; NULL if unset. */
typedef const char *(*local_env_fn)(void *ctx, const char *name, size_t len);

/* echo: string mode = the key without a trailing '/'; map mode = nested map built from the
 * '/'-separated parts (foo/bar/baz -> {foo: {bar: baz}}), at least two parts. */
int local_echo(const struct ref *r, int map_mode, struct doc **out, struct verr *e);

/* Shell-like substitution of a8m/envsubst: $V ${V} ${V-d} ${V:-d} ${V=d} ${V:=d} ${V+a}
 * ${V:+a} ${#V} ${V^} ${V^^} ${V,} ${V,,} ${V:off} ${V:off:len} and $$ for a literal '$'. */
int local_envsubst_expand(const char *s, size_t len, local_env_fn env, void *ctx, struct dbuf *out,
                          struct verr *e);
/* envsubst ref: the key (trailing '/' and whitespace trimmed) substituted; map mode parses
 * the result as a YAML mapping. */
int local_envsubst(const struct ref *r, int map_mode, local_env_fn env, void *ctx, struct doc **out,
                   struct verr *e);

/* Resolve a file ref's path: absolute keys as is, relative ones against `cwd` (NULL: the
 * process's directory).  *path is malloc'ed. */
int local_file_path(const struct ref *r, const char *cwd, char **path, struct verr *e);
/* file: string mode = the bytes (encode=raw|base64); map mode = the first YAML/JSON
 * document, which must be a mapping (an empty file is {}). */
int local_file(const struct ref *r, const char *path, int map_mode, struct doc **out,
               struct verr *e);
/* Read a whole file (at most `max` bytes) into out; "-" reads standard input. Errors name
 * the path. */
int local_read_file(const char *path, size_t max, struct dbuf *out, struct verr *e);
/* Parse bytes as the mapping of a map-mode fetch (first YAML document; {} when empty). */
int local_parse_map(const char *buf, size_t len, const char *name, struct doc **out,
                    struct verr *e);

#endif
