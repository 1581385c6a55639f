/* src/sparse/plan_sparse.c: the sparse plan: phase-plane geometry, per-nonzero byte offsets, kernel streams */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "sparse/sparse_plan.h"
#include "layer/layer_impl.h"

/* Reduction blocking: a block of input channels keeps the input it touches for one tile
 * (of the plan's width, sc_spmm_tile_width) within 3/4 of the L1 data cache (1x1) or 1/2 (KxK, whose taps reach into
 * neighbouring rows) at the reference density; sparser weights get larger blocks, by
 * sqrt(ref / d) up to a quarter of L2, since a block's fixed cost per (row, block, tile)
 * falls as 1/cb while its spill cost grows with cb * d. In-place 1x1 layers (channel rows
 * of the image itself) take the same rule above the reference density too; panels do not.
 * See docs/kernels.md, "Reduction blocking". */
#define CB_REF_DENSITY_1X1 0.2
#define CB_REF_DENSITY_KXK 0.05
static int64_t block_budget_bytes(int taps_reach, int in_place, int split, double density)
{
    const int64_t l1 = sc_cpu_l1d_bytes();
    /* split taps pay more per (row, block, tile) (a register shift per segment): twice the
     * budget measured best (geometric mean 0.79x the plain time at 90%, against 0.88x at
     * the plain budget, 11 VGG-16 / ResNet-50 3x3 layers, AVX-512 Xeon) */
    const double base = (double)(taps_reach ? (split ? l1 : l1 / 2) : l1 / 4 * 3);
    const double ref = taps_reach ? CB_REF_DENSITY_KXK : CB_REF_DENSITY_1X1;
    if (density >= ref && !in_place) return (int64_t)base;
    const double cap = fmax(base, (double)(sc_cpu_l2_bytes() / 4));
    return (int64_t)(density > 0 ? fmin(base * sqrt(ref / density), cap) : cap);
}
#define SC_CB_MIN_CH 16

void sc_sparse_plan_clear(sc_sparse_plan *sp)
{
    sc_spmm_problem_clear(&sp->d);
    sc_dw_plan_clear(&sp->dw);
    sc_free(sp->res_h);
    sc_free(sp->res_w);
    sc_free(sp->tap_ph_h);
    sc_free(sp->tap_ph_w);
    sc_free(sp->tap_copy_w);
    memset(sp, 0, sizeof *sp);
}

