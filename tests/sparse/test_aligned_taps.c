/* tests/sparse/test_aligned_taps.c: KxK plans with aligned taps (shifted plane copies, split taps): geometry against index arithmetic, results against the reference, bitwise against plain planes (copies) and across threads */
#include <criterion/criterion.h>
#include <stdio.h>

#include "conv_test_util.h"
#include "core/core.h"
#include "layer/layer_impl.h"
#include "sparse/sparse_plan.h"
#include "levels.h"

#define TAPS_SEED 20261207u

typedef struct taps_case {
    int64_t n, ic, oc, h, w, kh, kw;
    sc_conv_params p;
    int xl, yl;
    double sparsity;
} taps_case;

static void describe(const taps_case *c, sc_cpu_set allowed, char *buf, size_t cap)
{
    snprintf(buf, cap, "n %lld ic %lld oc %lld in %lldx%lld k %lldx%lld stride %dx%d pad t%d "
             "l%d b%d r%d dil %dx%d x %s y %s sparsity %.2f features %#llx", (long long)c->n,
             (long long)c->ic, (long long)c->oc, (long long)c->h, (long long)c->w,
             (long long)c->kh, (long long)c->kw, (int)c->p.stride_h, (int)c->p.stride_w,
             (int)c->p.pad_top, (int)c->p.pad_left, (int)c->p.pad_bottom, (int)c->p.pad_right,
             (int)c->p.dil_h, (int)c->p.dil_w, ct_layout_names[c->xl], ct_layout_names[c->yl],
             c->sparsity, (unsigned long long)allowed);
}

static sc_layer *case_layer(const taps_case *c, ct_rng *r, float *pruned, const char *what)
{
    const sc_wdesc wd = {SC_OIHW, c->oc, c->ic, c->kh, c->kw};
    return ct_random_layer(r, &(ct_layer_spec){.wd = wd, .params = &c->p,
                                               .sparsity = c->sparsity, .pruned = pruned,
                                               .what = what});
}

static void build(const sc_layer *L, const sc_tensor *xd, const sc_tensor *yd,
                  sc_cpu_set allowed, int threads, sc_taps_mode taps, sc_sparse_plan *sp,
                  const char *what)
{
    const sc_sparse_options o = {.allowed = allowed, .threads = threads,
                                 .act = {0, 0, 0.0f, 0.0f}, .taps = taps};
    cr_assert_eq(sc_sparse_plan_build(L, xd, yd, &o, sp), SC_OK, "%s: %s", what,
                 sc_last_message());
}

/* A case's layer, descriptors and the column shifts its taps should get: (kw*dw/sw) % 16,
 * distinct, in tap order, and each tap's index among them. */
typedef struct geometry_case {
    char what[320];
    int64_t oh, ow, bmax;
    sc_layer *L;
    sc_tensor xd, yd;
    int64_t shifts[16], n_shift, tap_k[32];  /* kernels up to 32 taps wide */
} geometry_case;

static void geometry_open(const taps_case *c, sc_cpu_set allowed, ct_rng *r, geometry_case *g)
{
    const sc_conv_params *p = &c->p;
    int64_t xoff, xlen, yoff, ylen;
    describe(c, allowed, g->what, sizeof g->what);
    cr_assert_eq(sc_conv_output_hw(p, c->kh, c->kw, c->h, c->w, &g->oh, &g->ow), SC_OK, "%s",
                 g->what);
    g->L = case_layer(c, r, NULL, g->what);
    g->xd = ct_layout(c->xl, c->n, c->ic, c->h, c->w, &xoff, &xlen);
    g->yd = ct_layout(c->yl, c->n, c->oc, g->oh, g->ow, &yoff, &ylen);
    g->bmax = (c->kw - 1) * p->dil_w / p->stride_w;
    g->n_shift = 0;
    for (int64_t kw = 0; kw < c->kw; ++kw) {
        const int64_t s = kw * p->dil_w / p->stride_w % 16;
        int64_t k = 0;
        while (k < g->n_shift && g->shifts[k] != s) ++k;
        if (k == g->n_shift) g->shifts[g->n_shift++] = s;
        g->tap_k[kw] = k;
    }
}

