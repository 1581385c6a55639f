/* bench/report.c: the markdown summary (docs/benchmarks.md) built from a result CSV */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "core/core.h"
#include "report.h"

enum { MAX_N = SCB_REP_MAX };

int scb_rep_ok(const scb_row *r)
{
    return strcmp(r->status, "ok") == 0 && isfinite(r->ms_median);
}

const scb_row *scb_rep_find(const scb_rctx *c, const char *layer, const char *layout, int threads,
                           double sp, const char *engine)
{
    for (size_t i = 0; i < c->n; i++) {
        const scb_row *r = &c->rows[i];
        if (r->threads == threads && fabs(r->sparsity - sp) < 1e-9 && !strcmp(r->layer, layer) &&
            !strcmp(r->layout, layout) && !strcmp(r->engine, engine))
            return r;
    }
    return NULL;
}

/* distinct values of a text column (in order of appearance) */
int scb_rep_distinct(const scb_rctx *c, size_t off, char out[][64], int max)
{
    int n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const char *v = (const char *)&c->rows[i] + off;
        int seen = 0;
        for (int k = 0; k < n && !seen; k++) seen = strcmp(out[k], v) == 0;
        if (!seen && n < max) snprintf(out[n++], 64, "%s", v);
    }
    return n;
}

int scb_rep_distinct_threads(const scb_rctx *c, int *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < c->n; i++) {
        int seen = 0;
        for (int k = 0; k < n; k++) seen |= out[k] == c->rows[i].threads;
        if (!seen && n < max) out[n++] = c->rows[i].threads;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j] < out[j - 1]; j--) {
            int t = out[j]; out[j] = out[j - 1]; out[j - 1] = t;
        }
    return n;
}

static int distinct_sparsity(const scb_rctx *c, double *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < c->n; i++) {
        int seen = 0;
        for (int k = 0; k < n; k++) seen |= fabs(out[k] - c->rows[i].sparsity) < 1e-9;
        if (!seen && n < max) out[n++] = c->rows[i].sparsity;
    }
    sc_sort_doubles(out, (size_t)n);
    return n;
}

static void fmt(char *buf, size_t cap, const char *f, double v)
{
    if (isfinite(v)) snprintf(buf, cap, f, v);
    else snprintf(buf, cap, "—");
}

double scb_rep_crossover(const scb_rctx *c, const char *layer, const char *layout, int threads,
                         const char *engine, const double *sp, int nsp, int best_dense,
                         int *kind)
{
    double s[MAX_N], x[MAX_N];
    int m = 0;
    for (int k = 0; k < nsp; k++) {
        const scb_row *r = scb_rep_find(c, layer, layout, threads, sp[k], engine);
        const double v = r ? (best_dense ? r->speedup_vs_best_dense : r->speedup_vs_onednn) : NAN;
        if (r && scb_rep_ok(r) && isfinite(v)) {
            s[m] = v;
            x[m++] = sp[k];
        }
    }
    *kind = 0;
    if (m == 0) return NAN;
    int i = m;
    while (i > 0 && s[i - 1] >= 1.0) i--;
    if (i == m) {
        *kind = 3;
        return x[m - 1];
    }
    if (i == 0) {
        *kind = 1;
        return x[0];
    }
    *kind = 2;
    double a = log(s[i - 1]), b = log(s[i]);
    return x[i - 1] + (x[i] - x[i - 1]) * (0 - a) / (b - a);
}

static void crossover_text(double v, int kind, char *buf, size_t cap)
{
    if (kind == 0) snprintf(buf, cap, "—");
    else if (kind == 1) snprintf(buf, cap, "≤ %.2f", v);
    else if (kind == 2) snprintf(buf, cap, "%.2f", v);
    else snprintf(buf, cap, "none ≤ %.2f", v);
}

