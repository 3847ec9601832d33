/*
 * test_rpc.c - proto/rpc.c: the bounded resumable scanner (fed whole, byte by byte and in
 * random splits, with each call seeing a buffer of exactly the bytes "received" so far),
 * every msgpack type header, the limits (bytes, depth, array/map size) enforced from
 * headers before the body arrives, the envelope checks of rpc_parse, rpc_peek_msgid, and
 * the "code: message" error objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/protocol.h"
#include "proto/rpc.h"

#define NEED_MORE 0
#define COMPLETE  1
#define BAD       VALS_EBAD_REQUEST
#define BIG       VALS_ETOO_LARGE

/* Bytes from a hex string ("94 00 01"); spaces ignored. *len receives the count. */
static unsigned char *from_hex(const char *hex, size_t *len)
{
    unsigned char *out = malloc(strlen(hex) / 2 + 1);
    size_t n = 0;

    assert_non_null(out);
    for (const char *p = hex; *p != '\0';) {
        unsigned int byte;
        if (*p == ' ') {
            p++;
            continue;
        }
        assert_int_equal(sscanf(p, "%2x", &byte), 1);
        out[n++] = (unsigned char)byte;
        p += 2;
    }
    *len = n;
    return out;
}

/* A deterministic generator, so a failing split can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct feed_result {
    int rc;        /* last rpc_scan result */
    size_t at;     /* bytes available when rc was decided */
    size_t msglen; /* for COMPLETE */
};

/*
 * Feed `len` bytes to a fresh scanner in pieces ending at cuts[0] < cuts[1] < ... (the
 * last cut is len).  Every call gets a private copy of exactly the bytes received so far,
 * so a scanner that reads beyond them trips AddressSanitizer.
 */
static struct feed_result feed(const unsigned char *msg, size_t len, const size_t *cuts,
                               size_t ncuts, const struct rpc_limits *lim)
{
    struct rpc_scanner s;
    struct feed_result r = {NEED_MORE, 0, 0};

    rpc_scanner_reset(&s);
    for (size_t i = 0; i < ncuts; i++) {
        struct verr e = {0};
        size_t have = cuts[i];
        char *copy = malloc(have ? have : 1);
        assert_non_null(copy);
        memcpy(copy, msg, have);
        r.rc = rpc_scan(&s, copy, have, lim, &r.msglen, &e);
        free(copy);
        r.at = have;
        if (r.rc != NEED_MORE) {
            if (r.rc < 0) {
                assert_int_equal(e.code, r.rc);
                assert_true(e.msg[0] != '\0');
            }
            return r;
        }
    }
    (void)len;
    return r;
}

/* Whole, byte by byte, and 40 random splits must all agree. */
static void check_all_splits(const char *name, const unsigned char *msg, size_t len,
                             const struct rpc_limits *lim, int want, size_t known_at,
                             size_t want_msglen)
{
    size_t *cuts = malloc((len + 1) * sizeof(size_t));
    struct feed_result r;
    size_t n;

    assert_non_null(cuts);
    for (int mode = 0; mode < 42; mode++) {
        n = 0;
        if (mode == 0) {
            cuts[n++] = len;
        } else if (mode == 1) {
            for (size_t i = 1; i <= len; i++)
                cuts[n++] = i;
        } else {
            size_t at = 0;
            while (at < len) {
                at += 1 + (size_t)(rng() % (len / 3 + 2));
                if (at > len)
                    at = len;
                cuts[n++] = at;
            }
        }
        r = feed(msg, len, cuts, n, lim);
        if (r.rc != want)
            fail_msg("%s (mode %d): rpc_scan returned %d, expected %d", name, mode, r.rc, want);
        if (want == COMPLETE && r.msglen != want_msglen)
            fail_msg("%s (mode %d): msglen %zu, expected %zu", name, mode, r.msglen, want_msglen);
        /* decided as soon as the deciding byte is there: byte by byte pins it exactly */
        if (mode == 1 && want != NEED_MORE && r.at != known_at)
            fail_msg("%s: decided after %zu bytes, expected after %zu", name, r.at, known_at);
        if (want != NEED_MORE && r.at < known_at)
            fail_msg("%s (mode %d): decided after %zu bytes, before byte %zu arrived", name, mode,
                     r.at, known_at);
    }
    free(cuts);
}

