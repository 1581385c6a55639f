/* tests/sparse/test_ukernel_split.c: the split-tap SpMM kernels (AVX-512 and portable twin) against a double-precision oracle of their definition */
#define _DEFAULT_SOURCE  /* MAP_ANONYMOUS (guarded.h) */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "guarded.h"
#include "sparse/ukernels/spmm.h"

/* Input rows of LD floats (a multiple of 16: every row start is a 64-byte aligned offset),
 * room for the widest read of a row: (128 / 16 + 1) * 16 floats. */
enum { LD = 160, NR = 24, OCMAX = 8, SEG_NNZ_MAX = 6, MAXP = 128 };
enum { ENTRIES = OCMAX * (SC_SPMM_MAX_SEG * SEG_NNZ_MAX + 1) };

typedef struct kernel {
    const char *name;
    sc_spmm_fn fn;
} kernel;

/* The portable twin always, the AVX-512 kernel where the library may run it (SCONV_ISA
 * caps it); a skip is printed, not cr_log_warn'd (Criterion 2.4's runner exits 1 after a
 * warning). */
static int kernels(kernel out[2])
{
    int n = 0;
    out[n++] = (kernel){"split_ref", sc_spmm_split_f32_128__ref};
    if (sc_isa_available(SC_ISA_AVX512))
        out[n++] = (kernel){"split_avx512", sc_spmm_split_f32_128__avx512};
    else
        printf("test_ukernel_split: AVX-512 split kernel skipped (not available here)\n");
    return n;
}

/* The column shift sets: one segment, consecutive shifts, a gap, the largest shift. */
typedef struct shifts {
    int n_seg;
    int s[SC_SPMM_MAX_SEG];
} shifts;
static const shifts SHIFTS[] = {
    {1, {0}}, {2, {0, 1}}, {3, {0, 1, 2}}, {4, {0, 1, 2, 3}}, {3, {0, 2, 4}}, {2, {0, 15}},
    {4, {0, 15, 7, 1}},
};
enum { N_SHIFTS = sizeof SHIFTS / sizeof SHIFTS[0] };

/* One weight stream of n_oc rows: per row the bias slot then its values, segment by
 * segment; seg[] records each entry's segment (the oracle's shift). */
typedef struct stream {
    size_t n_oc;
    float w[ENTRIES];
    int32_t off[ENTRIES];
    int seg[ENTRIES];
    uint32_t cnt[OCMAX * SC_SPMM_MAX_SEG];
    sc_spmm_params prm;
} stream;

enum { POOLED = 1, FAR = 2 };

/* A random stream: rows o % 4 == 1 have no nonzeros, rows o % 4 == 2 none in segment 0,
 * other segments are empty one time in four. POOLED: segment k reads only input rows r with
 * r % n_seg == k (a value put in one row reaches one segment). FAR: only row 0's last
 * segment reads the last input row, with its first nonzero (the farthest offset). */
static void build_stream(stream *st, ct_rng *rng, size_t n_oc, const shifts *sh, int mode,
                         sc_spmm_params act)
{
    st->n_oc = n_oc;
    st->prm = act;
    st->prm.n_seg = sh->n_seg;
    for (int k = 0; k < SC_SPMM_MAX_SEG; ++k) st->prm.seg_shift[k] = k < sh->n_seg ? sh->s[k] : 0;
    st->prm.seg_nnz = st->cnt;
    const int64_t top = mode & FAR ? NR - 2 : NR - 1;
    size_t wp = 0, op = 0;
    for (size_t o = 0; o < n_oc; ++o) {
        st->w[wp++] = (float)(ct_uniform(rng) - 0.5);
        for (int k = 0; k < sh->n_seg; ++k) {
            uint32_t n = (uint32_t)ct_int(rng, 1, SEG_NNZ_MAX);
            if (o % 4 == 1 || (o % 4 == 2 && k == 0) || ct_uniform(rng) < 0.25) n = 0;
            const int far = (mode & FAR) && o == 0 && k == sh->n_seg - 1;
            if (far && n == 0) n = 1;
            st->cnt[o * (size_t)sh->n_seg + (size_t)k] = n;
            for (uint32_t j = 0; j < n; ++j, ++op) {
                int64_t r = ct_int(rng, 0, top);
                if (mode & POOLED) r = r / sh->n_seg * sh->n_seg + k;
                if (r > top) r -= sh->n_seg;
                if (far && j == 0) r = NR - 1;
                st->off[op] = (int32_t)(r * LD * (int64_t)sizeof(float));
                st->seg[op] = k;
                st->w[wp++] = ct_float(rng);
            }
        }
    }
}

