/* src/cli/cmd_sweep.c: `sconv sweep`: output error and speed of one layer across sparsities */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/core.h"

enum {
    O_W, O_LAYOUT, O_BIAS, O_STRIDE, O_PAD, O_DIL, O_GROUPS, O_IN, O_IN_LAYOUT, O_INPUT_HW,
    O_BATCH, O_SEED, O_SPARSITY, O_METHOD, O_CONVENTION, O_THREADS, O_REPEAT, O_CSV, O_PLOT,
    N_OPTS
};

static const cli_opt opts[N_OPTS] = {
    [O_W] = {"weights", 'w', true, false},
    [O_LAYOUT] = {"layout", 0, true, false},
    [O_BIAS] = {"bias", 0, true, false},
    [O_STRIDE] = {"stride", 0, true, false},
    [O_PAD] = {"pad", 0, true, false},
    [O_DIL] = {"dilation", 0, true, false},
    [O_GROUPS] = {"groups", 0, true, false},
    [O_IN] = {"input", 'i', true, false},
    [O_IN_LAYOUT] = {"in-layout", 0, true, false},
    [O_INPUT_HW] = {"input-hw", 0, true, false},
    [O_BATCH] = {"batch", 0, true, false},
    [O_SEED] = {"seed", 0, true, false},
    [O_SPARSITY] = {"sparsity", 0, true, false},
    [O_METHOD] = {"method", 0, true, false},
    [O_CONVENTION] = {"convention", 0, true, false},
    [O_THREADS] = {"threads", 0, true, false},
    [O_REPEAT] = {"repeat", 0, true, false},
    [O_CSV] = {"csv", 0, true, false},
    [O_PLOT] = {"plot", 0, true, false},
};

typedef struct sweep_row {
    double sparsity;   /* requested */
    double achieved;   /* 1 - nnz / numel */
    int64_t nnz;
    double err_l2, err_max;  /* pruned sparse output against the unpruned reference */
    cli_times sparse, dense;
    char auto_engine[8];
} sweep_row;

typedef struct sweep {
    const char *w_path, *x_path;
    sc_array w, bias, x;
    sc_wdesc wd;
    sc_conv_params params;
    sc_prune_spec spec;
    bool nhwc;
    int threads, repeats;
    sc_tensor xd, yd;
    float *xbuf;          /* the input in xd (a copy of x.data, or generated) */
    float *y_full;        /* reference output of the unpruned weights */
    double *sparsities;
    int n;
    sweep_row *rows;
    cli_contention load;  /* whether the timings can be trusted */
} sweep;

