/* src/cli/cmd_run.c: `sconv run`: a packed layer on activations from a .npy file */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/core.h"

enum {
    O_MODEL, O_NAME, O_IN, O_IN_LAYOUT, O_OUT_LAYOUT, O_THREADS, O_ENGINE, O_CHECK, O_OUT,
    O_VERBOSE, O_ACT, N_OPTS
};

static const cli_opt opts[N_OPTS] = {
    [O_MODEL] = {"model", 'm', true, false},
    [O_NAME] = {"name", 0, true, false},
    [O_IN] = {"input", 'i', true, false},
    [O_IN_LAYOUT] = {"in-layout", 0, true, false},
    [O_OUT_LAYOUT] = {"out-layout", 0, true, false},
    [O_THREADS] = {"threads", 0, true, false},
    [O_ENGINE] = {"engine", 0, true, false},
    [O_CHECK] = {"check", 0, false, false},
    [O_OUT] = {"output", 'o', true, false},
    [O_VERBOSE] = {"verbose", 'v', false, false},
    [O_ACT] = {"act", 0, true, false},
};

/* Above this many multiply-adds a run is split by image to show progress (~1 s). */
#define PROGRESS_MACS 2e9

/* The activation descriptor of an array read in `nhwc` or NCHW order (3-D = batch 1). */
static int input_desc(const cli_cmd *cmd, const char *path, const sc_array *x, bool nhwc,
                      const sc_layer_info *info, sc_tensor *xd)
{
    if (x->ndim != 3 && x->ndim != 4) {
        char shape[128];
        cli_format_shape(x, shape, sizeof shape);
        return cli_error(cmd, CLI_DATA, "%s: activations must be 4-D (%s) or 3-D for batch 1, "
                         "got shape %s", path, nhwc ? "N, H, W, C" : "N, C, H, W", shape);
    }
    const int o = x->ndim == 4 ? 1 : 0;  /* index of the first non-batch axis */
    const int64_t n = x->ndim == 4 ? x->shape[0] : 1;
    const int64_t c = nhwc ? x->shape[o + 2] : x->shape[o];
    const int64_t h = nhwc ? x->shape[o] : x->shape[o + 1];
    const int64_t w = nhwc ? x->shape[o + 1] : x->shape[o + 2];
    const bool tr = info->kind == SC_LAYER_CONV_TRANSPOSE;
    const int64_t want_c = tr ? info->wdesc.oc : info->wdesc.icg * info->params.groups;
    if (c != want_c && tr)
        return cli_error(cmd, CLI_DATA, "%s: channels (C, axis %d of the %s array) is %lld, the "
                         "transposed layer '%s' takes %lld (Cin, the first weight axis)", path,
                         nhwc ? o + 2 : o, nhwc ? "nhwc" : "nchw", (long long)c, info->name,
                         (long long)want_c);
    if (c != want_c)
        return cli_error(cmd, CLI_DATA, "%s: channels (C, axis %d of the %s array) is %lld, the "
                         "layer '%s' takes %lld (%lld per group x %lld groups)", path,
                         nhwc ? o + 2 : o, nhwc ? "nhwc" : "nchw", (long long)c, info->name,
                         (long long)want_c, (long long)info->wdesc.icg,
                         (long long)info->params.groups);
    if (n < 1 || h < 1 || w < 1)
        return cli_error(cmd, CLI_DATA, "%s: an empty activation (batch %lld, height %lld, "
                         "width %lld)", path, (long long)n, (long long)h, (long long)w);
    *xd = nhwc ? sc_tensor_nhwc(n, c, h, w) : sc_tensor_nchw(n, c, h, w);
    return CLI_OK;
}

/* The layer's operator: exactly one of the two is set. */
typedef struct run_op {
    sc_conv *conv;
    sc_conv_transpose *tr;  /* sc_conv_transpose_*, sparse only */
} run_op;

