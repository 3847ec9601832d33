/*
 * bench_resolve.c - load generator for valsd's cached `resolve` path, measured against a
 * floor in the same run (issue 2, BENCHMARKS.md "valsd cached resolve").
 *
 * It starts a private valsd (config: long TTL, errors-only log) and a private bench_floor
 * (tests/bench/bench_floor.c: the same libuv + msgpack-c I/O with a canned answer) on
 * sockets in a fresh temp directory, then for each of N rounds, interleaved so that both
 * servers share the machine's noise:
 *   (a) latency: one connection, one request at a time, clock_gettime(MONOTONIC) around
 *       each round trip -> p50 / p99 (after a warm-up that also fills valsd's cache);
 *   (b) throughput: C connections x D pipelined requests in flight each, one epoll loop,
 *       resolves per second over a time window (after a short warm-up).
 * Every response is checked: [1, msgid, nil, "bench/value"] with the expected msgid.
 * At the end valsd's cache.stats must show a single backend fetch (the cached path was
 * what got measured).  Medians over the rounds and the ratios valsd/floor are printed,
 * with the targets (p50 within 2x of the floor; >= 200,000 resolves/s pipelined).
 *
 * Requests are packed with msgpack-c once (msgid as a fixed 4-byte uint32, patched per
 * request); responses are read with a small independent reader (not valsd's scanner).
 *
 * With --connect PATH it measures one already running server only (e.g. valsd under
 * valgrind for instruction counts; --requests N then gives a fixed amount of work).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#define BENCH_REF   "ref+echo://bench/value"
#define BENCH_VALUE "bench/value"
#define REQ_MAX     128   /* bytes of one packed request */
#define IN_CAP      65536 /* receive buffer per connection */
#define MAX_CONNS   64
#define MAX_ROUNDS  50

struct opts {
    const char *valsd, *floor, *connect;
    int rounds;
    size_t samples, warmup, requests;
    double seconds;
    int conns, depth;
    int only;       /* 0 both, 1 latency, 2 throughput */
    int lat_cpu[2]; /* latency: CPUs of this program and of the servers (-1: any) */
    int tp_cpu[2];  /* throughput: the same */
};

/* One measured round against one server. */
struct figures {
    double p50_us, p99_us, rps;
};

static unsigned char req_tmpl[REQ_MAX];
static size_t req_len, req_id_off; /* msgid: 4 big-endian bytes at req_id_off */

/* ---- small utilities ---- */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Median of n values (sorts them). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- requests: packed once with msgpack-c, msgid patched ---- */

struct pbuf {
    unsigned char *p;
    size_t len, cap;
};

static int pbuf_write(void *data, const char *buf, size_t len)
{
    struct pbuf *b = data;

    if (b->len + len > b->cap)
        return -1;
    memcpy(b->p + b->len, buf, len);
    b->len += len;
    return 0;
}

/* Pack [0, msgid, "resolve", [BENCH_REF]] with a fixed-width msgid. */
static int make_request_template(void)
{
    struct pbuf b = {req_tmpl, 0, sizeof(req_tmpl)};
    msgpack_packer pk;

    msgpack_packer_init(&pk, &b, pbuf_write);
    if (msgpack_pack_array(&pk, 4) != 0 || msgpack_pack_uint8(&pk, 0) != 0)
        return -1;
    req_id_off = b.len + 1; /* after the 0xce marker */
    if (msgpack_pack_fix_uint32(&pk, 0) != 0 ||
        msgpack_pack_str_with_body(&pk, "resolve", 7) != 0 || msgpack_pack_array(&pk, 1) != 0 ||
        msgpack_pack_str_with_body(&pk, BENCH_REF, sizeof(BENCH_REF) - 1) != 0)
        return -1;
    req_len = b.len;
    return 0;
}

/* Append one request with this msgid to out. */
static void put_request(unsigned char *out, uint32_t msgid)
{
    memcpy(out, req_tmpl, req_len);
    out[req_id_off] = (unsigned char)(msgid >> 24);
    out[req_id_off + 1] = (unsigned char)(msgid >> 16);
    out[req_id_off + 2] = (unsigned char)(msgid >> 8);
    out[req_id_off + 3] = (unsigned char)msgid;
}

