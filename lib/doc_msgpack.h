/*
 * doc_msgpack.h - documents <-> msgpack (msgpack-c), the daemon's wire representation.
 *
 * msgpack str and bin both become strings; ext types are refused; map keys may be any
 * scalar.  Comments are not sent.
 */
#ifndef VALS_DOC_MSGPACK_H
#define VALS_DOC_MSGPACK_H

#include <msgpack.h>

#include "doc.h"

/* Pack a document. 0 or VALS_ENOMEM. */
int doc_pack(const struct doc *d, msgpack_packer *pk);
/* Convert an unpacked object into a new document. VALS_ETYPE for ext types. */
int doc_from_msgpack(const msgpack_object *o, struct doc **out);
/* Decode one complete msgpack value from bytes (trailing bytes are an error). */
int doc_unpack(const char *buf, size_t len, struct doc **out, struct verr *e);

#endif