static sc_status op_plan(const run_op *op, const sc_tensor *xd, const sc_tensor *yd)
{
    return op->tr ? sc_conv_transpose_plan(op->tr, xd, yd) : sc_conv_plan(op->conv, xd, yd);
}

static sc_status op_run(const run_op *op, const float *x, float *y)
{
    return op->tr ? sc_conv_transpose_run(op->tr, x, y) : sc_conv_run(op->conv, x, y);
}

/* y = conv(x): one call, or image by image with a progress bar for long work. */
static sc_status convolve(const run_op *op, const sc_tensor *xd, const float *x,
                          const sc_tensor *yd, float *y, double macs, bool *planned_whole)
{
    cli_progress bar;
    cli_progress_start(&bar, "run", xd->dims[SC_N]);
    const bool split = bar.tty && macs > PROGRESS_MACS && xd->dims[SC_N] > 1;
    sc_tensor x1 = *xd, y1 = *yd;
    if (split) x1.dims[SC_N] = y1.dims[SC_N] = 1;
    sc_status st = op_plan(op, &x1, &y1);
    *planned_whole = st == SC_OK;
    if (st != SC_OK || !split) return st == SC_OK ? op_run(op, x, y) : st;
    for (int64_t n = 0; st == SC_OK && n < xd->dims[SC_N]; ++n) {
        st = op_run(op, x + n * xd->strides[SC_N], y + n * yd->strides[SC_N]);
        cli_progress_update(&bar, n + 1);
    }
    cli_progress_end(&bar);
    return st;
}

/* --check: the dense reference on the unpacked weights, through the same descriptors. */
static int check(const cli_cmd *cmd, const char *model, const sc_layer *layer,
                 const sc_activation *act, const sc_tensor *xd, const float *x,
                 const sc_tensor *yd, const float *y)
{
    sc_layer_info info;
    sc_layer_get_info(layer, &info);
    sc_wdesc wd = info.wdesc;
    wd.layout = SC_OIHW;
    float *w = NULL, *ref = NULL;
    sc_status st = sc_alloc_array((void **)&w, (size_t)sc_wdesc_numel(&wd), sizeof *w, false,
                                  "unpacked weights");
    if (st == SC_OK)
        st = sc_alloc_array((void **)&ref, (size_t)sc_tensor_span(yd), sizeof *ref, false,
                            "reference output");
    if (st == SC_OK) st = sc_layer_unpack(layer, SC_OIHW, w);
    sc_conv_transpose_params tp;
    cli_transpose_params(&info, &tp);
    if (st == SC_OK && info.kind == SC_LAYER_CONV_TRANSPOSE)
        st = sc_conv_transpose_reference(&tp, &wd, w, NULL, act, xd, x, yd, ref);
    else if (st == SC_OK)
        st = sc_conv_reference(&info.params, &wd, w, info.bias, act, xd, x, yd, ref);
    int code = CLI_OK;
    if (st != SC_OK) {
        code = cli_fail_status(cmd, st, model);
    } else {
        cli_diff d;
        cli_compare(yd, y, yd, ref, &d);
        const bool ok = d.rel <= CLI_CHECK_TOLERANCE;
        fprintf(stderr, "sconv run: check: max abs error %.3g, max rel error %.3g (max "
                "|reference| %.4g) against the dense reference: %s\n", d.max_abs, d.rel,
                d.ref_max, ok ? "ok" : "FAILED");
        if (!ok)
            code = cli_error(cmd, CLI_NUMERIC, "%s: layer '%s': relative error %.3g is above "
                             "%g; output not written", model, info.name, d.rel,
                             CLI_CHECK_TOLERANCE);
    }
    sc_free(w);
    sc_free(ref);
    return code;
}