/* ---- responses: a small msgpack reader ---- */

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Length of the msgpack object at p: 1 and *len, 0 incomplete, -1 malformed. */
static int mp_skip(const unsigned char *p, size_t n, size_t *len)
{
    size_t pos = 0;
    uint64_t pending = 1;

    while (pending > 0) {
        uint64_t size = 1, kids = 0;
        int hn = 0, kind = 0; /* kind: 0 scalar with body, 1 array, 2 map */
        unsigned char b;
        if (pos >= n)
            return 0;
        b = p[pos];
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            size = 1;
        } else if ((b & 0xf0) == 0x90) {
            kids = b & 0x0f;
        } else if ((b & 0xf0) == 0x80) {
            kids = 2 * (uint64_t)(b & 0x0f);
        } else if ((b & 0xe0) == 0xa0) {
            size = 1 + (uint64_t)(b & 0x1f);
        } else {
            switch (b) {
            case 0xcc:
            case 0xd0:
                size = 2;
                break;
            case 0xcd:
            case 0xd1:
                size = 3;
                break;
            case 0xca:
            case 0xce:
            case 0xd2:
                size = 5;
                break;
            case 0xcb:
            case 0xcf:
            case 0xd3:
                size = 9;
                break;
            case 0xc4:
            case 0xd9:
                hn = 1;
                break;
            case 0xc5:
            case 0xda:
                hn = 2;
                break;
            case 0xc6:
            case 0xdb:
                hn = 4;
                break;
            case 0xdc:
                hn = 2, kind = 1;
                break;
            case 0xdd:
                hn = 4, kind = 1;
                break;
            case 0xde:
                hn = 2, kind = 2;
                break;
            case 0xdf:
                hn = 4, kind = 2;
                break;
            default:
                return -1; /* ext types are never sent by valsd */
            }
            if (hn > 0) {
                if (pos + 1 + (size_t)hn > n)
                    return 0;
                if (kind == 0) {
                    size = 1 + (uint64_t)hn + be(p + pos + 1, hn);
                } else {
                    size = 1 + (uint64_t)hn;
                    kids = be(p + pos + 1, hn) * (uint64_t)kind;
                }
            }
        }
        pending = pending - 1 + kids;
        pos += size;
    }
    if (pos > n)
        return 0;
    *len = pos;
    return 1;
}

/* Read one response at p: 1 with *len and *msgid when it is [1, msgid, nil,
 * BENCH_VALUE], 0 when incomplete, -1 (with a reason printed) otherwise. */
static int read_response(const unsigned char *p, size_t n, size_t *len, uint32_t *msgid)
{
    size_t l, k;
    int r = mp_skip(p, n, &l);

    if (r <= 0) {
        if (r < 0)
            fprintf(stderr, "bench_resolve: malformed msgpack from the server\n");
        return r;
    }
    *len = l;
    if (l < 4 || p[0] != 0x94 || p[1] != 0x01)
        goto bad;
    k = 2;
    if (p[k] <= 0x7f) {
        *msgid = p[k++];
    } else if (p[k] == 0xcc || p[k] == 0xcd || p[k] == 0xce) {
        int w = p[k] == 0xcc ? 1 : p[k] == 0xcd ? 2 : 4;
        if (k + 1 + (size_t)w > l)
            goto bad;
        *msgid = (uint32_t)be(p + k + 1, w);
        k += 1 + (size_t)w;
    } else {
        goto bad;
    }
    if (k >= l || p[k] != 0xc0) {
        fprintf(stderr, "bench_resolve: the server answered with an error: ");
        fwrite(p + k, 1, l - k, stderr); /* msgpack; the text part is readable */
        fputc('\n', stderr);
        return -1;
    }
    k++;
    if (l - k != 1 + sizeof(BENCH_VALUE) - 1 || p[k] != (0xa0 | (sizeof(BENCH_VALUE) - 1)) ||
        memcmp(p + k + 1, BENCH_VALUE, sizeof(BENCH_VALUE) - 1) != 0)
        goto bad;
    return 1;
bad:
    fprintf(stderr, "bench_resolve: unexpected response (%zu bytes)\n", l);
    return -1;
}

