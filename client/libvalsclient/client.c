/*
 * client.c - libvalsclient: connect to valsd (starting it when nothing answers), send
 * the credential context, and make blocking msgpack-RPC calls (see valsd/client.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "lib/dbuf.h"
#include "lib/doc.h"
#include "lib/doc_msgpack.h"
#include "proto/protocol.h"
#include "proto/rpc.h"
#include "valsd/client.h"

extern char **environ;

#define CLIENT_MAX_REPLY (256u << 20)

struct vals_client {
    int fd;
    uint32_t next_id;
    int timeout_ms;
    struct dbuf in;
    struct rpc_limits limits;
};

void vals_free(void *p)
{
    if (p != NULL)
        secure_free(p, malloc_usable_size(p));
}

/* A malloc'ed printf-style message for *err. */
static int fail(char **err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char **err, int code, const char *fmt, ...)
{
    va_list ap;
    char buf[1200];

    if (err != NULL) {
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        *err = strdup(buf);
    }
    return code;
}

void vals_client_opts_init(struct vals_client_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->autostart = 1;
    opts->send_env = VALS_ENV_RELEVANT;
}

char *vals_default_socket_path(void)
{
    const char *env = getenv("VALSD_SOCKET"), *xdg = getenv("XDG_RUNTIME_DIR");
    char buf[PATH_MAX];

    if (env != NULL && env[0] != '\0')
        snprintf(buf, sizeof(buf), "%s", env);
    else if (xdg != NULL && xdg[0] == '/')
        snprintf(buf, sizeof(buf), "%s/valsd/valsd.sock", xdg);
    else
        snprintf(buf, sizeof(buf), "/tmp/valsd-%u/valsd.sock", (unsigned)getuid());
    return strdup(buf);
}

static int try_connect(const char *path, int *fd_out)
{
    struct sockaddr_un sa;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    *fd_out = fd;
    return 0;
}

/* The valsd program to start: opts, $VALSD_BIN, next to this executable, then $PATH. */
static void find_valsd(const struct vals_client_opts *opts, char *out, size_t len)
{
    const char *env = getenv("VALSD_BIN");
    char self[PATH_MAX];
    ssize_t n;

    if (opts->valsd_path != NULL) {
        snprintf(out, len, "%s", opts->valsd_path);
        return;
    }
    if (env != NULL && env[0] != '\0') {
        snprintf(out, len, "%s", env);
        return;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(out, len, "%s/valsd", self);
            if (access(out, X_OK) == 0)
                return;
        }
    }
    snprintf(out, len, "valsd");
}

