/* src/io/sconv_read.c: read .sconv files: check every field, then build the packed layers */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "io/file_util.h"
#include "io/name_index.h"
#include "io/sconv_format.h"
#include "sconv/file.h"
#include "layer/layer_impl.h"

/* Re-raise the current failure as `st` with "<.sconv: layer 'name': " in front. */
static sc_status in_layer(sc_status st, const char *name)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", sc_last_message());
    return sc_fail(st, ".sconv: layer '%s': %s", name, msg);
}

/* Metadata value "<layer>.<key>", or NULL when absent. */
static const char *meta_get(const sc_st_file *f, const char *layer, const char *key)
{
    char k[SC_NAME_MAX + 32];
    snprintf(k, sizeof k, "%s.%s", layer, key);
    return json_string_value(json_object_get(f->meta, k));
}

static sc_status meta_need(const sc_st_file *f, const char *layer, const char *key,
                           const char **out)
{
    *out = meta_get(f, layer, key);
    if (!*out)
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': metadata '%s.%s' is missing", layer, layer,
                       key);
    return SC_OK;
}

/* n comma-separated canonical decimal numbers from "<layer>.<key>". */
static sc_status meta_ints(const sc_st_file *f, const char *layer, const char *key, int n,
                           int64_t *out)
{
    const char *s;
    sc_status st = meta_need(f, layer, key, &s);
    if (st == SC_OK && !sc_meta_parse_list(s, n, out))
        st = sc_fail(SC_EFORMAT, ".sconv: layer '%s': metadata '%s' = \"%s\": expected %d "
                     "non-negative decimal integer%s", layer, key, s, n,
                     n > 1 ? "s separated by commas" : "");
    return st;
}

/* A fraction in [0, 1] written with %.17g (optional when `optional`; NaN when absent). */
static sc_status meta_fraction(const sc_st_file *f, const char *layer, const char *key,
                               bool optional, double *out)
{
    const char *s = meta_get(f, layer, key);
    *out = NAN;
    if (!s && optional) return SC_OK;
    if (!s)
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': metadata '%s.%s' is missing", layer, layer,
                       key);
    char *end = NULL;
    const double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v >= 0.0 && v <= 1.0))
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': metadata '%s' = \"%s\": expected a number "
                       "in [0, 1]", layer, key, s);
    *out = v;
    return SC_OK;
}

/* Conv geometry, layout, order and method strings of a layer from its metadata. */
static sc_status read_geometry(const sc_st_file *f, const char *name, sc_wdesc *wd,
                               sc_conv_params *p, sc_pack_order *order, int64_t *nnz)
{
    int64_t v[4], s[2], pad[4], dil[2], g, n;
    const char *layout, *pack;
    sc_status st = meta_ints(f, name, "oc", 1, &v[0]);
    if (st == SC_OK) st = meta_ints(f, name, "icg", 1, &v[1]);
    if (st == SC_OK) st = meta_ints(f, name, "kh", 1, &v[2]);
    if (st == SC_OK) st = meta_ints(f, name, "kw", 1, &v[3]);
    if (st == SC_OK) st = meta_ints(f, name, "groups", 1, &g);
    if (st == SC_OK) st = meta_ints(f, name, "stride", 2, s);
    if (st == SC_OK) st = meta_ints(f, name, "padding", 4, pad);
    if (st == SC_OK) st = meta_ints(f, name, "dilation", 2, dil);
    if (st == SC_OK) st = meta_ints(f, name, "nnz", 1, &n);
    if (st == SC_OK) st = meta_need(f, name, "layout", &layout);
    if (st == SC_OK) st = meta_need(f, name, "pack_order", &pack);
    if (st != SC_OK) return st;
    if (sc_wlayout_parse(layout, &wd->layout) != SC_OK)
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': layout \"%s\": expected oihw, ohwi or hwio",
                       name, layout);
    if (strcmp(pack, "chw") && strcmp(pack, "hwc"))
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': pack_order \"%s\": expected chw or hwc",
                       name, pack);
    *order = pack[0] == 'c' ? SC_PACK_CHW : SC_PACK_HWC;
    wd->oc = v[0];
    wd->icg = v[1];
    wd->kh = v[2];
    wd->kw = v[3];
    *p = (sc_conv_params){.stride_h = s[0], .stride_w = s[1], .pad_top = pad[0],
                          .pad_left = pad[1], .pad_bottom = pad[2], .pad_right = pad[3],
                          .dil_h = dil[0], .dil_w = dil[1], .groups = g};
    *nnz = n;
    if (sc_wdesc_check(wd) != SC_OK || sc_conv_params_check(p) != SC_OK)
        return in_layer(SC_EFORMAT, name);
    if (wd->oc % g != 0)
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': groups = %lld does not divide oc = %lld",
                       name, (long long)g, (long long)wd->oc);
    const int64_t cols = wd->icg * wd->kh * wd->kw;
    if (cols > (INT64_C(1) << 32))
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': %lld columns: at most 2^32 fit 32-bit "
                       "indices", name, (long long)cols);
    if (n > wd->oc * cols)
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': nnz = %lld exceeds oc*icg*kh*kw = %lld",
                       name, (long long)n, (long long)(wd->oc * cols));
    return SC_OK;
}

