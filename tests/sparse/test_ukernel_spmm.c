/* tests/sparse/test_ukernel_spmm.c: every SpMM kernel of spmm_rows.inc and spmm_blocks.inc against a double-precision oracle */
#define _DEFAULT_SOURCE  /* MAP_ANONYMOUS */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/rng.h"
#include "sparse/ukernels/spmm.h"

static ct_rng rng_state;  /* the cases reseed it */
static double rnd(void) { return ct_uniform(&rng_state); }

static int n_skipped;

/* The kernels are called directly: every one the CPU runs is tested, whatever SCONV_ISA lets
 * the planner use. */
static int usable(const sc_spmm_info *k)
{
    if (sc_cpu_set_has(sc_cpu_features_hw(), k->need)) return 1;
    ++n_skipped;
    fprintf(stderr, "test_ukernel_spmm: skipping %s (CPU lacks its features), %d skipped so far\n",
            k->name, n_skipped);
    return 0;
}

typedef struct spmm_case {
    size_t mr, n_oc, k;     /* pixels, output channels, input rows */
    double sparsity;        /* fraction of (o, c) pairs left out */
    int empty_row;          /* channel 0 gets no nonzeros */
    size_t y_pad;           /* extra floats between output rows */
    sc_spmm_params prm;
    uint64_t seed;
    int inject;             /* 1: put `special` into x row 0 at pixels p % 3 == 1 and into
                             * the start (y with load_y at p % 3 == 2, else even channels'
                             * bias) */
    float special;          /* NaN, +-Inf or -0.0 */
} spmm_case;

/* The kernels' activation rule, as the portable kernel and the dense epilogue write it: two
 * comparisons that are false for NaN (kept), and -0.0 < 0 is false (-0.0 kept). */
static double act_ref(double v, const sc_spmm_params *prm)
{
    if (!prm->clamp) return v;
    v = v < prm->lo ? prm->lo : v;
    return v > prm->hi ? prm->hi : v;
}

/* Exactly equal (NaN to NaN, zeros with their sign), for results that are not rounded:
 * non-finite ones, and zeros reached without a product. */
static int same_exact(double got, double want)
{
    if (isnan(want)) return isnan(got);
    return got == want && signbit(got) == signbit(want);
}

/* The start value of output (o, p) under load_y: a partial sum, or the special value. */
static float start_y(const spmm_case *c, size_t o, size_t p)
{
    return c->inject && p % 3 == 2 ? c->special : (float)(p * 0.01 - o * 0.1);
}

/* Run kern on one random case and compare with the double oracle, including the rows'
 * untouched padding. Returns the number of failures (also reported). */
