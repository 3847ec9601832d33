/*
 * yaml_sops_roundtrip.c - test helper: read YAML on stdin and write it back the way sops'
 * YAML store would (comments kept, go-yaml v3 styles, indent 4 or -i N).  The integration
 * test compares its output with tests/oracle/sops_yaml_oracle.go (real go-yaml v3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/doc.h"

int main(int argc, char **argv)
{
    struct dbuf in = DBUF_INIT, out = DBUF_INIT;
    struct doc_stream s;
    struct verr e;
    char buf[65536];
    size_t n;
    int indent = 4, r;

    if (argc == 3 && strcmp(argv[1], "-i") == 0)
        indent = (int)strtol(argv[2], NULL, 10);
    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
        if (dbuf_add(&in, buf, n) != 0)
            return 1;
    r = doc_parse_yaml(in.p != NULL ? in.p : "", in.len, "<stdin>",
                       DOC_YAML_COMMENTS | DOC_YAML_KEEP_MERGE, &s, &e);
    if (r != 0) {
        fprintf(stderr, "error: %s\n", verr_text(&e));
        return 1;
    }
    r = doc_emit_yaml_stream(&s, &out,
                             DOC_EMIT_GO_STYLE | DOC_EMIT_GO_FLOATS | DOC_EMIT_INDENT(indent));
    if (r != 0) {
        fprintf(stderr, "error: emit failed (%d)\n", r);
        return 1;
    }
    fwrite(out.p != NULL ? out.p : "", 1, out.len, stdout);
    doc_stream_free(&s);
    dbuf_free(&in);
    dbuf_free(&out);
    return 0;
}
