/* tests/prune/test_structured.c: per-filter, N:M, block and whole-filter pruning */
#include <criterion/criterion.h>

#include "prune/prune_impl.h"
#include <stdio.h>

#include "prune_oracle.h"

static const sc_wlayout layouts[3] = {SC_OIHW, SC_OHWI, SC_HWIO};

/* k of weight (i, h, w) in a row, written out here rather than taken from the library */
static int64_t k_of(sc_pack_order order, const sc_wdesc *wd, int64_t i, int64_t h, int64_t w)
{
    return order == SC_PACK_CHW ? (i * wd->kh + h) * wd->kw + w : (h * wd->kw + w) * wd->icg + i;
}

/* Prune w_oihw converted to every layout and compare with the OIHW oracle mask permuted. */
static void expect_all_layouts(const sc_prune_spec *spec, const sc_wdesc *oihw, const float *w,
                               const uint8_t *expect, const char *what)
{
    const int64_t n = sc_wdesc_numel(oihw);
    float *wl = malloc(n * sizeof *wl);
    uint8_t *el = malloc(n), *mask = malloc(n);
    for (int l = 0; l < 3; ++l) {
        sc_wdesc wd = *oihw;
        wd.layout = layouts[l];
        sc_weights_convert(oihw, w, layouts[l], wl);
        mask_convert(oihw, expect, layouts[l], el);
        cr_assert_eq(sc_prune_mask(spec, &wd, wl, mask), SC_OK, "%s: %s", what, sc_last_message());
        cr_expect_arr_eq(mask, el, n, "%s in %s", what, sc_wlayout_name(layouts[l]));
    }
    free(wl); free(el); free(mask);
}

Test(per_filter, rows_equal_and_smallest_per_row)
{
    const sc_wdesc oihw = {SC_OIHW, 6, 3, 3, 1};  /* rows of 9 */
    const int64_t n = 54, n_k = 9;
    float w[54];
    double score[9];
    uint8_t expect[54];
    fill_ties(w, n, 3, 17);
    const double amounts[] = {0.0, 0.2, 0.5, 0.72, 1.0};
    for (size_t a = 0; a < 5; ++a)
        for (int conv = 0; conv < 2; ++conv) {
            sc_prune_spec spec = sc_prune_spec_default();
            spec.method = SC_PRUNE_PER_FILTER;
            spec.amount = amounts[a];
            spec.convention = conv ? SC_CONV_TFMOT : SC_CONV_TORCH;
            for (int64_t oc = 0; oc < 6; ++oc) {
                for (int64_t k = 0; k < n_k; ++k) score[k] = fabs((double)w[oc * n_k + k]);
                if (conv)
                    oracle_keep_ge_kth(score, n_k, sc_prune_count_tfmot(amounts[a], n_k),
                                       expect + oc * n_k);
                else
                    oracle_remove_smallest(score, n_k, sc_prune_count_torch(amounts[a], n_k),
                                           expect + oc * n_k);
            }
            expect_all_layouts(&spec, &oihw, w, expect, conv ? "per-filter tfmot" : "per-filter");
            if (!conv) {  /* torch convention: every row keeps exactly the same count */
                uint8_t mask[54];
                cr_assert_eq(sc_prune_mask(&spec, &oihw, w, mask), SC_OK);
                for (int64_t oc = 0; oc < 6; ++oc)
                    cr_expect_eq(count_kept(mask + oc * n_k, n_k),
                                 n_k - sc_prune_count_torch(amounts[a], n_k), "row %lld", (long long)oc);
            }
        }
}

/* N:M oracle: each run of m along k (in `order`) keeps its min(n, size) largest |w|,
 * the lower OIHW index going first among equals. */
static void oracle_nm(const sc_wdesc *wd, const float *w, sc_pack_order order, int64_t nn,
                      int64_t m, uint8_t *expect)
{
    const int64_t n_k = wd->icg * wd->kh * wd->kw;
    for (int64_t oc = 0; oc < wd->oc; ++oc)
        for (int64_t i = 0; i < wd->icg; ++i)
            for (int64_t h = 0; h < wd->kh; ++h)
                for (int64_t x = 0; x < wd->kw; ++x) {
                    const int64_t k = k_of(order, wd, i, h, x), g0 = k / m * m;
                    const int64_t size = n_k - g0 < m ? n_k - g0 : m;
                    const int64_t keep = nn < size ? nn : size;
                    const int64_t me = (i * wd->kh + h) * wd->kw + x;
                    const double s = fabs((double)w[oc * n_k + me]);
                    int64_t above = 0;  /* group members that outrank this weight */
                    for (int64_t i2 = 0; i2 < wd->icg; ++i2)
                        for (int64_t h2 = 0; h2 < wd->kh; ++h2)
                            for (int64_t x2 = 0; x2 < wd->kw; ++x2) {
                                const int64_t k2 = k_of(order, wd, i2, h2, x2);
                                if (k2 / m * m != g0) continue;
                                const int64_t other = (i2 * wd->kh + h2) * wd->kw + x2;
                                const double s2 = fabs((double)w[oc * n_k + other]);
                                if (s2 > s || (s2 == s && other > me)) ++above;
                            }
                    expect[oc * n_k + me] = above < keep;
                }
}

