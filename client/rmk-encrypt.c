/*
 * rmk-encrypt.c - SOPS-encrypt a generated file in memory with the .sops.yaml that
 * governs its path (found by walking up from it), before it reaches the disk.
 */
#include <stdlib.h>

#include "lib/sops.h"
#include "rmk-generate.h"

int rmk_encrypt_for_file(const char *path, struct dbuf *buf, struct verr *e)
{
    struct sops_create c;
    struct dbuf out = DBUF_INIT;
    char *cfg = NULL;
    int rc;

    sops_create_init(&c);
    if ((rc = sops_config_for_file(path, &c, &cfg, e)) != 0) {
        if (rc == VALS_ENOT_FOUND)
            verr_set(e, rc, "%s: no .sops.yaml governs this file; run 'rmk secret keys create'",
                     path);
        goto out;
    }
    if (c.ngroups == 0) {
        rc = verr_set(e, VALS_EUSAGE,
                      "%s: the creation rule for %s has no age recipients; run 'rmk secret keys "
                      "create'",
                      cfg, path);
        goto out;
    }
    rc = sops_encrypt_bytes(buf->p != NULL ? buf->p : "", buf->len, sops_format_for_path(path),
                            path, &c, NULL, &out, e);
    if (rc == 0) {
        dbuf_free(buf);
        *buf = out;
        dbuf_init(&out, 0);
    }
out:
    dbuf_free(&out);
    free(cfg);
    sops_create_clear(&c);
    return rc;
}
