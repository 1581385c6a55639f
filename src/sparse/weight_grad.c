/* src/sparse/weight_grad.c: masked weight gradient: dW only at the packed nonzeros, in CSR order */
#include <omp.h>
#include <string.h>

#include "core/core.h"
#include "sparse/backward_impl.h"
#include "layer/layer_impl.h"
#include "sparse/run_args.h"
#include "sparse/kernel_choice.h"
#include "sparse/weight_grad_kernels.h"

enum { PACK_CH = 16 };  /* channels per packing task */
#define SC_WG_L2_FLOATS 65536  /* half of a 512 KiB L2 (docs/notes/README.md, "Machines") */

sc_wgrad_options sc_wgrad_options_default(void)
{
    return (sc_wgrad_options){.threads = 0, .kernel = SC_KERNEL_AUTO};
}

/* Geometry, as the forward engine reads its input: x in phase planes (c, ph, pw) holding
 * x[c][i*sh + ph - pad_top][j*sw + pw - pad_left] for i < hq = OH + amax, j < wq = OW + bmax
 * (used phases only), dY as flat rows q = oh*wq + ow with zeros at ow >= OW. Nonzero
 * (c, kh, kw) of row o then pairs dY row o with the plane at a fixed offset:
 *   dW = sum_q dYrow_o[q] * plane(c, kh*dh % sh, kw*dw % sw)[q + (kh*dh/sh)*wq + kw*dw/sw]. */
/* For taps t < k of one axis: res[i] the distinct residues (t*d) % s in increasing order
 * (i < *n_res), tap_phase[t] the index of tap t's residue in res. O(k^2), k is small. */
static void axis_phases(int64_t k, int64_t d, int64_t s, int64_t *res, int64_t *n_res,
                        int64_t *tap_phase)
{
    int64_t n = 0;
    for (int64_t t = 0; t < k; ++t) {
        const int64_t r = t * d % s;
        int64_t i = 0;
        while (i < n && res[i] < r) ++i;
        if (i < n && res[i] == r) continue;
        for (int64_t u = n; u > i; --u) res[u] = res[u - 1];  /* insert, kept sorted */
        res[i] = r;
        ++n;
    }
    for (int64_t t = 0; t < k; ++t) {
        int64_t i = 0;
        while (res[i] != t * d % s) ++i;
        tap_phase[t] = i;
    }
    *n_res = n;
}

