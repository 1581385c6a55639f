/* tests/dense/test_reference.c: the reference convolution against hand-computed results,
 * across layouts, weight layouts, the DESIGN identity, and argument validation */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dense_util.h"

/* The three implementations every hand-computed case runs through. */
enum { IMPL_REFERENCE, IMPL_DENSE_1, IMPL_DENSE_2, IMPL_COUNT };
static const char *const impl_names[IMPL_COUNT] = {"reference", "dense (1 thread)",
                                                   "dense (2 threads)"};

/* Run implementation `impl` on dense NCHW x and y. */
static sc_status conv_nchw(int impl, const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                           const float *bias, const sc_activation *act, int64_t n, int64_t c,
                           int64_t h, int64_t wi, const float *x, float *y, int64_t oh, int64_t ow)
{
    const sc_tensor xd = sc_tensor_nchw(n, c, h, wi), yd = sc_tensor_nchw(n, wd->oc, oh, ow);
    if (impl == IMPL_REFERENCE) return sc_conv_reference(p, wd, w, bias, act, &xd, x, &yd, y);
    return sc_conv_dense(p, wd, w, bias, act, &xd, x, &yd, y, impl == IMPL_DENSE_1 ? 1 : 2);
}

static sc_status ref_nchw(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                          const float *bias, const sc_activation *act, int64_t n, int64_t c,
                          int64_t h, int64_t wi, const float *x, float *y, int64_t oh, int64_t ow)
{
    return conv_nchw(IMPL_REFERENCE, p, wd, w, bias, act, n, c, h, wi, x, y, oh, ow);
}

static void expect_values(const float *got, const float *want, int count, const char *what)
{
    for (int i = 0; i < count; ++i)
        cr_expect_eq(got[i], want[i], "%s: y[%d] = %g, expected %g", what, i, (double)got[i],
                     (double)want[i]);
}

/* x = [1 2 3; 4 5 6; 7 8 9], w = [1 2; 3 4], stride 1, no padding:
 *   y00 = 1*1 + 2*2 + 3*4 + 4*5 = 37    y01 = 1*2 + 2*3 + 3*5 + 4*6 = 47
 *   y10 = 1*4 + 2*5 + 3*7 + 4*8 = 67    y11 = 1*5 + 2*6 + 3*8 + 4*9 = 77 */
Test(reference, hand_2x2_kernel_on_3x3)
{
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 2, 3, 4};
    const float want[4] = {37, 47, 67, 77};
    const sc_conv_params p = sc_conv_params_default();
    const sc_wdesc wd = {SC_OIHW, 1, 1, 2, 2};
    for (int impl = 0; impl < IMPL_COUNT; ++impl) {
        float y[4] = {0};
        cr_assert_eq(conv_nchw(impl, &p, &wd, w, NULL, NULL, 1, 1, 3, 3, x, y, 2, 2), SC_OK, "%s",
                     sc_last_message());
        expect_values(y, want, 4, impl_names[impl]);
    }
}

/* x (4 x 3) = [1 2 3; 4 5 6; 7 8 9; 10 11 12], w = [1 2; 3 4], stride 2, padding top 1,
 * left 0, bottom 0, right 1: OH = (4+1+0-2)/2+1 = 2, OW = (3+0+1-2)/2+1 = 2;
 * ih = 2*oh - 1 + kh, iw = 2*ow + kw (iw = 3 is the right pad):
 *   y00: ih {-1,0}: 3*x[0][0] + 4*x[0][1] = 3 + 8 = 11
 *   y01: 3*x[0][2] + 4*pad = 9
 *   y10: ih {1,2}: 1*4 + 2*5 + 3*7 + 4*8 = 67
 *   y11: 1*x[1][2] + 3*x[2][2] = 6 + 27 = 33 */
