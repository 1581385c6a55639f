/* src/cli/cmd_demo.c: `sconv demo`, the main job: prune realistic layers at several
 * sparsities, run them sparse in NCHW and NHWC, check against the dense reference, and
 * print a sparsity / error / speed table and a plot */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/core.h"

enum { O_OUT, O_THREADS, O_SPARSITY, O_HW, O_REPEAT, O_SEED, O_NO_PLOT, N_OPTS };

static const cli_opt opts[N_OPTS] = {
    [O_OUT] = {"out", 0, true, false},
    [O_THREADS] = {"threads", 0, true, false},
    [O_SPARSITY] = {"sparsity", 0, true, false},
    [O_HW] = {"hw", 0, true, false},
    [O_REPEAT] = {"repeat", 0, true, false},
    [O_SEED] = {"seed", 0, true, false},
    [O_NO_PLOT] = {"no-plot", 0, false, false},
};

/* The built-in example: two layers of a ResNet-50 first stage. */
typedef struct demo_layer {
    const char *name;  /* for the table */
    const char *id;    /* the packed layer's name */
    int64_t oc, ic, k, pad;
} demo_layer;

static const demo_layer layers[] = {
    {"conv3x3 64->64", "conv3x3", 64, 64, 3, 1},   /* the 3x3 of a bottleneck block */
    {"conv1x1 256->64", "conv1x1", 64, 256, 1, 0}, /* the 1x1 reduction of the next block */
};
#define N_LAYERS 2
#define MAX_SPARSITIES 32

typedef struct demo_row {
    double sparsity, prune_err, check_err;
    cli_times sparse, dense;
    bool auto_sparse;
} demo_row;

static double speedup(const demo_row *r)
{
    return r->dense.median_ms / r->sparse.median_ms;
}

/* A row's timings are suspect when either engine's samples spread beyond the limit. */
static double row_spread(const demo_row *r)
{
    return r->sparse.spread > r->dense.spread ? r->sparse.spread : r->dense.spread;
}

/* Trained-like OIHW weights: He-scaled, a log-normal scale per output channel (filters
 * differ in norm after training), heavy-tailed values (Student t, 4 degrees of freedom)
 * and a stronger centre tap for 3x3 kernels. */
static void make_weights(cli_rng *r, const demo_layer *L, float *w, float *bias)
{
    const double he = sqrt(2.0 / (double)(L->ic * L->k * L->k));
    for (int64_t o = 0; o < L->oc; ++o) {
        const double scale = he * exp(0.35 * cli_rng_normal(r));
        for (int64_t i = 0; i < L->ic; ++i)
            for (int64_t h = 0; h < L->k; ++h)
                for (int64_t x = 0; x < L->k; ++x) {
                    const double centre = L->k == 3 && h == 1 && x == 1 ? 1.8 : 1.0;
                    w[((o * L->ic + i) * L->k + h) * L->k + x] =
                        (float)(scale * centre * cli_rng_student(r, 4));
                }
        bias[o] = (float)(0.05 * cli_rng_normal(r));
    }
}

/* Post-ReLU activations: about half zeros, a per-channel scale. NCHW. */
static void make_input(cli_rng *r, int64_t c, int64_t hw, float *x)
{
    for (int64_t ch = 0; ch < c; ++ch) {
        const double scale = exp(0.3 * cli_rng_normal(r));
        for (int64_t p = 0; p < hw; ++p) {
            const double v = scale * cli_rng_normal(r);
            x[ch * hw + p] = v > 0 ? (float)v : 0.0f;
        }
    }
}

/* Everything one layer needs, allocated once. */
typedef struct demo_bufs {
    float *w, *bias, *x_nchw, *x_nhwc, *y, *ref, *y_full, *w_pruned;
    uint8_t *mask;
} demo_bufs;

