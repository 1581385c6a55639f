/* src/cli/cmd_prune.c: `sconv prune`: prune dense weights by magnitude and pack a .sconv file */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/core.h"

enum {
    O_W, O_LAYOUT, O_BIAS, O_SPARSITY, O_COUNT, O_THRESHOLD, O_MASK, O_METHOD, O_CONVENTION,
    O_PACK, O_STRIDE, O_PAD, O_DIL, O_GROUPS, O_NAME, O_OUT, O_QUIET, O_TRANSPOSED, O_OUT_PAD,
    N_OPTS
};

static const cli_opt opts[N_OPTS] = {
    [O_W] = {"weights", 'w', true, true},
    [O_LAYOUT] = {"layout", 0, true, false},
    [O_BIAS] = {"bias", 0, true, true},
    [O_SPARSITY] = {"sparsity", 0, true, false},
    [O_COUNT] = {"count", 0, true, false},
    [O_THRESHOLD] = {"threshold", 0, true, false},
    [O_MASK] = {"mask", 0, true, true},
    [O_METHOD] = {"method", 0, true, false},
    [O_CONVENTION] = {"convention", 0, true, false},
    [O_PACK] = {"pack", 0, true, false},
    [O_STRIDE] = {"stride", 0, true, false},
    [O_PAD] = {"pad", 0, true, false},
    [O_DIL] = {"dilation", 0, true, false},
    [O_GROUPS] = {"groups", 0, true, false},
    [O_NAME] = {"name", 0, true, true},
    [O_OUT] = {"output", 'o', true, false},
    [O_QUIET] = {"quiet", 'q', false, false},
    [O_TRANSPOSED] = {"transposed", 0, false, false},
    [O_OUT_PAD] = {"output-padding", 0, true, false},
};

/* --transposed [--output-padding P|PHxPW]: the kind and output padding of the layers. */
static int parse_kind(const cli_cmd *cmd, const cli_args *a, const sc_conv_params *params,
                      sc_pack_options *po)
{
    po->kind = cli_flag(a, O_TRANSPOSED) ? SC_LAYER_CONV_TRANSPOSE : SC_LAYER_CONV;
    po->out_pad_h = po->out_pad_w = 0;
    if (cli_get(a, O_OUT_PAD) && !cli_flag(a, O_TRANSPOSED))
        return cli_usage_error(cmd, "--output-padding applies to transposed layers: add "
                               "--transposed");
    if (cli_flag(a, O_TRANSPOSED) && cli_flag(a, O_BIAS))
        return cli_usage_error(cmd, "--bias with --transposed: a transposed layer's bias has "
                               "Cout values and is not stored in the .sconv file; add it after "
                               "sconv run");
    int code = CLI_OK;
    if (cli_get(a, O_OUT_PAD))
        code = cli_parse_pair(cmd, "--output-padding", cli_get(a, O_OUT_PAD), 0, INT64_C(1) << 40,
                              &po->out_pad_h, &po->out_pad_w);
    if (code == CLI_OK &&
        sc_layer_check_kind(po->kind, params, po->out_pad_h, po->out_pad_w) != SC_OK)
        code = cli_usage_error(cmd, "--output-padding %s: %s", cli_get(a, O_OUT_PAD),
                               sc_last_message());
    return code;
}

#define MAX_LAYERS 256

/* One input layer: its files, weights, mask, bias and name. */
typedef struct layer_in {
    const char *w_path, *bias_path, *mask_path;
    char name[SC_NAME_MAX];
    sc_array w, bias, mask_arr;
    sc_wdesc wd;
    uint8_t *mask;
    sc_layer *packed;
} layer_in;

