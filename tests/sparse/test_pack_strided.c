/* tests/sparse/test_pack_strided.c: input packing of strided layers (phase planes, 1x1 panels, the row deinterleaves) against index arithmetic */
#define _DEFAULT_SOURCE  /* MAP_ANONYMOUS */
#include <criterion/criterion.h>
#include <stdio.h>

#include "conv_test_util.h"
#include "guarded.h"
#include "core/core.h"
#include "sparse/sparse_plan.h"
#include "levels.h"

#define PACK_SEED 20261208u
#define SENTINEL 1000.0f  /* outside the [-1, 1) of the inputs: an element never written */

/* The kernels are called directly: every one the CPU runs is tested, whatever SCONV_ISA
 * lets the planner use. */
static int usable(const char *name, sc_cpu_set need)
{
    if (sc_cpu_set_has(sc_cpu_features_hw(), need)) return 1;
    printf("%s skipped: the CPU lacks its features\n", name);
    return 0;
}

/* One call: n groups of s floats whose last used float (phase np - 1 of group n - 1) is
 * the last before an inaccessible page, so a read past it faults; guard values around
 * every destination run. Returns 1 on a mismatch (logged). */
static int check_deinterleave(const sc_deinterleave_info *k, size_t s, size_t np, size_t n)
{
    enum { NMAX = 70, GUARD = 5, PMAX = 4 };
    static float out[PMAX][NMAX + 2 * GUARD];
    const size_t len = n ? (n - 1) * s + np : 0;
    guarded g = guarded_alloc(len ? (int64_t)len : 1);
    const float *src = len ? g.p : g.p + 1;  /* n = 0: at the guard page, nothing readable */
    for (size_t i = 0; i < len; ++i) g.p[i] = (float)(i + 1) * 0.25f;
    float *dst[PMAX];
    for (size_t p = 0; p < PMAX; ++p) {
        for (size_t i = 0; i < NMAX + 2 * GUARD; ++i) out[p][i] = SENTINEL;
        dst[p] = out[p] + GUARD;
    }
    k->fn(src, n, s, np, dst);
    int bad = 0;
    for (size_t p = 0; p < PMAX && !bad; ++p)
        for (size_t i = 0; i < NMAX + 2 * GUARD; ++i) {
            const size_t j = i - GUARD;  /* wraps below GUARD: then outside */
            const float want = p < np && i >= GUARD && j < n ? src[j * s + p] : SENTINEL;
            if (out[p][i] != want) {
                cr_log_error("%s s %zu np %zu n %zu: dst[%zu][%ld] = %g, expected %g", k->name,
                             s, np, n, p, (long)i - GUARD, (double)out[p][i], (double)want);
                bad = 1;
                break;
            }
        }
    guarded_free(&g);
    return bad;
}

/* Every n from 0 to 70 (tails of the 8- and 16-group loops, several whole iterations), every
 * stride the kernel takes (1..4 for one fixing none), every phase count. */
Test(pack_strided, every_deinterleave_kernel_matches_the_definition)
{
    int n_kern = 0, simd = 0, bad = 0;
    for (const sc_deinterleave_info *k = sc_deinterleave_table; k->fn; ++k, ++n_kern) {
        if (!usable(k->name, k->need)) continue;
        simd += k->need != 0;
        const size_t s_lo = k->stride ? k->stride : 1, s_hi = k->stride ? k->stride : 4;
        for (size_t s = s_lo; s <= s_hi; ++s)
            for (size_t np = 1; np <= s; ++np)
                for (size_t n = 0; n <= 70; ++n) bad += check_deinterleave(k, s, np, n);
    }
    cr_expect_geq(n_kern, 3, "the list holds the portable, AVX2 and AVX-512 kernels");
    cr_expect_eq(bad, 0, "%d calls wrong", bad);
    cr_log_info("%d deinterleave kernels, %d SIMD ones run", n_kern, simd);
}

