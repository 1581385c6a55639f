/* tests/sparse/test_backward.c: randomised sweeps of backward data and conv_transpose against the dense references */
#include <criterion/criterion.h>
#include <stdio.h>

#include "conv_test_util.h"
#include "core/core.h"

#define SWEEP_SEED 20261124u
#define SWEEP_CONFIGS 480

typedef struct bw_cfg {
    int64_t n, ic, oc, h, w, kh, kw, groups;
    sc_conv_params p;
    int64_t oph, opw;  /* output padding (conv_transpose only) */
    double sparsity;
    sc_pack_order order;
    int xl, yl;        /* layouts of the engine's input (dY / x) and output (dX / y) */
    sc_kernel_choice kernel;
    sc_activation act;
    int bias;
} bw_cfg;

static void describe(const bw_cfg *c, const char *what, int idx, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s config %d (seed %u): n %lld ic %lld oc %lld groups %lld in %lldx%lld "
             "k %lldx%lld stride %lldx%lld pad t%lld l%lld b%lld r%lld dil %lldx%lld outpad "
             "%lldx%lld sparsity %.2f pack %s in %s out %s kernel %s act %s bias %d",
             what, idx, SWEEP_SEED, (long long)c->n, (long long)c->ic, (long long)c->oc,
             (long long)c->groups, (long long)c->h, (long long)c->w, (long long)c->kh,
             (long long)c->kw, (long long)c->p.stride_h, (long long)c->p.stride_w,
             (long long)c->p.pad_top, (long long)c->p.pad_left, (long long)c->p.pad_bottom,
             (long long)c->p.pad_right, (long long)c->p.dil_h, (long long)c->p.dil_w,
             (long long)c->oph, (long long)c->opw, c->sparsity, sc_pack_order_name(c->order),
             ct_layout_names[c->xl], ct_layout_names[c->yl],
             ct_kernel_name(c->kernel), sc_activation_name(c->act.kind),
             c->bias);
}

/* Every layout pair appears (idx / 4 % 16), both kernels (idx / 2 % 2), sparsities
 * 0, 0.5, 0.9, 1.0 (idx % 4); strides 1-3, padding, dilation, groups, batch at random. */
static bw_cfg random_cfg(ct_rng *r, int idx, int transpose)
{
    static const double sparsities[] = {0.0, 0.5, 0.9, 1.0};
    bw_cfg c;
    memset(&c, 0, sizeof c);
    c.p = sc_conv_params_default();
    ct_random_geometry(r, idx, 5, 3, true, &c.kh, &c.kw, &c.p);
    const int gk = (int)ct_int(r, 0, 4);
    int64_t icg = ct_int(r, 1, 6), ocg = ct_int(r, 1, 6);
    c.groups = gk <= 1 ? 1 : gk == 2 ? 2 : gk == 3 ? 3 : ct_int(r, 2, 6);
    if (gk == 4) icg = 1, ocg = ct_int(r, 1, 2);
    if (idx % 11 == 0) icg = ct_int(r, 17, 40);  /* several reduction blocks in the engine */
    c.ic = icg * c.groups;
    c.oc = ocg * c.groups;
    c.p.groups = c.groups;
    const int64_t need_h = (c.kh - 1) * c.p.dil_h + 1 - c.p.pad_top - c.p.pad_bottom;
    const int64_t need_w = (c.kw - 1) * c.p.dil_w + 1 - c.p.pad_left - c.p.pad_right;
    c.h = (need_h > 1 ? need_h : 1) + ct_int(r, 0, 8);
    c.w = (need_w > 1 ? need_w : 1) + ct_int(r, 0, idx % 4 == 0 ? 30 : 8);
    c.n = ct_int(r, 1, 3);
    c.sparsity = sparsities[idx % 4];
    c.order = ct_uniform(r) < 0.5 ? SC_PACK_CHW : SC_PACK_HWC;
    c.xl = (int)(idx / 4 % 4);
    c.yl = (int)(idx / 16 % 4);
    c.kernel = ct_sweep_kernel(idx / 2);
    if (transpose) {
        const int64_t mh = c.p.stride_h > c.p.dil_h ? c.p.stride_h : c.p.dil_h;
        const int64_t mw = c.p.stride_w > c.p.dil_w ? c.p.stride_w : c.p.dil_w;
        c.oph = ct_int(r, 0, mh - 1);
        c.opw = ct_int(r, 0, mw - 1);
        const int a = (int)ct_int(r, 0, 3);
        c.act = a == 0 ? sc_activation_none() : a == 1 ? sc_activation_relu()
              : a == 2 ? sc_activation_relu6() : sc_activation_clamp(-0.5f, 0.75f);
        c.bias = (int)ct_int(r, 0, 1);
    } else {
        c.act = sc_activation_none();
    }
    return c;
}

