/* tests/dense/test_onednn_matmul.c: the dense engine's 1x1 matmul path: where it runs, results, NaN/Inf, threads */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/concurrent.h"
#include "common/layer.h"
#include "core/core.h"
#include "dense/dense_plan.h"
#include "dense_util.h"

/* One 1x1 problem: batch, channels in and out, image, stride, padding, groups, kernel. */
typedef struct mm_case {
    int64_t n, ic, h, w, oc;
    int64_t stride, pad, groups, k;
    sc_wlayout layout;
} mm_case;

/* The rule the plan must follow, from the descriptors and the instruction set alone: a
 * 1x1, stride-1, unpadded, ungrouped conv whose x and y hold each channel as one dense
 * plane of h*w pixels, channels h*w apart, with at least 196 pixels (14x14, the smallest
 * image where the matmul measured faster); and oneDNN 2.6 has its brgemm matmul for f32
 * only with AVX-512 (F, BW, DQ, VL). */
static bool planes(const sc_tensor *t)
{
    const int64_t c = t->dims[SC_C], h = t->dims[SC_H], w = t->dims[SC_W];
    return (w == 1 || t->strides[SC_W] == 1) && (h == 1 || t->strides[SC_H] == w) &&
           (c == 1 || t->strides[SC_C] == h * w);
}

static bool expect_matmul(const mm_case *c, const sc_tensor *xd, const sc_tensor *yd)
{
    return sc_cpu_has_avx512() && c->k == 1 && c->stride == 1 && c->pad == 0 &&
           c->groups == 1 && c->h * c->w >= 196 && planes(xd) && planes(yd);
}

static bool is_matmul(const char *kernel)
{
    return strncmp(kernel, "dense_onednn:matmul:brg", 23) == 0;
}

/* One case on views xk -> yk with bias (or none) and act: the plan's kernel is the matmul
 * exactly where the rule says; sc_conv_dense on 1, 2 and 3 threads matches the reference,
 * writes nothing outside y's view and gives the same bits on every thread count. The
 * output, as NCHW, goes to out (ny floats) when out is not NULL. Returns whether the
 * matmul ran. */
static bool check(const mm_case *c, view_kind xk, view_kind yk, bool with_bias,
                  sc_activation act, bool specials, uint64_t seed, float *out)
{
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = p.stride_w = c->stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = c->pad;
    p.groups = c->groups;
    const sc_wdesc wd = {c->layout, c->oc, c->ic / c->groups, c->k, c->k};
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&p, c->k, c->k, c->h, c->w, &oh, &ow), SC_OK);
    ct_rng r = {seed};
    const int64_t ny = c->n * c->oc * oh * ow;
    float *w = ct_float_buf(&r, sc_wdesc_numel(&wd)), *bias = ct_float_buf(&r, c->oc);
    float *ref = malloc(ny * sizeof *ref), *absy = malloc(ny * sizeof *absy);
    float *got[3] = {malloc(ny * sizeof(float)), malloc(ny * sizeof(float)),
                     malloc(ny * sizeof(float))};
    cr_assert(ref && absy && got[0] && got[1] && got[2]);
    const float *b = with_bias ? bias : NULL;
    view xv = view_make(xk, c->n, c->ic, c->h, c->w, 0.0f);
    view_fill_random(&xv, &r, specials);
    view rv = view_make(VIEW_NCHW, c->n, c->oc, oh, ow, 0.0f);
    cr_assert_eq(sc_conv_reference(&p, &wd, w, b, &act, &xv.d, xv.data, &rv.d, ref), SC_OK);
    ct_abs_reference(&p, &wd, w, b, &xv.d, xv.data, &rv.d, absy);
    view yv0 = view_make(yk, c->n, c->oc, oh, ow, 0.0f);
    char kernel[64];
    dense_kernel_of(&p, &wd, w, &xv.d, &yv0.d, kernel, sizeof kernel);
    const bool want = expect_matmul(c, &xv.d, &yv0.d);
    view_free(&yv0);
    char what[256];
    snprintf(what, sizeof what, "n %lld, %lld -> %lld channels, %lldx%lld, stride %lld, pad %lld, "
             "groups %lld, k %lld, %s -> %s, %s%s%s, seed %llu, kernel %s", (long long)c->n,
             (long long)c->ic, (long long)c->oc, (long long)c->h, (long long)c->w,
             (long long)c->stride, (long long)c->pad, (long long)c->groups, (long long)c->k,
             view_name(xk), view_name(yk), sc_activation_name(act.kind),
             with_bias ? ", bias" : "", specials ? ", NaN/Inf inputs" : "",
             (unsigned long long)seed, kernel);
    cr_expect_eq(is_matmul(kernel), want, "%s: the matmul path should %srun", what,
                 want ? "" : "not ");
    for (int t = 1; t <= 3; ++t) {
        view yv = view_make(yk, c->n, c->oc, oh, ow, NAN);
        cr_assert_eq(sc_conv_dense(&p, &wd, w, b, &act, &xv.d, xv.data, &yv.d, yv.data, t),
                     SC_OK, "%s: %s", what, sc_last_message());
        view_to_nchw(&yv, got[t - 1]);
        cr_assert_eq(view_outside_changed(&yv, NAN), 0, "%s: wrote outside y's view", what);
        const int64_t bad = first_wrong(got[t - 1], ref, absy, ny, wd.icg * c->k * c->k);
        cr_assert(bad < 0, "%s, %d threads: y[%lld] (nchw) = %.9g, reference %.9g, scale %g",
                  what, t, (long long)bad, (double)got[t - 1][bad < 0 ? 0 : bad],
                  (double)ref[bad < 0 ? 0 : bad], (double)absy[bad < 0 ? 0 : bad]);
        view_free(&yv);
        if (t == 1) continue;
        const int64_t diff = ct_first_bitwise_diff(got[0], got[t - 1], ny);
        cr_assert(diff < 0, "%s: 1 and %d threads differ at y[%lld]: %.9g vs %.9g", what, t,
                  (long long)diff, (double)got[0][diff < 0 ? 0 : diff],
                  (double)got[t - 1][diff < 0 ? 0 : diff]);
    }
    if (out) memcpy(out, got[0], ny * sizeof *out);
    view_free(&xv);
    view_free(&rv);
    free(w); free(bias); free(ref); free(absy); free(got[0]); free(got[1]); free(got[2]);
    return is_matmul(kernel);
}

