/* tests/sparse/test_activation_kinds.c: an activation given by its kind alone (a designated
 * initializer, lo = hi = 0) means the same thing on every engine, kernel and conv flavour.
 * Oracle: the same operator without activation, clamped here by hand; every output must be
 * bitwise that clamp (the activation is an elementwise clamp of the same float sum). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sconv.h"
#include "conv_test_util.h"

/* The activations under test, written as a user who sets only the kind would. */
static const sc_act_kind kinds[] = {SC_ACT_RELU, SC_ACT_RELU6};

static float clamp_by_hand(sc_act_kind kind, float v)
{
    if (kind == SC_ACT_RELU) return v < 0.0f ? 0.0f : v;  /* NaN kept: the tests have none */
    return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
}

/* Weights uniform in [-4, 4), half of them pruned: outputs well above 6 and below 0. */
static sc_layer *random_layer(const sc_wdesc *wd, const sc_conv_params *p, uint64_t seed,
                              float *bias)
{
    ct_rng r = {seed};
    return ct_random_layer(&r, &(ct_layer_spec){.wd = *wd, .params = p, .sparsity = 0.5,
                                                .w_max = 4, .draw_bias = bias});
}

/* Plan and run one forward operator; false when the kernel choice is not on this CPU. */
static bool run_conv(const sc_layer *layer, sc_conv_options opt, const sc_tensor *xd,
                     const float *x, const sc_tensor *yd, float *y)
{
    sc_conv *op = NULL;
    const sc_status st = sc_conv_create(layer, &opt, &op);
    if (st == SC_EUNSUPPORTED) return false;
    cr_assert_eq(st, SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_plan(op, xd, yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_run(op, x, y), SC_OK, "%s", sc_last_message());
    sc_conv_destroy(op);
    return true;
}

static void expect_clamped(sc_act_kind kind, const float *plain, const float *got, int64_t n,
                           const char *what)
{
    int64_t wrong = 0, first = -1, clamped = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float want = clamp_by_hand(kind, plain[i]);
        if (want != plain[i]) ++clamped;
        if (memcmp(&want, &got[i], sizeof want) != 0 && wrong++ == 0) first = i;
    }
    cr_expect_eq(wrong, 0, "%s, %s by kind: %lld of %lld outputs differ from the clamp "
                 "(first at %lld: %g, want %g)", what, sc_activation_name(kind),
                 (long long)wrong, (long long)n, (long long)first,
                 first >= 0 ? (double)got[first] : 0.0,
                 first >= 0 ? (double)clamp_by_hand(kind, plain[first]) : 0.0);
    cr_expect_gt(clamped, n / 8, "%s: the case must exercise the activation", what);
}

Test(activation_kinds, forward_every_engine_and_kernel)
{
    static const struct { int64_t k, pad; } shapes[] = {{1, 0}, {3, 1}};
    static const struct { sc_engine engine; sc_kernel_choice kernel; const char *name; } paths[] = {
        {SC_ENGINE_SPARSE, SC_KERNEL_PORTABLE, "sparse portable"},
        {SC_ENGINE_SPARSE, SC_KERNEL_AVX2, "sparse avx2"},
        {SC_ENGINE_SPARSE, SC_KERNEL_AVX512, "sparse avx512"},
        {SC_ENGINE_DENSE, SC_KERNEL_AUTO, "dense"},
        {SC_ENGINE_AUTO, SC_KERNEL_AUTO, "auto (rule)"},
    };
    int ran = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
        const int64_t IC = 6, OC = 8, H = 9, K = shapes[s].k;
        sc_conv_params p = sc_conv_params_default();
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = shapes[s].pad;
        const sc_wdesc wd = {SC_OIHW, OC, IC, K, K};
        float bias[8];
        sc_layer *layer = random_layer(&wd, &p, 71 + s, bias);
        for (int yl = CT_NCHW; yl <= CT_NHWC; ++yl) {
            int64_t xoff, xlen, yoff, ylen;
            const sc_tensor xd = ct_layout(CT_NCHW, 2, IC, H, H, &xoff, &xlen);
            const sc_tensor yd = ct_layout(yl, 2, OC, H, H, &yoff, &ylen);
            float *x = malloc((size_t)xlen * sizeof *x);
            float *plain = calloc((size_t)ylen, sizeof *plain);
            float *y = calloc((size_t)ylen, sizeof *y);
            ct_rng r = {90 + s};
            for (int64_t i = 0; i < xlen; ++i) x[i] = (float)(2 * ct_uniform(&r) - 1);
            for (size_t e = 0; e < sizeof paths / sizeof paths[0]; ++e) {
                sc_conv_options opt = sc_conv_options_default();
                opt.engine = paths[e].engine;
                opt.kernel = paths[e].kernel;
                opt.auto_mode = SC_AUTO_RULE;  /* the same choice for both operators */
                opt.threads = 1;
                if (!run_conv(layer, opt, &xd, x, &yd, plain)) continue;  /* not on this CPU */
                for (size_t a = 0; a < sizeof kinds / sizeof kinds[0]; ++a) {
                    opt.act = (sc_activation){.kind = kinds[a]};
                    cr_assert(run_conv(layer, opt, &xd, x, &yd, y));
                    char what[96];
                    snprintf(what, sizeof what, "%s, %lldx%lld, y %s", paths[e].name,
                             (long long)K, (long long)K, ct_layout_names[yl]);
                    expect_clamped(kinds[a], plain, y, ylen, what);
                    ++ran;
                }
            }
            free(x), free(plain), free(y);
        }
        sc_layer_destroy(layer);
    }
    cr_expect_geq(ran, 2 * 2 * 2 * 3, "portable, dense and auto ran everywhere");
}

