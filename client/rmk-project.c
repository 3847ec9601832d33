/*
 * rmk-project.c - project identity from git, project.yaml, and secrets directory
 * selection (see rmk-project.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/dbuf.h"
#include "lib/fsutil.h"
#include "lib/local_refs.h"
#include "rmk-project.h"

int rmk_run_capture(const char *const *argv, char **out, struct verr *e)
{
    int fds[2], status;
    struct dbuf b = DBUF_INIT;
    pid_t pid;

    *out = NULL;
    if (pipe(fds) != 0)
        return verr_set(e, VALS_EIO, "pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return verr_set(e, VALS_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        int null = open("/dev/null", 0);
        dup2(fds[1], 1);
        if (null >= 0)
            dup2(null, 2);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    for (;;) {
        ssize_t n;
        if (dbuf_reserve(&b, 4096) != 0)
            break;
        n = read(fds[0], b.p + b.len, 4096);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        b.len += (size_t)n;
        b.p[b.len] = '\0';
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        dbuf_free(&b);
        return verr_set(e, VALS_EIO, "%s %s failed", argv[0], argv[1] ? argv[1] : "");
    }
    while (b.len > 0 && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
        b.p[--b.len] = '\0';
    *out = dbuf_take(&b, NULL);
    dbuf_free(&b);
    return *out != NULL ? 0 : VALS_ENOMEM;
}

int rmk_tenant_from_url(const char *url, char **tenant, struct verr *e)
{
    const char *end = url + strlen(url), *start;
    size_t n;

    while (end > url && end[-1] == '/')
        end--;
    if (end - url > 4 && !strncmp(end - 4, ".git", 4))
        end -= 4;
    start = end;
    while (start > url && start[-1] != '/' && start[-1] != ':')
        start--;
    n = strcspn(start, ".");
    if ((size_t)(end - start) < n)
        n = (size_t)(end - start);
    if (n == 0)
        return verr_set(e, VALS_EUSAGE, "cannot find the project name in the origin URL \"%s\"",
                        url);
    *tenant = strndup(start, n);
    return *tenant != NULL ? 0 : VALS_ENOMEM;
}

/* "<word>-<num>" at the start of s: its length, else 0. */
static size_t word_num(const char *s)
{
    size_t i = 0, w, d;

    while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
        i++;
    w = i;
    if (w == 0 || s[i] != '-')
        return 0;
    i++;
    d = i;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    return i > d ? i : 0;
}

/* "vX.Y.Z" or "vX.Y.Z-rc" exactly: 1 plain, 2 rc, 0 neither. */
static int semver_tag(const char *s)
{
    int dots = 0, digits = 0;

    if (*s++ != 'v')
        return 0;
    for (; *s && *s != '-'; s++) {
        if (*s == '.') {
            if (!digits)
                return 0;
            dots++;
            digits = 0;
        } else if (*s >= '0' && *s <= '9') {
            digits++;
        } else {
            return 0;
        }
    }
    if (dots != 2 || !digits)
        return 0;
    if (*s == '\0')
        return 1;
    return !strcmp(s, "-rc") ? 2 : 0;
}

int rmk_branch_environment(const char *branch, const char *tenant, char **env, char **id,
                           struct verr *e)
{
    char suffix[256] = "";
    const char *en = NULL;
    size_t n;

