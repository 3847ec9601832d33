/*
 * bench_age.c - age encryption and decryption throughput of lib/age against the Debian
 * `age` binary, measured in the same run on the same files.
 *
 *   bench_age [-n RUNS] [-s MIB] [-d DIR]
 *
 * Makes a random plaintext of MIB MiB (default 64) and an identity in DIR (default
 * $TMPDIR or /tmp), then for each run, interleaved: encrypts with lib/age memory to memory
 * (age_encrypt), in this process file to file (age_encrypt_fd), with `agetool encrypt` (our
 * code as a separate process, found next to this program) and with `age -e`; decrypts one
 * age-made file with age_decrypt, age_decrypt_fd, `agetool decrypt` and `age -d`.  Every output is
 * checked once.  Prints the median wall time of each, the throughput in MB/s (10^6 bytes of
 * plaintext per second) and the ratio to `age`, as a Markdown table.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "lib/age.h"

#define MAX_RUNS 50

extern char **environ;

/* Monotonic time in seconds. */
static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run a program and wait; returns its wall time or -1 when it failed. */
static double run(char *const argv[])
{
    double t0 = now();
    pid_t pid;
    int st;

    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        return -1;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return now() - t0;
}

/* Encrypt `in` to `out` with lib/age in this process; wall time or -1. */
static double ours_encrypt(const struct age_recipient *r, const char *in, const char *out)
{
    double t0 = now(), t = -1; /* opening (and truncating) the output counts, as for age */
    int ifd = open(in, O_RDONLY), ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct verr e;

    if (ifd >= 0 && ofd >= 0 && age_encrypt_fd(r, 1, ifd, ofd, 0, &e) == 0 && close(ofd) == 0)
        t = now() - t0;
    else
        fprintf(stderr, "bench_age: our encryption failed\n");
    if (ifd >= 0)
        close(ifd);
    return t;
}

/* Decrypt `in` to `out` with lib/age in this process; wall time or -1. */
static double ours_decrypt(const struct age_identity *id, const char *in, const char *out)
{
    double t0 = now(), t = -1; /* opening (and truncating) the output counts, as for age */
    int ifd = open(in, O_RDONLY), ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct verr e;

    if (ifd >= 0 && ofd >= 0 && age_decrypt_fd(id, 1, NULL, ifd, ofd, NULL, &e) == 0 &&
        close(ofd) == 0)
        t = now() - t0;
    else
        fprintf(stderr, "bench_age: our decryption failed: %s\n", verr_text(&e));
    if (ifd >= 0)
        close(ifd);
    return t;
}

/* Whether two files have the same bytes. */
static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    char ba[65536], bb[65536];
    size_t na, nb;
    int same = fa != NULL && fb != NULL;

    while (same) {
        na = fread(ba, 1, sizeof(ba), fa);
        nb = fread(bb, 1, sizeof(bb), fb);
        if (na != nb || memcmp(ba, bb, na) != 0)
            same = 0;
        if (na == 0)
            break;
    }
    if (fa != NULL)
        fclose(fa);
    if (fb != NULL)
        fclose(fb);
    return same;
}

/* Read a whole file into `out`. */
static int read_all(const char *path, struct dbuf *out)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    ssize_t k;

    if (fd < 0 || fstat(fd, &st) != 0 || dbuf_reserve(out, (size_t)st.st_size) != 0)
        return -1;
    while ((k = read(fd, out->p + out->len, (size_t)st.st_size - out->len)) > 0)
        out->len += (size_t)k;
    close(fd);
    return out->len == (size_t)st.st_size ? 0 : -1;
}

