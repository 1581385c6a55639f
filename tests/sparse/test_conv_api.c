/* tests/sparse/test_conv_api.c: operator lifecycle, argument checks, describe, forced engines, blocking */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "common/concurrent.h"
#include "conv_test_util.h"
#include "core/core.h"
#include "op/op_impl.h"
#include "op/kernel_choice.h"

/* A random pruned layer (OIHW weights kept with probability 1 - sparsity) and its dense copy. */
static sc_layer *make_layer(const sc_wdesc *wd, const sc_conv_params *p, double sparsity,
                            sc_pack_order order, uint64_t seed, float *wpruned, float *bias)
{
    ct_rng r = {seed};
    return ct_random_layer(&r, &(ct_layer_spec){.wd = *wd, .params = p, .order = order,
                                                .sparsity = sparsity, .draw_bias = bias,
                                                .pruned = wpruned});
}

/* Plan + run op on random x in the given descriptors and compare with the reference. */
static void check_against_reference(sc_conv *op, const sc_conv_params *p, const sc_wdesc *wd,
                                    const float *wpruned, const float *bias,
                                    const sc_activation *act, int xl, int yl, int64_t n,
                                    int64_t h, int64_t w, const char *what)
{
    int64_t oh, ow, xoff, xlen, yoff, ylen;
    cr_assert_eq(sc_conv_output_hw(p, wd->kh, wd->kw, h, w, &oh, &ow), SC_OK);
    const sc_tensor xd = ct_layout(xl, n, wd->icg * p->groups, h, w, &xoff, &xlen);
    const sc_tensor yd = ct_layout(yl, n, wd->oc, oh, ow, &yoff, &ylen);
    float *x = malloc((size_t)xlen * 4), *y = malloc((size_t)ylen * 4);
    float *ref = malloc((size_t)ylen * 4), *scale = malloc((size_t)ylen * 4);
    ct_rng r = {77};
    for (int64_t i = 0; i < xlen; ++i) x[i] = (float)(2 * ct_uniform(&r) - 1);
    for (int64_t i = 0; i < ylen; ++i) y[i] = ref[i] = scale[i] = CT_UNSET;
    cr_assert_eq(sc_conv_reference(p, wd, wpruned, bias, act, &xd, x + xoff, &yd, ref + yoff),
                 SC_OK, "%s", sc_last_message());
    ct_abs_reference(p, wd, wpruned, bias, &xd, x + xoff, &yd, scale + yoff);
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s: %s", what, sc_last_message());
    cr_assert_eq(sc_conv_run(op, x + xoff, y + yoff), SC_OK, "%s: %s", what, sc_last_message());
    cr_expect_eq(ct_check_runs(what, ylen, ref, scale, y, y), 0, "%s", what);
    free(x), free(y), free(ref), free(scale);
}

/* Every kernel choice that names a family; a test skips the ones whose ISA the process may
 * not use (sc_isa_available: the CPU and SCONV_ISA). */
static const sc_kernel_choice every_kernel[] = {SC_KERNEL_PORTABLE, SC_KERNEL_AVX2,
                                                SC_KERNEL_AVX512};

Test(conv_api, plan_twice_new_shape_and_layouts)
{
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    const sc_wdesc wd = {SC_OIHW, 6, 5, 3, 3};
    float wp[6 * 5 * 9], bias[6];
    sc_layer *layer = make_layer(&wd, &p, 0.6, SC_PACK_CHW, 1, wp, bias);
    sc_conv_options opt = sc_conv_options_default();
    opt.engine = SC_ENGINE_SPARSE;
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
    check_against_reference(op, &p, &wd, wp, bias, NULL, CT_NCHW, CT_NCHW, 1, 9, 11, "first plan");
    check_against_reference(op, &p, &wd, wp, bias, NULL, CT_NHWC, CT_SLICE, 2, 20, 5, "second");
    check_against_reference(op, &p, &wd, wp, bias, NULL, CT_PADDED, CT_NHWC, 3, 4, 70, "third");
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
}

Test(conv_api, run_and_describe_before_plan_are_estate)
{
    const sc_wdesc wd = {SC_OIHW, 2, 2, 1, 1};
    const sc_conv_params p = sc_conv_params_default();
    float wp[4];
    sc_layer *layer = make_layer(&wd, &p, 0.0, SC_PACK_CHW, 2, wp, NULL);
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(layer, NULL, &op), SC_OK);
    float x[8] = {0}, y[8];
    cr_expect_eq(sc_conv_run(op, x, y), SC_ESTATE);
    cr_expect(strstr(sc_last_message(), "plan") != NULL, "%s", sc_last_message());
    sc_conv_choice ch;
    cr_expect_eq(sc_conv_describe(op, &ch), SC_ESTATE);
    sc_conv_destroy(op);
    sc_conv_destroy(NULL);
    sc_layer_destroy(layer);
}

Test(conv_api, invalid_arguments_return_their_status)
{
    const sc_wdesc wd = {SC_OIHW, 4, 3, 3, 3};
    const sc_conv_params p = sc_conv_params_default();
    float wp[4 * 27];
    sc_layer *layer = make_layer(&wd, &p, 0.5, SC_PACK_CHW, 3, wp, NULL);
    sc_conv *op = NULL, *keep = (sc_conv *)&op;
    sc_conv_options opt = sc_conv_options_default();
    cr_expect_eq(sc_conv_create(NULL, &opt, &op), SC_EINVAL);
    cr_expect_eq(sc_conv_create(layer, &opt, NULL), SC_EINVAL);
    opt.threads = -1;
    op = keep;
    cr_expect_eq(sc_conv_create(layer, &opt, &op), SC_EINVAL);
    cr_expect(op == keep, "a failing create leaves *out untouched");
    opt = sc_conv_options_default();
    opt.engine = (sc_engine)7;
    cr_expect_eq(sc_conv_create(layer, &opt, &op), SC_EINVAL);
    opt = sc_conv_options_default();
    opt.kernel = (sc_kernel_choice)9;
    cr_expect_eq(sc_conv_create(layer, &opt, &op), SC_EINVAL);
    opt = sc_conv_options_default();
    opt.auto_mode = (sc_auto_mode)5;
    cr_expect_eq(sc_conv_create(layer, &opt, &op), SC_EINVAL);
    opt = sc_conv_options_default();
    opt.act = sc_activation_clamp(1.0f, -1.0f);
    cr_expect_eq(sc_conv_create(layer, &opt, &op), SC_EINVAL);
    opt.act = sc_activation_clamp(NAN, 1.0f);
    cr_expect_eq(sc_conv_create(layer, &opt, &op), SC_EINVAL);
    opt.act.kind = (sc_act_kind)11;
    cr_expect_eq(sc_conv_create(layer, &opt, &op), SC_EINVAL);
    opt = sc_conv_options_default();
    opt.kernel = SC_KERNEL_AVX2;
    cr_expect_eq(sc_conv_create(layer, &opt, &op),
                 sc_cpu_has_avx2_fma() ? SC_OK : SC_EUNSUPPORTED);
    if (op != keep) sc_conv_destroy(op);
    op = keep;
    opt.kernel = SC_KERNEL_AVX512;
    cr_expect_eq(sc_conv_create(layer, &opt, &op),
                 sc_isa_available(SC_ISA_AVX512) ? SC_OK : SC_EUNSUPPORTED);
    if (op != keep) sc_conv_destroy(op);
    op = NULL;
    cr_assert_eq(sc_conv_create(layer, NULL, &op), SC_OK);
    sc_tensor x = sc_tensor_nchw(1, 3, 8, 8), y = sc_tensor_nchw(1, 4, 6, 6);
    cr_expect_eq(sc_conv_plan(NULL, &x, &y), SC_EINVAL);
    cr_expect_eq(sc_conv_plan(op, NULL, &y), SC_EINVAL);
    cr_expect_eq(sc_conv_plan(op, &x, NULL), SC_EINVAL);
    sc_tensor bad = sc_tensor_nchw(1, 5, 8, 8);
    cr_expect_eq(sc_conv_plan(op, &bad, &y), SC_EINVAL);   /* channels */
    bad = sc_tensor_nchw(1, 4, 7, 6);
    cr_expect_eq(sc_conv_plan(op, &x, &bad), SC_EINVAL);   /* output height */
    bad = sc_tensor_nchw(2, 4, 6, 6);
    cr_expect_eq(sc_conv_plan(op, &x, &bad), SC_EINVAL);   /* batch */
    bad = y;
    bad.strides[SC_C] = 0;                                  /* aliasing output */
    cr_expect_eq(sc_conv_plan(op, &x, &bad), SC_EINVAL);
    bad = sc_tensor_nchw(1, 3, 2, 2);
    cr_expect_eq(sc_conv_plan(op, &bad, &y), SC_EINVAL);   /* kernel larger than input */
    cr_expect_eq(sc_conv_run(op, NULL, NULL), SC_EINVAL);
    cr_expect_eq(sc_conv_describe(op, NULL), SC_EINVAL);
    cr_expect_eq(sc_conv_describe(NULL, NULL), SC_EINVAL);
    /* a failing plan after a good one keeps the good plan */
    cr_assert_eq(sc_conv_plan(op, &x, &y), SC_OK);
    bad = sc_tensor_nchw(1, 5, 8, 8);
    cr_expect_eq(sc_conv_plan(op, &bad, &y), SC_EINVAL);
    float xv[3 * 64] = {0}, yv[4 * 36];
    cr_expect_eq(sc_conv_run(op, xv, yv), SC_OK);
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
}

