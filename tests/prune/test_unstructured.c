/* tests/prune/test_unstructured.c: layer-wise magnitude pruning against brute-force oracles */
#include <criterion/criterion.h>

#include "core/core.h"
#include "prune/prune_impl.h"
#include "prune_oracle.h"

static const sc_wlayout layouts[3] = {SC_OIHW, SC_OHWI, SC_HWIO};

/* Tie-heavy weights, many amounts, both conventions, every layout: the mask equals the
 * brute-force oracle computed on the OIHW weights, permuted into the layout. */
Test(unstructured, ties_all_layouts_match_oracle)
{
    const sc_wdesc oihw = {SC_OIHW, 5, 3, 2, 3};
    const int64_t n = sc_wdesc_numel(&oihw);
    float *w = malloc(n * sizeof *w), *wl = malloc(n * sizeof *wl);
    double *score = malloc(n * sizeof *score);
    uint8_t *expect = malloc(n), *expect_l = malloc(n), *mask = malloc(n);
    fill_ties(w, n, 3, 99);  /* 7 magnitudes over 90 weights: ties everywhere */
    for (int64_t i = 0; i < n; ++i) score[i] = fabs((double)w[i]);
    const double amounts[] = {0.0, 0.1, 0.25, 0.5, 0.61, 0.9, 0.99, 1.0};
    for (size_t a = 0; a < sizeof amounts / sizeof amounts[0]; ++a)
        for (int conv = 0; conv < 2; ++conv) {
            sc_prune_spec spec = sc_prune_spec_default();
            spec.amount = amounts[a];
            spec.convention = conv ? SC_CONV_TFMOT : SC_CONV_TORCH;
            if (conv)
                oracle_keep_ge_kth(score, n, sc_prune_count_tfmot(amounts[a], n), expect);
            else
                oracle_remove_smallest(score, n, sc_prune_count_torch(amounts[a], n), expect);
            for (int l = 0; l < 3; ++l) {
                sc_wdesc wd = oihw;
                wd.layout = layouts[l];
                sc_weights_convert(&oihw, w, layouts[l], wl);
                mask_convert(&oihw, expect, layouts[l], expect_l);
                cr_assert_eq(sc_prune_mask(&spec, &wd, wl, mask), SC_OK, "%s", sc_last_message());
                cr_expect_arr_eq(mask, expect_l, n, "amount %g %s %s", amounts[a],
                                 conv ? "tfmot" : "torch", sc_wlayout_name(layouts[l]));
            }
        }
    free(w); free(wl); free(score); free(expect); free(expect_l); free(mask);
}

/* Hand-built ties: equal magnitudes go in OIHW order, whatever the storage layout. */
Test(unstructured, ties_by_oihw_index_in_hwio)
{
    /* OIHW (2, 1, 1, 2): all |w| = 1. Removing 3 takes OIHW indices 0, 1, 2. */
    const sc_wdesc oihw = {SC_OIHW, 2, 1, 1, 2}, hwio = {SC_HWIO, 2, 1, 1, 2};
    const float w_oihw[4] = {1, -1, 1, -1};
    float w_hwio[4];
    sc_weights_convert(&oihw, w_oihw, SC_HWIO, w_hwio);
    sc_prune_spec spec = sc_prune_spec_default();
    spec.count = 3;
    uint8_t mask[4];
    cr_assert_eq(sc_prune_mask(&spec, &hwio, w_hwio, mask), SC_OK);
    /* HWIO (1, 2, 1, 2): index (0, w, 0, o) = w * 2 + o; only OIHW (o=1, w=1) stays */
    const uint8_t expect[4] = {0, 0, 0, 1};
    cr_expect_arr_eq(mask, expect, 4);
}