static int check_case(const sc_spmm_info *kern, const spmm_case *c)
{
    rng_state.s = c->seed * 0x9E3779B97F4A7C15ull + 1;
    /* block kernels (rows 4) take channels in groups of 4 sharing their columns */
    const size_t R = kern->rows, n_oc = (c->n_oc + R - 1) / R * R;
    const size_t ld = c->mr;  /* input rows packed back to back: no slack after the last */
    float *x = malloc(c->k * ld * sizeof *x);
    float *w = calloc(n_oc * (c->k + 1), sizeof *w);
    int32_t *off = calloc(n_oc * c->k + 1, sizeof *off);
    uint32_t *nnz = calloc(n_oc, sizeof *nnz);
    const size_t ys = c->mr + c->y_pad;
    float *y = malloc(n_oc * ys * sizeof *y);
    double *ref = malloc(n_oc * c->mr * sizeof *ref);
    double *scale = malloc(n_oc * c->mr * sizeof *scale);
    for (size_t i = 0; i < c->k * ld; ++i) x[i] = (float)(2 * rnd() - 1);
    if (c->inject && c->k > 0)
        for (size_t p = 1; p < c->mr; p += 3) x[p] = c->special;
    size_t wp = 0, op = 0;
    for (size_t g = 0; g < n_oc; g += R) {
        for (size_t o = g; o < g + R; ++o) {
            float bias = (float)(rnd() - 0.5);
            if (c->inject && o % 2 == 0) bias = c->special;
            w[wp++] = bias;
            for (size_t p = 0; p < c->mr; ++p) {
                const double start = c->prm.load_y ? (double)start_y(c, o, p) : bias;
                ref[o * c->mr + p] = start;
                scale[o * c->mr + p] = fabs(start);
            }
        }
        uint32_t n = 0;
        for (size_t r = 0; r < c->k; ++r) {
            if ((c->empty_row && g == 0) || rnd() < c->sparsity) continue;
            off[op++] = (int32_t)(r * ld * sizeof(float));
            ++n;
            for (size_t o = g; o < g + R; ++o) {
                const float v = (float)(2 * rnd() - 1);
                w[wp++] = v;
                for (size_t p = 0; p < c->mr; ++p) {
                    ref[o * c->mr + p] += (double)v * x[r * ld + p];
                    scale[o * c->mr + p] += fabs((double)v * x[r * ld + p]);
                }
            }
        }
        nnz[g] = n;
        for (size_t o = g + 1; o < g + R; ++o) nnz[o] = UINT32_MAX;  /* must not be read */
        for (size_t o = g; o < g + R; ++o) {
            for (size_t p = 0; p < ys; ++p)
                y[o * ys + p] = c->prm.load_y && p < c->mr ? start_y(c, o, p) : -777.0f;
            for (size_t p = 0; p < c->mr; ++p)
                ref[o * c->mr + p] = act_ref(ref[o * c->mr + p], &c->prm);
        }
    }
    kern->fn(c->mr, n_oc, x, w, off, nnz, y, ys * sizeof(float), &c->prm);
    int bad = 0;
    for (size_t o = 0; o < n_oc && !bad; ++o)
        for (size_t p = 0; p < ys && !bad; ++p) {
            const double got = y[o * ys + p];
            if (p >= c->mr) {
                if (got != -777.0) bad = 1;
            } else if (!isfinite(ref[o * c->mr + p]) || scale[o * c->mr + p] == 0) {
                if (!same_exact(got, ref[o * c->mr + p])) bad = 1;  /* not rounded */
            } else {
                const double tol = 1e-5 * scale[o * c->mr + p] + 1e-30;
                if (!(fabs(got - ref[o * c->mr + p]) <= tol)) bad = 1;
            }
            if (bad)
                cr_log_error("%s: mr %zu n_oc %zu k %zu sparsity %.2f load_y %d clamp %d "
                             "[%g, %g] y_pad %zu seed %llu special %g (%d): y[%zu][%zu] = "
                             "%.9g, expected %.9g",
                             kern->name, c->mr, n_oc, c->k, c->sparsity, c->prm.load_y,
                             c->prm.clamp, (double)c->prm.lo, (double)c->prm.hi, c->y_pad,
                             (unsigned long long)c->seed, (double)c->special, c->inject, o, p,
                             got,
                             p >= c->mr ? -777.0 : ref[o * c->mr + p]);
        }
    free(x), free(w), free(off), free(nnz), free(y), free(ref), free(scale);
    return bad;
}

static sc_spmm_params no_act(void)
{
    return (sc_spmm_params){.load_y = 0, .clamp = 0, .lo = 0.0f, .hi = 0.0f};
}

/* The widths a kernel accepts: exactly its tile, or every width from sc_spmm_min_mr. */
#define FOR_EACH_MR(kern, m) \
    for (size_t m = sc_spmm_min_mr(kern); m <= (kern)->mr; ++m)

Test(ukernel_spmm, every_kernel_every_width_sparsities)
{
    int cases = 0, fails = 0;
    for (const sc_spmm_info *kern = sc_spmm_table; kern->fn; ++kern) {
        if (!usable(kern)) continue;
        static const double sp[] = {0.0, 0.5, 0.9};
        FOR_EACH_MR(kern, m)
            for (int s = 0; s < 3; ++s) {
                spmm_case c = {m, 5, 37, sp[s], 0, 0, no_act(), 100 * m + s, 0, 0.0f};
                fails += check_case(kern, &c);
                ++cases;
            }
    }
    cr_log_info("%d cases", cases);
    cr_expect_eq(fails, 0, "%d of %d cases failed", fails, cases);
    cr_expect_gt(cases, 0);
}

