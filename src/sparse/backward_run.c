/* src/sparse/backward_run.c: the transposed-conv driver: pack dY planes, SpMM per tile and phase, store dX */
#include <omp.h>
#include <string.h>

#include "core/core.h"
#include "sparse/backward_impl.h"

enum { PACK_CH = 16 };  /* dY channels per packing task */

/* One (image, 64-pixel tile), dX channels [c0, c1) of every phase: rows phase*IC + c of the
 * tile (+)= the reduction blocks' SpMMs through the 64/32/16 kernels and the partial 8
 * kernel; activation on the last block. x points at the image's first dY plane + q0, yt at
 * row 0 of the tile. A row's result does not depend on c0, c1 (one kernel call per row and
 * width, nonzeros in a fixed order), so any channel split gives the same bits. */
static void run_tile(const sc_tconv *t, const float *x, float *yt, size_t y_stride_bytes,
                     int64_t m, int64_t c0, int64_t c1)
{
    const sc_tconv_plan *tp = &t->tp;
    const int64_t R = tp->n_rows, IC = t->out.dims[SC_C];
    for (int64_t cb = 0; cb < tp->n_cb; ++cb) {
        sc_spmm_params prm = t->act;
        prm.load_y = cb > 0;
        prm.clamp = t->act.clamp && cb == tp->n_cb - 1;
        const float *xb = x + cb * tp->cb_ch * tp->ch_floats;
        for (int64_t ph = 0; ph < tp->n_phase; ++ph) {
            const int64_t r0 = ph * IC + c0, b = cb * R + r0;
            const float *w = tp->w + tp->w_start[b];
            const int32_t *off = tp->off_bytes + tp->off_start[b];
            const uint32_t *nnz = tp->nnz + b;
            float *y = (float *)((char *)yt + (size_t)r0 * y_stride_bytes);
            sc_spmm_kit_run(&tp->kit, (size_t)m, (size_t)(c1 - c0), xb, w, off, nnz, y,
                            y_stride_bytes, &prm);
        }
    }
}

/* panel[o*64 + i] = dY[o][q0 + i] for i < m (pointwise layers: flat pixel = dY pixel), from
 * the image whose (n, 0, 0, 0) is dy: 8 pixels x 8 channels per transpose when channels are
 * contiguous (NHWC), element by element otherwise. */
