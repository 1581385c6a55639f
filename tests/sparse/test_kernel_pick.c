/* tests/sparse/test_kernel_pick.c: what each kernel list gives a plan, per feature set, written out by hand */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sparse/spmm_driver.h"
#include "sparse/ukernels/deinterleave.h"
#include "sparse/ukernels/dw.h"
#include "sparse/ukernels/spmm.h"
#include "sparse/ukernels/transpose.h"
#include "sparse/weight_grad_kernels.h"

static const char *name_or_none(const sc_spmm_info *k)
{
    return k ? k->name : "none";
}

/* The planner's choices before the lists carried them (chain 64/32/16/8, the 56 of the
 * chain's level or below, the 72 of the chain's level only), for sets that are levels,
 * sets between levels and sets that are no x86 level; AVX-512 row kernels: the k-masked
 * 128 alone (a partial kernel ends the chain), with its 56 and 72. */
Test(kernel_pick, spmm_kits_per_feature_set)
{
    static const struct {
        sc_cpu_set allowed;
        size_t rows;
        const char *suffix, *shrt, *lng;
    } cases[] = {
        {0, 1, "__ref", "spmm_f32_56__ref", "spmm_f32_72__ref"},
        {SC_CPU_X86_AVX2, 1, "__avx2", "spmm_f32_56__avx2", "spmm_f32_72__avx2"},
        {SC_CPU_X86_AVX512, 1, "__avx512", "spmm_f32_56__avx512", "none"},
        {SC_CPU_X86_AVX2 | SC_CPU_AVX512F, 1, "__avx2", "spmm_f32_56__avx2", "spmm_f32_72__avx2"},
        {SC_CPU_AVX2, 1, "__ref", "spmm_f32_56__ref", "spmm_f32_72__ref"},
        {SC_CPU_NEON | SC_CPU_SVE, 1, "__ref", "spmm_f32_56__ref", "spmm_f32_72__ref"},
        {0, 4, "__ref", "none", "none"},
        {SC_CPU_X86_AVX2, 4, "__avx2", "none", "none"},
        {SC_CPU_X86_AVX512, 4, "__avx512", "none", "none"},
        {SC_CPU_X86_AVX2 | SC_CPU_AVX512F, 4, "__avx2", "none", "none"},
    };
    static const size_t widths[4] = {64, 32, 16, 8};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const sc_spmm_kit kit = sc_spmm_kit_pick(cases[i].allowed, cases[i].rows);
        cr_expect_str_eq(name_or_none(kit.shrt), cases[i].shrt, "case %zu", i);
        cr_expect_str_eq(name_or_none(kit.lng), cases[i].lng, "case %zu", i);
        if (strcmp(cases[i].suffix, "__avx512") == 0 && cases[i].rows == 1) {
            cr_assert_eq(kit.n_chain, 1, "case %zu: chain of %d", i, kit.n_chain);
            cr_expect_str_eq(kit.chain[0]->name, "spmm_f32_128__avx512", "case %zu", i);
            cr_expect_eq(kit.chain[0]->partial, 1, "case %zu: takes any rest", i);
            cr_expect_eq(sc_spmm_kit_tile(&kit), 128u);
            continue;
        }
        cr_assert_eq(kit.n_chain, 4, "case %zu: chain of %d", i, kit.n_chain);
        for (int k = 0; k < 4; ++k) {
            char want[48];
            snprintf(want, sizeof want, "spmm%s_f32_%zu%s", cases[i].rows == 4 ? "4" : "",
                     widths[k], cases[i].suffix);
            cr_expect_str_eq(kit.chain[k]->name, want, "case %zu width %zu", i, widths[k]);
        }
        cr_expect_eq(kit.chain[3]->partial, 1, "case %zu: the narrowest takes the rest", i);
        cr_expect_eq(sc_spmm_kit_tile(&kit), 64u);
    }
}

/* The pixels a padded short tile computes, against the rule the driver had written out:
 * m > 56 ? 64 : m > 48 && the 56 kernel ? 56 : m > 32 ? 64 : m > 16 ? 32 : m > 8 ? 16 : 8. */
