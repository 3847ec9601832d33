/*
 * agetool.c - a tiny command line over lib/age, for the interop tests against the real
 * `age` and `age-keygen` binaries (tests/integration/test_age_interop.sh) and the benchmark.
 *
 *   agetool keygen [-o FILE]                      identity file like age-keygen's
 *   agetool to-recipient [FILE]                   public keys of an identity file (age-keygen -y)
 *   agetool encrypt -r RCPT... [-a] [-o OUT] [IN]  encrypt (armored with -a)
 *   agetool decrypt -i FILE... [-o OUT] [IN]       decrypt (binary or armored)
 *
 * Exit status 0 on success, 1 on failure (message on stderr), 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/age.h"

#define MAX_KEYS 64

/* Print usage and return 2. */
static int usage(void)
{
    fprintf(stderr, "usage: agetool keygen [-o FILE]\n"
                    "       agetool to-recipient [FILE]\n"
                    "       agetool encrypt -r RECIPIENT... [-a] [-o OUT] [IN]\n"
                    "       agetool decrypt -i IDENTITY_FILE... [-o OUT] [IN]\n");
    return 2;
}

/* Read a whole file (or stdin for NULL / "-") into `out`. */
static int read_all(const char *path, struct dbuf *out)
{
    int fd = path == NULL || strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    char buf[65536];
    ssize_t k;
    int r = 0;

    if (fd < 0) {
        fprintf(stderr, "agetool: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((k = read(fd, buf, sizeof(buf))) != 0) {
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 || dbuf_add(out, buf, (size_t)k) != 0) {
            fprintf(stderr, "agetool: cannot read %s\n", path != NULL ? path : "stdin");
            r = -1;
            break;
        }
    }
    explicit_bzero(buf, sizeof(buf));
    if (fd != 0)
        close(fd);
    return r;
}

/* Write all bytes to a descriptor. */
static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t k = write(fd, c, n);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Load and parse an identity file. */
static int load_identities(const char *path, struct age_identity **ids, size_t *n)
{
    struct dbuf text = DBUF_INIT;
    struct verr e;
    int r;

    dbuf_init(&text, (size_t)16 << 20 | 1);
    if (read_all(path, &text) != 0) {
        dbuf_free(&text);
        return -1;
    }
    r = age_identities_parse(text.p != NULL ? text.p : "", text.len, path, ids, n, &e);
    dbuf_free(&text);
    if (r != 0)
        fprintf(stderr, "agetool: %s\n", verr_text(&e));
    return r;
}

