/* src/sparse/dw_plan.c: the direct depthwise plan: per channel its nonzero taps, clipped to the image columns once */
#include <stdbool.h>
#include <string.h>

#include "sparse/dw_plan.h"
#include "layer/layer_impl.h"

int sc_dw_applies(const sc_layer *L, const sc_tensor *x, const sc_tensor *y)
{
    /* channels adjacent and columns apart (NHWC): the SpMM driver's transposed tiles read
     * it better than rows gathered column by column; a one-column image reads in place */
    const int channel_last = x->dims[SC_C] > 1 && x->strides[SC_C] == 1 &&
                             x->dims[SC_W] > 1 && x->strides[SC_W] != 1;
    return L->kind == SC_LAYER_CONV && L->wd.icg == 1 && L->params.groups > 1 &&
           !channel_last && y->dims[SC_W] <= INT32_MAX;
}

void sc_dw_plan_clear(sc_dw_plan *dp)
{
    if (dp->scratch) sc_scratch_release(dp->scratch);
    sc_free(dp->scratch);
    sc_free(dp->taps);
    sc_free(dp->tap_start);
    sc_free(dp->inner);
    sc_free(dp->bias);
    memset(dp, 0, sizeof *dp);
}

/* Column j (CSR position) of the layer as an index. */
static int64_t col_at(const sc_layer *L, int64_t j)
{
    return L->index_bytes == 2 ? ((const uint16_t *)L->col_idx)[j]
                               : ((const uint32_t *)L->col_idx)[j];
}

/* Tap (kh, kw, w) in the plan's geometry; false when no output column reads inside the row. */
static bool make_tap(const sc_dw_plan *dp, const sc_conv_params *p, int64_t W, int64_t OW,
                     int64_t kh, int64_t kw, float w, sc_dw_tap *t)
{
    if (dp->flat) {
        *t = (sc_dw_tap){.w = w, .lo = 0, .hi = 0, .dy = kh * p->dil_h, .col = kw * p->dil_w};
        return true;
    }
    const int64_t s = dp->sw, c = kw * p->dil_w - p->pad_left;  /* ow*s + c is the column */
    const int64_t ph = (c % s + s) % s, base = (c - ph) / s;     /* phase and its index */
    const int64_t count = ph < W ? (W - ph + s - 1) / s : 0;      /* columns in the phase */
    const int64_t lo = base < 0 ? -base : 0;
    const int64_t hi = count - base < OW ? count - base : OW;
    if (hi <= lo) return false;
    t->w = w;
    t->lo = (int32_t)lo;
    t->hi = (int32_t)hi;
    t->dy = kh * p->dil_h;
    t->col = dp->pack ? sc_dw_phase_start(W, s, ph) + base + lo : c + lo;
    return true;
}

/* Output rows [in[0], in[1]) (in[1] >= in[0]) whose nt taps all read input rows inside
 * [0, H): oh*sh - pad_top + dy in [0, H) for every tap's dy. */
static void inner_rows(const sc_dw_plan *dp, const sc_dw_tap *taps, int64_t nt, int64_t H,
                       int64_t OH, int64_t in[2])
{
    int64_t dmin = dp->dy_max, dmax = 0;
    for (int64_t j = 0; j < nt; ++j) {
        dmin = taps[j].dy < dmin ? taps[j].dy : dmin;
        dmax = taps[j].dy > dmax ? taps[j].dy : dmax;
    }
    if (nt == 0) dmin = dmax = 0;  /* no taps: every row is inner */
    const int64_t sh = dp->sh, pt = dp->pad_top;
    const int64_t first = pt - dmin <= 0 ? 0 : (pt - dmin + sh - 1) / sh;
    const int64_t end = H - 1 + pt - dmax < 0 ? 0 : (H - 1 + pt - dmax) / sh + 1;
    in[0] = first < OH ? first : OH;
    in[1] = end < OH ? end : OH;
    if (in[1] < in[0]) in[1] = in[0];
}

