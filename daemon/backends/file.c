/*
 * file.c - the file backend: ref+file://relative/path (relative to the client's working
 * directory, sent as PWD in its context) or ref+file:///absolute/path; `encode=base64`.
 * The cache key is the absolute path, and a cached file is revalidated on every hit by its
 * device, inode, size and modification time, so edits are seen at once.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../backend.h"
#include "lib/dbuf.h"
#include "lib/local_refs.h"

struct file_identity {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

static int file_identity_of(const char *path, struct file_identity *id)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return -1;
    memset(id, 0, sizeof(*id));
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->size = st.st_size;
    id->mtime = st.st_mtim;
    return 0;
}

/* The locator is "file://<absolute path>?<query>" */
static int file_locate(const struct ref *r, const struct ctx *ctx, char **locator, struct verr *e)
{
    const char *pwd = ctx_get(ctx, "PWD", 3);
    char *path = NULL;
    struct dbuf b = DBUF_INIT;
    int rc;

    if (r->key[0] != '/' && (pwd == NULL || pwd[0] != '/'))
        return verr_set(e, VALS_EBAD_REF,
                        "ref+%s: a relative file path needs the client's working directory (PWD) "
                        "in its context",
                        r->body);
    if ((rc = local_file_path(r, pwd, &path, e)) != 0)
        return rc;
    rc = dbuf_printf(&b, "file://%s%s%s", path, r->query[0] ? "?" : "", r->query);
    free(path);
    if (rc == 0 && (*locator = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&b);
    return rc;
}

/* The path inside a locator "file://PATH[?query]" (malloc'ed). */
static char *locator_path(const char *locator)
{
    const char *p = locator + 7, *q = strchr(p, '?');

    return q != NULL ? strndup(p, (size_t)(q - p)) : strdup(p);
}

static int file_fetch(struct backend_fetch *f)
{
    struct doc *d = NULL;
    struct verr e = {0};
    struct file_identity id;
    char *path = locator_path(f->locator);
    int rc;

    if (path == NULL)
        return VALS_ENOMEM;
    if (file_identity_of(path, &id) == 0 && (f->validator = malloc(sizeof(id))) != NULL) {
        memcpy(f->validator, &id, sizeof(id));
        f->vlen = sizeof(id);
    }
    rc = local_file(&f->ref, path, f->mode == BACKEND_MAP, &d, &e);
    free(path);
    backend_complete(f, rc, d, rc != 0 ? "%s" : NULL, e.msg);
    return 0;
}

static int file_fresh(const char *locator, const void *validator, size_t vlen)
{
    struct file_identity now;
    char *path = locator_path(locator);
    int same;

    if (path == NULL)
        return 0;
    same = vlen == sizeof(now) && file_identity_of(path, &now) == 0 &&
           memcmp(&now, validator, sizeof(now)) == 0;
    free(path);
    return same;
}

const struct backend backend_file = {
    .scheme = "file",
    .flags = BACKEND_LOCAL_FS,
    .env_prefixes = NULL,
    .default_ttl_s = 0,
    .locate = file_locate,
    .fetch = file_fetch,
    .fresh = file_fresh,
};