Test(ukernel_spmm, channels_around_block_empty_rows_all_zero)
{
    int fails = 0;
    for (const sc_spmm_info *kern = sc_spmm_table; kern->fn; ++kern) {
        if (!usable(kern)) continue;
        for (size_t n_oc = 1; n_oc <= 9; ++n_oc) {
            spmm_case c = {kern->mr, n_oc, 19, 0.5, 1, 0, no_act(), 7 + n_oc, 0, 0.0f};
            fails += check_case(kern, &c);
        }
        spmm_case zero = {kern->mr, 4, 16, 1.0, 0, 0, no_act(), 3, 0, 0.0f};  /* bias only */
        fails += check_case(kern, &zero);
        spmm_case none = {kern->mr, 3, 0, 0.0, 0, 0, no_act(), 4, 0, 0.0f};   /* no input rows */
        fails += check_case(kern, &none);
        spmm_case single = {kern->mr, 2, 1, 0.0, 0, 0, no_act(), 5, 0, 0.0f}; /* odd nonzero count */
        fails += check_case(kern, &single);
    }
    cr_expect_eq(fails, 0);
}

Test(ukernel_spmm, wide_output_stride_and_load_y)
{
    int fails = 0;
    for (const sc_spmm_info *kern = sc_spmm_table; kern->fn; ++kern) {
        if (!usable(kern)) continue;
        FOR_EACH_MR(kern, m) {
            spmm_case c = {m, 6, 23, 0.7, 0, 13, no_act(), 31 + m, 0, 0.0f};
            fails += check_case(kern, &c);
            c.prm.load_y = 1;
            c.seed += 1000;
            fails += check_case(kern, &c);
        }
    }
    cr_expect_eq(fails, 0);
}

Test(ukernel_spmm, epilogue_at_its_bounds)
{
    int fails = 0;
    const sc_spmm_params acts[] = {
        {.load_y = 0, .clamp = 1, .lo = 0.0f, .hi = INFINITY},  /* relu */
        {.load_y = 0, .clamp = 1, .lo = 0.0f, .hi = 6.0f},      /* relu6 */
        {.load_y = 0, .clamp = 1, .lo = -0.25f, .hi = 0.25f},   /* clamp, most values outside */
        {.load_y = 0, .clamp = 1, .lo = 0.1f, .hi = 0.1f},      /* lo == hi: a constant */
        {.load_y = 1, .clamp = 1, .lo = -0.5f, .hi = 0.0f},     /* clamp on a partial sum */
    };
    for (const sc_spmm_info *kern = sc_spmm_table; kern->fn; ++kern) {
        if (!usable(kern)) continue;
        for (size_t a = 0; a < sizeof acts / sizeof acts[0]; ++a)
            FOR_EACH_MR(kern, m) {
                spmm_case c = {m, 4, 29, 0.5, 0, 3, acts[a], 500 + 10 * m + a, 0, 0.0f};
                fails += check_case(kern, &c);
            }
    }
    cr_expect_eq(fails, 0);
}

/* NaN, +Inf and -Inf (and -0.0) in the input and in the start values, under every
 * activation, with and without load_y, at every width of every kernel of the list: the
 * output is NaN where the pre-activation is NaN (ReLU, ReLU6 and clamp keep it), +-Inf
 * clamps to the bound (or stays), and a -0.0 start with no products passes ReLU as -0.0. */