/* The first failed condition of a check function is logged; `bad` counts it. */
#define CHECK(cond, ...)                                                                    \
    do {                                                                                    \
        if (!bad && !(cond)) {                                                              \
            cr_log_error(__VA_ARGS__);                                                      \
            bad = 1;                                                                        \
        }                                                                                   \
    } while (0)

/* The aligned plan of a KxK layer against index arithmetic: wq = ow + (kw-1)*dw/sw rounded
 * up to 16; one copy per distinct column offset (kw*dw/sw) % 16 in tap order; every byte
 * offset a multiple of 64 that addresses (channel, phase, copy) and the tap's row and
 * column; every tile starting on a multiple of 16 floats. The plain plan keeps wq and one
 * copy. Returns 1 on a mismatch. */
static int check_geometry(const taps_case *c, sc_cpu_set allowed, ct_rng *r)
{
    geometry_case g;
    geometry_open(c, allowed, r, &g);
    const sc_conv_params *p = &c->p;
    const char *what = g.what;
    const int64_t ow = g.ow, bmax = g.bmax, n_shift = g.n_shift;
    const int64_t *shifts = g.shifts, *tap_copy = g.tap_k;
    sc_layer *L = g.L;
    sc_sparse_plan plain, al;
    build(L, &g.xd, &g.yd, allowed, 1, SC_TAPS_PLAIN, &plain, what);
    build(L, &g.xd, &g.yd, allowed, 1, SC_TAPS_ALIGNED, &al, what);
    int bad = 0;
    CHECK(plain.d.wq == ow + bmax && plain.n_copy == 1, "%s: plain wq %lld copies %lld", what,
          (long long)plain.d.wq, (long long)plain.n_copy);
    CHECK(al.d.wq == (ow + bmax + 15) / 16 * 16, "%s: aligned wq %lld", what,
          (long long)al.d.wq);
    CHECK(al.plane_floats % 16 == 0 && al.plane_floats >= al.hq * al.d.wq, "%s: plane %lld",
          what, (long long)al.plane_floats);
    CHECK(al.n_copy == n_shift, "%s: %lld copies, expected %lld", what, (long long)al.n_copy,
          (long long)n_shift);
    for (int64_t k = 0; k < n_shift && !bad; ++k)
        CHECK(al.shift[k] == shifts[k], "%s: shift[%lld] = %lld, expected %lld", what,
              (long long)k, (long long)al.shift[k], (long long)shifts[k]);
    /* every offset of the aligned streams decodes into (channel, copy, phase, row, column)
     * of a tap of the kernel that reads that copy, its column a multiple of 16 */
    const int64_t S = al.plane_floats, nph = al.n_phase, npw = al.n_phase_w, wa = al.d.wq;
    int64_t total = 0;
    for (int64_t b = 0; b < al.d.n_cb * al.d.n_rows; ++b) total += al.d.nnz[b];
    CHECK(total == L->nnz, "%s: %lld offsets for %lld nonzeros", what, (long long)total,
          (long long)L->nnz);
    for (int64_t j = 0; j < total && !bad; ++j) {
        const int64_t f = al.d.off_bytes[j];
        const int64_t P = f / 4 / S, rem = f / 4 % S, row = rem / wa, col = rem % wa;
        const int64_t ci = P / (n_shift * nph), k = P / nph % n_shift, phase = P % nph;
        int found = 0;
        for (int64_t kh = 0; kh < c->kh; ++kh)
            for (int64_t kw = 0; kw < c->kw; ++kw)
                found |= kh * p->dil_h / p->stride_h == row &&
                         kw * p->dil_w / p->stride_w == col + shifts[k] && tap_copy[kw] == k &&
                         al.tap_ph_h[kh] * npw + al.tap_ph_w[kw] == phase;
        CHECK(f % 64 == 0 && found && ci < c->ic,
              "%s: offset %lld = %lld bytes (channel %lld copy %lld phase %lld row %lld "
              "column %lld) is no aligned tap", what, (long long)j, (long long)f,
              (long long)ci, (long long)k, (long long)phase, (long long)row, (long long)col);
    }
    for (int64_t t = 0; t < al.d.n_tiles && !bad; ++t) {
        int64_t q0, m;
        sc_spmm_tile(&al.d, t, &q0, &m);
        CHECK(q0 % 16 == 0, "%s: tile %lld starts at flat pixel %lld", what, (long long)t,
              (long long)q0);
    }
    sc_sparse_plan_clear(&plain);
    sc_sparse_plan_clear(&al);
    sc_layer_destroy(L);
    return bad;
}

