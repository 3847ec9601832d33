/*
 * file.c - the file backend: ref+file://relative/path (relative to the client's working
 * directory, sent as PWD in its context) or ref+file:///absolute/path; `encode=base64`.
 * The cache key is the absolute path, and a cached file is revalidated on every hit by its
 * device, inode, size and modification time, so edits are seen at once.
 */
#include <stdlib.h>

#include "../backend.h"
#include "../localfs.h"
#include "lib/local_refs.h"

static int file_locate(const struct ref *r, const struct ctx *ctx, char **locator, struct verr *e)
{
    return localfs_locate("file", r, ctx, locator, e);
}

static int file_fetch(struct backend_fetch *f)
{
    struct doc *d = NULL;
    struct verr e = {0};
    char *path = localfs_path(f->locator);
    int rc;

    if (path == NULL)
        return VALS_ENOMEM;
    localfs_set_validator(f, path);
    rc = local_file(&f->ref, path, f->mode == BACKEND_MAP, &d, &e);
    free(path);
    backend_complete(f, rc, d, rc != 0 ? "%s" : NULL, e.msg);
    return 0;
}

const struct backend backend_file = {
    .scheme = "file",
    .flags = BACKEND_LOCAL_FS,
    .env_prefixes = NULL,
    .default_ttl_s = 0,
    .locate = file_locate,
    .fetch = file_fetch,
    .fresh = localfs_fresh,
};
