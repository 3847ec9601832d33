/*
 * bench_sprig_rand.c - throughput of Sprig's random string functions (randAlphaNum and
 * friends) against a baseline that asks OpenSSL for one byte per character (what a
 * naive port of goutils' per-character crypto/rand draw would do).
 *
 * Usage: bench_sprig_rand [REPEATS]   (prints medians; see BENCHMARKS.md)
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/template/sprig.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* One call of randAlphaNum N through the template-function ABI. */
static void sprig_once(const struct tmpl_func *fn, long n)
{
    struct doc *arg = doc_int(n), *out = NULL;
    struct doc *argv[1] = {arg};
    struct tmpl_call call;

    memset(&call, 0, sizeof(call));
    if (fn->fn(&call, argv, 1, &out) != 0 || out->v.s.len != (size_t)n) {
        fprintf(stderr, "randAlphaNum failed: %s\n", call.err);
        exit(1);
    }
    doc_free(out);
    doc_free(arg);
}

/* The baseline: one RAND_bytes call per character, rejection sampled. */
static void naive_once(long n)
{
    static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    char *s = malloc((size_t)n + 1);

    for (long i = 0; i < n;) {
        unsigned char b;
        if (RAND_bytes(&b, 1) != 1)
            exit(1);
        if (b < 248)
            s[i++] = alnum[b % 62];
    }
    s[n] = '\0';
    free(s);
}

int main(int argc, char **argv)
{
    static const long sizes[] = {16, 1024, 1 << 20};
    int repeats = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 15;
    const struct tmpl_func *fn = NULL;

    for (size_t i = 0; i < sprig_nfuncs; i++)
        if (strcmp(sprig_funcs[i].name, "randAlphaNum") == 0)
            fn = &sprig_funcs[i];
    if (fn == NULL || repeats < 1 || repeats > 1000)
        return 2;
    printf("%-10s %14s %14s %8s\n", "length", "sprig (ms)", "naive (ms)", "ratio");
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        long n = sizes[k], calls = n < 1024 ? 10000 : n < (1 << 20) ? 1000 : 1;
        double a[1000], b[1000];
        for (int r = 0; r < repeats; r++) {
            double t0 = now_s();
            for (long c = 0; c < calls; c++)
                sprig_once(fn, n);
            a[r] = (now_s() - t0) * 1000 / (double)calls;
            t0 = now_s();
            for (long c = 0; c < calls; c++)
                naive_once(n);
            b[r] = (now_s() - t0) * 1000 / (double)calls;
        }
        qsort(a, (size_t)repeats, sizeof(double), cmp_double);
        qsort(b, (size_t)repeats, sizeof(double), cmp_double);
        printf("%-10ld %14.5f %14.5f %7.1fx\n", n, a[repeats / 2], b[repeats / 2],
               b[repeats / 2] / a[repeats / 2]);
    }
    return 0;
}
