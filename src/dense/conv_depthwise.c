/* src/dense/conv_depthwise.c: direct depthwise convolution (one input channel per group) */
#include <omp.h>

#include "core/core.h"
#include "dense/dense_impl.h"

/* With icg = 1 a gemm per group would be a 1 x taps x pixels product, all call overhead,
 * so depthwise layers (groups = C, channel multiplier ocg >= 1) run these direct loops:
 *   y[n,o,oh,ow] = act(bias[o] + sum_{kh,kw} w[o,0,kh,kw] * x[n, o/ocg, ih, iw])
 * (plus y's old value before the bias in an accumulating plan)
 * with the taps summed in (kh, kw) order in float, skipping taps in the padding. Both loop
 * nests below use that order, so the result does not depend on the layout or on the
 * thread count (each output element is computed by one thread). */

/* Channels closer together than pixels (NHWC-like): per output pixel, a vector over all
 * output channels, tap by tap; wt is tap-major (wt[tap*oc + o]). */
static void rows_channel_vector(const sc_dense_plan *pl, const float *wt, const float *x,
                                float *y, int64_t n, int64_t oh, float *acc)
{
    const sc_conv_params *p = &pl->p;
    const int64_t oc = pl->oc, ocg = pl->ocg, xc = pl->xs[SC_C];
    const int64_t *xs = pl->xs, *ys = pl->ys;
    for (int64_t ow = 0; ow < pl->ow; ++ow) {
        for (int64_t o = 0; o < oc; ++o) acc[o] = 0.0f;
        for (int64_t kh = 0; kh < pl->kh; ++kh) {
            const int64_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
            if (ih < 0 || ih >= pl->ih) continue;
            for (int64_t kw = 0; kw < pl->kw; ++kw) {
                const int64_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
                if (iw < 0 || iw >= pl->iw) continue;
                const float *restrict xp = x + n * xs[SC_N] + ih * xs[SC_H] + iw * xs[SC_W];
                const float *restrict wrow = wt + (kh * pl->kw + kw) * oc;
                if (ocg == 1 && xc == 1) {
                    #pragma omp simd
                    for (int64_t o = 0; o < oc; ++o) acc[o] += wrow[o] * xp[o];
                } else {
                    for (int64_t o = 0; o < oc; ++o) acc[o] += wrow[o] * xp[(o / ocg) * xc];
                }
            }
        }
        float *yp = y + n * ys[SC_N] + oh * ys[SC_H] + ow * ys[SC_W];
        if (pl->accumulate)
            for (int64_t o = 0; o < oc; ++o) acc[o] += yp[o * ys[SC_C]];
        for (int64_t o = 0; o < oc; ++o)
            yp[o * ys[SC_C]] = sc_epilogue_f32(&pl->ep, acc[o], pl->bias ? pl->bias[o] : 0.0f);
    }
}

/* Pixels closer together than channels (NCHW-like): per output channel and row, a vector
 * over the row's pixels, tap by tap, over the tap's in-range pixel interval only. */