Test(unstructured, zeros_go_first_and_amount_one_removes_all)
{
    const float w[6] = {0.0f, 3.0f, -0.0f, 1.0f, 0.0f, -2.0f};
    const sc_wdesc wd = {SC_OIHW, 1, 6, 1, 1};
    uint8_t mask[6];
    sc_prune_spec spec = sc_prune_spec_default();
    spec.amount = 0.5;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    const uint8_t half[6] = {0, 1, 0, 1, 0, 1};
    cr_expect_arr_eq(mask, half, 6);
    spec.amount = 1.0;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    cr_expect_eq(count_kept(mask, 6), 0);
    spec.convention = SC_CONV_TFMOT;  /* TF-MOT always keeps at least the largest */
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    const uint8_t one[6] = {0, 1, 0, 0, 0, 0};
    cr_expect_arr_eq(mask, one, 6);
    spec.amount = 0.0;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    cr_expect_eq(count_kept(mask, 6), 6, "amount 0 keeps everything, zeros included");
}

Test(unstructured, threshold)
{
    const float w[8] = {0.5f, -0.25f, 0.1f, -0.5f, 0.0f, 0.75f, -0.3f, 0.2f};
    const sc_wdesc wd = {SC_OIHW, 2, 1, 2, 2};
    uint8_t mask[8];
    sc_prune_spec spec = sc_prune_spec_default();
    spec.method = SC_PRUNE_THRESHOLD;
    spec.threshold = 0.25;  /* |w| < 0.25 goes; 0.25 itself stays */
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    const uint8_t expect[8] = {1, 1, 0, 1, 0, 1, 1, 0};
    cr_expect_arr_eq(mask, expect, 8);
    spec.threshold = 0.0;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    cr_expect_eq(count_kept(mask, 8), 8);
    spec.threshold = 1.0;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    cr_expect_eq(count_kept(mask, 8), 0);
}

Test(unstructured, nan_and_inf_refused_with_index)
{
    const sc_wdesc wd = {SC_HWIO, 2, 1, 1, 3};  /* HWIO shape (1, 3, 1, 2) */
    float w[6] = {1, 2, 3, 4, 5, 6};
    uint8_t mask[6];
    memset(mask, 9, sizeof mask);
    w[3] = NAN;  /* HWIO index 3 = (h 0, w 1, i 0, o 1) */
    sc_prune_spec spec = sc_prune_spec_default();
    spec.amount = 0.5;
    const sc_prune_method methods[] = {SC_PRUNE_L1, SC_PRUNE_PER_FILTER, SC_PRUNE_BLOCK,
                                       SC_PRUNE_NM, SC_PRUNE_FILTER, SC_PRUNE_THRESHOLD};
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; ++m) {
        spec.method = methods[m];
        cr_expect_eq(sc_prune_mask(&spec, &wd, w, mask), SC_ENUMERIC);
        cr_expect(strstr(sc_last_message(), "weight 3 (hwio, o=1 i=0 h=0 w=1) is NaN") != NULL,
                  "%s", sc_last_message());
        cr_expect_eq(mask[0], 9, "mask untouched");
    }
    w[3] = 4.0f;
    w[5] = -INFINITY;
    spec.method = SC_PRUNE_L1;
    cr_expect_eq(sc_prune_mask(&spec, &wd, w, mask), SC_ENUMERIC);
    cr_expect(strstr(sc_last_message(), "weight 5") && strstr(sc_last_message(), "Inf"), "%s",
              sc_last_message());
}

