/* tests/sparse/test_backward_grad.c: masked weight gradients, the adjoint identity, finite differences, API */
#include <criterion/criterion.h>
#include <stdio.h>

#include "conv_test_util.h"
#include "core/core.h"
#include "layer/layer_impl.h"

#define GRAD_SEED 20261125u

typedef struct g_cfg {
    int64_t n, ic, oc, h, w, kh, kw, groups;
    sc_conv_params p;
    double sparsity;
    sc_pack_order order;
    int xl, yl;
    sc_kernel_choice kernel;
} g_cfg;

static void describe(const g_cfg *c, const char *what, int idx, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s config %d (seed %u): n %lld ic %lld oc %lld groups %lld in %lldx%lld "
             "k %lldx%lld stride %lldx%lld pad t%lld l%lld b%lld r%lld dil %lldx%lld "
             "sparsity %.2f pack %s x %s dy %s kernel %s", what, idx, GRAD_SEED,
             (long long)c->n, (long long)c->ic, (long long)c->oc, (long long)c->groups,
             (long long)c->h, (long long)c->w, (long long)c->kh, (long long)c->kw,
             (long long)c->p.stride_h, (long long)c->p.stride_w, (long long)c->p.pad_top,
             (long long)c->p.pad_left, (long long)c->p.pad_bottom, (long long)c->p.pad_right,
             (long long)c->p.dil_h, (long long)c->p.dil_w, c->sparsity,
             sc_pack_order_name(c->order), ct_layout_names[c->xl], ct_layout_names[c->yl],
             ct_kernel_name(c->kernel));
}

/* tiny != 0 keeps every extent small (adjoint and finite differences in double). */
static g_cfg random_cfg(ct_rng *r, int idx, int tiny)
{
    static const double sparsities[] = {0.0, 0.5, 0.9, 1.0};
    g_cfg c;
    memset(&c, 0, sizeof c);
    c.p = sc_conv_params_default();
    ct_random_geometry(r, idx, tiny ? 3 : 5, 2, false, &c.kh, &c.kw, &c.p);
    const int gk = (int)ct_int(r, 0, 3);
    int64_t icg = ct_int(r, 1, tiny ? 3 : 6), ocg = ct_int(r, 1, tiny ? 3 : 6);
    c.groups = gk <= 1 ? 1 : gk == 2 ? 2 : 3;
    c.ic = icg * c.groups;
    c.oc = ocg * c.groups;
    c.p.groups = c.groups;
    const int64_t need_h = (c.kh - 1) * c.p.dil_h + 1 - c.p.pad_top - c.p.pad_bottom;
    const int64_t need_w = (c.kw - 1) * c.p.dil_w + 1 - c.p.pad_left - c.p.pad_right;
    c.h = (need_h > 1 ? need_h : 1) + ct_int(r, 0, tiny ? 4 : 12);
    c.w = (need_w > 1 ? need_w : 1) + ct_int(r, 0, tiny ? 4 : (idx % 3 == 0 ? 40 : 12));
    c.n = ct_int(r, 1, tiny ? 2 : 3);
    c.sparsity = sparsities[idx % 4];
    c.order = ct_uniform(r) < 0.5 ? SC_PACK_CHW : SC_PACK_HWC;
    c.xl = (int)(idx / 4 % 4);
    c.yl = (int)(idx / 16 % 4);
    c.kernel = ct_sweep_kernel(idx / 2);
    return c;
}

/* A layer with random weights pruned at c's sparsity; w gets the pruned dense OIHW copy. */
static sc_layer *make_layer(ct_rng *r, const g_cfg *c, const sc_wdesc *wd, float *w)
{
    return ct_random_layer(r, &(ct_layer_spec){.wd = *wd, .params = &c->p, .order = c->order,
                                               .sparsity = c->sparsity,
                                               .masks_after_weights = true, .pruned = w});
}

/* OIHW index of the layer's nonzero j (row o, column k in the pack order). */
static int64_t nz_index(const sc_layer *L, const sc_csr_view *v, int64_t o, int64_t j)
{
    int64_t i, kh, kw;
    sc_pack_unk(L->order, L->wd.icg, L->wd.kh, L->wd.kw, sc_csr_col(v, j), &i, &kh, &kw);
    return ((o * L->wd.icg + i) * L->wd.kh + kh) * L->wd.kw + kw;
}

/* ---- masked weight gradient vs the dense reference gradient at the kept positions ---- */