Test(conv_api, describe_reports_the_choice)
{
    /* 80 input channels: a shallow 1x1 layer on NCHW (break-even 0.40) that is not thin */
    const sc_wdesc wd = {SC_OIHW, 8, 80, 1, 1};
    const sc_conv_params p = sc_conv_params_default();
    float wp[8 * 80];
    const sc_tensor x = sc_tensor_nchw(1, 80, 5, 5), y = sc_tensor_nchw(1, 8, 5, 5);
    for (int dense = 0; dense < 2; ++dense) {
        /* "dense": 20% unstructured, below the break-even and without 4x1 blocks */
        sc_layer *layer = make_layer(&wd, &p, dense ? 0.2 : 0.95, SC_PACK_CHW, 4, wp, NULL);
        sc_conv *op = NULL;
        sc_conv_options opt = sc_conv_options_default();
        opt.kernel = SC_KERNEL_PORTABLE;
        opt.auto_mode = SC_AUTO_RULE;
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
        cr_assert_eq(sc_conv_plan(op, &x, &y), SC_OK);
        sc_conv_choice ch;
        cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
        cr_expect_eq(ch.engine, dense ? SC_ENGINE_DENSE : SC_ENGINE_SPARSE);
        /* the dense engine names its path: oneDNN's implementation, or im2col (where oneDNN
         * has no direct kernel, as for this NCHW view with oneDNN 2.6) */
        if (dense)
            cr_expect(strcmp(ch.kernel, "dense_im2col_sgemm") == 0 ||
                      strncmp(ch.kernel, "dense_onednn:", 13) == 0, "%s", ch.kernel);
        else
            cr_expect_str_eq(ch.kernel, "spmm_f32_64__ref");
        cr_expect_eq(ch.rule, ch.engine, "%s", ch.reason);
        cr_expect_eq(ch.measured, 0);
        cr_expect(isnan(ch.ms_sparse) && isnan(ch.ms_dense), "nothing timed by the rule");
        cr_expect_eq(ch.ms_waited, 0);
        cr_expect_float_eq(ch.threshold, 0.40, 1e-12, "the break-even of shallow 1x1 on NCHW");
        sc_layer_info info;
        cr_assert_eq(sc_layer_get_info(layer, &info), SC_OK);
        cr_expect_float_eq(ch.sparsity, info.sparsity, 1e-12);
        sc_conv_destroy(op);
        opt.engine = SC_ENGINE_SPARSE;
        opt.kernel = SC_KERNEL_AUTO;
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
        cr_assert_eq(sc_conv_plan(op, &x, &y), SC_OK);
        cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
        cr_expect_eq(ch.engine, SC_ENGINE_SPARSE);
        cr_expect_str_eq(ch.kernel, sc_isa_available(SC_ISA_AVX512) ? "spmm_f32_128__avx512"
                                    : sc_cpu_has_avx2_fma()         ? "spmm_f32_64__avx2"
                                                                    : "spmm_f32_64__ref");
        cr_expect_eq(ch.rule, dense ? SC_ENGINE_DENSE : SC_ENGINE_SPARSE, "the rule, not forced");
        cr_expect_eq(ch.measured, 0);
        cr_expect(ch.reason != NULL && ch.reason[0] != '\0');
        sc_conv_destroy(op);
        sc_layer_destroy(layer);
    }
}