/* ---- sockets and servers ---- */

static int connect_unix(const char *path, int nonblock)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Pin every thread of process `pid` (0: this one) to `cpu`, or let it run anywhere
 * (cpu < 0). */
static int pin(pid_t pid, int cpu)
{
    cpu_set_t set;
    char dir[64];
    DIR *d;
    struct dirent *de;
    int rc = 0;

    CPU_ZERO(&set);
    if (cpu >= 0) {
        CPU_SET(cpu, &set);
    } else {
        for (long i = 0; i < sysconf(_SC_NPROCESSORS_ONLN) && i < CPU_SETSIZE; i++)
            CPU_SET((int)i, &set);
    }
    snprintf(dir, sizeof(dir), "/proc/%d/task", pid ? (int)pid : (int)getpid());
    if ((d = opendir(dir)) == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (sched_setaffinity((pid_t)strtol(de->d_name, NULL, 10), sizeof(set), &set) != 0) {
            fprintf(stderr, "bench_resolve: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

/* Start argv[0] with stdout/stderr to `log`; returns the pid or -1. */
static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();

    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Wait until `path` accepts connections (or the server died / 10 s passed). */
static int wait_ready(const char *path, pid_t pid, const char *log)
{
    for (int i = 0; i < 1000; i++) {
        int fd = connect_unix(path, 0), st;
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (waitpid(pid, &st, WNOHANG) == pid) {
            char buf[2048];
            FILE *f = fopen(log, "r");
            size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
            buf[n] = '\0';
            if (f)
                fclose(f);
            fprintf(stderr, "bench_resolve: the server exited before listening:\n%s\n", buf);
            return -1;
        }
        usleep(10000);
    }
    fprintf(stderr, "bench_resolve: nothing listens on %s after 10 s\n", path);
    return -1;
}

/* SIGTERM, then SIGKILL after 5 s. */
static void stop(pid_t pid)
{
    int st;

    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
}

/* A program next to this one (dirname of /proc/self/exe + name). */
static char *sibling(const char *name)
{
    char self[PATH_MAX], *slash, *out;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n <= 0)
        return NULL;
    self[n] = '\0';
    if ((slash = strrchr(self, '/')) == NULL)
        return NULL;
    *slash = '\0';
    if ((out = malloc(strlen(self) + strlen(name) + 2)) != NULL)
        snprintf(out, strlen(self) + strlen(name) + 2, "%s/%s", self, name);
    return out;
}

/* ---- (a) latency: one connection, one request at a time ---- */

static int measure_latency(const char *path, size_t warmup, size_t samples, struct figures *f)
{
    unsigned char req[REQ_MAX], in[IN_CAP];
    uint64_t *lat = calloc(samples ? samples : 1, sizeof(*lat));
    int fd = connect_unix(path, 0), rc = -1;
    uint32_t id = 1;

    if (fd < 0 || lat == NULL) {
        fprintf(stderr, "bench_resolve: cannot connect to %s\n", path);
        goto out;
    }
    for (size_t i = 0; i < warmup + samples; i++, id++) {
        size_t have = 0, len;
        uint32_t got;
        int r;
        uint64_t t0, t1;
        put_request(req, id);
        t0 = now_ns();
        if (write_all(fd, req, req_len) != 0)
            goto out;
        do {
            ssize_t n = read(fd, in + have, sizeof(in) - have);
            if (n <= 0) {
                fprintf(stderr, "bench_resolve: the server closed the connection\n");
                goto out;
            }
            have += (size_t)n;
        } while ((r = read_response(in, have, &len, &got)) == 0);
        t1 = now_ns();
        if (r < 0 || got != id || len != have) {
            fprintf(stderr, "bench_resolve: bad or unexpected response to request %u\n", id);
            goto out;
        }
        if (i >= warmup)
            lat[i - warmup] = t1 - t0;
    }
    qsort(lat, samples, sizeof(*lat), cmp_u64);
    if (samples > 0) {
        f->p50_us = (double)lat[samples / 2] / 1000.0;
        f->p99_us = (double)lat[samples * 99 / 100] / 1000.0;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    free(lat);
    return rc;
}

/* ---- (b) throughput: C connections x D pipelined, one epoll loop ---- */

struct tconn {
    int fd;
    unsigned char in[IN_CAP];
    size_t inlen;
    unsigned char *out;
    size_t outlen, outoff;
    int want_out;
    unsigned inflight;
    uint32_t next_id, expect_id; /* responses come in order on one connection here */
};

/* Write what is queued; register for EPOLLOUT if the kernel took only part. */
static int tconn_flush(int ep, struct tconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            break;
        if (w <= 0)
            return -1;
        c->outoff += (size_t)w;
    }
    if (c->outoff == c->outlen)
        c->outoff = c->outlen = 0;
    if ((c->outlen > 0) != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | (c->outlen > 0 ? EPOLLOUT : 0u),
                                 .data.ptr = c};
        c->want_out = c->outlen > 0;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
    return 0;
}

static void tconn_queue(struct tconn *c)
{
    put_request(c->out + c->outlen, c->next_id++);
    c->outlen += req_len;
    c->inflight++;
}

/*
 * Keep conns x depth requests in flight.  Time mode (requests == 0): warm up for 10% of
 * `seconds` (at least 0.1 s), then count responses during `seconds`.  Count mode: send
 * exactly `requests`, timed from the first send to the last response.  Then drain.
 */
static int measure_throughput(const char *path, int conns, int depth, double seconds,
                              size_t requests, struct figures *f)
{
    struct tconn *cs = calloc((size_t)conns, sizeof(*cs));
    struct epoll_event evs[MAX_CONNS];
    int ep = epoll_create1(EPOLL_CLOEXEC), rc = -1, sending = 1, measuring = requests > 0;
    double warm = seconds * 0.1 < 0.1 ? 0.1 : seconds * 0.1, t0 = now_s(), tm = t0, tend = 0;
    size_t counted = 0, sent = 0, total_inflight = 0;

    if (cs == NULL || ep < 0)
        goto out;
    for (int i = 0; i < conns; i++)
        cs[i].fd = -1;
    for (int i = 0; i < conns; i++) {
        struct tconn *c = &cs[i];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if ((c->fd = connect_unix(path, 1)) < 0 ||
            (c->out = malloc((size_t)depth * req_len * 2)) == NULL ||
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            fprintf(stderr, "bench_resolve: cannot connect to %s\n", path);
            goto out;
        }
        c->next_id = c->expect_id = 1;
    }
    t0 = tm = now_s();
    for (int i = 0; i < conns; i++) {
        for (int d = 0; d < depth && (requests == 0 || sent < requests); d++, sent++)
            tconn_queue(&cs[i]);
        total_inflight += cs[i].inflight;
        if (tconn_flush(ep, &cs[i]) != 0)
            goto out;
    }
    while (sending || total_inflight > 0) {
        int n = epoll_wait(ep, evs, MAX_CONNS, 2000);
        double t;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "bench_resolve: no response for 2 s (%zu in flight)\n", total_inflight);
            goto out;
        }
        for (int e = 0; e < n; e++) {
            struct tconn *c = evs[e].data.ptr;
            size_t pos = 0, len;
            uint32_t got;
            int r;
            if (evs[e].events & EPOLLIN) {
                ssize_t m = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
                if (m <= 0 && !(m < 0 && errno == EAGAIN)) {
                    fprintf(stderr, "bench_resolve: the server closed a connection\n");
                    goto out;
                }
                if (m > 0)
                    c->inlen += (size_t)m;
                while ((r = read_response(c->in + pos, c->inlen - pos, &len, &got)) == 1) {
                    if (got != c->expect_id++) {
                        fprintf(stderr, "bench_resolve: response %u out of order\n", got);
                        goto out;
                    }
                    pos += len;
                    c->inflight--;
                    total_inflight--;
                    if (measuring)
                        counted++;
                    if (sending && (requests == 0 || sent < requests)) {
                        tconn_queue(c);
                        total_inflight++;
                        sent++;
                    }
                }
                if (r < 0)
                    goto out;
                memmove(c->in, c->in + pos, c->inlen - pos);
                c->inlen -= pos;
            }
            if (tconn_flush(ep, c) != 0)
                goto out;
        }
        t = now_s();
        if (requests > 0) {
            if (sent >= requests)
                sending = 0;
            if (total_inflight == 0)
                tend = t;
        } else if (!measuring && sending && t - t0 >= warm) {
            measuring = 1; /* warm-up over */
            tm = t;
        } else if (measuring && sending && t - tm >= seconds) {
            sending = 0;
            measuring = 0;
            tend = t;
        }
    }
    f->rps = (double)counted / (tend - tm);
    rc = 0;
out:
    for (int i = 0; cs != NULL && i < conns; i++) {
        if (cs[i].fd >= 0)
            close(cs[i].fd);
        free(cs[i].out);
    }
    free(cs);
    if (ep >= 0)
        close(ep);
    return rc;
}

/* ---- valsd's cache.stats: proof that the cached path was measured ---- */

/* Ask for cache.stats and print hits/misses/fetches; returns fetches or -1. */
static long valsd_fetches(const char *path)
{
    unsigned char req[64], in[IN_CAP];
    struct pbuf b = {req, 0, sizeof(req)};
    msgpack_packer pk;
    msgpack_unpacked u;
    size_t have = 0, off = 0;
    long fetches = -1;
    int fd = connect_unix(path, 0);
    uint64_t hits = 0, misses = 0;

    if (fd < 0)
        return -1;
    msgpack_packer_init(&pk, &b, pbuf_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 0);
    msgpack_pack_uint32(&pk, 7);
    msgpack_pack_str_with_body(&pk, "cache.stats", 11);
    msgpack_pack_array(&pk, 0);
    msgpack_unpacked_init(&u);
    if (write_all(fd, req, b.len) != 0)
        goto out;
    for (;;) {
        ssize_t n = read(fd, in + have, sizeof(in) - have);
        if (n <= 0)
            goto out;
        have += (size_t)n;
        off = 0;
        if (msgpack_unpack_next(&u, (const char *)in, have, &off) == MSGPACK_UNPACK_SUCCESS)
            break;
    }
    if (u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == 4 &&
        u.data.via.array.ptr[3].type == MSGPACK_OBJECT_MAP) {
        const msgpack_object_map *m = &u.data.via.array.ptr[3].via.map;
        for (uint32_t i = 0; i < m->size; i++) {
            const msgpack_object *k = &m->ptr[i].key;
            uint64_t v = m->ptr[i].val.via.u64;
            if (k->type != MSGPACK_OBJECT_STR)
                continue;
            if (k->via.str.size == 4 && !memcmp(k->via.str.ptr, "hits", 4))
                hits = v;
            else if (k->via.str.size == 6 && !memcmp(k->via.str.ptr, "misses", 6))
                misses = v;
            else if (k->via.str.size == 7 && !memcmp(k->via.str.ptr, "fetches", 7))
                fetches = (long)v;
        }
    }
    printf("valsd cache.stats: hits %llu, misses %llu, fetches %ld\n", (unsigned long long)hits,
           (unsigned long long)misses, fetches);
out:
    msgpack_unpacked_destroy(&u);
    close(fd);
    return fetches;
}

/* ---- report ---- */

static void print_machine(void)
{
    struct utsname u;
    char line[512], model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c != NULL) {
                snprintf(model, sizeof(model), "%s", c + 2);
                model[strcspn(model, "\n")] = '\0';
            }
            break;
        }
    }
    if (f != NULL)
        fclose(f);
    uname(&u);
    printf("machine: %ld CPUs online, %s, %s %s\n", sysconf(_SC_NPROCESSORS_ONLN), model, u.sysname,
           u.release);
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: bench_resolve [OPTIONS]\n"
                 "Measures cached `resolve` round trips on valsd and on bench_floor in one run.\n\n"
                 "  --valsd PATH      valsd binary (default: next to this program)\n"
                 "  --floor PATH      bench_floor binary (default: next to this program)\n"
                 "  --rounds N        rounds, each measuring both servers (default 5)\n"
                 "  --samples N       latency samples per round (default 20000)\n"
                 "  --warmup N        latency warm-up requests per round (default 2000)\n"
                 "  --seconds S       throughput window per round (default 2)\n"
                 "  --conns N         throughput connections (default 8)\n"
                 "  --depth N         pipelined requests in flight per connection (default 32)\n"
                 "  --lat-cpus C,S    latency: pin this program to CPU C and the servers to CPU S\n"
                 "                    (default 0,0: one CPU, so a round trip costs no cross-CPU\n"
                 "                    wake-up; \"any\": not pinned)\n"
                 "  --tp-cpus C,S     throughput: the same (default 0,1: a CPU each)\n"
                 "  --only WHAT       latency or throughput (default both)\n"
                 "  --quick           1 round, 2000 samples, 0.3 s (a smoke run)\n"
                 "  --connect PATH    measure only the server already listening on PATH\n"
                 "  --requests N      with --connect: throughput sends exactly N requests\n");
}