static int parse(const cli_cmd *cmd, const cli_args *a, sweep *s, int64_t *h, int64_t *w,
                 int64_t *batch, int64_t *seed)
{
    if (cli_n_positional(a) > 0)
        return cli_usage_error(cmd, "unexpected argument '%s'", cli_positional(a, 0));
    if (!(s->w_path = cli_get(a, O_W))) return cli_usage_error(cmd, "missing -w W.npy");
    if (!cli_get(a, O_LAYOUT)) return cli_usage_error(cmd, "missing --layout oihw|hwio|ohwi");
    if (cli_get(a, O_IN) && (cli_get(a, O_INPUT_HW) || cli_get(a, O_BATCH) || cli_get(a, O_SEED)))
        return cli_usage_error(cmd, "--input-hw, --batch and --seed describe the random input; "
                               "they do not combine with -i");
    s->x_path = cli_get(a, O_IN);
    sc_wlayout layout;
    int code = cli_parse_wlayout(cmd, "--layout", cli_get(a, O_LAYOUT), &layout);
    s->wd.layout = layout;
    s->nhwc = layout != SC_OIHW;  /* the layout users of these weights run with */
    if (code == CLI_OK && cli_get(a, O_IN_LAYOUT))
        code = cli_parse_alayout(cmd, "--in-layout", cli_get(a, O_IN_LAYOUT), &s->nhwc);
    if (code == CLI_OK)
        code = cli_parse_conv_params(cmd, a, O_STRIDE, O_PAD, O_DIL, O_GROUPS, &s->params);
    if (code == CLI_OK && cli_get(a, O_INPUT_HW))
        code = cli_parse_pair(cmd, "--input-hw", cli_get(a, O_INPUT_HW), 1, 1 << 16, h, w);
    if (code == CLI_OK && cli_get(a, O_BATCH))
        code = cli_parse_int(cmd, "--batch", cli_get(a, O_BATCH), 1, 1 << 16, batch);
    if (code == CLI_OK && cli_get(a, O_SEED))
        code = cli_parse_int(cmd, "--seed", cli_get(a, O_SEED), 0, INT64_MAX, seed);
    int64_t v = 1;  /* one thread: timings that other work on the machine disturbs least */
    if (code == CLI_OK && cli_get(a, O_THREADS))
        code = cli_parse_int(cmd, "--threads", cli_get(a, O_THREADS), 0, 1024, &v);
    s->threads = cli_resolve_threads((int)v);
    v = 0;
    if (code == CLI_OK && cli_get(a, O_REPEAT))
        code = cli_parse_int(cmd, "--repeat", cli_get(a, O_REPEAT), 1, 50, &v);
    s->repeats = (int)v;
    const char *list = cli_get(a, O_SPARSITY) ? cli_get(a, O_SPARSITY) : "0.5,0.7,0.8,0.9,0.95";
    if (code == CLI_OK)
        code = cli_parse_double_list(cmd, "--sparsity", list, 0, 1, &s->sparsities, &s->n);
    s->spec = sc_prune_spec_default();
    const char *m = cli_get(a, O_METHOD);
    if (code == CLI_OK && m && sc_prune_spec_parse(m, &s->spec) != SC_OK)
        code = cli_usage_error(cmd, "--method '%s': expected l1, per-filter, global, "
                               "block:RxC[:l1|l2|mean] or filter:l1|filter:l2", m);
    if (code == CLI_OK && (s->spec.method == SC_PRUNE_NM || s->spec.method == SC_PRUNE_THRESHOLD))
        code = cli_usage_error(cmd, "--method %s does not take a sparsity: sweep needs a method "
                               "that prunes by amount", m);
    m = cli_get(a, O_CONVENTION);
    if (code == CLI_OK && m && sc_prune_convention_parse(m, &s->spec.convention) != SC_OK)
        code = cli_usage_error(cmd, "--convention '%s': expected torch or tfmot", m);
    s->spec.order = s->nhwc ? SC_PACK_HWC : SC_PACK_CHW;
    s->spec.groups = s->params.groups;
    if (code == CLI_OK && (cli_get(a, O_CSV) || cli_get(a, O_PLOT))) {
        const char *inputs[3] = {s->w_path, s->x_path, cli_get(a, O_BIAS)};
        if (cli_get(a, O_CSV)) code = cli_check_output(cmd, "--csv", cli_get(a, O_CSV), inputs, 3);
        if (code == CLI_OK && cli_get(a, O_PLOT))
            code = cli_check_output(cmd, "--plot", cli_get(a, O_PLOT), inputs, 3);
        if (code == CLI_OK && cli_get(a, O_CSV) && cli_get(a, O_PLOT) &&
            strcmp(cli_get(a, O_CSV), cli_get(a, O_PLOT)) == 0)
            code = cli_usage_error(cmd, "--csv and --plot both name %s", cli_get(a, O_CSV));
    }
    return code;
}