    *env = *id = NULL;
    if (!strcmp(branch, "develop") || !strcmp(branch, "staging") || !strcmp(branch, "production")) {
        en = branch;
        snprintf(suffix, sizeof(suffix), "%s", branch);
    } else if (!strncmp(branch, "feature/", 8) && (n = word_num(branch + 8)) > 0) {
        en = "develop";
        snprintf(suffix, sizeof(suffix), "%.*s", (int)n, branch + 8);
    } else if (!strncmp(branch, "release/", 8)) {
        const char *r = branch + 8;
        int sv = semver_tag(r);
        if (sv != 0) {
            en = sv == 1 ? "production" : "staging";
            snprintf(suffix, sizeof(suffix), "%s", r);
        } else if ((n = word_num(r)) > 0 && r[n] == '\0') {
            en = "staging";
            snprintf(suffix, sizeof(suffix), "%.*s", (int)n, r);
        }
    } else if (!strncmp(branch, "hotfix/", 7)) {
        const char *r = branch + 7;
        if (semver_tag(r) == 1) {
            en = "production";
            snprintf(suffix, sizeof(suffix), "%s", r);
        } else if ((n = word_num(r)) > 0) {
            en = "production";
            snprintf(suffix, sizeof(suffix), "%.*s", (int)n, r);
        }
    }
    if (en == NULL)
        return verr_set(e, VALS_EUSAGE,
                        "selected branch %s cannot be used as environment name (use develop, "
                        "staging, production, feature/<word>-<num>, release/..., hotfix/...)",
                        branch);
    for (char *p = suffix; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
        if (*p == '.')
            *p = '-';
    }
    *env = strdup(en);
    n = strlen(tenant) + strlen(suffix) + 2;
    *id = malloc(n);
    if (*env == NULL || *id == NULL) {
        free(*env);
        free(*id);
        *env = *id = NULL;
        return VALS_ENOMEM;
    }
    snprintf(*id, n, "%s-%s", tenant, suffix);
    return 0;
}

