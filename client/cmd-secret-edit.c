/*
 * cmd-secret-edit.c - "rmk secret edit FILE": edit a SOPS file with $EDITOR.
 *
 * The plaintext lives in a 0600 file inside a fresh 0700 private directory and is zeroed
 * and removed on every exit path, signals included.  A missing FILE is created (encrypted
 * with its .sops.yaml).  The file is re-encrypted only when the content changed; an
 * existing file keeps its data key, and unchanged values keep their ciphertext (sops edit).
 * On any error the original file is untouched.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/fsutil.h"
#include "lib/local_refs.h"
#include "rmk-generate.h"
#include "rmk-secret-file.h"

static char edit_dir[4096];
static char edit_file[4400];

/* Async-signal-safe removal of the plaintext, then die by the same signal. */
static void on_signal(int sig)
{
    if (edit_file[0] != '\0') {
        unlink(edit_file);
        rmdir(edit_dir);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void remove_plaintext(void)
{
    if (edit_file[0] != '\0') {
        fsutil_shred(edit_file);
        rmdir(edit_dir);
        edit_file[0] = '\0';
    }
}

/* Run $VISUAL / $EDITOR (through sh, so "code --wait" works) on path. */
static int run_editor(const char *path, struct verr *e)
{
    const char *ed = getenv("VISUAL");
    pid_t pid;
    int status;

    if (ed == NULL || ed[0] == '\0')
        ed = getenv("EDITOR");
    if (ed == NULL || ed[0] == '\0')
        ed = "vi";
    pid = fork();
    if (pid < 0)
        return verr_set(e, VALS_EIO, "fork: %s", strerror(errno));
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        execl("/bin/sh", "sh", "-c", "$RMK_EDITOR \"$1\"", "sh", path, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return verr_set(e, VALS_EIO, "waiting for the editor: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return verr_set(e, VALS_EIO, "the editor (%s) failed; %s is unchanged", ed, path);
    return 0;
}

static int edit(const char *path, struct verr *e)
{
    struct sops_identities ids = {0};
    struct sops_file *sf = NULL;
    struct dbuf in = DBUF_INIT, plain = DBUF_INIT, edited = DBUF_INIT, out = DBUF_INIT;
    enum sops_format fmt = sops_format_for_path(path);
    const char *tmp = getenv("TMPDIR"), *base = strrchr(path, '/');
    int exists = fsutil_exists(path), rc;
    char *ed = getenv("VISUAL");

    if (ed == NULL || ed[0] == '\0')
        ed = getenv("EDITOR");
    setenv("RMK_EDITOR", ed != NULL && ed[0] != '\0' ? ed : "vi", 1);
    base = base != NULL ? base + 1 : path;
    if (exists) {
        if ((rc = local_read_file(path, 64u << 20, &in, e)) != 0)
            goto out;
        if (!sops_is_encrypted(in.p, in.len, fmt)) {
            rc = verr_set(e, VALS_EUSAGE,
                          "file is not encrypted: %s (use 'rmk secret encrypt' first)", path);
            goto out;
        }
        if ((rc = rmk_identities(&ids, e)) != 0 ||
            (rc = sops_open(in.p, in.len, fmt, path, &ids, 0, &sf, e)) != 0 ||
            (rc = sops_file_plain(sf, &plain, e)) != 0)
            goto out;
    }
    snprintf(edit_dir, sizeof(edit_dir), "%s/rmk-edit.XXXXXX",
             tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    if ((rc = fsutil_private_tmpdir(edit_dir, e)) != 0)
        goto out;
    snprintf(edit_file, sizeof(edit_file), "%s/%s", edit_dir, base);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    if ((rc = fsutil_create_exclusive(edit_file, plain.p ? plain.p : "", plain.len, 0600, e)) != 0)
        goto out;
    if ((rc = run_editor(edit_file, e)) != 0)
        goto out;
    if ((rc = local_read_file(edit_file, 64u << 20, &edited, e)) != 0)
        goto out;
    remove_plaintext();
    if (exists && edited.len == plain.len &&
        (plain.len == 0 || memcmp(edited.p, plain.p, plain.len) == 0)) {
        printf("%s unchanged; not re-encrypted\n", path);
        goto out;
    }
    if (!exists && edited.len == 0) {
        printf("%s: nothing written; the file was not created\n", path);
        goto out;
    }
    if (exists) {
        if ((rc = sops_file_set_plain(sf, edited.p, edited.len, e)) != 0 ||
            (rc = sops_file_encrypt(sf, NULL, &out, e)) != 0)
            goto out;
    } else {
        out = edited;
        dbuf_init(&edited, 0);
        if ((rc = rmk_encrypt_for_file(path, &out, e)) != 0)
            goto out;
    }
    rc =
        fsutil_write_atomic(path, out.p ? out.p : "", out.len, exists ? FSUTIL_KEEP_MODE : 0600, e);
    if (rc == 0)
        printf("%s %s\n", path, exists ? "updated" : "created");
out:
    remove_plaintext();
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sops_file_free(sf);
    sops_identities_free(&ids);
    dbuf_free(&in);
    dbuf_free(&plain);
    dbuf_free(&edited);
    dbuf_free(&out);
    return rc;
}

static int cmd_secret_edit_exec(int argc, char **argv)
{
    struct verr e = {0};
    int rc;

    if (argc != 2) {
        cmd_error(&cmd_secret_edit_entry, "expected one FILE");
        return CMD_EXIT_USAGE;
    }
    rc = edit(argv[1], &e);
    if (rc != 0)
        cmd_error(&cmd_secret_edit_entry, "%s", verr_text(&e));
    return rc == 0 ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}

const struct cmd_entry cmd_secret_edit_entry = {
    .name = "secret edit",
    .alias = NULL,
    .usage = "FILE",
    .help = "Edit a SOPS-encrypted file with $EDITOR (creates it when missing).",
    .details = "The plaintext is kept in a 0600 file inside a private 0700 directory under\n"
               "$TMPDIR (or /tmp) and removed on every exit path, signals included. The file is\n"
               "re-encrypted only if the content changed; unchanged values keep their\n"
               "ciphertext. A new file is encrypted with the .sops.yaml that governs it.\n",
    .exec = cmd_secret_edit_exec,
};
