/* src/cli/cmd_info.c: `sconv info`: what a .sconv file holds, as text or JSON */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/core.h"

enum { O_JSON, O_INPUT_HW, O_THREADS, N_OPTS };

static const cli_opt opts[N_OPTS] = {
    [O_JSON] = {"json", 0, false, false},
    [O_INPUT_HW] = {"input-hw", 0, true, false},
    [O_THREADS] = {"threads", 0, true, false},
};

/* What the auto engine picks for a batch-1 input of h x w in each layout, and why. */
typedef struct engine_pick {
    bool ok;
    char engine[16], kernel[64], reason[512];
    double threshold;  /* the rule's break-even sparsity (0: always sparse) */
} engine_pick;

static void describe_engine(const sc_layer *layer, int64_t h, int64_t w, bool nhwc, int threads,
                            engine_pick *out)
{
    sc_layer_info info;
    sc_layer_get_info(layer, &info);
    const bool tr = info.kind == SC_LAYER_CONV_TRANSPOSE;
    const int64_t c_conv = info.wdesc.icg * info.params.groups;
    const int64_t c = tr ? info.wdesc.oc : c_conv, c_out = tr ? c_conv : info.wdesc.oc;
    int64_t oh = 0, ow = 0;
    sc_conv *op = NULL;
    sc_conv_transpose *top = NULL;
    sc_conv_options opt = sc_conv_options_default();
    opt.threads = threads;
    sc_conv_transpose_options topt = sc_conv_transpose_options_default();
    topt.threads = threads;
    sc_conv_transpose_params tp;
    cli_transpose_params(&info, &tp);
    sc_status st = tr ? sc_conv_transpose_output_hw(&tp, info.wdesc.kh, info.wdesc.kw, h, w, &oh,
                                                    &ow)
                      : sc_conv_output_hw(&info.params, info.wdesc.kh, info.wdesc.kw, h, w, &oh,
                                          &ow);
    sc_tensor x = nhwc ? sc_tensor_nhwc(1, c, h, w) : sc_tensor_nchw(1, c, h, w);
    sc_tensor y = nhwc ? sc_tensor_nhwc(1, c_out, oh, ow) : sc_tensor_nchw(1, c_out, oh, ow);
    sc_conv_choice ch;
    if (st == SC_OK && tr) {
        st = sc_conv_transpose_create(layer, &tp, &topt, &top);
        if (st == SC_OK) st = sc_conv_transpose_plan(top, &x, &y);
        if (st == SC_OK) st = sc_conv_transpose_describe(top, &ch);
    } else if (st == SC_OK) {
        st = sc_conv_create(layer, &opt, &op);
        if (st == SC_OK) st = sc_conv_plan(op, &x, &y);
        if (st == SC_OK) st = sc_conv_describe(op, &ch);
    }
    *out = (engine_pick){.ok = st == SC_OK};
    if (st == SC_OK) {
        snprintf(out->engine, sizeof out->engine, "%s",
                 ch.engine == SC_ENGINE_SPARSE ? "sparse" : "dense");
        snprintf(out->kernel, sizeof out->kernel, "%s", ch.kernel ? ch.kernel : "");
        snprintf(out->reason, sizeof out->reason, "%s", ch.reason ? ch.reason : "");
        out->threshold = ch.threshold;
    } else {
        snprintf(out->reason, sizeof out->reason, "cannot plan: %s", sc_last_message());
    }
    sc_conv_destroy(op);
    sc_conv_transpose_destroy(top);
}

static const char *convention_note(sc_pack_order o)
{
    return o == SC_PACK_CHW ? "(c,kh,kw): suits nchw activations"
                            : "(kh,kw,c): suits nhwc activations";
}