/* The value of `url` in section [remote "origin"] of a git config text, or NULL. */
static char *config_origin_url(const char *text)
{
    int in = 0;
    const char *line = text;

    while (line != NULL && *line) {
        const char *end = strchr(line, '\n'), *p = line;
        size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '[') {
            in = !strncmp(p, "[remote \"origin\"]", 17);
        } else if (in && !strncmp(p, "url", 3)) {
            const char *v = p + 3, *lim = line + n;
            while (v < lim && (*v == ' ' || *v == '\t'))
                v++;
            if (v < lim && *v == '=') {
                v++;
                while (v < lim && (*v == ' ' || *v == '\t'))
                    v++;
                while (lim > v && (lim[-1] == ' ' || lim[-1] == '\r' || lim[-1] == '\t'))
                    lim--;
                return strndup(v, (size_t)(lim - v));
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

/*
 * Read the top level, branch and origin URL straight from .git (a directory) without
 * starting git: 1 when that worked, 0 to let the caller ask git (worktrees, unusual
 * layouts, detached HEAD, ...).
 */
static int read_git_dir(struct rmk_project *p, char **url)
{
    char dir[4096], path[4200];
    struct dbuf head = DBUF_INIT, cfg = DBUF_INIT;
    int ok = 0;

    if (getcwd(dir, sizeof(dir)) == NULL)
        return 0;
    for (;;) {
        snprintf(path, sizeof(path), "%s/.git", dir);
        if (fsutil_exists(path))
            break;
        char *slash = strrchr(dir, '/');
        if (slash == NULL || slash == dir)
            return 0;
        *slash = '\0';
    }
    if (!fsutil_is_dir(path) || getenv("GIT_DIR") != NULL)
        return 0;
    snprintf(path, sizeof(path), "%s/.git/HEAD", dir);
    if (local_read_file(path, 4096, &head, NULL) != 0 ||
        strncmp(head.p, "ref: refs/heads/", 16) != 0)
        goto out;
    snprintf(path, sizeof(path), "%s/.git/config", dir);
    if (local_read_file(path, 1u << 20, &cfg, NULL) != 0 ||
        (*url = config_origin_url(cfg.p)) == NULL)
        goto out;
    head.p[strcspn(head.p, "\r\n")] = '\0';
    p->root = strdup(dir);
    p->branch = strdup(head.p + 16);
    ok = p->root != NULL && p->branch != NULL && p->branch[0] != '\0';
    if (!ok) {
        free(p->root);
        free(p->branch);
        free(*url);
        p->root = p->branch = *url = NULL;
    }
out:
    dbuf_free(&head);
    dbuf_free(&cfg);
    return ok;
}

int rmk_project_identity(struct rmk_project *p, struct verr *e)
{
    static const char *const top[] = {"git", "rev-parse", "--show-toplevel", NULL};
    static const char *const branch[] = {"git", "symbolic-ref", "--short", "-q", "HEAD", NULL};
    static const char *const origin[] = {"git", "remote", "get-url", "origin", NULL};
    char *url = NULL;
    int rc;

    memset(p, 0, sizeof(*p));
    if (read_git_dir(p, &url))
        goto have;
    if (rmk_run_capture(top, &p->root, e) != 0)
        return verr_set(e, VALS_EUSAGE,
                        "not inside a git repository (rmk needs the project's "
                        "git repository to know its tenant and environment)");
    if (rmk_run_capture(branch, &p->branch, e) != 0 || p->branch[0] == '\0')
        return verr_set(e, VALS_EUSAGE, "the git repository has no current branch");
    if (rmk_run_capture(origin, &url, e) != 0)
        return verr_set(e, VALS_EUSAGE, "the git repository has no 'origin' remote");
have:
    rc = rmk_tenant_from_url(url, &p->tenant, e);
    free(url);
    if (rc != 0)
        return rc;
    return rmk_branch_environment(p->branch, p->tenant, &p->environment, &p->id, e);
}

int rmk_project_load(struct rmk_project *p, struct verr *e)
{
    struct dbuf b = DBUF_INIT;
    struct doc_stream st = {0};
    char path[4096];
    int rc;

    snprintf(path, sizeof(path), "%s/project.yaml", p->root != NULL ? p->root : ".");
    if ((rc = local_read_file(path, 4u << 20, &b, e)) != 0)
        goto out;
    if ((rc = doc_parse_yaml(b.p, b.len, path, DOC_YAML_COMMENTS, &st, e)) != 0)
        goto out;
    if (st.len == 0 || st.docs[0]->type != DOC_MAP || doc_map_getz(st.docs[0], "project") == NULL ||
        doc_map_getz(st.docs[0], "project")->type != DOC_MAP) {
        rc = verr_set(e, VALS_EPARSE, "%s: expected a 'project' map", path);
        goto out;
    }
    p->file = st.docs[0];
    st.docs[0] = NULL;
out:
    doc_stream_free(&st);
    dbuf_free(&b);
    return rc;
}

void rmk_project_free(struct rmk_project *p)
{
    free(p->root);
    free(p->branch);
    free(p->tenant);
    free(p->environment);
    free(p->id);
    doc_free(p->file);
    memset(p, 0, sizeof(*p));
}

const struct doc *rmk_project_spec(const struct rmk_project *p, const char *key)
{
    const struct doc *proj, *spec;

    if (p->file == NULL)
        return NULL;
    proj = doc_map_getz(p->file, "project");
    spec = proj != NULL ? doc_map_getz(proj, "spec") : NULL;
    return spec != NULL && spec->type == DOC_MAP ? doc_map_getz(spec, key) : NULL;
}

int rmk_project_scopes(const struct rmk_project *p, const char ***scopes, size_t *n)
{
    const struct doc *s = rmk_project_spec(p, "scopes");

    *scopes = NULL;
    *n = 0;
    if (s == NULL || s->type != DOC_LIST)
        return 0;
    *scopes = calloc(s->v.list.len + 1, sizeof(char *));
    if (*scopes == NULL)
        return VALS_ENOMEM;
    for (size_t i = 0; i < s->v.list.len; i++)
        if (s->v.list.items[i]->type == DOC_STR)
            (*scopes)[(*n)++] = s->v.list.items[i]->v.s.ptr;
    return 0;
}

char *rmk_keys_dir(const char *tenant)
{
    char rel[512];

    snprintf(rel, sizeof(rel), ".rmk/sops-age-keys/%s", tenant);
    return fsutil_home_path(rel);
}

void rmk_strv_free(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

struct strv {
    char **v;
    size_t n, cap;
};

static int strv_add(struct strv *s, const char *str)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], str))
            return 0;
    if (s->n == s->cap) {
        size_t c = s->cap ? s->cap * 2 : 16;
        char **p = realloc(s->v, c * sizeof(*p));
        if (p == NULL)
            return VALS_ENOMEM;
        s->v = p;
        s->cap = c;
    }
    if ((s->v[s->n] = strdup(str)) == NULL)
        return VALS_ENOMEM;
    s->n++;
    return 0;
}