struct scan_case {
    const char *name;
    const char *hex;
    int want;        /* COMPLETE, NEED_MORE, BAD, BIG */
    size_t known_at; /* bytes needed to decide (0: the whole input) */
    size_t msglen;   /* COMPLETE: the message's length (0: the whole input) */
    size_t max_message;
    unsigned max_depth;
    uint32_t max_array;
};

/* Every msgpack type header, as one top-level value (the scanner frames any value). */
static const struct scan_case scan_cases[] = {
    /* scalars */
    {"positive fixint 0", "00", COMPLETE, 0, 0, 0, 0, 0},
    {"positive fixint 127", "7f", COMPLETE, 0, 0, 0, 0, 0},
    {"negative fixint -32", "e0", COMPLETE, 0, 0, 0, 0, 0},
    {"negative fixint -1", "ff", COMPLETE, 0, 0, 0, 0, 0},
    {"nil", "c0", COMPLETE, 0, 0, 0, 0, 0},
    {"false", "c2", COMPLETE, 0, 0, 0, 0, 0},
    {"true", "c3", COMPLETE, 0, 0, 0, 0, 0},
    {"uint8", "cc ff", COMPLETE, 0, 0, 0, 0, 0},
    {"uint16", "cd ff ff", COMPLETE, 0, 0, 0, 0, 0},
    {"uint32", "ce ff ff ff ff", COMPLETE, 0, 0, 0, 0, 0},
    {"uint64", "cf ff ff ff ff ff ff ff ff", COMPLETE, 0, 0, 0, 0, 0},
    {"int8", "d0 80", COMPLETE, 0, 0, 0, 0, 0},
    {"int16", "d1 80 00", COMPLETE, 0, 0, 0, 0, 0},
    {"int32", "d2 80 00 00 00", COMPLETE, 0, 0, 0, 0, 0},
    {"int64", "d3 80 00 00 00 00 00 00 00", COMPLETE, 0, 0, 0, 0, 0},
    {"float32", "ca 3f c0 00 00", COMPLETE, 0, 0, 0, 0, 0},
    {"float64", "cb 3f f8 00 00 00 00 00 00", COMPLETE, 0, 0, 0, 0, 0},
    /* strings and binaries: header + body */
    {"fixstr empty", "a0", COMPLETE, 0, 0, 0, 0, 0},
    {"fixstr abc", "a3 61 62 63", COMPLETE, 0, 0, 0, 0, 0},
    {"fixstr 31",
     "bf 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 "
     "41 41 41 41 41 41",
     COMPLETE, 0, 0, 0, 0, 0},
    {"str8", "d9 03 61 62 63", COMPLETE, 0, 0, 0, 0, 0},
    {"str8 empty", "d9 00", COMPLETE, 0, 0, 0, 0, 0},
    {"str16", "da 00 03 61 62 63", COMPLETE, 0, 0, 0, 0, 0},
    {"str32", "db 00 00 00 03 61 62 63", COMPLETE, 0, 0, 0, 0, 0},
    {"bin8", "c4 02 00 ff", COMPLETE, 0, 0, 0, 0, 0},
    {"bin16", "c5 00 02 00 ff", COMPLETE, 0, 0, 0, 0, 0},
    {"bin32", "c6 00 00 00 02 00 ff", COMPLETE, 0, 0, 0, 0, 0},
    /* containers */
    {"fixarray empty", "90", COMPLETE, 0, 0, 0, 0, 0},
    {"fixarray 3", "93 01 02 03", COMPLETE, 0, 0, 0, 0, 0},
    {"array16", "dc 00 02 01 a1 78", COMPLETE, 0, 0, 0, 0, 0},
    {"array16 empty", "dc 00 00", COMPLETE, 0, 0, 0, 0, 0},
    {"array32", "dd 00 00 00 01 c0", COMPLETE, 0, 0, 0, 0, 0},
    {"fixmap empty", "80", COMPLETE, 0, 0, 0, 0, 0},
    {"fixmap 1", "81 a1 61 01", COMPLETE, 0, 0, 0, 0, 0},
    {"map16", "de 00 02 a1 61 01 a1 62 c3", COMPLETE, 0, 0, 0, 0, 0},
    {"map32", "df 00 00 00 01 a1 61 90", COMPLETE, 0, 0, 0, 0, 0},
    {"nested", "82 a1 61 92 01 81 a1 62 dc 00 01 c0 a1 63 90", COMPLETE, 0, 0, 0, 0, 0},
    {"a request", "94 00 01 a4 70 69 6e 67 90", COMPLETE, 0, 0, 0, 0, 0},
    /* a message followed by the start of the next one: only the first is framed */
    {"two messages", "91 01 92 02", COMPLETE, 2, 2, 0, 0, 0},
    {"scalar then more", "c0 c0", COMPLETE, 1, 1, 0, 0, 0},
    /* truncated: always need more */
    {"truncated array", "93 01 02", NEED_MORE, 0, 0, 0, 0, 0},
    {"truncated str8 header", "d9", NEED_MORE, 0, 0, 0, 0, 0},
    {"truncated str16 header", "da 00", NEED_MORE, 0, 0, 0, 0, 0},
    {"truncated str32 body", "db 00 00 00 05 61 62", NEED_MORE, 0, 0, 0, 0, 0},
    {"truncated uint64", "cf 00 00 00", NEED_MORE, 0, 0, 0, 0, 0},
    {"truncated map value", "81 a1 61", NEED_MORE, 0, 0, 0, 0, 0},
    {"truncated array32 header", "dd 00 00", NEED_MORE, 0, 0, 0, 0, 0},
    /* refused types */
    {"0xc1 never used", "c1", BAD, 1, 0, 0, 0, 0},
    {"0xc1 inside an array", "92 01 c1", BAD, 3, 0, 0, 0, 0},
    {"0xc1 as a map value", "81 a1 61 c1", BAD, 4, 0, 0, 0, 0},
    {"fixext1", "d4 01 00", BAD, 1, 0, 0, 0, 0},
    {"fixext2", "d5 01 00 00", BAD, 1, 0, 0, 0, 0},
    {"fixext4", "d6 01 00 00 00 00", BAD, 1, 0, 0, 0, 0},
    {"fixext8", "d7 01 00 00 00 00 00 00 00 00", BAD, 1, 0, 0, 0, 0},
    {"fixext16", "d8 01", BAD, 1, 0, 0, 0, 0},
    {"ext8", "c7 01 01 00", BAD, 1, 0, 0, 0, 0},
    {"ext16", "c8 00 01 01 00", BAD, 1, 0, 0, 0, 0},
    {"ext32", "c9 00 00 00 01 01 00", BAD, 1, 0, 0, 0, 0},
    {"timestamp ext in a request", "94 00 01 a1 78 91 d6 ff 00 00 00 00", BAD, 7, 0, 0, 0, 0},
    /* the byte limit, enforced from the headers before the body arrives */
    {"str32 announcing 2 GiB", "db 7f ff ff ff", BIG, 5, 0, 0, 0, 0},
    {"bin32 announcing 4 GiB", "c6 ff ff ff ff", BIG, 5, 0, 0, 0, 0},
    {"str16 over a 64-byte limit", "da 00 41", BIG, 3, 0, 64, 0, 0},
    {"str8 just fits 64 bytes", NULL, COMPLETE, 0, 0, 64, 0, 0},
    {"bin8 over a 16-byte limit", "c4 10", BIG, 2, 0, 16, 0, 0},
    {"str in an array over the limit", "92 a1 61 d9 20", BIG, 5, 0, 32, 0, 0},
    {"array16 whose items cannot fit", "dc 00 c8", BIG, 3, 0, 100, 0, 0},
    {"fixmap whose pairs cannot fit", "8f", BIG, 1, 0, 16, 0, 0},
    {"fixarray of 10 in 10 bytes", "9a", BIG, 1, 0, 10, 0, 0},
    {"fixarray of 10 in 11 bytes", "9a 00 00 00 00 00 00 00 00 00 00", COMPLETE, 0, 0, 11, 0, 0},
    {"nested items count toward the limit", "92 93 00", BIG, 2, 0, 4, 0, 0},
    {"nested items just fit", "92 93 00 00 00 00", COMPLETE, 0, 0, 6, 0, 0},
    /* array and map sizes */
    {"array32 of 70000 (default limit 65536)", "dd 00 01 11 70", BIG, 5, 0, 0, 0, 0},
    {"map32 of 70000 pairs", "df 00 01 11 70", BIG, 5, 0, 0, 0, 0},
    {"array16 of 65535 announces enough bytes", "dc ff ff", NEED_MORE, 0, 0, 0, 0, 0},
    {"fixarray of 5 over a limit of 4", "95", BIG, 1, 0, 0, 0, 4},
    {"fixarray of 4 at a limit of 4", "94 01 02 03 04", COMPLETE, 0, 0, 0, 0, 4},
    {"fixmap of 5 pairs over a limit of 4", "85", BIG, 1, 0, 0, 0, 4},
    {"map16 of 4 pairs at a limit of 4", "de 00 04 01 01 02 02 03 03 04 04", COMPLETE, 0, 0, 0, 0,
     4},
    {"inner array over the limit", "92 01 95", BIG, 3, 0, 0, 0, 4},
    /* depth */
    {"depth 3 at a limit of 3", "91 91 91 c0", COMPLETE, 0, 0, 0, 3, 0},
    {"depth 4 over a limit of 3", "91 91 91 91 c0", BIG, 4, 0, 0, 3, 0},
    {"empty containers do not nest", "91 91 91 90", COMPLETE, 0, 0, 0, 3, 0},
    {"siblings do not add depth", "93 91 c0 91 c0 91 91 c0", COMPLETE, 0, 0, 0, 3, 0},
};