Test(kernel_pick, short_tiles_round_like_the_old_chain)
{
    for (int rows = 1; rows <= 4; rows += 3) {
        const sc_spmm_kit kit = sc_spmm_kit_pick(0, (size_t)rows);
        for (size_t m = 1; m < 64; ++m) {
            const size_t want = m > 56 ? 64 : m > 48 && kit.shrt ? 56 : m > 32 ? 64
                              : m > 16 ? 32 : m > 8 ? 16 : 8;
            cr_expect_eq(sc_spmm_kit_round(&kit, m), want, "rows %d m %zu", rows, m);
        }
    }
}

/* A kit whose chain is one k-masked kernel: a short tile computes its pixels rounded up to
 * 8 (no padding to 128), except the SHORT width for its last 8 pixels; never more than a
 * 64-pixel tile holds below 64. */
Test(kernel_pick, short_tiles_round_to_8_with_a_masked_chain)
{
    const sc_spmm_kit kit = sc_spmm_kit_pick(SC_CPU_X86_AVX512, 1);
    for (size_t m = 1; m < 128; ++m) {
        const size_t want = m > 48 && m <= 56 ? 56 : (m + 7) / 8 * 8;
        cr_expect_eq(sc_spmm_kit_round(&kit, m), want, "m %zu", m);
    }
}

/* The plan's tile width (spmm_driver.c): 128 only where the plan allows wide tiles, the kit
 * takes 128 pixels in one call and the plane has at least 512 pixels, so 1x1 layers, 7x7,
 * 14x14 (the 72-wide last tile) and smaller planes keep 64. */
Test(kernel_pick, tile_width_rule)
{
    static const sc_cpu_set sets[] = {0, SC_CPU_X86_AVX2, SC_CPU_X86_AVX512};
    static const int64_t pixels[] = {1, 49, 196, 511, 512, 784, 838, 3136, 50176};
    for (int i = 0; i < 3; ++i)
        for (size_t rows = 1; rows <= 4; rows += 3) {
            for (int wide = 0; wide <= 1; ++wide)
                for (size_t k = 0; k < sizeof pixels / sizeof pixels[0]; ++k) {
                    const sc_spmm_problem pb = {.kit = sc_spmm_kit_pick(sets[i], rows),
                                                .wide = wide, .pixels = pixels[k]};
                    const int64_t want = wide && i == 2 && rows == 1 && pixels[k] >= 512 ? 128 : 64;
                    cr_expect_eq(sc_spmm_tile_width(&pb), want, "set %d rows %zu wide %d, %lld "
                                 "pixels", i, rows, wide, (long long)pixels[k]);
                }
        }
}

/* The calls of one tile: recorded by stand-in kernels, against the split the driver had
 * written out (72 above 64, 56 at exactly 56, then 64/32/16/8 and the partial 8). */
static size_t calls[16][2], n_calls;
static const float xbuf[SC_SPMM_TILE_MAX];  /* the tile's pixels: calls are told apart by offset */
#define RECORDER(W)                                                                          \
    static void rec##W(size_t mr, size_t n_oc, const float *restrict x,                     \
                       const float *restrict w, const int32_t *restrict off,                \
                       const uint32_t *restrict nnz, float *restrict y, size_t ys,          \
                       const sc_spmm_params *prm)                                           \
    {                                                                                        \
        (void)n_oc, (void)w, (void)off, (void)nnz, (void)y, (void)ys, (void)prm;             \
        cr_assert_lt(n_calls, 16u);                                                          \
        calls[n_calls][0] = W * 1000 + mr;                                                   \
        calls[n_calls++][1] = (size_t)(x - xbuf);                           \
    }
RECORDER(64)
RECORDER(32)
RECORDER(16)
RECORDER(8)
RECORDER(56)
RECORDER(72)
RECORDER(128)