static int parse(const cli_cmd *cmd, const cli_args *a, bool *in_nhwc, bool *out_nhwc,
                 sc_conv_options *opt)
{
    if (cli_n_positional(a) > 0)
        return cli_usage_error(cmd, "unexpected argument '%s'", cli_positional(a, 0));
    if (!cli_get(a, O_MODEL)) return cli_usage_error(cmd, "missing -m FILE.sconv");
    if (!cli_get(a, O_IN)) return cli_usage_error(cmd, "missing -i X.npy (the activations)");
    if (!cli_get(a, O_IN_LAYOUT)) return cli_usage_error(cmd, "missing --in-layout nchw|nhwc");
    if (!cli_get(a, O_OUT)) return cli_usage_error(cmd, "missing -o Y.npy");
    int code = cli_parse_alayout(cmd, "--in-layout", cli_get(a, O_IN_LAYOUT), in_nhwc);
    *out_nhwc = *in_nhwc;
    if (code == CLI_OK && cli_get(a, O_OUT_LAYOUT))
        code = cli_parse_alayout(cmd, "--out-layout", cli_get(a, O_OUT_LAYOUT), out_nhwc);
    *opt = sc_conv_options_default();
    int64_t threads = 0;
    if (code == CLI_OK && cli_get(a, O_THREADS))
        code = cli_parse_int(cmd, "--threads", cli_get(a, O_THREADS), 0, 1024, &threads);
    opt->threads = (int)threads;
    if (code == CLI_OK && cli_get(a, O_ENGINE))
        code = cli_parse_engine(cmd, cli_get(a, O_ENGINE), &opt->engine);
    if (code == CLI_OK && cli_get(a, O_ACT)) code = cli_parse_act(cmd, cli_get(a, O_ACT), &opt->act);
    return code;
}

