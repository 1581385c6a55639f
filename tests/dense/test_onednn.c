/* tests/dense/test_onednn.c: the dense engine's oneDNN path: shapes, views, activations, NaN/Inf, threads, fallback */
#include <criterion/criterion.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/concurrent.h"
#include "common/layer.h"
#include "core/core.h"
#include "dense/dense_plan.h"
#include "dense_util.h"

/* One layer shape of the table. */
typedef struct shape {
    const char *name;
    int64_t n, c, h, w, oc, k, stride, pad, dil, groups;
} shape;

static const shape shapes[] = {
    {"1x1", 1, 32, 9, 11, 48, 1, 1, 0, 1, 1},
    {"1x1 stride 2, batch 2", 2, 16, 12, 12, 32, 1, 2, 0, 1, 1},
    {"3x3 pad 1", 1, 16, 13, 10, 32, 3, 1, 1, 1, 1},
    {"3x3 stride 2 pad 1, batch 3", 3, 24, 15, 16, 16, 3, 2, 1, 1, 1},
    {"3x3 dilation 2 pad 2", 1, 16, 14, 14, 16, 3, 1, 2, 2, 1},
    {"5x5 no padding", 2, 8, 12, 9, 16, 5, 1, 0, 1, 1},
    {"3x3 groups 4", 1, 32, 10, 10, 64, 3, 1, 1, 1, 4},
    {"3x3 depthwise", 2, 32, 12, 12, 32, 3, 1, 1, 1, 32},
    {"3x3 depthwise stride 2", 1, 64, 14, 14, 64, 3, 2, 1, 1, 64},
    {"7x7 stride 2 pad 3, 3 -> 10 channels", 1, 3, 17, 15, 10, 7, 2, 3, 1, 1},
};

static bool is_onednn(const char *kernel)
{
    return strncmp(kernel, "dense_onednn:", 13) == 0;
}

/* One case: sc_conv_dense with 1 and 2 threads against the reference (bitwise equal across
 * threads, nothing outside y's view written); x may get NaN and infinities. Returns 1 when
 * oneDNN ran it. */
static int check_case(const shape *s, view_kind xk, view_kind yk, sc_activation act,
                      bool specials, uint64_t seed)
{
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = p.stride_w = s->stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = s->pad;
    p.dil_h = p.dil_w = s->dil;
    p.groups = s->groups;
    const sc_wdesc wd = {SC_OIHW, s->oc, s->c / s->groups, s->k, s->k};
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&p, s->k, s->k, s->h, s->w, &oh, &ow), SC_OK);
    ct_rng r = {seed};
    const int64_t nw = sc_wdesc_numel(&wd), ny = s->n * s->oc * oh * ow;
    float *w = ct_float_buf(&r, nw), *bias = ct_float_buf(&r, s->oc);
    float *ref = malloc(ny * sizeof *ref), *absy = malloc(ny * sizeof *absy);
    float *got[2] = {malloc(ny * sizeof(float)), malloc(ny * sizeof(float))};
    cr_assert(ref && absy && got[0] && got[1]);
    view xv = view_make(xk, s->n, s->c, s->h, s->w, 0.0f);
    view_fill_random(&xv, &r, specials);
    view rv = view_make(VIEW_NCHW, s->n, s->oc, oh, ow, 0.0f);
    cr_assert_eq(sc_conv_reference(&p, &wd, w, bias, &act, &xv.d, xv.data, &rv.d, ref), SC_OK);
    ct_abs_reference(&p, &wd, w, bias, &xv.d, xv.data, &rv.d, absy);
    char kernel[64];
    {
        view yk0 = view_make(yk, s->n, s->oc, oh, ow, 0.0f);
        dense_kernel_of(&p, &wd, w, &xv.d, &yk0.d, kernel, sizeof kernel);
        view_free(&yk0);
    }
    char what[256];
    snprintf(what, sizeof what, "%s, %s -> %s, %s%s, seed %llu, kernel %s", s->name,
             view_name(xk), view_name(yk), sc_activation_name(act.kind),
             specials ? ", NaN/Inf inputs" : "", (unsigned long long)seed, kernel);
    for (int t = 1; t <= 2; ++t) {
        view yv = view_make(yk, s->n, s->oc, oh, ow, NAN);
        cr_assert_eq(sc_conv_dense(&p, &wd, w, bias, &act, &xv.d, xv.data, &yv.d, yv.data, t),
                     SC_OK, "%s: %s", what, sc_last_message());
        view_to_nchw(&yv, got[t - 1]);
        cr_assert_eq(view_outside_changed(&yv, NAN), 0, "%s: wrote outside y's view", what);
        const int64_t bad = first_wrong(got[t - 1], ref, absy, ny, wd.icg * s->k * s->k);
        cr_assert(bad < 0, "%s, %d threads: y[%lld] (nchw) = %.9g, reference %.9g, scale %g",
                  what, t, (long long)bad, (double)got[t - 1][bad < 0 ? 0 : bad],
                  (double)ref[bad < 0 ? 0 : bad], (double)absy[bad < 0 ? 0 : bad]);
        view_free(&yv);
    }
    const int64_t diff = ct_first_bitwise_diff(got[0], got[1], ny);
    cr_assert(diff < 0, "%s: 1 and 2 threads differ at y[%lld]: %.9g vs %.9g", what,
              (long long)diff, (double)got[0][diff < 0 ? 0 : diff],
              (double)got[1][diff < 0 ? 0 : diff]);
    view_free(&xv);
    view_free(&rv);
    free(w); free(bias); free(ref); free(absy); free(got[0]); free(got[1]);
    return is_onednn(kernel);
}