/* 1x1 layers of ResNet-50 and MobileNet at small sizes, and the edges: 1, 3, 17, 64 and 300
 * channels in and out, batches 1 to 3, the weight layouts; 196 and 3136 pixels (the matmul),
 * 1, 7, 49 and 195 (the convolution). */
static const mm_case cases[] = {
    {1, 64, 14, 14, 256, 1, 0, 1, 1, SC_OIHW},   /* res2 expand */
    {2, 256, 14, 14, 64, 1, 0, 1, 1, SC_OIHW},   /* res2 reduce */
    {1, 512, 14, 14, 128, 1, 0, 1, 1, SC_OHWI},  /* res3 reduce */
    {3, 32, 16, 16, 64, 1, 0, 1, 1, SC_HWIO},    /* MobileNet pw1 */
    {1, 1, 14, 14, 3, 1, 0, 1, 1, SC_OIHW},
    {2, 3, 196, 1, 1, 1, 0, 1, 1, SC_OIHW},
    {1, 17, 14, 14, 300, 1, 0, 1, 1, SC_OIHW},
    {3, 300, 14, 14, 17, 1, 0, 1, 1, SC_OHWI},
    {1, 64, 56, 56, 17, 1, 0, 1, 1, SC_OIHW},    /* 3136 pixels */
    {2, 17, 56, 56, 3, 1, 0, 1, 1, SC_OIHW},
    {2, 300, 7, 7, 17, 1, 0, 1, 1, SC_OIHW},     /* 49 pixels: the convolution */
    {1, 3, 1, 7, 64, 1, 0, 1, 1, SC_OIHW},       /* 7 */
    {1, 64, 1, 1, 64, 1, 0, 1, 1, SC_OIHW},      /* 1 */
    {2, 3, 1, 1, 300, 1, 0, 1, 1, SC_OIHW},
    {1, 17, 13, 15, 64, 1, 0, 1, 1, SC_OIHW},    /* 195 */
};
enum { NCASES = sizeof cases / sizeof *cases };

/* Every case NCHW -> NCHW, with and without bias, every activation. */
Test(onednn_matmul, shapes_bias_activations, .timeout = 300)
{
    int ran = 0, want = 0;
    for (int i = 0; i < NCASES; ++i)
        for (int a = 0; a < 4; ++a) {
            const bool mm = check(&cases[i], VIEW_NCHW, VIEW_NCHW, a % 2 == 0, act_of(a), false,
                                  1000 + 10 * i + a, NULL);
            ran += mm;
            want += sc_cpu_has_avx512() && cases[i].h * cases[i].w >= 196;
        }
    cr_log_info("the matmul ran %d of %d cases (expected %d)", ran, NCASES * 4, want);
}

/* NaN and infinities in x through the matmul and the library's epilogue, every activation. */
Test(onednn_matmul, nan_and_inf_inputs)
{
    for (int a = 0; a < 4; ++a) {
        check(&cases[0], VIEW_NCHW, VIEW_NCHW, true, act_of(a), true, 2000 + a, NULL);
        check(&cases[7], VIEW_NCHW, VIEW_NCHW, a % 2, act_of(a), true, 2100 + a, NULL);
    }
}

/* Views: channel slices of x or y (channel stride above h*w), padded planes, mixed
 * layouts, channel-last, and channel-outermost (CNHW: channel planes of one image when the
 * batch is 1, not with 2) go to whichever path the rule names, with the same results. */
