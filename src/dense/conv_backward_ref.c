/* src/dense/conv_backward_ref.c: reference backward data, transposed conv and weight gradient in double */
#include <stdint.h>

#include "core/core.h"
#include "core/epilogue.h"
#include "sconv/backward.h"

static int overlaps(const float *a, int64_t na, const float *b, int64_t nb)
{
    const uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    return a0 < b0 + (uintptr_t)nb * sizeof(float) && b0 < a0 + (uintptr_t)na * sizeof(float);
}

/* The adjoint of the forward conv p (weights wd, w), by direct gathering:
 *   out[n,c,ih,iw] = act(bias[c] + sum w[o, c - g*icg, kh, kw] * in[n,o,oh,ow])
 * over o in c's group g and (kh, kw) with oh*stride_h = ih + pad_top - kh*dil_h exactly,
 * 0 <= oh < in's height (and the same for the width). Products and sums in double in the
 * fixed order (o, kh, kw), one rounding to float. out's extent is the caller's. */
static void gather(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                   const float *bias, const sc_epilogue *ep, const sc_tensor *ind,
                   const float *in, const sc_tensor *outd, float *out)
{
    int64_t ws[4];
    sc_wdesc_strides(wd, ws);
    const int64_t ocg = wd->oc / p->groups, icg = wd->icg;
    const int64_t OH = ind->dims[SC_H], OW = ind->dims[SC_W];
    const int64_t *is = ind->strides, *os = outd->strides;
    for (int64_t n = 0; n < outd->dims[SC_N]; ++n)
        for (int64_t c = 0; c < outd->dims[SC_C]; ++c) {
            const int64_t g = c / icg, i = c % icg;
            for (int64_t ih = 0; ih < outd->dims[SC_H]; ++ih)
                for (int64_t iw = 0; iw < outd->dims[SC_W]; ++iw) {
                    double acc = 0.0;
                    for (int64_t o = g * ocg; o < (g + 1) * ocg; ++o)
                        for (int64_t kh = 0; kh < wd->kh; ++kh) {
                            const int64_t th = ih + p->pad_top - kh * p->dil_h;
                            if (th < 0 || th % p->stride_h != 0 || th / p->stride_h >= OH)
                                continue;
                            for (int64_t kw = 0; kw < wd->kw; ++kw) {
                                const int64_t tw = iw + p->pad_left - kw * p->dil_w;
                                if (tw < 0 || tw % p->stride_w != 0 || tw / p->stride_w >= OW)
                                    continue;
                                const double v = in[n * is[SC_N] + o * is[SC_C] +
                                                    th / p->stride_h * is[SC_H] +
                                                    tw / p->stride_w * is[SC_W]];
                                acc += (double)w[o * ws[0] + i * ws[1] + kh * ws[2] +
                                                 kw * ws[3]] * v;
                            }
                        }
                    const double b = bias ? (double)bias[c] : 0.0;
                    out[n * os[SC_N] + c * os[SC_C] + ih * os[SC_H] + iw * os[SC_W]] =
                        (float)sc_epilogue_f64(ep, acc, b);
                }
        }
}

sc_status sc_conv_bwd_data_reference(const sc_conv_params *p, const sc_wdesc *wd,
                                     const float *w, const sc_tensor *dyd, const float *dy,
                                     const sc_tensor *dxd, float *dx)
{
    if (!w || !dy || !dx)
        return sc_fail(SC_EINVAL, "backward data reference: NULL buffer (weights %s, dY %s, "
                       "dX %s)", w ? "set" : "NULL", dy ? "set" : "NULL", dx ? "set" : "NULL");
    sc_status st = sc_conv_bwd_check(p, wd, dyd, dxd);
    if (st != SC_OK) return st;
    const int64_t span = sc_tensor_span(dxd);
    if (overlaps(dx, span, dy, sc_tensor_span(dyd)) || overlaps(dx, span, w, sc_wdesc_numel(wd)))
        return sc_fail(SC_EINVAL, "backward data reference: dX overlaps dY or the weights");
    const sc_epilogue ep = sc_epilogue_make(NULL);
    gather(p, wd, w, NULL, &ep, dyd, dy, dxd, dx);
    return SC_OK;
}

