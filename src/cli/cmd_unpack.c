/* src/cli/cmd_unpack.c: `sconv unpack`: a packed layer back to dense pruned weights */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/core.h"

enum { O_MODEL, O_NAME, O_LAYOUT, O_OUT, O_BIAS_OUT, N_OPTS };

static const cli_opt opts[N_OPTS] = {
    [O_MODEL] = {"model", 'm', true, false},
    [O_NAME] = {"name", 0, true, false},
    [O_LAYOUT] = {"layout", 0, true, false},
    [O_OUT] = {"output", 'o', true, false},
    [O_BIAS_OUT] = {"bias-output", 0, true, false},
};

static int run(const cli_cmd *cmd, const cli_args *a)
{
    int code = CLI_OK;
    const char *model = cli_get(a, O_MODEL), *out = cli_get(a, O_OUT);
    const char *bias_out = cli_get(a, O_BIAS_OUT);
    sc_wlayout layout = SC_OIHW;
    sc_layer *layer = NULL;
    float *w = NULL;
    if (cli_n_positional(a) > 0)
        code = cli_usage_error(cmd, "unexpected argument '%s'", cli_positional(a, 0));
    else if (!model) code = cli_usage_error(cmd, "missing -m FILE.sconv");
    else if (!cli_get(a, O_LAYOUT)) code = cli_usage_error(cmd, "missing --layout oihw|hwio|ohwi");
    else if (!out) code = cli_usage_error(cmd, "missing -o OUT.npy");
    if (code == CLI_OK) code = cli_parse_wlayout(cmd, "--layout", cli_get(a, O_LAYOUT), &layout);
    if (code == CLI_OK) code = cli_check_output(cmd, "-o", out, &model, 1);
    if (code == CLI_OK && bias_out) {
        const char *inputs[2] = {model, out};
        code = strcmp(bias_out, out) == 0
                   ? cli_usage_error(cmd, "-o and --bias-output both name %s", out)
                   : cli_check_output(cmd, "--bias-output", bias_out, inputs, 2);
    }
    if (code == CLI_OK) code = cli_load_layer(cmd, model, cli_get(a, O_NAME), &layer);
    sc_layer_info info;
    if (code == CLI_OK) {
        sc_layer_get_info(layer, &info);
        if (bias_out && !info.bias)
            code = cli_error(cmd, CLI_DATA, "%s: layer '%s' has no bias to write to %s", model,
                             info.name, bias_out);
    }
    sc_wdesc wd;
    if (code == CLI_OK) {
        wd = info.wdesc;
        wd.layout = layout;
        sc_status st = sc_alloc_array((void **)&w, (size_t)sc_wdesc_numel(&wd), sizeof *w, false,
                                      "unpacked weights");
        if (st == SC_OK) st = sc_layer_unpack(layer, layout, w);
        if (st != SC_OK) code = cli_fail_status(cmd, st, model);
    }
    if (code == CLI_OK) {
        int64_t shape[4];
        sc_wdesc_shape(&wd, shape);
        code = cli_write_npy(cmd, out, 4, shape, w);
    }
    if (code == CLI_OK && bias_out) code = cli_write_npy(cmd, bias_out, 1, &wd.oc, info.bias);
    sc_free(w);
    sc_layer_destroy(layer);
    return code;
}

const cli_cmd cli_cmd_unpack = {
    .name = "unpack",
    .summary = "write a packed layer back as dense pruned weights (.npy)",
    .usage = "Usage: sconv unpack -m FILE.sconv [--name NAME] --layout oihw|hwio|ohwi -o W.npy\n"
             "                    [--bias-output b.npy]\n",
    .help =
        "NAME\n"
        "    sconv unpack - write a packed layer back as dense pruned weights\n"
        "\n"
        "SYNOPSIS\n"
        "    sconv unpack -m FILE.sconv [--name NAME] --layout oihw|hwio|ohwi -o W.npy\n"
        "                 [--bias-output b.npy]\n"
        "\n"
        "DESCRIPTION\n"
        "    Writes the pruned weights of one layer as a dense float32 .npy in the layout\n"
        "    asked for, with zeros where weights were pruned. Exact: the kept values are\n"
        "    the original floats. Load it into a framework to compare against sconv run.\n"
        "\n"
        "OPTIONS\n"
        "    -m, --model FILE     the .sconv file\n"
        "    --name NAME          the layer (required when the file holds several)\n"
        "    --layout L           oihw (O,I,KH,KW), hwio (KH,KW,I,O) or ohwi (O,KH,KW,I)\n"
        "    -o, --output W.npy   the weights, written atomically; never the input file\n"
        "    --bias-output b.npy  also write the layer's bias (1-D, O values)\n"
        "    -h, --help           this text\n"
        "\n"
        "EXIT STATUS\n"
        "    0 success; 1 usage error (also: several layers and no --name, or an output\n"
        "    naming the input); 2 malformed file, no such layer, or no bias to write;\n"
        "    3 a file cannot be read or written.\n"
        "\n"
        "EXAMPLE\n"
        "    sconv unpack -m conv1.sconv --layout oihw -o conv1_pruned.npy\n",
    .opts = opts,
    .n_opts = N_OPTS,
    .main = run,
};