/* Random weights of wd pruned at the sparsity; w keeps the pruned dense copy. */
static sc_layer *make_layer(ct_rng *r, const sc_wdesc *wd, const bw_cfg *c, float *w,
                            const char *what)
{
    return ct_random_layer(r, &(ct_layer_spec){.wd = *wd, .params = &c->p, .order = c->order,
                                               .sparsity = c->sparsity,
                                               .masks_after_weights = true, .pruned = w,
                                               .what = what});
}

static int run_bwd(const bw_cfg *c, int idx, ct_rng *r)
{
    char what[600];
    describe(c, "backward data", idx, what, sizeof what);
    if (c->kernel == SC_KERNEL_AVX2 && !sc_cpu_has_avx2_fma()) return -1;
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&c->p, c->kh, c->kw, c->h, c->w, &oh, &ow), SC_OK);
    const sc_wdesc wd = {SC_OIHW, c->oc, c->ic / c->groups, c->kh, c->kw};
    float *w = malloc((size_t)sc_wdesc_numel(&wd) * sizeof *w);
    sc_layer *layer = make_layer(r, &wd, c, w, what);
    int64_t ioff, ilen, ooff, olen;
    const sc_tensor dyd = ct_layout(c->xl, c->n, c->oc, oh, ow, &ioff, &ilen);
    const sc_tensor dxd = ct_layout(c->yl, c->n, c->ic, c->h, c->w, &ooff, &olen);
    float *dy = ct_float_buf(r, ilen), *ady = malloc((size_t)ilen * sizeof *ady);
    float *aw = malloc((size_t)sc_wdesc_numel(&wd) * sizeof *aw);
    for (int64_t i = 0; i < ilen; ++i) ady[i] = fabsf(dy[i]);
    for (int64_t i = 0; i < sc_wdesc_numel(&wd); ++i) aw[i] = fabsf(w[i]);
    float *ref = malloc((size_t)olen * sizeof *ref), *scale = malloc((size_t)olen * sizeof *ref);
    float *y1 = malloc((size_t)olen * sizeof *y1), *y2 = malloc((size_t)olen * sizeof *y2);
    for (int64_t i = 0; i < olen; ++i) ref[i] = scale[i] = y1[i] = y2[i] = CT_UNSET;
    cr_assert_eq(sc_conv_bwd_data_reference(&c->p, &wd, w, &dyd, dy + ioff, &dxd, ref + ooff),
                 SC_OK, "%s: %s", what, sc_last_message());
    cr_assert_eq(sc_conv_bwd_data_reference(&c->p, &wd, aw, &dyd, ady + ioff, &dxd,
                                            scale + ooff), SC_OK);
    for (int t = 1; t <= 2; ++t) {
        sc_conv_bwd_options opt = sc_conv_bwd_options_default();
        opt.kernel = c->kernel;
        opt.threads = t;
        sc_conv_bwd *op = NULL;
        cr_assert_eq(sc_conv_bwd_create(layer, &opt, &op), SC_OK, "%s: %s", what,
                     sc_last_message());
        cr_assert_eq(sc_conv_bwd_plan(op, &dyd, &dxd), SC_OK, "%s: %s", what, sc_last_message());
        cr_assert_eq(sc_conv_bwd_run(op, dy + ioff, (t == 1 ? y1 : y2) + ooff), SC_OK, "%s: %s",
                     what, sc_last_message());
        sc_conv_bwd_destroy(op);
    }
    const int bad = ct_check_runs(what, olen, ref, scale, y1, y2);
    sc_layer_destroy(layer);
    free(w), free(aw), free(dy), free(ady), free(ref), free(scale), free(y1), free(y2);
    return bad;
}

