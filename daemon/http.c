/*
 * http.c - libcurl multi on the libuv loop (see http.h).
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to wake it up
 * (CURLMOPT_TIMERFUNCTION); we keep one uv_poll_t per socket, assigned to the socket with
 * curl_multi_assign, and one uv_timer_t.  Readiness and timer expiry are fed back with
 * curl_multi_socket_action, after which finished transfers are collected.  A poll handle
 * is closed when curl says the socket is going away (before curl closes it) and freed in
 * its close callback, as libuv requires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http.h"
#include "valsd/errors.h"

#define HTTP_MAX_HEADER_LINE 8192

struct http_sock {
    uv_poll_t poll; /* poll.data points back here */
    curl_socket_t fd;
    struct http_sock *prev, *next;
};

struct http_req {
    CURL *easy;
    struct curl_slist *hdrs;
    char *body; /* copy of the request body (+ a NUL), zeroed when freed */
    size_t body_len;
    size_t max_response;
    int too_large;
    char *capture[HTTP_MAX_CAPTURE];
    size_t ncapture;
    struct http_response res;
    http_done_cb cb;
    void *data;
    char errbuf[CURL_ERROR_SIZE];
    struct http_req *prev, *next;
};

static struct {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    int ready;
    struct http_req *reqs;
    struct http_sock *socks;
    uint64_t started;
    size_t running;
} http;

static void check_done(void);

/* --- sockets ------------------------------------------------------------------------ */