/* The phase planes and their shifted copies of the last image against the plain plan's planes:
 * copy k of (c, phase) holds the plain plane's values at column j + shift[k] of each row (a
 * row of wq_plain columns padded with zeros to wq), zero past its end. */
static int check_copies(const taps_case *c, sc_cpu_set allowed, ct_rng *r)
{
    char what[320];
    describe(c, allowed, what, sizeof what);
    int64_t oh, ow, xoff, xlen, yoff, ylen;
    cr_assert_eq(sc_conv_output_hw(&c->p, c->kh, c->kw, c->h, c->w, &oh, &ow), SC_OK, "%s",
                 what);
    sc_layer *L = case_layer(c, r, NULL, what);
    const sc_tensor xd = ct_layout(c->xl, c->n, c->ic, c->h, c->w, &xoff, &xlen);
    const sc_tensor yd = ct_layout(c->yl, c->n, c->oc, oh, ow, &yoff, &ylen);
    float *x = malloc((size_t)xlen * sizeof *x);
    for (int64_t i = 0; i < xlen; ++i) x[i] = (float)(2 * ct_uniform(r) - 1);
    sc_sparse_plan plain, al;
    build(L, &xd, &yd, allowed, 1, SC_TAPS_PLAIN, &plain, what);
    build(L, &xd, &yd, allowed, 1, SC_TAPS_ALIGNED, &al, what);
    const float *x1 = x + xoff + (c->n - 1) * xd.strides[SC_N];
    float *pp = malloc((size_t)plain.d.image_floats * sizeof *pp);
    float *pa = malloc((size_t)al.d.image_floats * sizeof *pa);
    sc_pack_phase_planes(&plain, x1, 0, c->ic, pp);
    const int64_t split = c->ic / 2;  /* two calls, as the threads' chunks */
    sc_pack_phase_planes(&al, x1, split, c->ic, pa);
    sc_pack_phase_planes(&al, x1, 0, split, pa);
    const int64_t Sp = plain.plane_floats, Sa = al.plane_floats, nph = al.n_phase;
    const int64_t wp = plain.d.wq, wa = al.d.wq, hq = al.hq;
    int bad = 0;
    for (int64_t ci = 0; ci < c->ic && !bad; ++ci)
        for (int64_t ph = 0; ph < nph && !bad; ++ph)
            for (int64_t k = 0; k < al.n_copy && !bad; ++k) {
                const float *cp = pa + ((ci * al.n_copy + k) * nph + ph) * Sa;
                const float *pl = pp + (ci * nph + ph) * Sp;
                for (int64_t e = 0; e < Sa; ++e) {
                    const int64_t f = e + al.shift[k], i = f / wa, j = f % wa;
                    const float want = i < hq && j < wp ? pl[i * wp + j] : 0.0f;
                    if (cp[e] != want) {
                        cr_log_error("%s: channel %lld phase %lld copy %lld (shift %lld) "
                                     "[%lld] = %g, expected %g", what, (long long)ci,
                                     (long long)ph, (long long)k, (long long)al.shift[k],
                                     (long long)e, (double)cp[e], (double)want);
                        bad = 1;
                        break;
                    }
                }
            }
    free(pp), free(pa), free(x);
    sc_sparse_plan_clear(&plain);
    sc_sparse_plan_clear(&al);
    sc_layer_destroy(L);
    return bad;
}

