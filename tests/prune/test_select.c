/* tests/prune/test_select.c: the radix selection equals the merge-sort reference bit for bit */
#include <criterion/criterion.h>
#include <float.h>
#include <stdio.h>
#include <math.h>

#include "core/core.h"
#include "prune/prune_impl.h"
#include "prune_oracle.h"

enum { KIND_UNIFORM, KIND_FEW, KIND_EQUAL, KIND_SIGNED_ZERO, KIND_DENORMAL, KIND_HUGE,
       KIND_BITS, KIND_ABS_FLOAT, N_KINDS };
static const char *const kind_name[N_KINDS] = {"uniform", "3 levels", "all equal", "+-0 and signs",
                                                "denormals", "huge and Inf", "any bits",
                                                "|float|"};
enum { TIE_NONE, TIE_FEW, TIE_WIDE, N_TIES };
static const char *const tie_name[N_TIES] = {"index", "tie in [-2, 2]", "tie over int64"};

/* Scores of one kind; never NaN (every method's scores are finite, see prune_impl.h). */
static void fill_scores(double *s, int64_t n, int kind, ct_rng *r)
{
    static const double few[] = {0.25, 0.5, 0.75};
    static const double zeros[] = {-0.0, 0.0, -1.0, 1.0, -2.5};
    static const double denorm[] = {DBL_TRUE_MIN, 2 * DBL_TRUE_MIN, DBL_MIN / 2, 0.0, -0.0,
                                    -DBL_TRUE_MIN, DBL_MIN, -DBL_MIN / 4};
    static const double huge[] = {DBL_MAX, -DBL_MAX, INFINITY, -INFINITY, 1e300, -1e300, 0.0, 1.0};
    for (int64_t u = 0; u < n; ++u) {
        const uint64_t x = ct_next(r);
        switch (kind) {
        case KIND_UNIFORM: s[u] = ct_uniform(r); break;
        case KIND_FEW: s[u] = few[x % 3]; break;
        case KIND_EQUAL: s[u] = 1.0; break;
        case KIND_SIGNED_ZERO: s[u] = zeros[x % 5]; break;
        case KIND_DENORMAL: s[u] = denorm[x % 8]; break;
        case KIND_HUGE: s[u] = huge[x % 8]; break;
        case KIND_BITS:
            memcpy(&s[u], &x, sizeof x);
            if (isnan(s[u])) s[u] = (x & 1) ? -0.0 : INFINITY;
            break;
        default: s[u] = fabs((double)(float)(ct_uniform(r) - 0.5) * 0.1); break;
        }
    }
}

static void fill_ties_array(int64_t *t, int64_t n, int kind, ct_rng *r)
{
    for (int64_t u = 0; u < n; ++u) {
        const uint64_t x = ct_next(r);
        if (kind == TIE_FEW) t[u] = (int64_t)(x % 5) - 2;
        else t[u] = (x & 3) == 0 ? INT64_MIN : (x & 3) == 1 ? INT64_MAX : (int64_t)x;
    }
}

/* Brute force by counting, independent of both implementations: u is removed iff fewer
 * than n_remove units precede it in (score, tie, index); keep_ties keeps the units whose
 * score == the score of the unit at rank n_remove. */
static void brute_force(const double *s, const int64_t *t, int64_t n, int64_t n_remove,
                        bool keep_ties, uint8_t *keep)
{
    double kth = 0.0;
    for (int64_t u = 0; u < n; ++u) {
        int64_t before = 0;
        for (int64_t v = 0; v < n; ++v) {
            const bool tie_first = t ? t[v] < t[u] || (t[v] == t[u] && v < u) : v < u;
            before += s[v] < s[u] || (s[v] == s[u] && tie_first);
        }
        keep[u] = before >= n_remove;
        if (before == n_remove) kth = s[u];
    }
    if (keep_ties && n_remove > 0 && n_remove < n)
        for (int64_t u = 0; u < n; ++u) keep[u] |= s[u] == kth;
}

