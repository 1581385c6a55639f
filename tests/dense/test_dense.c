/* tests/dense/test_dense.c: the fast dense convolution (oneDNN or pack + sgemm) against the reference */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "dense/dense_plan.h"
#include "dense_util.h"

/* One convolution problem, in views and weight layouts of the test's choosing. */
typedef struct problem {
    int64_t n, c, h, w, oc, kh, kw, groups;
    sc_conv_params p;
    view_kind xk, yk;
    sc_wlayout wl;
    bool bias;
    sc_activation act;
} problem;

static void describe(const problem *q, char *buf, size_t len)
{
    snprintf(buf, len, "n%lld c%lld %lldx%lld -> oc%lld k%lldx%lld s%lldx%lld pad(t%lld l%lld "
             "b%lld r%lld) d%lldx%lld g%lld, %s -> %s, %s weights, bias %d, %s",
             (long long)q->n, (long long)q->c, (long long)q->h, (long long)q->w, (long long)q->oc,
             (long long)q->kh, (long long)q->kw, (long long)q->p.stride_h, (long long)q->p.stride_w,
             (long long)q->p.pad_top, (long long)q->p.pad_left, (long long)q->p.pad_bottom,
             (long long)q->p.pad_right, (long long)q->p.dil_h, (long long)q->p.dil_w,
             (long long)q->groups, view_name(q->xk), view_name(q->yk), sc_wlayout_name(q->wl),
             (int)q->bias, sc_activation_name(q->act.kind));
}

/* Run q through sc_conv_dense with 1 and 2 threads and compare with the reference:
 * within compare_tol of it, every output element written (y starts as NaN), nothing outside
 * the output view touched, and the two thread counts bitwise equal (each tile's gemm is the same call
 * whatever thread runs it: see plan_tile in src/dense/conv_dense.c). */
static void check_problem(const problem *q, uint64_t seed)
{
    char what[480];
    describe(q, what, sizeof what);
    ct_rng r = {seed};
    sc_conv_params p = q->p;
    p.groups = q->groups;
    const sc_wdesc wd_oihw = {SC_OIHW, q->oc, q->c / q->groups, q->kh, q->kw};
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&p, q->kh, q->kw, q->h, q->w, &oh, &ow), SC_OK, "seed %llu: %s",
                 (unsigned long long)seed, what);
    const int64_t nw = sc_wdesc_numel(&wd_oihw), ny = q->n * q->oc * oh * ow;
    float *w = malloc(nw * sizeof *w), *wl = malloc(nw * sizeof *wl), *bias = malloc(q->oc * sizeof *bias);
    float *ref = malloc(ny * sizeof *ref), *absy = malloc(ny * sizeof *absy);
    float *got1 = malloc(ny * sizeof *got1), *got2 = malloc(ny * sizeof *got2);
    cr_assert(w && wl && bias && ref && absy && got1 && got2);
    for (int64_t i = 0; i < nw; ++i) w[i] = ct_float(&r);
    for (int64_t i = 0; i < q->oc; ++i) bias[i] = ct_float(&r);
    sc_wdesc wd = wd_oihw;
    wd.layout = q->wl;
    cr_assert_eq(sc_weights_convert(&wd_oihw, w, q->wl, wl), SC_OK);
    view xv = view_make(q->xk, q->n, q->c, q->h, q->w, 0.0f);
    for (int64_t i = 0; i < xv.len; ++i) xv.buf[i] = ct_float(&r);  /* outside the view too */
    view rv = view_make(VIEW_NCHW, q->n, q->oc, oh, ow, 0.0f);
    const float *b = q->bias ? bias : NULL;
    {
        view yk = view_make(q->yk, q->n, q->oc, oh, ow, 0.0f);
        char kernel[64];
        dense_kernel_of(&p, &wd, wl, &xv.d, &yk.d, kernel, sizeof kernel);
        const size_t used = strlen(what);
        snprintf(what + used, sizeof what - used, ", kernel %s", kernel);
        view_free(&yk);
    }
    cr_assert_eq(sc_conv_reference(&p, &wd, wl, b, &q->act, &xv.d, xv.data, &rv.d, ref), SC_OK,
                 "%s", sc_last_message());
    ct_abs_reference(&p, &wd, wl, b, &xv.d, xv.data, &rv.d, absy);
    for (int t = 1; t <= 2; ++t) {
        /* y starts as NaN: a gemm with beta = 0 must not read it, and an element left
         * unwritten stays NaN and fails the comparison. */
        view yv = view_make(q->yk, q->n, q->oc, oh, ow, NAN);
        const sc_status st = sc_conv_dense(&p, &wd, wl, b, &q->act, &xv.d, xv.data, &yv.d, yv.data, t);
        cr_assert_eq(st, SC_OK, "seed %llu, %d threads: %s: %s", (unsigned long long)seed, t, what,
                     sc_last_message());
        float *got = t == 1 ? got1 : got2;
        view_to_nchw(&yv, got);
        const int64_t bad = compare_tol(got, ref, absy, ny, wd.icg * wd.kh * wd.kw);
        cr_assert(bad < 0, "seed %llu, %d threads: %s: y[%lld] (nchw index) = %.9g, reference "
                  "%.9g, scale %g", (unsigned long long)seed, t, what, (long long)bad,
                  (double)got[bad < 0 ? 0 : bad], (double)ref[bad < 0 ? 0 : bad],
                  (double)absy[bad < 0 ? 0 : bad]);
        cr_assert_eq(view_outside_changed(&yv, NAN), 0, "seed %llu: %s: wrote outside the "
                     "output view", (unsigned long long)seed, what);
        view_free(&yv);
    }
    cr_assert_arr_eq(got1, got2, ny * sizeof *got1, "seed %llu: %s: 1 and 2 threads differ",
                     (unsigned long long)seed, what);
    view_free(&xv);
    view_free(&rv);
    free(w); free(wl); free(bias); free(ref); free(absy); free(got1); free(got2);
}

