/* tests/sparse/test_conv_accumulate.c: options.accumulate (y = act(conv(x) + bias + y)) on every engine, kernel level, view and geometry */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/layer.h"
#include "dense/dense_util.h"
#include "sparse/ukernels/spmm.h"

/* One layer shape. */
typedef struct shape {
    const char *name;
    int64_t n, c, h, w, oc, k, stride, pad, groups;
    int64_t block;   /* > 1: 4x1 block weights (the block kernels) */
    double sparsity;
} shape;

static const shape shapes[] = {
    {"1x1 in place", 1, 32, 8, 8, 48, 1, 1, 0, 1, 0, 0.7},
    {"1x1 panel 14x14, 256 channels (reduction blocks)", 1, 256, 14, 14, 40, 1, 1, 0, 1, 0, 0.5},
    {"1x1 stride 2, batch 2", 2, 16, 12, 12, 32, 1, 2, 0, 1, 0, 0.6},
    {"3x3 pad 1, batch 2", 2, 16, 13, 10, 32, 3, 1, 1, 1, 0, 0.6},
    {"3x3 pad 1, wide rows", 1, 8, 5, 60, 16, 3, 1, 1, 1, 0, 0.5},
    {"3x3 stride 2 pad 1", 1, 16, 15, 16, 24, 3, 2, 1, 1, 0, 0.6},
    {"3x3 groups 4", 1, 32, 10, 10, 64, 3, 1, 1, 4, 0, 0.5},
    {"3x3 depthwise", 2, 32, 12, 12, 32, 3, 1, 1, 32, 0, 0.3},
    {"1x1 4x1 blocks", 1, 64, 9, 9, 64, 1, 1, 0, 1, 4, 0.7},
    {"3x3 4x1 blocks pad 1", 1, 16, 11, 11, 32, 3, 1, 1, 1, 4, 0.6},
};

/* An engine and kernel level to run. */
typedef struct engine_case {
    const char *name;
    sc_engine engine;
    sc_kernel_choice kernel;
} engine_case;

/* The engines this CPU allows: sparse at each level it has, and dense. */
static int engine_cases(engine_case *out)
{
    int n = 0;
    out[n++] = (engine_case){"sparse portable", SC_ENGINE_SPARSE, SC_KERNEL_PORTABLE};
    if (sc_isa_available(SC_ISA_AVX2))
        out[n++] = (engine_case){"sparse avx2", SC_ENGINE_SPARSE, SC_KERNEL_AVX2};
    if (sc_isa_available(SC_ISA_AVX512))
        out[n++] = (engine_case){"sparse avx512", SC_ENGINE_SPARSE, SC_KERNEL_AVX512};
    out[n++] = (engine_case){"dense", SC_ENGINE_DENSE, SC_KERNEL_AUTO};
    return n;
}

/* Prints which engine levels a test runs: levels the CPU or SCONV_ISA lacks are left out
 * (a printf, not cr_log_warn: warnings from these tests made Criterion's runner exit 1). */
static void print_levels(const char *test)
{
    engine_case e[4];
    const int n = engine_cases(e);
    printf("conv_accumulate %s:", test);
    for (int i = 0; i < n; ++i) printf(" %s%s", e[i].name, i + 1 < n ? "," : "\n");
}

/* The input to a case: a view, or (broadcast) one plane read through zero image and channel
 * strides, which keeps oneDNN out (the dense engine then runs im2col or its depthwise
 * loops). */
typedef struct input {
    view v;          /* unused when broadcast */
    float *plane;    /* broadcast: h*w floats */
    sc_tensor d;
    const float *data;
} input;

static input input_make(view_kind k, bool broadcast, const shape *s, ct_rng *r)
{
    input in = {0};
    if (broadcast) {
        in.plane = ct_float_buf(r, s->h * s->w);
        in.d = (sc_tensor){.dims = {s->n, s->c, s->h, s->w}, .strides = {0, 0, s->w, 1}};
        in.data = in.plane;
    } else {
        in.v = view_make(k, s->n, s->c, s->h, s->w, 0.0f);
        view_fill_random(&in.v, r, false);
        in.d = in.v.d;
        in.data = in.v.data;
    }
    return in;
}

static void input_free(input *in)
{
    if (in->plane) free(in->plane);
    else view_free(&in->v);
}

/* One layer, input and output view on every engine, cycling the activation: y starts at
 * y_old (random) inside its view and CT_UNSET outside; the result must match act(conv(x) +
 * bias + y_old) from the double reference within the dot product's bound, leave everything
 * outside the view alone, and give the same bits on 1, 2 and 3 threads. */