static int run_wgrad(const g_cfg *c, int idx, ct_rng *r)
{
    char what[600];
    describe(c, "weight gradient", idx, what, sizeof what);
    if (c->kernel == SC_KERNEL_AVX2 && !sc_cpu_has_avx2_fma()) return -1;
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&c->p, c->kh, c->kw, c->h, c->w, &oh, &ow), SC_OK);
    const sc_wdesc wd = {SC_OIHW, c->oc, c->ic / c->groups, c->kh, c->kw};
    const int64_t nw = sc_wdesc_numel(&wd);
    float *w = malloc((size_t)nw * sizeof *w);
    sc_layer *layer = make_layer(r, c, &wd, w);
    int64_t xoff, xlen, yoff, ylen;
    const sc_tensor xd = ct_layout(c->xl, c->n, c->ic, c->h, c->w, &xoff, &xlen);
    const sc_tensor dyd = ct_layout(c->yl, c->n, c->oc, oh, ow, &yoff, &ylen);
    float *x = ct_float_buf(r, xlen), *dy = ct_float_buf(r, ylen);
    float *ax = malloc((size_t)xlen * sizeof *ax), *ady = malloc((size_t)ylen * sizeof *ady);
    for (int64_t i = 0; i < xlen; ++i) ax[i] = fabsf(x[i]);
    for (int64_t i = 0; i < ylen; ++i) ady[i] = fabsf(dy[i]);
    float *ref = malloc((size_t)nw * sizeof *ref), *scale = malloc((size_t)nw * sizeof *scale);
    cr_assert_eq(sc_conv_wgrad_reference(&c->p, &wd, &xd, x + xoff, &dyd, dy + yoff, ref), SC_OK,
                 "%s: %s", what, sc_last_message());
    cr_assert_eq(sc_conv_wgrad_reference(&c->p, &wd, &xd, ax + xoff, &dyd, ady + yoff, scale),
                 SC_OK);
    sc_csr_view v;
    sc_layer_get_csr(layer, &v);
    float *g[2];
    for (int t = 0; t < 2; ++t) {
        g[t] = malloc((size_t)(v.nnz + 1) * sizeof *g[t]);
        sc_wgrad_options opt = sc_wgrad_options_default();
        opt.threads = t + 1;
        opt.kernel = c->kernel;
        cr_assert_eq(sc_conv_wgrad(layer, &opt, &xd, x + xoff, &dyd, dy + yoff, g[t]), SC_OK,
                     "%s: %s", what, sc_last_message());
    }
    int bad = 0;
    for (int64_t o = 0; o < v.rows && !bad; ++o)
        for (int64_t j = v.row_ptr[o]; j < v.row_ptr[o + 1] && !bad; ++j) {
            const int64_t k = nz_index(layer, &v, o, j);
            const double tol = 1e-5 * scale[k] + 1e-6;
            if (!(fabs((double)g[0][j] - ref[k]) <= tol)) {
                cr_log_error("%s: dW at nonzero %lld (dense %lld) = %.9g, reference %.9g "
                             "(scale %g)", what, (long long)j, (long long)k, (double)g[0][j],
                             (double)ref[k], (double)scale[k]);
                bad = 1;
            } else if (memcmp(&g[0][j], &g[1][j], sizeof(float)) != 0) {
                cr_log_error("%s: 1 and 2 threads differ at nonzero %lld", what, (long long)j);
                bad = 1;
            }
        }
    sc_layer_destroy(layer);
    free(w), free(x), free(dy), free(ax), free(ady), free(ref), free(scale), free(g[0]),
        free(g[1]);
    return bad;
}

Test(backward_grad, masked_weight_gradient_matches_reference, .timeout = 300)
{
    ct_rng r = {GRAD_SEED};
    int fails = 0, ran = 0, skipped = 0;
    for (int idx = 0; idx < 256; ++idx) {
        g_cfg c = random_cfg(&r, idx, 0);
        const int res = run_wgrad(&c, idx, &r);
        if (res < 0) {
            ++skipped;
            continue;
        }
        ++ran;
        fails += res;
    }
    printf("weight gradient sweep: %d run, %d failed, %d skipped (no AVX2), seed %u\n", ran,
           fails, skipped, GRAD_SEED);
    cr_expect_eq(fails, 0, "%d of %d configurations failed", fails, ran);
    cr_expect_geq(ran, 256 - skipped);
}

/* ---- the adjoint identity <conv(x), dy> = <x, conv^T(dy)> ---- */

static double dot_view(const sc_tensor *d, const float *a, const float *b, double *mag)
{
    double s = 0.0, m = 0.0;
    for (int64_t n = 0; n < d->dims[SC_N]; ++n)
        for (int64_t c = 0; c < d->dims[SC_C]; ++c)
            for (int64_t h = 0; h < d->dims[SC_H]; ++h)
                for (int64_t w = 0; w < d->dims[SC_W]; ++w) {
                    const int64_t i = sc_tensor_offset(d, n, c, h, w);
                    s += (double)a[i] * (double)b[i];
                    m += fabs((double)a[i] * (double)b[i]);
                }
    *mag = m;
    return s;
}