Test(nm, pattern_every_group_orders_and_tails)
{
    const struct { int64_t n, m; } pats[] = {{2, 4}, {1, 4}, {4, 8}, {3, 5}, {1, 1}, {2, 2}};
    const sc_wdesc shapes[] = {{SC_OIHW, 3, 4, 2, 2}, {SC_OIHW, 2, 3, 3, 3}, {SC_OIHW, 4, 5, 1, 2},
                               {SC_OIHW, 1, 3, 1, 1}};
    for (size_t p = 0; p < sizeof pats / sizeof pats[0]; ++p)
        for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; ++sh)
            for (int o = 0; o < 2; ++o) {
                const sc_wdesc *wd = &shapes[sh];
                const int64_t n = sc_wdesc_numel(wd), n_k = n / wd->oc;
                float *w = malloc(n * sizeof *w);
                uint8_t *expect = malloc(n);
                fill_ties(w, n, 2, 5 + p * 7 + sh);
                sc_prune_spec spec = sc_prune_spec_default();
                spec.method = SC_PRUNE_NM;
                spec.n = pats[p].n;
                spec.m = pats[p].m;
                spec.order = o ? SC_PACK_HWC : SC_PACK_CHW;
                oracle_nm(wd, w, spec.order, spec.n, spec.m, expect);
                /* the pattern itself: every group keeps exactly min(n, size) */
                for (int64_t oc = 0; oc < wd->oc; ++oc) {
                    for (int64_t g0 = 0; g0 < n_k; g0 += spec.m) {
                        int64_t kept = 0, size = 0;
                        for (int64_t i = 0; i < wd->icg; ++i)
                            for (int64_t h = 0; h < wd->kh; ++h)
                                for (int64_t x = 0; x < wd->kw; ++x)
                                    if (k_of(spec.order, wd, i, h, x) / spec.m * spec.m == g0) {
                                        ++size;
                                        kept += expect[oc * n_k + (i * wd->kh + h) * wd->kw + x];
                                    }
                        cr_assert_eq(kept, spec.n < size ? spec.n : size);
                    }
                }
                char what[64];
                snprintf(what, sizeof what, "nm %lld:%lld %s shape %zu", (long long)spec.n,
                         (long long)spec.m, sc_pack_order_name(spec.order), sh);
                expect_all_layouts(&spec, wd, w, expect, what);
                free(w);
                free(expect);
            }
}

Test(nm, hand_checked_ties_and_tail)
{
    /* one row of 10 (CHW order = OIHW order): groups [0,4) [4,8) [8,10) */
    const float w[10] = {1, -1, 1, 1, 0.5f, 3, -0.5f, 2, 7, -7};
    const sc_wdesc wd = {SC_OIHW, 1, 10, 1, 1};
    uint8_t mask[10];
    sc_prune_spec spec = sc_prune_spec_default();
    spec.method = SC_PRUNE_NM;  /* 2:4: all-equal group keeps its two highest indices */
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    const uint8_t e24[10] = {0, 0, 1, 1, 0, 1, 0, 1, 1, 1};
    cr_expect_arr_eq(mask, e24, 10);
    spec.n = 1;  /* 1:4: the tail of 2 keeps 1; tie 7 / -7 keeps the higher index */
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    const uint8_t e14[10] = {0, 0, 0, 1, 0, 1, 0, 0, 0, 1};
    cr_expect_arr_eq(mask, e14, 10);
}

/* TF-MOT's N:M: at each tap (oc, h, w), input channels [j*m, (j+1)*m) form a group that
 * keeps its min(n, size) largest |w|, the lower channel kept among equals. */
