/* src/sparse/backward_run.c: the transposed flavour's hooks for the SpMM driver: dY planes and panels in, phase-strided dX stores out */
#include <string.h>

#include "core/core.h"
#include "sparse/backward_impl.h"

void sc_tconv_pack_hook(const void *ctx, const float *x, int64_t c0, int64_t c1, float *dst)
{
    const sc_tconv_plan *tp = ctx;
    const int64_t *is = tp->in.strides;
    sc_backward_pack_planes(x, is[SC_C], is[SC_H], is[SC_W], tp->in.dims[SC_H],
                            tp->in.dims[SC_W], c0, c1, 1, 1, tp->lo_h, tp->lo_w, tp->hq,
                            tp->d.wq, tp->ch_floats, tp->tr, dst);
    /* the slack up to the next plane is read (and discarded) by full-width kernels on a
     * partial last tile: keep it finite */
    const int64_t used = tp->hq * tp->d.wq;
    for (int64_t c = c0; c < c1; ++c)
        memset(dst + c * tp->ch_floats + used, 0,
               (size_t)(tp->ch_floats - used) * sizeof *dst);
}

/* panel[o*TF + i] = dY[o][q0 + i] for i < m (pointwise layers: flat pixel = dY pixel), 8
 * pixels x 8 channels per transpose when channels are contiguous (NHWC), element by element
 * otherwise. */
void sc_tconv_gather_hook(const void *ctx, const float *dy, int64_t q0, int64_t m, float *panel)
{
    const sc_tconv_plan *tp = ctx;
    const int64_t OC = tp->in.dims[SC_C], OW = tp->in.dims[SC_W], TF = tp->d.tile_floats;
    const int64_t sC = tp->in.strides[SC_C], sH = tp->in.strides[SC_H], sW = tp->in.strides[SC_W];
    const float *src[SC_SPMM_TILE_MAX];
    for (int64_t i = 0; i < m; ++i) src[i] = dy + (q0 + i) / OW * sH + (q0 + i) % OW * sW;
    int64_t o = 0;
    if (sC == 1) {  /* pixel blocks outside: each pixel's channel run is read in order */
        const int64_t oc8 = OC / 8 * 8, m8 = m / 8 * 8;
        for (int64_t i = 0; i < m8; i += 8)
            for (int64_t c = 0; c < oc8; c += 8) {
                const float *const rows[8] = {src[i] + c,     src[i + 1] + c, src[i + 2] + c,
                                              src[i + 3] + c, src[i + 4] + c, src[i + 5] + c,
                                              src[i + 6] + c, src[i + 7] + c};
                tp->tr(rows, panel + c * TF + i, (size_t)TF);
            }
        for (int64_t i = m8; i < m; ++i)
            for (int64_t c = 0; c < oc8; ++c) panel[c * TF + i] = src[i][c];
        o = oc8;
    }
    for (; o < OC; ++o)
        for (int64_t i = 0; i < m; ++i) panel[o * TF + i] = src[i][o * sC];
}

/* Phase columns b' in [*j0, *j1) of phase r whose output column (b0 + b')*s + r - pad lies
 * in [0, n). */
static void phase_cols(int64_t b0, int64_t B, int64_t s, int64_t r, int64_t pad, int64_t n,
                       int64_t *j0, int64_t *j1)
{
    const int64_t base = b0 * s + r - pad;  /* output column of b' = 0 */
    int64_t lo = base < 0 ? (-base + s - 1) / s : 0;
    int64_t hi = n - base > 0 ? (n - base + s - 1) / s : 0;
    if (hi > B) hi = B;
    if (lo > hi) lo = hi;
    *j0 = lo;
    *j1 = hi;
}

/* Store channels [c0, c1) of phase (ih, iw) (src: the tile buffer's row of channel c0, rows
 * TF apart; flat pixels [q0, q0 + m)) into dX (y at the image's (n, 0, 0, 0)), one phase-row
 * run at a time, skipping garbage columns and rows or columns in the padding. */