static sc_status alloc_bufs(const demo_layer *L, int64_t hw, demo_bufs *b)
{
    const size_t nw = (size_t)(L->oc * L->ic * L->k * L->k);
    const size_t nx = (size_t)(L->ic * hw * hw), ny = (size_t)(L->oc * hw * hw);
    sc_status st = sc_alloc_array((void **)&b->w, nw, sizeof(float), false, "demo weights");
    if (st == SC_OK) st = sc_alloc_array((void **)&b->w_pruned, nw, sizeof(float), false, "weights");
    if (st == SC_OK)
        st = sc_alloc_array((void **)&b->bias, (size_t)L->oc, sizeof(float), false, "bias");
    if (st == SC_OK) st = sc_alloc_array((void **)&b->mask, nw, 1, false, "mask");
    if (st == SC_OK) st = sc_alloc_array((void **)&b->x_nchw, nx, sizeof(float), false, "input");
    if (st == SC_OK) st = sc_alloc_array((void **)&b->x_nhwc, nx, sizeof(float), false, "input");
    if (st == SC_OK) st = sc_alloc_array((void **)&b->y, ny, sizeof(float), false, "output");
    if (st == SC_OK) st = sc_alloc_array((void **)&b->ref, ny, sizeof(float), false, "reference");
    if (st == SC_OK) st = sc_alloc_array((void **)&b->y_full, ny, sizeof(float), false, "reference");
    return st;
}

static void free_bufs(demo_bufs *b)
{
    sc_free(b->w);
    sc_free(b->w_pruned);
    sc_free(b->bias);
    sc_free(b->mask);
    sc_free(b->x_nchw);
    sc_free(b->x_nhwc);
    sc_free(b->y);
    sc_free(b->ref);
    sc_free(b->y_full);
    *b = (demo_bufs){0};
}

typedef struct demo_cfg {
    int threads, repeats;
    cli_contention *load;  /* evidence on whether the timings can be trusted */
    int64_t hw;
    const double *sparsity;
    int n_sparsity;
} demo_cfg;

/* One layout of one pruned layer: run sparse, check, time sparse against dense. */
static sc_status run_layout(const demo_cfg *cfg, const sc_layer *layer, const demo_bufs *b,
                            const sc_tensor *xd, const sc_tensor *yd, const sc_tensor *rd,
                            bool nhwc, demo_row *row)
{
    sc_conv *sparse = NULL, *dense = NULL, *autop = NULL;
    sc_conv_options opt = sc_conv_options_default();
    opt.threads = cfg->threads;
    const float *x = nhwc ? b->x_nhwc : b->x_nchw;
    sc_status st = sc_conv_create(layer, &opt, &autop);
    if (st == SC_OK) st = sc_conv_plan(autop, xd, yd);
    opt.engine = SC_ENGINE_SPARSE;
    if (st == SC_OK) st = sc_conv_create(layer, &opt, &sparse);
    if (st == SC_OK) st = sc_conv_plan(sparse, xd, yd);
    opt.engine = SC_ENGINE_DENSE;
    if (st == SC_OK) st = sc_conv_create(layer, &opt, &dense);
    if (st == SC_OK) st = sc_conv_plan(dense, xd, yd);
    if (st == SC_OK) st = sc_conv_run(sparse, x, b->y);
    if (st == SC_OK) {
        cli_diff check, prune;
        cli_compare(yd, b->y, rd, b->ref, &check);
        cli_compare(yd, b->y, rd, b->y_full, &prune);
        row->check_err = check.rel;
        row->prune_err = prune.l2_rel;
        sc_conv_choice ch;
        sc_conv_describe(autop, &ch);
        row->auto_sparse = ch.engine == SC_ENGINE_SPARSE;
        st = cli_time_pair(sparse, dense, x, b->y, cfg->repeats, cfg->load, &row->sparse,
                           &row->dense);
    }
    sc_conv_destroy(sparse);
    sc_conv_destroy(dense);
    sc_conv_destroy(autop);
    return st;
}

