/* tests/sparse/test_conv_sweep.c: randomised sweep of the sparse operator against sc_conv_reference */
#include <criterion/criterion.h>
#include <stdio.h>

#include "conv_test_util.h"
#include "core/core.h"

#define SWEEP_SEED 20261123u
#define SWEEP_CONFIGS 600

typedef struct sweep_cfg {
    int64_t n, ic, oc, h, w, kh, kw, groups;
    sc_conv_params p;
    double sparsity;
    sc_pack_order order;
    int xl, yl;
    sc_kernel_choice kernel;
    sc_activation act;
    int bias_mode;  /* 0 none, 1 layer bias, 2 options bias over a layer bias */
} sweep_cfg;

static void describe(const sweep_cfg *c, int idx, char *buf, size_t cap)
{
    snprintf(buf, cap, "config %d (seed %u): n %lld ic %lld oc %lld groups %lld in %lldx%lld "
             "k %lldx%lld stride %lldx%lld pad t%lld l%lld b%lld r%lld dil %lldx%lld "
             "sparsity %.2f pack %s x %s y %s kernel %s act %s bias %d",
             idx, SWEEP_SEED, (long long)c->n, (long long)c->ic, (long long)c->oc,
             (long long)c->groups, (long long)c->h, (long long)c->w, (long long)c->kh,
             (long long)c->kw, (long long)c->p.stride_h, (long long)c->p.stride_w,
             (long long)c->p.pad_top, (long long)c->p.pad_left, (long long)c->p.pad_bottom,
             (long long)c->p.pad_right, (long long)c->p.dil_h, (long long)c->p.dil_w,
             c->sparsity, sc_pack_order_name(c->order), ct_layout_names[c->xl],
             ct_layout_names[c->yl], ct_kernel_name(c->kernel),
             sc_activation_name(c->act.kind), c->bias_mode);
}

static sweep_cfg random_cfg(ct_rng *r, int idx)
{
    static const double sparsities[] = {0.0, 0.5, 0.9, 0.99, 1.0};
    sweep_cfg c;
    memset(&c, 0, sizeof c);
    c.p = sc_conv_params_default();
    ct_random_geometry(r, idx, 7, 3, true, &c.kh, &c.kw, &c.p);
    const int gk = (int)ct_int(r, 0, 4);  /* 0,1: one group; 2: two; 3: three; 4: depthwise */
    int64_t icg = ct_int(r, 1, 7), ocg = ct_int(r, 1, 7);
    c.groups = gk <= 1 ? 1 : gk == 2 ? 2 : gk == 3 ? 3 : ct_int(r, 2, 9);
    if (gk == 4) icg = 1, ocg = ct_int(r, 1, 2);
    c.ic = icg * c.groups;
    c.oc = ocg * c.groups;
    c.p.groups = c.groups;
    const int64_t need_h = (c.kh - 1) * c.p.dil_h + 1 - c.p.pad_top - c.p.pad_bottom;
    const int64_t need_w = (c.kw - 1) * c.p.dil_w + 1 - c.p.pad_left - c.p.pad_right;
    c.h = (need_h > 1 ? need_h : 1) + ct_int(r, 0, 9);
    c.w = (need_w > 1 ? need_w : 1) + ct_int(r, 0, idx % 4 == 0 ? 30 : 9);
    c.n = ct_int(r, 1, 3);
    c.sparsity = sparsities[idx % 5];
    c.order = ct_uniform(r) < 0.5 ? SC_PACK_CHW : SC_PACK_HWC;
    c.xl = (int)(idx / 5 % 4);
    c.yl = (int)(idx / 20 % 4);
    c.kernel = ct_sweep_kernel(idx / 80);
    const int a = (int)ct_int(r, 0, 3);
    c.act = a == 0 ? sc_activation_none() : a == 1 ? sc_activation_relu()
          : a == 2 ? sc_activation_relu6() : sc_activation_clamp(-0.5f, 0.75f);
    c.bias_mode = (int)ct_int(r, 0, 2);
    return c;
}

