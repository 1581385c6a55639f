/* tests/sparse/test_backward_api.c: backward operators: hand-computed cases, shape rules, invalid arguments, allocation failures */
#include <criterion/criterion.h>
#include <stdio.h>

#include "conv_test_util.h"
#include "core/core.h"

/* One channel, kernel 1x2 = [a, b], stride 1x2: the forward conv of a row x gives
 * y[j] = a*x[2j] + b*x[2j+1]; its adjoint spreads dy[j] to dx[2j] = a*dy[j], dx[2j+1] = b*dy[j]. */
static sc_layer *row_layer(float a, float b, int64_t stride_w)
{
    const sc_wdesc wd = {SC_OIHW, 1, 1, 1, 2};
    const float w[2] = {a, b};
    sc_conv_params p = sc_conv_params_default();
    p.stride_w = stride_w;
    return ct_pack(&(ct_layer_spec){.wd = wd, .params = &p}, w, NULL);
}

Test(backward_api, hand_computed_backward_data_and_the_stride_ambiguity)
{
    sc_layer *l = row_layer(2.0f, -3.0f, 2);
    sc_conv_bwd *op = NULL;
    cr_assert_eq(sc_conv_bwd_create(l, NULL, &op), SC_OK);
    const float dy[2] = {1.5f, -0.5f};
    const sc_tensor dyd = sc_tensor_nchw(1, 1, 1, 2);
    /* widths 4 and 5 both give 2 outputs: dX's descriptor says which one is meant */
    const sc_tensor dx4 = sc_tensor_nchw(1, 1, 1, 4), dx5 = sc_tensor_nchw(1, 1, 1, 5);
    float dx[6] = {9, 9, 9, 9, 9, 9};
    cr_assert_eq(sc_conv_bwd_plan(op, &dyd, &dx4), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_bwd_run(op, dy, dx), SC_OK);
    const float want4[6] = {3.0f, -4.5f, -1.0f, 1.5f, 9, 9};
    for (int i = 0; i < 6; ++i) cr_expect_eq(dx[i], want4[i], "width 4: dx[%d] = %g", i, dx[i]);
    cr_assert_eq(sc_conv_bwd_plan(op, &dyd, &dx5), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_bwd_run(op, dy, dx), SC_OK);
    const float want5[6] = {3.0f, -4.5f, -1.0f, 1.5f, 0.0f, 9};  /* column 4 meets no weight */
    for (int i = 0; i < 6; ++i) cr_expect_eq(dx[i], want5[i], "width 5: dx[%d] = %g", i, dx[i]);
    /* width 6 gives 3 outputs, not 2 */
    const sc_tensor dx6 = sc_tensor_nchw(1, 1, 1, 6);
    cr_expect_eq(sc_conv_bwd_plan(op, &dyd, &dx6), SC_EINVAL);
    cr_expect(strstr(sc_last_message(), "dY") != NULL, "message: %s", sc_last_message());
    /* the failed plan kept the previous one (width 5) */
    float again[6] = {9, 9, 9, 9, 9, 9};
    cr_assert_eq(sc_conv_bwd_run(op, dy, again), SC_OK);
    for (int i = 0; i < 6; ++i) cr_expect_eq(again[i], want5[i]);
    sc_conv_choice ch;
    cr_expect_eq(sc_conv_bwd_describe(op, &ch), SC_OK);
    cr_expect_eq(ch.engine, SC_ENGINE_SPARSE);
    cr_expect(ch.kernel && strstr(ch.kernel, "spmm") != NULL);
    sc_conv_bwd_destroy(op);
    sc_layer_destroy(l);
}