static json_t *json_real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *layer_json(const sc_layer *layer, int64_t h, int64_t w, int threads)
{
    sc_layer_info in;
    sc_layer_stats st;
    sc_layer_get_info(layer, &in);
    sc_layer_get_stats(layer, &st);
    const sc_conv_params *p = &in.params;
    json_t *hist = json_array();
    for (int b = 0; b < SC_STATS_BINS; ++b)
        json_array_append_new(hist, json_pack("{s:f, s:f, s:I}", "density_lo",
                                              (double)b / SC_STATS_BINS, "density_hi",
                                              (double)(b + 1) / SC_STATS_BINS, "rows",
                                              (json_int_t)st.hist[b]));
    json_t *engines = json_object();
    for (int l = 0; l < 2; ++l) {
        engine_pick e;
        describe_engine(layer, h, w, l == 1, threads, &e);
        json_object_set_new(engines, l ? "nhwc" : "nchw",
                            e.ok ? json_pack("{s:s, s:s, s:f, s:s}", "engine", e.engine,
                                             "kernel", e.kernel, "threshold", e.threshold,
                                             "reason", e.reason)
                                 : json_pack("{s:n, s:s}", "engine", "reason", e.reason));
    }
    json_t *bias = json_null();
    if (in.bias) {
        bias = json_array();
        for (int64_t o = 0; o < in.wdesc.oc; ++o) json_array_append_new(bias, json_real(in.bias[o]));
    }
    json_t *bytes = json_pack("{s:I, s:I, s:I, s:I, s:i, s:f}", "packed",
                              (json_int_t)st.bytes_packed, "dense", (json_int_t)st.bytes_dense,
                              "file", (json_int_t)st.bytes_file, "row_ptr",
                              (json_int_t)st.bytes_row_ptr, "index_bytes", st.index_bytes,
                              "per_nnz", st.bytes_per_nnz);
    json_t *obj = json_pack(
        "{s:s, s:{s:I, s:I, s:I, s:I}, s:s, s:{s:[I,I], s:[I,I,I,I], s:[I,I], s:I}, s:s, s:s, "
        "s:s, s:I, s:I, s:f, s:o, s:o, s:{s:I, s:f, s:I, s:I}, s:o, s:o, s:o, "
        "s:{s:[I,I], s:o}}",
        "name", in.name,
        "dims", "oc", (json_int_t)in.wdesc.oc, "icg", (json_int_t)in.wdesc.icg, "kh",
        (json_int_t)in.wdesc.kh, "kw", (json_int_t)in.wdesc.kw,
        "source_layout", sc_wlayout_name(in.wdesc.layout),
        "params", "stride", (json_int_t)p->stride_h, (json_int_t)p->stride_w, "pad",
        (json_int_t)p->pad_top, (json_int_t)p->pad_left, (json_int_t)p->pad_bottom,
        (json_int_t)p->pad_right, "dilation", (json_int_t)p->dil_h, (json_int_t)p->dil_w,
        "groups", (json_int_t)p->groups,
        "pack_order", sc_pack_order_name(in.order),
        "method", in.method, "method_params", in.method_params,
        "nnz", (json_int_t)st.nnz, "numel", (json_int_t)(st.rows * st.cols),
        "sparsity", st.sparsity,
        "l1_kept", json_real_or_null(st.l1_kept), "l2_kept", json_real_or_null(st.l2_kept),
        "nnz_per_row", "min", (json_int_t)st.row_nnz_min, "mean", st.row_nnz_mean, "max",
        (json_int_t)st.row_nnz_max, "empty_rows", (json_int_t)st.empty_rows,
        "density_histogram", hist,
        "bias", bias,
        "bytes", bytes,
        "auto_engine", "input_hw", (json_int_t)h, (json_int_t)w, "choice", engines);
    /* added after the fields above: kind and output padding of every layer */
    if (obj) {
        json_object_set_new(obj, "kind", json_string(sc_layer_kind_name(in.kind)));
        json_object_set_new(obj, "output_padding", json_pack("[I,I]", (json_int_t)in.out_pad_h,
                                                             (json_int_t)in.out_pad_w));
    }
    return obj;
}