/* Returns 0 on success, 1 on a mismatch (logged with the configuration). */
static int run_cfg(const sweep_cfg *c, int idx, ct_rng *r)
{
    char what[512];
    describe(c, idx, what, sizeof what);
    if (c->kernel == SC_KERNEL_AVX2 && !sc_cpu_has_avx2_fma()) {
        printf("%s: skipped, no AVX2\n", what);
        return -1;
    }
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&c->p, c->kh, c->kw, c->h, c->w, &oh, &ow), SC_OK, "%s: %s",
                 what, sc_last_message());
    const sc_wdesc wd = {SC_OIHW, c->oc, c->ic / c->groups, c->kh, c->kw};
    const int64_t nw = sc_wdesc_numel(&wd);
    float *w = malloc((size_t)nw * sizeof *w), *wpruned = malloc((size_t)nw * sizeof *w);
    uint8_t *mask = malloc((size_t)nw);
    float bias[64], obias[64];
    ct_layer_spec spec = {.wd = wd, .params = &c->p, .order = c->order,
                          .sparsity = c->sparsity, .pruned = wpruned, .what = what};
    ct_random_weights(r, &spec, w, mask);
    for (int64_t o = 0; o < c->oc; ++o) {
        bias[o] = (float)(ct_uniform(r) - 0.5);
        obias[o] = (float)(ct_uniform(r) - 0.5);
    }
    spec.bias = c->bias_mode ? bias : NULL;
    sc_layer *layer = ct_pack(&spec, w, mask);
    const float *eff_bias = c->bias_mode == 2 ? obias : c->bias_mode ? bias : NULL;

    int64_t xoff, xlen, yoff, ylen;
    const sc_tensor xd = ct_layout(c->xl, c->n, c->ic, c->h, c->w, &xoff, &xlen);
    const sc_tensor yd = ct_layout(c->yl, c->n, c->oc, oh, ow, &yoff, &ylen);
    float *x = malloc((size_t)xlen * sizeof *x);
    float *ref = malloc((size_t)ylen * sizeof *ref), *scale = malloc((size_t)ylen * sizeof *ref);
    float *y1 = malloc((size_t)ylen * sizeof *y1), *y2 = malloc((size_t)ylen * sizeof *y2);
    for (int64_t i = 0; i < xlen; ++i) x[i] = (float)(2 * ct_uniform(r) - 1);
    for (int64_t i = 0; i < ylen; ++i) ref[i] = scale[i] = y1[i] = y2[i] = CT_UNSET;
    cr_assert_eq(sc_conv_reference(&c->p, &wd, wpruned, eff_bias, &c->act, &xd, x + xoff, &yd,
                                   ref + yoff), SC_OK, "%s: %s", what, sc_last_message());
    ct_abs_reference(&c->p, &wd, wpruned, eff_bias, &xd, x + xoff, &yd, scale + yoff);

    for (int t = 1; t <= 2; ++t) {
        sc_conv_options opt = sc_conv_options_default();
        opt.engine = SC_ENGINE_SPARSE;
        opt.kernel = c->kernel;
        opt.threads = t;
        opt.act = c->act;
        opt.bias = c->bias_mode == 2 ? obias : NULL;
        sc_conv *op = NULL;
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK, "%s: %s", what, sc_last_message());
        cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s: %s", what, sc_last_message());
        cr_assert_eq(sc_conv_run(op, x + xoff, (t == 1 ? y1 : y2) + yoff), SC_OK, "%s: %s",
                     what, sc_last_message());
        sc_conv_destroy(op);
    }
    const int bad = ct_check_runs(what, ylen, ref, scale, y1, y2);
    sc_layer_destroy(layer);
    free(w), free(wpruned), free(mask), free(x), free(ref), free(scale), free(y1), free(y2);
    return bad;
}

Test(conv_sweep, random_configurations_match_reference)
{
    ct_rng r = {SWEEP_SEED};
    int fails = 0, ran = 0, skipped = 0;
    for (int idx = 0; idx < SWEEP_CONFIGS; ++idx) {
        sweep_cfg c = random_cfg(&r, idx);
        const int res = run_cfg(&c, idx, &r);
        if (res < 0) {
            ++skipped;
            continue;
        }
        ++ran;
        fails += res;
    }
    printf("conv_sweep: %d configurations run, %d failed, %d skipped (no AVX2), seed %u\n", ran,
           fails, skipped, SWEEP_SEED);
    cr_expect_eq(fails, 0, "%d of %d configurations failed", fails, ran);
    cr_expect_geq(ran, 500 - skipped);
}