static int run(const cli_cmd *cmd, const cli_args *a)
{
    int code = CLI_OK;
    bool in_nhwc = false, out_nhwc = false;
    sc_conv_options opt;
    code = parse(cmd, a, &in_nhwc, &out_nhwc, &opt);
    const char *model = cli_get(a, O_MODEL), *in = cli_get(a, O_IN), *out = cli_get(a, O_OUT);
    sc_layer *layer = NULL;
    sc_conv *op = NULL;
    sc_conv_transpose *top = NULL;
    sc_conv_transpose_params tp;
    bool tr = false;
    sc_array x = {0};
    float *y = NULL;
    sc_layer_info info;
    sc_tensor xd, yd;
    if (code == CLI_OK) {
        const char *inputs[2] = {model, in};
        code = cli_check_output(cmd, "-o", out, inputs, 2);
    }
    if (code == CLI_OK) code = cli_load_layer(cmd, model, cli_get(a, O_NAME), &layer);
    if (code == CLI_OK) {
        sc_layer_get_info(layer, &info);
        tr = info.kind == SC_LAYER_CONV_TRANSPOSE;
        cli_transpose_params(&info, &tp);
        if (tr && opt.engine == SC_ENGINE_DENSE)
            code = cli_usage_error(cmd, "--engine dense: layer '%s' of %s is a transposed "
                                   "convolution, which runs on the sparse engine only (use "
                                   "--check for the dense reference)", info.name, model);
    }
    if (code == CLI_OK) code = cli_read_npy(cmd, in, &x);
    if (code == CLI_OK) code = input_desc(cmd, in, &x, in_nhwc, &info, &xd);
    int64_t oh = 0, ow = 0;
    if (code == CLI_OK) {
        sc_status st = tr ? sc_conv_transpose_output_hw(&tp, info.wdesc.kh, info.wdesc.kw,
                                                        xd.dims[SC_H], xd.dims[SC_W], &oh, &ow)
                          : sc_conv_output_hw(&info.params, info.wdesc.kh, info.wdesc.kw,
                                              xd.dims[SC_H], xd.dims[SC_W], &oh, &ow);
        if (st != SC_OK)
            code = cli_error(cmd, CLI_DATA, "%s: input %lldx%lld (height x width) does not fit "
                             "layer '%s' of %s: %s", in, (long long)xd.dims[SC_H],
                             (long long)xd.dims[SC_W], info.name, model, sc_last_message());
    }
    if (code == CLI_OK) {
        const int64_t n = xd.dims[SC_N];
        const int64_t oc = tr ? info.wdesc.icg * info.params.groups : info.wdesc.oc;
        yd = out_nhwc ? sc_tensor_nhwc(n, oc, oh, ow) : sc_tensor_nchw(n, oc, oh, ow);
        /* the output's size comes from the layer's geometry: a refusal names the model */
        sc_status st = sc_tensor_check(&yd, 1, "output");
        if (st != SC_OK)
            code = cli_error(cmd, CLI_DATA, "%s: layer '%s' gives an output of %lld x %lld x "
                             "%lld x %lld (batch, channels, height, width) for the input %s: %s",
                             model, info.name, (long long)n, (long long)oc, (long long)oh,
                             (long long)ow, in, sc_last_message());
        if (st == SC_OK)
            st = sc_alloc_array((void **)&y, (size_t)sc_tensor_span(&yd), sizeof *y, false,
                                "output activations");
        if (st == SC_OK && tr) {
            sc_conv_transpose_options to = sc_conv_transpose_options_default();
            to.act = opt.act;
            to.threads = opt.threads;
            st = sc_conv_transpose_create(layer, &tp, &to, &top);
        } else if (st == SC_OK) {
            st = sc_conv_create(layer, &opt, &op);
        }
        if (st != SC_OK && code == CLI_OK) code = cli_fail_status(cmd, st, model);
    }
    if (code == CLI_OK) {
        /* elements of the side with oc channels (y; x when transposed) x nonzeros per row */
        const double macs = (double)sc_tensor_numel(tr ? &xd : &yd) * (double)info.wdesc.icg *
                            (double)(info.wdesc.kh * info.wdesc.kw) * (1.0 - info.sparsity);
        bool planned = false;
        const double t0 = sc_now_s();
        const run_op rop = {.conv = op, .tr = top};  /* the one created */
        sc_status st = convolve(&rop, &xd, x.data, &yd, y, macs, &planned);
        const double t1 = sc_now_s();
        if (planned && cli_flag(a, O_VERBOSE)) {
            sc_conv_choice ch;
            if ((tr ? sc_conv_transpose_describe(top, &ch) : sc_conv_describe(op, &ch)) == SC_OK)
                fprintf(stderr, "layer '%s': %s engine, kernel %s: %s\n", info.name,
                        ch.engine == SC_ENGINE_SPARSE ? "sparse" : "dense", ch.kernel, ch.reason);
            fprintf(stderr, "input %s %lldx%lldx%lldx%lld -> output %s %lldx%lldx%lldx%lld in "
                    "%.3f ms\n", in_nhwc ? "nhwc" : "nchw", (long long)xd.dims[SC_N],
                    (long long)xd.dims[SC_C], (long long)xd.dims[SC_H], (long long)xd.dims[SC_W],
                    out_nhwc ? "nhwc" : "nchw", (long long)yd.dims[SC_N],
                    (long long)yd.dims[SC_C], (long long)yd.dims[SC_H], (long long)yd.dims[SC_W],
                    1e3 * (t1 - t0));
        }
        if (st != SC_OK && code == CLI_OK) code = cli_fail_status(cmd, st, model);
    }
    if (code == CLI_OK && cli_flag(a, O_CHECK))
        code = check(cmd, model, layer, &opt.act, &xd, x.data, &yd, y);
    if (code == CLI_OK) {
        const int64_t n = yd.dims[SC_N], c = yd.dims[SC_C];
        int64_t shape[4] = {n, out_nhwc ? oh : c, out_nhwc ? ow : oh, out_nhwc ? c : ow};
        code = x.ndim == 3 ? cli_write_npy(cmd, out, 3, shape + 1, y)
                           : cli_write_npy(cmd, out, 4, shape, y);
    }
    sc_conv_destroy(op);
    sc_conv_transpose_destroy(top);
    sc_layer_destroy(layer);
    sc_array_release(&x);
    sc_free(y);
    return code;
}