static void store_phase(const sc_tconv_plan *tp, const float *src0, int64_t q0, int64_t m,
                        int64_t ih, int64_t iw, int64_t c0, int64_t c1, float *y)
{
    const sc_conv_params *p = &tp->p;
    const int64_t H = tp->out.dims[SC_H], W = tp->out.dims[SC_W], TF = tp->d.tile_floats;
    const int64_t sC = tp->out.strides[SC_C], sH = tp->out.strides[SC_H];
    const int64_t sW = tp->out.strides[SC_W];
    const int64_t sh = p->stride_h, sw = p->stride_w, wq = tp->d.wq;
    const int64_t rh = tp->res_h[ih], rw = tp->res_w[iw];
    int64_t pj0, pj1;  /* this phase's columns inside dX */
    phase_cols(tp->b0, tp->B, sw, rw, p->pad_left, W, &pj0, &pj1);
    const int64_t nc = c1 - c0, step = sw * sW;
    for (int64_t q = q0; q < q0 + m;) {
        const int64_t a = q / wq, b = q % wq;
        int64_t n = wq - b;  /* flat pixels left in this phase row */
        if (n > q0 + m - q) n = q0 + m - q;
        const int64_t row = (tp->a0 + a) * sh + rh - p->pad_top;
        const int64_t j0 = pj0 > b ? pj0 : b, j1 = pj1 < b + n ? pj1 : b + n;
        q += n;
        if (row < 0 || row >= H || j0 >= j1) continue;
        const float *src = src0 + (q - n - q0) + (j0 - b);
        float *d = y + c0 * sC + row * sH + ((tp->b0 + j0) * sw + rw - p->pad_left) * sW;
        const int64_t nv = j1 - j0;
        if (step == 1) {
            for (int64_t c = 0; c < nc; ++c)
                memcpy(d + c * sC, src + c * TF, (size_t)nv * sizeof *d);
        } else if (sC == 1) {  /* NHWC: 8 channels x 8 pixels per transpose, pixel blocks
                                * outside so each pixel's run fills whole cache lines */
            const int64_t nc8 = nc / 8 * 8, nv8 = nv / 8 * 8;
            for (int64_t i = 0; i < nv8; i += 8) {
                for (int64_t c = 0; c < nc8; c += 8) {
                    const float *s8 = src + c * TF + i;
                    const float *const rows[8] = {s8,          s8 + TF,     s8 + 2 * TF,
                                                  s8 + 3 * TF, s8 + 4 * TF, s8 + 5 * TF,
                                                  s8 + 6 * TF, s8 + 7 * TF};
                    tp->tr(rows, d + i * step + c, (size_t)step);
                }
                for (int64_t l = i; l < i + 8; ++l)
                    for (int64_t c = nc8; c < nc; ++c) d[l * step + c] = src[c * TF + l];
            }
            for (int64_t l = nv8; l < nv; ++l)
                for (int64_t c = 0; c < nc; ++c) d[l * step + c] = src[c * TF + l];
        } else {
            for (int64_t c = 0; c < nc; ++c)
                for (int64_t i = 0; i < nv; ++i) d[c * sC + i * step] = src[c * TF + i];
        }
    }
}

/* Rows [r0, r0 + nb) of a tile are (phase, c) = (r / IC, r % IC): each phase's channel range
 * goes to its own strided positions of dX. */
void sc_tconv_store_hook(const void *ctx, const float *buf, int64_t q0, int64_t m, int64_t r0,
                         int64_t nb, float *y)
{
    const sc_tconv_plan *tp = ctx;
    const int64_t IC = tp->out.dims[SC_C], TF = tp->d.tile_floats;
    for (int64_t ph = r0 / IC; ph * IC < r0 + nb; ++ph) {
        const int64_t c0 = r0 > ph * IC ? r0 - ph * IC : 0;
        const int64_t c1 = r0 + nb < (ph + 1) * IC ? r0 + nb - ph * IC : IC;
        store_phase(tp, buf + (ph * IC + c0 - r0) * TF, q0, m, ph / tp->n_phase_w,
                    ph % tp->n_phase_w, c0, c1, y);
    }
}

sc_status sc_tconv_run(const sc_tconv_plan *tp, const float *in, float *out)
{
    return sc_spmm_drive(&tp->d, tp, in, out);
}
