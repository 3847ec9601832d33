/*
 * fuzz_sprig.c - libFuzzer target for the Sprig functions that parse text a template
 * author controls: Go time layouts and values, durations, semver versions and
 * constraints, regular expressions and replacement templates, URLs, base64/base32,
 * JSON, the case converters and wrappers.
 *
 * Input: one selector byte, then NUL-separated string arguments.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "client/template/sprig.h"
#include "client/template/sprig_internal.h"

struct target {
    const char *name;
    const char *sig; /* one letter per argument: s string, i the int 3, m a map, t a time */
};

static const struct target targets[] = {
    {"toDate", "ss"},       {"mustToDate", "ss"},    {"mustDateModify", "st"},
    {"durationRound", "s"}, {"dateInZone", "sis"},   {"semverCompare", "ss"},
    {"semver", "s"},        {"regexFindAll", "ssi"}, {"regexReplaceAll", "sss"},
    {"regexSplit", "ssi"},  {"regexFind", "ss"},     {"urlParse", "s"},
    {"urlJoin", "m"},       {"b64dec", "s"},         {"b32dec", "s"},
    {"fromJson", "s"},      {"snakecase", "s"},      {"camelcase", "s"},
    {"kebabcase", "s"},     {"title", "s"},          {"swapcase", "s"},
    {"quote", "s"},         {"wrapWith", "iss"},     {"abbrevboth", "iis"},
    {"expandenv", "s"},     {"clean", "s"},          {"trimAll", "ss"},
    {"split", "ss"},        {"initials", "s"},       {"nospace", "s"},
    {"replace", "sss"},     {"int64", "s"},          {"float64", "s"},
    {"decryptAES", "ss"},   {"toJson", "m"},         {"regexQuoteMeta", "s"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct target *tg;
    const struct tmpl_func *fn = NULL;
    struct doc *argv[8] = {NULL}, *out = NULL;
    struct tmpl_call call;
    const char *p, *end;
    int argc = 0;

    if (size < 1 || size > 4096)
        return 0;
    tg = &targets[data[0] % (sizeof(targets) / sizeof(targets[0]))];
    for (size_t i = 0; i < sprig_nfuncs; i++)
        if (strcmp(sprig_funcs[i].name, tg->name) == 0)
            fn = &sprig_funcs[i];
    if (fn == NULL)
        return 0;
    p = (const char *)data + 1;
    end = (const char *)data + size;
    for (const char *s = tg->sig; *s != '\0'; s++) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        size_t len = nul != NULL ? (size_t)(nul - p) : (size_t)(end - p);
        struct doc *a = NULL;
        if (*s == 'i') {
            a = doc_int(3);
        } else if (*s == 'm') {
            a = doc_map();
            if (a != NULL && doc_map_set(a, "host", doc_str(p, len)) != 0)
                a = NULL;
            if (a != NULL && doc_map_set(a, "path", doc_str(p, len)) != 0)
                a = NULL;
        } else if (*s == 't') {
            struct sprig_time t;
            memset(&t, 0, sizeof(t));
            t.sec = 1560458379;
            snprintf(t.loc, sizeof(t.loc), "UTC");
            a = sprig_time_doc(&t);
        } else {
            a = doc_str(p, len);
        }
        if (a == NULL)
            goto out;
        argv[argc++] = a;
        if (*s == 's')
            p = nul != NULL ? nul + 1 : end;
    }
    memset(&call, 0, sizeof(call));
    call.name = fn->name;
    if (fn->fn(&call, argv, argc, &out) == 0) {
        struct dbuf b = DBUF_INIT;
        sprig_format_value(out, &b); /* walk the result */
        dbuf_free(&b);
    }
out:
    doc_free(out);
    for (int i = 0; i < argc; i++)
        doc_free(argv[i]);
    return 0;
}
