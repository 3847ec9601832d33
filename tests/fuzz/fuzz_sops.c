/*
 * fuzz_sops.c - libFuzzer target: open arbitrary bytes as an encrypted SOPS file with a fixed
 * data key (the first byte picks YAML, JSON, dotenv or binary), and when that works write
 * it back and read the plaintext.  Covers the stores, the metadata parser, the ENC[...]
 * parser and the tree walk.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/sops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    struct sops_file *f = NULL;
    struct dbuf out = DBUF_INIT;
    struct sops_hooks h = {NULL, NULL, "2024-01-02T03:04:05Z"};
    struct verr e;
    enum sops_format fmt;

    if (size < 1)
        return 0;
    fmt = (enum sops_format)(data[0] % 4);
    if (sops_open_with_key((const char *)data + 1, size - 1, fmt, "fuzz", key, SOPS_IGNORE_MAC, &f,
                           &e) == 0) {
        sops_file_plain(f, &out, &e);
        dbuf_reset(&out);
        sops_file_encrypt(f, &h, &out, &e);
        sops_file_free(f);
    }
    sops_is_encrypted((const char *)data + 1, size - 1, fmt);
    dbuf_free(&out);
    return 0;
}
