/*
 * age_io.c - byte sources (memory, file descriptor) and sinks (dbuf, file descriptor,
 * callback, armor encoder) for the age code paths.  A sink hands out space so the cipher
 * writes straight into the destination (no extra copy for dbufs); staging areas that may
 * hold plaintext are zeroed when freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "age_int.h"
#include "b64.h"

#define ARMOR_BEGIN      "-----BEGIN AGE ENCRYPTED FILE-----\n"
#define ARMOR_END        "-----END AGE ENCRYPTED FILE-----\n"
#define ARMOR_LINE_BYTES 48
#define ARMOR_LINE_CHARS 64
#define ARMOR_BATCH      1000 /* lines encoded per inner get/put (65000 bytes) */

void age_src_mem(struct age_src *s, const void *p, size_t len)
{
    memset(s, 0, sizeof(*s));
    s->p = p;
    s->len = len;
    s->eof = 1;
    s->fd = -1;
}

/* Read from the descriptor until `want` unread bytes are buffered or EOF. */
static int src_fd_fill(struct age_src *s, size_t want, struct verr *e)
{
    if (want > s->max)
        want = s->max;
    if (s->p != s->buf && s->len > 0)
        memmove(s->buf, s->p, s->len);
    s->p = s->buf;
    if (want > s->cap) {
        size_t cap = s->cap * 2 > want ? s->cap * 2 : want;
        uint8_t *nb = malloc(cap);

        if (nb == NULL)
            return verr_set(e, VALS_ENOMEM, "age: out of memory");
        if (s->len > 0)
            memcpy(nb, s->buf, s->len);
        free(s->buf);
        s->p = s->buf = nb;
        s->cap = cap;
    }
    while (s->len < want) {
        ssize_t k = read(s->fd, s->buf + s->len, s->cap - s->len);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return verr_set(e, VALS_EIO, "age: read: %s", strerror(errno));
        if (k == 0) {
            s->eof = 1;
            break;
        }
        s->len += (size_t)k;
    }
    return 0;
}

void age_src_fd(struct age_src *s, int fd)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->fill = src_fd_fill;
    s->max = AGE_HEADER_MAX + 1;
}

int age_src_fill(struct age_src *s, size_t want, struct verr *e)
{
    if (s->len >= want || s->eof || s->fill == NULL)
        return 0;
    return s->fill(s, want, e);
}

void age_src_skip(struct age_src *s, size_t n)
{
    s->p += n;
    s->len -= n;
}

void age_src_free(struct age_src *s)
{
    if (s->buf != NULL)
        secure_free(s->buf, s->cap);
    s->buf = NULL;
    s->p = NULL;
    s->len = 0;
}

/* dbuf sink: space inside the buffer itself. */
static uint8_t *sink_dbuf_get(struct age_sink *s, size_t n)
{
    if (dbuf_reserve(s->dbuf, n) != 0)
        return NULL;
    return (uint8_t *)s->dbuf->p + s->dbuf->len;
}

/* dbuf sink: the bytes are already in place. */
static int sink_dbuf_put(struct age_sink *s, size_t n, struct verr *e)
{
    s->dbuf->len += n;
    s->dbuf->p[s->dbuf->len] = '\0';
    return 0;
}

void age_sink_dbuf(struct age_sink *s, struct dbuf *out)
{
    memset(s, 0, sizeof(*s));
    s->get = sink_dbuf_get;
    s->put = sink_dbuf_put;
    s->dbuf = out;
    s->fd = -1;
}

/* Staging sinks (fd, callback): one buffer of a full chunk. */
static uint8_t *sink_stage_get(struct age_sink *s, size_t n)
{
    if (n > AGE_CHUNK_CT)
        return NULL;
    if (s->buf == NULL) {
        if ((s->buf = malloc(AGE_CHUNK_CT)) == NULL)
            return NULL;
        s->cap = AGE_CHUNK_CT;
    }
    return s->buf;
}

/* fd sink: write everything, retrying short writes. */
static int sink_fd_put(struct age_sink *s, size_t n, struct verr *e)
{
    size_t off = 0;

    while (off < n) {
        ssize_t k = write(s->fd, s->buf + off, n - off);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return verr_set(e, VALS_EIO, "age: write: %s", strerror(errno));
        off += (size_t)k;
    }
    return 0;
}

void age_sink_fd(struct age_sink *s, int fd)
{
    memset(s, 0, sizeof(*s));
    s->get = sink_stage_get;
    s->put = sink_fd_put;
    s->fd = fd;
}

