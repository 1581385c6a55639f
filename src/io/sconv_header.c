/* src/io/sconv_header.c: parse and check a safetensors header: lengths, JSON, tensor table */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "io/file_util.h"
#include "io/sconv_format.h"

void sc_st_release(sc_st_file *f)
{
    if (!f) return;
    json_decref(f->root);
    sc_free(f->t);
    memset(f, 0, sizeof *f);
}

/* A non-negative JSON integer, or false. */
static bool get_count(json_t *v, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0) return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

/* Check one tensor entry {"dtype", "shape", "data_offsets"} against the data length. */
static sc_status parse_tensor(const char *name, json_t *e, size_t data_len, sc_st_tensor *t)
{
    if (!json_is_object(e))
        return sc_fail(SC_EFORMAT, ".sconv: tensor '%s': entry is not a JSON object", name);
    const char *key;
    json_t *v;
    json_object_foreach(e, key, v)
        if (strcmp(key, "dtype") && strcmp(key, "shape") && strcmp(key, "data_offsets"))
            return sc_fail(SC_EFORMAT, ".sconv: tensor '%s': unknown field '%s'", name, key);
    json_t *dtype = json_object_get(e, "dtype"), *shape = json_object_get(e, "shape"),
           *offs = json_object_get(e, "data_offsets");
    if (!json_is_string(dtype))
        return sc_fail(SC_EFORMAT, ".sconv: tensor '%s': \"dtype\" missing or not a string", name);
    const int d = sc_dtype_lookup(json_string_value(dtype));
    if (d < 0)
        return sc_fail(SC_EFORMAT, ".sconv: tensor '%s': dtype '%s' is not one of I32, I64, U16, "
                       "U32, F32", name, json_string_value(dtype));
    if (!json_is_array(shape) || json_array_size(shape) > 4)
        return sc_fail(SC_EFORMAT, ".sconv: tensor '%s': \"shape\" must be an array of at most 4 "
                       "extents", name);
    *t = (sc_st_tensor){.name = name, .dtype = (sc_dtype)d, .rank = (int)json_array_size(shape)};
    for (int i = 0; i < t->rank; ++i)
        if (!get_count(json_array_get(shape, (size_t)i), &t->shape[i]))
            return sc_fail(SC_EFORMAT, ".sconv: tensor '%s': shape[%d] is not a non-negative "
                           "integer", name, i);
    t->numel = sc_checked_product(t->shape, t->rank);
    int64_t bytes;
    if (t->numel < 0 || sc_mul_ovf(t->numel, sc_dtype_size[d], &bytes))
        return sc_fail(SC_EFORMAT, ".sconv: tensor '%s': element count overflows", name);
    if (!json_is_array(offs) || json_array_size(offs) != 2 ||
        !get_count(json_array_get(offs, 0), &t->begin) ||
        !get_count(json_array_get(offs, 1), &t->end))
        return sc_fail(SC_EFORMAT, ".sconv: tensor '%s': \"data_offsets\" must be two "
                       "non-negative integers", name);
    if (t->begin > t->end || (uint64_t)t->end > data_len)
        return sc_fail(SC_EFORMAT, ".sconv: tensor '%s': byte range [%lld, %lld) is not inside "
                       "the %zu-byte data buffer", name, (long long)t->begin, (long long)t->end,
                       data_len);
    if (t->end - t->begin != bytes)
        return sc_fail(SC_EFORMAT, ".sconv: tensor '%s': %lld bytes in [%lld, %lld) but dtype %s "
                       "and shape give %lld", name, (long long)(t->end - t->begin),
                       (long long)t->begin, (long long)t->end, sc_dtype_name[d], (long long)bytes);
    return SC_OK;
}