sc_status sc_conv_wgrad(const sc_layer *layer, const sc_wgrad_options *opt,
                        const sc_tensor *xd, const float *x, const sc_tensor *dyd,
                        const float *dy, float *dw)
{
    if (!layer || !xd || !x || !dyd || !dy || !dw)
        return sc_fail(SC_EINVAL, "weight gradient: NULL argument (layer, descriptors and "
                       "buffers are required)");
    const sc_wgrad_options o = opt ? *opt : sc_wgrad_options_default();
    sc_status st = sc_threads_check("weight gradient", o.threads);
    if (st == SC_OK) st = sc_tconv_check_kernel("weight gradient", o.kernel);
    if (st == SC_OK) st = sc_conv_wgrad_check(&layer->params, &layer->wd, xd, dyd);
    const size_t dw_bytes = (size_t)layer->nnz * sizeof(float);
    if (st == SC_OK)
        st = sc_run_check_overlap("weight gradient", layer, xd, x, "x", NULL, dw, dw_bytes, "dW");
    if (st == SC_OK)
        st = sc_run_check_overlap("weight gradient", layer, dyd, dy, "dY", NULL, dw, dw_bytes,
                                  "dW");
    if (st != SC_OK) return st;
    const sc_layer *L = layer;
    const sc_conv_params *p = &L->params;
    const int64_t N = xd->dims[SC_N], IC = xd->dims[SC_C], H = xd->dims[SC_H], W = xd->dims[SC_W];
    const int64_t OC = dyd->dims[SC_C], OH = dyd->dims[SC_H], OW = dyd->dims[SC_W];
    const int64_t icg = L->wd.icg, ocg = OC / p->groups, nnz = L->nnz;
    const int64_t sh = p->stride_h, sw = p->stride_w;
    const int64_t KH = L->wd.kh, KW = L->wd.kw;
    const int64_t hq = OH + (KH - 1) * p->dil_h / sh, wq = OW + (KW - 1) * p->dil_w / sw;
    const int64_t pixels = (OH - 1) * wq + OW;
    /* Read in place what already has the packed geometry: x of a pointwise, stride-1,
     * unpadded layer with unit-stride (h, w) planes; dY with unit-stride rows of wq. */
    const int x_direct = KH == 1 && KW == 1 && sh == 1 && sw == 1 && p->pad_top == 0 &&
                         p->pad_left == 0 && xd->strides[SC_W] == 1 &&
                         (H == 1 || xd->strides[SC_H] == W) && H == OH && W == OW;
    const int y_direct = dyd->strides[SC_W] == 1 && wq == OW &&
                         (OH == 1 || dyd->strides[SC_H] == OW);
    const sc_cpu_set allowed = sc_kernel_features(o.kernel);
    const sc_wgrad_dot_fn dot = sc_wgrad_dot_pick(allowed);
    const sc_transpose8_fn tr = sc_transpose8_pick(allowed);
    const int nthreads = o.threads > 0 ? o.threads : omp_get_max_threads();
    int64_t plane, xfl, yfl, sfl, maxrow = 0;
    float *xp = NULL, *yp = NULL, *sums = NULL;
    int64_t *off = NULL, *ph = NULL, *coltab = NULL, nph_h = 0, nph_w = 0;
    double *acc = NULL;
    /* ph: residues of the rows (KH), of the columns (KW), then each tap's phase (KH + KW) */
    if ((st = sc_alloc_array((void **)&ph, (size_t)(2 * (KH + KW)), sizeof *ph, false,
                             "weight gradient: phase maps")) != SC_OK)
        goto done;
    int64_t *res_h = ph, *res_w = ph + KH, *tap_h = ph + KH + KW, *tap_w = tap_h + KH;
    axis_phases(KH, p->dil_h, sh, res_h, &nph_h, tap_h);
    axis_phases(KW, p->dil_w, sw, res_w, &nph_w, tap_w);
    if (sc_mul_ovf(hq, wq, &plane) || sc_add_ovf(plane, 15, &plane) ||
        sc_mul_ovf(plane / 16 * 16, IC * nph_h * nph_w, &xfl) || sc_mul_ovf(OH, wq, &yfl) ||
        sc_mul_ovf(yfl, OC, &yfl)) {
        st = sc_fail(SC_EOVERFLOW, "weight gradient: packed planes of %lld x %lld x %lld "
                     "overflow", (long long)IC, (long long)hq, (long long)wq);
        goto done;
    }
    plane = plane / 16 * 16;
    if (x_direct) plane = xd->strides[SC_C], xfl = 1;  /* one plane per channel, x's own */
    if (y_direct) yfl = 1;
    const int64_t y_row = y_direct ? dyd->strides[SC_C] : OH * wq;  /* dY row o at o*y_row */
    for (int64_t r = 0; r < OC; ++r)
        if (L->row_ptr[r + 1] - L->row_ptr[r] > maxrow) maxrow = L->row_ptr[r + 1] - L->row_ptr[r];
    if (sc_mul_ovf(maxrow > 0 ? maxrow : 1, nthreads, &sfl)) {
        st = sc_fail(SC_EOVERFLOW, "weight gradient: scratch sums overflow");
        goto done;
    }
    if ((st = sc_alloc_array((void **)&xp, (size_t)xfl, sizeof *xp, false,
                             "weight gradient: x planes")) != SC_OK ||
        (st = sc_alloc_array((void **)&yp, (size_t)yfl, sizeof *yp, false,
                             "weight gradient: dY rows")) != SC_OK ||
        (st = sc_alloc_array((void **)&sums, (size_t)sfl, sizeof *sums, false,
                             "weight gradient: sums")) != SC_OK ||
        (st = sc_alloc_array((void **)&off, (size_t)(nnz ? nnz : 1), sizeof *off, false,
                             "weight gradient: offsets")) != SC_OK ||
        (st = sc_alloc_array((void **)&acc, (size_t)(nnz ? nnz : 1), sizeof *acc, true,
                             "weight gradient: accumulators")) != SC_OK)
        goto done;
    /* Each nonzero's plane offset in floats: a table per column k (channel within the group,
     * phase plane, tap shift), plus the group's first channel per row: no division per
     * nonzero (decoding k per nonzero cost more than the dot products on 3x3 layers). */
    const int64_t cols = L->cols, nph = nph_h * nph_w;
    if ((st = sc_alloc_array((void **)&coltab, (size_t)cols, sizeof *coltab, false,
                             "weight gradient: column offsets")) != SC_OK)
        goto done;
    for (int64_t k = 0; k < cols; ++k) {
        int64_t i, kh, kw;
        sc_pack_unk(L->order, icg, KH, KW, k, &i, &kh, &kw);
        const int64_t th = kh * p->dil_h, tw = kw * p->dil_w;
        coltab[k] = ((i * nph_h + tap_h[kh]) * nph_w + tap_w[kw]) * plane + th / sh * wq +
                    tw / sw;
    }
    for (int64_t o = 0; o < OC; ++o) {
        const int64_t gbase = o / ocg * icg * nph * plane;
        if (L->index_bytes == 2) {
            const uint16_t *ci = L->col_idx;
            for (int64_t j = L->row_ptr[o]; j < L->row_ptr[o + 1]; ++j)
                off[j] = gbase + coltab[ci[j]];
        } else {
            const uint32_t *ci = L->col_idx;
            for (int64_t j = L->row_ptr[o]; j < L->row_ptr[o + 1]; ++j)
                off[j] = gbase + coltab[ci[j]];
        }
    }
    const int64_t n_xpack = (IC + PACK_CH - 1) / PACK_CH, n_ypack = (OC + PACK_CH - 1) / PACK_CH;
    /* Pixel blocks: every row's dot products over one block of blk flat pixels before the
     * next, so the x the block reaches (all planes x (blk + tap reach)) can stay in L2. The
     * blocks follow from the shapes alone: the sums' order never depends on threads. */
    const int64_t reach = (hq - OH) * wq + (wq - OW);
    int64_t blk = SC_WG_L2_FLOATS / (IC * nph > 0 ? IC * nph : 1) - reach;
    blk = blk < 64 ? 64 : blk / 16 * 16;
    for (int64_t n = 0; n < N; ++n) {
        const float *xn = x + n * xd->strides[SC_N], *yn = dy + n * dyd->strides[SC_N];
        const float *xb = x_direct ? xn : xp, *yb = y_direct ? yn : yp;
#pragma omp parallel num_threads(nthreads)
        {
#pragma omp for schedule(static)
            for (int64_t k = 0; k < n_xpack * nph + n_ypack; ++k) {
                if (k < n_xpack * nph ? x_direct : y_direct) continue;
                if (k >= n_xpack * nph) {  /* dY rows: flat, zero garbage columns */
                    const int64_t c0 = (k - n_xpack * nph) * PACK_CH;
                    const int64_t c1 = c0 + PACK_CH < OC ? c0 + PACK_CH : OC;
                    sc_backward_pack_planes(yn, dyd->strides[SC_C], dyd->strides[SC_H],
                                            dyd->strides[SC_W], OH, OW, c0, c1, 1, 1, 0, 0,
                                            OH, wq, OH * wq, tr, yp);
                    continue;
                }
                const int64_t iph = k / n_xpack / nph_w, ipw = k / n_xpack % nph_w;
                const int64_t c0 = k % n_xpack * PACK_CH;
                const int64_t c1 = c0 + PACK_CH < IC ? c0 + PACK_CH : IC;
                sc_backward_pack_planes(xn, xd->strides[SC_C], xd->strides[SC_H],
                                        xd->strides[SC_W], H, W, c0, c1, sh, sw,
                                        res_h[iph] - p->pad_top, res_w[ipw] - p->pad_left, hq,
                                        wq,
                                        nph_h * nph_w * plane, tr,
                                        xp + (iph * nph_w + ipw) * plane);
            }
            float *s = sums + omp_get_thread_num() * (maxrow > 0 ? maxrow : 1);
            for (int64_t q0 = 0; q0 < pixels; q0 += blk) {
                const int64_t m = pixels - q0 < blk ? pixels - q0 : blk;
#pragma omp for schedule(dynamic, 1)
                for (int64_t o = 0; o < OC; ++o) {
                    const int64_t j0 = L->row_ptr[o], nj = L->row_ptr[o + 1] - j0;
                    if (nj == 0) continue;
                    dot((size_t)m, (size_t)nj, yb + o * y_row + q0, xb + q0, off + j0, s);
                    for (int64_t j = 0; j < nj; ++j) acc[j0 + j] += (double)s[j];
                }
            }
        }
    }
    for (int64_t j = 0; j < nnz; ++j) dw[j] = (float)acc[j];
done:
    sc_free(xp);
    sc_free(yp);
    sc_free(sums);
    sc_free(off);
    sc_free(acc);
    sc_free(ph);
    sc_free(coltab);
    return st;
}
