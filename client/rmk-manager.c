/*
 * rmk-manager.c - `rmk secret manager encrypt|decrypt`: every *.yaml under each selected
 * secrets directory that holds a .sops.yaml (rmk.md §2.1.1, §2.1.3), processed in parallel;
 * already-encrypted files are skipped on encrypt and plaintext files on decrypt, each with
 * a warning.  Identities: the tenant's keys in ~/.rmk/sops-age-keys/<tenant>/ (every .txt) plus
 * the usual SOPS_AGE_KEY* sources.  Every write is atomic and keeps the file's mode; a
 * failure leaves that file untouched and is reported with its path.
 */
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/dbuf.h"
#include "lib/fsutil.h"
#include "lib/local_refs.h"
#include "lib/sops.h"
#include "rmk-generate.h"
#include "rmk-manager.h"
#include "rmk-project.h"

struct job {
    char *path;
    int rc;
    int skipped;
    char msg[VERR_MSG_MAX];
};

struct pool {
    struct job *jobs;
    size_t n, cap, next;
    int decrypt;
    const struct sops_identities *ids;
    pthread_mutex_t lock;
};

static int add_job(struct pool *p, const char *path)
{
    if (p->n == p->cap) {
        size_t c = p->cap ? p->cap * 2 : 32;
        struct job *j = realloc(p->jobs, c * sizeof(*j));
        if (j == NULL)
            return VALS_ENOMEM;
        p->jobs = j;
        p->cap = c;
    }
    memset(&p->jobs[p->n], 0, sizeof(p->jobs[0]));
    if ((p->jobs[p->n].path = strdup(path)) == NULL)
        return VALS_ENOMEM;
    p->n++;
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && !strcmp(s + n - m, suffix);
}

/* Every *.yaml below dir (recursively), .sops.yaml and editor temp files excluded. */
static int collect(struct pool *p, const char *dir, int depth)
{
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (depth > 16 || (d = opendir(dir)) == NULL)
        return 0;
    while ((de = readdir(d)) != NULL && rc == 0) {
        char path[4096];
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (fsutil_is_dir(path))
            rc = collect(p, path, depth + 1);
        else if (ends_with(de->d_name, ".yaml") && strcmp(de->d_name, ".sops.yaml") != 0 &&
                 strstr(de->d_name, ".tmp.") == NULL)
            rc = add_job(p, path);
    }
    closedir(d);
    return rc;
}

static void run_one(struct pool *p, struct job *j)
{
    struct dbuf in = DBUF_INIT, out = DBUF_INIT;
    struct verr e = {0};
    enum sops_format fmt = sops_format_for_path(j->path);
    int enc;

    if ((j->rc = local_read_file(j->path, 64u << 20, &in, &e)) != 0)
        goto out;
    enc = sops_is_encrypted(in.p, in.len, fmt);
    if (!p->decrypt && enc) {
        j->skipped = 1;
        snprintf(j->msg, sizeof(j->msg), "already encrypted: %s", j->path);
        goto out;
    }
    if (p->decrypt && !enc) {
        j->skipped = 1;
        snprintf(j->msg, sizeof(j->msg), "file is not encrypted: %s", j->path);
        goto out;
    }
    if (p->decrypt) {
        j->rc = sops_decrypt_bytes(in.p, in.len, fmt, j->path, p->ids, 0, &out, &e);
    } else {
        j->rc = rmk_encrypt_for_file(j->path, &in, &e);
        if (j->rc == 0) {
            out = in;
            dbuf_init(&in, 0);
        }
    }
    if (j->rc == 0)
        j->rc = fsutil_write_atomic(j->path, out.p ? out.p : "", out.len, FSUTIL_KEEP_MODE, &e);
out:
    if (j->rc != 0)
        snprintf(j->msg, sizeof(j->msg), "%s", verr_text(&e));
    dbuf_free(&in);
    dbuf_free(&out);
}

static void *worker(void *arg)
{
    struct pool *p = arg;

    for (;;) {
        struct job *j;
        pthread_mutex_lock(&p->lock);
        j = p->next < p->n ? &p->jobs[p->next++] : NULL;
        pthread_mutex_unlock(&p->lock);
        if (j == NULL)
            return NULL;
        run_one(p, j);
    }
}

/* The tenant's key files plus the standard sources. */
static int load_identities(const struct rmk_project *proj, struct sops_identities *ids,
                           struct verr *e)
{
    char *keydir = rmk_keys_dir(proj->tenant);
    struct dbuf all = DBUF_INIT;
    DIR *d;
    struct dirent *de;
    struct sops_identities std = {0};
    int rc = 0;