Test(conv_api, auto_routes_depthwise_kxk_and_1x1_by_their_thresholds)
{
    sc_conv_params p = sc_conv_params_default();
    p.groups = 6;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    const sc_wdesc dw = {SC_OIHW, 6, 1, 3, 3};
    float wp[8 * 8 * 9];
    sc_layer *layer = make_layer(&dw, &p, 0.0, SC_PACK_CHW, 8, wp, NULL);
    sc_conv *op = NULL;
    sc_conv_choice ch;
    sc_conv_options rule = sc_conv_options_default();
    rule.auto_mode = SC_AUTO_RULE;
    /* depthwise on NCHW: sparse at any sparsity into planes of 100 pixels or more, dense
     * into smaller ones (10x10 and 9x11 output planes) */
    for (int small = 0; small < 2; ++small) {
        const int64_t h = small ? 9 : 10, w = small ? 11 : 10;
        const sc_tensor xs = sc_tensor_nchw(1, 6, h, w), ys = sc_tensor_nchw(1, 6, h, w);
        cr_assert_eq(sc_conv_create(layer, &rule, &op), SC_OK);
        cr_assert_eq(sc_conv_plan(op, &xs, &ys), SC_OK, "%s", sc_last_message());
        cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
        cr_expect_eq(ch.engine, small ? SC_ENGINE_DENSE : SC_ENGINE_SPARSE, "%s", ch.reason);
        cr_expect_eq(ch.threshold, small ? 1 : 0, "%s", ch.reason);
        sc_conv_destroy(op);
    }
    sc_layer_destroy(layer);
    const sc_tensor y = sc_tensor_nchw(1, 6, 7, 7);
    /* depthwise on NHWC: dense at any sparsity short of an all-zero layer */
    const sc_tensor xh = sc_tensor_nhwc(1, 6, 7, 7);
    layer = make_layer(&dw, &p, 0.9, SC_PACK_HWC, 8, wp, NULL);
    cr_assert_eq(sc_conv_create(layer, &rule, &op), SC_OK);
    cr_assert_eq(sc_conv_plan(op, &xh, &y), SC_OK);
    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
    cr_expect_eq(ch.engine, SC_ENGINE_DENSE, "%s", ch.reason);
    cr_expect_eq(ch.threshold, 1, "depthwise on NHWC: dense unless every weight is pruned");
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
    /* each kind of layer and activations, below and above its break-even, which depends on
     * the level of the row kernels: AVX2 rows (oneDNN capped to AVX2 as well) pay sooner than
     * AVX-512 or portable ones. Thin layers on NCHW (1x1 with at most 64 input channels, KxK
     * with at most 80 products per output) go sparse at any sparsity, but for 1x1 layers
     * the dense engine runs as a matmul (AVX-512, at least 196 output pixels: `mm`, the
     * t_mm column); dense 1x1 on NCHW up to 256 channels (4x1 blocks, `blocks`) too where
     * the AVX-512 block kernels run, else by the table; thin layers on NHWC (1x1 with at most
     * 32 input channels, KxK with at most 32 products per output) stay dense with AVX-512
     * rows at any sparsity short of an all-zero layer; KxK whose AVX-512 plan takes split
     * taps (14x14 output, 16-float plane rows) has its own break-evens by layout and depth
     * (t_split, when above 0) */
    p.groups = 1;
    const struct {
        int64_t k, ic, hw;
        int nhwc;
        double sparsity, t_avx512, t_avx2, t_mm;
        int blocks;
        double t_split;
    } cases[] = {
        {3, 8, 7, 0, 0.55, 0.00, 0.00, -1, 0, 0},    {3, 9, 7, 0, 0.55, 0.62, 0.45, -1, 0, 0},
        {3, 8, 7, 1, 0.55, 0.68, 0.45, -1, 0, 0},    {3, 64, 7, 0, 0.0, 0.62, 0.45, -1, 0, 0},
        {3, 64, 7, 0, 0.64, 0.62, 0.45, -1, 0, 0},   {3, 64, 7, 1, 0.64, 0.68, 0.45, -1, 0, 0},
        {1, 24, 7, 0, 0.55, 0.00, 0.00, -1, 0, 0},   {1, 24, 7, 1, 0.55, 1.00, 0.60, -1, 0, 0},
        {1, 24, 7, 1, 0.95, 1.00, 0.60, -1, 0, 0},   {1, 48, 7, 1, 0.55, 0.65, 0.40, -1, 0, 0},
        {1, 96, 7, 0, 0.55, 0.40, 0.30, -1, 0, 0},   {1, 96, 7, 0, 0.35, 0.40, 0.30, -1, 0, 0},
        {1, 512, 7, 0, 0.55, 0.50, 0.35, -1, 0, 0},  {1, 512, 7, 0, 0.45, 0.50, 0.35, -1, 0, 0},
        {1, 24, 7, 0, 0.0, 0.40, 0.30, -1, 1, 0},    {1, 256, 7, 0, 0.0, 0.40, 0.30, -1, 1, 0},
        {1, 257, 7, 0, 0.0, 0.50, 0.35, -1, 0, 0},   {1, 256, 7, 1, 0.0, 0.65, 0.40, -1, 0, 0},
        {1, 24, 14, 0, 0.3, 0.00, 0.00, 0.40, 0, 0}, {1, 24, 14, 0, 0.5, 0.00, 0.00, 0.40, 0, 0},
        {1, 96, 14, 0, 0.25, 0.40, 0.30, 0.45, 0, 0}, {1, 96, 14, 0, 0.5, 0.40, 0.30, 0.45, 0, 0},
        {1, 512, 14, 0, 0.56, 0.50, 0.35, 0.50, 0, 0}, {1, 96, 14, 0, 0.0, 0.40, 0.30, 0.45, 1, 0},
        {3, 3, 7, 1, 0.9, 1.00, 0.80, -1, 0, 0},     {3, 3, 7, 1, 0.85, 1.00, 0.80, -1, 0, 0},
        {3, 3, 7, 0, 0.3, 0.00, 0.00, -1, 0, 0},     {3, 4, 7, 1, 0.8, 0.68, 0.45, -1, 0, 0},
        {3, 64, 14, 0, 0.58, 0.62, 0.45, -1, 0, 0.50},
        {3, 64, 14, 0, 0.47, 0.62, 0.45, -1, 0, 0.50},
        {3, 64, 14, 1, 0.58, 0.68, 0.45, -1, 0, 0.55},
        {3, 64, 14, 1, 0.52, 0.68, 0.45, -1, 0, 0.55},
        {3, 160, 14, 0, 0.58, 0.62, 0.45, -1, 0, 0.60},  /* 1440 products: deep */
        {3, 160, 14, 1, 0.63, 0.68, 0.45, -1, 0, 0.60},
    };
    const int avx512 = sc_isa_available(SC_ISA_AVX512);
    const int avx2_rows = !avx512 && sc_isa_available(SC_ISA_AVX2);
    const int mm = sc_cpu_has_avx512();  /* oneDNN's brgemm matmul (sc_dense_matmul_expected) */
    static float wbig[8 * 9 * 512];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
        const int64_t k = cases[i].k, ic = cases[i].ic;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = k / 2;
        const sc_wdesc wd = {SC_OIHW, 8, ic, k, k};
        layer = make_layer(&wd, &p, cases[i].sparsity, SC_PACK_CHW, 9 + i, wbig, NULL);
        const int64_t hw = cases[i].hw;
        const sc_tensor xi = cases[i].nhwc ? sc_tensor_nhwc(1, ic, hw, hw)
                                           : sc_tensor_nchw(1, ic, hw, hw);
        const sc_tensor yi = sc_tensor_nchw(1, 8, hw, hw);
        cr_assert_eq(sc_conv_create(layer, &rule, &op), SC_OK);
        cr_assert_eq(sc_conv_plan(op, &xi, &yi), SC_OK, "%s", sc_last_message());
        cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
        const double threshold = cases[i].blocks && avx512        ? 0.0
                                 : mm && cases[i].t_mm >= 0      ? cases[i].t_mm
                                 : avx2_rows                     ? cases[i].t_avx2
                                 : avx512 && cases[i].t_split > 0 ? cases[i].t_split
                                                                 : cases[i].t_avx512;
        cr_expect_float_eq(ch.threshold, threshold, 1e-12, "case %zu: %s", i, ch.reason);
        /* the layer's own sparsity, a little off the requested one, stays on its side */
        cr_expect_eq(ch.engine, ch.sparsity >= threshold ? SC_ENGINE_SPARSE : SC_ENGINE_DENSE,
                     "case %zu: %s", i, ch.reason);
        cr_expect_eq(ch.sparsity >= threshold, cases[i].sparsity >= threshold, "case %zu", i);
        if (ch.engine == SC_ENGINE_SPARSE && cases[i].sparsity == 0.0)
            /* a dense layer has 4x1 block structure: the block kernels take it */
            cr_expect_str_eq(ch.kernel, sc_isa_available(SC_ISA_AVX512) ? "spmm4_f32_64__avx512"
                                        : sc_cpu_has_avx2_fma()         ? "spmm4_f32_64__avx2"
                                                                        : "spmm4_f32_64__ref",
                             "case %zu", i);
        sc_conv_destroy(op);
        sc_layer_destroy(layer);
    }
}

/* The dense engine forced gives the reference result too, on strided layouts, groups,
 * activation and an options bias overriding the layer's. */
Test(conv_api, forced_dense_engine_matches_reference)
{
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = 2, p.pad_top = 1, p.pad_right = 2, p.dil_w = 2, p.groups = 2;
    const sc_wdesc wd = {SC_OIHW, 6, 3, 3, 2};
    float wp[6 * 3 * 6], bias[6], obias[6] = {1, -1, 0.5f, 0, 2, -3};
    sc_layer *layer = make_layer(&wd, &p, 0.5, SC_PACK_HWC, 5, wp, bias);
    for (int e = 0; e < 2; ++e) {
        sc_conv_options opt = sc_conv_options_default();
        opt.engine = e ? SC_ENGINE_DENSE : SC_ENGINE_SPARSE;
        opt.act = sc_activation_relu6();
        opt.bias = obias;
        sc_conv *op = NULL;
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
        check_against_reference(op, &p, &wd, wp, obias, &opt.act, CT_SLICE, CT_PADDED, 2, 9, 8,
                                e ? "dense" : "sparse");
        sc_conv_choice ch;
        cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
        cr_expect_eq(ch.engine, e ? SC_ENGINE_DENSE : SC_ENGINE_SPARSE);
        sc_conv_destroy(op);
    }
    sc_layer_destroy(layer);
}

/* The default auto engine is the rule: two operators planned for one layer and shape, near
 * and away from the break-evens, choose the same engine and kernel, report it as fields
 * (nothing measured, no ms), and give the same bits. */
Test(conv_api, default_auto_is_deterministic)
{
    cr_expect_eq(sc_conv_options_default().auto_mode, SC_AUTO_RULE, "the rule is the default");
    const struct { int64_t k; double sparsity; } cases[] = {
        {1, 0.55}, {1, 0.65}, {1, 0.70}, {3, 0.60}, {3, 0.70}, {3, 0.80},
    };
    sc_conv_params p = sc_conv_params_default();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
        const int64_t k = cases[i].k;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = k / 2;
        const sc_wdesc wd = {SC_OIHW, 20, 20, k, k};
        float wp[20 * 20 * 9], bias[20];
        sc_layer *layer = make_layer(&wd, &p, cases[i].sparsity, SC_PACK_CHW, 40 + i, wp, bias);
        const sc_tensor x = sc_tensor_nhwc(2, 20, 9, 11), y = sc_tensor_nchw(2, 20, 9, 11);
        float *xv = malloc((size_t)sc_tensor_numel(&x) * sizeof *xv);
        float *yv[2] = {malloc((size_t)sc_tensor_numel(&y) * sizeof(float)),
                        malloc((size_t)sc_tensor_numel(&y) * sizeof(float))};
        ct_rng r = {7 + i};
        for (int64_t j = 0; j < sc_tensor_numel(&x); ++j) xv[j] = (float)(2 * ct_uniform(&r) - 1);
        sc_conv_choice ch[2];
        char kernel[2][96];  /* ch[t].kernel lives only as long as its operator */
        for (int t = 0; t < 2; ++t) {
            sc_conv *op = NULL;
            cr_assert_eq(sc_conv_create(layer, NULL, &op), SC_OK);
            cr_assert_eq(sc_conv_plan(op, &x, &y), SC_OK, "%s", sc_last_message());
            cr_assert_eq(sc_conv_describe(op, &ch[t]), SC_OK);
            cr_assert_eq(sc_conv_run(op, xv, yv[t]), SC_OK, "%s", sc_last_message());
            cr_expect_eq(ch[t].measured, 0, "case %zu", i);
            cr_expect(isnan(ch[t].ms_sparse) && isnan(ch[t].ms_dense), "case %zu", i);
            cr_expect_eq(ch[t].ms_waited, 0, "case %zu", i);
            cr_expect_eq(ch[t].engine, ch[t].rule, "case %zu: %s", i, ch[t].reason);
            cr_expect_eq(ch[t].engine, ch[t].sparsity >= ch[t].threshold ? SC_ENGINE_SPARSE
                                                                          : SC_ENGINE_DENSE,
                         "case %zu: sparsity %g, threshold %g", i, ch[t].sparsity,
                         ch[t].threshold);
            snprintf(kernel[t], sizeof kernel[t], "%s", ch[t].kernel);
            sc_conv_destroy(op);
        }
        cr_expect_eq(ch[0].engine, ch[1].engine, "case %zu", i);
        cr_expect_str_eq(kernel[0], kernel[1], "case %zu", i);
        cr_expect_arr_eq(yv[0], yv[1], (size_t)sc_tensor_numel(&y) * sizeof(float),
                         "case %zu: the same bits from both plans", i);
        free(xv);
        free(yv[0]);
        free(yv[1]);
        sc_layer_destroy(layer);
    }
}

