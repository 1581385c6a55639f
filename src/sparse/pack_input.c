/* src/sparse/pack_input.c: copy an image into zero-padded phase planes through its strides */
#include <string.h>

#include "core/core.h"
#include "sparse/sparse_plan.h"
#include "layer/layer_impl.h"

/* Columns j of a phase plane with pw that map to input columns s = j*sw + pw - pad_left
 * inside [0, W): j in [*j0, *j1). */
static void valid_range(int64_t pad, int64_t ph, int64_t s, int64_t extent, int64_t nq,
                        int64_t *j0, int64_t *j1)
{
    int64_t lo = pad - ph > 0 ? (pad - ph + s - 1) / s : 0;
    int64_t hi = extent + pad - ph > 0 ? (extent + pad - ph + s - 1) / s : 0;
    if (hi > nq) hi = nq;
    if (lo > hi) lo = hi;
    *j0 = lo;
    *j1 = hi;
}

/* plane[i][j] = x[c][i*sh + ph - pad_top][j*sw + pw - pad_left], 0 outside the input.
 * Unit-stride rows with stride 1 are copied with memcpy; other strides element by element
 * (what pack_phase_rows leaves: column phases that are not 0..n-1, non-unit column strides). */
static void pack_plane(const sc_sparse_plan *sp, const float *xc, int64_t ph, int64_t pw, float *dst)
{
    const sc_conv_params *p = &sp->layer->params;
    const int64_t H = sp->x.dims[SC_H], W = sp->x.dims[SC_W];
    const int64_t sH = sp->x.strides[SC_H], sW = sp->x.strides[SC_W];
    const int64_t hq = sp->hq, wq = sp->d.wq, sh = p->stride_h, sw = p->stride_w;
    int64_t i0, i1, j0, j1;
    valid_range(p->pad_top, ph, sh, H, hq, &i0, &i1);
    valid_range(p->pad_left, pw, sw, W, wq, &j0, &j1);
    memset(dst, 0, (size_t)(i0 * wq) * sizeof *dst);
    for (int64_t i = i0; i < i1; ++i) {
        float *row = dst + i * wq;
        const float *xr = xc + (i * sh + ph - p->pad_top) * sH;
        const int64_t s0 = j0 * sw + pw - p->pad_left;
        memset(row, 0, (size_t)j0 * sizeof *row);
        if (sw == 1 && sW == 1) {
            memcpy(row + j0, xr + s0, (size_t)(j1 - j0) * sizeof *row);
        } else {
            const float *xs = xr + s0 * sW;
            const int64_t step = sw * sW;
            for (int64_t j = j0; j < j1; ++j, xs += step) row[j] = *xs;
        }
        memset(row + j1, 0, (size_t)(wq - j1) * sizeof *row);
    }
    memset(dst + i1 * wq, 0, (size_t)((hq - i1) * wq) * sizeof *dst);
}

/* Column phases a row pass can fill at once (a kernel wider than this keeps pack_plane). */
enum { MAX_ROW_PHASES = 8 };

/* Unit-stride rows, stride sw >= 2, used column phases 0..np-1 (np = n_phase_w): the
 * planes (c, ph, pw) for every pw, plane pw at dst + pw * plane_floats, in one pass over
 * each input row instead of one per phase. Group k (input columns k*sw - pad_left + pw,
 * pw < np) goes through the deinterleave kernel when all its columns lie inside the row
 * and k < wq: k in [ka, kb); the columns before and after element by element, so nothing
 * outside the row is read. */
