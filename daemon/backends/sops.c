/*
 * sops.c - the sops backend: ref+sops://path/to/file.yaml#/a/b decrypts a SOPS file with
 * lib/sops, using the age identities of the request's context (SOPS_AGE_KEY,
 * SOPS_AGE_KEY_FILE, then $XDG_CONFIG_HOME or $HOME from the context; SOPS_AGE_KEY_CMD is
 * not run inside valsd).  Without a fragment the value is the whole decrypted file (vals'
 * GetString); with one, its first document.  `format=yaml|json|dotenv|binary` overrides the
 * format guessed from the file name.  Files are read as valsd's own user: only peers with
 * that uid are served (DESIGN.md §6); entries are revalidated against the file on each hit.
 */
#include <stdlib.h>
#include <string.h>

#include "../backend.h"
#include "../localfs.h"
#include "lib/local_refs.h"
#include "lib/sops.h"

static const char *const sops_env_prefixes[] = {"SOPS_", "XDG_CONFIG_HOME", "HOME", NULL};

static const char *ctx_env(void *c, const char *name)
{
    return ctx_get(c, name, strlen(name));
}

static int sops_locate(const struct ref *r, const struct ctx *ctx, char **locator, struct verr *e)
{
    return localfs_locate("sops", r, ctx, locator, e);
}

static int sops_fetch(struct backend_fetch *f)
{
    struct sops_identities ids = {0};
    struct sops_file *sf = NULL;
    struct dbuf b = DBUF_INIT;
    struct doc *d = NULL;
    struct verr e = {0};
    enum sops_format fmt;
    const char *fopt = ref_param(&f->ref, "format");
    char *path = localfs_path(f->locator);
    int rc;

    if (path == NULL)
        return VALS_ENOMEM;
    fmt = sops_format_for_path(path);
    if (fopt != NULL && fopt[0] != '\0' && sops_format_parse(fopt, &fmt) != 0) {
        rc =
            verr_set(&e, VALS_EBAD_REF, "unknown format \"%s\" (yaml, json, dotenv, binary)", fopt);
        goto out;
    }
    localfs_set_validator(f, path);
    if ((rc = local_read_file(path, LOCAL_FILE_MAX, &b, &e)) != 0 ||
        (rc = sops_identities_load_env(&ids, ctx_env, f->ctx, SOPS_ID_NO_CMD, &e)) != 0 ||
        (rc = sops_open(b.p, b.len, fmt, path, &ids, 0, &sf, &e)) != 0)
        goto out;
    if (f->mode == BACKEND_STRING) {
        struct dbuf plain = DBUF_INIT;
        if ((rc = sops_file_plain(sf, &plain, &e)) == 0 &&
            (d = doc_str(plain.p != NULL ? plain.p : "", plain.len)) == NULL)
            rc = VALS_ENOMEM;
        dbuf_free(&plain);
    } else {
        const struct doc_stream *docs = sops_file_docs(sf);
        if (docs->len == 0 || docs->docs[0]->type != DOC_MAP)
            rc = verr_set(&e, VALS_ETYPE, "%s: the decrypted document is not a map", path);
        else if ((d = doc_copy(docs->docs[0])) == NULL)
            rc = VALS_ENOMEM;
    }
out:
    backend_complete(f, rc, d, rc != 0 ? "%s" : NULL, e.msg);
    sops_file_free(sf);
    sops_identities_free(&ids);
    dbuf_free(&b);
    free(path);
    return 0;
}

const struct backend backend_sops = {
    .scheme = "sops",
    .flags = BACKEND_LOCAL_FS,
    .env_prefixes = sops_env_prefixes,
    .default_ttl_s = 0,
    .locate = sops_locate,
    .fetch = sops_fetch,
    .fresh = localfs_fresh,
};