static void test_scan_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scan_cases) / sizeof(scan_cases[0]); i++) {
        const struct scan_case *c = &scan_cases[i];
        struct rpc_limits lim;
        unsigned char *msg;
        size_t len;

        rpc_limits_default(&lim);
        if (c->max_message)
            lim.max_message = c->max_message;
        if (c->max_depth)
            lim.max_depth = c->max_depth;
        if (c->max_array)
            lim.max_array = c->max_array;
        if (c->hex != NULL) {
            msg = from_hex(c->hex, &len);
        } else {
            /* "str8 just fits": a str8 of (limit - 2) bytes is exactly the limit */
            len = lim.max_message;
            msg = malloc(len);
            assert_non_null(msg);
            msg[0] = 0xd9;
            msg[1] = (unsigned char)(len - 2);
            memset(msg + 2, 'x', len - 2);
        }
        check_all_splits(c->name, msg, len, &lim, c->want, c->known_at ? c->known_at : len,
                         c->msglen ? c->msglen : len);
        free(msg);
    }
}

/* Nesting: the default limit is what msgpack-c's unpacker can take (its stack holds 32). */
static void test_scan_depth_default(void **state)
{
    struct rpc_limits lim;
    unsigned char msg[128];
    size_t len;

    (void)state;
    rpc_limits_default(&lim);
    for (unsigned depth = 1; depth <= lim.max_depth + 1; depth++) {
        char name[64];
        len = 0;
        for (unsigned i = 0; i < depth; i++)
            msg[len++] = 0x91;
        msg[len++] = 0xc0;
        snprintf(name, sizeof(name), "depth %u", depth);
        if (depth <= lim.max_depth) {
            check_all_splits(name, msg, len, &lim, COMPLETE, len, len);
            /* and what the scanner accepts, the unpacker can unpack */
            msgpack_zone z;
            msgpack_object o;
            size_t off = 0;
            msgpack_zone_init(&z, 1024);
            assert_int_equal(msgpack_unpack((const char *)msg, len, &off, &z, &o),
                             MSGPACK_UNPACK_SUCCESS);
            msgpack_zone_destroy(&z);
        } else {
            check_all_splits(name, msg, len, &lim, BIG, depth, 0);
        }
    }
}

