/* src/io/sconv_write.c: write named packed layers as one .sconv (safetensors) file, atomically */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "io/file_util.h"
#include "io/name_index.h"
#include "io/sconv_format.h"
#include "sconv/file.h"
#include "layer/layer_impl.h"

/* One tensor of the file: its name ("<layer>.<suffix>"), dtype, length and encoded bytes. */
typedef struct out_tensor {
    char name[SC_NAME_MAX + 16];
    sc_dtype dtype;
    int64_t count;     /* elements; the shape is [count] */
    uint8_t *bytes;    /* count * dtype size little-endian bytes (sc_malloc'd) */
    int64_t begin;     /* offset in the data buffer */
} out_tensor;

/* Encode count int64/uint16/uint32/float values as `dtype` little-endian bytes. */
static sc_status encode(out_tensor *t, const char *layer, int suffix, sc_dtype dtype,
                        int64_t count, const void *src, int src_bytes)
{
    snprintf(t->name, sizeof t->name, "%s.%s", layer, sc_sconv_suffix[suffix]);
    t->dtype = dtype;
    t->count = count;
    const int size = sc_dtype_size[dtype];
    sc_status st = sc_alloc_array((void **)&t->bytes, (size_t)count, (size_t)size, false, t->name);
    if (st != SC_OK) return st;
    const uint8_t *s = src;
    if (SC_HOST_LE && src_bytes == size) {  /* same width, same byte order: a copy */
        memcpy(t->bytes, src, (size_t)(count * size));
        return SC_OK;
    }
    for (int64_t i = 0; i < count; ++i) {
        uint64_t v;
        if (src_bytes == 8) {
            int64_t x;
            memcpy(&x, s + i * 8, 8);
            v = (uint64_t)x;
        } else if (src_bytes == 2) {
            uint16_t x;
            memcpy(&x, s + i * 2, 2);
            v = x;
        } else {
            uint32_t x;  /* uint32 indices or float bits */
            memcpy(&x, s + i * 4, 4);
            v = x;
        }
        sc_put_le(t->bytes + i * size, v, size);
    }
    return SC_OK;
}

/* Tensors of one layer (3 or 4) and its CRC-32 over row_ptr||col_idx||values||bias. */
static sc_status encode_layer(const sc_layer *l, out_tensor *t, int *n_out, uint32_t *crc)
{
    const sc_dtype rp_dtype = l->nnz <= INT32_MAX ? SC_DT_I32 : SC_DT_I64;
    const sc_dtype ci_dtype = l->index_bytes == 2 ? SC_DT_U16 : SC_DT_U32;
    sc_status st = encode(&t[0], l->name, SC_T_ROW_PTR, rp_dtype, l->rows + 1, l->row_ptr, 8);
    if (st == SC_OK)
        st = encode(&t[1], l->name, SC_T_COL_IDX, ci_dtype, l->nnz, l->col_idx, l->index_bytes);
    if (st == SC_OK) st = encode(&t[2], l->name, SC_T_VALUES, SC_DT_F32, l->nnz, l->val, 4);
    int n = 3;
    if (st == SC_OK && l->bias) {
        st = encode(&t[3], l->name, SC_T_BIAS, SC_DT_F32, l->rows, l->bias, 4);
        n = 4;
    }
    if (st != SC_OK) return st;
    uint32_t c = 0;
    for (int i = 0; i < n; ++i)
        c = sc_crc32_update(c, t[i].bytes, (size_t)(t[i].count * sc_dtype_size[t[i].dtype]));
    *n_out = n;
    *crc = c;
    return SC_OK;
}

/* safetensors' own order: larger dtypes first, then by name, so every tensor is aligned
 * to its element size once the data buffer starts at a multiple of 8. */
