/*
 * sprig_defaults.c - default, empty, coalesce, all, any, ternary, deepCopy.
 *
 * "Empty" is Sprig's: nil, false, 0, 0.0, and zero-length strings, lists and maps;
 * structs (time.Time, certificates) and pointers (semver) are never empty.
 */
#include "sprig_fns.h"

SPRIG_FN(sprig_default)
{
    /* default DEFAULT GIVEN...: GIVEN[0] unless there is none or it is empty */
    if (argc < 2 || sprig_value_empty(argv[1]))
        return sprig_ret_copy(call, out, argv[0]);
    return sprig_ret_copy(call, out, argv[1]);
}

SPRIG_FN(sprig_empty)
{
    return sprig_ret_bool(call, out, sprig_value_empty(argv[0]));
}

SPRIG_FN(sprig_coalesce)
{
    for (int i = 0; i < argc; i++)
        if (!sprig_value_empty(argv[i]))
            return sprig_ret_copy(call, out, argv[i]);
    return sprig_ret_doc(call, out, doc_null());
}

SPRIG_FN(sprig_all)
{
    for (int i = 0; i < argc; i++)
        if (sprig_value_empty(argv[i]))
            return sprig_ret_bool(call, out, 0);
    return sprig_ret_bool(call, out, 1);
}

SPRIG_FN(sprig_any)
{
    for (int i = 0; i < argc; i++)
        if (!sprig_value_empty(argv[i]))
            return sprig_ret_bool(call, out, 1);
    return sprig_ret_bool(call, out, 0);
}

SPRIG_FN(sprig_ternary)
{
    int v, r;

    if ((r = sprig_arg_bool(call, argv[2], &v)) != 0)
        return r;
    return sprig_ret_copy(call, out, v ? argv[0] : argv[1]);
}

SPRIG_FN(sprig_deep_copy)
{
    return sprig_ret_copy(call, out, argv[0]);
}

SPRIG_FN(sprig_must_deep_copy)
{
    return sprig_ret_copy(call, out, argv[0]);
}