static int by_value(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The phases (t*d) % s of taps t < k, distinct and ascending, into res; tap t's index among
 * them into tap_ph[t]; returns how many. O(k log k) in time and O(k) in memory for any
 * stride: a stride wider than the kernel's reach leaves most phases unused. */
static int64_t number_phases(int64_t k, int64_t d, int64_t s, int64_t *res, int64_t *tap_ph)
{
    for (int64_t t = 0; t < k; ++t) res[t] = t * d % s;  /* t*d < 2^42: the params check */
    qsort(res, (size_t)k, sizeof *res, by_value);
    int64_t n = 0;
    for (int64_t t = 0; t < k; ++t)
        if (n == 0 || res[t] != res[n - 1]) res[n++] = res[t];
    for (int64_t t = 0; t < k; ++t) {
        const int64_t r = t * d % s;
        const int64_t *at = bsearch(&r, res, (size_t)n, sizeof *res, by_value);
        tap_ph[t] = at - res;
    }
    return n;
}

/* A 1x1 NCHW input whose channel stride is a multiple of 4 floats but not of 8 (14x14 =
 * 196) goes through panels: read in place, a quarter of its ymm loads would split cache
 * lines. On two threads of a small image, though, the run is block-major and each thread
 * packs every tile's whole panel for its own output channels, so the packing is done once
 * per thread while the kernels' work is split; when each thread uses a packed channel row
 * for few nonzeros (threads * channels / nonzeros >= 0.075), the split loads cost less
 * than that pass (docs/kernels.md, "1x1 layers: in place or per-tile panels"). */
static int read_in_place_pays(const sc_tensor *x, const sc_sparse_plan *sp)
{
    const int threads = sc_sparse_thread_count(sp);
    return x->strides[SC_C] % 4 == 0 &&
           sc_spmm_block_major(sp->d.direct_y, x->dims[SC_N] * sp->d.n_tiles, sp->layer->rows,
                                 threads) &&
           (double)threads * (double)x->dims[SC_C] >= 0.075 * (double)sp->layer->nnz;
}

/* Aligned taps: the AVX-512 row kernels' loads split two cache lines at every tap whose
 * offset is not a multiple of 16 floats. Two layouts make every load aligned, both with wq
 * rounded up to 16: plane copies shifted by the taps' column offsets (SC_TAPS_ALIGNED:
 * n_copy times the packing and the footprint per channel), and split taps (SC_TAPS_SPLIT:
 * one plane per phase, each row's nonzeros in segments by column shift, the shift applied
 * once per (row, block, tile) in registers by the split kernel). Split taps measured faster
 * than both the plain planes and the copies at 50-95% on the VGG-16 and ResNet-50 3x3
 * layers and ResNet's 7x7/2 stem, so the rule takes them: the AVX-512 row kit, at most
 * SC_SPMM_MAX_SEG distinct shifts, rows of 8 or more nonzeros on average (VGG's 3-channel
 * conv1_1 at 90%, 2.7 per row, lost 1.04-1.11x; ResNet's 7x7/2 stem at 90%, 14.7, gained)
 * and at most 15% more columns (7x7 images, whose 9 columns would become 16, lost
 * 1.4-1.5x). The copies stay for tests (docs/kernels.md, "Phase planes"). */
#define ALIGN_MIN_ROW_NNZ 8
/* The column shifts mod 16 of taps kw < KW, distinct, in tap order (shift[0] = 0), into
 * shift; tap kw's index among them into tap_k[kw] (may be NULL); returns how many. */
static int64_t column_shifts(const sc_conv_params *p, int64_t KW, int64_t shift[16],
                             int64_t *tap_k)
{
    int64_t n = 0;
    for (int64_t kw = 0; kw < KW; ++kw) {
        const int64_t s = kw * p->dil_w / p->stride_w % 16;
        int64_t k = 0;
        while (k < n && shift[k] != s) ++k;
        if (k == n) shift[n++] = s;
        if (tap_k) tap_k[kw] = k;
    }
    return n;
}

static sc_taps_mode choose_taps(const sc_layer *L, const sc_tensor *y, const sc_spmm_problem *d,
                                sc_taps_mode mode)
{
    const sc_conv_params *p = &L->params;
    const int64_t bmax = (L->wd.kw - 1) * p->dil_w / p->stride_w;
    int64_t shift[16];
    if (mode == SC_TAPS_PLAIN || bmax == 0) return SC_TAPS_PLAIN;
    if (mode == SC_TAPS_ALIGNED) return mode;
    /* split: row streams only, at most SC_SPMM_MAX_SEG segments */
    if (d->rows != 1 || column_shifts(p, L->wd.kw, shift, NULL) > SC_SPMM_MAX_SEG)
        return SC_TAPS_PLAIN;
    if (mode == SC_TAPS_SPLIT) return mode;
    const int64_t wq = y->dims[SC_W] + bmax, wq16 = (wq + 15) / 16 * 16;
    return sc_spmm_kit_tile(&d->kit) >= 128 && L->nnz >= ALIGN_MIN_ROW_NNZ * L->rows &&
                   20 * wq16 <= 23 * wq
               ? SC_TAPS_SPLIT : SC_TAPS_PLAIN;
}

int sc_sparse_taps_split_expected(const sc_layer *L, const sc_tensor *y, sc_cpu_set allowed)
{
    if (L->wd.kh == 1 && L->wd.kw == 1) return 0;  /* 1x1: in place or panels, no planes */
    sc_spmm_problem d = {.rows = sc_layer_has_4x1_blocks(L) ? 4 : 1};
    d.kit = sc_spmm_kit_pick(allowed, (size_t)d.rows);
    return choose_taps(L, y, &d, SC_TAPS_AUTO) == SC_TAPS_SPLIT;
}

/* Geometry: in place or phase planes; fails with SC_EUNSUPPORTED when offsets overflow int32. */
static sc_status plan_geometry(const sc_tensor *x, const sc_tensor *y, sc_taps_mode taps,
                               sc_sparse_plan *sp)
{
    const sc_layer *L = sp->layer;
    const sc_conv_params *p = &L->params;
    const int64_t IC = x->dims[SC_C], H = x->dims[SC_H], W = x->dims[SC_W];
    const int64_t OH = y->dims[SC_H], OW = y->dims[SC_W];
    const int unit_1x1 = L->wd.kh == 1 && L->wd.kw == 1 && p->stride_h == 1 &&
                         p->stride_w == 1 && p->pad_top == 0 && p->pad_left == 0 &&
                         p->pad_bottom == 0 && p->pad_right == 0 && x->strides[SC_W] == 1 &&
                         (H == 1 || x->strides[SC_H] == W);
    int64_t span;
    const int offsets_fit = !sc_mul_ovf(IC - 1, x->strides[SC_C], &span) &&
                            span <= (INT32_MAX - 64) / 4;
    sp->n_copy = 1;
    sp->d.in_place = unit_1x1 && (IC == 1 || x->strides[SC_C] % 8 == 0);
    if (sp->d.in_place) {
        if (!offsets_fit)
            return sc_fail(SC_EUNSUPPORTED, "conv: channel stride %lld x %lld channels exceeds "
                           "the 32-bit byte offsets of the sparse kernels",
                           (long long)x->strides[SC_C], (long long)IC);
        sp->hq = H;
        sp->d.wq = W;
        sp->n_phase = 1;
        sp->n_phase_w = 1;
    } else if (L->wd.kh == 1 && L->wd.kw == 1) {
        if (IC > (INT32_MAX - 64) / (4 * SC_SPMM_TILE_MAX))
            return sc_fail(SC_EUNSUPPORTED, "conv: %lld input channels exceed the 32-bit byte "
                           "offsets of the sparse kernels", (long long)IC);
        sp->d.panel = 1;
        sp->hq = OH;
        sp->d.wq = OW;
        sp->n_phase = 1;
        sp->n_phase_w = 1;
    } else {
        const int64_t amax = (L->wd.kh - 1) * p->dil_h / p->stride_h;
        const int64_t bmax = (L->wd.kw - 1) * p->dil_w / p->stride_w;
        const int64_t KH = L->wd.kh, KW = L->wd.kw;
        sp->taps = choose_taps(L, y, &sp->d, taps);
        const int align = sp->taps != SC_TAPS_PLAIN, split = sp->taps == SC_TAPS_SPLIT;
        sp->hq = OH + amax;
        sp->d.wq = align ? (OW + bmax + 15) / 16 * 16 : OW + bmax;
        sp->d.align16 = align;
        if (sc_alloc_array((void **)&sp->tap_copy_w, (size_t)KW, sizeof(int64_t), false,
                           "conv: phases") != SC_OK ||
            sc_alloc_array((void **)&sp->res_h, (size_t)KH, sizeof(int64_t), false,
                           "conv: phases") != SC_OK ||
            sc_alloc_array((void **)&sp->tap_ph_h, (size_t)KH, sizeof(int64_t), false,
                           "conv: phases") != SC_OK ||
            sc_alloc_array((void **)&sp->res_w, (size_t)KW, sizeof(int64_t), false,
                           "conv: phases") != SC_OK ||
            sc_alloc_array((void **)&sp->tap_ph_w, (size_t)KW, sizeof(int64_t), false,
                           "conv: phases") != SC_OK)
            return SC_ENOMEM;
        sp->n_phase_h = number_phases(KH, p->dil_h, p->stride_h, sp->res_h, sp->tap_ph_h);
        sp->n_phase_w = number_phases(KW, p->dil_w, p->stride_w, sp->res_w, sp->tap_ph_w);
        sp->n_phase = sp->n_phase_h * sp->n_phase_w;
        /* the taps' column offsets mod 16, distinct, in tap order (shift[0] = 0): one
         * plane copy each (aligned), or one stream segment each (split) */
        int64_t n_shift = 1;
        if (align) {
            n_shift = column_shifts(p, KW, sp->shift, sp->tap_copy_w);
        } else {
            sp->shift[0] = 0;
            for (int64_t kw = 0; kw < KW; ++kw) sp->tap_copy_w[kw] = 0;
        }
        sp->n_copy = split ? 1 : n_shift;
        if (split) {
            sp->d.kit = sc_spmm_kit_split(sc_spmm_kit_tile(&sp->d.kit) >= 128);
            sp->d.act.n_seg = (int)n_shift;
            for (int64_t k = 0; k < n_shift; ++k) sp->d.act.seg_shift[k] = (int)sp->shift[k];
        }
        int64_t plane, img, chan;
        /* planes start on 64-byte boundaries (16 floats), an odd number of cache lines
         * apart: with an even count (16x16 planes of a 14x14 3x3 layer are 1 KiB) the
         * channels of a block pile onto a quarter of the L1 sets and evict each other */
        if (sc_mul_ovf(sp->hq, sp->d.wq, &plane) || sc_add_ovf(plane, 15, &plane) ||
            sc_mul_ovf(plane / 16 | 1, 16, &plane) ||
            sc_mul_ovf(sp->n_phase, sp->n_copy, &chan) || sc_mul_ovf(chan, IC, &chan) ||
            sc_mul_ovf(plane, chan, &img) || img > (INT32_MAX - 64) / 4)
            return sc_fail(SC_EUNSUPPORTED, "conv: the padded input of one image (%lld channels "
                           "x %lld x %lld, %lld phases x %lld copies) exceeds the 32-bit byte "
                           "offsets of the sparse kernels", (long long)IC, (long long)sp->hq,
                           (long long)sp->d.wq, (long long)sp->n_phase, (long long)sp->n_copy);
        sp->plane_floats = plane;
        sp->d.image_floats = img;
    }
    sp->d.pixels = (OH - 1) * sp->d.wq + OW;
    sp->d.ow = OW;
    sp->d.direct_y = y->strides[SC_W] == 1 && sp->d.wq == OW && (OH == 1 || y->strides[SC_H] == OW);
    /* 128-pixel tiles pay on KxK layers written unit-stride (NCHW), and on split-tap layers
     * into any layout, whose shifted segments take one vector more per tile
     * (sc_spmm_tile_width) */
    sp->d.wide = L->wd.kh * L->wd.kw > 1 &&
                 (y->strides[SC_W] == 1 || sp->taps == SC_TAPS_SPLIT);
    sc_spmm_plan_flat_tiles(&sp->d);
    /* wide rows with unit-stride pixels in y (NCHW output of a KxK layer): tiles per output
     * row, stored straight into y instead of a tile buffer copied out per row segment and
     * channel, with no garbage columns computed */
    if (!sp->d.direct_y && y->strides[SC_W] == 1) sc_spmm_plan_row_tiles(&sp->d, OH);
    /* a unit-stride 1x1 panel layer has its in-place geometry already (hq, wq, tiles): it
     * only changes how tiles are read */
    if (sp->d.panel && unit_1x1 && offsets_fit && read_in_place_pays(x, sp)) {
        sp->d.panel = 0;
        sp->d.in_place = 1;
    }
    /* touched floats per channel and tile: the tile's pixels plus the reach of the taps */
    const int64_t reach = sp->d.in_place || sp->d.panel ? 0 : (sp->hq - OH) * sp->d.wq + (sp->d.wq - OW);
    /* split taps' sums are grouped per reduction block, so their blocks must not depend on
     * the tile width (NCHW and NHWC y give the same bits): sized for the widest tile */
    const int64_t tw_blk = sp->taps == SC_TAPS_SPLIT ? SC_SPMM_TILE_MAX : sp->d.tile_w;
    const int64_t ch_bytes = 4 * sp->n_phase * sp->n_copy * (tw_blk + reach);
    const double density = L->rows > 0 && L->cols > 0
                               ? (double)L->nnz / ((double)L->rows * (double)L->cols) : 0;
    int64_t cb = block_budget_bytes(reach > 0, sp->d.in_place, sp->taps == SC_TAPS_SPLIT,
                                    density) / (ch_bytes > 0 ? ch_bytes : 1);
    if (cb < SC_CB_MIN_CH) cb = SC_CB_MIN_CH;
    /* blocks of equal size within the budget: 512 channels at a budget of 96 run as 6
     * blocks of 86, not 5 of 96 and one of 32 that pays the full fixed cost for a third of
     * the work */
    if (cb > IC) cb = IC;
    sp->d.n_cb = (IC + cb - 1) / cb;
    sp->cb_ch = (IC + sp->d.n_cb - 1) / sp->d.n_cb;  /* still n_cb blocks of at most cb */
    return SC_OK;
}

/* Byte offset of nonzero (c, kh, kw) from the tile base. */
static int32_t tap_offset(const sc_tensor *x, const sc_sparse_plan *sp, int64_t c, int64_t kh,
                          int64_t kw)
{
    const sc_conv_params *p = &sp->layer->params;
    if (sp->d.in_place) return (int32_t)(4 * c * x->strides[SC_C]);
    if (sp->d.panel) return (int32_t)(4 * sp->d.tile_floats * c);
    const int64_t th = kh * p->dil_h, tw = kw * p->dil_w;
    const int64_t ph = sp->tap_ph_h[kh], pw = sp->tap_ph_w[kw];
    const int64_t k = sp->tap_copy_w[kw];
    const int64_t copy = sp->taps == SC_TAPS_SPLIT ? 0 : k;
    const int64_t plane = (c * sp->n_copy + copy) * sp->n_phase + ph * sp->n_phase_w + pw;
    return (int32_t)(4 * (plane * sp->plane_floats + (th / p->stride_h) * sp->d.wq +
                          tw / p->stride_w - sp->shift[k]));
}

/* Column j (CSR position) of the layer as an index. */
static int64_t col_at(const sc_layer *L, int64_t j)
{
    return L->index_bytes == 2 ? ((const uint16_t *)L->col_idx)[j]
                               : ((const uint32_t *)L->col_idx)[j];
}

int sc_layer_has_4x1_blocks(const sc_layer *L)
{
    const int64_t OC = L->rows, ocg = OC / L->params.groups;
    if (ocg % 4 != 0) return 0;
    for (int64_t o = 0; o < OC; o += 4) {
        const int64_t j0 = L->row_ptr[o], n = L->row_ptr[o + 1] - j0;
        for (int64_t r = 1; r < 4; ++r) {
            const int64_t jr = L->row_ptr[o + r];
            if (L->row_ptr[o + r + 1] - jr != n) return 0;
            for (int64_t t = 0; t < n; ++t)
                if (col_at(L, j0 + t) != col_at(L, jr + t)) return 0;
        }
    }
    return 1;
}

/* Streams: per block cb and channel o, w = [bias or 0, values...] and the offsets. Counting
 * pass, prefix sums into starts (copied as cursors), scatter in CSR order. With 4x1 blocks
 * (sp->d.rows == 4) one stream per group of 4 channels o..o+3 (indexed at o; the other three
 * entries count 0): w = [4 biases or 0, then per column the 4 values], one offset per
 * column. */
static sc_status plan_streams(const float *bias, const sc_tensor *x, sc_sparse_plan *sp)
{
    const sc_layer *L = sp->layer;
    const int64_t OC = L->rows, ocg = OC / L->params.groups, icg = L->wd.icg;
    const int64_t nblk = sp->d.n_cb * OC;
    /* cursors per (stream, segment): split taps order each stream by column shift */
    const int64_t S = sp->d.act.n_seg > 0 ? sp->d.act.n_seg : 1;
    int64_t *wcur = NULL, *ocur = NULL;
    sc_status st;
    if ((st = sc_spmm_problem_alloc(&sp->d, L->nnz, "conv")) != SC_OK ||
        (sp->d.act.n_seg > 0 &&
         (st = sc_alloc_array((void **)&sp->d.seg_nnz, (size_t)(nblk * S), sizeof(uint32_t),
                              true, "conv: stream segments")) != SC_OK) ||
        (st = sc_alloc_array((void **)&wcur, (size_t)(nblk * S), sizeof(int64_t), false,
                             "conv: stream cursors")) != SC_OK ||
        (st = sc_alloc_array((void **)&ocur, (size_t)(nblk * S), sizeof(int64_t), false,
                             "conv: stream cursors")) != SC_OK)
        goto done;
    const int64_t R = sp->d.rows;
    for (int64_t o = 0; o < OC; o += R) {
        const int64_t cbase = (o / ocg) * icg;
        for (int64_t j = L->row_ptr[o]; j < L->row_ptr[o + 1]; ++j) {
            int64_t i, kh, kw;
            sc_pack_unk(L->order, icg, L->wd.kh, L->wd.kw, col_at(L, j), &i, &kh, &kw);
            const int64_t b = (cbase + i) / sp->cb_ch * OC + o;
            sp->d.nnz[b]++;
            if (sp->d.seg_nnz) sp->d.seg_nnz[b * S + sp->tap_copy_w[kw]]++;
        }
    }
    int64_t wpos = 0, opos = 0;
    for (int64_t b = 0; b < nblk; ++b) {  /* in block mode b % R != 0 are empty entries */
        sp->d.w_start[b] = wpos;
        sp->d.off_start[b] = opos;
        wcur[b * S] = wpos + (b % R == 0 ? R : 0);
        ocur[b * S] = opos;
        for (int64_t k = 1; k < S; ++k) {  /* segment k after segments 0..k-1 */
            wcur[b * S + k] = wcur[b * S + k - 1] + sp->d.seg_nnz[b * S + k - 1];
            ocur[b * S + k] = ocur[b * S + k - 1] + sp->d.seg_nnz[b * S + k - 1];
        }
        if (b % R != 0) continue;
        for (int64_t r = 0; r < R; ++r)  /* bias slots */
            sp->d.w[wpos + r] = (b < OC && bias) ? bias[b + r] : 0.0f;
        wpos += R * (1 + (int64_t)sp->d.nnz[b]);
        opos += sp->d.nnz[b];
    }
    for (int64_t o = 0; o < OC; o += R) {
        const int64_t cbase = (o / ocg) * icg;
        for (int64_t j = L->row_ptr[o]; j < L->row_ptr[o + 1]; ++j) {
            int64_t i, kh, kw;
            sc_pack_unk(L->order, icg, L->wd.kh, L->wd.kw, col_at(L, j), &i, &kh, &kw);
            const int64_t b = (cbase + i) / sp->cb_ch * OC + o;
            const int64_t c = b * S + (sp->d.seg_nnz ? sp->tap_copy_w[kw] : 0);
            for (int64_t r = 0; r < R; ++r)  /* the same position in rows o..o+R-1 */
                sp->d.w[wcur[c]++] = L->val[L->row_ptr[o + r] + (j - L->row_ptr[o])];
            sp->d.off_bytes[ocur[c]++] = tap_offset(x, sp, cbase + i, kh, kw);
        }
    }
    st = SC_OK;
done:
    sc_free(wcur);
    sc_free(ocur);
    return st;
}

/* The forward packers and store as the driver's hooks (ctx: the plan). */
static void pack_hook(const void *ctx, const float *x, int64_t c0, int64_t c1, float *dst)
{
    sc_pack_phase_planes(ctx, x, c0, c1, dst);
}

static void gather_hook(const void *ctx, const float *x, int64_t q0, int64_t m, float *panel)
{
    sc_pack_tile_panel(ctx, x, q0, m, panel);
}

static void store_hook(const void *ctx, const float *buf, int64_t q0, int64_t m, int64_t r0,
                       int64_t nb, float *y)
{
    sc_write_output_tile(ctx, buf, q0, m, r0, nb, y);
}

static void load_hook(const void *ctx, float *buf, int64_t q0, int64_t m, int64_t r0,
                      int64_t nb, const float *y)
{
    sc_read_output_tile(ctx, buf, q0, m, r0, nb, y);
}

sc_status sc_sparse_plan_build(const sc_layer *L, const sc_tensor *x, const sc_tensor *y,
                               const sc_sparse_options *o, sc_sparse_plan *out)
{
    sc_sparse_plan sp;
    memset(&sp, 0, sizeof sp);
    sp.layer = L;
    sp.x = *x;
    sp.y = *y;
    sp.d.act = o->act;
    sp.d.threads = o->threads;
    /* the direct depthwise kernels start from the bias only: an accumulating plan runs the
     * layer through the SpMM driver instead */
    if (!o->accumulate && sc_dw_applies(L, x, y)) {
        const sc_status st = sc_dw_plan_build(L, x, y, o->allowed, o->threads, o->act, o->bias,
                                              &sp.dw);
        if (st == SC_OK) *out = sp;
        return st;
    }
    sp.d.rows = sc_layer_has_4x1_blocks(L) ? 4 : 1;
    sp.d.kit = sc_spmm_kit_pick(o->allowed, (size_t)sp.d.rows);
    sp.d.n_rows = L->rows;
    sp.d.n_images = x->dims[SC_N];
    sp.d.in_ch = x->dims[SC_C];
    sp.d.x_image = x->strides[SC_N];
    sp.d.y_image = y->strides[SC_N];
    sp.d.y_row = y->strides[SC_C];
    sp.d.y_line = y->strides[SC_H];
    sp.d.pack = pack_hook;
    sp.d.gather = gather_hook;
    sp.d.store = store_hook;
    sp.d.accumulate = o->accumulate;
    sp.d.load = load_hook;
    sc_status st = plan_geometry(x, y, o->taps, &sp);
    if (st == SC_OK) st = plan_streams(o->bias, x, &sp);
    if (st == SC_OK) {
        const size_t tf = (size_t)sp.d.tile_floats;
        sp.transpose8 = sc_transpose8_pick(o->allowed);
        sp.to_panel = sc_transpose8xn_pick(o->allowed, 0, tf);
        sp.from_tile = sc_transpose8xn_pick(o->allowed, tf, 0);
        sp.deinterleave = sc_deinterleave_pick(o->allowed, (size_t)L->params.stride_w);
        *out = sp;
        return SC_OK;
    }
    sc_sparse_plan_clear(&sp);
    return st;
}
