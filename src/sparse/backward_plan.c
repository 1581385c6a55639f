/* src/sparse/backward_plan.c: the transposed-conv plan: phase geometry, dY planes, CSC weight streams */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "sparse/backward_impl.h"
#include "layer/csr_cs.h"
#include "layer/layer_impl.h"

/* Reduction blocking over dY channels, as the forward plan does over input channels: the
 * dY a block touches for one tile (of the plan's width) should stay within L1 (24 KiB: the
 * forward engine's budget on a 32 KiB L1; neither 16 KiB nor 64 KiB did better on backward 1x1
 * layers), and blocks never get smaller than 16 channels (the fixed cost per (row, block,
 * tile) takes over). See docs/kernels.md, "Reduction blocking". */
#define SC_TCB_L1_BYTES 24576
#define SC_TCB_MIN_CH 16

void sc_tconv_plan_clear(sc_tconv_plan *tp)
{
    sc_spmm_problem_clear(&tp->d);
    sc_free(tp->res_h);
    sc_free(tp->res_w);
    memset(tp, 0, sizeof *tp);
}

/* One axis: dX extent n_out, kernel k, dilation d, stride s, leading pad. Phase rows a in
 * [a0, a0 + A) cover every dX index a*s + r - pad (r < s) in [0, n_out); the tap shift
 * q(t) = t*d / s reaches at most Q. dY rows outside [0, OH) read as the zero frame. */
static void axis_geometry(int64_t n_out, int64_t k, int64_t d, int64_t s, int64_t pad,
                          int64_t *a0, int64_t *A, int64_t *Q)
{
    *a0 = pad / s;
    *A = (pad + n_out - 1) / s - *a0 + 1;
    *Q = (k - 1) * d / s;
}

