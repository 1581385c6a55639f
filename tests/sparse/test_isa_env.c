/* tests/sparse/test_isa_env.c: under SCONV_ISA every plan takes the capped kernel family */
#include <criterion/criterion.h>
#include <float.h>
#include <stdio.h>
#include <strings.h>

#include "conv_test_util.h"
#include "core/core.h"
#include "sparse/backward_impl.h"
#include "op/op_impl.h"
#include "op/kernel_choice.h"

/* The level this process must use: the one SCONV_ISA names (meson runs this binary once per
 * value), lowered to what the CPU runs; the CPU's own when unset or not a level. */
static sc_isa expected_level(void)
{
    const char *env = getenv("SCONV_ISA");
    const sc_isa hw = sc_cpu_isa_hw();
    sc_isa want = hw;
    if (env && strcasecmp(env, "portable") == 0) want = SC_ISA_NONE;
    if (env && strcasecmp(env, "avx2") == 0) want = SC_ISA_AVX2;
    return want < hw ? want : hw;
}

static const char *suffix(sc_isa isa)
{
    return isa == SC_ISA_AVX512 ? "__avx512" : isa == SC_ISA_AVX2 ? "__avx2" : "__ref";
}

/* The features the strip transpose fn needs (its line of transpose_list.inc). */
static sc_cpu_set strip_need(sc_transpose8xn_fn fn)
{
    for (const sc_transpose8xn_info *k = sc_transpose8xn_table; k->fn; ++k)
        if (k->fn == fn) return k->need;
    cr_assert_fail("a strip transpose outside the list");
    return 0;
}

/* A 1x1 layer of 16 -> 16 channels: random weights kept with probability 1 - sparsity, or
 * 4x1 blocks (each group of 4 output channels keeps the same inputs); wp gets the pruned
 * dense OIHW copy. */
static sc_layer *make_layer(double sparsity, int blocks, float *wp)
{
    ct_rng r = {7};
    return ct_random_layer(&r, &(ct_layer_spec){.wd = {SC_OIHW, 16, 16, 1, 1},
                                                .sparsity = sparsity, .block = blocks ? 4 : 0,
                                                .pruned = wp});
}

Test(isa_env, the_process_level_is_the_capped_one)
{
    const char *env = getenv("SCONV_ISA");
    cr_log_info("SCONV_ISA=%s, CPU %s", env ? env : "(unset)", sc_isa_name(sc_cpu_isa_hw()));
    cr_expect_eq(sc_cpu_isa(), expected_level(), "library level %s", sc_isa_name(sc_cpu_isa()));
    cr_expect_eq(sc_kernel_isa(SC_KERNEL_AUTO), expected_level(), "auto kernel choice");
    for (int isa = SC_ISA_NONE; isa <= SC_ISA_AVX512; ++isa)
        cr_expect_eq(sc_isa_available((sc_isa)isa), isa <= (int)expected_level(), "%s",
                     sc_isa_name((sc_isa)isa));
}

/* Forward and backward plans of the auto kernel: row kernels, block kernels and the
 * transposes of NHWC panels all from the capped family, and the reference result. */
