/*
 * fuzz_ref.c - libFuzzer target for the ref grammar and evaluation: ref_find over the
 * input, ref_parse of every body found, ref_walk of each parsed fragment over a fixed
 * document, and ref_eval_value / ref_expand_string / ref_eval_doc through a mock lookup
 * that answers values, maps, lists, errors and "pending" (the asynchronous protocol the
 * daemon's job engine uses), then evaluates again with pending refs resolved.
 * Checked properties (abort on violation): matches lie inside the input and are
 * ordered; errors carry their code; results are documents of the expected shape.
 * Build: CC=clang cmake -S . -B build-fuzz -DVALS_FUZZ=ON -DVALS_TESTS=OFF -DVALS_BENCH=OFF
 * Run:   mkdir -p /tmp/c && build-fuzz/fuzz_ref -max_total_time=60 -max_len=4096 /tmp/c \
 *        tests/fuzz/corpus_ref (new inputs go to the first, writable directory)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/doc.h"
#include "lib/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

struct mock {
    int pending_pass; /* answer "pending" for some refs */
    unsigned calls;
};

static uint32_t hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* A fixed document to walk: {a: {b: c, "d.e": f, list: [x, {y: z}]}, n: 1} */
static struct doc *sample(void)
{
    struct doc *root = doc_map(), *a = doc_map(), *list = doc_list(), *inner = doc_map();

    doc_map_append(inner, doc_strz("y"), doc_strz("z"));
    doc_list_push(list, doc_strz("x"));
    doc_list_push(list, inner);
    doc_map_append(a, doc_strz("b"), doc_strz("c"));
    doc_map_append(a, doc_strz("d.e"), doc_strz("f"));
    doc_map_append(a, doc_strz("list"), list);
    doc_map_append(root, doc_strz("a"), a);
    doc_map_append(root, doc_strz("n"), doc_int(1));
    return root;
}

/* The lookup: the answer depends on the body, like a backend would. */
static int lookup(void *ctx, const char *body, size_t len, int secret, struct doc **out,
                  struct verr *e)
{
    struct mock *m = ctx;
    uint32_t h = hash(body, len) ^ (uint32_t)secret;

    m->calls++;
    CHECK(len <= (size_t)REF_MAX_LEN * 4);
    if (m->pending_pass && (h & 7) == 0)
        return VALS_EPENDING;
    switch ((h >> 3) % 6) {
    case 0:
        return verr_set(e, VALS_ENOT_FOUND, "ref+%.*s: not found", (int)(len > 64 ? 64 : len),
                        body);
    case 1:
        *out = sample();
        break;
    case 2:
        *out = doc_int((int64_t)h);
        break;
    case 3:
        *out = doc_null();
        break;
    default:
        *out = doc_str(body, len); /* echo-like */
        break;
    }
    return *out != NULL ? 0 : VALS_ENOMEM;
}

/* Evaluate with pending answers first, then for real (two passes like a job). */
static void eval_string(const char *s, size_t len, int mode)
{
    for (int pass = 0; pass < 2; pass++) {
        struct mock m = {pass == 0, 0};
        struct ref_eval ev = {lookup, &m, mode & 1, (mode >> 1) & 1, (mode >> 2) & 1};
        struct verr e = {0};
        struct doc *out = NULL;
        char *nested = NULL;
        size_t nlen = 0;
        int rc = ref_eval_value(&ev, s, len, &out, &e);

        CHECK(rc <= 0);
        if (rc == 0)
            CHECK(out != NULL);
        else if (rc != VALS_EPENDING)
            CHECK(e.code == rc);
        doc_free(out);
        out = NULL;
        memset(&e, 0, sizeof(e));
        rc = ref_expand_string(&ev, s, len, &out, &e);
        if (rc == 0)
            CHECK(out != NULL && out->type == DOC_STR);
        doc_free(out);
        memset(&e, 0, sizeof(e));
        rc = ref_resolve_nested(&ev, s, len, &nested, &nlen, &e);
        if (rc == 0)
            CHECK(nested != NULL && strlen(nested) <= nlen);
        free(nested);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s;
    size_t len, from = 0;
    struct ref_match m;
    struct doc *root;
    int mode;

    if (size < 1 || size > 1 << 16)
        return 0;
    mode = data[0];
    s = (const char *)data + 1;
    len = size - 1;

    /* find every ref; parse each; walk its fragment */
    root = sample();
    while (ref_find(s, len, from, &m)) {
        struct ref r;
        struct verr e = {0};
        CHECK(m.start >= from && m.start < m.body_start && m.body_start < m.body_end &&
              m.body_end <= m.end && m.end <= len);
        if (ref_parse(s + m.body_start, m.body_end - m.body_start, &r, &e) == 0) {
            CHECK(r.scheme != NULL && r.key != NULL && r.query != NULL);
            if (r.fragment != NULL) {
                const struct doc *sel = NULL;
                struct verr we = {0};
                int rc = ref_walk(root, r.fragment, "ref+fuzz", &sel, &we);
                CHECK(rc == 0 ? sel != NULL : we.code == rc);
            }
            ref_free(&r);
        } else {
            /* an error says why (the daemon sends this text to the client) */
            CHECK(e.code == VALS_ENOMEM ||
                  ((e.code == VALS_EBAD_REF || e.code == VALS_ETOO_LARGE) && e.msg[0] != '\0'));
        }
        from = m.end > from ? m.end : from + 1;
    }
    CHECK(ref_contains(s, len) == (ref_find(s, len, 0, &m) ? 1 : 0));
    doc_free(root);

    eval_string(s, len, mode);

    /* the same text as a YAML document, evaluated as a whole */
    if (mode & 8) {
        struct doc_stream st = {0};
        struct verr e = {0};
        if (doc_parse_yaml(s, len, "fuzz", DOC_YAML_COMMENTS, &st, &e) == 0) {
            for (size_t i = 0; i < st.len; i++) {
                for (int pass = 0; pass < 2; pass++) {
                    struct mock mk = {pass == 0, 0};
                    struct ref_eval ev = {lookup, &mk, 0, 0, (mode >> 4) & 1};
                    struct doc *out = NULL;
                    struct verr ee = {0};
                    int rc = ref_eval_doc(&ev, st.docs[i], &out, &ee);
                    if (rc == 0)
                        CHECK(out != NULL);
                    doc_free(out);
                }
            }
        }
        doc_stream_free(&st);
    }
    return 0;
}