/* Framing a stream of pipelined messages the way conn.c does: scan, consume, reset. */
static void test_scan_pipeline(void **state)
{
    size_t len, off = 0, count = 0;
    unsigned char *msgs = from_hex("94 00 01 a4 70 69 6e 67 90"           /* [0,1,"ping",[]] */
                                   "93 02 a4 70 69 6e 67 90"              /* [2,"ping",[]] */
                                   "94 00 cd 01 00 a1 78 91 d9 01 79"     /* [0,256,"x",["y"]] */
                                   "94 00 ce 00 01 00 00 a1 78 dc 00 00", /* [0,65536,"x",[]] */
                                   &len);
    const size_t want[] = {9, 8, 11, 12};
    struct rpc_scanner s;
    struct rpc_limits lim;

    (void)state;
    rpc_limits_default(&lim);
    rpc_scanner_reset(&s);
    /* bytes arrive 3 at a time; each call sees what has arrived after the current message */
    for (size_t have = 3; off<len; have = have + 3> len ? len : have + 3) {
        for (;;) {
            struct verr e = {0};
            size_t msglen = 0;
            int rc = rpc_scan(&s, (const char *)msgs + off, have - off, &lim, &msglen, &e);
            assert_true(rc == NEED_MORE || rc == COMPLETE);
            if (rc == NEED_MORE)
                break;
            assert_true(count < 4);
            assert_int_equal(msglen, want[count]);
            count++;
            off += msglen;
            rpc_scanner_reset(&s);
        }
        if (have == len)
            break;
    }
    assert_int_equal(count, 4);
    assert_int_equal(off, len);
    free(msgs);
}