/* Radix against the reference (and the brute force when n is small) for several counts. */
static void check_all_counts(const double *s, const int64_t *t, int64_t n, const char *what,
                             uint64_t seed, ct_rng *r)
{
    uint8_t *want = malloc((size_t)n + 1), *got = malloc((size_t)n + 1),
            *brute = malloc((size_t)n + 1);
    const int64_t counts[] = {n > 0 ? ct_int(r, 0, n) : 0, 1, n / 2, n - 1, n / 3, -1, 0, n,
                              n + 1};
    /* large inputs take the counts that reach the radix passes only */
    const size_t n_counts = n > 5000 ? 4 : sizeof counts / sizeof *counts;
    for (size_t c = 0; c < n_counts; ++c) {
        for (int kt = 0; kt < 2; ++kt) {
            const int64_t k = counts[c];
            memset(got, 7, (size_t)n + 1);
            cr_assert_eq(sc_prune_select_sorted(s, t, n, k, kt, want), SC_OK);
            cr_assert_eq(sc_prune_select(s, t, n, k, kt, got), SC_OK);
            cr_assert_eq(got[n], 7, "%s n %lld: wrote past the end", what, (long long)n);
            for (int64_t u = 0; u < n; ++u)
                if (got[u] != want[u])
                    cr_assert_fail("%s, n %lld, remove %lld, keep_ties %d, seed %llu: unit %lld "
                            "(score %a, tie %lld): radix %d, reference %d", what, (long long)n,
                            (long long)k, kt, (unsigned long long)seed, (long long)u, s[u],
                            t ? (long long)t[u] : (long long)u, got[u], want[u]);
            if (n <= 200) {
                const size_t n_bytes = (size_t)n;
                brute_force(s, t, n, k, kt, brute);
                cr_expect_arr_eq(want, brute, n_bytes, "%s n %lld remove %lld keep_ties %d "
                                 "seed %llu: the reference is not the brute force", what,
                                 (long long)n, (long long)k, kt, (unsigned long long)seed);
            }
        }
    }
    free(want);
    free(got);
    free(brute);
}

static void sweep(const int64_t *sizes, size_t n_sizes, int n_ties, uint64_t seed0)
{
    for (size_t i = 0; i < n_sizes; ++i) {
        const int64_t n = sizes[i];
        double *s = malloc((size_t)(n + 1) * sizeof *s);
        int64_t *t = malloc((size_t)(n + 1) * sizeof *t);
        for (int kind = 0; kind < N_KINDS; ++kind) {
            for (int tk = 0; tk < n_ties; ++tk) {
                const uint64_t seed = seed0 + (uint64_t)(i * 100 + kind * 10 + tk);
                ct_rng r = {seed * 2654435761u + 3};
                char what[96];
                snprintf(what, sizeof what, "%s scores, ties by %s", kind_name[kind],
                         tie_name[tk]);
                fill_scores(s, n, kind, &r);
                if (tk != TIE_NONE) fill_ties_array(t, n, tk, &r);
                check_all_counts(s, tk == TIE_NONE ? NULL : t, n, what, seed, &r);
            }
        }
        free(s);
        free(t);
    }
}

Test(select, small_sizes_against_reference_and_brute_force)
{
    const int64_t sizes[] = {0, 1, 2, 3, 4, 7, 16, 33, 100, 200};
    sweep(sizes, sizeof sizes / sizeof *sizes, N_TIES, 1000);
}

Test(select, medium_sizes_against_reference)
{
    const int64_t sizes[] = {1000, 4099};
    sweep(sizes, sizeof sizes / sizeof *sizes, N_TIES, 5000);
}

/* ~1e5 units: every digit of the radix passes sees many values; the wide ties stay small */
Test(select, large_size_against_reference)
{
    const int64_t sizes[] = {100003};
    sweep(sizes, 1, TIE_WIDE, 9000);
}

/* Hand-checked: -0.0 and 0.0 are one score, so the index (or tie) decides between them;
 * keep_ties keeps both zeros when a zero is the smallest kept score. */
Test(select, signed_zeros_are_one_score)
{
    const double s[4] = {0.0, -0.0, 1.0, -0.0};
    const int64_t t[4] = {5, 9, 0, 1};
    uint8_t keep[4];
    cr_assert_eq(sc_prune_select(s, NULL, 4, 2, false, keep), SC_OK);
    cr_expect_arr_eq(keep, ((uint8_t[]){0, 0, 1, 1}), 4);
    cr_assert_eq(sc_prune_select(s, t, 4, 2, false, keep), SC_OK);
    cr_expect_arr_eq(keep, ((uint8_t[]){0, 1, 1, 0}), 4);
    cr_assert_eq(sc_prune_select(s, t, 4, 2, true, keep), SC_OK);
    cr_expect_arr_eq(keep, ((uint8_t[]){1, 1, 1, 1}), 4);
    cr_assert_eq(sc_prune_select(s, NULL, 4, 3, true, keep), SC_OK);
    cr_expect_arr_eq(keep, ((uint8_t[]){0, 0, 1, 0}), 4);
}

