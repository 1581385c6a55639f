/* tests/prune/test_count_rule.c: how amounts become counts: PyTorch vs TF-MOT, exact kept counts */
#include <criterion/criterion.h>

#include "prune/prune_impl.h"
#include "prune_oracle.h"

/* Expected values computed by the frameworks themselves: torch_remove = Python
 * round(amount * n) (torch.nn.utils.prune._compute_nparams_toprune), tfmot_keep =
 * max(tf.math.round(tf.cast(n, tf.float32) * (1 - tf.constant(amount, tf.float32))), 1)
 * run in TensorFlow 2.21 (pruning_impl._update_mask). The half-way cases differ. */
static const struct {
    int64_t n;
    double amount;
    int64_t torch_remove, tfmot_keep;
} cases[] = {
    {5, 0.5, 2, 2},    {3, 0.5, 2, 2},     {10, 0.25, 2, 8},  {10, 0.35, 4, 6},
    {1, 0.5, 0, 1},    {1, 1.0, 1, 1},     {4, 0.9, 4, 1},    {7, 0.5, 4, 4},
    {4, 0.125, 0, 4},  {4, 0.375, 2, 2},   {4, 0.625, 2, 2},  {6, 0.25, 2, 4},
    {6, 0.75, 4, 2},   {2, 0.25, 0, 2},    {2, 0.75, 2, 1},   {10, 0.05, 0, 10},
    {100, 0.125, 12, 88}, {8, 0.5625, 4, 4}, {3, 1.0 / 3.0, 1, 2}, {1000, 0.9995, 1000, 1},
    {20, 0.35, 7, 13}, {10, 0.15, 2, 8},   {10, 0.45, 4, 6},  {7, 0.0, 0, 7},
    {7, 1.0, 7, 1},
    /* TF-MOT's float32 arithmetic differs from double here (double would keep 2, 5, 1, 14, 5) */
    {10, 0.85, 8, 1},  {15, 0.7, 10, 4},   {15, 0.9, 14, 2},  {25, 0.46, 12, 13},
    {25, 0.78, 20, 6},
};
#define N_CASES (sizeof cases / sizeof cases[0])

Test(count_rule, torch_and_tfmot_rules)
{
    for (size_t c = 0; c < N_CASES; ++c) {
        cr_expect_eq(sc_prune_count_torch(cases[c].amount, cases[c].n), cases[c].torch_remove,
                     "torch: n=%lld amount=%.17g", (long long)cases[c].n, cases[c].amount);
        cr_expect_eq(sc_prune_count_tfmot(cases[c].amount, cases[c].n), cases[c].tfmot_keep,
                     "tfmot: n=%lld amount=%.17g", (long long)cases[c].n, cases[c].amount);
    }
}

/* The masks keep exactly those counts: 1-D layers (n x 1 x 1 x 1) and a 4-D one of the
 * same size, distinct magnitudes (no ties, so TF-MOT keeps exactly k). */
Test(count_rule, masks_keep_exact_counts)
{
    for (size_t c = 0; c < N_CASES; ++c) {
        const int64_t n = cases[c].n;
        sc_wdesc wd = {SC_OIHW, n, 1, 1, 1};
        float *w = malloc((size_t)n * sizeof *w);
        uint8_t *mask = malloc((size_t)n);
        fill_distinct(w, n, 11 + c);
        sc_prune_spec spec = sc_prune_spec_default();
        spec.amount = cases[c].amount;
        for (int shape = 0; shape < 2; ++shape) {
            if (shape == 1) {  /* the same count as (1, n, 1, 1) in HWIO */
                wd = (sc_wdesc){SC_HWIO, 1, n, 1, 1};
            }
            spec.convention = SC_CONV_TORCH;
            cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK, "%s", sc_last_message());
            cr_expect_eq(count_kept(mask, n), n - cases[c].torch_remove, "torch n=%lld a=%g",
                         (long long)n, cases[c].amount);
            spec.convention = SC_CONV_TFMOT;
            cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK, "%s", sc_last_message());
            cr_expect_eq(count_kept(mask, n), cases[c].tfmot_keep, "tfmot n=%lld a=%g",
                         (long long)n, cases[c].amount);
        }
        free(w);
        free(mask);
    }
}

/* Tiny layers, every amount on a grid of 1/40: torch keeps n - round_half_even(a n). */
Test(count_rule, tiny_layers_all_amounts)
{
    for (int64_t n = 1; n <= 7; ++n) {
        float w[7];
        uint8_t mask[7];
        fill_distinct(w, n, (uint64_t)n);
        const sc_wdesc wd = {SC_OIHW, 1, n, 1, 1};
        for (int step = 0; step <= 40; ++step) {
            sc_prune_spec spec = sc_prune_spec_default();
            spec.amount = step / 40.0;
            cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
            /* round half to even, by hand: the product a*n in exact quarters/eighths */
            const double x = spec.amount * (double)n, fl = floor(x);
            int64_t expect = (int64_t)fl;
            if (x - fl > 0.5 || (x - fl == 0.5 && ((int64_t)fl & 1))) expect += 1;
            cr_expect_eq(count_kept(mask, n), n - expect, "n=%lld amount=%g", (long long)n,
                         spec.amount);
            /* the pruned ones are the smallest |w|: every kept |w| > every removed |w| */
            for (int64_t a = 0; a < n; ++a)
                for (int64_t b = 0; b < n; ++b)
                    if (mask[a] && !mask[b]) cr_expect(fabsf(w[a]) > fabsf(w[b]));
        }
    }
}

Test(count_rule, exact_count_overrides_amount)
{
    float w[12];
    uint8_t mask[12];
    fill_distinct(w, 12, 5);
    const sc_wdesc wd = {SC_OIHW, 3, 1, 2, 2};
    sc_prune_spec spec = sc_prune_spec_default();
    spec.amount = 0.9;
    for (int64_t c = 0; c <= 12; ++c) {
        spec.count = c;
        spec.convention = c % 2 ? SC_CONV_TFMOT : SC_CONV_TORCH;  /* ignored with a count */
        cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
        cr_expect_eq(count_kept(mask, 12), 12 - c, "count %lld", (long long)c);
    }
    spec.count = 13;
    memset(mask, 7, sizeof mask);
    cr_expect_eq(sc_prune_mask(&spec, &wd, w, mask), SC_EINVAL);
    cr_expect(strstr(sc_last_message(), "13") != NULL, "%s", sc_last_message());
    cr_expect_eq(mask[0], 7, "a failed call leaves the mask untouched");
}

/* n = 5 at 50 % with ties: torch removes 2 (the lower indices of the tied), TF-MOT's
 * threshold keeps every weight equal to the 2nd largest |w|. */
Test(count_rule, half_way_with_ties)
{
    const float w[5] = {1.0f, -2.0f, 2.0f, 3.0f, -2.0f};
    const sc_wdesc wd = {SC_OIHW, 5, 1, 1, 1};
    uint8_t mask[5];
    sc_prune_spec spec = sc_prune_spec_default();
    spec.amount = 0.5;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    const uint8_t torch[5] = {0, 0, 1, 1, 1};  /* 1 and the first of the three 2s go */
    cr_expect_arr_eq(mask, torch, 5);
    spec.convention = SC_CONV_TFMOT;  /* k = 2: threshold = 2nd largest = 2: keep |w| >= 2 */
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    const uint8_t tfmot[5] = {0, 1, 1, 1, 1};
    cr_expect_arr_eq(mask, tfmot, 5);
}