/* Random garbage never crashes, never reads past what it is given, and is decided
 * within max_message bytes. */
static void test_scan_random_bytes(void **state)
{
    struct rpc_limits lim;
    unsigned char buf[512];

    (void)state;
    rpc_limits_default(&lim);
    lim.max_message = 256;
    for (int round = 0; round < 3000; round++) {
        size_t len = 1 + rng() % sizeof(buf), cuts[2] = {len / 2 ? len / 2 : len, len};
        struct feed_result r;
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)rng();
        r = feed(buf, len, cuts, cuts[0] == len ? 1 : 2, &lim);
        assert_true(r.rc == NEED_MORE || r.rc == COMPLETE || r.rc == BAD || r.rc == BIG);
        if (r.rc == COMPLETE)
            assert_true(r.msglen >= 1 && r.msglen <= len && r.msglen <= lim.max_message);
        if (len > lim.max_message)
            assert_int_not_equal(r.rc, NEED_MORE);
    }
}

/* --- rpc_peek_msgid --- */

struct peek_case {
    const char *hex;
    int found;
    uint32_t msgid;
};

static const struct peek_case peek_cases[] = {
    {"94 00 07", 1, 7},
    {"94 00 7f a1", 1, 127},
    {"94 00 cc ff", 1, 255},
    {"94 00 cd 01 00", 1, 256},
    {"94 00 ce ff ff ff ff", 1, 0xffffffffu},
    {"94 00 cc", 0, 0},                         /* uint8 cut short */
    {"94 00 ce 00 01", 0, 0},                   /* uint32 cut short */
    {"94 00", 0, 0},                            /* no msgid yet */
    {"94 01 07", 0, 0},                         /* a response, not a request */
    {"93 02 07", 0, 0},                         /* a notification */
    {"94 00 ff", 0, 0},                         /* negative msgid */
    {"94 00 cf 00 00 00 00 00 00 00 01", 0, 0}, /* uint64 is not a msgid */
    {"dc 00 04 00 07", 0, 0},                   /* array16 envelope: not a well-formed request */
    {"c1", 0, 0},
};

static void test_peek_msgid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(peek_cases) / sizeof(peek_cases[0]); i++) {
        size_t len;
        unsigned char *b = from_hex(peek_cases[i].hex, &len);
        uint32_t id = 12345;
        int found = rpc_peek_msgid((const char *)b, len, &id);
        if (found != peek_cases[i].found)
            fail_msg("peek %s: %d", peek_cases[i].hex, found);
        if (found)
            assert_int_equal(id, peek_cases[i].msgid);
        free(b);
    }
}

/* --- rpc_parse --- */

struct parse_case {
    const char *hex;
    int rc;
    int type;
    uint32_t msgid;
    const char *method;
    const char *why; /* a word of the error message */
};