/* The input: from -i (checked against the weights) or standard normal from the seed. */
static int load_input(const cli_cmd *cmd, sweep *s, int64_t h, int64_t w, int64_t batch,
                      int64_t seed)
{
    const int64_t c = s->wd.icg * s->params.groups;
    if (s->x_path) {
        int code = cli_read_npy(cmd, s->x_path, &s->x);
        if (code != CLI_OK) return code;
        if (s->x.ndim != 3 && s->x.ndim != 4) {
            char shape[128];
            cli_format_shape(&s->x, shape, sizeof shape);
            return cli_error(cmd, CLI_DATA, "%s: activations must be 4-D or 3-D, got shape %s",
                             s->x_path, shape);
        }
        const int o = s->x.ndim == 4;
        batch = o ? s->x.shape[0] : 1;
        const int64_t xc = s->nhwc ? s->x.shape[o + 2] : s->x.shape[o];
        h = s->nhwc ? s->x.shape[o] : s->x.shape[o + 1];
        w = s->nhwc ? s->x.shape[o + 1] : s->x.shape[o + 2];
        if (xc != c)
            return cli_error(cmd, CLI_DATA, "%s: channels (C, axis %d of the %s array) is %lld, "
                             "the weights %s take %lld", s->x_path, s->nhwc ? o + 2 : o,
                             s->nhwc ? "nhwc" : "nchw", (long long)xc, s->w_path, (long long)c);
    }
    s->xd = s->nhwc ? sc_tensor_nhwc(batch, c, h, w) : sc_tensor_nchw(batch, c, h, w);
    int64_t oh, ow;
    sc_status st = sc_conv_output_hw(&s->params, s->wd.kh, s->wd.kw, h, w, &oh, &ow);
    if (st != SC_OK)
        return cli_error(cmd, CLI_DATA, "%s: input %lldx%lld (height x width) does not fit the "
                         "weights %s: %s", s->x_path ? s->x_path : "random input", (long long)h,
                         (long long)w, s->w_path, sc_last_message());
    s->yd = s->nhwc ? sc_tensor_nhwc(batch, s->wd.oc, oh, ow)
                    : sc_tensor_nchw(batch, s->wd.oc, oh, ow);
    st = sc_tensor_check(&s->xd, 0, "input");
    if (st == SC_OK && (st = sc_tensor_check(&s->yd, 1, "output")) != SC_OK)
        return cli_fail_status(cmd, st, s->w_path);  /* its size follows from the weights */
    if (st == SC_OK)
        st = sc_alloc_array((void **)&s->xbuf, (size_t)sc_tensor_span(&s->xd), sizeof(float),
                            false, "input");
    if (st != SC_OK) return cli_fail_status(cmd, st, s->x_path ? s->x_path : "random input");
    if (s->x_path) {
        memcpy(s->xbuf, s->x.data, (size_t)sc_tensor_span(&s->xd) * sizeof(float));
    } else {
        cli_rng r;
        cli_rng_seed(&r, (uint64_t)seed);
        for (int64_t i = 0; i < sc_tensor_span(&s->xd); ++i) s->xbuf[i] = (float)cli_rng_normal(&r);
    }
    return CLI_OK;
}

/* One sparsity: prune, pack, run sparse against the unpruned reference, time both engines. */
static int measure(const cli_cmd *cmd, sweep *s, int k, uint8_t *mask, float *y)
{
    sweep_row *row = &s->rows[k];
    sc_prune_spec spec = s->spec;
    spec.amount = s->sparsities[k];
    sc_pack_options po = sc_pack_options_default();
    po.params = s->params;
    po.order = s->nhwc ? SC_PACK_HWC : SC_PACK_CHW;
    po.bias = s->bias.data;
    sc_layer *layer = NULL;
    sc_conv *sparse = NULL, *dense = NULL, *autop = NULL;
    sc_conv_options opt = sc_conv_options_default();
    opt.threads = s->threads;
    sc_status st = sc_prune_mask(&spec, &s->wd, s->w.data, mask);
    if (st == SC_OK) st = sc_layer_pack(&s->wd, s->w.data, mask, &po, &layer);
    if (st == SC_OK) st = sc_conv_create(layer, &opt, &autop);
    if (st == SC_OK) st = sc_conv_plan(autop, &s->xd, &s->yd);
    opt.engine = SC_ENGINE_SPARSE;
    if (st == SC_OK) st = sc_conv_create(layer, &opt, &sparse);
    if (st == SC_OK) st = sc_conv_plan(sparse, &s->xd, &s->yd);
    opt.engine = SC_ENGINE_DENSE;
    if (st == SC_OK) st = sc_conv_create(layer, &opt, &dense);
    if (st == SC_OK) st = sc_conv_plan(dense, &s->xd, &s->yd);
    if (st == SC_OK) st = sc_conv_run(sparse, s->xbuf, y);
    if (st == SC_OK) {
        cli_diff d;
        cli_compare(&s->yd, y, &s->yd, s->y_full, &d);
        sc_layer_info info;
        sc_layer_get_info(layer, &info);
        sc_conv_choice ch;
        sc_conv_describe(autop, &ch);
        *row = (sweep_row){.sparsity = spec.amount, .achieved = info.sparsity, .nnz = info.nnz,
                           .err_l2 = d.l2_rel, .err_max = d.rel};
        snprintf(row->auto_engine, sizeof row->auto_engine, "%s",
                 ch.engine == SC_ENGINE_SPARSE ? "sparse" : "dense");
        st = cli_time_pair(sparse, dense, s->xbuf, y, s->repeats, &s->load, &row->sparse,
                           &row->dense);
    }
    sc_conv_destroy(sparse);
    sc_conv_destroy(dense);
    sc_conv_destroy(autop);
    sc_layer_destroy(layer);
    return st == SC_OK ? CLI_OK : cli_fail_status(cmd, st, s->w_path);
}