/* The measured auto engine times both engines at plan time on scratch buffers shaped like
 * the (strided, padded) descriptors, reports both timings as fields, and whichever it keeps
 * gives the reference result; planning again for another shape measures again. */
Test(conv_api, measured_auto_times_both_engines_and_runs_the_faster)
{
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = 1, p.pad_bottom = 2, p.stride_w = 2;
    const sc_wdesc wd = {SC_OIHW, 12, 10, 3, 3};
    float wp[12 * 10 * 9], bias[12];
    for (int k = 0; k < 3; ++k) {
        const double sparsity = k == 0 ? 0.0 : k == 1 ? 0.5 : 0.97;
        sc_layer *layer = make_layer(&wd, &p, sparsity, SC_PACK_HWC, 11 + (uint64_t)k, wp, bias);
        sc_conv_options opt = sc_conv_options_default();
        opt.act = sc_activation_relu();
        opt.auto_mode = SC_AUTO_MEASURE;
        sc_conv *op = NULL;
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
        for (int shape = 0; shape < 2; ++shape) {
            check_against_reference(op, &p, &wd, wp, bias, &opt.act, shape ? CT_NHWC : CT_SLICE,
                                    shape ? CT_NCHW : CT_PADDED, 1 + shape, 9 + 5 * shape, 11,
                                    "measured auto");
            sc_conv_choice ch;
            cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
            cr_expect(ch.engine == SC_ENGINE_SPARSE || ch.engine == SC_ENGINE_DENSE);
            cr_expect_eq(ch.measured, 1, "%s", ch.reason);
            cr_expect(ch.ms_sparse > 0 && ch.ms_dense > 0, "%s", ch.reason);
            cr_expect(ch.ms_waited >= 0, "%s", ch.reason);
            cr_expect_eq(ch.engine,
                         ch.ms_sparse <= ch.ms_dense ? SC_ENGINE_SPARSE : SC_ENGINE_DENSE,
                         "the faster one is kept: %s", ch.reason);
            if (ch.engine == SC_ENGINE_DENSE)
                cr_expect(strcmp(ch.kernel, "dense_im2col_sgemm") == 0 ||
                          strncmp(ch.kernel, "dense_onednn:", 13) == 0, "%s", ch.kernel);
            else
                cr_expect(strncmp(ch.kernel, "spmm", 4) == 0, "%s", ch.kernel);
        }
        sc_conv_destroy(op);
        sc_layer_destroy(layer);
    }
}

/* A thread of the program that spins for 80 ms when the plan starts (as OpenBLAS's workers
 * do for ~0.1 s after the library loads): the measured auto plan times the engines only
 * after it has stopped, and says how long it waited. */
static _Atomic int spinner_done;

static void *spin_80ms(void *arg)
{
    (void)arg;
    const double start = sc_now_s();
    while (sc_now_s() - start < 0.08) {
    }
    atomic_store(&spinner_done, 1);
    return NULL;
}

Test(conv_api, measured_auto_waits_for_other_threads_to_go_idle)
{
    /* a 3x3 layer of 144 products per output: the rule has a break-even there, so auto
     * measures */
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    const sc_wdesc wd = {SC_OIHW, 16, 16, 3, 3};
    float wp[16 * 16 * 9], bias[16];
    sc_layer *layer = make_layer(&wd, &p, 0.5, SC_PACK_CHW, 5, wp, bias);
    sc_conv_options opt = sc_conv_options_default();
    opt.threads = 2;
    opt.auto_mode = SC_AUTO_MEASURE;
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
    const sc_tensor x = sc_tensor_nchw(1, 16, 12, 12), y = sc_tensor_nchw(1, 16, 12, 12);
    atomic_store(&spinner_done, 0);
    const double t0 = sc_now_s();
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, spin_80ms, NULL), 0);
    cr_assert_eq(sc_conv_plan(op, &x, &y), SC_OK, "%s", sc_last_message());
    cr_expect(atomic_load(&spinner_done), "timed while another thread of the process ran");
    pthread_join(th, NULL);
    sc_conv_choice ch;
    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
    cr_expect_eq(ch.measured, 1, "%s", ch.reason);
    /* the spinner ran for 80 ms from about t0: the plan waited for most of that */
    cr_expect(ch.ms_waited >= 1 && ch.ms_waited <= 1e3 * (sc_now_s() - t0), "waited %g ms: %s",
              ch.ms_waited, ch.reason);
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
}

/* Many input channels: several reduction blocks (400 channels make 3 blocks of a 1x1
 * layer at 90% and 5 (panels) or 10 (in place) at sparsity 0 on a 32 KiB L1), the
 * in-place 1x1 path and the direct output path, all-zero layers (bias + activation only),
 * sparsity 0. */
Test(conv_api, reduction_blocks_in_place_and_zero_layers)
{
    static const double sps[] = {0.0, 0.9, 1.0};
    for (int k = 1; k <= 3; k += 2)
        for (int s = 0; s < 3; ++s)
            for (int l = 0; l < 4; ++l) {
                sc_conv_params p = sc_conv_params_default();
                p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = k / 2;
                const sc_wdesc wd = {SC_OIHW, 19, 400, k, k};
                float *wp = malloc(19 * 400 * 9 * sizeof *wp), bias[19];
                sc_layer *layer = make_layer(&wd, &p, sps[s], SC_PACK_CHW, 6 + s, wp, bias);
                for (int kern = 0; kern < 2; ++kern) {
                    sc_conv_options opt = sc_conv_options_default();
                    opt.engine = SC_ENGINE_SPARSE;
                    opt.kernel = kern ? SC_KERNEL_PORTABLE : SC_KERNEL_AUTO;
                    opt.act = sc_activation_relu();
                    sc_conv *op = NULL;
                    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
                    char what[96];
                    snprintf(what, sizeof what, "k %d sparsity %.1f layout %s kernel %d", k,
                             sps[s], ct_layout_names[l], kern);
                    check_against_reference(op, &p, &wd, wp, bias, &opt.act, l, l, 2, 13, 11,
                                            what);
                    sc_conv_destroy(op);
                }
                sc_layer_destroy(layer);
                free(wp);
            }
}

/* Failing the 1st, 2nd, ... allocation of create + plan + run returns SC_ENOMEM (nothing
 * leaks: the sanitizer build checks) until the whole sequence succeeds, for each scratch
 * kind: phase planes, 1x1 panels, tile buffers, the dense engine's weights. */