static const struct parse_case parse_cases[] = {
    {"94 00 01 a4 70 69 6e 67 90", 0, RPC_REQUEST, 1, "ping", NULL},
    {"94 00 ce ff ff ff ff a1 78 91 01", 0, RPC_REQUEST, 0xffffffffu, "x", NULL},
    {"94 00 05 c4 04 70 69 6e 67 90", 0, RPC_REQUEST, 5, "ping", NULL}, /* bin method name */
    {"93 02 a4 70 69 6e 67 90", 0, RPC_NOTIFICATION, 0, "ping", NULL},
    {"94 01 09 c0 a3 61 62 63", 0, RPC_RESPONSE, 9, NULL, NULL},
    {"a4 70 69 6e 67", BAD, 0, 0, NULL, "array"},
    {"80", BAD, 0, 0, NULL, "array"},
    {"92 00 01", BAD, 0, 0, NULL, "array"},
    {"95 00 01 a1 78 90 c0", BAD, 0, 0, NULL, "array"},
    {"94 03 01 a1 78 90", BAD, 0, 0, NULL, "type"},
    {"94 ff 01 a1 78 90", BAD, 0, 0, NULL, "type"},
    {"94 a1 30 01 a1 78 90", BAD, 0, 0, NULL, "type"},
    {"93 00 01 a1 78", BAD, 0, 0, NULL, "request"},
    {"94 00 ff a1 78 90", BAD, 0, 0, NULL, "request"},                         /* msgid -1 */
    {"94 00 cf 00 00 00 01 00 00 00 00 a1 78 90", BAD, 0, 0, NULL, "request"}, /* > u32 */
    {"94 00 a1 31 a1 78 90", BAD, 0, 0, NULL, "request"},
    {"94 00 01 07 90", BAD, 0, 0, NULL, "method"},
    {"94 00 01 c0 90", BAD, 0, 0, NULL, "method"},
    {"94 00 01 a0 90", BAD, 0, 0, NULL, "method"},
    {"94 00 01 a1 78 80", BAD, 0, 0, NULL, "params"},
    {"94 00 01 a1 78 c0", BAD, 0, 0, NULL, "params"},
    {"94 00 01 a1 78 a1 78", BAD, 0, 0, NULL, "params"},
    {"94 02 a1 78 90 c0", BAD, 0, 0, NULL, "notification"},
    {"93 02 07 90", BAD, 0, 0, NULL, "method"},
    {"93 02 a1 78 07", BAD, 0, 0, NULL, "params"},
    {"93 01 01 c0", BAD, 0, 0, NULL, "response"},
    {"94 01 a1 31 c0 c0", BAD, 0, 0, NULL, "response"},
};

static void test_parse_envelopes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        size_t len, off = 0;
        unsigned char *b = from_hex(c->hex, &len);
        msgpack_zone z;
        msgpack_object o;
        struct rpc_msg m;
        struct verr e = {0};
        int rc;

        msgpack_zone_init(&z, 1024);
        assert_int_equal(msgpack_unpack((const char *)b, len, &off, &z, &o),
                         MSGPACK_UNPACK_SUCCESS);
        rc = rpc_parse(&o, &m, &e);
        if (rc != c->rc)
            fail_msg("parse %s: rc %d, expected %d (%s)", c->hex, rc, c->rc, e.msg);
        if (rc == 0) {
            assert_int_equal(m.type, c->type);
            assert_int_equal(m.msgid, c->msgid);
            if (c->method != NULL) {
                assert_int_equal(m.method_len, strlen(c->method));
                assert_memory_equal(m.method, c->method, m.method_len);
                assert_non_null(m.params);
                assert_int_equal(m.params->type, MSGPACK_OBJECT_ARRAY);
            } else {
                assert_non_null(m.error);
                assert_non_null(m.result);
                assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
                assert_int_equal(m.result->type, MSGPACK_OBJECT_STR);
            }
        } else {
            assert_int_equal(e.code, c->rc);
            if (strstr(e.msg, c->why) == NULL)
                fail_msg("parse %s: message \"%s\" lacks \"%s\"", c->hex, e.msg, c->why);
        }
        msgpack_zone_destroy(&z);
        free(b);
    }
}

/* A method name of exactly RPC_MAX_METHOD_NAME bytes is fine, one more is not. */
static void test_parse_method_length(void **state)
{
    (void)state;
    for (size_t n = RPC_MAX_METHOD_NAME - 1; n <= RPC_MAX_METHOD_NAME + 1; n++) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_zone z;
        msgpack_object o;
        struct rpc_msg m;
        struct verr e = {0};
        char name[RPC_MAX_METHOD_NAME + 2];
        size_t off = 0;

        memset(name, 'm', n);
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint8(&pk, 0);
        msgpack_pack_uint8(&pk, 1);
        msgpack_pack_str(&pk, n);
        msgpack_pack_str_body(&pk, name, n);
        msgpack_pack_array(&pk, 0);
        msgpack_zone_init(&z, 1024);
        assert_int_equal(msgpack_unpack(sb.data, sb.size, &off, &z, &o), MSGPACK_UNPACK_SUCCESS);
        assert_int_equal(rpc_parse(&o, &m, &e), n <= RPC_MAX_METHOD_NAME ? 0 : BAD);
        msgpack_zone_destroy(&z);
        msgpack_sbuffer_destroy(&sb);
    }
}