static int by_value(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The phases (i + pad) % s of dX indices i < n_out, distinct and ascending, into a new
 * array *res of *n entries: every residue when s <= n_out, else the n_out residues of
 * consecutive indices (distinct). O(n log n) for n = min(s, n_out), whatever the stride. */
static sc_status used_phases(int64_t n_out, int64_t s, int64_t pad, int64_t **res, int64_t *n)
{
    *n = s < n_out ? s : n_out;
    sc_status st = sc_alloc_array((void **)res, (size_t)*n, sizeof **res, false,
                                  "backward: phases");
    if (st != SC_OK) return st;
    for (int64_t i = 0; i < *n; ++i) (*res)[i] = s <= n_out ? i : (i + pad % s) % s;
    qsort(*res, (size_t)*n, sizeof **res, by_value);
    return SC_OK;
}

/* Index of residue r among the used phases, or -1: taps of a phase without dX pixels. */
static int64_t phase_index(const int64_t *res, int64_t n, int64_t r)
{
    const int64_t *at = bsearch(&r, res, (size_t)n, sizeof *res, by_value);
    return at ? at - res : -1;
}

static sc_status plan_geometry(const sc_tensor *in, const sc_tensor *out, sc_tconv_plan *tp)
{
    const sc_layer *L = tp->layer;
    const sc_conv_params *p = &tp->p;
    sc_spmm_problem *d = &tp->d;
    const int64_t OC = in->dims[SC_C], OH = in->dims[SC_H], OW = in->dims[SC_W];
    const int64_t IC = out->dims[SC_C], H = out->dims[SC_H], W = out->dims[SC_W];
    axis_geometry(H, L->wd.kh, p->dil_h, p->stride_h, p->pad_top, &tp->a0, &tp->A, &tp->qh);
    axis_geometry(W, L->wd.kw, p->dil_w, p->stride_w, p->pad_left, &tp->b0, &tp->B, &tp->qw);
    sc_status st;
    if ((st = used_phases(H, p->stride_h, p->pad_top, &tp->res_h, &tp->n_phase_h)) != SC_OK ||
        (st = used_phases(W, p->stride_w, p->pad_left, &tp->res_w, &tp->n_phase_w)) != SC_OK)
        return st;
    if (sc_mul_ovf(tp->n_phase_h, tp->n_phase_w, &tp->n_phase) ||
        sc_mul_ovf(tp->n_phase, IC, &d->n_rows))
        return sc_fail(SC_EOVERFLOW, "backward: %lld x %lld phases x %lld channels overflows",
                       (long long)tp->n_phase_h, (long long)tp->n_phase_w, (long long)IC);
    tp->hq = tp->A + tp->qh;
    d->wq = tp->B + tp->qw;
    d->ow = tp->B;
    tp->lo_h = tp->a0 - tp->qh;
    tp->lo_w = tp->b0 - tp->qw;
    d->in_place = tp->lo_h == 0 && tp->lo_w == 0 && tp->hq == OH && d->wq == OW &&
                  in->strides[SC_W] == 1 && (OH == 1 || in->strides[SC_H] == OW);
    /* a panel holds the tile's own pixels only: no tap may shift (qh = qw = 0) */
    d->panel = !d->in_place && tp->qh == 0 && tp->qw == 0 && tp->lo_h == 0 &&
               tp->lo_w == 0 && tp->hq == OH && d->wq == OW;
    d->pixels = (tp->A - 1) * d->wq + tp->B;
    /* one phase whose pixels are dX's own (stride 1): full tiles go straight into dX, wide
     * rows as row tiles */
    const int unit = p->stride_h == 1 && p->stride_w == 1 && out->strides[SC_W] == 1;
    d->direct_y = unit && d->wq == W && (H == 1 || out->strides[SC_H] == W);
    sc_spmm_plan_flat_tiles(d);
    if (unit && !d->direct_y) sc_spmm_plan_row_tiles(d, tp->A);
    /* a gathered panel (all dY channels of a tile) costs about as much as the tile's
     * SpMM on sparse layers: one thread per tile, even at some imbalance */
    d->tile_cuts = d->panel;
    /* dY read in place on one thread: halving the row blocks of a small image re-reads
     * every dY block once per row block, more L1 misses than the output rows it keeps in
     * L1 save. Gathered panels keep the halving, which measured faster there
     * (docs/kernels.md, "Work items") */
    d->lone_whole = d->in_place;
    int64_t plane;
    if (d->in_place) {
        tp->ch_floats = in->strides[SC_C];
    } else if (d->panel) {  /* the forward engine's measured choice for NHWC 1x1 layers */
        tp->ch_floats = d->tile_floats;
    } else {
        if (sc_mul_ovf(tp->hq, d->wq, &plane) || sc_add_ovf(plane, 15, &plane) ||
            sc_mul_ovf(plane / 16 * 16, OC, &d->image_floats))
            return sc_fail(SC_EOVERFLOW, "backward: padded dY planes of %lld x %lld x %lld "
                           "overflow", (long long)OC, (long long)tp->hq, (long long)d->wq);
        tp->ch_floats = plane / 16 * 16;  /* planes start on 64-byte boundaries */
    }
    const int64_t reach = tp->qh * d->wq + tp->qw;
    int64_t cb = SC_TCB_L1_BYTES / (4 * (d->tile_w + reach));
    if (cb < SC_TCB_MIN_CH) cb = SC_TCB_MIN_CH;
    if (cb > OC) cb = OC;
    /* offsets are relative to the block's first channel: the block must fit int32 bytes */
    while (cb > 1 && (tp->ch_floats > (INT32_MAX / 4 - SC_SPMM_TILE_MAX - reach) / cb)) cb /= 2;
    if (tp->ch_floats > INT32_MAX / 4 - SC_SPMM_TILE_MAX - reach)
        return sc_fail(SC_EUNSUPPORTED, "backward: a dY plane of %lld floats exceeds the 32-bit "
                       "byte offsets of the sparse kernels", (long long)tp->ch_floats);
    tp->cb_ch = cb;
    d->n_cb = (OC + cb - 1) / cb;
    d->cb_x_floats = cb * tp->ch_floats;
    return SC_OK;
}

/* Streams per (cb, r): w = [bias-or-0, values...], off_bytes = the matching offsets, filled
 * from the CSC of W column by column (k ascending, then o ascending): count, prefix sums into
 * starts (copied as cursors), scatter. */
static sc_status plan_streams(const float *bias, const sc_tensor *out, sc_tconv_plan *tp)
{
    const sc_layer *L = tp->layer;
    const sc_conv_params *p = &tp->p;
    sc_spmm_problem *d = &tp->d;
    const int64_t IC = out->dims[SC_C], icg = L->wd.icg, ocg = L->rows / p->groups;
    const int64_t R = d->n_rows;
    int64_t *wcur = NULL, *ocur = NULL, *bucket = NULL;
    int32_t *shift = NULL;
    sc_csc csc = {0};
    sc_status st;
    if ((st = sc_layer_transpose_csc(L, &csc)) != SC_OK ||
        (st = sc_spmm_problem_alloc(d, csc.nnz, "backward")) != SC_OK)
        goto done;
    const int64_t nblk = d->n_cb * R;  /* fits: sc_spmm_problem_alloc checked */
    if ((st = sc_alloc_array((void **)&wcur, (size_t)nblk, sizeof(int64_t), false,
                             "backward: stream cursors")) != SC_OK ||
        (st = sc_alloc_array((void **)&ocur, (size_t)nblk, sizeof(int64_t), false,
                             "backward: stream cursors")) != SC_OK ||
        (st = sc_alloc_array((void **)&bucket, (size_t)(csc.nnz ? csc.nnz : 1), sizeof(int64_t),
                             false, "backward: nonzero buckets")) != SC_OK ||
        (st = sc_alloc_array((void **)&shift, (size_t)(csc.nnz ? csc.nnz : 1), sizeof(int32_t),
                             false, "backward: nonzero shifts")) != SC_OK)
        goto done;
    /* bucket and in-block byte offset of every CSC entry; -1: its phase holds no dX pixel */
    for (int64_t k = 0; k < csc.cols; ++k) {
        int64_t i, kh, kw;
        sc_pack_unk(L->order, icg, L->wd.kh, L->wd.kw, k, &i, &kh, &kw);
        const int64_t th = kh * p->dil_h, tw = kw * p->dil_w;
        const int64_t ph = phase_index(tp->res_h, tp->n_phase_h, th % p->stride_h);
        const int64_t pw = phase_index(tp->res_w, tp->n_phase_w, tw % p->stride_w);
        const int64_t tap = (tp->qh - th / p->stride_h) * d->wq + (tp->qw - tw / p->stride_w);
        for (int64_t j = csc.col_ptr[k]; j < csc.col_ptr[k + 1]; ++j) {
            const int64_t o = csc.row_idx[j], c = o / ocg * icg + i;
            const int64_t cb = o / tp->cb_ch;
            bucket[j] = ph < 0 || pw < 0 ? -1 : cb * R + (ph * tp->n_phase_w + pw) * IC + c;
            shift[j] = (int32_t)(4 * ((o - cb * tp->cb_ch) * tp->ch_floats + tap));
            if (bucket[j] >= 0) d->nnz[bucket[j]]++;
        }
    }
    int64_t wpos = 0, opos = 0;
    for (int64_t b = 0; b < nblk; ++b) {
        d->w_start[b] = wcur[b] = wpos;
        d->off_start[b] = ocur[b] = opos;
        d->w[wpos] = (b < R && bias) ? bias[b % IC] : 0.0f;  /* bias slot */
        wcur[b]++;
        wpos += 1 + d->nnz[b];
        opos += d->nnz[b];
    }
    for (int64_t j = 0; j < csc.nnz; ++j) {
        if (bucket[j] < 0) continue;
        d->w[wcur[bucket[j]]++] = csc.val[j];
        d->off_bytes[ocur[bucket[j]]++] = shift[j];
    }
    st = SC_OK;
done:
    sc_csc_release(&csc);
    sc_free(wcur);
    sc_free(ocur);
    sc_free(bucket);
    sc_free(shift);
    return st;
}

sc_status sc_tconv_plan_build(const sc_layer *L, const sc_conv_params *p, const sc_tensor *in,
                              const sc_tensor *out, const sc_tconv_options *o, sc_tconv_plan *out_tp)
{
    sc_tconv_plan tp;
    memset(&tp, 0, sizeof tp);
    tp.layer = L;
    tp.p = *p;
    tp.in = *in;
    tp.out = *out;
    tp.d.act = o->act;
    tp.d.threads = o->threads;
    tp.d.rows = 1;
    tp.d.kit = sc_spmm_kit_pick(o->allowed, 1);
    tp.d.n_images = in->dims[SC_N];
    tp.d.in_ch = in->dims[SC_C];
    tp.d.x_image = in->strides[SC_N];
    tp.d.y_image = out->strides[SC_N];
    tp.d.y_row = out->strides[SC_C];
    tp.d.y_line = out->strides[SC_H];
    tp.d.pack = sc_tconv_pack_hook;
    tp.d.gather = sc_tconv_gather_hook;
    tp.d.store = sc_tconv_store_hook;
    sc_status st = plan_geometry(in, out, &tp);
    if (st == SC_OK) st = plan_streams(o->bias, out, &tp);
    if (st != SC_OK) {
        sc_tconv_plan_clear(&tp);
        return st;
    }
    tp.tr = sc_transpose8_pick(o->allowed);
    *out_tp = tp;
    return SC_OK;
}