Test(ukernel_spmm, nan_and_inf_kept_under_every_activation)
{
    const sc_spmm_params acts[] = {
        {.load_y = 0, .clamp = 0, .lo = 0.0f, .hi = 0.0f},         /* none */
        {.load_y = 0, .clamp = 1, .lo = 0.0f, .hi = INFINITY},     /* relu */
        {.load_y = 0, .clamp = 1, .lo = 0.0f, .hi = 6.0f},         /* relu6 */
        {.load_y = 0, .clamp = 1, .lo = -0.25f, .hi = 0.25f},      /* clamp */
        {.load_y = 0, .clamp = 1, .lo = -2.0f, .hi = -1.0f},       /* clamp below zero */
        {.load_y = 0, .clamp = 1, .lo = -INFINITY, .hi = 0.5f},    /* clamp above only */
    };
    const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f};
    int cases = 0, fails = 0;
    for (const sc_spmm_info *kern = sc_spmm_table; kern->fn; ++kern) {
        if (!usable(kern)) continue;
        for (size_t a = 0; a < sizeof acts / sizeof acts[0]; ++a)
            for (int load_y = 0; load_y < 2; ++load_y)
                for (int s = 0; s < 4; ++s)
                    FOR_EACH_MR(kern, m) {
                        spmm_case c = {m, 9, 6, 0.0, 1, 2, acts[a], 900 + 7 * m + a, 1,
                                       specials[s]};
                        c.prm.load_y = load_y;
                        fails += check_case(kern, &c);
                        ++cases;
                    }
    }
    cr_log_info("%d non-finite cases", cases);
    cr_expect_eq(fails, 0, "%d of %d non-finite cases failed", fails, cases);
    cr_expect_gt(cases, 0);
}

/* The kernel of this level with kern's width and partial field, or NULL: then a plan of
 * that level runs the same pixels through its kit (sc_spmm_kit_run). */
static const sc_spmm_info *twin_of(const sc_spmm_info *kern, sc_cpu_set level)
{
    const sc_spmm_info *t = sc_spmm_find(level, kern->mr, kern->rows);
    return t && t->partial == kern->partial ? t : NULL;
}

/* m pixels through the twin, or through the level's kit when there is none. */
static void run_twin(const sc_spmm_info *twin, sc_cpu_set level, size_t rows, size_t m,
                     size_t n_oc, const float *x, const float *w, const int32_t *off,
                     const uint32_t *nnz, float *y, size_t ys, const sc_spmm_params *prm)
{
    if (twin) {
        twin->fn(m, n_oc, x, w, off, nnz, y, ys, prm);
        return;
    }
    const sc_spmm_kit kit = sc_spmm_kit_pick(level, rows);
    sc_spmm_kit_run(&kit, m, n_oc, x, w, off, nnz, y, ys, prm);
}

/* Each AVX2 and AVX-512 kernel against its portable twin of the same width (or the portable
 * kit on the same pixels, for the 128-wide masked kernel), close (FMA vs multiply-add differ
 * by rounding only): same inputs, compared element by element. */
