/* tests/robustness/test_nonfinite.c: the defined behaviour for NaN and Inf: pruning and packing
 * refuse non-finite weights with SC_ENUMERIC naming the first one; activations propagate */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "robust_util.h"
#include "sconv.h"

static const char *const methods[] = {"l1", "per-filter", "global", "block:2x2", "nm:2:4",
                                      "filter:l1", "filter:l2", "threshold"};
#define N_METHODS (sizeof methods / sizeof methods[0])

/* Weights 4 x 2 x 3 x 3 in HWIO with one bad value at flat index `at`. */
static void weights(float *w, int64_t n, int64_t at, float bad)
{
    rb_fill(w, n, 1.0, 21);
    w[at] = bad;
}

static void refuse_prune(const char *method, float bad, const char *word)
{
    const sc_wdesc wd = {SC_HWIO, 4, 2, 3, 3};
    const int64_t n = 72, at = 41;  /* HWIO (kh, kw, i, o): 41 = ((1*3 + 2)*2 + 0)*4 + 1 */
    float w[72], w0[72];
    uint8_t mask[72];
    weights(w, n, at, bad);
    memcpy(w0, w, sizeof w);
    memset(mask, 0xEE, sizeof mask);
    sc_prune_spec spec = sc_prune_spec_default();
    cr_assert_eq(sc_prune_spec_parse(method, &spec), SC_OK);
    spec.amount = 0.5;
    spec.threshold = 0.5;
    const sc_status st = sc_prune_mask(&spec, &wd, w, mask);
    cr_expect_eq(st, SC_ENUMERIC, "%s with %s: %s (%s)", method, word, sc_strerror(st),
                 sc_last_message());
    cr_expect(strstr(sc_last_message(), word) != NULL, "%s: '%s'", method, sc_last_message());
    cr_expect(strstr(sc_last_message(), "weight 41") != NULL, "%s: '%s'", method, sc_last_message());
    cr_expect(strstr(sc_last_message(), "o=1 i=0 h=1 w=2") != NULL, "%s: '%s'", method,
              sc_last_message());
    for (int64_t i = 0; i < n; ++i) cr_assert_eq(mask[i], 0xEE, "%s: mask written", method);
    cr_expect(memcmp(w, w0, sizeof w) == 0 || isnan(bad), "weights changed");
}

Test(nonfinite, prune_refuses_nan_and_inf_in_every_method)
{
    for (size_t m = 0; m < N_METHODS; ++m) {
        refuse_prune(methods[m], NAN, "NaN");
        refuse_prune(methods[m], INFINITY, "Inf");
        refuse_prune(methods[m], -INFINITY, "Inf");
    }
}

Test(nonfinite, prune_global_refuses_and_writes_no_mask)
{
    const sc_wdesc a = {SC_OIHW, 2, 2, 2, 2}, b = {SC_OIHW, 3, 1, 1, 1};
    float wa[16], wb[3] = {1.0f, NAN, 2.0f};
    rb_fill(wa, 16, 1.0, 22);
    uint8_t ma[16], mb[3];
    memset(ma, 0xEE, sizeof ma);
    memset(mb, 0xEE, sizeof mb);
    const sc_wdesc *wd[2] = {&a, &b};
    const float *w[2] = {wa, wb};
    uint8_t *mask[2] = {ma, mb};
    sc_prune_spec spec = sc_prune_spec_default();
    spec.method = SC_PRUNE_GLOBAL;
    spec.amount = 0.5;
    cr_expect_eq(sc_prune_mask_global(&spec, 2, wd, w, mask), SC_ENUMERIC, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), "NaN") != NULL, "%s", sc_last_message());
    for (int i = 0; i < 16; ++i) cr_assert_eq(ma[i], 0xEE, "the first layer's mask was written");
    for (int i = 0; i < 3; ++i) cr_assert_eq(mb[i], 0xEE);
}

Test(nonfinite, pack_refuses_even_where_the_mask_prunes)
{
    const sc_wdesc wd = {SC_OIHW, 2, 1, 2, 2};
    float w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t keep_all[8] = {1, 1, 1, 1, 1, 1, 1, 1}, drop_bad[8] = {1, 1, 1, 1, 1, 0, 1, 1};
    sc_pack_options po = sc_pack_options_default();
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    for (int b = 0; b < 3; ++b) {
        w[5] = bad[b];
        sc_layer *l = NULL;
        cr_expect_eq(sc_layer_pack(&wd, w, keep_all, &po, &l), SC_ENUMERIC, "%s", sc_last_message());
        cr_expect(strstr(sc_last_message(), "weight 5") != NULL, "%s", sc_last_message());
        cr_expect_null(l);
        /* a pruned NaN is refused too: the kept-energy fractions would be NaN */
        cr_expect_eq(sc_layer_pack(&wd, w, drop_bad, &po, &l), SC_ENUMERIC, "%s", sc_last_message());
        cr_expect_null(l);
    }
    w[5] = 6;
    const float bias[2] = {0.5f, NAN};
    po.bias = bias;
    sc_layer *l = NULL;
    cr_expect_eq(sc_layer_pack(&wd, w, NULL, &po, &l), SC_ENUMERIC, "%s", sc_last_message());
    cr_expect(strstr(sc_last_message(), "bias[1]") != NULL, "%s", sc_last_message());
    cr_expect_null(l);
}