static int by_begin(const void *a, const void *b)
{
    const sc_st_tensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Tensors sorted by begin must tile [0, data_len): no gap, no overlap (safetensors rule). */
static sc_status check_tiling(const sc_st_tensor *t, size_t n, size_t data_len)
{
    int64_t at = 0;
    for (size_t i = 0; i < n; ++i) {
        if (t[i].begin < at)
            return sc_fail(SC_EFORMAT, ".sconv: tensors '%s' and '%s' overlap (byte %lld)",
                           t[i - 1].name, t[i].name, (long long)t[i].begin);
        if (t[i].begin > at)
            return sc_fail(SC_EFORMAT, ".sconv: data bytes [%lld, %lld) belong to no tensor",
                           (long long)at, (long long)t[i].begin);
        at = t[i].end;
    }
    if ((uint64_t)at != data_len)
        return sc_fail(SC_EFORMAT, ".sconv: data bytes [%lld, %zu) belong to no tensor",
                       (long long)at, data_len);
    return SC_OK;
}

sc_status sc_st_parse(const uint8_t *buf, size_t len, sc_st_file *out)
{
    if (len < 8)
        return sc_fail(SC_EFORMAT, ".sconv: file is %zu bytes, shorter than the 8-byte header "
                       "length: truncated, or not a .sconv file", len);
    const uint64_t hlen = sc_get_le(buf, 8);
    const bool json_start = len > 8 && buf[8] == '{';
    if (!json_start || hlen > SC_SCONV_MAX_HEADER) {
        const char *kind = sc_file_sniff(buf, len);  /* another format handed to this reader */
        if (kind)
            return sc_fail(SC_EFORMAT, ".sconv: not a .sconv file: it starts like %s", kind);
    }
    if (len > 8 && !json_start) {
        if (buf[8] >= 0x20 && buf[8] < 0x7f)
            return sc_fail(SC_EFORMAT, ".sconv: not a .sconv file: byte 8, where the JSON header "
                           "must start with '{', is '%c'", buf[8]);
        return sc_fail(SC_EFORMAT, ".sconv: not a .sconv file: byte 8, where the JSON header "
                       "must start with '{', is 0x%02x", buf[8]);
    }
    if (hlen > SC_SCONV_MAX_HEADER)
        return sc_fail(SC_EFORMAT, ".sconv: header length %llu exceeds the limit of %llu bytes",
                       (unsigned long long)hlen, (unsigned long long)SC_SCONV_MAX_HEADER);
    if (hlen > len - 8)
        return sc_fail(SC_EFORMAT, ".sconv: header length %llu but only %zu bytes follow",
                       (unsigned long long)hlen, len - 8);
    if (hlen < 2)
        return sc_fail(SC_EFORMAT, ".sconv: header length %llu: the JSON header needs at least "
                       "'{}'", (unsigned long long)hlen);
    sc_st_file f = {.data = buf + 8 + hlen, .data_len = len - 8 - (size_t)hlen};
    json_error_t err;
    sc_status st = SC_OK;
    f.root = json_loadb((const char *)buf + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &err);
    if (!f.root) {
        st = sc_fail(SC_EFORMAT, ".sconv: header JSON, line %d column %d: %s", err.line,
                     err.column, err.text);
        goto done;
    }
    json_t *root = f.root;
    if (!json_is_object(root)) {
        st = sc_fail(SC_EFORMAT, ".sconv: the JSON header is not an object");
        goto done;
    }
    f.meta = json_object_get(root, "__metadata__");
    if (!json_is_object(f.meta)) {
        st = sc_fail(SC_EFORMAT, ".sconv: \"__metadata__\" is missing or not an object");
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(f.meta, key, v)
        if (!json_is_string(v)) {
            st = sc_fail(SC_EFORMAT, ".sconv: metadata '%s' is not a string", key);
            goto done;
        }
    const size_t n = json_object_size(root) - 1;
    st = sc_alloc_array((void **)&f.t, n, sizeof *f.t, true, ".sconv tensor table");
    if (st != SC_OK) goto done;
    json_object_foreach(root, key, v) {
        if (!strcmp(key, "__metadata__")) continue;
        st = parse_tensor(key, v, f.data_len, &f.t[f.n]);
        if (st != SC_OK) goto done;
        f.n++;
    }
    qsort(f.t, f.n, sizeof *f.t, by_begin);
    st = check_tiling(f.t, f.n, f.data_len);
done:
    if (st == SC_OK) *out = f;
    else sc_st_release(&f);
    return st;
}