static void print_layer(const sc_layer *layer, int64_t h, int64_t w, int threads)
{
    sc_layer_info in;
    sc_layer_stats st;
    sc_layer_get_info(layer, &in);
    sc_layer_get_stats(layer, &st);
    char params[256];
    cli_format_params(&in.params, params, sizeof params);
    printf("layer '%s'\n", in.name);
    printf("  weights      O %lld, I %lld (per group), kernel %lldx%lld; came as %s\n",
           (long long)in.wdesc.oc, (long long)in.wdesc.icg, (long long)in.wdesc.kh,
           (long long)in.wdesc.kw, sc_wlayout_name(in.wdesc.layout));
    printf("  params       %s\n", params);
    if (in.kind == SC_LAYER_CONV_TRANSPOSE)
        printf("  kind         conv_transpose (ConvTranspose2d: O is Cin, I is Cout per group), "
               "output padding %lldx%lld\n", (long long)in.out_pad_h, (long long)in.out_pad_w);

    printf("  pack order   %s %s\n", sc_pack_order_name(in.order), convention_note(in.order));
    printf("  pruning      %s%s%s%s\n", in.method[0] ? in.method : "(unknown)",
           in.method_params[0] ? " (" : "", in.method_params, in.method_params[0] ? ")" : "");
    printf("  nonzeros     %lld of %lld, sparsity %.4f", (long long)st.nnz,
           (long long)(st.rows * st.cols), st.sparsity);
    if (isfinite(st.l1_kept) && isfinite(st.l2_kept))
        printf("; kept %.4f of sum |w|, %.4f of sum w^2", st.l1_kept, st.l2_kept);
    printf("\n  per row      min %lld, mean %.2f, max %lld nonzeros over %lld output channels "
           "(%lld empty)\n", (long long)st.row_nnz_min, st.row_nnz_mean,
           (long long)st.row_nnz_max, (long long)st.rows, (long long)st.empty_rows);
    printf("  row density  (nonzeros / %lld per row)\n", (long long)st.cols);
    int64_t most = 1;
    for (int b = 0; b < SC_STATS_BINS; ++b) most = st.hist[b] > most ? st.hist[b] : most;
    for (int b = 0; b < SC_STATS_BINS; ++b) {
        char bar[41];
        const int len = (int)(40 * st.hist[b] / most);
        memset(bar, '#', (size_t)len);
        bar[len] = '\0';
        printf("    %.1f-%.1f%s %6lld %s\n", (double)b / SC_STATS_BINS,
               (double)(b + 1) / SC_STATS_BINS, b == SC_STATS_BINS - 1 ? "]" : ")",
               (long long)st.hist[b], bar);
    }
    printf("  bias         %s\n", in.bias ? "yes" : "no");
    printf("  bytes        %lld packed in memory (CSR, %d-byte indices%s), %lld in the file, "
           "%lld dense: %.2fx smaller\n", (long long)st.bytes_packed, st.index_bytes,
           in.bias ? ", bias" : "", (long long)st.bytes_file, (long long)st.bytes_dense,
           st.bytes_packed > 0 ? (double)st.bytes_dense / (double)st.bytes_packed : 0.0);
    for (int l = 0; l < 2; ++l) {
        engine_pick e;
        describe_engine(layer, h, w, l == 1, threads, &e);
        printf("  auto (%s, 1x%lldx%lldx%lld)  ", l ? "nhwc" : "nchw",
               (long long)(in.kind == SC_LAYER_CONV_TRANSPOSE ? in.wdesc.oc
                                                              : in.wdesc.icg * in.params.groups),
               (long long)h, (long long)w);
        if (e.ok) printf("%s engine, kernel %s: %s\n", e.engine, e.kernel, e.reason);
        else printf("%s\n", e.reason);
    }
}