/* Equal (score, tie): the lower index goes first, as in the stable merge sort. */
Test(select, equal_ties_fall_back_to_the_index)
{
    const double s[5] = {2.0, 1.0, 1.0, 1.0, 1.0};
    const int64_t t[5] = {0, 3, 7, 3, 3};
    uint8_t keep[5];
    cr_assert_eq(sc_prune_select(s, t, 5, 2, false, keep), SC_OK);
    cr_expect_arr_eq(keep, ((uint8_t[]){1, 0, 1, 0, 1}), 5);
}

/* Through the public API: sc_prune_mask_global on four layers in three layouts equals the
 * reference selection over the OIHW concatenation of |w|, for both count conventions. */
Test(select, mask_global_unchanged)
{
    const sc_wdesc oihw[4] = {{SC_OIHW, 128, 64, 3, 3}, {SC_OIHW, 128, 64, 1, 1},
                              {SC_OIHW, 32, 16, 5, 5}, {SC_OIHW, 7, 3, 2, 2}};
    const sc_wlayout lay[4] = {SC_OIHW, SC_HWIO, SC_OHWI, SC_HWIO};
    int64_t total = 0, at[4];
    for (int l = 0; l < 4; ++l) {
        at[l] = total;
        total += sc_wdesc_numel(&oihw[l]);
    }
    float *cat = malloc((size_t)total * sizeof *cat), *wl[4];
    double *score = malloc((size_t)total * sizeof *score);
    uint8_t *want = malloc((size_t)total), *back = malloc((size_t)total), *masks[4];
    sc_wdesc wd[4];
    for (int l = 0; l < 4; ++l) {
        wd[l] = oihw[l];
        wd[l].layout = lay[l];
        wl[l] = malloc((size_t)sc_wdesc_numel(&oihw[l]) * sizeof *wl[l]);
        masks[l] = malloc((size_t)sc_wdesc_numel(&oihw[l]));
    }
    const sc_wdesc *wdp[4] = {&wd[0], &wd[1], &wd[2], &wd[3]};
    const float *wp[4] = {wl[0], wl[1], wl[2], wl[3]};
    for (int data = 0; data < 3; ++data) {
        if (data == 0) fill_ties(cat, total, 4, 77);
        if (data == 1) fill_distinct(cat, total, 78);
        if (data == 2) {  /* small values, -0.0 and float denormals */
            ct_rng r = {79};
            for (int64_t u = 0; u < total; ++u) {
                const uint64_t x = ct_next(&r);
                cat[u] = (x & 3) == 0 ? -0.0f : (x & 3) == 1 ? FLT_TRUE_MIN * (float)(x % 9)
                                                              : (float)ct_uniform(&r) - 0.5f;
            }
        }
        for (int l = 0; l < 4; ++l) sc_weights_convert(&oihw[l], cat + at[l], lay[l], wl[l]);
        for (int64_t u = 0; u < total; ++u) score[u] = fabs((double)cat[u]);
        const double amounts[] = {0.0, 0.1, 0.5, 0.9, 1.0};
        for (size_t a = 0; a < 5; ++a) {
            for (int conv = 0; conv < 2; ++conv) {
                sc_prune_spec spec = sc_prune_spec_default();
                spec.method = SC_PRUNE_GLOBAL;
                spec.amount = amounts[a];
                spec.convention = conv ? SC_CONV_TFMOT : SC_CONV_TORCH;
                int64_t n_remove = 0;
                bool keep_ties = false;
                cr_assert_eq(sc_prune_count(&spec, total, "weights", &n_remove, &keep_ties), SC_OK);
                cr_assert_eq(sc_prune_select_sorted(score, NULL, total, n_remove, keep_ties, want),
                             SC_OK);
                cr_assert_eq(sc_prune_mask_global(&spec, 4, wdp, wp, masks), SC_OK, "%s",
                             sc_last_message());
                for (int l = 0; l < 4; ++l) {
                    mask_convert(&wd[l], masks[l], SC_OIHW, back);
                    const size_t n_l = (size_t)sc_wdesc_numel(&oihw[l]);
                    cr_expect_arr_eq(back, want + at[l], n_l,
                                     "data %d amount %g %s layer %d", data, amounts[a],
                                     conv ? "tfmot" : "torch", l);
                }
            }
        }
    }
    for (int l = 0; l < 4; ++l) { free(wl[l]); free(masks[l]); }
    free(cat); free(score); free(want); free(back);
}
