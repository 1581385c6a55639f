/* tests/sparse/test_conv_depthwise.c: the sparse engine's direct depthwise path against sc_conv_reference */
#define _DEFAULT_SOURCE  /* MAP_ANONYMOUS */
#include <criterion/criterion.h>
#include <stdio.h>

#include "conv_test_util.h"
#include "guarded.h"
#include "core/core.h"
#include "op/kernel_choice.h"

#define DW_SEED 20261207u

/* x views: dense NCHW, NCHW with padded rows and planes, channels 2.. of a wider NCHW
 * buffer, and a view that takes every other column (not unit-stride: rows are gathered). */
enum { XL_NCHW, XL_PADDED, XL_SLICE, XL_WSTRIDE, XL_N };
static const char *const xl_names[] = {"nchw", "padded", "slice", "wstride"};
/* y views: dense NCHW, padded NCHW, NHWC (columns C floats apart: stored element-wise) */
enum { YL_NCHW, YL_PADDED, YL_NHWC, YL_N };
static const char *const yl_names[] = {"nchw", "padded", "nhwc"};

static sc_tensor x_view(int kind, int64_t n, int64_t c, int64_t h, int64_t w, int64_t *off,
                        int64_t *len)
{
    sc_tensor t;
    *off = 0;
    switch (kind) {
    case XL_PADDED: t = ct_layout(CT_PADDED, n, c, h, w, off, len); break;
    case XL_SLICE: {
        const sc_tensor big = sc_tensor_nchw(n, c + 3, h, w);
        t = sc_tensor_slice_c(&big, 2, c);
        *off = sc_tensor_offset(&big, 0, 2, 0, 0);
        break;
    }
    case XL_WSTRIDE:
        t = sc_tensor_nchw(n, c, h, 2 * w);
        t.dims[SC_W] = w;
        t.strides[SC_W] = 2;
        break;
    default: t = sc_tensor_nchw(n, c, h, w); break;
    }
    *len = *off + sc_tensor_span(&t);  /* the view's last element ends the buffer */
    return t;
}

static sc_tensor y_view(int kind, int64_t n, int64_t c, int64_t h, int64_t w, int64_t *off,
                        int64_t *len)
{
    return ct_layout(kind == YL_PADDED ? CT_PADDED : kind == YL_NHWC ? CT_NHWC : CT_NCHW, n, c,
                     h, w, off, len);
}

typedef struct dw_case {
    int64_t n, c, ocg, h, w, k;
    sc_conv_params p;
    double sparsity;
    int act;        /* 0 none, 1 relu, 2 relu6, 3 clamp */
    int bias;       /* 0 none, 1 layer bias */
    int xl, yl;
} dw_case;

static sc_activation act_of(int a)
{
    return a == 0 ? sc_activation_none() : a == 1 ? sc_activation_relu()
         : a == 2 ? sc_activation_relu6() : sc_activation_clamp(-0.5f, 0.75f);
}

/* The direct kernel a kernel choice must give: the row kernel of its level's features. */
static const char *dw_name_for(sc_kernel_choice k)
{
    return k == SC_KERNEL_AVX512 ? "dw_f32__avx512" : k == SC_KERNEL_AVX2 ? "dw_f32__avx2"
                                                                          : "dw_f32__ref";
}

/* The kernel choices this process may use: portable always, AVX2 and AVX-512 when
 * sc_isa_available (the CPU and SCONV_ISA) allows; *skipped counts the others. */
static int choices(sc_kernel_choice out[3], int *skipped)
{
    int n = 0;
    out[n++] = SC_KERNEL_PORTABLE;
    if (sc_isa_available(SC_ISA_AVX2)) out[n++] = SC_KERNEL_AVX2;
    else ++*skipped;
    if (sc_isa_available(SC_ISA_AVX512)) out[n++] = SC_KERNEL_AVX512;
    else ++*skipped;
    return n;
}

/* Run c with kernel choice k on 1 and 2 threads against the reference (1 thread within the
 * scaled tolerance, 2 threads bitwise equal to it), and check that the plan named
 * `want_kernel`. Returns 1 on a failure (logged), else 0. */