/* Start valsd --background on `path` and wait for it to be ready. */
static int spawn_daemon(const struct vals_client_opts *opts, const char *path, char **err)
{
    char prog[PATH_MAX], logf[PATH_MAX], idle[32], dir[PATH_MAX];
    const char *ie = getenv("VALSD_IDLE_EXIT");
    int status;
    pid_t pid;

    find_valsd(opts, prog, sizeof(prog));
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    snprintf(logf, sizeof(logf), "%s/valsd.log", dir);
    snprintf(idle, sizeof(idle), "%d",
             opts->idle_exit_s > 0 ? opts->idle_exit_s
             : ie != NULL          ? (int)strtol(ie, NULL, 10)
                                   : 3600);
    pid = fork();
    if (pid < 0)
        return fail(err, VALS_ECONNECT, "cannot start valsd: %s", strerror(errno));
    if (pid == 0) {
        char *argv[] = {prog, "--background", "--socket", (char *)path, "--log-file",
                        logf, "--idle-exit",  idle,       NULL};
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        execvp(prog, argv);
        fprintf(stderr, "valsd: cannot run %s: %s\n", prog, strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fail(err, VALS_ECONNECT, "could not start valsd (%s) on %s; see its log %s", prog,
                    path, logf);
    return 0;
}

/* Make the socket's directory (0700) so the lock file can live there. */
static int ensure_dir(const char *path)
{
    char dir[PATH_MAX];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int vals_client_open(const struct vals_client_opts *opts, struct vals_client **out, char **err)
{
    struct vals_client_opts def;
    struct vals_client *c;
    char *path = NULL;
    int fd = -1, rc;

    *out = NULL;
    if (opts == NULL) {
        vals_client_opts_init(&def);
        opts = &def;
    }
    path = opts->socket_path != NULL ? strdup(opts->socket_path) : vals_default_socket_path();
    if (path == NULL)
        return VALS_ENOMEM;
    rc = try_connect(path, &fd);
    if (rc != 0 && opts->autostart && (rc == -ENOENT || rc == -ECONNREFUSED)) {
        /* one starter at a time: two clients starting at once start one daemon */
        char lockp[PATH_MAX];
        int lk;
        snprintf(lockp, sizeof(lockp), "%s.lock", path);
        if (ensure_dir(path) != 0 || (lk = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
            rc = fail(err, VALS_ECONNECT, "cannot prepare %s: %s", lockp, strerror(errno));
            goto out;
        }
        flock(lk, LOCK_EX);
        rc = try_connect(path, &fd);
        if (rc != 0) {
            int s = spawn_daemon(opts, path, err);
            rc = s == 0 ? try_connect(path, &fd) : s;
        }
        flock(lk, LOCK_UN);
        close(lk);
        if (rc < 0 && rc != VALS_ECONNECT)
            rc = fail(err, VALS_ECONNECT, "cannot connect to valsd at %s: %s", path, strerror(-rc));
        if (rc != 0)
            goto out;
    } else if (rc != 0) {
        rc = fail(err, VALS_ECONNECT, "cannot connect to valsd at %s: %s", path, strerror(-rc));
        goto out;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        rc = VALS_ENOMEM;
        goto out;
    }
    c->fd = fd;
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 35000;
    dbuf_init(&c->in, CLIENT_MAX_REPLY + 65536);
    c->limits.max_message = CLIENT_MAX_REPLY;
    c->limits.max_depth = 512;
    c->limits.max_array = UINT32_MAX;
    if (opts->send_env != VALS_ENV_NONE &&
        (rc = vals_client_send_environment(c, opts->send_env, NULL, NULL, 0, err)) != 0) {
        vals_client_close(c);
        goto out;
    }
    *out = c;
    rc = 0;
out:
    free(path);
    return rc;
}

void vals_client_close(struct vals_client *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    dbuf_free(&c->in);
    free(c);
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Send [0, id, method, <params bytes>] and wait for the response with that id.  On success
 * *result gets the msgpack bytes of the result.
 */
int vals_call(struct vals_client *c, const char *method, const char *params, size_t plen,
              char **result, size_t *rlen, char **err)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    uint32_t id = ++c->next_id;
    int64_t deadline = now_ms() + c->timeout_ms;
    int rc;

    *result = NULL;
    *rlen = 0;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, RPC_REQUEST);
    msgpack_pack_uint32(&pk, id);
    rpc_pack_cstr(&pk, method);
    msgpack_sbuffer_write(&sb, params, plen);
    rc = write_all(c->fd, sb.data, sb.size);
    secure_zero(sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    if (rc != 0)
        return fail(err, VALS_ECONNECT, "%s: lost the connection to valsd", method);
    /* the scanner resumes where it stopped as more bytes arrive (no rescans) */
    struct rpc_scanner scan;
    rpc_scanner_reset(&scan);
    for (;;) {
        struct verr e = {0};
        size_t msglen = 0;
        int s;

        s = c->in.len > 0 ? rpc_scan(&scan, c->in.p, c->in.len, &c->limits, &msglen, &e) : 0;
        if (s < 0)
            return fail(err, VALS_EBAD_REQUEST, "%s: bad reply from valsd: %s", method, e.msg);
        if (s == 1) {
            msgpack_zone zone;
            msgpack_object obj;
            struct rpc_msg m;
            size_t off = 0;
            msgpack_zone_init(&zone, 4096);
            rc = msgpack_unpack(c->in.p, msglen, &off, &zone, &obj) == MSGPACK_UNPACK_SUCCESS
                     ? rpc_parse(&obj, &m, &e)
                     : VALS_EBAD_REQUEST;
            if (rc == 0 && m.type == RPC_RESPONSE && m.msgid == id) {
                if (m.error->type != MSGPACK_OBJECT_NIL) {
                    char text[1200];
                    int code;
                    rpc_error_decode(m.error, &code, text, sizeof(text));
                    rc = fail(err, code, "%s", text);
                } else {
                    msgpack_sbuffer rb;
                    msgpack_packer rp;
                    msgpack_sbuffer_init(&rb);
                    msgpack_packer_init(&rp, &rb, msgpack_sbuffer_write);
                    msgpack_pack_object(&rp, *m.result);
                    *result = malloc(rb.size + 1);
                    if (*result != NULL) {
                        memcpy(*result, rb.data, rb.size);
                        *rlen = rb.size;
                    } else {
                        rc = VALS_ENOMEM;
                    }
                    secure_zero(rb.data, rb.size);
                    msgpack_sbuffer_destroy(&rb);
                }
                msgpack_zone_destroy(&zone);
                memmove(c->in.p, c->in.p + msglen, c->in.len - msglen);
                c->in.len -= msglen;
                secure_zero(c->in.p + c->in.len, msglen);
                return rc;
            }
            if (rc == 0 && m.type == RPC_NOTIFICATION && m.method_len == 5 &&
                !memcmp(m.method, "error", 5) && m.params->via.array.size > 0 &&
                m.params->via.array.ptr[0].type == MSGPACK_OBJECT_STR) {
                const msgpack_object *t = &m.params->via.array.ptr[0];
                rc = fail(err, VALS_EBAD_REQUEST, "%.*s", (int)t->via.str.size, t->via.str.ptr);
                msgpack_zone_destroy(&zone);
                return rc;
            }
            msgpack_zone_destroy(&zone);
            /* something else (another id, a notification): skip it */
            memmove(c->in.p, c->in.p + msglen, c->in.len - msglen);
            c->in.len -= msglen;
            secure_zero(c->in.p + c->in.len, msglen);
            rpc_scanner_reset(&scan);
            continue;
        }
        {
            struct pollfd pfd = {c->fd, POLLIN, 0};
            int64_t left = deadline - now_ms();
            ssize_t n;
            if (left <= 0)
                return fail(err, VALS_ETIMEOUT, "%s: valsd did not answer within %d ms", method,
                            c->timeout_ms);
            s = poll(&pfd, 1, (int)left);
            if (s < 0 && errno == EINTR)
                continue;
            if (s == 0)
                continue;
            if (dbuf_reserve(&c->in, 65536) != 0)
                return fail(err, VALS_ETOO_LARGE, "%s: reply too large", method);
            n = recv(c->fd, c->in.p + c->in.len, 65536, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return fail(err, VALS_ECONNECT, "%s: valsd closed the connection", method);
            c->in.len += (size_t)n;
        }
    }
}

/* Pack params with a callback into bytes and call. */
static int call_packed(struct vals_client *c, const char *method, msgpack_sbuffer *sb,
                       char **result, size_t *rlen, char **err)
{
    int rc = vals_call(c, method, sb->data, sb->size, result, rlen, err);

    secure_zero(sb->data, sb->size);
    msgpack_sbuffer_destroy(sb);
    return rc;
}

int vals_ping(struct vals_client *c, char **err)
{
    char *res;
    size_t len;
    int rc = vals_call(c, RPC_M_PING, "\x90", 1, &res, &len, err);

    vals_free(res);
    return rc;
}

int vals_env_relevant(const char *name)
{
    static const char *const prefixes[] = {"AWS_",      "VAULT_",    "BAO_",   "GOOGLE_", "GCP_",
                                           "GCLOUD_",   "CLOUDSDK_", "AZURE_", "ARM_",    "MSI_",
                                           "IDENTITY_", "SOPS_",     "VALS_",  NULL};
    static const char *const names[] = {
        "HOME", "USER", "PWD", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "GNUPGHOME", "TMPDIR", NULL};

    for (size_t i = 0; prefixes[i] != NULL; i++)
        if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
            return 1;
    for (size_t i = 0; names[i] != NULL; i++)
        if (!strcmp(name, names[i]))
            return 1;
    return 0;
}

int vals_client_set_context(struct vals_client *c, const char *const *names,
                            const char *const *values, size_t n, char **err)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    char *res = NULL;
    size_t len;
    int rc;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, n);
    for (size_t i = 0; i < n; i++) {
        rpc_pack_cstr(&pk, names[i]);
        rpc_pack_cstr(&pk, values[i]);
    }
    rc = call_packed(c, RPC_M_CONTEXT_SET, &sb, &res, &len, err);
    vals_free(res);
    return rc;
}

int vals_client_send_environment(struct vals_client *c, int which, const char *const *names,
                                 const char *const *values, size_t n, char **err)
{
    size_t cap = n + 2, count = 0;
    const char **kn, **kv;
    char **owned;
    char cwd[PATH_MAX];
    int rc;

    for (char **e = environ; *e != NULL; e++)
        cap++;
    kn = calloc(cap, sizeof(char *));
    kv = calloc(cap, sizeof(char *));
    owned = calloc(cap, sizeof(char *));
    if (kn == NULL || kv == NULL || owned == NULL) {
        rc = VALS_ENOMEM;
        goto out;
    }
    /* extras first: they win over the environment */
    for (size_t i = 0; i < n; i++) {
        kn[count] = names[i];
        kv[count++] = values[i];
    }
    if (getcwd(cwd, sizeof(cwd)) != NULL) {
        int have = 0;
        for (size_t i = 0; i < count; i++)
            have |= !strcmp(kn[i], "PWD");
        if (!have) {
            kn[count] = "PWD";
            kv[count++] = cwd;
        }
    }
    for (char **e = environ; *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        char *name;
        int dup = 0;
        if (eq == NULL || eq == *e)
            continue;
        name = strndup(*e, (size_t)(eq - *e));
        if (name == NULL) {
            rc = VALS_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < count && !dup; i++)
            dup = !strcmp(kn[i], name);
        if (dup || (which == VALS_ENV_RELEVANT && !vals_env_relevant(name))) {
            free(name);
            continue;
        }
        owned[count] = name;
        kn[count] = name;
        kv[count++] = eq + 1;
    }
    rc = vals_client_set_context(c, kn, kv, count, err);
out:
    if (owned != NULL)
        for (size_t i = 0; i < cap; i++)
            free(owned[i]);
    free(owned);
    free(kn);
    free(kv);
    return rc;
}

/* [ref, opts?] */
static int pack_ref_call(struct vals_client *c, const char *method, const char *ref, char **result,
                         size_t *rlen, char **err)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    rpc_pack_cstr(&pk, ref);
    return call_packed(c, method, &sb, result, rlen, err);
}

int vals_resolve(struct vals_client *c, const char *ref, char **value, size_t *len, char **err)
{
    return pack_ref_call(c, RPC_M_RESOLVE, ref, value, len, err);
}

int vals_resolve_string(struct vals_client *c, const char *ref, char **value, size_t *len,
                        char **err)
{
    char *bytes = NULL;
    size_t blen = 0;
    struct doc *d = NULL;
    int rc = vals_resolve(c, ref, &bytes, &blen, err);

    *value = NULL;
    if (rc != 0)
        return rc;
    rc = doc_unpack(bytes, blen, &d, NULL);
    vals_free(bytes);
    if (rc != 0)
        return fail(err, rc, "%s: bad value from valsd", ref);
    if (d->type != DOC_STR) {
        rc = fail(err, VALS_ETYPE, "%s: expected a string, got a %s", ref,
                  doc_type_name((enum doc_type)d->type));
        doc_free(d);
        return rc;
    }
    *value = malloc(d->v.s.len + 1);
    if (*value == NULL) {
        doc_free(d);
        return VALS_ENOMEM;
    }
    memcpy(*value, d->v.s.ptr, d->v.s.len + 1);
    if (len != NULL)
        *len = d->v.s.len;
    doc_free(d);
    return 0;
}

int vals_resolve_many(struct vals_client *c, const char *const *refs, size_t n,
                      struct vals_item **items, char **err)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    char *res = NULL;
    size_t rlen = 0, off = 0;
    msgpack_zone zone;
    msgpack_object obj;
    int rc;

    *items = NULL;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, n);
    for (size_t i = 0; i < n; i++)
        rpc_pack_cstr(&pk, refs[i]);
    if ((rc = call_packed(c, RPC_M_RESOLVE_MANY, &sb, &res, &rlen, err)) != 0)
        return rc;
    msgpack_zone_init(&zone, 4096);
    if (msgpack_unpack(res, rlen, &off, &zone, &obj) != MSGPACK_UNPACK_SUCCESS ||
        obj.type != MSGPACK_OBJECT_ARRAY || obj.via.array.size != n) {
        rc = fail(err, VALS_EBAD_REQUEST, "resolve_many: malformed answer from valsd");
        goto out;
    }
    *items = calloc(n + 1, sizeof(struct vals_item));
    if (*items == NULL) {
        rc = VALS_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *pair = &obj.via.array.ptr[i];
        struct vals_item *it = &(*items)[i];
        if (pair->type != MSGPACK_OBJECT_ARRAY || pair->via.array.size != 2) {
            rc = fail(err, VALS_EBAD_REQUEST, "resolve_many: malformed item from valsd");
            goto out;
        }
        if (pair->via.array.ptr[0].type != MSGPACK_OBJECT_NIL) {
            char text[1200];
            rpc_error_decode(&pair->via.array.ptr[0], &it->code, text, sizeof(text));
            it->error = strdup(text);
        } else {
            msgpack_sbuffer vb;
            msgpack_packer vp;
            msgpack_sbuffer_init(&vb);
            msgpack_packer_init(&vp, &vb, msgpack_sbuffer_write);
            msgpack_pack_object(&vp, pair->via.array.ptr[1]);
            it->value = malloc(vb.size + 1);
            if (it->value != NULL) {
                memcpy(it->value, vb.data, vb.size);
                it->len = vb.size;
            }
            secure_zero(vb.data, vb.size);
            msgpack_sbuffer_destroy(&vb);
        }
    }
out:
    msgpack_zone_destroy(&zone);
    vals_free(res);
    if (rc != 0 && *items != NULL) {
        vals_items_free(*items, n);
        *items = NULL;
    }
    return rc;
}