/* The kernels' activation rule in double: comparisons false for NaN (kept). */
static double act_ref(double v, const sc_spmm_params *prm)
{
    if (!prm->clamp) return v;
    v = v < prm->lo ? prm->lo : v;
    return v > prm->hi ? prm->hi : v;
}

/* The definition in double: y[o][p] = start + sum over every nonzero j of segment k of
 * w_j * x_j[p + shift[k]], then the clamp. pre: 1 where the sum before the clamp is finite,
 * scale: |start| + sum |products| (the rounding budget). start = y0 under load_y. */
static void oracle(const stream *st, const float *x, size_t mr, const float *y0, size_t ys,
                   double *want, double *scale, int *pre_finite)
{
    size_t wp = 0, op = 0;
    for (size_t o = 0; o < st->n_oc; ++o) {
        const double bias = st->w[wp++];
        double *wo = want + o * MAXP, *so = scale + o * MAXP;
        for (size_t p = 0; p < mr; ++p) {
            wo[p] = st->prm.load_y ? (double)y0[o * ys + p] : bias;
            so[p] = fabs(wo[p]);
        }
        for (int k = 0; k < st->prm.n_seg; ++k)
            for (uint32_t j = 0; j < st->cnt[o * (size_t)st->prm.n_seg + (size_t)k]; ++j, ++op) {
                const double v = st->w[wp++];
                const float *xj = x + st->off[op] / 4 + st->prm.seg_shift[st->seg[op]];
                for (size_t p = 0; p < mr; ++p) {
                    wo[p] += v * xj[p];
                    so[p] += fabs(v * xj[p]);
                }
            }
        for (size_t p = 0; p < mr; ++p) {
            pre_finite[o * MAXP + p] = isfinite(wo[p]) != 0;
            wo[p] = act_ref(wo[p], &st->prm);
        }
    }
}

/* got close to want: exact (NaN for NaN) where the sum was not finite or had nothing to
 * round, else within 1e-5 of the sum of magnitudes. */
static int close_to(float got, double want, double scale, int pre_finite)
{
    if (!pre_finite || scale == 0) return isnan(want) ? isnan(got) : (double)got == want;
    return fabs((double)got - want) <= 1e-5 * scale + 1e-30;
}

static const float SENTINEL = -777.0f;
static int n_nonfinite;  /* outputs whose sum was NaN or +-Inf, over every check */
enum { YG = 16 };  /* sentinel floats before the first and after the last output row */

/* Runs one case (x holds NR rows of LD floats) into y rows of stride mr + y_pad framed by
 * sentinels and checks every value and every sentinel. Returns 1 on a failure (logged). */