Test(kernel_pick, kit_run_splits_like_the_old_driver)
{
    const sc_spmm_info k64 = {"64", 0, 64, 0, rec64, 1, SC_TILE_CHAIN};
    const sc_spmm_info k32 = {"32", 0, 32, 0, rec32, 1, SC_TILE_CHAIN};
    const sc_spmm_info k16 = {"16", 0, 16, 0, rec16, 1, SC_TILE_CHAIN};
    const sc_spmm_info k8 = {"8", 0, 8, 1, rec8, 1, SC_TILE_CHAIN};
    const sc_spmm_info k56 = {"56", 0, 56, 0, rec56, 1, SC_TILE_SHORT};
    const sc_spmm_info k72 = {"72", 0, 72, 2, rec72, 1, SC_TILE_LONG};
    for (int tails = 0; tails < 2; ++tails) {
        const sc_spmm_kit kit = {{&k64, &k32, &k16, &k8}, 4, tails ? &k56 : NULL,
                                 tails ? &k72 : NULL};
        for (size_t m = 1; m <= (tails ? 72u : 64u); ++m) {
            size_t want[16][2], n_want = 0, pos = 0;
            if (m > 64) {
                want[n_want][0] = 72000 + m, want[n_want++][1] = 0;
                pos = m;
            } else if (m == 56 && tails) {
                want[n_want][0] = 56056, want[n_want++][1] = 0;
                pos = m;
            }
            static const size_t wd[4] = {64, 32, 16, 8};
            for (int k = 0; k < 4; ++k)
                for (; m - pos >= wd[k]; pos += wd[k])
                    want[n_want][0] = wd[k] * 1001, want[n_want++][1] = pos;
            if (pos < m) want[n_want][0] = 8000 + m - pos, want[n_want++][1] = pos;
            n_calls = 0;
            sc_spmm_kit_run(&kit, m, 1, xbuf, NULL, NULL, NULL, NULL, 0, NULL);
            cr_expect_eq(n_calls, n_want, "tails %d m %zu: %zu calls, expected %zu", tails, m,
                         n_calls, n_want);
            for (size_t c = 0; c < n_calls && c < n_want; ++c)
                cr_expect(calls[c][0] == want[c][0] && calls[c][1] == want[c][1],
                          "tails %d m %zu call %zu: width*1000+mr %zu at %zu, expected %zu at %zu",
                          tails, m, c, calls[c][0], calls[c][1], want[c][0], want[c][1]);
        }
    }
}

/* Transposes and weight-gradient dots: the AVX2 8x8 transpose and dots wherever AVX2 and FMA
 * are allowed (AVX-512 plans too); the AVX2 strips too (their AVX-512 versions measured
 * slower), the tile-stride ones for strides of 64, 72 and 128, else the generic one, else
 * portable. */
Test(kernel_pick, transposes_and_dots_per_feature_set)
{
    static const sc_cpu_set sets[] = {0, SC_CPU_X86_AVX2, SC_CPU_X86_AVX512, SC_CPU_AVX2,
                                      SC_CPU_NEON, SC_CPU_X86_AVX2 | SC_CPU_AVX512F};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; ++i) {
        const int avx2 = sc_cpu_set_has(sets[i], SC_CPU_X86_AVX2);
        cr_expect(sc_transpose8_pick(sets[i]) ==
                  (avx2 ? sc_transpose8_f32__avx2 : sc_transpose8_f32__ref), "set %zu", i);
        cr_expect(sc_wgrad_dot_pick(sets[i]) ==
                  (avx2 ? sc_wgrad_dot_f32__avx2 : sc_wgrad_dot_f32__ref), "set %zu", i);
        static const size_t tf[] = {64, 72, 128, 60};
        for (int t = 0; t < 4; ++t) {
            const sc_transpose8xn_fn to = sc_transpose8xn_pick(sets[i], 0, tf[t]);
            const sc_transpose8xn_fn from = sc_transpose8xn_pick(sets[i], tf[t], 0);
            if (!avx2) {
                cr_expect(to == sc_transpose8xn_f32__ref && from == sc_transpose8xn_f32__ref);
                continue;
            }
            cr_expect(to == (tf[t] == 64    ? sc_transpose8xn_f32_to64__avx2
                             : tf[t] == 72  ? sc_transpose8xn_f32_to72__avx2
                             : tf[t] == 128 ? sc_transpose8xn_f32_to128__avx2
                                            : sc_transpose8xn_f32__avx2), "set %zu tf %zu", i, tf[t]);
            cr_expect(from == (tf[t] == 64    ? sc_transpose8xn_f32_from64__avx2
                               : tf[t] == 72  ? sc_transpose8xn_f32_from72__avx2
                               : tf[t] == 128 ? sc_transpose8xn_f32_from128__avx2
                                              : sc_transpose8xn_f32__avx2), "set %zu tf %zu", i, tf[t]);
        }
    }
}