sc_status sc_dw_plan_build(const sc_layer *L, const sc_tensor *x, const sc_tensor *y,
                           sc_cpu_set allowed, int threads, sc_spmm_params act,
                           const float *bias, sc_dw_plan *out)
{
    const sc_conv_params *p = &L->params;
    const int64_t OC = L->rows, W = x->dims[SC_W], OW = y->dims[SC_W];
    sc_dw_plan dp;
    memset(&dp, 0, sizeof dp);
    dp.kern = sc_dw_pick(allowed);
    dp.act = act;
    dp.threads = threads;
    dp.ocg = OC / p->groups;
    dp.dy_max = (L->wd.kh - 1) * p->dil_h;
    dp.sh = p->stride_h;
    dp.pad_top = p->pad_top;
    dp.pad_left = p->pad_left;
    dp.sw = p->stride_w;
    /* in place needs unit-stride columns and stride 1 (any W stride works for one column) */
    dp.pack = dp.sw > 1 || (W > 1 && x->strides[SC_W] != 1);
    dp.x = *x;
    dp.y = *y;
    /* narrow rows fill few vector lanes row by row; as one flat run over a padded plane
     * they fill them all (docs/kernels.md, "Direct depthwise") */
    const int64_t hp = x->dims[SC_H] + p->pad_top + p->pad_bottom;  /* pads <= 2^40 */
    const int64_t wp = W + p->pad_left + p->pad_right;
    dp.flat = dp.sh == 1 && dp.sw == 1 && OW <= SC_DW_FLAT_MAX_OW &&
              wp <= 4 * SC_DW_FLAT_MAX_OW && hp <= SC_DW_FLAT_MAX_HP;
    if (dp.flat) {
        dp.pack = 0;
        dp.hp = hp;
        dp.wp = wp;
    }
    sc_status st;
    if ((st = sc_alloc_array((void **)&dp.taps, (size_t)(L->nnz ? L->nnz : 1), sizeof *dp.taps,
                             false, "conv: depthwise taps")) != SC_OK ||
        (st = sc_alloc_array((void **)&dp.tap_start, (size_t)OC + 1, sizeof *dp.tap_start,
                             false, "conv: depthwise taps")) != SC_OK ||
        (st = sc_alloc_array((void **)&dp.inner, (size_t)OC, 2 * sizeof *dp.inner, false,
                             "conv: depthwise rows")) != SC_OK ||
        (st = sc_alloc_array((void **)&dp.bias, (size_t)OC, sizeof *dp.bias, true,
                             "conv: depthwise bias")) != SC_OK ||
        (st = sc_alloc_array((void **)&dp.scratch, 1, sizeof *dp.scratch, true,
                             "conv: scratch slot")) != SC_OK) {
        sc_dw_plan_clear(&dp);
        return st;
    }
    atomic_init(&dp.scratch->idle, NULL);
    int64_t n = 0;
    for (int64_t o = 0; o < OC; ++o) {
        dp.tap_start[o] = n;
        if (bias) dp.bias[o] = bias[o];
        for (int64_t j = L->row_ptr[o]; j < L->row_ptr[o + 1]; ++j) {
            int64_t i, kh, kw;
            sc_pack_unk(L->order, 1, L->wd.kh, L->wd.kw, col_at(L, j), &i, &kh, &kw);
            n += make_tap(&dp, p, W, OW, kh, kw, L->val[j], &dp.taps[n]);
        }
        if (n - dp.tap_start[o] > dp.max_taps) dp.max_taps = n - dp.tap_start[o];
        inner_rows(&dp, dp.taps + dp.tap_start[o], n - dp.tap_start[o], x->dims[SC_H],
                   y->dims[SC_H], &dp.inner[2 * o]);
    }
    dp.tap_start[OC] = n;
    *out = dp;
    return SC_OK;
}