static int check(const kernel *kern, const stream *st, const float *x, size_t mr, size_t y_pad,
                 const char *what)
{
    const size_t ys = mr + y_pad, n = st->n_oc * ys + 2 * YG;
    float *ybuf = malloc(n * sizeof *ybuf), *y0 = calloc(st->n_oc * ys, sizeof *y0);
    double *want = malloc(OCMAX * MAXP * sizeof *want);
    double *scale = malloc(OCMAX * MAXP * sizeof *scale);
    int *pre = malloc(OCMAX * MAXP * sizeof *pre);
    cr_assert(ybuf && y0 && want && scale && pre);
    for (size_t i = 0; i < n; ++i) ybuf[i] = SENTINEL;
    float *y = ybuf + YG;
    for (size_t o = 0; o < st->n_oc; ++o)
        for (size_t p = 0; p < mr; ++p)
            y0[o * ys + p] = y[o * ys + p] = st->prm.load_y ? (float)(p * 0.01 - o * 0.1) : 0.0f;
    oracle(st, x, mr, y0, ys, want, scale, pre);
    kern->fn(mr, st->n_oc, x, st->w, st->off, NULL, y, ys * sizeof(float), &st->prm);
    int bad = 0;
    for (size_t i = 0; i < n && !bad; ++i) {
        const size_t o = (i - YG) / ys, p = (i - YG) % ys;
        const int inside = i >= YG && i < YG + st->n_oc * ys && p < mr;
        const size_t q = o * MAXP + p;
        if (inside && !pre[q]) ++n_nonfinite;
        if (inside ? close_to(ybuf[i], want[q], scale[q], pre[q])
                   : memcmp(&ybuf[i], &SENTINEL, sizeof SENTINEL) == 0)
            continue;
        bad = 1;
        if (inside)
            cr_log_error("%s %s: mr %zu n_seg %d shifts %d,%d,%d,%d load_y %d clamp %d [%g, %g]: "
                         "y[%zu][%zu] = %.9g, expected %.9g (scale %g)",
                         kern->name, what, mr, st->prm.n_seg, st->prm.seg_shift[0],
                         st->prm.seg_shift[1], st->prm.seg_shift[2], st->prm.seg_shift[3],
                         st->prm.load_y, st->prm.clamp, (double)st->prm.lo, (double)st->prm.hi,
                         o, p, (double)ybuf[i], want[q], scale[q]);
        else
            cr_log_error("%s %s: mr %zu n_seg %d: wrote %g at float %td of y (row stride %zu)",
                         kern->name, what, mr, st->prm.n_seg, (double)ybuf[i],
                         (ptrdiff_t)i - YG, ys);
    }
    free(ybuf), free(y0), free(want), free(scale), free(pre);
    return bad;
}

static float *random_x(ct_rng *rng)
{
    float *x = aligned_alloc(64, NR * LD * sizeof *x);
    cr_assert(x);
    for (size_t i = 0; i < NR * LD; ++i) x[i] = ct_float(rng);
    return x;
}

static const sc_spmm_params ACTS[] = {
    {.clamp = 0},
    {.clamp = 1, .lo = 0.0f, .hi = INFINITY},  /* ReLU */
    {.clamp = 1, .lo = 0.0f, .hi = 6.0f},      /* ReLU6 */
    {.clamp = 1, .lo = -0.25f, .hi = 0.25f},   /* most values outside */
};
enum { N_ACTS = sizeof ACTS / sizeof ACTS[0] };

/* Every width 1..128, every shift set, load_y 0/1, each activation; rows with empty
 * segments and rows without nonzeros; output rows wider than mr keep their sentinels. */
Test(ukernel_split, every_width_shift_set_and_activation)
{
    kernel ks[2];
    const int nk = kernels(ks);
    int cases = 0, fails = 0;
    for (int kk = 0; kk < nk; ++kk)
        for (int si = 0; si < N_SHIFTS; ++si)
            for (size_t mr = 1; mr <= MAXP; ++mr)
                for (int v = 0; v < 2 * N_ACTS; ++v) {
                    ct_rng rng = {1000003u * (uint64_t)(si + 1) + 131u * mr + (uint64_t)v};
                    float *x = random_x(&rng);
                    stream st;
                    sc_spmm_params act = ACTS[v / 2];
                    act.load_y = v % 2;
                    build_stream(&st, &rng, 6, &SHIFTS[si], 0, act);
                    fails += check(&ks[kk], &st, x, mr, 1 + (mr % 3) * 7, "random");
                    ++cases;
                    free(x);
                }
    cr_log_info("%d cases", cases);
    cr_expect_eq(fails, 0, "%d of %d cases failed", fails, cases);
    cr_expect_gt(cases, 0);
}

/* Input ending where the farthest allowed read ends, at an inaccessible page: the input up
 * to max offset + 4 * (ceil(mr / 16) + 1) * 16 bytes, with the farthest row read by the last
 * segment; output rows packed (stride mr) with the last one ending at a guard page too. */