const cli_cmd cli_cmd_run = {
    .name = "run",
    .summary = "run a packed layer on activations from a .npy file",
    .usage = "Usage: sconv run -m FILE.sconv [--name NAME] -i X.npy --in-layout nchw|nhwc\n"
             "                 [--out-layout nchw|nhwc] [--threads N] [--engine auto|sparse|dense]\n"
             "                 [--act none|relu|relu6] [--check] [--verbose] -o Y.npy\n",
    .help =
        "NAME\n"
        "    sconv run - run a pruned layer on activations from a .npy file\n"
        "\n"
        "SYNOPSIS\n"
        "    sconv run -m FILE.sconv [--name NAME] -i X.npy --in-layout nchw|nhwc\n"
        "              [--out-layout nchw|nhwc] [--threads N] [--engine auto|sparse|dense]\n"
        "              [--act none|relu|relu6] [--check] [--verbose] -o Y.npy\n"
        "\n"
        "DESCRIPTION\n"
        "    Computes y = act(conv(x, W) + bias) with the layer's stored stride, padding,\n"
        "    dilation, groups and bias (cross-correlation, as PyTorch and TensorFlow\n"
        "    define conv2d), reading x in place in its layout. A 3-D input is one image\n"
        "    ((C, H, W) for nchw, (H, W, C) for nhwc) and gives a 3-D output.\n"
        "\n"
        "    A layer packed with sconv prune --transposed runs as a transposed convolution\n"
        "    (PyTorch conv_transpose2d, without bias): x has Cin channels (the weights'\n"
        "    first axis), y has Cout = I x groups channels and\n"
        "    (in-1)*stride - pad_a - pad_b + dilation*(k-1) + output_padding + 1 rows\n"
        "    (columns likewise). It runs on the sparse engine only: --engine dense is\n"
        "    refused (exit 1); --check compares with the dense transposed-conv reference.\n"
        "\n"
        "OPTIONS\n"
        "    -m, --model FILE     the .sconv file (from sconv prune)\n"
        "    --name NAME          the layer (required when the file holds several)\n"
        "    -i, --input X.npy    activations: 4-D (N,C,H,W) or (N,H,W,C), or 3-D\n"
        "    --in-layout L        nchw (PyTorch) or nhwc (TensorFlow, channels_last)\n"
        "    --out-layout L       layout of the output (default: the input's)\n"
        "    --threads N          OpenMP threads (default 0: OMP_NUM_THREADS or all cores)\n"
        "    --engine E           auto (default: sparse or dense by the layer's sparsity\n"
        "                         against a fixed break-even, the same choice every run),\n"
        "                         sparse or dense (not for transposed layers: they are\n"
        "                         sparse only)\n"
        "    --act A              fused activation after the bias: none (default), relu,\n"
        "                         relu6\n"
        "    --check              also run the dense reference (double precision) on the\n"
        "                         unpacked weights and print, on stderr, the max absolute\n"
        "                         error and the relative error max|y - ref| / max|ref|;\n"
        "                         above 1e-4 relative the output is not written, exit 4\n"
        "    -v, --verbose        print on stderr the engine and kernel chosen, why, and\n"
        "                         the time taken\n"
        "    -o, --output Y.npy   the output (float32), written atomically; never an input\n"
        "    -h, --help           this text\n"
        "\n"
        "EXIT STATUS\n"
        "    0 success; 1 usage error (also: several layers and no --name, an output\n"
        "    naming an input); 2 bad input: malformed files, a channel count or spatial\n"
        "    size that does not fit the layer (the message names the dimension), NaN/Inf;\n"
        "    3 a file cannot be read or written; 4 --check found a relative error above\n"
        "    1e-4.\n"
        "\n"
        "EXAMPLES\n"
        "    sconv run -m conv1.sconv -i x.npy --in-layout nchw --check -o y.npy\n"
        "    sconv run -m model.sconv --name conv2 -i x_nhwc.npy --in-layout nhwc \\\n"
        "              --out-layout nchw --threads 2 --verbose -o y.npy\n",
    .opts = opts,
    .n_opts = N_OPTS,
    .main = run,
};