Test(reference, hand_stride2_asymmetric_padding)
{
    const float x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, w[4] = {1, 2, 3, 4};
    const float want[4] = {11, 9, 67, 33};
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = p.stride_w = 2;
    p.pad_top = 1;
    p.pad_right = 1;
    const sc_wdesc wd = {SC_OIHW, 1, 1, 2, 2};
    for (int impl = 0; impl < IMPL_COUNT; ++impl) {
        float y[4] = {0};
        cr_assert_eq(conv_nchw(impl, &p, &wd, w, NULL, NULL, 1, 1, 4, 3, x, y, 2, 2), SC_OK, "%s",
                     sc_last_message());
        expect_values(y, want, 4, impl_names[impl]);
    }
}

/* x (5 x 5) with x[h][w] = 5h + w, w = [1 2; 3 4], dilation 2 (a 3x3 footprint), OH = OW = 3:
 *   y[oh][ow] = 1*x[oh][ow] + 2*x[oh][ow+2] + 3*x[oh+2][ow] + 4*x[oh+2][ow+2]
 *             = 10*(5oh + ow) + (2*2 + 3*10 + 4*12) = 10*(5oh + ow) + 82 */
Test(reference, hand_dilation2)
{
    float x[25];
    for (int i = 0; i < 25; ++i) x[i] = (float)i;
    const float w[4] = {1, 2, 3, 4};
    const float want[9] = {82, 92, 102, 132, 142, 152, 182, 192, 202};
    sc_conv_params p = sc_conv_params_default();
    p.dil_h = p.dil_w = 2;
    const sc_wdesc wd = {SC_OIHW, 1, 1, 2, 2};
    for (int impl = 0; impl < IMPL_COUNT; ++impl) {
        float y[9] = {0};
        cr_assert_eq(conv_nchw(impl, &p, &wd, w, NULL, NULL, 1, 1, 5, 5, x, y, 3, 3), SC_OK, "%s",
                     sc_last_message());
        expect_values(y, want, 9, impl_names[impl]);
    }
}

/* 4 input channels (1x1 pixel) x = (1, 2, 3, 4), 4 outputs, groups 2, 1x1 kernel, icg 2:
 *   group 0 (inputs 1, 2): y0 = 1*1 + 2*2 = 5,    y1 = 3*1 + 4*2 = 11
 *   group 1 (inputs 3, 4): y2 = 5*3 + 6*4 = 39,   y3 = 7*3 + 8*4 = 53 */
Test(reference, hand_groups2)
{
    const float x[4] = {1, 2, 3, 4}, w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const float want[4] = {5, 11, 39, 53};
    sc_conv_params p = sc_conv_params_default();
    p.groups = 2;
    const sc_wdesc wd = {SC_OIHW, 4, 2, 1, 1};
    for (int impl = 0; impl < IMPL_COUNT; ++impl) {
        float y[4] = {0};
        cr_assert_eq(conv_nchw(impl, &p, &wd, w, NULL, NULL, 1, 4, 1, 1, x, y, 1, 1), SC_OK, "%s",
                     sc_last_message());
        expect_values(y, want, 4, impl_names[impl]);
    }
}

/* The 2x2-on-3x3 case (37 47 67 77) with bias -50: -13 -3 17 27, then
 *   none -13 -3 17 27;  relu 0 0 17 27;  relu6 0 0 6 6;  clamp(-5, 20) -5 -3 17 20 */
Test(reference, hand_bias_and_activations)
{
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 2, 3, 4}, bias[1] = {-50};
    const sc_conv_params p = sc_conv_params_default();
    const sc_wdesc wd = {SC_OIHW, 1, 1, 2, 2};
    const sc_activation acts[4] = {sc_activation_none(), sc_activation_relu(),
                                   sc_activation_relu6(), sc_activation_clamp(-5, 20)};
    const float want[4][4] = {{-13, -3, 17, 27}, {0, 0, 17, 27}, {0, 0, 6, 6}, {-5, -3, 17, 20}};
    for (int impl = 0; impl < IMPL_COUNT; ++impl)
        for (int a = 0; a < 4; ++a) {
            float y[4] = {0};
            cr_assert_eq(conv_nchw(impl, &p, &wd, w, bias, &acts[a], 1, 1, 3, 3, x, y, 2, 2), SC_OK);
            char what[64];
            snprintf(what, sizeof what, "%s, %s", impl_names[impl], sc_activation_name(acts[a].kind));
            expect_values(y, want[a], 4, what);
        }
}