static const sc_activation *pick_act(ct_rng *r, sc_activation *store)
{
    switch (ct_int(r, 0, 3)) {
    case 0: *store = sc_activation_none(); break;
    case 1: *store = sc_activation_relu(); break;
    case 2: *store = sc_activation_relu6(); break;
    default: *store = sc_activation_clamp(-0.5f, 0.5f); break;
    }
    return store;
}

/* A random problem: kernel 1..5, stride 1..3, dilation 1..2, asymmetric padding 0..2,
 * groups incl. depthwise, batch 1..3, every view kind in and out, every weight layout.
 * One in four is 1x1 / stride 1 / unpadded (the gemm-in-place input path). */
static problem random_problem(ct_rng *r)
{
    problem q = {0};
    q.p = sc_conv_params_default();
    const int shape = (int)ct_int(r, 0, 9);
    if (shape < 3) {  /* 1x1, stride 1, no padding */
        q.kh = q.kw = 1;
    } else {
        q.kh = ct_int(r, 1, 5);
        q.kw = ct_int(r, 1, 5);
        q.p.stride_h = ct_int(r, 1, 3);
        q.p.stride_w = ct_int(r, 1, 3);
        q.p.dil_h = ct_int(r, 1, 2);
        q.p.dil_w = ct_int(r, 1, 2);
        q.p.pad_top = ct_int(r, 0, 2);
        q.p.pad_left = ct_int(r, 0, 2);
        q.p.pad_bottom = ct_int(r, 0, 2);
        q.p.pad_right = ct_int(r, 0, 2);
    }
    if (ct_int(r, 0, 4) == 0) {  /* depthwise, maybe with a channel multiplier */
        q.groups = ct_int(r, 1, 6);
        q.c = q.groups;
        q.oc = q.groups * ct_int(r, 1, 2);
    } else {
        q.groups = ct_int(r, 1, 3);
        q.c = q.groups * ct_int(r, 1, 5);
        q.oc = q.groups * ct_int(r, 1, 5);
    }
    q.n = ct_int(r, 1, 3);
    const int64_t eff_h = q.p.dil_h * (q.kh - 1) + 1, eff_w = q.p.dil_w * (q.kw - 1) + 1;
    const int64_t min_h = eff_h - q.p.pad_top - q.p.pad_bottom, min_w = eff_w - q.p.pad_left - q.p.pad_right;
    q.h = (min_h > 1 ? min_h : 1) + ct_int(r, 0, shape == 9 ? 40 : 7);
    q.w = (min_w > 1 ? min_w : 1) + ct_int(r, 0, shape == 9 ? 40 : 7);
    q.xk = (view_kind)ct_int(r, 0, VIEW_COUNT - 1);
    q.yk = (view_kind)ct_int(r, 0, VIEW_COUNT - 1);
    q.wl = (sc_wlayout)ct_int(r, 0, 2);
    q.bias = ct_int(r, 0, 1);
    pick_act(r, &q.act);
    return q;
}

Test(dense, random_sweep_against_reference, .timeout = 100)
{
    const uint64_t seed0 = 0x5C0417D0u;
    ct_rng r = {seed0};
    for (int i = 0; i < 400; ++i) {
        const uint64_t seed = ct_next(&r);
        ct_rng pr = {seed};
        const problem q = random_problem(&pr);
        check_problem(&q, seed);
    }
}