static void machine(FILE *f, const scb_rctx *c, const int *thr, int nthr)
{
    char cpu[96] = "?";
    if (c->n) snprintf(cpu, sizeof cpu, "%s", c->rows[0].cpu);
    fprintf(f, "## Machine and libraries\n\n");
    fprintf(f, "- CPU: %s; this report was written on a machine with %d logical CPUs.\n", cpu,
            scb_cpu_count());
    /* one line per ISA: each sconv row's % of peak uses the peak of its kernel's ISA */
    static const char *const isa_text[2] = {"ymm registers, AVX2 FMA chains",
                                            "zmm registers, AVX-512F FMA chains"};
    for (int v = 0; v < 2; v++) {
        char line[512];
        int len = 0, any = 0;
        for (int t = 0; t < nthr; t++) {
            double pk = NAN;
            for (size_t i = 0; i < c->n && isnan(pk); i++)
                if (c->rows[i].threads == thr[t])
                    pk = v ? c->rows[i].peak_avx512_gflops : c->rows[i].peak_gflops;
            any |= isfinite(pk);
            len += snprintf(line + len, sizeof line - (size_t)len, "%s %.1f GFLOP/s with %d thread%s",
                            t ? "," : "", pk, thr[t], thr[t] > 1 ? "s" : "");
        }
        if (any) fprintf(f, "- FP32 FMA peak measured in the same run (%s):%s.\n", isa_text[v], line);
        else if (v) fprintf(f, "- No AVX-512 FMA peak: the CPU has no AVX-512F (or the CSV predates "
                               "the measurement).\n");
    }
    /* load beyond the benchmark's own threads: other work competing for the cores */
    double lmax = 0, extra = 0;
    for (size_t i = 0; i < c->n; i++) {
        const scb_row *r = &c->rows[i];
        if (r->load1 > lmax) lmax = r->load1;
        if (r->load1 - r->threads > extra) extra = r->load1 - r->threads;
    }
    fprintf(f, "- Highest 1-minute load average while measuring: %.2f; beyond the benchmark's "
               "own threads: %.2f%s\n", lmax, extra,
            extra > 0.75 ? " — **other work was running: these timings are unreliable; rerun "
                           "on an idle machine.**"
                         : " (the machine was otherwise idle).");
    scb_library_versions(f, "- ");
    fprintf(f, "\n");
}

/* One column of a speedup table: the rows of `engine` at sparsity `sp`, headed `head`. */
typedef struct col {
    const char *engine;
    double sp;
    char head[64];
} col;

/* Which ratio a table averages: over oneDNN in the row's layout, or over its faster layout. */
static double ratio(const scb_row *r, int best_dense)
{
    return best_dense ? r->speedup_vs_best_dense : r->speedup_vs_onednn;
}

/* Geometric mean speedup over oneDNN per family, layout and thread count, one cell per column;
 * rows without any measured cell are left out. */
static void speedup_table(FILE *f, const scb_rctx *c, const col *cols, int ncols, const int *thr,
                          int nthr, int best_dense)
{
    char fam[MAX_N][64], lay[4][64];
    int nf = scb_rep_distinct(c, offsetof(scb_row, family), fam, MAX_N);
    int nl = scb_rep_distinct(c, offsetof(scb_row, layout), lay, 4);
    fprintf(f, "| family | layout | threads |");
    for (int k = 0; k < ncols; k++) fprintf(f, " %s |", cols[k].head);
    fprintf(f, "\n|---|---|---|");
    for (int k = 0; k < ncols; k++) fprintf(f, "---|");
    fprintf(f, "\n");
    for (int fi = 0; fi < nf; fi++)
        for (int li = 0; li < nl; li++)
            for (int ti = 0; ti < nthr; ti++) {
                int any = 0;
                char line[2048];
                int len = snprintf(line, sizeof line, "| %s | %s | %d |", fam[fi], lay[li], thr[ti]);
                for (int k = 0; k < ncols; k++) {
                    double s = 0;
                    int n = 0;
                    for (size_t i = 0; i < c->n; i++) {
                        const scb_row *r = &c->rows[i];
                        if (!scb_rep_ok(r) || r->threads != thr[ti] || fabs(r->sparsity - cols[k].sp) > 1e-9 ||
                            strcmp(r->family, fam[fi]) || strcmp(r->layout, lay[li]) ||
                            strcmp(r->engine, cols[k].engine) || !isfinite(ratio(r, best_dense)))
                            continue;
                        s += log(ratio(r, best_dense));
                        n++;
                    }
                    char v[32];
                    fmt(v, sizeof v, "%.2f×", n ? exp(s / n) : NAN);
                    any |= n > 0;
                    len += snprintf(line + len, sizeof line - (size_t)len, " %s |", v);
                }
                if (any) fprintf(f, "%s\n", line);
            }
    fprintf(f, "\n");
}