Test(ukernel_split, reads_and_writes_stay_in_bounds_guard_pages)
{
    static const size_t MRS[] = {1, 15, 16, 17, 100, 127, 128};
    kernel ks[2];
    const int nk = kernels(ks);
    int calls = 0, fails = 0;
    for (int kk = 0; kk < nk; ++kk)
        for (int si = 0; si < N_SHIFTS; ++si)
            for (size_t mi = 0; mi < sizeof MRS / sizeof MRS[0]; ++mi)
                for (int load_y = 0; load_y < 2; ++load_y) {
                    const size_t mr = MRS[mi];
                    ct_rng rng = {77u + 1000u * (uint64_t)si + mr};
                    stream st;
                    sc_spmm_params act = ACTS[2];
                    act.load_y = load_y;
                    build_stream(&st, &rng, 4, &SHIFTS[si], FAR, act);
                    const size_t reach = (NR - 1) * LD + ((mr + 15) / 16 + 1) * 16;
                    guarded gx = guarded_alloc((int64_t)reach);
                    guarded gy = guarded_alloc((int64_t)(st.n_oc * mr));
                    for (size_t i = 0; i < reach; ++i) gx.p[i] = ct_float(&rng);
                    float y0[OCMAX * MAXP];
                    for (size_t i = 0; i < st.n_oc * mr; ++i)
                        y0[i] = gy.p[i] = (float)(i % 5) * 0.1f;
                    double want[OCMAX * MAXP], scale[OCMAX * MAXP];
                    int pre[OCMAX * MAXP];
                    oracle(&st, gx.p, mr, y0, mr, want, scale, pre);
                    ks[kk].fn(mr, st.n_oc, gx.p, st.w, st.off, NULL, gy.p, mr * sizeof(float),
                              &st.prm);
                    int bad = 0;
                    for (size_t o = 0; o < st.n_oc && !bad; ++o)
                        for (size_t p = 0; p < mr && !bad; ++p) {
                            const size_t q = o * MAXP + p;
                            if (close_to(gy.p[o * mr + p], want[q], scale[q], pre[q])) continue;
                            bad = 1;
                            cr_log_error("%s guarded: mr %zu shifts #%d load_y %d y[%zu][%zu] "
                                         "%g vs %g", ks[kk].name, mr, si, load_y, o, p,
                                         (double)gy.p[o * mr + p], want[q]);
                        }
                    fails += bad;
                    guarded_free(&gx);
                    guarded_free(&gy);
                    ++calls;
                }
    cr_log_info("%d guarded calls", calls);
    cr_expect_eq(fails, 0);
    cr_expect_eq(calls, nk * N_SHIFTS * 7 * 2);
}

/* The property the engine's tiling relies on: pixels [a, a + m) of one 128-pixel call are
 * bitwise those of a call on x + a, y + a for m pixels (a a multiple of 16, the offsets
 * unchanged), with and without load_y. */
