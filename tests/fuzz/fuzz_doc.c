/*
 * fuzz_doc.c - libFuzzer target for the document readers fed untrusted bytes: YAML (with
 * comments), JSON and msgpack; whatever parses must also emit and read back.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/doc.h"
#include "lib/doc_msgpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct doc_stream st;
    struct doc *d = NULL;
    struct dbuf out = DBUF_INIT;

    if (size > (1u << 16))
        return 0;
    if (doc_parse_yaml(buf, size, "fuzz", DOC_YAML_COMMENTS, &st, NULL) == 0) {
        for (size_t i = 0; i < st.len; i++) {
            dbuf_reset(&out);
            if (doc_emit_yaml(st.docs[i], &out, 0) == 0) {
                struct doc_stream back;
                if (doc_parse_yaml(out.p ? out.p : "", out.len, "emitted", DOC_YAML_COMMENTS, &back,
                                   NULL) == 0)
                    doc_stream_free(&back);
            }
            dbuf_reset(&out);
            (void)doc_emit_json(st.docs[i], &out, DOC_JSON_PRETTY);
        }
        doc_stream_free(&st);
    }
    if (doc_parse_json(buf, size, "fuzz", &d, NULL) == 0) {
        dbuf_reset(&out);
        (void)doc_emit_json(d, &out, 0);
        doc_free(d);
    }
    d = NULL;
    if (doc_unpack(buf, size, &d, NULL) == 0)
        doc_free(d);
    dbuf_free(&out);
    return 0;
}