/* Check the command line and fill spec (when not --mask), params and pack order. */
static int parse_options(const cli_cmd *cmd, const cli_args *a, int n, sc_prune_spec *spec,
                         sc_wlayout *layout, sc_conv_params *params, sc_pack_order *order)
{
    const int n_amount = cli_flag(a, O_SPARSITY) + cli_flag(a, O_COUNT) +
                         cli_flag(a, O_THRESHOLD) + cli_flag(a, O_MASK);
    if (cli_n_positional(a) > 0)
        return cli_usage_error(cmd, "unexpected argument '%s' (weights go after -w)",
                               cli_positional(a, 0));
    if (n == 0) return cli_usage_error(cmd, "missing -w W.npy (the weights to prune)");
    if (n > MAX_LAYERS) return cli_usage_error(cmd, "at most %d -w files", MAX_LAYERS);
    if (!cli_get(a, O_LAYOUT)) return cli_usage_error(cmd, "missing --layout oihw|hwio|ohwi");
    if (!cli_get(a, O_OUT)) return cli_usage_error(cmd, "missing -o OUT.sconv");
    if (n_amount > 1)
        return cli_usage_error(cmd, "--sparsity, --count, --threshold and --mask are mutually "
                               "exclusive: give exactly one");
    if (cli_flag(a, O_BIAS) && cli_count(a, O_BIAS) != n)
        return cli_usage_error(cmd, "%d --bias files for %d -w files: give one per layer, in "
                               "the same order", cli_count(a, O_BIAS), n);
    if (cli_flag(a, O_NAME) && cli_count(a, O_NAME) != n)
        return cli_usage_error(cmd, "%d --name values for %d -w files: give one per layer, in "
                               "the same order", cli_count(a, O_NAME), n);
    if (cli_flag(a, O_MASK) && cli_count(a, O_MASK) != n)
        return cli_usage_error(cmd, "%d --mask files for %d -w files: give one per layer, in "
                               "the same order", cli_count(a, O_MASK), n);
    if (cli_flag(a, O_MASK) && (cli_flag(a, O_METHOD) || cli_flag(a, O_CONVENTION)))
        return cli_usage_error(cmd, "--mask packs the given mask as it is: --method and "
                               "--convention do not apply");
    if (n_amount == 0 && !cli_flag(a, O_METHOD))
        return cli_usage_error(cmd, "say how much to prune: one of --sparsity, --count, "
                               "--threshold or --mask");
    int code = cli_parse_wlayout(cmd, "--layout", cli_get(a, O_LAYOUT), layout);
    if (code != CLI_OK) return code;
    /* Default pack order: the activation layout users of this weight layout run with. */
    *order = *layout == SC_OIHW ? SC_PACK_CHW : SC_PACK_HWC;
    const char *s = cli_get(a, O_PACK);
    if (s && sc_pack_order_parse(s, order) != SC_OK)
        return cli_usage_error(cmd, "--pack '%s': expected nchw or nhwc", s);
    code = cli_parse_conv_params(cmd, a, O_STRIDE, O_PAD, O_DIL, O_GROUPS, params);
    if (code != CLI_OK || cli_flag(a, O_MASK)) return code;

    *spec = sc_prune_spec_default();
    s = cli_get(a, O_METHOD);
    if (cli_flag(a, O_THRESHOLD)) {
        if (s && sc_prune_spec_parse(s, spec) == SC_OK && spec->method != SC_PRUNE_THRESHOLD)
            return cli_usage_error(cmd, "--threshold removes |w| < T from each layer; it does "
                                   "not combine with --method %s", s);
        spec->method = SC_PRUNE_THRESHOLD;
        code = cli_parse_double(cmd, "--threshold", cli_get(a, O_THRESHOLD), 0, 1e300,
                                &spec->threshold);
        if (code != CLI_OK) return code;
    } else if (s) {
        if (sc_prune_spec_parse(s, spec) != SC_OK)
            return cli_usage_error(cmd, "--method '%s': expected l1, per-filter, global, "
                                   "block:RxC[:l1|l2|mean], nm:N:M, filter:l1 or filter:l2", s);
        if (spec->method == SC_PRUNE_THRESHOLD)
            return cli_usage_error(cmd, "--method threshold needs --threshold T");
    }
    if (cli_flag(a, O_SPARSITY))
        code = cli_parse_double(cmd, "--sparsity", cli_get(a, O_SPARSITY), 0, 1, &spec->amount);
    if (code == CLI_OK && cli_flag(a, O_COUNT))
        code = cli_parse_int(cmd, "--count", cli_get(a, O_COUNT), 0, INT64_MAX, &spec->count);
    s = cli_get(a, O_CONVENTION);
    if (code == CLI_OK && s && sc_prune_convention_parse(s, &spec->convention) != SC_OK)
        code = cli_usage_error(cmd, "--convention '%s': expected torch or tfmot", s);
    if (code == CLI_OK && spec->method == SC_PRUNE_NM) {
        /* N:M fixes the sparsity at 1 - N/M: an amount may only restate it */
        const double implied = 1.0 - (double)spec->n / (double)spec->m;
        const bool restated = spec->amount > implied - 1e-9 && spec->amount < implied + 1e-9;
        if (cli_flag(a, O_COUNT) || (cli_flag(a, O_SPARSITY) && !restated))
            code = cli_usage_error(cmd, "--method %s keeps %lld of every %lld weights (sparsity "
                                   "%g): drop --sparsity/--count", cli_get(a, O_METHOD),
                                   (long long)spec->n, (long long)spec->m, implied);
    } else if (code == CLI_OK && n_amount == 0) {
        code = cli_usage_error(cmd, "say how much to prune: one of --sparsity, --count, "
                               "--threshold or --mask");
    }
    spec->order = *order;
    spec->groups = params->groups;
    if (code == CLI_OK && sc_prune_spec_check(spec) != SC_OK)
        code = cli_usage_error(cmd, "%s", sc_last_message());
    return code;
}

