/*
 * rmk-secret.c - the single-file secret commands (rmk.md §2.1.4): encrypt and decrypt a file
 * in place, view it, edit it.
 *
 * Encryption uses the .sops.yaml that governs the file (found walking up from it);
 * decryption the tenant's keys in ~/.rmk/sops-age-keys/<tenant>/ (when run inside an RMK
 * project) plus the usual SOPS_AGE_KEY* sources.  Every write is atomic and keeps the file's
 * mode, so on any error the original is untouched.  A file already in the wanted state is
 * skipped with a warning (RMK's tolerance).  `edit` decrypts into a 0600 file inside a 0700
 * private directory, runs $EDITOR on it, and writes the file back only when the text
 * changed (keeping the data key and the ciphertext of unchanged values); a missing file is
 * created.  The plaintext copy is overwritten and removed on every exit path, including
 * SIGTERM, SIGHUP and SIGINT / SIGQUIT arriving while no editor runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/local_refs.h"
#include "lib/sops.h"
#include "rmk-generate.h"
#include "rmk-manager.h"
#include "rmk-project.h"
#include "rmk-secret.h"

#define SECRET_MAX (64u << 20)

/* The plaintext copy of `edit`, for the signal handler (async-signal-safe use only). */
static char edit_file[4400], edit_dir[4200];
static volatile pid_t edit_child;

static void edit_cleanup(void)
{
    if (edit_file[0] != '\0') {
        fsutil_shred(edit_file);
        unlink(edit_file);
        edit_file[0] = '\0';
    }
    if (edit_dir[0] != '\0') {
        rmdir(edit_dir);
        edit_dir[0] = '\0';
    }
}