/* NaN propagates through every activation (documented in src/dense/epilogue.h). */
Test(reference, nan_propagates_through_activations)
{
    const float x[4] = {1, NAN, 3, 4}, w[1] = {2};
    const sc_conv_params p = sc_conv_params_default();
    const sc_wdesc wd = {SC_OIHW, 1, 1, 1, 1};
    const sc_activation acts[3] = {sc_activation_relu(), sc_activation_relu6(),
                                   sc_activation_clamp(-1, 1)};
    for (int impl = 0; impl < IMPL_COUNT; ++impl)
        for (int a = 0; a < 3; ++a) {
            float y[4] = {0};
            cr_assert_eq(conv_nchw(impl, &p, &wd, w, NULL, &acts[a], 1, 1, 2, 2, x, y, 2, 2), SC_OK);
            cr_expect(isnan(y[1]), "%s: %s keeps NaN, got %g", impl_names[impl],
                      sc_activation_name(acts[a].kind), (double)y[1]);
            cr_expect(!isnan(y[0]) && !isnan(y[2]), "%s", impl_names[impl]);
        }
}

/* One random problem, computed through every input x output view pair: the reference
 * accumulates in a fixed order, so all agree bitwise with the NCHW -> NCHW result. */
Test(reference, layout_invariance_bitwise)
{
    ct_rng r = {20261123};
    const int64_t n = 2, c = 6, h = 7, wi = 6, oc = 4, groups = 2, kh = 3, kw = 2;
    sc_conv_params p = sc_conv_params_default();
    p.groups = groups;
    p.stride_h = 2;
    p.pad_top = 1; p.pad_left = 2; p.pad_bottom = 0; p.pad_right = 1;
    p.dil_w = 2;
    const sc_wdesc wd = {SC_OIHW, oc, c / groups, kh, kw};
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&p, kh, kw, h, wi, &oh, &ow), SC_OK);
    const int64_t nx = n * c * h * wi, ny = n * oc * oh * ow, nw = sc_wdesc_numel(&wd);
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *bias = malloc(oc * sizeof *bias);
    float *base = malloc(ny * sizeof *base), *got = malloc(ny * sizeof *got);
    for (int64_t i = 0; i < nx; ++i) x[i] = ct_float(&r);
    for (int64_t i = 0; i < nw; ++i) w[i] = ct_float(&r);
    for (int64_t i = 0; i < oc; ++i) bias[i] = ct_float(&r);
    const sc_activation act = sc_activation_clamp(-0.5f, 0.75f);
    cr_assert_eq(ref_nchw(&p, &wd, w, bias, &act, n, c, h, wi, x, base, oh, ow), SC_OK);
    for (int xi = 0; xi < VIEW_COUNT; ++xi)
        for (int yi = 0; yi < VIEW_COUNT; ++yi) {
            view xv = view_make(xi, n, c, h, wi, 99.0f), yv = view_make(yi, n, oc, oh, ow, -777.0f);
            view_from_nchw(&xv, x);
            cr_assert_eq(sc_conv_reference(&p, &wd, w, bias, &act, &xv.d, xv.data, &yv.d, yv.data),
                         SC_OK, "%s -> %s: %s", view_name(xi), view_name(yi), sc_last_message());
            view_to_nchw(&yv, got);
            cr_expect_arr_eq(got, base, ny * sizeof *got, "%s -> %s differs from nchw -> nchw",
                             view_name(xi), view_name(yi));
            cr_expect_eq(view_outside_changed(&yv, -777.0f), 0, "%s -> %s wrote outside the view",
                         view_name(xi), view_name(yi));
            view_free(&xv);
            view_free(&yv);
        }
    free(x); free(w); free(bias); free(base); free(got);
}

/* The same weights converted (sc_weights_convert) to OHWI and HWIO give bitwise the
 * OIHW result: the reference reads each weight through its layout's index. */
