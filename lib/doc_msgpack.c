/*
 * doc_msgpack.c - documents <-> msgpack objects (see doc_msgpack.h).
 */
#include <string.h>

#include "doc_msgpack.h"
#include "msgpack_hdr.h"

int doc_pack(const struct doc *d, msgpack_packer *pk)
{
    int r = 0;

    switch (d->type) {
    case DOC_NULL:
        return msgpack_pack_nil(pk) == 0 ? 0 : VALS_ENOMEM;
    case DOC_BOOL:
        return (d->v.b ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) == 0 ? 0 : VALS_ENOMEM;
    case DOC_INT:
        return msgpack_pack_int64(pk, d->v.i) == 0 ? 0 : VALS_ENOMEM;
    case DOC_UINT:
        return msgpack_pack_uint64(pk, d->v.u) == 0 ? 0 : VALS_ENOMEM;
    case DOC_FLOAT:
        return msgpack_pack_double(pk, d->v.f) == 0 ? 0 : VALS_ENOMEM;
    case DOC_STR:
        if (msgpack_pack_str(pk, d->v.s.len) != 0 ||
            msgpack_pack_str_body(pk, d->v.s.ptr, d->v.s.len) != 0)
            return VALS_ENOMEM;
        return 0;
    case DOC_LIST: {
        size_t n = 0;
        for (size_t i = 0; i < d->v.list.len; i++)
            n += d->v.list.items[i]->type != DOC_COMMENT;
        if (msgpack_pack_array(pk, n) != 0)
            return VALS_ENOMEM;
        for (size_t i = 0; i < d->v.list.len && r == 0; i++)
            if (d->v.list.items[i]->type != DOC_COMMENT)
                r = doc_pack(d->v.list.items[i], pk);
        return r;
    }
    case DOC_MAP: {
        size_t n = 0;
        for (size_t i = 0; i < d->v.map.len; i++)
            n += d->v.map.items[i].key->type != DOC_COMMENT;
        if (msgpack_pack_map(pk, n) != 0)
            return VALS_ENOMEM;
        for (size_t i = 0; i < d->v.map.len && r == 0; i++) {
            if (d->v.map.items[i].key->type == DOC_COMMENT)
                continue;
            r = doc_pack(d->v.map.items[i].key, pk);
            if (r == 0)
                r = doc_pack(d->v.map.items[i].val, pk);
        }
        return r;
    }
    default:
        return 0;
    }
}

int doc_from_msgpack(const msgpack_object *o, struct doc **out)
{
    struct doc *d = NULL, *k = NULL, *v = NULL;
    int r = 0;

    *out = NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        d = doc_null();
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        d = doc_bool(o->via.boolean);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        d = doc_uint(o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        d = doc_int(o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        d = doc_float(o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        d = doc_str(o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_BIN:
        d = doc_str(o->via.bin.ptr, o->via.bin.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        if ((d = doc_list()) == NULL)
            return VALS_ENOMEM;
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if ((r = doc_from_msgpack(&o->via.array.ptr[i], &v)) != 0)
                goto fail;
            r = doc_list_push(d, v);
            v = NULL;
            if (r != 0)
                goto fail;
        }
        break;
    case MSGPACK_OBJECT_MAP:
        if ((d = doc_map()) == NULL)
            return VALS_ENOMEM;
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type == MSGPACK_OBJECT_ARRAY || kv->key.type == MSGPACK_OBJECT_MAP) {
                r = VALS_ETYPE;
                goto fail;
            }
            if ((r = doc_from_msgpack(&kv->key, &k)) != 0)
                goto fail;
            if ((r = doc_from_msgpack(&kv->val, &v)) != 0)
                goto fail;
            r = doc_map_append(d, k, v);
            k = v = NULL;
            if (r != 0)
                goto fail;
        }
        break;
    default:
        return VALS_ETYPE;
    }
    if (d == NULL)
        return VALS_ENOMEM;
    *out = d;
    return 0;
fail:
    doc_free(k);
    doc_free(v);
    doc_free(d);
    return r;
}

int doc_unpack(const char *buf, size_t len, struct doc **out, struct verr *e)
{
    msgpack_zone zone;
    msgpack_object obj;
    size_t off = 0;
    int r;

    *out = NULL;
    /* msgpack-c allocates what headers announce: bound the counts by the bytes first */
    switch (mp_validate(buf, len, MP_MAX_DEPTH, &off)) {
    case 1:
        if (off != len)
            return verr_set(e, VALS_EPARSE, "trailing bytes after the msgpack value");
        off = 0;
        break;
    case MP_EXT:
        return verr_set(e, VALS_ETYPE, "msgpack value has an unsupported type");
    case MP_DEEP:
        return verr_set(e, VALS_ETOO_LARGE, "msgpack value nested too deeply");
    case MP_SHORT:
        return verr_set(e, VALS_EPARSE, "truncated msgpack value");
    default:
        return verr_set(e, VALS_EPARSE, "malformed msgpack value");
    }
    if (!msgpack_zone_init(&zone, 2048))
        return VALS_ENOMEM;
    switch (msgpack_unpack(buf, len, &off, &zone, &obj)) {
    case MSGPACK_UNPACK_SUCCESS:
        r = doc_from_msgpack(&obj, out);
        if (r == VALS_ETYPE)
            verr_set(e, r, "msgpack value has an unsupported type");
        break;
    case MSGPACK_UNPACK_EXTRA_BYTES:
        r = verr_set(e, VALS_EPARSE, "trailing bytes after the msgpack value");
        break;
    case MSGPACK_UNPACK_CONTINUE:
        r = verr_set(e, VALS_EPARSE, "truncated msgpack value");
        break;
    case MSGPACK_UNPACK_NOMEM_ERROR:
        r = VALS_ENOMEM;
        break;
    default:
        r = verr_set(e, VALS_EPARSE, "malformed msgpack value");
        break;
    }
    msgpack_zone_destroy(&zone);
    return r;
}