static void pack_phase_rows(const sc_sparse_plan *sp, const float *xc, int64_t ph, float *dst)
{
    const sc_conv_params *p = &sp->layer->params;
    const int64_t H = sp->x.dims[SC_H], W = sp->x.dims[SC_W], sH = sp->x.strides[SC_H];
    const int64_t hq = sp->hq, wq = sp->d.wq, sh = p->stride_h, sw = p->stride_w;
    const int64_t np = sp->n_phase_w, S = sp->plane_floats;
    int64_t i0, i1, ka, kb, unused, j0[MAX_ROW_PHASES], j1[MAX_ROW_PHASES];
    valid_range(p->pad_top, ph, sh, H, hq, &i0, &i1);
    valid_range(p->pad_left, 0, sw, W, wq, &ka, &unused);       /* first column inside */
    valid_range(p->pad_left, np - 1, sw, W, wq, &unused, &kb);  /* last phase's end */
    for (int64_t pw = 0; pw < np; ++pw) {
        valid_range(p->pad_left, pw, sw, W, wq, &j0[pw], &j1[pw]);
        memset(dst + pw * S, 0, (size_t)(i0 * wq) * sizeof *dst);
        memset(dst + pw * S + i1 * wq, 0, (size_t)((hq - i1) * wq) * sizeof *dst);
    }
    const int kernel = ka < kb;
    const int64_t a = kernel ? ka : wq, b = kernel ? kb : wq;  /* by element: [0, a), [b, wq) */
    for (int64_t i = i0; i < i1; ++i) {
        const float *xr = xc + (i * sh + ph - p->pad_top) * sH;
        float *rows[MAX_ROW_PHASES];
        for (int64_t pw = 0; pw < np; ++pw) {
            float *row = dst + pw * S + i * wq;
            const int64_t lo = j0[pw], hi = j1[pw], off = pw - p->pad_left;
            /* the padding and the columns beside the kernel's groups are a column or two:
             * one loop each instead of memset calls */
            for (int64_t j = 0; j < a; ++j) row[j] = j >= lo && j < hi ? xr[j * sw + off] : 0.0f;
            for (int64_t j = b; j < wq; ++j) row[j] = j >= lo && j < hi ? xr[j * sw + off] : 0.0f;
            rows[pw] = row + ka;
        }
        if (kernel)
            sp->deinterleave(xr + ka * sw - p->pad_left, (size_t)(kb - ka), (size_t)sw,
                             (size_t)np, rows);
    }
}

/* 8 channels of a pixel in the padding, for the transposes. */
static const float zero_px[8];

/* Channel-contiguous input (strides[C] == 1, e.g. NHWC), any stride: per used phase, blocks
 * of 8 columns x 8 channels of a plane row go through the 8x8 transpose kernel (32-byte runs
 * on both sides), a column in the padding reading zero_px; a row's last block overlaps the
 * one before when wq is not a multiple of 8. Rows under 8 columns and channels beyond the
 * last 8-block go element by element. Each input row is visited once for all its column
 * phases, while its pixels are in cache. */
static void pack_channels_last(const sc_sparse_plan *sp, const float *x, int64_t c0,
                               int64_t c1, float *dst)
{
    const sc_conv_params *p = &sp->layer->params;
    const int64_t H = sp->x.dims[SC_H], W = sp->x.dims[SC_W];
    const int64_t sH = sp->x.strides[SC_H], sW = sp->x.strides[SC_W];
    const int64_t hq = sp->hq, wq = sp->d.wq, S = sp->plane_floats;
    const int64_t sh = p->stride_h, sw = p->stride_w, npw = sp->n_phase_w;
    const int64_t CS = sp->n_phase * sp->n_copy * S;  /* from a channel's planes to the next's */
    for (int64_t ih = 0; ih < sp->n_phase_h; ++ih) {
        const int64_t ph = sp->res_h[ih];
        int64_t i0, i1;
        valid_range(p->pad_top, ph, sh, H, hq, &i0, &i1);
        for (int64_t iw = 0; iw < npw; ++iw)  /* the padding rows; columns come with each row */
            for (int64_t c = c0; c < c1; ++c) {
                float *pl = dst + c * CS + (ih * npw + iw) * S;
                memset(pl, 0, (size_t)(i0 * wq) * sizeof *pl);
                memset(pl + i1 * wq, 0, (size_t)((hq - i1) * wq) * sizeof *pl);
            }
        for (int64_t i = i0; i < i1; ++i)
            for (int64_t iw = 0; iw < npw; ++iw) {
                const int64_t pw = sp->res_w[iw], step = sw * sW;
                int64_t j0, j1;
                valid_range(p->pad_left, pw, sw, W, wq, &j0, &j1);
                /* pixel j0 of the phase */
                const float *xr = x + (i * sh + ph - p->pad_top) * sH +
                                  (j0 * sw + pw - p->pad_left) * sW;
                float *dp = dst + (ih * npw + iw) * S + i * wq;
                int64_t c = c0;
                for (; c + 8 <= c1 && wq >= 8; c += 8) {
                    float *d = dp + c * CS;
                    for (int64_t j = 0; j < wq; j += 8) {
                        if (j + 8 > wq) j = wq - 8;  /* the last 8 columns, overlapping */
                        const float *rows[8];
                        for (int k = 0; k < 8; ++k)
                            rows[k] = j + k >= j0 && j + k < j1 ? xr + (j + k - j0) * step + c
                                                                : zero_px;
                        sp->transpose8(rows, d + j, (size_t)CS);
                    }
                }
                for (; c < c1; ++c) {  /* no branch per pixel: thin first layers live here */
                    float *d = dp + c * CS;
                    const float *xs = xr + c;
                    for (int64_t j = 0; j < j0; ++j) d[j] = 0.0f;
                    for (int64_t j = j0; j < j1; ++j, xs += step) d[j] = *xs;
                    for (int64_t j = j1; j < wq; ++j) d[j] = 0.0f;
                }
            }
    }
}