/* A row's timings are suspect when either engine's samples spread beyond the limit. */
static double row_spread(const sweep_row *r)
{
    return r->sparse.spread > r->dense.spread ? r->sparse.spread : r->dense.spread;
}

/* The CSV text into a new sc_malloc'd buffer. */
static int format_csv(const cli_cmd *cmd, const sweep *s, char **out, size_t *len)
{
    const size_t cap = 256 + (size_t)s->n * 200;
    char *buf = NULL;
    sc_status st = sc_alloc_array((void **)&buf, cap, 1, false, "CSV");
    if (st != SC_OK) return cli_fail_status(cmd, st, NULL);
    size_t used = (size_t)snprintf(buf, cap, "sparsity,achieved_sparsity,nnz,rel_error_l2,"
                                   "rel_error_max,sparse_ms,dense_ms,speedup,auto_engine,threads,"
                                   "timing_spread\n");
    for (int k = 0; k < s->n; ++k) {
        const sweep_row *r = &s->rows[k];
        used += (size_t)snprintf(buf + used, cap - used, "%.6g,%.6f,%lld,%.6e,%.6e,%.6f,%.6f,"
                                 "%.4f,%s,%d,%.4f\n", r->sparsity, r->achieved, (long long)r->nnz,
                                 r->err_l2, r->err_max, r->sparse.median_ms, r->dense.median_ms,
                                 r->dense.median_ms / r->sparse.median_ms, r->auto_engine,
                                 s->threads, row_spread(r));
    }
    *out = buf;
    *len = used;
    return CLI_OK;
}

/* Speedup and pruning error against the sparsity reached, rendered to PNG bytes. */
static int render_plot(const cli_cmd *cmd, const sweep *s, const char *path, void **png,
                       size_t *len)
{
    double *xs = NULL, *sp = NULL, *er = NULL;
    sc_status st = sc_alloc_array((void **)&xs, (size_t)s->n, sizeof *xs, false, "plot");
    if (st == SC_OK) st = sc_alloc_array((void **)&sp, (size_t)s->n, sizeof *sp, false, "plot");
    if (st == SC_OK) st = sc_alloc_array((void **)&er, (size_t)s->n, sizeof *er, false, "plot");
    int code = st == SC_OK ? CLI_OK : cli_fail_status(cmd, st, NULL);
    if (code == CLI_OK) {
        for (int k = 0; k < s->n; ++k) {
            xs[k] = s->rows[k].achieved;
            sp[k] = s->rows[k].dense.median_ms / s->rows[k].sparse.median_ms;
            er[k] = s->rows[k].err_l2;
        }
        char title[4200], note[200];
        snprintf(title, sizeof title, "sconv sweep: %s (%s input)", s->w_path,
                 s->nhwc ? "NHWC" : "NCHW");
        cli_contention_note(&s->load, note, sizeof note);
        const cli_curve speed = {s->nhwc ? "sparse vs dense, NHWC" : "sparse vs dense, NCHW",
                                 s->n, xs, sp};
        const cli_curve error = {"pruning error ||y_pruned - y|| / ||y||", s->n, xs, er};
        const cli_plot_spec spec = {title, note, &speed, 1, &error, 1};
        code = cli_plot_render(cmd, path, &spec, png, len);
    }
    sc_free(xs);
    sc_free(sp);
    sc_free(er);
    return code;
}

