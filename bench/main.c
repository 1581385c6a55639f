/* bench/main.c: sconv-bench: command line, layer selection, peak measurement, then sweep, CSV, plots, report */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

#ifndef SCB_SHAPES_FILE
#define SCB_SHAPES_FILE "bench/shapes.txt"
#endif

static const char usage[] =
    "usage: sconv-bench --shape CIN,COUT,H,W,KH,KW,STRIDE,PAD[,DILATION[,GROUPS]] [options]\n"
    "       sconv-bench --set resnet50|mobilenetv1|vgg16|first|all [--quick] [options]\n"
    "       sconv-bench --from-csv FILE [--plot DIR] [--report FILE]\n"
    "\n"
    "Sparsity-versus-speed of sconv's sparse, dense and auto engines against oneDNN, XNNPACK,\n"
    "OpenBLAS im2col+sgemm and CSparse, every engine checked against sconv's reference.\n"
    "\n"
    "What to measure (lists are comma-separated; in --set mode they also act as filters):\n"
    "  --shape S          one layer of your own (batch 1 unless --batch)\n"
    "  --set NAMES        layer sets from the shapes file (default all)\n"
    "  --layer PATTERNS   only layers whose name matches a shell pattern (res3_*,mb_pw5)\n"
    "  --quick            the layers marked quick, 1 thread, sparsities 0.7,0.9 (< 2 minutes)\n"
    "  --sparsity LIST    fractions of weights removed (default 0,0.5,0.7,0.8,0.9,0.95,0.98)\n"
    "  --layout LIST      nchw, nhwc (default both)\n"
    "  --threads LIST     thread counts (default 1,2)\n"
    "  --engines LIST     sconv (sparse), auto, dense (sconv's dense fallback), sconv_t1 (sparse\n"
    "                     on 1 thread inside multi-thread points: the scaling reference),\n"
    "                     onednn, xnnpack, openblas, csparse, or all (default)\n"
    "  --method M         l1 (unstructured magnitude, default), block:RxC (e.g. block:4x1),\n"
    "                     nm:N:M (e.g. nm:2:4; the sparsity is then 1-N/M)\n"
    "  --batch N          images per run (default 1)\n"
    "  --shapes FILE      layer sets (default " SCB_SHAPES_FILE ")\n"
    "Timing:\n"
    "  --reps R           at most R timed samples per engine and point (default 11, quick 9)\n"
    "  --budget SEC       timed seconds per engine and point; fewer reps (>= 3) beyond\n"
    "                     (default 0.15, quick 0.1)\n"
    "  --tol X            max_rel_err above X marks a result wrong (default 1e-4)\n"
    "Output:\n"
    "  --csv FILE         result rows (default DIR/sconv-bench.csv with --plot, the report's\n"
    "                     name with .csv with --report, else standard output)\n"
    "  --plot DIR         gnuplot PNG+SVG: speedup over oneDNN vs sparsity per layer family\n"
    "  --report FILE      markdown summary (docs/benchmarks.md)\n"
    "  --from-csv FILE    no measurement: plots and report from an earlier CSV\n"
    "  --dump DIR         also write each point's pruned OIHW weights, input and expected\n"
    "                     output as .npy, listed in DIR/manifest.jsonl (outside engines\n"
    "                     run the same numbers: scripts/bench --peers)\n"
    "  --list             print the selected layers and exit\n"
    "Exit status: 0 all results agree with the reference, 2 some engine was wrong or failed,\n"
    "1 on a usage or harness error.\n";

typedef struct opts {
    const char *shape, *sets, *layers, *sparsity, *layouts, *threads, *engines, *method;
    const char *csv, *plot, *report, *from_csv, *shapes_file, *dump;
    int quick, list;
    int64_t batch;
    int reps;
    double budget, tol;
} opts;

static int die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "sconv-bench: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n(see sconv-bench --help)\n");
    return -1;
}

