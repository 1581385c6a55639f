/* src/dense/conv_reference.c: the reference convolution: direct loops, double accumulation */
#include "core/core.h"
#include "dense/dense_impl.h"

/* y[n,o,oh,ow] = act(bias[o] + sum_{i,kh,kw} w[o,i,kh,kw] * x[n, g*icg+i, ih, iw]),
 *   ih = oh*stride_h - pad_top + kh*dil_h,  iw = ow*stride_w - pad_left + kw*dil_w,
 *   g = o / (oc/groups), x = 0 outside the input;
 * products and sums in double in the fixed order (i, kh, kw), bias added in double,
 * the activation applied in double (sc_epilogue_f64), one rounding to float at the end.
 * The order does not depend on any stride, so every layout gives bitwise equal results. */
sc_status sc_conv_reference(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                            const float *bias, const sc_activation *act,
                            const sc_tensor *xd, const float *x,
                            const sc_tensor *yd, float *y)
{
    sc_status st = sc_dense_validate("conv reference", p, wd, w, bias, act, xd, x, yd, y);
    if (st != SC_OK) return st;
    const sc_epilogue ep = sc_epilogue_make(act);
    const int64_t nb = xd->dims[SC_N], ih_n = xd->dims[SC_H], iw_n = xd->dims[SC_W];
    const int64_t oc_n = yd->dims[SC_C], oh_n = yd->dims[SC_H], ow_n = yd->dims[SC_W];
    const int64_t icg = wd->icg, ocg = wd->oc / p->groups;
    const int64_t *xs = xd->strides, *ys = yd->strides;
    int64_t ws[4];  /* weight (o, i, kh, kw) sits at o*ws[0] + i*ws[1] + kh*ws[2] + kw*ws[3] */
    sc_wdesc_strides(wd, ws);
    for (int64_t n = 0; n < nb; ++n)
        for (int64_t o = 0; o < oc_n; ++o) {
            const int64_t c0 = (o / ocg) * icg;  /* first input channel of o's group */
            for (int64_t oh = 0; oh < oh_n; ++oh)
                for (int64_t ow = 0; ow < ow_n; ++ow) {
                    double acc = 0.0;
                    for (int64_t i = 0; i < icg; ++i)
                        for (int64_t kh = 0; kh < wd->kh; ++kh) {
                            const int64_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
                            if (ih < 0 || ih >= ih_n) continue;
                            for (int64_t kw = 0; kw < wd->kw; ++kw) {
                                const int64_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
                                if (iw < 0 || iw >= iw_n) continue;
                                const double xv = x[n * xs[SC_N] + (c0 + i) * xs[SC_C] +
                                                    ih * xs[SC_H] + iw * xs[SC_W]];
                                acc += (double)w[o * ws[0] + i * ws[1] + kh * ws[2] + kw * ws[3]] * xv;
                            }
                        }
                    const double b = bias ? (double)bias[o] : 0.0;
                    y[n * ys[SC_N] + o * ys[SC_C] + oh * ys[SC_H] + ow * ys[SC_W]] =
                        (float)sc_epilogue_f64(&ep, acc, b);
                }
        }
    return SC_OK;
}