/* All sparsities of one layer; rows[s][0] is NCHW, rows[s][1] NHWC. */
static int run_layer(const cli_cmd *cmd, const demo_cfg *cfg, const demo_layer *L, cli_rng *r,
                     demo_row (*rows)[2], cli_progress *bar, int64_t *done)
{
    demo_bufs b = {0};
    sc_layer *packed[2] = {NULL, NULL};
    const int64_t hw = cfg->hw;
    sc_status st = alloc_bufs(L, hw, &b);
    const sc_wdesc wd = {SC_OIHW, L->oc, L->ic, L->k, L->k};
    sc_conv_params p = sc_conv_params_default();
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = L->pad;
    const sc_tensor xn = sc_tensor_nchw(1, L->ic, hw, hw), xh = sc_tensor_nhwc(1, L->ic, hw, hw);
    const sc_tensor yn = sc_tensor_nchw(1, L->oc, hw, hw), yh = sc_tensor_nhwc(1, L->oc, hw, hw);
    if (st == SC_OK) {
        make_weights(r, L, b.w, b.bias);
        make_input(r, L->ic, hw * hw, b.x_nchw);
        st = sc_tensor_copy(&xn, b.x_nchw, &xh, b.x_nhwc);
    }
    if (st == SC_OK) st = sc_conv_reference(&p, &wd, b.w, b.bias, NULL, &xn, b.x_nchw, &yn, b.y_full);
    for (int s = 0; st == SC_OK && s < cfg->n_sparsity; ++s) {
        sc_prune_spec spec = sc_prune_spec_default();
        spec.amount = cfg->sparsity[s];
        st = sc_prune_mask(&spec, &wd, b.w, b.mask);
        for (int64_t i = 0; st == SC_OK && i < sc_wdesc_numel(&wd); ++i)
            b.w_pruned[i] = b.mask[i] ? b.w[i] : 0.0f;
        if (st == SC_OK)  /* the oracle: direct double-precision loops on the pruned weights */
            st = sc_conv_reference(&p, &wd, b.w_pruned, b.bias, NULL, &xn, b.x_nchw, &yn, b.ref);
        for (int l = 0; st == SC_OK && l < 2; ++l) {
            sc_pack_options po = sc_pack_options_default();
            po.name = L->id;
            po.params = p;
            po.order = l ? SC_PACK_HWC : SC_PACK_CHW;
            po.bias = b.bias;
            po.method = "l1";
            sc_layer_destroy(packed[l]);
            packed[l] = NULL;
            st = sc_layer_pack(&wd, b.w, b.mask, &po, &packed[l]);
            if (st == SC_OK)
                st = run_layout(cfg, packed[l], &b, l ? &xh : &xn, l ? &yh : &yn, &yn, l == 1,
                                &rows[s][l]);
            if (st == SC_OK) {
                sc_layer_info info;
                sc_layer_get_info(packed[l], &info);
                rows[s][l].sparsity = info.sparsity;
            }
            cli_progress_update(bar, ++*done);
        }
    }
    sc_layer_destroy(packed[0]);
    sc_layer_destroy(packed[1]);
    free_bufs(&b);
    return st == SC_OK ? CLI_OK : cli_fail_status(cmd, st, NULL);
}

/* mkdir -p for the output directory. */
static int make_dir(const cli_cmd *cmd, const char *dir)
{
    char path[4096];
    if (strlen(dir) >= sizeof path) return cli_usage_error(cmd, "--out: path too long");
    strcpy(path, dir);
    for (char *p = path + 1;; ++p) {
        const bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            struct stat sb;
            if (stat(path, &sb) != 0 && mkdir(path, 0777) != 0 && errno != EEXIST)
                return cli_error(cmd, CLI_IO, "%s: cannot create the directory: %s", path,
                                 strerror(errno));
            if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
                return cli_error(cmd, CLI_IO, "%s: not a directory", path);
            if (end) break;
            *p = '/';
        }
    }
    return CLI_OK;
}

static int format_csv(const cli_cmd *cmd, const demo_cfg *cfg,
                      demo_row (*rows)[MAX_SPARSITIES][2], char **out, size_t *len)
{
    const size_t cap = 256 + (size_t)N_LAYERS * MAX_SPARSITIES * 2 * 200;
    char *buf = NULL;
    sc_status st = sc_alloc_array((void **)&buf, cap, 1, false, "CSV");
    if (st != SC_OK) return cli_fail_status(cmd, st, NULL);
    size_t used = (size_t)snprintf(buf, cap, "layer,layout,sparsity,prune_rel_error_l2,"
                                   "check_rel_error,sparse_ms,dense_ms,speedup,auto_engine,"
                                   "threads,timing_spread\n");
    for (int L = 0; L < N_LAYERS; ++L)
        for (int s = 0; s < cfg->n_sparsity; ++s)
            for (int l = 0; l < 2; ++l) {
                const demo_row *r = &rows[L][s][l];
                used += (size_t)snprintf(buf + used, cap - used,
                                         "%s,%s,%.4f,%.6e,%.6e,%.4f,%.4f,%.4f,%s,%d,%.4f\n",
                                         layers[L].name, l ? "nhwc" : "nchw", r->sparsity,
                                         r->prune_err, r->check_err, r->sparse.median_ms,
                                         r->dense.median_ms, speedup(r),
                                         r->auto_sparse ? "sparse" : "dense", cfg->threads,
                                         row_spread(r));
            }
    *out = buf;
    *len = used;
    return CLI_OK;
}

