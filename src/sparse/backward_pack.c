/* src/sparse/backward_pack.c: copy activations into zero-framed planes (dY for backward data, x for dW) */
#include <string.h>

#include "sparse/backward_impl.h"

/* Indices t in [*t0, *t1) within [0, nq) with 0 <= t*step + lo < extent. */
static void valid_range(int64_t lo, int64_t step, int64_t extent, int64_t nq, int64_t *t0,
                        int64_t *t1)
{
    int64_t a = lo < 0 ? (-lo + step - 1) / step : 0;
    int64_t b = extent - 1 - lo >= 0 ? (extent - 1 - lo) / step + 1 : 0;
    if (b > nq) b = nq;
    if (a > b) a = b;
    *t0 = a;
    *t1 = b;
}

/* Zero everything of a plane outside rows [i0, i1) x columns [j0, j1). */
static void zero_frame(float *pl, int64_t hq, int64_t wq, int64_t i0, int64_t i1, int64_t j0,
                       int64_t j1)
{
    memset(pl, 0, (size_t)(i0 * wq) * sizeof *pl);
    for (int64_t i = i0; i < i1; ++i) {
        memset(pl + i * wq, 0, (size_t)j0 * sizeof *pl);
        memset(pl + i * wq + j1, 0, (size_t)(wq - j1) * sizeof *pl);
    }
    memset(pl + i1 * wq, 0, (size_t)((hq - i1) * wq) * sizeof *pl);
}

void sc_backward_pack_planes(const float *src, int64_t sC, int64_t sH, int64_t sW, int64_t H,
                             int64_t W, int64_t c0, int64_t c1, int64_t step_h, int64_t step_w,
                             int64_t lo_h, int64_t lo_w, int64_t hq, int64_t wq,
                             int64_t ch_floats, sc_transpose8_fn tr, float *dst)
{
    enum { CB = 16 };  /* channels per block: one 64-byte line of an NHWC pixel */
    int64_t i0, i1, j0, j1;
    valid_range(lo_h, step_h, H, hq, &i0, &i1);
    valid_range(lo_w, step_w, W, wq, &j0, &j1);
    for (int64_t c = c0; c < c1; ++c) zero_frame(dst + c * ch_floats, hq, wq, i0, i1, j0, j1);
    if (i0 == i1 || j0 == j1) return;  /* nothing inside: never form an out-of-range pointer */
    if (sC == 1) {  /* NHWC: 8 pixels x 8 channels per transpose, the edges one by one */
        const int64_t step = step_w * sW;
        for (int64_t i = i0; i < i1; ++i) {
            const float *xr = src + (i * step_h + lo_h) * sH + (j0 * step_w + lo_w) * sW;
            float *d = dst + i * wq;
            const int64_t c8 = c0 + (c1 - c0) / 8 * 8;
            int64_t j = j0;
            for (; j + 8 <= j1; j += 8)  /* pixel blocks outside: channel runs read in order */
                for (int64_t c = c0; c < c8; c += 8) {
                    const float *x8 = xr + (j - j0) * step + c;
                    const float *const rows[8] = {x8, x8 + step, x8 + 2 * step, x8 + 3 * step,
                                                  x8 + 4 * step, x8 + 5 * step, x8 + 6 * step,
                                                  x8 + 7 * step};
                    tr(rows, d + c * ch_floats + j, (size_t)ch_floats);
                }
            for (; j < j1; ++j)
                for (int64_t c = c0; c < c8; ++c) d[c * ch_floats + j] = xr[(j - j0) * step + c];
            for (int64_t c = c8; c < c1; ++c)
                for (int64_t jj = j0; jj < j1; ++jj)
                    d[c * ch_floats + jj] = xr[(jj - j0) * step + c];
        }
        return;
    }
    if (sC < sW) {  /* channel-contiguous runs with a stride: read each pixel's channels once */
        for (int64_t cb = c0; cb < c1; cb += CB) {
            const int64_t nc = c1 - cb < CB ? c1 - cb : CB;
            for (int64_t i = i0; i < i1; ++i) {
                const float *xr = src + cb * sC + (i * step_h + lo_h) * sH +
                                  (j0 * step_w + lo_w) * sW;
                float *d = dst + cb * ch_floats + i * wq;
                for (int64_t j = j0; j < j1; ++j, xr += step_w * sW)
                    for (int64_t c = 0; c < nc; ++c) d[c * ch_floats + j] = xr[c * sC];
            }
        }
        return;
    }
    for (int64_t c = c0; c < c1; ++c) {
        float *pl = dst + c * ch_floats;
        for (int64_t i = i0; i < i1; ++i) {
            const float *xr = src + c * sC + (i * step_h + lo_h) * sH + (j0 * step_w + lo_w) * sW;
            float *d = pl + i * wq;
            if (step_w == 1 && sW == 1) {
                memcpy(d + j0, xr, (size_t)(j1 - j0) * sizeof *d);
            } else {
                for (int64_t j = j0; j < j1; ++j, xr += step_w * sW) d[j] = *xr;
            }
        }
    }
}