/* Close callback of a poll handle: now it may be freed. */
static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Stop watching a socket and close its poll handle (freed when closed). */
static void sock_close(struct http_sock *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        http.socks = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

/* A watched socket is ready (or failed): tell curl, then collect results. */
static void on_poll(uv_poll_t *h, int status, int events)
{
    struct http_sock *s = h->data;
    int flags = 0, running = 0;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    curl_multi_socket_action(http.multi, s->fd, flags, &running);
    check_done();
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching a socket. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http_sock *s = socketp;
    int events = 0;

    (void)easy;
    (void)userp;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            curl_multi_assign(http.multi, fd, NULL);
            sock_close(s);
        }
        return 0;
    }
    if (s == NULL) {
        if ((s = calloc(1, sizeof(*s))) == NULL)
            return -1;
        if (uv_poll_init_socket(http.loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->fd = fd;
        s->poll.data = s;
        s->next = http.socks;
        if (http.socks != NULL)
            http.socks->prev = s;
        http.socks = s;
        curl_multi_assign(http.multi, fd, s);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    return uv_poll_start(&s->poll, events, on_poll) == 0 ? 0 : -1;
}

/* --- timer -------------------------------------------------------------------------- */

/* curl's timer expired: let it handle timeouts, then collect results. */
static void on_timeout(uv_timer_t *t)
{
    int running = 0;

    (void)t;
    curl_multi_socket_action(http.multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done();
}

/* CURLMOPT_TIMERFUNCTION: (re)arm or stop the one timer. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    (void)userp;
    if (timeout_ms < 0)
        uv_timer_stop(&http.timer);
    else /* 0 means "as soon as possible": the next loop iteration, not from here */
        uv_timer_start(&http.timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* --- requests ----------------------------------------------------------------------- */

/* Take a request off the list of outstanding ones. */
static void req_unlink(struct http_req *r)
{
    if (r->prev != NULL)
        r->prev->next = r->next;
    else if (http.reqs == r)
        http.reqs = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

/* Free a request (after it left the multi handle). */
static void req_free(struct http_req *r)
{
    if (r->easy != NULL)
        curl_easy_cleanup(r->easy);
    for (struct curl_slist *l = r->hdrs; l != NULL; l = l->next)
        secure_zero(l->data, strlen(l->data));
    curl_slist_free_all(r->hdrs);
    if (r->body != NULL)
        secure_free(r->body, r->body_len + 1);
    for (size_t i = 0; i < r->ncapture; i++)
        free(r->capture[i]);
    for (size_t i = 0; i < r->res.nheaders; i++) {
        free(r->res.headers[i].name);
        secure_free_str(r->res.headers[i].value);
    }
    dbuf_free(&r->res.body);
    free(r);
}

/* Run the callback, then free. */
static void req_finish(struct http_req *r)
{
    req_unlink(r);
    http.running--;
    r->cb(&r->res, r->data);
    req_free(r);
}

/* Record a transport error and its message in the response. */
static void set_error(struct http_req *r, int err, const char *fmt, const char *detail)
{
    r->res.err = err;
    snprintf(r->res.errmsg, sizeof(r->res.errmsg), fmt, detail);
}

/* Turn curl's verdict into the response fields. */
static void req_result(struct http_req *r, CURLcode code)
{
    long n = 0;

    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->res.status);
    if (curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK)
        r->res.new_connections = n;
    if (code == CURLE_OK)
        return;
    if (r->too_large || code == CURLE_FILESIZE_EXCEEDED)
        set_error(r, VALS_ETOO_LARGE, "response larger than %s bytes", "the limit");
    else if (code == CURLE_OPERATION_TIMEDOUT)
        set_error(r, VALS_ETIMEOUT, "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(code));
    else
        set_error(r, VALS_EBACKEND, "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(code));
}

/* Collect finished transfers and deliver them. */
static void check_done(void)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(http.multi, &left)) != NULL) {
        CURL *easy = m->easy_handle;
        CURLcode code = m->data.result;
        struct http_req *r = NULL;
        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
        curl_multi_remove_handle(http.multi, easy);
        req_result(r, code);
        req_finish(r);
    }
}

/* CURLOPT_WRITEFUNCTION: append to the capped body. */
static size_t on_body(char *p, size_t size, size_t nmemb, void *userp)
{
    struct http_req *r = userp;
    size_t n = size * nmemb;

    if (r->res.body.len + n > r->max_response) {
        r->too_large = 1;
        return 0; /* aborts the transfer */
    }
    return dbuf_add(&r->res.body, p, n) == 0 ? n : 0;
}

/* CURLOPT_HEADERFUNCTION: keep the headers asked for (of the final response only). */
static size_t on_header(char *p, size_t size, size_t nmemb, void *userp)
{
    struct http_req *r = userp;
    size_t n = size * nmemb, nl, vs, ve;
    const char *colon;

    if (n >= 5 && !memcmp(p, "HTTP/", 5)) { /* a new response (after 100 Continue) */
        for (size_t i = 0; i < r->res.nheaders; i++) {
            free(r->res.headers[i].name);
            secure_free_str(r->res.headers[i].value);
        }
        r->res.nheaders = 0;
        return n;
    }
    if (n > HTTP_MAX_HEADER_LINE || (colon = memchr(p, ':', n)) == NULL)
        return n;
    nl = (size_t)(colon - p);
    for (size_t i = 0; i < r->ncapture; i++) {
        if (strlen(r->capture[i]) != nl || strncasecmp(r->capture[i], p, nl) != 0)
            continue;
        if (r->res.nheaders == HTTP_MAX_CAPTURE)
            break;
        vs = nl + 1;
        while (vs < n && (p[vs] == ' ' || p[vs] == '\t'))
            vs++;
        ve = n;
        while (ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n' || p[ve - 1] == ' '))
            ve--;
        struct http_captured *c = &r->res.headers[r->res.nheaders];
        c->name = strdup(r->capture[i]);
        c->value = strndup(p + vs, ve - vs);
        if (c->name == NULL || c->value == NULL) {
            free(c->name);
            free(c->value);
            return 0;
        }
        r->res.nheaders++;
        break;
    }
    return n;
}

int http_init(uv_loop_t *loop)
{
    if (http.ready)
        return 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return VALS_EINTERNAL;
    if ((http.multi = curl_multi_init()) == NULL)
        return VALS_ENOMEM;
    if (uv_timer_init(loop, &http.timer) != 0) {
        curl_multi_cleanup(http.multi);
        http.multi = NULL;
        return VALS_EINTERNAL;
    }
    http.loop = loop;
    curl_multi_setopt(http.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(http.multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(http.multi, CURLMOPT_MAXCONNECTS, 16L);
    http.ready = 1;
    return 0;
}

void http_shutdown(void)
{
    if (!http.ready)
        return;
    while (http.reqs != NULL) {
        struct http_req *r = http.reqs;
        curl_multi_remove_handle(http.multi, r->easy);
        set_error(r, VALS_ESHUTTING_DOWN, "%s", "the daemon is shutting down");
        req_finish(r);
    }
    curl_multi_cleanup(http.multi);
    http.multi = NULL;
    while (http.socks != NULL) /* sockets curl did not report removed */
        sock_close(http.socks);
    uv_timer_stop(&http.timer);
    uv_close((uv_handle_t *)&http.timer, NULL);
    curl_global_cleanup();
    http.ready = 0;
}

/* Configure the easy handle from the options. */
static int req_setup(struct http_req *r, const struct http_request_opts *o)
{
    CURL *e = r->easy;
    uint32_t timeout = o->timeout_ms ? o->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
    struct dbuf line = DBUF_INIT;
    int rc = 0;

    if (o->nheaders > HTTP_MAX_REQUEST_HEADERS)
        return VALS_ETOO_LARGE;
    for (size_t i = 0; i < o->nheaders && rc == 0; i++) {
        struct curl_slist *l;
        dbuf_reset(&line);
        /* "Name;" sends an empty header, "Name:" removes one curl would add */
        rc = o->headers[i].value[0] != '\0'
                 ? dbuf_printf(&line, "%s: %s", o->headers[i].name, o->headers[i].value)
                 : dbuf_printf(&line, "%s;", o->headers[i].name);
        if (rc == 0 && (l = curl_slist_append(r->hdrs, line.p)) == NULL)
            rc = VALS_ENOMEM;
        else if (rc == 0)
            r->hdrs = l;
    }
    dbuf_free(&line);
    if (rc == 0 && o->body != NULL) {
        struct curl_slist *l = curl_slist_append(r->hdrs, "Expect:");
        if (l == NULL)
            rc = VALS_ENOMEM;
        else
            r->hdrs = l;
    }
    if (rc != 0)
        return rc;
    if (curl_easy_setopt(e, CURLOPT_URL, o->url) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
        return VALS_EBAD_REQUEST;
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o->method);
    if (o->body != NULL) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    } else if (!strcmp(o->method, "HEAD")) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(o->connect_timeout_ms ? o->connect_timeout_ms : timeout));
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_response);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    if (o->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
    /* never the daemon's own http_proxy/https_proxy variables */
    curl_easy_setopt(e, CURLOPT_PROXY, o->proxy != NULL ? o->proxy : "");
    if (o->no_proxy != NULL)
        curl_easy_setopt(e, CURLOPT_NOPROXY, o->no_proxy);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "valsd/" VALS_VERSION);
    return 0;
}

int http_request(const struct http_request_opts *o, http_done_cb cb, void *data,
                 struct http_req **out)
{
    struct http_req *r;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (!http.ready)
        return VALS_EINTERNAL;
    if (o->method == NULL || o->url == NULL || cb == NULL)
        return VALS_EBAD_REQUEST;
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return VALS_ENOMEM;
    r->cb = cb;
    r->data = data;
    r->max_response = o->max_response ? o->max_response : HTTP_DEFAULT_MAX_RESPONSE;
    dbuf_init(&r->res.body, r->max_response);
    if (o->body != NULL) {
        if ((r->body = malloc(o->body_len + 1)) == NULL) {
            rc = VALS_ENOMEM;
            goto fail;
        }
        memcpy(r->body, o->body, o->body_len);
        r->body[o->body_len] = '\0';
        r->body_len = o->body_len;
    }
    for (size_t i = 0; o->capture != NULL && o->capture[i] != NULL; i++) {
        if (r->ncapture == HTTP_MAX_CAPTURE) {
            rc = VALS_ETOO_LARGE;
            goto fail;
        }
        if ((r->capture[r->ncapture] = strdup(o->capture[i])) == NULL) {
            rc = VALS_ENOMEM;
            goto fail;
        }
        r->ncapture++;
    }
    if ((r->easy = curl_easy_init()) == NULL) {
        rc = VALS_ENOMEM;
        goto fail;
    }
    if ((rc = req_setup(r, o)) != 0)
        goto fail;
    if (curl_multi_add_handle(http.multi, r->easy) != CURLM_OK) {
        rc = VALS_EINTERNAL;
        goto fail;
    }
    r->next = http.reqs;
    if (http.reqs != NULL)
        http.reqs->prev = r;
    http.reqs = r;
    http.started++;
    http.running++;
    if (out != NULL)
        *out = r;
    return 0;
fail:
    req_free(r);
    return rc;
}

void http_cancel(struct http_req *r)
{
    if (r == NULL)
        return;
    curl_multi_remove_handle(http.multi, r->easy);
    req_unlink(r);
    http.running--;
    req_free(r);
}

const char *http_response_header(const struct http_response *res, const char *name)
{
    for (size_t i = 0; i < res->nheaders; i++)
        if (!strcasecmp(res->headers[i].name, name))
            return res->headers[i].value;
    return NULL;
}

uint64_t http_requests_started(void)
{
    return http.started;
}

size_t http_requests_running(void)
{
    return http.running;
}