/* The optional kind and output padding: absent = conv with output padding 0. A
 * conv_transpose layer needs format_version >= 2 (a version-1 reader would run it as a
 * conv) and an output padding below max(stride, dilation) per axis. */
static sc_status read_kind(const sc_st_file *f, const char *name, int64_t version,
                           const sc_conv_params *p, sc_layer_kind *kind, int64_t op[2])
{
    const char *k = meta_get(f, name, "kind");
    *kind = SC_LAYER_CONV;
    op[0] = op[1] = 0;
    if (k && sc_layer_kind_parse(k, kind) != SC_OK)
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': kind \"%s\": expected conv or "
                       "conv_transpose", name, k);
    if (k && strcmp(k, sc_layer_kind_name(*kind)))  /* only the canonical spellings */
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': kind \"%s\": expected conv or "
                       "conv_transpose", name, k);
    if (*kind == SC_LAYER_CONV_TRANSPOSE && version < SC_SCONV_VERSION_TRANSPOSE)
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': kind conv_transpose needs "
                       "format_version %d, the file says %lld", name, SC_SCONV_VERSION_TRANSPOSE,
                       (long long)version);
    if (meta_get(f, name, "output_padding")) {
        sc_status st = meta_ints(f, name, "output_padding", 2, op);
        if (st != SC_OK) return st;
    }
    if (sc_layer_check_kind(*kind, p, op[0], op[1]) != SC_OK)
        return in_layer(SC_EFORMAT, name);
    return SC_OK;
}

/* dtype and length of tensor t of layer `name`. */
static sc_status check_tensor(const char *name, const sc_st_tensor *t, int suffix, int64_t count,
                              int64_t cols, int64_t nnz)
{
    const char *what = sc_sconv_suffix[suffix];
    const sc_dtype d = t->dtype;
    bool dtype_ok = suffix == SC_T_ROW_PTR ? (d == SC_DT_I64 || (d == SC_DT_I32 && nnz <= INT32_MAX))
                  : suffix == SC_T_COL_IDX ? (d == SC_DT_U32 || (d == SC_DT_U16 && cols <= 65536))
                  : d == SC_DT_F32;
    if (!dtype_ok)
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': %s has dtype %s: expected %s", name, what,
                       sc_dtype_name[d],
                       suffix == SC_T_ROW_PTR ? "I32 (nnz < 2^31) or I64"
                       : suffix == SC_T_COL_IDX ? "U16 (columns <= 65536) or U32" : "F32");
    if (t->rank != 1 || t->shape[0] != count)
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': %s must have shape [%lld]", name, what,
                       (long long)count);
    return SC_OK;
}

/* Decode tensor bytes into a layer array of elem_bytes-wide elements (8: int64 from
 * I32/I64, sign-extended; 2/4: unsigned; floats copied as bit patterns). */
static void decode(const sc_st_file *f, const sc_st_tensor *t, void *dst, int elem_bytes)
{
    const int size = sc_dtype_size[t->dtype];
    const uint8_t *src = f->data + t->begin;
    if (SC_HOST_LE && size == elem_bytes) {  /* same width, same byte order: a copy */
        memcpy(dst, src, (size_t)(t->end - t->begin));
        return;
    }
    for (int64_t i = 0; i < t->numel; ++i) {
        const uint64_t v = sc_get_le(src + i * size, size);
        if (elem_bytes == 8) {
            const int64_t x = t->dtype == SC_DT_I32 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
            memcpy((int64_t *)dst + i, &x, 8);
        } else if (elem_bytes == 2) {
            ((uint16_t *)dst)[i] = (uint16_t)v;
        } else {
            const uint32_t x = (uint32_t)v;
            memcpy((uint32_t *)dst + i, &x, 4);
        }
    }
}