void vals_items_free(struct vals_item *items, size_t n)
{
    if (items == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(items[i].error);
        vals_free(items[i].value);
    }
    free(items);
}

int vals_eval(struct vals_client *c, const char *doc, size_t len, int flags, char **out,
              size_t *outlen, char **err)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_sbuffer_write(&sb, doc, len);
    msgpack_pack_map(&pk, 1);
    rpc_pack_cstr(&pk, "inline");
    (flags & VALS_EVAL_INLINE) ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    return call_packed(c, RPC_M_EVAL, &sb, out, outlen, err);
}

int vals_stats(struct vals_client *c, char **out, size_t *outlen, char **err)
{
    return vals_call(c, RPC_M_CACHE_STATS, "\x90", 1, out, outlen, err);
}

int vals_cache_clear(struct vals_client *c, const char *ref, const char *prefix, uint64_t *dropped,
                     char **err)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    char *res = NULL;
    size_t len = 0;
    int rc;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (ref == NULL && prefix == NULL) {
        msgpack_pack_array(&pk, 0);
    } else {
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 1);
        rpc_pack_cstr(&pk, ref != NULL ? "ref" : "prefix");
        rpc_pack_cstr(&pk, ref != NULL ? ref : prefix);
    }
    rc = call_packed(c, RPC_M_CACHE_CLEAR, &sb, &res, &len, err);
    if (rc == 0 && dropped != NULL) {
        struct doc *d = NULL;
        *dropped = 0;
        if (doc_unpack(res, len, &d, NULL) == 0 && d->type == DOC_INT)
            *dropped = (uint64_t)d->v.i;
        doc_free(d);
    }
    vals_free(res);
    return rc;
}

int vals_shutdown(struct vals_client *c, char **err)
{
    char *res = NULL;
    size_t len;
    int rc = vals_call(c, RPC_M_SHUTDOWN, "\x90", 1, &res, &len, err);

    vals_free(res);
    return rc;
}
