/* tests/sparse/test_conv_csparse.c: second oracle: im2col + CSparse cs_dl_gaxpy in double */
#include <criterion/criterion.h>
#include <suitesparse/cs.h>

#include "conv_test_util.h"

/* y[n][o][p] = bias[o] + (W_g * col_g)[o][p] with col_g the im2col matrix of group g, in
 * double: W_g assembled as a CSparse triplet from the pruned weights, then compressed. */
static void oracle(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                   const float *bias, int64_t n_img, int64_t H, int64_t W, const float *x,
                   int64_t OH, int64_t OW, double *y)
{
    const int64_t G = p->groups, icg = wd->icg, ocg = wd->oc / G, K = icg * wd->kh * wd->kw;
    double *col = malloc((size_t)K * sizeof *col), *acc = malloc((size_t)ocg * sizeof *acc);
    for (int64_t g = 0; g < G; ++g) {
        cs_dl *t = cs_dl_spalloc(ocg, K, 1, 1, 1);
        for (int64_t o = 0; o < ocg; ++o)
            for (int64_t k = 0; k < K; ++k) {
                const float v = w[(g * ocg + o) * K + k];  /* OIHW: k = (i*kh + h)*kw + w */
                if (v != 0.0f) cs_dl_entry(t, o, k, v);
            }
        cs_dl *a = cs_dl_compress(t);
        cs_dl_spfree(t);
        for (int64_t n = 0; n < n_img; ++n)
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow) {
                    for (int64_t i = 0; i < icg; ++i)
                        for (int64_t kh = 0; kh < wd->kh; ++kh)
                            for (int64_t kw = 0; kw < wd->kw; ++kw) {
                                const int64_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
                                const int64_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
                                const int inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
                                col[(i * wd->kh + kh) * wd->kw + kw] =
                                    inside ? x[((n * G * icg + g * icg + i) * H + ih) * W + iw]
                                           : 0.0;
                            }
                    for (int64_t o = 0; o < ocg; ++o) acc[o] = bias ? bias[g * ocg + o] : 0.0;
                    cr_assert(cs_dl_gaxpy(a, col, acc));
                    for (int64_t o = 0; o < ocg; ++o)
                        y[((n * wd->oc + g * ocg + o) * OH + oh) * OW + ow] = acc[o];
                }
        cs_dl_spfree(a);
    }
    free(col), free(acc);
}

typedef struct cs_case {
    int64_t n, icg, oc, kh, kw, h, w;
    int64_t sh, sw, pt, pl, pb, pr, dh, dw, groups;
    double sparsity;
    sc_pack_order order;
} cs_case;

Test(conv_csparse, sparse_engine_matches_cs_gaxpy)
{
    static const cs_case cases[] = {
        {1, 64, 32, 1, 1, 14, 14, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0.9, SC_PACK_CHW},
        {2, 16, 24, 3, 3, 17, 13, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.8, SC_PACK_HWC},
        {1, 3, 16, 7, 7, 30, 30, 2, 2, 3, 3, 3, 3, 1, 1, 1, 0.5, SC_PACK_CHW},
        {1, 4, 12, 3, 3, 12, 15, 2, 3, 0, 2, 1, 0, 2, 1, 3, 0.0, SC_PACK_HWC},
        {3, 1, 10, 5, 3, 9, 9, 1, 2, 2, 1, 2, 1, 1, 2, 10, 0.3, SC_PACK_CHW},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ++ci) {
        const cs_case *c = &cases[ci];
        sc_conv_params p = {c->sh, c->sw, c->pt, c->pl, c->pb, c->pr, c->dh, c->dw, c->groups};
        const sc_wdesc wd = {SC_OIHW, c->oc, c->icg, c->kh, c->kw};
        const int64_t nw = sc_wdesc_numel(&wd), ic = c->icg * c->groups;
        int64_t oh, ow;
        cr_assert_eq(sc_conv_output_hw(&p, c->kh, c->kw, c->h, c->w, &oh, &ow), SC_OK);
        ct_rng r = {1000 + ci};
        float *w = malloc((size_t)nw * 4), bias[64];
        for (int64_t i = 0; i < nw; ++i)
            w[i] = ct_uniform(&r) < c->sparsity ? 0.0f : (float)(2 * ct_uniform(&r) - 1);
        for (int64_t o = 0; o < c->oc; ++o) bias[o] = (float)(ct_uniform(&r) - 0.5);
        const int64_t xn = c->n * ic * c->h * c->w, yn = c->n * c->oc * oh * ow;
        float *x = malloc((size_t)xn * 4), *y = malloc((size_t)yn * 4);
        double *ref = malloc((size_t)yn * sizeof *ref);
        for (int64_t i = 0; i < xn; ++i) x[i] = (float)(2 * ct_uniform(&r) - 1);
        oracle(&p, &wd, w, bias, c->n, c->h, c->w, x, oh, ow, ref);
        sc_layer *layer = ct_pack(&(ct_layer_spec){.wd = wd, .params = &p, .order = c->order,
                                                   .bias = bias}, w, NULL);
        for (int kern = 0; kern < 2; ++kern) {
            sc_conv_options opt = sc_conv_options_default();
            opt.engine = SC_ENGINE_SPARSE;
            opt.kernel = kern ? SC_KERNEL_PORTABLE : SC_KERNEL_AUTO;
            sc_conv *op = NULL;
            const sc_tensor xd = sc_tensor_nchw(c->n, ic, c->h, c->w);
            const sc_tensor yd = sc_tensor_nchw(c->n, c->oc, oh, ow);
            cr_assert_eq(sc_conv_create(layer, &opt, &op), SC_OK);
            cr_assert_eq(sc_conv_plan(op, &xd, &yd), SC_OK, "%s", sc_last_message());
            cr_assert_eq(sc_conv_run(op, x, y), SC_OK);
            /* |sum| <= K * max|w x| + |b|, inputs in [-1, 1]: tolerance from K terms */
            const double tol = 1e-5 * (double)(c->icg * c->kh * c->kw + 1);
            for (int64_t i = 0; i < yn; ++i)
                cr_expect(fabs(y[i] - ref[i]) <= tol, "case %zu kernel %d: y[%lld] = %.9g, "
                          "cs_gaxpy %.9g", ci, kern, (long long)i, (double)y[i], ref[i]);
            sc_conv_destroy(op);
        }
        sc_layer_destroy(layer);
        free(w), free(x), free(y), free(ref);
    }
}
