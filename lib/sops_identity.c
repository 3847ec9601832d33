/*
 * sops_identity.c - where sops looks for age identities when decrypting (sops-age.md §4):
 * SOPS_AGE_KEY (identity text; several keys per line allowed), SOPS_AGE_KEY_FILE (a path),
 * SOPS_AGE_KEY_CMD (a command, split like a shell would but run without one, whose stdout
 * is read as an identity file), and the default file $XDG_CONFIG_HOME/sops/age/keys.txt
 * ($HOME/.config/sops/age/keys.txt when XDG_CONFIG_HOME is unset).  Every source is read;
 * the identities of all of them are used.  What was tried, and why a source failed, is kept
 * for the error message when nothing can decrypt.
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

#include "sops_int.h"

#define IDENTITY_MAX (16u << 20) /* the age CLI's limit for identity files */

/* Append identities parsed from `text` to `out`. */
static int add_text(struct sops_identities *out, const char *text, size_t len, const char *name,
                    struct verr *e)
{
    struct age_identity *ids = NULL, *p;
    size_t n = 0;
    int r;

    if (len >= 14 && (!memcmp(text, "age-encryption", 14) || !memcmp(text, "-----BEGIN AGE", 14)))
        return verr_set(e, VALS_EUSAGE,
                        "%s is a passphrase-protected identity file (not supported)", name);
    if ((r = age_identities_parse(text, len, name, &ids, &n, e)) != 0)
        return r;
    p = realloc(out->ids, (out->n + n) * sizeof(*p));
    if (p == NULL) {
        age_identities_free(ids, n);
        return VALS_ENOMEM;
    }
    out->ids = p;
    if (n > 0)
        memcpy(out->ids + out->n, ids, n * sizeof(*ids));
    out->n += n;
    secure_zero(ids, n * sizeof(*ids));
    free(ids);
    return 0;
}

int sops_identities_from_text(struct sops_identities *out, const char *text, size_t len,
                              const char *name, struct verr *e)
{
    memset(out, 0, sizeof(*out));
    return add_text(out, text, len, name, e);
}

/* SOPS_AGE_KEY: lines of identities, several separated by blanks allowed (sops 3.13). */
static int add_env_keys(struct sops_identities *out, const char *s, struct verr *e)
{
    struct dbuf lines = DBUF_INIT;
    int r = 0;

    for (const char *p = s; *p != '\0' && r == 0; p++) {
        if (*p == '#') { /* a comment runs to the end of its line */
            while (p[1] != '\0' && p[1] != '\n')
                p++;
            continue;
        }
        r = dbuf_addc(&lines, (*p == ' ' || *p == '\t') ? '\n' : *p);
    }
    if (r == 0)
        r = add_text(out, lines.p != NULL ? lines.p : "", lines.len, "SOPS_AGE_KEY", e);
    dbuf_free(&lines);
    return r;
}

/* Read a whole identity file (at most 16 MiB). */
static int read_file(const char *path, struct dbuf *out, struct verr *e)
{
    char buf[8192];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

    if (fd < 0)
        return verr_set(e, errno == ENOENT ? VALS_ENOT_FOUND : VALS_EIO, "%s: %s", path,
                        strerror(errno));
    dbuf_init(out, IDENTITY_MAX);
    while (r == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = verr_set(e, VALS_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        r = dbuf_add(out, buf, (size_t)n);
        if (r == VALS_ETOO_LARGE)
            r = verr_set(e, r, "%s: larger than 16 MiB", path);
    }
    secure_zero(buf, sizeof(buf));
    close(fd);
    return r;
}

/* Split a command line like a POSIX shell would split words (quotes and backslashes). */
static char **split_words(const char *s)
{
    size_t cap = 8, n = 0, len = strlen(s);
    char **argv = calloc(cap, sizeof(char *));
    char *word = malloc(len + 1);
    size_t w = 0;
    int in_word = 0;

    if (argv == NULL || word == NULL)
        goto fail;
    for (size_t i = 0; i <= len; i++) {
        char c = s[i];
        if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
            if (in_word) {
                if (n + 2 > cap) {
                    char **p = realloc(argv, (cap *= 2) * sizeof(char *));
                    if (p == NULL)
                        goto fail;
                    argv = p;
                }
                if ((argv[n] = strndup(word, w)) == NULL)
                    goto fail;
                argv[++n] = NULL;
                w = 0;
                in_word = 0;
            }
            continue;
        }
        in_word = 1;
        if (c == '\'') {
            while (++i < len && s[i] != '\'')
                word[w++] = s[i];
        } else if (c == '"') {
            while (++i < len && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < len && strchr("\"\\$`", s[i + 1]) != NULL)
                    i++;
                word[w++] = s[i];
            }
        } else if (c == '\\' && i + 1 < len) {
            word[w++] = s[++i];
        } else {
            word[w++] = c;
        }
    }
    free(word);
    if (n == 0)
        goto fail;
    return argv;
fail:
    for (size_t i = 0; argv != NULL && i < n; i++)
        free(argv[i]);
    free(argv);
    free(word);
    return NULL;
}

