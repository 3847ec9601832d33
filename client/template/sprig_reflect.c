/*
 * sprig_reflect.c - typeOf, typeIs, typeIsLike, kindOf, kindIs, deepEqual.
 *
 * Type names are Go's (%T) for the values Sprig works with; see sprig.h for how a
 * document maps to a Go type ("go:" tags, defaults per document type).
 */
#include "sprig_fns.h"

SPRIG_FN(sprig_type_of)
{
    char t[64];

    sprig_type_name(argv[0], t, sizeof(t));
    return sprig_ret_str(call, out, t, strlen(t));
}

SPRIG_FN(sprig_kind_of)
{
    const char *k = sprig_kind_name(argv[0]);

    return sprig_ret_str(call, out, k, strlen(k));
}

/* Compare the string argument argv[0] with `name` (optionally also "*" + name). */
static int name_is(struct tmpl_call *call, struct doc *const *argv, struct doc **out,
                   const char *name, int like)
{
    struct sstr want;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &want)) != 0)
        return r;
    if (want.len == strlen(name) && memcmp(want.p, name, want.len) == 0)
        return sprig_ret_bool(call, out, 1);
    return sprig_ret_bool(call, out,
                          like && name[0] == '*' && want.len == strlen(name) - 1 &&
                              memcmp(want.p, name + 1, want.len) == 0);
}

SPRIG_FN(sprig_type_is)
{
    char t[64];

    sprig_type_name(argv[1], t, sizeof(t));
    return name_is(call, argv, out, t, 0);
}

SPRIG_FN(sprig_type_is_like)
{
    char t[64];

    sprig_type_name(argv[1], t, sizeof(t));
    return name_is(call, argv, out, t, 1);
}

SPRIG_FN(sprig_kind_is)
{
    return name_is(call, argv, out, sprig_kind_name(argv[1]), 0);
}

SPRIG_FN(sprig_deep_equal)
{
    return sprig_ret_bool(call, out, sprig_value_equal(argv[0], argv[1]));
}
