/* tests/fuzz/cli_prune_parse.c: `sconv prune` option parsing only, for the CLI fuzz target.
 * The command's parser is a static function of src/cli/cmd_prune.c; this translation unit
 * includes that file (unchanged) so the fuzzer can run parse_options on parsed options
 * without running the command (no file is read or written). */
#include "cli/cmd_prune.c"

#include "fuzz_cli.h"

/* The command's parse, then what the command relies on after a successful one. */
static int check_parse(const cli_cmd *cmd, const cli_args *a)
{
    sc_prune_spec spec = sc_prune_spec_default();
    sc_wlayout layout = SC_OIHW;
    sc_conv_params params = sc_conv_params_default();
    sc_pack_order order = SC_PACK_CHW;
    const int n = cli_count(a, O_W);
    const int code = parse_options(cmd, a, n, &spec, &layout, &params, &order);
    if (code == CLI_OK) {
        FUZZ_CHECK(n >= 1 && n <= MAX_LAYERS, "%d weight files accepted", n);
        FUZZ_CHECK(cli_get(a, O_OUT) != NULL, "no output accepted");
        FUZZ_CHECK(sc_conv_params_check(&params) == SC_OK, "params: %s", sc_last_message());
        FUZZ_CHECK(sc_wlayout_name(layout) != NULL && sc_pack_order_name(order) != NULL, "enums");
        if (!cli_flag(a, O_MASK))
            FUZZ_CHECK(sc_prune_spec_check(&spec) == SC_OK, "spec: %s", sc_last_message());
        for (int i = 0; i < cli_count(a, O_NAME); ++i)
            FUZZ_CHECK(cli_value(a, O_NAME, i) != NULL, "name %d", i);
    }
    return code;
}

int fuzz_prune_parse(int argc, char **argv)
{
    cli_cmd cmd = cli_cmd_prune;
    cmd.main = check_parse;
    return cli_run_command(&cmd, argc, argv);
}
