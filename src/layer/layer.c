/* src/layer/layer.c: sc_layer lifecycle: allocate, pack from dense + mask, unpack, clone */
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "layer/layer_impl.h"

const char *sc_layer_kind_name(sc_layer_kind kind)
{
    return kind == SC_LAYER_CONV ? "conv" : kind == SC_LAYER_CONV_TRANSPOSE ? "conv_transpose"
                                                                            : NULL;
}

sc_status sc_layer_kind_parse(const char *name, sc_layer_kind *out)
{
    if (!out) return sc_fail(SC_EINVAL, "layer kind parse: out must not be NULL");
    if (name && !strcmp(name, "conv")) {
        *out = SC_LAYER_CONV;
        return SC_OK;
    }
    if (name && (!strcmp(name, "conv_transpose") || !strcmp(name, "transposed"))) {
        *out = SC_LAYER_CONV_TRANSPOSE;
        return SC_OK;
    }
    return sc_fail(SC_EINVAL, "layer kind '%s': expected conv or conv_transpose",
                   name ? name : "(null)");
}

sc_status sc_layer_check_kind(sc_layer_kind kind, const sc_conv_params *p, int64_t out_pad_h,
                              int64_t out_pad_w)
{
    if (!p) return sc_fail(SC_EINVAL, "layer: params must not be NULL");
    if (kind != SC_LAYER_CONV && kind != SC_LAYER_CONV_TRANSPOSE)
        return sc_fail(SC_EINVAL, "layer: unknown kind %d (expected conv or conv_transpose)",
                       (int)kind);
    if (kind == SC_LAYER_CONV) {
        if (out_pad_h != 0 || out_pad_w != 0)
            return sc_fail(SC_EINVAL, "layer: output padding %lld,%lld on a conv layer: only a "
                           "conv_transpose layer has an output padding", (long long)out_pad_h,
                           (long long)out_pad_w);
        return SC_OK;
    }
    if (!sc_out_pad_ok(out_pad_h, p->stride_h, p->dil_h))
        return sc_fail(SC_EINVAL, "layer: output padding height %lld must be >= 0 and smaller "
                       "than max(stride %lld, dilation %lld)", (long long)out_pad_h,
                       (long long)p->stride_h, (long long)p->dil_h);
    if (!sc_out_pad_ok(out_pad_w, p->stride_w, p->dil_w))
        return sc_fail(SC_EINVAL, "layer: output padding width %lld must be >= 0 and smaller "
                       "than max(stride %lld, dilation %lld)", (long long)out_pad_w,
                       (long long)p->stride_w, (long long)p->dil_w);
    return SC_OK;
}

sc_pack_options sc_pack_options_default(void)
{
    return (sc_pack_options){.name = "layer", .params = sc_conv_params_default(),
                             .order = SC_PACK_CHW};
}

sc_status sc_layer_set_text(char *dst, size_t cap, const char *src, const char *what)
{
    size_t len = strlen(src);
    if (len >= cap)
        return sc_fail(SC_EINVAL, "%s: %zu bytes, at most %zu allowed", what, len, cap - 1);
    for (size_t i = 0; i < len; ++i)
        if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
            return sc_fail(SC_EINVAL, "%s: control character at byte %zu", what, i);
    memcpy(dst, src, len + 1);
    return SC_OK;
}

void sc_layer_destroy(sc_layer *layer)
{
    if (!layer) return;
    sc_free(layer->row_ptr);
    sc_free(layer->col_idx);
    sc_free(layer->val);
    sc_free(layer->bias);
    sc_free(layer);
}