static int run_case(const dw_case *c, sc_kernel_choice k, const char *want_kernel, int idx)
{
    char what[400];
    snprintf(what, sizeof what, "case %d (seed %u): n %lld c %lld ocg %lld in %lldx%lld k %lld "
             "stride %lldx%lld dil %lldx%lld pad t%lld l%lld b%lld r%lld sparsity %.2f act %d "
             "bias %d x %s y %s kernel %s", idx, DW_SEED, (long long)c->n, (long long)c->c,
             (long long)c->ocg, (long long)c->h, (long long)c->w, (long long)c->k,
             (long long)c->p.stride_h, (long long)c->p.stride_w, (long long)c->p.dil_h,
             (long long)c->p.dil_w, (long long)c->p.pad_top, (long long)c->p.pad_left,
             (long long)c->p.pad_bottom, (long long)c->p.pad_right, c->sparsity, c->act,
             c->bias, xl_names[c->xl], yl_names[c->yl], ct_kernel_name(k));
    ct_rng r = {DW_SEED + (uint64_t)idx};
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&c->p, c->k, c->k, c->h, c->w, &oh, &ow), SC_OK, "%s: %s",
                 what, sc_last_message());
    const int64_t oc = c->c * c->ocg;
    const sc_wdesc wd = {SC_OIHW, oc, 1, c->k, c->k};
    const int64_t nw = sc_wdesc_numel(&wd);
    float *w = malloc((size_t)nw * sizeof *w), *wp = malloc((size_t)nw * sizeof *w);
    uint8_t *mask = malloc((size_t)nw);
    float *bias = malloc((size_t)oc * sizeof *bias);
    ct_layer_spec spec = {.wd = wd, .params = &c->p, .sparsity = c->sparsity, .pruned = wp,
                          .what = what};
    ct_random_weights(&r, &spec, w, mask);
    for (int64_t o = 0; o < oc; ++o) bias[o] = (float)(ct_uniform(&r) - 0.5);
    spec.bias = c->bias ? bias : NULL;
    sc_layer *layer = ct_pack(&spec, w, mask);

    int64_t xoff, xlen, yoff, ylen;
    const sc_tensor xd = x_view(c->xl, c->n, c->c, c->h, c->w, &xoff, &xlen);
    const sc_tensor yd = y_view(c->yl, c->n, oc, oh, ow, &yoff, &ylen);
    guarded gx = guarded_alloc(xlen);
    float *x = gx.p;
    float *ref = malloc((size_t)ylen * sizeof *ref), *scale = malloc((size_t)ylen * sizeof *ref);
    float *y1 = malloc((size_t)ylen * sizeof *y1), *y2 = malloc((size_t)ylen * sizeof *y2);
    for (int64_t i = 0; i < xlen; ++i) x[i] = (float)(2 * ct_uniform(&r) - 1);
    for (int64_t i = 0; i < ylen; ++i) ref[i] = scale[i] = y1[i] = y2[i] = CT_UNSET;
    const sc_activation act = act_of(c->act);
    cr_assert_eq(sc_conv_reference(&c->p, &wd, wp, spec.bias, &act, &xd, x + xoff, &yd,
                                   ref + yoff), SC_OK, "%s: %s", what, sc_last_message());
    ct_abs_reference(&c->p, &wd, wp, spec.bias, &xd, x + xoff, &yd, scale + yoff);
    int bad = 0;
    for (int t = 1; t <= 2; ++t) {
        sc_conv_options opt = sc_conv_options_default();
        opt.engine = SC_ENGINE_SPARSE;
        opt.kernel = k;
        opt.threads = t;
        opt.act = act;
        sc_conv *op = NULL;
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK, "%s: %s", what, sc_last_message());
        cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s: %s", what, sc_last_message());
        sc_conv_choice ch;
        cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
        if (strcmp(ch.kernel, want_kernel) != 0) {
            cr_log_error("%s: kernel %s, expected %s", what, ch.kernel, want_kernel);
            bad = 1;
        }
        cr_assert_eq(sc_conv_run(op, x + xoff, (t == 1 ? y1 : y2) + yoff), SC_OK, "%s: %s",
                     what, sc_last_message());
        sc_conv_destroy(op);
    }
    bad |= ct_check_runs(what, ylen, ref, scale, y1, y2);
    sc_layer_destroy(layer);
    guarded_free(&gx);
    free(w), free(wp), free(mask), free(bias), free(ref), free(scale), free(y1), free(y2);
    return bad;
}

/* Geometry g of the 24 the sweep crosses: kernel 3 or 5, stride 1, 2 or 3, dilation 1 or 2,
 * "same" padding or an asymmetric one (the whole reach on top and right, none on the other
 * sides): both leave at least one output pixel for any image size. */
static void geometry(int g, dw_case *c)
{
    c->k = g % 2 ? 5 : 3;
    const int64_t s = 1 + g / 2 % 3, d = 1 + g / 6 % 2, reach = (c->k - 1) * d;
    c->p = sc_conv_params_default();
    c->p.stride_h = c->p.stride_w = s;
    c->p.dil_h = c->p.dil_w = d;
    if (g / 12 % 2 == 0) {
        c->p.pad_top = c->p.pad_left = c->p.pad_bottom = c->p.pad_right = reach / 2;
    } else {
        c->p.pad_top = reach, c->p.pad_right = reach;
        c->p.pad_left = 0, c->p.pad_bottom = 0;
    }
}

