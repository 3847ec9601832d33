/*
 * server.c - the listening socket: path selection, a private directory checked for its
 * owner and mode, creation under umask 0177, stale-socket replacement only when nothing
 * answers, systemd socket activation (LISTEN_FDS/LISTEN_PID, no libsystemd), and
 * readiness notifications (NOTIFY_SOCKET).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "daemon.h"
#include "log.h"
#include "server.h"

static uv_pipe_t listener;
static int listening;

int server_socket_path(const char *arg, char *out, size_t outlen, struct verr *e)
{
    const char *env = getenv("VALSD_SOCKET"), *xdg = getenv("XDG_RUNTIME_DIR");
    int n;

    if (arg != NULL)
        n = snprintf(out, outlen, "%s", arg);
    else if (env != NULL && env[0] != '\0')
        n = snprintf(out, outlen, "%s", env);
    else if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, outlen, "%s/valsd/valsd.sock", xdg);
    else
        n = snprintf(out, outlen, "/tmp/valsd-%u/valsd.sock", (unsigned)getuid());
    if (n < 0 || (size_t)n >= outlen || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return verr_set(e, VALS_EUSAGE, "socket path is longer than %zu bytes",
                        sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
    return 0;
}

int server_private_dir(const char *sock, struct verr *e)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct stat st;
    char *slash;

    snprintf(dir, sizeof(dir), "%s", sock);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0; /* relative name in the cwd, or directly under / : nothing to create */
    *slash = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return verr_set(e, VALS_EIO, "cannot create %s: %s", dir, strerror(errno));
    if (lstat(dir, &st) != 0)
        return verr_set(e, VALS_EIO, "cannot stat %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return verr_set(e, VALS_EDENIED, "%s is not a directory", dir);
    if (st.st_uid != getuid())
        return verr_set(e, VALS_EDENIED, "%s belongs to uid %u, not to us (uid %u)", dir,
                        (unsigned)st.st_uid, (unsigned)getuid());
    if ((st.st_mode & 077) != 0 && !getenv("VALSD_ALLOW_SHARED_DIR"))
        return verr_set(e, VALS_EDENIED,
                        "%s is accessible to other users (mode %03o); it must be 0700", dir,
                        (unsigned)(st.st_mode & 0777));
    return 0;
}

/* Is something accepting connections on this path? */
static int socket_alive(const char *path)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), alive;

    if (fd < 0)
        return 0;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    alive = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return alive;
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0) {
        log_warn("accept failed: %s", uv_strerror(status));
        return;
    }
    conn_accept(server);
}

/* systemd socket activation: exactly one listening AF_UNIX stream socket on fd 3. */
static int activation_fd(struct verr *e)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    int type = 0, accepting = 0;
    socklen_t len = sizeof(int);
    struct sockaddr_un sa = {0};
    socklen_t salen = sizeof(sa);
    char nfds[16];

    if (pid == NULL || fds == NULL)
        return -1;
    if (strtol(pid, NULL, 10) != (long)getpid())
        return -1;
    snprintf(nfds, sizeof(nfds), "%s", fds); /* fds is not ours once unset */
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (strcmp(nfds, "1") != 0)
        return verr_set(e, VALS_EUSAGE, "socket activation passed %s sockets; valsd takes one",
                        nfds);
    if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
        getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || !accepting ||
        getsockname(3, (struct sockaddr *)&sa, &salen) != 0 || sa.sun_family != AF_UNIX)
        return verr_set(e, VALS_EUSAGE,
                        "socket activation: fd 3 is not a listening AF_UNIX stream socket");
    fcntl(3, F_SETFD, FD_CLOEXEC);
    /* log and report the address really served, not the default path */
    if (salen > offsetof(struct sockaddr_un, sun_path) && sa.sun_path[0] != '\0')
        snprintf(valsd.socket_path, sizeof(valsd.socket_path), "%.*s",
                 (int)(salen - offsetof(struct sockaddr_un, sun_path)), sa.sun_path);
    return 3;
}

int server_listen(const char *path, struct verr *e)
{
    int fd, rc;
    mode_t old;

    if (uv_pipe_init(valsd.loop, &listener, 0) != 0)
        return verr_set(e, VALS_EINTERNAL, "cannot create the listener");
    fd = activation_fd(e);
    if (fd < -1 || (fd == -1 && e->code != 0))
        return e->code;
    if (fd == 3) {
        if ((rc = uv_pipe_open(&listener, fd)) != 0)
            return verr_set(e, VALS_EIO, "socket activation: %s", uv_strerror(rc));
        log_info("listening on the socket passed by systemd");
        valsd.owns_socket_path = 0;
    } else {
        struct stat st;
        if ((rc = server_private_dir(path, e)) != 0)
            return rc;
        if (lstat(path, &st) == 0) {
            if (!S_ISSOCK(st.st_mode))
                return verr_set(e, VALS_EEXISTS, "%s exists and is not a socket; not replacing it",
                                path);
            if (socket_alive(path))
                return verr_set(e, VALS_EEXISTS, "another valsd is already serving %s", path);
            unlink(path); /* stale: nothing answers there */
        }
        old = umask(0177);
        rc = uv_pipe_bind(&listener, path);
        umask(old);
        if (rc != 0)
            return verr_set(e, VALS_EIO, "cannot bind %s: %s", path, uv_strerror(rc));
        valsd.owns_socket_path = 1;
    }
    if ((rc = uv_listen((uv_stream_t *)&listener, 128, on_connection)) != 0)
        return verr_set(e, VALS_EIO, "cannot listen on %s: %s", path, uv_strerror(rc));
    listening = 1;
    return 0;
}

void server_stop(void)
{
    if (listening) {
        listening = 0;
        uv_close((uv_handle_t *)&listener, NULL);
    }
}

void server_notify(const char *state)
{
    const char *ns = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    socklen_t len;
    int fd;

    if (ns == NULL || (ns[0] != '/' && ns[0] != '@') || strlen(ns) >= sizeof(sa.sun_path))
        return;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, ns, strlen(ns));
    if (ns[0] == '@')
        sa.sun_path[0] = '\0';
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(ns));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
        log_debug("sd_notify: %s", strerror(errno));
    close(fd);
}