/* Speedup per layer and layout; pruning error per layer (the same mask serves both
 * layouts, so the error does not depend on the layout). */
static int render_plot(const cli_cmd *cmd, const char *png_path, const demo_cfg *cfg,
                       demo_row (*rows)[MAX_SPARSITIES][2], void **png, size_t *len)
{
    double xs[N_LAYERS * 2][MAX_SPARSITIES], sp[N_LAYERS * 2][MAX_SPARSITIES],
        er[N_LAYERS][MAX_SPARSITIES];
    char names[N_LAYERS * 2][64];
    cli_curve speed[N_LAYERS * 2], error[N_LAYERS];
    for (int L = 0; L < N_LAYERS; ++L) {
        for (int l = 0; l < 2; ++l) {
            const int i = 2 * L + l;
            for (int s = 0; s < cfg->n_sparsity; ++s) {
                xs[i][s] = rows[L][s][l].sparsity;
                sp[i][s] = speedup(&rows[L][s][l]);
            }
            snprintf(names[i], sizeof names[i], "%s, %s", layers[L].name, l ? "NHWC" : "NCHW");
            speed[i] = (cli_curve){names[i], cfg->n_sparsity, xs[i], sp[i]};
        }
        for (int s = 0; s < cfg->n_sparsity; ++s) er[L][s] = rows[L][s][0].prune_err;
        error[L] = (cli_curve){layers[L].name, cfg->n_sparsity, xs[2 * L], er[L]};
    }
    char title[128], note[200];
    snprintf(title, sizeof title, "sconv demo: pruned convolutions on a %lldx%lld input",
             (long long)cfg->hw, (long long)cfg->hw);
    cli_contention_note(cfg->load, note, sizeof note);
    const cli_plot_spec spec = {title, note, speed, N_LAYERS * 2, error, N_LAYERS};
    return cli_plot_render(cmd, png_path, &spec, png, len);
}

/* DIR/demo.csv and DIR/demo.png, both made before either is written. */
static int write_outputs(const cli_cmd *cmd, const char *dir, bool plot, const demo_cfg *cfg,
                         demo_row (*rows)[MAX_SPARSITIES][2], char *png_path, size_t png_cap)
{
    char csv_path[4200];
    char *csv = NULL;
    void *png = NULL;
    size_t csv_len = 0, png_len = 0;
    snprintf(csv_path, sizeof csv_path, "%s/demo.csv", dir);
    if (plot) snprintf(png_path, png_cap, "%s/demo.png", dir);
    int code = format_csv(cmd, cfg, rows, &csv, &csv_len);
    if (code == CLI_OK && plot) code = render_plot(cmd, png_path, cfg, rows, &png, &png_len);
    const cli_output outs[2] = {{csv_path, csv, csv_len}, {png_path, png, png_len}};
    if (code == CLI_OK) code = cli_write_outputs(cmd, outs, plot ? 2 : 1);
    if (code != CLI_OK) png_path[0] = '\0';
    sc_free(csv);
    sc_free(png);
    return code;
}

