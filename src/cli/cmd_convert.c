/* src/cli/cmd_convert.c: `sconv convert`: change the layout of dense weights (a permutation) */
#include <stdio.h>

#include "cli/cli.h"
#include "core/core.h"

enum { O_IN, O_FROM, O_TO, O_OUT, N_OPTS };

static const cli_opt opts[N_OPTS] = {
    [O_IN] = {"input", 'i', true, false},
    [O_FROM] = {"from", 0, true, false},
    [O_TO] = {"to", 0, true, false},
    [O_OUT] = {"output", 'o', true, false},
};

static int run(const cli_cmd *cmd, const cli_args *a)
{
    int code = CLI_OK;
    const char *in = cli_get(a, O_IN), *out = cli_get(a, O_OUT);
    sc_wlayout from = SC_OIHW, to = SC_OIHW;
    sc_array w = {0};
    float *dst = NULL;
    if (cli_n_positional(a) > 0)
        code = cli_usage_error(cmd, "unexpected argument '%s'", cli_positional(a, 0));
    else if (!in) code = cli_usage_error(cmd, "missing -i W.npy (the weights to convert)");
    else if (!cli_get(a, O_FROM)) code = cli_usage_error(cmd, "missing --from LAYOUT");
    else if (!cli_get(a, O_TO)) code = cli_usage_error(cmd, "missing --to LAYOUT");
    else if (!out) code = cli_usage_error(cmd, "missing -o OUT.npy");
    if (code == CLI_OK) code = cli_parse_wlayout(cmd, "--from", cli_get(a, O_FROM), &from);
    if (code == CLI_OK) code = cli_parse_wlayout(cmd, "--to", cli_get(a, O_TO), &to);
    if (code == CLI_OK) code = cli_check_output(cmd, "-o", out, &in, 1);
    sc_wdesc wd;
    if (code == CLI_OK) code = cli_read_weights(cmd, in, from, &w, &wd);
    if (code == CLI_OK) {
        sc_status st = sc_alloc_array((void **)&dst, (size_t)sc_wdesc_numel(&wd), sizeof *dst,
                                      false, "converted weights");
        if (st == SC_OK) st = sc_weights_convert(&wd, w.data, to, dst);
        if (st != SC_OK) code = cli_fail_status(cmd, st, in);
    }
    if (code == CLI_OK) {
        sc_wdesc od = wd;
        od.layout = to;
        int64_t shape[4];
        sc_wdesc_shape(&od, shape);
        code = cli_write_npy(cmd, out, 4, shape, dst);
    }
    sc_free(dst);
    sc_array_release(&w);
    return code;
}

const cli_cmd cli_cmd_convert = {
    .name = "convert",
    .summary = "change the layout of dense weights (oihw, hwio, ohwi)",
    .usage = "Usage: sconv convert -i W.npy --from oihw|hwio|ohwi --to oihw|hwio|ohwi -o W2.npy\n",
    .help =
        "NAME\n"
        "    sconv convert - change the layout of dense convolution weights\n"
        "\n"
        "SYNOPSIS\n"
        "    sconv convert -i W.npy --from oihw|hwio|ohwi --to oihw|hwio|ohwi -o W2.npy\n"
        "\n"
        "DESCRIPTION\n"
        "    Reads 4-D weights in one layout and writes them in another. The values are\n"
        "    permuted, never changed; in numpy.transpose terms:\n"
        "        oihw -> hwio  (2, 3, 1, 0)      hwio -> oihw  (3, 2, 0, 1)\n"
        "        oihw -> ohwi  (0, 2, 3, 1)      ohwi -> oihw  (0, 3, 1, 2)\n"
        "        ohwi -> hwio  (1, 2, 3, 0)      hwio -> ohwi  (3, 0, 1, 2)\n"
        "    Layouts: oihw = PyTorch/ONNX (O, I, KH, KW); hwio = TensorFlow/Keras\n"
        "    (KH, KW, I, O); ohwi = channels-last (O, KH, KW, I). I is the input channels\n"
        "    per group.\n"
        "\n"
        "OPTIONS\n"
        "    -i, --input W.npy   the weights (float32, float64 or float16 .npy)\n"
        "    --from LAYOUT       their layout: oihw, hwio or ohwi\n"
        "    --to LAYOUT         the layout to write\n"
        "    -o, --output FILE   the output .npy (float32), written atomically; it may not\n"
        "                        be the input file\n"
        "    -h, --help          this text\n"
        "\n"
        "EXIT STATUS\n"
        "    0 success, 1 usage error, 2 bad input (not 4-D, malformed .npy),\n"
        "    3 a file cannot be read or written.\n"
        "\n"
        "EXAMPLE\n"
        "    sconv convert -i conv1_oihw.npy --from oihw --to hwio -o conv1_hwio.npy\n",
    .opts = opts,
    .n_opts = N_OPTS,
    .main = run,
};