Test(reference, weight_layouts_agree)
{
    ct_rng r = {7};
    const int64_t n = 1, c = 6, h = 5, wi = 6, oc = 9, groups = 3;
    sc_conv_params p = sc_conv_params_default();
    p.groups = groups;
    p.pad_top = p.pad_left = 1;
    const sc_wdesc wd = {SC_OIHW, oc, c / groups, 3, 2};
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&p, 3, 2, h, wi, &oh, &ow), SC_OK);
    const int64_t nx = n * c * h * wi, ny = n * oc * oh * ow, nw = sc_wdesc_numel(&wd);
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *w2 = malloc(nw * sizeof *w2);
    float *base = malloc(ny * sizeof *base), *got = malloc(ny * sizeof *got);
    for (int64_t i = 0; i < nx; ++i) x[i] = ct_float(&r);
    for (int64_t i = 0; i < nw; ++i) w[i] = ct_float(&r);
    cr_assert_eq(ref_nchw(&p, &wd, w, NULL, NULL, n, c, h, wi, x, base, oh, ow), SC_OK);
    const sc_wlayout to[2] = {SC_OHWI, SC_HWIO};
    for (int t = 0; t < 2; ++t) {
        cr_assert_eq(sc_weights_convert(&wd, w, to[t], w2), SC_OK);
        sc_wdesc wd2 = wd;
        wd2.layout = to[t];
        cr_assert_eq(ref_nchw(&p, &wd2, w2, NULL, NULL, n, c, h, wi, x, got, oh, ow), SC_OK);
        cr_expect_arr_eq(got, base, ny * sizeof *got, "%s weights differ from oihw",
                         sc_wlayout_name(to[t]));
    }
    free(x); free(w); free(w2); free(base); free(got);
}

/* DESIGN.md: conv(OIHW weights, NCHW input) equals the conv with HWIO weights
 * (numpy.transpose(w, (2,3,1,0))) on the NHWC-transposed input
 * (numpy.transpose(x, (0,2,3,1))), transposed back (numpy.transpose(y, (0,3,1,2))).
 * Every transpose here is a physical copy made by explicit loops, as a TensorFlow user
 * would hold the data; the descriptors are plain NCHW and NHWC. Checked for both dense
 * convolutions. */