/* At one sparsity, one column per engine. */
static void family_table(FILE *f, const scb_rctx *c, double sp, char eng[][64], int neng,
                         const int *thr, int nthr, int best_dense)
{
    col cols[MAX_N];
    if (neng > MAX_N) neng = MAX_N;
    for (int e = 0; e < neng; e++) {
        cols[e] = (col){.engine = eng[e], .sp = sp};
        memcpy(cols[e].head, eng[e], sizeof cols[e].head);
    }
    speedup_table(f, c, cols, neng, thr, nthr, best_dense);
}

/* One engine, one column per sparsity. */
static void sweep_table(FILE *f, const scb_rctx *c, const char *engine, const double *sp, int nsp,
                        const int *thr, int nthr, int best_dense)
{
    col cols[MAX_N];
    if (nsp > MAX_N) nsp = MAX_N;
    for (int k = 0; k < nsp; k++) {
        cols[k] = (col){.engine = engine, .sp = sp[k]};
        snprintf(cols[k].head, sizeof cols[k].head, "%g", sp[k]);
    }
    speedup_table(f, c, cols, nsp, thr, nthr, best_dense);
}

int scb_report(const scb_row *rows, size_t n, const char *path, const char *cmd,
               const char *csv_path, const char *plot_dir)
{
    scb_rctx c = {rows, n};
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (scb_mkdirs_for(path)) return -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "sconv-bench: cannot write %s\n", tmp);
        return -1;
    }
    double sp[MAX_N];
    int nsp = distinct_sparsity(&c, sp, MAX_N);
    int thr[16];
    int nthr = scb_rep_distinct_threads(&c, thr, 16);
    char eng[16][64], lay[MAX_N][64], lo[4][64], meth[8][64];
    int neng = scb_rep_distinct(&c, offsetof(scb_row, engine), eng, 16);
    /* sconv_t1 (1 thread inside 2-thread points) only feeds the scaling target: over a
     * 2-thread oneDNN its speedup would read as a column of the 2-thread rows */
    int kept = 0;
    for (int e = 0; e < neng; e++)
        if (strcmp(eng[e], "sconv_t1") && kept++ != e) memcpy(eng[kept - 1], eng[e], sizeof eng[0]);
    neng = kept;
    int nlay = scb_rep_distinct(&c, offsetof(scb_row, layer), lay, MAX_N);
    int nlo = scb_rep_distinct(&c, offsetof(scb_row, layout), lo, 4);
    int nmeth = scb_rep_distinct(&c, offsetof(scb_row, method), meth, 8);
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));

    fprintf(f, "# sconv benchmarks\n\n");
    fprintf(f, "Sparsity versus speed of sconv's engines against oneDNN, XNNPACK, OpenBLAS and "
               "CSparse, measured by `sconv-bench` (bench/). Generated %s from `%s` by:\n\n"
               "```sh\n%s\n```\n\n", date, csv_path, cmd);
    fprintf(f, "Sparsities:");
    for (int k = 0; k < nsp; k++) fprintf(f, " %g", sp[k]);
    fprintf(f, "; pruning:");
    for (int k = 0; k < nmeth; k++) fprintf(f, " %s", meth[k]);
    fprintf(f, " (N(0,1) weights, fixed seed); batch %lld; %d layer%s. Speedups are oneDNN's "
               "median time over the engine's, same layout and thread count, measured in the "
               "same run. How it is measured: [benchmarking.md](benchmarking.md).\n\n",
            n ? (long long)rows[0].batch : 0LL, nlay, nlay == 1 ? "" : "s");
    machine(f, &c, thr, nthr);

    int have90 = 0;
    for (int k = 0; k < nsp; k++) have90 |= fabs(sp[k] - 0.9) < 1e-9;
    scb_rep_targets(f, &c, sp, nsp);
    int have_best = 0;
    for (size_t i = 0; i < n && !have_best; i++) have_best = isfinite(rows[i].speedup_vs_best_dense);
    if (have90) {
        fprintf(f, "## Speedup over oneDNN at 90%% sparsity, per layer family (geometric mean)\n\n");
        family_table(f, &c, 0.9, eng, neng, thr, nthr, 0);
        if (have_best) {
            fprintf(f, "## Speedup over the faster oneDNN layout at 90%% sparsity, per layer "
                       "family (geometric mean)\n\nEach row's median against the faster of "
                       "oneDNN's NCHW and NHWC medians for the same layer, threads and batch "
                       "(`speedup_vs_best_dense`).\n\n");
            family_table(f, &c, 0.9, eng, neng, thr, nthr, 1);
        }
    }
    int have_sconv = 0;
    for (size_t i = 0; i < n && !have_sconv; i++)
        have_sconv = !strcmp(rows[i].engine, "sconv") && scb_rep_ok(&rows[i]);
    if (have_sconv) {
        fprintf(f, "## sconv's sparse engine over oneDNN, by sparsity (geometric mean per family)\n\n");
        sweep_table(f, &c, "sconv", sp, nsp, thr, nthr, 0);
        if (have_best) {
            fprintf(f, "## sconv's sparse engine over the faster oneDNN layout, by sparsity "
                       "(geometric mean per family)\n\n");
            sweep_table(f, &c, "sconv", sp, nsp, thr, nthr, 1);
        }
    }
    if (plot_dir) {
        /* link the plots relative to the report's directory when they live below it */
        const char *slash = strrchr(path, '/');
        size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
        const char *rel = dl && strncmp(plot_dir, path, dl) == 0 ? plot_dir + dl
                          : !slash && plot_dir[0] != '/'     ? plot_dir
                                                             : NULL;
        fprintf(f, "## Plots\n\n");
        for (int t = 0; t < nthr; t++)
            fprintf(f, "![speedup over oneDNN, %d thread%s](%s/speedup_t%d.svg)\n\n", thr[t],
                    thr[t] > 1 ? "s" : "", rel ? rel : plot_dir, thr[t]);
        fprintf(f, "PNG versions beside the SVGs; the data behind each curve in speedup_t*.dat.\n\n");
    }

    fprintf(f, "## Per layer\n\n");
    fprintf(f, "Crossover: the sparsity from which sconv's sparse engine beats oneDNN at every "
               "higher measured sparsity (interpolated in log speedup). At 90%%: speedups over "
               "oneDNN in the same layout; vs best: sconv's sparse engine over the faster of "
               "oneDNN's two layouts; ISA: of the sconv kernel that ran; %% of peak counts the FLOPs "
               "the engine executes (nonzero for sconv sparse, dense for oneDNN) over the measured "
               "FMA peak of that ISA (oneDNN: the widest vectors the CPU has) at that thread "
               "count.\n\n");
    for (int li = 0; li < nlay; li++) {
        const scb_row *any = NULL;
        for (size_t i = 0; i < n && !any; i++)
            if (!strcmp(rows[i].layer, lay[li])) any = &rows[i];
        fprintf(f, "### %s (%s): %lld→%lld @ %lld×%lld, %lld×%lld stride %lld pad %lld%s\n\n",
                lay[li], any->set, (long long)any->cin, (long long)any->cout, (long long)any->h,
                (long long)any->w, (long long)any->kh, (long long)any->kw,
                (long long)any->stride, (long long)any->pad,
                any->groups > 1 ? " (grouped)" : "");
        fprintf(f, "| layout | threads | crossover | sconv @90%% | sconv vs best @90%% | auto @90%% | "
                   "xnnpack @90%% | openblas @90%% | csparse @90%% | sconv ms @90%% | oneDNN ms | "
                   "sconv ISA | sconv %% peak | oneDNN %% peak |\n"
                   "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (int oi = 0; oi < nlo; oi++)
            for (int ti = 0; ti < nthr; ti++) {
                const scb_row *o = scb_rep_find(&c, lay[li], lo[oi], thr[ti], 0.9, "onednn");
                for (int k = 0; k < nsp && !(o && scb_rep_ok(o)); k++)
                    o = scb_rep_find(&c, lay[li], lo[oi], thr[ti], sp[k], "onednn");
                const scb_row *r[5];
                const char *names[5] = {"sconv", "auto", "xnnpack", "openblas", "csparse"};
                int anyrow = o != NULL;
                for (int e = 0; e < 5; e++) {
                    r[e] = scb_rep_find(&c, lay[li], lo[oi], thr[ti], 0.9, names[e]);
                    anyrow |= r[e] != NULL;
                }
                if (!anyrow) continue;
                char cr[64], v[5][32], vb[32], ms_s[32], ms_o[32], pk_s[32], pk_o[32];
                int kind;
                double x = scb_rep_crossover(&c, lay[li], lo[oi], thr[ti], "sconv", sp, nsp, 0, &kind);
                crossover_text(x, kind, cr, sizeof cr);
                for (int e = 0; e < 5; e++)
                    fmt(v[e], sizeof v[e], "%.2f×",
                        r[e] && scb_rep_ok(r[e]) ? r[e]->speedup_vs_onednn : NAN);
                fmt(vb, sizeof vb, "%.2f×", r[0] && scb_rep_ok(r[0]) ? r[0]->speedup_vs_best_dense : NAN);
                fmt(ms_s, sizeof ms_s, "%.3g", r[0] && scb_rep_ok(r[0]) ? r[0]->ms_median : NAN);
                fmt(pk_s, sizeof pk_s, "%.0f%%", r[0] && scb_rep_ok(r[0]) ? r[0]->pct_peak : NAN);
                fmt(ms_o, sizeof ms_o, "%.3g", o && scb_rep_ok(o) ? o->ms_median : NAN);
                fmt(pk_o, sizeof pk_o, "%.0f%%", o && scb_rep_ok(o) ? o->pct_peak : NAN);
                const char *isa = r[0] && scb_rep_ok(r[0]) && r[0]->isa[0] ? r[0]->isa : "—";
                fprintf(f, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                        lo[oi], thr[ti], cr, v[0], vb, v[1], v[2], v[3], v[4], ms_s, ms_o, isa,
                        pk_s, pk_o);
            }
        fprintf(f, "\n");
    }

    int nbad = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].status, "wrong") || !strcmp(rows[i].status, "error")) nbad++;
    fprintf(f, "## Results that failed the check\n\n");
    if (nbad == 0) {
        fprintf(f, "None: every engine that ran agreed with sconv's double-precision reference "
                   "(max_rel_err column).\n\n");
    } else {
        for (size_t i = 0; i < n; i++) {
            const scb_row *r = &rows[i];
            if (strcmp(r->status, "wrong") && strcmp(r->status, "error")) continue;
            fprintf(f, "- %s %s %s %d thread(s) sparsity %g: **%s** — %s\n", r->engine, r->layer,
                    r->layout, r->threads, r->sparsity, r->status, r->note);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "## Engines not run\n\n");
    char seen[32][160];
    int nseen = 0;
    for (size_t i = 0; i < n; i++) {
        const scb_row *r = &rows[i];
        if (strcmp(r->status, "unsupported") && strcmp(r->status, "unavailable")) continue;
        char key[160];
        snprintf(key, sizeof key, "%s: %s", r->engine, r->note);
        int dup = 0;
        for (int k = 0; k < nseen && !dup; k++) dup = !strcmp(seen[k], key);
        if (dup || nseen == 32) continue;
        snprintf(seen[nseen++], sizeof seen[0], "%s", key);
        fprintf(f, "- %s\n", key);
    }
    if (nseen == 0) fprintf(f, "Every engine ran at every point.\n");
    fprintf(f, "\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "sconv-bench: cannot write %s\n", path);
        remove(tmp);
        return -1;
    }
    fprintf(stderr, "sconv-bench: wrote %s\n", path);
    return 0;
}
