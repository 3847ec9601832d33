/*
 * fsutil.h - file writing that never leaves a half-written or plaintext file behind.
 *
 * fsutil_write_atomic() writes to a temporary file in the target's directory (mode given,
 * or the existing file's mode when replacing), fsyncs it, renames it over the target and
 * fsyncs the directory.  On any failure the target is untouched and the temporary file is
 * zeroed, removed, and the error names the path.
 */
#ifndef VALS_FSUTIL_H
#define VALS_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "verr.h"

#define FSUTIL_KEEP_MODE ((mode_t)-1) /* keep an existing file's mode, else 0600 */

int fsutil_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                        struct verr *e);
/* Write several files as one batch: every temporary file is written and synced, then each
 * is renamed over its target and each directory is synced once (not once per file); the
 * same guarantee per file as fsutil_write_atomic (the old or the complete new content).  On failure
 * nothing is renamed, all temporary files are removed, and the error names the path. */
struct fsutil_item {
    const char *path;
    const void *data;
    size_t len;
    mode_t mode; /* or FSUTIL_KEEP_MODE */
};
int fsutil_write_batch(const struct fsutil_item *items, size_t n, struct verr *e);
/* Create the file only if it does not exist yet (VALS_EEXISTS otherwise), atomically. */
int fsutil_create_exclusive(const char *path, const void *data, size_t len, mode_t mode,
                            struct verr *e);
/* mkdir -p with this mode for created directories; existing ones are left alone. */
int fsutil_mkdirs(const char *path, mode_t mode, struct verr *e);
/* Create a private directory (0700) checked to be ours; `path` is a mkdtemp template. */
int fsutil_private_tmpdir(char *tmpl, struct verr *e);
/* Remove a file after overwriting its content with zeros (best effort). */
void fsutil_shred(const char *path);
int fsutil_exists(const char *path);
int fsutil_is_dir(const char *path);
/* "$HOME/<rel>" (malloc'ed); NULL when HOME is unset. */
char *fsutil_home_path(const char *rel);

#endif
