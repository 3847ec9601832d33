/*
 * bench_sops.c - SOPS encrypt / decrypt of a YAML file with 10,000 keys (100 maps of 100
 * string values, plus comments), median of several runs, against a baseline measured in
 * the same run: parsing and writing the same YAML without any cryptography.
 *
 *   bench_sops [RUNS [OUT.yaml [KEYS.txt]]]   (default 7 runs; optionally keep the encrypted
 *                                           file and its identity for other readers)
 *
 * Prints one line per measurement; BENCHMARKS.md ("SOPS") records the results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/sops.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 7;
    struct dbuf plain = DBUF_INIT, enc = DBUF_INIT, out = DBUF_INIT;
    struct age_identity id;
    struct sops_identities ids = {&id, 1, NULL};
    struct sops_create c;
    double *te, *td, *tb;
    struct verr e;

    if (runs < 1 || runs > 1000)
        runs = 7;
    te = calloc((size_t)runs, sizeof(double));
    td = calloc((size_t)runs, sizeof(double));
    tb = calloc((size_t)runs, sizeof(double));
    for (int s = 0; s < 100; s++) {
        dbuf_printf(&plain, "# section %d\nsection_%03d:\n", s, s);
        for (int k = 0; k < 100; k++)
            dbuf_printf(&plain, "    key_%03d: value-%d-%d-some-secret-text\n", k, s, k);
    }
    age_identity_generate(&id);
    sops_create_init(&c);
    c.groups = calloc(1, sizeof(*c.groups));
    c.ngroups = 1;
    c.groups[0].age = malloc(sizeof(struct age_recipient));
    c.groups[0].nage = 1;
    age_identity_recipient(&id, &c.groups[0].age[0]);
    for (int i = 0; i < runs; i++) {
        struct doc_stream s;
        double t0 = now_ms();
        dbuf_reset(&out);
        if (doc_parse_yaml(plain.p, plain.len, "b", DOC_YAML_COMMENTS | DOC_YAML_KEEP_MERGE, &s,
                           &e) != 0 ||
            doc_emit_yaml_stream(&s, &out, DOC_EMIT_GO_STYLE | DOC_EMIT_INDENT4) != 0)
            return 1;
        doc_stream_free(&s);
        tb[i] = now_ms() - t0;
        t0 = now_ms();
        dbuf_reset(&enc);
        if (sops_encrypt_bytes(plain.p, plain.len, SOPS_FMT_YAML, "b.yaml", &c, NULL, &enc, &e) !=
            0) {
            fprintf(stderr, "encrypt: %s\n", verr_text(&e));
            return 1;
        }
        te[i] = now_ms() - t0;
        t0 = now_ms();
        dbuf_reset(&out);
        if (sops_decrypt_bytes(enc.p, enc.len, SOPS_FMT_YAML, "b.yaml", &ids, 0, &out, &e) != 0) {
            fprintf(stderr, "decrypt: %s\n", verr_text(&e));
            return 1;
        }
        td[i] = now_ms() - t0;
        if (out.len != plain.len || memcmp(out.p, plain.p, plain.len) != 0) {
            fprintf(stderr, "round trip differs\n");
            return 1;
        }
    }
    {
        double b = median(tb, runs), en = median(te, runs), de = median(td, runs);
        printf("input: %zu bytes, 10000 values, 100 comments; encrypted: %zu bytes; %d runs\n",
               plain.len, enc.len, runs);
        printf("baseline parse+emit (no crypto): median %.1f ms\n", b);
        printf("sops encrypt:                    median %.1f ms (%.2fx baseline)\n", en, en / b);
        printf("sops decrypt (+MAC check):       median %.1f ms (%.2fx baseline)\n", de, de / b);
    }
    if (argc > 3) {
        FILE *f = fopen(argv[2], "w"), *k = fopen(argv[3], "w");
        char sk[AGE_IDENTITY_STRLEN + 1];
        age_identity_format(&id, sk);
        if (f == NULL || k == NULL)
            return 1;
        fwrite(enc.p, 1, enc.len, f);
        fprintf(k, "%s\n", sk);
        fclose(f);
        fclose(k);
    }
    sops_create_clear(&c);
    age_identity_clear(&id);
    dbuf_free(&plain);
    dbuf_free(&enc);
    dbuf_free(&out);
    free(te);
    free(td);
    free(tb);
    return 0;
}
