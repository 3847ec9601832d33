/*
 * msgpack_hdr.h - msgpack element headers read without unpacking, so that untrusted bytes
 * can be bounded before msgpack-c allocates anything for them (msgpack-c trusts the counts
 * a header announces).
 */
#ifndef VALS_MSGPACK_HDR_H
#define VALS_MSGPACK_HDR_H

#include <stddef.h>
#include <stdint.h>

#define MP_BAD       (-1) /* 0xc1, never used */
#define MP_EXT       (-2) /* an ext type (refused) */
#define MP_SHORT     (-3) /* truncated, or counts larger than the bytes that follow */
#define MP_DEEP      (-4) /* nested deeper than allowed */
#define MP_MAX_DEPTH 32   /* msgpack-c's unpacker stack */

/* A big-endian unsigned integer of n bytes. */
uint64_t mp_be(const unsigned char *p, int n);
/* One element's header at p (avail bytes): its total size when it is a scalar (header +
 * body), or its child count when it is a container (container = 1 array, 2 map; size =
 * header bytes).  Returns 1 ok, 0 need more bytes, MP_BAD or MP_EXT. */
int mp_element(const unsigned char *p, size_t avail, uint64_t *size, uint64_t *children,
               int *container);
/* Check that buf starts with one complete, well-formed value whose announced counts fit in
 * the bytes present and whose nesting is at most max_depth; 1 and *used, or MP_*. */
int mp_validate(const char *buf, size_t len, unsigned max_depth, size_t *used);

#endif