/* Every shape x {NCHW, NHWC, padded NCHW/NHWC, channel slice, mixed} x every activation. On
 * a CPU with AVX2 and FMA, oneDNN has a direct kernel for every case: on the caller's
 * strides (dense NHWC) or on its blocked layout between reorders (the others; it took every
 * case on the AVX2 and AVX-512 machines checked), so every case must run through it. */
Test(onednn, shapes_views_activations, .timeout = 200)
{
    enum { NVIEWS = 5 };
    const view_kind views[NVIEWS][2] = {{VIEW_NCHW, VIEW_NCHW}, {VIEW_NHWC, VIEW_NHWC},
                                        {VIEW_PADDED_NCHW, VIEW_PADDED_NCHW},
                                        {VIEW_PADDED_NHWC, VIEW_SLICE_NHWC},
                                        {VIEW_NHWC, VIEW_NCHW}};
    int onednn[NVIEWS] = {0}, total = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; ++si)
        for (size_t v = 0; v < NVIEWS; ++v)
            for (int a = 0; a < 4; ++a)
                onednn[v] += check_case(&shapes[si], views[v][0], views[v][1], act_of(a),
                                        false, 100 * si + 10 * v + a);
    total = (int)(sizeof shapes / sizeof *shapes) * 4;
    for (size_t v = 0; v < NVIEWS; ++v) {
        cr_log_info("oneDNN ran %d of %d cases %s -> %s", onednn[v], total,
                    view_name(views[v][0]), view_name(views[v][1]));
        if (sc_cpu_has_avx2_fma())
            cr_expect_eq(onednn[v], total, "oneDNN ran %d of %d cases %s -> %s", onednn[v],
                         total, view_name(views[v][0]), view_name(views[v][1]));
    }
}

/* NaN and infinite inputs, every activation: NaN stays NaN through ReLU, ReLU6 and clamp,
 * -inf becomes the lower bound (oneDNN's own ReLU/clip would give NaN or the lower bound). */
Test(onednn, nan_and_inf_inputs)
{
    for (int a = 0; a < 4; ++a)
        for (int v = 0; v < 2; ++v) {
            const view_kind k = v ? VIEW_NHWC : VIEW_NCHW;
            check_case(&shapes[0], k, k, act_of(a), true, 7000 + 10 * a + v);
            check_case(&shapes[2], k, k, act_of(a), true, 7100 + 10 * a + v);
        }
}

