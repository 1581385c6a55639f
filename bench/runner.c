/* bench/runner.c: the sweep: per point, set up every engine, check it once against the reference,
 * then time the engines interleaved */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "data.h"
#include "dump.h"
#include "runner.h"

typedef struct eng_slot {
    const scb_engine *e;
    void *state;
    float *y;
    int ok;             /* set up and checked: timed */
    int inner, reps;
    int warm;           /* untimed runs before each sample (WARM_MIN_S of them, at least one) */
    double *samples;    /* seconds per run, one per rep */
    int n_samples;
    scb_engine_info info;
    scb_row row;
} eng_slot;

static void fill_row_dims(scb_row *r, const scb_config *cfg, const scb_point *pt,
                          const char *engine)
{
    const scb_shape *s = pt->shape;
    memset(r, 0, sizeof *r);
    snprintf(r->layer, sizeof r->layer, "%s", s->name);
    r->cin = s->cin; r->cout = s->cout; r->h = s->h; r->w = s->w; r->kh = s->kh; r->kw = s->kw;
    r->stride = s->stride; r->pad = s->pad; r->dil = s->dil; r->groups = s->groups;
    r->batch = pt->batch;
    snprintf(r->layout, sizeof r->layout, "%s", scb_layout_name(pt->layout));
    r->threads = pt->threads;
    r->sparsity = pt->sparsity;
    snprintf(r->method, sizeof r->method, "%s", pt->method);
    snprintf(r->engine, sizeof r->engine, "%s", engine);
    r->ms_median = r->ms_min = r->ms_max = r->ms_stddev = NAN;
    r->gflops_effective = r->gflops_nonzero = r->pct_peak = NAN;
    r->speedup_vs_onednn = r->speedup_vs_xnnpack = r->max_rel_err = NAN;
    r->nnz = pt->nnz;
    r->peak_gflops = pt->threads <= SCB_MAX_THREADS ? cfg->peak[pt->threads] : NAN;
    r->peak_avx512_gflops = pt->threads <= SCB_MAX_THREADS ? cfg->peak_avx512[pt->threads] : NAN;
    r->peak_isa_gflops = r->speedup_vs_best_dense = NAN;
    snprintf(r->set, sizeof r->set, "%s", s->set);
    scb_shape_family(s->set, s->kh, s->kw, s->stride, r->family, sizeof r->family);
    snprintf(r->cpu, sizeof r->cpu, "%s", cfg->cpu);
}

static void set_status(scb_row *r, const char *status, const char *note)
{
    snprintf(r->status, sizeof r->status, "%s", status);
    snprintf(r->note, sizeof r->note, "%s", note);
}

/* Longest wait for idle workers before a sample: well above how long the peers' workers
 * were seen to stay busy (OpenBLAS's with OPENBLAS_THREAD_TIMEOUT set by main.c), short
 * enough that a machine that never goes idle costs 1/4 s per sample, not a hang. */
#define QUIESCE_MAX_S 0.25

/* Untimed running before each sample, at least one run: the wait above idles the core, and
 * on a shared guest the first runs after an idle gap are slow, so with one untimed run a
 * fast engine was timed inside that ramp and a slow peer mostly after it
 * (docs/benchmarking.md, step 4). */
#define WARM_MIN_S 2e-3

/* One point: every engine set up outside timing, run once and compared with the reference,
 * then `reps` samples each, interleaved: rep r runs every engine (starting one further
 * along the list each rep) before rep r+1. Before a sample of another engine than the
 * last one, wait until the last one's worker threads sleep. A sample is untimed runs for
 * WARM_MIN_S, at least one (so each engine meets its own weights and the shared input in
 * cache, as every other engine does, and the core is past its post-idle ramp; left out for
 * runs longer than budget/4), then `inner` timed back-to-back runs.
 * Appends one row per engine to rows[*n_rows]. Returns the number of wrong/failed engines. */