static void oracle_nm_tfmot(const sc_wdesc *wd, const float *w, int64_t nn, int64_t m,
                            uint8_t *expect)
{
    const int64_t n_k = wd->icg * wd->kh * wd->kw;
    for (int64_t oc = 0; oc < wd->oc; ++oc)
        for (int64_t h = 0; h < wd->kh; ++h)
            for (int64_t x = 0; x < wd->kw; ++x)
                for (int64_t c = 0; c < wd->icg; ++c) {
                    const int64_t g0 = c / m * m, size = wd->icg - g0 < m ? wd->icg - g0 : m;
                    const int64_t keep = nn < size ? nn : size;
                    const int64_t me = oc * n_k + (c * wd->kh + h) * wd->kw + x;
                    int64_t above = 0;  /* group members that outrank this weight */
                    for (int64_t c2 = g0; c2 < g0 + size; ++c2) {
                        const float s = fabsf(w[me]);
                        const float s2 = fabsf(w[oc * n_k + (c2 * wd->kh + h) * wd->kw + x]);
                        if (s2 > s || (s2 == s && c2 < c)) ++above;
                    }
                    expect[me] = above < keep;
                }
}

Test(nm, tfmot_groups_channels_per_tap_every_layout_and_order)
{
    const struct { int64_t n, m; } pats[] = {{2, 4}, {1, 4}, {4, 8}, {3, 5}, {1, 1}, {2, 2}};
    const sc_wdesc shapes[] = {{SC_OIHW, 3, 4, 2, 2}, {SC_OIHW, 2, 3, 3, 3}, {SC_OIHW, 4, 6, 1, 2},
                               {SC_OIHW, 2, 10, 3, 1}, {SC_OIHW, 1, 1, 3, 3}};
    for (size_t p = 0; p < sizeof pats / sizeof pats[0]; ++p)
        for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; ++sh)
            for (int o = 0; o < 2; ++o) {
                const sc_wdesc *wd = &shapes[sh];
                const int64_t n = sc_wdesc_numel(wd);
                float *w = malloc(n * sizeof *w);
                uint8_t *expect = malloc(n);
                fill_ties(w, n, 2, 11 + p * 5 + sh);
                sc_prune_spec spec = sc_prune_spec_default();
                spec.method = SC_PRUNE_NM;
                spec.convention = SC_CONV_TFMOT;
                spec.n = pats[p].n;
                spec.m = pats[p].m;
                spec.order = o ? SC_PACK_HWC : SC_PACK_CHW;  /* the groups ignore it */
                oracle_nm_tfmot(wd, w, spec.n, spec.m, expect);
                char what[64];
                snprintf(what, sizeof what, "nm tfmot %lld:%lld %s shape %zu", (long long)spec.n,
                         (long long)spec.m, sc_pack_order_name(spec.order), sh);
                expect_all_layouts(&spec, wd, w, expect, what);
                free(w);
                free(expect);
            }
}

Test(nm, tfmot_hand_checked_ties_and_channel_tail)
{
    /* one output channel, 7 input channels, 1x2 taps; per tap the groups are channels
     * [0,4) and [4,7) (TF-MOT pads the second to 4 with zeros that never win) */
    const float tap0[7] = {1, 1, 1, 1, 3, -3, 3};        /* keep c0 c1 (ties), c4 c5 (ties) */
    const float tap1[7] = {2, -5, 2, 0, 0, 0.5f, -0.5f}; /* keep c1, c0 (tie with c2), c5 c6 */
    const uint8_t keep0[7] = {1, 1, 0, 0, 1, 1, 0}, keep1[7] = {1, 1, 0, 0, 0, 1, 1};
    const sc_wdesc wd = {SC_OIHW, 1, 7, 1, 2};
    float w[14];
    uint8_t expect[14];
    for (int c = 0; c < 7; ++c) {  /* OIHW: (c, 0, x) at c * 2 + x */
        w[c * 2] = tap0[c];
        w[c * 2 + 1] = tap1[c];
        expect[c * 2] = keep0[c];
        expect[c * 2 + 1] = keep1[c];
    }
    sc_prune_spec spec = sc_prune_spec_default();
    spec.method = SC_PRUNE_NM;  /* 2:4 */
    spec.convention = SC_CONV_TFMOT;
    expect_all_layouts(&spec, &wd, w, expect, "nm 2:4 tfmot chw");
    spec.order = SC_PACK_HWC;
    expect_all_layouts(&spec, &wd, w, expect, "nm 2:4 tfmot hwc");
    spec.n = 1;  /* 1:4: tap 0 keeps c0 (all tied) and c4 (3 / -3 / 3); tap 1 keeps c1 (5)
                  * and c5 (0.5 / -0.5 tied, the lower channel) */
    const uint8_t e14[14] = {1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0};
    expect_all_layouts(&spec, &wd, w, e14, "nm 1:4 tfmot hwc");
}

