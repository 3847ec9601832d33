/*
 * localfs.h - helpers of the backends that read files as the daemon (file, sops): the
 * canonical locator "<scheme>://<absolute path>[?query]" (relative paths against the
 * client's PWD from its context) and a validator (device, inode, size, mtime) that lets a
 * cache hit notice that the file changed.
 */
#ifndef VALSD_LOCALFS_H
#define VALSD_LOCALFS_H

#include <stddef.h>

#include "backend.h"

int localfs_locate(const char *scheme, const struct ref *r, const struct ctx *ctx, char **locator,
                   struct verr *e);
/* The path inside a locator (malloc'ed). */
char *localfs_path(const char *locator);
/* Record the file's identity in f->validator (best effort). */
void localfs_set_validator(struct backend_fetch *f, const char *path);
/* backend.fresh for these backends. */
int localfs_fresh(const char *locator, const void *validator, size_t vlen);

#endif