/* Channel c's shifted copies (aligned taps): copy k of each phase plane holds the plane
 * from float shift[k] on, zeros after its end. */
static void copy_shifted(const sc_sparse_plan *sp, int64_t c, float *dst)
{
    const int64_t S = sp->plane_floats;
    float *base = dst + c * sp->n_copy * sp->n_phase * S;
    for (int64_t k = 1; k < sp->n_copy; ++k) {
        const int64_t s = sp->shift[k];
        for (int64_t ph = 0; ph < sp->n_phase; ++ph) {
            const float *from = base + ph * S;
            float *to = base + (k * sp->n_phase + ph) * S;
            memcpy(to, from + s, (size_t)(S - s) * sizeof *to);
            memset(to + S - s, 0, (size_t)s * sizeof *to);
        }
    }
}

void sc_pack_phase_planes(const sc_sparse_plan *sp, const float *x, int64_t c0, int64_t c1,
                          float *dst)
{
    const sc_conv_params *p = &sp->layer->params;
    const int64_t S = sp->plane_floats, CS = sp->n_phase * sp->n_copy * S;
    /* the slack between hq*wq and the next plane's 64-byte boundary is read (and discarded)
     * by full-width kernels on a partial last tile: keep it finite */
    const int64_t used = sp->hq * sp->d.wq;
    for (int64_t c = c0; c < c1; ++c)
        for (int64_t ph = 0; ph < sp->n_phase; ++ph)
            memset(dst + c * CS + ph * S + used, 0, (size_t)(S - used) * sizeof *dst);
    if (sp->x.strides[SC_C] == 1) {
        pack_channels_last(sp, x, c0, c1, dst);
        for (int64_t c = c0; c < c1; ++c) copy_shifted(sp, c, dst);
        return;
    }
    const int64_t npw = sp->n_phase_w;
    /* all column phases up to the last used one: one pass per row (pack_phase_rows) */
    const int row_pass = sp->x.strides[SC_W] == 1 && p->stride_w >= 2 &&
                         sp->res_w[npw - 1] == npw - 1 && npw <= MAX_ROW_PHASES;
    for (int64_t c = c0; c < c1; ++c) {
        const float *xc = x + c * sp->x.strides[SC_C];
        for (int64_t ih = 0; ih < sp->n_phase_h; ++ih) {  /* used phases only */
            float *first = dst + c * CS + ih * npw * S;
            if (row_pass) {
                pack_phase_rows(sp, xc, sp->res_h[ih], first);
                continue;
            }
            for (int64_t iw = 0; iw < npw; ++iw)
                pack_plane(sp, xc, sp->res_h[ih], sp->res_w[iw], first + iw * S);
        }
        copy_shifted(sp, c, dst);  /* while the channel's planes are in cache */
    }
}

/* panel[c*TF + p] (TF = tile_floats) = x[c][oh*sh - pad_top][ow*sw - pad_left] for
 * q0 + p = oh*OW + ow, or 0 in the padding. Channel-contiguous input (NHWC) is read one
 * pixel's channel run at a time, anything else one channel's pixels at a time: reads follow
 * the smaller stride. Unit-stride rows (NCHW) are read as runs of pixels along a row. */