Test(conv_api, every_allocation_failure_is_reported_and_clean)
{
    struct { int64_t k; int xl, yl; sc_engine engine; } cases[] = {
        {3, CT_NCHW, CT_NHWC, SC_ENGINE_SPARSE},   /* phase planes + tile buffer */
        {1, CT_NHWC, CT_NCHW, SC_ENGINE_SPARSE},   /* panels, direct output */
        {1, CT_NCHW, CT_NCHW, SC_ENGINE_SPARSE},   /* in place, direct output */
        {3, CT_NCHW, CT_NCHW, SC_ENGINE_DENSE},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ++ci) {
        sc_conv_params p = sc_conv_params_default();
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = cases[ci].k / 2;
        const sc_wdesc wd = {SC_OIHW, 5, 4, cases[ci].k, cases[ci].k};
        float wp[5 * 4 * 9], bias[5];
        sc_layer *layer = make_layer(&wd, &p, 0.5, SC_PACK_CHW, 10 + ci, wp, bias);
        int64_t xoff, xlen, yoff, ylen;
        const sc_tensor xd = ct_layout(cases[ci].xl, 2, 4, 6, 7, &xoff, &xlen);
        const sc_tensor yd = ct_layout(cases[ci].yl, 2, 5, 6, 7, &yoff, &ylen);
        float *x = calloc((size_t)xlen, 4), *y = calloc((size_t)ylen, 4);
        int done = 0, failures = 0;
        for (uint64_t n = 1; n < 200 && !done; ++n) {
            sc_conv_options opt = sc_conv_options_default();
            opt.engine = cases[ci].engine;
            opt.threads = 2;
            sc_conv *op = NULL;
            sc_alloc_fail_at(n);
            sc_status st = sc_conv_create(layer, &opt, &op);
            if (st == SC_OK) st = sc_conv_plan(op, &xd, &yd);
            if (st == SC_OK) st = sc_conv_run(op, x + xoff, y + yoff);
            sc_alloc_fail_at(0);
            if (st == SC_OK) {
                done = 1;
            } else {
                cr_expect_eq(st, SC_ENOMEM, "case %zu, allocation %llu: %s", ci,
                             (unsigned long long)n, sc_last_message());
                ++failures;
            }
            sc_conv_destroy(op);
        }
        cr_expect(done, "case %zu never succeeded", ci);
        cr_expect_gt(failures, 0, "case %zu: no allocation was ever failed", ci);
        free(x), free(y);
        sc_layer_destroy(layer);
    }
}

/* Sparse runs of layer on x (descriptors xd -> yd, ylen output floats) with 1, 2, 3 and 32
 * threads: the 1-thread operator is checked against the reference first, and every other
 * thread count must give its exact bits. */
static void expect_same_bits_across_threads(const sc_layer *layer, const sc_conv_params *p,
                                            const sc_wdesc *wd, const float *wp,
                                            const float *bias, int xl, int yl,
                                            const sc_tensor *xd, const sc_tensor *yd,
                                            const float *x, int64_t ylen, const char *what)
{
    static const int threads[4] = {1, 2, 3, 32};
    const size_t ybytes = (size_t)ylen * sizeof(float);
    float *y[4];
    for (int t = 0; t < 4; ++t) {
        y[t] = malloc(ybytes);
        for (int64_t i = 0; i < ylen; ++i) y[t][i] = -999.0f;  /* views may leave gaps */
        sc_conv_options opt = sc_conv_options_default();
        opt.engine = SC_ENGINE_SPARSE;
        opt.threads = threads[t];
        sc_conv *op = NULL;
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
        if (t == 0) {
            check_against_reference(op, p, wd, wp, bias, NULL, xl, yl, xd->dims[SC_N],
                                    xd->dims[SC_H], xd->dims[SC_W], what);
        } else {
            cr_assert_eq(sc_conv_plan(op, xd, yd), SC_OK);
        }
        cr_assert_eq(sc_conv_run(op, x, y[t]), SC_OK);
        if (t > 0)
            cr_expect(memcmp(y[0], y[t], ybytes) == 0, "%s: %d threads differ from 1", what,
                      threads[t]);
        sc_conv_destroy(op);
    }
    for (int t = 0; t < 4; ++t) free(y[t]);
}

/* Few tiles and many threads: the driver splits output channels too; every thread count
 * gives the same bits, and the reference result. */
Test(conv_api, small_images_split_channels_bitwise_equal)
{
    static const int64_t ocs[] = {48, 33, 527};
    for (int i = 0; i < 3; ++i) {
        sc_conv_params p = sc_conv_params_default();
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
        const sc_wdesc wd = {SC_OIHW, ocs[i], 6, 3, 3};
        float *wp = malloc((size_t)(ocs[i] * 6 * 9) * sizeof *wp);
        float *bias = malloc((size_t)ocs[i] * sizeof *bias);
        sc_layer *layer = make_layer(&wd, &p, 0.7, SC_PACK_CHW, 20 + i, wp, bias);
        const sc_tensor xd = sc_tensor_nchw(1, 6, 5, 6), yd = sc_tensor_nhwc(1, ocs[i], 5, 6);
        float x[6 * 30];
        ct_rng r = {30};
        for (int k = 0; k < 6 * 30; ++k) x[k] = (float)(2 * ct_uniform(&r) - 1);
        char what[64];
        snprintf(what, sizeof what, "small image, oc %lld", (long long)ocs[i]);
        expect_same_bits_across_threads(layer, &p, &wd, wp, bias, CT_NCHW, CT_NHWC, &xd, &yd, x,
                                        ocs[i] * 30, what);
        free(wp), free(bias);
        sc_layer_destroy(layer);
    }
}

/* Small NCHW images whose kernels store straight into y (1x1, unit-stride pixels): with
 * few tiles per thread the driver gives each thread whole output-channel blocks over every
 * tile instead of a pixel range; every thread count gives the same bits, and the
 * reference result. */
Test(conv_api, small_nchw_images_split_by_channels_bitwise_equal)
{
    static const int64_t ocs[] = {64, 33, 527};
    static const int64_t batch[] = {1, 2, 1};
    for (int i = 0; i < 3; ++i) {
        const int64_t N = batch[i], OC = ocs[i], IC = 6, H = 14, W = 14, pix = H * W;
        sc_conv_params p = sc_conv_params_default();
        const sc_wdesc wd = {SC_OIHW, OC, IC, 1, 1};
        float *wp = malloc((size_t)(OC * IC) * sizeof *wp);
        float *bias = malloc((size_t)OC * sizeof *bias);
        sc_layer *layer = make_layer(&wd, &p, 0.8, SC_PACK_CHW, 40 + i, wp, bias);
        const sc_tensor xd = sc_tensor_nchw(N, IC, H, W), yd = sc_tensor_nchw(N, OC, H, W);
        float *x = malloc((size_t)(N * IC * pix) * sizeof *x);
        ct_rng r = {50 + (uint64_t)i};
        for (int64_t k = 0; k < N * IC * pix; ++k) x[k] = (float)(2 * ct_uniform(&r) - 1);
        char what[64];
        snprintf(what, sizeof what, "small nchw image, oc %lld batch %lld", (long long)OC,
                 (long long)N);
        expect_same_bits_across_threads(layer, &p, &wd, wp, bias, CT_NCHW, CT_NCHW, &xd, &yd, x,
                                        N * OC * pix, what);
        free(x), free(wp), free(bias);
        sc_layer_destroy(layer);
    }
}

/* KxK layers with wide output rows and unit-stride pixels in y (NCHW, or rows padded apart)
 * cut each output row into tiles of its own and store straight into y (row_tiles): the
 * reference result for every thread count, nothing outside y's view written, and the same
 * bits as the flat tiles through the tile buffer (an NHWC y). Planes of at least 512 flat
 * pixels get 128-pixel tiles where the kernels take 128 (AVX-512 row kernels): their rows
 * then take the width among 56, 64 and 128 with the fewest tiles (tile_w2, tiles2). With
 * AVX-512, layers of 8 or more nonzeros per row on average take split taps (pixels3 > 0):
 * wq rounded up to 16 (the last case: 102 to 112, so 772 flat pixels, 128-pixel tiles and
 * rows of one 128) and rows of 64 or 128 (pixels3, tile_w3, tiles3). */
