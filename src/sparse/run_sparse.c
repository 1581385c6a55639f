/* src/sparse/run_sparse.c: the sparse driver: pack phase planes, walk batch x pixel tiles, call kernels */
#include <omp.h>
#include <string.h>

#include "core/core.h"
#include "sparse/conv_impl.h"
#include "sparse/layer_impl.h"

enum { PACK_CH = 16 };  /* channels per packing task */

/* One (image, 64-pixel tile, output channels [o0, o0 + nb)): for each reduction block,
 * y_tile (+)= W_cb * X_cb through the 64/32/16 kernels and the partial 8 kernel for the
 * tail; the activation on the last block. yt points at row o0. */
static void run_tile(const sc_conv *op, const float *xt, float *yt, size_t y_stride_bytes,
                     int64_t m, int64_t o0, int64_t nb)
{
    const sc_sparse_plan *sp = &op->sp;
    const int64_t OC = op->layer->rows;
    for (int64_t cb = 0; cb < sp->n_cb; ++cb) {
        sc_spmm_params prm = op->act;
        prm.load_y = cb > 0;
        prm.clamp = op->act.clamp && cb == sp->n_cb - 1;
        const float *w = sp->w + sp->w_start[cb * OC + o0];
        const int32_t *off = sp->off_bytes + sp->off_start[cb * OC + o0];
        const uint32_t *nnz = sp->nnz + cb * OC + o0;
        int64_t pos = 0;
        if (m == 56 && sp->kern56) {
            sp->kern56->fn(56, (size_t)nb, xt, w, off, nnz, yt, y_stride_bytes, &prm);
            pos = 56;
        }
        for (int k = 0; k < 4; ++k) {
            const int64_t width = (int64_t)sp->kern[k]->mr;
            for (; m - pos >= width; pos += width)
                sp->kern[k]->fn((size_t)width, (size_t)nb, xt + pos, w, off, nnz, yt + pos,
                                y_stride_bytes, &prm);
        }
        if (pos < m)
            sp->kern[3]->fn((size_t)(m - pos), (size_t)nb, xt + pos, w, off, nnz, yt + pos,
                            y_stride_bytes, &prm);
    }
}

/* Output-channel blocks per tile: 1, unless there are fewer than 4 tiles per thread (small
 * images), then halved down to 16 channels per block so both cores get balanced work.
 * Every output element keeps its accumulation order, so results stay bitwise equal. */
static int64_t oc_blocks(int64_t n_tiles_total, int64_t OC, int nthreads)
{
    int64_t n = 1;
    while (n_tiles_total * n < 4 * (int64_t)nthreads && OC / (2 * n) >= 16) n *= 2;
    return n;
}

/* Work of item t (tile-major, output-channel block minor): pixels rounded up to 8 (the
 * kernels' granule) times channels. */
static int64_t item_work(const sc_sparse_plan *sp, int64_t t, int64_t n_ocb, int64_t ocb,
                         int64_t OC)
{
    const int64_t o0 = t % n_ocb * ocb, nb = OC - o0 < ocb ? OC - o0 : ocb;
    const int64_t q0 = t / n_ocb % sp->n_tiles * 64;
    const int64_t m = sp->pixels - q0 < 64 ? sp->pixels - q0 : 64;
    return nb > 0 ? (m + 7) / 8 * 8 * nb : 0;
}

/* First item of thread `tid` of `nth`: contiguous ranges of items (neighbouring tiles share
 * cache lines) balanced by work, so a short last tile does not leave one core idle
 * (28x28: 12 full tiles + 16 pixels split 6 | 6.25 instead of 7 | 5.25). */
static int64_t split_point(const sc_sparse_plan *sp, int64_t n_work, int64_t n_ocb,
                           int64_t ocb, int64_t OC, int tid, int nth)
{
    if (tid <= 0) return 0;
    if (tid >= nth) return n_work;
    int64_t total = 0;
    for (int64_t t = 0; t < n_work; ++t) total += item_work(sp, t, n_ocb, ocb, OC);
    /* the first item whose work starts at or past tid/nth of the total, rounded to nearest */
    const int64_t target = (total * tid + nth / 2) / nth;
    int64_t cum = 0, t = 0;
    for (; t < n_work; ++t) {
        const int64_t w = item_work(sp, t, n_ocb, ocb, OC);
        if (cum + w / 2 >= target) break;
        cum += w;
    }
    return t;
}