Test(unstructured, invalid_arguments)
{
    const sc_wdesc wd = {SC_OIHW, 2, 2, 1, 1}, bad_wd = {SC_OIHW, 0, 2, 1, 1};
    const float w[4] = {1, 2, 3, 4};
    uint8_t mask[4];
    sc_prune_spec ok = sc_prune_spec_default(), s;
#define BAD(expr) do { s = ok; expr; memset(mask, 5, 4); \
        cr_expect_eq(sc_prune_mask(&s, &wd, w, mask), SC_EINVAL, #expr); \
        cr_expect_eq(mask[0], 5, #expr ": mask untouched"); } while (0)
    BAD(s.amount = -0.1);
    BAD(s.amount = 1.5);
    BAD(s.amount = NAN);
    BAD(s.count = -2);
    BAD(s.count = 5);
    BAD(s.method = (sc_prune_method)42);
    BAD(s.convention = (sc_prune_convention)7);
    BAD((s.method = SC_PRUNE_BLOCK, s.block_r = 0));
    BAD((s.method = SC_PRUNE_BLOCK, s.block_c = -1));
    BAD((s.method = SC_PRUNE_BLOCK, s.block_score = (sc_block_score)3));
    BAD((s.method = SC_PRUNE_BLOCK, s.groups = 0));
    BAD((s.method = SC_PRUNE_BLOCK, s.groups = 3));  /* does not divide oc = 2 */
    BAD((s.method = SC_PRUNE_BLOCK, s.order = (sc_pack_order)2));
    BAD((s.method = SC_PRUNE_NM, s.n = 0));
    BAD((s.method = SC_PRUNE_NM, s.n = 5, s.m = 4));
    BAD((s.method = SC_PRUNE_FILTER, s.norm_p = 3.0));
    BAD((s.method = SC_PRUNE_FILTER, s.count = 3));  /* 2 filters */
    BAD((s.method = SC_PRUNE_PER_FILTER, s.count = 3));  /* 2 weights per row */
    BAD((s.method = SC_PRUNE_THRESHOLD, s.threshold = -1.0));
    BAD((s.method = SC_PRUNE_THRESHOLD, s.threshold = INFINITY));
#undef BAD
    cr_expect_eq(sc_prune_mask(NULL, &wd, w, mask), SC_EINVAL);
    cr_expect_eq(sc_prune_mask(&ok, &bad_wd, w, mask), SC_EINVAL);
    cr_expect_eq(sc_prune_mask(&ok, &wd, NULL, mask), SC_EINVAL);
    cr_expect_eq(sc_prune_mask(&ok, &wd, w, NULL), SC_EINVAL);
    /* methods that take no amount ignore it */
    s = ok;
    s.method = SC_PRUNE_NM;
    s.amount = 7.0;
    cr_expect_eq(sc_prune_mask(&s, &wd, w, mask), SC_OK, "%s", sc_last_message());
}

/* Fail the 1st, 2nd, ... allocation until the call succeeds: each failure is SC_ENOMEM
 * with the mask untouched, and the sanitizer build sees no leak. */
Test(unstructured, allocation_failures_every_method)
{
    const sc_wdesc wd = {SC_OHWI, 4, 3, 3, 3};
    const int64_t n = sc_wdesc_numel(&wd);
    float *w = malloc(n * sizeof *w);
    uint8_t *mask = malloc(n), *good = malloc(n);
    fill_ties(w, n, 4, 3);
    const sc_prune_method methods[] = {SC_PRUNE_L1, SC_PRUNE_PER_FILTER, SC_PRUNE_BLOCK,
                                       SC_PRUNE_NM, SC_PRUNE_FILTER, SC_PRUNE_THRESHOLD};
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; ++m) {
        sc_prune_spec spec = sc_prune_spec_default();
        spec.method = methods[m];
        spec.amount = 0.5;
        spec.block_r = 2;
        spec.block_c = 4;
        cr_assert_eq(sc_prune_mask(&spec, &wd, w, good), SC_OK);
        for (uint64_t k = 1;; ++k) {
            memset(mask, 3, (size_t)n);
            sc_alloc_fail_at(k);
            sc_status st = sc_prune_mask(&spec, &wd, w, mask);
            sc_alloc_fail_at(0);
            if (st == SC_OK) {
                cr_expect_arr_eq(mask, good, n);
                break;
            }
            cr_expect_eq(st, SC_ENOMEM, "method %s, allocation %llu", sc_prune_method_name(methods[m]),
                         (unsigned long long)k);
            cr_expect_eq(mask[0], 3);
            cr_assert_lt(k, 20);
        }
    }
    free(w); free(mask); free(good);
}