/* The split plan of a KxK layer against index arithmetic: wq rounded up to 16 as for the
 * copies, one plane per phase, one segment per distinct column shift (kw*dw/sw) % 16 in tap
 * order (or plain planes beyond SC_SPMM_MAX_SEG of them); each stream's segment counts sum
 * to its count; every offset a multiple of 64 bytes that addresses (channel, phase) at the
 * tap's row and column minus its segment's shift, segments in order within each stream;
 * every tile starting on a multiple of 16 floats. Returns 1 on a mismatch. */
static int check_split_geometry(const taps_case *c, sc_cpu_set allowed, ct_rng *r)
{
    geometry_case g;
    geometry_open(c, allowed, r, &g);
    const sc_conv_params *p = &c->p;
    const char *what = g.what;
    const int64_t ow = g.ow, bmax = g.bmax, n_shift = g.n_shift;
    const int64_t *shifts = g.shifts, *tap_seg = g.tap_k;
    sc_layer *L = g.L;
    sc_sparse_plan sp;
    build(L, &g.xd, &g.yd, allowed, 1, SC_TAPS_SPLIT, &sp, what);
    int bad = 0;
    if (n_shift > SC_SPMM_MAX_SEG || bmax == 0 || sp.d.rows == 4) {
        /* too many segments, nothing to align, or 4x1 block streams: plain planes */
        CHECK(sp.taps == SC_TAPS_PLAIN && sp.d.act.n_seg == 0, "%s: split planned (taps %d) where "
              "it cannot apply", what, (int)sp.taps);
        goto done;
    }
    CHECK(sp.taps == SC_TAPS_SPLIT && sp.n_copy == 1 && sp.d.act.n_seg == n_shift,
          "%s: taps %d copies %lld segments %d, expected split with %lld", what, (int)sp.taps,
          (long long)sp.n_copy, sp.d.act.n_seg, (long long)n_shift);
    CHECK(sp.d.wq == (ow + bmax + 15) / 16 * 16 && sp.d.align16, "%s: split wq %lld", what,
          (long long)sp.d.wq);
    for (int64_t k = 0; k < n_shift && !bad; ++k)
        CHECK(sp.d.act.seg_shift[k] == shifts[k], "%s: segment %lld shift %d, expected %lld", what,
              (long long)k, sp.d.act.seg_shift[k], (long long)shifts[k]);
    const int64_t S = sp.plane_floats, nph = sp.n_phase, npw = sp.n_phase_w, wa = sp.d.wq;
    int64_t total = 0;
    for (int64_t b = 0; b < sp.d.n_cb * sp.d.n_rows && !bad; ++b) {
        int64_t sum = 0, j = sp.d.off_start[b];
        for (int64_t k = 0; k < n_shift; ++k) {
            const int64_t n = sp.d.seg_nnz[b * n_shift + k];
            sum += n;
            for (int64_t e = 0; e < n && !bad; ++e, ++j) {
                const int64_t f = sp.d.off_bytes[j];
                const int64_t P = f / 4 / S, rem = f / 4 % S, row = rem / wa, col = rem % wa;
                const int64_t ci = P / nph, phase = P % nph;
                int found = 0;
                for (int64_t kh = 0; kh < c->kh; ++kh)
                    for (int64_t kw = 0; kw < c->kw; ++kw)
                        found |= kh * p->dil_h / p->stride_h == row &&
                                 kw * p->dil_w / p->stride_w == col + shifts[k] &&
                                 tap_seg[kw] == k &&
                                 sp.tap_ph_h[kh] * npw + sp.tap_ph_w[kw] == phase;
                CHECK(f % 64 == 0 && found && ci < c->ic,
                      "%s: stream %lld segment %lld offset %lld bytes (channel %lld phase %lld "
                      "row %lld column %lld) is no aligned tap of the segment", what,
                      (long long)b, (long long)k, (long long)f, (long long)ci, (long long)phase,
                      (long long)row, (long long)col);
            }
        }
        CHECK(sum == sp.d.nnz[b], "%s: stream %lld: segments hold %lld of %u nonzeros", what,
              (long long)b, (long long)sum, sp.d.nnz[b]);
        total += sum;
    }
    CHECK(total == L->nnz, "%s: %lld offsets for %lld nonzeros", what, (long long)total,
          (long long)L->nnz);
    for (int64_t t = 0; t < sp.d.n_tiles && !bad; ++t) {
        int64_t q0, m;
        sc_spmm_tile(&sp.d, t, &q0, &m);
        CHECK(q0 % 16 == 0, "%s: tile %lld starts at flat pixel %lld", what, (long long)t,
              (long long)q0);
    }
done:
    sc_sparse_plan_clear(&sp);
    sc_layer_destroy(L);
    return bad;
}