/* Build layer `name` from its tensors (NULL when absent): every check before use. */
static sc_status read_layer(const sc_st_file *f, int64_t version, const char *name,
                            const sc_st_tensor *const *t, sc_layer **out)
{
    sc_wdesc wd = {0};
    sc_conv_params p = {0};
    sc_pack_order order = SC_PACK_CHW;
    int64_t nnz = 0, out_pad[2] = {0, 0};
    sc_layer_kind kind = SC_LAYER_CONV;
    double sparsity = NAN, l1 = NAN, l2 = NAN;
    const char *method, *method_params, *crc_text;
    sc_status st = read_geometry(f, name, &wd, &p, &order, &nnz);
    if (st == SC_OK) st = read_kind(f, name, version, &p, &kind, out_pad);
    if (st == SC_OK) st = meta_need(f, name, "method", &method);
    if (st == SC_OK) st = meta_need(f, name, "method_params", &method_params);
    if (st == SC_OK) st = meta_need(f, name, "crc32", &crc_text);
    if (st == SC_OK) st = meta_fraction(f, name, "sparsity", false, &sparsity);
    if (st == SC_OK) st = meta_fraction(f, name, "l1_kept", true, &l1);
    if (st == SC_OK) st = meta_fraction(f, name, "l2_kept", true, &l2);
    if (st != SC_OK) return st;
    const int64_t cols = wd.icg * wd.kh * wd.kw;
    const double want = 1.0 - (double)nnz / (double)(wd.oc * cols);
    if (fabs(sparsity - want) > 1e-9)
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': sparsity %.17g disagrees with nnz = %lld "
                       "(%.17g)", name, sparsity, (long long)nnz, want);
    if (kind == SC_LAYER_CONV_TRANSPOSE && t[SC_T_BIAS])
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': a conv_transpose layer has no bias "
                       "tensor (its rows are input channels)", name);
    for (int s = 0; s < SC_T_COUNT; ++s) {
        if (!t[s] && s == SC_T_BIAS) continue;
        if (!t[s])
            return sc_fail(SC_EFORMAT, ".sconv: layer '%s': tensor '%s.%s' is missing", name, name,
                           sc_sconv_suffix[s]);
        const int64_t count = s == SC_T_ROW_PTR ? wd.oc + 1 : s == SC_T_BIAS ? wd.oc : nnz;
        st = check_tensor(name, t[s], s, count, cols, nnz);
        if (st != SC_OK) return st;
    }
    uint32_t crc = 0;
    for (int s = 0; s < SC_T_COUNT; ++s)
        if (t[s]) crc = sc_crc32_update(crc, f->data + t[s]->begin, (size_t)(t[s]->end - t[s]->begin));
    char crc_want[16];
    snprintf(crc_want, sizeof crc_want, "%08x", (unsigned)crc);
    if (strcmp(crc_text, crc_want))
        return sc_fail(SC_EFORMAT, ".sconv: layer '%s': checksum mismatch: metadata crc32 \"%s\", "
                       "data %s", name, crc_text, crc_want);
    sc_layer *l = NULL;
    st = sc_layer_alloc(&wd, &p, order, nnz, t[SC_T_BIAS] != NULL, &l);
    if (st == SC_OK) st = sc_layer_set_text(l->name, sizeof l->name, name, "layer name");
    if (st == SC_OK) st = sc_layer_set_text(l->method, sizeof l->method, method, "method");
    if (st == SC_OK)
        st = sc_layer_set_text(l->method_params, sizeof l->method_params, method_params,
                               "method_params");
    if (st != SC_OK) {
        if (st == SC_EINVAL) st = in_layer(SC_EFORMAT, name);
        goto done;
    }
    l->l1_kept = l1;
    l->l2_kept = l2;
    l->kind = kind;
    l->out_pad_h = out_pad[0];
    l->out_pad_w = out_pad[1];
    decode(f, t[SC_T_ROW_PTR], l->row_ptr, 8);
    const sc_st_tensor *ci = t[SC_T_COL_IDX];
    for (int64_t j = 0; j < nnz; ++j) {  /* range first: a wide value must not be truncated */
        const uint64_t k = sc_get_le(f->data + ci->begin + j * sc_dtype_size[ci->dtype],
                                     sc_dtype_size[ci->dtype]);
        if (k >= (uint64_t)cols) {
            st = sc_fail(SC_EFORMAT, ".sconv: layer '%s': column index %llu at position %lld is "
                         "out of range (%lld columns)", name, (unsigned long long)k, (long long)j,
                         (long long)cols);
            goto done;
        }
    }
    decode(f, ci, l->col_idx, l->index_bytes);
    decode(f, t[SC_T_VALUES], l->val, 4);
    if (t[SC_T_BIAS]) {
        decode(f, t[SC_T_BIAS], l->bias, 4);
        for (int64_t o = 0; o < wd.oc; ++o)
            if (!isfinite(l->bias[o])) {
                st = sc_fail(SC_EFORMAT, ".sconv: layer '%s': bias[%lld] = %g is not finite", name,
                             (long long)o, (double)l->bias[o]);
                goto done;
            }
    }
    st = sc_layer_validate(l);
    if (st == SC_OK) {
        *out = l;
        l = NULL;
    }