Test(isa_env, auto_plans_use_the_capped_family)
{
    const sc_isa want = expected_level();
    float wp[256];
    sc_layer *layer = make_layer(0.9, 0, wp);
    sc_conv_options opt = sc_conv_options_default();
    opt.engine = SC_ENGINE_SPARSE;
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK, "%s", sc_last_message());
    const sc_tensor xd = sc_tensor_nhwc(2, 16, 9, 9), yd = sc_tensor_nhwc(2, 16, 9, 9);
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    sc_conv_choice ch;
    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
    /* AVX-512: the k-masked 128 takes any tile alone; else widths 64, 32, 16, 8 */
    char name[64];
    snprintf(name, sizeof name, "spmm_f32_%d%s", want == SC_ISA_AVX512 ? 128 : 64, suffix(want));
    cr_expect_str_eq(ch.kernel, name);
    cr_expect_eq(op->sp.d.kit.n_chain, want == SC_ISA_AVX512 ? 1 : 4, "chain widths");
    for (int k = 0; k < op->sp.d.kit.n_chain; ++k)
        cr_expect_eq(op->sp.d.kit.chain[k]->need, sc_isa_features(want), "kernel %s",
                     op->sp.d.kit.chain[k]->name);
    /* the transposes have AVX2 versions only (AVX-512 plans take them too): the 8x8 one
     * and the strips of panels and stores come from the capped level, at most AVX2 */
    const sc_isa strips = want == SC_ISA_AVX512 ? SC_ISA_AVX2 : want;
    cr_expect(op->sp.transpose8 == (want >= SC_ISA_AVX2 ? sc_transpose8_f32__avx2
                                                       : sc_transpose8_f32__ref));
    cr_expect_eq(strip_need(op->sp.to_panel), sc_isa_features(strips), "panel strips");
    cr_expect_eq(strip_need(op->sp.from_tile), sc_isa_features(strips), "output strips");
    static float x[2 * 16 * 81], y[2 * 16 * 81], ref[2 * 16 * 81];
    ct_rng r = {11};
    for (int i = 0; i < 2 * 16 * 81; ++i) x[i] = (float)(2 * ct_uniform(&r) - 1);
    cr_assert_eq(sc_conv_run(op, x, y), SC_OK);
    const sc_conv_params p = sc_conv_params_default();
    const sc_wdesc wd = {SC_OIHW, 16, 16, 1, 1};
    cr_assert_eq(sc_conv_reference(&p, &wd, wp, NULL, NULL, &xd, x, &yd, ref), SC_OK);
    /* |x| < 1: each output is a sum of at most 16 products of size below sum_i |w[o][i]| */
    for (int i = 0; i < 2 * 16 * 81; ++i) {
        double s = 0;
        for (int c = 0; c < 16; ++c) s += fabs(wp[(i % 16) * 16 + c]);
        cr_expect_leq(fabs((double)y[i] - ref[i]), 2 * 16 * FLT_EPSILON * s + 1e-30,
                      "y[%d] = %.9g, reference %.9g", i, (double)y[i], (double)ref[i]);
    }
    sc_conv_destroy(op);

    /* backward data of the same layer: the transposed engine's kernels and transposes */
    sc_conv_bwd *bop = NULL;
    cr_assert_eq(sc_conv_bwd_create(layer, NULL, &bop), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_bwd_plan(bop, &yd, &xd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_bwd_describe(bop, &ch), SC_OK);
    cr_expect_str_eq(ch.kernel, name, "backward data");
    cr_expect(bop->t.tp.tr == (want >= SC_ISA_AVX2 ? sc_transpose8_f32__avx2
                                                   : sc_transpose8_f32__ref));
    sc_conv_bwd_destroy(bop);
    sc_layer_destroy(layer);

    /* 4x1 block weights: the block kernels of the capped level, the whole chain */
    layer = make_layer(0.5, 1, wp);
    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
    snprintf(name, sizeof name, "spmm4_f32_64%s", suffix(want));
    cr_expect_str_eq(ch.kernel, name, "block kernels");
    cr_expect_eq(op->sp.d.kit.n_chain, 4, "widths 64, 32, 16, 8");
    for (int k = 0; k < op->sp.d.kit.n_chain; ++k)
        cr_expect_eq(op->sp.d.kit.chain[k]->need, sc_isa_features(want), "kernel %s",
                     op->sp.d.kit.chain[k]->name);
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
}

/* An explicit kernel above the level is refused like one the CPU lacks, by every operator;
 * when the CPU has it the message names SCONV_ISA. */
Test(isa_env, requests_above_the_level_are_refused)
{
    const sc_isa level = expected_level();
    float wp[256];
    sc_layer *layer = make_layer(0.5, 0, wp);
    static const struct { sc_kernel_choice k; sc_isa isa; } reqs[] = {
        {SC_KERNEL_PORTABLE, SC_ISA_NONE}, {SC_KERNEL_AVX2, SC_ISA_AVX2},
        {SC_KERNEL_AVX512, SC_ISA_AVX512}};
    const sc_tensor xd = sc_tensor_nchw(1, 16, 3, 3), yd = sc_tensor_nchw(1, 16, 3, 3);
    static float x[16 * 9], dy[16 * 9], dw[256];
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; ++i) {
        const sc_status want = reqs[i].isa <= level ? SC_OK : SC_EUNSUPPORTED;
        const int names_env = want != SC_OK && reqs[i].isa <= sc_cpu_isa_hw();
        sc_conv_options opt = sc_conv_options_default();
        opt.kernel = reqs[i].k;
        sc_conv *op = NULL;
        cr_expect_eq(sc_conv_create(layer, &opt, &op), want, "forward, %s requested",
                     sc_isa_name(reqs[i].isa));
        if (names_env)
            cr_expect(strstr(sc_last_message(), "SCONV_ISA") != NULL, "%s", sc_last_message());
        sc_conv_destroy(op);
        sc_conv_bwd_options bo = sc_conv_bwd_options_default();
        bo.kernel = reqs[i].k;
        sc_conv_bwd *bop = NULL;
        cr_expect_eq(sc_conv_bwd_create(layer, &bo, &bop), want, "backward, %s requested",
                     sc_isa_name(reqs[i].isa));
        sc_conv_bwd_destroy(bop);
        sc_wgrad_options wo = sc_wgrad_options_default();
        wo.kernel = reqs[i].k;
        cr_expect_eq(sc_conv_wgrad(layer, &wo, &xd, x, &yd, dy, dw), want,
                     "weight gradient, %s requested: %s", sc_isa_name(reqs[i].isa),
                     sc_last_message());
    }
    sc_layer_destroy(layer);
}
