/*
 * main.c - valsd: command line, process hardening, the event loop, signals (SIGTERM:
 * orderly shutdown; SIGHUP: reload), idle exit, and --background start-up with a
 * readiness pipe (used by clients that start valsd on demand).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "conn.h"
#include "daemon.h"
#include "log.h"
#include "server.h"

struct daemon valsd;

static uv_signal_t sig_term, sig_int, sig_hup;
static int ready_fd = -1;

uint64_t daemon_now_ms(void)
{
    return uv_now(valsd.loop);
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void close_if_open(uv_handle_t *h)
{
    if (h->loop != NULL && !uv_is_closing(h))
        uv_close(h, on_handle_closed);
}

/* Everything answered: let the remaining replies drain, then close every handle. */
static void finish_shutdown(void)
{
    static int done;

    if (done)
        return;
    done = 1;
    for (struct conn *c = valsd.conns; c != NULL; c = c->next) {
        c->fatal = 1;
        conn_flush(c);
    }
    close_if_open((uv_handle_t *)&sig_term);
    close_if_open((uv_handle_t *)&sig_int);
    close_if_open((uv_handle_t *)&sig_hup);
    /* closing the handles restored the default actions: a repeated SIGTERM during the
     * last moments would kill valsd (exit 143, socket left behind) instead of exit 0 */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    close_if_open((uv_handle_t *)&valsd.idle_timer);
    close_if_open((uv_handle_t *)&valsd.grace_timer);
    backend_shutdown();
}

static void on_grace_expired(uv_timer_t *t)
{
    (void)t;
    log_warn("shutdown: %llu requests still in flight after the grace period; closing",
             (unsigned long long)valsd.inflight);
    for (struct conn *c = valsd.conns; c != NULL; c = c->next)
        conn_close(c);
    finish_shutdown();
}

void daemon_begin_shutdown(const char *why)
{
    if (valsd.shutting_down)
        return;
    valsd.shutting_down = 1;
    log_info("shutting down: %s", why);
    server_notify("STOPPING=1");
    server_stop();
    uv_timer_stop(&valsd.idle_timer);
    uv_timer_start(&valsd.grace_timer, on_grace_expired, valsd.cfg.shutdown_grace_ms, 0);
    daemon_activity();
}

static void on_idle_expired(uv_timer_t *t)
{
    (void)t;
    if (valsd.nconns == 0 && valsd.inflight == 0)
        daemon_begin_shutdown("idle");
}

void daemon_activity(void)
{
    if (valsd.shutting_down) {
        if (valsd.inflight == 0)
            finish_shutdown();
        return;
    }
    if (valsd.cfg.idle_exit_s == 0 || valsd.loop == NULL)
        return;
    if (valsd.nconns == 0 && valsd.inflight == 0)
        uv_timer_start(&valsd.idle_timer, on_idle_expired, (uint64_t)valsd.cfg.idle_exit_s * 1000,
                       0);
    else
        uv_timer_stop(&valsd.idle_timer);
}

/* Load the configuration file into `cfg` (defaults first). */
static int load_config(struct config *cfg, struct verr *e)
{
    int rc;

    config_defaults(cfg);
    if (valsd.config_path == NULL)
        return 0;
    rc = config_load(valsd.config_path, cfg, e);
    if (rc == VALS_ENOT_FOUND && !valsd.config_required) {
        verr_clear(e);
        return 0;
    }
    return rc;
}

void daemon_reload(void)
{
    struct config cfg;
    struct verr e = {0};
    char msg[64];
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
    server_notify(msg);
    if (load_config(&cfg, &e) != 0) {
        log_err("reload: %s (keeping the previous configuration)", verr_text(&e));
    } else {
        int idle = valsd.cfg.idle_exit_s; /* a --idle-exit given on the command line stays */
        valsd.cfg = cfg;
        if (idle != 0 && cfg.idle_exit_s == 0)
            valsd.cfg.idle_exit_s = (uint32_t)idle;
        log_set_level(cfg.log_level);
        cache_set_max_bytes(valsd.cache, cfg.cache_max_bytes);
        log_info("configuration reloaded");
    }
    server_notify("READY=1");
}

static void on_signal(uv_signal_t *s, int signum)
{
    (void)s;
    if (signum == SIGHUP)
        daemon_reload();
    else
        daemon_begin_shutdown(signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void harden(void)
{
    struct rlimit rl = {0, 0};

    /* no core dumps, no ptrace or /proc/<pid>/mem by same-uid processes */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    setrlimit(RLIMIT_CORE, &rl);
    signal(SIGPIPE, SIG_IGN);
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: valsd [OPTIONS]\n\n"
            "valsd resolves ref+BACKEND://... references (helmfile/vals syntax) for its clients\n"
            "over a Unix socket in msgpack-RPC, caching backend answers with TTLs.\n\n"
            "Options:\n"
            "  -s, --socket PATH     listen here (default: $VALSD_SOCKET, else\n"
            "                        $XDG_RUNTIME_DIR/valsd/valsd.sock, else\n"
            "                        /tmp/valsd-<uid>/valsd.sock)\n"
            "  -c, --config FILE     configuration file (default:\n"
            "                        $XDG_CONFIG_HOME/valsd/config.yaml if it exists)\n"
            "  -b, --background      detach once listening (exit 0 when ready, 1 on error)\n"
            "  -l, --log-file FILE   append logs to FILE instead of stderr\n"
            "  -L, --log-level LEVEL error, warning, notice, info (default), debug\n"
            "  -i, --idle-exit SECS  exit after SECS without connections (0: never)\n"
            "      --check-config    validate the configuration and exit\n"
            "  -V, --version         print the version\n"
            "  -h, --help            this help\n\n"
            "Signals: SIGTERM/SIGINT finish in-flight requests and exit 0; SIGHUP reloads the\n"
            "configuration. systemd socket activation and readiness notification are supported.\n");
}

/* --background: fork; the parent waits for the child's readiness message. */
static int go_background(void)
{
    int fds[2];
    pid_t pid;
    char buf[600];
    ssize_t n;

    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        close(fds[1]);
        n = read(fds[0], buf, sizeof(buf) - 1);
        if (n > 0) {
            buf[n] = '\0';
            if (strcmp(buf, "ok") == 0)
                _exit(0);
            fprintf(stderr, "valsd: %s\n", buf);
        } else {
            fprintf(stderr, "valsd: the daemon exited before it was ready\n");
        }
        _exit(1);
    }
    close(fds[0]);
    ready_fd = fds[1];
    setsid();
    {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            if (null > 2)
                close(null);
        }
    }
    return 0;
}