/* Runs of a plan with the taps layout `taps` (copies or split), a bias and ReLU6 fused,
 * against the reference on 1 and 2 threads bitwise equal, and a third run bitwise equal to
 * the first: for the copies the plain plan (only where inputs are read from changes, not
 * the order of the sums), for split taps 3 threads (the segments' sums are grouped per
 * reduction block and row, never by tile or thread). Returns 1 on a mismatch. */
static int check_run(const taps_case *c, sc_cpu_set allowed, sc_taps_mode taps, ct_rng *r)
{
    char what[320];
    describe(c, allowed, what, sizeof what);
    int64_t oh, ow, xoff, xlen, yoff, ylen;
    cr_assert_eq(sc_conv_output_hw(&c->p, c->kh, c->kw, c->h, c->w, &oh, &ow), SC_OK, "%s",
                 what);
    const sc_wdesc wd = {SC_OIHW, c->oc, c->ic, c->kh, c->kw};
    const int64_t nw = sc_wdesc_numel(&wd);
    float *wp = malloc((size_t)nw * sizeof *wp), *bias = malloc((size_t)c->oc * sizeof *bias);
    sc_layer *L = case_layer(c, r, wp, what);
    for (int64_t o = 0; o < c->oc; ++o) bias[o] = (float)(ct_uniform(r) - 0.5);
    const sc_tensor xd = ct_layout(c->xl, c->n, c->ic, c->h, c->w, &xoff, &xlen);
    const sc_tensor yd = ct_layout(c->yl, c->n, c->oc, oh, ow, &yoff, &ylen);
    float *x = malloc((size_t)xlen * sizeof *x), *ref = malloc((size_t)ylen * sizeof *ref);
    float *scale = malloc((size_t)ylen * sizeof *scale), *y[3];
    for (int i = 0; i < 3; ++i) y[i] = malloc((size_t)ylen * sizeof *y[i]);
    for (int64_t i = 0; i < xlen; ++i) x[i] = (float)(2 * ct_uniform(r) - 1);
    for (int64_t i = 0; i < ylen; ++i) ref[i] = scale[i] = y[0][i] = y[1][i] = y[2][i] = CT_UNSET;
    const sc_activation relu6 = sc_activation_relu6();
    cr_assert_eq(sc_conv_reference(&c->p, &wd, wp, bias, &relu6, &xd, x + xoff, &yd,
                                   ref + yoff), SC_OK, "%s: %s", what, sc_last_message());
    ct_abs_reference(&c->p, &wd, wp, bias, &xd, x + xoff, &yd, scale + yoff);
    const int split = taps == SC_TAPS_SPLIT;
    for (int i = 0; i < 3; ++i) {
        const sc_sparse_options o = {.allowed = allowed, .threads = split ? i + 1 : i == 1 ? 2 : 1,
                                     .act = sc_spmm_params_for(&relu6), .bias = bias,
                                     .taps = i == 2 && !split ? SC_TAPS_PLAIN : taps};
        sc_sparse_plan sp;
        cr_assert_eq(sc_sparse_plan_build(L, &xd, &yd, &o, &sp), SC_OK, "%s: %s", what,
                     sc_last_message());
        cr_assert_eq(sc_sparse_run(&sp, x + xoff, y[i] + yoff), SC_OK, "%s: %s", what,
                     sc_last_message());
        sc_sparse_plan_clear(&sp);
    }
    int bad = ct_check_runs(what, ylen, ref, scale, y[0], y[1]);
    const int64_t diff = ct_first_bitwise_diff(y[0], y[2], ylen);
    if (!bad && diff >= 0) {
        cr_log_error("%s: %s differ at %lld: %g vs %g", what,
                     split ? "1 and 3 threads" : "aligned and plain plans", (long long)diff,
                     (double)y[0][diff], (double)y[2][diff]);
        bad = 1;
    }
    for (int i = 0; i < 3; ++i) free(y[i]);
    free(wp), free(bias), free(x), free(ref), free(scale);
    sc_layer_destroy(L);
    return bad;
}