/* Names: --name values or file stems; each valid and distinct. */
static int assign_names(const cli_cmd *cmd, const cli_args *a, layer_in *in, int n)
{
    for (int i = 0; i < n; ++i) {
        const char *given = cli_value(a, O_NAME, i);
        if (given && strlen(given) >= SC_NAME_MAX)
            return cli_usage_error(cmd, "--name '%.20s...': names are at most %d bytes", given,
                                   SC_NAME_MAX - 1);
        if (given) snprintf(in[i].name, sizeof in[i].name, "%s", given);
        else cli_file_stem(in[i].w_path, in[i].name, sizeof in[i].name);
        if (in[i].name[0] == '\0')
            return cli_usage_error(cmd, "%s: cannot name a layer after this file: give --name",
                                   in[i].w_path);
        for (int j = 0; j < i; ++j)
            if (strcmp(in[i].name, in[j].name) == 0)
                return cli_usage_error(cmd, "two layers would be named '%s' (%s and %s): give "
                                       "one --name per -w", in[i].name, in[j].w_path,
                                       in[i].w_path);
    }
    return CLI_OK;
}

/* Read the bias (1-D, oc values) and the mask (the weights' shape, 0/1) of one layer. */
static int read_extras(const cli_cmd *cmd, layer_in *l)
{
    int code = CLI_OK;
    if (l->bias_path) {
        code = cli_read_npy(cmd, l->bias_path, &l->bias);
        if (code == CLI_OK && (l->bias.ndim != 1 || l->bias.shape[0] != l->wd.oc)) {
            char shape[128];
            cli_format_shape(&l->bias, shape, sizeof shape);
            code = cli_error(cmd, CLI_DATA, "%s: the bias must be a 1-D array of %lld values "
                             "(O, the output channels of %s), got shape %s", l->bias_path,
                             (long long)l->wd.oc, l->w_path, shape);
        }
    }
    if (code != CLI_OK || !l->mask_path) return code;
    code = cli_read_npy(cmd, l->mask_path, &l->mask_arr);
    if (code != CLI_OK) return code;
    static const char *const axis[3][4] = {[SC_OIHW] = {"O", "I", "KH", "KW"},
                                           [SC_OHWI] = {"O", "KH", "KW", "I"},
                                           [SC_HWIO] = {"KH", "KW", "I", "O"}};
    if (l->mask_arr.ndim != 4)
        return cli_error(cmd, CLI_DATA, "%s: the mask must be 4-D like the weights %s, got "
                         "%d-D", l->mask_path, l->w_path, l->mask_arr.ndim);
    for (int d = 0; d < 4; ++d)
        if (l->mask_arr.shape[d] != l->w.shape[d])
            return cli_error(cmd, CLI_DATA, "%s: mask dimension %d (%s) is %lld, the weights "
                             "%s have %lld", l->mask_path, d, axis[l->wd.layout][d],
                             (long long)l->mask_arr.shape[d], l->w_path,
                             (long long)l->w.shape[d]);
    const int64_t numel = sc_wdesc_numel(&l->wd);
    sc_status st = sc_alloc_array((void **)&l->mask, (size_t)numel, 1, false, "mask");
    if (st != SC_OK) return cli_fail_status(cmd, st, l->mask_path);
    for (int64_t i = 0; i < numel; ++i) {
        const float v = l->mask_arr.data[i];
        if (v != 0.0f && v != 1.0f)
            return cli_error(cmd, CLI_DATA, "%s: mask element %lld (flat, C order) is %g: a mask "
                             "holds only 0 (prune) and 1 (keep)", l->mask_path, (long long)i,
                             (double)v);
        l->mask[i] = v != 0.0f;
    }
    return CLI_OK;
}