/* Where oneDNN is not given the view (a zero stride: every channel reads one plane), the
 * plan keeps im2col + OpenBLAS, and the operator's describe names it. */
Test(onednn, fallback_for_a_broadcast_view)
{
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    const sc_wdesc wd = {SC_OIHW, 16, 16, 3, 3};
    float w[16 * 16 * 9], buf[10 * 16 * 16];
    ct_rng r = {3};
    for (size_t i = 0; i < sizeof w / sizeof *w; ++i) w[i] = ct_float(&r);
    for (size_t i = 0; i < sizeof buf / sizeof *buf; ++i) buf[i] = ct_float(&r);
    const sc_tensor bx = {.dims = {1, 16, 10, 10}, .strides = {0, 0, 10, 1}};
    const sc_tensor yd = sc_tensor_nhwc(1, 16, 10, 10);
    char kernel[64];
    dense_kernel_of(&p, &wd, w, &bx, &yd, kernel, sizeof kernel);
    cr_expect_str_eq(kernel, "dense_im2col_sgemm");

    sc_layer *layer = ct_pack(&(ct_layer_spec){.wd = wd, .params = &p}, w, NULL);
    sc_conv_options opt = sc_conv_options_default();
    opt.engine = SC_ENGINE_DENSE;
    sc_conv *op = NULL;
    sc_conv_choice ch;
    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
    cr_assert_eq(sc_conv_plan(op, &bx, &yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
    cr_expect_str_eq(ch.kernel, "dense_im2col_sgemm");
    const sc_tensor xd = sc_tensor_nhwc(1, 16, 10, 10);
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
    dense_kernel_of(&p, &wd, w, &xd, &yd, kernel, sizeof kernel);
    cr_expect_str_eq(ch.kernel, kernel, "describe names the plan's kernel");
    if (sc_cpu_has_avx2_fma()) cr_expect(is_onednn(ch.kernel), "NHWC 3x3 ran %s", ch.kernel);
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
}

/* The threads option reaches oneDNN and the caller's OpenMP thread count is left as it was,
 * after plan and after run. */
Test(onednn, caller_thread_count_restored)
{
    const sc_wdesc wd = {SC_OIHW, 32, 16, 3, 3};
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    ct_rng r = {8};
    sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = wd, .params = &p,
                                                            .sparsity = 0.2});
    const sc_tensor xd = sc_tensor_nhwc(1, 16, 12, 12), yd = sc_tensor_nhwc(1, 32, 12, 12);
    float *x = ct_float_buf(&r, 16 * 144), y1[32 * 144], y3[32 * 144];
    for (int t = 1; t <= 3; t += 2) {
        sc_conv_options opt = sc_conv_options_default();
        opt.engine = SC_ENGINE_DENSE;
        opt.threads = t;
        opt.act = sc_activation_relu();
        sc_conv *op = NULL;
        omp_set_num_threads(5);
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
        cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
        cr_expect_eq(omp_get_max_threads(), 5, "plan left the caller's count changed");
        cr_assert_eq(sc_conv_run(op, x, t == 1 ? y1 : y3), SC_OK, "%s", sc_last_message());
        cr_expect_eq(omp_get_max_threads(), 5, "run left the caller's count changed");
        sc_conv_destroy(op);
    }
    cr_expect_eq(ct_first_bitwise_diff(y1, y3, 32 * 144), -1, "1 and 3 threads differ");
    free(x);
    sc_layer_destroy(layer);
}

/* One planned dense operator run from two threads at once (oneDNN's primitive, each run's
 * scratchpad and blocked buffers its own) equals sequential runs, in NHWC (the primitive on
 * the caller's strides) and NCHW (between reorders, on CPUs where oneDNN takes it). */