done:
    sc_layer_destroy(l);
    return st;
}

/* The "layers" metadata: a JSON array of distinct, valid names, and the names sorted (for
 * the duplicate check and for assign). */
static sc_status read_names(const sc_st_file *f, json_t **names, sc_name_ref **sorted)
{
    json_t *v = json_object_get(f->meta, "layers");
    if (!json_is_string(v))
        return sc_fail(SC_EFORMAT, ".sconv: metadata \"layers\" is missing");
    json_error_t err;
    json_t *a = json_loads(json_string_value(v), JSON_REJECT_DUPLICATES, &err);
    sc_name_ref *r = NULL;
    sc_status st = SC_OK;
    if (!json_is_array(a) || json_array_size(a) == 0) {
        st = sc_fail(SC_EFORMAT, ".sconv: metadata \"layers\" must be a non-empty JSON array of "
                     "names");
        goto done;
    }
    const size_t n = json_array_size(a);
    if ((st = sc_alloc_array((void **)&r, n, sizeof *r, false, ".sconv layer names")) != SC_OK)
        goto done;
    for (size_t i = 0; i < n; ++i) {
        const char *s = json_string_value(json_array_get(a, i));
        char tmp[SC_NAME_MAX];
        if (!s || !*s || sc_layer_set_text(tmp, sizeof tmp, s, "layer name") != SC_OK) {
            st = sc_fail(SC_EFORMAT, ".sconv: metadata \"layers\": entry %zu is not a valid layer "
                         "name (1 to %d printable bytes)", i, SC_NAME_MAX - 1);
            goto done;
        }
        r[i] = (sc_name_ref){s, i};
    }
    sc_names_sort(r, n);
    size_t first, second;
    if (sc_names_first_repeat(r, n, &first, &second))
        st = sc_fail(SC_EFORMAT, ".sconv: metadata \"layers\": layer name '%s' appears twice "
                     "(entries %zu and %zu)", json_string_value(json_array_get(a, second)), first,
                     second);
done:
    if (st == SC_OK) {
        *names = a;
        *sorted = r;
    } else {
        json_decref(a);
        sc_free(r);
    }
    return st;
}

/* Which layer and tensor slot a tensor name "<layer>.<suffix>" denotes (a binary search in
 * the sorted names). */
static sc_status assign(const sc_st_tensor *t, const sc_name_ref *sorted, size_t n,
                        const sc_st_tensor **slots)
{
    const char *dot = strrchr(t->name, '.');
    int s = -1;
    for (int k = 0; dot && k < SC_T_COUNT; ++k)
        if (!strcmp(dot + 1, sc_sconv_suffix[k])) s = k;
    const size_t i = s >= 0 ? sc_names_find(sorted, n, t->name, (size_t)(dot - t->name)) : n;
    if (i < n) {
        slots[i * SC_T_COUNT + (size_t)s] = t;  /* unique: JSON keys are unique */
        return SC_OK;
    }
    return sc_fail(SC_EFORMAT, ".sconv: tensor '%s' is not <layer>.row_ptr|col_idx|values|bias "
                   "of a layer listed in metadata \"layers\"", t->name);
}