void sc_pack_tile_panel(const sc_sparse_plan *sp, const float *x, int64_t q0, int64_t m,
                        float *panel)
{
    const sc_conv_params *p = &sp->layer->params;
    const int64_t IC = sp->x.dims[SC_C], H = sp->x.dims[SC_H], W = sp->x.dims[SC_W];
    const int64_t sC = sp->x.strides[SC_C], sH = sp->x.strides[SC_H], sW = sp->x.strides[SC_W];
    const int64_t OW = sp->y.dims[SC_W], TF = sp->d.tile_floats;
    if (sW == 1 && (H == 1 || sH == W) && p->stride_h == 1 && p->stride_w == 1 &&
        p->pad_top == 0 && p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0) {
        /* the tile is one unit-stride run per channel (an NCHW 1x1 layer whose channel
         * stride would misalign in-place vector loads) */
        for (int64_t c = 0; c < IC; ++c)
            memcpy(panel + c * TF, x + c * sC + q0, (size_t)m * sizeof *panel);
        return;
    }
    const float *src[SC_SPMM_TILE_MAX];
    for (int64_t i = 0; i < m; ++i) {
        const int64_t q = q0 + i, ih = q / OW * p->stride_h - p->pad_top;
        const int64_t iw = q % OW * p->stride_w - p->pad_left;
        src[i] = ih >= 0 && ih < H && iw >= 0 && iw < W ? x + ih * sH + iw * sW : NULL;
    }
    if (sC == 1) {
        /* 8 pixels x 8 channels at a time: 32-byte runs on both sides of the transpose.
         * Channels go in chunks of 64, all 8-pixel groups within a chunk, so the panel rows
         * being filled (64 x 256 bytes) stay in L1 until their cache lines are whole
         * (docs/kernels.md, "NHWC transposition in chunks"). */
        enum { CHUNK = 64 };
        int64_t i = 0;
        int uniform[SC_SPMM_TILE_MAX / 8];  /* group g's 8 pixels lie sW apart: one strip
                                             * call per chunk */
        for (; i + 8 <= m; i += 8) {
            int full = 1, u = 1;
            for (int k = 0; k < 8; ++k) full &= src[i + k] != NULL;
            if (!full) break;
            for (int k = 0; k < 8; ++k) u &= src[i + k] == src[i] + k * sW;
            uniform[i / 8] = u;
        }
        const int64_t ic8 = IC / 8 * 8;
        for (int64_t c0 = 0; c0 < ic8; c0 += CHUNK) {
            const int64_t c1 = c0 + CHUNK < ic8 ? c0 + CHUNK : ic8;
            for (int64_t g = 0; g < i; g += 8) {
                if (uniform[g / 8]) {
                    sp->to_panel(src[g] + c0, (size_t)sW, panel + c0 * TF + g, (size_t)TF,
                                    (size_t)((c1 - c0) / 8));
                    continue;
                }
                for (int64_t c = c0; c < c1; c += 8) {
                    const float *rows[8];
                    for (int k = 0; k < 8; ++k) rows[k] = src[g + k] + c;
                    sp->transpose8(rows, panel + c * TF + g, (size_t)TF);
                }
            }
        }
        for (int64_t c = ic8; c < IC; ++c)
            for (int64_t g = 0; g < i; ++g) panel[c * TF + g] = src[g][c];
        for (; i < m; ++i) {
            float *d = panel + i;
            if (!src[i]) {
                for (int64_t c = 0; c < IC; ++c) d[c * TF] = 0.0f;
            } else {
                for (int64_t c = 0; c < IC; ++c) d[c * TF] = src[i][c];
            }
        }
    } else if (sC <= sW) {
        for (int64_t i = 0; i < m; ++i) {
            float *d = panel + i;
            if (!src[i]) {
                for (int64_t c = 0; c < IC; ++c) d[c * TF] = 0.0f;
            } else if (sC == 1) {
                const float *s = src[i];
                for (int64_t c = 0; c < IC; ++c) d[c * TF] = s[c];
            } else {
                for (int64_t c = 0; c < IC; ++c) d[c * TF] = src[i][c * sC];
            }
        }
    } else if (sW == 1) {
        /* runs of pixels sw columns apart within one input row (or of padding): per channel
         * a memcpy (stride 1) or the deinterleave kernel's every-sw-th gather */
        const int64_t sw = p->stride_w;
        int64_t run_at[SC_SPMM_TILE_MAX + 1], n_run = 0;
        for (int64_t i = 0; i < m;) {
            int64_t j = i + 1;
            if (src[i])
                while (j < m && src[j] && src[j] == src[j - 1] + sw) ++j;
            else
                while (j < m && !src[j]) ++j;
            run_at[n_run++] = i;
            i = j;
        }
        run_at[n_run] = m;
        for (int64_t c = 0; c < IC; ++c)
            for (int64_t r = 0; r < n_run; ++r) {
                const int64_t i = run_at[r], len = run_at[r + 1] - i;
                float *d = panel + c * TF + i;
                if (!src[i])
                    memset(d, 0, (size_t)len * sizeof *d);
                else if (sw == 1)
                    memcpy(d, src[i] + c * sC, (size_t)len * sizeof *d);
                else
                    sp->deinterleave(src[i] + c * sC, (size_t)len, (size_t)sw, 1, &d);
            }
    } else {
        for (int64_t c = 0; c < IC; ++c) {
            float *d = panel + c * TF;
            for (int64_t i = 0; i < m; ++i) d[i] = src[i] ? src[i][c * sC] : 0.0f;
        }
    }
}