Test(reference, design_identity_oihw_nchw_equals_hwio_nhwc)
{
    ct_rng r = {314159};
    const int64_t n = 2, c = 4, h = 6, wi = 5, oc = 6, kh = 3, kw = 3;
    sc_conv_params p = sc_conv_params_default();
    p.groups = 2;
    p.stride_w = 2;
    p.pad_top = 1; p.pad_bottom = 2; p.pad_left = 1;
    const sc_wdesc oihw = {SC_OIHW, oc, c / 2, kh, kw}, hwio = {SC_HWIO, oc, c / 2, kh, kw};
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&p, kh, kw, h, wi, &oh, &ow), SC_OK);
    const int64_t nx = n * c * h * wi, ny = n * oc * oh * ow, nw = sc_wdesc_numel(&oihw);
    float *x = malloc(nx * sizeof *x), *xt = malloc(nx * sizeof *xt), *w = malloc(nw * sizeof *w);
    float *wt = malloc(nw * sizeof *wt), *y = malloc(ny * sizeof *y), *yt = malloc(ny * sizeof *yt);
    float *back = malloc(ny * sizeof *back);
    for (int64_t i = 0; i < nx; ++i) x[i] = ct_float(&r);
    for (int64_t i = 0; i < nw; ++i) w[i] = ct_float(&r);
    const int64_t xshape[4] = {n, c, h, wi}, wshape[4] = {oc, c / 2, kh, kw};
    const int to_nhwc[4] = {0, 2, 3, 1}, to_hwio[4] = {2, 3, 1, 0}, to_nchw[4] = {0, 3, 1, 2};
    ct_transpose4(x, xshape, to_nhwc, xt);
    ct_transpose4(w, wshape, to_hwio, wt);
    const sc_tensor xd = sc_tensor_nchw(n, c, h, wi), yd = sc_tensor_nchw(n, oc, oh, ow);
    const sc_tensor xtd = sc_tensor_nhwc(n, c, h, wi), ytd = sc_tensor_nhwc(n, oc, oh, ow);
    const int64_t yshape_nhwc[4] = {n, oh, ow, oc};
    for (int dense = 0; dense < 2; ++dense) {
        sc_status s1 = dense ? sc_conv_dense(&p, &oihw, w, NULL, NULL, &xd, x, &yd, y, 1)
                             : sc_conv_reference(&p, &oihw, w, NULL, NULL, &xd, x, &yd, y);
        sc_status s2 = dense ? sc_conv_dense(&p, &hwio, wt, NULL, NULL, &xtd, xt, &ytd, yt, 1)
                             : sc_conv_reference(&p, &hwio, wt, NULL, NULL, &xtd, xt, &ytd, yt);
        cr_assert(s1 == SC_OK && s2 == SC_OK, "%s", sc_last_message());
        ct_transpose4(yt, yshape_nhwc, to_nchw, back);
        if (dense) {  /* different gemm orders: equal to float rounding, both near the reference */
            float *ref = malloc(ny * sizeof *ref), *absy = malloc(ny * sizeof *absy);
            cr_assert_eq(sc_conv_reference(&p, &oihw, w, NULL, NULL, &xd, x, &yd, ref), SC_OK);
            ct_abs_reference(&p, &oihw, w, NULL, &xd, x, &yd, absy);
            const int64_t kdim = oihw.icg * kh * kw;
            int64_t bad = compare_tol(y, ref, absy, ny, kdim);
            cr_expect(bad < 0, "dense nchw/oihw y[%lld] = %g, reference %g", (long long)bad,
                      (double)y[bad < 0 ? 0 : bad], (double)ref[bad < 0 ? 0 : bad]);
            bad = compare_tol(back, ref, absy, ny, kdim);
            cr_expect(bad < 0, "dense nhwc/hwio y[%lld] = %g, reference %g", (long long)bad,
                      (double)back[bad < 0 ? 0 : bad], (double)ref[bad < 0 ? 0 : bad]);
            free(ref);
            free(absy);
        } else {
            cr_expect_arr_eq(back, y, ny * sizeof *y, "reference: the identity holds bitwise");
        }
    }
    free(x); free(xt); free(w); free(wt); free(y); free(yt); free(back);
}

/* A valid base call that each validation case breaks in one way. */
typedef struct call {
    sc_conv_params p;
    sc_wdesc wd;
    sc_tensor xd, yd;
    const float *w, *bias, *x;
    float *y;
    sc_activation act;
    int threads;
} call;

static sc_status run_call(int impl, const call *c)
{
    if (impl == IMPL_REFERENCE)
        return sc_conv_reference(&c->p, &c->wd, c->w, c->bias, &c->act, &c->xd, c->x, &c->yd, c->y);
    return sc_conv_dense(&c->p, &c->wd, c->w, c->bias, &c->act, &c->xd, c->x, &c->yd, c->y,
                         c->threads);
}

/* Each broken call returns its documented status and leaves y (and the rest of its
 * buffer) untouched. */