Test(backward_api, hand_computed_conv_transpose_with_bias_output_padding_and_relu)
{
    /* ConvTranspose2d(1, 1, (1, 2), stride (1, 2), output_padding (0, 1)), weight [2, -3],
     * bias 0.25, ReLU: y = relu([2x0, -3x0, 2x1, -3x1, 0] + 0.25) */
    sc_layer *l = row_layer(2.0f, -3.0f, 1);  /* the layer's own stride is not used */
    sc_conv_transpose_params tp = sc_conv_transpose_params_default();
    tp.stride_w = 2;
    tp.out_pad_w = 1;
    int64_t oh, ow;
    cr_assert_eq(sc_conv_transpose_output_hw(&tp, 1, 2, 1, 2, &oh, &ow), SC_OK);
    cr_expect_eq(oh, 1);
    cr_expect_eq(ow, 5);
    const float bias = 0.25f, x[2] = {1.0f, -2.0f};
    sc_conv_transpose_options o = sc_conv_transpose_options_default();
    o.bias = &bias;
    o.act = sc_activation_relu();
    sc_conv_transpose *op = NULL;
    cr_assert_eq(sc_conv_transpose_create(l, &tp, &o, &op), SC_OK, "%s", sc_last_message());
    const sc_tensor xd = sc_tensor_nhwc(1, 1, 1, 2), yd = sc_tensor_nhwc(1, 1, 1, 5);
    float y[5] = {9, 9, 9, 9, 9};
    cr_assert_eq(sc_conv_transpose_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_transpose_run(op, x, y), SC_OK);
    const float want[5] = {2.25f, 0.0f, 0.0f, 6.25f, 0.25f};
    for (int i = 0; i < 5; ++i) cr_expect_eq(y[i], want[i], "y[%d] = %g", i, y[i]);
    sc_conv_transpose_destroy(op);
    sc_layer_destroy(l);
}

Test(backward_api, hand_computed_masked_weight_gradient)
{
    /* dW = [sum_j dy[j] x[2j], sum_j dy[j] x[2j+1]]; with b pruned only dW_a is returned */
    sc_layer *l = row_layer(2.0f, 0.0f, 2);
    const float x[4] = {1, 2, 3, 4}, dy[2] = {0.5f, -1.0f};
    const sc_tensor xd = sc_tensor_nchw(1, 1, 1, 4), dyd = sc_tensor_nchw(1, 1, 1, 2);
    float dw[2] = {9, 9};
    cr_assert_eq(sc_conv_wgrad(l, NULL, &xd, x, &dyd, dy, dw), SC_OK, "%s", sc_last_message());
    cr_expect_eq(dw[0], 0.5f * 1 - 1.0f * 3);
    cr_expect_eq(dw[1], 9.0f, "only nnz = 1 entries are written");
    sc_layer_destroy(l);
}