/* Row deinterleaves: for stride 2 the AVX-512 kernel where all of AVX-512 (and AVX2+FMA) is
 * allowed, the AVX2 one where AVX2+FMA is, else portable; any other stride portable. */
Test(kernel_pick, deinterleaves_per_feature_set)
{
    static const sc_cpu_set sets[] = {0, SC_CPU_X86_AVX2, SC_CPU_X86_AVX512, SC_CPU_AVX2,
                                      SC_CPU_NEON, SC_CPU_X86_AVX2 | SC_CPU_AVX512F};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; ++i) {
        const int avx2 = sc_cpu_set_has(sets[i], SC_CPU_X86_AVX2);
        const int avx512 = sc_cpu_set_has(sets[i], SC_CPU_X86_AVX512);
        cr_expect(sc_deinterleave_pick(sets[i], 2) ==
                      (avx512 ? sc_deinterleave_f32_s2__avx512
                       : avx2 ? sc_deinterleave_f32_s2__avx2 : sc_deinterleave_f32__ref),
                  "set %zu", i);
        for (size_t s = 1; s <= 4; s += 2)
            cr_expect(sc_deinterleave_pick(sets[i], s) == sc_deinterleave_f32__ref,
                      "set %zu stride %zu", i, s);
    }
}

/* A chain of one partial kernel: every tile is one call (the LONG kernel for 65..72, the
 * SHORT one at exactly 56), never cut into narrower pieces. */
Test(kernel_pick, kit_run_masked_chain_one_call)
{
    const sc_spmm_info k128 = {"128", 0, 128, 1, rec128, 1, SC_TILE_CHAIN};
    const sc_spmm_info k56 = {"56", 0, 56, 0, rec56, 1, SC_TILE_SHORT};
    const sc_spmm_info k72 = {"72", 0, 72, 2, rec72, 1, SC_TILE_LONG};
    const sc_spmm_kit kit = {{&k128}, 1, &k56, &k72};
    for (size_t m = 1; m <= 128; ++m) {
        const size_t want = m == 56 ? 56056 : m > 64 && m <= 72 ? 72000 + m : 128000 + m;
        n_calls = 0;
        sc_spmm_kit_run(&kit, m, 1, xbuf, NULL, NULL, NULL, NULL, 0, NULL);
        cr_expect_eq(n_calls, 1u, "m %zu: %zu calls", m, n_calls);
        cr_expect(calls[0][0] == want && calls[0][1] == 0, "m %zu: width*1000+mr %zu at %zu, "
                  "expected %zu", m, calls[0][0], calls[0][1], want);
    }
}

/* The direct depthwise row kernel per feature set: the most demanding one the set covers
 * (an AVX2 without FMA, or no x86 level at all, gets the portable one). */
Test(kernel_pick, dw_kernels_per_feature_set)
{
    static const struct { sc_cpu_set allowed; const char *want; } cases[] = {
        {0, "dw_f32__ref"},
        {SC_CPU_X86_AVX2, "dw_f32__avx2"},
        {SC_CPU_X86_AVX512, "dw_f32__avx512"},
        {SC_CPU_X86_AVX2 | SC_CPU_AVX512F, "dw_f32__avx2"},
        {SC_CPU_AVX2, "dw_f32__ref"},
        {SC_CPU_NEON | SC_CPU_SVE, "dw_f32__ref"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
        cr_expect_str_eq(sc_dw_pick(cases[i].allowed)->name, cases[i].want, "case %zu", i);
}
