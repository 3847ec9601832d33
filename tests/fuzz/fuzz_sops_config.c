/*
 * fuzz_sops_config.c - libFuzzer target: arbitrary bytes as a .sops.yaml, matched against a
 * fixed path (creation rules, regexes, recipients, key groups, stores).
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/sops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sops_create c;
    struct verr e;

    if (sops_config_parse((const char *)data, size, "fuzz.sops.yaml", "secrets/app.yaml", &c, &e) ==
        0)
        sops_create_clear(&c);
    return 0;
}
