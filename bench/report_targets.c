/* bench/report_targets.c: the report's scoreboard: each target of the performance issue with its measured figure */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "report.h"

/* Worst, extremes and means of one target's points; worst names the point. */
typedef struct agg {
    double min, max, logsum, sum;
    int n;
    char worst[96];
} agg;

/* with_sp 0: the point is a whole sweep (a break-even sparsity), named without a sparsity */
static void agg_add_point(agg *a, double v, const scb_row *r, int worst_is_max, int with_sp)
{
    if (!isfinite(v)) return;
    if (a->n == 0 || (worst_is_max ? v > a->max : v < a->min)) {
        if (with_sp)
            snprintf(a->worst, sizeof a->worst, "%s %s t%d s%g", r->layer, r->layout, r->threads,
                     r->sparsity);
        else
            snprintf(a->worst, sizeof a->worst, "%s %s t%d", r->layer, r->layout, r->threads);
    }
    if (a->n == 0 || v < a->min) a->min = v;
    if (a->n == 0 || v > a->max) a->max = v;
    a->logsum += log(v);
    a->sum += v;
    a->n++;
}

static void agg_add(agg *a, double v, const scb_row *r, int worst_is_max)
{
    agg_add_point(a, v, r, worst_is_max, 1);
}

/* The geometric mean; with a point at 0 (break-even at sparsity 0, no logarithm) the
 * arithmetic one, *arith set. */
static double agg_mean(const agg *a, int *arith)
{
    *arith = !(a->min > 0);
    return *arith ? a->sum / a->n : exp(a->logsum / a->n);
}

static int is_1x1(const scb_row *r)
{
    return r->kh == 1 && r->kw == 1;
}

static int is_3x3(const scb_row *r)
{
    return r->kh == 3 && r->kw == 3;
}

static int64_t out_h(const scb_row *r)
{
    return (r->h + 2 * r->pad - r->dil * (r->kh - 1) - 1) / r->stride + 1;
}

static int64_t out_w(const scb_row *r)
{
    return (r->w + 2 * r->pad - r->dil * (r->kw - 1) - 1) / r->stride + 1;
}

/* The layer sets: 1x1 of ResNet-50 and MobileNetV1, 3x3 of ResNet-50 and VGG-16. */
static int net1x1(const scb_row *r)
{
    return is_1x1(r) && (!strcmp(r->set, "resnet50") || !strcmp(r->set, "mobilenetv1"));
}

static int net3x3(const scb_row *r)
{
    return is_3x3(r) && (!strcmp(r->set, "resnet50") || !strcmp(r->set, "vgg16"));
}

/* Thin: few input channels over a large image, where the data moved rather than the
 * multiply-adds may bound the time. */
static int thin(const scb_row *r)
{
    return net1x1(r) && r->cin <= 64 && out_h(r) * out_w(r) >= 56 * 56;
}

static int near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

/* Bytes a layer must move at least: fp32 input and output, each nonzero weight as a 4-byte
 * value and a 4-byte index. */
static double bytes_moved(const scb_row *r)
{
    const double px_in = (double)r->batch * r->h * r->w, px_out = (double)r->batch * out_h(r) * out_w(r);
    return 4.0 * (px_in * (double)r->cin + px_out * (double)r->cout) + 8.0 * (double)r->nnz;
}

/* One scoreboard line. goal_worst: every point must reach it; goal_mean: the mean must
 * (NAN: no such bar; with neither, `no_bar` is the status). higher: larger is better. */
static void target_line(FILE *f, const char *what, const agg *a, double goal_worst,
                        double goal_mean, int higher, const char *no_bar)
{
    if (a->n == 0) {
        fprintf(f, "| %s | — | — | not measured in this CSV |\n", what);
        return;
    }
    int arith;
    const double worst = higher ? a->min : a->max, mean = agg_mean(a, &arith);
    int pass = 1;
    if (!isnan(goal_worst)) pass &= higher ? worst >= goal_worst : worst <= goal_worst;
    if (!isnan(goal_mean)) pass &= higher ? mean >= goal_mean : mean <= goal_mean;
    const char *status = isnan(goal_worst) && isnan(goal_mean) ? no_bar
                         : pass                               ? "met"
                                                              : "**not met**";
    fprintf(f, "| %s | %.2f (worst: %s) | %.2f%s over %d point%s | %s |\n", what, worst, a->worst,
            mean, arith ? " (arithmetic)" : "", a->n, a->n == 1 ? "" : "s", status);
}