/* keygen: write a new identity file. */
static int cmd_keygen(int argc, char **argv)
{
    struct age_identity id;
    struct age_recipient r;
    struct dbuf out = DBUF_INIT;
    char pub[AGE_RECIPIENT_STRLEN + 1];
    const char *path = NULL;
    int c, fd = 1, rc = 1;

    while ((c = getopt(argc, argv, "o:")) != -1) {
        if (c != 'o')
            return usage();
        path = optarg;
    }
    if (optind != argc)
        return usage();
    if (age_identity_generate(&id) != 0 || age_identity_file_format(&id, &out) != 0) {
        fprintf(stderr, "agetool: cannot generate a key\n");
        goto out;
    }
    if (path != NULL && (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
        fprintf(stderr, "agetool: %s: %s\n", path, strerror(errno));
        goto out;
    }
    if (write_all(fd, out.p, out.len) != 0) {
        fprintf(stderr, "agetool: write: %s\n", strerror(errno));
        goto out;
    }
    age_identity_recipient(&id, &r);
    age_recipient_format(&r, pub);
    if (path != NULL)
        fprintf(stderr, "Public key: %s\n", pub);
    rc = 0;
out:
    if (fd > 1)
        close(fd);
    age_identity_clear(&id);
    dbuf_free(&out);
    return rc;
}

/* to-recipient: print the public key of every identity in a file. */
static int cmd_to_recipient(int argc, char **argv)
{
    struct age_identity *ids = NULL;
    size_t n = 0;

    if (argc > 2)
        return usage();
    if (load_identities(argc == 2 ? argv[1] : NULL, &ids, &n) != 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        struct age_recipient r;
        char pub[AGE_RECIPIENT_STRLEN + 1];

        age_identity_recipient(&ids[i], &r);
        age_recipient_format(&r, pub);
        printf("%s\n", pub);
    }
    age_identities_free(ids, n);
    return 0;
}

/* Open input and output files (stdin/stdout by default). */
static int open_io(const char *in, const char *out, int *infd, int *outfd)
{
    *infd = 0;
    *outfd = 1;
    if (in != NULL && strcmp(in, "-") != 0 && (*infd = open(in, O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "agetool: %s: %s\n", in, strerror(errno));
        return -1;
    }
    if (out != NULL && strcmp(out, "-") != 0 &&
        (*outfd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        fprintf(stderr, "agetool: %s: %s\n", out, strerror(errno));
        return -1;
    }
    return 0;
}

/* encrypt: -r RCPT... [-a] [-o OUT] [IN] */
static int cmd_encrypt(int argc, char **argv)
{
    struct age_recipient rcpts[MAX_KEYS];
    const char *out = NULL;
    int c, flags = 0, infd = -1, outfd = -1, rc = 1;
    size_t n = 0;
    struct verr e;

    while ((c = getopt(argc, argv, "r:ao:")) != -1) {
        if (c == 'r') {
            if (n == MAX_KEYS)
                return usage();
            if (age_recipient_parse(optarg, strlen(optarg), &rcpts[n], &e) != 0) {
                fprintf(stderr, "agetool: -r: %s\n", verr_text(&e));
                return 1;
            }
            n++;
        } else if (c == 'a') {
            flags |= AGE_ARMOR;
        } else if (c == 'o') {
            out = optarg;
        } else {
            return usage();
        }
    }
    if (n == 0 || argc - optind > 1)
        return usage();
    if (open_io(optind < argc ? argv[optind] : NULL, out, &infd, &outfd) != 0)
        goto out;
    if (age_encrypt_fd(rcpts, n, infd, outfd, flags, &e) != 0) {
        fprintf(stderr, "agetool: %s\n", verr_text(&e));
        goto out;
    }
    rc = 0;
out:
    if (infd > 0)
        close(infd);
    if (outfd > 1 && close(outfd) != 0)
        rc = 1;
    return rc;
}

/* decrypt: -i FILE... [-o OUT] [IN]; a failed decryption removes OUT. */
static int cmd_decrypt(int argc, char **argv)
{
    struct age_identity *all = NULL;
    size_t nall = 0;
    const char *out = NULL;
    int c, infd = -1, outfd = -1, rc = 1;
    struct verr e;

    while ((c = getopt(argc, argv, "i:o:")) != -1) {
        if (c == 'i') {
            struct age_identity *ids = NULL, *grown;
            size_t n = 0;

            if (load_identities(optarg, &ids, &n) != 0)
                goto out;
            /* Keys are secrets: copy into a fresh array, scrub the old ones. */
            grown = calloc(nall + n, sizeof(*grown));
            if (grown == NULL) {
                age_identities_free(ids, n);
                goto out;
            }
            if (nall > 0)
                memcpy(grown, all, nall * sizeof(*all));
            memcpy(grown + nall, ids, n * sizeof(*ids));
            age_identities_free(all, nall);
            age_identities_free(ids, n);
            all = grown;
            nall += n;
        } else if (c == 'o') {
            out = optarg;
        } else {
            rc = usage();
            goto out;
        }
    }
    if (nall == 0 || argc - optind > 1) {
        rc = usage();
        goto out;
    }
    if (open_io(optind < argc ? argv[optind] : NULL, out, &infd, &outfd) != 0)
        goto out;
    if (age_decrypt_fd(all, nall, NULL, infd, outfd, NULL, &e) != 0) {
        fprintf(stderr, "agetool: %s\n", verr_text(&e));
        if (out != NULL && strcmp(out, "-") != 0)
            unlink(out);
        goto out;
    }
    rc = 0;
out:
    if (infd > 0)
        close(infd);
    if (outfd > 1 && close(outfd) != 0)
        rc = 1;
    age_identities_free(all, nall);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "keygen") == 0)
        return cmd_keygen(argc - 1, argv + 1);
    if (strcmp(argv[1], "to-recipient") == 0)
        return cmd_to_recipient(argc - 1, argv + 1);
    if (strcmp(argv[1], "encrypt") == 0)
        return cmd_encrypt(argc - 1, argv + 1);
    if (strcmp(argv[1], "decrypt") == 0)
        return cmd_decrypt(argc - 1, argv + 1);
    return usage();
}