Test(onednn_matmul, views, .timeout = 200)
{
    const view_kind pairs[][2] = {
        {VIEW_SLICE_NCHW, VIEW_NCHW}, {VIEW_NCHW, VIEW_SLICE_NCHW}, {VIEW_PADDED_NCHW, VIEW_NCHW},
        {VIEW_NCHW, VIEW_NHWC}, {VIEW_NHWC, VIEW_NCHW}, {VIEW_NHWC, VIEW_NHWC},
        {VIEW_CNHW, VIEW_NCHW}, {VIEW_NCHW, VIEW_CNHW},
    };
    const mm_case one = {1, 24, 14, 15, 40, 1, 0, 1, 1, SC_OIHW};
    const mm_case two = {2, 24, 14, 15, 40, 1, 0, 1, 1, SC_OIHW};
    for (size_t v = 0; v < sizeof pairs / sizeof *pairs; ++v) {
        check(&one, pairs[v][0], pairs[v][1], true, act_of(1), false, 3000 + v, NULL);
        check(&two, pairs[v][0], pairs[v][1], false, act_of(3), false, 3100 + v, NULL);
    }
}

/* Not a plain product, so the convolution, though the output has 196 pixels or more:
 * stride 2, padding, groups, 3x3. */
Test(onednn_matmul, convolution_elsewhere, .timeout = 120)
{
    const mm_case conv[] = {
        {1, 32, 30, 30, 48, 2, 0, 1, 1, SC_OIHW},
        {2, 32, 14, 14, 48, 1, 1, 1, 1, SC_OIHW},
        {1, 32, 14, 14, 48, 1, 0, 2, 1, SC_OIHW},
        {1, 16, 14, 14, 24, 1, 1, 1, 3, SC_OIHW},
        {2, 16, 16, 16, 24, 1, 0, 1, 3, SC_OIHW},
    };
    for (size_t i = 0; i < sizeof conv / sizeof *conv; ++i)
        cr_expect(!check(&conv[i], VIEW_NCHW, VIEW_NCHW, true, act_of(2), false, 4000 + i, NULL),
                  "case %zu ran the matmul", i);
}

/* Each image's result does not depend on the batch around it, though the batch changes the
 * blocks of output channels (4 blocks of 64 for one image, one block of 256 for four): the
 * same bits for image 0 alone and in a batch of 4 with the same data. */
Test(onednn_matmul, blocks_do_not_change_bits)
{
    const mm_case c1 = {1, 512, 14, 14, 256, 1, 0, 1, 1, SC_OIHW};
    mm_case c4 = c1;
    c4.n = 4;
    enum { NY = 256 * 196 };
    float *y1 = malloc(NY * sizeof *y1), *y4 = malloc(4 * NY * sizeof *y4);
    cr_assert(y1 && y4);
    /* same seed: the weights and bias match, and x of image 0 is the first image drawn */
    check(&c1, VIEW_NCHW, VIEW_NCHW, true, act_of(0), false, 5000, y1);
    check(&c4, VIEW_NCHW, VIEW_NCHW, true, act_of(0), false, 5000, y4);
    const int64_t diff = ct_first_bitwise_diff(y1, y4, NY);
    cr_expect(diff < 0, "image 0 alone and in a batch of 4 differ at y[%lld]: %.9g vs %.9g",
              (long long)diff, (double)y1[diff < 0 ? 0 : diff], (double)y4[diff < 0 ? 0 : diff]);
    free(y1);
    free(y4);
}

/* Through the operator: describe names the matmul, and concurrent runs on one plan (each
 * run its own scratchpads) equal sequential ones. */
Test(onednn_matmul, operator_describe_and_concurrent_runs)
{
    const sc_wdesc wd = {SC_OIHW, 64, 48, 1, 1};
    const sc_conv_params p = sc_conv_params_default();
    ct_rng r = {12};
    sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = wd, .params = &p,
                                                            .sparsity = 0.1});
    const sc_tensor xd = sc_tensor_nchw(2, 48, 14, 15), yd = sc_tensor_nchw(2, 64, 14, 15);
    enum { XN = 2 * 48 * 210, YN = 2 * 64 * 210 };
    float *x[2] = {ct_float_buf(&r, XN), ct_float_buf(&r, XN)};
    sc_conv_options opt = sc_conv_options_default();
    opt.engine = SC_ENGINE_DENSE;
    opt.threads = 2;
    opt.act = sc_activation_relu6();
    sc_conv *op = NULL;
    sc_conv_choice ch;
    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
    cr_expect_eq(is_matmul(ch.kernel), sc_cpu_has_avx512(), "describe names %s", ch.kernel);
    ct_expect_concurrent_runs(op, (const float *const[2]){x[0], x[1]}, YN, ch.kernel);
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
    free(x[0]);
    free(x[1]);
}