static sc_status check_format(const sc_st_file *f, int64_t *version)
{
    const char *fmt = json_string_value(json_object_get(f->meta, "format"));
    const char *ver = json_string_value(json_object_get(f->meta, "format_version"));
    int64_t v;
    if (!fmt || strcmp(fmt, SC_SCONV_FORMAT))
        return sc_fail(SC_EFORMAT, ".sconv: metadata \"format\" is %s%s%s, not \"sconv\"",
                       fmt ? "\"" : "", fmt ? fmt : "missing", fmt ? "\"" : "");
    if (!ver || !sc_meta_parse_i64(ver, &v) || v < 1)
        return sc_fail(SC_EFORMAT, ".sconv: metadata \"format_version\" \"%s\" is not a positive "
                       "integer", ver ? ver : "(missing)");
    if (v > SC_SCONV_VERSION)
        return sc_fail(SC_EUNSUPPORTED, ".sconv: format_version %lld is newer than this reader "
                       "(version %d): upgrade sconv", (long long)v, SC_SCONV_VERSION);
    *version = v;
    return SC_OK;
}

void sc_layers_destroy(sc_layer **layers, size_t n)
{
    if (!layers) return;
    for (size_t i = 0; i < n; ++i) sc_layer_destroy(layers[i]);
    sc_free(layers);
}

sc_status sc_file_parse(const void *buf, size_t len, sc_layer ***layers_out, size_t *n_out)
{
    if (!buf || !layers_out || !n_out) return sc_fail(SC_EINVAL, ".sconv parse: NULL argument");
    sc_st_file f = {0};
    json_t *names = NULL;
    sc_name_ref *sorted = NULL;
    const sc_st_tensor **slots = NULL;
    sc_layer **layers = NULL;
    size_t n = 0;
    int64_t version = 0;
    sc_status st = sc_st_parse(buf, len, &f);
    if (st == SC_OK) st = check_format(&f, &version);
    if (st == SC_OK) st = read_names(&f, &names, &sorted);
    if (st != SC_OK) goto done;
    n = json_array_size(names);
    st = sc_alloc_array((void **)&slots, n, SC_T_COUNT * sizeof *slots, true, ".sconv slots");
    if (st == SC_OK) st = sc_alloc_array((void **)&layers, n, sizeof *layers, true, ".sconv layers");
    for (size_t i = 0; st == SC_OK && i < f.n; ++i) st = assign(&f.t[i], sorted, n, slots);
    for (size_t i = 0; st == SC_OK && i < n; ++i)
        st = read_layer(&f, version, json_string_value(json_array_get(names, i)),
                        slots + i * SC_T_COUNT, &layers[i]);
    if (st == SC_OK) {
        *layers_out = layers;
        *n_out = n;
        layers = NULL;
    }
done:
    sc_layers_destroy(layers, n);
    sc_free(slots);
    sc_free(sorted);
    json_decref(names);
    sc_st_release(&f);
    return st;
}

/* Prefix the current failure message with the path. */
static sc_status with_path(sc_status st, const char *path)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", sc_last_message());
    return sc_fail(st, "%s: %s", path, msg);
}

sc_status sc_file_read(const char *path, sc_layer ***layers, size_t *n)
{
    if (!path || !layers || !n) return sc_fail(SC_EINVAL, ".sconv read: NULL argument");
    void *buf = NULL;
    size_t len = 0;
    sc_status st = sc_read_file(path, SIZE_MAX, &buf, &len);
    if (st != SC_OK) return st;
    st = sc_file_parse(buf, len, layers, n);
    if (st != SC_OK) st = with_path(st, path);
    sc_free(buf);
    return st;
}

sc_status sc_layer_load(const char *path, const char *name, sc_layer **out)
{
    if (!path || !out) return sc_fail(SC_EINVAL, ".sconv load: NULL argument");
    sc_layer **all = NULL;
    size_t n = 0;
    sc_status st = sc_file_read(path, &all, &n);
    if (st != SC_OK) return st;
    size_t pick = n;
    if (!name && n == 1) pick = 0;
    for (size_t i = 0; name && i < n; ++i)
        if (!strcmp(all[i]->name, name)) pick = i;
    if (pick == n) {
        char list[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < n && used + 1 < sizeof list; ++i)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s'", i ? ", " : "",
                                     all[i]->name);
        if (used >= sizeof list) strcpy(list + sizeof list - 5, "...");
        st = name ? sc_fail(SC_EINVAL, "%s: no layer named '%s'; the file holds %zu: %s", path,
                            name, n, list)
                  : sc_fail(SC_EINVAL, "%s: holds %zu layers (%s): name the one to load", path,
                            n, list);
    } else {
        *out = all[pick];
        all[pick] = NULL;
    }
    sc_layers_destroy(all, n);
    return st;
}