/* Views of x the packers read through: dense NCHW, dense NHWC, a channel slice of a wider
 * NHWC buffer, NCHW with padded rows, planes and images, a channel slice of a wider NCHW
 * buffer, every other column of an NCHW buffer (rows not unit-stride). */
enum { XV_NCHW, XV_NHWC, XV_SLICE_NHWC, XV_PADDED, XV_SLICE_NCHW, XV_WSTRIDE, XV_N };
static const char *const xv_names[] = {"nchw", "nhwc", "slice-nhwc", "padded", "slice-nchw",
                                       "wstride"};

static sc_tensor x_view(int kind, int64_t n, int64_t c, int64_t h, int64_t w, int64_t *off,
                        int64_t *len)
{
    switch (kind) {
    case XV_NCHW: return ct_layout(CT_NCHW, n, c, h, w, off, len);
    case XV_NHWC: return ct_layout(CT_NHWC, n, c, h, w, off, len);
    case XV_SLICE_NHWC: return ct_layout(CT_SLICE, n, c, h, w, off, len);
    case XV_PADDED: return ct_layout(CT_PADDED, n, c, h, w, off, len);
    case XV_SLICE_NCHW: {
        const sc_tensor big = sc_tensor_nchw(n, c + 3, h, w);  /* the last c channels */
        *off = sc_tensor_offset(&big, 0, 3, 0, 0);
        *len = n * (c + 3) * h * w;
        return sc_tensor_slice_c(&big, 3, c);
    }
    default: {
        sc_tensor t = sc_tensor_nchw(n, c, h, 2 * w);
        t.dims[SC_W] = w;
        t.strides[SC_W] = 2;
        *off = 0;
        *len = n * c * h * 2 * w - 1;  /* ends on the view's last element */
        return t;
    }
    }
}

typedef struct pack_case {
    int64_t c, h, w, k, dil;
    sc_conv_params p;
    int xv;
    sc_cpu_set allowed;
} pack_case;

static void describe(const pack_case *pc, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s c %lld h %lld w %lld k %lld dil %lld stride %dx%d pad t%d l%d b%d r%d "
             "features %#llx", xv_names[pc->xv], (long long)pc->c, (long long)pc->h,
             (long long)pc->w, (long long)pc->k, (long long)pc->dil, (int)pc->p.stride_h,
             (int)pc->p.stride_w, (int)pc->p.pad_top, (int)pc->p.pad_left,
             (int)pc->p.pad_bottom, (int)pc->p.pad_right, (unsigned long long)pc->allowed);
}

/* The element (c, ih, iw) of image n through the view, or 0 outside the image. */
static float x_at(const float *x, const sc_tensor *xd, int64_t n, int64_t c, int64_t ih,
                  int64_t iw)
{
    if (ih < 0 || ih >= xd->dims[SC_H] || iw < 0 || iw >= xd->dims[SC_W]) return 0.0f;
    return x[n * xd->strides[SC_N] + c * xd->strides[SC_C] + ih * xd->strides[SC_H] +
             iw * xd->strides[SC_W]];
}

/* The phases (t*d) % s of taps t < k, ascending, computed by marking residues. */
static int64_t phases_of(int64_t k, int64_t d, int64_t s, int64_t *res)
{
    int64_t n = 0;
    for (int64_t r = 0; r < s; ++r)
        for (int64_t t = 0; t < k; ++t)
            if (t * d % s == r) {
                res[n++] = r;
                break;
            }
    return n;
}

/* A plan for the case (layer of 3 output channels, 2 images), x filled with distinct
 * values and ending at a guard page. */
typedef struct packed {
    sc_layer *layer;
    sc_sparse_plan sp;
    sc_tensor xd;
    guarded gx;
    const float *x;  /* image 0 of the view */
    int64_t oh, ow;
} packed;