static int parse_int(const char *opt, const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "sconv-bench: %s '%s': expected an integer in [%lld, %lld]\n", opt, s, lo,
                hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo && v <= hi)) {
        fprintf(stderr, "sconv-bench: %s '%s': expected a number in [%g, %g]\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* Split a comma-separated list into a static copy; returns the count or -1 when too long. */
static int split_list(const char *s, char *copy, size_t cap, char **item, int max)
{
    if (strlen(s) >= cap) return -1;
    strcpy(copy, s);
    int n = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        if (n == max) return -1;
        item[n++] = tok;
    }
    return n;
}

static int parse_args(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = "l1";
    o->batch = 1;
    o->reps = -1;
    o->budget = -1;
    o->tol = 1e-4;
    o->shapes_file = SCB_SHAPES_FILE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (strcmp(a, "--quick") == 0) { o->quick = 1; continue; }
        if (strcmp(a, "--list") == 0) { o->list = 1; continue; }
        static const char *const with_value[] = {
            "--shape", "--set", "--layer", "--sparsity", "--layout", "--threads", "--engines",
            "--method", "--csv", "--plot", "--report", "--from-csv", "--shapes", "--batch",
            "--reps", "--budget", "--tol", "--dump"};
        const char *val = NULL;
        char name[32];
        const char *eq = strchr(a, '=');
        if (strncmp(a, "--", 2) == 0 && eq && (size_t)(eq - a) < sizeof name) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%.31s", a);
            if (i + 1 < argc) val = argv[i + 1], i++;
        }
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            known |= strcmp(name, with_value[k]) == 0;
        if (!known) return die("unknown option %s%s", name, "");
        if (!val) return die("%s needs a value%s", name, "");
        long long v;
        if (strcmp(name, "--shape") == 0) o->shape = val;
        else if (strcmp(name, "--set") == 0) o->sets = val;
        else if (strcmp(name, "--layer") == 0) o->layers = val;
        else if (strcmp(name, "--sparsity") == 0) o->sparsity = val;
        else if (strcmp(name, "--layout") == 0) o->layouts = val;
        else if (strcmp(name, "--threads") == 0) o->threads = val;
        else if (strcmp(name, "--engines") == 0) o->engines = val;
        else if (strcmp(name, "--method") == 0) o->method = val;
        else if (strcmp(name, "--csv") == 0) o->csv = val;
        else if (strcmp(name, "--plot") == 0) o->plot = val;
        else if (strcmp(name, "--report") == 0) o->report = val;
        else if (strcmp(name, "--from-csv") == 0) o->from_csv = val;
        else if (strcmp(name, "--shapes") == 0) o->shapes_file = val;
        else if (strcmp(name, "--dump") == 0) o->dump = val;
        else if (strcmp(name, "--batch") == 0) {
            if (parse_int(name, val, 1, 1 << 20, &v)) return -1;
            o->batch = v;
        } else if (strcmp(name, "--reps") == 0) {
            if (parse_int(name, val, 1, 100000, &v)) return -1;
            o->reps = (int)v;
        } else if (strcmp(name, "--budget") == 0) {
            if (parse_double(name, val, 0, 3600, &o->budget)) return -1;
        } else if (strcmp(name, "--tol") == 0) {
            if (parse_double(name, val, 0, 1e30, &o->tol)) return -1;
        }
    }
    if (o->shape && o->sets) return die("--shape and --set exclude each other%s%s", "", "");
    return 0;
}