Test(reference, invalid_arguments_return_their_status)
{
    static float x[100], w[108], bias[6], ybuf[64];
    for (int i = 0; i < 100; ++i) x[i] = (float)i;
    for (int i = 0; i < 108; ++i) w[i] = 1.0f;
    call base = {.p = sc_conv_params_default(), .wd = {SC_OIHW, 6, 2, 3, 3},
                 .xd = sc_tensor_nchw(1, 4, 5, 5), .yd = sc_tensor_nchw(1, 6, 3, 3),
                 .w = w, .bias = bias, .x = x, .y = ybuf, .act = sc_activation_relu(), .threads = 1};
    base.p.groups = 2;
    struct {
        const char *what;
        call c;
        sc_status want;
    } cases[40];
    int nc = 0;
#define CASE(name, status, ...) do { call c_ = base; __VA_ARGS__; \
        cases[nc].what = name; cases[nc].c = c_; cases[nc].want = status; ++nc; } while (0)
    CASE("null weights", SC_EINVAL, c_.w = NULL);
    CASE("null input", SC_EINVAL, c_.x = NULL);
    CASE("null output", SC_EINVAL, c_.y = NULL);
    CASE("stride 0", SC_EINVAL, c_.p.stride_h = 0);
    CASE("stride -2", SC_EINVAL, c_.p.stride_w = -2);
    CASE("dilation 0", SC_EINVAL, c_.p.dil_w = 0);
    CASE("padding -1", SC_EINVAL, c_.p.pad_bottom = -1);
    CASE("groups 0", SC_EINVAL, c_.p.groups = 0);
    CASE("groups 4 do not divide 6 outputs", SC_EINVAL, c_.p.groups = 4; c_.wd.icg = 1);
    CASE("input channels 4 != 3 x 2", SC_EINVAL, c_.wd.icg = 3);
    CASE("output batch", SC_EINVAL, c_.yd = sc_tensor_nchw(2, 6, 3, 3));
    CASE("output channels", SC_EINVAL, c_.yd = sc_tensor_nchw(1, 5, 3, 3));
    CASE("output height", SC_EINVAL, c_.yd = sc_tensor_nchw(1, 6, 4, 3));
    CASE("output width", SC_EINVAL, c_.yd = sc_tensor_nchw(1, 6, 3, 2));
    CASE("kernel larger than padded input", SC_EINVAL, c_.wd.kh = 6; c_.yd = sc_tensor_nchw(1, 6, 1, 3));
    CASE("weight extent 0", SC_EINVAL, c_.wd.kw = 0);
    CASE("unknown weight layout", SC_EINVAL, c_.wd.layout = (sc_wlayout)7);
    CASE("input extent 0", SC_EINVAL, c_.xd.dims[SC_H] = 0);
    CASE("negative input stride", SC_EINVAL, c_.xd.strides[SC_W] = -1);
    CASE("input view overflows", SC_EOVERFLOW, c_.xd.strides[SC_C] = INT64_MAX / 2);
    CASE("aliasing output view", SC_EINVAL, c_.yd.strides[SC_W] = 0);
    CASE("output overlapping channels", SC_EINVAL, c_.yd.strides[SC_C] = 4);
    CASE("output overlaps the input", SC_EINVAL, c_.y = x + 40);
    CASE("output overlaps the weights", SC_EINVAL, c_.y = w + 30);
    CASE("output overlaps the bias", SC_EINVAL, c_.bias = ybuf + 50);
    CASE("clamp lo > hi", SC_EINVAL, c_.act = sc_activation_clamp(2.0f, 1.0f));
    CASE("clamp lo NaN", SC_EINVAL, c_.act = sc_activation_clamp(NAN, 1.0f));
    CASE("clamp hi NaN", SC_EINVAL, c_.act = sc_activation_clamp(0.0f, NAN));
    CASE("unknown activation", SC_EINVAL, c_.act.kind = (sc_act_kind)9);