static void packed_init(packed *pk, const pack_case *pc, ct_rng *r, const char *what)
{
    memset(pk, 0, sizeof *pk);
    const int64_t n = 2, oc = 3;
    cr_assert_eq(sc_conv_output_hw(&pc->p, pc->k, pc->k, pc->h, pc->w, &pk->oh, &pk->ow), SC_OK,
                 "%s: %s", what, sc_last_message());
    const sc_wdesc wd = {SC_OIHW, oc, pc->c, pc->k, pc->k};
    pk->layer = ct_random_layer(r, &(ct_layer_spec){.wd = wd, .params = &pc->p,
                                                    .sparsity = 0.3, .what = what});
    int64_t xoff, xlen;
    pk->xd = x_view(pc->xv, n, pc->c, pc->h, pc->w, &xoff, &xlen);
    const sc_tensor yd = sc_tensor_nchw(n, oc, pk->oh, pk->ow);
    pk->gx = guarded_alloc(xlen);
    for (int64_t i = 0; i < xlen; ++i) pk->gx.p[i] = (float)(2 * ct_uniform(r) - 1);
    pk->x = pk->gx.p + xoff;
    /* plain planes: their shifted copies are test_aligned_taps.c's */
    const sc_sparse_options o = {.allowed = pc->allowed, .threads = 1, .taps = SC_TAPS_PLAIN};
    cr_assert_eq(sc_sparse_plan_build(pk->layer, &pk->xd, &yd, &o, &pk->sp), SC_OK, "%s: %s",
                 what, sc_last_message());
}

static void packed_clear(packed *pk)
{
    sc_sparse_plan_clear(&pk->sp);
    sc_layer_destroy(pk->layer);
    guarded_free(&pk->gx);
}

/* Phase planes of image 1 (the last in the buffer) against the definition: plane (c, ph, pw)
 * holds the zero-padded input at rows i*sh + ph, columns j*sw + pw for the used phases,
 * then zeros up to the next plane. Channels [2, c) are packed first (channels 0, 1 must stay
 * untouched), then [0, 2). Returns 1 on a mismatch. */
static int check_planes(const pack_case *pc, ct_rng *r)
{
    char what[256];
    describe(pc, what, sizeof what);
    packed pk;
    packed_init(&pk, pc, r, what);
    const sc_sparse_plan *sp = &pk.sp;
    const sc_conv_params *p = &pc->p;
    const int64_t sh = p->stride_h, sw = p->stride_w, C = pc->c;
    int64_t res_h[8], res_w[8];
    const int64_t nph = phases_of(pc->k, pc->dil, sh, res_h);
    const int64_t npw = phases_of(pc->k, pc->dil, sw, res_w);
    cr_assert(!sp->d.in_place && !sp->d.panel, "%s: expected phase planes", what);
    cr_assert_eq(sp->n_phase_h, nph, "%s", what);
    cr_assert_eq(sp->n_phase_w, npw, "%s", what);
    const int64_t hq = pk.oh + (pc->k - 1) * pc->dil / sh, wq = pk.ow + (pc->k - 1) * pc->dil / sw;
    cr_assert_eq(sp->hq, hq, "%s", what);
    cr_assert_eq(sp->d.wq, wq, "%s", what);
    const int64_t S = sp->plane_floats, total = C * nph * npw * S;
    float *dst = malloc((size_t)total * sizeof *dst);
    for (int64_t i = 0; i < total; ++i) dst[i] = SENTINEL;
    const float *x1 = pk.x + pk.xd.strides[SC_N];
    const int64_t split = C > 2 ? 2 : 0;
    sc_pack_phase_planes(sp, x1, split, C, dst);
    int bad = 0;
    for (int64_t i = 0; i < split * nph * npw * S && !bad; ++i)
        if (dst[i] != SENTINEL) {
            cr_log_error("%s: channels [2, %lld) wrote element %lld of channels 0, 1", what,
                         (long long)C, (long long)i);
            bad = 1;
        }
    sc_pack_phase_planes(sp, x1, 0, split, dst);
    for (int64_t c = 0; c < C && !bad; ++c)
        for (int64_t a = 0; a < nph && !bad; ++a)
            for (int64_t b = 0; b < npw && !bad; ++b) {
                const float *pl = dst + ((c * nph + a) * npw + b) * S;
                for (int64_t e = 0; e < S; ++e) {
                    const int64_t i = e / wq, j = e % wq;
                    const float want = e >= hq * wq ? 0.0f
                                     : x_at(x1, &pk.xd, 0, c, i * sh + res_h[a] - p->pad_top,
                                            j * sw + res_w[b] - p->pad_left);
                    if (dst[((c * nph + a) * npw + b) * S + e] != want) {
                        cr_log_error("%s: plane (c %lld, ph %lld, pw %lld) [%lld][%lld] = %g, "
                                     "expected %g", what, (long long)c, (long long)res_h[a],
                                     (long long)res_w[b], (long long)i, (long long)j,
                                     (double)pl[e], (double)want);
                        bad = 1;
                        break;
                    }
                }
            }
    free(dst);
    packed_clear(&pk);
    return bad;
}