/* The table, then every output produced before any is committed. */
static int report(const cli_cmd *cmd, const cli_args *a, const sweep *s)
{
    printf("%s: %lldx%lldx%lldx%lld %s, input %s %lldx%lldx%lldx%lld (%s), %s, %d thread%s\n",
           s->w_path, (long long)s->w.shape[0], (long long)s->w.shape[1],
           (long long)s->w.shape[2], (long long)s->w.shape[3], sc_wlayout_name(s->wd.layout),
           s->nhwc ? "nhwc" : "nchw", (long long)s->xd.dims[SC_N], (long long)s->xd.dims[SC_C],
           (long long)s->xd.dims[SC_H], (long long)s->xd.dims[SC_W],
           s->x_path ? s->x_path : "seeded random", sc_prune_method_name(s->spec.method),
           s->threads, s->threads == 1 ? "" : "s");
    printf("%8s %9s %10s %10s %10s %10s %9s %6s\n", "sparsity", "nnz", "err (L2)", "err (max)",
           "sparse ms", "dense ms", "speedup", "auto");
    for (int k = 0; k < s->n; ++k) {
        const sweep_row *r = &s->rows[k];
        printf("%8.4f %9lld %10.3e %10.3e %10.3f %10.3f %7.2fx%s %6s\n", r->achieved,
               (long long)r->nnz, r->err_l2, r->err_max, r->sparse.median_ms, r->dense.median_ms,
               r->dense.median_ms / r->sparse.median_ms,
               row_spread(r) > CLI_SPREAD_LIMIT ? "~" : " ", r->auto_engine);
    }
    char line[512];
    cli_contention_describe(&s->load, line, sizeof line);
    printf("threads: %d of %d cores; ~ marks a row whose samples spread more than %.0f%%\n%s\n",
           s->threads, s->load.cores, 100 * CLI_SPREAD_LIMIT, line);
    cli_output outs[2];
    int n_out = 0, code = CLI_OK;
    char *csv = NULL;
    void *png = NULL;
    size_t csv_len = 0, png_len = 0;
    if (cli_get(a, O_CSV)) code = format_csv(cmd, s, &csv, &csv_len);
    if (code == CLI_OK && cli_get(a, O_CSV))
        outs[n_out++] = (cli_output){cli_get(a, O_CSV), csv, csv_len};
    if (code == CLI_OK && cli_get(a, O_PLOT)) {
        code = render_plot(cmd, s, cli_get(a, O_PLOT), &png, &png_len);
        if (code == CLI_OK) outs[n_out++] = (cli_output){cli_get(a, O_PLOT), png, png_len};
    }
    if (code == CLI_OK && n_out > 0) code = cli_write_outputs(cmd, outs, n_out);
    sc_free(csv);
    sc_free(png);
    return code;
}

static int run(const cli_cmd *cmd, const cli_args *a)
{
    int code = CLI_OK;
    sweep s = {0};
    int64_t h = 56, w = 56, batch = 1, seed = 1;
    uint8_t *mask = NULL;
    float *y = NULL;
    code = parse(cmd, a, &s, &h, &w, &batch, &seed);
    if (code == CLI_OK) code = cli_read_weights(cmd, s.w_path, s.wd.layout, &s.w, &s.wd);
    if (code == CLI_OK && cli_get(a, O_BIAS)) {
        code = cli_read_npy(cmd, cli_get(a, O_BIAS), &s.bias);
        if (code == CLI_OK && (s.bias.ndim != 1 || s.bias.shape[0] != s.wd.oc))
            code = cli_error(cmd, CLI_DATA, "%s: the bias must be 1-D with %lld values (O of %s)",
                             cli_get(a, O_BIAS), (long long)s.wd.oc, s.w_path);
    }
    if (code == CLI_OK && s.wd.oc % s.params.groups != 0)
        code = cli_error(cmd, CLI_DATA, "%s: --groups %lld does not divide the %lld output "
                         "channels (O)", s.w_path, (long long)s.params.groups, (long long)s.wd.oc);
    if (code == CLI_OK) code = load_input(cmd, &s, h, w, batch, seed);
    if (code == CLI_OK) {
        sc_status st = sc_alloc_array((void **)&s.rows, (size_t)s.n, sizeof *s.rows, true, "rows");
        if (st == SC_OK)
            st = sc_alloc_array((void **)&mask, (size_t)sc_wdesc_numel(&s.wd), 1, false, "mask");
        if (st == SC_OK)
            st = sc_alloc_array((void **)&y, (size_t)sc_tensor_span(&s.yd), sizeof *y, false,
                                "output");
        if (st == SC_OK)
            st = sc_alloc_array((void **)&s.y_full, (size_t)sc_tensor_span(&s.yd), sizeof *y,
                                false, "reference output");
        if (st == SC_OK)
            st = sc_conv_reference(&s.params, &s.wd, s.w.data, s.bias.data, NULL, &s.xd, s.xbuf,
                                   &s.yd, s.y_full);
        if (st != SC_OK) code = cli_fail_status(cmd, st, s.w_path);
    }
    cli_contention_init(&s.load, s.threads, cli_cores());
    cli_contention_add_load(&s.load, cli_other_running());  /* before our own work starts */
    cli_progress bar;
    cli_progress_start(&bar, "sweep", s.n);
    for (int k = 0; code == CLI_OK && k < s.n; ++k) {
        code = measure(cmd, &s, k, mask, y);
        cli_progress_update(&bar, k + 1);
    }
    cli_progress_end(&bar);
    if (code == CLI_OK) code = report(cmd, a, &s);
    sc_free(mask);
    sc_free(y);
    sc_free(s.y_full);
    sc_free(s.xbuf);
    sc_free(s.rows);
    sc_free(s.sparsities);
    sc_array_release(&s.w);
    sc_array_release(&s.bias);
    sc_array_release(&s.x);
    return code;
}