/* Every input x output view pair, for a 1x1 conv (24 -> 16), a padded 3x3 conv (12 -> 8)
 * and a depthwise 3x3 (8 -> 16), at 14x14: the gemm runs straight on the input (NCHW, NHWC
 * and their channel slices, 1x1 only), straight into the output, or through pack and tile
 * buffers; depthwise vectorises over channels or over pixels. */
Test(dense, layout_pairs, .timeout = 100)
{
    problem q = {.n = 2, .c = 24, .h = 14, .w = 14, .oc = 16, .kh = 1, .kw = 1, .groups = 1,
                 .p = sc_conv_params_default(), .wl = SC_OIHW, .bias = true,
                 .act = sc_activation_relu()};
    for (int k = 0; k < 3; ++k) {
        if (k == 1) {
            q.c = 12; q.oc = 8; q.kh = q.kw = 3;
            q.p.pad_top = q.p.pad_left = q.p.pad_bottom = q.p.pad_right = 1;
            q.wl = SC_HWIO;
        }
        if (k == 2) {  /* depthwise 3x3, stride 2, channel multiplier 2: the direct loops */
            q.c = q.groups = 8; q.oc = 16;
            q.p.stride_h = q.p.stride_w = 2;
            q.wl = SC_OHWI;
        }
        for (int xi = 0; xi < VIEW_COUNT; ++xi)
            for (int yi = 0; yi < VIEW_COUNT; ++yi) {
                q.xk = (view_kind)xi;
                q.yk = (view_kind)yi;
                check_problem(&q, 1000 + 100 * k + 10 * xi + yi);
            }
    }
}

/* Many pixel tiles per image (a 3x3 conv with a long reduction, 45x45 output) and tiles
 * that start mid-row, for both reduction orders. */
Test(dense, many_tiles)
{
    problem q = {.n = 1, .c = 48, .h = 47, .w = 47, .oc = 24, .kh = 3, .kw = 3, .groups = 1,
                 .p = sc_conv_params_default(), .wl = SC_OIHW, .bias = true,
                 .act = sc_activation_relu6()};
    q.xk = VIEW_NCHW; q.yk = VIEW_NHWC;
    check_problem(&q, 77);
    q.xk = VIEW_NHWC; q.yk = VIEW_NCHW; q.wl = SC_OHWI;
    check_problem(&q, 78);
    q.kh = q.kw = 1; q.p.stride_h = q.p.stride_w = 1; q.h = q.w = 70;  /* 4900 pixels in place */
    q.xk = VIEW_NCHW; q.yk = VIEW_NCHW;
    check_problem(&q, 79);
    q.xk = VIEW_NHWC; q.yk = VIEW_NHWC;
    check_problem(&q, 80);
}

/* threads = 0 means the OpenMP default; the result equals the 1-thread result. */
Test(dense, default_thread_count)
{
    ct_rng r = {5};
    const sc_conv_params p = sc_conv_params_default();
    const sc_wdesc wd = {SC_OIHW, 8, 16, 3, 3};
    const sc_tensor xd = sc_tensor_nhwc(2, 16, 9, 9), yd = sc_tensor_nchw(2, 8, 7, 7);
    float x[2 * 16 * 81], w[8 * 16 * 9], y0[2 * 8 * 49], y1[2 * 8 * 49];
    for (size_t i = 0; i < sizeof x / sizeof *x; ++i) x[i] = ct_float(&r);
    for (size_t i = 0; i < sizeof w / sizeof *w; ++i) w[i] = ct_float(&r);
    cr_assert_eq(sc_conv_dense(&p, &wd, w, NULL, NULL, &xd, x, &yd, y0, 0), SC_OK);
    cr_assert_eq(sc_conv_dense(&p, &wd, w, NULL, NULL, &xd, x, &yd, y1, 1), SC_OK);
    cr_expect_arr_eq(y0, y1, sizeof y0);
}

/* Failing the 1st, 2nd, ... allocation returns SC_ENOMEM (and leaks nothing: the
 * sanitizer build checks) until the call succeeds; the result then matches the reference. */