static int run_adjoint(const g_cfg *c, int idx, ct_rng *r)
{
    char what[600];
    describe(c, "adjoint", idx, what, sizeof what);
    if (c->kernel == SC_KERNEL_AVX2 && !sc_cpu_has_avx2_fma()) return -1;
    int64_t oh, ow;
    cr_assert_eq(sc_conv_output_hw(&c->p, c->kh, c->kw, c->h, c->w, &oh, &ow), SC_OK);
    const sc_wdesc wd = {SC_OIHW, c->oc, c->ic / c->groups, c->kh, c->kw};
    float *w = malloc((size_t)sc_wdesc_numel(&wd) * sizeof *w);
    sc_layer *layer = make_layer(r, c, &wd, w);
    int64_t xoff, xlen, yoff, ylen;
    const sc_tensor xd = ct_layout(c->xl, c->n, c->ic, c->h, c->w, &xoff, &xlen);
    const sc_tensor yd = ct_layout(c->yl, c->n, c->oc, oh, ow, &yoff, &ylen);
    float *x = ct_float_buf(r, xlen), *dy = ct_float_buf(r, ylen);
    float *y = calloc((size_t)ylen, sizeof *y), *dx = calloc((size_t)xlen, sizeof *dx);
    float *yr = calloc((size_t)ylen, sizeof *y), *dxr = calloc((size_t)xlen, sizeof *dx);
    /* sparse forward (conv.h) and sparse backward */
    sc_conv_options fo = sc_conv_options_default();
    fo.engine = SC_ENGINE_SPARSE;
    fo.kernel = c->kernel;
    sc_conv *fwd = NULL;
    cr_assert_eq(sc_conv_create(layer, &fo, &fwd), SC_OK, "%s: %s", what, sc_last_message());
    cr_assert_eq(sc_conv_plan(fwd, &xd, &yd), SC_OK, "%s: %s", what, sc_last_message());
    cr_assert_eq(sc_conv_run(fwd, x + xoff, y + yoff), SC_OK);
    sc_conv_destroy(fwd);
    sc_conv_bwd_options bo = sc_conv_bwd_options_default();
    bo.kernel = c->kernel;
    sc_conv_bwd *bwd = NULL;
    cr_assert_eq(sc_conv_bwd_create(layer, &bo, &bwd), SC_OK);
    cr_assert_eq(sc_conv_bwd_plan(bwd, &yd, &xd), SC_OK, "%s: %s", what, sc_last_message());
    cr_assert_eq(sc_conv_bwd_run(bwd, dy + yoff, dx + xoff), SC_OK);
    sc_conv_bwd_destroy(bwd);
    /* dense references */
    cr_assert_eq(sc_conv_reference(&c->p, &wd, w, NULL, NULL, &xd, x + xoff, &yd, yr + yoff),
                 SC_OK);
    cr_assert_eq(sc_conv_bwd_data_reference(&c->p, &wd, w, &yd, dy + yoff, &xd, dxr + xoff),
                 SC_OK);
    double m1, m2, m3, m4;
    const double lhs = dot_view(&yd, y + yoff, dy + yoff, &m1);
    const double rhs = dot_view(&xd, x + xoff, dx + xoff, &m2);
    const double lhs_r = dot_view(&yd, yr + yoff, dy + yoff, &m3);
    const double rhs_r = dot_view(&xd, x + xoff, dxr + xoff, &m4);
    int bad = 0;
    const double mag = (m1 > m2 ? m1 : m2) + 1e-30;
    if (!(fabs(lhs - rhs) <= 1e-5 * mag)) {
        cr_log_error("%s: sparse <conv(x), dy> = %.12g but <x, conv^T(dy)> = %.12g (magnitude "
                     "%g)", what, lhs, rhs, mag);
        bad = 1;
    }
    const double mag_r = (m3 > m4 ? m3 : m4) + 1e-30;
    if (!(fabs(lhs_r - rhs_r) <= 1e-5 * mag_r)) {
        cr_log_error("%s: dense reference <conv(x), dy> = %.12g but <x, conv^T(dy)> = %.12g",
                     what, lhs_r, rhs_r);
        bad = 1;
    }
    sc_layer_destroy(layer);
    free(w), free(x), free(dy), free(y), free(dx), free(yr), free(dxr);
    return bad;
}