static int run_point(const scb_config *cfg, const scb_point *pt, const float *ref,
                     size_t ny, scb_row *rows, size_t *n_rows)
{
    eng_slot slot[SCB_MAX_LIST];
    size_t ne = cfg->n_engine;
    int bad = 0;
    char msg[256];
    memset(slot, 0, sizeof slot);
    scb_set_threads(pt->threads);
    for (size_t i = 0; i < ne; i++) {
        eng_slot *s = &slot[i];
        s->e = cfg->engine[i];
        fill_row_dims(&s->row, cfg, pt, s->e->name);
        const char *why = s->e->supports(pt);
        if (why) {
            set_status(&s->row, strncmp(why, "unavailable", 11) == 0 ? "unavailable" : "unsupported",
                       why);
            continue;
        }
        s->y = scb_alloc(ny * sizeof(float));
        msg[0] = '\0';
        int rc = s->e->setup(pt, s->y, &s->state, &s->info, msg, sizeof msg);
        if (rc != 0) {
            set_status(&s->row, rc > 0 ? "unsupported" : "error", msg);
            if (rc < 0) bad++;
            s->state = NULL;
            continue;
        }
        snprintf(s->row.work, sizeof s->row.work, "%s", s->info.nonzero_work ? "nonzero" : "dense");
        snprintf(s->row.note, sizeof s->row.note, "%s", s->info.note);
        snprintf(s->row.isa, sizeof s->row.isa, "%s", s->info.isa);
        s->row.peak_isa_gflops =
            scb_peak_for_isa(s->info.isa, s->row.peak_gflops, s->row.peak_avx512_gflops);
        /* check: NaN everywhere first, so an element the engine never writes shows up */
        for (size_t k = 0; k < ny; k++) s->y[k] = NAN;
        if (s->e->run(s->state, msg, sizeof msg) != 0) {
            set_status(&s->row, "error", msg);
            bad++;
            continue;
        }
        s->row.max_rel_err = scb_max_rel_err(&pt->yd, s->y, ref);
        if (!(s->row.max_rel_err <= cfg->tol)) {
            char note[160];
            snprintf(note, sizeof note, "WRONG: max_rel_err %.3g > tolerance %.1g; not timed (%s)",
                     s->row.max_rel_err, cfg->tol, s->info.note);
            set_status(&s->row, "wrong", note);
            fprintf(stderr, "\nsconv-bench: %s %s %s t%d s%g: %s\n", s->e->name, pt->shape->name,
                    scb_layout_name(pt->layout), pt->threads, pt->sparsity, note);
            bad++;
            continue;
        }
        /* calibrate: one more (warm) run */
        double t0 = sc_now_s();
        if (s->e->run(s->state, msg, sizeof msg) != 0) {
            set_status(&s->row, "error", msg);
            bad++;
            continue;
        }
        double t1 = sc_now_s() - t0;
        if (t1 <= 0) t1 = 1e-9;
        s->inner = (int)ceil(cfg->min_sample / t1);
        if (s->inner < 1) s->inner = 1;
        if (s->inner > 1000) s->inner = 1000;
        /* a run longer than a quarter of the budget warms the caches by itself */
        s->warm = t1 < cfg->budget / 4;
        const double warm_s = !s->warm ? 0 : t1 > WARM_MIN_S ? t1 : WARM_MIN_S;
        int reps = (int)(cfg->budget / (warm_s + s->inner * t1));
        int min_reps = cfg->reps < 3 ? cfg->reps : 3;
        s->reps = reps < min_reps ? min_reps : reps > cfg->reps ? cfg->reps : reps;
        s->samples = calloc((size_t)s->reps, sizeof(double));
        if (!s->samples) {
            fprintf(stderr, "sconv-bench: out of memory\n");
            exit(1);
        }
        s->ok = 1;
        set_status(&s->row, "ok", s->info.note);
    }

    int max_reps = 0;
    for (size_t i = 0; i < ne; i++)
        if (slot[i].ok && slot[i].reps > max_reps) max_reps = slot[i].reps;
    const eng_slot *last = NULL;
    for (int r = 0; r < max_reps; r++)
        for (size_t j = 0; j < ne; j++) {
            eng_slot *s = &slot[(j + (size_t)r) % ne];
            if (!s->ok || r >= s->reps) continue;
            /* the previous engine's idle workers (another thread runtime, maybe) must not
             * spin on the cores this sample needs */
            if (s != last) scb_quiesce(QUIESCE_MAX_S);
            last = s;
            int rc = 0;
            const double warm_start = sc_now_s();
            if (s->warm)  /* untimed */
                do rc = s->e->run(s->state, msg, sizeof msg);
                while (rc == 0 && sc_now_s() - warm_start < WARM_MIN_S);
            const double t0 = sc_now_s();
            for (int k = 0; k < s->inner && rc == 0; k++) rc = s->e->run(s->state, msg, sizeof msg);
            double dt = (sc_now_s() - t0) / s->inner;
            if (rc != 0) {
                set_status(&s->row, "error", msg);
                s->ok = 0;
                bad++;
                continue;
            }
            s->samples[s->n_samples++] = dt;
        }

    const scb_shape *sh = pt->shape;
    const double pix = (double)pt->batch * (double)pt->oh * (double)pt->ow;
    const double dense_flop = 2.0 * pix * (double)sh->cout * (double)(sh->cin / sh->groups) *
                              (double)(sh->kh * sh->kw);
    const double nz_flop = 2.0 * pix * (double)pt->nnz;
    double t_onednn = NAN, t_xnn = NAN;
    const double load1 = scb_load_average();
    for (size_t i = 0; i < ne; i++) {
        eng_slot *s = &slot[i];
        if (!s->ok) continue;
        double med, mn, mx, sd;
        scb_stats(s->samples, (size_t)s->n_samples, &med, &mn, &mx, &sd);
        scb_row *r = &s->row;
        r->ms_median = 1e3 * med;
        r->ms_min = 1e3 * mn;
        r->ms_max = 1e3 * mx;
        r->ms_stddev = 1e3 * sd;
        r->reps = s->n_samples;
        r->inner = s->inner;
        r->gflops_effective = dense_flop / med * 1e-9;
        r->gflops_nonzero = nz_flop / med * 1e-9;
        double useful = s->info.nonzero_work ? r->gflops_nonzero : r->gflops_effective;
        r->pct_peak = 100.0 * useful / r->peak_isa_gflops;
        if (strcmp(s->e->name, "onednn") == 0) t_onednn = med;
        if (strcmp(s->e->name, "xnnpack") == 0) t_xnn = med;
    }
    for (size_t i = 0; i < ne; i++) {
        eng_slot *s = &slot[i];
        if (s->ok) {
            s->row.speedup_vs_onednn = t_onednn / (s->row.ms_median * 1e-3);
            s->row.speedup_vs_xnnpack = t_xnn / (s->row.ms_median * 1e-3);
        }
        s->row.load1 = load1;
        rows[(*n_rows)++] = s->row;
        if (s->e->teardown) s->e->teardown(s->state);
        scb_free(s->y);
        free(s->samples);
    }
    return bad;
}