sc_status sc_conv_transpose_reference(const sc_conv_transpose_params *p, const sc_wdesc *wd,
                                      const float *w, const float *bias,
                                      const sc_activation *act, const sc_tensor *xd,
                                      const float *x, const sc_tensor *yd, float *y)
{
    if (!w || !x || !y)
        return sc_fail(SC_EINVAL, "conv transpose reference: NULL buffer (weights %s, input "
                       "%s, output %s)", w ? "set" : "NULL", x ? "set" : "NULL",
                       y ? "set" : "NULL");
    sc_status st = sc_conv_transpose_check(p, wd, xd, yd);
    if (st == SC_OK) st = sc_activation_check(act);
    if (st != SC_OK) return st;
    const int64_t span = sc_tensor_span(yd);
    if (overlaps(y, span, x, sc_tensor_span(xd)) || overlaps(y, span, w, sc_wdesc_numel(wd)) ||
        (bias && overlaps(y, span, bias, wd->icg * p->groups)))
        return sc_fail(SC_EINVAL, "conv transpose reference: the output overlaps the input, "
                       "the weights or the bias");
    const sc_conv_params fp = sc_conv_transpose_forward_params(p);
    const sc_epilogue ep = sc_epilogue_make(act);
    gather(&fp, wd, w, bias, &ep, xd, x, yd, y);
    return SC_OK;
}

/* dw[o,i,kh,kw] = sum_{n,oh,ow} dy[n,o,oh,ow] * x[n, g*icg+i, ih, iw] with
 * ih = oh*stride_h - pad_top + kh*dil_h inside the input (iw likewise); double sums in the
 * order (n, oh, ow), one rounding. */
sc_status sc_conv_wgrad_reference(const sc_conv_params *p, const sc_wdesc *wd,
                                  const sc_tensor *xd, const float *x, const sc_tensor *dyd,
                                  const float *dy, float *dw)
{
    if (!x || !dy || !dw)
        return sc_fail(SC_EINVAL, "weight gradient reference: NULL buffer (x %s, dY %s, dW %s)",
                       x ? "set" : "NULL", dy ? "set" : "NULL", dw ? "set" : "NULL");
    sc_status st = sc_conv_wgrad_check(p, wd, xd, dyd);
    if (st != SC_OK) return st;
    const int64_t nw = sc_wdesc_numel(wd);
    if (overlaps(dw, nw, x, sc_tensor_span(xd)) || overlaps(dw, nw, dy, sc_tensor_span(dyd)))
        return sc_fail(SC_EINVAL, "weight gradient reference: dW overlaps x or dY");
    int64_t ws[4];
    sc_wdesc_strides(wd, ws);
    const int64_t ocg = wd->oc / p->groups, icg = wd->icg;
    const int64_t H = xd->dims[SC_H], W = xd->dims[SC_W];
    const int64_t *xs = xd->strides, *ys = dyd->strides;
    for (int64_t o = 0; o < wd->oc; ++o) {
        const int64_t c0 = o / ocg * icg;
        for (int64_t i = 0; i < icg; ++i)
            for (int64_t kh = 0; kh < wd->kh; ++kh)
                for (int64_t kw = 0; kw < wd->kw; ++kw) {
                    double acc = 0.0;
                    for (int64_t n = 0; n < dyd->dims[SC_N]; ++n)
                        for (int64_t oh = 0; oh < dyd->dims[SC_H]; ++oh) {
                            const int64_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
                            if (ih < 0 || ih >= H) continue;
                            for (int64_t ow = 0; ow < dyd->dims[SC_W]; ++ow) {
                                const int64_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
                                if (iw < 0 || iw >= W) continue;
                                acc += (double)dy[n * ys[SC_N] + o * ys[SC_C] + oh * ys[SC_H] +
                                                  ow * ys[SC_W]] *
                                       (double)x[n * xs[SC_N] + (c0 + i) * xs[SC_C] +
                                                 ih * xs[SC_H] + iw * xs[SC_W]];
                            }
                        }
                    dw[o * ws[0] + i * ws[1] + kh * ws[2] + kw * ws[3]] = (float)acc;
                }
    }
    return SC_OK;
}