Test(nonfinite, extreme_finite_values_are_fine)
{
    /* the largest float, the smallest subnormal and -0: finite, so pruned and packed;
     * -0 and +0 are zeros and never stored */
    const sc_wdesc wd = {SC_OIHW, 1, 1, 1, 5};
    const float w[5] = {3.4028235e38f, 1.4e-45f, -0.0f, 0.0f, -3.4028235e38f};
    uint8_t mask[5];
    sc_prune_spec spec = sc_prune_spec_default();
    spec.count = 1;  /* the smallest |w|: one of the zeros (ties: lower index) */
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK, "%s", sc_last_message());
    cr_expect_eq(mask[0] + mask[1] + mask[2] + mask[3] + mask[4], 4);
    cr_expect_eq(mask[2], 0, "-0 (index 2) ties +0 and has the lower index");
    sc_layer *l = NULL;
    sc_pack_options po = sc_pack_options_default();
    cr_assert_eq(sc_layer_pack(&wd, w, NULL, &po, &l), SC_OK, "%s", sc_last_message());
    sc_csr_view v;
    sc_layer_get_csr(l, &v);
    cr_expect_eq(v.nnz, 3);
    cr_expect_eq(v.val[0], 3.4028235e38f);
    cr_expect_eq(v.val[1], 1.4e-45f);
    cr_expect_eq(v.val[2], -3.4028235e38f);
    sc_layer_destroy(l);
}

/* y = a 2 x 1 x 1 x 2 conv of x = {1, NaN, 3, 4} (1 x 1 x 1 x 4) on `engine`, one thread. */
static void run_over_nan(sc_engine engine, float y[6])
{
    const sc_wdesc wd = {SC_OIHW, 2, 1, 1, 2};
    const float w[4] = {1.0f, 0.0f,   /* channel 0 uses only the left tap */
                        0.0f, 2.0f};  /* channel 1 only the right tap */
    sc_layer *l = NULL;
    sc_pack_options po = sc_pack_options_default();
    cr_assert_eq(sc_layer_pack(&wd, w, NULL, &po, &l), SC_OK);
    const sc_tensor xd = sc_tensor_nchw(1, 1, 1, 4), yd = sc_tensor_nchw(1, 2, 1, 3);
    float x[4] = {1.0f, NAN, 3.0f, 4.0f};
    sc_conv_options opt = sc_conv_options_default();
    opt.engine = engine;
    opt.threads = 1;
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(l, &opt, &op), SC_OK);
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_run(op, x, y), SC_OK, "%s", sc_last_message());
    sc_conv_destroy(op);
    sc_layer_destroy(l);
}

/* Activations are not checked: a NaN or Inf in x reaches exactly the outputs whose window
 * covers it through a stored weight (IEEE arithmetic); all others stay finite. */
Test(nonfinite, activations_propagate_sparse)
{
    float y[6];
    run_over_nan(SC_ENGINE_SPARSE, y);
    /* channel 0: y[j] = x[j]; channel 1: y[j] = 2 x[j+1] */
    cr_expect_eq(y[0], 1.0f);
    cr_expect(isnan(y[1]), "channel 0 at the NaN: %g", (double)y[1]);
    cr_expect_eq(y[2], 3.0f);
    cr_expect(isnan(y[3]), "channel 1 reading the NaN: %g", (double)y[3]);
    cr_expect_eq(y[4], 6.0f);
    cr_expect_eq(y[5], 8.0f);
}

Test(nonfinite, npy_reader_keeps_nan_and_inf)
{
    /* .npy data is not judged: NaN and Inf arrive as they are (pruning then refuses them) */
    char dir[256], path[512];
    rb_make_dir(dir);
    rb_path(path, dir, "w.npy");
    const float v[3] = {NAN, INFINITY, -INFINITY};
    const int64_t shape[1] = {3};
    cr_assert_eq(sc_npy_write(path, 1, shape, v), SC_OK);
    sc_array a = {0};
    cr_assert_eq(sc_npy_read(path, &a), SC_OK, "%s", sc_last_message());
    cr_expect(isnan(a.data[0]));
    cr_expect(isinf(a.data[1]) && a.data[1] > 0);
    cr_expect(isinf(a.data[2]) && a.data[2] < 0);
    sc_array_release(&a);
    rb_remove_dir(dir);
}

/* The dense engine multiplies the pruned zeros too: 0 * NaN = NaN reaches every output
 * whose window covers the NaN, whatever the weight there. */
Test(nonfinite, activations_propagate_dense)
{
    float y[6];
    run_over_nan(SC_ENGINE_DENSE, y);
    cr_expect(isnan(y[0]) && isnan(y[1]), "channel 0: %g %g", (double)y[0], (double)y[1]);
    cr_expect_eq(y[2], 3.0f);
    cr_expect(isnan(y[3]) && isnan(y[4]), "channel 1: %g %g", (double)y[3], (double)y[4]);
    cr_expect_eq(y[5], 8.0f);
}