Test(ukernel_split, a_tile_gives_the_bits_of_one_wide_call)
{
    static const size_t AM[][2] = {{0, 1},   {0, 17},  {0, 128}, {16, 16},  {16, 100}, {32, 96},
                                   {48, 33}, {64, 64}, {80, 47}, {96, 5},   {112, 15}, {112, 16}};
    enum { YS = MAXP + 5, N_AM = sizeof AM / sizeof AM[0] };
    kernel ks[2];
    const int nk = kernels(ks);
    int compared = 0, fails = 0;
    for (int kk = 0; kk < nk; ++kk)
        for (int si = 0; si < N_SHIFTS; ++si)
            for (int load_y = 0; load_y < 2; ++load_y) {
                ct_rng rng = {4242u + 10u * (uint64_t)si + (uint64_t)load_y};
                float *x = random_x(&rng);
                stream st;
                sc_spmm_params act = ACTS[load_y ? 2 : 0];
                act.load_y = load_y;
                build_stream(&st, &rng, OCMAX, &SHIFTS[si], 0, act);
                static float y0[OCMAX * YS], yfull[OCMAX * YS], ypart[OCMAX * YS];
                for (size_t i = 0; i < OCMAX * YS; ++i)
                    y0[i] = load_y ? (float)((i % YS) * 0.01 - (double)(i / YS) * 0.1) : SENTINEL;
                memcpy(yfull, y0, sizeof yfull);
                ks[kk].fn(MAXP, OCMAX, x, st.w, st.off, NULL, yfull, YS * sizeof(float), &st.prm);
                for (int t = 0; t < N_AM; ++t) {
                    const size_t a = AM[t][0], m = AM[t][1];
                    memcpy(ypart, y0, sizeof ypart);
                    ks[kk].fn(m, OCMAX, x + a, st.w, st.off, NULL, ypart + a, YS * sizeof(float),
                              &st.prm);
                    for (size_t o = 0; o < OCMAX; ++o, ++compared)
                        if (memcmp(ypart + o * YS + a, yfull + o * YS + a, m * sizeof(float))) {
                            ++fails;
                            cr_log_error("%s: shifts #%d load_y %d: pixels [%zu, %zu) of row %zu "
                                         "differ from the 128-pixel call",
                                         ks[kk].name, si, load_y, a, a + m, o);
                        }
                }
                free(x);
            }
    cr_log_info("%d row tiles compared", compared);
    cr_expect_eq(fails, 0);
    cr_expect_gt(compared, 0);
}

/* NaN or +-Inf at one position q of an input row that only segment k (shift s) reads:
 * the outputs p = q - s of the rows reading it become non-finite (NaN kept by the clamp),
 * the others stay finite; q = s - 1 and q = s + mr are loaded by the kernel but read by no
 * pixel. A shift applied the wrong way or to the wrong segment moves the damage. */
Test(ukernel_split, nan_and_inf_reach_only_the_pixels_that_read_them)
{
    static const int SETS[] = {3, 4, 5, 6};  /* {0,1,2,3}, {0,2,4}, {0,15}, {0,15,7,1} */
    static const size_t MRS[] = {17, 128};
    static const float SPECIAL[] = {NAN, INFINITY, -INFINITY};
    kernel ks[2];
    const int nk = kernels(ks);
    int cases = 0, fails = 0;
    n_nonfinite = 0;
    for (int kk = 0; kk < nk; ++kk)
        for (size_t ss = 0; ss < sizeof SETS / sizeof SETS[0]; ++ss)
            for (size_t mi = 0; mi < sizeof MRS / sizeof MRS[0]; ++mi)
                for (int v = 0; v < 6; ++v) {
                    const shifts *sh = &SHIFTS[SETS[ss]];
                    const size_t mr = MRS[mi];
                    ct_rng rng = {999u + 100u * ss + 10u * mi + (uint64_t)v};
                    float *x = random_x(&rng);
                    stream st;
                    build_stream(&st, &rng, OCMAX, sh, POOLED, ACTS[v % 2]);  /* none, ReLU */
                    for (int k = 0; k < sh->n_seg; ++k) {
                        size_t e = 0;  /* the stream's nonzeros */
                        for (size_t i = 0; i < OCMAX * (size_t)sh->n_seg; ++i) e += st.cnt[i];
                        int64_t row = -1;  /* the input row of segment k's first nonzero */
                        for (size_t j = 0; j < e && row < 0; ++j)
                            if (st.seg[j] == k) row = st.off[j] / 4 / LD;
                        if (row < 0) continue;
                        const size_t s = (size_t)sh->s[k];
                        const size_t qs[] = {s ? s - 1 : s, s, s + mr / 2, s + mr - 1, s + mr};
                        for (size_t qi = 0; qi < 5; ++qi) {
                            const size_t at = (size_t)row * LD + qs[qi];
                            const float keep = x[at];
                            x[at] = SPECIAL[v / 2];
                            fails += check(&ks[kk], &st, x, mr, 3, "non-finite");
                            x[at] = keep;
                            ++cases;
                        }
                    }
                    free(x);
                }
    cr_log_info("%d cases, %d non-finite outputs", cases, n_nonfinite);
    cr_expect_eq(fails, 0, "%d of %d non-finite cases failed", fails, cases);
    cr_expect_gt(n_nonfinite, 0);
}