/* The layers the rule is for (3x3 stride 1 at widths whose tiles are rows of 56, 112 and
 * 224 or flat), and 5x5, 7x7/2, 1x3, 3x1, dilated and strided kernels. */
static const taps_case fixed_cases[] = {
    {1, 8, 16, 56, 56, 3, 3, {1, 1, 1, 1, 1, 1, 1, 1, 1}, CT_NCHW, CT_NCHW, 0.8},
    {1, 4, 8, 112, 112, 3, 3, {1, 1, 1, 1, 1, 1, 1, 1, 1}, CT_NCHW, CT_NCHW, 0.5},
    {1, 3, 8, 224, 224, 3, 3, {1, 1, 1, 1, 1, 1, 1, 1, 1}, CT_NCHW, CT_NCHW, 0.5},
    {2, 16, 16, 28, 28, 3, 3, {1, 1, 1, 1, 1, 1, 1, 1, 1}, CT_NCHW, CT_NCHW, 0.9},
    {2, 16, 16, 14, 14, 3, 3, {1, 1, 1, 1, 1, 1, 1, 1, 1}, CT_NHWC, CT_NHWC, 0.9},
    {1, 16, 8, 7, 7, 3, 3, {1, 1, 1, 1, 1, 1, 1, 1, 1}, CT_NCHW, CT_NHWC, 0.5},
    {1, 5, 8, 40, 37, 5, 5, {1, 1, 2, 2, 2, 2, 1, 1, 1}, CT_PADDED, CT_NCHW, 0.7},
    {1, 3, 8, 61, 61, 7, 7, {2, 2, 3, 3, 3, 3, 1, 1, 1}, CT_NCHW, CT_PADDED, 0.5},
    {1, 6, 8, 30, 50, 1, 3, {1, 1, 0, 1, 0, 1, 1, 1, 1}, CT_SLICE, CT_NCHW, 0.5},
    {1, 6, 8, 30, 50, 3, 3, {1, 1, 2, 2, 2, 2, 2, 2, 1}, CT_NCHW, CT_NCHW, 0.5},
    {1, 6, 8, 33, 65, 3, 3, {2, 2, 1, 1, 1, 1, 1, 1, 1}, CT_NHWC, CT_NCHW, 0.5},
    {1, 4, 8, 20, 70, 3, 17, {1, 1, 1, 8, 1, 8, 1, 1, 1}, CT_NCHW, CT_NCHW, 0.5},
};

