/* tests/prune/test_global.c: one ranking across layers equals the ranking of the concatenation */
#include <criterion/criterion.h>

#include "core/core.h"
#include "prune/prune_impl.h"
#include "prune_oracle.h"

#define N_LAYERS 3

/* Three layers of different sizes and layouts; the oracle is sc_prune_mask on one layer
 * holding the concatenation of their OIHW-flattened weights (PyTorch's parameters_to_vector),
 * which the brute-force tests of the single-layer method pin down. */
Test(global, equals_single_layer_on_concatenation)
{
    const sc_wdesc oihw[N_LAYERS] = {{SC_OIHW, 4, 3, 3, 3}, {SC_OIHW, 8, 4, 1, 1},
                                     {SC_OIHW, 3, 5, 2, 2}};
    const sc_wlayout lay[N_LAYERS] = {SC_OIHW, SC_HWIO, SC_OHWI};
    int64_t total = 0, at[N_LAYERS];
    for (int l = 0; l < N_LAYERS; ++l) {
        at[l] = total;
        total += sc_wdesc_numel(&oihw[l]);
    }
    float *cat = malloc(total * sizeof *cat), *wl[N_LAYERS];
    uint8_t *cat_mask = malloc(total), *masks[N_LAYERS], *back = malloc(total);
    sc_wdesc wd[N_LAYERS];
    fill_ties(cat, total, 3, 2024);
    for (int l = 0; l < N_LAYERS; ++l) {
        const int64_t n = sc_wdesc_numel(&oihw[l]);
        wd[l] = oihw[l];
        wd[l].layout = lay[l];
        wl[l] = malloc(n * sizeof *wl[l]);
        masks[l] = malloc(n);
        sc_weights_convert(&oihw[l], cat + at[l], lay[l], wl[l]);
    }
    const sc_wdesc cat_wd = {SC_OIHW, total, 1, 1, 1};
    const sc_wdesc *wdp[N_LAYERS] = {&wd[0], &wd[1], &wd[2]};
    const float *wp[N_LAYERS] = {wl[0], wl[1], wl[2]};
    const double amounts[] = {0.0, 0.3, 0.5, 0.77, 1.0};
    const sc_prune_method methods[] = {SC_PRUNE_GLOBAL, SC_PRUNE_L1, SC_PRUNE_THRESHOLD};
    for (size_t m = 0; m < 3; ++m)
        for (size_t a = 0; a < 5; ++a)
            for (int conv = 0; conv < 2; ++conv) {
                sc_prune_spec spec = sc_prune_spec_default();
                spec.method = methods[m];
                spec.amount = amounts[a];
                spec.threshold = amounts[a];
                spec.convention = conv ? SC_CONV_TFMOT : SC_CONV_TORCH;
                cr_assert_eq(sc_prune_mask(&spec, &cat_wd, cat, cat_mask), SC_OK);
                cr_assert_eq(sc_prune_mask_global(&spec, N_LAYERS, wdp, wp, masks), SC_OK, "%s",
                             sc_last_message());
                for (int l = 0; l < N_LAYERS; ++l) {
                    mask_convert(&wd[l], masks[l], SC_OIHW, back);
                    cr_expect_arr_eq(back, cat_mask + at[l], sc_wdesc_numel(&oihw[l]),
                                     "%s amount %g %s layer %d", sc_prune_method_name(methods[m]),
                                     amounts[a], conv ? "tfmot" : "torch", l);
                }
            }
    /* the count is over all weights: 0.5 of 200 removes exactly 100 in total */
    sc_prune_spec spec = sc_prune_spec_default();
    spec.method = SC_PRUNE_GLOBAL;
    spec.amount = 0.5;
    cr_assert_eq(sc_prune_mask_global(&spec, N_LAYERS, wdp, wp, masks), SC_OK);
    int64_t kept = 0;
    for (int l = 0; l < N_LAYERS; ++l) kept += count_kept(masks[l], sc_wdesc_numel(&wd[l]));
    cr_expect_eq(total, 200);
    cr_expect_eq(kept, 100);
    for (int l = 0; l < N_LAYERS; ++l) { free(wl[l]); free(masks[l]); }
    free(cat); free(cat_mask); free(back);
}

/* Ties across layers: the earlier layer's weights go first. */
Test(global, ties_go_to_the_earlier_layer)
{
    const sc_wdesc a = {SC_OIHW, 1, 2, 1, 1}, b = {SC_OIHW, 2, 1, 1, 1};
    const float wa[2] = {1, 2}, wb[2] = {-1, 1};
    uint8_t ma[2], mb[2];
    const sc_wdesc *wd[2] = {&a, &b};
    const float *w[2] = {wa, wb};
    uint8_t *m[2] = {ma, mb};
    sc_prune_spec spec = sc_prune_spec_default();
    spec.method = SC_PRUNE_GLOBAL;
    spec.count = 2;
    cr_assert_eq(sc_prune_mask_global(&spec, 2, wd, w, m), SC_OK);
    cr_expect(ma[0] == 0 && ma[1] == 1 && mb[0] == 0 && mb[1] == 1);
}

Test(global, failures_leave_every_mask_untouched)
{
    const sc_wdesc a = {SC_OIHW, 2, 2, 1, 1}, b = {SC_HWIO, 2, 1, 1, 2};
    float wa[4] = {1, 2, 3, 4}, wb[4] = {5, 6, 7, 8};
    uint8_t ma[4], mb[4];
    const sc_wdesc *wd[2] = {&a, &b};
    const float *w[2] = {wa, wb};
    uint8_t *m[2] = {ma, mb};
    sc_prune_spec spec = sc_prune_spec_default();
    spec.method = SC_PRUNE_GLOBAL;
    spec.amount = 0.5;
    memset(ma, 4, 4);
    memset(mb, 4, 4);
    wb[2] = NAN;
    cr_expect_eq(sc_prune_mask_global(&spec, 2, wd, w, m), SC_ENUMERIC);
    cr_expect(strstr(sc_last_message(), "layer 1") && strstr(sc_last_message(), "weight 2"), "%s",
              sc_last_message());
    wb[2] = 7;
    spec.method = SC_PRUNE_BLOCK;
    cr_expect_eq(sc_prune_mask_global(&spec, 2, wd, w, m), SC_EINVAL);
    spec.method = SC_PRUNE_GLOBAL;
    spec.count = 9;
    cr_expect_eq(sc_prune_mask_global(&spec, 2, wd, w, m), SC_EINVAL);
    spec.count = -1;
    cr_expect_eq(sc_prune_mask_global(&spec, 0, wd, w, m), SC_EINVAL);
    for (uint64_t k = 1; k <= 2; ++k) {
        sc_alloc_fail_at(k);
        cr_expect_eq(sc_prune_mask_global(&spec, 2, wd, w, m), SC_ENOMEM);
        sc_alloc_fail_at(0);
    }
    for (int i = 0; i < 4; ++i) cr_expect(ma[i] == 4 && mb[i] == 4);
    cr_assert_eq(sc_prune_mask_global(&spec, 2, wd, w, m), SC_OK);
    cr_expect_eq(count_kept(ma, 4) + count_kept(mb, 4), 4);
    cr_expect_eq(count_kept(mb, 4), 4, "layer b holds the 4 largest");
}
