/*
 * localfs.c - locators and change detection for file-reading backends (see localfs.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/dbuf.h"
#include "lib/local_refs.h"
#include "localfs.h"

struct file_identity {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

static int identity_of(const char *path, struct file_identity *id)
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

int localfs_locate(const char *scheme, const struct ref *r, const struct ctx *ctx, char **locator,
                   struct verr *e)
{
    const char *pwd = ctx_get(ctx, "PWD", 3);
    char *path = NULL;
    struct dbuf b = DBUF_INIT;
    int rc;

    if (r->key[0] != '/' && (pwd == NULL || pwd[0] != '/'))
        return verr_set(e, VALS_EBAD_REF,
                        "ref+%s: a relative path needs the client's working directory (PWD) in "
                        "its context",
                        r->body);
    if ((rc = local_file_path(r, pwd, &path, e)) != 0)
        return rc;
    rc = dbuf_printf(&b, "%s://%s%s%s", scheme, path, r->query[0] ? "?" : "", r->query);
    free(path);
    if (rc == 0 && (*locator = dbuf_take(&b, NULL)) == NULL)
        rc = VALS_ENOMEM;
    dbuf_free(&b);
    return rc;
}

char *localfs_path(const char *locator)
{
    const char *p = strstr(locator, "://"), *q;

    if (p == NULL)
        return NULL;
    p += 3;
    q = strchr(p, '?');
    return q != NULL ? strndup(p, (size_t)(q - p)) : strdup(p);
}

void localfs_set_validator(struct backend_fetch *f, const char *path)
{
    struct file_identity id;

    if (identity_of(path, &id) == 0 && (f->validator = malloc(sizeof(id))) != NULL) {
        memcpy(f->validator, &id, sizeof(id));
        f->vlen = sizeof(id);
    }
}

int localfs_fresh(const char *locator, const void *validator, size_t vlen)
{
    struct file_identity now;
    char *path = localfs_path(locator);
    int same;

    if (path == NULL)
        return 0;
    same = vlen == sizeof(now) && identity_of(path, &now) == 0 &&
           memcmp(&now, validator, sizeof(now)) == 0;
    free(path);
    return same;
}