static void report_ready(const char *msg)
{
    if (ready_fd >= 0) {
        ssize_t w = write(ready_fd, msg, strlen(msg));
        (void)w;
        close(ready_fd);
        ready_fd = -1;
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'},
        {"config", required_argument, NULL, 'c'},
        {"background", no_argument, NULL, 'b'},
        {"log-file", required_argument, NULL, 'l'},
        {"log-level", required_argument, NULL, 'L'},
        {"idle-exit", required_argument, NULL, 'i'},
        {"check-config", no_argument, NULL, 1},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *socket_arg = NULL, *log_file = NULL;
    int background = 0, check_only = 0, log_level = -1, ch, rc = 0;
    long idle = -1;
    struct verr e = {0};
    char msg[700];

    while ((ch = getopt_long(argc, argv, "s:c:bl:L:i:Vh", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            socket_arg = optarg;
            break;
        case 'c':
            valsd.config_path = strdup(optarg);
            valsd.config_required = 1;
            break;
        case 'b':
            background = 1;
            break;
        case 'l':
            log_file = optarg;
            break;
        case 'L':
            if ((log_level = log_level_from_name(optarg)) < 0) {
                fprintf(stderr, "valsd: unknown log level \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'i': {
            char *end;
            idle = strtol(optarg, &end, 10);
            if (*end != '\0' || idle < 0) {
                fprintf(stderr, "valsd: --idle-exit takes a number of seconds\n");
                return 2;
            }
            break;
        }
        case 1:
            check_only = 1;
            break;
        case 'V':
            printf("valsd %s (protocol %d)\n", VALS_VERSION, 1);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "valsd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (valsd.config_path == NULL)
        valsd.config_path = config_default_path();
    if (load_config(&valsd.cfg, &e) != 0) {
        fprintf(stderr, "valsd: %s\n", verr_text(&e));
        return 1;
    }
    if (check_only) {
        printf("valsd: configuration OK\n");
        return 0;
    }
    if (log_level >= 0)
        valsd.cfg.log_level = log_level;
    if (idle >= 0)
        valsd.cfg.idle_exit_s = (uint32_t)idle;
    log_set_level(valsd.cfg.log_level);
    if (server_socket_path(socket_arg, valsd.socket_path, sizeof(valsd.socket_path), &e) != 0) {
        fprintf(stderr, "valsd: %s\n", verr_text(&e));
        return 2;
    }
    if (log_file != NULL) {
        int fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0) {
            fprintf(stderr, "valsd: cannot open %s: %s\n", log_file, strerror(errno));
            return 1;
        }
        dup2(fd, 2);
        close(fd);
    }
    harden();
    if (background && go_background() != 0) {
        fprintf(stderr, "valsd: cannot go to the background: %s\n", strerror(errno));
        return 1;
    }
    valsd.loop = uv_default_loop();
    valsd.uid = getuid();
    valsd.started_ms = uv_now(valsd.loop);
    valsd.cache = cache_new(valsd.cfg.cache_max_bytes);
    if (valsd.cache == NULL || backend_init(valsd.loop) != 0) {
        report_ready("out of memory");
        return 1;
    }
    uv_timer_init(valsd.loop, &valsd.idle_timer);
    uv_timer_init(valsd.loop, &valsd.grace_timer);
    uv_signal_init(valsd.loop, &sig_term);
    uv_signal_init(valsd.loop, &sig_int);
    uv_signal_init(valsd.loop, &sig_hup);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_start(&sig_hup, on_signal, SIGHUP);
    if (server_listen(valsd.socket_path, &e) != 0) {
        snprintf(msg, sizeof(msg), "%s", verr_text(&e));
        log_err("%s", msg);
        report_ready(msg);
        return 1;
    }
    log_info("valsd %s listening on %s (pid %d)", VALS_VERSION, valsd.socket_path, (int)getpid());
    server_notify("READY=1");
    report_ready("ok");
    daemon_activity();
    uv_run(valsd.loop, UV_RUN_DEFAULT);
    if (valsd.owns_socket_path)
        unlink(valsd.socket_path);
    cache_free(valsd.cache);
    uv_loop_close(valsd.loop);
    free(valsd.config_path);
    log_info("stopped");
    return rc;
}