/* "C,S" (CPU numbers) or "any" into cpu[2]. */
static int parse_cpus(const char *s, int cpu[2])
{
    char *end;

    if (!strcmp(s, "any")) {
        cpu[0] = cpu[1] = -1;
        return 0;
    }
    cpu[0] = (int)strtol(s, &end, 10);
    if (end == s || *end != ',')
        return -1;
    s = end + 1;
    cpu[1] = (int)strtol(s, &end, 10);
    if (end == s || *end != '\0' || cpu[0] < 0 || cpu[1] < 0)
        return -1;
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"valsd", required_argument, NULL, 'v'},    {"floor", required_argument, NULL, 'f'},
        {"rounds", required_argument, NULL, 'r'},   {"samples", required_argument, NULL, 'n'},
        {"warmup", required_argument, NULL, 'w'},   {"seconds", required_argument, NULL, 's'},
        {"conns", required_argument, NULL, 'c'},    {"depth", required_argument, NULL, 'd'},
        {"only", required_argument, NULL, 'o'},     {"quick", no_argument, NULL, 'q'},
        {"connect", required_argument, NULL, 'C'},  {"requests", required_argument, NULL, 'R'},
        {"lat-cpus", required_argument, NULL, 'L'}, {"tp-cpus", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    int ch;

    *o = (struct opts){NULL, NULL, NULL, 5, 20000, 2000, 0, 2.0, 8, 32, 0, {0, 0}, {0, 1}};
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        o->tp_cpu[1] = 0;
    while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        char *end = NULL;
        switch (ch) {
        case 'v':
            o->valsd = optarg;
            break;
        case 'f':
            o->floor = optarg;
            break;
        case 'C':
            o->connect = optarg;
            break;
        case 'r':
            o->rounds = (int)strtol(optarg, &end, 10);
            break;
        case 'n':
            o->samples = (size_t)strtoull(optarg, &end, 10);
            break;
        case 'w':
            o->warmup = (size_t)strtoull(optarg, &end, 10);
            break;
        case 'R':
            o->requests = (size_t)strtoull(optarg, &end, 10);
            break;
        case 's':
            o->seconds = strtod(optarg, &end);
            break;
        case 'c':
            o->conns = (int)strtol(optarg, &end, 10);
            break;
        case 'd':
            o->depth = (int)strtol(optarg, &end, 10);
            break;
        case 'L':
        case 'T':
            if (parse_cpus(optarg, ch == 'L' ? o->lat_cpu : o->tp_cpu) != 0)
                return -1;
            break;
        case 'o':
            if (!strcmp(optarg, "latency"))
                o->only = 1;
            else if (!strcmp(optarg, "throughput"))
                o->only = 2;
            else
                return -1;
            break;
        case 'q':
            o->rounds = 1;
            o->samples = 2000;
            o->warmup = 200;
            o->seconds = 0.3;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
        if (end != NULL && (*end != '\0' || end == optarg))
            return -1;
    }
    if (optind != argc || o->rounds < 1 || o->rounds > MAX_ROUNDS || o->conns < 1 ||
        o->conns > MAX_CONNS || o->depth < 1 || o->depth > 4096 || o->seconds <= 0 ||
        (o->samples == 0 && o->only != 2))
        return -1;
    return 0;
}

