/*
 * bcrypt_verify.c - check an htpasswd line against a password with libxcrypt (the same
 * library sprig_crypto.c hashes with): bcrypt_verify 'user:$2y$...' PASSWORD.
 * Exit 0 when the hash matches, 1 when not, 2 on bad usage.
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    struct crypt_data *cd;
    const char *hash;
    int ok;

    if (argc != 3 || (hash = strchr(argv[1], ':')) == NULL) {
        fprintf(stderr, "usage: bcrypt_verify USER:HASH PASSWORD\n");
        return 2;
    }
    hash++;
    cd = calloc(1, sizeof(*cd));
    if (cd == NULL)
        return 2;
    ok = crypt_rn(argv[2], hash, cd, (int)sizeof(*cd)) != NULL && strcmp(cd->output, hash) == 0;
    free(cd);
    return ok ? 0 : 1;
}