static int tensor_cmp(const void *a, const void *b)
{
    const out_tensor *x = *(const out_tensor *const *)a, *y = *(const out_tensor *const *)b;
    const int sx = sc_dtype_size[x->dtype], sy = sc_dtype_size[y->dtype];
    if (sx != sy) return sx > sy ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Set key "<layer>.<key>" of meta to a string; false when jansson refuses (bad UTF-8). */
static bool meta_set(json_t *meta, const char *layer, const char *key, const char *value)
{
    char k[SC_NAME_MAX + 32];
    snprintf(k, sizeof k, "%s.%s", layer, key);
    return json_object_set_new(meta, k, json_string(value)) == 0;
}

static bool layer_metadata(json_t *meta, const sc_layer *l, uint32_t crc)
{
    const sc_conv_params *p = &l->params;
    char s[160];
    bool ok = true;
#define NUM(key, v) (snprintf(s, sizeof s, "%" PRId64, (int64_t)(v)), ok = ok && meta_set(meta, l->name, key, s))
    NUM("oc", l->wd.oc);
    NUM("icg", l->wd.icg);
    NUM("kh", l->wd.kh);
    NUM("kw", l->wd.kw);
    NUM("groups", p->groups);
    NUM("nnz", l->nnz);
#undef NUM
    snprintf(s, sizeof s, "%" PRId64 ",%" PRId64, p->stride_h, p->stride_w);
    ok = ok && meta_set(meta, l->name, "stride", s);
    snprintf(s, sizeof s, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64, p->pad_top,
             p->pad_left, p->pad_bottom, p->pad_right);
    ok = ok && meta_set(meta, l->name, "padding", s);
    snprintf(s, sizeof s, "%" PRId64 ",%" PRId64, p->dil_h, p->dil_w);
    ok = ok && meta_set(meta, l->name, "dilation", s);
    ok = ok && meta_set(meta, l->name, "layout", sc_wlayout_name(l->wd.layout));
    ok = ok && meta_set(meta, l->name, "pack_order", sc_pack_order_name(l->order));
    ok = ok && meta_set(meta, l->name, "method", l->method);
    ok = ok && meta_set(meta, l->name, "method_params", l->method_params);
    snprintf(s, sizeof s, "%.17g", 1.0 - (double)l->nnz / (double)(l->rows * l->cols));
    ok = ok && meta_set(meta, l->name, "sparsity", s);
    if (l->l1_kept == l->l1_kept) {  /* not NaN */
        snprintf(s, sizeof s, "%.17g", l->l1_kept);
        ok = ok && meta_set(meta, l->name, "l1_kept", s);
    }
    if (l->l2_kept == l->l2_kept) {
        snprintf(s, sizeof s, "%.17g", l->l2_kept);
        ok = ok && meta_set(meta, l->name, "l2_kept", s);
    }
    if (l->kind == SC_LAYER_CONV_TRANSPOSE) {  /* absent = conv: conv files stay as they were */
        ok = ok && meta_set(meta, l->name, "kind", sc_layer_kind_name(l->kind));
        snprintf(s, sizeof s, "%" PRId64 ",%" PRId64, l->out_pad_h, l->out_pad_w);
        ok = ok && meta_set(meta, l->name, "output_padding", s);
    }
    snprintf(s, sizeof s, "%08" PRIx32, crc);
    ok = ok && meta_set(meta, l->name, "crc32", s);
    return ok;
}

/* The JSON header: __metadata__ first, then the tensors in data order. */
static sc_status build_header(const sc_layer *const *layers, size_t n, out_tensor **order,
                              size_t n_t, const uint32_t *crc, char **out)
{
    sc_status st = SC_OK;
    json_t *root = json_object(), *meta = json_object(), *names = json_array();
    char *names_text = NULL;
    if (!root || !meta || !names) {
        st = sc_fail(SC_ENOMEM, ".sconv write: cannot allocate the JSON header");
        goto done;
    }
    for (size_t i = 0; i < n; ++i)
        if (json_array_append_new(names, json_string(layers[i]->name)) != 0) {
            st = sc_fail(SC_EINVAL, ".sconv write: layer name '%s' is not valid UTF-8",
                         layers[i]->name);
            goto done;
        }
    names_text = json_dumps(names, JSON_COMPACT);
    int version = SC_SCONV_VERSION_CONV;
    for (size_t i = 0; i < n; ++i)
        if (layers[i]->kind == SC_LAYER_CONV_TRANSPOSE) version = SC_SCONV_VERSION_TRANSPOSE;
    char version_text[16];
    snprintf(version_text, sizeof version_text, "%d", version);
    bool ok = names_text != NULL;
    ok = ok && json_object_set_new(meta, "format", json_string(SC_SCONV_FORMAT)) == 0;
    ok = ok && json_object_set_new(meta, "format_version", json_string(version_text)) == 0;
    ok = ok && json_object_set_new(meta, "layers", json_string(names_text)) == 0;
    for (size_t i = 0; ok && i < n; ++i) ok = layer_metadata(meta, layers[i], crc[i]);
    ok = ok && json_object_set(root, "__metadata__", meta) == 0;
    for (size_t i = 0; ok && i < n_t; ++i) {
        const out_tensor *t = order[i];
        const int64_t end = t->begin + t->count * sc_dtype_size[t->dtype];
        json_t *e = json_pack("{s:s, s:[I], s:[I,I]}", "dtype", sc_dtype_name[t->dtype], "shape",
                              (json_int_t)t->count, "data_offsets", (json_int_t)t->begin,
                              (json_int_t)end);
        ok = e && json_object_set_new(root, t->name, e) == 0;
    }
    char *text = ok ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!text) {
        st = sc_fail(SC_EINVAL, ".sconv write: cannot build the JSON header (a method string "
                     "that is not valid UTF-8, or out of memory)");
        goto done;
    }
    *out = text;
done:
    free(names_text);
    json_decref(names);
    json_decref(meta);
    json_decref(root);
    return st;
}