/* Place this program and the server (pid 0: not ours, leave it) on their CPUs. */
static int place(pid_t server, const int cpu[2])
{
    return pin(0, cpu[0]) == 0 && (server <= 0 || pin(server, cpu[1]) == 0) ? 0 : -1;
}

/* Measure one server once (what --only asks for). */
static int measure(const char *path, pid_t server, const struct opts *o, struct figures *f)
{
    memset(f, 0, sizeof(*f));
    if (o->only != 2 &&
        (place(server, o->lat_cpu) != 0 || measure_latency(path, o->warmup, o->samples, f) != 0))
        return -1;
    if (o->only != 1 &&
        (place(server, o->tp_cpu) != 0 ||
         measure_throughput(path, o->conns, o->depth, o->seconds, o->requests, f) != 0))
        return -1;
    return 0;
}

/* --connect: one server, no floor, no spawning. */
static int run_connected(const struct opts *o)
{
    for (int r = 0; r < o->rounds; r++) {
        struct figures f;
        if (measure(o->connect, 0, o, &f) != 0)
            return 1;
        printf("round %d:", r + 1);
        if (o->only != 2)
            printf(" p50 %.2f us, p99 %.2f us", f.p50_us, f.p99_us);
        if (o->only != 1)
            printf(" %.0f resolves/s", f.rps);
        printf("\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    char dir[] = "/tmp/bench_resolve.XXXXXX", vsock[160], fsock[160], cfg[160], vlog[160],
         flog[160];
    char *valsd = NULL, *floor = NULL;
    pid_t vpid = -1, fpid = -1;
    double v50[MAX_ROUNDS], v99[MAX_ROUNDS], vtp[MAX_ROUNDS];
    double f50[MAX_ROUNDS], f99[MAX_ROUNDS], ftp[MAX_ROUNDS];
    int rc = 1, made_dir = 0;

    if (parse_opts(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (make_request_template() != 0)
        return 1;
    if (o.connect != NULL)
        return run_connected(&o);
    valsd = o.valsd ? strdup(o.valsd) : sibling("valsd");
    floor = o.floor ? strdup(o.floor) : sibling("bench_floor");
    if (valsd == NULL || floor == NULL || access(valsd, X_OK) != 0 || access(floor, X_OK) != 0) {
        fprintf(stderr, "bench_resolve: cannot find valsd / bench_floor (use --valsd, --floor)\n");
        goto out;
    }
    if (mkdtemp(dir) == NULL) {
        perror("bench_resolve: mkdtemp");
        goto out;
    }
    made_dir = 1;
    snprintf(vsock, sizeof(vsock), "%s/valsd.sock", dir);
    snprintf(fsock, sizeof(fsock), "%s/floor.sock", dir);
    snprintf(cfg, sizeof(cfg), "%s/valsd.yaml", dir);
    snprintf(vlog, sizeof(vlog), "%s/valsd.log", dir);
    snprintf(flog, sizeof(flog), "%s/floor.log", dir);
    {
        /* a TTL far longer than the run: every request after the first is a cache hit */
        FILE *f = fopen(cfg, "w");
        if (f == NULL)
            goto out;
        fprintf(f, "default_ttl: 1d\nlog_level: error\nidle_exit: 0\n");
        fclose(f);
    }
    {
        char *vargv[] = {valsd, "--socket", vsock, "--config", cfg, NULL};
        char *fargv[] = {floor, fsock, NULL};
        vpid = spawn(vargv, vlog);
        fpid = spawn(fargv, flog);
        if (vpid < 0 || fpid < 0 || wait_ready(vsock, vpid, vlog) != 0 ||
            wait_ready(fsock, fpid, flog) != 0)
            goto out;
    }
    print_machine();
    printf("CPUs (this program, server): latency %d,%d; throughput %d,%d (-1: any)\n", o.lat_cpu[0],
           o.lat_cpu[1], o.tp_cpu[0], o.tp_cpu[1]);
    printf("workload: resolve [\"%s\"] -> \"%s\"; latency %zu samples/round (after %zu warm-up), "
           "throughput %d conns x %d in flight, %.1f s/round; %d rounds\n",
           BENCH_REF, BENCH_VALUE, o.samples, o.warmup, o.conns, o.depth, o.seconds, o.rounds);
    for (int r = 0; r < o.rounds; r++) {
        struct figures fv, ff;
        /* alternate which server goes first so neither always follows the other */
        const char *first = r % 2 ? fsock : vsock, *second = r % 2 ? vsock : fsock;
        pid_t p1 = r % 2 ? fpid : vpid, p2 = r % 2 ? vpid : fpid;
        struct figures *f1 = r % 2 ? &ff : &fv, *f2 = r % 2 ? &fv : &ff;
        if (measure(first, p1, &o, f1) != 0 || measure(second, p2, &o, f2) != 0)
            goto out;
        v50[r] = fv.p50_us, v99[r] = fv.p99_us, vtp[r] = fv.rps;
        f50[r] = ff.p50_us, f99[r] = ff.p99_us, ftp[r] = ff.rps;
        printf("round %d: valsd p50 %6.2f us p99 %6.2f us %9.0f/s | floor p50 %6.2f us p99 %6.2f "
               "us %9.0f/s\n",
               r + 1, fv.p50_us, fv.p99_us, fv.rps, ff.p50_us, ff.p99_us, ff.rps);
        fflush(stdout);
    }
    if (valsd_fetches(vsock) != 1) {
        fprintf(stderr, "bench_resolve: valsd fetched more than once: not the cached path\n");
        goto out;
    }
    {
        double mv50 = median(v50, o.rounds), mv99 = median(v99, o.rounds);
        double mf50 = median(f50, o.rounds), mf99 = median(f99, o.rounds);
        double mvt = median(vtp, o.rounds), mft = median(ftp, o.rounds);
        printf("\nmedians over %d rounds       valsd        floor   valsd/floor\n", o.rounds);
        if (o.only != 2) {
            printf("latency p50 (us)       %11.2f  %11.2f   %8.2fx\n", mv50, mf50, mv50 / mf50);
            printf("latency p99 (us)       %11.2f  %11.2f   %8.2fx\n", mv99, mf99, mv99 / mf99);
        }
        if (o.only != 1)
            printf("throughput (resolves/s)%11.0f  %11.0f   %8.2fx\n", mvt, mft, mvt / mft);
        printf("\ntargets:\n");
        if (o.only != 2)
            printf("  p50 within 2x of the floor:          %s (%.2fx)\n",
                   mv50 <= 2 * mf50 ? "met" : "NOT met", mv50 / mf50);
        if (o.only != 1)
            printf("  >= 200000 cached resolves/s (%dx%d): %s (%.0f/s)\n", o.conns, o.depth,
                   mvt >= 200000 ? "met" : "NOT met", mvt);
    }
    rc = 0;
out:
    stop(vpid);
    stop(fpid);
    if (made_dir) {
        unlink(vsock);
        unlink(fsock);
        unlink(cfg);
        unlink(vlog);
        unlink(flog);
        rmdir(dir);
    }
    free(valsd);
    free(floor);
    return rc;
}