static void check_concurrent(bool nchw)
{
    const sc_wdesc wd = {SC_OIHW, 32, 24, 3, 3};
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = p.stride_w = 2;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    ct_rng r = {9};
    sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = wd, .params = &p,
                                                            .sparsity = 0.3});
    const sc_tensor xd = nchw ? sc_tensor_nchw(2, 24, 21, 19) : sc_tensor_nhwc(2, 24, 21, 19);
    const sc_tensor yd = nchw ? sc_tensor_nchw(2, 32, 11, 10) : sc_tensor_nhwc(2, 32, 11, 10);
    enum { XN = 2 * 24 * 21 * 19, YN = 2 * 32 * 11 * 10 };
    static float x[2][XN];
    for (int k = 0; k < 2; ++k)
        for (int i = 0; i < XN; ++i) x[k][i] = ct_float(&r);
    sc_conv_options opt = sc_conv_options_default();
    opt.engine = SC_ENGINE_DENSE;
    opt.threads = 1;
    opt.act = sc_activation_relu6();
    sc_conv *op = NULL;
    sc_conv_choice ch;
    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
    if (sc_cpu_has_avx2_fma()) cr_expect(is_onednn(ch.kernel), "ran %s", ch.kernel);
    char what[96];
    snprintf(what, sizeof what, "%s, kernel %s", nchw ? "NCHW" : "NHWC", ch.kernel);
    ct_expect_concurrent_runs(op, (const float *const[2]){x[0], x[1]}, YN, what);
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
}

Test(onednn, concurrent_runs_on_one_operator)
{
    check_concurrent(false);
    check_concurrent(true);
}

/* Plain NCHW in and out (what PyTorch passes): oneDNN offers only its gemm for these
 * strides, so on a CPU with AVX2 and FMA the plan takes its direct kernel on the blocked
 * layout between reorders; describe names the plan's kernel, and the result matches the
 * reference with bias and ReLU applied after the reorder back. */
Test(onednn, nchw_runs_through_reorders)
{
    const sc_wdesc wd = {SC_OIHW, 40, 24, 3, 3};
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    ct_rng r = {11};
    sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = wd, .params = &p,
                                                            .sparsity = 0.2});
    const sc_tensor xd = sc_tensor_nchw(2, 24, 14, 13), yd = sc_tensor_nchw(2, 40, 14, 13);
    enum { XN = 2 * 24 * 14 * 13, YN = 2 * 40 * 14 * 13 };
    float *x = ct_float_buf(&r, XN), *w = malloc(40 * 24 * 9 * sizeof *w);
    static float y[YN], ref[YN];
    cr_assert(w);
    cr_assert_eq(sc_layer_unpack(layer, SC_OIHW, w), SC_OK);
    sc_layer_info info;
    cr_assert_eq(sc_layer_get_info(layer, &info), SC_OK);
    const sc_activation relu = sc_activation_relu();
    cr_assert_eq(sc_conv_reference(&p, &wd, w, info.bias, &relu, &xd, x, &yd, ref), SC_OK);
    sc_conv_options opt = sc_conv_options_default();
    opt.engine = SC_ENGINE_DENSE;
    opt.act = relu;
    opt.threads = 2;
    sc_conv *op = NULL;
    sc_conv_choice ch;
    char kernel[64];
    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
    dense_kernel_of(&p, &wd, w, &xd, &yd, kernel, sizeof kernel);
    cr_expect_str_eq(ch.kernel, kernel, "describe names the plan's kernel");
    cr_log_info("NCHW 3x3: %s", ch.kernel);
    if (sc_cpu_has_avx2_fma()) cr_expect(is_onednn(ch.kernel), "NCHW 3x3 ran %s", ch.kernel);
    cr_assert_eq(sc_conv_run(op, x, y), SC_OK, "%s", sc_last_message());
    double scale = 0;
    for (int i = 0; i < YN; ++i) scale = fmax(scale, fabs(ref[i]));
    for (int i = 0; i < YN; ++i)
        cr_assert(fabs(y[i] - ref[i]) <= 1e-5 * (scale + 1), "%s: y[%d] = %g, reference %g",
                  ch.kernel, i, (double)y[i], (double)ref[i]);
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
    free(x);
    free(w);
}