sc_status sc_layer_alloc(const sc_wdesc *wd, const sc_conv_params *params, sc_pack_order order,
                         int64_t nnz, bool with_bias, sc_layer **out)
{
    sc_status st = sc_wdesc_check(wd);
    if (st == SC_OK) st = sc_conv_params_check(params);
    if (st != SC_OK) return st;
    if (order != SC_PACK_CHW && order != SC_PACK_HWC)
        return sc_fail(SC_EINVAL, "layer: unknown pack order %d", (int)order);
    if (wd->oc % params->groups != 0)
        return sc_fail(SC_EINVAL, "layer: groups = %lld does not divide the %lld output channels",
                       (long long)params->groups, (long long)wd->oc);
    const int64_t cols = wd->icg * wd->kh * wd->kw;  /* checked by sc_wdesc_check */
    if (cols > (INT64_C(1) << 32))
        return sc_fail(SC_EUNSUPPORTED, "layer: icg*kh*kw = %lld columns: at most 2^32 fit the "
                       "32-bit column indices", (long long)cols);
    if (nnz < 0 || nnz > wd->oc * cols)
        return sc_fail(SC_EINVAL, "layer: %lld nonzeros for a %lld x %lld matrix",
                       (long long)nnz, (long long)wd->oc, (long long)cols);
    sc_layer *l = sc_calloc(1, sizeof *l);
    if (!l) return sc_fail(SC_ENOMEM, "layer: cannot allocate");
    l->wd = *wd;
    l->params = *params;
    l->order = order;
    l->rows = wd->oc;
    l->cols = cols;
    l->nnz = nnz;
    l->index_bytes = cols <= 65536 ? 2 : 4;
    l->l1_kept = l->l2_kept = NAN;
    strcpy(l->name, "layer");
    st = sc_alloc_array((void **)&l->row_ptr, (size_t)l->rows + 1, sizeof(int64_t), true, "layer row pointers");
    if (st == SC_OK)
        st = sc_alloc_array(&l->col_idx, (size_t)nnz, (size_t)l->index_bytes, true, "layer column indices");
    if (st == SC_OK)
        st = sc_alloc_array((void **)&l->val, (size_t)nnz, sizeof(float), true, "layer values");
    if (st == SC_OK && with_bias)
        st = sc_alloc_array((void **)&l->bias, (size_t)wd->oc, sizeof(float), true, "layer bias");
    if (st != SC_OK) {
        sc_layer_destroy(l);
        return st;
    }
    *out = l;
    return SC_OK;
}

static inline void set_col(sc_layer *l, int64_t j, int64_t k)
{
    if (l->index_bytes == 2) ((uint16_t *)l->col_idx)[j] = (uint16_t)k;
    else ((uint32_t *)l->col_idx)[j] = (uint32_t)k;
}

static inline bool kept(const float *w, const uint8_t *mask, int64_t idx)
{
    return (mask == NULL || mask[idx] != 0) && w[idx] != 0.0f;
}

/* W = CSR of the kept weights: count (a first pass over the dense weights gives nnz and
 * the energies), allocate, then scatter each row walking k in increasing order, so
 * columns come out sorted and row_ptr is the running count. */