/* check(pc) on every input view and feature level; returns the failures, counts the cases. */
static int every_view_and_level(pack_case *pc, const sc_cpu_set *levels, int n_levels,
                                int (*check)(const pack_case *, ct_rng *), ct_rng *r,
                                int *cases)
{
    int bad = 0;
    for (int xv = 0; xv < XV_N; ++xv)
        for (int l = 0; l < n_levels; ++l, ++*cases) {
            pc->xv = xv;
            pc->allowed = levels[l];
            bad += check(pc, r);
        }
    return bad;
}

/* Strides 1..3 (and unequal pairs), odd and even widths, padding 0..2 per side, dilation,
 * kernels of 2, 3 and 5 taps (phases 0..s-1, a prefix, or phase 0 alone), every view and
 * feature level. 11 channels: one 8-channel block of the NHWC transposes and a rest. */
Test(pack_strided, phase_planes_match_the_definition, .timeout = 120)
{
    static const int strides[][2] = {{1, 1}, {2, 2}, {3, 3}, {1, 2}, {2, 3}, {3, 1}};
    static const int64_t widths[] = {13, 14, 29, 30, 40};
    static const int64_t kd[][2] = {{3, 1}, {3, 2}, {2, 1}, {5, 1}};
    sc_cpu_set levels[3];
    const int n_levels = feature_levels(levels);
    ct_rng r = {PACK_SEED};
    int cases = 0, bad = 0;
    for (size_t si = 0; si < sizeof strides / sizeof *strides; ++si)
        for (size_t wi = 0; wi < sizeof widths / sizeof *widths; ++wi)
            for (size_t ki = 0; ki < sizeof kd / sizeof *kd; ++ki)
                for (int pad = 0; pad <= 2; ++pad) {
                    pack_case pc = {.c = 11, .h = 9 + (int64_t)wi % 2, .w = widths[wi],
                                    .k = kd[ki][0], .dil = kd[ki][1]};
                    pc.p = sc_conv_params_default();
                    pc.p.stride_h = strides[si][0];
                    pc.p.stride_w = strides[si][1];
                    pc.p.dil_h = pc.p.dil_w = (int)pc.dil;
                    pc.p.pad_top = pc.p.pad_left = pad;
                    pc.p.pad_bottom = (pad + 1) % 3;
                    pc.p.pad_right = 2 - pad;
                    bad += every_view_and_level(&pc, levels, n_levels, check_planes, &r, &cases);
                }
    cr_expect_eq(bad, 0, "%d of %d cases wrong", bad, cases);
}

/* 1x1 panels of image 1 for every tile against the definition: panel[c*TF + p] is pixel
 * q0 + p (oh = q / OW, ow = q % OW) at input (oh*sh - pad_top, ow*sw - pad_left) or 0, and
 * nothing at p >= m is written. Returns 1 on a mismatch. */