Test(conv_api, wide_rows_store_straight_into_y)
{
    static const struct {
        int64_t oc, ic, h, w, k, stride, pad, dil, tile_w, tiles;
        double sparsity;
        int64_t pixels, tile_w2, tiles2;  /* flat pixels (OH-1)*wq + OW; 128-pixel tiles */
        int64_t pixels3, tile_w3, tiles3;  /* split taps (AVX-512), or 0: plain planes */
    } cases[] = {
        {19, 5, 4, 112, 3, 1, 1, 1, 56, 2, 0.7, 454, 56, 2, 496, 64, 2},  /* 2 x 56 */
        {19, 5, 4, 112, 3, 1, 1, 1, 56, 2, 0.9, 454, 56, 2, 0, 0, 0},  /* 4.5 per row: plain */
        {19, 5, 3, 120, 3, 1, 1, 1, 64, 2, 0.7, 364, 64, 2, 376, 64, 2},  /* 64 + 56 */
        {7, 3, 5, 61, 3, 1, 1, 1, 64, 1, 0.5, 313, 64, 1, 317, 64, 1},  /* 32 + 16 + 8 + 5 */
        {9, 3, 9, 229, 7, 2, 3, 1, 64, 2, 0.9, 587, 128, 1, 627, 128, 1},  /* 7x7/2: 64 + 51 */
        {11, 4, 7, 100, 3, 1, 1, 2, 56, 2, 0.5, 506, 56, 2, 546, 128, 1},  /* dilated: 56 + 42 */
        {16, 4, 3, 112, 3, 1, 1, 1, 64, 2, 0.0, 340, 64, 2, 0, 0, 0},  /* dense: 4x1 blocks */
        {11, 6, 7, 100, 3, 1, 1, 1, 56, 2, 0.5, 712, 128, 1, 772, 128, 1},  /* 128-pixel tiles */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        sc_conv_params p = sc_conv_params_default();
        p.stride_h = p.stride_w = cases[i].stride;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = cases[i].pad;
        p.dil_h = p.dil_w = cases[i].dil;
        const int64_t OC = cases[i].oc, IC = cases[i].ic, H = cases[i].h, W = cases[i].w;
        const sc_wdesc wd = {SC_OIHW, OC, IC, cases[i].k, cases[i].k};
        float *wp = malloc((size_t)(OC * IC * cases[i].k * cases[i].k) * sizeof *wp);
        float *bias = malloc((size_t)OC * sizeof *bias);
        sc_layer *layer = make_layer(&wd, &p, cases[i].sparsity, SC_PACK_CHW, 60 + i, wp, bias);
        int64_t oh, ow;
        cr_assert_eq(sc_conv_output_hw(&p, wd.kh, wd.kw, H, W, &oh, &ow), SC_OK);
        const sc_tensor xd = sc_tensor_nchw(2, IC, H, W);
        float *x = malloc((size_t)(2 * IC * H * W) * sizeof *x);
        ct_rng r = {70 + i};
        for (int64_t k = 0; k < 2 * IC * H * W; ++k) x[k] = (float)(2 * ct_uniform(&r) - 1);
        static const int y_layouts[2] = {CT_NCHW, CT_PADDED};
        for (int li = 0; li < 2; ++li) {
            const int yl = y_layouts[li];
            int64_t yoff, ylen;
            const sc_tensor yd = ct_layout(yl, 2, OC, oh, ow, &yoff, &ylen);
            char what[96];
            snprintf(what, sizeof what, "wide rows, case %zu, y %s", i, ct_layout_names[yl]);
            sc_conv_options opt = sc_conv_options_default();
            opt.engine = SC_ENGINE_SPARSE;
            expect_same_bits_across_threads(layer, &p, &wd, wp, bias, CT_NCHW, yl, &xd, &yd,
                                            x, ylen, what);
            /* the same layer through flat tiles and the NHWC writer: the same bits */
            const sc_tensor yn = sc_tensor_nhwc(2, OC, oh, ow);
            float *y = malloc((size_t)ylen * sizeof *y);
            float *yh = malloc((size_t)(2 * OC * oh * ow) * sizeof *yh);
            sc_conv *op = NULL;
            cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
            cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
            const int avx512 = sc_isa_available(SC_ISA_AVX512);
            const int aligned = avx512 && cases[i].pixels3 > 0;
            const int wide = avx512 && cases[i].sparsity > 0 && cases[i].pixels >= 512;
            cr_expect_eq(op->sp.taps == SC_TAPS_SPLIT, aligned, "%s: split taps", what);
            cr_expect_eq(op->sp.d.pixels, aligned ? cases[i].pixels3 : cases[i].pixels,
                         "%s: flat pixels", what);
            const int wide3 = aligned && cases[i].pixels3 >= 512;
            cr_expect_eq(op->sp.d.tile_w, wide3 || (!aligned && wide) ? 128 : 64,
                         "%s: flat tile width", what);
            cr_expect_eq(op->sp.d.row_tiles, aligned ? cases[i].tiles3
                                             : wide  ? cases[i].tiles2 : cases[i].tiles,
                         "%s: row tiles", what);
            cr_expect_eq(op->sp.d.row_tile_w, aligned ? cases[i].tile_w3
                                              : wide  ? cases[i].tile_w2 : cases[i].tile_w,
                         "%s: row tile width", what);
            cr_assert_eq(sc_conv_run(op, x, y + yoff), SC_OK);
            cr_assert_eq(sc_conv_plan(op, &xd, &yn), SC_OK);
            cr_expect_eq(op->sp.d.row_tiles, 0, "%s: NHWC y takes flat tiles", what);
            cr_assert_eq(sc_conv_run(op, x, yh), SC_OK);
            int same = 1;
            for (int64_t n = 0; n < 2 && same; ++n)
                for (int64_t o = 0; o < OC && same; ++o)
                    for (int64_t q = 0; q < oh * ow && same; ++q) {
                        const float a = y[yoff + sc_tensor_offset(&yd, n, o, q / ow, q % ow)];
                        const float b = yh[sc_tensor_offset(&yn, n, o, q / ow, q % ow)];
                        same = memcmp(&a, &b, sizeof a) == 0;
                    }
            cr_expect(same, "%s: row tiles and flat tiles differ", what);
            sc_conv_destroy(op);
            free(y), free(yh);
        }
        free(x), free(wp), free(bias);
        sc_layer_destroy(layer);
    }
}

/* A rest of 1..8 pixels joins the last flat tile (one 72-wide kernel call instead of a
 * 64-wide one and a masked 8-wide one): in place (72 pixels), through NCHW and NHWC panels
 * (14x14 = 3 x 64 + 4) and phase planes (28x28 3x3: 838 flat pixels = 13 x 64 + 6), into
 * y directly and through the tile buffer, for every kernel family this process may use: the
 * rest joins where the family has a 72-wide kernel (the portable one always does) and takes
 * a tile of its own where not; 3x3 planes into NCHW y (any y with split taps) take 128-pixel
 * tiles where the kernels take 128 pixels. The reference result and the same bits on every thread
 * count; 4x1 block weights have no 72-wide kernel and keep 64-pixel tiles. */