static void check_case(const shape *s, view_kind xk, view_kind yk, bool broadcast, int act_turn,
                       uint64_t seed)
{
    sc_conv_params p = sc_conv_params_default();
    p.stride_h = p.stride_w = s->stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = s->pad;
    p.groups = s->groups;
    const sc_wdesc wd = {SC_OIHW, s->oc, s->c / s->groups, s->k, s->k};
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&p, s->k, s->k, s->h, s->w, &oh, &ow), SC_OK);
    ct_rng r = {seed + 1};  /* xorshift: a zero state would stay zero */
    const int64_t nw = sc_wdesc_numel(&wd), ny = s->n * s->oc * oh * ow;
    float *pruned = malloc(nw * sizeof *pruned);
    cr_assert(pruned);
    sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = wd, .params = &p,
                                                           .sparsity = s->sparsity,
                                                           .block = s->block,
                                                           .pruned = pruned});
    float *bias = ct_float_buf(&r, s->oc), *y_old = ct_float_buf(&r, ny);
    input in = input_make(xk, broadcast, s, &r);
    /* the oracle: reference conv without bias or activation, then + bias + y_old, act, in
     * double; the scale: |b| + sum |w||x| + |y_old| */
    float *conv = malloc(ny * sizeof *conv), *scale = malloc(ny * sizeof *scale);
    float *want = malloc(ny * sizeof *want);
    float *got[3] = {malloc(ny * sizeof(float)), malloc(ny * sizeof(float)),
                     malloc(ny * sizeof(float))};
    cr_assert(conv && scale && want && got[0] && got[1] && got[2]);
    const sc_tensor rd = sc_tensor_nchw(s->n, s->oc, oh, ow);
    cr_assert_eq(sc_conv_reference(&p, &wd, pruned, NULL, NULL, &in.d, in.data, &rd, conv),
                 SC_OK);
    ct_abs_reference(&p, &wd, pruned, bias, &in.d, in.data, &rd, scale);
    const sc_activation act = act_of(act_turn);
    const int64_t plane = oh * ow;
    for (int64_t i = 0; i < ny; ++i) {
        const int64_t o = i / plane % s->oc;
        double v = (double)conv[i] + (double)bias[o] + (double)y_old[i];
        if (act.kind == SC_ACT_RELU || act.kind == SC_ACT_RELU6) v = v < 0 ? 0 : v;
        if (act.kind == SC_ACT_RELU6) v = v > 6 ? 6 : v;
        if (act.kind == SC_ACT_CLAMP) v = v < act.lo ? act.lo : v > act.hi ? act.hi : v;
        want[i] = (float)v;
        scale[i] += fabsf(y_old[i]);
    }
    engine_case ec[4];
    const int n_ec = engine_cases(ec);
    for (int e = 0; e < n_ec; ++e) {
        char what[256];
        snprintf(what, sizeof what, "%s, %s%s -> %s, %s, %s, seed %llu", s->name,
                 broadcast ? "broadcast " : "", broadcast ? "" : view_name(xk), view_name(yk),
                 sc_activation_name(act.kind), ec[e].name, (unsigned long long)seed);
        for (int t = 1; t <= 3; ++t) {
            sc_conv_options opt = sc_conv_options_default();
            opt.accumulate = 1;
            opt.act = act;
            opt.bias = bias;
            opt.threads = t;
            opt.engine = ec[e].engine;
            opt.kernel = ec[e].kernel;
            sc_conv *op = NULL;
            view yv = view_make(yk, s->n, s->oc, oh, ow, CT_UNSET);
            view_from_nchw(&yv, y_old);
            cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK, "%s: %s", what,
                         sc_last_message());
            cr_assert_eq(sc_conv_plan(op, &in.d, &yv.d), SC_OK, "%s: %s", what,
                         sc_last_message());
            sc_conv_choice ch;
            cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
            if (ec[e].engine == SC_ENGINE_SPARSE)
                cr_assert(strncmp(ch.kernel, "spmm", 4) == 0,
                          "%s: an accumulating plan runs the SpMM driver, not %s", what,
                          ch.kernel);
            cr_assert_eq(sc_conv_run(op, in.data, yv.data), SC_OK, "%s: %s", what,
                         sc_last_message());
            view_to_nchw(&yv, got[t - 1]);
            cr_assert_eq(view_outside_changed(&yv, CT_UNSET), 0, "%s (%s): wrote outside y's "
                         "view", what, ch.kernel);
            const int64_t bad = first_wrong(got[t - 1], want, scale, ny, wd.icg * s->k * s->k);
            cr_assert(bad < 0, "%s (%s), %d threads: y[%lld] (nchw) = %.9g, want %.9g (y_old "
                      "%.9g), scale %g", what, ch.kernel, t, (long long)bad,
                      (double)got[t - 1][bad < 0 ? 0 : bad], (double)want[bad < 0 ? 0 : bad],
                      (double)y_old[bad < 0 ? 0 : bad], (double)scale[bad < 0 ? 0 : bad]);
            sc_conv_destroy(op);
            view_free(&yv);
        }
        for (int t = 2; t <= 3; ++t) {
            const int64_t diff = ct_first_bitwise_diff(got[0], got[t - 1], ny);
            cr_assert(diff < 0, "%s: 1 and %d threads differ at y[%lld]: %.9g vs %.9g", what,
                      t, (long long)diff, (double)got[0][diff < 0 ? 0 : diff],
                      (double)got[t - 1][diff < 0 ? 0 : diff]);
        }
    }
    input_free(&in);
    sc_layer_destroy(layer);
    free(pruned); free(bias); free(y_old); free(conv); free(scale); free(want);
    free(got[0]); free(got[1]); free(got[2]);
}

