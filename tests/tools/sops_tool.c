/*
 * sops_tool.c - test helper over lib/sops: the integration tests drive it.
 *
 *   sops_tool decrypt   [-i IDFILE | -K HEXKEY] [-t FORMAT] [--ignore-mac] FILE   plaintext
 *   sops_tool encrypt   -r RECIPIENTS | -c (use .sops.yaml) [-t FORMAT] FILE     encrypted
 *   sops_tool reencrypt [-i IDFILE | -K HEXKEY] [-t FORMAT] FILE   decrypt and encrypt again
 *                       with the same data key, keeping IVs and lastmodified (byte-exact check)
 *   sops_tool datakey   -i IDFILE FILE                          the data key in hex
 * Without -i, identities come from the environment as sops finds them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sops.h"

static int read_all(const char *path, struct dbuf *out)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;

    if (f == NULL)
        return -1;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        if (dbuf_add(out, buf, n) != 0) {
            fclose(f);
            return -1;
        }
    fclose(f);
    return 0;
}

static int hexkey(const char *s, uint8_t key[32])
{
    if (strlen(s) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        key[i] = (uint8_t)v;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd, *idfile = NULL, *hex = NULL, *rcpts = NULL, *fmtname = NULL, *path;
    int use_config = 0, flags = 0, r = 1, i;
    struct dbuf in = DBUF_INIT, out = DBUF_INIT, ids_text = DBUF_INIT;
    struct sops_identities ids = {0};
    struct sops_file *f = NULL;
    enum sops_format fmt;
    uint8_t key[32];
    struct verr e;

    verr_clear(&e);
    if (argc < 3) {
        fprintf(stderr, "usage: sops_tool decrypt|encrypt|reencrypt [options] FILE\n");
        return 2;
    }
    cmd = argv[1];
    for (i = 2; i < argc - 1; i++) {
        if (!strcmp(argv[i], "-i"))
            idfile = argv[++i];
        else if (!strcmp(argv[i], "-K"))
            hex = argv[++i];
        else if (!strcmp(argv[i], "-r"))
            rcpts = argv[++i];
        else if (!strcmp(argv[i], "-t"))
            fmtname = argv[++i];
        else if (!strcmp(argv[i], "-c"))
            use_config = 1;
        else if (!strcmp(argv[i], "--ignore-mac"))
            flags |= SOPS_IGNORE_MAC;
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    path = argv[argc - 1];
    fmt = sops_format_for_path(path);
    if (fmtname != NULL && sops_format_parse(fmtname, &fmt) != 0) {
        fprintf(stderr, "bad format %s\n", fmtname);
        return 2;
    }
    if (read_all(path, &in) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    if (hex != NULL && hexkey(hex, key) != 0) {
        fprintf(stderr, "bad hex key\n");
        return 2;
    }
    if (idfile != NULL) {
        if (read_all(idfile, &ids_text) != 0 ||
            sops_identities_from_text(&ids, ids_text.p ? ids_text.p : "", ids_text.len, idfile,
                                      &e) != 0)
            goto fail;
    } else if (hex == NULL && strcmp(cmd, "encrypt") != 0 && sops_identities_load(&ids, &e) != 0) {
        goto fail;
    }
    if (!strcmp(cmd, "encrypt")) {
        struct sops_create c;
        if (use_config) {
            if (sops_config_for_file(path, &c, NULL, &e) != 0)
                goto fail;
        } else {
            sops_create_init(&c);
            if (rcpts == NULL || sops_create_add_age(&c, 0, rcpts, strlen(rcpts), &e) != 0) {
                sops_create_clear(&c);
                goto fail;
            }
        }
        r = sops_encrypt_bytes(in.p ? in.p : "", in.len, fmt, path, &c, NULL, &out, &e);
        sops_create_clear(&c);
        if (r != 0)
            goto fail;
    } else {
        r = hex != NULL
                ? sops_open_with_key(in.p ? in.p : "", in.len, fmt, path, key, flags, &f, &e)
                : sops_open(in.p ? in.p : "", in.len, fmt, path, &ids, flags, &f, &e);
        if (r != 0)
            goto fail;
        if (!strcmp(cmd, "decrypt")) {
            r = sops_file_plain(f, &out, &e);
        } else if (!strcmp(cmd, "reencrypt")) {
            /* keep lastmodified: the file's own value */
            struct sops_hooks h = {0};
            char lm[64] = "";
            const char *p = strstr(in.p, "lastmodified");
            if (p != NULL) {
                p += 12;
                while (*p && (*p == '"' || *p == ':' || *p == ' ' || *p == '=' || *p == '\''))
                    p++;
                size_t n = strcspn(p, "\"'\n");
                snprintf(lm, sizeof(lm), "%.*s", (int)n, p);
            }
            h.now = lm;
            r = sops_file_encrypt(f, &h, &out, &e);
        } else {
            fprintf(stderr, "unknown command %s\n", cmd);
            r = 2;
        }
        if (r != 0)
            goto fail;
    }
    fwrite(out.p ? out.p : "", 1, out.len, stdout);
    r = 0;
    goto out;
fail:
    fprintf(stderr, "sops_tool: %s\n", verr_text(&e));
    r = 1;
out:
    sops_file_free(f);
    sops_identities_free(&ids);
    dbuf_free(&in);
    dbuf_free(&out);
    dbuf_free(&ids_text);
    return r;
}