static int check_panels(const pack_case *pc, ct_rng *r)
{
    char what[256];
    describe(pc, what, sizeof what);
    packed pk;
    packed_init(&pk, pc, r, what);
    const sc_sparse_plan *sp = &pk.sp;
    const sc_conv_params *p = &pc->p;
    cr_assert(sp->d.panel, "%s: expected a panel plan", what);
    const int64_t TF = sp->d.tile_floats, C = pc->c;
    float *panel = malloc((size_t)(C * TF) * sizeof *panel);
    const float *x1 = pk.x + pk.xd.strides[SC_N];
    int bad = 0;
    for (int64_t t = 0; t < sp->d.n_tiles && !bad; ++t) {
        int64_t q0, m;
        sc_spmm_tile(&sp->d, t, &q0, &m);
        for (int64_t i = 0; i < C * TF; ++i) panel[i] = SENTINEL;
        sc_pack_tile_panel(sp, x1, q0, m, panel);
        for (int64_t c = 0; c < C && !bad; ++c)
            for (int64_t i = 0; i < TF; ++i) {
                const int64_t q = q0 + i, oh = q / pk.ow, ow = q % pk.ow;
                const float want = i >= m ? SENTINEL
                                 : x_at(x1, &pk.xd, 0, c, oh * p->stride_h - p->pad_top,
                                        ow * p->stride_w - p->pad_left);
                if (panel[c * TF + i] != want) {
                    cr_log_error("%s: tile q0 %lld m %lld: panel[%lld][%lld] = %g, expected %g",
                                 what, (long long)q0, (long long)m, (long long)c, (long long)i,
                                 (double)panel[c * TF + i], (double)want);
                    bad = 1;
                    break;
                }
            }
    }
    free(panel);
    packed_clear(&pk);
    return bad;
}

/* Strided and padded 1x1 layers (ResNet's downsample and its variants) on every view and
 * level (pad_right 1 - pad: stride 1 is padded too); 300 output pixels span several tiles and a partial one; 19 channels: two
 * 8-channel blocks and a rest. */
Test(pack_strided, strided_1x1_panels_match_the_definition, .timeout = 120)
{
    static const int strides[][2] = {{2, 2}, {3, 3}, {1, 2}, {2, 1}, {1, 1}};
    static const int64_t widths[] = {39, 40, 57};
    sc_cpu_set levels[3];
    const int n_levels = feature_levels(levels);
    ct_rng r = {PACK_SEED + 1};
    int cases = 0, bad = 0;
    for (size_t si = 0; si < sizeof strides / sizeof *strides; ++si)
        for (size_t wi = 0; wi < sizeof widths / sizeof *widths; ++wi)
            for (int pad = 0; pad <= 1; ++pad) {
                pack_case pc = {.c = 19, .h = 15, .w = widths[wi], .k = 1, .dil = 1};
                pc.p = sc_conv_params_default();
                pc.p.stride_h = strides[si][0];
                pc.p.stride_w = strides[si][1];
                pc.p.pad_top = pc.p.pad_left = pad;
                pc.p.pad_right = 1 - pad;
                bad += every_view_and_level(&pc, levels, n_levels, check_panels, &r, &cases);
            }
    cr_expect_eq(bad, 0, "%d of %d cases wrong", bad, cases);
}

/* Whole stride-2 convolutions (ResNet's 3x3/2 and 1x1/2 downsample, the 7x7/2 stem, a
 * dilated 3x3 whose taps use phase 0 only) against sc_conv_reference, x ending at a guard
 * page, both layouts and views, every kernel choice, 1 and 2 threads. */