sc_status sc_layer_pack(const sc_wdesc *wd, const float *w, const uint8_t *mask,
                        const sc_pack_options *opt, sc_layer **out)
{
    sc_status st = sc_wdesc_check(wd);
    if (st != SC_OK) return st;
    if (!w || !opt || !out) return sc_fail(SC_EINVAL, "layer pack: NULL argument");
    const int64_t oc = wd->oc, numel = sc_wdesc_numel(wd);
    int64_t nnz = 0;
    double l1_all = 0, l2_all = 0, l1_kept = 0, l2_kept = 0;
    for (int64_t idx = 0; idx < numel; ++idx) {
        if (!isfinite(w[idx]))
            return sc_fail(SC_ENUMERIC, "layer pack: weight %lld is %g: weights must be finite",
                           (long long)idx, (double)w[idx]);
        const double a = fabs((double)w[idx]);
        l1_all += a;
        l2_all += a * a;
        if (kept(w, mask, idx)) {
            ++nnz;
            l1_kept += a;
            l2_kept += a * a;
        }
    }
    for (int64_t o = 0; opt->bias && o < oc; ++o)
        if (!isfinite(opt->bias[o]))
            return sc_fail(SC_ENUMERIC, "layer pack: bias[%lld] is %g: the bias must be finite",
                           (long long)o, (double)opt->bias[o]);
    st = sc_conv_params_check(&opt->params);
    if (st == SC_OK)
        st = sc_layer_check_kind(opt->kind, &opt->params, opt->out_pad_h, opt->out_pad_w);
    if (st != SC_OK) return st;
    if (opt->kind == SC_LAYER_CONV_TRANSPOSE && opt->bias)
        return sc_fail(SC_EINVAL, "layer pack: a conv_transpose layer stores no bias (its bias "
                       "has Cout values, the layer's rows are the Cin = %lld input channels): "
                       "pass it in sc_conv_transpose_options", (long long)oc);
    sc_layer *l = NULL;
    st = sc_layer_alloc(wd, &opt->params, opt->order, nnz, opt->bias != NULL, &l);
    if (st == SC_OK) {
        l->kind = opt->kind;
        l->out_pad_h = opt->out_pad_h;
        l->out_pad_w = opt->out_pad_w;
    }
    if (st == SC_OK) st = sc_layer_set_text(l->name, sizeof l->name, opt->name ? opt->name : "layer", "layer name");
    if (st == SC_OK && opt->method)
        st = sc_layer_set_text(l->method, sizeof l->method, opt->method, "pruning method");
    if (st == SC_OK && opt->method_params)
        st = sc_layer_set_text(l->method_params, sizeof l->method_params, opt->method_params,
                               "pruning method parameters");
    if (st == SC_OK && l->name[0] == '\0') st = sc_fail(SC_EINVAL, "layer name: empty");
    if (st != SC_OK) {
        sc_layer_destroy(l);
        return st;
    }
    int64_t stv[4], j = 0;
    sc_wdesc_strides(wd, stv);
    for (int64_t o = 0; o < oc; ++o) {
        l->row_ptr[o] = j;
        for (int64_t k = 0; k < l->cols; ++k) {
            int64_t i, h, x;
            sc_pack_unk(l->order, wd->icg, wd->kh, wd->kw, k, &i, &h, &x);
            const int64_t idx = o * stv[0] + i * stv[1] + h * stv[2] + x * stv[3];
            if (kept(w, mask, idx)) {
                set_col(l, j, k);
                l->val[j++] = w[idx];
            }
        }
    }
    l->row_ptr[oc] = j;
    if (opt->bias) memcpy(l->bias, opt->bias, (size_t)oc * sizeof(float));
    l->l1_kept = l1_all > 0 ? l1_kept / l1_all : 1.0;  /* nothing to lose: all kept */
    l->l2_kept = l2_all > 0 ? l2_kept / l2_all : 1.0;
    *out = l;
    return SC_OK;
}

sc_status sc_layer_unpack(const sc_layer *l, sc_wlayout layout, float *dst)
{
    if (!l || !dst) return sc_fail(SC_EINVAL, "layer unpack: NULL argument");
    sc_wdesc wd = l->wd;
    wd.layout = layout;
    sc_status st = sc_wdesc_check(&wd);
    if (st != SC_OK) return st;
    memset(dst, 0, (size_t)sc_wdesc_numel(&wd) * sizeof(float));
    sc_csr_view v;
    sc_layer_get_csr(l, &v);
    int64_t stv[4];
    sc_wdesc_strides(&wd, stv);
    for (int64_t o = 0; o < l->rows; ++o)
        for (int64_t j = v.row_ptr[o]; j < v.row_ptr[o + 1]; ++j) {
            int64_t i, h, x;
            sc_pack_unk(l->order, wd.icg, wd.kh, wd.kw, sc_csr_col(&v, j), &i, &h, &x);
            dst[o * stv[0] + i * stv[1] + h * stv[2] + x * stv[3]] = v.val[j];
        }
    return SC_OK;
}

