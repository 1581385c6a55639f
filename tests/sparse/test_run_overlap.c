/* tests/sparse/test_run_overlap.c: every operator's run refuses an output that overlaps its
 * input or the layer's packed arrays (SC_EINVAL, nothing written), on every engine */
#include <criterion/criterion.h>
#include <string.h>

#include "common/layer.h"
#include "sconv.h"

/* A dense 4 -> 4 3x3 layer (144 stored values) with a bias, pad 1, on 1 x 4 x 6 x 6: x, y,
 * dY and dX all hold 144 floats, so an output placed on the values fits them exactly. */
enum { C = 4, HW = 6, N_ACT = C * HW * HW, N_W = C * C * 9 };

static sc_layer *make_layer(void)
{
    const sc_wdesc wd = {SC_OIHW, C, C, 3, 3};
    float w[N_W], bias[C] = {0.5f, -0.25f, 1.0f, 2.0f};
    for (int i = 0; i < N_W; ++i) w[i] = (float)((i * 7) % 13 + 1) / 8.0f;  /* no zeros */
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    return ct_pack(&(ct_layer_spec){.wd = wd, .params = &p, .bias = bias}, w, NULL);
}

static void fill(float *a, int n, int seed)
{
    for (int i = 0; i < n; ++i) a[i] = (float)((i * 31 + seed) % 17) / 4.0f - 2.0f;
}

/* The layer's packed values and bias, writable for the test (they must never be written). */
static float *layer_values(const sc_layer *l)
{
    sc_csr_view v;
    cr_assert_eq(sc_layer_get_csr(l, &v), SC_OK);
    cr_assert_eq(v.nnz, N_W);
    return (float *)v.val;
}
static float *layer_bias(const sc_layer *l)
{
    sc_layer_info info;
    cr_assert_eq(sc_layer_get_info(l, &info), SC_OK);
    cr_assert_not_null(info.bias);
    return (float *)info.bias;
}

typedef sc_status (*run_fn)(const void *op, const float *in, float *out);

/* The cases every run entry point must refuse, then one it must accept (out right after in,
 * sharing no byte), whose result must equal a run on separate buffers. */