Test(pack_strided, stride2_convolutions_match_the_reference, .timeout = 120)
{
    static const int64_t shapes[][5] = {  /* k, pad, dil, h, w */
        {3, 1, 1, 14, 14}, {3, 1, 1, 15, 29}, {1, 0, 1, 14, 28}, {1, 0, 1, 13, 13},
        {7, 3, 1, 17, 22}, {3, 2, 2, 12, 19}};
    static const int xls[] = {CT_NCHW, CT_NHWC, CT_SLICE, CT_PADDED};
    ct_rng r = {PACK_SEED + 2};
    int bad = 0, cases = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; ++si)
        for (size_t xi = 0; xi < sizeof xls / sizeof *xls; ++xi)
            for (int turn = 0; turn < 3; ++turn) {
                const int64_t k = shapes[si][0], n = 2, ic = 19, oc = 10;
                sc_conv_params p = sc_conv_params_default();
                p.stride_h = p.stride_w = 2;
                p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = (int)shapes[si][1];
                p.dil_h = p.dil_w = (int)shapes[si][2];
                const sc_kernel_choice kern = ct_sweep_kernel(turn);
                const int yl = xls[xi] == CT_NHWC || xls[xi] == CT_SLICE ? CT_NHWC : CT_NCHW;
                char what[200];
                snprintf(what, sizeof what, "k %lld pad %lld dil %lld %lldx%lld x %s y %s %s",
                         (long long)k, (long long)shapes[si][1], (long long)shapes[si][2],
                         (long long)shapes[si][3], (long long)shapes[si][4],
                         ct_layout_names[xls[xi]], ct_layout_names[yl], ct_kernel_name(kern));
                int64_t oh, ow;
                cr_assert_eq(sc_conv_output_hw(&p, k, k, shapes[si][3], shapes[si][4], &oh, &ow),
                             SC_OK, "%s", what);
                const sc_wdesc wd = {SC_OIHW, oc, ic, k, k};
                const int64_t nw = sc_wdesc_numel(&wd);
                float *w = malloc((size_t)nw * sizeof *w), *wp = malloc((size_t)nw * sizeof *w);
                uint8_t *mask = malloc((size_t)nw);
                ct_layer_spec spec = {.wd = wd, .params = &p, .sparsity = 0.6, .pruned = wp,
                                      .what = what};
                ct_random_weights(&r, &spec, w, mask);
                sc_layer *layer = ct_pack(&spec, w, mask);
                int64_t xoff, xlen, yoff, ylen;
                const sc_tensor xd = ct_layout(xls[xi], n, ic, shapes[si][3], shapes[si][4],
                                               &xoff, &xlen);
                const sc_tensor yd = ct_layout(yl, n, oc, oh, ow, &yoff, &ylen);
                guarded gx = guarded_alloc(xlen);
                for (int64_t i = 0; i < xlen; ++i) gx.p[i] = (float)(2 * ct_uniform(&r) - 1);
                float *ref = malloc((size_t)ylen * sizeof *ref);
                float *scale = malloc((size_t)ylen * sizeof *scale);
                float *y[2] = {malloc((size_t)ylen * sizeof(float)),
                               malloc((size_t)ylen * sizeof(float))};
                for (int64_t i = 0; i < ylen; ++i) ref[i] = scale[i] = y[0][i] = y[1][i] = CT_UNSET;
                const sc_activation none = sc_activation_none();
                cr_assert_eq(sc_conv_reference(&p, &wd, wp, NULL, &none, &xd, gx.p + xoff, &yd,
                                               ref + yoff), SC_OK, "%s: %s", what,
                             sc_last_message());
                ct_abs_reference(&p, &wd, wp, NULL, &xd, gx.p + xoff, &yd, scale + yoff);
                for (int t = 1; t <= 2; ++t) {
                    sc_conv_options opt = sc_conv_options_default();
                    opt.engine = SC_ENGINE_SPARSE;
                    opt.kernel = kern;
                    opt.threads = t;
                    sc_conv *op = NULL;
                    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK, "%s: %s", what,
                                 sc_last_message());
                    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s: %s", what,
                                 sc_last_message());
                    cr_assert_eq(sc_conv_run(op, gx.p + xoff, y[t - 1] + yoff), SC_OK, "%s: %s",
                                 what, sc_last_message());
                    sc_conv_destroy(op);
                }
                bad += ct_check_runs(what, ylen, ref, scale, y[0], y[1]);
                ++cases;
                sc_layer_destroy(layer);
                guarded_free(&gx);
                free(w), free(wp), free(mask), free(ref), free(scale), free(y[0]), free(y[1]);
            }
    cr_expect_eq(bad, 0, "%d of %d convolutions wrong", bad, cases);
}
