/*
 * fuzz_aws_resp.c - libFuzzer target for the readers of AWS responses (network bytes):
 * error bodies (JSON and XML, with a status from the first byte), GetSecretValue and
 * GetParameter bodies, GetParametersByPath pages built into vals' nested map (recursive
 * or not), STS AssumeRole XML, ISO 8601 times, and the shared-config INI reader.
 * Invariants checked: aws_error codes are printable and never empty; a page either
 * succeeds or leaves no token; a map built from a page is a mapping.
 *
 * Build: CC=clang cmake -S . -B build-fuzz -DVALS_FUZZ=ON -DVALS_TESTS=OFF -DVALS_BENCH=OFF
 * Run:   build-fuzz/fuzz_aws_resp -max_total_time=60 CORPUS_DIR tests/data/aws-resp
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/aws_resp.h"
#include "daemon/creds/aws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tree {
    struct doc *map;
    int recursive;
};

static int add(void *arg, const char *name, size_t nlen, const char *value, size_t vlen,
               int64_t version)
{
    struct tree *t = arg;
    struct verr e = {0};

    (void)version;
    return aws_ssm_map_add(t->map, "/app", name, nlen, value, vlen, t->recursive, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    struct aws_error ae;
    struct dbuf v = DBUF_INIT;
    struct verr e = {0};
    struct aws_sts_creds sc;
    struct aws_profile p;
    char *token = NULL;
    int binary = 0;
    int64_t t;

    aws_error_parse(size > 0 ? 400 + data[0] % 200 : 500, body, size, NULL, &ae);
    if (ae.code[0] == '\0')
        __builtin_trap();
    for (const char *c = ae.code; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            __builtin_trap();
    (void)aws_error_class(&ae, 400);
    aws_sm_secret_value(body, size, &v, &binary, &e);
    dbuf_free(&v);
    aws_ssm_parameter_value(body, size, &v, &e);
    dbuf_free(&v);
    for (int rec = 0; rec < 2; rec++) {
        struct tree tr = {doc_map(), rec};
        if (tr.map == NULL)
            return 0;
        if (aws_ssm_page(body, size, add, &tr, &token, &e) != 0 && token != NULL)
            __builtin_trap();
        if (tr.map->type != DOC_MAP)
            __builtin_trap();
        free(token);
        token = NULL;
        doc_free(tr.map);
    }
    if (aws_sts_parse(body, size, &sc, &e) == 0)
        aws_sts_creds_free(&sc);
    aws_parse_iso8601(body, size, &t);
    memset(&p, 0, sizeof(p));
    aws_profile_parse(body, size, "dev", size > 0 && (data[0] & 1), &p);
    aws_profile_free(&p);
    return 0;
}