static void row_pixel_vector(const sc_dense_plan *pl, const float *wt, const float *x, float *y,
                             int64_t n, int64_t o, int64_t oh, float *acc)
{
    const sc_conv_params *p = &pl->p;
    const int64_t *xs = pl->xs, *ys = pl->ys;
    const int64_t ow_n = pl->ow, sw = p->stride_w, xw = xs[SC_W];
    const float *xplane = x + n * xs[SC_N] + (o / pl->ocg) * xs[SC_C];
    for (int64_t ow = 0; ow < ow_n; ++ow) acc[ow] = 0.0f;
    for (int64_t kh = 0; kh < pl->kh; ++kh) {
        const int64_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
        if (ih < 0 || ih >= pl->ih) continue;
        const float *xrow = xplane + ih * xs[SC_H];
        for (int64_t kw = 0; kw < pl->kw; ++kw) {
            const float wv = wt[(kh * pl->kw + kw) * pl->oc + o];
            const int64_t shift = kw * p->dil_w - p->pad_left;  /* iw = ow*sw + shift */
            int64_t lo = shift >= 0 ? 0 : (-shift + sw - 1) / sw;
            int64_t hi = pl->iw - shift <= 0 ? 0 : (pl->iw - shift + sw - 1) / sw;
            if (hi > ow_n) hi = ow_n;
            if (lo >= hi) continue;
            const float *restrict xr = xrow + (lo * sw + shift) * xw;
            float *restrict a = acc + lo;
            const int64_t len = hi - lo;
            if (sw * xw == 1) {
                #pragma omp simd
                for (int64_t t = 0; t < len; ++t) a[t] += wv * xr[t];
            } else {
                const int64_t step = sw * xw;
                for (int64_t t = 0; t < len; ++t) a[t] += wv * xr[t * step];
            }
        }
    }
    float *yrow = y + n * ys[SC_N] + o * ys[SC_C] + oh * ys[SC_H];
    const float b = pl->bias ? pl->bias[o] : 0.0f;
    if (pl->accumulate)
        for (int64_t ow = 0; ow < ow_n; ++ow) acc[ow] += yrow[ow * ys[SC_W]];
    for (int64_t ow = 0; ow < ow_n; ++ow) yrow[ow * ys[SC_W]] = sc_epilogue_f32(&pl->ep, acc[ow], b);
}

void sc_dense_depthwise_layout(const sc_dense_plan *pl, int64_t *items, int64_t *acc_len)
{
    const int64_t pix = pl->iw > 1 ? pl->xs[SC_W] : pl->xs[SC_H];
    const bool channel_vector = pl->xs[SC_C] < pix;
    *acc_len = channel_vector ? pl->oc : pl->ow;
    *items = channel_vector ? pl->nb * pl->oh : pl->nb * pl->oc * pl->oh;
}

sc_status sc_dense_depthwise_weights(const sc_dense_plan *pl, const sc_wdesc *wd,
                                     const float *w, float **out)
{
    const int64_t taps = pl->kh * pl->kw, oc = pl->oc;
    float *wt = NULL;
    sc_status st = sc_alloc_array((void **)&wt, (size_t)taps, (size_t)oc * sizeof *wt, false,
                                  "depthwise conv: tap-major weights");
    if (st != SC_OK) return st;
    for (int64_t o = 0; o < oc; ++o)  /* wt[tap*oc + o] = w(o, 0, kh, kw) */
        for (int64_t kh = 0; kh < pl->kh; ++kh)
            for (int64_t kw = 0; kw < pl->kw; ++kw)
                wt[(kh * pl->kw + kw) * oc + o] = w[sc_wdesc_index(wd, o, 0, kh, kw)];
    *out = wt;
    return SC_OK;
}

void sc_dense_depthwise(const sc_dense_plan *pl, const float *x, float *y, int threads,
                        float *acc)
{
    const int64_t oc = pl->oc;
    const int64_t pix = pl->iw > 1 ? pl->xs[SC_W] : pl->xs[SC_H];
    const bool channel_vector = pl->xs[SC_C] < pix;
    int64_t items, acc_len;
    sc_dense_depthwise_layout(pl, &items, &acc_len);
    const float *wt = pl->wmat.a;
    #pragma omp parallel num_threads(threads)
    {
        float *mine = acc + omp_get_thread_num() * acc_len;
        #pragma omp for schedule(static)
        for (int64_t it = 0; it < items; ++it) {
            if (channel_vector) {
                rows_channel_vector(pl, wt, x, y, it / pl->oh, it % pl->oh, mine);
            } else {
                const int64_t oh = it % pl->oh, no = it / pl->oh;
                row_pixel_vector(pl, wt, x, y, no / oc, no % oc, oh, mine);
            }
        }
    }
}