Test(backward_api, invalid_arguments)
{
    sc_layer *l = row_layer(1.0f, 2.0f, 2);
    sc_conv_bwd *op = NULL;
    sc_conv_bwd_options bo = sc_conv_bwd_options_default();
    cr_expect_eq(sc_conv_bwd_create(NULL, &bo, &op), SC_EINVAL);
    cr_expect_eq(sc_conv_bwd_create(l, &bo, NULL), SC_EINVAL);
    bo.threads = -1;
    cr_expect_eq(sc_conv_bwd_create(l, &bo, &op), SC_EINVAL);
    bo.threads = 0;
    bo.kernel = (sc_kernel_choice)7;
    cr_expect_eq(sc_conv_bwd_create(l, &bo, &op), SC_EINVAL);
    cr_expect_null(op, "failed creates leave out untouched");
    cr_assert_eq(sc_conv_bwd_create(l, NULL, &op), SC_OK);
    float buf[8] = {0};
    sc_conv_choice ch;
    cr_expect_eq(sc_conv_bwd_run(op, buf, buf + 4), SC_ESTATE);
    cr_expect_eq(sc_conv_bwd_describe(op, &ch), SC_ESTATE);
    const sc_tensor dyd = sc_tensor_nchw(1, 1, 1, 2), dxd = sc_tensor_nchw(1, 1, 1, 4);
    cr_expect_eq(sc_conv_bwd_plan(op, NULL, &dxd), SC_EINVAL);
    const sc_tensor dx2 = sc_tensor_nchw(1, 2, 1, 4);  /* 2 channels, the weights have 1 */
    cr_expect_eq(sc_conv_bwd_plan(op, &dyd, &dx2), SC_EINVAL);
    const sc_tensor dyb = sc_tensor_nchw(2, 1, 1, 2);  /* batch 2 vs 1 */
    cr_expect_eq(sc_conv_bwd_plan(op, &dyb, &dxd), SC_EINVAL);
    sc_tensor alias = dxd;
    alias.dims[SC_W] = 4, alias.strides[SC_W] = 0;  /* an output view that aliases */
    cr_expect_eq(sc_conv_bwd_plan(op, &dyd, &alias), SC_EINVAL);
    cr_expect_eq(sc_conv_bwd_plan(op, &dyd, &dxd), SC_OK);
    cr_expect_eq(sc_conv_bwd_run(op, NULL, buf), SC_EINVAL);
    sc_conv_bwd_destroy(op);
    sc_conv_bwd_destroy(NULL);

    sc_conv_transpose_params tp = sc_conv_transpose_params_default();
    sc_conv_transpose *top = NULL;
    tp.stride_w = 2;
    tp.out_pad_w = 2;  /* must stay below the stride (or the dilation) */
    cr_expect_eq(sc_conv_transpose_create(l, &tp, NULL, &top), SC_EINVAL);
    tp.out_pad_w = 0;
    tp.groups = 2;  /* the layer has one group */
    cr_expect_eq(sc_conv_transpose_create(l, &tp, NULL, &top), SC_EINVAL);
    tp.groups = 1;
    tp.pad_left = tp.pad_right = 5;  /* crops the whole output */
    int64_t oh, ow;
    cr_expect_eq(sc_conv_transpose_output_hw(&tp, 1, 2, 1, 2, &oh, &ow), SC_EINVAL);
    tp.pad_left = tp.pad_right = 0;
    sc_conv_transpose_options to = sc_conv_transpose_options_default();
    to.act = sc_activation_clamp(1.0f, 0.0f);
    cr_expect_eq(sc_conv_transpose_create(l, &tp, &to, &top), SC_EINVAL);
    cr_expect_null(top);
    cr_assert_eq(sc_conv_transpose_create(l, &tp, NULL, &top), SC_OK);
    cr_expect_eq(sc_conv_transpose_run(top, buf, buf + 4), SC_ESTATE);
    cr_expect_eq(sc_conv_transpose_describe(top, &ch), SC_ESTATE);
    const sc_tensor xt = sc_tensor_nchw(1, 1, 1, 2), yt_bad = sc_tensor_nchw(1, 1, 1, 5);
    cr_expect_eq(sc_conv_transpose_plan(top, &xt, &yt_bad), SC_EINVAL);  /* 4 without outpad */
    sc_conv_transpose_destroy(top);
    sc_conv_transpose_destroy(NULL);

    float dw[2] = {7, 7};
    const sc_tensor xd = sc_tensor_nchw(1, 1, 1, 4);
    cr_expect_eq(sc_conv_wgrad(l, NULL, &xd, buf, &dyd, NULL, dw), SC_EINVAL);
    const sc_tensor dy3 = sc_tensor_nchw(1, 1, 1, 3);
    cr_expect_eq(sc_conv_wgrad(l, NULL, &xd, buf, &dy3, buf + 4, dw), SC_EINVAL);
    sc_wgrad_options wo = sc_wgrad_options_default();
    wo.threads = -2;
    cr_expect_eq(sc_conv_wgrad(l, &wo, &xd, buf, &dyd, buf + 4, dw), SC_EINVAL);
    cr_expect(dw[0] == 7 && dw[1] == 7, "failed calls leave dw untouched");
    sc_layer_destroy(l);
}

/* Fail the 1st, 2nd, ... allocation of create + plan + run (backward data, conv_transpose)
 * and of the weight gradient until each succeeds: a clean SC_ENOMEM and untouched outputs
 * every time (the sanitizer build checks for leaks). */