/* Masks from the library: one ranking across all layers for global, else per layer. */
static int compute_masks(const cli_cmd *cmd, const sc_prune_spec *spec, layer_in *in, int n)
{
    for (int i = 0; i < n; ++i) {
        sc_status st = sc_alloc_array((void **)&in[i].mask, (size_t)sc_wdesc_numel(&in[i].wd),
                                      1, false, "mask");
        if (st != SC_OK) return cli_fail_status(cmd, st, in[i].w_path);
    }
    if (spec->method == SC_PRUNE_GLOBAL) {
        const sc_wdesc *wd[MAX_LAYERS];
        const float *w[MAX_LAYERS];
        uint8_t *mask[MAX_LAYERS];
        for (int i = 0; i < n; ++i) {
            wd[i] = &in[i].wd;
            w[i] = in[i].w.data;
            mask[i] = in[i].mask;
        }
        sc_status st = sc_prune_mask_global(spec, (size_t)n, wd, w, mask);
        return st == SC_OK ? CLI_OK : cli_fail_status(cmd, st, n == 1 ? in[0].w_path : NULL);
    }
    for (int i = 0; i < n; ++i) {
        sc_status st = sc_prune_mask(spec, &in[i].wd, in[i].w.data, in[i].mask);
        if (st != SC_OK) return cli_fail_status(cmd, st, in[i].w_path);
    }
    return CLI_OK;
}

static int run(const cli_cmd *cmd, const cli_args *a)
{
    int code = CLI_OK;
    const int n = cli_count(a, O_W);
    const char *out = cli_get(a, O_OUT);
    sc_prune_spec spec = sc_prune_spec_default();
    sc_wlayout layout = SC_OIHW;
    sc_conv_params params;
    sc_pack_order order = SC_PACK_CHW;
    layer_in *in = NULL;
    sc_pack_options kind = sc_pack_options_default();
    code = parse_options(cmd, a, n, &spec, &layout, &params, &order);
    if (code == CLI_OK) code = parse_kind(cmd, a, &params, &kind);
    if (code == CLI_OK) {
        in = sc_calloc((size_t)n, sizeof *in);
        if (!in) code = cli_error(cmd, CLI_DATA, "out of memory");
    }
    if (code == CLI_OK) {
        const char *inputs[3 * MAX_LAYERS];
        int n_inputs = 0;
        for (int i = 0; i < n; ++i) {
            in[i].w_path = inputs[n_inputs++] = cli_value(a, O_W, i);
            in[i].bias_path = inputs[n_inputs++] = cli_value(a, O_BIAS, i);
            in[i].mask_path = inputs[n_inputs++] = cli_value(a, O_MASK, i);
        }
        code = assign_names(cmd, a, in, n);
        if (code == CLI_OK) code = cli_check_output(cmd, "-o", out, inputs, n_inputs);
    }
    for (int i = 0; code == CLI_OK && i < n; ++i) {
        code = cli_read_weights(cmd, in[i].w_path, layout, &in[i].w, &in[i].wd);
        if (code == CLI_OK) code = read_extras(cmd, &in[i]);
    }
    const bool given_mask = cli_flag(a, O_MASK);
    if (code == CLI_OK && !given_mask) code = compute_masks(cmd, &spec, in, n);
    char method_params[SC_METHOD_MAX] = "";
    if (code == CLI_OK && !given_mask &&
        sc_prune_spec_describe(&spec, method_params, sizeof method_params) != SC_OK)
        method_params[0] = '\0';  /* too long to record: the method name still is */
    for (int i = 0; code == CLI_OK && i < n; ++i) {
        sc_pack_options po = sc_pack_options_default();
        po.name = in[i].name;
        po.params = params;
        po.order = order;
        po.kind = kind.kind;
        po.out_pad_h = kind.out_pad_h;
        po.out_pad_w = kind.out_pad_w;
        po.bias = in[i].bias_path ? in[i].bias.data : NULL;
        char mask_params[SC_METHOD_MAX];
        if (given_mask) {
            char stem[SC_NAME_MAX];
            cli_file_stem(in[i].mask_path, stem, sizeof stem);
            snprintf(mask_params, sizeof mask_params, "file=%s", stem);
            po.method = "mask";
            po.method_params = mask_params;
        } else {
            po.method = sc_prune_method_name(spec.method);
            po.method_params = method_params;
        }
        sc_status st = sc_layer_pack(&in[i].wd, in[i].w.data, in[i].mask, &po, &in[i].packed);
        if (st != SC_OK) code = cli_fail_status(cmd, st, in[i].w_path);
    }
    if (code == CLI_OK) {
        const sc_layer *layers[MAX_LAYERS];
        for (int i = 0; i < n; ++i) layers[i] = in[i].packed;
        sc_status st = sc_file_write(out, layers, (size_t)n);
        if (st != SC_OK) code = cli_fail_status(cmd, st, out);
    }
    for (int i = 0; code == CLI_OK && !cli_flag(a, O_QUIET) && i < n; ++i) {
        sc_layer_info info;
        sc_layer_get_info(in[i].packed, &info);
        printf("%s: %s %lldx%lldx%lldx%lld -> %slayer '%s': %s, sparsity %.4f (%lld of %lld "
               "weights kept), pack %s\n", in[i].w_path, sc_wlayout_name(layout),
               (long long)in[i].w.shape[0], (long long)in[i].w.shape[1],
               (long long)in[i].w.shape[2], (long long)in[i].w.shape[3],
               info.kind == SC_LAYER_CONV_TRANSPOSE ? "transposed " : "", info.name, info.method,
               info.sparsity, (long long)info.nnz, (long long)sc_wdesc_numel(&in[i].wd),
               sc_pack_order_name(info.order));
    }
    if (code == CLI_OK && !cli_flag(a, O_QUIET)) printf("wrote %s (%d layer%s)\n", out, n,
                                                          n == 1 ? "" : "s");
    for (int i = 0; in && i < n; ++i) {
        sc_array_release(&in[i].w);
        sc_array_release(&in[i].bias);
        sc_array_release(&in[i].mask_arr);
        sc_free(in[i].mask);
        sc_layer_destroy(in[i].packed);
    }
    sc_free(in);
    return code;
}

