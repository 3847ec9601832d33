/*
 * batch.h - client-side evaluation of refs in documents and strings, with valsd doing
 * the lookups: every ref the evaluation can see is sent in one resolve_many (one round
 * trip per nesting level), so a cold backend is asked concurrently.  The document never
 * leaves the client, so comments, key order and scalar styles are kept exactly.
 *
 * Internal to the clients (valsctl, rmk); not part of the public API.
 */
#ifndef VALS_BATCH_H
#define VALS_BATCH_H

#include "lib/doc.h"
#include "lib/ref.h"
#include "valsd/client.h"

struct batch;

struct batch *batch_new(struct vals_client *c);
void batch_free(struct batch *b);
/* Ask valsd for these ref strings ("ref+..."), all in one round trip, and remember the
 * answers (used to prefetch refs found by a scan). */
int batch_prefetch(struct batch *b, const char *const *refs, size_t n, struct verr *e);
/* vals eval semantics (standalone refs; with inline_refs also refs inside strings). */
int batch_eval_doc(struct batch *b, const struct doc *in, int inline_refs, struct doc **out,
                   struct verr *e);
/* vals get semantics: every ref in the string expanded (Go %v text for non-strings), or,
 * when the whole string is one ref, its value with its own type. */
int batch_eval_value(struct batch *b, const char *s, size_t len, int expand_all, struct doc **out,
                     struct verr *e);

#endif