Test(backward_api, every_allocation_failure_is_clean)
{
    ct_rng r = {77};
    const sc_wdesc wd = {SC_OIHW, 6, 4, 3, 3};
    float w[6 * 4 * 9];
    for (int i = 0; i < 6 * 4 * 9; ++i) w[i] = ct_uniform(&r) < 0.5 ? 0.0f : 1.0f + i % 5;
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = p.stride_w = 2;
    p.pad_top = p.pad_left = 1;
    sc_layer *l = ct_pack(&(ct_layer_spec){.wd = wd, .params = &p}, w, NULL);
    const sc_tensor xd = sc_tensor_nhwc(2, 4, 7, 6), yd = sc_tensor_nchw(2, 6, 3, 3);
    float x[2 * 4 * 7 * 6], dy[2 * 6 * 3 * 3], out[2 * 4 * 7 * 6], dw[6 * 4 * 9];
    for (size_t i = 0; i < sizeof x / sizeof *x; ++i) x[i] = (float)ct_uniform(&r);
    for (size_t i = 0; i < sizeof dy / sizeof *dy; ++i) dy[i] = (float)ct_uniform(&r);
    int fails[3] = {0, 0, 0};
    for (int what = 0; what < 3; ++what)
        for (uint64_t n = 1; n < 100; ++n) {
            for (size_t i = 0; i < sizeof out / sizeof *out; ++i) out[i] = -7.0f;
            for (size_t i = 0; i < sizeof dw / sizeof *dw; ++i) dw[i] = -7.0f;
            sc_conv_bwd *b = NULL;
            sc_conv_transpose *t = NULL;
            sc_status st;
            sc_alloc_fail_at(n);
            if (what == 0) {
                st = sc_conv_bwd_create(l, NULL, &b);
                if (st == SC_OK) st = sc_conv_bwd_plan(b, &yd, &xd);
                if (st == SC_OK) st = sc_conv_bwd_run(b, dy, out);
            } else if (what == 1) {
                /* the same layer as a transposed conv from 6 to 4 channels */
                sc_conv_transpose_params tp = sc_conv_transpose_params_default();
                tp.stride_h = tp.stride_w = 2;
                tp.pad_top = tp.pad_left = tp.pad_bottom = tp.pad_right = 1;
                tp.out_pad_h = 1;
                const float bias[4] = {1, 2, 3, 4};
                sc_conv_transpose_options o = sc_conv_transpose_options_default();
                o.bias = bias;
                const sc_tensor ty = sc_tensor_nhwc(2, 4, 6, 5);
                st = sc_conv_transpose_create(l, &tp, &o, &t);
                if (st == SC_OK) st = sc_conv_transpose_plan(t, &yd, &ty);
                if (st == SC_OK) st = sc_conv_transpose_run(t, dy, out);
            } else {
                st = sc_conv_wgrad(l, NULL, &xd, x, &yd, dy, dw);
            }
            sc_alloc_fail_at(0);
            sc_conv_bwd_destroy(b);
            sc_conv_transpose_destroy(t);
            if (st == SC_OK) break;
            cr_expect_eq(st, SC_ENOMEM, "case %d, allocation %llu: %s", what,
                         (unsigned long long)n, sc_last_message());
            for (size_t i = 0; i < sizeof out / sizeof *out; ++i)
                cr_expect_eq(out[i], -7.0f, "case %d, allocation %llu: output written", what,
                             (unsigned long long)n);
            for (size_t i = 0; i < sizeof dw / sizeof *dw; ++i)
                cr_expect_eq(dw[i], -7.0f);
            ++fails[what];
        }
    cr_expect_geq(fails[0], 8, "create 1, plan >= 5, run 2: %d", fails[0]);
    cr_expect_geq(fails[1], 9, "%d", fails[1]);
    cr_expect_geq(fails[2], 5, "%d", fails[2]);
    sc_layer_destroy(l);
}
