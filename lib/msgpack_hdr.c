/*
 * msgpack_hdr.c - reading msgpack element headers without unpacking (see msgpack_hdr.h):
 * the one decoder behind proto/rpc.c's streaming scanner and doc_unpack's validation.
 */
#include "msgpack_hdr.h"

uint64_t mp_be(const unsigned char *p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int mp_element(const unsigned char *p, size_t avail, uint64_t *size, uint64_t *children,
               int *container)
{
    unsigned char b = p[0];
    int hn = 0; /* bytes of a length field */

    *container = 0;
    *children = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
        *size = 1;
        return 1;
    }
    if ((b & 0xf0) == 0x80 || (b & 0xf0) == 0x90) {
        *container = (b & 0xf0) == 0x80 ? 2 : 1;
        *children = (uint64_t)(b & 0x0f);
        *size = 1;
        return 1;
    }
    if ((b & 0xe0) == 0xa0) {
        *size = 1 + (uint64_t)(b & 0x1f);
        return 1;
    }
    switch (b) {
    case 0xca:
        *size = 5;
        return 1;
    case 0xcb:
        *size = 9;
        return 1;
    case 0xcc:
    case 0xd0:
        *size = 2;
        return 1;
    case 0xcd:
    case 0xd1:
        *size = 3;
        return 1;
    case 0xce:
    case 0xd2:
        *size = 5;
        return 1;
    case 0xcf:
    case 0xd3:
        *size = 9;
        return 1;
    case 0xc4:
    case 0xd9:
        hn = 1;
        break;
    case 0xc5:
    case 0xda:
        hn = 2;
        break;
    case 0xc6:
    case 0xdb:
        hn = 4;
        break;
    case 0xdc:
    case 0xde:
        hn = 2;
        *container = b == 0xdc ? 1 : 2;
        break;
    case 0xdd:
    case 0xdf:
        hn = 4;
        *container = b == 0xdd ? 1 : 2;
        break;
    default: /* 0xc1 (never used) and every ext type */
        return b == 0xc1 ? MP_BAD : MP_EXT;
    }
    if (avail < (size_t)(1 + hn))
        return 0;
    if (*container) {
        *children = mp_be(p + 1, hn);
        *size = (uint64_t)(1 + hn);
    } else {
        *size = (uint64_t)(1 + hn) + mp_be(p + 1, hn);
    }
    return 1;
}

int mp_validate(const char *buf, size_t len, unsigned max_depth, size_t *used)
{
    const unsigned char *p = (const unsigned char *)buf;
    uint64_t left[MP_MAX_DEPTH];
    uint64_t pending = 1; /* items still expected, all depths */
    unsigned depth = 0;
    size_t pos = 0;

    if (max_depth > MP_MAX_DEPTH)
        max_depth = MP_MAX_DEPTH;
    while (pos < len) {
        uint64_t size, children;
        int container, r = mp_element(p + pos, len - pos, &size, &children, &container);
        if (r <= 0)
            return r == 0 ? MP_SHORT : r;
        if (size > len - pos)
            return MP_SHORT;
        pos += size;
        pending--;
        if (depth > 0)
            left[depth - 1]--;
        if (container && children > 0) {
            /* every announced item needs at least one more byte */
            if (children > (len - pos) || children * (uint64_t)container > (len - pos) ||
                pending + children * (uint64_t)container > len - pos + 1)
                return MP_SHORT;
            if (depth + 1 > max_depth)
                return MP_DEEP;
            left[depth++] = children * (uint64_t)container;
            pending += children * (uint64_t)container;
        }
        while (depth > 0 && left[depth - 1] == 0)
            depth--;
        if (depth == 0 && pending == 0) {
            *used = pos;
            return 1;
        }
    }
    return MP_SHORT;
}