sc_status sc_layer_clone(const sc_layer *src, sc_layer **out)
{
    if (!src || !out) return sc_fail(SC_EINVAL, "layer clone: NULL argument");
    sc_layer *l = NULL;
    sc_status st = sc_layer_alloc(&src->wd, &src->params, src->order, src->nnz, src->bias != NULL, &l);
    if (st != SC_OK) return st;
    memcpy(l->name, src->name, sizeof l->name);
    memcpy(l->method, src->method, sizeof l->method);
    memcpy(l->method_params, src->method_params, sizeof l->method_params);
    l->l1_kept = src->l1_kept;
    l->l2_kept = src->l2_kept;
    l->kind = src->kind;
    l->out_pad_h = src->out_pad_h;
    l->out_pad_w = src->out_pad_w;
    memcpy(l->row_ptr, src->row_ptr, (size_t)(src->rows + 1) * sizeof(int64_t));
    memcpy(l->col_idx, src->col_idx, (size_t)src->nnz * (size_t)src->index_bytes);
    memcpy(l->val, src->val, (size_t)src->nnz * sizeof(float));
    if (src->bias) memcpy(l->bias, src->bias, (size_t)src->rows * sizeof(float));
    *out = l;
    return SC_OK;
}

sc_status sc_layer_get_csr(const sc_layer *l, sc_csr_view *v)
{
    if (!l || !v) return sc_fail(SC_EINVAL, "layer: NULL argument");
    *v = (sc_csr_view){.rows = l->rows, .cols = l->cols, .nnz = l->nnz, .row_ptr = l->row_ptr,
                       .index_bytes = l->index_bytes, .col_idx = l->col_idx, .val = l->val};
    return SC_OK;
}

sc_status sc_layer_get_info(const sc_layer *l, sc_layer_info *info)
{
    if (!l || !info) return sc_fail(SC_EINVAL, "layer: NULL argument");
    const int64_t numel = l->rows * l->cols;
    const int64_t bias_bytes = l->bias ? l->rows * 4 : 0;
    *info = (sc_layer_info){
        .name = l->name, .wdesc = l->wd, .params = l->params, .order = l->order, .nnz = l->nnz,
        .sparsity = 1.0 - (double)l->nnz / (double)numel, .bias = l->bias, .method = l->method,
        .method_params = l->method_params, .l1_kept = l->l1_kept, .l2_kept = l->l2_kept,
        .bytes_packed = (l->rows + 1) * 8 + l->nnz * (l->index_bytes + 4) + bias_bytes,
        .bytes_dense = numel * 4 + bias_bytes, .kind = l->kind, .out_pad_h = l->out_pad_h,
        .out_pad_w = l->out_pad_w};
    return SC_OK;
}

sc_status sc_layer_validate(const sc_layer *l)
{
    sc_csr_view v;
    sc_layer_get_csr(l, &v);
    if (v.row_ptr[0] != 0 || v.row_ptr[v.rows] != v.nnz)
        return sc_fail(SC_EFORMAT, "layer '%s': row pointers must run from 0 to nnz = %lld",
                       l->name, (long long)v.nnz);
    for (int64_t r = 0; r < v.rows; ++r) {
        if (v.row_ptr[r + 1] < v.row_ptr[r] || v.row_ptr[r + 1] > v.nnz)
            return sc_fail(SC_EFORMAT, "layer '%s': row pointer %lld = %lld decreases or passes "
                           "nnz", l->name, (long long)(r + 1), (long long)v.row_ptr[r + 1]);
        int64_t prev = -1;
        for (int64_t j = v.row_ptr[r]; j < v.row_ptr[r + 1]; ++j) {
            const int64_t k = sc_csr_col(&v, j);
            if (k <= prev || k >= v.cols)
                return sc_fail(SC_EFORMAT, "layer '%s': row %lld: column %lld %s", l->name,
                               (long long)r, (long long)k,
                               k >= v.cols ? "is out of range" : "is not strictly increasing");
            if (!isfinite(v.val[j]) || v.val[j] == 0.0f)
                return sc_fail(SC_EFORMAT, "layer '%s': row %lld: value %g must be finite and "
                               "nonzero", l->name, (long long)r, (double)v.val[j]);
            prev = k;
        }
    }
    return SC_OK;
}