/* qsort comparator for doubles. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Median of `n` samples (sorts them). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Write `mib` MiB of random bytes to `path`. */
static int make_plaintext(const char *path, int mib)
{
    static unsigned char buf[1 << 20];
    FILE *f = fopen(path, "wb");
    int ok = f != NULL;

    for (int i = 0; ok && i < mib; i++)
        ok = RAND_bytes(buf, sizeof(buf)) == 1 && fwrite(buf, 1, sizeof(buf), f) == sizeof(buf);
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    enum { ENC_MEM, ENC_OURS, ENC_TOOL, ENC_AGE, DEC_MEM, DEC_OURS, DEC_TOOL, DEC_AGE, NCASES };
    static const char *const names[NCASES] = {"encrypt, lib/age memory to memory (no file I/O)",
                                              "encrypt, lib/age in-process, file to file",
                                              "encrypt, agetool process, file to file",
                                              "encrypt, age binary, file to file",
                                              "decrypt, lib/age memory to memory (no file I/O)",
                                              "decrypt, lib/age in-process, file to file",
                                              "decrypt, agetool process, file to file",
                                              "decrypt, age binary, file to file"};
    struct dbuf mem_plain = DBUF_INIT, mem_enc = DBUF_INIT, mem_dec = DBUF_INIT;
    static double t[NCASES][MAX_RUNS];
    char dir[PATH_MAX], self[PATH_MAX], tool[PATH_MAX + 16], plain[PATH_MAX + 16],
        key[PATH_MAX + 16], enc_ours[PATH_MAX + 16], enc_age[PATH_MAX + 16], dec[PATH_MAX + 16],
        pub[AGE_RECIPIENT_STRLEN + 1];
    const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    struct dbuf keyfile = DBUF_INIT;
    struct age_identity id;
    struct age_recipient r;
    int runs = 5, mib = 64, c, fd;
    ssize_t n;
    double bytes;

    while ((c = getopt(argc, argv, "n:s:d:")) != -1) {
        if (c == 'n')
            runs = (int)strtol(optarg, NULL, 10);
        else if (c == 's')
            mib = (int)strtol(optarg, NULL, 10);
        else if (c == 'd')
            base = optarg;
        else
            return 2;
    }
    if (runs < 1 || runs > MAX_RUNS || mib < 1 || mib > 4096) {
        fprintf(stderr, "usage: bench_age [-n RUNS (1-%d)] [-s MIB] [-d DIR]\n", MAX_RUNS);
        return 2;
    }
    bytes = (double)mib * 1048576.0;
    snprintf(dir, sizeof(dir), "%s/bench_age.XXXXXX", base);
    if (mkdtemp(dir) == NULL) {
        perror("bench_age: mkdtemp");
        return 1;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n > 0 ? n : 0] = '\0';
    if (strrchr(self, '/') != NULL)
        *strrchr(self, '/') = '\0';
    snprintf(tool, sizeof(tool), "%s/agetool", self);
    snprintf(plain, sizeof(plain), "%s/plain", dir);
    snprintf(key, sizeof(key), "%s/key.txt", dir);
    snprintf(enc_ours, sizeof(enc_ours), "%s/ours.age", dir);
    snprintf(enc_age, sizeof(enc_age), "%s/age.age", dir);
    snprintf(dec, sizeof(dec), "%s/dec", dir);
    if (make_plaintext(plain, mib) != 0 || age_identity_generate(&id) != 0 ||
        age_identity_file_format(&id, &keyfile) != 0 ||
        (fd = open(key, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
        write(fd, keyfile.p, keyfile.len) != (ssize_t)keyfile.len || close(fd) != 0) {
        fprintf(stderr, "bench_age: setup failed in %s\n", dir);
        return 1;
    }
    age_identity_recipient(&id, &r);
    age_recipient_format(&r, pub);
    {
        char *enc_tool[] = {tool, "encrypt", "-r", pub, "-o", enc_ours, plain, NULL};
        char *enc_age_argv[] = {"age", "-e", "-r", pub, "-o", enc_age, plain, NULL};
        char *dec_tool[] = {tool, "decrypt", "-i", key, "-o", dec, enc_age, NULL};
        char *dec_age_argv[] = {"age", "-d", "-i", key, "-o", dec, enc_age, NULL};

        if (read_all(plain, &mem_plain) != 0)
            return 1;
        for (int i = 0; i < runs; i++) {
            struct verr e;
            double t0;

            dbuf_free(&mem_enc); /* freeing (and zeroing) is not part of the timing */
            t0 = now();
            if (age_encrypt(&r, 1, mem_plain.p, mem_plain.len, 0, &mem_enc, &e) != 0)
                return 1;
            t[ENC_MEM][i] = now() - t0;
            dbuf_free(&mem_dec);
            t0 = now();
            if (age_decrypt(&id, 1, NULL, mem_enc.p, mem_enc.len, &mem_dec, &e) != 0 ||
                mem_dec.len != mem_plain.len)
                return 1;
            t[DEC_MEM][i] = now() - t0;
            t[ENC_OURS][i] = ours_encrypt(&r, plain, enc_ours);
            t[ENC_TOOL][i] = run(enc_tool);
            t[ENC_AGE][i] = run(enc_age_argv);
            t[DEC_OURS][i] = ours_decrypt(&id, enc_age, dec);
            if (i == 0 && !same_file(plain, dec))
                t[DEC_OURS][i] = -1;
            t[DEC_TOOL][i] = run(dec_tool);
            if (i == 0 && !same_file(plain, dec))
                t[DEC_TOOL][i] = -1;
            t[DEC_AGE][i] = run(dec_age_argv);
            /* age must read what we wrote, too. */
            if (i == 0) {
                char *cross[] = {"age", "-d", "-i", key, "-o", dec, enc_ours, NULL};

                if (run(cross) < 0 || !same_file(plain, dec)) {
                    fprintf(stderr, "bench_age: age cannot decrypt our file\n");
                    return 1;
                }
            }
            for (int k = 0; k < NCASES; k++)
                if (t[k][i] < 0) {
                    fprintf(stderr, "bench_age: %s failed (is `age` installed?)\n", names[k]);
                    return 1;
                }
        }
    }
    printf("age, %d MiB random plaintext, %d runs, median wall time (MB = 10^6 bytes)\n\n", mib,
           runs);
    printf("| case | median s | MB/s | vs age binary |\n|---|---:|---:|---:|\n");
    {
        double med[NCASES];

        for (int k = 0; k < NCASES; k++)
            med[k] = median(t[k], runs);
        for (int k = 0; k < NCASES; k++) {
            double ref = k < DEC_MEM ? med[ENC_AGE] : med[DEC_AGE];

            printf("| %s | %.3f | %.0f | %.2fx |\n", names[k], med[k], bytes / med[k] / 1e6,
                   ref / med[k]);
        }
    }
    unlink(plain);
    unlink(key);
    unlink(enc_ours);
    unlink(enc_age);
    unlink(dec);
    rmdir(dir);
    age_identity_clear(&id);
    dbuf_free(&keyfile);
    dbuf_free(&mem_plain);
    dbuf_free(&mem_enc);
    dbuf_free(&mem_dec);
    return 0;
}