    if (keydir != NULL && (d = opendir(keydir)) != NULL) {
        while ((de = readdir(d)) != NULL && rc == 0) {
            char path[4400];
            if (!ends_with(de->d_name, ".txt") || de->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", keydir, de->d_name);
            rc = local_read_file(path, 1u << 20, &all, e);
            if (rc == 0)
                rc = dbuf_addc(&all, '\n');
        }
        closedir(d);
    }
    free(keydir);
    if (rc != 0)
        goto out;
    if (sops_identities_load(&std, NULL) == 0) {
        for (size_t i = 0; i < std.n && rc == 0; i++) {
            char line[AGE_IDENTITY_STRLEN + 2];
            age_identity_format(&std.ids[i], line);
            rc = dbuf_printf(&all, "%s\n", line);
            secure_zero(line, sizeof(line));
        }
    }
    if (rc == 0 && all.len == 0)
        rc = verr_set(e, VALS_ENOKEY,
                      "no age identity: none in ~/.rmk/sops-age-keys/%s/ and none from "
                      "SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD or "
                      "~/.config/sops/age/keys.txt",
                      proj->tenant);
    if (rc == 0)
        rc = sops_identities_from_text(ids, all.p, all.len, "rmk identities", e);
out:
    sops_identities_free(&std);
    dbuf_free(&all);
    return rc;
}

int rmk_manager_crypt(int decrypt, const char *const *scopes, size_t nscopes,
                      const char *const *envs, size_t nenvs, struct verr *e)
{
    struct rmk_project proj;
    struct sops_identities ids = {0};
    struct pool p;
    char **dirs = NULL;
    size_t ndirs = 0, failed = 0, done = 0, skipped = 0;
    pthread_t th[8];
    int nth = 0, rc;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    memset(&p, 0, sizeof(p));
    pthread_mutex_init(&p.lock, NULL);
    p.decrypt = decrypt;
    if ((rc = rmk_project_identity(&proj, e)) != 0)
        goto out;
    rc = rmk_project_load(&proj, e);
    if (rc != 0 && rc != VALS_ENOT_FOUND)
        goto out;
    if ((rc = rmk_select_secret_dirs(&proj, ".sops.yaml", scopes, nscopes, envs, nenvs, &dirs,
                                     &ndirs, e)) != 0)
        goto out;
    for (size_t i = 0; i < ndirs && rc == 0; i++)
        rc = collect(&p, dirs[i], 0);
    if (rc != 0)
        goto out;
    if (decrypt && p.n > 0 && (rc = load_identities(&proj, &ids, e)) != 0)
        goto out;
    p.ids = &ids;
    nth = (int)(cpus > 0 && cpus < 8 ? cpus : 8);
    if ((size_t)nth > p.n)
        nth = (int)p.n;
    for (int i = 0; i < nth; i++)
        if (pthread_create(&th[i], NULL, worker, &p) != 0) {
            nth = i;
            break;
        }
    if (nth == 0)
        worker(&p);
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    for (size_t i = 0; i < p.n; i++) {
        struct job *j = &p.jobs[i];
        if (j->skipped) {
            fprintf(stderr, "warning: %s\n", j->msg);
            skipped++;
        } else if (j->rc != 0) {
            fprintf(stderr, "error: %s\n", j->msg);
            failed++;
        } else {
            printf("%s: %s\n", decrypt ? "decrypting" : "encrypting", j->path);
            done++;
        }
    }
    if (failed > 0)
        rc = verr_set(e, VALS_EIO, "%zu of %zu files failed (the others were %s)", failed, p.n,
                      decrypt ? "decrypted" : "encrypted");
out:
    for (size_t i = 0; i < p.n; i++)
        free(p.jobs[i].path);
    free(p.jobs);
    pthread_mutex_destroy(&p.lock);
    sops_identities_free(&ids);
    rmk_strv_free(dirs, ndirs);
    rmk_project_free(&proj);
    (void)done;
    (void)skipped;
    return rc;
}

int rmk_manager_cmd(const struct cmd_entry *entry, int decrypt, int argc, char **argv)
{
    static const struct option opts[] = {{"scope", required_argument, NULL, 's'},
                                         {"environment", required_argument, NULL, 'e'},
                                         {NULL, 0, NULL, 0}};
    const char *scopes[RMK_MAX_SELECT], *envs[RMK_MAX_SELECT];
    size_t ns = 0, ne = 0;
    struct verr e = {0};
    int ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "s:e:", opts, NULL)) != -1) {
        if (ch == 's' && ns < RMK_MAX_SELECT)
            scopes[ns++] = optarg;
        else if (ch == 'e' && ne < RMK_MAX_SELECT)
            envs[ne++] = optarg;
        else if (ch != 's' && ch != 'e')
            return CMD_EXIT_USAGE;
    }
    if (optind != argc) {
        cmd_error(entry, "takes no positional arguments");
        return CMD_EXIT_USAGE;
    }
    if (getenv("RMK_SECRET_MANAGER_SCOPE") && ns == 0)
        scopes[ns++] = getenv("RMK_SECRET_MANAGER_SCOPE");
    if (getenv("RMK_SECRET_MANAGER_ENVIRONMENT") && ne == 0)
        envs[ne++] = getenv("RMK_SECRET_MANAGER_ENVIRONMENT");
    rc = rmk_manager_crypt(decrypt, scopes, ns, envs, ne, &e);
    if (rc != 0)
        cmd_error(entry, "%s", verr_text(&e));
    return rc == 0 ? CMD_EXIT_OK : rc == VALS_EUSAGE ? CMD_EXIT_USAGE : CMD_EXIT_FAIL;
}