/* sc_conv_reference split by output channels over the CPUs (it is outside timing, and the
 * slowest step of a sweep on the large layers); one call for grouped layers. */
static sc_status reference(const sc_conv_params *p, const sc_wdesc *wd, const float *w,
                           const sc_tensor *xd, const float *x, const sc_tensor *yd, float *y)
{
    const int parts = scb_cpu_count();
    if (p->groups != 1 || parts < 2 || wd->oc < 2 * parts)
        return sc_conv_reference(p, wd, w, NULL, NULL, xd, x, yd, y);
    const int64_t k = wd->icg * wd->kh * wd->kw;
    sc_status st = SC_OK;
#pragma omp parallel for num_threads(parts) schedule(static, 1)
    for (int part = 0; part < parts; part++) {
        const int64_t o0 = wd->oc * part / parts, o1 = wd->oc * (part + 1) / parts;
        sc_wdesc wp = *wd;
        wp.oc = o1 - o0;
        sc_tensor ys = sc_tensor_slice_c(yd, o0, o1 - o0);
        sc_status s = sc_conv_reference(p, &wp, w + o0 * k, NULL, NULL, xd, x, &ys,
                                        y + sc_tensor_offset(yd, 0, o0, 0, 0));
        if (s != SC_OK) {
#pragma omp critical(scb_reference)
            st = s;
        }
    }
    return st;
}

static int64_t count_points(const scb_config *cfg)
{
    return (int64_t)(cfg->n_shapes * cfg->n_sparsity * cfg->n_layout * cfg->n_threads);
}

/* Write the rows of one layer and sparsity (every layout and thread count), once the
 * speedups over the faster oneDNN layout can be computed from them. */
static void flush_rows(const scb_config *cfg, scb_row *rows, size_t *n_rows)
{
    scb_fill_best_dense(rows, *n_rows);
    for (size_t i = 0; i < *n_rows && cfg->csv; i++) scb_csv_write(cfg->csv, &rows[i]);
    *n_rows = 0;
}