/* Run SOPS_AGE_KEY_CMD without a shell and collect its stdout. */
static int run_cmd(const char *cmd, struct dbuf *out, struct verr *e)
{
    char **argv = split_words(cmd), buf[8192];
    int pfd[2] = {-1, -1}, r = 0, status = 0;
    pid_t pid;
    ssize_t n;

    if (argv == NULL)
        return verr_set(e, VALS_EUSAGE, "SOPS_AGE_KEY_CMD is empty");
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        r = verr_set(e, VALS_EIO, "SOPS_AGE_KEY_CMD: pipe: %s", strerror(errno));
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        r = verr_set(e, VALS_EIO, "SOPS_AGE_KEY_CMD: fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        dup2(pfd[1], STDOUT_FILENO);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    pfd[1] = -1;
    dbuf_init(out, IDENTITY_MAX);
    while ((n = read(pfd[0], buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (r == 0)
            r = dbuf_add(out, buf, (size_t)n);
    }
    secure_zero(buf, sizeof(buf));
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        r = verr_set(e, VALS_EIO, "SOPS_AGE_KEY_CMD (%s) failed with status %d", argv[0],
                     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
out:
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    for (size_t i = 0; argv[i] != NULL; i++)
        free(argv[i]);
    free(argv);
    return r;
}

/* Note what happened with one source in `tried`. */
static void note(struct dbuf *tried, const char *what, const char *result)
{
    dbuf_printf(tried, "%s%s (%s)", tried->len > 0 ? ", " : "", what, result);
}

static const char *process_env(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

int sops_identities_load(struct sops_identities *out, struct verr *e)
{
    return sops_identities_load_env(out, process_env, NULL, 0, e);
}

int sops_identities_load_env(struct sops_identities *out, sops_env_fn env, void *ctx, int flags,
                             struct verr *e)
{
    struct dbuf tried = DBUF_INIT, text = DBUF_INIT;
    const char *v;
    char path[4096];
    size_t before;
    struct verr se;
    int r;

    memset(out, 0, sizeof(*out));
    /* SOPS_AGE_KEY */
    if ((v = env(ctx, "SOPS_AGE_KEY")) != NULL && v[0] != '\0') {
        before = out->n;
        r = add_env_keys(out, v, &se);
        note(&tried, "SOPS_AGE_KEY",
             r == 0 ? (out->n > before ? "loaded" : "no key") : verr_text(&se));
    } else {
        note(&tried, "SOPS_AGE_KEY", "not set");
    }
    /* SOPS_AGE_KEY_FILE */
    if ((v = env(ctx, "SOPS_AGE_KEY_FILE")) != NULL && v[0] != '\0') {
        char what[4200];
        before = out->n;
        r = read_file(v, &text, &se);
        if (r == 0)
            r = add_text(out, text.p != NULL ? text.p : "", text.len, v, &se);
        dbuf_free(&text);
        snprintf(what, sizeof(what), "SOPS_AGE_KEY_FILE=%s", v);
        note(&tried, what, r == 0 ? (out->n > before ? "loaded" : "no key") : verr_text(&se));
    } else {
        note(&tried, "SOPS_AGE_KEY_FILE", "not set");
    }
    /* SOPS_AGE_KEY_CMD */
    if ((v = env(ctx, "SOPS_AGE_KEY_CMD")) != NULL && v[0] != '\0' && (flags & SOPS_ID_NO_CMD)) {
        note(&tried, "SOPS_AGE_KEY_CMD", "not run by valsd");
    } else if (v != NULL && v[0] != '\0') {
        before = out->n;
        r = run_cmd(v, &text, &se);
        if (r == 0)
            r = add_text(out, text.p != NULL ? text.p : "", text.len, "SOPS_AGE_KEY_CMD output",
                         &se);
        dbuf_free(&text);
        note(&tried, "SOPS_AGE_KEY_CMD",
             r == 0 ? (out->n > before ? "loaded" : "no key") : verr_text(&se));
    } else {
        note(&tried, "SOPS_AGE_KEY_CMD", "not set");
    }
    /* the default keys.txt */
    if ((v = env(ctx, "XDG_CONFIG_HOME")) != NULL && v[0] != '\0')
        snprintf(path, sizeof(path), "%s/sops/age/keys.txt", v);
    else if ((v = env(ctx, "HOME")) != NULL && v[0] != '\0')
        snprintf(path, sizeof(path), "%s/.config/sops/age/keys.txt", v);
    else
        path[0] = '\0';
    if (path[0] != '\0') {
        before = out->n;
        r = read_file(path, &text, &se);
        if (r == 0)
            r = add_text(out, text.p != NULL ? text.p : "", text.len, path, &se);
        dbuf_free(&text);
        note(&tried, path,
             r == 0                 ? (out->n > before ? "loaded" : "no key")
             : r == VALS_ENOT_FOUND ? "not found"
                                    : verr_text(&se));
    }
    out->tried = dbuf_take(&tried, NULL);
    dbuf_free(&tried);
    if (out->n == 0) {
        r = verr_set(e, VALS_ENOKEY, "no age identity found; looked in %s",
                     out->tried != NULL ? out->tried : "");
        sops_identities_free(out);
        return r;
    }
    return 0;
}

void sops_identities_free(struct sops_identities *ids)
{
    if (ids->ids != NULL)
        age_identities_free(ids->ids, ids->n);
    free(ids->tried);
    memset(ids, 0, sizeof(*ids));
}