Test(ukernel_spmm, avx2_matches_portable_twin)
{
    int pairs = 0;
    for (const sc_spmm_info *kern = sc_spmm_table; kern->fn; ++kern) {
        if (kern->need == 0 || !usable(kern)) continue;
        const sc_spmm_info *twin = twin_of(kern, 0);
        cr_assert(twin || kern->mr > 72, "%s has no portable twin", kern->name);
        enum { K = 40, OCMAX = 4, TW = SC_SPMM_TILE_MAX };  /* TW: the widest kernel */
        const int R = (int)kern->rows, OC = R == 1 ? 3 : 4;
        float x[K * TW], w[OCMAX * (K + 1)], y1[OCMAX * TW], y2[OCMAX * TW];
        int32_t off[OCMAX * K];
        uint32_t nnz[OCMAX];
        rng_state.s = 99;
        for (int i = 0; i < K * TW; ++i) x[i] = (float)(2 * rnd() - 1);
        int wp = 0, op = 0;
        for (int g = 0; g < OC; g += R) {
            for (int q = 0; q < R; ++q) w[wp++] = (float)rnd();
            nnz[g] = 0;
            for (int r = 0; r < K; ++r)
                if (rnd() < 0.4) {
                    for (int q = 0; q < R; ++q) w[wp++] = (float)(2 * rnd() - 1);
                    off[op++] = r * TW * 4;
                    nnz[g]++;
                }
        }
        const sc_spmm_params prm = no_act();
        FOR_EACH_MR(kern, m) {
            kern->fn(m, (size_t)OC, x, w, off, nnz, y1, TW * 4, &prm);
            run_twin(twin, 0, kern->rows, m, (size_t)OC, x, w, off, nnz, y2, TW * 4, &prm);
            for (int o = 0; o < OC; ++o)
                for (size_t p = 0; p < m; ++p)
                    cr_expect(fabsf(y1[o * TW + p] - y2[o * TW + p]) <=
                                  1e-5f * (1.0f + fabsf(y2[o * TW + p])),
                              "%s vs %s: m %zu y[%d][%zu] %g vs %g", kern->name,
                              twin ? twin->name : "portable kit", m, o, p,
                              (double)y1[o * TW + p], (double)y2[o * TW + p]);
        }
        ++pairs;
    }
    cr_log_info("%d simd/portable pairs", pairs);
    cr_expect(pairs > 0 || n_skipped > 0);
}

/* Each AVX-512 kernel, row or 4x1 block, gives the bits of the AVX2 kernel of its width and
 * rows (or of the AVX2 kit on the same pixels, for the 128-wide masked kernel: 64 + 32 + 16 +
 * masked 8 calls): the same FMAs per lane in the same order, so the ISA a plan picks never
 * changes a result. Every width of the partial kernels, with load_y and each activation,
 * output rows with guard floats between. */
Test(ukernel_spmm, avx512_bitwise_equal_to_avx2)
{
    int pairs = 0;
    for (const sc_spmm_info *kern = sc_spmm_table; kern->fn; ++kern) {
        if (kern->need != SC_CPU_X86_AVX512 || !usable(kern)) continue;
        const sc_spmm_info *twin = twin_of(kern, SC_CPU_X86_AVX2);
        cr_assert(twin || kern->mr > 72, "%s has no AVX2 twin", kern->name);
        /* YS: row stride with 8 guard floats; block kernels take 3 groups of 4 channels */
        enum { K = 37, OCMAX = 12, XS = SC_SPMM_TILE_MAX, YS = XS + 8 };
        const int R = (int)kern->rows, OC = R == 1 ? 5 : 12;
        float x[K * XS], w[OCMAX * (K + 1)], y1[OCMAX * YS], y2[OCMAX * YS];
        int32_t off[OCMAX * K];
        uint32_t nnz[OCMAX];
        rng_state.s = 4242 + kern->mr;
        for (int i = 0; i < K * XS; ++i) x[i] = (float)(2 * rnd() - 1);
        int wp = 0, op = 0;
        for (int g = 0, s = 0; g < OC; g += R, ++s) {  /* stream s: row (or group) 2 empty */
            for (int q = 0; q < R; ++q) w[wp++] = (float)(rnd() - 0.5);
            nnz[g] = 0;
            for (int q = 1; q < R; ++q) nnz[g + q] = UINT32_MAX;  /* must not be read */
            for (int r = 0; r < K; ++r)
                if (s != 2 && rnd() < (s == 4 ? 0.95 : 0.3)) {
                    for (int q = 0; q < R; ++q) w[wp++] = (float)(2 * rnd() - 1);
                    off[op++] = r * XS * 4;
                    nnz[g]++;
                }
        }
        const sc_spmm_params prms[4] = {{.load_y = 0, .clamp = 0, .lo = 0, .hi = 0},
                                        {.load_y = 1, .clamp = 0, .lo = 0, .hi = 0},
                                        {.load_y = 0, .clamp = 1, .lo = 0.0f, .hi = 6.0f},
                                        {.load_y = 1, .clamp = 1, .lo = -0.25f, .hi = 0.5f}};
        for (int pi = 0; pi < 4; ++pi)
            FOR_EACH_MR(kern, m) {
                for (int i = 0; i < OCMAX * YS; ++i) y1[i] = y2[i] = (float)(i % 7) - 3.0f;
                kern->fn(m, (size_t)OC, x, w, off, nnz, y1, YS * 4, &prms[pi]);
                run_twin(twin, SC_CPU_X86_AVX2, kern->rows, m, (size_t)OC, x, w, off, nnz, y2,
                         YS * 4, &prms[pi]);
                cr_expect(memcmp(y1, y2, sizeof y1) == 0, "%s vs %s: m %zu, params %d differ",
                          kern->name, twin ? twin->name : "the AVX2 kit", m, pi);
            }
        ++pairs;
    }
    cr_log_info("%d avx512/avx2 pairs", pairs);
    cr_expect(pairs > 0 || n_skipped > 0);
}