/* --- errors: [1, "code: message"] --- */

/* Unpack one object from a packer's buffer. */
static msgpack_object unpack_one(msgpack_sbuffer *sb, msgpack_zone *z)
{
    msgpack_object o;
    size_t off = 0;

    assert_int_equal(msgpack_unpack(sb->data, sb->size, &off, z, &o), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, sb->size);
    return o;
}

/* The text of an error object: [1, "..."] with type RPC_ERROR_TYPE. */
static void assert_error_object(const msgpack_object *err, const char *want)
{
    assert_int_equal(err->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(err->via.array.size, 2);
    assert_int_equal(err->via.array.ptr[0].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(err->via.array.ptr[0].via.u64, RPC_ERROR_TYPE);
    assert_int_equal(err->via.array.ptr[1].type, MSGPACK_OBJECT_STR);
    if (err->via.array.ptr[1].via.str.size != strlen(want) ||
        memcmp(err->via.array.ptr[1].via.str.ptr, want, strlen(want)) != 0)
        fail_msg("error text \"%.*s\", expected \"%s\"", (int)err->via.array.ptr[1].via.str.size,
                 err->via.array.ptr[1].via.str.ptr, want);
}

struct wire_code {
    int code;
    const char *name;
};

static const struct wire_code wire_codes[] = {
    {VALS_EBAD_REQUEST, "bad_request"},
    {VALS_EUNKNOWN_METHOD, "unknown_method"},
    {VALS_ETOO_LARGE, "too_large"},
    {VALS_EBAD_REF, "bad_ref"},
    {VALS_EUNSUPPORTED_BACKEND, "unsupported_backend"},
    {VALS_ENOT_FOUND, "not_found"},
    {VALS_EMISSING_KEY, "missing_key"},
    {VALS_EDENIED, "denied"},
    {VALS_ETHROTTLED, "throttled"},
    {VALS_ETIMEOUT, "timeout"},
    {VALS_EBACKEND, "backend_error"},
    {VALS_ELOCAL_ONLY, "local_only"},
    {VALS_ESHUTTING_DOWN, "shutting_down"},
    {VALS_EINTERNAL, "internal"},
};

/* rpc_pack_error gives [1, msgid, [1, "code: message"], nil]; rpc_error_decode reads the
 * code back, for every wire code. */
static void test_error_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(wire_codes) / sizeof(wire_codes[0]); i++) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_zone z;
        msgpack_object o;
        struct rpc_msg m;
        struct verr e = {0};
        char want[256], text[256];
        int code = 0;

        snprintf(want, sizeof(want), "%s: ref+echo://a/b#/c: something about key c",
                 wire_codes[i].name);
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        assert_int_equal(rpc_pack_error(&pk, 4242, wire_codes[i].code,
                                        "ref+echo://a/b#/c: something about key c"),
                         0);
        msgpack_zone_init(&z, 1024);
        o = unpack_one(&sb, &z);
        assert_int_equal(rpc_parse(&o, &m, &e), 0);
        assert_int_equal(m.type, RPC_RESPONSE);
        assert_int_equal(m.msgid, 4242);
        assert_int_equal(m.result->type, MSGPACK_OBJECT_NIL);
        assert_error_object(m.error, want);
        assert_int_equal(rpc_error_decode(m.error, &code, text, sizeof(text)), 0);
        assert_int_equal(code, wire_codes[i].code);
        assert_string_equal(text, want);
        msgpack_zone_destroy(&z);
        msgpack_sbuffer_destroy(&sb);
    }
}

