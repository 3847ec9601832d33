/*
 * fuzz_age.c - libFuzzer target for the age parsers: decryption of arbitrary bytes (binary
 * or armored, detected) with a fixed X25519 identity and a passphrase, the armor decoder on
 * its own, identity files, and the key parsers.  The scrypt work factor is capped at 4 so a
 * crafted "-> scrypt salt 22" cannot make one input take gigabytes.
 *
 * Build: CC=clang cmake -S . -B build-fuzz -DVALS_FUZZ=ON -DVALS_TESTS=OFF -DVALS_BENCH=OFF
 * Run:   build-fuzz/fuzz_age -max_total_time=60 CORPUS_DIR tests/data/age-cctv
 * (CCTV vectors work as seeds: their text header is skipped.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/age.h"
#include "lib/age_int.h"

#define FUZZ_IDENTITY "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sink callback that only checks the chunk size contract. */
static int fuzz_write(void *arg, const void *p, size_t n)
{
    (void)p;
    if (n > AGE_CHUNK)
        __builtin_trap();
    *(size_t *)arg += n;
    return 0;
}

/* Copy of the input as a NUL-terminated string. */
static char *fuzz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s != NULL) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct age_identity id;
    static int ready;
    struct age_keys k = {&id, 1, "password", 4};
    struct dbuf out = DBUF_INIT;
    struct age_identity *ids = NULL;
    struct age_recipient r;
    struct age_sink snk;
    struct age_src src;
    enum age_fail fail;
    size_t n = 0, released = 0;
    struct verr e;
    char *s;

    /* A C2SP CCTV vector as seed: skip its "key: value" text header. */
    if (size > 8 && memcmp(data, "expect: ", 8) == 0) {
        const uint8_t *end = memmem(data, size, "\n\n", 2);

        if (end != NULL) {
            size -= (size_t)(end + 2 - data);
            data = end + 2;
        }
    }
    if (!ready) {
        if (age_identity_parse(FUZZ_IDENTITY, strlen(FUZZ_IDENTITY), &id, &e) != 0)
            __builtin_trap();
        ready = 1;
    }
    /* Whole-file decryption (binary or armored) through the callback sink. */
    if (age_is_armored(data, size)) {
        if (age_armor_decode(data, size, &out, &e) == 0) {
            /* Armor re-encodes to something that decodes to the same bytes. */
            struct dbuf again = DBUF_INIT, back = DBUF_INIT;

            if (age_armor_encode(out.p != NULL ? out.p : "", out.len, &again) != 0 ||
                age_armor_decode(again.p, again.len, &back, &e) != 0 || back.len != out.len ||
                (out.len > 0 && memcmp(back.p, out.p, out.len) != 0))
                __builtin_trap();
            dbuf_free(&again);
            dbuf_free(&back);
            age_src_mem(&src, out.p != NULL ? out.p : "", out.len);
        } else {
            age_src_mem(&src, data, 0);
            src.len = 0;
        }
    } else {
        age_src_mem(&src, data, size);
    }
    if (src.len > 0 || !age_is_armored(data, size)) {
        age_sink_cb(&snk, fuzz_write, &released);
        if (age_decrypt_src(&k, &src, &snk, &fail, &e) == 0 && fail != AGE_FAIL_NONE)
            __builtin_trap();
        age_sink_free(&snk);
    }
    dbuf_free(&out);
    /* The in-memory API must leave `out` untouched on failure. */
    if (age_decrypt(&id, 1, NULL, data, size, &out, &e) != 0 && out.len != 0)
        __builtin_trap();
    dbuf_free(&out);
    /* Identity files and single keys. */
    if (age_identities_parse((const char *)data, size, "fuzz", &ids, &n, &e) == 0)
        age_identities_free(ids, n);
    if ((s = fuzz_str(data, size)) != NULL) {
        struct age_identity tmp;

        if (age_recipient_parse(s, size, &r, &e) == 0) {
            char back[AGE_RECIPIENT_STRLEN + 1];

            age_recipient_format(&r, back);
            if (size != AGE_RECIPIENT_STRLEN || memcmp(back, s, size) != 0)
                __builtin_trap();
        }
        if (age_identity_parse(s, size, &tmp, &e) == 0)
            age_identity_clear(&tmp);
        free(s);
    }
    return 0;
}