/* A block kernel and the row kernel of the same ISA and width, given the same weights as
 * 4x1 block streams and as row streams, give the same bits: the sum of each output runs
 * over the same columns in the same order (so detecting blocks never changes results). */
Test(ukernel_spmm, block_kernels_bitwise_equal_to_row_kernels)
{
    int pairs = 0;
    for (const sc_spmm_info *kern = sc_spmm_table; kern->fn; ++kern) {
        if (kern->rows != 4 || !usable(kern)) continue;
        /* the row kernel of its width, or the row kit of its level (AVX-512: the masked 128) */
        const sc_spmm_info *row = sc_spmm_find(kern->need, kern->mr, 1);
        if (row && row->partial != kern->partial) row = NULL;
        enum { K = 33, OC = 8 };
        float x[K * 64], wb[OC * (K + 1)], wr[OC * (K + 1)], yb[OC * 64], yr[OC * 64];
        int32_t offb[OC * K], offr[OC * K];
        uint32_t nnzb[OC], nnzr[OC];
        rng_state.s = 1234 + kern->mr;
        for (int i = 0; i < K * 64; ++i) x[i] = (float)(2 * rnd() - 1);
        int wp = 0, op = 0;
        for (int g = 0; g < OC; g += 4) {  /* block streams */
            for (int q = 0; q < 4; ++q) wb[wp++] = (float)(rnd() - 0.5);
            nnzb[g] = 0;
            for (int q = 1; q < 4; ++q) nnzb[g + q] = UINT32_MAX;
            for (int r = 0; r < K; ++r)
                if (rnd() < 0.3) {
                    for (int q = 0; q < 4; ++q) wb[wp++] = (float)(2 * rnd() - 1);
                    offb[op++] = r * 64 * 4;
                    nnzb[g]++;
                }
        }
        int rp = 0, orp = 0, bw = 0, bo = 0;
        for (int g = 0; g < OC; g += 4) {  /* the same weights as row streams */
            const uint32_t n = nnzb[g];
            for (int q = 0; q < 4; ++q) {
                wr[rp++] = wb[bw + q];
                for (uint32_t j = 0; j < n; ++j) {
                    wr[rp++] = wb[bw + 4 + 4 * (int)j + q];
                    offr[orp++] = offb[bo + (int)j];
                }
                nnzr[g + q] = n;
            }
            bw += 4 + 4 * (int)n;
            bo += (int)n;
        }
        const sc_spmm_params acts[] = {{.load_y = 0, .clamp = 0, .lo = 0.0f, .hi = 0.0f},
                                       {.load_y = 0, .clamp = 1, .lo = 0.0f, .hi = 6.0f}};
        for (int a = 0; a < 2; ++a)
            FOR_EACH_MR(kern, m) {
                kern->fn(m, OC, x, wb, offb, nnzb, yb, 64 * 4, &acts[a]);
                run_twin(row, kern->need, 1, m, OC, x, wr, offr, nnzr, yr, 64 * 4, &acts[a]);
                for (int o = 0; o < OC; ++o)
                    cr_expect(memcmp(yb + o * 64, yr + o * 64, m * sizeof(float)) == 0,
                              "%s vs %s: m %zu row %d differs", kern->name,
                              row ? row->name : "the row kit", m, o);
            }
        ++pairs;
    }
    cr_log_info("%d block/row pairs", pairs);
    cr_expect(pairs > 0 || n_skipped > 0);
}