static void gather_panel(const sc_tconv *t, const float *dy, int64_t q0, int64_t m, float *panel)
{
    const int64_t OC = t->in.dims[SC_C], OW = t->in.dims[SC_W];
    const int64_t sC = t->in.strides[SC_C], sH = t->in.strides[SC_H], sW = t->in.strides[SC_W];
    const float *src[64];
    for (int64_t i = 0; i < m; ++i) src[i] = dy + (q0 + i) / OW * sH + (q0 + i) % OW * sW;
    int64_t o = 0;
    if (sC == 1) {  /* pixel blocks outside: each pixel's channel run is read in order */
        const int64_t oc8 = OC / 8 * 8, m8 = m / 8 * 8;
        for (int64_t i = 0; i < m8; i += 8)
            for (int64_t c = 0; c < oc8; c += 8) {
                const float *const rows[8] = {src[i] + c,     src[i + 1] + c, src[i + 2] + c,
                                              src[i + 3] + c, src[i + 4] + c, src[i + 5] + c,
                                              src[i + 6] + c, src[i + 7] + c};
                t->tp.tr(rows, panel + c * 64 + i, 64);
            }
        for (int64_t i = m8; i < m; ++i)
            for (int64_t c = 0; c < oc8; ++c) panel[c * 64 + i] = src[i][c];
        o = oc8;
    }
    for (; o < OC; ++o)
        for (int64_t i = 0; i < m; ++i) panel[o * 64 + i] = src[i][o * sC];
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

/* Store channels [c0, c1) of a finished tile (rows r = phase*IC + c, 64 floats apart; flat
 * pixels [q0, q0 + m)) through the output descriptor (y at the image's (n, 0, 0, 0)), one
 * phase-row run at a time, skipping garbage columns and rows or columns in the padding. */
static void store_tile(const sc_tconv *t, const float *buf, int64_t q0, int64_t m, int64_t c0,
                       int64_t c1, float *y)
{
    const sc_tconv_plan *tp = &t->tp;
    const sc_conv_params *p = &t->p;
    const int64_t IC = t->out.dims[SC_C], H = t->out.dims[SC_H], W = t->out.dims[SC_W];
    const int64_t sC = t->out.strides[SC_C], sH = t->out.strides[SC_H], sW = t->out.strides[SC_W];
    const int64_t sh = p->stride_h, sw = p->stride_w, wq = tp->wq;
    for (int64_t q = q0; q < q0 + m;) {
        const int64_t a = q / wq, b = q % wq;
        int64_t n = wq - b;  /* flat pixels left in this phase row */
        if (n > q0 + m - q) n = q0 + m - q;
        for (int64_t rh = 0; rh < sh; ++rh) {
            const int64_t ih = (tp->a0 + a) * sh + rh - p->pad_top;
            if (ih < 0 || ih >= H) continue;
            for (int64_t rw = 0; rw < sw; ++rw) {
                int64_t j0, j1;
                phase_cols(tp->b0, tp->B, sw, rw, p->pad_left, W, &j0, &j1);
                if (j0 < b) j0 = b;
                if (j1 > b + n) j1 = b + n;
                if (j0 >= j1) continue;
                const float *src = buf + ((rh * sw + rw) * IC + c0) * 64 + (q - q0) + (j0 - b);
                float *d = y + c0 * sC + ih * sH + ((tp->b0 + j0) * sw + rw - p->pad_left) * sW;
                const int64_t nc = c1 - c0;
                const int64_t nv = j1 - j0, step = sw * sW;
                if (step == 1) {
                    for (int64_t c = 0; c < nc; ++c)
                        memcpy(d + c * sC, src + c * 64, (size_t)nv * sizeof *d);
                } else if (sC == 1) {  /* NHWC: 8 channels x 8 pixels per transpose, pixel
                                        * blocks outside so each pixel's run fills whole
                                        * cache lines at once */
                    const int64_t nc8 = nc / 8 * 8, nv8 = nv / 8 * 8;
                    for (int64_t i = 0; i < nv8; i += 8) {
                        for (int64_t c = 0; c < nc8; c += 8) {
                            const float *s8 = src + c * 64 + i;
                            const float *const rows[8] = {s8,       s8 + 64,  s8 + 128,
                                                          s8 + 192, s8 + 256, s8 + 320,
                                                          s8 + 384, s8 + 448};
                            tp->tr(rows, d + i * step + c, (size_t)step);
                        }
                        for (int64_t l = i; l < i + 8; ++l)
                            for (int64_t c = nc8; c < nc; ++c) d[l * step + c] = src[c * 64 + l];
                    }
                    for (int64_t l = nv8; l < nv; ++l)
                        for (int64_t c = 0; c < nc; ++c) d[l * step + c] = src[c * 64 + l];
                } else {
                    for (int64_t c = 0; c < nc; ++c)
                        for (int64_t i = 0; i < nv; ++i) d[c * sC + i * step] = src[c * 64 + i];
                }
            }
        }
        q += n;
    }
}

sc_status sc_tconv_run(const sc_tconv *t, const float *in, float *out)
{
    const sc_tconv_plan *tp = &t->tp;
    const int64_t N = t->in.dims[SC_N], OC = t->in.dims[SC_C];
    const int64_t isN = t->in.strides[SC_N], osN = t->out.strides[SC_N];
    const int nthreads = t->threads > 0 ? t->threads : omp_get_max_threads();
    const int64_t buf_floats = (tp->n_rows * 64 + 15) / 16 * 16;
    float *planes = NULL, *bufs = NULL, *panels = NULL;
    const int64_t panel_floats = tp->panel ? OC * 64 : 0;
    sc_status st = SC_OK;
    if (tp->panel) {
        int64_t n;
        if (sc_mul_ovf(panel_floats, nthreads, &n) || sc_mul_ovf(n, 4, &n) ||
            !(panels = sc_aligned_alloc(64, (size_t)n))) {
            st = sc_fail(SC_ENOMEM, "backward: %d threads x %lld floats of dY panels", nthreads,
                         (long long)panel_floats);
            goto done;
        }
    } else if (!tp->in_place) {
        int64_t n;
        if (sc_mul_ovf(N, tp->image_floats, &n) || sc_mul_ovf(n, 4, &n) ||
            !(planes = sc_aligned_alloc(64, (size_t)n))) {
            st = sc_fail(SC_ENOMEM, "backward: %lld images x %lld floats of dY planes",
                         (long long)N, (long long)tp->image_floats);
            goto done;
        }
    }
    if (!tp->direct) {
        int64_t n;
        if (sc_mul_ovf(buf_floats, nthreads, &n) || sc_mul_ovf(n, 4, &n) ||
            !(bufs = sc_aligned_alloc(64, (size_t)n))) {
            st = sc_fail(SC_ENOMEM, "backward: %d threads x %lld floats of output tiles",
                         nthreads, (long long)buf_floats);
            goto done;
        }
    }
    /* Work items: (image, tile, channel chunk). Few tiles (small images, batch 1) would leave
     * threads idle, so dX channels are then split into chunks of at least 8. */
    const int64_t IC = t->out.dims[SC_C], n_img_tiles = N * tp->n_tiles;
    int64_t n_chunk = n_img_tiles >= 4 * nthreads ? 1
                    : (4 * nthreads + n_img_tiles - 1) / n_img_tiles;
    if (n_chunk > (IC + 7) / 8) n_chunk = (IC + 7) / 8;
    const int64_t chunk = (IC + n_chunk - 1) / n_chunk;
    n_chunk = (IC + chunk - 1) / chunk;
    const int64_t n_pack = (OC + PACK_CH - 1) / PACK_CH, n_work = n_img_tiles * n_chunk;
    const int64_t *is = t->in.strides;
#pragma omp parallel num_threads(nthreads)
    {
        if (!tp->in_place && !tp->panel) {
#pragma omp for schedule(static)
            for (int64_t k = 0; k < N * n_pack; ++k) {
                const int64_t n = k / n_pack, c0 = k % n_pack * PACK_CH;
                const int64_t c1 = c0 + PACK_CH < OC ? c0 + PACK_CH : OC;
                sc_backward_pack_planes(in + n * isN, is[SC_C], is[SC_H], is[SC_W],
                                        t->in.dims[SC_H], t->in.dims[SC_W], c0, c1, 1, 1,
                                        tp->lo_h, tp->lo_w, tp->hq, tp->wq, tp->ch_floats,
                                        tp->tr, planes + n * tp->image_floats);
            }
        }
        float *buf = bufs ? bufs + omp_get_thread_num() * buf_floats : NULL;
        float *panel = panels ? panels + omp_get_thread_num() * panel_floats : NULL;
        int64_t panel_it = -1;  /* the (image, tile) this thread's panel holds */
#pragma omp for schedule(static)
        for (int64_t k = 0; k < n_work; ++k) {
            const int64_t it = k / n_chunk, c0 = k % n_chunk * chunk;
            const int64_t c1 = c0 + chunk < IC ? c0 + chunk : IC;
            const int64_t n = it / tp->n_tiles, q0 = it % tp->n_tiles * 64;
            const int64_t m = tp->pixels - q0 < 64 ? tp->pixels - q0 : 64;
            const float *x;
            if (tp->panel) {  /* consecutive chunks of one tile share the gathered panel */
                if (panel_it != it) gather_panel(t, in + n * isN, q0, m, panel);
                panel_it = it;
                x = panel;
            } else {
                x = (tp->in_place ? in + n * isN : planes + n * tp->image_floats) + q0;
            }
            if (tp->direct) {
                run_tile(t, x, out + n * osN + q0, (size_t)(4 * t->out.strides[SC_C]), m, c0,
                         c1);
            } else {
                run_tile(t, x, buf, 64 * sizeof(float), m, c0, c1);
                store_tile(t, buf, q0, m, c0, c1, out + n * osN);
            }
        }
    }
done:
    sc_free(planes);
    sc_free(bufs);
    sc_free(panels);
    return st;
}