/* Block oracle: blocks tile each group's (oc/groups x n_k) matrix with k in `order`;
 * scores computed here from OIHW coordinates, the torch rule by counting. */
static void oracle_blocks(const sc_wdesc *wd, const float *w, const sc_prune_spec *spec,
                          uint8_t *expect)
{
    const int64_t n_k = wd->icg * wd->kh * wd->kw, ocg = wd->oc / spec->groups;
    const int64_t nbr = (ocg + spec->block_r - 1) / spec->block_r;
    const int64_t nbc = (n_k + spec->block_c - 1) / spec->block_c, nb = spec->groups * nbr * nbc;
    double *s1 = calloc(nb, sizeof *s1), *s2 = calloc(nb, sizeof *s2), *cnt = calloc(nb, sizeof *cnt);
    double *score = malloc(nb * sizeof *score);
    int64_t *id = malloc(sc_wdesc_numel(wd) * sizeof *id);
    uint8_t *keep = malloc(nb);
    for (int64_t oc = 0; oc < wd->oc; ++oc)
        for (int64_t i = 0; i < wd->icg; ++i)
            for (int64_t h = 0; h < wd->kh; ++h)
                for (int64_t x = 0; x < wd->kw; ++x) {
                    const int64_t flat = ((oc * wd->icg + i) * wd->kh + h) * wd->kw + x;
                    const int64_t k = k_of(spec->order, wd, i, h, x);
                    const int64_t b = ((oc / ocg) * nbr + (oc % ocg) / spec->block_r) * nbc +
                                      k / spec->block_c;
                    id[flat] = b;
                    s1[b] += fabs((double)w[flat]);
                    s2[b] += (double)w[flat] * w[flat];
                    cnt[b] += 1;
                }
    for (int64_t b = 0; b < nb; ++b)
        score[b] = spec->block_score == SC_SCORE_L1 ? s1[b]
                   : spec->block_score == SC_SCORE_L2 ? sqrt(s2[b]) : s1[b] / cnt[b];
    oracle_remove_smallest(score, nb, sc_prune_count_torch(spec->amount, nb), keep);
    for (int64_t f = 0; f < sc_wdesc_numel(wd); ++f) expect[f] = keep[id[f]];
    free(s1); free(s2); free(cnt); free(score); free(id); free(keep);
}

Test(block, pattern_sizes_orders_groups_edges)
{
    const int64_t sizes[][2] = {{1, 4}, {4, 1}, {2, 2}, {8, 1}, {3, 5}, {1, 1}};
    const struct { sc_wdesc wd; int64_t groups; } shapes[] = {
        {{SC_OIHW, 8, 3, 3, 3}, 1},  /* 8 x 27: edge columns for c = 4, 5 */
        {{SC_OIHW, 6, 2, 1, 3}, 2},  /* groups of 3 rows: edge rows for r = 2, 4, 8 */
        {{SC_OIHW, 9, 4, 2, 1}, 3},
        {{SC_OIHW, 5, 1, 1, 1}, 1},  /* 5 x 1 */
    };
    const double amounts[] = {0.3, 0.5, 0.8};
    for (size_t b = 0; b < sizeof sizes / sizeof sizes[0]; ++b)
        for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; ++sh)
            for (int o = 0; o < 2; ++o)
                for (int sc = 0; sc < 3; ++sc) {
                    const sc_wdesc *wd = &shapes[sh].wd;
                    const int64_t n = sc_wdesc_numel(wd);
                    float *w = malloc(n * sizeof *w);
                    uint8_t *expect = malloc(n);
                    fill_distinct(w, n, 100 + b * 13 + sh);
                    sc_prune_spec spec = sc_prune_spec_default();
                    spec.method = SC_PRUNE_BLOCK;
                    spec.block_r = sizes[b][0];
                    spec.block_c = sizes[b][1];
                    spec.block_score = (sc_block_score)sc;
                    spec.order = o ? SC_PACK_HWC : SC_PACK_CHW;
                    spec.groups = shapes[sh].groups;
                    spec.amount = amounts[(b + sh + sc) % 3];
                    oracle_blocks(wd, w, &spec, expect);
                    char what[96];
                    snprintf(what, sizeof what, "block %lldx%lld score %d %s groups %lld shape %zu",
                             (long long)spec.block_r, (long long)spec.block_c, sc,
                             sc_pack_order_name(spec.order), (long long)spec.groups, sh);
                    expect_all_layouts(&spec, wd, w, expect, what);
                    free(w);
                    free(expect);
                }
}