/* A driver-like split of any pixel count into 64/32/16/8 calls plus the partial tail,
 * per ISA: pixels below, at, above and at multiples of the tile. Every pixel's result
 * must be bitwise equal to the one computed with the full 64 tile where both exist,
 * because the accumulation order per pixel is fixed. */
Test(ukernel_spmm, pixel_counts_around_the_tile_bitwise_consistent)
{
    static const sc_cpu_set sets[] = {0, SC_CPU_X86_AVX2, SC_CPU_X86_AVX512};
    int merged = 0;  /* P with a 72-wide last tile checked (the portable one always has it) */
    for (int ii = 0; ii < 3; ++ii) {
        const sc_spmm_info *k64 = sc_spmm_find(sets[ii], 64, 1);
        if (!k64 || !usable(k64)) continue;
        const size_t widths[4] = {64, 32, 16, 8};
        enum { K = 12, OC = 2, PMAX = 200 };
        static float x[K * PMAX], w[OC * (K + 1)], yfull[OC * 256], ysplit[OC * PMAX];
        int32_t off[OC * K];
        uint32_t nnz[OC];
        rng_state.s = 5;
        for (int i = 0; i < K * PMAX; ++i) x[i] = (float)(2 * rnd() - 1);
        int wp = 0, op = 0;
        for (int o = 0; o < OC; ++o) {
            w[wp++] = 0.25f;
            nnz[o] = K;
            for (int r = 0; r < K; ++r) {
                w[wp++] = (float)(2 * rnd() - 1);
                off[op++] = r * PMAX * 4;
            }
        }
        const sc_spmm_params prm = no_act();
        static const size_t counts[] = {1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 72, 127,
                                        128, 129, 136, 192, 196, 200};
        for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ++ci) {
            const size_t P = counts[ci];
            size_t pos = 0;
            for (int k = 0; k < 4; ++k) {
                const sc_spmm_info *kern = sc_spmm_find(sets[ii], widths[k], 1);
                for (; P - pos >= widths[k]; pos += widths[k])
                    kern->fn(widths[k], OC, x + pos, w, off, nnz, ysplit + pos, PMAX * 4, &prm);
            }
            if (pos < P)
                sc_spmm_find(sets[ii], 8, 1)->fn(P - pos, OC, x + pos, w, off, nnz, ysplit + pos,
                                                 PMAX * 4, &prm);
            /* a last tile of 65..72 pixels in one 72-wide call: the bits of 64 + masked 8 */
            const sc_spmm_info *k72 = sc_spmm_find(sets[ii], 72, 1);
            if (k72 && P > 64 && P % 64 != 0 && P % 64 <= 8) {
                static float y72[OC * PMAX];
                const size_t last = P - P % 64 - 64;
                for (size_t t = 0; t < last; t += 64)
                    k64->fn(64, OC, x + t, w, off, nnz, y72 + t, PMAX * 4, &prm);
                k72->fn(P - last, OC, x + last, w, off, nnz, y72 + last, PMAX * 4, &prm);
                for (int o = 0; o < OC; ++o)
                    cr_expect(memcmp(y72 + o * PMAX, ysplit + o * PMAX, P * 4) == 0,
                              "%s P %zu row %d differs from 64 + 8", k72->name, P, o);
                ++merged;
            }
            /* full tiles only over whole 64-blocks inside P */
            for (size_t t = 0; t + 64 <= P; t += 64) {
                k64->fn(64, OC, x + t, w, off, nnz, yfull, 256 * 4, &prm);
                for (int o = 0; o < OC; ++o)
                    cr_expect(memcmp(yfull + o * 256, ysplit + o * PMAX + t, 64 * 4) == 0,
                              "%s P %zu tile %zu row %d differs", k64->name, P, t, o);
            }
            for (int o = 0; o < OC; ++o)
                for (size_t p = 0; p < P; ++p) {
                    double ref = 0.25;
                    for (int r = 0; r < K; ++r)
                        ref += (double)w[o * (K + 1) + 1 + r] * x[r * PMAX + p];
                    cr_expect(fabs(ysplit[o * PMAX + p] - ref) <= 1e-5 * (K + 1),
                              "%s P %zu y[%d][%zu] %g vs %g", k64->name, P, o, p,
                              (double)ysplit[o * PMAX + p], ref);
                }
        }
    }
    cr_expect(merged >= 4, "72-wide last tiles checked: %d", merged);
}