static int run_transpose(const bw_cfg *c, int idx, ct_rng *r)
{
    char what[600];
    describe(c, "conv transpose", idx, what, sizeof what);
    if (c->kernel == SC_KERNEL_AVX2 && !sc_cpu_has_avx2_fma()) return -1;
    sc_conv_transpose_params tp = sc_conv_transpose_params_default();
    tp.stride_h = c->p.stride_h, tp.stride_w = c->p.stride_w;
    tp.pad_top = c->p.pad_top, tp.pad_left = c->p.pad_left;
    tp.pad_bottom = c->p.pad_bottom, tp.pad_right = c->p.pad_right;
    tp.dil_h = c->p.dil_h, tp.dil_w = c->p.dil_w;
    tp.out_pad_h = c->oph, tp.out_pad_w = c->opw;
    tp.groups = c->groups;
    /* the transposed layer maps ic -> oc channels; its weight is (ic, oc/groups, KH, KW) */
    const sc_wdesc wd = {SC_OIHW, c->ic, c->oc / c->groups, c->kh, c->kw};
    int64_t oh, ow;
    if (sc_conv_transpose_output_hw(&tp, c->kh, c->kw, c->h, c->w, &oh, &ow) != SC_OK)
        return -1;  /* padding crops everything: not a layer */
    float *w = malloc((size_t)sc_wdesc_numel(&wd) * sizeof *w);
    sc_layer *layer = make_layer(r, &wd, c, w, what);
    int64_t ioff, ilen, ooff, olen;
    const sc_tensor xd = ct_layout(c->xl, c->n, c->ic, c->h, c->w, &ioff, &ilen);
    const sc_tensor yd = ct_layout(c->yl, c->n, c->oc, oh, ow, &ooff, &olen);
    float *x = ct_float_buf(r, ilen), *ax = malloc((size_t)ilen * sizeof *ax);
    float *bias = ct_float_buf(r, c->oc), *ab = malloc((size_t)c->oc * sizeof *ab);
    float *aw = malloc((size_t)sc_wdesc_numel(&wd) * sizeof *aw);
    for (int64_t i = 0; i < ilen; ++i) ax[i] = fabsf(x[i]);
    for (int64_t i = 0; i < c->oc; ++i) ab[i] = fabsf(bias[i]);
    for (int64_t i = 0; i < sc_wdesc_numel(&wd); ++i) aw[i] = fabsf(w[i]);
    float *ref = malloc((size_t)olen * sizeof *ref), *scale = malloc((size_t)olen * sizeof *ref);
    float *y1 = malloc((size_t)olen * sizeof *y1), *y2 = malloc((size_t)olen * sizeof *y2);
    for (int64_t i = 0; i < olen; ++i) ref[i] = scale[i] = y1[i] = y2[i] = CT_UNSET;
    const float *b = c->bias ? bias : NULL;
    cr_assert_eq(sc_conv_transpose_reference(&tp, &wd, w, b, &c->act, &xd, x + ioff, &yd,
                                             ref + ooff), SC_OK, "%s: %s", what,
                 sc_last_message());
    cr_assert_eq(sc_conv_transpose_reference(&tp, &wd, aw, c->bias ? ab : NULL, NULL, &xd,
                                             ax + ioff, &yd, scale + ooff), SC_OK);
    for (int t = 1; t <= 2; ++t) {
        sc_conv_transpose_options opt = sc_conv_transpose_options_default();
        opt.kernel = c->kernel;
        opt.threads = t;
        opt.act = c->act;
        opt.bias = b;
        sc_conv_transpose *op = NULL;
        cr_assert_eq(sc_conv_transpose_create(layer, &tp, &opt, &op), SC_OK, "%s: %s", what,
                     sc_last_message());
        cr_assert_eq(sc_conv_transpose_plan(op, &xd, &yd), SC_OK, "%s: %s", what,
                     sc_last_message());
        cr_assert_eq(sc_conv_transpose_run(op, x + ioff, (t == 1 ? y1 : y2) + ooff), SC_OK,
                     "%s: %s", what, sc_last_message());
        sc_conv_transpose_destroy(op);
    }
    const int bad = ct_check_runs(what, olen, ref, scale, y1, y2);
    sc_layer_destroy(layer);
    free(w), free(aw), free(x), free(ax), free(bias), free(ab);
    free(ref), free(scale), free(y1), free(y2);
    return bad;
}

static void sweep(int transpose)
{
    ct_rng r = {SWEEP_SEED + (unsigned)transpose};
    int fails = 0, ran = 0, skipped = 0;
    for (int idx = 0; idx < SWEEP_CONFIGS; ++idx) {
        bw_cfg c = random_cfg(&r, idx, transpose);
        const int res = transpose ? run_transpose(&c, idx, &r) : run_bwd(&c, idx, &r);
        if (res < 0) {
            ++skipped;
            continue;
        }
        ++ran;
        fails += res;
    }
    printf("%s sweep: %d configurations run, %d failed, %d skipped (no AVX2 or an empty "
           "output), seed %u\n", transpose ? "conv_transpose" : "backward data", ran, fails,
           skipped, SWEEP_SEED + (unsigned)transpose);
    cr_expect_eq(fails, 0, "%d of %d configurations failed", fails, ran);
    cr_expect_geq(ran, SWEEP_CONFIGS * 9 / 10 - skipped);
}

Test(backward_sweep, backward_data_matches_reference, .timeout = 300) { sweep(0); }

Test(backward_sweep, conv_transpose_matches_reference, .timeout = 300) { sweep(1); }