static int run(const cli_cmd *cmd, const cli_args *a)
{
    int code = CLI_OK;
    demo_cfg cfg = {.hw = 56};
    double *sparsity = NULL;
    int64_t v = 1, seed = 2024;  /* one thread: timings that other work disturbs least */
    const char *dir = cli_get(a, O_OUT) ? cli_get(a, O_OUT) : "out";
    if (cli_n_positional(a) > 0)
        code = cli_usage_error(cmd, "unexpected argument '%s'", cli_positional(a, 0));
    if (code == CLI_OK && cli_get(a, O_THREADS))
        code = cli_parse_int(cmd, "--threads", cli_get(a, O_THREADS), 0, 1024, &v);
    cfg.threads = cli_resolve_threads((int)v);
    v = 0;
    if (code == CLI_OK && cli_get(a, O_REPEAT))
        code = cli_parse_int(cmd, "--repeat", cli_get(a, O_REPEAT), 1, 50, &v);
    cfg.repeats = (int)v;
    if (code == CLI_OK && cli_get(a, O_HW))
        code = cli_parse_int(cmd, "--hw", cli_get(a, O_HW), 1, 1024, &cfg.hw);
    if (code == CLI_OK && cli_get(a, O_SEED))
        code = cli_parse_int(cmd, "--seed", cli_get(a, O_SEED), 0, INT64_MAX, &seed);
    if (code == CLI_OK)
        code = cli_parse_double_list(cmd, "--sparsity", cli_get(a, O_SPARSITY)
                                     ? cli_get(a, O_SPARSITY) : "0.5,0.7,0.8,0.9,0.95",
                                     0, 1, &sparsity, &cfg.n_sparsity);
    if (code == CLI_OK && cfg.n_sparsity > MAX_SPARSITIES)
        code = cli_usage_error(cmd, "--sparsity: at most %d values", MAX_SPARSITIES);
    cfg.sparsity = sparsity;
    if (code == CLI_OK) code = make_dir(cmd, dir);
    static demo_row rows[N_LAYERS][MAX_SPARSITIES][2];
    cli_contention load;
    cli_contention_init(&load, cfg.threads, cli_cores());
    cli_contention_add_load(&load, cli_other_running());  /* before our own work starts */
    cfg.load = &load;
    if (code == CLI_OK) {
        printf("sconv demo: the 3x3 64->64 and 1x1 256->64 convolutions of a ResNet-50 first "
               "stage,\ntrained-like weights (seed %lld) on a %lldx%lld post-ReLU input, pruned "
               "by magnitude (l1),\nrun sparse on NCHW and on NHWC activations and checked "
               "against the dense reference\n(double precision); times are medians, dense = "
               "im2col + OpenBLAS sgemm on the same layer;\nboth engines on %d thread%s "
               "of the %d cores available.\n\n", (long long)seed, (long long)cfg.hw,
               (long long)cfg.hw, cfg.threads, cfg.threads == 1 ? "" : "s", load.cores);
        fflush(stdout);
    }
    cli_progress bar;
    cli_progress_start(&bar, "demo", (int64_t)N_LAYERS * cfg.n_sparsity * 2);
    int64_t steps = 0;
    cli_rng r;
    cli_rng_seed(&r, (uint64_t)seed);
    const double t0 = sc_now_s();
    for (int L = 0; code == CLI_OK && L < N_LAYERS; ++L)
        code = run_layer(cmd, &cfg, &layers[L], &r, rows[L], &bar, &steps);
    cli_progress_end(&bar);
    int failed = 0;
    if (code == CLI_OK) {
        printf("%-16s %8s %6s %10s %10s %9s %9s %9s %6s\n", "layer", "sparsity", "layout",
               "prune err", "check err", "sparse ms", "dense ms", "speedup", "auto");
        for (int L = 0; L < N_LAYERS; ++L)
            for (int s = 0; s < cfg.n_sparsity; ++s)
                for (int l = 0; l < 2; ++l) {
                    const demo_row *row = &rows[L][s][l];
                    const bool ok = row->check_err <= CLI_CHECK_TOLERANCE;
                    failed += !ok;
                    printf("%-16s %8.3f %6s %10.2e %10.2e%s %9.3f %9.3f %7.2fx%s %6s\n",
                           layers[L].name, row->sparsity, l ? "nhwc" : "nchw", row->prune_err,
                           row->check_err, ok ? " " : "!", row->sparse.median_ms,
                           row->dense.median_ms, speedup(row),
                           row_spread(row) > CLI_SPREAD_LIMIT ? "~" : " ",
                           row->auto_sparse ? "sparse" : "dense");
                }
        printf("\nprune err: ||y_pruned - y|| / ||y|| against the unpruned layer: what pruning "
               "costs.\ncheck err: max|y_sparse - y_ref| / max|y_ref| against the dense "
               "reference on the same\n           pruned weights; must be <= %g.\n",
               CLI_CHECK_TOLERANCE);
        char line[512];
        cli_contention_describe(&load, line, sizeof line);
        printf("threads: %d of %d cores; ~ marks a row whose samples spread more than %.0f%%\n"
               "%s\n", cfg.threads, load.cores, 100 * CLI_SPREAD_LIMIT, line);
    }
    char png[4200] = "";
    if (code == CLI_OK)
        code = write_outputs(cmd, dir, !cli_flag(a, O_NO_PLOT), &cfg, rows, png, sizeof png);
    if (code == CLI_OK) {
        printf("wrote %s/demo.csv%s%s in %.1f s\n", dir, png[0] ? " and " : "", png,
               sc_now_s() - t0);
        if (failed)
            code = cli_error(cmd, CLI_NUMERIC, "%d check%s above the relative error %g (marked "
                             "!)", failed, failed == 1 ? "" : "s", CLI_CHECK_TOLERANCE);
        else
            printf("all %d checks passed\n", N_LAYERS * cfg.n_sparsity * 2);
    }
    sc_free(sparsity);
    return code;
}