/* Every geometry at widths 1..40 (tails below, at and above one vector of either ISA),
 * with the sparsity, activation, bias, channel multiplier, batch, height and views cycling;
 * every kernel choice the process may use, 1 and 2 threads. */
Test(conv_depthwise, widths_1_to_40_match_reference)
{
    static const double sparsities[] = {0.0, 0.5, 0.9, 1.0};
    sc_kernel_choice ks[3];
    int skipped = 0;
    const int nk = choices(ks, &skipped);
    int fails = 0, ran = 0, idx = 0;
    for (int g = 0; g < 24; ++g)
        for (int64_t w = 1; w <= 40; ++w, ++idx) {
            dw_case c;
            memset(&c, 0, sizeof c);
            geometry(g, &c);
            c.w = w;
            c.h = 1 + (w + g) % 7;
            c.n = 1 + idx % 2;
            c.c = 3;
            c.ocg = 1 + idx / 2 % 2;
            c.sparsity = sparsities[idx % 4];
            c.act = idx / 4 % 4;
            c.bias = idx / 3 % 2;
            c.xl = idx / 5 % XL_N;
            c.yl = idx / 7 % YL_N;
            c.p.groups = c.c;
            for (int i = 0; i < nk; ++i, ++ran)
                fails += run_case(&c, ks[i], dw_name_for(ks[i]), idx);
        }
    printf("conv_depthwise: %d runs, %d failed, %d kernel choices skipped (ISA), seed %u\n", ran,
           fails, skipped, DW_SEED);
    cr_expect_eq(fails, 0, "%d of %d runs failed", fails, ran);
}

/* 1x1 images (every tap but the centre one in the padding, or none left at all with the
 * asymmetric padding) and rows long enough for the 4-vector steps (56, 112, 130 columns),
 * over every geometry and view. */
Test(conv_depthwise, one_pixel_images_and_long_rows_match_reference)
{
    static const int64_t widths[] = {1, 56, 112, 130};
    sc_kernel_choice ks[3];
    int skipped = 0;
    const int nk = choices(ks, &skipped);
    int fails = 0, idx = 1000;
    for (int g = 0; g < 24; ++g)
        for (int i = 0; i < 4; ++i, ++idx) {
            dw_case c;
            memset(&c, 0, sizeof c);
            geometry(g, &c);
            c.w = widths[i];
            c.h = i == 0 ? 1 : 3 + g % 4;
            c.n = 2;
            c.c = i == 0 ? 5 : 2;
            c.ocg = 1 + idx % 2;
            c.sparsity = idx % 3 == 0 ? 0.0 : 0.5;
            c.act = idx % 4;
            c.bias = 1;
            c.xl = idx % XL_N;
            c.yl = idx / 3 % YL_N;
            c.p.groups = c.c;
            for (int k = 0; k < nk; ++k) fails += run_case(&c, ks[k], dw_name_for(ks[k]), idx);
        }
    cr_expect_eq(fails, 0, "%d runs failed", fails);
}

/* Two channels of one image on 2 threads: planes are cut into row ranges, which must not
 * change a bit (stride 1 in place or gathered, stride 2 packed in several bands). */
Test(conv_depthwise, row_ranges_on_two_threads_are_bitwise_equal)
{
    int skipped = 0;
    sc_kernel_choice ks[3];
    const int nk = choices(ks, &skipped);
    int fails = 0;
    for (int g = 0; g < 4; ++g)
        for (int k = 0; k < nk; ++k) {
            dw_case c;
            memset(&c, 0, sizeof c);
            geometry(g, &c);
            c.n = 1, c.c = 2, c.ocg = 1, c.h = 37, c.w = 29, c.sparsity = 0.5, c.act = 1;
            c.bias = 1;
            c.xl = (g + k) % XL_N;  /* in place, gathered, packed in bands */
            c.yl = (g + k) % YL_N;
            c.p.groups = 2;
            fails += run_case(&c, ks[k], dw_name_for(ks[k]), 2000 + g);
        }
    cr_expect_eq(fails, 0, "%d runs failed", fails);
}

/* Channel-last activations keep the SpMM driver: the NHWC x of the same layer plans the
 * widest SpMM kernel of the choice's level, and matches the reference. */
