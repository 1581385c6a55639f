/* src/dense/pack.c: im2col / im2row: gather a tile of receptive fields for the dense gemm */
#include <string.h>

#include "dense/dense_impl.h"

/* Smallest ow >= 0 with ow*s >= a (s >= 1). */
static int64_t first_at_least(int64_t a, int64_t s)
{
    return a <= 0 ? 0 : (a + s - 1) / s;
}

/* dst[t] = src[t*step]; memcpy only for runs long enough to beat its call (grouped convs
 * copy a few channels per tap). */
static void copy_strided(float *restrict dst, const float *restrict src, int64_t n, int64_t step)
{
    if (step == 1 && n >= 16) {
        memcpy(dst, src, (size_t)n * sizeof *dst);
        return;
    }
    for (int64_t t = 0; t < n; ++t) dst[t] = src[t * step];
}

/* k = (i, kh, kw) rows of np pixels: row k holds x[c0+i, ih(oh,kh), iw(ow,kw)] for the
 * tile's pixels, walked one output row segment at a time; the in-range ow interval of
 * a segment is computed, so the copy loop has no bounds test. */
static void pack_cols(const sc_dense_plan *pl, const float *xg, int64_t p0, int64_t np, float *buf)
{
    const sc_conv_params *p = &pl->p;
    const int64_t xc = pl->xs[SC_C], xh = pl->xs[SC_H], xw = pl->xs[SC_W];
    float *row = buf;
    for (int64_t i = 0; i < pl->icg; ++i)
        for (int64_t kh = 0; kh < pl->kh; ++kh)
            for (int64_t kw = 0; kw < pl->kw; ++kw, row += np) {
                const int64_t shift = kw * p->dil_w - p->pad_left;  /* iw = ow*stride + shift */
                const int64_t lo_all = first_at_least(-shift, p->stride_w);
                const int64_t hi_all = first_at_least(pl->iw - shift, p->stride_w);
                int64_t j = 0, oh = p0 / pl->ow, ow0 = p0 % pl->ow;
                while (j < np) {
                    const int64_t len = pl->ow - ow0 < np - j ? pl->ow - ow0 : np - j;
                    const int64_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
                    float *dst = row + j;
                    if (ih < 0 || ih >= pl->ih) {
                        memset(dst, 0, (size_t)len * sizeof *dst);
                    } else {
                        const int64_t end = ow0 + len;
                        int64_t lo = lo_all < ow0 ? ow0 : lo_all, hi = hi_all > end ? end : hi_all;
                        if (hi < lo) hi = lo;
                        if (lo > end) lo = hi = end;
                        memset(dst, 0, (size_t)(lo - ow0) * sizeof *dst);
                        if (hi > lo)
                            copy_strided(dst + (lo - ow0),
                                         xg + i * xc + ih * xh + (lo * p->stride_w + shift) * xw,
                                         hi - lo, p->stride_w * xw);
                        memset(dst + (hi - ow0), 0, (size_t)(end - hi) * sizeof *dst);
                    }
                    j += len;
                    ++oh;
                    ow0 = 0;
                }
            }
}

/* np rows of k = (kh, kw, i): row j holds the receptive field of pixel p0+j, channels
 * innermost (one contiguous copy per tap when the input's channels are contiguous). */
static void pack_rows(const sc_dense_plan *pl, const float *xg, int64_t p0, int64_t np, float *buf)
{
    const sc_conv_params *p = &pl->p;
    const int64_t xc = pl->xs[SC_C], xh = pl->xs[SC_H], xw = pl->xs[SC_W];
    const int64_t icg = pl->icg, tap_row = pl->kw * icg;
    int64_t oh = p0 / pl->ow, ow = p0 % pl->ow;
    for (int64_t j = 0; j < np; ++j) {
        float *dst = buf + j * pl->kdim;
        for (int64_t kh = 0; kh < pl->kh; ++kh, dst += tap_row) {
            const int64_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
            if (ih < 0 || ih >= pl->ih) {
                memset(dst, 0, (size_t)tap_row * sizeof *dst);
                continue;
            }
            for (int64_t kw = 0; kw < pl->kw; ++kw) {
                const int64_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
                float *d = dst + kw * icg;
                if (iw < 0 || iw >= pl->iw) memset(d, 0, (size_t)icg * sizeof *d);
                else copy_strided(d, xg + ih * xh + iw * xw, icg, xc);
            }
        }
        if (++ow == pl->ow) {
            ow = 0;
            ++oh;
        }
    }
}

void sc_dense_pack(const sc_dense_plan *pl, const float *xg, int64_t p0, int64_t np, float *buf)
{
    if (pl->hwc_order) pack_rows(pl, xg, p0, np, buf);
    else pack_cols(pl, xg, p0, np, buf);
}