const cli_cmd cli_cmd_demo = {
    .name = "demo",
    .summary = "the main job: prune, run, check and time a built-in example, with a plot",
    .usage = "Usage: sconv demo [--out DIR] [--threads N] [--sparsity LIST] [--hw N] [--repeat R]\n"
             "                  [--seed S] [--no-plot]\n",
    .help =
        "NAME\n"
        "    sconv demo - the whole workflow on a built-in example\n"
        "\n"
        "SYNOPSIS\n"
        "    sconv demo [--out DIR] [--threads N] [--sparsity LIST] [--hw N] [--repeat R]\n"
        "               [--seed S] [--no-plot]\n"
        "\n"
        "DESCRIPTION\n"
        "    Generates two layers with trained-like weights from a fixed seed - the 3x3\n"
        "    64->64 convolution (pad 1) and the 1x1 256->64 reduction of a ResNet-50 first\n"
        "    stage, He-scaled with a log-normal scale per output channel and heavy-tailed\n"
        "    (Student t) values - and post-ReLU activations. For each sparsity it prunes\n"
        "    the weights by magnitude with the library, packs them for NCHW and for NHWC,\n"
        "    runs the sparse engine on each layout, checks every output against the dense\n"
        "    reference convolution (double precision) on the same pruned weights, and\n"
        "    times the sparse engine against the dense engine (im2col + OpenBLAS sgemm).\n"
        "    Prints a table (sparsity, layout, pruning error, check error, sparse ms, dense\n"
        "    ms, speedup, the engine auto would pick) and writes DIR/demo.csv and a plot\n"
        "    DIR/demo.png (gnuplot), both only once both are made. The table and the plot\n"
        "    state the thread count and whether the timings look contended (samples\n"
        "    whose median is more than 25% above their fastest run, rows marked ~, or\n"
        "    other processes running on the cores). Takes well under a minute.\n"
        "\n"
        "OPTIONS\n"
        "    --out DIR          output directory, created if missing (default: out)\n"
        "    --threads N        threads (default 1, the least disturbed by other work;\n"
        "                       0: OMP_NUM_THREADS or all cores)\n"
        "    --sparsity LIST    comma-separated (default 0.5,0.7,0.8,0.9,0.95)\n"
        "    --hw N             input height and width (default 56)\n"
        "    --repeat R         timed runs per engine (default: about 0.3 s worth, 3..50)\n"
        "    --seed S           seed of the weights and inputs (default 2024)\n"
        "    --no-plot          skip the PNG (no gnuplot needed)\n"
        "    -h, --help         this text\n"
        "\n"
        "EXIT STATUS\n"
        "    0 every check passed; 1 usage error; 3 the outputs cannot be written (or\n"
        "    gnuplot is missing); 4 a check exceeded a relative error of 1e-4.\n"
        "\n"
        "EXAMPLE\n"
        "    sconv demo --out out\n",
    .opts = opts,
    .n_opts = N_OPTS,
    .main = run,
};