/* Names must be distinct: sorted once, O(n log n). */
static sc_status check_names(const char *path, const sc_layer *const *layers, size_t n)
{
    sc_name_ref *r = NULL;
    sc_status st = sc_alloc_array((void **)&r, n, sizeof *r, false, ".sconv write: names");
    if (st != SC_OK) return st;
    for (size_t i = 0; i < n; ++i) r[i] = (sc_name_ref){layers[i]->name, i};
    sc_names_sort(r, n);
    size_t j, i;
    if (sc_names_first_repeat(r, n, &j, &i))
        st = sc_fail(SC_EINVAL, ".sconv write '%s': layers %zu and %zu are both named '%s': "
                     "names must be distinct", path, j, i, layers[i]->name);
    sc_free(r);
    return st;
}

static sc_status check_args(const char *path, const sc_layer *const *layers, size_t n)
{
    if (!path || !layers) return sc_fail(SC_EINVAL, ".sconv write: NULL argument");
    if (n == 0) return sc_fail(SC_EINVAL, ".sconv write '%s': no layers to write", path);
    for (size_t i = 0; i < n; ++i)
        if (!layers[i]) return sc_fail(SC_EINVAL, ".sconv write '%s': layer %zu is NULL", path, i);
    sc_status st = check_names(path, layers, n);
    for (size_t i = 0; st == SC_OK && i < n; ++i) {
        if (layers[i]->cols > (INT64_C(1) << 32))
            return sc_fail(SC_EUNSUPPORTED, ".sconv write: layer '%s' has %lld columns: at most "
                           "2^32 fit 32-bit indices", layers[i]->name, (long long)layers[i]->cols);
        st = sc_layer_check_kind(layers[i]->kind, &layers[i]->params, layers[i]->out_pad_h,
                                 layers[i]->out_pad_w);
        if (st == SC_OK) st = sc_layer_validate(layers[i]);
    }
    return st;
}

sc_status sc_file_write(const char *path, const sc_layer *const *layers, size_t n)
{
    sc_status st = check_args(path, layers, n);
    if (st != SC_OK) return st;
    out_tensor *t = NULL, **order = NULL;
    uint32_t *crc = NULL;
    char *header = NULL;
    size_t n_t = 0;
    sc_atomic_file f = {.fd = -1};
    st = sc_alloc_array((void **)&t, n, 4 * sizeof *t, true, ".sconv tensors");
    if (st == SC_OK) st = sc_alloc_array((void **)&order, n, 4 * sizeof *order, false, ".sconv tensors");
    if (st == SC_OK) st = sc_alloc_array((void **)&crc, n, sizeof *crc, false, ".sconv checksums");
    for (size_t i = 0; st == SC_OK && i < n; ++i) {
        int k = 0;
        st = encode_layer(layers[i], t + n_t, &k, &crc[i]);
        n_t += (size_t)k;
    }
    if (st != SC_OK) goto done;
    for (size_t i = 0; i < n_t; ++i) order[i] = &t[i];
    qsort(order, n_t, sizeof *order, tensor_cmp);
    int64_t off = 0;
    for (size_t i = 0; i < n_t; ++i) {
        order[i]->begin = off;
        off += order[i]->count * sc_dtype_size[order[i]->dtype];
    }
    st = build_header(layers, n, order, n_t, crc, &header);
    if (st != SC_OK) goto done;
    /* The data buffer starts at a multiple of 8: pad the header with spaces (allowed). */
    const size_t hlen = strlen(header), padded = (hlen + 7) / 8 * 8;
    uint8_t prefix[8];
    sc_put_le(prefix, padded, 8);
    static const char spaces[8] = "        ";
    st = sc_atomic_open(path, &f);
    if (st == SC_OK) st = sc_atomic_write(&f, prefix, 8);
    if (st == SC_OK) st = sc_atomic_write(&f, header, hlen);
    if (st == SC_OK) st = sc_atomic_write(&f, spaces, padded - hlen);
    for (size_t i = 0; st == SC_OK && i < n_t; ++i)
        st = sc_atomic_write(&f, order[i]->bytes,
                             (size_t)(order[i]->count * sc_dtype_size[order[i]->dtype]));
    if (st == SC_OK) st = sc_atomic_commit(&f);
    else sc_atomic_abort(&f);
done:
    for (size_t i = 0; t && i < 4 * n; ++i) sc_free(t[i].bytes);
    sc_free(t);
    sc_free(order);
    sc_free(crc);
    free(header);  /* from jansson (malloc) */
    return st;
}