Test(conv_api, short_rest_joins_the_last_tile)
{
    static const struct {
        int64_t oc, ic, h, w, k;
        int xl, yl;
        double sparsity;
        int64_t tiles;  /* flat tiles per image with the rest joined */
        int64_t pixels; /* flat pixels: 128-pixel tiles from 512 where the kernels take 128 */
        int64_t pixels_split;  /* flat pixels with split taps (AVX-512: wq 30 rounds to 32) */
    } cases[] = {
        {21, 8, 9, 8, 1, CT_NCHW, CT_NCHW, 0.6, 1, 72, 0},       /* in place, stored into y */
        {19, 6, 14, 14, 1, CT_NCHW, CT_NCHW, 0.7, 3, 196, 0},    /* misaligned channels: panel */
        {27, 12, 14, 14, 1, CT_NHWC, CT_NHWC, 0.8, 3, 196, 0},   /* NHWC panel and writer */
        {13, 5, 28, 28, 3, CT_NCHW, CT_NHWC, 0.7, 13, 838, 892}, /* phase planes, 3x3 pad 1 */
        {11, 5, 28, 28, 3, CT_NHWC, CT_NCHW, 0.7, 13, 838, 892}, /* the same into NCHW y */
        {16, 6, 14, 14, 1, CT_NCHW, CT_NCHW, 0.0, 0, 196, 0},    /* dense: 4x1 block kernels */
    };
    int joined = 0;  /* row-kernel cases planned with a 72-wide last tile */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        sc_conv_params p = sc_conv_params_default();
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = cases[i].k / 2;
        const int64_t OC = cases[i].oc, IC = cases[i].ic, H = cases[i].h, W = cases[i].w;
        const sc_wdesc wd = {SC_OIHW, OC, IC, cases[i].k, cases[i].k};
        float *wp = malloc((size_t)(OC * IC * cases[i].k * cases[i].k) * sizeof *wp);
        float *bias = malloc((size_t)OC * sizeof *bias);
        sc_layer *layer = make_layer(&wd, &p, cases[i].sparsity, SC_PACK_CHW, 90 + i, wp, bias);
        int64_t xoff, xlen, yoff, ylen;
        const sc_tensor xd = ct_layout(cases[i].xl, 2, IC, H, W, &xoff, &xlen);
        const sc_tensor yd = ct_layout(cases[i].yl, 2, OC, H, W, &yoff, &ylen);
        cr_assert_eq(xoff, 0);
        cr_assert_eq(yoff, 0);
        float *x = malloc((size_t)xlen * sizeof *x);
        ct_rng r = {95 + i};
        for (int64_t k = 0; k < xlen; ++k) x[k] = (float)(2 * ct_uniform(&r) - 1);
        char what[96];
        snprintf(what, sizeof what, "short rest, case %zu (%s -> %s)", i,
                 ct_layout_names[cases[i].xl], ct_layout_names[cases[i].yl]);
        for (size_t k = 0; k < sizeof every_kernel / sizeof every_kernel[0]; ++k) {
            const sc_isa isa = sc_kernel_isa(every_kernel[k]);
            if (!sc_isa_available(isa)) continue;
            char whatk[128];
            snprintf(whatk, sizeof whatk, "%s, kernel %s", what, ct_kernel_name(every_kernel[k]));
            sc_conv_options opt = sc_conv_options_default();
            opt.engine = SC_ENGINE_SPARSE;
            opt.kernel = every_kernel[k];
            sc_conv *op = NULL;
            cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
            check_against_reference(op, &p, &wd, wp, bias, NULL, cases[i].xl, cases[i].yl, 2, H,
                                    W, whatk);
            const int split = op->sp.taps == SC_TAPS_SPLIT;
            cr_expect_eq(split, cases[i].pixels_split > 0 && isa == SC_ISA_AVX512,
                         "%s: split taps", whatk);
            const int64_t pixels = split ? cases[i].pixels_split : cases[i].pixels;
            cr_expect_eq(op->sp.d.pixels, pixels, "%s: flat pixels", whatk);
            if (cases[i].tiles == 0) {
                cr_expect_eq(op->sp.d.rows, 4, "%s: block kernels", whatk);
                cr_expect_eq(op->sp.d.tile_floats, 64, "%s: no 72-wide block kernel", whatk);
            } else if (sc_spmm_find(sc_isa_features(isa), 128, 1) && pixels >= 512 &&
                       cases[i].k > 1 && (cases[i].yl == CT_NCHW || split)) {
                /* 128-pixel tiles (KxK into unit-stride y, split taps into any y): the rest
                 * is one k-masked call */
                cr_expect_eq(op->sp.d.n_tiles, (pixels + 127) / 128, "%s: tiles", whatk);
                cr_expect_eq(op->sp.d.tile_floats, 128, "%s: panel and buffer stride", whatk);
            } else if (sc_spmm_find(sc_isa_features(isa), 72, 1)) {
                cr_expect_eq(op->sp.d.n_tiles, cases[i].tiles, "%s: tiles", whatk);
                cr_expect_eq(op->sp.d.tile_floats, 72, "%s: panel and buffer stride", whatk);
                ++joined;
            } else {  /* the ISA has no 72-wide kernel: the rest takes a tile of its own */
                cr_expect_eq(op->sp.d.n_tiles, (pixels + 63) / 64, "%s: tiles", whatk);
                cr_expect_eq(op->sp.d.tile_floats, 64, "%s: panel and buffer stride", whatk);
            }
            sc_conv_destroy(op);
        }
        expect_same_bits_across_threads(layer, &p, &wd, wp, bias, cases[i].xl, cases[i].yl,
                                        &xd, &yd, x, ylen, what);
        free(x), free(wp), free(bias);
        sc_layer_destroy(layer);
    }
    cr_expect_geq(joined, 4, "the portable kernels (always usable) join the rest");
}

/* Small images whose input panel is larger than half the L2 (over 1024 channels) give
 * each thread one block of output channels instead of many (the driver's work order):
 * the reference result and the same bits on every thread count, NHWC and NCHW. */
Test(conv_api, large_panels_one_block_per_thread)
{
    static const struct { int64_t h; int xl, yl; } cases[] = {
        {7, CT_NHWC, CT_NHWC}, {14, CT_NHWC, CT_NCHW}, {7, CT_NCHW, CT_NCHW}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const int64_t OC = 40, IC = 2100, H = cases[i].h;
        sc_conv_params p = sc_conv_params_default();
        const sc_wdesc wd = {SC_OIHW, OC, IC, 1, 1};
        float *wp = malloc((size_t)(OC * IC) * sizeof *wp);
        float *bias = malloc((size_t)OC * sizeof *bias);
        sc_layer *layer = make_layer(&wd, &p, 0.95, SC_PACK_CHW, 110 + i, wp, bias);
        int64_t xoff, xlen, yoff, ylen;
        const sc_tensor xd = ct_layout(cases[i].xl, 1, IC, H, H, &xoff, &xlen);
        const sc_tensor yd = ct_layout(cases[i].yl, 1, OC, H, H, &yoff, &ylen);
        float *x = malloc((size_t)xlen * sizeof *x);
        ct_rng r = {120 + i};
        for (int64_t k = 0; k < xlen; ++k) x[k] = (float)(2 * ct_uniform(&r) - 1);
        char what[96];
        snprintf(what, sizeof what, "large panel, %lldx%lld, %s -> %s", (long long)H,
                 (long long)H, ct_layout_names[cases[i].xl], ct_layout_names[cases[i].yl]);
        expect_same_bits_across_threads(layer, &p, &wd, wp, bias, cases[i].xl, cases[i].yl,
                                        &xd, &yd, x, ylen, what);
        free(x), free(wp), free(bias);
        sc_layer_destroy(layer);
    }
}

/* Reduction blocks the planner gives a 1x1 layer of IC channels at this density
 * (plan_sparse.c): a budget of 3/4 of the L1 per 64-pixel tile of floats (256 bytes per
 * channel), scaled by sqrt(0.2 / density) in place or below density 0.2, at most a quarter of
 * the L2 (never below the 3/4 of L1), then at least 16 channels and at most IC per block. */
static int64_t expected_blocks_1x1(int64_t IC, double density, int in_place)
{
    const double base = (double)(sc_cpu_l1d_bytes() / 4 * 3);
    double budget = base;
    if (in_place || density < 0.2)
        budget = fmin(base * sqrt(0.2 / density), fmax(base, (double)(sc_cpu_l2_bytes() / 4)));
    int64_t cb = (int64_t)budget / 256;
    cb = cb < 16 ? 16 : cb > IC ? IC : cb;
    return (IC + cb - 1) / cb;
}

/* 1x1 NCHW inputs whose channel stride is 16- but not 32-byte aligned (14x14 = 196 floats)
 * are read in place on threads that would each pack every panel (block-major runs) when
 * few nonzeros use each packed channel row, and packed otherwise (plan_sparse.c): the
 * planned path, the reference result, and the same bits on 1, 2, 3 and 32 threads, which
 * take either path. The expected path follows from what the planner reads, for every kernel
 * family the process may use: 196 pixels make 3 tiles where the family has a 72-wide kernel
 * (the 4-pixel rest joins the last one) and 4 where not; a run is block-major on 2 threads
 * when the y tiles of both images (2 x tiles) are under 4 per thread and each thread gets
 * at least 16 output channels; in place then pays when threads x channels >= 0.075 x
 * nonzeros. The reduction blocks follow from the L1 and L2 sizes. */
