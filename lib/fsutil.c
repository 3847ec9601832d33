/*
 * fsutil.c - atomic writes, directory creation, private temporary directories
 * (see fsutil.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbuf.h"
#include "fsutil.h"

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Directory part of a path (malloc'ed). */
static char *dir_of(const char *path)
{
    char *copy = strdup(path), *d;

    if (copy == NULL)
        return NULL;
    d = strdup(dirname(copy));
    free(copy);
    return d;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Write data to a new temp file next to path (fsync'ed when `sync`); *tmp receives its
 * name. */
static int write_temp_opt(const char *path, const void *data, size_t len, mode_t mode, char **tmp,
                          int sync, struct verr *e)
{
    size_t n = strlen(path) + 16;
    int fd;

    *tmp = malloc(n);
    if (*tmp == NULL)
        return VALS_ENOMEM;
    snprintf(*tmp, n, "%s.tmp.XXXXXX", path);
    fd = mkstemp(*tmp);
    if (fd < 0) {
        int rc = verr_set(e, VALS_EIO, "cannot create a temporary file next to %s: %s", path,
                          strerror(errno));
        free(*tmp);
        *tmp = NULL;
        return rc;
    }
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || (sync && fsync(fd) != 0)) {
        int rc = verr_set(e, VALS_EIO, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        fsutil_shred(*tmp);
        free(*tmp);
        *tmp = NULL;
        return rc;
    }
    if (close(fd) != 0) {
        int rc = verr_set(e, VALS_EIO, "cannot write %s: %s", path, strerror(errno));
        fsutil_shred(*tmp);
        free(*tmp);
        *tmp = NULL;
        return rc;
    }
    return 0;
}

static int write_temp(const char *path, const void *data, size_t len, mode_t mode, char **tmp,
                      struct verr *e)
{
    return write_temp_opt(path, data, len, mode, tmp, 1, e);
}

int fsutil_write_batch(const struct fsutil_item *items, size_t n, struct verr *e)
{
    char **tmps = calloc(n + 1, sizeof(char *));
    size_t done = 0;
    int rc = 0;

    if (tmps == NULL)
        return VALS_ENOMEM;
    for (; done < n && rc == 0; done++) {
        struct stat st;
        mode_t mode = items[done].mode;
        if (mode == FSUTIL_KEEP_MODE)
            mode = stat(items[done].path, &st) == 0 ? (st.st_mode & 07777) : 0600;
        rc = write_temp_opt(items[done].path, items[done].data, items[done].len, mode, &tmps[done],
                            0, e);
    }
    /* make every temporary file durable before any rename: start the writeback of all of
     * them first, then wait for each, so the waits overlap (syncfs would also wait for every
     * other process's dirty data) */
    for (size_t pass = 0; pass < 2 && rc == 0; pass++) {
        for (size_t i = 0; i < n && rc == 0; i++) {
            int fd = open(tmps[i], O_RDONLY | O_CLOEXEC);
            int r = fd < 0      ? -1
                    : pass == 0 ? sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)
                                : fdatasync(fd);
            if (r != 0)
                rc = verr_set(e, VALS_EIO, "cannot sync %s: %s", items[i].path, strerror(errno));
            if (fd >= 0)
                close(fd);
        }
    }
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            if (tmps[i] != NULL)
                fsutil_shred(tmps[i]);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (rename(tmps[i], items[i].path) != 0) {
            rc = verr_set(e, VALS_EIO, "cannot replace %s: %s", items[i].path, strerror(errno));
            for (size_t k = i; k < n; k++)
                fsutil_shred(tmps[k]);
            goto out;
        }
    }
    /* make the renames durable: each directory once */
    for (size_t i = 0; i < n; i++) {
        char *dir = dir_of(items[i].path);
        int seen = 0;
        for (size_t k = 0; k < i && dir != NULL && !seen; k++) {
            char *other = dir_of(items[k].path);
            seen = other != NULL && !strcmp(other, dir);
            free(other);
        }
        if (dir != NULL && !seen)
            fsync_dir(dir);
        free(dir);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(tmps[i]);
    free(tmps);
    return rc;
}

int fsutil_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct verr *e)
{
    struct stat st;
    char *tmp = NULL, *dir;
    int rc;

    if (mode == FSUTIL_KEEP_MODE)
        mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0600;
    if ((rc = write_temp(path, data, len, mode, &tmp, e)) != 0)
        return rc;
    if (rename(tmp, path) != 0) {
        rc = verr_set(e, VALS_EIO, "cannot replace %s: %s", path, strerror(errno));
        fsutil_shred(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    if ((dir = dir_of(path)) != NULL) {
        fsync_dir(dir);
        free(dir);
    }
    return 0;
}

int fsutil_create_exclusive(const char *path, const void *data, size_t len, mode_t mode,
                            struct verr *e)
{
    char *tmp = NULL, *dir;
    int rc;

    if (fsutil_exists(path))
        return verr_set(e, VALS_EEXISTS, "%s already exists", path);
    if ((rc = write_temp(path, data, len, mode, &tmp, e)) != 0)
        return rc;
    /* link() fails if the target appeared meanwhile: never overwrite */
    if (link(tmp, path) != 0) {
        rc = errno == EEXIST ? verr_set(e, VALS_EEXISTS, "%s already exists", path)
                             : verr_set(e, VALS_EIO, "cannot create %s: %s", path, strerror(errno));
        fsutil_shred(tmp);
        free(tmp);
        return rc;
    }
    unlink(tmp);
    free(tmp);
    if ((dir = dir_of(path)) != NULL) {
        fsync_dir(dir);
        free(dir);
    }
    return 0;
}

int fsutil_mkdirs(const char *path, mode_t mode, struct verr *e)
{
    char buf[4096];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof(buf))
        return verr_set(e, VALS_EUSAGE, "bad directory path");
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return verr_set(e, VALS_EIO, "cannot create %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return verr_set(e, VALS_EIO, "cannot create %s: %s", buf, strerror(errno));
    if (!fsutil_is_dir(buf))
        return verr_set(e, VALS_EIO, "%s is not a directory", buf);
    return 0;
}

int fsutil_private_tmpdir(char *tmpl, struct verr *e)
{
    struct stat st;

    if (mkdtemp(tmpl) == NULL)
        return verr_set(e, VALS_EIO, "cannot create a private directory: %s", strerror(errno));
    if (lstat(tmpl, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077) != 0) {
        rmdir(tmpl);
        return verr_set(e, VALS_EDENIED, "%s is not a private directory", tmpl);
    }
    return 0;
}

void fsutil_shred(const char *path)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd >= 0) {
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            char zero[4096] = {0};
            off_t left = st.st_size;
            while (left > 0) {
                size_t n = left > (off_t)sizeof(zero) ? sizeof(zero) : (size_t)left;
                if (write_all(fd, zero, n) != 0)
                    break;
                left -= (off_t)n;
            }
            fsync(fd);
        }
        close(fd);
    }
    unlink(path);
}

int fsutil_exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

int fsutil_is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *fsutil_home_path(const char *rel)
{
    const char *home = getenv("HOME");
    size_t n;
    char *p;

    if (home == NULL || home[0] == '\0')
        return NULL;
    n = strlen(home) + strlen(rel) + 2;
    p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", home, rel);
    return p;
}