static int build_config(const opts *o, const scb_shape_list *all, scb_config *cfg,
                        const scb_shape ***sel_out)
{
    char buf[1024], *item[SCB_MAX_LIST];
    int n;
    /* layers */
    const scb_shape **sel = calloc(all->n ? all->n : 1, sizeof *sel);
    size_t ns = 0;
    if (!sel) return die("out of memory%s%s", "", "");
    *sel_out = sel;  /* the caller frees it, also on failure */
    char setbuf[256], *sets[16];
    int nsets = split_list(o->sets ? o->sets : "all", setbuf, sizeof setbuf, sets, 16);
    if (nsets < 0) return die("--set %s: too long%s", o->sets, "");
    char laybuf[1024], *pats[SCB_MAX_LIST];
    int npats = o->layers ? split_list(o->layers, laybuf, sizeof laybuf, pats, SCB_MAX_LIST) : 0;
    if (npats < 0) return die("--layer %s: too many patterns%s", o->layers, "");
    for (int k = 0; k < nsets; k++) {
        int known = strcmp(sets[k], "all") == 0 || (o->shape && strcmp(sets[k], "custom") == 0);
        for (size_t i = 0; i < all->n; i++)
            if (strcmp(all->v[i].set, sets[k]) == 0) known = 1;
        if (!known) return die("--set %s: no such layer set in the shapes file%s", sets[k], "");
    }
    for (size_t i = 0; i < all->n; i++) {
        const scb_shape *s = &all->v[i];
        int in_set = o->shape != NULL;
        for (int k = 0; k < nsets && !in_set; k++)
            in_set = strcmp(sets[k], "all") == 0 || strcmp(sets[k], s->set) == 0;
        if (!in_set) continue;
        if (o->quick && !o->shape && !s->quick && !o->layers) continue;
        int match = npats == 0;
        for (int k = 0; k < npats && !match; k++) match = fnmatch(pats[k], s->name, 0) == 0;
        if (match) sel[ns++] = s;
    }
    if (ns == 0) return die("no layer selected (check --set and --layer)%s%s", "", "");
    cfg->shapes = sel;
    cfg->n_shapes = ns;

    /* method first: N:M fixes the sparsity */
    cfg->method = o->method;
    sc_prune_spec spec = sc_prune_spec_default();
    if (sc_prune_spec_parse(o->method, &spec) != SC_OK ||
        (spec.method != SC_PRUNE_L1 && spec.method != SC_PRUNE_BLOCK && spec.method != SC_PRUNE_NM))
        return die("--method %s: expected l1, block:RxC or nm:N:M%s", o->method, "");

    const char *sp = o->sparsity ? o->sparsity
                     : o->quick  ? "0.7,0.9"
                                 : "0,0.5,0.7,0.8,0.9,0.95,0.98";
    char nmbuf[32];
    if (spec.method == SC_PRUNE_NM) {
        snprintf(nmbuf, sizeof nmbuf, "%.10g", 1.0 - (double)spec.n / (double)spec.m);
        if (o->sparsity)
            fprintf(stderr, "sconv-bench: --method %s removes %s of the weights; --sparsity "
                            "ignored\n", o->method, nmbuf);
        sp = nmbuf;
    }
    n = split_list(sp, buf, sizeof buf, item, SCB_MAX_LIST);
    if (n <= 0) return die("--sparsity %s: expected 1 to 32 values%s", sp, "");
    for (int k = 0; k < n; k++)
        if (parse_double("--sparsity", item[k], 0, 1, &cfg->sparsity[k])) return -1;
    cfg->n_sparsity = (size_t)n;

    n = split_list(o->layouts ? o->layouts : "nchw,nhwc", buf, sizeof buf, item, 2);
    if (n <= 0) return die("--layout %s: expected nchw, nhwc or nchw,nhwc%s", o->layouts, "");
    for (int k = 0; k < n; k++) {
        if (strcmp(item[k], "nchw") == 0) cfg->layout[k] = SCB_NCHW;
        else if (strcmp(item[k], "nhwc") == 0) cfg->layout[k] = SCB_NHWC;
        else return die("--layout %s: expected nchw or nhwc%s", item[k], "");
    }
    cfg->n_layout = (size_t)n;

    n = split_list(o->threads ? o->threads : o->quick ? "1" : "1,2", buf, sizeof buf, item,
                   SCB_MAX_LIST);
    if (n <= 0) return die("--threads %s: expected a list of counts%s", o->threads, "");
    for (int k = 0; k < n; k++) {
        long long v;
        if (parse_int("--threads", item[k], 1, SCB_MAX_THREADS, &v)) return -1;
        cfg->threads[k] = (int)v;
    }
    cfg->n_threads = (size_t)n;

    const scb_engine *const *table;
    size_t n_all = scb_engines(&table);
    const char *eng = o->engines ? o->engines : "all";
    if (strcmp(eng, "all") == 0) {
        for (size_t k = 0; k < n_all; k++) cfg->engine[k] = table[k];
        cfg->n_engine = n_all;
    } else {
        n = split_list(eng, buf, sizeof buf, item, SCB_MAX_LIST);
        if (n <= 0) return die("--engines %s: expected a list of engines%s", eng, "");
        /* keep the table's order so CSVs from different runs line up */
        for (size_t k = 0; k < n_all; k++)
            for (int j = 0; j < n; j++)
                if (strcmp(item[j], table[k]->name) == 0) {
                    cfg->engine[cfg->n_engine++] = table[k];
                    break;
                }
        for (int j = 0; j < n; j++)
            if (!scb_engine_find(item[j]))
                return die("--engines: unknown engine %s (sconv, auto, dense, onednn, xnnpack, "
                           "openblas, csparse, all)%s", item[j], "");
    }
    cfg->batch = o->batch;
    cfg->reps = o->reps > 0 ? o->reps : o->quick ? 9 : 11;
    cfg->budget = o->budget >= 0 ? o->budget : o->quick ? 0.1 : 0.15;
    cfg->min_sample = 1e-3;
    cfg->tol = o->tol;
    return 0;
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 3;
    char *s = malloc(len);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i) strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* path with its extension replaced by .csv */