/* Every kernel at every width it accepts, with its last input row and its last output row
 * ending on an inaccessible page: a masked load or store of a lane at or past mr would
 * fault (masked-out lanes must not be touched). With and without load_y (which reads y),
 * the result equals the same call on ordinary memory. */
Test(ukernel_spmm, no_access_past_mr_guard_pages)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    enum { K = 3, OCMAX = 4 };
    cr_assert_geq(page, (size_t)(K * SC_SPMM_TILE_MAX + OCMAX * SC_SPMM_TILE_MAX) * 4);
    char *xmap = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *ymap = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(xmap != MAP_FAILED && ymap != MAP_FAILED);
    cr_assert_eq(mprotect(xmap + page, page, PROT_NONE), 0);
    cr_assert_eq(mprotect(ymap + page, page, PROT_NONE), 0);
    int calls = 0;
    for (const sc_spmm_info *kern = sc_spmm_table; kern->fn; ++kern) {
        if (!usable(kern)) continue;
        const size_t R = kern->rows, OC = R == 1 ? 3 : 4;
        float w[OCMAX * (K + 1)], xs[K * SC_SPMM_TILE_MAX], ys[OCMAX * SC_SPMM_TILE_MAX];
        int32_t off[OCMAX * K];
        uint32_t nnz[OCMAX];
        FOR_EACH_MR(kern, m) {
            /* rows packed back to back, the last one ending at the guard page */
            float *x = (float *)(xmap + page) - K * m, *y = (float *)(ymap + page) - OC * m;
            rng_state.s = 77 + m;
            for (size_t i = 0; i < K * m; ++i) xs[i] = x[i] = (float)(2 * rnd() - 1);
            size_t wp = 0;
            for (size_t g = 0; g < OC; g += R) {
                for (size_t q = 0; q < R; ++q) w[wp++] = (float)(rnd() - 0.5);
                nnz[g] = K;
                for (size_t q = 1; q < R; ++q) nnz[g + q] = UINT32_MAX;
                for (size_t r = 0; r < K; ++r) {
                    for (size_t q = 0; q < R; ++q) w[wp++] = (float)(2 * rnd() - 1);
                    off[g / R * K + r] = (int32_t)(r * m * sizeof(float));
                }
            }
            for (int load_y = 0; load_y < 2; ++load_y) {
                const sc_spmm_params prm = {.load_y = load_y, .clamp = 1, .lo = -0.5f, .hi = 0.5f};
                for (size_t i = 0; i < OC * m; ++i) ys[i] = y[i] = (float)(i % 5) * 0.1f;
                kern->fn(m, OC, x, w, off, nnz, y, m * sizeof(float), &prm);
                kern->fn(m, OC, xs, w, off, nnz, ys, m * sizeof(float), &prm);
                cr_expect(memcmp(y, ys, OC * m * sizeof *y) == 0,
                          "%s: m %zu load_y %d: guarded and ordinary memory differ", kern->name,
                          m, load_y);
                ++calls;
            }
        }
    }
    munmap(xmap, 2 * page);
    munmap(ymap, 2 * page);
    cr_log_info("%d guarded calls", calls);
    cr_expect_gt(calls, 0);
}
