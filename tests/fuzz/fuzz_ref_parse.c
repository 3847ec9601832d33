/*
 * fuzz_ref_parse.c - libFuzzer target for ref_parse on arbitrary bodies, not only those
 * ref_find hands out: cache.clear passes a client's ref to it as is.  The whole input and
 * every body ref_find reports are parsed; on success every string is read to its end
 * (ASan checks that it stays in the one block ref_parse keeps them in) and the key is
 * checked against host and path.  The input also goes through ref_resolve_nested and
 * ref_eval_value (stack or heap prefix positions) with a lookup answering "<body>".
 *
 * Build: CC=clang cmake -S . -B build-fuzz -DVALS_FUZZ=ON -DVALS_TESTS=OFF -DVALS_BENCH=OFF
 * Run:   build-fuzz/fuzz_ref_parse -max_total_time=60 -max_len=20000 CORPUS_DIR
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "<body>" (cut to 64 bytes, so nesting cannot blow up). */
static int lookup(void *ctx, const char *body, size_t len, int secret, struct doc **out,
                  struct verr *e)
{
    char buf[80];

    (void)ctx;
    (void)secret;
    (void)e;
    snprintf(buf, sizeof(buf), "<%.*s>", (int)(len < 64 ? len : 64), body);
    *out = doc_strz(buf);
    return *out != NULL ? 0 : VALS_ENOMEM;
}

/* Parse one body and check what a successful parse promises. */
static void parse_one(const char *s, size_t len)
{
    struct ref r;
    struct verr e = {0};
    size_t total = 0;

    if (ref_parse(s, len, &r, &e) != 0)
        return;
    if (r.body == NULL || r.scheme == NULL || r.host == NULL || r.path == NULL || r.key == NULL ||
        r.query == NULL)
        __builtin_trap();
    total = strlen(r.body) + strlen(r.scheme) + strlen(r.host) + strlen(r.path) + strlen(r.key) +
            strlen(r.query) + (r.fragment ? strlen(r.fragment) : 0);
    if (total == (size_t)-1 || strlen(r.key) > strlen(r.host) + strlen(r.path) + 1)
        __builtin_trap();
    if (r.host[0] != '\0' && strncmp(r.key, r.host, strlen(r.host)) != 0)
        __builtin_trap();
    if (r.fragment != NULL && r.fragment[0] == '\0')
        __builtin_trap();
    for (size_t i = 0; i < r.nparams; i++)
        if (r.params[i].name == NULL || r.params[i].value == NULL)
            __builtin_trap();
    ref_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct ref_match m;
    struct ref_eval ev = {lookup, NULL, 0, 0, 1};
    struct verr e = {0};
    struct doc *out = NULL;
    char *flat = NULL;
    size_t flen = 0, from = 0;

    if (size > 4 * REF_MAX_LEN)
        return 0;
    parse_one(s, size);
    while (ref_find(s, size, from, &m)) {
        if (m.end > size || m.body_end > m.end || m.body_start > m.body_end || m.end <= from)
            __builtin_trap();
        parse_one(s + m.body_start, m.body_end - m.body_start);
        from = m.end;
    }
    if (ref_resolve_nested(&ev, s, size, &flat, &flen, &e) == 0) {
        if (strlen(flat) > flen)
            __builtin_trap();
        free(flat);
    }
    if (ref_eval_value(&ev, s, size, &out, &e) == 0)
        doc_free(out);
    return 0;
}