static void csv_beside(const char *path, char *out, size_t cap)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    snprintf(out, cap, "%.*s.csv", (int)stem, path);
}

static int outputs(const opts *o, const char *csv_path, const char *cmd)
{
    if (!o->plot && !o->report) return 0;
    scb_row *rows = NULL;
    size_t n = 0;
    if (scb_csv_read(csv_path, &rows, &n)) return -1;
    int rc = 0;
    if (o->plot && scb_plot(rows, n, o->plot)) rc = -1;
    if (o->report && scb_report(rows, n, o->report, cmd, csv_path, o->plot)) rc = -1;
    free(rows);
    return rc;
}

/* OpenBLAS's idle workers spin for 2^OPENBLAS_THREAD_TIMEOUT TSC ticks after a call before
 * they sleep: 2^28, about 0.1 s here, by default. The runner waits for idle workers before
 * each sample of another engine, and 2^18 (about 11 ms) keeps that wait short; the timed
 * calls of one sample follow each other closely enough that the workers never sleep
 * between them (OpenBLAS's medians with 2^28 and 2^18 agreed within noise). The variable
 * is read when OpenBLAS loads, hence the new image. */
static void bound_openblas_spin(char **argv)
{
    if (getenv("OPENBLAS_THREAD_TIMEOUT") || !argv || !argv[0]) return;
    /* SCONV_BENCH_SET_SPIN tells the report that the value is ours, not the user's */
    if (setenv("OPENBLAS_THREAD_TIMEOUT", SCB_OPENBLAS_THREAD_TIMEOUT, 1) != 0 ||
        setenv("SCONV_BENCH_SET_SPIN", "1", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    fprintf(stderr, "sconv-bench: re-running with OPENBLAS_THREAD_TIMEOUT=%s failed (%s); "
                    "waits for OpenBLAS's idle workers will be long\n",
            SCB_OPENBLAS_THREAD_TIMEOUT, strerror(errno));
    unsetenv("OPENBLAS_THREAD_TIMEOUT");
    unsetenv("SCONV_BENCH_SET_SPIN");
}

int main(int argc, char **argv)
{
    bound_openblas_spin(argv);
    sc_blas_fix_core(argv);  /* give the OpenBLAS peer and the dense engine their real kernels */
    opts o;
    int rc = 1;
    char *cmd = NULL;
    scb_shape_list shapes = {0};
    const scb_shape **sel = NULL;
    scb_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (parse_args(argc, argv, &o)) goto done;
    cmd = join_args(argc, argv);
    if (!cmd) goto done;
    if (o.from_csv) {
        rc = outputs(&o, o.from_csv, cmd) ? 1 : 0;
        goto done;
    }

    if (o.shape) {
        scb_shape s;
        if (scb_shape_parse(o.shape, &s)) goto done;
        shapes.v = malloc(sizeof s);
        if (!shapes.v) goto done;
        shapes.v[0] = s;
        shapes.n = shapes.cap = 1;
    } else if (scb_shapes_load(o.shapes_file, &shapes)) {
        goto done;
    }
    if (build_config(&o, &shapes, &cfg, &sel)) goto done;
    if (o.list) {
        for (size_t i = 0; i < cfg.n_shapes; i++) {
            const scb_shape *s = cfg.shapes[i];
            printf("%-12s %-16s %5lld %5lld %4lld %4lld %lldx%lld s%lld p%lld d%lld g%lld\n", s->set,
                   s->name, (long long)s->cin, (long long)s->cout, (long long)s->h,
                   (long long)s->w, (long long)s->kh, (long long)s->kw, (long long)s->stride,
                   (long long)s->pad, (long long)s->dil, (long long)s->groups);
        }
        rc = 0;
        goto done;
    }

    char csv_default[1024];
    const char *csv_path = o.csv;
    if (!csv_path && o.plot) {
        snprintf(csv_default, sizeof csv_default, "%s/sconv-bench.csv", o.plot);
        csv_path = csv_default;
    } else if (!csv_path && o.report) {
        csv_beside(o.report, csv_default, sizeof csv_default);
        csv_path = csv_default;
    }
    if (csv_path && strcmp(csv_path, "-") == 0) csv_path = NULL;
    if (!csv_path && (o.plot || o.report)) {
        fprintf(stderr, "sconv-bench: --plot/--report read the CSV back: give --csv FILE\n");
        goto done;
    }
    if ((o.plot && scb_mkdirs(o.plot)) || (csv_path && scb_mkdirs_for(csv_path)) ||
        (o.report && scb_mkdirs_for(o.report)))
        goto done;
    cfg.csv = csv_path ? fopen(csv_path, "w") : stdout;
    if (!cfg.csv) {
        fprintf(stderr, "sconv-bench: cannot write %s: %s\n", csv_path, strerror(errno));
        goto done;
    }

    if (o.dump) {
        char manifest[1100];
        snprintf(manifest, sizeof manifest, "%s/manifest.jsonl", o.dump);
        if (scb_mkdirs(o.dump)) goto done;
        cfg.dump_manifest = fopen(manifest, "w");
        if (!cfg.dump_manifest) {
            fprintf(stderr, "sconv-bench: cannot write %s: %s\n", manifest, strerror(errno));
            goto done;
        }
        cfg.dump_dir = o.dump;
    }

    scb_cpu_model(cfg.cpu, sizeof cfg.cpu);
    for (int t = 0; t <= SCB_MAX_THREADS; t++) cfg.peak[t] = cfg.peak_avx512[t] = NAN;
    int want[SCB_MAX_LIST + 2] = {1, 2};
    size_t n_want = 2;
    for (size_t i = 0; i < cfg.n_threads; i++) want[n_want++] = cfg.threads[i];
    for (size_t i = 0; i < n_want; i++)
        if (isnan(cfg.peak[want[i]])) {
            cfg.peak[want[i]] = scb_fma_peak(want[i]);
            cfg.peak_avx512[want[i]] = scb_fma_peak_avx512(want[i]);
        }
    fprintf(stderr, "sconv-bench: %s, %d CPUs; FP32 FMA peak %.1f GFLOP/s (1 thread), %.1f (2) "
                    "with ymm (AVX2)", cfg.cpu, scb_cpu_count(), cfg.peak[1], cfg.peak[2]);
    if (isfinite(cfg.peak_avx512[1]))
        fprintf(stderr, ", %.1f and %.1f with zmm (AVX-512)", cfg.peak_avx512[1],
                cfg.peak_avx512[2]);
    fprintf(stderr, "\n");
    double probe = NAN;
    for (size_t i = 0; i < cfg.n_engine; i++)
        if (strcmp(cfg.engine[i]->name, "xnnpack") == 0) probe = scb_xnnpack_probe();
    if (!isnan(probe))
        fprintf(stderr, "sconv-bench: XNNPACK 1x1 NCHW with 95%% zero weights runs %.1fx faster "
                        "than dense weights: %s\n", probe,
                probe > 3 ? "its sparse path is taken" : "its sparse path is NOT taken");

    scb_csv_header(cfg.csv);
    int bad = scb_run_all(&cfg);
    if (cfg.csv != stdout) fclose(cfg.csv);
    cfg.csv = NULL;
    rc = 0;
    if (bad < 0) rc = 1;
    else if (bad > 0) {
        fprintf(stderr, "sconv-bench: %d engine result(s) wrong or failed (status column)\n", bad);
        rc = 2;
    }
    if (bad >= 0 && outputs(&o, csv_path, cmd)) rc = 1;
done:
    if (cfg.csv && cfg.csv != stdout) fclose(cfg.csv);
    if (cfg.dump_manifest) fclose(cfg.dump_manifest);
    free(cmd);
    free(sel);
    scb_shapes_free(&shapes);
    return rc;
}