/* sconv's sparse engine in its faster layout at the point of r (any layout): NULL when
 * neither layout was timed. */
static const scb_row *sconv_best(const scb_rctx *c, const scb_row *r)
{
    const scb_row *a = scb_rep_find(c, r->layer, "nchw", r->threads, r->sparsity, "sconv");
    const scb_row *b = scb_rep_find(c, r->layer, "nhwc", r->threads, r->sparsity, "sconv");
    if (a && !scb_rep_ok(a)) a = NULL;
    if (b && !scb_rep_ok(b)) b = NULL;
    return a && b ? (b->ms_median < a->ms_median ? b : a) : a ? a : b;
}

/* Per 1x1 and 3x3 layer, layout and thread count of the sets: the break-even sparsity
 * against the faster oneDNN layout, worst = highest. */
static void break_even(const scb_rctx *c, const double *sp, int nsp, agg cross[2][2])
{
    char lay[SCB_REP_MAX][64], lo[4][64];
    int nlay = scb_rep_distinct(c, offsetof(scb_row, layer), lay, SCB_REP_MAX);
    int nlo = scb_rep_distinct(c, offsetof(scb_row, layout), lo, 4);
    int thr[16];
    int nthr = scb_rep_distinct_threads(c, thr, 16);
    for (int li = 0; li < nlay; li++)
        for (int oi = 0; oi < nlo; oi++)
            for (int ti = 0; ti < nthr; ti++) {
                const scb_row *any = NULL;
                for (int k = 0; k < nsp && !any; k++)
                    any = scb_rep_find(c, lay[li], lo[oi], thr[ti], sp[k], "sconv");
                if (!any || strcmp(any->method, "l1") || (!net1x1(any) && !net3x3(any)))
                    continue;
                int kind;
                double v = scb_rep_crossover(c, lay[li], lo[oi], thr[ti], "sconv", sp, nsp, 1,
                                             &kind);
                if (kind == 0) continue;
                if (kind == 3) v = 1.0;  /* never breaks even within the sweep */
                agg_add_point(&cross[net3x3(any)][strcmp(any->layout, "nhwc") == 0], v, any, 1, 0);
            }
}

/* The thin layers at 90%, 1 thread: time, bytes moved and the rate they moved at. */
static void thin_table(FILE *f, const scb_rctx *c, int counted)
{
    fprintf(f, "### Thin 1×1 layers at 90%%, 1 thread: memory traffic\n\n");
    if (!counted) {
        fprintf(f, "Not measured in this CSV.\n\n");
        return;
    }
    fprintf(f, "The bench measures no memory bandwidth, so each layer states the bytes it must "
               "move at least (fp32 input and output, each nonzero weight as a 4-byte value and "
               "a 4-byte index) and the rate sconv's median time moved them at; compare the rate "
               "with the machine's memory and cache bandwidth.\n\n");
    fprintf(f, "| layer | shape | layout | sconv ms | MB moved | GB/s | vs faster oneDNN layout |\n"
               "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < c->n; i++) {
        const scb_row *r = &c->rows[i];
        if (!scb_rep_ok(r) || strcmp(r->engine, "sconv") || strcmp(r->method, "l1") ||
            r->batch != 1 || r->threads != 1 || !near(r->sparsity, 0.9) || !thin(r))
            continue;
        const double b = bytes_moved(r);
        char vs[32];
        if (isfinite(r->speedup_vs_best_dense))
            snprintf(vs, sizeof vs, "%.2f×", r->speedup_vs_best_dense);
        else
            snprintf(vs, sizeof vs, "—");
        fprintf(f, "| %s | %lld→%lld @ %lld×%lld | %s | %.3g | %.2f | %.2f | %s |\n", r->layer,
                (long long)r->cin, (long long)r->cout, (long long)out_h(r), (long long)out_w(r),
                r->layout, r->ms_median, b * 1e-6, b / r->ms_median * 1e-6, vs);
    }
    fprintf(f, "\n");
}