/* The sparse engine under ReLU, ReLU6 and clamp, for each kernel choice this CPU runs, in
 * NCHW (kernels read x in place) and NHWC (panels), 1x1 and 3x3: NaN, +Inf and -Inf in x
 * give exactly the outputs the double reference gives (NaN stays NaN under every
 * activation, +-Inf clamps to the bounds), finite outputs agree within rounding. */
static int nonfinite_case(sc_kernel_choice kernel, const sc_activation *act, int64_t k, int nhwc)
{
    enum { N = 1, IC = 3, OC = 6, H = 9, W = 9 };
    const sc_wdesc wd = {SC_OIHW, OC, IC, k, k};
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = (k - 1) / 2;
    float w[OC * IC * 9];
    rb_fill(w, OC * IC * k * k, 1.0, 31);  /* no zero weights: the dense reference's
                                               * 0 * NaN would be NaN where sparse skips */
    sc_pack_options po = sc_pack_options_default();
    po.params = p;
    po.order = nhwc ? SC_PACK_HWC : SC_PACK_CHW;
    sc_layer *l = NULL;
    cr_assert_eq(sc_layer_pack(&wd, w, NULL, &po, &l), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_layer_unpack(l, SC_OIHW, w), SC_OK);  /* the kept weights, for the oracle */
    const sc_tensor xd = nhwc ? sc_tensor_nhwc(N, IC, H, W) : sc_tensor_nchw(N, IC, H, W);
    const sc_tensor yd = nhwc ? sc_tensor_nhwc(N, OC, H, W) : sc_tensor_nchw(N, OC, H, W);
    float x[N * IC * H * W], y[N * OC * H * W], ref[N * OC * H * W];
    rb_fill(x, N * IC * H * W, 1.0, 32);
    const float specials[3] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3 * 7; ++i) x[(i * 37 + 5) % (N * IC * H * W)] = specials[i % 3];
    sc_conv_options opt = sc_conv_options_default();
    opt.engine = SC_ENGINE_SPARSE;
    opt.kernel = kernel;
    opt.act = *act;
    opt.threads = 1;
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(l, &opt, &op), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_run(op, x, y), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_reference(&p, &wd, w, NULL, act, &xd, x, &yd, ref), SC_OK);
    sc_conv_choice ch;
    sc_conv_describe(op, &ch);
    int bad = 0, n_special = 0;
    for (int i = 0; i < N * OC * H * W && bad < 3; ++i) {
        const int ok = isnan(ref[i]) ? isnan(y[i])
                       : isinf(ref[i]) ? y[i] == ref[i]
                                       : fabsf(y[i] - ref[i]) <= 1e-4f * (1.0f + fabsf(ref[i]));
        n_special += !isfinite(ref[i]) || ref[i] == act->lo || ref[i] == act->hi;
        if (!ok)
            cr_log_error("kernel %s, %s, %lldx%lld %s: y[%d] = %g, reference %g", ch.kernel,
                         sc_activation_name(act->kind), (long long)k, (long long)k,
                         nhwc ? "NHWC" : "NCHW", i, (double)y[i], (double)ref[i]);
        bad += !ok;
    }
    cr_expect_gt(n_special, 0, "the case reaches no non-finite output");
    sc_conv_destroy(op);
    sc_layer_destroy(l);
    return bad;
}

Test(nonfinite, sparse_engine_keeps_nan_and_inf_under_activations)
{
    const sc_kernel_choice kernels[3] = {SC_KERNEL_PORTABLE, SC_KERNEL_AVX2, SC_KERNEL_AVX512};
    const sc_activation acts[4] = {sc_activation_relu(), sc_activation_relu6(),
                                   sc_activation_clamp(-0.5f, 0.75f), sc_activation_none()};
    int runs = 0, bad = 0;
    for (int kc = 0; kc < 3; ++kc) {
        sc_conv_options probe = sc_conv_options_default();
        probe.kernel = kernels[kc];
        sc_conv *op = NULL;
        sc_layer *l = NULL;
        const sc_wdesc wd = {SC_OIHW, 1, 1, 1, 1};
        const float one = 1.0f;
        sc_pack_options po = sc_pack_options_default();
        cr_assert_eq(sc_layer_pack(&wd, &one, NULL, &po, &l), SC_OK);
        const sc_status st = sc_conv_create(l, &probe, &op);
        sc_conv_destroy(op);
        sc_layer_destroy(l);
        if (st == SC_EUNSUPPORTED) {
            fprintf(stderr, "nonfinite: kernel choice %d skipped (CPU lacks the ISA)\n", kc);
            continue;
        }
        cr_assert_eq(st, SC_OK, "%s", sc_last_message());
        for (int a = 0; a < 4; ++a)
            for (int64_t k = 1; k <= 3; k += 2)
                for (int nhwc = 0; nhwc < 2; ++nhwc, ++runs)
                    bad += nonfinite_case(kernels[kc], &acts[a], k, nhwc);
    }
    cr_expect_eq(bad, 0, "%d wrong outputs in %d runs", bad, runs);
    cr_expect_geq(runs, 16);
}