Test(conv_depthwise, channel_last_x_keeps_the_spmm_path)
{
    int skipped = 0;
    sc_kernel_choice ks[3];
    const int nk = choices(ks, &skipped);
    for (int k = 0; k < nk; ++k) {
        const sc_cpu_set f = ks[k] == SC_KERNEL_AVX512 ? SC_CPU_X86_AVX512
                           : ks[k] == SC_KERNEL_AVX2   ? SC_CPU_X86_AVX2 : 0;
        const sc_spmm_kit kit = sc_spmm_kit_pick(f, 1);
        dw_case c;
        memset(&c, 0, sizeof c);
        geometry(0, &c);
        c.n = 1, c.c = 4, c.ocg = 1, c.h = 6, c.w = 9, c.sparsity = 0.5;
        c.p.groups = 4;
        c.xl = XL_NCHW;
        /* an NHWC x: the helper's views are channel-first, so build this one here */
        char what[64];
        snprintf(what, sizeof what, "nhwc %s", ct_kernel_name(ks[k]));
        ct_rng r = {DW_SEED};
        float wp[36];
        sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = {SC_OIHW, 4, 1, 3, 3},
                                                               .params = &c.p, .sparsity = 0.5,
                                                               .pruned = wp});
        sc_conv_options opt = sc_conv_options_default();
        opt.engine = SC_ENGINE_SPARSE;
        opt.kernel = ks[k];
        sc_conv *op = NULL;
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK, "%s", sc_last_message());
        const sc_tensor xd = sc_tensor_nhwc(1, 4, 6, 9), yd = sc_tensor_nchw(1, 4, 6, 9);
        cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
        sc_conv_choice ch;
        cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
        cr_expect_str_eq(ch.kernel, kit.chain[0]->name, "%s", what);
        sc_conv_destroy(op);
        sc_layer_destroy(layer);
    }
}

/* The auto engine on channel-first depthwise activations runs the direct kernel of the
 * process's level; a grouped layer with two input channels per group does not. */
Test(conv_depthwise, auto_plans_name_the_direct_kernel)
{
    const sc_isa level = sc_kernel_isa(SC_KERNEL_AUTO);
    const char *want = level == SC_ISA_AVX512 ? "dw_f32__avx512"
                     : level == SC_ISA_AVX2   ? "dw_f32__avx2" : "dw_f32__ref";
    for (int icg = 1; icg <= 2; ++icg) {
        sc_conv_params p = sc_conv_params_default();
        p.groups = 8;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
        ct_rng r = {DW_SEED};
        sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = {SC_OIHW, 8, icg, 3, 3},
                                                               .params = &p, .sparsity = 0.5});
        sc_conv *op = NULL;
        const sc_conv_options opt = sc_conv_options_default();
        cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK, "%s", sc_last_message());
        const sc_tensor xd = sc_tensor_nchw(1, 8 * icg, 14, 14), yd = sc_tensor_nchw(1, 8, 14, 14);
        cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
        sc_conv_choice ch;
        cr_assert_eq(sc_conv_describe(op, &ch), SC_OK);
        if (icg == 1) {
            cr_expect_eq(ch.engine, SC_ENGINE_SPARSE, "depthwise NCHW runs sparse");
            cr_expect_str_eq(ch.kernel, want, "level %s", sc_isa_name(level));
        } else if (ch.engine == SC_ENGINE_SPARSE) {
            cr_expect_eq(strncmp(ch.kernel, "dw_", 3) != 0, 1, "icg 2 planned %s", ch.kernel);
        }
        sc_conv_destroy(op);
        sc_layer_destroy(layer);
    }
}

/* Failing the 1st, 2nd, ... allocation of create, plan and run of a depthwise operator
 * returns SC_ENOMEM (the sanitizer build checks that nothing leaks) until all succeed. */
Test(conv_depthwise, allocation_failures_return_enomem)
{
    sc_conv_params p = sc_conv_params_default();
    p.groups = 3;
    p.stride_h = p.stride_w = 2;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    ct_rng r = {DW_SEED};
    sc_layer *layer = ct_random_layer(&r, &(ct_layer_spec){.wd = {SC_OIHW, 6, 1, 3, 3},
                                                           .params = &p, .sparsity = 0.5});
    const sc_tensor xd = sc_tensor_nchw(1, 3, 9, 9), yd = sc_tensor_nchw(1, 6, 5, 5);
    float x[243] = {0}, y[150];
    int done = 0, failures = 0;
    for (uint64_t n = 1; n < 64 && !done; ++n) {
        sc_conv_options opt = sc_conv_options_default();
        opt.engine = SC_ENGINE_SPARSE;
        opt.threads = 2;
        sc_conv *op = NULL;
        sc_alloc_fail_at(n);
        sc_status st = sc_conv_create(layer, &opt, &op);
        if (st == SC_OK) st = sc_conv_plan(op, &xd, &yd);
        if (st == SC_OK) st = sc_conv_run(op, x, y);
        sc_alloc_fail_at(0);
        if (st == SC_OK) {
            done = 1;
        } else {
            cr_expect_eq(st, SC_ENOMEM, "allocation %llu: %s", (unsigned long long)n,
                         sc_last_message());
            ++failures;
        }
        sc_conv_destroy(op);
    }
    cr_expect(done, "never succeeded");
    cr_expect_gt(failures, 3, "the plan's allocations were failed");
    sc_layer_destroy(layer);
}