void scb_rep_targets(FILE *f, const scb_rctx *c, const double *sp, int nsp)
{
    /* [nhwc]: 1x1 all and >= 128 input channels, 3x3; [threads == 2]: DeepSparse */
    agg t1[2] = {{0}}, t1w[2] = {{0}}, t3[2] = {{0}}, thin_gbs = {0}, ds[2] = {{0}}, ort = {0},
        nzpk = {0}, scale = {0}, autoa = {0}, autochoice = {0}, cross[2][2] = {{{0}}};
    int named = 0;
    for (size_t i = 0; i < c->n; i++) {
        const scb_row *r = &c->rows[i];
        named |= strcmp(r->set, "custom") != 0;
        if (!scb_rep_ok(r) || strcmp(r->method, "l1") || r->batch != 1 || !strcmp(r->set, "custom"))
            continue;
        const int nhwc = strcmp(r->layout, "nhwc") == 0, at90 = near(r->sparsity, 0.9);
        const int in_sets = net1x1(r) || net3x3(r);
        const int s80_95 = r->sparsity >= 0.8 - 1e-9 && r->sparsity <= 0.95 + 1e-9;
        if (!strcmp(r->engine, "sconv") && at90) {
            const double v = r->speedup_vs_best_dense;
            if (r->threads == 1 && net1x1(r)) agg_add(&t1[nhwc], v, r, 0);
            if (r->threads == 1 && net1x1(r) && r->cin >= 128) agg_add(&t1w[nhwc], v, r, 0);
            if (r->threads == 1 && net3x3(r)) agg_add(&t3[nhwc], v, r, 0);
            if (r->threads == 1 && thin(r))
                agg_add(&thin_gbs, bytes_moved(r) / r->ms_median * 1e-6, r, 0);
            if (is_1x1(r) && r->cin >= 128)
                /* the peak of the kernel's ISA; a CSV from before it: the AVX2 peak */
                agg_add(&nzpk, 100.0 * r->gflops_nonzero /
                                   (isfinite(r->peak_isa_gflops) ? r->peak_isa_gflops
                                                                 : r->peak_gflops), r, 0);
            if (r->threads == 2 && out_h(r) * out_w(r) >= 28 * 28) {
                /* the 1-thread run timed in this point; a CSV without it: the 1-thread point */
                const scb_row *one = scb_rep_find(c, r->layer, r->layout, r->threads, r->sparsity,
                                                  "sconv_t1");
                if (!one || !scb_rep_ok(one))
                    one = scb_rep_find(c, r->layer, r->layout, 1, r->sparsity, "sconv");
                if (one && scb_rep_ok(one)) agg_add(&scale, one->ms_median / r->ms_median, r, 0);
            }
        }
        /* the Python peers: their time over sconv's in its faster layout, named by that row */
        const int peer_ds = !strcmp(r->engine, "deepsparse"), peer_ort = !strcmp(r->engine, "onnxruntime");
        if ((peer_ds || peer_ort) && in_sets && s80_95 && (r->threads == 1 || r->threads == 2)) {
            const scb_row *s = sconv_best(c, r);
            if (s) agg_add(peer_ds ? &ds[r->threads == 2] : &ort, r->ms_median / s->ms_median, s, 0);
        }
        if (!strcmp(r->engine, "auto")) {
            /* the faster of sconv-sparse and oneDNN, both in the caller's layout */
            const scb_row *s = scb_rep_find(c, r->layer, r->layout, r->threads, r->sparsity, "sconv");
            const scb_row *o = scb_rep_find(c, r->layer, r->layout, r->threads, r->sparsity, "onednn");
            double best = INFINITY;
            if (s && scb_rep_ok(s)) best = s->ms_median;
            if (o && scb_rep_ok(o) && o->ms_median < best) best = o->ms_median;
            if (isfinite(best)) agg_add(&autoa, r->ms_median / best, r, 1);
            /* the path auto runs, timed as its own engine: the choice without the noise
             * between two samples of the same kernel */
            const scb_row *d = scb_rep_find(c, r->layer, r->layout, r->threads, r->sparsity, "dense");
            const scb_row *chosen = strncmp(r->note, "dense", 5) == 0 ? d : s;
            if (isfinite(best) && chosen && scb_rep_ok(chosen))
                agg_add(&autochoice, chosen->ms_median / best, r, 1);
        }
    }
    if (!named) return;  /* the targets are about the network layer sets */
    break_even(c, sp, nsp, cross);

    const double none = NAN;
    fprintf(f, "## Targets of the performance issue (sconv sparse engine, unstructured l1, batch 1)\n\n");
    fprintf(f, "Speedups are over the faster of oneDNN's NCHW and NHWC runs of the same point "
               "(`speedup_vs_best_dense`); peers' ratios are their median over sconv's in its "
               "faster layout at the same point. Worst is the lowest value (the highest for "
               "break-even sparsities and time ratios).\n\n");
    fprintf(f, "| target | worst measured | geometric mean | status |\n|---|---|---|---|\n");
    target_line(f, "1×1 ResNet-50/MobileNetV1, 90%, 1 thread, NCHW: geometric mean ≥ 4× the "
                   "faster oneDNN layout", &t1[0], none, 4, 1, NULL);
    target_line(f, "1×1 ResNet-50/MobileNetV1, 90%, 1 thread, NHWC: geometric mean ≥ 3× the "
                   "faster oneDNN layout", &t1[1], none, 3, 1, NULL);
    target_line(f, "1×1 with ≥ 128 input channels, 90%, 1 thread, NCHW: every layer ≥ 3×",
                &t1w[0], 3, none, 1, NULL);
    target_line(f, "1×1 with ≥ 128 input channels, 90%, 1 thread, NHWC: every layer ≥ 2.5×",
                &t1w[1], 2.5, none, 1, NULL);
    target_line(f, "thin 1×1 (≤ 64 input channels, ≥ 56×56 output), 90%, 1 thread: memory "
                   "traffic in GB/s", &thin_gbs, none, none, 1, "stated per layer below");
    target_line(f, "3×3 ResNet-50/VGG-16, 90%, 1 thread, NCHW: geometric mean ≥ 3.5×, every "
                   "layer ≥ 2.5×", &t3[0], 2.5, 3.5, 1, NULL);
    target_line(f, "3×3 ResNet-50/VGG-16, 90%, 1 thread, NHWC: geometric mean ≥ 3.5×, every "
                   "layer ≥ 2.5×", &t3[1], 2.5, 3.5, 1, NULL);
    target_line(f, "DeepSparse over sconv's faster layout, every layer of the sets, 80–95%, "
                   "1 thread: ≥ 1 (time ratio)", &ds[0], 1, none, 1, NULL);
    target_line(f, "DeepSparse over sconv's faster layout, every layer of the sets, 80–95%, "
                   "2 threads: ≥ 1 (time ratio)", &ds[1], 1, none, 1, NULL);
    target_line(f, "ONNX Runtime (dense peer) over sconv's faster layout, layers of the sets, "
                   "80–95%, 1 and 2 threads (time ratio)", &ort, none, none, 1, "informational");
    target_line(f, "break-even with the faster oneDNN layout, 1×1, NCHW: ≤ 0.50 sparsity",
                &cross[0][0], 0.5, none, 0, NULL);
    target_line(f, "break-even with the faster oneDNN layout, 1×1, NHWC: ≤ 0.50 sparsity",
                &cross[0][1], 0.5, none, 0, NULL);
    target_line(f, "break-even with the faster oneDNN layout, 3×3, NCHW: ≤ 0.60 sparsity",
                &cross[1][0], 0.6, none, 0, NULL);
    target_line(f, "break-even with the faster oneDNN layout, 3×3, NHWC: ≤ 0.60 sparsity",
                &cross[1][1], 0.6, none, 0, NULL);
    target_line(f, "nonzero throughput ≥ 45% of the measured FMA peak of the kernel's ISA "
                   "(1×1, ≥ 128 input channels, 90%), in %", &nzpk, 45, none, 1, NULL);
    target_line(f, "2 threads ≥ 1.8× 1 thread (≥ 28×28 output pixels, 90%)", &scale, 1.8, none,
                1, NULL);
    target_line(f, "auto ≤ 1.10× the faster of sconv-sparse and oneDNN in the caller's layout, "
                   "every point (time ratio)", &autoa, 1.1, none, 0, NULL);
    target_line(f, "(diagnostic) auto's choice: the path it runs, timed as sconv or dense, "
                   "over that faster one (time ratio)", &autochoice, 1.1, none, 0, NULL);
    fprintf(f, "\n");
    thin_table(f, c, thin_gbs.n);
}
