/* src/sparse/backward_plan.c: the transposed-conv plan: phase geometry, dY planes, CSC weight streams */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "sparse/backward_impl.h"
#include "sparse/kernel_choice.h"
#include "layer/csr_cs.h"
#include "layer/layer_impl.h"

/* Reduction blocking over dY channels, as the forward plan does over input channels: the
 * dY a block touches for one 64-pixel tile should stay within L1 (24 KiB: the forward
 * engine's budget on a 32 KiB L1; neither 16 KiB nor 64 KiB did better on backward 1x1
 * layers), and blocks never get smaller than 16 channels (the fixed cost per (row, block,
 * tile) takes over). See docs/kernels.md, "Reduction blocking". */
#define SC_TCB_L1_BYTES 24576
#define SC_TCB_MIN_CH 16

void sc_tconv_plan_clear(sc_tconv_plan *tp)
{
    sc_free(tp->w);
    sc_free(tp->off_bytes);
    sc_free(tp->nnz);
    sc_free(tp->w_start);
    sc_free(tp->off_start);
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

static sc_status plan_geometry(const sc_tconv *t, const sc_tensor *in, const sc_tensor *out,
                               sc_tconv_plan *tp)
{
    const sc_layer *L = t->layer;
    const sc_conv_params *p = &t->p;
    const int64_t OC = in->dims[SC_C], OH = in->dims[SC_H], OW = in->dims[SC_W];
    const int64_t IC = out->dims[SC_C], H = out->dims[SC_H], W = out->dims[SC_W];
    axis_geometry(H, L->wd.kh, p->dil_h, p->stride_h, p->pad_top, &tp->a0, &tp->A, &tp->qh);
    axis_geometry(W, L->wd.kw, p->dil_w, p->stride_w, p->pad_left, &tp->b0, &tp->B, &tp->qw);
    if (sc_mul_ovf(p->stride_h, p->stride_w, &tp->n_phase))
        return sc_fail(SC_EOVERFLOW, "backward: stride %lld x %lld: the phase count overflows",
                       (long long)p->stride_h, (long long)p->stride_w);
    tp->hq = tp->A + tp->qh;
    tp->wq = tp->B + tp->qw;
    tp->lo_h = tp->a0 - tp->qh;
    tp->lo_w = tp->b0 - tp->qw;
    if (sc_mul_ovf(tp->n_phase, IC, &tp->n_rows))
        return sc_fail(SC_EOVERFLOW, "backward: %lld phases x %lld channels overflows",
                       (long long)tp->n_phase, (long long)IC);
    tp->in_place = tp->lo_h == 0 && tp->lo_w == 0 && tp->hq == OH && tp->wq == OW &&
                   in->strides[SC_W] == 1 && (OH == 1 || in->strides[SC_H] == OW);
    /* a panel holds the tile's own pixels only: no tap may shift (qh = qw = 0) */
    tp->panel = !tp->in_place && tp->qh == 0 && tp->qw == 0 && tp->lo_h == 0 &&
                tp->lo_w == 0 && tp->hq == OH && tp->wq == OW;
    int64_t plane;
    if (tp->in_place) {
        tp->ch_floats = in->strides[SC_C];
        tp->image_floats = 0;
    } else if (tp->panel) {  /* the forward engine's measured choice for NHWC 1x1 layers */
        tp->ch_floats = 64;
        tp->image_floats = 0;
    } else {
        if (sc_mul_ovf(tp->hq, tp->wq, &plane) || sc_add_ovf(plane, 15, &plane) ||
            sc_mul_ovf(plane / 16 * 16, OC, &tp->image_floats))
            return sc_fail(SC_EOVERFLOW, "backward: padded dY planes of %lld x %lld x %lld "
                           "overflow", (long long)OC, (long long)tp->hq, (long long)tp->wq);
        tp->ch_floats = plane / 16 * 16;  /* planes start on 64-byte boundaries */
    }
    tp->pixels = (tp->A - 1) * tp->wq + tp->B;
    tp->n_tiles = (tp->pixels + 63) / 64;
    const int64_t reach = tp->qh * tp->wq + tp->qw;
    int64_t cb = SC_TCB_L1_BYTES / (4 * (64 + reach));
    if (cb < SC_TCB_MIN_CH) cb = SC_TCB_MIN_CH;
    if (cb > OC) cb = OC;
    /* offsets are relative to the block's first channel: the block must fit int32 bytes */
    while (cb > 1 && (tp->ch_floats > (INT32_MAX / 4 - 64 - reach) / cb)) cb /= 2;
    if (tp->ch_floats > INT32_MAX / 4 - 64 - reach)
        return sc_fail(SC_EUNSUPPORTED, "backward: a dY plane of %lld floats exceeds the 32-bit "
                       "byte offsets of the sparse kernels", (long long)tp->ch_floats);
    tp->cb_ch = cb;
    tp->n_cb = (OC + cb - 1) / cb;
    int64_t nblk;
    if (sc_mul_ovf(tp->n_cb, tp->n_rows, &nblk))
        return sc_fail(SC_EOVERFLOW, "backward: %lld reduction blocks x %lld rows overflows",
                       (long long)tp->n_cb, (long long)tp->n_rows);
    tp->direct = tp->n_phase == 1 && tp->wq == W && tp->B == W && tp->A == H &&
                 out->strides[SC_W] == 1 && (H == 1 || out->strides[SC_H] == W);
    return SC_OK;
}

/* Streams per (cb, r): w = [bias-or-0, values...], off_bytes = the matching offsets, filled
 * from the CSC of W column by column (k ascending, then o ascending): count, prefix sums into
 * starts (copied as cursors), scatter. */
static sc_status plan_streams(const sc_tconv *t, const sc_tensor *out, sc_tconv_plan *tp)
{
    const sc_layer *L = t->layer;
    const sc_conv_params *p = &t->p;
    const int64_t IC = out->dims[SC_C], icg = L->wd.icg, ocg = L->rows / p->groups;
    const int64_t R = tp->n_rows, nblk = tp->n_cb * R;
    int64_t *wcur = NULL, *ocur = NULL, *bucket = NULL;
    int32_t *shift = NULL;
    sc_csc csc = {0};
    sc_status st;
    if ((st = sc_layer_transpose_csc(L, &csc)) != SC_OK ||
        (st = sc_alloc_array((void **)&tp->nnz, (size_t)nblk, sizeof *tp->nnz, true,
                             "backward: stream counts")) != SC_OK ||
        (st = sc_alloc_array((void **)&tp->w_start, (size_t)nblk, sizeof(int64_t), false,
                             "backward: stream starts")) != SC_OK ||
        (st = sc_alloc_array((void **)&tp->off_start, (size_t)nblk, sizeof(int64_t), false,
                             "backward: stream starts")) != SC_OK ||
        (st = sc_alloc_array((void **)&wcur, (size_t)nblk, sizeof(int64_t), false,
                             "backward: stream cursors")) != SC_OK ||
        (st = sc_alloc_array((void **)&ocur, (size_t)nblk, sizeof(int64_t), false,
                             "backward: stream cursors")) != SC_OK ||
        (st = sc_alloc_array((void **)&bucket, (size_t)(csc.nnz ? csc.nnz : 1), sizeof(int64_t),
                             false, "backward: nonzero buckets")) != SC_OK ||
        (st = sc_alloc_array((void **)&shift, (size_t)(csc.nnz ? csc.nnz : 1), sizeof(int32_t),
                             false, "backward: nonzero shifts")) != SC_OK ||
        (st = sc_alloc_array((void **)&tp->w, (size_t)(nblk + csc.nnz), sizeof(float), false,
                             "backward: weight streams")) != SC_OK ||
        (st = sc_alloc_array((void **)&tp->off_bytes, (size_t)(csc.nnz ? csc.nnz : 1),
                             sizeof(int32_t), false, "backward: offsets")) != SC_OK)
        goto done;
    /* bucket and in-block byte offset of every CSC entry */
    for (int64_t k = 0; k < csc.cols; ++k) {
        int64_t i, kh, kw;
        sc_pack_unk(L->order, icg, L->wd.kh, L->wd.kw, k, &i, &kh, &kw);
        const int64_t th = kh * p->dil_h, tw = kw * p->dil_w;
        const int64_t phase = th % p->stride_h * p->stride_w + tw % p->stride_w;
        const int64_t tap = (tp->qh - th / p->stride_h) * tp->wq + (tp->qw - tw / p->stride_w);
        for (int64_t j = csc.col_ptr[k]; j < csc.col_ptr[k + 1]; ++j) {
            const int64_t o = csc.row_idx[j], c = o / ocg * icg + i;
            const int64_t cb = o / tp->cb_ch;
            bucket[j] = cb * R + phase * IC + c;
            shift[j] = (int32_t)(4 * ((o - cb * tp->cb_ch) * tp->ch_floats + tap));
            tp->nnz[bucket[j]]++;
        }
    }
    int64_t wpos = 0, opos = 0;
    for (int64_t b = 0; b < nblk; ++b) {
        tp->w_start[b] = wcur[b] = wpos;
        tp->off_start[b] = ocur[b] = opos;
        tp->w[wpos] = (b < R && t->bias) ? t->bias[b % IC] : 0.0f;  /* bias slot */
        wcur[b]++;
        wpos += 1 + tp->nnz[b];
        opos += tp->nnz[b];
    }
    for (int64_t j = 0; j < csc.nnz; ++j) {
        tp->w[wcur[bucket[j]]++] = csc.val[j];
        tp->off_bytes[ocur[bucket[j]]++] = shift[j];
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

sc_status sc_tconv_check_kernel(const char *who, sc_kernel_choice k)
{
    return sc_kernel_choice_check(who, k);
}

sc_status sc_tconv_plan_build(sc_tconv *t, const sc_tensor *in, const sc_tensor *out)
{
    sc_tconv_plan tp;
    memset(&tp, 0, sizeof tp);
    sc_status st = plan_geometry(t, in, out, &tp);
    if (st == SC_OK) st = plan_streams(t, out, &tp);
    if (st != SC_OK) {
        sc_tconv_plan_clear(&tp);
        return st;
    }
    const sc_cpu_set allowed = sc_kernel_features(t->kernel);
    tp.kit = sc_spmm_kit_pick(allowed, 1);
    tp.kit.shrt = tp.kit.lng = NULL;
    tp.tr = sc_transpose8_pick(allowed);
    sc_tconv_plan_clear(&t->tp);
    t->tp = tp;
    t->in = *in;
    t->out = *out;
    t->kernel_name = tp.kit.chain[0]->name;
    snprintf(t->reason, sizeof t->reason, "sparse transposed conv: %lld phase(s), dY %s, "
             "%lld reduction block(s) of %lld channels, tiles %s", (long long)tp.n_phase,
             tp.in_place ? "read in place"
             : tp.panel  ? "gathered per tile into channel-major panels"
                         : "copied into zero-framed planes",
             (long long)tp.n_cb, (long long)tp.cb_ch,
             tp.direct ? "stored directly" : "stored through the output descriptor");
    t->planned = 1;
    return SC_OK;
}
