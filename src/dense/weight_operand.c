/* src/dense/weight_operand.c: the weight matrix of the dense gemm, in place or converted once */
#include "core/core.h"
#include "dense/dense_impl.h"

/* W_g(o, k) for k in the plan's reduction order. Three layouts already are a usable
 * matrix: OIHW rows o of (c,kh,kw); OHWI rows o of (kh,kw,c); HWIO rows (kh,kw,c) of o
 * (the transposed matrix, k_rows). For 1x1 kernels both orders are k = c, so every layout
 * is used in place. Otherwise the weights are copied once per call into oc x kdim rows in
 * the wanted order: O(oc*kdim), against O(oc*kdim*pixels) for the convolution itself. */
sc_status sc_dense_weight_operand(const sc_wdesc *wd, const float *w, int64_t groups,
                                  bool hwc_order, sc_dense_mat *out, float **owned)
{
    const int64_t kdim = wd->icg * wd->kh * wd->kw, ocg = wd->oc / groups;
    const bool one = wd->kh == 1 && wd->kw == 1;
    *owned = NULL;
    if (wd->layout == SC_HWIO && (hwc_order || one)) {
        *out = (sc_dense_mat){.a = w, .ld = wd->oc, .k_rows = true, .goff = ocg};
        return SC_OK;
    }
    if (one || (wd->layout == SC_OIHW && !hwc_order) || (wd->layout == SC_OHWI && hwc_order)) {
        *out = (sc_dense_mat){.a = w, .ld = kdim, .k_rows = false, .goff = ocg * kdim};
        return SC_OK;
    }
    float *m = NULL;
    sc_status st = sc_alloc_array((void **)&m, (size_t)wd->oc, (size_t)kdim * sizeof *m, false,
                                  "dense conv: converted weights");
    if (st != SC_OK) return st;
    int64_t s[4];  /* source strides of the logical axes (o, i, h, w) */
    sc_wdesc_strides(wd, s);
    const int64_t so = s[0], si = s[1], sh = s[2], sw = s[3];
    const int64_t icg = wd->icg, kh_n = wd->kh, kw_n = wd->kw;
    for (int64_t o = 0; o < wd->oc; ++o) {
        float *row = m + o * kdim;
        const float *wo = w + o * so;
        if (hwc_order) {  /* k = (kh*kw_n + kw)*icg + i */
            for (int64_t kh = 0; kh < kh_n; ++kh)
                for (int64_t kw = 0; kw < kw_n; ++kw)
                    for (int64_t i = 0; i < icg; ++i)
                        *row++ = wo[kh * sh + kw * sw + i * si];
        } else {          /* k = (i*kh_n + kh)*kw_n + kw */
            for (int64_t i = 0; i < icg; ++i)
                for (int64_t kh = 0; kh < kh_n; ++kh)
                    for (int64_t kw = 0; kw < kw_n; ++kw)
                        *row++ = wo[kh * sh + kw * sw + i * si];
        }
    }
    *out = (sc_dense_mat){.a = m, .ld = kdim, .k_rows = false, .goff = ocg * kdim};
    *owned = m;
    return SC_OK;
}