const cli_cmd cli_cmd_sweep = {
    .name = "sweep",
    .summary = "output error and sparse vs dense speed of a layer across sparsities",
    .usage =
        "Usage: sconv sweep -w W.npy --layout oihw|hwio|ohwi [--stride S] [--pad P] [--dilation D]\n"
        "                   [--groups G] [--bias b.npy] [-i X.npy | --input-hw HxW --batch N\n"
        "                   --seed S] [--sparsity 0.5,0.7,0.8,0.9,0.95] [--method M]\n"
        "                   [--convention torch|tfmot] [--in-layout nchw|nhwc] [--threads N]\n"
        "                   [--repeat R] [--csv OUT.csv] [--plot OUT.png]\n",
    .help =
        "NAME\n"
        "    sconv sweep - how much output error and speed each sparsity gives\n"
        "\n"
        "SYNOPSIS\n"
        "    sconv sweep -w W.npy --layout oihw|hwio|ohwi [conv params] [-i X.npy]\n"
        "                [--sparsity LIST] [--method M] [--in-layout nchw|nhwc]\n"
        "                [--threads N] [--csv OUT.csv] [--plot OUT.png]\n"
        "\n"
        "DESCRIPTION\n"
        "    The sensitivity analysis to run before choosing a sparsity. The unpruned layer\n"
        "    is run once with the dense reference (double precision). Then for each\n"
        "    sparsity the weights are pruned with the library (--method, default l1),\n"
        "    packed for the input layout and run with the sparse engine; the table gives\n"
        "    the sparsity reached, the nonzeros kept, the relative output error of\n"
        "    pruning, ||y_pruned - y|| / ||y|| (L2) and max|y_pruned - y| / max|y|, the\n"
        "    median times of the sparse and the dense engine on the pruned layer\n"
        "    (measured alternately), the speedup, and the engine `auto` would pick.\n"
        "    The table and the plot state the thread count and whether the timings look\n"
        "    contended: samples whose median is more than 25% above their fastest run,\n"
        "    or other processes running on the cores the sweep needs (rows marked ~).\n"
        "\n"
        "OPTIONS\n"
        "    -w, --weights W.npy   4-D weights; --layout oihw, hwio or ohwi as for prune\n"
        "    --stride, --pad, --dilation, --groups   as for prune (default 1, 0, 1, 1)\n"
        "    --bias b.npy          1-D bias of O values\n"
        "    -i, --input X.npy     activations (4-D, or 3-D for batch 1) in --in-layout;\n"
        "                          without -i, standard normal values from --seed (default\n"
        "                          1), --batch (default 1) x C x --input-hw (default 56x56)\n"
        "    --in-layout L         nchw or nhwc; default nchw for oihw weights, nhwc for\n"
        "                          hwio and ohwi (the weights are packed to match)\n"
        "    --sparsity LIST       comma-separated, default 0.5,0.7,0.8,0.9,0.95\n"
        "    --method M            l1 (default), per-filter, block:RxC[:score], filter:l1,\n"
        "                          filter:l2 (methods that prune by amount)\n"
        "    --convention C        torch (default) or tfmot\n"
        "    --threads N           threads for both engines (default 1, the least\n"
        "                          disturbed by other work; 0: OMP_NUM_THREADS or all cores)\n"
        "    --repeat R            timed runs per engine and sparsity (default: about\n"
        "                          0.3 s worth, 3 to 50)\n"
        "    --csv OUT.csv         also write the table as CSV\n"
        "    --plot OUT.png        also plot speedup and error against sparsity (gnuplot);\n"
        "                          the CSV and the plot are written only when both are made\n"
        "    -h, --help            this text\n"
        "\n"
        "    A progress bar is drawn on stderr when it is a terminal and the sweep takes\n"
        "    over a second.\n"
        "\n"
        "EXIT STATUS\n"
        "    0 success, 1 usage error, 2 bad input (the message names the file and\n"
        "    dimension), 3 a file cannot be read or written (or gnuplot is missing).\n"
        "\n"
        "EXAMPLE\n"
        "    sconv sweep -w conv1.npy --layout oihw --pad 1 --csv sweep.csv --plot sweep.png\n",
    .opts = opts,
    .n_opts = N_OPTS,
    .main = run,
};