static void expect_overlaps_refused(const char *who, const void *op, run_fn run, sc_layer *l)
{
    static float buf[3 * N_ACT];
    float *const val = layer_values(l), *const bias = layer_bias(l);
    float val0[N_W], bias0[C], in0[N_ACT];
    memcpy(val0, val, sizeof val0);
    memcpy(bias0, bias, sizeof bias0);
    fill(buf, 3 * N_ACT, 1);
    memcpy(in0, buf, sizeof in0);
    struct { const char *what; const float *in; float *out; } bad[] = {
        {"out == in", buf, buf},
        {"out overlaps the end of in", buf, buf + N_ACT / 2},
        {"out overlaps the start of in", buf + N_ACT / 2, buf},
        {"out one float into in", buf + 1, buf},
        {"out on the layer's values", buf, val},
        {"out ending on the layer's bias", buf, bias - N_ACT + 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        const sc_status st = run(op, bad[i].in, bad[i].out);
        cr_expect_eq(st, SC_EINVAL, "%s, %s: %s (%s)", who, bad[i].what, sc_strerror(st),
                     sc_last_message());
        cr_expect(strstr(sc_last_message(), "overlaps") != NULL, "%s, %s: '%s'", who,
                  bad[i].what, sc_last_message());
    }
    cr_expect(memcmp(val, val0, sizeof val0) == 0, "%s: the layer's values were written", who);
    cr_expect(memcmp(bias, bias0, sizeof bias0) == 0, "%s: the layer's bias was written", who);
    cr_expect(memcmp(buf, in0, sizeof in0) == 0, "%s: the input was written", who);
    /* adjacent, not overlapping: accepted, and the same result as separate buffers */
    float sep[N_ACT];
    cr_assert_eq(run(op, buf, buf + N_ACT), SC_OK, "%s adjacent: %s", who, sc_last_message());
    cr_assert_eq(run(op, buf, sep), SC_OK, "%s: %s", who, sc_last_message());
    cr_expect(memcmp(buf + N_ACT, sep, sizeof sep) == 0, "%s: adjacent output differs", who);
}

static sc_status run_conv(const void *op, const float *in, float *out)
{
    return sc_conv_run(op, in, out);
}
static sc_status run_bwd(const void *op, const float *in, float *out)
{
    return sc_conv_bwd_run(op, in, out);
}
static sc_status run_tconv(const void *op, const float *in, float *out)
{
    return sc_conv_transpose_run(op, in, out);
}

static void conv_engine(sc_engine engine, sc_auto_mode mode, const char *who)
{
    sc_layer *l = make_layer();
    sc_conv_options o = sc_conv_options_default();
    o.engine = engine;
    o.auto_mode = mode;
    o.threads = 1;
    sc_conv *op = NULL;
    cr_assert_eq(sc_conv_create(l, &o, &op), SC_OK);
    const sc_tensor d = sc_tensor_nchw(1, C, HW, HW);
    cr_assert_eq(sc_conv_plan(op, &d, &d), SC_OK, "%s", sc_last_message());
    expect_overlaps_refused(who, op, run_conv, l);
    sc_conv_destroy(op);
    sc_layer_destroy(l);
}

Test(run_overlap, conv_sparse) { conv_engine(SC_ENGINE_SPARSE, SC_AUTO_RULE, "sparse"); }
Test(run_overlap, conv_dense) { conv_engine(SC_ENGINE_DENSE, SC_AUTO_RULE, "dense"); }
Test(run_overlap, conv_auto) { conv_engine(SC_ENGINE_AUTO, SC_AUTO_RULE, "auto"); }

Test(run_overlap, backward_data)
{
    sc_layer *l = make_layer();
    sc_conv_bwd *op = NULL;
    cr_assert_eq(sc_conv_bwd_create(l, NULL, &op), SC_OK);
    const sc_tensor d = sc_tensor_nchw(1, C, HW, HW);
    cr_assert_eq(sc_conv_bwd_plan(op, &d, &d), SC_OK, "%s", sc_last_message());
    expect_overlaps_refused("backward data", op, run_bwd, l);
    sc_conv_bwd_destroy(op);
    sc_layer_destroy(l);
}

Test(run_overlap, conv_transpose)
{
    sc_layer *l = make_layer();
    sc_conv_transpose_params p = sc_conv_transpose_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    sc_conv_transpose *op = NULL;
    cr_assert_eq(sc_conv_transpose_create(l, &p, NULL, &op), SC_OK, "%s", sc_last_message());
    const sc_tensor d = sc_tensor_nchw(1, C, HW, HW);
    cr_assert_eq(sc_conv_transpose_plan(op, &d, &d), SC_OK, "%s", sc_last_message());
    expect_overlaps_refused("conv transpose", op, run_tconv, l);
    sc_conv_transpose_destroy(op);
    sc_layer_destroy(l);
}

/* The weight gradient writes nnz floats: refused on x, on dY and on the layer's values. */
Test(run_overlap, weight_gradient)
{
    sc_layer *l = make_layer();
    const sc_tensor d = sc_tensor_nchw(1, C, HW, HW);
    static float x[N_ACT], dy[N_ACT];
    fill(x, N_ACT, 2);
    fill(dy, N_ACT, 3);
    float *const val = layer_values(l);
    float val0[N_W];
    memcpy(val0, val, sizeof val0);
    float *const targets[3] = {x, dy + 5, val};
    for (int t = 0; t < 3; ++t) {
        const sc_status st = sc_conv_wgrad(l, NULL, &d, x, &d, dy, targets[t]);
        cr_expect_eq(st, SC_EINVAL, "target %d: %s (%s)", t, sc_strerror(st), sc_last_message());
    }
    cr_expect(memcmp(val, val0, sizeof val0) == 0, "the layer's values were written");
    float dw[N_W];
    cr_expect_eq(sc_conv_wgrad(l, NULL, &d, x, &d, dy, dw), SC_OK, "%s", sc_last_message());
    sc_layer_destroy(l);
}
