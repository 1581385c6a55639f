/* tests/sparse/test_conv_strides.c: strides and residues far beyond the image: memory bounded by the layer and images */
#include <criterion/criterion.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include "conv_test_util.h"
#include "core/core.h"

/* Far below what a map of stride_h + stride_w entries takes at stride 2^28 (1 GiB), far
 * above what these 16 -> 32 channel layers and small images need. */
#define ALLOC_CAP ((size_t)64 << 20)

typedef struct stride_case {
    int64_t sh, sw, dh, dw, pad_top, pad_bottom, h, w;
} stride_case;

#define E(k) (INT64_C(1) << (k))
static const stride_case cases[] = {
    {E(28), E(28), 1, 1, 1, 1, 5, 7},          /* one output pixel */
    {E(10), E(10), 1, 1, 1, 1, 5, 7},          /* 2^20 phases of dX, 5 x 7 of them used */
    {E(40), E(40), 1, 1, 1, 1, 6, 6},
    {E(40), 2, 1, 1, 1, 1, 9, 11},             /* one output row of 6 pixels */
    {3, E(28), 1, 1, 0, 1, 10, 8},             /* one output column of 3 */
    {E(28), E(28), 2, 3, 1, 1, 8, 9},          /* dilated taps: 3 distinct residues */
    {E(40), 5, E(39), 1, E(40), 0, 9, 9},      /* residues 0 and 2^39: reads the padding */
};

/* y = conv(x) on the sparse engine (and auto) against the dense reference, NCHW and NHWC,
 * with allocations capped. */
static void check_case(const stride_case *c, int engine, int layout)
{
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = c->sh, p.stride_w = c->sw, p.dil_h = c->dh, p.dil_w = c->dw;
    p.pad_top = c->pad_top, p.pad_bottom = c->pad_bottom, p.pad_left = p.pad_right = 1;
    const sc_wdesc wd = {SC_OIHW, 32, 16, 3, 3};
    enum { NW = 32 * 16 * 9 };
    static float wp[NW], bias[32];
    ct_rng r = {(uint64_t)(c - cases) * 31 + 5};
    char what[160];
    snprintf(what, sizeof what, "stride %lldx%lld dilation %lldx%lld pad %lld/%lld input "
             "%lldx%lld, %s, %s", (long long)c->sh, (long long)c->sw, (long long)c->dh,
             (long long)c->dw, (long long)c->pad_top, (long long)c->pad_bottom,
             (long long)c->h, (long long)c->w, engine == SC_ENGINE_SPARSE ? "sparse" : "auto",
             ct_layout_names[layout]);
    sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = wd, .params = &p,
                                                          .sparsity = 0.5, .draw_bias = bias,
                                                          .pruned = wp, .what = what});
    int64_t oh, ow, xoff, xlen, yoff, ylen;
    cr_assert_eq(sc_conv_output_hw(&p, 3, 3, c->h, c->w, &oh, &ow), SC_OK, "%s: %s", what,
                 sc_last_message());
    const sc_tensor xd = ct_layout(layout, 2, 16, c->h, c->w, &xoff, &xlen);
    const sc_tensor yd = ct_layout(layout, 2, 32, oh, ow, &yoff, &ylen);
    float *x = malloc((size_t)xlen * 4), *y = malloc((size_t)ylen * 4);
    float *ref = malloc((size_t)ylen * 4), *scale = malloc((size_t)ylen * 4);
    for (int64_t i = 0; i < xlen; ++i) x[i] = (float)(2 * ct_uniform(&r) - 1);
    cr_assert_eq(sc_conv_reference(&p, &wd, wp, bias, NULL, &xd, x, &yd, ref), SC_OK, "%s",
                 sc_last_message());
    ct_abs_reference(&p, &wd, wp, bias, &xd, x, &yd, scale);
    sc_conv_options opt = sc_conv_options_default();
    opt.engine = engine;
    opt.threads = 2;
    sc_conv *op = NULL;
    sc_set_alloc_limit(ALLOC_CAP);
    sc_status st = sc_conv_create(layer, &opt, &op);
    if (st == SC_OK) st = sc_conv_plan(op, &xd, &yd);
    if (st == SC_OK) st = sc_conv_run(op, x, y);
    sc_set_alloc_limit(0);
    cr_assert_eq(st, SC_OK, "%s: %s", what, sc_last_message());
    cr_expect_eq(ct_check_runs(what, ylen, ref, scale, y, y), 0, "%s", what);
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
    free(x), free(y), free(ref), free(scale);
}