/* 3 x 5 matrix, 2x2 blocks: full 2x2, two 2x1 / 1x2 edges and a 1x1 corner. */
Test(block, hand_checked_edge_scores)
{
    const float w[15] = {1, 1, 5, 5, 9,
                         1, 1, 5, 5, 9,
                         2, 2, 0.5f, 0.5f, 3};
    const sc_wdesc wd = {SC_OIHW, 3, 1, 1, 5};
    uint8_t mask[15];
    sc_prune_spec spec = sc_prune_spec_default();
    spec.method = SC_PRUNE_BLOCK;
    spec.block_r = spec.block_c = 2;
    spec.count = 3;
    /* L1: 4, 20, 18 / 4, 1, 3 -> remove 1, 3, then the first 4 (block 0) */
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    const uint8_t l1[15] = {0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0};
    cr_expect_arr_eq(mask, l1, 15);
    /* mean over existing weights: 1, 5, 9 / 2, 0.5, 3 -> remove 0.5, 1, 2 */
    spec.block_score = SC_SCORE_MEAN;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    const uint8_t mean[15] = {0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1};
    cr_expect_arr_eq(mask, mean, 15);
    /* L2: 2, 10, 12.7 / 2.83, 0.71, 3 -> remove 0.71, 2, 2.83 */
    spec.block_score = SC_SCORE_L2;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    cr_expect_arr_eq(mask, mean, 15);
    /* TF-MOT convention at 50 % of 6 blocks keeps 3 (+ ties at the 3rd largest L1 = 4) */
    spec.block_score = SC_SCORE_L1;
    spec.count = -1;
    spec.amount = 0.5;
    spec.convention = SC_CONV_TFMOT;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    const uint8_t tf[15] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
    cr_expect_arr_eq(mask, tf, 15);
    /* a block larger than the matrix is one edge block per group: all or nothing */
    spec.convention = SC_CONV_TORCH;
    spec.block_r = spec.block_c = INT64_MAX;
    spec.count = 1;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK, "%s", sc_last_message());
    cr_expect_eq(count_kept(mask, 15), 0);
    spec.count = 0;
    cr_assert_eq(sc_prune_mask(&spec, &wd, w, mask), SC_OK);
    cr_expect_eq(count_kept(mask, 15), 15);
}

Test(filter, lowest_l1_and_l2_filters_hand_checked)
{
    /* rows: L1 3, 2, 3, 2.5; sum of squares 3, 4, 4.5, 6.25 */
    const float w[12] = {1, 1, 1, 2, 0, 0, 0.5f, -0.5f, 2, -2.5f, 0, 0};
    const sc_wdesc oihw = {SC_OIHW, 4, 1, 1, 3};
    uint8_t expect[12];
    const struct { double p; int64_t count; uint8_t rows[4]; } cases[] = {
        {1, 1, {1, 0, 1, 1}}, {1, 2, {1, 0, 1, 0}}, {1, 3, {0, 0, 1, 0}},  /* tie 0 vs 2 */
        {2, 1, {0, 1, 1, 1}}, {2, 2, {0, 0, 1, 1}}, {2, 3, {0, 0, 0, 1}},
        {2, 0, {1, 1, 1, 1}}, {1, 4, {0, 0, 0, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        sc_prune_spec spec = sc_prune_spec_default();
        spec.method = SC_PRUNE_FILTER;
        spec.norm_p = cases[c].p;
        spec.count = cases[c].count;
        for (int64_t i = 0; i < 12; ++i) expect[i] = cases[c].rows[i / 3];
        expect_all_layouts(&spec, &oihw, w, expect, "filter");
    }
    /* amounts: torch removes round_half_even(amount * 4) filters: 0.375 * 4 = 1.5 -> 2 */
    sc_prune_spec spec = sc_prune_spec_default();
    spec.method = SC_PRUNE_FILTER;
    spec.norm_p = 1;
    spec.amount = 0.375;
    for (int64_t i = 0; i < 12; ++i) expect[i] = cases[1].rows[i / 3];
    expect_all_layouts(&spec, &oihw, w, expect, "filter amount 0.375");
    spec.amount = 0.625;  /* 2.5 -> 2 */
    expect_all_layouts(&spec, &oihw, w, expect, "filter amount 0.625");
}