Test(conv_api, misaligned_channel_stride_in_place_on_threads)
{
    static const struct { int64_t ic, oc; double sparsity; int yl; } cases[] = {
        {256, 64, 0.98, CT_NCHW},  /* 2 x 256 channels / 328 nonzeros: in place if block-major */
        {64, 256, 0.5, CT_NCHW},   /* 2 x 64 / 8192: panels */
        {256, 64, 0.98, CT_NHWC},  /* NHWC y: tile-major items, panels */
        {256, 32, 0.5, CT_NCHW},   /* 2 x 256 / 4096: in place if block-major, and at this
                                    * density with more reduction blocks than panels take;
                                    * blocks never change the order of a sum */
    };
    int in_place_runs = 0, panel_runs = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const int64_t N = 2, OC = cases[i].oc, IC = cases[i].ic, H = 14;
        sc_conv_params p = sc_conv_params_default();
        const sc_wdesc wd = {SC_OIHW, OC, IC, 1, 1};
        float *wp = malloc((size_t)(OC * IC) * sizeof *wp);
        float *bias = malloc((size_t)OC * sizeof *bias);
        sc_layer *layer = make_layer(&wd, &p, cases[i].sparsity, SC_PACK_CHW, 130 + i, wp, bias);
        int64_t nnz = 0;
        for (int64_t k = 0; k < OC * IC; ++k) nnz += wp[k] != 0.0f;
        const double density = (double)nnz / (double)(OC * IC);
        int64_t xoff, xlen, yoff, ylen;
        const sc_tensor xd = ct_layout(CT_NCHW, N, IC, H, H, &xoff, &xlen);
        const sc_tensor yd = ct_layout(cases[i].yl, N, OC, H, H, &yoff, &ylen);
        cr_assert_eq(xd.strides[SC_C] % 8, 4, "a 16- but not 32-byte aligned channel stride");
        float *x = malloc((size_t)xlen * sizeof *x);
        ct_rng r = {140 + i};
        for (int64_t k = 0; k < xlen; ++k) x[k] = (float)(2 * ct_uniform(&r) - 1);
        for (size_t k = 0; k < sizeof every_kernel / sizeof every_kernel[0]; ++k) {
            const sc_isa isa = sc_kernel_isa(every_kernel[k]);
            if (!sc_isa_available(isa)) continue;
            const int64_t tiles = sc_spmm_find(sc_isa_features(isa), 72, 1) ? 3 : 4;
            char what[128];
            snprintf(what, sizeof what, "%lld -> %lld @14x14, sparsity %.2f, NCHW -> %s, "
                     "kernel %s", (long long)IC, (long long)OC, cases[i].sparsity,
                     ct_layout_names[cases[i].yl], ct_kernel_name(every_kernel[k]));
            for (int threads = 1; threads <= 2; ++threads) {
                const int block_major = threads > 1 && cases[i].yl == CT_NCHW &&
                                        N * tiles < 4 * threads && OC / threads >= 16;
                const int in_place = block_major && threads * IC >= 0.075 * (double)nnz;
                sc_conv_options opt = sc_conv_options_default();
                opt.engine = SC_ENGINE_SPARSE;
                opt.kernel = every_kernel[k];
                opt.threads = threads;
                sc_conv *op = NULL;
                cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
                check_against_reference(op, &p, &wd, wp, bias, NULL, CT_NCHW, cases[i].yl, N, H,
                                        H, what);
                cr_expect_eq(op->sp.d.n_tiles, tiles, "%s, %d thread(s): tiles", what, threads);
                cr_expect_eq(op->sp.d.in_place, in_place, "%s, %d thread(s): in place", what,
                             threads);
                cr_expect_eq(op->sp.d.panel, !in_place, "%s, %d thread(s): panels", what,
                             threads);
                cr_expect_eq(op->sp.d.n_cb, expected_blocks_1x1(IC, density, in_place),
                             "%s, %d thread(s): reduction blocks (L1 %lld, L2 %lld bytes)",
                             what, threads, (long long)sc_cpu_l1d_bytes(),
                             (long long)sc_cpu_l2_bytes());
                in_place_runs += in_place;
                panel_runs += !in_place;
                sc_conv_destroy(op);
            }
        }
        char what[96];
        snprintf(what, sizeof what, "%lld -> %lld @14x14, sparsity %.2f, NCHW -> %s",
                 (long long)IC, (long long)OC, cases[i].sparsity, ct_layout_names[cases[i].yl]);
        expect_same_bits_across_threads(layer, &p, &wd, wp, bias, CT_NCHW, cases[i].yl, &xd,
                                        &yd, x, ylen, what);
        free(x), free(wp), free(bias);
        sc_layer_destroy(layer);
    }
    /* the portable kernels (always usable) have the 72-wide one: both paths are planned */
    cr_expect_gt(in_place_runs, 0, "no run was planned in place");
    cr_expect_gt(panel_runs, 0, "no run was planned through panels");
}

/* One planned operator run from two threads at once on different buffers (run is const and
 * allocates its own scratch): both results equal a sequential run. */
Test(conv_api, concurrent_runs_on_one_operator)
{
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = p.stride_w = 2;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    const sc_wdesc wd = {SC_OIHW, 12, 10, 3, 3};
    float wp[12 * 10 * 9], bias[12];
    sc_layer *layer = make_layer(&wd, &p, 0.8, SC_PACK_CHW, 40, wp, bias);
    sc_conv_options opt = sc_conv_options_default();
    opt.engine = SC_ENGINE_SPARSE;
    opt.threads = 1;
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
    const sc_tensor xd = sc_tensor_nhwc(2, 10, 33, 31), yd = sc_tensor_nchw(2, 12, 17, 16);
    enum { XN = 2 * 10 * 33 * 31, YN = 2 * 12 * 17 * 16 };
    static float x[2][XN];
    ct_rng r = {41};
    for (int k = 0; k < 2; ++k)
        for (int i = 0; i < XN; ++i) x[k][i] = (float)(2 * ct_uniform(&r) - 1);
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK);
    ct_expect_concurrent_runs(op, (const float *const[2]){x[0], x[1]}, YN,
                              "sparse NHWC -> NCHW");
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
}

/* 4x1 block-pruned layers (each group of 4 output channels keeps the same positions): the
 * planner detects the structure and runs the block kernels, which must match the reference
 * on 1x1 and 3x3 layers, groups, every layout pair, partial tiles and 1 or 2 threads; a
 * layer whose channel count per group is not a multiple of 4 stays on the row kernels. */
Test(conv_api, block_pruned_layers_use_the_block_kernels)
{
    static const struct { int64_t oc, icg, k, groups; int blocks; } cases[] = {
        {16, 40, 1, 1, 1}, {24, 20, 3, 1, 1}, {16, 12, 3, 2, 1}, {12, 9, 1, 1, 1},
        {10, 8, 1, 1, 0},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ++ci)
        for (int l = 0; l < 4; ++l) {
            sc_conv_params p = sc_conv_params_default();
            p.groups = cases[ci].groups;
            p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = cases[ci].k / 2;
            const sc_wdesc wd = {SC_OIHW, cases[ci].oc, cases[ci].icg, cases[ci].k, cases[ci].k};
            const int64_t per = wd.icg * wd.kh * wd.kw, nw = wd.oc * per;
            float *w = malloc((size_t)nw * sizeof *w), *wp = malloc((size_t)nw * sizeof *wp);
            float bias[24];
            uint8_t *mask = malloc((size_t)nw);
            ct_rng r = {40 + ci};
            for (int64_t o = 0; o < wd.oc; ++o) bias[o] = (float)(ct_uniform(&r) - 0.5);
            for (int64_t o = 0; o < wd.oc; o += 4)  /* 4x1 blocks at 75% sparsity */
                for (int64_t k = 0; k < per; ++k) {
                    const int keep = ct_uniform(&r) >= 0.75;
                    for (int64_t q = o; q < o + 4 && q < wd.oc; ++q) mask[q * per + k] = keep;
                }
            for (int64_t i = 0; i < nw; ++i) {
                w[i] = (float)(2 * ct_uniform(&r) - 1);
                wp[i] = mask[i] ? w[i] : 0.0f;
            }
            sc_pack_options po = sc_pack_options_default();
            po.params = p;
            po.order = l % 2 ? SC_PACK_HWC : SC_PACK_CHW;
            po.bias = bias;
            sc_layer *layer = NULL;
            cr_assert_eq(sc_layer_pack(&wd, w, mask, &po, &layer), SC_OK, "%s", sc_last_message());
            for (int kern = 0; kern < 2; ++kern)
                for (int threads = 1; threads <= 2; ++threads) {
                    sc_conv_options opt = sc_conv_options_default();
                    opt.engine = SC_ENGINE_SPARSE;
                    opt.kernel = kern ? SC_KERNEL_PORTABLE : SC_KERNEL_AUTO;
                    opt.act = sc_activation_relu();
                    opt.threads = threads;
                    sc_conv *op = NULL;
                    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
                    char what[128];
                    snprintf(what, sizeof what, "case %zu layout %s kernel %d threads %d", ci,
                             ct_layout_names[l], kern, threads);
                    check_against_reference(op, &p, &wd, wp, bias, &opt.act, l, l, 2, 9, 10,
                                            what);
                    sc_conv_choice ch;
                    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
                    cr_expect_eq(strncmp(ch.kernel, "spmm4_", 6) == 0, cases[ci].blocks,
                                 "%s: kernel %s", what, ch.kernel);
                    sc_conv_destroy(op);
                }
            sc_layer_destroy(layer);
            free(w), free(wp), free(mask);
        }
}
