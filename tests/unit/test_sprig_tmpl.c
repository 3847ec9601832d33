/*
 * test_sprig_tmpl.c - Sprig through rmk's template engine, end to end: each case of
 * tests/data/sprig/templates.tsv (Sprig's own template tests and documented examples) is
 * parsed and executed with the Sprig library registered, and the output (or the error)
 * compared with Sprig's expected text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/template/sprig.h"
#include "client/template/tmpl.h"

/* Render text with data; 0 with the output in out, or the error code with e set. */
static int render(const char *text, const struct doc *data, struct dbuf *out, struct verr *e)
{
    struct tmpl *t = tmpl_new("t");
    int r;

    assert_non_null(t);
    assert_int_equal(tmpl_add_funcs(t, sprig_funcs, sprig_nfuncs), 0);
    r = tmpl_parse(t, text, strlen(text), e);
    if (r == 0)
        r = tmpl_execute(t, NULL, data, out, e);
    tmpl_free(t);
    return r;
}

static void test_templates(void **state)
{
    char path[1024], *line = NULL;
    size_t cap = 0, lineno = 0, count = 0, failures = 0;
    const char *dir = getenv("VALS_TEST_DATA");
    FILE *f;

    (void)state;
    snprintf(path, sizeof(path), "%s/sprig/templates.tsv", dir != NULL ? dir : "tests/data");
    f = fopen(path, "r");
    assert_non_null(f);
    while (getline(&line, &cap, f) > 0) {
        char *cols[3] = {line, NULL, NULL};
        struct doc *text = NULL, *want = NULL, *data = NULL;
        struct dbuf out = DBUF_INIT;
        struct verr e;
        int r, ok;

        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        for (int i = 1; i < 3; i++) {
            char *tab = cols[i - 1] != NULL ? strchr(cols[i - 1], '\t') : NULL;
            if (tab != NULL) {
                *tab = '\0';
                cols[i] = tab + 1;
            }
        }
        if (cols[1] == NULL) {
            fail_msg("templates.tsv:%zu: no expected column", lineno);
            continue;
        }
        assert_int_equal(doc_parse_json(cols[0], strlen(cols[0]), "template", &text, &e), 0);
        if (cols[2] != NULL)
            assert_int_equal(doc_parse_json(cols[2], strlen(cols[2]), "data", &data, &e), 0);
        count++;
        verr_clear(&e);
        r = render(text->v.s.ptr, data, &out, &e);
        if (cols[1][0] == '!') {
            ok = r != 0 && strstr(verr_text(&e), cols[1] + 1) != NULL;
        } else {
            assert_int_equal(doc_parse_json(cols[1], strlen(cols[1]), "want", &want, &e), 0);
            ok = want != NULL && r == 0 && out.len == want->v.s.len &&
                 memcmp(out.p != NULL ? out.p : "", want->v.s.ptr, out.len) == 0;
        }
        if (!ok)
            print_error("templates.tsv:%zu: %s\n    want %s\n    got  %s%s\n", lineno,
                        text->v.s.ptr, cols[1], r != 0 ? "error: " : "",
                        r != 0 ? verr_text(&e) : (out.p != NULL ? out.p : ""));
        failures += !ok;
        dbuf_free(&out);
        doc_free(text);
        doc_free(want);
        doc_free(data);
    }
    free(line);
    fclose(f);
    print_message("templates.tsv: %zu cases, %zu failures\n", count, failures);
    assert_true(count > 0);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_templates),
    };

    setenv("TZ", "UTC", 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