/*
 * Walk `dir` recursively; collect every directory named "secrets" that holds `marker`.
 * When `env` is set, only such dirs whose parent directory is named `env` count.
 */
static int walk(const char *dir, const char *marker, const char *env, struct strv *out, int depth,
                struct verr *e)
{
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (depth > 32)
        return 0;
    d = opendir(dir);
    if (d == NULL)
        return verr_set(e, VALS_ENOT_FOUND, "cannot read %s: %s", dir, strerror(errno));
    while ((de = readdir(d)) != NULL && rc == 0) {
        char path[4096], m[4200];
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (!fsutil_is_dir(path))
            continue;
        if (!strcmp(de->d_name, "secrets")) {
            snprintf(m, sizeof(m), "%s/%s", path, marker);
            const char *parent = strrchr(dir, '/');
            parent = parent != NULL ? parent + 1 : dir;
            if (fsutil_exists(m) && (env == NULL || !strcmp(parent, env)))
                rc = strv_add(out, path);
        }
        if (rc == 0)
            rc = walk(path, marker, env, out, depth + 1, e);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int rmk_select_secret_dirs(const struct rmk_project *p, const char *marker,
                           const char *const *scopes, size_t nscopes, const char *const *envs,
                           size_t nenvs, char ***dirs, size_t *ndirs, struct verr *e)
{
    struct strv out = {0};
    char base[4096];
    int rc = 0;

    *dirs = NULL;
    *ndirs = 0;
    snprintf(base, sizeof(base), "%s/etc", p->root);
    if (!fsutil_is_dir(base))
        return verr_set(e, VALS_ENOT_FOUND,
                        "'etc' directory does not exist in %s; generate the structure with "
                        "'rmk project generate'",
                        p->root);
    if (nenvs > 0 && nscopes == 0) {
        const struct doc *envmap = rmk_project_spec(p, "environments");
        for (size_t i = 0; i < nenvs; i++) {
            int known = 0;
            if (envmap != NULL && envmap->type == DOC_MAP)
                known = doc_map_getz(envmap, envs[i]) != NULL;
            else if (envmap != NULL && envmap->type == DOC_LIST)
                for (size_t k = 0; k < envmap->v.list.len; k++) {
                    const struct doc *it = envmap->v.list.items[k];
                    known |= (it->type == DOC_STR && !strcmp(it->v.s.ptr, envs[i])) ||
                             (it->type == DOC_MAP && doc_map_getz(it, envs[i]) != NULL);
                }
            if (!known) {
                rc = verr_set(e, VALS_EUSAGE,
                              "environment %s does not exist in "
                              "project.spec.environments",
                              envs[i]);
                goto fail;
            }
        }
    }
    if (nscopes == 0 && nenvs == 0) {
        rc = walk(base, marker, NULL, &out, 0, e);
    } else if (nenvs == 0) {
        for (size_t i = 0; i < nscopes && rc == 0; i++) {
            char d[4200];
            snprintf(d, sizeof(d), "%s/%s", base, scopes[i]);
            rc = walk(d, marker, NULL, &out, 0, e);
        }
    } else if (nscopes == 0) {
        for (size_t i = 0; i < nenvs && rc == 0; i++)
            rc = walk(base, marker, envs[i], &out, 0, e);
    } else {
        for (size_t i = 0; i < nscopes && rc == 0; i++)
            for (size_t k = 0; k < nenvs && rc == 0; k++) {
                char d[4200];
                snprintf(d, sizeof(d), "%s/%s/%s", base, scopes[i], envs[k]);
                rc = walk(d, marker, NULL, &out, 0, e);
            }
    }
    if (rc != 0)
        goto fail;
    qsort(out.v, out.n, sizeof(char *), cmp_str);
    *dirs = out.v;
    *ndirs = out.n;
    return 0;
fail:
    rmk_strv_free(out.v, out.n);
    return rc;
}
