/*
 * bench_template.c - speed of the template engine against Go's own text/template on the
 * same template and data, measured in the same run.
 *
 *   bench_template [-n RUNS] [-i ITERS] [-s] [-g TMPLBENCH] [TEMPLATE DATA.json]
 *
 * Defaults: tests/bench/template/bench.tmpl and bench.json (a Helm/RMK-style rendering of
 * 50 services, about 40 kB of output), 9 runs of 200 operations.  Each run, interleaved:
 * parse the template ITERS times (new set, parse, free), execute it ITERS times, then run
 * the Go baseline (TMPLBENCH, built from tests/go/tmplbench) for one run of the same
 * ITERS.  Prints the median time per operation of each and the ratio to Go as Markdown;
 * the output sizes must agree (the differential test checks the bytes themselves).  -s
 * registers the Sprig library first, as rmk does (its ~200 names are looked up first).
 */
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/template/sprig.h"
#include "client/template/tmpl.h"
#include "lib/dbuf.h"
#include "lib/doc.h"

#define MAX_RUNS 50

/* Monotonic time in seconds. */
static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read a whole file into b. */
static int slurp(const char *path, struct dbuf *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        dbuf_add(b, chunk, n);
    fclose(f);
    return 0;
}

/* qsort comparison of doubles. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return v[n / 2];
}

/* One run of the Go baseline: parse and exec nanoseconds per operation, output size. */
static int go_run(const char *bin, const char *tmpl, const char *data, int iters, double *parse,
                  double *exec, long *bytes)
{
    char cmd[4096];
    FILE *p;
    int got = 0;

    snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s' %d 1", bin, tmpl, data, iters);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    got += fscanf(p, "parse %lf\n", parse);
    got += fscanf(p, "exec %lf\n", exec);
    got += fscanf(p, "bytes %ld\n", bytes);
    return pclose(p) == 0 && got == 3 ? 0 : -1;
}

/* Print one table row: name, median microseconds, ratio to Go. */
static void row(const char *name, double ours_ns, double go_ns)
{
    if (go_ns > 0)
        printf("| %s | %.1f | %.1f | %.2fx |\n", name, ours_ns / 1e3, go_ns / 1e3, go_ns / ours_ns);
    else
        printf("| %s | %.1f | - | - |\n", name, ours_ns / 1e3);
}

int main(int argc, char **argv)
{
    const char *tpath = "tests/bench/template/bench.tmpl",
               *dpath = "tests/bench/template/bench.json";
    const char *gobin = NULL;
    int runs = 9, iters = 200, opt, sprig = 0;
    struct dbuf text = DBUF_INIT, raw = DBUF_INIT, out = DBUF_INIT;
    struct doc *data = NULL;
    struct verr e;
    double parse[MAX_RUNS], exec[MAX_RUNS], gparse[MAX_RUNS], gexec[MAX_RUNS];
    long gbytes = -1;
    int rc = 1;

    while ((opt = getopt(argc, argv, "n:i:g:s")) != -1) {
        if (opt == 'n') {
            long v = strtol(optarg, NULL, 10);
            runs = v > 0 && v <= MAX_RUNS ? (int)v : 9;
        } else if (opt == 'i') {
            long v = strtol(optarg, NULL, 10);
            iters = v > 0 && v < 1000000 ? (int)v : 200;
        } else if (opt == 'g')
            gobin = optarg;
        else if (opt == 's')
            sprig = 1;
        else {
            fprintf(stderr, "usage: bench_template [-n RUNS] [-i ITERS] [-s] [-g TMPLBENCH] "
                            "[TEMPLATE DATA.json]\n");
            return 2;
        }
    }
    if (optind + 2 == argc) {
        tpath = argv[optind];
        dpath = argv[optind + 1];
    }
    if (slurp(tpath, &text) != 0 || slurp(dpath, &raw) != 0 ||
        doc_parse_json(raw.p, raw.len, dpath, &data, &e) != 0)
        goto out;
    for (int r = 0; r < runs; r++) {
        struct tmpl *t;
        double t0 = now();
        for (int i = 0; i < iters; i++) {
            t = tmpl_new("bench");
            if (sprig)
                tmpl_add_funcs(t, sprig_funcs, sprig_nfuncs);
            if (tmpl_parse(t, text.p, text.len, &e) != 0) {
                fprintf(stderr, "%s\n", e.msg);
                tmpl_free(t);
                goto out;
            }
            tmpl_free(t);
        }
        parse[r] = (now() - t0) * 1e9 / iters;
        t = tmpl_new("bench");
        if (sprig)
            tmpl_add_funcs(t, sprig_funcs, sprig_nfuncs);
        tmpl_parse(t, text.p, text.len, &e);
        t0 = now();
        for (int i = 0; i < iters; i++) {
            dbuf_reset(&out);
            if (tmpl_execute(t, NULL, data, &out, &e) != 0) {
                fprintf(stderr, "%s\n", e.msg);
                tmpl_free(t);
                goto out;
            }
        }
        exec[r] = (now() - t0) * 1e9 / iters;
        tmpl_free(t);
        gparse[r] = gexec[r] = 0;
        if (gobin != NULL &&
            go_run(gobin, tpath, dpath, iters, &gparse[r], &gexec[r], &gbytes) != 0) {
            fprintf(stderr, "bench_template: %s failed\n", gobin);
            goto out;
        }
    }
    if (gobin != NULL && gbytes != (long)out.len) {
        fprintf(stderr, "bench_template: output sizes differ: ours %zu, Go %ld\n", out.len, gbytes);
        goto out;
    }
    printf("%s over %s: %zu bytes of output, median of %d runs of %d operations\n\n", tpath, dpath,
           out.len, runs, iters);
    printf("| operation | rmk µs | Go µs | Go time / rmk time |\n|---|---:|---:|---:|\n");
    row("parse (new set, parse, free)", median(parse, runs), gobin ? median(gparse, runs) : 0);
    row("execute", median(exec, runs), gobin ? median(gexec, runs) : 0);
    rc = 0;
out:
    doc_free(data);
    dbuf_free(&text);
    dbuf_free(&raw);
    dbuf_free(&out);
    return rc;
}