Test(conv_strides, huge_strides_match_the_reference_within_a_small_allocation_cap)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
        for (int layout = CT_NCHW; layout <= CT_NHWC; ++layout) {
            check_case(&cases[i], SC_ENGINE_SPARSE, layout);
            check_case(&cases[i], SC_ENGINE_AUTO, layout);
        }
}

/* Backward data (the transposed engine) at the same strides: its rows are (phase, channel)
 * over the phases that hold dX pixels only (at most min(stride, extent) per axis), so plan
 * and run fit the cap; results match the reference and are bitwise equal on 1 and 2
 * threads. */
static void check_backward_case(const stride_case *c, int layout)
{
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = c->sh, p.stride_w = c->sw, p.dil_h = c->dh, p.dil_w = c->dw;
    p.pad_top = c->pad_top, p.pad_bottom = c->pad_bottom, p.pad_left = p.pad_right = 1;
    const sc_wdesc wd = {SC_OIHW, 32, 16, 3, 3};
    enum { NW = 32 * 16 * 9 };
    static float wp[NW], bias[32];
    ct_rng r = {(uint64_t)(c - cases) * 17 + 3};
    char what[160];
    snprintf(what, sizeof what, "backward data: stride %lldx%lld dilation %lldx%lld pad "
             "%lld/%lld dX %lldx%lld, %s", (long long)c->sh, (long long)c->sw,
             (long long)c->dh, (long long)c->dw, (long long)c->pad_top,
             (long long)c->pad_bottom, (long long)c->h, (long long)c->w,
             ct_layout_names[layout]);
    sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = wd, .params = &p,
                                                          .sparsity = 0.5, .draw_bias = bias,
                                                          .pruned = wp, .what = what});
    int64_t oh, ow, xoff, xlen, yoff, ylen;
    cr_assert_eq(sc_conv_output_hw(&p, 3, 3, c->h, c->w, &oh, &ow), SC_OK, "%s: %s", what,
                 sc_last_message());
    const sc_tensor dxd = ct_layout(layout, 2, 16, c->h, c->w, &xoff, &xlen);
    const sc_tensor dyd = ct_layout(layout, 2, 32, oh, ow, &yoff, &ylen);
    float *dy = malloc((size_t)ylen * 4), *ref = malloc((size_t)xlen * 4);
    float *dx1 = malloc((size_t)xlen * 4), *dx2 = malloc((size_t)xlen * 4);
    for (int64_t i = 0; i < ylen; ++i) dy[i] = (float)(2 * ct_uniform(&r) - 1);
    memset(ref, 0, (size_t)xlen * 4);
    cr_assert_eq(sc_conv_bwd_data_reference(&p, &wd, wp, &dyd, dy, &dxd, ref), SC_OK, "%s",
                 sc_last_message());
    for (int threads = 1; threads <= 2; ++threads) {
        float *dx = threads == 1 ? dx1 : dx2;
        memset(dx, 0, (size_t)xlen * 4);
        sc_conv_bwd_options o = sc_conv_bwd_options_default();
        o.threads = threads;
        sc_conv_bwd *op = NULL;
        sc_set_alloc_limit(ALLOC_CAP);
        sc_status st = sc_conv_bwd_create(layer, &o, &op);
        if (st == SC_OK) st = sc_conv_bwd_plan(op, &dyd, &dxd);
        if (st == SC_OK) st = sc_conv_bwd_run(op, dy, dx);
        sc_set_alloc_limit(0);
        cr_assert_eq(st, SC_OK, "%s, %d thread(s): %s", what, threads, sc_last_message());
        sc_conv_bwd_destroy(op);
    }
    int bad = 0;
    for (int64_t i = 0; i < xlen && bad < 5; ++i) {
        const float tol = 1e-4f * (1.0f + fabsf(ref[i]));
        if (!(fabsf(dx1[i] - ref[i]) <= tol)) {
            cr_log_error("%s: dx[%lld] = %g, reference %g", what, (long long)i, dx1[i], ref[i]);
            ++bad;
        }
    }
    cr_expect_eq(bad, 0, "%s: matches the reference", what);
    cr_expect_eq(memcmp(dx1, dx2, (size_t)xlen * 4), 0, "%s: 1 and 2 threads bitwise", what);
    sc_layer_destroy(layer);
    free(dy), free(ref), free(dx1), free(dx2);
}

Test(conv_strides, backward_data_huge_strides_match_the_reference_within_a_small_allocation_cap)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
        for (int layout = CT_NCHW; layout <= CT_NHWC; ++layout)
            check_backward_case(&cases[i], layout);
}