/* Callback sink: hand the bytes to the caller's function. */
static int sink_cb_put(struct age_sink *s, size_t n, struct verr *e)
{
    int r = s->fn(s->arg, s->buf, n);

    if (r != 0)
        return verr_set(e, r < 0 ? r : VALS_EIO, "age: the output callback stopped decryption");
    return 0;
}

void age_sink_cb(struct age_sink *s, age_write_fn fn, void *arg)
{
    memset(s, 0, sizeof(*s));
    s->get = sink_stage_get;
    s->put = sink_cb_put;
    s->fn = fn;
    s->arg = arg;
    s->fd = -1;
}

/* Armor sink: space after the bytes of the pending incomplete line. */
static uint8_t *sink_armor_get(struct age_sink *s, size_t n)
{
    if (n > AGE_CHUNK_CT)
        return NULL;
    return s->buf + s->pend;
}

/* Encode `lines` full lines (or one short final line when `lines` is 0) from `p`. */
static int armor_emit(struct age_sink *s, const uint8_t *p, size_t lines, size_t tail,
                      struct verr *e)
{
    size_t want = lines > 0 ? lines * (ARMOR_LINE_CHARS + 1) : b64_encoded_len(tail, B64_PAD) + 1;
    uint8_t *o = s->inner->get(s->inner, want + 1);
    size_t off = 0;

    if (o == NULL)
        return verr_set(e, VALS_ENOMEM, "age: out of memory");
    if (lines == 0) {
        off = b64_encode(p, tail, B64_PAD, (char *)o);
        o[off++] = '\n';
    }
    for (size_t i = 0; i < lines; i++) {
        off += b64_encode(p + i * ARMOR_LINE_BYTES, ARMOR_LINE_BYTES, B64_PAD, (char *)o + off);
        o[off++] = '\n';
    }
    return s->inner->put(s->inner, off, e);
}

/* Armor sink: encode all complete 48-byte lines, keep the rest pending. */
static int sink_armor_put(struct age_sink *s, size_t n, struct verr *e)
{
    size_t total = s->pend + n, lines = total / ARMOR_LINE_BYTES, done = 0;
    int r;

    while (lines > 0) {
        size_t batch = lines < ARMOR_BATCH ? lines : ARMOR_BATCH;

        if ((r = armor_emit(s, s->buf + done, batch, 0, e)) != 0)
            return r;
        done += batch * ARMOR_LINE_BYTES;
        lines -= batch;
    }
    s->pend = total - done;
    if (done > 0 && s->pend > 0)
        memmove(s->buf, s->buf + done, s->pend);
    return 0;
}

/* Armor sink: the last short line and the END line. */
static int sink_armor_finish(struct age_sink *s, struct verr *e)
{
    int r;

    if (s->pend > 0 && (r = armor_emit(s, s->buf, 0, s->pend, e)) != 0)
        return r;
    s->pend = 0;
    if ((r = age_sink_write(s->inner, ARMOR_END, sizeof(ARMOR_END) - 1, e)) != 0)
        return r;
    return age_sink_finish(s->inner, e);
}

int age_sink_armor(struct age_sink *s, struct age_sink *inner, struct verr *e)
{
    memset(s, 0, sizeof(*s));
    s->get = sink_armor_get;
    s->put = sink_armor_put;
    s->finish = sink_armor_finish;
    s->inner = inner;
    s->fd = -1;
    s->cap = ARMOR_LINE_BYTES + AGE_CHUNK_CT;
    if ((s->buf = malloc(s->cap)) == NULL)
        return verr_set(e, VALS_ENOMEM, "age: out of memory");
    return age_sink_write(inner, ARMOR_BEGIN, sizeof(ARMOR_BEGIN) - 1, e);
}

int age_sink_write(struct age_sink *s, const void *p, size_t n, struct verr *e)
{
    const uint8_t *src = p;

    while (n > 0) {
        size_t take = n < AGE_CHUNK_CT ? n : AGE_CHUNK_CT;
        uint8_t *o = s->get(s, take);
        int r;

        if (o == NULL)
            return verr_set(e, VALS_ENOMEM, "age: out of memory");
        memcpy(o, src, take);
        if ((r = s->put(s, take, e)) != 0)
            return r;
        src += take;
        n -= take;
    }
    return 0;
}

int age_sink_finish(struct age_sink *s, struct verr *e)
{
    return s->finish != NULL ? s->finish(s, e) : 0;
}

void age_sink_free(struct age_sink *s)
{
    if (s->buf != NULL)
        secure_free(s->buf, s->cap);
    s->buf = NULL;
    s->cap = 0;
    s->pend = 0;
}
