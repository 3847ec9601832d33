/*
 * rmk-secret-file.c - what the single-file secret commands share: reading the file,
 * finding identities (inside an RMK project, the tenant's keys too) and encrypting or
 * decrypting with an atomic write that keeps the file's mode.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/local_refs.h"
#include "rmk-generate.h"
#include "rmk-project.h"
#include "rmk-secret-file.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && !strcmp(s + n - m, suffix);
}

int rmk_identities(struct sops_identities *ids, struct verr *e)
{
    struct rmk_project p;
    struct sops_identities std = {0};
    struct dbuf all = DBUF_INIT;
    struct verr ignore = {0};
    char *keydir = NULL;
    int rc = 0, std_rc;

    memset(ids, 0, sizeof(*ids));
    /* inside an RMK project: ~/.rmk/sops-age-keys/<tenant>/ (every .txt) */
    if (rmk_project_identity(&p, &ignore) == 0 && (keydir = rmk_keys_dir(p.tenant)) != NULL) {
        DIR *d = opendir(keydir);
        struct dirent *de;
        while (d != NULL && (de = readdir(d)) != NULL && rc == 0) {
            char path[4400];
            if (!ends_with(de->d_name, ".txt") || de->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", keydir, de->d_name);
            if ((rc = local_read_file(path, 1u << 20, &all, e)) == 0)
                rc = dbuf_addc(&all, '\n');
        }
        if (d != NULL)
            closedir(d);
    }
    rmk_project_free(&p);
    std_rc = sops_identities_load(&std, e);
    for (size_t i = 0; std_rc == 0 && i < std.n && rc == 0; i++) {
        char line[AGE_IDENTITY_STRLEN + 2];
        age_identity_format(&std.ids[i], line);
        rc = dbuf_printf(&all, "%s\n", line);
        secure_zero(line, sizeof(line));
    }
    if (rc == 0 && all.len == 0) {
        /* e holds sops' "no age identity found; looked in ..." */
        if (std_rc == 0)
            verr_set(e, VALS_ENOKEY, "no age identity found");
        if (keydir != NULL)
            verr_prefix(e, "not in %s either", keydir);
        rc = VALS_ENOKEY;
    }
    if (rc == 0)
        rc = sops_identities_from_text(ids, all.p, all.len, "identities", e);
    sops_identities_free(&std);
    dbuf_free(&all);
    free(keydir);
    return rc;
}

int rmk_secret_decrypt_file(const char *path, struct dbuf *plain, struct verr *e)
{
    struct sops_identities ids = {0};
    struct dbuf in = DBUF_INIT;
    enum sops_format fmt = sops_format_for_path(path);
    int rc;

    if (!fsutil_exists(path))
        return verr_set(e, VALS_ENOT_FOUND, "file does not exist: %s", path);
    if ((rc = local_read_file(path, 64u << 20, &in, e)) != 0)
        goto out;
    if (!sops_is_encrypted(in.p, in.len, fmt)) {
        rc = verr_set(e, VALS_EUSAGE, "file is not encrypted: %s", path);
        goto out;
    }
    if ((rc = rmk_identities(&ids, e)) != 0)
        goto out;
    rc = sops_decrypt_bytes(in.p, in.len, fmt, path, &ids, 0, plain, e);
out:
    sops_identities_free(&ids);
    dbuf_free(&in);
    return rc;
}

int rmk_secret_encrypt_file(const char *path, struct verr *e)
{
    struct dbuf in = DBUF_INIT;
    int rc;

    if (!fsutil_exists(path))
        return verr_set(e, VALS_ENOT_FOUND, "file does not exist: %s", path);
    if ((rc = local_read_file(path, 64u << 20, &in, e)) != 0)
        goto out;
    if (sops_is_encrypted(in.p, in.len, sops_format_for_path(path))) {
        rc = verr_set(e, VALS_EEXISTS, "already encrypted: %s", path);
        goto out;
    }
    if ((rc = rmk_encrypt_for_file(path, &in, e)) == 0)
        rc = fsutil_write_atomic(path, in.p ? in.p : "", in.len, FSUTIL_KEEP_MODE, e);
out:
    dbuf_free(&in);
    return rc;
}