#undef CASE
    for (int impl = 0; impl < 2; ++impl)
        for (int i = 0; i < nc; ++i) {
            for (int j = 0; j < 64; ++j) ybuf[j] = -777.0f;
            const sc_status st = run_call(impl, &cases[i].c);
            cr_expect_eq(st, cases[i].want, "%s: %s: got %s (%s), expected %s", impl_names[impl],
                         cases[i].what, sc_strerror(st), sc_last_message(),
                         sc_strerror(cases[i].want));
            int touched = 0;
            for (int j = 0; j < 64; ++j) touched += ybuf[j] != -777.0f;
            cr_expect_eq(touched, 0, "%s: %s wrote the output", impl_names[impl], cases[i].what);
        }
    /* NULL descriptors and parameters, and the dense path's thread count. */
    for (int j = 0; j < 64; ++j) ybuf[j] = -777.0f;
    cr_expect_eq(sc_conv_reference(NULL, &base.wd, w, NULL, NULL, &base.xd, x, &base.yd, ybuf), SC_EINVAL);
    cr_expect_eq(sc_conv_reference(&base.p, NULL, w, NULL, NULL, &base.xd, x, &base.yd, ybuf), SC_EINVAL);
    cr_expect_eq(sc_conv_reference(&base.p, &base.wd, w, NULL, NULL, NULL, x, &base.yd, ybuf), SC_EINVAL);
    cr_expect_eq(sc_conv_reference(&base.p, &base.wd, w, NULL, NULL, &base.xd, x, NULL, ybuf), SC_EINVAL);
    cr_expect_eq(sc_conv_dense(NULL, &base.wd, w, NULL, NULL, &base.xd, x, &base.yd, ybuf, 1), SC_EINVAL);
    cr_expect_eq(sc_conv_dense(&base.p, NULL, w, NULL, NULL, &base.xd, x, &base.yd, ybuf, 1), SC_EINVAL);
    cr_expect_eq(sc_conv_dense(&base.p, &base.wd, w, NULL, NULL, NULL, x, &base.yd, ybuf, 1), SC_EINVAL);
    cr_expect_eq(sc_conv_dense(&base.p, &base.wd, w, NULL, NULL, &base.xd, x, NULL, ybuf, 1), SC_EINVAL);
    cr_expect_eq(sc_conv_dense(&base.p, &base.wd, w, NULL, NULL, &base.xd, x, &base.yd, ybuf, -1), SC_EINVAL);
    cr_expect(strstr(sc_last_message(), "threads") != NULL, "%s", sc_last_message());
    for (int j = 0; j < 64; ++j) cr_expect_eq(ybuf[j], -777.0f, "ybuf[%d] written", j);
    /* The base call itself is valid for both (so each case above fails for its own reason). */
    for (int impl = 0; impl < 2; ++impl)
        cr_expect_eq(run_call(impl, &base), SC_OK, "%s: %s", impl_names[impl], sc_last_message());
}

/* TensorFlow's depthwise kernel (KH, KW, C, M) is, byte for byte, an HWIO weight of a
 * grouped conv with groups = C, I = 1, O = C*M (a C-order reshape to (KH, KW, 1, C*M)):
 * tf.nn.depthwise_conv2d defines
 *   out[b, i, j, c*M + m] = sum_{di,dj} filter[di, dj, c, m] * in[b, i+di, j+dj, c],
 * written out below as the oracle; sconv reads the same buffer with no data movement. */
Test(reference, tensorflow_depthwise_kernel_is_hwio_with_groups)
{
    ct_rng r = {2718};
    enum { B = 2, H = 6, W = 5, C = 3, M = 2, KH = 3, KW = 2, OH = H - KH + 1, OW = W - KW + 1 };
    float x[B * H * W * C], k[KH * KW * C * M], want[B * OH * OW * C * M], y[B * OH * OW * C * M];
    for (int i = 0; i < B * H * W * C; ++i) x[i] = ct_float(&r);
    for (int i = 0; i < KH * KW * C * M; ++i) k[i] = ct_float(&r);
    for (int b = 0; b < B; ++b)  /* the TensorFlow definition, NHWC in and out */
        for (int i = 0; i < OH; ++i)
            for (int j = 0; j < OW; ++j)
                for (int c = 0; c < C; ++c)
                    for (int m = 0; m < M; ++m) {
                        double s = 0.0;
                        for (int di = 0; di < KH; ++di)
                            for (int dj = 0; dj < KW; ++dj)
                                s += (double)k[((di * KW + dj) * C + c) * M + m] *
                                     (double)x[((b * H + i + di) * W + j + dj) * C + c];
                        want[((b * OH + i) * OW + j) * (C * M) + c * M + m] = (float)s;
                    }
    sc_conv_params p = sc_conv_params_default();
    p.groups = C;
    const sc_wdesc wd = {SC_HWIO, C * M, 1, KH, KW};
    const sc_tensor xd = sc_tensor_nhwc(B, C, H, W), yd = sc_tensor_nhwc(B, C * M, OH, OW);
    cr_assert_eq(sc_conv_reference(&p, &wd, k, NULL, NULL, &xd, x, &yd, y), SC_OK, "%s", sc_last_message());
    for (int i = 0; i < B * OH * OW * C * M; ++i)
        cr_expect(fabsf(y[i] - want[i]) <= 1e-6f * (1.0f + fabsf(want[i])), "y[%d] = %g, TF rule %g",
                  i, (double)y[i], (double)want[i]);
}
