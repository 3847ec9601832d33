/*
 * fuzz_rpc.c - libFuzzer target for valsd's framing: the bounded resumable scanner fed a
 * byte stream in pieces (as conn.c does), msgpack_unpack of every message it frames, and
 * rpc_parse / rpc_peek_msgid of the envelope.  Checked properties (abort on violation):
 *   - a message the scanner frames is exactly one object msgpack-c can unpack;
 *   - scanning in pieces gives the same result as scanning all at once;
 *   - framed messages respect max_message, and "need more" never outlasts the limit;
 *   - rpc_parse of a good envelope gives consistent fields.
 * Build: CC=clang cmake -S . -B build-fuzz -DVALS_FUZZ=ON -DVALS_TESTS=OFF -DVALS_BENCH=OFF
 * Run:   mkdir -p /tmp/c && build-fuzz/fuzz_rpc -max_total_time=60 /tmp/c tests/fuzz/corpus_rpc
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/protocol.h"
#include "proto/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

/* Scan one message from buf[0..len) in pieces of `step` bytes (0: all at once). */
static int scan_pieces(const char *buf, size_t len, size_t step, const struct rpc_limits *l,
                       size_t *msglen)
{
    struct rpc_scanner s;
    struct verr e = {0};
    int rc = 0;

    rpc_scanner_reset(&s);
    if (step == 0)
        return rpc_scan(&s, buf, len, l, msglen, &e);
    for (size_t have = step < len ? step : len;; have = have + step < len ? have + step : len) {
        /* each call sees exactly the bytes that have "arrived" */
        char *copy = malloc(have ? have : 1);
        CHECK(copy != NULL);
        memcpy(copy, buf, have);
        rc = rpc_scan(&s, copy, have, l, msglen, &e);
        free(copy);
        if (rc != 0 || have == len)
            break;
    }
    if (rc < 0)
        CHECK(e.code == rc && e.msg[0] != '\0');
    return rc;
}

/* Unpack a framed message and check its envelope. */
static void check_message(const char *buf, size_t len)
{
    msgpack_zone zone;
    msgpack_object obj;
    struct rpc_msg m;
    struct verr e = {0};
    size_t off = 0;
    uint32_t id;

    msgpack_zone_init(&zone, 4096);
    CHECK(msgpack_unpack(buf, len, &off, &zone, &obj) == MSGPACK_UNPACK_SUCCESS);
    CHECK(off == len);
    if (rpc_parse(&obj, &m, &e) == 0) {
        CHECK(m.type >= RPC_REQUEST && m.type <= RPC_NOTIFICATION);
        if (m.type == RPC_RESPONSE) {
            CHECK(m.error != NULL && m.result != NULL);
        } else {
            CHECK(m.method != NULL && m.method_len >= 1 && m.method_len <= RPC_MAX_METHOD_NAME);
            CHECK(m.params != NULL && m.params->type == MSGPACK_OBJECT_ARRAY);
        }
        /* a request whose msgid can be peeked gives the same msgid */
        if (m.type == RPC_REQUEST && rpc_peek_msgid(buf, len, &id))
            CHECK(id == m.msgid);
    } else {
        CHECK(e.code == VALS_EBAD_REQUEST);
    }
    msgpack_zone_destroy(&zone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rpc_limits lim;
    size_t off = 0, step;
    uint32_t id;

    if (size < 2)
        return 0;
    rpc_limits_default(&lim);
    /* first byte: limits small enough to be reached; second: the piece size */
    lim.max_message = 64 + (size_t)(data[0] & 0x3f) * 64;
    lim.max_depth = 2 + (data[0] >> 6) * 10;
    lim.max_array = 4 + (uint32_t)(data[1] & 0x0f) * 8;
    step = data[1] >> 4;
    data += 2;
    size -= 2;
    (void)rpc_peek_msgid((const char *)data, size, &id);
    while (off < size) {
        const char *p = (const char *)data + off;
        size_t left = size - off, len_all = 0, len_pieces = 0;
        int all = scan_pieces(p, left, 0, &lim, &len_all);
        int pieces = scan_pieces(p, left, step, &lim, &len_pieces);
        CHECK(all == pieces);
        if (all != 1) {
            /* undecided only while the data is shorter than the limit */
            if (all == 0)
                CHECK(left <= lim.max_message);
            else
                CHECK(all == VALS_EBAD_REQUEST || all == VALS_ETOO_LARGE);
            break;
        }
        CHECK(len_all == len_pieces && len_all >= 1 && len_all <= left);
        CHECK(len_all <= lim.max_message);
        check_message(p, len_all);
        off += len_all;
    }
    return 0;
}