sc_status sc_sparse_run(const sc_conv *op, const float *x, float *y)
{
    const sc_sparse_plan *sp = &op->sp;
    const int64_t N = op->x.dims[SC_N], IC = op->x.dims[SC_C], OC = op->layer->rows;
    const int64_t xsN = op->x.strides[SC_N], ysN = op->y.strides[SC_N];
    const int nthreads = op->opt.threads > 0 ? op->opt.threads : omp_get_max_threads();
    const int64_t buf_floats = (OC * 64 + 15) / 16 * 16;
    const int64_t panel_floats = sp->panel ? IC * 64 : 0;
    float *planes = NULL, *bufs = NULL, *panels = NULL;
    sc_status st = SC_OK;
    if (!sp->in_place) {
        int64_t n;
        /* + 64 zeroed floats: a full-width kernel on the last image's partial tile reads
         * up to 63 floats past its planes (results discarded) */
        if (sc_mul_ovf(N, sp->image_floats, &n) || sc_add_ovf(n, 64, &n) ||
            sc_mul_ovf(n, 4, &n) || !(planes = sc_aligned_alloc(64, (size_t)n))) {
            st = sc_fail(SC_ENOMEM, "conv: %lld images x %lld floats of packed input",
                         (long long)N, (long long)sp->image_floats);
            goto done;
        }
        memset(planes + N * sp->image_floats, 0, 64 * sizeof *planes);
    }
    if (sp->panel) {
        int64_t n;
        if (sc_mul_ovf(panel_floats, nthreads, &n) || sc_mul_ovf(n, 4, &n) ||
            !(panels = sc_aligned_alloc(64, (size_t)n))) {
            st = sc_fail(SC_ENOMEM, "conv: %d threads x %lld floats of input panels", nthreads,
                         (long long)panel_floats);
            goto done;
        }
    }
    /* panel and phase-plane layers compute a partial tile at a full kernel width (over
     * zero-padded panel rows, or the planes' following floats), through the tile buffer:
     * one kernel call instead of a 32/16/masked chain */
    const int pad_tail = !sp->in_place && sp->pixels % 64 != 0;
    if (!sp->direct_y || pad_tail) {
        int64_t n;
        if (sc_mul_ovf(buf_floats, nthreads, &n) || sc_mul_ovf(n, 4, &n) ||
            !(bufs = sc_aligned_alloc(64, (size_t)n))) {
            st = sc_fail(SC_ENOMEM, "conv: %d threads x %lld floats of output tiles", nthreads,
                         (long long)buf_floats);
            goto done;
        }
    }
    const int64_t n_ocb = oc_blocks(N * sp->n_tiles, OC, nthreads);
    const int64_t ocb = ((OC + n_ocb - 1) / n_ocb + sp->rows - 1) / sp->rows * sp->rows;
    const int64_t n_pack = (IC + PACK_CH - 1) / PACK_CH, n_work = N * sp->n_tiles * n_ocb;
#pragma omp parallel num_threads(nthreads)
    {
        if (!sp->in_place && !sp->panel) {
#pragma omp for schedule(static)
            for (int64_t t = 0; t < N * n_pack; ++t) {
                const int64_t n = t / n_pack, c0 = t % n_pack * PACK_CH;
                const int64_t c1 = c0 + PACK_CH < IC ? c0 + PACK_CH : IC;
                sc_pack_phase_planes(op, x + n * xsN, c0, c1, planes + n * sp->image_floats);
            }
        }
        float *buf = bufs ? bufs + omp_get_thread_num() * buf_floats : NULL;
        float *panel = panels ? panels + omp_get_thread_num() * panel_floats : NULL;
        const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        const int64_t t_end = split_point(sp, n_work, n_ocb, ocb, OC, tid + 1, nth);
        int64_t packed = -1;  /* the tile this thread's panel holds: output-channel blocks of
                                 one tile are consecutive items and share it */
        for (int64_t t = split_point(sp, n_work, n_ocb, ocb, OC, tid, nth); t < t_end; ++t) {
            const int64_t tile = t / n_ocb, o0 = t % n_ocb * ocb;
            const int64_t nb = OC - o0 < ocb ? OC - o0 : ocb;
            if (nb <= 0) continue;  /* rounding left the last block empty */
            const int64_t n = tile / sp->n_tiles, q0 = tile % sp->n_tiles * 64;
            const int64_t m = sp->pixels - q0 < 64 ? sp->pixels - q0 : 64;
            const float *xt;
            int64_t mk = m;  /* pixels the kernels compute */
            if (!sp->in_place && m < 64)
                mk = m > 56 ? 64 : m > 48 && sp->kern56 ? 56 : m > 32 ? 64 : m > 16 ? 32 : m > 8 ? 16 : 8;
            if (sp->panel) {
                if (packed != tile) {
                    sc_pack_tile_panel(op, x + n * xsN, q0, m, panel);
                    for (int64_t c = 0; mk > m && c < IC; ++c)
                        memset(panel + c * 64 + m, 0, (size_t)(mk - m) * sizeof *panel);
                    packed = tile;
                }
                xt = panel;
            } else {
                xt = (sp->in_place ? x + n * xsN : planes + n * sp->image_floats) + q0;
            }
            if (mk != m) {
                run_tile(op, xt, buf, 64 * sizeof(float), mk, o0, nb);
                sc_write_output_tile(op, buf, q0, m, o0, nb, y + n * ysN);
            } else if (sp->direct_y) {
                const int64_t ysC = op->y.strides[SC_C];
                run_tile(op, xt, y + n * ysN + o0 * ysC + q0, (size_t)(4 * ysC), m, o0, nb);
            } else {
                run_tile(op, xt, buf, 64 * sizeof(float), m, o0, nb);
                sc_write_output_tile(op, buf, q0, m, o0, nb, y + n * ysN);
            }
        }
    }
done:
    sc_free(planes);
    sc_free(bufs);
    sc_free(panels);
    return st;
}