/* Every shape x {NCHW, NHWC, a channel slice of a larger NCHW / NHWC buffer, padded NCHW}
 * as y (x in the matching order), on every engine, the activation cycling through none,
 * ReLU and ReLU6 (and the clamp). */
Test(conv_accumulate, shapes_views_engines, .timeout = 300)
{
    print_levels("shapes_views_engines");
    enum { NVIEWS = 5 };
    const view_kind views[NVIEWS][2] = {{VIEW_NCHW, VIEW_NCHW}, {VIEW_NHWC, VIEW_NHWC},
                                        {VIEW_NCHW, VIEW_SLICE_NCHW},
                                        {VIEW_NHWC, VIEW_SLICE_NHWC},
                                        {VIEW_NCHW, VIEW_PADDED_NCHW}};
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; ++si)
        for (int v = 0; v < NVIEWS; ++v)
            check_case(&shapes[si], views[v][0], views[v][1], false, (int)(si + v) % 4,
                       1000 * si + 10 * v);
}

/* An input oneDNN is not given (zero strides): the dense engine's im2col + sgemm writing y
 * in place (NCHW, NHWC) and through its tile buffer (padded NCHW, a slice), and its
 * depthwise loops. */
Test(conv_accumulate, dense_fallbacks, .timeout = 120)
{
    print_levels("dense_fallbacks");
    const view_kind ys[4] = {VIEW_NCHW, VIEW_NHWC, VIEW_PADDED_NCHW, VIEW_SLICE_NHWC};
    const size_t picks[4] = {0, 3, 6, 7};  /* 1x1, 3x3, groups, depthwise */
    for (int i = 0; i < 4; ++i)
        for (int v = 0; v < 4; ++v)
            check_case(&shapes[picks[i]], VIEW_NCHW, ys[v], true, (i + v) % 3, 50000 + 10 * i + v);
}

/* Auto by measurement times both engines on scratch buffers: the caller's y keeps its old
 * values until the run adds to them. */
Test(conv_accumulate, auto_measure_leaves_y)
{
    const sc_wdesc wd = {SC_OIHW, 32, 32, 1, 1};
    const sc_conv_params p = sc_conv_params_default();
    ct_rng r = {77};
    float pruned[32 * 32];
    sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = wd, .params = &p,
                                                           .sparsity = 0.5, .pruned = pruned});
    const sc_tensor xd = sc_tensor_nchw(1, 32, 8, 8), yd = sc_tensor_nchw(1, 32, 8, 8);
    float *x = ct_float_buf(&r, 32 * 64), *y = ct_float_buf(&r, 32 * 64);
    float *conv = malloc(32 * 64 * sizeof *conv), *scale = malloc(32 * 64 * sizeof *scale);
    float *want = malloc(32 * 64 * sizeof *want);
    cr_assert(conv && scale && want);
    cr_assert_eq(sc_conv_reference(&p, &wd, pruned, NULL, NULL, &xd, x, &yd, conv), SC_OK);
    ct_abs_reference(&p, &wd, pruned, NULL, &xd, x, &yd, scale);
    for (int i = 0; i < 32 * 64; ++i) {
        want[i] = (float)((double)conv[i] + (double)y[i]);
        scale[i] += fabsf(y[i]);
    }
    sc_conv_options opt = sc_conv_options_default();
    opt.accumulate = 1;
    opt.threads = 1;
    opt.auto_mode = SC_AUTO_MEASURE;
    sc_conv *op = NULL;
    sc_conv_choice ch;
    cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
    cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
    cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
    cr_assert_eq(sc_conv_run(op, x, y), SC_OK, "%s", sc_last_message());
    const int64_t bad = first_wrong(y, want, scale, 32 * 64, 32);
    cr_assert(bad < 0, "%s (measured %d): y[%lld] = %.9g, want %.9g", ch.kernel, ch.measured,
              (long long)bad, (double)y[bad < 0 ? 0 : bad], (double)want[bad < 0 ? 0 : bad]);
    sc_conv_destroy(op);
    sc_layer_destroy(layer);
    free(x); free(y); free(conv); free(scale); free(want);
}

/* The default writes y (0), and anything but 0 or 1 is refused at create with a message. */
Test(conv_accumulate, option_values)
{
    cr_assert_eq(sc_conv_options_default().accumulate, 0);
    const sc_wdesc wd = {SC_OIHW, 8, 8, 1, 1};
    float w[64];
    for (int i = 0; i < 64; ++i) w[i] = (float)(i % 5) - 2.0f;
    sc_layer *layer = ct_pack(&(ct_layer_spec){.wd = wd}, w, NULL);
    const int bad_values[3] = {2, -1, 100};
    for (int i = 0; i < 3; ++i) {
        sc_conv_options opt = sc_conv_options_default();
        opt.accumulate = bad_values[i];
        sc_conv *op = NULL;
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_EINVAL);
        cr_assert_null(op);
        cr_assert(strstr(sc_last_message(), "accumulate") != NULL, "message: %s",
                  sc_last_message());
    }
    sc_layer_destroy(layer);
}