int scb_run_all(const scb_config *cfg)
{
    int bad = 0;
    scb_row *rows = calloc(cfg->n_engine * cfg->n_layout * cfg->n_threads + 1, sizeof *rows);
    size_t n_rows = 0;
    if (!rows) {
        fprintf(stderr, "sconv-bench: out of memory\n");
        return -1;
    }
    scb_progress prog;
    scb_progress_start(&prog, (size_t)count_points(cfg));
    for (size_t li = 0; li < cfg->n_shapes; li++) {
        const scb_shape *sh = cfg->shapes[li];
        sc_conv_params params = scb_shape_params(sh);
        sc_wdesc wd = {SC_OIHW, sh->cout, sh->cin / sh->groups, sh->kh, sh->kw};
        int64_t oh, ow;
        if (sc_conv_output_hw(&params, sh->kh, sh->kw, sh->h, sh->w, &oh, &ow) != SC_OK) {
            fprintf(stderr, "sconv-bench: %s: %s\n", sh->name, sc_last_message());
            return -1;
        }
        const size_t nw = (size_t)sc_wdesc_numel(&wd);
        const size_t nx = (size_t)(cfg->batch * sh->cin * sh->h * sh->w);
        const size_t ny = (size_t)(cfg->batch * sh->cout * oh * ow);
        float *w_full = scb_alloc(nw * sizeof(float)), *w = scb_alloc(nw * sizeof(float));
        uint8_t *mask = scb_alloc(nw), *ref_mask = scb_alloc(nw);
        float *x_nchw = scb_alloc(nx * sizeof(float)), *x = scb_alloc(nx * sizeof(float));
        float *ref = scb_alloc(ny * sizeof(float));
        scb_fill_normal(w_full, nw, scb_shape_seed(sh, 1));
        scb_fill_normal(x_nchw, nx, scb_shape_seed(sh, 2));
        sc_tensor x_nchw_d = sc_tensor_nchw(cfg->batch, sh->cin, sh->h, sh->w);
        sc_tensor ref_d = sc_tensor_nchw(cfg->batch, sh->cout, oh, ow);
        for (size_t si = 0; si < cfg->n_sparsity; si++) {
            int have_ref = 0;
            for (size_t lo = 0; lo < cfg->n_layout; lo++) {
                scb_layout layout = cfg->layout[lo];
                sc_layer *layer = NULL;
                if (scb_prune_pack(sh, cfg->method, cfg->sparsity[si], layout, w_full, w, mask,
                                   &layer)) {
                    bad = -1;
                    goto out;
                }
                scb_point pt;
                memset(&pt, 0, sizeof pt);
                pt.shape = sh;
                pt.batch = cfg->batch;
                pt.oh = oh;
                pt.ow = ow;
                pt.layout = layout;
                pt.sparsity = cfg->sparsity[si];
                pt.method = cfg->method;
                pt.params = params;
                pt.wd = wd;
                pt.w = w;
                pt.layer = layer;
                sc_layer_info info;
                sc_layer_get_info(layer, &info);
                pt.nnz = info.nnz;
                pt.xd = layout == SCB_NCHW ? sc_tensor_nchw(cfg->batch, sh->cin, sh->h, sh->w)
                                           : sc_tensor_nhwc(cfg->batch, sh->cin, sh->h, sh->w);
                pt.yd = layout == SCB_NCHW ? sc_tensor_nchw(cfg->batch, sh->cout, oh, ow)
                                           : sc_tensor_nhwc(cfg->batch, sh->cout, oh, ow);
                sc_tensor_copy(&x_nchw_d, x_nchw, &pt.xd, x);
                pt.x = x;
                /* the reference depends on the mask only (l1 masks match across layouts) */
                if (!have_ref || memcmp(mask, ref_mask, nw) != 0) {
                    char label[128];
                    snprintf(label, sizeof label, "%s s%g: reference", sh->name, pt.sparsity);
                    scb_progress_update(&prog, label);
                    sc_status st = reference(&params, &wd, w, &x_nchw_d, x_nchw, &ref_d, ref);
                    if (st != SC_OK) {
                        fprintf(stderr, "sconv-bench: %s: reference: %s: %s\n", sh->name,
                                sc_strerror(st), sc_last_message());
                        sc_layer_destroy(layer);
                        bad = -1;
                        goto out;
                    }
                    memcpy(ref_mask, mask, nw);
                    have_ref = 1;
                }
                char stem[160] = "";
                if (cfg->dump_dir && scb_dump_point(cfg->dump_dir, &pt, ref, stem, sizeof stem)) {
                    sc_layer_destroy(layer);
                    bad = -1;
                    goto out;
                }
                for (size_t ti = 0; ti < cfg->n_threads; ti++) {
                    pt.threads = cfg->threads[ti];
                    if (cfg->dump_dir) scb_dump_manifest_line(cfg->dump_manifest, &pt, stem);
                    char label[128];
                    snprintf(label, sizeof label, "%s %s t%d s%g", sh->name,
                             scb_layout_name(layout), pt.threads, pt.sparsity);
                    scb_progress_update(&prog, label);
                    bad += run_point(cfg, &pt, ref, ny, rows, &n_rows);
                    prog.done++;
                    scb_progress_update(&prog, label);
                }
                sc_layer_destroy(layer);
            }
            flush_rows(cfg, rows, &n_rows);
        }
    out:
        scb_free(w_full);
        scb_free(w);
        scb_free(mask);
        scb_free(ref_mask);
        scb_free(x_nchw);
        scb_free(x);
        scb_free(ref);
        if (bad < 0) break;
    }
    free(rows);
    if (bad < 0) return -1;
    scb_progress_finish(&prog);
    return bad;
}

const char *scb_layout_name(scb_layout l)
{
    return l == SCB_NHWC ? "nhwc" : "nchw";
}