static void edit_on_signal(int sig)
{
    if (edit_child > 0)
        kill(edit_child, SIGTERM);
    edit_cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int read_secret(const char *path, struct dbuf *buf, struct verr *e)
{
    if (!fsutil_exists(path))
        return verr_set(e, VALS_ENOT_FOUND, "file does not exist: %s", path);
    return local_read_file(path, SECRET_MAX, buf, e);
}

/* Identities of the project around the working directory, or the standard ones. */
static int load_ids(struct sops_identities *ids, struct verr *e)
{
    struct rmk_project proj;
    struct verr pe;
    int rc;

    memset(&proj, 0, sizeof(proj));
    if (rmk_project_identity(&proj, &pe) == 0)
        rc = rmk_identities_load(&proj, ids, e);
    else
        rc = rmk_identities_load(NULL, ids, e);
    rmk_project_free(&proj);
    return rc;
}

int rmk_secret_encrypt(const char *path, struct verr *e)
{
    struct dbuf buf = DBUF_INIT;
    enum sops_format fmt = sops_format_for_path(path);
    int rc = read_secret(path, &buf, e);

    if (rc != 0)
        goto out;
    if (sops_is_encrypted(buf.p != NULL ? buf.p : "", buf.len, fmt)) {
        rc = RMK_SECRET_SKIPPED;
        verr_set(e, 0, "%s is already encrypted, skipped", path);
        goto out;
    }
    if ((rc = rmk_encrypt_for_file(path, &buf, e)) == 0)
        rc = fsutil_write_atomic(path, buf.p, buf.len, FSUTIL_KEEP_MODE, e);
out:
    dbuf_free(&buf);
    return rc;
}

/* Decrypt `path` into `out`; RMK_SECRET_SKIPPED when it is not encrypted. */
static int decrypt_to(const char *path, struct dbuf *out, struct verr *e)
{
    struct dbuf buf = DBUF_INIT;
    struct sops_identities ids = {0};
    enum sops_format fmt = sops_format_for_path(path);
    int rc = read_secret(path, &buf, e);

    if (rc != 0)
        goto out;
    if (!sops_is_encrypted(buf.p != NULL ? buf.p : "", buf.len, fmt)) {
        rc = RMK_SECRET_SKIPPED;
        verr_set(e, 0, "%s is not encrypted", path);
        goto out;
    }
    if ((rc = load_ids(&ids, e)) == 0)
        rc = sops_decrypt_bytes(buf.p, buf.len, fmt, path, &ids, 0, out, e);
out:
    sops_identities_free(&ids);
    dbuf_free(&buf);
    return rc;
}

int rmk_secret_decrypt(const char *path, struct verr *e)
{
    struct dbuf plain = DBUF_INIT;
    int rc = decrypt_to(path, &plain, e);

    if (rc == RMK_SECRET_SKIPPED)
        verr_set(e, 0, "%s is not encrypted, skipped", path);
    else if (rc == 0)
        rc = fsutil_write_atomic(path, plain.p != NULL ? plain.p : "", plain.len, FSUTIL_KEEP_MODE,
                                 e);
    dbuf_free(&plain);
    return rc;
}

int rmk_secret_view(const char *path, FILE *out, struct verr *e)
{
    struct dbuf plain = DBUF_INIT;
    int rc = decrypt_to(path, &plain, e);

    if (rc == RMK_SECRET_SKIPPED)
        rc = verr_set(e, VALS_EUSAGE, "%s is not encrypted", path);
    if (rc == 0 && (fwrite(plain.p != NULL ? plain.p : "", 1, plain.len, out) != plain.len ||
                    fflush(out) != 0))
        rc = verr_set(e, VALS_EIO, "cannot write to the output: %s", strerror(errno));
    dbuf_free(&plain);
    return rc;
}

/* Write the plaintext copy: a new 0600 file in the private directory. */
static int write_copy(const char *path, const struct dbuf *plain, struct verr *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), rc = 0;
    size_t off = 0;

    if (fd < 0)
        return verr_set(e, VALS_EIO, "%s: %s", path, strerror(errno));
    while (off < plain->len) {
        ssize_t n = write(fd, plain->p + off, plain->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = verr_set(e, VALS_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0 && rc == 0)
        rc = verr_set(e, VALS_EIO, "%s: %s", path, strerror(errno));
    return rc;
}

/* Run $EDITOR (through sh, so it may carry arguments) on `file`; 0 when it exits 0. */
static int run_editor(const char *file, struct verr *e)
{
    const char *editor = getenv("EDITOR");
    struct sigaction ign = {0}, old_int, old_quit;
    char script[4200];
    int status = 0;
    pid_t pid;

    if (editor == NULL || editor[0] == '\0')
        editor = "vi";
    snprintf(script, sizeof(script), "%s \"$@\"", editor);
    /* Ctrl-C and Ctrl-\ belong to the editor while it runs */
    ign.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    pid = fork();
    if (pid < 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        return verr_set(e, VALS_EIO, "cannot start the editor: %s", strerror(errno));
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        execl("/bin/sh", "sh", "-c", script, "rmk-editor", file, (char *)NULL);
        _exit(127);
    }
    edit_child = pid;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    edit_child = 0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return verr_set(e, VALS_EIO, "the editor (%s) exited with status %d", editor,
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

int rmk_secret_edit(const char *path, struct verr *e)
{
    struct dbuf in = DBUF_INIT, plain = DBUF_INIT, edited = DBUF_INIT, out = DBUF_INIT;
    struct sops_identities ids = {0};
    struct sops_file *f = NULL;
    struct sigaction sa = {0}, old[4];
    static const int sigs[4] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT};
    enum sops_format fmt = sops_format_for_path(path);
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    const char *tmp = getenv("XDG_RUNTIME_DIR");
    int exists = fsutil_exists(path), rc;

    if (exists) {
        if ((rc = read_secret(path, &in, e)) != 0)
            goto out;
        if (!sops_is_encrypted(in.p != NULL ? in.p : "", in.len, fmt)) {
            rc = verr_set(e, VALS_EUSAGE,
                          "%s is not encrypted; encrypt it first with 'rmk secret encrypt'", path);
            goto out;
        }
        if ((rc = load_ids(&ids, e)) != 0 ||
            (rc = sops_open(in.p, in.len, fmt, path, &ids, 0, &f, e)) != 0 ||
            (rc = sops_file_plain(f, &plain, e)) != 0)
            goto out;
    } else {
        struct sops_create c;
        char *cfg = NULL;
        /* fail before the editor when the new file could not be encrypted */
        rc = sops_config_for_file(path, &c, &cfg, e);
        sops_create_clear(&c);
        free(cfg);
        if (rc != 0) {
            if (rc == VALS_ENOT_FOUND)
                verr_set(e, rc, "%s: no .sops.yaml governs this file; run 'rmk secret keys create'",
                         path);
            goto out;
        }
    }
    if (tmp == NULL || tmp[0] == '\0' || !fsutil_is_dir(tmp))
        tmp = getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] != '\0' ? getenv("TMPDIR") : "/tmp";
    snprintf(edit_dir, sizeof(edit_dir), "%s/rmk-edit.XXXXXX", tmp);
    sa.sa_handler = edit_on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &sa, &old[i]);
    if ((rc = fsutil_private_tmpdir(edit_dir, e)) != 0) {
        edit_dir[0] = '\0';
        goto restore;
    }
    snprintf(edit_file, sizeof(edit_file), "%s/%s", edit_dir, base);
    if ((rc = write_copy(edit_file, &plain, e)) != 0 || (rc = run_editor(edit_file, e)) != 0 ||
        (rc = local_read_file(edit_file, SECRET_MAX, &edited, e)) != 0)
        goto restore;
    edit_cleanup();
    if (edited.len == plain.len && (plain.len == 0 || memcmp(edited.p, plain.p, plain.len) == 0)) {
        rc = RMK_SECRET_UNCHANGED;
        verr_set(e, 0, exists ? "%s has not changed" : "%s was not created (nothing written)",
                 path);
        goto restore;
    }
    if (exists) {
        rc = sops_file_set_plain(f, edited.p != NULL ? edited.p : "", edited.len, e);
        if (rc == 0)
            rc = sops_file_encrypt(f, NULL, &out, e);
    } else {
        rc = rmk_encrypt_for_file(path, &edited, e);
        if (rc == 0) {
            out = edited;
            dbuf_init(&edited, 0);
        }
    }
    if (rc != 0)
        verr_prefix(e, "%s left unchanged", path);
    else
        rc = fsutil_write_atomic(path, out.p, out.len, FSUTIL_KEEP_MODE, e);
restore:
    edit_cleanup();
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &old[i], NULL);
out:
    sops_file_free(f);
    sops_identities_free(&ids);
    dbuf_free(&in);
    dbuf_free(&plain);
    dbuf_free(&edited);
    dbuf_free(&out);
    return rc;
}