const cli_cmd cli_cmd_prune = {
    .name = "prune",
    .summary = "prune dense weights by magnitude and pack them into a .sconv file",
    .usage =
        "Usage: sconv prune -w W.npy [-w W2.npy ...] --layout oihw|hwio|ohwi [--bias b.npy]\n"
        "                   --sparsity S | --count K | --threshold T | --mask M.npy\n"
        "                   [--method l1|per-filter|global|block:RxC[:l1|l2|mean]|nm:N:M|\n"
        "                             filter:l1|filter:l2]\n"
        "                   [--convention torch|tfmot] [--pack nchw|nhwc] [--stride S|SHxSW]\n"
        "                   [--pad P|T,L,B,R] [--dilation D] [--groups G] [--name NAME]\n"
        "                   [--transposed [--output-padding P|PHxPW]] -o OUT.sconv\n",
    .help =
        "NAME\n"
        "    sconv prune - prune dense convolution weights and pack them into a .sconv file\n"
        "\n"
        "SYNOPSIS\n"
        "    sconv prune -w W.npy [-w W2.npy ...] --layout oihw|hwio|ohwi [--bias b.npy]\n"
        "                --sparsity S | --count K | --threshold T | --mask M.npy\n"
        "                [--method METHOD] [--convention torch|tfmot] [--pack nchw|nhwc]\n"
        "                [--stride S|SHxSW] [--pad P|PH,PW|T,L,B,R] [--dilation D|DHxDW]\n"
        "                [--groups G] [--name NAME] [--transposed [--output-padding P|PHxPW]]\n"
        "                -o OUT.sconv\n"
        "\n"
        "DESCRIPTION\n"
        "    Reads trained weights from .npy files, computes a keep-mask by magnitude with\n"
        "    the sconv library, and writes the surviving weights packed as CSR, with the\n"
        "    convolution parameters, bias and pruning method, to one .sconv file holding\n"
        "    one named layer per -w. Several -w with --method global are ranked together\n"
        "    (one threshold across all layers); with any other method each layer is pruned\n"
        "    on its own with the same amount.\n"
        "\n"
        "OPTIONS\n"
        "    -w, --weights W.npy  4-D weights; repeat for several layers\n"
        "    --layout L           the weights' layout: oihw (PyTorch, ONNX: O,I,KH,KW),\n"
        "                         hwio (TensorFlow/Keras: KH,KW,I,O) or ohwi (O,KH,KW,I);\n"
        "                         I is the input channels per group\n"
        "    --bias b.npy         1-D bias of O values; one per -w when given\n"
        "  How much (exactly one):\n"
        "    --sparsity S         fraction of units to remove, 0 <= S <= 1\n"
        "    --count K            exact number of units to remove (weights; blocks or\n"
        "                         filters for those methods; per row for per-filter;\n"
        "                         over all layers together for global)\n"
        "    --threshold T        remove the weights with |w| < T\n"
        "    --mask M.npy         pack this 0/1 mask (same shape and layout as the weights)\n"
        "                         as it is; one per -w\n"
        "  How:\n"
        "    --method M           l1 (default): the smallest |w| of the layer go;\n"
        "                         per-filter: the same count from every output channel;\n"
        "                         global: one ranking across all -w layers;\n"
        "                         block:RxC[:l1|l2|mean]: whole R x C blocks of the\n"
        "                           (O x k) matrix, k in pack order, by block score;\n"
        "                         nm:N:M: keep N of every M consecutive weights along k;\n"
        "                         filter:l1, filter:l2: whole output channels by norm\n"
        "    --convention C       how an amount becomes a count: torch (default: remove\n"
        "                         round-half-even(S*n), like torch.nn.utils.prune) or\n"
        "                         tfmot (keep max(round(n*(1-S)), 1) and every weight\n"
        "                         tied at that threshold, like TF-MOT; nm:N:M groups M\n"
        "                         input channels per kernel tap, lower channel on ties)\n"
        "  Packing and convolution:\n"
        "    --pack nchw|nhwc     the activation layout you will run with: nchw packs the\n"
        "                         reduction index as (c,kh,kw), nhwc as (kh,kw,c). Default:\n"
        "                         nchw for --layout oihw, nhwc for hwio and ohwi. Either\n"
        "                         order runs on either layout, the matching one faster.\n"
        "    --stride S|SHxSW     default 1\n"
        "    --pad P|PH,PW|T,L,B,R  zero padding (top, left, bottom, right); default 0\n"
        "    --dilation D|DHxDW   default 1\n"
        "    --groups G           default 1; the weights' I is the channels per group\n"
        "    --name NAME          layer name, one per -w (default: the file stems, which\n"
        "                         must then be distinct)\n"
        "  Transposed convolution (ConvTranspose2d, \"deconvolution\"):\n"
        "    --transposed         the weights are a transposed conv's: PyTorch\n"
        "                         ConvTranspose2d.weight (Cin, Cout/G, KH, KW) as --layout\n"
        "                         oihw (O = Cin, I = Cout per group), or a Keras\n"
        "                         Conv2DTranspose kernel (KH, KW, Cout, Cin) as --layout\n"
        "                         hwio. --stride, --pad, --dilation and --groups are the\n"
        "                         transposed conv's (PyTorch's stride, padding, dilation,\n"
        "                         groups). No --bias (it has Cout values; add it after run).\n"
        "                         Per-filter and filter methods then work per input channel\n"
        "    --output-padding P|PHxPW  extra rows/columns at the bottom/right of the\n"
        "                         output (PyTorch output_padding); default 0; each below\n"
        "                         max(stride, dilation) of its axis\n"
        "    -o, --output F       the .sconv file, written atomically; never an input file\n"
        "    -q, --quiet          print nothing on success\n"
        "    -h, --help           this text\n"
        "\n"
        "OUTPUT\n"
        "    One line per layer: name, method, sparsity, kept count and pack order.\n"
        "\n"
        "EXIT STATUS\n"
        "    0 success; 1 usage error (also: -o names an input file); 2 bad input\n"
        "    (malformed .npy, wrong rank or shape - the message names the file and the\n"
        "    dimension -, groups not dividing the channels, NaN/Inf weights, a mask value\n"
        "    other than 0/1); 3 a file cannot be read or written.\n"
        "\n"
        "EXAMPLES\n"
        "    sconv prune -w conv1.npy --layout oihw --sparsity 0.9 --pad 1 -o conv1.sconv\n"
        "    sconv prune -w a.npy -w b.npy --layout hwio --method global --sparsity 0.8 \\\n"
        "                -o model.sconv\n"
        "    sconv prune -w w.npy --layout oihw --method block:4x1 --count 10 -o w.sconv\n"
        "    sconv prune -w up.npy --layout oihw --transposed --stride 2 --pad 1 \\\n"
        "                --output-padding 1 --sparsity 0.8 -o up.sconv\n",
    .opts = opts,
    .n_opts = N_OPTS,
    .main = run,
};
