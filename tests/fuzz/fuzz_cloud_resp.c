/*
 * fuzz_cloud_resp.c - libFuzzer target for the parsers of Vault, Google and Azure answers
 * (daemon/cloud_resp.c) and of Google credentials files (daemon/creds/gcp.c).  The first
 * byte picks the parser, the rest is the body (or the WWW-Authenticate header).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cloud_resp.h"
#include "daemon/creds/gcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *b = (const char *)data + 1;
    size_t n = size - 1;
    struct verr e = {0};
    struct dbuf out = DBUF_INIT;
    struct doc *d = NULL;
    char *tok = NULL, mount[256], type[32], why[16];
    int64_t num = 0;
    int version = 0;

    if (size < 1 || size > (1u << 16))
        return 0;
    switch (data[0] % 10) {
    case 0: {
        struct cloud_error ce;
        cloud_error_parse(400 + data[0], b, n, &ce);
        break;
    }
    case 1:
        (void)cloud_vault_mount(b, n, mount, sizeof(mount), type, sizeof(type), &version, &e);
        break;
    case 2:
        if (cloud_vault_secret(b, n, data[0] & 0x80 ? CLOUD_VAULT_DATA : CLOUD_VAULT_DATA_DATA, &d,
                               &e) == 0 &&
            (d == NULL || d->type != DOC_MAP))
            abort();
        doc_free(d);
        (void)cloud_vault_deleted(b, n, why, sizeof(why));
        break;
    case 3:
        if (cloud_vault_login(b, n, &tok, &num, &e) == 0 && (tok == NULL || tok[0] == '\0'))
            abort();
        free(tok);
        break;
    case 4:
        if (cloud_oauth_token(b, n, &tok, &num, &e) == 0 && (tok == NULL || strchr(tok, ' ')))
            abort();
        free(tok);
        break;
    case 5:
        if (cloud_gcp_access(b, n, &out, &e) != 0 && out.len != 0)
            abort();
        break;
    case 6:
        (void)cloud_azure_secret(b, n, &out, &e);
        break;
    case 7: {
        struct cloud_challenge ch;
        if (cloud_azure_challenge(b, n, &ch, &e) == 0) {
            if (ch.tenant[0] == '\0' || ch.scope[0] == '\0')
                abort();
            (void)cloud_azure_resource_ok(ch.resource, "myvault.vault.azure.net");
        }
        break;
    }
    case 8: {
        struct gcp_creds c;
        memset(&c, 0, sizeof(c));
        (void)gcp_creds_parse(b, n, "fuzz.json", &c, &e);
        gcp_creds_free(&c);
        break;
    }
    default:
        (void)cloud_crc32c(b, n);
        break;
    }
    dbuf_free(&out);
    return 0;
}