Test(aligned_taps, geometry_matches_index_arithmetic)
{
    sc_cpu_set levels[3];
    const int n_levels = feature_levels(levels);
    ct_rng r = {TAPS_SEED};
    int bad = 0, cases = 0;
    for (size_t i = 0; i < sizeof fixed_cases / sizeof *fixed_cases; ++i)
        for (int l = 0; l < n_levels; ++l, ++cases) {
            bad += check_geometry(&fixed_cases[i], levels[l], &r);
            bad += check_copies(&fixed_cases[i], levels[l], &r);
        }
    cr_expect_eq(bad, 0, "%d of %d cases wrong", bad, cases);
}

/* check_run with `taps` on the fixed cases and 120 random KxK geometries (every layout pair,
 * widths up to wide_w on every other case), on every level; returns the failures. */
static int runs_on_every_case(sc_taps_mode taps, uint64_t seed, int64_t wide_w)
{
    sc_cpu_set levels[3];
    const int n_levels = feature_levels(levels);
    ct_rng r = {seed};
    int bad = 0, cases = 0;
    for (size_t i = 0; i < sizeof fixed_cases / sizeof *fixed_cases; ++i)
        for (int l = 0; l < n_levels; ++l, ++cases)
            bad += check_run(&fixed_cases[i], levels[l], taps, &r);
    for (int idx = 0; idx < 120; ++idx) {
        taps_case c = {.n = ct_int(&r, 1, 2), .ic = ct_int(&r, 1, 9), .oc = ct_int(&r, 1, 9),
                       .xl = idx % 4, .yl = idx / 4 % 4, .sparsity = idx % 3 * 0.4};
        c.p = sc_conv_params_default();
        ct_random_geometry(&r, idx, 5, 2, false, &c.kh, &c.kw, &c.p);
        if (c.kw == 1) c.kw = 2 + idx % 3;  /* a tap column offset to align */
        const int64_t need_h = (c.kh - 1) * c.p.dil_h + 1 - c.p.pad_top - c.p.pad_bottom;
        const int64_t need_w = (c.kw - 1) * c.p.dil_w + 1 - c.p.pad_left - c.p.pad_right;
        c.h = (need_h > 1 ? need_h : 1) + ct_int(&r, 0, 12);
        c.w = (need_w > 1 ? need_w : 1) + ct_int(&r, 0, idx % 2 ? wide_w : 20);
        for (int l = 0; l < n_levels; ++l, ++cases) bad += check_run(&c, levels[l], taps, &r);
    }
    if (bad) cr_log_error("%d of %d cases wrong", bad, cases);
    return bad;
}

Test(aligned_taps, runs_match_reference_and_plain_planes_bitwise, .timeout = 120)
{
    cr_expect_eq(runs_on_every_case(SC_TAPS_ALIGNED, TAPS_SEED + 1, 70), 0);
}

Test(aligned_taps, split_geometry_matches_index_arithmetic)
{
    sc_cpu_set levels[3];
    const int n_levels = feature_levels(levels);
    ct_rng r = {TAPS_SEED + 2};
    int bad = 0, cases = 0;
    for (size_t i = 0; i < sizeof fixed_cases / sizeof *fixed_cases; ++i)
        for (int l = 0; l < n_levels; ++l, ++cases)
            bad += check_split_geometry(&fixed_cases[i], levels[l], &r);
    cr_expect_eq(bad, 0, "%d of %d cases wrong", bad, cases);
}

/* Every level plans split taps when asked (the portable twin below AVX-512), so the plan's
 * logic is checked on every CPU; planes up to 150 columns wide (two 128-pixel tiles). */
Test(aligned_taps, split_runs_match_reference_on_every_thread_count, .timeout = 120)
{
    cr_expect_eq(runs_on_every_case(SC_TAPS_SPLIT, TAPS_SEED + 3, 150), 0);
}