Test(dense, allocation_failures)
{
    ct_rng r = {11};
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = 2;
    p.pad_left = 1;
    const sc_wdesc wd = {SC_HWIO, 6, 4, 3, 2};  /* HWIO on NCHW input: converted weights */
    const sc_tensor xd = sc_tensor_nchw(1, 4, 8, 7), yd = sc_tensor_nhwc(1, 6, 3, 7);
    float x[4 * 56], w[6 * 4 * 6], y[6 * 21], ref[6 * 21], absy[6 * 21];
    for (size_t i = 0; i < sizeof x / sizeof *x; ++i) x[i] = ct_float(&r);
    for (size_t i = 0; i < sizeof w / sizeof *w; ++i) w[i] = ct_float(&r);
    char kernel[64];
    dense_kernel_of(&p, &wd, w, &xd, &yd, kernel, sizeof kernel);
    const bool onednn = strncmp(kernel, "dense_onednn:", 13) == 0;
    sc_status st = SC_ENOMEM;
    int failures = 0;
    for (uint64_t k = 1; k < 20 && st == SC_ENOMEM; ++k) {
        sc_alloc_fail_at(k);
        st = sc_conv_dense(&p, &wd, w, NULL, NULL, &xd, x, &yd, y, 2);
        sc_alloc_fail_at(0);
        if (st == SC_ENOMEM) ++failures;
    }
    cr_assert_eq(st, SC_OK, "%s", sc_last_message());
    if (onednn)  /* how much scratchpad the primitive and its weight reorder ask for varies */
        cr_expect(failures >= 2 && failures <= 4, "%s: %d failures: the plan's scratch slot, "
                  "the oneDNN plan, and a scratchpad for the reorder and the run if asked",
                  kernel, failures);
    else
        cr_expect_eq(failures, 4, "four allocations (the plan's scratch slot, the oneDNN "
                     "plan tried first, weights, tile buffers) each failed once");
    cr_assert_eq(sc_conv_reference(&p, &wd, w, NULL, NULL, &xd, x, &yd, ref), SC_OK);
    ct_abs_reference(&p, &wd, w, NULL, &xd, x, &yd, absy);
    cr_expect_eq(compare_tol(y, ref, absy, 6 * 21, 24), -1);
}

/* Input views may alias (read-only): a stride of 0 repeats data. With channel stride 0
 * (channels closer than pixels: im2row order) and with batch stride 0 on NCHW-like planes
 * (im2col order), in the gemm path and the depthwise loops, sc_conv_dense reads the view
 * as the reference does. */
Test(dense, broadcast_input_view)
{
    ct_rng r = {99};
    float buf[6 * 9 * 8], w[6 * 6 * 9], ref[2 * 6 * 9 * 8], got[2 * 6 * 9 * 8], absy[2 * 6 * 9 * 8];
    for (size_t i = 0; i < sizeof buf / sizeof *buf; ++i) buf[i] = ct_float(&r);
    for (size_t i = 0; i < sizeof w / sizeof *w; ++i) w[i] = ct_float(&r);
    const sc_tensor views[2] = {
        {.dims = {2, 6, 9, 8}, .strides = {0, 0, 8, 1}},   /* one plane for every (n, c) */
        {.dims = {2, 6, 9, 8}, .strides = {0, 72, 8, 1}},  /* one NCHW image for both n */
    };
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    const sc_tensor yd = sc_tensor_nchw(2, 6, 9, 8);
    for (int groups = 1; groups <= 6; groups += 5) {  /* dense gemm, then depthwise */
        p.groups = groups;
        const sc_wdesc wd = {SC_OIHW, 6, 6 / groups, 3, 3};
        for (int v = 0; v < 2; ++v) {
            cr_assert_eq(sc_conv_reference(&p, &wd, w, NULL, NULL, &views[v], buf, &yd, ref), SC_OK,
                         "%s", sc_last_message());
            ct_abs_reference(&p, &wd, w, NULL, &views[v], buf, &yd, absy);
            for (size_t i = 0; i < sizeof got / sizeof *got; ++i) got[i] = NAN;
            cr_assert_eq(sc_conv_dense(&p, &wd, w, NULL, NULL, &views[v], buf, &yd, got, 2), SC_OK,
                         "%s", sc_last_message());
            const int64_t bad = compare_tol(got, ref, absy, 2 * 6 * 9 * 8, wd.icg * 9);
            cr_expect(bad < 0, "groups %d, view %d: y[%lld] = %g, reference %g", groups, v,
                      (long long)bad, (double)got[bad < 0 ? 0 : bad], (double)ref[bad < 0 ? 0 : bad]);
        }
    }
}

/* Small images with many output channels: the reduction order follows the weights'
 * layout instead of the input's (no weight conversion), packing against the input's grain:
 * NHWC input with OIHW weights (im2col on channel-contiguous data) and NCHW input with
 * HWIO / OHWI weights (im2row on pixel-contiguous data). */