/* No message: the code's default text. Out-of-memory travels as "internal". */
static void test_error_defaults(void **state)
{
    static const struct {
        int code;
        const char *msg;
        const char *want;
    } cases[] = {
        {VALS_ENOT_FOUND, NULL, "not_found: not found"},
        {VALS_ETIMEOUT, "", "timeout: timed out"},
        {VALS_ENOMEM, NULL, "internal: out of memory"},
        {VALS_EUNKNOWN_METHOD, "unknown method \"nope\"",
         "unknown_method: unknown method \"nope\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_zone z;
        msgpack_object o;

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        assert_int_equal(rpc_pack_error_object(&pk, cases[i].code, cases[i].msg), 0);
        msgpack_zone_init(&z, 1024);
        o = unpack_one(&sb, &z);
        assert_error_object(&o, cases[i].want);
        msgpack_zone_destroy(&z);
        msgpack_sbuffer_destroy(&sb);
    }
}

/* A very long message is cut, but the code still leads the text. */
static void test_error_long_message(void **state)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_zone z;
    msgpack_object o;
    char *msg = malloc(5000), text[8000];
    int code = 0;

    (void)state;
    assert_non_null(msg);
    memset(msg, 'k', 4999);
    msg[4999] = '\0';
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(rpc_pack_error_object(&pk, VALS_EMISSING_KEY, msg), 0);
    msgpack_zone_init(&z, 1024);
    o = unpack_one(&sb, &z);
    assert_int_equal(o.via.array.ptr[1].type, MSGPACK_OBJECT_STR);
    assert_true(o.via.array.ptr[1].via.str.size < 5000);
    assert_memory_equal(o.via.array.ptr[1].via.str.ptr, "missing_key: kkk", 16);
    rpc_error_decode(&o, &code, text, sizeof(text));
    assert_int_equal(code, VALS_EMISSING_KEY);
    msgpack_zone_destroy(&z);
    msgpack_sbuffer_destroy(&sb);
    free(msg);
}

/* Error objects from other peers: a plain string, an unknown code, no colon, no string. */
static void test_error_decode_foreign(void **state)
{
    static const struct {
        const char *hex;
        int code;
        const char *text;
    } cases[] = {
        {"aa 74 69 6d 65 6f 75 74 3a 20 78", VALS_ETIMEOUT, "timeout: x"}, /* "timeout: x" */
        {"92 00 a8 62 61 64 5f 72 65 66 3a", VALS_EBAD_REF, "bad_ref:"},   /* [0, "bad_ref:"] */
        {"92 01 a6 7a 7a 7a 3a 20 71", VALS_EINTERNAL, "zzz: q"},          /* unknown code */
        {"92 01 a5 6f 6f 70 73 21", VALS_EINTERNAL, "oops!"},              /* no colon */
        {"2a", VALS_EINTERNAL, "unrecognised error object"},               /* 42 */
        {"92 01 2a", VALS_EINTERNAL, "unrecognised error object"},         /* [1, 42] */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len, off = 0;
        unsigned char *b = from_hex(cases[i].hex, &len);
        msgpack_zone z;
        msgpack_object o;
        char text[128];
        int code = 0;

        msgpack_zone_init(&z, 1024);
        assert_int_equal(msgpack_unpack((const char *)b, len, &off, &z, &o),
                         MSGPACK_UNPACK_SUCCESS);
        assert_int_equal(rpc_error_decode(&o, &code, text, sizeof(text)), 0);
        assert_int_equal(code, cases[i].code);
        assert_string_equal(text, cases[i].text);
        msgpack_zone_destroy(&z);
        free(b);
    }
}

/* The result header is [1, msgid, nil, ...]: with one packed result it parses. */
static void test_result_header(void **state)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_zone z;
    msgpack_object o;
    struct rpc_msg m;
    struct verr e = {0};

    (void)state;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(rpc_pack_result_header(&pk, 0xffffffffu), 0);
    assert_int_equal(rpc_pack_cstr(&pk, "pong"), 0);
    msgpack_zone_init(&z, 1024);
    o = unpack_one(&sb, &z);
    assert_int_equal(rpc_parse(&o, &m, &e), 0);
    assert_int_equal(m.type, RPC_RESPONSE);
    assert_int_equal(m.msgid, 0xffffffffu);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
    assert_int_equal(m.result->type, MSGPACK_OBJECT_STR);
    assert_int_equal(m.result->via.str.size, 4);
    assert_memory_equal(m.result->via.str.ptr, "pong", 4);
    msgpack_zone_destroy(&z);
    msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_table),           cmocka_unit_test(test_scan_depth_default),
        cmocka_unit_test(test_scan_pipeline),        cmocka_unit_test(test_scan_random_bytes),
        cmocka_unit_test(test_peek_msgid),           cmocka_unit_test(test_parse_envelopes),
        cmocka_unit_test(test_parse_method_length),  cmocka_unit_test(test_error_round_trip),
        cmocka_unit_test(test_error_defaults),       cmocka_unit_test(test_error_long_message),
        cmocka_unit_test(test_error_decode_foreign), cmocka_unit_test(test_result_header),
    };

    return cmocka_run_group_tests_name("rpc", tests, NULL, NULL);
}