Test(backward_grad, adjoint_identity_on_tiny_cases)
{
    ct_rng r = {GRAD_SEED + 1};
    int fails = 0, ran = 0;
    for (int idx = 0; idx < 200; ++idx) {
        g_cfg c = random_cfg(&r, idx, 1);
        const int res = run_adjoint(&c, idx, &r);
        if (res < 0) continue;
        ++ran;
        fails += res;
    }
    printf("adjoint: %d tiny configurations, %d failed, seed %u\n", ran, fails, GRAD_SEED + 1);
    cr_expect_eq(fails, 0);
    cr_expect_gt(ran, 90);
}

/* ---- finite differences: dW_j = d<conv(x; w), dy>/dw_j, f linear in w, in double ---- */

static double objective(const g_cfg *c, const sc_wdesc *wd, const float *w, const sc_tensor *xd,
                        const float *x, const sc_tensor *yd, const float *dy, float *y)
{
    cr_assert_eq(sc_conv_reference(&c->p, wd, w, NULL, NULL, xd, x, yd, y), SC_OK);
    double m;
    return dot_view(yd, y, dy, &m);
}

Test(backward_grad, weight_gradient_by_finite_differences)
{
    ct_rng r = {GRAD_SEED + 2};
    int fails = 0, checked = 0;
    for (int idx = 0; idx < 40; ++idx) {
        g_cfg c = random_cfg(&r, idx, 1);
        c.sparsity = 0.5;
        c.xl = CT_NCHW, c.yl = CT_NCHW;
        if (c.kernel == SC_KERNEL_AVX2 && !sc_cpu_has_avx2_fma()) c.kernel = SC_KERNEL_PORTABLE;
        char what[600];
        describe(&c, "finite differences", idx, what, sizeof what);
        int64_t oh, ow;
        cr_assert_eq(sc_conv_output_hw(&c.p, c.kh, c.kw, c.h, c.w, &oh, &ow), SC_OK);
        const sc_wdesc wd = {SC_OIHW, c.oc, c.ic / c.groups, c.kh, c.kw};
        const int64_t nw = sc_wdesc_numel(&wd);
        float *w = malloc((size_t)nw * sizeof *w);
        sc_layer *layer = make_layer(&r, &c, &wd, w);
        const sc_tensor xd = sc_tensor_nchw(c.n, c.ic, c.h, c.w);
        const sc_tensor yd = sc_tensor_nchw(c.n, c.oc, oh, ow);
        const int64_t ylen = sc_tensor_numel(&yd);
        float *x = ct_float_buf(&r, sc_tensor_numel(&xd)), *dy = ct_float_buf(&r, ylen);
        float *y = malloc((size_t)ylen * sizeof *y);
        sc_csr_view v;
        sc_layer_get_csr(layer, &v);
        float *g = malloc((size_t)(v.nnz + 1) * sizeof *g);
        sc_wgrad_options opt = sc_wgrad_options_default();
        opt.kernel = c.kernel;
        cr_assert_eq(sc_conv_wgrad(layer, &opt, &xd, x, &yd, dy, g), SC_OK, "%s: %s", what,
                     sc_last_message());
        /* scale: sum |dy||x| over the pairs a weight meets bounds the rounding of f */
        double ymag = 0.0;
        for (int64_t i = 0; i < ylen; ++i) ymag += fabs((double)dy[i]);
        const float hstep = 0.5f;  /* f is linear: no truncation error, rounding only */
        for (int64_t o = 0; o < v.rows; ++o)
            for (int64_t j = v.row_ptr[o]; j < v.row_ptr[o + 1]; ++j) {
                const int64_t k = nz_index(layer, &v, o, j);
                const float w0 = w[k];
                w[k] = w0 + hstep;
                const double fp = objective(&c, &wd, w, &xd, x, &yd, dy, y);
                w[k] = w0 - hstep;
                const double fm = objective(&c, &wd, w, &xd, x, &yd, dy, y);
                w[k] = w0;
                const double fd = (fp - fm) / (2.0 * (double)hstep);
                /* y is rounded to float: |error of f| <= eps * sum |y||dy| per evaluation */
                const double tol = 1e-5 * (1.0 + fabs(fd)) + 4e-7 * ymag * 8.0;
                ++checked;
                if (!(fabs(fd - (double)g[j]) <= tol)) {
                    cr_log_error("%s: nonzero %lld: finite difference %.9g, sconv %.9g", what,
                                 (long long)j, fd, (double)g[j]);
                    ++fails;
                }
            }
        sc_layer_destroy(layer);
        free(w), free(x), free(dy), free(y), free(g);
    }
    printf("finite differences: %d weights checked, %d failed, seed %u\n", checked, fails,
           GRAD_SEED + 2);
    cr_expect_eq(fails, 0);
    cr_expect_gt(checked, 100);
}