Test(dense, weight_order_for_small_images)
{
    problem q = {.n = 1, .c = 24, .h = 5, .w = 5, .oc = 40, .kh = 3, .kw = 3, .groups = 1,
                 .p = sc_conv_params_default(), .bias = true, .act = sc_activation_none()};
    q.p.pad_top = q.p.pad_left = q.p.pad_bottom = q.p.pad_right = 1;
    const struct { view_kind x; sc_wlayout w; } cases[4] = {
        {VIEW_NHWC, SC_OIHW}, {VIEW_SLICE_NHWC, SC_OIHW}, {VIEW_NCHW, SC_HWIO}, {VIEW_PADDED_NCHW, SC_OHWI}};
    for (int i = 0; i < 4; ++i) {
        q.xk = cases[i].x;
        q.yk = (view_kind)(i % 2 ? VIEW_NCHW : VIEW_NHWC);
        q.wl = cases[i].w;
        check_problem(&q, 500 + i);
    }
}

/* One small image (or two) gives fewer than 4 (image, tile) work items, so the plan cuts
 * it into output-channel blocks (a partial last block: 100 channels as 48 + 48 + 4; a
 * 3x3 layer whose im2col panel a thread packs once for its consecutive blocks; groups,
 * whose panels are packed per group) or, with more pixels than channels, into 4 pixel
 * tiles. Each case against the reference, 1 and 2 threads bitwise equal. */
Test(dense, small_images_split_across_threads)
{
    const sc_conv_params p0 = sc_conv_params_default();
    sc_conv_params pad1 = p0;
    pad1.pad_top = pad1.pad_left = pad1.pad_bottom = pad1.pad_right = 1;
    const problem cases[] = {
        /* 1x1 in place, channel blocks 48 + 48 + 4 */
        {.n = 1, .c = 40, .h = 9, .w = 9, .oc = 100, .kh = 1, .kw = 1, .groups = 1, .p = p0,
         .xk = VIEW_NCHW, .yk = VIEW_NCHW, .wl = SC_OIHW, .bias = true},
        {.n = 1, .c = 40, .h = 9, .w = 9, .oc = 100, .kh = 1, .kw = 1, .groups = 1, .p = p0,
         .xk = VIEW_NHWC, .yk = VIEW_NHWC, .wl = SC_HWIO, .bias = true},
        {.n = 1, .c = 40, .h = 9, .w = 9, .oc = 100, .kh = 1, .kw = 1, .groups = 1, .p = p0,
         .xk = VIEW_NCHW, .yk = VIEW_PADDED_NHWC, .wl = SC_OHWI, .bias = false},
        /* 3x3 of 7x7: one im2col tile, 4 blocks of 32 channels */
        {.n = 1, .c = 24, .h = 7, .w = 7, .oc = 128, .kh = 3, .kw = 3, .groups = 1, .p = pad1,
         .xk = VIEW_NHWC, .yk = VIEW_NCHW, .wl = SC_OIHW, .bias = true},
        {.n = 1, .c = 24, .h = 7, .w = 7, .oc = 128, .kh = 3, .kw = 3, .groups = 1, .p = pad1,
         .xk = VIEW_SLICE_NCHW, .yk = VIEW_SLICE_NHWC, .wl = SC_HWIO, .bias = true},
        /* 2 groups of 64 channels, 2 blocks each */
        {.n = 1, .c = 16, .h = 6, .w = 6, .oc = 128, .kh = 3, .kw = 3, .groups = 2, .p = pad1,
         .xk = VIEW_NCHW, .yk = VIEW_NHWC, .wl = SC_OIHW, .bias = true},
        /* two images: 2 blocks of 32 */
        {.n = 2, .c = 32, .h = 7, .w = 7, .oc = 64, .kh = 1, .kw = 1, .groups = 1, .p = p0,
         .xk = VIEW_CNHW, .yk = VIEW_NCHW, .wl = SC_OIHW, .bias = true},
        /* 400 pixels, 64 channels: 4 pixel tiles of 100 */
        {.n = 1, .c = 16, .h = 20, .w = 20, .oc = 64, .kh = 1, .kw = 1, .groups = 1, .p = p0,
         .xk = VIEW_PADDED_NCHW, .yk = VIEW_NHWC, .wl = SC_OIHW, .bias = true},
    };
    const sc_activation acts[3] = {sc_activation_none(), sc_activation_relu6(),
                                   sc_activation_clamp(-0.5f, 0.5f)};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
        problem q = cases[i];
        q.act = acts[i % 3];
        check_problem(&q, 900 + i);
    }
}