Test(activation_kinds, dense_and_reference_functions)
{
    const int64_t IC = 5, OC = 7, H = 6;
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    const sc_wdesc wd = {SC_OIHW, OC, IC, 3, 3};
    ct_rng r = {5};
    float w[7 * 5 * 9], bias[7];
    for (size_t i = 0; i < sizeof w / sizeof w[0]; ++i) w[i] = (float)(8 * ct_uniform(&r) - 4);
    for (int64_t o = 0; o < OC; ++o) bias[o] = (float)(ct_uniform(&r) - 0.5);
    const sc_tensor xd = sc_tensor_nchw(1, IC, H, H), yd = sc_tensor_nchw(1, OC, H, H);
    float x[5 * 36], plain[7 * 36], y[7 * 36];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; ++i) x[i] = (float)(2 * ct_uniform(&r) - 1);
    for (size_t a = 0; a < sizeof kinds / sizeof kinds[0]; ++a) {
        const sc_activation act = {.kind = kinds[a]};
        cr_assert_eq(sc_conv_dense(&p, &wd, w, bias, NULL, &xd, x, &yd, plain, 1), SC_OK);
        cr_assert_eq(sc_conv_dense(&p, &wd, w, bias, &act, &xd, x, &yd, y, 1), SC_OK);
        expect_clamped(kinds[a], plain, y, OC * 36, "sc_conv_dense");
        cr_assert_eq(sc_conv_reference(&p, &wd, w, bias, NULL, &xd, x, &yd, plain), SC_OK);
        cr_assert_eq(sc_conv_reference(&p, &wd, w, bias, &act, &xd, x, &yd, y), SC_OK);
        expect_clamped(kinds[a], plain, y, OC * 36, "sc_conv_reference");
    }
}

Test(activation_kinds, transposed_every_kernel)
{
    const int64_t CIN = 6, COUT = 4, H = 5;
    sc_conv_transpose_params tp = sc_conv_transpose_params_default();
    tp.stride_h = tp.stride_w = 2;
    tp.pad_top = tp.pad_left = tp.pad_bottom = tp.pad_right = 1;
    tp.out_pad_h = tp.out_pad_w = 1;
    const sc_conv_params fp = sc_conv_transpose_forward_params(&tp);
    const sc_wdesc wd = {SC_OIHW, CIN, COUT, 3, 3};  /* oc = Cin, icg = Cout */
    float unused_bias[6], bias[4] = {0.25f, -0.5f, 0.125f, 1.0f};
    sc_layer *layer = random_layer(&wd, &fp, 33, unused_bias);
    int64_t OH, OW;
    cr_assert_eq(sc_conv_transpose_output_hw(&tp, 3, 3, H, H, &OH, &OW), SC_OK);
    const sc_tensor xd = sc_tensor_nchw(2, CIN, H, H), yd = sc_tensor_nhwc(2, COUT, OH, OW);
    const int64_t nx = 2 * CIN * H * H, ny = 2 * COUT * OH * OW;
    float *x = malloc((size_t)nx * sizeof *x), *plain = malloc((size_t)ny * sizeof *plain);
    float *y = malloc((size_t)ny * sizeof *y);
    ct_rng r = {44};
    for (int64_t i = 0; i < nx; ++i) x[i] = (float)(2 * ct_uniform(&r) - 1);
    static const sc_kernel_choice kernels[] = {SC_KERNEL_PORTABLE, SC_KERNEL_AVX2,
                                               SC_KERNEL_AVX512};
    int ran = 0;
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; ++k)
        for (size_t a = 0; a < sizeof kinds / sizeof kinds[0]; ++a) {
            float *out[2] = {plain, y};
            bool on_cpu = true;
            for (int with_act = 0; with_act < 2 && on_cpu; ++with_act) {
                sc_conv_transpose_options o = sc_conv_transpose_options_default();
                o.kernel = kernels[k];
                o.bias = bias;
                o.threads = 1;
                if (with_act) o.act = (sc_activation){.kind = kinds[a]};
                sc_conv_transpose *op = NULL;
                const sc_status st = sc_conv_transpose_create(layer, &tp, &o, &op);
                if (st == SC_EUNSUPPORTED) { on_cpu = false; break; }
                cr_assert_eq(st, SC_OK, "%s", sc_last_message());
                cr_assert_eq(sc_conv_transpose_plan(op, &xd, &yd), SC_OK, "%s",
                             sc_last_message());
                cr_assert_eq(sc_conv_transpose_run(op, x, out[with_act]), SC_OK);
                sc_conv_transpose_destroy(op);
            }
            if (!on_cpu) continue;
            expect_clamped(kinds[a], plain, y, ny, ct_kernel_name(kernels[k]));
            ++ran;
        }
    cr_expect_geq(ran, 2, "the portable kernel ran");
    free(x), free(plain), free(y);
    sc_layer_destroy(layer);
}