static int run(const cli_cmd *cmd, const cli_args *a)
{
    int code = CLI_OK;
    int64_t h = 56, w = 56, threads = 0;
    const char *path = cli_positional(a, 0);
    if (!path) code = cli_usage_error(cmd, "missing the .sconv file");
    else if (cli_n_positional(a) > 1)
        code = cli_usage_error(cmd, "unexpected argument '%s' (one file at a time)",
                               cli_positional(a, 1));
    if (code == CLI_OK && cli_get(a, O_INPUT_HW))
        code = cli_parse_pair(cmd, "--input-hw", cli_get(a, O_INPUT_HW), 1, 1 << 20, &h, &w);
    if (code == CLI_OK && cli_get(a, O_THREADS))
        code = cli_parse_int(cmd, "--threads", cli_get(a, O_THREADS), 0, 1024, &threads);
    sc_layer **layers = NULL;
    size_t n = 0;
    if (code == CLI_OK) {
        sc_status st = sc_file_read(path, &layers, &n);
        if (st != SC_OK) code = cli_fail_status(cmd, st, path);
    }
    struct stat sb;
    const long long file_bytes = code == CLI_OK && stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
    if (code == CLI_OK && cli_flag(a, O_JSON)) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; ++i)
            json_array_append_new(arr, layer_json(layers[i], h, w, (int)threads));
        json_t *root = json_pack("{s:s, s:I, s:o}", "file", path, "file_bytes",
                                 (json_int_t)file_bytes, "layers", arr);
        if (!root || json_dumpf(root, stdout, JSON_INDENT(2)) != 0)
            code = cli_error(cmd, CLI_IO, "%s: cannot write the JSON description", path);
        else
            fputc('\n', stdout);
        json_decref(root);
    } else if (code == CLI_OK) {
        printf("%s: %zu layer%s, %lld bytes\n", path, n, n == 1 ? "" : "s", file_bytes);
        for (size_t i = 0; i < n; ++i) print_layer(layers[i], h, w, (int)threads);
    }
    if (code == CLI_OK && fflush(stdout) != 0)
        code = cli_error(cmd, CLI_IO, "cannot write to standard output");
    sc_layers_destroy(layers, n);
    return code;
}

const cli_cmd cli_cmd_info = {
    .name = "info",
    .summary = "describe the layers of a .sconv file (text or --json)",
    .usage = "Usage: sconv info FILE.sconv [--json] [--input-hw HxW] [--threads N]\n",
    .help =
        "NAME\n"
        "    sconv info - describe the pruned layers in a .sconv file\n"
        "\n"
        "SYNOPSIS\n"
        "    sconv info FILE.sconv [--json] [--input-hw HxW] [--threads N]\n"
        "\n"
        "DESCRIPTION\n"
        "    For every layer: its name; dimensions (O, I per group, KH, KW) and the layout\n"
        "    the weights came in; stride, padding, dilation and groups; for a transposed\n"
        "    layer (sconv prune --transposed) the line \"kind conv_transpose\" with its\n"
        "    output padding (O is then Cin, I is Cout per group); the pack order of\n"
        "    the reduction index; the pruning method and its parameters; nonzeros and\n"
        "    sparsity, with the fraction of sum |w| and sum w^2 kept; nonzeros per output\n"
        "    channel (min, mean, max, empty rows, and a histogram of row densities in ten\n"
        "    bins of 0.1); whether a bias is stored; bytes packed in memory, in the file\n"
        "    and dense; and which engine `auto` picks, with its reason, for a batch-1\n"
        "    input of --input-hw in NCHW and in NHWC.\n"
        "\n"
        "OPTIONS\n"
        "    --json             machine-readable output (one object: file, file_bytes,\n"
        "                       layers[]; see docs/cli.md for the fields)\n"
        "    --input-hw HxW     the input size the engine choice is planned for\n"
        "                       (default 56x56; N for NxN)\n"
        "    --threads N        threads the plan assumes (default 0: the OpenMP default)\n"
        "    -h, --help         this text\n"
        "\n"
        "EXIT STATUS\n"
        "    0 success, 1 usage error, 2 malformed file, 3 the file cannot be read.\n"
        "\n"
        "EXAMPLES\n"
        "    sconv info conv1.sconv\n"
        "    sconv info model.sconv --json --input-hw 28x28\n",
    .opts = opts,
    .n_opts = N_OPTS,
    .main = run,
};
